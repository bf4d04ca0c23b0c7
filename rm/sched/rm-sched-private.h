/* rm-sched-private: what the scheduler plugins of rm/sched/ share.
 * The built-in plugin tables, and RmSchedPlacer, the node picker every plugin uses: it keeps a
 * scratch copy of each node's free resources for one rm_scheduler_assign() call and finds a node
 * for one container in amortized O(1), honouring locality, without ever over-committing a node. */

#pragma once

#include "rm-scheduler.h"

G_BEGIN_DECLS

extern const RmSchedulerOps rm_sched_fifo_ops;
extern const RmSchedulerOps rm_sched_capacity_ops;

/* Whether @a fits in @b, resource by resource. */
static inline gboolean
rm_resource_fits (RmResource a, RmResource b)
{
  return a.vcores <= b.vcores && a.memory_mb <= b.memory_mb;
}

static inline RmResource
rm_resource_add (RmResource a, RmResource b)
{
  return (RmResource){ a.vcores + b.vcores, a.memory_mb + b.memory_mb };
}

/* Whether @ask may be served now: it wants containers, and it is of the kind the application can
 * take (its AM before the AM is granted, everything else after). */
static inline gboolean
rm_sched_ask_servable (const RmSchedApp *app, const RmSchedAsk *ask)
{
  return !app->finishing && ask->count > 0 && (ask->is_am ? !app->am_allocated : app->am_allocated);
}

typedef struct _RmSchedPlacer RmSchedPlacer;

/**
 * rm_sched_placer_new:
 * @snapshot: (transfer none): must outlive the placer
 *
 * Copies the free resources of every schedulable node. Only nodes that can hold the smallest
 * servable ask of the snapshot are ever scanned.
 *
 * Returns: (transfer full): the placer.
 */
RmSchedPlacer *rm_sched_placer_new (const RmSchedSnapshot *snapshot);

/** rm_sched_placer_free: @placer: (nullable) (transfer full) */
void rm_sched_placer_free (RmSchedPlacer *placer);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RmSchedPlacer, rm_sched_placer_free)

/**
 * rm_sched_placer_place:
 * @ask: an ask of the snapshot
 *
 * Finds a node for one container of @ask and takes its capability from that node's free
 * resources. A node ask goes to its node; with relax_locality it falls back to any node. Any-node
 * asks go to the first fitting node after a rotating cursor, so containers spread over the cluster.
 * Free resources only shrink during a call, so once a capability did not fit anywhere, no larger
 * one is tried again.
 *
 * Returns: the node index, or -1 if no node can hold the container now.
 */
int rm_sched_placer_place (RmSchedPlacer *placer, const RmSchedAsk *ask);

/**
 * rm_sched_placer_total:
 *
 * Returns: the total resources of the schedulable nodes: what shares are fractions of.
 */
RmResource rm_sched_placer_total (RmSchedPlacer *placer);

/**
 * rm_sched_sort_asks:
 * @app: an application
 * @out: (array length=app->n_asks): filled with the indices of @app's asks, in the order they are
 *   served: by priority (lower number first), then in the application's order
 */
void rm_sched_sort_asks (const RmSchedApp *app, guint *out);

G_END_DECLS
