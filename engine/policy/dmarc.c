/* dmarc: RFC 9989 (and RFC 7489) DMARC evaluation. Design in dmarc.h.
 *
 * Cache and lock protocol: one engine/core/shmap (SHMAP_SHARDS mutex-protected shards, chosen
 * by the key's hash) holds three kinds of entries, keyed by a kind byte + the lower-case name:
 *   'N' name:  the parsed answer for _dmarc.<name>: no record, one record, several
 *   'W' walk:  an RFC 9989 tree walk from <name>: its Organizational Domain and the record
 *              policy discovery selects (a pointer to an 'N' entry)
 *   'P' PSL:   RFC 7489 policy discovery for <name>: PSL Organizational Domain + record
 * A lookup holds one shard lock only to search or link (inside shmap); DNS queries and
 * parsing happen outside any lock, so two threads may build the same entry: the first
 * insert wins and the loser's copy is freed. Entries are one heap block each, immutable once
 * stored, freed by dmarc_ctx_free: pointers into them need no reference count. When the map
 * is full the block is tied to the message arena instead (arena_defer), which stays correct
 * because a map that is full stays full (nothing is evicted), so a stored 'W'/'P' entry only
 * ever points at stored 'N' entries. DNS_TIMEOUT/SERVFAIL outcomes are never stored: a live
 * resolver may succeed on the next message. */
#include "engine/policy/dmarc.h"

#include "engine/core/counter.h"

#include <stdatomic.h>
#include <string.h>

#include "engine/core/json.h"
#include "engine/core/shmap.h"
#include "engine/header/tagval.h"
#include "engine/policy/orgdomain.h"

#define DMARC_CACHE_MAX_ENTRIES 1000000u

/* ---- names ------------------------------------------------------------------------------ */

const char *dmarc_reason_name(enum dmarc_reason r)
{
    static const char *const names[DMARC_R__COUNT] = {
        [DMARC_R_NONE] = NULL,
        [DMARC_R_NO_AUTHOR_DOMAIN] = "no_author_domain",
        [DMARC_R_BAD_AUTHOR_DOMAIN] = "bad_author_domain",
        [DMARC_R_NO_POLICY] = "no_policy",
        [DMARC_R_MULTIPLE_RECORDS] = "multiple_records",
        [DMARC_R_INVALID_POLICY] = "invalid_policy",
        [DMARC_R_NO_ALIGNED_PASS] = "no_aligned_pass",
        [DMARC_R_DNS_TEMPERROR] = "dns_temperror",
        [DMARC_R_AUTH_TEMPERROR] = "auth_temperror",
    };
    return (unsigned)r < DMARC_R__COUNT ? names[r] : NULL;
}

const char *dmarc_class_name(enum dmarc_class c)
{
    switch (c) {
    case DMARC_C_AUTHENTICATED:
        return "authenticated";
    case DMARC_C_SPOOFED:
        return "spoofed";
    case DMARC_C_SUSPICIOUS:
        return "suspicious";
    case DMARC_C_UNPROTECTED:
        return "unprotected";
    case DMARC_C_UNDETERMINED:
        return "undetermined";
    }
    return "?";
}

const char *dmarc_policy_name(enum dmarc_policy p)
{
    switch (p) {
    case DMARC_P_NONE:
        return "none";
    case DMARC_P_QUARANTINE:
        return "quarantine";
    case DMARC_P_REJECT:
        return "reject";
    case DMARC_P_UNSET:
    case DMARC_P_INVALID:
        return NULL;
    }
    return NULL;
}

const char *dmarc_policy_tag_name(enum dmarc_policy_tag t)
{
    switch (t) {
    case DMARC_TAG_P:
        return "p";
    case DMARC_TAG_SP:
        return "sp";
    case DMARC_TAG_NP:
        return "np";
    case DMARC_TAG_NONE:
        return NULL;
    }
    return NULL;
}

const char *dmarc_mode_name(enum dmarc_mode m)
{
    switch (m) {
    case DMARC_MODE_RFC9989:
        return "rfc9989";
    case DMARC_MODE_RFC7489:
        return "rfc7489";
    case DMARC_MODE_BOTH:
        return "both";
    }
    return "?";
}

const char *dmarc_note_name(unsigned bit_index)
{
    static const char *const names[DMARC_N__COUNT_BITS] = {
        "unknown_tag",      "tag_syntax",        "bad_value",    "duplicate_tag",
        "bad_uri",          "p_none_by_rua",     "pct_ignored",  "rf_ignored",
        "ri_ignored",       "pct_not_sampled",   "multiple_records", "existence_unknown",
        "no_psl_org",       "fo_without_ruf",    "spf_not_run",
    };
    return bit_index < DMARC_N__COUNT_BITS ? names[bit_index] : NULL;
}

/* ---- record parsing (§4.7, §4.8) ------------------------------------------------------- */

static bool parse_policy(slice v, enum dmarc_policy *out)
{
    /* RFC 5234: quoted strings in dmarc-request are case-insensitive. */
    if (slice_eq_ci(v, SLICE_LIT("none"))) {
        *out = DMARC_P_NONE;
    } else if (slice_eq_ci(v, SLICE_LIT("quarantine"))) {
        *out = DMARC_P_QUARANTINE;
    } else if (slice_eq_ci(v, SLICE_LIT("reject"))) {
        *out = DMARC_P_REJECT;
    } else {
        *out = DMARC_P_INVALID;
        return false;
    }
    return true;
}

static bool tag_p(struct arena *a, slice v, struct dmarc_record *r)
{
    (void)a;
    return parse_policy(v, &r->p);
}
static bool tag_sp(struct arena *a, slice v, struct dmarc_record *r)
{
    (void)a;
    return parse_policy(v, &r->sp);
}
static bool tag_np(struct arena *a, slice v, struct dmarc_record *r)
{
    (void)a;
    return parse_policy(v, &r->np);
}

static bool parse_rors(slice v, bool *strict)
{
    if (v.len == 1 && slice_lower(v.ptr[0]) == 'r') {
        *strict = false;
    } else if (v.len == 1 && slice_lower(v.ptr[0]) == 's') {
        *strict = true;
    } else {
        return false; /* default "r" stands */
    }
    return true;
}
static bool tag_adkim(struct arena *a, slice v, struct dmarc_record *r)
{
    (void)a;
    return parse_rors(v, &r->adkim_strict);
}
static bool tag_aspf(struct arena *a, slice v, struct dmarc_record *r)
{
    (void)a;
    return parse_rors(v, &r->aspf_strict);
}

static bool tag_t(struct arena *a, slice v, struct dmarc_record *r)
{
    (void)a;
    if (v.len == 1 && (slice_lower(v.ptr[0]) == 'y' || slice_lower(v.ptr[0]) == 'n')) {
        r->testing = slice_lower(v.ptr[0]) == 'y';
        return true;
    }
    return false;
}

static bool tag_psd(struct arena *a, slice v, struct dmarc_record *r)
{
    (void)a;
    uint8_t c = v.len == 1 ? slice_lower(v.ptr[0]) : 0;
    switch (c) {
    case 'y':
        r->psd = DMARC_PSD_Y;
        return true;
    case 'n':
        r->psd = DMARC_PSD_N;
        return true;
    case 'u':
        r->psd = DMARC_PSD_U;
        return true;
    default:
        return false;
    }
}

/* dmarc-fo: "0"/"1" exclusive, "d"/"s" at most once each, separated by ':'. */
static bool tag_fo(struct arena *a, slice v, struct dmarc_record *r)
{
    (void)a;
    unsigned fo = 0;
    slice rest = v, item;
    while (rest.len > 0) {
        if (!slice_take_until(&rest, ':', &item)) {
            item = rest;
            rest.len = 0;
        } else if (rest.len == 0) {
            return false; /* trailing ':' */
        }
        item = slice_trim_fws(item);
        unsigned bit = 0;
        if (item.len == 1) {
            switch (slice_lower(item.ptr[0])) {
            case '0':
                bit = DMARC_FO_0;
                break;
            case '1':
                bit = DMARC_FO_1;
                break;
            case 'd':
                bit = DMARC_FO_D;
                break;
            case 's':
                bit = DMARC_FO_S;
                break;
            default:
                break;
            }
        }
        if (bit == 0 || (fo & bit) != 0) {
            return false;
        }
        fo |= bit;
    }
    if (fo == 0 || (fo & (DMARC_FO_0 | DMARC_FO_1)) == (DMARC_FO_0 | DMARC_FO_1)) {
        return false;
    }
    r->fo = fo;
    return true;
}

static bool uri_byte_ok(uint8_t c)
{
    if (slice_is(c, CC_ALPHA | CC_DIGIT)) {
        return true;
    }
    switch (c) {
    /* RFC 3986 unreserved and reserved, less ',' and '!' (§4.8: must be encoded). */
    case '-': case '.': case '_': case '~': case ':': case '/': case '?': case '#':
    case '[': case ']': case '@': case '$': case '&': case '\'': case '(': case ')':
    case '*': case '+': case ';': case '=':
        return true;
    default:
        return false;
    }
}

/* uri_parse checks one dmarc-uri / obs-dmarc-uri (RFC 3986 URI: scheme ":" then URI bytes,
 * %HH escapes) and splits off the obsolete "!size" suffix. */
static bool uri_parse(slice s, struct dmarc_uri *out)
{
    out->max_size = 0;
    ptrdiff_t bang = -1;
    for (size_t i = 0; i < s.len; i++) {
        if (s.ptr[i] == '!') {
            bang = (ptrdiff_t)i;
        }
    }
    if (bang >= 0) {
        slice size = slice_make(s.ptr + bang + 1, s.len - (size_t)bang - 1);
        uint64_t mult = 1;
        if (size.len > 0) {
            switch (slice_lower(size.ptr[size.len - 1])) {
            case 'k': mult = 1ull << 10; size.len--; break;
            case 'm': mult = 1ull << 20; size.len--; break;
            case 'g': mult = 1ull << 30; size.len--; break;
            case 't': mult = 1ull << 40; size.len--; break;
            default: break;
            }
        }
        uint64_t n;
        if (!slice_u64_all(size, &n)) {
            return false;
        }
        out->max_size = n > UINT64_MAX / mult ? UINT64_MAX : n * mult;
        s.len = (size_t)bang;
    }
    size_t i = 0;
    if (s.len == 0 || !slice_is(s.ptr[0], CC_ALPHA)) {
        return false;
    }
    while (i < s.len && (slice_is(s.ptr[i], CC_ALPHA | CC_DIGIT) || s.ptr[i] == '+' ||
                         s.ptr[i] == '-' || s.ptr[i] == '.')) {
        i++;
    }
    if (i == s.len || s.ptr[i] != ':' || i + 1 == s.len) {
        return false;
    }
    for (i++; i < s.len; i++) {
        if (s.ptr[i] == '%') {
            if (i + 2 >= s.len || !slice_is(s.ptr[i + 1], CC_HEX) ||
                !slice_is(s.ptr[i + 2], CC_HEX)) {
                return false;
            }
            i += 2;
        } else if (!uri_byte_ok(s.ptr[i])) {
            return false;
        }
    }
    out->uri = s;
    return true;
}

/* dmarc-urilist: URIs separated by *WSP "," *WSP. Invalid URIs are dropped one by one. */
static bool parse_urilist(struct arena *a, slice v, const struct dmarc_uri **out, size_t *n_out)
{
    size_t cap = 1;
    for (size_t i = 0; i < v.len; i++) {
        cap += v.ptr[i] == ',';
    }
    struct dmarc_uri *u = ARENA_ARRAY(a, struct dmarc_uri, cap);
    size_t n = 0;
    bool all_ok = true;
    slice rest = v, item;
    while (rest.len > 0) {
        if (!slice_take_until(&rest, ',', &item)) {
            item = rest;
            rest.len = 0;
        }
        if (uri_parse(slice_trim_fws(item), &u[n])) {
            n++;
        } else {
            all_ok = false;
        }
    }
    *out = u;
    *n_out = n;
    return all_ok;
}

static bool tag_rua(struct arena *a, slice v, struct dmarc_record *r)
{
    return parse_urilist(a, v, &r->rua, &r->n_rua);
}
static bool tag_ruf(struct arena *a, slice v, struct dmarc_record *r)
{
    return parse_urilist(a, v, &r->ruf, &r->n_ruf);
}

static bool tag_pct(struct arena *a, slice v, struct dmarc_record *r)
{
    (void)a;
    uint64_t n;
    r->has_pct = true;
    if (!slice_u64_all(v, &n) || n > 100) {
        r->pct = 100; /* RFC 7489 §6.3: syntax errors fall back to the default */
        return false;
    }
    r->pct = (unsigned)n;
    return true;
}

static bool tag_rf(struct arena *a, slice v, struct dmarc_record *r)
{
    (void)a;
    r->has_rf = true;
    r->rf = v;
    return true;
}

static bool tag_ri(struct arena *a, slice v, struct dmarc_record *r)
{
    (void)a;
    uint64_t n;
    r->has_ri = true;
    if (!slice_u64_all(v, &n) || n > UINT32_MAX) {
        return false;
    }
    r->ri = (uint32_t)n;
    return true;
}

struct dmarc_tag_spec {
    slice name;
    bool (*parse)(struct arena *a, slice v, struct dmarc_record *r);
    unsigned bad_note; /* the note a bad value gives */
};

static const struct dmarc_tag_spec dmarc_tags[] = {
    { SLICE_INIT("p"), tag_p, DMARC_N_BAD_VALUE },
    { SLICE_INIT("sp"), tag_sp, DMARC_N_BAD_VALUE },
    { SLICE_INIT("np"), tag_np, DMARC_N_BAD_VALUE },
    { SLICE_INIT("psd"), tag_psd, DMARC_N_BAD_VALUE },
    { SLICE_INIT("t"), tag_t, DMARC_N_BAD_VALUE },
    { SLICE_INIT("adkim"), tag_adkim, DMARC_N_BAD_VALUE },
    { SLICE_INIT("aspf"), tag_aspf, DMARC_N_BAD_VALUE },
    { SLICE_INIT("rua"), tag_rua, DMARC_N_BAD_URI },
    { SLICE_INIT("ruf"), tag_ruf, DMARC_N_BAD_URI },
    { SLICE_INIT("fo"), tag_fo, DMARC_N_BAD_VALUE },
    { SLICE_INIT("pct"), tag_pct, DMARC_N_BAD_VALUE },
    { SLICE_INIT("rf"), tag_rf, DMARC_N_BAD_VALUE },
    { SLICE_INIT("ri"), tag_ri, DMARC_N_BAD_VALUE },
};
#define DMARC_N_TAGS (sizeof(dmarc_tags) / sizeof(dmarc_tags[0]))

static void record_tag(struct arena *a, struct dmarc_record *out, slice name, slice value,
                       unsigned *seen)
{
    for (size_t i = 0; i < DMARC_N_TAGS; i++) {
        if (!slice_eq_ci(name, dmarc_tags[i].name)) {
            continue;
        }
        if (*seen & (1u << i)) {
            out->notes |= DMARC_N_DUPLICATE_TAG;
            return;
        }
        *seen |= 1u << i;
        if (!dmarc_tags[i].parse(a, value, out)) {
            out->notes |= dmarc_tags[i].bad_note;
        }
        return;
    }
    out->notes |= DMARC_N_UNKNOWN_TAG;
}

bool dmarc_record_parse(struct arena *a, slice text, struct dmarc_record *out)
{
    memset(out, 0, sizeof(*out));
    out->text = text;
    out->pct = 100;
    out->ri = 86400;
    out->fo = DMARC_FO_0;
    bool first = true;
    unsigned seen = 0;
    slice rest = text, seg;
    while (rest.len > 0) {
        if (!slice_take_until(&rest, ';', &seg)) {
            seg = rest;
            rest.len = 0;
        }
        seg = slice_trim_fws(seg);
        struct tv_list l;
        slice bad;
        /* Each tag-spec goes through tagval alone, so one bad tag-spec is ignored (§4.8)
         * instead of sinking the whole record as it would a DKIM tag-list. */
        bool ok = seg.len > 0 && tv_parse(a, &l, seg, &bad) == TV_OK && l.n == 1;
        if (first) {
            /* §4.7 v: first, value "DMARC1" case-sensitive, else not a DMARC record. */
            if (!ok || !slice_eq_ci(l.v[0].name, SLICE_LIT("v")) ||
                !slice_eq(l.v[0].value, SLICE_LIT("DMARC1"))) {
                return false;
            }
            first = false;
            continue;
        }
        if (seg.len == 0) {
            continue; /* an empty tag-spec (";;" or a trailing ';') */
        }
        if (!ok) {
            out->notes |= DMARC_N_TAG_SYNTAX;
            continue;
        }
        record_tag(a, out, l.v[0].name, l.v[0].value, &seen);
    }
    return !first;
}

/* ---- context and cache ------------------------------------------------------------------ */

struct dmarc_ctx {
    struct dmarc_config cfg;
    struct orgdom_psl *psl;
    struct shmap *cache;
    struct counter walks, hits;
};

struct dmarc_ctx *dmarc_ctx_new(const struct dmarc_config *cfg, char *err, size_t err_len)
{
    struct orgdom_psl *psl = NULL;
    if (cfg->mode != DMARC_MODE_RFC9989 || cfg->psl_path != NULL) {
        psl = orgdom_psl_new(cfg->psl_path, err, err_len);
        if (psl == NULL) {
            return NULL;
        }
    }
    struct dmarc_ctx *c = xcalloc(1, sizeof(*c));
    c->cfg = *cfg;
    c->cfg.psl_path = NULL; /* not kept: the caller's string */
    c->psl = psl;
    c->cache = shmap_new(DMARC_CACHE_MAX_ENTRIES, xfree);
    return c;
}

void dmarc_ctx_free(struct dmarc_ctx *c)
{
    if (c == NULL) {
        return;
    }
    shmap_free(c->cache);
    orgdom_psl_free(c->psl);
    xfree(c);
}

void dmarc_ctx_stats(const struct dmarc_ctx *c, uint64_t *out_walks, uint64_t *out_hits)
{
    *out_walks = counter_get(&c->walks);
    *out_hits = counter_get(&c->hits);
}

/* One cache entry: a single heap block (the struct, then URI arrays, then text bytes). */
struct dmarc_entry {
    slice name;                       /* the domain (lower case), inside the block */
    /* 'N' */
    unsigned n_records;               /* 0, 1, or 2 for "several" */
    struct dmarc_record rec;          /* when n_records == 1 */
    /* 'W' and 'P' */
    slice org;                        /* a suffix of name; empty: none (7489 public suffix) */
    const struct dmarc_entry *policy; /* the 'N' entry of the applied record, or NULL */
    bool saw_multiple;
};

static slice rebase(slice s, slice from, uint8_t *to)
{
    if (s.ptr == NULL) {
        return s;
    }
    return slice_make(to + (s.ptr - from.ptr), s.len);
}

/* entry_block copies e (whose slices point into name or e->rec.text) into one heap block. */
static struct dmarc_entry *entry_block(const struct dmarc_entry *e)
{
    size_t n_uri = e->rec.n_rua + e->rec.n_ruf;
    size_t size = sizeof(*e) + n_uri * sizeof(struct dmarc_uri) + e->rec.text.len +
                  e->name.len + 2;
    uint8_t *blk = xmalloc(size);
    struct dmarc_entry *n = (struct dmarc_entry *)blk;
    *n = *e;
    struct dmarc_uri *uris = (struct dmarc_uri *)(blk + sizeof(*e));
    uint8_t *text = (uint8_t *)(uris + n_uri);
    uint8_t *name = text + e->rec.text.len + 1;
    memcpy(text, e->rec.text.ptr != NULL ? e->rec.text.ptr : (const uint8_t *)"",
           e->rec.text.len);
    memcpy(name, e->name.ptr, e->name.len);
    n->name = slice_make(name, e->name.len);
    n->org = rebase(e->org, e->name, name);
    if (e->n_records == 1) {
        slice t = e->rec.text;
        n->rec.text = slice_make(text, t.len);
        n->rec.rf = rebase(e->rec.rf, t, text);
        for (size_t i = 0; i < e->rec.n_rua; i++) {
            uris[i] = e->rec.rua[i];
            uris[i].uri = rebase(uris[i].uri, t, text);
        }
        for (size_t i = 0; i < e->rec.n_ruf; i++) {
            uris[e->rec.n_rua + i] = e->rec.ruf[i];
            uris[e->rec.n_rua + i].uri = rebase(e->rec.ruf[i].uri, t, text);
        }
        n->rec.rua = uris;
        n->rec.ruf = uris + e->rec.n_rua;
    }
    return n;
}

static slice cache_key(struct arena *a, char kind, slice name)
{
    uint8_t *k = arena_alloc(a, name.len + 1);
    k[0] = (uint8_t)kind;
    memcpy(k + 1, name.ptr, name.len);
    return slice_make(k, name.len + 1);
}

/* cache_store stores e (built in arena memory) and returns the stored block. */
static const struct dmarc_entry *cache_store(struct dmarc_ctx *c, struct arena *a, slice key,
                                             const struct dmarc_entry *e)
{
    struct dmarc_entry *blk = entry_block(e);
    struct dmarc_entry *got = shmap_put(c->cache, key, shmap_hash(key), blk);
    if (got == NULL) {
        arena_defer(a, xfree, blk); /* map full: the block lives as long as the message */
        return blk;
    }
    return got;
}

/* ---- DNS ------------------------------------------------------------------------------- */

enum q_status { Q_OK, Q_TEMP, Q_PENDING };

/* lookup_name gives the parsed answer for _dmarc.<name> (§4.10 steps 1-2 / 5-6). */
static enum q_status lookup_name(struct dmarc_ctx *c, struct arena *a, struct dns_resolver *r,
                                 slice name, const struct dmarc_entry **out)
{
    slice key = cache_key(a, 'N', name);
    const struct dmarc_entry *hit = shmap_get(c->cache, key, shmap_hash(key));
    if (hit != NULL) {
        *out = hit;
        return Q_OK;
    }
    struct dmarc_entry e = { .name = name };
    uint8_t *q = arena_alloc(a, name.len + 7);
    memcpy(q, "_dmarc.", 7);
    memcpy(q + 7, name.ptr, name.len);
    const struct dns_answer *ans = NULL;
    enum dns_status st = dns_lookup(r, slice_make(q, name.len + 7), DNS_T_TXT, &ans);
    if (st == DNS_PENDING) {
        return Q_PENDING;
    }
    if (dns_status_is_temp(st)) {
        dns_release(r, ans);
        return Q_TEMP;
    }
    if (st == DNS_OK) {
        for (size_t i = 0; i < ans->n_rr; i++) {
            slice txt;
            struct dmarc_record rec;
            if (!dns_txt_join(&ans->rr[i], a, &txt) || !dmarc_record_parse(a, txt, &rec)) {
                continue; /* §4.10 step 2: not a DMARC record: discarded */
            }
            if (++e.n_records == 1) {
                e.rec = rec;
            } else {
                e.n_records = 2;
                memset(&e.rec, 0, sizeof(e.rec)); /* several: all discarded */
            }
        }
    }
    /* NXDOMAIN, NODATA and BADNAME (a name too long once "_dmarc." is added) are "no record". */
    dns_release(r, ans);
    *out = cache_store(c, a, key, &e);
    return Q_OK;
}

/* walk9989 runs (or finds) the RFC 9989 §4.10 tree walk from name. */
static enum q_status walk9989(struct dmarc_ctx *c, struct arena *a, struct dns_resolver *r,
                              slice name, const struct dmarc_entry **out)
{
    slice key = cache_key(a, 'W', name);
    const struct dmarc_entry *hit = shmap_get(c->cache, key, shmap_hash(key));
    if (hit != NULL) {
        counter_add(&c->hits, 1);
        *out = hit;
        return Q_OK;
    }
    counter_add(&c->walks, 1);
    slice targets[ORGDOM_WALK_MAX];
    const struct dmarc_entry *got[ORGDOM_WALK_MAX];
    struct orgdom_found found[ORGDOM_WALK_MAX];
    size_t n_targets = orgdom_walk_targets(name, targets), n = 0;
    struct dmarc_entry e = { .name = name };
    for (size_t i = 0; i < n_targets; i++) {
        enum q_status st = lookup_name(c, a, r, targets[i], &got[n]);
        if (st != Q_OK) {
            return st;
        }
        const struct dmarc_entry *g = got[n];
        found[n] = (struct orgdom_found){ .name = targets[i], .has_record = g->n_records == 1,
                                          .psd = (enum orgdom_psd)g->rec.psd };
        e.saw_multiple |= g->n_records > 1;
        n++;
        /* Steps 2 and 6: a single record with psd=y or psd=n stops the walk. */
        if (g->n_records == 1 && g->rec.psd != DMARC_PSD_U) {
            break;
        }
    }
    e.org = orgdom_walk_select(name, found, n);
    /* §4.10.1: the record at the author domain, else at its Organizational Domain, else
     * at its Public Suffix Domain (a psd=y record the walk stopped at). */
    const struct dmarc_entry *psd = NULL;
    for (size_t i = 0; i < n && e.policy == NULL; i++) {
        if (!found[i].has_record) {
            continue;
        }
        if (i == 0 || found[i].name.len == e.org.len) {
            e.policy = got[i];
        } else if (found[i].psd == ORGDOM_PSD_Y) {
            psd = got[i];
        }
    }
    if (e.policy == NULL) {
        e.policy = psd;
    }
    *out = cache_store(c, a, key, &e);
    return Q_OK;
}

/* disc7489 runs (or finds) RFC 7489 §6.6.3 policy discovery for name. */
static enum q_status disc7489(struct dmarc_ctx *c, struct arena *a, struct dns_resolver *r,
                              slice name, const struct dmarc_entry **out)
{
    slice key = cache_key(a, 'P', name);
    const struct dmarc_entry *hit = shmap_get(c->cache, key, shmap_hash(key));
    if (hit != NULL) {
        counter_add(&c->hits, 1);
        *out = hit;
        return Q_OK;
    }
    counter_add(&c->walks, 1);
    struct dmarc_entry e = { .name = name };
    if (!orgdom_psl_lookup(c->psl, name, &e.org)) {
        e.org = SLICE_NULL;
    }
    const struct dmarc_entry *g;
    enum q_status st = lookup_name(c, a, r, name, &g);
    if (st != Q_OK) {
        return st;
    }
    /* Step 3: only an empty set goes on to the Organizational Domain; step 5: several
     * records end discovery. */
    if (g->n_records == 0 && e.org.len > 0 && e.org.len != name.len) {
        st = lookup_name(c, a, r, e.org, &g);
        if (st != Q_OK) {
            return st;
        }
    }
    e.saw_multiple = g->n_records > 1;
    e.policy = g->n_records == 1 ? g : NULL;
    *out = cache_store(c, a, key, &e);
    return Q_OK;
}

/* ---- evaluation ------------------------------------------------------------------------ */

struct eval {
    struct dmarc_ctx *c;
    struct arena *a;
    struct dns_resolver *r;
    enum dmarc_mode mode;
    slice author, org;
    bool temp_walk, temp_auth, pending;
};

/* aligned decides Identifier Alignment of id with the author domain (§4.4, §4.10.2). */
static bool aligned(struct eval *ev, slice id_raw, bool strict)
{
    char buf[256];
    size_t len;
    if (id_raw.len == 0 || !dns_name_canon(id_raw, buf, &len)) {
        return false;
    }
    slice id = slice_make(buf, len);
    if (slice_eq_ci(id, ev->author)) {
        return true;
    }
    if (strict || ev->org.len == 0) {
        return false;
    }
    if (ev->mode == DMARC_MODE_RFC7489) {
        slice org;
        return orgdom_psl_lookup(ev->c->psl, id, &org) && slice_eq_ci(org, ev->org);
    }
    /* An identifier's Organizational Domain is itself or an ancestor: unless the author's
     * Organizational Domain is among those, no walk can make them equal. */
    if (!orgdom_is_under(id, ev->org)) {
        return false;
    }
    const struct dmarc_entry *w = NULL;
    enum q_status st = walk9989(ev->c, ev->a, ev->r, arena_dup(ev->a, id), &w);
    if (st == Q_PENDING) {
        ev->pending = true;
        return false;
    }
    if (st == Q_TEMP) {
        ev->temp_walk = true;
        return false;
    }
    return slice_eq_ci(w->org, ev->org); /* NOLINT(clang-analyzer-core.NullDereference): set on every Q_OK path */
}

static void check_alignment(struct eval *ev, const struct dmarc_input *in,
                            const struct dmarc_record *rec, struct dmarc_result *out)
{
    for (size_t i = 0; i < in->n_sigs && !ev->pending; i++) {
        const struct dkim_sig *s = &in->sigs[i];
        if (s->result == AV_PASS && out->dkim_aligned.ptr == NULL &&
            aligned(ev, s->d, rec->adkim_strict)) {
            out->dkim_aligned = s->d;
        } else if (s->result == AV_TEMPERROR && aligned(ev, s->d, rec->adkim_strict)) {
            ev->temp_auth = true; /* could have passed: §5.3.6 */
        }
    }
    if (in->spf_ran && !ev->pending) {
        if (in->spf_result == AV_PASS) {
            out->spf_aligned = aligned(ev, in->spf_domain, rec->aspf_strict);
        } else if (in->spf_result == AV_TEMPERROR && aligned(ev, in->spf_domain,
                                                             rec->aspf_strict)) {
            ev->temp_auth = true;
        }
    }
}

static enum dmarc_policy lower(enum dmarc_policy p)
{
    return p == DMARC_P_REJECT ? DMARC_P_QUARANTINE : DMARC_P_NONE;
}

/* author_exists: §3.2.13 / App. A.4: NXDOMAIN for the name means it does not exist; any
 * other definite answer (records, or NODATA) means it does. */
static enum q_status author_exists(struct eval *ev, bool *out)
{
    const struct dns_answer *ans = NULL;
    enum dns_status st = dns_lookup(ev->r, ev->author, DNS_T_A, &ans);
    if (st == DNS_PENDING) {
        return Q_PENDING;
    }
    dns_release(ev->r, ans);
    if (dns_status_is_temp(st)) {
        return Q_TEMP;
    }
    *out = st != DNS_NXDOMAIN && st != DNS_BADNAME;
    return Q_OK;
}

/* choose_policy sets policy/published (§4.10.1; RFC 7489 §6.3 sp). False when pending. */
static bool choose_policy(struct eval *ev, const struct dmarc_record *rec, bool p_none,
                          struct dmarc_result *out)
{
    bool is9989 = ev->mode == DMARC_MODE_RFC9989;
    enum dmarc_policy_tag tag = DMARC_TAG_P;
    if (!slice_eq_ci(out->policy_domain, ev->author)) {
        bool exists = true;
        if (is9989 && rec->np != DMARC_P_UNSET && !p_none) {
            enum q_status st = author_exists(ev, &exists);
            if (st == Q_PENDING) {
                return false;
            }
            if (st == Q_TEMP) {
                exists = true;
                if (out->result == AV_PASS) {
                    out->notes |= DMARC_N_EXISTENCE_UNKNOWN;
                } else {
                    ev->temp_walk = true;
                }
            }
        }
        if (!exists) {
            tag = DMARC_TAG_NP;
        } else if (rec->sp != DMARC_P_UNSET) {
            tag = DMARC_TAG_SP;
        }
        if (tag == DMARC_TAG_NP && (!is9989 || rec->np == DMARC_P_UNSET)) {
            tag = rec->sp != DMARC_P_UNSET ? DMARC_TAG_SP : DMARC_TAG_P;
        }
    }
    out->policy = tag;
    out->published = p_none                 ? DMARC_P_NONE
                     : tag == DMARC_TAG_NP ? rec->np
                     : tag == DMARC_TAG_SP ? rec->sp
                                           : rec->p;
    return true;
}

static uint64_t fnv1a(slice s)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < s.len; i++) {
        h = (h ^ s.ptr[i]) * 1099511628211ull;
    }
    return h;
}

/* apply_disposition: t=y / pct (policy_disposition), then §7.4 (disposition). */
static void apply_disposition(struct eval *ev, const struct dmarc_input *in,
                              const struct dmarc_record *rec, struct dmarc_result *out)
{
    out->policy_disposition = out->published;
    if (ev->mode == DMARC_MODE_RFC9989) {
        out->testing = rec->testing;
        if (rec->testing) {
            out->policy_disposition = lower(out->published); /* §4.7 t=y: one level below */
        }
    } else if (rec->has_pct && rec->pct < 100) {
        out->testing = true;
        /* RFC 7489 §6.6.4, made deterministic: the same message is always in or out. */
        if (fnv1a(in->msg_key) % 100 >= rec->pct) {
            out->policy_disposition = lower(out->published);
            out->notes |= DMARC_N_PCT_NOT_SAMPLED;
        }
    }
    switch (out->result) {
    case AV_FAIL:
        out->disposition = out->policy_disposition;
        if (ev->mode == DMARC_MODE_RFC9989 && out->disposition == DMARC_P_REJECT &&
            !ev->c->cfg.apply_reject) {
            out->disposition = DMARC_P_QUARANTINE; /* §7.4: never on p=reject alone */
        }
        break;
    case AV_NONE:
    case AV_PASS:
    case AV_NEUTRAL:
    case AV_SOFTFAIL:
    case AV_POLICY:
    case AV_TEMPERROR:
    case AV_PERMERROR:
    case AV__COUNT:
        out->disposition = DMARC_P_NONE; /* nothing to apply (§5.3.6 for errors) */
        break;
    }
    /* The policy asks something only of mail that fails: for any other result what it asks
     * is "none" (the published value stays in `published`). */
    if (out->result != AV_FAIL) {
        out->policy_disposition = DMARC_P_NONE;
    }
}

static void record_notes(struct eval *ev, const struct dmarc_record *rec,
                         struct dmarc_result *out)
{
    out->notes |= rec->notes;
    if (ev->mode == DMARC_MODE_RFC9989) {
        out->notes |= (rec->has_pct ? DMARC_N_PCT_IGNORED : 0u) |
                      (rec->has_rf ? DMARC_N_RF_IGNORED : 0u) |
                      (rec->has_ri ? DMARC_N_RI_IGNORED : 0u);
    }
    if (rec->n_ruf == 0 && rec->fo != DMARC_FO_0) {
        out->notes |= DMARC_N_FO_WITHOUT_RUF;
    }
}

/* discover: the policy entry for the author domain; false when evaluation ends here. */
static bool discover(struct eval *ev, struct dmarc_result *out, const struct dmarc_entry **pol)
{
    const struct dmarc_entry *w = NULL;
    enum q_status st = ev->mode == DMARC_MODE_RFC9989
                           ? walk9989(ev->c, ev->a, ev->r, ev->author, &w)
                           : disc7489(ev->c, ev->a, ev->r, ev->author, &w);
    if (st == Q_PENDING) {
        out->pending = true;
        return false;
    }
    if (st == Q_TEMP) {
        out->result = AV_TEMPERROR;
        out->reason = DMARC_R_DNS_TEMPERROR;
        return false;
    }
    ev->org = w->org; /* NOLINT(clang-analyzer-core.NullDereference): set on every Q_OK path */
    out->org_domain = w->org.len > 0 ? w->org : SLICE_NULL;
    if (ev->mode == DMARC_MODE_RFC7489 && w->org.len == 0) {
        out->notes |= DMARC_N_NO_PSL_ORG;
    }
    if (w->saw_multiple) {
        out->notes |= DMARC_N_MULTIPLE_RECORDS;
    }
    if (w->policy == NULL) {
        out->reason = w->saw_multiple ? DMARC_R_MULTIPLE_RECORDS : DMARC_R_NO_POLICY;
        return false;
    }
    *pol = w->policy;
    return true;
}

static void eval_mode(struct dmarc_ctx *c, struct arena *a, struct dns_resolver *r,
                      const struct dmarc_input *in, enum dmarc_mode mode,
                      struct dmarc_result *out)
{
    memset(out, 0, sizeof(*out));
    out->mode = mode;
    out->result = AV_NONE;
    out->auth_pass = in->spf_ran && in->spf_result == AV_PASS;
    for (size_t i = 0; i < in->n_sigs; i++) {
        out->auth_pass |= in->sigs[i].result == AV_PASS;
    }
    if (!in->spf_ran) {
        out->notes |= DMARC_N_SPF_NOT_RUN;
    }
    if (in->from_domain.len == 0) {
        out->reason = DMARC_R_NO_AUTHOR_DOMAIN; /* §5.3.1: validation is not possible */
        out->detail = in->from_error;
        return;
    }
    char buf[256];
    size_t len;
    if (!dns_name_canon(in->from_domain, buf, &len)) {
        out->reason = DMARC_R_BAD_AUTHOR_DOMAIN;
        return;
    }
    struct eval ev = { .c = c, .a = a, .r = r, .mode = mode };
    ev.author = arena_dup(a, slice_make(buf, len));
    out->domain = ev.author;
    const struct dmarc_entry *pol = NULL;
    if (!discover(&ev, out, &pol)) {
        return;
    }
    const struct dmarc_record *rec = &pol->rec;
    out->record = rec;
    out->policy_domain = pol->name;
    record_notes(&ev, rec, out);
    /* §4.10.1 (RFC 7489 §6.6.3 step 6): no valid p, or an invalid sp (or np). */
    bool bad = rec->p == DMARC_P_UNSET || rec->p == DMARC_P_INVALID ||
               rec->sp == DMARC_P_INVALID ||
               (mode == DMARC_MODE_RFC9989 && rec->np == DMARC_P_INVALID);
    if (bad && rec->n_rua == 0) {
        out->result = AV_PERMERROR;
        out->reason = DMARC_R_INVALID_POLICY;
        return;
    }
    if (bad) {
        out->notes |= DMARC_N_P_NONE_BY_RUA;
    }
    check_alignment(&ev, in, rec, out);
    if (ev.pending) {
        out->pending = true;
        return;
    }
    if (out->dkim_aligned.ptr != NULL || out->spf_aligned) {
        out->result = AV_PASS;
    } else if (ev.temp_walk || ev.temp_auth) {
        out->result = AV_TEMPERROR;
        out->reason = ev.temp_walk ? DMARC_R_DNS_TEMPERROR : DMARC_R_AUTH_TEMPERROR;
    } else {
        out->result = AV_FAIL;
        out->reason = DMARC_R_NO_ALIGNED_PASS;
    }
    if (!choose_policy(&ev, rec, bad, out)) {
        out->pending = true;
        return;
    }
    if (out->result == AV_FAIL && ev.temp_walk) {
        out->result = AV_TEMPERROR; /* the existence check failed: np or sp unknown */
        out->reason = DMARC_R_DNS_TEMPERROR;
    }
    apply_disposition(&ev, in, rec, out);
}

void dmarc_evaluate(struct dmarc_ctx *c, struct arena *a, struct dns_resolver *r,
                    const struct dmarc_input *in, struct dmarc_result *out_primary,
                    struct dmarc_result *out_other)
{
    if (c->cfg.mode != DMARC_MODE_BOTH) {
        eval_mode(c, a, r, in, c->cfg.mode, out_primary);
        if (out_other != NULL) {
            memset(out_other, 0, sizeof(*out_other));
            out_other->mode = c->cfg.mode == DMARC_MODE_RFC9989 ? DMARC_MODE_RFC7489
                                                                 : DMARC_MODE_RFC9989;
        }
        return;
    }
    struct dmarc_result *other = out_other != NULL ? out_other : ARENA_NEW(a, struct dmarc_result);
    eval_mode(c, a, r, in, DMARC_MODE_RFC9989, out_primary);
    eval_mode(c, a, r, in, DMARC_MODE_RFC7489, other);
    bool pending = out_primary->pending || other->pending;
    out_primary->pending = other->pending = pending;
    out_primary->differs = other->differs = out_primary->result != other->result ||
                                            out_primary->disposition != other->disposition;
    out_primary->other = other;
}

enum dmarc_class dmarc_class(const struct dmarc_result *r)
{
    switch (r->result) {
    case AV_PASS:
        return DMARC_C_AUTHENTICATED;
    case AV_FAIL:
        return r->policy_disposition == DMARC_P_QUARANTINE ||
                       r->policy_disposition == DMARC_P_REJECT
                   ? DMARC_C_SPOOFED
                   : DMARC_C_SUSPICIOUS;
    case AV_NONE:
        return r->reason == DMARC_R_NO_AUTHOR_DOMAIN || r->reason == DMARC_R_BAD_AUTHOR_DOMAIN
                   ? DMARC_C_UNDETERMINED
                   : DMARC_C_UNPROTECTED;
    case AV_NEUTRAL:
    case AV_SOFTFAIL:
    case AV_POLICY:
    case AV_TEMPERROR:
    case AV_PERMERROR:
    case AV__COUNT:
        return DMARC_C_UNDETERMINED;
    }
    return DMARC_C_UNDETERMINED;
}

/* ---- JSON ------------------------------------------------------------------------------ */

static bool json_slice_or_null(struct sbuf *b, slice s)
{
    return s.ptr != NULL ? json_str(b, s) : json_null(b);
}

static bool json_one(struct sbuf *b, const struct dmarc_result *r)
{
    bool first = true;
    const struct dmarc_record *rec = r->record;
    bool applied = rec != NULL && r->policy != DMARC_TAG_NONE;
    if (!sbuf_putc(b, '{') || !json_key(b, &first, "result") ||
        !json_cstr(b, auth_verdict_name(r->result)) || !json_key(b, &first, "domain") ||
        !json_slice_or_null(b, r->domain) || !json_key(b, &first, "policy_domain") ||
        !json_slice_or_null(b, r->policy_domain) || !json_key(b, &first, "org_domain") ||
        !json_slice_or_null(b, r->org_domain) || !json_key(b, &first, "policy") ||
        !json_cstr(b, dmarc_policy_tag_name(r->policy)) ||
        !json_key(b, &first, "policy_disposition") ||
        !json_cstr(b, applied ? dmarc_policy_name(r->policy_disposition) : NULL) ||
        !json_key(b, &first, "disposition") ||
        !json_cstr(b, applied ? dmarc_policy_name(r->disposition) : NULL) ||
        !json_key(b, &first, "dkim_aligned") || !json_slice_or_null(b, r->dkim_aligned) ||
        !json_key(b, &first, "spf_aligned") || !json_bool(b, r->spf_aligned) ||
        !json_key(b, &first, "testing") || !json_bool(b, r->testing) ||
        !json_key(b, &first, "reason") || !json_cstr(b, dmarc_reason_name(r->reason)) ||
        !json_key(b, &first, "mode") || !json_cstr(b, dmarc_mode_name(r->mode)) ||
        !json_key(b, &first, "class") || !json_cstr(b, dmarc_class_name(dmarc_class(r))) ||
        !json_key(b, &first, "auth_pass") || !json_bool(b, r->auth_pass) ||
        !json_key(b, &first, "published") ||
        !json_cstr(b, applied ? dmarc_policy_name(r->published) : NULL)) {
        return false;
    }
    if (rec != NULL) {
        char fo[8];
        size_t n = 0;
        const char letters[4] = { '0', '1', 'd', 's' };
        for (unsigned i = 0; i < 4; i++) {
            if (rec->fo & (1u << i)) {
                if (n > 0) {
                    fo[n++] = ':';
                }
                fo[n++] = letters[i];
            }
        }
        if (!json_key(b, &first, "adkim") || !json_cstr(b, rec->adkim_strict ? "s" : "r") ||
            !json_key(b, &first, "aspf") || !json_cstr(b, rec->aspf_strict ? "s" : "r") ||
            !json_key(b, &first, "fo") || !json_str(b, slice_make(fo, n))) {
            return false;
        }
    }
    if (r->detail != NULL && (!json_key(b, &first, "detail") || !json_cstr(b, r->detail))) {
        return false;
    }
    if (r->notes != 0) {
        if (!json_key(b, &first, "notes") || !sbuf_putc(b, '[')) {
            return false;
        }
        bool f2 = true;
        for (unsigned i = 0; i < DMARC_N__COUNT_BITS; i++) {
            if ((r->notes & (1u << i)) == 0) {
                continue;
            }
            if ((!f2 && !sbuf_putc(b, ',')) || !json_cstr(b, dmarc_note_name(i))) {
                return false;
            }
            f2 = false;
        }
        if (!sbuf_putc(b, ']')) {
            return false;
        }
    }
    return true;
}

void dmarc_apply_override(struct dmarc_result *r, slice sealer)
{
    if (r->result != AV_FAIL) {
        return;
    }
    r->override = "trusted_forwarder";
    r->override_by = sealer;
    r->disposition_before_override = r->disposition;
    r->disposition = DMARC_P_NONE;
}

bool dmarc_result_json(struct sbuf *b, const struct dmarc_result *r)
{
    if (!json_one(b, r)) {
        return false;
    }
    if (r->override != NULL) {
        bool first = false;
        if (!json_key(b, &first, "override") || !json_cstr(b, r->override) ||
            !json_key(b, &first, "override_by") || !json_str(b, r->override_by) ||
            !json_key(b, &first, "disposition_without_override") ||
            !json_cstr(b, dmarc_policy_name(r->disposition_before_override))) {
            return false;
        }
    }
    if (r->other != NULL) {
        bool first = false;
        if (!json_key(b, &first, "differs") || !json_bool(b, r->differs) ||
            !json_key(b, &first, "other") || !json_one(b, r->other) || !sbuf_putc(b, '}')) {
            return false;
        }
    }
    return sbuf_putc(b, '}');
}
