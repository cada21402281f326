/* dkim: 6. VERIFY. RFC 6376 DKIM signature verification, with RFC 8301 (algorithm and key
 * size rules) and RFC 8463 (Ed25519).
 *
 * dkim_verify_message verifies every DKIM-Signature field of a message, up to a limit,
 * and gives one struct dkim_sig for each field seen: a result in RFC 8601 words and a reason
 * from enum dkim_reason. Steps for one signature, each ending the check on failure:
 *   1. tag-list syntax and required tags (§3.5, §6.1.1)        -> permerror sig_syntax
 *   2. algorithm (a=) known                                    -> permerror unsupported_algorithm
 *   3. key lookup (§6.1.2) through dns.h, parse via keycache    -> permerror key_* / temperror
 *   4. key record rules: k=, h=, s=, t=s (§3.6.1)              -> permerror key_*
 *   5. body hash (§3.7), computed once per (hash, canon, l=)   -> fail body_hash_mismatch
 *   6. header hash and signature (§3.7, RFC 8463 §3)           -> fail signature_mismatch
 *   7. acceptability: RFC 8301 (rsa-sha1, keys < 1024 bits), x= and t= against the
 *      evaluation time                                          -> policy sha1_rejected, ...
 * The crypto is checked before the acceptability rules so that the record tells both
 * (detail says "verifies, but ..."). t=y keys keep the crypto's result; testing is set.
 *
 * Result table (also in README):
 *   pass       none, testing_key
 *   fail       body_hash_mismatch, signature_mismatch
 *   policy     key_too_small, key_too_large, sha1_rejected, expired, future
 *   temperror  dns_temperror
 *   neutral    skipped_limit (over --max-signatures)
 *   permerror  everything else */
#ifndef AUTHSWEEP_DKIM_H
#define AUTHSWEEP_DKIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/dns.h"
#include "engine/canon/canon.h"
#include "engine/core/arena.h"
#include "engine/core/slice.h"
#include "engine/core/verdict.h"
#include "engine/header/hdr.h"
#include "engine/verify/keycache.h"

enum dkim_reason {
    DKIM_R_NONE = 0,
    DKIM_R_BODY_HASH_MISMATCH,
    DKIM_R_SIGNATURE_MISMATCH,
    DKIM_R_KEY_NOT_FOUND,
    DKIM_R_KEY_REVOKED,
    DKIM_R_KEY_SYNTAX,
    DKIM_R_KEY_TOO_SMALL,
    DKIM_R_KEY_TOO_LARGE,
    DKIM_R_KEY_TYPE_MISMATCH,
    DKIM_R_KEY_HASH_NOT_ALLOWED,
    DKIM_R_KEY_SERVICE,
    DKIM_R_KEY_SUBDOMAIN_FORBIDDEN,
    DKIM_R_TESTING_KEY,
    DKIM_R_EXPIRED,
    DKIM_R_FUTURE,
    DKIM_R_SIG_SYNTAX,
    DKIM_R_UNSUPPORTED_ALGORITHM,
    DKIM_R_SHA1_REJECTED,
    DKIM_R_DNS_TEMPERROR,
    DKIM_R_BODY_LENGTH_EXCEEDS,
    DKIM_R_SKIPPED_LIMIT,
    DKIM_R__COUNT
};

enum dkim_alg {
    DKIM_A_UNKNOWN = 0,
    DKIM_A_RSA_SHA256,
    DKIM_A_ED25519_SHA256,
    DKIM_A_RSA_SHA1,
};

struct dkim_sig {
    size_t field;         /* index of the DKIM-Signature field in the header index */
    slice d, s, i;        /* as written (i: "@d" if absent); SLICE_NULL if missing */
    slice a;              /* a= as written */
    slice c;              /* c= as written, or "simple/simple" when absent */
    slice b;              /* b= as written (for header.b in Authentication-Results) */
    enum dkim_alg alg;
    enum canon_alg hc, bc;
    unsigned bits;        /* key size, 0 if no key was parsed */
    bool has_l;
    uint64_t l;
    bool has_unsigned;    /* unsigned_body_bytes is known */
    uint64_t unsigned_body_bytes;
    bool testing;         /* key record t=y */
    enum auth_verdict result;
    enum dkim_reason reason;
    const char *detail;   /* static or arena text for people, or NULL */
};

struct dkim_opts {
    unsigned max_sigs; /* verified per message; more are skipped_limit */
    bool allow_sha1;   /* verify rsa-sha1 and flag it instead of sha1_rejected */
    int64_t now;       /* evaluation time for x= and t= */
    int64_t clock_skew; /* t= may be this far in the future (seconds) */
};

/* Per-thread state: reusable hash contexts. */
struct dkim_thread;
struct dkim_thread *dkim_thread_new(void);
void dkim_thread_free(struct dkim_thread *t);

struct dkim_report {
    struct dkim_sig *sig; /* arena array */
    size_t n;             /* entries in sig */
    size_t n_fields;      /* DKIM-Signature fields in the message (n may be fewer) */
    bool pending;         /* a key lookup is in flight: verify again later */
};

void dkim_verify_message(struct dkim_thread *t, struct arena *a, struct dns_resolver *r,
                         struct keycache *kc, const struct dkim_opts *o,
                         const struct hdr_index *h, struct dkim_report *out);

/* The per-message body-hash memo: one body hash per distinct (hash, body canonicalization,
 * l=), shared by every signature of one message that agrees on them, DKIM-Signature and
 * ARC-Message-Signature alike (engine/verify/arc.h). dkim_body_memo_new allocates an empty
 * one in the message's arena (it lives until the arena is reset). */
struct dkim_body_memo;
struct dkim_body_memo *dkim_body_memo_new(struct arena *a);

/* Body hashes computed ahead of verification (engine/verify/prehash.h hashes a whole
 * batch's bodies at once) and handed to a message's memo. Each entry is a finished body
 * hash of `body` for its (hash, canonicalization, l=); the memo uses an entry only when
 * the message's body is that very slice, and computes whatever is missing itself, so a
 * seed can save work but never change a result. */
#define DKIM_BODY_SEEDS 4
struct dkim_body_hash {
    enum sig_hash_alg halg;
    enum canon_alg canon;
    bool has_l;
    uint64_t l;
    uint64_t canon_len; /* the whole canonical body's length */
    size_t digest_len;
    uint8_t digest[SIG_MAX_DIGEST];
};
struct dkim_body_seeds {
    slice body; /* the body the hashes are of; SLICE_NULL: none */
    size_t n;
    struct dkim_body_hash h[DKIM_BODY_SEEDS];
};
/* dkim_body_memo_seed puts seeds into a memo fresh from dkim_body_memo_new. */
void dkim_body_memo_seed(struct dkim_body_memo *m, const struct dkim_body_seeds *seeds);
/* dkim_verify_message_memo is dkim_verify_message with a caller-given memo, so that the
 * pipeline can share body hashes with arc_verify_message for the same message.
 * dkim_verify_message is this with a fresh memo. */
void dkim_verify_message_memo(struct dkim_thread *t, struct arena *a, struct dns_resolver *r,
                              struct keycache *kc, const struct dkim_opts *o,
                              const struct hdr_index *h, struct dkim_body_memo *memo,
                              struct dkim_report *out);

const char *dkim_reason_name(enum dkim_reason r);
enum auth_verdict dkim_reason_verdict(enum dkim_reason r);
const char *dkim_alg_name(enum dkim_alg a);

#endif
