#!/usr/bin/env bash
# A local Weft cluster: one weft-resourcemanager and N weft-nodemanagers on
# loopback, each with its own work folder and ports, security on with a
# generated secret.
#
#   scripts/cluster.sh start  [--nodes N] [--dir DIR]   (default 2 nodes, DIR build/cluster)
#   scripts/cluster.sh status [--dir DIR]
#   scripts/cluster.sh stop   [--dir DIR]
#
# start waits until every node is RUNNING and prints the one line a shell
# needs:  export WEFT_CONF_DIR=DIR/conf   (then `weft node list` works).
# stop leaves no process behind. Binaries come from WEFT_BUILD_DIR
# (default build/release; scripts/build.sh release makes it).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${WEFT_BUILD_DIR:-$top/build/release}
cmd=${1:-}
shift || true
nodes=2
dir=$top/build/cluster
while [ $# -gt 0 ]; do
  case "$1" in
    --nodes) nodes=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    *) echo "cluster.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
case "$nodes" in ''|*[!0-9]*) echo "cluster.sh: --nodes needs a number" >&2; exit 2 ;; esac
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
conf=$dir/conf
run=$dir/run

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

port_of() { # file key
  sed -n "s/^$2=//p" "$1" 2>/dev/null
}

wait_file() { # file pidfile what
  for _ in $(seq 1 500); do
    [ -s "$1" ] && return 0
    if ! alive "$2"; then
      echo "cluster.sh: $3 exited during start; its log follows" >&2
      tail -n 20 "$run/$3.log" >&2 || true
      return 1
    fi
    sleep 0.02
  done
  echo "cluster.sh: $3 did not start within 10 s (see $run/$3.log)" >&2
  return 1
}

stop_pid() { # pidfile
  [ -f "$1" ] || return 0
  local pid
  pid=$(cat "$1")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 500); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.02
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "cluster.sh: $pid did not stop on SIGTERM; killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$1"
}

do_stop() {
  for f in "$run"/nm*.pid; do
    [ -e "$f" ] && stop_pid "$f"
  done
  stop_pid "$run/rm.pid"
}

do_start() {
  for b in rm/weft-resourcemanager nodemanager/weft-nodemanager; do
    if [ ! -x "$build/$b" ]; then
      echo "cluster.sh: $build/$b is missing: run scripts/build.sh release first" >&2
      exit 1
    fi
  done
  if alive "$run/rm.pid"; then
    echo "cluster.sh: a cluster is already running in $dir (scripts/cluster.sh stop --dir $dir)" >&2
    exit 1
  fi
  rm -rf "$run" "$conf"
  mkdir -p "$run" "$conf"
  umask 077
  head -c 64 /dev/urandom > "$conf/weft.secret"
  umask 022
  cat > "$conf/weft-site.conf" <<CONF
# Written by scripts/cluster.sh for the local cluster in $dir.
[rpc]
bind-address = 127.0.0.1
[rm]
hostname = 127.0.0.1
client-port = 0
scheduler-port = 0
tracker-port = 0
admin-port = 0
[nm]
hostname = 127.0.0.1
CONF
  # The RM binds ephemeral ports and writes them down.
  setsid nohup "$build/rm/weft-resourcemanager" --conf-dir "$conf" \
    --conf "rm.port-file=$run/rm.ports" > "$run/rm.log" 2>&1 < /dev/null &
  echo $! > "$run/rm.pid"
  wait_file "$run/rm.ports" "$run/rm.pid" rm || { do_stop; exit 1; }
  # From now on everyone (NMs, weft, weft-submit) reads the real ports.
  sed -i \
    -e "s/^client-port = 0/client-port = $(port_of "$run/rm.ports" client)/" \
    -e "s/^scheduler-port = 0/scheduler-port = $(port_of "$run/rm.ports" scheduler)/" \
    -e "s/^tracker-port = 0/tracker-port = $(port_of "$run/rm.ports" tracker)/" \
    -e "s/^admin-port = 0/admin-port = $(port_of "$run/rm.ports" admin)/" \
    "$conf/weft-site.conf"
  for i in $(seq 1 "$nodes"); do
    setsid nohup "$build/nodemanager/weft-nodemanager" --conf-dir "$conf" \
      --conf "nm.port-file=$run/nm$i.ports" --conf "nm.work-dir=$dir/nm$i" \
      > "$run/nm$i.log" 2>&1 < /dev/null &
    echo $! > "$run/nm$i.pid"
  done
  for i in $(seq 1 "$nodes"); do
    wait_file "$run/nm$i.ports" "$run/nm$i.pid" "nm$i" || { do_stop; exit 1; }
  done
  # Every node RUNNING, as the RM sees it.
  local running=0
  for _ in $(seq 1 500); do
    running=$(grep -l "registered with the RM" "$run"/nm*.log 2>/dev/null | wc -l)
    if [ -x "$build/rm/weft" ]; then
      running=$(WEFT_CONF_DIR=$conf "$build/rm/weft" node list 2>/dev/null | grep -c " RUNNING " || true)
    fi
    [ "$running" -ge "$nodes" ] && break
    sleep 0.02
  done
  if [ "$running" -lt "$nodes" ]; then
    echo "cluster.sh: only $running of $nodes nodes are RUNNING after 10 s (logs in $run)" >&2
    do_stop
    exit 1
  fi
  echo "cluster.sh: RM and $nodes node managers running in $dir (logs in $run)" >&2
  echo "export WEFT_CONF_DIR=$conf"
}

do_status() {
  local rc=0
  if alive "$run/rm.pid"; then echo "rm: running (pid $(cat "$run/rm.pid"))"; else echo "rm: stopped"; rc=3; fi
  for f in "$run"/nm*.pid; do
    [ -e "$f" ] || continue
    local n
    n=$(basename "$f" .pid)
    if alive "$f"; then echo "$n: running (pid $(cat "$f"))"; else echo "$n: stopped"; rc=3; fi
  done
  if [ $rc -eq 0 ] && [ -x "$build/rm/weft" ]; then
    WEFT_CONF_DIR=$conf "$build/rm/weft" node list || rc=$?
  fi
  return $rc
}

case "$cmd" in
  start) do_start ;;
  stop) do_stop; echo "cluster.sh: stopped" >&2 ;;
  status) do_status ;;
  *) echo "usage: scripts/cluster.sh start|stop|status [--nodes N] [--dir DIR]" >&2; exit 2 ;;
esac
