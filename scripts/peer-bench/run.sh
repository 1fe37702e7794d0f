#!/usr/bin/env bash
# Runs ../shared/bench (the peer harness, read-only) with this project's scenarios F and G added.
#   scripts/peer-bench/run.sh [run.mjs options]      e.g. --server drawbridge --scenario F,G
# `--server drawbridge` means this checkout through the harness's adapter (plus addBoards for F/G);
# `--server floor` is floor-server.mjs, the least work a y-websocket server can do (what the machine allows);
# with FLOOR_STORE=pg|pglite|fsync it stores each update before relaying it (FLOOR_DATABASE_URL for pg);
# DRAWBRIDGE_ENV='{"DATABASE_URL":"postgres://…"}' runs it on PostgreSQL. Results land in
# .peer-bench/results/ (gitignored); `node .peer-bench/report.mjs` prints A–E as a table.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
src=${PEER_BENCH_SRC:-$root/../shared/bench}
dst=$root/.peer-bench
if [ ! -f "$dst/.copied-from" ] || [ "$(cat "$dst/.copied-from")" != "$(cd "$src" && ls -l --time-style=+%s -R . | sha1sum)" ]; then
  echo "peer-bench: copying $src to $dst and installing its dependencies" >&2
  rm -rf "$dst" && mkdir -p "$dst"
  (cd "$src" && tar --exclude=node_modules --exclude=results -cf - .) | (cd "$dst" && tar -xf -)
  chmod -R u+w "$dst"
  (cd "$dst" && npm ci --silent --no-audit --no-fund >&2)
  (cd "$src" && ls -l --time-style=+%s -R . | sha1sum) > "$dst/.copied-from"
fi
cp "$root"/scripts/peer-bench/{F,G}.mjs "$dst/scenarios/"
cp "$root/scripts/peer-bench/drawbridge-more.mjs" "$root/scripts/peer-bench/floor.mjs" "$dst/adapters/"
cp "$root/scripts/peer-bench/floor-server.mjs" "$dst/peers/"
# the harness lists its scenarios in one line; add ours to it
sed -i "s/^const SCENARIOS = \[.*\]$/const SCENARIOS = ['A', 'B', 'C', 'D', 'E', 'F', 'G']/" "$dst/run.mjs"
grep -q "'F', 'G'" "$dst/run.mjs" || { echo "peer-bench: could not add F and G to run.mjs" >&2; exit 1; }
args=()
for a in "$@"; do
  case "$a" in
    drawbridge) args+=("$dst/adapters/drawbridge-more.mjs") ;;
    floor) args+=("$dst/adapters/floor.mjs") ;;
    *) args+=("$a") ;;
  esac
done
export DRAWBRIDGE_CHECKOUT=${DRAWBRIDGE_CHECKOUT:-$root}
exec node "$dst/run.mjs" "${args[@]}"
