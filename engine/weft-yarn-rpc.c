/* weft-yarn-rpc: an application's calls to the RM and the NMs. See weft-yarn-rpc.h. */
#include "weft-yarn-rpc.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "weft-rpc-client.h"
#include "weft-rpc-token.h"
#include "weft_application_master_service.h"
#include "weft_client_service.h"
#include "weft_container_manager.h"

G_DEFINE_QUARK (weft-yarn-error-quark, weft_yarn_error)

/* Staged files go in chunks of this size: well under rpc.max-message-size (8m by default) with
 * the frame around it, and large enough that a driver binary of a few MB takes a handful of
 * calls. */
#define CHUNK_BYTES (1024 * 1024)

/* Generated classes have no autoptr cleanup. */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (weftToken, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (weftNewApplication, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (weftApplicationSubmission, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (weftApplicationReport, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (weftStagedChunk, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (weftLocalResource, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (weftRegisterAmRequest, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (weftRegisterAmResponse, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (weftAllocateRequest, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (weftAllocateResponse, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (weftFinishAmRequest, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (weftStartContainersResponse, g_object_unref)

/* YARN's names, indexed by the IDL's numbers. */
static const char *const app_states[] = { NULL, "NEW", "SUBMITTED", "ACCEPTED", "RUNNING",
                                          "FINISHED", "FAILED", "KILLED" };
static const char *const final_states[] = { "UNDEFINED", "SUCCEEDED", "FAILED", "KILLED" };
static const char *const exit_reasons[] = {
  "NONE", "SUCCEEDED", "FAILED", "KILLED_BY_AM", "KILLED_BY_RM", "MEMORY_EXCEEDED", "NODE_LOST",
  "PREEMPTED", "LAUNCH_FAILED", "EXPIRED", "KILLED_AFTER_APP_COMPLETION",
};

static const char *
name_of (const char *const *table, gsize n, gint v)
{
  return v >= 0 && (gsize) v < n && table[v] ? table[v] : "UNKNOWN";
}

#define NAME(table, v) name_of ((table), G_N_ELEMENTS (table), (gint) (v))

int
weft_yarn_exit_status (const GError *error)
{
  if (error->domain == WEFT_CONF_ERROR
      || g_error_matches (error, WEFT_YARN_ERROR, WEFT_YARN_ERROR_USAGE))
    return 2;
  if (g_error_matches (error, WEFT_YARN_ERROR, WEFT_YARN_ERROR_UNREACHABLE))
    return 3;
  return 1;
}

gboolean
weft_yarn_split_address (const char *address, char **host, guint16 *port, GError **error)
{
  const char *colon = address ? strrchr (address, ':') : NULL;
  char *end = NULL;
  guint64 p = colon ? g_ascii_strtoull (colon + 1, &end, 10) : 0;
  if (colon == NULL || colon == address || end == colon + 1 || *end != '\0' || p == 0 || p > 65535)
    {
      g_set_error (error, WEFT_YARN_ERROR, WEFT_YARN_ERROR_USAGE, "\"%s\" is not host:port",
                   address ? address : "");
      return FALSE;
    }
  *host = g_strndup (address, (gsize) (colon - address));
  *port = (guint16) p;
  return TRUE;
}

void
weft_yarn_resource_clear (WeftYarnResource *r)
{
  g_free (r->name);
  g_free (r->source);
  g_free (r->sha256);
  memset (r, 0, sizeof *r);
}

/* Fills a launch spec (an AM's or a container's): what to run, its environment and the files
 * to localize first. */
static void
launch_fill (weftLaunchSpec *l, const char *const *argv, GHashTable *env,
             const WeftYarnResource *resources, guint n_resources)
{
  for (guint i = 0; argv && argv[i]; i++)
    g_ptr_array_add (l->argv, g_strdup (argv[i]));
  if (env)
    {
      GHashTableIter it;
      gpointer k, v;
      g_hash_table_iter_init (&it, env);
      while (g_hash_table_iter_next (&it, &k, &v))
        g_hash_table_insert (l->env, g_strdup (k), g_strdup (v));
    }
  for (guint i = 0; i < n_resources; i++)
    g_ptr_array_add (l->resources,
                     g_object_new (WEFT_TYPE_LOCAL_RESOURCE, "name", resources[i].name, "source",
                                   resources[i].source, "size", resources[i].size, "sha256",
                                   resources[i].sha256, "executable", resources[i].executable,
                                   NULL));
}

/* A declared exception means the peer answered: REFUSED; anything else is the transport. */
static gboolean
call (WeftRpcClient *c, const char *method, WeftRpcRetry retry, WeftRpcCallFunc func,
      gpointer data, const char *who, GError **error)
{
  GError *local = NULL;
  if (weft_rpc_client_call (c, method, retry, func, data, &local))
    return TRUE;
  if (local->domain == WEFT_REMOTE_ERROR
      || g_error_matches (local, WEFT_RPC_ERROR, WEFT_RPC_ERROR_REMOTE))
    g_set_error (error, WEFT_YARN_ERROR, WEFT_YARN_ERROR_REFUSED, "%s", local->message);
  else
    g_set_error (error, WEFT_YARN_ERROR, WEFT_YARN_ERROR_UNREACHABLE, "the %s is not reachable at %s: %s",
                 who, weft_rpc_client_get_address (c), local->message);
  g_error_free (local);
  return FALSE;
}

/* ---- client ---- */

struct _WeftYarnClient {
  WeftRpcClient *rpc;
  weftToken *auth;
};

void
weft_yarn_app_report_clear (WeftYarnAppReport *r)
{
  g_free (r->state);
  g_free (r->final_status);
  g_free (r->diagnostics);
  g_free (r->queue);
  g_free (r->am_host);
  g_free (r->tracking_url);
  g_free (r->progress_detail);
  g_free (r->am_token);
  memset (r, 0, sizeof *r);
}

WeftYarnClient *
weft_yarn_client_new (const char *host, guint16 port, const WeftToken *token,
                   const WeftRpcOptions *opts)
{
  WeftYarnClient *c = g_new0 (WeftYarnClient, 1);
  c->rpc = weft_rpc_client_new (host, port, WEFT_TYPE_CLIENT_SERVICE_CLIENT, opts);
  c->auth = weft_rpc_token_to_wire (token);
  return c;
}

void
weft_yarn_client_free (WeftYarnClient *c)
{
  if (c == NULL)
    return;
  weft_rpc_client_free (c->rpc);
  g_object_unref (c->auth);
  g_free (c);
}

typedef struct {
  weftToken *auth;
  const char *id;
  const char *text;
  const char *name;
  gint64 size;
  const char *sha256;
  gboolean executable;
  gpointer in;
  gpointer out;
} Args;

static gboolean
c_new_app (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  Args *a = data;
  weftNewApplication *out = a->out;
  return weft_client_service_if_new_application (client, &out, a->auth, ex, error);
}

char *
weft_yarn_client_new_application (WeftYarnClient *c, GError **error)
{
  g_autoptr(weftNewApplication) out = g_object_new (WEFT_TYPE_NEW_APPLICATION, NULL);
  Args a = { c->auth, .out = out };
  /* An id that was issued but never used costs the RM nothing: safe to resend. */
  if (!call (c->rpc, "new_application", WEFT_RPC_IDEMPOTENT, c_new_app, &a, "RM", error))
    return NULL;
  return g_strdup (out->application_id);
}

/* ---- staging ---- */

static gboolean
c_stage_chunk (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  Args *a = data;
  return weft_client_service_if_stage_chunk (client, a->auth, a->in, ex, error);
}

static gboolean
c_stage_commit (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  Args *a = data;
  weftLocalResource *out = a->out;
  return weft_client_service_if_stage_commit (client, &out, a->auth, a->id, a->name, a->size,
                                              a->sha256, a->executable, ex, error);
}

/* One upload: chunks at increasing offsets, summed as they go. */
typedef struct {
  WeftYarnClient *c;
  const char *app_id;
  const char *name;
  gint64 offset;
  GChecksum *sum;
} Upload;

static gboolean
upload_chunk (Upload *u, const guint8 *data, gsize len, GError **error)
{
  g_autoptr(weftStagedChunk) chunk = g_object_new (WEFT_TYPE_STAGED_CHUNK,
                                                   "application_id", u->app_id, "name", u->name,
                                                   "offset", u->offset, NULL);
  if (chunk->data)
    g_byte_array_unref (chunk->data);
  chunk->data = g_byte_array_sized_new ((guint) len);
  if (len)
    g_byte_array_append (chunk->data, data, (guint) len);
  Args a = { u->c->auth, .in = chunk };
  /* Not resent: the RM takes chunks only in order, so a resent one after a lost reply would
   * be refused anyway; the whole upload fails instead. */
  if (!call (u->c->rpc, "stage_chunk", WEFT_RPC_ONCE, c_stage_chunk, &a, "RM", error))
    return FALSE;
  g_checksum_update (u->sum, data, (gssize) len);
  u->offset += (gint64) len;
  return TRUE;
}

static gboolean
upload_commit (Upload *u, gboolean executable, WeftYarnResource *out, GError **error)
{
  g_autoptr(weftLocalResource) r = g_object_new (WEFT_TYPE_LOCAL_RESOURCE, NULL);
  Args a = { u->c->auth, .id = u->app_id, .name = u->name, .size = u->offset,
             .sha256 = g_checksum_get_string (u->sum), .executable = executable, .out = r };
  if (!call (u->c->rpc, "stage_commit", WEFT_RPC_ONCE, c_stage_commit, &a, "RM", error))
    return FALSE;
  out->name = g_strdup (r->name ? r->name : u->name);
  out->source = g_strdup (r->source ? r->source : "");
  out->size = r->size;
  out->sha256 = g_strdup (r->sha256 ? r->sha256 : "");
  out->executable = r->executable;
  return TRUE;
}

gboolean
weft_yarn_client_stage_bytes (WeftYarnClient *c, const char *app_id, GBytes *data,
                              const char *name, gboolean executable, WeftYarnResource *out,
                              GError **error)
{
  memset (out, 0, sizeof *out);
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  Upload u = { c, app_id, name, 0, sum };
  gsize n = 0;
  const guint8 *p = g_bytes_get_data (data, &n);
  /* At least one chunk, even empty: the RM commits only what was started. */
  gsize at = 0;
  do
    {
      gsize len = MIN (n - at, (gsize) CHUNK_BYTES);
      if (!upload_chunk (&u, p + at, len, error))
        return g_prefix_error (error, "cannot stage %s: ", name), FALSE;
      at += len;
    }
  while (at < n);
  if (!upload_commit (&u, executable, out, error))
    return g_prefix_error (error, "cannot stage %s: ", name), FALSE;
  return TRUE;
}

gboolean
weft_yarn_client_stage_file (WeftYarnClient *c, const char *app_id, const char *path,
                             const char *name, gboolean executable, WeftYarnResource *out,
                             GError **error)
{
  memset (out, 0, sizeof *out);
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      int e = errno;
      g_set_error (error, WEFT_YARN_ERROR, WEFT_YARN_ERROR_FAILED, "cannot read %s: %s", path,
                   g_strerror (e));
      return FALSE;
    }
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree guint8 *buf = g_malloc (CHUNK_BYTES);
  Upload u = { c, app_id, name, 0, sum };
  gboolean ok = FALSE;
  gboolean first = TRUE;
  for (;;)
    {
      /* Fill a whole chunk (short reads happen on pipes and some file systems). */
      gsize len = 0;
      while (len < CHUNK_BYTES)
        {
          ssize_t n = read (fd, buf + len, CHUNK_BYTES - len);
          if (n < 0 && errno == EINTR)
            continue;
          if (n < 0)
            {
              int e = errno;
              g_set_error (error, WEFT_YARN_ERROR, WEFT_YARN_ERROR_FAILED, "cannot read %s: %s",
                           path, g_strerror (e));
              goto done;
            }
          if (n == 0)
            break;
          len += (gsize) n;
        }
      if (len == 0 && !first)
        break;
      first = FALSE;
      if (!upload_chunk (&u, buf, len, error))
        {
          g_prefix_error (error, "cannot stage %s as %s: ", path, name);
          goto done;
        }
      if (len < CHUNK_BYTES)
        break;
    }
  ok = upload_commit (&u, executable, out, error);
  if (!ok)
    g_prefix_error (error, "cannot stage %s as %s: ", path, name);
done:
  close (fd);
  return ok;
}

static gboolean
c_submit (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  Args *a = data;
  return weft_client_service_if_submit_application (client, a->auth, a->in, ex, error);
}

gboolean
weft_yarn_client_submit (WeftYarnClient *c, const char *app_id, const WeftYarnSubmission *s,
                      GError **error)
{
  g_autoptr(weftApplicationSubmission) sub = g_object_new (
    WEFT_TYPE_APPLICATION_SUBMISSION, "application_id", app_id, "name", s->name,
    "queue", s->queue ? s->queue : "", "user", g_get_user_name (),
    "application_type", s->type ? s->type : "DSHELL", "max_attempts", s->max_attempts, NULL);
  if (s->unmanaged)
    {
      sub->unmanaged_am = TRUE;
      sub->__isset_unmanaged_am = TRUE;
    }
  sub->am_resource->vcores = s->am_vcores;
  sub->am_resource->memory_mb = s->am_memory_mb;
  launch_fill (sub->am_launch, s->am_argv, s->am_env, s->am_resources, s->n_am_resources);
  Args a = { c->auth, .in = sub };
  /* A resend after a lost reply is refused as ALREADY_EXISTS, never a second application. */
  return call (c->rpc, "submit_application", WEFT_RPC_ONCE, c_submit, &a, "RM", error);
}

static gboolean
c_get_app (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  Args *a = data;
  weftApplicationReport *out = a->out;
  return weft_client_service_if_get_application (client, &out, a->auth, a->id, ex, error);
}

gboolean
weft_yarn_client_get_app (WeftYarnClient *c, const char *app_id, WeftYarnAppReport *out, GError **error)
{
  g_autoptr(weftApplicationReport) r = g_object_new (WEFT_TYPE_APPLICATION_REPORT, NULL);
  Args a = { c->auth, .id = app_id, .out = r };
  if (!call (c->rpc, "get_application", WEFT_RPC_IDEMPOTENT, c_get_app, &a, "RM", error))
    return FALSE;
  weft_yarn_app_report_clear (out);
  out->state = g_strdup (NAME (app_states, r->state));
  out->final_status = g_strdup (NAME (final_states, r->final_status));
  out->diagnostics = g_strdup (r->diagnostics ? r->diagnostics : "");
  out->queue = g_strdup (r->queue ? r->queue : "");
  out->am_host = g_strdup (r->am_host ? r->am_host : "");
  out->tracking_url = g_strdup (r->tracking_url ? r->tracking_url : "");
  out->progress = r->progress;
  out->progress_detail = g_strdup (r->__isset_progress_detail && r->progress_detail
                                   ? r->progress_detail : "");
  if (r->__isset_am_token && r->am_token)
    {
      g_autoptr(WeftToken) t = weft_rpc_token_from_wire (r->am_token);
      out->am_token = t ? weft_token_encode (t) : NULL;
    }
  return TRUE;
}

static gboolean
c_kill (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  Args *a = data;
  return weft_client_service_if_kill_application (client, a->auth, a->id, a->text, ex, error);
}

gboolean
weft_yarn_client_kill (WeftYarnClient *c, const char *app_id, const char *why, GError **error)
{
  Args a = { c->auth, .id = app_id, .text = why };
  return call (c->rpc, "kill_application", WEFT_RPC_IDEMPOTENT, c_kill, &a, "RM", error);
}

/* ---- application master ---- */

struct _WeftYarnAm {
  WeftRpcClient *rpc;
  WeftRpcOptions opts;
  weftToken *auth;
  gint64 response_id;
  GHashTable *nms;  /* node id -> WeftRpcClient* */
};

void
weft_yarn_container_free (WeftYarnContainer *c)
{
  if (c == NULL)
    return;
  g_free (c->container_id);
  g_free (c->node_id);
  weft_token_free (c->token);
  g_free (c);
}

void
weft_yarn_status_free (WeftYarnStatus *s)
{
  if (s == NULL)
    return;
  g_free (s->container_id);
  g_free (s->reason);
  g_free (s->diagnostics);
  g_free (s);
}

WeftYarnAm *
weft_yarn_am_new (const char *host, guint16 port, const WeftToken *am_token,
               const WeftRpcOptions *opts)
{
  WeftYarnAm *am = g_new0 (WeftYarnAm, 1);
  am->opts = *opts;
  am->rpc = weft_rpc_client_new (host, port, WEFT_TYPE_APPLICATION_MASTER_SERVICE_CLIENT, opts);
  am->auth = weft_rpc_token_to_wire (am_token);
  am->nms = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                   (GDestroyNotify) weft_rpc_client_free);
  return am;
}

void
weft_yarn_am_free (WeftYarnAm *am)
{
  if (am == NULL)
    return;
  weft_rpc_client_free (am->rpc);
  g_object_unref (am->auth);
  g_hash_table_unref (am->nms);
  g_free (am);
}

static gboolean
c_register (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  Args *a = data;
  weftRegisterAmResponse *out = a->out;
  return weft_application_master_service_if_register_am (client, &out, a->auth, a->in, ex, error);
}

gboolean
weft_yarn_am_register (WeftYarnAm *am, const char *host, GError **error)
{
  g_autoptr(weftRegisterAmRequest) req = g_object_new (WEFT_TYPE_REGISTER_AM_REQUEST, "host", host,
                                                       "rpc_port", 0, "tracking_url", "", NULL);
  g_autoptr(weftRegisterAmResponse) out = g_object_new (WEFT_TYPE_REGISTER_AM_RESPONSE, NULL);
  Args a = { am->auth, .in = req, .out = out };
  return call (am->rpc, "register_am", WEFT_RPC_IDEMPOTENT, c_register, &a, "RM's scheduler",
               error);
}

static gboolean
c_allocate (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  Args *a = data;
  weftAllocateResponse *out = a->out;
  g_ptr_array_set_size (out->allocated, 0);
  g_ptr_array_set_size (out->completed, 0);
  g_ptr_array_set_size (out->updated_nodes, 0);
  return weft_application_master_service_if_allocate (client, &out, a->auth, a->in, ex, error);
}

gboolean
weft_yarn_am_allocate (WeftYarnAm *am, guint ask_count, gint32 vcores, gint64 memory_mb,
                    const char *const *releases, double progress, const char *detail,
                    gint64 max_wait_ms,
                    GPtrArray **allocated, GPtrArray **completed, GError **error)
{
  g_autoptr(weftAllocateRequest) req = g_object_new (WEFT_TYPE_ALLOCATE_REQUEST,
                                                     "response_id", am->response_id,
                                                     "progress", progress,
                                                     "max_wait_ms", max_wait_ms, NULL);
  if (detail)
    {
      g_free (req->progress_detail);
      req->progress_detail = g_strdup (detail);
      req->__isset_progress_detail = TRUE;
    }
  if (ask_count > 0)
    {
      weftResourceRequest *ask = g_object_new (WEFT_TYPE_RESOURCE_REQUEST, "priority", 1,
                                               "resource_name", "*",
                                               "num_containers", (gint) ask_count,
                                               "relax_locality", TRUE, NULL);
      ask->capability->vcores = vcores;
      ask->capability->memory_mb = memory_mb;
      g_ptr_array_add (req->asks, ask);
    }
  for (guint i = 0; releases && releases[i]; i++)
    g_ptr_array_add (req->releases, g_strdup (releases[i]));
  g_autoptr(weftAllocateResponse) out = g_object_new (WEFT_TYPE_ALLOCATE_RESPONSE, NULL);
  Args a = { am->auth, .in = req, .out = out };
  /* Not resent: a lost answer would lose the containers it granted. */
  if (!call (am->rpc, "allocate", WEFT_RPC_ONCE, c_allocate, &a, "RM's scheduler", error))
    return FALSE;
  am->response_id = out->response_id;
  *allocated = g_ptr_array_new_with_free_func ((GDestroyNotify) weft_yarn_container_free);
  for (guint i = 0; i < out->allocated->len; i++)
    {
      const weftContainer *w = out->allocated->pdata[i];
      WeftYarnContainer *c = g_new0 (WeftYarnContainer, 1);
      c->container_id = g_strdup (w->container_id ? w->container_id : "");
      c->node_id = g_strdup (w->node_id ? w->node_id : "");
      c->token = weft_rpc_token_from_wire (w->container_token);
      g_ptr_array_add (*allocated, c);
    }
  *completed = g_ptr_array_new_with_free_func ((GDestroyNotify) weft_yarn_status_free);
  for (guint i = 0; i < out->completed->len; i++)
    {
      const weftContainerStatus *w = out->completed->pdata[i];
      WeftYarnStatus *s = g_new0 (WeftYarnStatus, 1);
      s->container_id = g_strdup (w->container_id ? w->container_id : "");
      s->reason = g_strdup (NAME (exit_reasons, w->reason));
      s->exit_code = w->exit_code;
      s->diagnostics = g_strdup (w->diagnostics ? w->diagnostics : "");
      g_ptr_array_add (*completed, s);
    }
  return TRUE;
}

static gboolean
c_finish (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  Args *a = data;
  return weft_application_master_service_if_finish_am (client, a->auth, a->in, ex, error);
}

gboolean
weft_yarn_am_finish (WeftYarnAm *am, gboolean succeeded, const char *diagnostics, GError **error)
{
  g_autoptr(weftFinishAmRequest) req = g_object_new (
    WEFT_TYPE_FINISH_AM_REQUEST,
    "final_status", succeeded ? WEFT_FINAL_STATUS_FINAL_SUCCEEDED : WEFT_FINAL_STATUS_FINAL_FAILED,
    "diagnostics", diagnostics ? diagnostics : "", "tracking_url", "", NULL);
  Args a = { am->auth, .in = req };
  return call (am->rpc, "finish_am", WEFT_RPC_IDEMPOTENT, c_finish, &a, "RM's scheduler", error);
}

static gboolean
c_start (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  Args *a = data;
  weftStartContainersResponse *out = a->out;
  return weft_container_manager_if_start_containers (client, &out, a->auth, a->in, ex, error);
}

gboolean
weft_yarn_am_start_container (WeftYarnAm *am, const WeftYarnContainer *c, const char *const *argv,
                              GHashTable *env, const WeftYarnResource *resources,
                              guint n_resources, GError **error)
{
  WeftRpcClient *nm = g_hash_table_lookup (am->nms, c->node_id);
  if (nm == NULL)
    {
      g_autofree char *host = NULL;
      guint16 port = 0;
      if (!weft_yarn_split_address (c->node_id, &host, &port, error))
        {
          g_prefix_error (error, "container %s: node id ", c->container_id);
          return FALSE;
        }
      nm = weft_rpc_client_new (host, port, WEFT_TYPE_CONTAINER_MANAGER_CLIENT, &am->opts);
      g_hash_table_insert (am->nms, g_strdup (c->node_id), nm);
    }
  /* The container token is both the call's credential and the request's. */
  g_autoptr(weftToken) auth = weft_rpc_token_to_wire (c->token);
  weftStartContainerRequest *req = g_object_new (WEFT_TYPE_START_CONTAINER_REQUEST, NULL);
  weft_rpc_token_fill (req->container_token, c->token);
  launch_fill (req->launch, argv, env, resources, n_resources);
  g_autoptr(GPtrArray) reqs = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (reqs, req);
  g_autoptr(weftStartContainersResponse) out = g_object_new (WEFT_TYPE_START_CONTAINERS_RESPONSE,
                                                             NULL);
  Args a = { auth, .in = reqs, .out = out };
  g_autofree char *who = g_strdup_printf ("NM of %s", c->container_id);
  /* A container token starts one container once: never resent. */
  if (!call (nm, "start_containers", WEFT_RPC_ONCE, c_start, &a, who, error))
    return FALSE;
  if (out->failed && out->failed->len > 0)
    {
      const weftContainerFailure *f = out->failed->pdata[0];
      g_set_error (error, WEFT_YARN_ERROR, WEFT_YARN_ERROR_REFUSED, "%s refused to start %s: %s (%s)",
                   c->node_id, c->container_id, f->message ? f->message : "",
                   weft_rpc_error_code_name (f->code));
      return FALSE;
    }
  return TRUE;
}
