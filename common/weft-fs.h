/* weft-fs: file-system helpers the daemons and tests share. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * weft_fs_remove_tree:
 * Removes @path and, if it is a folder, everything in it, without following
 * symbolic links (a link is removed, not what it points to) and without a
 * shell. A missing @path is not an error.
 */
gboolean weft_fs_remove_tree (const char *path, GError **error);

G_END_DECLS
