/* shmap: a sharded, insert-only hash map for per-run caches shared by all threads (after
 * unbound's slabhash).
 *
 * Lock protocol: SHMAP_SHARDS shards, each with its own mutex, chosen by the key's hash. A
 * get or put holds exactly one shard lock, only while it searches or links; values are
 * built by the caller outside any lock. Values are immutable once stored and live until
 * shmap_free, so a pointer from shmap_get/shmap_put stays valid for the run without
 * reference counting. Two threads may build the same value at once: the first put wins,
 * the loser's value is freed with free_val and the winner's returned. Memory is bounded by
 * max_entries: past it, shmap_put stores nothing and returns NULL (the caller keeps its
 * value). */
#ifndef AUTHSWEEP_SHMAP_H
#define AUTHSWEEP_SHMAP_H

#include <stddef.h>
#include <stdint.h>

#include "engine/core/slice.h"

#define SHMAP_SHARDS 64

struct shmap;

struct shmap *shmap_new(size_t max_entries, void (*free_val)(void *));
void shmap_free(struct shmap *m); /* frees every stored value with free_val */
uint64_t shmap_hash(slice key);
/* shmap_get returns the value stored under key, or NULL. */
void *shmap_get(struct shmap *m, slice key, uint64_t hash);
/* shmap_put stores val under key unless a value is there already; returns the stored value
 * (val, or the earlier one after freeing val), or NULL when the map is full. */
void *shmap_put(struct shmap *m, slice key, uint64_t hash, void *val);
size_t shmap_count(const struct shmap *m);

#endif
