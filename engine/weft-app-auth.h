/* weft-app-auth: the per-application secret that a driver shares with its executors, and the
 * tokens both sides sign with it. The driver makes a random secret, hands it to each executor's
 * container in WEFT_APP_SECRET (weft_app_secret_encode), and every driver <-> executor call
 * carries a token of kind "weft-app" whose identifier names the application and the caller
 * (the driver, or an executor id). A token signed with another application's secret, or for
 * another application, is refused. Thread-safe: secrets and tokens are immutable. */
#pragma once

#include <glib.h>

#include "weft-token.h"

G_BEGIN_DECLS

/* The environment variable that carries the encoded secret into an executor's container. */
#define WEFT_APP_SECRET_ENV "WEFT_APP_SECRET"
#define WEFT_APP_TOKEN_KIND "weft-app"
/* How long a token is valid: longer than any job, short enough that a token copied out of a
 * finished application's logs is soon worthless. */
#define WEFT_APP_TOKEN_LIFETIME_MS (G_GINT64_CONSTANT (24) * 3600 * 1000)

/**
 * weft_app_secret_encode:
 * @secret: (transfer none): a secret
 *
 * Returns: (transfer full): the key bytes as standard base64 (with padding), for
 *   WEFT_APP_SECRET. It is the key itself: don't log it.
 */
char *weft_app_secret_encode (const WeftSecret *secret);

/**
 * weft_app_secret_decode:
 * @text: (nullable): weft_app_secret_encode()'s text; surrounding whitespace is ignored
 * @error: return location for a GError
 *
 * Refuses (WEFT_TOKEN_ERROR_SECRET) NULL or empty text, anything but canonical base64, and keys
 * outside [WEFT_SECRET_MIN_BYTES, WEFT_SECRET_MAX_BYTES]. The decoded bytes are zeroed after use.
 *
 * Returns: (transfer full) (nullable): the secret, or NULL with @error set.
 */
WeftSecret *weft_app_secret_decode (const char *text, GError **error);

/**
 * weft_app_auth_token:
 * @secret: (transfer none): the application's secret
 * @app_id: the application id
 * @caller: who signs: "driver" or an executor id
 *
 * Returns: (transfer full): a token of kind "weft-app" for (@app_id, @caller), valid
 *   WEFT_APP_TOKEN_LIFETIME_MS from now.
 */
WeftToken *weft_app_auth_token (const WeftSecret *secret, const char *app_id, const char *caller);

/**
 * weft_app_auth_check:
 * @secret: (transfer none): the application's secret
 * @token: (transfer none) (nullable): the token a peer sent (NULL: none was sent)
 * @app_id: the application the receiver belongs to
 * @caller: (out) (transfer full) (optional): who signed it
 * @error: return location for a GError
 *
 * Refuses, in WEFT_TOKEN_ERROR: no token, a malformed one or a bad MAC (another secret) with
 * _INVALID, another kind with _WRONG_KIND, an expired one with _EXPIRED, and a token for another
 * application with _INVALID.
 *
 * Returns: TRUE if @token was signed with @secret for @app_id and is current.
 */
gboolean weft_app_auth_check (const WeftSecret *secret, const WeftToken *token, const char *app_id,
                              char **caller, GError **error);

G_END_DECLS
