/* cli_arg: reading command-line arguments, for every subcommand. Numbers must start with a
 * digit (so "-1" is refused, not wrapped around) and fit; sizes take K, M, G suffixes.
 *
 * cli_arg views an argument as a slice. argv strings are trusted, NUL-terminated text
 * the user typed (never message bytes), so measuring them with strlen is safe; this is the
 * one place the CLI does it. */
#ifndef AUTHSWEEP_CLI_ARG_H
#define AUTHSWEEP_CLI_ARG_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "engine/core/slice.h"

static inline slice cli_arg(const char *s)
{
    return slice_make(s, strlen(s)); /* trusted argv text, see above */
}

bool cli_parse_ulong(const char *s, unsigned long max, unsigned long *out);
bool cli_parse_uint(const char *s, unsigned max, unsigned *out);
bool cli_parse_size(const char *s, size_t *out);
/* cli_merge_options joins two getopt_long tables (each ending in a zeroed entry) into a new
 * heap table; free it with xfree. */
struct option *cli_merge_options(const struct option *a, const struct option *b);

#endif
