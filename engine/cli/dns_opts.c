/* dns_opts.c: the DNS options (dns_opts.h). This is CLI code: it may print and read argv as
 * C strings (trusted input). */
#include "engine/cli/dns_opts.h"

#include "engine/cli/cli_arg.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dns/cache.h"
#include "dns/record.h"
#include "dns/snapshot.h"
#include "engine/core/arena.h"

enum {
    O_SNAPSHOT = CLI_DNS_OPT_BASE,
    O_RESOLVER,
    O_RECURSIVE,
    O_TIMEOUT,
    O_RETRIES,
    O_RECORD,
    O_CACHE_SIZE,
};

const struct option cli_dns_options[] = {
    { "dns-snapshot", required_argument, NULL, O_SNAPSHOT },
    { "resolver", required_argument, NULL, O_RESOLVER },
    { "dns-recursive", no_argument, NULL, O_RECURSIVE },
    { "dns-timeout", required_argument, NULL, O_TIMEOUT },
    { "dns-retries", required_argument, NULL, O_RETRIES },
    { "dns-record", required_argument, NULL, O_RECORD },
    { "dns-cache-size", required_argument, NULL, O_CACHE_SIZE },
    { NULL, 0, NULL, 0 },
};

const char cli_dns_help[] =
    "  --dns-snapshot FILE     answer every DNS lookup from FILE, an RFC 1035 zone file\n"
    "                          (closed world: names absent from it do not exist)\n"
    "  Without --dns-snapshot, live DNS (stub resolver towards /etc/resolv.conf):\n"
    "  --resolver ADDR[#PORT]  ask this server instead (IPv4 or IPv6; repeatable, up to 8)\n"
    "  --dns-recursive         resolve from the root servers instead of asking a resolver\n"
    "  --dns-timeout MS        wait MS milliseconds per attempt (default 2000)\n"
    "  --dns-retries N         attempts after a timeout (default 2); then the check that\n"
    "                          asked gets a DNS temporary error (temperror)\n"
    "  --dns-cache-size SIZE   memory for the run's DNS cache (K, M, G; default 64M)\n"
    "  --dns-record FILE       write every answer the run used to FILE, a snapshot that\n"
    "                          --dns-snapshot replays with the same results\n";

/* What cli_dns_open made. */
struct cli_dns_run {
    struct dns_resolver *cache; /* live: the cache (inside the recorder, if any) */
    char desc[1024];
};

int cli_dns_handle(struct cli_dns *d, int opt, const char *arg, char *err, size_t err_len)
{
    unsigned long v;
    switch (opt) {
    case O_SNAPSHOT:
        d->snapshot = arg;
        return 1;
    case O_RESOLVER:
        if (d->n_servers == DNSLIVE_MAX_SERVERS) {
            snprintf(err, err_len, "at most %u --resolver options", DNSLIVE_MAX_SERVERS);
            return -1;
        }
        if (!dnslive_server_parse(arg, &d->servers[d->n_servers])) {
            snprintf(err, err_len, "--resolver needs ADDR or ADDR#PORT (IPv4 or IPv6), not '%s'",
                     arg);
            return -1;
        }
        d->n_servers++;
        return 1;
    case O_RECURSIVE:
        d->recursive = true;
        return 1;
    case O_TIMEOUT:
        if (!cli_parse_ulong(arg, 600000, &v) || v == 0) {
            snprintf(err, err_len, "--dns-timeout needs milliseconds from 1 to 600000, not '%s'",
                     arg);
            return -1;
        }
        d->timeout_ms = (unsigned)v;
        return 1;
    case O_RETRIES:
        if (!cli_parse_ulong(arg, 20, &v)) {
            snprintf(err, err_len, "--dns-retries needs a number from 0 to 20, not '%s'", arg);
            return -1;
        }
        d->retries = (unsigned)v;
        d->retries_set = true;
        return 1;
    case O_RECORD:
        d->record = arg;
        return 1;
    case O_CACHE_SIZE:
        if (!cli_parse_size(arg, &d->cache_bytes) || d->cache_bytes < DNSCACHE_MIN_BYTES) {
            snprintf(err, err_len, "--dns-cache-size needs a size of at least 1M, not '%s'", arg);
            return -1;
        }
        return 1;
    default:
        return 0;
    }
}

static struct dns_resolver *open_live(struct cli_dns *d, struct cli_dns_run *run, char *err,
                                      size_t err_len)
{
    struct dnslive_config lc = {
        .recursive = d->recursive,
        .n_servers = d->n_servers,
        .timeout_ms = d->timeout_ms,
        .retries = d->retries_set ? d->retries : DNSLIVE_RETRIES_DEFAULT,
    };
    memcpy(lc.servers, d->servers, sizeof lc.servers);
    struct dnscache_backend *b = dnslive_new(&lc, err, err_len);
    if (b == NULL) {
        return NULL;
    }
    char where[900];
    dnslive_describe(b, where, sizeof where);
    struct dnscache_config cc = { .max_bytes = d->cache_bytes };
    struct dns_resolver *r = dnscache_new(&cc, b);
    run->cache = r;
    snprintf(run->desc, sizeof run->desc, "live DNS: %s, %u ms x %u attempts, cache %zu MiB%s%s",
             where, lc.timeout_ms ? lc.timeout_ms : DNSLIVE_TIMEOUT_MS_DEFAULT, lc.retries + 1,
             (d->cache_bytes ? d->cache_bytes : DNSCACHE_DEFAULT_BYTES) >> 20,
             d->record ? ", recording to " : "", d->record ? d->record : "");
    if (d->record) {
        r = dnsrec_new(r, where, (int64_t)time(NULL));
    }
    return r;
}

struct dns_resolver *cli_dns_open(struct cli_dns *d, char *err, size_t err_len)
{
    if (d->snapshot != NULL) {
        if (d->n_servers || d->recursive || d->record) {
            snprintf(err, err_len, "--dns-snapshot answers from a file: it cannot be combined "
                                   "with --resolver, --dns-recursive or --dns-record");
            return NULL;
        }
        return snapshot_load(d->snapshot, err, err_len);
    }
    if (d->recursive && d->n_servers) {
        snprintf(err, err_len, "--dns-recursive and --resolver cannot be combined");
        return NULL;
    }
    struct cli_dns_run *run = xcalloc(1, sizeof(*run));
    struct dns_resolver *r = open_live(d, run, err, err_len);
    if (r == NULL) {
        xfree(run);
        return NULL;
    }
    d->priv = run;
    return r;
}

void cli_dns_describe(const struct cli_dns *d, FILE *f)
{
    const struct cli_dns_run *run = d->priv;
    if (run != NULL) {
        fputs(run->desc, f);
    } else {
        fprintf(f, "DNS from snapshot %s", d->snapshot ? d->snapshot : "(none)");
    }
}

void cli_dns_stats(const struct cli_dns *d, struct dns_resolver *r, FILE *f)
{
    const struct cli_dns_run *run = d->priv;
    if (run == NULL) {
        size_t recs, lookups;
        snapshot_stats(r, &recs, &lookups);
        fprintf(f, "snapshot: %zu records, %zu lookups", recs, lookups);
        return;
    }
    struct dnscache *c = dnscache_of(run->cache);
    struct dnscache_stats st;
    uint64_t sent, retried;
    dnscache_stats(c, &st);
    dnslive_counts(dnscache_backend_of(c), &sent, &retried);
    fprintf(f,
            "dns: %" PRIu64 " lookups, %" PRIu64 " cache hits, %" PRIu64 " queries sent (%" PRIu64
            " retries), %" PRIu64 " coalesced waits, %" PRIu64 " failures, %" PRIu64
            " evictions, %" PRIu64 " expired, %" PRIu64 " entries (%.1f MiB)",
            st.lookups, st.hits, st.queries, retried, st.coalesced, st.failures, st.evictions,
            st.expired, st.entries, (double)st.bytes / (1024.0 * 1024.0));
    (void)sent;
}

bool cli_dns_close(struct cli_dns *d, struct dns_resolver *r, char *err, size_t err_len)
{
    bool ok = true;
    if (r != NULL && d->record != NULL && dnsrec_is(r)) {
        struct dnsrec_result res;
        ok = dnsrec_write(r, d->record, &res, err, err_len);
        if (ok && res.conflicts > 0) {
            fprintf(stderr,
                    "authsweep: %s: %zu answers recorded; %zu contradicted earlier answers "
                    "(the DNS data changed during the run) and were left out\n",
                    d->record, res.answers, res.conflicts);
        }
    }
    dns_resolver_free(r);
    xfree(d->priv);
    d->priv = NULL;
    return ok;
}
