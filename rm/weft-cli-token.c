/* weft-cli-token: the client token the RM asks for when security is on (found by
 * weft_daemon_client_token, shared with weft-dshell and weft-submit), and issuing tokens for other
 * users. See weft-cli.h and docs/cli.md. */
#include <string.h>
#include <unistd.h>

#include "weft-cli.h"
#include "weft-daemon.h"


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
  GError *local = NULL;
  if (weft_daemon_client_token (conf, out, source, &local))
    return TRUE;
  /* The CLI's own code for "no usable token" (exit status 2). */
  g_set_error_literal (error, WEFT_CLI_ERROR, WEFT_CLI_ERROR_TOKEN, local->message);
  g_error_free (local);
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
