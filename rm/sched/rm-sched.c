/* rm-sched: the node picker (RmSchedPlacer) and ask ordering shared by the scheduler plugins.
 *
 * Speed matters here: one rm_scheduler_assign() call may grant tens of thousands of containers on
 * ten thousand nodes, and a scan of every node per container would cost O(nodes) each. Instead:
 * - only "candidate" nodes are scanned: schedulable nodes whose free resources hold the smallest
 *   servable ask of the snapshot. A node leaves the list (swap-remove, O(1)) the moment a grant
 *   leaves it too small for that ask; free resources only shrink during a call, so it never returns.
 * - an any-node ask scans from a rotating cursor and stops at the first fit, then moves the cursor
 *   past that node, so consecutive containers spread over the cluster as with YARN's heartbeats.
 *   With uniform asks every probe fits or removes the node: amortized O(1) per container.
 * - when a scan finds no fit it proves a bound ("no node has V vcores and more than M MB free");
 *   later asks that are at least as large fail at once instead of scanning again. */

#include "rm-sched-private.h"

#include <string.h>

/* How many proven "nothing this large fits" bounds we remember; a few cover the distinct container
 * sizes a cluster sees at one time, and checking them is cheaper than one scan. */
#define N_FAILED 8

struct _RmSchedPlacer
{
  const RmSchedSnapshot *snapshot;
  RmResource *free; /* per node; meaningless for unschedulable nodes */
  RmResource total; /* of schedulable nodes */
  RmResource min_ask; /* componentwise smallest servable capability */
  guint *cand;      /* candidate node indices */
  int *pos;         /* per node: its position in cand, or -1 */
  guint n_cand;
  guint cursor;     /* next position of cand to probe */
  GHashTable *by_id; /* node id -> index + 1; only built if some ask names a node */
  RmResource failed[N_FAILED];
  guint n_failed;
  guint next_failed;
};

RmSchedPlacer *
rm_sched_placer_new (const RmSchedSnapshot *snapshot)
{
  RmSchedPlacer *p = g_new0 (RmSchedPlacer, 1);
  gboolean named = FALSE;

  p->snapshot = snapshot;
  p->min_ask = (RmResource){ G_MAXINT64, G_MAXINT64 };
  for (guint a = 0; a < snapshot->n_apps; a++)
    {
      const RmSchedApp *app = &snapshot->apps[a];

      for (guint k = 0; k < app->n_asks; k++)
        {
          const RmSchedAsk *ask = &app->asks[k];

          if (!rm_sched_ask_servable (app, ask))
            continue;
          p->min_ask.vcores = MIN (p->min_ask.vcores, ask->capability.vcores);
          p->min_ask.memory_mb = MIN (p->min_ask.memory_mb, ask->capability.memory_mb);
          if (ask->resource_name && strcmp (ask->resource_name, RM_SCHED_ANY) != 0)
            named = TRUE;
        }
    }

  p->free = g_new (RmResource, snapshot->n_nodes);
  p->cand = g_new (guint, snapshot->n_nodes);
  p->pos = g_new (int, snapshot->n_nodes);
  if (named)
    p->by_id = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < snapshot->n_nodes; i++)
    {
      const RmSchedNode *n = &snapshot->nodes[i];

      p->pos[i] = -1;
      p->free[i] = (RmResource){ n->total.vcores - n->used.vcores, n->total.memory_mb - n->used.memory_mb };
      if (p->by_id && n->id)
        g_hash_table_insert (p->by_id, (gpointer) n->id, GUINT_TO_POINTER (i + 1));
      if (!n->schedulable)
        continue;
      p->total = rm_resource_add (p->total, n->total);
      if (rm_resource_fits (p->min_ask, p->free[i]))
        {
          p->pos[i] = (int) p->n_cand;
          p->cand[p->n_cand++] = i;
        }
    }
  return p;
}

void
rm_sched_placer_free (RmSchedPlacer *p)
{
  if (!p)
    return;
  g_free (p->free);
  g_free (p->cand);
  g_free (p->pos);
  if (p->by_id)
    g_hash_table_unref (p->by_id);
  g_free (p);
}

RmResource
rm_sched_placer_total (RmSchedPlacer *p)
{
  return p->total;
}

/* Takes @r from node @i; drops the node from the candidates if it can no longer hold any ask. */
static void
take (RmSchedPlacer *p, guint i, RmResource r)
{
  int at = p->pos[i];

  p->free[i].vcores -= r.vcores;
  p->free[i].memory_mb -= r.memory_mb;
  if (at >= 0 && !rm_resource_fits (p->min_ask, p->free[i]))
    {
      guint last = p->cand[--p->n_cand];

      p->cand[at] = last;
      p->pos[last] = at;
      p->pos[i] = -1;
    }
}

static gboolean
known_to_fail (RmSchedPlacer *p, RmResource cap)
{
  for (guint f = 0; f < p->n_failed; f++)
    if (rm_resource_fits (p->failed[f], cap))
      return TRUE;
  return FALSE;
}

static void
remember_failure (RmSchedPlacer *p, RmResource bound)
{
  p->failed[p->next_failed] = bound;
  p->next_failed = (p->next_failed + 1) % N_FAILED;
  p->n_failed = MIN (p->n_failed + 1, N_FAILED);
}

static int
place_any (RmSchedPlacer *p, RmResource cap)
{
  gint64 best_mem = -1; /* most free memory among candidates with cap.vcores free */
  gint64 best_vc = -1;  /* most free vcores among candidates with cap.memory_mb free */

  if (known_to_fail (p, cap))
    return -1;
  /* One full turn at most. No node leaves the list during the scan (only take() removes, and the
   * scan ends with it), so every candidate is probed once before we conclude nothing fits. */
  for (guint step = 0; step < p->n_cand; step++)
    {
      guint at = (p->cursor + step) % p->n_cand;
      guint i = p->cand[at];
      RmResource f = p->free[i];

      if (rm_resource_fits (cap, f))
        {
          take (p, i, cap);
          /* Next container starts on the following node; if this one was removed, the node
           * swapped into its slot has not been probed yet, so start there. */
          if (p->n_cand > 0)
            p->cursor = (p->pos[i] < 0 ? at : at + 1) % p->n_cand;
          else
            p->cursor = 0;
          return (int) i;
        }
      if (f.vcores >= cap.vcores)
        best_mem = MAX (best_mem, f.memory_mb);
      if (f.memory_mb >= cap.memory_mb)
        best_vc = MAX (best_vc, f.vcores);
    }
  /* Nothing has cap.vcores free together with more than best_mem MB, nor cap.memory_mb free
   * together with more than best_vc vcores; frees only shrink, so both bounds hold to the end. */
  remember_failure (p, (RmResource){ cap.vcores, best_mem + 1 });
  remember_failure (p, (RmResource){ best_vc + 1, cap.memory_mb });
  return -1;
}

int
rm_sched_placer_place (RmSchedPlacer *p, const RmSchedAsk *ask)
{
  const char *name = ask->resource_name;

  if (name && strcmp (name, RM_SCHED_ANY) != 0)
    {
      guint i = p->by_id ? GPOINTER_TO_UINT (g_hash_table_lookup (p->by_id, name)) : 0;

      if (i > 0 && p->snapshot->nodes[i - 1].schedulable && rm_resource_fits (ask->capability, p->free[i - 1]))
        {
          take (p, i - 1, ask->capability);
          return (int) (i - 1);
        }
      if (!ask->relax_locality)
        return -1;
    }
  return place_any (p, ask->capability);
}

static int
compare_asks (gconstpointer a, gconstpointer b, gpointer data)
{
  const RmSchedAsk *asks = data;
  guint ia = *(const guint *) a, ib = *(const guint *) b;

  if (asks[ia].priority != asks[ib].priority)
    return asks[ia].priority < asks[ib].priority ? -1 : 1;
  return ia < ib ? -1 : ia > ib;
}

void
rm_sched_sort_asks (const RmSchedApp *app, guint *out)
{
  gboolean sorted = TRUE;

  for (guint k = 0; k < app->n_asks; k++)
    {
      out[k] = k;
      if (k > 0 && app->asks[k].priority < app->asks[k - 1].priority)
        sorted = FALSE;
    }
  /* Ties keep the application's order: the comparator falls back on the index. */
  if (!sorted)
    g_qsort_with_data (out, (gint) app->n_asks, sizeof (guint), compare_asks, (gpointer) app->asks);
}
