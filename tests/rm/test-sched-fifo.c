/* Tests of rm/sched/rm-sched-fifo (and of the node picker it shares with the capacity scheduler):
 * submit order, priorities, locality strict and relaxed, AM gating, node capacity, and a randomized
 * property test (no node over-committed, no ask over-served, locality kept, and nothing left that
 * could still have been granted). */

#include "sched-fixture.h"

#include <string.h>

#define GB 1024

/* A schedulable, empty node. */
#define NODE(id_, vc, mb) { .id = (id_), .total = { (vc), (mb) }, .schedulable = TRUE }
/* An any-node ask. */
#define ANY(prio, vc, mb, n) \
  { .priority = (prio), .resource_name = RM_SCHED_ANY, .capability = { (vc), (mb) }, .count = (n) }
/* A node ask. */
#define ON(node, relax, prio, vc, mb, n) \
  { .priority = (prio), .resource_name = (node), .relax_locality = (relax), .capability = { (vc), (mb) }, \
    .count = (n) }
/* A running application (AM granted) with asks @a. */
#define APP(id_, a) \
  { .id = (id_), .queue = "default", .user = "alice", .am_allocated = TRUE, .asks = (a), .n_asks = G_N_ELEMENTS (a) }

static RmScheduler *
new_fifo (void)
{
  g_autoptr(WeftConf) conf = sched_test_conf ("rm.scheduler=fifo", NULL);
  g_autoptr(GError) error = NULL;
  RmScheduler *s = rm_scheduler_new (NULL, conf, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (rm_scheduler_name (s), ==, "fifo");
  return s;
}

/* Earlier applications are served first, fully. */
static void
test_order (void)
{
  g_autoptr(RmScheduler) s = new_fifo ();
  RmSchedNode nodes[] = { NODE ("n1", 4, 4 * GB), NODE ("n2", 4, 4 * GB) };
  RmSchedAsk a0[] = { ANY (1, 1, GB, 6) };
  RmSchedAsk a1[] = { ANY (1, 1, GB, 6) };
  RmSchedAsk a2[] = { ANY (1, 1, GB, 6) };
  RmSchedApp apps[] = { APP ("app0", a0), APP ("app1", a1), APP ("app2", a2) };
  RmSchedSnapshot snap = { nodes, G_N_ELEMENTS (nodes), apps, G_N_ELEMENTS (apps) };
  g_autoptr(GArray) as = sched_test_assign (s, &snap);

  g_assert_cmpuint (as->len, ==, 8);
  g_assert_cmpuint (sched_test_count (as, 0), ==, 6);
  g_assert_cmpuint (sched_test_count (as, 1), ==, 2);
  g_assert_cmpuint (sched_test_count (as, 2), ==, 0);
  /* Decided in order: app0's six first. */
  for (guint i = 0; i < 6; i++)
    g_assert_cmpuint (g_array_index (as, RmSchedAssignment, i).app, ==, 0);
  /* Spread: round-robin over the nodes, not one node filled first. */
  g_assert_cmpuint (sched_test_count_on (as, 0, 0), ==, 3);
  g_assert_cmpuint (sched_test_count_on (as, 0, 1), ==, 3);
}

/* A later application takes what an earlier one cannot use, and nothing it could. */
static void
test_leftover (void)
{
  g_autoptr(RmScheduler) s = new_fifo ();
  RmSchedNode nodes[] = { NODE ("n1", 4, 4 * GB) };
  RmSchedAsk a0[] = { ANY (1, 1, 3 * GB, 2) }; /* one fits, leaving 3 vcores and 1 GB */
  RmSchedAsk a1[] = { ANY (1, 1, GB, 5) };
  RmSchedApp apps[] = { APP ("app0", a0), APP ("app1", a1) };
  RmSchedSnapshot snap = { nodes, 1, apps, 2 };
  g_autoptr(GArray) as = sched_test_assign (s, &snap);

  g_assert_cmpuint (sched_test_count (as, 0), ==, 1);
  g_assert_cmpuint (sched_test_count (as, 1), ==, 1);
}

/* Within an application, lower priority numbers first; ties keep the ask order. */
static void
test_priority (void)
{
  g_autoptr(RmScheduler) s = new_fifo ();
  RmSchedNode nodes[] = { NODE ("n1", 4, 16 * GB) };
  RmSchedAsk a0[] = { ANY (5, 1, GB, 2), ANY (1, 1, 2 * GB, 3), ANY (5, 1, GB, 2) };
  RmSchedApp apps[] = { APP ("app0", a0) };
  RmSchedSnapshot snap = { nodes, 1, apps, 1 };
  g_autoptr(GArray) as = sched_test_assign (s, &snap);

  g_assert_cmpuint (as->len, ==, 4);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpuint (g_array_index (as, RmSchedAssignment, i).ask, ==, 1);
  g_assert_cmpuint (g_array_index (as, RmSchedAssignment, 3).ask, ==, 0);
}

/* A strict node ask only ever lands on its node, even with room elsewhere. */
static void
test_locality_strict (void)
{
  g_autoptr(RmScheduler) s = new_fifo ();
  RmSchedNode nodes[] = { NODE ("n1", 4, 4 * GB), NODE ("n2", 4, 4 * GB), NODE ("n3", 4, 4 * GB) };
  RmSchedAsk a0[] = { ON ("n2", FALSE, 1, 1, GB, 6), ON ("gone:1", FALSE, 1, 1, GB, 1) };
  RmSchedApp apps[] = { APP ("app0", a0) };
  RmSchedSnapshot snap = { nodes, 3, apps, 1 };
  g_autoptr(GArray) as = NULL;

  nodes[1].used = (RmResource){ 1, GB };
  as = sched_test_assign (s, &snap);
  g_assert_cmpuint (as->len, ==, 3);
  g_assert_cmpuint (sched_test_count_on (as, 0, 1), ==, 3);

  /* Its node full: nothing at all. */
  g_clear_pointer (&as, g_array_unref);
  nodes[1].used = nodes[1].total;
  as = sched_test_assign (s, &snap);
  g_assert_cmpuint (as->len, ==, 0);
}

/* A relaxed node ask fills its node first, then goes anywhere. */
static void
test_locality_relaxed (void)
{
  g_autoptr(RmScheduler) s = new_fifo ();
  RmSchedNode nodes[] = { NODE ("n1", 4, 4 * GB), NODE ("n2", 4, 4 * GB), NODE ("n3", 4, 4 * GB) };
  RmSchedAsk a0[] = { ON ("n3", TRUE, 1, 1, GB, 6), ON ("gone:1", TRUE, 1, 1, GB, 1) };
  RmSchedApp apps[] = { APP ("app0", a0) };
  RmSchedSnapshot snap = { nodes, 3, apps, 1 };
  g_autoptr(GArray) as = NULL;

  nodes[2].used = (RmResource){ 2, GB };
  as = sched_test_assign (s, &snap);
  g_assert_cmpuint (as->len, ==, 7);
  g_assert_cmpuint (sched_test_count_on (as, 0, 2), ==, 2);
  /* The first two went to n3. */
  g_assert_cmpuint (g_array_index (as, RmSchedAssignment, 0).node, ==, 2);
  g_assert_cmpuint (g_array_index (as, RmSchedAssignment, 1).node, ==, 2);
}

/* Before its AM is granted an application gets only its AM; a finishing one gets nothing. */
static void
test_am_gating (void)
{
  g_autoptr(RmScheduler) s = new_fifo ();
  RmSchedNode nodes[] = { NODE ("n1", 8, 8 * GB) };
  RmSchedAsk a0[] = { ANY (0, 1, GB, 1), ANY (1, 1, GB, 3) };
  RmSchedAsk a1[] = { ANY (1, 1, GB, 3) };
  RmSchedApp apps[] = { APP ("app0", a0), APP ("app1", a1) };
  RmSchedSnapshot snap = { nodes, 1, apps, 2 };
  g_autoptr(GArray) as = NULL;

  a0[0].is_am = TRUE;
  apps[0].am_allocated = FALSE;
  apps[1].finishing = TRUE;
  as = sched_test_assign (s, &snap);
  g_assert_cmpuint (as->len, ==, 1);
  g_assert_cmpuint (g_array_index (as, RmSchedAssignment, 0).ask, ==, 0);

  /* Once granted, the AM ask is not served again, the others are. */
  sched_test_apply (&snap, as);
  g_clear_pointer (&as, g_array_unref);
  a0[0].count = 1; /* as if the RM had not cleared it yet */
  as = sched_test_assign (s, &snap);
  g_assert_cmpuint (as->len, ==, 3);
  for (guint i = 0; i < as->len; i++)
    g_assert_cmpuint (g_array_index (as, RmSchedAssignment, i).ask, ==, 1);
}

/* Unschedulable nodes get nothing; partly used nodes get only their free part, in both resources. */
static void
test_node_capacity (void)
{
  g_autoptr(RmScheduler) s = new_fifo ();
  RmSchedNode nodes[] = { NODE ("n1", 8, 8 * GB), NODE ("n2", 8, 8 * GB), NODE ("n3", 2, 64 * GB) };
  RmSchedAsk a0[] = { ANY (1, 1, 3 * GB, 100), ANY (2, 2, GB, 100) };
  RmSchedApp apps[] = { APP ("app0", a0) };
  RmSchedSnapshot snap = { nodes, 3, apps, 1 };
  g_autoptr(GArray) as = NULL;

  nodes[0].schedulable = FALSE;
  nodes[1].used = (RmResource){ 1, 2 * GB }; /* 7 vcores, 6 GB free: two of 3 GB, then 0 GB */
  as = sched_test_assign (s, &snap);
  /* n2: 2 × (1, 3 GB); n3: 2 × (1, 3 GB) uses both vcores. Nothing left for (2, 1 GB) but n2's
   * 5 vcores with 0 MB: none. */
  g_assert_cmpuint (sched_test_count_on (as, 0, 0), ==, 0);
  g_assert_cmpuint (as->len, ==, 4);
}

/* Same snapshot, same answer, and the snapshot is left alone. */
static void
test_pure (void)
{
  g_autoptr(RmScheduler) s = new_fifo ();
  RmSchedNode nodes[] = { NODE ("n1", 4, 4 * GB), NODE ("n2", 4, 4 * GB) };
  RmSchedAsk a0[] = { ANY (1, 1, GB, 3), ON ("n2", FALSE, 0, 1, GB, 2) };
  RmSchedApp apps[] = { APP ("app0", a0) };
  RmSchedSnapshot snap = { nodes, 2, apps, 1 };
  RmSchedNode nodes_before[2];
  RmSchedAsk asks_before[2];
  g_autoptr(GArray) x = NULL, y = NULL;

  memcpy (nodes_before, nodes, sizeof nodes);
  memcpy (asks_before, a0, sizeof a0);
  x = sched_test_assign (s, &snap);
  y = sched_test_assign (s, &snap);
  g_assert_cmpuint (x->len, ==, 5);
  g_assert_cmpuint (x->len, ==, y->len);
  for (guint i = 0; i < x->len; i++)
    {
      RmSchedAssignment *p = &g_array_index (x, RmSchedAssignment, i);
      RmSchedAssignment *q = &g_array_index (y, RmSchedAssignment, i);

      g_assert_true (p->app == q->app && p->ask == q->ask && p->node == q->node);
    }
  g_assert_cmpmem (nodes, sizeof nodes, nodes_before, sizeof nodes);
  g_assert_cmpmem (a0, sizeof a0, asks_before, sizeof a0);
}

/* Repeated rounds, as the RM runs them, fill the cluster exactly. */
static void
test_rounds_fill (void)
{
  g_autoptr(RmScheduler) s = new_fifo ();
  RmSchedNode nodes[] = { NODE ("n1", 8, 8 * GB), NODE ("n2", 8, 8 * GB), NODE ("n3", 8, 8 * GB) };
  RmSchedAsk a0[] = { ANY (1, 1, GB, 5) };
  RmSchedAsk a1[] = { ANY (1, 1, GB, 100) };
  RmSchedApp apps[] = { APP ("app0", a0), APP ("app1", a1) };
  RmSchedSnapshot snap = { nodes, 3, apps, 2 };
  guint total = 0;

  for (guint round = 0; round < 10; round++)
    {
      g_autoptr(GArray) as = sched_test_assign (s, &snap);

      if (round == 0)
        g_assert_cmpuint (sched_test_count (as, 0), ==, 5);
      total += as->len;
      sched_test_apply (&snap, as);
      a1[0].count += 2; /* new asks keep arriving */
    }
  g_assert_cmpuint (total, ==, 24);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpint (nodes[i].used.vcores, ==, 8);
}

/* ---- Randomized property test -------------------------------------------------------------- */

/* FIFO is work-conserving: after its grants, no servable ask left could fit where it may go. */
static void
assert_nothing_fits (const RmSchedSnapshot *s)
{
  for (guint a = 0; a < s->n_apps; a++)
    for (guint k = 0; k < s->apps[a].n_asks; k++)
      {
        const RmSchedApp *app = &s->apps[a];
        const RmSchedAsk *ask = &app->asks[k];
        gboolean any = strcmp (ask->resource_name, RM_SCHED_ANY) == 0 || ask->relax_locality;

        if (app->finishing || ask->count == 0 || (ask->is_am ? app->am_allocated : !app->am_allocated))
          continue;
        for (guint i = 0; i < s->n_nodes; i++)
          {
            const RmSchedNode *n = &s->nodes[i];
            gboolean fits = n->schedulable && n->used.vcores + ask->capability.vcores <= n->total.vcores &&
                            n->used.memory_mb + ask->capability.memory_mb <= n->total.memory_mb;

            if (fits && (any || strcmp (n->id, ask->resource_name) == 0))
              g_error ("%s ask %u (%" G_GINT64_FORMAT " vcores, %" G_GINT64_FORMAT
                       " MB on %s) still fits on %s", app->id, k, ask->capability.vcores,
                       ask->capability.memory_mb, ask->resource_name, n->id);
          }
      }
}

static void
test_random (void)
{
  g_autoptr(RmScheduler) s = new_fifo ();

  for (guint iter = 0; iter < 2000; iter++)
    {
      g_autoptr(SchedRandom) r = sched_random_new ();
      g_autoptr(GArray) as = sched_test_assign (s, &r->snap);
      RmSchedApp *apps = (RmSchedApp *) r->snap.apps;
      g_autofree gboolean *am_before = g_new0 (gboolean, r->snap.n_apps + 1);

      for (guint a = 0; a < r->snap.n_apps; a++)
        am_before[a] = apps[a].am_allocated;
      sched_test_apply (&r->snap, as);
      /* Judge what was servable when assign ran: applying marks granted AMs. */
      for (guint a = 0; a < r->snap.n_apps; a++)
        apps[a].am_allocated = am_before[a];
      assert_nothing_fits (&r->snap);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/rm/scheduler/fifo/order", test_order);
  g_test_add_func ("/rm/scheduler/fifo/leftover", test_leftover);
  g_test_add_func ("/rm/scheduler/fifo/priority", test_priority);
  g_test_add_func ("/rm/scheduler/fifo/locality-strict", test_locality_strict);
  g_test_add_func ("/rm/scheduler/fifo/locality-relaxed", test_locality_relaxed);
  g_test_add_func ("/rm/scheduler/fifo/am-gating", test_am_gating);
  g_test_add_func ("/rm/scheduler/fifo/node-capacity", test_node_capacity);
  g_test_add_func ("/rm/scheduler/fifo/pure", test_pure);
  g_test_add_func ("/rm/scheduler/fifo/rounds-fill", test_rounds_fill);
  g_test_add_func ("/rm/scheduler/fifo/random", test_random);
  return g_test_run ();
}
