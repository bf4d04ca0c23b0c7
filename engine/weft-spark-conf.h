/* weft-spark-conf: values of Spark's configuration keys, read as Spark reads them, in one place
 * for the session, the cluster backend and weft-executor: sizes (512m, 1.5g; a bare number in
 * the key's own unit, e.g. MiB for spark.executor.memory), durations (120s, 100ms; a bare
 * number is milliseconds) and counts. Errors (WEFT_ENGINE_ERROR_BAD_OPTION) name the key and
 * the value. */
#pragma once

#include "weft-engine-error.h"

G_BEGIN_DECLS

/**
 * weft_spark_conf_size:
 * @bare_unit: the bytes a number without a unit stands for (1, or 1 MiB for memory keys)
 * Reads 512m, 1g, 1.5g, 64k, 2t, 100b (powers of 1024); positive, at most 10^15 bytes.
 */
gboolean weft_spark_conf_size (const char *key, const char *text, gint64 bare_unit, gint64 *out,
                               GError **error);

/** weft_spark_conf_count: a whole number from @min to @max. */
gboolean weft_spark_conf_count (const char *key, const char *text, guint min, guint max,
                                guint *out, GError **error);

/** weft_spark_conf_duration: 120s, 100ms, 2min... (weft_parse_duration's units) or bare ms. */
gboolean weft_spark_conf_duration (const char *key, const char *text, gint64 *out_us,
                                   GError **error);

G_END_DECLS
