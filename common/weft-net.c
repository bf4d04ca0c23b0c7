/* weft-net: sockets with deadlines. See weft-net.h. */
#include "weft-net.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static gboolean
set_nonblocking (int fd)
{
  int flags = fcntl (fd, F_GETFL);
  return flags >= 0 && fcntl (fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

static int
remaining_ms (gint64 deadline_us)
{
  if (deadline_us < 0)
    return -1;
  gint64 left = deadline_us - g_get_monotonic_time ();
  if (left <= 0)
    return 0;
  /* Round up so a sub-millisecond wait does not spin at 0. */
  gint64 ms = (left + 999) / 1000;
  return ms > G_MAXINT ? G_MAXINT : (int) ms;
}

/* Waits for @events on @fd. Returns 1 when ready, 0 on timeout, -2 when
 * cancelled, -1 on a poll error (errno set). */
static int
wait_fd (int fd, short events, gint64 deadline_us, int cancel_fd)
{
  for (;;)
    {
      struct pollfd p[2] = { { .fd = fd, .events = events },
                             { .fd = cancel_fd, .events = POLLIN } };
      int n = poll (p, cancel_fd >= 0 ? 2 : 1, remaining_ms (deadline_us));
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return -1;
      if (cancel_fd >= 0 && (p[1].revents & POLLIN))
        return -2;
      if (n == 0)
        return 0;
      return 1;
    }
}

static gboolean
wait_or_fail (int fd, short events, gint64 deadline_us, int cancel_fd,
              const char *what, GError **error)
{
  int r = wait_fd (fd, events, deadline_us, cancel_fd);
  if (r == 1)
    return TRUE;
  if (r == 0)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "timed out %s", what);
  else if (r == -2)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled %s", what);
  else
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                 "poll failed %s: %s", what, g_strerror (errno));
  return FALSE;
}

int
weft_net_connect (const char *host, guint16 port, gint64 timeout_us, GError **error)
{
  struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
  struct addrinfo *res = NULL;
  char service[8];
  g_snprintf (service, sizeof service, "%u", port);
  int rc = getaddrinfo (host, service, &hints, &res);
  if (rc != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_HOST_NOT_FOUND,
                   "cannot resolve %s: %s", host, gai_strerror (rc));
      return -1;
    }

  gint64 deadline = g_get_monotonic_time () + timeout_us;
  int saved_errno = 0;
  gboolean timed_out = FALSE;
  for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next)
    {
      int fd = socket (ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                       ai->ai_protocol);
      if (fd < 0)
        {
          saved_errno = errno;
          continue;
        }
      if (connect (fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS)
        {
          saved_errno = errno;
          close (fd);
          continue;
        }
      int r = wait_fd (fd, POLLOUT, deadline, -1);
      if (r == 1)
        {
          int soerr = 0;
          socklen_t len = sizeof soerr;
          if (getsockopt (fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0 && soerr == 0)
            {
              int one = 1;
              setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
              freeaddrinfo (res);
              return fd;
            }
          saved_errno = soerr ? soerr : errno;
        }
      else if (r == 0)
        timed_out = TRUE;
      else
        saved_errno = errno;
      close (fd);
    }
  freeaddrinfo (res);
  if (timed_out)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                 "connect to %s:%u timed out after %" G_GINT64_FORMAT " ms",
                 host, port, timeout_us / 1000);
  else
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                 "cannot connect to %s:%u: %s", host, port, g_strerror (saved_errno));
  return -1;
}

int
weft_net_listen (const char *bind_address, guint16 port, int backlog,
                 guint16 *bound_port, GError **error)
{
  struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                            .ai_flags = AI_PASSIVE | AI_NUMERICHOST };
  struct addrinfo *res = NULL;
  char service[8];
  g_snprintf (service, sizeof service, "%u", port);
  int rc = getaddrinfo (bind_address, service, &hints, &res);
  if (rc != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "bad bind address %s: %s (give a numeric address such as 0.0.0.0 or 127.0.0.1)",
                   bind_address, gai_strerror (rc));
      return -1;
    }
  int fd = socket (res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    {
      int e = errno;
      freeaddrinfo (res);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), "socket: %s", g_strerror (e));
      return -1;
    }
  int one = 1;
  setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind (fd, res->ai_addr, res->ai_addrlen) < 0 || listen (fd, backlog) < 0
      || !set_nonblocking (fd))
    {
      int e = errno;
      freeaddrinfo (res);
      close (fd);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e),
                   "cannot listen on %s:%u: %s", bind_address, port, g_strerror (e));
      return -1;
    }
  freeaddrinfo (res);
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  getsockname (fd, (struct sockaddr *) &ss, &len);
  if (bound_port)
    *bound_port = ss.ss_family == AF_INET6 ? ntohs (((struct sockaddr_in6 *) &ss)->sin6_port)
                                           : ntohs (((struct sockaddr_in *) &ss)->sin_port);
  return fd;
}

gboolean
weft_net_wait_readable (int fd, gint64 deadline_us, int cancel_fd, GError **error)
{
  return wait_or_fail (fd, POLLIN, deadline_us, cancel_fd, "waiting for data", error);
}

gboolean
weft_net_read_full (int fd, void *buf, gsize len, gint64 deadline_us, int cancel_fd,
                    GError **error)
{
  gsize have = 0;
  while (have < len)
    {
      ssize_t n = recv (fd, (char *) buf + have, len - have, MSG_DONTWAIT);
      if (n > 0)
        {
          have += (gsize) n;
          continue;
        }
      if (n == 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                       "peer closed the connection (%" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT
                       " bytes received)", have, len);
          return FALSE;
        }
      if (errno == EINTR)
        continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK)
        {
          int e = errno;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e),
                       "receive failed: %s", g_strerror (e));
          return FALSE;
        }
      if (!wait_or_fail (fd, POLLIN, deadline_us, cancel_fd, "receiving", error))
        return FALSE;
    }
  return TRUE;
}

gboolean
weft_net_write_full (int fd, const void *buf, gsize len, gint64 deadline_us, int cancel_fd,
                     GError **error)
{
  gsize done = 0;
  while (done < len)
    {
      ssize_t n = send (fd, (const char *) buf + done, len - done, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n >= 0)
        {
          done += (gsize) n;
          continue;
        }
      if (errno == EINTR)
        continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK)
        {
          int e = errno;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e),
                       "send failed: %s", g_strerror (e));
          return FALSE;
        }
      if (!wait_or_fail (fd, POLLOUT, deadline_us, cancel_fd, "sending", error))
        return FALSE;
    }
  return TRUE;
}

char *
weft_net_peer_name (int fd)
{
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  char host[INET6_ADDRSTRLEN] = "?";
  if (getpeername (fd, (struct sockaddr *) &ss, &len) != 0)
    return g_strdup ("?");
  if (ss.ss_family == AF_INET6)
    {
      struct sockaddr_in6 *a = (struct sockaddr_in6 *) &ss;
      inet_ntop (AF_INET6, &a->sin6_addr, host, sizeof host);
      return g_strdup_printf ("[%s]:%u", host, ntohs (a->sin6_port));
    }
  struct sockaddr_in *a = (struct sockaddr_in *) &ss;
  inet_ntop (AF_INET, &a->sin_addr, host, sizeof host);
  return g_strdup_printf ("%s:%u", host, ntohs (a->sin_port));
}
