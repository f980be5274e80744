#!/bin/bash
# Interleaved wall-clock A/B of two builds of the `instructions` binary: runs
# each N times, alternating, and prints the medians and quartiles. On a noisy
# machine this compares two builds better than two separate harness runs.
#
#   benches/ab.sh N BASE_BINARY NEW_BINARY WORKLOAD [WORKERS]
#   benches/ab.sh 30 /tmp/base/release/instructions target/release/instructions mpsc 2
set -eu
n=$1 base=$2 new=$3 workload=$4 workers=${5:-}
for _ in $(seq 1 "$n"); do
  for build in base new; do
    if [ "$build" = base ]; then binary=$base; else binary=$new; fi
    start=$(date +%s%N)
    "$binary" runtime "$workload" $workers >/dev/null
    end=$(date +%s%N)
    echo "$build $(( (end - start) / 1000 ))"
  done
done | python3 -c '
import statistics, sys
runs = {}
for line in sys.stdin:
    build, micros = line.split()
    runs.setdefault(build, []).append(int(micros) / 1000)
for build in ("base", "new"):
    v = sorted(runs[build])
    print(f"{build}: median {statistics.median(v):.1f} ms, p25 {v[len(v) // 4]:.1f}, p75 {v[3 * len(v) // 4]:.1f} ({len(v)} runs)")
'
