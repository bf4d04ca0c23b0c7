/* bench-scheduler: container allocations per second through the scheduler plugins.
 *
 * For 1,000 and 10,000 simulated nodes of 8 vcores and 64 GB: 200 running applications (in four
 * capacity queues of 25% each, five users each) ask for containers of 1 vcore and 1, 2, 3 or 4 GB
 * (one ask per size, at different priorities). Asks arrive in rounds (each round, enough for about
 * an eighth of the cluster), and rm_scheduler_assign() runs once per round, as the RM would run it
 * when asks arrive, until the cluster is full (vcores run out first). Only the time inside
 * rm_scheduler_assign() is counted (process CPU time); applying grants to the snapshot is the RM's
 * work. The whole fill is repeated until at least --min-seconds of CPU have been measured.
 *
 * --per-call N instead asks N containers per call, one application at a time, as event-driven grants
 * on allocate calls would; --node-memory 16 makes memory run out first, so nodes fragment.
 *
 * Usage: bench-scheduler [--scheduler fifo|capacity|all] [--min-seconds S] [--nodes N,N,...]
 *                        [--node-memory GB] [--per-call N] */

#include "rm-scheduler.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define GB 1024
#define N_APPS 200
#define N_SIZES 4
#define N_QUEUES 4
#define USERS_PER_QUEUE 5

static gint64 node_memory_gb = 64;
static guint per_call = 0;

static double
cpu_seconds (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

typedef struct
{
  guint64 assignments;
  guint64 calls;
  double seconds;
} Result;

/* Fills an empty cluster of @n_nodes once; adds to @res. */
static void
fill_once (RmScheduler *sched, guint n_nodes, Result *res)
{
  g_autofree RmSchedNode *nodes = g_new0 (RmSchedNode, n_nodes);
  g_autofree RmSchedApp *apps = g_new0 (RmSchedApp, N_APPS);
  g_autofree RmSchedAsk *asks = g_new0 (RmSchedAsk, N_APPS * N_SIZES);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  RmSchedSnapshot snap = { nodes, n_nodes, apps, N_APPS };
  /* Per round, per ask: about an eighth of the cluster's 8 * n_nodes slots over all asks. */
  guint per_round = MAX (1, n_nodes / (N_APPS * N_SIZES));
  guint next_app = 0;

  for (guint i = 0; i < n_nodes; i++)
    {
      char *id = g_strdup_printf ("host%05u.example.com:8041", i);

      g_ptr_array_add (names, id);
      nodes[i] = (RmSchedNode){ .id = id, .total = { 8, node_memory_gb * GB }, .schedulable = TRUE };
    }
  for (guint a = 0; a < N_APPS; a++)
    {
      guint q = a % N_QUEUES;
      char *queue = g_strdup_printf ("root.q%u", q);
      char *user = g_strdup_printf ("user%u", (a / N_QUEUES) % USERS_PER_QUEUE);

      g_ptr_array_add (names, queue);
      g_ptr_array_add (names, user);
      for (guint k = 0; k < N_SIZES; k++)
        asks[a * N_SIZES + k] = (RmSchedAsk){ .priority = (int) k, .resource_name = RM_SCHED_ANY,
                                              .capability = { 1, (gint64) (k + 1) * GB } };
      apps[a] = (RmSchedApp){ .id = "app", .queue = queue, .user = user, .am_allocated = TRUE,
                              .asks = &asks[a * N_SIZES], .n_asks = N_SIZES };
    }

  for (;;)
    {
      g_autoptr(GArray) as = NULL;
      double t0;

      if (per_call > 0)
        {
          /* Event-driven: one application's allocate call at a time, per_call containers. */
          for (guint k = 0; k < per_call; k++)
            asks[next_app * N_SIZES + k % N_SIZES].count++;
          next_app = (next_app + 1) % N_APPS;
        }
      else
        for (guint i = 0; i < N_APPS * N_SIZES; i++)
          asks[i].count += per_round;
      t0 = cpu_seconds ();
      as = rm_scheduler_assign (sched, &snap);
      res->seconds += cpu_seconds () - t0;
      res->calls++;
      res->assignments += as->len;
      /* Full: nothing granted while some ask is still pending (asks only grow). */
      if (as->len == 0)
        break;
      for (guint i = 0; i < as->len; i++)
        {
          RmSchedAssignment *x = &g_array_index (as, RmSchedAssignment, i);
          RmSchedAsk *ask = (RmSchedAsk *) &apps[x->app].asks[x->ask];

          nodes[x->node].used.vcores += x->resource.vcores;
          nodes[x->node].used.memory_mb += x->resource.memory_mb;
          apps[x->app].used.vcores += x->resource.vcores;
          apps[x->app].used.memory_mb += x->resource.memory_mb;
          ask->count--;
        }
    }
  /* No node has room left for the smallest container. */
  for (guint i = 0; i < n_nodes; i++)
    if (nodes[i].used.vcores < 8 && nodes[i].used.memory_mb + GB <= nodes[i].total.memory_mb)
      g_error ("node %s still has room after the fill", nodes[i].id);
}

static void
run (const char *name, guint n_nodes, double min_seconds)
{
  g_autoptr(WeftConf) conf = weft_conf_new ();
  g_autoptr(RmScheduler) sched = NULL;
  g_autoptr(GError) error = NULL;
  Result res = { 0 };
  guint fills = 0;

  for (guint q = 0; q < N_QUEUES; q++)
    {
      g_autofree char *cap = g_strdup_printf ("queue.root.q%u.capacity=%g", q, 100.0 / N_QUEUES);
      g_autofree char *ulf = g_strdup_printf ("queue.root.q%u.user-limit-factor=4", q);

      if (!weft_conf_set (conf, cap, &error) || !weft_conf_set (conf, ulf, &error))
        g_error ("%s", error->message);
    }
  sched = rm_scheduler_new (name, conf, &error);
  if (!sched)
    g_error ("%s", error->message);

  while (res.seconds < min_seconds || fills == 0)
    {
      fill_once (sched, n_nodes, &res);
      fills++;
    }
  g_print ("%-8s %6u nodes: %9.0f allocations/s  (%" G_GUINT64_FORMAT " allocations in %.3f s CPU, "
           "%u fills, %.0f per assign call, %.1f us per call)\n",
           name, n_nodes, (double) res.assignments / res.seconds, res.assignments, res.seconds, fills,
           (double) res.assignments / (double) res.calls, res.seconds * 1e6 / (double) res.calls);
}

int
main (int argc, char **argv)
{
  /* GOption overwrites string options without freeing a default: defaults are applied after. */
  g_autofree char *which = NULL;
  g_autofree char *node_list = NULL;
  double min_seconds = 1.0;
  g_auto(GStrv) counts = NULL;
  GOptionEntry entries[] = {
    { "scheduler", 0, 0, G_OPTION_ARG_STRING, &which, "fifo, capacity or all", "NAME" },
    { "min-seconds", 0, 0, G_OPTION_ARG_DOUBLE, &min_seconds, "CPU seconds to measure per line", "S" },
    { "nodes", 0, 0, G_OPTION_ARG_STRING, &node_list, "node counts, comma-separated", "N,N" },
    { "node-memory", 0, 0, G_OPTION_ARG_INT64, &node_memory_gb, "GB of memory per node (default 64)", "GB" },
    { "per-call", 0, 0, G_OPTION_ARG_INT, &per_call,
      "containers asked per assign call (default 0: an eighth of the cluster per call)", "N" },
    { NULL },
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("- scheduler allocations per second");
  g_autoptr(GError) error = NULL;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      g_printerr ("bench-scheduler: %s\n", error->message);
      return 2;
    }
  counts = g_strsplit (node_list ? node_list : "1000,10000", ",", -1);
  for (const char *const *s = (const char *const[]){ "fifo", "capacity", NULL }; *s; s++)
    {
      if (which && strcmp (which, "all") != 0 && strcmp (which, *s) != 0)
        continue;
      for (guint i = 0; counts[i]; i++)
        run (*s, (guint) g_ascii_strtoull (counts[i], NULL, 10), min_seconds);
    }
  return 0;
}
