/* fzdns: a fake resolver for the SPF harnesses that serves fuzzer bytes.
 *
 * TXT (and type SPF) answers come from the fuzzer: the k-th TXT query of a run gets text
 * line k mod n (so the first query, the checked domain, gets the first line, the first
 * include/redirect the second, ...). Within one line, byte 0x1e separates records of the same
 * answer (several TXT RRs); each record is cut into 255-byte character-strings. A line
 * "!nx", "!to", "!sf" or "!nd" answers NXDOMAIN, timeout, SERVFAIL or NODATA instead.
 *
 * Other types are driven by the first label of the asked name, so records can steer them
 * (through macros and domain-specs): "nx*" NXDOMAIN, "to*" timeout, "sf*" SERVFAIL, "nd*"
 * NODATA; otherwise A = 192.0.2.1 and 198.51.100.7, AAAA = 2001:db8::1, MX = two names (twelve
 * when the label starts with "mm", past RFC 7208's limit of 10), PTR = mail.example.com and
 * nxptr.example.org. Names that dns_name_canon rejects give DNS_BADNAME, as real resolvers do. */
#ifndef AUTHSWEEP_FUZZ_FZDNS_H
#define AUTHSWEEP_FUZZ_FZDNS_H

#include <stddef.h>

#include "dns/dns.h"

struct fzdns {
    struct dns_resolver base;
    const slice *lines;
    size_t n_lines;
    size_t txt_queries;
    size_t lookups;
};

/* fzdns_init points f at lines[0..n) (borrowed, must outlive the lookups). */
void fzdns_init(struct fzdns *f, const slice *lines, size_t n);

/* fzdns_split_lines cuts s at LF into at most max lines (the rest stays in the last one);
 * returns the count. */
size_t fzdns_split_lines(slice s, slice *out, size_t max);

#endif
