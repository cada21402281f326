/* dkim_sign: a test-only DKIM signer (RFC 6376 §5) built on the engine's canonicalization
 * and OpenSSL signing, so tests can make messages that exercise every verifier path. The
 * differential test against dkimpy and the third-party vectors keep it honest. */
#ifndef AUTHSWEEP_TEST_DKIM_SIGN_H
#define AUTHSWEEP_TEST_DKIM_SIGN_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/verify/sig.h"

struct tsign {
    const char *d, *s;
    const char *a;      /* "rsa-sha256" (default), "ed25519-sha256", "rsa-sha1" */
    const char *c;      /* e.g. "relaxed/relaxed"; NULL: no c= tag */
    const char *h;      /* e.g. "from:to:subject" */
    const char *i;      /* NULL: no i= */
    const char *extra;  /* extra tags appended verbatim, e.g. "q=dns/txt; " */
    long long l;        /* -1: no l= */
    long long t, x;     /* -1: absent */
    const char *v;      /* NULL: "1" */
};

/* tsign_defaults fills d=example.com s=sel a=rsa-sha256 c=relaxed/relaxed h=from:to:subject. */
struct tsign tsign_defaults(void);
/* tsign_message returns a malloc'd message: a DKIM-Signature field prepended to msg. */
char *tsign_message(const struct sig_privkey *k, const struct tsign *p, const char *msg);
/* tsign_key_txt returns a malloc'd zone TXT rdata (quoted strings) for k with the given
 * extra tags before p= (e.g. "v=DKIM1; k=rsa; t=y; "). */
char *tsign_key_txt(const struct sig_privkey *k, const char *tags);

#endif
