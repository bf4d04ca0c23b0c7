/* nm-launcher.c: see nm-launcher.h for the contract.
 *
 * Start, in order: folders, log files and the environment are prepared in the parent (the child of
 * a threaded process may only make async-signal-safe calls, so it allocates nothing); fork; the
 * child makes itself a session leader and blocks on a pipe; the parent writes the child's pid into
 * the cgroup, then lets it go; the child sets up its streams and execs. So the container is inside
 * its cgroup before any of its code runs, and every process it forks is born inside. Exec failure
 * comes back through a close-on-exec pipe: EOF means the exec happened.
 *
 * Life after start is a small state machine driven by GLib sources on the caller's context:
 *   RUNNING --main process reaped--> EXITED --nothing left, cgroup removed--> DONE (report)
 * In RUNNING a timer samples memory (the monitor, without cgroups); nm_launcher_stop() sends SIGTERM
 * and arms a SIGKILL timer. In EXITED a poll kills what the main process left behind (its session,
 * process group and their descendants, the cgroup) and waits until every pid it signalled is gone,
 * so a report always means "no process of this container is left". */

#include "nm-launcher.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nm-monitor.h"
#include "weft-log.h"

#define DEFAULT_MONITOR_INTERVAL_MS 250
/* After the main process exits: how often to look for leftovers (often at first, since killed
 * processes usually vanish within milliseconds; then less, since a killed orphan stays a zombie
 * until init reaps it, which some inits do only every few seconds), and how long before reporting
 * anyway (a process stuck in uninterruptible sleep ignores even SIGKILL). */
#define REAP_POLL_FAST_MS 10
#define REAP_POLL_SLOW_MS 50
#define REAP_FAST_FOR_MS 200
#define REAP_DEADLINE_MS 5000
/* nm_launcher_free() of a running container waits this long for it to go. */
#define FREE_WAIT_MS 3000
#define DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"
#define ID_MAX_LEN 200

typedef enum
{
  STATE_RUNNING,
  STATE_EXITED,
  STATE_DONE,
} State;

/* What the child reports through the exec pipe when it fails before its command runs. */
enum
{
  STAGE_SETSID = 1,
  STAGE_CHDIR,
  STAGE_STDIO,
  STAGE_EXEC,
};

struct _NmLauncher
{
  char *container_id;
  char *argv0;
  char *exec_path; /* PATH the command was looked up in, for diagnostics */
  char *work_dir;
  char *log_dir;
  GMainContext *context;
  NmLauncherExitFunc on_exit;
  gpointer user_data;

  GPid pid;
  State state;
  gint64 memory_limit;
  NmCgroup *cgroup;   /* owned; NULL without cgroups */
  NmMonitor *monitor; /* owned; NULL with cgroups */

  int exec_stage, exec_errno; /* the child's failure before exec, 0 if it exec'd */
  gboolean main_reaped;
  int wait_status;

  GSource *child_watch, *sample_timer, *kill_timer, *reap_poll;
  gboolean stop_requested;
  gint64 kill_at;              /* monotonic time of the SIGKILL, while kill_timer is armed */
  guint grace_ms;
  gboolean escalated;          /* SIGKILL phase: leftovers are killed on sight */
  gboolean sigkill_after_grace; /* the grace ran out with the main process alive */
  gboolean monitor_killed;     /* the monitor found the tree over its limit */
  NmCgroupMemoryEvents oom_at_stop;
  gboolean oom_at_stop_known;
  GHashTable *signalled; /* pids signalled while cleaning up, waited for until gone */
  gint64 reap_started, reap_deadline;
  gboolean reap_slow;

  /* Final readings of the cgroup, taken once nothing is left and before it is removed. */
  gboolean cg_read;
  gint64 cg_peak, cg_cpu_usec;
  NmCgroupMemoryEvents cg_events;

  NmLauncherResult *result;
  gboolean in_callback, free_requested;
};

/* ---- Results and sizes ------------------------------------------------------------------------ */

const char *
nm_launcher_reason_to_string (NmLauncherReason reason)
{
  switch (reason)
    {
    case NM_LAUNCHER_SUCCEEDED: return "SUCCEEDED";
    case NM_LAUNCHER_FAILED: return "FAILED";
    case NM_LAUNCHER_KILLED: return "KILLED";
    case NM_LAUNCHER_MEMORY_EXCEEDED: return "MEMORY_EXCEEDED";
    case NM_LAUNCHER_LAUNCH_FAILED: return "LAUNCH_FAILED";
    default: return "?";
    }
}

void
nm_launcher_result_free (NmLauncherResult *result)
{
  if (result == NULL)
    return;
  g_free (result->diagnostics);
  g_free (result);
}

NmLauncherResult *
nm_launcher_result_copy (const NmLauncherResult *result)
{
  NmLauncherResult *r;

  g_return_val_if_fail (result != NULL, NULL);
  r = g_memdup2 (result, sizeof *result);
  r->diagnostics = g_strdup (result->diagnostics);
  return r;
}

char *
nm_launcher_format_size (gint64 bytes)
{
  static const char *const units[] = { "bytes", "KiB", "MiB", "GiB", "TiB" };
  double v = (double) bytes;
  guint u = 0;

  while (u + 1 < G_N_ELEMENTS (units) && (v >= 1024 || v <= -1024))
    {
      v /= 1024;
      u++;
    }
  if (u == 0)
    return g_strdup_printf ("%" G_GINT64_FORMAT " bytes", bytes);
  /* Whole numbers print without a fraction, so a limit reads as it was configured. */
  if (v == (double) (gint64) v)
    return g_strdup_printf ("%" G_GINT64_FORMAT " %s", (gint64) v, units[u]);
  return g_strdup_printf ("%.1f %s", v, units[u]);
}

/* ---- Small helpers ---------------------------------------------------------------------------- */

static gboolean
valid_id (const char *id)
{
  gsize len = id != NULL ? strlen (id) : 0;

  if (len == 0 || len > ID_MAX_LEN || strcmp (id, ".") == 0 || strcmp (id, "..") == 0)
    return FALSE;
  for (const char *p = id; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '.' && *p != '_' && *p != '-')
      return FALSE;
  return TRUE;
}

static gint
cmp_pid (gconstpointer a, gconstpointer b)
{
  GPid x = *(const GPid *) a, y = *(const GPid *) b;

  return x < y ? -1 : x > y;
}

static void
clear_source (GSource **s)
{
  if (*s == NULL)
    return;
  g_source_destroy (*s);
  g_source_unref (*s);
  *s = NULL;
}

static GSource *
add_timeout (NmLauncher *self, guint ms, GSourceFunc fn)
{
  GSource *s = g_timeout_source_new (ms);

  g_source_set_callback (s, fn, self, NULL);
  g_source_attach (s, self->context);
  return s;
}

/* An fd at 3 or above, close-on-exec, so the child's dup2() onto 0..2 never clobbers another of
 * its sources (an NM started with stdin closed gets fd 0 from open()). */
static int
fd_above_stdio (int fd)
{
  int moved;

  if (fd < 0 || fd > 2)
    return fd;
  moved = fcntl (fd, F_DUPFD_CLOEXEC, 3);
  close (fd);
  return moved;
}

static void
close_fd (int *fd)
{
  if (*fd >= 0)
    close (*fd);
  *fd = -1;
}

/* ---- The child -------------------------------------------------------------------------------- */

typedef struct
{
  char **argv;
  char **envp;
  char **candidates; /* where to try execve(), in PATH order */
  const char *work_dir;
  int in_fd, out_fd, err_fd;
  int sync_fd; /* read end: one byte 'g' when the parent has placed us */
  int err_pipe; /* write end, close-on-exec: stage and errno on failure */
  int max_fd;
} ChildArgs;

static void G_GNUC_NORETURN
child_fail (const ChildArgs *a, int stage, int e)
{
  int msg[2] = { stage, e };
  ssize_t n;

  do
    n = write (a->err_pipe, msg, sizeof msg);
  while (n < 0 && errno == EINTR);
  _exit (127);
}

static gboolean
child_move_fd (int from, int to)
{
  if (from == to)
    return fcntl (to, F_SETFD, 0) == 0; /* dup2 onto itself would keep close-on-exec */
  return dup2 (from, to) == to;
}

/* Only async-signal-safe calls from here on: the parent is multi-threaded and any lock (malloc's
 * included) may have been held by another thread at fork time. */
static void G_GNUC_NORETURN
child_main (const ChildArgs *a)
{
  struct sigaction dfl;
  sigset_t none;
  char go = 0;
  ssize_t n;
  int err = ENOENT;
  gboolean denied = FALSE;

  /* Signals ignored or blocked in the NM (SIGPIPE, say) would stay so across exec. */
  memset (&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int s = 1; s < NSIG; s++)
    (void) sigaction (s, &dfl, NULL);
  sigemptyset (&none);
  (void) sigprocmask (SIG_SETMASK, &none, NULL);

  if (setsid () < 0)
    child_fail (a, STAGE_SETSID, errno);

  /* Wait to be placed in the cgroup. EOF means the parent gave up on us. */
  do
    n = read (a->sync_fd, &go, 1);
  while (n < 0 && errno == EINTR);
  if (n != 1 || go != 'g')
    _exit (126);

  if (chdir (a->work_dir) < 0)
    child_fail (a, STAGE_CHDIR, errno);
  if (!child_move_fd (a->in_fd, 0) || !child_move_fd (a->out_fd, 1) || !child_move_fd (a->err_fd, 2))
    child_fail (a, STAGE_STDIO, errno);
  /* Nothing of the NM's beyond 0..2 may leak into the container. */
  if (close_range (3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
    for (int fd = 3; fd <= a->max_fd; fd++)
      (void) fcntl (fd, F_SETFD, FD_CLOEXEC);

  /* execvp()'s search, over the container's PATH instead of the NM's: go on past a folder where
   * the file is missing, remember a permission problem, stop at any other error. */
  for (char **c = a->candidates; *c != NULL; c++)
    {
      execve (*c, a->argv, a->envp);
      if (errno == EACCES)
        denied = TRUE;
      else if (errno != ENOENT && errno != ENOTDIR && errno != ESTALE && errno != ENODEV && errno != ETIMEDOUT)
        {
          err = errno;
          break;
        }
    }
  if (err == ENOENT && denied)
    err = EACCES;
  child_fail (a, STAGE_EXEC, err);
}

/* ---- Preparing the child's world in the parent ------------------------------------------------ */

static char **
build_env (const NmLaunchSpec *spec, const char *work_dir, const char *log_dir, char **out_path, GError **error)
{
  g_autoptr (GHashTable) env = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr (GPtrArray) out = g_ptr_array_new ();
  g_autoptr (GList) keys = NULL;
  const char *path = g_getenv ("PATH");

  g_hash_table_insert (env, g_strdup ("PATH"), g_strdup (path != NULL && *path != '\0' ? path : DEFAULT_PATH));
  g_hash_table_insert (env, g_strdup ("HOME"), g_strdup (work_dir));
  g_hash_table_insert (env, g_strdup ("PWD"), g_strdup (work_dir));
  g_hash_table_insert (env, g_strdup ("WEFT_LOG_DIR"), g_strdup (log_dir));
  if (spec->env != NULL)
    {
      GHashTableIter it;
      gpointer k, v;

      g_hash_table_iter_init (&it, spec->env);
      while (g_hash_table_iter_next (&it, &k, &v))
        {
          if (k == NULL || *(const char *) k == '\0' || strchr (k, '=') != NULL || v == NULL)
            {
              g_set_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_INVALID,
                           "bad environment variable name '%s' for container %s", k ? (const char *) k : "(null)",
                           spec->container_id);
              return NULL;
            }
          g_hash_table_replace (env, g_strdup (k), g_strdup (v));
        }
    }
  keys = g_list_sort (g_hash_table_get_keys (env), (GCompareFunc) strcmp);
  for (GList *l = keys; l != NULL; l = l->next)
    g_ptr_array_add (out, g_strconcat (l->data, "=", g_hash_table_lookup (env, l->data), NULL));
  g_ptr_array_add (out, NULL);
  *out_path = g_strdup (g_hash_table_lookup (env, "PATH"));
  return (char **) g_ptr_array_free (g_steal_pointer (&out), FALSE);
}

static char **
exec_candidates (const char *argv0, const char *path)
{
  GPtrArray *c = g_ptr_array_new ();
  g_auto (GStrv) dirs = NULL;

  if (strchr (argv0, '/') != NULL)
    g_ptr_array_add (c, g_strdup (argv0));
  else
    {
      dirs = g_strsplit (path, ":", -1);
      for (char **d = dirs; *d != NULL; d++)
        g_ptr_array_add (c, g_build_filename (**d != '\0' ? *d : ".", argv0, NULL));
    }
  g_ptr_array_add (c, NULL);
  return (char **) g_ptr_array_free (c, FALSE);
}

static int
open_log (const char *dir, const char *name, GError **error)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0640);

  if (fd < 0)
    {
      int e = errno;
      g_set_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_LAUNCH, "cannot create log file %s: %s", path,
                   g_strerror (e));
      return -1;
    }
  return fd_above_stdio (fd);
}

static gboolean
make_dir (const char *dir, const char *what, GError **error)
{
  if (g_mkdir_with_parents (dir, 0750) != 0)
    {
      int e = errno;
      g_set_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_LAUNCH, "cannot create %s %s: %s", what, dir,
                   g_strerror (e));
      return FALSE;
    }
  return TRUE;
}

/* ---- Killing ---------------------------------------------------------------------------------- */

/* Signals every process of the container we can find, and remembers each so the cleanup can wait
 * for it to be gone. */
static void
kill_round (NmLauncher *self, int signo)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (NmProcTable) table = NULL;

  /* While the main process is not reaped its pid, hence the process group id, cannot be reused:
   * killpg() hits exactly the container's group. */
  if (!self->main_reaped)
    (void) killpg (self->pid, signo);

  table = nm_monitor_table_read (NULL, &error);
  if (table != NULL)
    {
      g_autoptr (GArray) tree = nm_monitor_table_tree (table, self->pid);

      for (guint i = 0; i < tree->len; i++)
        {
          GPid p = g_array_index (tree, GPid, i);

          if (p == self->pid && self->main_reaped)
            continue;
          (void) kill (p, signo);
          g_hash_table_add (self->signalled, GINT_TO_POINTER (p));
        }
    }
  else
    g_warning ("container %s: %s", self->container_id, error->message);

  if (self->cgroup != NULL)
    {
      g_autoptr (GArray) pids = nm_cgroup_list_pids (self->cgroup, NULL);

      for (guint i = 0; pids != NULL && i < pids->len; i++)
        g_hash_table_add (self->signalled, GINT_TO_POINTER (g_array_index (pids, GPid, i)));
      g_clear_error (&error);
      if (!nm_cgroup_kill_all (self->cgroup, signo, NULL, &error))
        g_warning ("container %s: %s", self->container_id, error->message);
    }
}

/* Whether any process of the container is left: one signalled before that still exists (a zombie
 * counts: its pid is still taken), one in its tree, one in its cgroup. */
static gboolean
anything_left (NmLauncher *self)
{
  GHashTableIter it;
  gpointer key;

  g_hash_table_iter_init (&it, self->signalled);
  while (g_hash_table_iter_next (&it, &key, NULL))
    {
      GPid p = GPOINTER_TO_INT (key);

      if (p == self->pid && self->main_reaped)
        g_hash_table_iter_remove (&it);
      else if (kill (p, 0) == 0 || errno == EPERM)
        return TRUE;
      else
        g_hash_table_iter_remove (&it);
    }
  {
    g_autoptr (NmProcTable) table = nm_monitor_table_read (NULL, NULL);
    g_autoptr (GArray) tree = table != NULL ? nm_monitor_table_tree (table, self->pid) : NULL;

    if (tree != NULL && tree->len > 0)
      return TRUE;
  }
  if (self->cgroup != NULL)
    {
      g_autoptr (GArray) pids = nm_cgroup_list_pids (self->cgroup, NULL);

      if (pids != NULL && pids->len > 0)
        return TRUE;
    }
  return FALSE;
}

/* ---- The result ------------------------------------------------------------------------------- */

static const char *
stage_text (int stage)
{
  switch (stage)
    {
    case STAGE_SETSID: return "cannot start a new session";
    case STAGE_CHDIR: return "cannot enter the work folder";
    case STAGE_STDIO: return "cannot set up standard input and output";
    default: return "cannot execute";
    }
}

static NmLauncherResult *
make_result (NmLauncher *self)
{
  NmLauncherResult *r = g_new0 (NmLauncherResult, 1);
  int st = self->wait_status;
  gboolean oom = FALSE;
  g_autofree char *limit = NULL, *peak = NULL;

  r->memory_limit = self->memory_limit;
  r->cpu_usec = -1;
  if (WIFEXITED (st))
    r->exit_code = WEXITSTATUS (st);
  else if (WIFSIGNALED (st))
    {
      r->term_signal = WTERMSIG (st);
      r->exit_code = 128 + r->term_signal;
    }
  if (self->cgroup != NULL && self->cg_read)
    {
      const NmCgroupMemoryEvents *ev = self->stop_requested ? &self->oom_at_stop : &self->cg_events;
      gboolean known = self->stop_requested ? self->oom_at_stop_known : TRUE;

      r->memory_peak = self->cg_peak;
      r->cpu_usec = self->cg_cpu_usec;
      if (known && ev->oom_kills_known)
        oom = ev->oom_kills > 0;
      else if (known)
        /* Old v1 kernels count no OOM kills: a limit hit plus a SIGKILL nobody here sent. */
        oom = ev->limit_hits > 0 && r->term_signal == SIGKILL && !self->stop_requested;
      oom = oom && st != 0;
    }
  else if (self->monitor != NULL)
    r->memory_peak = nm_monitor_get_peak (self->monitor);

  limit = nm_launcher_format_size (self->memory_limit);
  peak = nm_launcher_format_size (r->memory_peak);
  if (self->exec_errno != 0 || self->exec_stage != 0)
    {
      r->reason = NM_LAUNCHER_LAUNCH_FAILED;
      r->exit_code = 127;
      r->term_signal = 0;
      if (self->exec_stage == STAGE_EXEC)
        r->diagnostics = g_strdup_printf ("Container launch failed: cannot execute '%s': %s%s%s%s", self->argv0,
                                          g_strerror (self->exec_errno),
                                          strchr (self->argv0, '/') == NULL ? " (looked up in PATH=" : "",
                                          strchr (self->argv0, '/') == NULL ? self->exec_path : "",
                                          strchr (self->argv0, '/') == NULL ? ")" : "");
      else
        r->diagnostics = g_strdup_printf ("Container launch failed: %s (%s): %s", stage_text (self->exec_stage),
                                          self->work_dir, g_strerror (self->exec_errno));
    }
  else if (self->monitor_killed)
    {
      r->reason = NM_LAUNCHER_MEMORY_EXCEEDED;
      r->diagnostics = g_strdup_printf ("Container killed: memory limit %s exceeded (peak %s; process-tree "
                                        "monitor, cgroups off)",
                                        limit, peak);
    }
  else if (oom)
    {
      r->reason = NM_LAUNCHER_MEMORY_EXCEEDED;
      r->diagnostics = g_strdup_printf ("Container killed: memory limit %s exceeded (peak %s; the kernel's "
                                        "OOM killer stopped it in its cgroup)",
                                        limit, peak);
    }
  else if (self->stop_requested)
    {
      r->reason = NM_LAUNCHER_KILLED;
      if (self->sigkill_after_grace)
        r->diagnostics = g_strdup_printf ("Container killed on request (SIGKILL: still running %u ms after "
                                          "SIGTERM)",
                                          self->grace_ms);
      else if (r->term_signal != 0)
        r->diagnostics = g_strdup_printf ("Container killed on request (%s)", g_strsignal (r->term_signal));
      else
        r->diagnostics = g_strdup_printf ("Container killed on request (it exited with code %d on SIGTERM)",
                                          r->exit_code);
    }
  else if (st == 0)
    {
      r->reason = NM_LAUNCHER_SUCCEEDED;
      r->diagnostics = g_strdup ("Container exited with code 0");
    }
  else
    {
      r->reason = NM_LAUNCHER_FAILED;
      if (r->term_signal != 0)
        r->diagnostics = g_strdup_printf ("Container terminated by signal %d (%s)%s; see %s/stderr",
                                          r->term_signal, g_strsignal (r->term_signal),
                                          WCOREDUMP (st) ? ", core dumped" : "", self->log_dir);
      else
        r->diagnostics = g_strdup_printf ("Container exited with code %d; see %s/stderr", r->exit_code,
                                          self->log_dir);
    }
  return r;
}

static void launcher_destroy (NmLauncher *self);

/* Reports and ends life on the context. The caller must not touch @self afterwards: on_exit may
 * have freed it. */
static void
report (NmLauncher *self)
{
  clear_source (&self->child_watch);
  clear_source (&self->sample_timer);
  clear_source (&self->kill_timer);
  clear_source (&self->reap_poll);
  self->state = STATE_DONE;
  self->result = make_result (self);
  weft_info ("container %s (pid %d): %s: %s", self->container_id, (int) self->pid,
             nm_launcher_reason_to_string (self->result->reason), self->result->diagnostics);
  if (self->cgroup != NULL)
    g_clear_pointer (&self->cgroup, nm_cgroup_free);
  if (self->on_exit == NULL)
    return;
  self->in_callback = TRUE;
  self->on_exit (self, self->result, self->user_data);
  self->in_callback = FALSE;
  if (self->free_requested)
    launcher_destroy (self);
}

/* Reads the cgroup's final figures while it still exists. */
static void
read_cgroup (NmLauncher *self)
{
  g_autoptr (GError) error = NULL;

  if (self->cgroup == NULL)
    return;
  if (!nm_cgroup_get_memory_peak (self->cgroup, &self->cg_peak, &error)
      || !nm_cgroup_get_memory_events (self->cgroup, &self->cg_events, &error))
    g_warning ("container %s: %s", self->container_id, error->message);
  g_clear_error (&error);
  if (!nm_cgroup_get_cpu_usage (self->cgroup, &self->cg_cpu_usec, &error))
    {
      weft_debug ("container %s: %s", self->container_id, error->message);
      self->cg_cpu_usec = -1;
    }
  self->cg_read = TRUE;
}

static gboolean on_reap_poll (gpointer data);

/* Keeps polling, switching to the slow interval once the fast period is over. */
static gboolean
reap_poll_again (NmLauncher *self)
{
  if (self->reap_slow || g_get_monotonic_time () < self->reap_started + REAP_FAST_FOR_MS * 1000)
    return G_SOURCE_CONTINUE;
  self->reap_slow = TRUE;
  clear_source (&self->reap_poll); /* the one being dispatched: its dispatch holds a reference */
  self->reap_poll = add_timeout (self, REAP_POLL_SLOW_MS, on_reap_poll);
  return G_SOURCE_REMOVE;
}

static gboolean
on_reap_poll (gpointer data)
{
  NmLauncher *self = data;
  gboolean late = g_get_monotonic_time () >= self->reap_deadline;
  g_autoptr (GError) error = NULL;

  if (anything_left (self))
    {
      if (self->escalated)
        kill_round (self, SIGKILL);
      if (!late)
        return reap_poll_again (self);
    }

  read_cgroup (self);
  if (self->cgroup != NULL && !nm_cgroup_remove (self->cgroup, 0, &error))
    {
      if (!late && g_error_matches (error, WEFT_NM_ERROR, WEFT_NM_ERROR_CGROUP_BUSY))
        return reap_poll_again (self);
      g_warning ("container %s: %s", self->container_id, error->message);
    }
  if (late)
    g_warning ("container %s: processes still present %d ms after its main process exited; reporting "
               "anyway",
               self->container_id, REAP_DEADLINE_MS);
  report (self); /* may free self */
  return G_SOURCE_REMOVE;
}

static void
on_child_exit (GPid pid, int status, gpointer data)
{
  NmLauncher *self = data;

  self->main_reaped = TRUE;
  self->wait_status = status;
  self->state = STATE_EXITED;
  clear_source (&self->child_watch);
  clear_source (&self->sample_timer);
  /* Leftovers of a container that ended by itself are killed at once; during a stop they keep
   * their grace period (the kill timer escalates). */
  if (!self->stop_requested || self->kill_timer == NULL)
    self->escalated = TRUE;
  self->reap_started = g_get_monotonic_time ();
  self->reap_deadline = self->reap_started + (gint64) REAP_DEADLINE_MS * 1000;
  if (self->escalated)
    kill_round (self, SIGKILL);
  self->reap_poll = add_timeout (self, REAP_POLL_FAST_MS, on_reap_poll);
}

static gboolean
on_kill_timer (gpointer data)
{
  NmLauncher *self = data;

  clear_source (&self->kill_timer);
  self->escalated = TRUE;
  if (self->state == STATE_RUNNING)
    self->sigkill_after_grace = TRUE;
  kill_round (self, SIGKILL);
  return G_SOURCE_REMOVE;
}

static gboolean
on_sample (gpointer data)
{
  NmLauncher *self = data;
  g_autoptr (GError) error = NULL;
  NmMonitorSample s;

  if (self->cgroup != NULL)
    {
      /* Only for v2 kernels without memory.peak; cheap either way. */
      if (!nm_cgroup_sample_memory (self->cgroup, NULL, &error))
        weft_debug ("container %s: %s", self->container_id, error->message);
      return G_SOURCE_CONTINUE;
    }
  if (!nm_monitor_sample (self->monitor, &s, &error))
    {
      g_warning ("container %s: %s", self->container_id, error->message);
      return G_SOURCE_CONTINUE;
    }
  if (s.over_limit && !self->stop_requested && !self->monitor_killed)
    {
      g_autofree char *rss = nm_launcher_format_size (s.rss_bytes);
      g_autofree char *limit = nm_launcher_format_size (self->memory_limit);

      /* No grace: the node's memory is at stake, and a process past its limit may be growing. */
      g_message ("container %s: its processes (%u) use %s, over the limit of %s: killing it",
                 self->container_id, s.n_processes, rss, limit);
      self->monitor_killed = TRUE;
      self->escalated = TRUE;
      kill_round (self, SIGKILL);
    }
  return G_SOURCE_CONTINUE;
}

/* ---- Start, stop, free ------------------------------------------------------------------------ */

static void
child_args_clear (ChildArgs *a)
{
  g_strfreev (a->argv);
  g_strfreev (a->envp);
  g_strfreev (a->candidates);
  close_fd (&a->in_fd);
  close_fd (&a->out_fd);
  close_fd (&a->err_fd);
}

/* Waits (briefly) for a child we never handed to GLib. */
static void
reap_now (GPid pid)
{
  int st;

  (void) kill (pid, SIGKILL);
  while (waitpid (pid, &st, 0) < 0 && errno == EINTR)
    ;
}

NmLauncher *
nm_launcher_start (const NmLaunchSpec *spec, NmLauncherExitFunc on_exit, gpointer user_data, GError **error)
{
  g_autoptr (NmLauncher) self = NULL;
  ChildArgs a = { .in_fd = -1, .out_fd = -1, .err_fd = -1 };
  int sync_pipe[2] = { -1, -1 }, err_pipe[2] = { -1, -1 };
  int msg[2] = { 0, 0 };
  gsize got = 0;
  struct rlimit rl;
  GPid pid;

  g_return_val_if_fail (spec != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!valid_id (spec->container_id))
    {
      g_set_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_INVALID,
                   "bad container id '%s' (use letters, digits, '.', '_', '-')",
                   spec->container_id ? spec->container_id : "");
      return NULL;
    }
  if (spec->argv == NULL || spec->argv[0] == NULL || spec->argv[0][0] == '\0')
    {
      g_set_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_INVALID, "container %s has no command", spec->container_id);
      return NULL;
    }
  if (spec->work_dir == NULL || spec->log_dir == NULL || spec->memory_limit < 0 || !(spec->vcores >= 0))
    {
      g_set_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_INVALID,
                   "container %s: a work folder and a log folder are required, limits may not be negative",
                   spec->container_id);
      return NULL;
    }

  self = g_new0 (NmLauncher, 1);
  self->container_id = g_strdup (spec->container_id);
  self->argv0 = g_strdup (spec->argv[0]);
  self->work_dir = g_canonicalize_filename (spec->work_dir, NULL);
  self->log_dir = g_canonicalize_filename (spec->log_dir, NULL);
  self->context = spec->context != NULL ? g_main_context_ref (spec->context) : g_main_context_ref_thread_default ();
  self->on_exit = on_exit;
  self->user_data = user_data;
  self->memory_limit = spec->memory_limit;
  self->signalled = g_hash_table_new (NULL, NULL);
  self->state = STATE_DONE; /* until there is a process: freeing kills nothing */

  if (!make_dir (self->work_dir, "work folder", error) || !make_dir (self->log_dir, "log folder", error))
    return NULL;
  a.argv = g_strdupv ((char **) spec->argv);
  a.envp = build_env (spec, self->work_dir, self->log_dir, &self->exec_path, error);
  if (a.envp == NULL)
    goto fail;
  a.candidates = exec_candidates (self->argv0, self->exec_path);
  a.work_dir = self->work_dir;
  if ((a.out_fd = open_log (self->log_dir, "stdout", error)) < 0
      || (a.err_fd = open_log (self->log_dir, "stderr", error)) < 0)
    goto fail;
  a.in_fd = fd_above_stdio (open ("/dev/null", O_RDONLY | O_CLOEXEC));
  if (a.in_fd < 0)
    {
      int e = errno;
      g_set_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_LAUNCH, "cannot open /dev/null: %s", g_strerror (e));
      goto fail;
    }
  a.max_fd = getrlimit (RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY ? (int) MIN (rl.rlim_cur, 65536)
                                                                                   : 65536;

  if (spec->cgroups != NULL && nm_cgroup_manager_get_mode (spec->cgroups) != NM_CGROUP_MODE_NONE)
    {
      self->cgroup = nm_cgroup_new (spec->cgroups, self->container_id, error);
      if (self->cgroup == NULL
          || (spec->memory_limit > 0 && !nm_cgroup_set_memory_limit (self->cgroup, spec->memory_limit, error))
          || (spec->vcores > 0 && !nm_cgroup_set_cpu_limit (self->cgroup, spec->vcores, error)))
        {
          g_prefix_error (error, "container %s: ", self->container_id);
          goto fail;
        }
    }
  else if (spec->vcores > 0)
    weft_info ("container %s: %g vcores not enforced (no cgroups)", self->container_id, spec->vcores);

  if (pipe2 (sync_pipe, O_CLOEXEC) < 0 || pipe2 (err_pipe, O_CLOEXEC) < 0)
    {
      int e = errno;
      g_set_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_LAUNCH, "container %s: cannot create a pipe: %s",
                   self->container_id, g_strerror (e));
      goto fail;
    }
  a.sync_fd = sync_pipe[0];
  a.err_pipe = err_pipe[1];

  pid = fork ();
  if (pid < 0)
    {
      int e = errno;
      g_set_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_LAUNCH, "container %s: cannot fork: %s", self->container_id,
                   g_strerror (e));
      goto fail;
    }
  if (pid == 0)
    child_main (&a);

  self->pid = pid;
  close_fd (&sync_pipe[0]);
  close_fd (&err_pipe[1]);
  if (self->cgroup != NULL && !nm_cgroup_add_process (self->cgroup, pid, error))
    {
      g_prefix_error (error, "container %s: ", self->container_id);
      close_fd (&sync_pipe[1]); /* the child reads EOF and exits without running anything */
      reap_now (pid);
      goto fail;
    }
  if (write (sync_pipe[1], "g", 1) != 1)
    {
      int e = errno;
      g_set_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_LAUNCH, "container %s: cannot release the child: %s",
                   self->container_id, g_strerror (e));
      close_fd (&sync_pipe[1]);
      reap_now (pid);
      goto fail;
    }
  close_fd (&sync_pipe[1]);
  /* EOF: the exec happened (the pipe was close-on-exec). Else the child's stage and errno. */
  while (got < sizeof msg)
    {
      ssize_t n = read (err_pipe[0], (char *) msg + got, sizeof msg - got);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      got += (gsize) n;
    }
  close_fd (&err_pipe[0]);
  if (got == sizeof msg)
    {
      self->exec_stage = msg[0];
      self->exec_errno = msg[1];
    }
  child_args_clear (&a);

  self->state = STATE_RUNNING;
  self->child_watch = g_child_watch_source_new (pid);
  g_source_set_callback (self->child_watch, G_SOURCE_FUNC (on_child_exit), self, NULL);
  g_source_attach (self->child_watch, self->context);
  if (self->cgroup == NULL)
    self->monitor = nm_monitor_new (pid, spec->memory_limit, NULL);
  self->sample_timer = add_timeout (self, spec->monitor_interval_ms > 0 ? spec->monitor_interval_ms
                                                                        : DEFAULT_MONITOR_INTERVAL_MS,
                                    on_sample);
  weft_info ("container %s: started pid %d (%s), memory limit %" G_GINT64_FORMAT ", %g vcores, %s",
             self->container_id, (int) pid, self->argv0, spec->memory_limit, spec->vcores,
             self->cgroup != NULL ? nm_cgroup_get_path (self->cgroup) : "no cgroup");
  return g_steal_pointer (&self);

fail:
  close_fd (&sync_pipe[0]);
  close_fd (&sync_pipe[1]);
  close_fd (&err_pipe[0]);
  close_fd (&err_pipe[1]);
  child_args_clear (&a);
  if (self->cgroup != NULL)
    (void) nm_cgroup_remove (self->cgroup, 1000, NULL);
  return NULL;
}

void
nm_launcher_stop (NmLauncher *self, guint grace_ms)
{
  gint64 at;

  g_return_if_fail (self != NULL);
  if (self->state == STATE_DONE)
    return;
  if (self->state == STATE_EXITED)
    {
      /* It ended by itself: the result stands; only the leftovers' grace can shrink. */
      if (grace_ms == 0 && !self->escalated)
        {
          clear_source (&self->kill_timer);
          self->escalated = TRUE;
        }
      return;
    }

  at = g_get_monotonic_time () + (gint64) grace_ms * 1000;
  if (!self->stop_requested)
    {
      self->stop_requested = TRUE;
      self->grace_ms = grace_ms;
      if (self->cgroup != NULL)
        {
          g_autoptr (GError) error = NULL;

          /* An OOM kill before the stop makes the result MEMORY_EXCEEDED, one after is ours. */
          self->oom_at_stop_known = nm_cgroup_get_memory_events (self->cgroup, &self->oom_at_stop, &error);
          if (!self->oom_at_stop_known)
            g_warning ("container %s: %s", self->container_id, error->message);
        }
      weft_info ("container %s: stopping (SIGTERM, SIGKILL after %u ms)", self->container_id, grace_ms);
      if (grace_ms > 0)
        kill_round (self, SIGTERM);
    }
  else if (self->kill_timer == NULL || at >= self->kill_at)
    return;

  clear_source (&self->kill_timer);
  if (grace_ms == 0)
    {
      self->escalated = TRUE;
      kill_round (self, SIGKILL);
      return;
    }
  self->grace_ms = grace_ms;
  self->kill_at = at;
  self->kill_timer = add_timeout (self, grace_ms, on_kill_timer);
}

/* Frees without reporting; kills first what is still running. */
static void
kill_sync (NmLauncher *self)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) FREE_WAIT_MS * 1000;
  g_autoptr (GError) error = NULL;

  /* GLib stops waiting for the pid once its source is gone; from then on it is ours to reap. */
  clear_source (&self->child_watch);
  clear_source (&self->sample_timer);
  clear_source (&self->kill_timer);
  clear_source (&self->reap_poll);
  self->escalated = TRUE;
  for (;;)
    {
      kill_round (self, SIGKILL);
      if (!self->main_reaped)
        {
          int st;
          pid_t r = waitpid (self->pid, &st, WNOHANG);

          /* ECHILD: GLib's worker reaped it before its source went. */
          if (r == self->pid || (r < 0 && errno == ECHILD))
            self->main_reaped = TRUE;
        }
      if (self->main_reaped && !anything_left (self))
        break;
      if (g_get_monotonic_time () >= deadline)
        {
          g_warning ("container %s: processes still present %d ms after SIGKILL", self->container_id,
                     FREE_WAIT_MS);
          break;
        }
      g_usleep (5 * 1000);
    }
  if (self->cgroup != NULL && !nm_cgroup_remove (self->cgroup, FREE_WAIT_MS, &error))
    g_warning ("container %s: %s", self->container_id, error->message);
}

static void
launcher_destroy (NmLauncher *self)
{
  if (self->state != STATE_DONE)
    kill_sync (self);
  clear_source (&self->child_watch);
  clear_source (&self->sample_timer);
  clear_source (&self->kill_timer);
  clear_source (&self->reap_poll);
  g_clear_pointer (&self->cgroup, nm_cgroup_free);
  g_clear_pointer (&self->monitor, nm_monitor_free);
  g_clear_pointer (&self->result, nm_launcher_result_free);
  g_clear_pointer (&self->signalled, g_hash_table_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_free (self->container_id);
  g_free (self->argv0);
  g_free (self->exec_path);
  g_free (self->work_dir);
  g_free (self->log_dir);
  g_free (self);
}

void
nm_launcher_free (NmLauncher *self)
{
  if (self == NULL)
    return;
  if (self->in_callback)
    {
      self->free_requested = TRUE;
      return;
    }
  launcher_destroy (self);
}

GPid
nm_launcher_get_pid (NmLauncher *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->pid;
}

const char *
nm_launcher_get_container_id (NmLauncher *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->container_id;
}

const NmLauncherResult *
nm_launcher_get_result (NmLauncher *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->result;
}

NmCgroup *
nm_launcher_get_cgroup (NmLauncher *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->cgroup;
}

GArray *
nm_launcher_list_pids (NmLauncher *self, GError **error)
{
  g_autoptr (NmProcTable) table = NULL;
  g_autoptr (GHashTable) set = g_hash_table_new (NULL, NULL);
  GArray *out, *tree;
  GHashTableIter it;
  gpointer key;

  g_return_val_if_fail (self != NULL, NULL);
  if (self->pid <= 0)
    return g_array_new (FALSE, FALSE, sizeof (GPid));
  table = nm_monitor_table_read (NULL, error);
  if (table == NULL)
    return NULL;
  tree = nm_monitor_table_tree (table, self->pid);
  for (guint i = 0; i < tree->len; i++)
    g_hash_table_add (set, GINT_TO_POINTER (g_array_index (tree, GPid, i)));
  g_array_unref (tree);
  if (self->cgroup != NULL)
    {
      g_autoptr (GArray) pids = nm_cgroup_list_pids (self->cgroup, error);

      if (pids == NULL)
        return NULL;
      for (guint i = 0; i < pids->len; i++)
        g_hash_table_add (set, GINT_TO_POINTER (g_array_index (pids, GPid, i)));
    }
  out = g_array_new (FALSE, FALSE, sizeof (GPid));
  g_hash_table_iter_init (&it, set);
  while (g_hash_table_iter_next (&it, &key, NULL))
    {
      GPid p = GPOINTER_TO_INT (key);

      g_array_append_val (out, p);
    }
  g_array_sort (out, cmp_pid);
  return out;
}
