/* weft-ids: YARN-style ids. See weft-ids.h. */
#include "weft-ids.h"

#include <stdlib.h>
#include <string.h>

G_DEFINE_QUARK (weft-ids-error-quark, weft_ids_error)

char *
weft_app_id_format (const WeftAppId *id)
{
  return g_strdup_printf ("application_%" G_GINT64_FORMAT "_%04u", id->cluster_ts, id->seq);
}

char *
weft_attempt_id_format (const WeftAttemptId *id)
{
  return g_strdup_printf ("appattempt_%" G_GINT64_FORMAT "_%04u_%06u", id->app.cluster_ts,
                          id->app.seq, id->attempt);
}

char *
weft_container_id_format (const WeftContainerId *id)
{
  return g_strdup_printf ("container_%" G_GINT64_FORMAT "_%04u_%02u_%06" G_GUINT64_FORMAT,
                          id->attempt.app.cluster_ts, id->attempt.app.seq, id->attempt.attempt,
                          id->seq);
}

/* Splits @text after @prefix into exactly @n decimal numbers separated by
 * '_', each within [1 or 0, max]. */
static gboolean
parse_numbers (const char *text, const char *prefix, guint n, guint64 *out, const char *what,
               GError **error)
{
  gsize plen = strlen (prefix);
  if (text == NULL || strncmp (text, prefix, plen) != 0)
    goto bad;
  const char *p = text + plen;
  for (guint i = 0; i < n; i++)
    {
      if (!g_ascii_isdigit (*p))
        goto bad;
      char *end = NULL;
      guint64 v = g_ascii_strtoull (p, &end, 10);
      if (end - p > 19)
        goto bad;
      out[i] = v;
      p = end;
      if (i + 1 < n)
        {
          if (*p != '_')
            goto bad;
          p++;
        }
    }
  if (*p == '\0')
    return TRUE;
bad:
  g_set_error (error, WEFT_IDS_ERROR, WEFT_IDS_ERROR_INVALID,
               "\"%s\" is not %s id (expected %s)", text ? text : "(null)", what,
               g_str_equal (what, "an application") ? "application_<timestamp>_<number>"
               : g_str_equal (what, "an attempt") ? "appattempt_<timestamp>_<number>_<attempt>"
                                                  : "container_<timestamp>_<app>_<attempt>_<number>");
  return FALSE;
}

gboolean
weft_app_id_parse (const char *text, WeftAppId *out, GError **error)
{
  guint64 v[2];
  if (!parse_numbers (text, "application_", 2, v, "an application", error))
    return FALSE;
  if (v[0] > G_MAXINT64 || v[1] == 0 || v[1] > G_MAXUINT32)
    return parse_numbers (NULL, "", 0, NULL, "an application", error);
  out->cluster_ts = (gint64) v[0];
  out->seq = (guint32) v[1];
  return TRUE;
}

gboolean
weft_attempt_id_parse (const char *text, WeftAttemptId *out, GError **error)
{
  guint64 v[3];
  if (!parse_numbers (text, "appattempt_", 3, v, "an attempt", error))
    return FALSE;
  if (v[0] > G_MAXINT64 || v[1] == 0 || v[1] > G_MAXUINT32 || v[2] == 0 || v[2] > G_MAXUINT32)
    return parse_numbers (NULL, "", 0, NULL, "an attempt", error);
  out->app.cluster_ts = (gint64) v[0];
  out->app.seq = (guint32) v[1];
  out->attempt = (guint32) v[2];
  return TRUE;
}

gboolean
weft_container_id_parse (const char *text, WeftContainerId *out, GError **error)
{
  guint64 v[4];
  if (!parse_numbers (text, "container_", 4, v, "a container", error))
    return FALSE;
  if (v[0] > G_MAXINT64 || v[1] == 0 || v[1] > G_MAXUINT32 || v[2] == 0 || v[2] > G_MAXUINT32
      || v[3] == 0)
    return parse_numbers (NULL, "", 0, NULL, "a container", error);
  out->attempt.app.cluster_ts = (gint64) v[0];
  out->attempt.app.seq = (guint32) v[1];
  out->attempt.attempt = (guint32) v[2];
  out->seq = v[3];
  return TRUE;
}
