/* weft-backend.h: where a driver's tasks run. The driver plans a job into
 * stages and each stage into tasks (one per partition; weft-task.h), and its
 * DAG scheduler decides what runs when; a backend only runs the tasks it is
 * given on as many slots as it has and reports each one's outcome. Backends
 * are tables of functions with the ABI version first, so a backend built
 * against another libweft is refused rather than misread. Built in: "local"
 * (local, local[N], local[*]: threads in the driver) and "cluster" (weft,
 * yarn, weft://HOST:PORT: executors in containers); the planner does not know
 * which backend runs it. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define WEFT_BACKEND_ABI_VERSION 2

typedef struct _WeftTask WeftTask;
typedef struct _WeftBackendOps WeftBackendOps;

/**
 * WeftBackendOps:
 * @abi_version: WEFT_BACKEND_ABI_VERSION: first, so it can be checked before anything else is read
 * @name: short name for messages, e.g. "local"
 * @accepts: whether @master (e.g. "local[4]") is this backend's
 * @open: a backend instance for @master; @conf holds the session's configuration
 *   (spark.executor.cores and the like, as "key", "value" pairs, NULL-terminated). The
 *   instance pushes a WeftTaskOutcome* (weft-task.h, transfer full) onto @outcomes for every
 *   task it was given, from any thread, exactly once per launch.
 * @slots: how many tasks the instance runs at once (the job's parallelism)
 * @launch: runs @task (a reference is taken) when a slot is free; returns at once
 * @status: (nullable) tells the backend how the job is going, for its progress report
 *   (@text: "STAGE DONE RUNNING TOTAL" of the first stage with running tasks, or "" when none
 *   runs; see weft-progress.h)
 * @application_id: the application's id (Spark's applicationId)
 * @close: waits for launched tasks, frees the instance; @succeeded and @diagnostics are
 *   the application's final status where the backend reports one (the cluster's AM)
 */
struct _WeftBackendOps {
  guint abi_version;
  const char *name;
  gboolean (*accepts) (const char *master);
  gpointer (*open) (const char *master, const char *const *conf, GAsyncQueue *outcomes,
                    GError **error);
  guint (*slots) (gpointer backend);
  void (*launch) (gpointer backend, WeftTask *task);
  void (*status) (gpointer backend, const char *text);
  const char *(*application_id) (gpointer backend);
  void (*close) (gpointer backend, gboolean succeeded, const char *diagnostics);
};

/**
 * weft_backend_register:
 * Adds @ops (static: never freed) to the backends sessions look up, ahead of
 * those registered before it. Refused with an error naming both versions if
 * @ops was built for another ABI, or if a function is missing.
 */
gboolean weft_backend_register (const WeftBackendOps *ops, GError **error);

/**
 * weft_backend_lookup:
 * Returns: (transfer none) (nullable): the backend whose accepts() takes
 * @master, or NULL with an error listing the masters that would work.
 */
const WeftBackendOps *weft_backend_lookup (const char *master, GError **error);

/** weft_backend_local: the built-in local[N] backend (threads in the driver). */
const WeftBackendOps *weft_backend_local (void);

/**
 * weft_backend_cluster: the built-in cluster backend (masters weft, yarn, weft://HOST:PORT):
 * executors in containers of a Weft cluster, the driver its application master.
 */
const WeftBackendOps *weft_backend_cluster (void);

G_END_DECLS
