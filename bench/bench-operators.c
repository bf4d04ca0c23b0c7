/* bench-operators: single-thread throughput of the stateful operators on generated data.
 * Usage: bench-operators [ROWS]   (default 10,000,000)
 * Prints one line per case: rows, seconds, million rows per second. Not a test: no assertions
 * beyond sanity checks. */

#include "weft-batch.h"
#include "weft-hash-agg.h"
#include "weft-hash-join.h"
#include "weft-sort.h"

#include <stdlib.h>

#define BIG ((gsize) 8 << 30)

static WeftBatch *
make_batch (GRand *rand, WeftSchema *schema, gsize n, int groups, gboolean string_key)
{
  WeftBatch *b = weft_batch_new_empty (schema, n);

  for (gsize i = 0; i < n; i++)
    {
      int k = g_rand_int_range (rand, 0, groups);

      if (string_key)
        {
          char city[32];

          weft_column_append_string (b->columns[0], city,
                                     (gsize) g_snprintf (city, sizeof city, "City-%d", k * 37));
        }
      else
        weft_column_append_int64 (b->columns[0], k);
      weft_column_append_int64 (b->columns[1], g_rand_int_range (rand, 20000, 200000));
      weft_column_append_double (b->columns[2], g_rand_int_range (rand, 18, 70));
    }
  weft_batch_sync_rows (b);
  return b;
}

static WeftSchema *
make_schema (gboolean string_key)
{
  WeftSchema *s = weft_schema_new ();

  weft_schema_add_field (s, "k", string_key ? WEFT_DATA_TYPE_STRING : WEFT_DATA_TYPE_INT64, FALSE);
  weft_schema_add_field (s, "salary", WEFT_DATA_TYPE_INT64, FALSE);
  weft_schema_add_field (s, "age", WEFT_DATA_TYPE_DOUBLE, FALSE);
  return s;
}

static void
report (const char *what, gsize rows, gint64 t0)
{
  double s = (g_get_monotonic_time () - t0) / 1e6;

  g_print ("%-58s %11zu rows %8.3f s %8.1f M rows/s\n", what, rows, s, rows / s / 1e6);
}

static void
bench_agg (GRand *rand, gsize rows, gboolean string_key, int groups)
{
  g_autoptr (WeftSchema) schema = make_schema (string_key);
  g_autoptr (WeftBatch) b = make_batch (rand, schema, WEFT_BATCH_DEFAULT_ROWS, groups, string_key);
  const WeftAggSpec aggs[] = { { WEFT_AGG_COUNT_STAR, 0, NULL }, { WEFT_AGG_SUM, 1, NULL },
                               { WEFT_AGG_AVG, 2, NULL } };
  guint key = 0;
  g_autoptr (WeftHashAgg) agg = NULL;
  g_autofree char *what = NULL;
  gsize pushed = 0;
  gint64 t0 = g_get_monotonic_time ();

  agg = weft_hash_agg_new (WEFT_AGG_MODE_COMPLETE, schema, &key, 1, aggs, 3, BIG, NULL, NULL);
  for (; pushed < rows; pushed += b->n_rows)
    weft_hash_agg_push (agg, b, NULL);
  weft_hash_agg_finish (agg, NULL);
  for (;;)
    {
      g_autoptr (WeftBatch) out = NULL;

      weft_hash_agg_next (agg, &out, NULL);
      if (out == NULL)
        break;
    }
  what = g_strdup_printf ("agg %s key, %d groups, count+sum+avg", string_key ? "string" : "bigint",
                          groups);
  report (what, pushed, t0);
}

static void
bench_sort (GRand *rand, gsize rows, gint64 limit)
{
  g_autoptr (WeftSchema) schema = make_schema (FALSE);
  g_autoptr (GPtrArray) batches = g_ptr_array_new_with_free_func ((GDestroyNotify) weft_batch_free);
  WeftSortKey key = weft_sort_key_default (1, TRUE);
  g_autoptr (WeftSort) sort = NULL;
  g_autofree char *what = NULL;
  gint64 t0;

  for (gsize done = 0; done < rows; done += WEFT_BATCH_DEFAULT_ROWS)
    g_ptr_array_add (batches, make_batch (rand, schema, MIN ((gsize) WEFT_BATCH_DEFAULT_ROWS, rows - done),
                                          1000, FALSE));
  t0 = g_get_monotonic_time ();
  sort = weft_sort_new (schema, &key, 1, limit, BIG, NULL, NULL);
  for (guint i = 0; i < batches->len; i++)
    weft_sort_push (sort, batches->pdata[i], NULL);
  weft_sort_finish (sort, NULL);
  for (;;)
    {
      g_autoptr (WeftBatch) out = NULL;

      weft_sort_next (sort, &out, NULL);
      if (out == NULL)
        break;
    }
  what = limit < 0 ? g_strdup ("sort by salary desc (bigint), 3 columns")
                   : g_strdup_printf ("top-%" G_GINT64_FORMAT " by salary desc", limit);
  report (what, rows, t0);
}

static void
bench_join (GRand *rand, gsize probe_rows, gsize build_rows)
{
  g_autoptr (WeftSchema) schema = make_schema (FALSE);
  g_autoptr (GPtrArray) build = g_ptr_array_new_with_free_func ((GDestroyNotify) weft_batch_free);
  g_autoptr (WeftBatch) probe = NULL;
  g_autoptr (WeftHashJoin) join = NULL;
  guint key = 0;
  gsize out_rows = 0, pushed = 0;
  gint64 t0;

  /* Build: unique keys 0 .. build_rows - 1; probe keys uniform over twice that range. */
  for (gsize done = 0; done < build_rows; done += WEFT_BATCH_DEFAULT_ROWS)
    {
      gsize n = MIN ((gsize) WEFT_BATCH_DEFAULT_ROWS, build_rows - done);
      WeftBatch *b = make_batch (rand, schema, n, 10, FALSE);

      for (gsize i = 0; i < n; i++)
        b->columns[0]->values.i64[i] = (gint64) (done + i);
      g_ptr_array_add (build, b);
    }
  probe = make_batch (rand, schema, WEFT_BATCH_DEFAULT_ROWS, (int) (2 * build_rows), FALSE);
  t0 = g_get_monotonic_time ();
  join = weft_hash_join_new (WEFT_JOIN_INNER, schema, schema, &key, &key, 1, WEFT_JOIN_SIDE_RIGHT,
                             BIG, NULL, NULL);
  for (guint i = 0; i < build->len; i++)
    weft_hash_join_push_build (join, build->pdata[i], NULL);
  for (; pushed < probe_rows; pushed += probe->n_rows)
    {
      weft_hash_join_push_probe (join, probe, NULL);
      for (;;)
        {
          g_autoptr (WeftBatch) out = NULL;

          weft_hash_join_next (join, &out, NULL);
          if (out == NULL)
            break;
          out_rows += out->n_rows;
        }
    }
  weft_hash_join_finish (join, NULL);
  {
    g_autofree char *what = g_strdup_printf ("inner join probe vs %zu-row build (%zu out)",
                                             build_rows, out_rows);

    report (what, pushed + build_rows, t0);
  }
}

int
main (int argc, char **argv)
{
  gsize rows = argc > 1 ? (gsize) g_ascii_strtoull (argv[1], NULL, 10) : 10000000;
  g_autoptr (GRand) rand = g_rand_new_with_seed (42);

  bench_agg (rand, rows, FALSE, 1000);
  bench_agg (rand, rows, TRUE, 1000);
  bench_agg (rand, rows, FALSE, 20);
  bench_agg (rand, rows, FALSE, 1000000);
  bench_sort (rand, rows / 10, -1);
  bench_sort (rand, rows, 100);
  bench_join (rand, rows, 1000000);
  return 0;
}
