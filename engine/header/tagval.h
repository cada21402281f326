/* tagval: RFC 6376 §3.2 tag=value lists, shared by DKIM-Signature, DKIM key records, ARC
 * and DMARC records.
 *
 *   tag-list = tag-spec *( ";" tag-spec ) [ ";" ]
 *   tag-spec = [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
 *   tag-name = ALPHA *ALNUMPUNC        (ALNUMPUNC = ALPHA / DIGIT / "_")
 *
 * Values are slices into the input with surrounding FWS removed (inner FWS kept: callers
 * that need it gone, e.g. base64, skip it). A duplicate tag name is a syntax error
 * (§3.2: "Tags with duplicate names MUST NOT occur"); so is a malformed tag-spec. Names
 * are case-sensitive (§3.2). */
#ifndef AUTHSWEEP_TAGVAL_H
#define AUTHSWEEP_TAGVAL_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/core/arena.h"
#include "engine/core/slice.h"

struct tv_pair {
    slice name;
    slice value;
    slice raw_value; /* the value with its surrounding FWS, as written (for b= removal) */
};

struct tv_list {
    size_t n;
    struct tv_pair *v;
};

enum tv_status {
    TV_OK = 0,
    TV_E_SYNTAX,    /* a tag-spec without '=' or with a bad name, or a bad value byte */
    TV_E_DUPLICATE, /* the same tag twice */
    TV_E_TOO_MANY,  /* more than LIM_DKIM_TAGS */
};

/* tv_parse parses s into *out (arena memory). On error, *bad is set to the offending
 * tag-spec. strict_value: reject value bytes outside RFC 6376 tval (VCHAR except ';')
 * and FWS. */
enum tv_status tv_parse(struct arena *a, struct tv_list *out, slice s, slice *bad);
/* tv_get returns the value of tag `name`, or false if absent. */
bool tv_get(const struct tv_list *l, slice name, slice *out);
const struct tv_pair *tv_find(const struct tv_list *l, slice name);
const char *tv_status_name(enum tv_status s);
/* tv_list_has reports whether a colon-separated tag value (h=, q=, s=, t= ...) names `want`,
 * ASCII case-insensitively, FWS around items ignored. */
bool tv_list_has(slice list, slice want);

#endif
