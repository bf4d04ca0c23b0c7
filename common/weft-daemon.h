/* weft-daemon: what every Weft daemon and tool does at start: logging from
 * the config, arguments (--conf, --conf-dir, -v), SIGPIPE ignored, clean
 * stop on SIGTERM/SIGINT, the cluster secret found and loaded, and the
 * ports a daemon bound written where scripts and tests read them. */
#pragma once

#include <glib.h>

#include "weft-conf.h"
#include "weft-token.h"

G_BEGIN_DECLS

/**
 * weft_daemon_start:
 * Initialises logging for @program, parses the common arguments out of
 * @argv and loads the configuration. On failure prints the error (prefixed
 * with @program) and returns NULL: the caller exits with status 2.
 * Returns: (transfer full) (nullable) the configuration.
 */
WeftConf *weft_daemon_start (const char *program, int *argc, char ***argv);

/**
 * weft_daemon_quit_on_signals:
 * SIGTERM and SIGINT quit @loop (on its context's thread).
 */
void weft_daemon_quit_on_signals (GMainLoop *loop);

/**
 * weft_daemon_secret_path:
 * Returns: (transfer full) security.secret-file, resolved against the
 * config folder, or <config folder>/weft.secret when it is empty.
 */
char *weft_daemon_secret_path (WeftConf *conf);

/**
 * weft_daemon_load_secret:
 * Loads the cluster secret when security.enabled is true; sets *@secret to
 * NULL when it is off. The error says how to create or fix the file.
 */
gboolean weft_daemon_load_secret (WeftConf *conf, WeftSecret **secret, GError **error);

/**
 * weft_daemon_client_token:
 * @out: (out) (transfer full) (nullable): the token; NULL with security off
 * @source: (out) (optional) (transfer full): where it came from, for -v
 *
 * The client token a tool (weft, weft-submit, weft-dshell) sends to the RM:
 * the file named by $WEFT_CLIENT_TOKEN_FILE, else security.client-token-file,
 * else <config folder>/client.token; with none of those, one signed for the
 * current user when the cluster secret is readable (an administrator on the
 * cluster machine), valid 24 h. The error says how to get one.
 */
gboolean weft_daemon_client_token (WeftConf *conf, WeftToken **out, char **source, GError **error);

/**
 * weft_daemon_write_ports:
 * Atomically writes "name=port" lines (@names and @ports, @n of each) to
 * @path (rename into place, so a reader never sees half a file).
 */
gboolean weft_daemon_write_ports (const char *path, const char *const *names,
                                  const guint16 *ports, guint n, GError **error);

G_END_DECLS
