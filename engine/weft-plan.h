/* weft-plan: the logical plan. Immutable, refcounted nodes, each with its
 * output schema; constructors resolve their expressions against the child's
 * schema at once (as Spark analyses a DataFrame when it is built: an unknown
 * column fails at filter(), not at count()). The optimizer (weft-optimizer)
 * returns new trees; the executor (weft-exec) runs them. */
#pragma once

#include <glib.h>

#include "weft-batch.h"
#include "weft-csv-options.h"
#include "weft-expr.h"
#include "weft-hash-agg.h"
#include "weft-schema.h"

G_BEGIN_DECLS

typedef enum {
  WEFT_PLAN_CSV_SCAN = 1,
  WEFT_PLAN_ROWS,
  WEFT_PLAN_FILTER,
  WEFT_PLAN_PROJECT,
  WEFT_PLAN_AGGREGATE,
  WEFT_PLAN_SORT,
  WEFT_PLAN_LIMIT,
  WEFT_PLAN_COALESCE,
  WEFT_PLAN_REPARTITION,
} WeftPlanKind;

/* An aggregate as the user asks for it: @input is unresolved (NULL for count(*)). */
typedef struct {
  WeftAggFunc func;
  WeftExpr *input;
  const char *alias;  /* (nullable): else Spark's name, e.g. "sum(salary)" */
} WeftPlanAggSpec;

/* A resolved aggregate inside a plan. */
typedef struct {
  WeftAggFunc func;
  WeftExpr *input;   /* resolved against the child; NULL for count(*) */
  char *name;
} WeftPlanAgg;

typedef struct {
  WeftExpr *expr;        /* resolved once in a plan */
  gboolean descending;
  gboolean nulls_first;
} WeftPlanSortKey;

typedef struct _WeftPlan WeftPlan;

/* Read-only outside weft-plan.c and weft-optimizer.c. */
struct _WeftPlan {
  gint refs;
  WeftPlanKind kind;
  WeftSchema *schema;          /* output */
  WeftPlan *child;
  /* CSV_SCAN */
  GStrv files;
  WeftCsvOptions *csv;
  WeftSchema *file_schema;     /* the files' columns */
  guint *projection;           /* file columns the scan outputs, in order */
  guint n_projection;
  WeftExpr *pushed;            /* (nullable) resolved against file_schema */
  /* ROWS */
  WeftBatch *rows;
  /* ROWS, COALESCE, REPARTITION */
  guint n_partitions;
  /* FILTER */
  WeftExpr *predicate;
  /* PROJECT, AGGREGATE (keys) */
  GPtrArray *exprs;            /* WeftExpr* */
  /* AGGREGATE */
  GPtrArray *aggs;             /* WeftPlanAgg* */
  /* SORT */
  GArray *sort_keys;           /* WeftPlanSortKey */
  /* LIMIT */
  gint64 limit;
};

/** weft_plan_csv_scan: all of @file_schema's columns; @files (transfer none) and @csv copied. */
WeftPlan *weft_plan_csv_scan (const char *const *files, const WeftCsvOptions *csv,
                              WeftSchema *file_schema);
/** weft_plan_rows: an in-memory batch cut into @n_partitions. */
WeftPlan *weft_plan_rows (WeftBatch *rows, guint n_partitions);
WeftPlan *weft_plan_filter (WeftPlan *child, const WeftExpr *condition, GError **error);
WeftPlan *weft_plan_project (WeftPlan *child, WeftExpr *const *exprs, guint n, GError **error);
WeftPlan *weft_plan_aggregate (WeftPlan *child, WeftExpr *const *keys, guint n_keys,
                               const WeftPlanAggSpec *aggs, guint n_aggs, GError **error);
WeftPlan *weft_plan_sort (WeftPlan *child, const WeftPlanSortKey *keys, guint n, GError **error);
WeftPlan *weft_plan_limit (WeftPlan *child, gint64 n);
WeftPlan *weft_plan_coalesce (WeftPlan *child, guint n);
WeftPlan *weft_plan_repartition (WeftPlan *child, guint n);

WeftPlan *weft_plan_ref (WeftPlan *plan);
void weft_plan_unref (WeftPlan *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WeftPlan, weft_plan_unref)

/** weft_plan_copy_node: (transfer full) a shallow copy of @plan's node (the optimizer edits it). */
WeftPlan *weft_plan_copy_node (const WeftPlan *plan);

/** weft_plan_to_string: (transfer full) the tree, one node a line, Spark's explain style. */
char *weft_plan_to_string (const WeftPlan *plan);

const char *weft_agg_func_name (WeftAggFunc func);

G_END_DECLS
