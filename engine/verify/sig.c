#include "engine/verify/sig.h"

#include "engine/core/limits.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#ifdef HAVE_LIBSODIUM
#include <sodium.h>
#endif

#include "engine/core/arena.h"
#include "engine/core/limits.h"
#include "engine/verify/rsa_ifma.h"

struct sig_key {
    uint64_t id;            /* run-unique, for sig_verifier's contexts */
    EVP_PKEY *pkey;         /* RSA (and Ed25519 without libsodium) */
    enum sig_key_type type;
    uint8_t ed25519[32];    /* Ed25519: the raw key (RFC 8463 §4.2) */
    struct rsa_ifma_key *ifma; /* RSA with the IFMA public operation, or NULL (OpenSSL) */
};

struct sig_hash {
    EVP_MD_CTX *ctx;
};

struct sig_privkey {
    EVP_PKEY *pkey;
    enum sig_key_type type;
};

/* Fetched once per process (OpenSSL 3: implicit fetches per call are costly). */
static EVP_MD *md_sha1, *md_sha256;
static _Atomic uint64_t next_key_id = 1;
static pthread_once_t sig_once = PTHREAD_ONCE_INIT;
static atomic_bool fast_rsa_off; /* sig_fast_rsa(false): OpenSSL does every RSA operation */

void sig_fast_rsa(bool on)
{
    atomic_store(&fast_rsa_off, !on);
}

const char *sig_rsa_backend(void)
{
    return !atomic_load(&fast_rsa_off) && rsa_ifma_available() ? "avx512-ifma" : "openssl";
}

static void sig_fetch(void)
{
#ifdef HAVE_LIBSODIUM
    if (sodium_init() < 0) {
        abort();
    }
#endif
    md_sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
    md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    if (md_sha1 == NULL || md_sha256 == NULL) {
        abort();
    }
}

void sig_global_init(void)
{
    pthread_once(&sig_once, sig_fetch);
}

void sig_global_cleanup(void)
{
    /* Process lifetime: freed at exit by OpenSSL's own cleanup. */
}

static const EVP_MD *md_of(enum sig_hash_alg alg)
{
    sig_global_init();
    return alg == SIG_SHA1 ? md_sha1 : md_sha256;
}

/* rsa_exponent_ok: OpenSSL caps e at 64 bits only for moduli over 3072 bits, so a key
 * record can make every verification with it cost ~100 times the usual (a 3071-bit e).
 * Real keys use 3 or 65537. */
static bool rsa_exponent_ok(const EVP_PKEY *pk)
{
    BIGNUM *e = NULL;
    if (EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_E, &e) != 1) {
        return false;
    }
    bool ok = !BN_is_zero(e) && BN_is_odd(e) && BN_num_bits(e) <= (int)LIM_RSA_MAX_EXPONENT_BITS;
    BN_free(e);
    return ok;
}

/* der_take reads one DER element with tag `tag` from the front of *s (X.690 §10.1: definite
 * lengths in their shortest form; two length bytes at most, which covers any key we take)
 * and sets *content to its contents. False, *s unchanged, otherwise. */
static bool der_take(slice *s, uint8_t tag, slice *content)
{
    if (s->len < 2 || s->ptr[0] != tag) {
        return false;
    }
    size_t len, hdr;
    uint8_t l0 = s->ptr[1];
    if (l0 < 0x80) {
        len = l0, hdr = 2;
    } else if (l0 == 0x81 && s->len >= 3 && s->ptr[2] >= 0x80) {
        len = s->ptr[2], hdr = 3;
    } else if (l0 == 0x82 && s->len >= 4 && s->ptr[2] != 0) {
        len = ((size_t)s->ptr[2] << 8) | s->ptr[3], hdr = 4;
    } else {
        return false;
    }
    if (s->len - hdr < len) {
        return false;
    }
    *content = slice_make(s->ptr + hdr, len);
    slice_skip(s, hdr + len);
    return true;
}

/* spki_rsa_inner: when der is exactly a DER SubjectPublicKeyInfo (RFC 5280 §4.1) for
 * rsaEncryption with NULL parameters (RFC 3279 §2.3.1), the RSAPublicKey inside its BIT
 * STRING. Anything else (BER, other algorithms, trailing bytes) is left to d2i_PUBKEY. The
 * point is speed: OpenSSL 3.0's d2i_PUBKEY runs its generic decoder search, about 140 us a
 * key here, against 6 us for d2i_PublicKey on the inner key. */
static bool spki_rsa_inner(slice der, slice *inner)
{
    static const uint8_t rsa_oid[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01 };
    slice outer, alg, oid, params, bits;
    slice rest = der;
    if (!der_take(&rest, 0x30, &outer) || rest.len != 0 || !der_take(&outer, 0x30, &alg) ||
        !der_take(&alg, 0x06, &oid) || !slice_eq(oid, slice_make(rsa_oid, sizeof(rsa_oid))) ||
        !der_take(&alg, 0x05, &params) || params.len != 0 || alg.len != 0 ||
        !der_take(&outer, 0x03, &bits) || outer.len != 0 || bits.len < 2 || bits.ptr[0] != 0) {
        return false;
    }
    *inner = slice_make(bits.ptr + 1, bits.len - 1);
    return true;
}

/* rsa_inner_key parses an RSAPublicKey (RFC 8017 §A.1.1) that must fill `inner` exactly, and
 * readies its provider form now, while one thread owns it (the verifiers share the key). */
static EVP_PKEY *rsa_inner_key(slice inner)
{
    const unsigned char *p = inner.ptr;
    EVP_PKEY *pk = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, (long)inner.len);
    if (pk != NULL && p != inner.ptr + inner.len) {
        EVP_PKEY_free(pk);
        return NULL;
    }
    if (pk != NULL) {
        EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
        if (c == NULL || EVP_PKEY_verify_init(c) != 1) {
            EVP_PKEY_free(pk);
            pk = NULL;
        }
        EVP_PKEY_CTX_free(c);
    }
    return pk;
}

/* der_uint takes a DER INTEGER (X.690 §8.3) that is positive and minimally encoded from the
 * front of *s, as its big-endian magnitude without the sign byte. Anything else is left to
 * OpenSSL's parser (false). */
static bool der_uint(slice *s, slice *mag)
{
    slice v;
    slice t = *s;
    if (!der_take(&t, 0x02, &v) || v.len == 0 || (v.ptr[0] & 0x80) != 0) {
        return false; /* empty or negative */
    }
    if (v.ptr[0] == 0) {
        if (v.len == 1 || (v.ptr[1] & 0x80) == 0) {
            return false; /* zero, or a redundant leading zero */
        }
        slice_skip(&v, 1);
    }
    *s = t;
    *mag = v;
    return true;
}

/* rsa_inner_fast: when inner is exactly a DER RSAPublicKey (RFC 8017 §A.1.1) with a positive,
 * minimally encoded n and e, e below 2^64 and n in the IFMA operation's range, the key for
 * that operation (a usable key: rsa_ifma_key_new takes only odd e >= 3, which
 * rsa_exponent_ok accepts), with n's bits. NULL leaves the key to OpenSSL's parser and
 * public operation: building an EVP_PKEY and readying it for verification costs ~30 us a
 * key, which the IFMA operation never uses (the keys of a 20,000-message run: 2.5% of it).
 * Real keys are strict DER, so every other encoding is left to OpenSSL whole. */
static struct rsa_ifma_key *rsa_inner_fast(slice inner, unsigned *out_bits)
{
    slice seq, n, e;
    slice rest = inner;
    if (atomic_load(&fast_rsa_off) || !rsa_ifma_available() || !der_take(&rest, 0x30, &seq) ||
        rest.len != 0 || !der_uint(&seq, &n) || !der_uint(&seq, &e) || seq.len != 0 ||
        e.len > 8) {
        return NULL;
    }
    uint64_t ev = 0;
    for (size_t i = 0; i < e.len; i++) {
        ev = ev << 8 | e.ptr[i];
    }
    struct rsa_ifma_key *fk = rsa_ifma_key_new(n.ptr, n.len, ev);
    if (fk == NULL) {
        return NULL; /* an even e, or a size the operation does not take: OpenSSL decides */
    }
    *out_bits = rsa_ifma_key_bits(fk);
    return fk;
}

/* rsa_fast_verify is RSASSA-PKCS1-v1_5 verification (RFC 8017 §8.2.2) with the IFMA public
 * operation: the signature must be exactly k bytes (step 1, as OpenSSL requires too), s^e
 * mod n is computed (step 2, which refuses s >= n), and the result must equal the
 * EMSA-PKCS1-v1_5 encoding of the digest (§9.2) byte for byte (steps 3 and 4: encode and
 * compare, never parse the padding). */
static bool rsa_fast_verify(const struct rsa_ifma_key *fk, enum sig_hash_alg alg,
                            const uint8_t *digest, size_t digest_len, slice sig)
{
    /* §9.2 note 1: the DER DigestInfo prefixes, with NULL parameters as OpenSSL requires. */
    static const uint8_t sha1_prefix[] = { 0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e,
                                           0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14 };
    static const uint8_t sha256_prefix[] = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60,
                                             0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                                             0x01, 0x05, 0x00, 0x04, 0x20 };
    const uint8_t *prefix = alg == SIG_SHA1 ? sha1_prefix : sha256_prefix;
    size_t plen = alg == SIG_SHA1 ? sizeof(sha1_prefix) : sizeof(sha256_prefix);
    size_t hlen = alg == SIG_SHA1 ? 20 : 32;
    size_t k = rsa_ifma_key_bytes(fk);
    uint8_t m[LIM_RSA_MAX_BITS / 8];
    if (digest_len != hlen || sig.len != k || k > sizeof(m) || k < plen + hlen + 11 ||
        !rsa_ifma_public(fk, sig.ptr, sig.len, m)) {
        return false;
    }
    size_t ps = k - 3 - plen - hlen; /* §9.2 step 5: at least 8 bytes of 0xff */
    bool ok = m[0] == 0x00 && m[1] == 0x01 && m[2 + ps] == 0x00;
    for (size_t i = 0; i < ps; i++) {
        ok &= m[2 + i] == 0xff;
    }
    return ok && memcmp(m + 3 + ps, prefix, plen) == 0 &&
           memcmp(m + 3 + ps + plen, digest, hlen) == 0;
}

static struct sig_key *key_new(enum sig_key_type type)
{
    struct sig_key *k = xcalloc(1, sizeof(*k));
    k->id = atomic_fetch_add(&next_key_id, 1);
    k->type = type;
    return k;
}

enum sig_key_status sig_key_parse(enum sig_key_type type, slice der, struct sig_key **out,
                                  unsigned *out_bits)
{
    EVP_PKEY *pk = NULL;
    if (type == SIG_KEY_ED25519) {
        if (der.len != 32) {
            return SIG_KEY_BAD;
        }
#ifdef HAVE_LIBSODIUM
        /* Verified by libsodium (see sig_verify): the raw key is all it needs. */
        struct sig_key *k = key_new(SIG_KEY_ED25519);
        memcpy(k->ed25519, der.ptr, 32);
        *out = k;
        *out_bits = 256;
        return SIG_KEY_OK;
#else
        pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, der.ptr, der.len);
#endif
    } else {
        slice inner;
        bool spki = spki_rsa_inner(der, &inner);
        /* The SPKI's RSAPublicKey, or a bare one (see below), straight to the IFMA key. */
        struct rsa_ifma_key *fk = rsa_inner_fast(spki ? inner : der, out_bits);
        if (fk != NULL) {
            struct sig_key *k = key_new(SIG_KEY_RSA);
            k->ifma = fk;
            *out = k;
            return SIG_KEY_OK;
        }
        if (spki) {
            pk = rsa_inner_key(inner);
        }
        if (pk == NULL) {
            const unsigned char *p = der.ptr;
            pk = d2i_PUBKEY(NULL, &p, (long)der.len);
            if (pk != NULL && p != der.ptr + der.len) {
                EVP_PKEY_free(pk); /* trailing garbage after the key */
                pk = NULL;
            }
        }
        if (pk == NULL) {
            /* Some publishers put a bare PKCS#1 RSAPublicKey in p= (go-msgauth accepts it). */
            pk = rsa_inner_key(der);
        }
        if (pk != NULL && EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA) {
            EVP_PKEY_free(pk);
            return SIG_KEY_WRONG_TYPE;
        }
        if (pk != NULL && !rsa_exponent_ok(pk)) {
            *out_bits = (unsigned)EVP_PKEY_get_bits(pk);
            EVP_PKEY_free(pk);
            return SIG_KEY_BAD_EXPONENT;
        }
    }
    if (pk == NULL) {
        return SIG_KEY_BAD;
    }
    struct sig_key *k = key_new(type);
    k->pkey = pk;
    *out = k;
    *out_bits = (unsigned)EVP_PKEY_get_bits(pk);
    return SIG_KEY_OK;
}

void sig_key_free(struct sig_key *k)
{
    if (k == NULL) {
        return;
    }
    EVP_PKEY_free(k->pkey);
    rsa_ifma_key_free(k->ifma);
    xfree(k);
}

struct sig_hash *sig_hash_new(void)
{
    struct sig_hash *h = xcalloc(1, sizeof(*h));
    h->ctx = EVP_MD_CTX_new();
    if (h->ctx == NULL) {
        abort();
    }
    return h;
}

void sig_hash_free(struct sig_hash *h)
{
    if (h == NULL) {
        return;
    }
    EVP_MD_CTX_free(h->ctx);
    xfree(h);
}

void sig_hash_init(struct sig_hash *h, enum sig_hash_alg alg)
{
    if (EVP_DigestInit_ex2(h->ctx, md_of(alg), NULL) != 1) {
        abort();
    }
}

void sig_hash_update(struct sig_hash *h, const void *p, size_t n)
{
    if (n) {
        EVP_DigestUpdate(h->ctx, p, n);
    }
}

size_t sig_hash_final(struct sig_hash *h, uint8_t out[SIG_MAX_DIGEST])
{
    unsigned int n = 0;
    EVP_DigestFinal_ex(h->ctx, out, &n);
    return n;
}

size_t sig_hash_oneshot(enum sig_hash_alg alg, const void *p, size_t n,
                        uint8_t out[SIG_MAX_DIGEST])
{
    unsigned int len = 0;
    if (EVP_Digest(p, n, out, &len, md_of(alg), NULL) != 1) {
        abort();
    }
    return len;
}

static EVP_PKEY_CTX *rsa_ctx_new(const struct sig_key *k, enum sig_hash_alg alg);

bool sig_verify(const struct sig_key *k, enum sig_hash_alg alg, const uint8_t *digest,
                size_t digest_len, slice sig)
{
    bool ok = false;
    if (k->type == SIG_KEY_ED25519) {
        /* RFC 8463 §3: Ed25519 (pure) over the SHA-256 hash of the canonical headers. */
#ifdef HAVE_LIBSODIUM
        /* libsodium verifies in about half OpenSSL 3.0's time (47 vs 103 us here, see the
         * closing note of the throughput issue); it is stricter only on crafted inputs
         * (small-order keys and points), and agrees on every test vector. */
        (void)alg;
        return sig.len == crypto_sign_BYTES &&
               crypto_sign_verify_detached(sig.ptr, digest, digest_len, k->ed25519) == 0;
#endif
        EVP_MD_CTX *c = EVP_MD_CTX_new();
        if (c && EVP_DigestVerifyInit_ex(c, NULL, NULL, NULL, NULL, k->pkey, NULL) == 1) {
            ok = EVP_DigestVerify(c, sig.ptr, sig.len, digest, digest_len) == 1;
        }
        EVP_MD_CTX_free(c);
        return ok;
    }
    if (k->ifma != NULL) {
        return rsa_fast_verify(k->ifma, alg, digest, digest_len, sig);
    }
    EVP_PKEY_CTX *pc = rsa_ctx_new(k, alg);
    if (pc) {
        ok = EVP_PKEY_verify(pc, sig.ptr, sig.len, digest, digest_len) == 1;
    }
    EVP_PKEY_CTX_free(pc);
    return ok;
}

/* One slot per (key, hash): with 64 slots a corpus of ~700 keys missed nearly every time and
 * made a fresh EVP_PKEY_CTX per signature (4% of a run's CPU). Keys are numbered in order of
 * parsing, so direct mapping spreads them without collisions until the table is full. */
#define SIG_VERIFIER_SLOTS LIM_VERIFY_CTX_SLOTS

struct sig_verifier_slot {
    uint64_t id; /* 0: empty */
    enum sig_hash_alg alg;
    EVP_PKEY_CTX *ctx;
};

struct sig_verifier {
    struct sig_verifier_slot slot[SIG_VERIFIER_SLOTS];
};

struct sig_verifier *sig_verifier_new(void)
{
    sig_global_init();
    return xcalloc(1, sizeof(struct sig_verifier));
}

void sig_verifier_free(struct sig_verifier *v)
{
    if (v == NULL) {
        return;
    }
    for (size_t i = 0; i < SIG_VERIFIER_SLOTS; i++) {
        EVP_PKEY_CTX_free(v->slot[i].ctx);
    }
    xfree(v);
}

/* rsa_ctx_new prepares a verification context for k and alg, or NULL. */
static EVP_PKEY_CTX *rsa_ctx_new(const struct sig_key *k, enum sig_hash_alg alg)
{
    EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey, NULL);
    if (pc && EVP_PKEY_verify_init(pc) == 1 &&
        EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) == 1 &&
        EVP_PKEY_CTX_set_signature_md(pc, md_of(alg)) == 1) {
        return pc;
    }
    EVP_PKEY_CTX_free(pc);
    return NULL;
}

bool sig_verifier_verify(struct sig_verifier *v, const struct sig_key *k, enum sig_hash_alg alg,
                         const uint8_t *digest, size_t digest_len, slice sig)
{
    if (k->type != SIG_KEY_RSA || k->ifma != NULL) {
        return sig_verify(k, alg, digest, digest_len, sig);
    }
    struct sig_verifier_slot *sl = &v->slot[(k->id * 2 + (uint64_t)alg) % SIG_VERIFIER_SLOTS];
    if (sl->id != k->id || sl->alg != alg || sl->ctx == NULL) {
        EVP_PKEY_CTX_free(sl->ctx);
        sl->ctx = rsa_ctx_new(k, alg);
        sl->id = k->id;
        sl->alg = alg;
        if (sl->ctx == NULL) {
            sl->id = 0;
            return false;
        }
    }
    return EVP_PKEY_verify(sl->ctx, sig.ptr, sig.len, digest, digest_len) == 1;
}

struct sig_privkey *sig_privkey_from_pem(slice pem)
{
    BIO *b = BIO_new_mem_buf(pem.ptr, (int)pem.len);
    EVP_PKEY *pk = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
    BIO_free(b);
    if (pk == NULL) {
        return NULL;
    }
    struct sig_privkey *k = xcalloc(1, sizeof(*k));
    k->pkey = pk;
    k->type = EVP_PKEY_get_base_id(pk) == EVP_PKEY_ED25519 ? SIG_KEY_ED25519 : SIG_KEY_RSA;
    return k;
}

struct sig_privkey *sig_privkey_generate(enum sig_key_type type, unsigned bits)
{
    EVP_PKEY *pk = type == SIG_KEY_ED25519 ? EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")
                                           : EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
    if (pk == NULL) {
        return NULL;
    }
    struct sig_privkey *k = xcalloc(1, sizeof(*k));
    k->pkey = pk;
    k->type = type;
    return k;
}

void sig_privkey_free(struct sig_privkey *k)
{
    if (k == NULL) {
        return;
    }
    EVP_PKEY_free(k->pkey);
    xfree(k);
}

size_t sig_privkey_public_der(const struct sig_privkey *k, uint8_t *out, size_t cap)
{
    if (k->type == SIG_KEY_ED25519) {
        size_t n = cap;
        return EVP_PKEY_get_raw_public_key(k->pkey, out, &n) == 1 ? n : 0;
    }
    int n = i2d_PUBKEY(k->pkey, NULL);
    if (n <= 0 || (size_t)n > cap) {
        return 0;
    }
    unsigned char *p = out;
    return (size_t)i2d_PUBKEY(k->pkey, &p);
}

size_t sig_sign(const struct sig_privkey *k, enum sig_hash_alg alg, const uint8_t *digest,
                size_t digest_len, uint8_t *out, size_t cap)
{
    size_t n = cap;
    if (k->type == SIG_KEY_ED25519) {
        EVP_MD_CTX *c = EVP_MD_CTX_new();
        bool ok = c && EVP_DigestSignInit_ex(c, NULL, NULL, NULL, NULL, k->pkey, NULL) == 1 &&
                  EVP_DigestSign(c, out, &n, digest, digest_len) == 1;
        EVP_MD_CTX_free(c);
        return ok ? n : 0;
    }
    EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey, NULL);
    bool ok = pc && EVP_PKEY_sign_init(pc) == 1 &&
              EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) == 1 &&
              EVP_PKEY_CTX_set_signature_md(pc, md_of(alg)) == 1 &&
              EVP_PKEY_sign(pc, out, &n, digest, digest_len) == 1;
    EVP_PKEY_CTX_free(pc);
    return ok ? n : 0;
}
