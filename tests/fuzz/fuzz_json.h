/* fuzz_json: RFC 8259 syntax check for harness outputs. */
#ifndef AUTHSWEEP_FUZZ_JSON_H
#define AUTHSWEEP_FUZZ_JSON_H

#include <stdbool.h>

#include "engine/core/slice.h"

/* fuzz_json_ok reports whether s is exactly one JSON value (white space around allowed). */
bool fuzz_json_ok(slice s);

#endif
