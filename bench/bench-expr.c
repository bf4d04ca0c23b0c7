/* bench-expr: expression evaluation speed on employees-like batches of WEFT_BATCH_DEFAULT_ROWS
 * rows (age, salary, city with ~1,000 values, 5% nulls in age). Prints ns per row and million
 * rows per second for filters (the fused column-vs-constant paths and AND chains) and for
 * projections. Run by hand: bench/bench-expr [ROWS] (default 10,000,000). */

#include "weft-batch.h"
#include "weft-expr-eval.h"
#include "weft-expr.h"

#include <stdlib.h>

static WeftBatch *
make_batch (GRand *rand, gsize n)
{
  g_autoptr (WeftSchema) schema = weft_schema_new ();
  WeftColumn *cols[3];

  weft_schema_add_field (schema, "age", WEFT_DATA_TYPE_INT64, TRUE);
  weft_schema_add_field (schema, "salary", WEFT_DATA_TYPE_DOUBLE, TRUE);
  weft_schema_add_field (schema, "city", WEFT_DATA_TYPE_STRING, TRUE);
  cols[0] = weft_column_new (WEFT_DATA_TYPE_INT64, n);
  cols[1] = weft_column_new (WEFT_DATA_TYPE_DOUBLE, n);
  cols[2] = weft_column_new (WEFT_DATA_TYPE_STRING, n);
  for (gsize i = 0; i < n; i++)
    {
      char city[32];
      int len = g_snprintf (city, sizeof city, "city_%d", g_rand_int_range (rand, 0, 1000));

      if (g_rand_int_range (rand, 0, 20) == 0)
        weft_column_append_null (cols[0]);
      else
        weft_column_append_int64 (cols[0], g_rand_int_range (rand, 18, 70));
      weft_column_append_double (cols[1], g_rand_int_range (rand, 20000, 150000));
      weft_column_append_string (cols[2], city, (gsize) len);
    }
  return weft_batch_new (schema, cols, n);
}

typedef struct
{
  const char *label;
  gboolean filter;
  WeftExpr *expr;
} Case;

int
main (int argc, char **argv)
{
  gsize rows = argc > 1 ? (gsize) g_ascii_strtoull (argv[1], NULL, 10) : 10000000;
  g_autoptr (GRand) rand = g_rand_new_with_seed (42);
  g_autoptr (WeftBatch) batch = make_batch (rand, WEFT_BATCH_DEFAULT_ROWS);
  gsize n_batches = MAX (rows / WEFT_BATCH_DEFAULT_ROWS, 1);
  Case cases[] = {
    { "filter age > 30", TRUE,
      weft_expr_binary (WEFT_EXPR_OP_GT, weft_expr_col ("age"), weft_expr_lit_int64 (30)) },
    { "filter salary > 50000", TRUE,
      weft_expr_binary (WEFT_EXPR_OP_GT, weft_expr_col ("salary"), weft_expr_lit_int64 (50000)) },
    { "filter city = 'city_42'", TRUE,
      weft_expr_binary (WEFT_EXPR_OP_EQ, weft_expr_col ("city"), weft_expr_lit_string ("city_42")) },
    { "filter age > 30 and salary > 50000", TRUE,
      weft_expr_binary (WEFT_EXPR_OP_AND,
                        weft_expr_binary (WEFT_EXPR_OP_GT, weft_expr_col ("age"),
                                          weft_expr_lit_int64 (30)),
                        weft_expr_binary (WEFT_EXPR_OP_GT, weft_expr_col ("salary"),
                                          weft_expr_lit_int64 (50000))) },
    { "filter (age + 1) * 2 > 60", TRUE,
      weft_expr_binary (WEFT_EXPR_OP_GT,
                        weft_expr_binary (WEFT_EXPR_OP_MUL,
                                          weft_expr_binary (WEFT_EXPR_OP_ADD, weft_expr_col ("age"),
                                                            weft_expr_lit_int64 (1)),
                                          weft_expr_lit_int64 (2)),
                        weft_expr_lit_int64 (60)) },
    { "filter city like '%_4%'", TRUE, weft_expr_like (weft_expr_col ("city"), "%_4%") },
    { "eval salary * 1.1", FALSE,
      weft_expr_binary (WEFT_EXPR_OP_MUL, weft_expr_col ("salary"), weft_expr_lit_double (1.1)) },
    { "eval age + 1", FALSE,
      weft_expr_binary (WEFT_EXPR_OP_ADD, weft_expr_col ("age"), weft_expr_lit_int64 (1)) },
    { "eval age > 30 (bool column)", FALSE,
      weft_expr_binary (WEFT_EXPR_OP_GT, weft_expr_col ("age"), weft_expr_lit_int64 (30)) },
    { "eval upper(city)", FALSE, weft_expr_call ("upper", weft_expr_col ("city"), NULL) },
    { "eval round(salary / 12, 2)", FALSE,
      weft_expr_call ("round",
                      weft_expr_binary (WEFT_EXPR_OP_DIV, weft_expr_col ("salary"),
                                        weft_expr_lit_int64 (12)),
                      weft_expr_lit_int64 (2), NULL) },
  };

  g_print ("%zu batches of %d rows (%zu rows)\n", n_batches, WEFT_BATCH_DEFAULT_ROWS,
           n_batches * WEFT_BATCH_DEFAULT_ROWS);
  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (WeftExpr) r = weft_expr_resolve (cases[c].expr, batch->schema, &error);
      g_autoptr (WeftExpr) f = NULL;
      gint64 start;
      gsize kept = 0;
      double secs;

      if (r == NULL)
        g_error ("%s: %s", cases[c].label, error->message);
      f = weft_expr_fold (r);
      start = g_get_monotonic_time ();
      for (gsize b = 0; b < n_batches; b++)
        {
          if (cases[c].filter)
            {
              g_autoptr (WeftSelection) s = weft_expr_eval_filter (f, batch, NULL);

              kept += s->n;
            }
          else
            {
              g_autoptr (WeftColumn) col = weft_expr_eval (f, batch, NULL);

              kept += col->length - col->null_count;
            }
        }
      secs = (double) (g_get_monotonic_time () - start) / 1e6;
      g_print ("%-40s %7.2f ns/row %8.0f Mrows/s  (%zu rows out)\n", cases[c].label,
               secs * 1e9 / (double) (n_batches * WEFT_BATCH_DEFAULT_ROWS),
               (double) (n_batches * WEFT_BATCH_DEFAULT_ROWS) / secs / 1e6, kept);
      weft_expr_unref (cases[c].expr);
    }
  return 0;
}
