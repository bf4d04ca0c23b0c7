/* Tests of nm-launcher without cgroups: exit codes and log files, the clean environment, commands
 * that cannot run, stopping process trees (background children, a double-forked grandchild, a
 * process that ignores SIGTERM), leftovers of a container that exits, and freeing while running.
 * Assertions are non-fatal so the fixture's teardown always kills what a test started. */

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nm-launcher.h"
#include "nm-monitor.h"
#include "nm-test-util.h"

#define WAIT_MS 10000

typedef struct
{
  char *dir;
  char *work;
  char *logs;
  GPtrArray *launchers; /* NmLauncher*, freed (killed if running) in teardown */
  int exits;
} Fixture;

static void
setup (Fixture *fx, gconstpointer data)
{
  fx->dir = nm_test_mkdtemp ();
  fx->work = g_build_filename (fx->dir, "work", "c1", NULL);
  fx->logs = g_build_filename (fx->dir, "logs", "c1", NULL);
  fx->launchers = g_ptr_array_new_with_free_func ((GDestroyNotify) nm_launcher_free);
}

static void
teardown (Fixture *fx, gconstpointer data)
{
  g_ptr_array_unref (fx->launchers);
  nm_test_rm_rf (fx->dir);
  g_free (fx->dir);
  g_free (fx->work);
  g_free (fx->logs);
}

static NmLauncher *
start (Fixture *fx, const char *const *argv, GHashTable *env, GError **error)
{
  NmLaunchSpec spec = {
    .container_id = "container_1_0001_01_000001",
    .argv = argv,
    .env = env,
    .work_dir = fx->work,
    .log_dir = fx->logs,
    .monitor_interval_ms = 50,
  };
  NmLauncher *l = nm_launcher_start (&spec, nm_test_count_exit, &fx->exits, error);

  if (l != NULL)
    g_ptr_array_add (fx->launchers, l);
  return l;
}

static void
test_exit_code (Fixture *fx, gconstpointer data)
{
  const char *argv[] = { "sh", "-c", "echo out; echo err >&2; exit 3", NULL };
  g_autoptr (GError) error = NULL;
  NmLauncher *l = start (fx, argv, NULL, &error);
  const NmLauncherResult *r;
  g_autofree char *out = NULL, *err = NULL;

  g_assert_no_error (error);
  if (l == NULL)
    return;
  g_assert_cmpint (nm_launcher_get_pid (l), >, 1);
  r = nm_test_wait_result (l, WAIT_MS);
  g_assert_nonnull (r);
  if (r == NULL)
    return;
  g_assert_cmpint (fx->exits, ==, 1);
  g_assert_cmpint (r->reason, ==, NM_LAUNCHER_FAILED);
  g_assert_cmpint (r->exit_code, ==, 3);
  g_assert_cmpint (r->term_signal, ==, 0);
  g_assert_nonnull (strstr (r->diagnostics, "exited with code 3"));
  out = nm_test_read (fx->logs, "stdout");
  err = nm_test_read (fx->logs, "stderr");
  g_assert_cmpstr (out, ==, "out\n");
  g_assert_cmpstr (err, ==, "err\n");
  g_assert_true (g_file_test (fx->work, G_FILE_TEST_IS_DIR));
  /* The process is gone and the result stays. */
  g_assert_true (nm_test_pid_gone (nm_launcher_get_pid (l)));
  nm_launcher_stop (l, 0);
  g_assert_cmpint (nm_launcher_get_result (l)->reason, ==, NM_LAUNCHER_FAILED);
  g_assert_cmpint (fx->exits, ==, 1);
}

static void
test_success (Fixture *fx, gconstpointer data)
{
  const char *argv[] = { "sh", "-c", "pwd; echo \"$HOME\"; cat; echo end", NULL };
  g_autoptr (GError) error = NULL;
  NmLauncher *l = start (fx, argv, NULL, &error);
  const NmLauncherResult *r;
  g_autofree char *out = NULL, *expect = NULL;

  g_assert_no_error (error);
  if (l == NULL)
    return;
  r = nm_test_wait_result (l, WAIT_MS);
  g_assert_nonnull (r);
  if (r == NULL)
    return;
  g_assert_cmpint (r->reason, ==, NM_LAUNCHER_SUCCEEDED);
  g_assert_cmpint (r->exit_code, ==, 0);
  g_assert_cmpint (r->cpu_usec, ==, -1); /* no cgroup, no accounting */
  /* Work folder as current folder and HOME; stdin is /dev/null (cat ends at once). */
  out = nm_test_read (fx->logs, "stdout");
  expect = g_strdup_printf ("%s\n%s\nend\n", fx->work, fx->work);
  g_assert_cmpstr (out, ==, expect);
}

static void
test_environment (Fixture *fx, gconstpointer data)
{
  const char *argv[] = { "env", NULL };
  g_autoptr (GHashTable) env = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) lines = NULL;
  g_autofree char *out = NULL;
  const NmLauncherResult *r;
  NmLauncher *l;
  GHashTableIter it;
  gpointer k;

  /* Set in this process: must not reach the container. */
  g_setenv ("WEFT_TEST_NM_OWN_SECRET", "leak", TRUE);
  g_hash_table_insert (env, "CONTAINER_ID", "container_1_0001_01_000001");
  g_hash_table_insert (env, "APPLICATION_ID", "application_1_0001");
  g_hash_table_insert (env, "WEFT_RM_ADDRESS", "127.0.0.1:8030");
  g_hash_table_insert (env, "WEFT_AM_TOKEN", "tok=en with spaces");
  l = start (fx, argv, env, &error);
  g_assert_no_error (error);
  if (l == NULL)
    return;
  r = nm_test_wait_result (l, WAIT_MS);
  g_unsetenv ("WEFT_TEST_NM_OWN_SECRET");
  g_assert_nonnull (r);
  if (r == NULL)
    return;
  g_assert_cmpint (r->reason, ==, NM_LAUNCHER_SUCCEEDED);

  out = nm_test_read (fx->logs, "stdout");
  lines = g_strsplit (out, "\n", -1);
  for (char **line = lines; *line != NULL; line++)
    {
      char *eq = strchr (*line, '=');

      if (**line == '\0')
        continue;
      g_assert_nonnull (eq);
      if (eq == NULL)
        continue;
      g_hash_table_insert (seen, g_strndup (*line, eq - *line), g_strdup (eq + 1));
    }
  g_assert_cmpstr (g_hash_table_lookup (seen, "CONTAINER_ID"), ==, "container_1_0001_01_000001");
  g_assert_cmpstr (g_hash_table_lookup (seen, "APPLICATION_ID"), ==, "application_1_0001");
  g_assert_cmpstr (g_hash_table_lookup (seen, "WEFT_RM_ADDRESS"), ==, "127.0.0.1:8030");
  g_assert_cmpstr (g_hash_table_lookup (seen, "WEFT_AM_TOKEN"), ==, "tok=en with spaces");
  g_assert_cmpstr (g_hash_table_lookup (seen, "HOME"), ==, fx->work);
  g_assert_cmpstr (g_hash_table_lookup (seen, "PWD"), ==, fx->work);
  g_assert_cmpstr (g_hash_table_lookup (seen, "WEFT_LOG_DIR"), ==, fx->logs);
  g_assert_nonnull (g_hash_table_lookup (seen, "PATH"));
  g_assert_null (g_hash_table_lookup (seen, "WEFT_TEST_NM_OWN_SECRET"));
  /* Nothing but the base and what was given. */
  g_hash_table_iter_init (&it, seen);
  while (g_hash_table_iter_next (&it, &k, NULL))
    if (!g_hash_table_contains (env, k) && strcmp (k, "PATH") != 0 && strcmp (k, "HOME") != 0
        && strcmp (k, "PWD") != 0 && strcmp (k, "WEFT_LOG_DIR") != 0)
      g_test_fail_printf ("unexpected variable %s in the container", (const char *) k);
}

static void
test_bad_env (Fixture *fx, gconstpointer data)
{
  const char *argv[] = { "true", NULL };
  g_autoptr (GHashTable) env = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GError) error = NULL;

  g_hash_table_insert (env, "A=B", "x");
  g_assert_null (start (fx, argv, env, &error));
  g_assert_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "A=B"));
}

static void
test_not_found (Fixture *fx, gconstpointer data)
{
  const char *argv[] = { "weft-no-such-command", "arg", NULL };
  g_autoptr (GError) error = NULL;
  NmLauncher *l = start (fx, argv, NULL, &error);
  const NmLauncherResult *r;

  g_assert_no_error (error);
  if (l == NULL)
    return;
  r = nm_test_wait_result (l, WAIT_MS);
  g_assert_nonnull (r);
  if (r == NULL)
    return;
  g_assert_cmpint (r->reason, ==, NM_LAUNCHER_LAUNCH_FAILED);
  g_assert_cmpint (r->exit_code, ==, 127);
  g_test_message ("diagnostics: %s", r->diagnostics);
  g_assert_nonnull (strstr (r->diagnostics, "weft-no-such-command"));
  g_assert_nonnull (strstr (r->diagnostics, g_strerror (ENOENT)));
  g_assert_nonnull (strstr (r->diagnostics, "PATH="));
  g_assert_cmpint (fx->exits, ==, 1);
}

static void
test_not_executable (Fixture *fx, gconstpointer data)
{
  g_autofree char *script = g_build_filename (fx->dir, "script.sh", NULL);
  const char *argv[] = { script, NULL };
  g_autoptr (GError) error = NULL;
  const NmLauncherResult *r;
  NmLauncher *l;

  g_assert_true (g_file_set_contents (script, "#!/bin/sh\necho hi\n", -1, NULL));
  g_assert_cmpint (chmod (script, 0644), ==, 0);
  /* As root, exec still needs an x bit somewhere. */
  l = start (fx, argv, NULL, &error);
  g_assert_no_error (error);
  if (l == NULL)
    return;
  r = nm_test_wait_result (l, WAIT_MS);
  g_assert_nonnull (r);
  if (r == NULL)
    return;
  g_test_message ("diagnostics: %s", r->diagnostics);
  g_assert_cmpint (r->reason, ==, NM_LAUNCHER_LAUNCH_FAILED);
  g_assert_nonnull (strstr (r->diagnostics, g_strerror (EACCES)));
}

static void
test_bad_spec (Fixture *fx, gconstpointer data)
{
  const char *empty[] = { NULL };
  const char *argv[] = { "true", NULL };
  g_autofree char *file = g_build_filename (fx->dir, "file", NULL);
  g_autofree char *under_file = g_build_filename (file, "logs", NULL);
  NmLaunchSpec spec = { .container_id = "c1", .argv = empty, .work_dir = fx->work, .log_dir = fx->logs };
  GError *error = NULL;

  g_assert_null (nm_launcher_start (&spec, NULL, NULL, &error));
  g_assert_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_INVALID);
  g_clear_error (&error);

  spec.argv = argv;
  spec.container_id = "../escape";
  g_assert_null (nm_launcher_start (&spec, NULL, NULL, &error));
  g_assert_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_INVALID);
  g_clear_error (&error);

  spec.container_id = "c1";
  spec.memory_limit = -1;
  g_assert_null (nm_launcher_start (&spec, NULL, NULL, &error));
  g_assert_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_INVALID);
  g_clear_error (&error);

  /* A log folder that cannot be made: the error names it. */
  g_assert_true (g_file_set_contents (file, "x", -1, NULL));
  spec.memory_limit = 0;
  spec.log_dir = under_file;
  g_assert_null (nm_launcher_start (&spec, NULL, NULL, &error));
  g_assert_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_LAUNCH);
  g_assert_nonnull (error != NULL ? strstr (error->message, under_file) : NULL);
  g_clear_error (&error);
}

/* A shell with two background children and a double-forked grandchild (its parent subshell exits,
 * so it is reparented away from the container's tree and found through its session). */
static void
test_stop_tree (Fixture *fx, gconstpointer data)
{
  const char *argv[] = { "sh", "-c", "sleep 1000 & sleep 1000 & (sleep 1000 &); wait", NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) pids = NULL;
  g_autoptr (NmProcTable) table = NULL;
  NmLauncher *l = start (fx, argv, NULL, &error);
  const NmLauncherResult *r;
  gboolean orphan = FALSE;
  GPid main_pid;

  g_assert_no_error (error);
  if (l == NULL)
    return;
  main_pid = nm_launcher_get_pid (l);
  /* The subshell exits only after it has forked the grandchild: poll until
   * the grandchild shows up reparented (a machine under load may take a
   * while), so the test really has one. */
  for (gint64 end = g_get_monotonic_time () + WAIT_MS * 1000; !orphan && g_get_monotonic_time () < end;)
    {
      g_clear_pointer (&pids, g_array_unref);
      g_clear_pointer (&table, nm_monitor_table_free);
      pids = nm_test_wait_pids (l, 4, WAIT_MS);
      table = nm_monitor_table_read (NULL, &error);
      g_assert_no_error (error);
      for (guint i = 0; table != NULL && i < pids->len; i++)
        {
          const NmProcInfo *p = nm_monitor_table_lookup (table, g_array_index (pids, GPid, i));

          if (p != NULL && p->pid != main_pid && p->ppid != main_pid)
            orphan = TRUE;
        }
      if (!orphan)
        g_usleep (20000);
    }
  g_assert_cmpuint (pids->len, >=, 4);
  g_assert_true (orphan); /* the test really has a reparented grandchild */

  nm_launcher_stop (l, 5000);
  r = nm_test_wait_result (l, WAIT_MS);
  g_assert_nonnull (r);
  if (r == NULL)
    return;
  g_assert_cmpint (r->reason, ==, NM_LAUNCHER_KILLED);
  g_assert_cmpint (r->term_signal, ==, SIGTERM);
  g_assert_cmpint (r->exit_code, ==, 128 + SIGTERM);
  g_test_message ("diagnostics: %s", r->diagnostics);
  nm_test_assert_all_gone (pids);
  g_assert_true (nm_test_pid_gone (main_pid));
}

static void
test_stop_ignores_term (Fixture *fx, gconstpointer data)
{
  /* SIG_IGN is inherited across fork and exec: the sleeps ignore SIGTERM too. */
  const char *argv[] = { "sh", "-c", "trap '' TERM; sleep 1000 & (sleep 1000 &); wait", NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) pids = NULL;
  NmLauncher *l = start (fx, argv, NULL, &error);
  const NmLauncherResult *r;
  gint64 t0, elapsed_ms;

  g_assert_no_error (error);
  if (l == NULL)
    return;
  pids = nm_test_wait_pids (l, 3, WAIT_MS);
  g_assert_cmpuint (pids->len, >=, 3);
  t0 = g_get_monotonic_time ();
  nm_launcher_stop (l, 300);
  r = nm_test_wait_result (l, WAIT_MS);
  elapsed_ms = (g_get_monotonic_time () - t0) / 1000;
  g_assert_nonnull (r);
  if (r == NULL)
    return;
  g_test_message ("stopped after %" G_GINT64_FORMAT " ms: %s", elapsed_ms, r->diagnostics);
  g_assert_cmpint (r->reason, ==, NM_LAUNCHER_KILLED);
  g_assert_cmpint (r->term_signal, ==, SIGKILL);
  g_assert_cmpint (elapsed_ms, >=, 300);
  g_assert_cmpint (elapsed_ms, <, 5000);
  g_assert_nonnull (strstr (r->diagnostics, "SIGKILL"));
  nm_test_assert_all_gone (pids);
}

/* A container that exits 0 leaving a background process: reported SUCCEEDED, and only once the
 * leftover is gone. */
static void
test_leftovers_killed (Fixture *fx, gconstpointer data)
{
  const char *argv[] = { "sh", "-c", "sleep 1000 & echo $! > left.pid; exit 0", NULL };
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  NmLauncher *l = start (fx, argv, NULL, &error);
  const NmLauncherResult *r;
  gint64 left;

  g_assert_no_error (error);
  if (l == NULL)
    return;
  r = nm_test_wait_result (l, WAIT_MS);
  g_assert_nonnull (r);
  if (r == NULL)
    return;
  g_assert_cmpint (r->reason, ==, NM_LAUNCHER_SUCCEEDED);
  text = nm_test_read (fx->work, "left.pid");
  g_assert_true (g_ascii_string_to_signed (g_strstrip (text), 10, 2, G_MAXINT, &left, NULL));
  g_assert_true (nm_test_pid_gone ((GPid) left));
}

static void
test_stop_now (Fixture *fx, gconstpointer data)
{
  const char *argv[] = { "sleep", "1000", NULL };
  g_autoptr (GError) error = NULL;
  NmLauncher *l = start (fx, argv, NULL, &error);
  const NmLauncherResult *r;

  g_assert_no_error (error);
  if (l == NULL)
    return;
  nm_launcher_stop (l, 0);
  nm_launcher_stop (l, 0); /* idempotent */
  r = nm_test_wait_result (l, WAIT_MS);
  g_assert_nonnull (r);
  if (r == NULL)
    return;
  g_assert_cmpint (r->reason, ==, NM_LAUNCHER_KILLED);
  g_assert_cmpint (r->term_signal, ==, SIGKILL);
  g_assert_cmpint (fx->exits, ==, 1);
  g_assert_true (nm_test_pid_gone (nm_launcher_get_pid (l)));
}

static void
test_free_running (Fixture *fx, gconstpointer data)
{
  const char *argv[] = { "sh", "-c", "sleep 1000 & (sleep 1000 &); wait", NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) pids = NULL;
  NmLauncher *l = start (fx, argv, NULL, &error);

  g_assert_no_error (error);
  if (l == NULL)
    return;
  pids = nm_test_wait_pids (l, 3, WAIT_MS);
  g_assert_cmpuint (pids->len, >=, 3);
  g_ptr_array_remove (fx->launchers, l); /* frees it: kills, waits, no report */
  nm_test_assert_all_gone (pids);
  g_assert_cmpint (fx->exits, ==, 0);
  nm_test_run_for (50);
  g_assert_cmpint (fx->exits, ==, 0);
}

static void
free_in_callback (NmLauncher *launcher, const NmLauncherResult *result, gpointer user_data)
{
  NmLauncherResult **copy = user_data;

  *copy = nm_launcher_result_copy (result);
  nm_launcher_free (launcher);
}

static void
test_free_in_callback (Fixture *fx, gconstpointer data)
{
  const char *argv[] = { "sh", "-c", "exit 7", NULL };
  NmLaunchSpec spec = { .container_id = "c2", .argv = argv, .work_dir = fx->work, .log_dir = fx->logs };
  g_autoptr (NmLauncherResult) copy = NULL;
  g_autoptr (GError) error = NULL;
  NmLauncher *l = nm_launcher_start (&spec, free_in_callback, &copy, &error);
  gint64 deadline = g_get_monotonic_time () + WAIT_MS * 1000;

  g_assert_no_error (error);
  if (l == NULL)
    return;
  while (copy == NULL && g_get_monotonic_time () < deadline)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (1000);
  g_assert_nonnull (copy);
  if (copy == NULL)
    {
      nm_launcher_free (l);
      return;
    }
  g_assert_cmpint (copy->reason, ==, NM_LAUNCHER_FAILED);
  g_assert_cmpint (copy->exit_code, ==, 7);
}

static void
test_format_size (void)
{
  struct { gint64 bytes; const char *text; } cases[] = {
    { 0, "0 bytes" },
    { 512, "512 bytes" },
    { 512 * 1024, "512 KiB" },
    { 256LL << 20, "256 MiB" },
    { (257LL << 20) + (3LL << 20) / 10, "257.3 MiB" },
    { 3LL << 29, "1.5 GiB" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *t = nm_launcher_format_size (cases[i].bytes);

      g_assert_cmpstr (t, ==, cases[i].text);
    }
  g_assert_cmpstr (nm_launcher_reason_to_string (NM_LAUNCHER_MEMORY_EXCEEDED), ==, "MEMORY_EXCEEDED");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* A failed check must not abort: teardown has to kill what the test started. */
  g_test_set_nonfatal_assertions ();

#define ADD(path, fn) g_test_add ("/nodemanager/launcher/" path, Fixture, NULL, setup, fn, teardown)
  ADD ("exit-code", test_exit_code);
  ADD ("success", test_success);
  ADD ("environment", test_environment);
  ADD ("bad-env", test_bad_env);
  ADD ("not-found", test_not_found);
  ADD ("not-executable", test_not_executable);
  ADD ("bad-spec", test_bad_spec);
  ADD ("stop-tree", test_stop_tree);
  ADD ("stop-ignores-term", test_stop_ignores_term);
  ADD ("leftovers-killed", test_leftovers_killed);
  ADD ("stop-now", test_stop_now);
  ADD ("free-running", test_free_running);
  ADD ("free-in-callback", test_free_in_callback);
#undef ADD
  g_test_add_func ("/nodemanager/launcher/format-size", test_format_size);
  return g_test_run ();
}
