/* weft-parse: text to typed values (see weft-parse.h). */

#include "weft-parse.h"

#include "weft-engine-error.h"

#include <math.h>
#include <string.h>

gboolean
weft_parse_int64_slow (const char *s, gsize len, gint64 *out)
{
  gsize i = 0;
  gboolean neg = FALSE;
  guint64 v = 0, limit;

  if (len == 0)
    return FALSE;
  if (s[0] == '-' || s[0] == '+')
    {
      neg = s[0] == '-';
      i = 1;
      if (len == 1)
        return FALSE;
    }
  limit = neg ? (guint64) G_MAXINT64 + 1 : (guint64) G_MAXINT64;
  for (; i < len; i++)
    {
      unsigned d = (unsigned) (unsigned char) s[i] - '0';

      if (d > 9)
        return FALSE;
      if (v > (limit - d) / 10)
        return FALSE;
      v = v * 10 + d;
    }
  *out = neg ? (gint64) (0 - v) : (gint64) v;
  return TRUE;
}

/* Powers of ten exact in a double (10^22 is the largest). */
static const double exact_pow10[] = { 1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                      1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                      1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22 };

gboolean
weft_parse_double (const char *s, gsize len, double *out)
{
  const char *p = s, *end = s + len, *q;
  gboolean neg = FALSE, any_digit = FALSE, truncated = FALSE;
  guint64 mant = 0;
  int ndig = 0;
  long exp10 = 0;

  while (p < end && (unsigned char) *p <= ' ')
    p++;
  while (end > p && (unsigned char) end[-1] <= ' ')
    end--;
  if (p == end)
    return FALSE;
  /* Spark's CSV defaults nanValue "NaN", positiveInf "Inf", negativeInf "-Inf", then Java's own
   * spellings. */
  if ((end - p == 3 && memcmp (p, "Inf", 3) == 0) || (end - p == 4 && memcmp (p, "-Inf", 4) == 0))
    {
      *out = *p == '-' ? -INFINITY : INFINITY;
      return TRUE;
    }
  q = p;
  if (*q == '+' || *q == '-')
    neg = *q++ == '-';
  if (end - q == 3 && memcmp (q, "NaN", 3) == 0)
    {
      *out = NAN;
      return TRUE;
    }
  if (end - q == 8 && memcmp (q, "Infinity", 8) == 0)
    {
      *out = neg ? -INFINITY : INFINITY;
      return TRUE;
    }

  /* Up to 19 significant digits go into mant; later integer digits only scale the exponent. */
  for (; q < end && (unsigned) (*q - '0') <= 9; q++)
    {
      unsigned d = (unsigned) (*q - '0');

      any_digit = TRUE;
      if (mant == 0 && d == 0)
        continue;
      if (ndig < 19)
        {
          mant = mant * 10 + d;
          ndig++;
        }
      else
        {
          exp10++;
          truncated |= d != 0;
        }
    }
  if (q < end && *q == '.')
    for (q++; q < end && (unsigned) (*q - '0') <= 9; q++)
      {
        unsigned d = (unsigned) (*q - '0');

        any_digit = TRUE;
        if (mant == 0 && d == 0)
          exp10--;
        else if (ndig < 19)
          {
            mant = mant * 10 + d;
            ndig++;
            exp10--;
          }
        else
          truncated |= d != 0;
      }
  if (!any_digit)
    return FALSE;
  if (q < end && (*q == 'e' || *q == 'E'))
    {
      gboolean eneg = FALSE, edigit = FALSE;
      long e = 0;

      q++;
      if (q < end && (*q == '+' || *q == '-'))
        eneg = *q++ == '-';
      for (; q < end && (unsigned) (*q - '0') <= 9; q++)
        {
          edigit = TRUE;
          if (e < 100000) /* past this the result is 0 or inf whatever follows */
            e = e * 10 + (*q - '0');
        }
      if (!edigit)
        return FALSE;
      exp10 += eneg ? -e : e;
    }
  if (q != end)
    return FALSE;

  if (mant == 0)
    {
      *out = neg ? -0.0 : 0.0;
      return TRUE;
    }
  /* Clinger's fast path: both operands exact, so one IEEE operation rounds correctly. */
  if (!truncated && mant <= (G_GUINT64_CONSTANT (1) << 53) && exp10 >= -22 && exp10 <= 22)
    {
      double v = (double) mant;

      v = exp10 < 0 ? v / exact_pow10[-exp10] : v * exact_pow10[exp10];
      *out = neg ? -v : v;
      return TRUE;
    }
  {
    /* Rare: let the C library round it (g_ascii_strtod ignores the locale). The text was
     * validated above, so strtod sees a plain decimal literal. */
    char stack[128];
    gsize n = (gsize) (end - p);
    g_autofree char *heap = n < sizeof stack ? NULL : g_malloc (n + 1);
    char *copy = heap != NULL ? heap : stack;
    char *stop = NULL;

    memcpy (copy, p, n);
    copy[n] = '\0';
    *out = g_ascii_strtod (copy, &stop);
    return stop == copy + n;
  }
}

enum
{
  TOK_LITERAL,
  TOK_YEAR4,
  TOK_MONTH2,
  TOK_MONTH12,
  TOK_DAY2,
  TOK_DAY12,
};

gboolean
weft_date_format_init (WeftDateFormat *format, const char *pattern, GError **error)
{
  const char *p = pattern;

  memset (format, 0, sizeof *format);
  format->is_default = strcmp (pattern, WEFT_DATE_FORMAT_DEFAULT) == 0;
  while (*p != '\0')
    {
      guint8 kind = TOK_LITERAL;
      char literal = 0;

      if (format->n_tokens == WEFT_DATE_FORMAT_MAX_TOKENS)
        {
          g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION,
                       "dateFormat \"%s\" is too long", pattern);
          return FALSE;
        }
      if (g_ascii_isalpha (*p))
        {
          char letter = *p;
          gsize run = 0;

          while (p[run] == letter)
            run++;
          if (letter == 'y' && run == 4)
            kind = TOK_YEAR4;
          else if (letter == 'M' && run <= 2)
            kind = run == 2 ? TOK_MONTH2 : TOK_MONTH12;
          else if (letter == 'd' && run <= 2)
            kind = run == 2 ? TOK_DAY2 : TOK_DAY12;
          else
            {
              g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION,
                           "dateFormat \"%s\": \"%.*s\" is not supported (use yyyy, MM, M, dd, d "
                           "and literal characters)",
                           pattern, (int) run, p);
              return FALSE;
            }
          p += run;
        }
      else if (*p == '\'')
        {
          if (p[1] == '\'')
            {
              literal = '\'';
              p += 2;
            }
          else
            {
              const char *close = strchr (p + 1, '\'');

              if (close == NULL)
                {
                  g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION,
                               "dateFormat \"%s\": unterminated quote", pattern);
                  return FALSE;
                }
              for (p++; p < close; p++)
                {
                  if (format->n_tokens == WEFT_DATE_FORMAT_MAX_TOKENS)
                    {
                      g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION,
                                   "dateFormat \"%s\" is too long", pattern);
                      return FALSE;
                    }
                  format->tokens[format->n_tokens].kind = TOK_LITERAL;
                  format->tokens[format->n_tokens++].literal = *p;
                }
              p = close + 1;
              continue;
            }
        }
      else
        literal = *p++;
      format->tokens[format->n_tokens].kind = kind;
      format->tokens[format->n_tokens++].literal = literal;
    }
  return TRUE;
}

static gboolean
is_leap (gint64 y)
{
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned
days_in_month (gint64 y, unsigned m)
{
  static const unsigned dim[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

  return m == 2 && is_leap (y) ? 29 : dim[m - 1];
}

/* Howard Hinnant's days_from_civil; static inline so the date parsers get it inlined. */
static inline gint64
days_from_civil (gint64 y, unsigned m, unsigned d)
{
  gint64 era, yoe, doy, doe;

  y -= m <= 2;
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = y - era * 400;
  doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

gint64
weft_days_from_civil (gint64 y, unsigned m, unsigned d)
{
  return days_from_civil (y, m, d);
}

void
weft_civil_from_days (gint64 z, gint64 *out_year, unsigned *out_month, unsigned *out_day)
{
  gint64 era, doe, yoe, y, doy, mp;
  unsigned m;

  z += 719468;
  era = (z >= 0 ? z : z - 146096) / 146097;
  doe = z - era * 146097;
  yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = yoe + era * 400;
  doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  mp = (5 * doy + 2) / 153;
  *out_day = (unsigned) (doy - (153 * mp + 2) / 5 + 1);
  m = (unsigned) (mp < 10 ? mp + 3 : mp - 9);
  *out_month = m;
  *out_year = y + (m <= 2);
}

void
weft_format_date (gint32 days, GString *out)
{
  gint64 y;
  unsigned m, d;

  weft_civil_from_days (days, &y, &m, &d);
  if (y >= 0 && y <= 9999)
    g_string_append_printf (out, "%04d-%02u-%02u", (int) y, m, d);
  else
    g_string_append_printf (out, "%+05" G_GINT64_FORMAT "-%02u-%02u", y, m, d);
}

/* Reads exactly @min..@max digits at *p (greedy). */
static gboolean
read_digits (const char **p, const char *end, int min, int max, gint64 *out)
{
  gint64 v = 0;
  int n = 0;

  while (*p < end && n < max && (unsigned) (**p - '0') <= 9)
    {
      v = v * 10 + (**p - '0');
      (*p)++;
      n++;
    }
  *out = v;
  return n >= min;
}

static gboolean
make_date (gint64 y, gint64 m, gint64 d, gint32 *out_days)
{
  if (m < 1 || m > 12 || d < 1 || d > days_in_month (y, (unsigned) m))
    return FALSE;
  *out_days = (gint32) days_from_civil (y, (unsigned) m, (unsigned) d);
  return TRUE;
}

/* Spark's DateTimeUtils.stringToDate: [+-]yyyy[y..][-[m]m[-[d]d[( |T)anything]]], trimmed. */
static gboolean
parse_date_lenient (const char *s, gsize len, gint32 *out_days)
{
  const char *p = s, *end = s + len;
  gint64 y, m = 1, d = 1;
  gboolean neg = FALSE;

  while (p < end && (unsigned char) *p <= ' ')
    p++;
  while (end > p && (unsigned char) end[-1] <= ' ')
    end--;
  if (p < end && (*p == '-' || *p == '+'))
    neg = *p++ == '-';
  if (!read_digits (&p, end, 4, 6, &y) || (p < end && (unsigned) (*p - '0') <= 9))
    return FALSE;
  if (neg)
    y = -y;
  if (p < end)
    {
      if (*p++ != '-' || !read_digits (&p, end, 1, 2, &m))
        return FALSE;
      if (p < end)
        {
          if (*p++ != '-' || !read_digits (&p, end, 1, 2, &d))
            return FALSE;
          if (p < end && *p != ' ' && *p != 'T')
            return FALSE;
        }
    }
  return make_date (y, m, d, out_days);
}

/* Whether each of the 8 values (a character minus '0', so anything else is above 9) is a digit.
 * (OR-ing them would not do: 2 | 8 is 10.) */
static inline gboolean
all_digits (const unsigned dg[8])
{
  unsigned max = 0;

  for (int i = 0; i < 8; i++)
    max = MAX (max, dg[i]);
  return max <= 9;
}

gboolean
weft_parse_date (const WeftDateFormat *format, const char *s, gsize len, gboolean lenient,
                 gint32 *out_days)
{
  const char *p = s, *end = s + len;
  gint64 y = -1, m = -1, d = -1;

  /* The common case, yyyy-MM-dd in full, without the token loop. */
  if (format->is_default && len == 10 && s[4] == '-' && s[7] == '-')
    {
      unsigned dg[8] = { (unsigned) (s[0] - '0'), (unsigned) (s[1] - '0'), (unsigned) (s[2] - '0'),
                         (unsigned) (s[3] - '0'), (unsigned) (s[5] - '0'), (unsigned) (s[6] - '0'),
                         (unsigned) (s[8] - '0'), (unsigned) (s[9] - '0') };

      if (all_digits (dg))
        {
          y = dg[0] * 1000 + dg[1] * 100 + dg[2] * 10 + dg[3];
          if (y >= 1 && make_date (y, dg[4] * 10 + dg[5], dg[6] * 10 + dg[7], out_days))
            return TRUE;
          return lenient && parse_date_lenient (s, len, out_days);
        }
    }

  for (guint i = 0; i < format->n_tokens; i++)
    {
      gboolean ok = TRUE;

      switch (format->tokens[i].kind)
        {
        case TOK_LITERAL:
          ok = p < end && *p++ == format->tokens[i].literal;
          break;
        case TOK_YEAR4:
          ok = read_digits (&p, end, 4, 4, &y) && y >= 1;
          break;
        case TOK_MONTH2:
          ok = read_digits (&p, end, 2, 2, &m);
          break;
        case TOK_MONTH12:
          ok = read_digits (&p, end, 1, 2, &m);
          break;
        case TOK_DAY2:
          ok = read_digits (&p, end, 2, 2, &d);
          break;
        case TOK_DAY12:
          ok = read_digits (&p, end, 1, 2, &d);
          break;
        }
      if (!ok)
        goto fallback;
    }
  if (p == end && make_date (y < 0 ? 1970 : y, m < 0 ? 1 : m, d < 0 ? 1 : d, out_days))
    return TRUE;
fallback:
  return lenient && format->is_default && parse_date_lenient (s, len, out_days);
}

WeftDataType
weft_parse_infer_type (const char *s, gsize len, const WeftDateFormat *format)
{
  gint64 i;
  double f;
  gboolean b;
  gint32 days;

  /* The common date shape, yyyy-MM-dd in digits, is never a number or a boolean: decide it
   * here, without three failing parses and without computing the day number. */
  if (format->is_default && len == 10 && s[4] == '-' && s[7] == '-')
    {
      unsigned dg[8] = { (unsigned) (s[0] - '0'), (unsigned) (s[1] - '0'), (unsigned) (s[2] - '0'),
                         (unsigned) (s[3] - '0'), (unsigned) (s[5] - '0'), (unsigned) (s[6] - '0'),
                         (unsigned) (s[8] - '0'), (unsigned) (s[9] - '0') };

      if (all_digits (dg))
        {
          unsigned y = dg[0] * 1000 + dg[1] * 100 + dg[2] * 10 + dg[3];
          unsigned m = dg[4] * 10 + dg[5], d = dg[6] * 10 + dg[7];

          return y >= 1 && m >= 1 && m <= 12 && d >= 1 && d <= days_in_month (y, m)
                   ? WEFT_DATA_TYPE_DATE
                   : WEFT_DATA_TYPE_STRING;
        }
    }

  if (weft_parse_int64 (s, len, &i))
    return WEFT_DATA_TYPE_INT64;
  if (weft_parse_double (s, len, &f))
    return WEFT_DATA_TYPE_DOUBLE;
  if (weft_parse_bool (s, len, &b))
    return WEFT_DATA_TYPE_BOOL;
  if (weft_parse_date (format, s, len, FALSE, &days))
    return WEFT_DATA_TYPE_DATE;
  return WEFT_DATA_TYPE_STRING;
}

WeftDataType
weft_data_type_merge (WeftDataType a, WeftDataType b)
{
  if (a == 0)
    return b;
  if (b == 0 || a == b)
    return a;
  if ((a == WEFT_DATA_TYPE_INT64 && b == WEFT_DATA_TYPE_DOUBLE)
      || (a == WEFT_DATA_TYPE_DOUBLE && b == WEFT_DATA_TYPE_INT64))
    return WEFT_DATA_TYPE_DOUBLE;
  return WEFT_DATA_TYPE_STRING;
}
