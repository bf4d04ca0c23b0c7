/* Tests of common/weft-log: the line format, level filtering, escaping, G_MESSAGES_DEBUG, fatal
 * levels and concurrent writers, observed by capturing the process's stderr. */

#include "weft-log.h"

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

/* A domain of our own, so the tests do not depend on how G_LOG_DOMAIN was set for this file. */
#define DOMAIN "weft-test-log"

/* ---- Capturing stderr --------------------------------------------------------------------- */

typedef struct
{
  int saved_fd;
  int file_fd;
  char *path;
} Capture;

/* Points fd 2 at a temporary file. No assertion may run until capture_end(): its report would be
 * captured too. */
static void
capture_begin (Capture *c)
{
  g_autoptr(GError) error = NULL;

  c->file_fd = g_file_open_tmp ("weft-test-log-XXXXXX", &c->path, &error);
  g_assert_no_error (error);
  fflush (stderr);
  c->saved_fd = dup (STDERR_FILENO);
  g_assert_cmpint (c->saved_fd, >=, 0);
  g_assert_cmpint (dup2 (c->file_fd, STDERR_FILENO), ==, STDERR_FILENO);
}

/* Restores fd 2. Returns: (transfer full): what was written to it meanwhile. */
static char *
capture_end (Capture *c)
{
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  fflush (stderr);
  g_assert_cmpint (dup2 (c->saved_fd, STDERR_FILENO), ==, STDERR_FILENO);
  close (c->saved_fd);
  close (c->file_fd);
  g_file_get_contents (c->path, &contents, NULL, &error);
  g_assert_no_error (error);
  g_unlink (c->path);
  g_free (c->path);
  return contents;
}

static guint
count_lines (const char *text)
{
  guint n = 0;

  for (const char *p = text; *p; p++)
    n += *p == '\n';
  return n;
}

/* ---- Tests -------------------------------------------------------------------------------- */

static void
test_format (void)
{
  Capture c;
  g_autofree char *out = NULL;
  g_autofree char *pattern = NULL;
  g_autoptr(GRegex) regex = NULL;
  g_autoptr(GMatchInfo) match = NULL;
  g_autofree char *stamp = NULL;
  g_autoptr(GDateTime) when = NULL;
  g_autoptr(GDateTime) now = NULL;

  weft_log_init ("test-log", 0);
  capture_begin (&c);
  g_log (DOMAIN, G_LOG_LEVEL_MESSAGE, "hello %d", 42);
  out = capture_end (&c);

  pattern = g_strdup_printf ("^(\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z) MSG test-log\\[%ld\\] "
                             DOMAIN ": hello 42\\n$",
                             (long) getpid ());
  regex = g_regex_new (pattern, 0, 0, NULL);
  if (!g_regex_match (regex, out, 0, &match))
    g_error ("line \"%s\" does not match %s", out, pattern);

  /* The stamp is UTC, with milliseconds, and now. */
  stamp = g_match_info_fetch (match, 1);
  when = g_date_time_new_from_iso8601 (stamp, NULL);
  g_assert_nonnull (when);
  now = g_date_time_new_now_utc ();
  g_assert_cmpint (ABS (g_date_time_difference (now, when)), <, 10 * G_USEC_PER_SEC);
}

static void
test_level_tags (void)
{
  static const struct
  {
    GLogLevelFlags level;
    const char *tag;
  } cases[] = {
    { G_LOG_LEVEL_CRITICAL, " CRIT " }, { G_LOG_LEVEL_WARNING, " WARN " }, { G_LOG_LEVEL_MESSAGE, " MSG " },
    { G_LOG_LEVEL_INFO, " INFO " },     { G_LOG_LEVEL_DEBUG, " DEBUG " },
  };

  weft_log_init ("test-log", 2);
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      Capture c;
      g_autofree char *out = NULL;
      g_autofree char *tail = g_strdup_printf (" " DOMAIN ": level %u\n", (guint) cases[i].level);

      capture_begin (&c);
      g_log (DOMAIN, cases[i].level, "level %u", (guint) cases[i].level);
      out = capture_end (&c);
      g_assert_nonnull (strstr (out, cases[i].tag));
      g_assert_true (g_str_has_suffix (out, tail));
      g_assert_cmpuint (count_lines (out), ==, 1);
    }
}

/* Logs one record at each level and returns what was written. */
static char *
log_every_level (void)
{
  Capture c;

  capture_begin (&c);
  g_log (DOMAIN, G_LOG_LEVEL_CRITICAL, "a critical");
  g_log (DOMAIN, G_LOG_LEVEL_WARNING, "a warning");
  g_log (DOMAIN, G_LOG_LEVEL_MESSAGE, "a message");
  g_log (DOMAIN, G_LOG_LEVEL_INFO, "an info");
  g_log (DOMAIN, G_LOG_LEVEL_DEBUG, "a debug");
  return capture_end (&c);
}

static void
test_filter_verbosity (void)
{
  static const struct
  {
    int verbosity;
    guint lines;
    const char *last_kept;
    const char *first_dropped;
  } cases[] = {
    { 0, 3, "a message", "an info" },
    { 1, 4, "an info", "a debug" },
    { 2, 5, "a debug", NULL },
    { 7, 5, "a debug", NULL },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *out = NULL;

      weft_log_init ("test-log", cases[i].verbosity);
      out = log_every_level ();
      g_assert_cmpuint (count_lines (out), ==, cases[i].lines);
      g_assert_nonnull (strstr (out, "a critical"));
      g_assert_nonnull (strstr (out, cases[i].last_kept));
      if (cases[i].first_dropped)
        g_assert_null (strstr (out, cases[i].first_dropped));
    }
}

static void
test_filter_set_level (void)
{
  g_autofree char *warnings = NULL;
  g_autofree char *errors = NULL;
  g_autofree char *debug = NULL;

  weft_log_init ("test-log", 0);
  weft_log_set_level (G_LOG_LEVEL_WARNING);
  g_assert_cmpint (weft_log_get_level (), ==, G_LOG_LEVEL_WARNING);
  warnings = log_every_level ();
  g_assert_cmpuint (count_lines (warnings), ==, 2);
  g_assert_nonnull (strstr (warnings, "a warning"));
  g_assert_null (strstr (warnings, "a message"));

  /* Criticals are always written: they report bugs. */
  weft_log_set_level (G_LOG_LEVEL_ERROR);
  errors = log_every_level ();
  g_assert_cmpuint (count_lines (errors), ==, 1);
  g_assert_nonnull (strstr (errors, " CRIT "));

  weft_log_set_level (G_LOG_LEVEL_DEBUG);
  debug = log_every_level ();
  g_assert_cmpuint (count_lines (debug), ==, 5);
}

static int evaluations;

static int
costly (void)
{
  return ++evaluations;
}

static void
test_enabled (void)
{
  Capture c;
  g_autofree char *out = NULL;

  weft_log_init ("test-log", 0);
  g_assert_true (weft_log_enabled (G_LOG_LEVEL_ERROR));
  g_assert_true (weft_log_enabled (G_LOG_LEVEL_CRITICAL));
  g_assert_true (weft_log_enabled (G_LOG_LEVEL_WARNING));
  g_assert_true (weft_log_enabled (G_LOG_LEVEL_MESSAGE));
  g_assert_false (weft_log_enabled (G_LOG_LEVEL_INFO));
  g_assert_false (weft_log_enabled (G_LOG_LEVEL_DEBUG));
  g_assert_true (weft_log_enabled (G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_WARNING)); /* the most severe bit counts */

  /* weft_debug()/weft_info() do not even evaluate their arguments when dropped. */
  evaluations = 0;
  capture_begin (&c);
  weft_debug ("value %d", costly ());
  weft_info ("value %d", costly ());
  out = capture_end (&c);
  g_assert_cmpint (evaluations, ==, 0);
  g_assert_cmpstr (out, ==, "");

  weft_log_set_level (G_LOG_LEVEL_DEBUG);
  g_assert_true (weft_log_enabled (G_LOG_LEVEL_DEBUG));
  capture_begin (&c);
  weft_debug ("value %d", costly ());
  g_free (out);
  out = capture_end (&c);
  g_assert_cmpint (evaluations, ==, 1);
  g_assert_nonnull (strstr (out, " DEBUG test-log["));
  g_assert_true (g_str_has_suffix (out, ": value 1\n"));
}

static void
test_level_names (void)
{
  static const struct
  {
    const char *name;
    GLogLevelFlags level;
  } cases[] = {
    { "error", G_LOG_LEVEL_ERROR }, { "warning", G_LOG_LEVEL_WARNING }, { "message", G_LOG_LEVEL_MESSAGE },
    { "info", G_LOG_LEVEL_INFO },   { "debug", G_LOG_LEVEL_DEBUG },     { "DEBUG", G_LOG_LEVEL_DEBUG },
  };
  GLogLevelFlags level = 0;

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_assert_true (weft_log_level_from_name (cases[i].name, &level));
      g_assert_cmpint (level, ==, cases[i].level);
    }
  level = G_LOG_LEVEL_MASK;
  g_assert_false (weft_log_level_from_name ("verbose", &level));
  g_assert_false (weft_log_level_from_name ("", &level));
  g_assert_cmpint (level, ==, G_LOG_LEVEL_MASK);
}

/* One record is one line, whatever the message holds. */
static void
test_one_line (void)
{
  Capture c;
  g_autofree char *out = NULL;

  weft_log_init ("test-log", 0);
  capture_begin (&c);
  g_log (DOMAIN, G_LOG_LEVEL_MESSAGE, "first\nsecond\r\nthird\x01 tab\there \xc3\xa9");
  out = capture_end (&c);
  g_assert_cmpuint (count_lines (out), ==, 1);
  g_assert_true (g_str_has_suffix (out, ": first\\nsecond\\r\\nthird\\x01 tab\there \xc3\xa9\n"));
}

static void
test_no_domain_and_structured (void)
{
  Capture c;
  g_autofree char *out = NULL;
  g_auto (GStrv) lines = NULL;

  weft_log_init (NULL, 0); /* falls back to the program name */
  capture_begin (&c);
  g_log (NULL, G_LOG_LEVEL_MESSAGE, "no domain");
  g_log_structured (DOMAIN, G_LOG_LEVEL_WARNING, "MESSAGE", "structured %s", "record");
  {
    /* A MESSAGE field with an explicit length, not NUL-terminated at it. */
    const GLogField fields[] = {
      { "GLIB_DOMAIN", DOMAIN, -1 },
      { "MESSAGE", "sized message, and not this", 13 },
    };
    g_log_structured_array (G_LOG_LEVEL_MESSAGE, fields, G_N_ELEMENTS (fields));
  }
  out = capture_end (&c);
  lines = g_strsplit (out, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 4);
  g_assert_true (g_str_has_suffix (lines[0], "] -: no domain"));
  g_assert_nonnull (strstr (lines[0], g_get_prgname ()));
  g_assert_true (g_str_has_suffix (lines[1], " " DOMAIN ": structured record"));
  g_assert_nonnull (strstr (lines[1], " WARN "));
  g_assert_true (g_str_has_suffix (lines[2], " " DOMAIN ": sized message"));
}

/* G_MESSAGES_DEBUG turns on info and debug for the domains it names, as GLib's own writer does. */
static void
test_messages_debug (void)
{
  g_autofree char *out = NULL;
  Capture c;

  g_setenv ("G_MESSAGES_DEBUG", "other-domain " DOMAIN, TRUE);
  weft_log_init ("test-log", 0);
  g_unsetenv ("G_MESSAGES_DEBUG");
  g_assert_true (weft_log_enabled (G_LOG_LEVEL_DEBUG));

  capture_begin (&c);
  g_log (DOMAIN, G_LOG_LEVEL_DEBUG, "wanted debug");
  g_log ("quiet-domain", G_LOG_LEVEL_DEBUG, "unwanted debug");
  g_log ("quiet-domain", G_LOG_LEVEL_MESSAGE, "a message");
  out = capture_end (&c);
  g_assert_cmpuint (count_lines (out), ==, 2);
  g_assert_nonnull (strstr (out, DOMAIN ": wanted debug"));
  g_assert_null (strstr (out, "unwanted"));

  /* Re-initialising without it turns it off again. */
  weft_log_init ("test-log", 0);
  g_assert_false (weft_log_enabled (G_LOG_LEVEL_DEBUG));
}

/* Fatal levels write their line, then abort as GLib does. */
static void
test_fatal (void)
{
  if (g_test_subprocess ())
    {
      weft_log_init ("test-log-child", 0);
      g_log (DOMAIN, G_LOG_LEVEL_ERROR, "boom %d", 7);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*Z ERROR test-log-child[*] " DOMAIN ": boom 7\n*");
}

/* The same with a fatal mask: a critical made fatal is written once and aborts. */
static void
test_fatal_critical (void)
{
  if (g_test_subprocess ())
    {
      weft_log_init ("test-log-child", 0);
      g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL);
      g_log (DOMAIN, G_LOG_LEVEL_CRITICAL, "bad state");
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*Z CRIT test-log-child[*] " DOMAIN ": bad state\n*");
}

/* In a fresh process (no earlier weft_log_init), messages pass and debug is dropped by default. */
static void
test_fresh_process (void)
{
  if (g_test_subprocess ())
    {
      weft_log_init ("fresh", 0);
      g_log (DOMAIN, G_LOG_LEVEL_DEBUG, "dropped");
      g_log (DOMAIN, G_LOG_LEVEL_MESSAGE, "kept");
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("*Z MSG fresh[*] " DOMAIN ": kept\n");
  g_test_trap_assert_stderr_unmatched ("*dropped*");
}

#define N_THREADS 8
#define N_RECORDS 200

static gpointer
log_from_thread (gpointer data)
{
  for (int i = 0; i < N_RECORDS; i++)
    g_log (DOMAIN, G_LOG_LEVEL_MESSAGE, "thread %d record %d %s", GPOINTER_TO_INT (data), i,
           "padding padding padding padding padding padding padding padding");
  return NULL;
}

/* Records from many threads come out whole, one per line. */
static void
test_threads (void)
{
  GThread *threads[N_THREADS];
  g_autofree char *out = NULL;
  g_auto (GStrv) lines = NULL;
  g_autoptr(GRegex) regex = g_regex_new ("^\\S+Z MSG test-log\\[\\d+\\] " DOMAIN ": thread \\d record \\d+ padding", 0,
                                         0, NULL);
  Capture c;

  weft_log_init ("test-log", 0);
  capture_begin (&c);
  for (int t = 0; t < N_THREADS; t++)
    threads[t] = g_thread_new ("logger", log_from_thread, GINT_TO_POINTER (t));
  for (int t = 0; t < N_THREADS; t++)
    g_thread_join (threads[t]);
  out = capture_end (&c);

  lines = g_strsplit (out, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, N_THREADS * N_RECORDS + 1);
  for (guint i = 0; i < N_THREADS * N_RECORDS; i++)
    if (!g_regex_match (regex, lines[i], 0, NULL))
      g_error ("garbled line %u: %s", i, lines[i]);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* These tests log warnings and criticals on purpose: keep them from aborting. */
  g_log_set_always_fatal (G_LOG_FATAL_MASK);
  g_unsetenv ("G_MESSAGES_DEBUG");

  g_test_add_func ("/common/log/format", test_format);
  g_test_add_func ("/common/log/level-tags", test_level_tags);
  g_test_add_func ("/common/log/filter/verbosity", test_filter_verbosity);
  g_test_add_func ("/common/log/filter/set-level", test_filter_set_level);
  g_test_add_func ("/common/log/enabled", test_enabled);
  g_test_add_func ("/common/log/level-names", test_level_names);
  g_test_add_func ("/common/log/one-line", test_one_line);
  g_test_add_func ("/common/log/no-domain-and-structured", test_no_domain_and_structured);
  g_test_add_func ("/common/log/messages-debug", test_messages_debug);
  g_test_add_func ("/common/log/fatal/error", test_fatal);
  g_test_add_func ("/common/log/fatal/critical", test_fatal_critical);
  g_test_add_func ("/common/log/fresh-process", test_fresh_process);
  g_test_add_func ("/common/log/threads", test_threads);
  return g_test_run ();
}
