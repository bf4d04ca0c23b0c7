/* submit-test-prog: a stand-in driver for tests/tools/test-submit. It prints what weft-submit
 * gave it, then does what its arguments say:
 *   stdout: "arg[I]=ARG" per argument, "cwd=DIR", "WEFT_SUBMIT_PROPERTIES=PATH",
 *           "WEFT_CONF_DIR=DIR" (if set), the properties file between "--- properties" and
 *           "--- end", then "file NAME: FIRST LINE" for each entry of spark.files.
 *   exit=N      exit with status N (default 0)
 *   kill=N      end by signal N
 *   sleep=MS    sleep first
 * In a container started as an AM (WEFT_AM_TOKEN set) it registers with the RM, sends progress
 * details if asked ("progress": stage 1 of 4 tasks, then stage 2 of 2, each held 600 ms so a
 * 100 ms poller sees it), then finishes SUCCEEDED, or FAILED with "fail=DIAGNOSTICS"; "crash"
 * exits 3 without finishing. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cluster-harness.h"
#include "weft-progress.h"

#define HOLD_US (600 * 1000)

/* The value of "key=" in @props, or NULL. */
static char *
property (const char *props, const char *key)
{
  g_auto (GStrv) lines = g_strsplit (props, "\n", -1);
  g_autofree char *prefix = g_strconcat (key, "=", NULL);
  for (guint i = 0; lines[i]; i++)
    if (g_str_has_prefix (lines[i], prefix))
      return g_strdup (lines[i] + strlen (prefix));
  return NULL;
}

static void
print_files (const char *props)
{
  g_autofree char *files = property (props, "spark.files");
  if (files == NULL)
    return;
  g_auto (GStrv) list = g_strsplit (files, ",", -1);
  for (guint i = 0; list[i]; i++)
    {
      g_autofree char *text = NULL;
      if (!g_file_get_contents (list[i], &text, NULL, NULL))
        {
          printf ("file %s: MISSING\n", list[i]);
          continue;
        }
      text[strcspn (text, "\n")] = '\0';
      printf ("file %s: %s\n", list[i], text);
    }
}

static gboolean
send_progress (ClusterAm *am, GError **error)
{
  static const guint steps[][4] = {
    { 1, 0, 0, 4 }, { 1, 1, 2, 4 }, { 1, 3, 1, 4 }, { 2, 0, 2, 2 }, { 2, 1, 1, 2 },
  };
  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    {
      g_autofree char *d = weft_progress_detail_format (steps[i][0], steps[i][1], steps[i][2],
                                                        steps[i][3]);
      if (!cluster_am_heartbeat (am, (i + 1) / 6.0, d, error))
        return FALSE;
      g_usleep (HOLD_US);
    }
  /* No stage runs any more: the bar goes. */
  return cluster_am_heartbeat (am, 1.0, "", error);
}

static int
run_am (gboolean progress, const char *fail, gboolean crash)
{
  g_autoptr(ClusterAm) am = cluster_am_new_from_env ();
  g_autoptr(GError) error = NULL;
  if (am == NULL)
    return 1;
  if (!cluster_am_register_am (am, &error)
      || (progress && !send_progress (am, &error)))
    {
      g_printerr ("submit-test-prog: %s\n", error->message);
      return 1;
    }
  if (crash)
    {
      g_printerr ("submit-test-prog: crashing on purpose\n");
      return 3;
    }
  if (fail)
    g_printerr ("submit-test-prog: failing: %s\n", fail);
  if (!cluster_am_finish (am, fail == NULL, fail ? fail : "", &error))
    {
      g_printerr ("submit-test-prog: finish: %s\n", error->message);
      return 1;
    }
  return fail ? 1 : 0;
}

int
main (int argc, char **argv)
{
  int code = 0, sig = 0;
  gboolean progress = FALSE, crash = FALSE;
  const char *fail = NULL;
  for (int i = 1; i < argc; i++)
    {
      printf ("arg[%d]=%s\n", i, argv[i]);
      if (g_str_has_prefix (argv[i], "exit="))
        code = atoi (argv[i] + 5);
      else if (g_str_has_prefix (argv[i], "kill="))
        sig = atoi (argv[i] + 5);
      else if (g_str_has_prefix (argv[i], "sleep="))
        g_usleep ((gulong) atoi (argv[i] + 6) * 1000);
      else if (g_str_has_prefix (argv[i], "fail="))
        fail = argv[i] + 5;
      else if (g_str_equal (argv[i], "progress"))
        progress = TRUE;
      else if (g_str_equal (argv[i], "crash"))
        crash = TRUE;
    }
  g_autofree char *cwd = g_get_current_dir ();
  printf ("cwd=%s\n", cwd);
  const char *path = g_getenv ("WEFT_SUBMIT_PROPERTIES");
  printf ("WEFT_SUBMIT_PROPERTIES=%s\n", path ? path : "(unset)");
  if (g_getenv ("WEFT_CONF_DIR"))
    printf ("WEFT_CONF_DIR=%s\n", g_getenv ("WEFT_CONF_DIR"));
  g_autofree char *props = NULL;
  g_autoptr(GError) error = NULL;
  if (path && !g_file_get_contents (path, &props, NULL, &error))
    printf ("cannot read it: %s\n", error->message);
  printf ("--- properties\n%s--- end\n", props ? props : "");
  if (props)
    print_files (props);
  fflush (stdout);
  if (g_getenv ("WEFT_AM_TOKEN"))
    return run_am (progress, fail, crash);
  if (sig)
    raise (sig);
  return code;
}
