#!/usr/bin/env bash
# Installs dependencies, builds, starts a local cluster (one RM and two NMs,
# as the seeds' one master and two workers), submits the employees example in
# cluster deploy mode (its driver runs as the application master, its two
# executors in containers), prints its results and `weft node list`, and stops
# the cluster.
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
echo "== a CSV of 100,000 employees"
awk 'BEGIN { srand(42); print "id,name,age,city,department,salary,hired";
             for (i = 0; i < 100000; i++)
               printf "%d,name%d,%d,city%d,dept%d,%d,2021-03-%02d\n", i, i, 18 + int(rand() * 50),
                      int(rand() * 8), int(rand() * 5), 20000 + int(rand() * 150000), 1 + int(rand() * 28) }' \
  > "$dir/employees.csv"

echo
echo "== weft-submit --master yarn --deploy-mode cluster --num-executors 2 examples/employees"
"$build/engine/submit/weft-submit" --master yarn --deploy-mode cluster --name EmployeeAnalysis \
  --num-executors 2 --executor-cores 1 --executor-memory 256m \
  --conf "spark.weft.executor.path=$build/engine/executor/weft-executor" \
  "$build/examples/employees" "$dir/employees.csv" 2>&1 | tee "$dir/submit.out"
app=$(sed -n 's/^Submitted application \(application_[0-9_]*\).*/\1/p' "$dir/submit.out")

echo
echo "== the driver's output (weft app logs $app, its AM container's stdout)"
"$build/rm/weft" app logs "$app" | awk '
  /^Container: / { am = ($2 ~ /_000001$/) }
  am && /^LogType:stdout/ { out = 1; next }
  out && /^End of LogType:stdout/ { out = 0 }
  out && !/^Log(Length|Contents):/ { print }'

echo
echo "== weft app list --all"
"$build/rm/weft" app list --all

echo
echo "== weft node list"
"$build/rm/weft" node list
