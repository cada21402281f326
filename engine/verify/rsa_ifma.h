/* rsa_ifma: the RSA public operation (RFC 8017 §5.2.2 RSAVP1: m = s^e mod n) with AVX-512
 * IFMA, for verifying signatures faster than OpenSSL's generic BN_mod_exp_mont.
 *
 * Design. Numbers are held in radix 2^52: a modulus of `bits` bits uses
 * iters = ceil((bits + 2) / 52) limbs (so R = 2^(52 * iters) >= 4n), stored zero-padded to a
 * whole number of 512-bit registers (8 limbs each; RSA-2048 is 40 limbs = 5 zmm registers).
 * The modular multiplication is word-serial Montgomery multiplication (CIOS) vectorised
 * across the limbs of ONE operand: for each limb b[i] of the multiplier, vpmadd52luq and
 * vpmadd52huq add the low and high halves of a * b[i] and of n * y to the accumulator, where
 * y = acc[0] * (-n^-1) mod 2^52, and the accumulator moves down one limb. Lanes are not
 * carried during the loop (64-bit lanes have room for the sums); the result is normalised
 * once at the end. It is an "almost Montgomery multiplication": inputs below 2n give an output
 * below 2n; the exponentiation converts out of Montgomery form at the end and subtracts n once
 * if needed, so the result is exactly s^e mod n.
 *
 * The inputs are public (signatures and public keys), so the code is NOT constant time:
 * it branches on the exponent bits and on the data.
 *
 * Contract. rsa_ifma_available() says whether this code can run on this CPU; key_new returns
 * NULL when it cannot (or when the key is outside what it supports), and the caller then uses
 * its generic path (OpenSSL). A key is immutable after rsa_ifma_key_new, so any number of
 * threads may call rsa_ifma_public with it at once. rsa_ifma_public allocates nothing. */
#ifndef AUTHSWEEP_RSA_IFMA_H
#define AUTHSWEEP_RSA_IFMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* rsa_ifma_available returns true when the CPU has AVX512F, AVX512VL and AVX512IFMA and the
 * OS saves the zmm state (GCC's __builtin_cpu_supports checks XGETBV). The answer is cached
 * after the first call. Always false on builds for other architectures than x86_64. */
bool rsa_ifma_available(void);

struct rsa_ifma_key;

/* rsa_ifma_key_new prepares the public key (n, e): n as big-endian bytes (leading zero bytes
 * allowed), e as an integer. It precomputes n in 52-bit limbs, -n^-1 mod 2^52 and R^2 mod n.
 * Returns NULL when unsupported: modulus bits outside [1024, 4096], n even, e even or e < 3, or
 * !rsa_ifma_available(). The key is heap memory owned by the caller (rsa_ifma_key_free). */
struct rsa_ifma_key *rsa_ifma_key_new(const uint8_t *n_be, size_t n_len, uint64_t e);

/* rsa_ifma_key_free releases a key; rsa_ifma_key_free(NULL) does nothing. */
void rsa_ifma_key_free(struct rsa_ifma_key *k);

/* rsa_ifma_key_bytes returns k = ceil(bits(n) / 8), the length of signatures and results. */
size_t rsa_ifma_key_bytes(const struct rsa_ifma_key *k);
/* rsa_ifma_key_bits returns bits(n), the key's size. */
unsigned rsa_ifma_key_bits(const struct rsa_ifma_key *k);

/* rsa_ifma_public computes RSAVP1 (RFC 8017 §5.2.2): out (exactly rsa_ifma_key_bytes(k)
 * bytes, big-endian, left-padded with zeros) = s^e mod n. s is big-endian; s_len may be less
 * than the key length (missing leading bytes are zeros). Returns false, leaving out untouched,
 * when s_len > key bytes or s >= n (RFC 8017 §5.2.2 step 1: "signature representative out of
 * range"). Thread-safe for concurrent calls with the same key; no heap allocation. */
bool rsa_ifma_public(const struct rsa_ifma_key *k, const uint8_t *s, size_t s_len, uint8_t *out);

#endif
