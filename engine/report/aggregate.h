/* aggregate: 8. REPORT. DMARC aggregate reports (RFC 9990, draft-ietf-dmarc-aggregate-
 * reporting-32) from the messages' DMARC results, one XML file per DMARC Policy Domain,
 * valid against the 0.2 schema (urn:ietf:params:xml:ns:dmarc-2.0).
 *
 * What goes in: every message whose DMARC evaluation found a DMARC Policy Record (result
 * pass, fail, temperror or permerror with a policy domain) and whose connecting address is
 * known (the Received field SPF used). Messages without a policy record have no one to
 * report to; messages without a known client address cannot fill the required source_ip:
 * both are counted (struct agg_stats) and left out.
 *
 * Rows: one <record> per distinct (source_ip, policy_evaluated: disposition, aligned DKIM,
 * aligned SPF, override reasons; identifiers: header_from, envelope_from; auth_results:
 * every DKIM signature's domain, selector, result (and reason as human_result), in RFC 9990
 * preference order, at most AGG_SIGS_PER_ROW; the SPF domain, scope and result), with the
 * number of messages as <count>. The row key is the record's XML text itself, so two
 * messages share a row exactly when their records would read the same.
 *
 * Report metadata: org_name and email from the options; report_id
 * "<begin>.<end>.<policy-domain>@<receiver>" (RFC 9990 ridfmt), the same on every re-run over
 * the same messages; date_range begin/end = the earliest and latest evaluation time (as_of)
 * among the domain's messages; error = the record's syntax notes, if any. policy_published
 * is the applied record (p, sp, np, adkim, aspf, fo, testing as published or defaulted;
 * discovery_method treewalk for RFC 9989, psl for RFC 7489), the first one seen for the domain
 * (RFC 9990 §"Changes in Policy": one report, one configuration).
 *
 * File name (RFC 9990 §"Email"): receiver "!" policy-domain "!" begin "!" end ".xml", in the
 * directory given; written to a hidden temporary file first and renamed, so a reader never
 * sees half a report.
 *
 * Threads: agg_add is called by every worker. Domains and rows live in two shmaps (sharded,
 * one lock per shard, held only to find or link); counts and the date range are atomics;
 * new entries are pushed on lock-free lists for the final walk. Memory is bounded by
 * AGG_MAX_DOMAINS and AGG_MAX_ROWS entries of at most AGG_ROW_MAX bytes each; messages past
 * those are counted as dropped (and said on standard error), never silently lost. agg_write
 * runs once, after the workers stopped. */
#ifndef AUTHSWEEP_AGGREGATE_H
#define AUTHSWEEP_AGGREGATE_H

#include "engine/core/limits.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/core/arena.h"
#include "engine/core/sbuf.h"
#include "engine/core/slice.h"
#include "engine/report/record.h"

#define AGG_MAX_DOMAINS LIM_REPORT_DOMAINS
#define AGG_MAX_ROWS LIM_REPORT_ROWS
#define AGG_ROW_MAX LIM_REPORT_ROW_BYTES
#define AGG_SIGS_PER_ROW 100u     /* RFC 9990 §"DKIM Signatures in Aggregate Reports" */
#define AGG_TEXT_MAX LIM_REPORT_TEXT_BYTES
struct agg_opts {
    slice receiver; /* the Mail Receiver's domain name (file names, report_id) */
    slice org_name; /* report_metadata/org_name */
    slice email;    /* report_metadata/email */
    slice generator; /* report_metadata/generator, e.g. "authsweep 0.1.0" */
};

struct agg_stats {
    uint64_t messages;  /* messages counted in some row */
    uint64_t no_policy; /* left out: no DMARC Policy Record (or DMARC not evaluated) */
    uint64_t no_ip;     /* left out: connecting address unknown */
    uint64_t dropped;   /* left out: a domain or row limit was reached */
    size_t domains, rows, files;
};

struct agg;
/* agg_new copies the options. Never NULL. */
struct agg *agg_new(const struct agg_opts *o);
void agg_free(struct agg *g);
/* agg_add counts one message (any thread). a is scratch memory for the message. */
void agg_add(struct agg *g, struct arena *a, const struct msg_result *r);
/* agg_write writes one report per policy domain into dir (created if missing). False with a
 * message in err when a file cannot be written (the others are still tried). */
bool agg_write(struct agg *g, const char *dir, struct agg_stats *out, char *err, size_t err_len);
/* agg_receiver_ok: s is an RFC 6376 domain-name (two labels or more of letters, digits,
 * hyphens), as the report file name needs for "receiver". */
bool agg_receiver_ok(slice s);

#endif
