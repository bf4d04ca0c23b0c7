/* weft-backend.h: where a driver's tasks run. The executor plans a job into
 * stages and each stage into tasks (one per partition); a backend only runs
 * the tasks of a stage, on as many slots as it has, and reports the first
 * failure. Backends are tables of functions with the ABI version first, so a
 * backend built against another libweft is refused rather than misread.
 * Built in: "local" (local, local[N], local[*]: threads in the driver). The
 * cluster backend (weft-submit --master yarn) registers itself the same way;
 * the planner does not know which backend runs it. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define WEFT_BACKEND_ABI_VERSION 1

/**
 * WeftBackendTask:
 * @task: the task's index in its stage, 0..n_tasks-1 (the partition)
 * Runs one task. Called from any thread, each index exactly once per
 * weft_backend run, unless an earlier task failed (then the rest may be
 * skipped). Returns: TRUE, or FALSE with @error set.
 */
typedef gboolean (*WeftBackendTask) (guint task, gpointer data, GError **error);

typedef struct _WeftBackendOps WeftBackendOps;

/**
 * WeftBackendOps:
 * @abi_version: WEFT_BACKEND_ABI_VERSION: first, so it can be checked before anything else is read
 * @name: short name for messages, e.g. "local"
 * @accepts: whether @master (e.g. "local[4]") is this backend's
 * @open: a backend instance for @master; @conf holds the session's configuration
 *   (spark.executor.cores and the like, as "key", "value" pairs, NULL-terminated)
 * @slots: how many tasks the instance runs at once (the job's parallelism)
 * @run_stage: runs @n_tasks tasks and returns when all are done (or the first failed)
 * @close: frees the instance
 */
struct _WeftBackendOps {
  guint abi_version;
  const char *name;
  gboolean (*accepts) (const char *master);
  gpointer (*open) (const char *master, const char *const *conf, GError **error);
  guint (*slots) (gpointer backend);
  gboolean (*run_stage) (gpointer backend, guint n_tasks, WeftBackendTask task, gpointer data,
                         GError **error);
  void (*close) (gpointer backend);
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

G_END_DECLS
