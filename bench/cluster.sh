#!/usr/bin/env bash
# Cluster figures: scheduler allocations/s (1,000 and 10,000 simulated
# nodes), submit-to-AM-running latency on a real local cluster, and the
# idle RSS of the RM and an NM. Usage: bench/cluster.sh
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${WEFT_BUILD_DIR:-$top/build/release}
"$top/scripts/build.sh" release >/dev/null
make -s -C "$build" bench/bench-cluster bench/bench-scheduler
echo "== scheduler (allocations per second)"
"$build/bench/bench-scheduler"
echo "== local cluster (RM + 2 NMs)"
WEFT_TOP_BUILDDIR=$build "$build/bench/bench-cluster" "$@"
