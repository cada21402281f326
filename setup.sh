#!/usr/bin/env bash
# setup.sh: install, idempotently, every Debian package authsweep needs to build, test and
# benchmark. Safe on a minimal Debian 12 without a compiler or make. Run as root (or via sudo).
set -eu
need_build="build-essential make pkg-config gcc clang libclang-rt-14-dev \
  liburing-dev libssl-dev libgetdns-dev libmimalloc-dev libcriterion-dev libpsl-dev publicsuffix \
  libsodium-dev libopendmarc-dev"
# libipsec-mb (multi-buffer SHA-256) exists for amd64 only; elsewhere the build uses OpenSSL.
if [ "$(dpkg --print-architecture)" = amd64 ]; then
  need_build="$need_build libipsec-mb-dev"
fi
need_test="python3 python3-dkim python3-spf python3-yaml nsd libxml2-utils ldnsutils valgrind \
  libmail-dkim-perl libopendkim-dev"
pkgs="$need_build"
case "${1:-}" in
  --test|--all) pkgs="$pkgs $need_test" ;;
esac
missing=""
for p in $pkgs; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done
if [ -n "$missing" ]; then
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  echo "setup.sh: installing:$missing" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
