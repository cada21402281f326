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
# SPF and DMARC records written for this sample, so that `make sample` shows every layer.
# They are illustrative: shaped like what these domains publish, NOT snapshots of the real
# records (the DKIM keys above them are the real, historical ones).
ILLUSTRATIVE = """
; ---------------------------------------------------------------------------------------
; Illustrative SPF and DMARC records, written for this sample (NOT snapshots of the real
; ones). They make the sample show SPF, DMARC and every class label.
; ---------------------------------------------------------------------------------------
gmail.com. 300 IN TXT "v=spf1 redirect=_spf.google.com"
_spf.google.com. 300 IN TXT "v=spf1 ip4:209.85.128.0/17 ip4:35.190.247.0/24 ip4:66.102.0.0/20 ip6:2001:4860:4000::/36 ~all"
_dmarc.gmail.com. 300 IN TXT "v=DMARC1; p=none; sp=quarantine; rua=mailto:mailauth-reports@google.com"
outlook.com. 300 IN TXT "v=spf1 ip4:40.92.0.0/15 ip4:40.107.0.0/16 ip4:52.100.0.0/14 ip6:2a01:111:f400::/48 -all"
_dmarc.outlook.com. 300 IN TXT "v=DMARC1; p=none; sp=quarantine; rua=mailto:d@rua.example.net"
icloud.com. 300 IN TXT "v=spf1 ip4:17.58.0.0/16 ip4:17.57.155.0/24 -all"
_dmarc.icloud.com. 300 IN TXT "v=DMARC1; p=quarantine; sp=quarantine; rua=mailto:dmarc_agg@icloud.com"
bounce.x.com. 300 IN TXT "v=spf1 ip4:199.16.156.0/22 ip4:199.59.148.0/22 -all"
_dmarc.x.com. 300 IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc@x.com"
_dmarc.amazon.com. 300 IN TXT "v=DMARC1; p=quarantine; rua=mailto:dmarc@amazon.com"
sgmail.github.com. 300 IN TXT "v=spf1 ip4:192.254.112.0/20 ip4:167.89.0.0/17 ~all"
github.com. 300 IN TXT "v=spf1 ip4:192.30.252.0/22 include:_spf.google.com ~all"
_dmarc.github.com. 300 IN TXT "v=DMARC1; p=reject; pct=100; rua=mailto:dmarc@github.com"
discoursemail.com. 300 IN TXT "v=spf1 ip4:216.218.240.0/24 -all"
_dmarc.arm.com. 300 IN TXT "v=DMARC1; p=none; rua=mailto:dmarc@arm.com"
"""
open(os.path.join(here, "sample.zone"), "wb").write(
    open(os.path.join(src, "realworld.zone"), "rb").read() + ILLUSTRATIVE.encode())
print("wrote %d messages" % len(picks))
