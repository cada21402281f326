/* limits.h: every size and count limit of authsweep, in one place.
 *
 * Each limit protects against hostile input. Exceeding one gives a per-message error or a
 * per-check reason, never a crash or a hang. Defaults marked "option" can be changed on the
 * command line; the rest are fixed by the RFCs or by sanity. Keep README's limits table in
 * step with this file. */
#ifndef AUTHSWEEP_LIMITS_H
#define AUTHSWEEP_LIMITS_H

/* Messages ----------------------------------------------------------------------------- */
#define LIM_MSG_BYTES_DEFAULT (64u * 1024 * 1024)  /* option --max-message-size */
#define LIM_HEADER_FIELDS 200000u                  /* header fields indexed per message */
#define LIM_HEADER_FIELD_BYTES (16u * 1024 * 1024) /* bytes in one (unfolded) header field */
#define LIM_FROM_ADDRESSES 64u                     /* addresses parsed from From: */
#define LIM_FROM_NESTING 64u                       /* comment nesting depth in From: */

/* DKIM --------------------------------------------------------------------------------- */
#define LIM_DKIM_SIGS_DEFAULT 10u  /* option --max-signatures: verified per message */
#define LIM_DKIM_SIGS_REPORTED 50u /* further signatures are only counted, not listed */
#define LIM_DKIM_TAGS 64u          /* tags in one tag-list */
#define LIM_DKIM_H_NAMES 256u      /* header names in h= */
#define LIM_DKIM_SIG_BYTES 8192u   /* decoded b= (covers 65536-bit RSA) */
#define LIM_RSA_MIN_BITS 1024u     /* RFC 8301 §3.2 */
#define LIM_RSA_MAX_BITS 8192u     /* larger keys are key_too_large: a CPU-exhaustion guard */
#define LIM_RSA_MAX_EXPONENT_BITS 64u /* public exponent; larger: key_syntax (a CPU guard too:
                                       * a 3071-bit e costs ~100x a normal verify) */
#define LIM_BODY_HASHES 8u         /* distinct (algorithm, canon, l=) body hashes memoised per
                                    * message; more are computed per use (verify/dkim.c) */

/* DNS ---------------------------------------------------------------------------------- */
#define LIM_DNS_NAME_BYTES 255u       /* RFC 1035 §2.3.4 */
#define LIM_DNS_LABEL_BYTES 63u
#define LIM_DNS_TXT_BYTES 65535u      /* concatenated TXT strings of one record */
#define LIM_DNS_RRS_PER_ANSWER 256u   /* records kept per answer */
#define LIM_DNS_CNAME_CHAIN 8u        /* CNAME hops followed */
#define LIM_DNS_LOOKUPS_PER_MSG 64u   /* lookups one message may cause, over all checks */
#define LIM_ZONE_LINE_BYTES (1u << 20) /* one (joined) zone-file entry */
#define LIM_ZONE_INCLUDE_DEPTH 0u     /* $INCLUDE is not supported: closed world */

/* Output ------------------------------------------------------------------------------- */
#define LIM_RECORD_BYTES (4u * 1024 * 1024) /* one JSON record; longer strings are cut */
#define LIM_FIELD_ECHO_BYTES 1024u          /* message bytes echoed into a record field */

/* Pipeline ----------------------------------------------------------------------------- */
#define LIM_THREADS_MAX 256u
#define LIM_BATCH_MESSAGES 64u       /* messages per batch handed to a worker */
#define LIM_BATCH_BYTES (8u << 20)   /* bytes per batch (a larger message is a batch alone) */
#define LIM_INFLIGHT_BATCHES_PER_THREAD 8u
#define LIM_PARKED_BATCHES_PER_WORKER 6u /* batches a worker holds while waiting on DNS */
#define LIM_DNS_WAIT_MS 50u             /* one wait for DNS progress before re-running */
#define LIM_READ_CHUNK_POOL 8u       /* freed read chunks kept for reuse */
#define LIM_PREHASH_SCRATCH_BYTES (2u << 20) /* per worker: canonical short bodies of a
                                              * batch awaiting their hashes */
#define LIM_READ_CHUNK (4u << 20)    /* mbox read size: most messages lie whole in one chunk
                                      * and are handed on without a copy (io/input.c) */

/* DMARC ------------------------------------------------------------------------------- */
#define LIM_DMARC_WALK_QUERIES 8         /* §4.10: at most eight queries per walk */

/* Per-run caches (memory bounds) ------------------------------------------------------ */
#define LIM_SPFCACHE_ENTRIES 200000      /* SPF results kept for the run: ~210 bytes each
                                          * (measured), so at most ~42 MiB */
#define LIM_KEYCACHE_ENTRIES 20000       /* parsed DKIM keys kept for the run: ~3 KiB each
                                          * (OpenSSL's RSA-2048 key ~2.6 KiB, measured, plus
                                          * the record), so at most ~60 MiB; later keys are
                                          * parsed per use. 100,000 could reach 300 MiB,
                                          * past the 256 MB the run must stay under */
#define LIM_KEY_MEMO_SLOTS 1024u         /* selector names remembered per worker (snapshot
                                          * DNS only): 1,024 x ~300 bytes */
#define LIM_VERIFY_CTX_SLOTS 4096u       /* RSA verify contexts kept per worker (a few hundred
                                          * bytes each, made on first use) */

/* SPF (RFC 7208 §4.6.4: the first four are the RFC's own numbers) --------------------- */
#define LIM_SPF_LOOKUPS 10               /* RFC 7208 §4.6.4: DNS-querying terms */
#define LIM_SPF_VOID_LOOKUPS 2           /* RFC 7208 §4.6.4: void lookups */
#define LIM_SPF_MX_NAMES 10              /* RFC 7208 §4.6.4: MX names per mx term (more: permerror) */
#define LIM_SPF_PTR_NAMES 10             /* RFC 7208 §4.6.4: PTR names used (the rest are ignored) */
#define LIM_SPF_DEPTH 16                 /* include/redirect nesting; the lookup limit binds first */
#define LIM_SPF_EXPAND_BYTES 8192u       /* bytes one macro expansion may produce */

/* Report outputs (memory bounds and echo sizes) --------------------------------------- */
#define LIM_REPORT_DOMAINS 100000u       /* policy domains with an aggregate report */
#define LIM_REPORT_ROWS 500000u          /* distinct report rows over all domains */
#define LIM_REPORT_ROW_BYTES (256u * 1024) /* the XML of one record */
#define LIM_REPORT_TEXT_BYTES 512u       /* bytes of one message-derived string in the XML */
#define LIM_CSV_FIELD_BYTES 4096u        /* bytes of one message-derived field echoed (then cut) */
#define LIM_AR_VALUE_BYTES 256u          /* bytes of one value echoed (DNS names are at most 253) */
#define LIM_AR_SOURCE_BYTES 4096u        /* the path in X-Authsweep-Source */
#define LIM_AR_HEADER_BYTES (256u * 1024) /* one header field: 60 signatures x ~1.5 KiB fits */
#define LIM_SUMMARY_DOMAINS 1000000u     /* author domains in --summary */

/* Authentication-Results / Received-SPF parsing --------------------------------------- */
#define LIM_AUTHRES_RESINFO 256u         /* resinfos kept per field; more: AUTHRES_TOO_MANY */
#define LIM_AUTHRES_PROPS 1024u          /* properties kept per field, over all resinfos */
#define LIM_AUTHRES_KV 64u               /* key=value pairs kept per Received-SPF field */

/* ARC --------------------------------------------------------------------------------- */
#define LIM_ARC_INSTANCES 50u            /* RFC 8617 §4.2.1: i= is 1..50 */

/* Live DNS ---------------------------------------------------------------------------- */
#define LIM_DNS_SERVERS 8u               /* --resolver addresses */
#define LIM_DNS_INFLIGHT 512u            /* queries outstanding in getdns (each may hold a socket) */
#define LIM_DNS_MAX_TTL 86400u           /* RFC 2308 §5 suggests a day or so; unbound's default */

/* Reading ----------------------------------------------------------------------------- */
#define LIM_IO_BATCH_FILES 32u           /* files opened, fstat'ed and read together (Maildir, folders) */

#endif
