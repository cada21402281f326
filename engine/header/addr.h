/* addr: RFC 5322 §3.4 address parsing, enough to extract the author domain from From:.
 * Handles display names, quoted strings (with quoted-pairs), comments (nested, bounded by
 * LIM_FROM_NESTING), angle addresses, groups ("undisclosed: a@b, c@d;"), obsolete route
 * syntax, and the common malformed shapes. Input is the unfolded field value (any bytes). */
#ifndef AUTHSWEEP_ADDR_H
#define AUTHSWEEP_ADDR_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/core/arena.h"
#include "engine/core/slice.h"

struct addr {
    slice local;  /* local-part as written (quotes kept), may be empty */
    slice domain; /* domain as written, without [] removal; lower-cased copy in arena */
};

enum addr_status {
    ADDR_OK = 0,     /* one or more addresses parsed */
    ADDR_EMPTY,      /* no address at all (empty value, or an empty group) */
    ADDR_SYNTAX,     /* could not be parsed */
    ADDR_TOO_MANY,   /* more than LIM_FROM_ADDRESSES */
};

struct addr_list {
    size_t n;
    struct addr *v; /* arena memory */
};

/* addr_parse_list parses an address-list (From:, To:, ...) into *out (arena memory). On
 * ADDR_SYNTAX, out->n addresses before the error are still given. domain slices are lower
 * case ASCII (arena copies); a domain with no '@' makes the address ADDR_SYNTAX. */
enum addr_status addr_parse_list(struct arena *a, struct addr_list *out, slice value);
/* addr_parse_mailbox parses one address as in Return-Path (angle brackets optional,
 * "<>" gives ADDR_EMPTY). */
enum addr_status addr_parse_path(struct arena *a, struct addr *out, slice value);
const char *addr_status_name(enum addr_status s);

#endif
