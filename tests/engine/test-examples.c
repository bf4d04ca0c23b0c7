/* The example programs (examples/), run as a user runs them, their output
 * checked exactly: the seeds' scenarios. */
#include <string.h>
#include <sys/wait.h>

#include "weft-fs.h"

static char *tmpdir;

static char *
run_example (const char *name, const char *const *args, int *status)
{
  const char *top = g_getenv ("WEFT_TOP_BUILDDIR");
  g_autofree char *bin = g_build_filename (top ? top : ".", "examples", name, NULL);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_ptr_array_add (argv, bin);
  for (guint i = 0; args && args[i]; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);
  char *out = NULL, *err = NULL;
  g_autoptr(GError) error = NULL;
  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out,
                               &err, status, &error));
  g_assert_no_error (error);
  if (*err)
    g_test_message ("%s stderr: %s", name, err);
  g_free (err);
  return out;
}

static void
test_people (void)
{
  int st;
  const char *args[] = { "local[2]", NULL };
  g_autofree char *out = run_example ("people", args, &st);
  g_assert_true (WIFEXITED (st) && WEXITSTATUS (st) == 0);
  g_assert_cmpstr (out, ==,
                   "+-------+---+\n|   Name|Age|\n+-------+---+\n|  Alice| 25|\n|    Bob| 30|\n"
                   "|Charlie| 35|\n+-------+---+\n");
}

static void
test_marbles (void)
{
  int st;
  const char *args[] = { "local[3]", NULL };
  g_autofree char *out = run_example ("marbles", args, &st);
  g_assert_true (WIFEXITED (st) && WEXITSTATUS (st) == 0);
  g_assert_cmpstr (out, ==,
                   "+------+-------------+\n|Bag_ID|Total_Marbles|\n+------+-------------+\n"
                   "| Bag_A|           30|\n| Bag_B|           10|\n| Bag_C|           50|\n"
                   "+------+-------------+\n");
}

static guint
parts_in (const char *dir, gboolean *success)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *n;
  guint parts = 0;
  *success = FALSE;
  while (d && (n = g_dir_read_name (d)))
    {
      parts += g_str_has_prefix (n, "part-");
      *success |= g_str_equal (n, "_SUCCESS");
    }
  return parts;
}

static void
test_write_csv (void)
{
  g_autofree char *out = g_build_filename (tmpdir, "out", NULL);
  g_autofree char *single = g_build_filename (tmpdir, "single", NULL);
  const char *args[] = { out, single, "local[3]", NULL };
  int st;
  g_autofree char *o = run_example ("write-csv", args, &st);
  g_assert_true (WIFEXITED (st) && WEXITSTATUS (st) == 0);
  gboolean ok;
  g_assert_cmpuint (parts_in (out, &ok), ==, 3);
  g_assert_true (ok);
  g_assert_cmpuint (parts_in (single, &ok), ==, 1);
  g_assert_true (ok);
  g_autoptr(GDir) d = g_dir_open (single, 0, NULL);
  const char *n;
  while ((n = g_dir_read_name (d)))
    if (g_str_has_prefix (n, "part-"))
      {
        g_autofree char *p = g_build_filename (single, n, NULL);
        g_autofree char *text = NULL;
        g_assert_true (g_file_get_contents (p, &text, NULL, NULL));
        g_assert_cmpstr (text, ==, "Name,Age\nAlice,25\nBob,30\nCharlie,35\n");
      }
}

static void
test_employees (void)
{
  /* 1,000 rows whose answers are known by construction: ages cycle 20..59,
   * salaries cycle 10,000..100,000 in steps of 10,000, cities cycle 0..3. */
  g_autofree char *csv = g_build_filename (tmpdir, "employees.csv", NULL);
  GString *s = g_string_new ("id,name,age,city,department,salary,hired\n");
  guint rich = 0, over30[4] = { 0 };
  for (guint i = 0; i < 1000; i++)
    {
      guint age = 20 + i % 40, salary = 10000 * (1 + i % 10), city = i % 4;
      g_string_append_printf (s, "%u,name%u,%u,city%u,dept%u,%u,2020-01-01\n", i, i, age, city,
                              i % 3, salary);
      rich += salary > 50000;
      over30[city] += age > 30;
    }
  g_assert_true (g_file_set_contents (csv, s->str, -1, NULL));
  g_string_free (s, TRUE);
  const char *args[] = { csv, "local[2]", NULL };
  int st;
  g_autofree char *out = run_example ("employees", args, &st);
  g_assert_true (WIFEXITED (st) && WEXITSTATUS (st) == 0);
  g_autofree char *want = g_strdup_printf ("salary > 50000: %u\n", rich);
  g_assert_true (g_str_has_prefix (out, want));
  for (guint c = 0; c < 4; c++)
    {
      g_autofree char *row = g_strdup_printf ("|city%u|  %3u|", c, over30[c]);
      if (strstr (out, row) == NULL)
        g_error ("expected %s in:\n%s", row, out);
    }
  g_assert_nonnull (strstr (out, "pruned: 1 of 7 columns"));
  g_assert_nonnull (strstr (out, "PushedFilter: (age"));
  /* The physical plan, as the executor runs it on local[2] (two shuffle partitions). */
  const char *phys = strstr (out, "\n== Physical Plan ==\n");
  g_assert_nonnull (phys);
  g_assert_true (g_str_has_prefix (phys + strlen ("\n== Physical Plan ==\n"),
                                   "*(2) HashAggregate(keys=[city#0], functions=[count(1)])\n"
                                   "+- Exchange hashpartitioning(city#0, 2)\n"
                                   "   +- *(1) HashAggregate(keys=[city#0], functions=[partial_count(1)])\n"
                                   "      +- *(1) Project [city#0]\n"
                                   "         +- *(1) FileScan csv [city] Format: CSV, Location: ["));
  g_assert_nonnull (strstr (phys, "PushedFilters: [(age#2 > 30)], ReadSchema: struct<city:string>, "
                                  "Splits: 1\n"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_autoptr(GError) error = NULL;
  tmpdir = g_dir_make_tmp ("weft-examples-XXXXXX", &error);
  g_test_add_func ("/engine/examples/people", test_people);
  g_test_add_func ("/engine/examples/marbles", test_marbles);
  g_test_add_func ("/engine/examples/write-csv", test_write_csv);
  g_test_add_func ("/engine/examples/employees", test_employees);
  int rc = g_test_run ();
  weft_fs_remove_tree (tmpdir, NULL);
  g_free (tmpdir);
  return rc;
}
