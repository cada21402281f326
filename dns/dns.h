/* dns.h: the one resolver interface every check goes through.
 *
 * A resolver answers (name, type) with an immutable struct dns_answer. Answers are owned by
 * the resolver: a caller holds one from dns_lookup until dns_release, and must not modify
 * it. Implementations: dns/snapshot.c (a zone file, closed world: the core issue), and later
 * the live getdns resolver behind the shared cache.
 *
 * Names are given as text ("sel._domainkey.example.com", a trailing dot allowed); matching
 * is ASCII case-insensitive. A name that cannot be a DNS name (empty label, label over 63
 * bytes, name over 253 bytes, a NUL) gives DNS_BADNAME without any query.
 *
 * Asynchronous resolvers may answer DNS_PENDING: the query has been sent, nothing is held,
 * and the caller should give up on this message for now and run the check again later
 * (checks are pure functions of the message and the answers, so a re-run is safe). The
 * pipeline does this; a synchronous resolver (the snapshot) never returns DNS_PENDING.
 *
 * Rdata is kept in RFC 1035 wire form with names uncompressed: A = 4 bytes, AAAA = 16, TXT =
 * length-prefixed strings, MX = 16-bit preference + name, PTR/CNAME/NS = name. Helpers
 * below turn them into what checks use. */
#ifndef AUTHSWEEP_DNS_H
#define AUTHSWEEP_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/core/arena.h"
#include "engine/core/slice.h"

enum dns_type {
    DNS_T_A = 1,
    DNS_T_NS = 2,
    DNS_T_CNAME = 5,
    DNS_T_SOA = 6,
    DNS_T_PTR = 12,
    DNS_T_MX = 15,
    DNS_T_TXT = 16,
    DNS_T_AAAA = 28,
    DNS_T_SPF = 99,
    DNS_T_ANY = 255,
};

enum dns_status {
    DNS_OK = 0,      /* one or more records of the asked type (after following CNAMEs) */
    DNS_NODATA,      /* the name exists but has no records of that type */
    DNS_NXDOMAIN,    /* the name does not exist */
    DNS_TIMEOUT,     /* no answer in time: a temporary error */
    DNS_SERVFAIL,    /* server failure or other temporary error */
    DNS_BADNAME,     /* the name is not a valid DNS name: no query was made */
    DNS_PENDING,     /* asynchronous: asked, come back later */
    DNS__STATUS_COUNT
};

struct dns_rr {
    uint16_t type;
    uint16_t rdlen;
    uint32_t ttl;
    const uint8_t *rdata;
};

struct dns_answer {
    enum dns_status status;
    uint16_t qtype;
    uint32_t ttl;        /* positive: min TTL of the records; negative: the negative TTL */
    slice qname;         /* as asked, lower case, no trailing dot */
    slice owner;         /* after CNAMEs: the name that held the records */
    uint32_t n_cname;    /* CNAME hops followed */
    size_t n_rr;
    const struct dns_rr *rr; /* only records of type qtype */
};

struct dns_resolver;

struct dns_resolver_ops {
    const char *name;
    /* lookup: on any status other than DNS_PENDING and DNS_BADNAME, *out is set to an answer
     * the caller must release. */
    enum dns_status (*lookup)(struct dns_resolver *r, slice name, uint16_t qtype,
                              const struct dns_answer **out);
    void (*release)(struct dns_resolver *r, const struct dns_answer *a);
    void (*free)(struct dns_resolver *r);
    /* wait (optional; NULL for synchronous resolvers): block until at least one query that
     * answered DNS_PENDING has completed, or timeout_ms has passed. Returns the number of
     * queries completed since the last call (0 on timeout). Thread-safe. */
    int (*wait)(struct dns_resolver *r, int timeout_ms);
    /* immutable: every lookup of a name gives the same answer for the whole run (a
     * snapshot), so callers may remember what they derived from it. */
    bool immutable;
};

/* Implementations embed this as their first member. */
struct dns_resolver {
    const struct dns_resolver_ops *ops;
};

static inline enum dns_status dns_lookup(struct dns_resolver *r, slice name, uint16_t qtype,
                                         const struct dns_answer **out)
{
    *out = NULL;
    return r->ops->lookup(r, name, qtype, out);
}
static inline void dns_release(struct dns_resolver *r, const struct dns_answer *a)
{
    if (a != NULL) {
        r->ops->release(r, a);
    }
}
static inline int dns_wait(struct dns_resolver *r, int timeout_ms)
{
    return r->ops->wait ? r->ops->wait(r, timeout_ms) : 0;
}
static inline void dns_resolver_free(struct dns_resolver *r)
{
    if (r != NULL) {
        r->ops->free(r);
    }
}

const char *dns_status_name(enum dns_status s);
static inline bool dns_status_is_temp(enum dns_status s)
{
    return s == DNS_TIMEOUT || s == DNS_SERVFAIL;
}

/* dns_type_from_name parses a type mnemonic ("TXT", "aaaa") or "TYPEnnn". */
bool dns_type_from_name(slice s, uint16_t *out);
/* dns_type_name writes the mnemonic (or "TYPEnnn") into buf (>= 16 bytes) and returns it. */
const char *dns_type_name(uint16_t type, char buf[16]);

/* dns_txt_join concatenates the character-strings of one TXT rdata into arena memory.
 * False if the rdata is malformed. */
bool dns_txt_join(const struct dns_rr *rr, struct arena *a, slice *out);
/* dns_rdata_name reads the uncompressed wire name at rdata+off as text (lower case, no
 * trailing dot, "" for the root) into arena memory. False if malformed. */
bool dns_rdata_name(const struct dns_rr *rr, size_t off, struct arena *a, slice *out);
/* dns_name_check validates a text name (trailing dot allowed) as dns.h describes and
 * writes its canonical form (lower case, no trailing dot) into buf (>= 256 bytes). */
bool dns_name_canon(slice name, char buf[256], size_t *out_len);

#endif
