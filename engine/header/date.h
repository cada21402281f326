/* date: parse the dates that mail carries into Unix seconds (UTC).
 * date_parse_rfc5322: RFC 5322 §3.3 date-time including the obsolete forms (§4.3: two-digit
 * years, alphabetic zones such as "GMT", "EST", military zones), optional day-of-week,
 * comments, and stray white space. date_parse_ctime: the mbox From_ line date as in
 * "Sat Jan  3 01:05:34 1996" (RFC 4155), with an optional zone or year-after-zone.
 * date_parse_rfc3339: "2024-03-01T12:00:00Z" / "+01:00" offsets, or a plain Unix epoch
 * (digits only) for the command line. All are total functions over any bytes. */
#ifndef AUTHSWEEP_DATE_H
#define AUTHSWEEP_DATE_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/core/slice.h"

bool date_parse_rfc5322(slice s, int64_t *out);
bool date_parse_ctime(slice s, int64_t *out);
/* date_parse_from_line takes the whole mbox From_ line text after "From " (RFC 4155 §2:
 * sender, then the date; the sender may be "MAILER-DAEMON", empty, or a quoted local part
 * with spaces) and parses the date that follows the sender, as date_parse_ctime does. False
 * if no date is found; *out is written only on success. */
bool date_parse_from_line(slice from_line, int64_t *out);
bool date_parse_rfc3339(slice s, int64_t *out);
/* date_format_rfc3339 writes "YYYY-MM-DDTHH:MM:SSZ" (21 bytes with NUL) for t. */
void date_format_rfc3339(int64_t t, char out[32]);

#endif
