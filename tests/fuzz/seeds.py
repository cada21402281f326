#!/usr/bin/env python3
"""seeds.py: (re)build the seed corpora in tests/fuzz/corpus/<name>/ from the test vectors.

Run from the repository root: python3 tests/fuzz/seeds.py [SHARED]   (SHARED: ../shared)
Sources: shared conformance/realworld-dkim (.eml, realworld.zone), conformance/
corpus-sisimai-set-of-emails (mbox, Maildir), conformance/dkim-rfc8463-example,
tests/vectors/dkim and tests/vectors/spf zones, datasets/sample, plus a few hand-made shapes.
Every seed is < 64 KiB; the whole corpus stays well under 3 MB. Names are content hashes, as
libFuzzer names its own, so rerunning is idempotent."""
import glob, hashlib, os, re, shutil, sys

SHARED = sys.argv[1] if len(sys.argv) > 1 else '../shared'
CONF = os.path.join(SHARED, 'conformance')
OUT = 'tests/fuzz/corpus'
MAX = 64 * 1024 - 1
corp = {}


def add(name, data):
    if isinstance(data, str):
        data = data.encode('utf-8', 'surrogateescape')
    if 0 < len(data) <= MAX or (len(data) == 0 and name in ('mbox', 'maildir')):
        corp.setdefault(name, {})[hashlib.sha1(data).hexdigest()] = data


def read(p):
    with open(p, 'rb') as f:
        return f.read()


def split_msg(m):
    i = m.find(b'\r\n\r\n')
    j = m.find(b'\n\n')
    if i >= 0 and (j < 0 or i < j):
        return m[:i + 2], m[i + 4:]
    if j >= 0:
        return m[:j + 1], m[j + 2:]
    return m, b''


def fields(head):
    out, cur = [], None
    for line in head.splitlines(keepends=True):
        if line[:1] in (b' ', b'\t') and cur is not None:
            cur += line
        else:
            if cur is not None:
                out.append(cur)
            cur = line
    if cur is not None:
        out.append(cur)
    res = []
    for f in out:
        k = f.find(b':')
        if k > 0:
            res.append((f[:k].strip().lower(), f[k + 1:].rstrip(b'\r\n'), f))
    return res


def unfold(v):
    return re.sub(rb'\r?\n(?=[ \t])', b'', v).strip()


emls = sorted(glob.glob(os.path.join(CONF, 'realworld-dkim', '*.eml')))
emls += [os.path.join(CONF, 'dkim-rfc8463-example', 'rfc8463-A3-signed.eml')]
maildir = sorted(glob.glob(os.path.join(CONF, 'corpus-sisimai-set-of-emails', 'maildir', '*', '*')))

for p in emls:
    m = read(p)
    head, body = split_msg(m)
    add('message', m)
    add('hdr', head + b'\r\n')
    add('canon', m[:8192])
    for name, val, raw in fields(head):
        if name == b'dkim-signature':
            add('tagval', unfold(val))
        elif name in (b'from', b'to', b'cc', b'reply-to', b'sender', b'return-path'):
            add('addr', unfold(val))
        elif name == b'date':
            add('date', unfold(val))
        elif name == b'received':
            add('received', val)
            d = unfold(val)
            if b';' in d:
                add('date', d.rsplit(b';', 1)[1].strip())
        elif name in (b'authentication-results', b'arc-authentication-results', b'received-spf'):
            add('authres', val)
    # whole headers for the header-index-driven parts of received/authres
    add('received', head)
    add('authres', head)
    # a From_ line in front (mbox date and as-of logic)
    if len(m) < 8192:
        add('message', b'From sender@example.com Mon Mar  4 10:00:00 2024\n' + m)

# Sisimai: a sample of single messages for Maildir, headers and addresses; the mboxes.
for p in maildir[::16]:
    m = read(p)
    add('maildir', m)
    head, _ = split_msg(m)
    add('hdr', head)
    for name, val, raw in fields(head):
        if name in (b'from', b'to'):
            add('addr', unfold(val))
        if name == b'date':
            add('date', unfold(val))
        if name == b'received':
            add('received', val)
box = os.path.join(CONF, 'corpus-sisimai-set-of-emails', 'mailbox')
for p in sorted(glob.glob(os.path.join(box, '*'))):
    m = read(p)
    if len(m) <= MAX:
        add('mbox', m)
    else:  # cut the big mbox at From_ lines into pieces under the limit
        parts = re.split(rb'(?m)^(?=From )', m)
        cur = b''
        for part in parts:
            if len(cur) + len(part) > 16384 and cur:
                add('mbox', cur)
                cur = b''
            cur += part
        if cur:
            add('mbox', cur)
    for line in m.splitlines():
        if line.startswith(b'From '):
            add('date', line[5:])
add('mbox', read('datasets/sample/sample.mbox')[:MAX])
add('mbox', b'From a@b Sat Jan  3 01:05:34 1996\r\nSubject: x\r\n\r\nbody\r\n>From quoted\r\n'
            b'>>From twice\r\n\r\nFrom c@d Sat Jan  3 01:05:35 1996\r\n\r\nsecond\r\n')
add('mbox', b'\n\nFrom MAILER-DAEMON Thu Jan  1 00:00:00 1970\nA: b\n\nFrom \nFrom x\n')
add('mbox', b'not an mbox\n')
add('mbox', b'\x1f\x8b\x08\x00compressed')
add('maildir', b'')
add('maildir', b'From looks-like-mbox Mon Jan  1 00:00:00 2024\nA: b\n\nx\n')

# Dates by hand: obsolete forms, zones, RFC 3339, epochs.
for d in ['Mon, 4 Mar 2024 10:00:00 +0000', '4 Mar 24 10:00 EST', 'Thu, 1 Jan 70 00:00:00 GMT',
          'Fri, 31 Dec 9999 23:59:59 -2359', 'Tue, 29 Feb 2000 12:00:00 Z (comment)',
          'Sat Jan  3 01:05:34 1996', 'Sat Jan  3 01:05:34 PST 1996',
          'sender@example.com Sat Jan  3 01:05:34 1996', '"a b"@c Sat Jan  3 01:05:34 1996 +0100',
          '2024-03-01T12:00:00Z', '2024-03-01T12:00:00+01:00', '1709294400', '0']:
    add('date', d)

# Addresses by hand.
for a in ['Alice <alice@Example.COM>', '"Bob, Jr." <bob@example.org>, carol@example.net',
          'undisclosed-recipients:;', 'group: a@b.c, (comment) d@e.f;', '<@route,@x:user@host>',
          'a@[192.0.2.1]', '"quoted\\"pair"@example.com (c (nested) )', '<>', 'no-at-sign']:
    add('addr', a)

# DKIM key records: the zones' TXT strings, joined.
zones = [os.path.join(CONF, 'realworld-dkim', 'realworld.zone')] + \
    sorted(glob.glob('tests/vectors/dkim/*.zone'))
for z in zones:
    t = read(z)
    for line in t.splitlines():
        if b' TXT ' in line and not line.startswith(b';'):
            strs = re.findall(rb'"((?:[^"\\]|\\.)*)"', line)
            rec = b''.join(strs)
            add('keyrec', rec)
            add('tagval', rec)
    if len(t) <= MAX:
        add('snapshot', t)
for k in ['v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=', 'v=DKIM1; p=',
          'v=DKIM1; k=rsa; h=sha1:sha256; s=email:*; t=y:s; p=MIGf', 'k=foo; p=AAAA', 'p=@@@']:
    add('keyrec', k)
add('tagval', 'v=1; a=rsa-sha256; d=example.com; s=sel; c=relaxed/simple; q=dns/txt; '
              'h=from:to:subject; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=AAAA')
add('tagval', 'a=b;;c = d ; e=\r\n\tf;')

# SPF: TXT records from the conformance zones; each seed is a flag byte plus record lines.
spf_recs = []
for z in sorted(glob.glob('tests/vectors/spf/*/*.zone')):
    t = read(z)
    for line in t.splitlines():
        if b'TXT' in line and b'v=spf1' in line:
            strs = re.findall(rb'"((?:[^"\\]|\\.)*)"', line)
            spf_recs.append(b''.join(strs))
    for chunk in range(0, len(t), 8192):  # zone snippets for the snapshot reader
        piece = t[chunk:chunk + 8192]
        cut = piece.rfind(b'\n')
        add('snapshot', piece[:cut + 1] if cut > 0 else piece)
seen = []
for r in spf_recs:
    if r not in seen:
        seen.append(r)
for i, r in enumerate(seen[:400]):
    nxt = seen[(i + 1) % len(seen)]
    add('spf', bytes([i % 8]) + r + b'\n' + nxt + b'\n')
    if b'%' in r:
        for term in r.split():
            if b'%' in term:
                add('spf_macro', bytes([i % 4]) + term.split(b':', 1)[-1].split(b'=', 1)[-1])
for r in ['v=spf1 include:mm.example.com ptr mx:mm.example.org a/24 ip6:2001:db8::/32 -all',
          'v=spf1 redirect=%{d2}.example.net\nv=spf1 exists:%{ir}.%{l1r+-}._spf.%{d} -all',
          'v=spf1 -all exp=explain.example.com\nSee %{s} from %{i} at %{t} via %{r}: %{c}',
          'v=spf1 a mx ptr ?all\x1ev=spf1 +all\n!to\n!nx', 'v=spf1 include:nx.example.com ~all']:
    add('spf', b'\x00' + r.encode())
for m in ['%{s}', '%{o}', '%{d}', '%{d4}', '%{d3}', '%{d2}', '%{d1}', '%{dr}', '%{d2r}', '%{l}',
          '%{l-}', '%{lr}', '%{lr-}', '%{l1r-}', '%{ir}.%{v}._spf.%{d2}', '%{lr-}.lp._spf.%{d2}',
          '%{lr-}.lp.%{ir}.%{v}._spf.%{d2}', '%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}',
          '%{d2}.trusted-domains.example.net', '%{p}.%{h}.%%-%_-%-', '%{c} %{r} %{t}',
          '%{i6}.%{ir2}', '%{D255r}.', 'a.b.c.']:
    add('spf_macro', b'\x00' + m.encode())
    add('spf_macro', b'\x03' + m.encode() + b'\nfirst.last@sub.example.co.uk')

# Snapshot zones by hand: directives, escapes, generic rdata, wildcards, CNAME chains.
add('snapshot', '$ORIGIN example.com.\n$TTL 300\n@ IN TXT "v=spf1 -all" "second"\n'
                '*.wild IN A 192.0.2.1\nx 60 IN CNAME y\ny IN CNAME x\n'
                'a.b IN MX 10 mx.example.net.\nsel._domainkey IN TXT "v=DKIM1; p=\\065\\"x"\n'
                'g IN TYPE99 \\# 4 03616263\n6 IN AAAA 2001:db8::1\n'
                ';! timeout t.example.com. TXT\n;! servfail s.example.com.\n'
                ';! nodata n.example.com. MX\n;! nxdomain gone.example.com.\n'
                'p IN PTR host.example.org.\nm ( IN TXT\n  "multi" "line" )\n')

# Received and Authentication-Results by hand (the shapes received.h and authres.h list).
for r in ['from mx.example.org (mx.example.org [192.0.2.1]) by mx.example.net (Postfix) '
          'with ESMTPS id ABC for <a@b.c>; Mon, 4 Mar 2024 10:00:00 +0000',
          'from [IPv6:2001:db8::1]:25 (helo=x) by h ; Thu, 1 Jan 1970 00:00:00 GMT',
          'from unknown (HELO x.example) (192.0.2.7) by y with SMTP; 4 Mar 2024 10:00 -0500',
          'from h (may be forged) (ident@rdns [10.0.0.1]) by mx.example.org; x',
          'from AM0PR01.outlook.com (2603:10a6::12) by AM0PR02.outlook.com with Microsoft SMTP '
          'Server (version=TLS1_2) id 15.20; Mon, 4 Mar 2024 10:00:00 +0000']:
    add('received', r)
    add('received', 'Received: ' + r + '\r\nReceived: from a ([100.64.0.1]) by b; x\r\n\r\n')
for r in ['mx.example.org; dkim=pass header.d=example.com header.i=@example.com header.b=abc; '
          'spf=pass smtp.mailfrom=a@example.com; dmarc=pass header.from=example.com '
          'policy.dmarc=reject',
          'i=1; mx.google.com; arc=none; spf=softfail (reason) smtp.helo=x',
          'dkim=none (message not signed) header.d=none;dmarc=none action=none header.from=x;',
          'mta1001.mail.yahoo.com  from=yahoo.com; dkim=permerror (bad sig); header.i=@yahoo.co.jp',
          'example.com 1; none', 'Pass (mx.example.org: domain of a@b designates 192.0.2.1 as '
          'permitted sender) client-ip=192.0.2.1; envelope-from="<a@b>"; helo=x; receiver=y;']:
    add('authres', r)
    add('authres', 'Authentication-Results: ' + r + '\r\nReceived: from x by y; z\r\n'
                   'Received-SPF: pass (x) client-ip=192.0.2.1; envelope-from=a@b\r\n\r\n')

# DMARC: flag byte, author domain, then TXT answers in query order.
for i, r in enumerate(['v=DMARC1; p=reject; rua=mailto:a@example.com!10m; pct=50; fo=1:d',
                       'v=DMARC1; p=none; sp=quarantine; np=reject; psd=n; t=y; adkim=s; aspf=r',
                       'v=DMARC1; p=bogus; rua=mailto:x@y', 'v=DMARC1;p=quarantine;psd=y',
                       'v=DMARC2; p=reject', 'v=DMARC1; ri=3600; rf=afrf; ruf=mailto:f@x,bad']):
    add('dmarc', bytes([i * 37 % 256]) + b'mail.example.com\n' + r.encode() + b'\n!nx\n' +
        b'v=DMARC1; p=reject\n')
    add('dmarc', bytes([0x0f]) + b'a.b.c.example.co.uk\n!nd\n!nd\n' + r.encode() + b'\n')

total = 0
for name, items in sorted(corp.items()):
    d = os.path.join(OUT, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    for h, data in items.items():
        with open(os.path.join(d, h), 'wb') as f:
            f.write(data)
        total += len(data)
    print('%-10s %4d seeds %8d bytes' % (name, len(items), sum(len(x) for x in items.values())))
print('total %d bytes' % total)
