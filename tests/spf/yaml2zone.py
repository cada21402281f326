#!/usr/bin/python3
# yaml2zone.py: turn the open-spf.org SPF test suites (YAML) into snapshot zone files and a
# TSV of test cases, for tests/engine/policy/test_spf_suite.c.
#
# Runs under /usr/bin/python3 with python3-yaml (Debian packages; setup.sh installs both).
#
#   tests/spf/yaml2zone.py [--check] SHARED_DIR OUT_DIR
#
# For each suite (rfc7208-tests.yml, rfc4408-tests.yml) it writes OUT_DIR/<suite>/NN.zone,
# one per scenario (the YAML document), and OUT_DIR/<suite>.tsv with one line per test:
#   scenario  test  host  mailfrom  helo  results(a|b)  explanation  spec
# Fields are TSV-escaped: backslash, TAB, LF and CR become \\ \t \n \r.
# With --check nothing is written: the exit status is 1 if any generated file differs from
# what is in OUT_DIR (the files are committed; tests/engine/policy/test_spf_suite.c runs this).
#
# Zone data follows the suite's own driver (pyspf test/testspf.py):
# - an SPF (type 99) record is also published as TXT when the name has no TXT entry at all
#   ("auto-magic duplication", see the suite's header); "TXT: NONE" means no TXT records;
# - "TIMEOUT" in a name's list: lookups of that name time out for every type without
#   records: the snapshot directive ";! timeout NAME";
# - a name listed with no records is left out: absent is NXDOMAIN, and the SPF checks treat
#   NODATA and NXDOMAIN alike (both are void lookups, RFC 7208 §4.6.4);
# - TXT text is bytes: code points below 256 are taken as Latin-1 bytes (the suite writes
#   raw bytes such as "\xEF\xBB\xBF" that way), anything else as UTF-8; each string is split
#   into character-strings of at most 255 bytes; bytes outside printable ASCII, '"' and '\'
#   are written as \DDD;
# - a TXT record with no strings (null.example.com: "SPF: [ ]") cannot be written in master
#   format (RFC 1035 TXT needs one string or more): it becomes one empty string "", which an
#   SPF check treats the same way (not a "v=spf1" record);
# - owner names are written with RFC 1035 §5.1 escapes for bytes that are special in master
#   files (space, quotes, ';', '(', ')', '\', and a leading '@' or '$'), e.g. the suite's
#   "macro%percent  space%20url-space.example.com" becomes "macro%percent\032\032space...".
#   Names with ':' or '/' ("foo:bar/baz.example.com") are valid DNS names and need nothing.
import os
import sys

import yaml

SUITES = ("rfc7208-tests", "rfc4408-tests")


def to_bytes(s):
    if isinstance(s, bytes):
        return s
    s = str(s)
    try:
        return s.encode("latin-1")
    except UnicodeEncodeError:
        return s.encode("utf-8")


def zone_string(b):
    out = ['"']
    for ch in b:
        if 0x20 <= ch <= 0x7E and ch not in (0x22, 0x5C):
            out.append(chr(ch))
        else:
            out.append("\\%03d" % ch)
    out.append('"')
    return "".join(out)


def txt_rdata(value):
    parts = value if isinstance(value, list) else [value]
    strings = []
    for p in parts:
        b = to_bytes(p)
        if not b:
            strings.append(b"")
        for i in range(0, len(b), 255):
            strings.append(b[i:i + 255])
    if not strings:
        strings = [b""]  # a TXT record with no strings: see the header
    return " ".join(zone_string(s) for s in strings)


def zone_name(name):
    b = to_bytes(name).rstrip(b".")
    out = []
    for i, ch in enumerate(b):
        c = chr(ch)
        if ch < 0x21 or ch > 0x7E or c in '"();\\' or (i == 0 and c in "@$"):
            out.append("\\%03d" % ch)
        else:
            out.append(c)
    return "".join(out) + "."


def zone_lines(zonedata):
    lines = []
    for name in sorted(zonedata or {}, key=lambda n: str(n).lower()):
        entries = zonedata[name] or []
        owner = zone_name(name)
        has_txt = any(isinstance(e, dict) and "TXT" in e for e in entries)
        timeout = False
        for e in entries:
            if e == "TIMEOUT":
                timeout = True
                continue
            for rtype, value in e.items():
                if value == "NONE":
                    continue
                if value == "TIMEOUT":
                    lines.append(";! timeout %s %s" % (owner, rtype))
                    continue
                if rtype in ("TXT", "SPF"):
                    lines.append("%s 300 IN %s %s" % (owner, rtype, txt_rdata(value)))
                    if rtype == "SPF" and not has_txt:
                        lines.append("%s 300 IN TXT %s" % (owner, txt_rdata(value)))
                elif rtype == "MX":
                    pref, host = value
                    host = zone_name(host) if host else "."
                    lines.append("%s 300 IN MX %d %s" % (owner, int(pref), host))
                elif rtype in ("PTR", "CNAME"):
                    lines.append("%s 300 IN %s %s" % (owner, rtype, zone_name(value)))
                elif rtype in ("A", "AAAA"):
                    lines.append("%s 300 IN %s %s" % (owner, rtype, value))
                else:
                    raise SystemExit("unknown record type %r at %r" % (rtype, name))
        if timeout:
            lines.append(";! timeout %s" % owner)
    return lines


def tsv_field(v):
    if v is None:
        return ""
    s = to_bytes(v).decode("latin-1")
    return (s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
            .replace("\r", "\\r"))


def convert(shared, suite):
    path = os.path.join(shared, "conformance", "spf-openspf", suite + ".yml")
    with open(path, "rb") as f:
        docs = list(yaml.safe_load_all(f))
    files = {}
    rows = []
    for idx, doc in enumerate(docs, 1):
        scen = "%02d" % idx
        head = ["; %s scenario %s: %s" % (suite, scen, doc.get("description", "")),
                "; generated by tests/spf/yaml2zone.py from %s.yml; do not edit" % suite]
        files[os.path.join(suite, scen + ".zone")] = "\n".join(
            head + zone_lines(doc.get("zonedata"))) + "\n"
        for tname in sorted(doc["tests"]):
            t = doc["tests"][tname]
            res = t["result"]
            res = "|".join(res) if isinstance(res, list) else res
            spec = t.get("spec", "")
            spec = ",".join(str(s) for s in spec) if isinstance(spec, list) else spec
            rows.append("\t".join(tsv_field(x) for x in (
                scen, tname, t.get("host"), t.get("mailfrom", ""), t.get("helo", ""), res,
                t.get("explanation"), spec)))
    files[suite + ".tsv"] = ("# scenario\ttest\thost\tmailfrom\thelo\tresults\texplanation\tspec\n"
                             + "\n".join(rows) + "\n")
    return files


def main(argv):
    check = False
    if argv and argv[0] == "--check":
        check, argv = True, argv[1:]
    if len(argv) != 2:
        raise SystemExit("usage: yaml2zone.py [--check] SHARED_DIR OUT_DIR")
    shared, out = argv
    stale = []
    for suite in SUITES:
        for rel, text in convert(shared, suite).items():
            dst = os.path.join(out, rel)
            data = text.encode("latin-1")
            if check:
                try:
                    with open(dst, "rb") as f:
                        if f.read() == data:
                            continue
                except OSError:
                    pass
                stale.append(rel)
                continue
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            with open(dst, "wb") as f:
                f.write(data)
    if stale:
        print("stale or missing (run tests/spf/yaml2zone.py): " + " ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
