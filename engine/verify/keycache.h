/* keycache: parsed DKIM public keys, shared by all threads for the whole run.
 *
 * Keyed by the key record's text (the joined TXT strings), so a key is parsed into an
 * OpenSSL object once however many messages name it, and a rotated key (new text) is a new
 * entry: the cache never serves a key that DNS no longer gives.
 *
 * Storage and locking are engine/core/shmap.h's (its lock protocol applies): parsing
 * happens outside any lock, so two threads may parse the same new record at once and the
 * first to insert wins. Entries are immutable after insertion and live until keycache_free,
 * so a pointer returned by keycache_get stays valid for the run without reference
 * counting. Memory is bounded by KEYCACHE_MAX_ENTRIES: past that, keys are parsed per use
 * and handed to the caller to free (struct keycache_entry.owned). */
#ifndef AUTHSWEEP_KEYCACHE_H
#define AUTHSWEEP_KEYCACHE_H

#include "engine/core/limits.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/core/slice.h"
#include "engine/verify/keyrec.h"
#include "engine/verify/sig.h"

#define KEYCACHE_MAX_ENTRIES LIM_KEYCACHE_ENTRIES
enum keycache_key_status {
    KC_KEY_OK = 0,
    KC_KEY_SYNTAX,       /* record or p= unusable */
    KC_KEY_REVOKED,
    KC_KEY_UNKNOWN_TYPE,
    KC_KEY_WRONG_TYPE,   /* p= holds a key of another type than k= says */
};

struct keycache_entry {
    enum keycache_key_status status;
    struct keyrec rec;    /* slices point into the entry's own copy of the text */
    struct sig_key *key;  /* NULL unless status == KC_KEY_OK */
    unsigned bits;
    bool owned;           /* not in the cache: the caller frees it with keycache_put */
    /* private */
    slice text;
};

struct keycache;

struct keycache *keycache_new(void);
void keycache_free(struct keycache *kc);
/* keycache_get returns the parsed form of the key record `txt` (never NULL). */
const struct keycache_entry *keycache_get(struct keycache *kc, slice txt);
/* keycache_put releases an entry from keycache_get (frees it only if owned). */
void keycache_put(const struct keycache_entry *e);
/* keycache_memo_hit counts a key found in a worker's memo (dkim.c) of this cache's entries:
 * a hit all the same, for keycache_stats. */
void keycache_memo_hit(struct keycache *kc);
void keycache_stats(const struct keycache *kc, uint64_t *out_hits, uint64_t *out_misses);

#endif
