/* bench/sha_multibuffer.c (make bench-sha): SHA-256 of many 4 KB bodies (the corpus's
 * typical size), one at a time through OpenSSL's EVP (SHA-NI on this machine), against
 * several at once in SIMD lanes through Intel's multi-buffer library (Debian's
 * libipsec-mb: its SSE manager interleaves SHA-NI streams, AVX2 and AVX-512 use 8 and 16
 * lanes). A measurement for the throughput issue; not linked into authsweep. */
#include <intel-ipsec-mb.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec/1e9;}
#define N 200000
#define LEN 4096
static unsigned char buf[64][LEN], tags[64][32], ref[32];
static double run_mb(IMB_MGR *m, const char *name) {
  double t0 = now(); size_t done = 0;
  for (size_t i = 0; i < N; i++) {
    IMB_JOB *j = IMB_GET_NEXT_JOB(m);
    memset(j, 0, sizeof *j);
    j->cipher_mode = IMB_CIPHER_NULL; j->cipher_direction = IMB_DIR_ENCRYPT;
    j->chain_order = IMB_ORDER_HASH_CIPHER; j->hash_alg = IMB_AUTH_SHA_256;
    j->src = buf[i % 64]; j->hash_start_src_offset_in_bytes = 0; j->msg_len_to_hash_in_bytes = LEN;
    j->auth_tag_output = tags[i % 64]; j->auth_tag_output_len_in_bytes = 32;
    j = IMB_SUBMIT_JOB(m);
    while (j) { done++; j = IMB_GET_COMPLETED_JOB(m); }
  }
  while (IMB_FLUSH_JOB(m)) done++;
  double el = now() - t0;
  printf("%-28s %7.0f MB/s  (%zu jobs; digest %s)\n", name, (double)N * LEN / el / 1e6, done,
         memcmp(tags[0], ref, 32) == 0 ? "matches" : "DIFFERS");
  return el;
}
int main(void) {
  for (int i = 0; i < 64; i++) for (int k = 0; k < LEN; k++) buf[i][k] = (unsigned char)(i * 31 + k);
  unsigned int l; EVP_Digest(buf[0], LEN, ref, &l, EVP_sha256(), NULL);
  EVP_MD_CTX *c = EVP_MD_CTX_new(); const EVP_MD *md = EVP_sha256(); unsigned char d[32];
  double t0 = now();
  for (size_t i = 0; i < N; i++) { EVP_DigestInit_ex2(c, md, NULL); EVP_DigestUpdate(c, buf[i % 64], LEN); EVP_DigestFinal_ex(c, d, &l); }
  double el = now() - t0;
  printf("%-28s %7.0f MB/s\n", "OpenSSL EVP (SHA-NI)", (double)N * LEN / el / 1e6);
  IMB_MGR *m = alloc_mb_mgr(0);
  init_mb_mgr_sse(m); run_mb(m, "ipsec-mb SSE manager");
  init_mb_mgr_avx2(m); run_mb(m, "ipsec-mb AVX2 (8 lanes)");
  init_mb_mgr_avx512(m); run_mb(m, "ipsec-mb AVX-512 (16 lanes)");
  free_mb_mgr(m);
  return 0;
}
