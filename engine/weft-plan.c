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
    {
      p->exprs = g_ptr_array_new_with_free_func ((GDestroyNotify) weft_expr_unref);
      for (guint i = 0; i < src->exprs->len; i++)
        g_ptr_array_add (p->exprs, weft_expr_ref (src->exprs->pdata[i]));
    }
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
      g_string_append_printf (s, "Repartition %u", p->n_partitions);
      break;
    }
}

char *
weft_plan_to_string (const WeftPlan *plan)
{
  GString *s = g_string_new (NULL);
  guint depth = 0;
  for (const WeftPlan *p = plan; p; p = p->child, depth++)
    {
      for (guint i = 0; depth > 0 && i + 1 < depth; i++)
        g_string_append (s, "   ");
      if (depth > 0)
        g_string_append (s, "+- ");
      describe (s, p);
      g_string_append_c (s, '\n');
    }
  return g_string_free (s, FALSE);
}
