/* rpc-echo: the echo service's handler and typed client calls, shared by
 * tests/common/test-rpc.c and bench/bench-rpc.c. */
#pragma once

#include "weft-rpc-client.h"
#include "weft-rpc-server.h"
#include "weft_echo.h"

/* Starts an echo server on 127.0.0.1:@port (0 = ephemeral). */
WeftRpcServer *rpc_echo_server_start (const WeftRpcOptions *opts, guint16 port, GError **error);

/* (transfer full) an echo processor, e.g. to serve with another server. */
GObject *rpc_echo_processor_new (void);

/* Server-side observations, for tests. */
gint rpc_echo_max_concurrent_sleeps (void);
void rpc_echo_reset (void);
gint64 rpc_echo_total (void);

WeftRpcClient *rpc_echo_client_new (guint16 port, const WeftRpcOptions *opts);
gboolean rpc_echo_ping (WeftRpcClient *c, gint64 x, gint64 *out, GError **error);
gboolean rpc_echo_echo (WeftRpcClient *c, GByteArray *data, GByteArray **out, GError **error);
gboolean rpc_echo_count (WeftRpcClient *c, GPtrArray *items, gint32 *out, GError **error);
gboolean rpc_echo_sleep (WeftRpcClient *c, gint32 ms, WeftRpcRetry retry, GError **error);
gboolean rpc_echo_fail (WeftRpcClient *c, gint32 code, const char *message, GError **error);
gboolean rpc_echo_add (WeftRpcClient *c, gint64 x, gint64 *out, GError **error);

/* (transfer full) @n items shaped like container statuses. */
GPtrArray *rpc_echo_items_new (guint n);
