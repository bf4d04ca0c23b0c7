/* weft-hash: the fixed key hash (see weft-hash.h for the definition, which this must follow). */

#include "weft-hash.h"

#define P1 G_GUINT64_CONSTANT (0x9e3779b97f4a7c15)
#define P2 G_GUINT64_CONSTANT (0xc2b2ae3d27d4eb4f)

static inline guint64
rotl64 (guint64 x, int r)
{
  return (x << r) | (x >> (64 - r));
}

static inline guint64
load64_le (const char *p)
{
  guint64 w;

  memcpy (&w, p, sizeof w);
  return GUINT64_FROM_LE (w);
}

guint64
weft_hash_bytes (const char *data, gsize len)
{
  guint64 h = (guint64) len * P1 ^ WEFT_HASH_SEED;
  gsize i = 0;

  for (; i + 8 <= len; i += 8)
    h = rotl64 (h ^ (load64_le (data + i) * P2), 31) * P1;
  if (i < len)
    {
      char tail[8] = { 0 };

      memcpy (tail, data + i, len - i);
      h = rotl64 (h ^ (load64_le (tail) * P2), 31) * P1;
    }
  return weft_hash_mix64 (h ^ (guint64) len);
}

guint64
weft_hash_value_bits (const WeftColumn *column, gsize row)
{
  if (!weft_column_is_valid (column, row))
    return WEFT_HASH_NULL;
  switch (column->type)
    {
    case WEFT_DATA_TYPE_INT64:
      return (guint64) column->values.i64[row];
    case WEFT_DATA_TYPE_DOUBLE:
      return weft_hash_double_bits (column->values.f64[row]);
    case WEFT_DATA_TYPE_BOOL:
      return column->values.b[row];
    case WEFT_DATA_TYPE_DATE:
      return (guint64) (gint64) column->values.date[row];
    case WEFT_DATA_TYPE_STRING:
      {
        gsize len;
        const char *s = weft_column_get_string (column, row, &len);

        return weft_hash_bytes (s, len);
      }
    }
  return WEFT_HASH_NULL;
}

/* One column folded into the running hashes. The type switch sits outside the loops; the
 * null-free case has no per-row validity test. */
static void
hash_column (const WeftColumn *c, gsize n, guint64 *h)
{
  gboolean nulls = c->validity != NULL && c->null_count > 0;

#define LOOP(expr)                                                                                 \
  do                                                                                               \
    {                                                                                              \
      if (!nulls)                                                                                  \
        for (gsize i = 0; i < n; i++)                                                              \
          h[i] = weft_hash_mix64 (h[i] ^ (guint64) (expr));                                        \
      else                                                                                         \
        for (gsize i = 0; i < n; i++)                                                              \
          h[i] = weft_hash_mix64 (                                                                 \
            h[i] ^ (weft_column_is_valid (c, i) ? (guint64) (expr) : WEFT_HASH_NULL));             \
    }                                                                                              \
  while (0)

  switch (c->type)
    {
    case WEFT_DATA_TYPE_INT64:
      LOOP (c->values.i64[i]);
      break;
    case WEFT_DATA_TYPE_DOUBLE:
      LOOP (weft_hash_double_bits (c->values.f64[i]));
      break;
    case WEFT_DATA_TYPE_BOOL:
      LOOP (c->values.b[i]);
      break;
    case WEFT_DATA_TYPE_DATE:
      LOOP ((gint64) c->values.date[i]);
      break;
    case WEFT_DATA_TYPE_STRING:
      LOOP (weft_hash_bytes (c->data + c->offsets[i], c->offsets[i + 1] - c->offsets[i]));
      break;
    }
#undef LOOP
}

void
weft_hash_columns (WeftColumn *const *columns, guint n_columns, gsize n_rows, guint64 *out)
{
  for (gsize i = 0; i < n_rows; i++)
    out[i] = WEFT_HASH_SEED;
  for (guint k = 0; k < n_columns; k++)
    hash_column (columns[k], n_rows, out);
}

void
weft_hash_batch (const WeftBatch *batch, const guint *key_columns, guint n_keys, guint64 *out)
{
  WeftColumn *stack[16];
  g_autofree WeftColumn **heap = NULL;
  WeftColumn **cols = stack;

  if (n_keys > G_N_ELEMENTS (stack))
    cols = heap = g_new (WeftColumn *, n_keys);
  for (guint k = 0; k < n_keys; k++)
    {
      g_return_if_fail (key_columns[k] < batch->n_columns);
      cols[k] = batch->columns[key_columns[k]];
    }
  weft_hash_columns (cols, n_keys, batch->n_rows, out);
}

void
weft_hash_partition_ids (const WeftBatch *batch, const guint *key_columns, guint n_keys,
                         guint32 n_partitions, guint32 *out)
{
  guint64 stack[1024];
  g_autofree guint64 *heap = NULL;
  guint64 *h = stack;

  g_return_if_fail (n_partitions >= 1);
  if (batch->n_rows > G_N_ELEMENTS (stack))
    h = heap = g_new (guint64, batch->n_rows);
  weft_hash_batch (batch, key_columns, n_keys, h);
  for (gsize i = 0; i < batch->n_rows; i++)
    out[i] = weft_hash_partition (h[i], n_partitions);
}
