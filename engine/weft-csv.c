/* weft-csv: the CSV source (see weft-csv.h for the semantics).
 *
 * How a scan works. The split's bytes are read into one buffer. The tokenizer walks it record by
 * record and, for each record, stores per needed column a pointer to the field's bytes and its
 * length ("field positions"), plus the raw record for error messages and the corrupt column. Fast
 * records point into the read buffer itself; libcsv's fields are copied into an arena. Nothing is
 * converted yet. When a batch's worth of records is pending (or the buffer must move), the
 * converter turns positions into typed columns, one column at a time: first the predicate's
 * columns for every row, then the predicate picks rows, then the other columns for those rows only.
 *
 * Invariant: while records are pending, the read buffer is never moved or shrunk (their positions
 * point into it); reads then only append into free space at its end. The buffer is compacted
 * (the partial record moved to the front) only when nothing is pending.
 *
 * Schema inference is a scan too (all columns strings, every record kept), with one more step:
 * before the tokenizer takes a record, the type-only scanner (infer_run) types every quote-free
 * record it can straight from the read buffer, stopping at the first it cannot (a quote, a blank
 * or comment line, the end of the buffer or of the split), which the tokenizer then takes as
 * usual. So the scanner handles only the easy case, and the tokenizer pass, kept whole, is the
 * reference it is tested against. */

#include "weft-csv-private.h"

#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* Vector loads may read this far past the data; the buffer is allocated with the slack. */
#define PAD 64
/* Field bytes of quoted records are copied into arena blocks of at least this size. */
#define ARENA_BLOCK (64 * 1024)

enum
{
  BAD_NONE = 0,
  BAD_FIELD_COUNT,
  BAD_SYNTAX,
  BAD_VALUE,
};

typedef enum
{
  TOK_FULL,      /* the pending batch is full (or must be converted now) */
  TOK_NEED_MORE, /* the next record is not all in the buffer */
  TOK_DONE,      /* the split has no more records */
} TokResult;

typedef struct
{
  GPtrArray *blocks;
  char *cur;
  gsize used, cap, total;
} Arena;

struct _WeftCsvScan
{
  WeftCsvOptions *opts;
  WeftSchema *schema;      /* the data's, corrupt column included */
  WeftSchema *out_schema;  /* the projection's */
  WeftSchema *pred_schema; /* NULL without a predicate */
  char *path;
  int fd;
  gint64 split_start, split_end; /* records starting at offsets <= split_end are ours */

  /* Columns. A slot is a file column that some output or the predicate needs. */
  guint n_file_cols;
  int corrupt_index;        /* schema index of the corrupt-record column, or -1 */
  int *slot_of_field;       /* per file column: its slot, or -1 */
  /* Where the tokenizer stores field f (f <= n_file_cols): the slot's arrays, or the sink for
   * columns nobody needs and for fields past the last column (f clamped to n_file_cols). Stores
   * are then unconditional. */
  const char ***field_ptr;
  guint32 **field_len;
  const char **sink_ptr;
  guint32 *sink_len;
  guint n_slots;
  guint *slot_schema_index; /* slot -> schema index */
  WeftDataType *slot_type;
  const char ***slot_ptr;   /* [slot][row]: field bytes; NULL: unquoted empty or missing field */
  guint32 **slot_len;       /* [slot][row] */
  guint n_out;
  int *out_slot;            /* output column -> slot, -1 for the corrupt column */
  guint n_pred;
  guint *pred_slot;
  WeftCsvPredicateFunc pred_func;
  gpointer pred_data;

  /* Read buffer: buf[0 .. buf_len) are the file's bytes from buf_off; pos is where the next
   * record starts; read_off is the next byte to read. */
  char *buf;
  gsize buf_cap, buf_len, pos;
  gint64 buf_off, read_off;
  gboolean eof;
  gboolean finished;
  gboolean skip_partial_line; /* a split past offset 0 starts after the first newline */
  gboolean header_pending;
  gboolean bom_pending;
  gboolean stop;              /* FAILFAST saw a bad record: convert now and report it */

  /* Pending records. */
  gsize n_pending, cap_rows;
  const char **rec_ptr;
  guint32 *rec_len;
  guint32 *n_fields;
  guint8 *bad;
  guint32 *bad_slot; /* for BAD_VALUE: the slot that did not convert */
  Arena arena;

  /* libcsv and the escape-normalising pass in front of it. */
  struct csv_parser csv;
  GString *norm;
  gsize cb_row;
  guint cb_field;
  guint cb_rows;
  GPtrArray *capture; /* capture mode: the first record's fields as strings (NULL = null) */

  WeftDataType *infer; /* inference mode: the type so far per slot (0 = no value yet) */
  /* The inference scanner (NULL when off): per file column, then KINDS_SINK entries for fields
   * past the last, the kinds of value seen (KIND_* bits, plus KINDS_SETTLED once the column is
   * a string whatever comes; the extra entries always are); where the last run stopped for a
   * record only the tokenizer can read. */
  guint8 *kinds;
  guint n_typed; /* one past the last column not settled */
  gboolean infer_baseline; /* the scanner as built for any x86-64 even where BMI2 is there */
  gsize generic_at;

  WeftCsvScanStats stats;
};

/* ---- Splits and files ----------------------------------------------------------------------- */

WeftCsvSplit *
weft_csv_split_new (const char *path, gint64 start, gint64 length)
{
  WeftCsvSplit *split = g_new0 (WeftCsvSplit, 1);

  split->path = g_strdup (path);
  split->start = start;
  split->length = length;
  return split;
}

void
weft_csv_split_free (WeftCsvSplit *split)
{
  if (split == NULL)
    return;
  g_free (split->path);
  g_free (split);
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static gboolean
add_folder (GPtrArray *files, const char *folder, GError **error)
{
  g_autoptr (GDir) dir = g_dir_open (folder, 0, error);
  const char *name;

  if (dir == NULL)
    {
      g_prefix_error (error, "cannot list %s: ", folder);
      if (*error != NULL)
        (*error)->domain = WEFT_ENGINE_ERROR, (*error)->code = WEFT_ENGINE_ERROR_IO;
      return FALSE;
    }
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *full = NULL;

      /* Hadoop's hidden-file filter: _SUCCESS, .crc files, temporary folders. */
      if (name[0] == '_' || name[0] == '.')
        continue;
      full = g_build_filename (folder, name, NULL);
      if (g_file_test (full, G_FILE_TEST_IS_REGULAR))
        g_ptr_array_add (files, g_steal_pointer (&full));
    }
  return TRUE;
}

GPtrArray *
weft_csv_list_files (const char *path, GError **error)
{
  g_autoptr (GPtrArray) files = g_ptr_array_new_with_free_func (g_free);

  g_return_val_if_fail (path != NULL, NULL);
  if (strpbrk (path, "*?[") != NULL && !g_file_test (path, G_FILE_TEST_EXISTS))
    {
      glob_t matches = { 0 };
      int rc = glob (path, 0, NULL, &matches);

      if (rc != 0)
        {
          globfree (&matches);
          g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_IO,
                       "path does not exist: %s (no file matches)", path);
          return NULL;
        }
      for (gsize i = 0; i < matches.gl_pathc; i++)
        {
          const char *match = matches.gl_pathv[i];

          if (g_file_test (match, G_FILE_TEST_IS_DIR))
            {
              if (!add_folder (files, match, error))
                {
                  globfree (&matches);
                  return NULL;
                }
            }
          else if (g_file_test (match, G_FILE_TEST_IS_REGULAR))
            g_ptr_array_add (files, g_strdup (match));
        }
      globfree (&matches);
    }
  else if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      if (!add_folder (files, path, error))
        return NULL;
    }
  else if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
    g_ptr_array_add (files, g_strdup (path));
  else
    {
      g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_IO, "path does not exist: %s",
                   path);
      return NULL;
    }
  g_ptr_array_sort (files, compare_strings);
  return g_steal_pointer (&files);
}

GPtrArray *
weft_csv_plan_splits (const char *const *files, guint n_files, const WeftCsvOptions *options,
                      GError **error)
{
  g_autoptr (GPtrArray) splits =
    g_ptr_array_new_with_free_func ((GDestroyNotify) weft_csv_split_free);

  g_return_val_if_fail (options->split_bytes > 0, NULL);
  for (guint i = 0; i < n_files; i++)
    {
      struct stat st;

      if (stat (files[i], &st) != 0)
        {
          int saved = errno;

          g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_IO, "cannot stat %s: %s",
                       files[i], g_strerror (saved));
          return NULL;
        }
      if (st.st_size == 0)
        continue;
      if (options->multi_line || st.st_size <= options->split_bytes)
        {
          g_ptr_array_add (splits, weft_csv_split_new (files[i], 0, st.st_size));
          continue;
        }
      for (gint64 start = 0; start < st.st_size; start += options->split_bytes)
        g_ptr_array_add (splits, weft_csv_split_new (files[i], start,
                                                     MIN (options->split_bytes,
                                                          st.st_size - start)));
    }
  return g_steal_pointer (&splits);
}

/* ---- Small helpers -------------------------------------------------------------------------- */

static const char *
arena_copy (Arena *arena, const void *bytes, gsize len)
{
  char *out;

  if (arena->cur == NULL || arena->cap - arena->used < len)
    {
      gsize size = MAX (ARENA_BLOCK, len);

      if (arena->blocks == NULL)
        arena->blocks = g_ptr_array_new_with_free_func (g_free);
      /* 16 bytes of slack: copy_small() reads that far past a value. */
      arena->cur = g_malloc0 (size + 16);
      g_ptr_array_add (arena->blocks, arena->cur);
      arena->used = 0;
      arena->cap = size;
      arena->total += size;
    }
  out = arena->cur + arena->used;
  memcpy (out, bytes, len);
  arena->used += len;
  return out;
}

static void
arena_reset (Arena *arena)
{
  if (arena->blocks != NULL)
    g_ptr_array_set_size (arena->blocks, 0);
  arena->cur = NULL;
  arena->used = arena->cap = arena->total = 0;
}

static gboolean
is_blank (const char *s, gsize len)
{
  for (gsize i = 0; i < len; i++)
    if ((guchar) s[i] > ' ')
      return FALSE;
  return TRUE;
}

/* The 1-based line of the byte at @offset: counts newlines from the start of the file. Only used
 * to word errors, so a second read of the file is fine. */
static gint64
line_of_offset (WeftCsvScan *scan, gint64 offset)
{
  g_autofree char *block = g_malloc (1 << 20);
  gint64 line = 1, at = 0;

  while (at < offset)
    {
      gssize n = pread (scan->fd, block, (gsize) MIN ((gint64) (1 << 20), offset - at), at);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      for (gssize i = 0; i < n; i++)
        line += block[i] == '\n';
      at += n;
    }
  return line;
}

static gint64
row_offset (WeftCsvScan *scan, gsize row)
{
  return scan->buf_off + (gint64) (scan->rec_ptr[row] - scan->buf);
}

/* ---- libcsv ------------------------------------------------------------------------------ */

static int
no_space (unsigned char c)
{
  return 0; /* values keep their spaces (Spark's ignore*WhiteSpace false) */
}

static int
is_newline (unsigned char c)
{
  /* Records reach libcsv without their terminator; a \r inside is data, as on the fast path. */
  return c == '\n';
}

static void
csv_setup (WeftCsvScan *scan)
{
  csv_init (&scan->csv, CSV_STRICT | CSV_STRICT_FINI | CSV_EMPTY_IS_NULL);
  csv_set_delim (&scan->csv, (unsigned char) scan->opts->sep);
  csv_set_quote (&scan->csv, (unsigned char) scan->opts->quote);
  csv_set_space_func (&scan->csv, no_space);
  csv_set_term_func (&scan->csv, is_newline);
}

/* A quoted empty value: not NULL (so it is not an unquoted empty field), and 16 readable bytes
 * for copy_small(). */
static const char quoted_empty[16];

static inline void
store_field (WeftCsvScan *scan, guint field, gsize row, const char *bytes, gsize len)
{
  guint f = MIN (field, scan->n_file_cols);

  scan->field_ptr[f][row] = bytes;
  scan->field_len[f][row] = (guint32) len;
}

static void
on_field (void *bytes, size_t len, void *data)
{
  WeftCsvScan *scan = data;
  guint field = scan->cb_field++;

  if (scan->capture != NULL)
    {
      g_ptr_array_add (scan->capture, bytes != NULL ? g_strndup (bytes, len) : NULL);
      return;
    }
  if (field < scan->n_file_cols && scan->slot_of_field[field] >= 0)
    {
      /* NULL only for an unquoted empty field; a quoted "" stays a (non-NULL) empty value. */
      const char *copy = bytes == NULL ? NULL
                         : len == 0    ? quoted_empty
                                       : arena_copy (&scan->arena, bytes, len);

      store_field (scan, field, scan->cb_row, copy, len);
    }
}

static void
on_row (int terminator, void *data)
{
  WeftCsvScan *scan = data;

  scan->cb_rows++;
}

/* ---- Records -------------------------------------------------------------------------------- */

/* Finds the record starting at @p: its content ends at *ce (before \n or \r\n), the next record
 * starts at *next. Returns FALSE when the buffer does not hold all of it yet. With multiLine a
 * newline inside a quoted field does not end the record; the quote tracking follows the same
 * rules as normalize(). */
static gboolean
record_extent (WeftCsvScan *scan, gsize p, gsize *ce, gsize *next)
{
  const char *buf = scan->buf;
  const gsize end = scan->buf_len;
  const char sep = scan->opts->sep, quote = scan->opts->quote, esc = scan->opts->escape;
  gsize i = p, le;

  if (!scan->opts->multi_line || quote == '\0')
    {
      const char *nl = memchr (buf + p, '\n', end - p);

      if (nl == NULL && !scan->eof)
        return FALSE;
      le = nl != NULL ? (gsize) (nl - buf) : end;
      goto found;
    }
  {
    enum
    {
      START,
      UNQUOTED,
      QUOTED
    } state = START;

    while (i < end)
      {
        char c = buf[i];

        if (state == QUOTED)
          {
            if (c == esc && esc != quote && esc != '\0')
              {
                if (i + 2 >= end && !scan->eof)
                  return FALSE;
                if (i + 1 < end && buf[i + 1] == quote)
                  i += 2;
                else if (i + 2 < end && buf[i + 1] == esc && buf[i + 2] == quote)
                  i += 2;
                else
                  i++;
                continue;
              }
            if (c == quote)
              {
                if (i + 1 >= end && !scan->eof)
                  return FALSE;
                if (i + 1 < end && buf[i + 1] == quote)
                  i += 2;
                else
                  {
                    state = UNQUOTED;
                    i++;
                  }
                continue;
              }
            i++;
            continue;
          }
        if (c == '\n')
          break;
        if (c == sep)
          state = START;
        else if (state == START)
          state = c == quote ? QUOTED : UNQUOTED;
        i++;
      }
    if (i == end && !scan->eof)
      return FALSE;
    le = i;
  }
found:
  *ce = le;
  if (*ce > p && buf[*ce - 1] == '\r')
    (*ce)--;
  *next = le < end ? le + 1 : end;
  return TRUE;
}

/* Rewrites the record buf[p .. ce) into scan->norm in the RFC 4180 form libcsv reads: escaped
 * quotes inside quoted fields become doubled quotes, an escaped escape before a quote becomes the
 * escape, and an unquoted field holding a quote becomes a quoted one (so the quote is data, as in
 * Spark, instead of a strict-mode error). Everything else is copied, garbage included, so libcsv
 * still rejects what is broken. */
static void
normalize (WeftCsvScan *scan, gsize p, gsize ce)
{
  const char *buf = scan->buf;
  const char sep = scan->opts->sep, quote = scan->opts->quote, esc = scan->opts->escape;
  GString *out = scan->norm;
  gsize i = p;
  enum
  {
    START,
    AFTER,
    QUOTED
  } state = START;

  g_string_truncate (out, 0);
  while (i < ce)
    {
      char c = buf[i];

      switch (state)
        {
        case START:
          if (c == quote && quote != '\0')
            {
              g_string_append_c (out, quote);
              state = QUOTED;
              i++;
            }
          else if (c == sep)
            {
              g_string_append_c (out, sep);
              i++;
            }
          else
            {
              gsize j = i;
              gboolean has_quote = FALSE;

              while (j < ce && buf[j] != sep)
                has_quote |= buf[j++] == quote;
              if (has_quote && quote != '\0')
                {
                  g_string_append_c (out, quote);
                  for (gsize k = i; k < j; k++)
                    {
                      if (buf[k] == quote)
                        g_string_append_c (out, quote);
                      g_string_append_c (out, buf[k]);
                    }
                  g_string_append_c (out, quote);
                }
              else
                g_string_append_len (out, buf + i, (gssize) (j - i));
              i = j;
              state = AFTER;
            }
          break;
        case QUOTED:
          if (c == esc && esc != quote && esc != '\0' && i + 1 < ce)
            {
              if (buf[i + 1] == quote)
                {
                  g_string_append_c (out, quote);
                  g_string_append_c (out, quote);
                  i += 2;
                  break;
                }
              if (buf[i + 1] == esc && i + 2 < ce && buf[i + 2] == quote)
                {
                  g_string_append_c (out, esc);
                  i += 2;
                  break;
                }
            }
          if (c == quote)
            {
              if (i + 1 < ce && buf[i + 1] == quote)
                {
                  g_string_append_c (out, quote);
                  g_string_append_c (out, quote);
                  i += 2;
                  break;
                }
              state = AFTER;
            }
          g_string_append_c (out, c);
          i++;
          break;
        case AFTER:
          if (c == sep)
            state = START;
          g_string_append_c (out, c);
          i++;
          break;
        }
    }
}

/* Parses scan->norm with libcsv into row @row's field positions (or into scan->capture). Returns
 * the number of fields, or -1 when the record is broken. */
static int
parse_normalized (WeftCsvScan *scan, gsize row)
{
  gsize n;
  gboolean ok;

  scan->cb_row = row;
  scan->cb_field = 0;
  scan->cb_rows = 0;
  n = csv_parse (&scan->csv, scan->norm->str, scan->norm->len, on_field, on_row, scan);
  ok = n == scan->norm->len && csv_error (&scan->csv) == CSV_SUCCESS;
  if (ok)
    ok = csv_fini (&scan->csv, on_field, on_row, scan) == 0;
  if (!ok)
    {
      /* libcsv keeps its state after a failed csv_fini: start a fresh parser. */
      csv_free (&scan->csv);
      csv_setup (scan);
      return -1;
    }
  return scan->cb_rows == 1 ? (int) scan->cb_field : -1;
}

static inline void
finish_row (WeftCsvScan *scan, gsize row, gsize p, gsize ce, guint n_fields)
{
  for (guint f = n_fields; f < scan->n_file_cols; f++)
    store_field (scan, f, row, NULL, 0);
  scan->rec_ptr[row] = scan->buf + p;
  scan->rec_len[row] = (guint32) (ce - p);
  scan->n_fields[row] = n_fields;
  scan->bad[row] = n_fields == scan->n_file_cols ? BAD_NONE : BAD_FIELD_COUNT;
}

/* The quoted-record path. Returns FALSE when more bytes are needed. */
static gboolean
slow_row (WeftCsvScan *scan, gsize p, gsize *next)
{
  gsize ce, row = scan->n_pending;
  int n_fields;

  if (!record_extent (scan, p, &ce, next))
    return FALSE;
  normalize (scan, p, ce);
  n_fields = parse_normalized (scan, row);
  scan->stats.slow_records++;
  if (n_fields < 0)
    {
      finish_row (scan, row, p, ce, 0);
      scan->n_fields[row] = 0;
      scan->bad[row] = BAD_SYNTAX;
      return TRUE;
    }
  finish_row (scan, row, p, ce, (guint) n_fields);
  return TRUE;
}

/* Bit i set when s[i] is a newline, the separator or the quote (32 bytes). */
static inline guint32
structural_mask (const char *s, char sep, char quote)
{
#ifdef __SSE2__
  const __m128i nl = _mm_set1_epi8 ('\n'), sp = _mm_set1_epi8 (sep), qt = _mm_set1_epi8 (quote);
  __m128i a = _mm_loadu_si128 ((const __m128i *) s);
  __m128i b = _mm_loadu_si128 ((const __m128i *) (s + 16));
  __m128i ma = _mm_or_si128 (_mm_or_si128 (_mm_cmpeq_epi8 (a, nl), _mm_cmpeq_epi8 (a, sp)),
                             _mm_cmpeq_epi8 (a, qt));
  __m128i mb = _mm_or_si128 (_mm_or_si128 (_mm_cmpeq_epi8 (b, nl), _mm_cmpeq_epi8 (b, sp)),
                             _mm_cmpeq_epi8 (b, qt));

  return (guint32) _mm_movemask_epi8 (ma) | ((guint32) _mm_movemask_epi8 (mb) << 16);
#else
  guint32 mask = 0;

  for (int i = 0; i < 32; i++)
    mask |= (guint32) (s[i] == '\n' || s[i] == sep || s[i] == quote) << i;
  return mask;
#endif
}

/* The fast path for a record without quote characters: one pass over 32-byte blocks, fields
 * stored as positions in the read buffer. Returns 1 with the row stored, 0 when the line is not
 * all in the buffer, -1 when it holds a quote (the caller takes the slow path). */
static inline int
fast_row (WeftCsvScan *scan, gsize p, gsize *next)
{
  /* Everything in locals: the stores below are through char pointers, which may alias the scan,
   * so fields read from *scan inside the loop would be reloaded after every store. */
  const char *buf = scan->buf;
  const gsize end = scan->buf_len, row = scan->n_pending;
  const char sep = scan->opts->sep;
  /* With quoting off, look for the separator twice instead. */
  const char quote = scan->opts->quote != '\0' ? scan->opts->quote : sep;
  const guint n_cols = scan->n_file_cols;
  const char **const *field_ptr = (const char **const *) scan->field_ptr;
  guint32 *const *field_len = scan->field_len;
  gsize q = p, field_start = p, line_end, ce;
  guint field = 0;

  for (;;)
    {
      guint32 mask;

      if (q >= end)
        {
          if (!scan->eof)
            return 0;
          line_end = end;
          break;
        }
      mask = structural_mask (buf + q, sep, quote);
      if (end - q < 32)
        mask &= ((guint32) 1 << (end - q)) - 1;
      while (mask != 0)
        {
          gsize at = q + (gsize) __builtin_ctz (mask);
          char c = buf[at];

          mask &= mask - 1;
          if (c == sep)
            {
              guint f = MIN (field, n_cols);

              field_ptr[f][row] = at > field_start ? buf + field_start : NULL;
              field_len[f][row] = (guint32) (at - field_start);
              field++;
              field_start = at + 1;
            }
          else if (c == '\n')
            {
              line_end = at;
              goto done;
            }
          else
            return -1;
        }
      q += 32;
    }
done:
  ce = line_end;
  if (ce > field_start && buf[ce - 1] == '\r')
    ce--;
  store_field (scan, field, row, ce > field_start ? buf + field_start : NULL, ce - field_start);
  finish_row (scan, row, p, ce, field + 1);
  *next = line_end < end ? line_end + 1 : end;
  return 1;
}

/* ---- The inference scanner ------------------------------------------------------------------ */

/* What inference has seen of a column, as a set of value kinds: their union decides the type
 * (kinds_type), and union is the same join as weft_data_type_merge(), so records can be typed in
 * any order, and a column whose union is already a string needs no more work. */
enum
{
  KIND_INT64 = 1 << 0,
  KIND_DOUBLE = 1 << 1,
  KIND_BOOL = 1 << 2,
  KIND_DATE = 1 << 3,
  KIND_STRING = 1 << 4,
};

static guint8
kind_of_type (WeftDataType type)
{
  switch (type)
    {
    case WEFT_DATA_TYPE_INT64:
      return KIND_INT64;
    case WEFT_DATA_TYPE_DOUBLE:
      return KIND_DOUBLE;
    case WEFT_DATA_TYPE_BOOL:
      return KIND_BOOL;
    case WEFT_DATA_TYPE_DATE:
      return KIND_DATE;
    default:
      return KIND_STRING;
    }
}

static WeftDataType
kinds_type (guint kinds)
{
  if (kinds == 0)
    return 0;
  if ((kinds & ~(guint) (KIND_INT64 | KIND_DOUBLE)) == 0)
    return kinds & KIND_DOUBLE ? WEFT_DATA_TYPE_DOUBLE : WEFT_DATA_TYPE_INT64;
  if (kinds == KIND_BOOL)
    return WEFT_DATA_TYPE_BOOL;
  if (kinds == KIND_DATE)
    return WEFT_DATA_TYPE_DATE;
  return WEFT_DATA_TYPE_STRING;
}

/* For 64 bytes at @s: in *sep_bits the separators, in *end_bits the newlines and quotes. */
static inline void
block_masks (const char *s, char sep, char quote, guint64 *sep_bits, guint64 *end_bits)
{
#ifdef __SSE2__
  const __m128i nl = _mm_set1_epi8 ('\n'), sp = _mm_set1_epi8 (sep), qt = _mm_set1_epi8 (quote);
  const __m128i a = _mm_loadu_si128 ((const __m128i *) s);
  const __m128i b = _mm_loadu_si128 ((const __m128i *) (s + 16));
  const __m128i c = _mm_loadu_si128 ((const __m128i *) (s + 32));
  const __m128i d = _mm_loadu_si128 ((const __m128i *) (s + 48));
#define SEPS(v) ((guint64) (guint) _mm_movemask_epi8 (_mm_cmpeq_epi8 (v, sp)))
#define ENDS(v)                                                                                    \
  ((guint64) (guint) _mm_movemask_epi8 (                                                           \
    _mm_or_si128 (_mm_cmpeq_epi8 (v, nl), _mm_cmpeq_epi8 (v, qt))))
  guint64 sb = SEPS (a) | SEPS (b) << 16 | SEPS (c) << 32 | SEPS (d) << 48;
  guint64 eb = ENDS (a) | ENDS (b) << 16 | ENDS (c) << 32 | ENDS (d) << 48;
#undef SEPS
#undef ENDS

  *sep_bits = sb;
  *end_bits = eb;
#else
  guint64 sb = 0, eb = 0;

  for (int i = 0; i < 64; i++)
    {
      sb |= (guint64) (s[i] == sep) << i;
      eb |= (guint64) (s[i] == '\n' || s[i] == quote) << i;
    }
  *sep_bits = sb;
  *end_bits = eb;
#endif
}

/* The low @n bits (n < 64 keeps n, more keeps all). */
static inline guint64
low_bits (gsize n)
{
  return n < 64 ? ((guint64) 1 << n) - 1 : ~(guint64) 0;
}

/* Bit i set when s[i] is an ASCII digit (16 bytes). */
static inline guint
digit_mask16 (const char *s)
{
#ifdef __SSE2__
  __m128i v = _mm_sub_epi8 (_mm_loadu_si128 ((const __m128i *) s), _mm_set1_epi8 ('0'));

  /* Unsigned v <= 9: min (v, 9) == v. */
  return (guint) _mm_movemask_epi8 (_mm_cmpeq_epi8 (_mm_min_epu8 (v, _mm_set1_epi8 (9)), v));
#else
  guint mask = 0;

  for (int i = 0; i < 16; i++)
    mask |= (guint) ((unsigned) (guchar) s[i] - '0' <= 9) << i;
  return mask;
#endif
}

/* Out of line: a call in value_kind() would cost infer_run() its registers. */
static G_GNUC_NO_INLINE guint8
value_kind_slow (const char *s, gsize len, const WeftDateFormat *format)
{
  return kind_of_type (weft_parse_infer_type (s, len, format));
}

/* The kind of the non-empty value @s (16 readable bytes), exactly as weft_parse_infer_type()
 * types it: the two shapes that fill the typed columns of most files, up to 16 digits with an
 * optional sign and yyyy-MM-dd with the default dateFormat, are decided here from one digit
 * mask; everything else goes to weft_parse_infer_type(). */
static inline __attribute__ ((always_inline)) guint8
value_kind (const char *s, gsize len, const WeftDateFormat *format)
{
  if (G_LIKELY (len <= 16))
    {
      guint nondigit = ~digit_mask16 (s) & ((1u << len) - 1);

      if (nondigit == 0)
        return KIND_INT64;
      if (nondigit == 1 && len >= 2 && (s[0] == '-' || s[0] == '+'))
        return KIND_INT64;
      if (nondigit == (1u << 4 | 1u << 7) && len == 10 && s[4] == '-' && s[7] == '-'
          && format->is_default)
        {
          /* February has 29 here; the 29th of a common year is checked apart, as is year 0. */
          static const guint8 month_days[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
          unsigned m = (unsigned) (s[5] - '0') * 10 + (unsigned) (s[6] - '0');
          unsigned d = (unsigned) (s[8] - '0') * 10 + (unsigned) (s[9] - '0');

          if (m - 1 >= 12 || d - 1 >= month_days[m - 1])
            return KIND_STRING;
          if (G_UNLIKELY ((m == 2 && d == 29) || memcmp (s, "0000", 4) == 0))
            {
              unsigned y = (unsigned) (s[0] - '0') * 1000 + (unsigned) (s[1] - '0') * 100
                           + (unsigned) (s[2] - '0') * 10 + (unsigned) (s[3] - '0');

              if (y == 0 || (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)))
                return KIND_STRING;
            }
          return KIND_DATE;
        }
    }
  return value_kind_slow (s, len, format);
}

/* scan->kinds[c] with this bit: the column is a string whatever comes, so it is not typed. */
#define KINDS_SETTLED 0x80
/* Settled entries after the last column's, for the fields past it: the scanner stops typing a
 * record after the block in which it passes the last column still typed, so at most the 64
 * fields one block can end, plus the record's last one. */
#define KINDS_SINK 65

/* One past the last column not settled, as a count. */
static guint
typed_columns (const guint8 *kinds, guint n_cols)
{
  while (n_cols > 0 && (kinds[n_cols - 1] & KINDS_SETTLED))
    n_cols--;
  return n_cols;
}

/* Adds @kind to the column at @col; returns the new end of the typed columns. */
static G_GNUC_NO_INLINE guint8 *
widen (WeftCsvScan *scan, guint8 *col, guint8 kind, guint8 *typed_end)
{
  *col |= kind;
  if (kinds_type (*col) != WEFT_DATA_TYPE_STRING)
    return typed_end;
  *col |= KINDS_SETTLED;
  scan->n_typed = typed_columns (scan->kinds, scan->n_typed);
  return scan->kinds + scan->n_typed;
}

/* Types the field [fs, fe) as the next value of the column at @col (not settled). An empty
 * (unquoted) field is null, and so is nullValue. Returns the end of the typed columns. */
static inline __attribute__ ((always_inline)) guint8 *
type_field (guint8 *col, const char *fs, const char *fe, const char *nv, gsize nv_len,
            const WeftDateFormat *format, WeftCsvScan *scan, guint8 *typed_end)
{
  guint8 kind;

  if (fe == fs || (nv_len != 0 && (gsize) (fe - fs) == nv_len && memcmp (fs, nv, nv_len) == 0))
    return typed_end;
  kind = value_kind (fs, (gsize) (fe - fs), format);
  if (G_LIKELY ((*col | kind) == *col))
    return typed_end;
  return widen (scan, col, kind, typed_end);
}

/* Types the quote-free records from @p on straight from the read buffer into scan->kinds,
 * without field positions. Per record, 64-byte blocks from its start give its end (the first
 * newline or quote; most records fit one block) and then its separators; fields are typed up
 * to the last column not settled as a string, and once every column is, a record costs only
 * the search for its end. Stops before the first record it cannot take whole: a blank or
 * comment line (they start with a byte <= ' ' or the comment character), a record holding a
 * quote, one that is not all in the buffer yet, one past the split. The tokenizer takes that
 * one, so the scanner needs none of the hard cases. Returns where it stopped; records up to
 * there are typed. Compiled twice, see infer_run(). */
static inline __attribute__ ((always_inline)) gsize
infer_run_body (WeftCsvScan *scan, gsize p)
{
  /* Locals, as in fast_row(): stores through guint8 pointers could alias the scan. */
  char *const buf = scan->buf;
  const char *const end = buf + scan->buf_len;
  /* Records starting up to here are this run's: in the buffer and in the split. */
  const char *const last =
    buf + MIN ((gint64) scan->buf_len - 1, scan->split_end - scan->buf_off);
  const char sep = scan->opts->sep;
  /* With quoting off only newlines end the quote-free part of a record. */
  const char quote = scan->opts->quote != '\0' ? scan->opts->quote : '\n';
  const char comment = scan->opts->comment;
  const char *const nv = scan->opts->null_value;
  const gsize nv_len = strlen (nv);
  const WeftDateFormat *const format = &scan->opts->date_parser;
  guint8 *const kinds = scan->kinds;
  /* One past the last column still typed (kinds when none is). */
  guint8 *typed_end = kinds + scan->n_typed;
  const char *rs = buf + p;
  guint64 records = 0;

  /* A newline just past the data (free space, which the next read overwrites) ends the search
   * for a record's end there: no masking of the bytes beyond. */
  buf[scan->buf_len] = '\n';
  for (;;)
    {
      const char *q = rs, *re, *fs = rs, *fe;
      guint8 *col = kinds;
      guint64 seps, ends, first_seps;

      /* Where the record ends; a quote before that leaves it to the tokenizer. */
      block_masks (q, sep, quote, &first_seps, &ends);
      while (G_UNLIKELY (ends == 0))
        {
          q += 64;
          block_masks (q, sep, quote, &seps, &ends);
        }
      re = q + (guint) __builtin_ctzll (ends);
      if (G_UNLIKELY (re == end || *re != '\n'))
        {
          if (re != end)
            scan->generic_at = (gsize) (rs - buf);
          goto stop; /* a quote, or not all in the buffer yet */
        }

      /* Its fields, block by block, up to the last column still typed; the field [fs, fe) is
       * column *col's. A block ends at most 64 fields, so col stays within the sink entries. */
      seps = first_seps;
      for (q = rs; col < typed_end; q += 64)
        {
          if (q != rs)
            block_masks (q, sep, quote, &seps, &ends);
          seps &= low_bits ((gsize) (re - q));
          while (seps != 0)
            {
              fe = q + (guint) __builtin_ctzll (seps);
              seps &= seps - 1;
              if (!(*col & KINDS_SETTLED))
                typed_end = type_field (col, fs, fe, nv, nv_len, format, scan, typed_end);
              col++;
              fs = fe + 1;
            }
          if (re - q <= 64)
            {
              fe = re;
              if (fe > fs && fe[-1] == '\r')
                fe--;
              if (!(*col & KINDS_SETTLED))
                typed_end = type_field (col, fs, fe, nv, nv_len, format, scan, typed_end);
              break;
            }
        }
      records++;

      /* Can the scanner take the next one? */
      rs = re + 1;
      if (rs > last || (guchar) *rs <= ' ' || *rs == comment)
        break;
    }
stop:
  scan->stats.records += records;
  return (gsize) (rs - buf);
}

/* Not inlined: in tokenize() the loop would lose its registers. */
static G_GNUC_NO_INLINE gsize
infer_run_baseline (WeftCsvScan *scan, gsize p)
{
  return infer_run_body (scan, p);
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__BMI2__)
#define HAVE_INFER_RUN_BMI2 1
/* The same for CPUs with BMI1 and BMI2 (x86-64 since 2013): with tzcnt, blsr, shlx and bzhi
 * the loop over separators loses a sign extension, a dependency-breaking xor and an operation
 * per bit, and the length masks their branches: 12% less time for the pass (bench-csv). */
static G_GNUC_NO_INLINE __attribute__ ((target ("bmi,bmi2"))) gsize
infer_run_bmi2 (WeftCsvScan *scan, gsize p)
{
  return infer_run_body (scan, p);
}
#endif

static gsize
infer_run (WeftCsvScan *scan, gsize p)
{
#ifdef HAVE_INFER_RUN_BMI2
  if (!scan->infer_baseline && __builtin_cpu_supports ("bmi") && __builtin_cpu_supports ("bmi2"))
    return infer_run_bmi2 (scan, p);
#endif
  return infer_run_baseline (scan, p);
}

/* Reads records from the buffer into the pending batch. */
static TokResult
tokenize (WeftCsvScan *scan)
{
  const char *buf = scan->buf;
  const gsize end = scan->buf_len;
  const char comment = scan->opts->comment;
  const gboolean fast = scan->opts->parser == WEFT_CSV_PARSER_AUTO;
  gsize p = scan->pos;

#define RETURN(result)                                                                             \
  do                                                                                               \
    {                                                                                              \
      scan->pos = p;                                                                               \
      return (result);                                                                             \
    }                                                                                              \
  while (0)

  if (scan->skip_partial_line)
    {
      const char *nl = memchr (buf + p, '\n', end - p);

      if (nl == NULL)
        {
          p = end;
          RETURN (scan->eof ? TOK_DONE : TOK_NEED_MORE);
        }
      p = (gsize) (nl - buf) + 1;
      scan->skip_partial_line = FALSE;
    }
  if (scan->bom_pending)
    {
      if (end - p < 3 && !scan->eof)
        RETURN (TOK_NEED_MORE);
      if (end - p >= 3 && memcmp (buf + p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
      scan->bom_pending = FALSE;
    }

  for (;;)
    {
      gsize next, row = scan->n_pending;
      char c0;
      int r;

      if (row == scan->cap_rows || scan->stop)
        RETURN (TOK_FULL);
      if (p >= end)
        RETURN (scan->eof ? TOK_DONE : TOK_NEED_MORE);
      if (scan->buf_off + (gint64) p > scan->split_end)
        RETURN (TOK_DONE);

      /* Blank and comment lines: one byte test per record in the common case. */
      c0 = buf[p];
      if (G_UNLIKELY ((guchar) c0 <= ' ' || (c0 == comment && comment != '\0')))
        {
          const char *nl = memchr (buf + p, '\n', end - p);
          gsize le;

          if (nl == NULL && !scan->eof)
            RETURN (TOK_NEED_MORE);
          le = nl != NULL ? (gsize) (nl - buf) : end;
          if ((c0 == comment && comment != '\0') || is_blank (buf + p, le - p))
            {
              p = nl != NULL ? le + 1 : end;
              continue;
            }
        }

      if (scan->capture != NULL)
        {
          gsize ce;

          if (!record_extent (scan, p, &ce, &next))
            RETURN (TOK_NEED_MORE);
          normalize (scan, p, ce);
          if (parse_normalized (scan, 0) < 0)
            g_ptr_array_set_size (scan->capture, 0);
          p = next;
          scan->finished = TRUE;
          RETURN (TOK_DONE);
        }
      if (scan->header_pending)
        {
          gsize ce;

          if (!record_extent (scan, p, &ce, &next))
            RETURN (TOK_NEED_MORE);
          scan->header_pending = FALSE;
          p = next;
          continue;
        }

      if (scan->kinds != NULL && p != scan->generic_at)
        {
          next = infer_run (scan, p);
          if (next != p)
            {
              p = next;
              continue;
            }
        }
      r = fast ? fast_row (scan, p, &next) : -1;
      if (r == 0)
        RETURN (TOK_NEED_MORE);
      if (r < 0 && !slow_row (scan, p, &next))
        RETURN (TOK_NEED_MORE);

      scan->stats.records++;
      if (G_UNLIKELY (scan->bad[row] != BAD_NONE))
        {
          scan->stats.malformed++;
          if (scan->opts->mode == WEFT_CSV_MODE_DROPMALFORMED && scan->infer == NULL)
            {
              p = next;
              continue;
            }
          if (scan->opts->mode == WEFT_CSV_MODE_FAILFAST && scan->infer == NULL)
            scan->stop = TRUE;
        }
      scan->n_pending++;
      p = next;
    }
#undef RETURN
}

/* Makes room and reads the next block of the file. With records pending the buffer must stay
 * where it is, so the caller only calls this then when there is free space at its end. */
static gboolean
refill (WeftCsvScan *scan, GError **error)
{
  gsize want = scan->opts->read_bytes;
  gssize n;

  if (scan->n_pending == 0 && scan->pos > 0)
    {
      memmove (scan->buf, scan->buf + scan->pos, scan->buf_len - scan->pos);
      scan->buf_off += (gint64) scan->pos;
      scan->buf_len -= scan->pos;
      scan->pos = 0;
    }
  if (scan->buf_cap - scan->buf_len < want)
    {
      if (scan->n_pending > 0)
        want = scan->buf_cap - scan->buf_len;
      else
        {
          gsize cap = MAX (scan->buf_cap * 2, scan->buf_len + want);

          /* Everything in the buffer is one unfinished record here. */
          if (scan->buf_len > scan->opts->max_record_bytes)
            {
              g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_TOO_LARGE,
                           "%s:%" G_GINT64_FORMAT ": record longer than %" G_GSIZE_FORMAT
                           " bytes (an unterminated quote with multiLine?)",
                           scan->path, line_of_offset (scan, scan->buf_off),
                           scan->opts->max_record_bytes);
              return FALSE;
            }
          scan->buf = g_realloc (scan->buf, cap + PAD);
          memset (scan->buf + cap, 0, PAD);
          scan->buf_cap = cap;
        }
    }
  do
    n = pread (scan->fd, scan->buf + scan->buf_len, want, scan->read_off);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    {
      int saved = errno;

      g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_IO, "cannot read %s: %s",
                   scan->path, g_strerror (saved));
      return FALSE;
    }
  if (n == 0)
    scan->eof = TRUE;
  scan->buf_len += (gsize) n;
  scan->read_off += n;
  scan->stats.bytes_read += (guint64) n;
  return TRUE;
}

/* Tokenizes until a batch is pending or the split ends. */
static gboolean
fill_pending (WeftCsvScan *scan, GError **error)
{
  while (!scan->finished)
    {
      TokResult r = tokenize (scan);

      if (r == TOK_FULL)
        return TRUE;
      if (r == TOK_DONE)
        {
          scan->finished = TRUE;
          return TRUE;
        }
      /* TOK_NEED_MORE. With rows pending the buffer cannot move: convert them first unless
       * a good read still fits at the end. */
      if (scan->n_pending > 0)
        {
          gsize tail = scan->buf_cap - scan->buf_len;

          if (tail == 0 || tail < scan->opts->read_bytes / 2)
            return TRUE;
        }
      if (!refill (scan, error))
        return FALSE;
    }
  return TRUE;
}

/* ---- Conversion ----------------------------------------------------------------------------- */

static inline void
mark_bad (WeftCsvScan *scan, gsize row, guint slot)
{
  if (scan->bad[row] == BAD_NONE)
    {
      scan->bad[row] = BAD_VALUE;
      scan->bad_slot[row] = slot;
      scan->stats.malformed++;
    }
}

/* Copies a short value with one 16-byte move when it can: both sides have 16 readable /
 * writable bytes (the read buffer's PAD, the arena's slack, the column's reserved slack). */
static inline void
copy_small (char *dst, const char *src, gsize len)
{
  if (G_LIKELY (len <= 16))
    memcpy (dst, src, 16);
  else
    memcpy (dst, src, len);
}

static gboolean
is_null_value (const char *ptr, guint32 len, const char *nv, gsize nv_len)
{
  return ptr == NULL || (len == nv_len && memcmp (ptr, nv, nv_len) == 0);
}

/* The loop over the rows to convert, specialised for "every row" and for "these rows", with the
 * null test specialised for the default nullValue "". BODY sees k (output index) and r (row). */
#define FOR_ROWS(BODY)                                                                             \
  do                                                                                               \
    {                                                                                              \
      if (rows == NULL)                                                                            \
        for (gsize k = 0; k < n; k++)                                                              \
          {                                                                                        \
            const guint32 r = (guint32) k;                                                         \
            BODY                                                                                   \
          }                                                                                        \
      else                                                                                         \
        for (gsize k = 0; k < n; k++)                                                              \
          {                                                                                        \
            const guint32 r = rows[k];                                                             \
            BODY                                                                                   \
          }                                                                                        \
    }                                                                                              \
  while (0)
#define IS_NULL(r) (nv_empty ? len[r] == 0 : is_null_value (ptr[r], len[r], nv, nv_len))

/* Converts one column for @n rows (@rows, or 0 .. n-1 when NULL). */
static WeftColumn *
convert_slot (WeftCsvScan *scan, guint slot, const guint32 *rows, gsize n)
{
  const char *const *ptr = scan->slot_ptr[slot];
  const guint32 *len = scan->slot_len[slot];
  const char *nv = scan->opts->null_value;
  const gsize nv_len = strlen (nv);
  const gboolean nv_empty = nv_len == 0;
  WeftColumn *column = weft_column_new (scan->slot_type[slot], n);

  switch (scan->slot_type[slot])
    {
    case WEFT_DATA_TYPE_STRING:
      {
        gsize total = 0, pos = 0;
        guint64 *offsets;
        char *data;

        FOR_ROWS (total += len[r];);
        weft_column_reserve_data (column, total + 16);
        offsets = column->offsets;
        data = column->data;
        column->length = n;
        FOR_ROWS ({
          if (G_UNLIKELY (IS_NULL (r)))
            weft_column_set_null (column, k);
          else
            {
              copy_small (data + pos, ptr[r], len[r]);
              pos += len[r];
            }
          offsets[k + 1] = pos;
        });
      }
      break;
    case WEFT_DATA_TYPE_INT64:
      {
        gint64 *v = column->values.i64;

        weft_column_extend (column, n);
        FOR_ROWS ({
          if (G_UNLIKELY (IS_NULL (r)))
            weft_column_set_null (column, k);
          else if (G_UNLIKELY (!weft_parse_int64 (ptr[r], len[r], &v[k])))
            {
              weft_column_set_null (column, k);
              mark_bad (scan, r, slot);
            }
        });
      }
      break;
    case WEFT_DATA_TYPE_DOUBLE:
      {
        double *v = column->values.f64;

        weft_column_extend (column, n);
        FOR_ROWS ({
          if (G_UNLIKELY (IS_NULL (r)))
            weft_column_set_null (column, k);
          else if (G_UNLIKELY (!weft_parse_double (ptr[r], len[r], &v[k])))
            {
              weft_column_set_null (column, k);
              mark_bad (scan, r, slot);
            }
        });
      }
      break;
    case WEFT_DATA_TYPE_BOOL:
      {
        guint8 *v = column->values.b;

        weft_column_extend (column, n);
        FOR_ROWS ({
          gboolean b;

          if (G_UNLIKELY (IS_NULL (r)))
            weft_column_set_null (column, k);
          else if (G_LIKELY (weft_parse_bool (ptr[r], len[r], &b)))
            v[k] = b ? 1 : 0;
          else
            {
              weft_column_set_null (column, k);
              mark_bad (scan, r, slot);
            }
        });
      }
      break;
    case WEFT_DATA_TYPE_DATE:
      {
        gint32 *v = column->values.date;
        const WeftDateFormat *format = &scan->opts->date_parser;

        weft_column_extend (column, n);
        FOR_ROWS ({
          if (G_UNLIKELY (IS_NULL (r)))
            weft_column_set_null (column, k);
          else if (G_UNLIKELY (!weft_parse_date (format, ptr[r], len[r], TRUE, &v[k])))
            {
              weft_column_set_null (column, k);
              mark_bad (scan, r, slot);
            }
        });
      }
      break;
    }
  return column;
}
#undef IS_NULL
#undef FOR_ROWS

static void
set_malformed_error (WeftCsvScan *scan, gsize row, GError **error)
{
  gint64 line = line_of_offset (scan, row_offset (scan, row));

  switch (scan->bad[row])
    {
    case BAD_FIELD_COUNT:
      g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_MALFORMED,
                   "%s:%" G_GINT64_FORMAT ": malformed CSV record (mode FAILFAST): expected %u "
                   "fields, found %u",
                   scan->path, line, scan->n_file_cols, scan->n_fields[row]);
      break;
    case BAD_SYNTAX:
      g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_MALFORMED,
                   "%s:%" G_GINT64_FORMAT ": malformed CSV record (mode FAILFAST): bad quoting",
                   scan->path, line);
      break;
    default:
      {
        guint slot = scan->bad_slot[row];
        const WeftField *field =
          weft_schema_get_field (scan->schema, scan->slot_schema_index[slot]);
        guint32 len = scan->slot_len[slot][row];

        g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_MALFORMED,
                     "%s:%" G_GINT64_FORMAT ": malformed CSV record (mode FAILFAST): \"%.*s%s\" "
                     "is not a %s (column %s)",
                     scan->path, line, (int) MIN (len, 64), scan->slot_ptr[slot][row],
                     len > 64 ? "..." : "", weft_data_type_name (field->type), field->name);
      }
      break;
    }
}

/* Turns the pending records into a batch (possibly of zero rows). */
static gboolean
convert_pending (WeftCsvScan *scan, WeftBatch **out, GError **error)
{
  const gsize n = scan->n_pending;
  g_autofree WeftColumn **all = g_new0 (WeftColumn *, MAX (scan->n_slots, 1));
  g_autofree WeftColumn **picked = g_new0 (WeftColumn *, MAX (scan->n_slots, 1));
  g_autofree WeftColumn **columns = g_new0 (WeftColumn *, MAX (scan->n_out, 1));
  g_autoptr (WeftSelection) selection = NULL;
  g_autoptr (WeftSelection) keep = NULL;
  gboolean ok = FALSE;
  gsize n_sel = n;

  /* 1. The predicate, on its columns for every row. */
  if (scan->pred_func != NULL)
    {
      g_autofree WeftColumn **pcols = g_new0 (WeftColumn *, MAX (scan->n_pred, 1));
      g_autoptr (WeftBatch) pbatch = NULL;

      for (guint k = 0; k < scan->n_pred; k++)
        {
          guint slot = scan->pred_slot[k];

          if (all[slot] == NULL)
            all[slot] = convert_slot (scan, slot, NULL, n);
          pcols[k] = weft_column_ref (all[slot]);
        }
      pbatch = weft_batch_new (scan->pred_schema, pcols, n);
      selection = weft_selection_new (n);
      if (!scan->pred_func (pbatch, selection, scan->pred_data, error))
        {
          if (error != NULL && *error == NULL)
            g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_CALLBACK,
                         "%s: the scan's predicate failed", scan->path);
          goto out;
        }
      for (gsize i = 0; i < selection->n; i++)
        if (selection->rows[i] >= n || (i > 0 && selection->rows[i] <= selection->rows[i - 1]))
          {
            g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_CALLBACK,
                         "%s: the scan's predicate returned rows out of order or range",
                         scan->path);
            goto out;
          }
      n_sel = selection->n;
    }

  /* 2. The output columns, for the selected rows only. */
  for (guint i = 0; i < scan->n_out; i++)
    {
      int slot = scan->out_slot[i];

      if (slot < 0 || picked[slot] != NULL)
        continue;
      if (all[slot] != NULL)
        picked[slot] = selection == NULL || weft_selection_is_all (selection, n)
                         ? weft_column_ref (all[slot])
                         : weft_column_take (all[slot], selection->rows, selection->n);
      else
        picked[slot] = convert_slot (scan, (guint) slot, selection ? selection->rows : NULL, n_sel);
    }

  /* 3. Malformed rows, by mode. */
  if (scan->opts->mode == WEFT_CSV_MODE_FAILFAST)
    for (gsize r = 0; r < n; r++)
      if (scan->bad[r] != BAD_NONE)
        {
          set_malformed_error (scan, r, error);
          goto out;
        }
  if (scan->opts->mode == WEFT_CSV_MODE_DROPMALFORMED)
    {
      keep = weft_selection_new (n_sel);
      for (gsize k = 0; k < n_sel; k++)
        if (scan->bad[selection ? selection->rows[k] : k] == BAD_NONE)
          weft_selection_add (keep, (guint32) k);
      if (keep->n == n_sel)
        g_clear_pointer (&keep, weft_selection_free);
    }

  /* 4. Assemble. */
  for (guint i = 0; i < scan->n_out; i++)
    {
      int slot = scan->out_slot[i];

      if (slot >= 0)
        columns[i] = keep != NULL ? weft_column_take (picked[slot], keep->rows, keep->n)
                                  : weft_column_ref (picked[slot]);
      else
        {
          gsize rows_out = keep != NULL ? keep->n : n_sel;
          WeftColumn *corrupt = weft_column_new (WEFT_DATA_TYPE_STRING, rows_out);

          for (gsize k = 0; k < rows_out; k++)
            {
              gsize pos = keep != NULL ? keep->rows[k] : k;
              gsize r = selection != NULL ? selection->rows[pos] : pos;

              if (scan->bad[r] != BAD_NONE)
                weft_column_append_string (corrupt, scan->rec_ptr[r], scan->rec_len[r]);
              else
                weft_column_append_null (corrupt);
            }
          columns[i] = corrupt;
        }
    }
  *out = weft_batch_new (scan->out_schema, columns, keep != NULL ? keep->n : n_sel);
  scan->stats.rows_out += (*out)->n_rows;
  g_clear_pointer (&columns, g_free);
  ok = TRUE;
out:
  if (!ok && columns != NULL)
    for (guint i = 0; i < scan->n_out; i++)
      weft_column_unref (columns[i]);
  for (guint s = 0; s < scan->n_slots; s++)
    {
      weft_column_unref (all[s]);
      weft_column_unref (picked[s]);
    }
  return ok;
}

static void
infer_pending (WeftCsvScan *scan)
{
  const char *nv = scan->opts->null_value;
  const gsize nv_len = strlen (nv);

  for (guint s = 0; s < scan->n_slots; s++)
    {
      const char *const *ptr = scan->slot_ptr[s];
      const guint32 *len = scan->slot_len[s];

      for (gsize r = 0; r < scan->n_pending && scan->infer[s] != WEFT_DATA_TYPE_STRING; r++)
        {
          if (ptr[r] == NULL || (len[r] == nv_len && memcmp (ptr[r], nv, nv_len) == 0))
            continue;
          scan->infer[s] = weft_data_type_merge (
            scan->infer[s], weft_parse_infer_type (ptr[r], len[r], &scan->opts->date_parser));
        }
    }
}

static void
reset_pending (WeftCsvScan *scan)
{
  scan->n_pending = 0;
  scan->stop = FALSE;
  arena_reset (&scan->arena);
}

/* ---- The scan --------------------------------------------------------------------------- */

/* Opens @split for reading the columns of @schema; the caller then sets up slots. Without
 * @corrupt_column the schema holds only file columns, whatever their names. */
static WeftCsvScan *
scan_open (const WeftCsvOptions *options, WeftSchema *schema, gboolean corrupt_column,
           const WeftCsvSplit *split, GError **error)
{
  g_autoptr (WeftCsvScan) scan = g_new0 (WeftCsvScan, 1);
  guint n_fields = weft_schema_get_n_fields (schema);

  scan->fd = -1;
  if (!weft_csv_options_validate (options, error))
    return NULL;
  scan->opts = weft_csv_options_copy (options);
  scan->schema = weft_schema_ref (schema);
  scan->path = g_strdup (split->path);
  scan->corrupt_index =
    corrupt_column ? weft_schema_find (schema, options->corrupt_record_column, FALSE) : -1;
  if (scan->corrupt_index >= 0
      && weft_schema_get_field (schema, (guint) scan->corrupt_index)->type != WEFT_DATA_TYPE_STRING)
    {
      g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_SCHEMA,
                   "the corrupt record column %s must be a string",
                   options->corrupt_record_column);
      return NULL;
    }
  scan->n_file_cols = n_fields - (scan->corrupt_index >= 0 ? 1 : 0);
  if (split->start < 0 || split->length < 0 || (options->multi_line && split->start != 0))
    {
      g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION,
                   "%s: bad split %" G_GINT64_FORMAT "+%" G_GINT64_FORMAT
                   " (with multiLine a file is one split)",
                   split->path, split->start, split->length);
      return NULL;
    }
  scan->split_start = split->start;
  scan->split_end = options->multi_line ? G_MAXINT64 : split->start + split->length;
  scan->fd = open (split->path, O_RDONLY | O_CLOEXEC);
  if (scan->fd < 0)
    {
      int saved = errno;

      g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_IO, "cannot open %s: %s",
                   split->path, g_strerror (saved));
      return NULL;
    }
  scan->buf_cap = MAX (2 * options->read_bytes, 64);
  scan->buf = g_malloc0 (scan->buf_cap + PAD);
  scan->buf_off = scan->read_off = split->start;
  scan->skip_partial_line = split->start > 0;
  scan->bom_pending = split->start == 0;
  scan->header_pending = options->header && split->start == 0;
  scan->cap_rows = options->batch_rows;
  scan->rec_ptr = g_new (const char *, scan->cap_rows);
  scan->rec_len = g_new (guint32, scan->cap_rows);
  scan->n_fields = g_new (guint32, scan->cap_rows);
  scan->bad = g_new0 (guint8, scan->cap_rows);
  scan->bad_slot = g_new0 (guint32, scan->cap_rows);
  scan->slot_of_field = g_new (int, MAX (scan->n_file_cols, 1));
  scan->sink_ptr = g_new (const char *, scan->cap_rows);
  scan->sink_len = g_new (guint32, scan->cap_rows);
  scan->field_ptr = g_new (const char **, scan->n_file_cols + 1);
  scan->field_len = g_new (guint32 *, scan->n_file_cols + 1);
  for (guint f = 0; f <= scan->n_file_cols; f++)
    {
      if (f < scan->n_file_cols)
        scan->slot_of_field[f] = -1;
      scan->field_ptr[f] = scan->sink_ptr;
      scan->field_len[f] = scan->sink_len;
    }
  scan->slot_schema_index = g_new0 (guint, MAX (scan->n_file_cols, 1));
  scan->slot_type = g_new0 (WeftDataType, MAX (scan->n_file_cols, 1));
  scan->slot_ptr = g_new0 (const char **, MAX (scan->n_file_cols, 1));
  scan->slot_len = g_new0 (guint32 *, MAX (scan->n_file_cols, 1));
  scan->norm = g_string_new (NULL);
  csv_setup (scan);
  return g_steal_pointer (&scan);
}

/* The slot reading schema column @index (not the corrupt column), created on first use. */
static guint
use_column (WeftCsvScan *scan, guint index)
{
  guint field = index - (scan->corrupt_index >= 0 && index > (guint) scan->corrupt_index ? 1 : 0);
  guint slot;

  if (scan->slot_of_field[field] >= 0)
    return (guint) scan->slot_of_field[field];
  slot = scan->n_slots++;
  scan->slot_of_field[field] = (int) slot;
  scan->slot_schema_index[slot] = index;
  scan->slot_type[slot] = weft_schema_get_field (scan->schema, index)->type;
  scan->slot_ptr[slot] = g_new (const char *, scan->cap_rows);
  scan->slot_len[slot] = g_new (guint32, scan->cap_rows);
  scan->field_ptr[field] = scan->slot_ptr[slot];
  scan->field_len[field] = scan->slot_len[slot];
  return slot;
}

WeftCsvScan *
weft_csv_scan_new (const WeftCsvOptions *options, WeftSchema *schema, const WeftCsvSplit *split,
                   const guint *projection, guint n_projection, const WeftCsvPredicate *predicate,
                   GError **error)
{
  g_autoptr (WeftCsvScan) scan = NULL;
  g_autofree guint *all = NULL;
  guint n_fields;

  g_return_val_if_fail (options != NULL && schema != NULL && split != NULL, NULL);
  n_fields = weft_schema_get_n_fields (schema);
  if (projection == NULL)
    {
      all = g_new (guint, MAX (n_fields, 1));
      for (guint i = 0; i < n_fields; i++)
        all[i] = i;
      projection = all;
      n_projection = n_fields;
    }
  for (guint i = 0; i < n_projection; i++)
    g_return_val_if_fail (projection[i] < n_fields, NULL);

  scan = scan_open (options, schema, TRUE, split, error);
  if (scan == NULL)
    return NULL;
  scan->out_schema = weft_schema_select (schema, projection, n_projection);
  scan->n_out = n_projection;
  scan->out_slot = g_new (int, MAX (n_projection, 1));
  for (guint i = 0; i < n_projection; i++)
    scan->out_slot[i] = (int) projection[i] == scan->corrupt_index
                          ? -1
                          : (int) use_column (scan, projection[i]);
  if (predicate != NULL && predicate->func != NULL)
    {
      scan->pred_func = predicate->func;
      scan->pred_data = predicate->user_data;
      scan->n_pred = predicate->n_columns;
      scan->pred_slot = g_new (guint, MAX (predicate->n_columns, 1));
      for (guint k = 0; k < predicate->n_columns; k++)
        {
          g_return_val_if_fail (predicate->columns[k] < n_fields, NULL);
          if ((int) predicate->columns[k] == scan->corrupt_index)
            {
              g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_SCHEMA,
                           "a predicate pushed into a CSV scan cannot read the corrupt record "
                           "column %s",
                           options->corrupt_record_column);
              return NULL;
            }
          scan->pred_slot[k] = use_column (scan, predicate->columns[k]);
        }
      scan->pred_schema = weft_schema_select (schema, predicate->columns, predicate->n_columns);
    }
  return g_steal_pointer (&scan);
}

gboolean
weft_csv_scan_next (WeftCsvScan *scan, WeftBatch **out_batch, GError **error)
{
  g_return_val_if_fail (scan != NULL && out_batch != NULL, FALSE);
  *out_batch = NULL;
  for (;;)
    {
      WeftBatch *batch = NULL;

      if (!fill_pending (scan, error))
        {
          scan->finished = TRUE;
          reset_pending (scan);
          return FALSE;
        }
      if (scan->n_pending == 0)
        {
          if (scan->finished)
            return TRUE;
          continue;
        }
      if (!convert_pending (scan, &batch, error))
        {
          scan->finished = TRUE;
          reset_pending (scan);
          return FALSE;
        }
      reset_pending (scan);
      if (batch->n_rows > 0)
        {
          *out_batch = batch;
          return TRUE;
        }
      weft_batch_free (batch);
    }
}

WeftSchema *
weft_csv_scan_get_schema (WeftCsvScan *scan)
{
  return scan->out_schema;
}

void
weft_csv_scan_get_stats (WeftCsvScan *scan, WeftCsvScanStats *out_stats)
{
  *out_stats = scan->stats;
}

gsize
weft_csv_scan_get_bytes (WeftCsvScan *scan)
{
  gsize per_row = sizeof (char *) + 3 * sizeof (guint32) + 1
                  + scan->n_slots * (sizeof (char *) + sizeof (guint32));

  return sizeof *scan + scan->buf_cap + PAD + scan->cap_rows * per_row + scan->arena.total
         + scan->norm->allocated_len + csv_get_buffer_size (&scan->csv);
}

void
weft_csv_scan_free (WeftCsvScan *scan)
{
  if (scan == NULL)
    return;
  if (scan->fd >= 0)
    close (scan->fd);
  if (scan->norm != NULL)
    {
      csv_free (&scan->csv);
      g_string_free (scan->norm, TRUE);
    }
  for (guint s = 0; s < scan->n_slots; s++)
    {
      g_free (scan->slot_ptr[s]);
      g_free (scan->slot_len[s]);
    }
  g_free (scan->slot_ptr);
  g_free (scan->slot_len);
  g_free (scan->slot_type);
  g_free (scan->slot_schema_index);
  g_free (scan->slot_of_field);
  g_free (scan->field_ptr);
  g_free (scan->field_len);
  g_free (scan->sink_ptr);
  g_free (scan->sink_len);
  g_free (scan->out_slot);
  g_free (scan->pred_slot);
  g_free (scan->rec_ptr);
  g_free (scan->rec_len);
  g_free (scan->n_fields);
  g_free (scan->bad);
  g_free (scan->bad_slot);
  g_free (scan->infer);
  g_free (scan->kinds);
  if (scan->arena.blocks != NULL)
    g_ptr_array_unref (scan->arena.blocks);
  if (scan->capture != NULL)
    g_ptr_array_unref (scan->capture);
  g_free (scan->buf);
  g_free (scan->path);
  weft_schema_unref (scan->pred_schema);
  weft_schema_unref (scan->out_schema);
  weft_schema_unref (scan->schema);
  weft_csv_options_free (scan->opts);
  g_free (scan);
}

/* ---- Schema inference ----------------------------------------------------------------------- */

/* The fields of the first record of @path (header or data), or NULL when it has none. */
static GPtrArray *
first_record (const char *path, const WeftCsvOptions *options, GError **error)
{
  g_autoptr (WeftSchema) none = weft_schema_new ();
  g_autoptr (WeftCsvSplit) split = weft_csv_split_new (path, 0, G_MAXINT64 / 2);
  g_autoptr (WeftCsvScan) scan = scan_open (options, none, FALSE, split, error);

  if (scan == NULL)
    return NULL;
  scan->header_pending = FALSE;
  scan->capture = g_ptr_array_new_with_free_func (g_free);
  while (!scan->finished)
    {
      TokResult r = tokenize (scan);

      if (r == TOK_DONE)
        break;
      if (!refill (scan, error))
        return NULL;
    }
  if (scan->capture->len == 0 && scan->cb_field == 0)
    return g_ptr_array_new_with_free_func (g_free); /* no record */
  return g_steal_pointer (&scan->capture);
}

struct _WeftCsvInference {
  GPtrArray *first;             /* the first record's fields, or NULL */
  guint n_cols;
  gboolean header;
  WeftCsvOptions *options;      /* PERMISSIVE copy of the read options */
  GPtrArray *splits;            /* (nullable) WeftCsvSplit*: the tasks; NULL without inferSchema */
  WeftDataType *types;          /* per task, n_cols each */
};

gboolean
weft_csv_infer_split_with (const WeftCsvSplit *split, const WeftCsvOptions *options,
                           guint n_cols, WeftCsvInferPass pass, WeftDataType *types,
                           GError **error)
{
  g_autoptr (WeftSchema) strings = weft_schema_new ();
  g_autoptr (WeftCsvScan) scan = NULL;

  g_return_val_if_fail (split != NULL && options != NULL, FALSE);
  g_return_val_if_fail (types != NULL || n_cols == 0, FALSE);
  for (guint c = 0; c < n_cols; c++)
    {
      g_autofree char *name = g_strdup_printf ("_c%u", c);

      weft_schema_add_field (strings, name, WEFT_DATA_TYPE_STRING, TRUE);
    }
  /* Every column is a file column here, even one named like columnNameOfCorruptRecord. */
  scan = scan_open (options, strings, FALSE, split, error);
  if (scan == NULL)
    return FALSE;
  scan->infer = g_new0 (WeftDataType, MAX (n_cols, 1));
  for (guint c = 0; c < n_cols; c++)
    use_column (scan, c);
  if (pass != WEFT_CSV_INFER_TOKENIZER)
    {
      scan->kinds = g_new0 (guint8, n_cols + KINDS_SINK);
      memset (scan->kinds + n_cols, KINDS_SETTLED, KINDS_SINK); /* fields past the last column */
      scan->n_typed = n_cols;
      scan->infer_baseline = pass == WEFT_CSV_INFER_SCANNER_BASELINE;
      scan->generic_at = G_MAXSIZE;
    }
  /* Records the scanner leaves to the tokenizer are typed here, a batch at a time. */
  while (!scan->finished || scan->n_pending > 0)
    {
      if (!fill_pending (scan, error))
        return FALSE;
      infer_pending (scan);
      reset_pending (scan);
    }
  for (guint c = 0; c < n_cols; c++)
    {
      types[c] = scan->infer[c];
      if (scan->kinds != NULL)
        types[c] = weft_data_type_merge (types[c], kinds_type (scan->kinds[c] & ~KINDS_SETTLED));
    }
  return TRUE;
}

gboolean
weft_csv_infer_split (const WeftCsvSplit *split, const WeftCsvOptions *options, guint n_cols,
                      WeftDataType *types, GError **error)
{
  g_return_val_if_fail (options != NULL, FALSE);
  return weft_csv_infer_split_with (split, options, n_cols,
                                    options->parser == WEFT_CSV_PARSER_LIBCSV
                                      ? WEFT_CSV_INFER_TOKENIZER
                                      : WEFT_CSV_INFER_SCANNER,
                                    types, error);
}

WeftCsvInference *
weft_csv_inference_new (const char *const *files, guint n_files, const WeftCsvOptions *options,
                        GError **error)
{
  g_autoptr (GPtrArray) first = NULL;

  if (!weft_csv_options_validate (options, error))
    return NULL;
  for (guint i = 0; i < n_files && (first == NULL || first->len == 0); i++)
    {
      g_clear_pointer (&first, g_ptr_array_unref);
      first = first_record (files[i], options, error);
      if (first == NULL)
        return NULL;
    }
  WeftCsvInference *inf = g_new0 (WeftCsvInference, 1);
  inf->n_cols = first != NULL ? first->len : 0;
  inf->first = g_steal_pointer (&first);
  inf->header = options->header;
  inf->options = weft_csv_options_copy (options);
  inf->options->mode = WEFT_CSV_MODE_PERMISSIVE;
  if (options->infer_schema && inf->n_cols > 0)
    {
      inf->splits = weft_csv_plan_splits (files, n_files, inf->options, error);
      if (inf->splits == NULL)
        {
          weft_csv_inference_free (inf);
          return NULL;
        }
      inf->types = g_new0 (WeftDataType, (gsize) inf->splits->len * inf->n_cols);
    }
  return inf;
}

void
weft_csv_inference_free (WeftCsvInference *inf)
{
  if (inf == NULL)
    return;
  g_clear_pointer (&inf->first, g_ptr_array_unref);
  g_clear_pointer (&inf->options, weft_csv_options_free);
  g_clear_pointer (&inf->splits, g_ptr_array_unref);
  g_free (inf->types);
  g_free (inf);
}

guint
weft_csv_inference_get_n_tasks (const WeftCsvInference *inf)
{
  return inf->splits ? inf->splits->len : 0;
}

guint
weft_csv_inference_get_n_columns (const WeftCsvInference *inf)
{
  return inf->n_cols;
}

const WeftCsvOptions *
weft_csv_inference_get_options (const WeftCsvInference *inf)
{
  return inf->options;
}

const WeftCsvSplit *
weft_csv_inference_get_split (const WeftCsvInference *inf, guint task)
{
  g_return_val_if_fail (task < weft_csv_inference_get_n_tasks (inf), NULL);
  return inf->splits->pdata[task];
}

void
weft_csv_inference_set_task_types (WeftCsvInference *inf, guint task, const WeftDataType *types)
{
  g_return_if_fail (task < weft_csv_inference_get_n_tasks (inf));
  for (guint c = 0; c < inf->n_cols; c++)
    g_return_if_fail (types[c] == 0 || WEFT_DATA_TYPE_IS_VALID (types[c]));
  memcpy (inf->types + (gsize) task * inf->n_cols, types, inf->n_cols * sizeof (WeftDataType));
}

gboolean
weft_csv_inference_run_task (WeftCsvInference *inf, guint task, GError **error)
{
  g_return_val_if_fail (task < weft_csv_inference_get_n_tasks (inf), FALSE);
  return weft_csv_infer_split (inf->splits->pdata[task], inf->options, inf->n_cols,
                               inf->types + (gsize) task * inf->n_cols, error);
}

WeftSchema *
weft_csv_inference_finish (WeftCsvInference *inf)
{
  const guint n_cols = inf->n_cols;
  GPtrArray *first = inf->first;
  g_autofree WeftDataType *types = g_new0 (WeftDataType, MAX (n_cols, 1));
  WeftSchema *schema;

  for (guint t = 0; t < weft_csv_inference_get_n_tasks (inf); t++)
    for (guint c = 0; c < n_cols; c++)
      types[c] = weft_data_type_merge (types[c], inf->types[(gsize) t * n_cols + c]);

  schema = weft_schema_new ();
  for (guint i = 0; i < n_cols; i++)
    {
      const char *value = inf->header ? g_ptr_array_index (first, i) : NULL;
      g_autofree char *name = NULL;
      WeftDataType type = types[i] != 0 ? types[i] : WEFT_DATA_TYPE_STRING;

      if (value == NULL || value[0] == '\0')
        name = g_strdup_printf ("_c%u", i);
      else
        {
          gboolean repeated = FALSE;

          for (guint j = 0; j < n_cols && !repeated; j++)
            {
              const char *other = g_ptr_array_index (first, j);

              repeated = j != i && other != NULL && g_ascii_strcasecmp (other, value) == 0;
            }
          name = repeated ? g_strdup_printf ("%s%u", value, i) : g_strdup (value);
        }
      weft_schema_add_field (schema, name, type, TRUE);
    }
  return schema;
}

WeftSchema *
weft_csv_infer_schema (const char *const *files, guint n_files, const WeftCsvOptions *options,
                       GError **error)
{
  g_autoptr (WeftCsvInference) inf = weft_csv_inference_new (files, n_files, options, error);

  if (inf == NULL)
    return NULL;
  for (guint t = 0; t < weft_csv_inference_get_n_tasks (inf); t++)
    if (!weft_csv_inference_run_task (inf, t, error))
      return NULL;
  return weft_csv_inference_finish (inf);
}
