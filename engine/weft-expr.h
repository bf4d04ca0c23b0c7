/* weft-expr: the engine's scalar expressions. A WeftExpr is an immutable, reference-counted tree:
 * build it with the constructors below (each takes over the references of the child expressions
 * it is given), resolve it against a schema (column indices, result types and implicit casts by
 * Spark SQL's rules; type errors are WEFT_ENGINE_ERROR_BAD_SCHEMA with a message for the user),
 * optionally fold constants, and evaluate it a batch at a time (weft-expr-eval.h). A built tree
 * may be read, shared and evaluated by any number of threads at once. */

#pragma once

#include "weft-schema.h"

G_BEGIN_DECLS

typedef struct _WeftExpr WeftExpr;

/* Node kinds. Values equal ExprKind in thrift/engine.thrift: every operator and function is a
 * CALL whose function name is weft_expr_op_name(). */
typedef enum
{
  WEFT_EXPR_COLUMN = 1,
  WEFT_EXPR_LITERAL = 2,
  WEFT_EXPR_CALL = 3,
  WEFT_EXPR_CAST = 4,
  WEFT_EXPR_ALIAS = 5,
} WeftExprKind;

/* The operator of a CALL node. NONE marks a call to a function name that is not known (an error
 * at resolution). */
typedef enum
{
  WEFT_EXPR_OP_NONE = 0,
  /* arithmetic: int64 op int64 is int64 (wrapping on overflow), anything with double is double;
   * DIV is always double; DIV and MOD by zero give null */
  WEFT_EXPR_OP_ADD,
  WEFT_EXPR_OP_SUB,
  WEFT_EXPR_OP_MUL,
  WEFT_EXPR_OP_DIV,
  WEFT_EXPR_OP_MOD,
  WEFT_EXPR_OP_NEG,
  /* comparisons: bool result, null if either side is null; doubles order NaN above everything and
   * equal to itself, strings compare bytewise */
  WEFT_EXPR_OP_EQ,
  WEFT_EXPR_OP_NE,
  WEFT_EXPR_OP_LT,
  WEFT_EXPR_OP_LE,
  WEFT_EXPR_OP_GT,
  WEFT_EXPR_OP_GE,
  /* logic, three-valued */
  WEFT_EXPR_OP_AND,
  WEFT_EXPR_OP_OR,
  WEFT_EXPR_OP_NOT,
  WEFT_EXPR_OP_IS_NULL,
  WEFT_EXPR_OP_IS_NOT_NULL,
  WEFT_EXPR_OP_IN,   /* children: the value, then the list (literals) */
  WEFT_EXPR_OP_LIKE, /* children: the string, then the pattern (a string literal) */
  /* functions */
  WEFT_EXPR_OP_UPPER,
  WEFT_EXPR_OP_LOWER,
  WEFT_EXPR_OP_LENGTH,   /* characters (UTF-8 code points) */
  WEFT_EXPR_OP_SUBSTR,   /* (str, pos [, len]), 1-based, Spark's rules for 0 and negative pos */
  WEFT_EXPR_OP_YEAR,
  WEFT_EXPR_OP_MONTH,
  WEFT_EXPR_OP_COALESCE, /* one or more arguments */
  WEFT_EXPR_OP_ABS,
  WEFT_EXPR_OP_ROUND,    /* (x [, scale literal]), HALF_UP */
  WEFT_EXPR_OP_CONCAT,   /* one or more arguments, null if any is null */
  WEFT_EXPR_N_OPS
} WeftExprOp;

/**
 * weft_expr_op_name:
 * @op: an operator
 *
 * Returns: (transfer none): its function name, as carried by ExprNode.func on the wire and
 *   accepted by weft_expr_call(): "add", "subtract", "multiply", "divide", "mod", "negative",
 *   "eq", "ne", "lt", "le", "gt", "ge", "and", "or", "not", "isnull", "isnotnull", "in", "like",
 *   "upper", "lower", "length", "substring", "year", "month", "coalesce", "abs", "round", "concat"
 *   (NULL for NONE).
 */
const char *weft_expr_op_name (WeftExprOp op);

/**
 * weft_expr_op_from_name:
 * @name: a function name, case-insensitive: weft_expr_op_name()'s names plus the symbols "+",
 *   "-", "*", "/", "%", "=", "==", "!=", "<>", "<", "<=", ">", ">=" and "substr", "len",
 *   "char_length", "ucase", "lcase", "isnotnull"...
 *
 * Returns: the operator, or WEFT_EXPR_OP_NONE.
 */
WeftExprOp weft_expr_op_from_name (const char *name);

/* ---- Construction. Every WeftExpr * argument is (transfer full): the new node owns it. ---- */

/**
 * weft_expr_col:
 * @name: a column name (copied), resolved case-insensitively by default
 *
 * Returns: (transfer full): a column reference.
 */
WeftExpr *weft_expr_col (const char *name);

/* Literals; each returns (transfer full). A NULL literal takes its type from where it is used
 * (a string where nothing says otherwise). */
WeftExpr *weft_expr_lit_int64 (gint64 value);
WeftExpr *weft_expr_lit_double (double value);
WeftExpr *weft_expr_lit_string (const char *value);
WeftExpr *weft_expr_lit_string_len (const char *bytes, gsize len);
WeftExpr *weft_expr_lit_bool (gboolean value);
WeftExpr *weft_expr_lit_date (gint32 days);
WeftExpr *weft_expr_lit_null (void);

/**
 * weft_expr_new_op:
 * @op: an operator other than NONE
 * @args: (array length=n_args) (transfer full): its arguments (the array itself is not taken)
 * @n_args: how many; checked when the tree is resolved
 *
 * Returns: (transfer full): a call node.
 */
WeftExpr *weft_expr_new_op (WeftExprOp op, WeftExpr **args, guint n_args);

/* weft_expr_new_op() for one and two arguments. */
WeftExpr *weft_expr_unary (WeftExprOp op, WeftExpr *a);
WeftExpr *weft_expr_binary (WeftExprOp op, WeftExpr *a, WeftExpr *b);

/**
 * weft_expr_call_v:
 * @func: a function name (weft_expr_op_from_name()); an unknown name is an error at resolution
 * @args: (array length=n_args) (transfer full): the arguments
 * @n_args: how many
 *
 * Returns: (transfer full): a call node.
 */
WeftExpr *weft_expr_call_v (const char *func, WeftExpr **args, guint n_args);

/**
 * weft_expr_call:
 * @func: a function name
 * @...: (transfer full): the arguments, then NULL
 *
 * Returns: (transfer full): a call node.
 */
WeftExpr *weft_expr_call (const char *func, ...) G_GNUC_NULL_TERMINATED;

/**
 * weft_expr_in:
 * @e: (transfer full): the value
 * @values: (array length=n_values) (transfer full): literals to look for
 * @n_values: how many (0 gives false, or null when @e is null)
 *
 * Returns: (transfer full): `e IN (values)`: true if @e equals one of them; null if not and @e or
 *   one of them is null.
 */
WeftExpr *weft_expr_in (WeftExpr *e, WeftExpr **values, guint n_values);

/**
 * weft_expr_between:
 * @e: (transfer full): the value
 * @low: (transfer full): lower bound, inclusive
 * @high: (transfer full): upper bound, inclusive
 *
 * Returns: (transfer full): `((e >= low) AND (e <= high))`, which is what Spark builds.
 */
WeftExpr *weft_expr_between (WeftExpr *e, WeftExpr *low, WeftExpr *high);

/**
 * weft_expr_like:
 * @e: (transfer full): a string expression
 * @pattern: SQL LIKE pattern (copied): % any run of characters, _ one character, \ escapes
 *   %, _ or itself (anything else after \ is an error at resolution, as in Spark)
 *
 * Returns: (transfer full): `e LIKE pattern`.
 */
WeftExpr *weft_expr_like (WeftExpr *e, const char *pattern);

/**
 * weft_expr_cast:
 * @e: (transfer full): an expression
 * @type: the target type
 *
 * Returns: (transfer full): `CAST(e AS type)`. Values that do not convert (unparseable text) give
 *   null; casts Spark rejects (e.g. bigint to date) are errors at resolution.
 */
WeftExpr *weft_expr_cast (WeftExpr *e, WeftDataType type);

/**
 * weft_expr_alias:
 * @e: (transfer full): an expression
 * @name: the output name (copied)
 *
 * Returns: (transfer full): @e named @name.
 */
WeftExpr *weft_expr_alias (WeftExpr *e, const char *name);

/**
 * weft_expr_ref:
 * @e: an expression
 *
 * Returns: (transfer full): @e with one more reference. Thread-safe.
 */
WeftExpr *weft_expr_ref (WeftExpr *e);

/**
 * weft_expr_unref:
 * @e: (transfer full) (nullable): an expression
 */
void weft_expr_unref (WeftExpr *e);

/* ---- Inspection (for the planner and the wire converters). ---- */

WeftExprKind weft_expr_get_kind (const WeftExpr *e);
/* The operator of a CALL (NONE for other kinds and unknown functions). */
WeftExprOp weft_expr_get_op (const WeftExpr *e);
guint weft_expr_get_n_children (const WeftExpr *e);
/* (transfer none) child @i < weft_expr_get_n_children(). */
WeftExpr *weft_expr_get_child (const WeftExpr *e, guint i);
/* (transfer none) COLUMN: the name (the schema's spelling once resolved); ALIAS: the alias; CALL
 * to an unknown function: the name as written; NULL otherwise. */
const char *weft_expr_get_name (const WeftExpr *e);
/* COLUMN: the field index once resolved, else -1. */
int weft_expr_get_column (const WeftExpr *e);
/* CAST: TRUE if resolution inserted it (it prints as its child, as in Spark). */
gboolean weft_expr_is_implicit_cast (const WeftExpr *e);
/* LITERAL: TRUE for a null. */
gboolean weft_expr_literal_is_null (const WeftExpr *e);
/* LITERAL values of the literal's type (weft_expr_get_type()); zero / "" for a null. */
gint64 weft_expr_literal_int64 (const WeftExpr *e);
double weft_expr_literal_double (const WeftExpr *e);
gboolean weft_expr_literal_bool (const WeftExpr *e);
gint32 weft_expr_literal_date (const WeftExpr *e);
/* (transfer none) bytes, not NUL-terminated; @out_len receives their length. */
const char *weft_expr_literal_string (const WeftExpr *e, gsize *out_len);

/**
 * weft_expr_get_type:
 * @e: an expression
 *
 * Returns: the result type: a CAST's target and a literal's type always; every node's once
 *   resolved; 0 for a NULL literal whose type is not fixed yet and for unresolved nodes.
 */
WeftDataType weft_expr_get_type (const WeftExpr *e);

/**
 * weft_expr_get_nullable:
 * @e: a resolved expression
 *
 * Returns: FALSE if @e can never evaluate to null (from the schema's nullability and the
 *   operators), TRUE otherwise.
 */
gboolean weft_expr_get_nullable (const WeftExpr *e);

/**
 * weft_expr_is_resolved:
 * @e: an expression
 *
 * Returns: TRUE if @e came out of weft_expr_resolve() (or is built of literals alone).
 */
gboolean weft_expr_is_resolved (const WeftExpr *e);

/* ---- Analysis and rewriting. ---- */

typedef enum
{
  WEFT_EXPR_RESOLVE_DEFAULT = 0,
  WEFT_EXPR_RESOLVE_CASE_SENSITIVE = 1 << 0, /* spark.sql.caseSensitive=true */
} WeftExprResolveFlags;

/**
 * weft_expr_resolve:
 * @e: an expression (resolved or not; a resolved one is resolved again by column name)
 * @schema: the input schema
 * @error: WEFT_ENGINE_ERROR_BAD_SCHEMA naming the unknown or ambiguous column (with the columns
 *   available), the function, or the types that do not fit
 *
 * Resolves column names case-insensitively (Spark's default).
 *
 * Returns: (transfer full) (nullable): a resolved tree: column indices, types and nullability at
 *   every node, implicit casts where Spark inserts them (int64 with double, string with date in
 *   comparisons, IN lists, coalesce, concat of non-strings).
 */
WeftExpr *weft_expr_resolve (const WeftExpr *e, const WeftSchema *schema, GError **error);

/**
 * weft_expr_resolve_full:
 * @e: an expression
 * @schema: the input schema
 * @flags: resolution options
 * @error: as weft_expr_resolve()
 *
 * Returns: (transfer full) (nullable): as weft_expr_resolve().
 */
WeftExpr *weft_expr_resolve_full (const WeftExpr *e, const WeftSchema *schema,
                                  WeftExprResolveFlags flags, GError **error);

/**
 * weft_expr_fold:
 * @e: a resolved expression
 *
 * Constant folding: evaluates every subtree without column references (1 + 2 → 3,
 * x > 1 + 1 → x > 2, casts of literals), simplifies logic (true AND p → p, false AND p → false,
 * true OR p → true, false OR p → p, NOT NOT p → p), drops null literals from coalesce, and
 * turns IS [NOT] NULL of a non-nullable expression into a literal. The result evaluates exactly
 * like @e. Folding can change weft_expr_name() of a node that is not an alias (Spark names
 * projections before optimizing; do the same).
 *
 * Returns: (transfer full): the folded tree (@e itself, with a new reference, if nothing changed).
 */
WeftExpr *weft_expr_fold (const WeftExpr *e);

/**
 * weft_expr_columns:
 * @e: a resolved expression
 * @indices: a GArray of guint; each column index @e reads is appended unless already present
 *
 * For column pruning: call it on every expression of a plan node to collect what they read.
 */
void weft_expr_columns (const WeftExpr *e, GArray *indices);

/**
 * weft_expr_remap:
 * @e: a resolved expression
 * @old_to_new: (array): for each old column index, its new index (-1 for a column that is gone;
 *   @e must not read such a column)
 *
 * Returns: (transfer full): @e reading the renumbered columns (after pruning).
 */
WeftExpr *weft_expr_remap (const WeftExpr *e, const int *old_to_new);

/**
 * weft_expr_equal:
 * @a: an expression
 * @b: an expression
 *
 * Returns: TRUE if the trees are the same (kinds, operators, names, column indices, types,
 *   literal values — NaN equals NaN), e.g. to match a projection with a grouping key.
 */
gboolean weft_expr_equal (const WeftExpr *a, const WeftExpr *b);

/**
 * weft_expr_hash:
 * @e: an expression
 *
 * Returns: a hash consistent with weft_expr_equal().
 */
guint weft_expr_hash (const WeftExpr *e);

/**
 * weft_expr_is_constant:
 * @e: an expression
 *
 * Returns: TRUE if @e reads no column (so it folds to a literal).
 */
gboolean weft_expr_is_constant (const WeftExpr *e);

/**
 * weft_expr_split_conjuncts:
 * @e: a boolean expression
 * @out: a GPtrArray with a free function of weft_expr_unref
 *
 * Appends the operands of a chain of ANDs (@e itself when it is not an AND), each with a new
 * reference: for combining filters and pushing them down one by one.
 */
void weft_expr_split_conjuncts (const WeftExpr *e, GPtrArray *out);

/* ---- Printing. ---- */

/**
 * weft_expr_name:
 * @e: an expression
 *
 * Returns: (transfer full): the output column name Spark gives @e: `(age > 30)`, `upper(name)`,
 *   `(salary * 1.1)`, `CAST(age AS STRING)`, `name LIKE A%`, an alias's name.
 */
char *weft_expr_name (const WeftExpr *e);

/**
 * weft_expr_to_string:
 * @e: an expression
 *
 * Returns: (transfer full): @e for explain(): like weft_expr_name() but with resolved columns as
 *   name#index, string literals quoted, implicit casts shown and aliases as `e AS name`.
 */
char *weft_expr_to_string (const WeftExpr *e);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WeftExpr, weft_expr_unref)

G_END_DECLS
