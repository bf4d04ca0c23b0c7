#!/usr/bin/env bash
# Installs dependencies, builds, and runs every test twice: a release build
# with warnings as errors, then an ASan/UBSan build with leak detection.
# Prints one closing line "N passed, N failed" and exits non-zero on any
# failure.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/deps.sh"

pass=0
fail=0
status=0
for flavour in release sanitize; do
  echo "== $flavour build"
  "$top/scripts/build.sh" "$flavour"
  cd "$top/build/$flavour"
  rm -f test-suite.log
  if ! make -s -j"$(nproc)" check; then
    status=1
    echo "== $flavour: failures; the logs of failed tests follow" >&2
    cat test-suite.log >&2 || true
  fi
  # Count per-test results from the TAP driver's .trs files.
  results=$(find . -name '*.trs' -exec cat {} + | grep '^:test-result:' || true)
  p=$(grep -c 'PASS' <<<"$results" || true)
  s=$(grep -c 'SKIP' <<<"$results" || true)
  f=$(grep -c -E 'FAIL|ERROR|XPASS' <<<"$results" || true)
  # The installed library, headers and weft.pc, used as a user builds a driver.
  if [ "$flavour" = release ]; then
    if "$top/tests/install/check.sh" . >install-check.log 2>&1; then
      p=$((p + 1))
      echo "PASS: tests/install/check.sh (a driver built with pkg-config against make install)"
    else
      f=$((f + 1))
      echo "FAIL: tests/install/check.sh" >&2
      cat install-check.log >&2
    fi
  fi
  echo "== $flavour: $p passed, $f failed, $s skipped"
  pass=$((pass + p))
  fail=$((fail + f))
  cd "$top"
done

echo "$pass passed, $fail failed"
if [ "$fail" -ne 0 ]; then
  status=1
fi
exit $status
