/* submit-rpc: weft-submit's calls to the RM. See submit-rpc.h. */
#include "submit-rpc.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "weft-rpc-client.h"
#include "weft-rpc-token.h"
#include "weft-rpc.h"
#include "weft_client_service.h"

/* Well under rpc.max-message-size (8m by default) with the frame around it, and large enough that
 * a driver binary of a few MB takes a handful of calls. */
#define CHUNK_BYTES (1024 * 1024)

/* Generated classes have no autoptr cleanup. */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (weftToken, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (weftNewApplication, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (weftApplicationSubmission, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (weftApplicationReport, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (weftStagedChunk, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (weftLocalResource, g_object_unref)

/* YARN's names, indexed by the IDL's numbers. */
static const char *const app_states[] = { NULL, "NEW", "SUBMITTED", "ACCEPTED", "RUNNING",
                                          "FINISHED", "FAILED", "KILLED" };
static const char *const final_states[] = { "UNDEFINED", "SUCCEEDED", "FAILED", "KILLED" };

static const char *
name_of (const char *const *table, gsize n, gint v)
{
  return v >= 0 && (gsize) v < n && table[v] ? table[v] : "UNKNOWN";
}

#define NAME(table, v) name_of ((table), G_N_ELEMENTS (table), (gint) (v))

void
submit_resource_free (SubmitResource *r)
{
  if (r == NULL)
    return;
  g_free (r->name);
  g_free (r->source);
  g_free (r->sha256);
  g_free (r);
}

void
submit_report_clear (SubmitReport *r)
{
  g_free (r->state);
  g_free (r->final_status);
  g_free (r->diagnostics);
  g_free (r->progress_detail);
  memset (r, 0, sizeof *r);
}

struct _SubmitClient {
  WeftRpcClient *rpc;
  weftToken *auth;
};

SubmitClient *
submit_client_new (const char *host, guint16 port, const WeftToken *token, WeftConf *conf)
{
  WeftRpcOptions opts;
  weft_rpc_options_from_conf (&opts, conf);
  SubmitClient *c = g_new0 (SubmitClient, 1);
  c->rpc = weft_rpc_client_new (host, port, WEFT_TYPE_CLIENT_SERVICE_CLIENT, &opts);
  c->auth = weft_rpc_token_to_wire (token);
  return c;
}

void
submit_client_free (SubmitClient *c)
{
  if (c == NULL)
    return;
  weft_rpc_client_free (c->rpc);
  g_object_unref (c->auth);
  g_free (c);
}

const char *
submit_client_address (SubmitClient *c)
{
  return weft_rpc_client_get_address (c->rpc);
}

/* A declared exception means the RM answered: REFUSED, with its code; anything else is the
 * transport. */
static gboolean
call (SubmitClient *c, const char *method, WeftRpcRetry retry, WeftRpcCallFunc func,
      gpointer data, GError **error)
{
  GError *local = NULL;
  if (weft_rpc_client_call (c->rpc, method, retry, func, data, &local))
    return TRUE;
  /* The message already names the code and the RM ("... (NOT_FOUND from 127.0.0.1:8032)"). */
  if (local->domain == WEFT_REMOTE_ERROR
      || g_error_matches (local, WEFT_RPC_ERROR, WEFT_RPC_ERROR_REMOTE))
    g_set_error (error, SUBMIT_ERROR, SUBMIT_ERROR_REFUSED, "%s", local->message);
  else
    g_set_error (error, SUBMIT_ERROR, SUBMIT_ERROR_UNREACHABLE,
                 "the RM is not reachable at %s: %s", weft_rpc_client_get_address (c->rpc),
                 local->message);
  g_error_free (local);
  return FALSE;
}

typedef struct {
  weftToken *auth;
  const char *id;
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
submit_client_new_application (SubmitClient *c, GError **error)
{
  g_autoptr(weftNewApplication) out = g_object_new (WEFT_TYPE_NEW_APPLICATION, NULL);
  Args a = { c->auth, .out = out };
  /* An id that was issued but never used costs the RM nothing: safe to resend. */
  if (!call (c, "new_application", WEFT_RPC_IDEMPOTENT, c_new_app, &a, error))
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
  SubmitClient *c;
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
  if (!call (u->c, "stage_chunk", WEFT_RPC_ONCE, c_stage_chunk, &a, error))
    return FALSE;
  g_checksum_update (u->sum, data, (gssize) len);
  u->offset += (gint64) len;
  return TRUE;
}

static SubmitResource *
upload_commit (Upload *u, gboolean executable, GError **error)
{
  g_autoptr(weftLocalResource) out = g_object_new (WEFT_TYPE_LOCAL_RESOURCE, NULL);
  Args a = { u->c->auth, .id = u->app_id, .name = u->name, .size = u->offset,
             .sha256 = g_checksum_get_string (u->sum), .executable = executable, .out = out };
  if (!call (u->c, "stage_commit", WEFT_RPC_ONCE, c_stage_commit, &a, error))
    return NULL;
  SubmitResource *r = g_new0 (SubmitResource, 1);
  r->name = g_strdup (out->name ? out->name : u->name);
  r->source = g_strdup (out->source ? out->source : "");
  r->size = out->size;
  r->sha256 = g_strdup (out->sha256 ? out->sha256 : "");
  r->executable = out->executable;
  return r;
}

SubmitResource *
submit_client_stage_bytes (SubmitClient *c, const char *app_id, GBytes *data, const char *name,
                           gboolean executable, GError **error)
{
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
        return g_prefix_error (error, "cannot stage %s: ", name), NULL;
      at += len;
    }
  while (at < n);
  SubmitResource *r = upload_commit (&u, executable, error);
  if (r == NULL)
    g_prefix_error (error, "cannot stage %s: ", name);
  return r;
}

SubmitResource *
submit_client_stage_file (SubmitClient *c, const char *app_id, const char *path,
                          const char *name, gboolean executable, GError **error)
{
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      int e = errno;
      g_set_error (error, SUBMIT_ERROR, SUBMIT_ERROR_FAILED, "cannot read %s: %s", path,
                   g_strerror (e));
      return NULL;
    }
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree guint8 *buf = g_malloc (CHUNK_BYTES);
  Upload u = { c, app_id, name, 0, sum };
  SubmitResource *r = NULL;
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
              g_set_error (error, SUBMIT_ERROR, SUBMIT_ERROR_FAILED, "cannot read %s: %s", path,
                           g_strerror (e));
              goto out;
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
          goto out;
        }
      if (len < CHUNK_BYTES)
        break;
    }
  r = upload_commit (&u, executable, error);
  if (r == NULL)
    g_prefix_error (error, "cannot stage %s as %s: ", path, name);
out:
  close (fd);
  return r;
}

/* ---- submission and reports ---- */

static gboolean
c_submit (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  Args *a = data;
  return weft_client_service_if_submit_application (client, a->auth, a->in, ex, error);
}

gboolean
submit_client_submit (SubmitClient *c, const char *app_id, const SubmitApplication *s,
                      GError **error)
{
  g_autoptr(weftApplicationSubmission) sub = g_object_new (
    WEFT_TYPE_APPLICATION_SUBMISSION, "application_id", app_id, "name", s->name,
    "queue", s->queue ? s->queue : "", "user", g_get_user_name (),
    "application_type", s->type, "max_attempts", s->max_attempts, NULL);
  sub->am_resource->vcores = s->am_vcores;
  sub->am_resource->memory_mb = s->am_memory_mb;
  for (guint i = 0; s->am_argv && s->am_argv[i]; i++)
    g_ptr_array_add (sub->am_launch->argv, g_strdup (s->am_argv[i]));
  if (s->am_env)
    {
      GHashTableIter it;
      gpointer k, v;
      g_hash_table_iter_init (&it, s->am_env);
      while (g_hash_table_iter_next (&it, &k, &v))
        g_hash_table_insert (sub->am_launch->env, g_strdup (k), g_strdup (v));
    }
  for (guint i = 0; s->resources && i < s->resources->len; i++)
    {
      const SubmitResource *r = s->resources->pdata[i];
      g_ptr_array_add (sub->am_launch->resources,
                       g_object_new (WEFT_TYPE_LOCAL_RESOURCE, "name", r->name, "source",
                                     r->source, "size", r->size, "sha256", r->sha256,
                                     "executable", r->executable, NULL));
    }
  Args a = { c->auth, .in = sub };
  /* A resend after a lost reply is refused as ALREADY_EXISTS, never a second application. */
  return call (c, "submit_application", WEFT_RPC_ONCE, c_submit, &a, error);
}

static gboolean
c_get_app (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  Args *a = data;
  weftApplicationReport *out = a->out;
  return weft_client_service_if_get_application (client, &out, a->auth, a->id, ex, error);
}

gboolean
submit_client_report (SubmitClient *c, const char *app_id, SubmitReport *out, GError **error)
{
  g_autoptr(weftApplicationReport) r = g_object_new (WEFT_TYPE_APPLICATION_REPORT, NULL);
  Args a = { c->auth, .id = app_id, .out = r };
  if (!call (c, "get_application", WEFT_RPC_IDEMPOTENT, c_get_app, &a, error))
    return FALSE;
  submit_report_clear (out);
  out->state = g_strdup (NAME (app_states, r->state));
  out->final_status = g_strdup (NAME (final_states, r->final_status));
  out->diagnostics = g_strdup (r->diagnostics ? r->diagnostics : "");
  out->progress = r->progress;
  out->progress_detail = g_strdup (r->__isset_progress_detail && r->progress_detail
                                   ? r->progress_detail : "");
  return TRUE;
}
