/* Integration tests of the cluster: a real RM and two NMs on loopback
 * (cluster-harness), driven through their RPC protocols. */
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "cluster-harness.h"
#include "weft-rpc-token.h"
#include "weft-rpc.h"
#include "weft_client_service.h"
#include "weft_container_manager.h"


/* ---- typed calls ---- */

typedef struct { weftToken *auth; gpointer out; const char *id; gpointer in; GPtrArray *list; } Args;

static gboolean
c_list_nodes (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  Args *a = data;
  g_autoptr(GArray) states = g_array_new (FALSE, FALSE, sizeof (gint32));
  return weft_client_service_if_list_nodes (WEFT_CLIENT_SERVICE_IF (client), &a->list, a->auth,
                                            states, ex, error);
}

static gboolean
c_get_node (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  Args *a = data;
  return weft_client_service_if_get_node (WEFT_CLIENT_SERVICE_IF (client),
                                          (weftNodeReport **) &a->out, a->auth, a->id, ex, error);
}

static gboolean
c_new_app (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  Args *a = data;
  return weft_client_service_if_new_application (WEFT_CLIENT_SERVICE_IF (client),
                                                 (weftNewApplication **) &a->out, a->auth, ex, error);
}

static gboolean
c_submit (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  Args *a = data;
  return weft_client_service_if_submit_application (WEFT_CLIENT_SERVICE_IF (client), a->auth,
                                                    a->in, ex, error);
}

static gboolean
c_get_app (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  Args *a = data;
  return weft_client_service_if_get_application (WEFT_CLIENT_SERVICE_IF (client),
                                                 (weftApplicationReport **) &a->out, a->auth,
                                                 a->id, ex, error);
}

static gboolean
c_kill (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  Args *a = data;
  return weft_client_service_if_kill_application (WEFT_CLIENT_SERVICE_IF (client), a->auth, a->id,
                                                  "test", ex, error);
}

static gboolean
c_list_containers (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  Args *a = data;
  return weft_client_service_if_list_containers (WEFT_CLIENT_SERVICE_IF (client), &a->list,
                                                 a->auth, a->id, ex, error);
}

static gboolean
c_start (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  Args *a = data;
  return weft_container_manager_if_start_containers (WEFT_CONTAINER_MANAGER_IF (client),
                                                     (weftStartContainersResponse **) &a->out,
                                                     a->auth, a->list, ex, error);
}

static gboolean
c_fetch_log (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  Args *a = data;
  return weft_container_manager_if_fetch_log (WEFT_CONTAINER_MANAGER_IF (client),
                                              (weftLogChunk **) &a->out, a->auth, a->id,
                                              WEFT_LOG_FILE_LOG_STDOUT, 0, 65536, ex, error);
}

static GPtrArray *
list_nodes (WeftRpcClient *rm, weftToken *auth)
{
  Args a = { auth, .list = g_ptr_array_new_with_free_func (g_object_unref) };
  g_autoptr(GError) error = NULL;
  g_assert_true (weft_rpc_client_call (rm, "list_nodes", WEFT_RPC_IDEMPOTENT, c_list_nodes, &a, &error));
  return a.list;
}

static int
node_state (WeftRpcClient *rm, weftToken *auth, const char *node_id)
{
  Args a = { auth, g_object_new (WEFT_TYPE_NODE_REPORT, NULL), node_id };
  g_autoptr(GError) error = NULL;
  g_assert_true (weft_rpc_client_call (rm, "get_node", WEFT_RPC_IDEMPOTENT, c_get_node, &a, &error));
  int s = ((weftNodeReport *) a.out)->state;
  g_object_unref (a.out);
  return s;
}

static char *
submit_sized (WeftRpcClient *rm, weftToken *auth, const char *command, int max_attempts,
              int vcores, int memory_mb)
{
  g_autoptr(GError) error = NULL;
  Args a = { auth, g_object_new (WEFT_TYPE_NEW_APPLICATION, NULL) };
  g_assert_true (weft_rpc_client_call (rm, "new_application", WEFT_RPC_ONCE, c_new_app, &a, &error));
  char *id = g_strdup (((weftNewApplication *) a.out)->application_id);
  g_object_unref (a.out);
  weftApplicationSubmission *s = g_object_new (WEFT_TYPE_APPLICATION_SUBMISSION,
                                               "application_id", id, "name", "test-app",
                                               "queue", "default", "max_attempts", max_attempts,
                                               NULL);
  s->am_resource->vcores = vcores;
  s->am_resource->memory_mb = memory_mb;
  g_ptr_array_add (s->am_launch->argv, g_strdup ("/bin/sh"));
  g_ptr_array_add (s->am_launch->argv, g_strdup ("-c"));
  g_ptr_array_add (s->am_launch->argv, g_strdup (command));
  Args b = { auth, .in = s };
  g_assert_true (weft_rpc_client_call (rm, "submit_application", WEFT_RPC_ONCE, c_submit, &b, &error));
  g_assert_no_error (error);
  g_object_unref (s);
  return id;
}

static char *
submit (WeftRpcClient *rm, weftToken *auth, const char *command, int max_attempts)
{
  return submit_sized (rm, auth, command, max_attempts, 1, 128);
}

static weftApplicationReport *
get_app (WeftRpcClient *rm, weftToken *auth, const char *id)
{
  Args a = { auth, g_object_new (WEFT_TYPE_APPLICATION_REPORT, NULL), id };
  g_autoptr(GError) error = NULL;
  g_assert_true (weft_rpc_client_call (rm, "get_application", WEFT_RPC_IDEMPOTENT, c_get_app, &a, &error));
  return a.out;
}

static GPtrArray *
list_containers (WeftRpcClient *rm, weftToken *auth, const char *id)
{
  Args a = { auth, .id = id, .list = g_ptr_array_new_with_free_func (g_object_unref) };
  g_autoptr(GError) error = NULL;
  g_assert_true (weft_rpc_client_call (rm, "list_containers", WEFT_RPC_IDEMPOTENT, c_list_containers,
                                       &a, &error));
  return a.list;
}

/* ---- tests ---- */

static void
test_nodes_register (void)
{
  g_autoptr(Cluster) c = cluster_start (2, NULL);
  g_autoptr(WeftRpcClient) rm = cluster_rm_client (c);
  g_autoptr(WeftToken) tok = cluster_client_token (c);
  g_autoptr(GObject) auth = G_OBJECT (weft_rpc_token_to_wire (tok));
  g_autoptr(GPtrArray) nodes = list_nodes (rm, WEFT_TOKEN (auth));
  g_assert_cmpuint (nodes->len, ==, 2);
  for (guint i = 0; i < nodes->len; i++)
    {
      weftNodeReport *n = nodes->pdata[i];
      g_assert_cmpint (n->state, ==, WEFT_NODE_STATE_NODE_RUNNING);
      g_assert_cmpint (n->capability->vcores, ==, 2);
      g_assert_cmpint (n->capability->memory_mb, ==, 2048);
      g_assert_true (g_strcmp0 (n->node_id, c->nm_ids[0]) == 0
                     || g_strcmp0 (n->node_id, c->nm_ids[1]) == 0);
    }
}

static void
test_unauthenticated (void)
{
  g_autoptr(Cluster) c = cluster_start (1, NULL);
  g_autoptr(WeftRpcClient) rm = cluster_rm_client (c);
  g_autoptr(GObject) none = g_object_new (WEFT_TYPE_TOKEN, NULL);
  Args a = { WEFT_TOKEN (none), .list = g_ptr_array_new_with_free_func (g_object_unref) };
  g_autoptr(GError) error = NULL;
  g_assert_false (weft_rpc_client_call (rm, "list_nodes", WEFT_RPC_IDEMPOTENT, c_list_nodes, &a, &error));
  g_assert_error (error, WEFT_REMOTE_ERROR, WEFT_ERROR_CODE_UNAUTHENTICATED);
  g_ptr_array_unref (a.list);

  /* A token signed with another key is refused too. */
  g_autoptr(GError) e2 = NULL;
  g_autoptr(WeftSecret) other = weft_secret_new_random (&e2);
  g_autoptr(GBytes) ident = weft_token_identifier_new ("1", g_get_user_name (), NULL);
  g_autoptr(WeftToken) forged = weft_token_sign (other, "client", ident, 0);
  g_autoptr(GObject) fauth = G_OBJECT (weft_rpc_token_to_wire (forged));
  Args b = { WEFT_TOKEN (fauth), .list = g_ptr_array_new_with_free_func (g_object_unref) };
  g_assert_false (weft_rpc_client_call (rm, "list_nodes", WEFT_RPC_IDEMPOTENT, c_list_nodes, &b, &e2));
  g_assert_error (e2, WEFT_REMOTE_ERROR, WEFT_ERROR_CODE_UNAUTHENTICATED);
  g_ptr_array_unref (b.list);
}

/* Tries to start `sh -c CMD` on node @i with @token; returns the NM's answer. */
static weftStartContainersResponse *
start_with (Cluster *c, guint i, const WeftToken *token, const char *cmd)
{
  g_autoptr(WeftRpcClient) nm = cluster_nm_client (c, i);
  g_autoptr(GObject) auth = G_OBJECT (weft_rpc_token_to_wire (token));
  weftStartContainerRequest *req = g_object_new (WEFT_TYPE_START_CONTAINER_REQUEST, NULL);
  g_object_unref (req->container_token);
  req->container_token = weft_rpc_token_to_wire (token);
  g_ptr_array_add (req->launch->argv, g_strdup ("/bin/sh"));
  g_ptr_array_add (req->launch->argv, g_strdup ("-c"));
  g_ptr_array_add (req->launch->argv, g_strdup (cmd));
  g_autoptr(GPtrArray) reqs = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (reqs, req);
  Args a = { WEFT_TOKEN (auth), g_object_new (WEFT_TYPE_START_CONTAINERS_RESPONSE, NULL), .list = reqs };
  g_autoptr(GError) error = NULL;
  g_assert_true (weft_rpc_client_call (nm, "start_containers", WEFT_RPC_ONCE, c_start, &a, &error));
  return a.out;
}

static WeftToken *
sized_token (WeftSecret *key, const char *cid, const char *node, gint64 expiry_ms,
             const char *vcores, const char *memory_mb)
{
  g_autoptr(GBytes) ident = weft_token_identifier_new ("1", cid, "application_1700000000000_0001",
                                                      node, vcores, memory_mb, NULL);
  return weft_token_sign (key, "container", ident, expiry_ms);
}

static WeftToken *
container_token (WeftSecret *key, const char *cid, const char *node, gint64 expiry_ms)
{
  return sized_token (key, cid, node, expiry_ms, "1", "128");
}

static void
assert_refused (weftStartContainersResponse *r, const char *needle)
{
  g_assert_cmpuint (r->started->len, ==, 0);
  g_assert_cmpuint (r->failed->len, ==, 1);
  weftContainerFailure *f = r->failed->pdata[0];
  if (strstr (f->message, needle) == NULL)
    g_error ("expected \"%s\" in \"%s\"", needle, f->message);
  g_object_unref (r);
}

static void
test_container_tokens (void)
{
  g_autoptr(Cluster) c = cluster_start (2, NULL);
  gint64 soon = g_get_real_time () / 1000 + 60000;

  /* Valid: starts, runs, and its output can be read back. */
  g_autoptr(WeftToken) good = container_token (c->secret, "container_1700000000000_0001_01_000001",
                                               c->nm_ids[0], soon);
  weftStartContainersResponse *r = start_with (c, 0, good, "echo hello from a container");
  g_assert_cmpuint (r->started->len, ==, 1);
  g_object_unref (r);
  g_autoptr(WeftRpcClient) nm = cluster_nm_client (c, 0);
  g_autoptr(GObject) auth = G_OBJECT (weft_rpc_token_to_wire (good));
  gboolean seen = FALSE;
  for (int i = 0; i < 200 && !seen; i++)
    {
      Args a = { WEFT_TOKEN (auth), g_object_new (WEFT_TYPE_LOG_CHUNK, NULL),
                 "container_1700000000000_0001_01_000001" };
      g_autoptr(GError) error = NULL;
      g_assert_true (weft_rpc_client_call (nm, "fetch_log", WEFT_RPC_IDEMPOTENT, c_fetch_log, &a, &error));
      weftLogChunk *chunk = a.out;
      seen = chunk->data && chunk->data->len > 0
             && memmem (chunk->data->data, chunk->data->len, "hello from a container", 22) && chunk->eof;
      g_object_unref (chunk);
      if (!seen)
        g_usleep (20000);
    }
  g_assert_true (seen);

  /* Replayed: the same token a second time. */
  assert_refused (start_with (c, 0, good, "echo again"), "started already");

  /* Forged: signed with another key. */
  g_autoptr(GError) error = NULL;
  g_autoptr(WeftSecret) other = weft_secret_new_random (&error);
  g_autoptr(WeftToken) forged = container_token (other, "container_1700000000000_0001_01_000002",
                                                 c->nm_ids[0], soon);
  assert_refused (start_with (c, 0, forged, "echo forged"), "container refused");

  /* Tampered: a valid token whose memory was raised. */
  g_autoptr(WeftToken) base = container_token (c->secret, "container_1700000000000_0001_01_000003",
                                               c->nm_ids[0], soon);
  g_autoptr(GBytes) bigger = weft_token_identifier_new ("1", "container_1700000000000_0001_01_000003",
                                                        "application_1700000000000_0001",
                                                        c->nm_ids[0], "1", "99999", NULL);
  g_autoptr(WeftToken) tampered = weft_token_new (base->kind, bigger, base->expiry_ms, base->password);
  assert_refused (start_with (c, 0, tampered, "echo tampered"), "container refused");

  /* Expired. */
  g_autoptr(WeftToken) expired = container_token (c->secret, "container_1700000000000_0001_01_000004",
                                                  c->nm_ids[0], g_get_real_time () / 1000 - 1000);
  assert_refused (start_with (c, 0, expired, "echo expired"), "container refused");

  /* Issued for the other node. */
  g_autoptr(WeftToken) elsewhere = container_token (c->secret, "container_1700000000000_0001_01_000005",
                                                    c->nm_ids[1], soon);
  assert_refused (start_with (c, 0, elsewhere, "echo elsewhere"), "is for node");

  /* None at all. */
  assert_refused (start_with (c, 0, NULL, "echo none"), "container refused");
}

static gboolean wait_for (gboolean (*pred) (gpointer), gpointer data, gint64 timeout_us);
static gboolean marker_running (gpointer marker);
static gboolean marker_gone (gpointer marker);

typedef struct { WeftRpcClient *rm; weftToken *auth; const char *id; } AppWait;

static gboolean
app_ended (gpointer data)
{
  AppWait *w = data;
  g_autoptr(GObject) r = G_OBJECT (get_app (w->rm, w->auth, w->id));
  int st = WEFT_APPLICATION_REPORT (r)->state;
  return st == WEFT_APPLICATION_STATE_APP_FAILED || st == WEFT_APPLICATION_STATE_APP_FINISHED
         || st == WEFT_APPLICATION_STATE_APP_KILLED;
}

static void
test_memory_quota (void)
{
  g_autoptr(Cluster) c = cluster_start (1, NULL);
  g_autoptr(WeftRpcClient) rm = cluster_rm_client (c);
  g_autoptr(WeftToken) tok = cluster_client_token (c);
  g_autoptr(GObject) auth = G_OBJECT (weft_rpc_token_to_wire (tok));
  /* The AM container itself goes past its 64 MiB: tail must hold all of a
   * newline-free stream. */
  g_autofree char *id = submit_sized (rm, WEFT_TOKEN (auth), "head -c 400000000 /dev/zero | tail",
                                      1, 1, 64);
  AppWait w = { rm, WEFT_TOKEN (auth), id };
  g_assert_true (wait_for (app_ended, &w, 30 * G_USEC_PER_SEC));
  g_autoptr(GPtrArray) cs = list_containers (rm, WEFT_TOKEN (auth), id);
  g_assert_cmpuint (cs->len, ==, 1);
  weftContainerStatus *s = ((weftContainerReport *) cs->pdata[0])->status;
  g_test_message ("memory: reason %d, limit %" G_GINT64_FORMAT ", peak %" G_GINT64_FORMAT ": %s",
                  s->reason, s->memory_limit_bytes, s->memory_peak_bytes, s->diagnostics);
  g_assert_cmpint (s->reason, ==, WEFT_EXIT_REASON_EXIT_MEMORY_EXCEEDED);
  g_assert_cmpint (s->memory_limit_bytes, ==, 64 << 20);
  g_assert_cmpint (s->memory_peak_bytes, >=, 60 << 20);
  g_assert_nonnull (strstr (s->diagnostics, "memory limit"));
  /* The reason reaches the application's diagnostics. */
  g_autoptr(GObject) rep = G_OBJECT (get_app (rm, WEFT_TOKEN (auth), id));
  g_assert_cmpint (WEFT_APPLICATION_REPORT (rep)->state, ==, WEFT_APPLICATION_STATE_APP_FAILED);
  g_assert_nonnull (strstr (WEFT_APPLICATION_REPORT (rep)->diagnostics, "memory limit"));

  /* The node is unharmed: the next container runs to its end. */
  g_autofree char *id2 = submit_sized (rm, WEFT_TOKEN (auth), "echo fine", 1, 1, 64);
  AppWait w2 = { rm, WEFT_TOKEN (auth), id2 };
  g_assert_true (wait_for (app_ended, &w2, 30 * G_USEC_PER_SEC));
  g_autoptr(GPtrArray) cs2 = list_containers (rm, WEFT_TOKEN (auth), id2);
  g_assert_cmpint (((weftContainerReport *) cs2->pdata[0])->status->reason, ==,
                   WEFT_EXIT_REASON_EXIT_SUCCEEDED);
}

/* Idle CPU time of the whole machine so far, in seconds (/proc/stat). */
static double
idle_seconds (void)
{
  g_autofree char *text = NULL;
  if (!g_file_get_contents ("/proc/stat", &text, NULL, NULL))
    return 0;
  /* cpu  user nice system idle iowait ... */
  g_auto (GStrv) f = g_strsplit_set (text, " \n", 12);
  guint i = 0;
  double v[5] = { 0 };
  for (guint k = 1; f[k] && i < 5; k++)
    if (*f[k])
      v[i++] = g_ascii_strtod (f[k], NULL);
  return (v[3] + v[4]) / sysconf (_SC_CLK_TCK);
}

/* CPU time (user + system, in seconds) of the processes matching @marker. */
static double
cpu_seconds (const char *marker)
{
  g_autoptr(GArray) pids = cluster_pids_matching (marker);
  double ticks = 0;
  for (guint i = 0; i < pids->len; i++)
    {
      g_autofree char *path = g_strdup_printf ("/proc/%d/stat", g_array_index (pids, GPid, i));
      g_autofree char *text = NULL;
      if (!g_file_get_contents (path, &text, NULL, NULL))
        continue;
      /* Fields after the ")" of the command name: state is field 3, utime 14, stime 15. */
      const char *p = strrchr (text, ')');
      g_auto (GStrv) f = g_strsplit (p + 2, " ", -1);
      if (g_strv_length (f) > 13)
        ticks += g_ascii_strtod (f[11], NULL) + g_ascii_strtod (f[12], NULL);
    }
  return ticks / sysconf (_SC_CLK_TCK);
}

static void
test_cpu_quota (void)
{
  if (g_get_num_processors () < 2)
    {
      g_test_skip ("needs 2 cores to tell 1 core from more");
      return;
    }
  g_autoptr(Cluster) c = cluster_start (1, NULL);
  g_autoptr(WeftRpcClient) rm = cluster_rm_client (c);
  g_autoptr(WeftToken) tok = cluster_client_token (c);
  g_autoptr(GObject) auth = G_OBJECT (weft_rpc_token_to_wire (tok));
  g_autofree char *marker = g_strdup_printf ("spin%u", g_random_int_range (100000, 999999));
  g_autofree char *cmd = g_strdup_printf ("%s() { while :; do :; done; }; %s & %s & %s & %s & wait",
                                          marker, marker, marker, marker, marker);
  g_autofree char *id = submit_sized (rm, WEFT_TOKEN (auth), cmd, 1, 1, 64);
  g_assert_true (wait_for (marker_running, marker, 10 * G_USEC_PER_SEC));
  g_usleep (500000); /* let all four start */
  /* The quota is a cap: no window may show more than ~1 core. "About one
   * core" is judged on the best window, and only when the machine had idle
   * CPU the container did not take: other tests may saturate it (a quota
   * caps, it does not guarantee). */
  double best = 0, worst = 0, idle_at_best = 0;
  for (int w = 0; w < 6; w++)
    {
      double t0 = cpu_seconds (marker), i0 = idle_seconds ();
      gint64 w0 = g_get_monotonic_time ();
      g_usleep (1500 * 1000);
      double wall = (g_get_monotonic_time () - w0) / 1e6;
      double cores = (cpu_seconds (marker) - t0) / wall;
      double idle = (idle_seconds () - i0) / wall;
      g_test_message ("4 spinning processes in a 1-vcore container used %.2f cores "
                      "(machine idle: %.2f cores)", cores, idle);
      if (cores > best)
        best = cores, idle_at_best = idle;
      worst = MAX (worst, cores);
      if (best > 0.8)
        break;
    }
  Args a = { WEFT_TOKEN (auth), .id = id };
  g_autoptr(GError) error = NULL;
  g_assert_true (weft_rpc_client_call (rm, "kill_application", WEFT_RPC_ONCE, c_kill, &a, &error));
  g_assert_true (wait_for (marker_gone, marker, 10 * G_USEC_PER_SEC));
  g_assert_cmpfloat (worst, <, 1.35);
  if (best <= 0.6 && idle_at_best >= 0.3)
    g_error ("the container got %.2f cores while %.2f were idle", best, idle_at_best);
}

static gboolean
wait_for (gboolean (*pred) (gpointer), gpointer data, gint64 timeout_us)
{
  gint64 end = g_get_monotonic_time () + timeout_us;
  while (g_get_monotonic_time () < end)
    {
      if (pred (data))
        return TRUE;
      g_usleep (50000);
    }
  return pred (data);
}

static gboolean
marker_running (gpointer marker)
{
  g_autoptr(GArray) p = cluster_pids_matching (marker);
  return p->len > 0;
}

static gboolean
marker_gone (gpointer marker)
{
  return !marker_running (marker);
}

static void
test_app_kill (void)
{
  g_autoptr(Cluster) c = cluster_start (2, NULL);
  g_autoptr(WeftRpcClient) rm = cluster_rm_client (c);
  g_autoptr(WeftToken) tok = cluster_client_token (c);
  g_autoptr(GObject) auth = G_OBJECT (weft_rpc_token_to_wire (tok));
  /* A unique number in the command line finds the container's processes. */
  g_autofree char *marker = g_strdup_printf ("%u.%u", g_random_int_range (100, 999),
                                             g_random_int_range (1000, 9999));
  g_autofree char *cmd = g_strdup_printf ("sleep %s & sleep %s; wait", marker, marker);
  g_autofree char *id = submit (rm, WEFT_TOKEN (auth), cmd, 1);
  g_assert_true (wait_for (marker_running, marker, 10 * G_USEC_PER_SEC));

  Args a = { WEFT_TOKEN (auth), .id = id };
  g_autoptr(GError) error = NULL;
  g_assert_true (weft_rpc_client_call (rm, "kill_application", WEFT_RPC_ONCE, c_kill, &a, &error));
  /* Every process of the application is gone, and the RM says KILLED. */
  g_assert_true (wait_for (marker_gone, marker, 10 * G_USEC_PER_SEC));
  g_autoptr(GObject) rep = G_OBJECT (get_app (rm, WEFT_TOKEN (auth), id));
  g_assert_cmpint (WEFT_APPLICATION_REPORT (rep)->state, ==, WEFT_APPLICATION_STATE_APP_KILLED);
  g_assert_cmpint (WEFT_APPLICATION_REPORT (rep)->final_status, ==, WEFT_FINAL_STATUS_FINAL_KILLED);
}

typedef struct { WeftRpcClient *rm; weftToken *auth; const char *node; int want; } NodeWait;

static gboolean
node_in_state (gpointer data)
{
  NodeWait *w = data;
  return node_state (w->rm, w->auth, w->node) == w->want;
}

static void
test_node_lost (void)
{
  g_autoptr(Cluster) c = cluster_start (2, NULL);
  g_autoptr(WeftRpcClient) rm = cluster_rm_client (c);
  g_autoptr(WeftToken) tok = cluster_client_token (c);
  g_autoptr(GObject) auth = G_OBJECT (weft_rpc_token_to_wire (tok));
  g_autofree char *marker = g_strdup_printf ("%u.%u", g_random_int_range (100, 999),
                                             g_random_int_range (1000, 9999));
  g_autofree char *cmd = g_strdup_printf ("exec sleep %s", marker);
  g_autofree char *id = submit (rm, WEFT_TOKEN (auth), cmd, 2);
  g_assert_true (wait_for (marker_running, marker, 10 * G_USEC_PER_SEC));
  g_autoptr(GPtrArray) cs = list_containers (rm, WEFT_TOKEN (auth), id);
  g_assert_cmpuint (cs->len, ==, 1);
  weftContainerReport *am = cs->pdata[0];
  guint victim = g_strcmp0 (am->node_id, c->nm_ids[0]) == 0 ? 0 : 1;
  g_autofree char *am_id = g_strdup (am->container_id);

  gint64 t0 = g_get_monotonic_time ();
  cluster_kill_nm (c, victim, TRUE);
  NodeWait w = { rm, WEFT_TOKEN (auth), c->nm_ids[victim], WEFT_NODE_STATE_NODE_LOST };
  /* rm.nm-expiry is 2 s. */
  g_assert_true (wait_for (node_in_state, &w, 5 * G_USEC_PER_SEC));
  gint64 took = g_get_monotonic_time () - t0;
  g_test_message ("node LOST %.2f s after kill -9 (expiry 2 s)", took / 1e6);
  g_assert_cmpint (took, >=, 1500 * 1000);

  /* Its container is reported lost, and the application's next attempt
   * runs on the surviving node. */
  g_autoptr(GPtrArray) after = list_containers (rm, WEFT_TOKEN (auth), id);
  gboolean lost = FALSE, second = FALSE;
  for (guint i = 0; i < after->len; i++)
    {
      weftContainerReport *r = after->pdata[i];
      if (g_strcmp0 (r->container_id, am_id) == 0)
        lost = r->status->reason == WEFT_EXIT_REASON_EXIT_NODE_LOST;
      else
        second = g_strcmp0 (r->node_id, c->nm_ids[1 - victim]) == 0;
    }
  g_assert_true (lost);
  g_assert_true (second);
  /* The killed NM's container was orphaned by SIGKILL: end it here. */
  g_autoptr(GArray) orphans = cluster_pids_matching (marker);
  for (guint i = 0; i < orphans->len; i++)
    kill (g_array_index (orphans, GPid, i), SIGKILL);
}

static char *self_exe;

static gboolean
c_stage_chunk (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  Args *a = data;
  return weft_client_service_if_stage_chunk (WEFT_CLIENT_SERVICE_IF (client), a->auth, a->in, ex,
                                             error);
}

typedef struct { weftToken *auth; const char *app, *name, *sha; gint64 size; weftLocalResource *out; } Commit;

static gboolean
c_stage_commit (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  Commit *a = data;
  return weft_client_service_if_stage_commit (WEFT_CLIENT_SERVICE_IF (client), &a->out, a->auth,
                                              a->app, a->name, a->size, a->sha, FALSE, ex, error);
}

typedef struct { weftToken *auth; const char *app, *name; GByteArray *out; } Fetch;

static gboolean
c_fetch_staged (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  Fetch *a = data;
  return weft_client_service_if_fetch_staged (WEFT_CLIENT_SERVICE_IF (client), &a->out, a->auth,
                                              a->app, a->name, 0, 1024, ex, error);
}

static gboolean
stage (WeftRpcClient *rm, weftToken *auth, const char *app, const char *name, gint64 offset,
       const char *bytes, GError **error)
{
  weftStagedChunk *chunk = g_object_new (WEFT_TYPE_STAGED_CHUNK, "application_id", app, "name", name,
                                         "offset", offset, NULL);
  chunk->data = g_byte_array_append (g_byte_array_new (), (const guint8 *) bytes, (guint) strlen (bytes));
  Args a = { auth, .in = chunk };
  gboolean ok = weft_rpc_client_call (rm, "stage_chunk", WEFT_RPC_ONCE, c_stage_chunk, &a, error);
  g_object_unref (chunk);
  return ok;
}

static void
test_staging (void)
{
  g_autoptr(Cluster) c = cluster_start (1, NULL);
  g_autoptr(WeftRpcClient) rm = cluster_rm_client (c);
  g_autoptr(WeftToken) tok = cluster_client_token (c);
  g_autoptr(GObject) auth = G_OBJECT (weft_rpc_token_to_wire (tok));
  g_autoptr(GError) error = NULL;
  Args n = { WEFT_TOKEN (auth), g_object_new (WEFT_TYPE_NEW_APPLICATION, NULL) };
  g_assert_true (weft_rpc_client_call (rm, "new_application", WEFT_RPC_ONCE, c_new_app, &n, &error));
  g_autofree char *id = g_strdup (((weftNewApplication *) n.out)->application_id);
  g_object_unref (n.out);

  const char *part1 = "echo staged-$((6 * 7))\n", *part2 = "echo from a staged script\n";
  g_autofree char *whole = g_strconcat (part1, part2, NULL);
  g_autofree char *sha = g_compute_checksum_for_string (G_CHECKSUM_SHA256, whole, -1);
  g_assert_true (stage (rm, WEFT_TOKEN (auth), id, "hello.sh", 0, part1, &error));
  /* Out of order, a name that would escape the folder, another user. */
  g_assert_false (stage (rm, WEFT_TOKEN (auth), id, "hello.sh", 5, part2, &error));
  g_assert_error (error, WEFT_REMOTE_ERROR, WEFT_ERROR_CODE_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "in order"));
  g_clear_error (&error);
  g_assert_false (stage (rm, WEFT_TOKEN (auth), id, "../evil", 0, part2, &error));
  g_assert_error (error, WEFT_REMOTE_ERROR, WEFT_ERROR_CODE_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_autoptr(GBytes) mid = weft_token_identifier_new ("1", "mallory", NULL);
  g_autoptr(WeftToken) mtok = weft_token_sign (c->secret, "client", mid, 0);
  g_autoptr(GObject) mauth = G_OBJECT (weft_rpc_token_to_wire (mtok));
  g_assert_false (stage (rm, WEFT_TOKEN (mauth), id, "x.sh", 0, part2, &error));
  g_assert_error (error, WEFT_REMOTE_ERROR, WEFT_ERROR_CODE_PERMISSION_DENIED);
  g_clear_error (&error);
  g_assert_true (stage (rm, WEFT_TOKEN (auth), id, "hello.sh", (gint64) strlen (part1), part2, &error));

  /* A commit checks the whole file: a wrong checksum drops the upload. */
  g_assert_true (stage (rm, WEFT_TOKEN (auth), id, "other.sh", 0, part1, &error));
  Commit bad = { WEFT_TOKEN (auth), id, "other.sh", sha, (gint64) strlen (part1),
                 g_object_new (WEFT_TYPE_LOCAL_RESOURCE, NULL) };
  g_assert_false (weft_rpc_client_call (rm, "stage_commit", WEFT_RPC_ONCE, c_stage_commit, &bad, &error));
  g_assert_nonnull (strstr (error->message, "does not match"));
  g_clear_error (&error);
  g_object_unref (bad.out);

  Commit ok = { WEFT_TOKEN (auth), id, "hello.sh", sha, (gint64) strlen (whole),
                g_object_new (WEFT_TYPE_LOCAL_RESOURCE, NULL) };
  g_assert_true (weft_rpc_client_call (rm, "stage_commit", WEFT_RPC_ONCE, c_stage_commit, &ok, &error));
  g_assert_cmpstr (ok.out->sha256, ==, sha);

  /* The AM runs the staged script from its work folder. */
  weftApplicationSubmission *s = g_object_new (WEFT_TYPE_APPLICATION_SUBMISSION, "application_id", id,
                                               "name", "staged", "queue", "default", "max_attempts", 1,
                                               NULL);
  s->am_resource->vcores = 1;
  s->am_resource->memory_mb = 64;
  g_ptr_array_add (s->am_launch->argv, g_strdup ("/bin/sh"));
  g_ptr_array_add (s->am_launch->argv, g_strdup ("hello.sh"));
  g_ptr_array_add (s->am_launch->resources, ok.out);
  Args b = { WEFT_TOKEN (auth), .in = s };
  g_assert_true (weft_rpc_client_call (rm, "submit_application", WEFT_RPC_ONCE, c_submit, &b, &error));
  g_object_unref (s);
  AppWait w = { rm, WEFT_TOKEN (auth), id };
  g_assert_true (wait_for (app_ended, &w, 20 * G_USEC_PER_SEC));
  g_autoptr(GPtrArray) cs = list_containers (rm, WEFT_TOKEN (auth), id);
  weftContainerReport *am = cs->pdata[0];
  g_assert_cmpint (am->status->reason, ==, WEFT_EXIT_REASON_EXIT_SUCCEEDED);
  g_autoptr(WeftRpcClient) nm = cluster_nm_client (c, 0);
  Args l = { WEFT_TOKEN (auth), g_object_new (WEFT_TYPE_LOG_CHUNK, NULL), am->container_id };
  g_assert_true (weft_rpc_client_call (nm, "fetch_log", WEFT_RPC_IDEMPOTENT, c_fetch_log, &l, &error));
  weftLogChunk *log = l.out;
  g_assert_nonnull (memmem (log->data->data, log->data->len, "staged-42\nfrom a staged script", 30));
  g_object_unref (log);

  /* The application has ended: its staged files are gone. */
  Fetch f = { WEFT_TOKEN (auth), id, "hello.sh", NULL };
  g_assert_false (weft_rpc_client_call (rm, "fetch_staged", WEFT_RPC_IDEMPOTENT, c_fetch_staged, &f,
                                        &error));
  g_assert_error (error, WEFT_REMOTE_ERROR, WEFT_ERROR_CODE_NOT_FOUND);
}

static gboolean
app_failed_with (gpointer data)
{
  AppWait *w = data;
  g_autoptr(GObject) r = G_OBJECT (get_app (w->rm, w->auth, w->id));
  return WEFT_APPLICATION_REPORT (r)->state == WEFT_APPLICATION_STATE_APP_FAILED;
}

static void
test_am_expiry (void)
{
  const char *conf[] = { "rm.am-expiry=1s", NULL };
  g_autoptr(Cluster) c = cluster_start (1, conf);
  g_autoptr(WeftRpcClient) rm = cluster_rm_client (c);
  g_autoptr(WeftToken) tok = cluster_client_token (c);
  g_autoptr(GObject) auth = G_OBJECT (weft_rpc_token_to_wire (tok));
  /* An AM that registers, then never calls allocate again. */
  g_autofree char *marker = g_strdup_printf ("hang%u", g_random_int_range (100000, 999999));
  g_autofree char *cmd = g_strdup_printf ("exec %s --register-and-hang %s", self_exe, marker);
  g_autofree char *id = submit (rm, WEFT_TOKEN (auth), cmd, 1);
  AppWait w = { rm, WEFT_TOKEN (auth), id };
  gint64 t0 = g_get_monotonic_time ();
  g_assert_true (wait_for (app_failed_with, &w, 15 * G_USEC_PER_SEC));
  g_test_message ("silent AM expired after %.1f s (rm.am-expiry=1s)",
                  (g_get_monotonic_time () - t0) / 1e6);
  g_autoptr(GObject) rep = G_OBJECT (get_app (rm, WEFT_TOKEN (auth), id));
  g_assert_nonnull (strstr (WEFT_APPLICATION_REPORT (rep)->diagnostics, "rm.am-expiry"));
  g_autoptr(GPtrArray) cs = list_containers (rm, WEFT_TOKEN (auth), id);
  g_assert_cmpint (((weftContainerReport *) cs->pdata[0])->status->reason, ==,
                   WEFT_EXIT_REASON_EXIT_EXPIRED);
  /* And its process is stopped. */
  g_assert_true (wait_for (marker_gone, marker, 10 * G_USEC_PER_SEC));
}

static gboolean
c_submit_raw (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  Args *a = data;
  return weft_client_service_if_submit_application (WEFT_CLIENT_SERVICE_IF (client), a->auth,
                                                    a->in, ex, error);
}

static void
test_ask_too_large (void)
{
  g_autoptr(Cluster) c = cluster_start (2, NULL);
  g_autoptr(WeftRpcClient) rm = cluster_rm_client (c);
  g_autoptr(WeftToken) tok = cluster_client_token (c);
  g_autoptr(GObject) auth = G_OBJECT (weft_rpc_token_to_wire (tok));
  g_autoptr(GError) error = NULL;
  Args a = { WEFT_TOKEN (auth), g_object_new (WEFT_TYPE_NEW_APPLICATION, NULL) };
  g_assert_true (weft_rpc_client_call (rm, "new_application", WEFT_RPC_ONCE, c_new_app, &a, &error));
  g_autofree char *id = g_strdup (((weftNewApplication *) a.out)->application_id);
  g_assert_cmpint (((weftNewApplication *) a.out)->max_resource->vcores, ==, 2);
  g_object_unref (a.out);
  g_autoptr(GObject) s = g_object_new (WEFT_TYPE_APPLICATION_SUBMISSION, "application_id", id,
                                       "name", "too-big", "queue", "default", NULL);
  WEFT_APPLICATION_SUBMISSION (s)->am_resource->vcores = 16;
  WEFT_APPLICATION_SUBMISSION (s)->am_resource->memory_mb = 128;
  g_ptr_array_add (WEFT_APPLICATION_SUBMISSION (s)->am_launch->argv, g_strdup ("/bin/true"));
  Args b = { WEFT_TOKEN (auth), .in = s };
  /* Refused at once, with what no node can hold, instead of pending forever. */
  g_assert_false (weft_rpc_client_call (rm, "submit_application", WEFT_RPC_ONCE, c_submit_raw, &b,
                                        &error));
  g_assert_error (error, WEFT_REMOTE_ERROR, WEFT_ERROR_CODE_RESOURCE_EXHAUSTED);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "16"));
}

int
main (int argc, char **argv)
{
  self_exe = g_file_read_link ("/proc/self/exe", NULL);
  if (argc == 3 && g_str_equal (argv[1], "--register-and-hang"))
    {
      if (cluster_am_register (FALSE) != 0)
        return 1;
      g_usleep (120 * G_USEC_PER_SEC);
      return 0;
    }
  g_test_init (&argc, &argv, NULL);
  signal (SIGPIPE, SIG_IGN);
  g_test_add_func ("/integration/cluster/nodes-register", test_nodes_register);
  g_test_add_func ("/integration/cluster/unauthenticated-client", test_unauthenticated);
  g_test_add_func ("/integration/cluster/container-tokens", test_container_tokens);
  g_test_add_func ("/integration/cluster/app-kill-leaves-no-process", test_app_kill);
  g_test_add_func ("/integration/cluster/node-lost", test_node_lost);
  g_test_add_func ("/integration/cluster/memory-quota", test_memory_quota);
  g_test_add_func ("/integration/cluster/cpu-quota", test_cpu_quota);
  g_test_add_func ("/integration/cluster/am-expiry", test_am_expiry);
  g_test_add_func ("/integration/cluster/ask-too-large", test_ask_too_large);
  g_test_add_func ("/integration/cluster/staging", test_staging);
  return g_test_run ();
}
