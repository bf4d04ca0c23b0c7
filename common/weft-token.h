/* weft-token: shared secrets and HMAC-SHA256 tokens, the primitive under Weft's security.
 * A WeftSecret is immutable key material (>= 32 bytes, zeroed when freed), loaded only from a
 * private file owned by the caller. A token is (kind, identifier, expiry) plus an HMAC over an
 * unambiguous encoding of all three; callers build the identifier bytes (this module knows no
 * containers). Everything here is thread-safe: secrets and tokens are never mutated after creation. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define WEFT_TOKEN_ERROR (weft_token_error_quark ())

typedef enum {
  WEFT_TOKEN_ERROR_INVALID,    /* bad MAC, malformed token or identifier */
  WEFT_TOKEN_ERROR_EXPIRED,    /* valid MAC, but past its expiry */
  WEFT_TOKEN_ERROR_WRONG_KIND, /* a token of another kind than the one expected */
  WEFT_TOKEN_ERROR_SECRET,     /* the secret file is missing, unsafe or the wrong size */
  WEFT_TOKEN_ERROR_IO,         /* a read, write or random-source failure */
} WeftTokenError;

GQuark weft_token_error_quark (void);

/* Key sizes: below 32 bytes HMAC-SHA256 loses strength; the upper bound only guards against
 * pointing the loader at a wrong, large file. weft_secret_generate() writes 64 bytes. */
#define WEFT_SECRET_MIN_BYTES 32
#define WEFT_SECRET_MAX_BYTES 4096

/* Token limits, enforced by sign (preconditions), verify and decode (errors). */
#define WEFT_TOKEN_MAX_KIND       64   /* bytes of printable ASCII, no space */
#define WEFT_TOKEN_MAX_IDENTIFIER 4096 /* bytes */
#define WEFT_TOKEN_PASSWORD_BYTES 32   /* HMAC-SHA256 */

typedef struct _WeftSecret WeftSecret;

/**
 * weft_secret_load:
 * @path: file holding the raw key bytes
 *
 * Reads a cluster secret. Refuses (WEFT_TOKEN_ERROR_SECRET, with a message saying how to fix it)
 * a missing file, a symlink, anything but a regular file, a file owned by another user than the
 * effective uid, any group/other permission bit (mode & 077), or a size outside
 * [WEFT_SECRET_MIN_BYTES, WEFT_SECRET_MAX_BYTES]. Checks are made on the opened descriptor.
 *
 * Returns: (transfer full) (nullable): the secret, or NULL with @error set.
 */
WeftSecret *weft_secret_load (const char *path, GError **error);

/**
 * weft_secret_generate:
 * @path: file to create; must not exist
 *
 * Writes 64 bytes from the kernel's CSPRNG to a new file (O_EXCL, mode 0600), fsync'd. On
 * failure no file is left behind (unless it existed before, which is itself an error).
 *
 * Returns: TRUE on success, FALSE with @error set.
 */
gboolean weft_secret_generate (const char *path, GError **error);

/**
 * weft_secret_new_random:
 *
 * A fresh 32-byte secret from the kernel's CSPRNG, e.g. a per-application secret.
 * Fails (WEFT_TOKEN_ERROR_IO) only if the kernel cannot supply randomness.
 *
 * Returns: (transfer full) (nullable): the secret, or NULL with @error set.
 */
WeftSecret *weft_secret_new_random (GError **error);

/**
 * weft_secret_new_from_bytes:
 * @key: (transfer none): key bytes, copied; may come from outside (an executor's environment)
 *
 * Returns: (transfer full) (nullable): the secret, or NULL with @error set
 *   (WEFT_TOKEN_ERROR_SECRET) if @key is outside [WEFT_SECRET_MIN_BYTES, WEFT_SECRET_MAX_BYTES].
 */
WeftSecret *weft_secret_new_from_bytes (GBytes *key, GError **error);

/**
 * weft_secret_export:
 * @secret: (transfer none): a secret
 *
 * A copy of the key bytes, to hand a per-application secret to its executors. The copy is
 * zeroed when its last reference goes.
 *
 * Returns: (transfer full): the key bytes.
 */
GBytes *weft_secret_export (const WeftSecret *secret);

/**
 * weft_secret_free:
 * @secret: (transfer full) (nullable): a secret; its key bytes are zeroed before release
 */
void weft_secret_free (WeftSecret *secret);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WeftSecret, weft_secret_free)

/* A token. Plain data: fields may be read freely; a token built by hand (say, from an RPC
 * message) is checked by weft_token_verify(). password is the HMAC, a bearer credential: don't
 * log it. */
typedef struct {
  char *kind;         /* e.g. "container", "am", "client" */
  GBytes *identifier; /* caller-defined bytes, see weft_token_identifier_new() */
  gint64 expiry_ms;   /* unix time in ms; valid while now < expiry; 0 = never expires */
  GBytes *password;   /* HMAC-SHA256, WEFT_TOKEN_PASSWORD_BYTES */
} WeftToken;

/**
 * weft_token_new:
 * @kind: token kind
 * @identifier: (transfer none): identifier bytes (referenced)
 * @expiry_ms: unix ms, 0 = never
 * @password: (transfer none): claimed MAC (referenced)
 *
 * Assembles a token from parts received elsewhere, without checking anything: pass it to
 * weft_token_verify() before trusting it.
 *
 * Returns: (transfer full): a new token.
 */
WeftToken *weft_token_new (const char *kind, GBytes *identifier, gint64 expiry_ms,
                           GBytes *password);

/**
 * weft_token_copy:
 * @token: (transfer none): a token
 *
 * Returns: (transfer full): a copy; the GBytes fields are shared (they are immutable).
 */
WeftToken *weft_token_copy (const WeftToken *token);

/**
 * weft_token_free:
 * @token: (transfer full) (nullable): a token
 */
void weft_token_free (WeftToken *token);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WeftToken, weft_token_free)

/**
 * weft_token_sign:
 * @secret: (transfer none): signing key
 * @kind: 1..WEFT_TOKEN_MAX_KIND bytes of printable ASCII without space
 * @identifier: (transfer none): at most WEFT_TOKEN_MAX_IDENTIFIER bytes (referenced, not copied)
 * @expiry_ms: unix ms, >= 0; 0 = never expires
 *
 * password = HMAC-SHA256(secret, "weft-token" NUL, version, len32(kind), kind,
 * len32(identifier), identifier, be64(expiry_ms)). Limits are preconditions: check input taken
 * from users before building an identifier from it.
 *
 * Returns: (transfer full): the signed token.
 */
WeftToken *weft_token_sign (const WeftSecret *secret, const char *kind, GBytes *identifier,
                            gint64 expiry_ms);

/**
 * weft_token_verify:
 * @secret: (transfer none): the key the token should have been signed with
 * @token: (transfer none): a token from an untrusted source
 * @expected_kind: the kind the caller accepts
 * @now_ms: current unix time in ms (g_get_real_time () / 1000)
 *
 * Checks, in order: the fields are well formed (else INVALID), kind == @expected_kind (else
 * WRONG_KIND), the MAC in constant time (else INVALID), then expiry (else EXPIRED). So an expired
 * token that was tampered with is INVALID, never EXPIRED.
 *
 * Returns: TRUE if the token is authentic and current, FALSE with @error set.
 */
gboolean weft_token_verify (const WeftSecret *secret, const WeftToken *token,
                            const char *expected_kind, gint64 now_ms, GError **error);

/**
 * weft_token_encode:
 * @token: (transfer none): a well-formed token (as from sign or decode)
 *
 * Printable form, safe in environment variables, file names and command lines: unpadded
 * url-safe base64 of: u8 version (1), u8 kind length, kind, be32 identifier length, identifier,
 * be64 expiry_ms, u8 password length (32), password.
 *
 * Returns: (transfer full): the text.
 */
char *weft_token_encode (const WeftToken *token);

/**
 * weft_token_decode:
 * @text: output of weft_token_encode(), exactly (no whitespace or padding)
 *
 * Parses without trusting: every length is checked against the bytes left and the limits above,
 * trailing bytes and non-canonical base64 are refused (WEFT_TOKEN_ERROR_INVALID). Does not check
 * the MAC: call weft_token_verify().
 *
 * Returns: (transfer full) (nullable): the token, or NULL with @error set.
 */
WeftToken *weft_token_decode (const char *text, GError **error);

/**
 * weft_token_equal_ct:
 *
 * Compares two buffers in time that depends only on the lengths, never on the contents.
 *
 * Returns: TRUE if the lengths and the bytes are equal.
 */
gboolean weft_token_equal_ct (const void *a, gsize a_len, const void *b, gsize b_len);

/**
 * weft_token_identifier_new:
 * @first_field: first field, or NULL for an empty identifier
 * @...: more fields, NULL-terminated
 *
 * Builds identifier bytes from strings, each as be32 length + bytes, so that no two lists of
 * fields give the same bytes. Put a format version in the first field if the layout may change.
 *
 * Returns: (transfer full): the identifier.
 */
GBytes *weft_token_identifier_new (const char *first_field, ...) G_GNUC_NULL_TERMINATED;

/**
 * weft_token_identifier_newv:
 * @fields: (array zero-terminated=1): the fields
 *
 * As weft_token_identifier_new(), from an array.
 *
 * Returns: (transfer full): the identifier.
 */
GBytes *weft_token_identifier_newv (const char *const *fields);

/**
 * weft_token_identifier_parse:
 * @identifier: (transfer none): bytes from weft_token_identifier_new()
 *
 * Reads the fields back. Refuses (WEFT_TOKEN_ERROR_INVALID) truncated fields, trailing bytes and
 * fields holding NUL bytes. Parse only a verified token's identifier.
 *
 * Returns: (transfer full) (nullable): the fields (free with g_strfreev), or NULL with @error set.
 */
GStrv weft_token_identifier_parse (GBytes *identifier, GError **error);

G_END_DECLS

G_BEGIN_DECLS

/**
 * weft_token_check:
 * @secret: (transfer none): the key
 * @token: (transfer none) (nullable): a token from a peer; NULL or an empty
 *   kind means none was sent (WEFT_TOKEN_ERROR_INVALID, "no token")
 * @kind: the kind expected
 * @n_fields: how many identifier fields the kind has, the first being the
 *   layout version "1"
 * @now_ms: unix ms
 *
 * weft_token_verify(), then weft_token_identifier_parse(), then checks the
 * field count and version: what RM and NM do with every token they get.
 *
 * Returns: (transfer full) (nullable): the fields (g_strfreev), or NULL.
 */
GStrv weft_token_check (const WeftSecret *secret, const WeftToken *token, const char *kind,
                        guint n_fields, gint64 now_ms, GError **error);

G_END_DECLS
