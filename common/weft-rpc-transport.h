/* weft-rpc-transport: the one Thrift transport Weft uses, on both ends of
 * every connection. Framed (4-byte big-endian length), with frames bounded
 * by rpc.max-message-size, received whole (the buffer grows only as bytes
 * arrive, so a peer that announces a large frame and stalls costs what it
 * sent), validated by weft_rpc_check_message() before anything decodes
 * them, and read through a cursor (linear decoding; never across a frame).
 * All socket I/O has a deadline and a cancel fd; sends never raise SIGPIPE.
 * One thread uses a transport at a time. */
#pragma once

#include <glib-object.h>
#include <thrift/c_glib/transport/thrift_transport.h>

#include "weft-rpc.h"
#include "weft-rpc-check.h"

G_BEGIN_DECLS

#ifndef __GI_SCANNER__
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ThriftTransport, g_object_unref)
#endif

#define WEFT_TYPE_RPC_TRANSPORT (weft_rpc_transport_get_type ())
G_DECLARE_FINAL_TYPE (WeftRpcTransport, weft_rpc_transport, WEFT, RPC_TRANSPORT, ThriftTransport)

/**
 * weft_rpc_transport_new:
 * @fd: a connected socket; the transport owns it from now on
 * @opts: (transfer none): limits (copied)
 * @accepted: the message types this end accepts (WEFT_RPC_MSG_* bits):
 *   calls on a server, replies and exceptions on a client
 * @peer: (transfer none): the peer's name, for error messages
 * Returns: (transfer full) a new transport.
 */
WeftRpcTransport *weft_rpc_transport_new (int fd, const WeftRpcOptions *opts, guint accepted,
                                          const char *peer);

/**
 * weft_rpc_transport_set_deadline:
 * Absolute monotonic time (µs) by which the current exchange's sends and
 * receives must finish; -1 = none.
 */
void weft_rpc_transport_set_deadline (WeftRpcTransport *self, gint64 deadline_us);

/**
 * weft_rpc_transport_set_frame_timeout:
 * For servers: once weft_rpc_transport_receive() sees a frame begin, the
 * deadline becomes now + @timeout_us, so a peer that stalls mid-frame is
 * dropped. 0 (the default, for clients) keeps the deadline already set.
 */
void weft_rpc_transport_set_frame_timeout (WeftRpcTransport *self, gint64 timeout_us);

/**
 * weft_rpc_transport_set_cancel_fd:
 * Every wait also ends, with G_IO_ERROR_CANCELLED, when @fd is readable.
 */
void weft_rpc_transport_set_cancel_fd (WeftRpcTransport *self, int fd);

/**
 * weft_rpc_transport_set_auto_receive:
 * When TRUE (clients), a read with the current frame used up receives the
 * next frame under the current deadline. When FALSE (servers), frames are
 * received only by weft_rpc_transport_receive().
 */
void weft_rpc_transport_set_auto_receive (WeftRpcTransport *self, gboolean auto_receive);

/**
 * weft_rpc_transport_receive:
 * Waits until @first_byte_deadline_us for a frame to begin, then until the
 * transport's deadline (see weft_rpc_transport_set_frame_timeout()) for the
 * rest, then validates it.
 * @info: (out) (optional): the message header as far as it parsed.
 * Returns: FALSE with G_IO_ERROR_CONNECTION_CLOSED when the peer closed
 *   cleanly between frames, G_IO_ERROR_TIMED_OUT / CANCELLED, or
 *   WEFT_RPC_ERROR_BAD_FRAME / BAD_MESSAGE.
 */
gboolean weft_rpc_transport_receive (WeftRpcTransport *self, gint64 first_byte_deadline_us,
                                     WeftRpcMessageInfo *info, GError **error);

/**
 * weft_rpc_transport_is_stale:
 * TRUE if the connection can no longer carry a call: closed, or the peer
 * sent something (EOF, reset, or stray bytes) while no call was in flight.
 * Clients check it before reusing an idle connection.
 */
gboolean weft_rpc_transport_is_stale (WeftRpcTransport *self);

/**
 * weft_rpc_transport_get_peer:
 * Returns: (transfer none) the peer's name given at construction.
 */
const char *weft_rpc_transport_get_peer (WeftRpcTransport *self);

G_END_DECLS
