/* A driver built outside the tree against the installed libweft, with only
 * `pkg-config --cflags --libs weft` (tests/install/check.sh). */
#include <stdio.h>
#include <weft/weft.h>

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WeftSessionBuilder) b = weft_session_builder_new ();
  if (!weft_session_builder_parse_args (b, &argc, &argv, &error))
    {
      fprintf (stderr, "driver: %s\n", error->message);
      return 2;
    }
  g_autoptr(WeftSession) s = weft_session_builder_get_or_create (b, &error);
  if (s == NULL || argc != 2)
    {
      fprintf (stderr, "driver: %s\n", s ? "usage: driver [--master M] FILE.csv" : error->message);
      return 2;
    }
  const char *opts[] = { "header", "true", "inferSchema", "true", NULL };
  g_autoptr(WeftDataFrame) df = weft_read_csv (s, argv[1], opts, &error);
  gint64 n = df ? weft_df_count (df, &error) : -1;
  if (n < 0)
    {
      fprintf (stderr, "driver: %s\n", error->message);
      return 1;
    }
  printf ("%" G_GINT64_FORMAT " rows on %u slots\n", n, weft_session_get_parallelism (s));
  return 0;
}
