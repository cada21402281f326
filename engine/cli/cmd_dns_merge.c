/* authsweep dns-merge: join DNS snapshots from several runs (see dns/merge.h). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "dns/merge.h"
#include "engine/cli/cmd_dns_merge.h"

static const char usage_merge[] =
    "Usage: authsweep dns-merge -o OUT SNAPSHOT...\n"
    "\n"
    "Join DNS snapshots written by --dns-record in several runs into OUT, keeping for each\n"
    "(name, type) the answer of the newest snapshot (by its recording time; undated files\n"
    "count as oldest, later arguments newer). What replaced what is said on standard error.\n"
    "OUT is written only if the merged file loads as a snapshot.\n";

int cli_dns_merge_main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "output", required_argument, NULL, 'o' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *out = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o':
            out = optarg;
            break;
        case 'h':
            fputs(usage_merge, stdout);
            return 0;
        default:
            fputs("Try 'authsweep dns-merge --help'.\n", stderr);
            return 2;
        }
    }
    if (out == NULL || optind >= argc) {
        fputs("authsweep dns-merge: needs -o OUT and at least one SNAPSHOT\n"
              "Try 'authsweep dns-merge --help'.\n", stderr);
        return 2;
    }
    char err[512];
    if (!dnsmerge_files((const char *const *)argv + optind, (size_t)(argc - optind), out, stderr,
                        err, sizeof err)) {
        fprintf(stderr, "authsweep dns-merge: %s\n", err);
        return 1;
    }
    return 0;
}
