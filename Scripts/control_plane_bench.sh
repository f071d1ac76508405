#!/usr/bin/env bash
# How fast the HTTP control plane answers while the server works (issue 12): GET /tables, /orders?status=pending
# and /_tablecast/health, p50/p90/p99/max, under two loads:
#   rate  - no clients, a simulation at 20,000 events/s
#   fanout - 1,000 WebSocket clients (tablecast load), a simulation at 4,000 events/s: 4 M deliveries/s
# Usage: Scripts/control_plane_bench.sh BINARY LABEL [rate[:R]|fanout[:R]]... [-- SERVE_OPTIONS...]
#   R replaces the event rate (rate: 20000, fanout: 4000).
# Prints one JSON line per load: {"label","load","probe":{path:{count,errors,p50_ms,...}},"load_report":{...}}.
# LOAD_NICE=N runs the load client at nice N, so that the server gets the CPU first (they share the machine).
# Everything binds 127.0.0.1; every run is bounded in time.
set -euo pipefail
bin=${1:?binary}; label=${2:?label}; shift 2
loads=(); extra=()
while [ $# -gt 0 ]; do
  if [ "$1" = "--" ]; then shift; extra=("$@"); break; fi
  loads+=("$1"); shift
done
[ ${#loads[@]} -gt 0 ] || loads=(rate fanout)
here=$(cd "$(dirname "$0")" && pwd)
python=${PYTHON:-python3}
work=$(mktemp -d /tmp/tablecast-control-plane.XXXXXX)
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
paths=(/tables '/orders?status=pending' /_tablecast/health)

start_server() { # rate port
  "$bin" serve --host 127.0.0.1 --port "$2" --journal "$work/$2.sqlite" --scenario steady-load --rate "$1/s" \
    --log-level warning "${extra[@]}" &
  server=$!
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$2/_tablecast/health" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "the server did not start" >&2; exit 1
}
stop_server() { kill "$server"; wait "$server" 2>/dev/null || true; server=""; }

for spec in "${loads[@]}"; do
  load=${spec%%:*}
  events=${spec#*:}; [ "$events" = "$spec" ] && events=""
  case "$load" in
    rate)
      port=4711
      start_server "${events:-20000}" $port
      sleep 3
      probe=$(timeout 60 "$python" "$here/http_probe.py" "http://127.0.0.1:$port" "${paths[@]}" --duration 20 --json) || true
      stop_server
      echo "{\"label\":\"$label\",\"load\":\"rate\",\"events\":${events:-20000},\"probe\":$probe}"
      ;;
    fanout)
      port=4712
      start_server "${events:-4000}" $port
      timeout 120 nice -n "${LOAD_NICE:-0}" "$bin" load "http://127.0.0.1:$port/events" --clients 1000 --ramp 5s --duration 35s --json \
        > "$work/load.json" 2>/dev/null &
      loader=$!
      sleep 15
      probe=$(timeout 60 "$python" "$here/http_probe.py" "http://127.0.0.1:$port" "${paths[@]}" --duration 20 --json) || true
      wait "$loader" || true
      stop_server
      echo "{\"label\":\"$label\",\"load\":\"fanout\",\"events\":${events:-4000},\"probe\":$probe,\"load_report\":$(cat "$work/load.json" || echo null)}"
      ;;
    *) echo "unknown load $load (rate or fanout)" >&2; exit 2 ;;
  esac
done
