/* weft-hash: the engine's one hash of key values, used by hash aggregation, hash joins and the
 * shuffle's hash partitioning. It is fixed and portable (no per-process seed, little-endian
 * canonical bytes on every host), so one key gives one partition in every process of a job.
 * Definition (a change here is a wire change: partitions move):
 *   mix(x)       = murmur3's fmix64: x ^= x >> 33; x *= 0xff51afd7ed558ccd; x ^= x >> 33;
 *                  x *= 0xc4ceb9fe1a85ec53; x ^= x >> 33
 *   value bits v = int64: its two's complement; date: the days sign-extended to 64 bits;
 *                  bool: 0 or 1; double: the IEEE bits after -0.0 -> 0.0 and any NaN ->
 *                  0x7ff8000000000000; string: weft_hash_bytes(); null: WEFT_HASH_NULL
 *   row hash     = h := WEFT_HASH_SEED; for each key column in order: h := mix(h ^ v); result h
 *   partition    = ((h >> 32) * n_partitions) >> 32   (a multiply-shift: high bits, so tables
 *                  indexed by the low bits inside one partition stay evenly filled)
 *   weft_hash_bytes(s, len): h := len * P1 ^ WEFT_HASH_SEED; for each 8-byte little-endian word
 *                  w (the last one zero-padded): h := rotl64(h ^ (w * P2), 31) * P1; result
 *                  mix(h ^ len), with P1 = 0x9e3779b97f4a7c15, P2 = 0xc2b2ae3d27d4eb4f.
 * Keys compare equal for grouping and joins exactly when their value bits (and bytes) are equal:
 * NaN equals NaN and -0.0 equals 0.0, as in Spark. Pure functions, any thread. */

#pragma once

#include "weft-batch.h"

#include <string.h>

G_BEGIN_DECLS

#define WEFT_HASH_SEED G_GUINT64_CONSTANT (0x6a09e667f3bcc908)
#define WEFT_HASH_NULL G_GUINT64_CONSTANT (0x9ae16a3b2f90404f)

static inline guint64
weft_hash_mix64 (guint64 x)
{
  x ^= x >> 33;
  x *= G_GUINT64_CONSTANT (0xff51afd7ed558ccd);
  x ^= x >> 33;
  x *= G_GUINT64_CONSTANT (0xc4ceb9fe1a85ec53);
  x ^= x >> 33;
  return x;
}

/* The canonical bits of a double: -0.0 folds to 0.0 and every NaN to one NaN. */
static inline guint64
weft_hash_double_bits (double d)
{
  guint64 bits;

  if (d == 0.0)
    return 0;
  if (d != d)
    return G_GUINT64_CONSTANT (0x7ff8000000000000);
  memcpy (&bits, &d, sizeof bits);
  return bits;
}

/**
 * weft_hash_bytes:
 * @data: bytes
 * @len: how many
 *
 * Returns: the hash of a string value (see the definition above).
 */
guint64 weft_hash_bytes (const char *data, gsize len);

/**
 * weft_hash_value_bits:
 * @column: a column
 * @row: a row
 *
 * Returns: the row's value bits v (see above): WEFT_HASH_NULL for a null, the string hash for a
 *   string.
 */
guint64 weft_hash_value_bits (const WeftColumn *column, gsize row);

/**
 * weft_hash_columns:
 * @columns: (array length=n_columns): key columns, each with at least @n_rows rows
 * @n_columns: how many (0 gives every row the same hash)
 * @n_rows: rows to hash
 * @out: (array length=n_rows): the row hashes
 *
 * Hashes rows a column at a time (vectorised: one type switch per column, not per value).
 */
void weft_hash_columns (WeftColumn *const *columns, guint n_columns, gsize n_rows, guint64 *out);

/**
 * weft_hash_batch:
 * @batch: a batch
 * @key_columns: (array length=n_keys): key column indices in @batch
 * @n_keys: how many
 * @out: (array): batch->n_rows row hashes
 */
void weft_hash_batch (const WeftBatch *batch, const guint *key_columns, guint n_keys,
                      guint64 *out);

/**
 * weft_hash_partition:
 * @hash: a row hash
 * @n_partitions: partitions (>= 1)
 *
 * Returns: the row's partition, < @n_partitions.
 */
static inline guint32
weft_hash_partition (guint64 hash, guint32 n_partitions)
{
  return (guint32) (((hash >> 32) * (guint64) n_partitions) >> 32);
}

/**
 * weft_hash_partition_ids:
 * @batch: a batch
 * @key_columns: (array length=n_keys): key column indices in @batch
 * @n_keys: how many
 * @n_partitions: partitions (>= 1)
 * @out: (array): batch->n_rows partition ids, each < @n_partitions
 *
 * The shuffle's hash partitioning: the same key values give the same id in every process.
 */
void weft_hash_partition_ids (const WeftBatch *batch, const guint *key_columns, guint n_keys,
                              guint32 n_partitions, guint32 *out);

/**
 * weft_hash_values_equal:
 * @a: a column
 * @ra: a row of @a
 * @b: a column of the same type
 * @rb: a row of @b
 *
 * Returns: TRUE if the two values are equal as keys (nulls equal each other, NaN equals NaN,
 *   -0.0 equals 0.0). Joins exclude null keys before asking.
 */
static inline gboolean
weft_hash_values_equal (const WeftColumn *a, gsize ra, const WeftColumn *b, gsize rb)
{
  gboolean va = weft_column_is_valid (a, ra), vb = weft_column_is_valid (b, rb);

  if (!va || !vb)
    return va == vb;
  switch (a->type)
    {
    case WEFT_DATA_TYPE_INT64:
      return a->values.i64[ra] == b->values.i64[rb];
    case WEFT_DATA_TYPE_DOUBLE:
      return weft_hash_double_bits (a->values.f64[ra]) == weft_hash_double_bits (b->values.f64[rb]);
    case WEFT_DATA_TYPE_BOOL:
      return a->values.b[ra] == b->values.b[rb];
    case WEFT_DATA_TYPE_DATE:
      return a->values.date[ra] == b->values.date[rb];
    case WEFT_DATA_TYPE_STRING:
      {
        gsize la, lb;
        const char *sa = weft_column_get_string (a, ra, &la);
        const char *sb = weft_column_get_string (b, rb, &lb);

        return la == lb && (la == 0 || memcmp (sa, sb, la) == 0);
      }
    }
  return FALSE;
}

/* Spill partitioning inside one operator: partition of @hash among 1 << @bits at recursion
 * @level. Re-mixed with the level, so it is independent of the shuffle partition (which fixed the
 * hash's high bits for every row a reduce task sees) and of the previous level. */
static inline guint32
weft_hash_spill_partition (guint64 hash, guint level, guint bits)
{
  return (guint32) (weft_hash_mix64 (hash ^ (G_GUINT64_CONSTANT (0x8cb92ba72f3d8dd7) * (level + 1)))
                    >> (64 - bits));
}

G_END_DECLS
