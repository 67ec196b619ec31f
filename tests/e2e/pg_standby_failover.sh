#!/bin/bash
# The README's standby recipe, run: a PostgreSQL primary and a streaming-replication standby
# (pg_basebackup -R), `serve` on a libpq multi-host URI with target_session_attrs=read-write, a
# STEMI streamed; the primary killed (immediate stop): /healthz answers 503; the standby promoted:
# /healthz answers 200 again, without restarting serve, and the next study is stored on the new
# primary, with the first one there too (replicated before the kill).
#
# usage: pg_standby_failover.sh GREENCHANNEL RECORD.hea WORKDIR
# Prints "OK …" per step; exits non-zero with the failing step. Runs PostgreSQL as `nobody` when
# root (initdb refuses root). Loopback only: Unix sockets in WORKDIR, no TCP port.
set -euo pipefail
GC=$1
RECORD=$2
WORK=$3
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[[ -x "$BIN/initdb" ]] || { echo "FAIL no PostgreSQL server binaries in /usr/lib/postgresql"; exit 1; }

as_pg() { if [[ $(id -u) -eq 0 ]]; then runuser -u nobody -- "$@"; else "$@"; fi; }
rm -rf "$WORK"
mkdir -p "$WORK/primary" "$WORK/standby" "$WORK/run"
if [[ $(id -u) -eq 0 ]]; then chown nobody "$WORK/primary" "$WORK/standby"; chmod 755 "$WORK"; fi
PRIMARY=$WORK/primary
STANDBY=$WORK/standby
SERVE_PID=
cleanup() {
  [[ -n "$SERVE_PID" ]] && kill -9 "$SERVE_PID" 2>/dev/null || true
  as_pg "$BIN/pg_ctl" -D "$PRIMARY/data" -m immediate stop >/dev/null 2>&1 || true
  as_pg "$BIN/pg_ctl" -D "$STANDBY/data" -m immediate stop >/dev/null 2>&1 || true
}
trap cleanup EXIT
step() { echo "OK $* ($SECONDS s)"; }
fail() { echo "FAIL $*"; [[ -f "$WORK/run/serve.log" ]] && tail -20 "$WORK/run/serve.log"; exit 1; }

start_pg() {  # DIR
  as_pg "$BIN/pg_ctl" -D "$1/data" -l "$1/server.log" \
    -o "-c listen_addresses='' -c unix_socket_directories=$1 -c port=5432 -c fsync=off" -w start \
    >/dev/null || { tail -20 "$1/server.log"; fail "postgres did not start in $1"; }
}
as_pg "$BIN/initdb" -D "$PRIMARY/data" -U gc -A trust -E UTF8 >/dev/null
start_pg "$PRIMARY"
as_pg "$BIN/createdb" -h "$PRIMARY" -p 5432 -U gc greenchannel
step "primary started"
as_pg "$BIN/pg_basebackup" -h "$PRIMARY" -p 5432 -U gc -D "$STANDBY/data" -R -X stream -c fast
start_pg "$STANDBY"
[[ $(as_pg "$BIN/psql" -h "$STANDBY" -p 5432 -U gc -d greenchannel -Atc "SELECT pg_is_in_recovery()") == t ]] ||
  fail "the standby is not in recovery"
step "standby streaming from the primary"

URI="postgresql://gc@/greenchannel?host=$PRIMARY,$STANDBY&port=5432,5432&target_session_attrs=read-write"
cd "$WORK/run"
"$GC" device add --clinic "standby clinic" --db "$URI" > device.txt
DEVICE=$(awk '/^device_id:/{print $2}' device.txt)
SECRET=$(awk '/^secret:/{print $2}' device.txt)
"$GC" serve --db "$URI" --insecure --listen 127.0.0.1:0 --station-listen 127.0.0.1:0 \
  > serve.log 2>&1 &
SERVE_PID=$!
for _ in $(seq 100); do grep -q "station on" serve.log && break; sleep 0.1; done
PORT=$(grep -oP 'listening on 127\.0\.0\.1:\K[0-9]+' serve.log) || fail "serve did not start"
STATION=$(grep -oP 'station on http://127\.0\.0\.1:\K[0-9]+' serve.log)
health() { curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$STATION/healthz" || true; }
[[ $(health) == 200 ]] || fail "healthz before the failover"
cart() {  # STUDY_UID
  "$GC" cart --insecure -q --server "127.0.0.1:$PORT" --device "$DEVICE" --secret "$SECRET" \
    --study-uid "$1" "$RECORD" > "cart-$1.txt" 2>&1 || { cat "cart-$1.txt"; fail "cart $1"; }
}
cart before-failover
step "a study stored through the primary"
# Replicated before the primary dies (streaming replication is asynchronous).
for _ in $(seq 100); do
  n=$(as_pg "$BIN/psql" -h "$STANDBY" -p 5432 -U gc -d greenchannel -Atc \
      "SELECT count(*) FROM studies WHERE study_uid = 'before-failover' AND completed_ms IS NOT NULL" 2>/dev/null || echo 0)
  [[ "$n" == 1 ]] && break
  sleep 0.1
done
[[ "$n" == 1 ]] || fail "the study did not reach the standby"

as_pg "$BIN/pg_ctl" -D "$PRIMARY/data" -m immediate stop >/dev/null
code=
for _ in $(seq 50); do code=$(health); [[ "$code" == 503 ]] && break; sleep 0.2; done
[[ "$code" == 503 ]] || fail "healthz did not answer 503 with the primary down (got $code)"
step "primary killed: healthz 503"
as_pg "$BIN/pg_ctl" -D "$STANDBY/data" -w promote >/dev/null
for _ in $(seq 100); do code=$(health); [[ "$code" == 200 ]] && break; sleep 0.2; done
[[ "$code" == 200 ]] || fail "healthz did not answer 200 after the promotion (got $code)"
step "standby promoted: healthz 200, serve not restarted"
cart after-failover
n=$(as_pg "$BIN/psql" -h "$STANDBY" -p 5432 -U gc -d greenchannel -Atc \
    "SELECT count(*) FROM studies WHERE completed_ms IS NOT NULL AND study_uid IN ('before-failover', 'after-failover')")
[[ "$n" == 2 ]] || fail "the new primary holds $n of the 2 studies"
step "a study stored through the promoted standby; both studies there"
kill -TERM "$SERVE_PID"
wait "$SERVE_PID" || fail "serve did not stop cleanly"
SERVE_PID=
step "serve stopped cleanly"
