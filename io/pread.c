/* pread.c: the portable read backend. Every read runs synchronously inside submit, so a
 * "batch" is simply a loop and wait never blocks. Used when io_uring is unavailable or
 * opts.force_pread is set. */
#include <errno.h>
#include <unistd.h>

#include "engine/core/arena.h"
#include "io/io.h"

struct io_backend {
    int unused;
};

static enum io_status pread_init(struct io_backend **out)
{
    *out = xcalloc(1, sizeof(struct io_backend));
    return IO_OK;
}

void io_pread_one(struct io_req *r)
{
    size_t len = r->len > IO_MAX_REQ_LEN ? IO_MAX_REQ_LEN : r->len;
    ssize_t n;
    do {
        n = pread(r->fd, r->buf, len, (off_t)r->offset);
    } while (n < 0 && errno == EINTR);
    r->res = n < 0 ? -(int64_t)errno : (int64_t)n;
    r->done = true;
}

static enum io_status pread_submit(struct io_backend *b, struct io_req *reqs, size_t n_reqs,
                                   bool wait)
{
    (void)b;
    (void)wait;
    for (size_t i = 0; i < n_reqs; i++) {
        reqs[i].done = false;
        io_pread_one(&reqs[i]);
    }
    return IO_OK;
}

static enum io_status pread_wait(struct io_backend *b, struct io_req *reqs, size_t n_reqs)
{
    (void)b;
    (void)reqs;
    (void)n_reqs;
    return IO_OK;
}

static void pread_free(struct io_backend *b)
{
    xfree(b);
}

const struct io_backend_ops io_backend_pread = {
    .name = "read",
    .init = pread_init,
    .submit = pread_submit,
    .wait = pread_wait,
    .free = pread_free,
};
