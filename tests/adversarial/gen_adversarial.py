#!/usr/bin/python3
"""gen_adversarial.py: writes the adversarial corpus for tests/adversarial/test_adversarial.c.

Usage: gen_adversarial.py OUTDIR [GROUP...]     (no GROUP: every group)

Deterministic: the same bytes on every run (no randomness without a fixed seed, no clock;
the one real signer, dkimpy, runs with time.time pinned). Everything is generated from code,
nothing is a stored blob. Writes, under OUTDIR:

  adv.zone            the DNS snapshot every run uses (keys, hostile answers, SPF loops)
  GROUP/...           mbox files, Maildir folders and .eml files of that group
  manifest.tsv        one line per `authsweep verify` run:
                        name  args  messages  exit  flags  expect...
                      args are relative to OUTDIR (the test runs from there); messages is
                      how many messages the run reads (= records); exit the documented exit
                      status; flags a comma list ("-" for none): nosummary (the run stops
                      before reading, e.g. a zone that does not load), tight=N (must finish
                      within N seconds even under ASan), zone (stderr must name the zone
                      file with a line number); each expect is a substring that must appear
                      in the records, or with a leading "!" must not.
  spf.tsv             one line per `authsweep spf` run: name ip sender helo expect...

Groups: headers dkim dns mbox maildir zone spf. Sizes are as small as each case allows: the
whole corpus is a few tens of MB and takes well under a second to write.
"""
import base64
import hashlib
import os
import random
import sys

OUT = None
MANIFEST = []
SPF = []
ZONE = []

FROM_LINE = b"From MAILER-DAEMON Fri Mar  1 12:00:00 2024\n"
DOM = "adv.example"


# ------------------------------------------------------------------------------------------
# small helpers

def wr(rel, data):
    path = os.path.join(OUT, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    return rel


def case(name, args, messages, exit_status=0, flags="-", expect=()):
    MANIFEST.append((name, args, str(messages), str(exit_status), flags) + tuple(expect))


def mbox(*msgs):
    return b"".join(FROM_LINE + m + (b"" if m.endswith(b"\n") else b"\n") + b"\n" for m in msgs)


def bh_simple(body):
    """RFC 6376 §3.4.3 simple body hash of an LF-stored body (LF read as CRLF)."""
    b = body.replace(b"\n", b"\r\n")
    while b.endswith(b"\r\n\r\n"):
        b = b[:-2]
    if not b.endswith(b"\r\n"):
        b += b"\r\n"
    return base64.b64encode(hashlib.sha256(b).digest())


def b64(data):
    return base64.b64encode(data)


def sig(d=DOM.encode(), s=b"s", a=b"rsa-sha256", h=b"from", bh=b"AAAA", b=b"AAAA",
        extra=b"", c=None):
    tags = b"v=1; a=" + a + b"; d=" + d + b"; s=" + s
    if c is not None:
        tags += b"; c=" + c
    tags += b"; h=" + h + b"; bh=" + bh + b"; " + extra + b"b=" + b
    return b"DKIM-Signature: " + tags + b"\n"


def msg(headers=b"", body=b"hello\n", frm=b"From: Alice <alice@adv.example>\n"):
    return headers + frm + b"Message-ID: <m@adv.example>\n\n" + body


# DER for RSA SubjectPublicKeyInfo, written out so that any modulus size can be made without
# generating a key (a 16384-bit key would take minutes; the verifier only reads its size).
def der_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def der(tag, body):
    return bytes([tag]) + der_len(len(body)) + body


def der_int(v):
    b = v.to_bytes(v.bit_length() // 8 + 1, "big")
    return der(0x02, b)


def spki_rsa(n, e=65537):
    alg = der(0x30, der(0x06, bytes.fromhex("2a864886f70d010101")) + b"\x05\x00")
    key = der(0x30, der_int(n) + der_int(e))
    return der(0x30, alg + der(0x03, b"\x00" + key))


def odd_modulus(bits, seed):
    r = random.Random(seed)
    return r.getrandbits(bits) | (1 << (bits - 1)) | 1


def txt_rdata(data):
    """Zone TXT rdata: strings of at most 255 bytes, escaped as RFC 1035 §5.1 says."""
    out = []
    for i in range(0, max(len(data), 1), 255):
        chunk = data[i:i + 255]
        s = b""
        for c in chunk:
            if c in (0x22, 0x5c):
                s += b"\\" + bytes([c])
            elif 0x20 <= c < 0x7f:
                s += bytes([c])
            else:
                s += b"\\%03d" % c
        out.append(b'"' + s + b'"')
    return b" ".join(out)


def zone(name, rtype, rdata):
    ZONE.append(name.encode() + b". 300 IN " + rtype.encode() + b" " + rdata)


def key_txt(sel, data, dom=DOM):
    zone("%s._domainkey.%s" % (sel, dom), "TXT", txt_rdata(data))


# A deterministic Ed25519 key and a real signer, so that some hostile messages also carry a
# signature that must pass (the hostile bytes must not break a good verification).
ED_SEED = hashlib.sha256(b"authsweep adversarial ed25519").digest()


def ed_sign(message, headers=(b"from", b"subject")):
    import time
    import dkim
    real = time.time
    time.time = lambda: 1709294400  # 2024-03-01T12:00:00Z: t= is fixed
    try:
        wire = message.replace(b"\n", b"\r\n")
        s = dkim.sign(wire, b"ed", DOM.encode(), b64(ED_SEED),
                      signature_algorithm=b"ed25519-sha256", include_headers=list(headers))
    finally:
        time.time = real
    return s.replace(b"\r\n", b"\n") + message


def ed_pub():
    import nacl.signing
    return bytes(nacl.signing.SigningKey(ED_SEED).verify_key)


# ------------------------------------------------------------------------------------------
# headers: NUL, 8-bit, bare CR, huge lines, many fields, deep nesting

def gen_headers():
    g = "headers"
    # NUL bytes in names, values and DKIM tag values.
    nul = [
        msg(b"Subject: a\x00b\nX-\x00Nul: 1\n\x00: empty name\n"),
        msg(sig(d=b"adv\x00.example", s=b"s\x00el")),
        msg(sig(bh=b"AA\x00AA", b=b"AAAA\x00AAAA")),
        msg(b"", frm=b"From: Al\x00ice <al\x00ice@adv.exa\x00mple>\n"),
        msg(b"Message-ID: <\x00@x>\n"),
        b"\x00\x00\x00\n\n\x00body\n",
    ]
    wr(g + "/nul.mbox", mbox(*nul))
    wr(g + "/nul-only.eml", b"\x00" * 1000)
    case("nul_bytes", g + "/nul.mbox " + g + "/nul-only.eml", len(nul) + 1)

    # 8-bit and invalid UTF-8 everywhere: overlong forms, lone surrogates, truncated
    # sequences, 5- and 6-byte forms, bytes 0xF5-0xFF, C1 controls.
    bad = [b"\xff\xfe", b"\xc0\xaf", b"\xed\xa0\x80", b"\xe2\x82", b"\xf8\x88\x80\x80\x80",
           b"\xfc\x84\x80\x80\x80\x80", b"\xf5\x80\x80\x80", b"\x80\x81", b"\xc2\x85", b"\xf0\x9f"]
    eight = []
    for i, x in enumerate(bad):
        eight.append(msg(b"Subject: " + x + b"\nMessage-ID: <" + x + b"@" + x + b">\n"
                         + sig(d=b"ad" + x + b".example", s=x, extra=b"i=" + x + b"@ad" + x
                               + b".example; "),
                         body=x * 3 + b"\n",
                         frm=b"From: " + x + b" \"" + x + b"\" <u" + x + b"@ex" + x
                         + b"ample.com>\n"))
    # a truncated multi-byte sequence as the very last byte of a header value and of the file
    eight.append(b"From: a@adv.example\nSubject: \xe2\x82")
    wr(g + "/8bit.mbox", mbox(*eight))
    # Latin-1 domain and a good signature over an 8-bit display name and body: must pass.
    good = ed_sign(b"From: J\xf6rg \xff <jorg@adv.example>\nSubject: \xed\xa0\x80 caf\xe9\n"
                   b"Message-ID: <\xff@adv.example>\n\nbody \xff\xfe\n")
    wr(g + "/8bit-signed.eml", good)
    case("invalid_utf8_everywhere", g + "/8bit.mbox " + g + "/8bit-signed.eml", len(eight) + 1,
         expect=['"result":"pass"', "\ufffd"])

    # Bare CR line ends: a whole message of CR-only lines, and CRs mixed into LF headers.
    wr(g + "/cr-only.eml", b"From: a@adv.example\rSubject: cr\r" + sig().rstrip(b"\n")
       + b"\r\rbody\rmore\r")
    wr(g + "/cr-mixed.mbox", mbox(b"From: a@adv.example\r\nSubject: x\ry\n\r\n\rbody\r\r\n",
                                  b"Subject: \r\r\r\r\nFrom: b@adv.example\r\n\r",
                                  sig().replace(b"; ", b";\r ") + b"From: c@adv.example\n\nb\n"))
    case("bare_cr", g + "/cr-only.eml " + g + "/cr-mixed.mbox", 4)

    # Lines of several megabytes: one header field, one folded field, one body line, a
    # DKIM-Signature whose b= is 3 MB.
    mb3 = 3 << 20
    wr(g + "/long-lines.mbox", mbox(
        msg(b"Subject: " + b"x" * mb3 + b"\n"),
        msg(b"X-Folded: " + b"y\n " * (mb3 // 3) + b"\n"),
        msg(body=b"z" * mb3 + b"\n"),
        msg(sig(b=b"A" * mb3)),
    ))
    case("multi_megabyte_lines", g + "/long-lines.mbox", 4)

    # 100,000 header fields (under the 200,000 limit), and one over it.
    wr(g + "/100k-fields.eml", b"X:1\n" * 100000 + msg())
    wr(g + "/too-many-fields.eml", b"X:1\n" * 200001 + msg())
    case("header_field_count", g + "/100k-fields.eml " + g + "/too-many-fields.eml", 2,
         expect=['"code":"too_many_header_fields"'])

    # From: with 10,000 levels of comments, quotes, angle brackets, groups; unbalanced.
    n = 10000
    froms = [
        b"From: " + b"(" * n + b"c" + b")" * n + b" <a@adv.example>\n",
        b"From: " + b"(" * n + b" <a@adv.example>\n",
        b"From: " + b")" * n + b" <a@adv.example>\n",
        b"From: " + b'"\\"' * n + b" <a@adv.example>\n",
        b"From: " + b"<" * n + b"a@adv.example" + b">" * n + b"\n",
        b"From: " + b"g:" * n + b"a@adv.example" + b";" * n + b"\n",
        b"From: a@" + b"(" * n + b"adv.example\n",
        b"From: " + b"(\\" * n + b"\n",
        b"From: " + b"a@adv.example, " * n + b"b@adv.example\n",
        b"From: \"" + b"\\" * (2 * n) + b"\" <a@[" + b"1." * n + b"]>\n",
    ]
    wr(g + "/deep-from.mbox", mbox(*[msg(frm=f) for f in froms]))
    # Received headers that are hard to date: nested comments, 80-digit years.
    wr(g + "/received.eml", b"Received: from x " + b"(" * n + b"; Fri, 1 Mar 2024 12:00:00 +0000\n"
       b"Received: by y; Fri, 1 Mar " + b"9" * 80 + b" 12:00:00 +0000\n"
       b"Received: by z; " + b"Fri, " * 2000 + b"\n" + msg())
    case("deep_from_nesting", g + "/deep-from.mbox " + g + "/received.eml", len(froms) + 1,
         expect=['"from_error":'])

    # Header oddities: continuation first, no colon, only whitespace, no blank line, field
    # names of 8-bit bytes, a header block that is one 1 MB folded field of spaces.
    odd = [
        b" leading continuation\nFrom: a@adv.example\n\nb\n",
        b"no colon at all\nFrom: a@adv.example\n\nb\n",
        b"From: a@adv.example\n \n \n\t\n\nb\n",
        b"From: a@adv.example\nSubject: no body and no blank line",
        b"\xff\xfe: v\nFrom: a@adv.example\n\n",
        b"X: " + b" \n" * (1 << 18) + b"From: a@adv.example\n\n",
        b"From:\n\n",
        b"From: <>\n\n",
        b"From: @\n\n",
        b"From: a@\n\n",
        b"From: a@adv.example\nFrom: b@other.example\n\n",
    ]
    wr(g + "/odd.mbox", mbox(*odd))
    case("header_oddities", g + "/odd.mbox", len(odd))


# ------------------------------------------------------------------------------------------
# dkim: thousands of signatures, junk base64, l=, keys too large or of the wrong length

def gen_dkim():
    g = "dkim"
    body = b"hello\n"
    bh = bh_simple(body)
    # The OpenDKIM DoS: thousands of signatures, each with its own key name and body hash
    # (l= differs), over a 256 KB body. Only --max-signatures are verified; 50 more listed.
    big_body = (b"line of body text that is hashed\n" * 8000)
    sigs = b"".join(sig(s=b"k%d" % i, bh=bh_simple(big_body), extra=b"l=%d; c=%s; " % (
        i, b"relaxed/relaxed" if i % 2 else b"simple/simple"), b=b"A" * 344)
        for i in range(5000))
    wr(g + "/5000-sigs.eml", sigs + msg(body=big_body))
    case("thousands_of_signatures", g + "/5000-sigs.eml", 1, flags="tight=20",
         expect=['"reason":"skipped_limit"', '"dkim_unlisted":4940'])

    # Junk in b= and bh=: bad characters, misplaced padding, NUL, 8-bit, too long.
    junk = [b"!!!!", b"A=AA", b"AAAA====", b"AAA", b"A", b"=", b"", b"AA\x00A", b"AA\xffA",
            b"AA AA\n\tAA", b"-_-_", b"A" * 20000, b"QUFB" * 3000 + b"=", b"%%%%"]
    jm = []
    for j in junk:
        jm.append(msg(sig(b=j, bh=bh), body=body))
        jm.append(msg(sig(bh=j), body=body))
    wr(g + "/b64-junk.mbox", mbox(*jm))
    case("base64_junk_in_b_and_bh", g + "/b64-junk.mbox", len(jm),
         expect=['"reason":"sig_syntax"'])

    # l= larger than the body, with 80 digits, negative, hex, leading zeros, empty.
    ls = [b"1000", b"7", b"6", b"0", b"9" * 80, b"1" + b"0" * 79, b"-1", b"0x10", b"007", b"",
          b"18446744073709551615", b"18446744073709551616"]
    # (s=ed: the key exists, so the body-length check is reached)
    lm = [msg(sig(s=b"ed", a=b"ed25519-sha256", bh=bh, b=b64(b"\x02" * 64),
                  extra=b"l=" + v + b"; "), body=body) for v in ls]
    wr(g + "/l-tag.mbox", mbox(*lm))
    case("l_tag_out_of_range", g + "/l-tag.mbox", len(lm),
         expect=['"reason":"body_length_exceeds"', '"reason":"sig_syntax"'])

    # t= and x= of 80 digits.
    tm = [msg(sig(bh=bh, extra=b"t=" + b"9" * 80 + b"; "), body=body),
          msg(sig(bh=bh, extra=b"x=" + b"9" * 80 + b"; "), body=body),
          msg(sig(bh=bh, extra=b"t=5; x=4; "), body=body)]
    wr(g + "/times.mbox", mbox(*tm))
    case("timestamps_of_80_digits", g + "/times.mbox", len(tm))

    # Keys: 16384-bit RSA (key_too_large), 512-bit (too small), 2048-bit with a 2048-bit
    # exponent, p= junk, Ed25519 keys of wrong lengths.
    key_txt("big", b"v=DKIM1; k=rsa; p=" + b64(spki_rsa(odd_modulus(16384, 1))))
    key_txt("small", b"v=DKIM1; k=rsa; p=" + b64(spki_rsa(odd_modulus(512, 2))))
    key_txt("bige", b"v=DKIM1; k=rsa; p=" + b64(spki_rsa(odd_modulus(2048, 3),
                                                          odd_modulus(2048, 4))))
    key_txt("zeroe", b"v=DKIM1; k=rsa; p=" + b64(spki_rsa(odd_modulus(2048, 5), 0)))
    key_txt("notder", b"v=DKIM1; k=rsa; p=" + b64(b"\x30\x82\xff\xff" + b"\x00" * 100))
    key_txt("junkp", b"v=DKIM1; k=rsa; p=!!!not*base64===")
    key_txt("nulp", b"v=DKIM1; k=rsa; p=MIIB\x00IjAN")
    key_txt("ed31", b"v=DKIM1; k=ed25519; p=" + b64(b"\x01" * 31))
    key_txt("ed33", b"v=DKIM1; k=ed25519; p=" + b64(b"\x01" * 33))
    key_txt("ed0", b"v=DKIM1; k=ed25519; p=" + b64(b"\x00" * 32))
    key_txt("edrsa", b"v=DKIM1; k=ed25519; p=" + b64(spki_rsa(odd_modulus(2048, 6))))
    key_txt("tags60", b"; ".join(b"x%d=%d" % (i, i) for i in range(60)) + b"; p=AAAA")
    key_txt("tags1000", b"; ".join(b"x%d=%d" % (i, i) for i in range(1000)) + b"; p=AAAA")
    big_b = b64(b"\x01" * 2048)
    km = [msg(sig(s=b"big", bh=bh, b=big_b), body=body),
          msg(sig(s=b"small", bh=bh, b=b64(b"\x01" * 64)), body=body),
          msg(sig(s=b"bige", bh=bh, b=b64(b"\x01" * 256)), body=body),
          msg(sig(s=b"zeroe", bh=bh, b=b64(b"\x01" * 256)), body=body)]
    for s in (b"notder", b"junkp", b"nulp", b"tags60", b"tags1000"):
        km.append(msg(sig(s=s, bh=bh, b=b64(b"\x01" * 256)), body=body))
    for s in (b"ed31", b"ed33", b"ed0", b"ed", b"edrsa"):
        for blen in (64, 63, 65, 0):
            km.append(msg(sig(s=s, a=b"ed25519-sha256", bh=bh, b=b64(b"\x02" * blen)),
                          body=body))
    wr(g + "/keys.mbox", mbox(*km))
    case("hostile_keys", g + "/keys.mbox", len(km),
         expect=['"reason":"key_too_large"', '"reason":"key_syntax"', '"bits":16384'])

    # A 3072-bit modulus with a 3071-bit public exponent. OpenSSL caps e at 64 bits only for
    # moduli over 3072 bits, so each verification costs ~6 ms instead of ~50 us (a 100x CPU
    # amplification, the same class as key_too_large). Proposed behaviour: refuse such a key
    # before verifying (any reason but a cryptographic fail).
    key_txt("bigexp", b"v=DKIM1; k=rsa; p=" + b64(spki_rsa(odd_modulus(3072, 21),
                                                            odd_modulus(3071, 22))))
    em = [msg(b"".join(sig(s=b"bigexp", bh=bh, b=b64(b"\x01" * 384), extra=b"z=%d; " % i)
                       for i in range(10)), body=body)]
    wr(g + "/big-exponent.eml", em[0])
    case("rsa_public_exponent_of_3071_bits_is_refused", g + "/big-exponent.eml", 1,
         expect=['"bits":3072', '!"reason":"signature_mismatch"'])

    # h= with 1000 names (over the 256 limit) and with 256; 60, 64, 65 and 1000 tags;
    # duplicate tags; a tag list of nothing but separators.
    names1000 = b":".join(b"from" if i == 0 else b"x-h%d" % i for i in range(1000))
    names256 = b":".join(b"from" if i == 0 else b"x-h%d" % i for i in range(256))

    def ntags(n):
        return b"".join(b"z%d=%d; " % (i, i) for i in range(n - 7))  # sig() writes 7
    hm = [msg(sig(h=names1000, bh=bh), body=body),
          msg(sig(h=names256, bh=bh), body=body),
          msg(sig(h=b"from" + b":" * 5000, bh=bh), body=body),
          msg(sig(bh=bh, extra=ntags(60)), body=body),
          msg(sig(bh=bh, extra=ntags(64)), body=body),
          msg(sig(bh=bh, extra=ntags(65)), body=body),
          msg(sig(bh=bh, extra=ntags(1000)), body=body),
          msg(sig(bh=bh, extra=b"d=other.example; d=adv.example; "), body=body),
          msg(b"DKIM-Signature: " + b";" * 10000 + b"\n", body=body),
          msg(b"DKIM-Signature: " + b"=" * 10000 + b"\n", body=body),
          msg(b"DKIM-Signature:\n", body=body),
          msg(sig(bh=bh, extra=b"z=" + b"|".join([b"a:b"] * 5000) + b"; "), body=body),
          msg(sig(bh=bh, extra=b"i=" + b"=41" * 3000 + b"@adv.example; "), body=body),
          msg(sig(bh=bh, extra=b"q=" + b"dns/txt:" * 3000 + b"; "), body=body)]
    wr(g + "/tags.mbox", mbox(*hm))
    case("tag_lists_and_h_names", g + "/tags.mbox", len(hm), expect=['"reason":"sig_syntax"'])

    # Signatures that are good, next to hostile ones in the same message: must still pass.
    good = ed_sign(b"From: a@adv.example\nSubject: ok\n\nhello\n")
    hostile_first = sig(s=b"big", bh=bh, b=big_b) * 3 + sig(h=names1000) + good
    wr(g + "/good-among-bad.eml", hostile_first)
    case("good_signature_among_hostile_ones", g + "/good-among-bad.eml", 1,
         expect=['"result":"pass"', '"reason":"key_too_large"'])


# ------------------------------------------------------------------------------------------
# dns: wrong types, CNAME loops and chains, huge TXT, temporary errors

def gen_dns():
    g = "dns"
    body = b"hello\n"
    bh = bh_simple(body)
    rsa = b"v=DKIM1; k=rsa; p=" + b64(spki_rsa(odd_modulus(2048, 7)))
    # a key name with only A and MX records (no TXT): NODATA
    zone("aonly._domainkey." + DOM, "A", b"192.0.2.1")
    zone("aonly._domainkey." + DOM, "MX", b"10 mx.adv.example.")
    # CNAME to a name with only other types
    zone("cname-a._domainkey." + DOM, "CNAME", b"aonly._domainkey.adv.example.")
    # CNAME loops: a self-loop, a two-name loop, a chain of 9 hops (over the 8 allowed), a
    # chain of 8 hops ending at a key
    zone("self._domainkey." + DOM, "CNAME", b"self._domainkey.adv.example.")
    zone("loop1._domainkey." + DOM, "CNAME", b"loop2._domainkey.adv.example.")
    zone("loop2._domainkey." + DOM, "CNAME", b"loop1._domainkey.adv.example.")
    for chain, hops in (("long", 9), ("ok", 8)):
        for i in range(hops):
            zone("%s%d._domainkey.%s" % (chain, i, DOM), "CNAME",
                 b"%s%d._domainkey.adv.example." % (chain.encode(), i + 1))
        zone("%s%d._domainkey.%s" % (chain, hops, DOM), "TXT", txt_rdata(rsa))
    # 60 KB key records of 255-byte strings: a 350,000-bit key, and 60 KB of junk
    # (the DER length prefix keeps the key under the 65,535-byte TXT limit).
    key_txt("huge", b"v=DKIM1; k=rsa; p=" + b64(spki_rsa(odd_modulus(350000, 8))))
    key_txt("hugejunk", b"v=DKIM1; k=rsa; " + b"n=" + b"\xff\x00;" * 20000 + b"; p=" + b64(
        spki_rsa(odd_modulus(2048, 9))))
    # two different key records at one name; a TXT with an empty string; 8-bit and NUL
    key_txt("two", rsa)
    key_txt("two", b"v=DKIM1; k=ed25519; p=" + b64(ed_pub()))
    zone("empty._domainkey." + DOM, "TXT", b'""')
    key_txt("binary", bytes(range(256)))
    # temporary errors from directives
    ZONE.append(b";! timeout tmo._domainkey.adv.example. TXT")
    ZONE.append(b";! servfail srv._domainkey.adv.example.")
    ZONE.append(b";! nxdomain nx._domainkey.adv.example.")
    ZONE.append(b";! nodata nod._domainkey.adv.example. TXT")
    # wildcard that matches every selector under wild.example
    zone("*._domainkey.wild.example", "TXT", txt_rdata(b"v=DKIM1; p="))
    sels = [b"aonly", b"cname-a", b"self", b"loop1", b"long0", b"ok0", b"huge", b"hugejunk",
            b"two", b"empty", b"binary", b"tmo", b"srv", b"nx", b"nod", b"absent"]
    dm = [msg(sig(s=s, bh=bh, b=b64(b"\x01" * 256)), body=body) for s in sels]
    dm.append(msg(sig(d=b"wild.example", s=b"any", bh=bh), body=body,
                  frm=b"From: a@wild.example\n"))
    # selectors and domains that are not valid DNS names: too long, empty labels, 8-bit
    for s, d in ((b"x" * 64, DOM.encode()), (b"a", b"b" * 300), (b"a..b", DOM.encode()),
                 (b"", DOM.encode()), (b".", b"."), (b"a\\.b", DOM.encode()),
                 (b"\xff", b"\xfe.example")):
        dm.append(msg(sig(s=s, d=d, bh=bh), body=body))
    # one message whose 40 signatures all need hostile lookups (over the per-message budget)
    dm.append(msg(b"".join(sig(s=sels[i % len(sels)] + b"", bh=bh, extra=b"z=%d; " % i)
                           for i in range(40)), body=body))
    wr(g + "/dns.mbox", mbox(*dm))
    case("hostile_dns_answers", "--max-signatures 40 " + g + "/dns.mbox", len(dm),
         expect=['"reason":"key_not_found"', '"reason":"dns_temperror"',
                 '"reason":"key_too_large"', '"reason":"key_revoked"'])


# ------------------------------------------------------------------------------------------
# mbox framing: truncation, From_ lines only, unquoted From in bodies, chunk boundaries

def gen_mbox():
    g = "mbox"
    one = msg()
    wr(g + "/cut-mid-header.mbox", mbox(one) + FROM_LINE + b"From: a@adv.example\nSubj")
    case("truncated_mid_header", g + "/cut-mid-header.mbox", 2)
    wr(g + "/cut-mid-from-line.mbox", mbox(one) + FROM_LINE[:17])
    case("truncated_mid_from_line", g + "/cut-mid-from-line.mbox", 2)
    wr(g + "/cut-after-from.mbox", mbox(one) + b"From ")
    case("truncated_after_from_word", g + "/cut-after-from.mbox", 2)
    wr(g + "/only-from-line.mbox", FROM_LINE)
    wr(g + "/only-from-lines.mbox", FROM_LINE * 1000)
    wr(g + "/only-from-no-eol.mbox", FROM_LINE.rstrip(b"\n"))
    case("only_from_lines", g + "/only-from-line.mbox " + g + "/only-from-lines.mbox "
         + g + "/only-from-no-eol.mbox", 1002)
    # "From " lines inside bodies, not quoted (mboxo written badly): each one starts a
    # message; ">From " (quoted) lines do not, at any depth.
    body = b"Hello,\nFrom here on, things change.\n>From quoted\n>>>>>>>>From deep\nFrom \nend\n"
    wr(g + "/unquoted-from.mbox", mbox(msg(body=body), msg(body=body)))
    case("unquoted_from_in_body", g + "/unquoted-from.mbox", 6)
    # From_ line of 1 MB, with 8-bit bytes and an 80-digit year
    wr(g + "/hostile-from-lines.mbox",
       b"From " + b"\xff" * (1 << 20) + b"\n" + one + b"\n"
       + b"From a@b Fri Mar  1 12:00:00 " + b"9" * 80 + b"\n" + one + b"\n"
       + b"From \x00\x00 \xed\xa0\x80\n" + one)
    case("hostile_from_lines", g + "/hostile-from-lines.mbox", 3)
    # From_ lines straddling the 1 MiB read-chunk boundary at every split of "\nFrom "
    # (offsets chosen so the boundary falls inside the separator), CRLF mbox, mixed.
    chunk = 1 << 20
    parts = []
    size = 0
    for k in range(7):
        filler = msg(body=b"p" * 100 + b"\n")
        target = (k + 1) * chunk - k  # the k-th byte of "\nFrom " lands on the boundary
        pad = target - size - len(FROM_LINE) - len(filler) - 1
        m = FROM_LINE + filler + b"q" * max(pad, 0) + b"\n"
        parts.append(m)
        size += len(m)
    data = b"".join(parts) + FROM_LINE + one
    wr(g + "/chunk-boundaries.mbox", data)
    crlf = FROM_LINE.replace(b"\n", b"\r\n") + one.replace(b"\n", b"\r\n") + b"\r\n"
    wr(g + "/crlf.mbox", crlf * 3)
    case("chunk_boundaries_and_crlf", g + "/chunk-boundaries.mbox " + g + "/crlf.mbox", 8 + 3)
    # standard input: an mbox cut mid-header
    case("stdin_truncated_mbox", "- < " + g + "/cut-mid-header.mbox", 2)
    # a file that looks like an mbox then is binary garbage; a 'From' without space
    r = random.Random(11)
    wr(g + "/garbage-after-from.mbox", FROM_LINE + bytes(r.getrandbits(8) for _ in range(65536)))
    wr(g + "/from-no-space.eml", b"From:a@adv.example\n\nx\n")
    case("garbage_after_from_line", g + "/garbage-after-from.mbox " + g + "/from-no-space.eml",
         None)


# ------------------------------------------------------------------------------------------
# maildir: hostile names, dangling symlinks, special files, empty entries

def gen_maildir():
    g = "maildir"
    md = os.path.join(OUT, g, "Maildir")
    for sub in ("cur", "new", "tmp", ".Sub/cur", ".Sub/new"):
        os.makedirs(os.path.join(md, sub), exist_ok=True)
    n = 0
    names = [b"1.a:2,S", b"2.quote\"back\\slash:2,", b"3.nl\nx:2,", b"4.ctl\x01\x1f:2,",
             b"5.\xff\xfe-not-utf8:2,", b"6.\xed\xa0\x80surrogate:2,", b"7.empty:2,",
             b"8.long-" + b"n" * 200 + b":2,"]
    for i, nm in enumerate(names):
        data = b"" if b"empty" in nm else msg(body=b"m%d\n" % i)
        with open(os.path.join(md.encode(), b"cur", nm), "wb") as f:
            f.write(data)
        n += 1
    with open(os.path.join(md, "new", "9.new"), "wb") as f:
        f.write(b"From " + FROM_LINE[5:] + msg())  # a Maildir entry that looks like an mbox
    n += 1
    with open(os.path.join(md, ".Sub", "cur", "10.sub"), "wb") as f:
        f.write(msg())
    n += 1
    with open(os.path.join(md, "tmp", "11.tmp"), "wb") as f:
        f.write(msg())  # tmp/ is never read
    os.makedirs(os.path.join(md, "cur", "12.a-folder"), exist_ok=True)  # a folder in cur/
    os.symlink("does-not-exist", os.path.join(md, "cur", "13.dangling"))
    os.symlink("14.loop", os.path.join(md, "cur", "14.loop"))
    os.mkfifo(os.path.join(md, "cur", "15.fifo"))  # must be skipped, never opened
    with open(os.path.join(md, "cur", "16.gz"), "wb") as f:
        f.write(b"\x1f\x8b\x08\x00" + b"\x00" * 20)
    os.symlink("1.a:2,S", os.path.join(md, "cur", "17.link-to-file"))
    n += 1
    path_errors = 4  # 13 dangling, 14 loop, 15 fifo, 16 gzip
    if os.geteuid() != 0:  # root reads anything; CI runs as root
        p = os.path.join(md, "cur", "18.unreadable")
        with open(p, "wb") as f:
            f.write(msg())
        os.chmod(p, 0)
    case("hostile_maildir", g + "/Maildir", n, exit_status=1 if path_errors else 0)
    # An empty Maildir and a Maildir with only tmp/
    os.makedirs(os.path.join(OUT, g, "Empty", "cur"), exist_ok=True)
    os.makedirs(os.path.join(OUT, g, "OnlyTmp", "tmp"), exist_ok=True)
    os.makedirs(os.path.join(OUT, g, "OnlyTmp", "cur"), exist_ok=True)
    with open(os.path.join(OUT, g, "OnlyTmp", "tmp", "x"), "wb") as f:
        f.write(msg())
    case("empty_maildirs", g + "/Empty " + g + "/OnlyTmp", 0)


# ------------------------------------------------------------------------------------------
# zone: snapshots that must be refused whole (exit 1, file:line), never half-loaded

def gen_zone():
    g = "zone"
    wr(g + "/m.eml", msg())
    bad = {
        "string256": b'x._domainkey.adv.example. 300 IN TXT "' + b"a" * 256 + b'"\n',
        "hugeline": b"x.adv.example. 300 IN TXT " + b'"a" ' * (300000) + b"\n",
        "txt70k": b"x.adv.example. 300 IN TXT " + b" ".join([b'"' + b"a" * 255 + b'"'] * 275)
                  + b"\n",
        "open-paren": b"x.adv.example. 300 IN TXT ( \"a\"\n" * 3,
        "open-quote": b'x.adv.example. 300 IN TXT "abc\n',
        "bad-escape": b'x.adv.example. 300 IN TXT "\\999"\n',
        "include": b"$INCLUDE /etc/passwd\n",
    }
    for name, data in sorted(bad.items()):
        wr(g + "/" + name + ".zone", data)
        case("zone_" + name.replace("-", "_"), "--dns-snapshot " + g + "/" + name + ".zone "
             + g + "/m.eml", 0, exit_status=1, flags="nosummary,zone",
             expect=[])
    # A raw NUL inside an owner name and inside a TXT string: labels and strings are any
    # octets (RFC 2181 §11), so this loads; the point is that nothing cuts the line short.
    wr(g + "/nul.zone", b'ok.adv.example. 300 IN TXT "x"\nx\x00y.adv.example. 300 IN TXT "y\x00z"\n')
    case("zone_raw_nul_loads", "--dns-snapshot " + g + "/nul.zone " + g + "/m.eml", 1)


# ------------------------------------------------------------------------------------------
# spf: include loops, redirect chains and loops, wrong types, huge records

def gen_spf():
    def spf(name, text):
        zone(name, "TXT", txt_rdata(text))
    spf("loop-a.spf.example", b"v=spf1 include:loop-b.spf.example -all")
    spf("loop-b.spf.example", b"v=spf1 include:loop-a.spf.example -all")
    spf("self.spf.example", b"v=spf1 include:self.spf.example -all")
    spf("redir-self.spf.example", b"v=spf1 redirect=redir-self.spf.example")
    for i in range(30):
        spf("r%d.spf.example" % i, b"v=spf1 redirect=r%d.spf.example" % (i + 1))
    spf("r30.spf.example", b"v=spf1 +all")
    # a tree: each name includes the next level twice (2^n expansion without limits)
    for i in range(20):
        spf("t%d.spf.example" % i, b"v=spf1 include:t%d.spf.example include:t%d.spf.example -all"
            % (i + 1, i + 1))
    spf("t20.spf.example", b"v=spf1 -all")
    zone("aonly.spf.example", "A", b"192.0.2.1")
    spf("inc-aonly.spf.example", b"v=spf1 include:aonly.spf.example -all")
    zone("cn.spf.example", "CNAME", b"cn2.spf.example.")
    zone("cn2.spf.example", "CNAME", b"cn.spf.example.")
    spf("inc-cnloop.spf.example", b"v=spf1 include:cn.spf.example -all")
    spf("huge.spf.example", b"v=spf1 " + b" ".join(b"ip4:10.%d.%d.0/24" % (i // 256, i % 256)
                                                  for i in range(3000)) + b" -all")
    spf("two.spf.example", b"v=spf1 -all")
    spf("two.spf.example", b"v=spf1 +all")
    spf("mx-many.spf.example", b"v=spf1 mx -all")
    for i in range(20):
        zone("mx-many.spf.example", "MX", b"%d mx%d.spf.example." % (i, i))
    spf("macro.spf.example", b"v=spf1 exists:%{l}%{l}%{l}%{l}%{l}%{l}%{l}%{l}.%{d}.%{d}.%{d} -all")
    spf("void.spf.example", b"v=spf1 " + b" ".join(b"exists:v%d.nowhere.example" % i
                                                  for i in range(10)) + b" -all")
    spf("nul.spf.example", b"v=spf1 ip4:192.0.2.1\x00 -all")
    spf("8bit.spf.example", b"v=spf1 include:\xff\xfe.example -all")
    doms = ["loop-a", "self", "redir-self", "r0", "t0", "inc-aonly", "inc-cnloop", "huge", "two",
            "mx-many", "macro", "void", "nul", "8bit", "absent"]
    for d in doms:
        SPF.append((d, "192.0.2.1", "user@%s.spf.example" % d, "helo.spf.example",
                    '"result":"'))
    SPF.append(("long_local_part", "192.0.2.1", "%s@macro.spf.example" % ("l" * 60),
                "helo.spf.example", '"result":"'))
    SPF.append(("ipv6", "2001:db8::1", "u@t0.spf.example", "helo.spf.example", '"result":"'))


GROUPS = {"headers": gen_headers, "dkim": gen_dkim, "dns": gen_dns, "mbox": gen_mbox,
          "maildir": gen_maildir, "zone": gen_zone, "spf": gen_spf}


def main():
    global OUT
    if len(sys.argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    OUT = sys.argv[1]
    groups = sys.argv[2:] or sorted(GROUPS)
    os.makedirs(OUT, exist_ok=True)
    key_txt("ed", b"v=DKIM1; k=ed25519; p=" + b64(ed_pub()))  # the key ed_sign signs with
    for name in groups:
        GROUPS[name]()
    # garbage_after_from_line: the message count is whatever "From " lines the random bytes
    # hold at line starts (deterministic: fixed seed), plus the .eml file.
    fixed = []
    for row in MANIFEST:
        if row[2] == "None":
            data = open(os.path.join(OUT, "mbox/garbage-after-from.mbox"), "rb").read()
            count = 1 + data.count(b"\nFrom ")
            row = row[:2] + (str(count + 1),) + row[3:]
        fixed.append(row)
    with open(os.path.join(OUT, "adv.zone"), "wb") as f:
        f.write(b"; authsweep adversarial snapshot, written by gen_adversarial.py\n$TTL 300\n")
        f.write(b"\n".join(ZONE) + b"\n")
    with open(os.path.join(OUT, "manifest.tsv"), "w", encoding="utf-8") as f:
        for row in fixed:
            f.write("\t".join(row) + "\n")
    with open(os.path.join(OUT, "spf.tsv"), "w") as f:
        for row in SPF:
            f.write("\t".join(row) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
