/* canon: 4. CANONICALIZE. RFC 6376 §3.4 simple and relaxed canonicalization of header
 * fields and bodies, written to a byte sink (which hashes them; see verify/dkim.c).
 *
 * Line ends: mail in archives is often stored with LF only. Following every deployed
 * verifier (and RFC 6376 §5.3's note that the message is in CRLF form on the wire), a bare
 * LF is taken as CRLF, and CR LF stays CR LF. A CR not followed by LF is an ordinary byte.
 *
 * The sink buffers output and calls flush() with large blocks, so a hash update is not
 * paid per byte. The body functions return the count of canonical bytes produced. */
#ifndef AUTHSWEEP_CANON_H
#define AUTHSWEEP_CANON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/core/slice.h"

enum canon_alg {
    CANON_SIMPLE = 0,
    CANON_RELAXED = 1,
};

#define CANON_SINK_BUF 8192

struct canon_sink {
    void (*flush)(void *ctx, const uint8_t *p, size_t n);
    void *ctx;
    size_t len;      /* bytes waiting in buf */
    uint64_t total;
    uint8_t *buf;    /* ibuf, or the caller's memory (direct) */
    size_t cap;
    bool direct;     /* canon_sink_init_direct */
    bool overflow;   /* direct: output past cap was dropped */
    uint8_t ibuf[CANON_SINK_BUF];
};

void canon_sink_init(struct canon_sink *s, void (*flush)(void *, const uint8_t *, size_t),
                     void *ctx);
/* canon_sink_init_direct makes a sink that writes into out[0..cap) itself, so output that
 * must land in memory anyway is not copied twice: flush then receives spans of out (each
 * right after the last), and output past cap is dropped with overflow set. Size cap for
 * the whole output (a canonical body is at most 2 * len + 2 bytes). */
void canon_sink_init_direct(struct canon_sink *s,
                            void (*flush)(void *, const uint8_t *, size_t), void *ctx,
                            uint8_t *out, size_t cap);
void canon_sink_write(struct canon_sink *s, const uint8_t *p, size_t n);
void canon_sink_finish(struct canon_sink *s); /* flushes what is buffered */

/* canon_header writes one header field (raw: name, colon, value, folding, optional final
 * line end) in canonical form. with_crlf: end with CRLF (every signed field) or not (the
 * signature field itself, RFC 6376 §3.7). */
void canon_header(struct canon_sink *s, enum canon_alg alg, slice raw, bool with_crlf);
/* canon_header_without writes raw with the bytes of `cut` (a sub-slice of raw: the b= value
 * to be treated as empty, §3.7) left out. */
void canon_header_without(struct canon_sink *s, enum canon_alg alg, slice raw, slice cut,
                          bool with_crlf);
/* canon_header_relaxed_plain is relaxed canon_header_without as a plain byte loop, for the
 * tests to compare the event-scanning version with. */
void canon_header_relaxed_plain(struct canon_sink *s, slice raw, slice cut, bool with_crlf);
/* canon_body writes the canonical body (§3.4.3, §3.4.4) and returns its length. */
uint64_t canon_body(struct canon_sink *s, enum canon_alg alg, slice body);
/* canon_next_event returns the first index in [i, end) where body canonicalization must
 * do more than copy (an LF, a CR before an LF, and for relaxed a TAB or a SP before
 * SP/TAB/CR/LF/the end), or end. SSE2 where available; canon_next_event_plain is the byte
 * loop the tests compare it with. */
size_t canon_next_event(const uint8_t *p, size_t i, size_t end, bool relaxed);
size_t canon_next_event_plain(const uint8_t *p, size_t i, size_t end, bool relaxed);
/* canon_body_ref is a deliberately plain, obviously-correct version of canon_body that
 * builds the whole canonical body in memory (malloc'd, *out_len bytes); tests and fuzzers
 * compare the fast path against it. */
uint8_t *canon_body_ref(enum canon_alg alg, slice body, size_t *out_len);

#endif
