/* nm-launcher: runs one container and polices it until no process of it is left. Start makes the
 * work and log folders, sends stdout and stderr to <log-dir>/stdout and <log-dir>/stderr, and runs the
 * command in a clean environment, in a session of its own, inside its cgroup (placed there before it
 * execs) or watched by nm-monitor when cgroups are off. Stop sends SIGTERM to every process of the
 * container, then SIGKILL after a grace period. Exactly one NmLauncherResult is reported, from the
 * caller's main context, and only once every process of the container is gone and its cgroup removed.
 * All calls from the thread that owns that context. */

#pragma once

#include <glib.h>

#include "nm-cgroup.h"
#include "weft-nm-error.h"

G_BEGIN_DECLS

typedef enum
{
  NM_LAUNCHER_SUCCEEDED,       /* exited with code 0 */
  NM_LAUNCHER_FAILED,          /* exited with another code, or died of a signal nobody here sent */
  NM_LAUNCHER_KILLED,          /* stopped on request (nm_launcher_stop()) */
  NM_LAUNCHER_MEMORY_EXCEEDED, /* killed past its memory limit, by the kernel (cgroup) or the monitor */
  NM_LAUNCHER_LAUNCH_FAILED,   /* the command could not be executed (e.g. not found) */
} NmLauncherReason;

/** nm_launcher_reason_to_string: Returns: (transfer none): "SUCCEEDED", "FAILED", "KILLED",
 *  "MEMORY_EXCEEDED" or "LAUNCH_FAILED". */
const char *nm_launcher_reason_to_string (NmLauncherReason reason);

typedef struct
{
  NmLauncherReason reason;
  int exit_code;       /* as a shell shows it: the code, or 128 + signal; 127 after LAUNCH_FAILED */
  int term_signal;     /* the signal that ended the main process, 0 if it exited */
  gint64 memory_limit; /* bytes, 0 for none */
  gint64 memory_peak;  /* bytes, the best known (cgroup, else the monitor's samples), 0 unknown */
  gint64 cpu_usec;     /* CPU time of all its processes (cgroup accounting), -1 unknown */
  char *diagnostics;   /* one line for a person, e.g. "Container killed: memory limit 256 MiB
                        * exceeded (peak 257 MiB)" */
} NmLauncherResult;

/** nm_launcher_result_free: @result: (nullable) (transfer full) */
void nm_launcher_result_free (NmLauncherResult *result);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NmLauncherResult, nm_launcher_result_free)

/** nm_launcher_result_copy: Returns: (transfer full): a deep copy of @result. */
NmLauncherResult *nm_launcher_result_copy (const NmLauncherResult *result);

typedef struct
{
  const char *container_id; /* names the cgroup and log lines: letters, digits, '.', '_', '-' */
  const char *const *argv;  /* the command; argv[0] without '/' is looked up in the container's PATH,
                             * a relative one with '/' is relative to work_dir */
  GHashTable *env;          /* (nullable) char* -> char*: container id, application id, RM addresses,
                             * tokens... on top of the base: PATH (the NM's, or a default), HOME and
                             * PWD = work_dir, WEFT_LOG_DIR = log_dir. Nothing else of the NM's own
                             * environment reaches the container. */
  const char *work_dir;     /* made if missing (with parents), the command's current folder */
  const char *log_dir;      /* made if missing; stdout and stderr are written there */
  gint64 memory_limit;      /* bytes, 0 for none */
  double vcores;            /* CPU quota in cores (one vcore = one core), 0 for none; needs cgroups */
  NmCgroupManager *cgroups; /* (nullable): enforcement by cgroups unless NULL or mode NONE, in which
                             * case nm-monitor polices memory and CPU is not limited */
  guint monitor_interval_ms; /* how often memory is sampled; 0 for 250 ms */
  GMainContext *context;    /* (nullable): where results and timers run; NULL for the thread default */
} NmLaunchSpec;

typedef struct _NmLauncher NmLauncher;

/**
 * NmLauncherExitFunc:
 * @launcher: the container
 * @result: (transfer none): valid until @launcher is freed (also from nm_launcher_get_result())
 *
 * Called once, from the spec's context. It may free @launcher.
 */
typedef void (*NmLauncherExitFunc) (NmLauncher *launcher, const NmLauncherResult *result, gpointer user_data);

/**
 * nm_launcher_start:
 * @spec: (transfer none): what to run; copied, except @spec->cgroups, which must outlive the launcher
 * @on_exit: called once with the result
 *
 * Starts the container. A command that cannot be executed (not found, not executable) still starts:
 * its result, soon after, is LAUNCH_FAILED with the system's reason in the diagnostics. Blocks only
 * until the child has exec'd (or failed to). A bad spec is WEFT_NM_ERROR_INVALID; folders, log files,
 * fork or cgroup set-up that fail are WEFT_NM_ERROR_LAUNCH or the cgroup's error, and leave nothing
 * running.
 *
 * Returns: (transfer full) (nullable): the running container, or NULL with @error set.
 */
NmLauncher *nm_launcher_start (const NmLaunchSpec *spec, NmLauncherExitFunc on_exit, gpointer user_data,
                               GError **error);

/**
 * nm_launcher_stop:
 * @grace_ms: time between SIGTERM and SIGKILL; 0 sends SIGKILL at once
 *
 * Sends SIGTERM to every process of the container (its process group, its tree, its cgroup), and
 * SIGKILL to those left after @grace_ms. The result (KILLED, unless the container had already
 * finished or exceeded its memory) comes through on_exit once nothing is left. Idempotent: a second
 * call can only shorten the grace.
 */
void nm_launcher_stop (NmLauncher *launcher, guint grace_ms);

/**
 * nm_launcher_free:
 * @launcher: (nullable) (transfer full)
 *
 * Frees the handle. A container still running is killed first (SIGKILL, waiting up to a few
 * seconds for its processes to go and its cgroup to be removed) and on_exit is not called.
 */
void nm_launcher_free (NmLauncher *launcher);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NmLauncher, nm_launcher_free)

/** nm_launcher_get_pid: Returns: the main process's pid (it stays the same after it exits). */
GPid nm_launcher_get_pid (NmLauncher *launcher);

/** nm_launcher_get_container_id: Returns: (transfer none): the spec's container id. */
const char *nm_launcher_get_container_id (NmLauncher *launcher);

/** nm_launcher_get_result: Returns: (transfer none) (nullable): the result once reported, else NULL. */
const NmLauncherResult *nm_launcher_get_result (NmLauncher *launcher);

/**
 * nm_launcher_get_cgroup:
 *
 * Returns: (transfer none) (nullable): the container's cgroup (for readings: CPU time, memory),
 *   NULL without cgroups; valid until the result is reported.
 */
NmCgroup *nm_launcher_get_cgroup (NmLauncher *launcher);

/**
 * nm_launcher_list_pids:
 *
 * The container's live processes now: its tree in /proc (nm_monitor_table_tree()) and its cgroup.
 *
 * Returns: (transfer full) (element-type GPid) (nullable): sorted pids, or NULL with @error set.
 */
GArray *nm_launcher_list_pids (NmLauncher *launcher, GError **error);

/**
 * nm_launcher_format_size:
 * @bytes: a size
 *
 * Sizes as the diagnostics show them: "256 MiB", "257.3 MiB", "1.5 GiB", "512 KiB".
 *
 * Returns: (transfer full): the text.
 */
char *nm_launcher_format_size (gint64 bytes);

G_END_DECLS
