/* weft-expr-func: the kernels of casts, LIKE, IN and the scalar functions (see
 * weft-expr-private.h), with Spark's semantics for each: Java's number formatting and parsing in
 * casts, UTF-8 characters (not bytes) in length and substring, HALF_UP rounding of the decimal
 * the user sees (round(2.675, 2) is 2.68, as in Spark, not 2.67).
 *
 * A single-argument kernel sees a scalar input only when n == 1, so it indexes rows directly;
 * multi-argument kernels index each argument with a mask (0 for a scalar). */

#include "weft-expr-private.h"

#include "weft-engine-error.h"
#include "weft-parse.h"

#include <math.h>
#include <string.h>

static inline gsize
mask_of (const ExprVec *v)
{
  return v->scalar ? 0 : ~(gsize) 0;
}

/* A copy of @v's validity over @n rows (NULL if it has no nulls); scalars count as valid. */
static guint8 *
validity_copy (const ExprVec *v, gsize n)
{
  return vec_validity_and (v, 1, n);
}

/* ---- Casts -------------------------------------------------------------------------------- */

static void
append_int64_text (GString *buf, gint64 v)
{
  char tmp[24], *p = tmp + sizeof tmp;
  guint64 u = v < 0 ? 0 - (guint64) v : (guint64) v;

  do
    {
      *--p = (char) ('0' + u % 10);
      u /= 10;
    }
  while (u != 0);
  if (v < 0)
    *--p = '-';
  g_string_append_len (buf, p, tmp + sizeof tmp - p);
}

/* Spark's UTF8String.toLong: trimmed, [+-]digits with an optional fraction that is dropped. */
static gboolean
spark_parse_long (const char *s, gsize len, gint64 *out)
{
  const char *p = s, *end = s + len;
  gboolean neg = FALSE, any = FALSE;
  guint64 v = 0, limit;

  while (p < end && (guchar) *p <= ' ')
    p++;
  while (end > p && (guchar) end[-1] <= ' ')
    end--;
  if (p < end && (*p == '-' || *p == '+'))
    neg = *p++ == '-';
  limit = neg ? (guint64) G_MAXINT64 + 1 : (guint64) G_MAXINT64;
  for (; p < end && *p != '.'; p++)
    {
      unsigned d = (unsigned) (guchar) *p - '0';

      if (d > 9 || v > (limit - d) / 10)
        return FALSE;
      v = v * 10 + d;
      any = TRUE;
    }
  if (p < end)
    for (p++; p < end; p++)
      {
        if ((unsigned) (guchar) *p - '0' > 9)
          return FALSE;
        any = TRUE;
      }
  if (!any)
    return FALSE;
  *out = neg ? (gint64) (0 - v) : (gint64) v;
  return TRUE;
}

/* Spark's string-to-boolean cast. */
static gboolean
spark_parse_bool (const char *s, gsize len, guint8 *out)
{
  static const char *const yes[] = { "t", "true", "y", "yes", "1" };
  static const char *const no[] = { "f", "false", "n", "no", "0" };

  while (len > 0 && (guchar) *s <= ' ')
    s++, len--;
  while (len > 0 && (guchar) s[len - 1] <= ' ')
    len--;
  for (guint i = 0; i < G_N_ELEMENTS (yes); i++)
    {
      if (strlen (yes[i]) == len && g_ascii_strncasecmp (s, yes[i], len) == 0)
        return *out = 1, TRUE;
      if (strlen (no[i]) == len && g_ascii_strncasecmp (s, no[i], len) == 0)
        return *out = 0, TRUE;
    }
  return FALSE;
}

/* Java's (long) d: truncation, NaN to 0, saturation at the ends. */
static inline gint64
java_d2l (double d)
{
  if (d != d)
    return 0;
  if (d >= 9223372036854775807.0)
    return G_MAXINT64;
  if (d <= -9223372036854775808.0)
    return G_MININT64;
  return (gint64) d;
}

static WeftColumn *
cast_to_string (const ExprVec *in, gsize n)
{
  const WeftColumn *a = in->col;
  WeftColumn *out = weft_column_new (WEFT_DATA_TYPE_STRING, n);
  g_autoptr (GString) buf = g_string_new (NULL);

  for (gsize i = 0; i < n; i++)
    {
      if (!weft_column_is_valid (a, i))
        {
          weft_column_append_null (out);
          continue;
        }
      g_string_truncate (buf, 0);
      switch (a->type)
        {
        case WEFT_DATA_TYPE_INT64:
          append_int64_text (buf, a->values.i64[i]);
          break;
        case WEFT_DATA_TYPE_DOUBLE:
          expr_format_double (a->values.f64[i], buf);
          break;
        case WEFT_DATA_TYPE_BOOL:
          g_string_append (buf, a->values.b[i] ? "true" : "false");
          break;
        case WEFT_DATA_TYPE_DATE:
          weft_format_date (a->values.date[i], buf);
          break;
        case WEFT_DATA_TYPE_STRING:
          g_assert_not_reached ();
        }
      weft_column_append_string (out, buf->str, buf->len);
    }
  return out;
}

static WeftColumn *
cast_from_string (const ExprVec *in, WeftDataType to, gsize n)
{
  const WeftColumn *a = in->col;
  WeftColumn *out = vec_fixed_new (to, n);
  guint8 *bits = vec_bits_new (n, TRUE);
  WeftDateFormat fmt;

  if (to == WEFT_DATA_TYPE_DATE)
    weft_date_format_init (&fmt, WEFT_DATE_FORMAT_DEFAULT, NULL);
  for (gsize i = 0; i < n; i++)
    {
      gsize len;
      const char *s = weft_column_get_string (a, i, &len);
      gboolean ok = weft_column_is_valid (a, i);

      if (ok)
        switch (to)
          {
          case WEFT_DATA_TYPE_INT64:
            ok = spark_parse_long (s, len, &out->values.i64[i]);
            break;
          case WEFT_DATA_TYPE_DOUBLE:
            ok = weft_parse_double (s, len, &out->values.f64[i]);
            break;
          case WEFT_DATA_TYPE_BOOL:
            ok = spark_parse_bool (s, len, &out->values.b[i]);
            break;
          case WEFT_DATA_TYPE_DATE:
            ok = weft_parse_date (&fmt, s, len, TRUE, &out->values.date[i]);
            break;
          case WEFT_DATA_TYPE_STRING:
            g_assert_not_reached ();
          }
      if (!ok)
        bits_clear (bits, i);
    }
  vec_adopt_validity (out, bits);
  return out;
}

WeftColumn *
func_cast (const WeftExpr *e, const ExprVec *in, gsize n)
{
  const WeftColumn *a = in->col;
  WeftDataType to = e->type;
  WeftColumn *out;

  if (to == WEFT_DATA_TYPE_STRING)
    return cast_to_string (in, n);
  if (a->type == WEFT_DATA_TYPE_STRING)
    return cast_from_string (in, to, n);
  out = vec_fixed_new (to, n);
  switch (a->type * 8 + to)
    {
    case WEFT_DATA_TYPE_INT64 * 8 + WEFT_DATA_TYPE_DOUBLE:
      for (gsize i = 0; i < n; i++)
        out->values.f64[i] = (double) a->values.i64[i];
      break;
    case WEFT_DATA_TYPE_INT64 * 8 + WEFT_DATA_TYPE_BOOL:
      for (gsize i = 0; i < n; i++)
        out->values.b[i] = a->values.i64[i] != 0;
      break;
    case WEFT_DATA_TYPE_DOUBLE * 8 + WEFT_DATA_TYPE_INT64:
      for (gsize i = 0; i < n; i++)
        out->values.i64[i] = java_d2l (a->values.f64[i]);
      break;
    case WEFT_DATA_TYPE_DOUBLE * 8 + WEFT_DATA_TYPE_BOOL:
      for (gsize i = 0; i < n; i++)
        out->values.b[i] = a->values.f64[i] != 0;
      break;
    case WEFT_DATA_TYPE_BOOL * 8 + WEFT_DATA_TYPE_INT64:
      for (gsize i = 0; i < n; i++)
        out->values.i64[i] = a->values.b[i];
      break;
    case WEFT_DATA_TYPE_BOOL * 8 + WEFT_DATA_TYPE_DOUBLE:
      for (gsize i = 0; i < n; i++)
        out->values.f64[i] = a->values.b[i];
      break;
    default:
      /* Resolution rejects every other pair. */
      g_assert_not_reached ();
    }
  vec_adopt_validity (out, validity_copy (in, n));
  return out;
}

/* ---- LIKE --------------------------------------------------------------------------------- */

enum
{
  LOP_BYTE = 0,
  LOP_ONE = 1,
  LOP_ANY = 2,
};

void
like_free (LikePattern *pattern)
{
  if (pattern == NULL)
    return;
  g_free (pattern->text);
  g_free (pattern->ops);
  g_free (pattern->bytes);
  g_free (pattern);
}

LikePattern *
like_compile (const char *pattern, gsize len, GError **error)
{
  LikePattern *p = g_new0 (LikePattern, 1);
  gsize n_any = 0, n_one = 0, first_any = G_MAXSIZE, last_any = 0;

  p->ops = g_new (guint8, len + 1);
  p->bytes = g_new (char, len + 1);
  for (gsize i = 0; i < len; i++)
    {
      char ch = pattern[i];

      if (ch == '\\')
        {
          if (i + 1 == len)
            {
              g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_SCHEMA,
                           "LIKE pattern '%.*s' ends with the escape character", (int) len,
                           pattern);
              like_free (p);
              return NULL;
            }
          ch = pattern[++i];
          if (ch != '%' && ch != '_' && ch != '\\')
            {
              g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_SCHEMA,
                           "LIKE pattern '%.*s': the escape character may only precede %%, _ "
                           "or \\, not '%c'", (int) len, pattern, ch);
              like_free (p);
              return NULL;
            }
          p->ops[p->n_ops] = LOP_BYTE;
          p->bytes[p->n_ops++] = ch;
        }
      else if (ch == '%')
        {
          if (p->n_ops > 0 && p->ops[p->n_ops - 1] == LOP_ANY)
            continue;
          first_any = MIN (first_any, p->n_ops);
          last_any = p->n_ops;
          n_any++;
          p->bytes[p->n_ops] = 0;
          p->ops[p->n_ops++] = LOP_ANY;
        }
      else
        {
          n_one += ch == '_';
          p->bytes[p->n_ops] = ch;
          p->ops[p->n_ops++] = ch == '_' ? LOP_ONE : LOP_BYTE;
        }
    }

  /* Shapes without '_' and with % only at the ends need no general matcher. */
  p->kind = LIKE_GENERAL;
  if (n_one == 0)
    {
      gboolean lead = n_any > 0 && first_any == 0;
      gboolean trail = n_any > 0 && last_any == p->n_ops - 1;

      if (n_any == 0)
        p->kind = LIKE_EXACT;
      else if (n_any == 1 && p->n_ops == 1)
        p->kind = LIKE_ANY;
      else if (n_any == 1 && trail)
        p->kind = LIKE_PREFIX;
      else if (n_any == 1 && lead)
        p->kind = LIKE_SUFFIX;
      else if (n_any == 2 && lead && trail)
        p->kind = LIKE_CONTAINS;
    }
  if (p->kind != LIKE_GENERAL)
    {
      p->text = g_new (char, p->n_ops + 1);
      for (gsize i = 0; i < p->n_ops; i++)
        if (p->ops[i] == LOP_BYTE)
          p->text[p->text_len++] = p->bytes[i];
    }
  return p;
}

static inline gsize
utf8_char_len (const char *s, gsize remaining)
{
  guchar c = (guchar) *s;
  gsize n = c < 0xc0 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;

  return MIN (n, remaining);
}

gboolean
like_match (const LikePattern *p, const char *s, gsize len)
{
  gsize si = 0, pi = 0, star_p = G_MAXSIZE, star_s = 0;

  switch (p->kind)
    {
    case LIKE_ANY:
      return TRUE;
    case LIKE_EXACT:
      return len == p->text_len && (len == 0 || memcmp (s, p->text, len) == 0);
    case LIKE_PREFIX:
      return len >= p->text_len && (p->text_len == 0 || memcmp (s, p->text, p->text_len) == 0);
    case LIKE_SUFFIX:
      return len >= p->text_len
             && (p->text_len == 0 || memcmp (s + len - p->text_len, p->text, p->text_len) == 0);
    case LIKE_CONTAINS:
      return p->text_len == 0 || (len > 0 && memmem (s, len, p->text, p->text_len) != NULL);
    case LIKE_GENERAL:
      break;
    }
  /* Greedy matching with backtracking to the last %: linear for one %, O(n·m) at worst. '_' and
   * the retry after a % move by a whole UTF-8 character. */
  while (si < len)
    {
      if (pi < p->n_ops && p->ops[pi] == LOP_ONE)
        {
          si += utf8_char_len (s + si, len - si);
          pi++;
        }
      else if (pi < p->n_ops && p->ops[pi] == LOP_BYTE && p->bytes[pi] == s[si])
        {
          si++;
          pi++;
        }
      else if (pi < p->n_ops && p->ops[pi] == LOP_ANY)
        {
          star_p = pi++;
          star_s = si;
        }
      else if (star_p != G_MAXSIZE)
        {
          pi = star_p + 1;
          star_s += utf8_char_len (s + star_s, len - star_s);
          si = star_s;
        }
      else
        return FALSE;
    }
  while (pi < p->n_ops && p->ops[pi] == LOP_ANY)
    pi++;
  return pi == p->n_ops;
}

WeftColumn *
func_like (const WeftExpr *e, const ExprVec *in, gsize n)
{
  const WeftColumn *a = in[0].col;
  WeftColumn *out = vec_fixed_new (WEFT_DATA_TYPE_BOOL, n);
  const LikePattern *p = e->like;

  for (gsize i = 0; i < n; i++)
    {
      gsize len;
      const char *s = weft_column_get_string (a, i, &len);

      out->values.b[i] = like_match (p, s, len);
    }
  vec_adopt_validity (out, validity_copy (&in[0], n));
  return out;
}

/* ---- IN ----------------------------------------------------------------------------------- */

static int
cmp_i64 (const void *a, const void *b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static inline gboolean
dbl_same (double a, double b)
{
  return a == b || (a != a && b != b);
}

WeftColumn *
func_in (const WeftExpr *e, const ExprVec *args, gsize n)
{
  const WeftColumn *a = args[0].col;
  WeftColumn *out = vec_fixed_new (WEFT_DATA_TYPE_BOOL, n);
  guint8 *bits = validity_copy (&args[0], n);
  guint n_list = e->n_children - 1;
  g_autofree gint64 *ints = g_new (gint64, MAX (n_list, 1));
  g_autofree const WeftColumn **vals = g_new (const WeftColumn *, MAX (n_list, 1));
  guint n_vals = 0;
  gboolean has_null = FALSE;
  guint8 *o = out->values.b;

  if (args[0].scalar && a->null_count > 0)
    {
      g_free (bits);
      weft_column_unref (out);
      return vec_all_null (WEFT_DATA_TYPE_BOOL, n);
    }
  for (guint k = 0; k < n_list; k++)
    {
      const WeftColumn *v = args[k + 1].col;

      if (v->null_count > 0)
        has_null = TRUE;
      else
        vals[n_vals++] = v;
    }

  switch (a->type)
    {
    case WEFT_DATA_TYPE_INT64:
    case WEFT_DATA_TYPE_DATE:
    case WEFT_DATA_TYPE_BOOL:
      {
        gboolean is64 = a->type == WEFT_DATA_TYPE_INT64, is32 = a->type == WEFT_DATA_TYPE_DATE;

        for (guint k = 0; k < n_vals; k++)
          ints[k] = is64 ? vals[k]->values.i64[0] : is32 ? vals[k]->values.date[0]
                                                         : vals[k]->values.b[0];
        if (n_vals > 8)
          {
            /* Long lists: a sorted array and binary search. */
            qsort (ints, n_vals, sizeof *ints, cmp_i64);
            for (gsize i = 0; i < n; i++)
              {
                gint64 x = is64 ? a->values.i64[i] : is32 ? a->values.date[i] : a->values.b[i];

                o[i] = bsearch (&x, ints, n_vals, sizeof *ints, cmp_i64) != NULL;
              }
          }
        else
          for (gsize i = 0; i < n; i++)
            {
              gint64 x = is64 ? a->values.i64[i] : is32 ? a->values.date[i] : a->values.b[i];
              guint8 hit = 0;

              for (guint k = 0; k < n_vals; k++)
                hit |= x == ints[k];
              o[i] = hit;
            }
      }
      break;
    case WEFT_DATA_TYPE_DOUBLE:
      for (gsize i = 0; i < n; i++)
        {
          guint8 hit = 0;

          for (guint k = 0; k < n_vals; k++)
            hit |= dbl_same (a->values.f64[i], vals[k]->values.f64[0]);
          o[i] = hit;
        }
      break;
    case WEFT_DATA_TYPE_STRING:
      for (gsize i = 0; i < n; i++)
        {
          gsize len;
          const char *s = weft_column_get_string (a, i, &len);
          guint8 hit = 0;

          for (guint k = 0; k < n_vals && !hit; k++)
            {
              gsize vl;
              const char *v = weft_column_get_string (vals[k], 0, &vl);

              hit = vl == len && (len == 0 || memcmp (v, s, len) == 0);
            }
          o[i] = hit;
        }
      break;
    }

  /* Not found and a null in the list: unknown, as in SQL. */
  if (has_null)
    {
      if (bits == NULL)
        bits = vec_bits_new (n, TRUE);
      for (gsize i = 0; i < n; i++)
        if (!o[i])
          bits_clear (bits, i);
    }
  vec_adopt_validity (out, bits);
  return out;
}

/* ---- String functions --------------------------------------------------------------------- */

static gsize
utf8_count (const char *s, gsize len)
{
  gsize n = 0;

  for (gsize i = 0; i < len; i++)
    n += ((guchar) s[i] & 0xc0) != 0x80;
  return n;
}

/* Byte offset of character @chars in @s (clamped to @len). */
static gsize
utf8_offset (const char *s, gsize len, gint64 chars)
{
  gsize i = 0;

  while (chars > 0 && i < len)
    {
      i += utf8_char_len (s + i, len - i);
      chars--;
    }
  return i;
}

static gboolean
is_ascii (const char *s, gsize len)
{
  guchar acc = 0;

  for (gsize i = 0; i < len; i++)
    acc |= (guchar) s[i];
  return acc < 0x80;
}

static void
append_case (WeftColumn *out, const char *s, gsize len, gboolean upper, GString *buf)
{
  g_string_set_size (buf, len);
  if (is_ascii (s, len) || !g_utf8_validate_len (s, len, NULL))
    {
      for (gsize i = 0; i < len; i++)
        buf->str[i] = upper ? g_ascii_toupper (s[i]) : g_ascii_tolower (s[i]);
      weft_column_append_string (out, buf->str, len);
      return;
    }
  {
    g_autofree char *t = upper ? g_utf8_strup (s, (gssize) len) : g_utf8_strdown (s, (gssize) len);

    weft_column_append_string (out, t, strlen (t));
  }
}

/* Spark's UTF8String.substringSQL: start and end in characters. */
static void
substr_range (gint64 n_chars, gint64 pos, gint64 length, gint64 *out_start, gint64 *out_end)
{
  gint64 start = pos > 0 ? pos - 1 : pos < 0 ? n_chars + pos : 0, end;

  if (__builtin_add_overflow (start, length, &end))
    end = length > 0 ? G_MAXINT64 : G_MININT64;
  start = MAX (start, 0);
  end = MIN (end, n_chars);
  *out_start = start;
  *out_end = MAX (end, start);
}

WeftColumn *
func_string (const WeftExpr *e, const ExprVec *args, gsize n)
{
  const WeftColumn *a = args[0].col;
  WeftColumn *out;
  g_autoptr (GString) buf = g_string_new (NULL);

  if (e->op == WEFT_EXPR_OP_LENGTH)
    {
      out = vec_fixed_new (WEFT_DATA_TYPE_INT64, n);
      for (gsize i = 0; i < n; i++)
        out->values.i64[i] = (gint64) utf8_count (a->data + a->offsets[i],
                                                  (gsize) (a->offsets[i + 1] - a->offsets[i]));
      vec_adopt_validity (out, validity_copy (&args[0], n));
      return out;
    }

  out = weft_column_new (WEFT_DATA_TYPE_STRING, n);
  if (e->op == WEFT_EXPR_OP_UPPER || e->op == WEFT_EXPR_OP_LOWER)
    {
      weft_column_reserve_data (out, (gsize) a->offsets[n]);
      for (gsize i = 0; i < n; i++)
        {
          gsize len;
          const char *s = weft_column_get_string (a, i, &len);

          if (!weft_column_is_valid (a, i))
            weft_column_append_null (out);
          else
            append_case (out, s, len, e->op == WEFT_EXPR_OP_UPPER, buf);
        }
      return out;
    }

  if (e->op == WEFT_EXPR_OP_SUBSTR)
    {
      gsize ma = mask_of (&args[0]), mp = mask_of (&args[1]);
      gsize ml = e->n_children > 2 ? mask_of (&args[2]) : 0;
      const WeftColumn *cp = args[1].col, *cl = e->n_children > 2 ? args[2].col : NULL;

      for (gsize i = 0; i < n; i++)
        {
          gsize len;
          const char *s = weft_column_get_string (a, i & ma, &len);
          gint64 start, end, n_chars, length;

          if (!weft_column_is_valid (a, i & ma) || !weft_column_is_valid (cp, i & mp)
              || (cl != NULL && !weft_column_is_valid (cl, i & ml)))
            {
              weft_column_append_null (out);
              continue;
            }
          length = cl != NULL ? cl->values.i64[i & ml] : G_MAXINT32;
          n_chars = is_ascii (s, len) ? (gint64) len : (gint64) utf8_count (s, len);
          substr_range (n_chars, cp->values.i64[i & mp], length, &start, &end);
          if (n_chars == (gint64) len)
            weft_column_append_string (out, s + start, (gsize) (end - start));
          else
            {
              gsize b0 = utf8_offset (s, len, start);
              gsize b1 = b0 + utf8_offset (s + b0, len - b0, end - start);

              weft_column_append_string (out, s + b0, b1 - b0);
            }
        }
      return out;
    }

  g_assert (e->op == WEFT_EXPR_OP_CONCAT);
  for (gsize i = 0; i < n; i++)
    {
      gboolean null = FALSE;

      g_string_truncate (buf, 0);
      for (guint k = 0; k < e->n_children && !null; k++)
        {
          gsize r = i & mask_of (&args[k]), len;
          const char *s = weft_column_get_string (args[k].col, r, &len);

          if (!weft_column_is_valid (args[k].col, r))
            null = TRUE;
          else
            g_string_append_len (buf, s, (gssize) len);
        }
      if (null)
        weft_column_append_null (out);
      else
        weft_column_append_string (out, buf->str, buf->len);
    }
  return out;
}

/* ---- Dates -------------------------------------------------------------------------------- */

WeftColumn *
func_date_part (const WeftExpr *e, const ExprVec *in, gsize n)
{
  const WeftColumn *a = in->col;
  WeftColumn *out = vec_fixed_new (WEFT_DATA_TYPE_INT64, n);
  gboolean year = e->op == WEFT_EXPR_OP_YEAR;

  for (gsize i = 0; i < n; i++)
    {
      gint64 y;
      unsigned m, d;

      weft_civil_from_days (a->values.date[i], &y, &m, &d);
      out->values.i64[i] = year ? y : (gint64) m;
    }
  vec_adopt_validity (out, validity_copy (in, n));
  return out;
}

/* ---- coalesce ----------------------------------------------------------------------------- */

WeftColumn *
func_coalesce (const WeftExpr *e, const ExprVec *args, gsize n)
{
  WeftColumn *out;
  guint8 *bits = NULL;

  /* The first argument without nulls decides every row it is reached at: the common case is
   * coalesce(col, default). */
  if (!args[0].scalar && args[0].col->null_count == 0)
    return weft_column_ref (args[0].col);

  if (e->type == WEFT_DATA_TYPE_STRING)
    {
      out = weft_column_new (WEFT_DATA_TYPE_STRING, n);
      for (gsize i = 0; i < n; i++)
        {
          guint k;

          for (k = 0; k < e->n_children; k++)
            {
              gsize r = i & mask_of (&args[k]);

              if (weft_column_is_valid (args[k].col, r))
                {
                  gsize len;
                  const char *s = weft_column_get_string (args[k].col, r, &len);

                  weft_column_append_string (out, s, len);
                  break;
                }
            }
          if (k == e->n_children)
            weft_column_append_null (out);
        }
      return out;
    }

  out = vec_fixed_new (e->type, n);
  for (gsize i = 0; i < n; i++)
    {
      guint k;

      for (k = 0; k < e->n_children; k++)
        {
          const WeftColumn *c = args[k].col;
          gsize r = i & mask_of (&args[k]);

          if (!weft_column_is_valid (c, r))
            continue;
          switch (e->type)
            {
            case WEFT_DATA_TYPE_INT64:
              out->values.i64[i] = c->values.i64[r];
              break;
            case WEFT_DATA_TYPE_DOUBLE:
              out->values.f64[i] = c->values.f64[r];
              break;
            case WEFT_DATA_TYPE_DATE:
              out->values.date[i] = c->values.date[r];
              break;
            case WEFT_DATA_TYPE_BOOL:
              out->values.b[i] = c->values.b[r];
              break;
            case WEFT_DATA_TYPE_STRING:
              g_assert_not_reached ();
            }
          break;
        }
      if (k == e->n_children)
        {
          if (bits == NULL)
            bits = vec_bits_new (n, TRUE);
          bits_clear (bits, i);
        }
    }
  vec_adopt_validity (out, bits);
  return out;
}

/* ---- round -------------------------------------------------------------------------------- */

static const double pow10_exact[] = { 1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                      1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                      1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22 };

/* Spark: BigDecimal(Double.toString(d)).setScale(scale, HALF_UP).toDouble. The digits are the
 * shortest ones that read back as @d; rounding is done on them, in decimal. */
static double
round_decimal (double d, gint64 scale)
{
  char buf[64], fmt[16], digits[24], out[64];
  int n_digits = 0, exp10;
  gint64 keep;
  guint64 m = 0;
  gboolean neg = d < 0;
  const char *e;

  for (int prec = 1; prec <= 17; prec++)
    {
      g_snprintf (fmt, sizeof fmt, "%%.%de", prec - 1);
      g_ascii_formatd (buf, sizeof buf, fmt, fabs (d));
      if (g_ascii_strtod (buf, NULL) == fabs (d))
        break;
    }
  e = strchr (buf, 'e');
  for (const char *q = buf; q < e; q++)
    if (*q != '.')
      digits[n_digits++] = *q;
  exp10 = atoi (e + 1);
  /* digits[i] has place value 10^(exp10 - i); keep those worth at least 10^-scale. */
  keep = (gint64) exp10 + scale + 1;
  if (keep >= n_digits)
    return d;
  if (keep < 0)
    return 0.0;
  for (gint64 i = 0; i < keep; i++)
    m = m * 10 + (guint64) (digits[i] - '0');
  if (digits[keep] >= '5')
    m++;
  if (m == 0)
    return 0.0;
  g_snprintf (out, sizeof out, "%s%" G_GUINT64_FORMAT "e%" G_GINT64_FORMAT, neg ? "-" : "", m,
              (gint64) exp10 - keep + 1);
  return g_ascii_strtod (out, NULL);
}

static double
round_double (double d, gint64 scale)
{
  if (!isfinite (d) || d == 0)
    return d;
  if (scale >= 0 && scale <= 15)
    {
      double p = pow10_exact[scale], y = fabs (d) * p;

      /* Far enough from a tie that the decimal the user sees and the binary value agree on the
       * direction: one product and a division, correctly rounded (r < 2^52, p exact). */
      if (y < 4503599627370496.0)
        {
          double f = floor (y), frac = y - f;

          if (fabs (frac - 0.5) > 1e-12 * (y + 1))
            {
              double r = (f + (frac > 0.5)) / p;

              return r == 0 ? 0.0 : (d < 0 ? -r : r);
            }
        }
    }
  return round_decimal (d, scale);
}

static gint64
round_int64 (gint64 x, gint64 scale)
{
  __int128 p = 1, q, rem;

  if (scale >= 0)
    return x;
  if (scale < -38)
    return 0;
  for (gint64 i = 0; i < -scale; i++)
    p *= 10;
  q = (__int128) x / p;
  rem = (__int128) x % p;
  if ((rem < 0 ? -rem : rem) * 2 >= p)
    q += x < 0 ? -1 : 1;
  /* BigDecimal.toLong keeps the low 64 bits. */
  return (gint64) (guint64) (unsigned __int128) (q * p);
}

WeftColumn *
func_round (const WeftExpr *e, const ExprVec *args, gsize n)
{
  const WeftColumn *a = args[0].col;
  gint64 scale = e->n_children > 1 ? args[1].col->values.i64[0] : 0;
  WeftColumn *out = vec_fixed_new (e->type, n);

  if (e->type == WEFT_DATA_TYPE_INT64)
    for (gsize i = 0; i < n; i++)
      out->values.i64[i] = round_int64 (a->values.i64[i], scale);
  else
    for (gsize i = 0; i < n; i++)
      out->values.f64[i] = round_double (a->values.f64[i], scale);
  vec_adopt_validity (out, validity_copy (&args[0], n));
  return out;
}
