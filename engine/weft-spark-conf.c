/* weft-spark-conf: Spark's value syntax. See weft-spark-conf.h. */
#include "weft-spark-conf.h"

#include "weft-conf.h"

gboolean
weft_spark_conf_size (const char *key, const char *text, gint64 bare_unit, gint64 *out,
                      GError **error)
{
  char *end = NULL;
  double v = g_ascii_strtod (text, &end);
  gint64 unit = bare_unit;
  if (end != text && *end)
    {
      switch (g_ascii_tolower (*end++))
        {
        case 'b': unit = 1; end--; break;
        case 'k': unit = 1024; break;
        case 'm': unit = 1024 * 1024; break;
        case 'g': unit = (gint64) 1024 * 1024 * 1024; break;
        case 't': unit = (gint64) 1024 * 1024 * 1024 * 1024; break;
        default: unit = 0; break;
        }
      if (unit && g_ascii_tolower (*end) == 'b')
        end++;
    }
  if (end == text || *end || unit == 0 || !(v > 0) || v * (double) unit > 1e15)
    {
      g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION,
                   "%s = \"%s\" is not a size: write e.g. 512m, 1g or 64k", key, text);
      return FALSE;
    }
  *out = (gint64) (v * (double) unit);
  return TRUE;
}

gboolean
weft_spark_conf_count (const char *key, const char *text, guint min, guint max, guint *out,
                       GError **error)
{
  char *end = NULL;
  guint64 v = g_ascii_strtoull (text, &end, 10);
  if (end == text || *end || !g_ascii_isdigit (*text) || v < min || v > max)
    {
      g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION,
                   "%s = \"%s\" is not a whole number from %u to %u", key, text, min, max);
      return FALSE;
    }
  *out = (guint) v;
  return TRUE;
}

gboolean
weft_spark_conf_duration (const char *key, const char *text, gint64 *out_us, GError **error)
{
  gint64 ms = 0;
  if (g_ascii_string_to_signed (text, 10, 0, G_MAXINT64 / 1000, &ms, NULL))
    {
      *out_us = ms * 1000;
      return TRUE;
    }
  g_autoptr(GError) local = NULL;
  if (weft_parse_duration (text, out_us, &local))
    return TRUE;
  g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION,
               "%s = \"%s\" is not a duration: write e.g. 120s or 100ms (a bare number is ms)",
               key, text);
  return FALSE;
}
