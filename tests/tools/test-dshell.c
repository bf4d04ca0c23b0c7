/* weft-dshell end to end on a real local cluster (tests/integration/cluster-harness: an RM and two
 * NMs on loopback, security on): N containers across both nodes, all exit 0, their output read
 * back with `weft app logs`; a failing command fails the application with the exit code in its
 * diagnostics. The harness kills every daemon with the test, even when an assertion fails. */
#include <string.h>
#include <sys/wait.h>

#include "cluster-harness.h"

typedef struct {
  Cluster *cluster;
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  f->cluster = cluster_start (2, NULL);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  cluster_free (f->cluster);
}

static char *
builddir_path (const char *rel)
{
  const char *top = g_getenv ("WEFT_TOP_BUILDDIR");
  return g_build_filename (top ? top : ".", rel, NULL);
}

/* Runs @prog (a build-tree path) with the cluster's configuration and @args. */
static int
run (Fixture *f, const char *prog, const char *const *args, char **out, char **err)
{
  g_autofree char *bin = builddir_path (prog);
  g_autofree char *cp = g_strdup_printf ("rm.client-port=%u", f->cluster->client_port);
  g_autofree char *ap = g_strdup_printf ("rm.admin-port=%u", f->cluster->admin_port);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  const char *fixed[] = { bin, "--conf-dir", f->cluster->conf_dir, "--conf", cp, "--conf", ap };
  for (guint i = 0; i < G_N_ELEMENTS (fixed); i++)
    g_ptr_array_add (argv, (char *) fixed[i]);
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);
  g_auto (GStrv) env = g_get_environ ();
  env = g_environ_unsetenv (env, "WEFT_CONF_DIR");
  env = g_environ_unsetenv (env, "WEFT_CLIENT_TOKEN_FILE");
  int status = -1;
  g_autoptr(GError) error = NULL;
  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, env, G_SPAWN_DEFAULT, NULL, NULL, out,
                               err, &status, &error));
  g_assert_no_error (error);
  g_assert_true (WIFEXITED (status));
  g_test_message ("%s %s: exit %d\n%s%s", prog, args[0], WEXITSTATUS (status), out ? *out : "",
                  err ? *err : "");
  return WEXITSTATUS (status);
}

/* "Submitted application application_..." -> the id. */
static char *
app_id_of (const char *out)
{
  const char *p = strstr (out, "Submitted application ");
  g_assert_nonnull (p);
  p += strlen ("Submitted application ");
  gsize n = strcspn (p, ": \n");
  return g_strndup (p, n);
}

static void
test_four_containers (Fixture *f, gconstpointer data)
{
  const char *args[] = { "--num-containers", "4", "--command", "echo hello-$WEFT_CONTAINER_ID",
                         "--timeout", "30s", NULL };
  g_autofree char *out = NULL, *err = NULL;
  g_assert_cmpint (run (f, "engine/dshell/weft-dshell", args, &out, &err), ==, 0);
  g_assert_nonnull (strstr (out, "Final state FINISHED, final status SUCCEEDED"));
  g_assert_nonnull (strstr (out, "all 4 containers exited 0"));
  g_autofree char *app = app_id_of (out);

  const char *largs[] = { "app", "logs", app, NULL };
  g_autofree char *logs = NULL, *lerr = NULL;
  g_assert_cmpint (run (f, "rm/weft", largs, &logs, &lerr), ==, 0);
  /* Each worker printed its own id; count them and the nodes they ran on. */
  guint hellos = 0, on_node[2] = { 0, 0 };
  g_auto (GStrv) lines = g_strsplit (logs, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    {
      if (g_str_has_prefix (lines[i], "hello-container_"))
        hellos++;
      if (g_str_has_prefix (lines[i], "Container: ") && !strstr (lines[i], "_000001 on "))
        for (guint n = 0; n < 2; n++)
          {
            g_autofree char *tail = g_strdup_printf (" on %s", f->cluster->nm_ids[n]);
            on_node[n] += g_str_has_suffix (lines[i], tail);
          }
    }
  g_assert_cmpuint (hellos, ==, 4);
  g_assert_cmpuint (on_node[0] + on_node[1], ==, 4);
  /* 2 nodes of 2 vcores, the AM holding one: 4 one-vcore workers need both nodes. */
  g_assert_cmpuint (on_node[0], >, 0);
  g_assert_cmpuint (on_node[1], >, 0);

  const char *sargs[] = { "app", "status", app, "--json", NULL };
  g_autofree char *st = NULL;
  g_assert_cmpint (run (f, "rm/weft", sargs, &st, NULL), ==, 0);
  g_assert_nonnull (strstr (st, "\"state\" : \"FINISHED\""));
  g_assert_nonnull (strstr (st, "\"final_status\" : \"SUCCEEDED\""));
}

static void
test_failing_command (Fixture *f, gconstpointer data)
{
  const char *args[] = { "-n", "2", "-c", "echo failing >&2; exit 7", "--timeout", "30s", NULL };
  g_autofree char *out = NULL, *err = NULL;
  g_assert_cmpint (run (f, "engine/dshell/weft-dshell", args, &out, &err), ==, 1);
  g_assert_nonnull (strstr (out, "final status FAILED"));
  g_assert_nonnull (strstr (out, "exit 7 (FAILED)"));
  g_autofree char *app = app_id_of (out);
  const char *largs[] = { "app", "logs", app, NULL };
  g_autofree char *logs = NULL;
  g_assert_cmpint (run (f, "rm/weft", largs, &logs, NULL), ==, 0);
  g_assert_nonnull (strstr (logs, "LogType:stderr\nLogLength:8\nLogContents:\nfailing\n"));
}

static void
test_usage (Fixture *f, gconstpointer data)
{
  const char *args[] = { "--num-containers", "2", NULL };
  g_autofree char *err = NULL;
  g_assert_cmpint (run (f, "engine/dshell/weft-dshell", args, NULL, &err), ==, 2);
  g_assert_nonnull (strstr (err, "--command is required"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/tools/dshell/four-containers", Fixture, NULL, setup, test_four_containers, teardown);
  g_test_add ("/tools/dshell/failing-command", Fixture, NULL, setup, test_failing_command, teardown);
  g_test_add ("/tools/dshell/usage", Fixture, NULL, setup, test_usage, teardown);
  return g_test_run ();
}
