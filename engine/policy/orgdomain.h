/* orgdomain: the Organizational Domain of a DNS name, both ways DMARC has defined it.
 *
 * RFC 7489 §3.2 (the Public Suffix List): the longest matching public suffix plus one label.
 * This goes through libpsl rather than a parser of our own: the list changes weekly, its
 * rule language (wildcards, exceptions, the implicit "*" rule, the ICANN/PRIVATE sections,
 * IDN forms) is subtle and libpsl is the implementation its maintainers test against their
 * own test_psl.txt; Debian ships the list (package publicsuffix) and libpsl keeps it current
 * (psl_latest picks the newest of the built-in and the system copy). A struct orgdom_psl is
 * immutable after loading and may be shared by all threads (libpsl lookups only read it).
 *
 * RFC 9989 §4.10 (the DNS Tree Walk): no list; DMARC records found in DNS decide. The walk
 * itself needs DNS and lives in dmarc.c; the two pure parts are here so they are unit-tested
 * without DNS: which names a walk queries (orgdom_walk_targets) and which Organizational
 * Domain the records found select (orgdom_walk_select).
 *
 * Names are ASCII, lower case, without a trailing dot (what dns_name_canon produces). */
#ifndef AUTHSWEEP_ORGDOMAIN_H
#define AUTHSWEEP_ORGDOMAIN_H

#include "engine/core/limits.h"

#include <stdbool.h>
#include <stddef.h>

#include "engine/core/slice.h"

/* ---- RFC 7489: Public Suffix List ------------------------------------------------------ */

struct orgdom_psl;

/* orgdom_psl_new loads the list at path (psl_load_file), or with path NULL the newest list
 * available (psl_latest: Debian's /usr/share/publicsuffix data or libpsl's built-in copy).
 * NULL on failure, with a message in err. Free with orgdom_psl_free. */
struct orgdom_psl *orgdom_psl_new(const char *path, char *err, size_t err_len);
void orgdom_psl_free(struct orgdom_psl *p);

/* orgdom_psl_lookup sets *out to the Organizational Domain of name: a suffix of name (a view
 * into it, so it has name's case). False when there is none: name is itself a public suffix
 * ("com", "co.uk"), or is empty, starts with a dot, or holds a NUL or an empty label. */
bool orgdom_psl_lookup(const struct orgdom_psl *p, slice name, slice *out);

/* ---- RFC 9989 §4.10: DNS Tree Walk, the pure parts ------------------------------------ */

#define ORGDOM_WALK_MAX LIM_DMARC_WALK_QUERIES
#define ORGDOM_WALK_SHORTEN 7   /* §4.10 step 4: x >= 8 labels are cut to 7 */

/* orgdom_label_count counts the labels of name (0 for an empty name). */
size_t orgdom_label_count(slice name);
/* orgdom_suffix returns the last n labels of name (name itself if it has no more). */
slice orgdom_suffix(slice name, size_t n);
/* orgdom_is_under reports whether name equals ancestor or is a subdomain of it (label-wise,
 * ASCII case-insensitive: "xexample.com" is not under "example.com"). */
bool orgdom_is_under(slice name, slice ancestor);

/* orgdom_walk_targets writes the names a DNS Tree Walk starting at `start` queries, in
 * order (§4.10 steps 1-7): start itself, then, if start has 8 or more labels, its last 7
 * labels, then one label fewer each time down to the single top label. At most
 * ORGDOM_WALK_MAX names; the views point into start. Returns the count. */
size_t orgdom_walk_targets(slice start, slice out[ORGDOM_WALK_MAX]);

/* What one queried name gave, for orgdom_walk_select. */
enum orgdom_psd { ORGDOM_PSD_U = 0, ORGDOM_PSD_Y, ORGDOM_PSD_N };
struct orgdom_found {
    slice name;           /* the queried name (a suffix of start) */
    bool has_record;      /* exactly one valid DMARC Policy Record */
    enum orgdom_psd psd;  /* its psd tag (u when absent) */
};

/* orgdom_walk_select applies §4.10.2's selection to the names a walk from `start` queried
 * (longest first, as orgdom_walk_targets gives them, ending where the walk stopped):
 *   1. a record with psd=n: that name;
 *   2. a record with psd=y other than at start: the name one label below it (toward start);
 *   3. otherwise the record at the name with the fewest labels;
 * and start itself when no record was found. Returns a view into start. */
slice orgdom_walk_select(slice start, const struct orgdom_found *found, size_t n_found);

#endif
