#!/usr/bin/env bash
# Builds (if needed) and runs the RPC benchmark. Usage: bench/rpc.sh [--seconds S] [--no-stock]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${WEFT_BUILD_DIR:-$top/build/release}
if [ ! -x "$build/bench/bench-rpc" ]; then
  mkdir -p "$build"
  (cd "$top" && [ -x configure ] || autoreconf -fi)
  (cd "$build" && { [ -f Makefile ] || "$top/configure" -q; } && make -s -j"$(nproc)" bench/bench-rpc)
fi
exec "$build/bench/bench-rpc" "$@"
