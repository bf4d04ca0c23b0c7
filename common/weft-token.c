/* weft-token.c: see weft-token.h for the contract.
 *
 * Two byte layouts live here and both are frozen once tokens have been issued by a running
 * cluster: the MAC input (mac_compute) and the printable form (weft_token_encode). Change either
 * only by bumping its version byte, and keep accepting the old one for as long as old tokens can
 * still be alive. */

#include "weft-token.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

G_DEFINE_QUARK (weft-token-error-quark, weft_token_error)

/* Bytes written by weft_secret_generate() and made by weft_secret_new_random(). A cluster secret
 * outlives many keys' worth of tokens and costs nothing to make longer, so it gets the full
 * SHA-256 block (64 bytes); per-application secrets are short-lived, 32 bytes is HMAC-SHA256's
 * full strength. */
#define GENERATED_SECRET_BYTES 64
#define RANDOM_SECRET_BYTES    32

/* Domain separation: nothing else Weft ever MACs with the same key starts with these bytes. */
static const guint8 MAC_DOMAIN[] = "weft-token"; /* including its NUL */
#define MAC_VERSION 1

#define ENCODING_VERSION 1
/* Largest and smallest decoded forms: version, kind length, kind, identifier length, identifier,
 * expiry, password length, password. Bounding the text by the largest form keeps decode from
 * allocating more than a few KiB, whatever it is given. */
#define ENCODED_MAX_BYTES \
  (1 + 1 + WEFT_TOKEN_MAX_KIND + 4 + WEFT_TOKEN_MAX_IDENTIFIER + 8 + 1 + WEFT_TOKEN_PASSWORD_BYTES)
#define ENCODED_MAX_TEXT ((ENCODED_MAX_BYTES * 4 + 2) / 3)

struct _WeftSecret {
  gsize len;
  guint8 key[]; /* len bytes, zeroed on free */
};

/* ---- Small helpers ---------------------------------------------------------------------- */

/* memset() on memory about to be freed may be optimised away; stores through a volatile pointer
 * may not. Not in a hot path, so the byte loop is fine. */
static void
secure_zero (void *p, gsize len)
{
  volatile guint8 *v = p;

  while (len-- > 0)
    *v++ = 0;
}

static void
secure_free (gpointer p, gsize len)
{
  if (p == NULL)
    return;
  secure_zero (p, len);
  g_free (p);
}

static void
put_be32 (guint8 *p, guint32 v)
{
  p[0] = (guint8) (v >> 24);
  p[1] = (guint8) (v >> 16);
  p[2] = (guint8) (v >> 8);
  p[3] = (guint8) v;
}

static void
put_be64 (guint8 *p, guint64 v)
{
  put_be32 (p, (guint32) (v >> 32));
  put_be32 (p + 4, (guint32) v);
}

static guint32
get_be32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

static guint64
get_be64 (const guint8 *p)
{
  return ((guint64) get_be32 (p) << 32) | get_be32 (p + 4);
}

/* A cursor over untrusted bytes: every read checks what is left first. */
typedef struct {
  const guint8 *p;
  gsize left;
} Reader;

static gboolean
reader_take (Reader *r, gsize n, const guint8 **out)
{
  if (n > r->left)
    return FALSE;
  *out = r->p;
  r->p += n;
  r->left -= n;
  return TRUE;
}

static gboolean
reader_u8 (Reader *r, guint8 *out)
{
  const guint8 *p;

  if (!reader_take (r, 1, &p))
    return FALSE;
  *out = p[0];
  return TRUE;
}

static gboolean
reader_be32 (Reader *r, guint32 *out)
{
  const guint8 *p;

  if (!reader_take (r, 4, &p))
    return FALSE;
  *out = get_be32 (p);
  return TRUE;
}

static gboolean
reader_be64 (Reader *r, guint64 *out)
{
  const guint8 *p;

  if (!reader_take (r, 8, &p))
    return FALSE;
  *out = get_be64 (p);
  return TRUE;
}

/* Reads until @len bytes or end of file. Returns the count read, or -1 with errno set. */
static gssize
read_full (int fd, guint8 *buf, gsize len)
{
  gsize done = 0;

  while (done < len)
    {
      ssize_t n = read (fd, buf + done, len - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return -1;
      if (n == 0)
        break;
      done += (gsize) n;
    }
  return (gssize) done;
}

static gboolean
write_full (int fd, const guint8 *buf, gsize len)
{
  gsize done = 0;

  while (done < len)
    {
      ssize_t n = write (fd, buf + done, len - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return FALSE;
      done += (gsize) n;
    }
  return TRUE;
}

static gboolean
fill_random_urandom (guint8 *buf, gsize len, GError **error)
{
  int fd = open ("/dev/urandom", O_RDONLY | O_CLOEXEC | O_NOCTTY);
  gssize n;
  int saved;

  if (fd < 0)
    {
      saved = errno;
      g_set_error (error, WEFT_TOKEN_ERROR, WEFT_TOKEN_ERROR_IO,
                   "no source of randomness: getrandom(2) is unavailable and /dev/urandom "
                   "cannot be opened: %s",
                   g_strerror (saved));
      return FALSE;
    }
  n = read_full (fd, buf, len);
  saved = errno;
  close (fd);
  if (n != (gssize) len)
    {
      g_set_error (error, WEFT_TOKEN_ERROR, WEFT_TOKEN_ERROR_IO,
                   "cannot read /dev/urandom: %s", n < 0 ? g_strerror (saved) : "short read");
      return FALSE;
    }
  return TRUE;
}

/* Fills @buf from the kernel CSPRNG. getrandom() without flags blocks only until the pool is
 * first seeded, which is what a key needs; /dev/urandom is the fallback for kernels or seccomp
 * filters without the syscall. */
static gboolean
fill_random (guint8 *buf, gsize len, GError **error)
{
  gsize done = 0;

  while (done < len)
    {
      ssize_t n = getrandom (buf + done, len - done, 0);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && (errno == ENOSYS || errno == EPERM))
        return fill_random_urandom (buf, len, error);
      if (n < 0)
        {
          int saved = errno;
          g_set_error (error, WEFT_TOKEN_ERROR, WEFT_TOKEN_ERROR_IO, "getrandom failed: %s",
                       g_strerror (saved));
          return FALSE;
        }
      done += (gsize) n;
    }
  return TRUE;
}

/* ---- Secrets ---------------------------------------------------------------------------- */

static WeftSecret *
secret_alloc (gsize len)
{
  WeftSecret *secret = g_malloc (sizeof *secret + len);

  secret->len = len;
  return secret;
}

void
weft_secret_free (WeftSecret *secret)
{
  if (secret == NULL)
    return;
  secure_free (secret, sizeof *secret + secret->len);
}

WeftSecret *
weft_secret_load (const char *path, GError **error)
{
  g_autoptr (WeftSecret) secret = NULL;
  struct stat st;
  gssize n;
  guint8 extra;
  int fd;
  int saved;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* Open first, then judge the open descriptor: checking the path and then opening it would let
   * the file be swapped in between. O_NOFOLLOW refuses a symlink as the last component (a link
   * could point a daemon at a file it was never meant to trust); O_NONBLOCK keeps a FIFO planted
   * at the path from blocking the open forever (it is then refused as not a regular file). */
  fd = open (path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0)
    {
      saved = errno;
      switch (saved)
        {
        case ENOENT:
          g_set_error (error, WEFT_TOKEN_ERROR, WEFT_TOKEN_ERROR_SECRET,
                       "secret file %s does not exist: create one readable only by you, "
                       "e.g. (umask 077; head -c 64 /dev/urandom > %s), and copy it to every node",
                       path, path);
          break;
        case ELOOP:
          g_set_error (error, WEFT_TOKEN_ERROR, WEFT_TOKEN_ERROR_SECRET,
                       "secret file %s is a symbolic link, which is not trusted: point the "
                       "configuration at the real file",
                       path);
          break;
        case EACCES:
        case EPERM:
          g_set_error (error, WEFT_TOKEN_ERROR, WEFT_TOKEN_ERROR_SECRET,
                       "secret file %s cannot be read (%s): it must belong to the user running "
                       "this daemon; chown that user and chmod 600 %s",
                       path, g_strerror (saved), path);
          break;
        default:
          g_set_error (error, WEFT_TOKEN_ERROR, WEFT_TOKEN_ERROR_IO,
                       "cannot open secret file %s: %s", path, g_strerror (saved));
          break;
        }
      return NULL;
    }

  if (fstat (fd, &st) != 0)
    {
      saved = errno;
      close (fd);
      g_set_error (error, WEFT_TOKEN_ERROR, WEFT_TOKEN_ERROR_IO, "cannot stat secret file %s: %s",
                   path, g_strerror (saved));
      return NULL;
    }
  if (!S_ISREG (st.st_mode))
    {
      close (fd);
      g_set_error (error, WEFT_TOKEN_ERROR, WEFT_TOKEN_ERROR_SECRET,
                   "secret file %s is not a regular file: point the configuration at a file "
                   "holding the key",
                   path);
      return NULL;
    }
  if (st.st_uid != geteuid ())
    {
      close (fd);
      g_set_error (error, WEFT_TOKEN_ERROR, WEFT_TOKEN_ERROR_SECRET,
                   "secret file %s belongs to uid %u, not to uid %u running this daemon: "
                   "chown it to the daemon's user and chmod 600 %s",
                   path, (unsigned) st.st_uid, (unsigned) geteuid (), path);
      return NULL;
    }
  if ((st.st_mode & 077) != 0)
    {
      close (fd);
      g_set_error (error, WEFT_TOKEN_ERROR, WEFT_TOKEN_ERROR_SECRET,
                   "secret file %s is accessible by group or others (mode %04o): run "
                   "chmod 600 %s, and replace the secret if others may have read it",
                   path, (unsigned) (st.st_mode & 07777), path);
      return NULL;
    }
  if (st.st_size < WEFT_SECRET_MIN_BYTES || st.st_size > WEFT_SECRET_MAX_BYTES)
    {
      close (fd);
      g_set_error (error, WEFT_TOKEN_ERROR, WEFT_TOKEN_ERROR_SECRET,
                   "secret file %s holds %" G_GINT64_FORMAT " bytes, but a secret needs %d to %d: "
                   "regenerate it, e.g. (umask 077; head -c 64 /dev/urandom > %s)",
                   path, (gint64) st.st_size, WEFT_SECRET_MIN_BYTES, WEFT_SECRET_MAX_BYTES,
                   path);
      return NULL;
    }

  secret = secret_alloc ((gsize) st.st_size);
  n = read_full (fd, secret->key, secret->len);
  saved = errno;
  if (n == (gssize) secret->len)
    {
      /* One more byte: a file that grew after fstat is being rewritten; don't take half of it. */
      gssize more = read_full (fd, &extra, 1);
      saved = errno;
      secure_zero (&extra, 1);
      if (more != 0)
        n = more < 0 ? -1 : -2;
    }
  close (fd);
  if (n == -1)
    {
      g_set_error (error, WEFT_TOKEN_ERROR, WEFT_TOKEN_ERROR_IO, "cannot read secret file %s: %s",
                   path, g_strerror (saved));
      return NULL;
    }
  if (n != (gssize) secret->len)
    {
      g_set_error (error, WEFT_TOKEN_ERROR, WEFT_TOKEN_ERROR_SECRET,
                   "secret file %s changed size while being read: try again once it is "
                   "written",
                   path);
      return NULL;
    }
  return g_steal_pointer (&secret);
}

gboolean
weft_secret_generate (const char *path, GError **error)
{
  guint8 key[GENERATED_SECRET_BYTES];
  g_autofree char *dir = NULL;
  int fd;
  int rc;
  int saved;
  const char *what;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* Draw the key before creating the file, so a failure here leaves nothing behind. */
  if (!fill_random (key, sizeof key, error))
    {
      g_prefix_error (error, "cannot generate secret %s: ", path);
      return FALSE;
    }

  fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
  if (fd < 0)
    {
      saved = errno;
      secure_zero (key, sizeof key);
      if (saved == EEXIST)
        g_set_error (error, WEFT_TOKEN_ERROR, WEFT_TOKEN_ERROR_SECRET,
                     "secret file %s already exists: refusing to overwrite it; delete it first "
                     "if you mean to replace the secret (every node then needs the new file)",
                     path);
      else
        g_set_error (error, WEFT_TOKEN_ERROR, WEFT_TOKEN_ERROR_IO,
                     "cannot create secret file %s: %s", path, g_strerror (saved));
      return FALSE;
    }

  /* The umask can only clear bits from 0600, but clearing the owner's read bit would make a file
   * weft_secret_load() cannot use: set the mode outright. */
  what = "set the mode of";
  if (fchmod (fd, 0600) != 0)
    goto fail;
  what = "write";
  if (!write_full (fd, key, sizeof key))
    goto fail;
  what = "fsync";
  if (fsync (fd) != 0)
    goto fail;
  what = "close";
  rc = close (fd);
  fd = -1;
  if (rc != 0)
    goto fail;
  secure_zero (key, sizeof key);

  /* Make the new directory entry durable too. Best effort: some file systems refuse fsync on a
   * directory, and the file itself is already safe. */
  dir = g_path_get_dirname (path);
  fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0)
    {
      (void) fsync (fd);
      close (fd);
    }
  return TRUE;

fail:
  saved = errno;
  secure_zero (key, sizeof key);
  if (fd >= 0)
    close (fd);
  unlink (path); /* created with O_EXCL above, so the file is ours */
  g_set_error (error, WEFT_TOKEN_ERROR, WEFT_TOKEN_ERROR_IO, "cannot %s secret file %s: %s",
               what, path, g_strerror (saved));
  return FALSE;
}

WeftSecret *
weft_secret_new_random (GError **error)
{
  g_autoptr (WeftSecret) secret = NULL;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  secret = secret_alloc (RANDOM_SECRET_BYTES);
  if (!fill_random (secret->key, secret->len, error))
    return NULL;
  return g_steal_pointer (&secret);
}

WeftSecret *
weft_secret_new_from_bytes (GBytes *key, GError **error)
{
  WeftSecret *secret;
  gsize len;
  const guint8 *data;

  g_return_val_if_fail (key != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  data = g_bytes_get_data (key, &len);
  if (len < WEFT_SECRET_MIN_BYTES || len > WEFT_SECRET_MAX_BYTES)
    {
      g_set_error (error, WEFT_TOKEN_ERROR, WEFT_TOKEN_ERROR_SECRET,
                   "a secret needs %d to %d bytes, got %" G_GSIZE_FORMAT, WEFT_SECRET_MIN_BYTES,
                   WEFT_SECRET_MAX_BYTES, len);
      return NULL;
    }
  secret = secret_alloc (len);
  memcpy (secret->key, data, len);
  return secret;
}

/* GBytes free function for exported keys: the length travels in front of the key bytes. */
typedef struct {
  gsize len;
  guint8 key[];
} ExportedKey;

static void
exported_key_free (gpointer p)
{
  ExportedKey *k = p;

  secure_free (k, sizeof *k + k->len);
}

GBytes *
weft_secret_export (const WeftSecret *secret)
{
  ExportedKey *k;

  g_return_val_if_fail (secret != NULL, NULL);

  k = g_malloc (sizeof *k + secret->len);
  k->len = secret->len;
  memcpy (k->key, secret->key, secret->len);
  return g_bytes_new_with_free_func (k->key, k->len, exported_key_free, k);
}

/* ---- Tokens ----------------------------------------------------------------------------- */

/* Printable ASCII without space: kinds end up in logs and error messages. */
static gboolean
kind_is_valid (const char *kind, gsize len)
{
  if (len == 0 || len > WEFT_TOKEN_MAX_KIND)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if ((guchar) kind[i] <= 0x20 || (guchar) kind[i] >= 0x7f)
      return FALSE;
  return TRUE;
}

/* The MAC input. Every variable-length field carries a fixed-width length in front, so the
 * encoding is prefix-free: no two different (kind, identifier, expiry) give the same bytes. */
static void
mac_compute (const WeftSecret *secret, const char *kind, GBytes *identifier, gint64 expiry_ms,
             guint8 out[WEFT_TOKEN_PASSWORD_BYTES])
{
  g_autoptr (GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256, secret->key, secret->len);
  gsize kind_len = strlen (kind);
  gsize id_len;
  const guint8 *id = g_bytes_get_data (identifier, &id_len);
  guint8 buf[8];
  gsize digest_len = WEFT_TOKEN_PASSWORD_BYTES;

  g_hmac_update (hmac, MAC_DOMAIN, sizeof MAC_DOMAIN);
  buf[0] = MAC_VERSION;
  g_hmac_update (hmac, buf, 1);
  put_be32 (buf, (guint32) kind_len);
  g_hmac_update (hmac, buf, 4);
  g_hmac_update (hmac, (const guchar *) kind, (gssize) kind_len);
  put_be32 (buf, (guint32) id_len);
  g_hmac_update (hmac, buf, 4);
  g_hmac_update (hmac, id, (gssize) id_len);
  put_be64 (buf, (guint64) expiry_ms);
  g_hmac_update (hmac, buf, 8);
  g_hmac_get_digest (hmac, out, &digest_len);
  g_assert (digest_len == WEFT_TOKEN_PASSWORD_BYTES);
}

WeftToken *
weft_token_new (const char *kind, GBytes *identifier, gint64 expiry_ms, GBytes *password)
{
  WeftToken *token;

  g_return_val_if_fail (kind != NULL, NULL);
  g_return_val_if_fail (identifier != NULL, NULL);
  g_return_val_if_fail (password != NULL, NULL);

  token = g_new0 (WeftToken, 1);
  token->kind = g_strdup (kind);
  token->identifier = g_bytes_ref (identifier);
  token->expiry_ms = expiry_ms;
  token->password = g_bytes_ref (password);
  return token;
}

WeftToken *
weft_token_copy (const WeftToken *token)
{
  WeftToken *copy;

  g_return_val_if_fail (token != NULL, NULL);

  copy = g_new0 (WeftToken, 1);
  copy->kind = g_strdup (token->kind);
  copy->identifier = token->identifier ? g_bytes_ref (token->identifier) : NULL;
  copy->expiry_ms = token->expiry_ms;
  copy->password = token->password ? g_bytes_ref (token->password) : NULL;
  return copy;
}

void
weft_token_free (WeftToken *token)
{
  if (token == NULL)
    return;
  g_free (token->kind);
  g_clear_pointer (&token->identifier, g_bytes_unref);
  g_clear_pointer (&token->password, g_bytes_unref);
  g_free (token);
}

WeftToken *
weft_token_sign (const WeftSecret *secret, const char *kind, GBytes *identifier,
                 gint64 expiry_ms)
{
  guint8 mac[WEFT_TOKEN_PASSWORD_BYTES];
  WeftToken *token;

  g_return_val_if_fail (secret != NULL, NULL);
  g_return_val_if_fail (kind != NULL && kind_is_valid (kind, strlen (kind)), NULL);
  g_return_val_if_fail (identifier != NULL, NULL);
  g_return_val_if_fail (g_bytes_get_size (identifier) <= WEFT_TOKEN_MAX_IDENTIFIER, NULL);
  g_return_val_if_fail (expiry_ms >= 0, NULL);

  mac_compute (secret, kind, identifier, expiry_ms, mac);
  token = g_new0 (WeftToken, 1);
  token->kind = g_strdup (kind);
  token->identifier = g_bytes_ref (identifier);
  token->expiry_ms = expiry_ms;
  token->password = g_bytes_new (mac, sizeof mac);
  secure_zero (mac, sizeof mac);
  return token;
}

/* The checks shared by verify and encode: what a token must look like to be worth a MAC. */
static gboolean
token_is_well_formed (const WeftToken *token, const char **why)
{
  if (token->kind == NULL || !kind_is_valid (token->kind, strlen (token->kind)))
    *why = "bad kind";
  else if (token->identifier == NULL ||
           g_bytes_get_size (token->identifier) > WEFT_TOKEN_MAX_IDENTIFIER)
    *why = "bad identifier";
  else if (token->expiry_ms < 0)
    *why = "negative expiry";
  else if (token->password == NULL ||
           g_bytes_get_size (token->password) != WEFT_TOKEN_PASSWORD_BYTES)
    *why = "bad password length";
  else
    return TRUE;
  return FALSE;
}

gboolean
weft_token_verify (const WeftSecret *secret, const WeftToken *token, const char *expected_kind,
                   gint64 now_ms, GError **error)
{
  guint8 mac[WEFT_TOKEN_PASSWORD_BYTES];
  const char *why = NULL;
  gsize pw_len;
  const guint8 *pw;
  gboolean ok;

  g_return_val_if_fail (secret != NULL, FALSE);
  g_return_val_if_fail (token != NULL, FALSE);
  g_return_val_if_fail (expected_kind != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!token_is_well_formed (token, &why))
    {
      g_set_error (error, WEFT_TOKEN_ERROR, WEFT_TOKEN_ERROR_INVALID, "malformed token: %s", why);
      return FALSE;
    }
  /* The kind is public and checked before the MAC: a token of another kind is a caller's mix-up
   * worth its own error, and telling it apart reveals nothing about the key. */
  if (strcmp (token->kind, expected_kind) != 0)
    {
      g_set_error (error, WEFT_TOKEN_ERROR, WEFT_TOKEN_ERROR_WRONG_KIND,
                   "expected a %s token, got a %s token", expected_kind, token->kind);
      return FALSE;
    }

  mac_compute (secret, token->kind, token->identifier, token->expiry_ms, mac);
  pw = g_bytes_get_data (token->password, &pw_len);
  ok = weft_token_equal_ct (mac, sizeof mac, pw, pw_len);
  secure_zero (mac, sizeof mac);
  if (!ok)
    {
      g_set_error (error, WEFT_TOKEN_ERROR, WEFT_TOKEN_ERROR_INVALID,
                   "%s token has a bad signature (tampered with, or signed with another secret)",
                   token->kind);
      return FALSE;
    }

  /* Expiry last: only an authentic token may learn that it merely expired. */
  if (token->expiry_ms != 0 && now_ms >= token->expiry_ms)
    {
      g_set_error (error, WEFT_TOKEN_ERROR, WEFT_TOKEN_ERROR_EXPIRED,
                   "%s token expired %" G_GINT64_FORMAT " ms ago", token->kind,
                   now_ms - token->expiry_ms);
      return FALSE;
    }
  return TRUE;
}

gboolean
weft_token_equal_ct (const void *a, gsize a_len, const void *b, gsize b_len)
{
  /* Volatile reads force every byte to be loaded and compared, so the loop cannot stop at the
   * first difference. Lengths are not secret: on a mismatch compare @a with itself for the same
   * time and report the difference through the accumulator. */
  const volatile guint8 *pa = a;
  const volatile guint8 *pb = (a_len == b_len) ? b : a;
  volatile guint8 diff = (a_len != b_len);

  g_return_val_if_fail (a != NULL || a_len == 0, FALSE);
  g_return_val_if_fail (b != NULL || b_len == 0, FALSE);

  for (gsize i = 0; i < a_len; i++)
    diff |= pa[i] ^ pb[i];
  return diff == 0;
}

/* ---- Printable form --------------------------------------------------------------------- */

static const char B64URL[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static char *
b64url_encode (const guint8 *in, gsize len)
{
  char *out = g_malloc ((len + 2) / 3 * 4 + 1);
  char *o = out;
  gsize i;

  for (i = 0; i + 3 <= len; i += 3)
    {
      guint32 v = ((guint32) in[i] << 16) | ((guint32) in[i + 1] << 8) | in[i + 2];
      *o++ = B64URL[(v >> 18) & 63];
      *o++ = B64URL[(v >> 12) & 63];
      *o++ = B64URL[(v >> 6) & 63];
      *o++ = B64URL[v & 63];
    }
  if (len - i == 1)
    {
      guint32 v = (guint32) in[i] << 16;
      *o++ = B64URL[(v >> 18) & 63];
      *o++ = B64URL[(v >> 12) & 63];
    }
  else if (len - i == 2)
    {
      guint32 v = ((guint32) in[i] << 16) | ((guint32) in[i + 1] << 8);
      *o++ = B64URL[(v >> 18) & 63];
      *o++ = B64URL[(v >> 12) & 63];
      *o++ = B64URL[(v >> 6) & 63];
    }
  *o = '\0';
  return out;
}

static int
b64url_value (char c)
{
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '-')
    return 62;
  if (c == '_')
    return 63;
  return -1;
}

/* Strict decoder: only the url-safe alphabet, no padding, no whitespace, and the unused low bits
 * of a final partial group must be zero, so each token has exactly one text form. */
static guint8 *
b64url_decode (const char *text, gsize len, gsize *out_len, GError **error)
{
  g_autofree guint8 *out = NULL;
  gsize o = 0;
  guint32 acc = 0;
  int bits = 0;

  if (len % 4 == 1)
    {
      g_set_error (error, WEFT_TOKEN_ERROR, WEFT_TOKEN_ERROR_INVALID,
                   "malformed token: impossible base64 length %" G_GSIZE_FORMAT, len);
      return NULL;
    }
  out = g_malloc (len / 4 * 3 + 2);
  for (gsize i = 0; i < len; i++)
    {
      int v = b64url_value (text[i]);
      if (v < 0)
        {
          g_set_error (error, WEFT_TOKEN_ERROR, WEFT_TOKEN_ERROR_INVALID,
                       "malformed token: character %" G_GSIZE_FORMAT " is not url-safe base64",
                       i);
          return NULL;
        }
      acc = (acc << 6) | (guint32) v;
      bits += 6;
      if (bits >= 8)
        {
          bits -= 8;
          out[o++] = (guint8) (acc >> bits);
          acc &= (1u << bits) - 1;
        }
    }
  if (acc != 0)
    {
      g_set_error (error, WEFT_TOKEN_ERROR, WEFT_TOKEN_ERROR_INVALID,
                   "malformed token: non-canonical base64 ending");
      return NULL;
    }
  *out_len = o;
  return g_steal_pointer (&out);
}

char *
weft_token_encode (const WeftToken *token)
{
  g_autofree guint8 *buf = NULL;
  const char *why = NULL;
  gsize kind_len, id_len, pw_len, len;
  const guint8 *id, *pw;
  guint8 *p;
  char *text;

  g_return_val_if_fail (token != NULL, NULL);
  g_return_val_if_fail (token_is_well_formed (token, &why), NULL);

  kind_len = strlen (token->kind);
  id = g_bytes_get_data (token->identifier, &id_len);
  pw = g_bytes_get_data (token->password, &pw_len);
  len = 1 + 1 + kind_len + 4 + id_len + 8 + 1 + pw_len;
  buf = g_malloc (len);
  p = buf;
  *p++ = ENCODING_VERSION;
  *p++ = (guint8) kind_len;
  memcpy (p, token->kind, kind_len);
  p += kind_len;
  put_be32 (p, (guint32) id_len);
  p += 4;
  if (id_len > 0)
    memcpy (p, id, id_len);
  p += id_len;
  put_be64 (p, (guint64) token->expiry_ms);
  p += 8;
  *p++ = (guint8) pw_len;
  memcpy (p, pw, pw_len);
  p += pw_len;
  g_assert ((gsize) (p - buf) == len);

  text = b64url_encode (buf, len);
  secure_zero (buf, len); /* it holds the password */
  return text;
}

static WeftToken *
token_parse (const guint8 *data, gsize len, GError **error)
{
  g_autoptr (WeftToken) token = g_new0 (WeftToken, 1);
  Reader r = { data, len };
  const guint8 *p;
  guint8 version, kind_len, pw_len;
  guint32 id_len;
  guint64 expiry;
  const char *what;

  what = "truncated";
  if (!reader_u8 (&r, &version))
    goto fail;
  if (version != ENCODING_VERSION)
    {
      g_set_error (error, WEFT_TOKEN_ERROR, WEFT_TOKEN_ERROR_INVALID,
                   "malformed token: unknown format version %u (this build reads %u)", version,
                   ENCODING_VERSION);
      return NULL;
    }
  if (!reader_u8 (&r, &kind_len))
    goto fail;
  what = "bad kind";
  if (kind_len == 0 || kind_len > WEFT_TOKEN_MAX_KIND)
    goto fail;
  what = "truncated";
  if (!reader_take (&r, kind_len, &p))
    goto fail;
  what = "bad kind";
  if (!kind_is_valid ((const char *) p, kind_len))
    goto fail;
  token->kind = g_strndup ((const char *) p, kind_len);

  what = "truncated";
  if (!reader_be32 (&r, &id_len))
    goto fail;
  what = "identifier too long";
  if (id_len > WEFT_TOKEN_MAX_IDENTIFIER)
    goto fail;
  what = "truncated";
  if (!reader_take (&r, id_len, &p))
    goto fail;
  token->identifier = g_bytes_new (p, id_len);

  if (!reader_be64 (&r, &expiry))
    goto fail;
  what = "negative expiry";
  if (expiry > G_MAXINT64)
    goto fail;
  token->expiry_ms = (gint64) expiry;

  what = "truncated";
  if (!reader_u8 (&r, &pw_len))
    goto fail;
  what = "bad password length";
  if (pw_len != WEFT_TOKEN_PASSWORD_BYTES)
    goto fail;
  what = "truncated";
  if (!reader_take (&r, pw_len, &p))
    goto fail;
  token->password = g_bytes_new (p, pw_len);

  what = "trailing bytes";
  if (r.left != 0)
    goto fail;
  return g_steal_pointer (&token);

fail:
  g_set_error (error, WEFT_TOKEN_ERROR, WEFT_TOKEN_ERROR_INVALID, "malformed token: %s", what);
  return NULL;
}

WeftToken *
weft_token_decode (const char *text, GError **error)
{
  g_autofree guint8 *data = NULL;
  gsize text_len, len = 0;
  WeftToken *token;

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  text_len = strnlen (text, ENCODED_MAX_TEXT + 1);
  if (text_len == 0 || text_len > ENCODED_MAX_TEXT)
    {
      g_set_error (error, WEFT_TOKEN_ERROR, WEFT_TOKEN_ERROR_INVALID,
                   "malformed token: %s", text_len == 0 ? "empty" : "too long");
      return NULL;
    }
  data = b64url_decode (text, text_len, &len, error);
  if (data == NULL)
    return NULL;
  token = token_parse (data, len, error);
  secure_zero (data, len);
  return token;
}

/* ---- Identifiers ------------------------------------------------------------------------ */

GBytes *
weft_token_identifier_newv (const char *const *fields)
{
  g_autoptr (GByteArray) buf = g_byte_array_new ();

  g_return_val_if_fail (fields != NULL, NULL);

  for (gsize i = 0; fields[i] != NULL; i++)
    {
      gsize len = strlen (fields[i]);
      guint8 prefix[4];

      g_return_val_if_fail (len <= G_MAXUINT32, NULL);
      put_be32 (prefix, (guint32) len);
      g_byte_array_append (buf, prefix, 4);
      g_byte_array_append (buf, (const guint8 *) fields[i], (guint) len);
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&buf));
}

GBytes *
weft_token_identifier_new (const char *first_field, ...)
{
  g_autoptr (GPtrArray) fields = g_ptr_array_new ();
  va_list ap;

  va_start (ap, first_field);
  for (const char *f = first_field; f != NULL; f = va_arg (ap, const char *))
    g_ptr_array_add (fields, (gpointer) f);
  va_end (ap);
  g_ptr_array_add (fields, NULL);
  return weft_token_identifier_newv ((const char *const *) fields->pdata);
}

GStrv
weft_token_identifier_parse (GBytes *identifier, GError **error)
{
  g_autoptr (GPtrArray) fields = g_ptr_array_new_with_free_func (g_free);
  Reader r;
  gsize len;

  g_return_val_if_fail (identifier != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  r.p = g_bytes_get_data (identifier, &len);
  r.left = len;
  while (r.left > 0)
    {
      guint32 field_len;
      const guint8 *p;

      if (!reader_be32 (&r, &field_len) || !reader_take (&r, field_len, &p))
        {
          g_set_error (error, WEFT_TOKEN_ERROR, WEFT_TOKEN_ERROR_INVALID,
                       "malformed identifier: field %u is truncated", fields->len);
          return NULL;
        }
      if (memchr (p, '\0', field_len) != NULL)
        {
          g_set_error (error, WEFT_TOKEN_ERROR, WEFT_TOKEN_ERROR_INVALID,
                       "malformed identifier: field %u holds a NUL byte", fields->len);
          return NULL;
        }
      g_ptr_array_add (fields, g_strndup ((const char *) p, field_len));
    }
  g_ptr_array_add (fields, NULL);
  g_ptr_array_set_free_func (fields, NULL);
  return (GStrv) g_ptr_array_free (g_steal_pointer (&fields), FALSE);
}

GStrv
weft_token_check (const WeftSecret *secret, const WeftToken *token, const char *kind,
                  guint n_fields, gint64 now_ms, GError **error)
{
  if (token == NULL || token->kind == NULL || *token->kind == '\0')
    {
      g_set_error (error, WEFT_TOKEN_ERROR, WEFT_TOKEN_ERROR_INVALID,
                   "no %s token was sent, and security is on", kind);
      return NULL;
    }
  if (!weft_token_verify (secret, token, kind, now_ms, error))
    return NULL;
  g_auto (GStrv) fields = weft_token_identifier_parse (token->identifier, error);
  if (fields == NULL)
    return NULL;
  if (g_strv_length (fields) != n_fields || g_strcmp0 (fields[0], "1") != 0)
    {
      g_set_error (error, WEFT_TOKEN_ERROR, WEFT_TOKEN_ERROR_INVALID,
                   "%s token has an unexpected layout (%u fields, version %s)", kind,
                   g_strv_length (fields), fields[0] ? fields[0] : "none");
      return NULL;
    }
  return g_steal_pointer (&fields);
}
