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
#include "weft-hash-join.h"
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
  WEFT_PLAN_JOIN,
  WEFT_PLAN_UNION,
  WEFT_PLAN_STUB,     /* a placeholder for rows that come from a shuffle: only its schema is
                       * known. A plan fragment sent to an executor has a stub under every
                       * exchange it reads rather than the plan that computed the exchange. */
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

/* Where a join's output column comes from. */
typedef enum {
  WEFT_PLAN_JOIN_OUT_LEFT,   /* column index of the left input */
  WEFT_PLAN_JOIN_OUT_RIGHT,  /* column index of the right input */
  WEFT_PLAN_JOIN_OUT_KEY,    /* key index, merged as a USING join does: the left key for inner,
                              * left, semi and anti joins, the right key for right joins,
                              * coalesce(left, right) for full joins */
} WeftPlanJoinOutKind;

typedef struct {
  WeftPlanJoinOutKind from;
  guint index;
} WeftPlanJoinOut;

typedef struct _WeftPlan WeftPlan;

/* Read-only outside weft-plan.c, weft-optimizer.c and weft-task-rpc.c (which fills the nodes it
 * rebuilds from the wire, made by weft_plan_new_node()). */
struct _WeftPlan {
  gint refs;
  WeftPlanKind kind;
  WeftSchema *schema;          /* output */
  WeftPlan *child;            /* JOIN, UNION: the left input */
  WeftPlan *right;            /* JOIN, UNION: the right input */
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
  /* PROJECT, AGGREGATE (keys), JOIN (left keys), REPARTITION (hash keys; NULL: round robin) */
  GPtrArray *exprs;            /* WeftExpr* */
  /* JOIN: keys are compared pairwise; a pair of int64 and double compares as doubles. */
  WeftJoinType join_type;
  GPtrArray *right_exprs;      /* WeftExpr*: the right keys, resolved against the right input */
  GArray *join_out;            /* WeftPlanJoinOut per output column */
  gboolean using_keys;         /* the keys were given as column names (explain says so) */
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
/** weft_plan_stub: (transfer full) a WEFT_PLAN_STUB of @schema (a reference is taken). */
WeftPlan *weft_plan_stub (WeftSchema *schema);
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
/**
 * weft_plan_repartition_by:
 * @keys: (array length=n_keys): expressions over @child (unresolved; resolved here)
 * Spark's repartition(n, cols): each row goes to partition weft_hash_partition() of its keys'
 * hash (weft-hash.h), so equal keys (nulls included) share a partition. No keys: round robin.
 */
WeftPlan *weft_plan_repartition_by (WeftPlan *child, guint n, WeftExpr *const *keys, guint n_keys,
                                    GError **error);

/**
 * weft_plan_join:
 * @left_keys: (array length=n_keys): expressions over @left (unresolved; resolved here)
 * @right_keys: (array length=n_keys): expressions over @right, of the same types pairwise
 *   (int64 with double is allowed: they compare as doubles)
 * Output: the left columns then the right ones (semi and anti: the left only).
 */
WeftPlan *weft_plan_join (WeftPlan *left, WeftPlan *right, WeftExpr *const *left_keys,
                          WeftExpr *const *right_keys, guint n_keys, WeftJoinType type,
                          GError **error);
/**
 * weft_plan_join_using:
 * @columns: (array length=n): names present on both sides
 * Spark's join(other, on=[names]): output is each key once (see WEFT_PLAN_JOIN_OUT_KEY), then
 * the other left columns, then the other right ones (none for semi and anti).
 */
WeftPlan *weft_plan_join_using (WeftPlan *left, WeftPlan *right, const char *const *columns,
                                guint n, WeftJoinType type, GError **error);
/**
 * weft_plan_union:
 * Spark's union: by position; the same number of columns, each pair of the same type or of
 * int64 and double (widened to double). Names come from @left.
 */
WeftPlan *weft_plan_union (WeftPlan *left, WeftPlan *right, GError **error);
/** weft_plan_select_indices: a projection of @child's columns by index (names kept, even duplicated ones). */
WeftPlan *weft_plan_select_indices (WeftPlan *child, const guint *indices, guint n);
/** weft_plan_distinct: an aggregation keyed on every column, with no aggregate. */
WeftPlan *weft_plan_distinct (WeftPlan *child);
/**
 * weft_plan_column_ref:
 * Returns: (transfer full) a resolved reference to column @index of @schema, made without
 *   looking the name up (so it works for duplicated names).
 */
WeftExpr *weft_plan_column_ref (const WeftSchema *schema, guint index);

/**
 * weft_plan_new_node:
 * For weft-task-rpc, which rebuilds the plan a driver sent: a node of @kind with output @schema,
 * input @child and, for JOIN and UNION, @right (references are taken on all three; the inputs
 * may be NULL), every other field empty. The caller fills its kind's fields before anyone else
 * sees the node, then checks it with weft_plan_check_node(): nothing is resolved here.
 * Returns: (transfer full) the node.
 */
WeftPlan *weft_plan_new_node (WeftPlanKind kind, WeftSchema *schema, WeftPlan *child,
                              WeftPlan *right);
/**
 * weft_plan_add_agg:
 * Appends a resolved aggregate to the aggregates of @plan, a node of weft_plan_new_node() not yet
 * shared (creating the list on first use): @input (transfer full) is NULL for count(*) only,
 * @name is copied.
 */
void weft_plan_add_agg (WeftPlan *plan, WeftAggFunc func, WeftExpr *input, const char *name);
/**
 * weft_plan_check_node:
 * Checks that a node rebuilt from the wire is one the constructors and the optimizer make: the
 * inputs its kind has, the fields of its kind set, and its output schema's types (names and
 * nullability are not checked: they are the sender's) what its inputs and expressions give:
 * e.g. a filter's predicate is boolean and its output its input's types, a projection's types
 * are its expressions', an aggregate's are its keys' then each aggregate's result, a join's come
 * from the columns and keys its join_out names, and these lie in range. Its expressions must be
 * resolved against its inputs (as weft-task-rpc rebuilds them): only their result types are
 * looked at here.
 * Returns: TRUE, or FALSE with WEFT_ENGINE_ERROR_MALFORMED saying what does not fit.
 */
gboolean weft_plan_check_node (const WeftPlan *plan, GError **error);

WeftPlan *weft_plan_ref (WeftPlan *plan);
void weft_plan_unref (WeftPlan *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WeftPlan, weft_plan_unref)

/** weft_plan_copy_node: (transfer full) a shallow copy of @plan's node (the optimizer edits it). */
WeftPlan *weft_plan_copy_node (const WeftPlan *plan);

/** weft_plan_to_string: (transfer full) the tree, one node a line, Spark's explain style. */
char *weft_plan_to_string (const WeftPlan *plan);

const char *weft_agg_func_name (WeftAggFunc func);
/** weft_join_type_name: Spark's name in explain: "Inner", "LeftOuter", ..., "LeftAnti". */
const char *weft_join_type_name (WeftJoinType type);

G_END_DECLS
