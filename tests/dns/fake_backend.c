#include "tests/dns/fake_backend.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct fq {
    struct fq *next;
    struct dnscache *c;
    struct dnscache_query *q;
};

struct fake_backend {
    struct dnscache_backend base;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct fq *head, *tail;
    bool threaded, stop, started;
    int delay_ms;
    fake_answer_fn fn;
    void *ctx;
    pthread_t th;
    atomic_uint submits;
};

struct dnscache_answer *fake_txt_answer(const struct dnscache_query *q, size_t len, uint32_t ttl)
{
    uint8_t *rd = malloc(len + len / 255 + 2);
    size_t at = 0, left = len;
    do {
        size_t n = left > 255 ? 255 : left;
        rd[at++] = (uint8_t)n;
        memset(rd + at, 'k', n);
        if (left == len && n > 0) {
            memcpy(rd + at, q->name.ptr, q->name.len < n ? q->name.len : n);
        }
        at += n;
        left -= n;
    } while (left > 0);
    struct dns_rr rr = { DNS_T_TXT, (uint16_t)at, ttl, rd };
    struct dnscache_answer *a =
        dnscache_answer_new(DNS_OK, q->qtype, q->name, NULL, NULL, 0, &rr, 1, ttl);
    free(rd);
    return a;
}

struct dnscache_answer *fake_backend_default_answer(const struct dnscache_query *q, void *ctx)
{
    (void)ctx;
    if (q->name.len >= 2 && memcmp(q->name.ptr, "nx", 2) == 0) {
        return dnscache_answer_new(DNS_NXDOMAIN, q->qtype, q->name, NULL, NULL, 0, NULL, 0, 600);
    }
    if (q->name.len >= 6 && memcmp(q->name.ptr, "nodata", 6) == 0) {
        return dnscache_answer_new(DNS_NODATA, q->qtype, q->name, NULL, NULL, 0, NULL, 0, 600);
    }
    return fake_txt_answer(q, q->name.len, 300);
}

static bool fake_is_slow(const struct dnscache_query *q)
{
    return q->name.len >= 4 && memcmp(q->name.ptr, "slow", 4) == 0;
}

static void fake_complete(struct fake_backend *f, struct fq *x, bool shutting_down)
{
    struct dnscache_answer *a =
        shutting_down && fake_is_slow(x->q)
            ? dnscache_answer_new(DNS_TIMEOUT, x->q->qtype, x->q->name, NULL, NULL, 0, NULL, 0, 0)
            : f->fn(x->q, f->ctx);
    dnscache_complete(x->c, x->q, a);
    free(x);
}

static void *fake_thread(void *p)
{
    struct fake_backend *f = p;
    pthread_mutex_lock(&f->lock);
    for (;;) {
        while (!f->stop && (f->head == NULL || fake_is_slow(f->head->q))) {
            pthread_cond_wait(&f->cond, &f->lock);
        }
        if (f->stop) {
            break;
        }
        struct fq *x = f->head;
        f->head = x->next;
        if (f->head == NULL) {
            f->tail = NULL;
        }
        pthread_mutex_unlock(&f->lock);
        struct timespec ts = { f->delay_ms / 1000, (long)(f->delay_ms % 1000) * 1000000 };
        nanosleep(&ts, NULL);
        fake_complete(f, x, false);
        pthread_mutex_lock(&f->lock);
    }
    pthread_mutex_unlock(&f->lock);
    return NULL;
}

static void fake_submit(struct dnscache_backend *b, struct dnscache *c, struct dnscache_query *q)
{
    struct fake_backend *f = (struct fake_backend *)b;
    struct fq *x = calloc(1, sizeof(*x));
    x->c = c;
    x->q = q;
    atomic_fetch_add(&f->submits, 1);
    pthread_mutex_lock(&f->lock);
    if (f->tail) {
        f->tail->next = x;
    } else {
        f->head = x;
    }
    f->tail = x;
    pthread_cond_signal(&f->cond);
    pthread_mutex_unlock(&f->lock);
}

static int fake_drain(struct fake_backend *f, bool shutting_down)
{
    int n = 0;
    pthread_mutex_lock(&f->lock);
    struct fq *x = f->head, *keep = NULL, *keep_tail = NULL;
    f->head = f->tail = NULL;
    pthread_mutex_unlock(&f->lock);
    while (x) {
        struct fq *next = x->next;
        x->next = NULL;
        if (!shutting_down && fake_is_slow(x->q)) {
            if (keep_tail) {
                keep_tail->next = x;
            } else {
                keep = x;
            }
            keep_tail = x;
        } else {
            fake_complete(f, x, shutting_down);
            n++;
        }
        x = next;
    }
    if (keep) {
        pthread_mutex_lock(&f->lock);
        keep_tail->next = f->head;
        f->head = keep;
        if (f->tail == NULL) {
            f->tail = keep_tail;
        }
        pthread_mutex_unlock(&f->lock);
    }
    return n;
}

int fake_backend_flush(struct fake_backend *f)
{
    return fake_drain(f, false);
}

static void fake_shutdown(struct dnscache_backend *b)
{
    struct fake_backend *f = (struct fake_backend *)b;
    if (f->started) {
        pthread_mutex_lock(&f->lock);
        f->stop = true;
        pthread_cond_broadcast(&f->cond);
        pthread_mutex_unlock(&f->lock);
        pthread_join(f->th, NULL);
        f->started = false;
    }
    fake_drain(f, true);
}

static void fake_free(struct dnscache_backend *b)
{
    struct fake_backend *f = (struct fake_backend *)b;
    pthread_mutex_destroy(&f->lock);
    pthread_cond_destroy(&f->cond);
    free(f);
}

static const struct dnscache_backend_ops fake_ops = {
    .name = "fake",
    .submit = fake_submit,
    .shutdown = fake_shutdown,
    .free = fake_free,
};

struct fake_backend *fake_backend_new(bool threaded, int delay_ms, fake_answer_fn fn, void *ctx)
{
    struct fake_backend *f = calloc(1, sizeof(*f));
    f->base.ops = &fake_ops;
    f->threaded = threaded;
    f->delay_ms = delay_ms;
    f->fn = fn ? fn : fake_backend_default_answer;
    f->ctx = ctx;
    pthread_mutex_init(&f->lock, NULL);
    pthread_cond_init(&f->cond, NULL);
    if (threaded) {
        pthread_create(&f->th, NULL, fake_thread, f);
        f->started = true;
    }
    return f;
}

struct dnscache_backend *fake_backend_base(struct fake_backend *f)
{
    return &f->base;
}

unsigned fake_backend_submits(struct fake_backend *f)
{
    return atomic_load(&f->submits);
}
