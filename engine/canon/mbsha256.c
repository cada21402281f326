#include "engine/canon/mbsha256.h"

#include <openssl/evp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#ifdef HAVE_IPSEC_MB
#include <intel-ipsec-mb.h>
#endif

#include "engine/core/arena.h"

struct mbsha {
    const char *name;
    EVP_MD *md;      /* fetched once per hasher: OpenSSL 3's implicit fetch per call costs */
    EVP_MD_CTX *ctx; /* reused for every OpenSSL digest */
    struct mbsha_stats stats;
#ifdef HAVE_IPSEC_MB
    IMB_MGR *mgr;       /* NULL: OpenSSL only */
    size_t lib_max_len; /* longer jobs go to OpenSSL at once */
#endif
};

/* Stands in for p when len is 0 and p is NULL: the library refuses a NULL source. */
static const uint8_t mbsha_empty[1];

static void ossl_sha256(struct mbsha *m, const uint8_t *p, size_t len,
                        uint8_t out_digest[MBSHA_DIGEST_LEN])
{
    unsigned int n = 0;
    /* These fail only when OpenSSL runs out of memory: abort, as every allocation does. */
    if (EVP_DigestInit_ex2(m->ctx, m->md, NULL) != 1 || EVP_DigestUpdate(m->ctx, p, len) != 1 ||
        EVP_DigestFinal_ex(m->ctx, out_digest, &n) != 1 || n != MBSHA_DIGEST_LEN) {
        abort();
    }
    m->stats.n_openssl++;
}

#ifdef HAVE_IPSEC_MB

/* What init_mb_mgr_auto chose. */
static const char *const lib_arch_names[IMB_ARCH_NUM] = {
    [IMB_ARCH_NOAESNI] = "ipsec-mb-noaesni", [IMB_ARCH_SSE] = "ipsec-mb-sse",
    [IMB_ARCH_AVX] = "ipsec-mb-avx",         [IMB_ARCH_AVX2] = "ipsec-mb-avx2",
    [IMB_ARCH_AVX512] = "ipsec-mb-avx512",
};

/* lib_finish takes the completed jobs the library hands back, starting with job (may be
 * NULL), until it has no more. A job comes back exactly once, in submission order, and
 * its slot is reused by the next IMB_GET_NEXT_JOB, so a job the library did not complete
 * (refused arguments, internal error) is hashed by OpenSSL here and now. */
static void lib_finish(struct mbsha *m, IMB_JOB *job)
{
    while (job != NULL) {
        if (job->status == IMB_STATUS_COMPLETED) {
            m->stats.n_lib++;
        } else {
            m->stats.n_rejected++;
            ossl_sha256(m, job->src + job->hash_start_src_offset_in_bytes,
                        (size_t)job->msg_len_to_hash_in_bytes, job->auth_tag_output);
        }
        job = IMB_GET_COMPLETED_JOB(m->mgr);
    }
}

static void lib_submit(struct mbsha *m, const uint8_t *p, size_t len,
                       uint8_t out_digest[MBSHA_DIGEST_LEN])
{
    IMB_JOB *job = IMB_GET_NEXT_JOB(m->mgr);
    /* Hash only: NULL cipher, and the whole 32-byte digest as the "tag". The slot is
     * cleared so that nothing of the job that last used it remains. */
    *job = (IMB_JOB){
        .cipher_mode = IMB_CIPHER_NULL,
        .cipher_direction = IMB_DIR_ENCRYPT,
        .chain_order = IMB_ORDER_HASH_CIPHER,
        .hash_alg = IMB_AUTH_SHA_256,
        .src = p,
        .hash_start_src_offset_in_bytes = 0,
        .msg_len_to_hash_in_bytes = len,
        .auth_tag_output = out_digest,
        .auth_tag_output_len_in_bytes = MBSHA_DIGEST_LEN,
    };
    lib_finish(m, IMB_SUBMIT_JOB(m->mgr));
}

static void lib_flush(struct mbsha *m)
{
    IMB_JOB *job;
    while ((job = IMB_FLUSH_JOB(m->mgr)) != NULL) {
        lib_finish(m, job);
    }
}

/* lib_self_check hashes a few lengths (empty, within one block, across the padding
 * boundary, several blocks) through the library and compares with OpenSSL, so that a
 * library that is broken on this CPU is never used. */
static bool lib_self_check(struct mbsha *m)
{
    static const size_t lens[] = {0, 3, 55, 56, 64, 119, 300};
    enum { N_LENS = sizeof(lens) / sizeof(lens[0]) };
    uint8_t buf[300];
    uint8_t got[N_LENS][MBSHA_DIGEST_LEN], want[MBSHA_DIGEST_LEN];

    for (size_t i = 0; i < sizeof(buf); i++) {
        buf[i] = (uint8_t)(i * 131u + 7u);
    }
    for (size_t i = 0; i < N_LENS; i++) {
        lib_submit(m, buf, lens[i], got[i]);
    }
    lib_flush(m);
    bool ok = m->stats.n_lib == N_LENS;
    for (size_t i = 0; i < N_LENS && ok; i++) {
        ossl_sha256(m, buf, lens[i], want);
        ok = memcmp(got[i], want, sizeof(want)) == 0;
    }
    m->stats = (struct mbsha_stats){0};
    return ok;
}

/* lib_start sets m up on the library, or leaves m->mgr NULL if it cannot be used.
 *
 * Which manager: with SHA extensions, the SSE manager (in 1.3 it runs two interleaved
 * SHA-NI streams), otherwise the library's own choice (init_mb_mgr_auto: AVX-512 16
 * lanes, AVX2 8 lanes, ...). Auto prefers AVX-512 even where SHA-NI exists, and a SIMD
 * lane is far slower than a SHA-NI stream: when a batch is flushed, its longest bodies
 * finish alone in otherwise idle lanes. Measured on an AMD EPYC with both, 64-job batches
 * of log-normal sizes around 4 KB: SHA-NI 2.8 GB/s, AVX-512 1.7 GB/s, OpenSSL 1.6 GB/s
 * (AVX-512 wins, 3.0 against 2.8, only when every body has the same length). */
static void lib_start(struct mbsha *m)
{
    IMB_ARCH arch = IMB_ARCH_NONE;
    m->mgr = alloc_mb_mgr(0);
    if (m->mgr == NULL) {
        return;
    }
    bool shani = (m->mgr->features & IMB_FEATURE_SHANI) != 0;
    if (shani) {
        init_mb_mgr_sse(m->mgr);
        arch = IMB_ARCH_SSE;
    } else {
        init_mb_mgr_auto(m->mgr, &arch);
    }
    if (imb_get_errno(m->mgr) != 0 || arch <= IMB_ARCH_NONE || arch >= IMB_ARCH_NUM ||
        lib_arch_names[arch] == NULL) {
        goto fail;
    }
    m->lib_max_len = MBSHA_LIB_MAX_LEN;
    if (!lib_self_check(m)) {
        goto fail;
    }
    m->name = shani ? "ipsec-mb-sse-shani" : lib_arch_names[arch];
    return;
fail:
    free_mb_mgr(m->mgr);
    m->mgr = NULL;
}

#endif /* HAVE_IPSEC_MB */

static struct mbsha *mbsha_alloc(void)
{
    struct mbsha *m = xcalloc(1, sizeof(*m));
    m->name = "openssl";
    m->md = EVP_MD_fetch(NULL, "SHA256", NULL);
    m->ctx = EVP_MD_CTX_new();
    if (m->md == NULL || m->ctx == NULL) {
        abort();
    }
    return m;
}

struct mbsha *mbsha_new_openssl(void)
{
    return mbsha_alloc();
}

struct mbsha *mbsha_new(void)
{
    struct mbsha *m = mbsha_alloc();
#ifdef HAVE_IPSEC_MB
    lib_start(m);
#endif
    return m;
}

void mbsha_free(struct mbsha *m)
{
    if (m == NULL) {
        return;
    }
#ifdef HAVE_IPSEC_MB
    if (m->mgr != NULL) {
        free_mb_mgr(m->mgr);
    }
#endif
    EVP_MD_CTX_free(m->ctx);
    EVP_MD_free(m->md);
    xfree(m);
}

void mbsha_add(struct mbsha *m, const uint8_t *p, size_t len,
               uint8_t out_digest[MBSHA_DIGEST_LEN])
{
    if (p == NULL) {
        p = mbsha_empty;
    }
#ifdef HAVE_IPSEC_MB
    if (m->mgr != NULL && len <= m->lib_max_len) {
        lib_submit(m, p, len, out_digest);
        return;
    }
#endif
    ossl_sha256(m, p, len, out_digest);
}

void mbsha_flush(struct mbsha *m)
{
#ifdef HAVE_IPSEC_MB
    if (m->mgr != NULL) {
        lib_flush(m);
    }
#else
    (void)m; /* OpenSSL hashes in mbsha_add: nothing is ever queued */
#endif
}

const char *mbsha_backend_name(const struct mbsha *m)
{
    return m->name;
}

void mbsha_get_stats(const struct mbsha *m, struct mbsha_stats *out)
{
    *out = m->stats;
}

void mbsha_set_lib_max_len(struct mbsha *m, size_t max_len)
{
#ifdef HAVE_IPSEC_MB
    m->lib_max_len = max_len;
#else
    (void)m;
    (void)max_len;
#endif
}
