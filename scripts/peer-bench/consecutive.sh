#!/usr/bin/env bash
# Scenario A run N times in a row against ONE server process (the harness's attach mode),
# to tell a fresh process's warm-up from its steady cost. The harness itself starts a fresh
# server for every N of A, so its first 12 s are all it ever sees of a process.
#   scripts/peer-bench/consecutive.sh <drawbridge|y-websocket|floor> [runs=6] [clients=50]
#   DRAWBRIDGE_ENV='{"DATABASE_URL":"postgres://…"}' for Drawbridge on PostgreSQL;
#   NODE_FLAGS='--perf-basic-prof' (say) for the server's node, to profile a warm process.
# The server is pinned to core 0 as the harness pins it. Prints one line per run (the
# harness's JSON line, with the server's per-thread CPU ticks over the run's window added
# as "threads"); the harness also appends them to .peer-bench/results/<name>.jsonl.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
peer=${1:?usage: consecutive.sh <drawbridge|y-websocket|floor> [runs] [clients]}
runs=${2:-6}
clients=${3:-50}
cd "$root"
# run.sh copies the harness into .peer-bench and installs it; a no-op scenario list is not
# accepted, so this only makes sure the copy exists.
[ -f .peer-bench/run.mjs ] || scripts/peer-bench/run.sh --server floor --scenario A --quick >/dev/null
port=$(node -e 'const s=require("net").createServer().listen(0,()=>{console.log(s.address().port);s.close()})')
data=$(mktemp -d /tmp/consecutive-XXXX)
log=$data/server.log
case "$peer" in
  drawbridge)
    env PORT="$port" HOST=127.0.0.1 ADMIN_TOKEN=bench-admin-token-0123456789 LOG_LEVEL=warn \
      WS_RATE=1000000 WS_BURST=1000000 AUTH_RATE_LIMIT=100000 CONNECTIONS_PER_IP=100000 \
      DATA_DIR="$data" $(node -e 'for (const [k, v] of Object.entries(JSON.parse(process.env.DRAWBRIDGE_ENV || "{}"))) console.log(`${k}=${v}`)') \
      taskset -c 0 node ${NODE_FLAGS:-} scripts/start.mjs >"$log" 2>&1 &
    ;;
  y-websocket)
    (cd .peer-bench && PORT="$port" HOST=127.0.0.1 GC=true exec taskset -c 0 node ${NODE_FLAGS:-} peers/y-websocket-server.mjs) >"$log" 2>&1 &
    ;;
  floor)
    (cd .peer-bench && PORT="$port" HOST=127.0.0.1 exec taskset -c 0 node ${NODE_FLAGS:-} peers/floor-server.mjs) >"$log" 2>&1 &
    ;;
  *) echo "unknown server $peer" >&2; exit 2 ;;
esac
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data"' EXIT
base=http://127.0.0.1:$port
for _ in $(seq 1 300); do
  if [ "$peer" = drawbridge ]; then curl -sf -o /dev/null "$base/api/me" && break; else (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; fi
  sleep 0.2
done
json() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);console.log(process.argv[1].split(".").reduce((o,k)=>o[k],j))})' "$1"; }
if [ "$peer" = drawbridge ]; then
  reg=$(curl -sf -X POST -H 'content-type: application/json' -d "{\"email\":\"consecutive$RANDOM@example.com\",\"password\":\"bench password 123\",\"name\":\"Bench\"}" "$base/api/auth/register")
  token=$(echo "$reg" | json token)
  curl -sf -o /dev/null -X PATCH -H 'content-type: application/json' -H 'authorization: Bearer bench-admin-token-0123456789' -d '{"plan":"pro"}' "$base/api/admin/users/$(echo "$reg" | json user.id)"
  name=$([[ "${DRAWBRIDGE_ENV:-}" == *DATABASE_URL* ]] && echo drawbridge-pg || echo drawbridge)
else
  name=$peer
fi
# A fresh room for every run, as the harness gives each N its own board: the writers name
# their shapes by index, so a second run in the same room would write into the first run's
# entries (on y-websocket most of its updates then arrive without their timestamps).
room() {
  if [ "$peer" = drawbridge ]; then
    local board
    board=$(curl -sf -X POST -H 'content-type: application/json' -H "authorization: Bearer $token" -d "{\"title\":\"consecutive $1\"}" "$base/api/boards" | json board.id)
    echo "ws://127.0.0.1:$port/collab/$board?token=$token"
  else
    echo "ws://127.0.0.1:$port/consecutive-$1"
  fi
}
# per-thread user+sys ticks (10 ms) of the server over [from, from+10 s]
ticks() { for t in /proc/$pid/task/*; do echo "$(basename "$t") $(cut -d' ' -f14,15 "$t/stat" 2>/dev/null)"; done; }
for i in $(seq 1 "$runs"); do
  # the window opens after connecting (well under a second) and the harness's 2 s warm-up
  ( sleep 2.5; ticks >"$data/t0"; sleep 10; ticks >"$data/t1" ) &
  sampler=$!
  line=$(node .peer-bench/run.mjs --server attach --pid "$pid" --url "$(room "$i")" --name "consecutive-$name" --scenario A --clients "$clients" 2>/dev/null | tail -1)
  wait "$sampler"
  threads=$(join <(sort "$data/t0") <(sort "$data/t1") | awk '{ printf "%s%d", (NR > 1 ? "," : ""), ($4 + $5) - ($2 + $3) }')
  echo "$line" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);j.consecutive={run:+process.argv[1],server:process.argv[2],threads_ticks:process.argv[3].split(",").map(Number).sort((a,b)=>b-a)};console.log(JSON.stringify(j))})' "$i" "$name" "$threads"
done
