/* weft-cluster-rpc: the driver's wire edge to its executors (thrift/executor.thrift), the only
 * file of the cluster backend that sees generated Thrift types. It serves DriverEndpoint,
 * checking every call's application token before anything else and handing plain values to
 * the backend's callbacks (called on server threads), and calls ExecutorEndpoint on executors
 * (launch, stop). Tasks and outcomes pass through as bytes (weft-task-rpc). */
#pragma once

#include <glib.h>

#include "weft-rpc.h"
#include "weft-task.h"
#include "weft-token.h"

G_BEGIN_DECLS

typedef struct {
  char *executor_id;
  char *host;
  guint port;
  guint cores;
  gint64 memory_bytes;
  char *container_id;
  char *node_id;
} WeftClusterHello;

/* How far one of an executor's running tasks has got, from its heartbeat. */
typedef struct {
  guint64 task_id;
  WeftTaskMetrics metrics;      /* so far: run_ms is the time so far; spill_bytes is not sent */
} WeftClusterTaskMetrics;

typedef struct {
  /* Returns FALSE with @error to refuse the executor (unknown id, stopping). */
  gboolean (*registered) (gpointer data, const WeftClusterHello *hello, gint64 *heartbeat_ms,
                          GHashTable *conf_out, GError **error);
  /* @outcomes: GBytes* each an encoded WeftTaskOutcome. */
  void (*outcomes) (gpointer data, const char *executor_id, GPtrArray *outcomes);
  /* @metrics: (array length=n_metrics) what the executor says of its running tasks (none from
   * an executor that sends no metrics). Returns whether the executor should stop; sets
   * *reregister for an unknown executor. */
  gboolean (*heartbeat) (gpointer data, const char *executor_id, const gint64 *running,
                         guint n_running, const WeftClusterTaskMetrics *metrics,
                         guint n_metrics, gboolean *reregister);
} WeftClusterHandlers;

typedef struct _WeftClusterServer WeftClusterServer;

/**
 * weft_cluster_server_start:
 * Serves DriverEndpoint on @host (ephemeral port) for application @app_id; calls whose token
 * does not verify with @secret are refused before any callback runs.
 * Returns: (transfer full) the server, or NULL.
 */
WeftClusterServer *weft_cluster_server_start (const char *host, const char *app_id,
                                              const WeftSecret *secret,
                                              const WeftClusterHandlers *handlers, gpointer data,
                                              const WeftRpcOptions *opts, GError **error);
guint16 weft_cluster_server_get_port (WeftClusterServer *server);
void weft_cluster_server_free (WeftClusterServer *server);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WeftClusterServer, weft_cluster_server_free)

typedef struct _WeftClusterExecutor WeftClusterExecutor;

/** weft_cluster_executor_new: a client of the executor at @host:@port, calls signed with @token. */
WeftClusterExecutor *weft_cluster_executor_new (const char *host, guint16 port,
                                                const WeftToken *token, const WeftRpcOptions *opts);
void weft_cluster_executor_free (WeftClusterExecutor *e);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WeftClusterExecutor, weft_cluster_executor_free)

/** weft_cluster_executor_launch: @tasks: GBytes* each an encoded WeftTask. One thread at a time. */
gboolean weft_cluster_executor_launch (WeftClusterExecutor *e, GPtrArray *tasks, GError **error);
gboolean weft_cluster_executor_stop (WeftClusterExecutor *e, const char *reason, GError **error);

G_END_DECLS
