/* rm-core: the resource manager's state and logic. See rm-core.h.
 *
 * Ownership: the core owns nodes (by id) and applications (by id, plus
 * their submit order); an application owns its containers; a node holds
 * borrowed pointers to the live containers placed on it. A container
 * leaves its node's table when it completes, so a node never points at a
 * freed container. */
#include "rm-core.h"

#include <math.h>
#include <string.h>

#include "weft-dispatch.h"

G_DEFINE_QUARK (weft-rm-error-quark, rm_error)

/* How long a container token stays valid: the AM must start the container
 * within this. YARN's default container allocation expiry is also 10 min. */
#define CONTAINER_TOKEN_LIFETIME_MS (10 * 60 * 1000)

struct _RmCore {
  WeftSecret *secret;
  RmScheduler *scheduler;
  gint64 cluster_ts;
  guint32 next_app_seq;
  gint64 nm_expiry_us;
  gint64 am_expiry_us;
  guint default_max_attempts;
  char *client_address;
  char *scheduler_address;

  GHashTable *nodes;      /* id -> RmNode* (owned) */
  GHashTable *apps;       /* id -> RmApp* (owned) */
  GPtrArray *app_order;   /* RmApp* in submit order (borrowed) */
  GHashTable *reserved;   /* id -> user: ids handed out by new_application, not yet submitted */
  void (*on_app_end) (const char *app_id, gpointer data);
  gpointer on_app_end_data;

  RmLaunchAmFunc launch_am;
  gpointer launch_data;
  int containers_allocated;
};

/* ---------------------------------------------------------------- helpers */

const char *
rm_app_state_name (RmAppState s)
{
  static const char *const n[] = { "?", "NEW", "SUBMITTED", "ACCEPTED", "RUNNING", "FINISHED",
                                   "FAILED", "KILLED" };
  return (guint) s < G_N_ELEMENTS (n) ? n[s] : "?";
}

const char *
rm_node_state_name (RmNodeState s)
{
  static const char *const n[] = { "?", "NEW", "RUNNING", "UNHEALTHY", "DECOMMISSIONING",
                                   "DECOMMISSIONED", "LOST", "SHUTDOWN" };
  return (guint) s < G_N_ELEMENTS (n) ? n[s] : "?";
}

GPtrArray *
rm_core_values (GHashTable *table)
{
  GPtrArray *a = g_ptr_array_sized_new (g_hash_table_size (table));
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, table);
  while (g_hash_table_iter_next (&it, NULL, &v))
    g_ptr_array_add (a, v);
  return a;
}

static gint64
now_ms (void)
{
  return g_get_real_time () / 1000;
}

static void
res_add (RmResource *a, RmResource b)
{
  a->vcores += b.vcores;
  a->memory_mb += b.memory_mb;
}

static void
res_sub (RmResource *a, RmResource b)
{
  a->vcores -= b.vcores;
  a->memory_mb -= b.memory_mb;
}

static gboolean
is_final (RmAppState s)
{
  return s == RM_APP_FINISHED || s == RM_APP_FAILED || s == RM_APP_KILLED;
}

RmLaunchSpec *
rm_launch_spec_new (void)
{
  RmLaunchSpec *s = g_new0 (RmLaunchSpec, 1);
  s->argv = g_new0 (char *, 1);
  s->env = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  s->resources = g_ptr_array_new ();
  return s;
}

static void
local_resource_free (RmLocalResource *r)
{
  g_free (r->name);
  g_free (r->source);
  g_free (r->sha256);
  g_free (r);
}

RmLaunchSpec *
rm_launch_spec_copy (const RmLaunchSpec *spec)
{
  RmLaunchSpec *s = rm_launch_spec_new ();
  g_strfreev (s->argv);
  s->argv = g_strdupv (spec->argv);
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init (&it, spec->env);
  while (g_hash_table_iter_next (&it, &k, &v))
    g_hash_table_insert (s->env, g_strdup (k), g_strdup (v));
  for (guint i = 0; i < spec->resources->len; i++)
    {
      const RmLocalResource *r = spec->resources->pdata[i];
      RmLocalResource *c = g_new0 (RmLocalResource, 1);
      *c = (RmLocalResource) { g_strdup (r->name), g_strdup (r->source), r->size,
                               g_strdup (r->sha256), r->executable };
      g_ptr_array_add (s->resources, c);
    }
  return s;
}

void
rm_launch_spec_free (RmLaunchSpec *spec)
{
  if (spec == NULL)
    return;
  g_strfreev (spec->argv);
  g_hash_table_unref (spec->env);
  for (guint i = 0; i < spec->resources->len; i++)
    local_resource_free (spec->resources->pdata[i]);
  g_ptr_array_unref (spec->resources);
  g_free (spec);
}

RmContainerStatus *
rm_container_status_copy (const RmContainerStatus *s)
{
  RmContainerStatus *c = g_new0 (RmContainerStatus, 1);
  *c = *s;
  c->container_id = g_strdup (s->container_id);
  c->diagnostics = g_strdup (s->diagnostics);
  return c;
}

void
rm_container_status_free (RmContainerStatus *s)
{
  if (s == NULL)
    return;
  g_free (s->container_id);
  g_free (s->diagnostics);
  g_free (s);
}

static RmContainerStatus *
status_new (const char *id, RmExitReason reason, int exit_code, const char *diag)
{
  RmContainerStatus *s = g_new0 (RmContainerStatus, 1);
  s->container_id = g_strdup (id);
  s->state = RM_CONTAINER_COMPLETE;
  s->reason = reason;
  s->exit_code = exit_code;
  s->diagnostics = g_strdup (diag ? diag : "");
  return s;
}

static void
container_free (RmContainer *c)
{
  g_free (c->id);
  g_free (c->app_id);
  g_free (c->node_id);
  g_free (c->node_http_address);
  g_free (c->status.container_id);
  g_free (c->status.diagnostics);
  weft_token_free (c->token);
  g_free (c);
}

static void
ask_free (RmAsk *a)
{
  g_free (a->resource_name);
  g_free (a);
}

static void
node_free (RmNode *n)
{
  g_free (n->node_id);
  g_free (n->http_address);
  g_free (n->rack);
  g_free (n->version);
  g_free (n->health_report);
  g_hash_table_unref (n->containers);
  g_ptr_array_unref (n->to_stop);
  g_free (n);
}

static void
wake_waiters (RmApp *app)
{
  for (guint i = 0; i < app->waiters->len; i++)
    weft_waiter_wake (app->waiters->pdata[i]);
}

static void
clear_attempt (RmApp *app)
{
  g_ptr_array_set_size (app->asks, 0);
  g_ptr_array_set_size (app->new_containers, 0);
  g_ptr_array_set_size (app->completed, 0);
  g_ptr_array_set_size (app->node_updates, 0);
  app->am_asked = FALSE;
}

static void
app_free (RmApp *app)
{
  g_free (app->id);
  g_free (app->name);
  g_free (app->queue);
  g_free (app->user);
  g_free (app->type);
  rm_launch_spec_free (app->am_launch);
  g_string_free (app->diagnostics, TRUE);
  g_free (app->progress_detail);
  g_free (app->attempt_id);
  weft_token_free (app->am_token);
  g_free (app->am_host);
  g_free (app->tracking_url);
  g_hash_table_unref (app->containers);
  g_ptr_array_unref (app->asks);
  g_ptr_array_unref (app->new_containers);
  g_ptr_array_unref (app->completed);
  g_ptr_array_unref (app->node_updates);
  g_ptr_array_unref (app->waiters);
  g_free (app);
}

/* --------------------------------------------------------------- lifetime */

RmCore *
rm_core_new (WeftConf *conf, WeftSecret *secret, GError **error)
{
  g_autoptr(RmScheduler) sched = rm_scheduler_new (NULL, conf, error);
  if (sched == NULL)
    return NULL;
  RmCore *core = g_new0 (RmCore, 1);
  core->secret = secret;
  core->scheduler = g_steal_pointer (&sched);
  core->cluster_ts = now_ms ();
  core->next_app_seq = 1;
  core->nm_expiry_us = weft_conf_get_duration (conf, "rm.nm-expiry");
  core->am_expiry_us = weft_conf_get_duration (conf, "rm.am-expiry");
  core->default_max_attempts = (guint) weft_conf_get_int (conf, "rm.am-max-attempts");
  core->nodes = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) node_free);
  core->apps = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) app_free);
  core->app_order = g_ptr_array_new ();
  core->reserved = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  core->client_address = g_strdup ("");
  core->scheduler_address = g_strdup ("");
  return core;
}

void
rm_core_free (RmCore *core)
{
  if (core == NULL)
    return;
  /* Nodes hold borrowed container pointers: drop them first. */
  g_hash_table_unref (core->nodes);
  g_ptr_array_unref (core->app_order);
  g_hash_table_unref (core->apps);
  g_hash_table_unref (core->reserved);
  rm_scheduler_free (core->scheduler);
  g_free (core->client_address);
  g_free (core->scheduler_address);
  g_free (core);
}

void
rm_core_set_launcher (RmCore *core, RmLaunchAmFunc func, gpointer user_data)
{
  core->launch_am = func;
  core->launch_data = user_data;
}

void
rm_core_set_addresses (RmCore *core, const char *client, const char *scheduler)
{
  g_free (core->client_address);
  g_free (core->scheduler_address);
  core->client_address = g_strdup (client);
  core->scheduler_address = g_strdup (scheduler);
}

gint64
rm_core_cluster_ts (RmCore *core)
{
  return core->cluster_ts;
}

WeftSecret *
rm_core_secret (RmCore *core)
{
  return core->secret;
}

RmScheduler *
rm_core_scheduler (RmCore *core)
{
  return core->scheduler;
}

/* ------------------------------------------------------------- containers */

/* A container's end: frees its resources, tells whoever must know. The AM
 * of the application hears about it unless @quiet (the attempt is over). */
static void attempt_failed (RmCore *core, RmApp *app, const char *why);

static void
complete_container (RmCore *core, RmApp *app, RmContainer *c, const RmContainerStatus *st,
                    gboolean quiet)
{
  if (c->state == RM_CONTAINER_COMPLETE)
    return;
  c->state = RM_CONTAINER_COMPLETE;
  g_free (c->status.container_id);
  g_free (c->status.diagnostics);
  c->status = *st;
  c->status.container_id = g_strdup (c->id);
  c->status.diagnostics = g_strdup (st->diagnostics ? st->diagnostics : "");
  c->status.state = RM_CONTAINER_COMPLETE;
  c->finish_ms = now_ms ();
  RmNode *node = g_hash_table_lookup (core->nodes, c->node_id);
  if (node != NULL && g_hash_table_remove (node->containers, c->id))
    res_sub (&node->used, c->resource);
  res_sub (&app->used, c->resource);
  /* Not yet given to the AM: it never needs to hear of it. */
  g_ptr_array_remove (app->new_containers, c);
  g_info ("%s completed on %s: %s%s%s", c->id, c->node_id,
          c->status.reason == RM_EXIT_SUCCEEDED ? "succeeded" : "ended",
          *c->status.diagnostics ? ": " : "", c->status.diagnostics);

  if (c->is_am)
    {
      if (!is_final (app->state) && c == app->am_container)
        {
          g_autofree char *why = g_strdup_printf ("AM container %s exited (%s)", c->id,
                                                  *c->status.diagnostics ? c->status.diagnostics
                                                  : "no diagnostics");
          attempt_failed (core, app, why);
        }
      return;
    }
  if (!quiet && !is_final (app->state))
    {
      g_ptr_array_add (app->completed, rm_container_status_copy (&c->status));
      wake_waiters (app);
    }
}

/* Asks the container's node to stop it on its next heartbeat. */
static void
stop_on_node (RmCore *core, RmContainer *c, RmExitReason reason, const char *diag)
{
  RmNode *node = g_hash_table_lookup (core->nodes, c->node_id);
  if (node == NULL || node->state == RM_NODE_LOST)
    return;
  g_ptr_array_add (node->to_stop, status_new (c->id, reason, -1, diag));
}

static RmContainer *
new_container (RmCore *core, RmApp *app, RmNode *node, RmResource res, int priority,
               gboolean is_am)
{
  RmContainer *c = g_new0 (RmContainer, 1);
  WeftAttemptId att = { app->aid, app->attempt };
  WeftContainerId cid = { att, ++app->next_container_seq };
  c->id = weft_container_id_format (&cid);
  c->app_id = g_strdup (app->id);
  c->node_id = g_strdup (node->node_id);
  c->node_http_address = g_strdup (node->http_address);
  c->resource = res;
  c->priority = priority;
  c->is_am = is_am;
  c->state = RM_CONTAINER_NEW;
  c->allocated_ms = now_ms ();
  if (core->secret != NULL)
    {
      /* What the NM checks before it launches anything: this container,
       * of this application, on this node, with this much. */
      g_autofree char *vc = g_strdup_printf ("%" G_GINT64_FORMAT, res.vcores);
      g_autofree char *mb = g_strdup_printf ("%" G_GINT64_FORMAT, res.memory_mb);
      g_autoptr(GBytes) ident = weft_token_identifier_new ("1", c->id, app->id, node->node_id,
                                                          vc, mb, NULL);
      c->token = weft_token_sign (core->secret, "container", ident,
                                  now_ms () + CONTAINER_TOKEN_LIFETIME_MS);
    }
  g_hash_table_insert (app->containers, c->id, c);
  g_hash_table_insert (node->containers, c->id, c);
  res_add (&node->used, res);
  res_add (&app->used, res);
  core->containers_allocated++;
  return c;
}

/* ------------------------------------------------------------- scheduling */

static int
compare_node_ids (gconstpointer a, gconstpointer b)
{
  const RmNode *x = *(RmNode *const *) a, *y = *(RmNode *const *) b;
  return strcmp (x->node_id, y->node_id);
}

static void fill_sched_nodes (GPtrArray *nodes, GArray *out)
{
  for (guint i = 0; i < nodes->len; i++)
    {
      RmNode *n = nodes->pdata[i];
      RmSchedNode sn = { .id = n->node_id, .total = n->capability, .used = n->used,
                         .schedulable = n->state == RM_NODE_RUNNING };
      g_array_append_val (out, sn);
    }
}

static void launch_am (RmCore *core, RmApp *app, RmContainer *c);

/* Runs the scheduler over everything pending and applies what it decides.
 * Called after anything that can make a grant possible: a new ask, a freed
 * container, a new node. Grants are made at once, not on a heartbeat. */
static void
schedule (RmCore *core)
{
  g_autoptr(GPtrArray) nodes = rm_core_values (core->nodes);
  g_ptr_array_sort (nodes, compare_node_ids);
  g_autoptr(GArray) snodes = g_array_new (FALSE, FALSE, sizeof (RmSchedNode));
  fill_sched_nodes (nodes, snodes);

  g_autoptr(GArray) sapps = g_array_new (FALSE, FALSE, sizeof (RmSchedApp));
  g_autoptr(GPtrArray) apps = g_ptr_array_new ();
  /* Per application: its RmSchedAsk array and, in parallel, the RmAsk each
   * came from (NULL for the AM's own ask). */
  g_autoptr(GPtrArray) ask_arrays = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
  g_autoptr(GPtrArray) ask_sources = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  gboolean anything = FALSE;
  for (guint i = 0; i < core->app_order->len; i++)
    {
      RmApp *app = core->app_order->pdata[i];
      if (app->state != RM_APP_ACCEPTED && app->state != RM_APP_RUNNING)
        continue;
      GArray *asks = g_array_new (FALSE, FALSE, sizeof (RmSchedAsk));
      GPtrArray *src = g_ptr_array_new ();
      if (app->am_asked)
        {
          RmSchedAsk a = { .priority = 0, .resource_name = RM_SCHED_ANY, .relax_locality = TRUE,
                           .capability = app->am_resource, .count = 1, .is_am = TRUE };
          g_array_append_val (asks, a);
          g_ptr_array_add (src, NULL);
        }
      for (guint k = 0; k < app->asks->len; k++)
        {
          RmAsk *ra = app->asks->pdata[k];
          if (ra->count == 0)
            continue;
          RmSchedAsk a = { .priority = ra->priority, .resource_name = ra->resource_name,
                           .relax_locality = ra->relax_locality, .capability = ra->capability,
                           .count = ra->count, .is_am = FALSE };
          g_array_append_val (asks, a);
          g_ptr_array_add (src, ra);
        }
      anything |= asks->len > 0;
      RmSchedApp sa = { .id = app->id, .queue = app->queue, .user = app->user, .used = app->used,
                        .am_resource = app->am_resource,
                        .am_allocated = app->unmanaged || app->am_container != NULL,
                        .finishing = FALSE };
      g_array_append_val (sapps, sa);
      g_ptr_array_add (apps, app);
      g_ptr_array_add (ask_arrays, asks);
      g_ptr_array_add (ask_sources, src);
    }
  if (!anything || snodes->len == 0)
    return;
  for (guint i = 0; i < sapps->len; i++)
    {
      RmSchedApp *sa = &g_array_index (sapps, RmSchedApp, i);
      GArray *asks = ask_arrays->pdata[i];
      sa->asks = (const RmSchedAsk *) asks->data;
      sa->n_asks = asks->len;
    }
  RmSchedSnapshot snap = { .nodes = (const RmSchedNode *) snodes->data, .n_nodes = snodes->len,
                           .apps = (const RmSchedApp *) sapps->data, .n_apps = sapps->len };
  g_autoptr(GArray) out = rm_scheduler_assign (core->scheduler, &snap);
  for (guint i = 0; i < out->len; i++)
    {
      RmSchedAssignment *as = &g_array_index (out, RmSchedAssignment, i);
      RmApp *app = apps->pdata[as->app];
      RmNode *node = nodes->pdata[as->node];
      GPtrArray *src = ask_sources->pdata[as->app];
      RmAsk *ra = src->pdata[as->ask];
      const RmSchedAsk *sa = &g_array_index ((GArray *) ask_arrays->pdata[as->app], RmSchedAsk, as->ask);
      if (ra == NULL)
        {
          if (!app->am_asked)
            continue;
          app->am_asked = FALSE;
          RmContainer *c = new_container (core, app, node, as->resource, 0, TRUE);
          app->am_container = c;
          g_message ("%s: AM container %s granted on %s", app->id, c->id, node->node_id);
          launch_am (core, app, c);
        }
      else
        {
          if (ra->count == 0)
            continue;
          ra->count--;
          RmContainer *c = new_container (core, app, node, as->resource, sa->priority, FALSE);
          g_ptr_array_add (app->new_containers, c);
          wake_waiters (app);
        }
    }
}

/* ------------------------------------------------------------ attempts */

static void
start_attempt (RmCore *core, RmApp *app)
{
  app->attempt++;
  WeftAttemptId att = { app->aid, app->attempt };
  g_free (app->attempt_id);
  app->attempt_id = weft_attempt_id_format (&att);
  weft_token_free (app->am_token);
  app->am_token = NULL;
  if (core->secret != NULL)
    {
      g_autoptr(GBytes) ident = weft_token_identifier_new ("1", app->attempt_id, NULL);
      app->am_token = weft_token_sign (core->secret, "am", ident, 0);
    }
  app->am_container = NULL;
  app->am_registered = FALSE;
  app->last_am_contact_us = g_get_monotonic_time ();
  /* What the last attempt was doing is no longer happening. */
  g_clear_pointer (&app->progress_detail, g_free);
  clear_attempt (app);
  app->state = RM_APP_ACCEPTED;
  /* An unmanaged AM runs outside the cluster: nothing to launch. */
  app->am_asked = !app->unmanaged;
  g_message ("%s: attempt %s started", app->id, app->attempt_id);
}

static void
finish_app (RmCore *core, RmApp *app, RmAppState state, RmFinalStatus final,
            const char *diagnostics)
{
  if (is_final (app->state))
    return;
  RmExitReason reason = state == RM_APP_KILLED ? RM_EXIT_KILLED_BY_RM
                                               : RM_EXIT_KILLED_AFTER_APP_COMPLETION;
  app->state = state;
  app->final_status = final;
  app->finish_ms = now_ms ();
  if (final == RM_FINAL_SUCCEEDED)
    app->progress = 1.0;
  if (diagnostics && *diagnostics)
    {
      if (app->diagnostics->len)
        g_string_append (app->diagnostics, "\n");
      g_string_append (app->diagnostics, diagnostics);
    }
  /* Every container still alive is stopped; a finished AM exits by itself,
   * a killed one is stopped too. */
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, app->containers);
  while (g_hash_table_iter_next (&it, NULL, &v))
    {
      RmContainer *c = v;
      if (c->state == RM_CONTAINER_COMPLETE)
        continue;
      if (c->is_am && state == RM_APP_FINISHED)
        continue;
      const char *diag = state == RM_APP_KILLED ? "Container killed: the application was killed"
                                                : "Container stopped: the application finished";
      stop_on_node (core, c, reason, diag);
      g_autoptr(RmContainerStatus) st = status_new (c->id, reason, -1, diag);
      complete_container (core, app, c, st, TRUE);
    }
  clear_attempt (app);
  wake_waiters (app);
  if (core->on_app_end)
    core->on_app_end (app->id, core->on_app_end_data);
  g_message ("%s: %s (%s)%s%s", app->id, rm_app_state_name (state),
             final == RM_FINAL_SUCCEEDED ? "SUCCEEDED" : final == RM_FINAL_FAILED ? "FAILED"
             : final == RM_FINAL_KILLED ? "KILLED" : "UNDEFINED",
             diagnostics && *diagnostics ? ": " : "", diagnostics ? diagnostics : "");
  schedule (core);
}

static void
attempt_failed (RmCore *core, RmApp *app, const char *why)
{
  if (is_final (app->state))
    return;
  g_autofree char *line = g_strdup_printf ("Attempt %s failed: %s", app->attempt_id, why);
  g_message ("%s: %s", app->id, line);
  if (app->diagnostics->len)
    g_string_append (app->diagnostics, "\n");
  g_string_append (app->diagnostics, line);
  /* The AM is done with; forget it first so completing it cannot fail the
   * attempt a second time. The attempt's other containers go with it. */
  app->am_container = NULL;
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, app->containers);
  while (g_hash_table_iter_next (&it, NULL, &v))
    {
      RmContainer *c = v;
      if (c->state == RM_CONTAINER_COMPLETE)
        continue;
      stop_on_node (core, c, RM_EXIT_KILLED_BY_RM, "Container killed: its attempt failed");
      g_autoptr(RmContainerStatus) st = status_new (c->id, RM_EXIT_KILLED_BY_RM, -1,
                                                    "Container killed: its attempt failed");
      complete_container (core, app, c, st, TRUE);
    }
  wake_waiters (app);
  if (app->attempt < app->max_attempts)
    {
      start_attempt (core, app);
      schedule (core);
    }
  else
    {
      g_autofree char *msg = g_strdup_printf ("Application %s failed %u times (max attempts %u)",
                                              app->id, app->attempt, app->max_attempts);
      finish_app (core, app, RM_APP_FAILED, RM_FINAL_FAILED, msg);
    }
}

static void
launch_am (RmCore *core, RmApp *app, RmContainer *c)
{
  if (core->launch_am == NULL)
    return;
  g_autoptr(GHashTable) env = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init (&it, app->am_launch->env);
  while (g_hash_table_iter_next (&it, &k, &v))
    g_hash_table_insert (env, g_strdup (k), g_strdup (v));
  g_hash_table_insert (env, g_strdup ("WEFT_APPLICATION_ID"), g_strdup (app->id));
  g_hash_table_insert (env, g_strdup ("WEFT_ATTEMPT_ID"), g_strdup (app->attempt_id));
  g_hash_table_insert (env, g_strdup ("WEFT_RM_CLIENT_ADDRESS"), g_strdup (core->client_address));
  g_hash_table_insert (env, g_strdup ("WEFT_RM_SCHEDULER_ADDRESS"),
                       g_strdup (core->scheduler_address));
  if (app->am_token)
    g_hash_table_insert (env, g_strdup ("WEFT_AM_TOKEN"), weft_token_encode (app->am_token));
  app->last_am_contact_us = g_get_monotonic_time ();
  core->launch_am (c, app->am_launch, env, core->launch_data);
}

void
rm_core_am_launched (RmCore *core, const char *container_id, gboolean ok, const char *diagnostics)
{
  WeftContainerId cid;
  if (!weft_container_id_parse (container_id, &cid, NULL))
    return;
  g_autofree char *app_id = weft_app_id_format (&cid.attempt.app);
  RmApp *app = g_hash_table_lookup (core->apps, app_id);
  if (app == NULL)
    return;
  RmContainer *c = g_hash_table_lookup (app->containers, container_id);
  if (c == NULL || c->state == RM_CONTAINER_COMPLETE)
    return;
  if (ok)
    {
      if (c->state == RM_CONTAINER_NEW)
        c->state = RM_CONTAINER_RUNNING;
      return;
    }
  g_autofree char *diag = g_strdup_printf ("launch failed: %s", diagnostics);
  g_autoptr(RmContainerStatus) st = status_new (c->id, RM_EXIT_LAUNCH_FAILED, -1, diag);
  complete_container (core, app, c, st, FALSE);
}

/* ---------------------------------------------------------------- clients */

char *
rm_core_new_application (RmCore *core, const char *user, RmResource *max_resource)
{
  WeftAppId aid = { core->cluster_ts, core->next_app_seq++ };
  char *id = weft_app_id_format (&aid);
  g_hash_table_insert (core->reserved, g_strdup (id), g_strdup (user ? user : ""));
  if (max_resource)
    rm_core_max_resource (core, max_resource);
  return id;
}

void
rm_core_max_resource (RmCore *core, RmResource *max_resource)
{
  RmResource max = { 0, 0 };
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, core->nodes);
  while (g_hash_table_iter_next (&it, NULL, &v))
    {
      RmNode *n = v;
      if (n->state != RM_NODE_RUNNING)
        continue;
      max.vcores = MAX (max.vcores, n->capability.vcores);
      max.memory_mb = MAX (max.memory_mb, n->capability.memory_mb);
    }
  *max_resource = max;
}

static gboolean
validate_ask (RmCore *core, const RmSchedAsk *ask, GError **error)
{
  g_autoptr(GPtrArray) nodes = rm_core_values (core->nodes);
  g_ptr_array_sort (nodes, compare_node_ids);
  g_autoptr(GArray) snodes = g_array_new (FALSE, FALSE, sizeof (RmSchedNode));
  fill_sched_nodes (nodes, snodes);
  RmSchedSnapshot snap = { .nodes = (const RmSchedNode *) snodes->data, .n_nodes = snodes->len };
  GError *local = NULL;
  if (rm_scheduler_validate_ask (core->scheduler, &snap, ask, &local))
    return TRUE;
  g_set_error_literal (error, RM_ERROR,
                       local->code == RM_SCHEDULER_ERROR_ASK_TOO_LARGE ? RM_ERROR_RESOURCE_EXHAUSTED
                                                                       : RM_ERROR_INVALID_ARGUMENT,
                       local->message);
  g_error_free (local);
  return FALSE;
}

gboolean
rm_core_submit (RmCore *core, const RmSubmission *sub, GError **error)
{
  if (sub->application_id == NULL || !g_hash_table_contains (core->reserved, sub->application_id))
    {
      if (sub->application_id && g_hash_table_contains (core->apps, sub->application_id))
        g_set_error (error, RM_ERROR, RM_ERROR_ALREADY_EXISTS,
                     "application %s was already submitted", sub->application_id);
      else
        g_set_error (error, RM_ERROR, RM_ERROR_INVALID_ARGUMENT,
                     "application id \"%s\" was not issued by this RM: call new_application first",
                     sub->application_id ? sub->application_id : "");
      return FALSE;
    }
  if (!sub->unmanaged && (sub->am_launch == NULL || sub->am_launch->argv == NULL
                          || sub->am_launch->argv[0] == NULL))
    {
      g_set_error (error, RM_ERROR, RM_ERROR_INVALID_ARGUMENT,
                   "application %s has no AM command to run", sub->application_id);
      return FALSE;
    }
  const char *user = sub->user && *sub->user ? sub->user : "nobody";
  const char *reserver = g_hash_table_lookup (core->reserved, sub->application_id);
  if (reserver && *reserver && g_strcmp0 (reserver, user) != 0)
    {
      g_set_error (error, RM_ERROR, RM_ERROR_PERMISSION_DENIED,
                   "application %s was issued to %s, not %s", sub->application_id, reserver, user);
      return FALSE;
    }
  g_autofree char *queue = NULL;
  GError *local = NULL;
  if (!rm_scheduler_check_submit (core->scheduler, sub->queue, user, &queue, &local))
    {
      int code = local->code == RM_SCHEDULER_ERROR_ACCESS_DENIED ? RM_ERROR_PERMISSION_DENIED
                 : local->code == RM_SCHEDULER_ERROR_QUEUE_STOPPED ? RM_ERROR_FAILED_PRECONDITION
                                                                   : RM_ERROR_INVALID_ARGUMENT;
      g_set_error (error, RM_ERROR, code, "cannot submit %s: %s", sub->application_id,
                   local->message);
      g_error_free (local);
      return FALSE;
    }
  if (!sub->unmanaged)
    {
      RmSchedAsk am = { .priority = 0, .resource_name = RM_SCHED_ANY, .relax_locality = TRUE,
                        .capability = sub->am_resource, .count = 1, .is_am = TRUE };
      if (!validate_ask (core, &am, error))
        {
          g_prefix_error (error, "cannot submit %s: AM resource: ", sub->application_id);
          return FALSE;
        }
    }

  RmApp *app = g_new0 (RmApp, 1);
  app->id = g_strdup (sub->application_id);
  weft_app_id_parse (app->id, &app->aid, NULL);
  app->name = g_strdup (sub->name && *sub->name ? sub->name : "weft-app");
  app->queue = g_steal_pointer (&queue);
  app->user = g_strdup (user);
  app->type = g_strdup (sub->type && *sub->type ? sub->type : "WEFT");
  app->am_resource = sub->am_resource;
  app->am_launch = sub->am_launch ? rm_launch_spec_copy (sub->am_launch) : rm_launch_spec_new ();
  app->max_attempts = sub->max_attempts > 0 ? sub->max_attempts : core->default_max_attempts;
  app->unmanaged = sub->unmanaged;
  app->diagnostics = g_string_new (NULL);
  app->submit_ms = now_ms ();
  app->start_ms = app->submit_ms;
  app->containers = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                           (GDestroyNotify) container_free);
  app->asks = g_ptr_array_new_with_free_func ((GDestroyNotify) ask_free);
  app->new_containers = g_ptr_array_new ();
  app->completed = g_ptr_array_new_with_free_func ((GDestroyNotify) rm_container_status_free);
  app->node_updates = g_ptr_array_new_with_free_func (g_free);
  app->waiters = g_ptr_array_new_with_free_func ((GDestroyNotify) weft_waiter_unref);
  app->state = RM_APP_SUBMITTED;
  g_hash_table_remove (core->reserved, app->id);
  g_hash_table_insert (core->apps, app->id, app);
  g_ptr_array_add (core->app_order, app);
  g_message ("%s submitted by %s to queue %s: %s", app->id, app->user, app->queue, app->name);
  start_attempt (core, app);
  schedule (core);
  return TRUE;
}

RmApp *
rm_core_get_app (RmCore *core, const char *app_id, GError **error)
{
  RmApp *app = app_id ? g_hash_table_lookup (core->apps, app_id) : NULL;
  if (app == NULL)
    g_set_error (error, RM_ERROR, RM_ERROR_NOT_FOUND,
                 "application %s is not known to this RM (see `weft app list`)",
                 app_id ? app_id : "(none)");
  return app;
}

GPtrArray *
rm_core_list_apps (RmCore *core, const RmAppState *states, guint n_states, const char *queue,
                   const char *user)
{
  GPtrArray *out = g_ptr_array_new ();
  for (guint i = 0; i < core->app_order->len; i++)
    {
      RmApp *app = core->app_order->pdata[i];
      gboolean ok = n_states == 0;
      for (guint k = 0; k < n_states && !ok; k++)
        ok = app->state == states[k];
      if (!ok || (queue && *queue && g_strcmp0 (queue, app->queue) != 0)
          || (user && *user && g_strcmp0 (user, app->user) != 0))
        continue;
      g_ptr_array_add (out, app);
    }
  return out;
}

gboolean
rm_core_kill_app (RmCore *core, const char *app_id, const char *diagnostics, GError **error)
{
  RmApp *app = rm_core_get_app (core, app_id, error);
  if (app == NULL)
    return FALSE;
  if (is_final (app->state))
    return TRUE; /* killing what has ended is not an error: the end state stays */
  g_autofree char *msg = g_strdup_printf ("Application killed%s%s",
                                          diagnostics && *diagnostics ? ": " : "",
                                          diagnostics ? diagnostics : "");
  finish_app (core, app, RM_APP_KILLED, RM_FINAL_KILLED, msg);
  return TRUE;
}

RmNode *
rm_core_get_node (RmCore *core, const char *node_id, GError **error)
{
  RmNode *n = node_id ? g_hash_table_lookup (core->nodes, node_id) : NULL;
  if (n == NULL)
    g_set_error (error, RM_ERROR, RM_ERROR_NOT_FOUND,
                 "node %s is not known to this RM (see `weft node list --all`)",
                 node_id ? node_id : "(none)");
  return n;
}

GPtrArray *
rm_core_list_nodes (RmCore *core, const RmNodeState *states, guint n_states)
{
  GPtrArray *all = rm_core_values (core->nodes);
  g_ptr_array_sort (all, compare_node_ids);
  GPtrArray *out = g_ptr_array_new ();
  for (guint i = 0; i < all->len; i++)
    {
      RmNode *n = all->pdata[i];
      gboolean ok = n_states == 0;
      for (guint k = 0; k < n_states && !ok; k++)
        ok = n->state == states[k];
      if (ok)
        g_ptr_array_add (out, n);
    }
  g_ptr_array_unref (all);
  return out;
}

void
rm_core_metrics (RmCore *core, RmMetrics *m)
{
  memset (m, 0, sizeof *m);
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, core->nodes);
  while (g_hash_table_iter_next (&it, NULL, &v))
    {
      RmNode *n = v;
      m->nodes_total++;
      switch (n->state)
        {
        case RM_NODE_RUNNING:
          m->nodes_active++;
          res_add (&m->total, n->capability);
          res_add (&m->used, n->used);
          break;
        case RM_NODE_LOST: m->nodes_lost++; break;
        case RM_NODE_UNHEALTHY: m->nodes_unhealthy++; break;
        case RM_NODE_DECOMMISSIONED: m->nodes_decommissioned++; break;
        default: break;
        }
    }
  m->available = m->total;
  res_sub (&m->available, m->used);
  for (guint i = 0; i < core->app_order->len; i++)
    {
      RmApp *app = core->app_order->pdata[i];
      m->apps_submitted++;
      switch (app->state)
        {
        case RM_APP_SUBMITTED: case RM_APP_ACCEPTED: m->apps_pending++; break;
        case RM_APP_RUNNING: m->apps_running++; break;
        case RM_APP_FINISHED: m->apps_completed++; break;
        case RM_APP_FAILED: m->apps_failed++; break;
        case RM_APP_KILLED: m->apps_killed++; break;
        default: break;
        }
      for (guint k = 0; k < app->asks->len; k++)
        m->containers_pending += ((RmAsk *) app->asks->pdata[k])->count;
      m->containers_pending += app->am_asked ? 1 : 0;
    }
  m->containers_allocated = core->containers_allocated;
}

/* ------------------------------------------------------------------ nodes */

static void
lose_containers (RmCore *core, RmNode *node, RmExitReason reason, const char *diag)
{
  g_autoptr(GPtrArray) cs = rm_core_values (node->containers);
  for (guint i = 0; i < cs->len; i++)
    {
      RmContainer *c = cs->pdata[i];
      RmApp *app = g_hash_table_lookup (core->apps, c->app_id);
      if (app == NULL)
        continue;
      g_autoptr(RmContainerStatus) st = status_new (c->id, reason, -1, diag);
      complete_container (core, app, c, st, FALSE);
      if (!is_final (app->state))
        {
          g_ptr_array_add (app->node_updates, g_strdup (node->node_id));
          wake_waiters (app);
        }
    }
}

gboolean
rm_core_register_node (RmCore *core, const RmNodeRegistration *reg, GError **error)
{
  if (reg->node_id == NULL || strchr (reg->node_id, ':') == NULL)
    {
      g_set_error (error, RM_ERROR, RM_ERROR_INVALID_ARGUMENT,
                   "node id \"%s\" is not host:port", reg->node_id ? reg->node_id : "");
      return FALSE;
    }
  if (reg->capability.vcores <= 0 || reg->capability.memory_mb <= 0)
    {
      g_set_error (error, RM_ERROR, RM_ERROR_INVALID_ARGUMENT,
                   "node %s offers no resources (%" G_GINT64_FORMAT " vcores, %" G_GINT64_FORMAT
                   " MB)", reg->node_id, reg->capability.vcores, reg->capability.memory_mb);
      return FALSE;
    }
  RmNode *n = g_hash_table_lookup (core->nodes, reg->node_id);
  if (n != NULL)
    {
      /* A node that registers again restarted: what it ran is gone. */
      if (g_hash_table_size (n->containers) > 0)
        lose_containers (core, n, RM_EXIT_NODE_LOST, "Container lost: its node restarted");
      g_ptr_array_set_size (n->to_stop, 0);
    }
  else
    {
      n = g_new0 (RmNode, 1);
      n->node_id = g_strdup (reg->node_id);
      n->containers = g_hash_table_new (g_str_hash, g_str_equal);
      n->to_stop = g_ptr_array_new_with_free_func ((GDestroyNotify) rm_container_status_free);
      g_hash_table_insert (core->nodes, n->node_id, n);
    }
  g_free (n->http_address);
  n->http_address = g_strdup (reg->http_address ? reg->http_address : "");
  g_free (n->rack);
  n->rack = g_strdup (reg->rack && *reg->rack ? reg->rack : "/default-rack");
  g_free (n->version);
  n->version = g_strdup (reg->version ? reg->version : "");
  g_free (n->health_report);
  n->health_report = g_strdup ("");
  n->capability = reg->capability;
  n->used = (RmResource) { 0, 0 };
  n->state = RM_NODE_RUNNING;
  n->last_heartbeat_us = g_get_monotonic_time ();
  n->last_heartbeat_ms = now_ms ();
  n->response_id = 0;
  g_message ("node %s registered: %" G_GINT64_FORMAT " vcores, %" G_GINT64_FORMAT " MB",
             n->node_id, n->capability.vcores, n->capability.memory_mb);
  schedule (core);
  return TRUE;
}

void
rm_core_node_heartbeat (RmCore *core, const char *node_id, GPtrArray *statuses, gboolean healthy,
                        const char *health_report, GPtrArray **to_stop, RmNodeAction *action)
{
  *to_stop = g_ptr_array_new_with_free_func ((GDestroyNotify) rm_container_status_free);
  RmNode *n = node_id ? g_hash_table_lookup (core->nodes, node_id) : NULL;
  if (n == NULL || n->state == RM_NODE_LOST || n->state == RM_NODE_NEW)
    {
      *action = RM_NODE_ACTION_RESYNC;
      return;
    }
  if (n->state == RM_NODE_DECOMMISSIONED || n->state == RM_NODE_SHUTDOWN)
    {
      *action = RM_NODE_ACTION_SHUTDOWN;
      return;
    }
  *action = RM_NODE_ACTION_NORMAL;
  n->last_heartbeat_us = g_get_monotonic_time ();
  n->last_heartbeat_ms = now_ms ();
  n->response_id++;
  g_free (n->health_report);
  n->health_report = g_strdup (health_report ? health_report : "");
  RmNodeState want = healthy ? RM_NODE_RUNNING : RM_NODE_UNHEALTHY;
  gboolean freed = FALSE;
  if (n->state != want && (n->state == RM_NODE_RUNNING || n->state == RM_NODE_UNHEALTHY))
    {
      g_message ("node %s is now %s%s%s", n->node_id, rm_node_state_name (want),
                 healthy ? "" : ": ", healthy ? "" : n->health_report);
      n->state = want;
      freed = healthy;
    }

  for (guint i = 0; statuses && i < statuses->len; i++)
    {
      const RmContainerStatus *st = statuses->pdata[i];
      RmContainer *c = g_hash_table_lookup (n->containers, st->container_id);
      if (c == NULL)
        {
          /* The node runs something the RM does not know as live on it (its
           * application ended, or the RM restarted): stop it. */
          if (st->state != RM_CONTAINER_COMPLETE)
            g_ptr_array_add (*to_stop, status_new (st->container_id, RM_EXIT_KILLED_BY_RM, -1,
                                                   "Container killed: not known to the RM"));
          continue;
        }
      RmApp *app = g_hash_table_lookup (core->apps, c->app_id);
      if (st->state == RM_CONTAINER_COMPLETE)
        {
          complete_container (core, app, c, st, FALSE);
          freed = TRUE;
        }
      else if (st->state == RM_CONTAINER_RUNNING)
        c->state = RM_CONTAINER_RUNNING;
    }
  /* Stops requested since the last heartbeat. */
  for (guint i = 0; i < n->to_stop->len; i++)
    g_ptr_array_add (*to_stop, rm_container_status_copy (n->to_stop->pdata[i]));
  g_ptr_array_set_size (n->to_stop, 0);
  if (freed)
    schedule (core);
}

gboolean
rm_core_decommission (RmCore *core, const char *node_id, GError **error)
{
  RmNode *n = rm_core_get_node (core, node_id, error);
  if (n == NULL)
    return FALSE;
  if (n->state == RM_NODE_DECOMMISSIONED)
    return TRUE;
  lose_containers (core, n, RM_EXIT_KILLED_BY_RM, "Container killed: its node was decommissioned");
  n->state = RM_NODE_DECOMMISSIONED;
  g_message ("node %s decommissioned", n->node_id);
  return TRUE;
}

/* ------------------------------------------------------- application masters */

RmApp *
rm_core_app_for_attempt (RmCore *core, const char *attempt_id, GError **error)
{
  WeftAttemptId att;
  if (!weft_attempt_id_parse (attempt_id, &att, error))
    return NULL;
  g_autofree char *app_id = weft_app_id_format (&att.app);
  RmApp *app = g_hash_table_lookup (core->apps, app_id);
  if (app == NULL || g_strcmp0 (app->attempt_id, attempt_id) != 0)
    {
      g_set_error (error, RM_ERROR, RM_ERROR_PERMISSION_DENIED,
                   "%s is not the current attempt of its application%s", attempt_id,
                   app ? " (a newer attempt replaced it)" : "");
      return NULL;
    }
  if (is_final (app->state))
    {
      g_set_error (error, RM_ERROR, RM_ERROR_FAILED_PRECONDITION, "application %s has ended (%s)",
                   app->id, rm_app_state_name (app->state));
      return NULL;
    }
  return app;
}

gboolean
rm_core_register_am (RmCore *core, RmApp *app, const char *host, int rpc_port,
                     const char *tracking_url, GError **error)
{
  if (app->am_registered)
    {
      g_set_error (error, RM_ERROR, RM_ERROR_ALREADY_EXISTS,
                   "attempt %s registered already", app->attempt_id);
      return FALSE;
    }
  app->am_registered = TRUE;
  g_free (app->am_host);
  app->am_host = g_strdup (host ? host : "");
  app->am_rpc_port = rpc_port;
  g_free (app->tracking_url);
  app->tracking_url = g_strdup (tracking_url ? tracking_url : "");
  app->last_am_contact_us = g_get_monotonic_time ();
  app->state = RM_APP_RUNNING;
  g_message ("%s: AM of %s registered from %s", app->id, app->attempt_id, app->am_host);
  return TRUE;
}

static RmAsk *
find_ask (RmApp *app, const RmAsk *a)
{
  for (guint i = 0; i < app->asks->len; i++)
    {
      RmAsk *x = app->asks->pdata[i];
      if (x->priority == a->priority && g_strcmp0 (x->resource_name, a->resource_name) == 0
          && x->capability.vcores == a->capability.vcores
          && x->capability.memory_mb == a->capability.memory_mb)
        return x;
    }
  return NULL;
}

gboolean
rm_core_has_news (RmApp *app)
{
  return app->new_containers->len > 0 || app->completed->len > 0 || app->node_updates->len > 0
         || is_final (app->state);
}

char *
rm_core_progress_detail_sanitize (const char *detail)
{
  /* Reports show it to people, and weft-submit draws it on a terminal: an AM
   * must not be able to send escape sequences there, nor make the RM keep
   * (and repeat in every report) an unbounded string. */
  g_autofree char *valid = g_utf8_make_valid (detail ? detail : "", -1);
  GString *out = g_string_sized_new (MIN (strlen (valid), RM_PROGRESS_DETAIL_MAX));
  for (const char *p = valid; *p; p = g_utf8_next_char (p))
    {
      gboolean control = g_unichar_iscntrl (g_utf8_get_char (p));
      gsize n = control ? 1 : (gsize) (g_utf8_next_char (p) - p);
      if (out->len + n > RM_PROGRESS_DETAIL_MAX)
        break;
      if (control)
        g_string_append_c (out, ' ');
      else
        g_string_append_len (out, p, (gssize) n);
    }
  return g_string_free (out, FALSE);
}

gboolean
rm_core_allocate (RmCore *core, RmApp *app, GPtrArray *asks, GStrv releases, double progress,
                  const char *progress_detail, GPtrArray **allocated, GPtrArray **completed,
                  GPtrArray **node_updates, GError **error)
{
  if (!app->am_registered && !app->unmanaged)
    {
      g_set_error (error, RM_ERROR, RM_ERROR_FAILED_PRECONDITION,
                   "attempt %s must register before it allocates", app->attempt_id);
      return FALSE;
    }
  app->last_am_contact_us = g_get_monotonic_time ();
  /* NaN would pass CLAMP and reach every report. */
  app->progress = isnan (progress) ? app->progress : CLAMP (progress, 0.0, 1.0);
  if (progress_detail != NULL)
    {
      g_free (app->progress_detail);
      app->progress_detail = rm_core_progress_detail_sanitize (progress_detail);
    }
  /* Check every ask before taking any, so a bad one changes nothing. */
  for (guint i = 0; asks && i < asks->len; i++)
    {
      const RmAsk *a = asks->pdata[i];
      RmSchedAsk sa = { .priority = a->priority, .resource_name = a->resource_name,
                        .relax_locality = a->relax_locality, .capability = a->capability,
                        .count = a->count };
      if (a->count > 0 && !validate_ask (core, &sa, error))
        return FALSE;
    }
  for (guint i = 0; asks && i < asks->len; i++)
    {
      const RmAsk *a = asks->pdata[i];
      RmAsk *x = find_ask (app, a);
      if (x == NULL)
        {
          x = g_new0 (RmAsk, 1);
          *x = *a;
          x->resource_name = g_strdup (a->resource_name && *a->resource_name ? a->resource_name
                                                                            : RM_SCHED_ANY);
          g_ptr_array_add (app->asks, x);
        }
      /* As in YARN, an ask states how many are still wanted in total. */
      x->count = a->count;
      x->relax_locality = a->relax_locality;
    }
  for (guint i = 0; releases && releases[i]; i++)
    {
      RmContainer *c = g_hash_table_lookup (app->containers, releases[i]);
      if (c == NULL || c->is_am || c->state == RM_CONTAINER_COMPLETE)
        continue;
      stop_on_node (core, c, RM_EXIT_KILLED_BY_AM, "Container released by the AM");
      g_autoptr(RmContainerStatus) st = status_new (c->id, RM_EXIT_KILLED_BY_AM, -1,
                                                    "Container released by the AM");
      complete_container (core, app, c, st, FALSE);
    }
  schedule (core);
  *allocated = g_ptr_array_new ();
  for (guint i = 0; i < app->new_containers->len; i++)
    {
      RmContainer *c = app->new_containers->pdata[i];
      g_ptr_array_add (*allocated, c);
    }
  g_ptr_array_set_size (app->new_containers, 0);
  *completed = g_ptr_array_new_with_free_func ((GDestroyNotify) rm_container_status_free);
  for (guint i = 0; i < app->completed->len; i++)
    g_ptr_array_add (*completed, rm_container_status_copy (app->completed->pdata[i]));
  g_ptr_array_set_size (app->completed, 0);
  *node_updates = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < app->node_updates->len; i++)
    g_ptr_array_add (*node_updates, g_strdup (app->node_updates->pdata[i]));
  g_ptr_array_set_size (app->node_updates, 0);
  return TRUE;
}

gboolean
rm_core_finish_am (RmCore *core, RmApp *app, RmFinalStatus status, const char *diagnostics,
                   const char *tracking_url, GError **error)
{
  if (tracking_url && *tracking_url)
    {
      g_free (app->tracking_url);
      app->tracking_url = g_strdup (tracking_url);
    }
  RmAppState state = status == RM_FINAL_FAILED ? RM_APP_FAILED
                     : status == RM_FINAL_KILLED ? RM_APP_KILLED : RM_APP_FINISHED;
  if (status == RM_FINAL_UNDEFINED)
    status = RM_FINAL_SUCCEEDED;
  finish_app (core, app, state, status, diagnostics);
  return TRUE;
}

/* --------------------------------------------------------------- expiry */

void
rm_core_tick (RmCore *core)
{
  gint64 now = g_get_monotonic_time ();
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, core->nodes);
  while (g_hash_table_iter_next (&it, NULL, &v))
    {
      RmNode *n = v;
      if ((n->state == RM_NODE_RUNNING || n->state == RM_NODE_UNHEALTHY)
          && now - n->last_heartbeat_us > core->nm_expiry_us)
        {
          g_warning ("node %s is LOST: no heartbeat for %" G_GINT64_FORMAT " ms (rm.nm-expiry)",
                     n->node_id, (now - n->last_heartbeat_us) / 1000);
          n->state = RM_NODE_LOST;
          g_autofree char *diag = g_strdup_printf ("Container lost: node %s stopped heartbeating",
                                                   n->node_id);
          lose_containers (core, n, RM_EXIT_NODE_LOST, diag);
          g_ptr_array_set_size (n->to_stop, 0);
          n->used = (RmResource) { 0, 0 };
        }
    }
  /* Copy: a failed attempt may finish the application, which reschedules. */
  g_autoptr(GPtrArray) apps = g_ptr_array_copy (core->app_order, NULL, NULL);
  for (guint i = 0; i < apps->len; i++)
    {
      RmApp *app = apps->pdata[i];
      if (is_final (app->state) || app->unmanaged || app->am_container == NULL)
        continue;
      if (now - app->last_am_contact_us > core->am_expiry_us)
        {
          g_autofree char *why = g_strdup_printf ("the AM was silent for %" G_GINT64_FORMAT
                                                  " ms (rm.am-expiry)",
                                                  (now - app->last_am_contact_us) / 1000);
          RmContainer *am = app->am_container;
          stop_on_node (core, am, RM_EXIT_EXPIRED, why);
          g_autoptr(RmContainerStatus) st = status_new (am->id, RM_EXIT_EXPIRED, -1, why);
          complete_container (core, app, am, st, FALSE);
        }
    }
}

void
rm_core_wake_all (RmCore *core)
{
  for (guint i = 0; i < core->app_order->len; i++)
    wake_waiters (core->app_order->pdata[i]);
}

void
rm_queue_report_free (RmQueueReport *q)
{
  if (q == NULL)
    return;
  rm_queue_desc_free (q->desc);
  g_free (q);
}

/* Is an application in @leaf counted in @queue (itself or an ancestor)? */
static gboolean
queue_contains (const char *queue, const char *leaf)
{
  gsize n = strlen (queue);
  return g_str_equal (queue, leaf) || (strncmp (queue, leaf, n) == 0 && leaf[n] == '.');
}

GPtrArray *
rm_core_list_queues (RmCore *core)
{
  g_autoptr(GPtrArray) descs = rm_scheduler_describe_queues (core->scheduler);
  RmMetrics m;
  rm_core_metrics (core, &m);
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) rm_queue_report_free);
  for (guint i = 0; i < descs->len; i++)
    {
      RmQueueReport *r = g_new0 (RmQueueReport, 1);
      r->desc = g_steal_pointer (&descs->pdata[i]);
      for (guint k = 0; k < core->app_order->len; k++)
        {
          RmApp *app = core->app_order->pdata[k];
          if (is_final (app->state) || !queue_contains (r->desc->path, app->queue))
            continue;
          res_add (&r->used, app->used);
          r->num_applications++;
          r->num_pending += app->state == RM_APP_ACCEPTED || app->state == RM_APP_SUBMITTED;
        }
      double mem = m.total.memory_mb > 0 ? (double) r->used.memory_mb / m.total.memory_mb : 0;
      double cpu = m.total.vcores > 0 ? (double) r->used.vcores / m.total.vcores : 0;
      r->used_capacity = 100.0 * MAX (mem, cpu);
      g_ptr_array_add (out, r);
    }
  return out;
}

const char *
rm_core_app_owner (RmCore *core, const char *app_id)
{
  RmApp *app = app_id ? g_hash_table_lookup (core->apps, app_id) : NULL;
  if (app)
    return app->user;
  return app_id ? g_hash_table_lookup (core->reserved, app_id) : NULL;
}

void
rm_core_set_on_app_end (RmCore *core, void (*func) (const char *, gpointer), gpointer data)
{
  core->on_app_end = func;
  core->on_app_end_data = data;
}
