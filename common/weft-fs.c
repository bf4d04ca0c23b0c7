/* weft-fs: file-system helpers. See weft-fs.h. */
#include "weft-fs.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <sys/stat.h>
#include <unistd.h>

gboolean
weft_fs_remove_tree (const char *path, GError **error)
{
  struct stat st;
  if (lstat (path, &st) != 0)
    {
      if (errno == ENOENT)
        return TRUE;
      int e = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), "cannot remove %s: %s", path,
                   g_strerror (e));
      return FALSE;
    }
  if (S_ISDIR (st.st_mode))
    {
      GDir *d = g_dir_open (path, 0, error);
      if (d == NULL)
        return FALSE;
      const char *name;
      gboolean ok = TRUE;
      while (ok && (name = g_dir_read_name (d)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          ok = weft_fs_remove_tree (child, error);
        }
      g_dir_close (d);
      if (!ok)
        return FALSE;
      if (rmdir (path) != 0 && errno != ENOENT)
        {
          int e = errno;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), "cannot remove %s: %s", path,
                       g_strerror (e));
          return FALSE;
        }
      return TRUE;
    }
  if (unlink (path) != 0 && errno != ENOENT)
    {
      int e = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), "cannot remove %s: %s", path,
                   g_strerror (e));
      return FALSE;
    }
  return TRUE;
}
