/* weft-expr-eval: vectorized evaluation of resolved expressions over a batch. Each operator runs
 * as one typed loop over the batch (no per-row dispatch or allocation); literals and constant
 * subtrees are evaluated once per batch and broadcast inside the loops; filters compare a column
 * with a constant straight into a selection vector. Evaluation only reads the tree and the batch,
 * so threads may evaluate one tree on different batches at once. */

#pragma once

#include "weft-batch.h"
#include "weft-expr.h"
#include "weft-selection.h"

G_BEGIN_DECLS

/**
 * weft_expr_eval:
 * @e: a resolved expression (weft_expr_resolve())
 * @batch: a batch whose schema matches the one @e was resolved against (column types checked)
 * @error: WEFT_ENGINE_ERROR_BAD_SCHEMA if a column @e reads is missing or of another type
 *
 * Returns: (transfer full) (nullable): a column of batch->n_rows values of @e's type. A bare
 *   column reference returns the batch's own column with a new reference (no copy).
 */
WeftColumn *weft_expr_eval (const WeftExpr *e, const WeftBatch *batch, GError **error);

/**
 * weft_expr_eval_filter:
 * @e: a resolved boolean expression
 * @batch: a batch as for weft_expr_eval()
 * @error: as weft_expr_eval()
 *
 * SQL's WHERE: the rows where @e is true (null counts as false). Chains of AND are evaluated
 * one conjunct at a time over the rows still selected, and comparisons of an expression with a
 * constant write the selection directly.
 *
 * Returns: (transfer full) (nullable): the selected rows, ascending.
 */
WeftSelection *weft_expr_eval_filter (const WeftExpr *e, const WeftBatch *batch, GError **error);

G_END_DECLS
