/* io.h: the read backends behind one small vtable (STYLE.md example 5).
 *
 * A backend reads byte ranges of open files: the caller fills struct io_req entries
 * (fd, offset, buffer, length), starts any number of them at once with submit, and later
 * waits for them. io_uring (io/uring.c) really runs them concurrently: one
 * io_uring_submit_and_wait for a whole batch of Maildir files, and a read-ahead for the
 * next mbox chunk while the splitter works on the current one. The pread backend
 * (io/pread.c) performs each read inside submit, so wait has nothing left to do; it is the
 * portable fallback and what runs when io_uring is unavailable (containers often refuse
 * io_uring_setup with ENOSYS or EPERM).
 *
 * Rules for callers: a request and its buffer must stay put until it is done; a backend
 * holds at most IO_DEPTH requests in flight; short reads are allowed (res < len) and the
 * caller re-issues the rest. Only io/ uses negative errno values (in io_req.res). */
#ifndef AUTHSWEEP_IO_H
#define AUTHSWEEP_IO_H

#include "engine/core/limits.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IO_DEPTH 64u       /* requests a backend can hold in flight */
#define IO_MAX_BATCH LIM_IO_BATCH_FILES
#define IO_MAX_REQ_LEN 0x7ffff000u /* Linux's largest single read; longer ones go short */

enum io_status {
    IO_OK = 0,
    IO_E_UNAVAILABLE, /* backend cannot run here (init only) */
    IO_E_SYS,         /* unexpected system error; the affected requests carry res < 0 */
};

struct io_req {
    int fd;
    uint64_t offset;
    uint8_t *buf;
    size_t len;    /* at most IO_MAX_REQ_LEN */
    int64_t res;   /* once done: bytes read (0 at end of file) or -errno */
    bool done;
};

/* io_pread_one performs r with pread(2), retrying on EINTR, and marks it done. The pread
 * backend's whole job, and the io_uring backend's fallback when the kernel refuses a
 * submit. */
void io_pread_one(struct io_req *r);

struct io_backend; /* backend-private state */

struct io_backend_ops {
    const char *name; /* "io_uring" or "read" (what input_backend_name reports) */
    /* init makes a backend for one reader (one thread). IO_E_UNAVAILABLE if this backend
     * cannot run on this kernel or in this sandbox; *out is then NULL. */
    enum io_status (*init)(struct io_backend **out);
    /* submit starts reqs[0..n_reqs) (n_reqs <= IO_DEPTH minus those in flight), marking
     * them not done. With wait, it returns only when all of them are done. Requests that
     * cannot be started are completed with res < 0. */
    enum io_status (*submit)(struct io_backend *b, struct io_req *reqs, size_t n_reqs,
                             bool wait);
    /* wait returns when every request of reqs[0..n_reqs) is done. */
    enum io_status (*wait)(struct io_backend *b, struct io_req *reqs, size_t n_reqs);
    /* free waits for any request still in flight, then releases b. free(NULL) is a no-op. */
    void (*free)(struct io_backend *b);
};

extern const struct io_backend_ops io_backend_uring;
extern const struct io_backend_ops io_backend_pread;

#endif
