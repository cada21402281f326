/* prehash: the batch's body hashes must equal RFC 6376 §3.4.3/§3.4.4 + §3.7 computed the
 * plain way (canon_body_ref, then one SHA-256), for every (c=, l=) the signatures ask for,
 * and the pass must leave alone what it cannot do (SHA-1, long bodies, input errors). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/canon/canon.h"
#include "engine/core/arena.h"
#include "engine/verify/prehash.h"
#include "engine/verify/sig.h"

static struct input_msg msg_of(const char *text, size_t len)
{
    struct input_msg m;
    memset(&m, 0, sizeof(m));
    m.raw = slice_make((const uint8_t *)text, len);
    return m;
}

/* expect_hash checks that seeds hold the hash of body for (canon, l). */
static void expect_hash(const struct dkim_body_seeds *s, enum canon_alg canon, bool has_l,
                        uint64_t l)
{
    size_t ref_len = 0;
    uint8_t *ref = canon_body_ref(canon, s->body, &ref_len);
    size_t n = has_l && l < ref_len ? (size_t)l : ref_len;
    uint8_t want[SIG_MAX_DIGEST];
    sig_hash_oneshot(SIG_SHA256, ref, n, want);
    free(ref);
    for (size_t i = 0; i < s->n; i++) {
        const struct dkim_body_hash *h = &s->h[i];
        if (h->canon == canon && h->has_l == has_l && (!has_l || h->l == l)) {
            cr_assert_eq(h->halg, SIG_SHA256);
            cr_assert_eq(h->digest_len, 32);
            cr_assert_eq(h->canon_len, ref_len, "canonical length %zu, want %zu",
                         (size_t)h->canon_len, ref_len);
            cr_assert_arr_eq(h->digest, want, 32, "digest of c=%d l=%llu", (int)canon,
                             (unsigned long long)l);
            return;
        }
    }
    cr_assert_fail("no seed for c=%d has_l=%d l=%llu", (int)canon, (int)has_l,
                   (unsigned long long)l);
}

Test(prehash, seeds_equal_the_reference_for_every_canonicalization_and_l)
{
    static const char *const bodies[] = {
        "",
        "\r\n",
        "\r\n\r\n\r\n",
        "Hello  world \t\r\n\r\n",
        "a\nb\n\n\n",            /* bare LF: both forms are rewritten */
        "no final line end",
        "x\r\ny  \r\n z\t\tz\r\n\r\n",
        "crlf only, canonical as it is\r\nsecond line\r\n",
        "crlf first\r\nthen a bare\nlf\r\n\r\n", /* the sink guess is wrong: same bytes */
        "bare first\nthen\r\ncrlf\r\n",
        "crlf without a final line end\r\nlast",
    };
    const char *head = "From: a@example.com\r\n"
                       "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/simple; d=example.com;\r\n"
                       "\ts=s; h=from; bh=AAAA; b=BBBB\r\n"
                       "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=t; l=5; bh=; b=\r\n"
                       "ARC-Message-Signature: i=1; a=rsa-sha256; d=x.org; s=y; l = 3 ;\r\n"
                       "\th=from; bh=A; b=B\r\n"
                       "DKIM-Signature: v=1; a=ed25519-sha256; c=simple/relaxed; d=e.com; s=u;\r\n"
                       " h=from; bh=A; b=B\r\n"
                       "\r\n";
    size_t nb = sizeof(bodies) / sizeof(bodies[0]);
    char *text[sizeof(bodies) / sizeof(bodies[0])];
    struct input_msg msgs[sizeof(bodies) / sizeof(bodies[0])];
    for (size_t i = 0; i < nb; i++) {
        size_t hl = strlen(head), bl = strlen(bodies[i]);
        text[i] = malloc(hl + bl + 1);
        memcpy(text[i], head, hl);
        memcpy(text[i] + hl, bodies[i], bl + 1);
        msgs[i] = msg_of(text[i], hl + bl);
    }
    struct prehash *p = prehash_new();
    struct arena *a = arena_new(0);
    struct prehash_msg out[sizeof(bodies) / sizeof(bodies[0])];
    prehash_batch(p, a, msgs, nb, out);
    for (size_t i = 0; i < nb; i++) {
        cr_assert(out[i].parsed);
        cr_assert_eq(out[i].status, HDR_OK);
        const struct dkim_body_seeds *s = &out[i].seeds;
        cr_assert_eq(s->body.ptr, out[i].h.body.ptr);
        /* simple body (c=relaxed/simple), simple l=5 (no c=), relaxed l=3 (the AMS
         * default), relaxed (c=simple/relaxed). */
        cr_assert_eq(s->n, 4, "message %zu: %zu seeds", i, s->n);
        expect_hash(s, CANON_SIMPLE, false, 0);
        expect_hash(s, CANON_SIMPLE, true, 5);
        expect_hash(s, CANON_RELAXED, false, 0);
        expect_hash(s, CANON_RELAXED, true, 3);
    }
    prehash_free(p);
    arena_free(a);
    for (size_t i = 0; i < nb; i++) {
        free(text[i]);
    }
}

Test(prehash, leaves_sha1_long_bodies_and_input_errors_to_the_verifier)
{
    const char *sha1 = "DKIM-Signature: v=1; a=rsa-sha1; d=example.com; s=s; bh=A; b=B\r\n\r\nx\r\n";
    size_t big_len = 200 * 1024;
    char *big = malloc(big_len + 200);
    int hl = snprintf(big, 200, "DKIM-Signature: a=rsa-sha256; d=e.com; s=s; bh=A; b=B\r\n\r\n");
    memset(big + hl, 'q', big_len);
    struct input_msg msgs[3] = { msg_of(sha1, strlen(sha1)),
                                 msg_of(big, (size_t)hl + big_len),
                                 msg_of("From: x\r\n\r\nbody\r\n", 17) };
    msgs[2].err = INPUT_E_TOO_BIG;
    struct prehash *p = prehash_new();
    struct arena *a = arena_new(0);
    struct prehash_msg out[3];
    prehash_batch(p, a, msgs, 3, out);
    cr_assert(out[0].parsed);
    cr_assert_eq(out[0].seeds.n, 0);
    cr_assert_null(out[0].seeds.body.ptr);
    cr_assert(out[1].parsed);
    cr_assert_eq(out[1].seeds.n, 0, "a body over the job limit is hashed by the verifier");
    cr_assert_not(out[2].parsed);
    cr_assert_eq(out[2].seeds.n, 0);
    prehash_free(p);
    arena_free(a);
    free(big);
}

Test(prehash, many_messages_fill_the_scratch_and_still_hash_right)
{
    /* 64 relaxed bodies of ~60 KB each (with bare LFs: copied, up to twice their size) pass
     * the 2 MiB scratch several times over within one batch. */
    enum { N = 64, BODY = 60 * 1024 };
    const char *head = "DKIM-Signature: a=rsa-sha256; c=relaxed/relaxed; d=e.com; s=s; bh=A; b=B\r\n\r\n";
    size_t hl = strlen(head);
    char *text[N];
    struct input_msg msgs[N];
    unsigned seed = 7;
    for (size_t i = 0; i < N; i++) {
        text[i] = malloc(hl + BODY);
        memcpy(text[i], head, hl);
        for (size_t k = 0; k < BODY; k++) {
            seed = seed * 1103515245u + 12345u;
            unsigned r = (seed >> 16) % 16;
            text[i][hl + k] = r == 0 ? '\n' : r == 1 ? ' ' : r == 2 ? '\t' : (char)('a' + r);
        }
        msgs[i] = msg_of(text[i], hl + BODY);
    }
    struct prehash *p = prehash_new();
    struct arena *a = arena_new(0);
    static struct prehash_msg out[N];
    prehash_batch(p, a, msgs, N, out);
    for (size_t i = 0; i < N; i++) {
        cr_assert_eq(out[i].seeds.n, 1);
        expect_hash(&out[i].seeds, CANON_RELAXED, false, 0);
    }
    prehash_free(p);
    arena_free(a);
    for (size_t i = 0; i < N; i++) {
        free(text[i]);
    }
}
