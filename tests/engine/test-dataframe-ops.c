/* The DataFrame API's joins, union, distinct, drop, take and aggregates on
 * local[N]. Joins of every type are checked against a nested-loop join
 * written here over the same rows (nulls and duplicate keys on both sides, a
 * skewed key, empty sides); distinct and the aggregates against references
 * computed here; union's order, widening and errors; the plans explain()
 * prints, logical and physical; repartition(n, cols) against the shuffle's
 * hash, read back per partition. Everything runs on local[1] and local[3]. */
#include <stdlib.h>
#include <string.h>

#include "weft-engine-error.h"
#include "weft-fs.h"
#include "weft-hash.h"
#include "weft/weft.h"

static char *tmpdir;
static const char *const masters[] = { "local[1]", "local[3]" };
static const WeftJoinType all_types[] = { WEFT_JOIN_INNER, WEFT_JOIN_LEFT, WEFT_JOIN_RIGHT,
                                          WEFT_JOIN_FULL, WEFT_JOIN_LEFT_SEMI,
                                          WEFT_JOIN_LEFT_ANTI };

/* ---- data ---- */

static guint32
next_rand (guint32 *x)
{
  *x = *x * 1103515245u + 12345u;
  return *x >> 16;
}

/* k: a key with 1 in 10 null, 4 in 10 equal to 0 (the skewed key), else lo..lo+29; s: "a", "b"
 * or "c" (1 in 20 null), a second key; then @value_name: a per-row value. */
static WeftBatch *
make_side (guint n, guint32 seed, gint64 lo, gboolean right)
{
  g_autoptr(WeftSchema) schema = weft_schema_new ();
  weft_schema_add_field (schema, "k", WEFT_DATA_TYPE_INT64, TRUE);
  weft_schema_add_field (schema, "s", WEFT_DATA_TYPE_STRING, TRUE);
  if (right)
    {
      weft_schema_add_field (schema, "kd", WEFT_DATA_TYPE_DOUBLE, TRUE);
      weft_schema_add_field (schema, "rv", WEFT_DATA_TYPE_DOUBLE, TRUE);
    }
  else
    weft_schema_add_field (schema, "lv", WEFT_DATA_TYPE_STRING, TRUE);
  guint nc = weft_schema_get_n_fields (schema);
  WeftColumn *cols[4];
  for (guint c = 0; c < nc; c++)
    cols[c] = weft_column_new (weft_schema_get_field (schema, c)->type, n);
  guint32 x = seed;
  for (guint i = 0; i < n; i++)
    {
      guint r = next_rand (&x) % 10;
      gint64 k = r < 4 ? 0 : lo + (gint64) (next_rand (&x) % 30);
      if (r == 9)
        weft_column_append_null (cols[0]);
      else
        weft_column_append_int64 (cols[0], k);
      if (next_rand (&x) % 20 == 0)
        weft_column_append_null (cols[1]);
      else
        weft_column_append_string (cols[1], &"abc"[next_rand (&x) % 3], 1);
      if (right)
        {
          if (r == 9)
            weft_column_append_null (cols[2]);
          else
            weft_column_append_double (cols[2], (double) k);
          weft_column_append_double (cols[3], i * 0.5);
        }
      else
        {
          char v[16];
          g_snprintf (v, sizeof v, "L%u", i);
          weft_column_append_string (cols[2], v, strlen (v));
        }
    }
  return weft_batch_new (schema, cols, n);
}

static WeftBatch *
copy_batch (const WeftBatch *b)
{
  return weft_batch_slice (b, 0, b->n_rows);
}

/* ---- the reference join ---- */

static gboolean
keys_match (const WeftColumn *a, gsize i, const WeftColumn *b, gsize j)
{
  if (!weft_column_is_valid (a, i) || !weft_column_is_valid (b, j))
    return FALSE;
  if (a->type == WEFT_DATA_TYPE_STRING)
    {
      gsize la, lb;
      const char *sa = weft_column_get_string (a, i, &la), *sb = weft_column_get_string (b, j, &lb);
      return la == lb && memcmp (sa, sb, la) == 0;
    }
  double va = a->type == WEFT_DATA_TYPE_INT64 ? (double) a->values.i64[i] : a->values.f64[i];
  double vb = b->type == WEFT_DATA_TYPE_INT64 ? (double) b->values.i64[j] : b->values.f64[j];
  return va == vb;
}

/* An output column: 'L' / 'R' a column of that side, 'K' a USING key merged. */
typedef struct {
  char from;
  guint l, r;
} OutCol;

static void
cell (GString *line, const WeftColumn *c, gssize row)
{
  if (row < 0)
    g_string_append (line, "null");
  else
    weft_column_format_value (c, (gsize) row, line);
}

static void
emit (GPtrArray *lines, const OutCol *out, guint n_out, const WeftBatch *L, gssize li,
      const WeftBatch *R, gssize ri, WeftJoinType type)
{
  GString *line = g_string_new (NULL);
  for (guint c = 0; c < n_out; c++)
    {
      if (c > 0)
        g_string_append_c (line, '|');
      const OutCol *o = &out[c];
      if (o->from == 'L')
        cell (line, L->columns[o->l], li);
      else if (o->from == 'R')
        cell (line, R->columns[o->r], ri);
      else if (type == WEFT_JOIN_RIGHT)
        cell (line, R->columns[o->r], ri);
      else if (type == WEFT_JOIN_FULL)
        {
          if (li >= 0 && weft_column_is_valid (L->columns[o->l], (gsize) li))
            cell (line, L->columns[o->l], li);
          else
            cell (line, R->columns[o->r], ri);
        }
      else
        cell (line, L->columns[o->l], li);
    }
  g_ptr_array_add (lines, g_string_free (line, FALSE));
}

/* Nested loops: every pair of rows whose keys are all equal and not null. */
static GPtrArray *
reference_join (const WeftBatch *L, const WeftBatch *R, const guint *lk, const guint *rk,
                guint nk, WeftJoinType type, const OutCol *out, guint n_out)
{
  GPtrArray *lines = g_ptr_array_new_with_free_func (g_free);
  g_autofree gboolean *rmatched = g_new0 (gboolean, R->n_rows + 1);
  for (gsize i = 0; i < L->n_rows; i++)
    {
      gboolean any = FALSE;
      for (gsize j = 0; j < R->n_rows; j++)
        {
          gboolean eq = TRUE;
          for (guint k = 0; eq && k < nk; k++)
            eq = keys_match (L->columns[lk[k]], i, R->columns[rk[k]], j);
          if (!eq)
            continue;
          any = rmatched[j] = TRUE;
          if (type != WEFT_JOIN_LEFT_SEMI && type != WEFT_JOIN_LEFT_ANTI)
            emit (lines, out, n_out, L, (gssize) i, R, (gssize) j, type);
        }
      if ((!any && (type == WEFT_JOIN_LEFT || type == WEFT_JOIN_FULL || type == WEFT_JOIN_LEFT_ANTI))
          || (any && type == WEFT_JOIN_LEFT_SEMI))
        emit (lines, out, n_out, L, (gssize) i, R, -1, type);
    }
  if (type == WEFT_JOIN_RIGHT || type == WEFT_JOIN_FULL)
    for (gsize j = 0; j < R->n_rows; j++)
      if (!rmatched[j])
        emit (lines, out, n_out, L, -1, R, (gssize) j, type);
  return lines;
}

static int
cmp_str (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static char *
sorted_text (GPtrArray *lines)
{
  g_ptr_array_sort (lines, cmp_str);
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < lines->len; i++)
    g_string_append_printf (s, "%s\n", (const char *) lines->pdata[i]);
  return g_string_free (s, FALSE);
}

/* The engine's rows, one line each, sorted. */
static char *
engine_rows (WeftDataFrame *df)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WeftBatch) b = weft_df_collect (df, &error);
  g_assert_no_error (error);
  g_assert_true (weft_schema_equal (b->schema, weft_df_get_schema (df)));
  GString *s = g_string_new (NULL);
  weft_batch_format_rows (b, s);
  g_auto(GStrv) split = g_strsplit (s->str, "\n", -1);
  g_string_free (s, TRUE);
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; split[i]; i++)
    if (split[i][0] != '\0')
      g_ptr_array_add (lines, g_strdup (split[i]));
  return sorted_text (lines);
}

static const char *
schema_names (WeftDataFrame *df, GString *out)
{
  WeftSchema *s = weft_df_get_schema (df);
  g_string_truncate (out, 0);
  for (guint i = 0; i < weft_schema_get_n_fields (s); i++)
    g_string_append_printf (out, "%s%s", i ? "," : "", weft_schema_get_field (s, i)->name);
  return out->str;
}

/* Compares sorted row texts, reporting the first row that differs rather than both texts. */
static void
assert_same_rows (const char *got, const char *want, const char *what)
{
  if (g_strcmp0 (got, want) == 0)
    return;
  g_auto(GStrv) g = g_strsplit (got, "\n", -1);
  g_auto(GStrv) w = g_strsplit (want, "\n", -1);
  guint i = 0;
  while (g[i] && w[i] && g_str_equal (g[i], w[i]))
    i++;
  g_error ("%s: %u rows, %u expected; row %u is \"%s\", expected \"%s\"", what,
           g_strv_length (g) - 1, g_strv_length (w) - 1, i, g[i] ? g[i] : "(end)",
           w[i] ? w[i] : "(end)");
}

/* ---- joins ---- */

typedef enum { FORM_USING_K, FORM_USING_K_S, FORM_EXPR_K, FORM_EXPR_WIDEN } JoinForm;

/* Joins L and R (batches copied into DataFrames) in @form and @type, and compares with the
 * reference. */
static void
check_join (WeftSession *s, const WeftBatch *L, const WeftBatch *R, JoinForm form,
            WeftJoinType type)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WeftDataFrame) l = weft_create_dataframe (s, copy_batch (L));
  g_autoptr(WeftDataFrame) r = weft_create_dataframe (s, copy_batch (R));
  g_autoptr(WeftDataFrame) j = NULL;
  gboolean left_only = type == WEFT_JOIN_LEFT_SEMI || type == WEFT_JOIN_LEFT_ANTI;
  OutCol out[16];
  guint n_out = 0;
  guint lk[2], rk[2], nk;
  /* Columns: left k, s, lv; right k, s, kd, rv. */
  if (form == FORM_USING_K || form == FORM_USING_K_S)
    {
      const char *on1[] = { "k", NULL }, *on2[] = { "k", "s", NULL };
      nk = form == FORM_USING_K ? 1 : 2;
      j = weft_df_join (l, r, nk == 1 ? on1 : on2, type, &error);
      g_assert_no_error (error);
      for (guint k = 0; k < nk; k++)
        {
          lk[k] = rk[k] = k;
          out[n_out++] = (OutCol) { 'K', k, k };
        }
      for (guint c = nk; c < 3; c++)
        out[n_out++] = (OutCol) { 'L', c, 0 };
      for (guint c = nk; !left_only && c < 4; c++)
        out[n_out++] = (OutCol) { 'R', 0, c };
      g_autoptr(GString) names = g_string_new (NULL);
      g_assert_cmpstr (schema_names (j, names), ==,
                       left_only ? (nk == 1 ? "k,s,lv" : "k,s,lv")
                                 : (nk == 1 ? "k,s,lv,s,kd,rv" : "k,s,lv,kd,rv"));
    }
  else
    {
      nk = 1;
      lk[0] = 0;
      rk[0] = form == FORM_EXPR_K ? 0 : 2;
      g_autoptr(WeftExpr) le = weft_expr_col ("k");
      g_autoptr(WeftExpr) re = weft_expr_col (form == FORM_EXPR_K ? "k" : "kd");
      j = weft_df_join_on (l, r, &le, &re, 1, type, &error);
      g_assert_no_error (error);
      for (guint c = 0; c < 3; c++)
        out[n_out++] = (OutCol) { 'L', c, 0 };
      for (guint c = 0; !left_only && c < 4; c++)
        out[n_out++] = (OutCol) { 'R', 0, c };
      g_autoptr(GString) names = g_string_new (NULL);
      g_assert_cmpstr (schema_names (j, names), ==, left_only ? "k,s,lv" : "k,s,lv,k,s,kd,rv");
    }
  g_autoptr(GPtrArray) ref = reference_join (L, R, lk, rk, nk, type, out, n_out);
  g_autofree char *want = sorted_text (ref);
  g_autofree char *got = engine_rows (j);
  g_autofree char *what = g_strdup_printf ("%s join, form %d", weft_join_type_name (type), form);
  assert_same_rows (got, want, what);
  g_test_message ("%s join, form %d, %zu x %zu rows: %u rows", weft_join_type_name (type), form,
                  L->n_rows, R->n_rows, ref->len);
  /* count() agrees with the rows. */
  g_assert_cmpint (weft_df_count (j, &error), ==, (gint64) ref->len);
}

static void
test_join_types (void)
{
  g_autoptr(WeftBatch) L = make_side (400, 7, 1, FALSE);
  g_autoptr(WeftBatch) R = make_side (250, 99, 15, TRUE);
  for (guint m = 0; m < G_N_ELEMENTS (masters); m++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(WeftSession) s = weft_session_new ("t", masters[m], &error);
      g_assert_no_error (error);
      for (guint t = 0; t < G_N_ELEMENTS (all_types); t++)
        for (JoinForm f = FORM_USING_K; f <= FORM_EXPR_WIDEN; f++)
          check_join (s, L, R, f, all_types[t]);
    }
}

static void
test_join_empty_sides (void)
{
  g_autoptr(WeftBatch) L = make_side (60, 3, 1, FALSE);
  g_autoptr(WeftBatch) R = make_side (40, 5, 1, TRUE);
  g_autoptr(WeftBatch) L0 = make_side (0, 3, 1, FALSE);
  g_autoptr(WeftBatch) R0 = make_side (0, 5, 1, TRUE);
  g_autoptr(WeftBatch) L1 = make_side (1, 11, 1, FALSE);
  for (guint m = 0; m < G_N_ELEMENTS (masters); m++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(WeftSession) s = weft_session_new ("t", masters[m], &error);
      for (guint t = 0; t < G_N_ELEMENTS (all_types); t++)
        {
          check_join (s, L0, R, FORM_USING_K, all_types[t]);
          check_join (s, L, R0, FORM_USING_K, all_types[t]);
          check_join (s, L0, R0, FORM_EXPR_K, all_types[t]);
          check_join (s, L1, R, FORM_EXPR_K, all_types[t]);
        }
    }
}

/* One key everywhere on both sides: every bucket but one is empty, and the full product. */
static void
test_join_one_key (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WeftSession) s = weft_session_new ("t", "local[3]", &error);
  g_autoptr(WeftSchema) schema = weft_schema_new ();
  weft_schema_add_field (schema, "k", WEFT_DATA_TYPE_STRING, TRUE);
  weft_schema_add_field (schema, "i", WEFT_DATA_TYPE_INT64, FALSE);
  WeftColumn *lc[2] = { weft_column_new (WEFT_DATA_TYPE_STRING, 0), weft_column_new (WEFT_DATA_TYPE_INT64, 0) };
  WeftColumn *rc[2] = { weft_column_new (WEFT_DATA_TYPE_STRING, 0), weft_column_new (WEFT_DATA_TYPE_INT64, 0) };
  for (gint64 i = 0; i < 120; i++)
    {
      weft_column_append_string (lc[0], "x", 1);
      weft_column_append_int64 (lc[1], i);
    }
  for (gint64 i = 0; i < 70; i++)
    {
      weft_column_append_string (rc[0], "x", 1);
      weft_column_append_int64 (rc[1], i);
    }
  g_autoptr(WeftDataFrame) l = weft_create_dataframe (s, weft_batch_new (schema, lc, 120));
  g_autoptr(WeftDataFrame) r = weft_create_dataframe (s, weft_batch_new (schema, rc, 70));
  const char *on[] = { "k", NULL };
  g_autoptr(WeftDataFrame) j = weft_df_join (l, r, on, WEFT_JOIN_INNER, &error);
  g_assert_cmpint (weft_df_count (j, &error), ==, 120 * 70);
  g_autoptr(WeftDataFrame) semi = weft_df_join (l, r, on, WEFT_JOIN_LEFT_SEMI, &error);
  g_assert_cmpint (weft_df_count (semi, &error), ==, 120);
  g_autoptr(WeftDataFrame) anti = weft_df_join (l, r, on, WEFT_JOIN_LEFT_ANTI, &error);
  g_assert_cmpint (weft_df_count (anti, &error), ==, 0);
  g_assert_no_error (error);
}

/* A filter above a join goes into the side it reads; a semi join's right side keeps its key
 * only; a join of CSV scans reads only the columns used; results stay exact. */
static void
test_join_plans (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WeftBatch) L = make_side (300, 21, 1, FALSE);
  g_autoptr(WeftBatch) R = make_side (200, 22, 1, TRUE);
  for (guint m = 0; m < G_N_ELEMENTS (masters); m++)
    {
      g_autoptr(WeftSession) s = weft_session_new ("t", masters[m], &error);
      g_autoptr(WeftDataFrame) l = weft_create_dataframe (s, copy_batch (L));
      g_autoptr(WeftDataFrame) r = weft_create_dataframe (s, copy_batch (R));
      const char *on[] = { "k", NULL };
      g_autoptr(WeftDataFrame) j = weft_df_join (l, r, on, WEFT_JOIN_INNER, &error);
      /* rv > 50 reads the right only; k < 10 reads the merged key: both sides. */
      g_autoptr(WeftExpr) cond = weft_expr_binary (
        WEFT_EXPR_OP_AND,
        weft_expr_binary (WEFT_EXPR_OP_GT, weft_expr_col ("rv"), weft_expr_lit_int64 (50)),
        weft_expr_binary (WEFT_EXPR_OP_LT, weft_expr_col ("k"), weft_expr_lit_int64 (10)));
      g_autoptr(WeftDataFrame) f = weft_df_filter (j, cond, &error);
      g_assert_no_error (error);
      g_autofree char *plan = weft_df_explain (f, TRUE, &error);
      g_assert_no_error (error);
      g_test_message ("%s", plan);
      const char *opt = strstr (plan, "== Optimized Logical Plan ==");
      g_assert_nonnull (opt);
      g_assert_true (g_str_has_prefix (opt + strlen ("== Optimized Logical Plan ==\n"), "Join UsingJoin(Inner, [k])"));
      g_assert_nonnull (strstr (opt, ":- Filter (k#0 < 10)"));
      g_assert_nonnull (strstr (opt, "+- Filter"));
      g_assert_nonnull (strstr (opt, "(rv#3 > "));
      /* Unoptimized: the filter above the join. */
      g_assert_true (g_str_has_prefix (plan, "== Analyzed Logical Plan ==\nFilter"));

      /* Reference: the inner join's rows with rv > 50 and k < 10. */
      OutCol out[] = { { 'K', 0, 0 }, { 'L', 1, 0 }, { 'L', 2, 0 }, { 'R', 0, 1 }, { 'R', 0, 2 }, { 'R', 0, 3 } };
      guint k0 = 0;
      g_autoptr(GPtrArray) all = reference_join (L, R, &k0, &k0, 1, WEFT_JOIN_INNER, out, G_N_ELEMENTS (out));
      g_autoptr(GPtrArray) kept = g_ptr_array_new_with_free_func (g_free);
      for (guint i = 0; i < all->len; i++)
        {
          g_auto(GStrv) f6 = g_strsplit (all->pdata[i], "|", -1);
          if (g_ascii_strtod (f6[5], NULL) > 50 && g_ascii_strtoll (f6[0], NULL, 10) < 10)
            g_ptr_array_add (kept, g_strdup (all->pdata[i]));
        }
      g_autofree char *want = sorted_text (kept);
      g_autofree char *got = engine_rows (f);
      assert_same_rows (got, want, "filter over an inner join");

      /* A left join keeps the filter on the right above it (pushing it would change rows). */
      g_autoptr(WeftDataFrame) lj = weft_df_join (l, r, on, WEFT_JOIN_LEFT, &error);
      g_autoptr(WeftExpr) rcond = weft_expr_binary (WEFT_EXPR_OP_GT, weft_expr_col ("rv"),
                                                    weft_expr_lit_int64 (50));
      g_autoptr(WeftDataFrame) lf = weft_df_filter (lj, rcond, &error);
      g_autofree char *lplan = weft_df_explain (lf, FALSE, &error);
      g_assert_true (g_str_has_prefix (lplan, "== Optimized Logical Plan ==\nFilter"));

      /* A semi join reads only the key of its right side. */
      g_autoptr(WeftDataFrame) semi = weft_df_join (l, r, on, WEFT_JOIN_LEFT_SEMI, &error);
      g_autofree char *splan = weft_df_explain (semi, FALSE, &error);
      g_test_message ("%s", splan);
      g_assert_nonnull (strstr (splan, "+- Project [k#0]"));
    }

  /* CSV inputs: a projection above the join prunes both scans. */
  g_autofree char *lpath = g_build_filename (tmpdir, "left.csv", NULL);
  g_autofree char *rpath = g_build_filename (tmpdir, "right.csv", NULL);
  GString *lt = g_string_new ("id,k,name,extra\n"), *rt = g_string_new ("k,label,weight,other\n");
  for (int i = 0; i < 500; i++)
    g_string_append_printf (lt, "%d,%d,n%d,x\n", i, i % 37, i);
  for (int i = 0; i < 37; i += 2)
    g_string_append_printf (rt, "%d,lab%d,%d,y\n", i, i, i * 10);
  g_assert_true (g_file_set_contents (lpath, lt->str, -1, NULL));
  g_assert_true (g_file_set_contents (rpath, rt->str, -1, NULL));
  g_string_free (lt, TRUE);
  g_string_free (rt, TRUE);
  const char *opts[] = { "header", "true", "inferSchema", "true", NULL };
  g_autoptr(WeftSession) s = weft_session_new ("t", "local[3]", &error);
  g_autoptr(WeftDataFrame) l = weft_read_csv (s, lpath, opts, &error);
  g_autoptr(WeftDataFrame) r = weft_read_csv (s, rpath, opts, &error);
  g_assert_no_error (error);
  const char *on[] = { "k", NULL };
  g_autoptr(WeftDataFrame) j = weft_df_join (l, r, on, WEFT_JOIN_INNER, &error);
  g_autoptr(WeftDataFrame) sel = weft_df_select_cols (j, &error, "name", "label", NULL);
  g_assert_no_error (error);
  g_autofree char *plan = weft_df_explain (sel, FALSE, &error);
  g_test_message ("%s", plan);
  g_assert_nonnull (strstr (plan, ":- CsvScan [k, name] (pruned: 2 of 4 columns)"));
  g_assert_nonnull (strstr (plan, "+- CsvScan [k, label] (pruned: 2 of 4 columns)"));
  /* A filter on a right column above the join ends in the right scan, parsed while reading. */
  g_autoptr(WeftExpr) heavy = weft_expr_binary (WEFT_EXPR_OP_GE, weft_expr_col ("weight"),
                                                weft_expr_lit_int64 (200));
  g_autoptr(WeftDataFrame) hf = weft_df_filter (j, heavy, &error);
  g_autoptr(WeftDataFrame) hsel = weft_df_select_cols (hf, &error, "id", NULL);
  g_autofree char *hplan = weft_df_explain (hsel, FALSE, &error);
  g_test_message ("%s", hplan);
  g_assert_nonnull (strstr (hplan, "+- CsvScan [k] (pruned: 1 of 4 columns) PushedFilter: (weight#2 >= 200)"));
  g_assert_nonnull (strstr (hplan, ":- CsvScan [id, k] (pruned: 2 of 4 columns)"));
  guint heavy_rows = 0;
  for (int i = 0; i < 500; i++)
    heavy_rows += (i % 37) % 2 == 0 && (i % 37) * 10 >= 200;
  g_assert_cmpint (weft_df_count (hsel, &error), ==, heavy_rows);
  g_assert_no_error (error);

  g_autoptr(WeftBatch) rows = weft_df_collect (sel, &error);
  g_assert_no_error (error);
  /* Rows whose k (i % 37) is even. */
  guint want = 0;
  for (int i = 0; i < 500; i++)
    want += (i % 37) % 2 == 0;
  g_assert_cmpuint (rows->n_rows, ==, want);
  for (gsize i = 0; i < rows->n_rows; i++)
    {
      gsize ln, ll;
      const char *name = weft_column_get_string (rows->columns[0], i, &ln);
      const char *label = weft_column_get_string (rows->columns[1], i, &ll);
      g_autofree char *n = g_strndup (name + 1, ln - 1);
      g_autofree char *lab = g_strdup_printf ("lab%d", atoi (n) % 37);
      g_assert_cmpint ((int) ll, ==, (int) strlen (lab));
      g_assert_true (memcmp (label, lab, ll) == 0);
    }
}

static void
test_join_errors (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WeftSession) s = weft_session_new ("t", "local[2]", &error);
  g_autoptr(WeftSession) s2 = weft_session_new ("t", "local[2]", &error);
  g_autoptr(WeftDataFrame) l = weft_create_dataframe (s, make_side (10, 1, 1, FALSE));
  g_autoptr(WeftDataFrame) r = weft_create_dataframe (s, make_side (10, 2, 1, TRUE));
  g_autoptr(WeftDataFrame) other = weft_create_dataframe (s2, make_side (10, 2, 1, TRUE));
  const char *missing[] = { "lv", NULL };
  g_assert_null (weft_df_join (l, r, missing, WEFT_JOIN_INNER, &error));
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "`lv`"));
  g_assert_nonnull (strstr (error->message, "right"));
  g_clear_error (&error);
  const char *none[] = { NULL };
  g_assert_null (weft_df_join (l, r, none, WEFT_JOIN_INNER, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  /* A string key against a double one. */
  g_autoptr(WeftExpr) ls = weft_expr_col ("s");
  g_autoptr(WeftExpr) rd = weft_expr_col ("rv");
  g_assert_null (weft_df_join_on (l, r, &ls, &rd, 1, WEFT_JOIN_INNER, &error));
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "cannot be compared"));
  g_clear_error (&error);
  g_autoptr(WeftExpr) bad = weft_expr_col ("nope");
  g_assert_null (weft_df_join_on (l, r, &bad, &rd, 1, WEFT_JOIN_INNER, &error));
  g_assert_nonnull (strstr (error->message, "nope"));
  g_clear_error (&error);
  const char *on[] = { "k", NULL };
  g_assert_null (weft_df_join (l, other, on, WEFT_JOIN_INNER, &error));
  g_assert_nonnull (strstr (error->message, "same session"));
}

/* ---- union ---- */

static WeftBatch *
int_string_rows (const char *name, gint64 from, guint n, WeftDataType num_type)
{
  g_autoptr(WeftSchema) schema = weft_schema_new ();
  weft_schema_add_field (schema, name, num_type, TRUE);
  weft_schema_add_field (schema, "tag", WEFT_DATA_TYPE_STRING, TRUE);
  WeftColumn *cols[2] = { weft_column_new (num_type, n), weft_column_new (WEFT_DATA_TYPE_STRING, n) };
  for (guint i = 0; i < n; i++)
    {
      if (i % 7 == 3)
        weft_column_append_null (cols[0]);
      else if (num_type == WEFT_DATA_TYPE_INT64)
        weft_column_append_int64 (cols[0], from + i);
      else
        weft_column_append_double (cols[0], (double) (from + i) + 0.5);
      g_autofree char *t = g_strdup_printf ("%s%u", name, i);
      weft_column_append_string (cols[1], t, strlen (t));
    }
  return weft_batch_new (schema, cols, n);
}

static void
test_union (void)
{
  for (guint m = 0; m < G_N_ELEMENTS (masters); m++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(WeftSession) s = weft_session_new ("t", masters[m], &error);
      g_autoptr(WeftBatch) a = int_string_rows ("a", 0, 20, WEFT_DATA_TYPE_INT64);
      g_autoptr(WeftBatch) b = int_string_rows ("b", 100, 9, WEFT_DATA_TYPE_INT64);
      g_autoptr(WeftDataFrame) da = weft_create_dataframe (s, copy_batch (a));
      g_autoptr(WeftDataFrame) db = weft_create_dataframe (s, copy_batch (b));
      g_autoptr(WeftDataFrame) u = weft_df_union (da, db, &error);
      g_assert_no_error (error);
      /* Names from the left; the left's rows then the right's, each in order. */
      g_assert_cmpstr (weft_schema_get_field (weft_df_get_schema (u), 0)->name, ==, "a");
      g_autoptr(WeftBatch) rows = weft_df_collect (u, &error);
      g_assert_no_error (error);
      GString *want = g_string_new (NULL), *got = g_string_new (NULL);
      weft_batch_format_rows (a, want);
      weft_batch_format_rows (b, want);
      weft_batch_format_rows (rows, got);
      g_assert_cmpstr (got->str, ==, want->str);
      g_string_free (want, TRUE);
      g_string_free (got, TRUE);
      g_assert_cmpint (weft_df_count (u, &error), ==, 29);
      g_autofree char *plan = weft_df_explain (u, FALSE, &error);
      g_assert_nonnull (strstr (plan, "Union\n:- LocalRelation"));
      g_assert_nonnull (strstr (plan, "+- LocalRelation"));

      /* int64 with double: double. */
      g_autoptr(WeftDataFrame) dd = weft_create_dataframe (s, int_string_rows ("d", 0, 5, WEFT_DATA_TYPE_DOUBLE));
      g_autoptr(WeftDataFrame) w = weft_df_union (db, dd, &error);
      g_assert_no_error (error);
      g_assert_cmpint (weft_schema_get_field (weft_df_get_schema (w), 0)->type, ==, WEFT_DATA_TYPE_DOUBLE);
      g_autoptr(WeftBatch) wr = weft_df_collect (w, &error);
      g_assert_no_error (error);
      GString *wt = g_string_new (NULL);
      weft_batch_format_rows (wr, wt);
      g_assert_cmpstr (wt->str, ==,
                       "100|b0\n101|b1\n102|b2\nnull|b3\n104|b4\n105|b5\n106|b6\n107|b7\n108|b8\n"
                       "0.5|d0\n1.5|d1\n2.5|d2\nnull|d3\n4.5|d4\n");
      g_string_free (wt, TRUE);
      /* Union with itself, then distinct: the rows once. */
      g_autoptr(WeftDataFrame) twice = weft_df_union (da, da, &error);
      g_autoptr(WeftDataFrame) once = weft_df_distinct (twice);
      g_assert_cmpint (weft_df_count (twice, &error), ==, 40);
      g_assert_cmpint (weft_df_count (once, &error), ==, 20);
      g_assert_no_error (error);
    }
}

static void
test_union_errors (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WeftSession) s = weft_session_new ("t", "local[2]", &error);
  g_autoptr(WeftDataFrame) a = weft_create_dataframe (s, int_string_rows ("a", 0, 3, WEFT_DATA_TYPE_INT64));
  g_autoptr(WeftDataFrame) one = weft_df_select_cols (a, &error, "a", NULL);
  g_assert_null (weft_df_union (a, one, &error));
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "same number of columns"));
  g_clear_error (&error);
  /* (a, tag) with (tag, a): string against int64. */
  g_autoptr(WeftDataFrame) swapped = weft_df_select_cols (a, &error, "tag", "a", NULL);
  g_assert_null (weft_df_union (a, swapped, &error));
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "compatible"));
}

/* ---- distinct, drop, take ---- */

static void
test_distinct (void)
{
  g_autoptr(WeftBatch) L = make_side (600, 42, 1, FALSE);
  /* Reference: distinct (k, s) pairs (lv dropped: it is unique). */
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GPtrArray) ref = g_ptr_array_new_with_free_func (g_free);
  for (gsize i = 0; i < L->n_rows; i++)
    {
      GString *line = g_string_new (NULL);
      weft_column_format_value (L->columns[0], i, line);
      g_string_append_c (line, '|');
      weft_column_format_value (L->columns[1], i, line);
      if (g_hash_table_add (seen, g_strdup (line->str)))
        g_ptr_array_add (ref, g_string_free (line, FALSE));
      else
        g_string_free (line, TRUE);
    }
  g_autofree char *want = sorted_text (ref);
  for (guint m = 0; m < G_N_ELEMENTS (masters); m++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(WeftSession) s = weft_session_new ("t", masters[m], &error);
      g_autoptr(WeftDataFrame) df = weft_create_dataframe (s, copy_batch (L));
      g_autoptr(WeftDataFrame) ks = weft_df_drop (df, &error, "lv", NULL);
      g_autoptr(WeftDataFrame) d = weft_df_distinct (ks);
      g_autoptr(WeftDataFrame) dd = weft_df_drop_duplicates (ks);
      g_autofree char *got = engine_rows (d);
      g_autofree char *got2 = engine_rows (dd);
      assert_same_rows (got, want, "distinct");
      assert_same_rows (got2, want, "drop_duplicates");
      /* Distinct rows of unique rows: all of them. */
      g_autoptr(WeftDataFrame) all = weft_df_distinct (df);
      g_assert_cmpint (weft_df_count (all, &error), ==, 600);
      g_autofree char *plan = weft_df_explain (d, FALSE, &error);
      g_assert_nonnull (strstr (plan, "Aggregate [k#0, s#1], []"));
      g_assert_no_error (error);
    }
}

static void
test_drop (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WeftSession) s = weft_session_new ("t", "local[3]", &error);
  g_autoptr(WeftDataFrame) l = weft_create_dataframe (s, make_side (30, 1, 1, FALSE));
  g_autoptr(WeftDataFrame) r = weft_create_dataframe (s, make_side (30, 2, 1, TRUE));
  g_autoptr(GString) names = g_string_new (NULL);
  g_autoptr(WeftDataFrame) a = weft_df_drop (l, &error, "LV", "missing", NULL);
  g_assert_cmpstr (schema_names (a, names), ==, "k,s");
  g_autoptr(WeftDataFrame) same = weft_df_drop (l, &error, "missing", NULL);
  g_assert_cmpstr (schema_names (same, names), ==, "k,s,lv");
  g_assert_cmpint (weft_df_count (same, &error), ==, 30);
  /* Both columns of a duplicated name go (an expression join keeps both k). */
  g_autoptr(WeftExpr) k = weft_expr_col ("k");
  g_autoptr(WeftDataFrame) j = weft_df_join_on (l, r, &k, &k, 1, WEFT_JOIN_INNER, &error);
  g_autoptr(WeftDataFrame) nok = weft_df_drop (j, &error, "k", "s", NULL);
  g_assert_no_error (error);
  g_assert_cmpstr (schema_names (nok, names), ==, "lv,kd,rv");
  g_autoptr(WeftBatch) rows = weft_df_collect (nok, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rows->n_columns, ==, 3);
  g_assert_cmpint ((gint64) rows->n_rows, ==, weft_df_count (j, &error));
  g_assert_cmpint (rows->columns[1]->type, ==, WEFT_DATA_TYPE_DOUBLE);
  /* The values of an unchanged column survive the drop. */
  g_autoptr(WeftBatch) lv = weft_df_collect (a, &error);
  g_assert_cmpuint (lv->n_rows, ==, 30);
}

static void
test_take (void)
{
  g_autoptr(WeftBatch) L = make_side (100, 9, 1, FALSE);
  GString *all = g_string_new (NULL);
  weft_batch_format_rows (L, all);
  for (guint m = 0; m < G_N_ELEMENTS (masters); m++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(WeftSession) s = weft_session_new ("t", masters[m], &error);
      g_autoptr(WeftDataFrame) df = weft_create_dataframe (s, copy_batch (L));
      const gint64 ns[] = { 0, 1, 5, 34, 100, 1000 };
      for (guint i = 0; i < G_N_ELEMENTS (ns); i++)
        {
          g_autoptr(WeftBatch) t = weft_df_take (df, ns[i], &error);
          g_assert_no_error (error);
          g_assert_cmpuint (t->n_rows, ==, (gsize) MIN (ns[i], 100));
          g_assert_true (weft_schema_equal (t->schema, weft_df_get_schema (df)));
          /* The first rows, in order. */
          GString *got = g_string_new (NULL);
          weft_batch_format_rows (t, got);
          g_assert_true (strncmp (all->str, got->str, got->len) == 0);
          g_string_free (got, TRUE);
        }
      /* take of a join and of a filter that leaves nothing. */
      g_autoptr(WeftDataFrame) r = weft_create_dataframe (s, make_side (50, 4, 1, TRUE));
      const char *on[] = { "k", NULL };
      g_autoptr(WeftDataFrame) j = weft_df_join (df, r, on, WEFT_JOIN_INNER, &error);
      g_autoptr(WeftBatch) tj = weft_df_take (j, 7, &error);
      g_assert_cmpuint (tj->n_rows, ==, 7);
      g_autoptr(WeftExpr) never = weft_expr_binary (WEFT_EXPR_OP_GT, weft_expr_col ("k"),
                                                    weft_expr_lit_int64 (1000));
      g_autoptr(WeftDataFrame) none = weft_df_filter (df, never, &error);
      g_autoptr(WeftBatch) tn = weft_df_take (none, 3, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (tn->n_rows, ==, 0);
      g_assert_cmpuint (tn->n_columns, ==, 3);
    }
  g_string_free (all, TRUE);
}

/* ---- aggregates with nulls ---- */

/* g: "a", "b", "c" or null; v: int64, 1 in 4 null, all null in group "c"; d: double. */
static WeftBatch *
agg_rows (void)
{
  guint n = 300;
  g_autoptr(WeftSchema) schema = weft_schema_new ();
  weft_schema_add_field (schema, "g", WEFT_DATA_TYPE_STRING, TRUE);
  weft_schema_add_field (schema, "v", WEFT_DATA_TYPE_INT64, TRUE);
  weft_schema_add_field (schema, "d", WEFT_DATA_TYPE_DOUBLE, TRUE);
  WeftColumn *cols[3] = { weft_column_new (WEFT_DATA_TYPE_STRING, n), weft_column_new (WEFT_DATA_TYPE_INT64, n),
                          weft_column_new (WEFT_DATA_TYPE_DOUBLE, n) };
  guint32 x = 77;
  for (guint i = 0; i < n; i++)
    {
      guint g = next_rand (&x) % 4;
      if (g == 3)
        weft_column_append_null (cols[0]);
      else
        weft_column_append_string (cols[0], &"abc"[g], 1);
      if (g == 2 || next_rand (&x) % 4 == 0)
        weft_column_append_null (cols[1]);
      else
        weft_column_append_int64 (cols[1], (gint64) (next_rand (&x) % 50) - 20);
      if (next_rand (&x) % 5 == 0)
        weft_column_append_null (cols[2]);
      else
        weft_column_append_double (cols[2], (double) (next_rand (&x) % 1000) / 4.0 - 100);
    }
  return weft_batch_new (schema, cols, n);
}

/* The reference value of @func over column @c of the rows of group @g ("" for the null group,
 * NULL for all rows), formatted as the engine formats it. */
static char *
reference_agg (const WeftBatch *b, const char *g, WeftAggFunc func, guint c)
{
  const WeftColumn *col = b->columns[c];
  gint64 count = 0;
  double sum = 0, best = 0;
  g_autoptr(GHashTable) distinct = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (gsize i = 0; i < b->n_rows; i++)
    {
      if (g != NULL)
        {
          gboolean valid = weft_column_is_valid (b->columns[0], i);
          gsize len = 0;
          const char *s = valid ? weft_column_get_string (b->columns[0], i, &len) : NULL;
          if (*g == '\0' ? valid : !valid || len != strlen (g) || memcmp (s, g, len) != 0)
            continue;
        }
      if (!weft_column_is_valid (col, i))
        continue;
      double v = col->type == WEFT_DATA_TYPE_INT64 ? (double) col->values.i64[i] : col->values.f64[i];
      if (count == 0 || (func == WEFT_AGG_MIN ? v < best : v > best))
        best = v;
      count++;
      sum += v;
      GString *t = g_string_new (NULL);
      weft_column_format_value (col, i, t);
      g_hash_table_add (distinct, g_string_free (t, FALSE));
    }
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  switch (func)
    {
    case WEFT_AGG_COUNT:
      return g_strdup_printf ("%" G_GINT64_FORMAT, count);
    case WEFT_AGG_COUNT_DISTINCT:
      return g_strdup_printf ("%u", g_hash_table_size (distinct));
    case WEFT_AGG_AVG:
      return count ? g_strdup (g_ascii_dtostr (buf, sizeof buf, sum / count)) : g_strdup ("null");
    default:
      if (count == 0)
        return g_strdup ("null");
      if (col->type == WEFT_DATA_TYPE_INT64)
        return g_strdup_printf ("%" G_GINT64_FORMAT, (gint64) best);
      return g_strdup (g_ascii_dtostr (buf, sizeof buf, best));
    }
}

typedef struct {
  WeftAggFunc func;
  const char *column;
  const char *name;
} AggCase;

static void
check_agg (gconstpointer data)
{
  const AggCase *ac = data;
  g_autoptr(WeftBatch) rows = agg_rows ();
  guint c = g_str_equal (ac->column, "v") ? 1 : 2;
  for (guint m = 0; m < G_N_ELEMENTS (masters); m++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(WeftSession) s = weft_session_new ("t", masters[m], &error);
      g_autoptr(WeftDataFrame) df = weft_create_dataframe (s, copy_batch (rows));
      g_autoptr(WeftExpr) g = weft_expr_col ("g");
      WeftPlanAggSpec spec = { ac->func, weft_expr_col (ac->column), NULL };
      g_autoptr(WeftDataFrame) by = weft_df_group_by_agg (df, &g, 1, &spec, 1, &error);
      g_autoptr(WeftDataFrame) global = weft_df_group_by_agg (df, NULL, 0, &spec, 1, &error);
      weft_expr_unref (spec.input);
      g_assert_no_error (error);
      g_assert_cmpstr (weft_schema_get_field (weft_df_get_schema (by), 1)->name, ==, ac->name);
      /* Per group, the null group included. */
      g_autoptr(GPtrArray) want = g_ptr_array_new_with_free_func (g_free);
      const char *groups[] = { "a", "b", "c", "" };
      for (guint i = 0; i < G_N_ELEMENTS (groups); i++)
        {
          g_autofree char *v = reference_agg (rows, groups[i], ac->func, c);
          g_ptr_array_add (want, g_strdup_printf ("%s|%s", *groups[i] ? groups[i] : "null", v));
        }
      g_autofree char *want_text = sorted_text (want);
      g_autofree char *got = engine_rows (by);
      g_assert_cmpstr (got, ==, want_text);
      /* Group "c" has no non-null v: count 0, the others null. */
      if (c == 1)
        g_assert_nonnull (strstr (got, ac->func == WEFT_AGG_COUNT || ac->func == WEFT_AGG_COUNT_DISTINCT
                                         ? "c|0\n" : "c|null\n"));
      g_autoptr(GPtrArray) gwant = g_ptr_array_new_with_free_func (g_free);
      g_ptr_array_add (gwant, reference_agg (rows, NULL, ac->func, c));
      g_autofree char *gwant_text = sorted_text (gwant);
      g_autofree char *ggot = engine_rows (global);
      g_assert_cmpstr (ggot, ==, gwant_text);
    }
}

static const AggCase agg_cases[] = {
  { WEFT_AGG_COUNT, "v", "count(v)" },
  { WEFT_AGG_COUNT_DISTINCT, "v", "count(DISTINCT v)" },
  { WEFT_AGG_AVG, "v", "avg(v)" },
  { WEFT_AGG_MIN, "v", "min(v)" },
  { WEFT_AGG_MAX, "v", "max(v)" },
  { WEFT_AGG_COUNT_DISTINCT, "d", "count(DISTINCT d)" },
  { WEFT_AGG_AVG, "d", "avg(d)" },
  { WEFT_AGG_MIN, "d", "min(d)" },
  { WEFT_AGG_MAX, "d", "max(d)" },
};

/* Every aggregate at once, over an empty input: no groups; the global row has counts 0 and
 * nulls. */
static void
test_agg_empty (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WeftSession) s = weft_session_new ("t", "local[3]", &error);
  g_autoptr(WeftBatch) rows = agg_rows ();
  g_autoptr(WeftDataFrame) df = weft_create_dataframe (s, weft_batch_slice (rows, 0, 0));
  WeftPlanAggSpec specs[] = {
    { WEFT_AGG_COUNT_STAR, NULL, NULL }, { WEFT_AGG_COUNT, weft_expr_col ("v"), NULL },
    { WEFT_AGG_COUNT_DISTINCT, weft_expr_col ("v"), NULL }, { WEFT_AGG_AVG, weft_expr_col ("v"), NULL },
    { WEFT_AGG_MIN, weft_expr_col ("d"), NULL }, { WEFT_AGG_MAX, weft_expr_col ("g"), NULL },
  };
  g_autoptr(WeftExpr) g = weft_expr_col ("g");
  g_autoptr(WeftDataFrame) by = weft_df_group_by_agg (df, &g, 1, specs, G_N_ELEMENTS (specs), &error);
  g_autoptr(WeftDataFrame) global = weft_df_group_by_agg (df, NULL, 0, specs, G_N_ELEMENTS (specs), &error);
  for (guint i = 0; i < G_N_ELEMENTS (specs); i++)
    if (specs[i].input)
      weft_expr_unref (specs[i].input);
  g_assert_no_error (error);
  g_autofree char *got = engine_rows (by);
  g_assert_cmpstr (got, ==, "");
  g_autofree char *ggot = engine_rows (global);
  g_assert_cmpstr (ggot, ==, "0|0|0|null|null|null\n");
}

/* ---- explain's physical plan ---- */

/* The section of explain()'s text after "== Physical Plan ==". */
static const char *
physical_section (const char *plan)
{
  const char *p = strstr (plan, "\n== Physical Plan ==\n");
  if (p == NULL)
    g_error ("no physical plan in:\n%s", plan);
  return p + strlen ("\n== Physical Plan ==\n");
}

static guint
occurrences (const char *text, const char *what)
{
  guint n = 0;
  for (const char *p = strstr (text, what); p; p = strstr (p + 1, what))
    n++;
  return n;
}

static void
test_explain_physical (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (tmpdir, "employees.csv", NULL);
  GString *t = g_string_new ("id,name,age,city,department,salary\n");
  for (guint i = 0; i < 200; i++)
    g_string_append_printf (t, "%u,n%u,%u,c%u,d%u,%u\n", i, i, 20 + i % 30, i % 5, i % 3, 1000 * i);
  g_assert_true (g_file_set_contents (path, t->str, -1, NULL));
  g_string_free (t, TRUE);
  const char *opts[] = { "header", "true", "inferSchema", "true", NULL };
  g_autoptr(WeftSession) s = weft_session_new ("t", "local[3]", &error);
  g_autoptr(WeftDataFrame) df = weft_read_csv (s, path, opts, &error);
  g_assert_no_error (error);

  /* filter(age > 30).select(name, city).groupBy(city).count() */
  g_autoptr(WeftExpr) older = weft_expr_binary (WEFT_EXPR_OP_GT, weft_expr_col ("age"),
                                                weft_expr_lit_int64 (30));
  g_autoptr(WeftDataFrame) o = weft_df_filter (df, older, &error);
  g_autoptr(WeftDataFrame) sel = weft_df_select_cols (o, &error, "name", "city", NULL);
  g_autoptr(WeftExpr) city = weft_expr_col ("city");
  g_autoptr(WeftDataFrame) per_city = weft_df_group_by_count (sel, &city, 1, &error);
  g_assert_no_error (error);
  g_autofree char *plan = weft_df_explain (per_city, FALSE, &error);
  g_assert_no_error (error);
  g_test_message ("%s", plan);
  g_assert_true (g_str_has_prefix (plan, "== Optimized Logical Plan ==\nAggregate"));
  /* The final aggregate over the hash exchange (local[3]: three shuffle partitions) over the
   * partial one, pipelined with the pruned, filtering scan in the first stage. */
  const char *phys = physical_section (plan);
  g_assert_true (g_str_has_prefix (phys,
                                   "*(2) HashAggregate(keys=[city#0], functions=[count(1)])\n"
                                   "+- Exchange hashpartitioning(city#0, 3)\n"
                                   "   +- *(1) HashAggregate(keys=[city#0], functions=[partial_count(1)])\n"
                                   "      +- *(1) Project [city#0]\n"
                                   "         +- *(1) FileScan csv [city] Format: CSV, Location: ["));
  g_assert_nonnull (strstr (phys, "] (1 file), PushedFilters: [(age#2 > 30)], "
                                  "ReadSchema: struct<city:string>, Splits: 1\n"));
  /* extended: the three sections, in Spark's order. */
  g_autofree char *ext = weft_df_explain (per_city, TRUE, &error);
  g_assert_no_error (error);
  const char *opt = strstr (ext, "\n== Optimized Logical Plan ==\n");
  const char *ph = strstr (ext, "\n== Physical Plan ==\n");
  g_assert_true (g_str_has_prefix (ext, "== Analyzed Logical Plan ==\n"));
  g_assert_true (opt != NULL && ph != NULL && opt < ph);
  g_assert_cmpstr (physical_section (ext), ==, phys);

  /* A global aggregate gathers its partial states into one partition. */
  WeftPlanAggSpec max_age = { WEFT_AGG_MAX, weft_expr_col ("age"), NULL };
  g_autoptr(WeftDataFrame) global = weft_df_group_by_agg (df, NULL, 0, &max_age, 1, &error);
  weft_expr_unref (max_age.input);
  g_autofree char *gplan = weft_df_explain (global, FALSE, &error);
  g_assert_no_error (error);
  g_test_message ("%s", gplan);
  g_assert_true (g_str_has_prefix (physical_section (gplan),
                                   "*(2) HashAggregate(keys=[], functions=[max(age#0)])\n"
                                   "+- Exchange SinglePartition\n"
                                   "   +- *(1) HashAggregate(keys=[], functions=[partial_max(age#0)])\n"
                                   "      +- *(1) FileScan csv [age] "));

  /* Sort and limit gather into one partition; the limit is local, then global. */
  WeftPlanSortKey by_city = { city, TRUE, FALSE };
  g_autoptr(WeftDataFrame) sorted = weft_df_order_by (per_city, &by_city, 1, &error);
  g_autoptr(WeftDataFrame) top = weft_df_limit (sorted, 2);
  g_assert_no_error (error);
  g_autofree char *tplan = weft_df_explain (top, FALSE, &error);
  g_assert_no_error (error);
  g_test_message ("%s", tplan);
  g_assert_true (g_str_has_prefix (physical_section (tplan),
                                   "*(4) GlobalLimit 2\n"
                                   "+- Exchange SinglePartition\n"
                                   "   +- *(3) LocalLimit 2\n"
                                   "      +- *(3) Sort [city#0 DESC NULLS LAST]\n"
                                   "         +- Exchange SinglePartition\n"
                                   "            +- *(2) HashAggregate(keys=[city#0], functions=[count(1)])\n"
                                   "               +- Exchange hashpartitioning(city#0, 3)\n"));
  g_autoptr(WeftBatch) top_rows = weft_df_collect (top, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (top_rows->n_rows, ==, 2);

  /* A join hash-partitions both sides by their keys, then joins each partition pair. */
  g_autoptr(WeftBatch) L = make_side (30, 1, 1, FALSE);
  g_autoptr(WeftBatch) R = make_side (20, 2, 1, TRUE);
  g_autoptr(WeftDataFrame) l = weft_create_dataframe (s, copy_batch (L));
  g_autoptr(WeftDataFrame) r = weft_create_dataframe (s, copy_batch (R));
  const char *on[] = { "k", NULL };
  g_autoptr(WeftDataFrame) j = weft_df_join (l, r, on, WEFT_JOIN_LEFT, &error);
  g_assert_no_error (error);
  g_autofree char *jplan = weft_df_explain (j, FALSE, &error);
  g_assert_no_error (error);
  g_test_message ("%s", jplan);
  g_assert_cmpstr (physical_section (jplan), ==,
                   "*(3) ShuffledHashJoin [k#0], [k#0], LeftOuter, BuildSmallerSide\n"
                   ":- Exchange hashpartitioning(k#0, 3)\n"
                   ":  +- *(1) LocalTableScan [k, s, lv], 30 rows, 3 partitions\n"
                   "+- Exchange hashpartitioning(k#0, 3)\n"
                   "   +- *(2) LocalTableScan [k, s, kd, rv], 20 rows, 3 partitions\n");
  g_assert_cmpuint (occurrences (physical_section (jplan), "Exchange hashpartitioning("), ==, 2);
  /* An int64 key against a double one: both exchanges hash doubles. */
  g_autoptr(WeftExpr) lk = weft_expr_col ("k");
  g_autoptr(WeftExpr) rk = weft_expr_col ("kd");
  g_autoptr(WeftDataFrame) jd = weft_df_join_on (l, r, &lk, &rk, 1, WEFT_JOIN_INNER, &error);
  g_assert_no_error (error);
  g_autofree char *dplan = weft_df_explain (jd, FALSE, &error);
  g_assert_no_error (error);
  g_test_message ("%s", dplan);
  g_assert_nonnull (strstr (physical_section (dplan),
                            ":- Exchange hashpartitioning(cast(k#0 as double), 3)\n"));
  g_assert_nonnull (strstr (physical_section (dplan), "+- Exchange hashpartitioning(kd#"));

  /* A union runs both inputs in one stage; repartition deals round robin; coalesce has no
   * exchange. */
  g_autoptr(WeftDataFrame) lk_only = weft_df_select_cols (l, &error, "k", NULL);
  g_autoptr(WeftDataFrame) rk_only = weft_df_select_cols (r, &error, "k", NULL);
  g_autoptr(WeftDataFrame) u = weft_df_union (lk_only, rk_only, &error);
  g_assert_no_error (error);
  g_autoptr(WeftDataFrame) rr = weft_df_repartition (u, 5);
  g_autoptr(WeftDataFrame) co = weft_df_coalesce (rr, 2);
  g_autofree char *uplan = weft_df_explain (co, FALSE, &error);
  g_assert_no_error (error);
  g_test_message ("%s", uplan);
  g_assert_cmpstr (physical_section (uplan), ==,
                   "*(2) Coalesce 2\n"
                   "+- Exchange RoundRobinPartitioning(5)\n"
                   "   +- *(1) Union\n"
                   "      :- *(1) Project [k#0]\n"
                   "      :  +- *(1) LocalTableScan [k, s, lv], 30 rows, 3 partitions\n"
                   "      +- *(1) Project [k#0]\n"
                   "         +- *(1) LocalTableScan [k, s, kd, rv], 20 rows, 3 partitions\n");
}

/* ---- repartition(n, cols) ---- */

/* Rows (k, s, v): k in 0..@n_keys-1 or null (1 in 7), s "a".."c" or null (1 in 11), v the
 * row's number (which tells the rows apart). */
static WeftBatch *
make_keyed (guint n, guint n_keys)
{
  g_autoptr(WeftSchema) schema = weft_schema_new ();
  weft_schema_add_field (schema, "k", WEFT_DATA_TYPE_INT64, TRUE);
  weft_schema_add_field (schema, "s", WEFT_DATA_TYPE_STRING, TRUE);
  weft_schema_add_field (schema, "v", WEFT_DATA_TYPE_INT64, FALSE);
  WeftColumn *cols[3];
  for (guint c = 0; c < 3; c++)
    cols[c] = weft_column_new (weft_schema_get_field (schema, c)->type, n);
  guint32 x = 7;
  for (guint i = 0; i < n; i++)
    {
      if (i % 7 == 3)
        weft_column_append_null (cols[0]);
      else
        weft_column_append_int64 (cols[0], next_rand (&x) % n_keys);
      if (i % 11 == 5)
        weft_column_append_null (cols[1]);
      else
        weft_column_append_string (cols[1], &"abc"[next_rand (&x) % 3], 1);
      weft_column_append_int64 (cols[2], i);
    }
  return weft_batch_new (schema, cols, n);
}

/* Writes @df as CSV (one part file per non-empty partition) and reads each part back: per
 * partition (NULL where it had no file), its lines "k,s,v", a null an empty field. */
static GPtrArray *
rows_per_partition (WeftDataFrame *df, const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = g_build_filename (tmpdir, name, NULL);
  g_assert_true (weft_df_write_csv (df, out, "overwrite", NULL, &error));
  g_assert_no_error (error);
  GPtrArray *parts = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  g_autoptr(GDir) dir = g_dir_open (out, 0, &error);
  g_assert_no_error (error);
  for (const char *f; (f = g_dir_read_name (dir)) != NULL;)
    {
      if (!g_str_has_prefix (f, "part-"))
        continue;
      guint p = (guint) g_ascii_strtoull (f + 5, NULL, 10);
      while (parts->len <= p)
        g_ptr_array_add (parts, NULL);
      g_assert_null (parts->pdata[p]);
      g_autofree char *file = g_build_filename (out, f, NULL);
      g_autofree char *text = NULL;
      g_assert_true (g_file_get_contents (file, &text, NULL, NULL));
      g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
      GPtrArray *rows = g_ptr_array_new_with_free_func (g_free);
      for (guint i = 0; lines[i]; i++)
        if (lines[i][0] != '\0')
          g_ptr_array_add (rows, g_strdup (lines[i]));
      parts->pdata[p] = rows;
    }
  return parts;
}

/* The partition the shuffle's hash (weft-hash.h) gives each row of @b for its columns @keys. */
static guint32 *
expected_partitions (const WeftBatch *b, const guint *keys, guint n_keys, guint n)
{
  WeftColumn *cols[2];
  for (guint k = 0; k < n_keys; k++)
    cols[k] = b->columns[keys[k]];
  g_autofree guint64 *h = g_new (guint64, b->n_rows);
  weft_hash_columns (cols, n_keys, b->n_rows, h);
  guint32 *part = g_new (guint32, b->n_rows);
  for (gsize r = 0; r < b->n_rows; r++)
    part[r] = weft_hash_partition (h[r], n);
  return part;
}

static void
check_repartition_by (const char *master, guint n, const guint *keys, guint n_keys)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WeftBatch) rows = make_keyed (500, 23);
  g_autoptr(WeftSession) s = weft_session_new ("t", master, &error);
  g_autoptr(WeftDataFrame) df = weft_create_dataframe (s, copy_batch (rows));
  const char *names[] = { "k", "s", "v" };
  WeftExpr *key_exprs[2];
  for (guint k = 0; k < n_keys; k++)
    key_exprs[k] = weft_expr_col (names[keys[k]]);
  g_autoptr(WeftDataFrame) rp = weft_df_repartition_by (df, n, key_exprs, n_keys, &error);
  for (guint k = 0; k < n_keys; k++)
    weft_expr_unref (key_exprs[k]);
  g_assert_no_error (error);

  /* The plans say so. */
  GString *kt = g_string_new (NULL);
  for (guint k = 0; k < n_keys; k++)
    g_string_append_printf (kt, "%s%s#%u", k ? ", " : "", names[keys[k]], keys[k]);
  g_autofree char *key_text = g_string_free (kt, FALSE);
  g_autofree char *plan = weft_df_explain (rp, FALSE, &error);
  g_assert_no_error (error);
  g_autofree char *logical = g_strdup_printf ("== Optimized Logical Plan ==\n"
                                              "RepartitionByExpression [%s], %u\n", key_text, n);
  g_assert_true (g_str_has_prefix (plan, logical));
  g_autofree char *exchange = g_strdup_printf ("Exchange hashpartitioning(%s, %u)\n", key_text, n);
  g_assert_true (g_str_has_prefix (physical_section (plan), exchange));

  /* Per partition: every row once, in the partition its keys' hash picks (so a key's rows,
   * the null key's too, share one partition); none at or past n; every one has rows. */
  g_autoptr(GPtrArray) parts = rows_per_partition (rp, "repartitioned");
  g_assert_cmpuint (parts->len, <=, n);
  g_autofree guint32 *want = expected_partitions (rows, keys, n_keys, n);
  g_autofree guint *seen = g_new0 (guint, rows->n_rows);
  g_autoptr(GHashTable) key_part = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint non_empty = 0, null_key_rows = 0;
  for (guint p = 0; p < parts->len; p++)
    {
      GPtrArray *lines = parts->pdata[p];
      if (lines == NULL)
        continue;
      non_empty += lines->len > 0;
      for (guint i = 0; i < lines->len; i++)
        {
          g_auto(GStrv) f = g_strsplit (lines->pdata[i], ",", -1);
          g_assert_cmpuint (g_strv_length (f), ==, 3);
          guint v = (guint) g_ascii_strtoull (f[2], NULL, 10);
          g_assert_cmpuint (v, <, rows->n_rows);
          seen[v]++;
          g_assert_cmpuint (p, ==, want[v]);
          /* The row is the one made, a null key included. */
          gboolean k_null = !weft_column_is_valid (rows->columns[0], v);
          g_assert_cmpint (f[0][0] == '\0', ==, k_null);
          null_key_rows += k_null;
          if (!k_null)
            g_assert_cmpint (g_ascii_strtoll (f[0], NULL, 10), ==, rows->columns[0]->values.i64[v]);
          char *key = n_keys == 1 ? g_strdup (f[keys[0]]) : g_strdup_printf ("%s,%s", f[0], f[1]);
          gpointer was;
          if (g_hash_table_lookup_extended (key_part, key, NULL, &was))
            {
              g_assert_cmpuint (GPOINTER_TO_UINT (was), ==, p);
              g_free (key);
            }
          else
            g_hash_table_insert (key_part, key, GUINT_TO_POINTER (p));
        }
    }
  for (gsize v = 0; v < rows->n_rows; v++)
    g_assert_cmpuint (seen[v], ==, 1);
  g_assert_cmpuint (null_key_rows, ==, (rows->n_rows + 3) / 7);
  g_assert_cmpuint (non_empty, ==, n);
  g_assert_cmpint (weft_df_count (rp, &error), ==, (gint64) rows->n_rows);
  g_assert_no_error (error);
}

static void
test_repartition_by (void)
{
  static const guint k[] = { 0 }, s[] = { 1 }, ks[] = { 0, 1 };
  for (guint m = 0; m < G_N_ELEMENTS (masters); m++)
    {
      check_repartition_by (masters[m], 4, k, 1);
      check_repartition_by (masters[m], 3, s, 1);
      check_repartition_by (masters[m], 5, ks, 2);
      check_repartition_by (masters[m], 1, k, 1);
    }
}

static void
test_repartition_by_plans (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WeftSession) s = weft_session_new ("t", "local[3]", &error);
  g_autoptr(WeftDataFrame) df = weft_create_dataframe (s, make_keyed (100, 9));
  g_autoptr(WeftExpr) k = weft_expr_col ("k");

  /* A projection above: the key stays below the exchange, the unread column goes. */
  g_autoptr(WeftDataFrame) rp = weft_df_repartition_by (df, 4, &k, 1, &error);
  g_autoptr(WeftDataFrame) v = weft_df_select_cols (rp, &error, "v", NULL);
  g_assert_no_error (error);
  g_autofree char *plan = weft_df_explain (v, FALSE, &error);
  g_assert_no_error (error);
  g_test_message ("%s", plan);
  g_assert_true (g_str_has_prefix (plan, "== Optimized Logical Plan ==\n"
                                         "Project [v#1]\n"
                                         "+- RepartitionByExpression [k#0], 4\n"
                                         "   +- Project [k#0, v#2]\n"));
  g_assert_cmpstr (physical_section (plan), ==,
                   "*(2) Project [v#1]\n"
                   "+- Exchange hashpartitioning(k#0, 4)\n"
                   "   +- *(1) Project [k#0, v#2]\n"
                   "      +- *(1) LocalTableScan [k, s, v], 100 rows, 3 partitions\n");
  g_autoptr(WeftBatch) got = weft_df_collect (v, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (got->n_rows, ==, 100);
  gint64 sum = 0;
  for (gsize r = 0; r < got->n_rows; r++)
    sum += got->columns[0]->values.i64[r];
  g_assert_cmpint (sum, ==, 99 * 100 / 2);

  /* By a key expression, then aggregated: the same groups as without the repartition. */
  g_autoptr(WeftExpr) kmod = weft_expr_binary (WEFT_EXPR_OP_MOD, weft_expr_col ("k"),
                                               weft_expr_lit_int64 (2));
  g_autoptr(WeftDataFrame) rpm = weft_df_repartition_by (df, 2, &kmod, 1, &error);
  g_autoptr(WeftDataFrame) per_k = weft_df_group_by_count (rpm, &k, 1, &error);
  g_autoptr(WeftDataFrame) direct = weft_df_group_by_count (df, &k, 1, &error);
  g_assert_no_error (error);
  g_autofree char *got_groups = engine_rows (per_k);
  g_autofree char *want_groups = engine_rows (direct);
  g_assert_cmpstr (got_groups, ==, want_groups);

  /* Errors: no partitions, an unknown column. */
  g_autoptr(WeftDataFrame) zero = weft_df_repartition_by (df, 0, &k, 1, &error);
  g_assert_null (zero);
  g_assert_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION);
  g_clear_error (&error);
  g_autoptr(WeftExpr) nope = weft_expr_col ("nope");
  g_autoptr(WeftDataFrame) bad = weft_df_repartition_by (df, 2, &nope, 1, &error);
  g_assert_null (bad);
  g_assert_nonnull (error);
  g_clear_error (&error);
  /* No keys: round robin, as repartition(n). */
  g_autoptr(WeftDataFrame) rr = weft_df_repartition_by (df, 2, NULL, 0, &error);
  g_assert_no_error (error);
  g_autofree char *rplan = weft_df_explain (rr, FALSE, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (physical_section (rplan), "Exchange RoundRobinPartitioning(2)\n"));
  g_assert_cmpint (weft_df_count (rr, &error), ==, 100);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_autoptr(GError) error = NULL;
  tmpdir = g_dir_make_tmp ("weft-df-ops-XXXXXX", &error);
  g_test_add_func ("/engine/dataframe-ops/join/every-type-vs-reference", test_join_types);
  g_test_add_func ("/engine/dataframe-ops/join/empty-and-one-row-sides", test_join_empty_sides);
  g_test_add_func ("/engine/dataframe-ops/join/one-key", test_join_one_key);
  g_test_add_func ("/engine/dataframe-ops/join/plans", test_join_plans);
  g_test_add_func ("/engine/dataframe-ops/join/errors", test_join_errors);
  g_test_add_func ("/engine/dataframe-ops/union", test_union);
  g_test_add_func ("/engine/dataframe-ops/union/errors", test_union_errors);
  g_test_add_func ("/engine/dataframe-ops/distinct", test_distinct);
  g_test_add_func ("/engine/dataframe-ops/drop", test_drop);
  g_test_add_func ("/engine/dataframe-ops/take", test_take);
  for (guint i = 0; i < G_N_ELEMENTS (agg_cases); i++)
    {
      /* "count(DISTINCT v)" -> ".../agg/count-distinct-v" */
      g_autofree char *name = g_strdelimit (g_ascii_strdown (agg_cases[i].name, -1), "( ", '-');
      g_autofree char *path = g_strdup_printf ("/engine/dataframe-ops/agg/%.*s",
                                               (int) strlen (name) - 1, name);
      g_test_add_data_func (path, &agg_cases[i], check_agg);
    }
  g_test_add_func ("/engine/dataframe-ops/agg/empty-input", test_agg_empty);
  g_test_add_func ("/engine/dataframe-ops/explain/physical", test_explain_physical);
  g_test_add_func ("/engine/dataframe-ops/repartition-by/rows-by-key", test_repartition_by);
  g_test_add_func ("/engine/dataframe-ops/repartition-by/plans-and-errors", test_repartition_by_plans);
  int rc = g_test_run ();
  weft_fs_remove_tree (tmpdir, NULL);
  g_free (tmpdir);
  return rc;
}
