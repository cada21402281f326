#!/usr/bin/python3
# diff_pyspf.py: differential vectors for our SPF engine against pyspf.
#
# Runs under /usr/bin/python3 with python3-spf (pyspf 2.0.x) and python3-dnspython (Debian
# packages; setup.sh installs them).
#
#   tests/spf/diff_pyspf.py [--check] OUT_DIR
#
# A seeded generator (SEED, N_CASES below) makes one zone of random SPF policies (mixes of
# ip4/ip6/a/mx/ptr/exists/include/all, qualifiers, CIDR and dual-CIDR lengths, redirect=,
# exp=, macros, record-selection mistakes, syntax errors, void names, timeouts, and chains
# that run into the 10-lookup, void, MX and PTR limits) and a list of cases (client address,
# MAIL FROM, HELO). pyspf evaluates every case against the same data, served through a
# monkeypatched spf.DNSLookup, and its results are written beside the zone:
#   OUT_DIR/diff.zone    snapshot zone (RFC 1035 master format)
#   OUT_DIR/cases.tsv    case  host  mailfrom  helo  pyspf-result  pyspf-explanation
# tests/engine/policy/test_spf_diff.c runs our engine on the same zone and cases; every
# disagreement is either fixed or listed there with its reason. With --check nothing is
# written and the exit status is 1 if the committed files differ from a fresh run.
import os
import random
import sys

import spf

SEED = 7208
N_DOMAINS = 48
N_CASES = 400
BASE = "diff.test"

rng = random.Random(SEED)
zone = {}  # (name, type) -> list of values; TXT values are lists of str
timeouts = set()


def add(name, rtype, value):
    zone.setdefault((name.lower(), rtype), []).append(value)


def dom(k):
    return "d%d.%s" % (k, BASE)


def host(k):
    return "h%d.%s" % (k, BASE)


def v4(k):
    return "192.0.2.%d" % k


def v6(k):
    return "2001:db8::%x" % k


def mech(k):
    """One random directive for domain k."""
    q = rng.choice(["", "", "", "+", "-", "~", "?"])
    kind = rng.choice(["ip4", "ip4", "ip6", "a", "a", "mx", "mx", "ptr", "exists", "exists",
                       "include", "include"])
    if rng.random() < 0.02:
        kind = "bad"
    if kind == "ip4":
        c = rng.choice(["", "", "/24", "/30", "/32", "/0", "/16"])
        return q + "ip4:%s%s" % (rng.choice([v4(rng.randint(1, 24)), "198.51.100.7"]), c)
    if kind == "ip6":
        c = rng.choice(["", "/64", "/126", "/128", "/0"])
        return q + "ip6:%s%s" % (v6(rng.randint(1, 8)), c)
    if kind in ("a", "mx"):
        tgt = rng.choice(["", ":" + host(rng.randint(1, 24)), ":" + dom(rng.randint(0, N_DOMAINS - 1)),
                          ":nx%d.%s" % (rng.randint(0, 3), BASE), ":%{d}",
                          ":tmo." + BASE if rng.random() < 0.1 else ":%{d}"])
        c = rng.choice(["", "", "/24", "//64", "/24//64", "/31", "//120"])
        return q + kind + tgt + c
    if kind == "ptr":
        return q + "ptr" + rng.choice(["", ":" + BASE, ":" + dom(rng.randint(0, N_DOMAINS - 1)),
                                       ":h1." + BASE])
    if kind == "exists":
        return q + "exists:" + rng.choice([
            "%{i}.ex." + BASE, "%{ir}.%{v}.ex." + BASE, "%{l}.ex." + BASE, "%{l1r-}.ex." + BASE,
            "%{d2}.ex." + BASE, "%{o}.ex." + BASE, "%{h}.ex." + BASE, "%{p}.ex." + BASE,
            "nx.ex." + BASE, "%{s}.ex." + BASE])
    if kind == "include":
        r = rng.random()
        tgt = "nx9." + BASE if r < 0.04 else "tmo." + BASE if r < 0.06 else \
            dom(rng.randint(0, N_DOMAINS - 1))
        return q + "include:" + tgt
    return rng.choice(["ip4:1.2.3.4/33", "a:foo", "frob", "ip6:::1//64", "-all:x", "%{x}",
                       "exists", "a:%{d0}.x", "mx/", "redirect"])


def record(k):
    n = rng.choice([0, 1, 1, 2, 2, 2, 3, 3, 4, 5])
    terms = [mech(k) for _ in range(n)]
    tail = rng.choice(["-all", "-all", "~all", "?all", "+all", "", "redirect", "redirect"])
    if tail == "redirect":
        terms.append("redirect=" + rng.choice([dom(rng.randint(0, N_DOMAINS - 1)),
                                               dom(rng.randint(0, N_DOMAINS - 1)), "nx9." + BASE,
                                               "%{d2}"]))
    elif tail:
        terms.append(tail)
    if rng.random() < 0.3:
        terms.append("exp=" + rng.choice(["exp." + BASE, "exp2." + BASE, "nx." + BASE,
                                          "%{d}.expl." + BASE]))
    if rng.random() < 0.05:
        terms.append("unknown-mod=%{d}")
    return "v=spf1" + "".join(" " + t for t in terms)


def build():
    for k in range(1, 25):
        add(host(k), "A", v4(k))
        if k % 3 == 0:
            add(host(k), "AAAA", v6(k % 9))
        ptr = "%d.2.0.192.in-addr.arpa" % k
        add(ptr, "PTR", host(k))
        if k % 4 == 0:
            add(ptr, "PTR", dom(k))
            add(dom(k), "A", v4(k))
    # one address with 12 PTR names: only the first 10 may be used
    for j in range(12):
        add("25.2.0.192.in-addr.arpa", "PTR", "p%d.%s" % (j, BASE))
        add("p%d.%s" % (j, BASE), "A", v4(25))
    for k in range(N_DOMAINS):
        d = dom(k)
        if k % 11 == 5:
            continue  # no record at all
        rec = record(k)
        add(d, "TXT", [rec])
        if k % 13 == 7:
            add(d, "TXT", ["v=spf1 -all"])  # two records: permerror
        if k % 7 == 3:
            add(d, "TXT", ["some other text"])
        nmx = 11 if k % 17 == 9 else rng.randint(0, 3)
        for j in range(nmx):
            add(d, "MX", (j, host(rng.randint(1, 24))))
    # a chain of includes past the lookup limit
    for j in range(12):
        add("chain%d.%s" % (j, BASE), "TXT", ["v=spf1 include:chain%d.%s -all" % (j + 1, BASE)])
    add("chain12." + BASE, "TXT", ["v=spf1 +all"])
    for k in range(1, 25, 2):
        add("%s.ex.%s" % (v4(k), BASE), "A", "127.0.0.2")
        add("%d.2.0.192.in-addr.ex.%s" % (k, BASE), "A", "127.0.0.2")
    for name in ("user", "postmaster", "d1." + BASE, BASE + ".ex." + BASE):
        add("%s.ex.%s" % (name, BASE), "A", "127.0.0.2")
    add("exp." + BASE, "TXT", ["Denied %{i} for %{s} via %{d} (%{c}, %{v}, %{r})"])
    add("exp2." + BASE, "TXT", ["Two"])
    add("exp2." + BASE, "TXT", ["records"])
    timeouts.add("tmo." + BASE)


def lookup(name, qtype, strict=True, timeout=None):
    name = name.lower().rstrip(".")
    if name in timeouts:
        raise spf.TempError("DNS timeout")
    out = []
    for v in zone.get((name, qtype), []):
        if qtype == "TXT":
            v = [s.encode("ascii") for s in v]
        out.append(((name, qtype), v))
    return out


def zone_text():
    lines = ["; generated by tests/spf/diff_pyspf.py (seed %d); do not edit" % SEED]
    for (name, rtype) in sorted(zone):
        for v in zone[(name, rtype)]:
            if rtype == "TXT":
                data = " ".join('"%s"' % s.replace("\\", "\\\\").replace('"', '\\"') for s in v)
            elif rtype == "MX":
                data = "%d %s." % (v[0], v[1])
            elif rtype == "PTR":
                data = v + "."
            else:
                data = v
            lines.append("%s. 300 IN %s %s" % (name, rtype, data))
    for t in sorted(timeouts):
        lines.append(";! timeout %s." % t)
    return "\n".join(lines) + "\n"


def cases():
    ips = [v4(k) for k in range(1, 26)] + ["198.51.100.7", "203.0.113.9"] + \
          [v6(k) for k in range(1, 9)]
    rows = []
    for n in range(N_CASES):
        ip = rng.choice(ips)
        r = rng.random()
        if r < 0.05:
            d = "chain0." + BASE
        elif r < 0.07:
            d = "nx9." + BASE
        elif r < 0.08:
            d = "tmo." + BASE
        else:
            d = dom(rng.randint(0, N_DOMAINS - 1))
        local = rng.choice(["user", "user", "a.b-c", "postmaster", ""])
        mailfrom = "%s@%s" % (local, d) if rng.random() > 0.08 else ""
        helo = d if not mailfrom else host(rng.randint(1, 24))
        q = spf.query(i=ip, s=mailfrom, h=helo, receiver="receiver.example.org", querytime=0)
        res, _, exp = q.check()
        if res != "fail" or exp == spf.EXPLANATIONS["fail"]:
            exp = ""
        rows.append("\t".join(["c%03d" % n, ip, mailfrom, helo, res, exp]))
    return "# case\thost\tmailfrom\thelo\tpyspf-result\tpyspf-explanation\n" + "\n".join(rows) + "\n"


def main(argv):
    check = False
    if argv and argv[0] == "--check":
        check, argv = True, argv[1:]
    if len(argv) != 1:
        raise SystemExit("usage: diff_pyspf.py [--check] OUT_DIR")
    out = argv[0]
    spf.DNSLookup = lookup
    build()
    files = {"diff.zone": zone_text(), "cases.tsv": cases()}
    stale = []
    for rel, text in files.items():
        dst = os.path.join(out, rel)
        if check:
            try:
                with open(dst, encoding="utf-8") as f:
                    if f.read() == text:
                        continue
            except OSError:
                pass
            stale.append(rel)
            continue
        os.makedirs(out, exist_ok=True)
        with open(dst, "w", encoding="utf-8") as f:
            f.write(text)
    if stale:
        print("stale or missing (run tests/spf/diff_pyspf.py): " + " ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
