/* fuzz_message: whole-message verification, stages 3-8 (pipe_message), against a fixed DNS
 * snapshot with real keys (message_zone.h), so seeds from the realworld corpus verify and the
 * fuzzer mutates messages that reach the crypto. If the input starts with "From " its first
 * line is taken as the mbox From_ line (feeding the as-of date logic).
 *
 * The record must be one line of valid UTF-8 JSON: json_valid_utf8, a syntactically valid
 * JSON object (tests/fuzz/fuzz_json.c), ending in "}\n", one '\n' in all. */
#include <stdlib.h>
#include <string.h>

#include "dns/snapshot.h"
#include "engine/core/json.h"
#include "engine/core/limits.h"
#include "engine/pipeline.h"
#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/fuzz_json.h"
#include "tests/fuzz/message_zone.h"

/* ---- the harness ----------------------------------------------------------------------------- */

static struct pipe_config cfg;
static struct pipe_worker *worker;

static void setup(void)
{
    char err[256];
    struct dns_resolver *r = snapshot_load_mem(slice_make(fuzz_message_zone,
                                                          sizeof(fuzz_message_zone) - 1),
                                               "message_zone.h", err, sizeof(err));
    if (r == NULL) {
        fprintf(stderr, "fuzz_message: %s\n", err);
        abort();
    }
    cfg.resolver = r;
    cfg.keys = keycache_new();
    cfg.dkim = (struct dkim_opts){ .max_sigs = LIM_DKIM_SIGS_DEFAULT, .allow_sha1 = false,
                                   .clock_skew = 300 };
    cfg.as_of = AS_OF_RECEIVED;
    cfg.run_started = 1700000000;
    cfg.threads = 1;
    worker = pipe_worker_new(&cfg);
}

int fuzz_message_one(const uint8_t *data, size_t size)
{
    if (worker == NULL) {
        setup();
    }
    struct input_msg m;
    memset(&m, 0, sizeof(m));
    m.data = malloc(size ? size : 1);
    FUZZ_CHECK(m.data != NULL);
    if (size > 0) {
        memcpy(m.data, data, size);
    }
    m.raw = slice_make(m.data, size);
    m.from_line = SLICE_NULL;
    if (size >= 5 && memcmp(data, "From ", 5) == 0) {
        const uint8_t *lf = memchr(data, '\n', size);
        size_t eol = lf ? (size_t)(lf - data) : size;
        size_t next = lf ? eol + 1 : size;
        if (eol > 5 && data[eol - 1] == '\r') {
            eol--;
        }
        m.from_line = slice_make(m.data + 5, eol - 5);
        m.raw = slice_make(m.data + next, size - next);
    }
    m.source = "fuzz.eml";
    m.offset = -1;
    m.size = size;
    m.kind = INPUT_KIND_FILE;
    m.err = INPUT_OK;

    struct sbuf out;
    sbuf_init(&out, LIM_RECORD_BYTES); /* as the pipeline gives each record */
    struct pipe_stats st;
    memset(&st, 0, sizeof(st));
    FUZZ_CHECK(pipe_message(worker, &m, &out, &st)); /* the snapshot never says pending */

    slice rec = sbuf_slice(&out);
    FUZZ_CHECK(rec.len >= 3);
    FUZZ_CHECK(rec.ptr[0] == '{');
    FUZZ_CHECK(rec.ptr[rec.len - 2] == '}' && rec.ptr[rec.len - 1] == '\n');
    FUZZ_CHECK(memchr(rec.ptr, '\n', rec.len) == rec.ptr + rec.len - 1); /* one line */
    FUZZ_CHECK(rec.len <= LIM_RECORD_BYTES + 1);
    FUZZ_CHECK(json_valid_utf8(rec));
    FUZZ_CHECK(fuzz_json_ok(slice_make(rec.ptr, rec.len - 1)));
    FUZZ_CHECK(st.c[PC_MESSAGES] == 1 && st.c[PC_RECORDS] == 1);
    sbuf_cleanup(&out);
    free(m.data);
    return 0;
}

FUZZ_ENTRY(fuzz_message_one)
