#!/usr/bin/python3
"""gen_cases.py: seeded DMARC cases for the OpenDMARC differential test (tests/dmarc_diff).

Usage: gen_cases.py SEED COUNT > cases.tsv

One case a line, tab-separated ("-" is empty; opendmarc_driver.c and test_dmarc_diff.c read it):
  id kinds from policy_domain record dkim spf exists sample
    kinds          "+"-joined features of the case, used by the test to match a disagreement
                   with its listed reason (never to decide a verdict)
    policy_domain  the one name with a DMARC TXT record (_dmarc.<policy_domain>), or "-"
    dkim           "d:result,..." in signature order; spf "domain:result"
    exists         y/n: the From domain exists in DNS (n: NXDOMAIN, RFC 9989 np)
    sample         in/out: the message is inside/outside RFC 7489 pct sampling

Domains come from the bundled Public Suffix List (multi-label ICANN suffixes, wildcard and
exception rules, PRIVATE-section suffixes such as github.io). Only the standard library."""
import random
import sys

# Organizational Domains (per the bundled list) and the public suffix each sits under.
ORGS = [
    ("example.com", "com"),
    ("example.org", "org"),
    ("example.co.uk", "co.uk"),
    ("shop.com.au", "com.au"),
    ("bank.co.jp", "co.jp"),
    ("alice.github.io", "github.io"),            # PRIVATE section
    ("bucket.s3.amazonaws.com", "s3.amazonaws.com"),  # PRIVATE, three labels
    ("acme.x.kawasaki.jp", "x.kawasaki.jp"),     # wildcard rule *.kawasaki.jp
    ("city.kawasaki.jp", "kawasaki.jp"),         # exception rule !city.kawasaki.jp
    ("www.ck", "ck"),                            # exception rule !www.ck
    ("acme.firm.nom.br", "firm.nom.br"),         # wildcard rule *.nom.br
]
# Organizational Domains that exist only through a wildcard rule ("*.kawasaki.jp", "*.nom.br").
WILDCARD_ORGS = {"acme.x.kawasaki.jp", "acme.firm.nom.br"}
UNRELATED = ["other.net", "mailer.example.net", "esp.example.org.uk", "bulk.sender.io"]
SUBS = ["mail", "news", "a", "b.a", "x.y.z", "deep.er.sub"]

MALFORMED = [
    # (label, record template using {p}): how the record is broken
    ("p_prefix", "v=DMARC1; p=rej"),
    ("p_prefix", "v=DMARC1; p=q; sp=none"),
    ("p_bogus", "v=DMARC1; p=bogus"),
    ("p_bogus_rua", "v=DMARC1; p=bogus; rua=mailto:agg@{org}"),
    ("no_p", "v=DMARC1; adkim=s"),
    ("no_p_rua", "v=DMARC1; rua=mailto:agg@{org}"),
    ("no_v", "p={p}"),
    ("v_not_first", "p={p}; v=DMARC1"),
    ("v_lower", "v=dmarc1; p={p}"),
    ("v_bad", "v=DMARC2; p={p}"),
    ("adkim_bad", "v=DMARC1; p={p}; adkim=x"),
    ("aspf_bad", "v=DMARC1; p={p}; aspf=loose"),
    ("pct_big", "v=DMARC1; p={p}; pct=150"),
    ("pct_text", "v=DMARC1; p={p}; pct=abc"),
    ("sp_bad", "v=DMARC1; p={p}; sp=maybe"),
    ("sp_bad_rua", "v=DMARC1; p={p}; sp=maybe; rua=mailto:agg@{org}"),
    ("dup_p", "v=DMARC1; p={p}; p=none"),
    ("tag_case", "v=DMARC1; P={p}"),
    ("unknown_tag", "v=DMARC1; p={p}; foo=bar"),
    ("no_space", "v=DMARC1;p={p};"),
    ("spf_txt", "v=spf1 -all"),
]

POLICIES = ["none", "quarantine", "reject"]


def pick_sub(rng, org):
    k = rng.choice([0, 0, 1, 1, 2, 3])
    return org if k == 0 else rng.choice([s for s in SUBS if s.count(".") + 1 == k] or SUBS) + "." + org


def ident(rng, author, org, suffix, kinds, what):
    """An identifier (DKIM d= or SPF domain) related to the author in one of several ways."""
    r = rng.random()
    if r < 0.30:
        return author
    if r < 0.50:
        return org
    if r < 0.62:
        return rng.choice(SUBS) + "." + org
    if r < 0.70:
        kinds.add(what + "_suffix")
        return suffix                         # a public suffix (OpenDMARC aligns it)
    if r < 0.76:
        kinds.add(what + "_child")
        return "c." + author
    if r < 0.80:
        kinds.add(what + "_lookalike")
        return "x" + org                      # "xexample.com": not a subdomain
    return rng.choice(UNRELATED)


def record(rng, org, kinds):
    if rng.random() < 0.14:
        label, tmpl = rng.choice(MALFORMED)
        kinds.add("malformed")
        kinds.add("m_" + label)
        return tmpl.format(p=rng.choice(POLICIES), org=org)
    tags = ["v=DMARC1", "p=" + rng.choice(POLICIES)]
    if rng.random() < 0.4:
        tags.append("sp=" + rng.choice(POLICIES))
        kinds.add("sp")
    if rng.random() < 0.25:
        tags.append("np=" + rng.choice(POLICIES))
        kinds.add("np")
    for tag in ("adkim", "aspf"):
        x = rng.random()
        if x < 0.35:
            tags.append(tag + "=s")
            kinds.add("strict")
        elif x < 0.5:
            tags.append(tag + "=r")
    x = rng.random()
    if x < 0.12:
        tags.append("pct=0")
        kinds.add("pct")
    elif x < 0.24:
        tags.append("pct=" + str(rng.choice([1, 25, 50, 99])))
        kinds.add("pct")
    elif x < 0.3:
        tags.append("pct=100")
    if rng.random() < 0.3:
        tags.append("rua=mailto:dmarc@" + org)
    if rng.random() < 0.06:
        tags.append("t=y")
        kinds.add("t")
    if rng.random() < 0.05:
        tags.append("psd=n")
        kinds.add("psd_n")
    return "; ".join(tags)


def one_case(rng, i):
    kinds = set()
    org, suffix = rng.choice(ORGS)
    if org in WILDCARD_ORGS:
        kinds.add("psl_wildcard")
    author = pick_sub(rng, org)
    if author != org:
        kinds.add("subdomain")
    r = rng.random()
    if r < 0.05:
        pdom, rec = "-", "-"
        kinds.add("no_record")
    elif r < 0.10:
        # a record only at the public suffix (RFC 9989 PSD): RFC 7489 discovery never sees it
        pdom = suffix
        rec = "v=DMARC1; p=" + rng.choice(POLICIES) + "; psd=y"
        kinds.add("psd_at_suffix")
    elif r < 0.13 and author != org:
        # a record at an intermediate name: RFC 7489 sees neither it nor the org's (absent)
        labels = author.split(".")
        pdom = ".".join(labels[1:])
        if pdom == org:
            pdom = author
        rec = record(rng, org, kinds)
        kinds.add("intermediate")
    else:
        pdom = author if (author != org and rng.random() < 0.35) else org
        rec = record(rng, org, kinds)
    n_sigs = rng.choice([0, 1, 1, 1, 2, 2, 3])
    sigs = []
    for _ in range(n_sigs):
        res = rng.choices(["pass", "fail", "temperror", "permerror"], [60, 30, 4, 6])[0]
        if res == "temperror":
            kinds.add("temperror")
        sigs.append(ident(rng, author, org, suffix, kinds, "d") + ":" + res)
    if n_sigs > 1:
        kinds.add("multi_dkim")
    if rng.random() < 0.85:
        res = rng.choices(["pass", "fail", "softfail", "neutral", "none", "temperror"],
                          [55, 15, 10, 5, 10, 5])[0]
        if res == "temperror":
            kinds.add("temperror")
        spf = ident(rng, author, org, suffix, kinds, "spf") + ":" + res
    else:
        spf = "-"
    # strict alignment asked for an identifier that is not the From domain itself
    if "adkim=s" in rec and any(x.rsplit(":", 1)[0] != author for x in sigs):
        kinds.add("strict_d_nonexact")
    if "aspf=s" in rec and spf != "-" and spf.rsplit(":", 1)[0] != author:
        kinds.add("strict_spf_nonexact")
    exists = "n" if (author != org and pdom != author and rng.random() < 0.25) else "y"
    if exists == "n":
        kinds.add("nxdomain")
    sample = "in"
    if "pct=0" in rec:
        sample = "out"
    elif "pct=" in rec and "pct=100" not in rec and rng.random() < 0.5:
        sample = "out"
    if sample == "out":
        kinds.add("sampled_out")
    return "\t".join([
        "c%04d" % i, "+".join(sorted(kinds)) or "plain", author, pdom, rec,
        ",".join(sigs) or "-", spf, exists, sample,
    ])


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: gen_cases.py SEED COUNT\n")
        return 2
    rng = random.Random(int(sys.argv[1]))
    for i in range(int(sys.argv[2])):
        print(one_case(rng, i))
    return 0


if __name__ == "__main__":
    sys.exit(main())
