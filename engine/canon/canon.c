#include "engine/canon/canon.h"

#include <stdlib.h>
#include <string.h>

#include "engine/core/arena.h"

void canon_sink_init(struct canon_sink *s, void (*flush)(void *, const uint8_t *, size_t),
                     void *ctx)
{
    s->flush = flush;
    s->ctx = ctx;
    s->len = 0;
    s->total = 0;
    s->buf = s->ibuf;
    s->cap = CANON_SINK_BUF;
    s->direct = false;
    s->overflow = false;
}

void canon_sink_init_direct(struct canon_sink *s,
                            void (*flush)(void *, const uint8_t *, size_t), void *ctx,
                            uint8_t *out, size_t cap)
{
    canon_sink_init(s, flush, ctx);
    s->buf = out;
    s->cap = cap;
    s->direct = true;
}

void canon_sink_finish(struct canon_sink *s)
{
    if (s->len) {
        s->flush(s->ctx, s->buf, s->len);
        if (s->direct) { /* the flushed bytes stay where they are: write after them */
            s->buf += s->len;
            s->cap -= s->len;
        }
        s->len = 0;
    }
}

void canon_sink_write(struct canon_sink *s, const uint8_t *p, size_t n)
{
    s->total += n;
    if (n > s->cap - s->len) {
        if (s->direct) {
            s->overflow = true;
            return;
        }
        canon_sink_finish(s);
        if (n >= s->cap) {
            s->flush(s->ctx, p, n);
            return;
        }
    }
    memcpy(s->buf + s->len, p, n);
    s->len += n;
}

static inline void sink_byte(struct canon_sink *s, uint8_t c)
{
    if (s->len == s->cap) {
        if (s->direct) {
            s->overflow = true;
            s->total++;
            return;
        }
        canon_sink_finish(s);
    }
    s->buf[s->len++] = c;
    s->total++;
}

static const uint8_t crlf[2] = { '\r', '\n' };

/* ---- header fields (RFC 6376 §3.4.1, §3.4.2) ---------------------------------------- */

/* Simple: the field unchanged, except that bare LF becomes CRLF (see canon.h). */
static void header_simple(struct canon_sink *s, slice raw, slice cut, bool with_crlf)
{
    /* Drop the field's own final line end; it is written back as CRLF below if wanted. */
    if (raw.len && raw.ptr[raw.len - 1] == '\n') {
        raw.len--;
        if (raw.len && raw.ptr[raw.len - 1] == '\r') {
            raw.len--;
        }
    }
    for (size_t i = 0; i < raw.len; i++) {
        const uint8_t *p = raw.ptr + i;
        if (cut.len && p == cut.ptr) {
            i += cut.len - 1;
            continue;
        }
        if (*p == '\n' && (i == 0 || raw.ptr[i - 1] != '\r')) {
            canon_sink_write(s, crlf, 2);
        } else {
            sink_byte(s, *p);
        }
    }
    if (with_crlf) {
        canon_sink_write(s, crlf, 2);
    }
}

/* Relaxed: lower-case name; unfold; WSP runs to one SP; no WSP at the value's end or
 * around the colon. */
/* hdr_run writes the bytes p[0..n) of a relaxed header value that hold no event (see
 * canon_next_event: no TAB, no line break, a SP only before another byte), as the byte
 * loop of RFC 6376 §3.4.2 would: WSP before the first byte of the value is dropped, a SP
 * held back from before is written first, and a SP that ends the run is held back. */
static void hdr_run(struct canon_sink *s, const uint8_t *p, size_t n, bool *started,
                    bool *pending_sp)
{
    size_t b = 0, e = n;
    while (b < e && p[b] == ' ') {
        if (*started) {
            *pending_sp = true;
        }
        b++;
    }
    bool trailing = false;
    while (e > b && p[e - 1] == ' ') {
        e--;
        trailing = true;
    }
    if (e > b) {
        if (*pending_sp) {
            sink_byte(s, ' ');
        }
        canon_sink_write(s, p + b, e - b);
        *started = true;
        *pending_sp = false;
    }
    if (trailing && *started) {
        *pending_sp = true;
    }
}

/* Relaxed (§3.4.2): name lowercased and cut of trailing WSP, the value unfolded, WSP runs
 * made one SP, WSP at either end of the value dropped. From event to event (16 bytes a
 * step), the bytes between copied in one piece. */
static void header_relaxed(struct canon_sink *s, slice raw, slice cut, bool with_crlf)
{
    ptrdiff_t colon = slice_find(raw, ':');
    size_t i = 0;
    if (colon >= 0) {
        slice name = slice_trim_right_fws(slice_make(raw.ptr, (size_t)colon));
        for (size_t k = 0; k < name.len; k++) {
            sink_byte(s, slice_lower(name.ptr[k]));
        }
        sink_byte(s, ':');
        i = (size_t)colon + 1;
    }
    const uint8_t *p = raw.ptr;
    /* The cut (the b= value, §3.7) as offsets; none: both at the end. */
    bool has_cut = cut.len > 0 && cut.ptr >= p + i && cut.ptr < p + raw.len;
    size_t cut_at = has_cut ? (size_t)(cut.ptr - p) : raw.len;
    size_t cut_end = has_cut && cut.len < raw.len - cut_at ? cut_at + cut.len : raw.len;
    bool pending_sp = false, started = false;
    while (i < raw.len) {
        if (i == cut_at) {
            i = cut_end;
            continue;
        }
        /* Events are judged on the whole field (a CR before the cut pairs with an LF at
         * its start, as the byte loop sees it), then stopped at the cut. */
        size_t seg = i < cut_at ? cut_at : raw.len;
        size_t k = canon_next_event(p, i, raw.len, true);
        if (k > seg) {
            k = seg;
        }
        if (k > i) {
            hdr_run(s, p + i, k - i, &started, &pending_sp);
        }
        if (k == seg) {
            i = seg;
            continue;
        }
        uint8_t c = p[k];
        if (c == '\n') {
            i = k + 1; /* unfolding: line breaks vanish; the WSP after them stays */
        } else if (c == '\r') {
            i = k + 1 == cut_at ? cut_at : k + 2; /* CRLF (its LF may open the cut) */
        } else {
            pending_sp = started; /* a TAB, or a SP before WSP, a line break or the end */
            i = k + 1;
        }
    }
    if (with_crlf) {
        canon_sink_write(s, crlf, 2);
    }
}

/* canon_header_relaxed_plain: the byte loop of §3.4.2 that header_relaxed's event scan must
 * equal (tests compare the two on generated fields). */
void canon_header_relaxed_plain(struct canon_sink *s, slice raw, slice cut, bool with_crlf)
{
    ptrdiff_t colon = slice_find(raw, ':');
    size_t i = 0;
    if (colon >= 0) {
        slice name = slice_trim_right_fws(slice_make(raw.ptr, (size_t)colon));
        for (size_t k = 0; k < name.len; k++) {
            sink_byte(s, slice_lower(name.ptr[k]));
        }
        sink_byte(s, ':');
        i = (size_t)colon + 1;
    }
    bool pending_sp = false, started = false;
    for (; i < raw.len; i++) {
        const uint8_t *p = raw.ptr + i;
        if (cut.len && p == cut.ptr) {
            i += cut.len - 1;
            continue;
        }
        uint8_t c = *p;
        if (c == '\n' || (c == '\r' && i + 1 < raw.len && raw.ptr[i + 1] == '\n')) {
            continue;
        }
        if (c == ' ' || c == '\t') {
            pending_sp = started;
            continue;
        }
        if (pending_sp) {
            sink_byte(s, ' ');
            pending_sp = false;
        }
        sink_byte(s, c);
        started = true;
    }
    if (with_crlf) {
        canon_sink_write(s, crlf, 2);
    }
}

void canon_header_without(struct canon_sink *s, enum canon_alg alg, slice raw, slice cut,
                          bool with_crlf)
{
    if (alg == CANON_RELAXED) {
        header_relaxed(s, raw, cut, with_crlf);
    } else {
        header_simple(s, raw, cut, with_crlf);
    }
}

void canon_header(struct canon_sink *s, enum canon_alg alg, slice raw, bool with_crlf)
{
    canon_header_without(s, alg, raw, SLICE_NULL, with_crlf);
}

/* ---- body (RFC 6376 §3.4.3, §3.4.4) -------------------------------------------------- */

/* Empty lines are held back (as a count) until a non-empty line shows they are not the
 * trailing ones that both algorithms drop. */
static void flush_empty(struct canon_sink *s, uint64_t *n_empty)
{
    for (; *n_empty > 0; (*n_empty)--) {
        canon_sink_write(s, crlf, 2);
    }
}

/* canon_next_event returns the first index k in [i, end) where the body canonicalizer
 * must do more than copy: an LF (a line ends), a CR just before an LF (dropped with it),
 * and for relaxed (§3.4.4) a TAB or a SP followed by SP, TAB, CR, LF or the end (a WSP run
 * to shrink, or trailing WSP to cut); end if none. p[end] is never read. A lone SP between
 * words and a CR not before an LF are ordinary bytes. canon_next_event_plain is the byte
 * loop; the SSE2 version tests 16 positions a step (the tests compare the two). */
size_t canon_next_event_plain(const uint8_t *p, size_t i, size_t end, bool relaxed)
{
    for (; i < end; i++) {
        uint8_t c = p[i];
        int next = i + 1 < end ? p[i + 1] : -1; /* -1: the end of the body */
        if (c == '\n' || (c == '\r' && next == '\n')) {
            return i;
        }
        if (relaxed && (c == '\t' || (c == ' ' && (next == ' ' || next == '\t' || next == '\r' ||
                                                   next == '\n' || next == -1)))) {
            return i;
        }
    }
    return end;
}

#if defined(__SSE2__)
#include <emmintrin.h>
size_t canon_next_event(const uint8_t *p, size_t i, size_t end, bool relaxed)
{
    const __m128i lf = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r');
    const __m128i sp = _mm_set1_epi8(' '), tab = _mm_set1_epi8('\t');
    while (i + 16 < end) { /* p[i .. i+16] are all before end */
        __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(p + i + 1));
        __m128i b_lf = _mm_cmpeq_epi8(b, lf);
        __m128i m = _mm_or_si128(_mm_cmpeq_epi8(a, lf),
                                 _mm_and_si128(_mm_cmpeq_epi8(a, cr), b_lf));
        if (relaxed) {
            __m128i b_ws = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(b, sp), _mm_cmpeq_epi8(b, tab)),
                                        _mm_or_si128(_mm_cmpeq_epi8(b, cr), b_lf));
            m = _mm_or_si128(m, _mm_or_si128(_mm_cmpeq_epi8(a, tab),
                                             _mm_and_si128(_mm_cmpeq_epi8(a, sp), b_ws)));
        }
        unsigned bits = (unsigned)_mm_movemask_epi8(m);
        if (bits != 0) {
            return i + (size_t)__builtin_ctz(bits);
        }
        i += 16;
    }
    return canon_next_event_plain(p, i, end, relaxed);
}
#else
size_t canon_next_event(const uint8_t *p, size_t i, size_t end, bool relaxed)
{
    return canon_next_event_plain(p, i, end, relaxed);
}
#endif

/* content writes bytes of a line, after the empty lines held back before it. */
static inline void content(struct canon_sink *s, const uint8_t *p, size_t n, bool *in_line,
                           uint64_t *n_empty)
{
    if (!*in_line) {
        flush_empty(s, n_empty);
        *in_line = true;
    }
    if (n <= s->cap - s->len) {
        memcpy(s->buf + s->len, p, n);
        s->len += n;
        s->total += n;
        return;
    }
    canon_sink_write(s, p, n);
}

/* line_out writes a line's last bytes and its CRLF: one room check for both in the usual
 * case of a short line. */
static inline void line_out(struct canon_sink *s, const uint8_t *p, size_t n)
{
    if (n + 2 <= s->cap - s->len) {
        memcpy(s->buf + s->len, p, n);
        s->buf[s->len + n] = '\r';
        s->buf[s->len + n + 1] = '\n';
        s->len += n + 2;
        s->total += n + 2;
        return;
    }
    canon_sink_write(s, p, n);
    canon_sink_write(s, crlf, 2);
}

/* body_events: RFC 6376 §3.4.3 (simple) or §3.4.4 (relaxed) in one pass from event to
 * event: the bytes between events are copied as they are, each line gets CRLF, empty lines
 * are held back as a count until a line with content shows they are not trailing. A
 * relaxed line left empty by cutting its WSP counts as empty. */
static void body_events(struct canon_sink *s, slice body, bool relaxed)
{
    const uint8_t *p = body.ptr;
    size_t n = body.len, run = 0;
    uint64_t n_empty = 0;
    bool in_line = false; /* something of the current line has been written */
    while (run < n) {
        size_t k = canon_next_event(p, run, n, relaxed);
        if (k == n) {
            content(s, p + run, k - run, &in_line, &n_empty);
            break;
        }
        uint8_t c = p[k];
        if (c == '\n' || c == '\r') { /* LF, or the CR of a CRLF: the line ends */
            if (k > run || in_line) {
                if (!in_line) {
                    flush_empty(s, &n_empty);
                }
                line_out(s, p + run, k - run);
            } else {
                n_empty++;
            }
            in_line = false;
            run = k + (c == '\r' ? 2 : 1);
            continue;
        }
        if (k > run) {
            content(s, p + run, k - run, &in_line, &n_empty);
        }
        /* relaxed: a WSP run starts at k */
        size_t j = k + 1;
        while (j < n && (p[j] == ' ' || p[j] == '\t')) {
            j++;
        }
        bool trailing = j == n || p[j] == '\n' || (p[j] == '\r' && j + 1 < n && p[j + 1] == '\n');
        if (!trailing) {
            content(s, (const uint8_t *)" ", 1, &in_line, &n_empty);
        }
        run = j;
    }
    if (in_line) {
        canon_sink_write(s, crlf, 2); /* a last line without LF gets its CRLF too */
    }
}

/* simple_crlf_body: RFC 6376 §3.4.3 for a body whose every LF follows a CR is the body with
 * its trailing empty lines cut (and a CRLF added after a last line without one): a region
 * of the message itself, hashed without copying. False (nothing written) for any other
 * body, which takes the general path. */
static bool simple_crlf_body(struct canon_sink *s, slice body, uint64_t *out_len)
{
    for (size_t p = 0; p < body.len;) {
        const uint8_t *lf = memchr(body.ptr + p, '\n', body.len - p);
        if (lf == NULL) {
            break;
        }
        if (lf == body.ptr || lf[-1] != '\r') {
            return false; /* a bare LF: stored with LF line ends */
        }
        p = (size_t)(lf - body.ptr) + 1;
    }
    size_t n = body.len;
    while (n >= 2 && body.ptr[n - 1] == '\n' && body.ptr[n - 2] == '\r') {
        if (n == 2 || (body.ptr[n - 3] == '\n' && n >= 4 && body.ptr[n - 4] == '\r')) {
            n -= 2; /* an empty line at the end */
            continue;
        }
        break;
    }
    canon_sink_finish(s);
    uint64_t before = s->total;
    if (n == 0) {
        canon_sink_write(s, crlf, 2); /* the simple form of an empty body is one CRLF */
    } else {
        if (s->direct) {
            canon_sink_write(s, body.ptr, n); /* the caller wants it in its memory */
        } else {
            s->flush(s->ctx, body.ptr, n);
            s->total += n;
        }
        if (!(n >= 2 && body.ptr[n - 1] == '\n' && body.ptr[n - 2] == '\r')) {
            canon_sink_write(s, crlf, 2);
        }
    }
    *out_len = s->total - before;
    return true;
}

uint64_t canon_body(struct canon_sink *s, enum canon_alg alg, slice body)
{
    uint64_t start = s->total;
    uint64_t fast_len;
    if (alg == CANON_SIMPLE && simple_crlf_body(s, body, &fast_len)) {
        return fast_len;
    }
    body_events(s, body, alg == CANON_RELAXED);
    /* §3.4.3: the simple canonical form of an empty body is one CRLF; §3.4.4: relaxed
     * leaves it empty. */
    if (alg == CANON_SIMPLE && s->total == start) {
        canon_sink_write(s, crlf, 2);
    }
    return s->total - start;
}

/* ---- reference implementation ---------------------------------------------------------- */

uint8_t *canon_body_ref(enum canon_alg alg, slice body, size_t *out_len)
{
    /* 1. Split into lines at LF, dropping one CR before each LF. */
    size_t cap = body.len * 2 + 4, n = 0;
    uint8_t *out = malloc(cap);
    size_t p = 0;
    while (p < body.len) {
        size_t e = p;
        while (e < body.len && body.ptr[e] != '\n') {
            e++;
        }
        size_t le = e;
        if (e < body.len && le > p && body.ptr[le - 1] == '\r') {
            le--;
        }
        /* 2. Per line: relaxed compresses WSP runs and drops trailing WSP. */
        size_t line_start = n;
        for (size_t i = p; i < le; i++) {
            uint8_t c = body.ptr[i];
            bool wsp = c == ' ' || c == '\t';
            if (alg == CANON_RELAXED && wsp) {
                if (n > line_start && out[n - 1] == ' ') {
                    continue;
                }
                c = ' ';
            }
            out[n++] = c;
        }
        if (alg == CANON_RELAXED) {
            while (n > line_start && out[n - 1] == ' ') {
                n--;
            }
        }
        out[n++] = '\r';
        out[n++] = '\n';
        p = e < body.len ? e + 1 : e;
    }
    /* 3. Drop trailing empty lines. */
    while (n >= 4 && out[n - 1] == '\n' && out[n - 2] == '\r' && out[n - 3] == '\n' &&
           out[n - 4] == '\r') {
        n -= 2;
    }
    if (n == 2) {
        n = 0; /* the body was only empty lines */
    }
    if (alg == CANON_SIMPLE && n == 0) {
        out[n++] = '\r';
        out[n++] = '\n';
    }
    *out_len = n;
    return out;
}
