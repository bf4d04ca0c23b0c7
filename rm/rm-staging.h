/* rm-staging: files a client stages for its application (the driver
 * program, --files), kept under <staging dir>/<application>/<name> until
 * the application ends, read back by NMs to localize them into containers.
 * Chunks are appended in order; a commit checks the whole file's size and
 * SHA-256 before it becomes visible. Thread-safe: RPC worker threads call it
 * directly so file I/O stays off the RM's main loop; one mutex guards it (no
 * other lock is held while it is taken). No Thrift types. */
#pragma once

#include <glib.h>

#include "rm-core.h"

G_BEGIN_DECLS

typedef struct _RmStaging RmStaging;

/** rm_staging_new: @dir is made if missing; files over @max_bytes are refused. */
RmStaging *rm_staging_new (const char *dir, gint64 max_bytes, GError **error);
void rm_staging_free (RmStaging *staging);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RmStaging, rm_staging_free)

/** rm_staging_name_ok: a file name clients may use: [A-Za-z0-9._-], not "." or "..", 1..128 bytes. */
gboolean rm_staging_name_ok (const char *name);

/** rm_staging_write: appends @data at @offset, which must be the size staged so far. */
gboolean rm_staging_write (RmStaging *staging, const char *app_id, const char *name, gint64 offset,
                           const guint8 *data, gsize len, GError **error);

/**
 * rm_staging_commit:
 * Checks the staged bytes against @size and @sha256 (hex) and makes the
 * file visible. Returns: (transfer full) what a launch spec needs.
 */
RmLocalResource *rm_staging_commit (RmStaging *staging, const char *app_id, const char *name,
                                    gint64 size, const char *sha256, gboolean executable,
                                    GError **error);

/** rm_staging_read: (transfer full) up to @length bytes of a committed file from @offset. */
GBytes *rm_staging_read (RmStaging *staging, const char *app_id, const char *name, gint64 offset,
                         gint32 length, GError **error);

/** rm_staging_remove_app: removes everything staged for @app_id. */
void rm_staging_remove_app (RmStaging *staging, const char *app_id);

G_END_DECLS
