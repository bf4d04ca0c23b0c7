/* Spark's value syntax (weft-spark-conf): sizes with their bare unit, counts in range, durations
 * with bare milliseconds; every refusal names the key and the value. */
#include <string.h>

#include "weft-spark-conf.h"

static void
test_size (void)
{
  static const struct { const char *text; gint64 bare; gint64 want; } ok[] = {
    { "512m", 1, G_GINT64_CONSTANT (512) << 20 }, { "1.5g", 1, G_GINT64_CONSTANT (3) << 29 },
    { "64k", 1, 64 << 10 }, { "2T", 1, G_GINT64_CONSTANT (2) << 40 }, { "100b", 1 << 20, 100 },
    { "512", 1 << 20, G_GINT64_CONSTANT (512) << 20 }, { "4096", 1, 4096 }, { "1gb", 1, 1 << 30 },
  };
  for (guint i = 0; i < G_N_ELEMENTS (ok); i++)
    {
      g_autoptr(GError) error = NULL;
      gint64 v = 0;
      g_assert_true (weft_spark_conf_size ("k", ok[i].text, ok[i].bare, &v, &error));
      g_assert_no_error (error);
      g_assert_cmpint (v, ==, ok[i].want);
    }
  static const char *const bad[] = { "", "lots", "-1g", "0", "12q", "1e20g", "m" };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      gint64 v = 7;
      g_assert_false (weft_spark_conf_size ("spark.executor.memory", bad[i], 1, &v, &error));
      g_assert_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION);
      g_assert_nonnull (strstr (error->message, "spark.executor.memory"));
      g_assert_cmpint (v, ==, 7);
    }
}

static void
test_count (void)
{
  guint v = 0;
  g_assert_true (weft_spark_conf_count ("k", "0", 0, 10, &v, NULL));
  g_assert_cmpuint (v, ==, 0);
  g_assert_true (weft_spark_conf_count ("k", "10", 0, 10, &v, NULL));
  g_assert_cmpuint (v, ==, 10);
  static const char *const bad[] = { "", "11", "-1", "+3", " 3", "3x", "0" };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_assert_false (weft_spark_conf_count ("spark.executor.cores", bad[i], 1, 10, &v, &error));
      g_assert_nonnull (strstr (error->message, "from 1 to 10"));
    }
}

static void
test_duration (void)
{
  gint64 us = 0;
  g_assert_true (weft_spark_conf_duration ("k", "120s", &us, NULL));
  g_assert_cmpint (us, ==, 120 * G_USEC_PER_SEC);
  g_assert_true (weft_spark_conf_duration ("k", "100ms", &us, NULL));
  g_assert_cmpint (us, ==, 100000);
  g_assert_true (weft_spark_conf_duration ("k", "2500", &us, NULL));
  g_assert_cmpint (us, ==, 2500000);
  static const char *const bad[] = { "", "soon", "-5", "5 parsecs" };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_assert_false (weft_spark_conf_duration ("spark.network.timeout", bad[i], &us, &error));
      g_assert_nonnull (strstr (error->message, "spark.network.timeout"));
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/spark-conf/size", test_size);
  g_test_add_func ("/engine/spark-conf/count", test_count);
  g_test_add_func ("/engine/spark-conf/duration", test_duration);
  return g_test_run ();
}
