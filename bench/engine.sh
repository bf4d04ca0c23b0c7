#!/usr/bin/env bash
# The engine benchmark (issue 4): Q1-Q4 on a generated employees CSV, Weft (bench-engine) side by
# side with DuckDB and Polars (both from npm, run with node) at 1 and 2 threads. Each measurement
# is a whole process, start-up included, timed by /usr/bin/time with its peak RSS; the three
# engines run interleaved, 3 times each, and the best time is kept (the RSS shown is the highest
# of the 3). Answers are compared, and a line says MISMATCH or FAILED rather than hide one.
# Generates bench/data/employees-ROWS.csv and installs the peers into bench/node_modules if
# missing. Usage: bench/engine.sh [ROWS]   (default 10000000; build dir: $WEFT_BUILD_DIR)
set -euo pipefail
rows=${1:-10000000}
case "$rows" in '' | *[!0-9]*) echo "engine.sh: ROWS must be a number, not '$rows'" >&2; exit 2 ;; esac
top=$(cd "$(dirname "$0")/.." && pwd)
build=${WEFT_BUILD_DIR:-$top/build/release}
reps=3
threads=(1 2)
# The versions the figures in issue 4 were taken with; the platform package must match nodejs-polars.
peers=(@duckdb/node-api@1.5.6-r.1 nodejs-polars@0.26.1 nodejs-polars-linux-x64-gnu@0.26.1)

# ---- Build (always make the two targets, so the figures are never from a stale binary).
if [ ! -f "$build/Makefile" ]; then
  if [ "$build" = "$top/build/release" ]; then
    "$top/scripts/build.sh" release >/dev/null
  else
    (cd "$top" && { [ -x configure ] || autoreconf -fi >/dev/null; })
    mkdir -p "$build" && (cd "$build" && "$top/configure" -q)
  fi
fi
make -s -C "$build" -j"$(nproc)" bench/bench-engine bench/gen-employees >/dev/null

# ---- Tools and peers.
if [ ! -x /usr/bin/time ]; then
  echo "engine.sh: installing GNU time (Debian package 'time') for peak RSS" >&2
  sudo=; [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get install -y -q time >/dev/null
fi
command -v node >/dev/null || { echo "engine.sh: node is needed to run the peers" >&2; exit 1; }
nm=$top/bench/node_modules
if [ ! -d "$nm/@duckdb/node-api" ] || [ ! -d "$nm/nodejs-polars" ] || [ ! -d "$nm/nodejs-polars-linux-x64-gnu" ]; then
  echo "engine.sh: installing ${peers[*]} into bench/node_modules" >&2
  # --no-save: no package.json or lock file appears in bench/; node_modules is gitignored.
  npm install --prefix "$top/bench" --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
    "${peers[@]}" >/dev/null
fi

# ---- Data: generated once per row count, reused afterwards (written under .tmp, then renamed).
mkdir -p "$top/bench/data"
data=$top/bench/data/employees-$rows.csv
if [ ! -f "$data" ]; then
  echo "engine.sh: generating $rows rows into bench/data/" >&2
  "$build/bench/gen-employees" "$rows" "$data"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/weft-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

# run ENGINE QUERY N: runs one measurement; sets run_s, run_kb, run_ok, run_answer.
run() {
  local engine=$1 q=$2 n=$3 out=$work/out-$1
  local -a cmd
  case "$engine" in
    weft)   cmd=(env "$build/bench/bench-engine" --master "local[$n]" --out "$out" "$q" "$data") ;;
    duckdb) cmd=(env node "$top/bench/peers/duckdb.mjs" "$q" "$data" "$n" "$out") ;;
    polars) cmd=(env POLARS_MAX_THREADS="$n" node "$top/bench/peers/polars.mjs" "$q" "$data" "$out") ;;
  esac
  rm -rf "$out"
  run_ok=1
  /usr/bin/time -f '%e %M' -o "$work/time" "${cmd[@]}" >"$work/stdout" 2>"$work/stderr" || run_ok=0
  # GNU time writes "Command exited with non-zero status N" before its figures on failure.
  read -r run_s run_kb < <(tail -n 1 "$work/time")
  if [ "$run_ok" = 1 ]; then
    run_answer=$(tr '\n' ' ' <"$work/stdout" | sed 's/ $//')
    if [ "$q" = Q4 ]; then
      # Every engine writes headerless part files; count what landed, not what they claim.
      if [ "$engine" = weft ] && [ ! -f "$out/_SUCCESS" ]; then
        run_ok=0; run_answer="no _SUCCESS in output"
      else
        run_answer="rows=$(find "$out" -type f -name 'part-*' -exec cat {} + | wc -l)"
      fi
    fi
  else
    # "exited with non-zero status N" or "terminated by signal N", then the last word on stderr.
    run_answer="$(sed -n 's/^Command //p' "$work/time"): $(grep -v '^$' "$work/stderr" | tail -n 1)"
  fi
  rm -rf "$out"
}

size_mb=$(( $(stat -c %s "$data") / 1000000 ))
echo "# $rows rows, bench/data/$(basename "$data") ($size_mb MB); best of $reps, whole processes;" \
     "$(nproc) CPUs; node $(node --version), duckdb $(node -p "require('$nm/@duckdb/node-api/package.json').version")," \
     "polars $(node -p "require('$nm/nodejs-polars/package.json').version")"

engines=(weft duckdb polars)
for q in Q1 Q2 Q3 Q4; do
  for n in "${threads[@]}"; do
    declare -A best=() rss=() answer=() failed=()
    for ((r = 1; r <= reps; r++)); do
      for e in "${engines[@]}"; do
        [ -n "${failed[$e]:-}" ] && continue
        run "$e" "$q" "$n"
        if [ "$run_ok" = 0 ]; then
          failed[$e]=$run_answer
          continue
        fi
        [ -z "${answer[$e]:-}" ] && answer[$e]=$run_answer
        if [ -z "${best[$e]:-}" ] || awk "BEGIN { exit !($run_s < ${best[$e]}) }"; then best[$e]=$run_s; fi
        if [ -z "${rss[$e]:-}" ] || [ "$run_kb" -gt "${rss[$e]}" ]; then rss[$e]=$run_kb; fi
      done
    done
    line="$q local[$n]:"
    fastest=
    for e in "${engines[@]}"; do
      if [ -n "${failed[$e]:-}" ]; then
        line+=" $e FAILED (${failed[$e]}) "
      else
        line+=" $e ${best[$e]} s (RSS $(( rss[$e] / 1024 )) MB) "
        if [ "$e" != weft ] && { [ -z "$fastest" ] || awk "BEGIN { exit !(${best[$e]} < $fastest) }"; }; then
          fastest=${best[$e]}
        fi
      fi
    done
    if [ -n "${failed[weft]:-}" ] || [ -z "$fastest" ]; then
      line+=" weft/fastest n/a"
    else
      line+=" weft/fastest $(awk "BEGIN { f = $fastest < 0.01 ? 0.01 : $fastest; printf \"%.2f\", ${best[weft]} / f }")"
    fi
    # Answers must agree (Q1 count, Q2 groups and total, Q3 groups and sum of sums, Q4 rows written).
    ref=
    for e in "${engines[@]}"; do
      [ -n "${answer[$e]:-}" ] || continue
      if [ -z "$ref" ]; then ref=${answer[$e]}
      elif [ "${answer[$e]}" != "$ref" ]; then
        line+="  MISMATCH:"
        for e2 in "${engines[@]}"; do line+=" $e2=[${answer[$e2]:-}]"; done
        break
      fi
    done
    echo "$line"
    unset best rss answer failed
  done
done
