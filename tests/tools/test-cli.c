/* Tests of the admin CLI `weft` against a real weft-resourcemanager on loopback with ephemeral
 * ports, in a temporary folder. Two nodes are registered through the real ResourceTracker
 * protocol (no NM needed to list them). The RM dies with the test process (PR_SET_PDEATHSIG),
 * so a failed assertion leaves nothing behind; teardown stops it otherwise. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "weft-net.h"
#include "weft-rpc-client.h"
#include "weft-token.h"
#include "weft_resource_tracker.h"

typedef struct {
  char *dir;
  char *conf_dir;
  GPid rm;
  guint16 client_port, tracker_port, admin_port;
  gboolean security;
} Fixture;

static char *
builddir_path (const char *rel)
{
  const char *top = g_getenv ("WEFT_TOP_BUILDDIR");
  return g_build_filename (top ? top : ".", rel, NULL);
}

static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static guint16
read_port (const char *path, const char *key, GPid pid)
{
  for (int i = 0; i < 500; i++)
    {
      g_autofree char *text = NULL;
      if (g_file_get_contents (path, &text, NULL, NULL))
        {
          g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
          for (guint k = 0; lines[k]; k++)
            if (g_str_has_prefix (lines[k], key) && lines[k][strlen (key)] == '=')
              return (guint16) atoi (lines[k] + strlen (key) + 1);
        }
      g_assert_cmpint (waitpid (pid, NULL, WNOHANG), ==, 0); /* the RM must not have died */
      g_usleep (20 * 1000);
    }
  g_error ("the RM did not write %s", path);
  return 0;
}

typedef struct { weftNodeRegistration *reg; weftRegistrationResponse *out; weftToken *auth; } RegArgs;

static gboolean
call_register (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  RegArgs *a = data;
  return weft_resource_tracker_if_register_node (client, &a->out, a->auth, a->reg, ex, error);
}

/* Registers a node as an NM would; with security off no node token is needed. */
static void
register_node (Fixture *f, const char *node_id, gint vcores, gint64 memory_mb)
{
  WeftRpcOptions opts = { .max_message_size = 1 << 20, .max_depth = 64,
                          .connect_timeout_us = G_USEC_PER_SEC, .call_timeout_us = 5 * G_USEC_PER_SEC,
                          .idle_timeout_us = 5 * G_USEC_PER_SEC, .retry_backoff_us = 1000,
                          .max_connections = 4, .retries = 2 };
  g_autoptr(WeftRpcClient) c = weft_rpc_client_new ("127.0.0.1", f->tracker_port,
                                                    WEFT_TYPE_RESOURCE_TRACKER_CLIENT, &opts);
  RegArgs a = { g_object_new (WEFT_TYPE_NODE_REGISTRATION, "node_id", node_id,
                              "http_address", "127.0.0.1:8042", "version", "test", "rack", "", NULL),
                g_object_new (WEFT_TYPE_REGISTRATION_RESPONSE, NULL),
                g_object_new (WEFT_TYPE_TOKEN, "kind", "", NULL) };
  a.reg->capability->vcores = vcores;
  a.reg->capability->memory_mb = memory_mb;
  g_autoptr(GError) error = NULL;
  gboolean ok = weft_rpc_client_call (c, "register_node", WEFT_RPC_ONCE, call_register, &a, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  g_object_unref (a.reg);
  g_object_unref (a.out);
  g_object_unref (a.auth);
}

static void
start_rm (Fixture *f, gboolean security)
{
  f->security = security;
  f->dir = g_dir_make_tmp ("weft-test-cli-XXXXXX", NULL);
  g_assert_nonnull (f->dir);
  f->conf_dir = g_build_filename (f->dir, "conf", NULL);
  g_assert_cmpint (g_mkdir (f->conf_dir, 0755), ==, 0);
  if (security)
    {
      g_autofree char *secret = g_build_filename (f->conf_dir, "weft.secret", NULL);
      g_autoptr(GError) error = NULL;
      g_assert_true (weft_secret_generate (secret, &error));
    }
  g_autofree char *ports = g_build_filename (f->dir, "rm.ports", NULL);
  g_autofree char *site = g_strdup_printf (
    "[security]\nenabled = %s\n[rpc]\nbind-address = 127.0.0.1\n"
    "[rm]\nclient-port = 0\nscheduler-port = 0\ntracker-port = 0\nadmin-port = 0\n"
    "port-file = %s\n",
    security ? "true" : "false", ports);
  g_autofree char *site_path = g_build_filename (f->conf_dir, "weft-site.conf", NULL);
  g_assert_true (g_file_set_contents (site_path, site, -1, NULL));

  g_autofree char *rm = builddir_path ("rm/weft-resourcemanager");
  g_autofree char *log = g_build_filename (f->dir, "rm.log", NULL);
  g_autofree char *cmd = g_strdup_printf ("exec '%s' --conf-dir '%s' > '%s' 2>&1", rm, f->conf_dir,
                                          log);
  const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
  g_autoptr(GError) error = NULL;
  g_assert_true (g_spawn_async (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                                die_with_parent, NULL, &f->rm, &error));
  g_assert_no_error (error);
  f->client_port = read_port (ports, "client", f->rm);
  f->tracker_port = read_port (ports, "tracker", f->rm);
  f->admin_port = read_port (ports, "admin", f->rm);
}

static void
setup (Fixture *f, gconstpointer data)
{
  start_rm (f, GPOINTER_TO_INT (data));
  if (!f->security)
    {
      register_node (f, "127.0.0.1:45454", 4, 8192);
      register_node (f, "127.0.0.1:45455", 2, 4096);
    }
}

static void
rm_rf (const char *path)
{
  g_autoptr(GDir) d = g_dir_open (path, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name (d)))
    {
      g_autofree char *p = g_build_filename (path, name, NULL);
      if (g_file_test (p, G_FILE_TEST_IS_DIR) && !g_file_test (p, G_FILE_TEST_IS_SYMLINK))
        rm_rf (p);
      else
        g_unlink (p);
    }
  g_rmdir (path);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  if (f->rm > 0)
    {
      kill (f->rm, SIGTERM);
      int status;
      for (int i = 0; i < 250 && waitpid (f->rm, &status, WNOHANG) == 0; i++)
        g_usleep (20 * 1000);
      if (kill (f->rm, 0) == 0)
        {
          kill (f->rm, SIGKILL);
          waitpid (f->rm, &status, 0);
        }
      g_spawn_close_pid (f->rm);
    }
  if (g_getenv ("WEFT_KEEP_TEST_DIR") == NULL)
    rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->conf_dir);
}

/* Runs `weft --conf-dir DIR --conf rm.client-port=P --conf rm.admin-port=P ARGS...`, with
 * @token_file as WEFT_CLIENT_TOKEN_FILE (NULL: unset). Returns: the exit status. */
static int
run_weft_env (Fixture *f, const char *token_file, char **out, char **err, const char *first, ...)
{
  g_autofree char *weft = builddir_path ("rm/weft");
  g_autofree char *cp = g_strdup_printf ("rm.client-port=%u", f->client_port);
  g_autofree char *ap = g_strdup_printf ("rm.admin-port=%u", f->admin_port);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  const char *fixed[] = { weft, "--conf-dir", f->conf_dir, "--conf", cp, "--conf", ap,
                          "--conf", "rpc.retries=0" };
  for (guint i = 0; i < G_N_ELEMENTS (fixed); i++)
    g_ptr_array_add (argv, (char *) fixed[i]);
  va_list ap_list;
  va_start (ap_list, first);
  for (const char *a = first; a; a = va_arg (ap_list, const char *))
    g_ptr_array_add (argv, (char *) a);
  va_end (ap_list);
  g_ptr_array_add (argv, NULL);
  g_auto (GStrv) env = g_get_environ ();
  env = g_environ_unsetenv (env, "WEFT_CONF_DIR");
  env = token_file ? g_environ_setenv (env, "WEFT_CLIENT_TOKEN_FILE", token_file, TRUE)
                   : g_environ_unsetenv (env, "WEFT_CLIENT_TOKEN_FILE");
  int status = -1;
  g_autoptr(GError) error = NULL;
  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, env, G_SPAWN_DEFAULT, NULL, NULL, out,
                               err, &status, &error));
  g_assert_no_error (error);
  g_assert_true (WIFEXITED (status));
  g_test_message ("weft %s: exit %d\n%s%s", first, WEXITSTATUS (status), out ? *out : "",
                  err ? *err : "");
  return WEXITSTATUS (status);
}

#define run_weft(f, out, err, ...) run_weft_env ((f), NULL, (out), (err), __VA_ARGS__, NULL)

static JsonObject *
parse_json (const char *text, JsonParser **keep)
{
  *keep = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_assert_true (json_parser_load_from_data (*keep, text, -1, &error));
  g_assert_no_error (error);
  return json_node_get_object (json_parser_get_root (*keep));
}

/* `weft node list`: a YARN-style header line, the columns, both nodes with their resources. */
static void
test_node_list (Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL, *err = NULL;
  g_assert_cmpint (run_weft (f, &out, &err, "node", "list"), ==, 0);
  g_auto (GStrv) lines = g_strsplit (out, "\n", -1);
  g_assert_cmpstr (lines[0], ==, "Total Nodes:2");
  g_assert_true (g_str_has_prefix (lines[1], "Node-Id  "));
  for (const char *col = "Node-State"; col; col = NULL)
    g_assert_nonnull (strstr (lines[1], col));
  g_assert_nonnull (strstr (lines[1], "Node-Http-Address"));
  g_assert_nonnull (strstr (lines[1], "Number-of-Running-Containers"));
  g_assert_nonnull (strstr (lines[1], "Memory-Total"));
  /* Columns are aligned: every row's second column starts where the header's does. */
  const char *col2 = strstr (lines[1], "Node-State");
  gsize at = (gsize) (col2 - lines[1]);
  g_assert_true (g_str_has_prefix (lines[2], "127.0.0.1:45454"));
  g_assert_true (g_str_has_prefix (lines[2] + at, "RUNNING"));
  g_assert_true (g_str_has_prefix (lines[3], "127.0.0.1:45455"));
  g_assert_true (g_str_has_prefix (lines[3] + at, "RUNNING"));
  g_assert_nonnull (strstr (lines[2], "8192MB"));
  g_assert_nonnull (strstr (lines[3], "4096MB"));

  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run_weft (f, &out, NULL, "node", "list", "--json"), ==, 0);
  g_autoptr(JsonParser) p = NULL;
  JsonObject *o = parse_json (out, &p);
  g_assert_cmpint (json_object_get_int_member (o, "total"), ==, 2);
  JsonArray *nodes = json_object_get_array_member (o, "nodes");
  JsonObject *n0 = json_array_get_object_element (nodes, 0);
  g_assert_cmpstr (json_object_get_string_member (n0, "node_id"), ==, "127.0.0.1:45454");
  g_assert_cmpstr (json_object_get_string_member (n0, "state"), ==, "RUNNING");
  JsonObject *cap = json_object_get_object_member (n0, "capability");
  g_assert_cmpint (json_object_get_int_member (cap, "vcores"), ==, 4);
  g_assert_cmpint (json_object_get_int_member (cap, "memory_mb"), ==, 8192);
}

static void
test_node_states (Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL, *err = NULL;
  g_assert_cmpint (run_weft (f, &out, &err, "node", "list", "--states", "lost,shutdown"), ==, 0);
  g_assert_true (g_str_has_prefix (out, "Total Nodes:0\n"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_weft (f, &out, &err, "node", "list", "--states", "BOGUS"), ==, 2);
  g_assert_nonnull (strstr (err, "unknown node state \"BOGUS\""));
  g_assert_cmpstr (out, ==, "");

  /* decommission (admin port), then the default list hides it and --all shows it. */
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_weft (f, &out, &err, "node", "decommission", "127.0.0.1:45455"), ==, 0);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run_weft (f, &out, NULL, "node", "list"), ==, 0);
  g_assert_true (g_str_has_prefix (out, "Total Nodes:1\n"));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run_weft (f, &out, NULL, "node", "status", "127.0.0.1:45455", "--json"), ==, 0);
  g_autoptr(JsonParser) p = NULL;
  JsonObject *o = parse_json (out, &p);
  g_assert_cmpstr (json_object_get_string_member (o, "state"), ==, "DECOMMISSIONED");
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run_weft (f, &out, NULL, "node", "list", "--all"), ==, 0);
  g_assert_true (g_str_has_prefix (out, "Total Nodes:2\n"));
  g_assert_nonnull (strstr (out, "DECOMMISSIONED"));
}

static void
test_app_list (Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL, *err = NULL;
  g_assert_cmpint (run_weft (f, &out, &err, "app", "list"), ==, 0);
  g_auto (GStrv) lines = g_strsplit (out, "\n", -1);
  g_assert_cmpstr (lines[0], ==,
                   "Total number of applications (states: [NEW, SUBMITTED, ACCEPTED, RUNNING]):0");
  g_assert_true (g_str_has_prefix (lines[1], "Application-Id  Application-Name  Application-Type"));
  g_assert_nonnull (strstr (lines[1], "Final-State  Progress  Tracking-URL"));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run_weft (f, &out, NULL, "app", "list", "--all", "--json"), ==, 0);
  g_autoptr(JsonParser) p = NULL;
  JsonObject *o = parse_json (out, &p);
  g_assert_cmpint (json_object_get_int_member (o, "total"), ==, 0);
  g_assert_cmpint (json_array_get_length (json_object_get_array_member (o, "applications")), ==, 0);
}

/* The RM refuses: exit 1 and its message. */
static void
test_refused (Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL, *err = NULL;
  g_assert_cmpint (run_weft (f, &out, &err, "app", "status", "application_1_0001"), ==, 1);
  g_assert_true (g_str_has_prefix (err, "weft: application application_1_0001 is not known"));
  g_assert_cmpstr (out, ==, "");
  const char *const *cmds[] = {
    (const char *const[]) { "app", "kill", "application_1_0001", NULL },
    (const char *const[]) { "app", "logs", "application_1_0001", NULL },
    (const char *const[]) { "node", "status", "nosuch:1", NULL },
    (const char *const[]) { "node", "decommission", "nosuch:1", NULL },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cmds); i++)
    {
      g_clear_pointer (&err, g_free);
      g_assert_cmpint (run_weft (f, NULL, &err, cmds[i][0], cmds[i][1], cmds[i][2]), ==, 1);
      g_assert_nonnull (strstr (err, "is not known"));
    }
  /* With no [queue.*] configured, the capacity scheduler has root and
   * root.default. */
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run_weft (f, &out, NULL, "queue", "list"), ==, 0);
  g_assert_nonnull (strstr (out, "Total Queues:2"));
  g_assert_nonnull (strstr (out, "root.default"));
}

static void
test_metrics_json (Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL;
  g_assert_cmpint (run_weft (f, &out, NULL, "cluster", "metrics", "--json"), ==, 0);
  g_autoptr(JsonParser) p = NULL;
  JsonObject *o = parse_json (out, &p);
  g_assert_cmpint (json_object_get_int_member (o, "nodes_total"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (o, "nodes_active"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (o, "apps_running"), ==, 0);
  JsonObject *total = json_object_get_object_member (o, "total");
  g_assert_cmpint (json_object_get_int_member (total, "vcores"), ==, 6);
  g_assert_cmpint (json_object_get_int_member (total, "memory_mb"), ==, 12288);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run_weft (f, &out, NULL, "cluster", "metrics"), ==, 0);
  g_assert_nonnull (strstr (out, "\tNodes-Total : 2\n"));
  g_assert_nonnull (strstr (out, "\tMemory-Total : 12288MB\n"));
}

static void
test_usage (Fixture *f, gconstpointer data)
{
  g_autofree char *err = NULL;
  g_assert_cmpint (run_weft (f, NULL, &err, "frobnicate"), ==, 2);
  g_assert_nonnull (strstr (err, "unknown command \"frobnicate\""));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_weft (f, NULL, &err, "app", "status"), ==, 2);
  g_assert_nonnull (strstr (err, "app status takes one argument"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_weft (f, NULL, &err, "node", "list", "--bogus"), ==, 2);
  g_assert_nonnull (strstr (err, "unknown option --bogus"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_weft (f, NULL, &err, "node", "list", "--all", "--states", "LOST"), ==, 2);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_weft (f, NULL, &err, "--conf", "rm.no-such-key=1", "node", "list"), ==, 2);
  g_autofree char *out = NULL;
  g_assert_cmpint (run_weft (f, &out, NULL, "--help"), ==, 0);
  g_assert_true (g_str_has_prefix (out, "usage: weft "));
}

/* Nothing listens on the port: exit 3 and a message that says where and what to check. */
static void
test_unreachable (Fixture *f, gconstpointer data)
{
  /* A port that was free a moment ago: bind an ephemeral one and close it. */
  g_autoptr(GError) error = NULL;
  guint16 port = 0;
  int fd = weft_net_listen ("127.0.0.1", 0, 1, &port, &error);
  g_assert_no_error (error);
  close (fd);
  guint16 saved = f->client_port;
  f->client_port = port;
  g_autofree char *err = NULL, *out = NULL;
  int status = run_weft (f, &out, &err, "node", "list");
  f->client_port = saved;
  g_assert_cmpint (status, ==, 3);
  g_autofree char *want = g_strdup_printf ("weft: the RM is not reachable at 127.0.0.1:%u "
                                           "(is weft-resourcemanager running? is WEFT_CONF_DIR set?)",
                                           port);
  g_assert_true (g_str_has_prefix (err, want));
  g_assert_cmpstr (out, ==, "");
}

/* Security on: a token file, a token issued with the secret, a forged token. */
static void
test_security (Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL, *err = NULL;
  /* No token file, but the secret is readable by this user: a token is signed on the spot. */
  g_assert_cmpint (run_weft (f, &out, &err, "node", "list"), ==, 0);
  g_assert_true (g_str_has_prefix (out, "Total Nodes:0\n"));

  /* A token file that is missing: a usage error naming the file. */
  g_autofree char *missing = g_build_filename (f->dir, "missing.token", NULL);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_weft_env (f, missing, NULL, &err, "node", "list", NULL), ==, 2);
  g_assert_nonnull (strstr (err, "missing.token"));

  /* `weft token issue` writes a token the RM accepts. */
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run_weft (f, &out, NULL, "token", "issue", "--valid-for", "1h"), ==, 0);
  g_autofree char *good = g_build_filename (f->dir, "good.token", NULL);
  g_assert_true (g_file_set_contents (good, out, -1, NULL));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run_weft_env (f, good, &out, NULL, "cluster", "metrics", "--json", NULL), ==, 0);

  /* A token signed with another secret: the RM refuses it (exit 1). */
  g_autoptr(GError) error = NULL;
  g_autoptr(WeftSecret) other = weft_secret_new_random (&error);
  g_assert_no_error (error);
  g_autoptr(GBytes) ident = weft_token_identifier_new ("1", g_get_user_name (), NULL);
  g_autoptr(WeftToken) forged = weft_token_sign (other, "client", ident, 0);
  g_autofree char *text = weft_token_encode (forged);
  g_autofree char *bad = g_build_filename (f->dir, "forged.token", NULL);
  g_assert_true (g_file_set_contents (bad, text, -1, NULL));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_weft_env (f, bad, NULL, &err, "node", "list", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "not authenticated"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn, security) \
  g_test_add (path, Fixture, GINT_TO_POINTER (security), setup, fn, teardown)
  ADD ("/tools/cli/node-list", test_node_list, FALSE);
  ADD ("/tools/cli/node-states-decommission", test_node_states, FALSE);
  ADD ("/tools/cli/app-list", test_app_list, FALSE);
  ADD ("/tools/cli/refused", test_refused, FALSE);
  ADD ("/tools/cli/metrics-json", test_metrics_json, FALSE);
  ADD ("/tools/cli/usage", test_usage, FALSE);
  ADD ("/tools/cli/unreachable", test_unreachable, FALSE);
  ADD ("/tools/cli/security", test_security, TRUE);
  return g_test_run ();
}
