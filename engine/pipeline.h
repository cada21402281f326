/* pipeline: the stages in order, for one message, and the threads that run them.
 *
 *   1. READ + 2. SPLIT    io/input.c          bytes -> struct input_msg (by any worker)
 *   3. PARSE HEADERS      engine/header/      header index, Message-ID, From: domain, date
 *   4. CANONICALIZE+HASH  engine/canon/       inside DKIM's body and header hashing
 *   5. DNS                dns/                through struct dns_resolver
 *   6. VERIFY             engine/verify/      DKIM signatures
 *   7. POLICY             engine/policy/      (SPF, DMARC: later issues)
 *   8. REPORT             engine/report/      one record per message (JSON line, A-R block
 *                                             or CSV row); side outputs: aggregate reports,
 *                                             summary (workers), annotated copy (writer)
 *
 * Threads: N workers run all of the stages. The input is sequential, so one worker at a
 * time holds the read token and reads and splits a batch (whenever fewer than N + 1 wait),
 * then goes back to running stages 3-8 on whole batches, each worker with its own arena
 * (reset once per message, in pipe_message only) and OpenSSL contexts; one writer thread
 * emits finished batches strictly in input order. At most
 * threads * LIM_INFLIGHT_BATCHES_PER_THREAD batches exist at once, so memory
 * is bounded by that many batches whatever the archive's size.
 *
 * DNS latency: with an asynchronous resolver a check may answer "pending". The worker then
 * parks that message and goes on with the rest of its batch and with further batches (up to
 * LIM_PARKED_BATCHES_PER_WORKER), so hundreds of lookups are in flight at once and a slow
 * answer holds up only its own message; parked messages are re-run whenever dns_wait
 * reports progress. A batch is finished when all its messages are, and the writer still
 * emits batches in input order. */
#ifndef AUTHSWEEP_PIPELINE_H
#define AUTHSWEEP_PIPELINE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "dns/dns.h"
#include "engine/core/sbuf.h"
#include "engine/header/received.h"
#include "engine/policy/dmarc.h"
#include "engine/policy/spfcache.h"
#include "engine/report/aggregate.h"
#include "engine/report/annotate.h"
#include "engine/report/ar.h"
#include "engine/report/record.h"
#include "engine/report/summary.h"
#include "engine/verify/dkim.h"
#include "engine/verify/keycache.h"
#include "io/input.h"

enum as_of_mode {
    AS_OF_RECEIVED = 0, /* newest Received date, else the From_ line date, else now */
    AS_OF_NOW,
    AS_OF_FIXED,
};

struct pipe_config {
    struct dns_resolver *resolver;
    struct keycache *keys;
    struct dkim_opts dkim; /* .now is set per message */
    enum as_of_mode as_of;
    int64_t as_of_fixed;
    int64_t run_started;   /* "now" for the whole run, so that records are reproducible */
    unsigned threads;
    bool stream_body_hash;           /* --no-batch-hash: no prehash pass (engine/verify/
                                        prehash.h); each body hashed on its own */
    /* SPF */
    bool spf;                        /* evaluate SPF (default on) */
    struct spfcache *spf_cache;      /* required when spf */
    struct rcv_select_opts spf_select; /* --spf-received / --spf-trust-by */
    /* ARC */
    bool arc;                        /* validate ARC chains (default on) */
    const slice *arc_trusted;        /* --arc-trusted-sealer: forwarders whose dmarc=pass
                                        overrides a DMARC fail (local policy) */
    size_t n_arc_trusted;
    /* DMARC */
    struct dmarc_ctx *dmarc;         /* NULL: DMARC not evaluated (--no-dmarc) */
    /* per author domain class counts (optional; see pipe_domain_stats) */
    struct pipe_domains *domains;
    /* --trust-authserv-id: whose recorded results to keep (none: `recorded` is left out) */
    const slice *trusted_ids;
    size_t n_trusted_ids;
    /* Output (engine/report). format: what goes to `out` per message (ar needs `ar`). The
     * rest are optional side outputs, NULL when off: agg (--dmarc-reports) and summary
     * (--summary) are counted by the workers (thread-safe, bounded); annotate (--annotate)
     * is written by the writer thread in input order, from the Authentication-Results field
     * each worker makes for its message. */
    enum record_format format;
    const struct ar_opts *ar;  /* required for RECORD_FMT_AR and for annotate */
    struct agg *agg;
    struct summ *summary;
    struct annot *annotate;
};

/* Counters, summed over threads at the end. */
enum pipe_counter {
    PC_MESSAGES = 0,
    PC_RECORDS,
    PC_ERRORS,
    PC_NO_DKIM,
    PC_SIGS,
    PC_SIG_PASS,
    PC_SIG_FAIL,
    PC_SIG_POLICY,
    PC_SIG_NEUTRAL,
    PC_SIG_TEMPERROR,
    PC_SIG_PERMERROR,
    PC_MSG_DKIM_PASS, /* messages with at least one passing signature */
    PC_SPF_NONE,      /* SPF results, by kind (MAIL FROM identity) */
    PC_SPF_PASS,
    PC_SPF_FAIL,
    PC_SPF_SOFTFAIL,
    PC_SPF_NEUTRAL,
    PC_SPF_TEMPERROR,
    PC_SPF_PERMERROR,
    PC_CLASS_AUTHENTICATED, /* the record's class (README "class") */
    PC_CLASS_SPOOFED,
    PC_CLASS_SUSPICIOUS,
    PC_CLASS_UNPROTECTED,
    PC_CLASS_UNDETERMINED,
    PC_DMARC_MODES_DIFFER, /* --dmarc-mode both: RFC 9989 and RFC 7489 outcomes differ */
    PC_ARC_PASS,      /* ARC chains */
    PC_ARC_FAIL,
    PC_DMARC_OVERRIDDEN, /* DMARC fail overridden by a trusted forwarder's ARC chain */
    PC_RECORDED,      /* messages with trusted recorded results */
    PC_RECORDED_DISAGREE, /* ... that disagree with ours */
    PC__COUNT
};

struct pipe_stats {
    uint64_t c[PC__COUNT];
};

/* Per author domain counts of classes, shared by the workers (a shmap of atomic counters). */
#define PIPE_N_CLASSES 5
struct pipe_domain_count {
    slice domain;
    uint64_t n[PIPE_N_CLASSES]; /* by enum dmarc_class */
    uint64_t total;
};
struct pipe_domains;
struct pipe_domains *pipe_domains_new(void);
void pipe_domains_free(struct pipe_domains *d);
/* pipe_domains_list returns every domain's counts (heap array, caller frees), sorted by
 * total, descending, then by name. */
struct pipe_domain_count *pipe_domains_list(struct pipe_domains *d, size_t *out_n);

/* pipe_message runs stages 3-8 on one message and appends its JSON line to out. Used by
 * the workers, and directly by tests. `worker` is per-thread state from pipe_worker_new.
 * Returns false, writing and counting nothing, when a DNS answer is still pending
 * (DNS_PENDING from an asynchronous resolver): run it again once dns_wait reports
 * progress. Every check is a pure function of the message and the DNS answers, so a re-run
 * gives the same record as an uninterrupted run would. */
struct pipe_worker;
struct pipe_worker *pipe_worker_new(const struct pipe_config *cfg);
void pipe_worker_free(struct pipe_worker *w);
bool pipe_message(struct pipe_worker *w, const struct input_msg *m, struct sbuf *out,
                  struct pipe_stats *st);
/* pipe_message_ex is pipe_message that also appends the message's Authentication-Results
 * field (LF line ends) to out_header when that is not NULL (for --annotate). */
bool pipe_message_ex(struct pipe_worker *w, const struct input_msg *m, struct sbuf *out,
                     struct sbuf *out_header, struct pipe_stats *st);

/* pipe_run reads every message of `in`, verifies them on cfg->threads workers and writes
 * the records in input order to `out`. Progress callbacks run on the writer thread.
 *
 * Control (all optional): `stop` is polled between messages; once it is non-zero, reading
 * stops, the messages already read are finished and their records written, and the result
 * says interrupted. `skip` messages at the start are read but not verified (a resumed run:
 * their records are already in the output); skip_check is called for each and may refuse
 * (the output does not belong to these inputs), which ends the run. */
struct pipe_progress {
    void (*fn)(void *ctx, uint64_t messages, uint64_t bytes_read, uint64_t bytes_total);
    void *ctx;
};

struct pipe_control {
    const atomic_int *stop;
    uint64_t skip;
    bool (*skip_check)(void *ctx, uint64_t n, const struct input_msg *m);
    void *ctx;
};

enum pipe_outcome {
    PIPE_DONE = 0,
    PIPE_INTERRUPTED,  /* stopped by `stop`: the records written are complete and in order */
    PIPE_WRITE_FAILED, /* errno says why */
    PIPE_SKIP_MISMATCH,
};

enum pipe_outcome pipe_run(const struct pipe_config *cfg, struct input_set *in, FILE *out,
                           const struct pipe_progress *progress, const struct pipe_control *ctl,
                           struct pipe_stats *st);

#endif
