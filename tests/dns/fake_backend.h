/* fake_backend: a dnscache backend for tests. Queries are queued; either the test completes
 * them with fake_backend_flush, or (threaded) a server thread completes each after delay_ms.
 * Answers come from `answer` (default: fake_backend_default_answer). */
#ifndef AUTHSWEEP_TEST_FAKE_BACKEND_H
#define AUTHSWEEP_TEST_FAKE_BACKEND_H

#include <stdatomic.h>
#include <stdbool.h>

#include "dns/cache.h"

struct fake_backend;
typedef struct dnscache_answer *(*fake_answer_fn)(const struct dnscache_query *q, void *ctx);

struct fake_backend *fake_backend_new(bool threaded, int delay_ms, fake_answer_fn fn, void *ctx);
struct dnscache_backend *fake_backend_base(struct fake_backend *f);
/* fake_backend_flush completes every queued query; returns how many. */
int fake_backend_flush(struct fake_backend *f);
/* fake_backend_submits: queries the cache sent so far. */
unsigned fake_backend_submits(struct fake_backend *f);
/* The default: names starting "nx" are NXDOMAIN, "nodata" NODATA, "slow" never answered
 * until flushed at shutdown (TIMEOUT), others one TXT record whose text is the name, TTL
 * 300. */
struct dnscache_answer *fake_backend_default_answer(const struct dnscache_query *q, void *ctx);
/* fake_txt_answer builds a TXT answer with one record of `len` bytes (split into strings). */
struct dnscache_answer *fake_txt_answer(const struct dnscache_query *q, size_t len, uint32_t ttl);

#endif
