/* dns_opts: the command line's DNS options, shared by every subcommand that looks names up
 * (verify, spf). main.c merges cli_dns_options into its getopt_long table and passes every
 * option it does not know to cli_dns_handle. Option ids are in [CLI_DNS_OPT_BASE,
 * CLI_DNS_OPT_BASE + 100).
 *
 * Without --dns-snapshot, answers come from live DNS: getdns (dns/live.h) behind the run's
 * shared cache (dns/cache.h), as a stub resolver towards /etc/resolv.conf, towards the
 * --resolver servers, or recursing itself (--dns-recursive); --dns-record FILE also writes
 * every answer used into FILE (dns/record.h), which --dns-snapshot FILE replays. */
#ifndef AUTHSWEEP_CLI_DNS_OPTS_H
#define AUTHSWEEP_CLI_DNS_OPTS_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "dns/dns.h"
#include "dns/live.h"

#define CLI_DNS_OPT_BASE 1000

struct cli_dns {
    const char *snapshot; /* --dns-snapshot FILE */
    const char *record;   /* --dns-record FILE */
    bool recursive;       /* --dns-recursive */
    unsigned timeout_ms;  /* --dns-timeout MS (0: default) */
    unsigned retries;     /* --dns-retries N */
    bool retries_set;
    size_t cache_bytes;   /* --dns-cache-size (0: default) */
    size_t n_servers;     /* --resolver ADDR[#PORT], repeatable */
    struct dnslive_server servers[DNSLIVE_MAX_SERVERS];
    /* private to dns_opts.c: set by cli_dns_open, freed by cli_dns_close */
    void *priv;
};

/* The long options, terminated by a zeroed entry. */
extern const struct option cli_dns_options[];
/* Help text for the options, one block, each line starting with two spaces. */
extern const char cli_dns_help[];

/* cli_dns_handle consumes option `opt` (with its argument). Returns 1 if handled, 0 if the
 * option is not a DNS option, -1 on a usage error (message in err). Allocates nothing. */
int cli_dns_handle(struct cli_dns *d, int opt, const char *arg, char *err, size_t err_len);
/* cli_dns_open makes the resolver the options ask for, or NULL with a message in err. */
struct dns_resolver *cli_dns_open(struct cli_dns *d, char *err, size_t err_len);
/* cli_dns_describe writes one line saying where answers come from (for --verbose). */
void cli_dns_describe(const struct cli_dns *d, FILE *f);
/* cli_dns_stats writes the resolver's figures (for the summary and --verbose): for live DNS
 * lookups, cache hits, queries sent, coalesced waits, failures, evictions. */
void cli_dns_stats(const struct cli_dns *d, struct dns_resolver *r, FILE *f);
/* cli_dns_close finishes (writes the --dns-record file) and frees the resolver. Returns false
 * with a message in err if finishing failed. */
bool cli_dns_close(struct cli_dns *d, struct dns_resolver *r, char *err, size_t err_len);

#endif
