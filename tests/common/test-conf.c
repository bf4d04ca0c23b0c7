/* Tests of common/weft-conf: size and duration syntax, the layered loader, every error message,
 * instance groups, argument parsing and the generated site configuration. */

#include "weft-conf.h"

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

/* Saved before main() clears WEFT_* from the environment. */
static char *top_srcdir;

/* ---- Helpers ------------------------------------------------------------------------------ */

typedef struct
{
  char *dir; /* an empty temporary folder, removed afterwards */
} Fixture;

static void
remove_tree (const char *path)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    {
      g_autoptr(GDir) d = g_dir_open (path, 0, NULL);
      const char *name;

      while (d && (name = g_dir_read_name (d)))
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          remove_tree (child);
        }
      g_rmdir (path);
    }
  else
    g_unlink (path);
}

static void
fixture_set_up (Fixture *f, G_GNUC_UNUSED gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("weft-test-conf-XXXXXX", &error);

  (void) data;
  g_assert_no_error (error);
  f->dir = g_canonicalize_filename (dir, NULL);
}

static void
fixture_tear_down (Fixture *f, G_GNUC_UNUSED gconstpointer data)
{
  (void) data;
  remove_tree (f->dir);
  g_free (f->dir);
}

/* Writes @contents to @name under the fixture's folder. Returns: (transfer full): the path. */
static char *
write_file (Fixture *f, const char *name, const char *contents)
{
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (f->dir, name, NULL);

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
  return path;
}

/* Fails the test unless @error has @code and its message contains each of the NULL-terminated
 * strings that follow. */
static void
assert_error_names (const GError *error, WeftConfError code, ...)
{
  va_list ap;
  const char *needle;

  g_assert_error (error, WEFT_CONF_ERROR, (gint) code);
  va_start (ap, code);
  while ((needle = va_arg (ap, const char *)))
    if (!strstr (error->message, needle))
      {
        g_test_message ("error message: %s", error->message);
        g_test_message ("should contain: %s", needle);
        g_test_fail ();
      }
  va_end (ap);
}

/* Loads @text as one file "test.conf" and expects failure. Returns: (transfer full): the error. */
static GError *
load_text_expecting_error (Fixture *f, const char *text, char **path_out)
{
  g_autoptr(WeftConf) conf = weft_conf_new ();
  g_autofree char *path = write_file (f, "test.conf", text);
  GError *error = NULL;

  g_assert_false (weft_conf_load_file (conf, path, &error));
  g_assert_nonnull (error);
  if (path_out)
    *path_out = g_steal_pointer (&path);
  return error;
}

/* Lines of weft_conf_dump(): the number of global keys, plus the keys of each instance. */
static guint
count_dump_lines (WeftConf *conf)
{
  g_autofree char *dump = weft_conf_dump (conf);
  guint n = 0;

  for (const char *p = dump; *p; p++)
    n += *p == '\n';
  return n;
}

/* How many keys the table has: global ones, and ones per queue. */
static void
count_keys (guint *n_global, guint *n_queue)
{
  g_autoptr(WeftConf) conf = weft_conf_new ();

  *n_global = count_dump_lines (conf);
  g_assert_true (weft_conf_set (conf, "queue.q.capacity=1", NULL));
  *n_queue = count_dump_lines (conf) - *n_global;
  g_assert_cmpuint (*n_global, >=, 35);
  g_assert_cmpuint (*n_queue, >=, 8);
}

/* ---- Sizes -------------------------------------------------------------------------------- */

static void
test_size_parse (void)
{
  static const struct
  {
    const char *text;
    gint64 bytes;
  } cases[] = {
    { "0", 0 },
    { "100", 100 },
    { "100b", 100 },
    { "100B", 100 },
    { "64k", 64 * 1024 },
    { "64K", 64 * 1024 },
    { "64kb", 64 * 1024 },
    { "64KiB", 64 * 1024 },
    { "512m", G_GINT64_CONSTANT (512) << 20 },
    { "4g", G_GINT64_CONSTANT (4) << 30 },
    { "4GB", G_GINT64_CONSTANT (4) << 30 },
    { "2t", G_GINT64_CONSTANT (2) << 40 },
    { "1.5g", G_GINT64_CONSTANT (1610612736) },
    { "0.5k", 512 },
    { "1.3k", 1331 },                           /* 1331.2 rounds down */
    { "0.3t", G_GINT64_CONSTANT (329853488332) }, /* 329853488332.8, exactly, no double rounding */
    { "  8m  ", G_GINT64_CONSTANT (8) << 20 },
    { "8 m", G_GINT64_CONSTANT (8) << 20 },
    { "0g", 0 },
    { "007k", 7 * 1024 },
    { "9223372036854775807", G_MAXINT64 },
    { "8388607t", (G_GINT64_CONSTANT (8388607)) << 40 }, /* the largest whole number of t */
    { "9007199254740991.9999k", G_MAXINT64 },             /* (2^53 - 1) * 1024 + 1023 */
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      gint64 bytes = -1;

      g_test_message ("parsing \"%s\"", cases[i].text);
      g_assert_true (weft_parse_size (cases[i].text, &bytes, &error));
      g_assert_no_error (error);
      g_assert_cmpint (bytes, ==, cases[i].bytes);
    }
}

static void
test_size_errors (void)
{
  static const struct
  {
    const char *text;
    const char *message;
  } cases[] = {
    { "", "\"\" is not a size: expected a number of bytes with an optional unit (k, m, g, t), e.g. 512m" },
    { "   ", "\"   \" is not a size: expected a number of bytes" },
    { "abc", "\"abc\" is not a size: expected a number of bytes" },
    { "+5", "\"+5\" is not a size: expected" },
    { ".5k", "\".5k\" is not a size: expected" },
    { "1.", "\"1.\" is not a size: expected" },
    { "-1", "\"-1\" is not a size: sizes cannot be negative" },
    { " -5m", "\" -5m\" is not a size: sizes cannot be negative" },
    { "5q", "\"5q\" is not a size: unknown unit \"q\" (use k, m, g or t, powers of 1024)" },
    { "1e3", "unknown unit \"e3\"" },
    { "5 12m", "unknown unit \"12m\"" },
    { "4gig", "unknown unit \"gig\"" },
    { "1.5", "\"1.5\" is not a size: a number of bytes must be whole" },
    { "1.5b", "a number of bytes must be whole" },
    { "8388608t", "\"8388608t\" is too large for a size (at most 9223372036854775807 bytes)" },
    { "9223372036854775808", "is too large for a size" },
    { "99999999999999999999999", "is too large for a size" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      gint64 bytes = 42;

      g_test_message ("parsing \"%s\"", cases[i].text);
      g_assert_false (weft_parse_size (cases[i].text, &bytes, &error));
      assert_error_names (error, WEFT_CONF_ERROR_BAD_VALUE, cases[i].message, NULL);
      g_assert_cmpint (bytes, ==, 42); /* untouched */
    }
}

static void
test_size_format (void)
{
  static const struct
  {
    gint64 bytes;
    const char *text;
  } cases[] = {
    { 0, "0" },
    { 1, "1b" },
    { 100, "100b" },
    { 1024, "1k" },
    { 1025, "1025b" },
    { G_GINT64_CONSTANT (8) << 20, "8m" },
    { G_GINT64_CONSTANT (1610612736), "1536m" },
    { G_GINT64_CONSTANT (1) << 30, "1g" },
    { G_GINT64_CONSTANT (3) << 40, "3t" },
    { G_GINT64_CONSTANT (4096) << 40, "4096t" },
    { G_MAXINT64, "9223372036854775807b" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = weft_format_size (cases[i].bytes);
      gint64 back = -1;

      g_assert_cmpstr (text, ==, cases[i].text);
      g_assert_true (weft_parse_size (text, &back, NULL));
      g_assert_cmpint (back, ==, cases[i].bytes);
    }
}

/* ---- Durations ---------------------------------------------------------------------------- */

#define SEC G_GINT64_CONSTANT (1000000)

static void
test_duration_parse (void)
{
  static const struct
  {
    const char *text;
    gint64 usec;
  } cases[] = {
    { "500us", 500 },
    { "250ms", 250000 },
    { "30s", 30 * SEC },
    { "10m", 600 * SEC },
    { "2h", 7200 * SEC },
    { "1d", 86400 * SEC },
    { "1.5s", 1500000 },
    { "0.5ms", 500 },
    { "0.3d", 25920 * SEC },  /* exact, where doubles would give 25919999999 */
    { " 30S ", 30 * SEC },
    { "30 s", 30 * SEC },
    { "1H", 3600 * SEC },
    { "0", 0 },               /* zero needs no unit: it is the same in all of them */
    { "0.000", 0 },
    { "0ms", 0 },
    { "106751991d", G_GINT64_CONSTANT (106751991) * 86400 * SEC },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      gint64 usec = -1;

      g_test_message ("parsing \"%s\"", cases[i].text);
      g_assert_true (weft_parse_duration (cases[i].text, &usec, &error));
      g_assert_no_error (error);
      g_assert_cmpint (usec, ==, cases[i].usec);
    }
}

static void
test_duration_errors (void)
{
  static const struct
  {
    const char *text;
    const char *message;
  } cases[] = {
    { "30", "\"30\" is not a duration: add a unit (ms, s, m, h), e.g. 30s" },
    { " 2.5 ", "\" 2.5 \" is not a duration: add a unit (ms, s, m, h), e.g. 2.5s" },
    { "-5s", "\"-5s\" is not a duration: durations cannot be negative" },
    { "30x", "\"30x\" is not a duration: unknown unit \"x\" (use us, ms, s, m, h or d)" },
    { "30 sec", "unknown unit \"sec\"" },
    { "1.5us", "\"1.5us\" is not a duration: the smallest step is 1us" },
    { "", "\"\" is not a duration: expected a number and a unit (us, ms, s, m, h, d), e.g. 30s" },
    { "fast", "\"fast\" is not a duration: expected a number and a unit" },
    { "106751992d", "\"106751992d\" is too large for a duration" },
    { "106751991.5d", "\"106751991.5d\" is too large for a duration" }, /* the fraction overflows */
    { "99999999999999999999s", "is too large for a duration" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      gint64 usec = 42;

      g_test_message ("parsing \"%s\"", cases[i].text);
      g_assert_false (weft_parse_duration (cases[i].text, &usec, &error));
      assert_error_names (error, WEFT_CONF_ERROR_BAD_VALUE, cases[i].message, NULL);
      g_assert_cmpint (usec, ==, 42);
    }
}

static void
test_duration_format (void)
{
  static const struct
  {
    gint64 usec;
    const char *text;
  } cases[] = {
    { 0, "0" },          { 1, "1us" },          { 500, "500us" },     { 1000, "1ms" },
    { 1500000, "1500ms" }, { 30 * SEC, "30s" }, { 60 * SEC, "1m" },  { 90 * SEC, "90s" },
    { 3600 * SEC, "1h" }, { 86400 * SEC, "1d" }, { 1001, "1001us" }, { G_MAXINT64, "9223372036854775807us" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = weft_format_duration (cases[i].usec);
      gint64 back = -1;

      g_assert_cmpstr (text, ==, cases[i].text);
      g_assert_true (weft_parse_duration (text, &back, NULL));
      g_assert_cmpint (back, ==, cases[i].usec);
    }
}

/* ---- Defaults and layering ---------------------------------------------------------------- */

static void
test_defaults (void)
{
  g_autoptr(WeftConf) conf = weft_conf_new ();

  g_assert_cmpstr (weft_conf_get_string (conf, "log.level"), ==, "message");
  g_assert_cmpint (weft_conf_get_size (conf, "rpc.max-message-size"), ==, 8 << 20);
  g_assert_cmpint (weft_conf_get_int (conf, "rpc.max-depth"), ==, 64);
  g_assert_cmpint (weft_conf_get_duration (conf, "rpc.connect-timeout"), ==, 5 * SEC);
  g_assert_cmpint (weft_conf_get_duration (conf, "rpc.call-timeout"), ==, 30 * SEC);
  g_assert_cmpint (weft_conf_get_duration (conf, "rpc.retry-backoff"), ==, 100000);
  g_assert_cmpstr (weft_conf_get_string (conf, "rpc.bind-address"), ==, "0.0.0.0");
  g_assert_true (weft_conf_get_bool (conf, "security.enabled"));
  g_assert_cmpstr (weft_conf_get_string (conf, "security.secret-file"), ==, "");
  g_assert_cmpint (weft_conf_get_int (conf, "rm.client-port"), ==, 8032);
  g_assert_cmpint (weft_conf_get_int (conf, "rm.scheduler-port"), ==, 8030);
  g_assert_cmpint (weft_conf_get_int (conf, "rm.tracker-port"), ==, 8031);
  g_assert_cmpint (weft_conf_get_int (conf, "rm.admin-port"), ==, 8033);
  g_assert_cmpint (weft_conf_get_int (conf, "rm.web-port"), ==, 8088);
  g_assert_cmpstr (weft_conf_get_string (conf, "rm.scheduler"), ==, "capacity");
  g_assert_cmpint (weft_conf_get_duration (conf, "rm.am-expiry"), ==, 600 * SEC);
  g_assert_cmpint (weft_conf_get_int (conf, "nm.web-port"), ==, 8042);
  g_assert_cmpint (weft_conf_get_size (conf, "nm.memory"), ==, 0);
  g_assert_cmpint (weft_conf_get_size (conf, "nm.memory-reserve"), ==, 1 << 30);
  g_assert_cmpstr (weft_conf_get_string (conf, "nm.cgroups"), ==, "auto");
  g_assert_cmpstr (weft_conf_origin (conf, "rpc.call-timeout"), ==, "default");
  g_assert_null (weft_conf_dir (conf));

  g_auto (GStrv) queues = weft_conf_list_instances (conf, "queue");
  g_assert_cmpuint (g_strv_length (queues), ==, 0);
}

static void
test_layering (Fixture *f, G_GNUC_UNUSED gconstpointer data)
{
  g_autoptr(WeftConf) conf = weft_conf_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *path = write_file (f, "site.conf", "[rpc]\ncall-timeout = 10s\nretries = 5\n");
  char *envp[] = { "WEFT_RPC_CALL_TIMEOUT=20s", "WEFT_RPC_MAX_DEPTH=100", NULL };

  g_assert_cmpint (weft_conf_get_duration (conf, "rpc.call-timeout"), ==, 30 * SEC);

  g_assert_true (weft_conf_load_dir (conf, f->dir, &error));
  g_assert_no_error (error);
  g_assert_cmpint (weft_conf_get_duration (conf, "rpc.call-timeout"), ==, 10 * SEC);
  g_assert_cmpstr (weft_conf_origin (conf, "rpc.call-timeout"), ==, path);
  g_assert_cmpstr (weft_conf_dir (conf), ==, f->dir);

  g_assert_true (weft_conf_load_env (conf, envp, &error));
  g_assert_no_error (error);
  g_assert_cmpint (weft_conf_get_duration (conf, "rpc.call-timeout"), ==, 20 * SEC);
  g_assert_cmpstr (weft_conf_origin (conf, "rpc.call-timeout"), ==, "env WEFT_RPC_CALL_TIMEOUT");

  g_assert_true (weft_conf_set (conf, "rpc.call-timeout=40s", &error));
  g_assert_no_error (error);
  g_assert_cmpint (weft_conf_get_duration (conf, "rpc.call-timeout"), ==, 40 * SEC);
  g_assert_cmpstr (weft_conf_origin (conf, "rpc.call-timeout"), ==, "--conf");

  /* Keys set only in lower layers keep their values and origins. */
  g_assert_cmpint (weft_conf_get_int (conf, "rpc.retries"), ==, 5);
  g_assert_cmpstr (weft_conf_origin (conf, "rpc.retries"), ==, path);
  g_assert_cmpint (weft_conf_get_int (conf, "rpc.max-depth"), ==, 100);
  g_assert_cmpstr (weft_conf_origin (conf, "rpc.max-depth"), ==, "env WEFT_RPC_MAX_DEPTH");
  g_assert_cmpint (weft_conf_get_int (conf, "rpc.max-connections"), ==, 256);
  g_assert_cmpstr (weft_conf_origin (conf, "rpc.max-connections"), ==, "default");
}

/* weft_conf_load() applies the layers in order whatever the order of the calls would be. */
static void
test_load_all_layers (Fixture *f, G_GNUC_UNUSED gconstpointer data)
{
  g_autoptr(WeftConf) conf = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = write_file (f, "site.conf",
                                      "[rpc]\ncall-timeout = 10s\nretries = 5\nmax-depth = 10\n"
                                      "[queue.root]\ncapacity = 100\n");
  char *overrides[] = { "rpc.call-timeout=40s", " rpc.max-depth = 12 ", NULL };

  g_setenv ("WEFT_RPC_CALL_TIMEOUT", "20s", TRUE);
  g_setenv ("WEFT_RPC_RETRIES", "6", TRUE);
  g_setenv ("WEFT_RPC_MAX_DEPTH", "11", TRUE);
  conf = weft_conf_load (f->dir, overrides, &error);
  g_unsetenv ("WEFT_RPC_CALL_TIMEOUT");
  g_unsetenv ("WEFT_RPC_RETRIES");
  g_unsetenv ("WEFT_RPC_MAX_DEPTH");
  g_assert_no_error (error);
  g_assert_nonnull (conf);

  g_assert_cmpint (weft_conf_get_duration (conf, "rpc.call-timeout"), ==, 40 * SEC);
  g_assert_cmpstr (weft_conf_origin (conf, "rpc.call-timeout"), ==, "--conf");
  g_assert_cmpint (weft_conf_get_int (conf, "rpc.retries"), ==, 6);
  g_assert_cmpstr (weft_conf_origin (conf, "rpc.retries"), ==, "env WEFT_RPC_RETRIES");
  g_assert_cmpint (weft_conf_get_int (conf, "rpc.max-depth"), ==, 12);
  g_assert_cmpfloat (weft_conf_get_instance_double (conf, "queue", "root", "capacity"), ==, 100);
  g_assert_cmpstr (weft_conf_origin (conf, "queue.root.capacity"), ==, path);
  g_assert_cmpstr (weft_conf_dir (conf), ==, f->dir);
}

static void
test_lexical_order (Fixture *f, G_GNUC_UNUSED gconstpointer data)
{
  g_autoptr(WeftConf) conf = weft_conf_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *first = write_file (f, "10-a.conf", "[rpc]\nretries = 1\nmax-depth = 5\n");
  g_autofree char *second = write_file (f, "2-b.conf", "[rpc]\nretries = 2\nmax-connections = 7\n");
  g_autofree char *third = write_file (f, "20-c.conf", "[rpc]\nretries = 3\n");
  g_autofree char *subdir = g_build_filename (f->dir, "zz.conf", NULL);

  /* Not read (they would fail to load): other suffixes, hidden files, folders. */
  g_free (write_file (f, "99.conf.bak", "garbage\n"));
  g_free (write_file (f, ".#10-a.conf", "garbage\n"));
  g_free (write_file (f, "README", "garbage\n"));
  g_assert_cmpint (g_mkdir (subdir, 0700), ==, 0);
  g_assert_true (weft_conf_load_dir (conf, f->dir, &error));
  g_assert_no_error (error);

  /* Byte order: "10-a" < "2-b" < "20-c". */
  g_assert_cmpint (weft_conf_get_int (conf, "rpc.retries"), ==, 3);
  g_assert_cmpstr (weft_conf_origin (conf, "rpc.retries"), ==, third);
  g_assert_cmpint (weft_conf_get_int (conf, "rpc.max-depth"), ==, 5);
  g_assert_cmpstr (weft_conf_origin (conf, "rpc.max-depth"), ==, first);
  g_assert_cmpint (weft_conf_get_int (conf, "rpc.max-connections"), ==, 7);
  g_assert_cmpstr (weft_conf_origin (conf, "rpc.max-connections"), ==, second);
}

static void
test_load_dir_missing (Fixture *f, G_GNUC_UNUSED gconstpointer data)
{
  g_autoptr(WeftConf) conf = weft_conf_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *missing = g_build_filename (f->dir, "nope", NULL);
  g_autofree char *file = write_file (f, "plain", "");
  g_autofree char *expected = g_strdup_printf ("config folder %s does not exist", missing);
  g_autofree char *expected_file = g_strdup_printf ("config folder %s is not a folder", file);
  WeftConf *loaded;

  g_assert_false (weft_conf_load_dir (conf, missing, &error));
  g_assert_error (error, WEFT_CONF_ERROR, WEFT_CONF_ERROR_IO);
  g_assert_cmpstr (error->message, ==, expected);
  g_clear_error (&error);

  g_assert_false (weft_conf_load_dir (conf, file, &error));
  g_assert_error (error, WEFT_CONF_ERROR, WEFT_CONF_ERROR_IO);
  g_assert_cmpstr (error->message, ==, expected_file);
  g_clear_error (&error);

  /* Explicitly given to weft_conf_load(), a missing folder is an error too. */
  loaded = weft_conf_load (missing, NULL, &error);
  g_assert_null (loaded);
  g_assert_error (error, WEFT_CONF_ERROR, WEFT_CONF_ERROR_IO);
  g_assert_cmpstr (error->message, ==, expected);
  g_clear_error (&error);

  /* So is one named by WEFT_CONF_DIR. */
  g_setenv ("WEFT_CONF_DIR", missing, TRUE);
  loaded = weft_conf_load (NULL, NULL, &error);
  g_unsetenv ("WEFT_CONF_DIR");
  g_assert_null (loaded);
  assert_error_names (error, WEFT_CONF_ERROR_IO, "WEFT_CONF_DIR: ", expected, NULL);
}

/* Without a folder argument or WEFT_CONF_DIR, "conf" under the current folder is used if it is
 * there, and its absence is fine. */
static void
test_load_implicit_dir (Fixture *f, G_GNUC_UNUSED gconstpointer data)
{
  g_autofree char *old_cwd = g_get_current_dir ();
  g_autofree char *conf_dir = g_build_filename (f->dir, "conf", NULL);
  g_autofree char *env_dir = g_build_filename (f->dir, "elsewhere", NULL);
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  WeftConf *conf;

  g_assert_cmpint (g_chdir (f->dir), ==, 0);

  conf = weft_conf_load (NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (weft_conf_dir (conf), ==, conf_dir);
  g_assert_cmpint (weft_conf_get_int (conf, "rpc.retries"), ==, 3);
  weft_conf_free (conf);

  g_assert_cmpint (g_mkdir (conf_dir, 0700), ==, 0);
  path = write_file (f, "conf/site.conf", "[rpc]\nretries = 9\n");
  conf = weft_conf_load (NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (weft_conf_get_int (conf, "rpc.retries"), ==, 9);
  g_assert_cmpstr (weft_conf_origin (conf, "rpc.retries"), ==, path);
  weft_conf_free (conf);

  /* WEFT_CONF_DIR wins over ./conf. */
  g_assert_cmpint (g_mkdir (env_dir, 0700), ==, 0);
  g_free (path);
  path = write_file (f, "elsewhere/x.conf", "[rpc]\nretries = 8\n");
  g_setenv ("WEFT_CONF_DIR", env_dir, TRUE);
  conf = weft_conf_load (NULL, NULL, &error);
  g_unsetenv ("WEFT_CONF_DIR");
  g_assert_no_error (error);
  g_assert_cmpint (weft_conf_get_int (conf, "rpc.retries"), ==, 8);
  g_assert_cmpstr (weft_conf_dir (conf), ==, env_dir);
  weft_conf_free (conf);

  g_assert_cmpint (g_chdir (old_cwd), ==, 0);
}

static void
test_env_only_known_keys (void)
{
  g_autoptr(WeftConf) conf = weft_conf_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *dump_before = weft_conf_dump (conf);
  g_autofree char *dump_after = NULL;
  char *envp[] = {
    "WEFT_FOO=1", "WEFT_RPC=2", "WEFT_RPC_CALL_TIMEOUTS=garbage", "WEFT_QUEUE_ROOT_CAPACITY=garbage",
    "weft_rpc_call_timeout=garbage", "RPC_CALL_TIMEOUT=garbage", NULL,
  };

  g_assert_true (weft_conf_load_env (conf, envp, &error));
  g_assert_no_error (error);
  dump_after = weft_conf_dump (conf);
  g_assert_cmpstr (dump_after, ==, dump_before);
}

/* Every global key is reachable through WEFT_<GROUP>_<KEY>, and no two keys share a name. */
static void
test_env_every_key (void)
{
  g_autoptr(WeftConf) defaults = weft_conf_new ();
  g_autoptr(WeftConf) conf = weft_conf_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *dump = weft_conf_dump (defaults);
  g_auto (GStrv) lines = g_strsplit (dump, "\n", -1);
  g_autoptr(GStrvBuilder) env = g_strv_builder_new ();
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_auto (GStrv) envp = NULL;
  guint n = 0;

  for (char **l = lines; *l && **l; l++)
    {
      g_auto (GStrv) parts = g_strsplit (*l, " = ", 2);
      g_autofree char *var = g_strconcat ("WEFT_", parts[0], NULL);
      g_autofree char *value = g_strndup (parts[1], strrchr (parts[1], '(') - parts[1] - 1);

      if (strcmp (value, "\"\"") == 0) /* how the dump shows an empty string */
        value[0] = '\0';

      for (char *p = var; *p; p++)
        *p = (*p == '-' || *p == '.') ? '_' : g_ascii_toupper (*p);
      g_assert_false (g_hash_table_contains (seen, var));
      g_hash_table_add (seen, g_strdup (var));
      { g_autofree char *entry = g_strconcat (var, "=", value, NULL); g_strv_builder_add (env, entry); }
      n++;
    }
  g_assert_cmpuint (n, >, 30);
  envp = g_strv_builder_end (env);
  g_assert_true (weft_conf_load_env (conf, envp, &error));
  g_assert_no_error (error);

  for (char **l = lines; *l && **l; l++)
    {
      g_auto (GStrv) parts = g_strsplit (*l, " = ", 2);
      const char *origin = weft_conf_origin (conf, parts[0]);

      g_assert_true (g_str_has_prefix (origin, "env WEFT_"));
    }
}

/* ---- Errors ------------------------------------------------------------------------------- */

static void
test_error_unknown_key (Fixture *f, G_GNUC_UNUSED gconstpointer data)
{
  g_autofree char *path = NULL;
  g_autoptr(GError) error = load_text_expecting_error (f, "[rpc]\ncall-timout = 5s\n", &path);
  g_autofree char *expected =
    g_strdup_printf ("%s: [rpc] call-timout: unknown key (did you mean [rpc] call-timeout?)", path);

  g_assert_error (error, WEFT_CONF_ERROR, WEFT_CONF_ERROR_UNKNOWN_KEY);
  g_assert_cmpstr (error->message, ==, expected);
}

static void
test_error_unknown_key_case (Fixture *f, G_GNUC_UNUSED gconstpointer data)
{
  g_autoptr(GError) error = load_text_expecting_error (f, "[rpc]\nCall-Timeout = 5s\n", NULL);

  assert_error_names (error, WEFT_CONF_ERROR_UNKNOWN_KEY, "[rpc] Call-Timeout: unknown key",
                      "(did you mean [rpc] call-timeout?)", NULL);
}

/* Hints go up to two edits away, no further. */
static void
test_error_unknown_key_distance (Fixture *f, G_GNUC_UNUSED gconstpointer data)
{
  g_autoptr(GError) two = load_text_expecting_error (f, "[rpc]\ncalltimout = 5s\n", NULL);
  g_autoptr(GError) three = load_text_expecting_error (f, "[rpc]\ncaltimout = 5s\n", NULL);

  assert_error_names (two, WEFT_CONF_ERROR_UNKNOWN_KEY, "[rpc] calltimout: unknown key (did you mean [rpc] call-timeout?)",
                      NULL);
  assert_error_names (three, WEFT_CONF_ERROR_UNKNOWN_KEY, "[rpc] caltimout: unknown key", NULL);
  g_assert_null (strstr (three->message, "did you mean"));
}

static void
test_error_unknown_key_no_hint (Fixture *f, G_GNUC_UNUSED gconstpointer data)
{
  g_autofree char *path = NULL;
  g_autoptr(GError) error = load_text_expecting_error (f, "[rpc]\nfrobnicate = 1\n", &path);
  g_autofree char *expected = g_strdup_printf ("%s: [rpc] frobnicate: unknown key", path);

  g_assert_error (error, WEFT_CONF_ERROR, WEFT_CONF_ERROR_UNKNOWN_KEY);
  g_assert_cmpstr (error->message, ==, expected);
}

/* A key that lives in another group is suggested there. */
static void
test_error_key_in_other_group (Fixture *f, G_GNUC_UNUSED gconstpointer data)
{
  g_autoptr(GError) error = load_text_expecting_error (f, "[rm]\nvcores = 4\n", NULL);

  assert_error_names (error, WEFT_CONF_ERROR_UNKNOWN_KEY, "[rm] vcores: unknown key", "did you mean [nm] vcores?",
                      NULL);
}

static void
test_error_unknown_group (Fixture *f, G_GNUC_UNUSED gconstpointer data)
{
  g_autofree char *path = NULL;
  g_autoptr(GError) error = load_text_expecting_error (f, "[rcp]\ncall-timeout = 5s\n", &path);
  g_autofree char *expected = g_strdup_printf (
    "%s: [rcp] call-timeout: unknown group [rcp] (did you mean [rpc] call-timeout?)", path);
  g_autofree char *empty_path = NULL;
  g_autoptr(GError) empty = load_text_expecting_error (f, "[log]\n[nmm]\n", &empty_path);
  g_autoptr(GError) far = load_text_expecting_error (f, "[frobnicator]\nx = 1\n", NULL);

  g_assert_error (error, WEFT_CONF_ERROR, WEFT_CONF_ERROR_UNKNOWN_KEY);
  g_assert_cmpstr (error->message, ==, expected);
  assert_error_names (empty, WEFT_CONF_ERROR_UNKNOWN_KEY, empty_path, "[nmm]: unknown group [nmm] (did you mean [nm]?)",
                      NULL);
  assert_error_names (far, WEFT_CONF_ERROR_UNKNOWN_KEY, "[frobnicator] x: unknown group [frobnicator]", NULL);
  g_assert_null (strstr (far->message, "did you mean"));
}

static void
test_error_bad_value (Fixture *f, G_GNUC_UNUSED gconstpointer data)
{
  static const struct
  {
    const char *text;
    const char *message; /* after "PATH: " */
  } cases[] = {
    { "[rpc]\ncall-timeout = 30\n",
      "[rpc] call-timeout: \"30\" is not a duration: add a unit (ms, s, m, h), e.g. 30s" },
    { "[rpc]\nmax-message-size = lots\n", "[rpc] max-message-size: \"lots\" is not a size: expected a number of bytes" },
    { "[rpc]\nmax-depth = 12x\n", "[rpc] max-depth: \"12x\" is not an integer" },
    { "[rpc]\nmax-depth = 99999999999999999999\n", "[rpc] max-depth: \"99999999999999999999\" is too large for an integer" },
    { "[security]\nenabled = maybe\n",
      "[security] enabled: \"maybe\" is not a boolean: use true or false (or yes/no, 1/0)" },
    { "[log]\nlevel = verbose\n",
      "[log] level: \"verbose\" is not one of error, warning, message, info, debug" },
    { "[rm]\nscheduler = fair\n", "[rm] scheduler: \"fair\" is not one of fifo, capacity" },
    { "[queue.root]\ncapacity = half\n", "[queue.root] capacity: \"half\" is not a number" },
    { "[queue.root]\ncapacity = nan\n", "[queue.root] capacity: \"nan\" is not a number" },
    { "[queue.root]\ncapacity = 0x10\n", "[queue.root] capacity: \"0x10\" is not a number" },
    { "[rpc]\nbind-address = a\\qb\n",
      "[rpc] bind-address: \"a\\qb\" has an invalid escape sequence (write \\\\ for a backslash)" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *expected = NULL;

      g_test_message ("loading: %s", cases[i].text);
      error = load_text_expecting_error (f, cases[i].text, &path);
      expected = g_strdup_printf ("%s: %s", path, cases[i].message);
      assert_error_names (error, WEFT_CONF_ERROR_BAD_VALUE, expected, NULL);
    }
}

static void
test_error_out_of_range (Fixture *f, G_GNUC_UNUSED gconstpointer data)
{
  static const struct
  {
    const char *text;
    const char *message;
  } cases[] = {
    { "[rpc]\ncall-timeout = 2h\n", "[rpc] call-timeout: \"2h\" is out of range: must be between 1ms and 1h" },
    { "[rpc]\ncall-timeout = 0\n", "[rpc] call-timeout: \"0\" is out of range: must be between 1ms and 1h" },
    { "[rpc]\nidle-timeout = 5ms\n", "[rpc] idle-timeout: \"5ms\" is out of range: must be between 10ms and 1d" },
    { "[rpc]\nmax-message-size = 2g\n",
      "[rpc] max-message-size: \"2g\" is out of range: must be between 1k and 1g" },
    { "[rpc]\nmax-message-size = 1023\n",
      "[rpc] max-message-size: \"1023\" is out of range: must be between 1k and 1g" },
    { "[rm]\nclient-port = 70000\n", "[rm] client-port: \"70000\" is out of range: must be between 0 and 65535" },
    { "[rm]\nclient-port = -1\n", "[rm] client-port: \"-1\" is out of range: must be between 0 and 65535" },
    { "[queue.root]\nmax-am-share = 1.5\n",
      "[queue.root] max-am-share: \"1.5\" is out of range: must be between 0 and 1" },
    { "[queue.root]\nuser-limit-factor = -1\n",
      "[queue.root] user-limit-factor: \"-1\" is out of range: must be at least 0" },
    { "[queue.root]\nminimum-user-limit-percent = 0\n",
      "[queue.root] minimum-user-limit-percent: \"0\" is out of range: must be between 1 and 100" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *expected = NULL;

      g_test_message ("loading: %s", cases[i].text);
      error = load_text_expecting_error (f, cases[i].text, &path);
      expected = g_strdup_printf ("%s: %s", path, cases[i].message);
      g_assert_error (error, WEFT_CONF_ERROR, WEFT_CONF_ERROR_OUT_OF_RANGE);
      g_assert_cmpstr (error->message, ==, expected);
    }
}

/* Bounds are inclusive. */
static void
test_bounds_inclusive (void)
{
  g_autoptr(WeftConf) conf = weft_conf_new ();
  g_autoptr(GError) error = NULL;
  const char *ok[] = {
    "rpc.call-timeout=1ms", "rpc.call-timeout=1h", "rpc.max-message-size=1k", "rpc.max-message-size=1g",
    "rm.client-port=0", "rm.client-port=65535", "queue.root.max-am-share=0", "queue.root.max-am-share=1",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (ok); i++)
    {
      g_assert_true (weft_conf_set (conf, ok[i], &error));
      g_assert_no_error (error);
    }
  g_assert_cmpint (weft_conf_get_size (conf, "rpc.max-message-size"), ==, 1 << 30);
  g_assert_cmpint (weft_conf_get_duration (conf, "rpc.call-timeout"), ==, 3600 * SEC);
}

static void
test_error_syntax (Fixture *f, G_GNUC_UNUSED gconstpointer data)
{
  g_autofree char *path = NULL;
  g_autoptr(GError) error = load_text_expecting_error (f, "[rpc]\nthis line is not ini\n", &path);
  g_autofree char *prefix = g_strdup_printf ("%s: ", path);
  g_autoptr(GError) no_group = load_text_expecting_error (f, "retries = 3\n", NULL);

  g_assert_error (error, WEFT_CONF_ERROR, WEFT_CONF_ERROR_PARSE);
  g_assert_true (g_str_has_prefix (error->message, prefix));
  g_assert_nonnull (strstr (error->message, "this line is not ini"));
  assert_error_names (no_group, WEFT_CONF_ERROR_PARSE, prefix, NULL);
}

static void
test_error_io (Fixture *f, G_GNUC_UNUSED gconstpointer data)
{
  g_autoptr(WeftConf) conf = weft_conf_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *missing = g_build_filename (f->dir, "missing.conf", NULL);

  g_assert_false (weft_conf_load_file (conf, missing, &error));
  assert_error_names (error, WEFT_CONF_ERROR_IO, missing, NULL);
  g_assert_true (g_str_has_prefix (error->message, missing));
}

static void
test_error_env (void)
{
  g_autoptr(WeftConf) conf = weft_conf_new ();
  g_autoptr(GError) error = NULL;
  char *bad[] = { "WEFT_RPC_CALL_TIMEOUT=fast", NULL };
  char *range[] = { "WEFT_RM_CLIENT_PORT=99999", NULL };
  char *empty[] = { "WEFT_RPC_RETRIES=", NULL };
  char *empty_string[] = { "WEFT_RPC_BIND_ADDRESS=", NULL };

  g_assert_false (weft_conf_load_env (conf, bad, &error));
  g_assert_error (error, WEFT_CONF_ERROR, WEFT_CONF_ERROR_BAD_VALUE);
  g_assert_cmpstr (error->message, ==,
                   "environment variable WEFT_RPC_CALL_TIMEOUT: \"fast\" is not a duration: expected a number "
                   "and a unit (us, ms, s, m, h, d), e.g. 30s");
  g_clear_error (&error);

  g_assert_false (weft_conf_load_env (conf, range, &error));
  g_assert_error (error, WEFT_CONF_ERROR, WEFT_CONF_ERROR_OUT_OF_RANGE);
  g_assert_cmpstr (error->message, ==,
                   "environment variable WEFT_RM_CLIENT_PORT: \"99999\" is out of range: must be between 0 and 65535");
  g_clear_error (&error);

  /* An empty variable is a value like any other. */
  g_assert_false (weft_conf_load_env (conf, empty, &error));
  assert_error_names (error, WEFT_CONF_ERROR_BAD_VALUE, "WEFT_RPC_RETRIES: \"\" is not an integer", NULL);
  g_clear_error (&error);
  g_assert_true (weft_conf_load_env (conf, empty_string, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (weft_conf_get_string (conf, "rpc.bind-address"), ==, "");
}

static void
test_error_override (void)
{
  static const struct
  {
    const char *assignment;
    WeftConfError code;
    const char *message;
  } cases[] = {
    { "rpc.call-timeout", WEFT_CONF_ERROR_PARSE, "--conf \"rpc.call-timeout\": expected group.key=value" },
    { "retries=3", WEFT_CONF_ERROR_PARSE,
      "--conf \"retries=3\": expected group.key=value, e.g. rpc.call-timeout=5s" },
    { "rpc.=3", WEFT_CONF_ERROR_PARSE, "--conf \"rpc.=3\": expected group.key=value" },
    { "=3", WEFT_CONF_ERROR_PARSE, "--conf \"=3\": expected group.key=value" },
    { "rpc.call-timout=5s", WEFT_CONF_ERROR_UNKNOWN_KEY,
      "--conf rpc.call-timout: unknown key (did you mean rpc.call-timeout?)" },
    { "rcp.call-timeout=5s", WEFT_CONF_ERROR_UNKNOWN_KEY,
      "--conf rcp.call-timeout: unknown group [rcp] (did you mean rpc.call-timeout?)" },
    { "rpc.call-timeout=30", WEFT_CONF_ERROR_BAD_VALUE,
      "--conf rpc.call-timeout: \"30\" is not a duration: add a unit (ms, s, m, h), e.g. 30s" },
    { "rpc.call-timeout=3h", WEFT_CONF_ERROR_OUT_OF_RANGE,
      "--conf rpc.call-timeout: \"3h\" is out of range: must be between 1ms and 1h" },
    { "queue.root.prod.capcity=40", WEFT_CONF_ERROR_UNKNOWN_KEY,
      "--conf queue.root.prod.capcity: unknown queue key (did you mean queue.root.prod.capacity?)" },
    { "queue.capacity=40", WEFT_CONF_ERROR_UNKNOWN_KEY, "--conf queue.capacity: a queue needs a name: write queue.NAME" },
    { "queue.root..prod.capacity=40", WEFT_CONF_ERROR_PARSE,
      "--conf queue.root..prod.capacity: \"root..prod\" is not a valid queue name" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(WeftConf) conf = weft_conf_new ();
      g_autoptr(GError) error = NULL;
      g_autofree char *before = weft_conf_dump (conf);
      g_autofree char *after = NULL;

      g_test_message ("--conf %s", cases[i].assignment);
      g_assert_false (weft_conf_set (conf, cases[i].assignment, &error));
      assert_error_names (error, cases[i].code, cases[i].message, NULL);
      after = weft_conf_dump (conf);
      g_assert_cmpstr (after, ==, before);
    }
}

/* A failing layer changes nothing, not even the keys before the bad one. */
static void
test_error_atomic (Fixture *f, G_GNUC_UNUSED gconstpointer data)
{
  g_autoptr(WeftConf) conf = weft_conf_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *before = weft_conf_dump (conf);
  g_autofree char *after = NULL;
  g_autofree char *bad = write_file (f, "b.conf", "[rpc]\nmax-depth = 10\ncall-timeout = forever\n");
  char *envp[] = { "WEFT_RPC_RETRIES=8", "WEFT_RPC_CALL_TIMEOUT=forever", NULL };

  /* A good file, read before the bad one. */
  g_free (write_file (f, "a.conf", "[rpc]\nretries = 7\n[queue.root]\ncapacity = 10\n"));
  g_assert_false (weft_conf_load_file (conf, bad, &error));
  g_clear_error (&error);
  g_assert_false (weft_conf_load_dir (conf, f->dir, &error));
  assert_error_names (error, WEFT_CONF_ERROR_BAD_VALUE, bad, NULL);
  g_clear_error (&error);
  g_assert_false (weft_conf_load_env (conf, envp, &error));
  g_clear_error (&error);

  after = weft_conf_dump (conf);
  g_assert_cmpstr (after, ==, before);
  g_assert_null (weft_conf_dir (conf));
  g_assert_false (weft_conf_has_instance (conf, "queue", "root"));
}

/* ---- Types -------------------------------------------------------------------------------- */

static void
test_bool (void)
{
  static const struct
  {
    const char *text;
    gboolean value;
  } cases[] = {
    { "true", TRUE }, { "TRUE", TRUE }, { "yes", TRUE }, { "Yes", TRUE }, { "1", TRUE },
    { "false", FALSE }, { "False", FALSE }, { "no", FALSE }, { "NO", FALSE }, { "0", FALSE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(WeftConf) conf = weft_conf_new ();
      g_autoptr(GError) error = NULL;
      g_autofree char *assignment = g_strconcat ("security.enabled=", cases[i].text, NULL);

      /* Start from the opposite value, so the assignment is seen to take effect. */
      g_assert_true (weft_conf_set (conf, cases[i].value ? "security.enabled=false" : "security.enabled=true", NULL));
      g_assert_true (weft_conf_set (conf, assignment, &error));
      g_assert_no_error (error);
      g_assert_cmpint (weft_conf_get_bool (conf, "security.enabled"), ==, cases[i].value);
    }
}

static void
test_enum (void)
{
  g_autoptr(WeftConf) conf = weft_conf_new ();
  g_autoptr(GError) error = NULL;

  g_assert_true (weft_conf_set (conf, "log.level=DEBUG", &error));
  g_assert_no_error (error);
  g_assert_cmpstr (weft_conf_get_string (conf, "log.level"), ==, "debug"); /* spelled as in the table */
  g_assert_true (weft_conf_set (conf, "nm.cgroups=v2", &error));
  g_assert_cmpstr (weft_conf_get_string (conf, "nm.cgroups"), ==, "v2");
  g_assert_false (weft_conf_set (conf, "nm.cgroups=v3", &error));
  g_assert_error (error, WEFT_CONF_ERROR, WEFT_CONF_ERROR_BAD_VALUE);
  g_assert_cmpstr (error->message, ==, "--conf nm.cgroups: \"v3\" is not one of auto, v1, v2, none");
}

static void
test_double (void)
{
  g_autoptr(WeftConf) conf = weft_conf_new ();
  g_autoptr(GError) error = NULL;

  g_assert_true (weft_conf_set (conf, "queue.a.capacity=40.5", &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (weft_conf_get_instance_double (conf, "queue", "a", "capacity"), ==, 40.5);
  g_assert_true (weft_conf_set (conf, "queue.a.capacity=1e1", &error));
  g_assert_cmpfloat (weft_conf_get_instance_double (conf, "queue", "a", "capacity"), ==, 10.0);
  g_assert_true (weft_conf_set (conf, "queue.a.max-am-share=.25", &error));
  g_assert_cmpfloat (weft_conf_get_instance_double (conf, "queue", "a", "max-am-share"), ==, 0.25);
  g_assert_false (weft_conf_set (conf, "queue.a.capacity=inf", &error));
  assert_error_names (error, WEFT_CONF_ERROR_BAD_VALUE, "\"inf\" is not a number", NULL);
  g_clear_error (&error);
  g_assert_false (weft_conf_set (conf, "queue.a.capacity=1e999", &error));
  assert_error_names (error, WEFT_CONF_ERROR_BAD_VALUE, "\"1e999\" is not a number", NULL);
}

static void
test_strings_keep_text (Fixture *f, G_GNUC_UNUSED gconstpointer data)
{
  g_autoptr(WeftConf) conf = weft_conf_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *path = write_file (f, "a.conf", "[rm]\nstate-dir = /var/lib/weft state\nport-file =\n");

  g_assert_true (weft_conf_load_file (conf, path, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (weft_conf_get_string (conf, "rm.state-dir"), ==, "/var/lib/weft state");
  g_assert_cmpstr (weft_conf_get_string (conf, "rm.port-file"), ==, "");
  g_assert_cmpstr (weft_conf_origin (conf, "rm.port-file"), ==, path);
}

/* Asking for a key the table lacks, or with the wrong type, is a programmer error: a critical, not
 * a crash. */
static void
test_getter_misuse (void)
{
  g_autoptr(WeftConf) conf = weft_conf_new ();

  g_test_expect_message ("weft-common", G_LOG_LEVEL_CRITICAL, "*rpc.call-timeout*type duration*");
  g_assert_cmpint (weft_conf_get_int (conf, "rpc.call-timeout"), ==, 0);
  g_test_expect_message ("weft-common", G_LOG_LEVEL_CRITICAL, "*no configuration key \"rpc.nope\"*");
  g_assert_null (weft_conf_get_string (conf, "rpc.nope"));
  g_test_expect_message ("weft-common", G_LOG_LEVEL_CRITICAL, "*no configuration key \"nodot\"*");
  g_assert_false (weft_conf_get_bool (conf, "nodot"));
  g_test_expect_message ("weft-common", G_LOG_LEVEL_CRITICAL, "*log.level*type enum*");
  g_assert_cmpfloat (weft_conf_get_double (conf, "log.level"), ==, 0.0);
  g_test_expect_message ("weft-common", G_LOG_LEVEL_CRITICAL, "*no configuration key \"queue.root.capacity\"*");
  g_assert_cmpfloat (weft_conf_get_instance_double (conf, "queue", "root", "capacity"), ==, 0.0);
  g_test_expect_message ("weft-common", G_LOG_LEVEL_CRITICAL, "*no configuration key*");
  g_assert_null (weft_conf_origin (conf, "rpc.nope"));
  g_test_assert_expected_messages ();

  g_assert_true (weft_conf_set (conf, "queue.root.capacity=50", NULL));
  g_test_expect_message ("weft-common", G_LOG_LEVEL_CRITICAL, "*queue.root.capacity*type double*");
  g_assert_cmpint (weft_conf_get_instance_int (conf, "queue", "root", "capacity"), ==, 0);
  g_test_assert_expected_messages ();
}

/* ---- Instance groups ---------------------------------------------------------------------- */

static void
test_instances (Fixture *f, G_GNUC_UNUSED gconstpointer data)
{
  g_autoptr(WeftConf) conf = weft_conf_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *path = write_file (f, "queues.conf",
                                      "[queue.root]\ncapacity = 100\n"
                                      "[queue.root.prod]\ncapacity = 60\nstate = STOPPED\nacl-submit = alice,bob\n"
                                      "[queue.root.dev]\n");
  g_auto (GStrv) names = NULL;
  const char *expected[] = { "root", "root.dev", "root.prod", NULL };

  g_assert_true (weft_conf_load_file (conf, path, &error));
  g_assert_no_error (error);

  names = weft_conf_list_instances (conf, "queue");
  g_assert_cmpstrv (names, expected);
  g_assert_true (weft_conf_has_instance (conf, "queue", "root.dev"));
  g_assert_false (weft_conf_has_instance (conf, "queue", "root.test"));

  g_assert_cmpfloat (weft_conf_get_instance_double (conf, "queue", "root.prod", "capacity"), ==, 60);
  g_assert_cmpstr (weft_conf_get_instance_string (conf, "queue", "root.prod", "state"), ==, "stopped");
  g_assert_cmpstr (weft_conf_get_instance_string (conf, "queue", "root.prod", "acl-submit"), ==, "alice,bob");
  g_assert_cmpstr (weft_conf_origin (conf, "queue.root.prod.capacity"), ==, path);

  /* An empty group still defines the instance, with every default. */
  g_assert_cmpfloat (weft_conf_get_instance_double (conf, "queue", "root.dev", "capacity"), ==, 0);
  g_assert_cmpfloat (weft_conf_get_instance_double (conf, "queue", "root.dev", "max-capacity"), ==, 100);
  g_assert_cmpfloat (weft_conf_get_instance_double (conf, "queue", "root.dev", "user-limit-factor"), ==, 1);
  g_assert_cmpint (weft_conf_get_instance_int (conf, "queue", "root.dev", "minimum-user-limit-percent"), ==, 100);
  g_assert_cmpfloat (weft_conf_get_instance_double (conf, "queue", "root.dev", "max-am-share"), ==, 0.1);
  g_assert_cmpstr (weft_conf_get_instance_string (conf, "queue", "root.dev", "state"), ==, "running");
  g_assert_cmpstr (weft_conf_get_instance_string (conf, "queue", "root.dev", "acl-admin"), ==, "*");
  g_assert_cmpstr (weft_conf_origin (conf, "queue.root.dev.capacity"), ==, "default");

  /* Another kind has no instances. */
  g_auto (GStrv) none = weft_conf_list_instances (conf, "node");
  g_assert_cmpuint (g_strv_length (none), ==, 0);
}

static void
test_instances_merge (Fixture *f, G_GNUC_UNUSED gconstpointer data)
{
  g_autoptr(WeftConf) conf = weft_conf_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *first = write_file (f, "1.conf", "[queue.root]\ncapacity = 100\nmax-am-share = 0.2\n");
  g_autofree char *second = write_file (f, "2.conf", "[queue.root]\ncapacity = 90\n");

  g_assert_true (weft_conf_load_dir (conf, f->dir, &error));
  g_assert_no_error (error);
  g_assert_true (weft_conf_set (conf, "queue.root.state=stopped", &error));
  g_assert_true (weft_conf_set (conf, "queue.other.capacity=5", &error));

  g_assert_cmpfloat (weft_conf_get_instance_double (conf, "queue", "root", "capacity"), ==, 90);
  g_assert_cmpstr (weft_conf_origin (conf, "queue.root.capacity"), ==, second);
  g_assert_cmpfloat (weft_conf_get_instance_double (conf, "queue", "root", "max-am-share"), ==, 0.2);
  g_assert_cmpstr (weft_conf_origin (conf, "queue.root.max-am-share"), ==, first);
  g_assert_cmpstr (weft_conf_get_instance_string (conf, "queue", "root", "state"), ==, "stopped");
  g_assert_cmpstr (weft_conf_origin (conf, "queue.root.state"), ==, "--conf");
  g_assert_true (weft_conf_has_instance (conf, "queue", "other"));
  g_assert_cmpstr (weft_conf_origin (conf, "queue.other.capacity"), ==, "--conf");
}

static void
test_instances_errors (Fixture *f, G_GNUC_UNUSED gconstpointer data)
{
  static const struct
  {
    const char *text;
    WeftConfError code;
    const char *message; /* after "PATH: " */
  } cases[] = {
    { "[queue.root]\ncapcity = 5\n", WEFT_CONF_ERROR_UNKNOWN_KEY,
      "[queue.root] capcity: unknown queue key (did you mean [queue.root] capacity?)" },
    { "[queue.root]\ncall-timeout = 5s\n", WEFT_CONF_ERROR_UNKNOWN_KEY, "[queue.root] call-timeout: unknown queue key" },
    { "[queu.root]\ncapacity = 5\n", WEFT_CONF_ERROR_UNKNOWN_KEY,
      "[queu.root] capacity: unknown group [queu.root] (did you mean [queue.root] capacity?)" },
    { "[queue]\ncapacity = 5\n", WEFT_CONF_ERROR_UNKNOWN_KEY,
      "[queue] capacity: a queue needs a name: write [queue.NAME]" },
    { "[queue.root..prod]\n", WEFT_CONF_ERROR_PARSE,
      "[queue.root..prod]: \"root..prod\" is not a valid queue name" },
    { "[queue.]\n", WEFT_CONF_ERROR_PARSE, "[queue.]: \"\" is not a valid queue name" },
    { "[queue.root prod]\ncapacity = 5\n", WEFT_CONF_ERROR_PARSE, "\"root prod\" is not a valid queue name" },
    { "[queue.root]\nmax-capacity = 101\n", WEFT_CONF_ERROR_OUT_OF_RANGE,
      "[queue.root] max-capacity: \"101\" is out of range: must be between 0 and 100" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = NULL;
      g_autoptr(GError) error = NULL;

      g_test_message ("loading: %s", cases[i].text);
      error = load_text_expecting_error (f, cases[i].text, &path);
      assert_error_names (error, cases[i].code, path, cases[i].message, NULL);
    }
}

/* ---- Output ------------------------------------------------------------------------------- */

static void
test_dump (Fixture *f, G_GNUC_UNUSED gconstpointer data)
{
  g_autoptr(WeftConf) conf = weft_conf_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *path = write_file (f, "a.conf", "[queue.root.prod]\ncapacity = 60\n[queue.a]\n");
  g_autofree char *dump = NULL;
  g_autofree char *line = NULL;
  guint n_global, n_queue;

  count_keys (&n_global, &n_queue);
  g_assert_true (weft_conf_load_file (conf, path, &error));
  g_assert_true (weft_conf_set (conf, "rpc.call-timeout=1500ms", &error));
  g_assert_true (weft_conf_set (conf, "rpc.max-message-size=1.5m", &error));
  dump = weft_conf_dump (conf);

  g_assert_true (g_str_has_prefix (dump, "log.level = message (default)\n"));
  g_assert_nonnull (strstr (dump, "\nrpc.call-timeout = 1500ms (--conf)\n"));
  g_assert_nonnull (strstr (dump, "\nrpc.max-message-size = 1536k (--conf)\n"));
  g_assert_nonnull (strstr (dump, "\nrpc.idle-timeout = 1m (default)\n"));
  g_assert_nonnull (strstr (dump, "\nsecurity.enabled = true (default)\n"));
  g_assert_nonnull (strstr (dump, "\nrm.state-dir = \"\" (default)\n"));
  g_assert_nonnull (strstr (dump, "\nqueue.a.max-am-share = 0.1 (default)\n"));
  line = g_strdup_printf ("\nqueue.root.prod.capacity = 60 (%s)\n", path);
  g_assert_nonnull (strstr (dump, line));
  /* Instances sorted: queue.a before queue.root.prod. */
  g_assert_true (strstr (dump, "queue.a.capacity") < strstr (dump, "queue.root.prod.capacity"));

  /* One line per key: the global keys, then those of each of the two queues. */
  g_assert_cmpuint (count_dump_lines (conf), ==, n_global + 2 * n_queue);
}

/* Uncommenting every setting of the template gives a file that loads to exactly the defaults. */
static void
test_template_round_trip (Fixture *f, G_GNUC_UNUSED gconstpointer data)
{
  g_autofree char *template = weft_conf_template ();
  g_auto (GStrv) lines = g_strsplit (template, "\n", -1);
  g_autoptr(GString) uncommented = g_string_new (NULL);
  g_autoptr(WeftConf) defaults = weft_conf_new ();
  g_autoptr(WeftConf) conf = weft_conf_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *dump = NULL;
  g_autofree char *expected = NULL;
  guint settings = 0, n_global, n_queue;

  count_keys (&n_global, &n_queue);
  for (char **l = lines; *l; l++)
    {
      /* Settings are "#key = value" and "#[group]"; prose is "# text". */
      if ((*l)[0] == '#' && (*l)[1] != ' ' && (*l)[1] != '\0')
        {
          g_string_append_printf (uncommented, "%s\n", *l + 1);
          settings++;
        }
      else
        g_string_append_printf (uncommented, "%s\n", *l);
    }
  g_assert_cmpuint (settings, ==, n_global + 1 + n_queue); /* keys, "[queue.root]", queue keys */
  path = write_file (f, "site.conf", uncommented->str);
  g_assert_true (weft_conf_load_file (conf, path, &error));
  g_assert_no_error (error);

  /* Same values as the defaults (with the template's one example queue), every origin the file. */
  g_assert_true (weft_conf_set (defaults, "queue.root.capacity=0", NULL));
  dump = weft_conf_dump (conf);
  expected = weft_conf_dump (defaults);
  {
    g_autofree char *origin = g_strdup_printf ("(%s)", path);
    g_autoptr(GString) normalized = g_string_new (dump);
    g_autoptr(GString) normalized_expected = g_string_new (expected);

    g_string_replace (normalized, origin, "()", 0);
    g_string_replace (normalized_expected, "(default)", "()", 0);
    g_string_replace (normalized_expected, "(--conf)", "()", 0);
    g_assert_cmpstr (normalized->str, ==, normalized_expected->str);
    g_assert_null (strstr (dump, "(default)"));
  }
}

/* conf/weft-site.conf is weft_conf_template()'s output; checked when the build says where the
 * sources are. */
static void
test_template_site_file (void)
{
  g_autofree char *path = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *template = weft_conf_template ();
  g_autoptr(GError) error = NULL;

  if (!top_srcdir)
    {
      g_test_skip ("WEFT_TOP_SRCDIR is not set");
      return;
    }
  path = g_build_filename (top_srcdir, "conf", "weft-site.conf", NULL);
  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  if (g_strcmp0 (contents, template) != 0)
    g_test_message ("%s is stale: regenerate it from weft_conf_template()", path);
  g_assert_cmpstr (contents, ==, template);
}

static void
test_resolve_path (Fixture *f, G_GNUC_UNUSED gconstpointer data)
{
  g_autoptr(WeftConf) conf = weft_conf_new ();
  g_autofree char *cwd = g_get_current_dir ();
  g_autofree char *in_cwd = g_build_filename (cwd, "weft.secret", NULL);
  g_autofree char *in_dir = g_build_filename (f->dir, "weft.secret", NULL);
  g_autofree char *a = weft_conf_resolve_path (conf, "weft.secret");
  g_autofree char *b = NULL;
  g_autofree char *c = NULL;

  g_assert_cmpstr (a, ==, in_cwd);
  g_assert_true (weft_conf_load_dir (conf, f->dir, NULL));
  b = weft_conf_resolve_path (conf, "weft.secret");
  g_assert_cmpstr (b, ==, in_dir);
  c = weft_conf_resolve_path (conf, "/etc/weft.secret");
  g_assert_cmpstr (c, ==, "/etc/weft.secret");
}

/* ---- Command line ------------------------------------------------------------------------- */

static void
test_parse_args (Fixture *f, G_GNUC_UNUSED gconstpointer data)
{
  g_autofree char *path = write_file (f, "a.conf", "[rpc]\nretries = 4\nmax-depth = 5\n");
  char *args[] = {
    "weft-rm", "--conf", "rpc.retries=7", "--conf=rpc.call-timeout=1s", "--conf-dir", f->dir, "--port",
    "9", "positional", "-v", "--help", NULL,
  };
  int argc = G_N_ELEMENTS (args) - 1;
  g_autofree char **argv = g_memdup2 (args, sizeof args);
  char **argv_ptr = argv;
  g_autoptr(WeftConf) conf = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (weft_conf_parse_args (&argc, &argv_ptr, &conf, &error));
  g_assert_no_error (error);
  g_assert_nonnull (conf);

  g_assert_cmpint (weft_conf_get_int (conf, "rpc.retries"), ==, 7);
  g_assert_cmpstr (weft_conf_origin (conf, "rpc.retries"), ==, "--conf");
  g_assert_cmpint (weft_conf_get_duration (conf, "rpc.call-timeout"), ==, SEC);
  g_assert_cmpint (weft_conf_get_int (conf, "rpc.max-depth"), ==, 5);
  g_assert_cmpstr (weft_conf_origin (conf, "rpc.max-depth"), ==, path);
  g_assert_cmpstr (weft_conf_get_string (conf, "log.level"), ==, "info");
  g_assert_cmpstr (weft_conf_origin (conf, "log.level"), ==, "--verbose");

  /* Everything that is not ours stays, in order. */
  g_assert_cmpint (argc, ==, 5);
  g_assert_cmpstr (argv_ptr[0], ==, "weft-rm");
  g_assert_cmpstr (argv_ptr[1], ==, "--port");
  g_assert_cmpstr (argv_ptr[2], ==, "9");
  g_assert_cmpstr (argv_ptr[3], ==, "positional");
  g_assert_cmpstr (argv_ptr[4], ==, "--help");
}

static void
test_parse_args_verbose (Fixture *f, G_GNUC_UNUSED gconstpointer data)
{
  static const struct
  {
    const char *args[6];
    const char *level;
    const char *origin;
  } cases[] = {
    { { "prog", NULL }, "message", "default" },
    { { "prog", "-v", NULL }, "info", "--verbose" },
    { { "prog", "-v", "--verbose", NULL }, "debug", "--verbose" },
    { { "prog", "-vv", NULL }, "debug", "--verbose" },
    { { "prog", "-vvv", NULL }, "debug", "--verbose" },
    /* -v raises, never lowers. */
    { { "prog", "--conf", "log.level=debug", "-v", NULL }, "debug", "--conf" },
    { { "prog", "--conf", "log.level=error", "-v", NULL }, "info", "--verbose" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      int argc = (int) g_strv_length ((char **) cases[i].args);
      g_autofree char **argv = g_memdup2 (cases[i].args, sizeof cases[i].args);
      char **argv_ptr = argv;
      g_autoptr(WeftConf) conf = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *dir_arg = g_strconcat ("--conf-dir=", f->dir, NULL);

      /* An empty explicit folder keeps the test independent of ./conf. */
      argv_ptr[argc++] = dir_arg;
      g_assert_true (weft_conf_parse_args (&argc, &argv_ptr, &conf, &error));
      g_assert_no_error (error);
      g_assert_cmpstr (weft_conf_get_string (conf, "log.level"), ==, cases[i].level);
      g_assert_cmpstr (weft_conf_origin (conf, "log.level"), ==, cases[i].origin);
      g_assert_cmpint (argc, ==, 1);
    }
}

static void
test_parse_args_errors (Fixture *f, G_GNUC_UNUSED gconstpointer data)
{
  g_autofree char *missing = g_build_filename (f->dir, "missing", NULL);
  g_autofree char *missing_message = g_strdup_printf ("config folder %s does not exist", missing);
  const struct
  {
    const char *args[4];
    WeftConfError code;
    const char *message;
  } cases[] = {
    { { "prog", "--conf", NULL }, WEFT_CONF_ERROR_PARSE, "--conf" },
    { { "prog", "--conf", "retries", NULL }, WEFT_CONF_ERROR_PARSE, "--conf \"retries\": expected group.key=value" },
    { { "prog", "--conf", "rpc.retries=lots", NULL }, WEFT_CONF_ERROR_BAD_VALUE,
      "--conf rpc.retries: \"lots\" is not an integer" },
    { { "prog", "--conf-dir", missing, NULL }, WEFT_CONF_ERROR_IO, missing_message },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      int argc = (int) g_strv_length ((char **) cases[i].args);
      g_autofree char **argv = g_memdup2 (cases[i].args, sizeof cases[i].args);
      char **argv_ptr = argv;
      WeftConf *conf = NULL;
      g_autoptr(GError) error = NULL;

      g_assert_false (weft_conf_parse_args (&argc, &argv_ptr, &conf, &error));
      g_assert_null (conf);
      assert_error_names (error, cases[i].code, cases[i].message, NULL);
    }
}

int
main (int argc, char **argv)
{
  g_auto (GStrv) env = g_get_environ ();

  g_test_init (&argc, &argv, NULL);

  /* The tests choose the environment they load: clear every WEFT_* variable of the caller. */
  top_srcdir = g_strdup (g_environ_getenv (env, "WEFT_TOP_SRCDIR"));
  for (char **e = env; *e; e++)
    if (g_str_has_prefix (*e, "WEFT_"))
      {
        g_autofree char *name = g_strndup (*e, strcspn (*e, "="));
        g_unsetenv (name);
      }

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  g_test_add_func ("/common/conf/size/parse", test_size_parse);
  g_test_add_func ("/common/conf/size/errors", test_size_errors);
  g_test_add_func ("/common/conf/size/format", test_size_format);
  g_test_add_func ("/common/conf/duration/parse", test_duration_parse);
  g_test_add_func ("/common/conf/duration/errors", test_duration_errors);
  g_test_add_func ("/common/conf/duration/format", test_duration_format);
  g_test_add_func ("/common/conf/defaults", test_defaults);
  ADD ("/common/conf/layering", test_layering);
  ADD ("/common/conf/load/all-layers", test_load_all_layers);
  ADD ("/common/conf/load/lexical-order", test_lexical_order);
  ADD ("/common/conf/load/missing-dir", test_load_dir_missing);
  ADD ("/common/conf/load/implicit-dir", test_load_implicit_dir);
  g_test_add_func ("/common/conf/env/only-known-keys", test_env_only_known_keys);
  g_test_add_func ("/common/conf/env/every-key", test_env_every_key);
  ADD ("/common/conf/errors/unknown-key", test_error_unknown_key);
  ADD ("/common/conf/errors/unknown-key-case", test_error_unknown_key_case);
  ADD ("/common/conf/errors/unknown-key-no-hint", test_error_unknown_key_no_hint);
  ADD ("/common/conf/errors/unknown-key-distance", test_error_unknown_key_distance);
  ADD ("/common/conf/errors/key-in-other-group", test_error_key_in_other_group);
  ADD ("/common/conf/errors/unknown-group", test_error_unknown_group);
  ADD ("/common/conf/errors/bad-value", test_error_bad_value);
  ADD ("/common/conf/errors/out-of-range", test_error_out_of_range);
  ADD ("/common/conf/errors/syntax", test_error_syntax);
  ADD ("/common/conf/errors/io", test_error_io);
  g_test_add_func ("/common/conf/errors/env", test_error_env);
  g_test_add_func ("/common/conf/errors/override", test_error_override);
  ADD ("/common/conf/errors/atomic", test_error_atomic);
  g_test_add_func ("/common/conf/bounds/inclusive", test_bounds_inclusive);
  g_test_add_func ("/common/conf/types/bool", test_bool);
  g_test_add_func ("/common/conf/types/enum", test_enum);
  g_test_add_func ("/common/conf/types/double", test_double);
  ADD ("/common/conf/types/string", test_strings_keep_text);
  g_test_add_func ("/common/conf/getters/misuse", test_getter_misuse);
  ADD ("/common/conf/instances/basic", test_instances);
  ADD ("/common/conf/instances/merge", test_instances_merge);
  ADD ("/common/conf/instances/errors", test_instances_errors);
  ADD ("/common/conf/dump", test_dump);
  ADD ("/common/conf/template/round-trip", test_template_round_trip);
  g_test_add_func ("/common/conf/template/site-file", test_template_site_file);
  ADD ("/common/conf/resolve-path", test_resolve_path);
  ADD ("/common/conf/args/parse", test_parse_args);
  ADD ("/common/conf/args/verbose", test_parse_args_verbose);
  ADD ("/common/conf/args/errors", test_parse_args_errors);
#undef ADD

  {
    int status = g_test_run ();
    g_free (top_srcdir);
    return status;
  }
}
