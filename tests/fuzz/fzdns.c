/* fzdns: see fzdns.h. */
#include "tests/fuzz/fzdns.h"

#include <stdlib.h>
#include <string.h>

struct fz_answer {
    struct dns_answer ans;
    struct dns_rr rr[16];
    uint8_t qname[256];
    uint8_t data[];
};

static struct fz_answer *answer_new(slice qname, uint16_t qtype, enum dns_status st,
                                    size_t data_cap)
{
    struct fz_answer *a = calloc(1, sizeof(*a) + data_cap);
    if (a == NULL) {
        abort();
    }
    size_t n = qname.len < sizeof(a->qname) ? qname.len : sizeof(a->qname);
    if (n > 0) {
        memcpy(a->qname, qname.ptr, n);
    }
    a->ans.status = st;
    a->ans.qtype = qtype;
    a->ans.ttl = 300;
    a->ans.qname = slice_make(a->qname, n);
    a->ans.owner = a->ans.qname;
    a->ans.rr = a->rr;
    return a;
}

static void add_rr(struct fz_answer *a, uint16_t type, const uint8_t *rdata, size_t len)
{
    if (a->ans.n_rr >= sizeof(a->rr) / sizeof(a->rr[0])) {
        return;
    }
    a->rr[a->ans.n_rr] = (struct dns_rr){ .type = type, .rdlen = (uint16_t)len, .ttl = 300,
                                          .rdata = rdata };
    a->ans.n_rr++;
}

/* wire_name writes text name (dot-separated, no empty labels) in uncompressed wire form. */
static size_t wire_name(uint8_t *out, const char *text)
{
    size_t o = 0;
    const char *p = text;
    while (*p) {
        const char *dot = strchr(p, '.');
        size_t l = dot ? (size_t)(dot - p) : strlen(p);
        out[o++] = (uint8_t)l;
        memcpy(out + o, p, l);
        o += l;
        p += l + (dot ? 1 : 0);
    }
    out[o++] = 0;
    return o;
}

static enum dns_status label_status(slice canon)
{
    if (canon.len >= 2) {
        char c0 = (char)canon.ptr[0], c1 = (char)canon.ptr[1];
        if (c0 == 'n' && c1 == 'x') {
            return DNS_NXDOMAIN;
        }
        if (c0 == 't' && c1 == 'o') {
            return DNS_TIMEOUT;
        }
        if (c0 == 's' && c1 == 'f') {
            return DNS_SERVFAIL;
        }
        if (c0 == 'n' && c1 == 'd') {
            return DNS_NODATA;
        }
    }
    return DNS_OK;
}

static struct fz_answer *txt_answer(struct fzdns *f, slice canon, uint16_t qtype)
{
    if (f->n_lines == 0) {
        return answer_new(canon, qtype, DNS_NXDOMAIN, 0);
    }
    slice line = f->lines[f->txt_queries++ % f->n_lines];
    static const struct {
        const char *text;
        enum dns_status st;
    } special[] = {
        { "!nx", DNS_NXDOMAIN }, { "!to", DNS_TIMEOUT }, { "!sf", DNS_SERVFAIL },
        { "!nd", DNS_NODATA },
    };
    for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++) {
        if (slice_eq(line, slice_make(special[i].text, 3))) {
            return answer_new(canon, qtype, special[i].st, 0);
        }
    }
    /* Each record and each 255 bytes of text cost one length byte: 2*len bounds it. */
    struct fz_answer *a = answer_new(canon, qtype, DNS_OK, 2 * line.len + 32);
    uint8_t *w = a->data;
    slice rest = line;
    for (;;) {
        slice rec;
        bool more = slice_take_until(&rest, 0x1e, &rec);
        if (!more) {
            rec = rest;
        }
        uint8_t *start = w;
        size_t off = 0;
        do {
            size_t n = rec.len - off > 255 ? 255 : rec.len - off;
            *w++ = (uint8_t)n;
            if (n > 0) {
                memcpy(w, rec.ptr + off, n);
            }
            w += n;
            off += n;
        } while (off < rec.len);
        if ((size_t)(w - start) <= 65535) {
            add_rr(a, qtype, start, (size_t)(w - start));
        }
        if (!more) {
            break;
        }
    }
    return a;
}

static struct fz_answer *other_answer(slice canon, uint16_t qtype)
{
    enum dns_status st = label_status(canon);
    if (st != DNS_OK) {
        return answer_new(canon, qtype, st, 0);
    }
    struct fz_answer *a = answer_new(canon, qtype, DNS_OK, 1024);
    uint8_t *w = a->data;
    switch (qtype) {
    case DNS_T_A: {
        static const uint8_t v4[2][4] = { { 192, 0, 2, 1 }, { 198, 51, 100, 7 } };
        add_rr(a, qtype, v4[0], 4);
        add_rr(a, qtype, v4[1], 4);
        break;
    }
    case DNS_T_AAAA: {
        static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
                                        0,    0,    0,    0,    0, 0, 0, 1 };
        add_rr(a, qtype, v6, 16);
        break;
    }
    case DNS_T_MX: {
        bool many = canon.len >= 2 && canon.ptr[0] == 'm' && canon.ptr[1] == 'm';
        static const char *const names[] = { "mx1.example.net", "nxmx.example.net",
                                             "mx2.example.com", "tomx.example.com" };
        for (unsigned i = 0; i < (many ? 12u : 2u); i++) {
            uint8_t *start = w;
            *w++ = 0;
            *w++ = (uint8_t)(10 + i);
            w += wire_name(w, names[i % 4]);
            add_rr(a, qtype, start, (size_t)(w - start));
        }
        break;
    }
    case DNS_T_PTR: {
        uint8_t *start = w;
        w += wire_name(w, "mail.example.com");
        add_rr(a, qtype, start, (size_t)(w - start));
        start = w;
        w += wire_name(w, "nxptr.example.org");
        add_rr(a, qtype, start, (size_t)(w - start));
        break;
    }
    default:
        a->ans.status = DNS_NODATA;
        break;
    }
    return a;
}

static enum dns_status fz_lookup(struct dns_resolver *r, slice name, uint16_t qtype,
                                 const struct dns_answer **out)
{
    struct fzdns *f = (struct fzdns *)r;
    char buf[256];
    size_t len;
    if (!dns_name_canon(name, buf, &len)) {
        return DNS_BADNAME;
    }
    f->lookups++;
    slice canon = slice_make(buf, len);
    struct fz_answer *a = (qtype == DNS_T_TXT || qtype == DNS_T_SPF)
                              ? txt_answer(f, canon, qtype)
                              : other_answer(canon, qtype);
    if (a->ans.status == DNS_OK && a->ans.n_rr == 0) {
        a->ans.status = DNS_NODATA;
    }
    *out = &a->ans;
    return a->ans.status;
}

static void fz_release(struct dns_resolver *r, const struct dns_answer *ans)
{
    (void)r;
    free((void *)ans); /* ans is the first member of struct fz_answer */
}

static void fz_free(struct dns_resolver *r)
{
    (void)r;
}

static const struct dns_resolver_ops fz_ops = { "fuzz", fz_lookup, fz_release, fz_free, NULL, false };

void fzdns_init(struct fzdns *f, const slice *lines, size_t n)
{
    memset(f, 0, sizeof(*f));
    f->base.ops = &fz_ops;
    f->lines = lines;
    f->n_lines = n;
}

size_t fzdns_split_lines(slice s, slice *out, size_t max)
{
    size_t n = 0;
    while (s.len > 0 && n + 1 < max) {
        slice line;
        if (!slice_take_until(&s, '\n', &line)) {
            break;
        }
        out[n++] = line;
    }
    if (s.len > 0 && n < max) {
        out[n++] = s;
    }
    return n;
}
