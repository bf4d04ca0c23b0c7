/* rm-sched-capacity: hierarchical capacity queues, after YARN's CapacityScheduler.
 *
 * Configuration: one [queue.PATH] group per queue ("root", "root.prod", "root.prod.etl"). "root"
 * may be left out (it then has the defaults); every other parent must be defined. Each queue's
 * capacity is a percentage of its parent's, and the capacities of siblings sum to 100 (within
 * 0.01); max-capacity (also of the parent) is at least capacity. root is always 100% of the cluster:
 * its own capacity and max-capacity are ignored. Leaf names are unique, so an application may name
 * its queue "etl" as well as "root.prod.etl". A stopped queue stops its whole subtree; a descendant
 * that says "state = running" explicitly under a stopped queue is an error, as in YARN. With no
 * [queue.*] group at all there is one leaf, root.default, with 100%. ACLs (acl-submit) are YARN's:
 * a user allowed on a queue is allowed on its whole subtree; root's default "*" lets everyone in,
 * while any other queue left at the default adds nobody, so restrict root to restrict anything.
 *
 * Shares are dominant shares (DRF): a resource vector's share of the cluster is the larger of its
 * memory and vcore fractions of the schedulable nodes' total. Every limit below is a share, which
 * is the same as applying the percentage to memory and to vcores separately.
 *
 * Each step of rm_scheduler_assign() grants one container:
 * 1. Walk down from root, at each level into the child with the lowest used/guaranteed share ratio
 *    (a queue with capacity 0 comes after all others), skipping subtrees with nothing to grant.
 * 2. In that leaf, serve applications FIFO (submit order), each application's asks by priority.
 *    An application gets nothing new if it is finishing, if its user is at the user limit, or,
 *    while its AM is not granted, if its queue is stopped (a stopped queue drains: running
 *    applications finish their work, as in YARN) or the AM share limit is reached.
 * 3. The container must keep the leaf and every ancestor within max-capacity (elastic: a queue may
 *    grow past its guarantee up to there while others leave room), and find a node.
 *
 * Limits, with U the leaf's active users (users with something to grant when the call starts),
 * C the leaf's guaranteed share, M its max-capacity share, Q its used share:
 * - user limit (YARN's computeUserLimit, without its rounding): with cur = C while Q < C, else
 *   the share of (the leaf's use + the container): a user may receive a container while its share
 *   of the leaf is below min (max (cur / U, cur * minimum-user-limit-percent / 100),
 *   C * user-limit-factor). Like YARN this lets a user pass the limit by at most one container, and
 *   with the default user-limit-factor of 1 a single user cannot take a queue past its capacity:
 *   raise user-limit-factor to let one user use the elasticity.
 * - AM share: the AMs granted in a leaf (their am_resource) stay within max-am-share * M, except
 *   that the first AM of a leaf with no AM always fits.
 * Every limit only tightens as a call grants containers, except the user limit, which grows with
 * the leaf's use; so an ask refused for a queue, AM or node reason is dropped for the rest of the
 * call, and a user refused for the user limit is only skipped until the leaf grants again. */

#include "rm-sched-private.h"

#include <string.h>

/* Float slack for comparing shares: far below one MB of a 10^6-node cluster. */
#define EPS 1e-9

typedef struct Queue Queue;
struct Queue
{
  char *path;
  const char *name; /* last component, inside path */
  Queue *parent;
  GPtrArray *children; /* (element-type Queue) not owned, in path order */
  double capacity;     /* percent of the parent, as configured */
  double max_capacity;
  double abs_cap;      /* guaranteed share of the cluster */
  double abs_max;      /* most of the cluster it may use */
  double user_limit_factor;
  double min_user_limit; /* fraction, from minimum-user-limit-percent */
  double max_am_share;
  gboolean own_stopped;
  gboolean stopped;    /* itself or an ancestor */
  gboolean acl_all;    /* acl-submit is "*" */
  char **acl_users;    /* else these users (maybe none) */
  guint index;         /* in Capacity.queues */
  int leaf;            /* index in Capacity.leaves, -1 for a parent */
};

typedef struct
{
  GPtrArray *queues;  /* (element-type Queue) owned; parents before children */
  GPtrArray *leaves;  /* not owned */
  Queue *root;
  GHashTable *by_path; /* path -> Queue */
  GHashTable *by_leaf_name; /* leaf name -> Queue */
} Capacity;

static void
queue_free (Queue *q)
{
  g_free (q->path);
  g_ptr_array_unref (q->children);
  g_strfreev (q->acl_users);
  g_free (q);
}

static void
capacity_free (Capacity *cs)
{
  if (!cs)
    return;
  g_clear_pointer (&cs->by_path, g_hash_table_unref);
  g_clear_pointer (&cs->by_leaf_name, g_hash_table_unref);
  g_clear_pointer (&cs->leaves, g_ptr_array_unref);
  g_clear_pointer (&cs->queues, g_ptr_array_unref);
  g_free (cs);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Capacity, capacity_free)

/* ---- Configuration --------------------------------------------------------------------------- */

static void
parse_acl (Queue *q, const char *text)
{
  g_auto(GStrv) parts = g_strsplit (text, ",", -1);
  g_autoptr(GPtrArray) users = g_ptr_array_new ();

  for (guint i = 0; parts[i]; i++)
    {
      char *u = g_strstrip (parts[i]);

      if (strcmp (u, "*") == 0)
        q->acl_all = TRUE;
      else if (*u)
        g_ptr_array_add (users, g_strdup (u));
    }
  g_ptr_array_add (users, NULL);
  q->acl_users = (char **) g_ptr_array_free (g_steal_pointer (&users), FALSE);
}

/* Whether @key of queue @path has its built-in default (was not set by the user). */
static gboolean
is_default (WeftConf *conf, const char *path, const char *key)
{
  g_autofree char *full = g_strdup_printf ("queue.%s.%s", path, key);

  return g_strcmp0 (weft_conf_origin (conf, full), "default") == 0;
}

/* Reads queue @path from @conf (which must define it). */
static Queue *
queue_read (WeftConf *conf, const char *path)
{
  Queue *q = g_new0 (Queue, 1);
  const char *dot = strrchr (path, '.');

  q->path = g_strdup (path);
  q->name = q->path + (dot ? dot - path + 1 : 0);
  q->children = g_ptr_array_new ();
  q->capacity = weft_conf_get_instance_double (conf, "queue", path, "capacity");
  q->max_capacity = weft_conf_get_instance_double (conf, "queue", path, "max-capacity");
  q->user_limit_factor = weft_conf_get_instance_double (conf, "queue", path, "user-limit-factor");
  q->min_user_limit = (double) weft_conf_get_instance_int (conf, "queue", path, "minimum-user-limit-percent") / 100.0;
  q->max_am_share = weft_conf_get_instance_double (conf, "queue", path, "max-am-share");
  q->own_stopped = g_strcmp0 (weft_conf_get_instance_string (conf, "queue", path, "state"), "stopped") == 0;
  /* As in YARN, only root's ACL defaults to everyone; a queue that sets none adds nobody to what
   * it inherits (rights hold on a whole subtree), so that restricting root restricts everything. */
  if (strcmp (path, "root") == 0 || !is_default (conf, path, "acl-submit"))
    parse_acl (q, weft_conf_get_instance_string (conf, "queue", path, "acl-submit"));
  else
    q->acl_users = g_new0 (char *, 1);
  q->leaf = -1;
  return q;
}


/* Checks sums and bounds, computes absolute shares and effective states, top-down. */
static gboolean
check_tree (Capacity *cs, WeftConf *conf, GError **error)
{
  for (guint i = 0; i < cs->queues->len; i++)
    {
      Queue *q = g_ptr_array_index (cs->queues, i);
      Queue *p = q->parent;

      if (!p)
        {
          q->abs_cap = q->abs_max = 1.0;
          q->stopped = q->own_stopped;
        }
      else
        {
          if (q->max_capacity < q->capacity)
            {
              g_set_error (error, RM_SCHEDULER_ERROR, RM_SCHEDULER_ERROR_CONFIG,
                           "queue %s: max-capacity %g is below its capacity %g", q->path,
                           q->max_capacity, q->capacity);
              return FALSE;
            }
          if (p->stopped && !q->own_stopped && !is_default (conf, q->path, "state"))
            {
              g_set_error (error, RM_SCHEDULER_ERROR, RM_SCHEDULER_ERROR_CONFIG,
                           "queue %s: state is running but %s above it is stopped; a queue under a "
                           "stopped queue is stopped too (drop its state key)",
                           q->path, p->path);
              return FALSE;
            }
          q->abs_cap = p->abs_cap * q->capacity / 100.0;
          q->abs_max = p->abs_max * q->max_capacity / 100.0;
          q->stopped = q->own_stopped || p->stopped;
        }

      if (q->children->len > 0)
        {
          double sum = 0;
          g_autoptr(GString) list = g_string_new (NULL);

          for (guint c = 0; c < q->children->len; c++)
            {
              Queue *ch = g_ptr_array_index (q->children, c);

              sum += ch->capacity;
              g_string_append_printf (list, "%s%s %g", c ? ", " : "", ch->path, ch->capacity);
            }
          if (ABS (sum - 100.0) > 0.01)
            {
              g_set_error (error, RM_SCHEDULER_ERROR, RM_SCHEDULER_ERROR_CONFIG,
                           "the capacities of the children of queue %s sum to %g (%s); they must sum to 100",
                           q->path, sum, list->str);
              return FALSE;
            }
        }
      else
        {
          Queue *other = g_hash_table_lookup (cs->by_leaf_name, q->name);

          if (other)
            {
              g_set_error (error, RM_SCHEDULER_ERROR, RM_SCHEDULER_ERROR_CONFIG,
                           "queues %s and %s: leaf queue name '%s' is used twice; leaf names must be "
                           "unique, since an application may name its queue by the leaf name alone",
                           other->path, q->path, q->name);
              return FALSE;
            }
          g_hash_table_insert (cs->by_leaf_name, (gpointer) q->name, q);
          q->leaf = (int) cs->leaves->len;
          g_ptr_array_add (cs->leaves, q);
        }
    }
  return TRUE;
}

static gpointer
capacity_create (WeftConf *conf, GError **error)
{
  g_autoptr(Capacity) cs = g_new0 (Capacity, 1);
  g_auto(GStrv) names = weft_conf_list_instances (conf, "queue");
  g_autoptr(WeftConf) defaults = weft_conf_new ();
  WeftConf *src = conf;

  cs->queues = g_ptr_array_new_with_free_func ((GDestroyNotify) queue_free);
  cs->leaves = g_ptr_array_new ();
  cs->by_path = g_hash_table_new (g_str_hash, g_str_equal);
  cs->by_leaf_name = g_hash_table_new (g_str_hash, g_str_equal);

  /* Queues left out take the table's defaults: define them in a scratch configuration and read
   * them back, so the defaults stay in weft-conf's table and nowhere else. */
  if (!weft_conf_set (defaults, "queue.root.state=running", error))
    return NULL;
  if (!names[0])
    {
      g_strfreev (names);
      names = g_new0 (char *, 3);
      names[0] = g_strdup ("root");
      names[1] = g_strdup ("root.default");
      if (!weft_conf_set (defaults, "queue.root.default.capacity=100", error))
        return NULL;
      src = defaults;
    }

  if (strcmp (names[0], "root") != 0)
    {
      Queue *root = queue_read (defaults, "root");

      g_ptr_array_add (cs->queues, root);
      g_hash_table_insert (cs->by_path, root->path, root);
    }
  /* Instance names come sorted, so every parent (a prefix) comes before its children. */
  for (guint i = 0; names[i]; i++)
    {
      const char *path = names[i];
      g_autofree char *parent_path = NULL;
      Queue *q, *parent = NULL;

      if (strcmp (path, "root") != 0)
        {
          if (!g_str_has_prefix (path, "root."))
            {
              g_set_error (error, RM_SCHEDULER_ERROR, RM_SCHEDULER_ERROR_CONFIG,
                           "queue %s: queue paths start at root (e.g. [queue.root.%s])", path, path);
              return NULL;
            }
          parent_path = g_strndup (path, (gsize) (strrchr (path, '.') - path));
          parent = g_hash_table_lookup (cs->by_path, parent_path);
          if (!parent)
            {
              g_set_error (error, RM_SCHEDULER_ERROR, RM_SCHEDULER_ERROR_CONFIG,
                           "queue %s: its parent queue %s is not defined (add a [queue.%s] group)",
                           path, parent_path, parent_path);
              return NULL;
            }
        }
      q = queue_read (src, path);
      q->parent = parent;
      q->index = cs->queues->len;
      g_ptr_array_add (cs->queues, q);
      g_hash_table_insert (cs->by_path, q->path, q);
      if (parent)
        g_ptr_array_add (parent->children, q);
    }
  cs->root = g_ptr_array_index (cs->queues, 0);

  if (!check_tree (cs, src, error))
    return NULL;
  return g_steal_pointer (&cs);
}

static void
capacity_destroy (gpointer state)
{
  capacity_free (state);
}

/* The leaf @name names (full path first, then leaf name), or a parent queue, or NULL. */
static Queue *
lookup_queue (Capacity *cs, const char *name)
{
  Queue *q = name ? g_hash_table_lookup (cs->by_path, name) : NULL;

  if (!q && name)
    q = g_hash_table_lookup (cs->by_leaf_name, name);
  return q;
}

static char *
leaf_list (Capacity *cs, Queue *under)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < cs->leaves->len; i++)
    {
      Queue *l = g_ptr_array_index (cs->leaves, i);

      if (under && !g_str_has_prefix (l->path, under->path))
        continue;
      if (under && l->path[strlen (under->path)] != '.')
        continue;
      g_string_append_printf (s, "%s%s", s->len ? ", " : "", l->path);
    }
  return g_string_free (s, FALSE);
}

static gboolean
acl_allows (Queue *q, const char *user)
{
  /* As in YARN, a right granted on a queue holds on its whole subtree. */
  for (; q; q = q->parent)
    if (q->acl_all || g_strv_contains ((const char *const *) q->acl_users, user))
      return TRUE;
  return FALSE;
}

static gboolean
capacity_check_submit (gpointer state, const char *queue, const char *user, char **out_queue,
                       GError **error)
{
  Capacity *cs = state;
  Queue *q = lookup_queue (cs, queue);

  if (!q)
    {
      g_autofree char *leaves = leaf_list (cs, NULL);

      g_set_error (error, RM_SCHEDULER_ERROR, RM_SCHEDULER_ERROR_UNKNOWN_QUEUE,
                   "unknown queue '%s' (leaf queues: %s)", queue, leaves);
      return FALSE;
    }
  if (q->leaf < 0)
    {
      g_autofree char *leaves = leaf_list (cs, q);

      g_set_error (error, RM_SCHEDULER_ERROR, RM_SCHEDULER_ERROR_NOT_A_LEAF,
                   "queue %s is a parent queue; submit to one of its leaves: %s", q->path, leaves);
      return FALSE;
    }
  if (q->stopped)
    {
      Queue *s = q;

      while (!s->own_stopped)
        s = s->parent;
      if (s == q)
        g_set_error (error, RM_SCHEDULER_ERROR, RM_SCHEDULER_ERROR_QUEUE_STOPPED,
                     "queue %s is stopped and accepts no new applications", q->path);
      else
        g_set_error (error, RM_SCHEDULER_ERROR, RM_SCHEDULER_ERROR_QUEUE_STOPPED,
                     "queue %s is stopped (its ancestor %s is stopped) and accepts no new applications",
                     q->path, s->path);
      return FALSE;
    }
  if (!acl_allows (q, user))
    {
      g_set_error (error, RM_SCHEDULER_ERROR, RM_SCHEDULER_ERROR_ACCESS_DENIED,
                   "user '%s' may not submit to queue %s (not in acl-submit of it or its ancestors)",
                   user, q->path);
      return FALSE;
    }
  *out_queue = g_strdup (q->path);
  return TRUE;
}

/* ---- Assignment ------------------------------------------------------------------------------ */

/* A user within one leaf. */
typedef struct
{
  RmResource used;  /* in this leaf */
  GArray *apps;     /* (element-type guint) its applications with asks to serve, submit order */
  guint head;       /* first of apps that may still have work */
  guint stamp;      /* == Ctx.stamp: refused for the user limit since the leaf last granted */
} User;

typedef struct
{
  GHashTable *users;  /* user name -> User, owned */
  GPtrArray *live;    /* users with work left, not owned */
  guint n_active;     /* users with work when the call started */
  RmResource am_used; /* AM resources of its applications with their AM granted */
  guint n_am;
} Leaf;

typedef struct
{
  Capacity *cs;
  const RmSchedSnapshot *snap;
  RmSchedPlacer *placer;
  GArray *out;
  double inv_vcores, inv_mem; /* 1 / cluster total, or 0 if the total is 0 */
  RmResource *qused;          /* per queue */
  gboolean *qdead;            /* per queue: nothing more to grant below it in this call */
  Leaf *leaves;
  guint *off;                 /* per app: its asks' first slot in order/remaining */
  guint *order;               /* per slot: ask index, sorted by priority within each app */
  guint *remaining;           /* per slot of order: containers still to grant; 0 when refused */
  guint *cur;                 /* per app: first slot (of its own) that may still have work */
  guint stamp;
} Ctx;

static void
user_free (User *u)
{
  g_array_unref (u->apps);
  g_free (u);
}

static inline double
share (const Ctx *c, RmResource r)
{
  return MAX ((double) r.vcores * c->inv_vcores, (double) r.memory_mb * c->inv_mem);
}

/* The first slot of application @a with containers to grant, or G_MAXUINT. */
static guint
app_next_slot (Ctx *c, guint a)
{
  guint n = c->snap->apps[a].n_asks;

  while (c->cur[a] < n && c->remaining[c->off[a] + c->cur[a]] == 0)
    c->cur[a]++;
  return c->cur[a] < n ? c->off[a] + c->cur[a] : G_MAXUINT;
}

/* The first application of @u with work, or G_MAXUINT. */
static guint
user_next_app (Ctx *c, User *u)
{
  while (u->head < u->apps->len)
    {
      guint a = g_array_index (u->apps, guint, u->head);

      if (app_next_slot (c, a) != G_MAXUINT)
        return a;
      u->head++;
    }
  return G_MAXUINT;
}

static gboolean
user_limit_allows (Ctx *c, Queue *leaf, Leaf *l, User *u, RmResource cap)
{
  RmResource qused = c->qused[leaf->index];
  double base = leaf->abs_cap;
  double cur = share (c, qused) < base ? base : share (c, rm_resource_add (qused, cap));
  double limit = MAX (cur / MAX (l->n_active, 1), cur * leaf->min_user_limit);

  limit = MIN (limit, base * leaf->user_limit_factor);
  return share (c, u->used) < limit - EPS;
}

static gboolean
am_limit_allows (Ctx *c, Queue *leaf, Leaf *l, RmResource cap)
{
  /* YARN lets the first AM into an empty queue whatever its size, or a small queue would never
   * start anything. */
  if (l->n_am == 0)
    return TRUE;
  return share (c, rm_resource_add (l->am_used, cap)) <= leaf->max_am_share * leaf->abs_max + EPS;
}

static gboolean
max_capacity_allows (Ctx *c, Queue *leaf, RmResource cap)
{
  for (Queue *q = leaf; q; q = q->parent)
    if (share (c, rm_resource_add (c->qused[q->index], cap)) > q->abs_max + EPS)
      return FALSE;
  return TRUE;
}

/* Grants one container in @leaf if anything there can have one. Returns: whether it did. */
static gboolean
try_leaf (Ctx *c, Queue *leaf)
{
  Leaf *l = &c->leaves[leaf->leaf];

  c->stamp++;
  for (;;)
    {
      User *best = NULL;
      guint best_app = G_MAXUINT, slot, k;
      const RmSchedApp *app;
      const RmSchedAsk *ask;
      RmSchedAssignment as;
      int node = -1;

      /* FIFO across users: the user whose next application was submitted first, among those the
       * user limit has not just refused. */
      for (guint i = 0; i < l->live->len;)
        {
          User *u = g_ptr_array_index (l->live, i);
          guint a = user_next_app (c, u);

          if (a == G_MAXUINT)
            {
              g_ptr_array_remove_index_fast (l->live, i);
              continue;
            }
          if (u->stamp != c->stamp && a < best_app)
            {
              best = u;
              best_app = a;
            }
          i++;
        }
      if (!best)
        return FALSE;

      slot = app_next_slot (c, best_app);
      k = c->order[slot];
      app = &c->snap->apps[best_app];
      ask = &app->asks[k];

      if (!user_limit_allows (c, leaf, l, best, ask->capability))
        {
          best->stamp = c->stamp;
          continue;
        }
      if ((ask->is_am && !am_limit_allows (c, leaf, l, ask->capability)) ||
          !max_capacity_allows (c, leaf, ask->capability) ||
          (node = rm_sched_placer_place (c->placer, ask)) < 0)
        {
          /* These limits only tighten during the call: drop the ask until the next one. */
          c->remaining[slot] = 0;
          continue;
        }

      as = (RmSchedAssignment){ best_app, k, (guint) node, ask->capability };
      g_array_append_val (c->out, as);
      c->remaining[slot]--;
      for (Queue *q = leaf; q; q = q->parent)
        c->qused[q->index] = rm_resource_add (c->qused[q->index], ask->capability);
      best->used = rm_resource_add (best->used, ask->capability);
      if (ask->is_am)
        {
          l->am_used = rm_resource_add (l->am_used, ask->capability);
          l->n_am++;
        }
      return TRUE;
    }
}

static double
ratio (Ctx *c, Queue *q)
{
  double used = share (c, c->qused[q->index]);

  /* A queue with no guarantee only gets what the others leave. */
  return q->abs_cap > 0 ? used / q->abs_cap : 1e12 + used;
}

/* The leaf to serve next: down from root, into the least-served child at each level. */
static Queue *
pick_leaf (Ctx *c)
{
  Queue *q = c->cs->root;

  while (!c->qdead[c->cs->root->index])
    {
      Queue *best = NULL;
      double best_ratio = 0;

      if (q->children->len == 0)
        return q;
      for (guint i = 0; i < q->children->len; i++)
        {
          Queue *ch = g_ptr_array_index (q->children, i);
          double r;

          if (c->qdead[ch->index])
            continue;
          r = ratio (c, ch);
          if (!best || r < best_ratio)
            {
              best = ch;
              best_ratio = r;
            }
        }
      if (best)
        q = best;
      else
        {
          c->qdead[q->index] = TRUE;
          q = c->cs->root;
        }
    }
  return NULL;
}

static void
leaf_clear (Leaf *l)
{
  g_clear_pointer (&l->users, g_hash_table_unref);
  g_clear_pointer (&l->live, g_ptr_array_unref);
}

static void
capacity_assign (gpointer state, const RmSchedSnapshot *snap, GArray *out)
{
  Capacity *cs = state;
  g_autoptr(RmSchedPlacer) placer = rm_sched_placer_new (snap);
  RmResource total = rm_sched_placer_total (placer);
  guint n_queues = cs->queues->len, n_slots = 0;
  g_autofree RmResource *qused = g_new0 (RmResource, n_queues);
  g_autofree gboolean *qdead = g_new0 (gboolean, n_queues);
  g_autofree Leaf *leaves = g_new0 (Leaf, cs->leaves->len);
  g_autofree guint *off = g_new (guint, snap->n_apps + 1);
  g_autofree guint *cur = g_new0 (guint, MAX (snap->n_apps, 1));
  g_autofree guint *order = NULL;
  g_autofree guint *remaining = NULL;
  Ctx c = { 0 };
  Queue *leaf;

  for (guint a = 0; a < snap->n_apps; a++)
    {
      off[a] = n_slots;
      n_slots += snap->apps[a].n_asks;
    }
  off[snap->n_apps] = n_slots;
  order = g_new (guint, MAX (n_slots, 1));
  remaining = g_new0 (guint, MAX (n_slots, 1));

  c.cs = cs;
  c.snap = snap;
  c.placer = placer;
  c.out = out;
  c.inv_vcores = total.vcores > 0 ? 1.0 / (double) total.vcores : 0;
  c.inv_mem = total.memory_mb > 0 ? 1.0 / (double) total.memory_mb : 0;
  c.qused = qused;
  c.qdead = qdead;
  c.leaves = leaves;
  c.off = off;
  c.order = order;
  c.remaining = remaining;
  c.cur = cur;

  for (guint i = 0; i < cs->leaves->len; i++)
    {
      leaves[i].users = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) user_free);
      leaves[i].live = g_ptr_array_new ();
    }

  /* Usage of every queue and user; the work each application has. */
  for (guint a = 0; a < snap->n_apps; a++)
    {
      const RmSchedApp *app = &snap->apps[a];
      const char *uname = app->user ? app->user : "";
      Queue *q = lookup_queue (cs, app->queue);
      Leaf *l;
      User *u;
      gboolean work = FALSE;

      if (!q || q->leaf < 0)
        continue; /* check_submit keeps these out; such an application gets nothing */
      l = &leaves[q->leaf];
      for (Queue *p = q; p; p = p->parent)
        qused[p->index] = rm_resource_add (qused[p->index], app->used);
      u = g_hash_table_lookup (l->users, uname);
      if (!u)
        {
          u = g_new0 (User, 1);
          u->apps = g_array_new (FALSE, FALSE, sizeof (guint));
          g_hash_table_insert (l->users, (gpointer) uname, u);
        }
      u->used = rm_resource_add (u->used, app->used);
      if (app->am_allocated)
        {
          l->am_used = rm_resource_add (l->am_used, app->am_resource);
          l->n_am++;
        }

      /* A stopped queue starts no new application, but lets running ones finish. */
      if (q->stopped && !app->am_allocated)
        continue;
      rm_sched_sort_asks (app, &order[off[a]]);
      for (guint k = 0; k < app->n_asks; k++)
        {
          const RmSchedAsk *ask = &app->asks[order[off[a] + k]];

          if (rm_sched_ask_servable (app, ask))
            {
              remaining[off[a] + k] = ask->count;
              work = TRUE;
            }
        }
      if (work)
        {
          if (u->apps->len == 0)
            g_ptr_array_add (l->live, u);
          g_array_append_val (u->apps, a);
        }
    }
  for (guint i = 0; i < cs->leaves->len; i++)
    leaves[i].n_active = leaves[i].live->len;

  while ((leaf = pick_leaf (&c)))
    if (!try_leaf (&c, leaf))
      qdead[leaf->index] = TRUE;

  for (guint i = 0; i < cs->leaves->len; i++)
    leaf_clear (&leaves[i]);
}

static void
capacity_describe_queues (gpointer state, GPtrArray *out)
{
  Capacity *cs = state;
  for (guint i = 0; i < cs->queues->len; i++)
    {
      const Queue *q = cs->queues->pdata[i];
      RmQueueDesc *d = g_new0 (RmQueueDesc, 1);
      *d = (RmQueueDesc) { .path = g_strdup (q->path), .capacity = q->parent ? q->capacity : 100,
                           .max_capacity = q->parent ? q->max_capacity : 100,
                           .abs_capacity = q->abs_cap * 100, .abs_max_capacity = q->abs_max * 100,
                           .user_limit_factor = q->user_limit_factor,
                           .max_am_share = q->max_am_share, .stopped = q->stopped,
                           .leaf = q->leaf >= 0 };
      d->children = g_new0 (char *, q->children->len + 1);
      for (guint k = 0; k < q->children->len; k++)
        d->children[k] = g_strdup (((const Queue *) q->children->pdata[k])->path);
      g_ptr_array_add (out, d);
    }
}

const RmSchedulerOps rm_sched_capacity_ops = {
  .abi_version = RM_SCHEDULER_ABI_VERSION,
  .name = "capacity",
  .create = capacity_create,
  .destroy = capacity_destroy,
  .check_submit = capacity_check_submit,
  .assign = capacity_assign,
  .describe_queues = capacity_describe_queues,
};
