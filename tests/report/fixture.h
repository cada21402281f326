/* fixture: the report suites' corpus, made afresh in a temporary folder per test.
 *
 * A zone (report.zone) with DKIM keys, SPF and DMARC records for several policy domains, and
 * the same 12 messages (signed here with tests/support/dkim_sign.h) as:
 *   corpus.mbox       mboxrd, LF line ends (bodies hold "From " lines, quoted as ">From ")
 *   corpus-crlf.mbox  the same with CRLF line ends
 *   Maildir/          cur/, new/, tmp/ (empty), .Sub/cur/ (a Maildir++ folder); one CRLF file
 * What each message is meant to give (default options, RFC 9989):
 *   0,1  good.example   signed, SPF pass from 192.0.2.10      dmarc pass (one row, count 2)
 *   2    good.example   unsigned, SPF fail from 203.0.113.5   dmarc fail, p=reject ->
 *                                                             quarantine (§7.4, local_policy)
 *   3    good.example   body altered: dkim fail, SPF pass     dmarc pass (by SPF)
 *   4    quar.example   unsigned, SPF fail                    fail, t=y -> none (test mode)
 *   5    sub.quar.example unsigned, no SPF record             fail, report of quar.example
 *   6    none.example   rsa-sha1 (dkim policy), SPF softfail  fail, p=none (suspicious)
 *   7    none.example   a hostile unverifiable signature (permerror) and a good one (pass)
 *   8    tmp.example    key lookup times out (dkim temperror) dmarc temperror
 *   9    nopolicy.example unsigned, SPF neutral               dmarc none (no report)
 *   10   good.example   signed, no Received field             pass, left out of reports (no IP)
 *   11   nopolicy.example hostile Message-ID and bytes        none */
#ifndef AUTHSWEEP_TEST_REPORT_FIXTURE_H
#define AUTHSWEEP_TEST_REPORT_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>

#define FX_MESSAGES 12
#define FX_AUTHSERV "mx.report.example"

/* fx_make creates the folder and every file; returns the folder (static storage). */
const char *fx_make(void);
/* fx_cleanup removes it. */
void fx_cleanup(void);
/* fx_path: "<dir>/<name>" (static rotating buffers, 8 of them). */
const char *fx_path(const char *name);
/* fx_run runs `authsweep verify -q --no-progress --dns-snapshot report.zone ARGS` inside the
 * folder; stdout into *out (kept for the test's life), stderr into stderr.txt. Exit status. */
int fx_run(const char *args, char **out);
/* fx_read reads a file of the folder (kept for the test's life); NULL if missing. */
char *fx_read(const char *name, size_t *out_len);
/* fx_sh runs a shell command inside the folder; exit status; stdout into *out if not NULL. */
int fx_sh(const char *cmd, char **out);

#endif
