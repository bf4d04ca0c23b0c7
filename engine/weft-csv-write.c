/* weft-csv-write: batches to CSV with Spark's writer semantics. See weft-csv-write.h. */

#include "weft-csv-write.h"
#include "weft-csv-options.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

/* ---- Options -------------------------------------------------------------------------------- */

WeftCsvWriteOptions *
weft_csv_write_options_new (void)
{
  WeftCsvWriteOptions *options = g_new0 (WeftCsvWriteOptions, 1);
  gboolean ok;

  options->sep = ',';
  options->quote = '"';
  options->escape = '\\';
  options->null_value = g_strdup ("");
  /* Spark's emptyValueInWrite: an empty string is written as "" so that it reads back apart
   * from a null (since Spark 2.4). */
  options->empty_value = g_strdup ("\"\"");
  options->escape_quotes = TRUE;
  /* Spark keeps univocity's old write defaults "for backwards compatibility" (CSVOptions). */
  options->ignore_leading_white_space = TRUE;
  options->ignore_trailing_white_space = TRUE;
  options->date_format = g_strdup (WEFT_DATE_FORMAT_DEFAULT);
  ok = weft_date_printer_init (&options->date_printer, options->date_format, NULL);
  g_assert (ok);
  options->line_sep = g_strdup ("\n");
  options->buffer_bytes = WEFT_CSV_WRITE_DEFAULT_BUFFER_BYTES;
  return options;
}

WeftCsvWriteOptions *
weft_csv_write_options_copy (const WeftCsvWriteOptions *options)
{
  WeftCsvWriteOptions *copy = g_memdup2 (options, sizeof *options);

  copy->null_value = g_strdup (options->null_value);
  copy->empty_value = g_strdup (options->empty_value);
  copy->date_format = g_strdup (options->date_format);
  copy->line_sep = g_strdup (options->line_sep);
  return copy;
}

void
weft_csv_write_options_free (WeftCsvWriteOptions *options)
{
  if (options == NULL)
    return;
  g_free (options->null_value);
  g_free (options->empty_value);
  g_free (options->date_format);
  g_free (options->line_sep);
  g_free (options);
}

/* Options that only matter when reading: a DataFrameWriter passes them through, so they are
 * accepted (Spark ignores them on write too). */
static const char *const read_only_options[] = {
  "inferSchema", "mode",       "multiLine",     "comment",       "columnNameOfCorruptRecord",
  "nanValue",    "positiveInf", "negativeInf",  "samplingRatio", "enforceSchema",
};

gboolean
weft_csv_write_options_set (WeftCsvWriteOptions *options, const char *key, const char *value,
                            GError **error)
{
  g_return_val_if_fail (options != NULL && key != NULL && value != NULL, FALSE);

#define IS(name) (g_ascii_strcasecmp (key, name) == 0)
  if (IS ("header"))
    return weft_csv_option_parse_bool ("CSV write option", key, value, &options->header, error);
  if (IS ("sep") || IS ("delimiter"))
    return weft_csv_option_parse_char ("CSV write option", key, value, FALSE, &options->sep, error);
  if (IS ("quote"))
    return weft_csv_option_parse_char ("CSV write option", key, value, TRUE, &options->quote, error);
  if (IS ("escape"))
    return weft_csv_option_parse_char ("CSV write option", key, value, TRUE, &options->escape, error);
  if (IS ("quoteAll"))
    return weft_csv_option_parse_bool ("CSV write option", key, value, &options->quote_all, error);
  if (IS ("escapeQuotes"))
    return weft_csv_option_parse_bool ("CSV write option", key, value, &options->escape_quotes, error);
  if (IS ("ignoreLeadingWhiteSpace"))
    return weft_csv_option_parse_bool ("CSV write option", key, value, &options->ignore_leading_white_space, error);
  if (IS ("ignoreTrailingWhiteSpace"))
    return weft_csv_option_parse_bool ("CSV write option", key, value, &options->ignore_trailing_white_space, error);
  if (IS ("nullValue"))
    {
      g_free (options->null_value);
      options->null_value = g_strdup (value);
      return TRUE;
    }
  if (IS ("emptyValue"))
    {
      g_free (options->empty_value);
      options->empty_value = g_strdup (value);
      return TRUE;
    }
  if (IS ("dateFormat"))
    {
      WeftDatePrinter printer;

      if (!weft_date_printer_init (&printer, value, error))
        return FALSE;
      g_free (options->date_format);
      options->date_format = g_strdup (value);
      options->date_printer = printer;
      return TRUE;
    }
  if (IS ("lineSep"))
    {
      if (strcmp (value, "\n") != 0 && strcmp (value, "\r") != 0 && strcmp (value, "\r\n") != 0)
        {
          g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION,
                       "CSV write option lineSep: only \\n, \\r and \\r\\n are supported");
          return FALSE;
        }
      g_free (options->line_sep);
      options->line_sep = g_strdup (value);
      return TRUE;
    }
  if (IS ("encoding") || IS ("charset"))
    {
      if (g_ascii_strcasecmp (value, "UTF-8") == 0 || g_ascii_strcasecmp (value, "UTF8") == 0)
        return TRUE;
      g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION,
                   "CSV write option %s: only UTF-8 is supported", key);
      return FALSE;
    }
  if (IS ("compression") || IS ("codec"))
    {
      if (g_ascii_strcasecmp (value, "none") == 0
          || g_ascii_strcasecmp (value, "uncompressed") == 0)
        return TRUE;
      g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION,
                   "CSV write option %s: \"%s\" is not supported (only none)", key, value);
      return FALSE;
    }
  for (guint i = 0; i < G_N_ELEMENTS (read_only_options); i++)
    if (IS (read_only_options[i]))
      return TRUE;
#undef IS
  g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION,
               "unknown CSV write option \"%s\"", key);
  return FALSE;
}

gboolean
weft_csv_write_options_validate (const WeftCsvWriteOptions *options, GError **error)
{
  if (options->sep == '\0' || options->sep == '\n' || options->sep == '\r')
    {
      g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION,
                   "CSV write option sep must be a character other than a line break");
      return FALSE;
    }
  if (options->quote != '\0'
      && (options->quote == options->sep || options->quote == '\n' || options->quote == '\r'))
    {
      g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION,
                   "CSV write option quote must differ from sep and from line breaks");
      return FALSE;
    }
  if (options->escape != '\0' && options->escape != options->quote
      && (options->escape == options->sep || options->escape == '\n'
          || options->escape == '\r'))
    {
      g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION,
                   "CSV write option escape must differ from sep and from line breaks");
      return FALSE;
    }
  if (options->buffer_bytes == 0)
    {
      g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION,
                   "CSV write buffer size must be positive");
      return FALSE;
    }
  return TRUE;
}

/* ---- Encoding ------------------------------------------------------------------------------- */

/* An output buffer the encoder grows by itself; callers reserve before each field, so the hot
 * loop writes through a plain pointer. */
typedef struct
{
  char *data;
  gsize len;
  gsize cap;
} Buf;

static void
buf_grow (Buf *b, gsize need)
{
  gsize cap = MAX (b->cap * 2, b->len + need);

  b->data = g_realloc (b->data, MAX (cap, 4096));
  b->cap = MAX (cap, 4096);
}

/* memcpy for the short values CSV is made of, without a libc call: two overlapping fixed-size
 * copies that the compiler turns into plain loads and stores, never reading past @src + @n. */
static inline void
copy_short (char *dst, const char *src, gsize n)
{
  if (n >= 8 && n <= 16)
    {
      guint64 a, z;

      memcpy (&a, src, 8);
      memcpy (&z, src + n - 8, 8);
      memcpy (dst, &a, 8);
      memcpy (dst + n - 8, &z, 8);
    }
  else if (n >= 4 && n < 8)
    {
      guint32 a, z;

      memcpy (&a, src, 4);
      memcpy (&z, src + n - 4, 4);
      memcpy (dst, &a, 4);
      memcpy (dst + n - 4, &z, 4);
    }
  else if (n < 4)
    {
      for (gsize i = 0; i < n; i++)
        dst[i] = src[i];
    }
  else
    memcpy (dst, src, n);
}

static inline char *
buf_reserve (Buf *b, gsize n)
{
  if (G_UNLIKELY (b->cap - b->len < n))
    buf_grow (b, n);
  return b->data + b->len;
}

typedef struct
{
  const WeftCsvWriteOptions *o;
  guint8 trigger[256]; /* bytes that make a string quoted */
  guint8 special[256]; /* bytes that need care inside quotes */
  gboolean double_quotes; /* escape quotes by doubling them (no usable escape character) */
  gboolean quote_fixed;   /* quoteAll with a quote character: numbers are quoted too */
  gsize null_len, empty_len, line_sep_len, date_max;
} Encoder;

static void
encoder_init (Encoder *enc, const WeftCsvWriteOptions *o)
{
  memset (enc, 0, sizeof *enc);
  enc->o = o;
  if (o->quote != '\0')
    {
      enc->trigger[(guchar) o->sep] = 1;
      enc->trigger['\n'] = 1;
      enc->trigger['\r'] = 1;
      if (o->escape_quotes)
        enc->trigger[(guchar) o->quote] = 1;
      enc->double_quotes = o->escape == '\0' || o->escape == o->quote;
      enc->special[(guchar) o->quote] = 1;
      if (!enc->double_quotes)
        enc->special[(guchar) o->escape] = 1;
    }
  enc->quote_fixed = o->quote_all && o->quote != '\0';
  enc->null_len = strlen (o->null_value);
  enc->empty_len = strlen (o->empty_value);
  enc->line_sep_len = strlen (o->line_sep);
  enc->date_max = MAX (o->date_printer.max_bytes, 16);
}

/* Writes s[0 .. n) between quotes, escaped so that Weft's reader gives the bytes back (see the
 * header for how this departs from Spark on escape characters). @p has room for 2n + 3 bytes. */
static char *
put_quoted (const Encoder *enc, const char *s, gsize n, char *p)
{
  const char quote = enc->o->quote, esc = enc->o->escape;
  gsize i = 0;

  *p++ = quote;
  while (i < n)
    {
      gsize run = i;

      while (run < n && !enc->special[(guchar) s[run]])
        run++;
      memcpy (p, s + i, run - i);
      p += run - i;
      i = run;
      if (i == n)
        break;
      if (s[i] == quote)
        {
          *p++ = enc->double_quotes ? quote : esc;
          *p++ = quote;
          i++;
          continue;
        }
      /* A run of escape characters: as they are, plus one when a quote or the end follows
       * (the reader turns escape-escape-quote into escape, then sees the quote). */
      run = i;
      while (run < n && s[run] == esc)
        *p++ = s[run++];
      i = run;
      if (i == n)
        *p++ = esc;
      else if (s[i] == quote)
        {
          *p++ = esc;
          *p++ = quote;
          *p++ = quote;
          i++;
        }
    }
  *p++ = quote;
  return p;
}

static inline void
put_string (const Encoder *enc, const char *s, gsize n, Buf *b)
{
  const WeftCsvWriteOptions *o = enc->o;
  gsize start = 0, end = n;
  gboolean quoted;
  char *p;

  if (o->ignore_leading_white_space)
    while (start < n && (guchar) s[start] <= ' ')
      start++;
  if (o->ignore_trailing_white_space)
    while (end > start && (guchar) s[end - 1] <= ' ')
      end--;
  if (start == end)
    {
      p = buf_reserve (b, enc->empty_len);
      memcpy (p, o->empty_value, enc->empty_len);
      b->len += enc->empty_len;
      return;
    }
  quoted = o->quote != '\0' && (o->quote_all || s[start] == o->quote);
  /* As univocity does, the check sees the trailing whitespace that is about to be cut. */
  for (gsize i = start; !quoted && i < n; i++)
    quoted = enc->trigger[(guchar) s[i]];
  p = buf_reserve (b, 2 * (end - start) + 3);
  if (!quoted)
    {
      copy_short (p, s + start, end - start);
      b->len += end - start;
      return;
    }
  b->len = (gsize) (put_quoted (enc, s + start, end - start, p) - b->data);
}

static inline void
put_bytes (Buf *b, const char *s, gsize n)
{
  char *p = buf_reserve (b, n);

  copy_short (p, s, n);
  b->len += n;
}

/* A non-null, non-string value (the slow path, for quoteAll). */
static void
put_fixed (const Encoder *enc, const WeftColumn *col, gsize row, Buf *b)
{
  char *p = buf_reserve (b, MAX (enc->date_max, WEFT_VALUE_TEXT_MAX));

  switch (col->type)
    {
    case WEFT_DATA_TYPE_INT64:
      b->len += weft_value_text_int64 (col->values.i64[row], p);
      break;
    case WEFT_DATA_TYPE_DOUBLE:
      b->len += weft_value_text_double (col->values.f64[row], p);
      break;
    case WEFT_DATA_TYPE_BOOL:
      put_bytes (b, col->values.b[row] ? "true" : "false", col->values.b[row] ? 4 : 5);
      break;
    case WEFT_DATA_TYPE_DATE:
      b->len += weft_date_printer_format (&enc->o->date_printer, col->values.date[row], p);
      break;
    case WEFT_DATA_TYPE_STRING:
      g_assert_not_reached ();
    }
}

/* Encodes rows [from, to) of @batch; stops early, after a whole row, once the buffer holds
 * @stop_bytes or more. Returns the row after the last one encoded. */
static gsize
encode_rows (const Encoder *enc, const WeftBatch *batch, gsize from, gsize to, gsize stop_bytes,
             Buf *b)
{
  const WeftCsvWriteOptions *o = enc->o;
  const guint n_cols = batch->n_columns;
  gsize row;

  for (row = from; row < to; row++)
    {
      for (guint c = 0; c < n_cols; c++)
        {
          const WeftColumn *col = batch->columns[c];
          char *p;

          if (c > 0)
            {
              p = buf_reserve (b, 1);
              *p = o->sep;
              b->len++;
            }
          if (!weft_column_is_valid (col, row))
            {
              put_bytes (b, o->null_value, enc->null_len);
              continue;
            }
          if (col->type != WEFT_DATA_TYPE_STRING && enc->quote_fixed)
            {
              /* quoteAll quotes numbers, booleans and dates too (univocity only sees text).
               * Their text never needs escaping. */
              put_bytes (b, &o->quote, 1);
              put_fixed (enc, col, row, b);
              put_bytes (b, &o->quote, 1);
              continue;
            }
          switch (col->type)
            {
            case WEFT_DATA_TYPE_INT64:
              p = buf_reserve (b, WEFT_VALUE_TEXT_MAX);
              b->len += weft_value_text_int64 (col->values.i64[row], p);
              break;
            case WEFT_DATA_TYPE_DOUBLE:
              p = buf_reserve (b, WEFT_VALUE_TEXT_MAX);
              b->len += weft_value_text_double (col->values.f64[row], p);
              break;
            case WEFT_DATA_TYPE_BOOL:
              if (col->values.b[row])
                put_bytes (b, "true", 4);
              else
                put_bytes (b, "false", 5);
              break;
            case WEFT_DATA_TYPE_DATE:
              p = buf_reserve (b, enc->date_max);
              b->len += weft_date_printer_format (&o->date_printer, col->values.date[row], p);
              break;
            case WEFT_DATA_TYPE_STRING:
              {
                gsize len;
                const char *s = weft_column_get_string (col, row, &len);

                put_string (enc, s, len, b);
              }
              break;
            }
        }
      put_bytes (b, o->line_sep, enc->line_sep_len);
      if (b->len >= stop_bytes)
        return row + 1;
    }
  return row;
}

static void
encode_header (const Encoder *enc, const WeftSchema *schema, Buf *b)
{
  guint n = weft_schema_get_n_fields (schema);

  for (guint i = 0; i < n; i++)
    {
      const char *name = weft_schema_get_field (schema, i)->name;

      if (i > 0)
        put_bytes (b, &enc->o->sep, 1);
      put_string (enc, name, strlen (name), b);
    }
  put_bytes (b, enc->o->line_sep, enc->line_sep_len);
}

void
weft_csv_format_batch (const WeftCsvWriteOptions *options, const WeftBatch *batch, GString *out)
{
  Encoder enc;
  Buf b = { NULL, 0, 0 };

  encoder_init (&enc, options);
  encode_rows (&enc, batch, 0, batch->n_rows, G_MAXSIZE, &b);
  g_string_append_len (out, b.data, (gssize) b.len);
  g_free (b.data);
}

void
weft_csv_format_header (const WeftCsvWriteOptions *options, const WeftSchema *schema,
                        GString *out)
{
  Encoder enc;
  Buf b = { NULL, 0, 0 };

  encoder_init (&enc, options);
  encode_header (&enc, schema, &b);
  g_string_append_len (out, b.data, (gssize) b.len);
  g_free (b.data);
}

/* ---- The file writer ------------------------------------------------------------------------ */

struct _WeftCsvWriter
{
  WeftCsvWriteOptions *options;
  WeftSchema *schema;
  Encoder enc; /* points at options */
  char *path;
  int fd;      /* -1 once closed */
  Buf buf;
  guint64 rows;
  guint64 bytes; /* flushed to the file */
  gboolean failed;
};

static gboolean
write_all (WeftCsvWriter *writer, GError **error)
{
  const char *p = writer->buf.data;
  gsize left = writer->buf.len;

  while (left > 0)
    {
      ssize_t n = write (writer->fd, p, left);

      if (n < 0)
        {
          int saved = errno;

          if (saved == EINTR)
            continue;
          writer->failed = TRUE;
          g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_IO, "cannot write %s: %s",
                       writer->path, g_strerror (saved));
          return FALSE;
        }
      p += n;
      left -= (gsize) n;
    }
  writer->bytes += writer->buf.len;
  writer->buf.len = 0;
  return TRUE;
}

WeftCsvWriter *
weft_csv_writer_new (const WeftCsvWriteOptions *options, WeftSchema *schema, const char *path,
                     GError **error)
{
  g_autoptr (WeftCsvWriter) writer = NULL;

  g_return_val_if_fail (options != NULL && schema != NULL && path != NULL, NULL);

  if (!weft_csv_write_options_validate (options, error))
    return NULL;
  writer = g_new0 (WeftCsvWriter, 1);
  writer->options = weft_csv_write_options_copy (options);
  writer->schema = weft_schema_ref (schema);
  encoder_init (&writer->enc, writer->options);
  writer->path = g_strdup (path);
  writer->fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (writer->fd < 0)
    {
      int saved = errno;

      g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_IO, "cannot create %s: %s", path,
                   g_strerror (saved));
      return NULL;
    }
  /* Room for a full buffer plus the row that crosses the threshold, usually. */
  writer->buf.cap = options->buffer_bytes + 64 * 1024;
  writer->buf.data = g_malloc (writer->buf.cap);
  if (options->header)
    encode_header (&writer->enc, schema, &writer->buf);
  return g_steal_pointer (&writer);
}

gboolean
weft_csv_writer_write (WeftCsvWriter *writer, const WeftBatch *batch, GError **error)
{
  guint n_fields;
  gsize row = 0;

  g_return_val_if_fail (writer != NULL && batch != NULL, FALSE);
  g_return_val_if_fail (writer->fd >= 0 && !writer->failed, FALSE);

  n_fields = weft_schema_get_n_fields (writer->schema);
  if (batch->n_columns != n_fields)
    {
      g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_SCHEMA,
                   "cannot write a batch of %u columns to %s, which has %u", batch->n_columns,
                   writer->path, n_fields);
      return FALSE;
    }
  for (guint c = 0; c < n_fields; c++)
    {
      const WeftField *field = weft_schema_get_field (writer->schema, c);

      if (batch->columns[c]->type != field->type)
        {
          g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_SCHEMA,
                       "cannot write a %s column as column %s (%s) of %s",
                       weft_data_type_name (batch->columns[c]->type), field->name,
                       weft_data_type_name (field->type), writer->path);
          return FALSE;
        }
    }
  while (row < batch->n_rows)
    {
      row = encode_rows (&writer->enc, batch, row, batch->n_rows, writer->options->buffer_bytes,
                         &writer->buf);
      if (writer->buf.len >= writer->options->buffer_bytes && !write_all (writer, error))
        return FALSE;
    }
  writer->rows += batch->n_rows;
  return TRUE;
}

gboolean
weft_csv_writer_close (WeftCsvWriter *writer, GError **error)
{
  g_return_val_if_fail (writer != NULL, FALSE);

  if (writer->fd < 0)
    return !writer->failed;
  if (!writer->failed && writer->buf.len > 0 && !write_all (writer, error))
    {
      close (writer->fd);
      writer->fd = -1;
      return FALSE;
    }
  if (close (writer->fd) != 0 && !writer->failed)
    {
      int saved = errno;

      writer->fd = -1;
      writer->failed = TRUE;
      g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_IO, "cannot close %s: %s",
                   writer->path, g_strerror (saved));
      return FALSE;
    }
  writer->fd = -1;
  if (writer->failed)
    {
      g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_IO,
                   "%s is incomplete: an earlier write failed", writer->path);
      return FALSE;
    }
  return TRUE;
}

guint64
weft_csv_writer_get_rows (const WeftCsvWriter *writer)
{
  return writer->rows;
}

guint64
weft_csv_writer_get_bytes (const WeftCsvWriter *writer)
{
  return writer->bytes + writer->buf.len;
}

void
weft_csv_writer_free (WeftCsvWriter *writer)
{
  if (writer == NULL)
    return;
  if (writer->fd >= 0)
    close (writer->fd);
  g_free (writer->buf.data);
  g_free (writer->path);
  if (writer->schema != NULL)
    weft_schema_unref (writer->schema);
  weft_csv_write_options_free (writer->options);
  g_free (writer);
}
