#!/usr/bin/python3
"""bench: authsweep throughput on a generated corpus, against its peers and the roofline.

    bench/bench.py --bin build/authsweep --corpusgen build/corpusgen \
                   --opendkim build/opendkim_driver --runner build/bench_runner \
                   [--readfloor build/readfloor] [--primitives build/primitives] \
                   [--n 200000] [--seed 1] [--out bench/out]

Steps (one run, same messages throughout):
  1. corpus: bench/out/corpus-n<N>-s<SEED>/ (reused when its meta.json says the same N,
     seed and generator version as `corpusgen --version`; RSA keys are cached per seed in
     bench/out/), made by datasets/gen/corpusgen;
  2. truth: authsweep's records for the mbox and the Maildir are checked against the ground
     truth (bench/check_truth.py); any mismatch stops the bench before a figure is printed;
  3. authsweep, 1 thread and all threads, mbox and Maildir (warm cache, best of --repeat):
     messages/s, MB/s, CPU seconds (user+sys), peak RSS (wait4 rusage of the child);
     io_uring against --no-uring on the Maildir; batch body hashing (multi-buffer SHA-256)
     against --no-batch-hash on the mbox, 1 thread; the RSA public operation (AVX-512 IFMA
     where the CPU has it) against OpenSSL's (--no-fast-rsa), likewise; DKIM alone
     (--no-spf --no-dmarc --no-arc), likewise; the scaling;
     peak RSS against archive size: a 100 MB slice of the mbox, the mbox, and the mbox four
     times through a pipe (over 10 GB, nothing written to disk);
  4. peers on the first K messages (K scaled so each peer needs about --peer-cpu CPU
     seconds): dkimpy, Mail::DKIM, OpenDKIM (bench/peers/); authsweep (1 thread) on the
     same K messages, verifying DKIM alone as the peers do, and with every check; the ratio
     of messages per CPU-second;
  5. roofline: `openssl speed` for RSA-1024/2048/4096 and Ed25519 verify and SHA-256; the
     least CPU time the corpus needs (one public-key verify per signature that reaches it,
     SHA-256 over the canonical bodies and signed headers); authsweep's 1-thread CPU time
     against it, with every check and with DKIM alone; the same at authsweep's own verify
     prices (bench/primitives.c); and for each peer the ceiling of its ratio: the least CPU
     its messages need (roofline plus reading the same files, bench/readfloor.c).
Every command is measured by bench_runner (bench/runner.c: wall clock, and the child's
rusage: user+sys CPU and peak RSS).
Writes bench/out/results.json and bench/out/results.md.
"""
import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PY = "/usr/bin/python3"
# The peers verify DKIM signatures and nothing else; authsweep measured against them does
# the same (its SPF, DMARC and ARC evaluation off; Received fields are still parsed for the
# evaluation time, which the peers are handed).
DKIM_ONLY = ["--no-spf", "--no-dmarc", "--no-arc"]


def log(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


OUT = "."
RUNNER = None  # bench_runner (bench/runner.c): measures from a small parent process


def run(cmd, stdout=subprocess.DEVNULL, stdin=None):
    """Run cmd under bench_runner; return (rc, wall s, user+sys s, peak RSS MiB, stdout)."""
    meas = os.path.join(OUT, ".runner.txt")
    capture = stdout == "capture"
    p = subprocess.run([RUNNER, meas] + list(cmd), stdin=stdin,
                       stdout=subprocess.PIPE if capture else stdout, stderr=subprocess.PIPE)
    if p.returncode != 0:
        sys.stderr.write(p.stderr.decode(errors="replace")[-3000:])
    wall, user, sys_s, rss_kib, rc = open(meas).read().split()
    return (int(rc), float(wall), float(user) + float(sys_s), int(rss_kib) / 1024.0,
            p.stdout.decode(errors="replace") if capture else None)


def machine():
    model = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ossl = subprocess.run(["openssl", "version"], capture_output=True, text=True).stdout.strip()
    try:
        rev = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"],
                             capture_output=True, text=True).stdout.strip()
    except OSError:
        rev = "?"
    return {"nproc": os.cpu_count(), "cpu": model, "loadavg_start": os.getloadavg()[0], "kernel": platform.release(),
            "openssl": ossl, "authsweep_rev": rev,
            "mem_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)}


def load_truth(path):
    rows = []
    for line in open(path, encoding="utf-8"):
        if line.startswith("#"):
            continue
        c = line.rstrip("\n").split("\t")
        sigs = [] if c[12] == "-" else [s.split(",") for s in c[12].split(";")]
        rows.append(dict(file=c[2], as_of=c[4], sigs=sigs, cost_body=int(c[13]),
                         cost_hdr=int(c[14]), size=int(c[16])))
    return rows


def epoch(rfc3339):
    return int(time.mktime(time.strptime(rfc3339, "%Y-%m-%dT%H:%M:%SZ")) - time.timezone)


def corpusgen_version(path):
    """The version `corpusgen --version` prints; 1 for the first generator, which had no
    --version (nor a generator_version in its meta.json)."""
    p = subprocess.run([path, "--version"], capture_output=True, text=True)
    m = re.match(r"corpusgen (\d+)$", p.stdout.strip())
    return int(m.group(1)) if p.returncode == 0 and m else 1


def ensure_corpus(a):
    cdir = os.path.join(a.out, "corpus-n%d-s%d" % (a.n, a.seed))
    meta = os.path.join(cdir, "meta.json")
    version = corpusgen_version(a.corpusgen)
    if os.path.exists(meta):
        m = json.load(open(meta))
        if m.get("n") == a.n and m.get("seed") == a.seed and \
                m.get("generator_version", 1) == version and \
                os.path.exists(os.path.join(cdir, "truth.tsv")):
            log("reusing corpus %s" % cdir)
            return cdir, m
        log("corpus %s is from generator %s, N %s, seed %s: regenerating with generator %d"
            % (cdir, m.get("generator_version", 1), m.get("n"), m.get("seed"), version))
    # The old corpus is moved aside and deleted only after the new one is written: on this
    # journal-less ext4, creating files right after deleting 200,000 costs ~0.5 ms each.
    stale = cdir + ".stale"
    shutil.rmtree(stale, ignore_errors=True)
    if os.path.exists(cdir):
        os.rename(cdir, stale)
    log("generating corpus: %d messages, seed %d -> %s" % (a.n, a.seed, cdir))
    t0 = time.monotonic()
    rc = subprocess.run([a.corpusgen, "--out", cdir, "--n", str(a.n), "--seed", str(a.seed),
                         "--key-cache", a.out]).returncode
    if rc != 0:
        sys.exit("bench: corpusgen failed")
    log("corpus ready in %.0f s" % (time.monotonic() - t0))
    shutil.rmtree(stale, ignore_errors=True)
    return cdir, json.load(open(meta))


def authsweep(a, zone, inp, threads, extra=()):
    return run([a.bin, "verify", "-q", "--no-progress", "--threads", str(threads),
                "--dns-snapshot", zone] + list(extra) + [inp])  # records to /dev/null


def best_of(a, fn):
    best = None
    for _ in range(a.repeat):
        r = fn()
        if r[0] != 0:
            sys.exit("bench: authsweep failed")
        if best is None or r[1] < best[1]:
            best = r
    return best


def openssl_speed():
    out = subprocess.run(["openssl", "speed", "-seconds", "2", "rsa1024", "rsa2048", "rsa4096",
                          "ed25519"], capture_output=True, text=True).stdout
    verify = {}
    for line in out.splitlines():
        m = re.match(r"\s*rsa\s+(\d+) bits\s+([\d.]+)s\s+([\d.]+)s\s+([\d.]+)\s+([\d.]+)", line)
        if m:
            verify["rsa%s" % m.group(1)] = 1.0 / float(m.group(5))  # from verify/s
        m = re.match(r"\s*\d+ bits EdDSA \(Ed25519\)\s+([\d.]+)s\s+([\d.]+)s\s+([\d.]+)\s+"
                     r"([\d.]+)", line)
        if m:
            verify["ed25519"] = 1.0 / float(m.group(4))
    out = subprocess.run(["openssl", "speed", "-seconds", "2", "-evp", "sha256", "-bytes",
                          "16384"], capture_output=True, text=True).stdout
    sha = None
    for line in out.splitlines():
        if line.lower().startswith("sha256"):
            sha = float(line.split()[-1].rstrip("k")) * 1000.0
    if sha is None or len(verify) != 4:
        sys.exit("bench: could not read openssl speed output")
    return verify, sha


def roofline(truth, verify, sha):
    ops = {"rsa1024": 0, "rsa2048": 0, "rsa4096": 0, "ed25519": 0}
    hashed = 0
    for r in truth:
        hashed += r["cost_body"] + r["cost_hdr"]
        for s in r["sigs"]:
            if s[9] == "1":
                key = "ed25519" if s[2].startswith("ed25519") else "rsa" + s[3]
                ops[key] = ops.get(key, 0) + 1
    pk = sum(n * verify[k] for k, n in ops.items() if k in verify)
    return {"verify_ops": ops, "sha256_bytes": hashed, "pk_seconds": pk,
            "sha256_seconds": hashed / sha, "min_cpu_seconds": pk + hashed / sha}


def peer_cmd(a, name, zone, lst):
    if name == "dkimpy":
        return [PY, os.path.join(HERE, "peers", "dkimpy_driver.py"), zone, lst]
    if name == "Mail::DKIM":
        return ["perl", os.path.join(HERE, "peers", "maildkim_driver.pl"), zone, lst]
    return [a.opendkim, zone, lst]


def write_list(path, cdir, rows):
    with open(path, "w") as f:
        for r in rows:
            f.write("%s\t%d\n" % (os.path.join(cdir, "Maildir", "cur", r["file"]),
                                  epoch(r["as_of"])))


def subset_maildir(out, cdir, rows, k):
    d = os.path.join(out, "subset-%d" % k)
    shutil.rmtree(d, ignore_errors=True)
    for s in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(d, s))
    for r in rows[:k]:
        os.link(os.path.join(cdir, "Maildir", "cur", r["file"]), os.path.join(d, "cur", r["file"]))
    return d


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--corpusgen", required=True)
    ap.add_argument("--opendkim", required=True)
    ap.add_argument("--runner", required=True, help="bench_runner (bench/runner.c)")
    ap.add_argument("--readfloor", help="readfloor (bench/readfloor.c): the reading floor")
    ap.add_argument("--primitives", help="primitives (bench/primitives.c): authsweep's own "
                    "verify costs")
    ap.add_argument("--n", type=int, default=200000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default=os.path.join(HERE, "out"))
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--peer-cpu", type=float, default=40.0,
                    help="CPU seconds to give each peer (sets its subset size)")
    ap.add_argument("--peers", default="dkimpy,Mail::DKIM,OpenDKIM")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    global RUNNER, OUT
    RUNNER = os.path.abspath(a.runner)
    OUT = a.out
    nproc = os.cpu_count()
    t_start = time.monotonic()
    res = {"machine": machine(), "command": " ".join(sys.argv), "n": a.n, "seed": a.seed}

    cdir, meta = ensure_corpus(a)
    res["corpus"] = meta
    zone = os.path.join(cdir, "keys.zone")
    mbox = os.path.join(cdir, "corpus.mbox")
    mdir = os.path.join(cdir, "Maildir")
    truth_path = os.path.join(cdir, "truth.tsv")
    truth = load_truth(truth_path)
    total_bytes = sum(r["size"] for r in truth)
    n_sigs = sum(len(r["sigs"]) for r in truth)

    # 2. the truth check (also warms the page cache for both inputs)
    for label, inp in (("mbox", mbox), ("maildir", mdir)):
        rec = os.path.join(a.out, "records-%s.jsonl" % label)
        rc = run([a.bin, "verify", "-q", "--no-progress", "--dns-snapshot", zone, inp,
                  "-o", rec])[0]
        if rc != 0:
            sys.exit("bench: authsweep failed on the %s" % label)
        chk = subprocess.run([PY, os.path.join(HERE, "check_truth.py"), truth_path, rec,
                              "--max-list", "30"], capture_output=True, text=True)
        sys.stderr.write(chk.stdout)
        if chk.returncode != 0:
            sys.exit("bench: the %s records do not match the ground truth: no speed is "
                     "reported for a verifier that gives wrong answers" % label)
        os.unlink(rec)
    res["truth_check"] = "pass: %d messages, %d signatures, mbox and Maildir" % (a.n, n_sigs)
    log(res["truth_check"])

    # 3. authsweep
    runs = []

    def measure(label, inp, th, reader, extra=()):
        """One configuration, best of --repeat: appended to runs and logged."""
        rc, wall, cpu, rss, _ = best_of(a, lambda: authsweep(a, zone, inp, th, extra))
        r = {"input": label, "threads": th, "reader": reader, "wall_s": wall, "cpu_s": cpu,
             "rss_mib": rss, "msgs_per_s": a.n / wall, "mb_per_s": total_bytes / 1e6 / wall,
             "msgs_per_cpu_s": a.n / cpu}
        runs.append(r)
        log("authsweep %-7s %d thread(s), %s: %.0f msg/s, %.0f MB/s, %.1f CPU s, %.0f MiB"
            % (label, th, reader, r["msgs_per_s"], r["mb_per_s"], cpu, rss))

    for label, inp in (("mbox", mbox), ("maildir", mdir)):
        for th in (1, nproc):
            measure(label, inp, th, "io_uring")
    measure("maildir", mdir, nproc, "read(2) (--no-uring)", ["--no-uring"])
    # Batch body hashing (multi-buffer SHA-256) against one OpenSSL stream per body, on the
    # same mbox in the same run: the engine keeps the faster as its default.
    measure("mbox", mbox, 1, "io_uring, --no-batch-hash", ["--no-batch-hash"])
    # The RSA public operation: authsweep's AVX-512 IFMA code (where the CPU has it) against
    # OpenSSL's, same mbox, same run.
    measure("mbox", mbox, 1, "io_uring, --no-fast-rsa", ["--no-fast-rsa"])
    # DKIM alone (the work the roofline and the peers count), same mbox, same run.
    measure("mbox", mbox, 1, "io_uring, DKIM only", DKIM_ONLY)
    res["authsweep"] = runs
    def pick(inp, th, reader="io_uring"):
        return [r for r in runs if r["input"] == inp and r["threads"] == th
                and r["reader"] == reader][0]
    res["scaling"] = {inp: pick(inp, 1)["wall_s"] / pick(inp, nproc)["wall_s"]
                      for inp in ("mbox", "maildir")}
    res["batch_hash_cpu_saving"] = 1 - pick("mbox", 1)["cpu_s"] / pick(
        "mbox", 1, "io_uring, --no-batch-hash")["cpu_s"]
    res["fast_rsa_cpu_saving"] = 1 - pick("mbox", 1)["cpu_s"] / pick(
        "mbox", 1, "io_uring, --no-fast-rsa")["cpu_s"]
    res["rsa_backend"] = rsa_backend(a, zone)
    res["memory"] = memory_by_size(a, zone, mbox, nproc, pick("mbox", nproc)["rss_mib"])

    # 4. peers on a subset
    peers = []
    names = [p for p in a.peers.split(",") if p]
    for name in names:
        probe_k = min(300, a.n)
        lst = os.path.join(a.out, "list-probe.txt")
        write_list(lst, cdir, truth[:probe_k])
        rc, wall, cpu, rss, out = run(peer_cmd(a, name, zone, lst), stdout="capture")
        if rc != 0:
            log("%s failed to run; skipped" % name)
            peers.append({"peer": name, "error": "failed to run"})
            continue
        rate = probe_k / max(cpu, 1e-3)
        k = int(min(a.n, max(probe_k, rate * a.peer_cpu)))
        lst = os.path.join(a.out, "list-%d.txt" % k)
        write_list(lst, cdir, truth[:k])
        rc, wall, cpu, rss, out = run(peer_cmd(a, name, zone, lst), stdout="capture")
        if rc != 0:
            peers.append({"peer": name, "error": "failed"})
            continue
        m = re.search(r"messages (\d+) signatures (\d+) pass (\d+)", out or "")
        read_floor = None
        if a.readfloor:  # open, fstat, read and close each listed file: what every reader pays
            rf = [run([a.readfloor, lst], stdout="capture") for _ in range(max(a.repeat, 1))]
            read_floor = min(r[2] for r in rf)
        sub = subset_maildir(a.out, cdir, truth, k)
        # The same verification as the peer (DKIM only), and every check authsweep makes.
        arc, awall, acpu, arss, _ = best_of(a, lambda: authsweep(a, zone, sub, 1, DKIM_ONLY))
        _, _, fcpu, _, _ = best_of(a, lambda: authsweep(a, zone, sub, 1))
        shutil.rmtree(sub, ignore_errors=True)
        truth_pass = sum(1 for r in truth[:k] for s in r["sigs"] if s[7] == "pass")
        p = {"peer": name, "messages": k, "wall_s": wall, "cpu_s": cpu, "rss_mib": rss,
             "msgs_per_cpu_s": k / cpu, "signatures": int(m.group(2)) if m else None,
             "peer_pass": int(m.group(3)) if m else None, "truth_pass": truth_pass,
             "authsweep_cpu_s": acpu, "authsweep_msgs_per_cpu_s": k / acpu,
             "ratio": (k / acpu) / (k / cpu),
             "authsweep_all_checks_cpu_s": fcpu, "authsweep_all_checks_msgs_per_cpu_s": k / fcpu,
             "ratio_all_checks": (k / fcpu) / (k / cpu), "read_floor_cpu_s": read_floor}
        peers.append(p)
        log("%-10s %d msgs: %.0f msg/CPU-s (authsweep DKIM only %.0f, all checks %.0f): "
            "authsweep is %.1fx (%.1fx); passes %s (truth %d)"
            % (name, k, p["msgs_per_cpu_s"], p["authsweep_msgs_per_cpu_s"],
               p["authsweep_all_checks_msgs_per_cpu_s"], p["ratio"], p["ratio_all_checks"],
               p["peer_pass"], truth_pass))
    res["peers"] = peers

    # 5. roofline
    verify, sha = openssl_speed()
    rl = roofline(truth, verify, sha)
    rl["openssl_verify_s"] = verify
    rl["sha256_bytes_per_s"] = sha
    one = pick("mbox", 1)
    rl["authsweep_1thread_cpu_s"] = one["cpu_s"]
    rl["fraction"] = rl["min_cpu_seconds"] / one["cpu_s"]
    if a.primitives:
        own = json.loads(subprocess.run([a.primitives, "1"], capture_output=True, text=True,
                                        check=True).stdout)
        rl["authsweep_verify_s"] = own
        rlo = roofline(truth, own, sha)
        rl["own_pk_seconds"] = rlo["pk_seconds"]
        rl["own_min_cpu_seconds"] = rlo["min_cpu_seconds"]
    # The ceiling of each peer ratio: the least CPU any verifier needs for the peer's
    # messages (their public-key verifies and SHA-256 at OpenSSL's prices, and at
    # authsweep's own where measured, plus reading the same files), against the peer's time.
    for p in peers:
        if "error" in p or p.get("read_floor_cpu_s") is None:
            continue
        sub = truth[:p["messages"]]
        fl = roofline(sub, verify, sha)["min_cpu_seconds"] + p["read_floor_cpu_s"]
        p["floor_openssl_cpu_s"] = fl
        p["ceiling_ratio_openssl"] = p["cpu_s"] / fl
        if a.primitives:
            flo = roofline(sub, rl["authsweep_verify_s"], sha)["min_cpu_seconds"] + \
                p["read_floor_cpu_s"]
            p["floor_own_cpu_s"] = flo
            p["ceiling_ratio_own"] = p["cpu_s"] / flo
    dk = pick("mbox", 1, "io_uring, DKIM only")
    rl["authsweep_1thread_dkim_only_cpu_s"] = dk["cpu_s"]
    rl["fraction_dkim_only"] = rl["min_cpu_seconds"] / dk["cpu_s"]
    rl["roofline_msgs_per_cpu_s"] = a.n / rl["min_cpu_seconds"]
    res["roofline"] = rl
    log("roofline: %.1f CPU s minimum (%.1f public-key, %.1f SHA-256); authsweep 1 thread "
        "%.1f CPU s = %.0f%% of the roofline" % (rl["min_cpu_seconds"], rl["pk_seconds"],
                                                 rl["sha256_seconds"], one["cpu_s"],
                                                 100 * rl["fraction"]))
    res["bench_seconds"] = time.monotonic() - t_start
    res["machine"]["loadavg_end"] = os.getloadavg()[0]
    with open(os.path.join(a.out, "results.json"), "w") as f:
        json.dump(res, f, indent=2)
    md = render_md(res, total_bytes, n_sigs)
    with open(os.path.join(a.out, "results.md"), "w") as f:
        f.write(md)
    print(md)
    return 0


def rsa_backend(a, zone):
    """What does the RSA public operation here: authsweep --verbose names it."""
    p = subprocess.run([a.bin, "verify", "-q", "--verbose", "--no-progress", "--dns-snapshot",
                        zone, "-"], stdin=subprocess.DEVNULL, capture_output=True, text=True)
    for part in p.stderr.split(";"):
        if "RSA public-key operation:" in part:
            return part.split(":", 1)[1].strip().splitlines()[0]
    return "?"


def head_mbox(src, dst, want):
    """dst: the first messages of the mbox src, cut at the From_ line after `want` bytes."""
    if os.path.exists(dst) and os.path.getmtime(dst) >= os.path.getmtime(src):
        return os.path.getsize(dst)
    with open(src, "rb") as f:
        data = f.read(want + (1 << 20))
    cut = data.find(b"\n\nFrom ", want)
    cut = len(data) if cut < 0 else cut + 2
    with open(dst + ".tmp", "wb") as f:
        f.write(data[:cut])
    os.rename(dst + ".tmp", dst)
    return cut


def memory_by_size(a, zone, mbox, nproc, rss_full):
    """Peak RSS against archive size, all threads: a 100 MB mbox, the whole mbox (from the
    runs above), and the mbox four times over a pipe (10 GB and more, nothing on disk)."""
    small = os.path.join(a.out, "head-100mb.mbox")
    small_bytes = head_mbox(mbox, small, 100 * 1000 * 1000)
    rc, _, _, rss_small, _ = run([a.bin, "verify", "-q", "--no-progress", "--dns-snapshot", zone,
                                  small])
    if rc != 0:
        sys.exit("bench: authsweep failed on the 100 MB mbox")
    cat = subprocess.Popen(["cat", mbox, mbox, mbox, mbox], stdout=subprocess.PIPE)
    rc, wall, _, rss_pipe, _ = run([a.bin, "verify", "-q", "--no-progress", "--dns-snapshot",
                                    zone, "-"], stdin=cat.stdout)
    cat.stdout.close()
    if cat.wait() != 0 or rc != 0:
        sys.exit("bench: authsweep failed on the piped mbox")
    big = 4 * os.path.getsize(mbox)
    r = {"threads": nproc, "small_bytes": small_bytes, "small_rss_mib": rss_small,
         "full_bytes": os.path.getsize(mbox), "full_rss_mib": rss_full,
         "piped_bytes": big, "piped_rss_mib": rss_pipe, "piped_wall_s": wall}
    log("peak RSS: %.0f MB mbox %.0f MiB, %.0f MB mbox %.0f MiB, %.0f MB piped %.0f MiB"
        % (small_bytes / 1e6, rss_small, r["full_bytes"] / 1e6, rss_full, big / 1e6, rss_pipe))
    return r


def render_md(res, total_bytes, n_sigs):
    m = res["machine"]
    c = res["corpus"]
    L = []
    L.append("Machine: %s CPU(s), %s, %s GiB, Linux %s, %s; authsweep %s"
             % (m["nproc"], m["cpu"], m["mem_gib"], m["kernel"], m["openssl"],
                m["authsweep_rev"]))
    L.append("")
    L.append("Corpus: %d messages (seed %d), %.0f MB, %d signatures; ground truth: %s"
             % (res["n"], res["seed"], total_bytes / 1e6, n_sigs, res["truth_check"]))
    L.append("")
    L.append("| authsweep | input | threads | reader, hashing | messages/s | MB/s | CPU s | msgs/CPU-s | "
             "peak RSS MiB |")
    L.append("|---|---|---:|---|---:|---:|---:|---:|---:|")
    for r in res["authsweep"]:
        L.append("| | %s | %d | %s | %.0f | %.0f | %.1f | %.0f | %.0f |"
                 % (r["input"], r["threads"], r["reader"], r["msgs_per_s"], r["mb_per_s"],
                    r["cpu_s"], r["msgs_per_cpu_s"], r["rss_mib"]))
    if "scaling" in res:
        L.append("")
        L.append("Scaling, %d threads against 1 (wall time): mbox %.2fx, Maildir %.2fx. Batch "
                 "body hashing saves %.1f%% of the single-thread CPU time against one OpenSSL "
                 "stream per body (--no-batch-hash). The RSA public operation (%s) saves %.1f%% "
                 "against OpenSSL's (--no-fast-rsa)."
                 % (m["nproc"], res["scaling"]["mbox"], res["scaling"]["maildir"],
                    100 * res["batch_hash_cpu_saving"], res.get("rsa_backend", "?"),
                    100 * res.get("fast_rsa_cpu_saving", 0)))
    if "memory" in res:
        mm = res["memory"]
        L.append("")
        L.append("Peak RSS against archive size (%d threads): %.0f MB mbox %.0f MiB; %.0f MB mbox "
                 "%.0f MiB; the mbox four times through a pipe (%.1f GB) %.0f MiB."
                 % (mm["threads"], mm["small_bytes"] / 1e6, mm["small_rss_mib"],
                    mm["full_bytes"] / 1e6, mm["full_rss_mib"], mm["piped_bytes"] / 1e9,
                    mm["piped_rss_mib"]))
    L.append("")
    L.append("| peer (same messages, 1 thread) | messages | peer msgs/CPU-s | authsweep "
             "msgs/CPU-s, DKIM only | authsweep / peer | authsweep msgs/CPU-s, all checks | "
             "authsweep (all checks) / peer | peer passes / truth passes |")
    L.append("|---|---:|---:|---:|---:|---:|---:|---|")
    for p in res["peers"]:
        if "error" in p:
            L.append("| %s | | | | | | | %s |" % (p["peer"], p["error"]))
            continue
        L.append("| %s | %d | %.0f | %.0f | %.1fx | %.0f | %.1fx | %s / %d |"
                 % (p["peer"], p["messages"], p["msgs_per_cpu_s"], p["authsweep_msgs_per_cpu_s"],
                    p["ratio"], p["authsweep_all_checks_msgs_per_cpu_s"], p["ratio_all_checks"],
                    p["peer_pass"], p["truth_pass"]))
    L.append("")
    L.append("DKIM only: `--no-spf --no-dmarc --no-arc`, the verification the peers do; all "
             "checks: authsweep's defaults (DKIM, SPF, DMARC and ARC).")
    ceil = [p for p in res["peers"] if "ceiling_ratio_openssl" in p]
    if ceil:
        L.append("")
        L.append("Ceiling of each ratio: the least CPU any verifier needs for the peer's "
                 "messages, their public-key verifies and SHA-256 (roofline, below) plus "
                 "opening and reading the same files (bench/readfloor.c), against the peer's "
                 "CPU time: " + "; ".join(
                     "%s %.1fx at OpenSSL's prices%s (reading %.2f CPU s)"
                     % (p["peer"], p["ceiling_ratio_openssl"],
                        ", %.1fx at authsweep's" % p["ceiling_ratio_own"]
                        if "ceiling_ratio_own" in p else "", p["read_floor_cpu_s"])
                     for p in ceil) + ".")
    rl = res["roofline"]
    v = rl["openssl_verify_s"]
    L.append("")
    L.append("Roofline (openssl speed on this machine: verify RSA-1024 %.1f us, RSA-2048 %.1f us, "
             "RSA-4096 %.1f us, Ed25519 %.1f us; SHA-256 %.0f MB/s): the corpus needs %s "
             "public-key verifies (%.1f CPU s) and %.0f MB of SHA-256 (%.1f CPU s), so at "
             "least %.1f CPU s (%.0f msgs/CPU-s). authsweep with 1 thread on the mbox: "
             "%.1f CPU s, **%.0f%% of the roofline** with every check (DKIM only: %.1f CPU s, "
             "%.0f%%)."
             % (v["rsa1024"] * 1e6, v["rsa2048"] * 1e6, v["rsa4096"] * 1e6, v["ed25519"] * 1e6,
                rl["sha256_bytes_per_s"] / 1e6,
                ", ".join("%s %d" % kv for kv in sorted(rl["verify_ops"].items())),
                rl["pk_seconds"], rl["sha256_bytes"] / 1e6, rl["sha256_seconds"],
                rl["min_cpu_seconds"], rl["roofline_msgs_per_cpu_s"],
                rl["authsweep_1thread_cpu_s"], 100 * rl["fraction"],
                rl["authsweep_1thread_dkim_only_cpu_s"], 100 * rl["fraction_dkim_only"]))
    if "authsweep_verify_s" in rl:
        o = rl["authsweep_verify_s"]
        L.append("")
        L.append("At authsweep's own prices (bench/primitives.c, %s: verify RSA-1024 %.1f us, "
                 "RSA-2048 %.1f us, RSA-4096 %.1f us, Ed25519 %.1f us; SHA-256 still at "
                 "OpenSSL's) the same work needs %.1f CPU s; authsweep's single thread takes "
                 "%.0f%% more with every check, %.0f%% more verifying DKIM alone."
                 % (o["backend"], o["rsa1024"] * 1e6, o["rsa2048"] * 1e6, o["rsa4096"] * 1e6,
                    o["ed25519"] * 1e6, rl["own_min_cpu_seconds"],
                    100 * (rl["authsweep_1thread_cpu_s"] / rl["own_min_cpu_seconds"] - 1),
                    100 * (rl["authsweep_1thread_dkim_only_cpu_s"] / rl["own_min_cpu_seconds"]
                           - 1)))
    L.append("")
    L.append("Bench wall time: %.0f s; 1-minute load average %.1f at the start, %.1f at the end "
             "(a shared machine: other jobs skew the figures). Command: `%s`"
             % (res["bench_seconds"], m["loadavg_start"], m["loadavg_end"], res["command"]))
    return "\n".join(L) + "\n"


if __name__ == "__main__":
    sys.exit(main())
