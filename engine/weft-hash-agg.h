/* weft-hash-agg: hash aggregation. Groups rows by N key columns (any types; nulls form a group of
 * their own, NaN one group, -0.0 and 0.0 one group, as in Spark) and computes count(*), count,
 * count(distinct), sum, avg, min and max over input columns, in Spark's three modes: PARTIAL turns
 * input rows into intermediate state rows (keys then state columns), FINAL merges state rows from
 * any number of partials into results, COMPLETE does both in one stage. Past its memory budget it
 * spills state rows to disk, hash-partitioned, and merges each partition on its own at the end.
 * Push-based, see weft-operator.h. Result rows come out in no particular order. */

#pragma once

#include "weft-batch.h"
#include "weft-operator.h"

G_BEGIN_DECLS

typedef enum
{
  WEFT_AGG_COUNT_STAR,     /* count(*): rows, nulls included; its column is ignored */
  WEFT_AGG_COUNT,          /* count(col): non-null values */
  WEFT_AGG_COUNT_DISTINCT, /* count(distinct col): distinct non-null values, exact */
  WEFT_AGG_SUM,            /* int64 -> int64 (wrapping on overflow, as Spark without ANSI mode),
                            * double -> double; null when the group has no non-null value */
  WEFT_AGG_AVG,            /* int64 or double -> double; null when no non-null value */
  WEFT_AGG_MIN,            /* any type -> the same; strings bytewise; NaN above all doubles */
  WEFT_AGG_MAX,
} WeftAggFunc;

typedef struct
{
  WeftAggFunc func;
  guint column;     /* the input column it reads (any value for count(*)) */
  const char *name; /* (nullable) the result column's name; NULL: Spark's, e.g. "sum(salary)" */
} WeftAggSpec;

typedef enum
{
  WEFT_AGG_MODE_PARTIAL,  /* input rows -> state rows */
  WEFT_AGG_MODE_FINAL,    /* state rows -> result rows */
  WEFT_AGG_MODE_COMPLETE, /* input rows -> result rows */
} WeftAggMode;

typedef struct _WeftHashAgg WeftHashAgg;

/**
 * weft_hash_agg_new:
 * @mode: the mode
 * @input_schema: the schema of the *input rows* (a reference is taken) — in every mode, FINAL
 *   included: the partial and the final of one aggregation are created with the same arguments,
 *   and FINAL then takes batches of weft_hash_agg_get_state_schema()
 * @key_columns: (array length=n_keys): grouping columns of @input_schema (copied)
 * @n_keys: how many; 0 is a global aggregation (one result row, even for empty input)
 * @aggs: (array length=n_aggs): the aggregates (copied, names too); none is DISTINCT's plan
 * @n_aggs: how many
 * @budget_bytes: memory for the table and its state before it spills (raised to
 *   WEFT_OPERATOR_MIN_BUDGET)
 * @spill_dir: (nullable): where spill files go (NULL: the system's temporary folder)
 * @error: return location for a GError (WEFT_ENGINE_ERROR_BAD_SCHEMA: a column out of range, or
 *   sum/avg over a type other than int64 and double)
 *
 * The state schema is the keys, then per aggregate: count(*)/count: one int64; count distinct:
 * one column of the value's type, holding one distinct value per row (a group's state may take
 * several rows, the other aggregates' states being neutral in all but the first); sum, min, max:
 * one nullable column of the result type; avg: a double sum (null when empty) and an int64 count.
 *
 * Returns: (transfer full): the operator, or NULL.
 */
WeftHashAgg *weft_hash_agg_new (WeftAggMode mode, WeftSchema *input_schema,
                                const guint *key_columns, guint n_keys, const WeftAggSpec *aggs,
                                guint n_aggs, gsize budget_bytes, const char *spill_dir,
                                GError **error);

/**
 * weft_hash_agg_get_state_schema:
 * @agg: an operator
 *
 * Returns: (transfer none): the intermediate schema: PARTIAL's output, FINAL's input.
 */
WeftSchema *weft_hash_agg_get_state_schema (const WeftHashAgg *agg);

/**
 * weft_hash_agg_get_output_schema:
 * @agg: an operator
 *
 * Returns: (transfer none): what weft_hash_agg_next() hands out: the state schema for PARTIAL,
 *   else the keys (with their input names) then one column per aggregate.
 */
WeftSchema *weft_hash_agg_get_output_schema (const WeftHashAgg *agg);

/**
 * weft_hash_agg_push:
 * @agg: an operator still taking input
 * @batch: (transfer none): input rows (PARTIAL, COMPLETE) or state rows (FINAL)
 * @error: return location for a GError (_BAD_SCHEMA, or _IO when a spill fails)
 */
gboolean weft_hash_agg_push (WeftHashAgg *agg, const WeftBatch *batch, GError **error);

/**
 * weft_hash_agg_finish:
 * @agg: an operator still taking input
 * @error: return location for a GError
 */
gboolean weft_hash_agg_finish (WeftHashAgg *agg, GError **error);

/**
 * weft_hash_agg_next:
 * @agg: a finished operator
 * @out: (out) (transfer full): the next batch of output rows (never empty), or NULL at the end
 * @error: return location for a GError (_IO, _MALFORMED when reading a spill fails)
 */
gboolean weft_hash_agg_next (WeftHashAgg *agg, WeftBatch **out, GError **error);

/**
 * weft_hash_agg_get_stats:
 * @agg: an operator
 *
 * Returns: (transfer none): its counters so far (spills of its sub-aggregations included).
 */
const WeftOperatorStats *weft_hash_agg_get_stats (const WeftHashAgg *agg);

/**
 * weft_hash_agg_free:
 * @agg: (transfer full) (nullable): an operator
 */
void weft_hash_agg_free (WeftHashAgg *agg);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WeftHashAgg, weft_hash_agg_free)

G_END_DECLS
