/* dkim_internal: the DKIM verification steps that ARC (engine/verify/arc.c) shares with
 * dkim.c. Only files in engine/verify/ include this header.
 *
 * A signature is checked in two calls:
 *   dkim_sig_parse   tag-list syntax under one of three profiles (below): steps 1-2 of dkim.h
 *   dkim_sig_verify  steps 3-7 of dkim.h, in order, each ending the check on failure:
 *     dkim_key_get       key retrieval (§6.1.2) through dns.h and the keycache, key-record
 *                        rules (§3.6.1) and the RSA size ceiling
 *     dkim_body_check    body hash through the per-message memo (§3.7), l= rules
 *                        (profiles with a body only)
 *     dkim_h_select +    header hash over a field list: the fields h= names (DKIM, AMS) or
 *     dkim_header_hash   a list the caller gives (ARC-Seal, RFC 8617 §5.1.1), then the
 *                        signature field itself with b= emptied
 *     dkim_crypto_check  signature check, then acceptability (RFC 8301, x=, t=)
 *
 * Profiles (what differs between DKIM-Signature and the two signed ARC fields):
 *   DKIM  required v a b bh d h s; v=1; i= is the AUID (§3.5); From must be in h=
 *   AMS   required i a b bh d h s; v= ignored (RFC 8617 §4.1.2); i= is the instance (1..50,
 *         §4.2.1); h= must not name ARC-Seal
 *   AS    required i a b d s cv; no body, relaxed header canonicalization only, h= forbidden
 *         (§4.1.3); cv= is none, pass or fail; tags other than i a b d s t cv are ignored
 * The algorithms allowed are the same for all three (rsa-sha256, ed25519-sha256; rsa-sha1
 * parses but fails acceptability unless the caller's options allow it). */
#ifndef AUTHSWEEP_DKIM_INTERNAL_H
#define AUTHSWEEP_DKIM_INTERNAL_H

#include "engine/core/limits.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/header/tagval.h"
#include "engine/verify/dkim.h"
#include "engine/verify/sig.h"

/* RFC 8617 §4.2.1: instance values range from 1 to 50; a protocol constant, not a tunable
 * limit (so not in limits.h). */
#define DKIM_ARC_MAX_INSTANCE LIM_ARC_INSTANCES
enum dkim_profile {
    DKIM_PROFILE_DKIM = 0,
    DKIM_PROFILE_AMS,
    DKIM_PROFILE_AS,
};

/* ARC-Seal cv= (RFC 8617 §4.1.3, §4.4). */
enum dkim_cv {
    DKIM_CV_ABSENT = 0,
    DKIM_CV_NONE,
    DKIM_CV_PASS,
    DKIM_CV_FAIL,
    DKIM_CV_INVALID,
};

/* What dkim_sig_parse keeps beyond struct dkim_sig: arena memory, valid for the message. */
struct dkim_parsed {
    struct tv_list tags;
    const struct tv_pair *b_pair;
    slice h;
    uint8_t *bsig;
    size_t bsig_len;
    uint8_t bh[SIG_MAX_DIGEST];
    size_t bh_len;
    bool has_t, has_x;
    uint64_t t, x;
    slice i_domain;    /* DKIM: the decoded i= domain (d= when i= is absent); ARC: d= */
    unsigned instance; /* ARC: i= when it is 1..50 (1*2DIGIT), else 0 */
    bool has_instance; /* ARC: an i= tag is present (instance may still be 0: malformed) */
    enum dkim_cv cv;   /* AS: cv= */
};

/* dkim_sig_parse parses the field value `value` under profile p into *out (d, s, i, a, c, b,
 * alg, hc, bc, l) and *ps. Returns DKIM_R_NONE, DKIM_R_SIG_SYNTAX or
 * DKIM_R_UNSUPPORTED_ALGORITHM (out->detail says why). For ARC profiles ps->instance,
 * ps->has_instance and ps->cv are filled as soon as the tag-list itself parses, even when a
 * later rule fails, so that the chain's structure can be judged. */
enum dkim_reason dkim_sig_parse(struct arena *a, enum dkim_profile p, slice value,
                                struct dkim_sig *out, struct dkim_parsed *ps);

/* The per-message body-hash memo (struct dkim_body_memo, dkim.h) is shared by every
 * signature of a message whatever its profile. */

/* What the verification steps need from their caller; every pointer is borrowed. */
struct dkim_env {
    struct dkim_thread *t;
    struct arena *a;
    struct dns_resolver *r;
    struct keycache *kc;
    const struct dkim_opts *o;
    const struct hdr_index *h;
    struct dkim_body_memo *memo;
    bool *pending; /* set when a key lookup answered DNS_PENDING */
};

/* dkim_key_get fetches and checks the key for s (s= and d=): on DKIM_R_NONE *out is the
 * entry (release with keycache_put) and s->bits, s->testing are set. On any other result
 * nothing is held. A DNS_PENDING answer sets *e->pending and returns DKIM_R_DNS_TEMPERROR. */
enum dkim_reason dkim_key_get(const struct dkim_env *e, struct dkim_sig *s,
                              const struct dkim_parsed *ps, const struct keycache_entry **out);

/* dkim_parse_canon reads a c= value ("head/body", body default simple, §3.5). False when
 * either part is neither simple nor relaxed. */
bool dkim_parse_canon(slice c, enum canon_alg *hc, enum canon_alg *bc);

/* dkim_body_check compares the body hash (memoised per (hash, c=, l=)) with bh= and applies
 * §3.5's l= rules; sets s->has_unsigned / unsigned_body_bytes. */
enum dkim_reason dkim_body_check(const struct dkim_env *e, struct dkim_sig *s,
                                 const struct dkim_parsed *ps);

/* dkim_h_select resolves the colon-separated field names of h= against the header index as
 * §5.4.2 says (each name takes the next unused instance from the bottom; a name with none
 * left contributes nothing). *out_fields is arena memory. */
void dkim_h_select(struct arena *a, const struct hdr_index *h, slice names,
                   const struct hdr_field ***out_fields, size_t *out_n);

/* dkim_header_hash hashes fields[0..n) (each with its CRLF), then `self` with the bytes of
 * `b_raw` (its b= value) left out and no final CRLF (§3.7), under canonicalization hc. */
size_t dkim_header_hash(struct dkim_thread *t, struct arena *a,
                        const struct hdr_field *const *fields, size_t n,
                        const struct hdr_field *self, slice b_raw, enum canon_alg hc,
                        enum sig_hash_alg halg, uint8_t out[SIG_MAX_DIGEST]);

/* dkim_crypto_check verifies b= over the header digest with key k, then applies step 7
 * (RFC 8301 rsa-sha1 and key size, x=, t= against o->now). */
enum dkim_reason dkim_crypto_check(struct dkim_thread *t, const struct dkim_opts *o,
                                   const struct keycache_entry *k, const uint8_t *digest,
                                   size_t digest_len, struct dkim_sig *s,
                                   const struct dkim_parsed *ps);

/* dkim_sig_verify runs steps 3-7 for a signature parsed by dkim_sig_parse under profile p.
 * self is the signature's own field. fields/n_fields: for DKIM_PROFILE_AS the fields the
 * seal signs, in order (RFC 8617 §5.1.1); for the other profiles NULL (h= selects them). */
enum dkim_reason dkim_sig_verify(const struct dkim_env *e, enum dkim_profile p,
                                 const struct hdr_field *self,
                                 const struct hdr_field *const *fields, size_t n_fields,
                                 struct dkim_sig *s, const struct dkim_parsed *ps);

#endif
