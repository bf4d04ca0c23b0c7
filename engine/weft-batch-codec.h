/* weft-batch-codec: a batch as bytes, for what leaves a process: shuffle blocks, task results,
 * the rows of a plan sent to executors. Little-endian and self-describing (schema first), so a
 * reader checks every length against the bytes it has and never trusts a count: a damaged
 * encoding is an error (WEFT_ENGINE_ERROR_MALFORMED), never wrong rows or a crash. */
#pragma once

#include "weft-batch.h"
#include "weft-engine-error.h"

G_BEGIN_DECLS

/**
 * weft_batch_encode:
 * Appends the encoding of @batch (schema, row count, each column with its validity) to @out.
 */
void weft_batch_encode (const WeftBatch *batch, GByteArray *out);

/**
 * weft_batch_decode:
 * @data: bytes starting at an encoded batch
 * @len: bytes available
 * @consumed: (out) (optional): bytes the batch took
 * Returns: (transfer full) the batch, or NULL with WEFT_ENGINE_ERROR_MALFORMED.
 */
WeftBatch *weft_batch_decode (const guint8 *data, gsize len, gsize *consumed, GError **error);

G_END_DECLS
