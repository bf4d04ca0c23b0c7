/* Tests for engine/weft-hash-join: every join type, both build sides, one and two keys (int64,
 * string, double with NaN and -0.0), null keys and duplicates on both sides, empty sides — each
 * checked against a reference join on the keys' text (a GHashTable of the right rows); a tiny
 * budget forcing the grace path (spill counters > 0, same rows); schema errors. */

#include "weft-batch.h"
#include "weft-engine-error.h"
#include "weft-hash-join.h"

#include <math.h>
#include <string.h>

enum
{
  C_ID,
  C_K1, /* int64 */
  C_K2, /* string */
  C_K3, /* double */
  N_COLS
};

static WeftSchema *
make_schema (const char *prefix)
{
  WeftSchema *s = weft_schema_new ();
  const char *names[] = { "id", "k1", "k2", "k3" };
  WeftDataType types[] = { WEFT_DATA_TYPE_INT64, WEFT_DATA_TYPE_INT64, WEFT_DATA_TYPE_STRING,
                           WEFT_DATA_TYPE_DOUBLE };

  for (int i = 0; i < N_COLS; i++)
    {
      g_autofree char *name = g_strconcat (prefix, names[i], NULL);

      weft_schema_add_field (s, name, types[i], i != C_ID);
    }
  return s;
}

static GPtrArray *
make_side (GRand *rand, const char *prefix, gsize n_rows, gsize batch_rows, int range)
{
  g_autoptr (WeftSchema) schema = make_schema (prefix);
  GPtrArray *batches = g_ptr_array_new_with_free_func ((GDestroyNotify) weft_batch_free);

  for (gsize done = 0; done < n_rows;)
    {
      gsize n = MIN (batch_rows, n_rows - done);
      WeftBatch *b = weft_batch_new_empty (schema, n);

      for (gsize r = 0; r < n; r++)
        {
          int k = g_rand_int_range (rand, 0, range);
          char buf[16];

          weft_column_append_int64 (b->columns[C_ID], (gint64) (done + r));
          if (g_rand_int_range (rand, 0, 10) == 0)
            weft_column_append_null (b->columns[C_K1]);
          else
            weft_column_append_int64 (b->columns[C_K1], k);
          if (g_rand_int_range (rand, 0, 10) == 0)
            weft_column_append_null (b->columns[C_K2]);
          else
            weft_column_append_string (b->columns[C_K2], buf,
                                       (gsize) g_snprintf (buf, sizeof buf, "s%d", k % 3));
          if (g_rand_int_range (rand, 0, 10) == 0)
            weft_column_append_null (b->columns[C_K3]);
          else
            weft_column_append_double (b->columns[C_K3], k % 4 == 0 ? NAN : k % 4 == 1 ? -0.0
                                                         : k % 4 == 2 ? 0.0 : k);
        }
      weft_batch_sync_rows (b);
      g_ptr_array_add (batches, b);
      done += n;
    }
  return batches;
}

static void
format_cell (const WeftColumn *c, gsize row, GString *out)
{
  if (c->type == WEFT_DATA_TYPE_DOUBLE && weft_column_is_valid (c, row))
    {
      double d = c->values.f64[row];

      g_string_append (out, isnan (d) ? "NaN" : d == 0 ? "0" : "");
      if (!isnan (d) && d != 0)
        g_string_append_printf (out, "%g", d);
    }
  else
    weft_column_format_value (c, row, out);
  g_string_append_c (out, '|');
}

static void
format_side (const WeftBatch *b, gsize row, GString *out)
{
  for (int c = 0; c < N_COLS; c++)
    {
      if (b == NULL)
        g_string_append (out, "null|");
      else
        format_cell (b->columns[c], row, out);
    }
}

static int
cmp_str_ptr (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

typedef struct
{
  const WeftBatch *batch;
  gsize row;
} RowRef;

/* The key's text, or NULL when a key is null (it matches nothing). */
static char *
key_text (const WeftBatch *b, gsize row, const guint *keys, guint n_keys)
{
  GString *s = g_string_new (NULL);

  for (guint k = 0; k < n_keys; k++)
    {
      if (!weft_column_is_valid (b->columns[keys[k]], row))
        return (g_string_free (s, TRUE), NULL);
      format_cell (b->columns[keys[k]], row, s);
    }
  return g_string_free (s, FALSE);
}

static GPtrArray *
reference (WeftJoinType type, GPtrArray *left, GPtrArray *right, const guint *keys, guint n_keys)
{
  g_autoptr (GHashTable) index = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                        (GDestroyNotify) g_array_unref);
  g_autoptr (GArray) rrows = g_array_new (FALSE, FALSE, sizeof (RowRef));
  g_autofree gboolean *matched = NULL;
  GPtrArray *lines = g_ptr_array_new_with_free_func (g_free);

  for (guint b = 0; b < right->len; b++)
    for (gsize r = 0; r < ((WeftBatch *) right->pdata[b])->n_rows; r++)
      {
        RowRef ref = { right->pdata[b], r };
        char *key = key_text (ref.batch, r, keys, n_keys);
        guint idx = rrows->len;

        g_array_append_val (rrows, ref);
        if (key == NULL)
          continue;
        GArray *list = g_hash_table_lookup (index, key);
        if (list == NULL)
          {
            list = g_array_new (FALSE, FALSE, sizeof (guint));
            g_hash_table_insert (index, g_strdup (key), list);
          }
        g_array_append_val (list, idx);
        g_free (key);
      }
  matched = g_new0 (gboolean, rrows->len + 1);
  for (guint b = 0; b < left->len; b++)
    {
      const WeftBatch *lb = left->pdata[b];

      for (gsize r = 0; r < lb->n_rows; r++)
        {
          g_autofree char *key = key_text (lb, r, keys, n_keys);
          GArray *list = key != NULL ? g_hash_table_lookup (index, key) : NULL;
          guint n = list != NULL ? list->len : 0;
          GString *line;

          if (type == WEFT_JOIN_LEFT_SEMI || type == WEFT_JOIN_LEFT_ANTI)
            {
              if ((n > 0) == (type == WEFT_JOIN_LEFT_SEMI))
                {
                  line = g_string_new (NULL);
                  format_side (lb, r, line);
                  g_ptr_array_add (lines, g_string_free (line, FALSE));
                }
              continue;
            }
          for (guint m = 0; m < n; m++)
            {
              RowRef *rr = &g_array_index (rrows, RowRef, g_array_index (list, guint, m));

              matched[g_array_index (list, guint, m)] = TRUE;
              line = g_string_new (NULL);
              format_side (lb, r, line);
              format_side (rr->batch, rr->row, line);
              g_ptr_array_add (lines, g_string_free (line, FALSE));
            }
          if (n == 0 && (type == WEFT_JOIN_LEFT || type == WEFT_JOIN_FULL))
            {
              line = g_string_new (NULL);
              format_side (lb, r, line);
              format_side (NULL, 0, line);
              g_ptr_array_add (lines, g_string_free (line, FALSE));
            }
        }
    }
  if (type == WEFT_JOIN_RIGHT || type == WEFT_JOIN_FULL)
    for (guint i = 0; i < rrows->len; i++)
      if (!matched[i])
        {
          RowRef *rr = &g_array_index (rrows, RowRef, i);
          GString *line = g_string_new (NULL);

          format_side (NULL, 0, line);
          format_side (rr->batch, rr->row, line);
          g_ptr_array_add (lines, g_string_free (line, FALSE));
        }
  g_ptr_array_sort (lines, cmp_str_ptr);
  return lines;
}

static void
collect (WeftHashJoin *join, GPtrArray *lines, gboolean left_only)
{
  g_autoptr (GError) error = NULL;

  for (;;)
    {
      g_autoptr (WeftBatch) b = NULL;

      g_assert_true (weft_hash_join_next (join, &b, &error));
      g_assert_no_error (error);
      if (b == NULL)
        return;
      g_assert_cmpuint (b->n_rows, >, 0);
      g_assert_cmpuint (b->n_rows, <=, WEFT_BATCH_DEFAULT_ROWS);
      g_assert_cmpuint (b->n_columns, ==, left_only ? N_COLS : 2 * N_COLS);
      g_assert_true (weft_schema_equal (b->schema, weft_hash_join_get_output_schema (join)));
      for (gsize r = 0; r < b->n_rows; r++)
        {
          GString *line = g_string_new (NULL);

          for (guint c = 0; c < b->n_columns; c++)
            format_cell (b->columns[c], r, line);
          g_ptr_array_add (lines, g_string_free (line, FALSE));
        }
    }
}

static GPtrArray *
run_join (WeftJoinType type, WeftJoinSide build, GPtrArray *left, GPtrArray *right,
          const guint *keys, guint n_keys, gsize budget, WeftOperatorStats *stats)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WeftSchema) ls = make_schema ("l_");
  g_autoptr (WeftSchema) rs = make_schema ("r_");
  g_autoptr (WeftHashJoin) join = weft_hash_join_new (type, ls, rs, keys, keys, n_keys, build,
                                                      budget, NULL, &error);
  GPtrArray *lines = g_ptr_array_new_with_free_func (g_free);
  GPtrArray *bside = build == WEFT_JOIN_SIDE_LEFT ? left : right;
  GPtrArray *pside = build == WEFT_JOIN_SIDE_LEFT ? right : left;
  gboolean left_only = type == WEFT_JOIN_LEFT_SEMI || type == WEFT_JOIN_LEFT_ANTI;

  g_assert_no_error (error);
  for (guint b = 0; b < bside->len; b++)
    {
      g_assert_true (weft_hash_join_push_build (join, bside->pdata[b], &error));
      g_assert_no_error (error);
    }
  for (guint b = 0; b < pside->len; b++)
    {
      g_assert_true (weft_hash_join_push_probe (join, pside->pdata[b], &error));
      g_assert_no_error (error);
      collect (join, lines, left_only);
    }
  g_assert_true (weft_hash_join_finish (join, &error));
  collect (join, lines, left_only);
  if (stats != NULL)
    *stats = *weft_hash_join_get_stats (join);
  g_assert_cmpuint (weft_hash_join_get_stats (join)->rows_out, ==, lines->len);
  g_ptr_array_sort (lines, cmp_str_ptr);
  return lines;
}

static void
assert_lines (GPtrArray *want, GPtrArray *got, const char *what)
{
  for (guint i = 0; i < MIN (want->len, got->len); i++)
    if (strcmp (want->pdata[i], got->pdata[i]) != 0)
      g_error ("%s: line %u: want %s, got %s", what, i, (char *) want->pdata[i],
               (char *) got->pdata[i]);
  if (want->len != got->len)
    g_error ("%s: want %u lines, got %u", what, want->len, got->len);
}

static const char *type_names[] = { "inner", "left", "right", "full", "semi", "anti" };

static void
check_all (GPtrArray *left, GPtrArray *right, const guint *keys, guint n_keys, gsize budget,
           guint64 *spilled)
{
  for (int t = WEFT_JOIN_INNER; t <= WEFT_JOIN_LEFT_ANTI; t++)
    {
      g_autoptr (GPtrArray) want = reference (t, left, right, keys, n_keys);

      for (int side = 0; side < 2; side++)
        {
          WeftOperatorStats stats;
          g_autoptr (GPtrArray) got = run_join (t, side, left, right, keys, n_keys, budget, &stats);
          g_autofree char *what = g_strdup_printf ("%s join, build %s, %u keys", type_names[t],
                                                   side ? "right" : "left", n_keys);

          assert_lines (want, got, what);
          if (spilled != NULL)
            *spilled += stats.spilled_bytes;
        }
    }
}

#define BIG ((gsize) 1 << 30)

static void
test_types (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (21);
  g_autoptr (GPtrArray) left = make_side (rand, "l", 400, 64, 30);
  g_autoptr (GPtrArray) right = make_side (rand, "r", 300, 50, 40);
  guint k1 = C_K1, k2 = C_K2, k3 = C_K3, k12[] = { C_K1, C_K2 }, k32[] = { C_K3, C_K2 };

  check_all (left, right, &k1, 1, BIG, NULL);
  check_all (left, right, &k2, 1, BIG, NULL);
  check_all (left, right, &k3, 1, BIG, NULL);
  check_all (left, right, k12, 2, BIG, NULL);
  check_all (left, right, k32, 2, BIG, NULL);
}

/* A hand-written truth table: duplicates on both sides and null keys. */
static void
test_truth_table (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (22);
  g_autoptr (GPtrArray) left = make_side (rand, "l", 6, 6, 1);
  g_autoptr (GPtrArray) right = make_side (rand, "r", 4, 4, 1);
  WeftBatch *l = left->pdata[0], *r = right->pdata[0];
  /* left k1: 1, 1, 2, null, 3, null; right k1: 1, 1, null, 4 */
  gint64 lk[] = { 1, 1, 2, -1, 3, -1 }, rk[] = { 1, 1, -1, 4 };
  guint k1 = C_K1;
  const guint expect[] = { 4, 8, 6, 10, 2, 4 }; /* inner, left, right, full, semi, anti */

  weft_column_unref (l->columns[C_K1]);
  l->columns[C_K1] = weft_column_new (WEFT_DATA_TYPE_INT64, 6);
  for (int i = 0; i < 6; i++)
    lk[i] < 0 ? weft_column_append_null (l->columns[C_K1]) : weft_column_append_int64 (l->columns[C_K1], lk[i]);
  weft_column_unref (r->columns[C_K1]);
  r->columns[C_K1] = weft_column_new (WEFT_DATA_TYPE_INT64, 4);
  for (int i = 0; i < 4; i++)
    rk[i] < 0 ? weft_column_append_null (r->columns[C_K1]) : weft_column_append_int64 (r->columns[C_K1], rk[i]);
  for (int t = WEFT_JOIN_INNER; t <= WEFT_JOIN_LEFT_ANTI; t++)
    for (int side = 0; side < 2; side++)
      {
        g_autoptr (GPtrArray) got = run_join (t, side, left, right, &k1, 1, BIG, NULL);

        g_assert_cmpuint (got->len, ==, expect[t]);
      }
  check_all (left, right, &k1, 1, BIG, NULL);
}

static void
test_empty_sides (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (23);
  g_autoptr (GPtrArray) some = make_side (rand, "x", 50, 16, 5);
  g_autoptr (GPtrArray) none = g_ptr_array_new ();
  g_autoptr (GPtrArray) one = make_side (rand, "y", 1, 1, 5);
  guint k1 = C_K1;

  check_all (some, none, &k1, 1, BIG, NULL);
  check_all (none, some, &k1, 1, BIG, NULL);
  check_all (none, none, &k1, 1, BIG, NULL);
  check_all (one, some, &k1, 1, BIG, NULL);
  check_all (some, one, &k1, 1, BIG, NULL);
}

static void
test_grace (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (24);
  g_autoptr (GPtrArray) left = make_side (rand, "l", 40000, 4096, 30000);
  g_autoptr (GPtrArray) right = make_side (rand, "r", 30000, 4096, 30000);
  guint k1 = C_K1, k12[] = { C_K1, C_K2 };
  guint64 spilled = 0;

  check_all (left, right, &k1, 1, 64 * 1024, &spilled);
  g_test_message ("grace: %" G_GUINT64_FORMAT " bytes spilled over 12 joins", spilled);
  g_assert_cmpuint (spilled, >, 0);
  spilled = 0;
  check_all (left, right, k12, 2, 64 * 1024, &spilled);
  g_assert_cmpuint (spilled, >, 0);
}

static void
test_errors (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WeftSchema) ls = make_schema ("l_");
  g_autoptr (WeftSchema) rs = make_schema ("r_");
  guint lk = C_K1, rk = C_K2, bad = 17;

  g_assert_null (weft_hash_join_new (WEFT_JOIN_INNER, ls, rs, &lk, &rk, 1, WEFT_JOIN_SIDE_RIGHT, 0,
                                     NULL, &error));
  g_assert_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_SCHEMA);
  g_clear_error (&error);
  g_assert_null (weft_hash_join_new (WEFT_JOIN_INNER, ls, rs, &bad, &lk, 1, WEFT_JOIN_SIDE_RIGHT, 0,
                                     NULL, &error));
  g_assert_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_SCHEMA);
  g_clear_error (&error);
  g_assert_null (weft_hash_join_new (WEFT_JOIN_INNER, ls, rs, &lk, &lk, 0, WEFT_JOIN_SIDE_RIGHT, 0,
                                     NULL, &error));
  g_assert_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_SCHEMA);
  g_clear_error (&error);
  {
    g_autoptr (WeftHashJoin) join = weft_hash_join_new (WEFT_JOIN_INNER, ls, rs, &lk, &lk, 1,
                                                        WEFT_JOIN_SIDE_RIGHT, 0, NULL, &error);
    g_autoptr (WeftBatch) wrong = weft_batch_new_empty (rs, 0);
    g_autoptr (WeftSchema) other = weft_schema_new ();
    g_autoptr (WeftBatch) worse = weft_batch_new_empty (other, 0);

    g_assert_true (weft_hash_join_push_build (join, wrong, &error));
    g_assert_false (weft_hash_join_push_probe (join, worse, &error));
    g_assert_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_SCHEMA);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/hash-join/types", test_types);
  g_test_add_func ("/engine/hash-join/truth-table", test_truth_table);
  g_test_add_func ("/engine/hash-join/empty-sides", test_empty_sides);
  g_test_add_func ("/engine/hash-join/grace", test_grace);
  g_test_add_func ("/engine/hash-join/errors", test_errors);
  return g_test_run ();
}
