/* weft-daemon: common daemon start-up. See weft-daemon.h. */
#include "weft-daemon.h"

#include <glib-unix.h>
#include <signal.h>
#include <unistd.h>

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

/* A token signed on the spot lives as long as one command may need. */
#define SIGNED_CLIENT_TOKEN_MS (G_GINT64_CONSTANT (24) * 3600 * 1000)

static WeftToken *
read_client_token (const char *path, GError **error)
{
  g_autofree char *text = NULL;
  if (!g_file_get_contents (path, &text, NULL, error))
    {
      g_prefix_error (error, "cannot read the client token: ");
      return NULL;
    }
  WeftToken *t = weft_token_decode (g_strstrip (text), error);
  if (t == NULL)
    {
      g_prefix_error (error, "%s does not hold a client token (issue one with `weft token issue`): ",
                      path);
      return NULL;
    }
  if (g_strcmp0 (t->kind, "client") != 0)
    {
      g_set_error (error, WEFT_TOKEN_ERROR, WEFT_TOKEN_ERROR_WRONG_KIND,
                   "%s holds a \"%s\" token, not a client token (issue one with `weft token issue`)",
                   path, t->kind);
      weft_token_free (t);
      return NULL;
    }
  return t;
}

gboolean
weft_daemon_client_token (WeftConf *conf, WeftToken **out, char **source, GError **error)
{
  *out = NULL;
  if (!weft_conf_get_bool (conf, "security.enabled"))
    {
      if (source)
        *source = g_strdup ("none (security.enabled is false)");
      return TRUE;
    }
  g_autofree char *path = NULL;
  const char *env = g_getenv ("WEFT_CLIENT_TOKEN_FILE");
  const char *key = weft_conf_get_string (conf, "security.client-token-file");
  if (env && *env)
    path = g_strdup (env);
  else if (key && *key)
    path = weft_conf_resolve_path (conf, key);
  else
    {
      path = g_build_filename (weft_conf_dir (conf), "client.token", NULL);
      if (!g_file_test (path, G_FILE_TEST_EXISTS))
        g_clear_pointer (&path, g_free);
    }
  if (path)
    {
      *out = read_client_token (path, error);
      if (*out && source)
        *source = g_strdup (path);
      return *out != NULL;
    }
  /* No token file: an administrator on the cluster machine can read the secret itself. */
  g_autofree char *secret_path = weft_daemon_secret_path (conf);
  if (access (secret_path, R_OK) == 0)
    {
      g_autoptr(WeftSecret) secret = weft_secret_load (secret_path, error);
      if (secret == NULL)
        return FALSE;
      g_autoptr(GBytes) ident = weft_token_identifier_new ("1", g_get_user_name (), NULL);
      *out = weft_token_sign (secret, "client", ident, g_get_real_time () / 1000 + SIGNED_CLIENT_TOKEN_MS);
      if (source)
        *source = g_strdup_printf ("signed for %s with %s", g_get_user_name (), secret_path);
      return TRUE;
    }
  g_set_error (error, WEFT_TOKEN_ERROR, WEFT_TOKEN_ERROR_SECRET,
               "security is on and there is no client token: ask the cluster administrator for "
               "one (`weft token issue --user %s`), then save it as %s/client.token, set "
               "security.client-token-file, or point WEFT_CLIENT_TOKEN_FILE at it",
               g_get_user_name (), weft_conf_dir (conf));
  return FALSE;
}
