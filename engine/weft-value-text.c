/* weft-value-text: values to text as Spark prints them. See weft-value-text.h. */

#include "weft-value-text.h"

#include "weft-engine-error.h"

#include <math.h>
#include <string.h>

/* ---- Integers ------------------------------------------------------------------------------- */

/* "00" .. "99": two digits per division. */
static const char digit_pairs[201] = "0001020304050607080910111213141516171819"
                                     "2021222324252627282930313233343536373839"
                                     "4041424344454647484950515253545556575859"
                                     "6061626364656667686970717273747576777879"
                                     "8081828384858687888990919293949596979899";

static inline unsigned
count_digits (guint64 u)
{
  unsigned n = 1;

  /* Four at a time, then one: most values are short. */
  while (u >= 10000)
    {
      u /= 10000;
      n += 4;
    }
  if (u >= 1000)
    return n + 3;
  if (u >= 100)
    return n + 2;
  if (u >= 10)
    return n + 1;
  return n;
}

gsize
weft_value_text_int64 (gint64 value, char *out)
{
  guint64 u = value < 0 ? 0 - (guint64) value : (guint64) value;
  gsize n = value < 0;
  char *p;

  if (value < 0)
    out[0] = '-';
  n += count_digits (u);
  /* Straight into place from the right, two digits per division. */
  p = out + n;
  while (u >= 100)
    {
      unsigned pair = (unsigned) (u % 100) * 2;

      u /= 100;
      p -= 2;
      p[0] = digit_pairs[pair];
      p[1] = digit_pairs[pair + 1];
    }
  if (u >= 10)
    {
      p[-2] = digit_pairs[u * 2];
      p[-1] = digit_pairs[u * 2 + 1];
    }
  else
    p[-1] = (char) ('0' + u);
  return n;
}

/* ---- Doubles -------------------------------------------------------------------------------- */

/* Exact powers of ten (all of these are representable). */
static const double pow10_exact[] = {
  1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
};

static const gint64 pow10_int[] = {
  1,
  10,
  100,
  1000,
  10000,
  100000,
  1000000,
  10000000,
  100000000,
  1000000000,
  10000000000,
  100000000000,
  1000000000000,
  10000000000000,
  100000000000000,
  1000000000000000,
};

/* Writes m / 10^k (m >= 0, k decimals, at least one) as Java's plain form. */
static gsize
write_fixed (gint64 m, int k, char *out)
{
  gint64 ip = m / pow10_int[k], frac = m % pow10_int[k];
  gsize n = weft_value_text_int64 (ip, out);

  out[n++] = '.';
  for (int i = k - 1; i >= 0; i--)
    {
      out[n + (gsize) i] = (char) ('0' + frac % 10);
      frac /= 10;
    }
  return n + (gsize) k;
}

/* The fast path for 1e-3 <= v < 1e7: the fewest decimals k whose rounding of v reads back as v,
 * tried while the result has at most 15 significant digits. Up to 15 digits a decimal that reads
 * back is unique (DBL_DIG), and v * 10^k is then within 0.25 of it, so the first k that passes
 * the exact check (m / 10^k: both exact, one correctly rounded division, as strtod would round)
 * is the shortest form. Returns 0 when the value needs 16 or 17 digits. */
static gsize
double_fixed_fast (double v, char *out)
{
  int int_digits = 0;

  if (v == floor (v))
    {
      gsize n = weft_value_text_int64 ((gint64) v, out);

      out[n++] = '.';
      out[n++] = '0';
      return n;
    }
  while (int_digits < 7 && v >= pow10_exact[int_digits])
    int_digits++;
  for (int k = 1; k <= 15 - int_digits; k++)
    {
      /* v > 0 and scaled < 1e15: adding 0.5 and truncating rounds well enough, since the
       * exact check below decides. */
      gint64 m = (gint64) (v * pow10_exact[k] + 0.5);

      if ((double) m / pow10_exact[k] == v)
        return write_fixed (m, k, out);
    }
  return 0;
}

/* Shortest round-trip digits of v > 0 (finite) by printf and strtod: "d.ddd" with 15, 16, then 17
 * significant digits, the first that reads back. printf rounds correctly, so each try is the
 * closest decimal of its length, which is what Java picks among equally short candidates. Java
 * also lets a 2-digit decimal beat a 1-digit one when it is closer (it prints Double.MIN_VALUE as
 * 4.9E-324, not 5.0E-324): checked last. Fills @digits (no point, no trailing zeros) and returns
 * their count; *exp10 is the exponent of the first digit. */
static int
double_digits_slow (double v, char *digits, int *exp10)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  int nd = 0, first;
  const char *p;

  /* Up to 15 digits a normal double's decimal is unique (DBL_DIG), so if 15 read back, the
   * 15-digit rounding with its trailing zeros dropped is the shortest. Subnormals have fewer
   * significant bits: there every length is tried. */
  first = v < G_MINDOUBLE ? 1 : 15;
  for (int prec = first; prec <= 17; prec++)
    {
      char format[16];

      g_snprintf (format, sizeof format, "%%.%de", prec - 1);
      g_ascii_formatd (buf, sizeof buf, format, v);
      if (prec == 17 || g_ascii_strtod (buf, NULL) == v)
        break;
    }
  for (p = buf; *p != 'e'; p++)
    if (*p >= '0' && *p <= '9')
      digits[nd++] = *p;
  while (nd > 1 && digits[nd - 1] == '0')
    nd--;
  if (nd == 1)
    {
      /* Only a 1-digit result can be beaten by a closer 2-digit one; see above. */
      char two[G_ASCII_DTOSTR_BUF_SIZE];

      g_ascii_formatd (two, sizeof two, "%.1e", v);
      if (g_ascii_strtod (two, NULL) == v)
        {
          memcpy (buf, two, sizeof two);
          nd = 0;
          for (p = buf; *p != 'e'; p++)
            if (*p >= '0' && *p <= '9')
              digits[nd++] = *p;
          while (nd > 1 && digits[nd - 1] == '0')
            nd--;
        }
    }
  *exp10 = (int) g_ascii_strtoll (p + 1, NULL, 10);
  return nd;
}

gsize
weft_value_text_double (double value, char *out)
{
  char digits[24];
  char *p = out;
  int nd, e;

  if (isnan (value))
    {
      memcpy (out, "NaN", 3);
      return 3;
    }
  if (isinf (value))
    {
      if (value < 0)
        {
          memcpy (out, "-Infinity", 9);
          return 9;
        }
      memcpy (out, "Infinity", 8);
      return 8;
    }
  if (value == 0.0)
    {
      if (signbit (value))
        {
          memcpy (out, "-0.0", 4);
          return 4;
        }
      memcpy (out, "0.0", 3);
      return 3;
    }
  if (value < 0)
    {
      *p++ = '-';
      value = -value;
    }
  if (value >= 1e-3 && value < 1e7)
    {
      gsize n = double_fixed_fast (value, p);

      if (n > 0)
        return (gsize) (p - out) + n;
    }

  digits[0] = '0'; /* always overwritten; tells the compiler so */
  nd = double_digits_slow (value, digits, &e);
  if (e >= -3 && e < 7)
    {
      /* Plain: 1234.5, 0.00123, 50000.0. */
      if (e >= 0)
        {
          for (int i = 0; i <= e; i++)
            *p++ = i < nd ? digits[i] : '0';
          *p++ = '.';
          if (nd > e + 1)
            for (int i = e + 1; i < nd; i++)
              *p++ = digits[i];
          else
            *p++ = '0';
        }
      else
        {
          *p++ = '0';
          *p++ = '.';
          for (int i = 0; i < -e - 1; i++)
            *p++ = '0';
          for (int i = 0; i < nd; i++)
            *p++ = digits[i];
        }
      return (gsize) (p - out);
    }
  /* Computerized scientific notation: 1.0E7, 1.5E-5. */
  *p++ = digits[0];
  *p++ = '.';
  if (nd > 1)
    for (int i = 1; i < nd; i++)
      *p++ = digits[i];
  else
    *p++ = '0';
  *p++ = 'E';
  p += weft_value_text_int64 (e, p);
  return (gsize) (p - out);
}

/* ---- Dates ---------------------------------------------------------------------------------- */

enum
{
  TOK_LITERAL,
  TOK_YEAR4,
  TOK_MONTH2,
  TOK_MONTH,
  TOK_DAY2,
  TOK_DAY,
};

static gboolean
add_token (WeftDatePrinter *printer, const char *pattern, guint8 kind, char literal,
           GError **error)
{
  if (printer->n_tokens == WEFT_DATE_PRINTER_MAX_TOKENS)
    {
      g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION,
                   "dateFormat \"%s\" is too long", pattern);
      return FALSE;
    }
  printer->tokens[printer->n_tokens].kind = kind;
  printer->tokens[printer->n_tokens].literal = literal;
  printer->n_tokens++;
  /* A year takes at most a sign and 7 digits (gint32 days span about ±5.9 million years). */
  printer->max_bytes += kind == TOK_LITERAL ? 1 : kind == TOK_YEAR4 ? 8 : 2;
  return TRUE;
}

gboolean
weft_date_printer_init (WeftDatePrinter *printer, const char *pattern, GError **error)
{
  const char *p = pattern;

  memset (printer, 0, sizeof *printer);
  printer->is_default = strcmp (pattern, WEFT_DATE_FORMAT_DEFAULT) == 0;
  while (*p != '\0')
    {
      if (g_ascii_isalpha (*p))
        {
          char letter = *p;
          gsize run = 0;
          guint8 kind;

          while (p[run] == letter)
            run++;
          if (letter == 'y' && run == 4)
            kind = TOK_YEAR4;
          else if (letter == 'M' && run <= 2)
            kind = run == 2 ? TOK_MONTH2 : TOK_MONTH;
          else if (letter == 'd' && run <= 2)
            kind = run == 2 ? TOK_DAY2 : TOK_DAY;
          else
            {
              g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION,
                           "dateFormat \"%s\": \"%.*s\" is not supported (use yyyy, MM, M, dd, d "
                           "and literal characters)",
                           pattern, (int) run, p);
              return FALSE;
            }
          if (!add_token (printer, pattern, kind, 0, error))
            return FALSE;
          p += run;
        }
      else if (*p == '\'')
        {
          const char *close;

          if (p[1] == '\'')
            {
              if (!add_token (printer, pattern, TOK_LITERAL, '\'', error))
                return FALSE;
              p += 2;
              continue;
            }
          close = strchr (p + 1, '\'');
          if (close == NULL)
            {
              g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION,
                           "dateFormat \"%s\": unterminated quote", pattern);
              return FALSE;
            }
          for (p++; p < close; p++)
            if (!add_token (printer, pattern, TOK_LITERAL, *p, error))
              return FALSE;
          p = close + 1;
        }
      else
        {
          if (!add_token (printer, pattern, TOK_LITERAL, *p, error))
            return FALSE;
          p++;
        }
    }
  return TRUE;
}

static inline char *
put2 (char *p, unsigned v)
{
  p[0] = (char) ('0' + v / 10);
  p[1] = (char) ('0' + v % 10);
  return p + 2;
}

static char *
put_year (char *p, gint64 y)
{
  if (y >= 0 && y <= 9999)
    {
      p = put2 (p, (unsigned) (y / 100));
      return put2 (p, (unsigned) (y % 100));
    }
  /* Like weft_format_date(): sign, then at least 4 digits. */
  {
    char tmp[WEFT_VALUE_TEXT_MAX];
    gsize n = weft_value_text_int64 (y < 0 ? -y : y, tmp);

    *p++ = y < 0 ? '-' : '+';
    for (gsize i = n; i < 4; i++)
      *p++ = '0';
    memcpy (p, tmp, n);
    return p + n;
  }
}

gsize
weft_date_printer_format (const WeftDatePrinter *printer, gint32 days, char *out)
{
  gint64 y;
  unsigned m, d;
  char *p = out;

  if (days >= -719468)
    {
      /* Years 0 and later: Hinnant's civil_from_days in unsigned 32-bit arithmetic, where every
       * division by a constant is a multiply (the general one is a call with 64-bit math). */
      guint32 z = (guint32) (days + 719468);
      guint32 era = z / 146097, doe = z - era * 146097;
      guint32 yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
      guint32 doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
      guint32 mp = (5 * doy + 2) / 153;

      d = doy - (153 * mp + 2) / 5 + 1;
      m = mp < 10 ? mp + 3 : mp - 9;
      y = (gint64) yoe + (gint64) era * 400 + (m <= 2);
    }
  else
    weft_civil_from_days (days, &y, &m, &d);
  if (printer->is_default)
    {
      p = put_year (p, y);
      *p++ = '-';
      p = put2 (p, m);
      *p++ = '-';
      p = put2 (p, d);
      return (gsize) (p - out);
    }
  for (guint i = 0; i < printer->n_tokens; i++)
    switch (printer->tokens[i].kind)
      {
      case TOK_LITERAL:
        *p++ = printer->tokens[i].literal;
        break;
      case TOK_YEAR4:
        p = put_year (p, y);
        break;
      case TOK_MONTH2:
        p = put2 (p, m);
        break;
      case TOK_MONTH:
        if (m >= 10)
          *p++ = (char) ('0' + m / 10);
        *p++ = (char) ('0' + m % 10);
        break;
      case TOK_DAY2:
        p = put2 (p, d);
        break;
      case TOK_DAY:
        if (d >= 10)
          *p++ = (char) ('0' + d / 10);
        *p++ = (char) ('0' + d % 10);
        break;
      }
  return (gsize) (p - out);
}
