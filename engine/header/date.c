/* date: mail dates to Unix seconds, without libc time functions.
 *
 * Each format is a small hand-written scanner over a slice that fills struct date_fields;
 * one function validates the fields and turns them into seconds with the days-from-civil
 * algorithm (proleptic Gregorian calendar, int64 throughout). Nothing here uses timegm,
 * strptime or the locale, so results do not depend on the TZ or LANG of the machine.
 *
 * Leniency follows RFC 5322 §4.3 and what real MTAs write: optional day name (which is not
 * checked against the date), one- or two-digit day, two- and three-digit years, alphabetic
 * zones, CFWS almost anywhere, optional seconds, and anything after the zone ignored. A
 * missing zone is read as -0000, the same "no zone information" value §4.3 gives to
 * unknown zones. What cannot be given a meaning (bad month, day 31 in a 30-day month, a
 * malformed numeric zone, an unterminated comment where the zone goes) fails. */
#include "engine/header/date.h"

#include "engine/core/limits.h"

/* Only this many bytes of an mbox From_ line are searched for the date. SMTP paths are at
 * most 256 octets (RFC 5321 §4.5.3.1.3), so a real date starts well inside this; the bound
 * keeps the search (one parse attempt per word) from going quadratic on a hostile line. */
#define DATE_FROM_LINE_SCAN_MAX 1024u

struct date_fields {
    int64_t year;
    unsigned mon; /* 1..12 */
    unsigned day;
    unsigned hour;
    unsigned min;
    unsigned sec;
    int32_t zone_sec; /* local time minus UTC, in seconds */
};

/* Calendar ----------------------------------------------------------------------------- */

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
    static const unsigned char dim[13] = { 0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    return (m == 2 && is_leap(y)) ? 29u : dim[m];
}

/* days_from_civil: days since 1970-01-01 of y-m-d in the proleptic Gregorian calendar
 * (H. Hinnant's algorithm: years start in March so the leap day is last). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t mp = m > 2 ? (int64_t)m - 3 : (int64_t)m + 9;
    int64_t doy = (153 * mp + 2) / 5 + (int64_t)d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* civil_from_days: the inverse, valid for every day count an int64_t of seconds can give. */
static void civil_from_days(int64_t z, int64_t *out_y, unsigned *out_m, unsigned *out_d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    *out_y = yoe + era * 400 + (m <= 2);
    *out_m = (unsigned)m;
    *out_d = (unsigned)d;
}

/* fields_to_epoch validates f and writes its Unix time to *out; *out is untouched on
 * failure. Years are limited to 1900..9999, so the arithmetic cannot overflow. */
static bool fields_to_epoch(const struct date_fields *f, int64_t *out)
{
    if (f->year < 1900 || f->year > 9999 || f->mon < 1 || f->mon > 12) {
        return false;
    }
    if (f->day < 1 || f->day > days_in_month(f->year, f->mon)) {
        return false;
    }
    /* RFC 5322 §3.3: second 60 is a leap second; it counts as the next minute's 0. */
    if (f->hour > 23 || f->min > 59 || f->sec > 60) {
        return false;
    }
    int64_t t = days_from_civil(f->year, f->mon, f->day) * 86400;
    t += (int64_t)f->hour * 3600 + (int64_t)f->min * 60 + (int64_t)f->sec;
    *out = t - f->zone_sec;
    return true;
}

/* Scanning helpers: each moves *s only on success. ------------------------------------ */

static void skip_ws(slice *s)
{
    *s = slice_trim_left_fws(*s);
}

/* skip_cfws skips FWS and comments (RFC 5322 §3.2.2). Nesting is counted, not recursed,
 * and bounded by LIM_FROM_NESTING like the address parser. False on an unterminated or too
 * deep comment. */
static bool skip_cfws(slice *s)
{
    slice c = slice_trim_left_fws(*s);
    while (c.len > 0 && c.ptr[0] == '(') {
        size_t i = 1;
        unsigned depth = 1;
        while (depth > 0) {
            if (i >= c.len) {
                return false;
            }
            uint8_t b = c.ptr[i];
            if (b == '\\') {
                i += 2; /* quoted-pair; a '\\' as last byte makes i >= len above */
                continue;
            }
            if (b == '(' && ++depth > LIM_FROM_NESTING) {
                return false;
            }
            if (b == ')') {
                depth--;
            }
            i++;
        }
        c = slice_trim_left_fws(slice_sub(c, i, c.len - i));
    }
    *s = c;
    return true;
}

static bool take_byte(slice *s, uint8_t c)
{
    if (s->len == 0 || s->ptr[0] != c) {
        return false;
    }
    s->ptr++;
    s->len--;
    return true;
}

/* take_num takes a run of min_d..max_d digits; a longer run fails (no silent splitting). */
static bool take_num(slice *s, size_t min_d, size_t max_d, uint32_t *out, size_t *out_n)
{
    size_t n = 0;
    uint32_t v = 0;
    while (n < s->len && slice_is(s->ptr[n], CC_DIGIT)) {
        if (n == max_d) {
            return false;
        }
        v = v * 10 + (uint32_t)(s->ptr[n] - '0');
        n++;
    }
    if (n < min_d) {
        return false;
    }
    s->ptr += n;
    s->len -= n;
    *out = v;
    if (out_n != NULL) {
        *out_n = n;
    }
    return true;
}

static bool take_word(slice *s, slice *out)
{
    size_t n = 0;
    while (n < s->len && slice_is(s->ptr[n], CC_ALPHA)) {
        n++;
    }
    return n > 0 && slice_take(s, n, out);
}

/* Names -------------------------------------------------------------------------------- */

static const slice month_names[12] = {
    SLICE_INIT("january"), SLICE_INIT("february"), SLICE_INIT("march"),
    SLICE_INIT("april"),   SLICE_INIT("may"),      SLICE_INIT("june"),
    SLICE_INIT("july"),    SLICE_INIT("august"),   SLICE_INIT("september"),
    SLICE_INIT("october"), SLICE_INIT("november"), SLICE_INIT("december"),
};

static const slice day_names[7] = {
    SLICE_INIT("monday"), SLICE_INIT("tuesday"),  SLICE_INIT("wednesday"), SLICE_INIT("thursday"),
    SLICE_INIT("friday"), SLICE_INIT("saturday"), SLICE_INIT("sunday"),
};

/* name_matches: w is the RFC 5322 §3.3 three-letter abbreviation of full, or full itself
 * ("Thursday", "September" appear in hand-written and some webmail dates). */
static bool name_matches(slice w, slice full)
{
    return (w.len == 3 || w.len == full.len) && slice_has_prefix_ci(full, w);
}

static unsigned month_from_name(slice w)
{
    for (unsigned i = 0; i < 12; i++) {
        if (name_matches(w, month_names[i])) {
            return i + 1;
        }
    }
    return 0;
}

static bool is_day_name(slice w)
{
    for (unsigned i = 0; i < 7; i++) {
        if (name_matches(w, day_names[i])) {
            return true;
        }
    }
    return false;
}

/* alpha_zone_offset: RFC 5322 §4.3 obs-zone. The North American zones have fixed meanings;
 * UT/GMT (and the de-facto "UTC") are zero; military letters were defined with the wrong
 * sign in RFC 822, so §4.3 says to read them, like any unknown name, as -0000. */
static int32_t alpha_zone_offset(slice w)
{
    static const struct {
        slice name;
        int32_t hours;
    } zones[] = {
        { SLICE_INIT("EST"), -5 }, { SLICE_INIT("EDT"), -4 }, { SLICE_INIT("CST"), -6 },
        { SLICE_INIT("CDT"), -5 }, { SLICE_INIT("MST"), -7 }, { SLICE_INIT("MDT"), -6 },
        { SLICE_INIT("PST"), -8 }, { SLICE_INIT("PDT"), -7 },
    };
    for (size_t i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
        if (slice_eq_ci(w, zones[i].name)) {
            return zones[i].hours * 3600;
        }
    }
    return 0;
}

/* Fields shared by the formats ------------------------------------------------------- */

/* take_zone reads an optional zone. RFC 5322 §3.3 zone = ("+" / "-") 4DIGIT; "+hh:mm" is
 * accepted too (some writers use it). Alphabetic zones per §4.3. Nothing recognisable there
 * means -0000 and success; a '+' or '-' not followed by a valid offset fails, because
 * guessing would shift the time. */
static bool take_zone(slice *s, int32_t *out_zone, bool *out_found)
{
    slice c = *s, w;
    *out_zone = 0;
    *out_found = false;
    if (c.len > 0 && (c.ptr[0] == '+' || c.ptr[0] == '-')) {
        int32_t sign = c.ptr[0] == '-' ? -1 : 1;
        uint32_t v, hh, mm;
        size_t n;
        c.ptr++;
        c.len--;
        if (!take_num(&c, 2, 4, &v, &n) || n == 3) {
            return false;
        }
        if (n == 4) {
            hh = v / 100;
            mm = v % 100;
        } else if (take_byte(&c, ':') && take_num(&c, 2, 2, &mm, NULL)) {
            hh = v;
        } else {
            return false;
        }
        if (hh > 23 || mm > 59) {
            return false;
        }
        *out_zone = sign * (int32_t)(hh * 3600 + mm * 60);
        *out_found = true;
    } else if (take_word(&c, &w)) {
        *out_zone = alpha_zone_offset(w);
        *out_found = true;
    } else {
        return true;
    }
    *s = c;
    return true;
}

/* take_year: RFC 5322 §4.3 obs-year. 2 digits: 00-49 are 20xx and 50-99 are 19xx; 3 digits
 * add 1900; 4 or more are the year itself (range checked later). */
static bool take_year(slice *s, int64_t *out)
{
    uint32_t v;
    size_t n;
    if (!take_num(s, 2, 9, &v, &n)) {
        return false;
    }
    if (n == 2) {
        *out = v < 50 ? 2000 + v : 1900 + v;
    } else if (n == 3) {
        *out = 1900 + (int64_t)v;
    } else {
        *out = v;
    }
    return true;
}

/* take_time: hour ":" minute [":" second], CFWS around the colons (RFC 5322 §4.3
 * obs-time). One-digit hours and minutes are tolerated. */
static bool take_time(slice *s, bool cfws, struct date_fields *f)
{
    slice c = *s;
    uint32_t h, m, sec = 0;
    if (!take_num(&c, 1, 2, &h, NULL)) {
        return false;
    }
    if ((cfws && !skip_cfws(&c)) || !take_byte(&c, ':') || (cfws && !skip_cfws(&c)) ||
        !take_num(&c, 1, 2, &m, NULL)) {
        return false;
    }
    slice after_min = c;
    if (!(((!cfws || skip_cfws(&c)) && take_byte(&c, ':') && (!cfws || skip_cfws(&c)) &&
           take_num(&c, 1, 2, &sec, NULL)))) {
        c = after_min;
        sec = 0;
    }
    f->hour = h;
    f->min = m;
    f->sec = sec;
    *s = c;
    return true;
}

/* RFC 5322 ----------------------------------------------------------------------------- */

/* RFC 5322 §3.3 date-time = [ day-of-week "," ] date time [CFWS], with §4.3's obs forms. */
static bool scan_rfc5322(slice c, struct date_fields *f)
{
    slice w;
    uint32_t day;
    bool found;
    if (!skip_cfws(&c)) {
        return false;
    }
    if (take_word(&c, &w)) {
        /* §3.3 day-of-week; the comma is tolerated missing ("Mon 3 Jan 2022 ..."). */
        if (!is_day_name(w) || !skip_cfws(&c)) {
            return false;
        }
        (void)take_byte(&c, ',');
    }
    if (!skip_cfws(&c) || !take_num(&c, 1, 2, &day, NULL) || !skip_cfws(&c)) {
        return false;
    }
    f->day = day;
    if (!take_word(&c, &w) || (f->mon = month_from_name(w)) == 0 || !skip_cfws(&c)) {
        return false;
    }
    if (!take_year(&c, &f->year) || !skip_cfws(&c) || !take_time(&c, true, f)) {
        return false;
    }
    /* An unterminated comment where the zone goes hides the zone: fail rather than guess. */
    if (!skip_cfws(&c)) {
        return false;
    }
    /* §3.3 zone, or §4.3 obs-zone; whatever follows it is ignored. */
    return take_zone(&c, &f->zone_sec, &found);
}

bool date_parse_rfc5322(slice s, int64_t *out)
{
    struct date_fields f = { 0 };
    return scan_rfc5322(s, &f) && fields_to_epoch(&f, out);
}

/* ctime / From_ line ------------------------------------------------------------------- */

/* scan_ctime reads the asctime() shape RFC 4155 §2 describes for the From_ line:
 *   [day-name] month day hh:mm[:ss] [zone] year [zone]
 * e.g. "Sat Jan  3 01:05:34 1996", "Thu Oct 12 08:00:00 2023 +0200", and the Google
 * Takeout form "Sat Jan 03 21:13:07 +0000 2015". Without a zone the time is UTC. */
static bool scan_ctime(slice c, struct date_fields *f)
{
    slice w;
    uint32_t day;
    bool found = false;
    skip_ws(&c);
    if (!take_word(&c, &w)) {
        return false;
    }
    if (is_day_name(w)) {
        skip_ws(&c);
        (void)take_byte(&c, ',');
        skip_ws(&c);
        if (!take_word(&c, &w)) {
            return false;
        }
    }
    if ((f->mon = month_from_name(w)) == 0) {
        return false;
    }
    skip_ws(&c);
    if (!take_num(&c, 1, 2, &day, NULL)) {
        return false;
    }
    f->day = day;
    skip_ws(&c);
    if (!take_time(&c, false, f)) {
        return false;
    }
    skip_ws(&c);
    if (c.len > 0 && !slice_is(c.ptr[0], CC_DIGIT) && !take_zone(&c, &f->zone_sec, &found)) {
        return false;
    }
    skip_ws(&c);
    if (!take_year(&c, &f->year)) {
        return false;
    }
    if (!found) {
        skip_ws(&c);
        return take_zone(&c, &f->zone_sec, &found);
    }
    return true;
}

bool date_parse_ctime(slice s, int64_t *out)
{
    struct date_fields f = { 0 };
    if (scan_ctime(s, &f) && fields_to_epoch(&f, out)) {
        return true;
    }
    /* Some writers put an RFC 5322 date on the From_ line. */
    return date_parse_rfc5322(s, out);
}

static bool is_ws(uint8_t c)
{
    return slice_is(c, CC_FWS);
}

bool date_parse_from_line(slice from_line, int64_t *out)
{
    slice s = slice_sub(from_line, 0, DATE_FROM_LINE_SCAN_MAX);
    size_t i = 0;
    /* RFC 4155 §2: the sender is one word, but a quoted local part may hold spaces
     * ("\"john smith\"@example.com"), so skip a quoted string whole. A line starting with
     * white space has an empty sender. */
    if (s.len > 0 && s.ptr[0] == '"') {
        for (i = 1; i < s.len && s.ptr[i] != '"'; i++) {
            if (s.ptr[i] == '\\') {
                i++;
            }
        }
        if (i >= s.len) {
            i = 0; /* unterminated: fall back to trying each word */
        }
    }
    while (i < s.len && !is_ws(s.ptr[i])) {
        i++;
    }
    /* Try each following word in turn: a sender with unquoted spaces still finds its date,
     * and the first word that starts a valid date wins. */
    while (i < s.len) {
        while (i < s.len && is_ws(s.ptr[i])) {
            i++;
        }
        if (i >= s.len) {
            break;
        }
        if (date_parse_ctime(slice_sub(s, i, s.len - i), out)) {
            return true;
        }
        while (i < s.len && !is_ws(s.ptr[i])) {
            i++;
        }
    }
    return false;
}

/* RFC 3339 ----------------------------------------------------------------------------- */

/* take_fixed takes exactly n digits. */
static bool take_fixed(slice *s, size_t n, uint32_t *out)
{
    return take_num(s, n, n, out, NULL);
}

/* RFC 3339 §5.6 date-time: full-date ("T" / "t" / " ") full-time, time-offset "Z" / "z" /
 * ("+" / "-") hh ":" mm; time-secfrac is read and ignored. A bare full-date is taken as
 * midnight UTC for command-line convenience. An all-digit string is Unix seconds. */
bool date_parse_rfc3339(slice s, int64_t *out)
{
    struct date_fields f = { 0 };
    uint32_t y, mo, d, h, mi, sec, zh, zm;
    uint64_t epoch;
    s = slice_trim_fws(s);
    if (slice_u64_all(s, &epoch)) {
        if (epoch > (uint64_t)INT64_MAX) {
            return false;
        }
        *out = (int64_t)epoch;
        return true;
    }
    slice c = s;
    if (!take_fixed(&c, 4, &y) || !take_byte(&c, '-') || !take_fixed(&c, 2, &mo) ||
        !take_byte(&c, '-') || !take_fixed(&c, 2, &d)) {
        return false;
    }
    f.year = y;
    f.mon = mo;
    f.day = d;
    if (c.len == 0) {
        return fields_to_epoch(&f, out);
    }
    if (!(take_byte(&c, 'T') || take_byte(&c, 't') || take_byte(&c, ' '))) {
        return false;
    }
    if (!take_fixed(&c, 2, &h) || !take_byte(&c, ':') || !take_fixed(&c, 2, &mi) ||
        !take_byte(&c, ':') || !take_fixed(&c, 2, &sec)) {
        return false;
    }
    f.hour = h;
    f.min = mi;
    f.sec = sec;
    if (take_byte(&c, '.')) {
        size_t n = 0;
        while (n < c.len && slice_is(c.ptr[n], CC_DIGIT)) {
            n++;
        }
        if (n == 0) {
            return false;
        }
        (void)slice_skip(&c, n);
    }
    if (take_byte(&c, 'Z') || take_byte(&c, 'z')) {
        f.zone_sec = 0;
    } else if (c.len > 0 && (c.ptr[0] == '+' || c.ptr[0] == '-')) {
        int32_t sign = c.ptr[0] == '-' ? -1 : 1;
        (void)slice_skip(&c, 1);
        if (!take_fixed(&c, 2, &zh) || !take_byte(&c, ':') || !take_fixed(&c, 2, &zm) ||
            zh > 23 || zm > 59) {
            return false;
        }
        f.zone_sec = sign * (int32_t)(zh * 3600 + zm * 60);
    } else {
        return false;
    }
    return c.len == 0 && fields_to_epoch(&f, out);
}

/* put_uint writes v in decimal, zero-padded to width, at out[*pos]. */
static void put_uint(char *out, size_t *pos, uint64_t v, unsigned width)
{
    char tmp[20];
    unsigned n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    while (n < width) {
        tmp[n++] = '0';
    }
    while (n > 0) {
        out[(*pos)++] = tmp[--n];
    }
}

void date_format_rfc3339(int64_t t, char out[32])
{
    /* Floor division, so times before 1970 land on the right day. */
    int64_t days = t / 86400, rem = t % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    size_t p = 0;
    /* |y| < 3e11 for any int64 t, so at most 29 bytes plus the NUL are written. */
    uint64_t ay = (uint64_t)y;
    if (y < 0) {
        out[p++] = '-';
        ay = (uint64_t)0 - ay;
    }
    put_uint(out, &p, ay, 4);
    out[p++] = '-';
    put_uint(out, &p, m, 2);
    out[p++] = '-';
    put_uint(out, &p, d, 2);
    out[p++] = 'T';
    put_uint(out, &p, (uint64_t)(rem / 3600), 2);
    out[p++] = ':';
    put_uint(out, &p, (uint64_t)(rem / 60 % 60), 2);
    out[p++] = ':';
    put_uint(out, &p, (uint64_t)(rem % 60), 2);
    out[p++] = 'Z';
    out[p] = '\0';
}
