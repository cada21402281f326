/* cli_arg: command-line arguments as slices. argv strings are trusted, NUL-terminated text
 * the user typed (never message bytes), so measuring them with strlen is safe; this is the
 * one place the CLI does it. */
#ifndef AUTHSWEEP_CLI_ARG_H
#define AUTHSWEEP_CLI_ARG_H

#include <string.h>

#include "engine/core/slice.h"

static inline slice cli_arg(const char *s)
{
    return slice_make(s, strlen(s)); /* trusted argv text, see above */
}

#endif
