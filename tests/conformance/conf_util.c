#include "tests/conformance/conf_util.h"

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/guard.h"

bool conf_verify(struct conf_run *r, const char *args_fmt, ...)
{
    memset(r, 0, sizeof *r);
    char args[8192];
    va_list ap;
    va_start(ap, args_fmt);
    int an = vsnprintf(args, sizeof args, args_fmt, ap);
    va_end(ap);
    if (an < 0 || (size_t)an >= sizeof args) {
        cr_log_error("conf_verify: arguments too long");
        return false;
    }
    char *dir = conf_mktemp("run");
    if (!dir) {
        return false;
    }
    char cmd[16384];
    /* The tests carry no Criterion .timeout: Criterion 2.4.1's runner leaks its timeout
     * record when such a test ends while others run (--jobs > 1), which LeakSanitizer
     * reports under `make check`. coreutils timeout(1) bounds each run instead. */
    snprintf(cmd, sizeof cmd, "timeout 120 '%s' verify -q %s 2>'%s/stderr'", test_bin(), args,
             dir);
    char *out = NULL;
    size_t len = 0;
    r->status = test_run(cmd, &out, &len);
    char path[4096];
    snprintf(path, sizeof path, "%s/stderr", dir);
    r->err = test_read_file(path, NULL);
    if (!r->err) {
        r->err = strdup("");
    }
    conf_rmrf(dir);
    free(dir);
    if (!out) {
        cr_log_error("cannot run: %s", cmd);
        return false;
    }
    char e[256];
    bool ok = jsonl_split(out, len, &r->rec, &r->n, e, sizeof e);
    if (!ok) {
        cr_log_error("%s: output is not JSON lines: %s", cmd, e);
    }
    free(out);
    return ok;
}

void conf_run_free(struct conf_run *r)
{
    jsonl_free_all(r->rec, r->n);
    free(r->err);
    memset(r, 0, sizeof *r);
}

const char *conf_base(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

const struct jv *conf_find(const struct conf_run *r, const char *name, long index)
{
    for (size_t i = 0; i < r->n; i++) {
        const char *src = jv_str(jv_get(r->rec[i], "source"));
        double idx = -1;
        if (!src || !jv_num(jv_get(r->rec[i], "index"), &idx)) {
            continue;
        }
        if (strcmp(conf_base(src), name) == 0 && (long)idx == index) {
            return r->rec[i];
        }
    }
    return NULL;
}

const struct jv *conf_sig(const struct jv *rec, size_t i)
{
    return jv_at(jv_get(rec, "dkim"), i);
}

size_t conf_nsigs(const struct jv *rec)
{
    const struct jv *a = jv_get(rec, "dkim");
    return a && a->type == JV_ARR ? a->n : 0;
}

const char *conf_field(const struct jv *o, const char *key)
{
    return jv_str_or(o, key, "null");
}

void conf_add(struct conf_list *l, const char *fmt, ...)
{
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0) {
        return;
    }
    size_t add = strlen(line) + 1;
    if (l->len + add + 1 > l->cap) {
        size_t cap = l->cap ? l->cap : 4096;
        while (l->len + add + 1 > cap) {
            cap *= 2;
        }
        char *nb = realloc(l->buf, cap);
        if (!nb) {
            abort();
        }
        l->buf = nb;
        l->cap = cap;
    }
    memcpy(l->buf + l->len, line, add - 1);
    l->buf[l->len + add - 1] = '\n';
    l->len += add;
    l->buf[l->len] = '\0';
    l->count++;
}

size_t conf_report(struct conf_list *l, const char *title)
{
    size_t n = l->count;
    if (n) {
        cr_log_error("%s: %zu mismatch(es):", title, n);
        char *p = l->buf;
        while (p && *p) {
            char *nl = strchr(p, '\n');
            if (nl) {
                *nl = '\0';
            }
            cr_log_error("  %s", p);
            p = nl ? nl + 1 : NULL;
        }
    }
    free(l->buf);
    memset(l, 0, sizeof *l);
    return n;
}

char *conf_mktemp(const char *tag)
{
    const char *base = getenv("TMPDIR");
    char *path = malloc(4096);
    if (!path) {
        abort();
    }
    snprintf(path, 4096, "%s/authsweep-%s-XXXXXX", base && *base ? base : "/tmp", tag);
    if (!mkdtemp(path)) {
        cr_log_error("mkdtemp %s failed", path);
        free(path);
        return NULL;
    }
    return path;
}

void conf_rmrf(const char *dir)
{
    if (!dir || !*dir || strchr(dir, '\'')) {
        return;
    }
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf -- '%s'", dir);
    if (system(cmd) != 0) {
        cr_log_warn("could not remove %s", dir);
    }
}
