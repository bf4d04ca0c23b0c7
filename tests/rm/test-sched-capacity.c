/* Tests of rm/sched/rm-sched-capacity: the queue tree and its errors, submission checks (unknown,
 * parent, stopped queues, ACLs), configured shares, elasticity up to max-capacity, hierarchy, user
 * limits, the AM share limit, stopped queues draining, and a randomized property test. Most tests
 * run on CLUSTER: 10 nodes of 8 vcores and 8 GB, so 80 containers of (1 vcore, 1 GB), each 1/80
 * of the cluster in both resources. */

#include "sched-fixture.h"

#include <string.h>

#define GB 1024
#define N_NODES 10
#define SLOTS (N_NODES * 8) /* containers of (1, 1 GB) the empty cluster holds */

#define ANY(prio, vc, mb, n) \
  { .priority = (prio), .resource_name = RM_SCHED_ANY, .capability = { (vc), (mb) }, .count = (n) }

typedef struct
{
  RmSchedNode nodes[N_NODES];
  char ids[N_NODES][16];
  RmSchedApp apps[16];
  RmSchedAsk asks[16][2]; /* per app: [0] its AM, [1] (1 vcore, 1 GB) containers */
  RmSchedSnapshot snap;
} Cluster;

static void
cluster_init (Cluster *c)
{
  memset (c, 0, sizeof *c);
  for (guint i = 0; i < N_NODES; i++)
    {
      g_snprintf (c->ids[i], sizeof c->ids[i], "node%u:8041", i);
      c->nodes[i] = (RmSchedNode){ .id = c->ids[i], .total = { 8, 8 * GB }, .schedulable = TRUE };
    }
  c->snap = (RmSchedSnapshot){ c->nodes, N_NODES, c->apps, 0 };
}

/* Adds an application in @queue of @user. Running (AM granted, AM of 1 vcore and 1 GB, counted in
 * its use and on the first node with room) with @want containers of (1, 1 GB) wanted, or, if !@running, waiting for an
 * AM of (1 vcore, 2 GB). Returns: its index. */
static guint
add_app (Cluster *c, const char *queue, const char *user, gboolean running, guint want)
{
  guint a = c->snap.n_apps++;
  RmSchedApp *app = &c->apps[a];

  g_assert_cmpuint (a, <, G_N_ELEMENTS (c->apps));
  c->asks[a][0] = (RmSchedAsk) ANY (0, 1, 2 * GB, running ? 0 : 1);
  c->asks[a][0].is_am = TRUE;
  c->asks[a][1] = (RmSchedAsk) ANY (1, 1, GB, want);
  *app = (RmSchedApp){ .id = "app", .queue = queue, .user = user, .am_allocated = running,
                       .asks = c->asks[a], .n_asks = 2 };
  if (running)
    {
      app->am_resource = (RmResource){ 1, GB };
      app->used = app->am_resource;
      for (guint i = 0; i < N_NODES; i++)
        if (c->nodes[i].used.vcores < 8 && c->nodes[i].used.memory_mb < 8 * GB)
          {
            c->nodes[i].used.vcores += 1;
            c->nodes[i].used.memory_mb += GB;
            break;
          }
    }
  return a;
}

static RmScheduler *
new_capacity (const char *const *lines)
{
  g_autoptr(WeftConf) conf = sched_test_confv (lines);
  g_autoptr(GError) error = NULL;
  RmScheduler *s = rm_scheduler_new ("capacity", conf, &error);

  g_assert_no_error (error);
  return s;
}

/* Containers of (1, 1 GB) application @a holds after @as, its AM included. */
static guint
held (Cluster *c, GArray *as, guint a)
{
  return (guint) c->apps[a].used.memory_mb / GB + sched_test_count (as, a);
}

/* ---- Configuration and submission ---------------------------------------------------------- */

typedef struct
{
  const char *lines[8];
  const char *message;
} ConfigError;

static const ConfigError config_errors[] = {
  { { "queue.root.a.capacity=60", "queue.root.b.capacity=30" },
    "capacity scheduler: the capacities of the children of queue root sum to 90 (root.a 60, root.b 30); "
    "they must sum to 100" },
  { { "queue.root.a.capacity=60", "queue.root.a.max-capacity=50", "queue.root.b.capacity=40" },
    "capacity scheduler: queue root.a: max-capacity 50 is below its capacity 60" },
  { { "queue.root.a.capacity=100", "queue.root.b.x.capacity=100" },
    "capacity scheduler: queue root.b.x: its parent queue root.b is not defined (add a [queue.root.b] group)" },
  { { "queue.root.a.capacity=50", "queue.root.a.x.capacity=100", "queue.root.b.capacity=50",
      "queue.root.b.x.capacity=100" },
    "capacity scheduler: queues root.a.x and root.b.x: leaf queue name 'x' is used twice; leaf names must "
    "be unique, since an application may name its queue by the leaf name alone" },
  { { "queue.prod.capacity=100" },
    "capacity scheduler: queue prod: queue paths start at root (e.g. [queue.root.prod])" },
  { { "queue.root.a.capacity=100", "queue.root.a.state=stopped", "queue.root.a.x.capacity=100",
      "queue.root.a.x.state=running" },
    "capacity scheduler: queue root.a.x: state is running but root.a above it is stopped; a queue under a "
    "stopped queue is stopped too (drop its state key)" },
  { { "queue.root.a.capacity=50", "queue.root.b.capacity=50", "queue.root.b.x.capacity=70",
      "queue.root.b.y.capacity=20" },
    "capacity scheduler: the capacities of the children of queue root.b sum to 90 (root.b.x 70, root.b.y 20); "
    "they must sum to 100" },
};

static void
test_config_errors (void)
{
  g_autoptr(WeftConf) conf = weft_conf_new ();
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (config_errors); i++)
    {
      g_autoptr(WeftConf) c = sched_test_confv (config_errors[i].lines);
      g_autoptr(RmScheduler) s = rm_scheduler_new ("capacity", c, &error);

      g_assert_null (s);
      g_assert_error (error, RM_SCHEDULER_ERROR, RM_SCHEDULER_ERROR_CONFIG);
      g_assert_cmpstr (error->message, ==, config_errors[i].message);
      g_clear_error (&error);
    }

  /* Unknown keys never get this far: weft-conf refuses them. */
  g_assert_false (weft_conf_set (conf, "queue.root.a.capasity=10", &error));
  g_assert_error (error, WEFT_CONF_ERROR, WEFT_CONF_ERROR_UNKNOWN_KEY);
  g_clear_error (&error);

  /* Siblings summing to 100 within 0.01 are fine; root's own capacity is ignored. */
  {
    g_autoptr(RmScheduler) s = new_capacity ((const char *[]){ "queue.root.capacity=0", "queue.root.a.capacity=33.333",
                                                               "queue.root.b.capacity=33.333",
                                                               "queue.root.c.capacity=33.333", NULL });
  }
}

static void
test_default_queue (void)
{
  g_autoptr(RmScheduler) s = new_capacity (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *q1 = NULL;
  g_autofree char *q2 = NULL;
  g_autoptr(GArray) as = NULL;
  Cluster c;

  g_assert_true (rm_scheduler_check_submit (s, NULL, "alice", &q1, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (q1, ==, "root.default");
  g_assert_true (rm_scheduler_check_submit (s, "root.default", "alice", &q2, &error));
  g_assert_cmpstr (q2, ==, "root.default");

  cluster_init (&c);
  add_app (&c, q1, "alice", TRUE, 10);
  as = sched_test_assign (s, &c.snap);
  g_assert_cmpuint (as->len, ==, 10);
}

static void
test_submit (void)
{
  g_autoptr(RmScheduler) s = new_capacity ((const char *[]){
    "queue.root.acl-submit=admin", "queue.root.prod.capacity=60", "queue.root.prod.etl.capacity=100",
    "queue.root.prod.etl.acl-submit=alice, carol", "queue.root.dev.capacity=40", "queue.root.dev.state=stopped",
    NULL });
  g_autoptr(GError) error = NULL;
  g_autofree char *q = NULL;

  g_assert_true (rm_scheduler_check_submit (s, "etl", "alice", &q, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (q, ==, "root.prod.etl");
  g_clear_pointer (&q, g_free);
  g_assert_true (rm_scheduler_check_submit (s, "root.prod.etl", "carol", &q, &error));
  g_clear_pointer (&q, g_free);
  /* A right on root holds on its subtree, as in YARN. */
  g_assert_true (rm_scheduler_check_submit (s, "etl", "admin", &q, &error));
  g_assert_no_error (error);

  g_assert_false (rm_scheduler_check_submit (s, "etl", "bob", NULL, &error));
  g_assert_error (error, RM_SCHEDULER_ERROR, RM_SCHEDULER_ERROR_ACCESS_DENIED);
  g_assert_cmpstr (error->message, ==,
                   "user 'bob' may not submit to queue root.prod.etl (not in acl-submit of it or its ancestors)");
  g_clear_error (&error);

  g_assert_false (rm_scheduler_check_submit (s, "root.prod", "alice", NULL, &error));
  g_assert_error (error, RM_SCHEDULER_ERROR, RM_SCHEDULER_ERROR_NOT_A_LEAF);
  g_assert_cmpstr (error->message, ==, "queue root.prod is a parent queue; submit to one of its leaves: root.prod.etl");
  g_clear_error (&error);

  g_assert_false (rm_scheduler_check_submit (s, "nope", "alice", NULL, &error));
  g_assert_error (error, RM_SCHEDULER_ERROR, RM_SCHEDULER_ERROR_UNKNOWN_QUEUE);
  g_assert_cmpstr (error->message, ==, "unknown queue 'nope' (leaf queues: root.dev, root.prod.etl)");
  g_clear_error (&error);

  g_assert_false (rm_scheduler_check_submit (s, NULL, "alice", NULL, &error));
  g_assert_error (error, RM_SCHEDULER_ERROR, RM_SCHEDULER_ERROR_UNKNOWN_QUEUE);
  g_clear_error (&error);

  g_assert_false (rm_scheduler_check_submit (s, "dev", "admin", NULL, &error));
  g_assert_error (error, RM_SCHEDULER_ERROR, RM_SCHEDULER_ERROR_QUEUE_STOPPED);
  g_assert_cmpstr (error->message, ==, "queue root.dev is stopped and accepts no new applications");
  g_clear_error (&error);
}

/* ---- Shares -------------------------------------------------------------------------------- */

/* Two queues of 70% and 30%, both wanting everything: each ends with its share, within one
 * container, whether the user limit (factor 1) or the choice of queue (factor 10) decides it. */
static void
test_shares (gconstpointer data)
{
  const char *factor = data;
  g_autofree char *ulf_a = g_strdup_printf ("queue.root.a.user-limit-factor=%s", factor);
  g_autofree char *ulf_b = g_strdup_printf ("queue.root.b.user-limit-factor=%s", factor);
  g_autoptr(RmScheduler) s = new_capacity ((const char *[]){ "queue.root.a.capacity=70", "queue.root.b.capacity=30",
                                                             ulf_a, ulf_b, NULL });
  g_autoptr(GArray) as = NULL;
  Cluster c;
  guint a, b;

  cluster_init (&c);
  a = add_app (&c, "a", "alice", TRUE, 200);
  b = add_app (&c, "root.b", "bob", TRUE, 200);
  as = sched_test_assign (s, &c.snap);
  g_assert_cmpuint (held (&c, as, a) + held (&c, as, b), ==, SLOTS); /* the cluster is full */
  g_assert_cmpuint (held (&c, as, a), >=, SLOTS * 70 / 100 - 1);
  g_assert_cmpuint (held (&c, as, a), <=, SLOTS * 70 / 100 + 1);
  g_assert_cmpuint (held (&c, as, b), >=, SLOTS * 30 / 100 - 1);
  g_assert_cmpuint (held (&c, as, b), <=, SLOTS * 30 / 100 + 1);
}

/* Without preemption shares come from what is freed: queue b has taken the whole cluster while a
 * was idle; then a wants everything too, and as containers finish (a quarter of each application's
 * per round) the freed room goes to the queue furthest below its share, until both hold their
 * configured shares. */
static void
test_shares_churn (void)
{
  g_autoptr(RmScheduler) s = new_capacity ((const char *[]){ "queue.root.a.capacity=70", "queue.root.b.capacity=30",
                                                             "queue.root.a.user-limit-factor=10",
                                                             "queue.root.b.user-limit-factor=10", NULL });
  g_autoptr(GArray) live = g_array_new (FALSE, FALSE, sizeof (RmSchedAssignment)); /* oldest first */
  Cluster c;
  guint a, b;

  cluster_init (&c);
  a = add_app (&c, "a", "alice", TRUE, 0);
  b = add_app (&c, "b", "bob", TRUE, 1000);
  for (guint round = 0; round < 30; round++)
    {
      g_autoptr(GArray) as = NULL;

      if (round == 1)
        c.asks[a][1].count = 1000;
      /* Containers finish: a quarter of each application's, oldest first. */
      for (guint app = 0; app < 2 && round > 0; app++)
        {
          guint n = 0, quit;

          for (guint i = 0; i < live->len; i++)
            n += g_array_index (live, RmSchedAssignment, i).app == app;
          quit = (n + 3) / 4;
          for (guint i = 0; i < live->len && quit > 0;)
            {
              RmSchedAssignment *x = &g_array_index (live, RmSchedAssignment, i);

              if (x->app != app)
                {
                  i++;
                  continue;
                }
              c.nodes[x->node].used.vcores -= x->resource.vcores;
              c.nodes[x->node].used.memory_mb -= x->resource.memory_mb;
              c.apps[app].used.vcores -= x->resource.vcores;
              c.apps[app].used.memory_mb -= x->resource.memory_mb;
              g_array_remove_index (live, i);
              quit--;
            }
        }
      as = sched_test_assign (s, &c.snap);
      sched_test_apply (&c.snap, as);
      g_array_append_vals (live, as->data, as->len);
      if (round == 0)
        g_assert_cmpint (c.apps[b].used.memory_mb, ==, SLOTS * GB - GB); /* all but a's AM */
    }
  g_assert_cmpint (c.apps[a].used.memory_mb + c.apps[b].used.memory_mb, ==, SLOTS * GB);
  g_assert_cmpint (c.apps[a].used.memory_mb / GB, >=, SLOTS * 70 / 100 - 1);
  g_assert_cmpint (c.apps[a].used.memory_mb / GB, <=, SLOTS * 70 / 100 + 1);
}

/* A queue grows past its guarantee while the other is idle, up to its max-capacity; the idle queue
 * then gets what is left (there is no preemption). */
static void
test_elastic (void)
{
  g_autoptr(RmScheduler) s = new_capacity ((const char *[]){ "queue.root.a.capacity=50", "queue.root.a.max-capacity=80",
                                                             "queue.root.a.user-limit-factor=4",
                                                             "queue.root.b.capacity=50", NULL });
  g_autoptr(GArray) as = NULL;
  g_autoptr(GArray) as2 = NULL;
  Cluster c;
  guint a, b;

  cluster_init (&c);
  a = add_app (&c, "a", "alice", TRUE, 200);
  as = sched_test_assign (s, &c.snap);
  g_assert_cmpuint (held (&c, as, a), ==, SLOTS * 80 / 100);

  sched_test_apply (&c.snap, as);
  b = add_app (&c, "b", "bob", TRUE, 200);
  as2 = sched_test_assign (s, &c.snap);
  g_assert_cmpuint (sched_test_count (as2, a), ==, 0);
  g_assert_cmpuint (held (&c, as2, b), ==, SLOTS - SLOTS * 80 / 100);
}

/* max-capacity of a parent bounds its whole subtree; guarantees multiply down the tree. */
static void
test_hierarchy (void)
{
  const char *lines[] = { "queue.root.p.capacity=50", "queue.root.p.max-capacity=50", "queue.root.p.x.capacity=50",
                          "queue.root.p.x.user-limit-factor=10", "queue.root.p.y.capacity=50",
                          "queue.root.p.y.user-limit-factor=10", "queue.root.q.capacity=50",
                          "queue.root.q.user-limit-factor=10", NULL };
  g_autoptr(RmScheduler) s = new_capacity (lines);
  Cluster c;

  /* Only x wants: it may fill its parent's 50%, no more. */
  {
    g_autoptr(GArray) as = NULL;
    guint x;

    cluster_init (&c);
    x = add_app (&c, "x", "alice", TRUE, 200);
    as = sched_test_assign (s, &c.snap);
    g_assert_cmpuint (held (&c, as, x), ==, SLOTS / 2);
  }
  /* x, y and q all want: 25%, 25%, 50%. */
  {
    g_autoptr(GArray) as = NULL;
    guint x, y, q;

    cluster_init (&c);
    x = add_app (&c, "x", "alice", TRUE, 200);
    y = add_app (&c, "y", "bob", TRUE, 200);
    q = add_app (&c, "q", "carol", TRUE, 200);
    as = sched_test_assign (s, &c.snap);
    g_assert_cmpuint (held (&c, as, x) + held (&c, as, y) + held (&c, as, q), ==, SLOTS);
    g_assert_cmpuint (held (&c, as, x), >=, SLOTS / 4 - 1);
    g_assert_cmpuint (held (&c, as, x), <=, SLOTS / 4 + 1);
    g_assert_cmpuint (held (&c, as, y), >=, SLOTS / 4 - 1);
    g_assert_cmpuint (held (&c, as, y), <=, SLOTS / 4 + 1);
    g_assert_cmpuint (held (&c, as, q), >=, SLOTS / 2 - 1);
    g_assert_cmpuint (held (&c, as, q), <=, SLOTS / 2 + 1);
  }
}

/* ---- Limits -------------------------------------------------------------------------------- */

static void
test_user_limit (void)
{
  Cluster c;

  /* minimum-user-limit-percent 50: two users get half each; a third waits, as in YARN. */
  {
    g_autoptr(RmScheduler) s = new_capacity ((const char *[]){ "queue.root.a.capacity=100",
                                                               "queue.root.a.minimum-user-limit-percent=50", NULL });
    g_autoptr(GArray) as = NULL;

    cluster_init (&c);
    add_app (&c, "a", "alice", TRUE, 200);
    add_app (&c, "a", "bob", TRUE, 200);
    add_app (&c, "a", "carol", TRUE, 200);
    as = sched_test_assign (s, &c.snap);
    g_assert_cmpuint (held (&c, as, 0), ==, SLOTS / 2);
    g_assert_cmpuint (held (&c, as, 1), ==, SLOTS - SLOTS / 2 - 1); /* its limit, less carol's AM */
    g_assert_cmpuint (held (&c, as, 2), ==, 1);                     /* its AM only */
  }
  /* With 25% and two users, each gets max (1/2, 25%) = half; alice's second application shares
   * her limit. */
  {
    g_autoptr(RmScheduler) s = new_capacity ((const char *[]){ "queue.root.a.capacity=100",
                                                               "queue.root.a.minimum-user-limit-percent=25", NULL });
    g_autoptr(GArray) as = NULL;

    cluster_init (&c);
    add_app (&c, "a", "alice", TRUE, 30);
    add_app (&c, "a", "alice", TRUE, 200);
    add_app (&c, "a", "bob", TRUE, 200);
    as = sched_test_assign (s, &c.snap);
    g_assert_cmpuint (held (&c, as, 0), ==, 31);
    g_assert_cmpuint (held (&c, as, 1), ==, SLOTS / 2 - 31);
    g_assert_cmpuint (held (&c, as, 2), ==, SLOTS / 2);
  }
  /* user-limit-factor: one user stops at factor × the queue's capacity, even with room left. */
  for (guint factor = 1; factor <= 2; factor++)
    {
      g_autofree char *ulf = g_strdup_printf ("queue.root.a.user-limit-factor=%u", factor);
      g_autoptr(RmScheduler) s = new_capacity ((const char *[]){ "queue.root.a.capacity=40", ulf,
                                                                 "queue.root.b.capacity=60", NULL });
      g_autoptr(GArray) as = NULL;

      cluster_init (&c);
      add_app (&c, "a", "alice", TRUE, 200);
      as = sched_test_assign (s, &c.snap);
      g_assert_cmpuint (held (&c, as, 0), ==, SLOTS * 40 / 100 * factor);
    }
}

static void
test_am_share (void)
{
  Cluster c;

  /* 10% of the cluster for AMs of (1 vcore, 2 GB), 2.5% each: four start, the others wait. */
  {
    g_autoptr(RmScheduler) s = new_capacity ((const char *[]){ "queue.root.a.capacity=100",
                                                               "queue.root.a.max-am-share=0.1", NULL });
    g_autoptr(GArray) as = NULL;

    cluster_init (&c);
    for (guint i = 0; i < 6; i++)
      add_app (&c, "a", "alice", FALSE, 5);
    as = sched_test_assign (s, &c.snap);
    g_assert_cmpuint (as->len, ==, 4);
    for (guint i = 0; i < 4; i++)
      {
        g_assert_cmpuint (g_array_index (as, RmSchedAssignment, i).app, ==, i);
        g_assert_cmpuint (g_array_index (as, RmSchedAssignment, i).ask, ==, 0);
      }
  }
  /* The limit is of the queue's max-capacity: 10% of 50% is two AMs. */
  {
    g_autoptr(RmScheduler) s = new_capacity ((const char *[]){ "queue.root.a.capacity=50", "queue.root.a.max-capacity=50",
                                                               "queue.root.a.max-am-share=0.1",
                                                               "queue.root.b.capacity=50", NULL });
    g_autoptr(GArray) as = NULL;

    cluster_init (&c);
    for (guint i = 0; i < 6; i++)
      add_app (&c, "a", "alice", FALSE, 5);
    as = sched_test_assign (s, &c.snap);
    g_assert_cmpuint (as->len, ==, 2);
  }
  /* The first AM of a queue with none always starts, however small the share; a second does not. */
  {
    g_autoptr(RmScheduler) s = new_capacity ((const char *[]){ "queue.root.a.capacity=100",
                                                               "queue.root.a.max-am-share=0.001", NULL });
    g_autoptr(GArray) as = NULL;
    g_autoptr(GArray) as2 = NULL;

    cluster_init (&c);
    for (guint i = 0; i < 3; i++)
      add_app (&c, "a", "alice", FALSE, 5);
    as = sched_test_assign (s, &c.snap);
    g_assert_cmpuint (as->len, ==, 1);
    sched_test_apply (&c.snap, as);
    as2 = sched_test_assign (s, &c.snap);
    /* app0's AM runs: its 5 containers, no second AM. */
    g_assert_cmpuint (as2->len, ==, 5);
    g_assert_cmpuint (sched_test_count (as2, 0), ==, 5);
  }
}

/* A stopped queue starts nothing new but lets running applications finish their work. */
static void
test_stopped (void)
{
  g_autoptr(RmScheduler) s = new_capacity ((const char *[]){ "queue.root.a.capacity=50", "queue.root.a.state=stopped",
                                                             "queue.root.b.capacity=50", "queue.root.b.x.capacity=100",
                                                             "queue.root.b.state=stopped", NULL });
  g_autoptr(GArray) as = NULL;
  g_autoptr(GError) error = NULL;
  Cluster c;
  guint pending, running, under;

  cluster_init (&c);
  pending = add_app (&c, "a", "alice", FALSE, 5);
  running = add_app (&c, "a", "alice", TRUE, 5);
  under = add_app (&c, "x", "bob", FALSE, 5);
  as = sched_test_assign (s, &c.snap);
  g_assert_cmpuint (sched_test_count (as, pending), ==, 0);
  g_assert_cmpuint (sched_test_count (as, running), ==, 5);
  g_assert_cmpuint (sched_test_count (as, under), ==, 0);

  g_assert_false (rm_scheduler_check_submit (s, "x", "bob", NULL, &error));
  g_assert_error (error, RM_SCHEDULER_ERROR, RM_SCHEDULER_ERROR_QUEUE_STOPPED);
  g_assert_cmpstr (error->message, ==,
                   "queue root.b.x is stopped (its ancestor root.b is stopped) and accepts no new applications");
}

/* Within a leaf, applications are served in submit order; unknown queues and finishing
 * applications get nothing. */
static void
test_fifo_within_leaf (void)
{
  g_autoptr(RmScheduler) s = new_capacity ((const char *[]){ "queue.root.a.capacity=100", NULL });
  g_autoptr(GArray) as = NULL;
  Cluster c;

  cluster_init (&c);
  add_app (&c, "a", "alice", TRUE, 50);
  add_app (&c, "root.a", "alice", TRUE, 50);
  add_app (&c, "nowhere", "alice", TRUE, 50);
  add_app (&c, "a", "alice", TRUE, 50);
  c.apps[3].finishing = TRUE;
  as = sched_test_assign (s, &c.snap);
  g_assert_cmpuint (sched_test_count (as, 0), ==, 50);
  g_assert_cmpuint (sched_test_count (as, 1), ==, SLOTS - 4 - 50);
  g_assert_cmpuint (sched_test_count (as, 2), ==, 0);
  g_assert_cmpuint (sched_test_count (as, 3), ==, 0);
  for (guint i = 0; i < 50; i++)
    g_assert_cmpuint (g_array_index (as, RmSchedAssignment, i).app, ==, 0);
}

/* ---- Randomized property test -------------------------------------------------------------- */

static void
test_random (void)
{
  g_autoptr(RmScheduler) s = new_capacity ((const char *[]){ "queue.root.a.capacity=60", "queue.root.a.max-capacity=90",
                                                             "queue.root.a.user-limit-factor=2",
                                                             "queue.root.a.max-am-share=0.5",
                                                             "queue.root.b.capacity=40",
                                                             "queue.root.b.minimum-user-limit-percent=50", NULL });

  for (guint iter = 0; iter < 2000; iter++)
    {
      g_autoptr(SchedRandom) r = sched_random_new ();
      g_autoptr(GArray) as = sched_test_assign (s, &r->snap);
      RmResource total = { 0 }, a_used = { 0 }, a_before = { 0 };

      /* Queue a never passes 90% by a grant (it may already be past it). */
      for (guint i = 0; i < r->snap.n_nodes; i++)
        if (r->snap.nodes[i].schedulable)
          {
            total.vcores += r->snap.nodes[i].total.vcores;
            total.memory_mb += r->snap.nodes[i].total.memory_mb;
          }
      for (guint a = 0; a < r->snap.n_apps; a++)
        if (strcmp (r->snap.apps[a].queue, "a") == 0)
          {
            a_before.vcores += r->snap.apps[a].used.vcores;
            a_before.memory_mb += r->snap.apps[a].used.memory_mb;
          }
      a_used = a_before;
      for (guint i = 0; i < as->len; i++)
        {
          RmSchedAssignment *x = &g_array_index (as, RmSchedAssignment, i);

          if (strcmp (r->snap.apps[x->app].queue, "a") == 0)
            {
              a_used.vcores += x->resource.vcores;
              a_used.memory_mb += x->resource.memory_mb;
            }
        }
      if (a_used.vcores != a_before.vcores)
        {
          g_assert_cmpfloat ((double) a_used.vcores, <=, 0.9 * (double) total.vcores + 1e-6);
          g_assert_cmpfloat ((double) a_used.memory_mb, <=, 0.9 * (double) total.memory_mb + 1e-6);
        }
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/rm/scheduler/capacity/config-errors", test_config_errors);
  g_test_add_func ("/rm/scheduler/capacity/default-queue", test_default_queue);
  g_test_add_func ("/rm/scheduler/capacity/submit", test_submit);
  g_test_add_data_func ("/rm/scheduler/capacity/shares/user-limit-factor-1", "1", test_shares);
  g_test_add_data_func ("/rm/scheduler/capacity/shares/user-limit-factor-10", "10", test_shares);
  g_test_add_func ("/rm/scheduler/capacity/shares/churn", test_shares_churn);
  g_test_add_func ("/rm/scheduler/capacity/elastic", test_elastic);
  g_test_add_func ("/rm/scheduler/capacity/hierarchy", test_hierarchy);
  g_test_add_func ("/rm/scheduler/capacity/user-limit", test_user_limit);
  g_test_add_func ("/rm/scheduler/capacity/am-share", test_am_share);
  g_test_add_func ("/rm/scheduler/capacity/stopped", test_stopped);
  g_test_add_func ("/rm/scheduler/capacity/fifo-within-leaf", test_fifo_within_leaf);
  g_test_add_func ("/rm/scheduler/capacity/random", test_random);
  return g_test_run ();
}
