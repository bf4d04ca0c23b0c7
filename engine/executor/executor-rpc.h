/* executor-rpc: weft-executor's wire edge (thrift/executor.thrift), the only code of the executor
 * that sees generated Thrift types. The ExecutorEndpoint handler checks every call's "weft-app"
 * token before anything else, decodes tasks with the checked codec (weft-task-rpc) and hands
 * plain requests to the executor through ExecutorRpcOps; the DriverEndpoint client registers,
 * sends outcomes and heartbeats; the fetcher reads shuffle segments from other executors, one
 * pooled connection per calling thread and peer. Handlers run on RPC worker threads, so the ops
 * must be thread-safe. */
#pragma once

#include <glib.h>
#include <thrift/c_glib/processor/thrift_processor.h>

#include "weft-rpc.h"
#include "weft-task.h"
#include "weft-token.h"

G_BEGIN_DECLS

#define EXECUTOR_ERROR (executor_error_quark ())
GQuark executor_error_quark (void);

/* Errors the ops report; the handler maps each to the IDL's ErrorCode. */
typedef enum {
  EXECUTOR_ERROR_INVALID,        /* INVALID_ARGUMENT: bad bytes, ids out of range */
  EXECUTOR_ERROR_NOT_FOUND,      /* NOT_FOUND: a map output this executor does not hold */
  EXECUTOR_ERROR_EXISTS,         /* ALREADY_EXISTS: a task id already running here */
  EXECUTOR_ERROR_NOT_READY,      /* FAILED_PRECONDITION: not registered yet, or stopping */
  EXECUTOR_ERROR_TOO_LARGE,      /* RESOURCE_EXHAUSTED: an answer past the message limit */
  EXECUTOR_ERROR_IO,             /* INTERNAL: a committed file that cannot be read */
  EXECUTOR_ERROR_CONF,           /* a bad value in the driver's configuration */
} ExecutorError;

/* ---- the ExecutorEndpoint handler ---- */

typedef struct {
  /**
   * launch:
   * @tasks: (element-type WeftTask) (transfer none): decoded tasks; take a reference to keep one
   * Starts them all, or none (FALSE with EXECUTOR_ERROR_EXISTS or _NOT_READY).
   */
  gboolean (*launch) (gpointer data, GPtrArray *tasks, GError **error);
  /**
   * read_segment:
   * Returns: (transfer full) (nullable): the stored frames of @reduce_id of a map output this
   *   executor committed, or NULL with EXECUTOR_ERROR_NOT_FOUND (not ours), _INVALID or _IO.
   */
  GBytes *(*read_segment) (gpointer data, guint shuffle_id, guint map_id, guint reduce_id,
                           GError **error);
  /** stop: the driver (@caller) asks the executor to exit; must return promptly. */
  void (*stop) (gpointer data, const char *caller, const char *reason);
} ExecutorRpcOps;

typedef struct {
  const WeftSecret *secret;      /* (transfer none) the application's secret */
  const char *app_id;
  const ExecutorRpcOps *ops;
  gpointer data;
  gsize max_reply;               /* fetch_segments answers no more segment bytes than this */
} ExecutorRpcConfig;

/**
 * executor_rpc_processor_new:
 * @config: copied (the secret, app id, ops and data must outlive the processor)
 * Returns: (transfer full): the ExecutorEndpoint processor, for weft_rpc_server_new().
 */
ThriftProcessor *executor_rpc_processor_new (const ExecutorRpcConfig *config);

/* ---- the DriverEndpoint client ---- */

typedef struct _ExecutorDriver ExecutorDriver;

typedef struct {
  const char *executor_id;
  const char *host;
  guint port;
  guint cores;
  gint64 memory_bytes;
  const char *container_id;      /* (nullable) */
  const char *node_id;           /* (nullable) */
} ExecutorHello;

typedef struct {
  char *application_id;
  gint64 heartbeat_interval_ms;
  GHashTable *conf;              /* char* -> char* */
} ExecutorWelcome;

void executor_welcome_clear (ExecutorWelcome *w);

/**
 * executor_driver_new:
 * A client of the driver at @host:@port that signs each call as @executor_id. One thread at a
 * time: each thread that calls the driver has its own.
 * Returns: (transfer full): the client (connects lazily).
 */
ExecutorDriver *executor_driver_new (const char *host, guint16 port, const WeftSecret *secret,
                                     const char *app_id, const char *executor_id,
                                     const WeftRpcOptions *opts);
void executor_driver_free (ExecutorDriver *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ExecutorDriver, executor_driver_free)

/**
 * executor_driver_register:
 * @out: (out caller-allocates): the welcome (executor_welcome_clear() it)
 * Returns: TRUE, or FALSE with a WEFT_REMOTE_ERROR (the driver refused) or a transport error.
 */
gboolean executor_driver_register (ExecutorDriver *d, const ExecutorHello *hello,
                                   ExecutorWelcome *out, GError **error);

/**
 * executor_driver_send_outcomes:
 * @outcomes: (element-type GBytes): encoded outcomes (weft_task_outcome_encode)
 * Not resent by the client; the executor's sender resends a batch whose call failed, so a
 * batch whose reply was lost arrives twice: the driver ignores an outcome for a task it no
 * longer runs.
 */
gboolean executor_driver_send_outcomes (ExecutorDriver *d, GPtrArray *outcomes, GError **error);

/* A task running here and how far it has got. */
typedef struct {
  guint64 task_id;
  WeftTaskMetrics metrics;       /* so far (run_ms: the time so far) */
} ExecutorRunningTask;

/**
 * executor_driver_heartbeat:
 * @running: (array length=n_running): the tasks running here, each with its metrics so far
 * Sends their ids (ExecutorBeat.running_tasks) and their metrics (ExecutorBeat.metrics).
 */
gboolean executor_driver_heartbeat (ExecutorDriver *d, const ExecutorRunningTask *running,
                                    guint n_running, gboolean *reregister, gboolean *stop,
                                    GError **error);

/* ---- the fetcher: segments from other executors ---- */

typedef struct _ExecutorFetcher ExecutorFetcher;

typedef struct {
  guint shuffle_id;
  guint map_id;
  guint reduce_id;
} ExecutorSegmentRequest;

/**
 * executor_fetcher_new:
 * Thread-safe: connections are cached per peer address, each used by one thread at a time
 * (a thread takes an idle one or opens another, and gives it back after the call).
 */
ExecutorFetcher *executor_fetcher_new (const WeftSecret *secret, const char *app_id,
                                       const char *executor_id, const WeftRpcOptions *opts);
void executor_fetcher_free (ExecutorFetcher *f);

/**
 * executor_fetcher_fetch:
 * @requests: (array length=n): segments of map outputs held by the executor at @host:@port
 * @out: (out) (transfer full): GBytes*, one per request, in order
 * Fetched in one call (the caller keeps the total under the bound it wants).
 */
gboolean executor_fetcher_fetch (ExecutorFetcher *f, const char *host, guint16 port,
                                 const ExecutorSegmentRequest *requests, guint n, GPtrArray **out,
                                 GError **error);

/** executor_fetcher_get_connects: Returns: connections opened so far (for tests and logs). */
guint executor_fetcher_get_connects (ExecutorFetcher *f);

G_END_DECLS
