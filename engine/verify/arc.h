/* arc: 6. VERIFY. RFC 8617 Authenticated Received Chain validation.
 *
 * arc_verify_message collects the ARC Sets of a message (ARC-Seal, ARC-Message-Signature,
 * ARC-Authentication-Results grouped by instance i=1..N) and runs RFC 8617 §5.2 in order,
 * stopping at the first failure with a reason naming the check and the instance:
 *   1. no ARC field at all                                   -> none
 *      more than 50 fields of one kind                       -> too_many_sets
 *   i= syntax of every field (1*2DIGIT, 1..50, §4.2.1)       -> {as,ams,aar}_instance_invalid
 *   2. an ARC-Seal with cv=fail (§5.2 step 2, 3C)            -> cv_fail i=K
 *   3. exactly one AS, AMS, AAR per instance 1..N (3A, 3B)   -> instance_gap i=K,
 *                                                                {as,ams,aar}_missing i=K,
 *                                                                {as,ams,aar}_duplicate i=K
 *      cv= of instance 1 is none, of later ones pass (3C)    -> as_cv_invalid, cv_not_none,
 *                                                                cv_not_pass i=K
 *   4. the AMS of instance N verifies (DKIM rules, §4.1.2)   -> ams_<dkim reason> i=N
 *   5. oldest-pass: older AMS from N-1 down, while they verify (informational)
 *   6. every AS from N down to 1 verifies (§5.1.1 scope)     -> as_<dkim reason> i=K
 * The AMS and AS checks are engine/verify/dkim.c's (dkim_internal.h): the same tag-list
 * parser under the AMS / AS profile, key fetch and key-record rules through the same
 * keycache, the shared per-message body-hash memo, and the same crypto and RFC 8301 rules
 * (rsa-sha1 and RSA keys under 1024 bits fail; ed25519-sha256 is accepted).
 * <dkim reason> is dkim_reason_name(): e.g. "ams_key_not_found i=2",
 * "as_signature_mismatch i=1", "ams_body_hash_mismatch i=3", "as_dns_temperror i=1".
 *
 * Results: none, pass or fail only. §5.2.1 makes every error permanent, DNS failures
 * included, so a key lookup that times out or gets SERVFAIL makes the chain fail with
 * reason "<as|ams>_dns_temperror i=K" (the record shows the DNS problem there; a re-run with
 * working DNS may pass). An asynchronous resolver's DNS_PENDING sets `pending` instead: the
 * caller runs the check again once answers arrived, as for DKIM.
 *
 * Decisions (beyond the RFC's letter):
 *   - AMS h= naming ARC-Seal fails (as dkimpy and the ValiMail suite do: test
 *     ams_fields_h_includes_as); naming ARC-Message-Signature or ARC-Authentication-Results
 *     does not, although §4.1.2 tells sealers not to (suite tests ams_fields_h_includes_ams
 *     and cv_pass_i1_1 expect pass). From need not be in an AMS's h= (ams_fields_h_empty).
 *   - oldest_pass is the lowest instance whose AMS still verifies, counting down from N
 *     (§5.2 step 5): N when AMS N-1 fails, 1 when every AMS verifies (the RFC's "0"). It is
 *     only set when the chain passes (0 = JSON null otherwise).
 *   - Evaluation time: opts->now and opts->clock_skew judge x= and t= as for DKIM.
 *     opts->allow_sha1 and opts->max_sigs do not apply: ARC always rejects rsa-sha1.
 *
 * Memory: everything in *out is arena memory or points into the message; valid until the
 * arena is reset. */
#ifndef AUTHSWEEP_ARC_H
#define AUTHSWEEP_ARC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/dns.h"
#include "engine/core/arena.h"
#include "engine/core/sbuf.h"
#include "engine/core/slice.h"
#include "engine/core/verdict.h"
#include "engine/header/authres.h"
#include "engine/header/hdr.h"
#include "engine/verify/dkim.h"
#include "engine/verify/keycache.h"

enum arc_reason {
    ARC_R_NONE = 0,
    ARC_R_TOO_MANY_SETS,
    ARC_R_AS_INSTANCE_INVALID,
    ARC_R_AMS_INSTANCE_INVALID,
    ARC_R_AAR_INSTANCE_INVALID,
    ARC_R_CV_FAIL,
    ARC_R_INSTANCE_GAP,
    ARC_R_AS_MISSING,
    ARC_R_AMS_MISSING,
    ARC_R_AAR_MISSING,
    ARC_R_AS_DUPLICATE,
    ARC_R_AMS_DUPLICATE,
    ARC_R_AAR_DUPLICATE,
    ARC_R_AS_CV_INVALID,
    ARC_R_CV_NOT_NONE,
    ARC_R_CV_NOT_PASS,
    ARC_R_AMS,  /* the AMS of reason_i did not verify: sig_reason says why */
    ARC_R_AS,   /* the AS of reason_i did not verify: sig_reason says why */
    ARC_R__COUNT
};

/* One ARC-Seal, oldest first. */
struct arc_sealer {
    unsigned i;
    slice d, s;          /* as written */
    bool aar_dmarc_pass; /* the AAR of the same instance records dmarc=pass */
};

#define ARC_REASON_MAX 64

struct arc_result {
    enum auth_verdict result; /* AV_NONE, AV_PASS or AV_FAIL */
    unsigned instances;       /* N, the highest valid instance seen (0: no ARC field) */
    enum arc_reason reason;
    long reason_i;            /* the instance concerned, -1 when not known */
    enum dkim_reason sig_reason; /* for ARC_R_AMS / ARC_R_AS */
    const char *detail;       /* static or arena text for people, or NULL */
    unsigned oldest_pass;     /* 0: null (see above) */
    struct arc_sealer *sealers;
    size_t n_sealers;
    /* The results written in the AAR of instance 1 (authres.h's shape; found = false when
     * that AAR is absent or unparseable). spf_source is "arc-authentication-results". */
    struct authres_recorded first;
    bool pending;             /* a key lookup is in flight: run again later */
};

/* arc_verify_message validates the chain of the message indexed by h. memo may be NULL (a
 * fresh one is used) or the memo dkim_verify_message_memo used for the same message, so that
 * body hashes are computed once. *out is always fully written. */
void arc_verify_message(struct dkim_thread *t, struct arena *a, struct dns_resolver *r,
                        struct keycache *kc, const struct dkim_opts *o,
                        const struct hdr_index *h, struct dkim_body_memo *memo,
                        struct arc_result *out);

const char *arc_reason_name(enum arc_reason r);
/* arc_reason_text writes the record's reason ("ams_key_not_found i=2") into buf and returns
 * it; NULL when r->reason is ARC_R_NONE. */
const char *arc_reason_text(const struct arc_result *r, char buf[ARC_REASON_MAX]);

/* arc_result_json appends the record's `arc` object:
 *   {"result": "none"|"pass"|"fail", "instances": N, "reason": text|null,
 *    "oldest_pass": K|null, "sealers": [{"i","d","s"}...] (oldest first),
 *    "first_results": authres_recorded_json of the AAR of instance 1, or null}
 * False when the buffer limit was reached (b may hold a partial value). */
MUSTCHECK bool arc_result_json(struct sbuf *b, const struct arc_result *r);

/* arc_trusted_dmarc_pass is the DMARC local-policy override test (RFC 8617 §7.2.1; RFC 9989
 * §5.3.6 and its "known and trusted forwarder" example leave the decision to the receiver):
 * true when the chain passes and some instance K has both an ARC-Seal whose d= is one of
 * trusted_sealers (ASCII case-insensitive, exact domain: no parent/child matching) and an
 * AAR recording dmarc=pass. The claim and the trusted signature must be the same instance:
 * a passing chain shows that later sealers saw the earlier sets unchanged, not that they
 * vouch for what an untrusted earlier sealer wrote. When true and out_sealer is not NULL,
 * *out_sealer is that trusted sealer's d= (as written). */
bool arc_trusted_dmarc_pass(const struct arc_result *r, const slice *trusted_sealers, size_t n,
                            slice *out_sealer);

#endif
