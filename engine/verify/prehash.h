/* prehash: 4. CANONICALIZE + HASH for a whole batch at once.
 *
 * Before a worker verifies the messages of a batch one by one, prehash_batch finds the
 * SHA-256 body hashes that each message's DKIM-Signature and ARC-Message-Signature fields
 * will ask for (a=, c=, l=; RFC 6376 §3.7, RFC 8617 §4.1.2), canonicalizes those bodies
 * and hashes them all together through mbsha (engine/canon/mbsha256.h: several bodies side
 * by side in SIMD lanes, about twice OpenSSL's single-stream rate per core here). Each
 * message's results become seeds for its body-hash memo (dkim_body_memo_seed).
 *
 * It is an optimisation only: the seeds are keyed by (hash, canonicalization, l=) and by
 * the body slice itself, and the verifier computes whatever is not seeded, so a field that
 * this quick pass reads differently from the verifier (a syntax error, a duplicate tag)
 * costs a wasted hash, never a wrong result. Bodies longer than mbsha's job limit (64 KiB,
 * libipsec-mb's) are left to the verifier's streaming hash; so are SHA-1 signatures.
 *
 * Memory: one scratch buffer per worker (PREHASH_SCRATCH_BYTES) holds the relaxed
 * canonical bodies until their digests are out; simple bodies that are already in
 * canonical form are hashed in place. When the scratch is full the queued jobs are
 * finished first. Not thread-safe: one per worker. */
#ifndef AUTHSWEEP_PREHASH_H
#define AUTHSWEEP_PREHASH_H

#include <stddef.h>

#include "engine/core/limits.h"
#include "engine/verify/dkim.h"
#include "io/input.h"

#define PREHASH_SCRATCH_BYTES LIM_PREHASH_SCRATCH_BYTES

struct prehash;

/* What the pass leaves for one message: its header index (so that the verifier does not
 * index the header a second time) and its body-hash seeds. */
struct prehash_msg {
    bool parsed;            /* h and status are set (false for an input error) */
    enum hdr_status status; /* hdr_parse's result */
    struct hdr_index h;     /* memory of the arena given to prehash_batch */
    struct dkim_body_seeds seeds; /* seeds.body is SLICE_NULL when there are none */
};

struct prehash *prehash_new(void);
void prehash_free(struct prehash *p);
/* prehash_batch fills out[i] for msgs[i], i < n. Header indexes are allocated in `a`,
 * which must outlive their use. A message gets no seeds for an input error, a header over
 * the limits, no SHA-256 signature, or a body over the job limit. */
void prehash_batch(struct prehash *p, struct arena *a, const struct input_msg *msgs, size_t n,
                   struct prehash_msg *out);
/* prehash_backend_name: the hashing backend (mbsha_backend_name). */
const char *prehash_backend_name(const struct prehash *p);
/* prehash_backend_default: the backend a new prehash gets on this machine. */
const char *prehash_backend_default(void);

#endif
