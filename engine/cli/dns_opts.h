/* dns_opts: the command line's DNS options, shared by every subcommand that looks names up
 * (verify, spf). main.c merges cli_dns_options into its getopt_long table and passes every
 * option it does not know to cli_dns_handle. Option ids are in [CLI_DNS_OPT_BASE,
 * CLI_DNS_OPT_BASE + 100). */
#ifndef AUTHSWEEP_CLI_DNS_OPTS_H
#define AUTHSWEEP_CLI_DNS_OPTS_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "dns/dns.h"

#define CLI_DNS_OPT_BASE 1000

struct cli_dns {
    const char *snapshot; /* --dns-snapshot FILE */
    /* private to dns_opts.c */
    void *priv;
};

/* The long options, terminated by a zeroed entry. */
extern const struct option cli_dns_options[];
/* Help text for the options, one block, each line starting with two spaces. */
extern const char cli_dns_help[];

/* cli_dns_handle consumes option `opt` (with its argument). Returns 1 if handled, 0 if the
 * option is not a DNS option, -1 on a usage error (message in err). */
int cli_dns_handle(struct cli_dns *d, int opt, const char *arg, char *err, size_t err_len);
/* cli_dns_open makes the resolver the options ask for, or NULL with a message in err. */
struct dns_resolver *cli_dns_open(struct cli_dns *d, char *err, size_t err_len);
/* cli_dns_describe writes one line saying where answers come from (for --verbose). */
void cli_dns_describe(const struct cli_dns *d, FILE *f);
/* cli_dns_stats writes the resolver's figures (for the summary and --verbose). */
void cli_dns_stats(const struct cli_dns *d, struct dns_resolver *r, FILE *f);
/* cli_dns_close finishes (e.g. writes a recording) and frees the resolver. Returns false
 * with a message in err if finishing failed. */
bool cli_dns_close(struct cli_dns *d, struct dns_resolver *r, char *err, size_t err_len);

#endif
