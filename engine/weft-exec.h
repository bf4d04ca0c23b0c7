/* weft-exec: the driver's DAG scheduler. A job is an optimized plan: every exchange in it
 * (aggregate, sort, limit, repartition, each side of a join) becomes a shuffle map stage, the
 * root a result stage; stages run when their parents' map outputs are all registered, one task
 * per partition, through the session's backend (weft-backend.h), which runs tasks where it can
 * and reports each outcome. Failed tasks are retried (spark.task.maxFailures, default 4); a fetch
 * failure unregisters the map output that could not be read, reruns the missing map tasks of
 * the parent stage, then the failed stage (Spark's algorithm: a stage attempt counter bumped
 * once per failure of the current attempt, so late failures of older attempts are ignored, and
 * a limit of consecutive attempts); a lost executor's outputs are unregistered the same way.
 * Results come back to the driver thread, which alone calls the sink. One job at a time. */
#pragma once

#include "weft-output-job.h"
#include "weft-csv-write.h"
#include "weft-csv.h"
#include "weft-plan.h"
#include "weft/weft-backend.h"

G_BEGIN_DECLS

typedef struct _WeftExec WeftExec;

/**
 * weft_exec_new:
 * @ops: (transfer none): the backend that runs tasks
 * @backend: (transfer none): its instance, opened with @outcomes; it must outlive the executor
 * @outcomes: (transfer none): where the backend pushes task outcomes
 * @task_memory: budget of one task's stateful operator before it spills
 * @shuffle_partitions: partitions after a keyed exchange
 */
WeftExec *weft_exec_new (const WeftBackendOps *ops, gpointer backend, GAsyncQueue *outcomes,
                         gsize task_memory, guint shuffle_partitions);
void weft_exec_free (WeftExec *exec);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WeftExec, weft_exec_free)

/** weft_exec_get_task_memory: the bytes a task's stateful operator holds before it spills. */
gsize weft_exec_get_task_memory (WeftExec *exec);

/** weft_exec_get_shuffle_partitions: the partitions after a keyed exchange (explain prints it). */
guint weft_exec_get_shuffle_partitions (WeftExec *exec);

/** weft_exec_set_max_task_failures: attempts of one task before the job fails (default 4). */
void weft_exec_set_max_task_failures (WeftExec *exec, guint n);

/**
 * weft_exec_set_console_progress:
 * Whether jobs draw Spark's console progress bar on stderr (spark.ui.showConsoleProgress, for a
 * terminal). The backend is told each stage's progress either way (WeftBackendOps.status).
 */
void weft_exec_set_console_progress (WeftExec *exec, gboolean on);

/**
 * WeftExecSink:
 * Takes one output batch (transfer full) of @partition. Called on the thread that runs the job,
 * partition by partition as tasks finish, each partition's batches in order.
 */
typedef gboolean (*WeftExecSink) (guint partition, WeftBatch *batch, gpointer user_data,
                                  GError **error);

/**
 * weft_exec_run:
 * Runs @plan (already optimized); @on_start (if set) learns the number of output partitions
 * before the first sink call.
 */
gboolean weft_exec_run (WeftExec *exec, WeftPlan *plan, void (*on_start) (guint n, gpointer),
                        WeftExecSink sink, gpointer user_data, GError **error);

/**
 * weft_exec_write_csv:
 * Runs @plan with each output partition written as a part file of @job by the task that
 * computes it, committing each task as it succeeds; the caller commits or aborts @job.
 */
gboolean weft_exec_write_csv (WeftExec *exec, WeftPlan *plan, WeftOutputJob *job,
                              const WeftCsvWriteOptions *options, GError **error);

/**
 * weft_exec_infer_csv:
 * @files: the files @inference reads
 * Runs the tasks of @inference (one INFER_CSV task per split) through the backend, retried as
 * any task is, and records their types in @inference.
 */
gboolean weft_exec_infer_csv (WeftExec *exec, WeftCsvInference *inference,
                              const char *const *files, GError **error);

G_END_DECLS
