#!/usr/bin/env bash
# The engine on the cluster (issue 5): Q1-Q4 of bench/engine.sh on a local cluster (one RM, two
# NMs) with 2 executors x 1 core, side by side with local[2] on the same file, interleaved, best
# of 3, whole processes (the driver in client mode: it submits its application, gets its
# executors, runs the query and finishes); then S1, every row through one hash shuffle (then
# written), for the shuffle's throughput; then the submit-to-result latency of a tiny job, in
# client mode (a driver process) and in cluster mode (weft-submit --deploy-mode cluster, from
# submission to the final report). Usage: bench/engine-cluster.sh [ROWS] (default 10000000;
# build dir: $WEFT_BUILD_DIR). Generates bench/data/employees-ROWS.csv if missing.
set -euo pipefail
rows=${1:-10000000}
case "$rows" in '' | *[!0-9]*) echo "engine-cluster.sh: ROWS must be a number" >&2; exit 2 ;; esac
top=$(cd "$(dirname "$0")/.." && pwd)
build=${WEFT_BUILD_DIR:-$top/build/release}
reps=3
[ -f "$build/Makefile" ] || "$top/scripts/build.sh" release >/dev/null
make -s -C "$build" -j"$(nproc)" bench/bench-engine bench/gen-employees engine/executor/weft-executor \
  engine/submit/weft-submit rm/weft-resourcemanager rm/weft nodemanager/weft-nodemanager >/dev/null

mkdir -p "$top/bench/data"
data=$top/bench/data/employees-$rows.csv
[ -f "$data" ] || "$build/bench/gen-employees" "$rows" "$data"
tiny=$top/bench/data/employees-100.csv
[ -f "$tiny" ] || "$build/bench/gen-employees" 100 "$tiny"

work=$(mktemp -d "${TMPDIR:-/tmp}/weft-bench-cluster.XXXXXX")
cleanup() {
  WEFT_BUILD_DIR=$build "$top/scripts/cluster.sh" stop --dir "$work/cluster" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
eval "$(WEFT_BUILD_DIR=$build "$top/scripts/cluster.sh" start --nodes 2 --dir "$work/cluster")"
export WEFT_CONF_DIR
props=$work/cluster.properties
cat > "$props" <<EOF
spark.executor.instances 2
spark.executor.cores 1
spark.executor.memory 2g
spark.weft.executor.path $build/engine/executor/weft-executor
spark.ui.showConsoleProgress false
EOF

now() { date +%s.%N; }

# run MASTER QUERY: sets run_s and run_answer.
run() {
  local master=$1 q=$2 start end
  start=$(now)
  if [ "$master" = weft ]; then
    run_answer=$(WEFT_SUBMIT_PROPERTIES=$props "$build/bench/bench-engine" --master weft "$q" "$data")
  else
    run_answer=$("$build/bench/bench-engine" --master "$master" "$q" "$data")
  fi
  end=$(now)
  run_s=$(echo "$end - $start" | bc -l)
}

min() { echo "if ($1 < $2) $1 else $2" | bc -l; }

size_mb=$(( $(stat -c %s "$data") / 1000000 ))
echo "data: $data ($size_mb MB, $rows rows); cluster: 2 NMs, 2 executors x 1 core; best of $reps"
for q in Q1 Q2 Q3 Q4 S1; do
  best_l=999 best_c=999 ans_l= ans_c=
  for _ in $(seq $reps); do
    run "local[2]" "$q"; best_l=$(min "$best_l" "$run_s"); ans_l=$run_answer
    run weft "$q"; best_c=$(min "$best_c" "$run_s"); ans_c=$run_answer
  done
  check=; [ "$ans_l" = "$ans_c" ] || check="  MISMATCH: local '$ans_l' cluster '$ans_c'"
  ratio=$(echo "$best_c / $best_l" | bc -l)
  printf '%s  local[2] %6.2f s  cluster %6.2f s  cluster/local[2] %.2f%s\n' "$q" "$best_l" "$best_c" "$ratio" "$check"
  if [ "$q" = S1 ]; then
    printf 'shuffle: %d MB of rows through one hash shuffle (and written): local[2] %.0f MB/s, cluster %.0f MB/s\n' \
      "$size_mb" "$(echo "$size_mb / $best_l" | bc -l)" "$(echo "$size_mb / $best_c" | bc -l)"
  fi
done

# Tiny job: Q1 on 100 rows. Client mode: the driver process from start to exit. Cluster mode:
# weft-submit from start to exit (stage, submit, AM container, executors, job, final report).
lat() {
  local -a times=()
  for _ in $(seq 10); do
    local start end
    start=$(now)
    if ! "$@" >/dev/null 2>"$work/lat.err"; then
      echo "FAILED: $* ($(tail -n 1 "$work/lat.err"))"
      return
    fi
    end=$(now)
    times+=("$(echo "$end - $start" | bc -l)")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{ t[NR] = $1 } END { printf "median %.3f s, min %.3f s, max %.3f s", t[int((NR + 1) / 2)], t[1], t[NR] }'
}
echo "tiny job (Q1, 100 rows), submit to result, 10 runs:"
echo "  client mode (driver process):      $(lat env WEFT_SUBMIT_PROPERTIES="$props" "$build/bench/bench-engine" --master weft Q1 "$tiny")"
echo "  cluster mode (weft-submit):        $(lat "$build/engine/submit/weft-submit" --master yarn --deploy-mode cluster \
  --num-executors 2 --executor-memory 256m --conf "spark.weft.executor.path=$build/engine/executor/weft-executor" \
  "$build/bench/bench-engine" Q1 "$tiny")"
echo "  local[2] (for comparison):         $(lat "$build/bench/bench-engine" --master 'local[2]' Q1 "$tiny")"
