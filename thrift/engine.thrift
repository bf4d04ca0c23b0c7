/* Engine protocol between a driver and its executors. Executors are
 * generic: a task carries a plan fragment (operators and expressions as
 * Thrift structs, flattened into node lists so nothing on the wire nests
 * deeply), never driver code. Served by the driver (DriverService) and by
 * each executor (ExecutorService); auth is the application's shared-secret
 * token. */
include "common.thrift"
namespace c_glib weft

enum ColumnType {
  COL_NULL = 0,
  COL_INT64 = 1,
  COL_DOUBLE = 2,
  COL_STRING = 3,
  COL_BOOL = 4,
  COL_DATE = 5,
}

struct Field {
  1: string name,
  2: ColumnType type,
  3: bool nullable,
}

struct Schema {
  1: list<Field> fields,
}

struct Literal {
  1: ColumnType type,
  2: bool is_null,
  3: optional i64 int_value,
  4: optional double double_value,
  5: optional string string_value,
  6: optional bool bool_value,
}

enum ExprKind {
  EXPR_COLUMN = 1,
  EXPR_LITERAL = 2,
  EXPR_CALL = 3,
  EXPR_CAST = 4,
  EXPR_ALIAS = 5,
}

/* One node of an expression; children are indices into ExprTree.nodes that
 * are smaller than the node's own index (post-order), so evaluation order
 * and acyclicity are checked in one pass. */
struct ExprNode {
  1: ExprKind kind,
  2: ColumnType type,
  3: optional i32 column,
  4: optional Literal literal,
  5: optional string func,
  6: optional list<i32> children,
  7: optional string name,
}

struct ExprTree {
  1: list<ExprNode> nodes,
}

enum AggFunction {
  AGG_COUNT = 1,
  AGG_COUNT_STAR = 2,
  AGG_COUNT_DISTINCT = 3,
  AGG_SUM = 4,
  AGG_AVG = 5,
  AGG_MIN = 6,
  AGG_MAX = 7,
}

struct Aggregate {
  1: AggFunction agg,
  2: ExprTree input,
  3: string name,
}

struct SortKey {
  1: ExprTree expr,
  2: bool ascending,
  3: bool nulls_first,
}

/* A byte range of one input file, cut at line boundaries by the reader. */
struct FileSplit {
  1: string path,
  2: i64 offset,
  3: i64 length,
  4: bool first_split,
}

struct CsvOptions {
  1: bool header,
  2: string sep,
  3: string quote,
  4: string escape,
  5: string null_value,
  6: string date_format,
  7: string mode,
  8: bool multi_line,
  9: optional string comment,
  10: bool ignore_leading_white_space,
  11: bool ignore_trailing_white_space,
  12: optional string corrupt_record_column,
}

enum PartitioningKind {
  PART_SINGLE = 1,
  PART_HASH = 2,
  PART_ROUND_ROBIN = 3,
  PART_RANGE = 4,
}

struct Partitioning {
  1: PartitioningKind kind,
  2: i32 num_partitions,
  3: optional list<ExprTree> keys,
}

enum OperatorKind {
  OP_CSV_SCAN = 1,
  OP_ROWS_SCAN = 2,
  OP_FILTER = 3,
  OP_PROJECT = 4,
  OP_HASH_AGGREGATE = 5,
  OP_SORT = 6,
  OP_LIMIT = 7,
  OP_HASH_JOIN = 8,
  OP_UNION = 9,
  OP_SHUFFLE_READ = 10,
  OP_SHUFFLE_WRITE = 11,
  OP_CSV_WRITE = 12,
  OP_RESULT = 13,
  OP_COALESCE = 14,
}

enum JoinType {
  JOIN_INNER = 1,
  JOIN_LEFT = 2,
  JOIN_RIGHT = 3,
  JOIN_FULL = 4,
  JOIN_SEMI = 5,
  JOIN_ANTI = 6,
}

/* One operator. inputs are indices of earlier operators in the fragment;
 * only the fields of the operator's kind are set. */
struct Operator {
  1: OperatorKind kind,
  2: list<i32> inputs,
  3: Schema output_schema,
  4: optional list<FileSplit> splits,
  5: optional CsvOptions csv,
  6: optional list<i32> projected_columns,
  7: optional ExprTree predicate,
  8: optional list<ExprTree> exprs,
  9: optional list<Aggregate> aggregates,
  10: optional bool partial,
  11: optional list<SortKey> sort_keys,
  12: optional i64 limit,
  13: optional JoinType join_type,
  14: optional list<ExprTree> left_keys,
  15: optional list<ExprTree> right_keys,
  16: optional i32 shuffle_id,
  17: optional Partitioning partitioning,
  18: optional string output_path,
  19: optional binary rows,
}

struct PlanFragment {
  1: list<Operator> operators,
}

struct TaskDescription {
  1: i64 task_id,
  2: i32 stage_id,
  3: i32 stage_attempt,
  4: i32 partition,
  5: i32 attempt,
  6: PlanFragment plan,
  7: i64 epoch,
}

/* Where the blocks of one map task of a shuffle live. */
struct MapOutput {
  1: i32 shuffle_id,
  2: i32 map_id,
  3: string executor_id,
  4: string host,
  5: i32 port,
  6: list<i64> partition_sizes,
}

struct ShuffleLocations {
  1: i32 shuffle_id,
  2: list<MapOutput> outputs,
}

struct TaskMetrics {
  1: i64 run_ms,
  2: i64 records_read,
  3: i64 records_written,
  4: i64 shuffle_bytes_read,
  5: i64 shuffle_bytes_written,
  6: i64 spill_bytes,
  7: i64 peak_memory_bytes,
}

enum TaskState {
  TASK_RUNNING = 1,
  TASK_FINISHED = 2,
  TASK_FAILED = 3,
  TASK_KILLED = 4,
}

enum TaskFailureKind {
  TASK_FAIL_NONE = 0,
  TASK_FAIL_EXCEPTION = 1,
  TASK_FAIL_FETCH_FAILED = 2,
  TASK_FAIL_EXECUTOR_LOST = 3,
  TASK_FAIL_KILLED = 4,
}

struct TaskStatus {
  1: i64 task_id,
  2: TaskState state,
  3: TaskFailureKind failure,
  4: string message,
  5: optional binary result,
  6: optional MapOutput map_output,
  7: TaskMetrics metrics,
  8: optional i32 fetch_failed_shuffle_id,
  9: optional i32 fetch_failed_map_id,
  10: optional string fetch_failed_executor_id,
}

struct ExecutorInfo {
  1: string executor_id,
  2: string host,
  3: i32 port,
  4: i32 cores,
  5: i64 memory_bytes,
  6: string container_id,
  7: string node_id,
}

struct ExecutorRegistered {
  1: string application_id,
  2: map<string, string> conf,
}

struct ExecutorHeartbeatResponse {
  1: bool reregister,
  2: list<i64> tasks_to_kill,
}

struct BlockRequest {
  1: i32 shuffle_id,
  2: i32 map_id,
  3: i32 reduce_id,
}

/* One shuffle block: LZ4 blocks each with its own checksum, as the map task
 * wrote them; the reader verifies every checksum before decompressing. */
struct ShuffleBlock {
  1: i32 shuffle_id,
  2: i32 map_id,
  3: i32 reduce_id,
  4: binary data,
  5: i64 raw_size,
}

service DriverService {
  ExecutorRegistered register_executor (1: common.Token auth, 2: ExecutorInfo info)
      throws (1: common.WeftException err),
  void status_update (1: common.Token auth, 2: string executor_id, 3: list<TaskStatus> statuses)
      throws (1: common.WeftException err),
  ExecutorHeartbeatResponse executor_heartbeat (1: common.Token auth, 2: string executor_id,
                                                3: list<TaskStatus> running)
      throws (1: common.WeftException err),
  ShuffleLocations get_shuffle_locations (1: common.Token auth, 2: i32 shuffle_id)
      throws (1: common.WeftException err),
}

service ExecutorService {
  void launch_tasks (1: common.Token auth, 2: list<TaskDescription> tasks)
      throws (1: common.WeftException err),
  void kill_task (1: common.Token auth, 2: i64 task_id, 3: string reason)
      throws (1: common.WeftException err),
  list<ShuffleBlock> fetch_blocks (1: common.Token auth, 2: list<BlockRequest> blocks)
      throws (1: common.WeftException err),
  void stop_executor (1: common.Token auth, 2: string reason)
      throws (1: common.WeftException err),
}
