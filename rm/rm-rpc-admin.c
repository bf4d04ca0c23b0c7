/* rm-rpc-admin: the AdminService handler (admin port): decommission a
 * node, refresh queues. Only the user the RM runs as may call it. */
#include "rm-rpc.h"

#include "weft-dispatch.h"
#include "weft-rpc.h"
#include "weft_admin_service.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (weftAdminServiceHandler, g_object_unref)
#define RM_TYPE_ADMIN_HANDLER (rm_admin_handler_get_type ())
G_DECLARE_FINAL_TYPE (RmAdminHandler, rm_admin_handler, RM, ADMIN_HANDLER, weftAdminServiceHandler)
struct _RmAdminHandler { weftAdminServiceHandler parent; RmRpc *rpc; };
G_DEFINE_TYPE (RmAdminHandler, rm_admin_handler, WEFT_TYPE_ADMIN_SERVICE_HANDLER)

typedef struct { RmRpc *rpc; const char *node_id; GError *error; } Call;

static gboolean
auth_admin (RmRpc *rpc, const weftToken *auth, GError **error)
{
  g_autofree char *user = rm_rpc_auth_client (rpc, auth, error);
  if (user == NULL)
    return FALSE;
  if (rpc->security && g_strcmp0 (user, g_get_user_name ()) != 0)
    {
      g_set_error (error, RM_ERROR, RM_ERROR_PERMISSION_DENIED,
                   "%s is not a cluster administrator (only %s is)", user, g_get_user_name ());
      return FALSE;
    }
  return TRUE;
}

static void
do_decommission (gpointer data)
{
  Call *c = data;
  rm_core_decommission (c->rpc->core, c->node_id, &c->error);
}

static gboolean
h_decommission_node (weftAdminServiceIf *iface, const weftToken *auth, const gchar *node_id,
                     weftWeftException **err, GError **error)
{
  RmRpc *rpc = RM_ADMIN_HANDLER (iface)->rpc;
  GError *e = NULL;
  if (!auth_admin (rpc, auth, &e))
    return rm_rpc_fail (err, e);
  Call c = { rpc, node_id, NULL };
  weft_dispatch_call (rpc->context, do_decommission, &c);
  return c.error ? rm_rpc_fail (err, c.error) : TRUE;
}

static gboolean
h_refresh_queues (weftAdminServiceIf *iface, const weftToken *auth, weftWeftException **err,
                  GError **error)
{
  return weft_rpc_exception_set (err, WEFT_ERROR_CODE_UNAVAILABLE,
                                 "refreshing queues is not implemented yet: restart the RM");
}

static void
rm_admin_handler_class_init (RmAdminHandlerClass *klass)
{
  weftAdminServiceHandlerClass *h = WEFT_ADMIN_SERVICE_HANDLER_CLASS (klass);
  h->decommission_node = h_decommission_node;
  h->refresh_queues = h_refresh_queues;
}

static void
rm_admin_handler_init (RmAdminHandler *self)
{
}

ThriftProcessor *
rm_rpc_admin_processor_new (RmRpc *rpc)
{
  g_autoptr(RmAdminHandler) h = g_object_new (RM_TYPE_ADMIN_HANDLER, NULL);
  h->rpc = rpc;
  return g_object_new (WEFT_TYPE_ADMIN_SERVICE_PROCESSOR, "handler", h, NULL);
}
