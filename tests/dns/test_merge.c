#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dns/merge.h"
#include "dns/snapshot.h"
#include "tests/support/guard.h"

static char dir[128];

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/authsweep-merge-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    (void)system(cmd);
}

static const char *put(const char *name, const char *text)
{
    static char paths[8][256];
    static int k;
    char *p = paths[k++ % 8];
    snprintf(p, 256, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    fputs(text, f);
    fclose(f);
    return p;
}

static enum dns_status look(struct dns_resolver *r, const char *name, uint16_t type,
                            char *txt, size_t txt_len)
{
    const struct dns_answer *a;
    enum dns_status st = dns_lookup(r, slice_make(name, strlen(name)), type, &a);
    txt[0] = 0;
    if (st == DNS_OK && type == DNS_T_TXT) {
        struct arena *ar = arena_new(0);
        slice s;
        cr_assert(dns_txt_join(&a->rr[0], ar, &s));
        snprintf(txt, txt_len, "%.*s", SLICE_FMT(s));
        arena_free(ar);
    }
    dns_release(r, a);
    return st;
}

TestSuite(dnsmerge, .init = setup, .fini = teardown);

Test(dnsmerge, newest_snapshot_wins_per_name_and_type)
{
    const char *old = put("old.zone", "; authsweep-recorded: 2024-01-01T00:00:00Z\n"
                                      "a.example. 300 IN TXT \"old-a\"\n"
                                      "b.example. 300 IN TXT \"old-b\"\n"
                                      ";! nxdomain gone.example.\n"
                                      "c.example. 300 IN A 192.0.2.1\n");
    const char *nw = put("new.zone", "; authsweep-recorded: 2025-06-01T00:00:00Z\n"
                                     "a.example. 300 IN TXT \"new-a\"\n"
                                     "gone.example. 300 IN TXT \"back\"\n"
                                     "c.example. 300 IN CNAME a.example.\n");
    const char *paths[] = { nw, old }; /* argument order does not matter when dated */
    char out[256], err[256], txt[64];
    snprintf(out, sizeof out, "%s/merged.zone", dir);
    FILE *log = tmpfile();
    cr_assert(dnsmerge_files(paths, 2, out, log, err, sizeof err), "%s", err);
    fclose(log);
    struct dns_resolver *r = snapshot_load(out, err, sizeof err);
    cr_assert_not_null(r, "%s", err);
    cr_assert_eq(look(r, "a.example", DNS_T_TXT, txt, sizeof txt), DNS_OK);
    cr_assert_str_eq(txt, "new-a");
    cr_assert_eq(look(r, "b.example", DNS_T_TXT, txt, sizeof txt), DNS_OK);
    cr_assert_str_eq(txt, "old-b", "a fact only the old run saw is kept");
    cr_assert_eq(look(r, "gone.example", DNS_T_TXT, txt, sizeof txt), DNS_OK,
                 "newer data replaces an older NXDOMAIN");
    cr_assert_eq(look(r, "c.example", DNS_T_TXT, txt, sizeof txt), DNS_OK,
                 "the newer CNAME replaced the older A and leads to a.example");
    cr_assert_str_eq(txt, "new-a");
    dns_resolver_free(r);
}

Test(dnsmerge, newer_nxdomain_removes_older_data_and_undated_files_are_oldest)
{
    const char *undated = put("u.zone", "x.example. 300 IN TXT \"undated\"\n"
                                        "y.example. 300 IN TXT \"undated-y\"\n");
    const char *dated = put("d.zone", "; authsweep-recorded: 2020-01-01T00:00:00Z\n"
                                      ";! nxdomain x.example.\n");
    const char *paths[] = { dated, undated };
    char out[256], err[256], txt[64];
    snprintf(out, sizeof out, "%s/m.zone", dir);
    cr_assert(dnsmerge_files(paths, 2, out, NULL, err, sizeof err), "%s", err);
    struct dns_resolver *r = snapshot_load(out, err, sizeof err);
    cr_assert_not_null(r, "%s", err);
    cr_assert_eq(look(r, "x.example", DNS_T_TXT, txt, sizeof txt), DNS_NXDOMAIN);
    cr_assert_eq(look(r, "y.example", DNS_T_TXT, txt, sizeof txt), DNS_OK);
    dns_resolver_free(r);
}

Test(dnsmerge, relative_names_are_refused_with_file_and_line)
{
    const char *rel = put("rel.zone", "$ORIGIN example.\nwww 300 IN A 192.0.2.1\n");
    const char *paths[] = { rel };
    char out[256], err[256];
    snprintf(out, sizeof out, "%s/m.zone", dir);
    cr_assert_not(dnsmerge_files(paths, 1, out, NULL, err, sizeof err));
    cr_assert_not_null(strstr(err, "rel.zone:1"), "%s", err);
    cr_assert_neq(access(out, F_OK), 0, "nothing written");
}
