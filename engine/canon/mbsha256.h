/* mbsha256: SHA-256 of many independent buffers at once (4. CANONICALIZE + HASH).
 *
 * The DKIM body hashes of the messages in a batch do not depend on each other, so they can
 * be computed side by side in SIMD lanes rather than one after another. The caller queues
 * whole buffers with mbsha_add and collects the digests with mbsha_flush; there is no
 * streaming update (the library's job API hashes one contiguous buffer per job).
 *
 * Backends, chosen once in mbsha_new:
 *  - Intel's libipsec-mb job API (built with HAVE_IPSEC_MB): its SHA-NI manager where the
 *    CPU has SHA extensions, else the library's own pick (AVX-512, AVX2, ... lanes); see
 *    lib_start in the .c for why, with measurements. The library refuses jobs longer than
 *    MBSHA_LIB_MAX_LEN bytes: those go straight to OpenSSL, and any job it still hands
 *    back unfinished is hashed by OpenSSL then. Every digest is written, whichever path
 *    computed it.
 *  - OpenSSL's EVP SHA-256, one buffer at a time through one reused context: without
 *    libipsec-mb, when the library cannot start or disagrees with OpenSSL in a start-up
 *    check, or on request (mbsha_new_openssl).
 *
 * Memory: the library's manager owns a fixed ring of job slots; when it is full, a submit
 * first finishes the oldest job. So the number of queued jobs is bounded, and this module
 * allocates nothing per job.
 *
 * Lifetime: one struct mbsha per worker thread (thread lifetime). It is not thread-safe. */
#ifndef AUTHSWEEP_MBSHA256_H
#define AUTHSWEEP_MBSHA256_H

#include <stddef.h>
#include <stdint.h>

#define MBSHA_DIGEST_LEN 32
/* libipsec-mb 1.3 refuses plain SHA jobs over 2^16 - 2 bytes (IMB_ERR_JOB_AUTH_LEN). */
#define MBSHA_LIB_MAX_LEN 65534u

struct mbsha;

/* mbsha_new returns a hasher on the fastest backend available. Never NULL (out of memory
 * aborts). */
struct mbsha *mbsha_new(void);
/* mbsha_new_openssl returns a hasher that uses OpenSSL only (tests, comparisons). */
struct mbsha *mbsha_new_openssl(void);
/* mbsha_free releases m. Jobs still queued are abandoned: their digests are not written
 * (call mbsha_flush first). mbsha_free(NULL) does nothing. */
void mbsha_free(struct mbsha *m);

/* mbsha_add queues the SHA-256 of p[0..len). p must stay valid and unchanged, and
 * out_digest (MBSHA_DIGEST_LEN bytes) writable, until mbsha_flush returns. The digest may
 * be written at once, or during a later mbsha_add, or by mbsha_flush; mbsha_add may also
 * complete earlier jobs. len may be 0 (p may then be NULL). */
void mbsha_add(struct mbsha *m, const uint8_t *p, size_t len,
               uint8_t out_digest[MBSHA_DIGEST_LEN]);
/* mbsha_flush completes every queued job: afterwards the out_digest of every mbsha_add
 * so far holds its digest. m can be used again straight away. */
void mbsha_flush(struct mbsha *m);

/* mbsha_backend_name names the backend: "ipsec-mb-sse-shani" (two SHA-NI streams),
 * "ipsec-mb-avx512", "ipsec-mb-avx2", "ipsec-mb-avx", "ipsec-mb-sse", "ipsec-mb-noaesni"
 * or "openssl". A static string. */
const char *mbsha_backend_name(const struct mbsha *m);

/* Counts since mbsha_new, for tests and diagnostics. */
struct mbsha_stats {
    uint64_t n_lib;      /* digests computed by libipsec-mb */
    uint64_t n_openssl;  /* digests computed by OpenSSL (any reason) */
    uint64_t n_rejected; /* of n_openssl: jobs that the library handed back unfinished */
};
void mbsha_get_stats(const struct mbsha *m, struct mbsha_stats *out);

/* For tests: send jobs of up to max_len bytes to the library (default MBSHA_LIB_MAX_LEN),
 * so that a larger value makes the library reject long jobs and exercises the fallback.
 * No effect on the OpenSSL backend. */
void mbsha_set_lib_max_len(struct mbsha *m, size_t max_len);

#endif
