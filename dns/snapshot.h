/* snapshot: a resolver that answers from an RFC 1035 master-format zone file (the DNS
 * snapshot). Closed world: a name absent from the file is NXDOMAIN; a name present without
 * the asked type is NODATA. CNAMEs are followed (at most LIM_DNS_CNAME_CHAIN hops; a loop or
 * a longer chain is SERVFAIL). Wildcard owners ("*.example.com") answer as RFC 4592 says.
 *
 * Directives that a zone file cannot say are comments, so the file still loads elsewhere:
 *   ;! timeout NAME [TYPE]    the lookup times out (a temporary error)
 *   ;! servfail NAME [TYPE]   the lookup fails with SERVFAIL
 *   ;! nodata NAME TYPE       NAME exists and has no TYPE records
 *   ;! nxdomain NAME          NAME does not exist
 * Without TYPE, timeout/servfail apply to every type for which the file has neither records
 * nor a ";! nodata" line at NAME.
 *
 * Loading is strict: any line that cannot be read is an error naming the file and line.
 * After loading, the resolver is immutable and may be shared by any number of threads. */
#ifndef AUTHSWEEP_SNAPSHOT_H
#define AUTHSWEEP_SNAPSHOT_H

#include <stddef.h>

#include "dns/dns.h"

/* snapshot_load reads the zone file at path. On error returns NULL and writes a message
 * ("FILE:LINE: what") into err. */
struct dns_resolver *snapshot_load(const char *path, char *err, size_t err_len);
/* snapshot_load_mem is the same over bytes in memory; name is used in error messages. */
struct dns_resolver *snapshot_load_mem(slice text, const char *name, char *err, size_t err_len);
/* snapshot_stats: records loaded and lookups answered (for --verbose). */
void snapshot_stats(const struct dns_resolver *r, size_t *out_records, size_t *out_lookups);

#endif
