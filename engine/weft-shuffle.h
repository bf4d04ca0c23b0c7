/* weft-shuffle: the files a map task writes and reduce tasks read. Each map task writes one data
 * file and one index file: the data file holds its reduce partitions one after the other, each
 * a sequence of frames (a header with the stored and raw lengths and a CRC32C of the stored
 * bytes, then an LZ4 block of at most block_size raw bytes of encoded batches, weft-batch-codec);
 * the index holds the n + 1 offsets of the partitions in the data file, with its own checksum.
 * Both are written under temporary names and renamed into place when the task commits, so a
 * task that dies leaves nothing a reader could take for output. A reader checks a frame's
 * checksum before it decompresses it, and every length against the bytes it has: a corrupt or
 * truncated segment is WEFT_ENGINE_ERROR_CORRUPT, never wrong rows. LZ4's block format has no
 * checksum of its own, hence ours. */
#pragma once

#include "weft-batch.h"
#include "weft-engine-error.h"

G_BEGIN_DECLS

#define WEFT_SHUFFLE_DEFAULT_BLOCK_SIZE (32 * 1024)

typedef struct _WeftShuffleWriter WeftShuffleWriter;

/**
 * weft_shuffle_writer_new:
 * @dir: the executor's shuffle folder (created if missing)
 * @block_size: raw bytes per LZ4 block (from 1 KiB to 16 MiB)
 * Returns: (transfer full) a writer of map output @map_id (attempt @attempt) of shuffle
 *   @shuffle_id with @n_partitions reduce partitions, or NULL with WEFT_ENGINE_ERROR_IO.
 */
WeftShuffleWriter *weft_shuffle_writer_new (const char *dir, guint shuffle_id, guint map_id,
                                            guint attempt, guint n_partitions, gsize block_size,
                                            GError **error);

/** weft_shuffle_writer_add: appends the rows of @batch (copied out) to @partition. */
gboolean weft_shuffle_writer_add (WeftShuffleWriter *writer, guint partition,
                                  const WeftBatch *batch, GError **error);

/**
 * weft_shuffle_writer_commit:
 * @data_path: (out) (transfer full): the committed data file (the index is @data_path with
 *   ".index" for ".data")
 * @sizes: (out) (transfer full): stored bytes of each reduce partition
 * Flushes, writes the index and renames both into place.
 */
gboolean weft_shuffle_writer_commit (WeftShuffleWriter *writer, char **data_path, guint64 **sizes,
                                     GError **error);

/** weft_shuffle_writer_free: (nullable); an uncommitted writer's files are deleted. */
void weft_shuffle_writer_free (WeftShuffleWriter *writer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WeftShuffleWriter, weft_shuffle_writer_free)

/** weft_shuffle_writer_get_bytes: stored bytes written so far (metrics). */
guint64 weft_shuffle_writer_get_bytes (const WeftShuffleWriter *writer);

/**
 * weft_shuffle_read_segment:
 * Returns: (transfer full) the stored frames of reduce partition @reduce_id of the map output
 *   whose data file is @data_path (what an executor serves to a remote reader), or NULL with
 *   WEFT_ENGINE_ERROR_IO (missing file) or _CORRUPT (a damaged index).
 */
GBytes *weft_shuffle_read_segment (const char *data_path, guint reduce_id, GError **error);

/**
 * weft_shuffle_decode_segment:
 * @segment: stored frames as weft_shuffle_read_segment() returns them
 * @batches: batches decoded are appended here (transfer full)
 * @raw_bytes: (out) (optional): decompressed bytes
 * Checks every frame before using it. Returns: TRUE, or FALSE with WEFT_ENGINE_ERROR_CORRUPT
 *   naming the frame's offset (nothing is appended then).
 */
gboolean weft_shuffle_decode_segment (GBytes *segment, GPtrArray *batches, guint64 *raw_bytes,
                                      GError **error);

/** weft_shuffle_remove: deletes every file of shuffle @shuffle_id under @dir. */
void weft_shuffle_remove (const char *dir, guint shuffle_id);

G_END_DECLS
