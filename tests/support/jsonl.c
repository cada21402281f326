#include "tests/support/jsonl.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct jp {
    const unsigned char *p;
    size_t len, pos;
    char *err;
    size_t err_len;
    bool failed;
};

static bool jp_fail(struct jp *j, const char *what)
{
    if (!j->failed) {
        snprintf(j->err, j->err_len, "offset %zu: %s", j->pos, what);
        j->failed = true;
    }
    return false;
}

static void jp_ws(struct jp *j)
{
    while (j->pos < j->len) {
        unsigned char c = j->p[j->pos];
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
            break;
        }
        j->pos++;
    }
}

static bool jp_lit(struct jp *j, const char *word)
{
    size_t n = strlen(word);
    if (j->len - j->pos < n || memcmp(j->p + j->pos, word, n) != 0) {
        return jp_fail(j, "unknown literal");
    }
    j->pos += n;
    return true;
}

/* growable byte buffer */
struct jbuf {
    char *b;
    size_t n, cap;
};

static void jb_put(struct jbuf *b, const void *src, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 32;
        while (b->n + n + 1 > cap) {
            cap *= 2;
        }
        char *nb = realloc(b->b, cap);
        if (!nb) {
            abort();
        }
        b->b = nb;
        b->cap = cap;
    }
    memcpy(b->b + b->n, src, n);
    b->n += n;
    b->b[b->n] = '\0';
}

static void jb_utf8(struct jbuf *b, uint32_t cp)
{
    unsigned char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (unsigned char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (unsigned char)(0xC0 | (cp >> 6));
        u[1] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (unsigned char)(0xE0 | (cp >> 12));
        u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (unsigned char)(0xF0 | (cp >> 18));
        u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    jb_put(b, u, n);
}

static bool jp_hex4(struct jp *j, uint32_t *out)
{
    if (j->len - j->pos < 4) {
        return jp_fail(j, "short \\u escape");
    }
    uint32_t v = 0;
    for (size_t k = 0; k < 4; k++) {
        unsigned char c = j->p[j->pos + k];
        uint32_t d;
        if (c >= '0' && c <= '9') {
            d = (uint32_t)(c - '0');
        } else if (c >= 'a' && c <= 'f') {
            d = (uint32_t)(c - 'a' + 10);
        } else if (c >= 'A' && c <= 'F') {
            d = (uint32_t)(c - 'A' + 10);
        } else {
            return jp_fail(j, "bad hex digit in \\u escape");
        }
        v = v * 16 + d;
    }
    j->pos += 4;
    *out = v;
    return true;
}

/* jp_string: at the opening quote; fills a malloc'd decoded string. */
static bool jp_string(struct jp *j, char **out, size_t *out_len)
{
    struct jbuf b = { 0 };
    jb_put(&b, "", 0);
    j->pos++; /* '"' */
    for (;;) {
        if (j->pos >= j->len) {
            free(b.b);
            return jp_fail(j, "unterminated string");
        }
        unsigned char c = j->p[j->pos];
        if (c == '"') {
            j->pos++;
            break;
        }
        if (c < 0x20) {
            free(b.b);
            return jp_fail(j, "control character in string");
        }
        if (c != '\\') {
            size_t start = j->pos;
            while (j->pos < j->len && j->p[j->pos] != '"' && j->p[j->pos] != '\\' &&
                   j->p[j->pos] >= 0x20) {
                j->pos++;
            }
            jb_put(&b, j->p + start, j->pos - start);
            continue;
        }
        j->pos++;
        if (j->pos >= j->len) {
            free(b.b);
            return jp_fail(j, "unterminated escape");
        }
        c = j->p[j->pos++];
        char one;
        switch (c) {
        case '"': one = '"'; break;
        case '\\': one = '\\'; break;
        case '/': one = '/'; break;
        case 'b': one = '\b'; break;
        case 'f': one = '\f'; break;
        case 'n': one = '\n'; break;
        case 'r': one = '\r'; break;
        case 't': one = '\t'; break;
        case 'u': {
            uint32_t cp;
            if (!jp_hex4(j, &cp)) {
                free(b.b);
                return false;
            }
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                uint32_t lo;
                if (j->len - j->pos < 2 || j->p[j->pos] != '\\' || j->p[j->pos + 1] != 'u') {
                    free(b.b);
                    return jp_fail(j, "lone high surrogate");
                }
                j->pos += 2;
                if (!jp_hex4(j, &lo)) {
                    free(b.b);
                    return false;
                }
                if (lo < 0xDC00 || lo > 0xDFFF) {
                    free(b.b);
                    return jp_fail(j, "bad low surrogate");
                }
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                free(b.b);
                return jp_fail(j, "lone low surrogate");
            }
            jb_utf8(&b, cp);
            continue;
        }
        default:
            free(b.b);
            return jp_fail(j, "unknown escape");
        }
        jb_put(&b, &one, 1);
    }
    *out = b.b;
    *out_len = b.n;
    return true;
}

static bool jp_number(struct jp *j, struct jv *v)
{
    size_t start = j->pos;
    if (j->pos < j->len && j->p[j->pos] == '-') {
        j->pos++;
    }
    size_t digits = j->pos;
    while (j->pos < j->len && j->p[j->pos] >= '0' && j->p[j->pos] <= '9') {
        j->pos++;
    }
    if (j->pos == digits) {
        return jp_fail(j, "bad number");
    }
    if (j->p[digits] == '0' && j->pos - digits > 1) {
        return jp_fail(j, "leading zero in number");
    }
    if (j->pos < j->len && j->p[j->pos] == '.') {
        j->pos++;
        size_t f = j->pos;
        while (j->pos < j->len && j->p[j->pos] >= '0' && j->p[j->pos] <= '9') {
            j->pos++;
        }
        if (j->pos == f) {
            return jp_fail(j, "bad fraction");
        }
    }
    if (j->pos < j->len && (j->p[j->pos] == 'e' || j->p[j->pos] == 'E')) {
        j->pos++;
        if (j->pos < j->len && (j->p[j->pos] == '+' || j->p[j->pos] == '-')) {
            j->pos++;
        }
        size_t e = j->pos;
        while (j->pos < j->len && j->p[j->pos] >= '0' && j->p[j->pos] <= '9') {
            j->pos++;
        }
        if (j->pos == e) {
            return jp_fail(j, "bad exponent");
        }
    }
    v->type = JV_NUM;
    v->len = j->pos - start;
    v->s = malloc(v->len + 1);
    if (!v->s) {
        abort();
    }
    memcpy(v->s, j->p + start, v->len);
    v->s[v->len] = '\0';
    return true;
}

static void jv_clear(struct jv *v);

static bool jp_value(struct jp *j, struct jv *v, unsigned depth);

static bool jp_push(struct jv *v, size_t *cap, bool with_key)
{
    if (v->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 4;
        struct jv *ni = realloc(v->items, nc * sizeof *ni);
        if (!ni) {
            abort();
        }
        v->items = ni;
        if (with_key) {
            char **nk = realloc(v->keys, nc * sizeof *nk);
            if (!nk) {
                abort();
            }
            v->keys = nk;
        }
        *cap = nc;
    }
    memset(&v->items[v->n], 0, sizeof v->items[v->n]);
    return true;
}

static bool jp_container(struct jp *j, struct jv *v, unsigned depth, bool obj)
{
    size_t cap = 0;
    v->type = obj ? JV_OBJ : JV_ARR;
    j->pos++; /* '{' or '[' */
    jp_ws(j);
    if (j->pos < j->len && j->p[j->pos] == (obj ? '}' : ']')) {
        j->pos++;
        return true;
    }
    for (;;) {
        jp_push(v, &cap, obj);
        if (obj) {
            jp_ws(j);
            if (j->pos >= j->len || j->p[j->pos] != '"') {
                return jp_fail(j, "expected a member name");
            }
            char *key;
            size_t klen;
            if (!jp_string(j, &key, &klen)) {
                return false;
            }
            v->keys[v->n] = key;
            jp_ws(j);
            if (j->pos >= j->len || j->p[j->pos] != ':') {
                v->n++; /* so the key is freed */
                return jp_fail(j, "expected ':'");
            }
            j->pos++;
        }
        bool ok = jp_value(j, &v->items[v->n], depth + 1);
        v->n++;
        if (!ok) {
            return false;
        }
        jp_ws(j);
        if (j->pos >= j->len) {
            return jp_fail(j, "unterminated container");
        }
        unsigned char c = j->p[j->pos++];
        if (c == ',') {
            continue;
        }
        if (c == (obj ? '}' : ']')) {
            return true;
        }
        j->pos--;
        return jp_fail(j, obj ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static bool jp_value(struct jp *j, struct jv *v, unsigned depth)
{
    if (depth > JSONL_MAX_DEPTH) {
        return jp_fail(j, "nested too deeply");
    }
    jp_ws(j);
    if (j->pos >= j->len) {
        return jp_fail(j, "expected a value");
    }
    unsigned char c = j->p[j->pos];
    switch (c) {
    case '{':
        return jp_container(j, v, depth, true);
    case '[':
        return jp_container(j, v, depth, false);
    case '"':
        v->type = JV_STR;
        return jp_string(j, &v->s, &v->len);
    case 't':
        v->type = JV_BOOL;
        v->b = true;
        return jp_lit(j, "true");
    case 'f':
        v->type = JV_BOOL;
        v->b = false;
        return jp_lit(j, "false");
    case 'n':
        v->type = JV_NULL;
        return jp_lit(j, "null");
    default:
        if (c == '-' || (c >= '0' && c <= '9')) {
            return jp_number(j, v);
        }
        return jp_fail(j, "unexpected character");
    }
}

static void jv_clear(struct jv *v)
{
    free(v->s);
    for (size_t i = 0; i < v->n; i++) {
        jv_clear(&v->items[i]);
        if (v->keys) {
            free(v->keys[i]);
        }
    }
    free(v->items);
    free(v->keys);
}

void jsonl_free(struct jv *v)
{
    if (v) {
        jv_clear(v);
        free(v);
    }
}

struct jv *jsonl_parse(const char *p, size_t len, char *err, size_t err_len)
{
    struct jp j = { (const unsigned char *)p, len, 0, err, err_len, false };
    struct jv *v = calloc(1, sizeof *v);
    if (!v) {
        abort();
    }
    bool ok = jp_value(&j, v, 0);
    if (ok) {
        jp_ws(&j);
        if (j.pos != j.len) {
            ok = jp_fail(&j, "trailing bytes after the value");
        }
    }
    if (!ok) {
        jsonl_free(v);
        return NULL;
    }
    return v;
}

bool jsonl_split(const char *buf, size_t len, struct jv ***out, size_t *n, char *err,
                 size_t err_len)
{
    struct jv **arr = NULL;
    size_t cnt = 0, cap = 0, line = 0, pos = 0;
    while (pos < len) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - buf) : len;
        line++;
        bool blank = true;
        for (size_t k = pos; k < end; k++) {
            if (buf[k] != ' ' && buf[k] != '\t' && buf[k] != '\r') {
                blank = false;
                break;
            }
        }
        if (!blank) {
            char e[200];
            struct jv *v = jsonl_parse(buf + pos, end - pos, e, sizeof e);
            if (!v) {
                snprintf(err, err_len, "line %zu: %s", line, e);
                jsonl_free_all(arr, cnt);
                return false;
            }
            if (cnt == cap) {
                cap = cap ? cap * 2 : 64;
                struct jv **na = realloc(arr, cap * sizeof *na);
                if (!na) {
                    abort();
                }
                arr = na;
            }
            arr[cnt++] = v;
        }
        pos = end + 1;
    }
    *out = arr;
    *n = cnt;
    return true;
}

void jsonl_free_all(struct jv **v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        jsonl_free(v[i]);
    }
    free(v);
}

const struct jv *jv_get(const struct jv *v, const char *key)
{
    if (!v || v->type != JV_OBJ) {
        return NULL;
    }
    const struct jv *hit = NULL;
    for (size_t i = 0; i < v->n; i++) {
        if (strcmp(v->keys[i], key) == 0) {
            hit = &v->items[i];
        }
    }
    return hit;
}

const struct jv *jv_at(const struct jv *v, size_t i)
{
    if (!v || v->type != JV_ARR || i >= v->n) {
        return NULL;
    }
    return &v->items[i];
}

const struct jv *jv_path(const struct jv *v, const char *dotted)
{
    char part[128];
    while (v && *dotted) {
        const char *dot = strchr(dotted, '.');
        size_t n = dot ? (size_t)(dot - dotted) : strlen(dotted);
        if (n >= sizeof part) {
            return NULL;
        }
        memcpy(part, dotted, n);
        part[n] = '\0';
        v = jv_get(v, part);
        dotted += n + (dot ? 1 : 0);
    }
    return v;
}

const char *jv_str(const struct jv *v)
{
    return v && v->type == JV_STR ? v->s : NULL;
}

const char *jv_str_or(const struct jv *v, const char *key, const char *dflt)
{
    const char *s = jv_str(jv_get(v, key));
    return s ? s : dflt;
}

bool jv_is_null(const struct jv *v)
{
    return !v || v->type == JV_NULL;
}

bool jv_num(const struct jv *v, double *out)
{
    if (!v || v->type != JV_NUM) {
        return false;
    }
    *out = strtod(v->s, NULL);
    return true;
}
