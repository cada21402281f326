/* summary: 8. REPORT. The run's counts as one JSON file (--summary FILE), for dashboards.
 *
 *   {"run": {version, options (the command line), started (RFC 3339), started_epoch,
 *            elapsed_seconds, threads, format, dmarc_mode, inputs, unreadable_inputs,
 *            interrupted},
 *    "totals": COUNTS + {"dkim_signatures": per-signature results, "unsigned": n},
 *    "domains": [{"domain": author domain, COUNTS...}, ...],   busiest first, then by name
 *    "domains_over_limit": messages of domains past SUMM_MAX_DOMAINS (counted in totals)}
 *
 * COUNTS = "messages", "errors" (records with an error), and per message:
 *   "dkim":        pass if any signature passed, else the first signature's result; none
 *                  when unsigned; not_run when DKIM was not checked (an error record)
 *   "spf", "dmarc": the record's result, or not_run
 *   "disposition": none / quarantine / reject when a DMARC policy applied, else no_policy
 *   "class":       the record's class
 * Every key is always written (zeros included), so the shape never changes.
 *
 * The author domain is the DMARC author domain (the From: domain, lower case), "(none)" when
 * there is not exactly one. Threads: summ_add is called by every worker; counters are
 * relaxed atomics in a shmap per domain (sharded locks, held only to find or insert);
 * memory is bounded by SUMM_MAX_DOMAINS entries. */
#ifndef AUTHSWEEP_SUMMARY_H
#define AUTHSWEEP_SUMMARY_H

#include "engine/core/limits.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/report/record.h"

#define SUMM_MAX_DOMAINS LIM_SUMMARY_DOMAINS
struct summ_meta {
    const char *version;
    const char *const *argv; /* the command line as given */
    size_t argc;
    const char *const *inputs;
    size_t n_inputs;
    int64_t started;         /* epoch seconds */
    double elapsed;          /* seconds */
    unsigned threads;
    const char *format;      /* json, ar, csv */
    const char *dmarc_mode;  /* rfc9989, rfc7489, both, off */
    uint64_t unreadable_inputs;
    bool interrupted;
};

struct summ;
struct summ *summ_new(void);
void summ_free(struct summ *s);
/* summ_add counts one message (any thread). */
void summ_add(struct summ *s, const struct msg_result *r);
/* summ_write writes the JSON file (via path.partial, renamed when complete). False with a
 * message in err. */
bool summ_write(struct summ *s, const char *path, const struct summ_meta *m, char *err,
                size_t err_len);

#endif
