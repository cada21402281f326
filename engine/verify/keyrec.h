/* keyrec: DKIM public key records (RFC 6376 §3.6.1, RFC 8463 §4), parsed into a struct.
 * Pure parsing, no crypto: the p= bytes are decoded and made into a key by keycache. */
#ifndef AUTHSWEEP_KEYREC_H
#define AUTHSWEEP_KEYREC_H

#include <stdbool.h>

#include "engine/core/arena.h"
#include "engine/core/slice.h"
#include "engine/verify/sig.h"

enum keyrec_status {
    KEYREC_OK = 0,
    KEYREC_SYNTAX,        /* not a tag-list, v= not first or not DKIM1, no p= */
    KEYREC_REVOKED,       /* p= empty (§3.6.1) */
    KEYREC_UNKNOWN_TYPE,  /* k= names a key type we do not know */
};

struct keyrec {
    enum keyrec_status status;
    enum sig_key_type type; /* k=, default rsa */
    bool h_sha1, h_sha256;  /* h=: acceptable hashes (default all) */
    bool service_email;     /* s= includes "*" or "email" (default "*") */
    bool testing;           /* t=y */
    bool strict;            /* t=s: i= domain must equal d= (no subdomains) */
    slice p;                /* the p= value as written (base64 with FWS) */
    slice detail;           /* for errors: the offending tag or text */
};

/* keyrec_parse parses one key record (the joined TXT strings). */
void keyrec_parse(struct arena *a, struct keyrec *out, slice txt);

#endif
