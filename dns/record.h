/* record: --dns-record. A resolver that wraps the shared cache, passes every lookup through,
 * and keeps (by reference) the first final answer the run used for each (name, type). At the
 * end dnsrec_write turns them into a DNS snapshot (snapshot.h) that replays the same answers:
 *   - positive answers as records with their TTLs; a CNAME chain as the CNAME records plus
 *     the target's records;
 *   - NXDOMAIN as ";! nxdomain NAME", NODATA as ";! nodata NAME TYPE" (at the end of the
 *     chain), timeouts and SERVFAIL as ";! timeout NAME TYPE" / ";! servfail NAME TYPE";
 *   - a header: "; authsweep-recorded: <RFC 3339 UTC>" and "; authsweep-resolvers: ...".
 * The snapshot loader is strict, so facts that contradict each other (only possible when the
 * data changed during the run: a name that was NXDOMAIN and later had records, a CNAME and
 * other data) are resolved first-wins in (name, type) order, counted, and reported. The text
 * is loaded back with snapshot_load_mem before it is written, atomically (a temporary file in
 * the same folder, fsync, rename). */
#ifndef AUTHSWEEP_DNS_RECORD_H
#define AUTHSWEEP_DNS_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/dns.h"

#define DNSREC_HEADER_TIME "; authsweep-recorded: "
#define DNSREC_HEADER_RESOLVERS "; authsweep-resolvers: "

/* dnsrec_new wraps inner, which must be a cache (dns/cache.h), and takes it. started is the
 * recording time (Unix seconds) for the header. NULL if inner is not a cache. */
struct dns_resolver *dnsrec_new(struct dns_resolver *inner, const char *resolvers,
                                int64_t started);
/* dnsrec_inner returns the wrapped resolver (for statistics). */
struct dns_resolver *dnsrec_inner(struct dns_resolver *r);
/* dnsrec_is tells whether r is a recorder. */
bool dnsrec_is(const struct dns_resolver *r);

struct dnsrec_result {
    size_t answers;   /* (name, type) answers recorded */
    size_t conflicts; /* facts dropped because they contradicted an earlier one */
};

/* dnsrec_render writes the snapshot text into *out (xmalloc'd, free with xfree) and checks
 * it loads. False with a message in err if it does not (a bug: the text is still returned). */
bool dnsrec_render(struct dns_resolver *r, uint8_t **out, size_t *out_len,
                   struct dnsrec_result *res, char *err, size_t err_len);
/* dnsrec_write renders and writes the snapshot to path atomically. False with a message in
 * err on failure (the previous file, if any, is left as it was). */
bool dnsrec_write(struct dns_resolver *r, const char *path, struct dnsrec_result *res, char *err,
                  size_t err_len);

/* dnsrec_name_text writes a wire name as absolute zone-file text ("a.example.", "." for the
 * root), every byte other than a letter, digit, '-', '_' or '*' as \DDD. Returns the length;
 * buf holds at least 4 * 255 + 2 bytes. Shared with dns-merge. */
size_t dnsrec_name_text(slice wire, char *buf);

#endif
