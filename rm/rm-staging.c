/* rm-staging: staged files. See rm-staging.h. */
#include "rm-staging.h"

#include "weft-fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct _RmStaging {
  char *dir;
  gint64 max_bytes;
  GMutex lock;
};

gboolean
rm_staging_name_ok (const char *name)
{
  gsize n = name ? strlen (name) : 0;
  if (n == 0 || n > 128 || g_str_equal (name, ".") || g_str_equal (name, "..") || name[0] == '.')
    return FALSE;
  for (const char *p = name; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '.' && *p != '_' && *p != '-')
      return FALSE;
  return TRUE;
}

static gboolean
check_names (const char *app_id, const char *name, GError **error)
{
  WeftAppId aid;
  if (!weft_app_id_parse (app_id, &aid, NULL))
    {
      g_set_error (error, RM_ERROR, RM_ERROR_INVALID_ARGUMENT, "\"%s\" is not an application id",
                   app_id ? app_id : "");
      return FALSE;
    }
  if (!rm_staging_name_ok (name))
    {
      g_set_error (error, RM_ERROR, RM_ERROR_INVALID_ARGUMENT,
                   "\"%s\" is not a file name a container can use: letters, digits, '.', '_' and "
                   "'-', not starting with '.', at most 128 bytes", name ? name : "");
      return FALSE;
    }
  return TRUE;
}

RmStaging *
rm_staging_new (const char *dir, gint64 max_bytes, GError **error)
{
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int e = errno;
      g_set_error (error, RM_ERROR, RM_ERROR_FAILED_PRECONDITION,
                   "cannot create the staging folder %s: %s (set rm.state-dir)", dir, g_strerror (e));
      return NULL;
    }
  RmStaging *s = g_new0 (RmStaging, 1);
  s->dir = g_strdup (dir);
  s->max_bytes = max_bytes;
  g_mutex_init (&s->lock);
  return s;
}

void
rm_staging_free (RmStaging *s)
{
  if (s == NULL)
    return;
  g_mutex_clear (&s->lock);
  g_free (s->dir);
  g_free (s);
}

static char *
partial_path (RmStaging *s, const char *app, const char *name)
{
  g_autofree char *base = g_strconcat (".", name, ".partial", NULL);
  return g_build_filename (s->dir, app, base, NULL);
}

gboolean
rm_staging_write (RmStaging *s, const char *app, const char *name, gint64 offset,
                  const guint8 *data, gsize len, GError **error)
{
  if (!check_names (app, name, error))
    return FALSE;
  g_autofree char *app_dir = g_build_filename (s->dir, app, NULL);
  g_autofree char *final = g_build_filename (app_dir, name, NULL);
  g_autofree char *partial = partial_path (s, app, name);
  g_mutex_lock (&s->lock);
  gboolean ok = FALSE;
  int fd = -1;
  if (g_file_test (final, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, RM_ERROR, RM_ERROR_ALREADY_EXISTS, "%s was staged and committed already",
                   name);
      goto out;
    }
  if (offset < 0 || offset + (gint64) len > s->max_bytes)
    {
      g_set_error (error, RM_ERROR, RM_ERROR_RESOURCE_EXHAUSTED,
                   "%s would exceed the staging limit of %" G_GINT64_FORMAT " bytes "
                   "(rm.staging-max-bytes)", name, s->max_bytes);
      goto out;
    }
  g_mkdir_with_parents (app_dir, 0700);
  fd = open (partial, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  struct stat st;
  if (fd < 0 || fstat (fd, &st) != 0)
    {
      int e = errno;
      g_set_error (error, RM_ERROR, RM_ERROR_FAILED_PRECONDITION, "cannot stage %s: %s", name,
                   g_strerror (e));
      goto out;
    }
  if (st.st_size != offset)
    {
      g_set_error (error, RM_ERROR, RM_ERROR_INVALID_ARGUMENT,
                   "chunk of %s at offset %" G_GINT64_FORMAT ", but %" G_GINT64_FORMAT
                   " bytes are staged: send the chunks in order", name, offset,
                   (gint64) st.st_size);
      goto out;
    }
  for (gsize done = 0; done < len;)
    {
      ssize_t n = pwrite (fd, data + done, len - done, offset + (off_t) done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          int e = errno;
          g_set_error (error, RM_ERROR, RM_ERROR_FAILED_PRECONDITION, "cannot stage %s: %s", name,
                       g_strerror (e));
          goto out;
        }
      done += (gsize) n;
    }
  ok = TRUE;
out:
  if (fd >= 0)
    close (fd);
  g_mutex_unlock (&s->lock);
  return ok;
}

static char *
sha256_of (const char *path, gint64 *size, GError **error)
{
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      int e = errno;
      g_set_error (error, RM_ERROR, RM_ERROR_NOT_FOUND, "nothing was staged as %s: %s", path,
                   g_strerror (e));
      return NULL;
    }
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 buf[64 * 1024];
  ssize_t n;
  *size = 0;
  while ((n = read (fd, buf, sizeof buf)) > 0)
    {
      g_checksum_update (sum, buf, n);
      *size += n;
    }
  close (fd);
  return g_strdup (g_checksum_get_string (sum));
}

RmLocalResource *
rm_staging_commit (RmStaging *s, const char *app, const char *name, gint64 size,
                   const char *sha256, gboolean executable, GError **error)
{
  if (!check_names (app, name, error))
    return NULL;
  g_autofree char *final = g_build_filename (s->dir, app, name, NULL);
  g_autofree char *partial = partial_path (s, app, name);
  g_mutex_lock (&s->lock);
  RmLocalResource *r = NULL;
  gint64 have = 0;
  g_autofree char *digest = NULL;
  if (g_file_test (final, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, RM_ERROR, RM_ERROR_ALREADY_EXISTS, "%s was committed already", name);
      goto out;
    }
  digest = sha256_of (partial, &have, error);
  if (digest == NULL)
    goto out;
  if (have != size || g_ascii_strcasecmp (digest, sha256 ? sha256 : "") != 0)
    {
      /* A corrupt upload is dropped whole: the client stages it again. */
      unlink (partial);
      g_set_error (error, RM_ERROR, RM_ERROR_INVALID_ARGUMENT,
                   "%s does not match: %" G_GINT64_FORMAT " bytes with SHA-256 %s were staged, "
                   "the client says %" G_GINT64_FORMAT " bytes with %s; stage it again", name, have,
                   digest, size, sha256 ? sha256 : "(none)");
      goto out;
    }
  if (chmod (partial, executable ? 0700 : 0600) != 0 || rename (partial, final) != 0)
    {
      int e = errno;
      g_set_error (error, RM_ERROR, RM_ERROR_FAILED_PRECONDITION, "cannot commit %s: %s", name,
                   g_strerror (e));
      goto out;
    }
  r = g_new0 (RmLocalResource, 1);
  r->name = g_strdup (name);
  r->source = g_strdup_printf ("staging:%s/%s", app, name);
  r->size = size;
  r->sha256 = g_ascii_strdown (digest, -1);
  r->executable = executable;
out:
  g_mutex_unlock (&s->lock);
  return r;
}

GBytes *
rm_staging_read (RmStaging *s, const char *app, const char *name, gint64 offset, gint32 length,
                 GError **error)
{
  if (!check_names (app, name, error))
    return NULL;
  g_autofree char *final = g_build_filename (s->dir, app, name, NULL);
  int fd = open (final, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      g_set_error (error, RM_ERROR, RM_ERROR_NOT_FOUND, "%s is not staged for %s", name, app);
      return NULL;
    }
  struct stat st;
  fstat (fd, &st);
  if (offset < 0 || length < 0 || offset > st.st_size)
    {
      close (fd);
      g_set_error (error, RM_ERROR, RM_ERROR_INVALID_ARGUMENT, "bad range %" G_GINT64_FORMAT
                   "+%d of %s (%" G_GINT64_FORMAT " bytes)", offset, length, name,
                   (gint64) st.st_size);
      return NULL;
    }
  gsize want = (gsize) MIN ((gint64) length, (gint64) st.st_size - offset);
  guint8 *buf = g_malloc (want ? want : 1);
  ssize_t got = want ? pread (fd, buf, want, offset) : 0;
  close (fd);
  return g_bytes_new_take (buf, got > 0 ? (gsize) got : 0);
}

void
rm_staging_remove_app (RmStaging *s, const char *app)
{
  if (!check_names (app, "x", NULL))
    return;
  g_autofree char *app_dir = g_build_filename (s->dir, app, NULL);
  g_mutex_lock (&s->lock);
  g_autoptr(GError) error = NULL;
  if (!weft_fs_remove_tree (app_dir, &error))
    g_warning ("staged files of %s: %s", app, error->message);
  g_mutex_unlock (&s->lock);
}
