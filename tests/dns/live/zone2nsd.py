#!/usr/bin/python3
"""zone2nsd.py OUT SNAPSHOT...: turn authsweep DNS snapshots into one root zone for NSD.

A snapshot is a closed world (snapshot.h): a name absent from it does not exist. An
authoritative server for the root zone "." holding the same records answers the same way
(NXDOMAIN for absent names, NODATA for present names and empty non-terminals, wildcards per
RFC 4592, CNAME chains), so the live resolver against NSD must give what the snapshot gives.
What a zone cannot say is handled here:
  ;! nodata NAME TYPE   NAME must exist: an empty non-terminal is made by adding a record
                        under it (_authsweep-exists.NAME), unless NAME has records already
  ;! nxdomain NAME      nothing to do: absent names are NXDOMAIN
  ;! timeout/servfail   cannot be served; tests skip the cases that reach them
The snapshots' own $ORIGIN/$TTL lines are kept; each input starts with a fresh $ORIGIN ".".
"""
import re
import sys

HEAD = """$ORIGIN .
$TTL 300
.                 300 IN SOA ns.authsweep-test. hostmaster.authsweep-test. 1 3600 600 86400 300
.                 300 IN NS  ns.authsweep-test.
ns.authsweep-test. 300 IN A 127.0.0.1
"""


def owners(text):
    names = set()
    for line in text.splitlines():
        if not line or line[0] in " \t;$":
            continue
        names.add(line.split()[0].lower().rstrip("."))
    return names


def main():
    out, srcs = sys.argv[1], sys.argv[2:]
    parts = [HEAD]
    for src in srcs:
        with open(src, "rb") as f:
            text = f.read().decode("latin-1")
        have = owners(text)
        extra = []
        for m in re.finditer(r"^;!\s*nodata\s+(\S+)\s+\S+", text, re.M):
            name = m.group(1).lower().rstrip(".")
            if name not in have:
                extra.append("_authsweep-exists.%s. 300 IN TXT \"ent\"" % name)
                have.add(name)
        parts.append("; from %s\n$ORIGIN .\n" % src)
        parts.append(text if text.endswith("\n") else text + "\n")
        parts.extend(x + "\n" for x in extra)
    with open(out + ".tmp", "wb") as f:
        f.write("".join(parts).encode("latin-1"))
    import os
    os.replace(out + ".tmp", out)


if __name__ == "__main__":
    main()
