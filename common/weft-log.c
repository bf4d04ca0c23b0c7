/* weft-log.c: the one-line stderr log writer and its level threshold. */

#include "weft-log.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The least severe level written, as a GLogLevelFlags bit; read from any thread. */
static gint threshold = G_LOG_LEVEL_MESSAGE;

/* Set by weft_log_init() before other threads log, then only read. */
static char *program_name;
static char **debug_domains; /* G_MESSAGES_DEBUG, split; NULL when unset */
static gboolean writer_installed;

#define ALWAYS_WRITTEN (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL)
#define DEBUG_LEVELS   (G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG)

/* The most severe level bit set in @level (lower bits are more severe), or 0. */
static guint
most_severe (GLogLevelFlags level)
{
  guint bits = (guint) level & G_LOG_LEVEL_MASK;
  return bits & (~bits + 1);
}

static gboolean
above_threshold (guint severity)
{
  return severity != 0
         && ((severity & ALWAYS_WRITTEN) || severity <= (guint) g_atomic_int_get (&threshold));
}

static gboolean
domain_wants_debug (const char *domain)
{
  if (!debug_domains)
    return FALSE;
  for (char **d = debug_domains; *d; d++)
    if (strcmp (*d, "all") == 0 || (domain && strcmp (*d, domain) == 0))
      return TRUE;
  return FALSE;
}

static const char *
level_tag (guint severity)
{
  switch (severity)
    {
    case G_LOG_LEVEL_ERROR:
      return "ERROR";
    case G_LOG_LEVEL_CRITICAL:
      return "CRIT";
    case G_LOG_LEVEL_WARNING:
      return "WARN";
    case G_LOG_LEVEL_MESSAGE:
      return "MSG";
    case G_LOG_LEVEL_INFO:
      return "INFO";
    default:
      return "DEBUG";
    }
}

/* Appends @message with newlines and other control characters escaped, so one record stays one
 * line whatever it holds. */
static void
append_escaped (GString *line, const char *message, gssize len)
{
  if (len < 0)
    len = (gssize) strlen (message);
  for (gssize i = 0; i < len; i++)
    {
      guchar c = (guchar) message[i];

      if (c == '\n')
        g_string_append (line, "\\n");
      else if (c == '\r')
        g_string_append (line, "\\r");
      else if ((c < 0x20 && c != '\t') || c == 0x7f)
        g_string_append_printf (line, "\\x%02x", c);
      else
        g_string_append_c (line, (char) c);
    }
}

static void
append_timestamp (GString *line)
{
  gint64 now = g_get_real_time ();
  time_t secs = (time_t) (now / G_USEC_PER_SEC);
  struct tm tm;

  gmtime_r (&secs, &tm);
  g_string_append_printf (line, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                          tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int) (now % G_USEC_PER_SEC / 1000));
}

/* One write(2) per record, so lines from several threads (or processes sharing stderr) do not
 * interleave. */
static void
write_all (int fd, const char *data, gsize len)
{
  while (len > 0)
    {
      gssize n = write (fd, data, len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return; /* nowhere left to report it */
      data += n;
      len -= (gsize) n;
    }
}

static GLogWriterOutput
writer (GLogLevelFlags log_level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  guint severity = most_severe (log_level);
  const char *domain = NULL;
  const char *message = NULL;
  gssize message_len = -1;
  g_autoptr(GString) line = NULL;

  (void) user_data;
  for (gsize i = 0; i < n_fields; i++)
    {
      if (strcmp (fields[i].key, "GLIB_DOMAIN") == 0)
        domain = fields[i].value;
      else if (strcmp (fields[i].key, "MESSAGE") == 0)
        {
          message = fields[i].value;
          message_len = fields[i].length;
        }
    }
  /* The cheap check comes first: a dropped record costs no timestamp, allocation or write. */
  if (!above_threshold (severity) && !((severity & DEBUG_LEVELS) && domain_wants_debug (domain)))
    return G_LOG_WRITER_HANDLED;

  line = g_string_sized_new (256);
  append_timestamp (line);
  g_string_append_printf (line, " %s %s[%ld] %s: ", level_tag (severity),
                          program_name ? program_name : "weft", (long) getpid (), domain ? domain : "-");
  if (message)
    append_escaped (line, message, message_len);
  g_string_append_c (line, '\n');
  write_all (STDERR_FILENO, line->str, line->len);
  return G_LOG_WRITER_HANDLED;
}

void
weft_log_init (const char *program, int verbosity)
{
  const char *debug = g_getenv ("G_MESSAGES_DEBUG");
  const char *name = program ? program : g_get_prgname ();

  g_free (program_name);
  program_name = g_strdup (name ? name : "weft");
  g_strfreev (debug_domains);
  debug_domains = (debug && *debug) ? g_strsplit_set (debug, " ,", -1) : NULL;

  weft_log_set_level (verbosity >= 2   ? G_LOG_LEVEL_DEBUG
                      : verbosity == 1 ? G_LOG_LEVEL_INFO
                                       : G_LOG_LEVEL_MESSAGE);
  if (!writer_installed)
    {
      writer_installed = TRUE;
      g_log_set_writer_func (writer, NULL, NULL);
    }
}

void
weft_log_set_level (GLogLevelFlags level)
{
  guint severity = most_severe (level);

  g_return_if_fail (severity != 0);
  g_atomic_int_set (&threshold, (gint) severity);
}

GLogLevelFlags
weft_log_get_level (void)
{
  return (GLogLevelFlags) g_atomic_int_get (&threshold);
}

gboolean
weft_log_level_from_name (const char *name, GLogLevelFlags *out_level)
{
  static const struct
  {
    const char *name;
    GLogLevelFlags level;
  } names[] = {
    { "error", G_LOG_LEVEL_ERROR },     { "warning", G_LOG_LEVEL_WARNING }, { "message", G_LOG_LEVEL_MESSAGE },
    { "info", G_LOG_LEVEL_INFO },       { "debug", G_LOG_LEVEL_DEBUG },
  };

  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (out_level != NULL, FALSE);

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_ascii_strcasecmp (name, names[i].name) == 0)
      {
        *out_level = names[i].level;
        return TRUE;
      }
  return FALSE;
}

gboolean
weft_log_enabled (GLogLevelFlags level)
{
  guint severity = most_severe (level);

  return above_threshold (severity) || ((severity & DEBUG_LEVELS) && debug_domains != NULL);
}
