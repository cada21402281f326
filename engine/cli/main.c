/* authsweep command line: argument parsing, wiring of the stages, summary and progress.
 * Everything that judges messages lives in the engine; this file only connects it. */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/cli/cli_arg.h"
#include "engine/cli/cmd_dns_merge.h"
#include "engine/cli/cmd_spf.h"
#include "engine/cli/dns_opts.h"
#include "engine/cli/outfile.h"
#include "engine/core/arena.h"
#include "engine/core/limits.h"
#include "engine/header/date.h"
#include "engine/pipeline.h"
#include "engine/report/csv.h"
#include "engine/verify/prehash.h"
#include "engine/verify/sig.h"
#include "io/input.h"

#define AUTHSWEEP_VERSION "0.1.0"

static const char usage_main[] =
    "Usage: authsweep COMMAND [OPTIONS] ...\n"
    "\n"
    "Verify the email authentication (DKIM) of whole mail archives, offline.\n"
    "\n"
    "Commands:\n"
    "  verify [OPTIONS] INPUT...   verify every message; one JSON line per message\n"
    "  spf --ip IP --sender ADDR --helo NAME [OPTIONS]\n"
    "                              evaluate SPF for one connection (RFC 7208)\n"
    "  dns-merge -o OUT SNAPSHOT...  join DNS snapshots recorded by several runs\n"
    "  help [COMMAND]              show help for a command\n"
    "\n"
    "Run 'authsweep verify --help' for the options. See also authsweep(1).\n";

static const char usage_verify[] =
    "Usage: authsweep verify [OPTIONS] INPUT...\n"
    "\n"
    "Verify every DKIM signature of every message in the INPUTs and write one JSON object per\n"
    "message (JSON Lines). INPUT is an mbox file (mboxo or mboxrd), a Maildir folder (a tree of\n"
    "them is walked), a message file, a folder of message files, or '-' for standard input\n"
    "(one message, or an mbox). Records come out in input order; folders are read in byte-wise\n"
    "sorted name order.\n"
    "\n"
    "DKIM:\n"
    "  --max-signatures N      verify at most N signatures per message (default 10); the\n"
    "                          rest are reported with reason skipped_limit\n"
    "  --allow-sha1            verify rsa-sha1 signatures (flagged) instead of failing them\n"
    "                          with sha1_rejected (RFC 8301); for archives older than 2018\n"
    "  --as-of WHEN            the evaluation time for x= (expiry) and t= (timestamp):\n"
    "                            received  the newest Received date, else the mbox From_\n"
    "                                      line date, else now (default)\n"
    "                            now       the time the run started\n"
    "                            TIME      an RFC 3339 time (2024-03-01T12:00:00Z) or a Unix\n"
    "                                      epoch in seconds\n"
    "\n"
    "SPF (RFC 7208), judged for the connection the archive owner's boundary MTA received:\n"
    "  --spf-received N        take the client address and HELO from the Nth Received field\n"
    "                          from the top (default: the newest one whose from clause has a\n"
    "                          public address literal)\n"
    "  --spf-trust-by HOST     take them from the newest Received field written by HOST\n"
    "                          (repeatable; '.example.org' matches its subdomains)\n"
    "  --no-spf                do not evaluate SPF\n"
    "  --trust-authserv-id ID  keep, as `recorded`, the results that host ID wrote in\n"
    "                          Authentication-Results / Received-SPF (repeatable); the\n"
    "                          summary counts messages where they differ from ours\n"
    "\n"
    "DMARC (RFC 9989 by default):\n"
    "  --dmarc-mode MODE       rfc9989 (default), rfc7489 (organizational domain from the\n"
    "                          Public Suffix List, pct applied per message), or both (each\n"
    "                          record shows both; `differs` marks where the outcome changes)\n"
    "  --apply-reject          apply p=reject as published (RFC 9989 §7.4 has a receiver\n"
    "                          with no other knowledge quarantine instead)\n"
    "  --psl FILE              the Public Suffix List for rfc7489 (default: Debian's)\n"
    "  --no-dmarc              do not evaluate DMARC\n"
    "\n"
    "ARC (RFC 8617):\n"
    "  --arc-trusted-sealer DOMAIN\n"
    "                          a forwarder whose intact ARC chain and recorded dmarc=pass\n"
    "                          override a DMARC fail (local policy: the result stays fail,\n"
    "                          `override` says why, disposition becomes none; repeatable)\n"
    "  --no-arc                do not validate ARC chains\n"
    "\n"
    "Input:\n"
    "  --max-message-size N    largest message read, in bytes (K, M, G suffixes allowed;\n"
    "                          default 64M); a larger one gets an error record\n"
    "  --no-uring              read with read(2) instead of io_uring\n"
    "  --no-batch-hash         hash each message's body on its own (OpenSSL) instead of\n"
    "                          many short bodies at once in SIMD lanes (libipsec-mb); for\n"
    "                          measurements: results are the same\n"
    "  --no-fast-rsa           let OpenSSL do RSA's public-key operation instead of\n"
    "                          authsweep's AVX-512 IFMA code (used where the CPU has it);\n"
    "                          for measurements: results are the same\n"
    "\n"
    "Output:\n"
    "  -o, --output FILE       write the records to FILE instead of standard output; they\n"
    "                          go to FILE.partial, renamed to FILE when the run completes\n"
    "  --resume                continue an interrupted run writing to -o FILE: no record\n"
    "                          lost or repeated, the result the same as one whole run\n"
    "                          (--format json only; not with --annotate, --dmarc-reports or\n"
    "                          --summary, which need every message of the run)\n"
    "  --format FMT            what is written per message:\n"
    "                            json  one JSON object per line (default; fields below)\n"
    "                            ar    the Authentication-Results header field (RFC 8601) a\n"
    "                                  receiver would have added: per message an\n"
    "                                  'X-Authsweep-Source: \"PATH\"; index=N[; offset=O]'\n"
    "                                  line, the field (folded at 78 columns), an empty line\n"
    "                            csv   RFC 4180 rows with a header row: source, index,\n"
    "                                  message_id, from_domain, dkim (\"pass:d;fail:d\"), spf,\n"
    "                                  dmarc, disposition, class, error\n"
    "  --authserv-id ID        the authserv-id of Authentication-Results (default: this\n"
    "                          host's name) and the receiver in report file names\n"
    "  --annotate OUT          also write a copy of the archive in which every message starts\n"
    "                          with its Authentication-Results field and is otherwise byte for\n"
    "                          byte the same (mbox: after the From_ line; the message's own\n"
    "                          line ends). One file INPUT: OUT is a file; one folder: OUT is a\n"
    "                          folder with the same relative paths; several INPUTs: OUT is a\n"
    "                          folder with one entry per INPUT, named as its last component.\n"
    "                          OUT must not exist; standard input is refused\n"
    "  --dmarc-reports DIR     also write one DMARC aggregate report (RFC 9990 XML) per DMARC\n"
    "                          policy domain into DIR, named\n"
    "                          RECEIVER!POLICY-DOMAIN!BEGIN!END.xml (RECEIVER: --authserv-id,\n"
    "                          which must then be a domain name; BEGIN/END: the earliest and\n"
    "                          latest evaluation time of its messages). Messages without a\n"
    "                          known connecting address are left out (counted)\n"
    "  --report-org NAME       report_metadata org_name (default: the authserv-id)\n"
    "  --report-email ADDR     report_metadata email (default: postmaster@authserv-id)\n"
    "  --summary FILE          also write the run's counts as JSON: totals and per author\n"
    "                          domain, by DKIM, SPF and DMARC result, disposition and class,\n"
    "                          with the version, options, start time and elapsed time\n"
    "  --threads N             threads that read and verify (default: the online CPUs)\n"
    "  --progress              show a progress line on standard error\n"
    "  --no-progress           never show it (default: shown when stderr is a terminal)\n"
    "  -q, --quiet             no summary on standard error\n"
    "  -v, --verbose           say which read backend and DNS source ran, and cache figures\n"
    "  -h, --help              this help\n"
    "\n"
    "Each record has: source, index, offset, message_id, from_domain, as_of, dkim (one object\n"
    "per signature: d, s, i, a, c, bits, l, unsigned_body_bytes, result, reason, testing,\n"
    "detail) and error. README.md lists the reasons and what each result means.\n"
    "\n"
    "Interruption: a first SIGINT or SIGTERM stops reading, finishes the messages in hand,\n"
    "writes their records and exits with status 3 (run again with --resume); a second one\n"
    "exits at once.\n"
    "\n"
    "Exit status: 0 all inputs read; 1 an input could not be read, or the output could not\n"
    "be written, or --resume found an output that does not belong to these inputs (the other\n"
    "inputs are still processed); 2 usage error; 3 interrupted (resumable).\n";

struct cli_progress {
    bool on;
    struct timespec start;
};

static double elapsed_since(const struct timespec *t0)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

static void progress_draw(void *ctx, uint64_t msgs, uint64_t bytes, uint64_t total)
{
    struct cli_progress *p = ctx;
    double el = elapsed_since(&p->start);
    double rate = el > 0 ? (double)msgs / el : 0;
    char eta[32] = "?";
    if (total > 0 && bytes > 0 && bytes <= total) {
        double left = el * (double)(total - bytes) / (double)bytes;
        snprintf(eta, sizeof eta, "%.0fs", left);
    }
    fprintf(stderr, "\r\033[K%" PRIu64 " messages, %.1f MB, %.0f msg/s, ETA %s", msgs,
            (double)bytes / 1e6, rate, eta);
    fflush(stderr);
}

/* The only process-wide mutable state: set by the signal handler (on whichever thread
 * the kernel picks), polled by the worker holding the read token. A lock-free atomic, so
 * both are defined behaviour (C11 §7.14.1.1, §5.1.2.4). */
static atomic_int g_stop;
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "the stop flag must be lock-free for a handler");

static void on_signal(int sig)
{
    if (atomic_exchange_explicit(&g_stop, 1, memory_order_relaxed)) {
        _exit(128 + sig); /* a second signal: at once */
    }
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    /* A closed pipe is a write error to report (EPIPE), not a silent death. */
    signal(SIGPIPE, SIG_IGN);
}

static void on_path_error(void *ctx, const char *path, const char *detail)
{
    const struct cli_progress *p = ctx;
    (void)path;
    /* Clear the progress line first, but write no escape codes when there is none. */
    fprintf(stderr, "%sauthsweep: %s\n", p != NULL && p->on ? "\r\033[K" : "", detail);
}

static void print_verify_help(FILE *f)
{
    /* The DNS block comes from dns_opts.c, which owns those options. */
    const char *cut = strstr(usage_verify, "DKIM:\n");
    fwrite(usage_verify, 1, (size_t)(cut - usage_verify), f);
    fputs("DNS:\n", f);
    fputs(cli_dns_help, f);
    fputs("\n", f);
    fputs(cut, f);
}

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "authsweep: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'authsweep verify --help'.\n");
    return 2;
}

static void print_summary(const struct pipe_stats *st, double el, const char *backend,
                          size_t path_errors)
{
    const uint64_t *c = st->c;
    fprintf(stderr,
            "authsweep: %" PRIu64 " messages, %" PRIu64 " records, %" PRIu64 " with errors, "
            "%zu unreadable inputs\n"
            "authsweep: dkim: %" PRIu64 " signatures: %" PRIu64 " pass, %" PRIu64 " fail, %" PRIu64
            " policy, %" PRIu64 " neutral, %" PRIu64 " temperror, %" PRIu64 " permerror; "
            "%" PRIu64 " messages with a passing signature, %" PRIu64 " unsigned\n"
            "authsweep: spf: %" PRIu64 " pass, %" PRIu64 " fail, %" PRIu64 " softfail, %" PRIu64
            " neutral, %" PRIu64 " none, %" PRIu64 " temperror, %" PRIu64 " permerror\n"
            "authsweep: class: %" PRIu64 " authenticated, %" PRIu64 " spoofed, %" PRIu64
            " suspicious, %" PRIu64 " unprotected, %" PRIu64 " undetermined; rfc9989/rfc7489 "
            "outcomes differ for %" PRIu64 "\n"
            "authsweep: arc: %" PRIu64 " chains pass, %" PRIu64 " fail; %" PRIu64
            " DMARC failures overridden by a trusted forwarder\n"
            "authsweep: recorded results: %" PRIu64 " messages, %" PRIu64 " disagree with ours\n"
            "authsweep: %.2f s, %.0f messages/s (read: %s)\n",
            c[PC_MESSAGES], c[PC_RECORDS], c[PC_ERRORS], path_errors, c[PC_SIGS], c[PC_SIG_PASS],
            c[PC_SIG_FAIL], c[PC_SIG_POLICY], c[PC_SIG_NEUTRAL], c[PC_SIG_TEMPERROR],
            c[PC_SIG_PERMERROR], c[PC_MSG_DKIM_PASS], c[PC_NO_DKIM], c[PC_SPF_PASS],
            c[PC_SPF_FAIL], c[PC_SPF_SOFTFAIL], c[PC_SPF_NEUTRAL], c[PC_SPF_NONE],
            c[PC_SPF_TEMPERROR], c[PC_SPF_PERMERROR], c[PC_CLASS_AUTHENTICATED],
            c[PC_CLASS_SPOOFED], c[PC_CLASS_SUSPICIOUS], c[PC_CLASS_UNPROTECTED],
            c[PC_CLASS_UNDETERMINED], c[PC_DMARC_MODES_DIFFER], c[PC_ARC_PASS], c[PC_ARC_FAIL],
            c[PC_DMARC_OVERRIDDEN], c[PC_RECORDED], c[PC_RECORDED_DISAGREE], el,
            el > 0 ? (double)c[PC_MESSAGES] / el : 0.0, backend);
}

/* print_domains: the class counts of the `max` author domains with most messages. */
static void print_domains(struct pipe_domains *d, size_t max)
{
    size_t n;
    struct pipe_domain_count *v = pipe_domains_list(d, &n);
    if (n > 0) {
        fprintf(stderr, "authsweep: by author domain (authenticated/spoofed/suspicious/"
                        "unprotected/undetermined)%s:\n", n > max ? ", busiest first" : "");
    }
    for (size_t i = 0; i < n && i < max; i++) {
        fprintf(stderr, "authsweep:   %-40.*s %6" PRIu64 " %6" PRIu64 " %6" PRIu64 " %6" PRIu64
                " %6" PRIu64 "\n", SLICE_FMT(v[i].domain), v[i].n[0], v[i].n[1], v[i].n[2],
                v[i].n[3], v[i].n[4]);
    }
    if (n > max) {
        fprintf(stderr, "authsweep:   ... %zu more (all of them with --verbose)\n", n - max);
    }
    xfree(v);
}

/* Output options of verify (engine/report). */
struct cli_out {
    enum record_format format;
    const char *format_name;
    const char *authserv_id; /* NULL: the host name */
    const char *annotate;
    const char *reports;
    const char *report_org, *report_email;
    const char *summary;
};

static bool parse_format(const char *s, struct cli_out *o)
{
    static const struct { const char *name; enum record_format f; } fmts[] = {
        { "json", RECORD_FMT_JSON }, { "ar", RECORD_FMT_AR }, { "csv", RECORD_FMT_CSV },
    };
    for (size_t i = 0; i < sizeof fmts / sizeof fmts[0]; i++) {
        if (strcmp(s, fmts[i].name) == 0) {
            o->format = fmts[i].f;
            o->format_name = fmts[i].name;
            return true;
        }
    }
    return false;
}

/* out_prepare checks the output options and makes what they need: the authserv-id (host
 * name by default), the annotate target, the aggregator and the summary. Returns 0, or the
 * exit status (2 usage, 1 I/O) after saying why. */
static int out_prepare(struct cli_out *o, struct pipe_config *cfg, struct ar_opts *ar,
                       char *host, size_t host_len, const char *const *inputs, size_t n_inputs,
                       bool resume)
{
    if (resume && (o->format != RECORD_FMT_JSON || o->annotate || o->reports || o->summary)) {
        return usage_error("%s", "--resume works with --format json only, and without "
                                 "--annotate, --dmarc-reports and --summary");
    }
    if (o->authserv_id == NULL) {
        if (gethostname(host, host_len) != 0 || host[0] == 0) {
            snprintf(host, host_len, "localhost");
        }
        host[host_len - 1] = 0;
        o->authserv_id = host;
    }
    ar->authserv_id = cli_arg(o->authserv_id);
    if (!ar_authserv_id_ok(ar->authserv_id)) {
        return usage_error("--authserv-id needs printable ASCII without spaces, not '%s'",
                           o->authserv_id);
    }
    if (o->reports && !agg_receiver_ok(ar->authserv_id)) {
        return usage_error("--dmarc-reports names files after the receiver's domain name: "
                           "give --authserv-id mx.example.org ('%s' is not a domain name)",
                           o->authserv_id);
    }
    cfg->format = o->format;
    cfg->ar = ar;
    char err[1024];
    if (o->annotate) {
        enum annot_status st = annot_open(&cfg->annotate, o->annotate, inputs, n_inputs, err,
                                          sizeof err);
        if (st == ANNOT_E_USAGE) {
            return usage_error("%s", err);
        }
        if (st != ANNOT_OK) {
            fprintf(stderr, "authsweep: %s\n", err);
            return 1;
        }
    }
    if (o->reports) {
        char email[512];
        snprintf(email, sizeof email, "postmaster@%s", o->authserv_id);
        const char *org = o->report_org ? o->report_org : o->authserv_id;
        const char *mail = o->report_email ? o->report_email : email;
        struct agg_opts ao = { .receiver = ar->authserv_id,
                               .org_name = cli_arg(org),
                               .email = cli_arg(mail),
                               .generator = SLICE_LIT("authsweep " AUTHSWEEP_VERSION) };
        cfg->agg = agg_new(&ao);
    }
    if (o->summary) {
        cfg->summary = summ_new();
    }
    return 0;
}

/* out_finish writes the reports and the summary and closes the annotated copy; false if
 * one of them failed (said on stderr). */
static bool out_finish(struct cli_out *o, struct pipe_config *cfg, const struct summ_meta *meta,
                       bool quiet)
{
    char err[1024];
    bool ok = true;
    if (cfg->annotate) {
        uint64_t n;
        if (!annot_finish(cfg->annotate, &n, err, sizeof err)) {
            fprintf(stderr, "authsweep: %s\n", err);
            ok = false;
        } else if (!quiet) {
            fprintf(stderr, "authsweep: annotated copy: %" PRIu64 " messages in %s\n", n,
                    o->annotate);
        }
        annot_free(cfg->annotate);
        cfg->annotate = NULL;
    }
    if (cfg->agg) {
        struct agg_stats as;
        if (!agg_write(cfg->agg, o->reports, &as, err, sizeof err)) {
            fprintf(stderr, "authsweep: --dmarc-reports: %s\n", err);
            ok = false;
        }
        if (!quiet || as.dropped) {
            fprintf(stderr, "authsweep: dmarc reports: %zu files in %s, %zu rows, %" PRIu64
                    " messages; left out: %" PRIu64 " without a DMARC policy record, %" PRIu64
                    " without a known connecting address, %" PRIu64 " over the limits\n",
                    as.files, o->reports, as.rows, as.messages, as.no_policy, as.no_ip,
                    as.dropped);
        }
        agg_free(cfg->agg);
        cfg->agg = NULL;
    }
    if (cfg->summary) {
        if (!summ_write(cfg->summary, o->summary, meta, err, sizeof err)) {
            fprintf(stderr, "authsweep: %s\n", err);
            ok = false;
        }
        summ_free(cfg->summary);
        cfg->summary = NULL;
    }
    return ok;
}

enum {
    O_NO_ARC = 230, O_ARC_TRUSTED,
    O_DMARC_MODE = 240, O_APPLY_REJECT, O_PSL, O_NO_DMARC,
    O_SPF_RCV = 250, O_SPF_TRUST, O_NO_SPF, O_AUTHSERV, O_RESUME = 255,
    O_MAXSIG = 256, O_SHA1, O_ASOF, O_MAXMSG, O_NOURING, O_NOBATCHHASH, O_NOFASTRSA, O_THREADS, O_PROGRESS, O_NOPROGRESS,
    O_FORMAT = 300, O_AUTHSERV_ID, O_ANNOTATE, O_REPORTS, O_REPORT_ORG, O_REPORT_EMAIL,
    O_SUMMARY,
};

static const struct option verify_options[] = {
    { "max-signatures", required_argument, NULL, O_MAXSIG },
    { "allow-sha1", no_argument, NULL, O_SHA1 },
    { "as-of", required_argument, NULL, O_ASOF },
    { "max-message-size", required_argument, NULL, O_MAXMSG },
    { "no-uring", no_argument, NULL, O_NOURING },
    { "no-batch-hash", no_argument, NULL, O_NOBATCHHASH },
    { "no-fast-rsa", no_argument, NULL, O_NOFASTRSA },
    { "output", required_argument, NULL, 'o' },
    { "resume", no_argument, NULL, O_RESUME },
    { "spf-received", required_argument, NULL, O_SPF_RCV },
    { "spf-trust-by", required_argument, NULL, O_SPF_TRUST },
    { "no-spf", no_argument, NULL, O_NO_SPF },
    { "dmarc-mode", required_argument, NULL, O_DMARC_MODE },
    { "apply-reject", no_argument, NULL, O_APPLY_REJECT },
    { "psl", required_argument, NULL, O_PSL },
    { "no-dmarc", no_argument, NULL, O_NO_DMARC },
    { "no-arc", no_argument, NULL, O_NO_ARC },
    { "arc-trusted-sealer", required_argument, NULL, O_ARC_TRUSTED },
    { "trust-authserv-id", required_argument, NULL, O_AUTHSERV },
    { "format", required_argument, NULL, O_FORMAT },
    { "authserv-id", required_argument, NULL, O_AUTHSERV_ID },
    { "annotate", required_argument, NULL, O_ANNOTATE },
    { "dmarc-reports", required_argument, NULL, O_REPORTS },
    { "report-org", required_argument, NULL, O_REPORT_ORG },
    { "report-email", required_argument, NULL, O_REPORT_EMAIL },
    { "summary", required_argument, NULL, O_SUMMARY },
    { "threads", required_argument, NULL, O_THREADS },
    { "progress", no_argument, NULL, O_PROGRESS },
    { "no-progress", no_argument, NULL, O_NOPROGRESS },
    { "quiet", no_argument, NULL, 'q' },
    { "verbose", no_argument, NULL, 'v' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

/* Everything `authsweep verify` was told, and what it made for the run. */
struct verify_args {
    int argc;
    char **argv;
    const char *output;
    bool quiet, verbose, resume, dmarc_on;
    int progress; /* -1: when stderr is a terminal */
    struct cli_dns dns;
    struct pipe_config cfg;
    struct dmarc_config dcfg;
    struct input_opts iopts;
    struct cli_out co;
    struct ar_opts ar_o;
    char host[256];
    slice *arc_trusted, *trust_by, *authserv; /* repeatable options (argc entries room) */
    size_t n_arc_trusted, n_trust_by, n_authserv;
};

enum opt_result { OPT_NOT_MINE, OPT_DONE, OPT_USAGE };

static void verify_args_init(struct verify_args *va, int argc, char **argv)
{
    memset(va, 0, sizeof(*va));
    va->argc = argc;
    va->argv = argv;
    va->progress = -1;
    va->dmarc_on = true;
    va->cfg = (struct pipe_config){ .dkim = { .max_sigs = LIM_DKIM_SIGS_DEFAULT, .clock_skew = 300 },
                                    .as_of = AS_OF_RECEIVED, .spf = true, .arc = true };
    va->dcfg = (struct dmarc_config){ .mode = DMARC_MODE_RFC9989 };
    va->iopts = (struct input_opts){ .max_message_bytes = LIM_MSG_BYTES_DEFAULT,
                                     .on_path_error = on_path_error };
    va->co = (struct cli_out){ .format = RECORD_FMT_JSON, .format_name = "json" };
    va->arc_trusted = xcalloc((size_t)argc + 1, sizeof(slice));
    va->trust_by = xcalloc((size_t)argc + 1, sizeof(slice));
    va->authserv = xcalloc((size_t)argc + 1, sizeof(slice));
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    va->cfg.threads = ncpu > 0 ? (unsigned)ncpu : 1;
    if (va->cfg.threads > LIM_THREADS_MAX) {
        va->cfg.threads = LIM_THREADS_MAX;
    }
}

static void verify_args_free(struct verify_args *va)
{
    xfree(va->arc_trusted);
    xfree(va->trust_by);
    xfree(va->authserv);
}

/* verify_opt_checks: the options that choose what is checked and how. */
static enum opt_result verify_opt_checks(struct verify_args *va, int c, const char *arg)
{
    struct pipe_config *cfg = &va->cfg;
    unsigned n;
    switch (c) {
    case O_MAXSIG:
        if (!cli_parse_uint(arg, 100000, &cfg->dkim.max_sigs)) {
            return usage_error("--max-signatures needs a number, not '%s'", arg), OPT_USAGE;
        }
        return OPT_DONE;
    case O_SHA1:
        cfg->dkim.allow_sha1 = true;
        return OPT_DONE;
    case O_ASOF:
        if (strcmp(arg, "received") == 0) {
            cfg->as_of = AS_OF_RECEIVED;
        } else if (strcmp(arg, "now") == 0) {
            cfg->as_of = AS_OF_NOW;
        } else if (date_parse_rfc3339(cli_arg(arg), &cfg->as_of_fixed)) {
            cfg->as_of = AS_OF_FIXED;
        } else {
            return usage_error("--as-of takes received, now, an RFC 3339 time or an epoch, "
                               "not '%s'", arg), OPT_USAGE;
        }
        return OPT_DONE;
    case O_SPF_RCV:
        if (!cli_parse_uint(arg, 1000, &n) || n == 0) {
            return usage_error("--spf-received needs a number from 1, not '%s'", arg), OPT_USAGE;
        }
        cfg->spf_select.nth = (int)n;
        return OPT_DONE;
    case O_SPF_TRUST:
        va->trust_by[va->n_trust_by++] = cli_arg(arg);
        return OPT_DONE;
    case O_NO_SPF:
        cfg->spf = false;
        return OPT_DONE;
    case O_DMARC_MODE:
        if (strcmp(arg, "rfc9989") == 0) {
            va->dcfg.mode = DMARC_MODE_RFC9989;
        } else if (strcmp(arg, "rfc7489") == 0) {
            va->dcfg.mode = DMARC_MODE_RFC7489;
        } else if (strcmp(arg, "both") == 0) {
            va->dcfg.mode = DMARC_MODE_BOTH;
        } else {
            return usage_error("--dmarc-mode takes rfc9989, rfc7489 or both, not '%s'", arg),
                   OPT_USAGE;
        }
        return OPT_DONE;
    case O_APPLY_REJECT:
        va->dcfg.apply_reject = true;
        return OPT_DONE;
    case O_PSL:
        va->dcfg.psl_path = arg;
        return OPT_DONE;
    case O_NO_DMARC:
        va->dmarc_on = false;
        return OPT_DONE;
    case O_NO_ARC:
        cfg->arc = false;
        return OPT_DONE;
    case O_ARC_TRUSTED:
        va->arc_trusted[va->n_arc_trusted++] = cli_arg(arg);
        return OPT_DONE;
    case O_AUTHSERV:
        va->authserv[va->n_authserv++] = cli_arg(arg);
        return OPT_DONE;
    default:
        return OPT_NOT_MINE;
    }
}

/* verify_opt_io: the options about input, output and the run. */
static enum opt_result verify_opt_io(struct verify_args *va, int c, const char *arg)
{
    switch (c) {
    case O_MAXMSG:
        if (!cli_parse_size(arg, &va->iopts.max_message_bytes)) {
            return usage_error("--max-message-size needs a size such as 64M, not '%s'", arg),
                   OPT_USAGE;
        }
        return OPT_DONE;
    case O_NOURING:
        va->iopts.force_pread = true;
        return OPT_DONE;
    case O_NOBATCHHASH:
        va->cfg.stream_body_hash = true;
        return OPT_DONE;
    case O_NOFASTRSA:
        sig_fast_rsa(false); /* before any key is parsed */
        return OPT_DONE;
    case 'o':
        va->output = arg;
        return OPT_DONE;
    case O_RESUME:
        va->resume = true;
        return OPT_DONE;
    case O_FORMAT:
        if (!parse_format(arg, &va->co)) {
            return usage_error("--format takes json, ar or csv, not '%s'", arg), OPT_USAGE;
        }
        return OPT_DONE;
    case O_AUTHSERV_ID:
        va->co.authserv_id = arg;
        return OPT_DONE;
    case O_ANNOTATE:
        va->co.annotate = arg;
        return OPT_DONE;
    case O_REPORTS:
        va->co.reports = arg;
        return OPT_DONE;
    case O_REPORT_ORG:
        va->co.report_org = arg;
        return OPT_DONE;
    case O_REPORT_EMAIL:
        va->co.report_email = arg;
        return OPT_DONE;
    case O_SUMMARY:
        va->co.summary = arg;
        return OPT_DONE;
    case O_THREADS:
        if (!cli_parse_uint(arg, LIM_THREADS_MAX, &va->cfg.threads) || va->cfg.threads == 0) {
            return usage_error("--threads needs a number from 1 to 256, not '%s'", arg),
                   OPT_USAGE;
        }
        return OPT_DONE;
    case O_PROGRESS:
        va->progress = 1;
        return OPT_DONE;
    case O_NOPROGRESS:
        va->progress = 0;
        return OPT_DONE;
    case 'q':
        va->quiet = true;
        return OPT_DONE;
    case 'v':
        va->verbose = true;
        return OPT_DONE;
    default:
        return OPT_NOT_MINE;
    }
}

/* verify_parse reads the command line into va. Returns -1 to go on, or the exit status. */
static int verify_parse(struct verify_args *va)
{
    char err[512];
    int c, rc = -1;
    optind = 1;
    struct option *all = cli_merge_options(verify_options, cli_dns_options);
    while (rc < 0 && (c = getopt_long(va->argc, va->argv, "o:qvh", all, NULL)) != -1) {
        int dh = cli_dns_handle(&va->dns, c, optarg, err, sizeof err);
        enum opt_result r = OPT_NOT_MINE;
        if (dh < 0) {
            rc = usage_error("%s", err);
        } else if (dh == 0 && (r = verify_opt_checks(va, c, optarg)) == OPT_NOT_MINE &&
                   (r = verify_opt_io(va, c, optarg)) == OPT_NOT_MINE) {
            if (c == 'h') {
                print_verify_help(stdout);
                rc = 0;
            } else {
                fprintf(stderr, "Try 'authsweep verify --help'.\n");
                rc = 2;
            }
        } else if (r == OPT_USAGE) {
            rc = 2;
        }
    }
    xfree(all);
    if (rc < 0 && optind >= va->argc) {
        rc = usage_error("%s", "verify needs at least one INPUT (a path, or - for stdin)");
    }
    return rc;
}

/* verify_report prints the summary figures (standard error). */
static void verify_report(struct verify_args *va, const struct pipe_stats *st, double elapsed,
                          struct input_set *in, size_t path_errors)
{
    if (!va->quiet) {
        print_summary(st, elapsed, input_backend_name(in), path_errors);
        print_domains(va->cfg.domains, va->verbose ? SIZE_MAX : 10);
        fputs("authsweep: dns: ", stderr);
        cli_dns_stats(&va->dns, va->cfg.resolver, stderr);
        fputc('\n', stderr);
    }
    if (va->verbose) {
        uint64_t hits, misses, evals;
        keycache_stats(va->cfg.keys, &hits, &misses);
        fprintf(stderr, "authsweep: key cache: %" PRIu64 " hits, %" PRIu64 " parsed\n", hits,
                misses);
        spfcache_stats(va->cfg.spf_cache, &hits, &evals);
        fprintf(stderr, "authsweep: spf cache: %" PRIu64 " evaluations, %" PRIu64 " reused\n",
                evals, hits);
    }
}

/* verify_outcome says what a run's end means; false if it is a failure. */
static bool verify_outcome(const struct verify_args *va, enum pipe_outcome res, int werr,
                           const struct outfile *of, const struct pipe_stats *st)
{
    switch (res) {
    case PIPE_DONE:
        return true;
    case PIPE_INTERRUPTED:
        fprintf(stderr, "authsweep: interrupted after %" PRIu64 " records%s%s; run again with "
                "--resume to continue\n", of->n_existing + st->c[PC_RECORDS],
                va->output ? " in " : "", va->output ? of->partial_path : "");
        return true;
    case PIPE_WRITE_FAILED:
        fprintf(stderr, "authsweep: writing the records failed: %s\n", strerror(werr));
        return false;
    case PIPE_SKIP_MISMATCH:
        fprintf(stderr, "authsweep: --resume: %s does not hold the records of these inputs "
                "(different inputs or options?); remove it to start afresh\n", of->partial_path);
        return false;
    }
    return false;
}

/* verify_setup makes the run's shared objects (after the output is open). Returns -1 to go
 * on, or the exit status. */
static int verify_setup(struct verify_args *va, struct outfile *of)
{
    char err[512];
    struct pipe_config *cfg = &va->cfg;
    if (va->dmarc_on) {
        cfg->dmarc = dmarc_ctx_new(&va->dcfg, err, sizeof err);
        if (cfg->dmarc == NULL) {
            fprintf(stderr, "authsweep: %s\n", err);
            return 1;
        }
    }
    cfg->domains = va->quiet ? NULL : pipe_domains_new(); /* only the summary prints it */
    cfg->resolver = cli_dns_open(&va->dns, err, sizeof err);
    if (cfg->resolver == NULL) {
        fprintf(stderr, "authsweep: %s\n", err);
        return 1;
    }
    install_signals();
    sig_global_init();
    cfg->keys = keycache_new();
    cfg->spf_cache = spfcache_new();
    cfg->spf_select.trust_by = va->trust_by;
    cfg->spf_select.n_trust_by = va->n_trust_by;
    cfg->arc_trusted = va->arc_trusted;
    cfg->n_arc_trusted = va->n_arc_trusted;
    cfg->trusted_ids = va->authserv;
    cfg->n_trusted_ids = va->n_authserv;
    cfg->run_started = of->run_started;
    return -1;
}

static void verify_teardown(struct verify_args *va, bool *ok)
{
    char err[512];
    keycache_free(va->cfg.keys);
    spfcache_free(va->cfg.spf_cache);
    dmarc_ctx_free(va->cfg.dmarc);
    pipe_domains_free(va->cfg.domains);
    if (va->cfg.resolver != NULL && !cli_dns_close(&va->dns, va->cfg.resolver, err, sizeof err)) {
        fprintf(stderr, "authsweep: %s\n", err);
        *ok = false;
    }
}

/* verify_run reads, verifies and writes; returns the exit status. */
static int verify_run(struct verify_args *va)
{
    char err[512];
    struct pipe_config *cfg = &va->cfg;
    const char *const *inputs = (const char *const *)va->argv + optind;
    size_t n_inputs = (size_t)(va->argc - optind);
    int rc = out_prepare(&va->co, cfg, &va->ar_o, va->host, sizeof va->host, inputs, n_inputs,
                         va->resume);
    if (rc != 0) {
        return rc;
    }
    struct outfile of;
    if (!outfile_open(&of, va->output, va->resume, (int64_t)time(NULL), err, sizeof err)) {
        fprintf(stderr, "authsweep: %s\n", err);
        return va->resume && va->output == NULL ? 2 : 1;
    }
    if (of.already_complete) {
        fprintf(stderr, "authsweep: %s is complete: nothing to resume\n", va->output);
        outfile_finish(&of, false, err, sizeof err);
        return 0;
    }
    bool ok = true;
    rc = verify_setup(va, &of);
    if (rc >= 0) {
        outfile_finish(&of, false, err, sizeof err);
        verify_teardown(va, &ok);
        return rc;
    }
    struct cli_progress prog = { .on = va->progress == 1 || (va->progress == -1 && isatty(2)) };
    clock_gettime(CLOCK_MONOTONIC, &prog.start);
    struct pipe_progress pp = { prog.on ? progress_draw : NULL, &prog };
    struct pipe_control ctl = { .stop = &g_stop, .skip = of.n_existing,
                                .skip_check = outfile_skip_check, .ctx = &of };
    va->iopts.ctx = &prog;
    va->iopts.no_total = !prog.on; /* the total only feeds the progress line */
    struct input_set *in = input_open(inputs, n_inputs, &va->iopts);
    if (va->verbose) {
        fprintf(stderr, "authsweep: reading with %s; ", input_backend_name(in));
        cli_dns_describe(&va->dns, stderr);
        fprintf(stderr, "; %u threads", cfg->threads);
        if (cfg->stream_body_hash) {
            fputs("; body hashes one at a time", stderr);
        } else {
            fprintf(stderr, "; short body hashes batched (%s)", prehash_backend_default());
        }
        fprintf(stderr, "; RSA public-key operation: %s", sig_rsa_backend());
        if (of.n_existing) {
            fprintf(stderr, "; resuming after %" PRIu64 " records", of.n_existing);
        }
        fputc('\n', stderr);
    }
    if (va->co.format == RECORD_FMT_CSV && of.n_existing == 0) {
        struct sbuf hb;
        sbuf_init(&hb, 256);
        if (!csv_header(&hb) || fwrite(hb.ptr, 1, hb.len, of.f) != hb.len) {
            fprintf(stderr, "authsweep: writing the records failed: %s\n", strerror(errno));
        }
        sbuf_cleanup(&hb);
    }
    struct pipe_stats st;
    enum pipe_outcome res = pipe_run(cfg, in, of.f, &pp, &ctl, &st);
    int werr = errno;
    if (prog.on) {
        fputs("\r\033[K", stderr);
    }
    ok = verify_outcome(va, res, werr, &of, &st);
    if (!outfile_finish(&of, ok && res == PIPE_DONE, err, sizeof err)) {
        fprintf(stderr, "authsweep: %s\n", err);
        ok = false;
    }
    size_t path_errors = input_path_errors(in);
    struct summ_meta meta = {
        .version = AUTHSWEEP_VERSION, .argv = (const char *const *)va->argv,
        .argc = (size_t)va->argc, .inputs = inputs, .n_inputs = n_inputs,
        .started = of.run_started, .elapsed = elapsed_since(&prog.start),
        .threads = cfg->threads, .format = va->co.format_name,
        .dmarc_mode = !va->dmarc_on ? "off" : dmarc_mode_name(va->dcfg.mode),
        .unreadable_inputs = path_errors, .interrupted = res == PIPE_INTERRUPTED };
    if (!out_finish(&va->co, cfg, &meta, va->quiet)) {
        ok = false;
    }
    verify_report(va, &st, elapsed_since(&prog.start), in, path_errors);
    input_close(in);
    verify_teardown(va, &ok);
    if (!ok || path_errors) {
        return 1;
    }
    return res == PIPE_INTERRUPTED ? 3 : 0;
}

static int cmd_verify(int argc, char **argv)
{
    struct verify_args va;
    verify_args_init(&va, argc, argv);
    int rc = verify_parse(&va);
    if (rc < 0) {
        rc = verify_run(&va);
    }
    verify_args_free(&va);
    return rc;
}

int main(int argc, char **argv)
{
    xalloc_tune();
    if (argc < 2) {
        fputs(usage_main, stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0) {
        fputs(usage_main, stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("authsweep %s\n", AUTHSWEEP_VERSION);
        return 0;
    }
    if (strcmp(cmd, "help") == 0) {
        if (argc > 2 && strcmp(argv[2], "verify") == 0) {
            print_verify_help(stdout);
        } else if (argc > 2 && strcmp(argv[2], "spf") == 0) {
            char *h[] = { "spf", "--help", NULL };
            return cli_spf_main(2, h);
        } else {
            fputs(usage_main, stdout);
        }
        return 0;
    }
    if (strcmp(cmd, "verify") == 0) {
        return cmd_verify(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "spf") == 0) {
        return cli_spf_main(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "dns-merge") == 0) {
        return cli_dns_merge_main(argc - 1, argv + 1);
    }
    fprintf(stderr, "authsweep: unknown command '%s'\n", cmd);
    fputs(usage_main, stderr);
    return 2;
}
