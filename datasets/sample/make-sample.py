#!/usr/bin/python3
"""Rebuild datasets/sample/ from ../shared/conformance/realworld-dkim (run from the repo root:
/usr/bin/python3 datasets/sample/make-sample.py ../shared). Writes sample.mbox (mboxrd: every
line matching ^>*From  gains one '>') and sample.zone (the real public keys)."""
import email.utils, os, re, sys

shared = sys.argv[1] if len(sys.argv) > 1 else "../shared"
src = os.path.join(shared, "conformance", "realworld-dkim")
picks = ["001-icloud.com.eml", "003-icloud.com.eml", "007-outlook.com.eml", "010-gmail.com.eml",
         "013-gmail.com.eml", "021-x.com.eml", "022-amazon.com.eml", "028-github.com.eml",
         "029-github.com.eml", "031-discoursemail.com.eml", "033-arm.com.eml"]
out = bytearray()
for name in picks:
    raw = open(os.path.join(src, name), "rb").read()
    lines = raw.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    quoted = [(b">" + l) if re.match(rb"^>*From ", l) else l for l in lines]
    # The From_ line carries the delivery time, as a local delivery agent writes it; these
    # fixtures lost theirs, so take the Date: header (the closest thing to it).
    m = re.search(rb"^Date:[ \t]*(.*)$", raw, re.M | re.I)
    when = email.utils.parsedate_to_datetime(m.group(1).decode().strip()) if m else None
    stamp = when.strftime("%a %b %e %H:%M:%S %Y").encode() if when else b"Thu Jan  1 00:00:00 1970"
    out += b"From MAILER-DAEMON " + stamp + b"\n" + b"\n".join(quoted) + b"\n\n"
here = os.path.dirname(os.path.abspath(__file__))
open(os.path.join(here, "sample.mbox"), "wb").write(bytes(out))
open(os.path.join(here, "sample.zone"), "wb").write(open(os.path.join(src, "realworld.zone"), "rb").read())
print("wrote %d messages" % len(picks))
