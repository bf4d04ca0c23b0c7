/* weft-show: the text of Spark's Dataset.show(n, truncate, vertical), byte for byte (Spark 3's
 * showString and getRows). Cells are values cast to string: "null" for nulls, integers in
 * decimal, doubles as Java's Double.toString (1.0E7), dates yyyy-MM-dd, true/false; then
 * \n \r \t \f \b \v \a are shown escaped ("\\n"), as Spark 3.4+ does. With truncate > 0 a cell
 * (not a column name) longer than truncate becomes its first truncate-3 characters and "..."
 * (just the first truncate when truncate < 4), and cells are right-aligned; truncate <= 0 keeps
 * cells whole and left-aligns them. Columns are at least 3 wide.
 *
 * Widths are Spark's Utils.stringHalfWidth: UTF-16 code units plus one for each full-width
 * character (Hangul Jamo, CJK, Hangul syllables, full-width forms: Spark's list of ranges), so a
 * CJK character counts 2 and an emoji (a surrogate pair in Java) counts 2 as well. Truncation
 * counts UTF-16 code units, as Java's String.length does; where Java would cut a surrogate pair
 * in half, Weft cuts before it. Invalid UTF-8 counts one per byte. Pure; any thread. */

#pragma once

#include "weft-batch.h"

G_BEGIN_DECLS

/* Spark's defaults: show() is show(20, truncate = true), and truncate = true means 20. */
#define WEFT_SHOW_DEFAULT_ROWS 20
#define WEFT_SHOW_DEFAULT_TRUNCATE 20

/**
 * weft_show_format:
 * @schema: the columns' names
 * @batches: (array length=n_batches): the first rows of the result, in order (their columns
 *   matching @schema); rows past @n are only counted
 * @n_batches: how many
 * @total_rows: the result's row count if known, or -1: then "more rows" means the batches hold
 *   more than @n rows (so collect n + 1 rows, as Spark does)
 * @n: rows to show (negative is 0)
 * @truncate: the cell width limit, or 0 for none
 * @vertical: one block per record instead of a table
 *
 * Returns: (transfer full): the text, with a final newline, as Spark prints it (the footer "only
 *   showing top N rows" — "row" for 1 — when there are more; "(0 rows)" for an empty vertical
 *   result).
 */
char *weft_show_format (const WeftSchema *schema, WeftBatch *const *batches, guint n_batches,
                        gint64 total_rows, int n, int truncate, gboolean vertical);

/**
 * weft_show_string_width:
 * @s: UTF-8 bytes
 * @len: their length
 *
 * Returns: Spark's display width of @s (see above).
 */
gsize weft_show_string_width (const char *s, gsize len);

G_END_DECLS
