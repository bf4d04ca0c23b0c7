/* nm-rpc: the ContainerManager handler. See nm-rpc.h. */
#include "nm-rpc.h"

#include "weft-dispatch.h"
#include "weft-nm-error.h"
#include "weft-fs.h"
#include "weft-rpc-client.h"
#include "weft-rpc-token.h"
#include "weft_client_service.h"
#include "weft_container_manager.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

G_STATIC_ASSERT ((int) NM_EXIT_KILLED_AFTER_APP_COMPLETION
                 == (int) WEFT_EXIT_REASON_EXIT_KILLED_AFTER_APP_COMPLETION);
G_STATIC_ASSERT ((int) NM_EXIT_LAUNCH_FAILED == (int) WEFT_EXIT_REASON_EXIT_LAUNCH_FAILED);
G_STATIC_ASSERT ((int) NM_STATE_COMPLETE == (int) WEFT_CONTAINER_STATE_CONTAINER_COMPLETE);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (weftContainerManagerHandler, g_object_unref)
#define NM_TYPE_CM_HANDLER (nm_cm_handler_get_type ())
G_DECLARE_FINAL_TYPE (NmCmHandler, nm_cm_handler, NM, CM_HANDLER, weftContainerManagerHandler)
struct _NmCmHandler { weftContainerManagerHandler parent; NmRpc *rpc; };
G_DEFINE_TYPE (NmCmHandler, nm_cm_handler, WEFT_TYPE_CONTAINER_MANAGER_HANDLER)


static weftErrorCode
code_for (const GError *e)
{
  if (e->domain == WEFT_TOKEN_ERROR)
    return WEFT_ERROR_CODE_PERMISSION_DENIED;
  if (e->domain == WEFT_NM_ERROR)
    return e->code == WEFT_NM_ERROR_NOT_FOUND ? WEFT_ERROR_CODE_NOT_FOUND
           : e->code == WEFT_NM_ERROR_INVALID ? WEFT_ERROR_CODE_PERMISSION_DENIED
                                              : WEFT_ERROR_CODE_INTERNAL;
  return WEFT_ERROR_CODE_INTERNAL;
}

/* Starting needs each container's own token (nm_node_start_container);
 * stop, status and logs need nm_node_authorize(): a container token of the
 * same application (its AM) or a client token (the CLI). */

typedef struct {
  NmRpc *rpc;
  const GPtrArray *requests;
  GPtrArray *localized;        /* per request: a folder of fetched files, or NULL */
  GPtrArray *refused;          /* per request: why it failed before starting, or NULL */
  weftStartContainersResponse *out;
} StartCall;

static void
add_failure (weftStartContainersResponse *out, const char *id, weftErrorCode code, const char *msg)
{
  g_ptr_array_add (out->failed, g_object_new (WEFT_TYPE_CONTAINER_FAILURE, "container_id", id,
                                              "code", (gint) code, "message", msg, NULL));
}

static void
do_start (gpointer data)
{
  StartCall *c = data;
  for (guint i = 0; c->requests && i < c->requests->len; i++)
    {
      const weftStartContainerRequest *r = c->requests->pdata[i];
      g_autoptr(WeftToken) tok = weft_rpc_token_from_wire (r->container_token);
      g_auto (GStrv) f = tok ? weft_token_identifier_parse (tok->identifier, NULL) : NULL;
      const char *id = f && g_strv_length (f) > 1 ? f[1] : "";
      if (c->refused->pdata[i] != NULL)
        {
          add_failure (c->out, id, WEFT_ERROR_CODE_PERMISSION_DENIED, c->refused->pdata[i]);
          continue;
        }
      g_autofree char **argv = g_new0 (char *, (r->launch && r->launch->argv ? r->launch->argv->len : 0) + 1);
      for (guint k = 0; r->launch && r->launch->argv && k < r->launch->argv->len; k++)
        argv[k] = r->launch->argv->pdata[k];
      GError *error = NULL;
      g_autofree char *cid = nm_node_start_container (c->rpc->node, tok, (const char *const *) argv,
                                                      r->launch ? r->launch->env : NULL,
                                                      c->localized->pdata[i], &error);
      if (cid)
        g_ptr_array_add (c->out->started, g_strdup (cid));
      else
        {
          g_message ("%s", error->message);
          add_failure (c->out, id, code_for (error), error->message);
          g_error_free (error);
        }
    }
}

/* ---- localization: on the RPC worker thread, before the main context
 * starts the container, so a slow RM never stalls the NM's loop ---- */

typedef struct { weftToken *auth; const char *app, *name; gint64 offset; GByteArray *out; } FetchArgs;

static gboolean
call_fetch (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  FetchArgs *a = data;
  return weft_client_service_if_fetch_staged (WEFT_CLIENT_SERVICE_IF (client), &a->out, a->auth,
                                              a->app, a->name, a->offset, 4 << 20, ex, error);
}

static gboolean
name_ok (const char *name)
{
  gsize n = name ? strlen (name) : 0;
  if (n == 0 || n > 128 || name[0] == '.')
    return FALSE;
  for (const char *p = name; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '.' && *p != '_' && *p != '-')
      return FALSE;
  return TRUE;
}

static gboolean
fetch_one (WeftRpcClient *client, const weftToken *auth, const char *app,
           const weftLocalResource *r, const char *dir, GError **error)
{
  g_autofree char *prefix = g_strdup_printf ("staging:%s/", app);
  if (!name_ok (r->name) || r->source == NULL || !g_str_has_prefix (r->source, prefix)
      || !name_ok (r->source + strlen (prefix)) || r->size < 0)
    {
      g_set_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_INVALID,
                   "resource \"%s\" from \"%s\" is not a file staged for %s", r->name ? r->name : "",
                   r->source ? r->source : "", app);
      return FALSE;
    }
  const char *staged = r->source + strlen (prefix);
  g_autofree char *path = g_build_filename (dir, r->name, NULL);
  int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, r->executable ? 0755 : 0644);
  if (fd < 0)
    {
      int e = errno;
      g_set_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_IO, "cannot create %s: %s", path, g_strerror (e));
      return FALSE;
    }
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  gint64 have = 0;
  gboolean ok = TRUE;
  while (ok && have < r->size)
    {
      FetchArgs a = { (weftToken *) auth, app, staged, have, NULL };
      ok = weft_rpc_client_call (client, "fetch_staged", WEFT_RPC_IDEMPOTENT, call_fetch, &a, error);
      if (ok && (a.out == NULL || a.out->len == 0))
        {
          g_set_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_IO, "%s ended after %" G_GINT64_FORMAT
                       " of %" G_GINT64_FORMAT " bytes", r->source, have, r->size);
          ok = FALSE;
        }
      if (ok && write (fd, a.out->data, a.out->len) != (ssize_t) a.out->len)
        {
          int e = errno;
          g_set_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_IO, "cannot write %s: %s", path,
                       g_strerror (e));
          ok = FALSE;
        }
      if (ok)
        {
          g_checksum_update (sum, a.out->data, a.out->len);
          have += a.out->len;
        }
      if (a.out)
        g_byte_array_unref (a.out);
    }
  close (fd);
  if (ok && (have != r->size
             || g_ascii_strcasecmp (g_checksum_get_string (sum), r->sha256 ? r->sha256 : "") != 0))
    {
      g_set_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_IO,
                   "%s arrived corrupt: %" G_GINT64_FORMAT " bytes with SHA-256 %s, expected %"
                   G_GINT64_FORMAT " bytes with %s", r->source, have, g_checksum_get_string (sum),
                   r->size, r->sha256 ? r->sha256 : "(none)");
      ok = FALSE;
    }
  return ok;
}


/* Fetches @r's resources into a new folder; returns it, or NULL with @error. */
static char *
localize (NmRpc *rpc, const weftStartContainerRequest *r, GError **error)
{
  g_autoptr(WeftToken) tok = weft_rpc_token_from_wire (r->container_token);
  g_auto (GStrv) f = NULL;
  if (rpc->secret)
    f = weft_token_check (rpc->secret, tok, "container", 6, g_get_real_time () / 1000, error);
  else if (tok)
    f = weft_token_identifier_parse (tok->identifier, error);
  if (f == NULL || g_strv_length (f) != 6)
    {
      if (error && *error == NULL)
        g_set_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_INVALID, "no readable container token");
      g_prefix_error (error, "container refused: ");
      return NULL;
    }
  g_autofree char *tmpl = g_build_filename (rpc->work_dir, ".localize-XXXXXX", NULL);
  if (g_mkdtemp (tmpl) == NULL)
    {
      int e = errno;
      g_set_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_IO, "cannot create a folder in %s: %s",
                   rpc->work_dir, g_strerror (e));
      return NULL;
    }
  g_autoptr(WeftRpcClient) client = weft_rpc_client_new (rpc->rm_host, rpc->rm_client_port,
                                                         WEFT_TYPE_CLIENT_SERVICE_CLIENT, &rpc->opts);
  for (guint i = 0; i < r->launch->resources->len; i++)
    {
      const weftLocalResource *lr = r->launch->resources->pdata[i];
      if (!fetch_one (client, r->container_token, f[2], lr, tmpl, error))
        {
          g_prefix_error (error, "localizing %s for %s failed: ", lr->name ? lr->name : "?", f[1]);
          weft_fs_remove_tree (tmpl, NULL);
          return NULL;
        }
    }
  return g_steal_pointer (&tmpl);
}

static gboolean
h_start_containers (weftContainerManagerIf *iface, weftStartContainersResponse **ret,
                    const weftToken *auth, const GPtrArray *requests, weftWeftException **err,
                    GError **error)
{
  NmRpc *rpc = NM_CM_HANDLER (iface)->rpc;
  StartCall c = { rpc, requests, g_ptr_array_new_with_free_func (g_free),
                  g_ptr_array_new_with_free_func (g_free), *ret };
  for (guint i = 0; requests && i < requests->len; i++)
    {
      const weftStartContainerRequest *r = requests->pdata[i];
      char *dir = NULL, *why = NULL;
      if (r->launch && r->launch->resources && r->launch->resources->len > 0)
        {
          GError *e = NULL;
          dir = localize (rpc, r, &e);
          if (dir == NULL)
            {
              why = g_strdup (e->message);
              g_message ("%s", e->message);
              g_error_free (e);
            }
        }
      g_ptr_array_add (c.localized, dir);
      g_ptr_array_add (c.refused, why);
    }
  weft_dispatch_call (rpc->context, do_start, &c);
  g_ptr_array_unref (c.localized);
  g_ptr_array_unref (c.refused);
  return TRUE;
}

typedef struct {
  NmRpc *rpc;
  const GPtrArray *ids;
  gpointer out;
  const weftToken *auth;
  const char *id;
  gboolean is_stderr;
  gint64 offset;
  gint32 max;
  GError *error;
} Call;

static void
do_stop (gpointer data)
{
  Call *c = data;
  weftStopContainersResponse *out = c->out;
  g_autoptr(WeftToken) tok = weft_rpc_token_from_wire (c->auth);
  for (guint i = 0; c->ids && i < c->ids->len; i++)
    {
      const char *id = c->ids->pdata[i];
      GError *e = NULL;
      if (nm_node_authorize (c->rpc->node, tok, id, &e)
          && nm_node_stop_container (c->rpc->node, id, NM_EXIT_KILLED_BY_AM,
                                  "Container stopped by its application master", &e))
        g_ptr_array_add (out->stopped, g_strdup (id));
      else
        {
          g_ptr_array_add (out->failed, g_object_new (WEFT_TYPE_CONTAINER_FAILURE, "container_id", id,
                                                      "code", (gint) code_for (e), "message",
                                                      e->message, NULL));
          g_error_free (e);
        }
    }
}

static gboolean
h_stop_containers (weftContainerManagerIf *iface, weftStopContainersResponse **ret,
                   const weftToken *auth, const GPtrArray *container_ids, weftWeftException **err,
                   GError **error)
{
  NmRpc *rpc = NM_CM_HANDLER (iface)->rpc;
  Call c = { rpc, container_ids, *ret, auth };
  weft_dispatch_call (rpc->context, do_stop, &c);
  return TRUE;
}

static void
do_statuses (gpointer data)
{
  Call *c = data;
  GPtrArray *out = c->out;
  g_autoptr(WeftToken) tok = weft_rpc_token_from_wire (c->auth);
  for (guint i = 0; c->ids && i < c->ids->len; i++)
    {
      if (!nm_node_authorize (c->rpc->node, tok, c->ids->pdata[i], NULL))
        continue;
      g_autoptr(NmStatus) s = nm_node_get_status (c->rpc->node, c->ids->pdata[i], NULL);
      if (s == NULL)
        continue;
      g_ptr_array_add (out, g_object_new (WEFT_TYPE_CONTAINER_STATUS, "container_id", s->container_id,
                                          "state", s->state, "reason", s->reason,
                                          "exit_code", s->exit_code, "diagnostics", s->diagnostics,
                                          "memory_limit_bytes", s->memory_limit_bytes,
                                          "memory_peak_bytes", s->memory_peak_bytes, NULL));
    }
}

static gboolean
h_get_container_statuses (weftContainerManagerIf *iface, GPtrArray **ret, const weftToken *auth,
                          const GPtrArray *container_ids, weftWeftException **err, GError **error)
{
  NmRpc *rpc = NM_CM_HANDLER (iface)->rpc;
  Call c = { rpc, container_ids, *ret, auth };
  weft_dispatch_call (rpc->context, do_statuses, &c);
  return TRUE;
}

static void
do_fetch_log (gpointer data)
{
  Call *c = data;
  weftLogChunk *out = c->out;
  g_autoptr(GBytes) bytes = NULL;
  gint64 size = 0;
  gboolean eof = FALSE;
  g_autoptr(WeftToken) tok = weft_rpc_token_from_wire (c->auth);
  if (!nm_node_authorize (c->rpc->node, tok, c->id, &c->error))
    return;
  if (!nm_node_read_log (c->rpc->node, c->id, c->is_stderr, c->offset, c->max, &bytes, &size,
                         &eof, &c->error))
    return;
  gsize n;
  const guint8 *d = g_bytes_get_data (bytes, &n);
  if (out->data)
    g_byte_array_unref (out->data);
  out->data = g_byte_array_sized_new ((guint) n);
  g_byte_array_append (out->data, d, (guint) n);
  out->next_offset = c->offset + (gint64) n;
  out->size = size;
  out->eof = eof;
}

static gboolean
h_fetch_log (weftContainerManagerIf *iface, weftLogChunk **ret, const weftToken *auth,
             const gchar *container_id, const weftLogFile file, const gint64 offset,
             const gint32 max_bytes, weftWeftException **err, GError **error)
{
  NmRpc *rpc = NM_CM_HANDLER (iface)->rpc;
  /* Chunks stay well under rpc.max-message-size. */
  Call c = { rpc, NULL, *ret, auth, container_id, file == WEFT_LOG_FILE_LOG_STDERR, offset,
             MIN (max_bytes > 0 ? max_bytes : 1 << 20, 1 << 20) };
  weft_dispatch_call (rpc->context, do_fetch_log, &c);
  if (c.error)
    {
      weft_rpc_exception_set (err, code_for (c.error), "%s", c.error->message);
      g_error_free (c.error);
      return FALSE;
    }
  return TRUE;
}

static void
nm_cm_handler_class_init (NmCmHandlerClass *klass)
{
  weftContainerManagerHandlerClass *h = WEFT_CONTAINER_MANAGER_HANDLER_CLASS (klass);
  h->start_containers = h_start_containers;
  h->stop_containers = h_stop_containers;
  h->get_container_statuses = h_get_container_statuses;
  h->fetch_log = h_fetch_log;
}

static void
nm_cm_handler_init (NmCmHandler *self)
{
}

ThriftProcessor *
nm_rpc_container_processor_new (NmRpc *rpc)
{
  g_autoptr(NmCmHandler) h = g_object_new (NM_TYPE_CM_HANDLER, NULL);
  h->rpc = rpc;
  return g_object_new (WEFT_TYPE_CONTAINER_MANAGER_PROCESSOR, "handler", h, NULL);
}
