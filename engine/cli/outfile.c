#include "engine/cli/outfile.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/core/arena.h"
#include "engine/core/json.h"
#include "engine/core/sbuf.h"

static char *path_with(const char *base, const char *suffix)
{
    size_t n = (size_t)snprintf(NULL, 0, "%s%s", base, suffix) + 1;
    char *p = xmalloc(n);
    snprintf(p, n, "%s%s", base, suffix);
    return p;
}

static bool exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

/* trim_torn_line cuts f after its last newline and counts the complete lines. */
static bool trim_torn_line(const char *path, uint64_t *out_lines, char *err, size_t err_len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(err, err_len, "cannot read %s: %s", path, strerror(errno));
        return false;
    }
    char buf[1 << 16];
    size_t n;
    uint64_t lines = 0;
    off_t pos = 0, last_nl_end = 0;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        for (size_t i = 0; i < n; i++) {
            if (buf[i] == '\n') {
                lines++;
                last_nl_end = pos + (off_t)i + 1;
            }
        }
        pos += (off_t)n;
    }
    fclose(f);
    if (last_nl_end != pos && truncate(path, last_nl_end) != 0) {
        snprintf(err, err_len, "cannot cut the torn last record of %s: %s", path,
                 strerror(errno));
        return false;
    }
    *out_lines = lines;
    return true;
}

static bool read_state(struct outfile *o)
{
    FILE *f = fopen(o->state_path, "r");
    if (f == NULL) {
        return false;
    }
    long long t;
    bool ok = fscanf(f, "run_started %lld", &t) == 1;
    fclose(f);
    if (ok) {
        o->run_started = (int64_t)t;
    }
    return ok;
}

static bool write_state(struct outfile *o, char *err, size_t err_len)
{
    FILE *f = fopen(o->state_path, "w");
    if (f == NULL || fprintf(f, "run_started %" PRId64 "\n", o->run_started) < 0 ||
        fclose(f) != 0) {
        snprintf(err, err_len, "cannot write %s: %s", o->state_path, strerror(errno));
        return false;
    }
    return true;
}

bool outfile_open(struct outfile *o, const char *path, bool resume, int64_t run_started,
                  char *err, size_t err_len)
{
    memset(o, 0, sizeof(*o));
    o->run_started = run_started;
    if (path == NULL) {
        if (resume) {
            snprintf(err, err_len, "--resume needs -o FILE");
            return false;
        }
        o->f = stdout;
        return true;
    }
    /* Only a regular file (or a new one) is written through FILE.partial and a rename: a
     * device, a FIFO or a terminal (-o /dev/null, -o /dev/stdout) is written directly. */
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        if (resume) {
            snprintf(err, err_len, "--resume needs -o to name a regular file, not %s", path);
            return false;
        }
        o->f = fopen(path, "wb");
        if (o->f == NULL) {
            snprintf(err, err_len, "cannot write %s: %s", path, strerror(errno));
            return false;
        }
        o->direct = true;
        return true;
    }
    o->final_path = xstrdup(path);
    o->partial_path = path_with(path, ".partial");
    o->state_path = path_with(path, ".partial.state");
    if (resume && !exists(o->partial_path)) {
        if (exists(path)) {
            o->already_complete = true;
            return true;
        }
        resume = false; /* nothing was written yet: a fresh run */
    }
    if (resume) {
        if (!trim_torn_line(o->partial_path, &o->n_existing, err, err_len)) {
            return false;
        }
        (void)read_state(o);
        o->check = fopen(o->partial_path, "rb");
        o->f = fopen(o->partial_path, "ab");
    } else {
        o->f = fopen(o->partial_path, "wb");
        if (o->f != NULL && !write_state(o, err, err_len)) {
            return false;
        }
    }
    if (o->f == NULL || (resume && o->check == NULL)) {
        snprintf(err, err_len, "cannot write %s: %s", o->partial_path, strerror(errno));
        return false;
    }
    return true;
}

bool outfile_skip_check(void *ctx, uint64_t n, const struct input_msg *m)
{
    struct outfile *o = ctx;
    (void)n;
    /* The record must start with this message's source and index, written the way
     * engine/report/record.c writes them. */
    struct sbuf want;
    sbuf_init(&want, 1 << 20);
    bool ok = sbuf_append(&want, "{\"source\":", 10) && json_cstr(&want, m->source) &&
              sbuf_printf(&want, ",\"index\":%" PRIu64 ",", m->index);
    size_t i = 0;
    int c = 0;
    while (ok && i < want.len && (c = fgetc(o->check)) != EOF && c == want.ptr[i]) {
        i++;
    }
    ok = ok && i == want.len;
    while (c != EOF && c != '\n') { /* move to the next record */
        c = fgetc(o->check);
    }
    sbuf_cleanup(&want);
    return ok;
}

bool outfile_finish(struct outfile *o, bool complete, char *err, size_t err_len)
{
    bool ok = true;
    if (o->check) {
        fclose(o->check);
    }
    if (o->final_path && o->f) {
        if (fflush(o->f) != 0 || fsync(fileno(o->f)) != 0) {
            snprintf(err, err_len, "writing %s failed: %s", o->partial_path, strerror(errno));
            ok = false;
        }
        if (fclose(o->f) != 0 && ok) {
            snprintf(err, err_len, "writing %s failed: %s", o->partial_path, strerror(errno));
            ok = false;
        }
        if (ok && complete) {
            if (rename(o->partial_path, o->final_path) != 0) {
                snprintf(err, err_len, "cannot rename %s to %s: %s", o->partial_path,
                         o->final_path, strerror(errno));
                ok = false;
            } else {
                (void)unlink(o->state_path);
            }
        }
    } else if (o->direct && o->f) {
        if (fclose(o->f) != 0) {
            snprintf(err, err_len, "writing the records failed: %s", strerror(errno));
            ok = false;
        }
    } else if (o->f && fflush(o->f) != 0) {
        snprintf(err, err_len, "writing the records failed: %s", strerror(errno));
        ok = false;
    }
    xfree(o->final_path);
    xfree(o->partial_path);
    xfree(o->state_path);
    return ok;
}
