/* Tests for engine/weft-hash-agg and engine/weft-hash: every aggregate over every key type (nulls,
 * NaN, -0.0 included) checked against a reference that groups rows by their text in a GHashTable;
 * empty, one-row, skewed and many-group inputs; PARTIAL over several splits then FINAL equal to
 * COMPLETE; tiny budgets that force spills (counters > 0, same results); the partition hash
 * against an independent implementation of its documented definition; and a throughput figure. */

#include "weft-batch.h"
#include "weft-engine-error.h"
#include "weft-hash-agg.h"
#include "weft-hash.h"

#include <math.h>
#include <string.h>

enum
{
  C_K1,  /* int64 key */
  C_K2,  /* string key */
  C_K3,  /* double key */
  C_K4,  /* date key */
  C_K5,  /* bool key */
  C_I,   /* small int64 (exact sums and averages) */
  C_W,   /* huge int64 (sums wrap) */
  C_D,   /* double, multiples of 1/4 plus NaN, infinities, -0.0 */
  C_S,   /* string */
  C_DT,  /* date */
  C_B,   /* bool */
  N_COLS
};

static WeftSchema *
make_schema (void)
{
  WeftSchema *s = weft_schema_new ();
  static const struct
  {
    const char *name;
    WeftDataType type;
  } f[N_COLS] = { { "k1", WEFT_DATA_TYPE_INT64 },  { "k2", WEFT_DATA_TYPE_STRING },
                  { "k3", WEFT_DATA_TYPE_DOUBLE }, { "k4", WEFT_DATA_TYPE_DATE },
                  { "k5", WEFT_DATA_TYPE_BOOL },   { "i", WEFT_DATA_TYPE_INT64 },
                  { "w", WEFT_DATA_TYPE_INT64 },   { "d", WEFT_DATA_TYPE_DOUBLE },
                  { "s", WEFT_DATA_TYPE_STRING },  { "dt", WEFT_DATA_TYPE_DATE },
                  { "b", WEFT_DATA_TYPE_BOOL } };

  for (int i = 0; i < N_COLS; i++)
    weft_schema_add_field (s, f[i].name, f[i].type, TRUE);
  return s;
}

typedef struct
{
  int key_range;    /* distinct values per key column */
  int skew_percent; /* rows whose keys are all the first value */
  int null_per_8;   /* nulls per 8 values */
} Shape;

static void
append_random (GRand *rand, WeftColumn *col, int c, int range, gboolean skew, int null_per_8)
{
  int k = skew ? 0 : g_rand_int_range (rand, 0, MAX (range, 1));
  char buf[16];

  if (!skew && g_rand_int_range (rand, 0, 8) < null_per_8)
    {
      weft_column_append_null (col);
      return;
    }
  switch (c)
    {
    case C_K1:
      weft_column_append_int64 (col, (gint64) k * G_GINT64_CONSTANT (7919) - 1000);
      break;
    case C_K2:
    case C_S:
      {
        int len = g_snprintf (buf, sizeof buf, "v%d", c == C_S ? g_rand_int_range (rand, 0, 300) : k);

        weft_column_append_string (col, buf, (gsize) (k % 5 == 4 && c == C_K2 ? 0 : len));
      }
      break;
    case C_K3:
      weft_column_append_double (col, k == 1 ? -0.0 : k == 2 ? NAN : k == 3 ? 0.0 : k / 4.0);
      break;
    case C_K4:
      weft_column_append_date (col, k - 50);
      break;
    case C_K5:
      weft_column_append_bool (col, k & 1);
      break;
    case C_I:
      weft_column_append_int64 (col, g_rand_int_range (rand, -100000, 100000));
      break;
    case C_W:
      weft_column_append_int64 (col, (gint64) (((guint64) g_rand_int (rand) << 32) | g_rand_int (rand)));
      break;
    case C_D:
      {
        int r = g_rand_int_range (rand, 0, 400);

        weft_column_append_double (col, r == 0 ? NAN : r == 1 ? INFINITY : r == 2 ? -0.0
                                      : g_rand_int_range (rand, -4000, 4000) / 4.0);
      }
      break;
    case C_DT:
      weft_column_append_date (col, g_rand_int_range (rand, -30000, 30000));
      break;
    case C_B:
      weft_column_append_bool (col, g_rand_boolean (rand));
      break;
    }
}

static GPtrArray *
make_batches (GRand *rand, gsize n_rows, gsize batch_rows, const Shape *shape)
{
  g_autoptr (WeftSchema) schema = make_schema ();
  GPtrArray *batches = g_ptr_array_new_with_free_func ((GDestroyNotify) weft_batch_free);

  for (gsize done = 0; done < n_rows;)
    {
      gsize n = MIN (batch_rows, n_rows - done);
      WeftBatch *b = weft_batch_new_empty (schema, n);

      for (gsize r = 0; r < n; r++)
        {
          gboolean skew = g_rand_int_range (rand, 0, 100) < shape->skew_percent;

          for (int c = 0; c < N_COLS; c++)
            append_random (rand, b->columns[c], c, shape->key_range, skew && c <= C_K5,
                           shape->null_per_8);
        }
      weft_batch_sync_rows (b);
      g_ptr_array_add (batches, b);
      done += n;
    }
  return batches;
}

static int
cmp_str_ptr (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* ---- Canonical text --------------------------------------------------------------------------- */

static void
canon_double (double d, GString *out)
{
  if (isnan (d))
    g_string_append (out, "NaN");
  else if (d == 0)
    g_string_append (out, "0");
  else
    g_string_append_printf (out, "%.17g", d);
}

static void
canon_value (const WeftColumn *c, gsize row, GString *out)
{
  if (!weft_column_is_valid (c, row))
    g_string_append (out, "null");
  else if (c->type == WEFT_DATA_TYPE_DOUBLE)
    canon_double (c->values.f64[row], out);
  else
    weft_column_format_value (c, row, out);
}

/* ---- Reference -------------------------------------------------------------------------------- */

typedef struct
{
  gint64 cnt;
  guint64 isum;
  double dsum;
  gboolean has;
  const WeftColumn *best_col; /* min/max: the row holding the best value */
  gsize best_row;
  GHashTable *distinct;
} RefAgg;

static int
ref_cmp (const WeftColumn *a, gsize ra, const WeftColumn *b, gsize rb)
{
  switch (a->type)
    {
    case WEFT_DATA_TYPE_INT64:
      return a->values.i64[ra] < b->values.i64[rb] ? -1 : a->values.i64[ra] > b->values.i64[rb];
    case WEFT_DATA_TYPE_DATE:
      return a->values.date[ra] < b->values.date[rb] ? -1 : a->values.date[ra] > b->values.date[rb];
    case WEFT_DATA_TYPE_BOOL:
      return (int) a->values.b[ra] - (int) b->values.b[rb];
    case WEFT_DATA_TYPE_DOUBLE:
      {
        double x = a->values.f64[ra], y = b->values.f64[rb];

        if (isnan (x) || isnan (y))
          return isnan (x) - isnan (y);
        return x < y ? -1 : x > y;
      }
    case WEFT_DATA_TYPE_STRING:
      {
        gsize la, lb;
        const char *x = weft_column_get_string (a, ra, &la), *y = weft_column_get_string (b, rb, &lb);
        int r = memcmp (x, y, MIN (la, lb));

        return r != 0 ? r : (la < lb ? -1 : la > lb);
      }
    }
  return 0;
}

static void
ref_agg_free (gpointer p)
{
  RefAgg *aggs = p;

  for (int i = 0; i < 32; i++)
    if (aggs[i].distinct != NULL)
      g_hash_table_unref (aggs[i].distinct);
  g_free (aggs);
}

/* The expected result lines, sorted. */
static GPtrArray *
reference (GPtrArray *batches, const guint *keys, guint n_keys, const WeftAggSpec *specs,
           guint n_aggs)
{
  g_autoptr (GHashTable) groups = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, ref_agg_free);
  GPtrArray *lines = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter it;
  gpointer k, v;

  g_assert_cmpuint (n_aggs, <=, 32);
  if (n_keys == 0)
    g_hash_table_insert (groups, g_strdup (""), g_new0 (RefAgg, 32));
  for (guint b = 0; b < batches->len; b++)
    {
      WeftBatch *batch = g_ptr_array_index (batches, b);

      for (gsize r = 0; r < batch->n_rows; r++)
        {
          GString *key = g_string_new (NULL);
          RefAgg *aggs;

          for (guint i = 0; i < n_keys; i++)
            {
              canon_value (batch->columns[keys[i]], r, key);
              g_string_append_c (key, '|');
            }
          aggs = g_hash_table_lookup (groups, key->str);
          if (aggs == NULL)
            {
              aggs = g_new0 (RefAgg, 32);
              g_hash_table_insert (groups, g_strdup (key->str), aggs);
            }
          g_string_free (key, TRUE);
          for (guint a = 0; a < n_aggs; a++)
            {
              const WeftColumn *c = batch->columns[specs[a].column];
              RefAgg *g = &aggs[a];

              if (specs[a].func == WEFT_AGG_COUNT_STAR)
                {
                  g->cnt++;
                  continue;
                }
              if (!weft_column_is_valid (c, r))
                continue;
              switch (specs[a].func)
                {
                case WEFT_AGG_COUNT:
                  g->cnt++;
                  break;
                case WEFT_AGG_COUNT_DISTINCT:
                  {
                    GString *t = g_string_new (NULL);

                    canon_value (c, r, t);
                    if (g->distinct == NULL)
                      g->distinct = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
                    g_hash_table_add (g->distinct, g_string_free (t, FALSE));
                  }
                  break;
                case WEFT_AGG_SUM:
                case WEFT_AGG_AVG:
                  g->has = TRUE;
                  g->cnt++;
                  if (c->type == WEFT_DATA_TYPE_INT64)
                    {
                      g->isum += (guint64) c->values.i64[r];
                      g->dsum += (double) c->values.i64[r];
                    }
                  else
                    g->dsum += c->values.f64[r];
                  break;
                case WEFT_AGG_MIN:
                case WEFT_AGG_MAX:
                  {
                    int cmp = g->has ? ref_cmp (c, r, g->best_col, g->best_row) : -1;

                    if (specs[a].func == WEFT_AGG_MAX && g->has)
                      cmp = -cmp;
                    if (cmp < 0)
                      {
                        g->best_col = c;
                        g->best_row = r;
                        g->has = TRUE;
                      }
                  }
                  break;
                default:
                  break;
                }
            }
        }
    }
  g_hash_table_iter_init (&it, groups);
  while (g_hash_table_iter_next (&it, &k, &v))
    {
      GString *line = g_string_new (k);
      RefAgg *aggs = v;

      for (guint a = 0; a < n_aggs; a++)
        {
          RefAgg *g = &aggs[a];
          WeftDataType t = WEFT_DATA_TYPE_INT64;

          if (specs[a].func != WEFT_AGG_COUNT_STAR)
            t = weft_schema_get_field (((WeftBatch *) g_ptr_array_index (batches, 0))->schema,
                                       specs[a].column)->type;
          switch (specs[a].func)
            {
            case WEFT_AGG_COUNT_STAR:
            case WEFT_AGG_COUNT:
              g_string_append_printf (line, "%" G_GINT64_FORMAT, g->cnt);
              break;
            case WEFT_AGG_COUNT_DISTINCT:
              g_string_append_printf (line, "%u", g->distinct ? g_hash_table_size (g->distinct) : 0);
              break;
            case WEFT_AGG_SUM:
              if (!g->has)
                g_string_append (line, "null");
              else if (t == WEFT_DATA_TYPE_INT64)
                g_string_append_printf (line, "%" G_GINT64_FORMAT, (gint64) g->isum);
              else
                canon_double (g->dsum, line);
              break;
            case WEFT_AGG_AVG:
              if (!g->has)
                g_string_append (line, "null");
              else
                canon_double (g->dsum / (double) g->cnt, line);
              break;
            case WEFT_AGG_MIN:
            case WEFT_AGG_MAX:
              if (!g->has)
                g_string_append (line, "null");
              else
                canon_value (g->best_col, g->best_row, line);
              break;
            }
          g_string_append_c (line, '|');
        }
      g_ptr_array_add (lines, g_string_free (line, FALSE));
    }
  g_ptr_array_sort (lines, cmp_str_ptr);
  return lines;
}

/* ---- Running the operator ---------------------------------------------------------------------- */

static gboolean
drain (WeftHashAgg *agg, GPtrArray *out_batches)
{
  g_autoptr (GError) error = NULL;

  for (;;)
    {
      WeftBatch *b = NULL;

      g_assert_true (weft_hash_agg_next (agg, &b, &error));
      g_assert_no_error (error);
      if (b == NULL)
        return TRUE;
      g_assert_cmpuint (b->n_rows, >, 0);
      g_assert_true (weft_schema_equal (b->schema, weft_hash_agg_get_output_schema (agg)));
      g_ptr_array_add (out_batches, b);
    }
}

static GPtrArray *
run_agg (WeftAggMode mode, GPtrArray *batches, guint first, guint step, const guint *keys,
         guint n_keys, const WeftAggSpec *specs, guint n_aggs, gsize budget,
         WeftOperatorStats *stats)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WeftSchema) schema = make_schema ();
  g_autoptr (WeftHashAgg) agg = weft_hash_agg_new (mode, schema, keys, n_keys, specs, n_aggs,
                                                   budget, NULL, &error);
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) weft_batch_free);

  g_assert_no_error (error);
  for (guint b = first; b < batches->len; b += step)
    {
      g_assert_true (weft_hash_agg_push (agg, g_ptr_array_index (batches, b), &error));
      g_assert_no_error (error);
    }
  g_assert_true (weft_hash_agg_finish (agg, &error));
  drain (agg, out);
  if (stats != NULL)
    *stats = *weft_hash_agg_get_stats (agg);
  return out;
}

static GPtrArray *
result_lines (GPtrArray *out)
{
  GPtrArray *lines = g_ptr_array_new_with_free_func (g_free);

  for (guint b = 0; b < out->len; b++)
    {
      WeftBatch *batch = g_ptr_array_index (out, b);

      for (gsize r = 0; r < batch->n_rows; r++)
        {
          GString *line = g_string_new (NULL);

          for (guint c = 0; c < batch->n_columns; c++)
            {
              canon_value (batch->columns[c], r, line);
              g_string_append_c (line, '|');
            }
          g_ptr_array_add (lines, g_string_free (line, FALSE));
        }
    }
  g_ptr_array_sort (lines, cmp_str_ptr);
  return lines;
}

static void
assert_lines (GPtrArray *want, GPtrArray *got)
{
  for (guint i = 0; i < MIN (want->len, got->len); i++)
    if (strcmp (g_ptr_array_index (want, i), g_ptr_array_index (got, i)) != 0)
      g_error ("line %u: want %s, got %s", i, (char *) g_ptr_array_index (want, i),
               (char *) g_ptr_array_index (got, i));
  g_assert_cmpuint (want->len, ==, got->len);
}

/* COMPLETE, and PARTIAL over @n_splits splits then FINAL, both against the reference. */
static void
check_all_modes (GPtrArray *batches, const guint *keys, guint n_keys, const WeftAggSpec *specs,
                 guint n_aggs, gsize budget, guint n_splits, WeftOperatorStats *stats)
{
  g_autoptr (GPtrArray) want = reference (batches, keys, n_keys, specs, n_aggs);
  g_autoptr (GError) error = NULL;
  g_autoptr (WeftSchema) schema = make_schema ();

  {
    g_autoptr (GPtrArray) out = run_agg (WEFT_AGG_MODE_COMPLETE, batches, 0, 1, keys, n_keys, specs,
                                         n_aggs, budget, stats);
    g_autoptr (GPtrArray) got = result_lines (out);

    assert_lines (want, got);
  }
  {
    g_autoptr (WeftHashAgg) final = weft_hash_agg_new (WEFT_AGG_MODE_FINAL, schema, keys, n_keys,
                                                       specs, n_aggs, budget, NULL, &error);
    g_autoptr (GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) weft_batch_free);
    g_autoptr (GPtrArray) got = NULL;

    for (guint s = 0; s < n_splits; s++)
      {
        WeftOperatorStats pstats;
        g_autoptr (GPtrArray) partial = run_agg (WEFT_AGG_MODE_PARTIAL, batches, s, n_splits, keys,
                                                 n_keys, specs, n_aggs, budget, &pstats);

        if (stats != NULL)
          stats->spilled_bytes += pstats.spilled_bytes;
        for (guint b = 0; b < partial->len; b++)
          {
            WeftBatch *pb = g_ptr_array_index (partial, b);

            g_assert_true (weft_schema_equal (pb->schema, weft_hash_agg_get_state_schema (final)));
            g_assert_true (weft_hash_agg_push (final, pb, &error));
            g_assert_no_error (error);
          }
      }
    g_assert_true (weft_hash_agg_finish (final, &error));
    drain (final, out);
    got = result_lines (out);
    assert_lines (want, got);
  }
}

/* Every aggregate over every value type. */
static const WeftAggSpec all_aggs[] = {
  { WEFT_AGG_COUNT_STAR, 0, NULL },       { WEFT_AGG_COUNT, C_D, NULL },
  { WEFT_AGG_COUNT, C_S, NULL },          { WEFT_AGG_COUNT_DISTINCT, C_S, NULL },
  { WEFT_AGG_COUNT_DISTINCT, C_D, NULL }, { WEFT_AGG_COUNT_DISTINCT, C_B, NULL },
  { WEFT_AGG_SUM, C_I, NULL },            { WEFT_AGG_SUM, C_W, NULL },
  { WEFT_AGG_SUM, C_D, NULL },            { WEFT_AGG_AVG, C_I, NULL },
  { WEFT_AGG_AVG, C_D, NULL },            { WEFT_AGG_MIN, C_W, NULL },
  { WEFT_AGG_MAX, C_W, NULL },            { WEFT_AGG_MIN, C_D, NULL },
  { WEFT_AGG_MAX, C_D, NULL },            { WEFT_AGG_MIN, C_S, "smallest" },
  { WEFT_AGG_MAX, C_S, NULL },            { WEFT_AGG_MIN, C_DT, NULL },
  { WEFT_AGG_MAX, C_DT, NULL },           { WEFT_AGG_MIN, C_B, NULL },
  { WEFT_AGG_MAX, C_B, NULL },
};

#define BIG ((gsize) 1 << 30)

static void
test_key_types (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (11);
  Shape shape = { 40, 0, 1 };
  g_autoptr (GPtrArray) batches = make_batches (rand, 6000, 1000, &shape);
  const guint key_sets[][3] = { { C_K1 }, { C_K2 }, { C_K3 }, { C_K4 }, { C_K5 },
                                { C_K1, C_K2, C_K5 }, { C_K3, C_K4 }, { C_K5, C_K3, C_K2 } };
  const guint n_keys[] = { 1, 1, 1, 1, 1, 3, 2, 3 };

  for (guint i = 0; i < G_N_ELEMENTS (n_keys); i++)
    check_all_modes (batches, key_sets[i], n_keys[i], all_aggs, G_N_ELEMENTS (all_aggs), BIG, 3,
                     NULL);
  /* Global aggregation and DISTINCT (no aggregates). */
  check_all_modes (batches, NULL, 0, all_aggs, G_N_ELEMENTS (all_aggs), BIG, 3, NULL);
  check_all_modes (batches, key_sets[5], 3, NULL, 0, BIG, 2, NULL);
}

static void
test_empty_and_one (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (12);
  Shape shape = { 10, 0, 2 };
  g_autoptr (GPtrArray) one = make_batches (rand, 1, 1, &shape);
  g_autoptr (GPtrArray) empty = make_batches (rand, 0, 1, &shape);
  guint keys[] = { C_K2, C_K1 };

  check_all_modes (one, keys, 2, all_aggs, G_N_ELEMENTS (all_aggs), BIG, 1, NULL);
  check_all_modes (one, NULL, 0, all_aggs, G_N_ELEMENTS (all_aggs), BIG, 1, NULL);
  /* Empty input: no groups, except a global aggregation's one row (count 0, sums null). */
  {
    g_autoptr (GPtrArray) out = run_agg (WEFT_AGG_MODE_COMPLETE, empty, 0, 1, keys, 2, all_aggs,
                                         G_N_ELEMENTS (all_aggs), BIG, NULL);

    g_assert_cmpuint (out->len, ==, 0);
  }
  {
    g_autoptr (GPtrArray) out = run_agg (WEFT_AGG_MODE_COMPLETE, empty, 0, 1, NULL, 0, all_aggs, 9,
                                         BIG, NULL);
    g_autoptr (GPtrArray) got = result_lines (out);

    g_assert_cmpuint (got->len, ==, 1);
    g_assert_cmpstr (g_ptr_array_index (got, 0), ==, "0|0|0|0|0|0|null|null|null|");
  }
}

static void
test_skew (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (13);
  Shape shape = { 500, 90, 1 };
  g_autoptr (GPtrArray) batches = make_batches (rand, 50000, 8192, &shape);
  guint k1 = C_K1, k12[] = { C_K2, C_K1 };

  check_all_modes (batches, &k1, 1, all_aggs, G_N_ELEMENTS (all_aggs), BIG, 4, NULL);
  check_all_modes (batches, k12, 2, all_aggs, 6, BIG, 2, NULL);
}

static void
test_many_groups (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (14);
  Shape shape = { 100000000, 0, 0 };
  g_autoptr (GPtrArray) batches = make_batches (rand, 1100000, WEFT_BATCH_DEFAULT_ROWS, &shape);
  const WeftAggSpec aggs[] = { { WEFT_AGG_COUNT_STAR, 0, NULL }, { WEFT_AGG_SUM, C_I, NULL },
                               { WEFT_AGG_MAX, C_S, NULL } };
  guint k1 = C_K1, k2 = C_K2;
  g_autoptr (GPtrArray) want = reference (batches, &k1, 1, aggs, 3);
  g_autoptr (GPtrArray) out = run_agg (WEFT_AGG_MODE_COMPLETE, batches, 0, 1, &k1, 1, aggs, 3, BIG, NULL);
  g_autoptr (GPtrArray) got = result_lines (out);

  g_test_message ("many-groups: %u groups", want->len);
  g_assert_cmpuint (want->len, >, 1000000);
  assert_lines (want, got);
  {
    g_autoptr (GPtrArray) want2 = reference (batches, &k2, 1, aggs, 3);
    g_autoptr (GPtrArray) out2 = run_agg (WEFT_AGG_MODE_COMPLETE, batches, 0, 1, &k2, 1, aggs, 3, BIG, NULL);
    g_autoptr (GPtrArray) got2 = result_lines (out2);

    assert_lines (want2, got2);
  }
}

static void
test_spill (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (15);
  Shape shape = { 30000, 10, 1 };
  g_autoptr (GPtrArray) batches = make_batches (rand, 150000, 5000, &shape);
  guint k1 = C_K1, k2[] = { C_K2, C_K3 };
  WeftOperatorStats stats = { 0 };

  check_all_modes (batches, &k1, 1, all_aggs, G_N_ELEMENTS (all_aggs), 64 * 1024, 3, &stats);
  g_test_message ("spill: %" G_GUINT64_FORMAT " bytes in %" G_GUINT64_FORMAT " files, peak %" G_GSIZE_FORMAT,
                  stats.spilled_bytes, stats.spill_files, stats.peak_memory);
  g_assert_cmpuint (stats.spilled_bytes, >, 0);
  g_assert_cmpuint (stats.spill_files, >, 0);
  memset (&stats, 0, sizeof stats);
  check_all_modes (batches, k2, 2, all_aggs, 8, 64 * 1024, 2, &stats);
  g_assert_cmpuint (stats.spilled_bytes, >, 0);
}

/* An independent implementation of weft-hash.h's documented definition. */
static guint64
doc_mix (guint64 x)
{
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

static guint64
doc_bytes (const char *s, gsize len)
{
  guint64 h = (guint64) len * 0x9e3779b97f4a7c15ULL ^ 0x6a09e667f3bcc908ULL;

  for (gsize i = 0; i < len; i += 8)
    {
      guint64 w = 0;

      for (gsize k = 0; k < 8 && i + k < len; k++)
        w |= (guint64) (guint8) s[i + k] << (8 * k);
      w *= 0xc2b2ae3d27d4eb4fULL;
      h ^= w;
      h = (h << 31) | (h >> 33);
      h *= 0x9e3779b97f4a7c15ULL;
    }
  return doc_mix (h ^ len);
}

static void
test_partition_ids (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (16);
  Shape shape = { 1000, 0, 2 };
  g_autoptr (GPtrArray) batches = make_batches (rand, 3000, 3000, &shape);
  WeftBatch *b = g_ptr_array_index (batches, 0);
  guint keys[] = { C_K1, C_K2, C_K3, C_K4, C_K5 };
  g_autofree guint32 *ids = g_new (guint32, b->n_rows);

  weft_hash_partition_ids (b, keys, 5, 200, ids);
  for (gsize r = 0; r < b->n_rows; r++)
    {
      guint64 h = 0x6a09e667f3bcc908ULL;

      for (guint k = 0; k < 5; k++)
        {
          const WeftColumn *c = b->columns[keys[k]];
          guint64 v = 0x9ae16a3b2f90404fULL;

          if (weft_column_is_valid (c, r))
            switch (c->type)
              {
              case WEFT_DATA_TYPE_INT64:
                v = (guint64) c->values.i64[r];
                break;
              case WEFT_DATA_TYPE_DATE:
                v = (guint64) (gint64) c->values.date[r];
                break;
              case WEFT_DATA_TYPE_BOOL:
                v = c->values.b[r];
                break;
              case WEFT_DATA_TYPE_DOUBLE:
                {
                  double d = c->values.f64[r];

                  if (isnan (d))
                    v = 0x7ff8000000000000ULL;
                  else if (d == 0)
                    v = 0;
                  else
                    memcpy (&v, &d, 8);
                }
                break;
              case WEFT_DATA_TYPE_STRING:
                {
                  gsize len;
                  const char *s = weft_column_get_string (c, r, &len);

                  v = doc_bytes (s, len);
                }
                break;
              }
          h = doc_mix (h ^ v);
        }
      g_assert_cmpuint (ids[r], ==, (guint32) (((h >> 32) * 200) >> 32));
    }
  /* One partition: everything in it; no keys: one constant partition. */
  weft_hash_partition_ids (b, keys, 2, 1, ids);
  for (gsize r = 0; r < b->n_rows; r++)
    g_assert_cmpuint (ids[r], ==, 0);
  weft_hash_partition_ids (b, NULL, 0, 7, ids);
  for (gsize r = 1; r < b->n_rows; r++)
    g_assert_cmpuint (ids[r], ==, ids[0]);
}

static void
test_errors (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WeftSchema) schema = make_schema ();
  WeftAggSpec bad_sum = { WEFT_AGG_SUM, C_S, NULL };
  WeftAggSpec bad_col = { WEFT_AGG_MIN, 99, NULL };
  guint bad_key = 42, k1 = C_K1;

  g_assert_null (weft_hash_agg_new (WEFT_AGG_MODE_COMPLETE, schema, &k1, 1, &bad_sum, 1, 0, NULL, &error));
  g_assert_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_SCHEMA);
  g_clear_error (&error);
  g_assert_null (weft_hash_agg_new (WEFT_AGG_MODE_COMPLETE, schema, &k1, 1, &bad_col, 1, 0, NULL, &error));
  g_assert_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_SCHEMA);
  g_clear_error (&error);
  g_assert_null (weft_hash_agg_new (WEFT_AGG_MODE_COMPLETE, schema, &bad_key, 1, NULL, 0, 0, NULL, &error));
  g_assert_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_SCHEMA);
  g_clear_error (&error);
  {
    /* FINAL wants state rows, not input rows. */
    g_autoptr (WeftHashAgg) agg = weft_hash_agg_new (WEFT_AGG_MODE_FINAL, schema, &k1, 1, all_aggs,
                                                     3, 0, NULL, &error);
    g_autoptr (WeftBatch) b = weft_batch_new_empty (schema, 0);

    g_assert_false (weft_hash_agg_push (agg, b, &error));
    g_assert_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_SCHEMA);
  }
}

static void
throughput (WeftDataType key_type)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WeftSchema) schema = weft_schema_new ();
  g_autoptr (GRand) rand = g_rand_new_with_seed (17);
  g_autoptr (WeftBatch) b = NULL;
  const gsize total = 10000000;
  const WeftAggSpec aggs[] = { { WEFT_AGG_COUNT_STAR, 0, NULL }, { WEFT_AGG_SUM, 1, NULL },
                               { WEFT_AGG_AVG, 2, NULL } };
  guint key = 0;
  g_autoptr (WeftHashAgg) agg = NULL;
  gint64 t0, t1;
  gsize groups = 0, pushed = 0;

  weft_schema_add_field (schema, "k", key_type, FALSE);
  weft_schema_add_field (schema, "salary", WEFT_DATA_TYPE_INT64, FALSE);
  weft_schema_add_field (schema, "age", WEFT_DATA_TYPE_DOUBLE, FALSE);
  b = weft_batch_new_empty (schema, WEFT_BATCH_DEFAULT_ROWS);
  for (gsize i = 0; i < WEFT_BATCH_DEFAULT_ROWS; i++)
    {
      int k = g_rand_int_range (rand, 0, 1000);

      if (key_type == WEFT_DATA_TYPE_INT64)
        weft_column_append_int64 (b->columns[0], k);
      else
        {
          char city[32];
          int len = g_snprintf (city, sizeof city, "City-%d", k * 37);

          weft_column_append_string (b->columns[0], city, (gsize) len);
        }
      weft_column_append_int64 (b->columns[1], g_rand_int_range (rand, 20000, 200000));
      weft_column_append_double (b->columns[2], g_rand_int_range (rand, 18, 70));
    }
  weft_batch_sync_rows (b);
  t0 = g_get_monotonic_time ();
  agg = weft_hash_agg_new (WEFT_AGG_MODE_COMPLETE, schema, &key, 1, aggs, 3, BIG, NULL, &error);
  for (; pushed < total; pushed += b->n_rows)
    g_assert_true (weft_hash_agg_push (agg, b, &error));
  g_assert_true (weft_hash_agg_finish (agg, &error));
  for (;;)
    {
      g_autoptr (WeftBatch) out = NULL;

      g_assert_true (weft_hash_agg_next (agg, &out, &error));
      if (out == NULL)
        break;
      groups += out->n_rows;
    }
  t1 = g_get_monotonic_time ();
  g_assert_cmpuint (groups, ==, 1000);
  g_test_message ("hash-agg throughput (%s key, count(*) + sum(bigint) + avg(double)): %zu rows, "
                  "%zu groups in %.3f s = %.1f M rows/s",
                  weft_data_type_name (key_type), pushed, groups, (t1 - t0) / 1e6,
                  pushed / ((t1 - t0) / 1e6) / 1e6);
}

static void
test_throughput (void)
{
  throughput (WEFT_DATA_TYPE_INT64);
  throughput (WEFT_DATA_TYPE_STRING);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/hash-agg/key-types", test_key_types);
  g_test_add_func ("/engine/hash-agg/empty-and-one", test_empty_and_one);
  g_test_add_func ("/engine/hash-agg/skew", test_skew);
  g_test_add_func ("/engine/hash-agg/many-groups", test_many_groups);
  g_test_add_func ("/engine/hash-agg/spill", test_spill);
  g_test_add_func ("/engine/hash-agg/partition-ids", test_partition_ids);
  g_test_add_func ("/engine/hash-agg/errors", test_errors);
  g_test_add_func ("/engine/hash-agg/throughput", test_throughput);
  return g_test_run ();
}
