#include "engine/verify/keyrec.h"

#include "engine/header/tagval.h"

void keyrec_parse(struct arena *a, struct keyrec *out, slice txt)
{
    *out = (struct keyrec){ .status = KEYREC_OK,
                            .type = SIG_KEY_RSA,
                            .h_sha1 = true,
                            .h_sha256 = true,
                            .service_email = true };
    struct tv_list tl;
    slice bad = SLICE_NULL, v;
    if (tv_parse(a, &tl, txt, &bad) != TV_OK) {
        out->status = KEYREC_SYNTAX;
        out->detail = bad;
        return;
    }
    /* §3.6.1 v=: "If specified, this tag MUST be set to "DKIM1" ... and MUST be the first
     * tag in the record." */
    const struct tv_pair *vp = tv_find(&tl, SLICE_LIT("v"));
    if (vp != NULL && (vp != &tl.v[0] || !slice_eq(vp->value, SLICE_LIT("DKIM1")))) {
        out->status = KEYREC_SYNTAX;
        out->detail = vp->value;
        return;
    }
    if (tv_get(&tl, SLICE_LIT("h"), &v)) {
        out->h_sha1 = tv_list_has(v, SLICE_LIT("sha1"));
        out->h_sha256 = tv_list_has(v, SLICE_LIT("sha256"));
    }
    if (tv_get(&tl, SLICE_LIT("s"), &v)) {
        out->service_email = tv_list_has(v, SLICE_LIT("*")) || tv_list_has(v, SLICE_LIT("email"));
    }
    if (tv_get(&tl, SLICE_LIT("t"), &v)) {
        out->testing = tv_list_has(v, SLICE_LIT("y"));
        out->strict = tv_list_has(v, SLICE_LIT("s"));
    }
    if (tv_get(&tl, SLICE_LIT("k"), &v)) {
        if (slice_eq_ci(v, SLICE_LIT("rsa"))) {
            out->type = SIG_KEY_RSA;
        } else if (slice_eq_ci(v, SLICE_LIT("ed25519"))) {
            out->type = SIG_KEY_ED25519; /* RFC 8463 §4 */
        } else {
            out->status = KEYREC_UNKNOWN_TYPE;
            out->detail = v;
            return;
        }
    }
    if (!tv_get(&tl, SLICE_LIT("p"), &out->p)) {
        out->status = KEYREC_SYNTAX; /* p= is REQUIRED */
        out->detail = SLICE_LIT("no p= tag");
        return;
    }
    if (out->p.len == 0) {
        out->status = KEYREC_REVOKED;
    }
}
