/* weft-csv-private: what engine/ code, its tests and benchmarks may see of weft-csv.c beyond
 * weft-csv.h. Schema inference has passes that must give identical types: the type-only scanner
 * (the default, in two builds on x86-64) and the reference pass through the scan's tokenizer
 * (what a typed scan parses); tests compare them and benchmarks time them. */

#pragma once

#include "weft-csv.h"

G_BEGIN_DECLS

typedef enum
{
  /* Quote-free records typed straight from the read buffer, 64 bytes of separators at a time,
   * columns already known to be strings skipped; other records go through the tokenizer. */
  WEFT_CSV_INFER_SCANNER,
  /* Every record tokenized into field positions, as a scan does, then typed. */
  WEFT_CSV_INFER_TOKENIZER,
  /* The scanner as compiled for any CPU of the target (on x86-64 the default pass uses a copy
   * built for BMI1/BMI2 when the CPU has them): so tests cover both builds. */
  WEFT_CSV_INFER_SCANNER_BASELINE,
} WeftCsvInferPass;

/**
 * weft_csv_infer_split_with:
 * @pass: which pass types the records
 *
 * weft_csv_infer_split() with the pass chosen (that function uses WEFT_CSV_INFER_SCANNER, or
 * WEFT_CSV_INFER_TOKENIZER when options->parser is WEFT_CSV_PARSER_LIBCSV). Same contract.
 */
gboolean weft_csv_infer_split_with (const WeftCsvSplit *split, const WeftCsvOptions *options,
                                    guint n_cols, WeftCsvInferPass pass, WeftDataType *types,
                                    GError **error);

G_END_DECLS
