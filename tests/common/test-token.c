/* Tests for common/weft-token.c: secrets on disk, HMAC tokens, their printable form and
 * identifiers. Known-answer vectors were computed independently with Python's hmac module. */

#include "weft-token.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Python: hmac.new(bytes(range(32)), b"weft-token\0" b"\x01" + be32(9) + b"container" + be32(11)
 * + identifier("a", "bc") + be64(1700000000000), sha256) */
#define KAT_EXPIRY 1700000000000
#define KAT_MAC_HEX "8cd2f7b983ad303a38268db2e98f850c44711dfd1832a677e9ff0ec4852ab652"
#define KAT_TEXT \
  "AQljb250YWluZXIAAAALAAAAAWEAAAACYmMAAAGLz-VoACCM0ve5g60wOjgmjbLpj4UMRHEd_Rgypnfp_w7EhSq2Ug"

/* ---- Helpers ---------------------------------------------------------------------------- */

static WeftSecret *
secret_from_pattern (guint8 start, gsize len)
{
  g_autofree guint8 *key = g_malloc (len);
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) error = NULL;
  WeftSecret *secret;

  for (gsize i = 0; i < len; i++)
    key[i] = (guint8) (start + i);
  bytes = g_bytes_new (key, len);
  secret = weft_secret_new_from_bytes (bytes, &error);
  g_assert_no_error (error);
  g_assert_nonnull (secret);
  return secret;
}

static GBytes *
sample_identifier (void)
{
  return weft_token_identifier_new ("container_1700000000000_0001_01_000002",
                                    "application_1700000000000_0001", "node7.example:8041", "1",
                                    "1024", NULL);
}

static WeftToken *
sample_token (WeftSecret *secret, gint64 expiry_ms)
{
  g_autoptr (GBytes) id = sample_identifier ();

  return weft_token_sign (secret, "container", id, expiry_ms);
}

static void
assert_verify_fails (WeftSecret *secret, const WeftToken *token, const char *kind, gint64 now,
                     WeftTokenError code)
{
  g_autoptr (GError) error = NULL;

  g_assert_false (weft_token_verify (secret, token, kind, now, &error));
  g_assert_error (error, WEFT_TOKEN_ERROR, (gint) code);
}

/* Unpadded url-safe base64 written independently of the module's encoder, through GLib's. */
static char *
b64url (const guint8 *data, gsize len)
{
  char *text = g_base64_encode (data, len);
  char *p;

  for (p = text; *p != '\0' && *p != '='; p++)
    {
      if (*p == '+')
        *p = '-';
      else if (*p == '/')
        *p = '_';
    }
  *p = '\0';
  return text;
}

static guint8 *
unb64url (const char *text, gsize *len)
{
  g_autofree char *std = g_strdup (text);
  g_autoptr (GString) padded = NULL;

  for (char *p = std; *p != '\0'; p++)
    {
      if (*p == '-')
        *p = '+';
      else if (*p == '_')
        *p = '/';
    }
  padded = g_string_new (std);
  while (padded->len % 4 != 0)
    g_string_append_c (padded, '=');
  return g_base64_decode (padded->str, len);
}

static void
assert_decode_fails (const char *text)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WeftToken) token = weft_token_decode (text, &error);

  g_assert_null (token);
  g_assert_error (error, WEFT_TOKEN_ERROR, WEFT_TOKEN_ERROR_INVALID);
}

static void
assert_decode_bin_fails (const guint8 *data, gsize len, const char *expected_in_message)
{
  g_autofree char *text = b64url (data, len);
  g_autoptr (GError) error = NULL;
  g_autoptr (WeftToken) token = weft_token_decode (text, &error);

  g_assert_null (token);
  g_assert_error (error, WEFT_TOKEN_ERROR, WEFT_TOKEN_ERROR_INVALID);
  if (expected_in_message != NULL && strstr (error->message, expected_in_message) == NULL)
    g_error ("message \"%s\" lacks \"%s\"", error->message, expected_in_message);
}

/* Builds a binary token by hand, fields given as raw lengths so they can lie. */
static GByteArray *
raw_token (guint8 version, guint8 kind_len, const char *kind, gsize kind_bytes, guint32 id_len,
           gsize id_bytes, guint64 expiry, guint8 pw_len, gsize pw_bytes)
{
  GByteArray *b = g_byte_array_new ();
  guint8 tmp[8];

  g_byte_array_append (b, &version, 1);
  g_byte_array_append (b, &kind_len, 1);
  g_byte_array_append (b, (const guint8 *) kind, (guint) kind_bytes);
  tmp[0] = (guint8) (id_len >> 24);
  tmp[1] = (guint8) (id_len >> 16);
  tmp[2] = (guint8) (id_len >> 8);
  tmp[3] = (guint8) id_len;
  g_byte_array_append (b, tmp, 4);
  for (gsize i = 0; i < id_bytes; i++)
    g_byte_array_append (b, (const guint8 *) "x", 1);
  for (int i = 0; i < 8; i++)
    tmp[i] = (guint8) (expiry >> (56 - 8 * i));
  g_byte_array_append (b, tmp, 8);
  g_byte_array_append (b, &pw_len, 1);
  for (gsize i = 0; i < pw_bytes; i++)
    g_byte_array_append (b, (const guint8 *) "p", 1);
  return b;
}

static GBytes *
bytes_with_byte_flipped (GBytes *in, gsize index, guint8 mask)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (in, &len);
  g_autofree guint8 *copy = g_memdup2 (data, len);

  copy[index] ^= mask;
  return g_bytes_new (copy, len);
}

/* ---- Constant-time compare -------------------------------------------------------------- */

static void
test_equal_ct (void)
{
  const guint8 a[] = { 1, 2, 3, 4, 5, 6, 7, 8 };
  guint8 b[sizeof a];

  memcpy (b, a, sizeof a);
  g_assert_true (weft_token_equal_ct (a, sizeof a, b, sizeof b));
  g_assert_true (weft_token_equal_ct (NULL, 0, NULL, 0));
  g_assert_true (weft_token_equal_ct (a, 0, b, 0));

  for (gsize i = 0; i < sizeof a; i++)
    for (guint bit = 0; bit < 8; bit++)
      {
        memcpy (b, a, sizeof a);
        b[i] ^= (guint8) (1u << bit);
        g_assert_false (weft_token_equal_ct (a, sizeof a, b, sizeof b));
        g_assert_false (weft_token_equal_ct (b, sizeof b, a, sizeof a));
      }

  memcpy (b, a, sizeof a);
  /* A prefix is not equal, in either order, nor is the empty buffer. */
  g_assert_false (weft_token_equal_ct (a, sizeof a - 1, b, sizeof b));
  g_assert_false (weft_token_equal_ct (a, sizeof a, b, sizeof b - 1));
  g_assert_false (weft_token_equal_ct (a, 0, b, sizeof b));
  g_assert_false (weft_token_equal_ct (NULL, 0, b, 1));
  g_assert_false (weft_token_equal_ct (a, 1, NULL, 0));
}

/* ---- Signing and verifying -------------------------------------------------------------- */

static void
test_sign_verify (void)
{
  g_autoptr (WeftSecret) secret = secret_from_pattern (0, 32);
  g_autoptr (GBytes) id = sample_identifier ();
  g_autoptr (WeftToken) token = weft_token_sign (secret, "container", id, 5000);
  g_autoptr (GError) error = NULL;

  g_assert_nonnull (token);
  g_assert_cmpstr (token->kind, ==, "container");
  g_assert_true (g_bytes_equal (token->identifier, id));
  g_assert_cmpint (token->expiry_ms, ==, 5000);
  g_assert_cmpuint (g_bytes_get_size (token->password), ==, WEFT_TOKEN_PASSWORD_BYTES);

  g_assert_true (weft_token_verify (secret, token, "container", 4999, &error));
  g_assert_no_error (error);

  /* Signing is deterministic: the same inputs give the same password. */
  {
    g_autoptr (WeftToken) again = weft_token_sign (secret, "container", id, 5000);
    g_assert_true (g_bytes_equal (again->password, token->password));
  }
}

static void
test_known_answer (void)
{
  g_autoptr (WeftSecret) secret = secret_from_pattern (0, 32);
  g_autoptr (GBytes) id = weft_token_identifier_new ("a", "bc", NULL);
  g_autoptr (WeftToken) token = weft_token_sign (secret, "container", id, KAT_EXPIRY);
  g_autoptr (GString) hex = g_string_new (NULL);
  g_autofree char *text = NULL;
  gsize len;
  const guint8 *pw = g_bytes_get_data (token->password, &len);

  for (gsize i = 0; i < len; i++)
    g_string_append_printf (hex, "%02x", pw[i]);
  g_assert_cmpstr (hex->str, ==, KAT_MAC_HEX);

  text = weft_token_encode (token);
  g_assert_cmpstr (text, ==, KAT_TEXT);
}

static void
test_tamper_kind (void)
{
  g_autoptr (WeftSecret) secret = secret_from_pattern (0, 32);
  g_autoptr (WeftToken) token = sample_token (secret, 0);
  g_autoptr (WeftToken) bad = weft_token_copy (token);

  g_free (bad->kind);
  bad->kind = g_strdup ("am");
  /* Asked for the kind it was signed as: wrong kind. Asked for the kind it now claims: the MAC
   * gives it away. */
  assert_verify_fails (secret, bad, "container", 1, WEFT_TOKEN_ERROR_WRONG_KIND);
  assert_verify_fails (secret, bad, "am", 1, WEFT_TOKEN_ERROR_INVALID);
  /* And the honest token is not accepted as another kind. */
  assert_verify_fails (secret, token, "am", 1, WEFT_TOKEN_ERROR_WRONG_KIND);
}

static void
test_tamper_identifier (void)
{
  g_autoptr (WeftSecret) secret = secret_from_pattern (0, 32);
  g_autoptr (WeftToken) token = sample_token (secret, 0);
  gsize len = g_bytes_get_size (token->identifier);
  const guint8 *data = g_bytes_get_data (token->identifier, NULL);

  for (gsize i = 0; i < len; i++)
    for (guint bit = 0; bit < 8; bit++)
      {
        g_autoptr (WeftToken) bad = weft_token_copy (token);
        g_bytes_unref (bad->identifier);
        bad->identifier = bytes_with_byte_flipped (token->identifier, i, (guint8) (1u << bit));
        assert_verify_fails (secret, bad, "container", 1, WEFT_TOKEN_ERROR_INVALID);
      }

  /* Shorter by one byte, longer by one byte, empty. */
  {
    g_autoptr (WeftToken) bad = weft_token_copy (token);
    g_bytes_unref (bad->identifier);
    bad->identifier = g_bytes_new (data, len - 1);
    assert_verify_fails (secret, bad, "container", 1, WEFT_TOKEN_ERROR_INVALID);
  }
  {
    g_autoptr (WeftToken) bad = weft_token_copy (token);
    g_autofree guint8 *longer = g_malloc (len + 1);
    memcpy (longer, data, len);
    longer[len] = 0;
    g_bytes_unref (bad->identifier);
    bad->identifier = g_bytes_new (longer, len + 1);
    assert_verify_fails (secret, bad, "container", 1, WEFT_TOKEN_ERROR_INVALID);
  }
  {
    g_autoptr (WeftToken) bad = weft_token_copy (token);
    g_bytes_unref (bad->identifier);
    bad->identifier = g_bytes_new (NULL, 0);
    assert_verify_fails (secret, bad, "container", 1, WEFT_TOKEN_ERROR_INVALID);
  }
}

static void
test_tamper_expiry (void)
{
  g_autoptr (WeftSecret) secret = secret_from_pattern (0, 32);
  g_autoptr (WeftToken) token = sample_token (secret, 100000);
  const gint64 forged[] = { 0, 99999, 100001, G_MAXINT64, 100000 + ((gint64) 1 << 40) };

  for (gsize i = 0; i < G_N_ELEMENTS (forged); i++)
    {
      g_autoptr (WeftToken) bad = weft_token_copy (token);
      bad->expiry_ms = forged[i];
      /* 0 would mean "never expires": extending a token's life must not work either. */
      assert_verify_fails (secret, bad, "container", 1, WEFT_TOKEN_ERROR_INVALID);
    }
}

static void
test_tamper_password (void)
{
  g_autoptr (WeftSecret) secret = secret_from_pattern (0, 32);
  g_autoptr (WeftToken) token = sample_token (secret, 0);
  const guint8 *pw = g_bytes_get_data (token->password, NULL);

  for (gsize i = 0; i < WEFT_TOKEN_PASSWORD_BYTES; i++)
    for (guint bit = 0; bit < 8; bit++)
      {
        g_autoptr (WeftToken) bad = weft_token_copy (token);
        g_bytes_unref (bad->password);
        bad->password = bytes_with_byte_flipped (token->password, i, (guint8) (1u << bit));
        assert_verify_fails (secret, bad, "container", 1, WEFT_TOKEN_ERROR_INVALID);
      }

  /* Truncated, extended, empty passwords. */
  for (gsize len = 0; len <= WEFT_TOKEN_PASSWORD_BYTES + 1; len++)
    {
      g_autoptr (WeftToken) bad = NULL;
      guint8 buf[WEFT_TOKEN_PASSWORD_BYTES + 1] = { 0 };

      if (len == WEFT_TOKEN_PASSWORD_BYTES)
        continue;
      memcpy (buf, pw, MIN (len, (gsize) WEFT_TOKEN_PASSWORD_BYTES));
      bad = weft_token_copy (token);
      g_bytes_unref (bad->password);
      bad->password = g_bytes_new (buf, len);
      assert_verify_fails (secret, bad, "container", 1, WEFT_TOKEN_ERROR_INVALID);
    }
}

static void
test_wrong_key (void)
{
  g_autoptr (WeftSecret) secret = secret_from_pattern (0, 32);
  g_autoptr (WeftSecret) other = secret_from_pattern (1, 32);
  g_autoptr (WeftSecret) longer = secret_from_pattern (0, 33); /* same prefix, one more byte */
  g_autoptr (WeftToken) token = sample_token (secret, 0);

  assert_verify_fails (other, token, "container", 1, WEFT_TOKEN_ERROR_INVALID);
  assert_verify_fails (longer, token, "container", 1, WEFT_TOKEN_ERROR_INVALID);
}

static void
test_expiry (void)
{
  g_autoptr (WeftSecret) secret = secret_from_pattern (0, 32);
  g_autoptr (WeftToken) token = sample_token (secret, 1000);
  g_autoptr (WeftToken) forever = sample_token (secret, 0);
  g_autoptr (GError) error = NULL;

  g_assert_true (weft_token_verify (secret, token, "container", 0, NULL));
  g_assert_true (weft_token_verify (secret, token, "container", 999, NULL));
  /* Valid while now < expiry: at the expiry instant it is over. */
  assert_verify_fails (secret, token, "container", 1000, WEFT_TOKEN_ERROR_EXPIRED);
  g_assert_false (weft_token_verify (secret, token, "container", 3500, &error));
  g_assert_error (error, WEFT_TOKEN_ERROR, WEFT_TOKEN_ERROR_EXPIRED);
  g_assert_nonnull (strstr (error->message, "2500 ms ago"));

  g_assert_true (weft_token_verify (secret, forever, "container", 0, NULL));
  g_assert_true (weft_token_verify (secret, forever, "container", G_MAXINT64, NULL));

  /* Expired and tampered with: INVALID, so a forger learns nothing from the expiry check. */
  {
    g_autoptr (WeftToken) bad = weft_token_copy (token);
    g_bytes_unref (bad->password);
    bad->password = bytes_with_byte_flipped (token->password, 0, 1);
    assert_verify_fails (secret, bad, "container", 5000, WEFT_TOKEN_ERROR_INVALID);
  }
  /* Expired and signed with another key: INVALID too. */
  {
    g_autoptr (WeftSecret) other = secret_from_pattern (9, 32);
    assert_verify_fails (other, token, "container", 5000, WEFT_TOKEN_ERROR_INVALID);
  }
}

static void
test_ambiguity (void)
{
  g_autoptr (WeftSecret) secret = secret_from_pattern (0, 32);
  g_autoptr (GBytes) c = g_bytes_new ("c", 1);
  g_autoptr (GBytes) bc = g_bytes_new ("bc", 2);
  g_autoptr (WeftToken) t1 = weft_token_sign (secret, "ab", c, 7);
  g_autoptr (WeftToken) t2 = weft_token_sign (secret, "a", bc, 7);
  g_autoptr (WeftToken) forged = NULL;

  /* Same concatenated bytes "abc", different split: the passwords must differ, and the one
   * cannot be passed off as the other. */
  g_assert_false (g_bytes_equal (t1->password, t2->password));
  forged = weft_token_copy (t2);
  g_bytes_unref (forged->password);
  forged->password = g_bytes_ref (t1->password);
  assert_verify_fails (secret, forged, "a", 1, WEFT_TOKEN_ERROR_INVALID);

  /* The identifier/expiry boundary: an identifier holding the bytes of an expiry. */
  {
    const guint8 eight[8] = { 0, 0, 0, 0, 0, 0, 0, 7 };
    g_autoptr (GBytes) empty = g_bytes_new (NULL, 0);
    g_autoptr (GBytes) holds = g_bytes_new (eight, sizeof eight);
    g_autoptr (WeftToken) t3 = weft_token_sign (secret, "k", empty, 7);
    g_autoptr (WeftToken) t4 = weft_token_sign (secret, "k", holds, 0);
    g_assert_false (g_bytes_equal (t3->password, t4->password));
  }

  /* Identifiers built from fields have the same property. */
  {
    g_autoptr (GBytes) i1 = weft_token_identifier_new ("ab", "c", NULL);
    g_autoptr (GBytes) i2 = weft_token_identifier_new ("a", "bc", NULL);
    g_autoptr (GBytes) i3 = weft_token_identifier_new ("abc", NULL);
    g_autoptr (GBytes) i4 = weft_token_identifier_new ("abc", "", NULL);
    g_autoptr (GBytes) i5 = weft_token_identifier_new ("", "abc", NULL);
    GBytes *all[] = { i1, i2, i3, i4, i5 };

    for (gsize i = 0; i < G_N_ELEMENTS (all); i++)
      for (gsize j = i + 1; j < G_N_ELEMENTS (all); j++)
        g_assert_false (g_bytes_equal (all[i], all[j]));
  }
}

static void
test_malformed_struct (void)
{
  g_autoptr (WeftSecret) secret = secret_from_pattern (0, 32);
  g_autoptr (WeftToken) token = sample_token (secret, 0);

  /* A token assembled by hand from an RPC message may have anything in it. */
  {
    g_autoptr (WeftToken) bad = weft_token_copy (token);
    g_clear_pointer (&bad->kind, g_free);
    assert_verify_fails (secret, bad, "container", 1, WEFT_TOKEN_ERROR_INVALID);
  }
  {
    g_autoptr (WeftToken) bad = weft_token_copy (token);
    g_clear_pointer (&bad->identifier, g_bytes_unref);
    assert_verify_fails (secret, bad, "container", 1, WEFT_TOKEN_ERROR_INVALID);
  }
  {
    g_autoptr (WeftToken) bad = weft_token_copy (token);
    g_clear_pointer (&bad->password, g_bytes_unref);
    assert_verify_fails (secret, bad, "container", 1, WEFT_TOKEN_ERROR_INVALID);
  }
  {
    g_autoptr (WeftToken) bad = weft_token_copy (token);
    bad->expiry_ms = -1;
    assert_verify_fails (secret, bad, "container", 1, WEFT_TOKEN_ERROR_INVALID);
  }
  {
    g_autoptr (WeftToken) bad = weft_token_copy (token);
    g_free (bad->kind);
    bad->kind = g_strnfill (WEFT_TOKEN_MAX_KIND + 1, 'k');
    assert_verify_fails (secret, bad, bad->kind, 1, WEFT_TOKEN_ERROR_INVALID);
  }
  {
    g_autoptr (WeftToken) bad = weft_token_copy (token);
    g_autofree guint8 *big = g_malloc0 (WEFT_TOKEN_MAX_IDENTIFIER + 1);
    g_bytes_unref (bad->identifier);
    bad->identifier = g_bytes_new (big, WEFT_TOKEN_MAX_IDENTIFIER + 1);
    assert_verify_fails (secret, bad, "container", 1, WEFT_TOKEN_ERROR_INVALID);
  }
}

static void
test_sign_preconditions (void)
{
  g_autoptr (WeftSecret) secret = secret_from_pattern (0, 32);
  g_autoptr (GBytes) id = g_bytes_new ("x", 1);
  WeftToken *token;

  /* Bad arguments to sign are programmer errors: a critical, and NULL. */
  g_test_expect_message ("weft-common", G_LOG_LEVEL_CRITICAL, "*kind_is_valid*");
  token = weft_token_sign (secret, "has space", id, 0);
  g_test_assert_expected_messages ();
  g_assert_null (token);

  g_test_expect_message ("weft-common", G_LOG_LEVEL_CRITICAL, "*expiry_ms >= 0*");
  token = weft_token_sign (secret, "k", id, -5);
  g_test_assert_expected_messages ();
  g_assert_null (token);
}

static void
test_new_copy (void)
{
  g_autoptr (WeftSecret) secret = secret_from_pattern (0, 32);
  g_autoptr (WeftToken) token = sample_token (secret, 0);
  g_autoptr (WeftToken) rebuilt =
    weft_token_new (token->kind, token->identifier, token->expiry_ms, token->password);
  g_autoptr (WeftToken) copy = weft_token_copy (token);

  g_clear_pointer (&token, weft_token_free);
  g_assert_true (weft_token_verify (secret, rebuilt, "container", 1, NULL));
  g_assert_true (weft_token_verify (secret, copy, "container", 1, NULL));
  g_assert_cmpstr (copy->kind, ==, "container");
}

/* ---- Printable form --------------------------------------------------------------------- */

static void
assert_tokens_equal (const WeftToken *a, const WeftToken *b)
{
  g_assert_cmpstr (a->kind, ==, b->kind);
  g_assert_true (g_bytes_equal (a->identifier, b->identifier));
  g_assert_cmpint (a->expiry_ms, ==, b->expiry_ms);
  g_assert_true (g_bytes_equal (a->password, b->password));
}

static void
round_trip (WeftSecret *secret, const char *kind, GBytes *id, gint64 expiry)
{
  g_autoptr (WeftToken) token = weft_token_sign (secret, kind, id, expiry);
  g_autofree char *text = weft_token_encode (token);
  g_autoptr (GError) error = NULL;
  g_autoptr (WeftToken) back = weft_token_decode (text, &error);
  g_autofree char *again = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (back);
  assert_tokens_equal (token, back);
  g_assert_true (weft_token_verify (secret, back, kind, 1, NULL));
  /* Only characters that need no quoting in a shell, an environment variable or a file name. */
  g_assert_cmpuint (strspn (text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                  "0123456789-_"),
                    ==, strlen (text));
  again = weft_token_encode (back);
  g_assert_cmpstr (again, ==, text);
}

static void
test_encode_round_trip (void)
{
  g_autoptr (WeftSecret) secret = secret_from_pattern (0, 32);
  g_autoptr (GBytes) sample = sample_identifier ();
  g_autoptr (GBytes) empty = g_bytes_new (NULL, 0);
  g_autofree guint8 *big = g_malloc (WEFT_TOKEN_MAX_IDENTIFIER);
  g_autoptr (GBytes) largest = NULL;
  g_autofree char *long_kind = g_strnfill (WEFT_TOKEN_MAX_KIND, 'K');

  for (gsize i = 0; i < WEFT_TOKEN_MAX_IDENTIFIER; i++)
    big[i] = (guint8) (i * 7);
  largest = g_bytes_new (big, WEFT_TOKEN_MAX_IDENTIFIER);

  round_trip (secret, "container", sample, 1700000000000);
  round_trip (secret, "k", empty, 0);
  round_trip (secret, long_kind, largest, G_MAXINT64);
  /* Each of the three base64 tail shapes. */
  for (gsize n = 1; n <= 3; n++)
    {
      g_autoptr (GBytes) id = g_bytes_new (big, n);
      round_trip (secret, "am", id, 42);
    }
}

static void
test_decode_garbage (void)
{
  g_autofree char *valid = g_strdup (KAT_TEXT);
  g_autofree char *huge = g_strnfill (1 << 20, 'A');
  g_autofree char *just_too_long = g_strnfill (5611, 'A');
  const char *garbage[] = {
    "",       "A",      "AA",         "AAA",     "AAAA",     "!!!!",        "abc=",
    "a b c",  "====",   "\n",         "token:",  "AQ==",     "Zm9vYmFy",    "////",
    "++++",   "\xff\xfe", "ééé", "AQljb250YWluZXI", "null",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (garbage); i++)
    assert_decode_fails (garbage[i]);
  assert_decode_fails (huge);
  assert_decode_fails (just_too_long);

  /* A valid token with decoration around it: whitespace, padding, standard-alphabet chars. */
  {
    const char *wraps[] = { " %s", "%s ", "%s\n", "%s=", "%s==", "\"%s\"", "%s.", "%s+" };
    for (gsize i = 0; i < G_N_ELEMENTS (wraps); i++)
      {
        g_autofree char *t = NULL;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        t = g_strdup_printf (wraps[i], valid);
#pragma GCC diagnostic pop
        assert_decode_fails (t);
      }
  }

  /* Every single-character substitution outside the alphabet. */
  for (gsize pos = 0; pos < strlen (valid); pos += 7)
    {
      g_autofree char *t = g_strdup (valid);
      t[pos] = '/';
      assert_decode_fails (t);
      t[pos] = '=';
      assert_decode_fails (t);
    }
}

static void
test_decode_truncated (void)
{
  g_autofree char *text = g_strdup (KAT_TEXT);
  gsize text_len = strlen (text);
  gsize bin_len;
  g_autofree guint8 *bin = unb64url (text, &bin_len);

  g_assert_cmpuint (bin_len, ==, 67);
  /* Every shorter binary prefix, properly encoded. */
  for (gsize len = 0; len < bin_len; len++)
    assert_decode_bin_fails (bin, len, NULL);
  /* Every shorter text prefix, as cut off by a truncated environment variable. */
  for (gsize len = 0; len < text_len; len++)
    {
      g_autofree char *t = g_strndup (text, len);
      assert_decode_fails (t);
    }
  /* The whole thing still decodes (the loops above did not test a broken vector). */
  {
    g_autoptr (WeftToken) token = weft_token_decode (text, NULL);
    g_assert_nonnull (token);
  }
}

static void
test_decode_fields (void)
{
  g_autoptr (GByteArray) ok = raw_token (1, 1, "k", 1, 3, 3, 5, 32, 32);
  g_autofree char *ok_text = b64url (ok->data, ok->len);
  g_autoptr (GError) error = NULL;
  g_autoptr (WeftToken) token = weft_token_decode (ok_text, &error);
  g_autofree char *k65 = g_strnfill (65, 'k');
  g_autofree char *k64 = g_strnfill (64, 'k');

  /* The hand-built baseline is accepted, so each failure below is due to its one change. */
  g_assert_no_error (error);
  g_assert_nonnull (token);
  g_assert_cmpstr (token->kind, ==, "k");
  g_assert_cmpuint (g_bytes_get_size (token->identifier), ==, 3);
  g_assert_cmpint (token->expiry_ms, ==, 5);

  const struct {
    const char *name;
    GByteArray *raw;
    const char *message;
  } cases[] = {
    { "version 0", raw_token (0, 1, "k", 1, 3, 3, 5, 32, 32), "version" },
    { "version 2", raw_token (2, 1, "k", 1, 3, 3, 5, 32, 32), "version" },
    { "version 255", raw_token (255, 1, "k", 1, 3, 3, 5, 32, 32), "version" },
    { "empty kind", raw_token (1, 0, "", 0, 3, 3, 5, 32, 32), "kind" },
    { "kind 65", raw_token (1, 65, k65, 65, 3, 3, 5, 32, 32), "kind" },
    { "kind 255", raw_token (1, 255, k65, 65, 3, 3, 5, 32, 32), "kind" },
    { "kind with space", raw_token (1, 2, "a b", 2, 3, 3, 5, 32, 32), NULL },
    { "kind with NUL", raw_token (1, 2, "a\0", 2, 3, 3, 5, 32, 32), "kind" },
    { "kind with 0x80", raw_token (1, 1, "\x80", 1, 3, 3, 5, 32, 32), "kind" },
    { "kind with DEL", raw_token (1, 1, "\x7f", 1, 3, 3, 5, 32, 32), "kind" },
    { "kind longer than data", raw_token (1, 64, "k", 1, 0, 0, 0, 0, 0), NULL },
    { "identifier 4097", raw_token (1, 1, "k", 1, 4097, 4097, 5, 32, 32), "identifier" },
    { "identifier 4 GiB", raw_token (1, 1, "k", 1, G_MAXUINT32, 0, 5, 32, 32), "identifier" },
    { "identifier past end", raw_token (1, 1, "k", 1, 100, 3, 5, 32, 32), "truncated" },
    { "negative expiry", raw_token (1, 1, "k", 1, 3, 3, G_GUINT64_CONSTANT (1) << 63, 32, 32),
      "expiry" },
    { "expiry all ones", raw_token (1, 1, "k", 1, 3, 3, G_MAXUINT64, 32, 32), "expiry" },
    { "password 0", raw_token (1, 1, "k", 1, 3, 3, 5, 0, 0), "password" },
    { "password 31", raw_token (1, 1, "k", 1, 3, 3, 5, 31, 31), "password" },
    { "password 33", raw_token (1, 1, "k", 1, 3, 3, 5, 33, 33), "password" },
    { "password 255", raw_token (1, 1, "k", 1, 3, 3, 5, 255, 255), "password" },
    { "password short", raw_token (1, 1, "k", 1, 3, 3, 5, 32, 31), "truncated" },
    { "trailing byte", raw_token (1, 1, "k", 1, 3, 3, 5, 32, 33), "trailing" },
    { "trailing kilobyte", raw_token (1, 1, "k", 1, 3, 3, 5, 32, 1056), "trailing" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      if (g_test_verbose ())
        g_printerr ("case: %s\n", cases[i].name);
      assert_decode_bin_fails (cases[i].raw->data, cases[i].raw->len, cases[i].message);
      g_byte_array_unref (cases[i].raw);
    }

  /* The limits themselves are accepted. */
  {
    g_autoptr (GByteArray) edge = raw_token (1, 64, k64, 64, 4096, 4096, G_MAXINT64, 32, 32);
    g_autofree char *text = b64url (edge->data, edge->len);
    g_autoptr (WeftToken) t = weft_token_decode (text, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (strlen (t->kind), ==, 64);
    g_assert_cmpint (t->expiry_ms, ==, G_MAXINT64);
  }
}

static void
test_decode_non_canonical (void)
{
  /* KAT_TEXT encodes 67 bytes: its last character carries 4 unused bits, which must be zero.
   * Setting one would make a second text for the same token. */
  g_autofree char *text = g_strdup (KAT_TEXT);
  gsize last = strlen (text) - 1;

  g_assert_cmpint (text[last], ==, 'g');
  for (const char *c = "hijklmnopqrstuv"; *c != '\0'; c++)
    {
      text[last] = *c;
      assert_decode_fails (text);
    }
}

static void
test_decode_fuzz (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (20240611);
  g_autofree char *text = g_strdup (KAT_TEXT);
  gsize bin_len;
  g_autofree guint8 *bin = unb64url (text, &bin_len);
  guint accepted = 0;

  /* Random damage to the binary form: decode either refuses cleanly or yields a token whose
   * encoding is exactly the damaged input (no silent normalisation). ASan watches the reads. */
  for (guint round = 0; round < 20000; round++)
    {
      g_autoptr (GByteArray) b = g_byte_array_new ();
      g_autofree char *t = NULL;
      g_autoptr (GError) error = NULL;
      g_autoptr (WeftToken) token = NULL;
      guint edits = (guint) g_rand_int_range (rand, 1, 4);

      g_byte_array_append (b, bin, (guint) bin_len);
      for (guint e = 0; e < edits; e++)
        {
          guint pos = b->len ? (guint) g_rand_int_range (rand, 0, (gint32) b->len) : 0;
          guint8 byte = (guint8) g_rand_int_range (rand, 0, 256);
          switch (g_rand_int_range (rand, 0, 4))
            {
            case 0:
              if (b->len)
                b->data[pos] = byte;
              break;
            case 1:
              if (b->len)
                g_byte_array_remove_index (b, pos);
              break;
            case 2:
              g_byte_array_set_size (b, b->len + 1);
              memmove (b->data + pos + 1, b->data + pos, b->len - 1 - pos);
              b->data[pos] = byte;
              break;
            default:
              g_byte_array_set_size (b, pos);
              break;
            }
        }
      t = b64url (b->data, b->len);
      token = weft_token_decode (t, &error);
      if (token != NULL)
        {
          g_autofree char *again = weft_token_encode (token);
          g_assert_no_error (error);
          g_assert_cmpstr (again, ==, t);
          accepted++;
        }
      else
        g_assert_error (error, WEFT_TOKEN_ERROR, WEFT_TOKEN_ERROR_INVALID);
    }
  /* Byte substitutions in the identifier, expiry and password leave a well-formed token. */
  g_assert_cmpuint (accepted, >, 0);
}

/* ---- Identifiers ------------------------------------------------------------------------ */

static void
test_identifier_round_trip (void)
{
  g_autofree char *long_field = g_strnfill (300, 'z');
  const char *fields[] = { "container_1_0001_01_000002", "", "höst:8041", long_field, "1024",
                           NULL };
  g_autoptr (GBytes) id = weft_token_identifier_newv (fields);
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) back = weft_token_identifier_parse (id, &error);

  g_assert_no_error (error);
  g_assert_true (g_strv_equal ((const char *const *) back, fields));

  /* The varargs form gives the same bytes. */
  {
    g_autoptr (GBytes) id2 = weft_token_identifier_new (fields[0], fields[1], fields[2],
                                                        fields[3], fields[4], NULL);
    g_assert_true (g_bytes_equal (id, id2));
  }
  /* The layout is be32 length + bytes per field. */
  {
    const guint8 expected[] = { 0, 0, 0, 1, 'a', 0, 0, 0, 2, 'b', 'c' };
    g_autoptr (GBytes) ab = weft_token_identifier_new ("a", "bc", NULL);
    gsize len;
    const guint8 *data = g_bytes_get_data (ab, &len);
    g_assert_cmpmem (data, len, expected, sizeof expected);
  }
  /* No fields: no bytes, and back to an empty list. */
  {
    g_autoptr (GBytes) none = weft_token_identifier_new (NULL, NULL);
    g_auto (GStrv) empty = weft_token_identifier_parse (none, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (g_bytes_get_size (none), ==, 0);
    g_assert_nonnull (empty);
    g_assert_cmpuint (g_strv_length (empty), ==, 0);
  }
}

static void
test_identifier_parse_bad (void)
{
  const struct {
    const char *data;
    gsize len;
  } bad[] = {
    { "\0", 1 },
    { "\0\0", 2 },
    { "\0\0\0", 3 },
    { "\0\0\0\1", 4 },                   /* one byte promised, none there */
    { "\0\0\0\2a", 5 },                  /* two promised, one there */
    { "\0\0\0\1a\0", 6 },                /* a valid field, then a partial length */
    { "\0\0\0\1a\0\0\0", 8 },            /* ... a longer partial length */
    { "\xff\xff\xff\xff" "abcd", 8 },    /* 4 GiB promised */
    { "\0\0\0\3a\0b", 7 },               /* NUL inside a field */
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GBytes) id = g_bytes_new (bad[i].data, bad[i].len);
      g_autoptr (GError) error = NULL;
      g_auto (GStrv) fields = weft_token_identifier_parse (id, &error);
      g_assert_null (fields);
      g_assert_error (error, WEFT_TOKEN_ERROR, WEFT_TOKEN_ERROR_INVALID);
    }

  /* Every truncation of a real identifier is refused, except the cuts at field boundaries,
   * which give a prefix of the fields (which is why the caller checks the field count). */
  {
    g_autoptr (GBytes) id = sample_identifier ();
    gsize len;
    const guint8 *data = g_bytes_get_data (id, &len);
    guint accepted = 0;

    for (gsize cut = 0; cut < len; cut++)
      {
        g_autoptr (GBytes) part = g_bytes_new (data, cut);
        g_autoptr (GError) error = NULL;
        g_auto (GStrv) fields = weft_token_identifier_parse (part, &error);
        if (fields != NULL)
          {
            g_assert_cmpuint (g_strv_length (fields), <, 5);
            accepted++;
          }
        else
          g_assert_error (error, WEFT_TOKEN_ERROR, WEFT_TOKEN_ERROR_INVALID);
      }
    g_assert_cmpuint (accepted, ==, 5); /* cut = 0 and after each of the first four fields */
  }
}

/* ---- Secrets in memory ------------------------------------------------------------------ */

static void
test_secret_bytes (void)
{
  guint8 key[64];
  g_autoptr (GError) error = NULL;

  for (gsize i = 0; i < sizeof key; i++)
    key[i] = (guint8) (0xa0 + i);

  {
    g_autoptr (GBytes) in = g_bytes_new (key, sizeof key);
    g_autoptr (WeftSecret) secret = weft_secret_new_from_bytes (in, &error);
    g_autoptr (GBytes) out = NULL;
    g_autoptr (WeftSecret) again = NULL;
    g_autoptr (WeftToken) token = NULL;

    g_assert_no_error (error);
    out = weft_secret_export (secret);
    g_assert_true (g_bytes_equal (in, out));
    /* An executor rebuilding the secret from the export verifies the driver's tokens. */
    again = weft_secret_new_from_bytes (out, &error);
    g_assert_no_error (error);
    token = sample_token (secret, 0);
    g_assert_true (weft_token_verify (again, token, "container", 1, NULL));
  }

  const gsize bad_sizes[] = { 0, 1, 31, WEFT_SECRET_MAX_BYTES + 1 };
  for (gsize i = 0; i < G_N_ELEMENTS (bad_sizes); i++)
    {
      g_autofree guint8 *buf = g_malloc0 (bad_sizes[i] + 1);
      g_autoptr (GBytes) in = g_bytes_new (buf, bad_sizes[i]);
      g_autoptr (WeftSecret) secret = weft_secret_new_from_bytes (in, &error);
      g_assert_null (secret);
      g_assert_error (error, WEFT_TOKEN_ERROR, WEFT_TOKEN_ERROR_SECRET);
      g_clear_error (&error);
    }
}

static void
test_secret_random (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WeftSecret) a = weft_secret_new_random (&error);
  g_autoptr (WeftSecret) b = NULL;
  g_autoptr (GBytes) ka = NULL;
  g_autoptr (GBytes) kb = NULL;
  g_autoptr (WeftToken) token = NULL;

  g_assert_no_error (error);
  b = weft_secret_new_random (&error);
  g_assert_no_error (error);
  ka = weft_secret_export (a);
  kb = weft_secret_export (b);
  g_assert_cmpuint (g_bytes_get_size (ka), ==, 32);
  g_assert_false (g_bytes_equal (ka, kb));

  token = sample_token (a, 0);
  g_assert_true (weft_token_verify (a, token, "container", 1, NULL));
  assert_verify_fails (b, token, "container", 1, WEFT_TOKEN_ERROR_INVALID);
}

/* ---- Secret files ----------------------------------------------------------------------- */

typedef struct {
  char *dir;
} DirFixture;

static void
rm_rf (const char *path)
{
  struct stat st;

  if (lstat (path, &st) != 0)
    return;
  if (S_ISDIR (st.st_mode))
    {
      g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
      const char *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          rm_rf (child);
        }
      g_assert_no_errno (rmdir (path));
    }
  else
    g_assert_no_errno (unlink (path));
}

static void
dir_setup (DirFixture *fx, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  (void) data;
  fx->dir = g_dir_make_tmp ("weft-test-token-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
dir_teardown (DirFixture *fx, gconstpointer data)
{
  (void) data;
  rm_rf (fx->dir);
  g_assert_false (g_file_test (fx->dir, G_FILE_TEST_EXISTS));
  g_free (fx->dir);
}

/* Writes @len pattern bytes to a new file in the fixture folder with exactly @mode. */
static char *
write_key_file (DirFixture *fx, const char *name, gsize len, mode_t mode)
{
  char *path = g_build_filename (fx->dir, name, NULL);
  g_autofree char *data = g_malloc (len + 1);
  g_autoptr (GError) error = NULL;

  for (gsize i = 0; i < len; i++)
    data[i] = (char) (0x30 + i % 64);
  g_file_set_contents (path, data, (gssize) len, &error);
  g_assert_no_error (error);
  g_assert_no_errno (chmod (path, mode));
  return path;
}

static void
assert_load_fails (const char *path, WeftTokenError code, const char *expected_in_message)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WeftSecret) secret = weft_secret_load (path, &error);

  g_assert_null (secret);
  g_assert_error (error, WEFT_TOKEN_ERROR, (gint) code);
  if (strstr (error->message, expected_in_message) == NULL)
    g_error ("message \"%s\" lacks \"%s\"", error->message, expected_in_message);
  /* Every refusal names the file, so the operator knows which one to fix. */
  g_assert_nonnull (strstr (error->message, path));
}

static void
test_file_generate_load (DirFixture *fx, gconstpointer data)
{
  g_autofree char *path = g_build_filename (fx->dir, "cluster.secret", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (WeftSecret) rm = NULL;
  g_autoptr (WeftSecret) nm = NULL;
  g_autoptr (GBytes) exported = NULL;
  g_autoptr (WeftToken) token = NULL;
  g_autofree char *contents = NULL;
  gsize len;
  struct stat st;

  (void) data;
  g_assert_true (weft_secret_generate (path, &error));
  g_assert_no_error (error);

  g_assert_no_errno (lstat (path, &st));
  g_assert_true (S_ISREG (st.st_mode));
  g_assert_cmpint (st.st_mode & 07777, ==, 0600);
  g_assert_cmpint (st.st_size, ==, 64);
  g_assert_cmpuint (st.st_uid, ==, geteuid ());

  rm = weft_secret_load (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (rm);

  /* The loaded key is the file's bytes. */
  g_file_get_contents (path, &contents, &len, &error);
  g_assert_no_error (error);
  exported = weft_secret_export (rm);
  g_assert_cmpmem (g_bytes_get_data (exported, NULL), g_bytes_get_size (exported), contents,
                   len);

  /* The RM signs, an NM that loaded the same file verifies. */
  nm = weft_secret_load (path, &error);
  g_assert_no_error (error);
  token = sample_token (rm, 0);
  g_assert_true (weft_token_verify (nm, token, "container", 1, NULL));

  /* Two generated secrets differ. */
  {
    g_autofree char *path2 = g_build_filename (fx->dir, "second.secret", NULL);
    g_autofree char *contents2 = NULL;
    g_assert_true (weft_secret_generate (path2, &error));
    g_file_get_contents (path2, &contents2, &len, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (len, ==, 64);
    g_assert_false (memcmp (contents, contents2, 64) == 0);
  }
}

static void
test_file_generate_umask (DirFixture *fx, gconstpointer data)
{
  /* Even a umask that clears the owner's read bit yields a usable 0600 file. */
  g_autofree char *path = g_build_filename (fx->dir, "s", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (WeftSecret) secret = NULL;
  mode_t old = umask (0477);
  gboolean ok = weft_secret_generate (path, &error);
  struct stat st;

  (void) data;
  umask (old);
  g_assert_no_error (error);
  g_assert_true (ok);
  g_assert_no_errno (stat (path, &st));
  g_assert_cmpint (st.st_mode & 07777, ==, 0600);
  secret = weft_secret_load (path, &error);
  g_assert_no_error (error);
}

static void
test_file_generate_existing (DirFixture *fx, gconstpointer data)
{
  g_autofree char *path = write_key_file (fx, "existing", 40, 0600);
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autoptr (GError) error = NULL;

  (void) data;
  g_file_get_contents (path, &before, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (weft_secret_generate (path, &error));
  g_assert_error (error, WEFT_TOKEN_ERROR, WEFT_TOKEN_ERROR_SECRET);
  g_assert_nonnull (strstr (error->message, "already exists"));
  g_clear_error (&error);
  g_file_get_contents (path, &after, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (before, ==, after);

  /* Nor through a symlink, even a dangling one: it would create the file elsewhere. */
  {
    g_autofree char *link = g_build_filename (fx->dir, "link", NULL);
    g_autofree char *target = g_build_filename (fx->dir, "target", NULL);
    g_assert_no_errno (symlink (target, link));
    g_assert_false (weft_secret_generate (link, &error));
    g_assert_nonnull (error);
    g_clear_error (&error);
    g_assert_false (g_file_test (target, G_FILE_TEST_EXISTS));
  }

  /* A folder that does not exist: an IO error, nothing created. */
  {
    g_autofree char *nowhere = g_build_filename (fx->dir, "no", "such", NULL);
    g_assert_false (weft_secret_generate (nowhere, &error));
    g_assert_error (error, WEFT_TOKEN_ERROR, WEFT_TOKEN_ERROR_IO);
  }
}

static void
test_file_modes (DirFixture *fx, gconstpointer data)
{
  const mode_t refused[] = { 0644, 0640, 0604, 0660, 0606, 0610, 0601, 0620, 0602, 0666, 0777 };
  const mode_t accepted[] = { 0600, 0400, 0700 };

  (void) data;
  for (gsize i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autofree char *name = g_strdup_printf ("mode-%04o", (unsigned) refused[i]);
      g_autofree char *path = write_key_file (fx, name, 64, refused[i]);
      g_autofree char *fix = g_strdup_printf ("chmod 600 %s", path);
      assert_load_fails (path, WEFT_TOKEN_ERROR_SECRET, fix);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (accepted); i++)
    {
      g_autofree char *name = g_strdup_printf ("ok-%04o", (unsigned) accepted[i]);
      g_autofree char *path = write_key_file (fx, name, 64, accepted[i]);
      g_autoptr (GError) error = NULL;
      g_autoptr (WeftSecret) secret = weft_secret_load (path, &error);
      g_assert_no_error (error);
      g_assert_nonnull (secret);
    }
}

static void
test_file_symlink (DirFixture *fx, gconstpointer data)
{
  g_autofree char *target = write_key_file (fx, "real", 64, 0600);
  g_autofree char *link = g_build_filename (fx->dir, "link", NULL);
  g_autoptr (WeftSecret) direct = NULL;

  (void) data;
  g_assert_no_errno (symlink (target, link));
  assert_load_fails (link, WEFT_TOKEN_ERROR_SECRET, "symbolic link");
  /* The target itself is fine: it is the link that is refused. */
  direct = weft_secret_load (target, NULL);
  g_assert_nonnull (direct);
}

static void
test_file_not_regular (DirFixture *fx, gconstpointer data)
{
  g_autofree char *dir = g_build_filename (fx->dir, "a-folder", NULL);
  g_autofree char *fifo = g_build_filename (fx->dir, "a-fifo", NULL);

  (void) data;
  g_assert_no_errno (mkdir (dir, 0700));
  assert_load_fails (dir, WEFT_TOKEN_ERROR_SECRET, "not a regular file");
  /* A FIFO with no writer must be refused, not block the daemon in open(). */
  g_assert_no_errno (mkfifo (fifo, 0600));
  assert_load_fails (fifo, WEFT_TOKEN_ERROR_SECRET, "not a regular file");
  /* A character device, for good measure (not ours, so it may fail on owner or mode too). */
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (WeftSecret) secret = weft_secret_load ("/dev/zero", &error);
    g_assert_null (secret);
    g_assert_error (error, WEFT_TOKEN_ERROR, WEFT_TOKEN_ERROR_SECRET);
  }
}

static void
test_file_sizes (DirFixture *fx, gconstpointer data)
{
  const gsize refused[] = { 0, 1, 31, WEFT_SECRET_MAX_BYTES + 1, 1 << 20 };
  const gsize accepted[] = { 32, 33, 64, WEFT_SECRET_MAX_BYTES };

  (void) data;
  for (gsize i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autofree char *name = g_strdup_printf ("size-%" G_GSIZE_FORMAT, refused[i]);
      g_autofree char *path = write_key_file (fx, name, refused[i], 0600);
      assert_load_fails (path, WEFT_TOKEN_ERROR_SECRET, "bytes, but a secret needs 32 to 4096");
    }
  for (gsize i = 0; i < G_N_ELEMENTS (accepted); i++)
    {
      g_autofree char *name = g_strdup_printf ("ok-%" G_GSIZE_FORMAT, accepted[i]);
      g_autofree char *path = write_key_file (fx, name, accepted[i], 0600);
      g_autoptr (GError) error = NULL;
      g_autoptr (WeftSecret) secret = weft_secret_load (path, &error);
      g_autoptr (GBytes) key = NULL;
      g_assert_no_error (error);
      key = weft_secret_export (secret);
      g_assert_cmpuint (g_bytes_get_size (key), ==, accepted[i]);
    }
}

static void
test_file_missing (DirFixture *fx, gconstpointer data)
{
  g_autofree char *path = g_build_filename (fx->dir, "absent", NULL);

  (void) data;
  assert_load_fails (path, WEFT_TOKEN_ERROR_SECRET, "does not exist");
  assert_load_fails (path, WEFT_TOKEN_ERROR_SECRET, "umask 077");
}

static void
test_file_owner (DirFixture *fx, gconstpointer data)
{
  g_autofree char *path = write_key_file (fx, "foreign", 64, 0600);

  (void) data;
  if (geteuid () != 0)
    {
      g_test_skip ("needs root to give a file to another user");
      return;
    }
  g_assert_no_errno (chown (path, 65534, 65534));
  assert_load_fails (path, WEFT_TOKEN_ERROR_SECRET, "belongs to uid 65534");
}

static void
test_file_unreadable (DirFixture *fx, gconstpointer data)
{
  g_autofree char *path = write_key_file (fx, "write-only", 64, 0200);

  (void) data;
  if (geteuid () == 0)
    {
      g_test_skip ("root reads any file");
      return;
    }
  assert_load_fails (path, WEFT_TOKEN_ERROR_SECRET, "chmod 600");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/common/token/equal-ct", test_equal_ct);
  g_test_add_func ("/common/token/sign-verify", test_sign_verify);
  g_test_add_func ("/common/token/known-answer", test_known_answer);
  g_test_add_func ("/common/token/tamper/kind", test_tamper_kind);
  g_test_add_func ("/common/token/tamper/identifier", test_tamper_identifier);
  g_test_add_func ("/common/token/tamper/expiry", test_tamper_expiry);
  g_test_add_func ("/common/token/tamper/password", test_tamper_password);
  g_test_add_func ("/common/token/wrong-key", test_wrong_key);
  g_test_add_func ("/common/token/expiry", test_expiry);
  g_test_add_func ("/common/token/ambiguity", test_ambiguity);
  g_test_add_func ("/common/token/malformed-struct", test_malformed_struct);
  g_test_add_func ("/common/token/sign-preconditions", test_sign_preconditions);
  g_test_add_func ("/common/token/new-copy", test_new_copy);
  g_test_add_func ("/common/token/encode/round-trip", test_encode_round_trip);
  g_test_add_func ("/common/token/decode/garbage", test_decode_garbage);
  g_test_add_func ("/common/token/decode/truncated", test_decode_truncated);
  g_test_add_func ("/common/token/decode/fields", test_decode_fields);
  g_test_add_func ("/common/token/decode/non-canonical", test_decode_non_canonical);
  g_test_add_func ("/common/token/decode/fuzz", test_decode_fuzz);
  g_test_add_func ("/common/token/identifier/round-trip", test_identifier_round_trip);
  g_test_add_func ("/common/token/identifier/parse-bad", test_identifier_parse_bad);
  g_test_add_func ("/common/token/secret/bytes", test_secret_bytes);
  g_test_add_func ("/common/token/secret/random", test_secret_random);

#define ADD_FILE_TEST(path, fn) \
  g_test_add ("/common/token/secret/file/" path, DirFixture, NULL, dir_setup, fn, dir_teardown)
  ADD_FILE_TEST ("generate-load", test_file_generate_load);
  ADD_FILE_TEST ("generate-umask", test_file_generate_umask);
  ADD_FILE_TEST ("generate-existing", test_file_generate_existing);
  ADD_FILE_TEST ("modes", test_file_modes);
  ADD_FILE_TEST ("symlink", test_file_symlink);
  ADD_FILE_TEST ("not-regular", test_file_not_regular);
  ADD_FILE_TEST ("sizes", test_file_sizes);
  ADD_FILE_TEST ("missing", test_file_missing);
  ADD_FILE_TEST ("owner", test_file_owner);
  ADD_FILE_TEST ("unreadable", test_file_unreadable);
#undef ADD_FILE_TEST

  return g_test_run ();
}
