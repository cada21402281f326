/* spfcache: SPF results reused across messages for the whole run.
 *
 * RFC 7208 evaluation is a pure function of (client address, MAIL FROM, HELO, DNS): an
 * archive of a million messages from a few senders needs only a few evaluations. The key
 * is (address, domain); a result whose evaluation expanded a macro that reads the
 * local-part or the HELO name (spf_result.uses) is stored under a longer key that includes
 * them, and one that read %{t} is not stored. Evaluation paths can only diverge at such a
 * macro, so the first evaluation's `uses` is complete for every request sharing its
 * (address, domain). Pending results are never stored. A "none" result (no SPF record)
 * is decided before any mechanism looks at the address, so it is kept per domain alone,
 * for MAIL FROM and HELO alike. Storage: engine/core/shmap.h. */
#ifndef AUTHSWEEP_SPFCACHE_H
#define AUTHSWEEP_SPFCACHE_H

#include "engine/core/limits.h"

#include <stdint.h>

#include "engine/policy/spf.h"

#define SPFCACHE_MAX_ENTRIES LIM_SPFCACHE_ENTRIES
struct spfcache;

struct spfcache *spfcache_new(void);
void spfcache_free(struct spfcache *c);
/* spfcache_check_mailfrom is spf_check_mailfrom through the cache; result slices are arena
 * copies. */
void spfcache_check_mailfrom(struct spfcache *c, struct arena *a, struct dns_resolver *r,
                             const struct spf_request *req, struct spf_result *out);
/* spfcache_check_helo is spf_check_helo through the cache: only "none" results (no SPF
 * record for the HELO name, the common case) are kept, per name. */
void spfcache_check_helo(struct spfcache *c, struct arena *a, struct dns_resolver *r,
                         const struct spf_request *req, struct spf_result *out);
void spfcache_stats(const struct spfcache *c, uint64_t *out_hits, uint64_t *out_evals);

#endif
