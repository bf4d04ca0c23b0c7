/* Tests for engine/weft-task-rpc: tasks built over real optimized plans of every node kind (with
 * node infos, map output inputs and write options) survive encoding field for field, with the
 * cut rule applied (stubs under the exchanges a task reads, the map task's side in full);
 * decoded expressions evaluate exactly as the originals; outcomes and the struct converters
 * round-trip; and hostile input (every truncation, random byte flips, crafted wire shapes,
 * forward and out-of-range indices, type lies) is an error, never a crash. */

#include "weft-batch-codec.h"
#include "weft-csv.h"
#include "weft-engine-error.h"
#include "weft-expr-eval.h"
#include "weft-optimizer.h"
#include "weft-parse.h"
#include "weft-task-rpc.h"
#include "weft_engine_types.h"

#include <math.h>
#include <string.h>

#define C(n) weft_expr_col (n)
#define I(v) weft_expr_lit_int64 (v)
#define D(v) weft_expr_lit_double (v)
#define S(v) weft_expr_lit_string (v)
#define BIN(op, a, b) weft_expr_binary (WEFT_EXPR_OP_##op, a, b)
#define UN(op, a) weft_expr_unary (WEFT_EXPR_OP_##op, a)
#define CALL(f, ...) weft_expr_call (f, __VA_ARGS__, NULL)

G_DEFINE_AUTOPTR_CLEANUP_FUNC (weftTaskDescription, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (weftTaskStatus, g_object_unref)

/* ---- Fixtures ------------------------------------------------------------------------------- */

static gint32
day (const char *text)
{
  WeftDateFormat fmt;
  gint32 d = 0;
  g_assert_true (weft_date_format_init (&fmt, WEFT_DATE_FORMAT_DEFAULT, NULL));
  g_assert_true (weft_parse_date (&fmt, text, strlen (text), FALSE, &d));
  return d;
}

static WeftSchema *
emp_schema (void)
{
  WeftSchema *s = weft_schema_new ();
  weft_schema_add_field (s, "name", WEFT_DATA_TYPE_STRING, TRUE);
  weft_schema_add_field (s, "age", WEFT_DATA_TYPE_INT64, TRUE);
  weft_schema_add_field (s, "salary", WEFT_DATA_TYPE_DOUBLE, FALSE);
  weft_schema_add_field (s, "dept", WEFT_DATA_TYPE_STRING, TRUE);
  weft_schema_add_field (s, "hired", WEFT_DATA_TYPE_DATE, TRUE);
  weft_schema_add_field (s, "active", WEFT_DATA_TYPE_BOOL, TRUE);
  weft_schema_add_field (s, "note", WEFT_DATA_TYPE_STRING, TRUE);
  return s;
}

/* Six rows of emp_schema(), nulls in every nullable column, a string with a NUL byte. */
static WeftBatch *
emp_rows (void)
{
  g_autoptr(WeftSchema) schema = emp_schema ();
  static const char *names[] = { "Alice", "bob", NULL, "Ann\0ette", "", "Zoë" };
  static const gsize name_len[] = { 5, 3, 0, 8, 0, 4 };
  static const gint64 ages[] = { 34, 45, 0, 29, 30, 61 };
  static const double salaries[] = { 50000.5, 72000, -0.0, -10.25, NAN, 1e7 };
  static const char *depts[] = { "Eng", "Ops", "Eng", NULL, "Sales", "Eng" };
  static const char *hired[] = { "2020-01-15", "1969-12-31", "2000-02-29", NULL, "2024-12-01",
                                 "1999-07-04" };
  static const int active[] = { 1, 0, -1, 1, 0, 1 };
  static const char *notes[] = { "2020-01-15", "x", NULL, "42", "1999-07-04", "" };
  WeftColumn *cols[7];
  for (guint i = 0; i < 7; i++)
    cols[i] = weft_column_new (weft_schema_get_field (schema, i)->type, 6);
  for (guint r = 0; r < 6; r++)
    {
      if (names[r])
        weft_column_append_string (cols[0], names[r], name_len[r]);
      else
        weft_column_append_null (cols[0]);
      if (r == 2)
        weft_column_append_null (cols[1]);
      else
        weft_column_append_int64 (cols[1], ages[r]);
      weft_column_append_double (cols[2], salaries[r]);
      if (depts[r])
        weft_column_append_string (cols[3], depts[r], strlen (depts[r]));
      else
        weft_column_append_null (cols[3]);
      if (hired[r])
        weft_column_append_date (cols[4], day (hired[r]));
      else
        weft_column_append_null (cols[4]);
      if (active[r] < 0)
        weft_column_append_null (cols[5]);
      else
        weft_column_append_bool (cols[5], active[r]);
      if (notes[r])
        weft_column_append_string (cols[6], notes[r], strlen (notes[r]));
      else
        weft_column_append_null (cols[6]);
    }
  return weft_batch_new (schema, cols, 6);
}

static WeftCsvOptions *
scan_options (void)
{
  WeftCsvOptions *o = weft_csv_options_new ();
  static const char *const set[][2] = {
    { "header", "true" }, { "sep", ";" }, { "nullValue", "NA" }, { "dateFormat", "dd/MM/yyyy" },
    { "mode", "DROPMALFORMED" }, { "comment", "#" }, { "quote", "'" },
    { "columnNameOfCorruptRecord", "_bad" }, { "inferSchema", "true" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (set); i++)
    g_assert_true (weft_csv_options_set (o, set[i][0], set[i][1], NULL));
  o->batch_rows = 1000;
  o->read_bytes = 12345;
  o->split_bytes = 1 << 20;
  o->parser = WEFT_CSV_PARSER_LIBCSV;
  return o;
}

static WeftPlan *
emp_scan (void)
{
  g_autoptr(WeftSchema) schema = emp_schema ();
  g_autoptr(WeftCsvOptions) o = scan_options ();
  const char *files[] = { "/data/emp-1.csv", "/data/emp 2.csv", NULL };
  return weft_plan_csv_scan (files, o, schema);
}

static WeftPlan *
emp_local (void)
{
  return weft_plan_rows (emp_rows (), 3);
}

/* @child with @exprs (transfer full), resolved. */
static WeftPlan *
project (WeftPlan *child, WeftExpr **exprs, guint n)
{
  g_autoptr(GError) error = NULL;
  WeftPlan *p = weft_plan_project (child, exprs, n, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < n; i++)
    weft_expr_unref (exprs[i]);
  return p;
}

static WeftPlan *
filter (WeftPlan *child, WeftExpr *condition)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WeftExpr) c = condition;
  WeftPlan *p = weft_plan_filter (child, c, &error);
  g_assert_no_error (error);
  return p;
}

static WeftPlan *
optimized (WeftPlan *plan)
{
  g_autoptr(WeftPlan) p = plan;
  g_autoptr(GError) error = NULL;
  WeftPlan *o = weft_optimize (p, &error);
  g_assert_no_error (error);
  return o;
}

/* Every expression kind, operator and function, implicit casts, a shared subtree. */
static GPtrArray *
every_expr (void)
{
  GPtrArray *e = g_ptr_array_new ();
#define ADD(x) g_ptr_array_add (e, (x))
  ADD (C ("name"));
  ADD (weft_expr_alias (I (-7), "seven"));
  ADD (weft_expr_alias (D (-0.0), "negzero"));
  ADD (weft_expr_alias (D (NAN), "nan"));
  ADD (weft_expr_alias (weft_expr_lit_string_len ("a\0b'\\", 5), "bytes"));
  ADD (weft_expr_alias (weft_expr_lit_bool (TRUE), "yes"));
  ADD (weft_expr_alias (weft_expr_lit_date (day ("1969-07-20")), "moon"));
  ADD (weft_expr_alias (weft_expr_lit_null (), "nothing"));
  ADD (BIN (ADD, C ("age"), I (1)));
  ADD (BIN (SUB, C ("age"), C ("salary")));
  ADD (BIN (MUL, C ("age"), I (2)));
  ADD (BIN (DIV, C ("salary"), C ("age")));
  ADD (BIN (MOD, C ("age"), I (7)));
  ADD (UN (NEG, C ("age")));
  ADD (UN (NEG, C ("salary")));
  ADD (BIN (EQ, C ("note"), C ("hired")));
  ADD (BIN (NE, C ("dept"), S ("Eng")));
  ADD (BIN (LT, C ("age"), D (40.5)));
  ADD (BIN (LE, C ("hired"), weft_expr_lit_date (day ("2001-01-01"))));
  ADD (BIN (GT, C ("name"), S ("b")));
  ADD (BIN (GE, C ("active"), weft_expr_lit_bool (FALSE)));
  ADD (BIN (AND, C ("active"), BIN (GT, C ("age"), I (30))));
  ADD (BIN (OR, C ("active"), UN (IS_NULL, C ("note"))));
  ADD (UN (NOT, C ("active")));
  ADD (UN (IS_NOT_NULL, C ("age")));
  {
    WeftExpr *v[] = { I (30), I (45), D (61.0) };
    ADD (weft_expr_in (C ("age"), v, 3));
  }
  {
    WeftExpr *v[] = { S ("Eng"), S ("Ops"), weft_expr_lit_null () };
    ADD (weft_expr_in (C ("dept"), v, 3));
  }
  ADD (weft_expr_like (C ("name"), "A%"));
  ADD (weft_expr_like (C ("name"), "%b"));
  ADD (weft_expr_like (C ("name"), "%ll%"));
  ADD (weft_expr_like (C ("name"), "_o\\%%"));
  ADD (weft_expr_like (C ("name"), "Alice"));
  ADD (weft_expr_like (C ("dept"), "%"));
  ADD (CALL ("upper", C ("name")));
  ADD (CALL ("lower", C ("dept")));
  ADD (CALL ("length", C ("name")));
  ADD (CALL ("substring", C ("name"), I (2)));
  ADD (CALL ("substring", C ("name"), I (-3), I (2)));
  ADD (CALL ("year", C ("hired")));
  ADD (CALL ("month", C ("note")));
  ADD (CALL ("coalesce", C ("age"), C ("salary")));
  ADD (CALL ("coalesce", C ("note"), C ("dept"), C ("name")));
  ADD (CALL ("abs", C ("age")));
  ADD (CALL ("abs", C ("salary")));
  ADD (CALL ("round", C ("salary")));
  ADD (CALL ("round", C ("salary"), I (-2)));
  ADD (CALL ("concat", C ("name"), C ("age"), C ("hired"), C ("active")));
  ADD (weft_expr_cast (C ("age"), WEFT_DATA_TYPE_STRING));
  ADD (weft_expr_cast (C ("note"), WEFT_DATA_TYPE_INT64));
  ADD (weft_expr_cast (C ("salary"), WEFT_DATA_TYPE_INT64));
  ADD (weft_expr_cast (C ("active"), WEFT_DATA_TYPE_DOUBLE));
  ADD (weft_expr_cast (C ("note"), WEFT_DATA_TYPE_DATE));
  ADD (weft_expr_cast (C ("hired"), WEFT_DATA_TYPE_STRING));
  ADD (weft_expr_cast (C ("age"), WEFT_DATA_TYPE_BOOL));
  ADD (weft_expr_alias (CALL ("coalesce", weft_expr_cast (C ("note"), WEFT_DATA_TYPE_INT64),
                              BIN (MUL, C ("age"), I (-1))), "nested"));
  /* The literal 25 is one node under both comparisons (resolution shares literals). */
  ADD (weft_expr_between (I (25), C ("age"), BIN (ADD, C ("age"), I (10))));
#undef ADD
  return e;
}

static WeftPlan *
q_every_expr (void)
{
  g_autoptr(GPtrArray) e = every_expr ();
  g_autoptr(WeftPlan) local = emp_local ();
  return optimized (project (local, (WeftExpr **) e->pdata, e->len));
}

static WeftPlan *
q_scan_filter_project (void)
{
  g_autoptr(WeftPlan) scan = emp_scan ();
  WeftPlan *f = filter (scan, BIN (AND, BIN (GT, C ("age"), I (30)),
                                   weft_expr_like (C ("dept"), "E%")));
  WeftExpr *e[] = { C ("name"), CALL ("upper", C ("name")),
                    weft_expr_alias (BIN (MUL, C ("salary"), D (1.1)), "raise") };
  g_autoptr(WeftPlan) fp = f;
  return optimized (project (fp, e, G_N_ELEMENTS (e)));
}

static WeftPlan *
q_aggregate (void)
{
  g_autoptr(WeftPlan) scan = emp_scan ();
  WeftExpr *keys[] = { C ("dept"), CALL ("year", C ("hired")) };
  WeftPlanAggSpec aggs[] = {
    { WEFT_AGG_COUNT_STAR, NULL, NULL },
    { WEFT_AGG_COUNT, C ("age"), NULL },
    { WEFT_AGG_COUNT_DISTINCT, C ("name"), NULL },
    { WEFT_AGG_SUM, C ("salary"), NULL },
    { WEFT_AGG_AVG, C ("age"), "mean_age" },
    { WEFT_AGG_MIN, C ("hired"), NULL },
    { WEFT_AGG_MAX, C ("name"), "last" },
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(WeftPlan) agg = weft_plan_aggregate (scan, keys, 2, aggs, G_N_ELEMENTS (aggs), &error);
  g_assert_no_error (error);
  for (guint i = 0; i < 2; i++)
    weft_expr_unref (keys[i]);
  for (guint i = 0; i < G_N_ELEMENTS (aggs); i++)
    if (aggs[i].input)
      weft_expr_unref (aggs[i].input);
  return optimized (filter (agg, BIN (GT, C ("count(1)"), I (1))));
}

static WeftPlan *
q_distinct (void)
{
  g_autoptr(WeftPlan) scan = emp_scan ();
  WeftExpr *e[] = { C ("dept") };
  g_autoptr(WeftPlan) p = project (scan, e, 1);
  return optimized (weft_plan_distinct (p));
}

static WeftPlan *
q_sort_limit (void)
{
  g_autoptr(WeftPlan) scan = emp_scan ();
  WeftPlanSortKey keys[] = { { C ("salary"), TRUE, TRUE }, { CALL ("lower", C ("name")), FALSE, FALSE } };
  g_autoptr(GError) error = NULL;
  g_autoptr(WeftPlan) sort = weft_plan_sort (scan, keys, 2, &error);
  g_assert_no_error (error);
  weft_expr_unref (keys[0].expr);
  weft_expr_unref (keys[1].expr);
  return optimized (weft_plan_limit (sort, 10));
}

static WeftPlan *
q_partitions (void)
{
  g_autoptr(WeftPlan) scan = emp_scan ();
  WeftExpr *keys[] = { C ("dept"), BIN (MOD, C ("age"), I (3)) };
  g_autoptr(GError) error = NULL;
  g_autoptr(WeftPlan) hashed = weft_plan_repartition_by (scan, 8, keys, 2, &error);
  g_assert_no_error (error);
  weft_expr_unref (keys[0]);
  weft_expr_unref (keys[1]);
  g_autoptr(WeftPlan) robin = weft_plan_repartition (hashed, 3);
  return optimized (weft_plan_coalesce (robin, 2));
}

static WeftPlan *
q_join (WeftJoinType type, gboolean using)
{
  g_autoptr(WeftPlan) scan = emp_scan ();
  g_autoptr(WeftPlan) local = emp_local ();
  WeftExpr *le[] = { C ("dept"), C ("name"), C ("age") };
  WeftExpr *re[] = { C ("dept"), C ("name"), C ("salary"), C ("active") };
  g_autoptr(WeftPlan) left = project (scan, le, G_N_ELEMENTS (le));
  g_autoptr(WeftPlan) right = project (local, re, G_N_ELEMENTS (re));
  g_autoptr(GError) error = NULL;
  WeftPlan *j;
  if (using)
    {
      const char *cols[] = { "dept", "name" };
      j = weft_plan_join_using (left, right, cols, 2, type, &error);
    }
  else
    {
      /* age (bigint) against salary (double): keys compare as doubles. */
      WeftExpr *lk[] = { C ("dept"), C ("age") };
      WeftExpr *rk[] = { CALL ("upper", C ("dept")), C ("salary") };
      j = weft_plan_join (left, right, lk, rk, 2, type, &error);
      for (guint i = 0; i < 2; i++)
        {
          weft_expr_unref (lk[i]);
          weft_expr_unref (rk[i]);
        }
    }
  g_assert_no_error (error);
  g_autoptr(WeftPlan) jj = j;
  return optimized (filter (jj, UN (IS_NOT_NULL, C ("age"))));
}

static WeftPlan *
q_union (void)
{
  g_autoptr(WeftPlan) scan = emp_scan ();
  g_autoptr(WeftPlan) local = emp_local ();
  WeftExpr *a[] = { C ("age"), C ("name") };
  WeftExpr *b[] = { C ("salary"), C ("dept") };
  g_autoptr(WeftPlan) l = project (scan, a, 2);
  g_autoptr(WeftPlan) r = project (local, b, 2);
  g_autoptr(GError) error = NULL;
  WeftPlan *u = weft_plan_union (l, r, &error);
  g_assert_no_error (error);
  return optimized (u);
}

/* A fragment as a driver makes it: a stub already in the plan. */
static WeftPlan *
q_stub (void)
{
  g_autoptr(WeftSchema) schema = emp_schema ();
  g_autoptr(WeftPlan) stub = weft_plan_stub (schema);
  WeftExpr *e[] = { C ("name"), BIN (ADD, C ("age"), I (1)) };
  g_autoptr(WeftPlan) p = project (stub, e, 2);
  return optimized (weft_plan_limit (p, 5));
}

/* ---- Tasks over plans ------------------------------------------------------------------------ */

/* Unique nodes of @plan, children first. */
static void
collect (const WeftPlan *p, GPtrArray *out)
{
  if (g_ptr_array_find (out, p, NULL))
    return;
  if (p->child)
    collect (p->child, out);
  if (p->right)
    collect (p->right, out);
  g_ptr_array_add (out, (gpointer) p);
}

static WeftMapOutput *
map_output (guint shuffle, guint map)
{
  WeftMapOutput *o = g_new0 (WeftMapOutput, 1);
  o->shuffle_id = shuffle;
  o->map_id = map;
  o->executor_id = g_strdup_printf ("exec-%u", map);
  o->host = g_strdup ("10.0.0.7");
  o->port = 40000 + map;
  o->data_path = g_strdup_printf ("/tmp/shuffle_%u_%u.data", shuffle, map);
  o->n_sizes = 3;
  o->sizes = g_new (guint64, 3);
  o->sizes[0] = 0;
  o->sizes[1] = G_GUINT64_CONSTANT (1) << 40;
  o->sizes[2] = 17;
  return o;
}

/* A task of @kind over @root (a reference is taken) with an info on every node of the whole
 * plan, inputs and, for WRITE_CSV, write options. */
static WeftTask *
make_task (WeftTaskKind kind, WeftPlan *root, guint side)
{
  WeftTask *t = weft_task_new (kind);
  t->task_id = G_GUINT64_CONSTANT (0xfedcba9876543210);
  t->job_id = 3;
  t->stage_id = 7;
  t->stage_attempt = 1;
  t->partition = 2;
  t->attempt = 4;
  t->epoch = -5;
  t->plan = weft_plan_ref (root);
  t->side = side;
  t->memory = (gsize) 3 << 30;
  g_autoptr(GPtrArray) nodes = g_ptr_array_new ();
  collect (root, nodes);
  for (guint i = 0; i < nodes->len; i++)
    {
      WeftPlan *p = nodes->pdata[i];
      WeftNodeInfo *info = weft_node_info_new (i + 1);
      if (weft_plan_is_exchange (p))
        info->shuffle_id = (gint) (10 + i);
      if (p->kind == WEFT_PLAN_JOIN)
        info->right_shuffle_id = (gint) (100 + i);
      if (p->kind == WEFT_PLAN_CSV_SCAN)
        {
          info->splits = g_ptr_array_new_with_free_func ((GDestroyNotify) weft_csv_split_free);
          for (guint s = 0; s < 3; s++)
            g_ptr_array_add (info->splits, weft_csv_split_new (p->files[s % 2], s * 1000, 999 + s));
        }
      weft_task_set_info (t, p, info);
    }
  g_ptr_array_add (t->inputs, map_output (4, 0));
  g_ptr_array_add (t->inputs, map_output (4, 1));
  if (kind == WEFT_TASK_WRITE_CSV)
    {
      t->write_path = g_strdup ("/out/_temporary/0/part-00002");
      t->write_options = weft_csv_write_options_new ();
      static const char *const set[][2] = {
        { "header", "true" }, { "sep", "|" }, { "nullValue", "\\N" }, { "emptyValue", "<>" },
        { "quoteAll", "true" }, { "escapeQuotes", "false" }, { "dateFormat", "yyyy/MM/dd" },
        { "lineSep", "\r\n" }, { "ignoreLeadingWhiteSpace", "false" },
      };
      for (guint i = 0; i < G_N_ELEMENTS (set); i++)
        g_assert_true (weft_csv_write_options_set (t->write_options, set[i][0], set[i][1], NULL));
      t->write_options->buffer_bytes = 4096;
    }
  return t;
}

static WeftTask *
round_trip (const WeftTask *task)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = weft_task_encode (task, &error);
  g_assert_no_error (error);
  WeftTask *back = weft_task_decode (bytes, &error);
  g_assert_no_error (error);
  g_assert_nonnull (back);
  /* Encoding what was decoded gives the same bytes. */
  g_autoptr(GBytes) again = weft_task_encode (back, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (bytes, again));
  return back;
}

/* ---- Comparison ------------------------------------------------------------------------------ */

static void
assert_expr_same (const WeftExpr *a, const WeftExpr *b)
{
  g_assert_true (weft_expr_equal (a, b));
  g_assert_cmpint (weft_expr_get_kind (a), ==, weft_expr_get_kind (b));
  g_assert_cmpint (weft_expr_get_type (a), ==, weft_expr_get_type (b));
  g_assert_cmpint (weft_expr_get_nullable (a), ==, weft_expr_get_nullable (b));
  g_assert_cmpint (weft_expr_is_resolved (a), ==, weft_expr_is_resolved (b));
  g_assert_cmpint (weft_expr_get_column (a), ==, weft_expr_get_column (b));
  g_assert_cmpstr (weft_expr_get_name (a), ==, weft_expr_get_name (b));
  g_autofree char *sa = weft_expr_to_string (a);
  g_autofree char *sb = weft_expr_to_string (b);
  g_assert_cmpstr (sa, ==, sb);
  g_autofree char *na = weft_expr_name (a);
  g_autofree char *nb = weft_expr_name (b);
  g_assert_cmpstr (na, ==, nb);
  g_assert_cmpuint (weft_expr_get_n_children (a), ==, weft_expr_get_n_children (b));
  for (guint i = 0; i < weft_expr_get_n_children (a); i++)
    assert_expr_same (weft_expr_get_child (a, i), weft_expr_get_child (b, i));
}

static void
assert_exprs_same (const GPtrArray *a, const GPtrArray *b)
{
  g_assert_true ((a == NULL) == (b == NULL));
  if (a == NULL)
    return;
  g_assert_cmpuint (a->len, ==, b->len);
  for (guint i = 0; i < a->len; i++)
    assert_expr_same (a->pdata[i], b->pdata[i]);
}

static void
assert_schema_same (const WeftSchema *a, const WeftSchema *b)
{
  g_autofree char *sa = weft_schema_to_string (a);
  g_autofree char *sb = weft_schema_to_string (b);
  g_assert_cmpstr (sa, ==, sb);
  g_assert_true (weft_schema_equal (a, b));
}

static void
assert_csv_options_same (const WeftCsvOptions *a, const WeftCsvOptions *b)
{
  g_assert_cmpint (a->header, ==, b->header);
  g_assert_cmpint (a->infer_schema, ==, b->infer_schema);
  g_assert_cmpint (a->sep, ==, b->sep);
  g_assert_cmpint (a->quote, ==, b->quote);
  g_assert_cmpint (a->escape, ==, b->escape);
  g_assert_cmpint (a->comment, ==, b->comment);
  g_assert_cmpstr (a->null_value, ==, b->null_value);
  g_assert_cmpint (a->multi_line, ==, b->multi_line);
  g_assert_cmpstr (a->date_format, ==, b->date_format);
  g_assert_cmpmem (&a->date_parser, sizeof a->date_parser, &b->date_parser, sizeof b->date_parser);
  g_assert_cmpint (a->mode, ==, b->mode);
  g_assert_cmpstr (a->corrupt_record_column, ==, b->corrupt_record_column);
  g_assert_cmpuint (a->batch_rows, ==, b->batch_rows);
  g_assert_cmpint (a->split_bytes, ==, b->split_bytes);
  g_assert_cmpuint (a->read_bytes, ==, b->read_bytes);
  g_assert_cmpuint (a->max_record_bytes, ==, b->max_record_bytes);
  g_assert_cmpint (a->parser, ==, b->parser);
}

static void
assert_write_options_same (const WeftCsvWriteOptions *a, const WeftCsvWriteOptions *b)
{
  g_assert_true ((a == NULL) == (b == NULL));
  if (a == NULL)
    return;
  g_assert_cmpint (a->header, ==, b->header);
  g_assert_cmpint (a->sep, ==, b->sep);
  g_assert_cmpint (a->quote, ==, b->quote);
  g_assert_cmpint (a->escape, ==, b->escape);
  g_assert_cmpstr (a->null_value, ==, b->null_value);
  g_assert_cmpstr (a->empty_value, ==, b->empty_value);
  g_assert_cmpint (a->quote_all, ==, b->quote_all);
  g_assert_cmpint (a->escape_quotes, ==, b->escape_quotes);
  g_assert_cmpint (a->ignore_leading_white_space, ==, b->ignore_leading_white_space);
  g_assert_cmpint (a->ignore_trailing_white_space, ==, b->ignore_trailing_white_space);
  g_assert_cmpstr (a->date_format, ==, b->date_format);
  g_assert_cmpmem (&a->date_printer, sizeof a->date_printer, &b->date_printer, sizeof b->date_printer);
  g_assert_cmpstr (a->line_sep, ==, b->line_sep);
  g_assert_cmpuint (a->buffer_bytes, ==, b->buffer_bytes);
}

static void
assert_info_same (const WeftNodeInfo *a, const WeftNodeInfo *b)
{
  g_assert_true ((a == NULL) == (b == NULL));
  if (a == NULL)
    return;
  g_assert_cmpuint (a->n_partitions, ==, b->n_partitions);
  g_assert_cmpint (a->shuffle_id, ==, b->shuffle_id);
  g_assert_cmpint (a->right_shuffle_id, ==, b->right_shuffle_id);
  g_assert_true ((a->splits == NULL) == (b->splits == NULL));
  for (guint i = 0; a->splits && i < a->splits->len; i++)
    {
      const WeftCsvSplit *x = a->splits->pdata[i], *y = b->splits->pdata[i];
      g_assert_cmpuint (a->splits->len, ==, b->splits->len);
      g_assert_cmpstr (x->path, ==, y->path);
      g_assert_cmpint (x->start, ==, y->start);
      g_assert_cmpint (x->length, ==, y->length);
    }
}

static void
assert_map_output_same (const WeftMapOutput *a, const WeftMapOutput *b)
{
  g_assert_true ((a == NULL) == (b == NULL));
  if (a == NULL)
    return;
  g_assert_cmpuint (a->shuffle_id, ==, b->shuffle_id);
  g_assert_cmpuint (a->map_id, ==, b->map_id);
  g_assert_cmpstr (a->executor_id, ==, b->executor_id);
  g_assert_cmpstr (a->host, ==, b->host);
  g_assert_cmpuint (a->port, ==, b->port);
  g_assert_cmpstr (a->data_path, ==, b->data_path);
  g_assert_cmpmem (a->sizes, a->n_sizes * sizeof (guint64), b->sizes, b->n_sizes * sizeof (guint64));
}

/* The fields of @a's kind equal @b's. */
static void
assert_fields_same (const WeftPlan *a, const WeftPlan *b)
{
  switch (a->kind)
    {
    case WEFT_PLAN_CSV_SCAN:
      g_assert_true (g_strv_equal ((const char *const *) a->files, (const char *const *) b->files));
      assert_csv_options_same (a->csv, b->csv);
      assert_schema_same (a->file_schema, b->file_schema);
      g_assert_cmpmem (a->projection, a->n_projection * sizeof (guint), b->projection,
                       b->n_projection * sizeof (guint));
      g_assert_true ((a->pushed == NULL) == (b->pushed == NULL));
      if (a->pushed)
        assert_expr_same (a->pushed, b->pushed);
      break;
    case WEFT_PLAN_ROWS:
      g_assert_true (weft_batch_equal (a->rows, b->rows));
      g_assert_cmpuint (a->n_partitions, ==, b->n_partitions);
      break;
    case WEFT_PLAN_FILTER:
      assert_expr_same (a->predicate, b->predicate);
      break;
    case WEFT_PLAN_AGGREGATE:
      g_assert_cmpuint (a->aggs->len, ==, b->aggs->len);
      for (guint i = 0; i < a->aggs->len; i++)
        {
          const WeftPlanAgg *x = a->aggs->pdata[i], *y = b->aggs->pdata[i];
          g_assert_cmpint (x->func, ==, y->func);
          g_assert_cmpstr (x->name, ==, y->name);
          g_assert_true ((x->input == NULL) == (y->input == NULL));
          if (x->input)
            assert_expr_same (x->input, y->input);
        }
      /* fall through */
    case WEFT_PLAN_PROJECT:
      assert_exprs_same (a->exprs, b->exprs);
      break;
    case WEFT_PLAN_SORT:
      g_assert_cmpuint (a->sort_keys->len, ==, b->sort_keys->len);
      for (guint i = 0; i < a->sort_keys->len; i++)
        {
          const WeftPlanSortKey *x = &g_array_index (a->sort_keys, WeftPlanSortKey, i);
          const WeftPlanSortKey *y = &g_array_index (b->sort_keys, WeftPlanSortKey, i);
          assert_expr_same (x->expr, y->expr);
          g_assert_cmpint (x->descending, ==, y->descending);
          g_assert_cmpint (x->nulls_first, ==, y->nulls_first);
        }
      break;
    case WEFT_PLAN_LIMIT:
      g_assert_cmpint (a->limit, ==, b->limit);
      break;
    case WEFT_PLAN_COALESCE:
    case WEFT_PLAN_REPARTITION:
      g_assert_cmpuint (a->n_partitions, ==, b->n_partitions);
      assert_exprs_same (a->exprs, b->exprs);
      break;
    case WEFT_PLAN_JOIN:
      g_assert_cmpint (a->join_type, ==, b->join_type);
      g_assert_cmpint (a->using_keys, ==, b->using_keys);
      assert_exprs_same (a->exprs, b->exprs);
      assert_exprs_same (a->right_exprs, b->right_exprs);
      g_assert_cmpmem (a->join_out->data, a->join_out->len * sizeof (WeftPlanJoinOut),
                       b->join_out->data, b->join_out->len * sizeof (WeftPlanJoinOut));
      break;
    case WEFT_PLAN_UNION:
    case WEFT_PLAN_STUB:
      break;
    }
}

/* @got is @want as @ot's fragment sends it: the test's own statement of the cut rule. */
static void
assert_node_sent (const WeftTask *ot, const WeftPlan *want, const WeftTask *dt, const WeftPlan *got,
                  gboolean as_stub)
{
  assert_schema_same (want->schema, got->schema);
  if (as_stub && want->kind != WEFT_PLAN_STUB)
    {
      g_assert_cmpint (got->kind, ==, WEFT_PLAN_STUB);
      g_assert_null (got->child);
      g_assert_null (weft_task_get_info (dt, got));
      return;
    }
  g_assert_cmpint (got->kind, ==, want->kind);
  assert_fields_same (want, got);
  assert_info_same (weft_task_get_info (ot, want), weft_task_get_info (dt, got));
  gboolean cut = weft_plan_is_exchange (want);
  gboolean map_root = ot->kind == WEFT_TASK_SHUFFLE_MAP && want == ot->plan;
  const WeftPlan *w[2] = { want->child, want->right }, *g[2] = { got->child, got->right };
  for (guint side = 0; side < 2; side++)
    {
      g_assert_true ((w[side] == NULL) == (g[side] == NULL));
      if (w[side])
        assert_node_sent (ot, w[side], dt, g[side], cut && !(map_root && ot->side == side));
    }
}

/* The fragment @t sends, built from copies of @p's nodes and stubs. */
static WeftPlan *
expected_fragment (const WeftTask *t, const WeftPlan *p, gboolean as_stub)
{
  if (as_stub && p->kind != WEFT_PLAN_STUB)
    return weft_plan_stub (p->schema);
  WeftPlan *c = weft_plan_copy_node (p);
  gboolean cut = weft_plan_is_exchange (p);
  gboolean map_root = t->kind == WEFT_TASK_SHUFFLE_MAP && p == t->plan;
  if (c->child)
    {
      weft_plan_unref (c->child);
      c->child = expected_fragment (t, p->child, cut && !(map_root && t->side == 0));
    }
  if (c->right)
    {
      weft_plan_unref (c->right);
      c->right = expected_fragment (t, p->right, cut && !(map_root && t->side == 1));
    }
  return c;
}

static void
assert_task_sent (const WeftTask *a, const WeftTask *b)
{
  g_assert_cmpuint (a->task_id, ==, b->task_id);
  g_assert_cmpuint (a->job_id, ==, b->job_id);
  g_assert_cmpuint (a->stage_id, ==, b->stage_id);
  g_assert_cmpuint (a->stage_attempt, ==, b->stage_attempt);
  g_assert_cmpuint (a->partition, ==, b->partition);
  g_assert_cmpuint (a->attempt, ==, b->attempt);
  g_assert_cmpint (a->epoch, ==, b->epoch);
  g_assert_cmpint (a->kind, ==, b->kind);
  g_assert_cmpuint (a->side, ==, b->side);
  g_assert_cmpuint (a->memory, ==, b->memory);
  g_assert_cmpstr (a->write_path, ==, b->write_path);
  assert_write_options_same (a->write_options, b->write_options);
  g_assert_cmpuint (a->inputs->len, ==, b->inputs->len);
  for (guint i = 0; i < a->inputs->len; i++)
    assert_map_output_same (a->inputs->pdata[i], b->inputs->pdata[i]);
  assert_node_sent (a, a->plan, b, b->plan, FALSE);
  /* Every decoded node has an info only if it was sent with one. */
  g_autoptr(GPtrArray) nodes = g_ptr_array_new ();
  collect (b->plan, nodes);
  guint with_info = 0;
  for (guint i = 0; i < nodes->len; i++)
    with_info += weft_task_get_info (b, nodes->pdata[i]) != NULL;
  g_assert_cmpuint (g_hash_table_size (b->info), ==, with_info);
  g_autoptr(WeftPlan) want = expected_fragment (a, a->plan, FALSE);
  g_autofree char *want_text = weft_plan_to_string (want);
  g_autofree char *text = weft_plan_to_string (b->plan);
  g_assert_cmpstr (text, ==, want_text);
}

/* Every task a driver could make over @plan: the result, a map task per exchange side, a write. */
static void
check_plan_tasks (const char *label, WeftPlan *plan, guint *kinds_seen)
{
  g_autoptr(GPtrArray) nodes = g_ptr_array_new ();
  collect (plan, nodes);
  g_test_message ("%s: %u nodes", label, nodes->len);
  for (guint i = 0; i < nodes->len; i++)
    {
      const WeftPlan *p = nodes->pdata[i];
      *kinds_seen |= 1u << p->kind;
      if (!weft_plan_is_exchange (p))
        continue;
      for (guint side = 0; side < (p->kind == WEFT_PLAN_JOIN ? 2u : 1u); side++)
        {
          g_autoptr(WeftTask) t = make_task (WEFT_TASK_SHUFFLE_MAP, (WeftPlan *) p, side);
          g_autoptr(WeftTask) back = round_trip (t);
          assert_task_sent (t, back);
        }
    }
  WeftTaskKind ends[] = { WEFT_TASK_RESULT, WEFT_TASK_WRITE_CSV };
  for (guint i = 0; i < G_N_ELEMENTS (ends); i++)
    {
      g_autoptr(WeftTask) t = make_task (ends[i], plan, 0);
      g_autoptr(WeftTask) back = round_trip (t);
      assert_task_sent (t, back);
      if (weft_plan_is_exchange (plan))
        continue;
      /* Without an exchange the result task's fragment is the whole plan. */
      gboolean any = FALSE;
      for (guint k = 0; k < nodes->len; k++)
        any |= weft_plan_is_exchange (nodes->pdata[k]);
      g_autofree char *a = weft_plan_to_string (plan);
      g_autofree char *b = weft_plan_to_string (back->plan);
      if (!any)
        g_assert_cmpstr (a, ==, b);
      else
        g_assert_cmpstr (a, !=, b);
    }
}

/* ---- Round trips ------------------------------------------------------------------------------ */

static void
test_every_kind (void)
{
  static const struct {
    const char *name;
    WeftPlan *(*build) (void);
  } queries[] = {
    { "every-expr", q_every_expr }, { "scan-filter-project", q_scan_filter_project },
    { "aggregate", q_aggregate }, { "distinct", q_distinct }, { "sort-limit", q_sort_limit },
    { "partitions", q_partitions }, { "union", q_union }, { "stub", q_stub },
  };
  guint seen = 0;
  for (guint i = 0; i < G_N_ELEMENTS (queries); i++)
    {
      g_autoptr(WeftPlan) plan = queries[i].build ();
      check_plan_tasks (queries[i].name, plan, &seen);
    }
  for (guint t = WEFT_JOIN_INNER; t <= WEFT_JOIN_LEFT_ANTI; t++)
    for (guint using = 0; using < 2; using++)
      {
        g_autoptr(WeftPlan) plan = q_join ((WeftJoinType) t, using);
        check_plan_tasks (weft_join_type_name ((WeftJoinType) t), plan, &seen);
      }
  for (guint k = WEFT_PLAN_CSV_SCAN; k <= WEFT_PLAN_STUB; k++)
    if (!(seen & (1u << k)))
      g_error ("no plan of kind %u was tried", k);
}

/* The scan's options, pushed filter and pruned projection arrive; the plan prints the same. */
static void
test_scan (void)
{
  g_autoptr(WeftPlan) plan = q_scan_filter_project ();
  const WeftPlan *scan = plan->child;
  g_assert_cmpint (scan->kind, ==, WEFT_PLAN_CSV_SCAN);
  g_assert_nonnull (scan->pushed);
  g_assert_cmpuint (scan->n_projection, <, weft_schema_get_n_fields (scan->file_schema));
  g_autoptr(WeftTask) t = make_task (WEFT_TASK_RESULT, plan, 0);
  g_autoptr(WeftTask) back = round_trip (t);
  assert_task_sent (t, back);
  g_autofree char *a = weft_plan_to_string (plan);
  g_autofree char *b = weft_plan_to_string (back->plan);
  g_assert_cmpstr (a, ==, b);
  g_assert_nonnull (strstr (b, "PushedFilter"));

  /* Schema inference of one split: the scan alone. */
  g_autoptr(WeftTask) infer = make_task (WEFT_TASK_INFER_CSV, (WeftPlan *) scan, 0);
  g_autoptr(WeftTask) infer_back = round_trip (infer);
  assert_task_sent (infer, infer_back);
  g_assert_cmpuint (weft_task_get_info (infer_back, infer_back->plan)->splits->len, ==, 3);
}

/* Decoded expressions evaluate as the originals, on rows with nulls, NaN and NUL bytes. */
static void
test_expr_eval (void)
{
  g_autoptr(WeftPlan) plan = q_every_expr ();
  g_assert_cmpint (plan->kind, ==, WEFT_PLAN_PROJECT);
  g_autoptr(WeftTask) t = make_task (WEFT_TASK_RESULT, plan, 0);
  g_autoptr(WeftTask) back = round_trip (t);
  g_autoptr(WeftBatch) rows = emp_rows ();
  g_autoptr(GPtrArray) ops = g_ptr_array_new ();
  guint shared = 0;
  g_assert_cmpuint (plan->exprs->len, ==, back->plan->exprs->len);
  for (guint i = 0; i < plan->exprs->len; i++)
    {
      const WeftExpr *a = plan->exprs->pdata[i], *b = back->plan->exprs->pdata[i];
      g_autoptr(GError) error = NULL;
      g_autoptr(WeftColumn) ca = weft_expr_eval (a, rows, &error);
      g_assert_no_error (error);
      g_autoptr(WeftColumn) cb = weft_expr_eval (b, rows, &error);
      g_assert_no_error (error);
      g_assert_true (weft_column_equal (ca, cb));
      g_assert_cmpuint (ca->length, ==, 6);
      /* A shared subtree stays shared. */
      if (weft_expr_get_n_children (a) == 2
          && weft_expr_get_n_children (weft_expr_get_child (a, 0)) > 0
          && weft_expr_get_n_children (weft_expr_get_child (a, 1)) > 0
          && weft_expr_get_child (weft_expr_get_child (a, 0), 0)
               == weft_expr_get_child (weft_expr_get_child (a, 1), 0))
        {
          g_assert_true (weft_expr_get_child (weft_expr_get_child (b, 0), 0)
                         == weft_expr_get_child (weft_expr_get_child (b, 1), 0));
          shared++;
        }
      g_ptr_array_add (ops, GINT_TO_POINTER (weft_expr_get_op (a)));
    }
  g_assert_cmpuint (shared, ==, 1);
  /* Filters select the same rows. */
  for (guint i = 0; i < plan->exprs->len; i++)
    {
      const WeftExpr *a = plan->exprs->pdata[i], *b = back->plan->exprs->pdata[i];
      if (weft_expr_get_type (a) != WEFT_DATA_TYPE_BOOL)
        continue;
      g_autoptr(WeftSelection) sa = weft_expr_eval_filter (a, rows, NULL);
      g_autoptr(WeftSelection) sb = weft_expr_eval_filter (b, rows, NULL);
      g_assert_cmpmem (sa->rows, sa->n * sizeof *sa->rows, sb->rows, sb->n * sizeof *sb->rows);
    }
  /* Every operator and function was in the plan (as a root or below one). */
  GString *all = g_string_new (NULL);
  for (guint i = 0; i < plan->exprs->len; i++)
    {
      g_autofree char *s = weft_expr_to_string (plan->exprs->pdata[i]);
      g_string_append_printf (all, "%s\n", s);
    }
  static const char *const marks[] = {
    " + ", " - ", " * ", " / ", " % ", "(- ", " = ", "(NOT (", " < ", " <= ", " > ", " >= ",
    " AND ", " OR ", "(NOT active", "IS NULL", "IS NOT NULL", " IN (", " LIKE ", "upper(",
    "lower(", "length(", "substring(", "year(", "month(", "coalesce(", "abs(", "round(",
    "concat(", "CAST(", "cast(", " AS seven", "DATE '",
  };
  for (guint i = 0; i < G_N_ELEMENTS (marks); i++)
    if (strstr (all->str, marks[i]) == NULL)
      g_error ("no expression has \"%s\":\n%s", marks[i], all->str);
  g_string_free (all, TRUE);
}

/* A subtree shared by two inputs is sent once and shared again. */
static void
test_shared (void)
{
  g_autoptr(WeftPlan) scan = emp_scan ();
  g_autoptr(GError) error = NULL;
  g_autoptr(WeftPlan) u = weft_plan_union (scan, scan, &error);
  g_assert_no_error (error);
  g_autoptr(WeftTask) t = make_task (WEFT_TASK_RESULT, u, 0);
  g_autoptr(weftTaskDescription) d = weft_task_to_thrift (t, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (d->plan->operators->len, ==, 2);
  g_autoptr(WeftTask) back = round_trip (t);
  g_assert_true (back->plan->child == back->plan->right);
  assert_task_sent (t, back);
}

/* ---- The cut rule ----------------------------------------------------------------------------- */

static guint
n_operators (const WeftTask *t)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(weftTaskDescription) d = weft_task_to_thrift (t, &error);
  g_assert_no_error (error);
  return d->plan->operators->len;
}

static void
test_cut_result_over_aggregate (void)
{
  g_autoptr(WeftPlan) plan = q_aggregate ();  /* Filter <- Aggregate <- Scan */
  g_assert_cmpint (plan->kind, ==, WEFT_PLAN_FILTER);
  const WeftPlan *agg = plan->child;
  g_assert_cmpint (agg->kind, ==, WEFT_PLAN_AGGREGATE);
  g_autoptr(WeftTask) t = make_task (WEFT_TASK_RESULT, plan, 0);
  g_assert_cmpuint (n_operators (t), ==, 3);
  g_autoptr(WeftTask) back = round_trip (t);
  const WeftPlan *stub = back->plan->child->child;
  g_assert_cmpint (stub->kind, ==, WEFT_PLAN_STUB);
  g_assert_true (weft_schema_equal (stub->schema, agg->child->schema));
  g_assert_null (weft_task_get_info (back, stub));
  g_assert_nonnull (weft_task_get_info (back, back->plan->child));
  g_autofree char *text = weft_plan_to_string (back->plan);
  g_assert_nonnull (strstr (text, "+- ShuffleInput ["));
  g_assert_null (strstr (text, "CsvScan"));
  g_assert_cmpuint (g_hash_table_size (back->info), ==, 2);

  /* The map task of the aggregate sends the scan below it. */
  g_autoptr(WeftTask) m = make_task (WEFT_TASK_SHUFFLE_MAP, (WeftPlan *) agg, 0);
  g_assert_cmpuint (n_operators (m), ==, 2);
  g_autoptr(WeftTask) mback = round_trip (m);
  g_assert_cmpint (mback->plan->child->kind, ==, WEFT_PLAN_CSV_SCAN);
}

static void
test_cut_map_join_side (void)
{
  g_autoptr(WeftPlan) plan = q_join (WEFT_JOIN_LEFT, FALSE);
  const WeftPlan *join = plan->kind == WEFT_PLAN_JOIN ? plan : plan->child;
  g_assert_cmpint (join->kind, ==, WEFT_PLAN_JOIN);
  for (guint side = 0; side < 2; side++)
    {
      g_autoptr(WeftTask) t = make_task (WEFT_TASK_SHUFFLE_MAP, (WeftPlan *) join, side);
      g_autoptr(WeftTask) back = round_trip (t);
      const WeftPlan *full = side == 0 ? back->plan->child : back->plan->right;
      const WeftPlan *stub = side == 0 ? back->plan->right : back->plan->child;
      g_assert_cmpint (stub->kind, ==, WEFT_PLAN_STUB);
      g_assert_cmpint (full->kind, !=, WEFT_PLAN_STUB);
      g_autoptr(GPtrArray) nodes = g_ptr_array_new ();
      collect (back->plan, nodes);
      gboolean has_scan = FALSE, has_rows = FALSE;
      for (guint i = 0; i < nodes->len; i++)
        {
          has_scan |= ((WeftPlan *) nodes->pdata[i])->kind == WEFT_PLAN_CSV_SCAN;
          has_rows |= ((WeftPlan *) nodes->pdata[i])->kind == WEFT_PLAN_ROWS;
        }
      /* The left input reads the CSV files, the right one the local rows. */
      g_assert_cmpint (has_scan, ==, side == 0);
      g_assert_cmpint (has_rows, ==, side == 1);
      assert_task_sent (t, back);
    }
  /* The result task: the join's both inputs are stubs. */
  g_autoptr(WeftTask) r = make_task (WEFT_TASK_RESULT, plan, 0);
  g_autoptr(WeftTask) rback = round_trip (r);
  const WeftPlan *rj = rback->plan->kind == WEFT_PLAN_JOIN ? rback->plan : rback->plan->child;
  g_assert_cmpint (rj->child->kind, ==, WEFT_PLAN_STUB);
  g_assert_cmpint (rj->right->kind, ==, WEFT_PLAN_STUB);
}

/* ---- Outcomes and the struct converters ------------------------------------------------------- */

static WeftTaskOutcome *
full_outcome (void)
{
  WeftTaskOutcome *o = weft_task_outcome_new (G_MAXUINT64, WEFT_TASK_FETCH_FAILED);
  o->executor_id = g_strdup ("exec-9");
  o->message = g_strdup ("fetch failed: connection reset\n\tat line 2");
  o->batches = g_ptr_array_new_with_free_func ((GDestroyNotify) weft_batch_free);
  g_ptr_array_add (o->batches, emp_rows ());
  g_autoptr(WeftSchema) none = weft_schema_new ();
  g_ptr_array_add (o->batches, weft_batch_new (none, NULL, 12));
  g_autoptr(WeftBatch) rows = emp_rows ();
  g_ptr_array_add (o->batches, weft_batch_slice (rows, 2, 0));
  o->map_output = map_output (3, 8);
  /* Every type, and 0: a column of which an inferred split held no value. */
  o->n_types = 6;
  o->types = g_new (WeftDataType, 6);
  for (guint i = 0; i < 6; i++)
    o->types[i] = (WeftDataType) (WEFT_DATA_TYPE_DATE - i);
  o->fetch_shuffle_id = 3;
  o->fetch_map_id = G_MAXUINT;
  o->fetch_executor_id = g_strdup ("exec-2");
  o->metrics = (WeftTaskMetrics) { 1, 2, 3, 4, 5, G_MAXUINT64 };
  return o;
}

static void
assert_outcome_same (const WeftTaskOutcome *a, const WeftTaskOutcome *b)
{
  g_assert_cmpuint (a->task_id, ==, b->task_id);
  g_assert_cmpint (a->state, ==, b->state);
  g_assert_cmpstr (a->executor_id, ==, b->executor_id);
  g_assert_cmpstr (a->message, ==, b->message);
  g_assert_true ((a->batches == NULL) == (b->batches == NULL));
  for (guint i = 0; a->batches && i < a->batches->len; i++)
    {
      g_assert_cmpuint (a->batches->len, ==, b->batches->len);
      g_assert_true (weft_batch_equal (a->batches->pdata[i], b->batches->pdata[i]));
    }
  assert_map_output_same (a->map_output, b->map_output);
  g_assert_true ((a->types == NULL) == (b->types == NULL));
  g_assert_cmpmem (a->types, a->n_types * sizeof (WeftDataType), b->types,
                   b->n_types * sizeof (WeftDataType));
  g_assert_cmpuint (a->fetch_shuffle_id, ==, b->fetch_shuffle_id);
  g_assert_cmpuint (a->fetch_map_id, ==, b->fetch_map_id);
  g_assert_cmpstr (a->fetch_executor_id, ==, b->fetch_executor_id);
  g_assert_cmpmem (&a->metrics, sizeof a->metrics, &b->metrics, sizeof b->metrics);
}

static void
test_outcome (void)
{
  WeftTaskOutcome *cases[] = { full_outcome (), weft_task_outcome_new (1, WEFT_TASK_SUCCEEDED),
                               weft_task_outcome_new (2, WEFT_TASK_KILLED) };
  cases[2]->batches = g_ptr_array_new_with_free_func ((GDestroyNotify) weft_batch_free);
  cases[2]->types = g_new (WeftDataType, 1);   /* no columns: inference of an empty file */
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) bytes = weft_task_outcome_encode (cases[i], &error);
      g_assert_no_error (error);
      g_autoptr(WeftTaskOutcome) back = weft_task_outcome_decode (bytes, &error);
      g_assert_no_error (error);
      assert_outcome_same (cases[i], back);
      /* The struct converters alone. */
      g_autoptr(weftTaskStatus) s = weft_task_outcome_to_thrift (cases[i], &error);
      g_assert_no_error (error);
      g_autoptr(WeftTaskOutcome) back2 = weft_task_outcome_from_thrift (s, &error);
      g_assert_no_error (error);
      assert_outcome_same (cases[i], back2);
      /* A task decoder refuses an outcome. */
      g_autoptr(WeftTask) not_task = weft_task_decode (bytes, &error);
      g_assert_null (not_task);
      g_assert_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_MALFORMED);
      weft_task_outcome_free (cases[i]);
    }
}

static void
test_struct_converters (void)
{
  g_autoptr(WeftPlan) plan = q_join (WEFT_JOIN_FULL, TRUE);
  g_autoptr(WeftTask) t = make_task (WEFT_TASK_WRITE_CSV, plan, 0);
  g_autoptr(GError) error = NULL;
  g_autoptr(weftTaskDescription) d = weft_task_to_thrift (t, &error);
  g_assert_no_error (error);
  g_autoptr(WeftTask) back = weft_task_from_thrift (d, &error);
  g_assert_no_error (error);
  assert_task_sent (t, back);

  g_autoptr(WeftMapOutput) mo = map_output (1, 2);
  weftMapOutput *w = weft_map_output_to_thrift (mo);
  g_autoptr(WeftMapOutput) mo2 = weft_map_output_from_thrift (w, &error);
  g_assert_no_error (error);
  assert_map_output_same (mo, mo2);
  /* Unsigned ids travel as the same bits. */
  mo->shuffle_id = G_MAXUINT;
  mo->port = 0x80000000u;
  g_object_unref (w);
  w = weft_map_output_to_thrift (mo);
  g_clear_pointer (&mo2, weft_map_output_free);
  mo2 = weft_map_output_from_thrift (w, &error);
  g_assert_no_error (error);
  assert_map_output_same (mo, mo2);
  g_array_index (w->sizes, gint64, 1) = -1;
  g_clear_pointer (&mo2, weft_map_output_free);
  mo2 = weft_map_output_from_thrift (w, &error);
  g_assert_null (mo2);
  g_assert_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_MALFORMED);
  g_object_unref (w);
}

/* ---- Hostile bytes ------------------------------------------------------------------------------ */

static GBytes *
encode (const WeftTask *t)
{
  g_autoptr(GError) error = NULL;
  GBytes *b = weft_task_encode (t, &error);
  g_assert_no_error (error);
  return b;
}

/* A task with a bit of everything: scan options and splits, local rows, expressions, a join,
 * inputs and write options. */
static WeftTask *
rich_task (void)
{
  g_autoptr(WeftPlan) plan = q_join (WEFT_JOIN_INNER, FALSE);
  const WeftPlan *join = plan->kind == WEFT_PLAN_JOIN ? plan : plan->child;
  WeftTask *t = make_task (WEFT_TASK_SHUFFLE_MAP, (WeftPlan *) join, 0);
  t->write_options = weft_csv_write_options_new ();
  return t;
}

static void
assert_refused (GBytes *bytes, const char *needle)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WeftTask) t = weft_task_decode (bytes, &error);
  g_assert_null (t);
  g_assert_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_MALFORMED);
  if (needle && strstr (error->message, needle) == NULL)
    g_error ("\"%s\" does not say \"%s\"", error->message, needle);
}

static void
test_truncations (void)
{
  g_autoptr(WeftTask) t = rich_task ();
  g_autoptr(GBytes) bytes = encode (t);
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  g_test_message ("%" G_GSIZE_FORMAT " bytes", len);
  for (gsize n = 0; n < len; n++)
    {
      g_autoptr(GBytes) cut = g_bytes_new (data, n);
      assert_refused (cut, NULL);
    }
  g_autoptr(WeftTaskOutcome) o = full_outcome ();
  g_autoptr(GBytes) ob = weft_task_outcome_encode (o, NULL);
  const guint8 *od = g_bytes_get_data (ob, &len);
  for (gsize n = 0; n < len; n++)
    {
      g_autoptr(GBytes) cut = g_bytes_new (od, n);
      g_autoptr(GError) error = NULL;
      g_autoptr(WeftTaskOutcome) back = weft_task_outcome_decode (cut, &error);
      g_assert_null (back);
      g_assert_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_MALFORMED);
    }
}

/* Random damage is refused or decodes to something that encodes again; it never crashes (run it
 * in the sanitizer build). */
static void
test_byte_flips (void)
{
  g_autoptr(WeftPlan) every = q_every_expr ();
  g_autoptr(WeftPlan) aggregate = q_aggregate ();
  g_autoptr(WeftTask) t1 = rich_task ();
  g_autoptr(WeftTask) t2 = make_task (WEFT_TASK_RESULT, every, 0);
  g_autoptr(WeftTask) t3 = make_task (WEFT_TASK_WRITE_CSV, aggregate, 0);
  GBytes *tasks[] = { encode (t1), encode (t2), encode (t3) };
  g_autoptr(WeftTaskOutcome) o = full_outcome ();
  g_autoptr(GBytes) obytes = weft_task_outcome_encode (o, NULL);
  guint accepted = 0, refused = 0;
  for (guint round = 0; round < 8000; round++)
    {
      gboolean outcome = round % 4 == 3;
      gsize len;
      const guint8 *data = g_bytes_get_data (outcome ? obytes : tasks[round % 4], &len);
      g_autofree guint8 *copy = g_memdup2 (data, len);
      guint n_flips = (guint) g_test_rand_int_range (1, 5);
      for (guint f = 0; f < n_flips; f++)
        {
          gsize at = (gsize) g_test_rand_int_range (0, (gint32) len);
          /* Small values hit counts, kinds, indices and types; any byte hits the rest. */
          copy[at] = g_test_rand_bit () ? (guint8) g_test_rand_int_range (0, 16)
                                        : (guint8) g_test_rand_int_range (0, 256);
        }
      g_autoptr(GBytes) damaged = g_bytes_new (copy, len);
      g_autoptr(GError) error = NULL;
      if (outcome)
        {
          g_autoptr(WeftTaskOutcome) back = weft_task_outcome_decode (damaged, &error);
          if (back)
            {
              g_autoptr(GBytes) again = weft_task_outcome_encode (back, &error);
              g_assert_no_error (error);
            }
          *(back ? &accepted : &refused) += 1;
          continue;
        }
      g_autoptr(WeftTask) back = weft_task_decode (damaged, &error);
      if (back == NULL)
        {
          g_assert_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_MALFORMED);
          refused++;
          continue;
        }
      accepted++;
      g_autofree char *text = weft_plan_to_string (back->plan);
      g_autoptr(GBytes) again = weft_task_encode (back, &error);
      g_assert_no_error (error);
      g_autoptr(WeftTask) back2 = weft_task_decode (again, &error);
      g_assert_no_error (error);
    }
  g_test_message ("%u damaged encodings refused, %u accepted", refused, accepted);
  g_assert_cmpuint (refused, >, 0);
  for (guint i = 0; i < G_N_ELEMENTS (tasks); i++)
    g_bytes_unref (tasks[i]);
}

/* The bytes of a task whose one-input operator names itself, or a later one, as its input. */
static void
test_forward_child (void)
{
  g_autoptr(WeftPlan) scan = emp_scan ();
  g_autoptr(WeftPlan) limit = weft_plan_limit (scan, 3);
  g_autoptr(WeftTask) t = make_task (WEFT_TASK_SHUFFLE_MAP, limit, 0);
  g_autoptr(GBytes) bytes = encode (t);
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  /* Operator.children (field 2, a list of one i32 naming operator 0). */
  static const guint8 children[] = { 0x0f, 0x00, 0x02, 0x08, 0, 0, 0, 1, 0, 0, 0, 0 };
  const guint8 *at = memmem (data, len, children, sizeof children);
  g_assert_nonnull (at);
  g_assert_null (memmem (at + 1, len - (gsize) (at + 1 - data), children, sizeof children));
  static const guint8 bad[] = { 1, 2, 0x7f, 0xff };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree guint8 *copy = g_memdup2 (data, len);
      copy[at - data + sizeof children - 1] = bad[i];
      if (bad[i] == 0xff)
        memset (copy + (at - data) + 8, 0xff, 4); /* -1 */
      g_autoptr(GBytes) b = g_bytes_new (copy, len);
      assert_refused (b, "is not an earlier operator");
    }
}

/* ---- Lies in well-formed structs --------------------------------------------------------------- */

static weftOperator *
op_at (weftTaskDescription *d, gint i)
{
  GPtrArray *ops = d->plan->operators;
  return ops->pdata[i < 0 ? (gint) ops->len + i : i];
}

/* The first expression tree of @op (exprs, predicate or a join's left keys) whose root calls
 * @func (NULL: any root). */
static weftExprTree *
tree_with (weftOperator *op, const char *func)
{
  GPtrArray *trees = op->__isset_join ? op->join->left_keys : op->exprs;
  if (op->__isset_predicate)
    return op->predicate;
  for (guint i = 0; i < trees->len; i++)
    {
      weftExprTree *tree = trees->pdata[i];
      weftExprNode *root = tree->nodes->pdata[tree->nodes->len - 1];
      if (func == NULL || g_strcmp0 (root->func, func) == 0)
        return tree;
    }
  g_error ("no tree calls %s", func);
}

static weftExprNode *
node_at (weftExprTree *tree, gint i)
{
  return tree->nodes->pdata[i < 0 ? (gint) tree->nodes->len + i : i];
}

static weftExprNode *
node_of_kind (weftExprTree *tree, gint kind)
{
  for (guint i = 0; i < tree->nodes->len; i++)
    if ((gint) node_at (tree, (gint) i)->kind == kind)
      return node_at (tree, (gint) i);
  g_error ("no node of kind %d", kind);
}

static weftExprNode *
wire_node (gint kind, gint type, gint column, const char *func, gint c0, gint c1)
{
  weftExprNode *n = g_object_new (WEFT_TYPE_EXPR_NODE, NULL);
  n->kind = kind;
  n->type = type;
  n->nullable = TRUE;
  if (kind == WEFT_EXPR_COLUMN)
    {
      n->column = column;
      n->__isset_column = TRUE;
      n->name = g_strdup ("x");
      n->__isset_name = TRUE;
    }
  if (func)
    {
      n->func = g_strdup (func);
      n->__isset_func = TRUE;
    }
  if (c0 >= 0)
    g_array_append_val (n->children, c0);
  if (c1 >= 0)
    g_array_append_val (n->children, c1);
  return n;
}

/* Each takes the struct of its base task and plants one lie. */
typedef void (*Lie) (weftTaskDescription *d);

static void lie_op_child_self (weftTaskDescription *d) { g_array_index (op_at (d, -1)->children, gint32, 0) = 1; }
static void lie_op_child_negative (weftTaskDescription *d) { g_array_index (op_at (d, -1)->children, gint32, 0) = -1; }
static void lie_op_kind (weftTaskDescription *d) { op_at (d, 0)->kind = 99; }
static void lie_op_extra_field (weftTaskDescription *d) { op_at (d, -1)->__isset_limit = TRUE; }
static void lie_op_missing_field (weftTaskDescription *d) { op_at (d, -1)->__isset_exprs = FALSE; }
static void lie_op_no_schema (weftTaskDescription *d) { op_at (d, -1)->__isset_schema = FALSE; }
static void
lie_op_schema_type (weftTaskDescription *d)
{
  ((weftField *) op_at (d, -1)->schema->fields->pdata[0])->type = WEFT_COLUMN_TYPE_COL_BOOL;
}
static void
lie_op_schema_code (weftTaskDescription *d)
{
  ((weftField *) op_at (d, -1)->schema->fields->pdata[1])->type = 9;
}
static void
lie_op_schema_arity (weftTaskDescription *d)
{
  g_ptr_array_remove_index (op_at (d, -1)->schema->fields, 0);
}
static void
lie_expr_child_forward (weftTaskDescription *d)
{
  weftExprTree *t = tree_with (op_at (d, -1), "lt");
  g_array_index (node_at (t, -1)->children, gint32, 1) = (gint32) t->nodes->len - 1;
}
static void
lie_expr_column_range (weftTaskDescription *d)
{
  node_of_kind (tree_with (op_at (d, -1), "upper"), WEFT_EXPR_COLUMN)->column = 99;
}
static void
lie_expr_column_type (weftTaskDescription *d)
{
  node_of_kind (tree_with (op_at (d, -1), "upper"), WEFT_EXPR_COLUMN)->type = WEFT_COLUMN_TYPE_COL_DOUBLE;
}
static void
lie_expr_unknown_function (weftTaskDescription *d)
{
  weftExprNode *n = node_at (tree_with (op_at (d, -1), "upper"), -1);
  g_free (n->func);
  n->func = g_strdup ("frobnicate");
}
static void
lie_expr_alias_name (weftTaskDescription *d)
{
  weftExprNode *n = node_at (tree_with (op_at (d, -1), "upper"), -1);
  g_free (n->func);
  n->func = g_strdup ("UPPER"); /* a name the API accepts, but not the wire */
}
static void
lie_expr_untyped (weftTaskDescription *d)
{
  node_at (tree_with (op_at (d, -1), "upper"), -1)->type = WEFT_COLUMN_TYPE_COL_NULL;
}
static void
lie_expr_result_type (weftTaskDescription *d)
{
  node_at (tree_with (op_at (d, -1), "upper"), -1)->type = WEFT_COLUMN_TYPE_COL_INT64;
}
/* age < 40.5 is [age, cast(age as double), 40.5, lt]: lt gets the bigint column itself. */
static void
lie_expr_argument_type (weftTaskDescription *d)
{
  weftExprTree *t = tree_with (op_at (d, -1), "lt");
  g_assert_cmpint (node_at (t, 1)->kind, ==, WEFT_EXPR_CAST);
  g_array_index (node_at (t, -1)->children, gint32, 0) = 0;
}
static void
lie_expr_unreachable (weftTaskDescription *d)
{
  weftExprTree *t = tree_with (op_at (d, -1), "upper");
  g_ptr_array_insert (t->nodes, 0, wire_node (WEFT_EXPR_COLUMN, WEFT_COLUMN_TYPE_COL_STRING, 0, NULL, -1, -1));
  for (guint i = 1; i < t->nodes->len; i++)
    for (guint k = 0; k < node_at (t, (gint) i)->children->len; k++)
      g_array_index (node_at (t, (gint) i)->children, gint32, k)++;
}
static void
lie_expr_in_not_literal (weftTaskDescription *d)
{
  weftExprTree *t = tree_with (op_at (d, -1), "in");
  g_array_index (node_at (t, -1)->children, gint32, 2) = 1; /* the value's cast, a double */
}
static void
lie_expr_like_pattern (weftTaskDescription *d)
{
  weftExprNode *pattern = node_of_kind (tree_with (op_at (d, -1), "like"), WEFT_EXPR_LITERAL);
  g_byte_array_set_size (pattern->literal->string_value, 0);
  g_byte_array_append (pattern->literal->string_value, (const guint8 *) "a\\", 2);
}
static void
lie_expr_literal_value (weftTaskDescription *d)
{
  node_of_kind (tree_with (op_at (d, -1), "lt"), WEFT_EXPR_LITERAL)->literal->__isset_double_value = FALSE;
}
static void
lie_expr_date_range (weftTaskDescription *d)
{
  weftExprNode *n = node_of_kind (tree_with (op_at (d, -1), "le"), WEFT_EXPR_LITERAL);
  g_assert_cmpint (n->type, ==, WEFT_COLUMN_TYPE_COL_DATE);
  n->literal->int_value = G_GINT64_CONSTANT (1) << 40;
}
/* A chain of NOTs over a boolean column, too deep for the evaluator's recursion. */
static void
lie_expr_deep (weftTaskDescription *d)
{
  weftExprTree *t = tree_with (op_at (d, -1), "not");
  g_ptr_array_set_size (t->nodes, 0);
  g_ptr_array_add (t->nodes, wire_node (WEFT_EXPR_COLUMN, WEFT_COLUMN_TYPE_COL_BOOL, 5, NULL, -1, -1));
  for (gint i = 1; i <= WEFT_TASK_RPC_MAX_EXPR_DEPTH; i++)
    g_ptr_array_add (t->nodes, wire_node (WEFT_EXPR_CALL, WEFT_COLUMN_TYPE_COL_BOOL, 0, "not", i - 1, -1));
}
/* 40 ANDs each of the one before it twice: 2^40 nodes once expanded. */
static void
lie_expr_shared_bomb (weftTaskDescription *d)
{
  weftExprTree *t = tree_with (op_at (d, -1), "not");
  g_ptr_array_set_size (t->nodes, 0);
  g_ptr_array_add (t->nodes, wire_node (WEFT_EXPR_COLUMN, WEFT_COLUMN_TYPE_COL_BOOL, 5, NULL, -1, -1));
  for (gint i = 1; i <= 40; i++)
    g_ptr_array_add (t->nodes, wire_node (WEFT_EXPR_CALL, WEFT_COLUMN_TYPE_COL_BOOL, 0, "and", i - 1, i - 1));
}
static void
lie_op_unreachable (weftTaskDescription *d)
{
  weftOperator *stub = g_object_new (WEFT_TYPE_OPERATOR, NULL);
  stub->kind = WEFT_OPERATOR_KIND_OP_STUB;
  stub->__isset_schema = TRUE;
  g_ptr_array_insert (d->plan->operators, 0, stub);
  for (guint i = 1; i < d->plan->operators->len; i++)
    for (guint k = 0; k < op_at (d, (gint) i)->children->len; k++)
      g_array_index (op_at (d, (gint) i)->children, gint32, k)++;
}
static void
lie_join_out (weftTaskDescription *d)
{
  ((weftJoinOut *) op_at (d, -1)->join->out->pdata[1])->index = 99;
}
static void
lie_join_right_semi (weftTaskDescription *d)
{
  op_at (d, -1)->join->type = WEFT_JOIN_TYPE_JOIN_LEFT_SEMI;
}
static void
lie_join_type (weftTaskDescription *d)
{
  op_at (d, -1)->join->type = 42;
}
static void
lie_join_keys (weftTaskDescription *d)
{
  g_ptr_array_remove_index (op_at (d, -1)->join->right_keys, 0);
}
/* max(name) becomes sum(name) */
static void
lie_agg_sum_string (weftTaskDescription *d)
{
  weftOperator *agg = op_at (d, -1);
  ((weftAggregate *) agg->aggregates->pdata[6])->func = WEFT_AGG_FUNCTION_AGG_SUM;
}
static void
lie_agg_count_star_input (weftTaskDescription *d)
{
  ((weftAggregate *) op_at (d, -1)->aggregates->pdata[1])->func = WEFT_AGG_FUNCTION_AGG_COUNT_STAR;
}
static void
lie_agg_result_type (weftTaskDescription *d)
{
  ((weftField *) op_at (d, -1)->schema->fields->pdata[2])->type = WEFT_COLUMN_TYPE_COL_DOUBLE;
}
static void
lie_scan_projection (weftTaskDescription *d)
{
  g_array_index (op_at (d, 0)->csv_scan->projection, gint32, 0) = 50;
}
static void
lie_scan_date_format (weftTaskDescription *d)
{
  g_free (op_at (d, 0)->csv_scan->options->date_format);
  op_at (d, 0)->csv_scan->options->date_format = g_strdup ("yyyy-QQ");
}
static void
lie_scan_sizes (weftTaskDescription *d)
{
  op_at (d, 0)->csv_scan->options->read_bytes = G_GINT64_CONSTANT (1) << 40;
}
static void
lie_scan_sep (weftTaskDescription *d)
{
  op_at (d, 0)->csv_scan->options->sep = '\n';
}
static void
lie_scan_pushed_type (weftTaskDescription *d)
{
  /* The pushed filter's root becomes a bigint. */
  weftExprTree *t = op_at (d, 0)->csv_scan->pushed;
  g_ptr_array_set_size (t->nodes, 0);
  g_ptr_array_add (t->nodes, wire_node (WEFT_EXPR_COLUMN, WEFT_COLUMN_TYPE_COL_INT64, 1, NULL, -1, -1));
}
static void
lie_splits_not_scan (weftTaskDescription *d)
{
  weftOperator *op = op_at (d, -1);
  g_ptr_array_add (op->info->splits, g_object_new (WEFT_TYPE_FILE_SPLIT, NULL));
  op->info->__isset_splits = TRUE;
}
static void
lie_split_range (weftTaskDescription *d)
{
  ((weftFileSplit *) op_at (d, 0)->info->splits->pdata[1])->start = -1;
}
static void lie_info_partitions (weftTaskDescription *d) { op_at (d, 0)->info->num_partitions = -2; }
static void lie_rows_partitions (weftTaskDescription *d) { op_at (d, 0)->partitioning->num_partitions = 1 << 30; }
static void lie_rows_trailing (weftTaskDescription *d) { g_byte_array_append (op_at (d, 0)->rows, (const guint8 *) "x", 1); }
static void lie_rows_cut (weftTaskDescription *d) { g_byte_array_set_size (op_at (d, 0)->rows, op_at (d, 0)->rows->len - 9); }
static void
lie_rows_schema (weftTaskDescription *d)
{
  weftField *f = op_at (d, 0)->schema->fields->pdata[0];
  g_free (f->name);
  f->name = g_strdup ("other");
}
static void lie_task_kind (weftTaskDescription *d) { d->kind = 9; }
static void lie_task_result (weftTaskDescription *d) { d->kind = WEFT_TASK_KIND_TASK_RESULT; }
static void lie_task_side (weftTaskDescription *d) { d->side = 1; }
static void lie_task_side_2 (weftTaskDescription *d) { d->side = 2; }
static void lie_task_infer (weftTaskDescription *d) { d->kind = WEFT_TASK_KIND_TASK_INFER_CSV; }
static void lie_task_no_plan (weftTaskDescription *d) { d->__isset_plan = FALSE; }
static void lie_task_empty_plan (weftTaskDescription *d) { g_ptr_array_set_size (d->plan->operators, 0); }
static void
lie_task_write (weftTaskDescription *d)
{
  d->kind = WEFT_TASK_KIND_TASK_WRITE_CSV;
  d->__isset_write_options = FALSE;
}
/* Write options that decode, in a task that had none. */
static weftCsvWriteOptions *
write_options (weftTaskDescription *d)
{
  weftCsvWriteOptions *w = d->write_options;
  d->__isset_write_options = TRUE;
  w->line_sep = g_strdup ("\n");
  w->null_value = g_strdup ("");
  w->empty_value = g_strdup ("");
  w->date_format = g_strdup ("yyyy");
  w->sep = ',';
  w->buffer_bytes = 10;
  return w;
}
static void
lie_write_line_sep (weftTaskDescription *d)
{
  weftCsvWriteOptions *w = write_options (d);
  g_free (w->line_sep);
  w->line_sep = g_strdup ("\t");
}
static void
lie_write_buffer (weftTaskDescription *d)
{
  write_options (d)->buffer_bytes = 0;
}
static void
lie_write_quote (weftTaskDescription *d)
{
  write_options (d)->quote = ',';
}
static void
lie_input_size (weftTaskDescription *d)
{
  g_array_index (((weftMapOutput *) d->inputs->pdata[1])->sizes, gint64, 2) = -5;
}

static void
test_lies (void)
{
  g_autoptr(WeftPlan) every = q_every_expr ();                 /* Project <- LocalRelation */
  g_autoptr(WeftPlan) scan_project = q_scan_filter_project ();  /* Project <- CsvScan */
  g_autoptr(WeftPlan) aggregate = q_aggregate ();               /* Filter <- Aggregate <- Scan */
  g_autoptr(WeftPlan) join_plan = q_join (WEFT_JOIN_INNER, FALSE);
  WeftPlan *join = join_plan->kind == WEFT_PLAN_JOIN ? join_plan : join_plan->child;
  WeftTask *bases[] = {
    make_task (WEFT_TASK_RESULT, every, 0),
    make_task (WEFT_TASK_RESULT, scan_project, 0),
    make_task (WEFT_TASK_SHUFFLE_MAP, aggregate->child, 0),
    make_task (WEFT_TASK_RESULT, join, 0),
  };
  enum { EVERY, SCAN, AGG, JOIN };
  static const struct {
    const char *name;
    guint base;
    Lie lie;
    const char *needle;
  } lies[] = {
    { "operator input is itself", SCAN, lie_op_child_self, "is not an earlier operator" },
    { "operator input -1", SCAN, lie_op_child_negative, "input -1 is not an earlier" },
    { "unknown operator kind", SCAN, lie_op_kind, "unknown kind 99" },
    { "field of another kind", SCAN, lie_op_extra_field, "a Project with limit" },
    { "field missing", SCAN, lie_op_missing_field, "a Project without exprs" },
    { "no schema", SCAN, lie_op_no_schema, "without a schema" },
    { "schema type", SCAN, lie_op_schema_type, "output column 0 is boolean" },
    { "schema type code", EVERY, lie_op_schema_code, "no valid type (9)" },
    { "schema arity", EVERY, lie_op_schema_arity, "output columns for" },
    { "expression child forward", EVERY, lie_expr_child_forward, "is not an earlier node" },
    { "column out of range", EVERY, lie_expr_column_range, "column 99 of an input of 7" },
    { "column type", EVERY, lie_expr_column_type, "as double" },
    { "unknown function", EVERY, lie_expr_unknown_function, "unknown function \"frobnicate\"" },
    { "function alias", EVERY, lie_expr_alias_name, "unknown function \"UPPER\"" },
    { "untyped node", EVERY, lie_expr_untyped, "no valid type (0)" },
    { "result type", EVERY, lie_expr_result_type, "sent as bigint" },
    { "argument type", EVERY, lie_expr_argument_type, "is not of the type lt takes" },
    { "unreachable node", EVERY, lie_expr_unreachable, "node 0 is not part of" },
    { "IN of a non-literal", EVERY, lie_expr_in_not_literal, "is not a literal" },
    { "LIKE pattern", EVERY, lie_expr_like_pattern, "node 2: " },
    { "literal without value", EVERY, lie_expr_literal_value, "without its value" },
    { "date out of range", EVERY, lie_expr_date_range, "out of range" },
    { "expression too deep", EVERY, lie_expr_deep, "deeper than 2048" },
    { "shared subtrees", EVERY, lie_expr_shared_bomb, "larger than" },
    { "unreachable operator", SCAN, lie_op_unreachable, "operator 0 is not part of the plan" },
    { "join output", JOIN, lie_join_out, "reads left column 99" },
    { "semi join reading the right", JOIN, lie_join_right_semi, "reads the right input" },
    { "join type", JOIN, lie_join_type, "unknown join type 42" },
    { "join keys", JOIN, lie_join_keys, "left keys and" },
    { "sum of a string", AGG, lie_agg_sum_string, "(last) of string" },
    { "count(*) with input", AGG, lie_agg_count_star_input, "takes no input" },
    { "aggregate result type", AGG, lie_agg_result_type, "output column 2 is double" },
    { "scan projection", SCAN, lie_scan_projection, "projects column 50" },
    { "scan date format", SCAN, lie_scan_date_format, "Q" },
    { "scan read size", SCAN, lie_scan_sizes, "sizes out of range" },
    { "scan separator", SCAN, lie_scan_sep, "sep" },
    { "pushed filter type", SCAN, lie_scan_pushed_type, "pushed filter is not a resolved boolean" },
    { "splits of a non-scan", SCAN, lie_splits_not_scan, "not a CSV scan" },
    { "split range", SCAN, lie_split_range, "split 1" },
    { "info partitions", SCAN, lie_info_partitions, "-2 partitions" },
    { "rows partitions", EVERY, lie_rows_partitions, "1073741824 partitions" },
    { "rows trailing", EVERY, lie_rows_trailing, "1 bytes after the rows" },
    { "rows cut", EVERY, lie_rows_cut, "rows: " },
    { "rows schema", EVERY, lie_rows_schema, "another schema" },
    { "task kind", EVERY, lie_task_kind, "unknown kind 9" },
    { "exchange input in full", AGG, lie_task_result, "is not a stub" },
    { "side 1 of an aggregate", AGG, lie_task_side, "side 1 of something other than a join" },
    { "side 2", JOIN, lie_task_side_2, "side 2" },
    { "infer a project", EVERY, lie_task_infer, "schema inference" },
    { "no plan", EVERY, lie_task_no_plan, "no plan" },
    { "empty plan", EVERY, lie_task_empty_plan, "no operators" },
    { "write without options", EVERY, lie_task_write, "without write options" },
    { "write lineSep", EVERY, lie_write_line_sep, "lineSep is not" },
    { "write quote", EVERY, lie_write_quote, "quote must differ from sep" },
    { "write buffer", EVERY, lie_write_buffer, "buffer size 0" },
    { "input size", EVERY, lie_input_size, "has -5 bytes" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (lies); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(weftTaskDescription) d = weft_task_to_thrift (bases[lies[i].base], &error);
      g_assert_no_error (error);
      /* Untouched, the base decodes. */
      g_autoptr(WeftTask) fine = weft_task_from_thrift (d, &error);
      g_assert_no_error (error);
      lies[i].lie (d);
      g_autoptr(WeftTask) t = weft_task_from_thrift (d, &error);
      g_test_message ("%s: %s", lies[i].name, error ? error->message : "accepted");
      g_assert_null (t);
      g_assert_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_MALFORMED);
      if (strstr (error->message, lies[i].needle) == NULL)
        g_error ("%s: \"%s\" does not say \"%s\"", lies[i].name, error->message, lies[i].needle);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bases); i++)
    weft_task_unref (bases[i]);
}

static void
test_outcome_lies (void)
{
  g_autoptr(WeftTaskOutcome) o = full_outcome ();
  for (guint i = 0; i < 4; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(weftTaskStatus) s = weft_task_outcome_to_thrift (o, &error);
      g_assert_no_error (error);
      const char *needle = NULL;
      switch (i)
        {
        case 0: s->state = 0; needle = "unknown state 0"; break;
        case 1: g_array_index (s->types, gint32, 3) = 6; needle = "column 3 has no valid type (6)"; break;
        case 2: g_byte_array_append (s->batches->pdata[1], (const guint8 *) "zz", 2); needle = "2 bytes after the batch"; break;
        case 3: g_array_index (s->map_output->sizes, gint64, 0) = -1; needle = "has -1 bytes"; break;
        }
      g_autoptr(WeftTaskOutcome) back = weft_task_outcome_from_thrift (s, &error);
      g_assert_null (back);
      g_assert_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_MALFORMED);
      if (strstr (error->message, needle) == NULL)
        g_error ("\"%s\" does not say \"%s\"", error->message, needle);
    }
}

/* ---- Crafted wire shapes -------------------------------------------------------------------------- */

static void
put_u8 (GByteArray *b, guint8 v)
{
  g_byte_array_append (b, &v, 1);
}

static void
put_i32 (GByteArray *b, gint32 v)
{
  guint32 be = GUINT32_TO_BE ((guint32) v);
  g_byte_array_append (b, (const guint8 *) &be, 4);
}

static void
put_field (GByteArray *b, guint8 type, gint16 id)
{
  put_u8 (b, type);
  put_u8 (b, (guint8) ((guint16) id >> 8));
  put_u8 (b, (guint8) id);
}

static void
put_string (GByteArray *b, const char *s)
{
  put_i32 (b, (gint32) strlen (s));
  g_byte_array_append (b, (const guint8 *) s, (guint) strlen (s));
}

static GByteArray *
message (const char *name, guint8 type)
{
  GByteArray *b = g_byte_array_new ();
  put_i32 (b, (gint32) (0x80010000u | type));
  put_string (b, name);
  put_i32 (b, 0);
  return b;
}

static GBytes *
finish (GByteArray *b)
{
  return g_byte_array_free_to_bytes (b);
}

static void
test_wire_shapes (void)
{
  g_autoptr(GError) error = NULL;
  GByteArray *b;

  /* A string field twice: the frame validator refuses any repeated field id (weft-rpc-check). */
  b = message ("TaskDescription", 4);
  put_field (b, T_STRING, 13);
  put_string (b, "a");
  put_field (b, T_STRING, 13);
  put_string (b, "b");
  put_u8 (b, T_STOP);
  g_autoptr(GBytes) twice = finish (b);
  assert_refused (twice, "field 13 appears twice in one struct");

  /* A list of i32 where the reader takes binaries: it would read 0x7fffffff as a length and
   * allocate 2 GiB before reading. */
  b = message ("TaskStatus", 4);
  put_field (b, T_LIST, 5);
  put_u8 (b, T_I32);
  put_i32 (b, 1);
  put_i32 (b, 0x7fffffff);
  put_u8 (b, T_STOP);
  g_autoptr(GBytes) confused = finish (b);
  g_autoptr(WeftTaskOutcome) o = weft_task_outcome_decode (confused, &error);
  g_assert_null (o);
  g_assert_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_MALFORMED);
  g_assert_nonnull (strstr (error->message, "a list of wire type 8 where 11 is expected"));
  g_clear_error (&error);

  /* Operators as a list of i32, one level down. */
  b = message ("TaskDescription", 4);
  put_field (b, T_STRUCT, 9);
  put_field (b, T_LIST, 1);
  put_u8 (b, T_I32);
  put_i32 (b, 2);
  put_i32 (b, 0);
  put_i32 (b, 0);
  put_u8 (b, T_STOP);
  put_u8 (b, T_STOP);
  g_autoptr(GBytes) nested = finish (b);
  assert_refused (nested, "where 12 is expected");

  /* A known field of another type. */
  b = message ("TaskDescription", 4);
  put_field (b, T_STRING, 1);
  put_string (b, "one");
  put_u8 (b, T_STOP);
  g_autoptr(GBytes) typed = finish (b);
  assert_refused (typed, "field 1 of TaskDescription has wire type 11, not 10");

  /* Unknown fields are skipped: a newer sender's status still reads. */
  b = message ("TaskStatus", 4);
  put_field (b, T_I32, 2);
  put_i32 (b, WEFT_TASK_KILLED);
  put_field (b, T_STRING, 99);
  put_string (b, "from the future");
  put_field (b, T_LIST, 100);
  put_u8 (b, T_STRUCT);
  put_i32 (b, 1);
  put_field (b, T_I32, 5);
  put_i32 (b, 7);
  put_u8 (b, T_STOP);
  put_u8 (b, T_STOP);
  g_autoptr(GBytes) newer = finish (b);
  g_autoptr(WeftTaskOutcome) killed = weft_task_outcome_decode (newer, &error);
  g_assert_no_error (error);
  g_assert_cmpint (killed->state, ==, WEFT_TASK_KILLED);

  /* Structs nested 100,000 deep in an unknown field: refused before anything recurses. */
  b = message ("TaskDescription", 4);
  for (guint i = 0; i < 100000; i++)
    put_field (b, T_STRUCT, 77);
  for (guint i = 0; i <= 100000; i++)
    put_u8 (b, T_STOP);
  g_autoptr(GBytes) deep = finish (b);
  assert_refused (deep, "nesting deeper than");

  /* A list declaring 2^30 elements. */
  b = message ("TaskDescription", 4);
  put_field (b, T_LIST, 11);
  put_u8 (b, T_STRUCT);
  put_i32 (b, 1 << 30);
  put_u8 (b, T_STOP);
  g_autoptr(GBytes) huge = finish (b);
  assert_refused (huge, "declares");

  /* Not ONEWAY, not a message, nothing at all, a byte too many. */
  b = message ("TaskDescription", 1);
  put_u8 (b, T_STOP);
  g_autoptr(GBytes) call = finish (b);
  assert_refused (call, "unexpected message type 1");
  g_autoptr(GBytes) empty = g_bytes_new (NULL, 0);
  assert_refused (empty, NULL);
  g_autoptr(GBytes) text = g_bytes_new_static ("hello, world", 12);
  assert_refused (text, "not a strict binary-protocol message");
  g_autoptr(WeftTask) t = rich_task ();
  g_autoptr(GBytes) good = encode (t);
  g_autoptr(GByteArray) more = g_byte_array_new ();
  g_byte_array_append (more, g_bytes_get_data (good, NULL), (guint) g_bytes_get_size (good));
  put_u8 (more, 0);
  g_autoptr(GBytes) trailing = g_bytes_new (more->data, more->len);
  assert_refused (trailing, "unexpected bytes after the message");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/task-rpc/round-trip/every-kind", test_every_kind);
  g_test_add_func ("/engine/task-rpc/round-trip/scan", test_scan);
  g_test_add_func ("/engine/task-rpc/round-trip/expr-eval", test_expr_eval);
  g_test_add_func ("/engine/task-rpc/round-trip/shared", test_shared);
  g_test_add_func ("/engine/task-rpc/round-trip/struct-converters", test_struct_converters);
  g_test_add_func ("/engine/task-rpc/cut/result-over-aggregate", test_cut_result_over_aggregate);
  g_test_add_func ("/engine/task-rpc/cut/map-join-side", test_cut_map_join_side);
  g_test_add_func ("/engine/task-rpc/outcome/round-trip", test_outcome);
  g_test_add_func ("/engine/task-rpc/outcome/lies", test_outcome_lies);
  g_test_add_func ("/engine/task-rpc/malformed/truncations", test_truncations);
  g_test_add_func ("/engine/task-rpc/malformed/byte-flips", test_byte_flips);
  g_test_add_func ("/engine/task-rpc/malformed/forward-child", test_forward_child);
  g_test_add_func ("/engine/task-rpc/malformed/lies", test_lies);
  g_test_add_func ("/engine/task-rpc/malformed/wire-shapes", test_wire_shapes);
  return g_test_run ();
}
