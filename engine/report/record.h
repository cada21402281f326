/* record: 8. REPORT. One JSON object per message (JSON Lines), field names fixed:
 *   source, index, offset, message_id, from_domain, as_of, dkim, error
 * (see README "Output record"). Strings from the message are made valid UTF-8. A check
 * that did not run leaves its key out. */
#ifndef AUTHSWEEP_RECORD_H
#define AUTHSWEEP_RECORD_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/core/sbuf.h"
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
    const char *error_code;  /* NULL: no error */
    const char *error_detail;
};

/* record_write appends the record and a newline. False if the buffer limit was hit. */
bool record_write(struct sbuf *b, const struct msg_result *r);

#endif
