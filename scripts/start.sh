#!/bin/sh
# `npm start`. package.json runs this with exec and it execs node in turn, so
# that npm's own child is the server: npm passes a SIGTERM on to its child
# only (server/test/start-script.test.ts).
#
# On a single core (nproc counts the cores this process may run on: a 1-vCPU
# machine, or a service or container pinned to one), V8's helper threads for
# garbage collection cannot run beside the event loop, only instead of it, and
# the loop then waits on them in long steps. --single-threaded-gc does that
# work on the main thread in its usual bounded steps: A 200's p99 on the
# embedded database fell by a third, from 55 to 36 ms on average over six
# pairs (docs/PERFORMANCE.md). With more cores the helpers run in parallel
# and stay.
#
# There, too, each full collection marks the whole heap on the loop's own
# thread (about 100 ms for a busy board's 100 MB), and V8's own schedule sets
# the next one only 10-20% above what survived the last: under a steady
# stream of edits that meant one every 2-5 s, each a stall that delayed every
# update behind it. --heap-growing-percent=100 lets the heap double first
# (V8's own ceiling for a small machine's heap): in runs of scenario B half
# as many full collections on PostgreSQL and a quarter as many on the
# embedded database, at the cost of up to twice the live heap between them
# (docs/PERFORMANCE.md, "Full collections on one core").
#
# The flags are in scripts/one-core-node-flags, which `npm run bench` reads
# too, so that its server runs as this one does.
flags=
if [ "$(nproc 2>/dev/null)" = 1 ]; then flags=$(cat "$(dirname "$0")/one-core-node-flags"); fi
exec node $flags "$(dirname "$0")/start.mjs"
