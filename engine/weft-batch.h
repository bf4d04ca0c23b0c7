/* weft-batch: a columnar batch, the unit that operators pass along and expressions evaluate on: a
 * schema, one column per field and a row count (WEFT_BATCH_DEFAULT_ROWS at most by default, fewer
 * than 2^32 always). A batch holds a reference on each column, so projections share columns
 * without copying; filters (weft_batch_take), slices and concatenations copy. A batch has one owner
 * at a time; its columns may be shared across threads once built. */

#pragma once

#include "weft-column.h"
#include "weft-schema.h"
#include "weft-selection.h"

G_BEGIN_DECLS

/* 64 Ki rows: the column arrays of a typical batch (a few MiB) stay within L2/L3 while an operator
 * works through them, and per-batch overhead is amortised. Scans take a different size as an
 * option. */
#define WEFT_BATCH_DEFAULT_ROWS 65536

typedef struct
{
  WeftSchema *schema;   /* (owned) */
  WeftColumn **columns; /* (owned) one per schema field, each with n_rows rows */
  guint n_columns;
  gsize n_rows;
} WeftBatch;

/**
 * weft_batch_new:
 * @schema: the schema (a reference is taken)
 * @columns: (array) (transfer full): one column per field of @schema, types matching, each of
 *   @n_rows rows; the batch takes over these references (the array itself is copied)
 * @n_rows: rows (given separately so a batch of zero columns still has a row count)
 *
 * Returns: (transfer full): the batch.
 */
WeftBatch *weft_batch_new (WeftSchema *schema, WeftColumn **columns, gsize n_rows);

/**
 * weft_batch_new_empty:
 * @schema: the schema (a reference is taken)
 * @capacity: rows to allocate in each new column
 *
 * Returns: (transfer full): a batch of empty columns to append to; call weft_batch_sync_rows()
 *   once the columns are filled.
 */
WeftBatch *weft_batch_new_empty (WeftSchema *schema, gsize capacity);

/**
 * weft_batch_sync_rows:
 * @batch: a batch whose columns were appended to
 *
 * Sets n_rows from the columns (which must all have the same length). A batch without columns
 * keeps its count.
 */
void weft_batch_sync_rows (WeftBatch *batch);

/**
 * weft_batch_free:
 * @batch: (transfer full) (nullable): a batch
 */
void weft_batch_free (WeftBatch *batch);

/**
 * weft_batch_take:
 * @batch: a batch
 * @selection: rows of @batch (any order, repeats allowed)
 *
 * Returns: (transfer full): a new batch holding the selected rows, copied.
 */
WeftBatch *weft_batch_take (const WeftBatch *batch, const WeftSelection *selection);

/**
 * weft_batch_filter_bitmap:
 * @batch: a batch
 * @bits: bit i (LSB first) set when row i is kept
 *
 * Returns: (transfer full): a new batch with the kept rows, in order.
 */
WeftBatch *weft_batch_filter_bitmap (const WeftBatch *batch, const guint8 *bits);

/**
 * weft_batch_slice:
 * @batch: a batch
 * @offset: first row
 * @n: rows (offset + n <= n_rows)
 *
 * Returns: (transfer full): a new batch holding a copy of those rows.
 */
WeftBatch *weft_batch_slice (const WeftBatch *batch, gsize offset, gsize n);

/**
 * weft_batch_concat:
 * @batches: (array length=n): batches with equal schemas (weft_schema_equal())
 * @n: how many (>= 1)
 *
 * Returns: (transfer full): one batch with all their rows, in order, using the first's schema.
 */
WeftBatch *weft_batch_concat (WeftBatch *const *batches, guint n);

/**
 * weft_batch_project:
 * @batch: a batch
 * @indices: (array length=n): column indices; repeats allowed
 * @n: how many
 *
 * Returns: (transfer full): a batch of those columns, sharing them (no copy).
 */
WeftBatch *weft_batch_project (const WeftBatch *batch, const guint *indices, guint n);

/**
 * weft_batch_get_bytes:
 * @batch: a batch
 *
 * Returns: heap bytes held by its columns (shared columns are counted in full by every holder).
 */
gsize weft_batch_get_bytes (const WeftBatch *batch);

/**
 * weft_batch_equal:
 * @a: a batch
 * @b: a batch
 *
 * Returns: TRUE if schemas, row counts and every column are equal (weft_column_equal()).
 */
gboolean weft_batch_equal (const WeftBatch *a, const WeftBatch *b);

/**
 * weft_batch_format_rows:
 * @batch: a batch
 * @out: where to append
 *
 * Appends one line per row, values formatted by weft_column_format_value() and joined by '|'.
 * For tests and debugging.
 */
void weft_batch_format_rows (const WeftBatch *batch, GString *out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WeftBatch, weft_batch_free)

G_END_DECLS
