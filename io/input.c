/* input.c: 1. READ + 2. SPLIT, the implementation of io/input.h.
 *
 * Three parts, each a small state machine pulled by input_next:
 *
 *   walker    turns the command line into a lazy stream of items (files, Maildir entries,
 *             standard input or a fifo, and errors), folder by folder, entries sorted
 *             byte-wise. Only one folder listing per level is held.
 *   batch     takes up to IO_MAX_BATCH consecutive file items (and at most LIM_BATCH_BYTES
 *             of them, a larger file being a batch alone), opens and fstats them, and
 *             submits all their reads at once through the io backend. A folder member
 *             bigger than LIM_READ_CHUNK is read as a short sniff first, so that a large
 *             mbox sitting in a folder is streamed rather than slurped.
 *   mbox      streams one mbox in LIM_READ_CHUNK chunks with two buffers: while the
 *             splitter consumes chunk k, the read of chunk k+1 is in flight (io_uring) or
 *             already done (pread). A message that lies whole in one chunk is handed on
 *             without a copy (its slices point into the chunk, which it keeps alive; see
 *             input_chunk); one that spans chunks is copied into its own buffer, capped
 *             at max_message_bytes; beyond that it only counts.
 *
 * Choices that the header leaves open:
 *   - A fifo named on the command line is read like standard input. Fifos, sockets and
 *     devices found inside folders are path errors ("special file"), never opened (that
 *     could block forever).
 *   - Symlinks to files are followed; symlinks to folders are not (so no loops). A
 *     dangling or looping symlink is a path error.
 *   - A zero-byte file (or one holding only blank lines) outside a Maildir is an empty mbox
 *     and gives no message. A zero-byte Maildir entry is an empty message.
 *   - In cur/ and new/, names starting with '.' are skipped (editor and NFS droppings); a
 *     Maildir root yields cur/, then new/, then its Maildir++ subfolders in byte order.
 *   - Compression magic (gzip, bzip2, xz, zstd, zip) is checked on every file, Maildir
 *     entries included: a path error naming the file, never a garbage message.
 *   - The From_ line is kept up to INPUT_FROM_LINE_MAX bytes; the rest of it is dropped.
 *   - The empty line before a From_ line is dropped, and so is one trailing empty line at
 *     the end of the mbox, so a message's bytes do not depend on its position.
 *   - size of an mbox message is its whole span in the file: From_ line to next From_ line.
 *   - input_bytes_read counts bytes consumed: read, or skipped unread (an oversize file).
 *   - input_bytes_total walks the folders once at open (stat only) to sum file sizes,
 *     unless opts.no_total (the program sets it when no progress line is shown). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "engine/core/arena.h"
#include "engine/core/limits.h"
#include "io/input.h"
#include "io/io.h"

#define INPUT_FROM_LINE_MAX 4096u /* bytes of a From_ line kept (after "From ") */
#define INPUT_SNIFF_BYTES 4096u   /* bytes read to tell mbox, message and archive apart */
#define INPUT_ZC_MIN_FILL (LIM_READ_CHUNK / 4) /* a chunk's fill for zero-copy messages */

/* ---------------------------------------------------------------------------------------
 * Small helpers (trusted strings only: paths and our own messages). */

static char *str_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *str_fmt(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    size_t len = n < 0 ? 0 : (size_t)n;
    char *s = xmalloc(len + 1);
    s[0] = '\0';
    va_start(ap, fmt);
    vsnprintf(s, len + 1, fmt, ap);
    va_end(ap);
    return s;
}

/* path_len: the length of a trusted C string (a path from the command line or readdir,
 * never message data), which the kernel bounds by PATH_MAX per component walk anyway. */
static size_t path_len(const char *s)
{
    return strnlen(s, SIZE_MAX / 2);
}

/* arena_str copies a trusted C string into the arena (paths live until input_close). */
static const char *arena_str(struct arena *a, const char *s)
{
    size_t len = path_len(s);
    char *d = arena_alloc(a, len + 1);
    memcpy(d, s, len + 1);
    return d;
}

/* path_join: dir "/" name in the arena; called once per file of a folder, so plain copies
 * (three snprintf calls here were 2.5% of a run over a Maildir). */
static const char *path_join(struct arena *a, const char *dir, const char *name)
{
    size_t dl = path_len(dir), nl = path_len(name);
    size_t sep = (dl > 0 && dir[dl - 1] == '/') ? 0 : 1;
    char *d = arena_alloc(a, dl + sep + nl + 1);
    memcpy(d, dir, dl);
    if (sep) {
        d[dl] = '/';
    }
    memcpy(d + dl + sep, name, nl + 1);
    return d;
}

static bool is_dir(const char *path, bool follow)
{
    struct stat st;
    int rc = follow ? stat(path, &st) : lstat(path, &st);
    return rc == 0 && S_ISDIR(st.st_mode);
}

static void set_detail(struct input_msg *m, const char *text)
{
    snprintf(m->err_detail, sizeof(m->err_detail), "%s", text);
}

/* ---------------------------------------------------------------------------------------
 * Sniffing: what a file's first bytes say it is. */

enum sniff_kind { SNIFF_EMPTY, SNIFF_MBOX, SNIFF_MESSAGE, SNIFF_COMPRESSED };

struct compress_magic {
    slice magic;
    const char *name;
    const char *cat; /* the command that decompresses to stdout */
};

static const struct compress_magic compress_magics[] = {
    { SLICE_INIT("\x1f\x8b"), "gzip", "zcat" },
    { SLICE_INIT("BZh"), "bzip2", "bzcat" }, /* plus a block size digit, checked below */
    { SLICE_INIT("\xfd" "7zXZ" "\x00"), "xz", "xzcat" },
    { SLICE_INIT("\x28\xb5\x2f\xfd"), "zstd", "zstdcat" },
    { SLICE_INIT("PK\x03\x04"), "zip", "unzip -p" },
};

static const struct compress_magic *sniff_compressed(slice head)
{
    for (size_t i = 0; i < sizeof(compress_magics) / sizeof(compress_magics[0]); i++) {
        const struct compress_magic *c = &compress_magics[i];
        if (!slice_has_prefix(head, c->magic)) {
            continue;
        }
        if (c->magic.len == 3 && (head.len < 4 || head.ptr[3] < '1' || head.ptr[3] > '9')) {
            continue; /* "BZh" must be followed by the block size '1'..'9' */
        }
        return c;
    }
    return NULL;
}

/* sniff classifies head, the first bytes of a file (all of it if whole). RFC 4155 §2: an
 * mbox starts with a From_ line; blank lines before it are tolerated. */
static enum sniff_kind sniff(slice head, bool whole, const struct compress_magic **out_c)
{
    *out_c = NULL;
    if (head.len == 0) {
        return SNIFF_EMPTY;
    }
    if ((*out_c = sniff_compressed(head)) != NULL) {
        return SNIFF_COMPRESSED;
    }
    size_t i = 0;
    while (i < head.len && (head.ptr[i] == '\n' || head.ptr[i] == '\r')) {
        i++;
    }
    slice rest = slice_sub(head, i, head.len - i);
    if (rest.len == 0) {
        return whole ? SNIFF_EMPTY : SNIFF_MBOX; /* the splitter skips blank lines too */
    }
    return slice_has_prefix(rest, SLICE_LIT("From ")) ? SNIFF_MBOX : SNIFF_MESSAGE;
}

static char *compressed_detail(const char *path, const struct compress_magic *c)
{
    if (path[0] == '-' && path[1] == '\0') {
        return str_fmt("standard input is compressed (%s); decompress first, e.g. "
                       "%s FILE | authsweep verify -", c->name, c->cat);
    }
    return str_fmt("%s: compressed (%s); decompress first, e.g. %s %s | authsweep verify -",
                   path, c->name, c->cat, path);
}

/* ---------------------------------------------------------------------------------------
 * Walker: command-line paths -> items, folders depth first, entries byte-wise sorted. */

enum wdir_kind { WD_PLAIN, WD_MAILDIR, WD_MAILDIR_MSGS };

struct wname {
    char *name;
    unsigned char type; /* readdir's d_type: DT_REG spares a stat */
};

struct wdir {
    const char *path;
    DIR *dir; /* open while its entries are walked: they are looked at relative to it */
    struct wname *names;
    size_t n_names, i;
    enum wdir_kind kind;
};

enum witem_kind {
    WI_FILE,        /* mbox or one message, decided by its first bytes */
    WI_MAILDIR_MSG, /* one message */
    WI_STREAM,      /* "-" or a fifo: read sequentially */
    WI_PATH_ERROR,  /* detail says what */
    WI_VANISHED,    /* listed, then gone: a message record with INPUT_E_READ */
};

struct witem {
    enum witem_kind kind;
    const char *path; /* arena */
    char *detail;     /* xmalloc'd, WI_PATH_ERROR and WI_VANISHED only */
    uint64_t size;
    /* A folder entry: its folder's fd + 1 and its name, valid until the next walk_next
     * (so it is opened relative to the folder, one name to look up). 0: open path. */
    int dir_fd1;
    const char *name;
};

struct walker {
    const char **paths;
    size_t n_paths, next;
    struct wdir *stack;
    size_t depth, cap;
    struct arena *a;
    bool sizes; /* every file item needs its size (the total for progress) */
};

static int maildir_rank(const char *name)
{
    if (strcmp(name, "cur") == 0) {
        return 0;
    }
    return strcmp(name, "new") == 0 ? 1 : 2;
}

/* strcmp compares as unsigned char: byte-wise (memcmp) order, no locale. */
static int cmp_bytes(const void *a, const void *b)
{
    return strcmp(((const struct wname *)a)->name, ((const struct wname *)b)->name);
}

static int cmp_maildir(const void *a, const void *b)
{
    int ra = maildir_rank(((const struct wname *)a)->name);
    int rb = maildir_rank(((const struct wname *)b)->name);
    return ra != rb ? ra - rb : cmp_bytes(a, b);
}

static enum wdir_kind dir_kind(struct arena *a, const char *path)
{
    bool md = is_dir(path_join(a, path, "cur"), false) || is_dir(path_join(a, path, "new"), false);
    return md ? WD_MAILDIR : WD_PLAIN;
}

/* walk_push lists a folder. False (and *out is a path error) if it cannot be read. */
static bool walk_push(struct walker *w, const char *path, enum wdir_kind kind, struct witem *out)
{
    DIR *d = opendir(path);
    if (d == NULL) {
        *out = (struct witem){ .kind = WI_PATH_ERROR, .path = path,
                               .detail = str_fmt("%s: cannot read folder: %s", path,
                                                 strerror(errno)) };
        return false;
    }
    struct wname *names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) {
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            names = xrealloc(names, cap * sizeof(*names));
        }
        names[n++] = (struct wname){ xstrdup(de->d_name), de->d_type };
    }
    if (n > 1) {
        qsort(names, n, sizeof(*names), kind == WD_MAILDIR ? cmp_maildir : cmp_bytes);
    }
    if (w->depth == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 8;
        w->stack = xrealloc(w->stack, w->cap * sizeof(*w->stack));
    }
    w->stack[w->depth++] = (struct wdir){ .path = path, .dir = d, .names = names,
                                          .n_names = n, .kind = kind };
    return true;
}

static void walk_pop(struct walker *w)
{
    struct wdir *d = &w->stack[--w->depth];
    closedir(d->dir);
    for (size_t i = 0; i < d->n_names; i++) {
        xfree(d->names[i].name);
    }
    xfree(d->names);
}

static bool walk_error(struct witem *out, const char *path, char *detail)
{
    *out = (struct witem){ .kind = WI_PATH_ERROR, .path = path, .detail = detail };
    return true;
}

static bool walk_vanished(struct witem *out, const char *path)
{
    *out = (struct witem){ .kind = WI_VANISHED, .path = path,
                           .detail = str_fmt("file vanished before it could be read") };
    return true;
}

/* walk_top handles one command-line path. True if it produced an item. */
static bool walk_top(struct walker *w, const char *path, struct witem *out)
{
    struct stat st;
    if (strcmp(path, "-") == 0) {
        *out = (struct witem){ .kind = WI_STREAM, .path = path };
        return true;
    }
    if (stat(path, &st) != 0) {
        return walk_error(out, path, str_fmt("%s: %s", path, strerror(errno)));
    }
    if (S_ISDIR(st.st_mode)) {
        return !walk_push(w, path, dir_kind(w->a, path), out);
    }
    if (S_ISREG(st.st_mode)) {
        *out = (struct witem){ .kind = WI_FILE, .path = path, .size = (uint64_t)st.st_size };
        return true;
    }
    if (S_ISFIFO(st.st_mode)) {
        *out = (struct witem){ .kind = WI_STREAM, .path = path };
        return true;
    }
    return walk_error(out, path, str_fmt("%s: not a file, folder or fifo (special file)", path));
}

/* walk_entry handles one name in the folder on top of the stack. */
static bool walk_entry(struct walker *w, const char *dir, int dfd, enum wdir_kind kind,
                       const char *name, unsigned char type, struct witem *out)
{
    const char *path = path_join(w->a, dir, name);
    struct stat st;
    /* stat relative to the open folder: one name to look up, not the whole path. */
    if (kind == WD_MAILDIR) {
        /* Maildir: only cur/ and new/ hold messages; tmp/ is mid-delivery; Maildir++
         * subfolders (".Sub") are Maildirs; dovecot-uidlist, subscriptions and the like are
         * not messages. */
        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode) ||
            strcmp(name, "tmp") == 0) {
            return false;
        }
        if (maildir_rank(name) < 2) {
            return !walk_push(w, path, WD_MAILDIR_MSGS, out);
        }
        if (dir_kind(w->a, path) == WD_MAILDIR) {
            return !walk_push(w, path, WD_MAILDIR, out);
        }
        return false;
    }
    if (kind == WD_MAILDIR_MSGS && name[0] == '.') {
        return false;
    }
    enum witem_kind file_kind = kind == WD_MAILDIR_MSGS ? WI_MAILDIR_MSG : WI_FILE;
    if (type == DT_REG && !w->sizes) {
        /* A regular file by readdir's word: its size comes from the fstat after open. */
        *out = (struct witem){ .kind = file_kind, .path = path, .dir_fd1 = dfd + 1,
                               .name = name };
        return true;
    }
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        return errno == ENOENT ? walk_vanished(out, path)
                               : walk_error(out, path, str_fmt("%s: %s", path, strerror(errno)));
    }
    if (S_ISLNK(st.st_mode)) {
        if (fstatat(dfd, name, &st, 0) != 0) {
            return walk_error(out, path, str_fmt("%s: broken symlink: %s", path, strerror(errno)));
        }
        if (S_ISDIR(st.st_mode)) {
            return false; /* symlinked folders are not followed: no loops, no duplicates */
        }
    } else if (S_ISDIR(st.st_mode)) {
        if (kind == WD_MAILDIR_MSGS) {
            return false;
        }
        return !walk_push(w, path, dir_kind(w->a, path), out);
    }
    if (!S_ISREG(st.st_mode)) {
        return walk_error(out, path,
                          str_fmt("%s: special file (fifo, socket or device) skipped", path));
    }
    *out = (struct witem){ .kind = file_kind, .path = path, .size = (uint64_t)st.st_size,
                           .dir_fd1 = dfd + 1, .name = name };
    return true;
}

/* walk_next produces the next item. False when every path has been walked. */
static bool walk_next(struct walker *w, struct witem *out)
{
    for (;;) {
        if (w->depth > 0) {
            struct wdir *d = &w->stack[w->depth - 1];
            if (d->i == d->n_names) {
                walk_pop(w);
                continue;
            }
            const char *dir = d->path;
            int dfd = dirfd(d->dir);
            enum wdir_kind kind = d->kind;
            const struct wname *nm = &d->names[d->i++];
            if (walk_entry(w, dir, dfd, kind, nm->name, nm->type, out)) {
                return true;
            }
            continue;
        }
        if (w->next == w->n_paths) {
            return false;
        }
        if (walk_top(w, w->paths[w->next++], out)) {
            return true;
        }
    }
}

static void walk_cleanup(struct walker *w)
{
    while (w->depth > 0) {
        walk_pop(w);
    }
    xfree(w->stack);
    w->stack = NULL;
    w->cap = 0;
}

/* ---------------------------------------------------------------------------------------
 * Read chunks, shared with the messages cut from them.
 *
 * An mbox message that lies whole in one chunk, with no mboxrd quoting to undo, is handed
 * on without copying: its slices point into the chunk and it holds a reference. The reader
 * holds one too while it may read into the chunk again; before it does, it takes a fresh
 * chunk if any message still holds the old one (chunk_ready). Only the reader adds
 * references; workers drop theirs, and the last one frees the chunk. */

/* Freed chunks go back to a small pool of the input set, to be read into again: a fresh
 * megabyte from the allocator costs a page fault per page (sys time doubled without it).
 * The pool lives while its input set or any of its chunks does. */
#define CHUNK_POOL_MAX LIM_READ_CHUNK_POOL

struct chunk_pool {
    pthread_mutex_t lock;
    atomic_uint refs; /* the input set, and every chunk outside the pool */
    bool closed;      /* the input set is gone: freed chunks are freed */
    size_t n;
    struct input_chunk *free[CHUNK_POOL_MAX];
};

struct input_chunk {
    atomic_uint refs;
    struct chunk_pool *pool;
    uint8_t data[]; /* LIM_READ_CHUNK bytes */
};

static struct chunk_pool *pool_new(void)
{
    struct chunk_pool *p = xcalloc(1, sizeof(*p));
    pthread_mutex_init(&p->lock, NULL);
    atomic_init(&p->refs, 1);
    return p;
}

static void pool_unref(struct chunk_pool *p)
{
    if (atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) == 1) {
        for (size_t i = 0; i < p->n; i++) {
            xfree(p->free[i]);
        }
        pthread_mutex_destroy(&p->lock);
        xfree(p);
    }
}

/* pool_close: the input set lets go; the pooled chunks go at once. */
static void pool_close(struct chunk_pool *p)
{
    pthread_mutex_lock(&p->lock);
    p->closed = true;
    for (size_t i = 0; i < p->n; i++) {
        xfree(p->free[i]);
    }
    p->n = 0;
    pthread_mutex_unlock(&p->lock);
    pool_unref(p);
}

static struct input_chunk *chunk_new(struct chunk_pool *p)
{
    struct input_chunk *c = NULL;
    pthread_mutex_lock(&p->lock);
    if (p->n > 0) {
        c = p->free[--p->n];
    }
    pthread_mutex_unlock(&p->lock);
    if (c == NULL) {
        c = xmalloc(sizeof(*c) + LIM_READ_CHUNK);
        c->pool = p;
    }
    atomic_init(&c->refs, 1);
    atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
    return c;
}

static void chunk_unref(struct input_chunk *c)
{
    if (c == NULL || atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) != 1) {
        return;
    }
    struct chunk_pool *p = c->pool;
    pthread_mutex_lock(&p->lock);
    if (!p->closed && p->n < CHUNK_POOL_MAX) {
        p->free[p->n++] = c;
        c = NULL;
    }
    pthread_mutex_unlock(&p->lock);
    xfree(c);
    pool_unref(p);
}

/* ---------------------------------------------------------------------------------------
 * Splitter: mbox bytes -> messages, fed chunk by chunk (RFC 4155).
 *
 * Only line starts that begin with ">"* "From " matter: a From_ line ends the message, a
 * quoted one loses a '>'. Every other byte is copied as it is. So inside a message
 * sp_scan jumps straight to the next line start whose first byte is 'F' or '>' (16 bytes
 * at a time with SSE2, else memchr line by line) and tells what that line is; the run
 * before it is copied in one piece. A line that the chunk cuts too short to tell, and
 * every line start outside a message, go through sp_line_start, which matches ">"*
 * "From " one byte at a time holding only a count of '>' and how much of "From " matched,
 * so a match may straddle chunks.
 *
 * A message's bytes go into one buffer capped at max_message_bytes (+2 for the separator
 * line dropped at the end); past that the message is only counted. The buffer is sized
 * once per chunk: when the message's end (the next From_ line) is in the chunk, it gets
 * exactly the bytes up to there, so most messages are copied once; when it is not, the
 * buffer grows geometrically as the bytes come. */

enum sp_state { SP_LINE_START, SP_MID_LINE, SP_FROM_LINE };

/* What a line start found by sp_scan is. */
enum sp_ev {
    SP_EV_NONE,   /* nothing up to the end of the chunk */
    SP_EV_FROM,   /* a From_ line: the message ends there */
    SP_EV_QUOTED, /* ">"+ "From ": mboxrd quoting, one '>' goes */
    SP_EV_EDGE,   /* the chunk ends before the line can be told: sp_line_start decides */
};

#define SP_FIRST_CAP 4096u /* first buffer of a message whose end is not in sight */

struct splitter {
    enum sp_state st;
    uint64_t gt;       /* '>' seen at the start of this line */
    unsigned fm;       /* bytes of "From " matched after them */
    uint64_t line_off; /* offset of the current line's first byte */
    size_t max;
    bool in_msg, skipping;
    bool scalar;  /* use the portable scan (tests compare both) */
    struct input_chunk *owner; /* the chunk being fed, if messages may point into it */
    bool zc;                   /* the message in progress is zc_from + zc_raw in owner */
    slice zc_from, zc_raw;
    uint8_t *buf; /* [From_ line][raw]; NULL until the first byte is kept */
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
    sp->buf = NULL; /* the last message's buffer went out with it */
    sp->len = sp->cap = sp->fl = 0;
}

static void sp_resize(struct splitter *sp, size_t c)
{
    sp->buf = xrealloc(sp->buf, c);
    sp->cap = c;
}

/* sp_reserve makes room for n more bytes, doubling; never past the limit unless the n
 * bytes need it (they never do: sp_put checks first). */
static void sp_reserve(struct splitter *sp, size_t n)
{
    if (sp->cap - sp->len >= n) {
        return;
    }
    size_t want = sp->len + n;
    size_t c = sp->cap < SP_FIRST_CAP / 2 ? SP_FIRST_CAP : sp->cap * 2;
    size_t lim = sp->fl + sp->max + 2;
    if (c > lim) {
        c = lim;
    }
    if (c < want) {
        c = want;
    }
    sp_resize(sp, c);
}

/* sp_reserve_exact makes room for n more bytes and no more: the message ends within them.
 * Capped at the limit, as bytes beyond it are never kept. */
static void sp_reserve_exact(struct splitter *sp, size_t n)
{
    size_t room = sp->fl + sp->max + 2 - sp->len;
    if (n > room) {
        n = room;
    }
    if (sp->cap - sp->len < n) {
        sp_resize(sp, sp->len + n);
    }
}

/* sp_skip drops the raw bytes held so far (keeping the From_ line): the message is too big. */
static void sp_skip(struct splitter *sp)
{
    uint8_t *nb = xmalloc(sp->fl ? sp->fl : 1);
    if (sp->fl > 0) {
        memcpy(nb, sp->buf, sp->fl);
    }
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
    size_t room = INPUT_FROM_LINE_MAX - sp->fl;
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
    if (sp->buf == NULL && !sp->zc) {
        sp_resize(sp, 1); /* nothing kept: data is still a buffer of its own */
    }
    const uint8_t *raw = sp->zc ? sp->zc_raw.ptr : sp->buf + sp->fl;
    size_t rl = sp->zc ? sp->zc_raw.len : sp->len - sp->fl;
    /* RFC 4155 §2: the empty line before the next From_ line separates messages. */
    if (!sp->skipping && rl >= 1 && raw[rl - 1] == '\n') {
        if (rl == 1 || (rl >= 2 && raw[rl - 2] == '\n')) {
            rl -= 1;
        } else if (raw[rl - 2] == '\r' && (rl == 2 || raw[rl - 3] == '\n')) {
            rl -= 2;
        }
    }
    memset(out, 0, sizeof(*out));
    if (sp->zc) {
        out->chunk = sp->owner;
        atomic_fetch_add_explicit(&sp->owner->refs, 1, memory_order_relaxed);
        out->from_line = sp->zc_from;
    } else {
        out->data = sp->buf;
        out->from_line = slice_make(sp->buf, sp->fl);
    }
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
    out->raw = slice_make(raw, rl);
    sp->zc = false;
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

/* sp_find_scalar returns the first k in [k, len) with p[k] == '\n' and p[k + 1] 'F' or '>'
 * or k + 1 == len (a line start the chunk may cut), or len if there is none. */
static size_t sp_find_scalar(const uint8_t *p, size_t len, size_t k)
{
    while (k < len) {
        const uint8_t *nl = memchr(p + k, '\n', len - k);
        if (nl == NULL) {
            return len;
        }
        k = (size_t)(nl - p) + 1;
        if (k == len || p[k] == 'F' || p[k] == '>') {
            return k - 1;
        }
    }
    return len;
}

#ifdef __SSE2__
/* sp_hits16 marks the lanes i of p[0..16) with p[i] == '\n' and p[i + 1] 'F' or '>'. Those
 * two (0x46, 0x3e) are the only bytes that give 0x40 once 2 is added and bit 3 cleared:
 * one compare instead of two. */
static inline __m128i sp_hits16(const uint8_t *p)
{
    const __m128i a = _mm_loadu_si128((const __m128i *)(const void *)p);
    const __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(p + 1));
    const __m128i folded =
        _mm_and_si128(_mm_add_epi8(b, _mm_set1_epi8(2)), _mm_set1_epi8((char)0xf7));
    return _mm_and_si128(_mm_cmpeq_epi8(a, _mm_set1_epi8('\n')),
                         _mm_cmpeq_epi8(folded, _mm_set1_epi8(0x40)));
}

/* sp_find_sse2 is sp_find_scalar 64 bytes at a time. Blocks without a hit (nearly all of
 * them) cost one movemask; loads stay inside p[0..len), the last 64 bytes are left to the
 * scalar loop. */
static size_t sp_find_sse2(const uint8_t *p, size_t len, size_t k)
{
    if (len - k <= 64) {
        return sp_find_scalar(p, len, k);
    }
    const uint8_t *q = p + k, *last = p + len - 65; /* the last block start with p[+64] in */
    for (; q <= last; q += 64) {
        __m128i h0 = sp_hits16(q), h1 = sp_hits16(q + 16);
        __m128i h2 = sp_hits16(q + 32), h3 = sp_hits16(q + 48);
        __m128i any = _mm_or_si128(_mm_or_si128(h0, h1), _mm_or_si128(h2, h3));
        if (_mm_movemask_epi8(any) != 0) {
            uint64_t bits = (uint64_t)(unsigned)_mm_movemask_epi8(h0) |
                            (uint64_t)(unsigned)_mm_movemask_epi8(h1) << 16 |
                            (uint64_t)(unsigned)_mm_movemask_epi8(h2) << 32 |
                            (uint64_t)(unsigned)_mm_movemask_epi8(h3) << 48;
            return (size_t)(q - p) + (size_t)__builtin_ctzll(bits);
        }
    }
    return sp_find_scalar(p, len, (size_t)(q - p));
}
#endif

/* sp_classify tells what the line starting at p[j] is (j <= len): SP_EV_NONE when it
 * cannot matter. */
static enum sp_ev sp_classify(const uint8_t *p, size_t len, size_t j)
{
    size_t q = j;
    while (q < len && p[q] == '>') {
        q++;
    }
    size_t n = len - q < sizeof(sp_from) ? len - q : sizeof(sp_from);
    if (memcmp(p + q, sp_from, n) != 0) {
        return SP_EV_NONE;
    }
    if (n < sizeof(sp_from)) {
        return SP_EV_EDGE;
    }
    return q == j ? SP_EV_FROM : SP_EV_QUOTED;
}

/* sp_scan finds the first line start j that may matter after a '\n' at p[k] or later
 * (k < j <= len). It sets *out_j (len if there is none) and says what is there. */
static enum sp_ev sp_scan(const struct splitter *sp, const uint8_t *p, size_t len, size_t k,
                          size_t *out_j)
{
    for (;;) {
#ifdef __SSE2__
        k = sp->scalar ? sp_find_scalar(p, len, k) : sp_find_sse2(p, len, k);
#else
        (void)sp;
        k = sp_find_scalar(p, len, k);
#endif
        if (k == len) {
            *out_j = len;
            return SP_EV_NONE;
        }
        enum sp_ev ev = sp_classify(p, len, k + 1);
        if (ev != SP_EV_NONE) {
            *out_j = k + 1;
            return ev;
        }
        k++;
    }
}

/* A span: the message bytes p[i..j) of one chunk, less the first byte of each quoted line
 * in it (mboxrd: ">"+ "From " loses one '>'), up to the event ev at j. A span ends early at
 * a quoted line when drop[] is full; sp_line_start then unquotes that line. */
#define SP_DROPS 16

struct sp_span {
    size_t i, j;
    size_t drop[SP_DROPS];
    size_t n_drop;
    enum sp_ev ev;
};

/* sp_span_scan fills *out with the span from p[i], its line starts looked for after a '\n'
 * at p[k] or later (k is i, or i - 1 when p[i - 1] ends the From_ line). */
static void sp_span_scan(const struct splitter *sp, const uint8_t *p, size_t len, size_t k,
                         size_t i, struct sp_span *out)
{
    out->i = i;
    out->n_drop = 0;
    for (;;) {
        out->ev = sp_scan(sp, p, len, k, &out->j);
        if (out->ev != SP_EV_QUOTED || out->n_drop == SP_DROPS) {
            return;
        }
        out->drop[out->n_drop++] = out->j;
        k = out->j;
    }
}

/* sp_span_len is how many bytes a span keeps. */
static size_t sp_span_len(const struct sp_span *sn)
{
    return sn->j - sn->i - sn->n_drop;
}

/* sp_span_put appends a span (sp_put: the size limit applies as to any bytes) and leaves
 * the splitter at its end: mid-line at the end of the chunk, else at the line start j. */
static size_t sp_span_put(struct splitter *sp, const uint8_t *p, const struct sp_span *sn,
                          uint64_t base)
{
    size_t from = sn->i;
    for (size_t d = 0; d < sn->n_drop; d++) {
        sp_put(sp, p + from, sn->drop[d] - from);
        from = sn->drop[d] + 1;
    }
    sp_put(sp, p + from, sn->j - from);
    if (sn->ev == SP_EV_NONE) {
        sp->st = SP_MID_LINE;
    } else {
        sp->st = SP_LINE_START;
        sp->line_off = base + sn->j;
    }
    return sn->j;
}

/* sp_copy copies message bytes from p[i] (inside a line) up to the message's end, the
 * chunk's end or a line that sp_line_start must see. When the message ends in the span,
 * the buffer is sized exactly for it first; otherwise sp_put doubles it as bytes come. */
static size_t sp_copy(struct splitter *sp, const uint8_t *p, size_t len, size_t i, uint64_t base)
{
    struct sp_span sn;
    sp_span_scan(sp, p, len, i, i, &sn);
    if (sn.ev == SP_EV_FROM && !sp->skipping) {
        sp_reserve_exact(sp, sp_span_len(&sn));
    }
    return sp_span_put(sp, p, &sn, base);
}

/* sp_from_line takes the rest of a From_ line from p[i]. When all of it is in this chunk
 * (the common case) the message's buffer is allocated once, for the From_ line and the
 * span after it (to the message's end, or the chunk's), and copying goes straight on. */
static size_t sp_from_line(struct splitter *sp, const uint8_t *p, size_t len, size_t i,
                           uint64_t base)
{
    const uint8_t *nl = memchr(p + i, '\n', len - i);
    if (nl != NULL && sp->len == 0) {
        size_t e = (size_t)(nl - p);
        size_t n = e - i > INPUT_FROM_LINE_MAX ? INPUT_FROM_LINE_MAX : e - i;
        if (n > 0 && p[i + n - 1] == '\r') {
            n--; /* CRLF mbox: the test below, on the same bytes */
        }
        struct sp_span sn;
        sp_span_scan(sp, p, len, e, e + 1, &sn);
        if (sp->owner != NULL && sn.ev == SP_EV_FROM && sn.j - sn.i <= sp->max + 2) {
            /* The whole message is here: no copy (see input_chunk). p is the owner's
             * chunk, the reader's own memory: mboxrd quoting is undone in place, each run
             * after a dropped '>' moved down over it (the message's own bytes only). */
            uint8_t *w = sp->owner->data;
            size_t end = sn.n_drop > 0 ? sn.drop[0] : sn.j;
            for (size_t d = 0; d < sn.n_drop; d++) {
                size_t from = sn.drop[d] + 1, to = d + 1 < sn.n_drop ? sn.drop[d + 1] : sn.j;
                memmove(w + end, w + from, to - from);
                end += to - from;
            }
            sp->zc = true;
            sp->zc_from = slice_make(p + i, n);
            sp->zc_raw = slice_make(p + sn.i, end - sn.i);
            sp->st = SP_LINE_START;
            sp->line_off = base + sn.j;
            return sn.j;
        }
        size_t body = sp_span_len(&sn);
        if (body > sp->max + 2) {
            body = sp->max + 2; /* too big: sp_put keeps none of it */
        }
        sp_resize(sp, n + body > 0 ? n + body : 1);
        memcpy(sp->buf, p + i, n);
        sp->fl = sp->len = n;
        return sp_span_put(sp, p, &sn, base);
    }
    size_t end = nl ? (size_t)(nl - p) + 1 : len;
    sp_put_from(sp, p + i, nl ? end - i - 1 : end - i);
    if (nl && sp->fl > 0 && sp->buf[sp->fl - 1] == '\r') {
        sp->fl--; /* CRLF mbox */
        sp->len--;
    }
    if (nl) {
        sp->st = SP_LINE_START;
        sp->line_off = base + end;
    }
    return end;
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
            if (sp->in_msg) {
                i = sp_copy(sp, p, len, i, base);
            } else {
                /* The first line of content before any From_ line: sp_put starts it. */
                const uint8_t *nl = memchr(p + i, '\n', len - i);
                size_t end = nl ? (size_t)(nl - p) + 1 : len;
                sp_put(sp, p + i, end - i);
                i = end;
                if (nl) {
                    sp->st = SP_LINE_START;
                    sp->line_off = base + i;
                }
            }
            break;
        case SP_FROM_LINE:
            i = sp_from_line(sp, p, len, i, base);
            break;
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
    sp->zc = false;
    sp->in_msg = false;
}

/* The test hooks of io/input.h: the splitter alone, fed as mbox_next feeds it. */
struct input_splitter {
    struct splitter sp;
};

struct input_splitter *input_splitter_new(size_t max_message_bytes, const char *source,
                                          bool scalar)
{
    struct input_splitter *t = xcalloc(1, sizeof(*t));
    t->sp.max = max_message_bytes > SIZE_MAX / 4 ? SIZE_MAX / 4 : max_message_bytes;
    t->sp.source = source;
    t->sp.scalar = scalar;
    return t;
}

bool input_splitter_feed(struct input_splitter *t, struct input_msg *out, const uint8_t *p,
                         size_t len, size_t *pos, uint64_t base)
{
    return sp_feed(&t->sp, p, len, pos, base, out);
}

bool input_splitter_finish(struct input_splitter *t, struct input_msg *out, uint64_t end_off)
{
    return sp_finish(&t->sp, end_off, out);
}

void input_splitter_free(struct input_splitter *t)
{
    if (t == NULL) {
        return;
    }
    sp_cleanup(&t->sp);
    xfree(t);
}

/* ---------------------------------------------------------------------------------------
 * The input set: batch of files, current mbox stream, counters. */

enum pf_state {
    PF_NONE,     /* nothing to yield (empty file) */
    PF_MSG,      /* a message: buf[0..got) */
    PF_TOO_BIG,  /* a message record with INPUT_E_TOO_BIG */
    PF_READ_ERR, /* a message record with INPUT_E_READ */
    PF_PATH_ERR, /* report detail through on_path_error */
    PF_MBOX,     /* stream fd as an mbox */
    PF_STREAM,   /* standard input or a fifo */
};

struct pfile {
    struct witem it;
    enum pf_state state;
    int fd;
    uint64_t size; /* from fstat */
    uint8_t *buf;
    size_t want, got;
    int req; /* index in input_set.reqs, or -1 */
};

struct mbox {
    bool active, seekable, ahead, eof;
    int fd;
    bool close_fd;
    uint64_t file_size, next_off, base;
    struct io_req req[2]; /* req[k] reads into chunk[k] */
    int cur;              /* the chunk being consumed */
    size_t len, pos;
    char *err;            /* read error, put on the message in progress */
    int stream_errno;     /* a stream's read error seen after some bytes, for the next fill */
    enum input_kind kind;
    struct splitter sp;
};

struct input_set {
    struct input_opts o;
    struct arena *a; /* paths: live until input_close */
    const struct io_backend_ops *ops;
    struct io_backend *be;
    struct walker w;
    struct pfile batch[IO_MAX_BATCH];
    size_t n_batch, i_batch;
    struct io_req reqs[IO_MAX_BATCH];
    struct pfile carry;
    bool have_carry;
    struct mbox mb;
    struct chunk_pool *pool;
    struct input_chunk *cb[2]; /* the read buffers (counted: messages may point into them) */
    uint8_t *chunk[2];         /* cb[k]->data */
    size_t path_errors;
    /* Written by the worker holding the read token, read by the writer for the progress
     * line: atomic (relaxed; it is only a count). */
    _Atomic uint64_t bytes_read;
    uint64_t bytes_total;
};

static void count_read(struct input_set *s, uint64_t n)
{
    atomic_fetch_add_explicit(&s->bytes_read, n, memory_order_relaxed);
}

static void uncount_read(struct input_set *s, uint64_t n)
{
    atomic_fetch_sub_explicit(&s->bytes_read, n, memory_order_relaxed);
}

static void path_error(struct input_set *s, const char *path, const char *detail)
{
    s->path_errors++;
    if (s->o.on_path_error != NULL) {
        s->o.on_path_error(s->o.ctx, path, detail);
    }
}

static void close_fd(int *fd)
{
    if (*fd >= 0) { /* standard input never gets here: see stream_start */
        close(*fd);
    }
    *fd = -1;
}

/* read_rest reads [*got, want) of fd into buf synchronously through the backend. False with
 * *err set (xmalloc'd) on a read error or if the file ends early (it shrank). */
static bool read_rest(struct input_set *s, int fd, uint8_t *buf, size_t *got, size_t want,
                      uint64_t size, char **err)
{
    while (*got < want) {
        struct io_req r = { .fd = fd, .offset = *got, .buf = buf + *got, .len = want - *got };
        (void)s->ops->submit(s->be, &r, 1, true);
        if (r.res < 0) {
            *err = str_fmt("read failed: %s", strerror((int)-r.res));
            return false;
        }
        if (r.res == 0) {
            *err = str_fmt("file shrank from %llu to %zu bytes while being read",
                           (unsigned long long)size, *got);
            return false;
        }
        *got += (size_t)r.res;
        count_read(s, (uint64_t)r.res);
    }
    return true;
}

static void pfile_fail(struct pfile *pf, enum pf_state st, char *detail)
{
    xfree(pf->it.detail);
    pf->it.detail = detail;
    pf->state = st;
    xfree(pf->buf);
    pf->buf = NULL;
    close_fd(&pf->fd);
}

/* pfile_open opens and fstats a listed file. False (pf in an error state) on failure. */
static bool pfile_open(struct pfile *pf)
{
    /* O_NONBLOCK: should the file have been replaced by a fifo, open must not hang. */
    /* O_NOATIME: reading an archive is no reason to write its inodes (refused for files of
     * other owners: then without it). */
    int at = pf->it.dir_fd1 > 0 ? pf->it.dir_fd1 - 1 : AT_FDCWD;
    const char *name = pf->it.dir_fd1 > 0 ? pf->it.name : pf->it.path;
    pf->fd = openat(at, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOATIME);
    if (pf->fd < 0 && errno == EPERM) {
        pf->fd = openat(at, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    }
    pf->it.dir_fd1 = 0; /* the folder may close once the walk moves on */
    if (pf->fd < 0) {
        if (errno == ENOENT) {
            pfile_fail(pf, PF_READ_ERR, str_fmt("file vanished before it could be read"));
        } else {
            pfile_fail(pf, PF_PATH_ERR, str_fmt("%s: %s", pf->it.path, strerror(errno)));
        }
        return false;
    }
    struct stat st;
    if (fstat(pf->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        pfile_fail(pf, PF_PATH_ERR, str_fmt("%s: no longer a regular file", pf->it.path));
        return false;
    }
    pf->size = (uint64_t)st.st_size;
    return true;
}

enum plan { PLAN_READ, PLAN_DONE, PLAN_CARRY };

/* pfile_plan decides how much of an opened file the batch reads. */
static enum plan pfile_plan(struct input_set *s, struct pfile *pf, size_t *budget, bool first)
{
    size_t max = s->o.max_message_bytes;
    if (pf->size == 0) {
        pf->state = pf->it.kind == WI_MAILDIR_MSG ? PF_MSG : PF_NONE;
        close_fd(&pf->fd);
        return PLAN_DONE;
    }
    if (pf->it.kind == WI_MAILDIR_MSG && pf->size > max) {
        count_read(s, pf->size); /* consumed unread */
        pfile_fail(pf, PF_TOO_BIG, str_fmt("message of %llu bytes is over the limit of %zu bytes",
                                           (unsigned long long)pf->size, max));
        return PLAN_DONE;
    }
    /* A folder member may be a big mbox: read only its head, then decide. */
    pf->want = (pf->it.kind == WI_FILE && pf->size > LIM_READ_CHUNK) ? INPUT_SNIFF_BYTES
                                                                     : (size_t)pf->size;
    if (!first && pf->want > *budget) {
        return PLAN_CARRY;
    }
    *budget -= pf->want < *budget ? pf->want : *budget;
    pf->buf = xmalloc(pf->want);
    return PLAN_READ;
}

/* pfile_classify runs after the batch's reads: completes short reads, sniffs, decides. */
static void pfile_classify(struct input_set *s, struct pfile *pf)
{
    struct io_req *r = &s->reqs[pf->req];
    char *err = NULL;
    if (r->res < 0) {
        pfile_fail(pf, PF_READ_ERR, str_fmt("read failed: %s", strerror((int)-r->res)));
        return;
    }
    pf->got = (size_t)r->res;
    count_read(s, pf->got);
    if (!read_rest(s, pf->fd, pf->buf, &pf->got, pf->want, pf->size, &err)) {
        pfile_fail(pf, PF_READ_ERR, err);
        return;
    }
    const struct compress_magic *c;
    bool whole = pf->want == pf->size;
    enum sniff_kind k = sniff(slice_make(pf->buf, pf->got), whole, &c);
    if (k == SNIFF_COMPRESSED) {
        pfile_fail(pf, PF_PATH_ERR, compressed_detail(pf->it.path, c));
        return;
    }
    if (pf->it.kind == WI_MAILDIR_MSG) {
        pf->state = PF_MSG; /* a Maildir entry is a message, whatever it starts with */
    } else if (k == SNIFF_EMPTY) {
        pfile_fail(pf, PF_NONE, NULL);
        return;
    } else if (k == SNIFF_MBOX) {
        uncount_read(s, pf->got); /* the stream reads it again from the start */
        xfree(pf->buf);
        pf->buf = NULL;
        pf->state = PF_MBOX;
        return;
    } else if (pf->size > s->o.max_message_bytes) {
        count_read(s, pf->size - pf->got);
        pfile_fail(pf, PF_TOO_BIG, str_fmt("message of %llu bytes is over the limit of %zu bytes",
                                           (unsigned long long)pf->size, s->o.max_message_bytes));
        return;
    } else if (!whole) {
        pf->want = (size_t)pf->size;
        pf->buf = xrealloc(pf->buf, pf->want);
        if (!read_rest(s, pf->fd, pf->buf, &pf->got, pf->want, pf->size, &err)) {
            pfile_fail(pf, PF_READ_ERR, err);
            return;
        }
        pf->state = PF_MSG;
    } else {
        pf->state = PF_MSG;
    }
    close_fd(&pf->fd);
}

/* batch_fill gathers the next batch and reads it with one submit. False at the end. */
static bool batch_fill(struct input_set *s)
{
    size_t budget = LIM_BATCH_BYTES, n = 0, n_reqs = 0;
    while (n < IO_MAX_BATCH) {
        struct pfile *pf = &s->batch[n];
        if (s->have_carry) {
            *pf = s->carry;
            s->have_carry = false;
        } else {
            struct witem it;
            if (!walk_next(&s->w, &it)) {
                break;
            }
            *pf = (struct pfile){ .it = it, .fd = -1, .req = -1 };
        }
        if (pf->it.kind == WI_STREAM) {
            if (n > 0) { /* a stream goes alone, after the files before it */
                s->carry = *pf;
                s->have_carry = true;
                break;
            }
            pf->state = PF_STREAM;
            n++;
            break;
        }
        if (pf->it.kind == WI_PATH_ERROR || pf->it.kind == WI_VANISHED) {
            pf->state = pf->it.kind == WI_PATH_ERROR ? PF_PATH_ERR : PF_READ_ERR;
            n++;
            continue;
        }
        if (pf->fd < 0 && !pfile_open(pf)) {
            n++;
            continue;
        }
        enum plan p = pfile_plan(s, pf, &budget, n == 0);
        if (p == PLAN_CARRY) {
            s->carry = *pf;
            s->have_carry = true;
            break;
        }
        if (p == PLAN_READ) {
            pf->req = (int)n_reqs;
            s->reqs[n_reqs++] = (struct io_req){ .fd = pf->fd, .buf = pf->buf, .len = pf->want };
        }
        n++;
    }
    s->n_batch = n;
    s->i_batch = 0;
    if (n_reqs > 0) {
        (void)s->ops->submit(s->be, s->reqs, n_reqs, true); /* failures are in reqs[].res */
    }
    for (size_t i = 0; i < n; i++) {
        if (s->batch[i].req >= 0) {
            pfile_classify(s, &s->batch[i]);
        }
    }
    return n > 0;
}

/* ---------------------------------------------------------------------------------------
 * mbox streaming with read-ahead. */

/* chunk_ready makes chunk[k] safe to read into: a fresh chunk if messages still point
 * into the old one (the reader's own reference to that one is then dropped). */
static void chunk_ready(struct input_set *s, int k)
{
    if (s->cb[k] == NULL || atomic_load_explicit(&s->cb[k]->refs, memory_order_acquire) > 1) {
        chunk_unref(s->cb[k]);
        if (s->pool == NULL) {
            s->pool = pool_new();
        }
        s->cb[k] = chunk_new(s->pool);
    }
    s->chunk[k] = s->cb[k]->data;
}

static void mbox_chunks(struct input_set *s)
{
    chunk_ready(s, 0);
    chunk_ready(s, 1);
}

/* mbox_read_ahead starts reading the chunk after next_off into the buffer not in use. */
static void mbox_read_ahead(struct input_set *s, struct mbox *m)
{
    if (m->next_off >= m->file_size) {
        return; /* read up to the size seen at open: a consistent snapshot */
    }
    int k = m->cur ^ 1;
    chunk_ready(s, k);
    uint64_t left = m->file_size - m->next_off;
    m->req[k] = (struct io_req){ .fd = m->fd, .offset = m->next_off, .buf = s->chunk[k],
                                 .len = left < LIM_READ_CHUNK ? (size_t)left : LIM_READ_CHUNK };
    (void)s->ops->submit(s->be, &m->req[k], 1, false);
    m->ahead = true;
}

static void mbox_start(struct input_set *s, int fd, bool seekable, uint64_t size,
                       const char *source, enum input_kind kind)
{
    struct mbox *m = &s->mb;
    mbox_chunks(s);
    *m = (struct mbox){ .active = true, .seekable = seekable, .fd = fd, .file_size = size,
                        .kind = kind };
    m->sp.max = s->o.max_message_bytes;
    m->sp.source = source;
    if (seekable) {
        mbox_read_ahead(s, m);
    }
}

/* stream_ready: more bytes (or the end) can be read from fd at once. */
static bool stream_ready(int fd)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    return poll(&p, 1, 0) > 0;
}

/* read_some reads up to len bytes of a stream, waiting for them (a stdin or fifo may be
 * non-blocking); EINTR is retried. What read(2) returns otherwise. */
static ssize_t read_some(int fd, uint8_t *buf, size_t len)
{
    for (;;) {
        ssize_t n = read(fd, buf, len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && errno == EAGAIN) {
            struct pollfd p = { .fd = fd, .events = POLLIN };
            (void)poll(&p, 1, -1);
            continue;
        }
        return n;
    }
}

/* mbox_fill_stream reads the next chunk of a pipe, socket or terminal. A pipe gives at most
 * its buffer (64 KiB) per read, so it reads on until the chunk is full, the stream ends or
 * no byte is ready (no wait for more: a live feed's messages go on at once). Fewer reads,
 * and fuller chunks for mbox_next's zero-copy rule. A read error after some bytes is
 * reported at the next call, so that the bytes before it are still split. */
static bool mbox_fill_stream(struct input_set *s, struct mbox *m)
{
    if (m->stream_errno != 0) {
        m->err = str_fmt("read failed at offset %llu: %s",
                         (unsigned long long)(m->base + m->len), strerror(m->stream_errno));
        m->stream_errno = 0;
        return false;
    }
    chunk_ready(s, 0);
    size_t got = 0;
    for (;;) {
        /* Waits only for the first bytes: later reads follow a stream_ready. */
        ssize_t n = read_some(m->fd, s->chunk[0] + got, LIM_READ_CHUNK - got);
        if (n < 0) {
            if (got > 0) {
                m->stream_errno = errno;
                break;
            }
            m->err = str_fmt("read failed at offset %llu: %s",
                             (unsigned long long)(m->base + m->len), strerror(errno));
            return false;
        }
        if (n == 0) {
            break;
        }
        got += (size_t)n;
        if (got == LIM_READ_CHUNK || !stream_ready(m->fd)) {
            break;
        }
    }
    if (got == 0) {
        return false;
    }
    m->base += m->len;
    m->len = got;
    m->pos = 0;
    count_read(s, (uint64_t)got);
    return true;
}

/* mbox_fill makes the next chunk current. False at the end of the file or on error. */
static bool mbox_fill(struct input_set *s, struct mbox *m)
{
    if (!m->seekable) {
        return mbox_fill_stream(s, m);
    }
    if (!m->ahead) {
        return false;
    }
    int k = m->cur ^ 1;
    (void)s->ops->wait(s->be, &m->req[k], 1);
    m->ahead = false;
    int64_t res = m->req[k].res;
    if (res <= 0) {
        m->err = res < 0 ? str_fmt("read failed at offset %llu: %s",
                                   (unsigned long long)m->next_off, strerror((int)-res))
                         : str_fmt("file shrank from %llu to %llu bytes while being read",
                                   (unsigned long long)m->file_size,
                                   (unsigned long long)m->next_off);
        return false;
    }
    count_read(s, (uint64_t)res);
    m->cur = k;
    m->base = m->req[k].offset;
    m->len = (size_t)res;
    m->pos = 0;
    m->next_off = m->base + m->len;
    mbox_read_ahead(s, m); /* chunk k+1 is read while the splitter works on chunk k */
    return true;
}

static void mbox_stop(struct input_set *s)
{
    struct mbox *m = &s->mb;
    if (m->ahead) {
        (void)s->ops->wait(s->be, &m->req[m->cur ^ 1], 1);
        m->ahead = false;
    }
    if (m->close_fd) {
        close_fd(&m->fd);
    }
    sp_cleanup(&m->sp);
    xfree(m->err);
    m->err = NULL;
    m->active = false;
}

/* stream_idle: the mbox is a stream whose chunk is used up and which has no byte ready. */
static bool stream_idle(const struct mbox *m)
{
    return m->active && !m->seekable && !m->eof && m->pos == m->len && m->stream_errno == 0 &&
           !stream_ready(m->fd);
}

/* mbox_next yields the stream's next message. False when the stream is over, or (nowait)
 * with *would_block set when it would have to wait for a stream; the next call goes on
 * where this one stopped. */
static bool mbox_next(struct input_set *s, struct input_msg *out, bool nowait,
                      bool *would_block)
{
    struct mbox *m = &s->mb;
    for (;;) {
        if (nowait && stream_idle(m)) {
            *would_block = true;
            return false;
        }
        if (m->pos == m->len && !m->eof && !mbox_fill(s, m)) {
            m->eof = true;
        }
        if (m->pos == m->len && m->eof) {
            uint64_t end = m->base + m->len;
            bool got = sp_finish(&m->sp, end, out);
            if (m->err != NULL && !got) {
                /* Never drop silently: a read error with no message in progress still
                 * gives a record. */
                memset(out, 0, sizeof(*out));
                out->source = m->sp.source;
                out->index = m->sp.index++;
                out->offset = (int64_t)end;
                got = true;
            }
            if (got) {
                out->kind = m->kind;
                if (m->err != NULL) {
                    out->err = INPUT_E_READ;
                    set_detail(out, m->err);
                    xfree(m->err);
                    m->err = NULL;
                }
                return true;
            }
            return false;
        }
        /* Messages may point into the chunk only when it is well filled: each one they hold
         * keeps LIM_READ_CHUNK bytes alive, so pinned memory stays within 4 times the bytes
         * of the messages in flight. A file's chunks are full; a pipe's are often a read or
         * two (see mbox_fill_stream), and its messages are copied out instead. */
        m->sp.owner = m->len >= INPUT_ZC_MIN_FILL ? s->cb[m->cur] : NULL;
        if (sp_feed(&m->sp, s->chunk[m->cur], m->len, &m->pos, m->base, out)) {
            out->kind = m->kind;
            return true;
        }
    }
}

/* ---------------------------------------------------------------------------------------
 * Standard input and fifos: read sequentially (read_some), no offsets, no io_uring. */

/* stream_message reads the rest of a one-message stream (head already in chunk[0]). */
static void stream_message(struct input_set *s, int fd, size_t head, const char *path,
                           struct input_msg *out)
{
    size_t max = s->o.max_message_bytes, cap = head > 4096 ? head : 4096;
    uint64_t total = head;
    uint8_t *buf = xmalloc(cap);
    memcpy(buf, s->chunk[0], head);
    bool too_big = head > max;
    if (too_big) {
        xfree(buf);
        buf = NULL;
    }
    memset(out, 0, sizeof(*out));
    for (;;) {
        if (!too_big && cap - total < 4096) {
            cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
            buf = xrealloc(buf, cap);
        }
        uint8_t *dst = too_big ? s->chunk[0] : buf + total;
        size_t room = too_big ? LIM_READ_CHUNK : cap - (size_t)total;
        ssize_t n = read_some(fd, dst, room);
        if (n < 0) {
            out->err = INPUT_E_READ;
            snprintf(out->err_detail, sizeof(out->err_detail), "read failed: %s", strerror(errno));
            break;
        }
        if (n == 0) {
            break;
        }
        total += (uint64_t)n;
        count_read(s, (uint64_t)n);
        if (!too_big && total > max) {
            too_big = true; /* stop holding it: only count from here on */
            xfree(buf);
            buf = NULL;
        }
    }
    out->data = buf;
    out->raw = slice_make(buf, too_big ? 0 : (size_t)total);
    out->from_line = slice_make(buf, 0);
    out->source = path;
    out->offset = -1;
    out->size = total;
    out->kind = strcmp(path, "-") == 0 ? INPUT_KIND_STDIN_MESSAGE : INPUT_KIND_FILE;
    if (too_big && out->err == INPUT_OK) {
        out->err = INPUT_E_TOO_BIG;
        snprintf(out->err_detail, sizeof(out->err_detail),
                 "message of %llu bytes is over the limit of %zu bytes",
                 (unsigned long long)total, max);
    }
}

/* stream_start handles "-" or a fifo: sniff, then one message or an mbox stream. True if
 * *out holds a message. */
static bool stream_start(struct input_set *s, const char *path, struct input_msg *out)
{
    bool is_stdin = strcmp(path, "-") == 0;
    int fd = is_stdin ? 0 : open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        char *d = str_fmt("%s: %s", path, strerror(errno));
        path_error(s, path, d);
        xfree(d);
        return false;
    }
    mbox_chunks(s);
    size_t head = 0;
    bool eof = false;
    while (head < INPUT_SNIFF_BYTES) {
        ssize_t n = read_some(fd, s->chunk[0] + head, LIM_READ_CHUNK - head);
        if (n <= 0) {
            eof = true; /* a read error here reads as the end: the sniff decides */
            break;
        }
        head += (size_t)n;
        count_read(s, (uint64_t)n);
    }
    const struct compress_magic *c;
    bool ret = false;
    switch (sniff(slice_make(s->chunk[0], head), eof, &c)) {
    case SNIFF_COMPRESSED: {
        char *d = compressed_detail(path, c);
        path_error(s, path, d);
        xfree(d);
        break;
    }
    case SNIFF_EMPTY:
        break;
    case SNIFF_MBOX:
        mbox_start(s, fd, false, 0, path, INPUT_KIND_MBOX);
        s->mb.close_fd = !is_stdin;
        s->mb.len = head;
        s->mb.eof = eof;
        return false; /* input_next pulls the messages */
    case SNIFF_MESSAGE:
        stream_message(s, fd, head, path, out);
        ret = true;
        break;
    }
    if (!is_stdin) {
        close(fd);
    }
    return ret;
}

/* ---------------------------------------------------------------------------------------
 * Public interface. */

static void msg_from_pfile(struct pfile *pf, struct input_msg *out)
{
    memset(out, 0, sizeof(*out));
    out->data = pf->buf;
    out->raw = slice_make(pf->buf, pf->state == PF_MSG ? pf->got : 0);
    out->from_line = slice_make(pf->buf, 0);
    out->source = pf->it.path;
    out->offset = -1;
    out->size = pf->state == PF_MSG ? pf->got : pf->size;
    out->kind = INPUT_KIND_FILE;
    if (pf->state == PF_TOO_BIG) {
        out->err = INPUT_E_TOO_BIG;
    } else if (pf->state == PF_READ_ERR) {
        out->err = INPUT_E_READ;
    }
    if (pf->it.detail != NULL) {
        set_detail(out, pf->it.detail);
    }
    pf->buf = NULL;
}

/* pfile_emit turns one batch entry into a message, a path error or an mbox stream. */
static bool pfile_emit(struct input_set *s, struct pfile *pf, struct input_msg *out)
{
    bool ret = false;
    switch (pf->state) {
    case PF_NONE:
        break;
    case PF_PATH_ERR:
        path_error(s, pf->it.path, pf->it.detail ? pf->it.detail : pf->it.path);
        break;
    case PF_MSG:
    case PF_TOO_BIG:
    case PF_READ_ERR:
        msg_from_pfile(pf, out);
        ret = true;
        break;
    case PF_MBOX:
        mbox_start(s, pf->fd, true, pf->size, pf->it.path, INPUT_KIND_MBOX);
        s->mb.close_fd = true;
        pf->fd = -1;
        break;
    case PF_STREAM:
        ret = stream_start(s, pf->it.path, out);
        break;
    }
    xfree(pf->it.detail);
    pf->it.detail = NULL;
    xfree(pf->buf);
    pf->buf = NULL;
    close_fd(&pf->fd);
    return ret;
}

static uint64_t total_size(const char **paths, size_t n_paths)
{
    struct walker w = { .paths = paths, .n_paths = n_paths, .a = arena_new(0), .sizes = true };
    struct witem it;
    uint64_t total = 0;
    while (walk_next(&w, &it)) {
        if (it.kind == WI_FILE || it.kind == WI_MAILDIR_MSG) {
            total += it.size;
        }
        xfree(it.detail);
    }
    walk_cleanup(&w);
    arena_free(w.a);
    return total;
}

struct input_set *input_open(const char *const *paths, size_t n_paths,
                             const struct input_opts *opts)
{
    struct input_set *s = xcalloc(1, sizeof(*s));
    if (opts != NULL) {
        s->o = *opts;
    }
    if (s->o.max_message_bytes == 0) {
        s->o.max_message_bytes = LIM_MSG_BYTES_DEFAULT;
    }
    if (s->o.max_message_bytes > SIZE_MAX / 4) {
        s->o.max_message_bytes = SIZE_MAX / 4; /* so max + 2 and growth never overflow */
    }
    s->a = arena_new(0);
    const char **copy = arena_array(s->a, n_paths ? n_paths : 1, sizeof(*copy));
    for (size_t i = 0; i < n_paths; i++) {
        copy[i] = arena_str(s->a, paths[i]);
    }
    s->w = (struct walker){ .paths = copy, .n_paths = n_paths, .a = s->a };
    s->ops = &io_backend_pread;
    if (!s->o.force_pread && io_backend_uring.init(&s->be) == IO_OK) {
        s->ops = &io_backend_uring;
    } else if (s->ops->init(&s->be) != IO_OK) {
        abort(); /* the pread backend cannot fail */
    }
    s->bytes_total = s->o.no_total ? 0 : total_size(copy, n_paths);
    return s;
}

static bool next_message(struct input_set *s, struct input_msg *out, bool nowait,
                         bool *would_block)
{
    *would_block = false;
    for (;;) {
        if (s->mb.active) {
            if (mbox_next(s, out, nowait, would_block)) {
                return true;
            }
            if (*would_block) {
                return false;
            }
            mbox_stop(s);
            continue;
        }
        if (s->i_batch < s->n_batch) {
            if (pfile_emit(s, &s->batch[s->i_batch++], out)) {
                return true;
            }
            continue;
        }
        if (!batch_fill(s)) {
            return false;
        }
    }
}

bool input_next(struct input_set *s, struct input_msg *out)
{
    bool would_block;
    return next_message(s, out, false, &would_block);
}

bool input_next_nowait(struct input_set *s, struct input_msg *out, bool *would_block)
{
    return next_message(s, out, true, would_block);
}

bool input_would_block(const struct input_set *s)
{
    return stream_idle(&s->mb);
}

void input_stop_reading(struct input_set *s)
{
    if (s->mb.active) {
        mbox_stop(s); /* waits for the read-ahead */
    }
}

size_t input_path_errors(const struct input_set *s)
{
    return s->path_errors;
}

uint64_t input_bytes_read(const struct input_set *s)
{
    return atomic_load_explicit(&s->bytes_read, memory_order_relaxed);
}

uint64_t input_bytes_total(const struct input_set *s)
{
    return s->bytes_total;
}

const char *input_backend_name(const struct input_set *s)
{
    return s->ops->name;
}

static void pfile_cleanup(struct pfile *pf)
{
    xfree(pf->it.detail);
    pf->it.detail = NULL;
    xfree(pf->buf);
    pf->buf = NULL;
    close_fd(&pf->fd);
}

void input_close(struct input_set *s)
{
    if (s == NULL) {
        return;
    }
    if (s->mb.active) {
        mbox_stop(s);
    }
    s->ops->free(s->be); /* drains any read still in flight before buffers go */
    for (size_t i = s->i_batch; i < s->n_batch; i++) {
        pfile_cleanup(&s->batch[i]);
    }
    if (s->have_carry) {
        pfile_cleanup(&s->carry);
    }
    walk_cleanup(&s->w);
    chunk_unref(s->cb[0]); /* messages still out keep theirs (and the pool) alive */
    chunk_unref(s->cb[1]);
    if (s->pool != NULL) {
        pool_close(s->pool);
    }
    arena_free(s->a);
    xfree(s);
}

void input_msg_free(struct input_msg *m)
{
    if (m == NULL) {
        return;
    }
    xfree(m->data);
    m->data = NULL;
    chunk_unref(m->chunk);
    m->chunk = NULL;
    m->raw = SLICE_NULL;
    m->from_line = SLICE_NULL;
}
