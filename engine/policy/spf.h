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

#include "engine/core/limits.h"

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
    unsigned uses;            /* SPF_USES_*: request parts beyond (ip, domain) the result used */
};

/* What an evaluation depended on besides the client address and the domain: the macros
 * it expanded (RFC 7208 §7). A result may be reused for another request with the same
 * address and domain when these parts are equal too (see spfcache.h). */
#define SPF_USES_LOCAL 1u /* %{s} or %{l}: the MAIL FROM local-part */
#define SPF_USES_HELO 2u  /* %{h} */
#define SPF_USES_TIME 4u  /* %{t}: never reusable */

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

/* ---------------------------------------------------------------------------------------
 * Internals shared by spf.c, spf_macro.c and the unit tests (tests/engine/policy/test_spf.c).
 * Amendment: the macro expander (§7) is its own file and is unit-tested directly, so the
 * evaluation context and the few functions both files use are declared here rather than in
 * a second header. Nothing below is meant for callers outside the SPF module. */

#define SPF_MAX_LOOKUPS LIM_SPF_LOOKUPS
#define SPF_MAX_VOID LIM_SPF_VOID_LOOKUPS
#define SPF_MAX_MX LIM_SPF_MX_NAMES
#define SPF_MAX_PTR LIM_SPF_PTR_NAMES
#define SPF_MAX_DEPTH LIM_SPF_DEPTH
#define SPF_EXPAND_MAX LIM_SPF_EXPAND_BYTES
enum spf_mech {
    SPF_M_ALL,
    SPF_M_INCLUDE,
    SPF_M_A,
    SPF_M_MX,
    SPF_M_PTR,
    SPF_M_IP4,
    SPF_M_IP6,
    SPF_M_EXISTS,
    SPF_M__COUNT
};

/* One directive as parsed (RFC 7208 §4.6.1). */
struct spf_term {
    slice text;              /* the term as written */
    enum spf_mech mech;
    enum auth_verdict qual;  /* AV_PASS, AV_FAIL, AV_SOFTFAIL, AV_NEUTRAL */
    slice arg;               /* domain-spec (unexpanded) or address text */
    bool has_arg;
    unsigned cidr4, cidr6;
    uint8_t net_family;      /* ip4/ip6: 4 or 6 */
    uint8_t net[16];
};

struct spf_record {
    struct spf_term *terms;
    size_t n_terms;
    slice redirect, exp;           /* modifier values (unexpanded) */
    slice redirect_term, exp_term; /* the whole terms; ptr == NULL when absent */
};

/* What one record evaluation sees: %{d}, %{s}, %{l}, %{o}. */
struct spf_scope {
    slice domain;
    slice sender;
    slice local;
    slice sender_domain;
    unsigned depth;
    bool in_include;
};

struct spf_names {
    slice name[SPF_MAX_PTR];
    size_t n;     /* validated names */
    size_t n_ptr; /* PTR records in the answer (0: a void answer) */
};

struct spf_ctx {
    struct arena *a;
    struct dns_resolver *r;
    const struct spf_request *req;
    struct spf_result *out;
    unsigned lookups, voids;
    enum auth_verdict err; /* AV_NONE until the first error */
    bool pending;
    bool quiet;            /* evaluating exp=: errors are not recorded */
    bool ptr_done;         /* validated names of the client address are cached */
    struct spf_names ptr;
};

enum spf_q { Q_DATA, Q_EMPTY, Q_STOP };
#define SPF_Q_VOID 1u       /* a void answer counts against the void limit */
#define SPF_Q_TEMP_EMPTY 2u /* a temporary error is taken as no answer */

enum spf_expand_mode { SPF_EXPAND_DOMAIN, SPF_EXPAND_EXP };

void spf_ctx_init(struct spf_ctx *c, struct arena *a, struct dns_resolver *r,
                  const struct spf_request *req, struct spf_result *out);
void spf_abort(struct spf_ctx *c, enum auth_verdict v, const char *reason, slice where);
bool spf_stopped(const struct spf_ctx *c);
bool spf_count_term(struct spf_ctx *c, slice where);
/* spf_count_void counts one void answer (§4.6.4: at most 2); false (permerror) past it. */
bool spf_count_void(struct spf_ctx *c, slice where);
enum spf_q spf_query(struct spf_ctx *c, slice name, uint16_t qtype, unsigned flags, slice where,
                     const struct dns_answer **out);
/* spf_record_parse parses a selected record ("v=spf1 ..."). False on a syntax error, with
 * *why (static text) and *where (the term). */
bool spf_record_parse(struct arena *a, slice text, struct spf_record *rec, const char **why,
                      slice *where);
/* spf_cidr_match compares the first bits bits of ip with net (same family assumed). */
bool spf_cidr_match(const struct spf_ip *ip, const uint8_t *net, unsigned bits);
bool spf_name_under(slice name, slice domain);

/* spf_macro.c. */
/* spf_macro_string_ok checks RFC 7208 §7.1 macro-string syntax (explain-string with exp). */
bool spf_macro_string_ok(slice s, bool exp);
/* spf_domain_spec_ok: macro-string followed by domain-end (§7.1, §4.8). */
bool spf_domain_spec_ok(slice s);
/* spf_expand expands s (§7.3). False on an error (no error is recorded) or when stopped. */
bool spf_expand(struct spf_ctx *c, const struct spf_scope *sc, slice s,
                enum spf_expand_mode mode, slice *out);
/* spf_expand_domain expands a domain-spec to a name to query: trailing dot dropped, cut to
 * 253 bytes from the left (§7.3). False (permerror recorded at where) on an error. */
bool spf_expand_domain(struct spf_ctx *c, const struct spf_scope *sc, slice spec, slice where,
                       slice *out);
/* spf_validated_names: the client address's validated PTR names (§5.5), cached in c. With
 * count_void a void PTR answer counts against the void limit (again on each call). False
 * only when the evaluation stopped (pending or a limit). */
bool spf_validated_names(struct spf_ctx *c, slice where, bool count_void, struct spf_names *out);

#endif
