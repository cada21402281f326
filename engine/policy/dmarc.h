/* dmarc: 7. POLICY. DMARC evaluation from results the caller already has.
 *
 * RFC 9989 is the default; RFC 7489 can be evaluated instead, or both side by side.
 * dmarc_evaluate takes the author domain (or why there is none), the DKIM signatures as
 * verified and the SPF (MAIL FROM) result, and computes one struct dmarc_result per mode.
 * It never re-runs SPF or DKIM. Steps (RFC 9989 §5.3):
 *   1. author domain: exactly one, given by the caller (§5.3.1)  -> none no_author_domain
 *   2. policy discovery (§4.10.1): the DNS Tree Walk of §4.10 (at most 8 queries, psd=y/n
 *      stop it); RFC 7489 mode: the author domain, then its PSL Organizational Domain
 *      (RFC 7489 §6.6.3)                                          -> none no_policy /
 *                                                                   multiple_records
 *   3. record rules: v=DMARC1 first; no valid p (or a bad sp/np) is p=none when rua holds a
 *      valid URI, else unusable (§4.10.1)                         -> permerror invalid_policy
 *   4. alignment (§4.4, §4.10.2): any passing DKIM signature whose d= aligns; SPF when it
 *      passed for an aligned MAIL FROM domain (the HELO domain for a null path, RFC 7208
 *      §2.4, as §3.2.4 says); relaxed = same Organizational Domain (tree walk, or PSL)
 *   5. pass, or: a temporary error that could have given a pass    -> temperror
 *      (an aligned DKIM/SPF temperror, or DNS failing in a walk) (§5.3.6)
 *      else fail no_aligned_pass
 *   6. policy (§4.10.1): p at the author domain's own record; else sp if the author domain
 *      exists, np (falling back to sp, then p) if it does not (§3.2.13: NXDOMAIN for the
 *      author domain itself, asked through the resolver)
 *   7. policy_disposition: the policy, one step lower with t=y (§4.7 t tag); RFC 7489 mode:
 *      one step lower for the messages pct leaves out (§6.6.4), chosen deterministically
 *      by a hash of the message key (see struct dmarc_input.msg_key)
 *   8. disposition: RFC 9989 §7.4 forbids rejecting on p=reject alone, so reject becomes
 *      quarantine unless the caller has other knowledge (dmarc_config.apply_reject); RFC 7489
 *      mode applies reject.
 *
 * DNS goes through dns.h. A DNS_PENDING answer sets result.pending: nothing else in the
 * result is meaningful and the caller runs dmarc_evaluate again once answers arrived.
 *
 * Caching: every _dmarc.<name> answer (parsed) and every tree walk is kept for the run in a
 * sharded cache inside struct dmarc_ctx, keyed by (mode, name); a million messages from one
 * domain cost one walk. Temporary DNS failures are not cached. Lock protocol: see dmarc.c
 * (one mutex per shard, held only to search and insert; entries are immutable after insertion
 * and live until dmarc_ctx_free, so pointers into them need no reference count).
 *
 * Lifetimes: a dmarc_result's slices point into the cache (run lifetime), the arena given
 * to dmarc_evaluate (message lifetime) or the caller's input (dkim_aligned is a sig's d=). */
#ifndef AUTHSWEEP_DMARC_H
#define AUTHSWEEP_DMARC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/dns.h"
#include "engine/core/arena.h"
#include "engine/core/sbuf.h"
#include "engine/core/slice.h"
#include "engine/core/verdict.h"
#include "engine/verify/dkim.h"

enum dmarc_mode {
    DMARC_MODE_RFC9989 = 0,
    DMARC_MODE_RFC7489,
    DMARC_MODE_BOTH, /* config only: results are one of the two above */
};

/* A Domain Owner Assessment Policy value (§4.7 dmarc-request). */
enum dmarc_policy {
    DMARC_P_UNSET = 0, /* absent (or, in a result, no policy applies) */
    DMARC_P_NONE,
    DMARC_P_QUARANTINE,
    DMARC_P_REJECT,
    DMARC_P_INVALID,   /* present with a value outside dmarc-request */
};

/* Which tag the applied policy came from. */
enum dmarc_policy_tag { DMARC_TAG_NONE = 0, DMARC_TAG_P, DMARC_TAG_SP, DMARC_TAG_NP };

enum dmarc_psd { DMARC_PSD_U = 0, DMARC_PSD_Y, DMARC_PSD_N };

/* fo= flags (§4.7). */
#define DMARC_FO_0 1u
#define DMARC_FO_1 2u
#define DMARC_FO_D 4u
#define DMARC_FO_S 8u

/* Notes: facts worth telling that do not change the result. A bit set; names in the JSON. */
enum dmarc_note {
    DMARC_N_UNKNOWN_TAG = 1u << 0,     /* §4.7: unknown tags ignored */
    DMARC_N_TAG_SYNTAX = 1u << 1,      /* §4.8: a malformed tag-spec ignored */
    DMARC_N_BAD_VALUE = 1u << 2,       /* §4.8: a known tag with a bad value: default used */
    DMARC_N_DUPLICATE_TAG = 1u << 3,   /* a tag given twice: the first kept */
    DMARC_N_BAD_URI = 1u << 4,         /* a rua/ruf URI that is not a URI: ignored */
    DMARC_N_P_NONE_BY_RUA = 1u << 5,   /* §4.10.1: no valid p (or bad sp/np) but a rua */
    DMARC_N_PCT_IGNORED = 1u << 6,     /* RFC 9989 App. A.6: pct removed */
    DMARC_N_RF_IGNORED = 1u << 7,      /* RFC 9989 App. C.5.2: rf removed */
    DMARC_N_RI_IGNORED = 1u << 8,      /* RFC 9989 App. C.5.2: ri removed */
    DMARC_N_PCT_NOT_SAMPLED = 1u << 9, /* RFC 7489 §6.6.4: this message is outside pct */
    DMARC_N_MULTIPLE_RECORDS = 1u << 10, /* a name had several records, all discarded */
    DMARC_N_EXISTENCE_UNKNOWN = 1u << 11, /* the np existence check failed (result pass) */
    DMARC_N_NO_PSL_ORG = 1u << 12,     /* RFC 7489: the author domain is a public suffix */
    DMARC_N_FO_WITHOUT_RUF = 1u << 13, /* §4.7: fo is ignored without ruf */
    DMARC_N_SPF_NOT_RUN = 1u << 14,    /* no SPF result was given */
    DMARC_N__COUNT_BITS = 15
};

enum dmarc_reason {
    DMARC_R_NONE = 0,            /* pass */
    DMARC_R_NO_AUTHOR_DOMAIN,    /* §5.3.1: zero or several From domains (detail says which) */
    DMARC_R_BAD_AUTHOR_DOMAIN,   /* the From domain is not a DNS name */
    DMARC_R_NO_POLICY,           /* no DMARC Policy Record applies */
    DMARC_R_MULTIPLE_RECORDS,    /* no record applies, and a name had several */
    DMARC_R_INVALID_POLICY,      /* §4.10.1: no valid p / bad sp or np, and no valid rua */
    DMARC_R_NO_ALIGNED_PASS,     /* fail: no passing identifier aligns */
    DMARC_R_DNS_TEMPERROR,       /* a DMARC query (record, walk, existence) failed */
    DMARC_R_AUTH_TEMPERROR,      /* no pass, and an aligned SPF/DKIM check had a temperror */
    DMARC_R__COUNT
};

enum dmarc_class {
    DMARC_C_AUTHENTICATED = 0, /* pass */
    DMARC_C_SPOOFED,           /* fail, and the owner asks quarantine or reject */
    DMARC_C_SUSPICIOUS,        /* fail under a none policy */
    DMARC_C_UNPROTECTED,       /* no DMARC policy */
    DMARC_C_UNDETERMINED,      /* temperror/permerror, or no single author domain */
};

struct dmarc_uri {
    slice uri;         /* without the obsolete "!size" suffix */
    uint64_t max_size; /* the obsolete size in bytes, 0 when absent (§4.8: to be ignored) */
};

/* A parsed DMARC Policy Record. Tags of both RFCs are read; the mode decides which count. */
struct dmarc_record {
    slice text;                  /* the joined TXT strings */
    enum dmarc_policy p, sp, np; /* UNSET when absent, INVALID when unreadable */
    enum dmarc_psd psd;
    bool testing;                /* t=y */
    bool adkim_strict, aspf_strict;
    unsigned fo;                 /* DMARC_FO_* (DMARC_FO_0 by default) */
    bool has_pct, has_rf, has_ri;
    unsigned pct;                /* RFC 7489, 0..100 (100 when absent or invalid) */
    slice rf;                    /* RFC 7489 rf= as written */
    uint32_t ri;                 /* RFC 7489 ri= (86400 when absent or invalid) */
    const struct dmarc_uri *rua, *ruf; /* valid URIs only */
    size_t n_rua, n_ruf;
    unsigned notes;              /* DMARC_N_* about the record's syntax */
};

/* dmarc_record_parse parses one TXT record (§4.7, §4.8). False when it is not a DMARC
 * record: the first tag is not v=DMARC1 (value case-sensitive; the tag name, like every tag
 * name here, ASCII case-insensitive as RFC 5234 strings are). Anything else wrong is a note:
 * a malformed tag-spec or a bad value is ignored (the default stands), unknown tags are
 * ignored, a repeated tag keeps its first value. Slices point into text; arrays are in a. */
bool dmarc_record_parse(struct arena *a, slice text, struct dmarc_record *out);

struct dmarc_config {
    enum dmarc_mode mode;
    bool apply_reject;    /* RFC 9989 §7.4: the caller has other knowledge; reject applies */
    const char *psl_path; /* RFC 7489 list (--psl); NULL: libpsl's newest (psl_latest) */
};

struct dmarc_ctx;

/* dmarc_ctx_new makes the run's DMARC context (config copied; PSL loaded for rfc7489/both).
 * NULL when the PSL cannot be loaded, with a message in err. Thread-safe to use. */
struct dmarc_ctx *dmarc_ctx_new(const struct dmarc_config *cfg, char *err, size_t err_len);
void dmarc_ctx_free(struct dmarc_ctx *c);
/* dmarc_ctx_stats: walks computed and walk-cache hits (for --verbose and tests). */
void dmarc_ctx_stats(const struct dmarc_ctx *c, uint64_t *out_walks, uint64_t *out_hits);

struct dmarc_input {
    slice from_domain;          /* the author domain; empty when there is not exactly one */
    const char *from_error;     /* why there is none (the record's from_error word), or NULL */
    const struct dkim_sig *sigs;
    size_t n_sigs;
    bool spf_ran;               /* false: no SPF result (SPF not checked) */
    enum auth_verdict spf_result;
    slice spf_domain;           /* spf_result.domain: MAIL FROM domain, HELO for a null path */
    slice msg_key;              /* RFC 7489 pct sampling: Message-ID, or source + index. The
                                   message is inside pct when FNV-1a-64(msg_key) % 100 < pct,
                                   so every run takes the same messages. */
};

struct dmarc_result {
    enum dmarc_mode mode;              /* RFC9989 or RFC7489 */
    enum auth_verdict result;          /* AV_NONE, PASS, FAIL, TEMPERROR, PERMERROR */
    enum dmarc_reason reason;
    const char *detail;                /* static: e.g. the from_error word, or NULL */
    slice domain;                      /* author domain (lower case); SLICE_NULL if none */
    slice policy_domain;               /* where the applied record is; SLICE_NULL if none */
    slice org_domain;                  /* the author domain's Organizational Domain */
    const struct dmarc_record *record; /* the applied record (run lifetime), or NULL */
    enum dmarc_policy_tag policy;      /* which tag applies (NONE when no record applies) */
    enum dmarc_policy published;       /* that tag's value */
    enum dmarc_policy policy_disposition; /* after t=y (9989) or pct (7489); UNSET: none applies */
    enum dmarc_policy disposition;     /* what is applied to this message (§7.4) */
    slice dkim_aligned;                /* d= of the first passing aligned signature, or NULL */
    bool spf_aligned;                  /* SPF passed for an aligned domain */
    bool testing;                      /* 9989: t=y; 7489: pct < 100 */
    bool auth_pass;                    /* some SPF or DKIM identity passed, aligned or not */
    bool pending;                      /* a DNS answer is outstanding: evaluate again */
    bool differs;                      /* both mode: result or disposition differ */
    /* Local policy (RFC 9989 §7.3 / RFC 8617 §7.2.1): set by dmarc_apply_override when the
     * message failed but a trusted ARC sealer recorded dmarc=pass. The result stays fail;
     * disposition becomes what a receiver applying that local policy uses (none). */
    const char *override;              /* "trusted_forwarder", or NULL */
    slice override_by;                 /* the trusted sealer's d= */
    enum dmarc_policy disposition_before_override;
    const struct dmarc_result *other;  /* both mode, on the primary: the RFC 7489 result */
    unsigned notes;                    /* DMARC_N_* */
};

/* dmarc_evaluate computes the DMARC result(s) of one message. out_primary gets the
 * configured mode's result (RFC 9989 in both mode); out_other, when not NULL and the mode is
 * both, the RFC 7489 result, and out_primary->other points at it. a is the message arena. */
void dmarc_evaluate(struct dmarc_ctx *c, struct arena *a, struct dns_resolver *r,
                    const struct dmarc_input *in, struct dmarc_result *out_primary,
                    struct dmarc_result *out_other);

enum dmarc_class dmarc_class(const struct dmarc_result *r);

/* dmarc_apply_override marks a failing result as overridden by a trusted forwarder
 * (sealer: the trusted ARC sealer's domain). No effect unless r->result is AV_FAIL. */
void dmarc_apply_override(struct dmarc_result *r, slice sealer);

/* dmarc_result_json appends the record's "dmarc" object: result, domain, policy_domain,
 * org_domain, policy, policy_disposition, disposition, dkim_aligned, spf_aligned, testing,
 * reason, mode (in that order), then class, auth_pass, adkim/aspf/fo (when a record
 * applies), detail and notes (when any), and in both mode differs and other (the RFC 7489
 * object). False when the buffer limit is reached. */
MUSTCHECK bool dmarc_result_json(struct sbuf *b, const struct dmarc_result *r);

const char *dmarc_reason_name(enum dmarc_reason r);
const char *dmarc_class_name(enum dmarc_class c);
const char *dmarc_policy_name(enum dmarc_policy p);      /* "none", ...; NULL for UNSET */
const char *dmarc_policy_tag_name(enum dmarc_policy_tag t); /* "p", "sp", "np"; NULL */
const char *dmarc_mode_name(enum dmarc_mode m);
const char *dmarc_note_name(unsigned bit_index);

#endif
