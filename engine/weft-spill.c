/* weft-spill: spill files (see weft-spill.h for the format). */

#include "weft-spill.h"

#include "weft-engine-error.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <lz4.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define SPILL_MAGIC 0x31505357u /* "WSP1" little-endian */
#define FLAG_LZ4 1u

typedef struct
{
  guint32 magic;
  guint32 flags;
  guint32 n_columns;
  guint32 reserved;
  guint64 n_rows;
  guint64 raw_len;
  guint64 stored_len;
} RecordHeader;

typedef struct
{
  guint32 type;
  guint32 has_validity;
  guint64 n_rows;
  guint64 data_bytes; /* strings: bytes of string data; else 0 */
} ColumnHeader;

struct _WeftSpillFile
{
  WeftSchema *schema;
  char *path; /* for messages only: the file is already unlinked */
  FILE *fp;
  gboolean reading;
  guint64 bytes;
  guint64 rows;
  GByteArray *raw;   /* scratch: the serialised payload */
  GByteArray *stored; /* scratch: the compressed payload */
};

static gboolean
io_error (WeftSpillFile *file, const char *what, GError **error)
{
  int saved = errno;

  g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_IO, "spill file %s: %s failed: %s",
               file->path, what, saved != 0 ? g_strerror (saved) : "unexpected end of file");
  return FALSE;
}

static gboolean
malformed (WeftSpillFile *file, const char *what, GError **error)
{
  g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_MALFORMED,
               "spill file %s: damaged record (%s)", file->path, what);
  return FALSE;
}

WeftSpillFile *
weft_spill_file_new (const char *dir, WeftSchema *schema, GError **error)
{
  g_autoptr (WeftSpillFile) file = g_new0 (WeftSpillFile, 1);
  int fd;

  file->schema = weft_schema_ref (schema);
  file->path = g_build_filename (dir != NULL ? dir : g_get_tmp_dir (), "weft-spill-XXXXXX", NULL);
  file->raw = g_byte_array_new ();
  file->stored = g_byte_array_new ();
  fd = g_mkstemp (file->path);
  if (fd < 0)
    {
      io_error (file, "create", error);
      return NULL;
    }
  /* Unlinked at once: the space is released when the file closes, crash or not. */
  g_unlink (file->path);
  file->fp = fdopen (fd, "w+b");
  if (file->fp == NULL)
    {
      io_error (file, "fdopen", error);
      close (fd);
      return NULL;
    }
  setvbuf (file->fp, NULL, _IOFBF, 1 << 20);
  return g_steal_pointer (&file);
}

void
weft_spill_file_free (WeftSpillFile *file)
{
  if (file == NULL)
    return;
  if (file->fp != NULL)
    fclose (file->fp);
  g_byte_array_unref (file->raw);
  g_byte_array_unref (file->stored);
  weft_schema_unref (file->schema);
  g_free (file->path);
  g_free (file);
}

static void
serialize_column (GByteArray *raw, const WeftColumn *c)
{
  ColumnHeader ch = { 0 };
  gsize n = c->length;
  gboolean nulls = c->validity != NULL && c->null_count > 0;

  ch.type = c->type;
  ch.has_validity = nulls;
  ch.n_rows = n;
  if (c->type == WEFT_DATA_TYPE_STRING)
    ch.data_bytes = c->offsets[n] - c->offsets[0];
  g_byte_array_append (raw, (const guint8 *) &ch, sizeof ch);
  if (nulls)
    {
      /* Bits past the length are unspecified in memory; write them cleared for determinism. */
      gsize nb = (n + 7) / 8, base = raw->len;

      g_byte_array_append (raw, c->validity, nb);
      if (n % 8 != 0)
        raw->data[base + nb - 1] &= (guint8) ((1u << (n % 8)) - 1);
    }
  if (c->type == WEFT_DATA_TYPE_STRING)
    {
      g_byte_array_append (raw, (const guint8 *) c->offsets, (n + 1) * sizeof (guint64));
      if (ch.data_bytes > 0)
        g_byte_array_append (raw, (const guint8 *) c->data + c->offsets[0], ch.data_bytes);
    }
  else if (n > 0)
    g_byte_array_append (raw, (const guint8 *) c->values.raw, n * weft_data_type_width (c->type));
}

gboolean
weft_spill_file_write (WeftSpillFile *file, const WeftBatch *batch, GError **error)
{
  RecordHeader rh = { 0 };
  const guint8 *payload;

  g_return_val_if_fail (!file->reading, FALSE);
  g_return_val_if_fail (batch->n_columns == weft_schema_get_n_fields (file->schema), FALSE);
  if (batch->n_rows == 0)
    return TRUE;
  g_byte_array_set_size (file->raw, 0);
  for (guint i = 0; i < batch->n_columns; i++)
    serialize_column (file->raw, batch->columns[i]);

  rh.magic = SPILL_MAGIC;
  rh.n_columns = batch->n_columns;
  rh.n_rows = batch->n_rows;
  rh.raw_len = file->raw->len;
  rh.stored_len = file->raw->len;
  payload = file->raw->data;
  if (file->raw->len <= LZ4_MAX_INPUT_SIZE)
    {
      int bound = LZ4_compressBound ((int) file->raw->len);
      int n;

      g_byte_array_set_size (file->stored, (guint) bound);
      n = LZ4_compress_default ((const char *) file->raw->data, (char *) file->stored->data,
                                (int) file->raw->len, bound);
      /* Keep the raw payload when compression does not pay (random doubles, say). */
      if (n > 0 && (guint64) n < file->raw->len - file->raw->len / 16)
        {
          rh.flags |= FLAG_LZ4;
          rh.stored_len = (guint64) n;
          payload = file->stored->data;
        }
    }
  errno = 0;
  if (fwrite (&rh, sizeof rh, 1, file->fp) != 1
      || fwrite (payload, 1, rh.stored_len, file->fp) != rh.stored_len)
    return io_error (file, "write", error);
  file->bytes += sizeof rh + rh.stored_len;
  file->rows += batch->n_rows;
  return TRUE;
}

gboolean
weft_spill_file_rewind (WeftSpillFile *file, GError **error)
{
  errno = 0;
  if (fflush (file->fp) != 0 || fseeko (file->fp, 0, SEEK_SET) != 0)
    return io_error (file, "rewind", error);
  file->reading = TRUE;
  return TRUE;
}

/* A bounds-checked cursor over the payload. */
typedef struct
{
  const guint8 *p;
  gsize left;
} Cursor;

static const guint8 *
take_bytes (Cursor *c, gsize n)
{
  const guint8 *p = c->p;

  if (n > c->left)
    return NULL;
  c->p += n;
  c->left -= n;
  return p;
}

static WeftColumn *
read_column (WeftSpillFile *file, Cursor *cur, WeftDataType want, guint64 n_rows, GError **error)
{
  ColumnHeader ch;
  const guint8 *p, *validity = NULL;
  g_autoptr (WeftColumn) c = NULL;

  if ((p = take_bytes (cur, sizeof ch)) == NULL)
    return malformed (file, "short column header", error), NULL;
  memcpy (&ch, p, sizeof ch);
  if (ch.type != (guint32) want || ch.n_rows != n_rows || ch.has_validity > 1)
    return malformed (file, "column header does not match the schema", error), NULL;
  if (ch.has_validity && (validity = take_bytes (cur, (n_rows + 7) / 8)) == NULL)
    return malformed (file, "short validity", error), NULL;
  c = weft_column_new (want, n_rows);
  if (want == WEFT_DATA_TYPE_STRING)
    {
      const guint8 *offs_bytes, *data;
      guint64 prev, off;

      if (n_rows > G_MAXSIZE / 8 - 1
          || (offs_bytes = take_bytes (cur, (n_rows + 1) * sizeof (guint64))) == NULL
          || (data = take_bytes (cur, ch.data_bytes)) == NULL)
        return malformed (file, "short string data", error), NULL;
      weft_column_reserve_data (c, ch.data_bytes);
      memcpy (&prev, offs_bytes, sizeof prev);
      if (prev != 0)
        return malformed (file, "bad string offsets", error), NULL;
      for (gsize i = 0; i < n_rows; i++)
        {
          memcpy (&off, offs_bytes + (i + 1) * sizeof off, sizeof off);
          if (off < prev || off > ch.data_bytes)
            return malformed (file, "bad string offsets", error), NULL;
          if (validity != NULL && !((validity[i >> 3] >> (i & 7)) & 1))
            weft_column_append_null (c);
          else
            weft_column_append_string (c, (const char *) data + prev, off - prev);
          prev = off;
        }
    }
  else
    {
      gsize width = weft_data_type_width (want);

      if (n_rows > G_MAXSIZE / width || (p = take_bytes (cur, n_rows * width)) == NULL)
        return malformed (file, "short values", error), NULL;
      weft_column_extend (c, n_rows);
      if (n_rows > 0)
        memcpy (c->values.raw, p, n_rows * width);
      if (validity != NULL)
        for (gsize i = 0; i < n_rows; i++)
          if (!((validity[i >> 3] >> (i & 7)) & 1))
            weft_column_set_null (c, i);
    }
  return g_steal_pointer (&c);
}

gboolean
weft_spill_file_read (WeftSpillFile *file, WeftBatch **out, GError **error)
{
  RecordHeader rh;
  guint n_fields = weft_schema_get_n_fields (file->schema);
  g_autofree WeftColumn **columns = NULL;
  const guint8 *payload;
  Cursor cur;
  size_t got;

  g_return_val_if_fail (file->reading, FALSE);
  *out = NULL;
  errno = 0;
  got = fread (&rh, 1, sizeof rh, file->fp);
  if (got == 0 && feof (file->fp))
    return TRUE;
  if (got != sizeof rh)
    return ferror (file->fp) ? io_error (file, "read", error)
                             : malformed (file, "truncated header", error);
  if (rh.magic != SPILL_MAGIC || rh.n_columns != n_fields || rh.n_rows > G_MAXUINT32
      || (rh.flags & ~FLAG_LZ4) != 0 || rh.stored_len > G_MAXUINT32 || rh.raw_len > G_MAXUINT32
      || (!(rh.flags & FLAG_LZ4) && rh.stored_len != rh.raw_len))
    return malformed (file, "bad header", error);
  g_byte_array_set_size (file->stored, (guint) rh.stored_len);
  if (fread (file->stored->data, 1, rh.stored_len, file->fp) != rh.stored_len)
    return ferror (file->fp) ? io_error (file, "read", error)
                             : malformed (file, "truncated payload", error);
  payload = file->stored->data;
  if (rh.flags & FLAG_LZ4)
    {
      g_byte_array_set_size (file->raw, (guint) rh.raw_len);
      if (LZ4_decompress_safe ((const char *) file->stored->data, (char *) file->raw->data,
                               (int) rh.stored_len, (int) rh.raw_len)
          != (int) rh.raw_len)
        return malformed (file, "LZ4 payload does not decompress", error);
      payload = file->raw->data;
    }
  cur.p = payload;
  cur.left = rh.raw_len;
  columns = g_new0 (WeftColumn *, MAX (n_fields, 1));
  for (guint i = 0; i < n_fields; i++)
    {
      columns[i] = read_column (file, &cur, weft_schema_get_field (file->schema, i)->type,
                                rh.n_rows, error);
      if (columns[i] == NULL)
        {
          for (guint j = 0; j < i; j++)
            weft_column_unref (columns[j]);
          return FALSE;
        }
    }
  if (cur.left != 0)
    {
      for (guint j = 0; j < n_fields; j++)
        weft_column_unref (columns[j]);
      return malformed (file, "trailing bytes", error);
    }
  *out = weft_batch_new (file->schema, columns, rh.n_rows);
  return TRUE;
}

guint64
weft_spill_file_get_bytes (const WeftSpillFile *file)
{
  return file->bytes;
}

guint64
weft_spill_file_get_rows (const WeftSpillFile *file)
{
  return file->rows;
}
