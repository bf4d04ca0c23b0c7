/* weft.h: libweft's DataFrame API. A program using it is a driver: it
 * builds lazy DataFrames (each transformation checks its columns and types
 * at once, nothing runs), and an action (count, collect, show, write_csv,
 * explain) optimizes the plan and runs it on the session's executors:
 * threads for local[N]. Errors come back as GErrors (WEFT_ENGINE_ERROR)
 * that say what was wrong. Expressions are built with weft-expr.h
 * (weft_expr_col ("age"), weft_expr_lit_int64 (30), weft_expr_binary ...). */
#pragma once

#include <glib.h>

#include "weft-batch.h"
#include "weft-expr.h"
#include "weft-plan.h"

G_BEGIN_DECLS

typedef struct _WeftSession WeftSession;
typedef struct _WeftDataFrame WeftDataFrame;

/*
 * Sessions are built as SparkSession.builder is: settings from the builder, the program's
 * arguments (--master, --name, --conf KEY=VALUE, --properties-file FILE, as spark-submit takes
 * them), then $WEFT_CONF_DIR/weft-defaults.conf (spark-defaults.conf's format) for keys not
 * set otherwise. Keys read by the engine (others are kept, readable with weft_session_get_conf):
 *   spark.master                       local, local[N], local[*]; else $WEFT_MASTER, else local[*]
 *   spark.app.name                     the application's name
 *   spark.executor.memory              memory shared by an executor's running tasks (default 1g,
 *                                      a bare number is MiB): each task's hash aggregation, sort
 *                                      and join build side spill to disk past its share
 *   spark.executor.cores               cores of one cluster executor (default 1; local: unused)
 *   spark.sql.shuffle.partitions       partitions after a shuffle (default: the slots, not
 *                                      Spark's 200, so small clusters do not run empty tasks)
 *   spark.sql.files.maxPartitionBytes  target CSV split size (default 128m)
 * Bad values are errors naming the key and the value.
 */
typedef struct _WeftSessionBuilder WeftSessionBuilder;
WeftSessionBuilder *weft_session_builder_new (void);
void weft_session_builder_free (WeftSessionBuilder *builder);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WeftSessionBuilder, weft_session_builder_free)
/** weft_session_builder_master, _app_name, _config: Returns: (transfer none) @builder, to chain. */
WeftSessionBuilder *weft_session_builder_master (WeftSessionBuilder *builder, const char *master);
WeftSessionBuilder *weft_session_builder_app_name (WeftSessionBuilder *builder, const char *name);
WeftSessionBuilder *weft_session_builder_config (WeftSessionBuilder *builder, const char *key,
                                                const char *value);
/** weft_session_builder_load_properties: every "key value" (or key=value) line of @path. */
gboolean weft_session_builder_load_properties (WeftSessionBuilder *builder, const char *path,
                                               GError **error);
/**
 * weft_session_builder_parse_args:
 * Takes --master M, --name N, --conf K=V (repeatable), --properties-file F (each also as
 * --opt=value) out of @argv, leaving the program's own arguments in order.
 */
gboolean weft_session_builder_parse_args (WeftSessionBuilder *builder, int *argc, char ***argv,
                                          GError **error);
/** weft_session_builder_get_or_create: Returns: (transfer full) (nullable) a session. */
WeftSession *weft_session_builder_get_or_create (WeftSessionBuilder *builder, GError **error);

/**
 * weft_session_new:
 * @master: (nullable) "local", "local[N]" or "local[*]"; NULL: $WEFT_MASTER, else "local[*]"
 * A builder with just an app name and a master.
 * Returns: (transfer full) (nullable) a session, or NULL with @error (a bad master).
 */
WeftSession *weft_session_new (const char *app_name, const char *master, GError **error);
void weft_session_free (WeftSession *session);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WeftSession, weft_session_free)
/** weft_session_get_parallelism: slots: tasks run at once (the N of local[N]). */
guint weft_session_get_parallelism (WeftSession *session);
/**
 * weft_session_get_application_id:
 * Returns: (transfer none) Spark's applicationId: the cluster's application id (e.g.
 *   application_1795284448846_0004) on a cluster, "local-<ms since the epoch>" in local mode.
 */
const char *weft_session_get_application_id (WeftSession *session);
/** weft_session_get_conf: Returns: (nullable) the value of @key in the session's configuration. */
const char *weft_session_get_conf (WeftSession *session, const char *key);
/** weft_session_get_task_memory: bytes a task's stateful operator holds before it spills. */
gsize weft_session_get_task_memory (WeftSession *session);

/**
 * weft_read_csv:
 * @path: a file, a folder (its visible files) or a glob
 * @options: (nullable) (array zero-terminated=1): Spark's option names and values in pairs,
 *   e.g. { "header", "true", "inferSchema", "true", NULL }; "schema" takes Spark's DDL
 *   ("name STRING, age INT, hired DATE") as DataFrameReader.schema() does: no inference
 */
WeftDataFrame *weft_read_csv (WeftSession *session, const char *path, const char *const *options,
                              GError **error);

/** weft_create_dataframe: rows built in C (@rows transfer full), cut into the session's parallelism. */
WeftDataFrame *weft_create_dataframe (WeftSession *session, WeftBatch *rows);

WeftDataFrame *weft_df_ref (WeftDataFrame *df);
void weft_df_unref (WeftDataFrame *df);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WeftDataFrame, weft_df_unref)
/** weft_df_get_schema: (transfer none) the columns, as resolved. */
WeftSchema *weft_df_get_schema (WeftDataFrame *df);

/* Transformations: lazy; each returns a new DataFrame or NULL with @error. Expressions are
 * borrowed (transfer none). */
WeftDataFrame *weft_df_filter (WeftDataFrame *df, const WeftExpr *condition, GError **error);
WeftDataFrame *weft_df_select (WeftDataFrame *df, WeftExpr *const *exprs, guint n, GError **error);
/** weft_df_select_cols: by column names, NULL-terminated. */
WeftDataFrame *weft_df_select_cols (WeftDataFrame *df, GError **error, const char *first, ...)
  G_GNUC_NULL_TERMINATED;
/** weft_df_with_column: adds @name = @expr, or replaces the column of that name. */
WeftDataFrame *weft_df_with_column (WeftDataFrame *df, const char *name, const WeftExpr *expr,
                                    GError **error);
WeftDataFrame *weft_df_group_by_agg (WeftDataFrame *df, WeftExpr *const *keys, guint n_keys,
                                     const WeftPlanAggSpec *aggs, guint n_aggs, GError **error);
/** weft_df_group_by_count: groupBy(keys).count(): the keys and a "count" column. */
WeftDataFrame *weft_df_group_by_count (WeftDataFrame *df, WeftExpr *const *keys, guint n_keys,
                                       GError **error);
WeftDataFrame *weft_df_order_by (WeftDataFrame *df, const WeftPlanSortKey *keys, guint n,
                                 GError **error);
WeftDataFrame *weft_df_limit (WeftDataFrame *df, gint64 n);
WeftDataFrame *weft_df_coalesce (WeftDataFrame *df, guint n);
WeftDataFrame *weft_df_repartition (WeftDataFrame *df, guint n);
/**
 * weft_df_repartition_by:
 * @keys: (array length=n_keys): expressions over @df
 * Spark's repartition(n, cols): @n partitions, each row in the one its keys' hash picks, so the
 * rows of one key (null included) are in one partition. No keys: weft_df_repartition().
 * Returns: (transfer full) (nullable) the DataFrame, or NULL with @error (n = 0, a bad key).
 */
WeftDataFrame *weft_df_repartition_by (WeftDataFrame *df, guint n, WeftExpr *const *keys,
                                       guint n_keys, GError **error);
/**
 * weft_df_drop: the DataFrame without the named columns (NULL-terminated; every column of a
 * name, case-insensitively; a name that is not there is ignored, as in Spark).
 */
WeftDataFrame *weft_df_drop (WeftDataFrame *df, GError **error, const char *first, ...)
  G_GNUC_NULL_TERMINATED;
/** weft_df_distinct: the distinct rows (nulls equal each other, as in Spark). */
WeftDataFrame *weft_df_distinct (WeftDataFrame *df);
/** weft_df_drop_duplicates: dropDuplicates() over all columns: weft_df_distinct(). */
WeftDataFrame *weft_df_drop_duplicates (WeftDataFrame *df);
/**
 * weft_df_union:
 * Spark's union (unionAll): the rows of both, by column position (names from @df); the same
 * number of columns, of the same types or int64 with double (widened to double).
 */
WeftDataFrame *weft_df_union (WeftDataFrame *df, WeftDataFrame *other, GError **error);
/**
 * weft_df_join:
 * @on_columns: (array zero-terminated=1): key columns present on both sides
 * Spark's df.join(other, on=[names], how): equal keys match (null keys never do); the output
 * has each key once (from the left, from the right for a right join, the non-null one for a
 * full join), then the left's other columns, then the right's (none for semi and anti).
 */
WeftDataFrame *weft_df_join (WeftDataFrame *df, WeftDataFrame *other,
                             const char *const *on_columns, WeftJoinType how, GError **error);
/**
 * weft_df_join_on:
 * @left_keys: (array length=n): expressions over @df
 * @right_keys: (array length=n): expressions over @other, matched pairwise (int64 with double
 *   compares as doubles)
 * An equi-join on left_keys[i] = right_keys[i] for every i: the output has every left column
 * then every right column (semi and anti: the left's only).
 */
WeftDataFrame *weft_df_join_on (WeftDataFrame *df, WeftDataFrame *other,
                                WeftExpr *const *left_keys, WeftExpr *const *right_keys, guint n,
                                WeftJoinType how, GError **error);

/* Actions: run the plan. */
/** weft_df_count: Returns: the rows, or -1 with @error. */
gint64 weft_df_count (WeftDataFrame *df, GError **error);
/** weft_df_collect: Returns: (transfer full) every row, in one batch, in partition order. */
WeftBatch *weft_df_collect (WeftDataFrame *df, GError **error);
/** weft_df_take: Returns: (transfer full) the first @n rows (fewer if there are not as many),
 *  in partition order, reading only what it needs. */
WeftBatch *weft_df_take (WeftDataFrame *df, gint64 n, GError **error);
/** weft_df_show_string: Returns: (transfer full) Spark's show(n, truncate) table. */
char *weft_df_show_string (WeftDataFrame *df, int n, int truncate, GError **error);
/** weft_df_show: prints weft_df_show_string() to stdout. */
gboolean weft_df_show (WeftDataFrame *df, int n, int truncate, GError **error);
/**
 * weft_df_write_csv:
 * @mode: "error" (default), "overwrite", "append" or "ignore"
 * @options: (nullable) Spark's writer options in pairs ("header", "true", ...)
 * One part-NNNNN-<uuid>.csv per partition and _SUCCESS, committed by rename:
 * a failed job leaves no partial output.
 */
gboolean weft_df_write_csv (WeftDataFrame *df, const char *path, const char *mode,
                            const char *const *options, GError **error);
/**
 * weft_df_explain:
 * Returns: (transfer full) "== Optimized Logical Plan ==" and "== Physical Plan ==" (what the
 *   executor runs: exchanges, partial and final aggregates, stages), preceded by
 *   "== Analyzed Logical Plan ==" if @extended.
 */
char *weft_df_explain (WeftDataFrame *df, gboolean extended, GError **error);

G_END_DECLS
