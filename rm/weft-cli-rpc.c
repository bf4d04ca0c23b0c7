/* weft-cli-rpc: the CLI's wire edge. Makes each call through weft-rpc-client, then converts the
 * Thrift answer to JSON with stable keys (snake_case, as in the IDL; states spelled as YARN spells
 * them). See weft-cli.h. */
#include <stdlib.h>
#include <string.h>

#include "weft-cli.h"
#include "weft-rpc-client.h"
#include "weft-rpc.h"
#include "weft_admin_service.h"
#include "weft_client_service.h"
#include "weft_container_manager.h"

struct _WeftCliRpc {
  WeftRpcOptions opts;
  char *host;
  guint16 client_port, admin_port;
  WeftRpcClient *client, *admin;
  GHashTable *nms;   /* node id -> WeftRpcClient* */
  weftToken *auth;   /* sent with every call */
};

G_DEFINE_QUARK (weft-cli-error-quark, weft_cli_error)

/* Generated classes have no autoptr cleanup. */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (weftNodeReport, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (weftApplicationReport, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (weftApplicationFilter, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (weftClusterMetrics, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (weftLogChunk, g_object_unref)

/* ---- names ---- */

/* Indexed by the IDL's numbers; YARN's spelling, which is what operators type and read. */
static const char *const app_states[] = { NULL, "NEW", "SUBMITTED", "ACCEPTED", "RUNNING",
                                          "FINISHED", "FAILED", "KILLED" };
static const char *const final_states[] = { "UNDEFINED", "SUCCEEDED", "FAILED", "KILLED" };
static const char *const node_states[] = { NULL, "NEW", "RUNNING", "UNHEALTHY", "DECOMMISSIONING",
                                           "DECOMMISSIONED", "LOST", "SHUTDOWN" };
static const char *const container_states[] = { NULL, "NEW", "LOCALIZING", "RUNNING", "COMPLETE" };
static const char *const exit_reasons[] = {
  "NONE", "SUCCEEDED", "FAILED", "KILLED_BY_AM", "KILLED_BY_RM", "MEMORY_EXCEEDED", "NODE_LOST",
  "PREEMPTED", "LAUNCH_FAILED", "EXPIRED", "KILLED_AFTER_APP_COMPLETION",
};
static const char *const queue_states[] = { NULL, "RUNNING", "STOPPED" };

#define NAME(table, v) name_of ((table), G_N_ELEMENTS (table), (gint) (v))

static const char *
name_of (const char *const *table, gsize n, gint v)
{
  return v >= 0 && (gsize) v < n && table[v] ? table[v] : "UNKNOWN";
}

static const char *
node_state_name (gint v)
{
  return NAME (node_states, v);
}

/* Parses @names into the IDL numbers of @table; an unknown name is a usage error listing the
 * valid ones. */
static GArray *
parse_states (const char *const *names, const char *const *table, gsize n, const char *what,
              GError **error)
{
  GArray *out = g_array_new (FALSE, FALSE, sizeof (gint32));
  for (guint i = 0; names && names[i]; i++)
    {
      gint32 v = -1;
      for (gsize k = 0; k < n && v < 0; k++)
        if (table[k] && g_ascii_strcasecmp (table[k], names[i]) == 0)
          v = (gint32) k;
      if (v < 0)
        {
          g_autoptr(GString) valid = g_string_new (NULL);
          for (gsize k = 0; k < n; k++)
            if (table[k])
              g_string_append_printf (valid, "%s%s", valid->len ? ", " : "", table[k]);
          g_set_error (error, WEFT_CLI_ERROR, WEFT_CLI_ERROR_USAGE,
                       "unknown %s state \"%s\" (valid: %s)", what, names[i], valid->str);
          g_array_unref (out);
          return NULL;
        }
      g_array_append_val (out, v);
    }
  return out;
}

gboolean
weft_cli_rpc_is_final_app_state (const char *state)
{
  return g_strcmp0 (state, "FINISHED") == 0 || g_strcmp0 (state, "FAILED") == 0
         || g_strcmp0 (state, "KILLED") == 0;
}

/* ---- errors ---- */

WeftCliExit
weft_cli_exit_code (const GError *error)
{
  if (error == NULL)
    return WEFT_CLI_EXIT_OK;
  if (error->domain == WEFT_CLI_ERROR)
    switch ((WeftCliError) error->code)
      {
      case WEFT_CLI_ERROR_USAGE:
      case WEFT_CLI_ERROR_TOKEN:
        return WEFT_CLI_EXIT_USAGE;
      case WEFT_CLI_ERROR_UNREACHABLE:
        return WEFT_CLI_EXIT_UNREACHABLE;
      case WEFT_CLI_ERROR_REFUSED:
        return WEFT_CLI_EXIT_REFUSED;
      }
  if (error->domain == WEFT_CONF_ERROR)
    return WEFT_CLI_EXIT_USAGE;
  return WEFT_CLI_EXIT_REFUSED;
}

/* A declared exception (or a Thrift application exception) means the peer answered: REFUSED.
 * Anything else is the transport: UNREACHABLE, with what to check. */
static void
map_error (GError **error, GError *local, const char *what, const char *address, const char *hint)
{
  if (local->domain == WEFT_REMOTE_ERROR
      || g_error_matches (local, WEFT_RPC_ERROR, WEFT_RPC_ERROR_REMOTE))
    g_set_error (error, WEFT_CLI_ERROR, WEFT_CLI_ERROR_REFUSED, "%s", local->message);
  else
    g_set_error (error, WEFT_CLI_ERROR, WEFT_CLI_ERROR_UNREACHABLE,
                 "the %s is not reachable at %s (%s)\n  (%s)", what, address, hint, local->message);
  g_error_free (local);
}

static gboolean
call_rm (WeftCliRpc *rpc, WeftRpcClient *c, const char *method, WeftRpcRetry retry,
         WeftRpcCallFunc func, gpointer data, GError **error)
{
  GError *local = NULL;
  if (weft_rpc_client_call (c, method, retry, func, data, &local))
    return TRUE;
  map_error (error, local, "RM", weft_rpc_client_get_address (c),
             "is weft-resourcemanager running? is WEFT_CONF_DIR set?");
  return FALSE;
}

/* ---- construction ---- */

static GByteArray *
bytes_to_array (GBytes *b)
{
  gsize n = 0;
  const guint8 *d = b ? g_bytes_get_data (b, &n) : NULL;
  GByteArray *a = g_byte_array_sized_new ((guint) n);
  if (n)
    g_byte_array_append (a, d, (guint) n);
  return a;
}

WeftCliRpc *
weft_cli_rpc_new (WeftConf *conf, const WeftToken *token)
{
  WeftCliRpc *rpc = g_new0 (WeftCliRpc, 1);
  weft_rpc_options_from_conf (&rpc->opts, conf);
  rpc->host = g_strdup (weft_conf_get_string (conf, "rm.hostname"));
  rpc->client_port = (guint16) weft_conf_get_int (conf, "rm.client-port");
  rpc->admin_port = (guint16) weft_conf_get_int (conf, "rm.admin-port");
  rpc->client = weft_rpc_client_new (rpc->host, rpc->client_port, WEFT_TYPE_CLIENT_SERVICE_CLIENT,
                                     &rpc->opts);
  rpc->admin = weft_rpc_client_new (rpc->host, rpc->admin_port, WEFT_TYPE_ADMIN_SERVICE_CLIENT,
                                    &rpc->opts);
  rpc->nms = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                    (GDestroyNotify) weft_rpc_client_free);
  rpc->auth = g_object_new (WEFT_TYPE_TOKEN, "kind", token ? token->kind : "", NULL);
  g_clear_pointer (&rpc->auth->identifier, g_byte_array_unref);
  rpc->auth->identifier = bytes_to_array (token ? token->identifier : NULL);
  rpc->auth->expiry_ms = token ? token->expiry_ms : 0;
  g_clear_pointer (&rpc->auth->password, g_byte_array_unref);
  rpc->auth->password = bytes_to_array (token ? token->password : NULL);
  return rpc;
}

void
weft_cli_rpc_free (WeftCliRpc *rpc)
{
  if (rpc == NULL)
    return;
  weft_rpc_client_free (rpc->client);
  weft_rpc_client_free (rpc->admin);
  g_hash_table_unref (rpc->nms);
  g_object_unref (rpc->auth);
  g_free (rpc->host);
  g_free (rpc);
}

/* ---- converters: Thrift -> JSON ---- */

static void
add_resource (JsonBuilder *b, const char *member, const weftResource *r)
{
  json_builder_set_member_name (b, member);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "vcores");
  json_builder_add_int_value (b, r ? r->vcores : 0);
  json_builder_set_member_name (b, "memory_mb");
  json_builder_add_int_value (b, r ? r->memory_mb : 0);
  json_builder_end_object (b);
}

static void
add_str (JsonBuilder *b, const char *member, const char *v)
{
  json_builder_set_member_name (b, member);
  json_builder_add_string_value (b, v ? v : "");
}

static void
add_int (JsonBuilder *b, const char *member, gint64 v)
{
  json_builder_set_member_name (b, member);
  json_builder_add_int_value (b, v);
}

static void
node_to_json (JsonBuilder *b, const weftNodeReport *n)
{
  json_builder_begin_object (b);
  add_str (b, "node_id", n->node_id);
  add_str (b, "state", node_state_name (n->state));
  add_str (b, "http_address", n->http_address);
  add_str (b, "rack", n->rack);
  add_int (b, "num_containers", n->num_containers);
  add_resource (b, "capability", n->capability);
  add_resource (b, "used", n->used);
  add_str (b, "health_report", n->health_report);
  add_int (b, "last_heartbeat_ms", n->last_heartbeat_ms);
  add_str (b, "version", n->version);
  json_builder_end_object (b);
}

static void
app_to_json (JsonBuilder *b, const weftApplicationReport *a)
{
  json_builder_begin_object (b);
  add_str (b, "application_id", a->application_id);
  add_str (b, "name", a->name);
  add_str (b, "application_type", a->application_type);
  add_str (b, "user", a->user);
  add_str (b, "queue", a->queue);
  add_str (b, "state", NAME (app_states, a->state));
  add_str (b, "final_status", NAME (final_states, a->final_status));
  json_builder_set_member_name (b, "progress");
  json_builder_add_double_value (b, a->progress);
  add_str (b, "progress_detail", a->__isset_progress_detail && a->progress_detail
                                   ? a->progress_detail : "");
  add_str (b, "tracking_url", a->tracking_url);
  add_str (b, "diagnostics", a->diagnostics);
  add_str (b, "am_host", a->am_host);
  add_int (b, "am_rpc_port", a->am_rpc_port);
  add_int (b, "submit_ms", a->submit_ms);
  add_int (b, "start_ms", a->start_ms);
  add_int (b, "finish_ms", a->finish_ms);
  add_resource (b, "used", a->used);
  add_int (b, "running_containers", a->running_containers);
  add_str (b, "current_attempt_id", a->current_attempt_id);
  add_int (b, "attempt_count", a->attempt_count);
  json_builder_end_object (b);
}

static void
container_to_json (JsonBuilder *b, const weftContainerReport *c)
{
  json_builder_begin_object (b);
  add_str (b, "container_id", c->container_id);
  add_str (b, "node_id", c->node_id);
  add_str (b, "node_http_address", c->node_http_address);
  add_str (b, "state", NAME (container_states, c->state));
  json_builder_set_member_name (b, "is_am");
  json_builder_add_boolean_value (b, c->is_am);
  add_resource (b, "resource", c->resource);
  const weftContainerStatus *s = c->status;
  add_str (b, "exit_reason", NAME (exit_reasons, s ? s->reason : 0));
  add_int (b, "exit_code", s ? s->exit_code : 0);
  add_str (b, "diagnostics", s ? s->diagnostics : "");
  json_builder_end_object (b);
}

static void
queue_to_json (JsonBuilder *b, const weftQueueInfo *q)
{
  json_builder_begin_object (b);
  add_str (b, "path", q->path);
  add_str (b, "state", NAME (queue_states, q->state));
  const struct { const char *name; double v; } d[] = {
    { "capacity", q->capacity }, { "max_capacity", q->max_capacity },
    { "absolute_capacity", q->absolute_capacity }, { "used_capacity", q->used_capacity },
    { "user_limit_factor", q->user_limit_factor }, { "max_am_share", q->max_am_share },
  };
  for (guint i = 0; i < G_N_ELEMENTS (d); i++)
    {
      json_builder_set_member_name (b, d[i].name);
      json_builder_add_double_value (b, d[i].v);
    }
  add_int (b, "num_applications", q->num_applications);
  add_int (b, "num_pending_applications", q->num_pending_applications);
  add_resource (b, "used", q->used);
  json_builder_set_member_name (b, "children");
  json_builder_begin_array (b);
  for (guint i = 0; q->children && i < q->children->len; i++)
    json_builder_add_string_value (b, q->children->pdata[i]);
  json_builder_end_array (b);
  json_builder_end_object (b);
}

static void
metrics_to_json (JsonBuilder *b, const weftClusterMetrics *m)
{
  json_builder_begin_object (b);
  const struct { const char *name; gint64 v; } f[] = {
    { "nodes_total", m->nodes_total }, { "nodes_active", m->nodes_active },
    { "nodes_lost", m->nodes_lost }, { "nodes_unhealthy", m->nodes_unhealthy },
    { "nodes_decommissioned", m->nodes_decommissioned }, { "apps_submitted", m->apps_submitted },
    { "apps_pending", m->apps_pending }, { "apps_running", m->apps_running },
    { "apps_completed", m->apps_completed }, { "apps_failed", m->apps_failed },
    { "apps_killed", m->apps_killed }, { "containers_allocated", m->containers_allocated },
    { "containers_pending", m->containers_pending },
  };
  for (guint i = 0; i < G_N_ELEMENTS (f); i++)
    add_int (b, f[i].name, f[i].v);
  add_resource (b, "total", m->total);
  add_resource (b, "used", m->used);
  add_resource (b, "available", m->available);
  json_builder_end_object (b);
}

typedef void (*ToJson) (JsonBuilder *b, gconstpointer item);

static JsonNode *
array_to_json (GPtrArray *items, ToJson conv)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  json_builder_begin_array (b);
  for (guint i = 0; i < items->len; i++)
    conv (b, items->pdata[i]);
  json_builder_end_array (b);
  return json_builder_get_root (b);
}

static JsonNode *
one_to_json (gconstpointer item, ToJson conv)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  conv (b, item);
  return json_builder_get_root (b);
}

/* ---- calls ---- */

/* One call's arguments and result. A retried call runs its function again, so each function
 * empties its result list first. */
typedef struct {
  weftToken *auth;
  const char *id;
  const char *text;
  gconstpointer in;
  gpointer out;
} Args;

static gboolean
c_list_nodes (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  Args *a = data;
  GPtrArray *out = a->out;
  g_ptr_array_set_size (out, 0);
  return weft_client_service_if_list_nodes (client, &out, a->auth, a->in, ex, error);
}

JsonNode *
weft_cli_rpc_list_nodes (WeftCliRpc *rpc, const char *const *states, GError **error)
{
  g_autoptr(GArray) st = parse_states (states, node_states, G_N_ELEMENTS (node_states), "node",
                                       error);
  if (st == NULL)
    return NULL;
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func (g_object_unref);
  Args a = { rpc->auth, .in = st, .out = out };
  if (!call_rm (rpc, rpc->client, "list_nodes", WEFT_RPC_IDEMPOTENT, c_list_nodes, &a, error))
    return NULL;
  return array_to_json (out, (ToJson) node_to_json);
}

static gboolean
c_get_node (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  Args *a = data;
  weftNodeReport *out = a->out;
  return weft_client_service_if_get_node (client, &out, a->auth, a->id, ex, error);
}

JsonNode *
weft_cli_rpc_get_node (WeftCliRpc *rpc, const char *node_id, GError **error)
{
  g_autoptr(weftNodeReport) out = g_object_new (WEFT_TYPE_NODE_REPORT, NULL);
  Args a = { rpc->auth, .id = node_id, .out = out };
  if (!call_rm (rpc, rpc->client, "get_node", WEFT_RPC_IDEMPOTENT, c_get_node, &a, error))
    return NULL;
  return one_to_json (out, (ToJson) node_to_json);
}

static gboolean
c_list_apps (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  Args *a = data;
  GPtrArray *out = a->out;
  g_ptr_array_set_size (out, 0);
  return weft_client_service_if_list_applications (client, &out, a->auth, a->in, ex, error);
}

JsonNode *
weft_cli_rpc_list_apps (WeftCliRpc *rpc, const char *const *states, const char *queue,
                        const char *user, GError **error)
{
  g_autoptr(GArray) st = parse_states (states, app_states, G_N_ELEMENTS (app_states),
                                       "application", error);
  if (st == NULL)
    return NULL;
  g_autoptr(weftApplicationFilter) f = g_object_new (WEFT_TYPE_APPLICATION_FILTER,
                                                     "queue", queue ? queue : "",
                                                     "user", user ? user : "", NULL);
  g_array_append_vals (f->states, st->data, st->len);
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func (g_object_unref);
  Args a = { rpc->auth, .in = f, .out = out };
  if (!call_rm (rpc, rpc->client, "list_applications", WEFT_RPC_IDEMPOTENT, c_list_apps, &a,
                error))
    return NULL;
  return array_to_json (out, (ToJson) app_to_json);
}

static gboolean
c_get_app (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  Args *a = data;
  weftApplicationReport *out = a->out;
  return weft_client_service_if_get_application (client, &out, a->auth, a->id, ex, error);
}

JsonNode *
weft_cli_rpc_get_app (WeftCliRpc *rpc, const char *app_id, GError **error)
{
  g_autoptr(weftApplicationReport) out = g_object_new (WEFT_TYPE_APPLICATION_REPORT, NULL);
  Args a = { rpc->auth, .id = app_id, .out = out };
  if (!call_rm (rpc, rpc->client, "get_application", WEFT_RPC_IDEMPOTENT, c_get_app, &a, error))
    return NULL;
  return one_to_json (out, (ToJson) app_to_json);
}

static gboolean
c_kill (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  Args *a = data;
  return weft_client_service_if_kill_application (client, a->auth, a->id, a->text, ex, error);
}

gboolean
weft_cli_rpc_kill_app (WeftCliRpc *rpc, const char *app_id, const char *why, GError **error)
{
  /* Killing twice leaves the same end state: safe to resend. */
  Args a = { rpc->auth, .id = app_id, .text = why ? why : "" };
  return call_rm (rpc, rpc->client, "kill_application", WEFT_RPC_IDEMPOTENT, c_kill, &a, error);
}

static gboolean
c_list_containers (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  Args *a = data;
  GPtrArray *out = a->out;
  g_ptr_array_set_size (out, 0);
  return weft_client_service_if_list_containers (client, &out, a->auth, a->id, ex, error);
}

JsonNode *
weft_cli_rpc_list_containers (WeftCliRpc *rpc, const char *app_id, GError **error)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func (g_object_unref);
  Args a = { rpc->auth, .id = app_id, .out = out };
  if (!call_rm (rpc, rpc->client, "list_containers", WEFT_RPC_IDEMPOTENT, c_list_containers, &a,
                error))
    return NULL;
  return array_to_json (out, (ToJson) container_to_json);
}

static gboolean
c_list_queues (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  Args *a = data;
  GPtrArray *out = a->out;
  g_ptr_array_set_size (out, 0);
  return weft_client_service_if_list_queues (client, &out, a->auth, ex, error);
}

JsonNode *
weft_cli_rpc_list_queues (WeftCliRpc *rpc, GError **error)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func (g_object_unref);
  Args a = { rpc->auth, .out = out };
  if (!call_rm (rpc, rpc->client, "list_queues", WEFT_RPC_IDEMPOTENT, c_list_queues, &a, error))
    return NULL;
  return array_to_json (out, (ToJson) queue_to_json);
}

static gboolean
c_metrics (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  Args *a = data;
  weftClusterMetrics *out = a->out;
  return weft_client_service_if_get_cluster_metrics (client, &out, a->auth, ex, error);
}

JsonNode *
weft_cli_rpc_cluster_metrics (WeftCliRpc *rpc, GError **error)
{
  g_autoptr(weftClusterMetrics) out = g_object_new (WEFT_TYPE_CLUSTER_METRICS, NULL);
  Args a = { rpc->auth, .out = out };
  if (!call_rm (rpc, rpc->client, "get_cluster_metrics", WEFT_RPC_IDEMPOTENT, c_metrics, &a,
                error))
    return NULL;
  return one_to_json (out, (ToJson) metrics_to_json);
}

static gboolean
c_decommission (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  Args *a = data;
  return weft_admin_service_if_decommission_node (client, a->auth, a->id, ex, error);
}

gboolean
weft_cli_rpc_decommission (WeftCliRpc *rpc, const char *node_id, GError **error)
{
  Args a = { rpc->auth, .id = node_id };
  GError *local = NULL;
  if (weft_rpc_client_call (rpc->admin, "decommission_node", WEFT_RPC_IDEMPOTENT, c_decommission,
                            &a, &local))
    return TRUE;
  map_error (error, local, "RM's admin service", weft_rpc_client_get_address (rpc->admin),
             "is weft-resourcemanager running? is rm.admin-port right? is WEFT_CONF_DIR set?");
  return FALSE;
}

/* ---- logs, from the container's NM ---- */

typedef struct {
  weftToken *auth;
  const char *container_id;
  weftLogFile file;
  gint64 offset;
  weftLogChunk *out;
} LogArgs;

/* One chunk per call: large enough that a log of a few MB takes a handful of calls, small enough
 * to stay far under rpc.max-message-size. */
#define LOG_CHUNK (1 << 20)

static gboolean
c_fetch_log (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  LogArgs *a = data;
  return weft_container_manager_if_fetch_log (client, &a->out, a->auth, a->container_id, a->file,
                                              a->offset, LOG_CHUNK, ex, error);
}

gboolean
weft_cli_rpc_fetch_log (WeftCliRpc *rpc, const char *node_id, const char *container_id,
                        const char *file, gint64 offset, GBytes **data, gint64 *next_offset,
                        gboolean *eof, GError **error)
{
  WeftRpcClient *c = g_hash_table_lookup (rpc->nms, node_id);
  if (c == NULL)
    {
      const char *colon = strrchr (node_id, ':');
      char *end = NULL;
      guint64 port = colon ? g_ascii_strtoull (colon + 1, &end, 10) : 0;
      if (colon == NULL || colon == node_id || end == colon + 1 || *end != '\0' || port == 0
          || port > 65535)
        {
          g_set_error (error, WEFT_CLI_ERROR, WEFT_CLI_ERROR_REFUSED,
                       "node id \"%s\" is not host:port: cannot reach its NM", node_id);
          return FALSE;
        }
      g_autofree char *host = g_strndup (node_id, (gsize) (colon - node_id));
      c = weft_rpc_client_new (host, (guint16) port, WEFT_TYPE_CONTAINER_MANAGER_CLIENT, &rpc->opts);
      g_hash_table_insert (rpc->nms, g_strdup (node_id), c);
    }
  g_autoptr(weftLogChunk) out = g_object_new (WEFT_TYPE_LOG_CHUNK, NULL);
  LogArgs a = { rpc->auth, container_id,
                g_strcmp0 (file, "stderr") == 0 ? WEFT_LOG_FILE_LOG_STDERR : WEFT_LOG_FILE_LOG_STDOUT,
                offset, out };
  GError *local = NULL;
  if (!weft_rpc_client_call (c, "fetch_log", WEFT_RPC_IDEMPOTENT, c_fetch_log, &a, &local))
    {
      map_error (error, local, "NM", node_id, "is weft-nodemanager running on that node?");
      return FALSE;
    }
  *data = out->data ? g_bytes_new (out->data->data, out->data->len) : g_bytes_new (NULL, 0);
  *next_offset = out->next_offset;
  *eof = out->eof;
  return TRUE;
}
