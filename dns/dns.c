/* dns.c: resolver-independent helpers of dns.h: status and type names, name
 * canonicalisation, and readers for wire-form rdata. */
#include "dns/dns.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "dns/live.h"
#include "engine/core/limits.h"

static const char *const dns_status_names[DNS__STATUS_COUNT] = {
    [DNS_OK] = "ok",
    [DNS_NODATA] = "nodata",
    [DNS_NXDOMAIN] = "nxdomain",
    [DNS_TIMEOUT] = "timeout",
    [DNS_SERVFAIL] = "servfail",
    [DNS_BADNAME] = "badname",
    [DNS_PENDING] = "pending",
};

const char *dns_status_name(enum dns_status s)
{
    if ((unsigned)s >= DNS__STATUS_COUNT || dns_status_names[s] == NULL) {
        return "unknown";
    }
    return dns_status_names[s];
}

struct dns_type_entry {
    slice name;
    uint16_t type;
};

/* IANA "Resource Record (RR) TYPEs" registry: the common mnemonics. */
static const struct dns_type_entry dns_types[] = {
    { SLICE_INIT("A"), 1 },         { SLICE_INIT("NS"), 2 },        { SLICE_INIT("MD"), 3 },
    { SLICE_INIT("MF"), 4 },        { SLICE_INIT("CNAME"), 5 },     { SLICE_INIT("SOA"), 6 },
    { SLICE_INIT("MB"), 7 },        { SLICE_INIT("MG"), 8 },        { SLICE_INIT("MR"), 9 },
    { SLICE_INIT("NULL"), 10 },     { SLICE_INIT("WKS"), 11 },      { SLICE_INIT("PTR"), 12 },
    { SLICE_INIT("HINFO"), 13 },    { SLICE_INIT("MINFO"), 14 },    { SLICE_INIT("MX"), 15 },
    { SLICE_INIT("TXT"), 16 },      { SLICE_INIT("RP"), 17 },       { SLICE_INIT("AFSDB"), 18 },
    { SLICE_INIT("SIG"), 24 },      { SLICE_INIT("KEY"), 25 },      { SLICE_INIT("AAAA"), 28 },
    { SLICE_INIT("LOC"), 29 },      { SLICE_INIT("SRV"), 33 },      { SLICE_INIT("NAPTR"), 35 },
    { SLICE_INIT("KX"), 36 },       { SLICE_INIT("CERT"), 37 },     { SLICE_INIT("DNAME"), 39 },
    { SLICE_INIT("OPT"), 41 },      { SLICE_INIT("APL"), 42 },      { SLICE_INIT("DS"), 43 },
    { SLICE_INIT("SSHFP"), 44 },    { SLICE_INIT("IPSECKEY"), 45 }, { SLICE_INIT("RRSIG"), 46 },
    { SLICE_INIT("NSEC"), 47 },     { SLICE_INIT("DNSKEY"), 48 },   { SLICE_INIT("DHCID"), 49 },
    { SLICE_INIT("NSEC3"), 50 },    { SLICE_INIT("NSEC3PARAM"), 51 }, { SLICE_INIT("TLSA"), 52 },
    { SLICE_INIT("SMIMEA"), 53 },   { SLICE_INIT("HIP"), 55 },      { SLICE_INIT("CDS"), 59 },
    { SLICE_INIT("CDNSKEY"), 60 },  { SLICE_INIT("OPENPGPKEY"), 61 }, { SLICE_INIT("CSYNC"), 62 },
    { SLICE_INIT("ZONEMD"), 63 },   { SLICE_INIT("SVCB"), 64 },     { SLICE_INIT("HTTPS"), 65 },
    { SLICE_INIT("SPF"), 99 },      { SLICE_INIT("EUI48"), 108 },   { SLICE_INIT("EUI64"), 109 },
    { SLICE_INIT("TKEY"), 249 },    { SLICE_INIT("TSIG"), 250 },    { SLICE_INIT("IXFR"), 251 },
    { SLICE_INIT("AXFR"), 252 },    { SLICE_INIT("ANY"), 255 },     { SLICE_INIT("URI"), 256 },
    { SLICE_INIT("CAA"), 257 },
};
#define DNS_N_TYPES (sizeof(dns_types) / sizeof(dns_types[0]))

bool dns_type_from_name(slice s, uint16_t *out)
{
    for (size_t i = 0; i < DNS_N_TYPES; i++) {
        if (slice_eq_ci(s, dns_types[i].name)) {
            *out = dns_types[i].type;
            return true;
        }
    }
    /* RFC 3597 §5: "TYPE" immediately followed by the decimal type number. */
    slice prefix = SLICE_LIT("TYPE");
    uint64_t v;
    if (!slice_has_prefix_ci(s, prefix) || s.len > prefix.len + 5) {
        return false;
    }
    if (!slice_u64_all(slice_sub(s, prefix.len, s.len), &v) || v > UINT16_MAX) {
        return false;
    }
    *out = (uint16_t)v;
    return true;
}

const char *dns_type_name(uint16_t type, char buf[16])
{
    for (size_t i = 0; i < DNS_N_TYPES; i++) {
        if (dns_types[i].type == type) {
            memcpy(buf, dns_types[i].name.ptr, dns_types[i].name.len);
            buf[dns_types[i].name.len] = '\0';
            return buf;
        }
    }
    snprintf(buf, 16, "TYPE%u", (unsigned)type);
    return buf;
}

bool dns_txt_join(const struct dns_rr *rr, struct arena *a, slice *out)
{
    /* RFC 1035 §3.3.14: TXT-DATA is one or more <character-string>s, each a length byte
     * followed by that many bytes. */
    slice in = slice_make(rr->rdata, rr->rdlen);
    size_t total = 0;
    if (rr->rdata == NULL || in.len == 0) {
        return false;
    }
    while (in.len > 0) {
        size_t n = in.ptr[0];
        if (n + 1 > in.len) {
            return false;
        }
        total += n;
        (void)slice_skip(&in, n + 1);
    }
    uint8_t *buf = arena_alloc(a, total + 1);
    size_t at = 0;
    in = slice_make(rr->rdata, rr->rdlen);
    while (in.len > 0) {
        size_t n = in.ptr[0];
        memcpy(buf + at, in.ptr + 1, n);
        at += n;
        (void)slice_skip(&in, n + 1);
    }
    buf[total] = '\0';
    *out = slice_make(buf, total);
    return true;
}

bool dns_rdata_name(const struct dns_rr *rr, size_t off, struct arena *a, slice *out)
{
    /* RFC 1035 §3.1: labels, each a length octet and bytes, ending in the zero-length root
     * label. Our rdata is never compressed, so a pointer (top bits set) is malformed. A label
     * holding '.' or NUL cannot be written in the text form dns.h uses, so it is refused. */
    char buf[LIM_DNS_NAME_BYTES];
    size_t len = 0, wire = 0;
    if (rr->rdata == NULL || off >= rr->rdlen) {
        return false;
    }
    slice in = slice_make(rr->rdata + off, rr->rdlen - off);
    for (;;) {
        if (in.len == 0) {
            return false;
        }
        size_t n = in.ptr[0];
        if (n > LIM_DNS_LABEL_BYTES || n + 1 > in.len) {
            return false;
        }
        wire += n + 1;
        if (wire > LIM_DNS_NAME_BYTES) {
            return false;
        }
        if (n == 0) {
            break;
        }
        if (len > 0) {
            buf[len++] = '.';
        }
        for (size_t i = 1; i <= n; i++) {
            uint8_t c = in.ptr[i];
            if (c == '.' || c == 0) {
                return false;
            }
            buf[len++] = (char)slice_lower(c);
        }
        (void)slice_skip(&in, n + 1);
    }
    *out = arena_dup(a, slice_make(buf, len));
    return true;
}

bool dns_name_canon(slice name, char buf[256], size_t *out_len)
{
    /* RFC 1035 §2.3.4: labels of 1..63 bytes, at most 255 bytes in wire form, which is 253
     * bytes of text without the trailing dot. "." alone is the root; "" is not a name. */
    if (name.len == 0) {
        return false;
    }
    if (name.ptr[name.len - 1] == '.') {
        name.len--;
    }
    if (name.len > LIM_DNS_NAME_BYTES - 2) {
        return false;
    }
    size_t label = 0;
    for (size_t i = 0; i < name.len; i++) {
        uint8_t c = name.ptr[i];
        if (c == 0) {
            return false;
        }
        if (c == '.') {
            if (label == 0) {
                return false;
            }
            label = 0;
        } else if (++label > LIM_DNS_LABEL_BYTES) {
            return false;
        }
        buf[i] = (char)slice_lower(c);
    }
    if (name.len > 0 && label == 0) {
        return false; /* "a.." */
    }
    buf[name.len] = '\0';
    *out_len = name.len;
    return true;
}

static int64_t dns_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum dns_status dns_lookup_sync(struct dns_resolver *r, slice name, uint16_t qtype,
                                const struct dns_answer **out, int timeout_ms)
{
    int64_t deadline = dns_now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    for (;;) {
        enum dns_status st = dns_lookup(r, name, qtype, out);
        if (st != DNS_PENDING) {
            return st;
        }
        int64_t left = deadline - dns_now_ms();
        if (left <= 0 || r->ops->wait == NULL) {
            *out = NULL;
            return DNS_TIMEOUT;
        }
        /* Any completion wakes us; the loop asks again and coalesces if still in flight. */
        (void)dns_wait(r, left > INT32_MAX ? INT32_MAX : (int)left);
    }
}
