/* cluster-harness: see cluster-harness.h. */
#include "cluster-harness.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "weft-fs.h"
#include "weft-rpc-token.h"
#include "weft_application_master_service.h"
#include "weft_client_service.h"
#include "weft_container_manager.h"

static void
die_with_parent (gpointer data)
{
  /* The daemon gets SIGTERM (and stops its containers) when the test dies. */
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static char *
builddir_path (const char *rel)
{
  const char *top = g_getenv ("WEFT_TOP_BUILDDIR");
  g_assert_nonnull (top);
  return g_build_filename (top, rel, NULL);
}

static GPid
spawn (Cluster *c, const char *const *argv, const char *log)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *log_path = g_build_filename (c->dir, log, NULL);
  int fd = open (log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  g_assert_cmpint (fd, >=, 0);
  GPid pid;
  g_auto (GStrv) envp = g_get_environ ();
  envp = g_environ_unsetenv (envp, "WEFT_CONF_DIR");
  g_assert_true (g_spawn_async_with_fds (c->dir, (char **) argv, envp, G_SPAWN_DO_NOT_REAP_CHILD,
                                         die_with_parent, NULL, &pid, -1, fd, fd, &error));
  g_assert_no_error (error);
  close (fd);
  return pid;
}

/* Waits for a port file and returns the value of @key in it. */
static guint16
read_port (const char *path, const char *key, GPid pid)
{
  for (int i = 0; i < 1000; i++)
    {
      g_autofree char *text = NULL;
      if (g_file_get_contents (path, &text, NULL, NULL))
        {
          g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
          for (guint k = 0; lines[k]; k++)
            if (g_str_has_prefix (lines[k], key) && lines[k][strlen (key)] == '=')
              return (guint16) atoi (lines[k] + strlen (key) + 1);
        }
      int status;
      if (waitpid (pid, &status, WNOHANG) == pid)
        g_error ("daemon %d exited before writing %s (see the logs in the test folder)", pid, path);
      g_usleep (10000);
    }
  g_error ("no port in %s after 10 s", path);
}

/* Stops a daemon with SIGTERM. Returns its exit status: it must be 0 (a
 * clean stop; in the sanitizer build LeakSanitizer makes a leak non-zero),
 * or -1 if it had to be killed. */
static int
stop_pid (GPid pid)
{
  if (pid <= 0)
    return 0;
  kill (pid, SIGTERM);
  for (int i = 0; i < 1500; i++)
    {
      int status;
      if (waitpid (pid, &status, WNOHANG) == pid)
        return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
      g_usleep (10000);
    }
  kill (pid, SIGKILL);
  waitpid (pid, NULL, 0);
  return -1;
}

WeftToken *
cluster_client_token (Cluster *c)
{
  g_autoptr(GBytes) ident = weft_token_identifier_new ("1", g_get_user_name (), NULL);
  return weft_token_sign (c->secret, "client", ident, 0);
}

WeftRpcClient *
cluster_rm_client (Cluster *c)
{
  return weft_rpc_client_new ("127.0.0.1", c->client_port, WEFT_TYPE_CLIENT_SERVICE_CLIENT, &c->opts);
}

WeftRpcClient *
cluster_nm_client (Cluster *c, guint i)
{
  const char *colon = strrchr (c->nm_ids[i], ':');
  return weft_rpc_client_new ("127.0.0.1", (guint16) atoi (colon + 1),
                              WEFT_TYPE_CONTAINER_MANAGER_CLIENT, &c->opts);
}

typedef struct { weftToken *auth; GPtrArray *nodes; } ListNodes;

static gboolean
call_list_nodes (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  ListNodes *a = data;
  g_autoptr(GArray) states = g_array_new (FALSE, FALSE, sizeof (gint32));
  return weft_client_service_if_list_nodes (WEFT_CLIENT_SERVICE_IF (client), &a->nodes, a->auth,
                                            states, ex, error);
}

Cluster *
cluster_start (guint n_nms, const char *const *extra_conf)
{
  Cluster *c = g_new0 (Cluster, 1);
  g_autoptr(GError) error = NULL;
  c->dir = g_dir_make_tmp ("weft-cluster-XXXXXX", &error);
  g_assert_no_error (error);
  c->conf_dir = g_build_filename (c->dir, "conf", NULL);
  g_assert_cmpint (g_mkdir_with_parents (c->conf_dir, 0755), ==, 0);
  g_autofree char *secret_path = g_build_filename (c->conf_dir, "weft.secret", NULL);
  g_assert_true (weft_secret_generate (secret_path, &error));
  c->secret = weft_secret_load (secret_path, &error);
  g_assert_no_error (error);
  g_autoptr(GString) site = g_string_new ("[rpc]\nbind-address = 127.0.0.1\ncall-timeout = 10s\n"
                                          "[rm]\nclient-port = 0\nscheduler-port = 0\n"
                                          "tracker-port = 0\nadmin-port = 0\nnm-expiry = 2s\n"
                                          "am-expiry = 30s\n"
                                          "[nm]\nheartbeat-interval = 200ms\nvcores = 2\n"
                                          "memory = 2g\n");
  g_autofree char *site_path = g_build_filename (c->conf_dir, "weft-site.conf", NULL);
  g_assert_true (g_file_set_contents (site_path, site->str, -1, &error));

  g_autofree char *rm = builddir_path ("rm/weft-resourcemanager");
  g_autofree char *nm = builddir_path ("nodemanager/weft-nodemanager");
  g_autofree char *rm_ports = g_build_filename (c->dir, "rm.ports", NULL);
  g_autofree char *pf = g_strdup_printf ("rm.port-file=%s", rm_ports);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_ptr_array_add (argv, rm);
  g_ptr_array_add (argv, "--conf-dir");
  g_ptr_array_add (argv, c->conf_dir);
  g_ptr_array_add (argv, "--conf");
  g_ptr_array_add (argv, pf);
  for (guint i = 0; extra_conf && extra_conf[i]; i++)
    {
      g_ptr_array_add (argv, "--conf");
      g_ptr_array_add (argv, (char *) extra_conf[i]);
    }
  g_ptr_array_add (argv, NULL);
  c->rm_pid = spawn (c, (const char *const *) argv->pdata, "rm.log");
  c->client_port = read_port (rm_ports, "client", c->rm_pid);
  c->scheduler_port = read_port (rm_ports, "scheduler", c->rm_pid);
  c->tracker_port = read_port (rm_ports, "tracker", c->rm_pid);
  c->admin_port = read_port (rm_ports, "admin", c->rm_pid);

  for (guint i = 0; i < n_nms; i++)
    {
      g_autofree char *ports = g_strdup_printf ("%s/nm%u.ports", c->dir, i);
      g_autofree char *a1 = g_strdup_printf ("nm.port-file=%s", ports);
      g_autofree char *a2 = g_strdup_printf ("nm.work-dir=%s/nm%u", c->dir, i);
      g_autofree char *a3 = g_strdup_printf ("rm.tracker-port=%u", c->tracker_port);
      g_autofree char *a4 = g_strdup_printf ("rm.client-port=%u", c->client_port);
      g_autofree char *a5 = g_strdup_printf ("rm.scheduler-port=%u", c->scheduler_port);
      g_autofree char *log = g_strdup_printf ("nm%u.log", i);
      g_autoptr(GPtrArray) nargv = g_ptr_array_new ();
      const char *fixed[] = { nm, "--conf-dir", c->conf_dir, "--conf", a1, "--conf", a2,
                              "--conf", a3, "--conf", a4, "--conf", a5 };
      for (guint k = 0; k < G_N_ELEMENTS (fixed); k++)
        g_ptr_array_add (nargv, (char *) fixed[k]);
      for (guint k = 0; extra_conf && extra_conf[k]; k++)
        {
          g_ptr_array_add (nargv, "--conf");
          g_ptr_array_add (nargv, (char *) extra_conf[k]);
        }
      g_ptr_array_add (nargv, NULL);
      c->nm_pids[i] = spawn (c, (const char *const *) nargv->pdata, log);
      guint16 port = read_port (ports, "container", c->nm_pids[i]);
      c->nm_ids[i] = g_strdup_printf ("127.0.0.1:%u", port);
    }
  c->n_nms = n_nms;

  g_autoptr(WeftConf) conf = weft_conf_new ();
  weft_rpc_options_from_conf (&c->opts, conf);
  c->opts.connect_timeout_us = G_USEC_PER_SEC;
  c->opts.call_timeout_us = 15 * G_USEC_PER_SEC;

  /* Wait until every node is RUNNING. */
  g_autoptr(WeftRpcClient) client = cluster_rm_client (c);
  g_autoptr(WeftToken) tok = cluster_client_token (c);
  weftToken *auth = weft_rpc_token_to_wire (tok);
  guint running = 0;
  for (int tries = 0; tries < 500 && running < n_nms; tries++)
    {
      ListNodes a = { auth, g_ptr_array_new_with_free_func (g_object_unref) };
      if (weft_rpc_client_call (client, "list_nodes", WEFT_RPC_IDEMPOTENT, call_list_nodes, &a, NULL))
        {
          running = 0;
          for (guint k = 0; k < a.nodes->len; k++)
            running += ((weftNodeReport *) a.nodes->pdata[k])->state == WEFT_NODE_STATE_NODE_RUNNING;
        }
      g_ptr_array_unref (a.nodes);
      if (running < n_nms)
        g_usleep (20000);
    }
  g_object_unref (auth);
  g_assert_cmpuint (running, ==, n_nms);
  return c;
}

void
cluster_kill_nm (Cluster *c, guint i, gboolean hard)
{
  if (c->nm_pids[i] <= 0)
    return;
  if (hard)
    {
      kill (c->nm_pids[i], SIGKILL);
      waitpid (c->nm_pids[i], NULL, 0);
    }
  else
    stop_pid (c->nm_pids[i]);
  c->nm_pids[i] = 0;
}

GArray *
cluster_pids_matching (const char *needle)
{
  GArray *pids = g_array_new (FALSE, FALSE, sizeof (GPid));
  GDir *proc = g_dir_open ("/proc", 0, NULL);
  const char *name;
  while ((name = g_dir_read_name (proc)) != NULL)
    {
      if (!g_ascii_isdigit (name[0]))
        continue;
      g_autofree char *path = g_build_filename ("/proc", name, "cmdline", NULL);
      g_autofree char *cmd = NULL;
      gsize len = 0;
      if (!g_file_get_contents (path, &cmd, &len, NULL) || len == 0)
        continue;
      for (gsize k = 0; k + 1 < len; k++)
        if (cmd[k] == '\0')
          cmd[k] = ' ';
      if (strstr (cmd, needle))
        {
          GPid pid = atoi (name);
          g_array_append_val (pids, pid);
        }
    }
  g_dir_close (proc);
  return pids;
}


void
cluster_free (Cluster *c)
{
  if (c == NULL)
    return;
  /* NMs first: they stop their containers on SIGTERM. Each must stop
   * cleanly: status 0 after SIGTERM, within 15 s. */
  int bad = 0;
  for (guint i = 0; i < c->n_nms; i++)
    {
      int st = stop_pid (c->nm_pids[i]);
      if (st != 0)
        {
          g_printerr ("weft-nodemanager %u stopped with status %d (see %s/nm%u.log)\n", i, st,
                      c->dir, i);
          bad++;
        }
    }
  int st = stop_pid (c->rm_pid);
  if (st != 0)
    {
      g_printerr ("weft-resourcemanager stopped with status %d (see %s/rm.log)\n", st, c->dir);
      bad++;
    }
  if (g_getenv ("WEFT_KEEP_TEST_DIR") == NULL && bad == 0)
    weft_fs_remove_tree (c->dir, NULL);
  else
    g_printerr ("cluster folder kept: %s\n", c->dir);
  for (guint i = 0; i < c->n_nms; i++)
    g_free (c->nm_ids[i]);
  weft_secret_free (c->secret);
  g_free (c->conf_dir);
  g_free (c->dir);
  g_free (c);
  g_assert_cmpint (bad, ==, 0);
}


typedef struct { weftToken *auth; gpointer req; gpointer out; } AmArgs;

static gboolean
am_register (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  AmArgs *a = data;
  return weft_application_master_service_if_register_am (WEFT_APPLICATION_MASTER_SERVICE_IF (client),
                                                         (weftRegisterAmResponse **) &a->out,
                                                         a->auth, a->req, ex, error);
}

static gboolean
am_finish (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  AmArgs *a = data;
  return weft_application_master_service_if_finish_am (WEFT_APPLICATION_MASTER_SERVICE_IF (client),
                                                       a->auth, a->req, ex, error);
}

int
cluster_am_register (gboolean finish)
{
  const char *tok = g_getenv ("WEFT_AM_TOKEN"), *addr = g_getenv ("WEFT_RM_SCHEDULER_ADDRESS");
  g_autoptr(GError) error = NULL;
  g_autoptr(WeftToken) t = tok ? weft_token_decode (tok, &error) : NULL;
  const char *colon = addr ? strrchr (addr, ':') : NULL;
  if (t == NULL || colon == NULL)
    {
      g_printerr ("test AM: no WEFT_AM_TOKEN / WEFT_RM_SCHEDULER_ADDRESS\n");
      return 1;
    }
  g_autoptr(WeftConf) conf = weft_conf_new ();
  WeftRpcOptions opts;
  weft_rpc_options_from_conf (&opts, conf);
  g_autofree char *host = g_strndup (addr, (gsize) (colon - addr));
  g_autoptr(WeftRpcClient) rm = weft_rpc_client_new (host, (guint16) atoi (colon + 1),
                                                     WEFT_TYPE_APPLICATION_MASTER_SERVICE_CLIENT, &opts);
  g_autoptr(GObject) auth = G_OBJECT (weft_rpc_token_to_wire (t));
  g_autoptr(GObject) req = g_object_new (WEFT_TYPE_REGISTER_AM_REQUEST, "host", "127.0.0.1", NULL);
  AmArgs a = { WEFT_TOKEN (auth), req, g_object_new (WEFT_TYPE_REGISTER_AM_RESPONSE, NULL) };
  gboolean ok = weft_rpc_client_call (rm, "register_am", WEFT_RPC_ONCE, am_register, &a, &error);
  g_object_unref (a.out);
  if (ok && finish)
    {
      g_autoptr(GObject) fin = g_object_new (WEFT_TYPE_FINISH_AM_REQUEST, "final_status",
                                             WEFT_FINAL_STATUS_FINAL_SUCCEEDED, NULL);
      AmArgs b = { WEFT_TOKEN (auth), fin, NULL };
      ok = weft_rpc_client_call (rm, "finish_am", WEFT_RPC_ONCE, am_finish, &b, &error);
    }
  if (!ok)
    {
      g_printerr ("test AM: %s\n", error->message);
      return 1;
    }
  return 0;
}

/* ---- an application master for tests ---- */

struct _ClusterAm {
  WeftRpcClient *rpc;
  weftToken *auth;
  gint64 response_id;
};

ClusterAm *
cluster_am_new (const char *address, const WeftToken *token)
{
  const char *colon = strrchr (address, ':');
  g_assert_nonnull (colon);
  g_autofree char *host = g_strndup (address, (gsize) (colon - address));
  g_autoptr(WeftConf) conf = weft_conf_new ();
  WeftRpcOptions opts;
  weft_rpc_options_from_conf (&opts, conf);
  ClusterAm *am = g_new0 (ClusterAm, 1);
  am->rpc = weft_rpc_client_new (host, (guint16) atoi (colon + 1),
                                 WEFT_TYPE_APPLICATION_MASTER_SERVICE_CLIENT, &opts);
  am->auth = weft_rpc_token_to_wire (token);
  return am;
}

ClusterAm *
cluster_am_new_from_env (void)
{
  const char *tok = g_getenv ("WEFT_AM_TOKEN"), *addr = g_getenv ("WEFT_RM_SCHEDULER_ADDRESS");
  g_autoptr(GError) error = NULL;
  g_autoptr(WeftToken) t = tok ? weft_token_decode (tok, &error) : NULL;
  if (t == NULL || addr == NULL || strrchr (addr, ':') == NULL)
    {
      g_printerr ("test AM: no usable WEFT_AM_TOKEN / WEFT_RM_SCHEDULER_ADDRESS\n");
      return NULL;
    }
  return cluster_am_new (addr, t);
}

void
cluster_am_free (ClusterAm *am)
{
  if (am == NULL)
    return;
  weft_rpc_client_free (am->rpc);
  g_object_unref (am->auth);
  g_free (am);
}

gboolean
cluster_am_register_am (ClusterAm *am, GError **error)
{
  g_autoptr(GObject) req = g_object_new (WEFT_TYPE_REGISTER_AM_REQUEST, "host", "127.0.0.1", NULL);
  AmArgs a = { am->auth, req, g_object_new (WEFT_TYPE_REGISTER_AM_RESPONSE, NULL) };
  gboolean ok = weft_rpc_client_call (am->rpc, "register_am", WEFT_RPC_ONCE, am_register, &a,
                                      error);
  g_object_unref (a.out);
  return ok;
}

static gboolean
am_allocate (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  AmArgs *a = data;
  return weft_application_master_service_if_allocate (WEFT_APPLICATION_MASTER_SERVICE_IF (client),
                                                      (weftAllocateResponse **) &a->out, a->auth,
                                                      a->req, ex, error);
}

gboolean
cluster_am_heartbeat (ClusterAm *am, double progress, const char *progress_detail,
                      GError **error)
{
  g_autoptr(GObject) req = g_object_new (WEFT_TYPE_ALLOCATE_REQUEST, "response_id",
                                         am->response_id, "progress", progress, NULL);
  if (progress_detail != NULL)
    g_object_set (req, "progress_detail", progress_detail, NULL);
  AmArgs a = { am->auth, req, g_object_new (WEFT_TYPE_ALLOCATE_RESPONSE, NULL) };
  gboolean ok = weft_rpc_client_call (am->rpc, "allocate", WEFT_RPC_ONCE, am_allocate, &a, error);
  if (ok)
    am->response_id = ((weftAllocateResponse *) a.out)->response_id;
  g_object_unref (a.out);
  return ok;
}

gboolean
cluster_am_finish (ClusterAm *am, gboolean succeeded, const char *diagnostics, GError **error)
{
  g_autoptr(GObject) fin = g_object_new (WEFT_TYPE_FINISH_AM_REQUEST, "final_status",
                                         succeeded ? WEFT_FINAL_STATUS_FINAL_SUCCEEDED
                                                   : WEFT_FINAL_STATUS_FINAL_FAILED,
                                         "diagnostics", diagnostics ? diagnostics : "", NULL);
  AmArgs a = { am->auth, fin, NULL };
  return weft_rpc_client_call (am->rpc, "finish_am", WEFT_RPC_ONCE, am_finish, &a, error);
}

typedef struct { weftToken *auth; gpointer in; gpointer out; const char *id; } ClientArgs;

static gboolean
client_new_app (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  ClientArgs *a = data;
  return weft_client_service_if_new_application (WEFT_CLIENT_SERVICE_IF (client),
                                                 (weftNewApplication **) &a->out, a->auth, ex,
                                                 error);
}

static gboolean
client_submit (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  ClientArgs *a = data;
  return weft_client_service_if_submit_application (WEFT_CLIENT_SERVICE_IF (client), a->auth,
                                                    a->in, ex, error);
}

static gboolean
client_get_app (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  ClientArgs *a = data;
  return weft_client_service_if_get_application (WEFT_CLIENT_SERVICE_IF (client),
                                                 (weftApplicationReport **) &a->out, a->auth,
                                                 a->id, ex, error);
}

static weftApplicationReport *
get_report (Cluster *c, const char *app_id)
{
  g_autoptr(WeftRpcClient) rm = cluster_rm_client (c);
  g_autoptr(WeftToken) tok = cluster_client_token (c);
  g_autoptr(GObject) auth = G_OBJECT (weft_rpc_token_to_wire (tok));
  ClientArgs a = { WEFT_TOKEN (auth), NULL, g_object_new (WEFT_TYPE_APPLICATION_REPORT, NULL),
                   app_id };
  g_autoptr(GError) error = NULL;
  g_assert_true (weft_rpc_client_call (rm, "get_application", WEFT_RPC_IDEMPOTENT, client_get_app,
                                       &a, &error));
  g_assert_no_error (error);
  return a.out;
}

WeftToken *
cluster_submit_unmanaged (Cluster *c, char **app_id)
{
  g_autoptr(WeftRpcClient) rm = cluster_rm_client (c);
  g_autoptr(WeftToken) tok = cluster_client_token (c);
  g_autoptr(GObject) auth = G_OBJECT (weft_rpc_token_to_wire (tok));
  g_autoptr(GError) error = NULL;
  ClientArgs n = { WEFT_TOKEN (auth), NULL, g_object_new (WEFT_TYPE_NEW_APPLICATION, NULL) };
  g_assert_true (weft_rpc_client_call (rm, "new_application", WEFT_RPC_ONCE, client_new_app, &n,
                                       &error));
  *app_id = g_strdup (((weftNewApplication *) n.out)->application_id);
  g_object_unref (n.out);
  g_autoptr(GObject) s = g_object_new (WEFT_TYPE_APPLICATION_SUBMISSION, "application_id", *app_id,
                                       "name", "unmanaged", "queue", "default", "max_attempts", 1,
                                       "unmanaged_am", TRUE, NULL);
  WEFT_APPLICATION_SUBMISSION (s)->am_resource->vcores = 1;
  WEFT_APPLICATION_SUBMISSION (s)->am_resource->memory_mb = 64;
  ClientArgs b = { WEFT_TOKEN (auth), s };
  g_assert_true (weft_rpc_client_call (rm, "submit_application", WEFT_RPC_ONCE, client_submit, &b,
                                       &error));
  g_assert_no_error (error);
  g_autoptr(GObject) r = G_OBJECT (get_report (c, *app_id));
  g_assert_true (WEFT_APPLICATION_REPORT (r)->__isset_am_token);
  return weft_rpc_token_from_wire (WEFT_APPLICATION_REPORT (r)->am_token);
}

char *
cluster_app_progress_detail (Cluster *c, const char *app_id)
{
  g_autoptr(GObject) r = G_OBJECT (get_report (c, app_id));
  weftApplicationReport *rep = WEFT_APPLICATION_REPORT (r);
  return rep->__isset_progress_detail ? g_strdup (rep->progress_detail) : NULL;
}
