/* authsweep spf: one SPF query from the command line (RFC 7208 check_host), printed as one
 * JSON object. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "engine/cli/cli_arg.h"
#include "engine/cli/cmd_spf.h"
#include "engine/cli/dns_opts.h"
#include "engine/core/arena.h"
#include "engine/core/json.h"
#include "engine/core/sbuf.h"
#include "engine/header/date.h"
#include "engine/policy/spf.h"

static const char usage_spf[] =
    "Usage: authsweep spf --ip IP --sender ADDR --helo NAME [OPTIONS]\n"
    "\n"
    "Evaluate SPF (RFC 7208) for one connection and print one JSON object:\n"
    "result, explanation, domain, mechanism, lookups, void_lookups, reason, and helo (the\n"
    "HELO identity's own check). With an empty --sender (\"\") the MAIL FROM check uses\n"
    "postmaster@HELO (RFC 7208 §2.4).\n"
    "\n"
    "  --ip IP                 the connecting client's address (IPv4 or IPv6)\n"
    "  --sender ADDR           the MAIL FROM address (may be empty)\n"
    "  --helo NAME             the HELO/EHLO name\n"
    "  --receiver NAME         the receiving host, for %{r} in explanations\n"
    "  --time WHEN             the time for %{t}: a Unix epoch or an RFC 3339 time\n"
    "                          (default: now)\n"
    "\n"
    "DNS:\n";

/* spf_json writes the result object (without closing brace). */
static bool spf_json(struct sbuf *b, const struct spf_result *r, bool *first)
{
    bool ok = json_key(b, first, "result") && json_cstr(b, auth_verdict_name(r->result));
    ok = ok && json_key(b, first, "explanation") && json_str(b, r->explanation);
    ok = ok && json_key(b, first, "domain") && json_str(b, r->domain);
    ok = ok && json_key(b, first, "mechanism") && json_str(b, r->mechanism);
    ok = ok && json_key(b, first, "lookups") && json_u64(b, r->lookups);
    ok = ok && json_key(b, first, "void_lookups") && json_u64(b, r->void_lookups);
    ok = ok && json_key(b, first, "reason") && json_cstr(b, r->reason);
    if (r->reason_where.ptr) {
        ok = ok && json_key(b, first, "where") && json_str(b, r->reason_where);
    }
    return ok;
}

/* evaluate runs one check to completion, waiting on an asynchronous resolver as needed. */
static void evaluate(struct arena *a, struct dns_resolver *r, const struct spf_request *req,
                     bool helo, struct spf_result *out)
{
    for (int round = 0; round < 1000; round++) {
        arena_reset(a);
        memset(out, 0, sizeof(*out));
        if (helo) {
            spf_check_helo(a, r, req, out);
        } else {
            spf_check_mailfrom(a, r, req, out);
        }
        if (!out->pending) {
            return;
        }
        (void)dns_wait(r, 1000);
    }
}

int cli_spf_main(int argc, char **argv)
{
    enum { O_IP = 256, O_SENDER, O_HELO, O_RECEIVER, O_TIME };
    static const struct option own[] = {
        { "ip", required_argument, NULL, O_IP },
        { "sender", required_argument, NULL, O_SENDER },
        { "helo", required_argument, NULL, O_HELO },
        { "receiver", required_argument, NULL, O_RECEIVER },
        { "time", required_argument, NULL, O_TIME },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct option *all = cli_merge_options(own, cli_dns_options);
    const char *ip = NULL, *sender = NULL, *helo = NULL, *receiver = "";
    int64_t when = (int64_t)time(NULL);
    struct cli_dns dns = { 0 };
    char err[512];
    int c, rc = 2;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", all, NULL)) != -1) {
        int dh = cli_dns_handle(&dns, c, optarg, err, sizeof err);
        if (dh != 0) {
            if (dh < 0) {
                fprintf(stderr, "authsweep spf: %s\n", err);
                goto out;
            }
            continue;
        }
        switch (c) {
        case O_IP:
            ip = optarg;
            break;
        case O_SENDER:
            sender = optarg;
            break;
        case O_HELO:
            helo = optarg;
            break;
        case O_RECEIVER:
            receiver = optarg;
            break;
        case O_TIME:
            if (!date_parse_rfc3339(cli_arg(optarg), &when)) {
                fprintf(stderr, "authsweep spf: --time needs a Unix epoch or an RFC 3339 time\n");
                goto out;
            }
            break;
        case 'h':
            fputs(usage_spf, stdout);
            fputs(cli_dns_help, stdout);
            rc = 0;
            goto out;
        default:
            fprintf(stderr, "Try 'authsweep spf --help'.\n");
            goto out;
        }
    }
    if (ip == NULL || sender == NULL || helo == NULL || optind != argc) {
        fprintf(stderr, "authsweep spf: --ip, --sender and --helo are required\n"
                        "Try 'authsweep spf --help'.\n");
        goto out;
    }
    struct spf_request req = { .mailfrom = cli_arg(sender),
                               .helo = cli_arg(helo),
                               .receiver = cli_arg(receiver),
                               .now = (int64_t)when };
    if (!spf_ip_parse(cli_arg(ip), &req.ip)) {
        fprintf(stderr, "authsweep spf: '%s' is not an IPv4 or IPv6 address\n", ip);
        goto out;
    }
    struct dns_resolver *r = cli_dns_open(&dns, err, sizeof err);
    if (r == NULL) {
        fprintf(stderr, "authsweep spf: %s\n", err);
        rc = 1;
        goto out;
    }
    struct arena *a = arena_new(0), *a2 = arena_new(0);
    struct spf_result mf, he;
    evaluate(a, r, &req, false, &mf);
    evaluate(a2, r, &req, true, &he);
    struct sbuf b;
    sbuf_init(&b, 1 << 20);
    bool first = true, f2 = true;
    bool ok = sbuf_putc(&b, '{') && spf_json(&b, &mf, &first) && json_key(&b, &first, "helo") &&
              sbuf_putc(&b, '{') && spf_json(&b, &he, &f2) && sbuf_append(&b, "}}\n", 3);
    if (ok) {
        fwrite(b.ptr, 1, b.len, stdout);
    }
    sbuf_cleanup(&b);
    arena_free(a);
    arena_free(a2);
    rc = cli_dns_close(&dns, r, err, sizeof err) && ok && fflush(stdout) == 0 ? 0 : 1;
out:
    xfree(all);
    return rc;
}
