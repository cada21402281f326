/* spf: RFC 7208 check_host() evaluation, a pure function of (ip, MAIL FROM, HELO, DNS).
 *
 * All DNS goes through dns/dns.h. Processing limits are exactly RFC 7208 §4.6.4's: 10
 * DNS-querying terms (include, a, mx, ptr, exists, redirect), 2 void lookups, 10 MX and 10
 * PTR names per lookup; exceeding one gives permerror with a reason naming the limit and
 * the term. A DNS_TIMEOUT/DNS_SERVFAIL gives temperror. If the resolver answers
 * DNS_PENDING, the result has pending = true and must be computed again later.
 * All result slices point into the arena or into the request. */
#ifndef AUTHSWEEP_SPF_H
#define AUTHSWEEP_SPF_H

#include <stdbool.h>
#include <stdint.h>

#include "dns/dns.h"
#include "engine/core/arena.h"
#include "engine/core/slice.h"
#include "engine/core/verdict.h"

struct spf_ip {
    uint8_t family; /* 4 or 6 */
    uint8_t addr[16];
};

/* spf_ip_parse reads "192.0.2.1" or "2001:db8::1" (an IPv4-mapped IPv6 address is taken as
 * IPv4, RFC 7208 §5). False on anything else. */
bool spf_ip_parse(slice text, struct spf_ip *out);

struct spf_request {
    struct spf_ip ip;
    slice mailfrom;  /* the reverse-path address without <>, may be empty */
    slice helo;      /* HELO/EHLO name */
    slice receiver;  /* %{r}; "unknown" if empty */
    int64_t now;     /* %{t} */
};

struct spf_result {
    enum auth_verdict result; /* AV_NONE, NEUTRAL, PASS, FAIL, SOFTFAIL, TEMPERROR, PERMERROR */
    slice domain;             /* the domain checked (MAIL FROM domain, or HELO) */
    slice mechanism;          /* the term that matched, as written, or SLICE_NULL */
    slice explanation;        /* for fail: exp= expanded, or SLICE_NULL */
    const char *reason;       /* static text for permerror/temperror (and none), or NULL */
    slice reason_where;       /* the term or domain where the error arose, or SLICE_NULL */
    unsigned lookups;         /* DNS-querying terms used */
    unsigned void_lookups;
    bool pending;             /* a lookup is in flight: run again later */
};

/* spf_check_host evaluates check_host(ip, domain, sender) (RFC 7208 §4) for the MAIL FROM
 * identity: sender = mailfrom, or postmaster@helo when mailfrom is empty (§2.4). */
void spf_check_mailfrom(struct arena *a, struct dns_resolver *r, const struct spf_request *req,
                        struct spf_result *out);
/* spf_check_helo evaluates the HELO identity (§2.3): sender = postmaster@helo. */
void spf_check_helo(struct arena *a, struct dns_resolver *r, const struct spf_request *req,
                    struct spf_result *out);
/* spf_check_host is the general form: domain and sender given explicitly. */
void spf_check_host(struct arena *a, struct dns_resolver *r, const struct spf_request *req,
                    slice domain, slice sender, struct spf_result *out);

#endif
