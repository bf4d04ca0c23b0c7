/* nm-test-util: see nm-test-util.h. */

#include "nm-test-util.h"

#include <errno.h>
#include <signal.h>
#include <unistd.h>

#include <glib/gstdio.h>

char *
nm_test_mkdtemp (void)
{
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp ("weft-nm-test-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

void
nm_test_rm_rf (const char *path)
{
  g_autoptr (GDir) d = NULL;
  const char *name;

  if (path == NULL)
    return;
  if (!g_file_test (path, G_FILE_TEST_IS_DIR) || g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    {
      (void) g_unlink (path);
      return;
    }
  d = g_dir_open (path, 0, NULL);
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *sub = g_build_filename (path, name, NULL);

      nm_test_rm_rf (sub);
    }
  (void) g_rmdir (path);
}

char *
nm_test_helper_path (void)
{
  /* Under `make check` G_TEST_BUILDDIR is the build tree's tests/; run by hand, the helper sits
   * beside the test binary. */
  g_autofree char *path = NULL;

  if (g_getenv ("G_TEST_BUILDDIR") != NULL)
    path = g_test_build_filename (G_TEST_BUILT, "nodemanager", "nm-test-helper", NULL);
  else
    path = g_test_build_filename (G_TEST_BUILT, "nm-test-helper", NULL);
  /* Absolute: a container resolves a relative command in its own work folder. */
  return g_canonicalize_filename (path, NULL);
}

void
nm_test_count_exit (NmLauncher *launcher, const NmLauncherResult *result, gpointer user_data)
{
  int *calls = user_data;

  g_assert_nonnull (result);
  g_assert_true (nm_launcher_get_result (launcher) == result);
  (*calls)++;
}

static gboolean
wake (gpointer data)
{
  gboolean *fired = data;

  *fired = TRUE;
  return G_SOURCE_REMOVE;
}

const NmLauncherResult *
nm_test_wait_result (NmLauncher *launcher, guint timeout_ms)
{
  gboolean fired = FALSE;
  guint id = g_timeout_add (timeout_ms, wake, &fired);

  while (nm_launcher_get_result (launcher) == NULL && !fired)
    g_main_context_iteration (NULL, TRUE);
  if (!fired)
    g_source_remove (id);
  return nm_launcher_get_result (launcher);
}

void
nm_test_run_for (guint ms)
{
  gboolean fired = FALSE;

  g_timeout_add (ms, wake, &fired);
  while (!fired)
    g_main_context_iteration (NULL, TRUE);
}

GArray *
nm_test_wait_pids (NmLauncher *launcher, guint min, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  for (;;)
    {
      g_autoptr (GError) error = NULL;
      GArray *pids = nm_launcher_list_pids (launcher, &error);

      g_assert_no_error (error);
      if (pids->len >= min || g_get_monotonic_time () >= deadline)
        return pids;
      g_array_unref (pids);
      nm_test_run_for (20);
    }
}

gboolean
nm_test_pid_gone (GPid pid)
{
  return kill (pid, 0) < 0 && errno == ESRCH;
}

void
nm_test_assert_all_gone (const GArray *pids)
{
  for (guint i = 0; i < pids->len; i++)
    {
      GPid p = g_array_index (pids, GPid, i);

      if (!nm_test_pid_gone (p))
        g_test_fail_printf ("process %d of the container is still alive", (int) p);
    }
}

char *
nm_test_read (const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr (GError) error = NULL;
  char *text = NULL;

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  return text;
}
