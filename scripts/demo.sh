#!/usr/bin/env bash
# Installs dependencies, builds, starts a local cluster (RM + 2 NMs),
# submits the example job in cluster mode, prints its results and the
# node list, and stops the cluster.
#
# Today Weft has its foundation (build, protocols, config, tokens, the RPC
# layer): the daemons and the engine are the next issues. Until they exist
# this script builds everything and says what it will do.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/deps.sh"
"$top/scripts/build.sh" release

if [ -x "$top/scripts/cluster.sh" ] && [ -x "$top/build/release/rm/weft-resourcemanager" ]; then
  exec "$top/scripts/cluster.sh" demo
fi

cat <<MSG
Weft is built in build/release.

The demo will:
  1. start weft-resourcemanager and two weft-nodemanagers on loopback
     (scripts/cluster.sh start --nodes 2), security on with a new secret;
  2. run  weft-submit --master yarn --deploy-mode cluster examples/employees
     and print its results;
  3. print  weft node list  and stop the cluster.

The cluster and the engine are not built yet, so there is nothing to start.
What exists and can be tried now:
  scripts/test.sh           every test, release and sanitizer builds
  bench/rpc.sh              RPC calls/s, MiB/s and decode times on loopback
MSG
