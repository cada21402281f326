/* opendmarc_driver: OpenDMARC's verdict on the differential cases (tests/dmarc_diff).
 *
 * A separate program linked only with libopendmarc (Debian libopendmarc-dev): OpenDMARC and
 * authsweep share names (dmarc_*), so they never meet in one process (STYLE.md, "symbol
 * clashes"). It is test code, not engine code: it reads trusted, generated TSV as C strings.
 *
 * Usage: opendmarc_driver PSL_FILE < cases.tsv > verdicts.tsv
 *
 * Input, one case a line, tab-separated (gen_cases.py writes it; "-" means empty):
 *   id kinds from policy_domain record dkim spf exists sample
 *     dkim    "d:result,d:result" in signature order (result: pass fail temperror permerror)
 *     spf     "domain:result" (pass fail softfail neutral none temperror permerror)
 *     exists  y/n: whether the From domain exists (only authsweep's np needs it)
 *     sample  in/out: RFC 7489 pct sampling; OpenDMARC's library has none (see below)
 *
 * For each case the driver runs OpenDMARC's own path, the one its milter uses:
 *   opendmarc_policy_store_from_domain, then opendmarc_policy_query_dmarc over OpenDMARC's
 *   fake-DNS table (opendmarc_dns_fake_record) holding only "_dmarc.<policy_domain>" -> record
 *   (no network: with a non-empty table every other name is NO_DATA), so OpenDMARC does its own
 *   discovery: the From domain, then its PSL Organizational Domain (opendmarc_tld_read_file
 *   with the same list authsweep loads). Then opendmarc_policy_store_dkim per signature (after
 *   the record: store_dkim reads adkim), opendmarc_policy_store_spf (MAIL FROM), and
 *   opendmarc_get_policy_to_enforce, opendmarc_policy_fetch_alignment and
 *   opendmarc_policy_fetch_utilized_domain. The fake table only grows, so each case runs in
 *   a child process (fork) that adds its one record.
 *
 * Output, one line a case, tab-separated:
 *   id result dkim_align spf_align policy utilized pct status
 *     result    pass / fail / none (none: no record found, or query_dmarc did not return
 *               DMARC_PARSE_OKAY, which a library user such as the milter treats as "no
 *               record")
 *     *_align   pass / fail / - (- when no record applies)
 *     policy    none / quarantine / reject on fail, "-" otherwise
 *     utilized  opendmarc_policy_fetch_utilized_domain, or "-"
 *     pct       opendmarc_policy_fetch_pct, or "-"; the library only reports pct, it never
 *               samples (get_policy_to_enforce returns p/sp whatever pct says)
 *     status    query_dmarc's status as a word (okay, no_record, bad_value, bad_version,
 *               no_required_p, ...) */
#include <opendmarc/dmarc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define DRV_MAX_FIELDS 9
#define DRV_LINE 8192

static const char *status_word(int st)
{
    switch (st) {
    case DMARC_PARSE_OKAY:
        return "okay";
    case DMARC_PARSE_ERROR_EMPTY:
        return "empty";
    case DMARC_PARSE_ERROR_NULL_CTX:
        return "null_ctx";
    case DMARC_PARSE_ERROR_BAD_VERSION:
        return "bad_version";
    case DMARC_PARSE_ERROR_BAD_VALUE:
        return "bad_value";
    case DMARC_PARSE_ERROR_NO_REQUIRED_P:
        return "no_required_p";
    case DMARC_PARSE_ERROR_NO_DOMAIN:
        return "no_domain";
    case DMARC_PARSE_ERROR_NO_ALLOC:
        return "no_alloc";
    case DMARC_PARSE_ERROR_BAD_SPF_MACRO:
        return "bad_macro";
    case DMARC_DNS_ERROR_NO_RECORD:
        return "no_record";
    case DMARC_DNS_ERROR_NXDOMAIN:
        return "nxdomain";
    case DMARC_DNS_ERROR_TMPERR:
        return "tmperr";
    default:
        return "other";
    }
}

static int dkim_outcome(const char *r)
{
    if (strcmp(r, "pass") == 0) {
        return DMARC_POLICY_DKIM_OUTCOME_PASS;
    }
    if (strcmp(r, "temperror") == 0) {
        return DMARC_POLICY_DKIM_OUTCOME_TMPFAIL;
    }
    if (strcmp(r, "none") == 0) {
        return DMARC_POLICY_DKIM_OUTCOME_NONE;
    }
    return DMARC_POLICY_DKIM_OUTCOME_FAIL; /* fail, permerror, neutral, policy */
}

static int spf_outcome(const char *r)
{
    if (strcmp(r, "pass") == 0) {
        return DMARC_POLICY_SPF_OUTCOME_PASS;
    }
    if (strcmp(r, "temperror") == 0) {
        return DMARC_POLICY_SPF_OUTCOME_TMPFAIL;
    }
    if (strcmp(r, "none") == 0) {
        return DMARC_POLICY_SPF_OUTCOME_NONE;
    }
    return DMARC_POLICY_SPF_OUTCOME_FAIL; /* fail, softfail, neutral, permerror */
}

static const char *align_word(int a, int pass)
{
    return a == pass ? "pass" : "fail";
}

/* store_auth feeds the DKIM list and the SPF result of a case to pctx. */
static void store_auth(DMARC_POLICY_T *pctx, char *dkim, char *spf)
{
    if (strcmp(dkim, "-") != 0) {
        char *save = NULL;
        for (char *item = strtok_r(dkim, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
            char *colon = strrchr(item, ':');
            if (colon == NULL) {
                continue;
            }
            *colon = '\0';
            (void)opendmarc_policy_store_dkim(pctx, (u_char *)item, (u_char *)"sel",
                                              dkim_outcome(colon + 1), NULL);
        }
    }
    if (strcmp(spf, "-") != 0) {
        char *colon = strrchr(spf, ':');
        if (colon != NULL) {
            *colon = '\0';
            (void)opendmarc_policy_store_spf(pctx, (u_char *)spf, spf_outcome(colon + 1),
                                             DMARC_POLICY_SPF_ORIGIN_MAILFROM, NULL);
        }
    }
}

/* run_case prints one verdict line; it runs in a child (the fake-DNS table is global). */
static void run_case(char **f)
{
    const char *id = f[0], *from = f[2], *pdom = f[3], *record = f[4];
    char name[512];
    if (strcmp(pdom, "-") != 0 && strcmp(record, "-") != 0) {
        snprintf(name, sizeof(name), "_dmarc.%s", pdom);
        opendmarc_dns_fake_record(name, record);
    } else {
        /* a non-empty table keeps every lookup offline: this name is never asked */
        opendmarc_dns_fake_record("_dmarc.dmarc-diff.invalid", "v=DMARC1; p=none");
    }
    DMARC_POLICY_T *pctx = opendmarc_policy_connect_init((u_char *)"192.0.2.1", 0);
    if (pctx == NULL) {
        printf("%s\terror\t-\t-\t-\t-\t-\tconnect_init\n", id);
        return;
    }
    int st = opendmarc_policy_store_from_domain(pctx, (u_char *)from);
    if (st == DMARC_PARSE_OKAY) {
        st = opendmarc_policy_query_dmarc(pctx, NULL);
    }
    if (st != DMARC_PARSE_OKAY) {
        printf("%s\tnone\t-\t-\t-\t-\t-\t%s\n", id, status_word(st));
        (void)opendmarc_policy_connect_shutdown(pctx);
        return;
    }
    store_auth(pctx, f[5], f[6]);
    int pol = opendmarc_get_policy_to_enforce(pctx);
    int da = 0, sa = 0, pct = -1;
    (void)opendmarc_policy_fetch_alignment(pctx, &da, &sa);
    (void)opendmarc_policy_fetch_pct(pctx, &pct);
    u_char util[DMARC_MAXHOSTNAMELEN + 1] = { 0 };
    if (opendmarc_policy_fetch_utilized_domain(pctx, util, sizeof(util)) != DMARC_PARSE_OKAY) {
        snprintf((char *)util, sizeof(util), "-");
    }
    const char *result = "fail", *policy = "-";
    switch (pol) {
    case DMARC_POLICY_PASS:
        result = "pass";
        break;
    case DMARC_POLICY_NONE:
        policy = "none";
        break;
    case DMARC_POLICY_QUARANTINE:
        policy = "quarantine";
        break;
    case DMARC_POLICY_REJECT:
        policy = "reject";
        break;
    case DMARC_POLICY_ABSENT:
        result = "none";
        break;
    default:
        result = "error";
        break;
    }
    printf("%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", id, result,
           align_word(da, DMARC_POLICY_DKIM_ALIGNMENT_PASS),
           align_word(sa, DMARC_POLICY_SPF_ALIGNMENT_PASS), policy, (const char *)util, pct,
           status_word(st));
    (void)opendmarc_policy_connect_shutdown(pctx);
}

static size_t split_tabs(char *line, char **f, size_t max)
{
    size_t n = 0;
    char *p = line;
    while (n < max) {
        f[n++] = p;
        char *t = strchr(p, '\t');
        if (t == NULL) {
            break;
        }
        *t = '\0';
        p = t + 1;
    }
    return n;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s PSL_FILE < cases.tsv\n", argv[0]);
        return 2;
    }
    OPENDMARC_LIB_T lib;
    memset(&lib, 0, sizeof(lib));
    lib.tld_type = OPENDMARC_TLD_TYPE_MOZILLA;
    snprintf((char *)lib.tld_source_file, sizeof(lib.tld_source_file), "%s", argv[1]);
    int st = opendmarc_policy_library_init(&lib);
    if (st != DMARC_PARSE_OKAY) {
        fprintf(stderr, "opendmarc_policy_library_init(%s): %d\n", argv[1], st);
        return 1;
    }
    static char line[DRV_LINE];
    int rc = 0;
    while (fgets(line, sizeof(line), stdin) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '\0' || line[0] == '#') {
            continue;
        }
        char *f[DRV_MAX_FIELDS];
        if (split_tabs(line, f, DRV_MAX_FIELDS) != DRV_MAX_FIELDS) {
            fprintf(stderr, "bad case line: %s\n", line);
            rc = 1;
            continue;
        }
        fflush(stdout);
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            rc = 1;
            break;
        }
        if (pid == 0) {
            run_case(f);
            fflush(stdout);
            _exit(0);
        }
        int ws = 0;
        if (waitpid(pid, &ws, 0) < 0 || !WIFEXITED(ws) || WEXITSTATUS(ws) != 0) {
            printf("%s\tcrash\t-\t-\t-\t-\t-\tcrash\n", f[0]);
        }
    }
    (void)opendmarc_policy_library_shutdown(&lib);
    return rc;
}
