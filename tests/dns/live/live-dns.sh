#!/bin/sh
# live-dns.sh up|down DIR ROOT: start or stop the NSD instances the live-DNS tests use.
#
#   main   the root zone "." from datasets/sample/sample.zone + tests/dns/live/live.zone
#   count  the same zone, used by one test only (its query statistics must be exact)
#   tcp    the same zone, for the TCP test (its TCP counter must be its own)
#   spf    a root zone that tests/dns/test_live.c rewrites per SPF scenario and reloads
#
# Each instance lives in DIR/NAME (config, zone, pid file, log, control socket) and listens
# on 127.0.0.1 and ::1 at a free high port; DIR/NAME/port holds the port and DIR/addr the
# main instance's "127.0.0.1#PORT". 'down' stops every instance whose pid file exists and
# never fails. Nothing outside DIR is touched; no systemd; runs as root or not.
set -u
cmd=${1:?up|down}
dir=${2:?DIR}
root=${3:-.}
here=$root/tests/dns/live
NSD=${NSD:-/usr/sbin/nsd}
NSDCONTROL=${NSDCONTROL:-/usr/sbin/nsd-control}

stop_one() {
    d=$1
    [ -f "$d/nsd.pid" ] || return 0
    pid=$(cat "$d/nsd.pid" 2>/dev/null)
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null
        i=0
        while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$d/nsd.pid"
}

free_port() {
    /usr/bin/python3 - <<'PY'
import random, socket
for _ in range(200):
    port = random.randint(20000, 60000)
    socks = []
    try:
        for fam, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
            for typ in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                s = socket.socket(fam, typ)
                socks.append(s)
                s.bind((host, port))
        print(port)
        break
    except OSError:
        pass
    finally:
        for s in socks:
            s.close()
PY
}

start_one() {
    name=$1
    shift
    d=$dir/$name
    stop_one "$d"
    mkdir -p "$d/xfr"
    /usr/bin/python3 "$here/zone2nsd.py" "$d/root.zone" "$@" || return 1
    for attempt in 1 2 3 4 5; do
        port=$(free_port)
        [ -n "$port" ] || { echo "live-dns: no free port" >&2; return 1; }
        sed -e "s#@DIR@#$d#g" -e "s#@PORT@#$port#g" "$here/nsd.conf.in" > "$d/nsd.conf"
        rm -f "$d/nsd.log" "$d/port"
        if "$NSD" -c "$d/nsd.conf" 2>"$d/nsd.stderr"; then
            i=0
            while [ $i -lt 50 ]; do
                if "$NSDCONTROL" -c "$d/nsd.conf" status >/dev/null 2>&1; then
                    echo "$port" > "$d/port"
                    echo "live-dns: $name on 127.0.0.1#$port and ::1#$port ($d)"
                    return 0
                fi
                sleep 0.1
                i=$((i + 1))
            done
        fi
        stop_one "$d"
        echo "live-dns: nsd ($name) did not start on port $port, retrying:" >&2
        cat "$d/nsd.stderr" "$d/nsd.log" 2>/dev/null | tail -5 >&2
    done
    return 1
}

case "$cmd" in
up)
    [ -x "$NSD" ] || { echo "live-dns: $NSD is missing: run 'bash setup.sh --all' (Debian package nsd)" >&2; exit 1; }
    mkdir -p "$dir"
    rm -f "$dir/addr"
    zones="$root/datasets/sample/sample.zone $here/live.zone"
    start_one main $zones || { "$0" down "$dir" "$root"; exit 1; }
    start_one count $zones || { "$0" down "$dir" "$root"; exit 1; }
    start_one tcp $zones || { "$0" down "$dir" "$root"; exit 1; }
    start_one spf $here/live.zone || { "$0" down "$dir" "$root"; exit 1; }
    echo "127.0.0.1#$(cat "$dir/main/port")" > "$dir/addr"
    ;;
down)
    for d in "$dir"/*/; do
        [ -d "$d" ] && stop_one "${d%/}"
    done
    rm -f "$dir/addr"
    exit 0
    ;;
*)
    echo "usage: $0 up|down DIR ROOT" >&2
    exit 2
    ;;
esac
