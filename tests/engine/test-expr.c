/* Tests for engine/weft-expr and weft-expr-eval: every operator and function on every type with
 * nulls, Spark's edge cases (integer division, division by zero, wrapping overflow, HALF_UP
 * rounding, substring positions, LIKE escapes, failed casts), resolution and its error messages,
 * output names, folding, pruning helpers, filters, and a property test that checks random trees
 * on random batches against a row-at-a-time reference evaluator written here, independently. */

#include "weft-batch.h"
#include "weft-engine-error.h"
#include "weft-expr-eval.h"
#include "weft-expr.h"
#include "weft-parse.h"

#include <math.h>
#include <string.h>

/* ---- Shorthands --------------------------------------------------------------------------- */

#define C(n) weft_expr_col (n)
#define I(v) weft_expr_lit_int64 (v)
#define D(v) weft_expr_lit_double (v)
#define S(v) weft_expr_lit_string (v)
#define B(v) weft_expr_lit_bool (v)
#define NUL() weft_expr_lit_null ()
#define BIN(op, a, b) weft_expr_binary (WEFT_EXPR_OP_##op, a, b)
#define UN(op, a) weft_expr_unary (WEFT_EXPR_OP_##op, a)

static gint32
day (const char *text)
{
  WeftDateFormat fmt;
  gint32 d = 0;

  g_assert_true (weft_date_format_init (&fmt, WEFT_DATE_FORMAT_DEFAULT, NULL));
  g_assert_true (weft_parse_date (&fmt, text, strlen (text), FALSE, &d));
  return d;
}

/* The fixture batch: 6 rows, every type, nulls in each nullable column.
 *   id  name     age  salary    active  hired       city   */
static WeftBatch *
people (void)
{
  g_autoptr (WeftSchema) schema = weft_schema_new ();
  WeftColumn *cols[7];
  static const char *names[] = { "Alice", "bob", NULL, "Émile", "", "Zoë" };
  static const gint64 ages[] = { 34, 45, 0, 29, 30, 31 };
  static const gboolean age_null[] = { 0, 0, 1, 0, 0, 0 };
  static const double salaries[] = { 50000.5, 72000, 0, -10.25, 50000, 1e7 };
  static const gboolean sal_null[] = { 0, 0, 1, 0, 0, 0 };
  static const int active[] = { 1, 0, -1, 1, 0, -1 };
  static const char *hired[] = { "2020-01-15", "1969-12-31", "2000-02-29", NULL, "2024-12-01", "1999-07-04" };
  static const char *cities[] = { "Paris", "paris", "Oslo", NULL, "Paris", "Berlin" };

  weft_schema_add_field (schema, "id", WEFT_DATA_TYPE_INT64, FALSE);
  weft_schema_add_field (schema, "name", WEFT_DATA_TYPE_STRING, TRUE);
  weft_schema_add_field (schema, "age", WEFT_DATA_TYPE_INT64, TRUE);
  weft_schema_add_field (schema, "salary", WEFT_DATA_TYPE_DOUBLE, TRUE);
  weft_schema_add_field (schema, "active", WEFT_DATA_TYPE_BOOL, TRUE);
  weft_schema_add_field (schema, "hired", WEFT_DATA_TYPE_DATE, TRUE);
  weft_schema_add_field (schema, "city", WEFT_DATA_TYPE_STRING, TRUE);
  for (guint i = 0; i < 7; i++)
    cols[i] = weft_column_new (weft_schema_get_field (schema, i)->type, 0);
  for (guint r = 0; r < 6; r++)
    {
      weft_column_append_int64 (cols[0], r + 1);
      if (names[r] == NULL)
        weft_column_append_null (cols[1]);
      else
        weft_column_append_string (cols[1], names[r], strlen (names[r]));
      if (age_null[r])
        weft_column_append_null (cols[2]);
      else
        weft_column_append_int64 (cols[2], ages[r]);
      if (sal_null[r])
        weft_column_append_null (cols[3]);
      else
        weft_column_append_double (cols[3], salaries[r]);
      if (active[r] < 0)
        weft_column_append_null (cols[4]);
      else
        weft_column_append_bool (cols[4], active[r]);
      if (hired[r] == NULL)
        weft_column_append_null (cols[5]);
      else
        weft_column_append_date (cols[5], day (hired[r]));
      if (cities[r] == NULL)
        weft_column_append_null (cols[6]);
      else
        weft_column_append_string (cols[6], cities[r], strlen (cities[r]));
    }
  return weft_batch_new (schema, cols, 6);
}

static char *
column_text (const WeftColumn *column)
{
  GString *out = g_string_new (NULL);

  for (gsize i = 0; i < column->length; i++)
    {
      gsize start;

      if (i > 0)
        g_string_append_c (out, ',');
      start = out->len;
      weft_column_format_value (column, i, out);
      /* doubles read as doubles: 34.0, not 34 */
      if (column->type == WEFT_DATA_TYPE_DOUBLE && weft_column_is_valid (column, i)
          && strpbrk (out->str + start, ".en") == NULL)
        g_string_append (out, ".0");
    }
  return g_string_free (out, FALSE);
}

/* weft_column_equal() without its memcmp on the NULL data of an all-empty string column (which
 * UBSan flags): same type, nulls and text. */
static gboolean
columns_equal (const WeftColumn *a, const WeftColumn *b)
{
  g_autofree char *ta = NULL, *tb = NULL;

  if (a->type != b->type || a->length != b->length || a->null_count != b->null_count)
    return FALSE;
  ta = column_text (a);
  tb = column_text (b);
  return strcmp (ta, tb) == 0;
}

/* Checks the column's invariants: null rows hold zero / empty, null_count matches. */
static void
check_column_invariants (const WeftColumn *c)
{
  gsize nulls = 0;

  for (gsize i = 0; i < c->length; i++)
    {
      if (weft_column_is_valid (c, i))
        continue;
      nulls++;
      switch (c->type)
        {
        case WEFT_DATA_TYPE_INT64:
          g_assert_cmpint (c->values.i64[i], ==, 0);
          break;
        case WEFT_DATA_TYPE_DOUBLE:
          g_assert_true (c->values.f64[i] == 0);
          break;
        case WEFT_DATA_TYPE_BOOL:
          g_assert_cmpint (c->values.b[i], ==, 0);
          break;
        case WEFT_DATA_TYPE_DATE:
          g_assert_cmpint (c->values.date[i], ==, 0);
          break;
        case WEFT_DATA_TYPE_STRING:
          g_assert_cmpuint (c->offsets[i + 1], ==, c->offsets[i]);
          break;
        }
    }
  g_assert_cmpuint (nulls, ==, c->null_count);
  if (c->type == WEFT_DATA_TYPE_BOOL)
    for (gsize i = 0; i < c->length; i++)
      g_assert_cmpuint (c->values.b[i], <=, 1);
}

/* Resolves @e (transfer full) against @batch, evaluates it (unfolded and folded, which must
 * agree; as a filter too when boolean) and returns the values as text. */
static char *
eval_text (WeftExpr *e, const WeftBatch *batch)
{
  g_autoptr (WeftExpr) owned = e;
  g_autoptr (GError) error = NULL;
  g_autoptr (WeftExpr) r = weft_expr_resolve (owned, batch->schema, &error);
  g_autoptr (WeftExpr) f = NULL;
  g_autoptr (WeftColumn) c = NULL, cf = NULL;

  g_assert_no_error (error);
  f = weft_expr_fold (r);
  c = weft_expr_eval (r, batch, &error);
  g_assert_no_error (error);
  cf = weft_expr_eval (f, batch, &error);
  g_assert_no_error (error);
  g_assert_cmpint (c->type, ==, weft_expr_get_type (r));
  g_assert_cmpuint (c->length, ==, batch->n_rows);
  check_column_invariants (c);
  check_column_invariants (cf);
  g_assert_true (columns_equal (c, cf));
  if (c->type == WEFT_DATA_TYPE_BOOL)
    {
      g_autoptr (WeftSelection) s = weft_expr_eval_filter (r, batch, &error);
      g_autoptr (WeftSelection) sf = weft_expr_eval_filter (f, batch, &error);
      gsize k = 0;

      g_assert_no_error (error);
      for (gsize i = 0; i < c->length; i++)
        if (weft_column_is_valid (c, i) && c->values.b[i])
          {
            g_assert_cmpuint (k, <, s->n);
            g_assert_cmpuint (s->rows[k], ==, i);
            g_assert_cmpuint (sf->rows[k], ==, i);
            k++;
          }
      g_assert_cmpuint (k, ==, s->n);
      g_assert_cmpuint (k, ==, sf->n);
    }
  if (!weft_expr_get_nullable (r))
    g_assert_cmpuint (c->null_count, ==, 0);
  return column_text (c);
}

#define CHECK(e, expected)                                                                         \
  do                                                                                               \
    {                                                                                              \
      g_autoptr (WeftBatch) b_ = people ();                                                        \
      g_autofree char *t_ = eval_text ((e), b_);                                                   \
      g_assert_cmpstr (t_, ==, (expected));                                                        \
    }                                                                                              \
  while (0)

/* A batch of no columns and one row, for constant expressions. */
static WeftBatch *
one_row (void)
{
  g_autoptr (WeftSchema) schema = weft_schema_new ();

  return weft_batch_new (schema, NULL, 1);
}

#define CONST(e, expected)                                                                         \
  do                                                                                               \
    {                                                                                              \
      g_autoptr (WeftBatch) b_ = one_row ();                                                       \
      g_autofree char *t_ = eval_text ((e), b_);                                                   \
      g_assert_cmpstr (t_, ==, (expected));                                                        \
    }                                                                                              \
  while (0)

static void
check_error (WeftExpr *e, const WeftSchema *schema, const char *message)
{
  g_autoptr (WeftExpr) owned = e;
  g_autoptr (GError) error = NULL;
  g_autoptr (WeftExpr) r = weft_expr_resolve (owned, schema, &error);

  g_assert_null (r);
  g_assert_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_SCHEMA);
  g_assert_cmpstr (error->message, ==, message);
}

static void
check_name (WeftExpr *e, const char *name)
{
  g_autoptr (WeftExpr) owned = e;
  g_autofree char *n = weft_expr_name (e);

  g_assert_cmpstr (n, ==, name);
}

/* ---- Arithmetic --------------------------------------------------------------------------- */

static void
test_arith_int (void)
{
  CHECK (BIN (ADD, C ("age"), I (1)), "35,46,null,30,31,32");
  CHECK (BIN (SUB, C ("id"), C ("age")), "-33,-43,null,-25,-25,-25");
  CHECK (BIN (MUL, C ("age"), C ("id")), "34,90,null,116,150,186");
  /* int / int is double, as in Spark */
  CHECK (BIN (DIV, C ("age"), I (4)), "8.5,11.25,null,7.25,7.5,7.75");
  CHECK (BIN (MOD, C ("age"), I (7)), "6,3,null,1,2,3");
  CHECK (BIN (MOD, UN (NEG, C ("age")), I (7)), "-6,-3,null,-1,-2,-3");
  CHECK (BIN (MOD, C ("age"), I (-7)), "6,3,null,1,2,3");
  CHECK (UN (NEG, C ("age")), "-34,-45,null,-29,-30,-31");
  CHECK (UN (ABS, BIN (SUB, I (30), C ("age"))), "4,15,null,1,0,1");
  /* division and remainder by zero are null */
  CHECK (BIN (DIV, C ("age"), BIN (SUB, C ("id"), I (2))), "-34.0,null,null,14.5,10.0,7.75");
  CHECK (BIN (MOD, C ("age"), BIN (SUB, C ("id"), I (2))), "0,null,null,1,0,3");
  CHECK (BIN (DIV, C ("age"), I (0)), "null,null,null,null,null,null");
  CHECK (BIN (MOD, C ("age"), I (0)), "null,null,null,null,null,null");
  /* overflow wraps (non-ANSI Spark) */
  CONST (BIN (ADD, I (G_MAXINT64), I (1)), "-9223372036854775808");
  CONST (BIN (SUB, I (G_MININT64), I (1)), "9223372036854775807");
  CONST (BIN (MUL, I (G_MAXINT64), I (2)), "-2");
  CONST (UN (NEG, I (G_MININT64)), "-9223372036854775808");
  CONST (UN (ABS, I (G_MININT64)), "-9223372036854775808");
  CONST (BIN (MOD, I (G_MININT64), I (-1)), "0");
  CONST (BIN (DIV, I (G_MININT64), I (-1)), "9.2233720368547758e+18");
  CONST (BIN (DIV, I (7), I (2)), "3.5");
  CONST (BIN (ADD, I (1), NUL ()), "null");
  CONST (BIN (ADD, NUL (), NUL ()), "null");
}

static void
test_arith_double (void)
{
  CHECK (BIN (MUL, C ("salary"), D (2)), "100001.0,144000.0,null,-20.5,100000.0,20000000.0");
  CHECK (BIN (ADD, C ("salary"), C ("age")), "50034.5,72045.0,null,18.75,50030.0,10000031.0");
  CHECK (BIN (SUB, C ("age"), D (0.5)), "33.5,44.5,null,28.5,29.5,30.5");
  CHECK (BIN (DIV, C ("salary"), D (0)), "null,null,null,null,null,null");
  CHECK (BIN (DIV, C ("salary"), D (-0.0)), "null,null,null,null,null,null");
  CHECK (BIN (MOD, C ("salary"), D (7)), "6.5,5.0,null,-3.25,6.0,3.0");
  CHECK (BIN (MOD, C ("salary"), D (0)), "null,null,null,null,null,null");
  CHECK (UN (NEG, C ("salary")), "-50000.5,-72000.0,null,10.25,-50000.0,-10000000.0");
  CHECK (UN (ABS, C ("salary")), "50000.5,72000.0,null,10.25,50000.0,10000000.0");
  CONST (BIN (DIV, D (1), D (3)), "0.33333333333333331");
  CONST (BIN (MUL, D (1e308), D (10)), "inf");
  CONST (BIN (SUB, D (NAN), D (1)), "nan");
}

/* ---- Comparisons -------------------------------------------------------------------------- */

static void
test_compare (void)
{
  CHECK (BIN (GT, C ("age"), I (30)), "true,true,null,false,false,true");
  CHECK (BIN (GE, C ("age"), I (30)), "true,true,null,false,true,true");
  CHECK (BIN (LT, C ("age"), I (30)), "false,false,null,true,false,false");
  CHECK (BIN (LE, C ("age"), I (30)), "false,false,null,true,true,false");
  CHECK (BIN (EQ, C ("age"), I (30)), "false,false,null,false,true,false");
  CHECK (BIN (NE, C ("age"), I (30)), "true,true,null,true,false,true");
  /* constant on the left */
  CHECK (BIN (LT, I (30), C ("age")), "true,true,null,false,false,true");
  CHECK (BIN (GE, I (30), C ("age")), "false,false,null,true,true,false");
  /* int64 with double */
  CHECK (BIN (GT, C ("age"), D (30.5)), "true,true,null,false,false,true");
  CHECK (BIN (EQ, C ("salary"), I (50000)), "false,false,null,false,true,false");
  CHECK (BIN (GT, C ("salary"), C ("age")), "true,true,null,false,true,true");
  /* strings compare bytewise: upper case before lower case, UTF-8 after ASCII */
  CHECK (BIN (LT, C ("name"), S ("a")), "true,false,null,false,true,true");
  CHECK (BIN (GT, C ("name"), S ("Z")), "false,true,null,true,false,true");
  CHECK (BIN (EQ, C ("city"), S ("Paris")), "true,false,false,null,true,false");
  CHECK (BIN (NE, C ("city"), S ("Paris")), "false,true,true,null,false,true");
  CHECK (BIN (LE, C ("name"), C ("city")), "true,true,null,null,true,false");
  CHECK (BIN (EQ, C ("name"), S ("")), "false,false,null,false,true,false");
  CHECK (BIN (GE, C ("city"), S ("Paris")), "true,true,false,null,true,false");
  /* dates, and dates with strings (the string is cast to a date) */
  CHECK (BIN (GT, C ("hired"), weft_expr_lit_date (day ("2000-01-01"))),
         "true,false,true,null,true,false");
  CHECK (BIN (LT, C ("hired"), S ("2000-02-29")), "false,true,false,null,false,true");
  CHECK (BIN (EQ, C ("hired"), S ("2000-02-29")), "false,false,true,null,false,false");
  CHECK (BIN (EQ, C ("hired"), S ("not a date")), "null,null,null,null,null,null");
  /* booleans: false < true */
  CHECK (BIN (LT, C ("active"), B (TRUE)), "false,true,null,false,true,null");
  CHECK (BIN (EQ, C ("active"), B (FALSE)), "false,true,null,false,true,null");
  CHECK (BIN (NE, C ("active"), C ("active")), "false,false,null,false,false,null");
  /* null on either side */
  CHECK (BIN (EQ, C ("age"), NUL ()), "null,null,null,null,null,null");
  CONST (BIN (EQ, NUL (), NUL ()), "null");
  /* NaN: equal to itself and above everything; -0.0 equals 0.0 */
  CONST (BIN (EQ, D (NAN), D (NAN)), "true");
  CONST (BIN (GT, D (NAN), D (INFINITY)), "true");
  CONST (BIN (LT, D (1), D (NAN)), "true");
  CONST (BIN (GE, D (NAN), D (NAN)), "true");
  CONST (BIN (NE, D (NAN), D (1)), "true");
  CONST (BIN (EQ, D (0.0), D (-0.0)), "true");
  CONST (BIN (LT, D (-0.0), D (0.0)), "false");
}

/* ---- Logic -------------------------------------------------------------------------------- */

static WeftExpr *
tv (int v)
{
  return v < 0 ? NUL () : B (v);
}

static void
test_logic_tables (void)
{
  /* Three-valued logic: -1 is null. Columns and constants must agree. */
  static const int vals[] = { 1, 0, -1 };
  g_autoptr (WeftSchema) schema = weft_schema_new ();
  WeftColumn *cols[2];
  g_autoptr (WeftBatch) batch = NULL;

  weft_schema_add_field (schema, "p", WEFT_DATA_TYPE_BOOL, TRUE);
  weft_schema_add_field (schema, "q", WEFT_DATA_TYPE_BOOL, TRUE);
  cols[0] = weft_column_new (WEFT_DATA_TYPE_BOOL, 9);
  cols[1] = weft_column_new (WEFT_DATA_TYPE_BOOL, 9);
  for (guint i = 0; i < 3; i++)
    for (guint j = 0; j < 3; j++)
      {
        if (vals[i] < 0)
          weft_column_append_null (cols[0]);
        else
          weft_column_append_bool (cols[0], vals[i]);
        if (vals[j] < 0)
          weft_column_append_null (cols[1]);
        else
          weft_column_append_bool (cols[1], vals[j]);
      }
  batch = weft_batch_new (schema, cols, 9);

  /* rows: (T,T) (T,F) (T,N) (F,T) (F,F) (F,N) (N,T) (N,F) (N,N) */
  {
    g_autofree char *a = eval_text (BIN (AND, C ("p"), C ("q")), batch);
    g_autofree char *o = eval_text (BIN (OR, C ("p"), C ("q")), batch);
    g_autofree char *n = eval_text (UN (NOT, C ("p")), batch);
    g_autofree char *isn = eval_text (UN (IS_NULL, C ("q")), batch);
    g_autofree char *nn = eval_text (UN (IS_NOT_NULL, C ("q")), batch);

    g_assert_cmpstr (a, ==, "true,false,null,false,false,false,null,false,null");
    g_assert_cmpstr (o, ==, "true,true,true,true,false,null,true,null,null");
    g_assert_cmpstr (n, ==, "false,false,false,true,true,true,null,null,null");
    g_assert_cmpstr (isn, ==, "false,false,true,false,false,true,false,false,true");
    g_assert_cmpstr (nn, ==, "true,true,false,true,true,false,true,true,false");
  }
  /* constants against a column, both ways round */
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *a1 = eval_text (BIN (AND, tv (vals[i]), C ("q")), batch);
      g_autofree char *a2 = eval_text (BIN (AND, C ("q"), tv (vals[i])), batch);
      g_autofree char *o1 = eval_text (BIN (OR, tv (vals[i]), C ("q")), batch);
      g_autofree char *o2 = eval_text (BIN (OR, C ("q"), tv (vals[i])), batch);
      const char *want_and[] = { "true,false,null", "false,false,false", "null,false,null" };
      const char *want_or[] = { "true,true,true", "true,false,null", "true,null,null" };
      g_autofree char *wa = g_strjoin (",", want_and[i], want_and[i], want_and[i], NULL);
      g_autofree char *wo = g_strjoin (",", want_or[i], want_or[i], want_or[i], NULL);

      g_assert_cmpstr (a1, ==, wa);
      g_assert_cmpstr (a2, ==, wa);
      g_assert_cmpstr (o1, ==, wo);
      g_assert_cmpstr (o2, ==, wo);
      for (guint j = 0; j < 3; j++)
        {
          g_autoptr (WeftBatch) b1 = one_row ();
          g_autofree char *ca = eval_text (BIN (AND, tv (vals[i]), tv (vals[j])), b1);
          g_autofree char *co = eval_text (BIN (OR, tv (vals[i]), tv (vals[j])), b1);
          const char *parts_a[] = { "true", "false", "null" };
          static const int and_t[3][3] = { { 0, 1, 2 }, { 1, 1, 1 }, { 2, 1, 2 } };
          static const int or_t[3][3] = { { 0, 0, 0 }, { 0, 1, 2 }, { 0, 2, 2 } };

          g_assert_cmpstr (ca, ==, parts_a[and_t[i][j]]);
          g_assert_cmpstr (co, ==, parts_a[or_t[i][j]]);
        }
    }
  CHECK (UN (NOT, UN (NOT, C ("active"))), "true,false,null,true,false,null");
  CHECK (UN (IS_NULL, C ("name")), "false,false,true,false,false,false");
  CHECK (UN (IS_NOT_NULL, BIN (ADD, C ("age"), C ("salary"))), "true,true,false,true,true,true");
  CONST (UN (IS_NULL, NUL ()), "true");
  CONST (UN (NOT, NUL ()), "null");
}

/* ---- IN, BETWEEN, LIKE -------------------------------------------------------------------- */

static WeftExpr *
in_list (WeftExpr *e, ...)
{
  g_autoptr (GPtrArray) vals = g_ptr_array_new ();
  va_list ap;
  WeftExpr *v;

  va_start (ap, e);
  while ((v = va_arg (ap, WeftExpr *)) != NULL)
    g_ptr_array_add (vals, v);
  va_end (ap);
  return weft_expr_in (e, (WeftExpr **) vals->pdata, vals->len);
}

static void
test_in (void)
{
  CHECK (in_list (C ("age"), I (29), I (45), NULL), "false,true,null,true,false,false");
  CHECK (in_list (C ("age"), I (29), NUL (), NULL), "null,null,null,true,null,null");
  CHECK (in_list (C ("age"), D (29.0), D (30.5), NULL), "false,false,null,true,false,false");
  CHECK (in_list (C ("salary"), I (50000), NULL), "false,false,null,false,true,false");
  CHECK (in_list (C ("city"), S ("Paris"), S ("Oslo"), NULL), "true,false,true,null,true,false");
  CHECK (in_list (C ("hired"), S ("1969-12-31"), NULL), "false,true,false,null,false,false");
  CHECK (in_list (C ("active"), B (FALSE), NULL), "false,true,null,false,true,null");
  CHECK (in_list (C ("id"), I (1), I (2), I (3), I (4), I (5), I (7), I (8), I (9), I (10), I (11),
                  NULL),
         "true,true,true,true,true,false");
  CHECK (in_list (C ("id"), NULL), "false,false,false,false,false,false");
  CHECK (in_list (C ("age"), NULL), "false,false,null,false,false,false");
  CONST (in_list (NUL (), I (1), NULL), "null");
  CONST (in_list (I (1), I (1), NUL (), NULL), "true");
  CONST (in_list (D (NAN), D (NAN), NULL), "true");
}

static void
test_between (void)
{
  CHECK (weft_expr_between (C ("age"), I (30), I (34)), "true,false,null,false,true,true");
  CHECK (weft_expr_between (C ("salary"), I (0), D (60000)), "true,false,null,false,true,false");
  CHECK (weft_expr_between (C ("name"), S ("A"), S ("Zz")), "true,false,null,false,false,true");
  CHECK (weft_expr_between (C ("age"), NUL (), I (34)), "null,false,null,null,null,null");
  check_name (weft_expr_between (C ("age"), I (30), I (34)), "((age >= 30) AND (age <= 34))");
}

static void
test_like (void)
{
  CHECK (weft_expr_like (C ("city"), "Paris"), "true,false,false,null,true,false");
  CHECK (weft_expr_like (C ("city"), "P%"), "true,false,false,null,true,false");
  CHECK (weft_expr_like (C ("city"), "%is"), "true,true,false,null,true,false");
  CHECK (weft_expr_like (C ("city"), "%ar%"), "true,true,false,null,true,false");
  CHECK (weft_expr_like (C ("city"), "%"), "true,true,true,null,true,true");
  CHECK (weft_expr_like (C ("city"), "_aris"), "true,true,false,null,true,false");
  CHECK (weft_expr_like (C ("city"), "%a_i%"), "true,true,false,null,true,false");
  CHECK (weft_expr_like (C ("city"), "B%l%n"), "false,false,false,null,false,true");
  CHECK (weft_expr_like (C ("city"), "O__o"), "false,false,true,null,false,false");
  CHECK (weft_expr_like (C ("city"), "O___o"), "false,false,false,null,false,false");
  /* '_' is one character, not one byte */
  CHECK (weft_expr_like (C ("name"), "_mile"), "false,false,null,true,false,false");
  CHECK (weft_expr_like (C ("name"), "Zo_"), "false,false,null,false,false,true");
  CHECK (weft_expr_like (C ("name"), "%"), "true,true,null,true,true,true");
  CHECK (weft_expr_like (C ("name"), ""), "false,false,null,false,true,false");
  /* escapes */
  CONST (weft_expr_like (S ("100%"), "100\\%"), "true");
  CONST (weft_expr_like (S ("1000"), "100\\%"), "false");
  CONST (weft_expr_like (S ("a_b"), "a\\_b"), "true");
  CONST (weft_expr_like (S ("axb"), "a\\_b"), "false");
  CONST (weft_expr_like (S ("a\\b"), "a\\\\b"), "true");
  CONST (weft_expr_like (S ("abc%"), "%\\%"), "true");
  CONST (weft_expr_like (S ("abc"), "%\\%"), "false");
  CONST (weft_expr_like (S ("aXbXc"), "a%b%c"), "true");
  CONST (weft_expr_like (S ("abcabd"), "%ab_"), "true");
  CONST (weft_expr_like (S ("mississippi"), "%iss%ppi"), "true");
  CONST (weft_expr_like (S ("mississippi"), "%iss%pi_"), "false");
  CONST (weft_expr_like (S ("a\nb"), "a_b"), "true");
  CONST (weft_expr_like (NUL (), "a"), "null");
}

/* ---- Casts -------------------------------------------------------------------------------- */

#define CAST(e, t) weft_expr_cast ((e), WEFT_DATA_TYPE_##t)

static void
test_cast (void)
{
  /* to string */
  CHECK (CAST (C ("age"), STRING), "34,45,null,29,30,31");
  CHECK (CAST (C ("salary"), STRING), "50000.5,72000.0,null,-10.25,50000.0,1.0E7");
  CHECK (CAST (C ("active"), STRING), "true,false,null,true,false,null");
  CHECK (CAST (C ("hired"), STRING), "2020-01-15,1969-12-31,2000-02-29,null,2024-12-01,1999-07-04");
  CONST (CAST (D (0.001), STRING), "0.001");
  CONST (CAST (D (1e-4), STRING), "1.0E-4");
  CONST (CAST (D (1234567.0), STRING), "1234567.0");
  CONST (CAST (D (12345678.9), STRING), "1.23456789E7");
  CONST (CAST (D (0.1 + 0.2), STRING), "0.30000000000000004");
  CONST (CAST (D (-0.0), STRING), "-0.0");
  CONST (CAST (D (NAN), STRING), "NaN");
  CONST (CAST (D (-INFINITY), STRING), "-Infinity");
  CONST (CAST (I (G_MININT64), STRING), "-9223372036854775808");
  /* from string; what does not parse is null */
  CONST (CAST (S ("42"), INT64), "42");
  CONST (CAST (S (" -42 "), INT64), "-42");
  CONST (CAST (S ("12.7"), INT64), "12");
  CONST (CAST (S ("-12.7"), INT64), "-12");
  CONST (CAST (S ("1e3"), INT64), "null");
  CONST (CAST (S ("abc"), INT64), "null");
  CONST (CAST (S (""), INT64), "null");
  CONST (CAST (S ("9223372036854775807"), INT64), "9223372036854775807");
  CONST (CAST (S ("9223372036854775808"), INT64), "null");
  CONST (CAST (S ("-9223372036854775808"), INT64), "-9223372036854775808");
  CONST (CAST (S ("1.5"), DOUBLE), "1.5");
  CONST (CAST (S (" 1e3 "), DOUBLE), "1000.0");
  CONST (CAST (S ("NaN"), DOUBLE), "nan");
  CONST (CAST (S ("1,5"), DOUBLE), "null");
  CONST (CAST (S ("yes"), BOOL), "true");
  CONST (CAST (S ("T"), BOOL), "true");
  CONST (CAST (S ("1"), BOOL), "true");
  CONST (CAST (S (" false "), BOOL), "false");
  CONST (CAST (S ("N"), BOOL), "false");
  CONST (CAST (S ("0"), BOOL), "false");
  CONST (CAST (S ("maybe"), BOOL), "null");
  CONST (CAST (S ("2024-02-29"), DATE), "2024-02-29");
  CONST (CAST (S ("2023-02-29"), DATE), "null");
  CONST (CAST (S ("2024-3-5"), DATE), "2024-03-05");
  CONST (CAST (S ("2024-03-05T10:00:00"), DATE), "2024-03-05");
  CONST (CAST (S ("March"), DATE), "null");
  CHECK (CAST (C ("name"), INT64), "null,null,null,null,null,null");
  /* numbers and booleans */
  CHECK (CAST (C ("age"), DOUBLE), "34.0,45.0,null,29.0,30.0,31.0");
  CHECK (CAST (C ("salary"), INT64), "50000,72000,null,-10,50000,10000000");
  CHECK (CAST (C ("age"), BOOL), "true,true,null,true,true,true");
  CHECK (CAST (BIN (SUB, C ("age"), I (30)), BOOL), "true,true,null,true,false,true");
  CHECK (CAST (C ("active"), INT64), "1,0,null,1,0,null");
  CHECK (CAST (C ("active"), DOUBLE), "1.0,0.0,null,1.0,0.0,null");
  CHECK (CAST (C ("salary"), BOOL), "true,true,null,true,true,true");
  CONST (CAST (D (NAN), INT64), "0");
  CONST (CAST (D (1e300), INT64), "9223372036854775807");
  CONST (CAST (D (-1e300), INT64), "-9223372036854775808");
  CONST (CAST (D (-2.9), INT64), "-2");
  CONST (CAST (D (0.0), BOOL), "false");
  CONST (CAST (NUL (), INT64), "null");
}

/* ---- Functions ---------------------------------------------------------------------------- */

#define CALL(f, ...) weft_expr_call (f, __VA_ARGS__, NULL)

static void
test_functions_string (void)
{
  CHECK (CALL ("upper", C ("name")), "ALICE,BOB,null,ÉMILE,,ZOË");
  CHECK (CALL ("lower", C ("name")), "alice,bob,null,émile,,zoë");
  CHECK (CALL ("length", C ("name")), "5,3,null,5,0,3");
  CHECK (CALL ("upper", C ("age")), "34,45,null,29,30,31");
  CONST (CALL ("upper", S ("straße")), "STRASSE");
  /* substring: 1-based; 0 acts as 1; negative counts from the end */
  CHECK (CALL ("substring", C ("name"), I (2), I (3)), "lic,ob,null,mil,,oë");
  CHECK (CALL ("substr", C ("name"), I (-2)), "ce,ob,null,le,,oë");
  CHECK (CALL ("substr", C ("name"), I (0), I (2)), "Al,bo,null,Ém,,Zo");
  CHECK (CALL ("substr", C ("name"), C ("id"), I (1)), "A,o,null,l,,");
  CONST (CALL ("substr", S ("Spark SQL"), I (5)), "k SQL");
  CONST (CALL ("substr", S ("Spark SQL"), I (-3)), "SQL");
  CONST (CALL ("substr", S ("Spark SQL"), I (5), I (1)), "k");
  CONST (CALL ("substr", S ("Spark"), I (-10), I (3)), "");
  CONST (CALL ("substr", S ("Spark"), I (-7), I (4)), "Sp");
  CONST (CALL ("substr", S ("Spark"), I (1), I (-1)), "");
  CONST (CALL ("substr", S ("Spark"), I (9), I (2)), "");
  CONST (CALL ("substr", S ("Spark"), I (2), I (G_MAXINT64)), "park");
  CONST (CALL ("substr", S ("Spark"), NUL (), I (2)), "null");
  CONST (CALL ("substr", S ("Spark"), I (2), NUL ()), "null");
  CHECK (CALL ("concat", C ("name"), S ("-"), C ("city")), "Alice-Paris,bob-paris,null,null,-Paris,Zoë-Berlin");
  CHECK (CALL ("concat", C ("city"), C ("id")), "Paris1,paris2,Oslo3,null,Paris5,Berlin6");
  CONST (CALL ("concat", S ("a"), NUL ()), "null");
  CONST (CALL ("length", S ("")), "0");
  CONST (CALL ("length", S ("日本語")), "3");
}

static void
test_functions_other (void)
{
  CHECK (CALL ("year", C ("hired")), "2020,1969,2000,null,2024,1999");
  CHECK (CALL ("month", C ("hired")), "1,12,2,null,12,7");
  CONST (CALL ("year", S ("2021-06-30")), "2021");
  CONST (CALL ("month", S ("bad")), "null");
  CONST (CALL ("year", weft_expr_lit_date (-719528)), "0");
  CHECK (CALL ("coalesce", C ("name"), C ("city"), S ("?")), "Alice,bob,Oslo,Émile,,Zoë");
  CHECK (CALL ("coalesce", C ("age"), C ("salary")), "34.0,45.0,null,29.0,30.0,31.0");
  CHECK (CALL ("coalesce", C ("age"), I (-1)), "34,45,-1,29,30,31");
  CHECK (CALL ("coalesce", C ("id"), I (-1)), "1,2,3,4,5,6");
  CHECK (CALL ("coalesce", NUL (), C ("active")), "true,false,null,true,false,null");
  CHECK (CALL ("coalesce", C ("hired"), weft_expr_lit_date (0)),
         "2020-01-15,1969-12-31,2000-02-29,1970-01-01,2024-12-01,1999-07-04");
  CONST (CALL ("coalesce", NUL (), NUL ()), "null");
  CONST (CALL ("coalesce", NUL (), I (3), I (4)), "3");
  CHECK (CALL ("abs", C ("salary")), "50000.5,72000.0,null,10.25,50000.0,10000000.0");
  /* round: HALF_UP on the decimal Spark sees */
  CONST (CALL ("round", D (2.5)), "3.0");
  CONST (CALL ("round", D (-2.5)), "-3.0");
  CONST (CALL ("round", D (0.5)), "1.0");
  CONST (CALL ("round", D (-0.5)), "-1.0");
  CONST (CALL ("round", D (0.4)), "0.0");
  CONST (CALL ("round", D (-0.4)), "0.0");
  CONST (CALL ("round", D (2.675), I (2)), "2.6800000000000002");
  CONST (CAST (CALL ("round", D (2.675), I (2)), STRING), "2.68");
  CONST (CAST (CALL ("round", D (1.005), I (2)), STRING), "1.01");
  CONST (CAST (CALL ("round", D (-1.005), I (2)), STRING), "-1.01");
  CONST (CAST (CALL ("round", D (1.0049), I (2)), STRING), "1.0");
  CONST (CAST (CALL ("round", D (0.125), I (2)), STRING), "0.13");
  CONST (CAST (CALL ("round", D (123.456), I (-1)), STRING), "120.0");
  CONST (CAST (CALL ("round", D (155.0), I (-1)), STRING), "160.0");
  CONST (CAST (CALL ("round", D (1.23456789e20), I (-19)), STRING), "1.2E20");
  CONST (CAST (CALL ("round", D (0.04), I (-1)), STRING), "0.0");
  CONST (CAST (CALL ("round", D (1e-20), I (25)), STRING), "1.0E-20");
  CONST (CAST (CALL ("round", D (1.5e-20), I (20)), STRING), "2.0E-20");
  CONST (CAST (CALL ("round", D (NAN), I (2)), STRING), "NaN");
  CONST (CALL ("round", I (1234), I (-2)), "1200");
  CONST (CALL ("round", I (1250), I (-2)), "1300");
  CONST (CALL ("round", I (-1250), I (-2)), "-1300");
  CONST (CALL ("round", I (-1249), I (-2)), "-1200");
  CONST (CALL ("round", I (17), I (3)), "17");
  CONST (CALL ("round", I (G_MAXINT64), I (-30)), "0");
  CHECK (CALL ("round", C ("salary"), I (-3)), "50000.0,72000.0,null,0.0,50000.0,10000000.0");
  CHECK (CALL ("round", C ("age"), I (-1)), "30,50,null,30,30,30");
}

/* ---- Resolution --------------------------------------------------------------------------- */

static void
test_resolve (void)
{
  g_autoptr (WeftBatch) batch = people ();
  g_autoptr (WeftSchema) dup = weft_schema_new ();
  g_autoptr (GError) error = NULL;

  /* case-insensitive by default; the schema's spelling wins */
  {
    g_autoptr (WeftExpr) e = BIN (GT, C ("AGE"), I (30));
    g_autoptr (WeftExpr) r = weft_expr_resolve (e, batch->schema, &error);
    g_autofree char *name = NULL, *s = NULL;

    g_assert_no_error (error);
    name = weft_expr_name (r);
    s = weft_expr_to_string (r);
    g_assert_cmpstr (name, ==, "(age > 30)");
    g_assert_cmpstr (s, ==, "(age#2 > 30)");
    g_assert_cmpint (weft_expr_get_type (r), ==, WEFT_DATA_TYPE_BOOL);
    g_assert_true (weft_expr_get_nullable (r));
    g_assert_true (weft_expr_is_resolved (r));
    g_assert_false (weft_expr_is_resolved (e));
    g_assert_cmpint (weft_expr_get_column (weft_expr_get_child (r, 0)), ==, 2);
  }
  {
    g_autoptr (WeftExpr) e = C ("AGE");
    g_autoptr (WeftExpr) r = weft_expr_resolve_full (e, batch->schema,
                                                     WEFT_EXPR_RESOLVE_CASE_SENSITIVE, &error);

    g_assert_null (r);
    g_assert_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_SCHEMA);
    g_assert_cmpstr (error->message, ==, "column 'AGE' does not exist; available: id, name, age, "
                                         "salary, active, hired, city");
    g_clear_error (&error);
  }
  /* non-nullable column: id + 1 is not nullable, id / 2 is */
  {
    g_autoptr (WeftExpr) e = BIN (ADD, C ("id"), I (1));
    g_autoptr (WeftExpr) r = weft_expr_resolve (e, batch->schema, NULL);
    g_autoptr (WeftExpr) e2 = BIN (DIV, C ("id"), C ("id"));
    g_autoptr (WeftExpr) r2 = weft_expr_resolve (e2, batch->schema, NULL);
    g_autoptr (WeftExpr) e3 = BIN (DIV, C ("id"), I (2));
    g_autoptr (WeftExpr) r3 = weft_expr_resolve (e3, batch->schema, NULL);

    g_assert_false (weft_expr_get_nullable (r));
    g_assert_true (weft_expr_get_nullable (r2));
    g_assert_false (weft_expr_get_nullable (r3));
    g_assert_cmpint (weft_expr_get_type (r3), ==, WEFT_DATA_TYPE_DOUBLE);
  }
  /* resolving a resolved tree against a reordered schema follows the names */
  {
    g_autoptr (WeftExpr) e = BIN (GT, C ("age"), D (1.5));
    g_autoptr (WeftExpr) r = weft_expr_resolve (e, batch->schema, NULL);
    guint idx[] = { 3, 2 };
    g_autoptr (WeftSchema) s2 = weft_schema_select (batch->schema, idx, 2);
    g_autoptr (WeftExpr) r2 = weft_expr_resolve (r, s2, &error);
    g_autofree char *t = weft_expr_to_string (r2);

    g_assert_no_error (error);
    g_assert_cmpstr (t, ==, "(cast(age#1 as double) > 1.5)");
  }

  weft_schema_add_field (dup, "a", WEFT_DATA_TYPE_INT64, TRUE);
  weft_schema_add_field (dup, "A", WEFT_DATA_TYPE_INT64, TRUE);
  weft_schema_add_field (dup, "b", WEFT_DATA_TYPE_INT64, TRUE);
  weft_schema_add_field (dup, "b", WEFT_DATA_TYPE_INT64, TRUE);
  check_error (C ("a"), dup, "column 'a' is ambiguous; it could be: a, A");
  check_error (C ("B"), dup, "column 'B' is ambiguous; it could be: b, b");
  {
    g_autoptr (WeftExpr) e = C ("A");
    g_autoptr (WeftExpr) r = weft_expr_resolve_full (e, dup, WEFT_EXPR_RESOLVE_CASE_SENSITIVE, NULL);

    g_assert_cmpint (weft_expr_get_column (r), ==, 1);
  }

  check_error (BIN (GT, C ("agee"), I (30)), batch->schema,
               "column 'agee' does not exist; available: id, name, age, salary, active, hired, city");
  check_error (BIN (GT, C ("name"), I (30)), batch->schema,
               "cannot compare string name with bigint 30: cast one side");
  check_error (BIN (EQ, C ("active"), I (1)), batch->schema,
               "cannot compare boolean active with bigint 1: cast one side");
  check_error (BIN (LT, C ("hired"), C ("age")), batch->schema,
               "cannot compare date hired with bigint age: cast one side");
  check_error (BIN (ADD, C ("name"), I (1)), batch->schema,
               "cannot apply + to string name and bigint 1: arithmetic needs numbers, cast one side");
  check_error (BIN (AND, C ("active"), BIN (ADD, C ("age"), I (1))), batch->schema,
               "AND needs boolean operands, not bigint (age + 1)");
  check_error (UN (NOT, C ("name")), batch->schema, "NOT needs boolean operands, not string name");
  check_error (CAST (C ("age"), DATE), batch->schema, "cannot cast bigint age to date");
  check_error (CAST (C ("hired"), DOUBLE), batch->schema, "cannot cast date hired to double");
  check_error (CALL ("frobnicate", C ("age")), batch->schema,
               "unknown function 'frobnicate'; known functions: upper, lower, length, substring, "
               "year, month, coalesce, abs, round, concat");
  check_error (CALL ("upper", C ("name"), C ("city")), batch->schema,
               "upper takes 1 argument, not 2");
  check_error (CALL ("substr", C ("name")), batch->schema,
               "substring takes 2 to 3 arguments, not 1");
  check_error (weft_expr_call ("coalesce", NULL), batch->schema,
               "coalesce takes at least 1 argument, not 0");
  check_error (CALL ("substr", C ("name"), D (1.5)), batch->schema,
               "substring needs integer positions and lengths, not double 1.5");
  check_error (CALL ("year", C ("age")), batch->schema, "year needs a date, not bigint age");
  check_error (CALL ("abs", C ("name")), batch->schema, "abs needs a number, not string name");
  check_error (CALL ("round", C ("salary"), C ("age")), batch->schema,
               "round needs an integer literal as its scale");
  check_error (CALL ("coalesce", C ("name"), C ("age")), batch->schema,
               "coalesce needs arguments of one type, not string name and bigint age");
  check_error (weft_expr_like (C ("age"), "1%"), batch->schema, "LIKE needs a string, not bigint age");
  check_error (BIN (LIKE, C ("name"), C ("city")), batch->schema,
               "LIKE needs a string literal as its pattern");
  check_error (weft_expr_like (C ("name"), "a\\b"), batch->schema,
               "LIKE pattern 'a\\b': the escape character may only precede %, _ or \\, not 'b'");
  check_error (weft_expr_like (C ("name"), "a\\"), batch->schema,
               "LIKE pattern 'a\\' ends with the escape character");
  check_error (in_list (C ("age"), C ("id"), NULL), batch->schema,
               "IN needs literal values; id is not one");
  check_error (in_list (C ("age"), S ("x"), NULL), batch->schema,
               "cannot compare bigint age with string x in IN: cast one side");
  /* errors deep in a tree surface unchanged */
  check_error (weft_expr_alias (BIN (OR, B (TRUE), BIN (GT, C ("nope"), I (1))), "x"),
               batch->schema,
               "column 'nope' does not exist; available: id, name, age, salary, active, hired, city");
}

/* ---- Names -------------------------------------------------------------------------------- */

static void
test_names (void)
{
  check_name (BIN (GT, C ("age"), I (30)), "(age > 30)");
  check_name (CALL ("upper", C ("name")), "upper(name)");
  check_name (BIN (MUL, C ("salary"), D (1.1)), "(salary * 1.1)");
  check_name (BIN (DIV, C ("a"), D (1e10)), "(a / 1.0E10)");
  check_name (weft_expr_alias (BIN (ADD, C ("a"), I (1)), "b"), "b");
  check_name (BIN (NE, C ("a"), I (1)), "(NOT (a = 1))");
  check_name (UN (NOT, C ("p")), "(NOT p)");
  check_name (UN (NEG, C ("a")), "(- a)");
  check_name (BIN (AND, C ("p"), BIN (OR, C ("q"), C ("r"))), "(p AND (q OR r))");
  check_name (UN (IS_NULL, C ("a")), "(a IS NULL)");
  check_name (UN (IS_NOT_NULL, C ("a")), "(a IS NOT NULL)");
  check_name (in_list (C ("a"), I (1), S ("x"), NUL (), NULL), "(a IN (1, x, NULL))");
  check_name (weft_expr_like (C ("name"), "A%"), "name LIKE A%");
  check_name (CAST (C ("age"), STRING), "CAST(age AS STRING)");
  check_name (CAST (C ("age"), INT64), "CAST(age AS BIGINT)");
  check_name (CAST (C ("s"), BOOL), "CAST(s AS BOOLEAN)");
  check_name (CALL ("substr", C ("s"), I (1), I (3)), "substring(s, 1, 3)");
  check_name (CALL ("substr", C ("s"), I (2)), "substring(s, 2, 2147483647)");
  check_name (CALL ("round", C ("x")), "round(x, 0)");
  check_name (CALL ("round", C ("x"), I (2)), "round(x, 2)");
  check_name (CALL ("coalesce", C ("a"), C ("b"), I (0)), "coalesce(a, b, 0)");
  check_name (CALL ("concat", C ("a"), S ("-")), "concat(a, -)");
  check_name (weft_expr_lit_date (day ("2024-01-02")), "DATE '2024-01-02'");
  check_name (B (TRUE), "true");
  check_name (NUL (), "NULL");
  check_name (D (50000), "50000.0");
  check_name (D (0.1), "0.1");
  check_name (I (-7), "-7");
  check_name (BIN (MOD, C ("a"), I (2)), "(a % 2)");
  check_name (CALL ("nosuch", C ("a")), "nosuch(a)");

  /* implicit casts do not show in names (as in Spark), but do in explain */
  {
    g_autoptr (WeftBatch) batch = people ();
    g_autoptr (WeftExpr) e = weft_expr_alias (BIN (GT, C ("salary"), C ("age")), "rich");
    g_autoptr (WeftExpr) r = weft_expr_resolve (e, batch->schema, NULL);
    g_autofree char *name = weft_expr_name (weft_expr_get_child (r, 0));
    g_autofree char *s = weft_expr_to_string (r);
    g_autoptr (WeftExpr) e2 = BIN (EQ, C ("city"), S ("it's"));
    g_autoptr (WeftExpr) r2 = weft_expr_resolve (e2, batch->schema, NULL);
    g_autofree char *s2 = weft_expr_to_string (r2);

    g_assert_cmpstr (name, ==, "(salary > age)");
    g_assert_cmpstr (s, ==, "(salary#3 > cast(age#2 as double)) AS rich");
    g_assert_cmpstr (s2, ==, "(city#6 = 'it\\'s')");
  }
}

/* ---- Folding ------------------------------------------------------------------------------ */

static char *
fold_text (WeftExpr *e)
{
  g_autoptr (WeftExpr) owned = e;
  g_autoptr (WeftBatch) batch = people ();
  g_autoptr (GError) error = NULL;
  g_autoptr (WeftExpr) r = weft_expr_resolve (owned, batch->schema, &error);
  g_autoptr (WeftExpr) f = NULL;

  g_assert_no_error (error);
  f = weft_expr_fold (r);
  g_assert_true (weft_expr_is_resolved (f));
  g_assert_cmpint (weft_expr_get_type (f), ==, weft_expr_get_type (r));
  return weft_expr_to_string (f);
}

#define FOLD(e, expected)                                                                          \
  do                                                                                               \
    {                                                                                              \
      g_autofree char *t_ = fold_text (e);                                                         \
      g_assert_cmpstr (t_, ==, (expected));                                                        \
    }                                                                                              \
  while (0)

static void
test_fold (void)
{
  FOLD (BIN (ADD, I (1), I (2)), "3");
  FOLD (BIN (GT, C ("age"), BIN (ADD, I (1), I (1))), "(age#2 > 2)");
  FOLD (BIN (GT, C ("salary"), I (50000)), "(salary#3 > 50000.0)");
  FOLD (BIN (GT, C ("hired"), S ("2020-01-01")), "(hired#5 > DATE '2020-01-01')");
  FOLD (BIN (AND, B (TRUE), BIN (GT, C ("age"), I (1))), "(age#2 > 1)");
  FOLD (BIN (AND, BIN (GT, C ("age"), I (1)), B (TRUE)), "(age#2 > 1)");
  FOLD (BIN (AND, B (FALSE), BIN (GT, C ("age"), I (1))), "false");
  FOLD (BIN (AND, BIN (GT, C ("age"), I (1)), BIN (EQ, I (1), I (2))), "false");
  FOLD (BIN (OR, BIN (GT, C ("age"), I (1)), B (TRUE)), "true");
  FOLD (BIN (OR, B (FALSE), C ("active")), "active#4");
  FOLD (BIN (AND, NUL (), C ("active")), "(NULL AND active#4)");
  FOLD (UN (NOT, UN (NOT, C ("active"))), "active#4");
  FOLD (UN (NOT, UN (NOT, UN (NOT, C ("active")))), "(NOT active#4)");
  FOLD (CALL ("coalesce", NUL (), C ("age"), I (5), C ("id")), "coalesce(age#2, 5)");
  FOLD (CALL ("coalesce", NUL (), C ("age")), "age#2");
  FOLD (CALL ("upper", S ("abc")), "'ABC'");
  FOLD (CAST (S ("12"), INT64), "12");
  FOLD (BIN (DIV, I (1), I (0)), "NULL");
  FOLD (weft_expr_alias (BIN (MUL, I (6), I (7)), "answer"), "42 AS answer");
  FOLD (in_list (C ("age"), D (1), I (2), NULL), "(cast(age#2 as double) IN (1.0, 2.0))");
  FOLD (weft_expr_like (CALL ("lower", S ("ABC")), "a%"), "true");
  FOLD (BIN (ADD, C ("age"), BIN (MUL, I (2), I (3))), "(age#2 + 6)");

  /* nothing to fold: the same tree comes back */
  {
    g_autoptr (WeftBatch) batch = people ();
    g_autoptr (WeftExpr) e = BIN (GT, C ("age"), I (3));
    g_autoptr (WeftExpr) r = weft_expr_resolve (e, batch->schema, NULL);
    g_autoptr (WeftExpr) f = weft_expr_fold (r);

    g_assert_true (f == r);
  }
}

/* ---- Columns, remap, equality, conjuncts -------------------------------------------------- */

static void
test_columns_remap (void)
{
  g_autoptr (WeftBatch) batch = people ();
  g_autoptr (WeftExpr) e = BIN (AND, BIN (GT, C ("salary"), C ("age")),
                                BIN (OR, weft_expr_like (C ("city"), "P%"),
                                     BIN (LT, C ("age"), I (40))));
  g_autoptr (WeftExpr) r = weft_expr_resolve (e, batch->schema, NULL);
  g_autoptr (GArray) cols = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr (WeftBatch) pruned = NULL;
  g_autoptr (WeftExpr) remapped = NULL;
  g_autoptr (WeftColumn) c1 = NULL, c2 = NULL;
  int old_to_new[7] = { -1, -1, -1, -1, -1, -1, -1 };

  weft_expr_columns (r, cols);
  g_assert_cmpuint (cols->len, ==, 3);
  g_assert_cmpuint (g_array_index (cols, guint, 0), ==, 3);
  g_assert_cmpuint (g_array_index (cols, guint, 1), ==, 2);
  g_assert_cmpuint (g_array_index (cols, guint, 2), ==, 6);
  for (guint i = 0; i < cols->len; i++)
    old_to_new[g_array_index (cols, guint, i)] = (int) i;
  pruned = weft_batch_project (batch, (guint *) cols->data, cols->len);
  remapped = weft_expr_remap (r, old_to_new);
  c1 = weft_expr_eval (r, batch, NULL);
  c2 = weft_expr_eval (remapped, pruned, NULL);
  g_assert_true (columns_equal (c1, c2));
  {
    g_autofree char *s = weft_expr_to_string (remapped);

    g_assert_cmpstr (s, ==, "((salary#0 > cast(age#1 as double)) AND (city#2 LIKE 'P%' OR "
                            "(age#1 < 40)))");
  }

  /* a batch whose column does not match is an error, not a crash */
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (WeftColumn) bad = weft_expr_eval (r, pruned, &error);

    g_assert_null (bad);
    g_assert_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_SCHEMA);
  }
}

static void
test_equal_hash (void)
{
  g_autoptr (WeftBatch) batch = people ();
  g_autoptr (WeftExpr) a = BIN (ADD, C ("age"), D (1.5));
  g_autoptr (WeftExpr) b = BIN (ADD, C ("AGE"), D (1.5));
  g_autoptr (WeftExpr) c = BIN (ADD, C ("age"), D (2.5));
  g_autoptr (WeftExpr) ra = weft_expr_resolve (a, batch->schema, NULL);
  g_autoptr (WeftExpr) rb = weft_expr_resolve (b, batch->schema, NULL);
  g_autoptr (WeftExpr) rc = weft_expr_resolve (c, batch->schema, NULL);
  g_autoptr (WeftExpr) n1 = D (NAN);
  g_autoptr (WeftExpr) n2 = D (NAN);
  g_autoptr (WeftExpr) s1 = S ("x");
  g_autoptr (WeftExpr) s2 = S ("y");
  g_autoptr (WeftExpr) conj = BIN (AND, BIN (AND, C ("p"), C ("q")), BIN (OR, C ("r"), C ("s")));
  g_autoptr (GPtrArray) parts = g_ptr_array_new_with_free_func ((GDestroyNotify) weft_expr_unref);

  g_assert_false (weft_expr_equal (a, b));
  g_assert_true (weft_expr_equal (ra, rb));
  g_assert_cmpuint (weft_expr_hash (ra), ==, weft_expr_hash (rb));
  g_assert_false (weft_expr_equal (ra, rc));
  g_assert_false (weft_expr_equal (ra, a));
  g_assert_true (weft_expr_equal (n1, n2));
  g_assert_cmpuint (weft_expr_hash (n1), ==, weft_expr_hash (n2));
  g_assert_false (weft_expr_equal (s1, s2));

  weft_expr_split_conjuncts (conj, parts);
  g_assert_cmpuint (parts->len, ==, 3);
  {
    g_autofree char *n = weft_expr_name (parts->pdata[2]);

    g_assert_cmpstr (n, ==, "(r OR s)");
  }

  /* inspection */
  g_assert_cmpint (weft_expr_get_kind (ra), ==, WEFT_EXPR_CALL);
  g_assert_cmpint (weft_expr_get_op (ra), ==, WEFT_EXPR_OP_ADD);
  g_assert_true (weft_expr_is_implicit_cast (weft_expr_get_child (ra, 0)));
  g_assert_cmpfloat (weft_expr_literal_double (weft_expr_get_child (ra, 1)), ==, 1.5);
  g_assert_cmpstr (weft_expr_op_name (WEFT_EXPR_OP_SUBSTR), ==, "substring");
  for (guint op = 1; op < WEFT_EXPR_N_OPS; op++)
    g_assert_cmpint (weft_expr_op_from_name (weft_expr_op_name (op)), ==, op);
  g_assert_cmpint (weft_expr_op_from_name (">="), ==, WEFT_EXPR_OP_GE);
  g_assert_cmpint (weft_expr_op_from_name ("SUBSTR"), ==, WEFT_EXPR_OP_SUBSTR);
  g_assert_cmpint (weft_expr_op_from_name ("nope"), ==, WEFT_EXPR_OP_NONE);
}

/* ---- Filters ------------------------------------------------------------------------------ */

static char *
filter_rows (WeftExpr *e)
{
  g_autoptr (WeftExpr) owned = e;
  g_autoptr (WeftBatch) batch = people ();
  g_autoptr (WeftExpr) r = weft_expr_resolve (owned, batch->schema, NULL);
  g_autoptr (WeftSelection) s = weft_expr_eval_filter (r, batch, NULL);
  GString *out = g_string_new (NULL);

  for (gsize i = 0; i < s->n; i++)
    g_string_append_printf (out, "%s%u", i > 0 ? "," : "", s->rows[i]);
  return g_string_free (out, FALSE);
}

#define FILTER(e, expected)                                                                        \
  do                                                                                               \
    {                                                                                              \
      g_autofree char *t_ = filter_rows (e);                                                       \
      g_assert_cmpstr (t_, ==, (expected));                                                        \
    }                                                                                              \
  while (0)

static void
test_filter (void)
{
  FILTER (BIN (GT, C ("age"), I (30)), "0,1,5");
  FILTER (BIN (GT, I (30), C ("age")), "3");
  FILTER (BIN (GT, C ("salary"), I (50000)), "0,1,5");
  FILTER (BIN (EQ, C ("city"), S ("Paris")), "0,4");
  FILTER (BIN (NE, C ("city"), S ("Paris")), "1,2,5");
  FILTER (BIN (GE, C ("city"), S ("P")), "0,1,4");
  FILTER (BIN (LT, C ("hired"), S ("2000-01-01")), "1,5");
  FILTER (BIN (EQ, C ("active"), B (TRUE)), "0,3");
  FILTER (C ("active"), "0,3");
  FILTER (BIN (EQ, C ("age"), NUL ()), "");
  FILTER (B (TRUE), "0,1,2,3,4,5");
  FILTER (CAST (NUL (), BOOL), "");
  FILTER (BIN (AND, BIN (GT, C ("age"), I (30)), BIN (EQ, C ("city"), S ("paris"))), "1");
  FILTER (BIN (AND, BIN (AND, BIN (GE, C ("id"), I (2)), BIN (LE, C ("id"), I (5))),
               UN (IS_NOT_NULL, C ("name"))),
          "1,3,4");
  FILTER (BIN (AND, BIN (GT, C ("id"), I (1)), BIN (EQ, BIN (DIV, I (1), I (0)), D (1))), "");
  FILTER (BIN (OR, BIN (GT, C ("age"), I (40)), weft_expr_like (C ("city"), "O%")), "1,2");
  FILTER (BIN (GT, BIN (ADD, C ("age"), C ("id")), BIN (MUL, I (7), I (5))), "1,5");
  FILTER (weft_expr_alias (BIN (LT, C ("salary"), D (NAN)), "x"), "0,1,3,4,5");
}

/* ---- Property test: random trees against a reference evaluator ----------------------------- */

/* The reference: one row at a time, dynamically typed, written without the engine's code. */
typedef struct
{
  int type; /* 0 = untyped null */
  gboolean null;
  gint64 i;
  double d;
  char *s; /* owned, NUL-terminated (test strings hold no NUL) */
} Val;

static void
val_clear (Val *v)
{
  g_free (v->s);
  memset (v, 0, sizeof *v);
}

static Val
val_null (int type)
{
  Val v = { 0 };

  v.type = type;
  v.null = TRUE;
  return v;
}

static Val
val_bool (gboolean b)
{
  Val v = { 0 };

  v.type = WEFT_DATA_TYPE_BOOL;
  v.i = b != 0;
  return v;
}

static double
as_double (const Val *v)
{
  return v->type == WEFT_DATA_TYPE_DOUBLE ? v->d : (double) v->i;
}

/* -1, 0, 1; NaN largest and equal to itself. */
static int
ref_cmp (const Val *a, const Val *b)
{
  if (a->type == WEFT_DATA_TYPE_STRING)
    {
      int c = strcmp (a->s, b->s);

      return (c > 0) - (c < 0);
    }
  if (a->type == WEFT_DATA_TYPE_DOUBLE || b->type == WEFT_DATA_TYPE_DOUBLE)
    {
      double x = as_double (a), y = as_double (b);

      if (isnan (x) || isnan (y))
        return isnan (x) - isnan (y);
      return (x > y) - (x < y);
    }
  return (a->i > b->i) - (a->i < b->i);
}

static gboolean
ref_like (const char *s, const char *p)
{
  if (*p == 0)
    return *s == 0;
  if (*p == '%')
    {
      for (const char *t = s;; t++)
        {
          if (ref_like (t, p + 1))
            return TRUE;
          if (*t == 0)
            return FALSE;
        }
    }
  if (*s == 0)
    return FALSE;
  if (*p == '\\')
    return p[1] == *s && ref_like (s + 1, p + 2);
  if (*p == '_' || *p == *s)
    return ref_like (s + 1, p + 1);
  return FALSE;
}

static Val ref_eval (const WeftExpr *e, const WeftBatch *batch, gsize row);

static Val
ref_column (const WeftExpr *e, const WeftBatch *batch, gsize row)
{
  int idx = weft_schema_find (batch->schema, weft_expr_get_name (e), FALSE);
  const WeftColumn *c = batch->columns[idx];
  Val v = { 0 };

  v.type = c->type;
  if (!weft_column_is_valid (c, row))
    return val_null (c->type);
  switch (c->type)
    {
    case WEFT_DATA_TYPE_INT64:
      v.i = c->values.i64[row];
      break;
    case WEFT_DATA_TYPE_DOUBLE:
      v.d = c->values.f64[row];
      break;
    case WEFT_DATA_TYPE_BOOL:
      v.i = c->values.b[row];
      break;
    case WEFT_DATA_TYPE_DATE:
      v.i = c->values.date[row];
      break;
    case WEFT_DATA_TYPE_STRING:
      {
        gsize len;
        const char *s = weft_column_get_string (c, row, &len);

        v.s = len > 0 ? g_strndup (s, len) : g_strdup ("");
      }
      break;
    }
  return v;
}

static Val
ref_literal (const WeftExpr *e)
{
  Val v = { 0 };

  v.type = weft_expr_get_type (e);
  if (weft_expr_literal_is_null (e))
    return val_null (v.type);
  switch (v.type)
    {
    case WEFT_DATA_TYPE_INT64:
      v.i = weft_expr_literal_int64 (e);
      break;
    case WEFT_DATA_TYPE_DOUBLE:
      v.d = weft_expr_literal_double (e);
      break;
    case WEFT_DATA_TYPE_BOOL:
      v.i = weft_expr_literal_bool (e);
      break;
    case WEFT_DATA_TYPE_DATE:
      v.i = weft_expr_literal_date (e);
      break;
    case WEFT_DATA_TYPE_STRING:
      {
        gsize len;
        const char *s = weft_expr_literal_string (e, &len);

        v.s = len > 0 ? g_strndup (s, len) : g_strdup ("");
      }
      break;
    }
  return v;
}

static Val
ref_cast (Val a, int to)
{
  Val v = { 0 };

  v.type = to;
  if (a.null)
    {
      val_clear (&a);
      return val_null (to);
    }
  if (a.type == to)
    return a;
  if (to == WEFT_DATA_TYPE_DOUBLE)
    v.d = (double) a.i;
  else if (to == WEFT_DATA_TYPE_INT64 && a.type == WEFT_DATA_TYPE_DOUBLE)
    v.i = isnan (a.d) ? 0 : a.d >= 0x1p63 ? G_MAXINT64 : a.d <= -0x1p63 ? G_MININT64 : (gint64) trunc (a.d);
  else if (to == WEFT_DATA_TYPE_INT64 && a.type == WEFT_DATA_TYPE_STRING)
    {
      char *end;
      gint64 x;
      g_autofree char *t = g_strstrip (g_strdup (a.s));

      errno = 0;
      x = g_ascii_strtoll (t, &end, 10);
      if (end == t || errno != 0 || (*end != 0 && (*end != '.' || strspn (end + 1, "0123456789") != strlen (end + 1))))
        v = val_null (to);
      else
        v.i = x;
    }
  else if (to == WEFT_DATA_TYPE_INT64)
    v.i = a.i;
  else if (to == WEFT_DATA_TYPE_STRING && a.type == WEFT_DATA_TYPE_INT64)
    v.s = g_strdup_printf ("%" G_GINT64_FORMAT, a.i);
  else if (to == WEFT_DATA_TYPE_STRING && a.type == WEFT_DATA_TYPE_BOOL)
    v.s = g_strdup (a.i ? "true" : "false");
  else if (to == WEFT_DATA_TYPE_BOOL)
    v.i = a.type == WEFT_DATA_TYPE_DOUBLE ? a.d != 0 : a.i != 0;
  else
    g_assert_not_reached ();
  val_clear (&a);
  return v;
}

/* Spark's round on values generated as k / 100: decimal rounding of k. */
static Val
ref_round (Val a, gint64 scale)
{
  if (a.null || a.type == WEFT_DATA_TYPE_INT64)
    {
      gint64 p = 1, q, r;

      if (a.null || scale >= 0)
        return a;
      for (gint64 i = 0; i < -scale; i++)
        p *= 10;
      q = a.i / p;
      r = a.i % p;
      if (llabs (r) * 2 >= p)
        q += a.i < 0 ? -1 : 1;
      a.i = (gint64) ((guint64) q * (guint64) p); /* wraps, as BigDecimal.toLong does */
      return a;
    }
  if (scale < 2)
    {
      gint64 k = llround (a.d * 100), p = 1, q, r;
      char buf[64];

      for (gint64 i = 0; i < 2 - scale; i++)
        p *= 10;
      q = k / p;
      r = k % p;
      if (llabs (r) * 2 >= p)
        q += k < 0 ? -1 : 1;
      g_snprintf (buf, sizeof buf, "%" G_GINT64_FORMAT "e%" G_GINT64_FORMAT, q, -scale);
      a.d = g_ascii_strtod (buf, NULL);
      if (a.d == 0)
        a.d = 0.0;
    }
  return a;
}

static gsize
ref_chars (const char *s)
{
  return (gsize) g_utf8_strlen (s, -1);
}

static Val
ref_call (const WeftExpr *e, const WeftBatch *batch, gsize row)
{
  WeftExprOp op = weft_expr_get_op (e);
  guint n = weft_expr_get_n_children (e);
  Val a[16] = { 0 }, v = { 0 };

  g_assert (n <= 16);
  for (guint k = 0; k < n; k++)
    a[k] = ref_eval (weft_expr_get_child (e, k), batch, row);

  switch (op)
    {
    case WEFT_EXPR_OP_ADD:
    case WEFT_EXPR_OP_SUB:
    case WEFT_EXPR_OP_MUL:
    case WEFT_EXPR_OP_DIV:
    case WEFT_EXPR_OP_MOD:
      if (a[0].null || a[1].null)
        {
          /* nulls keep the static type: the engine's coalesce and casts depend on it */
          v = val_null (op == WEFT_EXPR_OP_DIV || a[0].type == WEFT_DATA_TYPE_DOUBLE
                                || a[1].type == WEFT_DATA_TYPE_DOUBLE
                            ? WEFT_DATA_TYPE_DOUBLE
                            : WEFT_DATA_TYPE_INT64);
          break;
        }
      if (op != WEFT_EXPR_OP_DIV && a[0].type == WEFT_DATA_TYPE_INT64
          && a[1].type == WEFT_DATA_TYPE_INT64)
        {
          guint64 x = (guint64) a[0].i, y = (guint64) a[1].i;

          v.type = WEFT_DATA_TYPE_INT64;
          if (op == WEFT_EXPR_OP_ADD)
            v.i = (gint64) (x + y);
          else if (op == WEFT_EXPR_OP_SUB)
            v.i = (gint64) (x - y);
          else if (op == WEFT_EXPR_OP_MUL)
            v.i = (gint64) (x * y);
          else if (a[1].i == 0)
            v = val_null (WEFT_DATA_TYPE_INT64);
          else if (a[1].i == -1)
            v.i = 0;
          else
            v.i = a[0].i % a[1].i;
          break;
        }
      {
        double x = as_double (&a[0]), y = as_double (&a[1]);

        v.type = WEFT_DATA_TYPE_DOUBLE;
        if ((op == WEFT_EXPR_OP_DIV || op == WEFT_EXPR_OP_MOD) && y == 0)
          v = val_null (WEFT_DATA_TYPE_DOUBLE);
        else
          v.d = op == WEFT_EXPR_OP_ADD   ? x + y
                : op == WEFT_EXPR_OP_SUB ? x - y
                : op == WEFT_EXPR_OP_MUL ? x * y
                : op == WEFT_EXPR_OP_DIV ? x / y
                                         : fmod (x, y);
      }
      break;
    case WEFT_EXPR_OP_NEG:
    case WEFT_EXPR_OP_ABS:
      v = a[0];
      a[0].s = NULL;
      if (v.type == 0)
        v.type = WEFT_DATA_TYPE_INT64;
      if (v.null)
        break;
      if (v.type == WEFT_DATA_TYPE_INT64 && (op == WEFT_EXPR_OP_NEG || v.i < 0))
        v.i = (gint64) (0 - (guint64) v.i);
      else if (v.type == WEFT_DATA_TYPE_DOUBLE)
        v.d = op == WEFT_EXPR_OP_NEG ? -v.d : fabs (v.d);
      break;
    case WEFT_EXPR_OP_EQ:
    case WEFT_EXPR_OP_NE:
    case WEFT_EXPR_OP_LT:
    case WEFT_EXPR_OP_LE:
    case WEFT_EXPR_OP_GT:
    case WEFT_EXPR_OP_GE:
      {
        int c;

        if (a[0].null || a[1].null)
          {
            v = val_null (WEFT_DATA_TYPE_BOOL);
            break;
          }
        c = ref_cmp (&a[0], &a[1]);
        v = val_bool (op == WEFT_EXPR_OP_EQ   ? c == 0
                      : op == WEFT_EXPR_OP_NE ? c != 0
                      : op == WEFT_EXPR_OP_LT ? c < 0
                      : op == WEFT_EXPR_OP_LE ? c <= 0
                      : op == WEFT_EXPR_OP_GT ? c > 0
                                              : c >= 0);
      }
      break;
    case WEFT_EXPR_OP_AND:
      if ((!a[0].null && !a[0].i) || (!a[1].null && !a[1].i))
        v = val_bool (FALSE);
      else if (a[0].null || a[1].null)
        v = val_null (WEFT_DATA_TYPE_BOOL);
      else
        v = val_bool (TRUE);
      break;
    case WEFT_EXPR_OP_OR:
      if ((!a[0].null && a[0].i) || (!a[1].null && a[1].i))
        v = val_bool (TRUE);
      else if (a[0].null || a[1].null)
        v = val_null (WEFT_DATA_TYPE_BOOL);
      else
        v = val_bool (FALSE);
      break;
    case WEFT_EXPR_OP_NOT:
      v = a[0].null ? val_null (WEFT_DATA_TYPE_BOOL) : val_bool (!a[0].i);
      break;
    case WEFT_EXPR_OP_IS_NULL:
      v = val_bool (a[0].null);
      break;
    case WEFT_EXPR_OP_IS_NOT_NULL:
      v = val_bool (!a[0].null);
      break;
    case WEFT_EXPR_OP_IN:
      {
        gboolean saw_null = FALSE, hit = FALSE;

        for (guint k = 1; k < n; k++)
          {
            if (a[k].null)
              saw_null = TRUE;
            else if (!a[0].null && ref_cmp (&a[0], &a[k]) == 0)
              hit = TRUE;
          }
        v = a[0].null || (!hit && saw_null) ? val_null (WEFT_DATA_TYPE_BOOL) : val_bool (hit);
      }
      break;
    case WEFT_EXPR_OP_LIKE:
      v = a[0].null ? val_null (WEFT_DATA_TYPE_BOOL) : val_bool (ref_like (a[0].s, a[1].s));
      break;
    case WEFT_EXPR_OP_UPPER:
    case WEFT_EXPR_OP_LOWER:
      if (a[0].type != WEFT_DATA_TYPE_STRING)
        a[0] = ref_cast (a[0], WEFT_DATA_TYPE_STRING);
      v = a[0];
      a[0].s = NULL;
      if (!v.null)
        for (char *p = v.s; *p; p++)
          *p = op == WEFT_EXPR_OP_UPPER ? g_ascii_toupper (*p) : g_ascii_tolower (*p);
      break;
    case WEFT_EXPR_OP_LENGTH:
      v.type = WEFT_DATA_TYPE_INT64;
      if (a[0].null)
        v = val_null (WEFT_DATA_TYPE_INT64);
      else
        v.i = (gint64) ref_chars (a[0].s);
      break;
    case WEFT_EXPR_OP_SUBSTR:
      {
        gint64 len, pos, count, from, to;

        if (a[0].null || a[1].null || (n > 2 && a[2].null))
          {
            v = val_null (WEFT_DATA_TYPE_STRING);
            break;
          }
        len = (gint64) strlen (a[0].s);
        pos = a[1].i;
        count = n > 2 ? a[2].i : 1000000;
        /* Spark: pos > 0 is 1-based, pos < 0 counts from the end, 0 is the start. */
        from = pos > 0 ? pos - 1 : pos < 0 ? len + pos : 0;
        /* in 128 bits: positions and lengths may be anywhere in int64 */
        to = (gint64) MIN ((__int128) from + count, (__int128) G_MAXINT64);
        if ((__int128) from + count < G_MININT64)
          to = G_MININT64;
        if (from < 0)
          from = 0;
        if (to > len)
          to = len;
        v.type = WEFT_DATA_TYPE_STRING;
        v.s = to > from ? g_strndup (a[0].s + from, (gsize) (to - from)) : g_strdup ("");
      }
      break;
    case WEFT_EXPR_OP_CONCAT:
      {
        GString *s = g_string_new (NULL);
        gboolean null = FALSE;

        for (guint k = 0; k < n; k++)
          {
            if (a[k].type != WEFT_DATA_TYPE_STRING)
              a[k] = ref_cast (a[k], WEFT_DATA_TYPE_STRING);
            if (a[k].null)
              null = TRUE;
            else
              g_string_append (s, a[k].s);
          }
        if (null)
          {
            g_string_free (s, TRUE);
            v = val_null (WEFT_DATA_TYPE_STRING);
          }
        else
          {
            v.type = WEFT_DATA_TYPE_STRING;
            v.s = g_string_free (s, FALSE);
          }
      }
      break;
    case WEFT_EXPR_OP_YEAR:
    case WEFT_EXPR_OP_MONTH:
      if (a[0].null)
        v = val_null (WEFT_DATA_TYPE_INT64);
      else
        {
          GDate d;

          g_date_clear (&d, 1);
          /* GDate's day 1 is 0001-01-01, which is 719162 days before 1970-01-01. */
          g_date_set_julian (&d, (guint32) (a[0].i + 719163));
          v.type = WEFT_DATA_TYPE_INT64;
          v.i = op == WEFT_EXPR_OP_YEAR ? g_date_get_year (&d) : g_date_get_month (&d);
        }
      break;
    case WEFT_EXPR_OP_COALESCE:
      {
        gboolean any_double = FALSE;

        int type = 0;

        for (guint k = 0; k < n; k++)
          {
            any_double |= a[k].type == WEFT_DATA_TYPE_DOUBLE;
            if (type == 0)
              type = a[k].type;
          }
        v = val_null (any_double ? WEFT_DATA_TYPE_DOUBLE : type);
        for (guint k = 0; k < n; k++)
          if (!a[k].null)
            {
              v = a[k];
              a[k].s = NULL;
              break;
            }
        if (any_double && !v.null && v.type == WEFT_DATA_TYPE_INT64)
          {
            v.type = WEFT_DATA_TYPE_DOUBLE;
            v.d = (double) v.i;
          }
      }
      break;
    case WEFT_EXPR_OP_ROUND:
      v = ref_round (a[0], n > 1 ? a[1].i : 0);
      a[0].s = NULL;
      if (v.type == 0)
        v.type = WEFT_DATA_TYPE_INT64;
      break;
    default:
      g_assert_not_reached ();
    }
  for (guint k = 0; k < n; k++)
    val_clear (&a[k]);
  return v;
}

static Val
ref_eval (const WeftExpr *e, const WeftBatch *batch, gsize row)
{
  switch (weft_expr_get_kind (e))
    {
    case WEFT_EXPR_COLUMN:
      return ref_column (e, batch, row);
    case WEFT_EXPR_LITERAL:
      return ref_literal (e);
    case WEFT_EXPR_ALIAS:
      return ref_eval (weft_expr_get_child (e, 0), batch, row);
    case WEFT_EXPR_CAST:
      return ref_cast (ref_eval (weft_expr_get_child (e, 0), batch, row), weft_expr_get_type (e));
    case WEFT_EXPR_CALL:
      return ref_call (e, batch, row);
    }
  g_assert_not_reached ();
}

/* Random data: ints small with the odd extreme, doubles as k/100 (so the reference can round
 * them in decimal) with zeros, ASCII strings from an alphabet that exercises LIKE. */
static WeftBatch *
random_batch (GRand *rand, gsize n)
{
  g_autoptr (WeftSchema) schema = weft_schema_new ();
  static const char *names[] = { "i1", "i2", "d1", "d2", "s1", "s2", "b1", "b2", "t1" };
  static const WeftDataType types[] = { WEFT_DATA_TYPE_INT64, WEFT_DATA_TYPE_INT64,
                                        WEFT_DATA_TYPE_DOUBLE, WEFT_DATA_TYPE_DOUBLE,
                                        WEFT_DATA_TYPE_STRING, WEFT_DATA_TYPE_STRING,
                                        WEFT_DATA_TYPE_BOOL, WEFT_DATA_TYPE_BOOL,
                                        WEFT_DATA_TYPE_DATE };
  WeftColumn *cols[G_N_ELEMENTS (names)];

  for (guint c = 0; c < G_N_ELEMENTS (names); c++)
    {
      /* some columns without any null, to take the no-bitmap paths */
      int null_pct = g_rand_int_range (rand, 0, 3) == 0 ? 0 : 25;

      weft_schema_add_field (schema, names[c], types[c], TRUE);
      cols[c] = weft_column_new (types[c], n);
      for (gsize r = 0; r < n; r++)
        {
          if (g_rand_int_range (rand, 0, 100) < null_pct)
            {
              weft_column_append_null (cols[c]);
              continue;
            }
          switch (types[c])
            {
            case WEFT_DATA_TYPE_INT64:
              {
                int pick = g_rand_int_range (rand, 0, 40);
                gint64 v = pick == 0   ? G_MAXINT64
                           : pick == 1 ? G_MININT64
                           : pick < 5  ? 0
                                       : g_rand_int_range (rand, -50, 50);

                weft_column_append_int64 (cols[c], v);
              }
              break;
            case WEFT_DATA_TYPE_DOUBLE:
              weft_column_append_double (cols[c], g_rand_int_range (rand, 0, 8) == 0
                                                      ? 0.0
                                                      : g_rand_int_range (rand, -5000, 5000) / 100.0);
              break;
            case WEFT_DATA_TYPE_STRING:
              {
                static const char alphabet[] = "abAB%_5";
                char buf[8];
                gsize len = (gsize) g_rand_int_range (rand, 0, 6);

                for (gsize k = 0; k < len; k++)
                  buf[k] = alphabet[g_rand_int_range (rand, 0, sizeof alphabet - 1)];
                weft_column_append_string (cols[c], buf, len);
              }
              break;
            case WEFT_DATA_TYPE_BOOL:
              weft_column_append_bool (cols[c], g_rand_boolean (rand));
              break;
            case WEFT_DATA_TYPE_DATE:
              weft_column_append_date (cols[c], g_rand_int_range (rand, -20000, 40000));
              break;
            }
        }
    }
  return weft_batch_new (schema, cols, n);
}

static WeftExpr *gen (GRand *rand, WeftDataType type, int depth);

static WeftExpr *
gen_num (GRand *rand, int depth)
{
  return gen (rand, g_rand_boolean (rand) ? WEFT_DATA_TYPE_INT64 : WEFT_DATA_TYPE_DOUBLE, depth);
}

static WeftExpr *
gen_leaf (GRand *rand, WeftDataType type)
{
  int pick = g_rand_int_range (rand, 0, 10);
  char name[4];

  if (pick == 0)
    return NUL ();
  if (pick < 6)
    {
      static const char prefix[] = { 0, 'i', 'd', 's', 'b', 't' };

      if (type == WEFT_DATA_TYPE_DATE)
        return C ("t1");
      g_snprintf (name, sizeof name, "%c%d", prefix[type], g_rand_int_range (rand, 1, 3));
      return C (name);
    }
  switch (type)
    {
    case WEFT_DATA_TYPE_INT64:
      return I (g_rand_int_range (rand, -5, 40));
    case WEFT_DATA_TYPE_DOUBLE:
      return D (g_rand_int_range (rand, -500, 500) / 100.0);
    case WEFT_DATA_TYPE_STRING:
      {
        static const char *const lits[] = { "", "a", "ab", "B", "%", "a_", "5" };

        return S (lits[g_rand_int_range (rand, 0, G_N_ELEMENTS (lits))]);
      }
    case WEFT_DATA_TYPE_BOOL:
      return B (g_rand_boolean (rand));
    case WEFT_DATA_TYPE_DATE:
      return weft_expr_lit_date (g_rand_int_range (rand, -20000, 40000));
    }
  g_assert_not_reached ();
}

static WeftExprOp
pick_op (GRand *rand, const WeftExprOp *ops, guint n)
{
  return ops[g_rand_int_range (rand, 0, (gint32) n)];
}

static WeftExpr *
gen_like_pattern (GRand *rand, WeftExpr *e)
{
  static const char *const pats[] = { "%", "a%", "%b", "%a%", "_", "a_", "%\\%%", "\\_%",
                                      "a%b", "%A_%", "", "ab", "_%_" };

  return weft_expr_like (e, pats[g_rand_int_range (rand, 0, G_N_ELEMENTS (pats))]);
}

/* A random unresolved tree whose resolved type is @type (NULL literals fit any type). */
static WeftExpr *
gen (GRand *rand, WeftDataType type, int depth)
{
  static const WeftExprOp arith[] = { WEFT_EXPR_OP_ADD, WEFT_EXPR_OP_SUB, WEFT_EXPR_OP_MUL,
                                      WEFT_EXPR_OP_MOD };
  static const WeftExprOp cmps[] = { WEFT_EXPR_OP_EQ, WEFT_EXPR_OP_NE, WEFT_EXPR_OP_LT,
                                     WEFT_EXPR_OP_LE, WEFT_EXPR_OP_GT, WEFT_EXPR_OP_GE };
  static const WeftDataType cmp_types[] = { WEFT_DATA_TYPE_INT64, WEFT_DATA_TYPE_DOUBLE,
                                            WEFT_DATA_TYPE_STRING, WEFT_DATA_TYPE_BOOL,
                                            WEFT_DATA_TYPE_DATE };
  int d = depth - 1;

  if (depth <= 0 || g_rand_int_range (rand, 0, 5) == 0)
    return gen_leaf (rand, type);
  switch (type)
    {
    case WEFT_DATA_TYPE_INT64:
      switch (g_rand_int_range (rand, 0, 12))
        {
        case 0:
        case 1:
        case 2:
          return weft_expr_binary (pick_op (rand, arith, 4), gen (rand, type, d), gen (rand, type, d));
        case 3:
          return UN (NEG, gen (rand, type, d));
        case 4:
          return UN (ABS, gen (rand, type, d));
        case 5:
          return CALL ("length", gen (rand, WEFT_DATA_TYPE_STRING, d));
        case 6:
          return CALL (g_rand_boolean (rand) ? "year" : "month", gen (rand, WEFT_DATA_TYPE_DATE, d));
        case 7:
          return CALL ("round", gen (rand, type, d), I (g_rand_int_range (rand, -3, 2)));
        case 8:
          return weft_expr_cast (gen (rand, g_rand_boolean (rand) ? WEFT_DATA_TYPE_DOUBLE
                                                                   : WEFT_DATA_TYPE_BOOL, d),
                                 type);
        case 9:
          return weft_expr_cast (gen (rand, WEFT_DATA_TYPE_STRING, d), type);
        default:
          return CALL ("coalesce", gen (rand, type, d), gen (rand, type, d));
        }
    case WEFT_DATA_TYPE_DOUBLE:
      switch (g_rand_int_range (rand, 0, 8))
        {
        case 0:
        case 1:
          return weft_expr_binary (pick_op (rand, arith, 4), gen (rand, type, d), gen_num (rand, d));
        case 2:
          return BIN (DIV, gen_num (rand, d), gen_num (rand, d));
        case 3:
          return weft_expr_unary (g_rand_boolean (rand) ? WEFT_EXPR_OP_NEG : WEFT_EXPR_OP_ABS,
                                  gen (rand, type, d));
        case 4:
          /* round only sees the k/100 values the reference can round in decimal */
          return CALL ("round", C (g_rand_boolean (rand) ? "d1" : "d2"),
                       I (g_rand_int_range (rand, -2, 4)));
        case 5:
          return weft_expr_cast (gen (rand, WEFT_DATA_TYPE_INT64, d), type);
        default:
          return CALL ("coalesce", gen (rand, type, d), gen_num (rand, d));
        }
    case WEFT_DATA_TYPE_BOOL:
      switch (g_rand_int_range (rand, 0, 12))
        {
        case 0:
        case 1:
        case 2:
          {
            WeftDataType t = cmp_types[g_rand_int_range (rand, 0, G_N_ELEMENTS (cmp_types))];

            if (t == WEFT_DATA_TYPE_INT64 || t == WEFT_DATA_TYPE_DOUBLE)
              return weft_expr_binary (pick_op (rand, cmps, 6), gen_num (rand, d), gen_num (rand, d));
            return weft_expr_binary (pick_op (rand, cmps, 6), gen (rand, t, d), gen (rand, t, d));
          }
        case 3:
          return BIN (AND, gen (rand, type, d), gen (rand, type, d));
        case 4:
          return BIN (OR, gen (rand, type, d), gen (rand, type, d));
        case 5:
          return UN (NOT, gen (rand, type, d));
        case 6:
          return weft_expr_unary (g_rand_boolean (rand) ? WEFT_EXPR_OP_IS_NULL
                                                        : WEFT_EXPR_OP_IS_NOT_NULL,
                                  gen (rand, cmp_types[g_rand_int_range (rand, 0, 5)], d));
        case 7:
          {
            WeftExpr *vals[12];
            guint n = (guint) g_rand_int_range (rand, 0, 12);
            gboolean str = g_rand_boolean (rand);

            for (guint k = 0; k < n; k++)
              vals[k] = g_rand_int_range (rand, 0, 8) == 0 ? NUL ()
                        : str ? gen_leaf (rand, WEFT_DATA_TYPE_STRING)
                              : I (g_rand_int_range (rand, -10, 10));
            for (guint k = 0; k < n; k++)
              if (weft_expr_get_kind (vals[k]) == WEFT_EXPR_COLUMN)
                {
                  weft_expr_unref (vals[k]);
                  vals[k] = S ("a");
                }
            return weft_expr_in (gen (rand, str ? WEFT_DATA_TYPE_STRING : WEFT_DATA_TYPE_INT64, d),
                                 vals, n);
          }
        case 8:
          return gen_like_pattern (rand, gen (rand, WEFT_DATA_TYPE_STRING, d));
        case 9:
          return weft_expr_between (gen_num (rand, d), gen_num (rand, d), gen_num (rand, d));
        case 10:
          return weft_expr_cast (gen (rand, WEFT_DATA_TYPE_INT64, d), type);
        default:
          return CALL ("coalesce", gen (rand, type, d), gen (rand, type, d));
        }
    case WEFT_DATA_TYPE_STRING:
      switch (g_rand_int_range (rand, 0, 7))
        {
        case 0:
          return CALL (g_rand_boolean (rand) ? "upper" : "lower", gen (rand, type, d));
        case 1:
        case 2:
          if (g_rand_boolean (rand))
            return CALL ("substr", gen (rand, type, d), I (g_rand_int_range (rand, -7, 7)));
          return CALL ("substr", gen (rand, type, d), I (g_rand_int_range (rand, -7, 7)),
                       g_rand_boolean (rand) ? I (g_rand_int_range (rand, -2, 7))
                                             : gen (rand, WEFT_DATA_TYPE_INT64, d));
        case 3:
          return CALL ("concat", gen (rand, type, d), gen (rand, type, d),
                       g_rand_boolean (rand) ? gen (rand, type, d)
                                             : gen (rand, WEFT_DATA_TYPE_INT64, d));
        case 4:
          return weft_expr_cast (gen (rand, g_rand_boolean (rand) ? WEFT_DATA_TYPE_INT64
                                                                   : WEFT_DATA_TYPE_BOOL, d),
                                 type);
        default:
          return CALL ("coalesce", gen (rand, type, d), gen (rand, type, d));
        }
    case WEFT_DATA_TYPE_DATE:
      return CALL ("coalesce", gen (rand, type, d), gen (rand, type, d));
    }
  g_assert_not_reached ();
}

static gboolean
val_matches (const WeftColumn *c, gsize row, const Val *v)
{
  if (v->null || !weft_column_is_valid (c, row))
    return v->null && !weft_column_is_valid (c, row);
  switch (c->type)
    {
    case WEFT_DATA_TYPE_INT64:
      return v->type == WEFT_DATA_TYPE_INT64 && c->values.i64[row] == v->i;
    case WEFT_DATA_TYPE_DOUBLE:
      {
        double x = c->values.f64[row], y = as_double (v);

        /* 0.0 and -0.0 both pass: the reference does not track the types of nulls, so it
         * cannot always tell which zero an integer null-coalesced into a double gives. */
        return (isnan (x) && isnan (y)) || x == y;
      }
    case WEFT_DATA_TYPE_BOOL:
      return c->values.b[row] == v->i;
    case WEFT_DATA_TYPE_DATE:
      return c->values.date[row] == v->i;
    case WEFT_DATA_TYPE_STRING:
      {
        gsize len;
        const char *s = weft_column_get_string (c, row, &len);

        return v->type == WEFT_DATA_TYPE_STRING && strlen (v->s) == len
               && (len == 0 || memcmp (s, v->s, len) == 0);
      }
    }
  return FALSE;
}

static void
test_property (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (g_test_rand_int ());
  static const WeftDataType types[] = { WEFT_DATA_TYPE_INT64, WEFT_DATA_TYPE_DOUBLE,
                                        WEFT_DATA_TYPE_STRING, WEFT_DATA_TYPE_BOOL,
                                        WEFT_DATA_TYPE_BOOL, WEFT_DATA_TYPE_DATE };
  guint n_trees = g_test_thorough () ? 20000 : 2000;

  for (guint t = 0; t < n_trees; t++)
    {
      gsize n_rows = (gsize) (t % 10 == 0 ? g_rand_int_range (rand, 0, 2)
                                          : g_rand_int_range (rand, 1, 150));
      g_autoptr (WeftBatch) batch = random_batch (rand, n_rows);
      WeftDataType want = types[g_rand_int_range (rand, 0, G_N_ELEMENTS (types))];
      g_autoptr (WeftExpr) e = gen (rand, want, g_rand_int_range (rand, 1, 6));
      g_autoptr (GError) error = NULL;
      g_autoptr (WeftExpr) r = weft_expr_resolve (e, batch->schema, &error);
      g_autoptr (WeftExpr) f = NULL;
      g_autoptr (WeftColumn) c = NULL, cf = NULL;
      g_autofree char *name = weft_expr_name (e), *text = NULL;

      g_assert_no_error (error);
      text = weft_expr_to_string (r);
      f = weft_expr_fold (r);
      c = weft_expr_eval (r, batch, &error);
      g_assert_no_error (error);
      cf = weft_expr_eval (f, batch, &error);
      g_assert_no_error (error);
      check_column_invariants (c);
      if (!columns_equal (c, cf))
        {
          g_autofree char *ft = weft_expr_to_string (f);
          g_autofree char *a = column_text (c), *b = column_text (cf);

          g_error ("folding changed %s (%s) → %s: %s vs %s", name, text, ft, a, b);
        }
      for (gsize row = 0; row < n_rows; row++)
        {
          Val v = ref_eval (e, batch, row);

          if (!val_matches (c, row, &v))
            {
              GString *got = g_string_new (NULL);
              g_autoptr (WeftBatch) one = weft_batch_slice (batch, row, 1);
              GString *input = g_string_new (NULL);

              weft_column_format_value (c, row, got);
              weft_batch_format_rows (one, input);
              g_strchomp (input->str);
              g_error ("%s (%s) at row %zu [%s]: engine %s, reference %s", name, text, row,
                       input->str, got->str,
                       v.null ? "null" : v.s ? v.s : g_strdup_printf ("%" G_GINT64_FORMAT "/%g", v.i, v.d));
            }
          val_clear (&v);
        }
      if (c->type == WEFT_DATA_TYPE_BOOL)
        {
          g_autoptr (WeftSelection) s = weft_expr_eval_filter (r, batch, &error);
          g_autoptr (WeftSelection) sf = weft_expr_eval_filter (f, batch, &error);
          gsize k = 0;

          g_assert_no_error (error);
          for (gsize i = 0; i < n_rows; i++)
            if (weft_column_is_valid (c, i) && c->values.b[i])
              {
                g_assert_cmpuint (k, <, s->n);
                g_assert_cmpuint (s->rows[k], ==, i);
                g_assert_cmpuint (sf->rows[k], ==, i);
                k++;
              }
          g_assert_cmpuint (s->n, ==, k);
          g_assert_cmpuint (sf->n, ==, k);
        }
    }
}

/* ---- Speed -------------------------------------------------------------------------------- */

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/expr/arith/int64", test_arith_int);
  g_test_add_func ("/engine/expr/arith/double", test_arith_double);
  g_test_add_func ("/engine/expr/compare", test_compare);
  g_test_add_func ("/engine/expr/logic", test_logic_tables);
  g_test_add_func ("/engine/expr/in", test_in);
  g_test_add_func ("/engine/expr/between", test_between);
  g_test_add_func ("/engine/expr/like", test_like);
  g_test_add_func ("/engine/expr/cast", test_cast);
  g_test_add_func ("/engine/expr/functions/string", test_functions_string);
  g_test_add_func ("/engine/expr/functions/other", test_functions_other);
  g_test_add_func ("/engine/expr/resolve", test_resolve);
  g_test_add_func ("/engine/expr/names", test_names);
  g_test_add_func ("/engine/expr/fold", test_fold);
  g_test_add_func ("/engine/expr/columns-remap", test_columns_remap);
  g_test_add_func ("/engine/expr/equal-hash", test_equal_hash);
  g_test_add_func ("/engine/expr/filter", test_filter);
  g_test_add_func ("/engine/expr/property", test_property);
  return g_test_run ();
}
