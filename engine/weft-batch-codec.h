/* weft-batch-codec: a batch as bytes, for what leaves a process: shuffle blocks, task results,
 * the rows of a plan sent to executors. Little-endian and self-describing (schema first), so a
 * reader checks every length against the bytes it has and never trusts a count: a damaged
 * encoding is an error (WEFT_ENGINE_ERROR_MALFORMED), never wrong rows or a crash. Encodings
 * concatenate: a stream of them is read back one weft_batch_decode() after another. Pure
 * functions of their arguments; any thread.
 *
 * The format (all integers little-endian, no padding):
 *   header   u32 magic "WBT1", u32 n_columns, u64 n_rows (< 2^32), u64 body_len (bytes after
 *            the header)
 *   fields   per column: u8 type (WeftDataType), u8 nullable, u32 name_len, the name's bytes
 *   columns  per column: u8 flags (bit 0: a validity bitmap follows), for strings u64 data_len;
 *            the bitmap, ceil(n_rows / 8) bytes, LSB first, bits past n_rows clear; then int64 /
 *            double: n_rows x 8 bytes, date: n_rows x 4, bool: n_rows bytes of 0 or 1, string:
 *            n_rows u64 end offsets (the first value starts at 0) and data_len bytes */
#pragma once

#include "weft-batch.h"
#include "weft-engine-error.h"

G_BEGIN_DECLS

/* Bytes of the fixed header: what weft_batch_peek_encoded_size() needs to see. */
#define WEFT_BATCH_CODEC_HEADER_SIZE 24

/**
 * weft_batch_get_encoded_size:
 * @batch: a batch
 *
 * Returns: the bytes weft_batch_encode() appends for @batch (to size buffers and check limits:
 *   a GByteArray holds at most 4 GiB).
 */
gsize weft_batch_get_encoded_size (const WeftBatch *batch);

/**
 * weft_batch_encode:
 * @batch: a batch (zero columns and zero rows are fine)
 * @out: where to append; the result must fit a GByteArray (under 4 GiB in all)
 *
 * Appends the encoding of @batch (schema, row count, each column with its validity) to @out.
 * Fixed-width values are copied in bulk.
 */
void weft_batch_encode (const WeftBatch *batch, GByteArray *out);

/**
 * weft_batch_decode:
 * @data: (array length=len): bytes starting at an encoded batch
 * @len: bytes available (may run past the batch: @consumed says where it ended)
 * @consumed: (out) (optional): bytes the batch took
 * @error: return location for a GError (WEFT_ENGINE_ERROR_MALFORMED)
 *
 * Allocates no more than a small multiple of the bytes it is given, whatever the counts say.
 *
 * Returns: (transfer full) (nullable): the batch (with a new schema), or NULL with the error.
 */
WeftBatch *weft_batch_decode (const guint8 *data, gsize len, gsize *consumed, GError **error);

/**
 * weft_batch_peek_encoded_size:
 * @data: (array length=len): the start of an encoded batch
 * @len: bytes available, at least WEFT_BATCH_CODEC_HEADER_SIZE
 * @out_size: (out): the bytes of the whole encoded batch
 * @error: return location for a GError (WEFT_ENGINE_ERROR_MALFORMED)
 *
 * Reads the header only, so that a reader of a stream cut into pieces knows how many bytes to
 * gather before calling weft_batch_decode().
 *
 * Returns: TRUE, or FALSE if the header is not a batch's.
 */
gboolean weft_batch_peek_encoded_size (const guint8 *data, gsize len, gsize *out_size,
                                       GError **error);

G_END_DECLS
