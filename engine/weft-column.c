/* weft-column: typed vectors with validity bitmaps (see weft-column.h).
 *
 * Invariants: capacity >= length; values (fixed width) or offsets (strings, capacity + 1 entries)
 * hold capacity rows; validity, when present, holds capacity bits and every bit past length is
 * unspecified; null_count counts the cleared bits below length. */

#include "weft-column.h"

#include "weft-parse.h"

#include <math.h>
#include <string.h>

gsize
weft_data_type_width (WeftDataType type)
{
  switch (type)
    {
    case WEFT_DATA_TYPE_INT64:
      return sizeof (gint64);
    case WEFT_DATA_TYPE_DOUBLE:
      return sizeof (double);
    case WEFT_DATA_TYPE_BOOL:
      return 1;
    case WEFT_DATA_TYPE_DATE:
      return sizeof (gint32);
    case WEFT_DATA_TYPE_STRING:
      return 0;
    }
  g_return_val_if_reached (0);
}

static inline void
bit_set (guint8 *bits, gsize i)
{
  bits[i >> 3] |= (guint8) (1u << (i & 7));
}

static inline void
bit_clear (guint8 *bits, gsize i)
{
  bits[i >> 3] &= (guint8) ~(1u << (i & 7));
}

static void
set_capacity (WeftColumn *column, gsize capacity)
{
  gsize width = weft_data_type_width (column->type);

  if (column->type == WEFT_DATA_TYPE_STRING)
    column->offsets = g_renew (guint64, column->offsets, capacity + 1);
  else
    column->values.raw = g_realloc (column->values.raw, MAX (capacity, 1) * width);
  if (column->validity != NULL)
    column->validity = g_realloc (column->validity, (capacity + 7) / 8 + 1);
  column->capacity = capacity;
}

WeftColumn *
weft_column_new (WeftDataType type, gsize capacity)
{
  WeftColumn *column;

  g_return_val_if_fail (WEFT_DATA_TYPE_IS_VALID (type), NULL);
  column = g_new0 (WeftColumn, 1);
  g_atomic_ref_count_init (&column->ref_count);
  column->type = type;
  set_capacity (column, capacity);
  if (type == WEFT_DATA_TYPE_STRING)
    column->offsets[0] = 0;
  return column;
}

WeftColumn *
weft_column_ref (WeftColumn *column)
{
  g_return_val_if_fail (column != NULL, NULL);
  g_atomic_ref_count_inc (&column->ref_count);
  return column;
}

void
weft_column_unref (WeftColumn *column)
{
  if (column == NULL || !g_atomic_ref_count_dec (&column->ref_count))
    return;
  g_free (column->values.raw);
  g_free (column->offsets);
  g_free (column->data);
  g_free (column->validity);
  g_free (column);
}

void
weft_column_reserve (WeftColumn *column, gsize n_more)
{
  gsize need = column->length + n_more;
  gsize capacity;

  if (need <= column->capacity)
    return;
  capacity = MAX (column->capacity * 2, 16);
  while (capacity < need)
    capacity *= 2;
  set_capacity (column, capacity);
}

void
weft_column_reserve_data (WeftColumn *column, gsize n_more)
{
  gsize used, need, capacity;

  g_return_if_fail (column->type == WEFT_DATA_TYPE_STRING);
  used = column->offsets[column->length];
  need = used + n_more;
  if (need <= column->data_capacity)
    return;
  capacity = MAX (column->data_capacity * 2, 64);
  while (capacity < need)
    capacity *= 2;
  column->data = g_realloc (column->data, capacity);
  column->data_capacity = capacity;
}

/* Creates the bitmap with every existing row valid. */
static void
ensure_validity (WeftColumn *column)
{
  if (column->validity != NULL)
    return;
  column->validity = g_malloc ((column->capacity + 7) / 8 + 1);
  memset (column->validity, 0xff, (column->capacity + 7) / 8 + 1);
}

/* Marks the row just added as valid (only matters once a bitmap exists). */
static inline void
mark_valid (WeftColumn *column, gsize row)
{
  if (G_UNLIKELY (column->validity != NULL))
    bit_set (column->validity, row);
}

void
weft_column_append_null (WeftColumn *column)
{
  gsize row = column->length;

  weft_column_reserve (column, 1);
  ensure_validity (column);
  bit_clear (column->validity, row);
  column->null_count++;
  if (column->type == WEFT_DATA_TYPE_STRING)
    column->offsets[row + 1] = column->offsets[row];
  else
    memset ((char *) column->values.raw + row * weft_data_type_width (column->type), 0,
            weft_data_type_width (column->type));
  column->length++;
}

#define DEFINE_APPEND(fn, ctype, dtype, member, conv)                                              \
  void fn (WeftColumn *column, ctype value)                                                        \
  {                                                                                                \
    g_return_if_fail (column->type == dtype);                                                      \
    weft_column_reserve (column, 1);                                                               \
    column->values.member[column->length] = conv;                                                  \
    mark_valid (column, column->length);                                                           \
    column->length++;                                                                              \
  }

DEFINE_APPEND (weft_column_append_int64, gint64, WEFT_DATA_TYPE_INT64, i64, value)
DEFINE_APPEND (weft_column_append_double, double, WEFT_DATA_TYPE_DOUBLE, f64, value)
DEFINE_APPEND (weft_column_append_bool, gboolean, WEFT_DATA_TYPE_BOOL, b, value ? 1 : 0)
DEFINE_APPEND (weft_column_append_date, gint32, WEFT_DATA_TYPE_DATE, date, value)

void
weft_column_append_string (WeftColumn *column, const char *bytes, gsize len)
{
  guint64 start;

  g_return_if_fail (column->type == WEFT_DATA_TYPE_STRING);
  weft_column_reserve (column, 1);
  weft_column_reserve_data (column, len);
  start = column->offsets[column->length];
  if (len > 0)
    memcpy (column->data + start, bytes, len);
  column->offsets[column->length + 1] = start + len;
  mark_valid (column, column->length);
  column->length++;
}

gsize
weft_column_extend (WeftColumn *column, gsize n)
{
  gsize first = column->length;

  g_return_val_if_fail (column->type != WEFT_DATA_TYPE_STRING, first);
  weft_column_reserve (column, n);
  if (column->validity != NULL)
    for (gsize i = first; i < first + n; i++)
      bit_set (column->validity, i);
  column->length += n;
  return first;
}

void
weft_column_set_null (WeftColumn *column, gsize row)
{
  g_return_if_fail (row < column->length);
  ensure_validity (column);
  if (!((column->validity[row >> 3] >> (row & 7)) & 1))
    return;
  bit_clear (column->validity, row);
  column->null_count++;
  if (column->type != WEFT_DATA_TYPE_STRING)
    memset ((char *) column->values.raw + row * weft_data_type_width (column->type), 0,
            weft_data_type_width (column->type));
}

/* Copies @n validity bits from src (starting at @offset) to column (starting at its length). */
static void
append_validity_range (WeftColumn *column, const WeftColumn *src, gsize offset, gsize n)
{
  gsize dst = column->length;

  if (src->validity == NULL || src->null_count == 0)
    {
      if (column->validity != NULL)
        for (gsize i = 0; i < n; i++)
          bit_set (column->validity, dst + i);
      return;
    }
  ensure_validity (column);
  for (gsize i = 0; i < n; i++)
    {
      if (weft_column_is_valid (src, offset + i))
        bit_set (column->validity, dst + i);
      else
        {
          bit_clear (column->validity, dst + i);
          column->null_count++;
        }
    }
}

void
weft_column_append_range (WeftColumn *column, const WeftColumn *src, gsize offset, gsize n)
{
  g_return_if_fail (column->type == src->type);
  g_return_if_fail (offset <= src->length && n <= src->length - offset);
  if (n == 0)
    return;
  weft_column_reserve (column, n);
  append_validity_range (column, src, offset, n);
  if (column->type == WEFT_DATA_TYPE_STRING)
    {
      guint64 src_start = src->offsets[offset];
      guint64 bytes = src->offsets[offset + n] - src_start;
      guint64 base = column->offsets[column->length];

      weft_column_reserve_data (column, bytes);
      if (bytes > 0)
        memcpy (column->data + base, src->data + src_start, bytes);
      for (gsize i = 1; i <= n; i++)
        column->offsets[column->length + i] = base + (src->offsets[offset + i] - src_start);
    }
  else
    {
      gsize width = weft_data_type_width (column->type);

      memcpy ((char *) column->values.raw + column->length * width,
              (const char *) src->values.raw + offset * width, n * width);
    }
  column->length += n;
}

void
weft_column_append_take (WeftColumn *column, const WeftColumn *src, const guint32 *rows, gsize n)
{
  gsize dst = column->length;

  g_return_if_fail (column->type == src->type);
  if (n == 0)
    return;
  weft_column_reserve (column, n);
  if (src->validity != NULL && src->null_count > 0)
    {
      ensure_validity (column);
      for (gsize i = 0; i < n; i++)
        {
          if (weft_column_is_valid (src, rows[i]))
            bit_set (column->validity, dst + i);
          else
            {
              bit_clear (column->validity, dst + i);
              column->null_count++;
            }
        }
    }
  else if (column->validity != NULL)
    for (gsize i = 0; i < n; i++)
      bit_set (column->validity, dst + i);

  switch (column->type)
    {
    case WEFT_DATA_TYPE_INT64:
      for (gsize i = 0; i < n; i++)
        column->values.i64[dst + i] = src->values.i64[rows[i]];
      break;
    case WEFT_DATA_TYPE_DOUBLE:
      for (gsize i = 0; i < n; i++)
        column->values.f64[dst + i] = src->values.f64[rows[i]];
      break;
    case WEFT_DATA_TYPE_BOOL:
      for (gsize i = 0; i < n; i++)
        column->values.b[dst + i] = src->values.b[rows[i]];
      break;
    case WEFT_DATA_TYPE_DATE:
      for (gsize i = 0; i < n; i++)
        column->values.date[dst + i] = src->values.date[rows[i]];
      break;
    case WEFT_DATA_TYPE_STRING:
      {
        guint64 bytes = 0, pos;

        for (gsize i = 0; i < n; i++)
          bytes += src->offsets[rows[i] + 1] - src->offsets[rows[i]];
        weft_column_reserve_data (column, bytes);
        pos = column->offsets[dst];
        for (gsize i = 0; i < n; i++)
          {
            guint64 s = src->offsets[rows[i]], len = src->offsets[rows[i] + 1] - s;

            if (len > 0) /* data may still be NULL when every value so far is empty */
              memcpy (column->data + pos, src->data + s, len);
            pos += len;
            column->offsets[dst + i + 1] = pos;
          }
      }
      break;
    }
  column->length += n;
}

WeftColumn *
weft_column_take (const WeftColumn *src, const guint32 *rows, gsize n)
{
  WeftColumn *column = weft_column_new (src->type, n);

  weft_column_append_take (column, src, rows, n);
  return column;
}

WeftColumn *
weft_column_slice (const WeftColumn *src, gsize offset, gsize n)
{
  WeftColumn *column = weft_column_new (src->type, n);

  weft_column_append_range (column, src, offset, n);
  return column;
}

WeftColumn *
weft_column_concat (WeftColumn *const *columns, guint n)
{
  WeftColumn *column;
  gsize rows = 0, bytes = 0;

  g_return_val_if_fail (n >= 1, NULL);
  for (guint i = 0; i < n; i++)
    {
      rows += columns[i]->length;
      if (columns[i]->type == WEFT_DATA_TYPE_STRING)
        bytes += columns[i]->offsets[columns[i]->length];
    }
  column = weft_column_new (columns[0]->type, rows);
  if (column->type == WEFT_DATA_TYPE_STRING)
    weft_column_reserve_data (column, bytes);
  for (guint i = 0; i < n; i++)
    weft_column_append_range (column, columns[i], 0, columns[i]->length);
  return column;
}

gsize
weft_column_get_bytes (const WeftColumn *column)
{
  gsize bytes = sizeof *column;

  if (column->type == WEFT_DATA_TYPE_STRING)
    bytes += (column->capacity + 1) * sizeof (guint64) + column->data_capacity;
  else
    bytes += MAX (column->capacity, 1) * weft_data_type_width (column->type);
  if (column->validity != NULL)
    bytes += (column->capacity + 7) / 8 + 1;
  return bytes;
}

static gboolean
double_same (double a, double b)
{
  if (isnan (a) || isnan (b))
    return isnan (a) && isnan (b);
  return memcmp (&a, &b, sizeof a) == 0;
}

gboolean
weft_column_equal (const WeftColumn *a, const WeftColumn *b)
{
  if (a->type != b->type || a->length != b->length || a->null_count != b->null_count)
    return FALSE;
  for (gsize i = 0; i < a->length; i++)
    {
      gboolean valid = weft_column_is_valid (a, i);

      if (valid != weft_column_is_valid (b, i))
        return FALSE;
      if (!valid)
        continue;
      switch (a->type)
        {
        case WEFT_DATA_TYPE_INT64:
          if (a->values.i64[i] != b->values.i64[i])
            return FALSE;
          break;
        case WEFT_DATA_TYPE_DOUBLE:
          if (!double_same (a->values.f64[i], b->values.f64[i]))
            return FALSE;
          break;
        case WEFT_DATA_TYPE_BOOL:
          if (a->values.b[i] != b->values.b[i])
            return FALSE;
          break;
        case WEFT_DATA_TYPE_DATE:
          if (a->values.date[i] != b->values.date[i])
            return FALSE;
          break;
        case WEFT_DATA_TYPE_STRING:
          {
            gsize la, lb;
            const char *sa = weft_column_get_string (a, i, &la);
            const char *sb = weft_column_get_string (b, i, &lb);

            /* An all-empty string column may have no data buffer at all. */
            if (la != lb || (la > 0 && memcmp (sa, sb, la) != 0))
              return FALSE;
          }
          break;
        }
    }
  return TRUE;
}

void
weft_column_format_value (const WeftColumn *column, gsize row, GString *out)
{
  g_return_if_fail (row < column->length);
  if (!weft_column_is_valid (column, row))
    {
      g_string_append (out, "null");
      return;
    }
  switch (column->type)
    {
    case WEFT_DATA_TYPE_INT64:
      g_string_append_printf (out, "%" G_GINT64_FORMAT, column->values.i64[row]);
      break;
    case WEFT_DATA_TYPE_DOUBLE:
      {
        char buf[G_ASCII_DTOSTR_BUF_SIZE];

        g_string_append (out, g_ascii_dtostr (buf, sizeof buf, column->values.f64[row]));
      }
      break;
    case WEFT_DATA_TYPE_BOOL:
      g_string_append (out, column->values.b[row] ? "true" : "false");
      break;
    case WEFT_DATA_TYPE_DATE:
      weft_format_date (column->values.date[row], out);
      break;
    case WEFT_DATA_TYPE_STRING:
      {
        gsize len;
        const char *s = weft_column_get_string (column, row, &len);

        g_string_append_len (out, s, (gssize) len);
      }
      break;
    }
}
