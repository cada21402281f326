/* fuzz_dmarc: DMARC policy records (dmarc_record_parse) on every input line, then a whole
 * evaluation (dmarc_evaluate, RFC 9989 mode: the DNS Tree Walk) with tests/fuzz/fzdns.h
 * serving the lines after the first as the TXT answers, in query order. The first line is the
 * author domain; the first byte picks the other inputs: bit 0 a passing DKIM signature with
 * d= the author domain, bit 1 one with d= a parent of it, bit 2 SPF ran, bit 3 SPF passed.
 * dmarc_result_json must give valid UTF-8 JSON. A context per input: its cache would
 * otherwise make one input's result depend on the ones before. */
#include <string.h>

#include "engine/core/json.h"
#include "engine/policy/dmarc.h"
#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/fuzz_json.h"
#include "tests/fuzz/fzdns.h"

static void touch(slice s)
{
    for (size_t k = 0; k < s.len; k++) {
        (void)*(volatile const uint8_t *)(s.ptr + k);
    }
}

int fuzz_dmarc_one(const uint8_t *data, size_t size)
{
    static struct arena *a;
    if (a == NULL) {
        a = arena_new(0);
    }
    arena_reset(a);
    if (size < 1) {
        return 0;
    }
    uint8_t flags = data[0];
    slice lines[64];
    size_t n = fzdns_split_lines(slice_make(data + 1, size - 1), lines, 64);
    for (size_t i = 0; i < n; i++) {
        struct dmarc_record rec;
        if (dmarc_record_parse(a, lines[i], &rec)) {
            FUZZ_CHECK(rec.pct <= 100);
            for (size_t k = 0; k < rec.n_rua; k++) {
                touch(rec.rua[k].uri);
            }
            for (size_t k = 0; k < rec.n_ruf; k++) {
                touch(rec.ruf[k].uri);
            }
            touch(rec.rf);
        }
    }

    slice from = n > 0 ? lines[0] : SLICE_LIT("");
    const char *dot = from.len ? memchr(from.ptr, '.', from.len) : NULL;
    slice parent = dot ? slice_make(dot + 1, from.len - (size_t)((const uint8_t *)dot + 1 -
                                                                   from.ptr))
                       : from;
    struct dkim_sig sigs[2];
    memset(sigs, 0, sizeof(sigs));
    size_t n_sigs = 0;
    if (flags & 1) {
        sigs[n_sigs++] = (struct dkim_sig){ .d = from, .s = SLICE_LIT("sel"),
                                            .result = AV_PASS };
    }
    if (flags & 2) {
        sigs[n_sigs++] = (struct dkim_sig){ .d = parent, .s = SLICE_LIT("sel"),
                                            .result = (flags & 16) ? AV_TEMPERROR : AV_PASS };
    }
    struct dmarc_input in = {
        .from_domain = from,
        .from_error = from.len == 0 ? "no_from" : NULL,
        .sigs = sigs,
        .n_sigs = n_sigs,
        .spf_ran = (flags & 4) != 0,
        .spf_result = (flags & 8) ? AV_PASS : AV_FAIL,
        .spf_domain = (flags & 32) ? parent : from,
        .msg_key = SLICE_LIT("<fuzz@example.com>"),
    };

    struct dmarc_config cfg = { .mode = DMARC_MODE_RFC9989, .apply_reject = (flags & 64) != 0 };
    char err[256];
    struct dmarc_ctx *c = dmarc_ctx_new(&cfg, err, sizeof(err));
    FUZZ_CHECK(c != NULL);
    struct fzdns dns;
    fzdns_init(&dns, n > 1 ? lines + 1 : NULL, n > 1 ? n - 1 : 0);
    struct dmarc_result res;
    memset(&res, 0, sizeof(res));
    dmarc_evaluate(c, a, &dns.base, &in, &res, NULL);
    FUZZ_CHECK(!res.pending);
    FUZZ_CHECK(res.reason < DMARC_R__COUNT);
    FUZZ_CHECK((res.result == AV_PASS) == (res.reason == DMARC_R_NONE));
    (void)dmarc_class_name(dmarc_class(&res));
    touch(res.domain);
    touch(res.policy_domain);
    touch(res.org_domain);
    touch(res.dkim_aligned);
    struct sbuf b;
    sbuf_init(&b, 1u << 20);
    if (dmarc_result_json(&b, &res)) {
        FUZZ_CHECK(json_valid_utf8(sbuf_slice(&b)));
        FUZZ_CHECK(fuzz_json_ok(sbuf_slice(&b)));
    }
    sbuf_cleanup(&b);
    dmarc_ctx_free(c);
    return 0;
}

FUZZ_ENTRY(fuzz_dmarc_one)
