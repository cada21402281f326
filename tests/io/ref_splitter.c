/* ref_splitter: the mbox splitter of io/input.c as it was before the scan and copy-once
 * rewrite, kept verbatim (only INPUT_FROM_LINE_MAX renamed) as the reference that the
 * differential tests (tests/io/test_split_diff.c) and the mbox fuzz harness
 * (tests/fuzz/fuzz_mbox.c) compare the production splitter against. Test code only: it
 * goes from line to line with memchr and grows each message's buffer from 4 KB by doubling,
 * which is slow but simple.
 * Do not "fix" it to follow the production code: if the two disagree, the production code
 * changed behaviour. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "engine/core/arena.h"
#include "tests/io/ref_splitter.h"

#define REF_FROM_LINE_MAX 4096u /* INPUT_FROM_LINE_MAX in io/input.c */

/* ---------------------------------------------------------------------------------------
 * Splitter: mbox bytes -> messages, fed chunk by chunk (RFC 4155).
 *
 * At each line start it matches ">"* "From " one byte at a time (the match may straddle
 * chunks), holding only a count of '>' and how much of "From " matched. Inside a line it
 * jumps to the next LF with memchr and copies the run. A message's bytes go into one
 * buffer capped at max_message_bytes (+2 for the separator line dropped at the end); past
 * that the message is only counted. */

enum sp_state { SP_LINE_START, SP_MID_LINE, SP_FROM_LINE };

struct splitter {
    enum sp_state st;
    uint64_t gt;       /* '>' seen at the start of this line */
    unsigned fm;       /* bytes of "From " matched after them */
    uint64_t line_off; /* offset of the current line's first byte */
    size_t max;
    bool in_msg, skipping;
    uint8_t *buf; /* [From_ line][raw] */
    size_t len, cap, fl;
    uint64_t msg_off, index;
    const char *source;
};

static const uint8_t sp_from[5] = { 'F', 'r', 'o', 'm', ' ' };

static void sp_begin(struct splitter *sp, uint64_t off)
{
    sp->in_msg = true;
    sp->skipping = false;
    sp->msg_off = off;
    sp->cap = 4096;
    sp->buf = xmalloc(sp->cap);
    sp->len = 0;
    sp->fl = 0;
}

static void sp_reserve(struct splitter *sp, size_t n)
{
    if (sp->cap - sp->len >= n) {
        return;
    }
    size_t want = sp->len + n;
    size_t c = sp->cap * 2;
    size_t lim = sp->fl + sp->max + 2;
    if (c > lim) {
        c = lim;
    }
    if (c < want) {
        c = want;
    }
    sp->buf = xrealloc(sp->buf, c);
    sp->cap = c;
}

/* sp_skip drops the raw bytes held so far (keeping the From_ line): the message is too big. */
static void sp_skip(struct splitter *sp)
{
    uint8_t *nb = xmalloc(sp->fl ? sp->fl : 1);
    memcpy(nb, sp->buf, sp->fl);
    xfree(sp->buf);
    sp->buf = nb;
    sp->cap = sp->fl ? sp->fl : 1;
    sp->len = sp->fl;
    sp->skipping = true;
}

static void sp_put(struct splitter *sp, const uint8_t *p, size_t n)
{
    if (n == 0) {
        return;
    }
    if (!sp->in_msg) {
        sp_begin(sp, sp->line_off); /* content before any From_ line: a message of its own */
    }
    if (sp->skipping) {
        return;
    }
    if (n > sp->max + 2 - (sp->len - sp->fl)) {
        sp_skip(sp);
        return;
    }
    sp_reserve(sp, n);
    memcpy(sp->buf + sp->len, p, n);
    sp->len += n;
}

static void sp_put_gt(struct splitter *sp, uint64_t n)
{
    uint8_t gts[64];
    memset(gts, '>', sizeof(gts));
    while (n > 0) {
        size_t k = n > sizeof(gts) ? sizeof(gts) : (size_t)n;
        sp_put(sp, gts, k);
        n -= k;
    }
}

static void sp_flush_prefix(struct splitter *sp)
{
    sp_put_gt(sp, sp->gt);
    sp_put(sp, sp_from, sp->fm);
    sp->gt = 0;
    sp->fm = 0;
}

static void sp_put_from(struct splitter *sp, const uint8_t *p, size_t n)
{
    size_t room = REF_FROM_LINE_MAX - sp->fl;
    if (n > room) {
        n = room;
    }
    if (n == 0) {
        return;
    }
    sp_reserve(sp, n);
    memcpy(sp->buf + sp->len, p, n);
    sp->len += n;
    sp->fl += n;
}

/* sp_end hands the message in progress to *out; it ends at end_off. */
static void sp_end(struct splitter *sp, uint64_t end_off, struct input_msg *out)
{
    const uint8_t *raw = sp->buf + sp->fl;
    size_t rl = sp->len - sp->fl;
    /* RFC 4155 §2: the empty line before the next From_ line separates messages. */
    if (!sp->skipping && rl >= 1 && raw[rl - 1] == '\n') {
        if (rl == 1 || (rl >= 2 && raw[rl - 2] == '\n')) {
            rl -= 1;
        } else if (raw[rl - 2] == '\r' && (rl == 2 || raw[rl - 3] == '\n')) {
            rl -= 2;
        }
    }
    memset(out, 0, sizeof(*out));
    out->data = sp->buf;
    out->from_line = slice_make(sp->buf, sp->fl);
    out->source = sp->source;
    out->index = sp->index++;
    out->offset = (int64_t)sp->msg_off;
    out->size = end_off - sp->msg_off;
    out->kind = INPUT_KIND_MBOX;
    if (sp->skipping || rl > sp->max) {
        out->err = INPUT_E_TOO_BIG;
        snprintf(out->err_detail, sizeof(out->err_detail),
                 "message is over the limit of %zu bytes (%llu bytes in the mbox)", sp->max,
                 (unsigned long long)out->size);
        rl = 0;
    }
    out->raw = slice_make(sp->buf + sp->fl, rl);
    sp->buf = NULL;
    sp->len = sp->cap = sp->fl = 0;
    sp->in_msg = false;
    sp->skipping = false;
}

/* sp_line_start handles one byte at a line start. Returns true if a message ended (*out
 * filled). *i advances unless the byte belongs to the rest of the line. */
static bool sp_line_start(struct splitter *sp, uint8_t c, uint64_t base, size_t *i,
                          struct input_msg *out)
{
    if (!sp->in_msg && sp->gt == 0 && sp->fm == 0 && (c == '\n' || c == '\r')) {
        (*i)++; /* blank lines before the first From_ line are ignored */
        sp->line_off = base + *i;
        return false;
    }
    if (sp->fm == 0 && c == '>') {
        sp->gt++;
        (*i)++;
        return false;
    }
    if (c != sp_from[sp->fm]) {
        sp_flush_prefix(sp);
        sp->st = SP_MID_LINE;
        return false;
    }
    (*i)++;
    if (++sp->fm < sizeof(sp_from)) {
        return false;
    }
    if (sp->gt > 0) {
        /* mboxrd: a line matching ^>+From  loses one '>' (mboxo's ">From " too). */
        sp_put_gt(sp, sp->gt - 1);
        sp_put(sp, sp_from, sizeof(sp_from));
        sp->gt = 0;
        sp->fm = 0;
        sp->st = SP_MID_LINE;
        return false;
    }
    /* RFC 4155 §2: a From_ line starts the next message. */
    sp->fm = 0;
    sp->st = SP_FROM_LINE;
    bool ended = sp->in_msg;
    if (ended) {
        sp_end(sp, sp->line_off, out);
    }
    sp_begin(sp, sp->line_off);
    return ended;
}

/* sp_feed consumes p[*pos..len) (p[0] is at offset base). Returns true as soon as a
 * message is complete (*out filled, *pos just after its end); false when p is used up. */
static bool sp_feed(struct splitter *sp, const uint8_t *p, size_t len, size_t *pos,
                    uint64_t base, struct input_msg *out)
{
    size_t i = *pos;
    bool ended = false;
    while (i < len && !ended) {
        switch (sp->st) {
        case SP_LINE_START:
            ended = sp_line_start(sp, p[i], base, &i, out);
            break;
        case SP_MID_LINE:
        case SP_FROM_LINE: {
            if (sp->st == SP_MID_LINE && sp->in_msg) {
                /* Inside a message only a line starting with 'F' or '>' can matter (a From_
                 * line, or mboxrd quoting): copy every other line in one run. */
                size_t j = i;
                const uint8_t *nl;
                while ((nl = memchr(p + j, '\n', len - j)) != NULL) {
                    j = (size_t)(nl - p) + 1;
                    if (j == len || p[j] == 'F' || p[j] == '>') {
                        break;
                    }
                }
                if (nl == NULL) {
                    j = len;
                }
                sp_put(sp, p + i, j - i);
                i = j;
                if (nl != NULL) {
                    sp->st = SP_LINE_START;
                    sp->line_off = base + i;
                }
                break;
            }
            const uint8_t *nl = memchr(p + i, '\n', len - i);
            size_t end = nl ? (size_t)(nl - p) + 1 : len;
            if (sp->st == SP_MID_LINE) {
                sp_put(sp, p + i, end - i);
            } else {
                sp_put_from(sp, p + i, nl ? end - i - 1 : end - i);
                if (nl && sp->fl > 0 && sp->buf[sp->fl - 1] == '\r') {
                    sp->fl--; /* CRLF mbox */
                    sp->len--;
                }
            }
            i = end;
            if (nl) {
                sp->st = SP_LINE_START;
                sp->line_off = base + i;
            }
            break;
        }
        }
    }
    *pos = i;
    return ended;
}

/* sp_finish ends the stream at end_off: true if a last message was pending (*out). */
static bool sp_finish(struct splitter *sp, uint64_t end_off, struct input_msg *out)
{
    if (sp->st == SP_LINE_START && (sp->gt > 0 || sp->fm > 0)) {
        sp_flush_prefix(sp);
    }
    sp->st = SP_LINE_START;
    if (!sp->in_msg) {
        return false;
    }
    sp_end(sp, end_off, out);
    return true;
}

static void sp_cleanup(struct splitter *sp)
{
    xfree(sp->buf);
    sp->buf = NULL;
    sp->in_msg = false;
}

/* ---------------------------------------------------------------------------------------
 * Entry points (tests/io/ref_splitter.h). */

struct ref_splitter {
    struct splitter sp;
};

struct ref_splitter *ref_splitter_new(size_t max_message_bytes, const char *source)
{
    struct ref_splitter *r = xcalloc(1, sizeof(*r));
    r->sp.max = max_message_bytes > SIZE_MAX / 4 ? SIZE_MAX / 4 : max_message_bytes;
    r->sp.source = source;
    return r;
}

bool ref_splitter_feed(struct ref_splitter *r, struct input_msg *out, const uint8_t *p,
                       size_t len, size_t *pos, uint64_t base)
{
    return sp_feed(&r->sp, p, len, pos, base, out);
}

bool ref_splitter_finish(struct ref_splitter *r, struct input_msg *out, uint64_t end_off)
{
    return sp_finish(&r->sp, end_off, out);
}

void ref_splitter_free(struct ref_splitter *r)
{
    if (r == NULL) {
        return;
    }
    sp_cleanup(&r->sp);
    xfree(r);
}
