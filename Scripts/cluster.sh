#!/usr/bin/env bash
# A tablecast cluster on this machine, in one command:
#
#   Scripts/cluster.sh N [-- SERVE OPTIONS…]
#
# starts Redis (Debian's redis-server, persistence on), N tablecast nodes (the first the owner, running the
# simulation with the serve options given after --; the others followers), and nginx (Debian's) in front of them, all
# on 127.0.0.1, in a temporary directory; prints the URL to connect to, then waits. Ctrl-C (or SIGTERM) stops them all,
# nodes first (gracefully: their journals are committed), then nginx and Redis.
#
# nginx sends a new Socket.IO client to the nodes in turn and keeps it there with a cookie (`tablecast_node`, set by
# nginx to the node that answered), so that a long-polling session's requests all reach the node that holds it; a
# WebSocket is one connection and needs no cookie. REST and control writes go to the owner, reads to any node. Environment: TABLECAST_BIN (default .build/debug/tablecast, built if missing),
# CLUSTER_PORT (nginx's port, default 4000), CLUSTER_DIR (default a new temporary directory; journals and logs stay
# there).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

usage() {
    sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

[ $# -ge 1 ] || usage
nodes="$1"
shift
[[ "$nodes" =~ ^[1-9][0-9]*$ ]] || { echo "error: N must be a number of nodes (1 or more), got '$nodes'" >&2; exit 2; }
if [ $# -gt 0 ]; then
    [ "$1" = "--" ] || usage
    shift
fi
serve_options=("$@")

for program in redis-server nginx; do
    if ! command -v "$program" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$program" ]; then
        echo "error: $program is not installed (apt-get install redis-server nginx)" >&2
        exit 1
    fi
done
nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"

bin="${TABLECAST_BIN:-$root/.build/debug/tablecast}"
if [ ! -x "$bin" ]; then
    (cd "$root" && swift build --product tablecast)
fi

dir="${CLUSTER_DIR:-$(mktemp -d -t tablecast-cluster.XXXXXX)}"
mkdir -p "$dir"
port="${CLUSTER_PORT:-4000}"

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

pids=()
stop_all() {
    trap - INT TERM EXIT
    echo "stopping the cluster" >&2
    # Nodes first (SIGINT: graceful, journals committed), then nginx and Redis.
    for pid in "${node_pids[@]:-}"; do
        [ -n "$pid" ] && kill -INT "$pid" 2>/dev/null || true
    done
    for pid in "${node_pids[@]:-}"; do
        [ -n "$pid" ] && wait "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]:-}"; do
        [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]:-}"; do
        [ -n "$pid" ] && wait "$pid" 2>/dev/null || true
    done
    echo "stopped; journals and logs are in $dir" >&2
}
node_pids=()
trap stop_all INT TERM EXIT

redis_port="$(free_port)"
redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$dir" --save "" --appendonly yes \
    --logfile "$dir/redis.log" --protected-mode no &
pids+=($!)
for _ in $(seq 100); do
    redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
    sleep 0.1
done
redis-cli -p "$redis_port" ping >/dev/null 2>&1 || { echo "error: redis-server did not start; see $dir/redis.log" >&2; exit 1; }
redis_url="redis://127.0.0.1:$redis_port"

# Each node prints "tablecast listening on http://127.0.0.1:PORT" once it listens; its address goes to $address.
address=""
start_node() {
    local index="$1"
    shift
    local log="$dir/node-$index.log"
    "$bin" serve --host 127.0.0.1 --port "$(free_port)" --journal "$dir/node-$index.sqlite" --redis "$redis_url" \
        "$@" >"$log" 2>&1 &
    node_pids+=($!)
    for _ in $(seq 300); do
        if grep -q "tablecast listening on" "$log" 2>/dev/null; then
            address="$(grep -o "tablecast listening on http://127.0.0.1:[0-9]*" "$log" | head -n 1 | sed 's|.*http://||')"
            return 0
        fi
        kill -0 "${node_pids[-1]}" 2>/dev/null || break
        sleep 0.1
    done
    echo "error: node $index did not start; its log:" >&2
    cat "$log" >&2
    exit 1
}

addresses=()
# Followers first, so that they read the owner's run from its first event.
for index in $(seq 2 "$nodes"); do
    start_node "$index" --follow
    addresses+=("$address")
done
start_node 1 "${serve_options[@]}"
owner="$address"
addresses=("$owner" "${addresses[@]}")

{
    echo "worker_processes 1;"
    echo "pid $dir/nginx.pid;"
    echo "error_log $dir/nginx-error.log warn;"
    echo "daemon off;"
    echo "events { worker_connections 16384; }"
    echo "http {"
    echo "    access_log off;"
    for temp in client_body proxy fastcgi uwsgi scgi; do
        echo "    ${temp}_temp_path $dir/nginx-$temp;"
    done
    echo "    upstream tablecast {"
    for address in "${addresses[@]}"; do
        echo "        server $address;"
    done
    echo "    }"
    echo "    # A client that carries a node's cookie goes back to that node; anyone else takes the next in turn."
    echo "    map \$cookie_tablecast_node \$tablecast_node {"
    echo "        default tablecast;"
    for address in "${addresses[@]}"; do
        echo "        \"$address\" $address;"
    done
    echo "    }"
    echo "    # Writes (REST, emits, faults, simulation control) go to the owner; reads to any node."
    echo "    map \$request_method \$tablecast_rest { GET tablecast; HEAD tablecast; default $owner; }"
    echo "    map \$http_upgrade \$connection_upgrade { default upgrade; '' close; }"
    echo "    server {"
    echo "        listen 127.0.0.1:$port;"
    echo "        location / {"
    echo "            proxy_pass http://\$tablecast_rest;"
    echo "            proxy_set_header Host \$host;"
    echo "        }"
    echo "        location /socket.io/ {"
    echo "            proxy_pass http://\$tablecast_node;"
    echo "            proxy_http_version 1.1;"
    echo "            proxy_set_header Upgrade \$http_upgrade;"
    echo "            proxy_set_header Connection \$connection_upgrade;"
    echo "            proxy_set_header Host \$host;"
    echo "            proxy_buffering off;"
    echo "            proxy_read_timeout 1h;"
    echo "            add_header Set-Cookie \"tablecast_node=\$upstream_addr; Path=/; HttpOnly; SameSite=Lax\" always;"
    echo "        }"
    echo "    }"
    echo "}"
} >"$dir/nginx.conf"
"$nginx_bin" -c "$dir/nginx.conf" -p "$dir" &
pids+=($!)
for _ in $(seq 100); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2).close()" 2>/dev/null && break
    sleep 0.1
done

echo "redis:   $redis_url"
echo "owner:   http://$owner (REST writes, the simulation)"
for address in "${addresses[@]:1}"; do
    echo "follower: http://$address"
done
echo "tablecast cluster listening on http://127.0.0.1:$port"
echo "  clients:     http://127.0.0.1:$port/events (any node; long-polling sessions stay on theirs)"
echo "  load test:   tablecast load http://127.0.0.1:$port/events --clients 1000 --duration 60s"
echo "  Ctrl-C stops everything; journals and logs: $dir"
# Wait for a signal (or for a process to die, which stops the rest).
wait -n "${pids[@]}" "${node_pids[@]}" || true
