/* weft-parse: text to typed values with Spark's CSV rules, and date arithmetic. Each parser takes
 * bytes (not NUL-terminated) and accepts the whole input or nothing: int64 is [+-]?[0-9]+ without
 * spaces and fails on overflow; double is Java's Double.parseDouble subset (decimal with optional
 * fraction and exponent, NaN, [+-]Infinity, Spark's Inf/-Inf; surrounding bytes <= ' ' are
 * ignored, as Java trims; no hex floats or f/d suffixes, on purpose); bool is true/false in any
 * case; dates follow a compiled pattern. All functions are pure and thread-safe. */

#pragma once

#include "weft-schema.h"

G_BEGIN_DECLS

/* weft_parse_int64()'s path for 19 characters or more (overflow checks); same contract. */
gboolean weft_parse_int64_slow (const char *s, gsize len, gint64 *out);

/**
 * weft_parse_int64:
 * @s: bytes
 * @len: their length
 * @out: (out): the value, set only on success
 *
 * Returns: TRUE if @s is an int64 in decimal ([+-]?[0-9]+, no overflow).
 */
static inline gboolean
weft_parse_int64 (const char *s, gsize len, gint64 *out)
{
  gsize i = 0;
  gboolean neg = FALSE;
  guint64 v = 0;

  if (len == 0)
    return FALSE;
  if (s[0] == '-' || s[0] == '+')
    {
      neg = s[0] == '-';
      i = 1;
      if (len == 1)
        return FALSE;
    }
  /* 18 digits cannot overflow: the common case needs no checks. */
  if (len - i > 18)
    return weft_parse_int64_slow (s, len, out);
  for (; i < len; i++)
    {
      unsigned d = (unsigned) (unsigned char) s[i] - '0';

      if (d > 9)
        return FALSE;
      v = v * 10 + d;
    }
  *out = neg ? -(gint64) v : (gint64) v;
  return TRUE;
}

/**
 * weft_parse_double:
 * @s: bytes
 * @len: their length
 * @out: (out): the value (correctly rounded; out-of-range magnitudes give ±inf or 0 as in Java)
 *
 * Returns: TRUE if @s is a double by the rules above.
 */
gboolean weft_parse_double (const char *s, gsize len, double *out);

/**
 * weft_parse_bool:
 * @s: bytes
 * @len: their length
 * @out: (out): the value
 *
 * Returns: TRUE if @s is "true" or "false", ASCII case-insensitive.
 */
static inline gboolean
weft_parse_bool (const char *s, gsize len, gboolean *out)
{
  if (len == 4 && g_ascii_strncasecmp (s, "true", 4) == 0)
    *out = TRUE;
  else if (len == 5 && g_ascii_strncasecmp (s, "false", 5) == 0)
    *out = FALSE;
  else
    return FALSE;
  return TRUE;
}

/* A compiled date pattern: Spark's letters yyyy (4-digit year), MM / dd (2 digits), M / d (1 or
 * 2 digits); any other non-letter stands for itself and text in single quotes is literal. Other
 * letters are rejected when the pattern is compiled. */
#define WEFT_DATE_FORMAT_MAX_TOKENS 32
typedef struct
{
  guint n_tokens;
  struct
  {
    guint8 kind; /* private codes */
    char literal;
  } tokens[WEFT_DATE_FORMAT_MAX_TOKENS];
  gboolean is_default; /* "yyyy-MM-dd": Spark then falls back to lenient ISO parsing */
} WeftDateFormat;

#define WEFT_DATE_FORMAT_DEFAULT "yyyy-MM-dd"

/**
 * weft_date_format_init:
 * @format: (out caller-allocates): the compiled pattern
 * @pattern: a pattern such as "yyyy-MM-dd" or "dd/MM/yyyy"
 * @error: WEFT_ENGINE_ERROR_BAD_OPTION naming the letter that is not supported
 *
 * Returns: TRUE on success.
 */
gboolean weft_date_format_init (WeftDateFormat *format, const char *pattern, GError **error);

/**
 * weft_parse_date:
 * @format: a compiled pattern
 * @s: bytes
 * @len: their length
 * @lenient: also accept what Spark's cast accepts when the pattern is the default one ([+-]yyyy,
 *   yyyy-[m]m, yyyy-[m]m-[d]d, optionally followed by ' ' or 'T' and anything; spaces around) —
 *   Spark does this when reading typed date columns, not when inferring types
 * @out_days: (out): days since 1970-01-01
 *
 * Returns: TRUE if @s is a real calendar date (2023-02-29 is not) in @format.
 */
gboolean weft_parse_date (const WeftDateFormat *format, const char *s, gsize len, gboolean lenient,
                          gint32 *out_days);

/**
 * weft_days_from_civil:
 * @year: proleptic Gregorian year (0 = 1 BC)
 * @month: 1..12
 * @day: 1..31
 *
 * Returns: days since 1970-01-01 (negative before).
 */
gint64 weft_days_from_civil (gint64 year, unsigned month, unsigned day);

/**
 * weft_civil_from_days:
 * @days: days since 1970-01-01
 * @out_year: (out): year
 * @out_month: (out): 1..12
 * @out_day: (out): 1..31
 */
void weft_civil_from_days (gint64 days, gint64 *out_year, unsigned *out_month, unsigned *out_day);

/**
 * weft_format_date:
 * @days: days since 1970-01-01
 * @out: appends yyyy-MM-dd (years past 9999 or before 1 get their sign and all digits)
 */
void weft_format_date (gint32 days, GString *out);

/**
 * weft_parse_infer_type:
 * @s: a non-null value's bytes
 * @len: their length
 * @format: the date pattern
 *
 * Returns: the narrowest type that reads @s, in Spark's order: int64, then double, bool, date
 *   (strict pattern only), else string.
 */
WeftDataType weft_parse_infer_type (const char *s, gsize len, const WeftDateFormat *format);

/**
 * weft_data_type_merge:
 * @a: a type, or 0 for "no value seen yet"
 * @b: a type, or 0
 *
 * Returns: the type both fit: equal types stay, int64 with double is double, 0 gives the other,
 *   anything else is string.
 */
WeftDataType weft_data_type_merge (WeftDataType a, WeftDataType b);

G_END_DECLS
