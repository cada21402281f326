/* ar: 8. REPORT. The Authentication-Results header field (RFC 8601) a receiver would have
 * added for a message, from its struct msg_result.
 *
 *   Authentication-Results: mx.example.org;
 *     dkim=pass header.d=example.com header.s=sel header.i=@example.com
 *       header.a=rsa-sha256 header.b=aBcDeFgH;
 *     spf=pass smtp.mailfrom=user@example.com smtp.helo=mail.example.com;
 *     dmarc=pass header.from=example.com policy.dmarc=none
 *
 * One resinfo per DKIM signature listed (dkim=none for an unsigned message), one for SPF
 * (MAIL FROM identity) and one for DMARC, each only when that check ran; "; none" when no
 * check ran (an error record). Properties are the registered ones: dkim header.d, header.s,
 * header.i, header.a (RFC 8601 §6.3), header.b (RFC 6008: the shortest prefix, at least 8
 * characters, that tells the message's signatures apart); spf smtp.mailfrom, smtp.helo;
 * dmarc header.from (RFC 7489 §11.1) and policy.dmarc (RFC 9989 §9.1: the disposition
 * applied). A reason="..." follows the result when it says something (the machine-readable
 * reason of the JSON record).
 *
 * Safety: every value is a MIME token, an RFC 8601 pvalue of the [local-part "@"]
 * domain-name form, or else a quoted-string; '"' and '\' are quoted-pairs. A value with a
 * byte outside printable ASCII is written percent-encoded ("%HH" for such bytes and for '%'
 * itself) inside quotes, so no such byte is ever emitted raw; a value longer than
 * AR_VALUE_MAX bytes is cut there and ends in "...". Lines are folded before a word that
 * would pass column AR_FOLD_COLUMN; one word longer than a line stays whole.
 *
 * Line ends are LF; callers that need CRLF convert (annotate does, per message). */
#ifndef AUTHSWEEP_AR_H
#define AUTHSWEEP_AR_H

#include "engine/core/limits.h"

#include <stdbool.h>

#include "engine/core/arena.h"
#include "engine/core/sbuf.h"
#include "engine/core/slice.h"
#include "engine/report/record.h"

#define AR_FOLD_COLUMN 78u /* RFC 5322 §2.1.1: lines SHOULD be at most 78 characters */
#define AR_VALUE_MAX LIM_AR_VALUE_BYTES
#define AR_SOURCE_MAX LIM_AR_SOURCE_BYTES
#define AR_HEADER_MAX LIM_AR_HEADER_BYTES
struct ar_opts {
    slice authserv_id; /* RFC 8601 §2.5: the receiver's name (a token, or quoted) */
};

/* ar_authserv_id_ok: id can be an authserv-id here: 1..255 bytes of printable ASCII
 * without spaces. (It is written as a token when it is one, else quoted.) */
bool ar_authserv_id_ok(slice id);

/* ar_header appends the Authentication-Results field for r, folded, ending in LF. a is
 * scratch memory for the message (the worker's arena). False if b's limit was reached. */
MUSTCHECK bool ar_header(struct sbuf *b, struct arena *a, const struct ar_opts *o,
                         const struct msg_result *r);

/* ar_block appends one --format ar block: an X-Authsweep-Source field naming the message
 * (quoted source path; index; offset for mbox messages), the Authentication-Results field,
 * then an empty line. The whole output is thus a series of RFC 5322 header blocks. */
MUSTCHECK bool ar_block(struct sbuf *b, struct arena *a, const struct ar_opts *o,
                        const struct msg_result *r);

/* ar_value appends v as an RFC 8601 value (token or quoted-string) under the rules above;
 * pvalue also allows the [local-part "@"] domain-name form unquoted. For tests and for the
 * other writers that print header-safe text. */
MUSTCHECK bool ar_value(struct sbuf *b, slice v, bool pvalue);

#endif
