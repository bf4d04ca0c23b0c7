/* nm-node: the node manager's state and logic: the containers of this node,
 * started only with a valid container token issued for this node (HMAC,
 * expiry, first use), run and policed by nm-launcher, stopped on request,
 * reported to the RM, and their logs read back. Runs on the NM's main
 * context (the RPC handlers and the heartbeat thread get there through
 * weft_dispatch_call); no Thrift types. */
#pragma once

#include <glib.h>

#include "nm-cgroup.h"
#include "weft-token.h"

G_BEGIN_DECLS

/* Container states and exit reasons use the IDL's numbers. */
enum { NM_STATE_RUNNING = 3, NM_STATE_COMPLETE = 4 };
enum {
  NM_EXIT_NONE = 0, NM_EXIT_SUCCEEDED = 1, NM_EXIT_FAILED = 2, NM_EXIT_KILLED_BY_AM = 3,
  NM_EXIT_KILLED_BY_RM = 4, NM_EXIT_MEMORY_EXCEEDED = 5, NM_EXIT_LAUNCH_FAILED = 8,
  NM_EXIT_EXPIRED = 9, NM_EXIT_KILLED_AFTER_APP_COMPLETION = 10,
};

typedef struct {
  char *container_id;
  int state;
  int reason;
  int exit_code;
  char *diagnostics;
  gint64 memory_limit_bytes;
  gint64 memory_peak_bytes;
} NmStatus;

void nm_status_free (NmStatus *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NmStatus, nm_status_free)

typedef struct {
  const char *node_id;        /* host:port of this NM's container manager */
  gint64 vcores;
  gint64 memory_mb;
  const char *work_dir;       /* containers' work folders: <work>/<app>/<container> */
  const char *log_dir;        /* containers' logs: <logs>/<app>/<container>/{stdout,stderr} */
  WeftSecret *secret;         /* (nullable): NULL = security off, tokens are not checked */
  NmCgroupManager *cgroups;   /* (nullable) */
  guint stop_grace_ms;        /* SIGTERM, then SIGKILL after this */
  const char *rm_client_address;
  const char *rm_scheduler_address;
} NmNodeConfig;

typedef struct _NmNode NmNode;

NmNode *nm_node_new (const NmNodeConfig *config);
void nm_node_free (NmNode *node);

/** nm_node_set_on_change: @func runs (main thread) when a container ends, so the RM can hear at once. */
void nm_node_set_on_change (NmNode *node, void (*func) (gpointer), gpointer data);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NmNode, nm_node_free)

/**
 * nm_node_start_container:
 * @token: (nullable): the container token the RM signed
 * Checks the token (kind, MAC, expiry, this node, never started before)
 * and starts @argv with @env plus the container's own variables, limited to
 * the token's vcores and memory. @localized_dir (nullable) holds files
 * fetched for it: they are moved into its work folder first (and the folder
 * removed, whatever happens). Returns the container id.
 */
char *nm_node_start_container (NmNode *node, const WeftToken *token, const char *const *argv,
                               GHashTable *env, const char *localized_dir, GError **error);

/**
 * nm_node_authorize:
 * May the holder of @token act on @container_id (stop it, read its status
 * or logs)? A container token of the same application (what its AM holds)
 * or a client token signed with the cluster secret (the CLI). Always TRUE
 * with security off.
 */
gboolean nm_node_authorize (NmNode *node, const WeftToken *token, const char *container_id,
                            GError **error);

/** nm_node_stop_container: stops it (SIGTERM to its process group, then SIGKILL); @reason is reported. */
gboolean nm_node_stop_container (NmNode *node, const char *container_id, int reason,
                                 const char *diagnostics, GError **error);

/** nm_node_stop_all: stops every container (resync, shutdown). */
void nm_node_stop_all (NmNode *node, int reason, const char *diagnostics);

/** nm_node_running_count: containers with processes still alive. */
guint nm_node_running_count (NmNode *node);

/** nm_node_get_status: (transfer full) the container's status, or NULL with NOT_FOUND. */
NmStatus *nm_node_get_status (NmNode *node, const char *container_id, GError **error);

/**
 * nm_node_heartbeat_statuses:
 * Returns: (transfer full) NmStatus* of running containers and of completed
 * ones the RM has not yet acknowledged.
 */
GPtrArray *nm_node_heartbeat_statuses (NmNode *node);

/** nm_node_heartbeat_acked: the RM received these statuses (completed ones need not be sent again). */
void nm_node_heartbeat_acked (NmNode *node, GPtrArray *statuses);

/**
 * nm_node_read_log:
 * Reads up to @max_bytes of the container's stdout or stderr from @offset.
 * *@eof is TRUE when the container has ended and the end of the file is
 * reached (a follower can stop).
 */
gboolean nm_node_read_log (NmNode *node, const char *container_id, gboolean is_stderr,
                           gint64 offset, gint32 max_bytes, GBytes **data, gint64 *size,
                           gboolean *eof, GError **error);

G_END_DECLS
