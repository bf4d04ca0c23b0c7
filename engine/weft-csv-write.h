/* weft-csv-write: columnar batches to CSV text with Spark's writer semantics (its CSVOptions on
 * univocity's CsvWriter), formatted a batch at a time into one buffer (no allocation per field)
 * and written with one write() per buffer. A WeftCsvWriter writes one file and has one owner
 * thread; writers of different files run in parallel freely. Where the commit protocol puts the
 * file is weft-output-job.h's business.
 *
 * What a value becomes (Spark's defaults in brackets):
 * - null: nullValue [""], so an empty field. Written as it is, never quoted.
 * - int64 in decimal; double as Java's Double.toString (50000.0, 1.0E7, NaN, Infinity); bool
 *   true/false; date in dateFormat [yyyy-MM-dd].
 * - string: with ignoreLeadingWhiteSpace / ignoreTrailingWhiteSpace [true, true, as Spark on
 *   write] bytes <= ' ' are cut from its ends. A string that is or becomes empty is written as
 *   emptyValue [two quote characters, as Spark 2.4+ writes it], so it stays apart from a null
 *   (a,null,"",1 is written a,,"",1). emptyValue and nullValue go out as they are. A string is
 *   quoted when quoteAll is set, when it starts with the quote character, or when it holds the
 *   separator, a line feed, a carriage return or (with escapeQuotes [true]) the quote character
 *   (the check sees the value before its trailing whitespace is cut, as univocity does). Inside
 *   quotes a quote character becomes escape + quote [\"]; with no escape character, or one equal
 *   to the quote, it is doubled ("").
 * - quoteAll quotes every non-null value, numbers and dates included (univocity sees text).
 * - header: the field names, encoded like strings, as the first line of the file.
 * - line separator: lineSep ["\n"].
 *
 * Where Weft differs from Spark, on purpose:
 * - Spark writes a carriage return unquoted; Weft quotes it, so a value ending in \r cannot
 *   merge with the line break into \r\n.
 * - Inside a quoted value Spark doubles every escape character ("a\\b" for a\b), and readers
 *   (Spark's and Weft's) undo that only before a quote, so the value changes on a round trip.
 *   Weft writes escape characters as they are, except a run of them that ends the value or comes
 *   before a quote: such a run gets one more escape character (and the quote after it is then
 *   doubled), which is exactly what the reader undoes. Values without escape characters are
 *   written byte for byte as Spark writes them.
 * - Spark's quoteAll also quotes nulls in some univocity versions; Weft writes nulls as
 *   nullValue always. */

#pragma once

#include "weft-batch.h"
#include "weft-engine-error.h"
#include "weft-value-text.h"

G_BEGIN_DECLS

/* Bytes buffered before a write(): big enough that the syscall cost vanishes, small enough to
 * stay in L2 while it is filled. */
#define WEFT_CSV_WRITE_DEFAULT_BUFFER_BYTES (1024 * 1024)

typedef struct
{
  /* Spark write options. */
  gboolean header;                      /* header */
  char sep;                             /* sep / delimiter */
  char quote;                           /* quote; '\0' writes every value bare */
  char escape;                          /* escape; '\0' (or == quote) doubles quotes */
  char *null_value;                     /* nullValue */
  char *empty_value;                    /* emptyValue */
  gboolean quote_all;                   /* quoteAll */
  gboolean escape_quotes;               /* escapeQuotes */
  gboolean ignore_leading_white_space;  /* ignoreLeadingWhiteSpace (write default: true) */
  gboolean ignore_trailing_white_space; /* ignoreTrailingWhiteSpace (write default: true) */
  char *date_format;                    /* dateFormat (kept compiled in date_printer) */
  WeftDatePrinter date_printer;
  char *line_sep; /* lineSep: "\n", "\r" or "\r\n" */
  /* Engine knobs. */
  gsize buffer_bytes; /* bytes buffered per write() (WEFT_CSV_WRITE_DEFAULT_BUFFER_BYTES) */
} WeftCsvWriteOptions;

/**
 * weft_csv_write_options_new:
 *
 * Returns: (transfer full): write options with Spark's defaults.
 */
WeftCsvWriteOptions *weft_csv_write_options_new (void);

/**
 * weft_csv_write_options_copy:
 * @options: options
 *
 * Returns: (transfer full): a deep copy.
 */
WeftCsvWriteOptions *weft_csv_write_options_copy (const WeftCsvWriteOptions *options);

/**
 * weft_csv_write_options_free:
 * @options: (transfer full) (nullable): options
 */
void weft_csv_write_options_free (WeftCsvWriteOptions *options);

/**
 * weft_csv_write_options_set:
 * @options: options
 * @key: a Spark CSV write option, case-insensitive: header, sep (or delimiter), quote, escape,
 *   nullValue, emptyValue, quoteAll, escapeQuotes, ignoreLeadingWhiteSpace,
 *   ignoreTrailingWhiteSpace, dateFormat, lineSep; accepted only at their defaults:
 *   encoding/charset (UTF-8), compression/codec (none, uncompressed); accepted and ignored
 *   because they only matter when reading: inferSchema, mode, multiLine, comment,
 *   columnNameOfCorruptRecord, nanValue, positiveInf, negativeInf, samplingRatio,
 *   enforceSchema. Anything else is an error.
 * @value: true/false; one character ("\t" or "\\t" for a tab; "" for quote or escape turns it
 *   off); any text for nullValue and emptyValue
 * @error: WEFT_ENGINE_ERROR_BAD_OPTION naming the option
 *
 * Returns: TRUE if the option was set.
 */
gboolean weft_csv_write_options_set (WeftCsvWriteOptions *options, const char *key,
                                     const char *value, GError **error);

/**
 * weft_csv_write_options_validate:
 * @options: options
 * @error: WEFT_ENGINE_ERROR_BAD_OPTION
 *
 * Checks that sep is set and is neither the quote nor a line break, and that the quote is not
 * a line break.
 *
 * Returns: TRUE if the options can be used.
 */
gboolean weft_csv_write_options_validate (const WeftCsvWriteOptions *options, GError **error);

/**
 * weft_csv_format_batch:
 * @options: write options
 * @batch: a batch
 * @out: where to append the batch's rows as CSV text (no header)
 *
 * The text weft_csv_writer_write() would write for @batch. For tests and for callers that want
 * CSV in memory.
 */
void weft_csv_format_batch (const WeftCsvWriteOptions *options, const WeftBatch *batch,
                            GString *out);

/**
 * weft_csv_format_header:
 * @options: write options
 * @schema: a schema
 * @out: where to append the header line
 */
void weft_csv_format_header (const WeftCsvWriteOptions *options, const WeftSchema *schema,
                             GString *out);

typedef struct _WeftCsvWriter WeftCsvWriter;

/**
 * weft_csv_writer_new:
 * @options: write options (copied)
 * @schema: the schema of the batches to come (a reference is taken)
 * @path: the file to create (an existing file is truncated)
 * @error: WEFT_ENGINE_ERROR_BAD_OPTION or _IO
 *
 * Creates the file and, with header, writes the header line into the buffer (so a writer that
 * gets no rows still leaves a file with its header, as Spark does).
 *
 * Returns: (transfer full): the writer, or NULL.
 */
WeftCsvWriter *weft_csv_writer_new (const WeftCsvWriteOptions *options, WeftSchema *schema,
                                    const char *path, GError **error);

/**
 * weft_csv_writer_write:
 * @writer: a writer
 * @batch: rows to append; its column types must match the writer's schema (names may differ)
 * @error: WEFT_ENGINE_ERROR_BAD_SCHEMA or _IO (naming the file)
 *
 * Formats the batch into the buffer and writes the buffer out whenever it passes
 * options->buffer_bytes. After an error the writer only accepts weft_csv_writer_free().
 *
 * Returns: TRUE on success.
 */
gboolean weft_csv_writer_write (WeftCsvWriter *writer, const WeftBatch *batch, GError **error);

/**
 * weft_csv_writer_close:
 * @writer: a writer
 * @error: WEFT_ENGINE_ERROR_IO naming the file
 *
 * Writes what is buffered and closes the file. Calling it twice is harmless.
 *
 * Returns: TRUE if every byte reached the file.
 */
gboolean weft_csv_writer_close (WeftCsvWriter *writer, GError **error);

/**
 * weft_csv_writer_get_rows:
 * @writer: a writer
 *
 * Returns: data rows written so far (header not counted).
 */
guint64 weft_csv_writer_get_rows (const WeftCsvWriter *writer);

/**
 * weft_csv_writer_get_bytes:
 * @writer: a writer
 *
 * Returns: bytes of CSV produced so far (buffered ones included).
 */
guint64 weft_csv_writer_get_bytes (const WeftCsvWriter *writer);

/**
 * weft_csv_writer_free:
 * @writer: (transfer full) (nullable): a writer; a writer not closed is closed without writing
 *   what is buffered (for aborted tasks, whose files the commit protocol throws away)
 */
void weft_csv_writer_free (WeftCsvWriter *writer);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WeftCsvWriteOptions, weft_csv_write_options_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WeftCsvWriter, weft_csv_writer_free)

G_END_DECLS
