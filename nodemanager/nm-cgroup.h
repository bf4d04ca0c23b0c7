/* nm-cgroup: resource enforcement through Linux control groups, v1 or v2. An NmCgroupManager is one
 * NM instance's parent group "weft-<instance>", made under the NM's own cgroup in each hierarchy (so
 * two NMs on one machine never share a folder); an NmCgroup is one container's child group in it, with
 * a memory limit (swap included), a CPU quota, and the readings the NM reports (peak memory, OOM
 * kills, CPU time, pids). Every failure names the cgroup file at fault. Not thread-safe: use each
 * object from one thread (the NM's main thread); distinct objects may be used from distinct threads. */

#pragma once

#include <glib.h>

#include "weft-nm-error.h"

G_BEGIN_DECLS

typedef enum
{
  NM_CGROUP_MODE_AUTO, /* v2 if usable, else v1, else none (requests only; never a manager's mode) */
  NM_CGROUP_MODE_V1,
  NM_CGROUP_MODE_V2,
  NM_CGROUP_MODE_NONE, /* no enforcement by cgroups: the caller falls back to nm-monitor */
} NmCgroupMode;

/**
 * nm_cgroup_mode_from_string:
 * @text: "auto", "v1", "v2" or "none" (the choices of the config key nm.cgroups)
 * @out_mode: (out): the mode
 *
 * Returns: TRUE on success; FALSE with WEFT_NM_ERROR_INVALID for any other text.
 */
gboolean nm_cgroup_mode_from_string (const char *text, NmCgroupMode *out_mode, GError **error);

/** nm_cgroup_mode_to_string: Returns: (transfer none): "auto", "v1", "v2" or "none". */
const char *nm_cgroup_mode_to_string (NmCgroupMode mode);

typedef struct
{
  NmCgroupMode mode;       /* requested: AUTO, or a forced V1, V2 or NONE */
  const char *instance;    /* names the parent group "weft-<instance>": letters, digits, '.', '_', '-' */
  guint cpu_shares;        /* weight of all this instance's containers together against processes
                            * outside, 1024 = one ordinary process (v1 cpu.shares, v2 cpu.weight
                            * scaled); 0 leaves the kernel default */
  const char *mountinfo;   /* NULL: /proc/self/mountinfo; tests point it at a fake */
  const char *self_cgroup; /* NULL: /proc/self/cgroup; tests point it at a fake */
} NmCgroupOptions;

/**
 * nm_cgroup_detect:
 * @options: only @mountinfo and @self_cgroup are read
 * @out_v1_why: (out) (optional) (transfer full) (nullable): why v1 is unusable, NULL if it is usable
 * @out_v2_why: (out) (optional) (transfer full) (nullable): why v2 is unusable, NULL if it is usable
 *
 * Probes without changing anything. v2 is usable when the NM's group on the unified mount lists
 * "cpu" and "memory" in cgroup.controllers and its cgroup.subtree_control is writable; v1 when the
 * NM's groups in the memory and cpu hierarchies are writable folders with the limit files (cpuacct
 * is optional: without it CPU time cannot be read).
 *
 * Returns: NM_CGROUP_MODE_V2 if usable, else NM_CGROUP_MODE_V1 if usable, else NM_CGROUP_MODE_NONE.
 */
NmCgroupMode nm_cgroup_detect (const NmCgroupOptions *options, char **out_v1_why, char **out_v2_why);

/* ---- The NM instance's parent group ---------------------------------------------------------- */

typedef struct _NmCgroupManager NmCgroupManager;

/**
 * nm_cgroup_manager_new:
 * @options: the request; @options->instance is required unless the mode is NONE
 *
 * Resolves @options->mode (AUTO picks as nm_cgroup_detect() does and falls back to NONE, logging
 * why) and, unless the result is NONE, makes the parent group "weft-<instance>" in every hierarchy
 * (keeping it if it exists: a restarted NM adopts its folder; see nm_cgroup_manager_cleanup()), and
 * for v2 enables the cpu and memory controllers down to it. Forcing V1 or V2 where it is unusable
 * is WEFT_NM_ERROR_CGROUP_UNAVAILABLE saying why; a folder or file that cannot be made or written is
 * WEFT_NM_ERROR_CGROUP naming it.
 *
 * Returns: (transfer full) (nullable): the manager, or NULL with @error set.
 */
NmCgroupManager *nm_cgroup_manager_new (const NmCgroupOptions *options, GError **error);

/**
 * nm_cgroup_manager_free:
 * @manager: (nullable) (transfer full)
 *
 * Removes the parent group if it is empty (silently keeps it otherwise) and frees @manager. Every
 * NmCgroup made from it must be freed first.
 */
void nm_cgroup_manager_free (NmCgroupManager *manager);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NmCgroupManager, nm_cgroup_manager_free)

/** nm_cgroup_manager_get_mode: Returns: V1, V2 or NONE. */
NmCgroupMode nm_cgroup_manager_get_mode (NmCgroupManager *manager);

/**
 * nm_cgroup_manager_describe:
 *
 * Returns: (transfer full): one line for the NM's log, e.g. "cgroups v1: memory
 *   /sys/fs/cgroup/memory/weft-nm1, cpu /sys/fs/cgroup/cpu/weft-nm1" or "cgroups off: <why>".
 */
char *nm_cgroup_manager_describe (NmCgroupManager *manager);

/**
 * nm_cgroup_manager_cleanup:
 * @timeout_ms: how long to wait, per group, for the kernel to release it
 *
 * Kills (SIGKILL) every process in every group below the parent group and removes those groups,
 * deepest first: for a starting NM (groups left by a crashed run of the same instance), an NM that
 * shuts down, and test teardown. Blocks up to about @timeout_ms per group. Continues past a
 * failure and reports the first one.
 *
 * Returns: TRUE if every group below the parent is gone; FALSE with @error set otherwise.
 */
gboolean nm_cgroup_manager_cleanup (NmCgroupManager *manager, guint timeout_ms, GError **error);

/**
 * nm_cgroup_manager_get_path:
 *
 * Returns: (transfer none) (nullable): the parent group's folder in the memory hierarchy (v1) or
 *   on the unified mount (v2); NULL in mode NONE.
 */
const char *nm_cgroup_manager_get_path (NmCgroupManager *manager);

/* ---- One container's group ------------------------------------------------------------------- */

typedef struct _NmCgroup NmCgroup;

/**
 * nm_cgroup_new:
 * @manager: a manager in mode V1 or V2; it must outlive the group
 * @name: the group's name, usually the container id: letters, digits, '.', '_', '-'
 *
 * Makes the group in every hierarchy. A group of that name left over from an earlier run is
 * removed first if it is empty; if it still holds processes that is WEFT_NM_ERROR_CGROUP_BUSY.
 *
 * Returns: (transfer full) (nullable): the group, or NULL with @error set.
 */
NmCgroup *nm_cgroup_new (NmCgroupManager *manager, const char *name, GError **error);

/**
 * nm_cgroup_free:
 * @cgroup: (nullable) (transfer full)
 *
 * Frees the handle only: the kernel group stays until nm_cgroup_remove() (or
 * nm_cgroup_manager_cleanup()) removes it.
 */
void nm_cgroup_free (NmCgroup *cgroup);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NmCgroup, nm_cgroup_free)

/** nm_cgroup_get_name: Returns: (transfer none): the name given to nm_cgroup_new(). */
const char *nm_cgroup_get_name (NmCgroup *cgroup);

/**
 * nm_cgroup_get_path:
 *
 * Returns: (transfer none): the group's folder in the memory hierarchy (v1) or the unified mount (v2).
 */
const char *nm_cgroup_get_path (NmCgroup *cgroup);

/**
 * nm_cgroup_set_memory_limit:
 * @bytes: the most memory the group's processes may hold together, > 0
 *
 * v1: memory.limit_in_bytes, and memory.memsw.limit_in_bytes (memory plus swap) to the same value
 * when the kernel accounts swap, so swapping cannot dodge the limit. v2: memory.max, and
 * memory.swap.max = 0. Past the limit the kernel reclaims, then OOM-kills inside the group.
 *
 * Returns: TRUE on success, FALSE with @error set.
 */
gboolean nm_cgroup_set_memory_limit (NmCgroup *cgroup, gint64 bytes, GError **error);

/**
 * nm_cgroup_set_cpu_limit:
 * @cores: CPUs' worth of time per period the group may use, > 0 (one vcore = one core)
 *
 * Hard quota: @cores × period per period of 100 ms (v1 cpu.cfs_period_us and cpu.cfs_quota_us; v2
 * cpu.max), so 4 busy threads with @cores 1 get one core's time. Also sets the group's weight in
 * proportion (v1 cpu.shares = 1024 × @cores; v2 cpu.weight = 100 × @cores).
 *
 * Returns: TRUE on success, FALSE with @error set.
 */
gboolean nm_cgroup_set_cpu_limit (NmCgroup *cgroup, double cores, GError **error);

/**
 * nm_cgroup_add_process:
 * @pid: a process; all its threads move with it
 *
 * Writes @pid to cgroup.procs in every hierarchy. Children it forks afterwards are born inside.
 *
 * Returns: TRUE on success, FALSE with @error set.
 */
gboolean nm_cgroup_add_process (NmCgroup *cgroup, GPid pid, GError **error);

/**
 * nm_cgroup_list_pids:
 *
 * The processes in the group now (the union over hierarchies), sorted ascending.
 *
 * Returns: (transfer full) (element-type GPid) (nullable): the pids, or NULL with @error set.
 */
GArray *nm_cgroup_list_pids (NmCgroup *cgroup, GError **error);

/**
 * nm_cgroup_kill_all:
 * @signo: the signal
 * @out_signalled: (out) (optional): how many processes were signalled
 *
 * Sends @signo to every process of the group. For SIGKILL on v2 with cgroup.kill the kernel does
 * it atomically; otherwise the group is listed and signalled again until a listing shows no process
 * not yet signalled, so children forked meanwhile are caught. It does not wait for them to exit.
 *
 * Returns: TRUE on success, FALSE with @error set.
 */
gboolean nm_cgroup_kill_all (NmCgroup *cgroup, int signo, guint *out_signalled, GError **error);

/**
 * nm_cgroup_sample_memory:
 * @out_bytes: (out) (optional): the memory the group uses now
 *
 * Reads current use (v1 memory.usage_in_bytes, v2 memory.current) and folds it into the tracked
 * peak, for kernels whose v2 has no memory.peak. Cheap: call it periodically.
 *
 * Returns: TRUE on success, FALSE with @error set.
 */
gboolean nm_cgroup_sample_memory (NmCgroup *cgroup, gint64 *out_bytes, GError **error);

/**
 * nm_cgroup_get_memory_peak:
 * @out_bytes: (out): the most memory the group used at once
 *
 * v1 memory.max_usage_in_bytes; v2 memory.peak when present, else the largest of the samples
 * taken by nm_cgroup_sample_memory() (and one taken now).
 *
 * Returns: TRUE on success, FALSE with @error set.
 */
gboolean nm_cgroup_get_memory_peak (NmCgroup *cgroup, gint64 *out_bytes, GError **error);

typedef struct
{
  guint64 oom_kills;      /* processes the kernel OOM-killed in the group */
  gboolean oom_kills_known; /* FALSE on old v1 kernels without "oom_kill" in memory.oom_control */
  guint64 limit_hits;     /* times usage hit the limit (v1 memory.failcnt, v2 "max" events); the
                           * kernel usually reclaimed and went on, so this alone is no kill */
} NmCgroupMemoryEvents;

/**
 * nm_cgroup_get_memory_events:
 * @out: (out): the counters (v1 memory.oom_control and memory.failcnt; v2 memory.events)
 *
 * Returns: TRUE on success, FALSE with @error set.
 */
gboolean nm_cgroup_get_memory_events (NmCgroup *cgroup, NmCgroupMemoryEvents *out, GError **error);

/**
 * nm_cgroup_get_cpu_usage:
 * @out_usec: (out): CPU time used by the group's processes, dead or alive, in microseconds
 *
 * v1 cpuacct.usage (WEFT_NM_ERROR_CGROUP_UNAVAILABLE when no cpuacct hierarchy is mounted); v2
 * cpu.stat usage_usec.
 *
 * Returns: TRUE on success, FALSE with @error set.
 */
gboolean nm_cgroup_get_cpu_usage (NmCgroup *cgroup, gint64 *out_usec, GError **error);

/**
 * nm_cgroup_remove:
 * @timeout_ms: how long to retry while the kernel still holds the group (0: try once)
 *
 * Removes the group from every hierarchy. The kernel refuses while a process (or a dying one) is
 * inside, so this retries every 10 ms up to @timeout_ms, blocking; after that it is
 * WEFT_NM_ERROR_CGROUP_BUSY, and a later call may finish the job. Kill the processes first
 * (nm_cgroup_kill_all()). Removing a removed group succeeds.
 *
 * Returns: TRUE on success, FALSE with @error set.
 */
gboolean nm_cgroup_remove (NmCgroup *cgroup, guint timeout_ms, GError **error);

G_END_DECLS
