/* weft-expr: expression trees, resolution, folding and printing (see weft-expr.h).
 *
 * Nodes are immutable once a constructor returns them; resolve, fold and remap build new trees
 * that share unchanged subtrees by reference. Resolution follows Spark SQL's analyzer where the
 * issue asks for it (implicit casts int64 → double, string → date in comparisons, anything →
 * string for string functions) and is stricter where Spark silently casts strings to numbers:
 * comparing or adding a string and a number is an error that tells the user to cast. */

#include "weft-expr-private.h"

#include "weft-batch.h"
#include "weft-engine-error.h"
#include "weft-expr-eval.h"
#include "weft-parse.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

/* ---- Operators ---------------------------------------------------------------------------- */

typedef struct
{
  const char *name;   /* wire and lookup name */
  const char *pretty; /* Spark's function name in output names; NULL for operators */
  const char *symbol; /* operator text in names */
  guint min_args, max_args;
} OpInfo;

static const OpInfo op_info[WEFT_EXPR_N_OPS] = {
  [WEFT_EXPR_OP_NONE] = { NULL, NULL, NULL, 0, G_MAXUINT },
  [WEFT_EXPR_OP_ADD] = { "add", NULL, "+", 2, 2 },
  [WEFT_EXPR_OP_SUB] = { "subtract", NULL, "-", 2, 2 },
  [WEFT_EXPR_OP_MUL] = { "multiply", NULL, "*", 2, 2 },
  [WEFT_EXPR_OP_DIV] = { "divide", NULL, "/", 2, 2 },
  [WEFT_EXPR_OP_MOD] = { "mod", NULL, "%", 2, 2 },
  [WEFT_EXPR_OP_NEG] = { "negative", NULL, "-", 1, 1 },
  [WEFT_EXPR_OP_EQ] = { "eq", NULL, "=", 2, 2 },
  [WEFT_EXPR_OP_NE] = { "ne", NULL, "!=", 2, 2 },
  [WEFT_EXPR_OP_LT] = { "lt", NULL, "<", 2, 2 },
  [WEFT_EXPR_OP_LE] = { "le", NULL, "<=", 2, 2 },
  [WEFT_EXPR_OP_GT] = { "gt", NULL, ">", 2, 2 },
  [WEFT_EXPR_OP_GE] = { "ge", NULL, ">=", 2, 2 },
  [WEFT_EXPR_OP_AND] = { "and", NULL, "AND", 2, 2 },
  [WEFT_EXPR_OP_OR] = { "or", NULL, "OR", 2, 2 },
  [WEFT_EXPR_OP_NOT] = { "not", NULL, "NOT", 1, 1 },
  [WEFT_EXPR_OP_IS_NULL] = { "isnull", NULL, "IS NULL", 1, 1 },
  [WEFT_EXPR_OP_IS_NOT_NULL] = { "isnotnull", NULL, "IS NOT NULL", 1, 1 },
  [WEFT_EXPR_OP_IN] = { "in", NULL, "IN", 1, G_MAXUINT },
  [WEFT_EXPR_OP_LIKE] = { "like", NULL, "LIKE", 2, 2 },
  [WEFT_EXPR_OP_UPPER] = { "upper", "upper", NULL, 1, 1 },
  [WEFT_EXPR_OP_LOWER] = { "lower", "lower", NULL, 1, 1 },
  [WEFT_EXPR_OP_LENGTH] = { "length", "length", NULL, 1, 1 },
  [WEFT_EXPR_OP_SUBSTR] = { "substring", "substring", NULL, 2, 3 },
  [WEFT_EXPR_OP_YEAR] = { "year", "year", NULL, 1, 1 },
  [WEFT_EXPR_OP_MONTH] = { "month", "month", NULL, 1, 1 },
  [WEFT_EXPR_OP_COALESCE] = { "coalesce", "coalesce", NULL, 1, G_MAXUINT },
  [WEFT_EXPR_OP_ABS] = { "abs", "abs", NULL, 1, 1 },
  [WEFT_EXPR_OP_ROUND] = { "round", "round", NULL, 1, 2 },
  [WEFT_EXPR_OP_CONCAT] = { "concat", "concat", NULL, 1, G_MAXUINT },
};

static const struct
{
  const char *name;
  WeftExprOp op;
} op_aliases[] = {
  { "+", WEFT_EXPR_OP_ADD },         { "-", WEFT_EXPR_OP_SUB },
  { "*", WEFT_EXPR_OP_MUL },         { "/", WEFT_EXPR_OP_DIV },
  { "%", WEFT_EXPR_OP_MOD },         { "=", WEFT_EXPR_OP_EQ },
  { "==", WEFT_EXPR_OP_EQ },         { "!=", WEFT_EXPR_OP_NE },
  { "<>", WEFT_EXPR_OP_NE },         { "<", WEFT_EXPR_OP_LT },
  { "<=", WEFT_EXPR_OP_LE },         { ">", WEFT_EXPR_OP_GT },
  { ">=", WEFT_EXPR_OP_GE },         { "!", WEFT_EXPR_OP_NOT },
  { "substr", WEFT_EXPR_OP_SUBSTR }, { "char_length", WEFT_EXPR_OP_LENGTH },
  { "character_length", WEFT_EXPR_OP_LENGTH }, { "ucase", WEFT_EXPR_OP_UPPER },
  { "lcase", WEFT_EXPR_OP_LOWER },   { "pmod_unused", WEFT_EXPR_OP_NONE },
};

const char *
weft_expr_op_name (WeftExprOp op)
{
  g_return_val_if_fail (op < WEFT_EXPR_N_OPS, NULL);
  return op_info[op].name;
}

WeftExprOp
weft_expr_op_from_name (const char *name)
{
  g_return_val_if_fail (name != NULL, WEFT_EXPR_OP_NONE);
  for (guint i = 1; i < WEFT_EXPR_N_OPS; i++)
    if (g_ascii_strcasecmp (name, op_info[i].name) == 0)
      return (WeftExprOp) i;
  for (guint i = 0; i < G_N_ELEMENTS (op_aliases); i++)
    if (g_ascii_strcasecmp (name, op_aliases[i].name) == 0)
      return op_aliases[i].op;
  return WEFT_EXPR_OP_NONE;
}

/* ---- Nodes -------------------------------------------------------------------------------- */

WeftExpr *
expr_new (WeftExprKind kind)
{
  WeftExpr *e = g_new0 (WeftExpr, 1);

  g_atomic_ref_count_init (&e->ref_count);
  e->kind = kind;
  e->column = -1;
  e->nullable = TRUE;
  return e;
}

WeftExpr *
weft_expr_ref (WeftExpr *e)
{
  g_return_val_if_fail (e != NULL, NULL);
  g_atomic_ref_count_inc (&e->ref_count);
  return e;
}

void
weft_expr_unref (WeftExpr *e)
{
  if (e == NULL || !g_atomic_ref_count_dec (&e->ref_count))
    return;
  for (guint i = 0; i < e->n_children; i++)
    weft_expr_unref (e->children[i]);
  g_free (e->children);
  g_free (e->name);
  weft_column_unref (e->value);
  like_free (e->like);
  g_free (e);
}

/* A literal holding @value (transfer full), a one-row column, or NULL for an untyped null. */
WeftExpr *
expr_new_literal (WeftColumn *value)
{
  WeftExpr *e = expr_new (WEFT_EXPR_LITERAL);

  e->value = value;
  if (value != NULL)
    {
      e->type = value->type;
      e->nullable = value->null_count > 0;
      e->resolved = TRUE;
    }
  return e;
}

WeftColumn *
expr_column_from_value (WeftDataType type)
{
  return weft_column_new (type, 1);
}

WeftExpr *
weft_expr_col (const char *name)
{
  WeftExpr *e;

  g_return_val_if_fail (name != NULL, NULL);
  e = expr_new (WEFT_EXPR_COLUMN);
  e->name = g_strdup (name);
  return e;
}

WeftExpr *
weft_expr_lit_int64 (gint64 value)
{
  WeftColumn *c = weft_column_new (WEFT_DATA_TYPE_INT64, 1);

  weft_column_append_int64 (c, value);
  return expr_new_literal (c);
}

WeftExpr *
weft_expr_lit_double (double value)
{
  WeftColumn *c = weft_column_new (WEFT_DATA_TYPE_DOUBLE, 1);

  weft_column_append_double (c, value);
  return expr_new_literal (c);
}

WeftExpr *
weft_expr_lit_string_len (const char *bytes, gsize len)
{
  WeftColumn *c = weft_column_new (WEFT_DATA_TYPE_STRING, 1);

  weft_column_append_string (c, bytes, len);
  return expr_new_literal (c);
}

WeftExpr *
weft_expr_lit_string (const char *value)
{
  g_return_val_if_fail (value != NULL, NULL);
  return weft_expr_lit_string_len (value, strlen (value));
}

WeftExpr *
weft_expr_lit_bool (gboolean value)
{
  WeftColumn *c = weft_column_new (WEFT_DATA_TYPE_BOOL, 1);

  weft_column_append_bool (c, value);
  return expr_new_literal (c);
}

WeftExpr *
weft_expr_lit_date (gint32 days)
{
  WeftColumn *c = weft_column_new (WEFT_DATA_TYPE_DATE, 1);

  weft_column_append_date (c, days);
  return expr_new_literal (c);
}

WeftExpr *
weft_expr_lit_null (void)
{
  return expr_new_literal (NULL);
}

/* A null literal of @type. */
static WeftExpr *
lit_null_typed (WeftDataType type)
{
  WeftColumn *c = weft_column_new (type, 1);

  weft_column_append_null (c);
  return expr_new_literal (c);
}

WeftExpr *
weft_expr_new_op (WeftExprOp op, WeftExpr **args, guint n_args)
{
  WeftExpr *e;

  g_return_val_if_fail (op > WEFT_EXPR_OP_NONE && op < WEFT_EXPR_N_OPS, NULL);
  e = expr_new (WEFT_EXPR_CALL);
  e->op = op;
  e->n_children = n_args;
  e->children = g_new (WeftExpr *, MAX (n_args, 1));
  for (guint i = 0; i < n_args; i++)
    {
      g_return_val_if_fail (args[i] != NULL, e);
      e->children[i] = args[i];
    }
  return e;
}

WeftExpr *
weft_expr_unary (WeftExprOp op, WeftExpr *a)
{
  return weft_expr_new_op (op, &a, 1);
}

WeftExpr *
weft_expr_binary (WeftExprOp op, WeftExpr *a, WeftExpr *b)
{
  WeftExpr *args[2] = { a, b };

  return weft_expr_new_op (op, args, 2);
}

WeftExpr *
weft_expr_call_v (const char *func, WeftExpr **args, guint n_args)
{
  WeftExprOp op = weft_expr_op_from_name (func);
  WeftExpr *e;

  if (op != WEFT_EXPR_OP_NONE)
    return weft_expr_new_op (op, args, n_args);
  /* Unknown: kept as written so resolution can name it in its error. */
  e = weft_expr_new_op (WEFT_EXPR_OP_ADD, args, n_args);
  e->op = WEFT_EXPR_OP_NONE;
  e->name = g_strdup (func);
  return e;
}

WeftExpr *
weft_expr_call (const char *func, ...)
{
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  va_list ap;
  WeftExpr *arg;

  va_start (ap, func);
  while ((arg = va_arg (ap, WeftExpr *)) != NULL)
    g_ptr_array_add (args, arg);
  va_end (ap);
  return weft_expr_call_v (func, (WeftExpr **) args->pdata, args->len);
}

WeftExpr *
weft_expr_in (WeftExpr *e, WeftExpr **values, guint n_values)
{
  g_autofree WeftExpr **args = g_new (WeftExpr *, n_values + 1);

  args[0] = e;
  for (guint i = 0; i < n_values; i++)
    args[i + 1] = values[i];
  return weft_expr_new_op (WEFT_EXPR_OP_IN, args, n_values + 1);
}

WeftExpr *
weft_expr_between (WeftExpr *e, WeftExpr *low, WeftExpr *high)
{
  /* The value subtree is shared by both comparisons: trees are immutable, so that is safe. */
  WeftExpr *ge = weft_expr_binary (WEFT_EXPR_OP_GE, weft_expr_ref (e), low);
  WeftExpr *le = weft_expr_binary (WEFT_EXPR_OP_LE, e, high);

  return weft_expr_binary (WEFT_EXPR_OP_AND, ge, le);
}

WeftExpr *
weft_expr_like (WeftExpr *e, const char *pattern)
{
  return weft_expr_binary (WEFT_EXPR_OP_LIKE, e, weft_expr_lit_string (pattern));
}

WeftExpr *
weft_expr_cast (WeftExpr *e, WeftDataType type)
{
  WeftExpr *c;

  g_return_val_if_fail (e != NULL, NULL);
  g_return_val_if_fail (WEFT_DATA_TYPE_IS_VALID (type), e);
  c = expr_new (WEFT_EXPR_CAST);
  c->type = type;
  c->n_children = 1;
  c->children = g_new (WeftExpr *, 1);
  c->children[0] = e;
  return c;
}

WeftExpr *
weft_expr_alias (WeftExpr *e, const char *name)
{
  WeftExpr *a;

  g_return_val_if_fail (e != NULL && name != NULL, NULL);
  a = expr_new (WEFT_EXPR_ALIAS);
  a->name = g_strdup (name);
  a->n_children = 1;
  a->children = g_new (WeftExpr *, 1);
  a->children[0] = e;
  return a;
}

/* A shallow copy of @e with @kids (transfer full, e->n_children of them) as children. */
static WeftExpr *
copy_with_children (const WeftExpr *e, WeftExpr **kids)
{
  WeftExpr *c = expr_new (e->kind);

  c->op = e->op;
  c->type = e->type;
  c->nullable = e->nullable;
  c->resolved = e->resolved;
  c->implicit = e->implicit;
  c->name = g_strdup (e->name);
  c->column = e->column;
  c->value = e->value != NULL ? weft_column_ref (e->value) : NULL;
  c->n_children = e->n_children;
  c->children = g_new (WeftExpr *, MAX (e->n_children, 1));
  if (e->n_children > 0)
    memcpy (c->children, kids, e->n_children * sizeof *kids);
  if (e->like != NULL)
    {
      gsize len;
      const char *p = weft_expr_literal_string (kids[1], &len);

      c->like = like_compile (p, len, NULL);
    }
  return c;
}

/* ---- Inspection --------------------------------------------------------------------------- */

WeftExprKind
weft_expr_get_kind (const WeftExpr *e)
{
  return e->kind;
}

WeftExprOp
weft_expr_get_op (const WeftExpr *e)
{
  return e->kind == WEFT_EXPR_CALL ? e->op : WEFT_EXPR_OP_NONE;
}

guint
weft_expr_get_n_children (const WeftExpr *e)
{
  return e->n_children;
}

WeftExpr *
weft_expr_get_child (const WeftExpr *e, guint i)
{
  g_return_val_if_fail (i < e->n_children, NULL);
  return e->children[i];
}

const char *
weft_expr_get_name (const WeftExpr *e)
{
  return e->name;
}

int
weft_expr_get_column (const WeftExpr *e)
{
  return e->kind == WEFT_EXPR_COLUMN ? e->column : -1;
}

gboolean
weft_expr_is_implicit_cast (const WeftExpr *e)
{
  return e->kind == WEFT_EXPR_CAST && e->implicit;
}

gboolean
weft_expr_literal_is_null (const WeftExpr *e)
{
  g_return_val_if_fail (e->kind == WEFT_EXPR_LITERAL, FALSE);
  return e->value == NULL || e->value->null_count > 0;
}

gint64
weft_expr_literal_int64 (const WeftExpr *e)
{
  g_return_val_if_fail (e->kind == WEFT_EXPR_LITERAL && e->type == WEFT_DATA_TYPE_INT64, 0);
  return e->value->values.i64[0];
}

double
weft_expr_literal_double (const WeftExpr *e)
{
  g_return_val_if_fail (e->kind == WEFT_EXPR_LITERAL && e->type == WEFT_DATA_TYPE_DOUBLE, 0);
  return e->value->values.f64[0];
}

gboolean
weft_expr_literal_bool (const WeftExpr *e)
{
  g_return_val_if_fail (e->kind == WEFT_EXPR_LITERAL && e->type == WEFT_DATA_TYPE_BOOL, FALSE);
  return e->value->values.b[0];
}

gint32
weft_expr_literal_date (const WeftExpr *e)
{
  g_return_val_if_fail (e->kind == WEFT_EXPR_LITERAL && e->type == WEFT_DATA_TYPE_DATE, 0);
  return e->value->values.date[0];
}

const char *
weft_expr_literal_string (const WeftExpr *e, gsize *out_len)
{
  *out_len = 0;
  g_return_val_if_fail (e->kind == WEFT_EXPR_LITERAL && e->type == WEFT_DATA_TYPE_STRING, "");
  return weft_column_get_string (e->value, 0, out_len);
}

WeftDataType
weft_expr_get_type (const WeftExpr *e)
{
  return e->type;
}

gboolean
weft_expr_get_nullable (const WeftExpr *e)
{
  return e->nullable;
}

gboolean
weft_expr_is_resolved (const WeftExpr *e)
{
  return e->resolved;
}

/* ---- Printing ----------------------------------------------------------------------------- */

/* Java's Double.toString (which Spark uses for names and casts): the shortest digits that read
 * back exactly, in plain notation for 1e-3 <= |d| < 1e7 and as d.dddE±n otherwise, always with
 * a fractional digit. */
void
expr_format_double (double d, GString *out)
{
  char buf[64], fmt[16], digits[32];
  int exp10, n_digits = 0;
  const char *p, *e;

  if (isnan (d))
    {
      g_string_append (out, "NaN");
      return;
    }
  if (isinf (d))
    {
      g_string_append (out, d > 0 ? "Infinity" : "-Infinity");
      return;
    }
  if (d == 0)
    {
      g_string_append (out, signbit (d) ? "-0.0" : "0.0");
      return;
    }
  for (int prec = 1; prec <= 17; prec++)
    {
      g_snprintf (fmt, sizeof fmt, "%%.%de", prec - 1);
      g_ascii_formatd (buf, sizeof buf, fmt, d);
      if (g_ascii_strtod (buf, NULL) == d)
        break;
    }
  /* buf is [-]D[.DDD]e[+-]XX */
  p = buf;
  if (*p == '-')
    {
      g_string_append_c (out, '-');
      p++;
    }
  e = strchr (p, 'e');
  for (const char *q = p; q < e; q++)
    if (*q != '.')
      digits[n_digits++] = *q;
  while (n_digits > 1 && digits[n_digits - 1] == '0')
    n_digits--;
  exp10 = atoi (e + 1);
  if (exp10 >= -3 && exp10 < 7)
    {
      if (exp10 < 0)
        {
          g_string_append (out, "0.");
          for (int i = -1; i > exp10; i--)
            g_string_append_c (out, '0');
          g_string_append_len (out, digits, n_digits);
        }
      else
        {
          for (int i = 0; i <= exp10; i++)
            g_string_append_c (out, i < n_digits ? digits[i] : '0');
          g_string_append_c (out, '.');
          if (n_digits > exp10 + 1)
            g_string_append_len (out, digits + exp10 + 1, n_digits - exp10 - 1);
          else
            g_string_append_c (out, '0');
        }
    }
  else
    {
      g_string_append_c (out, digits[0]);
      g_string_append_c (out, '.');
      if (n_digits > 1)
        g_string_append_len (out, digits + 1, n_digits - 1);
      else
        g_string_append_c (out, '0');
      g_string_append_printf (out, "E%d", exp10);
    }
}

static void
append_type_upper (WeftDataType type, GString *out)
{
  g_autofree char *up = g_ascii_strup (weft_data_type_name (type), -1);

  g_string_append (out, up);
}

static void
append_literal (const WeftExpr *e, GString *out, gboolean explain)
{
  const WeftColumn *v = e->value;

  if (v == NULL || v->null_count > 0)
    {
      g_string_append (out, "NULL");
      return;
    }
  switch (v->type)
    {
    case WEFT_DATA_TYPE_INT64:
      g_string_append_printf (out, "%" G_GINT64_FORMAT, v->values.i64[0]);
      break;
    case WEFT_DATA_TYPE_DOUBLE:
      expr_format_double (v->values.f64[0], out);
      break;
    case WEFT_DATA_TYPE_BOOL:
      g_string_append (out, v->values.b[0] ? "true" : "false");
      break;
    case WEFT_DATA_TYPE_DATE:
      g_string_append (out, "DATE '");
      weft_format_date (v->values.date[0], out);
      g_string_append_c (out, '\'');
      break;
    case WEFT_DATA_TYPE_STRING:
      {
        gsize len;
        const char *s = weft_column_get_string (v, 0, &len);

        if (!explain)
          {
            g_string_append_len (out, s, (gssize) len);
            break;
          }
        g_string_append_c (out, '\'');
        for (gsize i = 0; i < len; i++)
          {
            if (s[i] == '\'' || s[i] == '\\')
              g_string_append_c (out, '\\');
            g_string_append_c (out, s[i]);
          }
        g_string_append_c (out, '\'');
      }
      break;
    }
}

static void append_expr (const WeftExpr *e, GString *out, gboolean explain);

static void
append_args (const WeftExpr *e, guint first, GString *out, gboolean explain)
{
  for (guint i = first; i < e->n_children; i++)
    {
      if (i > first)
        g_string_append (out, ", ");
      append_expr (e->children[i], out, explain);
    }
}

static void
append_call (const WeftExpr *e, GString *out, gboolean explain)
{
  const OpInfo *info = &op_info[e->op];

  if (e->op == WEFT_EXPR_OP_NONE)
    {
      g_string_append_printf (out, "%s(", e->name);
      append_args (e, 0, out, explain);
      g_string_append_c (out, ')');
      return;
    }
  if (info->pretty != NULL)
    {
      g_string_append_printf (out, "%s(", info->pretty);
      append_args (e, 0, out, explain);
      /* Spark fills in the defaults, and names the column with them. */
      if (e->op == WEFT_EXPR_OP_ROUND && e->n_children == 1)
        g_string_append (out, ", 0");
      if (e->op == WEFT_EXPR_OP_SUBSTR && e->n_children == 2)
        g_string_append (out, ", 2147483647");
      g_string_append_c (out, ')');
      return;
    }
  switch (e->op)
    {
    case WEFT_EXPR_OP_NEG:
      g_string_append (out, "(- ");
      append_expr (e->children[0], out, explain);
      g_string_append_c (out, ')');
      break;
    case WEFT_EXPR_OP_NOT:
      g_string_append (out, "(NOT ");
      append_expr (e->children[0], out, explain);
      g_string_append_c (out, ')');
      break;
    case WEFT_EXPR_OP_IS_NULL:
    case WEFT_EXPR_OP_IS_NOT_NULL:
      g_string_append_c (out, '(');
      append_expr (e->children[0], out, explain);
      g_string_append_printf (out, " %s)", info->symbol);
      break;
    case WEFT_EXPR_OP_NE:
      /* Spark builds a != b as NOT (a = b) and names it so. */
      g_string_append (out, "(NOT (");
      append_expr (e->children[0], out, explain);
      g_string_append (out, " = ");
      append_expr (e->children[1], out, explain);
      g_string_append (out, "))");
      break;
    case WEFT_EXPR_OP_IN:
      g_string_append_c (out, '(');
      append_expr (e->children[0], out, explain);
      g_string_append (out, " IN (");
      append_args (e, 1, out, explain);
      g_string_append (out, "))");
      break;
    case WEFT_EXPR_OP_LIKE:
      append_expr (e->children[0], out, explain);
      g_string_append (out, " LIKE ");
      append_expr (e->children[1], out, explain);
      break;
    default:
      if (e->n_children != 2)
        {
          g_string_append_printf (out, "%s(", info->name);
          append_args (e, 0, out, explain);
          g_string_append_c (out, ')');
          break;
        }
      g_string_append_c (out, '(');
      append_expr (e->children[0], out, explain);
      g_string_append_printf (out, " %s ", info->symbol);
      append_expr (e->children[1], out, explain);
      g_string_append_c (out, ')');
      break;
    }
}

static void
append_expr (const WeftExpr *e, GString *out, gboolean explain)
{
  switch (e->kind)
    {
    case WEFT_EXPR_COLUMN:
      g_string_append (out, e->name);
      if (explain && e->column >= 0)
        g_string_append_printf (out, "#%d", e->column);
      break;
    case WEFT_EXPR_LITERAL:
      append_literal (e, out, explain);
      break;
    case WEFT_EXPR_CAST:
      if (e->implicit && !explain)
        {
          append_expr (e->children[0], out, explain);
          break;
        }
      g_string_append (out, e->implicit ? "cast(" : "CAST(");
      append_expr (e->children[0], out, explain);
      g_string_append (out, e->implicit ? " as " : " AS ");
      if (e->implicit)
        g_string_append (out, weft_data_type_name (e->type));
      else
        append_type_upper (e->type, out);
      g_string_append_c (out, ')');
      break;
    case WEFT_EXPR_ALIAS:
      if (explain)
        {
          append_expr (e->children[0], out, explain);
          g_string_append_printf (out, " AS %s", e->name);
        }
      else
        g_string_append (out, e->name);
      break;
    case WEFT_EXPR_CALL:
      append_call (e, out, explain);
      break;
    }
}

char *
weft_expr_name (const WeftExpr *e)
{
  GString *out = g_string_new (NULL);

  append_expr (e, out, FALSE);
  return g_string_free (out, FALSE);
}

char *
weft_expr_to_string (const WeftExpr *e)
{
  GString *out = g_string_new (NULL);

  append_expr (e, out, TRUE);
  return g_string_free (out, FALSE);
}

/* ---- Resolution --------------------------------------------------------------------------- */

typedef struct
{
  const WeftSchema *schema;
  gboolean case_sensitive;
} Resolver;

static gboolean
is_numeric (WeftDataType t)
{
  return t == WEFT_DATA_TYPE_INT64 || t == WEFT_DATA_TYPE_DOUBLE;
}

/* "bigint (age + 1)" for error messages. */
static char *
describe (const WeftExpr *e)
{
  g_autofree char *name = weft_expr_name (e);

  if (e->type == 0)
    return g_strdup ("NULL");
  return g_strdup_printf ("%s %s", weft_data_type_name (e->type), name);
}

static gboolean
can_cast (WeftDataType from, WeftDataType to)
{
  if (from == 0 || from == to || from == WEFT_DATA_TYPE_STRING || to == WEFT_DATA_TYPE_STRING)
    return TRUE;
  /* Numbers and booleans convert among themselves; dates only to and from strings. */
  return from != WEFT_DATA_TYPE_DATE && to != WEFT_DATA_TYPE_DATE;
}

/* @child (transfer full) converted to @to: itself, a typed null, or an implicit cast. */
static WeftExpr *
coerce (WeftExpr *child, WeftDataType to)
{
  WeftExpr *c;

  if (child->type == to)
    return child;
  if (child->kind == WEFT_EXPR_LITERAL && child->value == NULL)
    {
      weft_expr_unref (child);
      return lit_null_typed (to);
    }
  c = weft_expr_cast (child, to);
  c->implicit = TRUE;
  c->resolved = TRUE;
  c->nullable = child->nullable || (child->type == WEFT_DATA_TYPE_STRING);
  return c;
}

/* The type two sides of a comparison meet at (Spark's findCommonTypeForBinaryComparison, without
 * the string-to-number casts), or 0 if they do not. */
static WeftDataType
compare_type (WeftDataType a, WeftDataType b)
{
  if (a == 0 && b == 0)
    return WEFT_DATA_TYPE_STRING;
  if (a == 0)
    return b;
  if (b == 0 || a == b)
    return a;
  if (is_numeric (a) && is_numeric (b))
    return WEFT_DATA_TYPE_DOUBLE;
  if ((a == WEFT_DATA_TYPE_DATE && b == WEFT_DATA_TYPE_STRING)
      || (a == WEFT_DATA_TYPE_STRING && b == WEFT_DATA_TYPE_DATE))
    return WEFT_DATA_TYPE_DATE;
  return 0;
}

static gboolean
any_nullable (const WeftExpr *e)
{
  for (guint i = 0; i < e->n_children; i++)
    if (e->children[i]->nullable)
      return TRUE;
  return FALSE;
}

static gboolean
is_nonzero_literal (const WeftExpr *e)
{
  if (e->kind != WEFT_EXPR_LITERAL || e->value == NULL || e->value->null_count > 0)
    return FALSE;
  if (e->type == WEFT_DATA_TYPE_INT64)
    return e->value->values.i64[0] != 0;
  if (e->type == WEFT_DATA_TYPE_DOUBLE)
    return e->value->values.f64[0] != 0;
  return FALSE;
}

static gboolean
set_error (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
set_error (GError **error, const char *format, ...)
{
  va_list ap;
  g_autofree char *message = NULL;

  va_start (ap, format);
  message = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_set_error_literal (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_SCHEMA, message);
  return FALSE;
}

static WeftExpr *resolve_node (const WeftExpr *e, const Resolver *r, GError **error);

static WeftExpr *
resolve_column (const WeftExpr *e, const Resolver *r, GError **error)
{
  guint n = weft_schema_get_n_fields (r->schema);
  int found = -1;
  guint n_found = 0;
  WeftExpr *c;
  const WeftField *field;

  for (guint i = 0; i < n; i++)
    {
      const char *have = weft_schema_get_field (r->schema, i)->name;

      if (r->case_sensitive ? strcmp (have, e->name) == 0 : g_ascii_strcasecmp (have, e->name) == 0)
        {
          if (found < 0)
            found = (int) i;
          n_found++;
        }
    }
  if (n_found != 1)
    {
      g_autoptr (GString) list = g_string_new (NULL);

      for (guint i = 0; i < n; i++)
        {
          const char *have = weft_schema_get_field (r->schema, i)->name;

          if (n_found > 1 && g_ascii_strcasecmp (have, e->name) != 0)
            continue;
          if (list->len > 0)
            g_string_append (list, ", ");
          g_string_append (list, have);
        }
      if (n_found > 1)
        set_error (error, "column '%s' is ambiguous; it could be: %s", e->name, list->str);
      else
        set_error (error, "column '%s' does not exist; available: %s", e->name,
                   n > 0 ? list->str : "(none)");
      return NULL;
    }
  field = weft_schema_get_field (r->schema, (guint) found);
  c = expr_new (WEFT_EXPR_COLUMN);
  c->name = g_strdup (field->name);
  c->column = found;
  c->type = field->type;
  c->nullable = field->nullable;
  c->resolved = TRUE;
  return c;
}

/* Types a resolved call node @c in place: coerces its children, sets its type and nullability. */
static gboolean
type_call (WeftExpr *c, GError **error)
{
  WeftExpr **k = c->children;
  const char *sym = op_info[c->op].symbol;
  WeftDataType t;
  gboolean nonzero;

  switch (c->op)
    {
    case WEFT_EXPR_OP_ADD:
    case WEFT_EXPR_OP_SUB:
    case WEFT_EXPR_OP_MUL:
    case WEFT_EXPR_OP_MOD:
    case WEFT_EXPR_OP_DIV:
      for (guint i = 0; i < 2; i++)
        if (k[i]->type != 0 && !is_numeric (k[i]->type))
          {
            g_autofree char *a = describe (k[0]), *b = describe (k[1]);

            return set_error (error, "cannot apply %s to %s and %s: arithmetic needs numbers, "
                              "cast one side", sym, a, b);
          }
      nonzero = is_nonzero_literal (k[1]);
      /* NULL with NULL gives the narrowest type, which widens to double where needed. */
      if (c->op != WEFT_EXPR_OP_DIV && k[0]->type != WEFT_DATA_TYPE_DOUBLE
          && k[1]->type != WEFT_DATA_TYPE_DOUBLE)
        t = WEFT_DATA_TYPE_INT64;
      else
        t = WEFT_DATA_TYPE_DOUBLE;
      k[0] = coerce (k[0], t);
      k[1] = coerce (k[1], t);
      c->type = t;
      c->nullable = any_nullable (c);
      if ((c->op == WEFT_EXPR_OP_DIV || c->op == WEFT_EXPR_OP_MOD) && !nonzero)
        c->nullable = TRUE;
      return TRUE;

    case WEFT_EXPR_OP_NEG:
    case WEFT_EXPR_OP_ABS:
      if (k[0]->type != 0 && !is_numeric (k[0]->type))
        {
          g_autofree char *a = describe (k[0]);

          return set_error (error, "%s needs a number, not %s",
                            c->op == WEFT_EXPR_OP_NEG ? "unary -" : "abs", a);
        }
      t = k[0]->type != 0 ? k[0]->type : WEFT_DATA_TYPE_INT64;
      k[0] = coerce (k[0], t);
      c->type = t;
      c->nullable = k[0]->nullable;
      return TRUE;

    case WEFT_EXPR_OP_EQ:
    case WEFT_EXPR_OP_NE:
    case WEFT_EXPR_OP_LT:
    case WEFT_EXPR_OP_LE:
    case WEFT_EXPR_OP_GT:
    case WEFT_EXPR_OP_GE:
      t = compare_type (k[0]->type, k[1]->type);
      if (t == 0)
        {
          g_autofree char *a = describe (k[0]), *b = describe (k[1]);

          return set_error (error, "cannot compare %s with %s: cast one side", a, b);
        }
      k[0] = coerce (k[0], t);
      k[1] = coerce (k[1], t);
      c->type = WEFT_DATA_TYPE_BOOL;
      c->nullable = any_nullable (c);
      return TRUE;

    case WEFT_EXPR_OP_AND:
    case WEFT_EXPR_OP_OR:
    case WEFT_EXPR_OP_NOT:
      for (guint i = 0; i < c->n_children; i++)
        {
          if (k[i]->type != 0 && k[i]->type != WEFT_DATA_TYPE_BOOL)
            {
              g_autofree char *a = describe (k[i]);

              return set_error (error, "%s needs boolean operands, not %s", sym, a);
            }
          k[i] = coerce (k[i], WEFT_DATA_TYPE_BOOL);
        }
      c->type = WEFT_DATA_TYPE_BOOL;
      c->nullable = any_nullable (c);
      return TRUE;

    case WEFT_EXPR_OP_IS_NULL:
    case WEFT_EXPR_OP_IS_NOT_NULL:
      if (k[0]->type == 0)
        k[0] = coerce (k[0], WEFT_DATA_TYPE_STRING);
      c->type = WEFT_DATA_TYPE_BOOL;
      c->nullable = FALSE;
      return TRUE;

    case WEFT_EXPR_OP_IN:
      t = k[0]->type;
      for (guint i = 1; i < c->n_children; i++)
        {
          WeftDataType u;

          if (!weft_expr_is_constant (k[i]))
            {
              g_autofree char *a = weft_expr_name (k[i]);

              return set_error (error, "IN needs literal values; %s is not one", a);
            }
          if (k[i]->type == 0)
            continue;
          u = t == 0 ? k[i]->type : compare_type (t, k[i]->type);
          if (u == 0)
            {
              g_autofree char *a = describe (k[0]), *b = describe (k[i]);

              return set_error (error, "cannot compare %s with %s in IN: cast one side", a, b);
            }
          t = u;
        }
      if (t == 0)
        t = WEFT_DATA_TYPE_STRING;
      c->nullable = k[0]->nullable;
      k[0] = coerce (k[0], t);
      for (guint i = 1; i < c->n_children; i++)
        {
          WeftExpr *v = coerce (k[i], t);

          /* The list is kept as literals of the value's type, so the kernel compares raw values. */
          k[i] = weft_expr_fold (v);
          weft_expr_unref (v);
          g_assert (k[i]->kind == WEFT_EXPR_LITERAL);
          if (k[i]->value->null_count > 0)
            c->nullable = TRUE;
        }
      c->type = WEFT_DATA_TYPE_BOOL;
      return TRUE;

    case WEFT_EXPR_OP_LIKE:
      {
        gsize len;
        const char *p;
        GError *local = NULL;

        if (k[0]->type != 0 && k[0]->type != WEFT_DATA_TYPE_STRING)
          {
            g_autofree char *a = describe (k[0]);

            return set_error (error, "LIKE needs a string, not %s", a);
          }
        if (k[1]->kind != WEFT_EXPR_LITERAL || k[1]->type != WEFT_DATA_TYPE_STRING
            || k[1]->value->null_count > 0)
          return set_error (error, "LIKE needs a string literal as its pattern");
        k[0] = coerce (k[0], WEFT_DATA_TYPE_STRING);
        p = weft_expr_literal_string (k[1], &len);
        c->like = like_compile (p, len, &local);
        if (c->like == NULL)
          {
            g_propagate_error (error, local);
            return FALSE;
          }
        c->type = WEFT_DATA_TYPE_BOOL;
        c->nullable = k[0]->nullable;
        return TRUE;
      }

    case WEFT_EXPR_OP_UPPER:
    case WEFT_EXPR_OP_LOWER:
    case WEFT_EXPR_OP_LENGTH:
    case WEFT_EXPR_OP_CONCAT:
      for (guint i = 0; i < c->n_children; i++)
        k[i] = coerce (k[i], WEFT_DATA_TYPE_STRING);
      c->type = c->op == WEFT_EXPR_OP_LENGTH ? WEFT_DATA_TYPE_INT64 : WEFT_DATA_TYPE_STRING;
      c->nullable = any_nullable (c);
      return TRUE;

    case WEFT_EXPR_OP_SUBSTR:
      for (guint i = 1; i < c->n_children; i++)
        if (k[i]->type != 0 && k[i]->type != WEFT_DATA_TYPE_INT64)
          {
            g_autofree char *a = describe (k[i]);

            return set_error (error, "substring needs integer positions and lengths, not %s", a);
          }
      for (guint i = 0; i < c->n_children; i++)
        k[i] = coerce (k[i], i == 0 ? WEFT_DATA_TYPE_STRING : WEFT_DATA_TYPE_INT64);
      c->type = WEFT_DATA_TYPE_STRING;
      c->nullable = any_nullable (c);
      return TRUE;

    case WEFT_EXPR_OP_YEAR:
    case WEFT_EXPR_OP_MONTH:
      if (k[0]->type != 0 && k[0]->type != WEFT_DATA_TYPE_DATE
          && k[0]->type != WEFT_DATA_TYPE_STRING)
        {
          g_autofree char *a = describe (k[0]);

          return set_error (error, "%s needs a date, not %s", op_info[c->op].name, a);
        }
      k[0] = coerce (k[0], WEFT_DATA_TYPE_DATE);
      c->type = WEFT_DATA_TYPE_INT64;
      c->nullable = k[0]->nullable;
      return TRUE;

    case WEFT_EXPR_OP_COALESCE:
      t = 0;
      for (guint i = 0; i < c->n_children; i++)
        {
          WeftDataType u = k[i]->type;

          if (u == 0 || u == t)
            continue;
          if (t == 0)
            t = u;
          else if (is_numeric (t) && is_numeric (u))
            t = WEFT_DATA_TYPE_DOUBLE;
          else
            {
              g_autofree char *a = describe (k[0]), *b = describe (k[i]);

              return set_error (error, "coalesce needs arguments of one type, not %s and %s",
                                a, b);
            }
        }
      if (t == 0)
        t = WEFT_DATA_TYPE_STRING;
      c->nullable = TRUE;
      for (guint i = 0; i < c->n_children; i++)
        {
          k[i] = coerce (k[i], t);
          if (!k[i]->nullable)
            c->nullable = FALSE;
        }
      c->type = t;
      return TRUE;

    case WEFT_EXPR_OP_ROUND:
      if (k[0]->type != 0 && !is_numeric (k[0]->type))
        {
          g_autofree char *a = describe (k[0]);

          return set_error (error, "round needs a number, not %s", a);
        }
      if (c->n_children == 2
          && (k[1]->kind != WEFT_EXPR_LITERAL || k[1]->type != WEFT_DATA_TYPE_INT64
              || k[1]->value->null_count > 0))
        return set_error (error, "round needs an integer literal as its scale");
      t = k[0]->type != 0 ? k[0]->type : WEFT_DATA_TYPE_INT64;
      k[0] = coerce (k[0], t);
      c->type = t;
      c->nullable = k[0]->nullable;
      return TRUE;

    case WEFT_EXPR_OP_NONE:
    case WEFT_EXPR_N_OPS:
      break;
    }
  g_return_val_if_reached (FALSE);
}

static WeftExpr *
resolve_node (const WeftExpr *e, const Resolver *r, GError **error)
{
  g_autoptr (WeftExpr) c = NULL;

  switch (e->kind)
    {
    case WEFT_EXPR_COLUMN:
      return resolve_column (e, r, error);

    case WEFT_EXPR_LITERAL:
      return weft_expr_ref ((WeftExpr *) e);

    case WEFT_EXPR_ALIAS:
      {
        WeftExpr *child = resolve_node (e->children[0], r, error);

        if (child == NULL)
          return NULL;
        if (child->type == 0)
          child = coerce (child, WEFT_DATA_TYPE_STRING);
        c = weft_expr_alias (child, e->name);
        c->type = child->type;
        c->nullable = child->nullable;
        c->resolved = TRUE;
        return g_steal_pointer (&c);
      }

    case WEFT_EXPR_CAST:
      {
        WeftExpr *child;

        /* Implicit casts are redone from scratch: the new schema may not need them. */
        if (e->implicit)
          return resolve_node (e->children[0], r, error);
        child = resolve_node (e->children[0], r, error);
        if (child == NULL)
          return NULL;
        if (!can_cast (child->type, e->type))
          {
            g_autofree char *a = describe (child);

            set_error (error, "cannot cast %s to %s", a, weft_data_type_name (e->type));
            weft_expr_unref (child);
            return NULL;
          }
        if (child->type == 0)
          child = coerce (child, e->type);
        c = weft_expr_cast (child, e->type);
        c->nullable = child->nullable
                      || (child->type == WEFT_DATA_TYPE_STRING && e->type != WEFT_DATA_TYPE_STRING);
        c->resolved = TRUE;
        return g_steal_pointer (&c);
      }

    case WEFT_EXPR_CALL:
      {
        const OpInfo *info = &op_info[e->op];

        if (e->op == WEFT_EXPR_OP_NONE)
          {
            g_autoptr (GString) known = g_string_new (NULL);

            for (guint i = WEFT_EXPR_OP_UPPER; i < WEFT_EXPR_N_OPS; i++)
              g_string_append_printf (known, "%s%s", known->len > 0 ? ", " : "",
                                      op_info[i].name);
            set_error (error, "unknown function '%s'; known functions: %s", e->name, known->str);
            return NULL;
          }
        if (e->n_children < info->min_args || e->n_children > info->max_args)
          {
            if (info->min_args == info->max_args)
              set_error (error, "%s takes %u argument%s, not %u", info->name, info->min_args,
                         info->min_args == 1 ? "" : "s", e->n_children);
            else if (info->max_args == G_MAXUINT)
              set_error (error, "%s takes at least %u argument%s, not %u", info->name,
                         info->min_args, info->min_args == 1 ? "" : "s", e->n_children);
            else
              set_error (error, "%s takes %u to %u arguments, not %u", info->name,
                         info->min_args, info->max_args, e->n_children);
            return NULL;
          }
        c = expr_new (WEFT_EXPR_CALL);
        c->op = e->op;
        c->children = g_new0 (WeftExpr *, MAX (e->n_children, 1));
        for (guint i = 0; i < e->n_children; i++)
          {
            c->children[i] = resolve_node (e->children[i], r, error);
            if (c->children[i] == NULL)
              return NULL;
            c->n_children++;
          }
        if (e->op == WEFT_EXPR_OP_COALESCE)
          {
            /* coalesce of nulls alone is a null whose type the context still decides. */
            guint k = 0;

            while (k < c->n_children && c->children[k]->type == 0)
              k++;
            if (k == c->n_children)
              return weft_expr_lit_null ();
          }
        if (!type_call (c, error))
          return NULL;
        c->resolved = TRUE;
        return g_steal_pointer (&c);
      }
    }
  g_return_val_if_reached (NULL);
}

WeftExpr *
weft_expr_resolve_full (const WeftExpr *e, const WeftSchema *schema, WeftExprResolveFlags flags,
                        GError **error)
{
  Resolver r = { schema, (flags & WEFT_EXPR_RESOLVE_CASE_SENSITIVE) != 0 };
  WeftExpr *out;

  g_return_val_if_fail (e != NULL && schema != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  out = resolve_node (e, &r, error);
  if (out != NULL && out->type == 0)
    out = coerce (out, WEFT_DATA_TYPE_STRING);
  return out;
}

WeftExpr *
weft_expr_resolve (const WeftExpr *e, const WeftSchema *schema, GError **error)
{
  return weft_expr_resolve_full (e, schema, WEFT_EXPR_RESOLVE_DEFAULT, error);
}

/* ---- Folding ------------------------------------------------------------------------------ */

static gboolean
is_bool_literal (const WeftExpr *e, gboolean value)
{
  return e->kind == WEFT_EXPR_LITERAL && e->type == WEFT_DATA_TYPE_BOOL && e->value != NULL
         && e->value->null_count == 0 && (e->value->values.b[0] != 0) == (value != 0);
}

static gboolean
is_null_literal (const WeftExpr *e)
{
  return e->kind == WEFT_EXPR_LITERAL && (e->value == NULL || e->value->null_count > 0);
}

gboolean
weft_expr_is_constant (const WeftExpr *e)
{
  if (e->kind == WEFT_EXPR_COLUMN)
    return FALSE;
  for (guint i = 0; i < e->n_children; i++)
    if (!weft_expr_is_constant (e->children[i]))
      return FALSE;
  return TRUE;
}

WeftExpr *
weft_expr_fold (const WeftExpr *e)
{
  g_autofree WeftExpr **kids = NULL;
  gboolean changed = FALSE, all_literal = TRUE;
  WeftExpr *c;

  g_return_val_if_fail (e != NULL, NULL);
  if (e->kind == WEFT_EXPR_COLUMN || e->kind == WEFT_EXPR_LITERAL || !e->resolved)
    return weft_expr_ref ((WeftExpr *) e);

  kids = g_new (WeftExpr *, e->n_children);
  for (guint i = 0; i < e->n_children; i++)
    {
      kids[i] = weft_expr_fold (e->children[i]);
      changed |= kids[i] != e->children[i];
      all_literal &= kids[i]->kind == WEFT_EXPR_LITERAL;
    }

  if (e->kind != WEFT_EXPR_ALIAS && all_literal)
    {
      g_autoptr (WeftExpr) tmp = copy_with_children (e, kids);
      WeftColumn *value = expr_eval_scalar (tmp);

      return expr_new_literal (value);
    }

  if (e->kind == WEFT_EXPR_CALL)
    switch (e->op)
      {
      case WEFT_EXPR_OP_AND:
      case WEFT_EXPR_OP_OR:
        {
          /* AND: false wins and true is neutral; OR the other way round. Both hold in
           * three-valued logic (false AND null is false, true OR null is true). */
          gboolean absorbing = e->op == WEFT_EXPR_OP_OR;

          for (guint i = 0; i < 2; i++)
            if (is_bool_literal (kids[i], absorbing))
              {
                c = weft_expr_ref (kids[i]);
                goto done;
              }
          for (guint i = 0; i < 2; i++)
            if (is_bool_literal (kids[i], !absorbing))
              {
                c = weft_expr_ref (kids[1 - i]);
                goto done;
              }
        }
        break;
      case WEFT_EXPR_OP_NOT:
        if (kids[0]->kind == WEFT_EXPR_CALL && kids[0]->op == WEFT_EXPR_OP_NOT)
          {
            c = weft_expr_ref (kids[0]->children[0]);
            goto done;
          }
        break;
      case WEFT_EXPR_OP_COALESCE:
        {
          g_autoptr (GPtrArray) keep = g_ptr_array_new ();

          for (guint i = 0; i < e->n_children; i++)
            {
              if (is_null_literal (kids[i]))
                continue;
              g_ptr_array_add (keep, kids[i]);
              /* A value that is never null ends the search: later arguments are dead. */
              if (kids[i]->kind == WEFT_EXPR_LITERAL)
                break;
            }
          if (keep->len == 0)
            c = lit_null_typed (e->type);
          else if (keep->len == 1)
            c = weft_expr_ref (keep->pdata[0]);
          else if (keep->len == e->n_children)
            break;
          else
            {
              WeftExpr **args = (WeftExpr **) keep->pdata;

              for (guint i = 0; i < keep->len; i++)
                weft_expr_ref (args[i]);
              c = weft_expr_new_op (WEFT_EXPR_OP_COALESCE, args, keep->len);
              c->type = e->type;
              c->nullable = e->nullable;
              c->resolved = TRUE;
            }
          goto done;
        }
      default:
        break;
      }

  if (!changed)
    {
      for (guint i = 0; i < e->n_children; i++)
        weft_expr_unref (kids[i]);
      return weft_expr_ref ((WeftExpr *) e);
    }
  c = copy_with_children (e, kids);
  return c;

done:
  for (guint i = 0; i < e->n_children; i++)
    weft_expr_unref (kids[i]);
  return c;
}

/* ---- Columns, remapping, equality --------------------------------------------------------- */

void
weft_expr_columns (const WeftExpr *e, GArray *indices)
{
  if (e->kind == WEFT_EXPR_COLUMN)
    {
      guint index = (guint) e->column;

      g_return_if_fail (e->column >= 0);
      for (guint i = 0; i < indices->len; i++)
        if (g_array_index (indices, guint, i) == index)
          return;
      g_array_append_val (indices, index);
      return;
    }
  for (guint i = 0; i < e->n_children; i++)
    weft_expr_columns (e->children[i], indices);
}

WeftExpr *
weft_expr_remap (const WeftExpr *e, const int *old_to_new)
{
  g_autofree WeftExpr **kids = NULL;

  if (e->kind == WEFT_EXPR_COLUMN)
    {
      WeftExpr *c;

      g_return_val_if_fail (e->column >= 0 && old_to_new[e->column] >= 0,
                            weft_expr_ref ((WeftExpr *) e));
      if (old_to_new[e->column] == e->column)
        return weft_expr_ref ((WeftExpr *) e);
      c = copy_with_children (e, NULL);
      c->column = old_to_new[e->column];
      return c;
    }
  if (e->n_children == 0)
    return weft_expr_ref ((WeftExpr *) e);
  kids = g_new (WeftExpr *, e->n_children);
  for (guint i = 0; i < e->n_children; i++)
    kids[i] = weft_expr_remap (e->children[i], old_to_new);
  return copy_with_children (e, kids);
}

static gboolean
literal_equal (const WeftColumn *a, const WeftColumn *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  return weft_column_equal (a, b);
}

gboolean
weft_expr_equal (const WeftExpr *a, const WeftExpr *b)
{
  if (a == b)
    return TRUE;
  if (a->kind != b->kind || a->op != b->op || a->type != b->type
      || a->n_children != b->n_children || a->column != b->column || a->implicit != b->implicit)
    return FALSE;
  switch (a->kind)
    {
    case WEFT_EXPR_COLUMN:
      /* Resolved references are equal by index (case may differ in how the user wrote them). */
      if (a->column < 0 && g_strcmp0 (a->name, b->name) != 0)
        return FALSE;
      break;
    case WEFT_EXPR_ALIAS:
    case WEFT_EXPR_CALL:
      if (g_strcmp0 (a->name, b->name) != 0)
        return FALSE;
      break;
    case WEFT_EXPR_LITERAL:
      return literal_equal (a->value, b->value);
    case WEFT_EXPR_CAST:
      break;
    }
  for (guint i = 0; i < a->n_children; i++)
    if (!weft_expr_equal (a->children[i], b->children[i]))
      return FALSE;
  return TRUE;
}

guint
weft_expr_hash (const WeftExpr *e)
{
  guint h = (guint) e->kind * 31u + (guint) e->op * 7u + (guint) e->type;

  switch (e->kind)
    {
    case WEFT_EXPR_COLUMN:
      h = h * 31u + (e->column >= 0 ? (guint) e->column : g_str_hash (e->name));
      break;
    case WEFT_EXPR_LITERAL:
      if (e->value != NULL && e->value->null_count == 0)
        {
          if (e->type == WEFT_DATA_TYPE_STRING)
            {
              gsize len;
              const char *s = weft_column_get_string (e->value, 0, &len);

              for (gsize i = 0; i < len; i++)
                h = h * 31u + (guchar) s[i];
            }
          else if (e->type == WEFT_DATA_TYPE_DOUBLE)
            h = h * 31u + (isnan (e->value->values.f64[0]) ? 1u : g_double_hash (e->value->values.f64));
          else if (e->type == WEFT_DATA_TYPE_INT64)
            h = h * 31u + g_int64_hash (e->value->values.i64);
          else if (e->type == WEFT_DATA_TYPE_DATE)
            h = h * 31u + (guint) e->value->values.date[0];
          else
            h = h * 31u + e->value->values.b[0];
        }
      break;
    default:
      if (e->name != NULL)
        h = h * 31u + g_str_hash (e->name);
      break;
    }
  for (guint i = 0; i < e->n_children; i++)
    h = h * 31u + weft_expr_hash (e->children[i]);
  return h;
}

void
weft_expr_split_conjuncts (const WeftExpr *e, GPtrArray *out)
{
  if (e->kind == WEFT_EXPR_CALL && e->op == WEFT_EXPR_OP_AND && e->n_children == 2)
    {
      weft_expr_split_conjuncts (e->children[0], out);
      weft_expr_split_conjuncts (e->children[1], out);
      return;
    }
  g_ptr_array_add (out, weft_expr_ref ((WeftExpr *) e));
}

/* ---- Wire: resolved trees rebuilt from a driver's bytes (weft-task-rpc.c) ------------------ */

static gboolean
wire_error (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
wire_error (GError **error, const char *format, ...)
{
  va_list ap;
  g_autofree char *message = NULL;

  va_start (ap, format);
  message = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_set_error_literal (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_MALFORMED, message);
  return FALSE;
}

/* Resolution never leaves a node untyped or unresolved under a resolved parent. */
static gboolean
wire_typed (const WeftExpr *e, const char *what, GError **error)
{
  if (!e->resolved || !WEFT_DATA_TYPE_IS_VALID (e->type))
    return wire_error (error, "%s is not a resolved, typed expression", what);
  return TRUE;
}

WeftExpr *
expr_wire_column (guint index, const char *name, WeftDataType type, gboolean nullable)
{
  WeftExpr *c;

  g_return_val_if_fail (index <= G_MAXINT && WEFT_DATA_TYPE_IS_VALID (type), NULL);
  c = expr_new (WEFT_EXPR_COLUMN);
  c->name = g_strdup (name != NULL ? name : "");
  c->column = (int) index;
  c->type = type;
  c->nullable = nullable;
  c->resolved = TRUE;
  return c;
}

WeftExpr *
expr_wire_null (WeftDataType type)
{
  g_return_val_if_fail (WEFT_DATA_TYPE_IS_VALID (type), NULL);
  return lit_null_typed (type);
}

WeftExpr *
expr_wire_call (WeftExprOp op, WeftExpr **args, guint n_args, gboolean nullable, GError **error)
{
  g_autoptr (WeftExpr) c = expr_new (WEFT_EXPR_CALL);
  g_autofree WeftExpr **given = NULL;
  const OpInfo *info;
  GError *local = NULL;

  /* The node owns the arguments from here on, whatever happens. */
  c->n_children = n_args;
  c->children = g_new (WeftExpr *, MAX (n_args, 1));
  if (n_args > 0)
    memcpy (c->children, args, n_args * sizeof *args);
  if (op <= WEFT_EXPR_OP_NONE || op >= WEFT_EXPR_N_OPS)
    {
      wire_error (error, "unknown function %d", (int) op);
      return NULL;
    }
  c->op = op;
  info = &op_info[op];
  if (n_args < info->min_args || n_args > info->max_args)
    {
      wire_error (error, "%s called with %u arguments", info->name, n_args);
      return NULL;
    }
  for (guint i = 0; i < n_args; i++)
    {
      g_autofree char *what = g_strdup_printf ("argument %u of %s", i + 1, info->name);

      if (!wire_typed (c->children[i], what, error))
        return NULL;
      /* type_call() folds IN's list into literals and asserts it got them. */
      if (op == WEFT_EXPR_OP_IN && i > 0 && c->children[i]->kind != WEFT_EXPR_LITERAL)
        {
          wire_error (error, "%s is not a literal", what);
          return NULL;
        }
    }
  given = g_memdup2 (c->children, MAX (n_args, 1) * sizeof *c->children);
  if (!type_call (c, &local))
    {
      wire_error (error, "%s", local->message);
      g_error_free (local);
      return NULL;
    }
  /* A resolved call's arguments already have the types its function takes: had type_call()
   * coerced one, the sender's tree is not one resolution makes (the evaluator's kernels rely on
   * those types). Only pointers are compared: a replaced argument may be gone. */
  for (guint i = 0; i < n_args; i++)
    if (c->children[i] != given[i])
      {
        wire_error (error, "argument %u of %s (%s) is not of the type %s takes", i + 1, info->name,
                    weft_data_type_name (c->children[i]->type), info->name);
        return NULL;
      }
  c->resolved = TRUE;
  c->nullable = nullable;
  return g_steal_pointer (&c);
}

WeftExpr *
expr_wire_cast (WeftExpr *child, WeftDataType type, gboolean implicit, gboolean nullable,
                GError **error)
{
  g_autoptr (WeftExpr) kid = child;
  WeftExpr *c;

  if (!wire_typed (kid, "the argument of a cast", error))
    return NULL;
  if (!WEFT_DATA_TYPE_IS_VALID (type) || !can_cast (kid->type, type))
    {
      wire_error (error, "cannot cast %s to %s", weft_data_type_name (kid->type),
                  weft_data_type_name (type));
      return NULL;
    }
  c = weft_expr_cast (g_steal_pointer (&kid), type);
  c->implicit = implicit;
  c->nullable = nullable;
  c->resolved = TRUE;
  return c;
}

WeftExpr *
expr_wire_alias (WeftExpr *child, const char *name, gboolean nullable, GError **error)
{
  g_autoptr (WeftExpr) kid = child;
  WeftExpr *a;

  if (!wire_typed (kid, "an aliased expression", error))
    return NULL;
  if (name == NULL)
    {
      wire_error (error, "an alias without a name");
      return NULL;
    }
  a = weft_expr_alias (g_steal_pointer (&kid), name);
  a->type = a->children[0]->type;
  a->nullable = nullable;
  a->resolved = TRUE;
  return a;
}
