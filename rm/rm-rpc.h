/* rm-rpc: what the RM's RPC handlers share. The handlers (rm-rpc-client.c,
 * rm-rpc-tracker.c, rm-rpc-am.c, rm-rpc-admin.c) authenticate the caller's
 * token on the worker thread, then run the domain call and the conversion
 * to Thrift types on the RM's main context (weft_dispatch_call), and map
 * errors to the declared WeftException. Converters live here too. */
#pragma once

#include <thrift/c_glib/processor/thrift_processor.h>

#include "rm-core.h"
#include "weft-rpc-token.h"
#include "weft_am_types.h"
#include "weft_client_types.h"
#include "weft_common_types.h"
#include "weft_tracker_types.h"

G_BEGIN_DECLS

typedef struct _RmStaging RmStaging;

typedef struct {
  RmCore *core;
  GMainContext *context;
  WeftSecret *secret;        /* signs and checks tokens */
  gboolean security;         /* when FALSE, client and node tokens are not required */
  RmStaging *staging;        /* thread-safe: used from the worker threads directly */
} RmRpc;

ThriftProcessor *rm_rpc_client_processor_new (RmRpc *rpc);
ThriftProcessor *rm_rpc_admin_processor_new (RmRpc *rpc);
ThriftProcessor *rm_rpc_tracker_processor_new (RmRpc *rpc, gint64 heartbeat_interval_ms);
ThriftProcessor *rm_rpc_am_processor_new (RmRpc *rpc);

/** rm_rpc_fail: sets *@ex from @error (taken) and returns FALSE. */
gboolean rm_rpc_fail (weftWeftException **ex, GError *error);

/* Authentication (any thread). Each returns the identity the token proves,
 * (transfer full), or NULL with an UNAUTHENTICATED error. */
char *rm_rpc_auth_client (RmRpc *rpc, const weftToken *auth, GError **error);
char *rm_rpc_auth_am (RmRpc *rpc, const weftToken *auth, GError **error);
gboolean rm_rpc_auth_node (RmRpc *rpc, const weftToken *auth, const char *node_id, GError **error);

/* Converters (main thread, or any thread for pure ones). */
RmResource rm_convert_resource_from (const weftResource *r);
void rm_convert_resource_to (RmResource r, weftResource *out);
RmLaunchSpec *rm_convert_launch_from (const weftLaunchSpec *spec);
void rm_convert_launch_to (const RmLaunchSpec *spec, GHashTable *extra_env, weftLaunchSpec *out);
RmContainerStatus *rm_convert_status_from (const weftContainerStatus *s);
weftContainerStatus *rm_convert_status_to (const RmContainerStatus *s);
weftContainer *rm_convert_container_to (const RmContainer *c);
void rm_convert_app_report (const RmApp *app, weftApplicationReport *out);
void rm_convert_node_report (const RmNode *n, weftNodeReport *out);

G_END_DECLS
