/* weft-cli-token: finding the client token the RM asks for when security is on. See weft-cli.h
 * and docs/cli.md. (weft-dshell carries a copy of weft_cli_token_load's search order; both
 * belong in common/ once a security.client-token-file key exists.) */
#include <string.h>
#include <unistd.h>

#include "weft-cli.h"
#include "weft-daemon.h"

/* A token signed on the spot lives as long as one command needs, with room for --follow. */
#define SIGNED_VALID_MS (G_GINT64_CONSTANT (24) * 3600 * 1000)

static WeftToken *
read_token_file (const char *path, GError **error)
{
  g_autofree char *text = NULL;
  GError *local = NULL;
  if (!g_file_get_contents (path, &text, NULL, &local))
    {
      g_set_error (error, WEFT_CLI_ERROR, WEFT_CLI_ERROR_TOKEN, "cannot read the client token: %s",
                   local->message);
      g_error_free (local);
      return NULL;
    }
  WeftToken *t = weft_token_decode (g_strstrip (text), &local);
  if (t == NULL)
    {
      g_set_error (error, WEFT_CLI_ERROR, WEFT_CLI_ERROR_TOKEN,
                   "%s does not hold a client token: %s (issue one with `weft token issue`)",
                   path, local->message);
      g_error_free (local);
      return NULL;
    }
  if (g_strcmp0 (t->kind, "client") != 0)
    {
      g_set_error (error, WEFT_CLI_ERROR, WEFT_CLI_ERROR_TOKEN,
                   "%s holds a \"%s\" token, not a client token (issue one with `weft token issue`)",
                   path, t->kind);
      weft_token_free (t);
      return NULL;
    }
  return t;
}

static WeftToken *
sign_for (WeftConf *conf, const char *user, gint64 valid_ms, GError **error)
{
  g_autofree char *path = weft_daemon_secret_path (conf);
  GError *local = NULL;
  g_autoptr(WeftSecret) secret = weft_secret_load (path, &local);
  if (secret == NULL)
    {
      g_set_error (error, WEFT_CLI_ERROR, WEFT_CLI_ERROR_TOKEN, "%s", local->message);
      g_error_free (local);
      return NULL;
    }
  g_autoptr(GBytes) ident = weft_token_identifier_new ("1", user, NULL);
  gint64 expiry = valid_ms > 0 ? g_get_real_time () / 1000 + valid_ms : 0;
  return weft_token_sign (secret, "client", ident, expiry);
}

gboolean
weft_cli_token_load (WeftConf *conf, WeftToken **out, char **source, GError **error)
{
  *out = NULL;
  if (!weft_conf_get_bool (conf, "security.enabled"))
    {
      if (source)
        *source = g_strdup ("none (security.enabled is false)");
      return TRUE;
    }
  const char *env = g_getenv ("WEFT_CLIENT_TOKEN_FILE");
  g_autofree char *path = NULL;
  if (env && *env)
    path = g_strdup (env);
  else
    {
      path = g_build_filename (weft_conf_dir (conf), "client.token", NULL);
      if (!g_file_test (path, G_FILE_TEST_EXISTS))
        g_clear_pointer (&path, g_free);
    }
  if (path)
    {
      *out = read_token_file (path, error);
      if (*out && source)
        *source = g_strdup (path);
      return *out != NULL;
    }
  /* No token file: an administrator on the cluster machine can read the secret itself. */
  g_autofree char *secret = weft_daemon_secret_path (conf);
  if (access (secret, R_OK) == 0)
    {
      *out = sign_for (conf, g_get_user_name (), SIGNED_VALID_MS, error);
      if (*out && source)
        *source = g_strdup_printf ("signed for %s with %s", g_get_user_name (), secret);
      return *out != NULL;
    }
  g_set_error (error, WEFT_CLI_ERROR, WEFT_CLI_ERROR_TOKEN,
               "security is on and there is no client token: ask the cluster administrator for "
               "one (`weft token issue --user %s`), then save it as %s/client.token or point "
               "WEFT_CLIENT_TOKEN_FILE at it (see docs/cli.md)",
               g_get_user_name (), weft_conf_dir (conf));
  return FALSE;
}

char *
weft_cli_token_issue (WeftConf *conf, const char *user, gint64 valid_us, GError **error)
{
  if (user == NULL || *user == '\0' || strlen (user) > 256)
    {
      g_set_error (error, WEFT_CLI_ERROR, WEFT_CLI_ERROR_USAGE, "a user name of 1 to 256 bytes is needed");
      return NULL;
    }
  g_autoptr(WeftToken) t = sign_for (conf, user, valid_us / 1000, error);
  return t ? weft_token_encode (t) : NULL;
}
