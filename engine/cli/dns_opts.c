#include "engine/cli/dns_opts.h"

#include <string.h>

#include "dns/snapshot.h"

enum { O_SNAPSHOT = CLI_DNS_OPT_BASE };

const struct option cli_dns_options[] = {
    { "dns-snapshot", required_argument, NULL, O_SNAPSHOT },
    { NULL, 0, NULL, 0 },
};

const char cli_dns_help[] =
    "  --dns-snapshot FILE     answer every DNS lookup from FILE, an RFC 1035 zone file\n"
    "                          (closed world: names absent from it do not exist)\n";

int cli_dns_handle(struct cli_dns *d, int opt, const char *arg, char *err, size_t err_len)
{
    (void)err;
    (void)err_len;
    switch (opt) {
    case O_SNAPSHOT:
        d->snapshot = arg;
        return 1;
    default:
        return 0;
    }
}

struct dns_resolver *cli_dns_open(struct cli_dns *d, char *err, size_t err_len)
{
    if (d->snapshot == NULL) {
        snprintf(err, err_len, "live DNS is not available yet: give --dns-snapshot FILE");
        return NULL;
    }
    return snapshot_load(d->snapshot, err, err_len);
}

void cli_dns_describe(const struct cli_dns *d, FILE *f)
{
    fprintf(f, "DNS from snapshot %s", d->snapshot ? d->snapshot : "(none)");
}

void cli_dns_stats(const struct cli_dns *d, struct dns_resolver *r, FILE *f)
{
    size_t recs, lookups;
    (void)d;
    snapshot_stats(r, &recs, &lookups);
    fprintf(f, "snapshot: %zu records, %zu lookups", recs, lookups);
}

bool cli_dns_close(struct cli_dns *d, struct dns_resolver *r, char *err, size_t err_len)
{
    (void)d;
    (void)err;
    (void)err_len;
    dns_resolver_free(r);
    return true;
}
