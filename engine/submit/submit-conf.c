/* submit-conf: weft-submit's command line and properties. See submit-conf.h. */
#include "submit-conf.h"

#include <string.h>
#include <unistd.h>

#include "weft-conf.h"
#include "weft-yarn-rpc.h"

/* Counts (executors, cores, attempts) are checked against the same bounds as the driver's. */
#define MAX_COUNT 100000
/* A little over 1 PiB in MiB: past any machine, far from overflow. */
#define MAX_MEMORY_MB ((gint64) 1 << 30)
/* Weft's rule for the driver container (cluster mode): its memory plus max(64 MiB, 5 %) for
 * what is not the program's heap (stacks, libraries, shuffle buffers), unless
 * spark.driver.memoryOverhead says otherwise. Spark's YARN rule is max(384 MiB, 10 %), sized for
 * a JVM; a C driver needs far less. */
#define OVERHEAD_MIN_MB 64
#define OVERHEAD_PERCENT 5
#define DEFAULT_DRIVER_MEMORY "1g"

static const struct {
  const char *name;
  const char *key;     /* the Spark property it sets, or NULL */
} flag_defs[SUBMIT_N_FLAGS] = {
  [SUBMIT_FLAG_MASTER] = { "--master", "spark.master" },
  [SUBMIT_FLAG_DEPLOY_MODE] = { "--deploy-mode", "spark.submit.deployMode" },
  [SUBMIT_FLAG_NAME] = { "--name", "spark.app.name" },
  [SUBMIT_FLAG_QUEUE] = { "--queue", "spark.yarn.queue" },
  [SUBMIT_FLAG_NUM_EXECUTORS] = { "--num-executors", "spark.executor.instances" },
  [SUBMIT_FLAG_EXECUTOR_CORES] = { "--executor-cores", "spark.executor.cores" },
  [SUBMIT_FLAG_EXECUTOR_MEMORY] = { "--executor-memory", "spark.executor.memory" },
  [SUBMIT_FLAG_DRIVER_MEMORY] = { "--driver-memory", "spark.driver.memory" },
  [SUBMIT_FLAG_DRIVER_CORES] = { "--driver-cores", "spark.driver.cores" },
  [SUBMIT_FLAG_FILES] = { "--files", "spark.files" },
  [SUBMIT_FLAG_PROPERTIES_FILE] = { "--properties-file", NULL },
  [SUBMIT_FLAG_CONF_DIR] = { "--conf-dir", NULL },
};

const char *
submit_flag_name (SubmitFlag flag)
{
  return flag_defs[flag].name;
}

static gboolean
usage_error (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
usage_error (GError **error, const char *format, ...)
{
  va_list ap;
  va_start (ap, format);
  g_autofree char *msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_set_error_literal (error, WEFT_YARN_ERROR, WEFT_YARN_ERROR_USAGE, msg);
  return FALSE;
}

/* ---- the command line ---- */

void
submit_args_clear (SubmitArgs *a)
{
  for (guint i = 0; i < SUBMIT_N_FLAGS; i++)
    g_free (a->flags[i]);
  if (a->confs)
    g_ptr_array_unref (a->confs);
  g_free (a->program);
  g_strfreev (a->program_args);
  memset (a, 0, sizeof *a);
}

gboolean
submit_args_parse (int argc, char **argv, SubmitArgs *out, GError **error)
{
  memset (out, 0, sizeof *out);
  out->confs = g_ptr_array_new_with_free_func (g_free);
  int i = 1;
  for (; i < argc; i++)
    {
      const char *arg = argv[i];
      if (arg[0] != '-' || arg[1] == '\0')
        break; /* the program */
      if (g_str_equal (arg, "--help") || g_str_equal (arg, "-h"))
        {
          out->help = TRUE;
          return TRUE;
        }
      if (g_str_equal (arg, "--version"))
        {
          out->version = TRUE;
          return TRUE;
        }
      if (g_str_equal (arg, "--verbose") || g_str_equal (arg, "-v"))
        {
          out->verbose = TRUE;
          continue;
        }
      /* "--opt=value" is "--opt value", as in spark-submit. */
      const char *eq = g_str_has_prefix (arg, "--") ? strchr (arg, '=') : NULL;
      g_autofree char *name = eq ? g_strndup (arg, (gsize) (eq - arg)) : g_strdup (arg);
      int flag = -1;
      for (int f = 0; f < SUBMIT_N_FLAGS; f++)
        if (g_str_equal (name, flag_defs[f].name))
          flag = f;
      gboolean conf = g_str_equal (name, "--conf") || g_str_equal (name, "-c");
      if (flag < 0 && !conf)
        return usage_error (error, "unrecognized option \"%s\"", arg);
      const char *value = eq ? eq + 1 : NULL;
      if (value == NULL)
        {
          if (i + 1 >= argc)
            return usage_error (error, "%s needs a value", name);
          value = argv[++i];
        }
      if (conf)
        g_ptr_array_add (out->confs, g_strdup (value));
      else
        {
          g_free (out->flags[flag]);
          out->flags[flag] = g_strdup (value);
        }
    }
  if (i < argc)
    {
      out->program = g_strdup (argv[i]);
      out->program_args = g_strdupv (argv + i + 1);
    }
  else
    out->program_args = g_new0 (char *, 1);
  return TRUE;
}

/* ---- values ---- */

gboolean
submit_parse_memory_mb (const char *text, gint64 *out_mb)
{
  /* JavaUtils.byteStringAs: digits, then an optional unit; no fractions, no sign. */
  const char *p = text;
  while (g_ascii_isdigit (*p))
    p++;
  gsize digits = (gsize) (p - text);
  if (digits == 0 || digits > 15)
    return FALSE;
  g_autofree char *unit = g_ascii_strdown (p, -1);
  static const struct { const char *unit; gint64 bytes; } units[] = {
    { "", 1024 * 1024 }, { "b", 1 }, { "k", 1024 }, { "kb", 1024 }, { "m", 1024 * 1024 },
    { "mb", 1024 * 1024 }, { "g", (gint64) 1 << 30 }, { "gb", (gint64) 1 << 30 },
    { "t", (gint64) 1 << 40 }, { "tb", (gint64) 1 << 40 }, { "p", (gint64) 1 << 50 },
    { "pb", (gint64) 1 << 50 },
  };
  gint64 scale = 0;
  for (guint i = 0; i < G_N_ELEMENTS (units); i++)
    if (g_str_equal (unit, units[i].unit))
      scale = units[i].bytes;
  if (scale == 0)
    return FALSE;
  guint64 n = g_ascii_strtoull (text, NULL, 10);
  if (n == 0)
    return FALSE;
  /* In MiB, rounded up; compared before multiplying so nothing overflows. */
  const gint64 mib = 1024 * 1024;
  gint64 mb = scale >= mib ? 0 : (gint64) ((n * (guint64) scale + (guint64) mib - 1) / (guint64) mib);
  if (scale >= mib)
    {
      if (n > (guint64) (MAX_MEMORY_MB / (scale / mib)))
        return FALSE;
      mb = (gint64) n * (scale / mib);
    }
  if (mb > MAX_MEMORY_MB)
    return FALSE;
  *out_mb = mb;
  return TRUE;
}

static gboolean
parse_count (const char *text, gint32 *out)
{
  guint64 v = 0;
  if (!g_ascii_string_to_unsigned (text, 10, 1, MAX_COUNT, &v, NULL))
    return FALSE;
  *out = (gint32) v;
  return TRUE;
}

static gboolean
parse_bool (const char *text, gboolean *out)
{
  if (g_ascii_strcasecmp (text, "true") == 0)
    *out = TRUE;
  else if (g_ascii_strcasecmp (text, "false") == 0)
    *out = FALSE;
  else
    return FALSE;
  return TRUE;
}

/* ---- the configuration ---- */

void
submit_conf_free (SubmitConf *c)
{
  if (c == NULL)
    return;
  g_hash_table_unref (c->props);
  g_hash_table_unref (c->origins);
  g_free (c->properties_file);
  g_free (c->conf_dir);
  g_ptr_array_unref (c->site_confs);
  g_ptr_array_unref (c->warnings);
  g_free (c->master_host);
  g_free (c->program_path);
  g_ptr_array_unref (c->files);
  g_ptr_array_unref (c->file_names);
  g_free (c->program_name);
  g_free (c);
}

void
submit_conf_set (SubmitConf *c, const char *key, const char *value, const char *origin)
{
  g_hash_table_replace (c->props, g_strdup (key), g_strdup (value));
  g_hash_table_replace (c->origins, g_strdup (key), g_strdup (origin));
}

/* How an error names where @key's value came from: the flag, the --conf, or the file. */
static char *
source_of (SubmitConf *c, const char *key)
{
  const char *origin = g_hash_table_lookup (c->origins, key);
  const char *value = g_hash_table_lookup (c->props, key);
  if (origin == NULL)
    return g_strdup_printf ("%s = \"%s\"", key, value ? value : "");
  if (g_str_has_prefix (origin, "--") && !g_str_equal (origin, "--conf"))
    return g_strdup_printf ("%s \"%s\"", origin, value);
  if (g_str_equal (origin, "--conf"))
    return g_strdup_printf ("--conf %s=\"%s\"", key, value);
  return g_strdup_printf ("%s = \"%s\" (%s)", key, value, origin);
}

static gboolean
bad_value (SubmitConf *c, const char *key, const char *expected, GError **error)
{
  g_autofree char *src = source_of (c, key);
  return usage_error (error, "%s: expected %s", src, expected);
}

/* A key as the properties file can carry it: no white space, '=', ':' or control characters. */
static gboolean
key_ok (const char *key)
{
  if (*key == '\0' || *key == '#' || *key == '!')
    return FALSE;
  for (const char *p = key; *p; p++)
    if (g_ascii_isspace (*p) || g_ascii_iscntrl (*p) || *p == '=' || *p == ':')
      return FALSE;
  return TRUE;
}

static gboolean
value_ok (const char *value)
{
  return strchr (value, '\n') == NULL && strchr (value, '\r') == NULL;
}

/* --conf KEY=VALUE: Spark keys become properties (the last one given wins); other keys are
 * Weft's own configuration (rm.client-port, rpc.call-timeout, ...) for reaching the cluster, or,
 * if Weft does not know them either, ignored with spark-submit's warning. */
static gboolean
apply_confs (SubmitConf *c, const SubmitArgs *args, GError **error)
{
  g_autoptr(WeftConf) scratch = weft_conf_new ();
  for (guint i = 0; i < args->confs->len; i++)
    {
      const char *pair = args->confs->pdata[i];
      const char *eq = strchr (pair, '=');
      if (eq == NULL || eq == pair)
        return usage_error (error, "--conf \"%s\": expected KEY=VALUE (e.g. --conf "
                            "spark.executor.memory=2g)", pair);
      g_autofree char *key = g_strndup (pair, (gsize) (eq - pair));
      if (!key_ok (key))
        return usage_error (error, "--conf \"%s\": a key cannot hold spaces, '=', ':' or control "
                            "characters", pair);
      if (!value_ok (eq + 1))
        return usage_error (error, "--conf %s: a value cannot hold a line break", key);
      if (g_str_has_prefix (key, "spark."))
        {
          submit_conf_set (c, key, eq + 1, "--conf");
          continue;
        }
      g_autoptr(GError) local = NULL;
      if (weft_conf_set (scratch, pair, &local))
        g_ptr_array_add (c->site_confs, g_strdup (pair));
      else if (g_error_matches (local, WEFT_CONF_ERROR, WEFT_CONF_ERROR_UNKNOWN_KEY))
        g_ptr_array_add (c->warnings,
                         g_strdup_printf ("Warning: Ignoring non-Spark config property: %s", key));
      else
        return usage_error (error, "--conf %s: %s", pair, local->message);
    }
  return TRUE;
}

/* spark-defaults.conf's format, as java.util.Properties reads it for the cases that matter:
 * "key value", "key=value" or "key: value" a line, '#' or '!' comments, blank lines, values
 * trimmed. Only spark.* keys are kept (spark-submit warns about the others); a key already set by
 * --conf keeps its value; a later line overrides an earlier one. */
static gboolean
apply_properties_file (SubmitConf *c, const char *path, GError **error)
{
  g_autofree char *text = NULL;
  g_autoptr(GError) local = NULL;
  if (!g_file_get_contents (path, &text, NULL, &local))
    return usage_error (error, "cannot read the properties file: %s", local->message);
  if (!g_utf8_validate (text, -1, NULL))
    return usage_error (error, "%s: not UTF-8 text", path);
  g_autoptr(GHashTable) from_conf = g_hash_table_new (g_str_hash, g_str_equal);
  GHashTableIter it;
  gpointer k;
  g_hash_table_iter_init (&it, c->props);
  while (g_hash_table_iter_next (&it, &k, NULL))
    g_hash_table_add (from_conf, k);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  for (guint n = 0; lines[n]; n++)
    {
      char *line = g_strstrip (lines[n]);
      if (*line == '\0' || *line == '#' || *line == '!')
        continue;
      gsize klen = strcspn (line, " \t=:");
      char *v = line + klen;
      v += strspn (v, " \t");
      if (*v == '=' || *v == ':')
        v++;
      v += strspn (v, " \t");
      if (*v == '\0')
        return usage_error (error, "%s:%u: \"%s\" has no value: write \"key value\" or "
                            "\"key=value\"", path, n + 1, line);
      line[klen] = '\0';
      if (!g_str_has_prefix (line, "spark."))
        {
          g_ptr_array_add (c->warnings,
                           g_strdup_printf ("Warning: Ignoring non-Spark config property: %s "
                                            "(%s:%u)", line, path, n + 1));
          continue;
        }
      if (!g_hash_table_contains (from_conf, line))
        submit_conf_set (c, line, v, path);
    }
  return TRUE;
}

/* local, local[*], local[N]; weft, yarn; weft://HOST:PORT. */
static gboolean
resolve_master (SubmitConf *c, GError **error)
{
  static const char *const expected
    = "local, local[N], local[*], weft, yarn or weft://HOST:PORT";
  const char *m = g_hash_table_lookup (c->props, "spark.master");
  if (g_str_equal (m, "local") || g_str_equal (m, "local[*]"))
    {
      c->local = TRUE;
      return TRUE;
    }
  if (g_str_has_prefix (m, "local[") && g_str_has_suffix (m, "]"))
    {
      g_autofree char *n = g_strndup (m + 6, strlen (m) - 7);
      gint32 threads;
      if (!parse_count (n, &threads))
        return bad_value (c, "spark.master", "local[N] with N a whole number from 1 to 100000",
                          error);
      c->local = TRUE;
      return TRUE;
    }
  if (g_str_equal (m, "weft") || g_str_equal (m, "yarn"))
    return TRUE;
  if (g_str_has_prefix (m, "weft://"))
    {
      const char *hp = m + strlen ("weft://");
      const char *colon = strrchr (hp, ':');
      guint64 port = 0;
      if (colon == NULL || colon == hp
          || !g_ascii_string_to_unsigned (colon + 1, 10, 1, 65535, &port, NULL))
        return bad_value (c, "spark.master", "weft://HOST:PORT, e.g. weft://127.0.0.1:8032",
                          error);
      /* [::1]:8032 */
      if (hp[0] == '[' && colon[-1] == ']')
        c->master_host = g_strndup (hp + 1, (gsize) (colon - hp - 2));
      else
        c->master_host = g_strndup (hp, (gsize) (colon - hp));
      if (*c->master_host == '\0')
        return bad_value (c, "spark.master", "weft://HOST:PORT, e.g. weft://127.0.0.1:8032",
                          error);
      c->master_port = (guint16) port;
      return TRUE;
    }
  return bad_value (c, "spark.master", expected, error);
}

/* What a staged file may be called (the RM's and the NM's rule). */
static gboolean
stage_name_ok (const char *name)
{
  gsize n = strlen (name);
  if (n == 0 || n > 128 || name[0] == '.')
    return FALSE;
  for (const char *p = name; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '.' && *p != '_' && *p != '-')
      return FALSE;
  return TRUE;
}

/* The program: a path (relative to the current folder) or, without a '/' and with no such file
 * here, a name looked up in PATH. */
static gboolean
resolve_program (SubmitConf *c, const char *program, GError **error)
{
  g_autofree char *path = NULL;
  if (strchr (program, '/') != NULL || g_file_test (program, G_FILE_TEST_EXISTS))
    path = g_canonicalize_filename (program, NULL);
  else
    path = g_find_program_in_path (program);
  if (path == NULL || !g_file_test (path, G_FILE_TEST_EXISTS))
    return usage_error (error, "the program \"%s\" was not found (give its path, e.g. ./%s)",
                        program, program);
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR) || access (path, X_OK) != 0)
    return usage_error (error, "the program %s is not an executable file", path);
  c->program_path = g_steal_pointer (&path);
  c->program_name = g_path_get_basename (c->program_path);
  return TRUE;
}

/* spark.files: a comma-separated list of local files (file: URIs too), white space around the
 * names and empty entries ignored, as Spark splits it. */
static gboolean
resolve_files (SubmitConf *c, GError **error)
{
  const char *list = g_hash_table_lookup (c->props, "spark.files");
  if (list == NULL)
    return TRUE;
  g_auto (GStrv) parts = g_strsplit (list, ",", -1);
  for (guint i = 0; parts[i]; i++)
    {
      const char *f = g_strstrip (parts[i]);
      if (*f == '\0')
        continue;
      if (g_str_has_prefix (f, "file://"))
        f += strlen ("file://");
      else if (g_str_has_prefix (f, "file:"))
        f += strlen ("file:");
      else if (strstr (f, "://") != NULL)
        {
          g_autofree char *src = source_of (c, "spark.files");
          return usage_error (error, "%s: \"%s\" is not a local file (only local paths and "
                              "file: URIs are supported)", src, f);
        }
      g_autofree char *path = g_canonicalize_filename (f, NULL);
      if (!g_file_test (path, G_FILE_TEST_IS_REGULAR) || access (path, R_OK) != 0)
        {
          g_autofree char *src = source_of (c, "spark.files");
          return usage_error (error, "%s: %s is not a readable file", src, path);
        }
      g_ptr_array_add (c->files, g_steal_pointer (&path));
    }
  return TRUE;
}

/* Cluster mode stages the program, the files and the properties under their names. */
static gboolean
check_stage_names (SubmitConf *c, GError **error)
{
  static const char *const rule = "a file sent to the cluster may only be called with letters, "
                                  "digits, '.', '_' and '-', not starting with '.'";
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_hash_table_add (seen, g_strdup (SUBMIT_PROPERTIES_NAME));
  if (!stage_name_ok (c->program_name))
    return usage_error (error, "cannot send the program %s to the cluster: %s", c->program_path,
                        rule);
  if (!g_hash_table_add (seen, g_strdup (c->program_name)))
    return usage_error (error, "the program cannot be called %s: weft-submit uses that name",
                        c->program_name);
  for (guint i = 0; i < c->files->len; i++)
    {
      char *name = g_path_get_basename (c->files->pdata[i]);
      g_ptr_array_add (c->file_names, name);
      if (!stage_name_ok (name))
        return usage_error (error, "--files: cannot send %s to the cluster: %s",
                            (char *) c->files->pdata[i], rule);
      if (!g_hash_table_add (seen, g_strdup (name)))
        return usage_error (error, "--files: %s: another file sent to the cluster has the name "
                            "%s already", (char *) c->files->pdata[i], name);
    }
  return TRUE;
}

/* The values weft-submit uses, or that the driver would reject later: checked now. */
static gboolean
check_values (SubmitConf *c, GError **error)
{
  static const char *const counts[] = { "spark.executor.instances", "spark.executor.cores",
                                         "spark.driver.cores", "spark.yarn.maxAppAttempts" };
  static const char *const sizes[] = { "spark.executor.memory", "spark.driver.memory",
                                       "spark.driver.memoryOverhead" };
  static const char *const bools[] = { "spark.ui.showConsoleProgress",
                                       "spark.yarn.submit.waitAppCompletion" };
  gint32 n;
  gint64 mb;
  gboolean b;
  for (guint i = 0; i < G_N_ELEMENTS (counts); i++)
    {
      const char *v = g_hash_table_lookup (c->props, counts[i]);
      if (v && !parse_count (v, &n))
        return bad_value (c, counts[i], "a whole number from 1 to 100000", error);
    }
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      const char *v = g_hash_table_lookup (c->props, sizes[i]);
      if (v && !submit_parse_memory_mb (v, &mb))
        return bad_value (c, sizes[i], "a size such as 512m or 2g (units k, m, g, t; a bare "
                          "number is MiB)", error);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bools); i++)
    {
      const char *v = g_hash_table_lookup (c->props, bools[i]);
      if (v && !parse_bool (v, &b))
        return bad_value (c, bools[i], "true or false", error);
    }
  const char *queue = g_hash_table_lookup (c->props, "spark.yarn.queue");
  if (queue && *queue == '\0')
    return bad_value (c, "spark.yarn.queue", "a queue name", error);
  const char *name = g_hash_table_lookup (c->props, "spark.app.name");
  if (name && *name == '\0')
    return bad_value (c, "spark.app.name", "a name", error);
  return TRUE;
}

SubmitConf *
submit_conf_resolve (const SubmitArgs *args, GError **error)
{
  g_autoptr(SubmitConf) c = g_new0 (SubmitConf, 1);
  c->props = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  c->origins = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  c->site_confs = g_ptr_array_new_with_free_func (g_free);
  c->warnings = g_ptr_array_new_with_free_func (g_free);
  c->files = g_ptr_array_new_with_free_func (g_free);
  c->file_names = g_ptr_array_new_with_free_func (g_free);
  c->show_progress = -1;
  c->wait_completion = TRUE;

  for (guint f = 0; f < SUBMIT_N_FLAGS; f++)
    if (args->flags[f] != NULL && *args->flags[f] == '\0')
      return usage_error (error, "%s needs a value", flag_defs[f].name), NULL;
  if (args->program == NULL)
    return usage_error (error, "no program to run: weft-submit [options] <program> [program "
                        "arguments]"), NULL;

  /* 1. --conf, which the properties file does not override. */
  if (!apply_confs (c, args, error))
    return NULL;

  /* 2. The properties file: --properties-file replaces weft-defaults.conf, as in spark-submit. */
  const char *dir = args->flags[SUBMIT_FLAG_CONF_DIR];
  if (dir == NULL)
    dir = g_getenv ("WEFT_CONF_DIR");
  if (dir && *dir)
    c->conf_dir = g_strdup (dir);
  if (args->flags[SUBMIT_FLAG_PROPERTIES_FILE])
    {
      c->properties_file = g_canonicalize_filename (args->flags[SUBMIT_FLAG_PROPERTIES_FILE],
                                                    NULL);
      if (!g_file_test (c->properties_file, G_FILE_TEST_IS_REGULAR))
        return usage_error (error, "--properties-file %s: no such file",
                            args->flags[SUBMIT_FLAG_PROPERTIES_FILE]), NULL;
    }
  else if (c->conf_dir)
    {
      g_autofree char *path = g_build_filename (c->conf_dir, "weft-defaults.conf", NULL);
      if (g_file_test (path, G_FILE_TEST_EXISTS))
        c->properties_file = g_canonicalize_filename (path, NULL);
    }
  if (c->properties_file && !apply_properties_file (c, c->properties_file, error))
    return NULL;

  /* 3. The dedicated flags, over both. */
  for (guint f = 0; f < SUBMIT_N_FLAGS; f++)
    if (args->flags[f] != NULL && flag_defs[f].key != NULL)
      submit_conf_set (c, flag_defs[f].key, args->flags[f], flag_defs[f].name);

  /* 4. What nothing set: $WEFT_MASTER (spark-submit reads $MASTER), then Spark's defaults. */
  if (!g_hash_table_contains (c->props, "spark.master"))
    {
      const char *env = g_getenv ("WEFT_MASTER");
      if (env && *env)
        submit_conf_set (c, "spark.master", env, "$WEFT_MASTER");
      else
        submit_conf_set (c, "spark.master", "local[*]", "default");
    }
  if (!g_hash_table_contains (c->props, "spark.submit.deployMode"))
    submit_conf_set (c, "spark.submit.deployMode", "client", "default");

  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init (&it, c->props);
  while (g_hash_table_iter_next (&it, &k, &v))
    if (!value_ok (v))
      return usage_error (error, "%s: a value cannot hold a line break", (char *) k), NULL;

  if (!resolve_master (c, error))
    return NULL;
  const char *mode = g_hash_table_lookup (c->props, "spark.submit.deployMode");
  if (!g_str_equal (mode, "client") && !g_str_equal (mode, "cluster"))
    return bad_value (c, "spark.submit.deployMode", "client or cluster", error), NULL;
  c->cluster_mode = g_str_equal (mode, "cluster");
  if (c->cluster_mode && c->local)
    return usage_error (error, "cluster deploy mode is not compatible with master \"%s\" (use "
                        "--master weft, yarn or weft://HOST:PORT)",
                        (char *) g_hash_table_lookup (c->props, "spark.master")), NULL;
  if (!check_values (c, error) || !resolve_program (c, args->program, error)
      || !resolve_files (c, error))
    return NULL;
  if (!g_hash_table_contains (c->props, "spark.app.name"))
    submit_conf_set (c, "spark.app.name", c->program_name, "default");
  /* Client mode: Spark ships --files to the executors; the driver here reads them where they
   * are, so they are given as absolute paths and nothing is copied. (Cluster mode names them in
   * the driver's work folder once they are staged.) */
  if (!c->cluster_mode && c->files->len > 0)
    {
      g_autoptr(GString) joined = g_string_new (NULL);
      for (guint i = 0; i < c->files->len; i++)
        g_string_append_printf (joined, "%s%s", i ? "," : "", (char *) c->files->pdata[i]);
      submit_conf_set (c, "spark.files", joined->str,
                       g_hash_table_lookup (c->origins, "spark.files"));
    }

  const char *sp = g_hash_table_lookup (c->props, "spark.ui.showConsoleProgress");
  gboolean b;
  if (sp && parse_bool (sp, &b))
    c->show_progress = b;
  const char *wait = g_hash_table_lookup (c->props, "spark.yarn.submit.waitAppCompletion");
  if (wait)
    parse_bool (wait, &c->wait_completion);
  const char *attempts = g_hash_table_lookup (c->props, "spark.yarn.maxAppAttempts");
  if (attempts)
    parse_count (attempts, &c->max_attempts);

  if (c->cluster_mode)
    {
      if (!check_stage_names (c, error))
        return NULL;
      gint64 driver_mb = 0, overhead_mb = 0;
      const char *dm = g_hash_table_lookup (c->props, "spark.driver.memory");
      submit_parse_memory_mb (dm ? dm : DEFAULT_DRIVER_MEMORY, &driver_mb);
      const char *oh = g_hash_table_lookup (c->props, "spark.driver.memoryOverhead");
      if (oh)
        submit_parse_memory_mb (oh, &overhead_mb);
      else
        overhead_mb = MAX (OVERHEAD_MIN_MB, driver_mb * OVERHEAD_PERCENT / 100);
      c->am_memory_mb = driver_mb + overhead_mb;
      const char *dc = g_hash_table_lookup (c->props, "spark.driver.cores");
      c->am_vcores = 1;
      if (dc)
        parse_count (dc, &c->am_vcores);
    }
  return g_steal_pointer (&c);
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

char *
submit_conf_properties_text (SubmitConf *c)
{
  g_autoptr(GPtrArray) keys = g_ptr_array_new ();
  GHashTableIter it;
  gpointer k;
  g_hash_table_iter_init (&it, c->props);
  while (g_hash_table_iter_next (&it, &k, NULL))
    g_ptr_array_add (keys, k);
  g_ptr_array_sort (keys, compare_strings);
  GString *out = g_string_new ("# The effective configuration, written by weft-submit "
                               "(docs/submit.md).\n");
  for (guint i = 0; i < keys->len; i++)
    g_string_append_printf (out, "%s=%s\n", (char *) keys->pdata[i],
                            (char *) g_hash_table_lookup (c->props, keys->pdata[i]));
  return g_string_free (out, FALSE);
}
