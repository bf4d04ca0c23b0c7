/* weft-resourcemanager: the RM daemon. Owns its state on one main loop
 * (rm-core), serves the client (8032), scheduler (8030), tracker (8031) and
 * admin (8033) protocols, launches AMs through the NMs, and expires silent
 * nodes and AMs from a periodic tick. */
#include <stdio.h>

#include "rm-core.h"
#include "rm-rpc-launcher.h"
#include "rm-rpc.h"
#include "rm-staging.h"
#include "weft-daemon.h"
#include "weft-log.h"
#include "weft-rpc-server.h"

static gboolean
tick (gpointer data)
{
  rm_core_tick (data);
  return G_SOURCE_CONTINUE;
}

/* An application's staged files go when it ends. */
static void
remove_staged (const char *app_id, gpointer staging)
{
  rm_staging_remove_app (staging, app_id);
}

typedef struct {
  WeftRpcServer **servers;
  guint n;
  GMainContext *context;
  gint done;
} Stop;

static gpointer
stop_servers (gpointer data)
{
  Stop *s = data;
  for (guint i = 0; i < s->n; i++)
    if (s->servers[i])
      weft_rpc_server_stop (s->servers[i]);
  g_atomic_int_set (&s->done, 1);
  g_main_context_wakeup (s->context);
  return NULL;
}

/* Handlers in flight wait on the main context: keep it running while the
 * servers drain, then free them. */
static void
shut_down (WeftRpcServer **servers, guint n, GMainContext *ctx, RmCore *core)
{
  rm_core_wake_all (core);
  Stop s = { servers, n, ctx, 0 };
  GThread *t = g_thread_new ("weft-rm-stop", stop_servers, &s);
  while (!g_atomic_int_get (&s.done))
    g_main_context_iteration (ctx, TRUE);
  g_thread_join (t);
}

int
main (int argc, char **argv)
{
  g_autoptr(WeftConf) conf = weft_daemon_start ("weft-resourcemanager", &argc, &argv);
  if (conf == NULL)
    return 2;
  if (argc > 1)
    {
      g_printerr ("usage: weft-resourcemanager [--conf-dir DIR] [--conf GROUP.KEY=VALUE]... [-v]\n");
      return 2;
    }
  g_autoptr(GError) error = NULL;
  g_autoptr(WeftSecret) secret = NULL;
  if (!weft_daemon_load_secret (conf, &secret, &error))
    {
      g_printerr ("weft-resourcemanager: %s\n", error->message);
      return 1;
    }
  gboolean security = secret != NULL;
  /* With security off, AM tokens are still signed (with a secret of this
   * process): they are how an AM proves which attempt it is. */
  if (secret == NULL && (secret = weft_secret_new_random (&error)) == NULL)
    {
      g_printerr ("weft-resourcemanager: %s\n", error->message);
      return 1;
    }

  GMainContext *ctx = g_main_context_default ();
  g_autoptr(GMainLoop) loop = g_main_loop_new (ctx, FALSE);
  weft_daemon_quit_on_signals (loop);
  g_autoptr(RmCore) core = rm_core_new (conf, secret, &error);
  if (core == NULL)
    {
      g_printerr ("weft-resourcemanager: %s\n", error->message);
      return 1;
    }

  WeftRpcOptions opts;
  weft_rpc_options_from_conf (&opts, conf);
  const char *state_dir = weft_conf_get_string (conf, "rm.state-dir");
  g_autofree char *staging_dir = state_dir && *state_dir
    ? g_build_filename (state_dir, "staging", NULL)
    : g_build_filename (g_get_tmp_dir (), "weft-rm-staging", PACKAGE_VERSION, NULL);
  g_autofree char *staging_unique = g_strdup_printf ("%s/%" G_GINT64_FORMAT, staging_dir,
                                                     rm_core_cluster_ts (core));
  g_autoptr(RmStaging) staging = rm_staging_new (staging_unique,
                                                 weft_conf_get_size (conf, "rm.staging-max-bytes"),
                                                 &error);
  if (staging == NULL)
    {
      g_printerr ("weft-resourcemanager: %s\n", error->message);
      return 1;
    }
  rm_core_set_on_app_end (core, remove_staged, staging);
  RmRpc rpc = { core, ctx, secret, security, staging };
  gint64 hb_ms = weft_conf_get_duration (conf, "nm.heartbeat-interval") / 1000;
  ThriftProcessor *procs[4] = {
    rm_rpc_client_processor_new (&rpc), rm_rpc_am_processor_new (&rpc),
    rm_rpc_tracker_processor_new (&rpc, hb_ms), rm_rpc_admin_processor_new (&rpc),
  };
  const char *names[4] = { "client", "scheduler", "tracker", "admin" };
  const char *keys[4] = { "rm.client-port", "rm.scheduler-port", "rm.tracker-port", "rm.admin-port" };
  WeftRpcServer *servers[4] = { 0 };
  guint16 ports[4] = { 0 };
  const char *bind = weft_conf_get_string (conf, "rpc.bind-address");
  int status = 0;
  for (int i = 0; i < 4 && status == 0; i++)
    {
      servers[i] = weft_rpc_server_new (names[i], procs[i], &opts);
      if (!weft_rpc_server_start (servers[i], bind, (guint16) weft_conf_get_int (conf, keys[i]),
                                  &error))
        {
          g_printerr ("weft-resourcemanager: %s (set %s, or 0 for any free port)\n",
                      error->message, keys[i]);
          status = 1;
        }
      else
        ports[i] = weft_rpc_server_get_port (servers[i]);
    }

  RmLauncher *launcher = rm_launcher_new (core, ctx, &opts);
  rm_core_set_launcher (core, rm_launcher_launch_am, launcher);
  const char *host = weft_conf_get_string (conf, "rm.hostname");
  g_autofree char *client_addr = g_strdup_printf ("%s:%u", host, ports[0]);
  g_autofree char *sched_addr = g_strdup_printf ("%s:%u", host, ports[1]);
  rm_core_set_addresses (core, client_addr, sched_addr);

  const char *port_file = weft_conf_get_string (conf, "rm.port-file");
  if (status == 0 && port_file && *port_file
      && !weft_daemon_write_ports (port_file, names, ports, 4, &error))
    {
      g_printerr ("weft-resourcemanager: %s\n", error->message);
      status = 1;
    }
  if (status == 0)
    {
      g_message ("weft-resourcemanager %s started: client %u, scheduler %u, tracker %u, admin %u; "
                 "scheduler %s; security %s", PACKAGE_VERSION, ports[0], ports[1], ports[2],
                 ports[3], rm_scheduler_name (rm_core_scheduler (core)), security ? "on" : "OFF");
      gint64 nm_expiry_ms = weft_conf_get_duration (conf, "rm.nm-expiry") / 1000;
      g_timeout_add ((guint) CLAMP (nm_expiry_ms / 10, 20, 1000), tick, core);
      g_main_loop_run (loop);
    }
  shut_down (servers, 4, ctx, core);
  rm_launcher_free (launcher);
  for (int i = 0; i < 4; i++)
    {
      weft_rpc_server_free (servers[i]);
      g_object_unref (procs[i]);
    }
  g_message ("weft-resourcemanager stopped");
  return status;
}
