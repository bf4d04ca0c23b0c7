/* weft-expr-eval: vectorized evaluation (see weft-expr-eval.h).
 *
 * Every node evaluates to an ExprVec: a column of the batch's row count, or a one-row "scalar"
 * that stands for every row (literals, and any node whose inputs are all scalars — so constant
 * subtrees cost one row per batch even when the tree was not folded). Kernels have one loop per
 * operator and type, with separate loops for column/column, column/scalar and scalar/column, so
 * the compiler can vectorise them; validity bitmaps are combined a byte at a time.
 *
 * Result columns are built in place: values through weft_column_extend(), and the validity
 * bitmap adopted whole by vec_adopt_validity(), which keeps weft-column.h's invariants (the
 * bitmap covers the column's capacity, null_count counts the clear bits, a null row's value is
 * zero, no bitmap when nothing is null). Doing it bit by bit through weft_column_set_null() would
 * cost a call per null row. */

#include "weft-expr-eval.h"

#include "weft-engine-error.h"
#include "weft-expr-private.h"

#include <math.h>
#include <string.h>

/* ---- Column helpers ----------------------------------------------------------------------- */

static gsize
bitmap_bytes (gsize n)
{
  return (n + 7) / 8 + 1; /* weft-column.c's size for a capacity of n */
}

WeftColumn *
vec_fixed_new (WeftDataType type, gsize n)
{
  WeftColumn *col = weft_column_new (type, n);

  weft_column_extend (col, n);
  return col;
}

guint8 *
vec_bits_new (gsize n, gboolean set)
{
  guint8 *bits = g_malloc (bitmap_bytes (n));

  memset (bits, set ? 0xff : 0, bitmap_bytes (n));
  return bits;
}

static gsize
count_nulls (const guint8 *bits, gsize n)
{
  gsize valid = 0, full = n / 8;

  for (gsize i = 0; i < full; i++)
    valid += (gsize) __builtin_popcount (bits[i]);
  if (n % 8 != 0)
    valid += (gsize) __builtin_popcount (bits[full] & ((1u << (n % 8)) - 1));
  return n - valid;
}

void
vec_adopt_validity (WeftColumn *col, guint8 *bits)
{
  gsize n = col->length, width;

  if (bits == NULL)
    return;
  g_assert (col->validity == NULL && col->capacity == n && col->type != WEFT_DATA_TYPE_STRING);
  col->null_count = count_nulls (bits, n);
  if (col->null_count == 0)
    {
      g_free (bits);
      return;
    }
  col->validity = bits;
  width = col->type == WEFT_DATA_TYPE_INT64 || col->type == WEFT_DATA_TYPE_DOUBLE ? 8
          : col->type == WEFT_DATA_TYPE_DATE                                   ? 4
                                                                                : 1;
  for (gsize byte = 0; byte * 8 < n; byte++)
    {
      if (bits[byte] == 0xff)
        continue;
      for (gsize i = byte * 8; i < byte * 8 + 8 && i < n; i++)
        if (!bits_get (bits, i))
          memset ((char *) col->values.raw + i * width, 0, width);
    }
}

guint8 *
vec_validity_and (const ExprVec *args, guint n_args, gsize n)
{
  guint8 *bits = NULL;

  for (guint k = 0; k < n_args; k++)
    {
      const WeftColumn *c = args[k].col;

      if (args[k].scalar || c->validity == NULL || c->null_count == 0)
        continue;
      if (bits == NULL)
        {
          bits = g_malloc (bitmap_bytes (n));
          memcpy (bits, c->validity, (n + 7) / 8);
          bits[bitmap_bytes (n) - 1] = 0;
        }
      else
        for (gsize i = 0; i < (n + 7) / 8; i++)
          bits[i] &= c->validity[i];
    }
  return bits;
}

WeftColumn *
vec_all_null (WeftDataType type, gsize n)
{
  WeftColumn *col;

  if (type == WEFT_DATA_TYPE_STRING)
    {
      col = weft_column_new (type, n);
      for (gsize i = 0; i < n; i++)
        weft_column_append_null (col);
      return col;
    }
  col = vec_fixed_new (type, n);
  memset (col->values.raw, 0, n * (type == WEFT_DATA_TYPE_BOOL ? 1 : type == WEFT_DATA_TYPE_DATE ? 4 : 8));
  vec_adopt_validity (col, vec_bits_new (n, FALSE));
  return col;
}

/* A column of @n copies of the one-row @scalar. */
static WeftColumn *
broadcast (const WeftColumn *scalar, gsize n)
{
  WeftColumn *col;

  if (scalar->null_count > 0)
    return vec_all_null (scalar->type, n);
  switch (scalar->type)
    {
    case WEFT_DATA_TYPE_STRING:
      {
        gsize len;
        const char *s = weft_column_get_string (scalar, 0, &len);

        col = weft_column_new (WEFT_DATA_TYPE_STRING, n);
        weft_column_reserve_data (col, len * n);
        for (gsize i = 0; i < n; i++)
          weft_column_append_string (col, s, len);
        return col;
      }
    case WEFT_DATA_TYPE_INT64:
      col = vec_fixed_new (scalar->type, n);
      for (gsize i = 0; i < n; i++)
        col->values.i64[i] = scalar->values.i64[0];
      return col;
    case WEFT_DATA_TYPE_DOUBLE:
      col = vec_fixed_new (scalar->type, n);
      for (gsize i = 0; i < n; i++)
        col->values.f64[i] = scalar->values.f64[0];
      return col;
    case WEFT_DATA_TYPE_DATE:
      col = vec_fixed_new (scalar->type, n);
      for (gsize i = 0; i < n; i++)
        col->values.date[i] = scalar->values.date[0];
      return col;
    case WEFT_DATA_TYPE_BOOL:
      col = vec_fixed_new (scalar->type, n);
      memset (col->values.b, scalar->values.b[0], n);
      return col;
    }
  g_return_val_if_reached (NULL);
}

static gboolean
vec_is_null_scalar (const ExprVec *v)
{
  return v->scalar && v->col->null_count > 0;
}

/* ---- Loops -------------------------------------------------------------------------------- */

/* OUT[i] = EXPR over a = A[i] or A[0], b = B[i] or B[0], one loop per shape. */
#define BINARY_LOOP(OUT, A, B, SA, SB, N, EXPR)                                                    \
  do                                                                                               \
    {                                                                                              \
      if (SA)                                                                                      \
        {                                                                                          \
          const __typeof__ (*(A)) a = (A)[0];                                                      \
          for (gsize i = 0; i < (N); i++)                                                          \
            {                                                                                      \
              const __typeof__ (*(B)) b = (B)[i];                                                  \
              (OUT)[i] = (EXPR);                                                                   \
            }                                                                                      \
        }                                                                                          \
      else if (SB)                                                                                 \
        {                                                                                          \
          const __typeof__ (*(B)) b = (B)[0];                                                      \
          for (gsize i = 0; i < (N); i++)                                                          \
            {                                                                                      \
              const __typeof__ (*(A)) a = (A)[i];                                                  \
              (OUT)[i] = (EXPR);                                                                   \
            }                                                                                      \
        }                                                                                          \
      else                                                                                         \
        for (gsize i = 0; i < (N); i++)                                                            \
          {                                                                                        \
            const __typeof__ (*(A)) a = (A)[i];                                                    \
            const __typeof__ (*(B)) b = (B)[i];                                                    \
            (OUT)[i] = (EXPR);                                                                     \
          }                                                                                        \
    }                                                                                              \
  while (0)

/* Spark orders doubles with NaN above everything and equal to itself; -0.0 equals 0.0. */
static inline int
dbl_lt (double a, double b)
{
  return (a < b) | ((b != b) & (a == a));
}

static inline int
dbl_eq (double a, double b)
{
  return (a == b) | ((a != a) & (b != b));
}

#define OP_EQ(a, b) ((a) == (b))
#define OP_NE(a, b) ((a) != (b))
#define OP_LT(a, b) ((a) < (b))
#define OP_LE(a, b) ((a) <= (b))
#define OP_GT(a, b) ((a) > (b))
#define OP_GE(a, b) ((a) >= (b))
#define DOP_EQ(a, b) dbl_eq (a, b)
#define DOP_NE(a, b) (!dbl_eq (a, b))
#define DOP_LT(a, b) dbl_lt (a, b)
#define DOP_LE(a, b) (!dbl_lt (b, a))
#define DOP_GT(a, b) dbl_lt (b, a)
#define DOP_GE(a, b) (!dbl_lt (a, b))

/* ---- Arithmetic --------------------------------------------------------------------------- */

static inline gint64
wrap_add (gint64 a, gint64 b)
{
  return (gint64) ((guint64) a + (guint64) b);
}

static inline gint64
wrap_sub (gint64 a, gint64 b)
{
  return (gint64) ((guint64) a - (guint64) b);
}

static inline gint64
wrap_mul (gint64 a, gint64 b)
{
  return (gint64) ((guint64) a * (guint64) b);
}

/* Java's remainder: the sign of the dividend; MIN % -1 is 0 (C would trap). Zero divisors give
 * null, marked by the caller. */
static inline gint64
java_rem (gint64 a, gint64 b)
{
  return (b == 0 || b == -1) ? 0 : a % b;
}

static inline double
safe_div (double a, double b)
{
  return b == 0 ? 0 : a / b;
}

static inline double
safe_fmod (double a, double b)
{
  return b == 0 ? 0 : fmod (a, b);
}

static WeftColumn *
eval_arith (const WeftExpr *e, const ExprVec *args, gsize n)
{
  WeftColumn *out = vec_fixed_new (e->type, n);
  guint8 *bits = vec_validity_and (args, e->n_children, n);
  const ExprVec *A = &args[0], *B = &args[e->n_children > 1 ? 1 : 0];
  gboolean sa = A->scalar, sb = B->scalar;

  if (e->type == WEFT_DATA_TYPE_INT64)
    {
      const gint64 *a_ = A->col->values.i64, *b_ = B->col->values.i64;
      gint64 *o = out->values.i64;

      switch (e->op)
        {
        case WEFT_EXPR_OP_ADD:
          BINARY_LOOP (o, a_, b_, sa, sb, n, wrap_add (a, b));
          break;
        case WEFT_EXPR_OP_SUB:
          BINARY_LOOP (o, a_, b_, sa, sb, n, wrap_sub (a, b));
          break;
        case WEFT_EXPR_OP_MUL:
          BINARY_LOOP (o, a_, b_, sa, sb, n, wrap_mul (a, b));
          break;
        case WEFT_EXPR_OP_MOD:
          BINARY_LOOP (o, a_, b_, sa, sb, n, java_rem (a, b));
          break;
        case WEFT_EXPR_OP_NEG:
          for (gsize i = 0; i < n; i++)
            o[i] = wrap_sub (0, a_[i]);
          break;
        case WEFT_EXPR_OP_ABS:
          for (gsize i = 0; i < n; i++)
            o[i] = a_[i] < 0 ? wrap_sub (0, a_[i]) : a_[i];
          break;
        default:
          g_assert_not_reached ();
        }
    }
  else
    {
      const double *a_ = A->col->values.f64, *b_ = B->col->values.f64;
      double *o = out->values.f64;

      switch (e->op)
        {
        case WEFT_EXPR_OP_ADD:
          BINARY_LOOP (o, a_, b_, sa, sb, n, a + b);
          break;
        case WEFT_EXPR_OP_SUB:
          BINARY_LOOP (o, a_, b_, sa, sb, n, a - b);
          break;
        case WEFT_EXPR_OP_MUL:
          BINARY_LOOP (o, a_, b_, sa, sb, n, a * b);
          break;
        case WEFT_EXPR_OP_DIV:
          BINARY_LOOP (o, a_, b_, sa, sb, n, safe_div (a, b));
          break;
        case WEFT_EXPR_OP_MOD:
          BINARY_LOOP (o, a_, b_, sa, sb, n, safe_fmod (a, b));
          break;
        case WEFT_EXPR_OP_NEG:
          for (gsize i = 0; i < n; i++)
            o[i] = -a_[i];
          break;
        case WEFT_EXPR_OP_ABS:
          for (gsize i = 0; i < n; i++)
            o[i] = fabs (a_[i]);
          break;
        default:
          g_assert_not_reached ();
        }
    }

  /* Division by zero is null (Spark, non-ANSI). */
  if (e->op == WEFT_EXPR_OP_DIV || e->op == WEFT_EXPR_OP_MOD)
    {
      gboolean dbl = B->col->type == WEFT_DATA_TYPE_DOUBLE;
      gsize m = sb ? 1 : n;

      for (gsize j = 0; j < m; j++)
        {
          gboolean zero = dbl ? B->col->values.f64[j] == 0 : B->col->values.i64[j] == 0;

          if (!zero)
            continue;
          if (sb)
            {
              g_free (bits);
              weft_column_unref (out);
              return vec_all_null (e->type, n);
            }
          if (bits == NULL)
            bits = vec_bits_new (n, TRUE);
          bits_clear (bits, j);
        }
    }
  vec_adopt_validity (out, bits);
  return out;
}

/* ---- Comparisons -------------------------------------------------------------------------- */

static inline int
str_cmp (const char *a, gsize la, const char *b, gsize lb)
{
  /* memcmp wants real pointers even for 0 bytes, and an all-empty column has no data. */
  int c = MIN (la, lb) == 0 ? 0 : memcmp (a, b, MIN (la, lb));

  if (c != 0)
    return c;
  return la < lb ? -1 : la > lb;
}

#define CMP_SWITCH(OP, O, A, B, SA, SB, N, P)                                                      \
  switch (OP)                                                                                      \
    {                                                                                              \
    case WEFT_EXPR_OP_EQ:                                                                          \
      BINARY_LOOP (O, A, B, SA, SB, N, P##OP_EQ (a, b));                                           \
      break;                                                                                       \
    case WEFT_EXPR_OP_NE:                                                                          \
      BINARY_LOOP (O, A, B, SA, SB, N, P##OP_NE (a, b));                                           \
      break;                                                                                       \
    case WEFT_EXPR_OP_LT:                                                                          \
      BINARY_LOOP (O, A, B, SA, SB, N, P##OP_LT (a, b));                                           \
      break;                                                                                       \
    case WEFT_EXPR_OP_LE:                                                                          \
      BINARY_LOOP (O, A, B, SA, SB, N, P##OP_LE (a, b));                                           \
      break;                                                                                       \
    case WEFT_EXPR_OP_GT:                                                                          \
      BINARY_LOOP (O, A, B, SA, SB, N, P##OP_GT (a, b));                                           \
      break;                                                                                       \
    case WEFT_EXPR_OP_GE:                                                                          \
      BINARY_LOOP (O, A, B, SA, SB, N, P##OP_GE (a, b));                                           \
      break;                                                                                       \
    default:                                                                                       \
      g_assert_not_reached ();                                                                     \
    }

static gboolean
cmp_result (WeftExprOp op, int c)
{
  switch (op)
    {
    case WEFT_EXPR_OP_EQ:
      return c == 0;
    case WEFT_EXPR_OP_NE:
      return c != 0;
    case WEFT_EXPR_OP_LT:
      return c < 0;
    case WEFT_EXPR_OP_LE:
      return c <= 0;
    case WEFT_EXPR_OP_GT:
      return c > 0;
    case WEFT_EXPR_OP_GE:
      return c >= 0;
    default:
      g_return_val_if_reached (FALSE);
    }
}

static WeftColumn *
eval_compare (const WeftExpr *e, const ExprVec *args, gsize n)
{
  WeftColumn *out = vec_fixed_new (WEFT_DATA_TYPE_BOOL, n);
  const WeftColumn *ca = args[0].col, *cb = args[1].col;
  gboolean sa = args[0].scalar, sb = args[1].scalar;
  guint8 *o = out->values.b;

  switch (ca->type)
    {
    case WEFT_DATA_TYPE_INT64:
      CMP_SWITCH (e->op, o, ca->values.i64, cb->values.i64, sa, sb, n, );
      break;
    case WEFT_DATA_TYPE_DOUBLE:
      CMP_SWITCH (e->op, o, ca->values.f64, cb->values.f64, sa, sb, n, D);
      break;
    case WEFT_DATA_TYPE_DATE:
      CMP_SWITCH (e->op, o, ca->values.date, cb->values.date, sa, sb, n, );
      break;
    case WEFT_DATA_TYPE_BOOL:
      CMP_SWITCH (e->op, o, ca->values.b, cb->values.b, sa, sb, n, );
      break;
    case WEFT_DATA_TYPE_STRING:
      {
        gboolean eq = e->op == WEFT_EXPR_OP_EQ || e->op == WEFT_EXPR_OP_NE;
        guint8 want = e->op == WEFT_EXPR_OP_EQ;

        for (gsize i = 0; i < n; i++)
          {
            gsize la, lb;
            const char *a = weft_column_get_string (ca, sa ? 0 : i, &la);
            const char *b = weft_column_get_string (cb, sb ? 0 : i, &lb);

            if (eq)
              o[i] = (la == lb && (la == 0 || memcmp (a, b, la) == 0)) == want;
            else
              o[i] = cmp_result (e->op, str_cmp (a, la, b, lb));
          }
      }
      break;
    }
  vec_adopt_validity (out, vec_validity_and (args, 2, n));
  return out;
}

/* ---- Logic -------------------------------------------------------------------------------- */

static WeftColumn *
eval_logic (const WeftExpr *e, const ExprVec *args, gsize n)
{
  WeftColumn *out = vec_fixed_new (WEFT_DATA_TYPE_BOOL, n);
  guint8 *o = out->values.b;
  const WeftColumn *ca = args[0].col;

  switch (e->op)
    {
    case WEFT_EXPR_OP_NOT:
      for (gsize i = 0; i < n; i++)
        o[i] = ca->values.b[i] ^ 1;
      vec_adopt_validity (out, vec_validity_and (args, 1, n));
      return out;

    case WEFT_EXPR_OP_IS_NULL:
    case WEFT_EXPR_OP_IS_NOT_NULL:
      {
        guint8 want_valid = e->op == WEFT_EXPR_OP_IS_NOT_NULL;

        if (ca->validity == NULL || ca->null_count == 0)
          memset (o, want_valid, n);
        else
          for (gsize i = 0; i < n; i++)
            o[i] = bits_get (ca->validity, args[0].scalar ? 0 : i) == want_valid;
        return out;
      }

    case WEFT_EXPR_OP_AND:
    case WEFT_EXPR_OP_OR:
      {
        const WeftColumn *cb = args[1].col;
        gsize ma = args[0].scalar ? 0 : ~(gsize) 0, mb = args[1].scalar ? 0 : ~(gsize) 0;
        gboolean is_and = e->op == WEFT_EXPR_OP_AND;
        gboolean no_nulls = ca->null_count == 0 && cb->null_count == 0;
        guint8 *bits;

        if (no_nulls)
          {
            if (is_and)
              for (gsize i = 0; i < n; i++)
                o[i] = ca->values.b[i & ma] & cb->values.b[i & mb];
            else
              for (gsize i = 0; i < n; i++)
                o[i] = ca->values.b[i & ma] | cb->values.b[i & mb];
            return out;
          }
        /* Three-valued: a known false decides AND, a known true decides OR. A null's value slot
         * is 0, so x & y and x | y are already right wherever the result is known. */
        bits = vec_bits_new (n, FALSE);
        for (gsize i = 0; i < n; i++)
          {
            guint8 av = weft_column_is_valid (ca, i & ma), bv = weft_column_is_valid (cb, i & mb);
            guint8 x = ca->values.b[i & ma], y = cb->values.b[i & mb];
            guint8 valid;

            if (is_and)
              {
                valid = (av & bv) | (av & !x) | (bv & !y);
                o[i] = x & y;
              }
            else
              {
                valid = (av & bv) | (av & x) | (bv & y);
                o[i] = x | y;
              }
            bits[i >> 3] |= (guint8) (valid << (i & 7));
          }
        vec_adopt_validity (out, bits);
        return out;
      }
    default:
      g_assert_not_reached ();
    }
}

/* ---- Tree walk ---------------------------------------------------------------------------- */

static gboolean
null_propagating (const WeftExpr *e)
{
  if (e->kind == WEFT_EXPR_CAST)
    return TRUE;
  switch (e->op)
    {
    case WEFT_EXPR_OP_AND:
    case WEFT_EXPR_OP_OR:
    case WEFT_EXPR_OP_IS_NULL:
    case WEFT_EXPR_OP_IS_NOT_NULL:
    case WEFT_EXPR_OP_IN:
    case WEFT_EXPR_OP_COALESCE:
      return FALSE;
    default:
      return TRUE;
    }
}

static void
vecs_clear (ExprVec *v, guint n)
{
  for (guint i = 0; i < n; i++)
    g_clear_pointer (&v[i].col, weft_column_unref);
}

/* Evaluates @e over @n_rows rows of @batch (NULL for a constant tree). */
static gboolean
eval_vec (const WeftExpr *e, const WeftBatch *batch, gsize n_rows, ExprVec *out, GError **error)
{
  ExprVec stack_args[4], *args;
  gboolean all_scalar = TRUE;
  gsize n;
  WeftColumn *col = NULL;

  switch (e->kind)
    {
    case WEFT_EXPR_COLUMN:
      {
        const WeftColumn *c;

        if (batch == NULL || e->column < 0 || (guint) e->column >= batch->n_columns)
          {
            g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_SCHEMA,
                         "expression reads column %d (%s) but the batch has %u columns",
                         e->column, e->name, batch != NULL ? batch->n_columns : 0);
            return FALSE;
          }
        c = batch->columns[e->column];
        if (c->type != e->type || c->length != n_rows)
          {
            g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_SCHEMA,
                         "expression reads column %d (%s) as %s but the batch holds %s", e->column,
                         e->name, weft_data_type_name (e->type), weft_data_type_name (c->type));
            return FALSE;
          }
        out->col = weft_column_ref ((WeftColumn *) c);
        out->scalar = FALSE;
        return TRUE;
      }
    case WEFT_EXPR_LITERAL:
      g_return_val_if_fail (e->value != NULL, FALSE);
      out->col = weft_column_ref (e->value);
      out->scalar = TRUE;
      return TRUE;
    case WEFT_EXPR_ALIAS:
      return eval_vec (e->children[0], batch, n_rows, out, error);
    case WEFT_EXPR_CAST:
    case WEFT_EXPR_CALL:
      break;
    }

  args = e->n_children <= G_N_ELEMENTS (stack_args) ? stack_args : g_new (ExprVec, e->n_children);
  for (guint i = 0; i < e->n_children; i++)
    {
      if (!eval_vec (e->children[i], batch, n_rows, &args[i], error))
        {
          vecs_clear (args, i);
          if (args != stack_args)
            g_free (args);
          return FALSE;
        }
      all_scalar &= args[i].scalar;
    }
  n = all_scalar ? 1 : n_rows;

  if (null_propagating (e))
    for (guint i = 0; i < e->n_children; i++)
      if (vec_is_null_scalar (&args[i]))
        {
          col = vec_all_null (e->type, n);
          goto done;
        }

  if (e->kind == WEFT_EXPR_CAST)
    {
      col = e->type == args[0].col->type ? weft_column_ref (args[0].col) : func_cast (e, args, n);
      goto done;
    }
  switch (e->op)
    {
    case WEFT_EXPR_OP_ADD:
    case WEFT_EXPR_OP_SUB:
    case WEFT_EXPR_OP_MUL:
    case WEFT_EXPR_OP_DIV:
    case WEFT_EXPR_OP_MOD:
    case WEFT_EXPR_OP_NEG:
    case WEFT_EXPR_OP_ABS:
      col = eval_arith (e, args, n);
      break;
    case WEFT_EXPR_OP_EQ:
    case WEFT_EXPR_OP_NE:
    case WEFT_EXPR_OP_LT:
    case WEFT_EXPR_OP_LE:
    case WEFT_EXPR_OP_GT:
    case WEFT_EXPR_OP_GE:
      col = eval_compare (e, args, n);
      break;
    case WEFT_EXPR_OP_AND:
    case WEFT_EXPR_OP_OR:
    case WEFT_EXPR_OP_NOT:
    case WEFT_EXPR_OP_IS_NULL:
    case WEFT_EXPR_OP_IS_NOT_NULL:
      col = eval_logic (e, args, n);
      break;
    case WEFT_EXPR_OP_IN:
      col = func_in (e, args, n);
      break;
    case WEFT_EXPR_OP_LIKE:
      col = func_like (e, args, n);
      break;
    case WEFT_EXPR_OP_UPPER:
    case WEFT_EXPR_OP_LOWER:
    case WEFT_EXPR_OP_LENGTH:
    case WEFT_EXPR_OP_SUBSTR:
    case WEFT_EXPR_OP_CONCAT:
      col = func_string (e, args, n);
      break;
    case WEFT_EXPR_OP_YEAR:
    case WEFT_EXPR_OP_MONTH:
      col = func_date_part (e, args, n);
      break;
    case WEFT_EXPR_OP_COALESCE:
      col = func_coalesce (e, args, n);
      break;
    case WEFT_EXPR_OP_ROUND:
      col = func_round (e, args, n);
      break;
    case WEFT_EXPR_OP_NONE:
    case WEFT_EXPR_N_OPS:
      g_assert_not_reached ();
    }

done:
  vecs_clear (args, e->n_children);
  if (args != stack_args)
    g_free (args);
  out->col = col;
  out->scalar = all_scalar;
  return TRUE;
}

WeftColumn *
expr_eval_scalar (const WeftExpr *e)
{
  ExprVec v;
  gboolean ok = eval_vec (e, NULL, 1, &v, NULL);

  g_assert (ok && v.col->length == 1);
  return v.col;
}

WeftColumn *
weft_expr_eval (const WeftExpr *e, const WeftBatch *batch, GError **error)
{
  ExprVec v;
  WeftColumn *col;

  g_return_val_if_fail (e != NULL && batch != NULL, NULL);
  g_return_val_if_fail (e->resolved, NULL);
  if (!eval_vec (e, batch, batch->n_rows, &v, error))
    return NULL;
  if (!v.scalar)
    return v.col;
  col = broadcast (v.col, batch->n_rows);
  weft_column_unref (v.col);
  return col;
}

/* ---- Filters ------------------------------------------------------------------------------ */

/* Row selection kernels: rows (all @n, or the @n of @in) where COND (v[row], c) holds and the row
 * is valid, written to @out (which may be @in: it is written behind the read position). */
#define SEL_LOOP(COND)                                                                             \
  do                                                                                               \
    {                                                                                              \
      if (in == NULL && valid == NULL)                                                             \
        for (gsize i = 0; i < n; i++)                                                              \
          {                                                                                        \
            out[k] = (guint32) i;                                                                  \
            k += COND (v[i], c);                                                                   \
          }                                                                                        \
      else if (in == NULL)                                                                         \
        for (gsize i = 0; i < n; i++)                                                              \
          {                                                                                        \
            out[k] = (guint32) i;                                                                  \
            k += COND (v[i], c) & bits_get (valid, i);                                             \
          }                                                                                        \
      else if (valid == NULL)                                                                      \
        for (gsize j = 0; j < n; j++)                                                              \
          {                                                                                        \
            guint32 r = in[j];                                                                     \
            out[k] = r;                                                                            \
            k += COND (v[r], c);                                                                   \
          }                                                                                        \
      else                                                                                         \
        for (gsize j = 0; j < n; j++)                                                              \
          {                                                                                        \
            guint32 r = in[j];                                                                     \
            out[k] = r;                                                                            \
            k += COND (v[r], c) & bits_get (valid, r);                                             \
          }                                                                                        \
    }                                                                                              \
  while (0)

#define DEFINE_SEL_CMP(NAME, T, P)                                                                 \
  static gsize NAME (WeftExprOp op, const T *v, const guint8 *valid, T c, const guint32 *in,       \
                     gsize n, guint32 *out)                                                        \
  {                                                                                                \
    gsize k = 0;                                                                                   \
    switch (op)                                                                                    \
      {                                                                                            \
      case WEFT_EXPR_OP_EQ:                                                                        \
        SEL_LOOP (P##OP_EQ);                                                                       \
        break;                                                                                     \
      case WEFT_EXPR_OP_NE:                                                                        \
        SEL_LOOP (P##OP_NE);                                                                       \
        break;                                                                                     \
      case WEFT_EXPR_OP_LT:                                                                        \
        SEL_LOOP (P##OP_LT);                                                                       \
        break;                                                                                     \
      case WEFT_EXPR_OP_LE:                                                                        \
        SEL_LOOP (P##OP_LE);                                                                       \
        break;                                                                                     \
      case WEFT_EXPR_OP_GT:                                                                        \
        SEL_LOOP (P##OP_GT);                                                                       \
        break;                                                                                     \
      case WEFT_EXPR_OP_GE:                                                                        \
        SEL_LOOP (P##OP_GE);                                                                       \
        break;                                                                                     \
      default:                                                                                     \
        g_assert_not_reached ();                                                                   \
      }                                                                                            \
    return k;                                                                                      \
  }

DEFINE_SEL_CMP (sel_cmp_i64, gint64, )
DEFINE_SEL_CMP (sel_cmp_f64, double, D)
DEFINE_SEL_CMP (sel_cmp_i32, gint32, )
DEFINE_SEL_CMP (sel_cmp_u8, guint8, )

static gsize
sel_cmp_str (WeftExprOp op, const WeftColumn *col, const guint8 *valid, const char *c, gsize cl,
             const guint32 *in, gsize n, guint32 *out)
{
  const guint64 *off = col->offsets;
  const char *data = col->data;
  gsize k = 0;

  if (op == WEFT_EXPR_OP_EQ || op == WEFT_EXPR_OP_NE)
    {
      /* Lengths first: most rows differ there and never touch the bytes. */
      guint8 want = op == WEFT_EXPR_OP_EQ;

      for (gsize j = 0; j < n; j++)
        {
          gsize r = in != NULL ? in[j] : j;
          gsize len = (gsize) (off[r + 1] - off[r]);
          guint8 eq = len == cl && (cl == 0 || memcmp (data + off[r], c, cl) == 0);

          out[k] = (guint32) r;
          k += (eq == want) & (valid == NULL || bits_get (valid, r));
        }
      return k;
    }
  for (gsize j = 0; j < n; j++)
    {
      gsize r = in != NULL ? in[j] : j;
      gsize len = (gsize) (off[r + 1] - off[r]);

      out[k] = (guint32) r;
      k += cmp_result (op, str_cmp (data + off[r], len, c, cl))
           & (valid == NULL || bits_get (valid, r));
    }
  return k;
}

static WeftExprOp
flip (WeftExprOp op)
{
  switch (op)
    {
    case WEFT_EXPR_OP_LT:
      return WEFT_EXPR_OP_GT;
    case WEFT_EXPR_OP_LE:
      return WEFT_EXPR_OP_GE;
    case WEFT_EXPR_OP_GT:
      return WEFT_EXPR_OP_LT;
    case WEFT_EXPR_OP_GE:
      return WEFT_EXPR_OP_LE;
    default:
      return op;
    }
}

static gboolean
is_comparison (const WeftExpr *e)
{
  return e->kind == WEFT_EXPR_CALL && e->op >= WEFT_EXPR_OP_EQ && e->op <= WEFT_EXPR_OP_GE;
}

/* Keeps in *sel (NULL: every row so far) the rows where @vals — a bool column — is true. */
static void
refine_bytes (WeftSelection **sel, const WeftColumn *vals, gsize n_rows)
{
  const guint8 *valid = vals->null_count > 0 ? vals->validity : NULL;
  WeftSelection *s = *sel;
  gsize k = 0;

  if (s == NULL)
    {
      *sel = weft_selection_new_from_bytes (vals->values.b, valid, n_rows);
      return;
    }
  for (gsize j = 0; j < s->n; j++)
    {
      guint32 r = s->rows[j];

      s->rows[k] = r;
      k += (vals->values.b[r] != 0) & (valid == NULL || bits_get (valid, r));
    }
  s->n = k;
}

static void
select_none (WeftSelection **sel)
{
  if (*sel == NULL)
    *sel = weft_selection_new (0);
  else
    (*sel)->n = 0;
}

/* Narrows *sel to the rows where @e is true. */
static gboolean
filter_refine (const WeftExpr *e, const WeftBatch *batch, WeftSelection **sel, GError **error)
{
  ExprVec v;

  while (e->kind == WEFT_EXPR_ALIAS)
    e = e->children[0];

  if (e->kind == WEFT_EXPR_CALL && e->op == WEFT_EXPR_OP_AND)
    {
      /* Each conjunct only looks at the rows the previous ones kept. */
      if (!filter_refine (e->children[0], batch, sel, error))
        return FALSE;
      if ((*sel)->n == 0)
        return TRUE;
      return filter_refine (e->children[1], batch, sel, error);
    }

  if (is_comparison (e))
    {
      gboolean const_left = weft_expr_is_constant (e->children[0]);
      gboolean const_right = weft_expr_is_constant (e->children[1]);

      if (const_left != const_right)
        {
          ExprVec cv, xv;
          WeftExprOp op = const_left ? flip (e->op) : e->op;
          const WeftColumn *c, *x;
          const guint8 *valid;
          const guint32 *in;
          guint32 *out;
          gsize n, k = 0;

          if (!eval_vec (e->children[const_left ? 0 : 1], batch, batch->n_rows, &cv, error))
            return FALSE;
          if (!eval_vec (e->children[const_left ? 1 : 0], batch, batch->n_rows, &xv, error))
            {
              weft_column_unref (cv.col);
              return FALSE;
            }
          c = cv.col;
          x = xv.col;
          if (c->null_count > 0)
            {
              select_none (sel);
              goto cmp_done;
            }
          valid = x->null_count > 0 ? x->validity : NULL;
          if (*sel == NULL)
            {
              *sel = weft_selection_new (batch->n_rows);
              in = NULL;
              n = batch->n_rows;
            }
          else
            {
              in = (*sel)->rows;
              n = (*sel)->n;
            }
          out = (*sel)->rows;
          switch (x->type)
            {
            case WEFT_DATA_TYPE_INT64:
              k = sel_cmp_i64 (op, x->values.i64, valid, c->values.i64[0], in, n, out);
              break;
            case WEFT_DATA_TYPE_DOUBLE:
              k = sel_cmp_f64 (op, x->values.f64, valid, c->values.f64[0], in, n, out);
              break;
            case WEFT_DATA_TYPE_DATE:
              k = sel_cmp_i32 (op, x->values.date, valid, c->values.date[0], in, n, out);
              break;
            case WEFT_DATA_TYPE_BOOL:
              k = sel_cmp_u8 (op, x->values.b, valid, c->values.b[0], in, n, out);
              break;
            case WEFT_DATA_TYPE_STRING:
              {
                gsize cl;
                const char *cs = weft_column_get_string (c, 0, &cl);

                k = sel_cmp_str (op, x, valid, cs, cl, in, n, out);
              }
              break;
            }
          (*sel)->n = k;
        cmp_done:
          weft_column_unref (cv.col);
          weft_column_unref (xv.col);
          return TRUE;
        }
    }

  if (!eval_vec (e, batch, batch->n_rows, &v, error))
    return FALSE;
  if (v.scalar)
    {
      if (v.col->null_count > 0 || !v.col->values.b[0])
        select_none (sel);
      else if (*sel == NULL)
        *sel = weft_selection_new_all (batch->n_rows);
    }
  else
    refine_bytes (sel, v.col, batch->n_rows);
  weft_column_unref (v.col);
  return TRUE;
}

WeftSelection *
weft_expr_eval_filter (const WeftExpr *e, const WeftBatch *batch, GError **error)
{
  WeftSelection *sel = NULL;

  g_return_val_if_fail (e != NULL && batch != NULL, NULL);
  g_return_val_if_fail (e->resolved && e->type == WEFT_DATA_TYPE_BOOL, NULL);
  if (!filter_refine (e, batch, &sel, error))
    {
      weft_selection_free (sel);
      return NULL;
    }
  return sel;
}
