/* weft-progress: Spark's console progress bar and the progress detail line. See weft-progress.h. */
#include "weft-progress.h"

#include <string.h>

char *
weft_progress_bar_format (guint stage_id, guint done, guint running, guint total, guint width)
{
  g_autofree char *header = g_strdup_printf ("[Stage %u:", stage_id);
  g_autofree char *tail = g_strdup_printf ("(%u + %u) / %u]", done, running, total);
  gint64 w = (gint64) width - (gint64) strlen (header) - (gint64) strlen (tail);
  GString *s = g_string_new (header);
  if (w > 0)
    {
      /* Spark: percent = w * done / total in Int arithmetic; 64 bits cannot overflow here. */
      gint64 percent = total > 0 ? w * (gint64) done / (gint64) total : 0;
      percent = MIN (percent, w);
      for (gint64 i = 0; i < w; i++)
        g_string_append_c (s, i < percent ? '=' : i == percent ? '>' : ' ');
    }
  g_string_append (s, tail);
  return g_string_free (s, FALSE);
}

char *
weft_progress_bar_clear (guint width)
{
  GString *s = g_string_sized_new (width + 2);
  g_string_append_c (s, '\r');
  for (guint i = 0; i < width; i++)
    g_string_append_c (s, ' ');
  g_string_append_c (s, '\r');
  return g_string_free (s, FALSE);
}

guint
weft_progress_width (const char *columns)
{
  guint64 v = 0;
  if (columns != NULL && g_ascii_string_to_unsigned (columns, 10, 1, 10000, &v, NULL))
    return (guint) v;
  return WEFT_PROGRESS_DEFAULT_WIDTH;
}

char *
weft_progress_detail_format (guint stage_id, guint done, guint running, guint total)
{
  return g_strdup_printf ("%u %u %u %u", stage_id, done, running, total);
}

/* One decimal number ending at a space (or the end for the last): no sign, no leading spaces. */
static gboolean
take_number (const char **p, gboolean last, guint *out)
{
  const char *s = *p;
  gsize n = 0;
  while (g_ascii_isdigit (s[n]))
    n++;
  if (n == 0 || n > 10 || (last ? s[n] != '\0' : s[n] != ' '))
    return FALSE;
  guint64 v = 0;
  for (gsize i = 0; i < n; i++)
    v = v * 10 + (guint64) (s[i] - '0');
  if (v > G_MAXUINT32)
    return FALSE;
  *out = (guint) v;
  *p = s + n + (last ? 0 : 1);
  return TRUE;
}

gboolean
weft_progress_detail_parse (const char *detail, guint *stage_id, guint *done, guint *running,
                            guint *total)
{
  guint v[4];
  const char *p = detail;
  if (p == NULL || *p == '\0')
    return FALSE;
  for (guint i = 0; i < 4; i++)
    if (!take_number (&p, i == 3, &v[i]))
      return FALSE;
  *stage_id = v[0];
  *done = v[1];
  *running = v[2];
  *total = v[3];
  return TRUE;
}
