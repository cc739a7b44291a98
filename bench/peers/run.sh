#!/usr/bin/env bash
# The yardstick: the echo server (examples/echo_server) and the Node ChatKit SDK (chatkit-node-backend-sdk, pinned
# in package-lock.json, serving the same bench bot: node_echo_server.mjs) side by side, each pinned to the same
# core, driven by wrk from another core with keep-alive connections. Workloads: `stream 100` (threads.create,
# users spread over 1,000) and `threads.list` (limit 50) at 1, 10 and 100 connections. Every response of a
# validation pass is checked (status and body shape, both servers) before anything is measured; a measured run
# with any error fails the bench. Prints one table with the ratios. Method and figures: docs/benchmarks.md.
#
#   bash bench/peers/run.sh    # defaults: DURATION=5 CONNECTIONS="1 10 100" WORKLOADS="stream list" SERVER_CPU=0 CLIENT_CPU=1
#   ECHO_SERVER=path/to/echo_server bash bench/peers/run.sh
#   ACCESS_LOG=1 bash bench/peers/run.sh    # the echo server with its per-request access log
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
duration="${DURATION:-5}"
connections="${CONNECTIONS:-1 10 100}"
workloads="${WORKLOADS:-stream list}"
server_cpu="${SERVER_CPU:-0}"
client_cpu="${CLIENT_CPU:-1}"
echo_server="${ECHO_SERVER:-$root/build/release/examples/echo_server/echo_server}"
cpp_port="${CPP_PORT:-18480}"
node_port="${NODE_PORT:-18481}"

die() { echo "bench/peers: $*" >&2; exit 1; }

# ---- tools ----
if ! command -v wrk >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "bench/peers: installing wrk (Debian package)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null ||
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; } ||
      die "could not install wrk: run 'apt-get install wrk'"
  else
    die "wrk is missing: install it (Debian: 'sudo apt-get install wrk')"
  fi
fi
for tool in node npm taskset curl; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is missing (scripts/bootstrap.sh installs node and npm)"
done
[ -x "$echo_server" ] ||
  die "no echo server at $echo_server: build it with 'cmake --build --preset release --target echo_server'"
[ "$(nproc)" -ge 2 ] || die "needs 2 cores (server on SERVER_CPU, wrk on CLIENT_CPU)"

# ---- the Node SDK, exactly as package-lock.json pins it ----
want=$(node -p "require('$here/package.json').dependencies['chatkit-node-backend-sdk']")
have=$(node -p "try { require('$here/node_modules/chatkit-node-backend-sdk/package.json').version } catch (e) { '' }")
if [ "$want" != "$have" ]; then
  echo "bench/peers: npm ci (chatkit-node-backend-sdk $want)"
  (cd "$here" && npm ci --prefer-offline --ignore-scripts --no-audit --no-fund --loglevel=error)
fi

# ---- the servers, both pinned to SERVER_CPU ----
for port in "$cpp_port" "$node_port"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    die "port $port is in use: set CPP_PORT and NODE_PORT to free ports"
  fi
done
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

# The Node server logs nothing per request; the echo server's access log (a JSON line per request on stderr)
# is off so that both do the same work. ACCESS_LOG=1 keeps it (about 3 µs of CPU per request).
cpp_flags=(--port "$cpp_port" --auth dev-header)
[ "${ACCESS_LOG:-0}" = 1 ] || cpp_flags+=(--no-access-log)
taskset -c "$server_cpu" "$echo_server" "${cpp_flags[@]}" >/dev/null 2>&1 &
pids+=($!)
cpp_pid=$!
taskset -c "$server_cpu" node "$here/node_echo_server.mjs" "$node_port" >/dev/null 2>&1 &
pids+=($!)
node_pid=$!

url() { echo "http://127.0.0.1:$1/chatkit"; }
post() {  # port user body -> prints the status
  curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' -H "X-User-Id: $2" \
    --data "$3" "$(url "$1")"
}
for port in "$cpp_port" "$node_port"; do
  for _ in $(seq 100); do
    [ "$(post "$port" probe '{"type":"threads.list","params":{}}' 2>/dev/null)" = 200 ] && break
    sleep 0.1
  done
  [ "$(post "$port" probe '{"type":"threads.list","params":{}}')" = 200 ] || die "server on port $port did not start"
  kill -0 "$cpp_pid" 2>/dev/null && kill -0 "$node_pid" 2>/dev/null || die "a server exited at start"
  # The list workload's user: 60 threads, so that a page of 50 is full and has more.
  for i in $(seq 60); do
    code=$(post "$port" lister "{\"type\":\"threads.create\",\"params\":{\"input\":{\"content\":[{\"type\":\"input_text\",\"text\":\"thread number $i of the list\"}],\"attachments\":[],\"inference_options\":{}}}}")
    [ "$code" = 200 ] || die "seeding threads on port $port: status $code"
  done
done

wrk_run() {  # port mode connections seconds [validate]
  if [ "${5:-}" = validate ]; then
    CHATKIT_VALIDATE=1 taskset -c "$client_cpu" wrk -t1 -c"$3" -d"$4"s --timeout 20s -s "$here/chatkit.lua" \
      "$(url "$1")" -- "$2"
  else
    taskset -c "$client_cpu" wrk -t1 -c"$3" -d"$4"s --timeout 20s -s "$here/chatkit.lua" "$(url "$1")" \
      -- "$2"
  fi
}
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }  # utime + stime of a process, in clock ticks
field() { sed -n "s/.*[ ]$1=\([^ ]*\).*/\1/p" <<<"$2" | head -1; }

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- validation: every response of a short run checked, both servers, both workloads ----
declare -A events_per
for name in cpp node; do
  port=$([ $name = cpp ] && echo "$cpp_port" || echo "$node_port")
  for mode in stream list; do
    out=$(wrk_run "$port" "$mode" 10 1 validate | grep '^VALIDATE') || die "validation run failed ($name $mode)"
    n=$(field responses "$out"); bad=$(field bad "$out")
    [ "$n" -gt 0 ] || die "validation: no response from $name ($mode)"
    [ "$bad" = 0 ] || die "validation: $bad of $n $mode responses of $name are wrong (first: $(field first_bad "$out"))"
    events_per[$name.$mode]=$(awk -v e="$(field events "$out")" -v n="$n" 'BEGIN { printf "%.1f", e / n }')
    echo "validated $name $mode: $n responses, ${events_per[$name.$mode]} events each"
  done
done

# ---- measurement ----
printf '\n%-8s %5s | %10s %10s %7s | %11s %11s %7s | %10s %10s | %10s %10s\n' workload conns "node req/s" \
  "cpp req/s" ratio "node req/cpu-s" "cpp req/cpu-s" ratio "node ev/s" "cpp ev/s" "node p99" "cpp p99"
hz=$(getconf CLK_TCK)
for mode in $workloads; do
  for c in $connections; do
    declare -A rps p99 evs rpc
    for name in node cpp; do
      port=$([ $name = cpp ] && echo "$cpp_port" || echo "$node_port")
      pid=$([ $name = cpp ] && echo "$cpp_pid" || echo "$node_pid")
      ticks=$(cpu_ticks "$pid")
      out=$(wrk_run "$port" "$mode" "$c" "$duration" | grep '^RESULT') || die "wrk failed ($name $mode $c)"
      errors=$(field errors "$out")
      [ "$errors" = 0 ] || die "$name $mode at $c connections: $errors errors (timeouts, non-2xx, socket errors)"
      rps[$name]=$(awk -v r="$(field requests "$out")" -v s="$(field seconds "$out")" 'BEGIN { printf "%.0f", r / s }')
      p99[$name]=$(field p99_ms "$out")
      # Requests per CPU-second of the server process: steadier than req/s on a shared machine.
      rpc[$name]=$(awk -v r="$(field requests "$out")" -v t="$(($(cpu_ticks "$pid") - ticks))" -v hz="$hz" \
        'BEGIN { printf "%.0f", (t > 0 ? r * hz / t : 0) }')
      evs[$name]=$(awk -v r="${rps[$name]}" -v e="${events_per[$name.$mode]}" 'BEGIN { printf "%.0f", r * e }')
    done
    ratio=$(awk -v a="${rps[cpp]}" -v b="${rps[node]}" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
    cratio=$(awk -v a="${rpc[cpp]}" -v b="${rpc[node]}" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
    if [ "$mode" = stream ]; then ev_node=${evs[node]}; ev_cpp=${evs[cpp]}; else ev_node=-; ev_cpp=-; fi
    printf '%-8s %5s | %10s %10s %6sx | %11s %11s %6sx | %10s %10s | %8sms %8sms\n' "$mode" "$c" "${rps[node]}" \
      "${rps[cpp]}" "$ratio" "${rpc[node]}" "${rpc[cpp]}" "$cratio" "$ev_node" "$ev_cpp" "${p99[node]}" "${p99[cpp]}"
  done
done
echo
echo "RSS after the runs: node $(($(ps -o rss= -p "$node_pid") / 1024)) MB, cpp $(($(ps -o rss= -p "$cpp_pid") / 1024)) MB"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg) (the figures are only comparable on an idle machine)"
