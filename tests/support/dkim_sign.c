#include "tests/support/dkim_sign.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/canon/canon.h"
#include "engine/core/arena.h"
#include "engine/core/b64.h"
#include "engine/header/hdr.h"

struct tsign tsign_defaults(void)
{
    return (struct tsign){ .d = "example.com", .s = "sel", .a = "rsa-sha256",
                           .c = "relaxed/relaxed", .h = "from:to:subject", .l = -1, .t = -1,
                           .x = -1 };
}

struct hctx {
    struct sig_hash *h;
};

static void hflush(void *ctx, const uint8_t *p, size_t n)
{
    sig_hash_update(ctx, p, n);
}

struct cut {
    uint64_t limit, fed;
    struct sig_hash *h;
};

static void lflush(void *ctx, const uint8_t *p, size_t n)
{
    struct cut *c = ctx;
    uint64_t room = c->limit - c->fed;
    size_t k = room < n ? (size_t)room : n;
    sig_hash_update(c->h, p, k);
    c->fed += k;
}

char *tsign_message(const struct sig_privkey *k, const struct tsign *p, const char *msg)
{
    struct arena *a = arena_new(0);
    struct hdr_index h;
    (void)hdr_parse(a, &h, slice_make(msg, strlen(msg)));
    enum canon_alg hc = CANON_SIMPLE, bc = CANON_SIMPLE;
    if (p->c) {
        hc = strncmp(p->c, "relaxed", 7) == 0 ? CANON_RELAXED : CANON_SIMPLE;
        const char *sl = strchr(p->c, '/');
        bc = (sl && strcmp(sl + 1, "relaxed") == 0) ? CANON_RELAXED : CANON_SIMPLE;
    }
    enum sig_hash_alg ha = strcmp(p->a, "rsa-sha1") == 0 ? SIG_SHA1 : SIG_SHA256;
    struct sig_hash *hh = sig_hash_new();
    sig_hash_init(hh, ha);
    struct cut cut = { p->l >= 0 ? (uint64_t)p->l : UINT64_MAX, 0, hh };
    struct canon_sink *s = malloc(sizeof(*s));
    canon_sink_init(s, lflush, &cut);
    canon_body(s, bc, h.body);
    canon_sink_finish(s);
    uint8_t bh[SIG_MAX_DIGEST];
    size_t bhl = sig_hash_final(hh, bh);
    char bh64[128];
    b64_encode(bh64, slice_make(bh, bhl));

    char tags[2048];
    int n = snprintf(tags, sizeof tags, "DKIM-Signature: v=%s; a=%s; ", p->v ? p->v : "1", p->a);
    if (p->c) {
        n += snprintf(tags + n, sizeof tags - (size_t)n, "c=%s; ", p->c);
    }
    n += snprintf(tags + n, sizeof tags - (size_t)n, "d=%s; s=%s; ", p->d, p->s);
    if (p->i) {
        n += snprintf(tags + n, sizeof tags - (size_t)n, "i=%s; ", p->i);
    }
    if (p->l >= 0) {
        n += snprintf(tags + n, sizeof tags - (size_t)n, "l=%lld; ", p->l);
    }
    if (p->t >= 0) {
        n += snprintf(tags + n, sizeof tags - (size_t)n, "t=%lld; ", p->t);
    }
    if (p->x >= 0) {
        n += snprintf(tags + n, sizeof tags - (size_t)n, "x=%lld; ", p->x);
    }
    if (p->extra) {
        n += snprintf(tags + n, sizeof tags - (size_t)n, "%s", p->extra);
    }
    n += snprintf(tags + n, sizeof tags - (size_t)n, "h=%s;\r\n\tbh=%s;\r\n\tb=", p->h, bh64);

    /* Header hash: h= fields bottom-up per name, then this field with b= empty. */
    sig_hash_init(hh, ha);
    canon_sink_init(s, hflush, hh);
    bool used[4096] = { 0 };
    char hl[512];
    snprintf(hl, sizeof hl, "%s", p->h);
    for (char *save = NULL, *name = strtok_r(hl, ":", &save); name;
         name = strtok_r(NULL, ":", &save)) {
        for (size_t j = h.n; j-- > 0;) {
            if (!used[j] && h.f[j].name_ok &&
                slice_eq_ci(h.f[j].name, slice_make(name, strlen(name)))) {
                used[j] = true;
                canon_header(s, hc, h.f[j].raw, true);
                break;
            }
        }
    }
    canon_header(s, hc, slice_make(tags, (size_t)n), false);
    canon_sink_finish(s);
    uint8_t hd[SIG_MAX_DIGEST], sig[1024];
    size_t hdl = sig_hash_final(hh, hd);
    size_t sl = sig_sign(k, ha, hd, hdl, sig, sizeof sig);
    char *b64 = malloc(b64_encoded_len(sl) + 1);
    b64_encode(b64, slice_make(sig, sl));
    size_t total = (size_t)n + strlen(b64) + 2 + strlen(msg) + 1;
    char *outm = malloc(total);
    snprintf(outm, total, "%s%s\r\n%s", tags, b64, msg);
    free(b64);
    free(s);
    sig_hash_free(hh);
    arena_free(a);
    return outm;
}

char *tsign_key_txt(const struct sig_privkey *k, const char *tags)
{
    uint8_t der[2048];
    size_t n = sig_privkey_public_der(k, der, sizeof der);
    char *b64 = malloc(b64_encoded_len(n) + 1);
    b64_encode(b64, slice_make(der, n));
    size_t bl = strlen(b64);
    size_t cap = strlen(tags) + bl + bl / 200 * 4 + 64;
    char *out = malloc(cap);
    size_t o = (size_t)snprintf(out, cap, "\"%sp=", tags);
    /* split into <=200-byte strings so any key fits RFC 1035's 255-byte limit */
    size_t col = 0;
    for (size_t i = 0; i < bl; i++) {
        if (col == 200) {
            o += (size_t)snprintf(out + o, cap - o, "\" \"");
            col = 0;
        }
        out[o++] = b64[i];
        col++;
    }
    snprintf(out + o, cap - o, "\"");
    free(b64);
    return out;
}
