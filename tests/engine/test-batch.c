/* Tests for engine/weft-schema, weft-column, weft-selection, weft-batch and weft-parse: values and
 * nulls of every type, gathers, slices, concatenation and projection checked against a row-by-row
 * model, memory accounting, and the text parsers' edge cases. */

#include "weft-batch.h"
#include "weft-engine-error.h"
#include "weft-parse.h"

#include <math.h>
#include <string.h>

/* ---- Helpers ---------------------------------------------------------------------------- */

static char *
column_text (const WeftColumn *column)
{
  GString *out = g_string_new (NULL);

  for (gsize i = 0; i < column->length; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      weft_column_format_value (column, i, out);
    }
  return g_string_free (out, FALSE);
}

/* A column of @n random values of @type, about one in five null. */
static WeftColumn *
random_column (GRand *rand, WeftDataType type, gsize n)
{
  WeftColumn *column = weft_column_new (type, g_rand_int_range (rand, 0, 3) == 0 ? 0 : n);

  for (gsize i = 0; i < n; i++)
    {
      if (g_rand_int_range (rand, 0, 5) == 0)
        {
          weft_column_append_null (column);
          continue;
        }
      switch (type)
        {
        case WEFT_DATA_TYPE_INT64:
          weft_column_append_int64 (column, (gint64) g_rand_int (rand) - G_MAXINT32);
          break;
        case WEFT_DATA_TYPE_DOUBLE:
          weft_column_append_double (column, g_rand_double_range (rand, -1e6, 1e6));
          break;
        case WEFT_DATA_TYPE_BOOL:
          weft_column_append_bool (column, g_rand_boolean (rand));
          break;
        case WEFT_DATA_TYPE_DATE:
          weft_column_append_date (column, g_rand_int_range (rand, -100000, 100000));
          break;
        case WEFT_DATA_TYPE_STRING:
          {
            char buf[32];
            gsize len = (gsize) g_rand_int_range (rand, 0, sizeof buf);

            for (gsize k = 0; k < len; k++)
              buf[k] = (char) g_rand_int_range (rand, 'a', 'z' + 1);
            weft_column_append_string (column, buf, len);
          }
          break;
        }
    }
  return column;
}

/* Appends src[row] through the public appenders: the reference model for gathers. */
static void
append_one (WeftColumn *dst, const WeftColumn *src, gsize row)
{
  gsize len;
  const char *s;

  if (!weft_column_is_valid (src, row))
    {
      weft_column_append_null (dst);
      return;
    }
  switch (src->type)
    {
    case WEFT_DATA_TYPE_INT64:
      weft_column_append_int64 (dst, src->values.i64[row]);
      break;
    case WEFT_DATA_TYPE_DOUBLE:
      weft_column_append_double (dst, src->values.f64[row]);
      break;
    case WEFT_DATA_TYPE_BOOL:
      weft_column_append_bool (dst, src->values.b[row]);
      break;
    case WEFT_DATA_TYPE_DATE:
      weft_column_append_date (dst, src->values.date[row]);
      break;
    case WEFT_DATA_TYPE_STRING:
      s = weft_column_get_string (src, row, &len);
      weft_column_append_string (dst, s, len);
      break;
    }
}

static const WeftDataType all_types[] = {
  WEFT_DATA_TYPE_INT64, WEFT_DATA_TYPE_DOUBLE, WEFT_DATA_TYPE_STRING,
  WEFT_DATA_TYPE_BOOL,  WEFT_DATA_TYPE_DATE,
};

/* ---- Schema ----------------------------------------------------------------------------- */

static void
test_schema_basics (void)
{
  g_autoptr (WeftSchema) schema = weft_schema_new ();
  g_autoptr (WeftSchema) picked = NULL;
  g_autoptr (WeftSchema) again = NULL;
  g_autofree char *text = NULL;
  WeftDataType type;
  const guint idx[] = { 2, 0, 2 };

  g_assert_cmpuint (weft_schema_add_field (schema, "id", WEFT_DATA_TYPE_INT64, FALSE), ==, 0);
  weft_schema_add_field (schema, "Name", WEFT_DATA_TYPE_STRING, TRUE);
  weft_schema_add_field (schema, "hired", WEFT_DATA_TYPE_DATE, TRUE);
  g_assert_cmpuint (weft_schema_get_n_fields (schema), ==, 3);
  g_assert_cmpint (weft_schema_find (schema, "name", TRUE), ==, -1);
  g_assert_cmpint (weft_schema_find (schema, "name", FALSE), ==, 1);
  g_assert_cmpint (weft_schema_find (schema, "Name", TRUE), ==, 1);
  text = weft_schema_to_string (schema);
  g_assert_cmpstr (text, ==, "id:bigint, Name:string?, hired:date?");

  picked = weft_schema_select (schema, idx, 3);
  g_clear_pointer (&text, g_free);
  text = weft_schema_to_string (picked);
  g_assert_cmpstr (text, ==, "hired:date?, id:bigint, hired:date?");
  g_assert_false (weft_schema_equal (schema, picked));
  again = weft_schema_select (picked, (const guint[]){ 1, 0 }, 2);
  g_assert_false (weft_schema_equal (again, schema));

  g_assert_true (weft_data_type_from_name ("BIGINT", &type));
  g_assert_cmpint (type, ==, WEFT_DATA_TYPE_INT64);
  g_assert_true (weft_data_type_from_name ("boolean", &type));
  g_assert_cmpint (type, ==, WEFT_DATA_TYPE_BOOL);
  g_assert_false (weft_data_type_from_name ("timestamp", &type));
  g_assert_cmpstr (weft_data_type_name (WEFT_DATA_TYPE_DOUBLE), ==, "double");
  /* The codes are engine.thrift's ColumnType values. */
  g_assert_cmpint (WEFT_DATA_TYPE_INT64, ==, 1);
  g_assert_cmpint (WEFT_DATA_TYPE_DATE, ==, 5);
}

/* ---- Columns ---------------------------------------------------------------------------- */

static void
test_column_append (void)
{
  g_autoptr (WeftColumn) ints = weft_column_new (WEFT_DATA_TYPE_INT64, 0);
  g_autoptr (WeftColumn) strs = weft_column_new (WEFT_DATA_TYPE_STRING, 2);
  g_autoptr (WeftColumn) bools = weft_column_new (WEFT_DATA_TYPE_BOOL, 1);
  g_autoptr (WeftColumn) dates = weft_column_new (WEFT_DATA_TYPE_DATE, 1);
  g_autoptr (WeftColumn) dbls = weft_column_new (WEFT_DATA_TYPE_DOUBLE, 1);
  g_autofree char *t1 = NULL, *t2 = NULL, *t3 = NULL, *t4 = NULL, *t5 = NULL;
  gsize len;

  weft_column_append_int64 (ints, G_MAXINT64);
  weft_column_append_int64 (ints, G_MININT64);
  g_assert_null (ints->validity); /* no bitmap until there is a null */
  weft_column_append_null (ints);
  weft_column_append_int64 (ints, 7);
  g_assert_nonnull (ints->validity);
  g_assert_cmpuint (ints->length, ==, 4);
  g_assert_cmpuint (ints->null_count, ==, 1);
  g_assert_true (weft_column_is_valid (ints, 0));
  g_assert_false (weft_column_is_valid (ints, 2));
  g_assert_true (weft_column_is_valid (ints, 3));
  g_assert_cmpint (ints->values.i64[2], ==, 0);
  t1 = column_text (ints);
  g_assert_cmpstr (t1, ==, "9223372036854775807,-9223372036854775808,null,7");

  weft_column_append_string (strs, "Alice", 5);
  weft_column_append_null (strs);
  weft_column_append_string (strs, "", 0);
  weft_column_append_string (strs, "Bob", 3);
  g_assert_cmpuint (strs->offsets[0], ==, 0);
  g_assert_cmpuint (strs->offsets[4], ==, 8); /* one buffer, back to back */
  g_assert_cmpmem (strs->data, 8, "AliceBob", 8);
  g_assert_cmpmem (weft_column_get_string (strs, 3, &len), len, "Bob", 3);
  g_assert_true (weft_column_is_valid (strs, 2)); /* empty is not null */
  t2 = column_text (strs);
  g_assert_cmpstr (t2, ==, "Alice,null,,Bob");

  weft_column_append_bool (bools, TRUE);
  weft_column_append_bool (bools, FALSE);
  weft_column_append_null (bools);
  t3 = column_text (bools);
  g_assert_cmpstr (t3, ==, "true,false,null");
  g_assert_cmpuint (bools->values.b[0], ==, 1);

  weft_column_append_date (dates, 0);
  weft_column_append_date (dates, -1);
  weft_column_append_date (dates, 19782); /* 2024-02-29 */
  t4 = column_text (dates);
  g_assert_cmpstr (t4, ==, "1970-01-01,1969-12-31,2024-02-29");

  weft_column_append_double (dbls, 0.1);
  weft_column_append_double (dbls, 1e300);
  weft_column_append_double (dbls, NAN);
  t5 = column_text (dbls);
  g_assert_cmpstr (t5, ==, "0.10000000000000001,1.0000000000000001e+300,nan");
}

static void
test_column_set_null_extend (void)
{
  g_autoptr (WeftColumn) c = weft_column_new (WEFT_DATA_TYPE_DOUBLE, 0);
  gsize first = weft_column_extend (c, 3);

  g_assert_cmpuint (first, ==, 0);
  c->values.f64[0] = 1.5;
  c->values.f64[1] = 2.5;
  c->values.f64[2] = 3.5;
  weft_column_set_null (c, 1);
  weft_column_set_null (c, 1); /* idempotent */
  g_assert_cmpuint (c->null_count, ==, 1);
  g_assert_cmpfloat (c->values.f64[1], ==, 0.0);
  first = weft_column_extend (c, 2); /* new rows are valid even with a bitmap */
  g_assert_cmpuint (first, ==, 3);
  g_assert_true (weft_column_is_valid (c, 3));
  g_assert_true (weft_column_is_valid (c, 4));
  g_assert_false (weft_column_is_valid (c, 1));
}

/* Property: take, slice, concat and append_range agree with row-by-row appends, for every type,
 * with and without nulls, over random shapes. */
static void
test_column_ops_model (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (20240501);

  for (int iter = 0; iter < 200; iter++)
    for (gsize t = 0; t < G_N_ELEMENTS (all_types); t++)
      {
        WeftDataType type = all_types[t];
        gsize n = (gsize) g_rand_int_range (rand, 0, 300);
        g_autoptr (WeftColumn) src = random_column (rand, type, n);
        g_autoptr (WeftColumn) taken = NULL;
        g_autoptr (WeftColumn) model = weft_column_new (type, 0);
        g_autoptr (WeftColumn) sliced = NULL;
        g_autoptr (WeftColumn) slice_model = weft_column_new (type, 0);
        g_autoptr (WeftColumn) other =
          random_column (rand, type, (gsize) g_rand_int_range (rand, 0, 50));
        g_autoptr (WeftColumn) cat = NULL;
        g_autoptr (WeftColumn) cat_model = weft_column_new (type, 0);
        g_autofree guint32 *rows = NULL;
        gsize n_rows = n == 0 ? 0 : (gsize) g_rand_int_range (rand, 0, 400);
        gsize off, len;
        WeftColumn *parts[3];

        rows = g_new (guint32, MAX (n_rows, 1));
        for (gsize i = 0; i < n_rows; i++)
          {
            rows[i] = (guint32) g_rand_int_range (rand, 0, (gint32) n);
            append_one (model, src, rows[i]);
          }
        taken = weft_column_take (src, rows, n_rows);
        g_assert_true (weft_column_equal (taken, model));

        off = n == 0 ? 0 : (gsize) g_rand_int_range (rand, 0, (gint32) n + 1);
        len = (gsize) g_rand_int_range (rand, 0, (gint32) (n - off) + 1);
        for (gsize i = off; i < off + len; i++)
          append_one (slice_model, src, i);
        sliced = weft_column_slice (src, off, len);
        g_assert_true (weft_column_equal (sliced, slice_model));

        parts[0] = src;
        parts[1] = other;
        parts[2] = sliced;
        cat = weft_column_concat (parts, 3);
        for (int p = 0; p < 3; p++)
          for (gsize i = 0; i < parts[p]->length; i++)
            append_one (cat_model, parts[p], i);
        g_assert_true (weft_column_equal (cat, cat_model));
        g_assert_cmpuint (cat->null_count, ==,
                          src->null_count + other->null_count + sliced->null_count);
      }
}

static void
test_column_bytes (void)
{
  g_autoptr (WeftColumn) c = weft_column_new (WEFT_DATA_TYPE_STRING, 0);
  gsize before = weft_column_get_bytes (c), after;

  for (int i = 0; i < 100000; i++)
    weft_column_append_string (c, "0123456789", 10);
  after = weft_column_get_bytes (c);
  /* At least the bytes and offsets in use, at most twice that (doubling) plus the struct. */
  g_assert_cmpuint (after, >=, 100000 * 10 + 100001 * 8);
  g_assert_cmpuint (after, <=, 2 * (100000 * 10 + 100001 * 8) + 4096);
  g_assert_cmpuint (after, >, before);
  weft_column_append_null (c);
  g_assert_cmpuint (weft_column_get_bytes (c), >, after); /* the bitmap counts too */
}

/* ---- Selections and batches -------------------------------------------------------------- */

static void
test_selection (void)
{
  const guint8 bits[] = { 0x05, 0x80, 0xfd };
  const guint8 bytes[] = { 1, 0, 2, 1, 1 };
  const guint8 validity[] = { 0x1d }; /* rows 0, 2, 3, 4 valid */
  g_autoptr (WeftSelection) a = weft_selection_new_from_bitmap (bits, 19);
  g_autoptr (WeftSelection) b = weft_selection_new_from_bytes (bytes, validity, 5);
  g_autoptr (WeftSelection) c = weft_selection_new_all (4);
  g_autoptr (WeftSelection) d = weft_selection_new (0);

  g_assert_cmpuint (a->n, ==, 5);
  g_assert_cmpuint (a->rows[0], ==, 0);
  g_assert_cmpuint (a->rows[1], ==, 2);
  g_assert_cmpuint (a->rows[2], ==, 15);
  g_assert_cmpuint (a->rows[3], ==, 16);
  g_assert_cmpuint (a->rows[4], ==, 18); /* bits past n_rows ignored */
  g_assert_cmpuint (b->n, ==, 4);
  g_assert_cmpuint (b->rows[1], ==, 2);
  g_assert_true (weft_selection_is_all (c, 4));
  g_assert_false (weft_selection_is_all (a, 5));
  for (guint32 i = 0; i < 1000; i++)
    weft_selection_add (d, i * 2);
  g_assert_cmpuint (d->n, ==, 1000);
  g_assert_cmpuint (d->rows[999], ==, 1998);
}

static WeftBatch *
sample_batch (void)
{
  g_autoptr (WeftSchema) schema = weft_schema_new ();
  WeftColumn *cols[3];

  weft_schema_add_field (schema, "name", WEFT_DATA_TYPE_STRING, TRUE);
  weft_schema_add_field (schema, "age", WEFT_DATA_TYPE_INT64, TRUE);
  weft_schema_add_field (schema, "ok", WEFT_DATA_TYPE_BOOL, TRUE);
  cols[0] = weft_column_new (WEFT_DATA_TYPE_STRING, 0);
  cols[1] = weft_column_new (WEFT_DATA_TYPE_INT64, 0);
  cols[2] = weft_column_new (WEFT_DATA_TYPE_BOOL, 0);
  weft_column_append_string (cols[0], "Alice", 5);
  weft_column_append_string (cols[0], "Bob", 3);
  weft_column_append_null (cols[0]);
  weft_column_append_int64 (cols[1], 25);
  weft_column_append_null (cols[1]);
  weft_column_append_int64 (cols[1], 35);
  weft_column_append_bool (cols[2], TRUE);
  weft_column_append_bool (cols[2], FALSE);
  weft_column_append_null (cols[2]);
  return weft_batch_new (schema, cols, 3);
}

static char *
batch_text (const WeftBatch *batch)
{
  GString *out = g_string_new (NULL);

  weft_batch_format_rows (batch, out);
  return g_string_free (out, FALSE);
}

static void
test_batch_ops (void)
{
  g_autoptr (WeftBatch) batch = sample_batch ();
  g_autoptr (WeftSelection) sel = weft_selection_new (3);
  g_autoptr (WeftBatch) taken = NULL, filtered = NULL, sliced = NULL, cat = NULL, proj = NULL;
  g_autoptr (WeftBatch) empty = NULL, built = NULL;
  g_autofree char *t1 = NULL, *t2 = NULL, *t3 = NULL, *t4 = NULL, *t5 = NULL, *t6 = NULL;
  const guint8 keep[] = { 0x05 };
  WeftBatch *parts[3];

  t1 = batch_text (batch);
  g_assert_cmpstr (t1, ==, "Alice|25|true\nBob|null|false\nnull|35|null\n");

  weft_selection_add (sel, 2);
  weft_selection_add (sel, 0);
  taken = weft_batch_take (batch, sel);
  t2 = batch_text (taken);
  g_assert_cmpstr (t2, ==, "null|35|null\nAlice|25|true\n");

  filtered = weft_batch_filter_bitmap (batch, keep);
  t3 = batch_text (filtered);
  g_assert_cmpstr (t3, ==, "Alice|25|true\nnull|35|null\n");

  sliced = weft_batch_slice (batch, 1, 1);
  t4 = batch_text (sliced);
  g_assert_cmpstr (t4, ==, "Bob|null|false\n");

  parts[0] = batch;
  parts[1] = sliced;
  parts[2] = filtered;
  cat = weft_batch_concat (parts, 3);
  g_assert_cmpuint (cat->n_rows, ==, 6);
  t5 = batch_text (cat);
  g_assert_cmpstr (t5, ==,
                   "Alice|25|true\nBob|null|false\nnull|35|null\nBob|null|false\n"
                   "Alice|25|true\nnull|35|null\n");

  proj = weft_batch_project (batch, (const guint[]){ 2, 0 }, 2);
  g_assert_true (proj->columns[0] == batch->columns[2]); /* shared, not copied */
  g_assert_true (proj->columns[1] == batch->columns[0]);
  t6 = batch_text (proj);
  g_assert_cmpstr (t6, ==, "true|Alice\nfalse|Bob\nnull|null\n");
  g_assert_false (weft_batch_equal (proj, batch));
  g_assert_true (weft_batch_equal (batch, batch));

  g_assert_cmpuint (weft_batch_get_bytes (cat), >, weft_batch_get_bytes (sliced));

  /* A builder batch. */
  built = weft_batch_new_empty (batch->schema, 4);
  weft_column_append_string (built->columns[0], "Alice", 5);
  weft_column_append_int64 (built->columns[1], 25);
  weft_column_append_bool (built->columns[2], TRUE);
  weft_batch_sync_rows (built);
  g_assert_cmpuint (built->n_rows, ==, 1);
  empty = weft_batch_slice (batch, 0, 1);
  g_assert_true (weft_batch_equal (built, empty));
}

static void
test_batch_zero_columns (void)
{
  g_autoptr (WeftSchema) schema = weft_schema_new ();
  g_autoptr (WeftBatch) a = weft_batch_new (schema, NULL, 7);
  g_autoptr (WeftBatch) b = weft_batch_new (schema, NULL, 5);
  g_autoptr (WeftBatch) cat = NULL;
  g_autoptr (WeftSelection) sel = weft_selection_new_all (3);
  g_autoptr (WeftBatch) taken = NULL;
  WeftBatch *parts[2] = { a, b };

  cat = weft_batch_concat (parts, 2);
  g_assert_cmpuint (cat->n_rows, ==, 12);
  taken = weft_batch_take (a, sel);
  g_assert_cmpuint (taken->n_rows, ==, 3);
}

/* ---- Parsers ------------------------------------------------------------------------------ */

static void
test_parse_int64 (void)
{
  const struct
  {
    const char *text;
    gboolean ok;
    gint64 value;
  } cases[] = {
    { "0", TRUE, 0 },
    { "-0", TRUE, 0 },
    { "+5", TRUE, 5 },
    { "007", TRUE, 7 },
    { "123456789012345678", TRUE, 123456789012345678 },
    { "9223372036854775807", TRUE, G_MAXINT64 },
    { "-9223372036854775808", TRUE, G_MININT64 },
    { "9223372036854775808", FALSE, 0 },
    { "-9223372036854775809", FALSE, 0 },
    { "99999999999999999999", FALSE, 0 },
    { "0000000000000000000000000042", TRUE, 42 },
    { "", FALSE, 0 },
    { "-", FALSE, 0 },
    { "+", FALSE, 0 },
    { " 5", FALSE, 0 },
    { "5 ", FALSE, 0 },
    { "1e3", FALSE, 0 },
    { "1.0", FALSE, 0 },
    { "0x10", FALSE, 0 },
    { "--1", FALSE, 0 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gint64 v = -12345;
      gboolean ok = weft_parse_int64 (cases[i].text, strlen (cases[i].text), &v);

      g_assert_cmpint (ok, ==, cases[i].ok);
      if (ok)
        g_assert_cmpint (v, ==, cases[i].value);
      else
        g_assert_cmpint (v, ==, -12345); /* untouched on failure */
    }
}

static void
test_parse_double (void)
{
  const struct
  {
    const char *text;
    gboolean ok;
    double value;
  } cases[] = {
    { "1e3", TRUE, 1000.0 },     { "1E+3", TRUE, 1000.0 },  { "2.5e-3", TRUE, 0.0025 },
    { ".5", TRUE, 0.5 },         { "5.", TRUE, 5.0 },       { "-0.0", TRUE, -0.0 },
    { "+1.25", TRUE, 1.25 },     { " 1.5 ", TRUE, 1.5 },    { "\t7\n", TRUE, 7.0 },
    { "1e400", TRUE, INFINITY }, { "-1e400", TRUE, -INFINITY }, { "1e-400", TRUE, 0.0 },
    { "Inf", TRUE, INFINITY },   { "-Inf", TRUE, -INFINITY }, { "Infinity", TRUE, INFINITY },
    { "-Infinity", TRUE, -INFINITY }, { "0.1", TRUE, 0.1 },
    { "123456789012345678901234567890", TRUE, 123456789012345678901234567890.0 },
    { "0.000000000000000000000000000001", TRUE, 1e-30 },
    { "9007199254740993", TRUE, 9007199254740992.0 },
    { "", FALSE, 0 },            { " ", FALSE, 0 },         { "e5", FALSE, 0 },
    { "1e", FALSE, 0 },          { "1e+", FALSE, 0 },       { ".", FALSE, 0 },
    { "1.5d", FALSE, 0 },        { "0x10", FALSE, 0 },      { "1,5", FALSE, 0 },
    { "inf", FALSE, 0 },         { "nan", FALSE, 0 },       { "1 2", FALSE, 0 },
  };
  double v;

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gboolean ok = weft_parse_double (cases[i].text, strlen (cases[i].text), &v);

      if (ok != cases[i].ok)
        g_error ("\"%s\": expected %s", cases[i].text, cases[i].ok ? "success" : "failure");
      if (ok)
        {
          g_assert_cmpfloat (v, ==, cases[i].value);
          g_assert_cmpint (signbit (v), ==, signbit (cases[i].value));
        }
    }
  g_assert_true (weft_parse_double ("NaN", 3, &v) && isnan (v));
  g_assert_true (weft_parse_double ("-NaN", 4, &v) && isnan (v));
}

/* Property: the shortest text of a random double (and a 17-digit one) reads back bit for bit. */
static void
test_parse_double_roundtrip (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);

  for (int i = 0; i < 200000; i++)
    {
      guint64 bits = ((guint64) g_rand_int (rand) << 32) | g_rand_int (rand);
      double d, back;
      char buf[64];

      memcpy (&d, &bits, sizeof d);
      if (!isfinite (d))
        continue;
      if (i % 2 == 0)
        g_ascii_dtostr (buf, sizeof buf, d);
      else
        g_snprintf (buf, sizeof buf, "%.*f", g_rand_int_range (rand, 0, 6),
                    g_rand_double_range (rand, -1e7, 1e7));
      g_assert_true (weft_parse_double (buf, strlen (buf), &back));
      if (i % 2 == 0)
        g_assert_true (memcmp (&back, &d, sizeof d) == 0);
      else
        g_assert_cmpfloat (back, ==, g_ascii_strtod (buf, NULL));
    }
}

static void
test_parse_bool (void)
{
  gboolean b;

  g_assert_true (weft_parse_bool ("true", 4, &b) && b);
  g_assert_true (weft_parse_bool ("FALSE", 5, &b) && !b);
  g_assert_true (weft_parse_bool ("True", 4, &b) && b);
  g_assert_false (weft_parse_bool ("yes", 3, &b));
  g_assert_false (weft_parse_bool ("1", 1, &b));
  g_assert_false (weft_parse_bool (" true", 5, &b));
  g_assert_false (weft_parse_bool ("", 0, &b));
}

static void
test_parse_date (void)
{
  WeftDateFormat iso, dmy;
  g_autoptr (GError) error = NULL;
  gint32 d = 0;

  g_assert_true (weft_date_format_init (&iso, "yyyy-MM-dd", &error));
  g_assert_no_error (error);
  g_assert_true (weft_parse_date (&iso, "1970-01-01", 10, FALSE, &d) && d == 0);
  g_assert_true (weft_parse_date (&iso, "1969-12-31", 10, FALSE, &d) && d == -1);
  g_assert_true (weft_parse_date (&iso, "2000-03-01", 10, FALSE, &d) && d == 11017);
  g_assert_true (weft_parse_date (&iso, "2024-02-29", 10, FALSE, &d) && d == 19782);
  g_assert_true (weft_parse_date (&iso, "0001-01-01", 10, FALSE, &d) && d == -719162);
  g_assert_true (weft_parse_date (&iso, "9999-12-31", 10, FALSE, &d) && d == 2932896);
  g_assert_true (weft_parse_date (&iso, "2018-08-28", 10, FALSE, &d) && d == 17771);
  g_assert_false (weft_parse_date (&iso, "2018-0:-28", 10, FALSE, &d));
  g_assert_false (weft_parse_date (&iso, "2023-02-29", 10, FALSE, &d));
  g_assert_false (weft_parse_date (&iso, "1900-02-29", 10, FALSE, &d));
  g_assert_false (weft_parse_date (&iso, "2023-13-01", 10, FALSE, &d));
  g_assert_false (weft_parse_date (&iso, "2023-04-31", 10, FALSE, &d));
  g_assert_false (weft_parse_date (&iso, "2023-1-5", 8, FALSE, &d));
  g_assert_false (weft_parse_date (&iso, "2023-01-05x", 11, FALSE, &d));
  g_assert_false (weft_parse_date (&iso, "0000-01-01", 10, FALSE, &d));
  /* Spark's fallback for typed columns with the default pattern. */
  g_assert_true (weft_parse_date (&iso, "2023-1-5", 8, TRUE, &d));
  g_assert_true (weft_parse_date (&iso, "2023-01-05T10:00:00", 19, TRUE, &d) && d == 19362);
  g_assert_true (weft_parse_date (&iso, " 2023-01-05 ", 12, TRUE, &d) && d == 19362);
  g_assert_true (weft_parse_date (&iso, "2023", 4, TRUE, &d) && d == 19358);
  g_assert_false (weft_parse_date (&iso, "2023-02-30", 10, TRUE, &d));
  g_assert_false (weft_parse_date (&iso, "23-01-05", 8, TRUE, &d));

  g_assert_true (weft_date_format_init (&dmy, "dd/MM/yyyy", NULL));
  g_assert_true (weft_parse_date (&dmy, "05/01/2023", 10, TRUE, &d) && d == 19362);
  g_assert_false (weft_parse_date (&dmy, "2023-01-05", 10, TRUE, &d)); /* no fallback */
  g_assert_true (weft_date_format_init (&dmy, "d.M.yyyy 'h'", NULL));
  g_assert_true (weft_parse_date (&dmy, "5.1.2023 h", 10, FALSE, &d) && d == 19362);
  g_assert_true (weft_parse_date (&dmy, "15.11.2023 h", 12, FALSE, &d));

  g_assert_false (weft_date_format_init (&dmy, "yyyy-MMM-dd", &error));
  g_assert_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION);
  g_assert_nonnull (strstr (error->message, "MMM"));
}

/* Property: days <-> civil dates round-trip, and consecutive days are consecutive dates. */
static void
test_date_roundtrip (void)
{
  gint64 py = 0;
  unsigned pm = 0, pd = 0;

  for (gint64 days = -800000; days <= 800000; days++)
    {
      gint64 y;
      unsigned m, d;

      weft_civil_from_days (days, &y, &m, &d);
      g_assert_cmpint (weft_days_from_civil (y, m, d), ==, days);
      if (days > -800000)
        g_assert_true ((y == py && m == pm && d == pd + 1) || (y == py && m == pm + 1 && d == 1)
                       || (y == py + 1 && m == 1 && d == 1 && pm == 12 && pd == 31));
      py = y;
      pm = m;
      pd = d;
    }
}

static void
test_infer_type (void)
{
  WeftDateFormat iso;
  const struct
  {
    const char *text;
    WeftDataType type;
  } cases[] = {
    { "42", WEFT_DATA_TYPE_INT64 },
    { "-7", WEFT_DATA_TYPE_INT64 },
    { "99999999999999999999", WEFT_DATA_TYPE_DOUBLE }, /* past int64: Spark goes to double */
    { "1e3", WEFT_DATA_TYPE_DOUBLE },
    { "NaN", WEFT_DATA_TYPE_DOUBLE },
    { " 5", WEFT_DATA_TYPE_DOUBLE }, /* Java's parseDouble trims, parseLong does not */
    { "TRUE", WEFT_DATA_TYPE_BOOL },
    { "2024-01-31", WEFT_DATA_TYPE_DATE },
    { "2024-1-31", WEFT_DATA_TYPE_STRING },
    { "2024-02-30", WEFT_DATA_TYPE_STRING },
    { "2018-08-28", WEFT_DATA_TYPE_DATE },   /* digits whose bits OR past 9 */
    { "2018-0:-28", WEFT_DATA_TYPE_STRING }, /* ':' is '9' + 1 */
    { "2019-02-29", WEFT_DATA_TYPE_STRING },
    { "2020-02-29", WEFT_DATA_TYPE_DATE },
    { "0000-01-01", WEFT_DATA_TYPE_STRING },
    { "abc", WEFT_DATA_TYPE_STRING },
  };

  weft_date_format_init (&iso, WEFT_DATE_FORMAT_DEFAULT, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpint (weft_parse_infer_type (cases[i].text, strlen (cases[i].text), &iso), ==,
                     cases[i].type);

  g_assert_cmpint (weft_data_type_merge (0, WEFT_DATA_TYPE_BOOL), ==, WEFT_DATA_TYPE_BOOL);
  g_assert_cmpint (weft_data_type_merge (WEFT_DATA_TYPE_INT64, WEFT_DATA_TYPE_DOUBLE), ==,
                   WEFT_DATA_TYPE_DOUBLE);
  g_assert_cmpint (weft_data_type_merge (WEFT_DATA_TYPE_DOUBLE, WEFT_DATA_TYPE_INT64), ==,
                   WEFT_DATA_TYPE_DOUBLE);
  g_assert_cmpint (weft_data_type_merge (WEFT_DATA_TYPE_INT64, WEFT_DATA_TYPE_BOOL), ==,
                   WEFT_DATA_TYPE_STRING);
  g_assert_cmpint (weft_data_type_merge (WEFT_DATA_TYPE_DATE, WEFT_DATA_TYPE_INT64), ==,
                   WEFT_DATA_TYPE_STRING);
  g_assert_cmpint (weft_data_type_merge (WEFT_DATA_TYPE_DATE, WEFT_DATA_TYPE_DATE), ==,
                   WEFT_DATA_TYPE_DATE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/schema/basics", test_schema_basics);
  g_test_add_func ("/engine/column/append", test_column_append);
  g_test_add_func ("/engine/column/set-null-extend", test_column_set_null_extend);
  g_test_add_func ("/engine/column/ops-model", test_column_ops_model);
  g_test_add_func ("/engine/column/bytes", test_column_bytes);
  g_test_add_func ("/engine/selection/basics", test_selection);
  g_test_add_func ("/engine/batch/ops", test_batch_ops);
  g_test_add_func ("/engine/batch/zero-columns", test_batch_zero_columns);
  g_test_add_func ("/engine/parse/int64", test_parse_int64);
  g_test_add_func ("/engine/parse/double", test_parse_double);
  g_test_add_func ("/engine/parse/double-roundtrip", test_parse_double_roundtrip);
  g_test_add_func ("/engine/parse/bool", test_parse_bool);
  g_test_add_func ("/engine/parse/date", test_parse_date);
  g_test_add_func ("/engine/parse/date-roundtrip", test_date_roundtrip);
  g_test_add_func ("/engine/parse/infer-type", test_infer_type);
  return g_test_run ();
}
