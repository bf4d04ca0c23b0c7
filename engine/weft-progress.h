/* weft-progress: the console progress bar, as Spark's ConsoleProgressBar draws it, and the one
 * line that carries a stage's progress from a driver (the AM) through the RM to weft-submit
 * (AllocateRequest.progress_detail, ApplicationReport.progress_detail): "STAGE DONE RUNNING
 * TOTAL", four decimal numbers separated by single spaces, or "" when no stage runs. The driver
 * (client mode) and weft-submit (cluster mode) draw the same bar from these functions.
 * Pure: no I/O, no global state; any thread. Depends on GLib only. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Spark's default: the width of $COLUMNS, else 80. */
#define WEFT_PROGRESS_DEFAULT_WIDTH 80

/* The longest progress detail an RM keeps; longer ones are cut. */
#define WEFT_PROGRESS_DETAIL_MAX 256

/**
 * weft_progress_bar_format:
 * @stage_id: the stage's id
 * @done: its completed tasks
 * @running: its running tasks
 * @total: its tasks
 * @width: the whole bar's width in columns (Spark: the terminal's width, 80 by default)
 *
 * Spark's ConsoleProgressBar text for one stage, without the carriage returns it is drawn
 * between: the header "[Stage N:", then a bar of w = @width - header - tail columns: '=' for the
 * first w * @done / @total columns, '>' at the next one, then spaces; then the tail
 * "(DONE + RUNNING) / TOTAL]". With @done = @total the bar is all '='; when the header and tail
 * leave no room (w <= 0) there is no bar at all, as in Spark. A @total of 0 draws an empty bar
 * (Spark never has a stage without tasks); @done past @total draws a full one.
 * For example (width 80), stage 1 with 3 of 10 done and 2 running:
 * "[Stage 1:=================>                                        (3 + 2) / 10]".
 *
 * Returns: (transfer full): the text, exactly @width bytes unless there is no room for a bar.
 */
char *weft_progress_bar_format (guint stage_id, guint done, guint running, guint total,
                                guint width);

/**
 * weft_progress_bar_clear:
 * @width: the bar's width
 *
 * Returns: (transfer full): what erases a drawn bar, as Spark does: "\r", @width spaces, "\r".
 */
char *weft_progress_bar_clear (guint width);

/**
 * weft_progress_width:
 * @columns: (nullable): the value of $COLUMNS
 *
 * Returns: the bar's width: @columns when it is a whole number from 1 to 10000, else
 *   WEFT_PROGRESS_DEFAULT_WIDTH (Spark reads $COLUMNS the same way).
 */
guint weft_progress_width (const char *columns);

/**
 * weft_progress_detail_format:
 *
 * Returns: (transfer full): the progress detail "STAGE DONE RUNNING TOTAL".
 */
char *weft_progress_detail_format (guint stage_id, guint done, guint running, guint total);

/**
 * weft_progress_detail_parse:
 * @detail: (nullable): a progress detail
 * @stage_id, @done, @running, @total: (out): its numbers, set only on success
 *
 * Reads what weft_progress_detail_format() writes, strictly: four decimal numbers (each at most
 * G_MAXUINT32) separated by single spaces, nothing else. The numbers are not checked against
 * each other (retried and speculative tasks can make DONE + RUNNING exceed TOTAL in Spark too;
 * the bar copes). NULL, "" and anything else give FALSE: no bar to draw.
 *
 * Returns: TRUE if @detail describes a running stage.
 */
gboolean weft_progress_detail_parse (const char *detail, guint *stage_id, guint *done,
                                     guint *running, guint *total);

G_END_DECLS
