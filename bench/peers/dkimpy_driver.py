#!/usr/bin/python3
"""dkimpy peer: verify every DKIM-Signature of each listed message with python3-dkim.

    dkimpy_driver.py ZONE LIST      LIST: lines "PATH<TAB>AS_OF_EPOCH"

Keys come from the same zone file as authsweep's (dnsfunc), x=/t= are judged at each
message's evaluation time (the newest Received date), and LF is turned into CRLF (the wire
form), as authsweep does. Prints one line: messages, signatures, passes."""
import sys
import time

import dkim


def load_zone(path):
    txt = {}
    for line in open(path, encoding="utf-8"):
        if not line.strip() or line[0] in ";$":
            continue
        name, rest = line.split(None, 1)
        if not rest.startswith("IN TXT "):
            continue
        s, out, i, q = rest[7:], [], 0, False
        cur = []
        while i < len(s):
            c = s[i]
            if c == '"':
                if q:
                    out.append("".join(cur))
                    cur = []
                q = not q
            elif q and c == "\\":
                i += 1
                cur.append(s[i])
            elif q:
                cur.append(c)
            i += 1
        txt[name.lower().encode()] = "".join(out).encode()
    return txt


class FakeTime:
    now = 0.0

    @staticmethod
    def time():
        return FakeTime.now


def main():
    zone = load_zone(sys.argv[1])

    def dnsfunc(name, timeout=5):
        if isinstance(name, str):
            name = name.encode()
        name = name.lower()
        if not name.endswith(b"."):
            name += b"."
        return zone.get(name)

    dkim.time = FakeTime  # judge x=/t= at the message's evaluation time
    n_msg = n_sig = n_pass = 0
    for line in open(sys.argv[2], encoding="utf-8"):
        path, as_of = line.rstrip("\n").split("\t")
        FakeTime.now = float(as_of)
        with open(path, "rb") as f:
            msg = f.read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        n_msg += 1
        d = dkim.DKIM(msg, minkey=1024)
        nsig = sum(1 for h in d.headers if h[0].lower() == b"dkim-signature")
        for i in range(nsig):
            n_sig += 1
            try:
                if d.verify(idx=i, dnsfunc=dnsfunc):
                    n_pass += 1
            except dkim.DKIMException:
                pass
    print("messages %d signatures %d pass %d" % (n_msg, n_sig, n_pass))


if __name__ == "__main__":
    main()
