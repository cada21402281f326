/* fuzz_json: a strict RFC 8259 syntax check (depth-bounded) for the harnesses that produce
 * JSON: the pipeline's record, Authentication-Results and DMARC objects. */
#include "tests/fuzz/fuzz_json.h"

#include <string.h>

struct jp {
    const uint8_t *p, *end;
    unsigned depth;
};

static bool j_value(struct jp *j);

static void j_ws(struct jp *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')) {
        j->p++;
    }
}

static bool j_lit(struct jp *j, const char *lit)
{
    size_t n = strlen(lit);
    if ((size_t)(j->end - j->p) < n || memcmp(j->p, lit, n) != 0) {
        return false;
    }
    j->p += n;
    return true;
}

static bool j_string(struct jp *j)
{
    if (j->p >= j->end || *j->p != '"') {
        return false;
    }
    j->p++;
    while (j->p < j->end) {
        uint8_t c = *j->p++;
        if (c == '"') {
            return true;
        }
        if (c < 0x20) {
            return false;
        }
        if (c == '\\') {
            if (j->p >= j->end) {
                return false;
            }
            c = *j->p++;
            if (c == 'u') {
                for (int k = 0; k < 4; k++) {
                    if (j->p >= j->end || !slice_is(*j->p, CC_HEX)) {
                        return false;
                    }
                    j->p++;
                }
            } else if (!memchr("\"\\/bfnrt", c, 8)) {
                return false;
            }
        }
    }
    return false;
}

static bool j_number(struct jp *j)
{
    const uint8_t *s = j->p;
    if (j->p < j->end && *j->p == '-') {
        j->p++;
    }
    if (j->p >= j->end || !slice_is(*j->p, CC_DIGIT)) {
        return false;
    }
    if (*j->p == '0') {
        j->p++;
    } else {
        while (j->p < j->end && slice_is(*j->p, CC_DIGIT)) {
            j->p++;
        }
    }
    if (j->p < j->end && *j->p == '.') {
        j->p++;
        if (j->p >= j->end || !slice_is(*j->p, CC_DIGIT)) {
            return false;
        }
        while (j->p < j->end && slice_is(*j->p, CC_DIGIT)) {
            j->p++;
        }
    }
    return j->p > s;
}

static bool j_container(struct jp *j, uint8_t close, bool obj)
{
    if (++j->depth > 32) {
        return false;
    }
    j->p++;
    j_ws(j);
    if (j->p < j->end && *j->p == close) {
        j->p++;
        j->depth--;
        return true;
    }
    for (;;) {
        j_ws(j);
        if (obj) {
            if (!j_string(j)) {
                return false;
            }
            j_ws(j);
            if (j->p >= j->end || *j->p != ':') {
                return false;
            }
            j->p++;
        }
        if (!j_value(j)) {
            return false;
        }
        j_ws(j);
        if (j->p >= j->end) {
            return false;
        }
        if (*j->p == ',') {
            j->p++;
            continue;
        }
        if (*j->p == close) {
            j->p++;
            j->depth--;
            return true;
        }
        return false;
    }
}

static bool j_value(struct jp *j)
{
    j_ws(j);
    if (j->p >= j->end) {
        return false;
    }
    switch (*j->p) {
    case '{':
        return j_container(j, '}', true);
    case '[':
        return j_container(j, ']', false);
    case '"':
        return j_string(j);
    case 't':
        return j_lit(j, "true");
    case 'f':
        return j_lit(j, "false");
    case 'n':
        return j_lit(j, "null");
    default:
        return j_number(j);
    }
}

bool fuzz_json_ok(slice s)
{
    struct jp j = { s.ptr, s.ptr + s.len, 0 };
    j_ws(&j);
    if (!j_value(&j)) {
        return false;
    }
    j_ws(&j);
    return j.p == j.end;
}

