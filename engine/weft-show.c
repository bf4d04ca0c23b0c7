/* weft-show: Spark's show() text. See weft-show.h. */

#include "weft-show.h"

#include "weft-value-text.h"

#include <string.h>

/* Decodes one UTF-8 character at s[0 .. len) (len > 0). Invalid or truncated sequences give
 * U+FFFD for one byte, as Java's decoder gives one replacement character per bad byte. */
static gunichar
next_char (const char *s, gsize len, gsize *out_bytes)
{
  const guchar *u = (const guchar *) s;
  gunichar c;
  gsize n, i;

  if (u[0] < 0x80)
    {
      *out_bytes = 1;
      return u[0];
    }
  if (u[0] >= 0xC2 && u[0] <= 0xDF)
    n = 2, c = u[0] & 0x1F;
  else if (u[0] >= 0xE0 && u[0] <= 0xEF)
    n = 3, c = u[0] & 0x0F;
  else if (u[0] >= 0xF0 && u[0] <= 0xF4)
    n = 4, c = u[0] & 0x07;
  else
    goto bad;
  if (len < n)
    goto bad;
  for (i = 1; i < n; i++)
    {
      if ((u[i] & 0xC0) != 0x80)
        goto bad;
      c = (c << 6) | (u[i] & 0x3F);
    }
  /* Overlong forms, surrogates and values past U+10FFFF are invalid. */
  if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10FFFF))
      || (c >= 0xD800 && c <= 0xDFFF))
    goto bad;
  *out_bytes = n;
  return c;
bad:
  *out_bytes = 1;
  return 0xFFFD;
}

/* Spark's Utils.fullWidthRegex. */
static gboolean
is_full_width (gunichar c)
{
  return (c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0xA4CF)
         || (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0xF900 && c <= 0xFAFF)
         || (c >= 0xFE10 && c <= 0xFE19) || (c >= 0xFE30 && c <= 0xFE6F)
         || (c >= 0xFF00 && c <= 0xFF60) || (c >= 0xFFE0 && c <= 0xFFE6);
}

gsize
weft_show_string_width (const char *s, gsize len)
{
  gsize width = 0, i = 0;

  while (i < len)
    {
      gsize n;
      gunichar c;

      if ((guchar) s[i] < 0x80)
        {
          width++;
          i++;
          continue;
        }
      c = next_char (s + i, len - i, &n);
      width += c >= 0x10000 ? 2 : 1;
      width += is_full_width (c);
      i += n;
    }
  return width;
}

/* Bytes of the longest prefix of @s that is at most @units UTF-16 code units. */
static gsize
prefix_bytes (const char *s, gsize len, gsize units)
{
  gsize i = 0, used = 0;

  while (i < len)
    {
      gsize n;
      gunichar c = next_char (s + i, len - i, &n);
      gsize u = c >= 0x10000 ? 2 : 1;

      if (used + u > units)
        break;
      used += u;
      i += n;
    }
  return i;
}

static gsize
utf16_length (const char *s, gsize len)
{
  gsize i = 0, units = 0;

  while (i < len)
    {
      gsize n;
      gunichar c = next_char (s + i, len - i, &n);

      units += c >= 0x10000 ? 2 : 1;
      i += n;
    }
  return units;
}

/* Spark's SchemaUtils.escapeMetaCharacters. */
static void
append_escaped (GString *out, const char *s, gsize len)
{
  for (gsize i = 0; i < len; i++)
    {
      const char *esc = NULL;

      switch (s[i])
        {
        case '\n':
          esc = "\\n";
          break;
        case '\r':
          esc = "\\r";
          break;
        case '\t':
          esc = "\\t";
          break;
        case '\f':
          esc = "\\f";
          break;
        case '\b':
          esc = "\\b";
          break;
        case '\v':
          esc = "\\v";
          break;
        case '\a':
          esc = "\\a";
          break;
        default:
          break;
        }
      if (esc != NULL)
        g_string_append (out, esc);
      else
        g_string_append_c (out, s[i]);
    }
}

/* One cell's text, as getRows() makes it. */
static char *
cell_text (const WeftColumn *col, gsize row, int truncate)
{
  GString *raw = g_string_new (NULL);
  GString *out;
  char buf[WEFT_VALUE_TEXT_MAX];

  if (!weft_column_is_valid (col, row))
    g_string_append (raw, "null");
  else
    switch (col->type)
      {
      case WEFT_DATA_TYPE_INT64:
        g_string_append_len (raw, buf, (gssize) weft_value_text_int64 (col->values.i64[row], buf));
        break;
      case WEFT_DATA_TYPE_DOUBLE:
        g_string_append_len (raw, buf,
                             (gssize) weft_value_text_double (col->values.f64[row], buf));
        break;
      case WEFT_DATA_TYPE_BOOL:
        g_string_append (raw, col->values.b[row] ? "true" : "false");
        break;
      case WEFT_DATA_TYPE_DATE:
        weft_format_date (col->values.date[row], raw);
        break;
      case WEFT_DATA_TYPE_STRING:
        {
          gsize len;
          const char *s = weft_column_get_string (col, row, &len);

          g_string_append_len (raw, s, (gssize) len);
        }
        break;
      }
  out = g_string_sized_new (raw->len + 8);
  append_escaped (out, raw->str, raw->len);
  g_string_free (raw, TRUE);
  if (truncate > 0 && utf16_length (out->str, out->len) > (gsize) truncate)
    {
      /* "do not show ellipses for strings shorter than 4 characters" */
      if (truncate < 4)
        g_string_truncate (out, prefix_bytes (out->str, out->len, (gsize) truncate));
      else
        {
          g_string_truncate (out, prefix_bytes (out->str, out->len, (gsize) truncate - 3));
          g_string_append (out, "...");
        }
    }
  return g_string_free (out, FALSE);
}

static void
append_repeat (GString *out, char c, gsize n)
{
  for (gsize i = 0; i < n; i++)
    g_string_append_c (out, c);
}

/* Pads @cell to @width display columns: on the left (right-aligned) or the right. */
static void
append_padded (GString *out, const char *cell, gsize width, gboolean left_pad)
{
  gsize len = strlen (cell);
  gsize w = weft_show_string_width (cell, len);
  gsize pad = width > w ? width - w : 0;

  if (left_pad)
    append_repeat (out, ' ', pad);
  g_string_append_len (out, cell, (gssize) len);
  if (!left_pad)
    append_repeat (out, ' ', pad);
}

char *
weft_show_format (const WeftSchema *schema, WeftBatch *const *batches, guint n_batches,
                  gint64 total_rows, int n, int truncate, gboolean vertical)
{
  const guint n_cols = weft_schema_get_n_fields (schema);
  const gsize min_width = 3; /* Spark's minimumColWidth */
  g_autoptr (GPtrArray) cells = g_ptr_array_new_with_free_func (g_free); /* row-major */
  g_autofree gsize *widths = g_new0 (gsize, MAX (n_cols, 1));
  GString *out = g_string_new (NULL);
  gsize n_rows = 0, available = 0;
  gboolean has_more;

  if (n < 0)
    n = 0;
  /* Row 0: the column names, escaped but never truncated. */
  for (guint c = 0; c < n_cols; c++)
    {
      const char *name = weft_schema_get_field (schema, c)->name;
      GString *s = g_string_new (NULL);

      append_escaped (s, name, strlen (name));
      g_ptr_array_add (cells, g_string_free (s, FALSE));
    }
  for (guint b = 0; b < n_batches; b++)
    {
      const WeftBatch *batch = batches[b];

      g_return_val_if_fail (batch->n_columns == n_cols, g_string_free (out, TRUE));
      available += batch->n_rows;
      for (gsize r = 0; r < batch->n_rows && n_rows < (gsize) n; r++, n_rows++)
        for (guint c = 0; c < n_cols; c++)
          g_ptr_array_add (cells, cell_text (batch->columns[c], r, truncate));
    }
  has_more = total_rows >= 0 ? total_rows > n : available > (gsize) n;

  if (!vertical)
    {
      GString *sep = g_string_new ("+");

      for (gsize i = 0; i < cells->len; i++)
        {
          const char *cell = cells->pdata[i];
          gsize w = weft_show_string_width (cell, strlen (cell));
          guint c = (guint) (i % n_cols);

          widths[c] = MAX (widths[c], MAX (w, min_width));
        }
      for (guint c = 0; c < n_cols; c++)
        {
          append_repeat (sep, '-', widths[c]);
          g_string_append_c (sep, '+');
        }
      g_string_append_c (sep, '\n');

      g_string_append (out, sep->str);
      for (gsize r = 0; r <= n_rows; r++)
        {
          g_string_append_c (out, '|');
          for (guint c = 0; c < n_cols; c++)
            {
              append_padded (out, cells->pdata[r * n_cols + c], widths[c], truncate > 0);
              g_string_append_c (out, '|');
            }
          g_string_append_c (out, '\n');
          if (r == 0)
            g_string_append (out, sep->str);
        }
      g_string_append (out, sep->str);
      g_string_free (sep, TRUE);
    }
  else
    {
      gsize name_width = min_width, data_width = min_width;

      for (guint c = 0; c < n_cols; c++)
        {
          const char *name = cells->pdata[c];

          name_width = MAX (name_width, weft_show_string_width (name, strlen (name)));
        }
      for (gsize i = n_cols; i < cells->len; i++)
        {
          const char *cell = cells->pdata[i];

          data_width = MAX (data_width, weft_show_string_width (cell, strlen (cell)));
        }
      for (gsize r = 1; r <= n_rows; r++)
        {
          gsize start = out->len;

          /* "+ 5" in size means a character length except for padded names and data */
          g_string_append_printf (out, "-RECORD %" G_GSIZE_FORMAT, r - 1);
          if (out->len - start < name_width + data_width + 5)
            append_repeat (out, '-', name_width + data_width + 5 - (out->len - start));
          g_string_append_c (out, '\n');
          for (guint c = 0; c < n_cols; c++)
            {
              g_string_append_c (out, ' ');
              append_padded (out, cells->pdata[c], name_width, FALSE);
              g_string_append (out, " | ");
              append_padded (out, cells->pdata[r * n_cols + c], data_width, FALSE);
              g_string_append (out, " \n");
            }
        }
    }

  if (vertical && n_rows == 0)
    g_string_append (out, "(0 rows)\n");
  else if (has_more)
    g_string_append_printf (out, "only showing top %d %s\n", n, n == 1 ? "row" : "rows");
  return g_string_free (out, FALSE);
}
