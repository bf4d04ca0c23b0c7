/* weft-rpc-server: serves one Thrift processor on one port to many clients
 * at once. An accept thread hands each connection to a worker from a pool
 * capped at rpc.max-connections (a connection over the cap is closed at
 * once); a worker receives whole validated frames (weft-rpc-transport),
 * runs the processor, and closes the connection on a bad frame (answering
 * with an exception when the call's header could be read), an idle peer
 * (rpc.idle-timeout), a stalled one (rpc.call-timeout) or shutdown.
 * Handlers run on worker threads: they must be thread-safe, and hand work
 * that touches a daemon's state to its main context. */
#pragma once

#include <glib.h>
#include <thrift/c_glib/processor/thrift_processor.h>

#include "weft-rpc.h"

G_BEGIN_DECLS

typedef struct _WeftRpcServer WeftRpcServer;

typedef struct {
  guint64 connections_accepted;
  guint64 connections_refused;  /* over the cap */
  guint64 calls;                /* processed without error */
  guint64 bad_frames;           /* frames or messages refused */
  guint active_connections;
} WeftRpcServerStats;

/**
 * weft_rpc_server_new:
 * @name: what the server serves, for logs ("client", "tracker", ...)
 * @processor: (transfer none): the generated processor (a ref is taken)
 * Returns: (transfer full) a server that is not yet listening.
 */
WeftRpcServer *weft_rpc_server_new (const char *name, ThriftProcessor *processor,
                                    const WeftRpcOptions *opts);

/**
 * weft_rpc_server_start:
 * Binds @bind_address:@port (0 = ephemeral) and starts serving.
 */
gboolean weft_rpc_server_start (WeftRpcServer *self, const char *bind_address, guint16 port,
                                GError **error);

/** weft_rpc_server_get_port: Returns: the port bound, after start. */
guint16 weft_rpc_server_get_port (WeftRpcServer *self);

/**
 * weft_rpc_server_stop:
 * Stops accepting, wakes every worker (in-flight handlers run to their
 * end), closes every connection and waits for the workers. Idempotent. Do
 * not call it from a context that in-flight handlers wait on.
 */
void weft_rpc_server_stop (WeftRpcServer *self);

/** weft_rpc_server_get_stats: Thread-safe snapshot of the counters. */
void weft_rpc_server_get_stats (WeftRpcServer *self, WeftRpcServerStats *stats);

/**
 * weft_rpc_server_current_peer:
 * Returns: (transfer none) "host:port" of the client whose call the calling
 * worker thread is serving, or NULL outside a handler.
 */
const char *weft_rpc_server_current_peer (void);

/** weft_rpc_server_free: Stops the server if needed and frees it. */
void weft_rpc_server_free (WeftRpcServer *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WeftRpcServer, weft_rpc_server_free)

G_END_DECLS
