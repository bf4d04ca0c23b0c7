/* Tests of nm-cgroup, and of the launcher with cgroups: detection (on fake mount tables and on
 * this machine), a group's life (limits written, a process added, listed, killed, the group
 * removed), a container killed past its memory limit, one within it, CPU quotas measured from the
 * group's own accounting, a process that escapes its session, and cleanup after a crash. Tests that
 * need writable cgroups skip where there are none. Every group is removed in teardown, pass or fail. */

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nm-cgroup.h"
#include "nm-launcher.h"
#include "nm-monitor.h"
#include "nm-test-util.h"

#define MiB (1024 * 1024)
#define WAIT_MS 30000

/* ---- Modes and detection on fake tables ------------------------------------------------------ */

static void
test_mode_strings (void)
{
  g_autoptr (GError) error = NULL;
  NmCgroupMode m;

  for (NmCgroupMode i = NM_CGROUP_MODE_AUTO; i <= NM_CGROUP_MODE_NONE; i++)
    {
      g_assert_true (nm_cgroup_mode_from_string (nm_cgroup_mode_to_string (i), &m, &error));
      g_assert_cmpint (m, ==, i);
    }
  g_assert_false (nm_cgroup_mode_from_string ("v3", &m, &error));
  g_assert_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_INVALID);
}

static void
write_file (const char *dir, const char *name, const char *text)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);

  g_assert_true (g_file_set_contents (path, text, -1, NULL));
}

static void
test_detect_fake (void)
{
  g_autofree char *dir = nm_test_mkdtemp ();
  g_autofree char *mi = g_build_filename (dir, "mountinfo", NULL);
  g_autofree char *sc = g_build_filename (dir, "cgroup", NULL);
  g_autofree char *unified = g_build_filename (dir, "unified", NULL);
  g_autofree char *own = g_build_filename (unified, "nm.service", NULL);
  g_autofree char *line = NULL;
  NmCgroupOptions opt = { .mode = NM_CGROUP_MODE_AUTO, .instance = "fake", .mountinfo = mi, .self_cgroup = sc };
  char *v1_why = NULL, *v2_why = NULL;
  GError *error = NULL;

  /* No cgroup file system at all. */
  write_file (dir, "mountinfo", "22 1 0:21 / /proc rw,nosuid - proc proc rw\n");
  write_file (dir, "cgroup", "0::/\n");
  g_assert_cmpint (nm_cgroup_detect (&opt, &v1_why, &v2_why), ==, NM_CGROUP_MODE_NONE);
  g_assert_cmpstr (v1_why, ==, "no memory hierarchy is mounted");
  g_assert_cmpstr (v2_why, ==, "no cgroup2 file system is mounted");
  g_clear_pointer (&v1_why, g_free);
  g_clear_pointer (&v2_why, g_free);

  opt.mode = NM_CGROUP_MODE_V1;
  g_assert_null (nm_cgroup_manager_new (&opt, &error));
  g_assert_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_CGROUP_UNAVAILABLE);
  g_assert_nonnull (error != NULL ? strstr (error->message, "no memory hierarchy is mounted") : NULL);
  g_clear_error (&error);
  opt.mode = NM_CGROUP_MODE_V2;
  g_assert_null (nm_cgroup_manager_new (&opt, &error));
  g_assert_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_CGROUP_UNAVAILABLE);
  g_assert_nonnull (error != NULL ? strstr (error->message, "v2 requested") : NULL);
  g_clear_error (&error);
  {
    g_autoptr (NmCgroupManager) m = NULL;
    g_autofree char *desc = NULL;

    opt.mode = NM_CGROUP_MODE_AUTO;
    m = nm_cgroup_manager_new (&opt, &error);
    g_assert_no_error (error);
    g_assert_cmpint (nm_cgroup_manager_get_mode (m), ==, NM_CGROUP_MODE_NONE);
    g_assert_null (nm_cgroup_manager_get_path (m));
    desc = nm_cgroup_manager_describe (m);
    g_assert_true (g_str_has_prefix (desc, "cgroups off: "));
    g_assert_null (nm_cgroup_new (m, "c1", &error));
    g_assert_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_CGROUP_UNAVAILABLE);
    g_clear_error (&error);
  }

  /* A v2 mount whose NM group has no controllers (this machine's hybrid layout). */
  g_assert_cmpint (g_mkdir_with_parents (own, 0755), ==, 0);
  line = g_strdup_printf ("41 31 0:38 / %s rw,relatime - cgroup2 cgroup2 rw\n", unified);
  write_file (dir, "mountinfo", line);
  write_file (dir, "cgroup", "0::/nm.service\n");
  write_file (own, "cgroup.controllers", "\n");
  write_file (own, "cgroup.subtree_control", "");
  g_assert_cmpint (nm_cgroup_detect (&opt, NULL, &v2_why), ==, NM_CGROUP_MODE_NONE);
  g_assert_nonnull (v2_why != NULL ? strstr (v2_why, "cgroup.controllers") : NULL);
  g_clear_pointer (&v2_why, g_free);

  /* With controllers and a writable subtree_control it is usable. */
  write_file (own, "cgroup.controllers", "cpuset cpu io memory pids\n");
  g_assert_cmpint (nm_cgroup_detect (&opt, NULL, &v2_why), ==, NM_CGROUP_MODE_V2);
  g_assert_null (v2_why);

  /* A mount of a sub-tree that does not hold the NM's group. */
  g_free (line);
  line = g_strdup_printf ("41 31 0:38 /other %s rw,relatime - cgroup2 cgroup2 rw\n", unified);
  write_file (dir, "mountinfo", line);
  g_assert_cmpint (nm_cgroup_detect (&opt, NULL, &v2_why), ==, NM_CGROUP_MODE_NONE);
  g_assert_nonnull (v2_why != NULL ? strstr (v2_why, "outside") : NULL);
  g_clear_pointer (&v2_why, g_free);

  /* An unreadable mount table. */
  g_free (line);
  line = g_build_filename (dir, "missing", NULL);
  opt.mountinfo = line;
  g_assert_cmpint (nm_cgroup_detect (&opt, &v1_why, NULL), ==, NM_CGROUP_MODE_NONE);
  g_assert_nonnull (v1_why != NULL ? strstr (v1_why, line) : NULL);
  g_clear_pointer (&v1_why, g_free);

  nm_test_rm_rf (dir);
}

static void
test_detect_real (void)
{
  NmCgroupOptions opt = { .mode = NM_CGROUP_MODE_AUTO, .instance = "probe" };
  g_autofree char *v1_why = NULL, *v2_why = NULL;
  NmCgroupMode mode = nm_cgroup_detect (&opt, &v1_why, &v2_why);
  GError *error = NULL;

  g_test_message ("this machine: %s (v1: %s; v2: %s)", nm_cgroup_mode_to_string (mode), v1_why ? v1_why : "usable",
                  v2_why ? v2_why : "usable");
  /* Forcing an unusable version is an error that says why. */
  if (v2_why != NULL)
    {
      opt.mode = NM_CGROUP_MODE_V2;
      g_assert_null (nm_cgroup_manager_new (&opt, &error));
      g_assert_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_CGROUP_UNAVAILABLE);
      g_assert_nonnull (error != NULL ? strstr (error->message, v2_why) : NULL);
      g_clear_error (&error);
    }
  if (v1_why != NULL)
    {
      opt.mode = NM_CGROUP_MODE_V1;
      g_assert_null (nm_cgroup_manager_new (&opt, &error));
      g_assert_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_CGROUP_UNAVAILABLE);
      g_clear_error (&error);
    }
  opt.mode = NM_CGROUP_MODE_AUTO;
  opt.instance = "../bad";
  if (mode != NM_CGROUP_MODE_NONE)
    {
      g_assert_null (nm_cgroup_manager_new (&opt, &error));
      g_assert_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_INVALID);
      g_clear_error (&error);
    }
}

/* ---- Fixture: a manager of a unique instance, cleaned up whatever happens --------------------- */

typedef struct
{
  char *dir;
  NmCgroupManager *mgr;
  char *mgr_path;
  GPtrArray *launchers;
  GArray *spawned; /* GPid of processes the test started itself */
  int exits;
} Fixture;

static NmCgroupManager *
new_manager (const char *tag, GError **error)
{
  static guint counter;
  g_autofree char *instance = g_strdup_printf ("test-%d-%s-%u", (int) getpid (), tag, counter++);
  /* The highest weight, so that builds and tests running beside this one do not starve the CPU
   * measurements: the quota is what is being tested, not the machine's spare time. */
  NmCgroupOptions opt = { .mode = NM_CGROUP_MODE_AUTO, .instance = instance, .cpu_shares = 262144 };

  return nm_cgroup_manager_new (&opt, error);
}

static void
setup (Fixture *fx, gconstpointer data)
{
  NmCgroupOptions probe = { .mode = NM_CGROUP_MODE_AUTO };
  g_autofree char *v1_why = NULL, *v2_why = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *desc = NULL;

  fx->dir = nm_test_mkdtemp ();
  fx->launchers = g_ptr_array_new_with_free_func ((GDestroyNotify) nm_launcher_free);
  fx->spawned = g_array_new (FALSE, FALSE, sizeof (GPid));
  if (nm_cgroup_detect (&probe, &v1_why, &v2_why) == NM_CGROUP_MODE_NONE)
    {
      g_test_skip_printf ("no writable cgroups (v1: %s; v2: %s)", v1_why, v2_why);
      return;
    }
  fx->mgr = new_manager ("fx", &error);
  g_assert_no_error (error);
  if (fx->mgr == NULL)
    return;
  fx->mgr_path = g_strdup (nm_cgroup_manager_get_path (fx->mgr));
  desc = nm_cgroup_manager_describe (fx->mgr);
  g_test_message ("%s", desc);
  g_assert_true (g_file_test (fx->mgr_path, G_FILE_TEST_IS_DIR));
}

static void
teardown (Fixture *fx, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  g_ptr_array_unref (fx->launchers); /* kills what still runs */
  for (guint i = 0; i < fx->spawned->len; i++)
    {
      GPid pid = g_array_index (fx->spawned, GPid, i);
      int st;

      (void) kill (pid, SIGKILL);
      while (waitpid (pid, &st, 0) < 0 && errno == EINTR)
        ;
    }
  g_array_unref (fx->spawned);
  if (fx->mgr != NULL)
    {
      g_assert_true (nm_cgroup_manager_cleanup (fx->mgr, 2000, &error));
      g_assert_no_error (error);
      nm_cgroup_manager_free (fx->mgr);
      /* Every group of the instance is gone, the instance's own included. */
      g_assert_false (g_file_test (fx->mgr_path, G_FILE_TEST_EXISTS));
    }
  g_free (fx->mgr_path);
  nm_test_rm_rf (fx->dir);
  g_free (fx->dir);
}

static GPid
spawn_sleep (Fixture *fx)
{
  const char *argv[] = { "sleep", "1000", NULL };
  g_autoptr (GError) error = NULL;
  GPid pid = 0;

  g_spawn_async (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid,
                 &error);
  g_assert_no_error (error);
  if (pid > 0)
    g_array_append_val (fx->spawned, pid);
  return pid;
}

static gboolean
reap (Fixture *fx, GPid pid, int *out_status)
{
  for (guint i = 0; i < fx->spawned->len; i++)
    if (g_array_index (fx->spawned, GPid, i) == pid)
      {
        g_array_remove_index (fx->spawned, i);
        while (waitpid (pid, out_status, 0) < 0)
          if (errno != EINTR)
            return FALSE;
        return TRUE;
      }
  return FALSE;
}

static char *
read_in (const char *dir, const char *file)
{
  g_autofree char *text = nm_test_read (dir, file);

  return g_strdup (g_strstrip (text));
}

static gboolean
contains (const GArray *pids, GPid pid)
{
  for (guint i = 0; pids != NULL && i < pids->len; i++)
    if (g_array_index (pids, GPid, i) == pid)
      return TRUE;
  return FALSE;
}

/* ---- A group's life --------------------------------------------------------------------------- */

static void
test_group (Fixture *fx, gconstpointer data)
{
  g_autoptr (NmCgroup) cg = NULL;
  g_autoptr (NmCgroup) busy = NULL;
  g_autoptr (GArray) pids = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  gboolean v2;
  guint signalled = 0;
  int st = 0;
  GPid pid;

  if (fx->mgr == NULL)
    return;
  v2 = nm_cgroup_manager_get_mode (fx->mgr) == NM_CGROUP_MODE_V2;
  g_assert_null (nm_cgroup_new (fx->mgr, "a/b", &error));
  g_assert_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_INVALID);
  g_clear_error (&error);

  cg = nm_cgroup_new (fx->mgr, "container_1_0001_01_000003", &error);
  g_assert_no_error (error);
  if (cg == NULL)
    return;
  path = g_strdup (nm_cgroup_get_path (cg));
  g_assert_cmpstr (nm_cgroup_get_name (cg), ==, "container_1_0001_01_000003");
  g_assert_true (g_str_has_prefix (path, fx->mgr_path));
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_DIR));

  /* Limits, read back from the kernel. */
  g_assert_true (nm_cgroup_set_memory_limit (cg, 64 * MiB, &error));
  g_assert_no_error (error);
  g_assert_true (nm_cgroup_set_cpu_limit (cg, 1.5, &error));
  g_assert_no_error (error);
  if (v2)
    {
      g_autofree char *max = read_in (path, "memory.max");

      g_assert_cmpstr (max, ==, "67108864");
    }
  else
    {
      g_autofree char *mem = read_in (path, "memory.limit_in_bytes");
      g_autofree char *memsw_path = g_build_filename (path, "memory.memsw.limit_in_bytes", NULL);

      g_assert_cmpstr (mem, ==, "67108864");
      if (g_file_test (memsw_path, G_FILE_TEST_EXISTS))
        {
          g_autofree char *memsw = read_in (path, "memory.memsw.limit_in_bytes");

          g_assert_cmpstr (memsw, ==, "67108864");
        }
      /* Raising goes through memsw first: no EINVAL. */
      g_assert_true (nm_cgroup_set_memory_limit (cg, 128 * MiB, &error));
      g_assert_no_error (error);
    }
  g_assert_false (nm_cgroup_set_memory_limit (cg, 0, &error));
  g_assert_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (nm_cgroup_set_cpu_limit (cg, -1, &error));
  g_assert_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_INVALID);
  g_clear_error (&error);

  /* A process in, listed, killed. */
  pid = spawn_sleep (fx);
  g_assert_true (nm_cgroup_add_process (cg, pid, &error));
  g_assert_no_error (error);
  pids = nm_cgroup_list_pids (cg, &error);
  g_assert_no_error (error);
  g_assert_true (contains (pids, pid));
  g_assert_cmpuint (pids->len, ==, 1);

  /* Same name while in use: busy. */
  busy = nm_cgroup_new (fx->mgr, "container_1_0001_01_000003", &error);
  g_assert_null (busy);
  g_assert_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_CGROUP_BUSY);
  g_clear_error (&error);
  /* Remove while in use: busy, after the timeout. */
  g_assert_false (nm_cgroup_remove (cg, 30, &error));
  g_assert_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_CGROUP_BUSY);
  g_assert_nonnull (error != NULL ? strstr (error->message, path) : NULL);
  g_clear_error (&error);

  g_assert_true (nm_cgroup_kill_all (cg, SIGKILL, &signalled, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (signalled, ==, 1);
  g_assert_true (reap (fx, pid, &st));
  g_assert_true (WIFSIGNALED (st) && WTERMSIG (st) == SIGKILL);
  g_array_unref (pids);
  pids = nm_cgroup_list_pids (cg, &error);
  g_assert_cmpuint (pids->len, ==, 0);

  g_assert_true (nm_cgroup_remove (cg, 2000, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_true (nm_cgroup_remove (cg, 0, &error)); /* again: nothing to do */

  /* Reading a removed group names the file. */
  {
    gint64 usec;

    g_assert_false (nm_cgroup_get_cpu_usage (cg, &usec, &error));
    g_assert_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_CGROUP);
    g_clear_error (&error);
  }
}

static void
test_two_instances (Fixture *fx, gconstpointer data)
{
  g_autoptr (NmCgroupManager) other = NULL;
  g_autoptr (NmCgroup) a = NULL;
  g_autoptr (NmCgroup) b = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *other_path = NULL;

  if (fx->mgr == NULL)
    return;
  other = new_manager ("other", &error);
  g_assert_no_error (error);
  if (other == NULL)
    return;
  other_path = g_strdup (nm_cgroup_manager_get_path (other));
  g_assert_cmpstr (other_path, !=, fx->mgr_path);
  a = nm_cgroup_new (fx->mgr, "same", &error);
  g_assert_no_error (error);
  b = nm_cgroup_new (other, "same", &error);
  g_assert_no_error (error);
  if (a == NULL || b == NULL)
    {
      (void) nm_cgroup_manager_cleanup (other, 1000, NULL);
      return;
    }
  g_assert_cmpstr (nm_cgroup_get_path (a), !=, nm_cgroup_get_path (b));
  g_assert_true (nm_cgroup_remove (b, 1000, &error));
  g_assert_true (g_file_test (nm_cgroup_get_path (a), G_FILE_TEST_IS_DIR));
  g_clear_pointer (&b, nm_cgroup_free);
  g_clear_pointer (&other, nm_cgroup_manager_free);
  g_assert_false (g_file_test (other_path, G_FILE_TEST_EXISTS));
}

/* A crashed NM left a group with a process in it: cleanup kills it and removes the group. */
static void
test_cleanup (Fixture *fx, gconstpointer data)
{
  g_autoptr (NmCgroup) cg = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  int st = 0;
  GPid pid;

  if (fx->mgr == NULL)
    return;
  cg = nm_cgroup_new (fx->mgr, "stale", &error);
  g_assert_no_error (error);
  if (cg == NULL)
    return;
  path = g_strdup (nm_cgroup_get_path (cg));
  pid = spawn_sleep (fx);
  g_assert_true (nm_cgroup_add_process (cg, pid, &error));
  g_clear_pointer (&cg, nm_cgroup_free); /* the handle goes, the group stays */
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_DIR));

  /* The killed process stays our zombie until reaped below: a zombie does not hold a group. */
  g_assert_true (nm_cgroup_manager_cleanup (fx->mgr, 2000, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_true (reap (fx, pid, &st));
  g_assert_true (WIFSIGNALED (st) && WTERMSIG (st) == SIGKILL);
  /* The instance group itself stays until the manager is freed. */
  g_assert_true (g_file_test (fx->mgr_path, G_FILE_TEST_IS_DIR));
}

/* ---- Containers in cgroups -------------------------------------------------------------------- */

static NmLauncher *
start_helper (Fixture *fx, const char *id, const char *const *args, gint64 limit, double vcores)
{
  g_autofree char *helper = nm_test_helper_path ();
  g_autofree char *work = g_build_filename (fx->dir, id, "work", NULL);
  g_autofree char *logs = g_build_filename (fx->dir, id, "logs", NULL);
  const char *argv[8] = { helper };
  NmLaunchSpec spec = {
    .container_id = id,
    .argv = argv,
    .work_dir = work,
    .log_dir = logs,
    .memory_limit = limit,
    .vcores = vcores,
    .cgroups = fx->mgr,
    .monitor_interval_ms = 50,
  };
  g_autoptr (GError) error = NULL;
  NmLauncher *l;

  for (guint i = 0; args[i] != NULL && i + 2 < G_N_ELEMENTS (argv); i++)
    argv[i + 1] = args[i];
  l = nm_launcher_start (&spec, nm_test_count_exit, &fx->exits, &error);
  g_assert_no_error (error);
  if (l != NULL)
    {
      g_ptr_array_add (fx->launchers, l);
      g_assert_nonnull (nm_launcher_get_cgroup (l));
    }
  return l;
}

static void
test_memory_limit (Fixture *fx, gconstpointer data)
{
  /* 256 MiB in 8 MiB steps against a 64 MiB limit: the kernel OOM-kills it in its group. */
  const char *args[] = { "mem", "256", "8", "10", "10000", NULL };
  NmLauncher *l;
  const NmLauncherResult *r;
  g_autofree char *path = NULL;

  if (fx->mgr == NULL)
    return;
  l = start_helper (fx, "container_1_0001_01_000004", args, 64 * MiB, 0);
  if (l == NULL)
    return;
  path = g_strdup (nm_cgroup_get_path (nm_launcher_get_cgroup (l)));
  r = nm_test_wait_result (l, WAIT_MS);
  g_assert_nonnull (r);
  if (r == NULL)
    return;
  g_test_message ("%s (limit %" G_GINT64_FORMAT ", peak %" G_GINT64_FORMAT " bytes, exit %d, signal %d)",
                  r->diagnostics, r->memory_limit, r->memory_peak, r->exit_code, r->term_signal);
  g_assert_cmpint (r->reason, ==, NM_LAUNCHER_MEMORY_EXCEEDED);
  g_assert_cmpint (r->term_signal, ==, SIGKILL);
  g_assert_cmpint (r->memory_limit, ==, 64 * MiB);
  /* The group's use is capped at the limit: the peak is the limit, give or take a few pages. */
  g_assert_cmpint (r->memory_peak, >=, 60 * MiB);
  g_assert_cmpint (r->memory_peak, <=, 68 * MiB);
  g_assert_nonnull (strstr (r->diagnostics, "Container killed: memory limit 64 MiB exceeded (peak "));
  g_assert_cmpint (fx->exits, ==, 1);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_null (nm_launcher_get_cgroup (l));
}

static void
test_within_limit (Fixture *fx, gconstpointer data)
{
  const char *args[] = { "mem", "32", "8", "10", "200", NULL };
  NmLauncher *l;
  const NmLauncherResult *r;
  g_autofree char *path = NULL, *out = NULL, *logs = NULL;

  if (fx->mgr == NULL)
    return;
  l = start_helper (fx, "container_1_0001_01_000005", args, 128 * MiB, 1);
  if (l == NULL)
    return;
  path = g_strdup (nm_cgroup_get_path (nm_launcher_get_cgroup (l)));
  r = nm_test_wait_result (l, WAIT_MS);
  g_assert_nonnull (r);
  if (r == NULL)
    return;
  g_test_message ("%s (peak %" G_GINT64_FORMAT " bytes, cpu %" G_GINT64_FORMAT " us)", r->diagnostics,
                  r->memory_peak, r->cpu_usec);
  g_assert_cmpint (r->reason, ==, NM_LAUNCHER_SUCCEEDED);
  g_assert_cmpint (r->memory_peak, >=, 32 * MiB);
  g_assert_cmpint (r->memory_peak, <, 128 * MiB);
  g_assert_cmpint (r->cpu_usec, >, 0);
  logs = g_build_filename (fx->dir, "container_1_0001_01_000005", "logs", NULL);
  out = nm_test_read (logs, "stdout");
  g_assert_true (g_str_has_suffix (out, "holding 32 MiB\ndone\n"));
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
}

/* Cores used by the container over ~2 s windows, from its cgroup's CPU time. The quota is a hard
 * ceiling, so every window must stay under @hi; reaching @lo needs the CPUs to be free of other
 * work, so the best of three windows counts. */
static void
check_cpu (Fixture *fx, const char *id, double vcores, double lo, double hi)
{
  const char *args[] = { "spin", "4", "60", NULL };
  NmLauncher *l;
  const NmLauncherResult *r;
  double best = 0;

  if (fx->mgr == NULL)
    return;
  l = start_helper (fx, id, args, 0, vcores);
  if (l == NULL)
    return;
  g_usleep (500 * 1000); /* threads started, first periods past */
  for (int attempt = 0; attempt < 3 && best < lo; attempt++)
    {
      g_autoptr (GError) error = NULL;
      gint64 u0 = 0, u1 = 0, t0, t1;
      double cores;

      t0 = g_get_monotonic_time ();
      g_assert_true (nm_cgroup_get_cpu_usage (nm_launcher_get_cgroup (l), &u0, &error));
      g_usleep (2 * G_USEC_PER_SEC);
      g_assert_true (nm_cgroup_get_cpu_usage (nm_launcher_get_cgroup (l), &u1, &error));
      t1 = g_get_monotonic_time ();
      g_assert_no_error (error);
      cores = (double) (u1 - u0) / (double) (t1 - t0);
      g_test_message ("%g vcores, 4 busy threads: %.3f cores over %.2f s", vcores, cores, (t1 - t0) / 1e6);
      g_assert_cmpfloat (cores, <=, hi);
      best = MAX (best, cores);
    }
  g_assert_cmpfloat (best, >=, lo);

  nm_launcher_stop (l, 0);
  r = nm_test_wait_result (l, WAIT_MS);
  g_assert_nonnull (r);
  if (r != NULL)
    g_assert_cmpint (r->reason, ==, NM_LAUNCHER_KILLED);
}

static void
test_cpu_one_vcore (Fixture *fx, gconstpointer data)
{
  check_cpu (fx, "container_1_0001_01_000006", 1, 0.7, 1.3);
}

static void
test_cpu_two_vcores (Fixture *fx, gconstpointer data)
{
  if (g_get_num_processors () < 2)
    {
      g_test_skip ("needs 2 CPUs");
      return;
    }
  check_cpu (fx, "container_1_0001_01_000007", 2, 1.4, 2.3);
}

/* A grandchild that calls setsid() and whose parent exits leaves the container's session and
 * tree: only the cgroup still holds it, and stop must kill it too. */
static void
test_stop_escaped (Fixture *fx, gconstpointer data)
{
  g_autofree char *work = g_build_filename (fx->dir, "esc", "work", NULL);
  g_autofree char *logs = g_build_filename (fx->dir, "esc", "logs", NULL);
  const char *argv[] = { "sh", "-c", "(setsid sleep 1000 &); sleep 1000 & wait", NULL };
  NmLaunchSpec spec = {
    .container_id = "container_1_0001_01_000008",
    .argv = argv,
    .work_dir = work,
    .log_dir = logs,
    .cgroups = fx->mgr,
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) pids = NULL;
  g_autoptr (NmProcTable) table = NULL;
  g_autoptr (GArray) tree = NULL;
  const NmLauncherResult *r;
  gboolean escaped = FALSE;
  NmLauncher *l;

  if (fx->mgr == NULL)
    return;
  l = nm_launcher_start (&spec, nm_test_count_exit, &fx->exits, &error);
  g_assert_no_error (error);
  if (l == NULL)
    return;
  g_ptr_array_add (fx->launchers, l);
  /* The escapee leaves the tree only once its subshell has exited: poll
   * until it has (a loaded machine may take a while). */
  for (gint64 end = g_get_monotonic_time () + WAIT_MS * 1000; !escaped && g_get_monotonic_time () < end;)
    {
      g_clear_pointer (&pids, g_array_unref);
      g_clear_pointer (&table, nm_monitor_table_free);
      g_clear_pointer (&tree, g_array_unref);
      pids = nm_test_wait_pids (l, 3, WAIT_MS);
      table = nm_monitor_table_read (NULL, &error);
      g_assert_no_error (error);
      if (table == NULL)
        return;
      tree = nm_monitor_table_tree (table, nm_launcher_get_pid (l));
      for (guint i = 0; i < pids->len; i++)
        if (!contains (tree, g_array_index (pids, GPid, i)))
          escaped = TRUE;
      if (!escaped)
        g_usleep (20000);
    }
  g_assert_cmpuint (pids->len, >=, 3);
  g_assert_true (escaped);

  nm_launcher_stop (l, 2000);
  r = nm_test_wait_result (l, WAIT_MS);
  g_assert_nonnull (r);
  if (r == NULL)
    return;
  g_assert_cmpint (r->reason, ==, NM_LAUNCHER_KILLED);
  nm_test_assert_all_gone (pids);
}

/* A command that cannot run still leaves no group behind. */
static void
test_launch_failed (Fixture *fx, gconstpointer data)
{
  g_autofree char *work = g_build_filename (fx->dir, "lf", "work", NULL);
  g_autofree char *logs = g_build_filename (fx->dir, "lf", "logs", NULL);
  const char *argv[] = { "weft-no-such-command", NULL };
  NmLaunchSpec spec = {
    .container_id = "container_1_0001_01_000009",
    .argv = argv,
    .work_dir = work,
    .log_dir = logs,
    .memory_limit = 64 * MiB,
    .vcores = 1,
    .cgroups = fx->mgr,
  };
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  const NmLauncherResult *r;
  NmLauncher *l;

  if (fx->mgr == NULL)
    return;
  l = nm_launcher_start (&spec, nm_test_count_exit, &fx->exits, &error);
  g_assert_no_error (error);
  if (l == NULL)
    return;
  g_ptr_array_add (fx->launchers, l);
  path = g_strdup (nm_cgroup_get_path (nm_launcher_get_cgroup (l)));
  r = nm_test_wait_result (l, WAIT_MS);
  g_assert_nonnull (r);
  if (r == NULL)
    return;
  g_assert_cmpint (r->reason, ==, NM_LAUNCHER_LAUNCH_FAILED);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
}

/* Freeing a running container kills it, its escaped grandchild included, and removes its group. */
static void
test_free_running (Fixture *fx, gconstpointer data)
{
  g_autofree char *work = g_build_filename (fx->dir, "fr", "work", NULL);
  g_autofree char *logs = g_build_filename (fx->dir, "fr", "logs", NULL);
  const char *argv[] = { "sh", "-c", "(setsid sleep 1000 &); sleep 1000", NULL };
  NmLaunchSpec spec = {
    .container_id = "container_1_0001_01_000010",
    .argv = argv,
    .work_dir = work,
    .log_dir = logs,
    .cgroups = fx->mgr,
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) pids = NULL;
  g_autofree char *path = NULL;
  NmLauncher *l;

  if (fx->mgr == NULL)
    return;
  l = nm_launcher_start (&spec, nm_test_count_exit, &fx->exits, &error);
  g_assert_no_error (error);
  if (l == NULL)
    return;
  path = g_strdup (nm_cgroup_get_path (nm_launcher_get_cgroup (l)));
  pids = nm_test_wait_pids (l, 3, WAIT_MS);
  g_assert_cmpuint (pids->len, >=, 3);
  nm_launcher_free (l);
  nm_test_assert_all_gone (pids);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_cmpint (fx->exits, ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* A failed check must not abort: teardown has to remove the groups and kill the processes. */
  g_test_set_nonfatal_assertions ();

  g_test_add_func ("/nodemanager/cgroup/mode-strings", test_mode_strings);
  g_test_add_func ("/nodemanager/cgroup/detect-fake", test_detect_fake);
  g_test_add_func ("/nodemanager/cgroup/detect-real", test_detect_real);
#define ADD(path, fn) g_test_add ("/nodemanager/cgroup/" path, Fixture, NULL, setup, fn, teardown)
  ADD ("group", test_group);
  ADD ("two-instances", test_two_instances);
  ADD ("cleanup", test_cleanup);
  ADD ("memory-limit", test_memory_limit);
  ADD ("within-limit", test_within_limit);
  ADD ("cpu-one-vcore", test_cpu_one_vcore);
  ADD ("cpu-two-vcores", test_cpu_two_vcores);
  ADD ("stop-escaped", test_stop_escaped);
  ADD ("launch-failed", test_launch_failed);
  ADD ("free-running", test_free_running);
#undef ADD
  return g_test_run ();
}
