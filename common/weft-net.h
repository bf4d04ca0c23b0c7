/* weft-net: sockets with deadlines. Non-blocking connect with a timeout,
 * listening sockets that report the port they bound, and whole-buffer
 * send/receive that give up at a deadline or as soon as a cancel fd becomes
 * readable. Sends never raise SIGPIPE. Errors are in G_IO_ERROR and name the
 * peer. Deadlines are absolute g_get_monotonic_time() values; -1 = none. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * weft_net_connect:
 * Resolves @host (numeric or name) and connects to @port within
 * @timeout_us. The returned fd is non-blocking, close-on-exec, TCP_NODELAY.
 * Returns: the fd, owned by the caller, or -1 with @error set.
 */
int weft_net_connect (const char *host, guint16 port, gint64 timeout_us, GError **error);

/**
 * weft_net_listen:
 * Binds @bind_address (numeric, "0.0.0.0" or "127.0.0.1", or "::") and
 * @port (0 = ephemeral) and listens. @bound_port receives the port bound.
 * Returns: a non-blocking listening fd owned by the caller, or -1.
 */
int weft_net_listen (const char *bind_address, guint16 port, int backlog,
                     guint16 *bound_port, GError **error);

/**
 * weft_net_wait_readable:
 * Waits until @fd is readable, @deadline_us passes (G_IO_ERROR_TIMED_OUT)
 * or @cancel_fd (-1 = none) becomes readable (G_IO_ERROR_CANCELLED).
 */
gboolean weft_net_wait_readable (int fd, gint64 deadline_us, int cancel_fd, GError **error);

/**
 * weft_net_read_full:
 * Reads exactly @len bytes. A peer that closes first gives
 * G_IO_ERROR_CONNECTION_CLOSED (with how many bytes had arrived).
 */
gboolean weft_net_read_full (int fd, void *buf, gsize len, gint64 deadline_us,
                             int cancel_fd, GError **error);

/**
 * weft_net_write_full:
 * Writes exactly @len bytes with MSG_NOSIGNAL: a dead peer is an error
 * (G_IO_ERROR_BROKEN_PIPE or G_IO_ERROR_CONNECTION_CLOSED), never a signal.
 */
gboolean weft_net_write_full (int fd, const void *buf, gsize len, gint64 deadline_us,
                              int cancel_fd, GError **error);

/**
 * weft_net_peer_name:
 * Returns: (transfer full) "host:port" of the peer of @fd, or "?".
 */
char *weft_net_peer_name (int fd);

G_END_DECLS
