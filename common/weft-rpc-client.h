/* weft-rpc-client: one connection to one service, for one thread at a time.
 * Connects lazily with rpc.connect-timeout, bounds every call by
 * rpc.call-timeout, drops the connection after any transport error or
 * timeout (Thrift c_glib never checks seqids, so a late reply would answer
 * the next call), checks an idle connection before reuse, and retries
 * idempotent calls rpc.retries times with exponential backoff. A call that
 * was never sent (connect failed) is retried whatever its kind. Errors say
 * which call to which peer failed; declared exceptions come back as
 * WEFT_REMOTE_ERROR with the peer's code and message. */
#pragma once

#include <glib-object.h>

#include "weft-rpc.h"

G_BEGIN_DECLS

typedef struct _WeftRpcClient WeftRpcClient;

typedef enum {
  WEFT_RPC_ONCE,        /* may have effects: never resent once sent */
  WEFT_RPC_IDEMPOTENT,  /* safe to resend after a transport failure */
} WeftRpcRetry;

/**
 * WeftRpcCallFunc:
 * Makes one generated call on @client (the generated *Client object, whose
 * interface the generated functions take). Must leave a declared exception
 * in *@ex; the wrapper turns it into a GError.
 */
typedef gboolean (*WeftRpcCallFunc) (gpointer client, gpointer user_data,
                                     weftWeftException **ex, GError **error);

/**
 * weft_rpc_client_new:
 * @client_type: the generated client GType, e.g. WEFT_TYPE_CLIENT_SERVICE_CLIENT
 * Returns: (transfer full) an unconnected client.
 */
WeftRpcClient *weft_rpc_client_new (const char *host, guint16 port, GType client_type,
                                    const WeftRpcOptions *opts);

/**
 * weft_rpc_client_call:
 * @method: the call's name, for errors and logs
 * Runs @func, connecting and retrying as described above.
 */
gboolean weft_rpc_client_call (WeftRpcClient *self, const char *method, WeftRpcRetry retry,
                               WeftRpcCallFunc func, gpointer user_data, GError **error);

/** weft_rpc_client_close: Drops the connection; the next call reconnects. */
void weft_rpc_client_close (WeftRpcClient *self);

/** weft_rpc_client_get_address: Returns: (transfer none) "host:port". */
const char *weft_rpc_client_get_address (WeftRpcClient *self);

/** weft_rpc_client_get_connects: Returns: how many connections were made. */
guint weft_rpc_client_get_connects (WeftRpcClient *self);

void weft_rpc_client_free (WeftRpcClient *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WeftRpcClient, weft_rpc_client_free)

G_END_DECLS
