/* weft-submit end to end. Client mode needs no cluster: weft-submit runs the stand-in driver
 * tests/tools/submit-test-prog, which prints the properties file it was given, so each test reads
 * back what a driver would see (precedence, flags mapped to Spark keys, --files, the RM address),
 * plus exit codes and usage errors. Cluster mode runs on a real local cluster
 * (tests/integration/cluster-harness: RM and NMs on loopback, security on, stopped even when an
 * assertion fails): the stand-in is staged, runs as the AM, reports progress details that
 * weft-submit draws as Spark's progress bar, and succeeds or fails. Last, the RM's handling of
 * the progress detail an AM sends: kept, replaced, bounded and sanitized. */
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "cluster-harness.h"
#include "weft-fs.h"
#include "weft-progress.h"

static char *
builddir_path (const char *rel)
{
  return g_build_filename (g_getenv ("WEFT_TOP_BUILDDIR"), rel, NULL);
}

typedef struct {
  char *dir;          /* a scratch folder: the current folder of every run */
  char *conf_dir;     /* an empty Weft config folder inside it */
  Cluster *cluster;   /* cluster tests only */
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  f->dir = g_dir_make_tmp ("weft-submit-test-XXXXXX", &error);
  g_assert_no_error (error);
  f->conf_dir = g_build_filename (f->dir, "conf", NULL);
  g_assert_cmpint (g_mkdir (f->conf_dir, 0700), ==, 0);
}

static void
setup_cluster (Fixture *f, gconstpointer data)
{
  setup (f, data);
  f->cluster = cluster_start (1, NULL);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  if (f->cluster)
    cluster_free (f->cluster);
  weft_fs_remove_tree (f->dir, NULL);
  g_free (f->conf_dir);
  g_free (f->dir);
}

static void
write_file (Fixture *f, const char *name, const char *text)
{
  g_autofree char *path = g_build_filename (f->dir, name, NULL);
  g_autoptr(GError) error = NULL;
  g_assert_true (g_file_set_contents (path, text, -1, &error));
}

/* Runs weft-submit with @args in the scratch folder, with @env_extra ("NAME=VALUE", nullable)
 * on a clean environment. Returns its exit status (128 + N for signal N). */
static int
submit (Fixture *f, const char *const *args, const char *const *env_extra, char **out, char **err)
{
  g_autofree char *bin = builddir_path ("engine/submit/weft-submit");
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_ptr_array_add (argv, bin);
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);
  g_auto (GStrv) env = g_get_environ ();
  static const char *const unset[] = { "WEFT_CONF_DIR", "WEFT_MASTER", "WEFT_CLIENT_TOKEN_FILE",
                                       "COLUMNS", "WEFT_SUBMIT_PROPERTIES" };
  for (guint i = 0; i < G_N_ELEMENTS (unset); i++)
    env = g_environ_unsetenv (env, unset[i]);
  for (guint i = 0; env_extra && env_extra[i]; i++)
    {
      g_auto (GStrv) kv = g_strsplit (env_extra[i], "=", 2);
      env = g_environ_setenv (env, kv[0], kv[1], TRUE);
    }
  int status = -1;
  g_autoptr(GError) error = NULL;
  g_autofree char *o = NULL, *e = NULL;
  g_assert_true (g_spawn_sync (f->dir, (char **) argv->pdata, env, G_SPAWN_DEFAULT, NULL, NULL,
                               &o, &e, &status, &error));
  g_assert_no_error (error);
  g_test_message ("weft-submit %s ...: status %d\nstdout:\n%s\nstderr:\n%s", args[0], status, o,
                  e);
  if (out)
    *out = g_steal_pointer (&o);
  if (err)
    *err = g_steal_pointer (&e);
  if (WIFEXITED (status))
    return WEXITSTATUS (status);
  return 128 + WTERMSIG (status);
}

static char *prog;  /* the stand-in driver */

/* The properties the stand-in printed, as a table. */
static GHashTable *
properties_of (const char *out)
{
  const char *start = strstr (out, "--- properties\n");
  const char *end = start ? strstr (start, "--- end\n") : NULL;
  g_assert_nonnull (end);
  g_autofree char *block = g_strndup (start + strlen ("--- properties\n"),
                                      (gsize) (end - start) - strlen ("--- properties\n"));
  GHashTable *t = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_auto (GStrv) lines = g_strsplit (block, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    {
      if (lines[i][0] == '#' || lines[i][0] == '\0')
        continue;
      char *eq = strchr (lines[i], '=');
      g_assert_nonnull (eq);
      g_hash_table_insert (t, g_strndup (lines[i], (gsize) (eq - lines[i])), g_strdup (eq + 1));
    }
  return t;
}

#define assert_prop(t, k, v) g_assert_cmpstr (g_hash_table_lookup ((t), (k)), ==, (v))

/* ---- usage ---- */

static void
test_help_version (Fixture *f, gconstpointer data)
{
  const char *help[] = { "--help", NULL }, *version[] = { "--version", NULL };
  g_autofree char *out = NULL, *vout = NULL;
  g_assert_cmpint (submit (f, help, NULL, &out, NULL), ==, 0);
  g_assert_true (g_str_has_prefix (out, "Usage: weft-submit [options] <program>"));
  static const char *const flags[] = { "--master", "--deploy-mode", "--name", "--queue", "--num-executors",
                                       "--executor-cores", "--executor-memory", "--driver-memory",
                                       "--driver-cores", "--conf", "--properties-file", "--files",
                                       "--verbose", "--version" };
  for (guint i = 0; i < G_N_ELEMENTS (flags); i++)
    g_assert_nonnull (strstr (out, flags[i]));
  g_assert_cmpint (submit (f, version, NULL, &vout, NULL), ==, 0);
  g_assert_true (g_str_has_prefix (vout, "weft-submit "));
}

typedef struct {
  const char *args[8];
  const char *message;   /* a part of the error */
} BadCase;

static void
test_bad_flags (Fixture *f, gconstpointer data)
{
  write_file (f, "notexec", "not a program\n");
  write_file (f, "bad.properties", "spark.executor.cores many\n");
  write_file (f, "novalue.properties", "# fine\nspark.executor.memory\n");
  const BadCase cases[] = {
    { { NULL }, "no program to run" },
    { { "--master", "foo", prog }, "--master \"foo\": expected local, local[N], local[*], weft, "
                                    "yarn or weft://HOST:PORT" },
    { { "--master=spark://h:7077", prog }, "--master \"spark://h:7077\": expected local" },
    { { "--master", "local[0]", prog }, "local[N] with N a whole number from 1 to 100000" },
    { { "--master", "weft://nohost", prog }, "expected weft://HOST:PORT" },
    { { "--master", "weft://h:99999", prog }, "expected weft://HOST:PORT" },
    { { "--deploy-mode", "remote", prog }, "--deploy-mode \"remote\": expected client or cluster" },
    { { "--deploy-mode", "cluster", "--master", "local[2]", prog },
      "cluster deploy mode is not compatible with master \"local[2]\"" },
    { { "--num-executors", "0", prog },
      "--num-executors \"0\": expected a whole number from 1 to 100000" },
    { { "--executor-cores", "x", prog }, "--executor-cores \"x\": expected a whole number" },
    { { "--driver-cores", "-1", prog }, "--driver-cores \"-1\": expected a whole number" },
    { { "--executor-memory", "1.5g", prog },
      "--executor-memory \"1.5g\": expected a size such as 512m or 2g" },
    { { "--driver-memory", "2q", prog }, "--driver-memory \"2q\": expected a size" },
    { { "--name", "", prog }, "--name needs a value" },
    { { "--bogus", prog }, "unrecognized option \"--bogus\"" },
    { { "--master" }, "--master needs a value" },
    { { "--conf", "foo", prog }, "--conf \"foo\": expected KEY=VALUE" },
    { { "--conf", "spark.executor.memory=lots", prog },
      "--conf spark.executor.memory=\"lots\": expected a size" },
    { { "--conf", "spark.ui.showConsoleProgress=maybe", prog }, "expected true or false" },
    { { "--conf", "spark.a b=1", prog }, "a key cannot hold spaces" },
    { { "--conf", "rpc.call-timeout=forever", prog }, "--conf rpc.call-timeout=forever" },
    { { "--properties-file", "missing.properties", prog }, "--properties-file missing.properties: "
                                                            "no such file" },
    { { "--properties-file", "bad.properties", prog },
      "spark.executor.cores = \"many\" (" },
    { { "--properties-file", "novalue.properties", prog }, "novalue.properties:2: "
                                                            "\"spark.executor.memory\" has no value" },
    { { "--files", "nothere.csv", prog }, "nothere.csv is not a readable file" },
    { { "--files", "hdfs://nn/x.csv", prog }, "is not a local file" },
    { { "no-such-program" }, "the program \"no-such-program\" was not found" },
    { { "./notexec" }, "is not an executable file" },
    { { "--master", "weft", "--conf-dir", "missing-dir", prog }, "does not exist" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *out = NULL, *err = NULL;
      g_assert_cmpint (submit (f, cases[i].args, NULL, &out, &err), ==, 2);
      if (strstr (err, cases[i].message) == NULL)
        g_error ("case %u: \"%s\" not in: %s", i, cases[i].message, err);
      g_assert_true (g_str_has_prefix (err, "weft-submit: "));
      /* Nothing ran. */
      g_assert_null (strstr (out, "--- properties"));
    }
}

/* ---- client mode ---- */

static void
test_flags_to_properties (Fixture *f, gconstpointer data)
{
  write_file (f, "lookup.csv", "id,name\n1,a\n");
  /* Everything after the program is the program's, flags included. */
  const char *args[] = { "--master", "local[3]", "--name", "flags", "--queue", "prod",
                         "--num-executors=4", "--executor-cores", "2", "--executor-memory", "3g",
                         "--driver-memory", "512m", "--driver-cores", "2", "--files",
                         " lookup.csv, ", "--conf", "spark.sql.shuffle.partitions=7", prog,
                         "one", "--master", "two words", "", NULL };
  g_autofree char *out = NULL, *err = NULL;
  g_assert_cmpint (submit (f, args, NULL, &out, &err), ==, 0);
  g_autoptr(GHashTable) p = properties_of (out);
  g_autofree char *csv = g_build_filename (f->dir, "lookup.csv", NULL);
  assert_prop (p, "spark.master", "local[3]");
  assert_prop (p, "spark.app.name", "flags");
  assert_prop (p, "spark.submit.deployMode", "client");
  assert_prop (p, "spark.yarn.queue", "prod");
  assert_prop (p, "spark.executor.instances", "4");
  assert_prop (p, "spark.executor.cores", "2");
  assert_prop (p, "spark.executor.memory", "3g");
  assert_prop (p, "spark.driver.memory", "512m");
  assert_prop (p, "spark.driver.cores", "2");
  assert_prop (p, "spark.files", csv);
  assert_prop (p, "spark.sql.shuffle.partitions", "7");
  /* Nothing else: no RM address for a local master. */
  g_assert_cmpuint (g_hash_table_size (p), ==, 11);
  g_assert_nonnull (strstr (out, "arg[1]=one\narg[2]=--master\narg[3]=two words\narg[4]=\n"));
  g_assert_null (strstr (out, "arg[5]"));
  g_autofree char *line = g_strdup_printf ("file %s: id,name\n", csv);
  g_assert_nonnull (strstr (out, line));
  /* The driver runs in the submitter's folder. */
  g_autofree char *cwd = g_strdup_printf ("cwd=%s\n", f->dir);
  g_assert_nonnull (strstr (out, cwd));
  g_assert_cmpstr (err, ==, "");
}

static void
test_precedence (Fixture *f, gconstpointer data)
{
  /* weft-defaults.conf in the config folder: the lowest layer. */
  g_autofree char *defaults = g_build_filename (f->conf_dir, "weft-defaults.conf", NULL);
  g_assert_true (g_file_set_contents (defaults,
                                      "# Spark's format\n"
                                      "spark.master          local[2]\n"
                                      "spark.app.name=from-defaults\n"
                                      "spark.executor.memory: 1g\n"
                                      "spark.executor.cores  1\n"
                                      "! another comment\n"
                                      "spark.driver.memory   1g\n"
                                      "spark.only.defaults   yes\n"
                                      "hadoop.ignored        1\n"
                                      "\n"
                                      "spark.driver.memory   768m\n",
                                      -1, NULL));
  g_autofree char *dir_env = g_strdup_printf ("WEFT_CONF_DIR=%s", f->conf_dir);
  const char *env[] = { dir_env, NULL };
  /* --conf beats the file; a dedicated flag beats --conf, as in spark-submit. */
  const char *args[] = { "--conf", "spark.executor.memory=2g", "--conf", "spark.executor.cores=2",
                         "--executor-cores", "3", "--conf", "spark.executor.cores=4",
                         "--conf", "spark.app.name=from-conf", "--conf", "other.key=1", prog,
                         NULL };
  g_autofree char *out = NULL, *err = NULL;
  g_assert_cmpint (submit (f, args, env, &out, &err), ==, 0);
  g_autoptr(GHashTable) p = properties_of (out);
  assert_prop (p, "spark.master", "local[2]");              /* file */
  assert_prop (p, "spark.driver.memory", "768m");           /* file, its later line */
  assert_prop (p, "spark.only.defaults", "yes");            /* file */
  assert_prop (p, "spark.executor.memory", "2g");           /* --conf over file */
  assert_prop (p, "spark.app.name", "from-conf");           /* --conf over file */
  assert_prop (p, "spark.executor.cores", "3");             /* flag over --conf over file */
  g_assert_false (g_hash_table_contains (p, "hadoop.ignored"));
  g_assert_false (g_hash_table_contains (p, "other.key"));
  g_assert_nonnull (strstr (err, "Warning: Ignoring non-Spark config property: hadoop.ignored"));
  g_assert_nonnull (strstr (err, "Warning: Ignoring non-Spark config property: other.key"));

  /* --properties-file replaces weft-defaults.conf: nothing of it is read. */
  write_file (f, "job.properties", "spark.executor.memory 5g\nspark.app.name job\n");
  const char *args2[] = { "--properties-file", "job.properties", "--name", "flag-name", prog,
                          NULL };
  g_autofree char *out2 = NULL;
  g_assert_cmpint (submit (f, args2, env, &out2, NULL), ==, 0);
  g_autoptr(GHashTable) p2 = properties_of (out2);
  assert_prop (p2, "spark.executor.memory", "5g");
  assert_prop (p2, "spark.app.name", "flag-name");
  assert_prop (p2, "spark.master", "local[*]");             /* the default, not the defaults file */
  g_assert_false (g_hash_table_contains (p2, "spark.only.defaults"));
  g_assert_false (g_hash_table_contains (p2, "spark.driver.memory"));

  /* Where nothing sets the master: $WEFT_MASTER, then local[*]; the name: the program's. */
  const char *env3[] = { "WEFT_MASTER=local[5]", NULL };
  const char *args3[] = { prog, NULL };
  g_autofree char *out3 = NULL;
  g_assert_cmpint (submit (f, args3, env3, &out3, NULL), ==, 0);
  g_autoptr(GHashTable) p3 = properties_of (out3);
  assert_prop (p3, "spark.master", "local[5]");
  assert_prop (p3, "spark.app.name", "submit-test-prog");
  assert_prop (p3, "spark.submit.deployMode", "client");
  g_assert_cmpuint (g_hash_table_size (p3), ==, 3);
  /* ... but a master from anywhere else wins over $WEFT_MASTER, and --master over --conf
   * (-c is --conf's short form). */
  const char *args4[] = { "-c", "spark.master=local", prog, NULL };
  g_autofree char *out4 = NULL;
  g_assert_cmpint (submit (f, args4, env3, &out4, NULL), ==, 0);
  g_autoptr(GHashTable) p4 = properties_of (out4);
  assert_prop (p4, "spark.master", "local");
  const char *args4b[] = { "--master", "local[2]", "--conf", "spark.master=local[7]", prog, NULL };
  g_autofree char *out4b = NULL;
  g_assert_cmpint (submit (f, args4b, env3, &out4b, NULL), ==, 0);
  g_autoptr(GHashTable) p4b = properties_of (out4b);
  assert_prop (p4b, "spark.master", "local[2]");

  /* A bad value in the file is named with the file. */
  g_assert_true (g_file_set_contents (defaults, "spark.executor.instances none\n", -1, NULL));
  g_autofree char *err5 = NULL;
  g_assert_cmpint (submit (f, args3, env, NULL, &err5), ==, 2);
  g_autofree char *want = g_strdup_printf ("spark.executor.instances = \"none\" (%s): expected a "
                                           "whole number", defaults);
  g_assert_nonnull (strstr (err5, want));
  /* ... unless a flag overrides it: then it is never used. */
  const char *args6[] = { "--num-executors", "2", prog, NULL };
  g_assert_cmpint (submit (f, args6, env, NULL, NULL), ==, 0);
}

static void
test_exit_status (Fixture *f, gconstpointer data)
{
  const char *ok[] = { prog, NULL }, *seven[] = { prog, "exit=7", NULL },
             *killed[] = { prog, "kill=9", NULL };
  g_autofree char *out = NULL;
  g_assert_cmpint (submit (f, ok, NULL, &out, NULL), ==, 0);
  g_assert_cmpint (submit (f, seven, NULL, NULL, NULL), ==, 7);
  g_assert_cmpint (submit (f, killed, NULL, NULL, NULL), ==, 128 + 9);
  /* The properties file lived in a private folder that is gone once the driver ended. */
  const char *p = strstr (out, "WEFT_SUBMIT_PROPERTIES=");
  g_assert_nonnull (p);
  g_autofree char *path = g_strndup (p + strlen ("WEFT_SUBMIT_PROPERTIES="),
                                     strcspn (p + strlen ("WEFT_SUBMIT_PROPERTIES="), "\n"));
  g_assert_true (g_str_has_suffix (path, "/weft-submit.properties"));
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_autofree char *folder = g_path_get_dirname (path);
  g_assert_false (g_file_test (folder, G_FILE_TEST_EXISTS));
}

static void
test_sigterm_forwarded (Fixture *f, gconstpointer data)
{
  /* weft-submit passes SIGTERM to the driver and exits with the driver's status. */
  g_autofree char *bin = builddir_path ("engine/submit/weft-submit");
  const char *argv[] = { bin, prog, "sleep=20000", NULL };
  GPid pid;
  int out_fd;
  g_autoptr(GError) error = NULL;
  g_assert_true (g_spawn_async_with_pipes (f->dir, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                                           NULL, NULL, &pid, NULL, &out_fd, NULL, &error));
  /* Wait until the driver runs: it prints its first line after its sleep, so look for it. */
  g_autoptr(GArray) pids = NULL;
  for (int i = 0; i < 500; i++)
    {
      g_clear_pointer (&pids, g_array_unref);
      pids = cluster_pids_matching ("sleep=20000");
      if (pids->len >= 2)
        break;
      g_usleep (10000);
    }
  g_assert_cmpuint (pids->len, >=, 2);
  gint64 t0 = g_get_monotonic_time ();
  kill (pid, SIGTERM);
  int status;
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  close (out_fd);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 128 + SIGTERM);
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 10 * G_USEC_PER_SEC);
  g_autoptr(GArray) left = cluster_pids_matching ("sleep=20000");
  g_assert_cmpuint (left->len, ==, 0);
}

static void
test_cluster_master_address (Fixture *f, gconstpointer data)
{
  /* Client mode with a cluster master: the driver gets the RM's client address, from the Weft
   * configuration (weft, yarn) or the master itself, and the config folder weft-submit used. */
  g_autofree char *site = g_build_filename (f->conf_dir, "weft-site.conf", NULL);
  g_assert_true (g_file_set_contents (site, "[rm]\nhostname = rm.example\nclient-port = 18032\n",
                                      -1, NULL));
  const char *yarn[] = { "--master", "yarn", "--conf-dir", "conf", prog, NULL };
  g_autofree char *out = NULL;
  g_assert_cmpint (submit (f, yarn, NULL, &out, NULL), ==, 0);
  g_autoptr(GHashTable) p = properties_of (out);
  assert_prop (p, "spark.master", "yarn");
  assert_prop (p, "spark.weft.rm.address", "rm.example:18032");
  g_autofree char *exported = g_strdup_printf ("WEFT_CONF_DIR=%s\n", f->conf_dir);
  g_assert_nonnull (strstr (out, exported));

  /* $WEFT_CONF_DIR, and a Weft key given with --conf (not a Spark property). */
  g_autofree char *dir_env = g_strdup_printf ("WEFT_CONF_DIR=%s", f->conf_dir);
  const char *env[] = { dir_env, NULL };
  const char *weft[] = { "--master", "weft", "--conf", "rm.client-port=9999", prog, NULL };
  g_autofree char *out2 = NULL, *err2 = NULL;
  g_assert_cmpint (submit (f, weft, env, &out2, &err2), ==, 0);
  g_autoptr(GHashTable) p2 = properties_of (out2);
  assert_prop (p2, "spark.weft.rm.address", "rm.example:9999");
  g_assert_false (g_hash_table_contains (p2, "rm.client-port"));
  g_assert_null (strstr (err2, "Ignoring"));

  const char *direct[] = { "--master", "weft://10.1.2.3:9000", prog, NULL };
  g_autofree char *out3 = NULL;
  g_assert_cmpint (submit (f, direct, env, &out3, NULL), ==, 0);
  g_autoptr(GHashTable) p3 = properties_of (out3);
  assert_prop (p3, "spark.master", "weft://10.1.2.3:9000");
  assert_prop (p3, "spark.weft.rm.address", "10.1.2.3:9000");
}

static void
test_defaults_beside_site_config (Fixture *f, gconstpointer data)
{
  /* The config folder holds both Weft's configuration and weft-defaults.conf, as Spark's conf/
   * holds spark-defaults.conf: with a cluster master weft-submit reads both. */
  g_autofree char *site = g_build_filename (f->conf_dir, "weft-site.conf", NULL);
  g_assert_true (g_file_set_contents (site, "[rm]\nclient-port = 18032\n", -1, NULL));
  g_autofree char *defaults = g_build_filename (f->conf_dir, "weft-defaults.conf", NULL);
  g_assert_true (g_file_set_contents (defaults, "spark.master yarn\nspark.executor.cores 2\n", -1,
                                      NULL));
  g_autofree char *dir_env = g_strdup_printf ("WEFT_CONF_DIR=%s", f->conf_dir);
  const char *env[] = { dir_env, NULL };
  const char *args[] = { prog, NULL };
  g_autofree char *out = NULL, *err = NULL;
  int code = submit (f, args, env, &out, &err);
  g_assert_cmpint (code, ==, 0);
  g_autoptr(GHashTable) p = properties_of (out);
  assert_prop (p, "spark.master", "yarn");
  assert_prop (p, "spark.executor.cores", "2");
  assert_prop (p, "spark.weft.rm.address", "127.0.0.1:18032");
}

static void
test_verbose (Fixture *f, gconstpointer data)
{
  write_file (f, "v.properties", "spark.executor.memory 2g\n");
  const char *args[] = { "-v", "--properties-file", "v.properties", "--executor-cores", "2", prog,
                         NULL };
  g_autofree char *err = NULL;
  g_assert_cmpint (submit (f, args, NULL, NULL, &err), ==, 0);
  g_autofree char *file = g_build_filename (f->dir, "v.properties", NULL);
  g_autofree char *using = g_strdup_printf ("Using properties file: %s\n", file);
  g_assert_nonnull (strstr (err, using));
  g_autofree char *mem = g_strdup_printf ("  spark.executor.memory=2g  (%s)\n", file);
  g_assert_nonnull (strstr (err, mem));
  g_assert_nonnull (strstr (err, "  spark.executor.cores=2  (--executor-cores)\n"));
  g_assert_nonnull (strstr (err, "  spark.master=local[*]  (default)\n"));
}

/* ---- cluster mode ---- */

/* The flags that point weft-submit at the test cluster, then @args. */
static int
submit_cluster (Fixture *f, const char *const *args, const char *const *env, char **out,
                char **err)
{
  g_autofree char *master = g_strdup_printf ("weft://127.0.0.1:%u", f->cluster->client_port);
  g_autoptr(GPtrArray) a = g_ptr_array_new ();
  const char *fixed[] = { "--master", master, "--deploy-mode", "cluster", "--conf-dir",
                          f->cluster->conf_dir, "--driver-memory", "128m" };
  for (guint i = 0; i < G_N_ELEMENTS (fixed); i++)
    g_ptr_array_add (a, (char *) fixed[i]);
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (a, (char *) args[i]);
  g_ptr_array_add (a, NULL);
  return submit (f, (const char *const *) a->pdata, env, out, err);
}

static char *
app_id_of (const char *err)
{
  const char *p = strstr (err, "Submitted application ");
  g_assert_nonnull (p);
  p += strlen ("Submitted application ");
  return g_strndup (p, strcspn (p, "\n"));
}

static char *
app_logs (Fixture *f, const char *app)
{
  g_autofree char *bin = builddir_path ("rm/weft");
  g_autofree char *cp = g_strdup_printf ("rm.client-port=%u", f->cluster->client_port);
  const char *argv[] = { bin, "--conf-dir", f->cluster->conf_dir, "--conf", cp, "app", "logs", app,
                         NULL };
  g_auto (GStrv) env = g_environ_unsetenv (g_get_environ (), "WEFT_CONF_DIR");
  char *out = NULL;
  int status;
  g_autoptr(GError) error = NULL;
  g_assert_true (g_spawn_sync (NULL, (char **) argv, env, G_SPAWN_DEFAULT, NULL, NULL, &out, NULL,
                               &status, &error));
  g_assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
  return out;
}

static void
test_cluster_succeeds (Fixture *f, gconstpointer data)
{
  write_file (f, "data.txt", "first line of data\nsecond\n");
  const char *env[] = { "COLUMNS=60", NULL };
  const char *args[] = { "--name", "submit-cluster", "--files", "data.txt", "--num-executors", "3",
                         "--conf", "spark.ui.showConsoleProgress=true",
                         "--conf", "spark.yarn.maxAppAttempts=1", prog, "progress",
                         "an argument", NULL };
  g_autofree char *out = NULL, *err = NULL;
  g_assert_cmpint (submit_cluster (f, args, env, &out, &err), ==, 0);
  g_autofree char *app = app_id_of (err);
  g_assert_true (g_str_has_prefix (app, "application_"));
  g_autofree char *final = g_strdup_printf ("Application %s finished with state FINISHED / final "
                                            "status SUCCEEDED\n", app);
  g_assert_nonnull (strstr (err, final));
  g_autofree char *running = g_strdup_printf ("Application report for %s (state: RUNNING)\n", app);
  g_assert_nonnull (strstr (err, running));
  /* The AM's progress detail, drawn as Spark's bar 60 columns wide between carriage returns
   * ("1 1 2 4": 39 columns of bar, 39 * 1 / 4 = 9 done). */
  g_autofree char *bar = weft_progress_bar_format (1, 1, 2, 4, 60);
  g_assert_cmpstr (bar, ==, "[Stage 1:=========>                             (1 + 2) / 4]");
  g_autofree char *drawn = g_strdup_printf ("\r%s\r", bar);
  g_assert_nonnull (strstr (err, drawn));
  /* ... and erased before the next line: 60 spaces between carriage returns. */
  g_autofree char *clear = weft_progress_bar_clear (60);
  const char *after = strstr (err, drawn) + strlen (drawn);
  g_assert_nonnull (strstr (after, clear));
  g_assert_cmpstr (out, ==, "");

  /* The staged program ran in its container with the staged properties and file. */
  g_autofree char *logs = app_logs (f, app);
  g_assert_nonnull (strstr (logs, "arg[1]=progress\narg[2]=an argument\n"));
  g_assert_nonnull (strstr (logs, "WEFT_SUBMIT_PROPERTIES=weft-submit.properties\n"));
  g_autoptr(GHashTable) p = properties_of (logs);
  g_autofree char *address = g_strdup_printf ("127.0.0.1:%u", f->cluster->client_port);
  assert_prop (p, "spark.submit.deployMode", "cluster");
  assert_prop (p, "spark.app.name", "submit-cluster");
  assert_prop (p, "spark.executor.instances", "3");
  assert_prop (p, "spark.driver.memory", "128m");
  assert_prop (p, "spark.weft.rm.address", address);
  assert_prop (p, "spark.files", "data.txt");
  g_autofree char *sha = g_compute_checksum_for_string (G_CHECKSUM_SHA256,
                                                        "first line of data\nsecond\n", -1);
  g_autofree char *staged = g_strdup_printf ("data.txt:26:%s", sha);
  assert_prop (p, "spark.weft.files.staged", staged);
  g_assert_nonnull (strstr (logs, "file data.txt: first line of data\n"));
}

static void
test_cluster_fails (Fixture *f, gconstpointer data)
{
  /* The driver fails and says why: weft-submit exits 1 with the application's diagnostics. */
  const char *args[] = { "--conf", "spark.yarn.maxAppAttempts=1", prog,
                         "fail=the input folder /data/in does not exist", NULL };
  g_autofree char *out = NULL, *err = NULL;
  g_assert_cmpint (submit_cluster (f, args, NULL, &out, &err), ==, 1);
  g_autofree char *app = app_id_of (err);
  g_autofree char *final = g_strdup_printf ("Application %s finished with state FAILED / final "
                                            "status FAILED\n", app);
  g_assert_nonnull (strstr (err, final));
  g_assert_nonnull (strstr (err, "Diagnostics: the input folder /data/in does not exist\n"));
  g_autofree char *logs_hint = g_strdup_printf ("Logs: weft app logs %s\n", app);
  g_assert_nonnull (strstr (err, logs_hint));
  /* No terminal and no spark.ui.showConsoleProgress: no bar, no carriage return. */
  g_assert_null (strchr (err, '\r'));

  /* A driver that dies without finishing: the RM fails its attempt and says how it ended. */
  const char *crash[] = { "--conf", "spark.yarn.maxAppAttempts=1", prog, "crash", NULL };
  g_autofree char *err2 = NULL;
  g_assert_cmpint (submit_cluster (f, crash, NULL, NULL, &err2), ==, 1);
  g_assert_nonnull (strstr (err2, "final status FAILED\n"));
  g_assert_nonnull (strstr (err2, "Diagnostics: "));
  g_assert_nonnull (strstr (err2, "exited"));

  /* spark.yarn.submit.waitAppCompletion=false: exit once submitted. */
  const char *nowait[] = { "--conf", "spark.yarn.submit.waitAppCompletion=false", prog,
                           "sleep=3000", NULL };
  g_autofree char *err3 = NULL;
  gint64 t0 = g_get_monotonic_time ();
  g_assert_cmpint (submit_cluster (f, nowait, NULL, NULL, &err3), ==, 0);
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 3 * G_USEC_PER_SEC);
  g_assert_nonnull (strstr (err3, "Submitted application "));
  g_assert_null (strstr (err3, "finished with state"));
}

static void
test_cluster_usage (Fixture *f, gconstpointer data)
{
  /* Refused by the RM: a driver no node can hold (exit 1, the RM's message). */
  const char *big[] = { "--driver-memory", "64g", prog, NULL };
  g_autofree char *err = NULL;
  g_assert_cmpint (submit_cluster (f, big, NULL, NULL, &err), ==, 1);
  g_assert_nonnull (strstr (err, "RESOURCE_EXHAUSTED"));
  /* A program whose name cannot be staged: a usage error before anything is sent. */
  g_autofree char *odd = g_build_filename (f->dir, "my job", NULL);
  g_autoptr(GError) error = NULL;
  g_assert_true (g_file_set_contents (odd, "#!/bin/sh\n", -1, &error));
  g_assert_cmpint (g_chmod (odd, 0755), ==, 0);
  const char *bad[] = { "./my job", NULL };
  g_autofree char *err2 = NULL;
  g_assert_cmpint (submit_cluster (f, bad, NULL, NULL, &err2), ==, 2);
  g_assert_nonnull (strstr (err2, "may only be called with letters"));
}

static void
test_unreachable (Fixture *f, gconstpointer data)
{
  /* A port nobody listens on: exit 3. */
  int s = socket (AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t len = sizeof a;
  g_assert_cmpint (bind (s, (struct sockaddr *) &a, sizeof a), ==, 0);
  g_assert_cmpint (getsockname (s, (struct sockaddr *) &a, &len), ==, 0);
  close (s);
  g_autofree char *master = g_strdup_printf ("weft://127.0.0.1:%u", ntohs (a.sin_port));
  g_autofree char *site = g_build_filename (f->conf_dir, "weft-site.conf", NULL);
  g_assert_true (g_file_set_contents (site, "[security]\nenabled = false\n[rpc]\nretries = 0\n",
                                      -1, NULL));
  const char *args[] = { "--master", master, "--deploy-mode", "cluster", "--conf-dir", "conf",
                         prog, NULL };
  g_autofree char *err = NULL;
  g_assert_cmpint (submit (f, args, NULL, NULL, &err), ==, 3);
  g_assert_nonnull (strstr (err, "the RM is not reachable at 127.0.0.1:"));
}

/* ---- the RM keeps what an AM says of its progress, within bounds ---- */

static void
test_rm_progress_detail (Fixture *f, gconstpointer data)
{
  g_autofree char *app = NULL;
  g_autoptr(WeftToken) token = cluster_submit_unmanaged (f->cluster, &app);
  g_autofree char *sched = g_strdup_printf ("127.0.0.1:%u", f->cluster->scheduler_port);
  g_autoptr(ClusterAm) am = cluster_am_new (sched, token);
  g_autoptr(GError) error = NULL;
  g_assert_true (cluster_am_register_am (am, &error));
  g_assert_no_error (error);
  /* None yet: the report has no detail at all. */
  g_assert_null (cluster_app_progress_detail (f->cluster, app));

  struct { const char *sent; const char *kept; } cases[] = {
    { "1 3 2 10", "1 3 2 10" },
    { NULL, "1 3 2 10" },                                   /* unset: the last one stays */
    { "", "" },                                             /* no stage runs */
    { "\x1b[2J\x1b]0;owned\x07 1 2 3", " [2J ]0;owned  1 2 3" },  /* no terminal control */
    { "line\nbreak\r\ttab\x7f", "line break  tab " },
    { "bad \xff\xfe utf8 \xc3", "bad \xef\xbf\xbd\xef\xbf\xbd utf8 \xef\xbf\xbd" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_assert_true (cluster_am_heartbeat (am, 0.5, cases[i].sent, &error));
      g_autofree char *got = cluster_app_progress_detail (f->cluster, app);
      g_assert_cmpstr (got, ==, cases[i].kept);
    }

  /* Long ones are cut at 256 bytes, never inside a character. */
  g_autoptr(GString) longer = g_string_new (NULL);
  for (int i = 0; i < 100; i++)
    g_string_append (longer, "0123456789");
  g_assert_true (cluster_am_heartbeat (am, 0.5, longer->str, &error));
  g_autofree char *cut = cluster_app_progress_detail (f->cluster, app);
  g_assert_cmpuint (strlen (cut), ==, WEFT_PROGRESS_DETAIL_MAX);
  g_assert_true (strncmp (cut, longer->str, WEFT_PROGRESS_DETAIL_MAX) == 0);
  g_autoptr(GString) wide = g_string_new (NULL);
  for (int i = 0; i < 255; i++)
    g_string_append_c (wide, 'a');
  g_string_append (wide, "\xc3\xa9tail");                 /* 'é' would end at byte 257 */
  g_assert_true (cluster_am_heartbeat (am, 0.5, wide->str, &error));
  g_autofree char *cut2 = cluster_app_progress_detail (f->cluster, app);
  g_assert_cmpuint (strlen (cut2), ==, 255);
  g_assert_true (g_utf8_validate (cut2, -1, NULL));

  /* Through all of it the RM kept serving, and the AM can still finish. */
  g_assert_true (cluster_am_finish (am, TRUE, "done", &error));
  g_assert_no_error (error);
}

int
main (int argc, char **argv)
{
  /* Run by hand from the build folder: find the binaries from this one's place. */
  if (g_getenv ("WEFT_TOP_BUILDDIR") == NULL)
    {
      g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
      g_autofree char *tools = g_path_get_dirname (self);
      g_autofree char *tests = g_path_get_dirname (tools);
      g_autofree char *top = g_path_get_dirname (tests);
      g_setenv ("WEFT_TOP_BUILDDIR", top, TRUE);
    }
  g_test_init (&argc, &argv, NULL);
  signal (SIGPIPE, SIG_IGN);
  prog = builddir_path ("tests/tools/submit-test-prog");
  g_test_add ("/tools/submit/usage/help-and-version", Fixture, NULL, setup, test_help_version,
              teardown);
  g_test_add ("/tools/submit/usage/bad-flags", Fixture, NULL, setup, test_bad_flags, teardown);
  g_test_add ("/tools/submit/client/flags-to-properties", Fixture, NULL, setup,
              test_flags_to_properties, teardown);
  g_test_add ("/tools/submit/client/precedence", Fixture, NULL, setup, test_precedence, teardown);
  g_test_add ("/tools/submit/client/exit-status", Fixture, NULL, setup, test_exit_status,
              teardown);
  g_test_add ("/tools/submit/client/sigterm-forwarded", Fixture, NULL, setup,
              test_sigterm_forwarded, teardown);
  g_test_add ("/tools/submit/client/cluster-master-address", Fixture, NULL, setup,
              test_cluster_master_address, teardown);
  g_test_add ("/tools/submit/client/defaults-beside-site-config", Fixture, NULL, setup,
              test_defaults_beside_site_config, teardown);
  g_test_add ("/tools/submit/client/verbose", Fixture, NULL, setup, test_verbose, teardown);
  g_test_add ("/tools/submit/cluster/unreachable", Fixture, NULL, setup, test_unreachable,
              teardown);
  g_test_add ("/tools/submit/cluster/succeeds-with-progress-bar", Fixture, NULL, setup_cluster,
              test_cluster_succeeds, teardown);
  g_test_add ("/tools/submit/cluster/driver-fails", Fixture, NULL, setup_cluster,
              test_cluster_fails, teardown);
  g_test_add ("/tools/submit/cluster/refused-and-usage", Fixture, NULL, setup_cluster,
              test_cluster_usage, teardown);
  g_test_add ("/tools/submit/rm/progress-detail", Fixture, NULL, setup_cluster,
              test_rm_progress_detail, teardown);
  int code = g_test_run ();
  g_free (prog);
  return code;
}
