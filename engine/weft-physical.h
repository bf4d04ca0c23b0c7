/* weft-physical: the physical plan explain() prints for an optimized logical
 * plan, in Spark's words, as weft-exec runs it: where the executor
 * materializes an exchange (partial/final HashAggregate around a hash
 * exchange, the single-partition gather of sort and limit, repartition's
 * round robin or hash exchange, a join's two hash exchanges), and which
 * operators run pipelined in one task, numbered like Spark's "*(N)" in the
 * order their stages run. A printer only: it reads the plan and stats the
 * CSV files to count their splits. */
#pragma once

#include <glib.h>

#include "weft-plan.h"

G_BEGIN_DECLS

/**
 * weft_physical_plan_to_string:
 * @plan: an optimized plan (weft_optimize())
 * @shuffle_partitions: the executor's partitions after a keyed exchange
 *   (weft_exec_get_shuffle_partitions())
 *
 * Returns: (transfer full) the tree, one operator a line, Spark's explain style. Each operator
 *   but an exchange starts with "*(N) ": N is its stage, the operators one task streams batches
 *   through between exchanges; stages are numbered in the order they run.
 */
char *weft_physical_plan_to_string (const WeftPlan *plan, guint shuffle_partitions);

G_END_DECLS
