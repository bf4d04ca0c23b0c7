/* weft-optimizer: logical rewrites. See weft-optimizer.h. */
#include "weft-optimizer.h"

static gboolean
is_true_literal (const WeftExpr *e)
{
  return weft_expr_get_kind (e) == WEFT_EXPR_LITERAL && !weft_expr_literal_is_null (e)
         && weft_expr_get_type (e) == WEFT_DATA_TYPE_BOOL && weft_expr_literal_bool (e);
}

/* a AND b, resolved against @schema (both already are). */
static WeftExpr *
and_of (const WeftExpr *a, const WeftExpr *b, const WeftSchema *schema, GError **error)
{
  g_autoptr(WeftExpr) both = weft_expr_binary (WEFT_EXPR_OP_AND, weft_expr_ref ((WeftExpr *) a),
                                               weft_expr_ref ((WeftExpr *) b));
  return weft_expr_resolve (both, schema, error);
}

/* The scan's output column @i is file column projection[i]: rewrite an
 * expression over the scan's output into one over the file's columns. */
static WeftExpr *
to_file_columns (const WeftPlan *scan, const WeftExpr *e)
{
  g_autofree int *map = g_new (int, MAX (scan->n_projection, 1));
  for (guint i = 0; i < scan->n_projection; i++)
    map[i] = (int) scan->projection[i];
  return weft_expr_remap (e, map);
}

static WeftPlan *
push_into_scan (const WeftPlan *scan, const WeftExpr *predicate, GError **error)
{
  g_autoptr(WeftExpr) over_file = to_file_columns (scan, predicate);
  WeftPlan *s = weft_plan_copy_node (scan);
  if (s->pushed)
    {
      WeftExpr *both = and_of (s->pushed, over_file, s->file_schema, error);
      if (both == NULL)
        {
          weft_plan_unref (s);
          return NULL;
        }
      weft_expr_unref (s->pushed);
      s->pushed = both;
    }
  else
    s->pushed = weft_expr_ref (over_file);
  return s;
}

/* Project outputs that are plain columns of the project's input: map[i] is
 * that column, or -1. */
static int *
plain_columns (const WeftPlan *project)
{
  int *map = g_new (int, MAX (project->exprs->len, 1));
  for (guint i = 0; i < project->exprs->len; i++)
    {
      const WeftExpr *e = project->exprs->pdata[i];
      map[i] = weft_expr_get_kind (e) == WEFT_EXPR_COLUMN ? weft_expr_get_column (e) : -1;
    }
  return map;
}

static WeftPlan *optimize (WeftPlan *plan, GError **error);

static WeftPlan *
optimize_filter (WeftPlan *p, WeftPlan *child, GError **error)
{
  g_autoptr(WeftExpr) pred = weft_expr_fold (p->predicate);
  if (is_true_literal (pred))
    return weft_plan_ref (child);
  if (child->kind == WEFT_PLAN_FILTER)
    {
      g_autoptr(WeftExpr) both = and_of (child->predicate, pred, child->child->schema, error);
      if (both == NULL)
        return NULL;
      g_autoptr(WeftPlan) merged = weft_plan_copy_node (child);
      weft_expr_unref (merged->predicate);
      merged->predicate = g_steal_pointer (&both);
      return optimize (merged, error);
    }
  if (child->kind == WEFT_PLAN_CSV_SCAN)
    return push_into_scan (child, pred, error);
  if (child->kind == WEFT_PLAN_PROJECT)
    {
      g_autofree int *map = plain_columns (child);
      g_autoptr(GArray) used = g_array_new (FALSE, FALSE, sizeof (guint));
      weft_expr_columns (pred, used);
      gboolean all_plain = TRUE;
      for (guint i = 0; i < used->len; i++)
        all_plain &= map[g_array_index (used, guint, i)] >= 0;
      if (all_plain)
        {
          /* Filter below the projection: the same predicate on the columns it reads. */
          g_autoptr(WeftExpr) below = weft_expr_remap (pred, map);
          g_autoptr(WeftPlan) f = weft_plan_copy_node (p);
          weft_plan_unref (f->child);
          f->child = weft_plan_ref (child->child);
          weft_schema_unref (f->schema);
          f->schema = weft_schema_ref (child->child->schema);
          weft_expr_unref (f->predicate);
          f->predicate = g_steal_pointer (&below);
          g_autoptr(WeftPlan) new_child = optimize (f, error);
          if (new_child == NULL)
            return NULL;
          WeftPlan *proj = weft_plan_copy_node (child);
          weft_plan_unref (proj->child);
          proj->child = g_steal_pointer (&new_child);
          return proj;
        }
    }
  WeftPlan *out = weft_plan_copy_node (p);
  weft_plan_unref (out->child);
  out->child = weft_plan_ref (child);
  weft_expr_unref (out->predicate);
  out->predicate = g_steal_pointer (&pred);
  return out;
}

/* Keeps only the scan columns in @used (indices of the scan's output),
 * filling @map with each old output index's new one (-1 when dropped). */
static WeftPlan *
prune_scan (const WeftPlan *scan, GArray *used, int *map)
{
  gboolean *keep = g_new0 (gboolean, MAX (scan->n_projection, 1));
  for (guint i = 0; i < used->len; i++)
    keep[g_array_index (used, guint, i)] = TRUE;
  WeftPlan *s = weft_plan_copy_node (scan);
  guint n = 0;
  g_autoptr(WeftSchema) schema = weft_schema_new ();
  for (guint i = 0; i < scan->n_projection; i++)
    {
      map[i] = keep[i] ? (int) n : -1;
      if (!keep[i])
        continue;
      s->projection[n++] = scan->projection[i];
      const WeftField *f = weft_schema_get_field (scan->schema, i);
      weft_schema_add_field (schema, f->name, f->type, f->nullable);
    }
  s->n_projection = n;
  weft_schema_unref (s->schema);
  s->schema = g_steal_pointer (&schema);
  g_free (keep);
  return s;
}

/* Columns of the child that @p's expressions read. */
static GArray *
used_columns (const WeftPlan *p)
{
  GArray *used = g_array_new (FALSE, FALSE, sizeof (guint));
  for (guint i = 0; p->exprs && i < p->exprs->len; i++)
    weft_expr_columns (p->exprs->pdata[i], used);
  for (guint i = 0; p->aggs && i < p->aggs->len; i++)
    {
      const WeftPlanAgg *a = p->aggs->pdata[i];
      if (a->input)
        weft_expr_columns (a->input, used);
    }
  return used;
}

static void
remap_all (WeftPlan *p, const int *map)
{
  for (guint i = 0; p->exprs && i < p->exprs->len; i++)
    {
      WeftExpr *e = weft_expr_remap (p->exprs->pdata[i], map);
      weft_expr_unref (p->exprs->pdata[i]);
      p->exprs->pdata[i] = e;
    }
  for (guint i = 0; p->aggs && i < p->aggs->len; i++)
    {
      WeftPlanAgg *a = p->aggs->pdata[i];
      if (a->input)
        {
          WeftExpr *e = weft_expr_remap (a->input, map);
          weft_expr_unref (a->input);
          a->input = e;
        }
    }
}

/* Drops the project's outputs its consumer does not read (@used: output
 * indices), filling @map; keeps at least one column. */
static WeftPlan *
prune_project (const WeftPlan *proj, GArray *used, int *map)
{
  gboolean *keep = g_new0 (gboolean, MAX (proj->exprs->len, 1));
  for (guint i = 0; i < used->len; i++)
    keep[g_array_index (used, guint, i)] = TRUE;
  WeftPlan *p = weft_plan_copy_node (proj);
  g_ptr_array_set_size (p->exprs, 0);
  g_autoptr(WeftSchema) schema = weft_schema_new ();
  guint n = 0;
  for (guint i = 0; i < proj->exprs->len; i++)
    {
      map[i] = keep[i] ? (int) n : -1;
      if (!keep[i])
        continue;
      n++;
      g_ptr_array_add (p->exprs, weft_expr_ref (proj->exprs->pdata[i]));
      const WeftField *f = weft_schema_get_field (proj->schema, i);
      weft_schema_add_field (schema, f->name, f->type, f->nullable);
    }
  weft_schema_unref (p->schema);
  p->schema = g_steal_pointer (&schema);
  g_free (keep);
  return p;
}

/* A projection or aggregation reads only some of its child's columns: let
 * the child produce only those (through one projection, down to the scan). */
static WeftPlan *
prune_child (WeftPlan *p, GError **error)
{
  WeftPlan *child = p->child;
  if (child->kind != WEFT_PLAN_CSV_SCAN && child->kind != WEFT_PLAN_PROJECT)
    return weft_plan_ref (p);
  g_autoptr(GArray) used = used_columns (p);
  guint width = weft_schema_get_n_fields (child->schema);
  if (used->len == 0 || used->len == width)
    return weft_plan_ref (p);
  g_autofree int *map = g_new (int, width);
  g_autoptr(WeftPlan) new_child = child->kind == WEFT_PLAN_CSV_SCAN ? prune_scan (child, used, map)
                                                                    : prune_project (child, used, map);
  if (new_child->kind == WEFT_PLAN_PROJECT)
    {
      WeftPlan *deeper = prune_child (new_child, error);
      weft_plan_unref (new_child);
      new_child = deeper;
    }
  WeftPlan *out = weft_plan_copy_node (p);
  weft_plan_unref (out->child);
  out->child = g_steal_pointer (&new_child);
  remap_all (out, map);
  return out;
}

static WeftPlan *
optimize (WeftPlan *p, GError **error)
{
  if (p->child == NULL)
    return weft_plan_ref (p);
  g_autoptr(WeftPlan) child = optimize (p->child, error);
  if (child == NULL)
    return NULL;
  switch (p->kind)
    {
    case WEFT_PLAN_FILTER:
      return optimize_filter (p, child, error);
    case WEFT_PLAN_PROJECT:
    case WEFT_PLAN_AGGREGATE:
      {
        g_autoptr(WeftPlan) c = weft_plan_copy_node (p);
        weft_plan_unref (c->child);
        c->child = weft_plan_ref (child);
        for (guint i = 0; c->exprs && i < c->exprs->len; i++)
          {
            WeftExpr *e = weft_expr_fold (c->exprs->pdata[i]);
            weft_expr_unref (c->exprs->pdata[i]);
            c->exprs->pdata[i] = e;
          }
        return prune_child (c, error);
      }
    default:
      {
        WeftPlan *c = weft_plan_copy_node (p);
        weft_plan_unref (c->child);
        c->child = weft_plan_ref (child);
        return c;
      }
    }
}

WeftPlan *
weft_optimize (WeftPlan *plan, GError **error)
{
  return optimize (plan, error);
}
