/* verdict.h: authentication outcomes in RFC 8601 words. Results are data, not errors. */
#ifndef AUTHSWEEP_VERDICT_H
#define AUTHSWEEP_VERDICT_H

enum auth_verdict {
    AV_NONE = 0,
    AV_PASS,
    AV_FAIL,
    AV_NEUTRAL,
    AV_SOFTFAIL,
    AV_POLICY,
    AV_TEMPERROR,
    AV_PERMERROR,
    AV__COUNT
};

static inline const char *auth_verdict_name(enum auth_verdict v)
{
    static const char *const names[AV__COUNT] = {
        [AV_NONE] = "none",       [AV_PASS] = "pass",       [AV_FAIL] = "fail",
        [AV_NEUTRAL] = "neutral", [AV_SOFTFAIL] = "softfail", [AV_POLICY] = "policy",
        [AV_TEMPERROR] = "temperror", [AV_PERMERROR] = "permerror",
    };
    return (unsigned)v < AV__COUNT ? names[v] : "?";
}

#endif
