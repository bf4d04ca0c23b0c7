/* weft-nodemanager: the NM daemon. Serves the container manager protocol,
 * registers this node's resources with the RM and heartbeats, and runs each
 * container under its quota (cgroups, or the RSS monitor where none is
 * writable). On SIGTERM it stops every container before it exits. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "nm-cgroup.h"
#include "nm-node.h"
#include "nm-rpc.h"
#include "weft-daemon.h"
#include "weft-rpc-server.h"

static gint64
detect_memory_mb (gint64 reserve_bytes)
{
  g_autofree char *meminfo = NULL;
  gint64 total_kb = 0;
  if (g_file_get_contents ("/proc/meminfo", &meminfo, NULL, NULL))
    sscanf (meminfo, "MemTotal: %" G_GINT64_FORMAT " kB", &total_kb);
  gint64 mb = (total_kb * 1024 - reserve_bytes) / (1024 * 1024);
  return MAX (mb, 256);
}

typedef struct {
  NmTracker *tracker;
  WeftRpcServer *server;
  GMainContext *context;
  gint done;
} Stop;

static gpointer
stop_io (gpointer data)
{
  Stop *s = data;
  nm_tracker_stop (s->tracker);
  weft_rpc_server_stop (s->server);
  g_atomic_int_set (&s->done, 1);
  g_main_context_wakeup (s->context);
  return NULL;
}

static gboolean
timeout_flag (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

int
main (int argc, char **argv)
{
  g_autoptr(WeftConf) conf = weft_daemon_start ("weft-nodemanager", &argc, &argv);
  if (conf == NULL)
    return 2;
  if (argc > 1)
    {
      g_printerr ("usage: weft-nodemanager [--conf-dir DIR] [--conf GROUP.KEY=VALUE]... [-v]\n");
      return 2;
    }
  g_autoptr(GError) error = NULL;
  g_autoptr(WeftSecret) secret = NULL;
  if (!weft_daemon_load_secret (conf, &secret, &error))
    {
      g_printerr ("weft-nodemanager: %s\n", error->message);
      return 1;
    }

  GMainContext *ctx = g_main_context_default ();
  g_autoptr(GMainLoop) loop = g_main_loop_new (ctx, FALSE);
  weft_daemon_quit_on_signals (loop);
  WeftRpcOptions opts;
  weft_rpc_options_from_conf (&opts, conf);

  /* Bind first: the node's id is host:port. */
  NmRpc rpc = { NULL, ctx, secret };
  rpc.opts = opts;
  ThriftProcessor *proc = nm_rpc_container_processor_new (&rpc);
  g_autoptr(WeftRpcServer) server = weft_rpc_server_new ("container", proc, &opts);
  g_object_unref (proc);
  if (!weft_rpc_server_start (server, weft_conf_get_string (conf, "rpc.bind-address"),
                              (guint16) weft_conf_get_int (conf, "nm.port"), &error))
    {
      g_printerr ("weft-nodemanager: %s (set nm.port, or 0 for any free port)\n", error->message);
      return 1;
    }
  guint16 port = weft_rpc_server_get_port (server);
  g_autofree char *node_id = g_strdup_printf ("%s:%u", weft_conf_get_string (conf, "nm.hostname"),
                                              port);
  g_autofree char *instance = g_strdup_printf ("nm-%u", port);

  const char *wd = weft_conf_get_string (conf, "nm.work-dir");
  g_autofree char *work_dir = wd && *wd ? weft_conf_resolve_path (conf, wd)
                                        : g_build_filename (g_get_tmp_dir (), "weft", instance, NULL);
  const char *ld = weft_conf_get_string (conf, "nm.log-dir");
  g_autofree char *log_dir = ld && *ld ? weft_conf_resolve_path (conf, ld)
                                       : g_build_filename (work_dir, "logs", NULL);
  if (g_mkdir_with_parents (work_dir, 0755) != 0 || g_mkdir_with_parents (log_dir, 0755) != 0)
    {
      g_printerr ("weft-nodemanager: cannot create %s or %s: %s (set nm.work-dir / nm.log-dir)\n",
                  work_dir, log_dir, g_strerror (errno));
      return 1;
    }

  NmCgroupMode mode;
  if (!nm_cgroup_mode_from_string (weft_conf_get_string (conf, "nm.cgroups"), &mode, &error))
    {
      g_printerr ("weft-nodemanager: nm.cgroups: %s\n", error->message);
      return 1;
    }
  NmCgroupOptions copts = { .mode = mode, .instance = instance };
  g_autoptr(NmCgroupManager) cgroups = nm_cgroup_manager_new (&copts, &error);
  if (cgroups == NULL)
    {
      g_printerr ("weft-nodemanager: %s\n", error->message);
      return 1;
    }
  /* Groups a crashed NM of this instance left behind. */
  if (!nm_cgroup_manager_cleanup (cgroups, 2000, &error))
    {
      g_warning ("%s", error->message);
      g_clear_error (&error);
    }

  gint64 vcores = weft_conf_get_int (conf, "nm.vcores");
  if (vcores == 0)
    vcores = g_get_num_processors ();
  gint64 memory_mb = weft_conf_get_size (conf, "nm.memory") / (1024 * 1024);
  if (memory_mb == 0)
    memory_mb = detect_memory_mb (weft_conf_get_size (conf, "nm.memory-reserve"));

  const char *rm_host = weft_conf_get_string (conf, "rm.hostname");
  g_autofree char *rm_client = g_strdup_printf ("%s:%" G_GINT64_FORMAT, rm_host,
                                                weft_conf_get_int (conf, "rm.client-port"));
  g_autofree char *rm_sched = g_strdup_printf ("%s:%" G_GINT64_FORMAT, rm_host,
                                               weft_conf_get_int (conf, "rm.scheduler-port"));
  NmNodeConfig ncfg = { .node_id = node_id, .vcores = vcores, .memory_mb = memory_mb,
                        .work_dir = work_dir, .log_dir = log_dir, .secret = secret,
                        .cgroups = cgroups, .stop_grace_ms = 1000,
                        .rm_client_address = rm_client, .rm_scheduler_address = rm_sched };
  g_autoptr(NmNode) node = nm_node_new (&ncfg);
  rpc.node = node;
  rpc.work_dir = work_dir;
  rpc.rm_host = rm_host;
  rpc.rm_client_port = (guint16) weft_conf_get_int (conf, "rm.client-port");

  const char *port_file = weft_conf_get_string (conf, "nm.port-file");
  const char *names[] = { "container" };
  if (port_file && *port_file && !weft_daemon_write_ports (port_file, names, &port, 1, &error))
    {
      g_printerr ("weft-nodemanager: %s\n", error->message);
      return 1;
    }

  NmTrackerConfig tcfg = { .rm_host = rm_host,
                           .rm_port = (guint16) weft_conf_get_int (conf, "rm.tracker-port"),
                           .node_id = node_id, .http_address = "", .vcores = vcores,
                           .memory_mb = memory_mb, .secret = secret,
                           .interval_us = weft_conf_get_duration (conf, "nm.heartbeat-interval") };
  NmTracker *tracker = nm_tracker_start (&rpc, &tcfg, &opts);
  g_autofree char *cg = nm_cgroup_manager_describe (cgroups);
  g_message ("weft-nodemanager %s started as %s: %" G_GINT64_FORMAT " vcores, %" G_GINT64_FORMAT
             " MB; enforcement: %s; RM %s:%u; security %s", PACKAGE_VERSION, node_id, vcores,
             memory_mb, cg, rm_host, tcfg.rm_port, secret ? "on" : "OFF");
  g_main_loop_run (loop);

  /* Stop every container and wait for them (bounded), then the I/O. */
  nm_node_set_on_change (node, NULL, NULL);
  nm_node_stop_all (node, NM_EXIT_KILLED_BY_RM, "Container killed: its node manager stopped");
  gboolean expired = FALSE;
  guint timer = g_timeout_add (5000, timeout_flag, &expired);
  while (nm_node_running_count (node) > 0 && !expired)
    g_main_context_iteration (ctx, TRUE);
  if (!expired)
    g_source_remove (timer);
  Stop s = { tracker, server, ctx, 0 };
  GThread *t = g_thread_new ("weft-nm-stop", stop_io, &s);
  while (!g_atomic_int_get (&s.done))
    g_main_context_iteration (ctx, TRUE);
  g_thread_join (t);
  nm_cgroup_manager_cleanup (cgroups, 2000, NULL);
  g_message ("weft-nodemanager stopped");
  return 0;
}
