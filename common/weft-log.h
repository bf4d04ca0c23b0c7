/* weft-log: how every Weft program logs. weft_log_init() installs a GLib log writer that prints
 * each record as one line on stderr, "2024-05-01T12:34:56.789Z WARN weft-rm[4242] weft-rpc: text",
 * and drops records below a process-wide threshold before formatting the line. Code logs with
 * g_debug()/g_info()/g_message()/g_warning(); fatal levels still abort as GLib does. Any thread may
 * log and read the threshold; call weft_log_init() once, early, from the main thread. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * weft_log_init:
 * @program: (nullable): the name shown before [pid], e.g. "weft-rm"; NULL for g_get_prgname()
 * @verbosity: 0 logs messages and above, 1 adds info, 2 or more adds debug
 *
 * Installs the writer (the first call only: GLib allows one writer per process; later calls just
 * update @program and the threshold) and sets the threshold from @verbosity. Info and debug
 * records of the domains listed in G_MESSAGES_DEBUG (or all, for "all") pass whatever the
 * threshold, as with GLib's own writer.
 */
void weft_log_init (const char *program, int verbosity);

/**
 * weft_log_set_level:
 * @level: the least severe level written: G_LOG_LEVEL_ERROR, _WARNING, _MESSAGE, _INFO or _DEBUG
 *
 * Sets the threshold, e.g. from the config key log.level (see weft_log_level_from_name()).
 * Errors and criticals are always written.
 */
void weft_log_set_level (GLogLevelFlags level);

/**
 * weft_log_get_level:
 *
 * Returns: the current threshold (G_LOG_LEVEL_MESSAGE until set).
 */
GLogLevelFlags weft_log_get_level (void);

/**
 * weft_log_level_from_name:
 * @name: "error", "warning", "message", "info" or "debug" (the choices of log.level)
 * @out_level: (out): the level
 *
 * Returns: TRUE if @name is a level; FALSE (and @out_level untouched) otherwise.
 */
gboolean weft_log_level_from_name (const char *name, GLogLevelFlags *out_level);

/**
 * weft_log_enabled:
 * @level: a log level
 *
 * Cheap (one atomic read): whether a record at @level might be written, so callers can skip
 * computing costly arguments. GLib formats a message before the writer sees it, so a dropped
 * g_debug() still costs its formatting: prefer weft_debug()/weft_info() in hot paths.
 *
 * Returns: FALSE if a record at @level is certainly dropped.
 */
gboolean weft_log_enabled (GLogLevelFlags level);

/* g_debug()/g_info() that neither evaluate their arguments nor format when the level is off. */
#define weft_debug(...)                                                                                  \
  G_STMT_START                                                                                         \
  {                                                                                                    \
    if (weft_log_enabled (G_LOG_LEVEL_DEBUG))                                                          \
      g_debug (__VA_ARGS__);                                                                           \
  }                                                                                                    \
  G_STMT_END
#define weft_info(...)                                                                                   \
  G_STMT_START                                                                                         \
  {                                                                                                    \
    if (weft_log_enabled (G_LOG_LEVEL_INFO))                                                           \
      g_info (__VA_ARGS__);                                                                            \
  }                                                                                                    \
  G_STMT_END

G_END_DECLS
