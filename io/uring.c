/* uring.c: the io_uring read backend, the only file that includes liburing.
 *
 * One ring per input_set, used by one thread at a time: the pipeline's workers take turns
 * at reading (engine/pipeline.c, the read token), handing the ring over under a mutex, so
 * liburing's ring state is never touched by two threads at once. Hence no
 * IORING_SETUP_SINGLE_ISSUER or DEFER_TASKRUN here (both tie the ring to one task), and no
 * registered ring fd (per thread). The kernel ties each request to the thread that
 * submitted it, which must not exit while it is in flight: a reader that stops early drains
 * its read-ahead first (input_stop_reading), and workers exit only once reading is done.
 * submit queues one SQE per request and hands them all to the kernel in one
 * io_uring_submit (or io_uring_submit_and_wait when the caller wants the whole batch);
 * each CQE carries its request pointer as user_data. Requests may complete in any order;
 * wait reaps completions until every request it was given is done. free drains what is
 * still in flight before tearing the ring down, so the kernel never writes into a buffer
 * the caller has already freed. */
#include <errno.h>
#include <liburing.h>
#include <unistd.h>

#include "engine/core/arena.h"
#include "io/io.h"

struct io_backend {
    struct io_uring ring;
    size_t in_flight;
};

static enum io_status uring_init(struct io_backend **out)
{
    struct io_backend *b = xcalloc(1, sizeof(*b));
    *out = NULL;
    /* Fails with -ENOSYS (old kernel), -EPERM (seccomp, io_uring_disabled) or -ENOMEM
     * (memlock limit) in containers; the caller then uses the pread backend. */
    if (io_uring_queue_init(IO_DEPTH, &b->ring, 0) < 0) {
        xfree(b);
        return IO_E_UNAVAILABLE;
    }
    *out = b;
    return IO_OK;
}

static void uring_complete_sync(struct io_req *r, int err)
{
    r->res = -(int64_t)err;
    r->done = true;
}

/* uring_reap_one takes one completion, waiting if wait is set. False if none was taken. */
static bool uring_reap_one(struct io_backend *b, bool wait)
{
    struct io_uring_cqe *cqe = NULL;
    int rc;
    if (wait) {
        do {
            rc = io_uring_wait_cqe(&b->ring, &cqe);
        } while (rc == -EINTR);
    } else {
        rc = io_uring_peek_cqe(&b->ring, &cqe);
    }
    if (rc < 0 || cqe == NULL) {
        return false;
    }
    struct io_req *r = io_uring_cqe_get_data(cqe);
    if (r != NULL) {
        r->res = cqe->res;
        r->done = true;
    }
    io_uring_cqe_seen(&b->ring, cqe);
    b->in_flight--;
    return true;
}

static enum io_status uring_wait(struct io_backend *b, struct io_req *reqs, size_t n_reqs)
{
    for (size_t i = 0; i < n_reqs; i++) {
        while (!reqs[i].done) {
            if (!uring_reap_one(b, true)) {
                uring_complete_sync(&reqs[i], EIO);
                return IO_E_SYS;
            }
        }
    }
    return IO_OK;
}

static enum io_status uring_submit(struct io_backend *b, struct io_req *reqs, size_t n_reqs,
                                   bool wait)
{
    struct io_uring_sqe *sqes[IO_DEPTH];
    struct io_req *owners[IO_DEPTH];
    size_t queued = 0;
    for (size_t i = 0; i < n_reqs; i++) {
        struct io_req *r = &reqs[i];
        r->done = false;
        struct io_uring_sqe *sqe = queued < IO_DEPTH ? io_uring_get_sqe(&b->ring) : NULL;
        if (sqe == NULL) {
            uring_complete_sync(r, EBUSY); /* the caller broke the IO_DEPTH rule */
            continue;
        }
        unsigned len = (unsigned)(r->len > IO_MAX_REQ_LEN ? IO_MAX_REQ_LEN : r->len);
        io_uring_prep_read(sqe, r->fd, r->buf, len, r->offset);
        io_uring_sqe_set_data(sqe, r);
        owners[queued] = r;
        sqes[queued++] = sqe;
    }
    /* One system call for the whole batch; loop only if the kernel took part of it. */
    size_t sent = 0;
    enum io_status st = IO_OK;
    while (sent < queued) {
        int rc = wait ? io_uring_submit_and_wait(&b->ring, (unsigned)(queued - sent))
                      : io_uring_submit(&b->ring);
        if (rc == -EINTR) {
            continue;
        }
        if (rc <= 0) {
            /* The kernel refused the rest. They stay in the SQ ring and would run at the
             * next submit, so turn them into harmless NOPs and read them here instead. */
            for (size_t k = sent; k < queued; k++) {
                struct io_req *r = owners[k];
                io_uring_prep_nop(sqes[k]);
                io_uring_sqe_set_data(sqes[k], NULL);
                io_pread_one(r); /* the kernel refused the submit */
            }
            st = IO_E_SYS;
            break;
        }
        sent += (size_t)rc;
        b->in_flight += (size_t)rc;
    }
    if (wait) {
        enum io_status w = uring_wait(b, reqs, n_reqs);
        return st != IO_OK ? st : w;
    }
    return st;
}

static void uring_free(struct io_backend *b)
{
    if (b == NULL) {
        return;
    }
    while (b->in_flight > 0 && uring_reap_one(b, true)) {
    }
    io_uring_queue_exit(&b->ring);
    xfree(b);
}

const struct io_backend_ops io_backend_uring = {
    .name = "io_uring",
    .init = uring_init,
    .submit = uring_submit,
    .wait = uring_wait,
    .free = uring_free,
};
