/* weft-exec: runs a logical plan on a pool of threads (local[N]). Every
 * node is a stream of batches per partition; an exchange (aggregate,
 * sort, limit, repartition) first materializes its input by running the
 * partitions below it as parallel tasks: aggregation is partial before the
 * exchange (hash-partitioned by key) and final after it; repartition deals
 * batches round robin, or with keys hash-partitions rows as aggregation does; a join
 * hash-partitions both sides by their keys into the same buckets and joins
 * each bucket pair with a WeftHashJoin (building the smaller side); a union
 * is the left's partitions then the right's. The cluster backend (issue 5)
 * will run the same stages in executors. */
#pragma once

#include "weft-plan.h"
#include "weft/weft-backend.h"

G_BEGIN_DECLS

typedef struct _WeftExec WeftExec;

/**
 * weft_exec_new:
 * @ops: (transfer none): the backend that runs each stage's tasks
 * @backend: (transfer none): its instance, which must outlive the executor
 * @task_memory: budget of one task's stateful operator before it spills
 * @shuffle_partitions: partitions after a keyed exchange
 */
WeftExec *weft_exec_new (const WeftBackendOps *ops, gpointer backend, gsize task_memory,
                         guint shuffle_partitions);
void weft_exec_free (WeftExec *exec);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WeftExec, weft_exec_free)

guint weft_exec_get_threads (WeftExec *exec);
/** weft_exec_get_task_memory: the bytes a task's stateful operator holds before it spills. */
gsize weft_exec_get_task_memory (WeftExec *exec);

/** weft_exec_get_shuffle_partitions: the partitions after a keyed exchange (explain prints it). */
guint weft_exec_get_shuffle_partitions (WeftExec *exec);

/**
 * WeftExecSink:
 * Takes one output batch (transfer full) of @partition. Calls for one
 * partition come from one thread, in order; partitions run concurrently.
 */
typedef gboolean (*WeftExecSink) (guint partition, WeftBatch *batch, gpointer user_data,
                                  GError **error);

/**
 * weft_exec_run:
 * Runs @plan (already optimized); @n_partitions receives how many output
 * partitions there were (before the first sink call, via @on_start if set).
 */
gboolean weft_exec_run (WeftExec *exec, WeftPlan *plan, void (*on_start) (guint n, gpointer),
                        WeftExecSink sink, gpointer user_data, GError **error);

G_END_DECLS
