#!/bin/bash
# Installs the Debian package with dpkg into a throwaway copy-on-write root, runs it as the unit
# would, upgrades, removes and purges it (issue 16, must show 4). The root is an overlay of this
# machine's own root filesystem in a private mount namespace: dpkg, adduser and the package's
# dependencies are the machine's, every write lands in WORKDIR/upper and disappears with it.
# Needs root (mount namespaces, overlayfs, chroot). Prints "OK <step>" per step; exits non-zero
# at the first failure.
# Usage: package_install.sh DEB SAMPLE.hea WORKDIR
set -euo pipefail

case "${1:-}" in
--namespace)  # in a private mount namespace: build the root, then install inside it
  deb=$2 sample=$3 work=$4
  m=$work/root
  mount -t overlay overlay -o "lowerdir=/,upperdir=$work/upper,workdir=$work/work" "$m"
  mount -t proc proc "$m/proc"
  mount --rbind /dev "$m/dev"
  # A fresh /run (no /run/systemd/system: the maintainer scripts leave this machine's systemd
  # alone) and /tmp.
  mount -t tmpfs tmpfs "$m/run"
  mount -t tmpfs tmpfs "$m/tmp"
  cp "$deb" "$m/tmp/greenchannel.deb"
  cp "$sample" "${sample%.hea}.dat" "$m/tmp/"
  cp "$0" "$m/tmp/package_install.sh"
  echo "OK throwaway root"
  exec chroot "$m" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
    /bin/bash /tmp/package_install.sh --root "/tmp/$(basename "$sample")"
  ;;
--root)  # inside the throwaway root
  sample=$2
  ;;
*)
  # A private mount namespace needs "/" to be a mount point: inside a chroot (a fresh-machine
  # check runs the suite in one) it is not, and without private propagation the overlay could
  # reach the machine's mount table. Then the install is not tried, and the test says so.
  if ! why=$(unshare --mount --propagation private true 2>&1); then
    echo "SKIP: no private mount namespace here (inside a chroot?): $why"
    exit 77
  fi
  deb=$(realpath "$1")
  sample=$(realpath "$2")
  mkdir -p "$3/upper" "$3/work" "$3/root"
  work=$(realpath "$3")
  exec unshare --mount --propagation private --fork /bin/bash "$(realpath "$0")" --namespace "$deb" "$sample" "$work"
  ;;
esac

fail() {
  echo "FAIL $1"
  [ -n "${2:-}" ] && cat "$2"
  exit 1
}

if getent passwd greenchannel >/dev/null || dpkg-query -W greenchannel >/dev/null 2>&1; then
  fail "greenchannel is already installed on this machine; the test needs it absent"
fi
DEBIAN_FRONTEND=noninteractive dpkg -i /tmp/greenchannel.deb > /tmp/dpkg.log 2>&1 || fail "dpkg -i" /tmp/dpkg.log
echo "OK installed: $(dpkg-query -W -f='${Status}' greenchannel)"
echo "OK user: $(getent passwd greenchannel | cut -d: -f1,6,7)"
echo "OK data directory: $(stat -c '%U:%G:%a' /var/lib/greenchannel)"
echo "OK conffile: $(dpkg-query -W -f='${Conffiles}' greenchannel | awk '{print $1}')"

# serve as the unit runs it (User=greenchannel, the packaged configuration); the test's loopback
# ports override the file's 0.0.0.0 ones.
runuser -u greenchannel -- /usr/bin/greenchannel serve --config /etc/greenchannel/greenchannel.conf \
  --listen 127.0.0.1:0 --station-listen 127.0.0.1:0 > /tmp/serve.log 2>&1 &
serve=$!
trap 'kill $serve 2>/dev/null || true' EXIT
for _ in $(seq 300); do grep -q "station on" /tmp/serve.log && break; sleep 0.1; done
port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' /tmp/serve.log | head -1)
pin=$(grep -o 'SHA-256 fingerprint [0-9A-F:]*' /tmp/serve.log | head -1 | cut -d' ' -f3)
{ [ -n "$port" ] && [ -n "$pin" ]; } || fail "serve did not start" /tmp/serve.log
serve_pid=$(pgrep -n -f '^/usr/bin/greenchannel serve')
echo "OK serving on 127.0.0.1:$port as user $(ps -o user= -p "$serve_pid")"
added=$(runuser -u greenchannel -- greenchannel device add --clinic "install test" \
  --db /var/lib/greenchannel/greenchannel.db --json)
device=$(printf '%s' "$added" | sed -n 's/.*"device_id":"\([^"]*\)".*/\1/p')
secret=$(printf '%s' "$added" | sed -n 's/.*"secret":"\([^"]*\)".*/\1/p')
GC_CART_SECRET=$secret greenchannel cart --server "127.0.0.1:$port" --device "$device" --pin "$pin" \
  --json -q "$sample" > /tmp/cart.json 2>&1 || fail "cart" /tmp/cart.json
grep -q '"complete":true' /tmp/cart.json || fail "study incomplete" /tmp/cart.json
echo "OK a study streamed to the installed service"
kill -TERM "$serve_pid"  # as systemd stops it (runuser passes on serve's exit status)
wait "$serve" || fail "serve exited with status $?" /tmp/serve.log
trap - EXIT
echo "OK serve stopped cleanly"

# An upgrade (the same package installed again) keeps the admin's edit and the data.
echo "# edited by the admin" >> /etc/greenchannel/greenchannel.conf
DEBIAN_FRONTEND=noninteractive dpkg -i --force-confold /tmp/greenchannel.deb > /tmp/dpkg.log 2>&1 ||
  fail "dpkg -i (again)" /tmp/dpkg.log
grep -q "edited by the admin" /etc/greenchannel/greenchannel.conf || fail "conffile edit lost"
echo "OK installed again: the configuration edit kept"
dpkg --remove greenchannel > /tmp/dpkg.log 2>&1 || fail "dpkg --remove" /tmp/dpkg.log
{ [ ! -e /usr/bin/greenchannel ] && [ -f /var/lib/greenchannel/greenchannel.db ]; } || fail "remove"
echo "OK removed: the binary gone, the data kept"
dpkg --purge greenchannel > /tmp/dpkg.log 2>&1 || fail "dpkg --purge" /tmp/dpkg.log
{ [ ! -e /etc/greenchannel/greenchannel.conf ] && [ -f /var/lib/greenchannel/greenchannel.db ] &&
  getent passwd greenchannel >/dev/null; } || fail "purge"
echo "OK purged: the configuration gone, the data and the user kept"
