/* Tests for engine/weft-progress: Spark's ConsoleProgressBar text byte for byte (the expected
 * strings follow its show(): header "[Stage N:", w = width - header - tail columns of '=' up to
 * w * done / total, '>' at the next one, spaces, tail "(done + running) / total]"), the erase
 * sequence, $COLUMNS, and the progress detail line's strict format. */
#include <string.h>

#include "weft-progress.h"

static void
check_bar (guint stage, guint done, guint running, guint total, guint width, const char *want)
{
  g_autofree char *got = weft_progress_bar_format (stage, done, running, total, width);
  g_assert_cmpstr (got, ==, want);
}

static void
test_bar_spark_text (void)
{
  /* 80 columns, Spark's default: 9 + 58 + 13. 58 * 3 / 10 = 17 '=' then the head. */
  check_bar (1, 3, 2, 10, 80,
             "[Stage 1:=================>                                        (3 + 2) / 10]");
  /* Nothing done yet: the head alone. */
  check_bar (0, 0, 0, 4, 80,
             "[Stage 0:>                                                          (0 + 0) / 4]");
  /* All done: no head, the bar is full. */
  check_bar (2, 10, 0, 10, 80,
             "[Stage 2:=========================================================(10 + 0) / 10]");
  /* A narrower terminal: 40 columns leave 18 for the bar, 18 * 5 / 12 = 7. */
  check_bar (7, 5, 1, 12, 40, "[Stage 7:=======>          (5 + 1) / 12]");
  /* One column of bar. */
  check_bar (1, 0, 1, 1, 22, "[Stage 1:>(0 + 1) / 1]");
  check_bar (1, 1, 0, 1, 22, "[Stage 1:=(1 + 0) / 1]");
  check_bar (1, 0, 1, 1, 25, "[Stage 1:>   (0 + 1) / 1]");
}

static void
test_bar_widths (void)
{
  /* Every width from the narrowest to a wide terminal: exactly @width bytes whenever a bar fits. */
  for (guint width = 22; width <= 300; width++)
    {
      g_autofree char *s = weft_progress_bar_format (4, 7, 3, 20, width);
      g_assert_cmpuint (strlen (s), ==, width);
      g_assert_true (g_str_has_prefix (s, "[Stage 4:"));
      g_assert_true (g_str_has_suffix (s, "(7 + 3) / 20]"));
    }
}

static void
test_bar_no_room (void)
{
  /* Header and tail leave no room: Spark draws them without a bar. */
  check_bar (3, 1, 0, 2, 20, "[Stage 3:(1 + 0) / 2]");
  check_bar (12345, 99, 1, 1000, 20, "[Stage 12345:(99 + 1) / 1000]");
  check_bar (1, 0, 1, 1, 21, "[Stage 1:(0 + 1) / 1]");
  check_bar (1, 0, 0, 1, 0, "[Stage 1:(0 + 0) / 1]");
}

static void
test_bar_odd_numbers (void)
{
  /* No tasks: an empty bar, no division by zero. */
  check_bar (5, 0, 0, 0, 30, "[Stage 5:>        (0 + 0) / 0]");
  /* More done than there are (retries): a full bar, never past it. */
  check_bar (5, 9, 0, 4, 30, "[Stage 5:=========(9 + 0) / 4]");
  /* Large numbers do not overflow. */
  g_autofree char *big = weft_progress_bar_format (G_MAXUINT32, G_MAXUINT32 - 1, 1, G_MAXUINT32,
                                                   200);
  g_assert_cmpuint (strlen (big), ==, 200);
  g_assert_nonnull (strstr (big, "=>"));
}

static void
test_clear_and_width (void)
{
  g_autofree char *clear = weft_progress_bar_clear (10);
  g_assert_cmpstr (clear, ==, "\r          \r");
  g_assert_cmpuint (weft_progress_width (NULL), ==, 80);
  g_assert_cmpuint (weft_progress_width (""), ==, 80);
  g_assert_cmpuint (weft_progress_width ("120"), ==, 120);
  g_assert_cmpuint (weft_progress_width ("0"), ==, 80);
  g_assert_cmpuint (weft_progress_width ("-5"), ==, 80);
  g_assert_cmpuint (weft_progress_width ("12x"), ==, 80);
  g_assert_cmpuint (weft_progress_width ("99999"), ==, 80);
}

static void
test_detail (void)
{
  g_autofree char *d = weft_progress_detail_format (1, 3, 2, 10);
  g_assert_cmpstr (d, ==, "1 3 2 10");
  guint s = 0, done = 0, run = 0, total = 0;
  g_assert_true (weft_progress_detail_parse (d, &s, &done, &run, &total));
  g_assert_cmpuint (s, ==, 1);
  g_assert_cmpuint (done, ==, 3);
  g_assert_cmpuint (run, ==, 2);
  g_assert_cmpuint (total, ==, 10);
  g_assert_true (weft_progress_detail_parse ("4294967295 0 0 4294967295", &s, &done, &run,
                                             &total));
  g_assert_cmpuint (s, ==, G_MAXUINT32);

  /* Anything but four plain numbers: no bar, and the outputs are left alone. */
  static const char *const bad[] = {
    "", "1 2 3", "1 2 3 4 5", " 1 2 3 4", "1 2 3 4 ", "1  2 3 4", "1 2 3 -4", "1 2 3 +4",
    "1 2 3 x", "1\t2 3 4", "4294967296 0 0 1", "99999999999 0 0 1", "1 2 3 4\n", "stage 1",
  };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      s = 77;
      g_assert_false (weft_progress_detail_parse (bad[i], &s, &done, &run, &total));
      g_assert_cmpuint (s, ==, 77);
    }
  g_assert_false (weft_progress_detail_parse (NULL, &s, &done, &run, &total));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/progress/bar/spark-text", test_bar_spark_text);
  g_test_add_func ("/engine/progress/bar/widths", test_bar_widths);
  g_test_add_func ("/engine/progress/bar/no-room", test_bar_no_room);
  g_test_add_func ("/engine/progress/bar/odd-numbers", test_bar_odd_numbers);
  g_test_add_func ("/engine/progress/clear-and-width", test_clear_and_width);
  g_test_add_func ("/engine/progress/detail", test_detail);
  return g_test_run ();
}
