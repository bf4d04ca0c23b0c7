/* Driver <-> executor protocol. The driver serves DriverEndpoint; each
 * weft-executor serves ExecutorEndpoint. Tasks and their outcomes travel as
 * the bytes of engine.thrift's task and status structs (weft-task-rpc), so an
 * executor validates them with the same checked decoder the local mode uses.
 * Every call carries a token signed with the application's secret (kind
 * "weft-app"; identifier: application id, caller), which the driver created
 * and handed to its executors' containers: nothing runs a task for a peer
 * that cannot sign with it. */
include "common.thrift"
namespace c_glib weft

struct ExecutorHello {
  1: string executor_id,
  2: string host,
  3: i32 port,
  4: i32 cores,
  5: i64 memory_bytes,
  6: string container_id,
  7: string node_id,
}

struct ExecutorWelcome {
  1: string application_id,
  2: i64 heartbeat_interval_ms,
  3: map<string, string> conf,
}

/* How far one running task has got, as its runner published it (weft-task.h's
 * WeftTaskMetrics, run_ms being the time so far). */
struct RunningTaskMetrics {
  1: i64 task_id,
  2: i64 run_ms,
  3: i64 records_read,
  4: i64 records_written,
  5: i64 shuffle_bytes_read,
  6: i64 shuffle_bytes_written,
}

struct ExecutorBeat {
  1: string executor_id,
  2: list<i64> running_tasks,
  /* The metrics so far of the running tasks (Spark's heartbeats carry them too); an older
   * executor sends none. */
  3: optional list<RunningTaskMetrics> metrics,
}

struct ExecutorBeatReply {
  1: bool reregister,
  2: bool stop,
}

/* One block request: the stored frames of reduce partition reduce_id of map
 * output map_id of shuffle shuffle_id, as the executor that wrote it keeps it. */
struct SegmentRequest {
  1: i32 shuffle_id,
  2: i32 map_id,
  3: i32 reduce_id,
}

service DriverEndpoint {
  ExecutorWelcome register_executor (1: common.Token auth, 2: ExecutorHello hello)
      throws (1: common.WeftException err),
  void task_outcomes (1: common.Token auth, 2: string executor_id, 3: list<binary> outcomes)
      throws (1: common.WeftException err),
  ExecutorBeatReply executor_heartbeat (1: common.Token auth, 2: ExecutorBeat beat)
      throws (1: common.WeftException err),
}

service ExecutorEndpoint {
  void launch_tasks (1: common.Token auth, 2: list<binary> tasks)
      throws (1: common.WeftException err),
  list<binary> fetch_segments (1: common.Token auth, 2: list<SegmentRequest> requests)
      throws (1: common.WeftException err),
  void stop_executor (1: common.Token auth, 2: string reason)
      throws (1: common.WeftException err),
}
