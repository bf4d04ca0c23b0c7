/* weft-csv-options: how a CSV source is read. Spark's read options, by Spark's names and with
 * Spark's defaults (header false, inferSchema false, sep ',', quote '"', escape '\\', nullValue "",
 * comment off, multiLine false, dateFormat yyyy-MM-dd, mode PERMISSIVE, columnNameOfCorruptRecord
 * _corrupt_record), plus the engine's own knobs (batch size, split size, read size, record limit).
 * Set options by name with weft_csv_options_set(); unknown names and bad values are errors. An
 * options struct has one owner; scans copy what they need. */

#pragma once

#include "weft-parse.h"

G_BEGIN_DECLS

typedef enum
{
  WEFT_CSV_MODE_PERMISSIVE,    /* bad rows: bad fields null, raw line to the corrupt column */
  WEFT_CSV_MODE_DROPMALFORMED, /* bad rows are dropped */
  WEFT_CSV_MODE_FAILFAST,      /* the first bad row fails the scan, naming file and line */
} WeftCsvMode;

/* Which parser reads records without a quote character. Both give identical results; LIBCSV
 * sends every record through libcsv, for tests and benchmarks. */
typedef enum
{
  WEFT_CSV_PARSER_AUTO,
  WEFT_CSV_PARSER_LIBCSV,
} WeftCsvParser;

/* Spark's maxPartitionBytes default. */
#define WEFT_CSV_DEFAULT_SPLIT_BYTES (G_GINT64_CONSTANT (128) * 1024 * 1024)

typedef struct
{
  /* Spark options. */
  gboolean header;       /* header: the first line of each file names the columns */
  gboolean infer_schema; /* inferSchema: one full pass over the data chooses types */
  char sep;              /* sep / delimiter */
  char quote;            /* quote; '\0' turns quoting off */
  char escape;           /* escape inside quoted values; '\0' for none */
  char comment;          /* comment: lines starting with it are skipped; '\0' is off */
  char *null_value;      /* nullValue: a field equal to it is null ("" by default) */
  gboolean multi_line;   /* multiLine: quoted values may hold newlines; files are not split */
  char *date_format;     /* dateFormat (kept compiled in date_parser) */
  WeftDateFormat date_parser;
  WeftCsvMode mode;              /* mode */
  char *corrupt_record_column;   /* columnNameOfCorruptRecord */
  /* Engine knobs. */
  gsize batch_rows;              /* rows per batch (WEFT_BATCH_DEFAULT_ROWS) */
  gint64 split_bytes;            /* target split size (WEFT_CSV_DEFAULT_SPLIT_BYTES) */
  gsize read_bytes;              /* bytes per read() (4 MiB) */
  gsize max_record_bytes;        /* longest record accepted (256 MiB); longer is an error */
  WeftCsvParser parser;
} WeftCsvOptions;

/**
 * weft_csv_options_new:
 *
 * Returns: (transfer full): options with every default.
 */
WeftCsvOptions *weft_csv_options_new (void);

/**
 * weft_csv_options_copy:
 * @options: options
 *
 * Returns: (transfer full): a deep copy.
 */
WeftCsvOptions *weft_csv_options_copy (const WeftCsvOptions *options);

/**
 * weft_csv_options_free:
 * @options: (transfer full) (nullable): options
 */
void weft_csv_options_free (WeftCsvOptions *options);

/**
 * weft_csv_options_set:
 * @options: options
 * @key: a Spark read option name, case-insensitive: header, inferSchema, sep (or delimiter),
 *   quote, escape, comment, nullValue, multiLine, dateFormat, mode, columnNameOfCorruptRecord,
 *   and, accepted only at their defaults: encoding/charset (UTF-8), ignoreLeadingWhiteSpace,
 *   ignoreTrailingWhiteSpace (false), nanValue (NaN), positiveInf (Inf), negativeInf (-Inf),
 *   samplingRatio (1.0), enforceSchema (true)
 * @value: the value as Spark takes it: true/false; a single character ("\t" and "\\t" for a tab;
 *   "" for quote or comment turns it off); PERMISSIVE / DROPMALFORMED / FAILFAST in any case
 * @error: WEFT_ENGINE_ERROR_BAD_OPTION naming the option
 *
 * Returns: TRUE if the option was set.
 */
gboolean weft_csv_options_set (WeftCsvOptions *options, const char *key, const char *value,
                               GError **error);

/**
 * weft_csv_options_validate:
 * @options: options
 * @error: WEFT_ENGINE_ERROR_BAD_OPTION
 *
 * Checks the combination: sep, quote, escape and comment distinct where set and none of them a
 * line break; sizes positive.
 *
 * Returns: TRUE if the options can be used.
 */
gboolean weft_csv_options_validate (const WeftCsvOptions *options, GError **error);

/**
 * weft_csv_mode_name:
 * @mode: a mode
 *
 * Returns: (transfer none): "PERMISSIVE", "DROPMALFORMED" or "FAILFAST".
 */
const char *weft_csv_mode_name (WeftCsvMode mode);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WeftCsvOptions, weft_csv_options_free)

/**
 * weft_csv_option_parse_bool, weft_csv_option_parse_char:
 * @what: how errors name the option's kind, e.g. "CSV option"
 * A boolean option ("true"/"false", any case), or one character as Spark's CSVOptions.toChar
 * takes it (backslash-t is a tab; with @allow_empty, "" and backslash-u0000 give NUL).
 */
gboolean weft_csv_option_parse_bool (const char *what, const char *key, const char *value,
                                     gboolean *out, GError **error);
gboolean weft_csv_option_parse_char (const char *what, const char *key, const char *value,
                                     gboolean allow_empty, char *out, GError **error);

G_END_DECLS
