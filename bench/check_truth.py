#!/usr/bin/python3
"""check_truth: compare authsweep's JSON Lines with a corpusgen ground truth (truth.tsv).

    bench/check_truth.py TRUTH.tsv RECORDS.jsonl [--max-list N] [--quiet]

Messages are matched by Message-ID (unique in a generated corpus), so the mbox and the
Maildir (read in file-name order) are checked the same way. Per message: one record, no
error, from_domain, as_of.time, and the DKIM signatures in header order (d, s, a, c, l,
result, reason, testing, bits for RSA, unsigned_body_bytes). SPF and DMARC are compared only
when the record carries an `spf` / `dmarc` key (a string, or an object with `result`; a
DMARC `published` -- the p=/sp=/np= value that applies -- is compared with the expected
policy when present).

Exit status: 0 every message matches; 1 a mismatch (listed, with counts per kind); 2 usage.
"""
import collections
import json
import sys


def load_truth(path):
    rows = {}
    order = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            c = line.rstrip("\n").split("\t")
            sigs = []
            if c[12] != "-":
                for s in c[12].split(";"):
                    d, sel, a, bits, canon, l, ub, res, reason, vop = s.split(",")
                    sigs.append(dict(d=d, s=sel, a=a, bits=int(bits), c=canon,
                                     l=None if l == "-" else int(l),
                                     unsigned=None if ub == "-" else int(ub),
                                     result=res, reason=None if reason == "-" else reason))
            row = dict(index=int(c[0]), message_id=c[1], file=c[2], from_domain=c[3],
                       as_of=c[4], spf=c[7], dmarc=c[8], dmarc_policy=c[9], tamper=c[10],
                       sigs=sigs)
            rows[c[1]] = row
            order.append(c[1])
    return rows, order


def verdict_of(v):
    if isinstance(v, dict):
        return v.get("result")
    return v


def compare(truth, rec, out):
    mid = truth["message_id"]
    tag = "%s (#%d %s)" % (mid, truth["index"], truth["tamper"])

    def bad(kind, what):
        out.append((kind, "%s: %s" % (tag, what)))

    if rec.get("error") is not None:
        bad("error", "record has error %r" % (rec["error"],))
        return
    if rec.get("from_domain") != truth["from_domain"]:
        bad("from_domain", "from_domain %r, expected %r" % (rec.get("from_domain"),
                                                            truth["from_domain"]))
    as_of = (rec.get("as_of") or {}).get("time")
    if as_of != truth["as_of"]:
        bad("as_of", "as_of %r, expected %r" % (as_of, truth["as_of"]))
    got = rec.get("dkim") or []
    exp = truth["sigs"]
    if len(got) != len(exp):
        bad("dkim_count", "%d signatures, expected %d" % (len(got), len(exp)))
        return
    for i, (g, e) in enumerate(zip(got, exp)):
        pre = "sig %d (d=%s s=%s)" % (i, e["d"], e["s"])
        for k in ("d", "s", "a", "c", "l", "result", "reason"):
            if g.get(k) != e[k]:
                bad("dkim_" + k, "%s: %s %r, expected %r (detail: %s)"
                    % (pre, k, g.get(k), e[k], g.get("detail")))
        if e["reason"] == "testing_key" and g.get("testing") is not True:
            bad("dkim_testing", "%s: testing is not true" % pre)
        if e["a"].startswith("rsa") and e["bits"] and g.get("bits") != e["bits"]:
            bad("dkim_bits", "%s: bits %r, expected %r" % (pre, g.get("bits"), e["bits"]))
        if e["unsigned"] is not None and g.get("unsigned_body_bytes") != e["unsigned"]:
            bad("dkim_unsigned", "%s: unsigned_body_bytes %r, expected %r"
                % (pre, g.get("unsigned_body_bytes"), e["unsigned"]))
    if "spf" in rec:
        if verdict_of(rec["spf"]) != truth["spf"]:
            bad("spf", "spf %r, expected %r" % (verdict_of(rec["spf"]), truth["spf"]))
    if "dmarc" in rec:
        if verdict_of(rec["dmarc"]) != truth["dmarc"]:
            bad("dmarc", "dmarc %r, expected %r" % (verdict_of(rec["dmarc"]), truth["dmarc"]))
        d = rec["dmarc"]
        if isinstance(d, dict) and truth["dmarc_policy"] != "-":
            # `published`: the p=/sp=/np= value that applies; older records only had
            # `policy_disposition`, which equals it for failing mail
            pol = d.get("published")
            if pol is None and d.get("result") == "fail":
                pol = d.get("policy_disposition")
            if pol is not None and pol != truth["dmarc_policy"]:
                bad("dmarc_policy", "dmarc policy %r, expected %r" % (pol, truth["dmarc_policy"]))


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--")]
    max_list = 50
    quiet = "--quiet" in argv
    for i, a in enumerate(argv):
        if a == "--max-list" and i + 1 < len(argv):
            max_list = int(argv[i + 1])
            args.remove(argv[i + 1])
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    truth, order = load_truth(args[0])
    seen = set()
    problems = []
    n_rec = 0
    n_sig = 0
    with open(args[1], encoding="utf-8") as f:
        for ln, line in enumerate(f, 1):
            if not line.strip():
                continue
            n_rec += 1
            rec = json.loads(line)
            mid = rec.get("message_id")
            t = truth.get(mid)
            if t is None:
                problems.append(("unknown_message", "line %d: Message-ID %r not in the truth"
                                 % (ln, mid)))
                continue
            if mid in seen:
                problems.append(("duplicate", "line %d: second record for %s" % (ln, mid)))
                continue
            seen.add(mid)
            n_sig += len(t["sigs"])
            compare(t, rec, problems)
    for mid in order:
        if mid not in seen:
            problems.append(("missing", "%s (#%d): no record" % (mid, truth[mid]["index"])))
    kinds = collections.Counter(k for k, _ in problems)
    if problems:
        for _, msg in problems[:max_list]:
            print("MISMATCH " + msg)
        if len(problems) > max_list:
            print("... %d more" % (len(problems) - max_list))
        print("check_truth: %d mismatches over %d messages: %s"
              % (len(problems), len(order),
                 ", ".join("%s %d" % kv for kv in sorted(kinds.items()))))
        return 1
    if not quiet:
        print("check_truth: %d messages, %d signatures: all match the ground truth"
              % (n_rec, n_sig))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
