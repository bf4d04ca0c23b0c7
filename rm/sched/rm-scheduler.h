/* rm-scheduler: the RM's scheduler plugins behind one thin wrapper.
 * A scheduler is a pure function of a snapshot of the cluster (nodes, applications in submit order,
 * their pending asks) to a list of assignments (one container each); it does no I/O, takes no locks,
 * reads no clock and sees no Thrift type. Its only state is its parsed configuration (the queue
 * tree), built once by rm_scheduler_new(). Plugins are const tables of RmSchedulerOps selected by
 * the key rm.scheduler; callers use the rm_scheduler_*() wrappers, never the table. */

#pragma once

#include <glib.h>

#include "weft-conf.h"

G_BEGIN_DECLS

#define RM_SCHEDULER_ERROR (rm_scheduler_error_quark ())

typedef enum {
  RM_SCHEDULER_ERROR_CONFIG,        /* a bad queue tree or an unknown scheduler name */
  RM_SCHEDULER_ERROR_UNKNOWN_QUEUE, /* an application names a queue that does not exist */
  RM_SCHEDULER_ERROR_NOT_A_LEAF,    /* an application names a parent queue */
  RM_SCHEDULER_ERROR_QUEUE_STOPPED, /* the queue (or an ancestor) is stopped */
  RM_SCHEDULER_ERROR_ACCESS_DENIED, /* the user is not in the queue's acl-submit */
  RM_SCHEDULER_ERROR_INVALID_ASK,   /* a capability that is zero or negative */
  RM_SCHEDULER_ERROR_ASK_TOO_LARGE, /* an ask no node of the cluster can ever hold */
} RmSchedulerError;

GQuark rm_scheduler_error_quark (void);

/* ---- The snapshot: plain structs, owned by the caller, read-only to the scheduler ---------- */

typedef struct
{
  gint64 vcores;
  gint64 memory_mb;
} RmResource;

/* resource_name of an ask that may go to any node. */
#define RM_SCHED_ANY "*"

typedef struct
{
  const char *id;       /* "host:port" */
  RmResource total;     /* what the node offers to containers */
  RmResource used;      /* what its live containers (and grants not yet launched) hold */
  gboolean schedulable; /* RUNNING and not decommissioning: may receive new containers */
} RmSchedNode;

typedef struct
{
  int priority;              /* lower number = served first, as in YARN */
  const char *resource_name; /* RM_SCHED_ANY or a node id */
  gboolean relax_locality;   /* for a node ask: may fall back to any node when that one is full */
  RmResource capability;     /* of each container */
  guint count;               /* containers still wanted */
  gboolean is_am;            /* the application master's own container */
} RmSchedAsk;

typedef struct
{
  const char *id;          /* "application_..." (for messages only) */
  const char *queue;       /* a leaf queue, by path ("root.prod.etl") or leaf name ("etl"); fifo ignores it */
  const char *user;
  RmResource used;         /* all its live containers, the AM's included */
  RmResource am_resource;  /* the AM container's size */
  gboolean am_allocated;   /* the AM container is granted: until then only is_am asks are served,
                            * after it only the others */
  gboolean finishing;      /* finishing or being killed: keeps what it holds, gets nothing new */
  const RmSchedAsk *asks;
  guint n_asks;
} RmSchedApp;

typedef struct
{
  const RmSchedNode *nodes;
  guint n_nodes;
  const RmSchedApp *apps; /* in submit order: earlier applications come first */
  guint n_apps;
} RmSchedSnapshot;

/* One container to grant: the RM turns it into a container of @app on @node for @ask. */
typedef struct
{
  guint app;           /* index into snapshot->apps */
  guint ask;           /* index into that application's asks */
  guint node;          /* index into snapshot->nodes */
  RmResource resource; /* the ask's capability */
} RmSchedAssignment;

/* A queue as configured (the scheduler's view; usage is added by the RM). */
typedef struct
{
  char *path;              /* "root", "root.prod", ... ("default" for fifo) */
  double capacity;         /* percent of the parent */
  double max_capacity;     /* percent of the parent */
  double abs_capacity;     /* percent of the cluster */
  double abs_max_capacity; /* percent of the cluster */
  double user_limit_factor;
  double max_am_share;
  gboolean stopped;        /* itself or an ancestor */
  gboolean leaf;
  GStrv children;          /* paths */
} RmQueueDesc;

void rm_queue_desc_free (RmQueueDesc *q);

/* ---- The plugin table ------------------------------------------------------------------------ */

#define RM_SCHEDULER_ABI_VERSION 1

/* What a plugin implements. @state is what create() returned. Every function must be a pure
 * function of its arguments and @state, and must not change @state after create(). */
typedef struct
{
  guint abi_version; /* RM_SCHEDULER_ABI_VERSION */
  const char *name;  /* the value of rm.scheduler that selects it */

  /* Parses the plugin's configuration from @conf. Returns: (transfer full) (nullable): the state
   * (non-NULL on success), or NULL with @error set. */
  gpointer (*create) (WeftConf *conf, GError **error);
  void (*destroy) (gpointer state);

  /* May @user submit to @queue? On success sets @out_queue (transfer full) to the canonical queue
   * name the application must carry in later snapshots. */
  gboolean (*check_submit) (gpointer state, const char *queue, const char *user, char **out_queue,
                            GError **error);

  /* Appends RmSchedAssignment values to @out. Never over-commits a node, never serves more than an
   * ask's count, honours locality. */
  void (*assign) (gpointer state, const RmSchedSnapshot *snapshot, GArray *out);

  /* Appends (transfer full) RmQueueDesc* for every queue, parents first. */
  void (*describe_queues) (gpointer state, GPtrArray *out);
} RmSchedulerOps;

/* ---- The wrapper ----------------------------------------------------------------------------- */

typedef struct _RmScheduler RmScheduler;

/**
 * rm_scheduler_new:
 * @name: (nullable): a plugin name ("fifo", "capacity"); NULL for the value of rm.scheduler
 * @conf: the configuration (read only during this call)
 *
 * Picks the built-in plugin @name and lets it parse its configuration: for "capacity" the
 * [queue.*] tree, with errors (RM_SCHEDULER_ERROR_CONFIG) naming the queue and the rule broken.
 *
 * Returns: (transfer full) (nullable): the scheduler, or NULL with @error set.
 */
RmScheduler *rm_scheduler_new (const char *name, WeftConf *conf, GError **error);

/**
 * rm_scheduler_free:
 * @sched: (nullable) (transfer full): a scheduler
 */
void rm_scheduler_free (RmScheduler *sched);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RmScheduler, rm_scheduler_free)

/**
 * rm_scheduler_name:
 *
 * Returns: (transfer none): the plugin's name, e.g. "capacity".
 */
const char *rm_scheduler_name (RmScheduler *sched);

/**
 * rm_scheduler_check_submit:
 * @queue: (nullable): the queue the user asked for; NULL or "" for "default"
 * @user: the submitting user
 * @out_queue: (out) (transfer full) (optional): the canonical queue name to store with the
 *   application and put in later snapshots (for "capacity", the leaf's full path)
 *
 * Whether a new application may enter @queue: the queue exists, is a leaf, is running (and so are
 * its ancestors) and lets @user submit. fifo accepts every queue.
 *
 * Returns: TRUE on success, FALSE with @error set (RM_SCHEDULER_ERROR_UNKNOWN_QUEUE, _NOT_A_LEAF,
 *   _QUEUE_STOPPED, _ACCESS_DENIED).
 */
gboolean rm_scheduler_check_submit (RmScheduler *sched, const char *queue, const char *user,
                                    char **out_queue, GError **error);

/**
 * rm_scheduler_validate_ask:
 * @snapshot: the cluster as it is now (only the nodes are read)
 * @ask: an ask from a submission (the AM resource) or from an AM's allocate call
 *
 * Rejects an ask that could never be granted, so the RM refuses it at once instead of leaving it
 * pending forever: a capability that is not positive (RM_SCHEDULER_ERROR_INVALID_ASK), or one that
 * no schedulable node could hold even when empty (RM_SCHEDULER_ERROR_ASK_TOO_LARGE; the message
 * names the largest node). With no schedulable node at all the ask is accepted: the cluster may be
 * starting, and nothing can be judged yet.
 *
 * Returns: TRUE if the ask may wait for resources, FALSE with @error set.
 */
gboolean rm_scheduler_validate_ask (RmScheduler *sched, const RmSchedSnapshot *snapshot,
                                    const RmSchedAsk *ask, GError **error);

/**
 * rm_scheduler_assign:
 * @snapshot: (transfer none): the cluster, its applications in submit order and their asks
 *
 * Decides which pending asks get containers on which nodes, given the snapshot. Pure: the same
 * snapshot always gives the same answer, and the snapshot is not changed (the caller applies the
 * assignments: node and application usage grow, ask counts shrink). Called from the thread that
 * owns the RM's state; different schedulers may be used from different threads.
 *
 * Returns: (transfer full) (element-type RmSchedAssignment): the assignments, in the order they
 *   were decided; free with g_array_unref().
 */
GArray *rm_scheduler_assign (RmScheduler *sched, const RmSchedSnapshot *snapshot);

/**
 * rm_scheduler_describe_queues:
 *
 * Returns: (transfer full) (element-type RmQueueDesc): the queues as configured, parents before
 *   children (fifo: one queue, "default").
 */
GPtrArray *rm_scheduler_describe_queues (RmScheduler *sched);

G_END_DECLS
