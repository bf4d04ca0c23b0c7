/* weft: the admin CLI. Lists and inspects nodes, applications and queues, kills applications,
 * shows container logs, decommissions nodes; tables with YARN's column names, or --json. Exit
 * codes: 0 ok, 1 the RM or an NM refused, 2 usage or configuration, 3 the RM is unreachable.
 * The RPC calls and the JSON they become are in weft-cli-rpc.c. See docs/cli.md. */
#include <stdio.h>
#include <string.h>

#include "weft-cli.h"
#include "weft-daemon.h"
#include "weft-log.h"

static const char usage_text[] =
  "usage: weft [--conf-dir DIR] [--conf GROUP.KEY=VALUE]... [-v] COMMAND [OPTIONS] [--json]\n"
  "\n"
  "  node list [--all] [--states S,...]    nodes (default: NEW, RUNNING, UNHEALTHY)\n"
  "  node status NODE                      one node's report\n"
  "  node decommission NODE                stop scheduling on NODE (admin)\n"
  "  app list [--all] [--states S,...] [--queue Q] [--user U]\n"
  "                                        applications (default: not yet ended)\n"
  "  app status APP                        one application's report\n"
  "  app kill APP                          kill an application and its containers\n"
  "  app logs APP [--container C] [--follow]\n"
  "                                        stdout and stderr of its containers\n"
  "  queue list                            scheduler queues\n"
  "  cluster metrics                       node, application and resource counts\n"
  "  token issue [--user U] [--valid-for DURATION]\n"
  "                                        sign a client token (needs the cluster secret)\n"
  "\n"
  "The RM is rm.hostname:rm.client-port (admin: rm.admin-port) of the configuration in\n"
  "$WEFT_CONF_DIR. Exit status: 0 ok, 1 refused by the RM, 2 usage, 3 RM unreachable.\n";

/* ---- the command line ---- */

typedef struct {
  WeftConf *conf;
  WeftCliRpc *rpc;    /* made on first use: loading the token may fail */
  gboolean json;
  gboolean all;
  gboolean follow;
  char *states;
  char *queue;
  char *user;
  char *container;
  char *valid_for;
  GPtrArray *args;    /* positional arguments after the command's words */
} Cli;

static void
cli_clear (Cli *cli)
{
  weft_cli_rpc_free (cli->rpc);
  g_free (cli->states);
  g_free (cli->queue);
  g_free (cli->user);
  g_free (cli->container);
  g_free (cli->valid_for);
  if (cli->args)
    g_ptr_array_unref (cli->args);
}

typedef struct {
  const char *name;
  gboolean *flag;   /* a switch, or */
  char **value;     /* an option taking a value (--name V or --name=V) */
} Opt;

static gboolean
usage_error (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
usage_error (GError **error, const char *format, ...)
{
  va_list ap;
  va_start (ap, format);
  g_autofree char *msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_set_error (error, WEFT_CLI_ERROR, WEFT_CLI_ERROR_USAGE, "%s (see `weft --help`)", msg);
  return FALSE;
}

/* Parses @argv[@first..] against @opts (plus --json, accepted everywhere); the rest must be
 * exactly @n_args positional arguments. */
static gboolean
parse_opts (Cli *cli, int argc, char **argv, int first, const Opt *opts, guint n_args,
            const char *what, GError **error)
{
  cli->args = g_ptr_array_new ();
  for (int i = first; i < argc; i++)
    {
      const char *a = argv[i];
      if (strcmp (a, "--json") == 0)
        {
          cli->json = TRUE;
          continue;
        }
      if (g_str_has_prefix (a, "-") && a[1] != '\0')
        {
          const char *eq = strchr (a, '=');
          gsize len = eq ? (gsize) (eq - a) : strlen (a);
          const Opt *o = NULL;
          for (guint k = 0; opts && opts[k].name && o == NULL; k++)
            if (strlen (opts[k].name) == len && strncmp (opts[k].name, a, len) == 0)
              o = &opts[k];
          if (o == NULL)
            return usage_error (error, "%s: unknown option %s", what, a);
          if (o->flag)
            {
              if (eq)
                return usage_error (error, "%s: %s takes no value", what, o->name);
              *o->flag = TRUE;
              continue;
            }
          const char *v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
          if (v == NULL)
            return usage_error (error, "%s: %s needs a value", what, o->name);
          g_free (*o->value);
          *o->value = g_strdup (v);
          continue;
        }
      g_ptr_array_add (cli->args, argv[i]);
    }
  if (cli->args->len != n_args)
    return usage_error (error, "%s takes %s", what,
                        n_args == 0 ? "no arguments" : n_args == 1 ? "one argument" : "arguments");
  return TRUE;
}

static const char *
arg (Cli *cli, guint i)
{
  return cli->args->pdata[i];
}

static WeftCliRpc *
rpc (Cli *cli, GError **error)
{
  if (cli->rpc)
    return cli->rpc;
  g_autoptr(WeftToken) token = NULL;
  g_autofree char *source = NULL;
  if (!weft_cli_token_load (cli->conf, &token, &source, error))
    return NULL;
  g_info ("client token: %s", source);
  cli->rpc = weft_cli_rpc_new (cli->conf, token);
  return cli->rpc;
}

/* "A,b , c" -> {"A", "b", "c"}; "ALL" (any case) alone -> empty (all states). */
static GStrv
split_states (const char *text)
{
  g_auto (GStrv) parts = g_strsplit (text ? text : "", ",", -1);
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();
  for (guint i = 0; parts[i]; i++)
    {
      char *p = g_strstrip (parts[i]);
      if (*p == '\0')
        continue;
      if (g_ascii_strcasecmp (p, "ALL") == 0)
        return g_new0 (char *, 1);
      g_autofree char *up = g_ascii_strup (p, -1);
      g_strv_builder_add (b, up);
    }
  return g_strv_builder_end (b);
}

static char *
join_states (const char *const *states)
{
  if (states == NULL || states[0] == NULL)
    return g_strdup ("ALL");
  return g_strjoinv (", ", (GStrv) states);
}

static char *
format_mb (gint64 mb)
{
  return g_strdup_printf ("%" G_GINT64_FORMAT "MB", mb);
}

static char *
format_time (gint64 ms)
{
  if (ms <= 0)
    return g_strdup ("N/A");
  g_autoptr(GDateTime) t = g_date_time_new_from_unix_local (ms / 1000);
  return t ? g_date_time_format (t, "%a %b %d %H:%M:%S %z %Y") : g_strdup ("N/A");
}

static JsonNode *
wrap (const char *member, JsonNode *array)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "total");
  json_builder_add_int_value (b, (gint64) json_array_get_length (json_node_get_array (array)));
  json_builder_set_member_name (b, member);
  json_builder_add_value (b, array);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/* ---- nodes ---- */

static gboolean
node_list (Cli *cli, GError **error)
{
  static const char *const defaults[] = { "NEW", "RUNNING", "UNHEALTHY", NULL };
  g_auto (GStrv) states = cli->all ? g_new0 (char *, 1)
                          : cli->states ? split_states (cli->states)
                                        : g_strdupv ((GStrv) defaults);
  WeftCliRpc *r = rpc (cli, error);
  g_autoptr(JsonNode) nodes = r ? weft_cli_rpc_list_nodes (r, (const char *const *) states, error)
                                : NULL;
  if (nodes == NULL)
    return FALSE;
  JsonArray *a = json_node_get_array (nodes);
  if (cli->json)
    {
      g_autoptr(JsonNode) out = wrap ("nodes", json_node_ref (nodes));
      weft_cli_print_json (out, stdout);
      return TRUE;
    }
  printf ("Total Nodes:%u\n", json_array_get_length (a));
  static const char *const headers[] = {
    "Node-Id", "Node-State", "Node-Http-Address", "Number-of-Running-Containers",
    "Vcores-Used", "Vcores-Total", "Memory-Used", "Memory-Total", NULL,
  };
  g_autoptr(WeftCliTable) t = weft_cli_table_new (headers);
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonObject *n = json_array_get_object_element (a, i);
      g_autofree char *running = g_strdup_printf ("%" G_GINT64_FORMAT,
                                                  weft_cli_json_int (n, "num_containers"));
      g_autofree char *vu = g_strdup_printf ("%" G_GINT64_FORMAT,
                                             weft_cli_json_sub_int (n, "used", "vcores"));
      g_autofree char *vt = g_strdup_printf ("%" G_GINT64_FORMAT,
                                             weft_cli_json_sub_int (n, "capability", "vcores"));
      g_autofree char *mu = format_mb (weft_cli_json_sub_int (n, "used", "memory_mb"));
      g_autofree char *mt = format_mb (weft_cli_json_sub_int (n, "capability", "memory_mb"));
      const char *row[] = { weft_cli_json_str (n, "node_id"), weft_cli_json_str (n, "state"),
                            weft_cli_json_str (n, "http_address"), running, vu, vt, mu, mt };
      weft_cli_table_add_row (t, row);
    }
  weft_cli_table_print (t, stdout);
  return TRUE;
}

static gboolean
node_status (Cli *cli, GError **error)
{
  WeftCliRpc *r = rpc (cli, error);
  g_autoptr(JsonNode) node = r ? weft_cli_rpc_get_node (r, arg (cli, 0), error) : NULL;
  if (node == NULL)
    return FALSE;
  if (cli->json)
    {
      weft_cli_print_json (node, stdout);
      return TRUE;
    }
  JsonObject *n = json_node_get_object (node);
  g_autofree char *hb = format_time (weft_cli_json_int (n, "last_heartbeat_ms"));
  g_autofree char *mu = format_mb (weft_cli_json_sub_int (n, "used", "memory_mb"));
  g_autofree char *mt = format_mb (weft_cli_json_sub_int (n, "capability", "memory_mb"));
  printf ("Node Report : \n"
          "\tNode-Id : %s\n\tRack : %s\n\tNode-State : %s\n\tNode-Http-Address : %s\n"
          "\tLast-Health-Update : %s\n\tHealth-Report : %s\n\tContainers : %" G_GINT64_FORMAT "\n"
          "\tMemory-Used : %s\n\tMemory-Capacity : %s\n"
          "\tCPU-Used : %" G_GINT64_FORMAT " vcores\n\tCPU-Capacity : %" G_GINT64_FORMAT " vcores\n"
          "\tNode-Version : %s\n",
          weft_cli_json_str (n, "node_id"), weft_cli_json_str (n, "rack"),
          weft_cli_json_str (n, "state"), weft_cli_json_str (n, "http_address"), hb,
          weft_cli_json_str (n, "health_report"), weft_cli_json_int (n, "num_containers"), mu, mt,
          weft_cli_json_sub_int (n, "used", "vcores"),
          weft_cli_json_sub_int (n, "capability", "vcores"), weft_cli_json_str (n, "version"));
  return TRUE;
}

static gboolean
node_decommission (Cli *cli, GError **error)
{
  WeftCliRpc *r = rpc (cli, error);
  if (r == NULL || !weft_cli_rpc_decommission (r, arg (cli, 0), error))
    return FALSE;
  if (cli->json)
    printf ("{\n  \"node_id\" : \"%s\",\n  \"decommissioning\" : true\n}\n", arg (cli, 0));
  else
    printf ("Decommissioning node %s: it takes no new containers and leaves the cluster\n",
            arg (cli, 0));
  return TRUE;
}

/* ---- applications ---- */

static gboolean
app_list (Cli *cli, GError **error)
{
  static const char *const defaults[] = { "NEW", "SUBMITTED", "ACCEPTED", "RUNNING", NULL };
  g_auto (GStrv) states = cli->all ? g_new0 (char *, 1)
                          : cli->states ? split_states (cli->states)
                                        : g_strdupv ((GStrv) defaults);
  WeftCliRpc *r = rpc (cli, error);
  g_autoptr(JsonNode) apps = r ? weft_cli_rpc_list_apps (r, (const char *const *) states,
                                                         cli->queue, cli->user, error)
                               : NULL;
  if (apps == NULL)
    return FALSE;
  JsonArray *a = json_node_get_array (apps);
  if (cli->json)
    {
      g_autoptr(JsonNode) out = wrap ("applications", json_node_ref (apps));
      weft_cli_print_json (out, stdout);
      return TRUE;
    }
  g_autofree char *st = join_states ((const char *const *) states);
  printf ("Total number of applications (states: [%s]%s%s%s%s%s%s):%u\n", st,
          cli->queue ? " and queue: [" : "", cli->queue ? cli->queue : "", cli->queue ? "]" : "",
          cli->user ? " and user: [" : "", cli->user ? cli->user : "", cli->user ? "]" : "",
          json_array_get_length (a));
  static const char *const headers[] = {
    "Application-Id", "Application-Name", "Application-Type", "User", "Queue", "State",
    "Final-State", "Progress", "Tracking-URL", NULL,
  };
  g_autoptr(WeftCliTable) t = weft_cli_table_new (headers);
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonObject *o = json_array_get_object_element (a, i);
      g_autofree char *progress = g_strdup_printf ("%.0f%%",
                                                   weft_cli_json_double (o, "progress") * 100);
      const char *url = weft_cli_json_str (o, "tracking_url");
      const char *row[] = {
        weft_cli_json_str (o, "application_id"), weft_cli_json_str (o, "name"),
        weft_cli_json_str (o, "application_type"), weft_cli_json_str (o, "user"),
        weft_cli_json_str (o, "queue"), weft_cli_json_str (o, "state"),
        weft_cli_json_str (o, "final_status"), progress, *url ? url : "N/A",
      };
      weft_cli_table_add_row (t, row);
    }
  weft_cli_table_print (t, stdout);
  return TRUE;
}

static void
print_app_report (JsonObject *o)
{
  g_autofree char *start = format_time (weft_cli_json_int (o, "start_ms"));
  g_autofree char *finish = format_time (weft_cli_json_int (o, "finish_ms"));
  const char *url = weft_cli_json_str (o, "tracking_url");
  const char *host = weft_cli_json_str (o, "am_host");
  g_autofree char *mem = format_mb (weft_cli_json_sub_int (o, "used", "memory_mb"));
  printf ("Application Report : \n"
          "\tApplication-Id : %s\n\tApplication-Name : %s\n\tApplication-Type : %s\n"
          "\tUser : %s\n\tQueue : %s\n\tStart-Time : %s\n\tFinish-Time : %s\n"
          "\tProgress : %.0f%%\n\tState : %s\n\tFinal-State : %s\n\tTracking-URL : %s\n"
          "\tRPC Port : %" G_GINT64_FORMAT "\n\tAM Host : %s\n\tCurrent-Attempt : %s (%" G_GINT64_FORMAT
          " so far)\n\tRunning-Containers : %" G_GINT64_FORMAT "\n"
          "\tResources-Used : %s, %" G_GINT64_FORMAT " vcores\n\tDiagnostics : %s\n",
          weft_cli_json_str (o, "application_id"), weft_cli_json_str (o, "name"),
          weft_cli_json_str (o, "application_type"), weft_cli_json_str (o, "user"),
          weft_cli_json_str (o, "queue"), start, finish,
          weft_cli_json_double (o, "progress") * 100, weft_cli_json_str (o, "state"),
          weft_cli_json_str (o, "final_status"), *url ? url : "N/A",
          weft_cli_json_int (o, "am_rpc_port"), *host ? host : "N/A",
          weft_cli_json_str (o, "current_attempt_id"), weft_cli_json_int (o, "attempt_count"),
          weft_cli_json_int (o, "running_containers"), mem,
          weft_cli_json_sub_int (o, "used", "vcores"), weft_cli_json_str (o, "diagnostics"));
  /* A Weft driver's stage progress: "STAGE DONE RUNNING TOTAL" (see weft-submit). */
  unsigned stage, done, running, total;
  char end;
  if (sscanf (weft_cli_json_str (o, "progress_detail"), "%u %u %u %u%c", &stage, &done, &running,
              &total, &end) == 4)
    printf ("\tStage-Progress : stage %u, %u + %u / %u tasks\n", stage, done, running, total);
}

static gboolean
app_status (Cli *cli, GError **error)
{
  WeftCliRpc *r = rpc (cli, error);
  g_autoptr(JsonNode) app = r ? weft_cli_rpc_get_app (r, arg (cli, 0), error) : NULL;
  if (app == NULL)
    return FALSE;
  if (cli->json)
    weft_cli_print_json (app, stdout);
  else
    print_app_report (json_node_get_object (app));
  return TRUE;
}

static gboolean
app_kill (Cli *cli, GError **error)
{
  const char *id = arg (cli, 0);
  WeftCliRpc *r = rpc (cli, error);
  g_autoptr(JsonNode) app = r ? weft_cli_rpc_get_app (r, id, error) : NULL;
  if (app == NULL)
    return FALSE;
  const char *state = weft_cli_json_str (json_node_get_object (app), "state");
  gboolean ended = weft_cli_rpc_is_final_app_state (state);
  if (!ended)
    {
      if (!cli->json)
        printf ("Killing application %s\n", id);
      g_autofree char *why = g_strdup_printf ("weft app kill from %s", g_get_host_name ());
      if (!weft_cli_rpc_kill_app (r, id, why, error))
        return FALSE;
      json_node_unref (g_steal_pointer (&app));
      if ((app = weft_cli_rpc_get_app (r, id, error)) == NULL)
        return FALSE;
    }
  if (cli->json)
    weft_cli_print_json (app, stdout);
  else if (ended)
    printf ("Application %s has already finished (%s)\n", id, state);
  else
    printf ("Killed application %s\n", id);
  return TRUE;
}

/* Logs: each file of each container is fetched from its NM in chunks. */
typedef struct {
  char *container_id;
  char *node_id;
  gint64 offset[2];   /* stdout, stderr */
  gboolean done[2];
} LogCursor;

static void
log_cursor_free (LogCursor *c)
{
  g_free (c->container_id);
  g_free (c->node_id);
  g_free (c);
}

static const char *const log_files[2] = { "stdout", "stderr" };

/* Reads @file of @c from its offset until the NM has nothing more for now; appends to @out.
 * Returns: FALSE with @error if the NM could not be asked. */
static gboolean
read_log (WeftCliRpc *r, LogCursor *c, guint file, GByteArray *out, GError **error)
{
  for (;;)
    {
      g_autoptr(GBytes) data = NULL;
      gint64 next = 0;
      gboolean eof = FALSE;
      if (!weft_cli_rpc_fetch_log (r, c->node_id, c->container_id, log_files[file],
                                   c->offset[file], &data, &next, &eof, error))
        return FALSE;
      gsize n = 0;
      const guint8 *d = g_bytes_get_data (data, &n);
      if (n)
        g_byte_array_append (out, d, (guint) n);
      c->offset[file] = MAX (next, c->offset[file] + (gint64) n);
      if (eof)
        c->done[file] = TRUE;
      if (eof || n == 0)
        return TRUE;
    }
}

/* Refreshes @cursors from the RM's container list (new containers appear while an application
 * runs). Returns: FALSE with @error on an RM error. */
static gboolean
refresh_containers (Cli *cli, WeftCliRpc *r, const char *app_id, GPtrArray *cursors,
                    GError **error)
{
  g_autoptr(JsonNode) list = weft_cli_rpc_list_containers (r, app_id, error);
  if (list == NULL)
    return FALSE;
  JsonArray *a = json_node_get_array (list);
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonObject *o = json_array_get_object_element (a, i);
      const char *id = weft_cli_json_str (o, "container_id");
      if (cli->container && strcmp (cli->container, id) != 0)
        continue;
      gboolean known = FALSE;
      for (guint k = 0; k < cursors->len && !known; k++)
        known = strcmp (((LogCursor *) cursors->pdata[k])->container_id, id) == 0;
      if (known)
        continue;
      LogCursor *c = g_new0 (LogCursor, 1);
      c->container_id = g_strdup (id);
      c->node_id = g_strdup (weft_cli_json_str (o, "node_id"));
      g_ptr_array_add (cursors, c);
    }
  return TRUE;
}

/* Prints one error per container and remembers the worst exit code: one unreachable node must
 * not hide the other containers' logs. */
static void
log_failed (LogCursor *c, GError *e, WeftCliExit *worst)
{
  g_printerr ("weft: logs of %s on %s: %s\n", c->container_id, c->node_id, e->message);
  *worst = MAX (*worst, weft_cli_exit_code (e));
  c->done[0] = c->done[1] = TRUE;
}

static gboolean
app_logs (Cli *cli, WeftCliExit *status, GError **error)
{
  if (cli->json)
    return usage_error (error, "app logs prints the logs as they are: --json is not supported");
  const char *id = arg (cli, 0);
  WeftCliRpc *r = rpc (cli, error);
  if (r == NULL)
    return FALSE;
  g_autoptr(GPtrArray) cursors = g_ptr_array_new_with_free_func ((GDestroyNotify) log_cursor_free);
  if (!refresh_containers (cli, r, id, cursors, error))
    return FALSE;
  if (cursors->len == 0 && !cli->follow)
    {
      g_set_error (error, WEFT_CLI_ERROR, WEFT_CLI_ERROR_REFUSED,
                   cli->container ? "%s has no container %s (see `weft app status %s`)"
                                  : "%s has no containers yet (see `weft app status %s`)",
                   id, cli->container ? cli->container : id, id);
      return FALSE;
    }
  WeftCliExit worst = WEFT_CLI_EXIT_OK;
  if (!cli->follow)
    {
      /* Like `yarn logs`: each container's files, whole, labelled. */
      for (guint i = 0; i < cursors->len; i++)
        {
          LogCursor *c = cursors->pdata[i];
          g_autoptr(GByteArray) out_stdout = g_byte_array_new ();
          g_autoptr(GByteArray) out_stderr = g_byte_array_new ();
          GByteArray *out[2] = { out_stdout, out_stderr };
          GError *e = NULL;
          if (!read_log (r, c, 0, out[0], &e) || !read_log (r, c, 1, out[1], &e))
            {
              log_failed (c, e, &worst);
              g_error_free (e);
              continue;
            }
          printf ("Container: %s on %s\n", c->container_id, c->node_id);
          printf ("===============================================================================\n");
          for (guint f = 0; f < 2; f++)
            {
              printf ("LogType:%s\nLogLength:%u\nLogContents:\n", log_files[f], out[f]->len);
              if (out[f]->len)
                {
                  fwrite (out[f]->data, 1, out[f]->len, stdout);
                  if (out[f]->data[out[f]->len - 1] != '\n')
                    putchar ('\n');
                }
              printf ("End of LogType:%s\n\n", log_files[f]);
            }
        }
      *status = worst;
      return TRUE;
    }

  /* --follow: poll every file until its container has ended and all of it is printed, and the
   * application has ended (so no new container can come). A header like tail's marks each
   * switch from one file to another. */
  const LogCursor *last = NULL;
  guint last_file = 0;
  for (;;)
    {
      g_autoptr(JsonNode) app = weft_cli_rpc_get_app (r, id, error);
      if (app == NULL || !refresh_containers (cli, r, id, cursors, error))
        return FALSE;
      gboolean ended = weft_cli_rpc_is_final_app_state (
        weft_cli_json_str (json_node_get_object (app), "state"));
      for (guint i = 0; i < cursors->len; i++)
        {
          LogCursor *c = cursors->pdata[i];
          for (guint f = 0; f < 2 && !(c->done[0] && c->done[1]); f++)
            {
              if (c->done[f])
                continue;
              g_autoptr(GByteArray) out = g_byte_array_new ();
              GError *e = NULL;
              if (!read_log (r, c, f, out, &e))
                {
                  log_failed (c, e, &worst);
                  g_error_free (e);
                  break;
                }
              if (out->len == 0)
                continue;
              if (last != c || last_file != f)
                printf ("%s==> %s %s on %s <==\n", last ? "\n" : "", c->container_id,
                        log_files[f], c->node_id);
              last = c;
              last_file = f;
              fwrite (out->data, 1, out->len, stdout);
              fflush (stdout);
            }
        }
      /* Once the application has ended, one more round has read what was left. */
      if (ended)
        break;
      g_usleep (G_USEC_PER_SEC);
    }
  *status = worst;
  return TRUE;
}

/* ---- queues, cluster, tokens ---- */

static gboolean
queue_list (Cli *cli, GError **error)
{
  WeftCliRpc *r = rpc (cli, error);
  g_autoptr(JsonNode) queues = r ? weft_cli_rpc_list_queues (r, error) : NULL;
  if (queues == NULL)
    return FALSE;
  if (cli->json)
    {
      g_autoptr(JsonNode) out = wrap ("queues", json_node_ref (queues));
      weft_cli_print_json (out, stdout);
      return TRUE;
    }
  JsonArray *a = json_node_get_array (queues);
  printf ("Total Queues:%u\n", json_array_get_length (a));
  static const char *const headers[] = {
    "Queue-Name", "State", "Capacity", "Max-Capacity", "Current-Capacity", "Applications",
    "Pending-Applications", NULL,
  };
  g_autoptr(WeftCliTable) t = weft_cli_table_new (headers);
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonObject *o = json_array_get_object_element (a, i);
      g_autofree char *cap = g_strdup_printf ("%.1f%%", weft_cli_json_double (o, "capacity"));
      g_autofree char *max = g_strdup_printf ("%.1f%%", weft_cli_json_double (o, "max_capacity"));
      g_autofree char *used = g_strdup_printf ("%.1f%%", weft_cli_json_double (o, "used_capacity"));
      g_autofree char *apps = g_strdup_printf ("%" G_GINT64_FORMAT,
                                               weft_cli_json_int (o, "num_applications"));
      g_autofree char *pending = g_strdup_printf (
        "%" G_GINT64_FORMAT, weft_cli_json_int (o, "num_pending_applications"));
      const char *row[] = { weft_cli_json_str (o, "path"), weft_cli_json_str (o, "state"), cap, max,
                            used, apps, pending };
      weft_cli_table_add_row (t, row);
    }
  weft_cli_table_print (t, stdout);
  return TRUE;
}

static gboolean
cluster_metrics (Cli *cli, GError **error)
{
  WeftCliRpc *r = rpc (cli, error);
  g_autoptr(JsonNode) m = r ? weft_cli_rpc_cluster_metrics (r, error) : NULL;
  if (m == NULL)
    return FALSE;
  if (cli->json)
    {
      weft_cli_print_json (m, stdout);
      return TRUE;
    }
  JsonObject *o = json_node_get_object (m);
  static const struct { const char *label, *member; } counts[] = {
    { "Nodes-Total", "nodes_total" }, { "Nodes-Active", "nodes_active" },
    { "Nodes-Lost", "nodes_lost" }, { "Nodes-Unhealthy", "nodes_unhealthy" },
    { "Nodes-Decommissioned", "nodes_decommissioned" }, { "Apps-Submitted", "apps_submitted" },
    { "Apps-Pending", "apps_pending" }, { "Apps-Running", "apps_running" },
    { "Apps-Completed", "apps_completed" }, { "Apps-Failed", "apps_failed" },
    { "Apps-Killed", "apps_killed" }, { "Containers-Allocated", "containers_allocated" },
    { "Containers-Pending", "containers_pending" },
  };
  printf ("Cluster Metrics : \n");
  for (guint i = 0; i < G_N_ELEMENTS (counts); i++)
    printf ("\t%s : %" G_GINT64_FORMAT "\n", counts[i].label, weft_cli_json_int (o, counts[i].member));
  static const char *const res[] = { "total", "used", "available" };
  static const char *const labels[] = { "Total", "Used", "Available" };
  for (guint i = 0; i < G_N_ELEMENTS (res); i++)
    {
      g_autofree char *mem = format_mb (weft_cli_json_sub_int (o, res[i], "memory_mb"));
      printf ("\tMemory-%s : %s\n\tVcores-%s : %" G_GINT64_FORMAT "\n", labels[i], mem, labels[i],
              weft_cli_json_sub_int (o, res[i], "vcores"));
    }
  return TRUE;
}

static gboolean
token_issue (Cli *cli, GError **error)
{
  gint64 valid_us = G_GINT64_CONSTANT (30) * 24 * 3600 * G_USEC_PER_SEC;
  if (cli->valid_for && !weft_parse_duration (cli->valid_for, &valid_us, error))
    return FALSE;
  g_autofree char *text = weft_cli_token_issue (cli->conf, cli->user ? cli->user : g_get_user_name (),
                                                valid_us, error);
  if (text == NULL)
    return FALSE;
  printf ("%s\n", text);
  return TRUE;
}

/* ---- dispatch ---- */

typedef gboolean (*CommandFunc) (Cli *cli, GError **error);

int
main (int argc, char **argv)
{
  /* --conf, --conf-dir and -v are taken out of argv here, wherever they are. */
  g_autoptr(WeftConf) conf = weft_daemon_start ("weft", &argc, &argv);
  if (conf == NULL)
    return WEFT_CLI_EXIT_USAGE;
  if (argc < 2 || strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0
      || strcmp (argv[1], "help") == 0)
    {
      fputs (usage_text, argc < 2 ? stderr : stdout);
      return argc < 2 ? WEFT_CLI_EXIT_USAGE : WEFT_CLI_EXIT_OK;
    }

  Cli cli = { conf };
  Opt node_opts[] = { { "--all", &cli.all }, { "--states", NULL, &cli.states }, { NULL } };
  Opt app_opts[] = { { "--all", &cli.all }, { "--states", NULL, &cli.states },
                     { "--queue", NULL, &cli.queue }, { "--user", NULL, &cli.user }, { NULL } };
  Opt log_opts[] = { { "--container", NULL, &cli.container }, { "--follow", &cli.follow }, { NULL } };
  Opt token_opts[] = { { "--user", NULL, &cli.user }, { "--valid-for", NULL, &cli.valid_for },
                       { NULL } };
  const struct {
    const char *noun, *verb;
    const Opt *opts;
    guint n_args;
    CommandFunc func;
  } commands[] = {
    { "node", "list", node_opts, 0, node_list },
    { "node", "status", NULL, 1, node_status },
    { "node", "decommission", NULL, 1, node_decommission },
    { "app", "list", app_opts, 0, app_list },
    { "app", "status", NULL, 1, app_status },
    { "app", "kill", NULL, 1, app_kill },
    { "app", "logs", log_opts, 1, NULL },
    { "queue", "list", NULL, 0, queue_list },
    { "cluster", "metrics", NULL, 0, cluster_metrics },
    { "token", "issue", token_opts, 0, token_issue },
  };

  g_autoptr(GError) error = NULL;
  WeftCliExit status = WEFT_CLI_EXIT_OK;
  gboolean found = FALSE, ok = FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (commands) && !found; i++)
    {
      if (strcmp (argv[1], commands[i].noun) != 0 || argc < 3
          || strcmp (argv[2], commands[i].verb) != 0)
        continue;
      found = TRUE;
      g_autofree char *what = g_strdup_printf ("%s %s", commands[i].noun, commands[i].verb);
      if (!parse_opts (&cli, argc, argv, 3, commands[i].opts, commands[i].n_args, what, &error))
        break;
      if (cli.states && cli.all)
        {
          usage_error (&error, "%s: --all and --states do not go together", what);
          break;
        }
      ok = commands[i].func ? commands[i].func (&cli, &error) : app_logs (&cli, &status, &error);
    }
  if (!found)
    usage_error (&error, "unknown command \"%s%s%s\"", argv[1], argc > 2 ? " " : "",
                 argc > 2 ? argv[2] : "");
  cli_clear (&cli);
  if (!ok)
    {
      g_printerr ("weft: %s\n", error->message);
      return weft_cli_exit_code (error);
    }
  fflush (stdout);
  return status;
}
