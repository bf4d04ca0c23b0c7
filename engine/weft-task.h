/* weft-task: one task of a job, as the driver describes it and as any slot runs it. A task is
 * a plan fragment (the stage's part of the optimized plan, with a WEFT_PLAN_STUB under every
 * exchange it reads), what the driver decided about each node (partition counts, shuffle ids,
 * CSV splits), and the partition to compute. weft_task_run() is the one way a task runs: on a
 * thread of the driver in local[N] mode and in a weft-executor on the cluster, after the task
 * went through its Thrift form (weft-task-rpc). Map tasks write their exchange's input to a
 * shuffle (weft-shuffle); tasks that read an exchange fetch its blocks from where the driver says
 * they are. Nothing here talks to the driver: the outcome says what happened. */
#pragma once

#include <glib.h>

#include "weft-csv-write.h"
#include "weft-plan.h"

G_BEGIN_DECLS

typedef enum {
  WEFT_TASK_RESULT = 1,   /* the job's last stage: the partition's rows go back to the driver */
  WEFT_TASK_SHUFFLE_MAP,  /* writes one partition of an exchange's input to the exchange's shuffle */
  WEFT_TASK_WRITE_CSV,    /* the last stage of write_csv: the partition becomes one part file */
  WEFT_TASK_INFER_CSV,    /* schema inference of one split of a CSV scan (no rows) */
} WeftTaskKind;

/* What the driver decided about one node of a fragment, beyond the logical plan. */
typedef struct {
  guint n_partitions;     /* partitions of the node's output */
  gint shuffle_id;        /* exchanges: the shuffle holding the (left) input, else -1 */
  gint right_shuffle_id;  /* JOIN: the right input's shuffle, else -1 */
  GPtrArray *splits;      /* (nullable) CSV_SCAN: WeftCsvSplit*, one per partition */
} WeftNodeInfo;

WeftNodeInfo *weft_node_info_new (guint n_partitions);
void weft_node_info_free (WeftNodeInfo *info);

/* Where the output of one map task is, and its size per reduce partition. */
typedef struct {
  guint shuffle_id;
  guint map_id;           /* the map partition */
  char *executor_id;      /* who wrote it and serves it */
  char *host;
  guint port;
  char *data_path;        /* the data file on that executor's disk (its index is beside it) */
  guint n_sizes;
  guint64 *sizes;         /* stored bytes of each reduce partition */
} WeftMapOutput;

WeftMapOutput *weft_map_output_copy (const WeftMapOutput *out);
void weft_map_output_free (WeftMapOutput *out);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WeftMapOutput, weft_map_output_free)

typedef struct _WeftTask WeftTask;
struct _WeftTask {
  gint refs;
  guint64 task_id;        /* unique in the driver */
  guint job_id;
  guint stage_id;
  guint stage_attempt;
  guint partition;        /* RESULT, WRITE_CSV: the output partition; SHUFFLE_MAP: the map id */
  guint attempt;          /* of this partition in this stage, from 0 */
  gint64 epoch;           /* of the driver's map output tracker when the task was made */
  WeftTaskKind kind;
  WeftPlan *plan;         /* SHUFFLE_MAP: the exchange whose input it writes; else the job's root */
  guint side;             /* SHUFFLE_MAP of a JOIN: 0 the left input, 1 the right */
  GHashTable *info;       /* WeftPlan* -> WeftNodeInfo*, for every node of the fragment */
  GPtrArray *inputs;      /* WeftMapOutput* of every map output of every shuffle it reads */
  gsize memory;           /* a stateful operator's budget before it spills */
  /* WRITE_CSV */
  char *write_path;       /* (nullable) the attempt's part file */
  WeftCsvWriteOptions *write_options;
  /* INFER_CSV: plan is the scan (file_schema: its columns, all strings); the split is
   * info[plan]->splits[partition] */
};

/** weft_task_new: (transfer full) an empty task of @kind with an empty info table. */
WeftTask *weft_task_new (WeftTaskKind kind);
WeftTask *weft_task_ref (WeftTask *task);
void weft_task_unref (WeftTask *task);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WeftTask, weft_task_unref)

/** weft_task_set_info: @info (transfer full) becomes @node's (replacing any). */
void weft_task_set_info (WeftTask *task, WeftPlan *node, WeftNodeInfo *info);
/** weft_task_get_info: (transfer none) (nullable) */
WeftNodeInfo *weft_task_get_info (const WeftTask *task, const WeftPlan *node);

/**
 * weft_plan_is_exchange:
 * Whether @plan's input is moved by a shuffle: AGGREGATE, SORT, LIMIT, REPARTITION, JOIN.
 * A fragment reads such a node from its shuffle, unless the node is the map task's own root.
 */
gboolean weft_plan_is_exchange (const WeftPlan *plan);

typedef enum {
  WEFT_TASK_SUCCEEDED = 1,
  WEFT_TASK_FAILED,          /* an error in the task: retried up to spark.task.maxFailures */
  WEFT_TASK_FETCH_FAILED,    /* a shuffle input could not be read: its map output is lost */
  WEFT_TASK_EXECUTOR_LOST,   /* the executor running it died or went silent */
  WEFT_TASK_KILLED,
} WeftTaskState;

typedef struct {
  guint64 run_ms;
  guint64 records_read;
  guint64 records_written;
  guint64 shuffle_bytes_read;
  guint64 shuffle_bytes_written;
  guint64 spill_bytes;
} WeftTaskMetrics;

typedef struct {
  guint64 task_id;
  WeftTaskState state;
  char *executor_id;         /* (nullable) where it ran */
  char *message;             /* (nullable) why it failed, for the driver's error */
  GPtrArray *batches;        /* (nullable) RESULT: the partition's rows, in order */
  WeftMapOutput *map_output; /* (nullable) SHUFFLE_MAP */
  WeftDataType *types;       /* (nullable) INFER_CSV: one per column of the scan */
  guint n_types;
  /* FETCH_FAILED: the map output that could not be read */
  guint fetch_shuffle_id;
  guint fetch_map_id;
  char *fetch_executor_id;
  WeftTaskMetrics metrics;
} WeftTaskOutcome;

WeftTaskOutcome *weft_task_outcome_new (guint64 task_id, WeftTaskState state);
void weft_task_outcome_free (WeftTaskOutcome *outcome);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WeftTaskOutcome, weft_task_outcome_free)

/**
 * WeftTaskFetch:
 * Reads the stored bytes of reduce partition @reduce_id of the map output @where from the
 * executor that holds it (an RPC), as weft_shuffle_read_segment() would there.
 * Returns: TRUE with @out set, or FALSE with @error set.
 */
typedef gboolean (*WeftTaskFetch) (gpointer data, const WeftMapOutput *where, guint reduce_id,
                                   GBytes **out, GError **error);

/* Where a task runs. */
typedef struct {
  const char *executor_id;   /* "driver" in local mode */
  const char *host;
  guint port;                /* the executor's service port (0 in local mode) */
  const char *shuffle_dir;   /* where this executor's map outputs are written */
  gsize block_size;          /* spark.shuffle.blockSize analogue: raw bytes per LZ4 block */
  gsize max_bytes_in_flight; /* spark.reducer.maxSizeInFlight */
  guint fetch_retries;       /* tries per remote segment before a fetch failure */
  WeftTaskFetch fetch;       /* (nullable) remote reads; NULL: every map output is local */
  gpointer fetch_data;
  /* (nullable) The runner publishes its counters here as it goes (after each batch it reads
   * or writes, and once more at the end, equal then to the outcome's metrics; run_ms is the
   * time so far), each field with an atomic store, so another thread may read them with
   * atomic loads (weft_task_metrics_load) while the task runs. NULL: not published. */
  WeftTaskMetrics *live;
} WeftTaskEnv;

/**
 * weft_task_metrics_load:
 * Copies @live into @out field by field with atomic loads: any thread, while a runner
 * publishes into @live. The fields are each current but not a snapshot of one instant.
 */
void weft_task_metrics_load (const WeftTaskMetrics *live, WeftTaskMetrics *out);

/**
 * weft_task_run:
 * Runs @task for its partition. Any thread; tasks run concurrently.
 * Returns: (transfer full) the outcome (never NULL): SUCCEEDED with the result, map output or
 *   types, or why it failed.
 */
WeftTaskOutcome *weft_task_run (const WeftTask *task, const WeftTaskEnv *env);

G_END_DECLS
