/* live: DNS from the network through getdns (dns/getdns.c, the only file that includes
 * getdns), as a backend of the shared cache (dns/cache.h).
 *
 * One dedicated thread owns the getdns context and its event loop (getdns contexts are not
 * thread-safe). The cache's submit hands it a query through a mutex-protected queue and an
 * eventfd wake-up and returns at once, so worker threads never block on the network; up to
 * max_inflight queries are outstanding in getdns, the rest wait in the queue. Each query gets
 * timeout_ms per attempt and `retries` more attempts after a timeout; then it completes as
 * DNS_TIMEOUT. SERVFAIL, REFUSED and other server errors complete as DNS_SERVFAIL. UDP
 * answers are EDNS0 sized, and a truncated answer is asked again over TCP.
 *
 * Replies are parsed by dnslive_parse_reply, a bounded parser over the untrusted wire bytes:
 * names decompressed with only backward pointers, CNAMEs followed from the qname (at most
 * LIM_DNS_CNAME_CHAIN hops), records of other owners ignored. */
#ifndef AUTHSWEEP_DNS_LIVE_H
#define AUTHSWEEP_DNS_LIVE_H

#include "engine/core/limits.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/cache.h"
#include "dns/dns.h"

#define DNSLIVE_MAX_SERVERS LIM_DNS_SERVERS
#define DNSLIVE_TIMEOUT_MS_DEFAULT 2000u
#define DNSLIVE_RETRIES_DEFAULT 2u
#define DNSLIVE_MAX_INFLIGHT LIM_DNS_INFLIGHT
struct dnslive_server {
    uint8_t family; /* 4 or 6 */
    uint8_t addr[16];
    uint16_t port;  /* 53 unless given */
};

struct dnslive_config {
    bool recursive;            /* full recursion (getdns with libunbound) instead of stub */
    size_t n_servers;          /* stub: 0 = the servers of /etc/resolv.conf */
    struct dnslive_server servers[DNSLIVE_MAX_SERVERS];
    unsigned timeout_ms;       /* per attempt; 0: default */
    unsigned retries;          /* further attempts after a timeout */
    uint16_t edns_size;        /* EDNS0 UDP payload size; 0: getdns's default (1232) */
    unsigned max_inflight;     /* 0: DNSLIVE_MAX_INFLIGHT */
};

/* dnslive_server_parse reads "ADDR" or "ADDR#PORT" (IPv4 or IPv6). False if malformed. */
bool dnslive_server_parse(const char *text, struct dnslive_server *out);
/* dnslive_server_text writes "ADDR#PORT" into buf (>= 64 bytes). */
const char *dnslive_server_text(const struct dnslive_server *s, char buf[64]);

/* dnslive_new makes the backend and starts its thread. NULL with a message in err if getdns
 * cannot be set up. Pass the result to dnscache_new, which owns it from then on. */
struct dnscache_backend *dnslive_new(const struct dnslive_config *cfg, char *err,
                                     size_t err_len);
/* dnslive_describe writes where the backend asks ("stub to 127.0.0.1#53", "recursive"). */
void dnslive_describe(struct dnscache_backend *b, char *buf, size_t len);
/* dnslive_sent: queries handed to getdns so far (retries included), and how many timed out
 * and were retried. */
void dnslive_counts(struct dnscache_backend *b, uint64_t *out_sent, uint64_t *out_retried);

/* dnslive_parse_reply turns the wire reply to (qname, qtype) into an answer (one reference,
 * the caller's). qname is canonical text (dns_name_canon). A reply that does not parse, that
 * is truncated, whose question differs, or whose records of qtype are malformed gives a
 * DNS_SERVFAIL answer; never NULL. */
struct dnscache_answer *dnslive_parse_reply(slice wire, slice qname, uint16_t qtype);

/* dns_lookup_sync (dns/dns.c) loops lookup -> DNS_PENDING -> wait until the answer is there,
 * for one-shot use (the spf command, tests). After timeout_ms in total it gives DNS_TIMEOUT
 * with *out NULL. Otherwise as dns_lookup: *out set unless DNS_BADNAME; release it. */
enum dns_status dns_lookup_sync(struct dns_resolver *r, slice name, uint16_t qtype,
                                const struct dns_answer **out, int timeout_ms);

#endif
