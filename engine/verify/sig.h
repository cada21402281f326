/* sig: 6. CRYPTO. The only module that includes OpenSSL.
 *
 * Keys (struct sig_key) are parsed once and are immutable afterwards: any number of
 * threads may verify with the same key at once (OpenSSL 3 allows concurrent read-only use
 * of an EVP_PKEY). Hash contexts (struct sig_hash) are per thread and reused: init does not
 * allocate or fetch algorithms (the EVP_MD objects are fetched once per process). */
#ifndef AUTHSWEEP_SIG_H
#define AUTHSWEEP_SIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/core/slice.h"

enum sig_key_type {
    SIG_KEY_RSA = 0,
    SIG_KEY_ED25519,
};

enum sig_hash_alg {
    SIG_SHA1 = 0,
    SIG_SHA256,
};

enum sig_key_status {
    SIG_KEY_OK = 0,
    SIG_KEY_BAD,       /* the bytes are not a key of that type */
    SIG_KEY_WRONG_TYPE, /* a valid key of another type */
    SIG_KEY_BAD_EXPONENT, /* RSA public exponent over LIM_RSA_MAX_EXPONENT_BITS (or even):
                           * refused before any verification; *out_bits is still set */
};

#define SIG_MAX_DIGEST 64

struct sig_key;
struct sig_hash;

/* sig_global_init fetches the algorithms once; call before threads start. */
void sig_global_init(void);
/* sig_fast_rsa(false) makes OpenSSL do the RSA public operation for keys parsed from then
 * on, instead of engine/verify/rsa_ifma.c where the CPU has AVX-512 IFMA (the default).
 * For measurements and tests: the results are the same. sig_rsa_backend names what new
 * keys get: "avx512-ifma" or "openssl". */
void sig_fast_rsa(bool on);
const char *sig_rsa_backend(void);
void sig_global_cleanup(void);

/* sig_key_parse parses a DKIM p= value (already base64-decoded): for RSA a DER
 * SubjectPublicKeyInfo or a bare PKCS#1 RSAPublicKey; for Ed25519 the raw 32-byte key
 * (RFC 8463 §4.2). On success *out is a new key and *out_bits its size. */
enum sig_key_status sig_key_parse(enum sig_key_type type, slice der, struct sig_key **out,
                                  unsigned *out_bits);
void sig_key_free(struct sig_key *k);

struct sig_hash *sig_hash_new(void);
void sig_hash_free(struct sig_hash *h);
void sig_hash_init(struct sig_hash *h, enum sig_hash_alg alg);
void sig_hash_update(struct sig_hash *h, const void *p, size_t n);
/* sig_hash_final writes the digest (20 or 32 bytes) and returns its length. */
size_t sig_hash_final(struct sig_hash *h, uint8_t out[SIG_MAX_DIGEST]);
/* sig_hash_oneshot hashes p into out. */
size_t sig_hash_oneshot(enum sig_hash_alg alg, const void *p, size_t n,
                        uint8_t out[SIG_MAX_DIGEST]);

/* sig_verify checks signature `sig` over the message digest: RSASSA-PKCS1-v1_5 with the
 * digest's algorithm for RSA keys (RFC 6376 §3.3), PureEdDSA over the 32-byte SHA-256
 * digest for Ed25519 (RFC 8463 §3). */
bool sig_verify(const struct sig_key *k, enum sig_hash_alg alg, const uint8_t *digest,
                size_t digest_len, slice sig);

/* A per-thread verifier: keeps one prepared OpenSSL context per (key, hash) it has seen
 * recently, so that an RSA verification does not create and set up a context each time
 * (about 3 of 19 us for RSA-2048 here). Keys are told apart by a run-unique id, never by
 * address (a freed key's address may come back). Single-threaded; one per worker. */
struct sig_verifier;
struct sig_verifier *sig_verifier_new(void);
void sig_verifier_free(struct sig_verifier *v);
/* sig_verifier_verify is sig_verify through v's contexts. */
bool sig_verifier_verify(struct sig_verifier *v, const struct sig_key *k, enum sig_hash_alg alg,
                         const uint8_t *digest, size_t digest_len, slice sig);

/* For tests and the corpus generator: signing with a private key in PEM. */
struct sig_privkey;
struct sig_privkey *sig_privkey_from_pem(slice pem);
struct sig_privkey *sig_privkey_generate(enum sig_key_type type, unsigned bits);
void sig_privkey_free(struct sig_privkey *k);
/* sig_privkey_public_der writes the public key as DKIM p= expects (SPKI DER for RSA, raw 32
 * bytes for Ed25519) into out (cap bytes); returns its length or 0. */
size_t sig_privkey_public_der(const struct sig_privkey *k, uint8_t *out, size_t cap);
/* sig_sign signs the digest; returns the signature length written to out (cap bytes) or 0. */
size_t sig_sign(const struct sig_privkey *k, enum sig_hash_alg alg, const uint8_t *digest,
                size_t digest_len, uint8_t *out, size_t cap);

#endif
