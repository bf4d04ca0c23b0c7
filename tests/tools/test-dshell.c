/* weft-dshell end to end on a real local cluster (tests/integration/cluster-harness: an RM and two
 * NMs on loopback, security on): N containers across both nodes, all exit 0, their output read
 * back with `weft app logs`; a failing command fails the application with the exit code in its
 * diagnostics. The harness kills every daemon with the test, even when an assertion fails. */
#include <fcntl.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cluster-harness.h"

typedef struct {
  Cluster *cluster;
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  f->cluster = cluster_start (2, data);
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

/* Used vcores of queue @path from `weft queue list --json`, or -1. */
static gint64
queue_vcores (Fixture *f, const char *path)
{
  const char *args[] = { "queue", "list", "--json", NULL };
  g_autofree char *out = NULL;
  if (run (f, "rm/weft", args, &out, NULL) != 0)
    return -1;
  g_autofree char *needle = g_strdup_printf ("\"path\" : \"%s\"", path);
  const char *p = strstr (out, needle);
  if (p == NULL)
    return -1;
  p = strstr (p, "\"used\"");
  p = p ? strstr (p, "\"vcores\" : ") : NULL;
  return p ? g_ascii_strtoll (p + strlen ("\"vcores\" : "), NULL, 10) : -1;
}

static GPid
start_dshell (Fixture *f, const char *queue, const char *command)
{
  g_autofree char *bin = builddir_path ("engine/dshell/weft-dshell");
  g_autofree char *cp = g_strdup_printf ("rm.client-port=%u", f->cluster->client_port);
  const char *argv[] = { bin, "--conf-dir", f->cluster->conf_dir, "--conf", cp, "--queue", queue,
                         "--num-containers", "20", "--container-memory", "64m",
                         "--command", command, "--timeout", "60s", NULL };
  g_auto (GStrv) env = g_environ_unsetenv (g_get_environ (), "WEFT_CONF_DIR");
  GPid pid;
  g_autoptr(GError) error = NULL;
  int devnull = open ("/dev/null", O_WRONLY | O_CLOEXEC);
  g_assert_true (g_spawn_async_with_fds (NULL, (char **) argv, env, G_SPAWN_DO_NOT_REAP_CHILD, NULL,
                                         NULL, &pid, -1, devnull, devnull, &error));
  g_assert_no_error (error);
  close (devnull);
  return pid;
}

static const char *const queues_70_30[] = {
  "nm.vcores=10",
  "queue.root.a.capacity=70", "queue.root.a.max-capacity=70",
  "queue.root.b.capacity=30", "queue.root.b.max-capacity=30",
  NULL
};

static void
test_queue_shares (Fixture *f, gconstpointer data)
{
  /* 2 nodes x 10 vcores. Each application wants 20 one-vcore containers
   * (plus its AM): together far more than the cluster. Queue a may use
   * 70 % (14 vcores), b 30 % (6), and each gets exactly that. */
  /* A unique sleep finds every worker process of both applications. */
  g_autofree char *marker = g_strdup_printf ("30.%u", g_random_int_range (100000, 999999));
  g_autofree char *cmd = g_strdup_printf ("sleep %s", marker);
  GPid a = start_dshell (f, "a", cmd);
  GPid b = start_dshell (f, "b", cmd);
  gint64 va = 0, vb = 0;
  for (int i = 0; i < 200 && va + vb < 20; i++)
    {
      g_usleep (100000);
      va = queue_vcores (f, "root.a");
      vb = queue_vcores (f, "root.b");
    }
  g_test_message ("queue a (70%%) holds %" G_GINT64_FORMAT " vcores, b (30%%) %" G_GINT64_FORMAT
                  " of 20", va, vb);
  /* Stop both applications; their clients then exit. */
  const char *list[] = { "app", "list", "--json", NULL };
  g_autofree char *apps = NULL;
  g_assert_cmpint (run (f, "rm/weft", list, &apps, NULL), ==, 0);
  for (const char *p = strstr (apps, "application_"); p; p = strstr (p + 1, "\"application_"))
    {
      if (*p == '"')
        p++;
      g_autofree char *id = g_strndup (p, strcspn (p, "\""));
      const char *kill[] = { "app", "kill", id, NULL };
      run (f, "rm/weft", kill, NULL, NULL);
    }
  int st;
  waitpid (a, &st, 0);
  waitpid (b, &st, 0);
  /* Killing the applications stopped every one of their containers. */
  guint left = 1;
  for (int i = 0; i < 200 && left > 0; i++)
    {
      g_autoptr(GArray) pids = cluster_pids_matching (marker);
      left = pids->len;
      if (left)
        g_usleep (50000);
    }
  g_assert_cmpuint (left, ==, 0);
  g_assert_cmpint (va, ==, 14);
  g_assert_cmpint (vb, ==, 6);
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
  g_test_add ("/tools/dshell/capacity-queue-shares", Fixture, queues_70_30, setup,
              test_queue_shares, teardown);
  return g_test_run ();
}
