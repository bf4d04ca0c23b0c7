/* weft-plan: logical plan nodes. See weft-plan.h. */
#include "weft-plan.h"

#include <string.h>

#include "weft-engine-error.h"

const char *
weft_agg_func_name (WeftAggFunc func)
{
  switch (func)
    {
    case WEFT_AGG_COUNT_STAR: case WEFT_AGG_COUNT: case WEFT_AGG_COUNT_DISTINCT: return "count";
    case WEFT_AGG_SUM: return "sum";
    case WEFT_AGG_AVG: return "avg";
    case WEFT_AGG_MIN: return "min";
    case WEFT_AGG_MAX: return "max";
    default: return "?";
    }
}

const char *
weft_join_type_name (WeftJoinType type)
{
  switch (type)
    {
    case WEFT_JOIN_INNER: return "Inner";
    case WEFT_JOIN_LEFT: return "LeftOuter";
    case WEFT_JOIN_RIGHT: return "RightOuter";
    case WEFT_JOIN_FULL: return "FullOuter";
    case WEFT_JOIN_LEFT_SEMI: return "LeftSemi";
    case WEFT_JOIN_LEFT_ANTI: return "LeftAnti";
    default: return "?";
    }
}

static GPtrArray *
copy_exprs (const GPtrArray *src)
{
  GPtrArray *a = g_ptr_array_new_with_free_func ((GDestroyNotify) weft_expr_unref);
  for (guint i = 0; i < src->len; i++)
    g_ptr_array_add (a, weft_expr_ref (src->pdata[i]));
  return a;
}

static WeftPlan *
node_new (WeftPlanKind kind, WeftPlan *child)
{
  WeftPlan *p = g_new0 (WeftPlan, 1);
  p->refs = 1;
  p->kind = kind;
  p->child = child ? weft_plan_ref (child) : NULL;
  return p;
}

static void
agg_free (WeftPlanAgg *a)
{
  if (a->input)
    weft_expr_unref (a->input);
  g_free (a->name);
  g_free (a);
}

WeftPlan *
weft_plan_ref (WeftPlan *p)
{
  g_atomic_int_inc (&p->refs);
  return p;
}

void
weft_plan_unref (WeftPlan *p)
{
  if (p == NULL || !g_atomic_int_dec_and_test (&p->refs))
    return;
  if (p->child)
    weft_plan_unref (p->child);
  if (p->right)
    weft_plan_unref (p->right);
  if (p->right_exprs)
    g_ptr_array_unref (p->right_exprs);
  if (p->join_out)
    g_array_unref (p->join_out);
  if (p->schema)
    weft_schema_unref (p->schema);
  g_strfreev (p->files);
  if (p->csv)
    weft_csv_options_free (p->csv);
  if (p->file_schema)
    weft_schema_unref (p->file_schema);
  g_free (p->projection);
  if (p->pushed)
    weft_expr_unref (p->pushed);
  if (p->rows)
    weft_batch_free (p->rows);
  if (p->predicate)
    weft_expr_unref (p->predicate);
  if (p->exprs)
    g_ptr_array_unref (p->exprs);
  if (p->aggs)
    g_ptr_array_unref (p->aggs);
  if (p->sort_keys)
    {
      for (guint i = 0; i < p->sort_keys->len; i++)
        weft_expr_unref (g_array_index (p->sort_keys, WeftPlanSortKey, i).expr);
      g_array_unref (p->sort_keys);
    }
  g_free (p);
}

WeftPlan *
weft_plan_copy_node (const WeftPlan *src)
{
  WeftPlan *p = node_new (src->kind, src->child);
  p->schema = src->schema ? weft_schema_ref (src->schema) : NULL;
  p->files = g_strdupv (src->files);
  p->csv = src->csv ? weft_csv_options_copy (src->csv) : NULL;
  p->file_schema = src->file_schema ? weft_schema_ref (src->file_schema) : NULL;
  p->projection = src->projection ? g_memdup2 (src->projection, src->n_projection * sizeof (guint)) : NULL;
  p->n_projection = src->n_projection;
  p->pushed = src->pushed ? weft_expr_ref (src->pushed) : NULL;
  p->rows = src->rows ? weft_batch_slice (src->rows, 0, src->rows->n_rows) : NULL;
  p->n_partitions = src->n_partitions;
  p->predicate = src->predicate ? weft_expr_ref (src->predicate) : NULL;
  if (src->exprs)
    p->exprs = copy_exprs (src->exprs);
  p->right = src->right ? weft_plan_ref (src->right) : NULL;
  p->join_type = src->join_type;
  p->right_exprs = src->right_exprs ? copy_exprs (src->right_exprs) : NULL;
  p->join_out = src->join_out ? g_array_copy (src->join_out) : NULL;
  p->using_keys = src->using_keys;
  if (src->aggs)
    {
      p->aggs = g_ptr_array_new_with_free_func ((GDestroyNotify) agg_free);
      for (guint i = 0; i < src->aggs->len; i++)
        {
          const WeftPlanAgg *a = src->aggs->pdata[i];
          WeftPlanAgg *c = g_new0 (WeftPlanAgg, 1);
          *c = (WeftPlanAgg) { a->func, a->input ? weft_expr_ref (a->input) : NULL, g_strdup (a->name) };
          g_ptr_array_add (p->aggs, c);
        }
    }
  if (src->sort_keys)
    {
      p->sort_keys = g_array_copy (src->sort_keys);
      for (guint i = 0; i < p->sort_keys->len; i++)
        weft_expr_ref (g_array_index (p->sort_keys, WeftPlanSortKey, i).expr);
    }
  p->limit = src->limit;
  return p;
}

WeftPlan *
weft_plan_csv_scan (const char *const *files, const WeftCsvOptions *csv, WeftSchema *file_schema)
{
  WeftPlan *p = node_new (WEFT_PLAN_CSV_SCAN, NULL);
  p->files = g_strdupv ((char **) files);
  p->csv = weft_csv_options_copy (csv);
  p->file_schema = weft_schema_ref (file_schema);
  p->schema = weft_schema_ref (file_schema);
  p->n_projection = weft_schema_get_n_fields (file_schema);
  p->projection = g_new (guint, MAX (p->n_projection, 1));
  for (guint i = 0; i < p->n_projection; i++)
    p->projection[i] = i;
  return p;
}

WeftPlan *
weft_plan_stub (WeftSchema *schema)
{
  WeftPlan *p = node_new (WEFT_PLAN_STUB, NULL);
  p->schema = weft_schema_ref (schema);
  return p;
}

WeftPlan *
weft_plan_rows (WeftBatch *rows, guint n_partitions)
{
  WeftPlan *p = node_new (WEFT_PLAN_ROWS, NULL);
  p->rows = rows;
  p->schema = weft_schema_ref (rows->schema);
  p->n_partitions = MAX (n_partitions, 1);
  return p;
}

WeftPlan *
weft_plan_filter (WeftPlan *child, const WeftExpr *condition, GError **error)
{
  g_autoptr(WeftExpr) r = weft_expr_resolve (condition, child->schema, error);
  if (r == NULL)
    return NULL;
  if (weft_expr_get_type (r) != WEFT_DATA_TYPE_BOOL)
    {
      g_autofree char *s = weft_expr_to_string (r);
      g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_SCHEMA,
                   "filter condition %s is not a boolean", s);
      return NULL;
    }
  WeftPlan *p = node_new (WEFT_PLAN_FILTER, child);
  p->predicate = g_steal_pointer (&r);
  p->schema = weft_schema_ref (child->schema);
  return p;
}

WeftPlan *
weft_plan_project (WeftPlan *child, WeftExpr *const *exprs, guint n, GError **error)
{
  g_autoptr(GPtrArray) resolved = g_ptr_array_new_with_free_func ((GDestroyNotify) weft_expr_unref);
  g_autoptr(WeftSchema) schema = weft_schema_new ();
  for (guint i = 0; i < n; i++)
    {
      WeftExpr *r = weft_expr_resolve (exprs[i], child->schema, error);
      if (r == NULL)
        return NULL;
      g_ptr_array_add (resolved, r);
      g_autofree char *name = weft_expr_name (r);
      weft_schema_add_field (schema, name, weft_expr_get_type (r), weft_expr_get_nullable (r));
    }
  WeftPlan *p = node_new (WEFT_PLAN_PROJECT, child);
  p->exprs = g_steal_pointer (&resolved);
  p->schema = g_steal_pointer (&schema);
  return p;
}

static WeftDataType
agg_type (WeftAggFunc func, WeftDataType input)
{
  switch (func)
    {
    case WEFT_AGG_COUNT_STAR: case WEFT_AGG_COUNT: case WEFT_AGG_COUNT_DISTINCT:
      return WEFT_DATA_TYPE_INT64;
    case WEFT_AGG_AVG:
      return WEFT_DATA_TYPE_DOUBLE;
    default:
      return input;
    }
}

WeftPlan *
weft_plan_aggregate (WeftPlan *child, WeftExpr *const *keys, guint n_keys,
                     const WeftPlanAggSpec *aggs, guint n_aggs, GError **error)
{
  g_autoptr(WeftSchema) schema = weft_schema_new ();
  g_autoptr(GPtrArray) rkeys = g_ptr_array_new_with_free_func ((GDestroyNotify) weft_expr_unref);
  for (guint i = 0; i < n_keys; i++)
    {
      WeftExpr *r = weft_expr_resolve (keys[i], child->schema, error);
      if (r == NULL)
        return NULL;
      g_ptr_array_add (rkeys, r);
      g_autofree char *name = weft_expr_name (r);
      weft_schema_add_field (schema, name, weft_expr_get_type (r), weft_expr_get_nullable (r));
    }
  g_autoptr(GPtrArray) raggs = g_ptr_array_new_with_free_func ((GDestroyNotify) agg_free);
  for (guint i = 0; i < n_aggs; i++)
    {
      WeftPlanAgg *a = g_new0 (WeftPlanAgg, 1);
      a->func = aggs[i].func;
      g_ptr_array_add (raggs, a);
      WeftDataType in = WEFT_DATA_TYPE_INT64;
      g_autofree char *in_name = NULL;
      if (aggs[i].func != WEFT_AGG_COUNT_STAR)
        {
          a->input = weft_expr_resolve (aggs[i].input, child->schema, error);
          if (a->input == NULL)
            return NULL;
          in = weft_expr_get_type (a->input);
          in_name = weft_expr_name (a->input);
          if ((a->func == WEFT_AGG_SUM || a->func == WEFT_AGG_AVG)
              && in != WEFT_DATA_TYPE_INT64 && in != WEFT_DATA_TYPE_DOUBLE)
            {
              g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_SCHEMA,
                           "%s(%s) needs a number, and %s is not one: cast it first",
                           weft_agg_func_name (a->func), in_name, in_name);
              return NULL;
            }
        }
      if (aggs[i].alias)
        a->name = g_strdup (aggs[i].alias);
      else if (a->func == WEFT_AGG_COUNT_STAR)
        a->name = g_strdup ("count(1)");
      else if (a->func == WEFT_AGG_COUNT_DISTINCT)
        a->name = g_strdup_printf ("count(DISTINCT %s)", in_name);
      else
        a->name = g_strdup_printf ("%s(%s)", weft_agg_func_name (a->func), in_name);
      gboolean counts = a->func == WEFT_AGG_COUNT_STAR || a->func == WEFT_AGG_COUNT
                        || a->func == WEFT_AGG_COUNT_DISTINCT;
      weft_schema_add_field (schema, a->name, agg_type (a->func, in), !counts);
    }
  WeftPlan *p = node_new (WEFT_PLAN_AGGREGATE, child);
  p->exprs = g_steal_pointer (&rkeys);
  p->aggs = g_steal_pointer (&raggs);
  p->schema = g_steal_pointer (&schema);
  return p;
}

WeftPlan *
weft_plan_sort (WeftPlan *child, const WeftPlanSortKey *keys, guint n, GError **error)
{
  g_autoptr(GArray) rk = g_array_new (FALSE, FALSE, sizeof (WeftPlanSortKey));
  for (guint i = 0; i < n; i++)
    {
      WeftPlanSortKey k = keys[i];
      k.expr = weft_expr_resolve (keys[i].expr, child->schema, error);
      if (k.expr == NULL)
        {
          for (guint j = 0; j < rk->len; j++)
            weft_expr_unref (g_array_index (rk, WeftPlanSortKey, j).expr);
          return NULL;
        }
      g_array_append_val (rk, k);
    }
  WeftPlan *p = node_new (WEFT_PLAN_SORT, child);
  p->sort_keys = g_steal_pointer (&rk);
  p->schema = weft_schema_ref (child->schema);
  return p;
}

static WeftPlan *
passthrough (WeftPlanKind kind, WeftPlan *child)
{
  WeftPlan *p = node_new (kind, child);
  p->schema = weft_schema_ref (child->schema);
  return p;
}

WeftPlan *
weft_plan_limit (WeftPlan *child, gint64 n)
{
  WeftPlan *p = passthrough (WEFT_PLAN_LIMIT, child);
  p->limit = MAX (n, 0);
  return p;
}

WeftPlan *
weft_plan_coalesce (WeftPlan *child, guint n)
{
  WeftPlan *p = passthrough (WEFT_PLAN_COALESCE, child);
  p->n_partitions = MAX (n, 1);
  return p;
}

WeftPlan *
weft_plan_repartition (WeftPlan *child, guint n)
{
  WeftPlan *p = passthrough (WEFT_PLAN_REPARTITION, child);
  p->n_partitions = MAX (n, 1);
  return p;
}

WeftPlan *
weft_plan_repartition_by (WeftPlan *child, guint n, WeftExpr *const *keys, guint n_keys,
                          GError **error)
{
  if (n == 0)
    {
      g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION,
                   "repartition: the number of partitions (0) must be positive");
      return NULL;
    }
  g_autoptr(GPtrArray) resolved = g_ptr_array_new_with_free_func ((GDestroyNotify) weft_expr_unref);
  for (guint i = 0; i < n_keys; i++)
    {
      WeftExpr *r = weft_expr_resolve (keys[i], child->schema, error);
      if (r == NULL)
        return NULL;
      g_ptr_array_add (resolved, r);
    }
  WeftPlan *p = weft_plan_repartition (child, n);
  if (n_keys > 0)
    p->exprs = g_steal_pointer (&resolved);
  return p;
}

WeftExpr *
weft_plan_column_ref (const WeftSchema *schema, guint index)
{
  /* Resolve the name against a schema of that one field (no ambiguity), then renumber. */
  const WeftField *f = weft_schema_get_field (schema, index);
  g_autoptr(WeftSchema) one = weft_schema_new ();
  weft_schema_add_field (one, f->name, f->type, f->nullable);
  g_autoptr(WeftExpr) col = weft_expr_col (f->name);
  g_autoptr(WeftExpr) r = weft_expr_resolve_full (col, one, WEFT_EXPR_RESOLVE_CASE_SENSITIVE, NULL);
  g_assert (r != NULL);
  int map[1] = { (int) index };
  return weft_expr_remap (r, map);
}

WeftPlan *
weft_plan_select_indices (WeftPlan *child, const guint *indices, guint n)
{
  WeftPlan *p = node_new (WEFT_PLAN_PROJECT, child);
  p->exprs = g_ptr_array_new_with_free_func ((GDestroyNotify) weft_expr_unref);
  for (guint i = 0; i < n; i++)
    g_ptr_array_add (p->exprs, weft_plan_column_ref (child->schema, indices[i]));
  p->schema = weft_schema_select (child->schema, indices, n);
  return p;
}

WeftPlan *
weft_plan_distinct (WeftPlan *child)
{
  WeftPlan *p = node_new (WEFT_PLAN_AGGREGATE, child);
  guint n = weft_schema_get_n_fields (child->schema);
  p->exprs = g_ptr_array_new_with_free_func ((GDestroyNotify) weft_expr_unref);
  p->schema = weft_schema_new ();
  for (guint i = 0; i < n; i++)
    {
      const WeftField *f = weft_schema_get_field (child->schema, i);
      g_ptr_array_add (p->exprs, weft_plan_column_ref (child->schema, i));
      weft_schema_add_field (p->schema, f->name, f->type, f->nullable);
    }
  p->aggs = g_ptr_array_new_with_free_func ((GDestroyNotify) agg_free);
  return p;
}

/* The type two keys compare as, or 0 when they cannot be compared. */
static WeftDataType
common_key_type (WeftDataType a, WeftDataType b)
{
  if (a == b)
    return a;
  if ((a == WEFT_DATA_TYPE_INT64 && b == WEFT_DATA_TYPE_DOUBLE)
      || (a == WEFT_DATA_TYPE_DOUBLE && b == WEFT_DATA_TYPE_INT64))
    return WEFT_DATA_TYPE_DOUBLE;
  return 0;
}

static void
add_out (WeftPlan *p, WeftPlanJoinOutKind from, guint index, const char *name, WeftDataType type,
         gboolean nullable)
{
  WeftPlanJoinOut o = { from, index };
  g_array_append_val (p->join_out, o);
  weft_schema_add_field (p->schema, name, type, nullable);
}

/* Takes over @lkeys and @rkeys (resolved). */
static WeftPlan *
join_new (WeftPlan *left, WeftPlan *right, GPtrArray *lkeys, GPtrArray *rkeys, WeftJoinType type,
          gboolean using_keys, GError **error)
{
  g_autoptr(GPtrArray) lk = lkeys;
  g_autoptr(GPtrArray) rk = rkeys;
  if (lk->len == 0)
    {
      g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_SCHEMA,
                   "a join needs at least one pair of keys (cross joins are not supported)");
      return NULL;
    }
  if (type > WEFT_JOIN_LEFT_ANTI)
    {
      g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION, "unknown join type %d",
                   (int) type);
      return NULL;
    }
  for (guint k = 0; k < lk->len; k++)
    {
      WeftDataType lt = weft_expr_get_type (lk->pdata[k]), rt = weft_expr_get_type (rk->pdata[k]);
      if (common_key_type (lt, rt) == 0)
        {
          g_autofree char *ls = weft_expr_name (lk->pdata[k]);
          g_autofree char *rs = weft_expr_name (rk->pdata[k]);
          g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_SCHEMA,
                       "join keys %s (%s) and %s (%s) have types that cannot be compared: cast one",
                       ls, weft_data_type_name (lt), rs, weft_data_type_name (rt));
          return NULL;
        }
    }
  gboolean left_only = type == WEFT_JOIN_LEFT_SEMI || type == WEFT_JOIN_LEFT_ANTI;
  gboolean pad_left = type == WEFT_JOIN_RIGHT || type == WEFT_JOIN_FULL;
  gboolean pad_right = type == WEFT_JOIN_LEFT || type == WEFT_JOIN_FULL;
  guint nl = weft_schema_get_n_fields (left->schema), nr = weft_schema_get_n_fields (right->schema);
  WeftPlan *p = node_new (WEFT_PLAN_JOIN, left);
  p->right = weft_plan_ref (right);
  p->join_type = type;
  p->using_keys = using_keys;
  p->join_out = g_array_new (FALSE, FALSE, sizeof (WeftPlanJoinOut));
  p->schema = weft_schema_new ();
  g_autofree gboolean *lkey = g_new0 (gboolean, MAX (nl, 1));
  g_autofree gboolean *rkey = g_new0 (gboolean, MAX (nr, 1));
  if (using_keys)
    for (guint k = 0; k < lk->len; k++)
      {
        const WeftExpr *l = lk->pdata[k], *r = rk->pdata[k];
        lkey[weft_expr_get_column (l)] = TRUE;
        rkey[weft_expr_get_column (r)] = TRUE;
        WeftDataType t = common_key_type (weft_expr_get_type (l), weft_expr_get_type (r));
        gboolean nullable = type == WEFT_JOIN_RIGHT ? weft_expr_get_nullable (r)
                            : type == WEFT_JOIN_FULL ? weft_expr_get_nullable (l) && weft_expr_get_nullable (r)
                            : weft_expr_get_nullable (l);
        const char *name = weft_schema_get_field (type == WEFT_JOIN_RIGHT ? right->schema : left->schema,
                                                  (guint) weft_expr_get_column (type == WEFT_JOIN_RIGHT ? r : l))->name;
        add_out (p, WEFT_PLAN_JOIN_OUT_KEY, k, name, t, nullable);
      }
  for (guint i = 0; i < nl; i++)
    if (!lkey[i])
      {
        const WeftField *f = weft_schema_get_field (left->schema, i);
        add_out (p, WEFT_PLAN_JOIN_OUT_LEFT, i, f->name, f->type, f->nullable || pad_left);
      }
  for (guint i = 0; !left_only && i < nr; i++)
    if (!rkey[i])
      {
        const WeftField *f = weft_schema_get_field (right->schema, i);
        add_out (p, WEFT_PLAN_JOIN_OUT_RIGHT, i, f->name, f->type, f->nullable || pad_right);
      }
  p->exprs = g_steal_pointer (&lk);
  p->right_exprs = g_steal_pointer (&rk);
  return p;
}

WeftPlan *
weft_plan_join (WeftPlan *left, WeftPlan *right, WeftExpr *const *left_keys,
                WeftExpr *const *right_keys, guint n_keys, WeftJoinType type, GError **error)
{
  GPtrArray *lk = g_ptr_array_new_with_free_func ((GDestroyNotify) weft_expr_unref);
  GPtrArray *rk = g_ptr_array_new_with_free_func ((GDestroyNotify) weft_expr_unref);
  for (guint k = 0; k < n_keys; k++)
    {
      WeftExpr *l = weft_expr_resolve (left_keys[k], left->schema, error);
      WeftExpr *r = l ? weft_expr_resolve (right_keys[k], right->schema, error) : NULL;
      if (r == NULL)
        {
          if (l)
            weft_expr_unref (l);
          g_ptr_array_unref (lk);
          g_ptr_array_unref (rk);
          g_prefix_error (error, "join key %u: ", k);
          return NULL;
        }
      g_ptr_array_add (lk, l);
      g_ptr_array_add (rk, r);
    }
  return join_new (left, right, lk, rk, type, FALSE, error);
}

/* The one column of @schema named @name (case-insensitively), or -1 with @error. */
static int
find_using_column (const WeftSchema *schema, const char *name, const char *side, GError **error)
{
  int found = -1;
  for (guint i = 0; i < weft_schema_get_n_fields (schema); i++)
    if (g_ascii_strcasecmp (weft_schema_get_field (schema, i)->name, name) == 0)
      {
        if (found >= 0)
          {
            g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_SCHEMA,
                         "USING column `%s` is ambiguous on the %s side of the join", name, side);
            return -1;
          }
        found = (int) i;
      }
  if (found < 0)
    {
      g_autofree char *cols = weft_schema_to_string (schema);
      g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_SCHEMA,
                   "USING column `%s` cannot be resolved on the %s side of the join; its columns "
                   "are: %s", name, side, cols);
    }
  return found;
}

WeftPlan *
weft_plan_join_using (WeftPlan *left, WeftPlan *right, const char *const *columns, guint n,
                      WeftJoinType type, GError **error)
{
  GPtrArray *lk = g_ptr_array_new_with_free_func ((GDestroyNotify) weft_expr_unref);
  GPtrArray *rk = g_ptr_array_new_with_free_func ((GDestroyNotify) weft_expr_unref);
  for (guint k = 0; k < n; k++)
    {
      int l = find_using_column (left->schema, columns[k], "left", error);
      int r = l >= 0 ? find_using_column (right->schema, columns[k], "right", error) : -1;
      for (guint j = 0; r >= 0 && j < k; j++)
        if (g_ascii_strcasecmp (columns[j], columns[k]) == 0)
          {
            g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_SCHEMA,
                         "USING column `%s` is given twice", columns[k]);
            r = -1;
          }
      if (r < 0)
        {
          g_ptr_array_unref (lk);
          g_ptr_array_unref (rk);
          return NULL;
        }
      g_ptr_array_add (lk, weft_plan_column_ref (left->schema, (guint) l));
      g_ptr_array_add (rk, weft_plan_column_ref (right->schema, (guint) r));
    }
  return join_new (left, right, lk, rk, type, TRUE, error);
}

WeftPlan *
weft_plan_union (WeftPlan *left, WeftPlan *right, GError **error)
{
  guint nl = weft_schema_get_n_fields (left->schema), nr = weft_schema_get_n_fields (right->schema);
  if (nl != nr)
    {
      g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_SCHEMA,
                   "union can only be performed on inputs with the same number of columns, but "
                   "the first has %u columns and the second has %u", nl, nr);
      return NULL;
    }
  g_autoptr(WeftSchema) schema = weft_schema_new ();
  for (guint i = 0; i < nl; i++)
    {
      const WeftField *a = weft_schema_get_field (left->schema, i);
      const WeftField *b = weft_schema_get_field (right->schema, i);
      WeftDataType t = common_key_type (a->type, b->type);
      if (t == 0)
        {
          g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_SCHEMA,
                       "union can only be performed on inputs with compatible column types: "
                       "column %u of the second input (%s) is %s, not compatible with %s (%s) of "
                       "the first", i + 1, b->name, weft_data_type_name (b->type), a->name,
                       weft_data_type_name (a->type));
          return NULL;
        }
      weft_schema_add_field (schema, a->name, t, a->nullable || b->nullable);
    }
  WeftPlan *p = node_new (WEFT_PLAN_UNION, left);
  p->right = weft_plan_ref (right);
  p->schema = g_steal_pointer (&schema);
  return p;
}

/* ---- printing ---- */

static void
append_exprs (GString *s, GPtrArray *exprs)
{
  for (guint i = 0; exprs && i < exprs->len; i++)
    {
      g_autofree char *e = weft_expr_to_string (exprs->pdata[i]);
      g_string_append_printf (s, "%s%s", i ? ", " : "", e);
    }
}

static void
describe (GString *s, const WeftPlan *p)
{
  switch (p->kind)
    {
    case WEFT_PLAN_CSV_SCAN:
      {
        g_string_append (s, "CsvScan [");
        for (guint i = 0; i < p->n_projection; i++)
          g_string_append_printf (s, "%s%s", i ? ", " : "",
                                  weft_schema_get_field (p->file_schema, p->projection[i])->name);
        g_string_append (s, "]");
        if (p->n_projection < weft_schema_get_n_fields (p->file_schema))
          g_string_append_printf (s, " (pruned: %u of %u columns)", p->n_projection,
                                  weft_schema_get_n_fields (p->file_schema));
        if (p->pushed)
          {
            g_autofree char *e = weft_expr_to_string (p->pushed);
            g_string_append_printf (s, " PushedFilter: %s", e);
          }
        g_string_append_printf (s, " %s%s", p->files && p->files[0] ? p->files[0] : "",
                                p->files && p->files[0] && p->files[1] ? ", ..." : "");
        break;
      }
    case WEFT_PLAN_STUB:
      g_string_append_printf (s, "ShuffleInput [%u columns]", weft_schema_get_n_fields (p->schema));
      break;
    case WEFT_PLAN_ROWS:
      g_string_append_printf (s, "LocalRelation [%u columns], %zu rows",
                              weft_schema_get_n_fields (p->schema), p->rows->n_rows);
      break;
    case WEFT_PLAN_FILTER:
      {
        g_autofree char *e = weft_expr_to_string (p->predicate);
        g_string_append_printf (s, "Filter %s", e);
        break;
      }
    case WEFT_PLAN_PROJECT:
      g_string_append (s, "Project [");
      append_exprs (s, p->exprs);
      g_string_append (s, "]");
      break;
    case WEFT_PLAN_AGGREGATE:
      g_string_append (s, "Aggregate [");
      append_exprs (s, p->exprs);
      g_string_append (s, "], [");
      for (guint i = 0; i < p->aggs->len; i++)
        {
          const WeftPlanAgg *a = p->aggs->pdata[i];
          g_string_append_printf (s, "%s%s", i ? ", " : "", a->name);
        }
      g_string_append (s, "]");
      break;
    case WEFT_PLAN_SORT:
      g_string_append (s, "Sort [");
      for (guint i = 0; i < p->sort_keys->len; i++)
        {
          const WeftPlanSortKey *k = &g_array_index (p->sort_keys, WeftPlanSortKey, i);
          g_autofree char *e = weft_expr_to_string (k->expr);
          g_string_append_printf (s, "%s%s %s NULLS %s", i ? ", " : "", e,
                                  k->descending ? "DESC" : "ASC", k->nulls_first ? "FIRST" : "LAST");
        }
      g_string_append (s, "]");
      break;
    case WEFT_PLAN_LIMIT:
      g_string_append_printf (s, "Limit %" G_GINT64_FORMAT, p->limit);
      break;
    case WEFT_PLAN_COALESCE:
      g_string_append_printf (s, "Coalesce %u", p->n_partitions);
      break;
    case WEFT_PLAN_REPARTITION:
      if (p->exprs)
        {
          g_string_append (s, "RepartitionByExpression [");
          append_exprs (s, p->exprs);
          g_string_append_printf (s, "], %u", p->n_partitions);
        }
      else
        g_string_append_printf (s, "Repartition %u", p->n_partitions);
      break;
    case WEFT_PLAN_JOIN:
      if (p->using_keys)
        {
          g_string_append_printf (s, "Join UsingJoin(%s, [", weft_join_type_name (p->join_type));
          for (guint k = 0; k < p->exprs->len; k++)
            g_string_append_printf (s, "%s%s", k ? ", " : "",
                                    weft_expr_get_name (p->exprs->pdata[k]));
          g_string_append (s, "]), ");
        }
      else
        g_string_append_printf (s, "Join %s, ", weft_join_type_name (p->join_type));
      for (guint k = 0; k < p->exprs->len; k++)
        {
          g_autofree char *l = weft_expr_to_string (p->exprs->pdata[k]);
          g_autofree char *r = weft_expr_to_string (p->right_exprs->pdata[k]);
          g_string_append_printf (s, "%s(%s = %s)", k ? " AND " : "", l, r);
        }
      break;
    case WEFT_PLAN_UNION:
      g_string_append (s, "Union");
      break;
    }
}

/* Spark's tree: "+- " before the last child, ":- " before the others, and ":  " down the
 * lines below a child that is not the last. */
static void
append_tree (GString *s, const WeftPlan *p, const char *prefix, const char *branch)
{
  g_string_append (s, prefix);
  g_string_append (s, branch);
  describe (s, p);
  g_string_append_c (s, '\n');
  if (p->child == NULL)
    return;
  g_autofree char *inner = g_strconcat (prefix, *branch == '\0' ? "" : *branch == ':' ? ":  " : "   ",
                                        NULL);
  if (p->right)
    {
      append_tree (s, p->child, inner, ":- ");
      append_tree (s, p->right, inner, "+- ");
    }
  else
    append_tree (s, p->child, inner, "+- ");
}

char *
weft_plan_to_string (const WeftPlan *plan)
{
  GString *s = g_string_new (NULL);
  append_tree (s, plan, "", "");
  return g_string_free (s, FALSE);
}

/* ---- nodes rebuilt from the wire (weft-task-rpc) ---- */

WeftPlan *
weft_plan_new_node (WeftPlanKind kind, WeftSchema *schema, WeftPlan *child, WeftPlan *right)
{
  WeftPlan *p = node_new (kind, child);
  p->schema = weft_schema_ref (schema);
  p->right = right ? weft_plan_ref (right) : NULL;
  return p;
}

void
weft_plan_add_agg (WeftPlan *plan, WeftAggFunc func, WeftExpr *input, const char *name)
{
  if (plan->aggs == NULL)
    plan->aggs = g_ptr_array_new_with_free_func ((GDestroyNotify) agg_free);
  WeftPlanAgg *a = g_new0 (WeftPlanAgg, 1);
  *a = (WeftPlanAgg) { func, input, g_strdup (name) };
  g_ptr_array_add (plan->aggs, a);
}

static gboolean G_GNUC_PRINTF (3, 4)
bad_node (GError **error, const WeftPlan *p, const char *format, ...)
{
  va_list ap;
  va_start (ap, format);
  g_autofree char *message = g_strdup_vprintf (format, ap);
  va_end (ap);
  /* describe() of a node that failed its checks could read past its arrays: name the kind. */
  static const char *const kinds[] = {
    [WEFT_PLAN_CSV_SCAN] = "CsvScan", [WEFT_PLAN_ROWS] = "LocalRelation",
    [WEFT_PLAN_FILTER] = "Filter", [WEFT_PLAN_PROJECT] = "Project",
    [WEFT_PLAN_AGGREGATE] = "Aggregate", [WEFT_PLAN_SORT] = "Sort", [WEFT_PLAN_LIMIT] = "Limit",
    [WEFT_PLAN_COALESCE] = "Coalesce", [WEFT_PLAN_REPARTITION] = "Repartition",
    [WEFT_PLAN_JOIN] = "Join", [WEFT_PLAN_UNION] = "Union", [WEFT_PLAN_STUB] = "ShuffleInput",
  };
  const char *kind = p->kind < G_N_ELEMENTS (kinds) && kinds[p->kind] ? kinds[p->kind] : "?";
  g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_MALFORMED, "%s: %s", kind, message);
  return FALSE;
}

/* @out has @in's number of columns and their types. */
static gboolean
same_types (const WeftPlan *p, const WeftSchema *in, GError **error)
{
  guint n = weft_schema_get_n_fields (in);
  if (weft_schema_get_n_fields (p->schema) != n)
    return bad_node (error, p, "%u output columns for an input of %u",
                     weft_schema_get_n_fields (p->schema), n);
  for (guint i = 0; i < n; i++)
    if (weft_schema_get_field (p->schema, i)->type != weft_schema_get_field (in, i)->type)
      return bad_node (error, p, "output column %u is %s, its input column %s", i,
                       weft_data_type_name (weft_schema_get_field (p->schema, i)->type),
                       weft_data_type_name (weft_schema_get_field (in, i)->type));
  return TRUE;
}

/* Output column @i is of @type. */
static gboolean
column_is (const WeftPlan *p, guint i, WeftDataType type, const char *what, GError **error)
{
  WeftDataType have = weft_schema_get_field (p->schema, i)->type;
  if (have != type)
    return bad_node (error, p, "output column %u is %s but %s is %s", i,
                     weft_data_type_name (have), what, weft_data_type_name (type));
  return TRUE;
}

static gboolean
exprs_resolved (const WeftPlan *p, const GPtrArray *exprs, const char *what, GError **error)
{
  for (guint i = 0; i < exprs->len; i++)
    if (exprs->pdata[i] == NULL || !weft_expr_is_resolved (exprs->pdata[i])
        || !WEFT_DATA_TYPE_IS_VALID (weft_expr_get_type (exprs->pdata[i])))
      return bad_node (error, p, "%s %u is not a resolved expression", what, i);
  return TRUE;
}

static gboolean
check_join (const WeftPlan *p, GError **error)
{
  if (p->join_type > WEFT_JOIN_LEFT_ANTI)
    return bad_node (error, p, "unknown join type %d", (int) p->join_type);
  if (p->exprs == NULL || p->right_exprs == NULL || p->join_out == NULL)
    return bad_node (error, p, "keys or output columns missing");
  if (p->exprs->len == 0 || p->exprs->len != p->right_exprs->len)
    return bad_node (error, p, "%u left keys and %u right keys", p->exprs->len,
                     p->right_exprs->len);
  if (!exprs_resolved (p, p->exprs, "left key", error)
      || !exprs_resolved (p, p->right_exprs, "right key", error))
    return FALSE;
  guint n_keys = p->exprs->len;
  g_autofree WeftDataType *key_type = g_new (WeftDataType, n_keys);
  for (guint k = 0; k < n_keys; k++)
    {
      const WeftExpr *l = p->exprs->pdata[k], *r = p->right_exprs->pdata[k];
      key_type[k] = common_key_type (weft_expr_get_type (l), weft_expr_get_type (r));
      if (key_type[k] == 0)
        return bad_node (error, p, "key %u compares %s with %s", k,
                         weft_data_type_name (weft_expr_get_type (l)),
                         weft_data_type_name (weft_expr_get_type (r)));
      /* The explain of a USING join names its keys: they are columns. */
      if (p->using_keys && (weft_expr_get_kind (l) != WEFT_EXPR_COLUMN
                            || weft_expr_get_kind (r) != WEFT_EXPR_COLUMN))
        return bad_node (error, p, "key %u of a USING join is not a column", k);
    }
  gboolean left_only = p->join_type == WEFT_JOIN_LEFT_SEMI || p->join_type == WEFT_JOIN_LEFT_ANTI;
  guint nl = weft_schema_get_n_fields (p->child->schema);
  guint nr = weft_schema_get_n_fields (p->right->schema);
  if (p->join_out->len != weft_schema_get_n_fields (p->schema))
    return bad_node (error, p, "%u output columns but %u sources",
                     weft_schema_get_n_fields (p->schema), p->join_out->len);
  for (guint i = 0; i < p->join_out->len; i++)
    {
      const WeftPlanJoinOut *o = &g_array_index (p->join_out, WeftPlanJoinOut, i);
      switch (o->from)
        {
        case WEFT_PLAN_JOIN_OUT_LEFT:
          if (o->index >= nl)
            return bad_node (error, p, "output column %u reads left column %u of %u", i,
                             o->index, nl);
          if (!column_is (p, i, weft_schema_get_field (p->child->schema, o->index)->type,
                          "its left column", error))
            return FALSE;
          break;
        case WEFT_PLAN_JOIN_OUT_RIGHT:
          if (left_only)
            return bad_node (error, p, "output column %u of a %s join reads the right input", i,
                             weft_join_type_name (p->join_type));
          if (o->index >= nr)
            return bad_node (error, p, "output column %u reads right column %u of %u", i,
                             o->index, nr);
          if (!column_is (p, i, weft_schema_get_field (p->right->schema, o->index)->type,
                          "its right column", error))
            return FALSE;
          break;
        case WEFT_PLAN_JOIN_OUT_KEY:
          if (!p->using_keys)
            return bad_node (error, p, "output column %u is a merged key of a join not USING "
                             "keys", i);
          if (o->index >= n_keys)
            return bad_node (error, p, "output column %u reads key %u of %u", i, o->index, n_keys);
          if (!column_is (p, i, key_type[o->index], "its key", error))
            return FALSE;
          break;
        default:
          return bad_node (error, p, "output column %u has an unknown source %d", i, (int) o->from);
        }
    }
  return TRUE;
}

static gboolean
check_aggregate (const WeftPlan *p, GError **error)
{
  if (p->exprs == NULL || p->aggs == NULL)
    return bad_node (error, p, "keys or aggregates missing");
  guint n_keys = p->exprs->len, n_aggs = p->aggs->len;
  if (weft_schema_get_n_fields (p->schema) != n_keys + n_aggs)
    return bad_node (error, p, "%u output columns for %u keys and %u aggregates",
                     weft_schema_get_n_fields (p->schema), n_keys, n_aggs);
  if (!exprs_resolved (p, p->exprs, "key", error))
    return FALSE;
  for (guint i = 0; i < n_keys; i++)
    if (!column_is (p, i, weft_expr_get_type (p->exprs->pdata[i]), "its key", error))
      return FALSE;
  for (guint i = 0; i < n_aggs; i++)
    {
      const WeftPlanAgg *a = p->aggs->pdata[i];
      if (a->func > WEFT_AGG_MAX)
        return bad_node (error, p, "aggregate %u: unknown function %d", i, (int) a->func);
      if (a->name == NULL)
        return bad_node (error, p, "aggregate %u has no name", i);
      if ((a->input == NULL) != (a->func == WEFT_AGG_COUNT_STAR))
        return bad_node (error, p, "aggregate %u (%s): %s", i, a->name,
                         a->input ? "count(*) takes no input" : "no input");
      WeftDataType in = WEFT_DATA_TYPE_INT64;
      if (a->input)
        {
          if (!weft_expr_is_resolved (a->input)
              || !WEFT_DATA_TYPE_IS_VALID (weft_expr_get_type (a->input)))
            return bad_node (error, p, "aggregate %u (%s): its input is not resolved", i, a->name);
          in = weft_expr_get_type (a->input);
        }
      if ((a->func == WEFT_AGG_SUM || a->func == WEFT_AGG_AVG)
          && in != WEFT_DATA_TYPE_INT64 && in != WEFT_DATA_TYPE_DOUBLE)
        return bad_node (error, p, "aggregate %u (%s) of %s", i, a->name, weft_data_type_name (in));
      if (!column_is (p, n_keys + i, agg_type (a->func, in), "its aggregate", error))
        return FALSE;
    }
  return TRUE;
}

gboolean
weft_plan_check_node (const WeftPlan *p, GError **error)
{
  g_return_val_if_fail (p != NULL, FALSE);
  if (p->schema == NULL)
    return bad_node (error, p, "no schema");
  guint want = p->kind == WEFT_PLAN_JOIN || p->kind == WEFT_PLAN_UNION ? 2
               : p->kind == WEFT_PLAN_CSV_SCAN || p->kind == WEFT_PLAN_ROWS
                 || p->kind == WEFT_PLAN_STUB ? 0 : 1;
  guint have = (p->child != NULL) + (p->right != NULL);
  if (have != want || (p->right != NULL && p->child == NULL))
    return bad_node (error, p, "%u inputs instead of %u", have, want);
  for (guint i = 0; i < weft_schema_get_n_fields (p->schema); i++)
    if (!WEFT_DATA_TYPE_IS_VALID (weft_schema_get_field (p->schema, i)->type))
      return bad_node (error, p, "output column %u has no valid type", i);
  switch (p->kind)
    {
    case WEFT_PLAN_CSV_SCAN:
      {
        if (p->files == NULL || p->csv == NULL || p->file_schema == NULL)
          return bad_node (error, p, "files, options or file schema missing");
        guint n_file = weft_schema_get_n_fields (p->file_schema);
        if (p->n_projection != weft_schema_get_n_fields (p->schema)
            || (p->n_projection > 0 && p->projection == NULL))
          return bad_node (error, p, "%u output columns for %u projected columns",
                           weft_schema_get_n_fields (p->schema), p->n_projection);
        for (guint i = 0; i < p->n_projection; i++)
          {
            if (p->projection[i] >= n_file)
              return bad_node (error, p, "projects column %u of a file of %u",
                               p->projection[i], n_file);
            if (!column_is (p, i, weft_schema_get_field (p->file_schema, p->projection[i])->type,
                            "its file column", error))
              return FALSE;
          }
        if (p->pushed != NULL && (!weft_expr_is_resolved (p->pushed)
                                  || weft_expr_get_type (p->pushed) != WEFT_DATA_TYPE_BOOL))
          return bad_node (error, p, "the pushed filter is not a resolved boolean");
        return TRUE;
      }
    case WEFT_PLAN_ROWS:
      if (p->rows == NULL || !weft_schema_equal (p->rows->schema, p->schema))
        return bad_node (error, p, "rows missing or of another schema");
      if (p->n_partitions == 0)
        return bad_node (error, p, "no partitions");
      return TRUE;
    case WEFT_PLAN_FILTER:
      if (p->predicate == NULL || !weft_expr_is_resolved (p->predicate)
          || weft_expr_get_type (p->predicate) != WEFT_DATA_TYPE_BOOL)
        return bad_node (error, p, "the condition is not a resolved boolean");
      return same_types (p, p->child->schema, error);
    case WEFT_PLAN_PROJECT:
      if (p->exprs == NULL || p->exprs->len != weft_schema_get_n_fields (p->schema))
        return bad_node (error, p, "%u output columns for %u expressions",
                         weft_schema_get_n_fields (p->schema), p->exprs ? p->exprs->len : 0);
      if (!exprs_resolved (p, p->exprs, "expression", error))
        return FALSE;
      for (guint i = 0; i < p->exprs->len; i++)
        if (!column_is (p, i, weft_expr_get_type (p->exprs->pdata[i]), "its expression", error))
          return FALSE;
      return TRUE;
    case WEFT_PLAN_AGGREGATE:
      return check_aggregate (p, error);
    case WEFT_PLAN_SORT:
      if (p->sort_keys == NULL)
        return bad_node (error, p, "no sort keys");
      for (guint i = 0; i < p->sort_keys->len; i++)
        {
          const WeftExpr *e = g_array_index (p->sort_keys, WeftPlanSortKey, i).expr;
          if (e == NULL || !weft_expr_is_resolved (e)
              || !WEFT_DATA_TYPE_IS_VALID (weft_expr_get_type (e)))
            return bad_node (error, p, "sort key %u is not a resolved expression", i);
        }
      return same_types (p, p->child->schema, error);
    case WEFT_PLAN_LIMIT:
      if (p->limit < 0)
        return bad_node (error, p, "a negative limit");
      return same_types (p, p->child->schema, error);
    case WEFT_PLAN_COALESCE:
    case WEFT_PLAN_REPARTITION:
      if (p->n_partitions == 0)
        return bad_node (error, p, "no partitions");
      if (p->exprs && p->kind == WEFT_PLAN_COALESCE)
        return bad_node (error, p, "keys on a coalesce");
      if (p->exprs && !exprs_resolved (p, p->exprs, "key", error))
        return FALSE;
      return same_types (p, p->child->schema, error);
    case WEFT_PLAN_JOIN:
      return check_join (p, error);
    case WEFT_PLAN_UNION:
      {
        guint n = weft_schema_get_n_fields (p->schema);
        if (weft_schema_get_n_fields (p->child->schema) != n
            || weft_schema_get_n_fields (p->right->schema) != n)
          return bad_node (error, p, "inputs of %u and %u columns for %u",
                           weft_schema_get_n_fields (p->child->schema),
                           weft_schema_get_n_fields (p->right->schema), n);
        for (guint i = 0; i < n; i++)
          {
            WeftDataType t = common_key_type (weft_schema_get_field (p->child->schema, i)->type,
                                              weft_schema_get_field (p->right->schema, i)->type);
            if (t == 0)
              return bad_node (error, p, "column %u of the inputs cannot be united", i);
            if (!column_is (p, i, t, "the inputs' common type", error))
              return FALSE;
          }
        return TRUE;
      }
    case WEFT_PLAN_STUB:
      return TRUE;
    }
  return bad_node (error, p, "unknown kind %d", (int) p->kind);
}
