/* Tests for engine/weft-sort: random data of every type with nulls, NaN and -0.0, sorted on one
 * and several keys in every direction and null placement, checked row for row against a
 * reference (qsort over rows, ties broken by input position, so it is stable); stability itself,
 * empty and one-row input, spilled runs under a tiny budget (same rows, spill counters > 0), the
 * top-N path, and a throughput figure. */

#include "weft-batch.h"
#include "weft-engine-error.h"
#include "weft-sort.h"

#include <glib/gstdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Columns of the test data: seq (input position), then one key column per type. */
enum
{
  COL_SEQ,
  COL_I64,
  COL_DBL,
  COL_STR,
  COL_DATE,
  COL_BOOL,
  N_COLS
};

static WeftSchema *
make_schema (void)
{
  WeftSchema *s = weft_schema_new ();

  weft_schema_add_field (s, "seq", WEFT_DATA_TYPE_INT64, FALSE);
  weft_schema_add_field (s, "i", WEFT_DATA_TYPE_INT64, TRUE);
  weft_schema_add_field (s, "d", WEFT_DATA_TYPE_DOUBLE, TRUE);
  weft_schema_add_field (s, "s", WEFT_DATA_TYPE_STRING, TRUE);
  weft_schema_add_field (s, "dt", WEFT_DATA_TYPE_DATE, TRUE);
  weft_schema_add_field (s, "b", WEFT_DATA_TYPE_BOOL, TRUE);
  return s;
}

/* Batches of random rows; small value ranges so ties are common (stability matters). */
static GPtrArray *
make_batches (GRand *rand, gsize n_rows, gsize batch_rows, int range)
{
  g_autoptr (WeftSchema) schema = make_schema ();
  GPtrArray *batches = g_ptr_array_new_with_free_func ((GDestroyNotify) weft_batch_free);
  gsize seq = 0;

  while (seq < n_rows)
    {
      gsize n = MIN (batch_rows, n_rows - seq);
      WeftBatch *b = weft_batch_new_empty (schema, n);

      for (gsize i = 0; i < n; i++, seq++)
        {
          weft_column_append_int64 (b->columns[COL_SEQ], (gint64) seq);
          for (int c = COL_I64; c < N_COLS; c++)
            {
              WeftColumn *col = b->columns[c];

              if (g_rand_int_range (rand, 0, 8) == 0)
                {
                  weft_column_append_null (col);
                  continue;
                }
              switch (c)
                {
                case COL_I64:
                  weft_column_append_int64 (col, g_rand_int_range (rand, -range, range)
                                                   * (g_rand_boolean (rand) ? 1 : G_GINT64_CONSTANT (1000000000000)));
                  break;
                case COL_DBL:
                  {
                    int k = g_rand_int_range (rand, 0, 20);
                    double v = k == 0 ? NAN : k == 1 ? -0.0 : k == 2 ? 0.0 : k == 3 ? INFINITY
                             : k == 4 ? -INFINITY : g_rand_int_range (rand, -range, range) / 4.0;
                    weft_column_append_double (col, v);
                  }
                  break;
                case COL_STR:
                  {
                    char buf[16];
                    int len = g_rand_int_range (rand, 0, 12);

                    for (int k = 0; k < len; k++)
                      buf[k] = (char) ("ab\xff\x01z"[g_rand_int_range (rand, 0, 5)]);
                    weft_column_append_string (col, buf, (gsize) len);
                  }
                  break;
                case COL_DATE:
                  weft_column_append_date (col, g_rand_int_range (rand, -range, range));
                  break;
                case COL_BOOL:
                  weft_column_append_bool (col, g_rand_boolean (rand));
                  break;
                }
            }
        }
      weft_batch_sync_rows (b);
      g_ptr_array_add (batches, b);
    }
  return batches;
}

/* ---- Reference ------------------------------------------------------------------------------- */

typedef struct
{
  const WeftColumn *cols[N_COLS];
  gsize row;
} RefRow;

typedef struct
{
  const WeftSortKey *keys;
  guint n_keys;
} RefCtx;

static int
ref_compare_value (const WeftColumn *c, gsize ra, const WeftColumn *d, gsize rb)
{
  switch (c->type)
    {
    case WEFT_DATA_TYPE_INT64:
      return c->values.i64[ra] < d->values.i64[rb] ? -1 : c->values.i64[ra] > d->values.i64[rb];
    case WEFT_DATA_TYPE_DATE:
      return c->values.date[ra] < d->values.date[rb] ? -1 : c->values.date[ra] > d->values.date[rb];
    case WEFT_DATA_TYPE_BOOL:
      return (int) c->values.b[ra] - (int) d->values.b[rb];
    case WEFT_DATA_TYPE_DOUBLE:
      {
        double x = c->values.f64[ra], y = d->values.f64[rb];

        /* Spark: NaN is the largest value and equals itself; -0.0 equals 0.0. */
        if (isnan (x) && isnan (y))
          return 0;
        if (isnan (x))
          return 1;
        if (isnan (y))
          return -1;
        return x < y ? -1 : x > y;
      }
    case WEFT_DATA_TYPE_STRING:
      {
        gsize la, lb;
        const char *a = weft_column_get_string (c, ra, &la), *b = weft_column_get_string (d, rb, &lb);

        /* Bytewise as unsigned, shorter first on a common prefix. */
        for (gsize i = 0; i < la && i < lb; i++)
          if (a[i] != b[i])
            return (unsigned char) a[i] < (unsigned char) b[i] ? -1 : 1;
        return la < lb ? -1 : la > lb;
      }
    }
  return 0;
}

static int
ref_compare (const void *pa, const void *pb, void *data)
{
  const RefRow *a = pa, *b = pb;
  const RefCtx *ctx = data;

  for (guint k = 0; k < ctx->n_keys; k++)
    {
      guint c = ctx->keys[k].column;
      gboolean na = !weft_column_is_valid (a->cols[c], a->row);
      gboolean nb = !weft_column_is_valid (b->cols[c], b->row);
      int r;

      if (na && nb)
        continue;
      if (na || nb)
        return (na ? -1 : 1) * (ctx->keys[k].nulls_first ? 1 : -1);
      r = ref_compare_value (a->cols[c], a->row, b->cols[c], b->row);
      if (r != 0)
        return ctx->keys[k].descending ? -r : r;
    }
  /* Stability: the input order decides ties. */
  return a->cols[COL_SEQ]->values.i64[a->row] < b->cols[COL_SEQ]->values.i64[b->row] ? -1 : 1;
}

/* The expected output as the list of seq values. */
static GArray *
reference_order (GPtrArray *batches, const WeftSortKey *keys, guint n_keys, gint64 limit)
{
  g_autoptr (GArray) rows = g_array_new (FALSE, FALSE, sizeof (RefRow));
  GArray *seqs = g_array_new (FALSE, FALSE, sizeof (gint64));
  RefCtx ctx = { keys, n_keys };

  for (guint b = 0; b < batches->len; b++)
    {
      WeftBatch *batch = g_ptr_array_index (batches, b);

      for (gsize r = 0; r < batch->n_rows; r++)
        {
          RefRow row;

          for (int c = 0; c < N_COLS; c++)
            row.cols[c] = batch->columns[c];
          row.row = r;
          g_array_append_val (rows, row);
        }
    }
  qsort_r (rows->data, rows->len, sizeof (RefRow), ref_compare, &ctx);
  for (guint i = 0; i < rows->len && (limit < 0 || (gint64) i < limit); i++)
    {
      RefRow *row = &g_array_index (rows, RefRow, i);

      g_array_append_val (seqs, row->cols[COL_SEQ]->values.i64[row->row]);
    }
  return seqs;
}

/* Runs the operator; returns the seq values of its output. Also checks every output batch is
 * non-empty and at most the default size, and that values came along with their rows. */
static GArray *
run_sort (GPtrArray *batches, const WeftSortKey *keys, guint n_keys, gint64 limit, gsize budget,
          WeftOperatorStats *stats_out)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WeftSchema) schema = make_schema ();
  g_autoptr (WeftSort) sort = NULL;
  GArray *seqs = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autofree char *dir = g_dir_make_tmp ("weft-sort-XXXXXX", &error);

  g_assert_no_error (error);
  sort = weft_sort_new (schema, keys, n_keys, limit, budget, dir, &error);
  g_assert_no_error (error);
  for (guint b = 0; b < batches->len; b++)
    {
      g_assert_true (weft_sort_push (sort, g_ptr_array_index (batches, b), &error));
      g_assert_no_error (error);
    }
  g_assert_true (weft_sort_finish (sort, &error));
  for (;;)
    {
      g_autoptr (WeftBatch) out = NULL;

      g_assert_true (weft_sort_next (sort, &out, &error));
      g_assert_no_error (error);
      if (out == NULL)
        break;
      g_assert_cmpuint (out->n_rows, >, 0);
      g_assert_cmpuint (out->n_rows, <=, WEFT_BATCH_DEFAULT_ROWS);
      g_assert_cmpuint (out->n_columns, ==, N_COLS);
      g_array_append_vals (seqs, out->columns[COL_SEQ]->values.i64, out->n_rows);
    }
  if (stats_out != NULL)
    *stats_out = *weft_sort_get_stats (sort);
  g_assert_cmpuint (weft_sort_get_stats (sort)->rows_out, ==, seqs->len);
  /* Spill files are unlinked at once: the folder is already empty. */
  g_assert_cmpint (g_rmdir (dir), ==, 0);
  return seqs;
}

static void
assert_same_order (GArray *want, GArray *got)
{
  g_assert_cmpuint (want->len, ==, got->len);
  for (guint i = 0; i < want->len; i++)
    if (g_array_index (want, gint64, i) != g_array_index (got, gint64, i))
      g_error ("row %u: want seq %" G_GINT64_FORMAT ", got %" G_GINT64_FORMAT, i,
               g_array_index (want, gint64, i), g_array_index (got, gint64, i));
}

static void
check (GPtrArray *batches, const WeftSortKey *keys, guint n_keys, gint64 limit, gsize budget,
       WeftOperatorStats *stats)
{
  g_autoptr (GArray) want = reference_order (batches, keys, n_keys, limit);
  g_autoptr (GArray) got = run_sort (batches, keys, n_keys, limit, budget, stats);

  assert_same_order (want, got);
}

/* ---- Tests ----------------------------------------------------------------------------------- */

#define BIG_BUDGET ((gsize) 1 << 30)

static void
test_single_keys (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (1);
  g_autoptr (GPtrArray) batches = make_batches (rand, 5000, 700, 50);

  for (int c = COL_I64; c < N_COLS; c++)
    for (int desc = 0; desc < 2; desc++)
      for (int nf = 0; nf < 3; nf++)
        {
          WeftSortKey key = weft_sort_key_default ((guint) c, desc);

          if (nf < 2)
            key.nulls_first = nf;
          check (batches, &key, 1, -1, BIG_BUDGET, NULL);
        }
}

static void
test_multi_keys (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (2);
  g_autoptr (GPtrArray) batches = make_batches (rand, 8000, 1000, 3);
  WeftSortKey keys[4];

  for (int round = 0; round < 24; round++)
    {
      guint n = (guint) g_rand_int_range (rand, 2, 5);

      for (guint k = 0; k < n; k++)
        {
          keys[k].column = (guint) g_rand_int_range (rand, COL_I64, N_COLS);
          keys[k].descending = g_rand_boolean (rand);
          keys[k].nulls_first = g_rand_boolean (rand);
        }
      check (batches, keys, n, -1, BIG_BUDGET, NULL);
    }
}

static void
test_stability (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (3);
  g_autoptr (GPtrArray) batches = make_batches (rand, 20000, 4096, 1);
  WeftSortKey key = weft_sort_key_default (COL_BOOL, TRUE);
  g_autoptr (GArray) got = run_sort (batches, &key, 1, -1, BIG_BUDGET, NULL);
  gint64 last_seq = -1;
  gboolean in_null_block = FALSE;
  guint trues = 0;

  /* Descending bool: every true (in input order), then every false, then the nulls. */
  for (guint b = 0; b < batches->len; b++)
    {
      WeftBatch *batch = g_ptr_array_index (batches, b);

      for (gsize r = 0; r < batch->n_rows; r++)
        trues += weft_column_is_valid (batch->columns[COL_BOOL], r)
                 && batch->columns[COL_BOOL]->values.b[r];
    }
  for (guint i = 0; i < got->len; i++)
    {
      gint64 seq = g_array_index (got, gint64, i);

      if (i == trues || i == got->len - 2000)
        last_seq = -1; /* a new block starts (roughly; checked by the reference below) */
      (void) in_null_block;
      if (i < trues)
        g_assert_cmpint (seq, >, last_seq);
      last_seq = seq;
    }
  check (batches, &key, 1, -1, BIG_BUDGET, NULL);
  /* No keys: the input order. */
  {
    g_autoptr (GArray) same = run_sort (batches, NULL, 0, -1, BIG_BUDGET, NULL);

    for (guint i = 0; i < same->len; i++)
      g_assert_cmpint (g_array_index (same, gint64, i), ==, (gint64) i);
  }
}

static void
test_empty_and_one (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (4);
  g_autoptr (GPtrArray) none = g_ptr_array_new ();
  g_autoptr (GPtrArray) one = make_batches (rand, 1, 1, 5);
  WeftSortKey key = weft_sort_key_default (COL_STR, FALSE);
  g_autoptr (GArray) got = run_sort (none, &key, 1, -1, BIG_BUDGET, NULL);

  g_assert_cmpuint (got->len, ==, 0);
  check (one, &key, 1, -1, BIG_BUDGET, NULL);
  check (one, &key, 1, 0, BIG_BUDGET, NULL);
  check (one, &key, 1, 5, BIG_BUDGET, NULL);
  /* An empty batch in the middle changes nothing. */
  {
    g_autoptr (WeftSchema) schema = make_schema ();
    g_autoptr (GPtrArray) mixed = make_batches (rand, 300, 100, 5);

    g_ptr_array_insert (mixed, 1, weft_batch_new_empty (schema, 0));
    check (mixed, &key, 1, -1, BIG_BUDGET, NULL);
  }
}

static void
test_spill (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (5);
  g_autoptr (GPtrArray) batches = make_batches (rand, 200000, 10000, 1000);
  WeftSortKey keys[3] = { weft_sort_key_default (COL_STR, FALSE),
                          weft_sort_key_default (COL_DBL, TRUE),
                          weft_sort_key_default (COL_I64, FALSE) };
  WeftOperatorStats stats;

  check (batches, keys, 3, -1, 256 * 1024, &stats);
  g_assert_cmpuint (stats.spill_files, >, 5);
  g_assert_cmpuint (stats.spilled_bytes, >, 0);
  g_assert_cmpuint (stats.spilled_rows, ==, 200000);
  g_assert_cmpuint (stats.rows_out, ==, 200000);
  g_test_message ("spill: %" G_GUINT64_FORMAT " runs, %" G_GUINT64_FORMAT " bytes, peak %" G_GSIZE_FORMAT,
                  stats.spill_files, stats.spilled_bytes, stats.peak_memory);
  /* A limit past the top-N range on the spilling path stops the merge early. */
  check (batches, keys, 1, 1500000, 256 * 1024, NULL);
  {
    g_autoptr (GArray) want = reference_order (batches, keys, 3, -1);
    g_autoptr (GArray) got = run_sort (batches, keys, 3, (gint64) 2 << 20, 256 * 1024, NULL);

    assert_same_order (want, got);
  }
}

static void
test_topn (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (6);
  g_autoptr (GPtrArray) batches = make_batches (rand, 60000, 5000, 200);
  gint64 limits[] = { 0, 1, 7, 100, 5000, 20000, 59999, 60000, 70000 };
  WeftSortKey keys[2] = { weft_sort_key_default (COL_DATE, TRUE),
                          weft_sort_key_default (COL_STR, FALSE) };

  for (guint i = 0; i < G_N_ELEMENTS (limits); i++)
    {
      WeftOperatorStats stats;

      check (batches, keys, 2, limits[i], 64 * 1024, &stats);
      g_assert_cmpuint (stats.spill_files, ==, 0);
    }
  check (batches, keys, 1, 10, BIG_BUDGET, NULL);
}

static void
test_errors (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WeftSchema) schema = make_schema ();
  g_autoptr (WeftSchema) other = weft_schema_new ();
  WeftSortKey key = weft_sort_key_default (9, FALSE);
  WeftSort *sort = weft_sort_new (schema, &key, 1, -1, 0, NULL, &error);

  g_assert_null (sort);
  g_assert_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_SCHEMA);
  g_clear_error (&error);
  key.column = 1;
  sort = weft_sort_new (schema, &key, 1, -1, 0, NULL, &error);
  weft_schema_add_field (other, "x", WEFT_DATA_TYPE_STRING, TRUE);
  {
    g_autoptr (WeftBatch) b = weft_batch_new_empty (other, 0);

    g_assert_false (weft_sort_push (sort, b, &error));
    g_assert_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_SCHEMA);
  }
  weft_sort_free (sort);
}

static void
test_throughput (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WeftSchema) schema = weft_schema_new ();
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);
  g_autoptr (GPtrArray) batches = g_ptr_array_new_with_free_func ((GDestroyNotify) weft_batch_free);
  const gsize total = 1000000;
  WeftSortKey key = weft_sort_key_default (0, FALSE);
  g_autoptr (WeftSort) sort = NULL;
  gint64 t0, t1, prev = G_MININT64;
  gsize out_rows = 0;

  weft_schema_add_field (schema, "k", WEFT_DATA_TYPE_INT64, FALSE);
  weft_schema_add_field (schema, "v", WEFT_DATA_TYPE_DOUBLE, FALSE);
  for (gsize done = 0; done < total; done += WEFT_BATCH_DEFAULT_ROWS)
    {
      gsize n = MIN ((gsize) WEFT_BATCH_DEFAULT_ROWS, total - done);
      WeftBatch *b = weft_batch_new_empty (schema, n);

      weft_column_extend (b->columns[0], n);
      weft_column_extend (b->columns[1], n);
      for (gsize i = 0; i < n; i++)
        {
          b->columns[0]->values.i64[i] = (gint64) (((guint64) g_rand_int (rand) << 32) | g_rand_int (rand));
          b->columns[1]->values.f64[i] = (double) i;
        }
      weft_batch_sync_rows (b);
      g_ptr_array_add (batches, b);
    }
  t0 = g_get_monotonic_time ();
  sort = weft_sort_new (schema, &key, 1, -1, BIG_BUDGET, NULL, &error);
  for (guint b = 0; b < batches->len; b++)
    g_assert_true (weft_sort_push (sort, g_ptr_array_index (batches, b), &error));
  g_assert_true (weft_sort_finish (sort, &error));
  for (;;)
    {
      g_autoptr (WeftBatch) out = NULL;

      g_assert_true (weft_sort_next (sort, &out, &error));
      if (out == NULL)
        break;
      for (gsize i = 0; i < out->n_rows; i++)
        {
          g_assert_cmpint (out->columns[0]->values.i64[i], >=, prev);
          prev = out->columns[0]->values.i64[i];
        }
      out_rows += out->n_rows;
    }
  t1 = g_get_monotonic_time ();
  g_assert_cmpuint (out_rows, ==, total);
  g_test_message ("sort throughput: %zu rows (int64 key + double payload) in %.3f s = %.1f M rows/s",
                  total, (t1 - t0) / 1e6, total / ((t1 - t0) / 1e6) / 1e6);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/sort/single-keys", test_single_keys);
  g_test_add_func ("/engine/sort/multi-keys", test_multi_keys);
  g_test_add_func ("/engine/sort/stability", test_stability);
  g_test_add_func ("/engine/sort/empty-and-one", test_empty_and_one);
  g_test_add_func ("/engine/sort/spill", test_spill);
  g_test_add_func ("/engine/sort/top-n", test_topn);
  g_test_add_func ("/engine/sort/errors", test_errors);
  g_test_add_func ("/engine/sort/throughput", test_throughput);
  return g_test_run ();
}
