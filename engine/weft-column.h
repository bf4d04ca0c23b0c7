/* weft-column: one typed vector of values, the engine's unit of data. Fixed-width values sit in
 * one array (int64, double, bool as one byte 0/1, date as int32 days since the epoch); strings are
 * offsets plus one byte buffer (value i is data[offsets[i] .. offsets[i+1])). A validity bitmap
 * marks nulls and is absent (NULL) while the column has none; a null row's value slot holds 0 / an
 * empty string. Columns are reference counted: mutable while the builder holds the only reference,
 * immutable (and shareable between batches and threads) once handed out. */

#pragma once

#include "weft-schema.h"

G_BEGIN_DECLS

/**
 * weft_data_type_width:
 * Returns: the bytes of one value of @type in a column's values (0 for strings, which are
 *   offsets plus bytes).
 */
gsize weft_data_type_width (WeftDataType type);

typedef struct
{
  /*< private >*/
  gatomicrefcount ref_count;
  gsize capacity;      /* rows allocated in values / offsets / validity */
  gsize data_capacity; /* bytes allocated in data */
  /*< public, read-only except through the functions below >*/
  WeftDataType type;
  gsize length;     /* rows */
  gsize null_count; /* rows that are null */
  guint8 *validity; /* NULL: no nulls; else bit i (LSB first) set when row i is valid */
  union
  {
    gint64 *i64;  /* WEFT_DATA_TYPE_INT64 */
    double *f64;  /* WEFT_DATA_TYPE_DOUBLE */
    guint8 *b;    /* WEFT_DATA_TYPE_BOOL: 0 or 1 */
    gint32 *date; /* WEFT_DATA_TYPE_DATE: days since 1970-01-01 */
    gpointer raw;
  } values;         /* NULL for strings */
  guint64 *offsets; /* strings: length + 1 entries, offsets[0] == 0; else NULL */
  char *data;       /* strings: the bytes of every value, back to back; else NULL */
} WeftColumn;

/**
 * weft_column_new:
 * @type: the value type
 * @capacity: rows to allocate up front (0 is fine; appends grow the column)
 *
 * Returns: (transfer full): an empty column.
 */
WeftColumn *weft_column_new (WeftDataType type, gsize capacity);

/**
 * weft_column_ref:
 * @column: a column
 *
 * Returns: (transfer full): @column with one more reference. Thread-safe.
 */
WeftColumn *weft_column_ref (WeftColumn *column);

/**
 * weft_column_unref:
 * @column: (transfer full) (nullable): a column
 */
void weft_column_unref (WeftColumn *column);

/**
 * weft_column_reserve:
 * @column: a column being built
 * @n_more: rows about to be appended
 *
 * Makes room for @n_more rows past the current length (amortised doubling).
 */
void weft_column_reserve (WeftColumn *column, gsize n_more);

/**
 * weft_column_reserve_data:
 * @column: a string column being built
 * @n_more: bytes about to be appended
 */
void weft_column_reserve_data (WeftColumn *column, gsize n_more);

/* Appenders: each adds one row at the end. Type mismatches are programmer errors. */
void weft_column_append_null (WeftColumn *column);
void weft_column_append_int64 (WeftColumn *column, gint64 value);
void weft_column_append_double (WeftColumn *column, double value);
void weft_column_append_bool (WeftColumn *column, gboolean value);
void weft_column_append_date (WeftColumn *column, gint32 days);
void weft_column_append_string (WeftColumn *column, const char *bytes, gsize len);

/**
 * weft_column_append_range:
 * @column: a column being built
 * @src: a column of the same type
 * @offset: first row of @src to copy
 * @n: how many rows (offset + n <= src->length)
 *
 * Appends rows of @src, nulls included, with bulk copies.
 */
void weft_column_append_range (WeftColumn *column, const WeftColumn *src, gsize offset, gsize n);

/**
 * weft_column_append_take:
 * @column: a column being built
 * @src: a column of the same type
 * @rows: (array length=n): row indices of @src, each < src->length, in any order, repeats allowed
 * @n: how many
 *
 * Appends src[rows[0]], src[rows[1]], ... (a gather).
 */
void weft_column_append_take (WeftColumn *column, const WeftColumn *src, const guint32 *rows,
                              gsize n);

/**
 * weft_column_set_null:
 * @column: a column being built
 * @row: a row < length
 *
 * Marks @row null (creating the bitmap if needed) and zeroes its fixed-width value. For builders
 * that write values in place and learn afterwards that one is missing. String rows keep their
 * bytes (they are unreachable through the API but still counted in data).
 */
void weft_column_set_null (WeftColumn *column, gsize row);

/**
 * weft_column_extend:
 * @column: a fixed-width column being built
 * @n: rows to add
 *
 * Adds @n valid rows whose values the caller then writes through column->values (in place, no
 * per-value call). Their initial contents are undefined.
 *
 * Returns: the index of the first new row.
 */
gsize weft_column_extend (WeftColumn *column, gsize n);

/**
 * weft_column_take:
 * @src: a column
 * @rows: (array length=n): row indices into @src
 * @n: how many
 *
 * Returns: (transfer full): a new column holding src[rows[i]] for each i.
 */
WeftColumn *weft_column_take (const WeftColumn *src, const guint32 *rows, gsize n);

/**
 * weft_column_slice:
 * @src: a column
 * @offset: first row
 * @n: rows (offset + n <= src->length)
 *
 * Returns: (transfer full): a new column holding a copy of those rows.
 */
WeftColumn *weft_column_slice (const WeftColumn *src, gsize offset, gsize n);

/**
 * weft_column_concat:
 * @columns: (array length=n): columns of one type
 * @n: how many (>= 1)
 *
 * Returns: (transfer full): a new column with all rows of @columns, in order.
 */
WeftColumn *weft_column_concat (WeftColumn *const *columns, guint n);

/**
 * weft_column_get_bytes:
 * @column: a column
 *
 * Returns: the heap bytes the column holds (allocated capacity, not just the bytes in use), for
 *   memory budgets.
 */
gsize weft_column_get_bytes (const WeftColumn *column);

/**
 * weft_column_equal:
 * @a: a column
 * @b: a column
 *
 * Returns: TRUE if both have the same type, length, nulls and values (doubles compared bit for
 *   bit after folding NaNs, so NaN equals NaN and 0.0 differs from -0.0).
 */
gboolean weft_column_equal (const WeftColumn *a, const WeftColumn *b);

/**
 * weft_column_format_value:
 * @column: a column
 * @row: a row
 * @out: where to append the text
 *
 * Appends the value as text: "null" for nulls, integers in decimal, doubles in the shortest form
 * that reads back exactly, "true"/"false", dates as yyyy-MM-dd, strings as they are.
 */
void weft_column_format_value (const WeftColumn *column, gsize row, GString *out);

/**
 * weft_column_is_valid:
 * @column: a column
 * @row: a row < length
 *
 * Returns: TRUE if @row is not null.
 */
static inline gboolean
weft_column_is_valid (const WeftColumn *column, gsize row)
{
  return column->validity == NULL || (column->validity[row >> 3] >> (row & 7)) & 1;
}

/**
 * weft_column_get_string:
 * @column: a string column
 * @row: a row < length
 * @out_len: (out): the value's length in bytes
 *
 * Returns: (transfer none): the value's bytes, not NUL-terminated (empty for a null).
 */
static inline const char *
weft_column_get_string (const WeftColumn *column, gsize row, gsize *out_len)
{
  *out_len = (gsize) (column->offsets[row + 1] - column->offsets[row]);
  return column->data + column->offsets[row];
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WeftColumn, weft_column_unref)

G_END_DECLS
