/* weft-value-text: typed values to text the way Spark prints them, into caller buffers with no
 * allocation, for the CSV writer and show(). Doubles follow Java's Double.toString (what Spark's
 * cast to string and its CSV writer produce: 50000.0, 1.0E7, 1.5E-5, NaN, Infinity), with the
 * shortest digits that read back exactly (JDK 19+'s rule; older JDKs sometimes print one digit
 * more). Dates follow a Spark dateFormat pattern. All functions are pure and thread-safe. */

#pragma once

#include "weft-parse.h"

G_BEGIN_DECLS

/* Room for the longest text weft_value_text_double() and weft_value_text_int64() write:
 * "-2.2250738585072014E-308" is 24 bytes, "-9223372036854775808" 20. */
#define WEFT_VALUE_TEXT_MAX 32

/**
 * weft_value_text_int64:
 * @value: a value
 * @out: at least WEFT_VALUE_TEXT_MAX bytes; not NUL-terminated
 *
 * Returns: the number of bytes written (decimal, '-' for negatives).
 */
gsize weft_value_text_int64 (gint64 value, char *out);

/**
 * weft_value_text_double:
 * @value: a value
 * @out: at least WEFT_VALUE_TEXT_MAX bytes; not NUL-terminated
 *
 * Java's Double.toString: "NaN", "Infinity", "-Infinity", "0.0", "-0.0"; for 1e-3 <= |v| < 1e7
 * plain decimal with at least one fraction digit (50000.0, 0.001, 1234.5678); otherwise one
 * digit, a point, at least one more digit, 'E' and the exponent (1.0E7, 1.5E-5, -2.5E10).
 *
 * Returns: the number of bytes written.
 */
gsize weft_value_text_double (double value, char *out);

/* A compiled dateFormat for output: Spark's letters yyyy (year, at least 4 digits), MM / dd
 * (2 digits), M / d (no padding); other non-letters stand for themselves and text in single
 * quotes is literal ('' is a quote). The same letters weft_date_format_init() reads. */
#define WEFT_DATE_PRINTER_MAX_TOKENS 32
typedef struct
{
  guint n_tokens;
  struct
  {
    guint8 kind; /* private codes */
    char literal;
  } tokens[WEFT_DATE_PRINTER_MAX_TOKENS];
  gboolean is_default; /* yyyy-MM-dd: a fast path */
  gsize max_bytes;     /* longest text one date can give */
} WeftDatePrinter;

/**
 * weft_date_printer_init:
 * @printer: (out caller-allocates): the compiled pattern
 * @pattern: a pattern such as "yyyy-MM-dd" or "dd/MM/yyyy"
 * @error: WEFT_ENGINE_ERROR_BAD_OPTION naming what is not supported
 *
 * Returns: TRUE on success.
 */
gboolean weft_date_printer_init (WeftDatePrinter *printer, const char *pattern, GError **error);

/**
 * weft_date_printer_format:
 * @printer: a compiled pattern
 * @days: days since 1970-01-01
 * @out: at least printer->max_bytes bytes; not NUL-terminated
 *
 * Years outside 0..9999 are printed with their sign and all their digits, as weft_format_date()
 * does.
 *
 * Returns: the number of bytes written.
 */
gsize weft_date_printer_format (const WeftDatePrinter *printer, gint32 days, char *out);

G_END_DECLS
