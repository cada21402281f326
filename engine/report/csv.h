/* csv: 8. REPORT. One RFC 4180 row per message, for spreadsheets.
 *
 * Header row (csv_header), then one row per message (csv_row), each ending in CRLF:
 *   source,index,message_id,from_domain,dkim,spf,dmarc,disposition,class,error
 *   dkim         "result:d" per signature, in header order, joined by ';'
 *                ("pass:example.com;fail:other.org"); empty when unsigned or not checked.
 *                In d, every byte other than a letter, digit, '.', '-', '_' or a valid UTF-8
 *                sequence is written %HH, so ':' and ';' always separate.
 *   spf, dmarc   the result word; empty when the check did not run
 *   disposition  none / quarantine / reject when a DMARC policy applied, else empty
 *   class        the record's class (README "class")
 *   error        the record's error code, else empty
 *
 * Safety: a field is quoted when it holds ',', '"', CR or LF or starts or ends with white
 * space; quotes inside are doubled; CR and LF stay inside the quotes. Bytes that are not
 * valid UTF-8 become U+FFFD exactly as in the JSON records (json_utf8_len), and so do the
 * control characters other than TAB, CR and LF. A message_id or from_domain that starts
 * with '=', '+', '-' or '@' gets a leading apostrophe so that no spreadsheet runs it as a
 * formula (OWASP "CSV injection"). */
#ifndef AUTHSWEEP_CSV_H
#define AUTHSWEEP_CSV_H

#include "engine/core/limits.h"

#include <stdbool.h>

#include "engine/core/sbuf.h"
#include "engine/core/slice.h"
#include "engine/report/record.h"

#define CSV_FIELD_MAX LIM_CSV_FIELD_BYTES
/* csv_header appends the header row. */
MUSTCHECK bool csv_header(struct sbuf *b);
/* csv_row appends r's row. False if b's limit was reached. */
MUSTCHECK bool csv_row(struct sbuf *b, const struct msg_result *r);
/* csv_field appends one field under the rules above (guard: the formula guard applies). */
MUSTCHECK bool csv_field(struct sbuf *b, slice v, bool guard);

#endif
