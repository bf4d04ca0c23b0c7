/* weft-hash-join: equi-joins on N key columns — inner, left, right and full outer, left semi and
 * left anti. Null keys never match (SQL), so such rows appear only where an outer or anti join
 * keeps unmatched rows. One side, chosen by the caller (normally the smaller), is built into a
 * hash table; the other probes it. Output rows hold the left columns then the right ones (semi and
 * anti: the left only), in no guaranteed order. Past its budget while building it turns into a
 * grace hash join: both sides are hash-partitioned to spill files and each partition is joined on
 * its own. Push-based (see weft-operator.h), with two inputs: every build batch comes before the
 * first probe batch. */

#pragma once

#include "weft-batch.h"
#include "weft-operator.h"

G_BEGIN_DECLS

typedef enum
{
  WEFT_JOIN_INNER,
  WEFT_JOIN_LEFT,      /* left outer */
  WEFT_JOIN_RIGHT,     /* right outer */
  WEFT_JOIN_FULL,      /* full outer */
  WEFT_JOIN_LEFT_SEMI, /* left rows with a match, once each */
  WEFT_JOIN_LEFT_ANTI, /* left rows without a match (null keys included) */
} WeftJoinType;

typedef enum
{
  WEFT_JOIN_SIDE_LEFT,
  WEFT_JOIN_SIDE_RIGHT,
} WeftJoinSide;

typedef struct _WeftHashJoin WeftHashJoin;

/**
 * weft_hash_join_new:
 * @type: the join type
 * @left_schema: the left input's schema (a reference is taken)
 * @right_schema: the right input's schema (a reference is taken)
 * @left_keys: (array length=n_keys): key columns of the left input (copied)
 * @right_keys: (array length=n_keys): the matching key columns of the right input, of the same
 *   types pairwise
 * @n_keys: how many (>= 1)
 * @build_side: the side held in the hash table
 * @budget_bytes: memory for the build side before the join partitions to disk (raised to
 *   WEFT_OPERATOR_MIN_BUDGET)
 * @spill_dir: (nullable): where spill files go (NULL: the system's temporary folder)
 * @error: return location for a GError (WEFT_ENGINE_ERROR_BAD_SCHEMA: a key out of range or keys
 *   of different types)
 *
 * Returns: (transfer full): the operator, or NULL.
 */
WeftHashJoin *weft_hash_join_new (WeftJoinType type, WeftSchema *left_schema,
                                  WeftSchema *right_schema, const guint *left_keys,
                                  const guint *right_keys, guint n_keys, WeftJoinSide build_side,
                                  gsize budget_bytes, const char *spill_dir, GError **error);

/**
 * weft_hash_join_get_output_schema:
 * @join: an operator
 *
 * Returns: (transfer none): left fields then right fields (semi, anti: left only); the fields of
 *   a side that outer joins pad with nulls are marked nullable.
 */
WeftSchema *weft_hash_join_get_output_schema (const WeftHashJoin *join);

/**
 * weft_hash_join_push_build:
 * @join: an operator that has seen no probe batch yet
 * @batch: (transfer none): rows of the build side
 * @error: return location for a GError (_BAD_SCHEMA, _IO)
 */
gboolean weft_hash_join_push_build (WeftHashJoin *join, const WeftBatch *batch, GError **error);

/**
 * weft_hash_join_push_probe:
 * @join: an operator still taking input
 * @batch: (transfer none): rows of the probe side
 * @error: return location for a GError (_BAD_SCHEMA, _IO)
 *
 * Joined rows become available from weft_hash_join_next() at once (in memory) or after finish
 * (partitioned); drain them after each push to bound memory.
 */
gboolean weft_hash_join_push_probe (WeftHashJoin *join, const WeftBatch *batch, GError **error);

/**
 * weft_hash_join_finish:
 * @join: an operator still taking input
 * @error: return location for a GError
 *
 * Ends both inputs; outer joins then add the unmatched build rows.
 */
gboolean weft_hash_join_finish (WeftHashJoin *join, GError **error);

/**
 * weft_hash_join_next:
 * @join: an operator
 * @out: (out) (transfer full): the next batch of joined rows (never empty), or NULL when none is
 *   ready (before finish) or all are out (after)
 * @error: return location for a GError
 */
gboolean weft_hash_join_next (WeftHashJoin *join, WeftBatch **out, GError **error);

/**
 * weft_hash_join_get_stats:
 * @join: an operator
 *
 * Returns: (transfer none): its counters (rows_in counts both sides).
 */
const WeftOperatorStats *weft_hash_join_get_stats (const WeftHashJoin *join);

/**
 * weft_hash_join_free:
 * @join: (transfer full) (nullable): an operator
 */
void weft_hash_join_free (WeftHashJoin *join);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WeftHashJoin, weft_hash_join_free)

G_END_DECLS
