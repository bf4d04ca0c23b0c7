#!/usr/bin/env bash
# Installs dependencies, builds, starts a local cluster (one RM and two NMs,
# as the seeds' one master and two workers), runs a job on it, prints its
# results and `weft node list`, and stops the cluster.
#
# The job is the distributed shell (weft-dshell) for now: the DataFrame
# engine's example (employees, in cluster deploy mode) replaces it when
# weft-submit lands.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/deps.sh"
"$top/scripts/build.sh" release
build=$top/build/release
dir=$top/build/demo-cluster

stop_cluster() { WEFT_BUILD_DIR=$build "$top/scripts/cluster.sh" stop --dir "$dir" || true; }
trap stop_cluster EXIT

echo "== starting a local cluster: 1 resource manager, 2 node managers"
eval "$(WEFT_BUILD_DIR=$build "$top/scripts/cluster.sh" start --nodes 2 --dir "$dir")"
export WEFT_CONF_DIR

echo
echo "== weft node list"
"$build/rm/weft" node list

echo
echo "== weft-dshell --num-containers 4: one shell command in 4 containers"
"$build/engine/dshell/weft-dshell" --num-containers 4 --container-memory 64m \
  --command 'echo "hello from $WEFT_CONTAINER_ID on node $WEFT_NM_ADDRESS"' | tee "$dir/dshell.out"
app=$(sed -n 's/^Submitted application \(application_[0-9_]*\).*/\1/p' "$dir/dshell.out")

echo
echo "== weft app logs $app"
"$build/rm/weft" app logs "$app" | grep -E '^(Container|hello)'

echo
echo "== weft app list --all"
"$build/rm/weft" app list --all
