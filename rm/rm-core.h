/* rm-core: the resource manager's state and logic: nodes, applications and
 * their attempts, containers, asks, tokens; scheduling through the
 * scheduler plugin, node and AM expiry, AM launch and retry. Every function
 * runs on the thread that owns the RM's main context (the RPC handlers get
 * there through weft_dispatch_call), so nothing here takes a lock. No
 * Thrift types: the handlers convert (rm-convert.c). */
#pragma once

#include <glib.h>

#include "rm/sched/rm-scheduler.h"
#include "weft-conf.h"
#include "weft-ids.h"
#include "weft-token.h"

G_BEGIN_DECLS

#define RM_ERROR (rm_error_quark ())
GQuark rm_error_quark (void);

/* Codes match the IDL's ErrorCode so handlers can pass them through. */
typedef enum {
  RM_ERROR_INVALID_ARGUMENT = 2,
  RM_ERROR_NOT_FOUND = 3,
  RM_ERROR_ALREADY_EXISTS = 4,
  RM_ERROR_PERMISSION_DENIED = 5,
  RM_ERROR_UNAUTHENTICATED = 6,
  RM_ERROR_RESOURCE_EXHAUSTED = 7,
  RM_ERROR_FAILED_PRECONDITION = 8,
} RmError;

/* States and reasons use the IDL's numbers (checked in rm-convert.c). */
typedef enum {
  RM_APP_NEW = 1, RM_APP_SUBMITTED, RM_APP_ACCEPTED, RM_APP_RUNNING,
  RM_APP_FINISHED, RM_APP_FAILED, RM_APP_KILLED,
} RmAppState;

typedef enum { RM_FINAL_UNDEFINED = 0, RM_FINAL_SUCCEEDED, RM_FINAL_FAILED, RM_FINAL_KILLED } RmFinalStatus;

typedef enum {
  RM_NODE_NEW = 1, RM_NODE_RUNNING, RM_NODE_UNHEALTHY, RM_NODE_DECOMMISSIONING,
  RM_NODE_DECOMMISSIONED, RM_NODE_LOST, RM_NODE_SHUTDOWN,
} RmNodeState;

typedef enum { RM_CONTAINER_NEW = 1, RM_CONTAINER_LOCALIZING, RM_CONTAINER_RUNNING, RM_CONTAINER_COMPLETE } RmContainerState;

typedef enum {
  RM_EXIT_NONE = 0, RM_EXIT_SUCCEEDED, RM_EXIT_FAILED, RM_EXIT_KILLED_BY_AM, RM_EXIT_KILLED_BY_RM,
  RM_EXIT_MEMORY_EXCEEDED, RM_EXIT_NODE_LOST, RM_EXIT_PREEMPTED, RM_EXIT_LAUNCH_FAILED,
  RM_EXIT_EXPIRED, RM_EXIT_KILLED_AFTER_APP_COMPLETION,
} RmExitReason;

typedef struct {
  char *name;
  char *source;
  gint64 size;
  char *sha256;
  gboolean executable;
} RmLocalResource;

/* What the NM runs: argv, environment, files to localize. */
typedef struct {
  GStrv argv;
  GHashTable *env;        /* char* -> char* */
  GPtrArray *resources;   /* RmLocalResource* */
} RmLaunchSpec;

RmLaunchSpec *rm_launch_spec_new (void);
RmLaunchSpec *rm_launch_spec_copy (const RmLaunchSpec *spec);
void rm_launch_spec_free (RmLaunchSpec *spec);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RmLaunchSpec, rm_launch_spec_free)

typedef struct {
  char *container_id;
  RmContainerState state;
  RmExitReason reason;
  gint32 exit_code;
  char *diagnostics;
  gint64 memory_limit_bytes;
  gint64 memory_peak_bytes;
} RmContainerStatus;

RmContainerStatus *rm_container_status_copy (const RmContainerStatus *s);
void rm_container_status_free (RmContainerStatus *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RmContainerStatus, rm_container_status_free)

typedef struct {
  char *id;
  char *app_id;
  char *node_id;
  char *node_http_address;
  RmResource resource;
  int priority;
  gboolean is_am;
  RmContainerState state;
  RmContainerStatus status;  /* exit details once COMPLETE */
  WeftToken *token;          /* the container token the NM checks */
  gint64 allocated_ms, finish_ms;
} RmContainer;

typedef struct {
  char *node_id;             /* host:port of its container manager */
  char *http_address;
  char *rack;
  char *version;
  RmNodeState state;
  RmResource capability;
  RmResource used;
  GHashTable *containers;    /* id -> RmContainer* (owned by their applications) */
  GPtrArray *to_stop;        /* RmContainerStatus*: stops to send on the next heartbeat */
  char *health_report;
  gint64 last_heartbeat_us;  /* monotonic */
  gint64 last_heartbeat_ms;  /* wall clock, for reports */
  gint64 response_id;
} RmNode;

typedef struct {
  int priority;
  char *resource_name;
  gboolean relax_locality;
  RmResource capability;
  guint count;
} RmAsk;

typedef struct {
  char *id;
  WeftAppId aid;
  char *name, *queue, *user, *type;
  RmResource am_resource;
  RmLaunchSpec *am_launch;
  guint max_attempts;
  gboolean unmanaged;
  RmAppState state;
  RmFinalStatus final_status;
  GString *diagnostics;
  gint64 submit_ms, start_ms, finish_ms;
  double progress;
  char *progress_detail;      /* (nullable) the AM's last word on its progress, sanitized */

  /* The current attempt. */
  guint attempt;
  char *attempt_id;
  WeftToken *am_token;
  RmContainer *am_container;
  gboolean am_registered;
  char *am_host;
  int am_rpc_port;
  char *tracking_url;
  gint64 last_am_contact_us;
  gboolean am_asked;          /* the AM container's ask is pending */

  GHashTable *containers;     /* id -> RmContainer*, live and completed of this attempt (owned) */
  RmResource used;
  GPtrArray *asks;            /* RmAsk* */
  GPtrArray *new_containers;  /* RmContainer*: granted, not yet given to the AM */
  GPtrArray *completed;       /* RmContainerStatus*: not yet told to the AM */
  GPtrArray *node_updates;    /* RmNode ids whose state changed, not yet told to the AM */
  guint64 next_container_seq;
  GPtrArray *waiters;         /* WeftWaiter*: allocate calls waiting for a grant */
} RmApp;

typedef struct {
  char *application_id;
  char *name, *queue, *user, *type;
  RmResource am_resource;
  RmLaunchSpec *am_launch;
  guint max_attempts;
  gboolean unmanaged;
} RmSubmission;

typedef struct {
  int nodes_total, nodes_active, nodes_lost, nodes_unhealthy, nodes_decommissioned;
  int apps_submitted, apps_pending, apps_running, apps_completed, apps_failed, apps_killed;
  RmResource total, used, available;
  int containers_allocated, containers_pending;
} RmMetrics;

/* Launching an AM container is I/O (an RPC to the node's NM); the core asks
 * the host (rm-main) to do it and is told the result through
 * rm_core_am_launched(). */
typedef void (*RmLaunchAmFunc) (const RmContainer *container, const RmLaunchSpec *spec,
                                GHashTable *env, gpointer user_data);

typedef struct _RmCore RmCore;

/**
 * rm_core_new:
 * @secret: (nullable) (transfer none): the cluster secret; NULL = security off
 * Returns: (transfer full) the RM's state, with its scheduler from @conf.
 */
RmCore *rm_core_new (WeftConf *conf, WeftSecret *secret, GError **error);
void rm_core_free (RmCore *core);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RmCore, rm_core_free)

/** rm_core_set_launcher: How AM containers are started (see RmLaunchAmFunc). */
void rm_core_set_launcher (RmCore *core, RmLaunchAmFunc func, gpointer user_data);
/** rm_core_set_addresses: What AMs are told in their environment (host:port). */
void rm_core_set_addresses (RmCore *core, const char *client, const char *scheduler);

gint64 rm_core_cluster_ts (RmCore *core);
WeftSecret *rm_core_secret (RmCore *core);

/* ---- clients ---- */
char *rm_core_new_application (RmCore *core, const char *user, RmResource *max_resource);
/** rm_core_app_owner: (transfer none) who asked for or submitted @app_id, or NULL. */
const char *rm_core_app_owner (RmCore *core, const char *app_id);
/** rm_core_set_on_app_end: @func runs (main thread) when an application ends. */
void rm_core_set_on_app_end (RmCore *core, void (*func) (const char *app_id, gpointer data),
                             gpointer data);
/** rm_core_max_resource: the largest vcores and memory of any running node. */
void rm_core_max_resource (RmCore *core, RmResource *max_resource);
gboolean rm_core_submit (RmCore *core, const RmSubmission *sub, GError **error);
RmApp *rm_core_get_app (RmCore *core, const char *app_id, GError **error);
/** (transfer container) RmApp* in submit order, filtered (NULL/empty = any). */
GPtrArray *rm_core_list_apps (RmCore *core, const RmAppState *states, guint n_states,
                              const char *queue, const char *user);
gboolean rm_core_kill_app (RmCore *core, const char *app_id, const char *diagnostics, GError **error);
RmNode *rm_core_get_node (RmCore *core, const char *node_id, GError **error);
/** (transfer container) RmNode* sorted by id, filtered by state (none = all but DECOMMISSIONED/LOST? no: all). */
GPtrArray *rm_core_list_nodes (RmCore *core, const RmNodeState *states, guint n_states);
void rm_core_metrics (RmCore *core, RmMetrics *out);
RmScheduler *rm_core_scheduler (RmCore *core);

typedef struct {
  RmQueueDesc *desc;          /* as configured */
  RmResource used;            /* by the applications in it (and below it) */
  double used_capacity;       /* percent of the cluster, by the dominant resource */
  int num_applications;       /* not yet ended */
  int num_pending;            /* accepted, AM not yet running */
} RmQueueReport;

void rm_queue_report_free (RmQueueReport *q);
/** rm_core_list_queues: (transfer full) RmQueueReport*, parents first. */
GPtrArray *rm_core_list_queues (RmCore *core);
gboolean rm_core_decommission (RmCore *core, const char *node_id, GError **error);

/* ---- node managers ---- */
typedef struct {
  char *node_id, *http_address, *rack, *version;
  RmResource capability;
} RmNodeRegistration;

gboolean rm_core_register_node (RmCore *core, const RmNodeRegistration *reg, GError **error);
/* What a node must do after a heartbeat (the IDL's NodeAction numbers). */
typedef enum { RM_NODE_ACTION_NORMAL = 1, RM_NODE_ACTION_RESYNC, RM_NODE_ACTION_SHUTDOWN } RmNodeAction;

/**
 * rm_core_node_heartbeat:
 * @statuses: RmContainerStatus* reported by the node
 * @to_stop: (out) (transfer full) RmContainerStatus* the node must stop (reason = why)
 * @action: (out) RESYNC: the RM does not know the node (restarted, or the node
 *   was declared LOST): it must stop its containers and register again;
 *   SHUTDOWN: decommissioned.
 */
void rm_core_node_heartbeat (RmCore *core, const char *node_id, GPtrArray *statuses,
                             gboolean healthy, const char *health_report,
                             GPtrArray **to_stop, RmNodeAction *action);

/* ---- application masters ---- */
/** Finds the application whose current attempt is @attempt_id (from the AM token). */
RmApp *rm_core_app_for_attempt (RmCore *core, const char *attempt_id, GError **error);
gboolean rm_core_register_am (RmCore *core, RmApp *app, const char *host, int rpc_port,
                              const char *tracking_url, GError **error);
/* The most of an AM's progress detail the RM keeps, in bytes. */
#define RM_PROGRESS_DETAIL_MAX 256

/**
 * rm_core_allocate:
 * Records @asks (replacing earlier asks of the same priority, resource name
 * and capability, as YARN does) and @releases, runs the scheduler, and moves
 * what the AM has not yet been told into the out arrays (transfer full).
 * @progress_detail: (nullable): what the AM says it is doing, kept for
 *   reports; NULL leaves the last one. Any bytes are taken: see
 *   rm_core_progress_detail_sanitize().
 */
gboolean rm_core_allocate (RmCore *core, RmApp *app, GPtrArray *asks, GStrv releases,
                           double progress, const char *progress_detail, GPtrArray **allocated,
                           GPtrArray **completed, GPtrArray **node_updates, GError **error);

/**
 * rm_core_progress_detail_sanitize:
 * What the RM keeps of an AM's progress detail: invalid UTF-8 replaced by
 * U+FFFD, control characters (a terminal would obey them) by spaces, cut at a
 * character boundary to at most RM_PROGRESS_DETAIL_MAX bytes. Never fails.
 * Returns: (transfer full) the text.
 */
char *rm_core_progress_detail_sanitize (const char *detail);
/** rm_core_has_news: something is waiting to be told to the AM. */
gboolean rm_core_has_news (RmApp *app);
gboolean rm_core_finish_am (RmCore *core, RmApp *app, RmFinalStatus status,
                            const char *diagnostics, const char *tracking_url, GError **error);

/* ---- from the AM launcher ---- */
void rm_core_am_launched (RmCore *core, const char *container_id, gboolean ok,
                          const char *diagnostics);

/** rm_core_wake_all: wakes every waiting allocate call (shutdown). */
void rm_core_wake_all (RmCore *core);

/* ---- periodic ---- */
/** rm_core_tick: expiry of silent nodes and AMs; call every few hundred ms. */
void rm_core_tick (RmCore *core);

/** rm_core_values: (transfer container) the values of @table (GLib 2.74 lacks it). */
GPtrArray *rm_core_values (GHashTable *table);

/* Helpers for reports. */
const char *rm_app_state_name (RmAppState s);
const char *rm_node_state_name (RmNodeState s);

G_END_DECLS
