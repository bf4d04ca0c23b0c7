/* weft-sort: the sort operator. Orders rows by several key columns (each ascending or descending,
 * nulls first or last), stably: rows with equal keys leave in the order they came in. Within its
 * memory budget it sorts in memory; past it, it writes sorted runs to spill files and k-way merges
 * them. With a limit it keeps only the best rows seen so far (top-N) and never spills. Push-based,
 * see weft-operator.h. Orders as Spark does: NaN above every other double, -0.0 equal to 0.0,
 * strings bytewise, false before true. */

#pragma once

#include "weft-batch.h"
#include "weft-operator.h"

G_BEGIN_DECLS

typedef struct
{
  guint column;        /* the key's column index in the input */
  gboolean descending; /* FALSE: ascending */
  gboolean nulls_first; /* where nulls go, whatever the direction */
} WeftSortKey;

/**
 * weft_sort_key_default:
 * @column: a column index
 * @descending: the direction
 *
 * Returns: a key with Spark's default null placement: nulls first ascending, last descending.
 */
WeftSortKey weft_sort_key_default (guint column, gboolean descending);

typedef struct _WeftSort WeftSort;

/**
 * weft_sort_new:
 * @schema: the input's schema (a reference is taken); the output has the same
 * @keys: (array length=n_keys): sort keys, most significant first (copied)
 * @n_keys: how many (0 keeps the input order)
 * @limit: the most rows to output, or -1 for all; a limit up to 1 Mi rows takes the top-N path
 * @budget_bytes: memory for buffered rows before a run spills (raised to
 *   WEFT_OPERATOR_MIN_BUDGET)
 * @spill_dir: (nullable): where spill files go (NULL: the system's temporary folder)
 * @error: return location for a GError (WEFT_ENGINE_ERROR_BAD_SCHEMA for a key out of range)
 *
 * Returns: (transfer full): the operator, or NULL.
 */
WeftSort *weft_sort_new (WeftSchema *schema, const WeftSortKey *keys, guint n_keys, gint64 limit,
                         gsize budget_bytes, const char *spill_dir, GError **error);

/**
 * weft_sort_push:
 * @sort: an operator still taking input
 * @batch: (transfer none): rows of the input schema
 * @error: return location for a GError (_BAD_SCHEMA, or _IO when a spill fails)
 */
gboolean weft_sort_push (WeftSort *sort, const WeftBatch *batch, GError **error);

/**
 * weft_sort_finish:
 * @sort: an operator still taking input
 * @error: return location for a GError
 *
 * Ends the input; the sorted rows then come from weft_sort_next().
 */
gboolean weft_sort_finish (WeftSort *sort, GError **error);

/**
 * weft_sort_next:
 * @sort: a finished operator
 * @out: (out) (transfer full): the next batch of sorted rows (at most WEFT_BATCH_DEFAULT_ROWS,
 *   never empty), or NULL when all are out
 * @error: return location for a GError (_IO or _MALFORMED when reading a run fails)
 */
gboolean weft_sort_next (WeftSort *sort, WeftBatch **out, GError **error);

/**
 * weft_sort_get_stats:
 * @sort: an operator
 *
 * Returns: (transfer none): its counters so far.
 */
const WeftOperatorStats *weft_sort_get_stats (const WeftSort *sort);

/**
 * weft_sort_free:
 * @sort: (transfer full) (nullable): an operator; its spill files go with it
 */
void weft_sort_free (WeftSort *sort);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WeftSort, weft_sort_free)

G_END_DECLS
