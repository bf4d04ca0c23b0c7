#!/usr/bin/env bash
# Installs dependencies, builds, starts a local cluster (one RM and two NMs,
# as the seeds' one master and two workers), runs a job on it, prints its
# results and `weft node list`, and stops the cluster.
#
# The cluster job is the distributed shell (weft-dshell) for now; the
# DataFrame engine's employees example then runs on local[2] threads. When
# weft-submit lands, the employees example runs on the cluster instead.
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

echo
echo "== the DataFrame engine on local[2]: examples/employees"
awk 'BEGIN { srand(42); print "id,name,age,city,department,salary,hired";
             for (i = 0; i < 100000; i++)
               printf "%d,name%d,%d,city%d,dept%d,%d,2021-03-%02d\n", i, i, 18 + int(rand() * 50),
                      int(rand() * 8), int(rand() * 5), 20000 + int(rand() * 150000), 1 + int(rand() * 28) }' \
  > "$dir/employees.csv"
"$build/examples/employees" "$dir/employees.csv" "local[2]"
