/* weft-expr-private: what weft-expr.c, weft-expr-eval.c and weft-expr-func.c share — the node
 * layout, the compiled LIKE pattern and the kernels that live in weft-expr-func.c. Nothing outside
 * these three files includes it, except weft-task-rpc.c for the wire constructors (expr_wire_*),
 * which rebuild resolved trees sent by a driver. */

#pragma once

#include "weft-column.h"
#include "weft-expr.h"

G_BEGIN_DECLS

/* A compiled LIKE pattern. Patterns of the common shapes run without the general matcher. */
typedef enum
{
  LIKE_EXACT,    /* no wildcard: equality */
  LIKE_PREFIX,   /* abc% */
  LIKE_SUFFIX,   /* %abc */
  LIKE_CONTAINS, /* %abc% */
  LIKE_ANY,      /* % alone (matches everything) */
  LIKE_GENERAL,
} LikeKind;

typedef struct
{
  LikeKind kind;
  char *text;    /* EXACT / PREFIX / SUFFIX / CONTAINS: the literal bytes, unescaped */
  gsize text_len;
  /* GENERAL: the pattern as ops: 0 = literal byte, 1 = '_', 2 = '%' */
  guint8 *ops;
  char *bytes;
  gsize n_ops;
} LikePattern;

struct _WeftExpr
{
  gatomicrefcount ref_count;
  WeftExprKind kind;
  WeftExprOp op;         /* CALL */
  WeftDataType type;     /* result type, 0 while unknown (and for an untyped NULL literal) */
  gboolean nullable;
  gboolean resolved;
  gboolean implicit;     /* CAST inserted by resolution */
  guint n_children;
  WeftExpr **children;   /* (owned) */
  char *name;            /* COLUMN, ALIAS, CALL to an unknown function */
  int column;            /* COLUMN: index once resolved, else -1 */
  WeftColumn *value;     /* LITERAL: a one-row column holding the value (NULL for untyped null) */
  LikePattern *like;     /* LIKE, once resolved */
};

/* weft-expr.c */
WeftExpr *expr_new (WeftExprKind kind);
WeftExpr *expr_new_literal (WeftColumn *value);
WeftColumn *expr_column_from_value (WeftDataType type);
void expr_format_double (double d, GString *out);

/* weft-expr.c: resolved nodes rebuilt from the wire (weft-task-rpc.c), bottom-up, each checked
 * as resolution would build it, so that a tree the evaluator gets is one weft_expr_resolve() (and
 * weft_expr_fold()) could have made. Every WeftExpr argument is (transfer full), also on failure;
 * failures are WEFT_ENGINE_ERROR_MALFORMED. @nullable is taken as given (resolution derives it,
 * folding may keep an older, looser value; evaluation never reads it). */

/* A resolved reference to column @index of the input, of @type (the caller checks both against
 * the input schema). */
WeftExpr *expr_wire_column (guint index, const char *name, WeftDataType type, gboolean nullable);
/* A null literal of @type (a valid type). */
WeftExpr *expr_wire_null (WeftDataType type);
/* A call of @op (not NONE) on resolved, typed @args: the argument count must fit @op and every
 * argument must already have the type resolution coerces it to (no implicit cast would be
 * added); IN takes literals after its first argument, LIKE a string literal pattern. */
WeftExpr *expr_wire_call (WeftExprOp op, WeftExpr **args, guint n_args, gboolean nullable,
                          GError **error);
/* CAST of a resolved, typed @child to @type, a cast resolution allows; @implicit marks the casts
 * resolution inserts. */
WeftExpr *expr_wire_cast (WeftExpr *child, WeftDataType type, gboolean implicit,
                          gboolean nullable, GError **error);
/* @child (resolved, typed) named @name. */
WeftExpr *expr_wire_alias (WeftExpr *child, const char *name, gboolean nullable, GError **error);

/* weft-expr-func.c: LIKE */
LikePattern *like_compile (const char *pattern, gsize len, GError **error);
void like_free (LikePattern *pattern);
gboolean like_match (const LikePattern *pattern, const char *s, gsize len);

/* weft-expr-func.c: kernels over @n rows of resolved children's values. Inputs flagged scalar
 * have one row that stands for every row. Each returns a new column of @n rows of @e's type. */
typedef struct
{
  WeftColumn *col; /* (owned) */
  gboolean scalar;
} ExprVec;

WeftColumn *func_cast (const WeftExpr *e, const ExprVec *in, gsize n);
WeftColumn *func_like (const WeftExpr *e, const ExprVec *in, gsize n);
WeftColumn *func_in (const WeftExpr *e, const ExprVec *in, gsize n);
WeftColumn *func_string (const WeftExpr *e, const ExprVec *args, gsize n);
WeftColumn *func_date_part (const WeftExpr *e, const ExprVec *in, gsize n);
WeftColumn *func_coalesce (const WeftExpr *e, const ExprVec *args, gsize n);
WeftColumn *func_round (const WeftExpr *e, const ExprVec *args, gsize n);

/* weft-expr-eval.c: evaluates a resolved tree without column references to a one-row column
 * (transfer full). */
WeftColumn *expr_eval_scalar (const WeftExpr *e);

/* weft-expr-eval.c: column helpers the kernels share. */
WeftColumn *vec_fixed_new (WeftDataType type, gsize n);
void vec_adopt_validity (WeftColumn *col, guint8 *bits);
guint8 *vec_validity_and (const ExprVec *args, guint n_args, gsize n);
guint8 *vec_bits_new (gsize n, gboolean set);
WeftColumn *vec_all_null (WeftDataType type, gsize n);

static inline gboolean
vec_valid (const ExprVec *v, gsize i)
{
  return weft_column_is_valid (v->col, v->scalar ? 0 : i);
}

static inline void
bits_clear (guint8 *bits, gsize i)
{
  bits[i >> 3] &= (guint8) ~(1u << (i & 7));
}

static inline gboolean
bits_get (const guint8 *bits, gsize i)
{
  return (bits[i >> 3] >> (i & 7)) & 1;
}

G_END_DECLS
