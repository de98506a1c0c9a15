#!/usr/bin/env bash
# One scripts/bench server row on Redis: a redis-server of its own (no persistence,
# free loopback port), N ivr-engine instances sharing it, and with N=2 Debian's nginx in
# front of them (examples/nginx/ivr-upstream.conf). Prints 'listening on URL' like
# `serve`, then waits; SIGTERM stops every part by PID. All parts are this script's
# children, so the bench's CPU per request counts the engines, redis-server and nginx.
# Usage: bench/redis-row.sh BIN SCRIPTS_DIR TMPDIR N
set -euo pipefail
bin=$1 dir=$2 tmp=$3 n=$4
root=$(cd "$(dirname "$0")/.." && pwd)
kids=()
stop() { for p in "${kids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; exit 0; }
trap stop TERM INT
free_port() {
  local p
  while :; do
    p=$(( 20000 + RANDOM % 30000 ))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}
wait_port() { local i; for i in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return; sleep 0.05; done; echo "port $1 never opened" >&2; exit 1; }
rport=$(free_port)
redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no --dir "$tmp" --logfile "$tmp/redis.log" &
kids+=($!)
wait_port "$rport"
ports=()
for i in $(seq "$n"); do
  "$bin" serve --scripts "$dir" --host 127.0.0.1 --port 0 --log-level error \
    --state "redis://127.0.0.1:$rport" --state-prefix bench: >"$tmp/engine$i.out" 2>"$tmp/engine$i.err" &
  kids+=($!)
  for _ in $(seq 100); do grep -q '^listening on ' "$tmp/engine$i.out" && break; sleep 0.05; done
  ports+=("$(sed -n 's/^listening on http:\/\/127.0.0.1://p' "$tmp/engine$i.out")")
done
if [ "$n" = 1 ]; then
  echo "listening on http://127.0.0.1:${ports[0]}"
else
  nport=$(free_port) prefix="$tmp/nginx-lb"
  mkdir -p "$prefix"
  {
    echo "worker_processes 1; pid $prefix/nginx.pid; error_log $prefix/error.log warn;"
    echo "events { worker_connections 1024; }"
    echo "http { access_log off; client_body_temp_path $prefix/body; proxy_temp_path $prefix/proxy;"
    echo "fastcgi_temp_path $prefix/fastcgi; uwsgi_temp_path $prefix/uwsgi; scgi_temp_path $prefix/scgi;"
    sed -e "s|@INSTANCE_A@|127.0.0.1:${ports[0]}|" -e "s|@INSTANCE_B@|127.0.0.1:${ports[1]}|" \
        -e "s|@LISTEN@|127.0.0.1:$nport|" "$root/examples/nginx/ivr-upstream.conf"
    echo "}"
  } >"$prefix/nginx.conf"
  nginx -p "$prefix" -c "$prefix/nginx.conf" -e "$prefix/error.log" -g 'daemon off;' &
  kids+=($!)
  wait_port "$nport"
  echo "listening on http://127.0.0.1:$nport"
fi
wait
