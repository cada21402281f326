/* record: 8. REPORT. One JSON object per message (JSON Lines), field names fixed:
 *   source, index, offset, message_id, from_domain, as_of, dkim, error
 * (see README "Output record"). Strings from the message are made valid UTF-8. A check
 * that did not run leaves its key out. */
#ifndef AUTHSWEEP_RECORD_H
#define AUTHSWEEP_RECORD_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/core/sbuf.h"
#include "engine/header/authres.h"
#include "engine/policy/dmarc.h"
#include "engine/verify/arc.h"
#include "engine/policy/spf.h"
#include "engine/verify/dkim.h"
#include "io/input.h"

struct msg_result {
    const struct input_msg *in;
    bool has_message_id;
    slice message_id;
    bool has_from_domain;
    slice from_domain;
    const char *from_error; /* no_from, multiple_from_fields, multiple_from_domains, ... */
    bool has_as_of;
    int64_t as_of;
    const char *as_of_source;
    bool dkim_ran;
    struct dkim_report dkim;
    bool arc_ran;                 /* RFC 8617 chain validation */
    struct arc_result arc;
    /* SPF (RFC 7208) for the connection the archive owner's boundary MTA saw. */
    bool spf_ran;
    struct spf_result spf;        /* MAIL FROM identity (HELO when MAIL FROM is empty) */
    enum auth_verdict spf_helo;   /* the HELO identity's own result (AV_NONE: no HELO) */
    const char *spf_reason;       /* overrides spf.reason when no check could run */
    bool spf_has_ip;
    slice spf_ip, spf_helo_name, spf_mailfrom, spf_source;
    bool spf_has_mailfrom;
    /* DMARC (RFC 9989, or RFC 7489 side by side) from the results above. */
    bool dmarc_ran;
    struct dmarc_result dmarc;
    struct dmarc_result dmarc_other; /* --dmarc-mode both: the RFC 7489 result */
    /* class: the corpus label (README "class"); every record has one */
    const char *klass;
    enum dmarc_class cls; /* the same as an enum (set with klass) */
    /* What the original receiver recorded (--trust-authserv-id), and where we disagree. */
    bool recorded_ran;
    struct authres_recorded recorded;
    bool disagree_spf, disagree_dkim;
    const char *error_code;  /* NULL: no error */
    const char *error_detail;
};

/* record_write appends the record and a newline. False if the buffer limit was hit. */
bool record_write(struct sbuf *b, const struct msg_result *r);

/* The per-message output formats of `verify --format` (see ar.h and csv.h for the others). */
enum record_format {
    RECORD_FMT_JSON = 0, /* JSON Lines: record_write */
    RECORD_FMT_AR,       /* Authentication-Results blocks: ar_block */
    RECORD_FMT_CSV,      /* RFC 4180 rows: csv_row (the header row: csv_header) */
};

/* record_cstr views a trusted NUL-terminated string (a static name, a path we were given)
 * as a slice; NULL gives SLICE_NULL. Never for message bytes, which are slices already. */
static inline slice record_cstr(const char *s)
{
    size_t n = 0;
    if (s == NULL) {
        return SLICE_NULL;
    }
    while (s[n] != 0) {
        n++;
    }
    return slice_make(s, n);
}

#endif
