/* weft-spill: a spill file, the run format the stateful operators write past their memory budget
 * and read back. A file is a sequence of batch records of one schema: a 40-byte header (magic
 * "WSP1", flags, column count, row count, raw and stored payload lengths) then the payload, LZ4
 * block-compressed when that helps; the payload holds each column length-prefixed (type, validity
 * flag, rows, data bytes, then the validity bitmap, the values or the offsets and bytes). Numbers
 * are in host byte order: a spill file never leaves the process that wrote it. The file is
 * unlinked as soon as it is created, so it disappears with the process whatever happens. Written
 * first, then read from the start (rewind); one thread at a time. */

#pragma once

#include "weft-batch.h"

G_BEGIN_DECLS

typedef struct _WeftSpillFile WeftSpillFile;

/**
 * weft_spill_file_new:
 * @dir: (nullable): the folder for the file (NULL: g_get_tmp_dir())
 * @schema: the schema of every batch written (a reference is taken)
 * @error: return location for a GError (WEFT_ENGINE_ERROR_IO)
 *
 * Returns: (transfer full): an empty file open for writing, or NULL.
 */
WeftSpillFile *weft_spill_file_new (const char *dir, WeftSchema *schema, GError **error);

/**
 * weft_spill_file_write:
 * @file: a file being written
 * @batch: a batch of the file's schema (copied out; zero-row batches are skipped)
 * @error: return location for a GError (WEFT_ENGINE_ERROR_IO)
 */
gboolean weft_spill_file_write (WeftSpillFile *file, const WeftBatch *batch, GError **error);

/**
 * weft_spill_file_rewind:
 * @file: a file
 * @error: return location for a GError
 *
 * Flushes what was written and positions reading at the first record. May be called again to
 * read the file once more.
 */
gboolean weft_spill_file_rewind (WeftSpillFile *file, GError **error);

/**
 * weft_spill_file_read:
 * @file: a rewound file
 * @out: (out) (transfer full): the next batch, or NULL at the end
 * @error: return location for a GError (WEFT_ENGINE_ERROR_IO, or _MALFORMED for a damaged record)
 */
gboolean weft_spill_file_read (WeftSpillFile *file, WeftBatch **out, GError **error);

/* Bytes written so far (headers and stored payloads) and rows written so far. */
guint64 weft_spill_file_get_bytes (const WeftSpillFile *file);
guint64 weft_spill_file_get_rows (const WeftSpillFile *file);

/**
 * weft_spill_file_free:
 * @file: (transfer full) (nullable): a file; closing it releases its disk space
 */
void weft_spill_file_free (WeftSpillFile *file);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WeftSpillFile, weft_spill_file_free)

G_END_DECLS
