#!/usr/bin/env bash
# Configures and builds one flavour out of tree. Usage:
#   scripts/build.sh release|sanitize   (build folder: build/<flavour>)
# Used by test.sh, demo.sh and the benchmarks; run scripts/deps.sh first.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
flavour=${1:-release}
case "$flavour" in
  release)  flags=(--enable-werror) ;;
  sanitize) flags=(--enable-werror --enable-sanitizers) ;;
  *) echo "build.sh: unknown flavour '$flavour' (release or sanitize)" >&2; exit 2 ;;
esac
cd "$top"
if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt Makefile.in ]; then
  autoreconf -fi >/dev/null
fi
build="$top/build/$flavour"
mkdir -p "$build"
cd "$build"
if [ ! -f Makefile ] || [ "$top/configure" -nt config.status ]; then
  "$top/configure" -q "${flags[@]}"
fi
make -s -j"$(nproc)"
