/* sched-fixture: see sched-fixture.h. */

#include "sched-fixture.h"

#include <stdarg.h>
#include <string.h>

WeftConf *
sched_test_conf (const char *first, ...)
{
  WeftConf *conf = weft_conf_new ();
  va_list ap;

  va_start (ap, first);
  for (const char *s = first; s; s = va_arg (ap, const char *))
    {
      g_autoptr(GError) error = NULL;

      weft_conf_set (conf, s, &error);
      g_assert_no_error (error);
    }
  va_end (ap);
  return conf;
}

void
sched_test_check (const RmSchedSnapshot *s, GArray *as)
{
  g_autofree RmResource *used = g_new (RmResource, MAX (s->n_nodes, 1));
  g_autoptr(GHashTable) served = g_hash_table_new (g_direct_hash, g_direct_equal);

  for (guint i = 0; i < s->n_nodes; i++)
    used[i] = s->nodes[i].used;
  for (guint i = 0; i < as->len; i++)
    {
      RmSchedAssignment *x = &g_array_index (as, RmSchedAssignment, i);
      const RmSchedApp *app;
      const RmSchedAsk *ask;
      const RmSchedNode *node;
      gpointer key;
      guint n;

      g_assert_cmpuint (x->app, <, s->n_apps);
      app = &s->apps[x->app];
      g_assert_cmpuint (x->ask, <, app->n_asks);
      ask = &app->asks[x->ask];
      g_assert_cmpuint (x->node, <, s->n_nodes);
      node = &s->nodes[x->node];

      g_assert_true (node->schedulable);
      g_assert_cmpint (x->resource.vcores, ==, ask->capability.vcores);
      g_assert_cmpint (x->resource.memory_mb, ==, ask->capability.memory_mb);
      g_assert_false (app->finishing);
      g_assert_true (ask->is_am ? !app->am_allocated : app->am_allocated);

      used[x->node].vcores += x->resource.vcores;
      used[x->node].memory_mb += x->resource.memory_mb;
      g_assert_cmpint (used[x->node].vcores, <=, node->total.vcores);
      g_assert_cmpint (used[x->node].memory_mb, <=, node->total.memory_mb);

      key = (gpointer) ask;
      n = GPOINTER_TO_UINT (g_hash_table_lookup (served, key)) + 1;
      g_hash_table_insert (served, key, GUINT_TO_POINTER (n));
      g_assert_cmpuint (n, <=, ask->count);

      if (ask->resource_name && strcmp (ask->resource_name, RM_SCHED_ANY) != 0 && !ask->relax_locality)
        g_assert_cmpstr (node->id, ==, ask->resource_name);
    }
}

void
sched_test_apply (RmSchedSnapshot *s, GArray *as)
{
  RmSchedNode *nodes = (RmSchedNode *) s->nodes;
  RmSchedApp *apps = (RmSchedApp *) s->apps;

  for (guint i = 0; i < as->len; i++)
    {
      RmSchedAssignment *x = &g_array_index (as, RmSchedAssignment, i);
      RmSchedAsk *ask = (RmSchedAsk *) &apps[x->app].asks[x->ask];

      nodes[x->node].used.vcores += x->resource.vcores;
      nodes[x->node].used.memory_mb += x->resource.memory_mb;
      apps[x->app].used.vcores += x->resource.vcores;
      apps[x->app].used.memory_mb += x->resource.memory_mb;
      if (ask->is_am)
        {
          apps[x->app].am_allocated = TRUE;
          apps[x->app].am_resource = x->resource;
        }
      ask->count--;
    }
}

guint
sched_test_count (GArray *as, guint app)
{
  guint n = 0;

  for (guint i = 0; i < as->len; i++)
    if (app == G_MAXUINT || g_array_index (as, RmSchedAssignment, i).app == app)
      n++;
  return n;
}

guint
sched_test_count_on (GArray *as, guint app, guint node)
{
  guint n = 0;

  for (guint i = 0; i < as->len; i++)
    {
      RmSchedAssignment *x = &g_array_index (as, RmSchedAssignment, i);

      if (x->app == app && x->node == node)
        n++;
    }
  return n;
}

GArray *
sched_test_assign (RmScheduler *sched, const RmSchedSnapshot *snapshot)
{
  GArray *as = rm_scheduler_assign (sched, snapshot);

  sched_test_check (snapshot, as);
  return as;
}

static const char *
keep (SchedRandom *r, char *s)
{
  g_ptr_array_add (r->strings, s);
  return s;
}

void
sched_random_free (SchedRandom *r)
{
  if (!r)
    return;
  g_array_unref (r->nodes);
  g_array_unref (r->apps);
  g_ptr_array_unref (r->asks);
  g_ptr_array_unref (r->strings);
  g_free (r);
}

SchedRandom *
sched_random_new (void)
{
  SchedRandom *r = g_new0 (SchedRandom, 1);
  guint n_nodes = (guint) g_test_rand_int_range (1, 40);
  guint n_apps = (guint) g_test_rand_int_range (0, 15);

  r->nodes = g_array_new (FALSE, TRUE, sizeof (RmSchedNode));
  r->apps = g_array_new (FALSE, TRUE, sizeof (RmSchedApp));
  r->asks = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
  r->strings = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < n_nodes; i++)
    {
      RmSchedNode n = { 0 };

      n.id = keep (r, g_strdup_printf ("node%u:8041", i));
      n.total.vcores = g_test_rand_int_range (1, 17);
      n.total.memory_mb = g_test_rand_int_range (1, 33) * 512;
      n.used.vcores = g_test_rand_int_range (0, (gint32) n.total.vcores + 1);
      n.used.memory_mb = g_test_rand_int_range (0, (gint32) n.total.memory_mb + 1);
      n.schedulable = g_test_rand_int_range (0, 10) > 0;
      g_array_append_val (r->nodes, n);
    }
  for (guint a = 0; a < n_apps; a++)
    {
      GArray *asks = g_array_new (FALSE, TRUE, sizeof (RmSchedAsk));
      guint n_asks = (guint) g_test_rand_int_range (0, 6);
      RmSchedApp app = { 0 };

      app.id = keep (r, g_strdup_printf ("application_1_%04u", a));
      app.queue = g_test_rand_bit () ? "a" : "root.b";
      app.user = g_test_rand_bit () ? "alice" : "bob";
      app.am_allocated = g_test_rand_int_range (0, 4) > 0;
      app.finishing = g_test_rand_int_range (0, 10) == 0;
      if (app.am_allocated)
        app.am_resource = (RmResource){ 1, 1024 };
      app.used = app.am_resource;
      for (guint k = 0; k < n_asks; k++)
        {
          RmSchedAsk ask = { 0 };
          int where = g_test_rand_int_range (-2, (gint32) n_nodes + 1);

          ask.priority = g_test_rand_int_range (0, 4);
          ask.resource_name = where < 0 ? RM_SCHED_ANY
                              : where == (int) n_nodes ? "unknown:1"
                                                       : g_array_index (r->nodes, RmSchedNode, where).id;
          ask.relax_locality = g_test_rand_bit ();
          ask.capability.vcores = g_test_rand_int_range (1, 5);
          ask.capability.memory_mb = g_test_rand_int_range (1, 17) * 256;
          ask.count = (guint) g_test_rand_int_range (0, 30);
          ask.is_am = !app.am_allocated && k == 0;
          g_array_append_val (asks, ask);
        }
      app.asks = (const RmSchedAsk *) asks->data;
      app.n_asks = asks->len;
      g_ptr_array_add (r->asks, asks);
      g_array_append_val (r->apps, app);
    }
  r->snap = (RmSchedSnapshot){ (const RmSchedNode *) r->nodes->data, r->nodes->len,
                               (const RmSchedApp *) r->apps->data, r->apps->len };
  return r;
}

WeftConf *
sched_test_confv (const char *const *assignments)
{
  WeftConf *conf = weft_conf_new ();

  for (guint i = 0; assignments && assignments[i]; i++)
    {
      g_autoptr(GError) error = NULL;

      weft_conf_set (conf, assignments[i], &error);
      g_assert_no_error (error);
    }
  return conf;
}
