/* weft-conf: the one configuration loader, and the size and duration syntax. Every key is a row of
 * one static table in weft-conf.c (type, default, bounds, doc); defaults live nowhere else. Layers,
 * lowest first: defaults < *.conf files of the config folder in lexical order < WEFT_<GROUP>_<KEY>
 * variables < --conf group.key=value. Unknown keys and bad values are errors naming their source, and
 * each load step is all-or-nothing. Build a WeftConf on one thread; once loaded any thread may read it. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define WEFT_CONF_ERROR (weft_conf_error_quark ())

typedef enum {
  WEFT_CONF_ERROR_PARSE,        /* INI syntax, or a malformed --conf / command-line argument */
  WEFT_CONF_ERROR_UNKNOWN_KEY,  /* a group or key that is not in the table */
  WEFT_CONF_ERROR_BAD_VALUE,    /* a value that does not parse as the key's type */
  WEFT_CONF_ERROR_OUT_OF_RANGE, /* a value outside the key's bounds */
  WEFT_CONF_ERROR_IO,           /* a config folder or file that cannot be read */
} WeftConfError;

GQuark weft_conf_error_quark (void);

/* ---- Sizes and durations ------------------------------------------------------------------ */

/**
 * weft_parse_size:
 * @text: e.g. "512m", "4g", "1.5g", "64k", "100b", "100" (bytes); surrounding spaces are ignored
 * @out_bytes: (out): the size in bytes
 *
 * Units k, m, g, t are powers of 1024, case-insensitive, optionally followed by "b" or "ib"
 * ("64KiB", "4gb"). A fraction is allowed with a unit and rounds down to whole bytes. Negative
 * numbers, garbage and sizes past G_MAXINT64 bytes are errors (WEFT_CONF_ERROR_BAD_VALUE) whose
 * message quotes @text and says what was expected. @out_bytes is untouched on error.
 *
 * Returns: TRUE on success, FALSE with @error set.
 */
gboolean weft_parse_size (const char *text, gint64 *out_bytes, GError **error);

/**
 * weft_parse_duration:
 * @text: e.g. "500us", "250ms", "30s", "10m", "2h", "1d", "1.5s"; surrounding spaces are ignored
 * @out_usec: (out): the duration in microseconds
 *
 * Units are case-insensitive. A bare number other than zero is an error telling the user to add a
 * unit, because "30" could mean seconds or milliseconds. A fraction rounds down to whole
 * microseconds ("0.0005ms" is 0), except with unit "us" where it is an error, as are negative
 * values, garbage and overflow (WEFT_CONF_ERROR_BAD_VALUE). @out_usec is untouched on error.
 *
 * Returns: TRUE on success, FALSE with @error set.
 */
gboolean weft_parse_duration (const char *text, gint64 *out_usec, GError **error);

/**
 * weft_format_size:
 * @bytes: a size, >= 0
 *
 * Formats @bytes in the largest unit that divides it exactly ("8m", "1536m", "100b", "0"), so the
 * result parses back to the same value with weft_parse_size().
 *
 * Returns: (transfer full): the text.
 */
char *weft_format_size (gint64 bytes);

/**
 * weft_format_duration:
 * @usec: a duration in microseconds, >= 0
 *
 * Formats @usec in the largest unit that divides it exactly ("30s", "1500ms", "1d", "0"), so the
 * result parses back to the same value with weft_parse_duration().
 *
 * Returns: (transfer full): the text.
 */
char *weft_format_duration (gint64 usec);

/* ---- Loading ------------------------------------------------------------------------------ */

typedef struct _WeftConf WeftConf;

/**
 * weft_conf_new:
 *
 * A configuration holding only the built-in defaults, each with origin "default".
 *
 * Returns: (transfer full): a new configuration; free with weft_conf_free().
 */
WeftConf *weft_conf_new (void);

/**
 * weft_conf_free:
 * @conf: (nullable) (transfer full): a configuration
 */
void weft_conf_free (WeftConf *conf);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WeftConf, weft_conf_free)

/**
 * weft_conf_load_file:
 * @conf: a configuration
 * @path: an INI file
 *
 * Applies every key of @path over @conf. A group [GROUP] holds keys of the table's GROUP; a group
 * [KIND.NAME] (e.g. [queue.root.prod]) defines instance NAME of KIND. Unknown groups and keys,
 * bad values and out-of-range values are errors naming @path, the group and the key, with a
 * "did you mean" hint when a known key is near. All or nothing: on error @conf is unchanged.
 *
 * Returns: TRUE on success, FALSE with @error set.
 */
gboolean weft_conf_load_file (WeftConf *conf, const char *path, GError **error);

/**
 * weft_conf_load_dir:
 * @conf: a configuration
 * @dir: the config folder
 *
 * Applies every "*.conf" regular file of @dir (not hidden, not in subfolders) in lexical byte
 * order, so a later file overrides an earlier one, and records @dir (made absolute) as the folder
 * weft_conf_dir() returns. A missing folder is an error (WEFT_CONF_ERROR_IO). All or nothing: if any
 * file fails, @conf is unchanged.
 *
 * Returns: TRUE on success, FALSE with @error set.
 */
gboolean weft_conf_load_dir (WeftConf *conf, const char *dir, GError **error);

/**
 * weft_conf_load_env:
 * @conf: a configuration
 * @envp: (nullable): an environment as from g_get_environ(); NULL for the process's own
 *
 * For each known (non-instance) key "group.key", applies the variable WEFT_GROUP_KEY (upper case,
 * '-' and '.' turned into '_'), e.g. WEFT_RPC_CALL_TIMEOUT; an empty variable counts as set. Only
 * table keys are looked up, so unrelated WEFT_* variables are ignored. Errors name the variable.
 * All or nothing.
 *
 * Returns: TRUE on success, FALSE with @error set.
 */
gboolean weft_conf_load_env (WeftConf *conf, char **envp, GError **error);

/**
 * weft_conf_set:
 * @conf: a configuration
 * @assignment: "group.key=value", e.g. "rpc.call-timeout=5s" or "queue.root.prod.capacity=40"
 *   (for an instance the key is the last dot-separated component; the instance is created if new)
 *
 * Applies one --conf override, origin "--conf". Spaces around the key and the value are ignored.
 *
 * Returns: TRUE on success, FALSE with @error set (and @conf unchanged).
 */
gboolean weft_conf_set (WeftConf *conf, const char *assignment, GError **error);

/**
 * weft_conf_load:
 * @dir: (nullable): the config folder; NULL for $WEFT_CONF_DIR, else "conf"
 * @overrides: (nullable) (array zero-terminated=1): "group.key=value" strings, applied in order
 *
 * Builds a configuration from all layers: defaults, the folder's files, the process environment,
 * then @overrides. A folder given by @dir or $WEFT_CONF_DIR must exist; the implicit "conf" may be
 * missing (then weft_conf_dir() still returns it, made absolute).
 *
 * Returns: (transfer full) (nullable): the configuration, or NULL with @error set.
 */
WeftConf *weft_conf_load (const char *dir, char **overrides, GError **error);

/**
 * weft_conf_parse_args:
 * @argc: (inout): argument count
 * @argv: (inout): arguments; the options below are removed, all others are left for the caller
 * @out: (out) (transfer full): the loaded configuration, set only on success
 *
 * For daemons and tools: handles --conf GROUP.KEY=VALUE (repeatable), --conf-dir DIR and
 * --verbose/-v (repeatable), then calls weft_conf_load(). Each -v raises log.level (once: at least
 * info, twice: debug; origin "--verbose"); it never lowers it. --help is left in @argv.
 * Bad arguments are WEFT_CONF_ERROR_PARSE. A daemon's start:
 *
 *   weft_log_init ("weft-rm", 0);
 *   if (!weft_conf_parse_args (&argc, &argv, &conf, &error))
 *     { g_printerr ("weft-rm: %s\n", error->message); return 2; }
 *   if (weft_log_level_from_name (weft_conf_get_string (conf, "log.level"), &level))
 *     weft_log_set_level (level);
 *
 * Returns: TRUE on success, FALSE with @error set.
 */
gboolean weft_conf_parse_args (int *argc, char ***argv, WeftConf **out, GError **error);

/* ---- Reading ------------------------------------------------------------------------------ */
/* @key is the full name, e.g. "rpc.call-timeout". Asking for a key that is not in the table, or
 * with the wrong getter for its type, is a programmer error: it logs a critical and returns 0,
 * FALSE or NULL. A getter returns the value as stored: for sizes bytes, for durations microseconds. */

/** weft_conf_get_int: Returns: the value of INT key @key. */
gint64 weft_conf_get_int (WeftConf *conf, const char *key);
/** weft_conf_get_size: Returns: the value of SIZE key @key, in bytes. */
gint64 weft_conf_get_size (WeftConf *conf, const char *key);
/** weft_conf_get_duration: Returns: the value of DURATION key @key, in microseconds. */
gint64 weft_conf_get_duration (WeftConf *conf, const char *key);
/** weft_conf_get_bool: Returns: the value of BOOL key @key. */
gboolean weft_conf_get_bool (WeftConf *conf, const char *key);
/** weft_conf_get_double: Returns: the value of DOUBLE key @key. */
double weft_conf_get_double (WeftConf *conf, const char *key);
/**
 * weft_conf_get_string:
 * Returns: (transfer none): the value of STRING or ENUM key @key (an ENUM value is spelled as in
 *   the table's choices), valid as long as @conf.
 */
const char *weft_conf_get_string (WeftConf *conf, const char *key);

/**
 * weft_conf_origin:
 * @key: a full key name, global ("rpc.call-timeout") or of an instance ("queue.root.prod.capacity")
 *
 * Returns: (transfer none) (nullable): where the value came from: "default", a file path,
 *   "env WEFT_X", "--conf" or "--verbose"; NULL (with a critical) for an unknown key.
 */
const char *weft_conf_origin (WeftConf *conf, const char *key);

/**
 * weft_conf_dir:
 *
 * Returns: (transfer none) (nullable): the absolute config folder last given to
 *   weft_conf_load_dir() or weft_conf_load(), for resolving relative paths; NULL if none.
 */
const char *weft_conf_dir (WeftConf *conf);

/**
 * weft_conf_resolve_path:
 * @path: a path from the configuration (e.g. security.secret-file)
 *
 * Returns: (transfer full): @path if absolute, else @path under weft_conf_dir() (or under the
 *   current directory when there is none).
 */
char *weft_conf_resolve_path (WeftConf *conf, const char *path);

/**
 * weft_conf_dump:
 *
 * Every key, one "name = value (origin)" line each: the global keys in table order, then each
 * instance's keys, instances sorted by kind and name. Sizes and durations are printed with
 * weft_format_size() and weft_format_duration(), an empty string as "". For --verbose output
 * and tests.
 *
 * Returns: (transfer full): the text.
 */
char *weft_conf_dump (WeftConf *conf);

/**
 * weft_conf_template:
 *
 * The commented site configuration (conf/weft-site.conf): every key with its doc line, bounds or
 * choices, and its default commented out, including one example instance group per kind.
 * Uncommenting every "#key = value" and "#[group]" line gives a file that loads to the defaults.
 *
 * Returns: (transfer full): the text.
 */
char *weft_conf_template (void);

/* ---- Instance groups ---------------------------------------------------------------------- */
/* Some config is per named object: [queue.root.prod] is instance "root.prod" of kind "queue".
 * Instance keys have defaults like any key; they come from files and --conf only (no environment). */

/**
 * weft_conf_list_instances:
 * @kind: an instance kind, e.g. "queue"
 *
 * Returns: (transfer full) (array zero-terminated=1): the instance names of @kind, sorted
 *   (byte order); empty if none. Free with g_strfreev().
 */
char **weft_conf_list_instances (WeftConf *conf, const char *kind);

/**
 * weft_conf_has_instance:
 *
 * Returns: whether instance @name of @kind was defined (by a file group or a --conf override).
 */
gboolean weft_conf_has_instance (WeftConf *conf, const char *kind, const char *name);

/* Instance getters: @kind "queue", @name "root.prod", @key "capacity". Asking for an undefined
 * instance, an unknown key or the wrong type is a programmer error (critical, returns 0/FALSE/NULL). */

/** weft_conf_get_instance_int: Returns: the value of INT key @key of instance @name of @kind. */
gint64 weft_conf_get_instance_int (WeftConf *conf, const char *kind, const char *name, const char *key);
/** weft_conf_get_instance_size: Returns: the SIZE value, in bytes. */
gint64 weft_conf_get_instance_size (WeftConf *conf, const char *kind, const char *name, const char *key);
/** weft_conf_get_instance_duration: Returns: the DURATION value, in microseconds. */
gint64 weft_conf_get_instance_duration (WeftConf *conf, const char *kind, const char *name,
                                        const char *key);
/** weft_conf_get_instance_bool: Returns: the BOOL value. */
gboolean weft_conf_get_instance_bool (WeftConf *conf, const char *kind, const char *name, const char *key);
/** weft_conf_get_instance_double: Returns: the DOUBLE value. */
double weft_conf_get_instance_double (WeftConf *conf, const char *kind, const char *name, const char *key);
/** weft_conf_get_instance_string: Returns: (transfer none): the STRING or ENUM value. */
const char *weft_conf_get_instance_string (WeftConf *conf, const char *kind, const char *name,
                                           const char *key);

G_END_DECLS
