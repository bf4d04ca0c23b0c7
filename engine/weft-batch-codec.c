/* weft-batch-codec: batches as bytes (see weft-batch-codec.h for the format).
 *
 * The encoder sizes its output once and fills it with bulk copies: on a little-endian host the
 * in-memory arrays already are the wire format. The decoder reads through a bounds-checked
 * cursor and checks that the bytes a count implies are present before it allocates anything for
 * that count, so a damaged count costs an error, not an allocation. */

#include "weft-batch-codec.h"

#include <string.h>

#define BATCH_MAGIC 0x31544257u /* "WBT1" little-endian */
#define FLAG_VALIDITY 1u
/* Smallest field entry (type, nullable, name_len) plus the smallest column section (flags). */
#define MIN_COLUMN_BYTES 7

static gboolean
column_has_nulls (const WeftColumn *c)
{
  return c->validity != NULL && c->null_count > 0;
}

static guint64
string_data_len (const WeftColumn *c, gsize n_rows)
{
  return c->offsets[n_rows] - c->offsets[0];
}

/* ---- Encoding ------------------------------------------------------------------------------ */

static inline guint8 *
put_u8 (guint8 *p, guint8 v)
{
  *p = v;
  return p + 1;
}

static inline guint8 *
put_u32 (guint8 *p, guint32 v)
{
  v = GUINT32_TO_LE (v);
  memcpy (p, &v, sizeof v);
  return p + sizeof v;
}

static inline guint8 *
put_u64 (guint8 *p, guint64 v)
{
  v = GUINT64_TO_LE (v);
  memcpy (p, &v, sizeof v);
  return p + sizeof v;
}

/* Copies @n values of @width bytes, converting to little-endian where the host is not. */
static guint8 *
put_array (guint8 *p, const void *src, gsize n, gsize width)
{
  if (n == 0)
    return p;
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
  memcpy (p, src, n * width);
  return p + n * width;
#else
  const guint8 *s = src;

  for (gsize i = 0; i < n; i++)
    for (gsize b = 0; b < width; b++)
      p[i * width + b] = s[i * width + width - 1 - b];
  return p + n * width;
#endif
}

gsize
weft_batch_get_encoded_size (const WeftBatch *batch)
{
  gsize n, size = WEFT_BATCH_CODEC_HEADER_SIZE;

  g_return_val_if_fail (batch != NULL, 0);
  n = batch->n_rows;
  for (guint i = 0; i < batch->n_columns; i++)
    {
      const WeftField *f = weft_schema_get_field (batch->schema, i);
      const WeftColumn *c = batch->columns[i];

      /* The encoder reads n_rows rows of every column: a shorter one is a programmer error. */
      g_return_val_if_fail (c->length == n && c->type == f->type, 0);
      size += 6 + strlen (f->name); /* type, nullable, name_len, name */
      size += 1;                     /* column flags */
      if (column_has_nulls (c))
        size += (n + 7) / 8;
      if (c->type == WEFT_DATA_TYPE_STRING)
        size += 8 + n * 8 + string_data_len (c, n);
      else
        size += n * weft_data_type_width (c->type);
    }
  return size;
}

static guint8 *
encode_column (guint8 *p, const WeftColumn *c, gsize n)
{
  gboolean nulls = column_has_nulls (c);
  guint64 data_len = 0;

  p = put_u8 (p, nulls ? FLAG_VALIDITY : 0);
  if (c->type == WEFT_DATA_TYPE_STRING)
    {
      data_len = string_data_len (c, n);
      p = put_u64 (p, data_len);
    }
  if (nulls && n > 0)
    {
      gsize nb = (n + 7) / 8;

      memcpy (p, c->validity, nb);
      /* Bits past the length are unspecified in memory; the format has them clear. */
      if (n % 8 != 0)
        p[nb - 1] &= (guint8) ((1u << (n % 8)) - 1);
      p += nb;
    }
  if (c->type != WEFT_DATA_TYPE_STRING)
    return put_array (p, c->values.raw, n, weft_data_type_width (c->type));

  if (c->offsets[0] == 0)
    p = put_array (p, c->offsets + 1, n, sizeof (guint64));
  else
    for (gsize i = 1; i <= n; i++)
      p = put_u64 (p, c->offsets[i] - c->offsets[0]);
  if (data_len > 0)
    {
      memcpy (p, c->data + c->offsets[0], data_len);
      p += data_len;
    }
  return p;
}

void
weft_batch_encode (const WeftBatch *batch, GByteArray *out)
{
  gsize size, start;
  guint8 *p;

  g_return_if_fail (batch != NULL && out != NULL);
  g_return_if_fail (batch->n_rows <= G_MAXUINT32);
  size = weft_batch_get_encoded_size (batch);
  g_return_if_fail (size >= WEFT_BATCH_CODEC_HEADER_SIZE); /* 0: a column does not fit */
  g_return_if_fail (size <= G_MAXUINT - out->len);

  start = out->len;
  g_byte_array_set_size (out, (guint) (start + size));
  p = out->data + start;
  p = put_u32 (p, BATCH_MAGIC);
  p = put_u32 (p, batch->n_columns);
  p = put_u64 (p, batch->n_rows);
  p = put_u64 (p, size - WEFT_BATCH_CODEC_HEADER_SIZE);
  for (guint i = 0; i < batch->n_columns; i++)
    {
      const WeftField *f = weft_schema_get_field (batch->schema, i);
      gsize name_len = strlen (f->name);

      p = put_u8 (p, (guint8) f->type);
      p = put_u8 (p, f->nullable ? 1 : 0);
      p = put_u32 (p, (guint32) name_len);
      memcpy (p, f->name, name_len);
      p += name_len;
    }
  for (guint i = 0; i < batch->n_columns; i++)
    p = encode_column (p, batch->columns[i], batch->n_rows);
  g_warn_if_fail (p == out->data + start + size);
}

/* ---- Decoding ------------------------------------------------------------------------------ */

/* A bounds-checked reader: take() hands out @n bytes only if they are there. */
typedef struct
{
  const guint8 *base;
  const guint8 *p;
  gsize left;
} Cursor;

static inline const guint8 *
take (Cursor *c, gsize n)
{
  const guint8 *p = c->p;

  if (n > c->left)
    return NULL;
  c->p += n;
  c->left -= n;
  return p;
}

static inline guint32
get_u32 (const guint8 *p)
{
  guint32 v;

  memcpy (&v, p, sizeof v);
  return GUINT32_FROM_LE (v);
}

static inline guint64
get_u64 (const guint8 *p)
{
  guint64 v;

  memcpy (&v, p, sizeof v);
  return GUINT64_FROM_LE (v);
}

static gboolean
malformed (const Cursor *c, GError **error, const char *format, ...) G_GNUC_PRINTF (3, 4);

static gboolean
malformed (const Cursor *c, GError **error, const char *format, ...)
{
  g_autofree char *what = NULL;
  va_list args;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_MALFORMED,
               "malformed encoded batch: %s (at byte %zu)", what, (gsize) (c->p - c->base));
  return FALSE;
}

static gboolean
check_header (const Cursor *cur, const guint8 *h, gsize *out_size, guint32 *out_columns,
              guint64 *out_rows, GError **error)
{
  guint32 n_columns = get_u32 (h + 4);
  guint64 n_rows = get_u64 (h + 8);
  guint64 body_len = get_u64 (h + 16);

  if (get_u32 (h) != BATCH_MAGIC)
    return malformed (cur, error, "bad magic");
  if (n_rows > G_MAXUINT32)
    return malformed (cur, error, "row count %" G_GUINT64_FORMAT " past the limit", n_rows);
  if (body_len > G_MAXSIZE - WEFT_BATCH_CODEC_HEADER_SIZE
      || n_columns > body_len / MIN_COLUMN_BYTES)
    return malformed (cur, error, "%u columns in a body of %" G_GUINT64_FORMAT " bytes", n_columns,
                      body_len);
  *out_size = WEFT_BATCH_CODEC_HEADER_SIZE + (gsize) body_len;
  if (out_columns != NULL)
    *out_columns = n_columns;
  if (out_rows != NULL)
    *out_rows = n_rows;
  return TRUE;
}

gboolean
weft_batch_peek_encoded_size (const guint8 *data, gsize len, gsize *out_size, GError **error)
{
  Cursor cur = { data, data, len };

  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  if (len < WEFT_BATCH_CODEC_HEADER_SIZE)
    return malformed (&cur, error, "%zu bytes, less than a header", len);
  return check_header (&cur, data, out_size, NULL, NULL, error);
}

static inline gboolean
bit_is_set (const guint8 *bits, gsize i)
{
  return (bits[i >> 3] >> (i & 7)) & 1;
}

/* Reads the bitmap of @n rows if @flags say there is one: *out stays NULL otherwise. */
static gboolean
read_validity (Cursor *cur, guint8 flags, gsize n, const guint8 **out, GError **error)
{
  const guint8 *bits;
  gsize nb = (n + 7) / 8;

  *out = NULL;
  if (!(flags & FLAG_VALIDITY))
    return TRUE;
  if ((bits = take (cur, nb)) == NULL)
    return malformed (cur, error, "validity of %zu rows past the end", n);
  if (n % 8 != 0 && (bits[nb - 1] >> (n % 8)) != 0)
    return malformed (cur, error, "validity bits set past the last row");
  *out = bits;
  return TRUE;
}

static WeftColumn *
read_fixed (Cursor *cur, WeftDataType type, gsize n, const guint8 *validity, GError **error)
{
  gsize width = weft_data_type_width (type);
  const guint8 *values;
  g_autoptr (WeftColumn) c = NULL;

  /* n < 2^32 and width <= 8, so n * width cannot overflow a 64-bit size; checked for 32-bit. */
  if (n > G_MAXSIZE / width || (values = take (cur, n * width)) == NULL)
    return malformed (cur, error, "%zu %s values past the end", n, weft_data_type_name (type)),
           NULL;
  if (type == WEFT_DATA_TYPE_BOOL)
    for (gsize i = 0; i < n; i++)
      if (values[i] > 1)
        return malformed (cur, error, "boolean byte %u in row %zu", values[i], i), NULL;
  c = weft_column_new (type, n);
  weft_column_extend (c, n);
  if (n > 0)
    {
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
      memcpy (c->values.raw, values, n * width);
#else
      guint8 *dst = c->values.raw;

      for (gsize i = 0; i < n; i++)
        for (gsize b = 0; b < width; b++)
          dst[i * width + b] = values[i * width + width - 1 - b];
#endif
    }
  if (validity != NULL)
    for (gsize i = 0; i < n; i += 8)
      {
        /* Whole valid bytes are the common case: skip them eight rows at a time. */
        if (validity[i >> 3] == 0xff)
          continue;
        for (gsize j = i; j < MIN (i + 8, n); j++)
          if (!bit_is_set (validity, j))
            weft_column_set_null (c, j);
      }
  return g_steal_pointer (&c);
}

static WeftColumn *
read_strings (Cursor *cur, gsize n, guint64 data_len, const guint8 *validity, GError **error)
{
  const guint8 *ends, *data;
  guint64 prev = 0;
  g_autoptr (WeftColumn) c = NULL;

  if (n > G_MAXSIZE / 8 || (ends = take (cur, n * 8)) == NULL)
    return malformed (cur, error, "%zu string offsets past the end", n), NULL;
  if (data_len > cur->left || (data = take (cur, (gsize) data_len)) == NULL)
    return malformed (cur, error, "%" G_GUINT64_FORMAT " bytes of strings past the end",
                      data_len),
           NULL;
  /* Every offset is checked before anything is built from it. */
  for (gsize i = 0; i < n; i++)
    {
      guint64 end = get_u64 (ends + i * 8);

      if (end < prev || end > data_len)
        return malformed (cur, error, "string offset %" G_GUINT64_FORMAT " of row %zu out of order",
                          end, i),
               NULL;
      prev = end;
    }
  if (prev != data_len)
    return malformed (cur, error, "strings end at %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT,
                      prev, data_len),
           NULL;

  c = weft_column_new (WEFT_DATA_TYPE_STRING, n);
  weft_column_reserve_data (c, (gsize) data_len);
  prev = 0;
  for (gsize i = 0; i < n; i++)
    {
      guint64 end = get_u64 (ends + i * 8);

      if (validity != NULL && !bit_is_set (validity, i))
        weft_column_append_null (c);
      else
        weft_column_append_string (c, (const char *) data + prev, (gsize) (end - prev));
      prev = end;
    }
  return g_steal_pointer (&c);
}

static WeftColumn *
read_column (Cursor *cur, WeftDataType type, gsize n, GError **error)
{
  const guint8 *p, *validity;
  guint8 flags;
  guint64 data_len = 0;

  if ((p = take (cur, 1)) == NULL)
    return malformed (cur, error, "column flags past the end"), NULL;
  flags = p[0];
  if ((flags & ~FLAG_VALIDITY) != 0)
    return malformed (cur, error, "unknown column flags 0x%02x", flags), NULL;
  if (type == WEFT_DATA_TYPE_STRING)
    {
      if ((p = take (cur, 8)) == NULL)
        return malformed (cur, error, "string length past the end"), NULL;
      data_len = get_u64 (p);
    }
  if (!read_validity (cur, flags, n, &validity, error))
    return NULL;
  if (type == WEFT_DATA_TYPE_STRING)
    return read_strings (cur, n, data_len, validity, error);
  return read_fixed (cur, type, n, validity, error);
}

static void
free_columns (WeftColumn **columns, guint n)
{
  for (guint i = 0; i < n; i++)
    weft_column_unref (columns[i]);
  g_free (columns);
}

WeftBatch *
weft_batch_decode (const guint8 *data, gsize len, gsize *consumed, GError **error)
{
  Cursor cur = { data, data, len };
  const guint8 *h;
  gsize size = 0;
  guint32 n_columns = 0;
  guint64 n_rows = 0;
  g_autoptr (WeftSchema) schema = NULL;
  WeftColumn **columns;
  WeftBatch *batch;

  g_return_val_if_fail (data != NULL || len == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  if ((h = take (&cur, WEFT_BATCH_CODEC_HEADER_SIZE)) == NULL)
    return malformed (&cur, error, "%zu bytes, less than a header", len), NULL;
  if (!check_header (&cur, h, &size, &n_columns, &n_rows, error))
    return NULL;
  if (size > len)
    return malformed (&cur, error, "batch of %zu bytes in %zu", size, len), NULL;
  /* From here on the cursor covers this batch's body only. */
  cur.left = size - WEFT_BATCH_CODEC_HEADER_SIZE;

  schema = weft_schema_new ();
  for (guint32 i = 0; i < n_columns; i++)
    {
      const guint8 *p, *name;
      guint32 name_len;
      g_autofree char *name_str = NULL;

      if ((p = take (&cur, 6)) == NULL)
        return malformed (&cur, error, "field %u past the end", i), NULL;
      name_len = get_u32 (p + 2);
      if (!WEFT_DATA_TYPE_IS_VALID (p[0]) || p[1] > 1)
        return malformed (&cur, error, "field %u: type %u, nullable %u", i, p[0], p[1]), NULL;
      if ((name = take (&cur, name_len)) == NULL)
        return malformed (&cur, error, "name of field %u past the end", i), NULL;
      if (memchr (name, '\0', name_len) != NULL)
        return malformed (&cur, error, "name of field %u holds a NUL", i), NULL;
      name_str = g_strndup ((const char *) name, name_len);
      weft_schema_add_field (schema, name_str, (WeftDataType) p[0], p[1] != 0);
    }

  columns = g_new0 (WeftColumn *, MAX (n_columns, 1));
  for (guint32 i = 0; i < n_columns; i++)
    {
      columns[i] = read_column (&cur, weft_schema_get_field (schema, i)->type, (gsize) n_rows,
                                error);
      if (columns[i] == NULL)
        {
          g_prefix_error (error, "column %u: ", i);
          free_columns (columns, i);
          return NULL;
        }
    }
  if (cur.left != 0)
    {
      malformed (&cur, error, "%zu bytes left over in the body", cur.left);
      free_columns (columns, n_columns);
      return NULL;
    }
  if (consumed != NULL)
    *consumed = size;
  batch = weft_batch_new (schema, columns, (gsize) n_rows); /* takes the column references */
  g_free (columns);
  return batch;
}
