/* tests/engine/test-app-auth: the application secret's text form and the "weft-app" tokens. */
#include <string.h>

#include "weft-app-auth.h"

static WeftSecret *
new_secret (void)
{
  g_autoptr(GError) error = NULL;
  WeftSecret *s = weft_secret_new_random (&error);
  g_assert_no_error (error);
  return s;
}

static gboolean
same_key (const WeftSecret *a, const WeftSecret *b)
{
  g_autoptr(GBytes) x = weft_secret_export (a);
  g_autoptr(GBytes) y = weft_secret_export (b);
  return g_bytes_equal (x, y);
}

static void
test_secret_roundtrip (void)
{
  g_autoptr(WeftSecret) s = new_secret ();
  g_autofree char *text = weft_app_secret_encode (s);
  /* 32 bytes: 44 characters of base64, nothing an environment variable cannot hold. */
  g_assert_cmpuint (strlen (text), ==, 44);
  for (const char *p = text; *p; p++)
    g_assert_true (g_ascii_isalnum (*p) || *p == '+' || *p == '/' || *p == '=');
  g_autoptr(GError) error = NULL;
  g_autoptr(WeftSecret) back = weft_app_secret_decode (text, &error);
  g_assert_no_error (error);
  g_assert_true (same_key (s, back));

  /* Surrounding whitespace (a trailing newline from a file or a shell) is ignored. */
  g_autofree char *spaced = g_strdup_printf ("  %s\n", text);
  g_autoptr(WeftSecret) again = weft_app_secret_decode (spaced, &error);
  g_assert_no_error (error);
  g_assert_true (same_key (s, again));

  /* A token made with the decoded secret checks with the original. */
  g_autoptr(WeftToken) t = weft_app_auth_token (back, "application_1_1", "driver");
  g_assert_true (weft_app_auth_check (s, t, "application_1_1", NULL, &error));
  g_assert_no_error (error);
}

static void
test_secret_refused (void)
{
  guint8 key[40];
  for (guint i = 0; i < sizeof key; i++)
    key[i] = (guint8) (i * 7 + 1);
  g_autofree char *short_key = g_base64_encode (key, 16);
  g_autofree char *good = g_base64_encode (key, 40);
  /* The same 40 bytes with an unused low bit of the last quantum set: it decodes to the same
   * key, but is not the canonical spelling. 40 bytes end in "XY==", Y's 4 low bits unused. */
  static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  g_autofree char *noncanonical = g_strdup (good);
  gsize n = strlen (noncanonical);
  g_assert_cmpstr (noncanonical + n - 2, ==, "==");
  const char *at = strchr (alphabet, noncanonical[n - 3]);
  g_assert_nonnull (at);
  noncanonical[n - 3] = alphabet[(at - alphabet) ^ 1];
  gsize dlen = 0;
  g_autofree guchar *same = g_base64_decode (noncanonical, &dlen);
  g_assert_cmpmem (same, dlen, key, sizeof key);
  const char *bad[] = { "", "   ", "not base64!", "QUJD", "QUJD=", "QU=JD===", "QUJDRA=A",
                        short_key, noncanonical };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(WeftSecret) s = weft_app_secret_decode (bad[i], &error);
      g_assert_null (s);
      g_assert_error (error, WEFT_TOKEN_ERROR, WEFT_TOKEN_ERROR_SECRET);
      g_assert_nonnull (strstr (error->message, WEFT_APP_SECRET_ENV));
    }
  g_autoptr(GError) error = NULL;
  g_assert_null (weft_app_secret_decode (NULL, &error));
  g_assert_error (error, WEFT_TOKEN_ERROR, WEFT_TOKEN_ERROR_SECRET);
  g_clear_error (&error);
  g_autoptr(WeftSecret) s = weft_app_secret_decode (good, &error);
  g_assert_no_error (error);
  g_assert_nonnull (s);
}

static void
test_token_ok (void)
{
  g_autoptr(WeftSecret) s = new_secret ();
  g_autoptr(WeftToken) t = weft_app_auth_token (s, "application_7_3", "exec-2");
  g_assert_cmpstr (t->kind, ==, "weft-app");
  gint64 now = g_get_real_time () / 1000;
  g_assert_cmpint (t->expiry_ms, >, now + WEFT_APP_TOKEN_LIFETIME_MS - 60000);
  g_assert_cmpint (t->expiry_ms, <=, now + WEFT_APP_TOKEN_LIFETIME_MS + 1000);
  g_autofree char *caller = NULL;
  g_autoptr(GError) error = NULL;
  g_assert_true (weft_app_auth_check (s, t, "application_7_3", &caller, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (caller, ==, "exec-2");
  /* Its identifier: the layout version, the application, the caller. */
  g_auto (GStrv) f = weft_token_identifier_parse (t->identifier, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (f), ==, 3);
  g_assert_cmpstr (f[1], ==, "application_7_3");
  g_assert_cmpstr (f[2], ==, "exec-2");
}

static void
check_refused (const WeftSecret *s, const WeftToken *t, const char *app, gint code)
{
  g_autofree char *caller = NULL;
  g_autoptr(GError) error = NULL;
  g_assert_false (weft_app_auth_check (s, t, app, &caller, &error));
  g_assert_error (error, WEFT_TOKEN_ERROR, code);
  g_assert_null (caller);
}

static void
test_token_refused (void)
{
  g_autoptr(WeftSecret) s = new_secret ();
  g_autoptr(WeftSecret) other = new_secret ();
  const char *app = "application_1_1";

  /* None sent. */
  check_refused (s, NULL, app, WEFT_TOKEN_ERROR_INVALID);
  /* Signed with another application's secret. */
  g_autoptr(WeftToken) forged = weft_app_auth_token (other, app, "driver");
  check_refused (s, forged, app, WEFT_TOKEN_ERROR_INVALID);
  /* For another application. */
  g_autoptr(WeftToken) elsewhere = weft_app_auth_token (s, "application_1_2", "driver");
  check_refused (s, elsewhere, app, WEFT_TOKEN_ERROR_INVALID);
  /* Another kind of token over the same identifier. */
  g_autoptr(GBytes) ident = weft_token_identifier_new ("1", app, "driver", NULL);
  g_autoptr(WeftToken) client = weft_token_sign (s, "client", ident, 0);
  check_refused (s, client, app, WEFT_TOKEN_ERROR_WRONG_KIND);
  /* Expired. */
  g_autoptr(WeftToken) old = weft_token_sign (s, "weft-app", ident,
                                              g_get_real_time () / 1000 - 1000);
  check_refused (s, old, app, WEFT_TOKEN_ERROR_EXPIRED);
  /* A valid MAC over another layout (no version field). */
  g_autoptr(GBytes) ident2 = weft_token_identifier_new (app, "driver", NULL);
  g_autoptr(WeftToken) layout = weft_token_sign (s, "weft-app", ident2, 0);
  check_refused (s, layout, app, WEFT_TOKEN_ERROR_INVALID);
  /* Tampered: the caller changed after signing. */
  g_autoptr(WeftToken) good = weft_app_auth_token (s, app, "exec-1");
  g_autoptr(GBytes) ident3 = weft_token_identifier_new ("1", app, "driver", NULL);
  g_autoptr(WeftToken) tampered = weft_token_new (good->kind, ident3, good->expiry_ms,
                                                  good->password);
  check_refused (s, tampered, app, WEFT_TOKEN_ERROR_INVALID);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/app-auth/secret/roundtrip", test_secret_roundtrip);
  g_test_add_func ("/engine/app-auth/secret/refused", test_secret_refused);
  g_test_add_func ("/engine/app-auth/token/ok", test_token_ok);
  g_test_add_func ("/engine/app-auth/token/refused", test_token_refused);
  return g_test_run ();
}
