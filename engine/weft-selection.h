/* weft-selection: a selection vector, the ascending row indices of a batch that survive a filter.
 * Filters produce one (from a bitmap or from a bool column's bytes); weft_batch_take() copies the
 * selected rows. Row indices are 32-bit, so a batch holds fewer than 2^32 rows. Not thread-safe:
 * one owner at a time. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  guint32 *rows;   /* indices, ascending unless the producer documents otherwise */
  gsize n;         /* how many are selected */
  gsize capacity;  /* how many rows fits without growing */
} WeftSelection;

/**
 * weft_selection_new:
 * @capacity: indices to allocate up front
 *
 * Returns: (transfer full): an empty selection.
 */
WeftSelection *weft_selection_new (gsize capacity);

/**
 * weft_selection_new_all:
 * @n_rows: rows in the batch
 *
 * Returns: (transfer full): 0, 1, ..., n_rows - 1.
 */
WeftSelection *weft_selection_new_all (gsize n_rows);

/**
 * weft_selection_new_from_bitmap:
 * @bits: a bitmap, bit i (LSB first) set when row i is selected
 * @n_rows: rows covered by @bits
 *
 * Returns: (transfer full): the set rows, ascending.
 */
WeftSelection *weft_selection_new_from_bitmap (const guint8 *bits, gsize n_rows);

/**
 * weft_selection_new_from_bytes:
 * @bytes: one byte per row, non-zero when selected (a bool column's values)
 * @validity: (nullable): a validity bitmap; null rows are not selected (SQL's WHERE)
 * @n_rows: rows
 *
 * Returns: (transfer full): the selected rows, ascending.
 */
WeftSelection *weft_selection_new_from_bytes (const guint8 *bytes, const guint8 *validity,
                                              gsize n_rows);

/**
 * weft_selection_free:
 * @selection: (transfer full) (nullable): a selection
 */
void weft_selection_free (WeftSelection *selection);

/**
 * weft_selection_reserve:
 * @selection: a selection
 * @n_more: indices about to be added
 */
void weft_selection_reserve (WeftSelection *selection, gsize n_more);

/**
 * weft_selection_add:
 * @selection: a selection
 * @row: the next selected row (greater than the last one to keep the selection ascending)
 */
static inline void
weft_selection_add (WeftSelection *selection, guint32 row)
{
  if (G_UNLIKELY (selection->n == selection->capacity))
    weft_selection_reserve (selection, 1);
  selection->rows[selection->n++] = row;
}

/**
 * weft_selection_is_all:
 * @selection: a selection
 * @n_rows: rows in the batch
 *
 * Returns: TRUE if @selection is exactly 0 .. n_rows - 1 (so no copy is needed).
 */
gboolean weft_selection_is_all (const WeftSelection *selection, gsize n_rows);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WeftSelection, weft_selection_free)

G_END_DECLS
