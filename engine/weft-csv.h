/* weft-csv: the CSV source. Files are listed (weft_csv_list_files), cut into splits at line
 * boundaries by Hadoop's rule (weft_csv_plan_splits), given a schema (weft_csv_infer_schema, or
 * the user's), and each split is scanned into columnar batches (WeftCsvScan), one scan per task.
 * A scan converts only the columns it is asked for and can run a pushed-down predicate on each
 * batch right after parsing, before the other columns are converted. Semantics are Spark's (see
 * weft-csv-options.h and docs/); where Weft differs, this header says so below. A scan has one
 * owner thread; different scans run in parallel freely.
 *
 * Records. Without multiLine a record is a line (ended by \n or \r\n; a lone \r is data, unlike
 * Hadoop). With multiLine a quoted value may hold line breaks, and a file is one split. Blank
 * lines (only bytes <= ' ') and, with a comment character, lines starting with it are skipped. A
 * UTF-8 byte-order mark at the start of a file is skipped.
 *
 * Fields. A field that starts with the quote character is quoted: inside it, the escape
 * character before a quote gives a quote, the escape character twice before a quote gives the
 * escape character (Spark's charToEscapeQuoteEscaping), a doubled quote gives a quote (RFC 4180,
 * also accepted), and separators and (with multiLine) line breaks are data. Text after a closing
 * quote other than the separator makes the record malformed, as does a quote left open at the end
 * of the record. A quote inside an unquoted field is data (`ab"c` reads as ab"c), and so is the
 * escape character outside quotes. Values keep their spaces. An empty unquoted field and a field
 * equal to nullValue are null (so with the default nullValue "" a quoted "" is null too).
 *
 * Rows. The schema has one column per field, plus at most one string column named by
 * columnNameOfCorruptRecord which the file does not hold. A row with more or fewer fields than
 * that, one whose syntax is broken, or one with a value that does not convert (int64 overflow
 * included) is malformed: in PERMISSIVE mode its missing or unconvertible fields are null, extra
 * fields are dropped and the raw record goes to the corrupt column; DROPMALFORMED drops it;
 * FAILFAST fails with WEFT_ENGINE_ERROR_MALFORMED naming file and line. As in Spark, only the
 * columns a scan converts are checked for values, so what counts as malformed can depend on the
 * projection; field counts are always checked.
 *
 * Parsing. Records without a quote character are split by a vectorised fast path straight into
 * per-column field positions; records with one go through libcsv (strict, strict at end, spaces
 * kept) after a pass that maps the escape rules above onto RFC 4180. The two give identical
 * results (tested). Nothing is copied for columns that are not converted. Schema inference types
 * quote-free records with a type-only scanner that stores no field positions and skips columns
 * already known to be strings; it gives the types the tokenizer would (tested). */

#pragma once

#include "weft-batch.h"
#include "weft-csv-options.h"
#include "weft-engine-error.h"

G_BEGIN_DECLS

/* One byte range of one file: a partition of the scan. */
typedef struct
{
  char *path;
  gint64 start;
  gint64 length;
} WeftCsvSplit;

/**
 * weft_csv_split_new:
 * @path: the file
 * @start: first byte offset
 * @length: bytes
 *
 * Returns: (transfer full): a split.
 */
WeftCsvSplit *weft_csv_split_new (const char *path, gint64 start, gint64 length);

/**
 * weft_csv_split_free:
 * @split: (transfer full) (nullable): a split
 */
void weft_csv_split_free (WeftCsvSplit *split);

/**
 * weft_csv_list_files:
 * @path: a file, a folder (its regular files, skipping names that start with '_' or '.', as
 *   Hadoop does) or a glob pattern (*, ?, [..] in any component)
 * @error: WEFT_ENGINE_ERROR_IO when nothing matches or the path cannot be read
 *
 * Returns: (transfer full) (element-type utf8): the files, sorted by name.
 */
GPtrArray *weft_csv_list_files (const char *path, GError **error);

/**
 * weft_csv_plan_splits:
 * @files: (array length=n_files): files
 * @n_files: how many
 * @options: split_bytes (the target split size) and multi_line are used
 * @error: WEFT_ENGINE_ERROR_IO
 *
 * Cuts each file into ranges of options->split_bytes (the last one shorter); a file is one split
 * when multiLine is set, and an empty file gives none. Files are not packed together.
 *
 * Returns: (transfer full) (element-type WeftCsvSplit): the splits, file by file, in order.
 */
GPtrArray *weft_csv_plan_splits (const char *const *files, guint n_files,
                                 const WeftCsvOptions *options, GError **error);

/**
 * weft_csv_infer_schema:
 * @files: (array length=n_files): files
 * @n_files: how many
 * @options: read options
 * @error: WEFT_ENGINE_ERROR_*
 *
 * The schema Spark would give without a user schema. Column names come from the first record of
 * the first file that has one: with header, its values (an empty or null name becomes _c<i>;
 * names repeated, ignoring case, get their index appended); without, _c0, _c1, ... for as many
 * fields as it has. No record at all gives a schema of no columns. Without inferSchema every
 * column is a string. With it, Weft does what Spark does by default (samplingRatio 1.0): one full
 * pass over every file (header line of each skipped), each non-null value typed as int64, else
 * double, else bool, else date (strictly in dateFormat), else string, and a column's type is what
 * all its values fit (int64 and double give double, other mixes string, no values string). Every
 * column is nullable.
 *
 * Returns: (transfer full): the schema, or NULL with @error set.
 */
WeftSchema *weft_csv_infer_schema (const char *const *files, guint n_files,
                                   const WeftCsvOptions *options, GError **error);

/**
 * weft_csv_infer_split:
 * @split: one split of the scan (from weft_csv_plan_splits() with @options, e.g.
 *   weft_csv_inference_get_split())
 * @options: the read options (e.g. weft_csv_inference_get_options()); mode is not used: every
 *   record is typed, malformed ones included, as PERMISSIVE reads them (a record whose quoting is
 *   broken gives no values; extra fields are ignored and missing ones are null)
 * @n_cols: the columns to type (weft_csv_inference_get_n_columns())
 * @types: (out caller-allocates) (array length=n_cols): per column, the type all of the split's
 *   non-null values fit (the rules of weft_csv_infer_schema()), or 0 when it has none
 * @error: WEFT_ENGINE_ERROR_BAD_OPTION, _IO or _TOO_LARGE
 *
 * Types the records of one split, as one task of a WeftCsvInference does, without the
 * WeftCsvInference: for executors that run inference tasks away from the driver. Records are
 * found as a scan of the split finds them. A split at offset 0 starts its file, so with header
 * set its first record is the file's header and is not typed (every file's header is skipped
 * this way, since each file's first split starts at 0). Reads only the split's file; any thread.
 *
 * Returns: TRUE with @types filled in; FALSE with @error set (@types untouched).
 */
gboolean weft_csv_infer_split (const WeftCsvSplit *split, const WeftCsvOptions *options,
                               guint n_cols, WeftDataType *types, GError **error);

/**
 * WeftCsvInference:
 * weft_csv_infer_schema() cut into tasks that may run in parallel, one per split (the read
 * options' split_bytes): _new reads the first record and plans the splits, each
 * _run_task(i) types split i (tasks touch only their own results, so run them from any
 * threads), and _finish merges them into the schema weft_csv_infer_schema() gives. A task may
 * also run elsewhere: weft_csv_infer_split() on _get_split(i), _get_options() and
 * _get_n_columns() gives the types that _set_task_types(i) records, exactly what _run_task(i)
 * would have computed (it calls the same function).
 */
typedef struct _WeftCsvInference WeftCsvInference;
WeftCsvInference *weft_csv_inference_new (const char *const *files, guint n_files,
                                          const WeftCsvOptions *options, GError **error);
void weft_csv_inference_free (WeftCsvInference *inference);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WeftCsvInference, weft_csv_inference_free)
guint weft_csv_inference_get_n_tasks (const WeftCsvInference *inference);
/** weft_csv_inference_get_n_columns: Returns: how many columns the first record gave (the
 * schema's width; 0 when no file has a record, and then there are no tasks). */
guint weft_csv_inference_get_n_columns (const WeftCsvInference *inference);
/** weft_csv_inference_get_options: Returns: (transfer none): the options tasks read with (the
 * read options, mode PERMISSIVE); valid while @inference lives. */
const WeftCsvOptions *weft_csv_inference_get_options (const WeftCsvInference *inference);
/** weft_csv_inference_get_split: Returns: (transfer none): the split task @task types. */
const WeftCsvSplit *weft_csv_inference_get_split (const WeftCsvInference *inference, guint task);
gboolean weft_csv_inference_run_task (WeftCsvInference *inference, guint task, GError **error);
/**
 * weft_csv_inference_set_task_types:
 * @types: (array length=n_columns): what weft_csv_infer_split() gave for task @task's split
 *
 * Records task @task's result in place of running it. Touches only that task's result, like
 * _run_task(), so any thread may call it.
 */
void weft_csv_inference_set_task_types (WeftCsvInference *inference, guint task,
                                        const WeftDataType *types);
/** weft_csv_inference_finish: Returns: (transfer full) the schema, once every task ran or had
 * its types set. */
WeftSchema *weft_csv_inference_finish (WeftCsvInference *inference);

/**
 * WeftCsvPredicateFunc:
 * @batch: the predicate's columns (WeftCsvPredicate.columns, in that order) for every row parsed
 *   in this batch, malformed rows included (their bad fields null)
 * @selection: empty, with room for batch->n_rows indices: add the rows to keep, ascending
 * @user_data: WeftCsvPredicate.user_data
 * @error: set when returning FALSE
 *
 * A filter pushed into the scan. Runs on the scan's thread.
 *
 * Returns: FALSE to fail the scan.
 */
typedef gboolean (*WeftCsvPredicateFunc) (const WeftBatch *batch, WeftSelection *selection,
                                          gpointer user_data, GError **error);

typedef struct
{
  const guint *columns; /* schema indices the predicate reads (not the corrupt column) */
  guint n_columns;
  WeftCsvPredicateFunc func;
  gpointer user_data;
} WeftCsvPredicate;

typedef struct
{
  guint64 records;        /* records parsed (header, blank and comment lines not counted) */
  guint64 rows_out;       /* rows returned */
  guint64 malformed;      /* malformed records seen */
  guint64 slow_records;   /* records that went through libcsv */
  guint64 bytes_read;     /* bytes read from the file */
} WeftCsvScanStats;

typedef struct _WeftCsvScan WeftCsvScan;

/**
 * weft_csv_scan_new:
 * @options: read options (copied)
 * @schema: the schema of the data (a reference is taken), e.g. from weft_csv_infer_schema()
 * @split: the byte range to read (copied); with multiLine it must start at 0
 * @projection: (array length=n_projection) (nullable): schema indices of the columns to return,
 *   in that order (repeats allowed); NULL for every column
 * @n_projection: how many (0 with a non-NULL @projection returns row counts only)
 * @predicate: (nullable): a filter to run while scanning (copied; user_data is borrowed)
 * @error: WEFT_ENGINE_ERROR_BAD_OPTION, _BAD_SCHEMA or _IO
 *
 * Returns: (transfer full): the scan, or NULL.
 */
WeftCsvScan *weft_csv_scan_new (const WeftCsvOptions *options, WeftSchema *schema,
                                const WeftCsvSplit *split, const guint *projection,
                                guint n_projection, const WeftCsvPredicate *predicate,
                                GError **error);

/**
 * weft_csv_scan_next:
 * @scan: a scan
 * @out_batch: (out) (transfer full) (nullable): the next batch (never empty), or NULL at the end
 * @error: WEFT_ENGINE_ERROR_MALFORMED (FAILFAST), _TOO_LARGE, _IO, or the predicate's error
 *
 * Reads on until a batch is full or the split ends. After an error the scan is finished.
 *
 * Returns: TRUE with a batch or with NULL at the end; FALSE on error.
 */
gboolean weft_csv_scan_next (WeftCsvScan *scan, WeftBatch **out_batch, GError **error);

/**
 * weft_csv_scan_get_schema:
 * @scan: a scan
 *
 * Returns: (transfer none): the schema of the batches it returns (the projection).
 */
WeftSchema *weft_csv_scan_get_schema (WeftCsvScan *scan);

/**
 * weft_csv_scan_get_stats:
 * @scan: a scan
 * @out_stats: (out caller-allocates): counters so far
 */
void weft_csv_scan_get_stats (WeftCsvScan *scan, WeftCsvScanStats *out_stats);

/**
 * weft_csv_scan_get_bytes:
 * @scan: a scan
 *
 * Returns: heap bytes the scan holds between batches (read buffer, field positions, scratch), for
 *   memory budgets; batches it returned are not included.
 */
gsize weft_csv_scan_get_bytes (WeftCsvScan *scan);

/**
 * weft_csv_scan_free:
 * @scan: (transfer full) (nullable): a scan; closes its file
 */
void weft_csv_scan_free (WeftCsvScan *scan);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WeftCsvSplit, weft_csv_split_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WeftCsvScan, weft_csv_scan_free)

G_END_DECLS
