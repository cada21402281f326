/* authres: the results other hosts recorded in the message. Authentication-Results
 * (RFC 8601), ARC-Authentication-Results (RFC 8617 §4.1.1: the same payload after
 * "i=N;"), Received-SPF (RFC 7208 §9.1), and the choice of which of them to believe.
 *
 * authres_parse reads
 *     authres-payload = [CFWS] authserv-id [ CFWS authres-version ]
 *                       ( no-result / 1*resinfo ) [CFWS] CRLF
 *     resinfo = [CFWS] ";" methodspec [ CFWS reasonspec ] [ CFWS 1*propspec ]
 * with CFWS allowed between every token (RFC 8601 Appendix B.7), and tolerates what real
 * hosts write: no authserv-id (Microsoft's "dkim=none ...;dmarc=none action=none ..."), no
 * ';' before the first resinfo (Yahoo "mta1001.mail.yahoo.com  from=yahoo.com; ..."), a
 * version after the id ("mx.microsoft.com 1;"), "none" as the only result, quoted values,
 * empty values ("smtp.mail=;"), properties without a ptype (Microsoft "action=none"; kept
 * with an empty ptype), a property split off by a stray ';' (Yahoo "dkim=permerror (bad
 * sig); header.i=@yahoo.co.jp": attached to the resinfo before it), a missing ';' between
 * two resinfos (recognised when a dot-less key is a registered method name), unknown
 * methods (kept), any case in method and result words, and a leading "i=N;" instance tag
 * (ARC-Authentication-Results; accepted in either field). Work is linear in the input;
 * comment nesting is a counter. Slices point into the input (quotes removed, quoted-pairs
 * left as written); arrays are arena memory.
 *
 * authres_spf_parse reads Received-SPF: a result word, an optional comment, then key=value
 * pairs separated by ';' or (tolerated) white space.
 *
 * What is "recorded" (authres_recorded_get). Only results written inside the trust boundary
 * count, and RFC 8601 §5 identifies those by authserv-id, so the caller names the trusted
 * ids (compared ASCII case-insensitively).
 *   - The anchor is the newest (topmost) Authentication-Results field with a trusted
 *     authserv-id. No such field: nothing is recorded (found = false), and Received-SPF is
 *     not used either, because nothing anchors it.
 *   - The anchor's hop is the run of header fields between the Received field above the
 *     anchor (if any) and the first Received field below it. RFC 5321 §4.4, RFC 8601 §5 and
 *     RFC 7208 §9.1 all have a host prepend its trace fields above its own Received field,
 *     so fields in one hop come from one host. Trusted-id Authentication-Results fields in
 *     the anchor's hop are merged (OpenDKIM, OpenDMARC and an SPF policy daemon each add
 *     their own field); those in lower hops are not, since a boundary that does not remove
 *     forged fields (RFC 8601 §5) lets a sender plant them there.
 *   - spf: the first spf resinfo in the hop's trusted fields, top down. If there is none,
 *     the topmost Received-SPF field that lies above the anchor or in its hop: a field
 *     there was written by the trusted host or after it, while one below the hop could have
 *     come with the message. receiver= is not used to decide trust: the writer of the
 *     field chooses it.
 *   - dkim: every dkim resinfo of the hop's trusted fields, in header order, with
 *     header.d, header.i and header.b when present.
 *   - dmarc: the first dmarc resinfo, with header.from and policy.dmarc.
 * Result words are reported in lower case RFC 8601 vocabulary when known ("hardfail" is
 * fail), else as written. */
#ifndef AUTHSWEEP_AUTHRES_H
#define AUTHSWEEP_AUTHRES_H

#include "engine/core/limits.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/core/arena.h"
#include "engine/core/sbuf.h"
#include "engine/core/slice.h"
#include "engine/core/verdict.h"
#include "engine/header/hdr.h"

/* Limits (to move into engine/core/limits.h when this module is wired in). */
#define AUTHRES_MAX_RESINFO LIM_AUTHRES_RESINFO
#define AUTHRES_MAX_PROPS LIM_AUTHRES_PROPS
#define AUTHRES_MAX_KV LIM_AUTHRES_KV
/* A result word as written, and its meaning when it is one of RFC 8601's. */
struct authres_word {
    slice text;
    enum auth_verdict verdict; /* valid when known */
    bool known;
};

struct authres_prop {
    slice ptype;    /* "header", "smtp", "policy", "body"; SLICE_NULL for "action=none" */
    slice property; /* "d", "mailfrom", ... */
    slice value;    /* quotes removed; may be empty */
};

struct authres_resinfo {
    slice method;         /* as written ("dkim", "SPF", "x-foo") */
    slice method_version; /* "1" in "dkim/1", else SLICE_NULL */
    struct authres_word result;
    slice reason;         /* reason="..." value, or SLICE_NULL */
    slice comment;        /* the first comment after the result (no parentheses), or NULL */
    struct authres_prop *props;
    size_t n_props;
};

struct authres_field {
    bool has_instance;    /* "i=N;" came first (ARC-Authentication-Results) */
    uint64_t instance;
    slice authserv_id;    /* SLICE_NULL when the field has none */
    slice version;        /* "1" in "example.org 1;", else SLICE_NULL */
    bool none;            /* "; none": no authentication was done */
    struct authres_resinfo *ri;
    size_t n_ri;
    unsigned deviations;  /* tolerated departures from RFC 8601 syntax (0: conformant) */
};

enum authres_status {
    AUTHRES_OK = 0,   /* an authserv-id, "none", or at least one resinfo */
    AUTHRES_EMPTY,    /* nothing but white space and comments */
    AUTHRES_SYNTAX,   /* no authserv-id, no "none" and no resinfo could be read */
    AUTHRES_TOO_MANY, /* over AUTHRES_MAX_RESINFO / _PROPS: *out holds what came first */
};

/* authres_parse parses one Authentication-Results or ARC-Authentication-Results value
 * (the bytes after the colon, folding included) into *out (arena memory, slices into
 * value). *out is always fully written and usable whatever the status. */
enum authres_status authres_parse(struct arena *a, struct authres_field *out, slice value);
const char *authres_status_name(enum authres_status s);

/* authres_prop_get finds the first property ptype.property (ASCII case-insensitive) of r;
 * ptype SLICE_NULL finds a property written without one. False if absent. */
bool authres_prop_get(const struct authres_resinfo *r, slice ptype, slice property,
                      slice *out);

struct authres_kv {
    slice key;
    slice value; /* quotes removed */
};

/* Received-SPF (RFC 7208 §9.1). The named slices are SLICE_NULL when absent;
 * envelope_from has surrounding <> removed (the pair keeps them). */
struct authres_spf_field {
    struct authres_word result;
    slice comment;
    slice client_ip, envelope_from, helo, receiver, identity, mechanism, problem;
    struct authres_kv *kv;
    size_t n_kv;
};

/* authres_spf_parse parses a Received-SPF value into *out (arena memory). False when no
 * result word could be read (*out is still fully written). */
bool authres_spf_parse(struct arena *a, struct authres_spf_field *out, slice value);

struct authres_recorded_dkim {
    struct authres_word result;
    slice d, i, b; /* header.d / header.i / header.b, or SLICE_NULL */
};

struct authres_recorded {
    bool found;            /* a trusted Authentication-Results field exists */
    slice authserv_id;     /* as written in the anchor field */
    ptrdiff_t field;       /* header index of the anchor, or -1 */

    bool has_spf;
    const char *spf_source; /* "authentication-results" or "received-spf" */
    ptrdiff_t spf_field;    /* header index the spf result came from */
    struct authres_word spf_result;
    slice spf_mailfrom;     /* smtp.mailfrom (A-R) or envelope-from (Received-SPF) */
    slice spf_helo;         /* smtp.helo (A-R) or helo (Received-SPF) */

    struct authres_recorded_dkim *dkim;
    size_t n_dkim;

    bool has_dmarc;
    struct authres_word dmarc_result;
    slice dmarc_header_from, dmarc_policy; /* header.from, policy.dmarc */
};

/* authres_recorded_get applies the trust rules above to the header index h. *out is
 * always fully written (arena memory, slices into the message). */
void authres_recorded_get(struct arena *a, struct authres_recorded *out,
                          const struct hdr_index *h, const slice *trusted_ids,
                          size_t n_trusted_ids);

/* authres_recorded_json appends r as one JSON value: null when !r->found, else
 *   {"authserv_id":..., "spf":{"result","smtp_mailfrom","smtp_helo","source"}|null,
 *    "dkim":[{"result","d","i","b"}...], "dmarc":{"result","header_from","policy"}|null}
 * Absent properties are null. False when the buffer limit was reached (b may then hold a
 * partial value; the caller discards the record). */
MUSTCHECK bool authres_recorded_json(struct sbuf *b, const struct authres_recorded *r);

#endif
