/* The engine's answers checked against sqlite3 run on the same CSV files:
 * generated employees (nulls in every typed column, a skewed city, empty
 * strings), a departments table to join, an empty file and a one-row file;
 * each query on local[1] and local[3]. sqlite3 is an independent engine, so a
 * shared misunderstanding of the data cannot make both agree. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "weft-fs.h"
#include "weft/weft.h"

static char *tmpdir;

/* Employees: id, name, age, city, department, salary (nulls: age 8 %, salary 5 %, city 3 %). */
static char *
write_employees (const char *name, guint rows, guint32 seed)
{
  g_autoptr(GRand) r = g_rand_new_with_seed (seed);
  g_autoptr(GString) s = g_string_new ("id,name,age,city,department,salary\n");
  for (guint i = 0; i < rows; i++)
    {
      g_string_append_printf (s, "%u,name%u,", i + 1, g_rand_int_range (r, 0, 5000));
      if (g_rand_int_range (r, 0, 100) >= 8)
        g_string_append_printf (s, "%d", g_rand_int_range (r, 18, 70));
      g_string_append_c (s, ',');
      int c = g_rand_int_range (r, 0, 100);
      if (c >= 3)   /* 40 % of the rest in one city */
        g_string_append_printf (s, "city%d", c < 43 ? 0 : g_rand_int_range (r, 1, 300));
      g_string_append_printf (s, ",dept%d,", g_rand_int_range (r, 0, 20));
      if (g_rand_int_range (r, 0, 100) >= 5)
        g_string_append_printf (s, "%d", g_rand_int_range (r, 20000, 200000));
      g_string_append_c (s, '\n');
    }
  char *path = g_build_filename (tmpdir, name, NULL);
  g_assert_true (g_file_set_contents (path, s->str, (gssize) s->len, NULL));
  return path;
}

/* sqlite3's rows ("a|b" per line) for @sql run after importing @files as tables. */
static char *
sqlite (const char *const *tables, const char *const *files, const char *sql)
{
  g_autoptr(GString) script = g_string_new (".mode list\n.nullvalue NULL\n");
  for (guint i = 0; tables[i]; i++)
    g_string_append_printf (script, ".import --csv %s %s_raw\n", files[i], tables[i]);
  /* Typed tables: empty fields are nulls, as Weft reads them. */
  g_string_append (script,
                   "CREATE TABLE e AS SELECT CAST(id AS INTEGER) id, name, "
                   "CAST(NULLIF(age,'') AS INTEGER) age, NULLIF(city,'') city, department, "
                   "CAST(NULLIF(salary,'') AS INTEGER) salary FROM e_raw;\n");
  if (tables[1])
    g_string_append (script, "CREATE TABLE d AS SELECT department, "
                             "CAST(budget AS INTEGER) budget FROM d_raw;\n");
  g_string_append_printf (script, "%s;\n", sql);
  g_autofree char *script_path = g_build_filename (tmpdir, "script.sql", NULL);
  g_assert_true (g_file_set_contents (script_path, script->str, -1, NULL));
  g_autofree char *read_cmd = g_strdup_printf (".read %s", script_path);
  const char *argv[] = { "sqlite3", "-bail", ":memory:", read_cmd, NULL };
  char *out = NULL, *err = NULL;
  int status = 0;
  g_autoptr(GError) error = NULL;
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out,
                               &err, &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("sqlite3 failed: %s", err);
  g_free (err);
  return out;
}

/* Weft's rows, formatted as sqlite3 prints them (doubles to 6 decimals on both sides). */
static char *
weft_rows (WeftDataFrame *df)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WeftBatch) b = weft_df_collect (df, &error);
  g_assert_no_error (error);
  g_autoptr(GString) s = g_string_new (NULL);
  for (gsize r = 0; r < b->n_rows; r++)
    {
      for (guint c = 0; c < b->n_columns; c++)
        {
          const WeftColumn *col = b->columns[c];
          if (c > 0)
            g_string_append_c (s, '|');
          if (col->validity && !(col->validity[r / 8] & (1u << (r % 8))))
            g_string_append (s, "NULL");
          else if (col->type == WEFT_DATA_TYPE_INT64)
            g_string_append_printf (s, "%" G_GINT64_FORMAT, col->values.i64[r]);
          else if (col->type == WEFT_DATA_TYPE_DOUBLE)
            g_string_append_printf (s, "%.6f", col->values.f64[r]);
          else if (col->type == WEFT_DATA_TYPE_STRING)
            g_string_append_len (s, col->data + col->offsets[r],
                                 (gssize) (col->offsets[r + 1] - col->offsets[r]));
          else
            g_assert_not_reached ();
        }
      g_string_append_c (s, '\n');
    }
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static void
expect_same (const char *what, const char *master, const char *weft, const char *sql_out)
{
  if (g_strcmp0 (weft, sql_out) != 0)
    g_error ("%s on %s: weft and sqlite3 differ\n--- weft:\n%.2000s\n--- sqlite3:\n%.2000s", what,
             master, weft, sql_out);
}

static WeftDataFrame *
read_table (WeftSession *s, const char *path)
{
  const char *opts[] = { "header", "true", "inferSchema", "true", NULL };
  g_autoptr(GError) error = NULL;
  WeftDataFrame *df = weft_read_csv (s, path, opts, &error);
  g_assert_no_error (error);
  return df;
}

static WeftExpr *
gt (const char *col, gint64 v)
{
  return weft_expr_binary (WEFT_EXPR_OP_GT, weft_expr_col (col), weft_expr_lit_int64 (v));
}

static WeftDataFrame *
sorted (WeftDataFrame *df, const char *col)
{
  g_autoptr(GError) error = NULL;
  WeftPlanSortKey key = { weft_expr_col (col), FALSE, TRUE };
  WeftDataFrame *out = weft_df_order_by (df, &key, 1, &error);
  weft_expr_unref (key.expr);
  g_assert_no_error (error);
  return out;
}

static void
run_queries (const char *emp, const char *dept, gboolean typed)
{
  const char *tables[] = { "e", "d", NULL };
  const char *files[] = { emp, dept, NULL };
  const char *masters[] = { "local[1]", "local[3]" };
  for (guint m = 0; m < G_N_ELEMENTS (masters); m++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(WeftSession) s = weft_session_new ("t", masters[m], &error);
      g_autoptr(WeftDataFrame) e = read_table (s, emp);

      /* Q1: count where salary > 50000. */
      g_autoptr(WeftExpr) c1 = gt ("salary", 50000);
      g_autoptr(WeftDataFrame) f1 = typed ? weft_df_filter (e, c1, &error) : NULL;
      if (typed)
        {
          g_autofree char *got = g_strdup_printf ("%" G_GINT64_FORMAT "\n", weft_df_count (f1, &error));
          g_assert_no_error (error);
          g_autofree char *want = sqlite (tables, files, "SELECT count(*) FROM e WHERE salary > 50000");
          expect_same ("Q1", masters[m], got, want);
        }

      /* Q2: city, count(*) where age > 30 group by city (the null city is a group). */
      if (typed)
        {
          g_autoptr(WeftExpr) c2 = gt ("age", 30);
          g_autoptr(WeftDataFrame) f2 = weft_df_filter (e, c2, &error);
          g_autoptr(WeftExpr) city = weft_expr_col ("city");
          g_autoptr(WeftDataFrame) g2 = weft_df_group_by_count (f2, &city, 1, &error);
          g_autoptr(WeftDataFrame) o2 = sorted (g2, "city");
          g_autofree char *got = weft_rows (o2);
          g_autofree char *want = sqlite (tables, files, "SELECT city, count(*) FROM e WHERE age > 30 "
                                                          "GROUP BY city ORDER BY city NULLS FIRST");
          expect_same ("Q2", masters[m], got, want);
        }

      /* Q3: per department sum(salary), avg(age), min(age), max(salary), count(distinct city),
       * count(age), count(*). */
      {
        WeftPlanAggSpec aggs[] = {
          { WEFT_AGG_SUM, weft_expr_col ("salary"), NULL }, { WEFT_AGG_AVG, weft_expr_col ("age"), NULL },
          { WEFT_AGG_MIN, weft_expr_col ("age"), NULL },    { WEFT_AGG_MAX, weft_expr_col ("salary"), NULL },
          { WEFT_AGG_COUNT_DISTINCT, weft_expr_col ("city"), NULL },
          { WEFT_AGG_COUNT, weft_expr_col ("age"), NULL },  { WEFT_AGG_COUNT_STAR, NULL, NULL },
        };
        g_autoptr(WeftExpr) dep = weft_expr_col ("department");
        g_autoptr(WeftDataFrame) g3 = weft_df_group_by_agg (e, &dep, 1, aggs, G_N_ELEMENTS (aggs), &error);
        for (guint i = 0; i < G_N_ELEMENTS (aggs); i++)
          if (aggs[i].input)
            weft_expr_unref (aggs[i].input);
        g_assert_no_error (error);
        g_autoptr(WeftDataFrame) o3 = sorted (g3, "department");
        g_autofree char *got = weft_rows (o3);
        g_autofree char *want = sqlite (tables, files,
                                        "SELECT department, sum(salary), printf('%.6f', avg(age)), "
                                        "min(age), max(salary), count(DISTINCT city), count(age), "
                                        "count(*) FROM e GROUP BY department ORDER BY department");
        expect_same ("Q3", masters[m], got, want);
      }

      /* Q5: departments joined: inner (sum of budget by city for rows that match) and left anti. */
      if (typed)
        {
          g_autoptr(WeftDataFrame) d = read_table (s, dept);
          const char *on[] = { "department", NULL };
          g_autoptr(WeftDataFrame) j = weft_df_join (e, d, on, WEFT_JOIN_INNER, &error);
          g_assert_no_error (error);
          WeftPlanAggSpec aggs[] = { { WEFT_AGG_SUM, weft_expr_col ("budget"), NULL },
                                     { WEFT_AGG_COUNT_STAR, NULL, NULL } };
          g_autoptr(WeftExpr) city = weft_expr_col ("city");
          g_autoptr(WeftDataFrame) g5 = weft_df_group_by_agg (j, &city, 1, aggs, 2, &error);
          weft_expr_unref (aggs[0].input);
          g_assert_no_error (error);
          g_autoptr(WeftDataFrame) o5 = sorted (g5, "city");
          g_autofree char *got = weft_rows (o5);
          g_autofree char *want = sqlite (tables, files,
                                          "SELECT city, sum(budget), count(*) FROM e JOIN d USING "
                                          "(department) GROUP BY city ORDER BY city NULLS FIRST");
          expect_same ("join", masters[m], got, want);

          g_autoptr(WeftDataFrame) a = weft_df_join (e, d, on, WEFT_JOIN_LEFT_ANTI, &error);
          g_assert_no_error (error);
          g_autofree char *anti = g_strdup_printf ("%" G_GINT64_FORMAT "\n", weft_df_count (a, &error));
          g_autofree char *want_anti = sqlite (tables, files,
                                               "SELECT count(*) FROM e WHERE department NOT IN "
                                               "(SELECT department FROM d)");
          expect_same ("anti join", masters[m], anti, want_anti);
        }
    }
}

static char *
write_departments (void)
{
  /* 15 of the 20 departments, so some employees match none. */
  g_autoptr(GString) s = g_string_new ("department,budget\n");
  for (int i = 0; i < 15; i++)
    g_string_append_printf (s, "dept%d,%d\n", i * 7 % 20, 1000 * (i + 1));
  char *path = g_build_filename (tmpdir, "departments.csv", NULL);
  g_assert_true (g_file_set_contents (path, s->str, -1, NULL));
  return path;
}

static void
test_generated (void)
{
  g_autofree char *emp = write_employees ("employees.csv", 30000, 42);
  g_autofree char *dept = write_departments ();
  run_queries (emp, dept, TRUE);
}

static void
test_one_row (void)
{
  g_autofree char *emp = write_employees ("one.csv", 1, 7);
  g_autofree char *dept = write_departments ();
  run_queries (emp, dept, FALSE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp ("weft-test-sqlite-XXXXXX", NULL);
  g_test_add_func ("/engine/sqlite/generated", test_generated);
  g_test_add_func ("/engine/sqlite/one-row", test_one_row);
  int rc = g_test_run ();
  weft_fs_remove_tree (tmpdir, NULL);
  g_free (tmpdir);
  return rc;
}
