/* weft-daemon: common daemon start-up. See weft-daemon.h. */
#include "weft-daemon.h"

#include <glib-unix.h>
#include <signal.h>

#include "weft-log.h"

WeftConf *
weft_daemon_start (const char *program, int *argc, char ***argv)
{
  weft_log_init (program, 0);
  /* Sends use MSG_NOSIGNAL; this guards any other write to a dead pipe. */
  signal (SIGPIPE, SIG_IGN);
  g_autoptr(GError) error = NULL;
  WeftConf *conf = NULL;
  if (!weft_conf_parse_args (argc, argv, &conf, &error))
    {
      g_printerr ("%s: %s\n", program, error->message);
      return NULL;
    }
  GLogLevelFlags level;
  if (weft_log_level_from_name (weft_conf_get_string (conf, "log.level"), &level))
    weft_log_set_level (level);
  return conf;
}

static gboolean
quit_loop (gpointer data)
{
  g_message ("signal received: stopping");
  g_main_loop_quit (data);
  return G_SOURCE_CONTINUE;
}

void
weft_daemon_quit_on_signals (GMainLoop *loop)
{
  GMainContext *ctx = g_main_loop_get_context (loop);
  int sigs[] = { SIGTERM, SIGINT };
  for (guint i = 0; i < G_N_ELEMENTS (sigs); i++)
    {
      GSource *s = g_unix_signal_source_new (sigs[i]);
      g_source_set_callback (s, quit_loop, loop, NULL);
      g_source_attach (s, ctx);
      g_source_unref (s);
    }
}

char *
weft_daemon_secret_path (WeftConf *conf)
{
  const char *p = weft_conf_get_string (conf, "security.secret-file");
  if (p == NULL || *p == '\0')
    return g_build_filename (weft_conf_dir (conf), "weft.secret", NULL);
  return weft_conf_resolve_path (conf, p);
}

gboolean
weft_daemon_load_secret (WeftConf *conf, WeftSecret **secret, GError **error)
{
  *secret = NULL;
  if (!weft_conf_get_bool (conf, "security.enabled"))
    {
      g_warning ("security.enabled is false: any peer that reaches the ports can run processes");
      return TRUE;
    }
  g_autofree char *path = weft_daemon_secret_path (conf);
  *secret = weft_secret_load (path, error);
  if (*secret == NULL)
    {
      g_prefix_error (error, "security is on (security.enabled) and the cluster secret cannot be used: ");
      return FALSE;
    }
  return TRUE;
}

gboolean
weft_daemon_write_ports (const char *path, const char *const *names, const guint16 *ports,
                         guint n, GError **error)
{
  g_autoptr(GString) s = g_string_new (NULL);
  for (guint i = 0; i < n; i++)
    g_string_append_printf (s, "%s=%u\n", names[i], ports[i]);
  /* g_file_set_contents writes a temporary file and renames it. */
  if (!g_file_set_contents (path, s->str, (gssize) s->len, error))
    {
      g_prefix_error (error, "cannot write the port file: ");
      return FALSE;
    }
  return TRUE;
}
