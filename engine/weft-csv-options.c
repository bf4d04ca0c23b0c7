/* weft-csv-options: CSV read options (see weft-csv-options.h). */

#include "weft-csv-options.h"

#include "weft-batch.h"
#include "weft-engine-error.h"

#include <string.h>

WeftCsvOptions *
weft_csv_options_new (void)
{
  WeftCsvOptions *options = g_new0 (WeftCsvOptions, 1);
  gboolean ok;

  options->sep = ',';
  options->quote = '"';
  options->escape = '\\';
  options->null_value = g_strdup ("");
  options->date_format = g_strdup (WEFT_DATE_FORMAT_DEFAULT);
  ok = weft_date_format_init (&options->date_parser, options->date_format, NULL);
  g_assert (ok);
  options->mode = WEFT_CSV_MODE_PERMISSIVE;
  options->corrupt_record_column = g_strdup ("_corrupt_record");
  options->batch_rows = WEFT_BATCH_DEFAULT_ROWS;
  options->split_bytes = WEFT_CSV_DEFAULT_SPLIT_BYTES;
  options->read_bytes = 4 * 1024 * 1024;
  options->max_record_bytes = 256 * 1024 * 1024;
  options->parser = WEFT_CSV_PARSER_AUTO;
  return options;
}

WeftCsvOptions *
weft_csv_options_copy (const WeftCsvOptions *options)
{
  WeftCsvOptions *copy = g_memdup2 (options, sizeof *options);

  copy->null_value = g_strdup (options->null_value);
  copy->date_format = g_strdup (options->date_format);
  copy->corrupt_record_column = g_strdup (options->corrupt_record_column);
  return copy;
}

void
weft_csv_options_free (WeftCsvOptions *options)
{
  if (options == NULL)
    return;
  g_free (options->null_value);
  g_free (options->date_format);
  g_free (options->corrupt_record_column);
  g_free (options);
}

gboolean
weft_csv_option_parse_bool (const char *what, const char *key, const char *value, gboolean *out,
                            GError **error)
{
  if (g_ascii_strcasecmp (value, "true") == 0)
    *out = TRUE;
  else if (g_ascii_strcasecmp (value, "false") == 0)
    *out = FALSE;
  else
    {
      g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION,
                   "%s %s: \"%s\" is not true or false", what, key, value);
      return FALSE;
    }
  return TRUE;
}

gboolean
weft_csv_option_parse_char (const char *what, const char *key, const char *value,
                            gboolean allow_empty, char *out, GError **error)
{
  if (value[0] == '\0' && allow_empty)
    *out = '\0';
  else if (strlen (value) == 1)
    *out = value[0];
  else if (strcmp (value, "\\t") == 0)
    *out = '\t';
  else if (strcmp (value, "\\u0000") == 0 && allow_empty)
    *out = '\0';
  else
    {
      g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION,
                   "%s %s: \"%s\" must be a single character", what, key, value);
      return FALSE;
    }
  return TRUE;
}

/* Options Weft accepts only at Spark's default value. */
static const struct
{
  const char *key;
  const char *const values[3];
} fixed_options[] = {
  { "encoding", { "UTF-8", "UTF8", NULL } },
  { "charset", { "UTF-8", "UTF8", NULL } },
  { "ignoreLeadingWhiteSpace", { "false", NULL } },
  { "ignoreTrailingWhiteSpace", { "false", NULL } },
  { "nanValue", { "NaN", NULL } },
  { "positiveInf", { "Inf", NULL } },
  { "negativeInf", { "-Inf", NULL } },
  { "samplingRatio", { "1.0", "1", NULL } },
  { "enforceSchema", { "true", NULL } },
};

gboolean
weft_csv_options_set (WeftCsvOptions *options, const char *key, const char *value,
                      GError **error)
{
  g_return_val_if_fail (options != NULL && key != NULL && value != NULL, FALSE);

#define IS(name) (g_ascii_strcasecmp (key, name) == 0)
  if (IS ("header"))
    return weft_csv_option_parse_bool ("CSV option", key, value, &options->header, error);
  if (IS ("inferSchema"))
    return weft_csv_option_parse_bool ("CSV option", key, value, &options->infer_schema, error);
  if (IS ("multiLine"))
    return weft_csv_option_parse_bool ("CSV option", key, value, &options->multi_line, error);
  if (IS ("sep") || IS ("delimiter"))
    return weft_csv_option_parse_char ("CSV option", key, value, FALSE, &options->sep, error);
  if (IS ("quote"))
    return weft_csv_option_parse_char ("CSV option", key, value, TRUE, &options->quote, error);
  if (IS ("escape"))
    return weft_csv_option_parse_char ("CSV option", key, value, TRUE, &options->escape, error);
  if (IS ("comment"))
    return weft_csv_option_parse_char ("CSV option", key, value, TRUE, &options->comment, error);
  if (IS ("nullValue"))
    {
      g_free (options->null_value);
      options->null_value = g_strdup (value);
      return TRUE;
    }
  if (IS ("columnNameOfCorruptRecord"))
    {
      g_free (options->corrupt_record_column);
      options->corrupt_record_column = g_strdup (value);
      return TRUE;
    }
  if (IS ("dateFormat"))
    {
      WeftDateFormat parsed;

      if (!weft_date_format_init (&parsed, value, error))
        return FALSE;
      options->date_parser = parsed;
      g_free (options->date_format);
      options->date_format = g_strdup (value);
      return TRUE;
    }
  if (IS ("mode"))
    {
      if (g_ascii_strcasecmp (value, "PERMISSIVE") == 0)
        options->mode = WEFT_CSV_MODE_PERMISSIVE;
      else if (g_ascii_strcasecmp (value, "DROPMALFORMED") == 0)
        options->mode = WEFT_CSV_MODE_DROPMALFORMED;
      else if (g_ascii_strcasecmp (value, "FAILFAST") == 0)
        options->mode = WEFT_CSV_MODE_FAILFAST;
      else
        {
          g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION,
                       "CSV option mode: \"%s\" is not PERMISSIVE, DROPMALFORMED or FAILFAST",
                       value);
          return FALSE;
        }
      return TRUE;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (fixed_options); i++)
    if (IS (fixed_options[i].key))
      {
        for (gsize j = 0; fixed_options[i].values[j] != NULL; j++)
          if (g_ascii_strcasecmp (value, fixed_options[i].values[j]) == 0)
            return TRUE;
        g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION,
                     "CSV option %s: only \"%s\" is supported, not \"%s\"", fixed_options[i].key,
                     fixed_options[i].values[0], value);
        return FALSE;
      }
#undef IS
  g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION,
               "unknown CSV option \"%s\"", key);
  return FALSE;
}

gboolean
weft_csv_options_validate (const WeftCsvOptions *options, GError **error)
{
  const struct
  {
    const char *name;
    char c;
  } chars[] = {
    { "sep", options->sep },
    { "quote", options->quote },
    { "escape", options->escape },
    { "comment", options->comment },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (chars); i++)
    {
      if (chars[i].c == '\n' || chars[i].c == '\r' || (i == 0 && chars[i].c == '\0'))
        {
          g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION,
                       "CSV option %s cannot be a line break or NUL", chars[i].name);
          return FALSE;
        }
      for (gsize j = 0; j < i; j++)
        /* escape == quote is RFC 4180's doubled quote, which is allowed. */
        if (chars[i].c != '\0' && chars[i].c == chars[j].c && !(i == 2 && j == 1))
          {
            g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION,
                         "CSV options %s and %s are both '%c'", chars[j].name, chars[i].name,
                         chars[i].c);
            return FALSE;
          }
    }
  if (options->batch_rows < 1 || options->batch_rows > G_MAXINT32 || options->split_bytes < 1
      || options->read_bytes < 1 || options->max_record_bytes < 1
      || options->max_record_bytes > G_MAXINT32)
    {
      g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION,
                   "CSV batch, split, read and record sizes must be positive (records and batches "
                   "below 2 GiB / 2^31 rows)");
      return FALSE;
    }
  return TRUE;
}

const char *
weft_csv_mode_name (WeftCsvMode mode)
{
  switch (mode)
    {
    case WEFT_CSV_MODE_PERMISSIVE:
      return "PERMISSIVE";
    case WEFT_CSV_MODE_DROPMALFORMED:
      return "DROPMALFORMED";
    case WEFT_CSV_MODE_FAILFAST:
      return "FAILFAST";
    }
  return "invalid";
}
