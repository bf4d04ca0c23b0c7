/* submit-conf: what weft-submit is asked to do, read as spark-submit reads it. The command line
 * (options up to the program, the program's own arguments after it); the properties file
 * (--properties-file FILE, else <config folder>/weft-defaults.conf, in spark-defaults.conf's
 * format); --conf. They merge in Spark's order, lowest first: the properties file < --conf <
 * the dedicated flags (--master beats --conf spark.master, as in spark-submit), with
 * $WEFT_MASTER and built-in defaults only where none of them says anything. Then every value
 * weft-submit itself uses is checked, and a bad one is a WEFT_YARN_ERROR_USAGE (weft-yarn-rpc.h:
 * the domain of the tools, exit status 2) that names the flag, or the key and where it came from,
 * and says what is accepted. No RPC; reads only the properties file and looks the program and
 * --files up on disk. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The options that take a value, in the order --help lists them. */
typedef enum {
  SUBMIT_FLAG_MASTER,
  SUBMIT_FLAG_DEPLOY_MODE,
  SUBMIT_FLAG_NAME,
  SUBMIT_FLAG_QUEUE,
  SUBMIT_FLAG_NUM_EXECUTORS,
  SUBMIT_FLAG_EXECUTOR_CORES,
  SUBMIT_FLAG_EXECUTOR_MEMORY,
  SUBMIT_FLAG_DRIVER_MEMORY,
  SUBMIT_FLAG_DRIVER_CORES,
  SUBMIT_FLAG_FILES,
  SUBMIT_FLAG_PROPERTIES_FILE,
  SUBMIT_FLAG_CONF_DIR,
  SUBMIT_N_FLAGS
} SubmitFlag;

/* The staged (cluster mode) or written (client mode) effective properties file's name. */
#define SUBMIT_PROPERTIES_NAME "weft-submit.properties"

typedef struct {
  char *flags[SUBMIT_N_FLAGS];  /* NULL where not given; the last one given wins */
  GPtrArray *confs;             /* "KEY=VALUE" of each --conf, in order */
  gboolean verbose, help, version;
  char *program;                /* (nullable) the program as given */
  GStrv program_args;           /* what follows it */
} SubmitArgs;

/**
 * submit_args_parse:
 * Reads @argv as spark-submit does: "--opt value" or "--opt=value" up to the first argument
 * that is not an option, the program; all after it are the program's. --help and --version
 * stop reading (so "weft-submit --help" needs no program).
 */
gboolean submit_args_parse (int argc, char **argv, SubmitArgs *out, GError **error);
void submit_args_clear (SubmitArgs *a);

/** submit_flag_name: (transfer none) "--master", ... */
const char *submit_flag_name (SubmitFlag flag);

typedef struct {
  GHashTable *props;            /* Spark key -> value: the effective properties */
  GHashTable *origins;          /* key -> "--master", "--conf", a file path, "default", ... */
  char *properties_file;        /* (nullable) the file that was read */
  char *conf_dir;               /* (nullable) --conf-dir, else $WEFT_CONF_DIR */
  GPtrArray *site_confs;        /* "group.key=value" from --conf for Weft's own configuration */
  GPtrArray *warnings;          /* lines to print on stderr, as spark-submit warns */

  gboolean local;               /* local, local[N], local[*]: no cluster */
  char *master_host;            /* (nullable) HOST of weft://HOST:PORT */
  guint16 master_port;
  gboolean cluster_mode;        /* spark.submit.deployMode is cluster */
  char *program_path;           /* absolute */
  GPtrArray *files;             /* absolute paths from spark.files */
  GPtrArray *file_names;        /* cluster mode: each file's name in the work folder */
  char *program_name;           /* its name in the work folder (cluster mode) */
  gint64 am_memory_mb;          /* cluster mode: driver memory + overhead */
  gint32 am_vcores;             /* cluster mode: driver cores */
  gint32 max_attempts;          /* spark.yarn.maxAppAttempts, 0 = the RM's default */
  int show_progress;            /* spark.ui.showConsoleProgress: -1 unset, else 0/1 */
  gboolean wait_completion;     /* spark.yarn.submit.waitAppCompletion */
} SubmitConf;

/**
 * submit_conf_resolve:
 * Merges @args with the properties file and checks the result (see the top of this file).
 * Returns: (transfer full) (nullable): the effective configuration.
 */
SubmitConf *submit_conf_resolve (const SubmitArgs *args, GError **error);
void submit_conf_free (SubmitConf *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SubmitConf, submit_conf_free)

/** submit_conf_set: sets @key (its origin @origin), replacing what was there. */
void submit_conf_set (SubmitConf *c, const char *key, const char *value, const char *origin);

/**
 * submit_conf_properties_text:
 * Returns: (transfer full): every property as a "key=value" line, sorted by key, after a comment
 *   saying what wrote it: the file the driver reads through WEFT_SUBMIT_PROPERTIES.
 */
char *submit_conf_properties_text (SubmitConf *c);

/**
 * submit_parse_memory_mb:
 * A memory amount as Spark takes them (JVM style): a whole number with an optional unit b, k,
 * m, g, t or p (case-insensitive, optionally followed by "b"), a bare number being MiB.
 * @out_mb: (out): rounded up to whole MiB.
 * Returns: FALSE (no error set) if @text is not one or not positive.
 */
gboolean submit_parse_memory_mb (const char *text, gint64 *out_mb);

G_END_DECLS
