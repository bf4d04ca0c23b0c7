/* nm-monitor: the memory police for when no cgroup is writable, and the NM's way to find every
 * process of a container. A container is its main process's session and process group plus every
 * descendant of a member (by the ppid in /proc/<pid>/stat), so a double-forked grandchild, reparented
 * to init, is still found through its session, and a child that calls setsid() is found through its
 * parent while that lives. (A process that both leaves the session and loses its parent escapes;
 * only a cgroup holds it.) The pure part works on a NmProcTable, a snapshot of /proc that tests can
 * build by hand; the sampling part reads /proc, sums the tree's RSS and remembers its peak. One thread
 * per object. */

#pragma once

#include <glib.h>

#include "weft-nm-error.h"

G_BEGIN_DECLS

/* ---- The pure part: a snapshot of /proc ------------------------------------------------------- */

typedef struct
{
  GPid pid;
  GPid ppid;
  GPid pgid;
  GPid sid;
  char state;          /* 'R', 'S', 'D', 'Z' (zombie), ... as in /proc/<pid>/stat */
  guint64 start_time;  /* clock ticks after boot: with @pid, names one process for good */
  gint64 rss_bytes;    /* resident memory, shared pages included (so a tree's sum over-counts them) */
} NmProcInfo;

typedef struct _NmProcTable NmProcTable;

/** nm_monitor_table_new: Returns: (transfer full): an empty snapshot. */
NmProcTable *nm_monitor_table_new (void);

/** nm_monitor_table_free: @table: (nullable) (transfer full) */
void nm_monitor_table_free (NmProcTable *table);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NmProcTable, nm_monitor_table_free)

/**
 * nm_monitor_table_add:
 * @info: (transfer none): a process; a later entry with the same pid replaces the earlier one
 */
void nm_monitor_table_add (NmProcTable *table, const NmProcInfo *info);

/** nm_monitor_table_size: Returns: the number of processes in @table. */
guint nm_monitor_table_size (const NmProcTable *table);

/** nm_monitor_table_lookup: Returns: (transfer none) (nullable): the entry of @pid. */
const NmProcInfo *nm_monitor_table_lookup (const NmProcTable *table, GPid pid);

/**
 * nm_monitor_parse_stat:
 * @text: the contents of /proc/<pid>/stat
 * @page_size: bytes per page, for the rss field
 * @out: (out): the process
 *
 * The command name, in parentheses, may hold spaces and parentheses itself, so fields are counted
 * from the last ')'.
 *
 * Returns: TRUE on success; FALSE with WEFT_NM_ERROR_PROC for text that is not a stat line.
 */
gboolean nm_monitor_parse_stat (const char *text, gint64 page_size, NmProcInfo *out, GError **error);

/**
 * nm_monitor_table_read:
 * @proc_dir: (nullable): the proc file system, NULL for "/proc"; tests pass a fake folder
 *
 * Reads every <pid>/stat under @proc_dir. A process that exits while being read is skipped; an
 * unreadable @proc_dir or a stat file that does not parse is an error.
 *
 * Returns: (transfer full) (nullable): the snapshot, or NULL with @error set.
 */
NmProcTable *nm_monitor_table_read (const char *proc_dir, GError **error);

/**
 * nm_monitor_table_tree:
 * @root: the container's main process, which made itself session and group leader (setsid); it
 *   need not be in @table any more (it may have exited and been reaped)
 *
 * The container's processes: those whose session or process group is @root, @root itself, and
 * every descendant of one of them. Zombies included (they still hold their pid). @root <= 1 gives
 * an empty set (never init's tree).
 *
 * Returns: (transfer full) (element-type GPid): the pids, sorted ascending.
 */
GArray *nm_monitor_table_tree (const NmProcTable *table, GPid root);

/**
 * nm_monitor_table_rss:
 * @pids: (element-type GPid): processes, e.g. from nm_monitor_table_tree(); those missing from
 *   @table count 0
 *
 * Returns: the sum of their RSS in bytes.
 */
gint64 nm_monitor_table_rss (const NmProcTable *table, const GArray *pids);

/* ---- The sampling part ------------------------------------------------------------------------ */

typedef struct _NmMonitor NmMonitor;

/**
 * nm_monitor_new:
 * @root: the container's main process (a session leader)
 * @limit_bytes: the memory limit; 0 for none (the monitor then only tracks the peak)
 * @proc_dir: (nullable): NULL for "/proc"; tests pass a fake folder
 *
 * Returns: (transfer full): a monitor that has taken no sample yet.
 */
NmMonitor *nm_monitor_new (GPid root, gint64 limit_bytes, const char *proc_dir);

/** nm_monitor_free: @monitor: (nullable) (transfer full) */
void nm_monitor_free (NmMonitor *monitor);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NmMonitor, nm_monitor_free)

typedef struct
{
  gint64 rss_bytes;    /* the tree's RSS now */
  gint64 peak_bytes;   /* the largest rss_bytes of all samples so far */
  guint n_processes;   /* the tree's size now */
  gboolean over_limit; /* rss_bytes > the limit (this sample) */
} NmMonitorSample;

/**
 * nm_monitor_sample:
 * @out: (out) (optional): what this sample found
 *
 * Reads /proc once: the container's tree (nm_monitor_table_tree()) and its RSS. The caller kills
 * the container when @out->over_limit (the monitor kills nothing itself). Blocking but cheap: one
 * read of each /proc/<pid>/stat.
 *
 * Returns: TRUE on success, FALSE with @error set (/proc unreadable).
 */
gboolean nm_monitor_sample (NmMonitor *monitor, NmMonitorSample *out, GError **error);

/** nm_monitor_get_peak: Returns: the largest tree RSS of all samples so far, in bytes. */
gint64 nm_monitor_get_peak (NmMonitor *monitor);

/** nm_monitor_get_limit: Returns: the limit given to nm_monitor_new(), 0 for none. */
gint64 nm_monitor_get_limit (NmMonitor *monitor);

/** nm_monitor_was_over_limit: Returns: whether any sample so far was over the limit. */
gboolean nm_monitor_was_over_limit (NmMonitor *monitor);

/**
 * nm_monitor_get_pids:
 *
 * Returns: (transfer none) (element-type GPid): the tree found by the last sample (empty before
 *   the first), valid until the next sample.
 */
const GArray *nm_monitor_get_pids (NmMonitor *monitor);

G_END_DECLS
