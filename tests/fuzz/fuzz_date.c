/* fuzz_date: every date parser (RFC 5322 Date/Received, ctime, mbox From_ line, RFC 3339 and
 * epoch) over any bytes. A parsed time must format, and the formatted RFC 3339 text must parse
 * back to the same time (years 0001-9999). */
#include <string.h>

#include "engine/header/date.h"
#include "tests/fuzz/fuzz.h"

static void round_trip(int64_t t)
{
    char buf[32];
    memset(buf, 'x', sizeof(buf));
    date_format_rfc3339(t, buf);
    size_t n = strnlen(buf, sizeof(buf));
    FUZZ_CHECK(n < sizeof(buf));
    /* 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z */
    if (t >= -62135596800LL && t <= 253402300799LL) {
        FUZZ_CHECK(n == 20);
        int64_t back = 0;
        FUZZ_CHECK(date_parse_rfc3339(slice_make(buf, n), &back));
        FUZZ_CHECK(back == t);
    }
}

int fuzz_date_one(const uint8_t *data, size_t size)
{
    slice s = slice_make(data, size);
    int64_t t = 0;
    if (date_parse_rfc5322(s, &t)) {
        round_trip(t);
    }
    if (date_parse_ctime(s, &t)) {
        round_trip(t);
    }
    int64_t keep = 0x5a5a5a5a;
    t = keep;
    if (date_parse_from_line(s, &t)) {
        round_trip(t);
    } else {
        FUZZ_CHECK(t == keep); /* *out is written only on success */
    }
    if (date_parse_rfc3339(s, &t)) {
        round_trip(t);
    }
    return 0;
}

FUZZ_ENTRY(fuzz_date_one)
