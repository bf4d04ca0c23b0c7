/* Tests of nm-monitor: parsing /proc/<pid>/stat, the container tree of a hand-made snapshot
 * (session, process group, descendants, a double-forked orphan, a setsid child), sampling a fake
 * /proc, and, through the launcher with cgroups forced off, a container killed past its limit. */

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "nm-cgroup.h"
#include "nm-launcher.h"
#include "nm-monitor.h"
#include "nm-test-util.h"

#define MiB (1024 * 1024)

/* ---- Parsing ---------------------------------------------------------------------------------- */

/* A real line's shape: pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt
 * cmajflt utime stime cutime cstime priority nice threads itreal starttime vsize rss ... */
static char *
stat_line (int pid, const char *comm, char state, int ppid, int pgrp, int sid, long rss_pages)
{
  return g_strdup_printf ("%d (%s) %c %d %d %d 0 -1 4194560 120 0 0 0 1 2 0 0 20 0 1 0 %d 8192000 %ld "
                          "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n",
                          pid, comm, state, ppid, pgrp, sid, 1000 + pid, rss_pages);
}

static void
test_parse_stat (void)
{
  g_autofree char *plain = stat_line (4242, "sleep", 'S', 1, 4240, 4240, 25);
  g_autofree char *nasty = stat_line (77, "a) b (c", 'R', 5, 6, 7, 3);
  g_autoptr (GError) error = NULL;
  NmProcInfo p;

  g_assert_true (nm_monitor_parse_stat (plain, 4096, &p, &error));
  g_assert_no_error (error);
  g_assert_cmpint (p.pid, ==, 4242);
  g_assert_cmpint (p.ppid, ==, 1);
  g_assert_cmpint (p.pgid, ==, 4240);
  g_assert_cmpint (p.sid, ==, 4240);
  g_assert_cmpint (p.state, ==, 'S');
  g_assert_cmpuint (p.start_time, ==, 1000 + 4242);
  g_assert_cmpint (p.rss_bytes, ==, 25 * 4096);

  /* A command name with spaces and parentheses: fields count from the last ')'. */
  g_assert_true (nm_monitor_parse_stat (nasty, 4096, &p, &error));
  g_assert_cmpint (p.pid, ==, 77);
  g_assert_cmpint (p.ppid, ==, 5);
  g_assert_cmpint (p.sid, ==, 7);
  g_assert_cmpint (p.rss_bytes, ==, 3 * 4096);

  g_assert_false (nm_monitor_parse_stat ("", 4096, &p, &error));
  g_assert_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_PROC);
  g_clear_error (&error);
  g_assert_false (nm_monitor_parse_stat ("12 (x) S 1 2", 4096, &p, &error));
  g_assert_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_PROC);
  g_clear_error (&error);
  g_assert_false (nm_monitor_parse_stat ("garbage without parens", 4096, &p, &error));
  g_assert_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_PROC);
  g_clear_error (&error);
  {
    g_autofree char *bad_ppid = g_strdup (plain);
    char *ppid = strstr (bad_ppid, ") S 1 ") + 4;

    *ppid = 'x';
    g_assert_false (nm_monitor_parse_stat (bad_ppid, 4096, &p, &error));
    g_assert_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_PROC);
  }
}

/* ---- The tree --------------------------------------------------------------------------------- */

static void
add (NmProcTable *t, GPid pid, GPid ppid, GPid pgid, GPid sid, gint64 rss, char state)
{
  NmProcInfo p = { .pid = pid, .ppid = ppid, .pgid = pgid, .sid = sid, .state = state, .rss_bytes = rss };

  nm_monitor_table_add (t, &p);
}

static gboolean
has (const GArray *pids, GPid pid)
{
  for (guint i = 0; i < pids->len; i++)
    if (g_array_index (pids, GPid, i) == pid)
      return TRUE;
  return FALSE;
}

/* The container's main process is 100 (session and group leader). */
static NmProcTable *
sample_table (gboolean with_root)
{
  NmProcTable *t = nm_monitor_table_new ();

  add (t, 1, 0, 1, 1, 10 * MiB, 'S');          /* init */
  add (t, 50, 1, 50, 50, 20 * MiB, 'S');       /* the NM */
  if (with_root)
    add (t, 100, 50, 100, 100, 5 * MiB, 'S');  /* container main */
  add (t, 101, 100, 100, 100, 7 * MiB, 'R');   /* a child */
  add (t, 102, 101, 100, 100, 11 * MiB, 'R');  /* a grandchild */
  add (t, 103, 1, 100, 100, 13 * MiB, 'S');    /* double-forked: reparented to init, same session */
  add (t, 104, 101, 104, 104, 17 * MiB, 'S');  /* called setsid(): found through its parent 101 */
  add (t, 105, 104, 104, 104, 19 * MiB, 'S');  /* ... and its child */
  add (t, 106, 100, 106, 100, 23 * MiB, 'S');  /* its own process group (shell job control) */
  add (t, 107, 100, 100, 100, 0, 'Z');         /* a zombie: still holds its pid */
  add (t, 200, 1, 200, 200, 29 * MiB, 'S');    /* unrelated */
  add (t, 201, 200, 200, 200, 31 * MiB, 'S');  /* unrelated child */
  add (t, 300, 1, 300, 300, 37 * MiB, 'S');    /* escaped: setsid and reparented; only a cgroup holds it */
  return t;
}

static void
test_tree (void)
{
  g_autoptr (NmProcTable) t = sample_table (TRUE);
  g_autoptr (GArray) tree = nm_monitor_table_tree (t, 100);
  const GPid expect[] = { 100, 101, 102, 103, 104, 105, 106, 107 };

  g_assert_cmpuint (nm_monitor_table_size (t), ==, 13);
  g_assert_cmpuint (tree->len, ==, G_N_ELEMENTS (expect));
  for (guint i = 0; i < G_N_ELEMENTS (expect); i++)
    g_assert_cmpint (g_array_index (tree, GPid, i), ==, expect[i]); /* sorted */
  g_assert_cmpint (nm_monitor_table_rss (t, tree), ==, (5 + 7 + 11 + 13 + 17 + 19 + 23 + 0) * (gint64) MiB);
  g_assert_false (has (tree, 1));
  g_assert_false (has (tree, 50));
  g_assert_false (has (tree, 200));
  g_assert_false (has (tree, 300));
}

static void
test_tree_root_gone (void)
{
  g_autoptr (NmProcTable) t = sample_table (FALSE);
  g_autoptr (GArray) tree = NULL;
  g_autoptr (GArray) none = NULL;
  g_autoptr (GArray) init = NULL;

  /* The main process exited and was reaped: its children were reparented to init. The session
   * still names them all. */
  g_assert_null (nm_monitor_table_lookup (t, 100));
  add (t, 101, 1, 100, 100, 7 * MiB, 'R');
  add (t, 106, 1, 106, 100, 23 * MiB, 'S');
  tree = nm_monitor_table_tree (t, 100);
  g_assert_cmpuint (tree->len, ==, 7);
  g_assert_false (has (tree, 100));
  g_assert_true (has (tree, 104));
  g_assert_true (has (tree, 105));

  none = nm_monitor_table_tree (t, 999);
  g_assert_cmpuint (none->len, ==, 0);
  init = nm_monitor_table_tree (t, 1);
  g_assert_cmpuint (init->len, ==, 0); /* never init's tree */
  g_assert_cmpint (nm_monitor_table_rss (t, none), ==, 0);
}

/* ---- Sampling a fake /proc -------------------------------------------------------------------- */

static void
fake_proc (const char *dir, int pid, int ppid, int sid, long rss_pages)
{
  g_autofree char *pdir = g_strdup_printf ("%s/%d", dir, pid);
  g_autofree char *path = g_build_filename (pdir, "stat", NULL);
  g_autofree char *line = stat_line (pid, "fake", 'S', ppid, sid, sid, rss_pages);

  g_assert_cmpint (g_mkdir_with_parents (pdir, 0755), ==, 0);
  g_assert_true (g_file_set_contents (path, line, -1, NULL));
}

static void
test_sample_fake_proc (void)
{
  g_autofree char *dir = nm_test_mkdtemp ();
  long page = sysconf (_SC_PAGESIZE);
  long pages_per_mib = MiB / page;
  g_autoptr (NmMonitor) m = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *self = g_build_filename (dir, "self", NULL);
  NmMonitorSample s;

  fake_proc (dir, 1, 0, 1, 100);
  fake_proc (dir, 500, 1, 500, 10 * pages_per_mib);
  fake_proc (dir, 501, 500, 500, 20 * pages_per_mib);
  fake_proc (dir, 600, 1, 600, 999 * pages_per_mib);
  g_assert_true (g_file_set_contents (self, "not a process", -1, NULL)); /* non-numeric: ignored */
  m = nm_monitor_new (500, 64 * MiB, dir);
  g_assert_cmpint (nm_monitor_get_limit (m), ==, 64 * MiB);

  g_assert_true (nm_monitor_sample (m, &s, &error));
  g_assert_no_error (error);
  g_assert_cmpint (s.rss_bytes, ==, 30 * MiB);
  g_assert_cmpint (s.peak_bytes, ==, 30 * MiB);
  g_assert_cmpuint (s.n_processes, ==, 2);
  g_assert_false (s.over_limit);
  g_assert_cmpuint (nm_monitor_get_pids (m)->len, ==, 2);

  /* Grows past the limit through a new, double-forked process. */
  fake_proc (dir, 502, 1, 500, 50 * pages_per_mib);
  g_assert_true (nm_monitor_sample (m, &s, &error));
  g_assert_cmpint (s.rss_bytes, ==, 80 * MiB);
  g_assert_true (s.over_limit);
  g_assert_true (nm_monitor_was_over_limit (m));

  /* Shrinks: the peak stays, over_limit is per sample, was_over sticks. */
  {
    g_autofree char *gone = g_build_filename (dir, "502", NULL);

    nm_test_rm_rf (gone);
  }
  g_assert_true (nm_monitor_sample (m, &s, &error));
  g_assert_cmpint (s.rss_bytes, ==, 30 * MiB);
  g_assert_cmpint (s.peak_bytes, ==, 80 * MiB);
  g_assert_false (s.over_limit);
  g_assert_true (nm_monitor_was_over_limit (m));
  g_assert_cmpint (nm_monitor_get_peak (m), ==, 80 * MiB);

  /* A stat file that does not parse is an error naming it. */
  {
    g_autofree char *bad = g_build_filename (dir, "501", "stat", NULL);

    g_assert_true (g_file_set_contents (bad, "501 (x) S", -1, NULL));
    g_assert_false (nm_monitor_sample (m, &s, &error));
    g_assert_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_PROC);
    g_assert_nonnull (error != NULL ? strstr (error->message, bad) : NULL);
    g_clear_error (&error);
  }
  nm_test_rm_rf (dir);

  /* A missing /proc. */
  g_assert_null (nm_monitor_table_read (dir, &error));
  g_assert_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_PROC);
}

static void
test_real_proc (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (NmProcTable) t = nm_monitor_table_read (NULL, &error);
  const NmProcInfo *me;

  g_assert_no_error (error);
  if (t == NULL)
    return;
  me = nm_monitor_table_lookup (t, getpid ());
  g_assert_nonnull (me);
  if (me == NULL)
    return;
  g_assert_cmpint (me->ppid, ==, getppid ());
  g_assert_cmpint (me->pgid, ==, getpgrp ());
  g_assert_cmpint (me->sid, ==, getsid (0));
  g_assert_cmpint (me->rss_bytes, >, 0);
}

/* ---- The monitor as the launcher uses it ------------------------------------------------------ */

typedef struct
{
  char *dir;
  NmCgroupManager *mgr; /* forced none */
  NmLauncher *launcher;
  int exits;
} Fixture;

static void
setup (Fixture *fx, gconstpointer data)
{
  NmCgroupOptions opt = { .mode = NM_CGROUP_MODE_NONE };
  g_autoptr (GError) error = NULL;

  fx->dir = nm_test_mkdtemp ();
  fx->mgr = nm_cgroup_manager_new (&opt, &error);
  g_assert_no_error (error);
}

static void
teardown (Fixture *fx, gconstpointer data)
{
  g_clear_pointer (&fx->launcher, nm_launcher_free);
  g_clear_pointer (&fx->mgr, nm_cgroup_manager_free);
  nm_test_rm_rf (fx->dir);
  g_free (fx->dir);
}

static const NmLauncherResult *
run_helper (Fixture *fx, const char *const *args, gint64 limit)
{
  g_autofree char *helper = nm_test_helper_path ();
  g_autofree char *work = g_build_filename (fx->dir, "work", NULL);
  g_autofree char *logs = g_build_filename (fx->dir, "logs", NULL);
  const char *argv[8] = { helper };
  NmLaunchSpec spec = {
    .container_id = "container_1_0001_01_000002",
    .argv = argv,
    .work_dir = work,
    .log_dir = logs,
    .memory_limit = limit,
    .cgroups = fx->mgr,
    .monitor_interval_ms = 50,
  };
  g_autoptr (GError) error = NULL;

  for (guint i = 0; args[i] != NULL && i + 2 < G_N_ELEMENTS (argv); i++)
    argv[i + 1] = args[i];
  g_assert_cmpint (nm_cgroup_manager_get_mode (fx->mgr), ==, NM_CGROUP_MODE_NONE);
  fx->launcher = nm_launcher_start (&spec, nm_test_count_exit, &fx->exits, &error);
  g_assert_no_error (error);
  if (fx->launcher == NULL)
    return NULL;
  g_assert_null (nm_launcher_get_cgroup (fx->launcher));
  return nm_test_wait_result (fx->launcher, 30000);
}

static void
test_over_limit (Fixture *fx, gconstpointer data)
{
  /* 512 MiB in steps of 8 MiB every 20 ms: the monitor (every 50 ms) sees it pass 64 MiB long
   * before the end. */
  const char *args[] = { "mem", "512", "8", "20", "10000", NULL };
  const NmLauncherResult *r = run_helper (fx, args, 64 * MiB);
  g_autoptr (GArray) pids = NULL;

  g_assert_nonnull (r);
  if (r == NULL)
    return;
  g_test_message ("%s (peak %" G_GINT64_FORMAT " bytes)", r->diagnostics, r->memory_peak);
  g_assert_cmpint (r->reason, ==, NM_LAUNCHER_MEMORY_EXCEEDED);
  g_assert_cmpint (r->term_signal, ==, SIGKILL);
  g_assert_cmpint (r->memory_limit, ==, 64 * MiB);
  g_assert_cmpint (r->memory_peak, >, 64 * MiB);
  g_assert_cmpint (r->memory_peak, <, 512 * MiB);
  g_assert_nonnull (strstr (r->diagnostics, "memory limit 64 MiB exceeded (peak "));
  g_assert_cmpint (fx->exits, ==, 1);
  g_assert_true (nm_test_pid_gone (nm_launcher_get_pid (fx->launcher)));
}

static void
test_within_limit (Fixture *fx, gconstpointer data)
{
  const char *args[] = { "mem", "32", "8", "20", "300", NULL };
  const NmLauncherResult *r = run_helper (fx, args, 256 * MiB);

  g_assert_nonnull (r);
  if (r == NULL)
    return;
  g_test_message ("%s (peak %" G_GINT64_FORMAT " bytes)", r->diagnostics, r->memory_peak);
  g_assert_cmpint (r->reason, ==, NM_LAUNCHER_SUCCEEDED);
  g_assert_cmpint (r->memory_peak, >=, 32 * MiB);
  g_assert_cmpint (r->memory_peak, <, 256 * MiB);
}

/* A process the kernel is tearing down (state X) has -1 for its group and
 * session; a table read must skip it, not fail (seen in a CI run). */
static void
test_table_skips_dead (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("weft-proc-XXXXXX", &error);
  g_assert_no_error (error);
  const char *alive = "100 (sleep) S 1 100 100 0 -1 4194304 100 0 0 0 0 0 0 0 20 0 1 0 5000 1000000 250 "
                      "18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";
  const char *dead = "15052 (sha256sum) X 0 -1 -1 0 -1 4227084 122 0 0 0 0 0 0 0 20 0 0 0 287129 0 0 0 0 "
                     "0 0 0 0 0 0 0 0 1 0 0 17 0 0 0 0 0 0";
  const char *lines[] = { alive, dead };
  const char *pids[] = { "100", "15052" };
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *pd = g_build_filename (dir, pids[i], NULL);
      g_autofree char *stat = g_build_filename (pd, "stat", NULL);
      g_assert_cmpint (g_mkdir_with_parents (pd, 0755), ==, 0);
      g_assert_true (g_file_set_contents (stat, lines[i], -1, NULL));
    }
  g_autoptr (NmProcTable) t = nm_monitor_table_read (dir, &error);
  g_assert_no_error (error);
  g_assert_nonnull (t);
  g_assert_cmpuint (nm_monitor_table_size (t), ==, 1);
  g_assert_nonnull (nm_monitor_table_lookup (t, 100));
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", dir);
  g_assert_cmpint (system (cmd), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();

  g_test_add_func ("/nodemanager/monitor/parse-stat", test_parse_stat);
  g_test_add_func ("/nodemanager/monitor/tree", test_tree);
  g_test_add_func ("/nodemanager/monitor/tree-root-gone", test_tree_root_gone);
  g_test_add_func ("/nodemanager/monitor/sample-fake-proc", test_sample_fake_proc);
  g_test_add_func ("/nodemanager/monitor/real-proc", test_real_proc);
  g_test_add ("/nodemanager/monitor/over-limit", Fixture, NULL, setup, test_over_limit, teardown);
  g_test_add ("/nodemanager/monitor/within-limit", Fixture, NULL, setup, test_within_limit, teardown);
  g_test_add_func ("/nodemanager/monitor/table-skips-dead", test_table_skips_dead);
  return g_test_run ();
}
