/* weft-app-auth: the application secret and its tokens. See weft-app-auth.h. */
#include "weft-app-auth.h"

#include <string.h>

/* Identifier layout: "1" (the layout version, as weft_token_check() expects), app id, caller. */
#define APP_TOKEN_FIELDS 3

static void
zero_free (gpointer data, gsize len)
{
  if (data == NULL)
    return;
  /* volatile: the compiler may not drop a store to memory about to be freed. */
  volatile guint8 *p = data;
  for (gsize i = 0; i < len; i++)
    p[i] = 0;
  g_free (data);
}

typedef struct {
  guchar *data;
  gsize len;
} KeyBuf;

static void
key_buf_free (gpointer p)
{
  KeyBuf *k = p;
  zero_free (k->data, k->len);
  g_free (k);
}

char *
weft_app_secret_encode (const WeftSecret *secret)
{
  g_return_val_if_fail (secret != NULL, NULL);
  g_autoptr(GBytes) key = weft_secret_export (secret);
  gsize n = 0;
  const guchar *d = g_bytes_get_data (key, &n);
  return g_base64_encode (d, n);
}

static gboolean
is_canonical_base64 (const char *s, gsize len)
{
  if (len == 0 || len % 4 != 0)
    return FALSE;
  gsize pad = 0;
  for (gsize i = 0; i < len; i++)
    {
      char c = s[i];
      if (c == '=')
        {
          /* Padding only at the end, at most two. */
          if (i < len - 2)
            return FALSE;
          pad++;
        }
      else if (pad > 0 || !(g_ascii_isalnum (c) || c == '+' || c == '/'))
        return FALSE;
    }
  return TRUE;
}

WeftSecret *
weft_app_secret_decode (const char *text, GError **error)
{
  gsize tlen = text ? strlen (text) : 0;
  /* Trim surrounding whitespace without copying the key into a buffer we would have to zero. */
  gsize start = 0, end = tlen;
  while (start < end && g_ascii_isspace (text[start]))
    start++;
  while (end > start && g_ascii_isspace (text[end - 1]))
    end--;
  if (end == start)
    {
      g_set_error (error, WEFT_TOKEN_ERROR, WEFT_TOKEN_ERROR_SECRET,
                   "no application secret (%s is empty or unset)", WEFT_APP_SECRET_ENV);
      return NULL;
    }
  /* Bound the work before decoding: base64 of the largest key allowed. */
  if (end - start > (WEFT_SECRET_MAX_BYTES + 2) / 3 * 4 || !is_canonical_base64 (text + start, end - start))
    {
      g_set_error (error, WEFT_TOKEN_ERROR, WEFT_TOKEN_ERROR_SECRET,
                   "the application secret in %s is not base64 of a key of %d to %d bytes",
                   WEFT_APP_SECRET_ENV, WEFT_SECRET_MIN_BYTES, WEFT_SECRET_MAX_BYTES);
      return NULL;
    }
  char *copy = g_strndup (text + start, end - start);
  KeyBuf *key = g_new0 (KeyBuf, 1);
  key->data = g_base64_decode (copy, &key->len);
  zero_free (copy, end - start);
  /* A last quantum whose unused bits are not zero decodes like the canonical one: refuse it, so
   * each key has exactly one spelling. */
  char *again = g_base64_encode (key->data, key->len);
  gboolean canonical = strlen (again) == end - start
                       && weft_token_equal_ct (again, end - start, text + start, end - start);
  zero_free (again, strlen (again));
  if (!canonical)
    {
      key_buf_free (key);
      g_set_error (error, WEFT_TOKEN_ERROR, WEFT_TOKEN_ERROR_SECRET,
                   "the application secret in %s is not canonical base64", WEFT_APP_SECRET_ENV);
      return NULL;
    }
  g_autoptr(GBytes) bytes = g_bytes_new_with_free_func (key->data, key->len, key_buf_free, key);
  WeftSecret *secret = weft_secret_new_from_bytes (bytes, error);
  if (secret == NULL)
    g_prefix_error (error, "the application secret in %s: ", WEFT_APP_SECRET_ENV);
  return secret;
}

WeftToken *
weft_app_auth_token (const WeftSecret *secret, const char *app_id, const char *caller)
{
  g_return_val_if_fail (secret != NULL && app_id != NULL && caller != NULL, NULL);
  g_autoptr(GBytes) ident = weft_token_identifier_new ("1", app_id, caller, NULL);
  return weft_token_sign (secret, WEFT_APP_TOKEN_KIND, ident,
                          g_get_real_time () / 1000 + WEFT_APP_TOKEN_LIFETIME_MS);
}

gboolean
weft_app_auth_check (const WeftSecret *secret, const WeftToken *token, const char *app_id,
                     char **caller, GError **error)
{
  g_return_val_if_fail (secret != NULL && app_id != NULL, FALSE);
  g_auto (GStrv) fields = weft_token_check (secret, token, WEFT_APP_TOKEN_KIND, APP_TOKEN_FIELDS,
                                            g_get_real_time () / 1000, error);
  if (fields == NULL)
    return FALSE;
  if (g_strcmp0 (fields[1], app_id) != 0)
    {
      g_set_error (error, WEFT_TOKEN_ERROR, WEFT_TOKEN_ERROR_INVALID,
                   "the token is for application %s, not %s", fields[1], app_id);
      return FALSE;
    }
  if (caller)
    *caller = g_strdup (fields[2]);
  return TRUE;
}
