/* weft-shuffle: the files a map task writes and reduce tasks read. Each map task writes one data
 * file and one index file: the data file holds its reduce partitions one after the other, each
 * a sequence of frames (a header with the stored and raw lengths and a CRC32C of the stored
 * bytes, then an LZ4 block of at most block_size raw bytes of encoded batches, weft-batch-codec);
 * the index holds the n + 1 offsets of the partitions in the data file, with its own checksum.
 * Both are written under temporary names and renamed into place when the task commits, so a
 * task that dies leaves nothing a reader could take for output. A reader checks a frame's
 * checksum before it decompresses it, and every length against the bytes it has: a corrupt or
 * truncated segment is WEFT_ENGINE_ERROR_CORRUPT, never wrong rows. LZ4's block format has no
 * checksum of its own, hence ours.
 *
 * The files (integers little-endian), under the executor's shuffle folder:
 *   shuffle_<shuffle>_<map>_<attempt>.data   per partition, frames of a 16-byte header (u32
 *       magic "WSF1", u32 stored_len, u32 raw_len, u32 CRC32C of the stored bytes) and
 *       stored_len bytes of LZ4 block; the partition's raw stream (its batches' encodings back to
 *       back) is cut into blocks of block_size bytes, the last one shorter; an empty partition
 *       has no frames.
 *   shuffle_<shuffle>_<map>_<attempt>.index  u32 magic "WSI1", u32 n_partitions, n + 1 u64
 *       offsets (the first 0, the last the data file's size), u32 CRC32C of all that.
 * A writer is used by one thread at a time; writers of different map tasks run concurrently.
 * The reading functions are pure and thread-safe. */
#pragma once

#include "weft-batch.h"
#include "weft-engine-error.h"

G_BEGIN_DECLS

#define WEFT_SHUFFLE_DEFAULT_BLOCK_SIZE (32 * 1024)
#define WEFT_SHUFFLE_MIN_BLOCK_SIZE 1024
#define WEFT_SHUFFLE_MAX_BLOCK_SIZE (16 * 1024 * 1024)

typedef struct _WeftShuffleWriter WeftShuffleWriter;

/**
 * weft_shuffle_writer_new:
 * @dir: the executor's shuffle folder (created if missing)
 * @shuffle_id: the shuffle
 * @map_id: the map task
 * @attempt: the map task's attempt (each attempt has its own files)
 * @n_partitions: reduce partitions (>= 1)
 * @block_size: raw bytes per LZ4 block, from WEFT_SHUFFLE_MIN_BLOCK_SIZE (1 KiB) to
 *   WEFT_SHUFFLE_MAX_BLOCK_SIZE (16 MiB)
 * @error: return location for a GError
 *
 * The writer holds about @block_size bytes per partition in memory; full blocks go, compressed,
 * to an unlinked scratch file in @dir and are copied into partition order on commit.
 *
 * Returns: (transfer full) (nullable): a writer of map output @map_id (attempt @attempt) of
 *   shuffle @shuffle_id with @n_partitions reduce partitions, or NULL with
 *   WEFT_ENGINE_ERROR_IO (the folder or file cannot be made) or _BAD_OPTION (@n_partitions or
 *   @block_size out of range).
 */
WeftShuffleWriter *weft_shuffle_writer_new (const char *dir, guint shuffle_id, guint map_id,
                                            guint attempt, guint n_partitions, gsize block_size,
                                            GError **error);

/**
 * weft_shuffle_writer_add:
 * @writer: an uncommitted writer
 * @partition: a reduce partition < n_partitions
 * @batch: rows for it (encoded at once: the caller keeps its batch)
 * @error: return location for a GError
 *
 * Appends the rows of @batch to @partition. Batches of zero rows are written too (a batch of
 * zero columns carries only a row count, and count() relies on it).
 *
 * Returns: TRUE, or FALSE with WEFT_ENGINE_ERROR_IO (the writer is then unusable: free it) or
 *   _TOO_LARGE (a batch whose encoding passes 4 GiB; the writer stays usable).
 */
gboolean weft_shuffle_writer_add (WeftShuffleWriter *writer, guint partition,
                                  const WeftBatch *batch, GError **error);

/**
 * weft_shuffle_writer_commit:
 * @writer: an uncommitted writer
 * @data_path: (out) (transfer full) (optional): the committed data file (the index is @data_path
 *   with ".index" for ".data")
 * @sizes: (out) (transfer full) (optional): stored bytes of each reduce partition (n_partitions
 *   entries; free with g_free())
 * @error: return location for a GError (WEFT_ENGINE_ERROR_IO)
 *
 * Flushes, writes the index and renames both into place, the index last (a reader that finds
 * the index finds the data). Files are not fsync'd: after a machine crash the checksums catch
 * what the disk lost. On failure the writer stays uncommitted, and freeing it removes its files.
 */
gboolean weft_shuffle_writer_commit (WeftShuffleWriter *writer, char **data_path, guint64 **sizes,
                                     GError **error);

/**
 * weft_shuffle_writer_free:
 * @writer: (transfer full) (nullable): a writer; an uncommitted writer's files are deleted
 */
void weft_shuffle_writer_free (WeftShuffleWriter *writer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WeftShuffleWriter, weft_shuffle_writer_free)

/**
 * weft_shuffle_writer_get_bytes:
 * @writer: a writer
 *
 * Full blocks are written as they fill, but each partition's last, partial block only by the
 * commit: for the map output's size, call this after weft_shuffle_writer_commit().
 *
 * Returns: stored bytes (frame headers and LZ4 blocks) written so far, for metrics; after a
 *   commit, the data file's size.
 */
guint64 weft_shuffle_writer_get_bytes (const WeftShuffleWriter *writer);

/**
 * weft_shuffle_writer_get_raw_bytes:
 * @writer: a writer
 *
 * Returns: bytes of encoded batches added so far (before compression), for metrics.
 */
guint64 weft_shuffle_writer_get_raw_bytes (const WeftShuffleWriter *writer);

/**
 * weft_shuffle_read_segment:
 * @data_path: a committed data file (its index is beside it)
 * @reduce_id: a reduce partition
 * @error: return location for a GError
 *
 * Reads the index, checks its checksum and that the data file has the size it records, then
 * reads the partition's frames (without checking them: weft_shuffle_decode_segment() does).
 *
 * Returns: (transfer full) (nullable): the stored frames of reduce partition @reduce_id of the
 *   map output whose data file is @data_path (what an executor serves to a remote reader; empty
 *   for an empty partition), or NULL with WEFT_ENGINE_ERROR_IO (a missing or unreadable file),
 *   _CORRUPT (a damaged index, a data file of the wrong size) or _BAD_OPTION (@reduce_id out of
 *   range, a path not ending in ".data").
 */
GBytes *weft_shuffle_read_segment (const char *data_path, guint reduce_id, GError **error);

/**
 * weft_shuffle_decode_segment:
 * @segment: stored frames as weft_shuffle_read_segment() returns them
 * @batches: (element-type WeftBatch): batches decoded are appended here (transfer full; the
 *   array should free them with weft_batch_free())
 * @raw_bytes: (out) (optional): decompressed bytes
 * @error: return location for a GError
 *
 * Checks every frame (magic, lengths, CRC32C) before decompressing it, and that its block
 * decompresses to exactly its raw length; decodes the batches only from checked bytes.
 *
 * Returns: TRUE, or FALSE with WEFT_ENGINE_ERROR_CORRUPT naming the frame's offset in the segment
 *   (nothing is appended then).
 */
gboolean weft_shuffle_decode_segment (GBytes *segment, GPtrArray *batches, guint64 *raw_bytes,
                                      GError **error);

/**
 * weft_shuffle_remove:
 * @dir: an executor's shuffle folder
 * @shuffle_id: a shuffle
 *
 * Deletes every file of shuffle @shuffle_id under @dir (committed files and the temporary
 * files of writers that died), and nothing else. Failures are logged, not reported.
 */
void weft_shuffle_remove (const char *dir, guint shuffle_id);

/**
 * weft_shuffle_crc32c:
 * @crc: the CRC32C of the bytes before @data (0 to start)
 * @data: (array length=len): bytes
 * @len: how many
 *
 * CRC32C (Castagnoli, as in iSCSI and ext4): crc32c(crc32c(0, a), b) = crc32c(0, a b), and
 * crc32c(0, "123456789") = 0xE3069283. Uses SSE 4.2 where the CPU has it. Any thread.
 *
 * Returns: the CRC32C of the bytes so far.
 */
guint32 weft_shuffle_crc32c (guint32 crc, const void *data, gsize len);

/**
 * weft_shuffle_crc32c_portable:
 * @crc: as weft_shuffle_crc32c()
 * @data: (array length=len): bytes
 * @len: how many
 *
 * The table-driven (slicing-by-8) CRC32C whatever the CPU, for tests and benchmarks to compare
 * with weft_shuffle_crc32c().
 *
 * Returns: the same value as weft_shuffle_crc32c().
 */
guint32 weft_shuffle_crc32c_portable (guint32 crc, const void *data, gsize len);

G_END_DECLS
