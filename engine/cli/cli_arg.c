#include "engine/cli/cli_arg.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "engine/core/arena.h"

bool cli_parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
    char *end;
    errno = 0;
    if (s[0] < '0' || s[0] > '9') {
        return false;
    }
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end != '\0' || v > max) {
        return false;
    }
    *out = v;
    return true;
}

bool cli_parse_uint(const char *s, unsigned max, unsigned *out)
{
    unsigned long v;
    if (!cli_parse_ulong(s, max, &v)) {
        return false;
    }
    *out = (unsigned)v;
    return true;
}

bool cli_parse_size(const char *s, size_t *out)
{
    char *end;
    errno = 0;
    if (s[0] < '0' || s[0] > '9') {
        return false;
    }
    unsigned long long v = strtoull(s, &end, 10), mul = 1;
    if (*end == 'K' || *end == 'k') {
        mul = 1024, end++;
    } else if (*end == 'M' || *end == 'm') {
        mul = 1024 * 1024, end++;
    } else if (*end == 'G' || *end == 'g') {
        mul = 1024ull * 1024 * 1024, end++;
    }
    if (errno || *end != '\0' || v == 0 || v > SIZE_MAX / mul) {
        return false;
    }
    *out = (size_t)(v * mul);
    return true;
}

struct option *cli_merge_options(const struct option *a, const struct option *b)
{
    size_t na = 0, nb = 0;
    while (a[na].name) {
        na++;
    }
    while (b[nb].name) {
        nb++;
    }
    struct option *o = xcalloc(na + nb + 1, sizeof(*o));
    memcpy(o, a, na * sizeof(*o));
    memcpy(o + na, b, nb * sizeof(*o));
    return o;
}
