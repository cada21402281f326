/* received: the Received trace field (RFC 5321 §4.4), and the choice of the SMTP client that
 * SPF (RFC 7208) is evaluated for when a message is checked from an archive.
 *
 * Parsing. RFC 5321 §4.4 gives
 *     Stamp = From-domain By-domain Opt-info [CFWS] ";" FWS date-time
 *     Extended-Domain = Domain / ( Domain FWS "(" TCP-info ")" )
 *                              / ( address-literal FWS "(" TCP-info ")" )
 * but real MTAs write many variants, so rcv_parse is a tolerant tokenizer, not a grammar:
 * the value before the last ';' outside comments is split into words and comments; the
 * words FROM, BY, VIA, WITH, ID and FOR (any case, first occurrence each) open clauses, and
 * the word after each is its value; comments after the FROM value are read as TCP-info.
 * The date is whatever follows the last ';' (RFC 5322 date-time, obsolete forms allowed).
 * Shapes understood in TCP-info (and tested): Postfix/Sendmail "(rdns [192.0.2.1])",
 * "(unknown [192.0.2.1])", "[IPv6:2001:db8::1]", a ":port" after the ']', Sendmail's
 * nested "(may be forged)" and "ident@rdns", Exim "([192.0.2.1] helo=x)" and
 * "from [192.0.2.1] (helo=x)", qmail/Yahoo/qpsmtpd "(HELO x) (192.0.2.1)", Microsoft's bare
 * address "(2603:10a6::12)", Gmail's "rdns. [ip]". Work is linear in the value length;
 * comment nesting is a counter (no recursion, no limit needed). Nothing is allocated: every
 * output slice points into the input.
 *
 * Which address and HELO. The client address is, in order: the first address found in a
 * TCP-info comment; else the FROM value if it is an address literal "[...]"; else the FROM
 * value if it is a bare address. The HELO name is, in order: an explicit "helo=x", "HELO x"
 * or "EHLO x" in TCP-info; else the FROM value unless it is an address (in RFC 5321 the
 * FROM value is the EHLO argument; an address literal there means no HELO domain, for
 * which RFC 7208 §2.3 performs no HELO check).
 *
 * Selection for SPF (rcv_select_spf). RFC 7208 judges the connection seen by the ADMD's
 * boundary MTA, which is recorded in the FROM clause of the Received field that MTA wrote.
 * Received fields are numbered from the top (newest) of the header: "received[k]" is the
 * (k+1)th Received field from the top, 0-based.
 *   1. nth > 0 (--spf-received N): the Nth Received field from the top, 1-based, used as is
 *      (any address, internal ones too: the user chose it). Fewer fields than N gives
 *      reason "received_out_of_range"; no address in it gives "no_client_ip". nth wins
 *      over trust_by when both are given (the more specific instruction).
 *   2. n_trust_by > 0 (--spf-trust-by HOST): the newest Received field whose BY host is one
 *      of trust_by (ASCII case-insensitive, a final '.' ignored on both sides; an entry
 *      starting with '.' matches any subdomain of what follows it) and whose client
 *      address is not internal (see 3): that MTA is the boundary and its FROM clause the
 *      client. Fields where a trusted host received from an internal address (Postfix
 *      re-injection from amavis on 127.0.0.1, a host's own submission) are passed over;
 *      only when every matching field is like that is the newest matching one used as is
 *      (no address in it: "no_client_ip"). No BY host matches: "trust_by_not_found".
 *   3. Default: the newest Received field whose FROM clause carries a client address that
 *      is not internal. Internal means loopback, unspecified, RFC 1918, RFC 6598 shared
 *      (100.64/10), link-local (169.254/16, fe80::/10) and IPv6 ULA (fc00::/7): such a hop
 *      (a content filter on 127.0.0.1, an internal relay) is never the boundary, and taking
 *      it would make SPF judge the wrong host. Documentation ranges count as public, since
 *      test corpora use them as stand-ins. Nothing usable: "no_client_ip" (no Received at
 *      all: "no_received").
 * The selection reports the field (header index), its ordinal, the parsed field, and a
 * source text "received[k]" (default, nth) or "received[k] by HOST" (trust_by). */
#ifndef AUTHSWEEP_RECEIVED_H
#define AUTHSWEEP_RECEIVED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/core/arena.h"
#include "engine/core/slice.h"
#include "engine/header/hdr.h"
#include "engine/policy/spf.h"

enum rcv_ip_src {
    RCV_IP_NONE = 0,
    RCV_IP_TCPINFO,      /* in a comment after the FROM value (the connection's address) */
    RCV_IP_FROM_LITERAL, /* the FROM value is "[192.0.2.1]" (Exim without rDNS, Postfix) */
    RCV_IP_FROM_BARE,    /* the FROM value is a bare address, no TCP-info address */
};

struct rcv_field {
    bool has_from, has_by;
    slice from;       /* the word after FROM as written (EHLO name, rDNS name or literal) */
    slice helo;       /* HELO/EHLO name (see above); SLICE_NULL when unknown */
    slice rdns;       /* reverse-DNS name from TCP-info; SLICE_NULL if absent or "unknown" */
    slice ip_text;    /* the client address as written, without [], "IPv6:" and ":port" */
    struct spf_ip ip; /* valid when ip_src != RCV_IP_NONE */
    enum rcv_ip_src ip_src;
    bool may_be_forged; /* Sendmail: the rDNS name does not map back to the address */
    slice by;         /* the word after BY */
    slice by_comment; /* the first comment after the BY value, without parentheses */
    slice via, with, id, for_; /* clause values; WITH may span words ("Microsoft SMTP Server") */
    slice date_text;  /* bytes after the last ';' (trimmed); SLICE_NULL when no ';' */
    bool has_date;    /* date_text parsed as an RFC 5322 date-time */
    int64_t date;     /* Unix seconds, when has_date */
};

/* rcv_parse parses one Received field value (the bytes after the colon, folding included)
 * into *out. Total over any bytes; *out is always fully written. Returns true when a FROM
 * or BY clause was found. Slices point into value. */
bool rcv_parse(struct rcv_field *out, slice value);

/* rcv_ip_is_internal reports whether ip is loopback, unspecified, private (RFC 1918,
 * RFC 6598), link-local or IPv6 unique-local. */
bool rcv_ip_is_internal(const struct spf_ip *ip);

struct rcv_select_opts {
    int nth;                /* --spf-received N: the Nth Received from the top, 1-based; 0 = default */
    const slice *trust_by;  /* --spf-trust-by HOST values */
    size_t n_trust_by;
};

enum rcv_select_status {
    RCV_SEL_OK = 0,
    RCV_SEL_NO_RECEIVED,     /* reason "no_received": the message has no Received field */
    RCV_SEL_NO_CLIENT_IP,    /* reason "no_client_ip": no usable FROM address (see rules) */
    RCV_SEL_OUT_OF_RANGE,    /* reason "received_out_of_range": fewer than nth Received */
    RCV_SEL_TRUST_BY_NOT_FOUND, /* reason "trust_by_not_found": no BY host matches */
};

struct rcv_selection {
    enum rcv_select_status status;
    const char *reason;   /* static name of status; NULL when RCV_SEL_OK */
    struct spf_ip ip;     /* the client address (RCV_SEL_OK) */
    slice ip_text;
    slice helo;           /* HELO name, SLICE_NULL if the field has none */
    ptrdiff_t field;      /* index into the header index, or -1 when no field was chosen */
    size_t ordinal;       /* 0-based among Received fields, from the top (when field >= 0) */
    struct rcv_field parsed; /* the chosen field, parsed (when field >= 0) */
    slice source;         /* "received[k]" / "received[k] by HOST" (arena), or SLICE_NULL */
};

/* rcv_select_spf chooses the Received field and client address for SPF from the header
 * index h, per the rules at the top of this file. *out is always fully written; the source
 * text is arena memory, other slices point into the message. Returns out->status.
 * An opts of NULL means the default rule. */
enum rcv_select_status rcv_select_spf(struct arena *a, struct rcv_selection *out,
                                      const struct hdr_index *h,
                                      const struct rcv_select_opts *opts);
/* A field the caller has parsed already (the pipeline parses the topmost Received field
 * for the evaluation time): rcv_select_spf_memo uses it instead of parsing that field
 * again. field is an index into the header index, or -1 for none. */
struct rcv_memo {
    ptrdiff_t field;
    struct rcv_field parsed;
};
enum rcv_select_status rcv_select_spf_memo(struct arena *a, struct rcv_selection *out,
                                           const struct hdr_index *h,
                                           const struct rcv_select_opts *opts,
                                           const struct rcv_memo *memo);
const char *rcv_select_status_name(enum rcv_select_status s);

#endif
