/* hdr: 3. PARSE HEADERS. An index of a message's header fields over the message bytes.
 *
 * RFC 5322 §2.2: the header section is a sequence of fields, each a name, a colon and a
 * value that may be folded onto continuation lines starting with WSP; an empty line ends
 * it. The index keeps every field in order (duplicates too), as slices into the message:
 * nothing is copied or unfolded in place. LF and CRLF line ends are both accepted; bytes
 * are never interpreted as C strings, so NUL and 8-bit bytes are just bytes.
 *
 * A line in the header section that is neither a field nor a continuation (no colon, or an
 * empty name) is kept as a field with name_ok = false: it still belongs to the header
 * block, but no lookup by name finds it. */
#ifndef AUTHSWEEP_HDR_H
#define AUTHSWEEP_HDR_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/core/arena.h"
#include "engine/core/slice.h"

struct hdr_field {
    slice raw;   /* the whole field: name, colon, value, folding, and its final line end */
    slice name;  /* field name as written (no trailing WSP) */
    slice value; /* bytes after the colon, up to (not including) the final line end */
    bool name_ok;
};

enum hdr_status {
    HDR_OK = 0,
    HDR_TOO_MANY_FIELDS, /* more than LIM_HEADER_FIELDS: the rest is in the body */
    HDR_FIELD_TOO_LONG,  /* a field over LIM_HEADER_FIELD_BYTES */
    HDR_NO_BODY_SEPARATOR, /* no empty line: all header, empty body (not an error for DKIM) */
};

struct hdr_index {
    struct hdr_field *f;
    size_t n;
    slice head; /* the header section, without the empty line that ends it */
    slice body; /* everything after that empty line (may be empty) */
    bool has_separator;
};

/* hdr_parse indexes the header fields of msg into *out (arena memory). Returns HDR_OK or
 * the first limit hit; on a limit error *out is still usable (fields up to the limit). */
enum hdr_status hdr_parse(struct arena *a, struct hdr_index *out, slice msg);
const char *hdr_status_name(enum hdr_status s);

/* hdr_find returns the index of the first field at or after `start` whose name equals
 * `name` case-insensitively, or -1. */
ptrdiff_t hdr_find(const struct hdr_index *h, slice name, size_t start);
/* hdr_count counts the fields named `name`. */
size_t hdr_count(const struct hdr_index *h, slice name);
/* hdr_unfold returns the value with CRLF/LF removed before WSP (RFC 5322 §2.2.3) and
 * surrounding FWS trimmed. Returns a slice of the original if nothing was folded. */
slice hdr_unfold(struct arena *a, slice value);

#endif
