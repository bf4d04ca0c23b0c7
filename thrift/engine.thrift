/* Engine protocol between a driver and its executors. Executors are
 * generic: a task carries a plan fragment (the driver's optimized logical
 * plan nodes and resolved expressions as Thrift structs), never driver code.
 * Nothing on the wire nests deeply: a fragment is a flat list of operators
 * and an expression a flat list of nodes, both in post-order, children named
 * by the indices of earlier entries. engine/weft-task-rpc.c converts to and
 * from the engine's structs and checks everything it reads. Served by the
 * driver (DriverService) and by each executor (ExecutorService); auth is the
 * application's shared-secret token.
 * Enum values equal the engine's own where the engine's start at 1
 * (WeftDataType, WeftExprKind, WeftPlanKind, WeftTaskKind, WeftTaskState);
 * the converter maps the others. */
include "common.thrift"
namespace c_glib weft

/* ---- Values and expressions ---------------------------------------------- */

enum ColumnType {
  COL_NULL = 0,   /* never sent: a resolved expression types every null */
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

/* A literal's value; its type is ExprNode.type. Exactly the field of that
 * type is set unless is_null. */
struct Literal {
  1: bool is_null,
  2: optional i64 int_value,       /* COL_INT64; COL_DATE: days since 1970-01-01 */
  3: optional double double_value,
  4: optional binary string_value, /* bytes, NULs allowed */
  5: optional bool bool_value,
}

enum ExprKind {
  EXPR_COLUMN = 1,
  EXPR_LITERAL = 2,
  EXPR_CALL = 3,
  EXPR_CAST = 4,
  EXPR_ALIAS = 5,
}

/* One node of a resolved expression. */
struct ExprNode {
  1: ExprKind kind,
  2: ColumnType type,             /* the result type */
  3: bool nullable,
  4: optional i32 column,         /* COLUMN: index in the input schema */
  5: optional string name,        /* COLUMN: the column's name; ALIAS: the alias */
  6: optional Literal literal,    /* LITERAL */
  7: optional string func,        /* CALL: weft_expr_op_name(), e.g. "add", "like" */
  8: optional list<i32> children, /* CALL, CAST, ALIAS: indices of earlier nodes */
  9: optional bool implicit_cast, /* CAST: inserted by resolution */
}

/* Post-order: every child index is below its parent's; the last node is
 * the root. A subtree the engine shares is sent once. */
struct ExprTree {
  1: list<ExprNode> nodes,
}

/* ---- Operator parts ------------------------------------------------------- */

enum AggFunction {
  AGG_COUNT_STAR = 1,
  AGG_COUNT = 2,
  AGG_COUNT_DISTINCT = 3,
  AGG_SUM = 4,
  AGG_AVG = 5,
  AGG_MIN = 6,
  AGG_MAX = 7,
}

struct Aggregate {
  1: AggFunction func,
  2: optional ExprTree input,     /* absent for count(*) only */
  3: string name,
}

struct SortKey {
  1: ExprTree expr,
  2: bool descending,
  3: bool nulls_first,
}

/* A byte range of one input file, cut at line boundaries by the reader. */
struct FileSplit {
  1: string path,
  2: i64 start,
  3: i64 length,
}

enum CsvMode {
  CSV_MODE_PERMISSIVE = 1,
  CSV_MODE_DROPMALFORMED = 2,
  CSV_MODE_FAILFAST = 3,
}

enum CsvParser {
  CSV_PARSER_AUTO = 1,
  CSV_PARSER_LIBCSV = 2,
}

/* WeftCsvOptions: Spark's read options (characters as bytes, 0 for off),
 * then the engine's knobs. */
struct CsvOptions {
  1: bool header,
  2: bool infer_schema,
  3: i8 sep,
  4: i8 quote,
  5: i8 escape,
  6: i8 comment,
  7: string null_value,
  8: bool multi_line,
  9: string date_format,
  10: CsvMode mode,
  11: optional string corrupt_record_column,
  12: i64 batch_rows,
  13: i64 split_bytes,
  14: i64 read_bytes,
  15: i64 max_record_bytes,
  16: CsvParser parser,
}

/* WeftCsvWriteOptions. */
struct CsvWriteOptions {
  1: bool header,
  2: i8 sep,
  3: i8 quote,
  4: i8 escape,
  5: string null_value,
  6: string empty_value,
  7: bool quote_all,
  8: bool escape_quotes,
  9: bool ignore_leading_white_space,
  10: bool ignore_trailing_white_space,
  11: string date_format,
  12: string line_sep,
  13: i64 buffer_bytes,
}

/* CSV_SCAN: the files, how to read them, their columns, which of them the
 * scan outputs (file column indices, in order) and the predicate pushed
 * into the scan (over file_schema). */
struct CsvScan {
  1: list<string> files,
  2: CsvOptions options,
  3: Schema file_schema,
  4: list<i32> projection,
  5: optional ExprTree pushed,
}

/* ROWS, COALESCE: the partition count; REPARTITION: the count and the hash
 * keys (absent: round robin). */
struct Partitioning {
  1: i32 num_partitions,
  2: optional list<ExprTree> keys,
}

enum JoinType {
  JOIN_INNER = 1,
  JOIN_LEFT_OUTER = 2,
  JOIN_RIGHT_OUTER = 3,
  JOIN_FULL_OUTER = 4,
  JOIN_LEFT_SEMI = 5,
  JOIN_LEFT_ANTI = 6,
}

enum JoinOutSource {
  JOIN_OUT_LEFT = 1,   /* a column of the left input */
  JOIN_OUT_RIGHT = 2,  /* a column of the right input */
  JOIN_OUT_KEY = 3,    /* a key, merged as a USING join does */
}

/* Where one output column of a join comes from. */
struct JoinOut {
  1: JoinOutSource source,
  2: i32 index,
}

/* JOIN: keys compared pairwise (left over the left input, right over the
 * right one), one JoinOut per output column. */
struct Join {
  1: JoinType type,
  2: list<ExprTree> left_keys,
  3: list<ExprTree> right_keys,
  4: list<JoinOut> out,
  5: bool using_keys,
}

/* ---- Plan fragments -------------------------------------------------------- */

/* Values equal WeftPlanKind. */
enum OperatorKind {
  OP_CSV_SCAN = 1,
  OP_ROWS = 2,
  OP_FILTER = 3,
  OP_PROJECT = 4,
  OP_AGGREGATE = 5,
  OP_SORT = 6,
  OP_LIMIT = 7,
  OP_COALESCE = 8,
  OP_REPARTITION = 9,
  OP_JOIN = 10,
  OP_UNION = 11,
  OP_STUB = 12,   /* rows read from a shuffle: only the schema is known */
}

/* What the driver decided about one operator (WeftNodeInfo). */
struct NodeInfo {
  1: i32 num_partitions,
  2: i32 shuffle_id,                  /* exchanges: the (left) input's shuffle, else -1 */
  3: i32 right_shuffle_id,            /* JOIN: the right input's shuffle, else -1 */
  4: optional list<FileSplit> splits, /* CSV_SCAN: one per partition */
}

/* One node of a fragment. Only the fields of its kind are set. */
struct Operator {
  1: OperatorKind kind,
  2: list<i32> children,              /* earlier operators: the input; for JOIN and UNION left, right */
  3: Schema schema,                   /* output */
  4: optional NodeInfo info,
  5: optional CsvScan csv_scan,       /* CSV_SCAN */
  6: optional binary rows,            /* ROWS: one batch in weft-batch-codec's encoding */
  7: optional Partitioning partitioning, /* ROWS, COALESCE, REPARTITION */
  8: optional ExprTree predicate,     /* FILTER */
  9: optional list<ExprTree> exprs,   /* PROJECT: the outputs; AGGREGATE: the grouping keys */
  10: optional list<Aggregate> aggregates, /* AGGREGATE */
  11: optional list<SortKey> sort_keys,    /* SORT */
  12: optional i64 limit,             /* LIMIT */
  13: optional Join join,             /* JOIN */
}

/* Post-order, each operator after its children; the last is the root. An
 * exchange the task reads from its shuffle has OP_STUB children. */
struct PlanFragment {
  1: list<Operator> operators,
}

/* ---- Tasks ------------------------------------------------------------------ */

/* Where the output of one map task is, and its size per reduce partition. */
struct MapOutput {
  1: i32 shuffle_id,
  2: i32 map_id,
  3: optional string executor_id,
  4: optional string host,
  5: i32 port,
  6: optional string data_path,
  7: list<i64> sizes,
}

/* Values equal WeftTaskKind. */
enum TaskKind {
  TASK_RESULT = 1,
  TASK_SHUFFLE_MAP = 2,
  TASK_WRITE_CSV = 3,
  TASK_INFER_CSV = 4,
}

/* WeftTask. plan's root is the task's plan: for SHUFFLE_MAP the exchange
 * whose input (side 0, or side 1 the right input of a JOIN) it writes. */
struct TaskDescription {
  1: i64 task_id,
  2: i32 job_id,
  3: i32 stage_id,
  4: i32 stage_attempt,
  5: i32 partition,
  6: i32 attempt,
  7: i64 epoch,
  8: TaskKind kind,
  9: PlanFragment plan,
  10: i32 side,
  11: list<MapOutput> inputs,
  12: i64 memory,
  13: optional string write_path,           /* WRITE_CSV */
  14: optional CsvWriteOptions write_options, /* WRITE_CSV */
}

struct TaskMetrics {
  1: i64 run_ms,
  2: i64 records_read,
  3: i64 records_written,
  4: i64 shuffle_bytes_read,
  5: i64 shuffle_bytes_written,
  6: i64 spill_bytes,
}

/* Values equal WeftTaskState. */
enum TaskState {
  TASK_SUCCEEDED = 1,
  TASK_FAILED = 2,
  TASK_FETCH_FAILED = 3,
  TASK_EXECUTOR_LOST = 4,
  TASK_KILLED = 5,
}

/* WeftTaskOutcome: how a task ended. */
struct TaskStatus {
  1: i64 task_id,
  2: TaskState state,
  3: optional string executor_id,
  4: optional string message,
  5: optional list<binary> batches,      /* RESULT: the rows, each batch in weft-batch-codec's encoding */
  6: optional MapOutput map_output,      /* SHUFFLE_MAP */
  7: optional list<ColumnType> types,    /* INFER_CSV */
  8: i32 fetch_shuffle_id,               /* FETCH_FAILED: the map output that could not be read */
  9: i32 fetch_map_id,
  10: optional string fetch_executor_id,
  11: TaskMetrics metrics,
}

/* The services that carry these structs (as bytes, checked by weft-task-rpc) are in
 * executor.thrift. */
