#include "engine/report/annotate.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/core/arena.h"
#include "engine/core/limits.h"
#include "engine/core/sbuf.h"
#include "engine/report/record.h"

#define ANNOT_DIR_DEPTH 64u /* folder nesting mirrored */

struct annot_root {
    char *path;    /* as given (the prefix of its messages' source paths) */
    size_t len;
    bool is_dir;
    char *out;     /* its output: a file or a folder */
};

struct annot {
    struct annot_root *roots;
    size_t n_roots, cur;
    uint8_t *buf; /* LIM_READ_CHUNK */
    /* the mbox being copied */
    char *mbox_source;
    int in_fd, out_fd;
    uint64_t messages;
    bool failed;
    char err[512];
};

/* ---- small helpers ----------------------------------------------------------------------- */

/* Paths are trusted C strings (argv, the input walk), sized without the banned strlen. */
static size_t cslen(const char *s)
{
    return record_cstr(s).len;
}

static char *join(const char *a, const char *b)
{
    size_t na = cslen(a), nb = cslen(b);
    bool sep = na > 0 && a[na - 1] != '/';
    char *p = xmalloc(na + sep + nb + 1);
    memcpy(p, a, na);
    if (sep) {
        p[na] = '/';
    }
    memcpy(p + na + sep, b, nb + 1);
    return p;
}

static void fail(struct annot *an, const char *what, const char *path)
{
    if (!an->failed) {
        snprintf(an->err, sizeof an->err, "--annotate: %s %s: %s", what, path,
                 strerror(errno));
    }
    an->failed = true;
}

static bool write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            if (w == 0) {
                errno = EIO;
            }
            return false;
        }
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* write_header writes the LF-ended field with the chosen line end. */
static bool write_header(int fd, slice h, bool crlf)
{
    if (!crlf) {
        return write_all(fd, h.ptr, h.len);
    }
    size_t run = 0;
    for (size_t i = 0; i < h.len; i++) {
        if (h.ptr[i] == '\n') {
            if (!write_all(fd, h.ptr + run, i - run) || !write_all(fd, (const uint8_t *)"\r\n", 2)) {
                return false;
            }
            run = i + 1;
        }
    }
    return write_all(fd, h.ptr + run, h.len - run);
}

/* ends_crlf: the line ending at the LF at p[lf] ends in CRLF. */
static bool ends_crlf(const uint8_t *p, size_t lf)
{
    return lf > 0 && p[lf - 1] == '\r';
}

static ptrdiff_t find_lf(const uint8_t *p, size_t from, size_t n)
{
    const uint8_t *q = from < n ? memchr(p + from, '\n', n - from) : NULL;
    return q ? q - p : -1;
}

/* mkdirs makes every missing folder of path's parent. */
static bool mkdirs_parent(const char *path)
{
    char *p = xstrdup(path);
    bool ok = true;
    for (char *s = p + 1; ok && *s; s++) {
        if (*s == '/') {
            *s = 0;
            ok = mkdir(p, 0700) == 0 || errno == EEXIST;
            *s = '/';
        }
    }
    xfree(p);
    return ok;
}

/* mirror makes in dst every folder under src (symbolic links are not followed). */
static bool mirror(const char *src, const char *dst, unsigned depth)
{
    if (depth > ANNOT_DIR_DEPTH) {
        return true;
    }
    DIR *d = opendir(src);
    if (d == NULL) {
        return true; /* unreadable: the input reports it */
    }
    bool ok = true;
    struct dirent *e;
    while (ok && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
            continue;
        }
        char *s = join(src, e->d_name);
        struct stat st;
        if (lstat(s, &st) == 0 && S_ISDIR(st.st_mode)) {
            char *t = join(dst, e->d_name);
            ok = (mkdir(t, 0700) == 0 || errno == EEXIST) && mirror(s, t, depth + 1);
            xfree(t);
        }
        xfree(s);
    }
    closedir(d);
    return ok;
}

/* ---- opening ---------------------------------------------------------------------------- */

static const char *last_component(const char *real)
{
    const char *b = real;
    for (const char *s = real; *s; s++) {
        if (*s == '/' && s[1] != 0) {
            b = s + 1;
        }
    }
    return b;
}

/* inside: real path p is dir or under it. */
static bool inside(const char *p, const char *dir)
{
    size_t n = cslen(dir);
    if (n == 1 && dir[0] == '/') {
        return true;
    }
    return strncmp(p, dir, n) == 0 && (p[n] == 0 || p[n] == '/');
}

/* out_real: the real path OUT will have (its parent resolved). */
static char *out_real(const char *out_path)
{
    char *dup = xstrdup(out_path);
    size_t n = cslen(dup);
    while (n > 1 && dup[n - 1] == '/') {
        dup[--n] = 0;
    }
    char *slash = NULL;
    for (size_t i = 0; i < n; i++) {
        slash = dup[i] == '/' ? dup + i : slash;
    }
    const char *parent = ".", *name = dup;
    if (slash != NULL) {
        *slash = 0;
        parent = slash == dup ? "/" : dup;
        name = slash + 1;
    }
    char rp[PATH_MAX];
    char *res = realpath(parent, rp) ? join(rp, name) : NULL;
    xfree(dup);
    return res;
}

static enum annot_status check(struct annot *an, const char *out_path, const char *const *inputs,
                               size_t n, char *err, size_t err_len)
{
    struct stat st;
    if (lstat(out_path, &st) == 0) {
        snprintf(err, err_len, "--annotate: %s exists; give a new path", out_path);
        return ANNOT_E_USAGE;
    }
    char *oreal = out_real(out_path);
    if (oreal == NULL) {
        snprintf(err, err_len, "--annotate: cannot make %s: its folder is missing", out_path);
        return ANNOT_E_USAGE;
    }
    enum annot_status rc = ANNOT_OK;
    for (size_t i = 0; i < n && rc == ANNOT_OK; i++) {
        struct annot_root *r = &an->roots[i];
        if (strcmp(inputs[i], "-") == 0) {
            snprintf(err, err_len, "--annotate cannot read standard input twice; give the "
                                   "archive as a file");
            rc = ANNOT_E_USAGE;
            break;
        }
        char rp[PATH_MAX];
        if (stat(inputs[i], &st) != 0 || realpath(inputs[i], rp) == NULL) {
            continue; /* unreadable: reported as such by the input stage */
        }
        if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
            snprintf(err, err_len, "--annotate reads every INPUT twice: %s is neither a file "
                                   "nor a folder", inputs[i]);
            rc = ANNOT_E_USAGE;
            break;
        }
        r->is_dir = S_ISDIR(st.st_mode);
        if (r->is_dir && inside(oreal, rp)) {
            snprintf(err, err_len, "--annotate: %s lies inside the input %s", out_path,
                     inputs[i]);
            rc = ANNOT_E_USAGE;
            break;
        }
        r->out = n == 1 ? xstrdup(out_path) : join(out_path, last_component(rp));
        for (size_t k = 0; k < i && n > 1; k++) {
            if (an->roots[k].out && strcmp(an->roots[k].out, r->out) == 0) {
                snprintf(err, err_len, "--annotate: inputs %s and %s have the same name; "
                                       "OUT would hold both as %s", inputs[k], inputs[i],
                         last_component(rp));
                rc = ANNOT_E_USAGE;
            }
        }
    }
    xfree(oreal);
    return rc;
}

void annot_free(struct annot *an)
{
    if (an == NULL) {
        return;
    }
    for (size_t i = 0; i < an->n_roots; i++) {
        xfree(an->roots[i].path);
        xfree(an->roots[i].out);
    }
    if (an->in_fd >= 0) {
        close(an->in_fd);
    }
    if (an->out_fd >= 0) {
        close(an->out_fd);
    }
    xfree(an->mbox_source);
    xfree(an->roots);
    xfree(an->buf);
    xfree(an);
}

enum annot_status annot_open(struct annot **out, const char *out_path,
                             const char *const *inputs, size_t n_inputs, char *err,
                             size_t err_len)
{
    *out = NULL;
    struct annot *an = xcalloc(1, sizeof(*an));
    an->in_fd = an->out_fd = -1;
    an->n_roots = n_inputs;
    an->roots = xcalloc(n_inputs ? n_inputs : 1, sizeof(*an->roots));
    for (size_t i = 0; i < n_inputs; i++) {
        an->roots[i].path = xstrdup(inputs[i]);
        an->roots[i].len = cslen(inputs[i]);
    }
    enum annot_status rc = check(an, out_path, inputs, n_inputs, err, err_len);
    if (rc == ANNOT_OK && (n_inputs > 1 || (n_inputs == 1 && an->roots[0].is_dir)) &&
        mkdir(out_path, 0700) != 0) {
        snprintf(err, err_len, "--annotate: cannot make %s: %s", out_path, strerror(errno));
        rc = ANNOT_E_IO;
    }
    for (size_t i = 0; rc == ANNOT_OK && i < n_inputs; i++) {
        struct annot_root *r = &an->roots[i];
        if (r->is_dir && r->out && ((n_inputs > 1 && mkdir(r->out, 0700) != 0) ||
                                    !mirror(r->path, r->out, 0))) {
            snprintf(err, err_len, "--annotate: cannot make %s: %s", r->out, strerror(errno));
            rc = ANNOT_E_IO;
        }
    }
    if (rc != ANNOT_OK) {
        annot_free(an);
        return rc;
    }
    an->buf = xmalloc(LIM_READ_CHUNK);
    *out = an;
    return ANNOT_OK;
}

/* ---- writing ----------------------------------------------------------------------------- */

/* out_path_for: where m's bytes go, or NULL (error set) when no input holds it. */
static char *out_path_for(struct annot *an, const struct input_msg *m)
{
    for (; an->cur < an->n_roots; an->cur++) {
        struct annot_root *r = &an->roots[an->cur];
        if (r->out == NULL) {
            continue;
        }
        if (!r->is_dir && strcmp(m->source, r->path) == 0) {
            return xstrdup(r->out);
        }
        if (r->is_dir && strncmp(m->source, r->path, r->len) == 0 &&
            (r->len > 0 && (r->path[r->len - 1] == '/' || m->source[r->len] == '/'))) {
            const char *rel = m->source + r->len;
            while (*rel == '/') {
                rel++;
            }
            return join(r->out, rel);
        }
    }
    errno = ENOENT;
    fail(an, "no input holds", m->source);
    return NULL;
}

static int create_out(const char *path)
{
    if (!mkdirs_parent(path)) {
        return -1;
    }
    return open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
}

/* copy_file: a message file, the field first. */
static void copy_file(struct annot *an, const struct input_msg *m, slice header)
{
    char *dst = out_path_for(an, m);
    if (dst == NULL) {
        return;
    }
    int in = open(m->source, O_RDONLY | O_CLOEXEC);
    int o = in >= 0 ? create_out(dst) : -1;
    if (in < 0 || o < 0) {
        fail(an, in < 0 ? "cannot read" : "cannot create", in < 0 ? m->source : dst);
    } else {
        bool first = true, ok = true;
        for (;;) {
            ssize_t n = read(in, an->buf, LIM_READ_CHUNK);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n < 0) {
                ok = false;
                fail(an, "cannot read", m->source);
                break;
            }
            if (first) {
                ptrdiff_t lf = find_lf(an->buf, 0, (size_t)n);
                ok = write_header(o, header, lf >= 0 && ends_crlf(an->buf, (size_t)lf));
                first = false;
            }
            if (n == 0 || !ok) {
                break;
            }
            ok = write_all(o, an->buf, (size_t)n);
        }
        if (!ok && !an->failed) {
            fail(an, "cannot write", dst);
        }
        if (close(o) != 0) {
            fail(an, "cannot write", dst);
        }
        an->messages += ok;
    }
    if (in >= 0) {
        close(in);
    }
    xfree(dst);
}

static bool mbox_switch(struct annot *an, const struct input_msg *m)
{
    if (an->mbox_source != NULL && strcmp(an->mbox_source, m->source) == 0) {
        return true;
    }
    if (an->out_fd >= 0 && close(an->out_fd) != 0) {
        fail(an, "cannot write the copy of", an->mbox_source);
    }
    if (an->in_fd >= 0) {
        close(an->in_fd);
    }
    an->in_fd = an->out_fd = -1;
    xfree(an->mbox_source);
    an->mbox_source = xstrdup(m->source);
    char *dst = out_path_for(an, m);
    if (dst == NULL) {
        return false;
    }
    an->in_fd = open(m->source, O_RDONLY | O_CLOEXEC);
    if (an->in_fd < 0) {
        fail(an, "cannot read", m->source);
    } else if ((an->out_fd = create_out(dst)) < 0) {
        fail(an, "cannot create", dst);
    }
    xfree(dst);
    return !an->failed;
}

/* copy_mbox_message: the region [offset, offset + size), the field after the From_ line. */
static void copy_mbox_message(struct annot *an, const struct input_msg *m, slice header)
{
    if (!mbox_switch(an, m)) {
        return;
    }
    uint64_t off = (uint64_t)m->offset, left = m->size;
    bool first = true;
    while (left > 0) {
        size_t want = left < LIM_READ_CHUNK ? (size_t)left : LIM_READ_CHUNK;
        ssize_t n = pread(an->in_fd, an->buf, want, (off_t)off);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            if (n == 0) {
                errno = EIO; /* the file shrank since it was read */
            }
            fail(an, "cannot read", m->source);
            return;
        }
        size_t got = (size_t)n, start = 0;
        if (first) {
            first = false;
            ptrdiff_t lf = find_lf(an->buf, 0, got);
            if (lf >= 0) {
                /* RFC 4155: the From_ line, then the message; its first line tells its EOL. */
                ptrdiff_t lf2 = find_lf(an->buf, (size_t)lf + 1, got);
                bool crlf = lf2 >= 0 ? ends_crlf(an->buf, (size_t)lf2)
                                     : ends_crlf(an->buf, (size_t)lf);
                start = (size_t)lf + 1;
                if (!write_all(an->out_fd, an->buf, start) ||
                    !write_header(an->out_fd, header, crlf)) {
                    fail(an, "cannot write the copy of", m->source);
                    return;
                }
            }
        }
        if (!write_all(an->out_fd, an->buf + start, got - start)) {
            fail(an, "cannot write the copy of", m->source);
            return;
        }
        off += got;
        left -= got;
    }
    an->messages++;
}

void annot_message(struct annot *an, const struct input_msg *m, slice header)
{
    if (an == NULL || an->failed) {
        return;
    }
    switch (m->kind) {
    case INPUT_KIND_MBOX:
        if (m->offset >= 0) {
            copy_mbox_message(an, m, header);
        }
        break;
    case INPUT_KIND_FILE:
        copy_file(an, m, header);
        break;
    case INPUT_KIND_STDIN_MESSAGE:
        break; /* refused by annot_open */
    }
}

bool annot_finish(struct annot *an, uint64_t *out_messages, char *err, size_t err_len)
{
    if (an->out_fd >= 0 && close(an->out_fd) != 0) {
        fail(an, "cannot write the copy of", an->mbox_source ? an->mbox_source : "?");
    }
    if (an->in_fd >= 0) {
        close(an->in_fd);
    }
    an->in_fd = an->out_fd = -1;
    *out_messages = an->messages;
    if (an->failed) {
        snprintf(err, err_len, "%s", an->err);
    }
    return !an->failed;
}
