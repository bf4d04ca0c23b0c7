/* weft-optimizer: logical rewrites. See weft-optimizer.h. */
#include "weft-optimizer.h"

#include <string.h>

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

/* A copy of @p's node over new inputs. */
static WeftPlan *
with_children (const WeftPlan *p, WeftPlan *child, WeftPlan *right)
{
  WeftPlan *c = weft_plan_copy_node (p);
  if (c->child)
    weft_plan_unref (c->child);
  c->child = child ? weft_plan_ref (child) : NULL;
  if (c->right)
    weft_plan_unref (c->right);
  c->right = right ? weft_plan_ref (right) : NULL;
  return c;
}

/* The filter @template with @predicate (resolved against @child) over @child. */
static WeftPlan *
filter_over (const WeftPlan *template, WeftPlan *child, WeftExpr *predicate)
{
  WeftPlan *f = with_children (template, child, NULL);
  weft_schema_unref (f->schema);
  f->schema = weft_schema_ref (child->schema);
  weft_expr_unref (f->predicate);
  f->predicate = weft_expr_ref (predicate);
  return f;
}

/* For each join output column, the column of one input it equals, or -1:
 * its own columns, and the merged USING keys where they are that input's
 * plain key column unchanged. */
static int *
join_input_map (const WeftPlan *join, guint side)
{
  guint n = join->join_out->len;
  WeftJoinType t = join->join_type;
  gboolean key_is_side = side == 0 ? t != WEFT_JOIN_RIGHT && t != WEFT_JOIN_FULL
                                   : t == WEFT_JOIN_INNER || t == WEFT_JOIN_RIGHT;
  GPtrArray *keys = side == 0 ? join->exprs : join->right_exprs;
  int *map = g_new (int, MAX (n, 1));
  for (guint i = 0; i < n; i++)
    {
      const WeftPlanJoinOut *o = &g_array_index (join->join_out, WeftPlanJoinOut, i);
      map[i] = -1;
      if (o->from == (side == 0 ? WEFT_PLAN_JOIN_OUT_LEFT : WEFT_PLAN_JOIN_OUT_RIGHT))
        map[i] = (int) o->index;
      else if (o->from == WEFT_PLAN_JOIN_OUT_KEY && key_is_side)
        {
          const WeftExpr *k = keys->pdata[o->index];
          if (weft_expr_get_kind (k) == WEFT_EXPR_COLUMN
              && weft_expr_get_type (k) == weft_schema_get_field (join->schema, i)->type)
            map[i] = weft_expr_get_column (k);
        }
    }
  return map;
}

static gboolean
all_mapped (const WeftExpr *e, const int *map)
{
  g_autoptr(GArray) used = g_array_new (FALSE, FALSE, sizeof (guint));
  weft_expr_columns (e, used);
  for (guint i = 0; i < used->len; i++)
    if (map[g_array_index (used, guint, i)] < 0)
      return FALSE;
  return TRUE;
}

/* Pushes the conjuncts of a filter above a join that read one input only
 * into that input, where the join keeps that input's rows as they are
 * (either side of an inner join, the left of left, semi and anti joins,
 * the right of a right join); a conjunct on inner-join USING keys goes to
 * both. The rest stays above the join. */
static WeftPlan *
push_through_join (WeftPlan *p, WeftPlan *join, WeftExpr *pred, GError **error)
{
  WeftJoinType t = join->join_type;
  gboolean to_side[2] = { t == WEFT_JOIN_INNER || t == WEFT_JOIN_LEFT || t == WEFT_JOIN_LEFT_SEMI
                            || t == WEFT_JOIN_LEFT_ANTI,
                          t == WEFT_JOIN_INNER || t == WEFT_JOIN_RIGHT };
  g_autofree int *lmap = join_input_map (join, 0);
  g_autofree int *rmap = join_input_map (join, 1);
  const int *maps[2] = { lmap, rmap };
  g_autoptr(GPtrArray) conj = g_ptr_array_new_with_free_func ((GDestroyNotify) weft_expr_unref);
  weft_expr_split_conjuncts (pred, conj);
  g_autoptr(WeftPlan) left = weft_plan_ref (join->child);
  g_autoptr(WeftPlan) right = weft_plan_ref (join->right);
  WeftPlan **sides[2] = { &left, &right };
  g_autoptr(GPtrArray) rest = g_ptr_array_new ();
  gboolean pushed = FALSE;
  for (guint c = 0; c < conj->len; c++)
    {
      gboolean here = FALSE;
      for (guint side = 0; side < 2; side++)
        {
          if (!to_side[side] || !all_mapped (conj->pdata[c], maps[side]))
            continue;
          /* Stacked filters: the input's own optimization merges them. */
          g_autoptr(WeftExpr) below = weft_expr_remap (conj->pdata[c], maps[side]);
          WeftPlan *f = filter_over (p, *sides[side], below);
          weft_plan_unref (*sides[side]);
          *sides[side] = f;
          here = pushed = TRUE;
        }
      if (!here)
        g_ptr_array_add (rest, conj->pdata[c]);
    }
  if (!pushed)
    return filter_over (p, join, pred);
  for (guint side = 0; side < 2; side++)
    if (*sides[side] != (side == 0 ? join->child : join->right))
      {
        WeftPlan *o = optimize (*sides[side], error);
        if (o == NULL)
          return NULL;
        weft_plan_unref (*sides[side]);
        *sides[side] = o;
      }
  WeftPlan *out = with_children (join, left, right);
  for (guint c = 0; c < rest->len; c++)
    {
      WeftPlan *f = filter_over (p, out, rest->pdata[c]);
      weft_plan_unref (out);
      out = f;
    }
  return out;
}

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
  if (child->kind == WEFT_PLAN_JOIN)
    return push_through_join (p, child, pred, error);
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

static WeftPlan *prune_child (WeftPlan *p, GError **error);
static WeftPlan *prune_join (const WeftPlan *join, GArray *used, int *map, GError **error);
static WeftPlan *prune_repartition (const WeftPlan *rep, GArray *used, int *map, GError **error);

/* @input producing only the columns in @used (ascending order kept), @map
 * filled as by prune_scan: through a scan, a projection or a join, else by
 * a projection of plain columns on top (which still narrows what the
 * consumer copies). */
static WeftPlan *
prune_input (WeftPlan *input, GArray *used, int *map, GError **error)
{
  switch (input->kind)
    {
    case WEFT_PLAN_CSV_SCAN:
      return prune_scan (input, used, map);
    case WEFT_PLAN_JOIN:
      return prune_join (input, used, map, error);
    case WEFT_PLAN_REPARTITION:
      return prune_repartition (input, used, map, error);
    case WEFT_PLAN_PROJECT:
      {
        g_autoptr(WeftPlan) proj = prune_project (input, used, map);
        return prune_child (proj, error);
      }
    default:
      {
        guint width = weft_schema_get_n_fields (input->schema);
        g_autofree gboolean *keep = g_new0 (gboolean, MAX (width, 1));
        for (guint i = 0; i < used->len; i++)
          keep[g_array_index (used, guint, i)] = TRUE;
        g_autofree guint *idx = g_new (guint, MAX (width, 1));
        guint n = 0;
        for (guint i = 0; i < width; i++)
          {
            map[i] = keep[i] ? (int) n : -1;
            if (keep[i])
              idx[n++] = i;
          }
        return weft_plan_select_indices (input, idx, n);
      }
    }
}

static void
remap_exprs (GPtrArray *exprs, const int *map)
{
  for (guint i = 0; i < exprs->len; i++)
    {
      WeftExpr *e = weft_expr_remap (exprs->pdata[i], map);
      weft_expr_unref (exprs->pdata[i]);
      exprs->pdata[i] = e;
    }
}

/* Narrows both inputs of @j (a node of our own) to the columns its keys and
 * its output read. */
static gboolean
prune_join_inputs (WeftPlan *j, GError **error)
{
  for (guint side = 0; side < 2; side++)
    {
      WeftPlan **input = side == 0 ? &j->child : &j->right;
      GPtrArray *keys = side == 0 ? j->exprs : j->right_exprs;
      WeftPlanJoinOutKind from = side == 0 ? WEFT_PLAN_JOIN_OUT_LEFT : WEFT_PLAN_JOIN_OUT_RIGHT;
      guint width = weft_schema_get_n_fields ((*input)->schema);
      g_autofree gboolean *need = g_new0 (gboolean, MAX (width, 1));
      g_autoptr(GArray) used = g_array_new (FALSE, FALSE, sizeof (guint));
      for (guint k = 0; k < keys->len; k++)
        weft_expr_columns (keys->pdata[k], used);
      for (guint i = 0; i < used->len; i++)
        need[g_array_index (used, guint, i)] = TRUE;
      for (guint i = 0; i < j->join_out->len; i++)
        {
          const WeftPlanJoinOut *o = &g_array_index (j->join_out, WeftPlanJoinOut, i);
          if (o->from == from)
            need[o->index] = TRUE;
        }
      g_array_set_size (used, 0);
      for (guint i = 0; i < width; i++)
        if (need[i])
          g_array_append_val (used, i);
      if (used->len == width || used->len == 0)
        continue;
      g_autofree int *map = g_new (int, width);
      WeftPlan *pruned = prune_input (*input, used, map, error);
      if (pruned == NULL)
        return FALSE;
      weft_plan_unref (*input);
      *input = pruned;
      remap_exprs (keys, map);
      for (guint i = 0; i < j->join_out->len; i++)
        {
          WeftPlanJoinOut *o = &g_array_index (j->join_out, WeftPlanJoinOut, i);
          if (o->from == from)
            o->index = (guint) map[o->index];
        }
    }
  return TRUE;
}

/* Keeps the join outputs in @used, filling @map, and narrows its inputs. */
static WeftPlan *
prune_join (const WeftPlan *join, GArray *used, int *map, GError **error)
{
  guint n = join->join_out->len;
  g_autofree gboolean *keep = g_new0 (gboolean, MAX (n, 1));
  for (guint i = 0; i < used->len; i++)
    keep[g_array_index (used, guint, i)] = TRUE;
  g_autoptr(WeftPlan) j = weft_plan_copy_node (join);
  g_array_set_size (j->join_out, 0);
  weft_schema_unref (j->schema);
  j->schema = weft_schema_new ();
  for (guint i = 0; i < n; i++)
    {
      map[i] = keep[i] ? (int) j->join_out->len : -1;
      if (!keep[i])
        continue;
      g_array_append_val (j->join_out, g_array_index (join->join_out, WeftPlanJoinOut, i));
      const WeftField *f = weft_schema_get_field (join->schema, i);
      weft_schema_add_field (j->schema, f->name, f->type, f->nullable);
    }
  if (!prune_join_inputs (j, error))
    return NULL;
  return g_steal_pointer (&j);
}

/* A repartition passes its child's columns on: its child produces the columns in @used and
 * those its keys read (which stay, though the consumer does not read them), @map filled as by
 * prune_scan. */
static WeftPlan *
prune_repartition (const WeftPlan *rep, GArray *used, int *map, GError **error)
{
  guint width = weft_schema_get_n_fields (rep->schema);
  g_autofree gboolean *need = g_new0 (gboolean, MAX (width, 1));
  g_autoptr(GArray) cols = g_array_new (FALSE, FALSE, sizeof (guint));
  g_array_append_vals (cols, used->data, used->len);
  for (guint k = 0; rep->exprs && k < rep->exprs->len; k++)
    weft_expr_columns (rep->exprs->pdata[k], cols);
  for (guint i = 0; i < cols->len; i++)
    need[g_array_index (cols, guint, i)] = TRUE;
  g_array_set_size (cols, 0);
  for (guint i = 0; i < width; i++)
    if (need[i])
      g_array_append_val (cols, i);
  if (cols->len == width)
    {
      for (guint i = 0; i < width; i++)
        map[i] = (int) i;
      return weft_plan_ref ((WeftPlan *) rep);
    }
  g_autofree int *inner = g_new (int, width);
  g_autoptr(WeftPlan) child = prune_input (rep->child, cols, inner, error);
  if (child == NULL)
    return NULL;
  WeftPlan *r = with_children (rep, child, NULL);
  weft_schema_unref (r->schema);
  r->schema = weft_schema_ref (child->schema);
  if (r->exprs)
    remap_exprs (r->exprs, inner);
  memcpy (map, inner, width * sizeof (int));
  return r;
}

/* A projection or aggregation reads only some of its child's columns: let
 * the child produce only those (through one projection, down to the scan). */
static WeftPlan *
prune_child (WeftPlan *p, GError **error)
{
  WeftPlan *child = p->child;
  if (child->kind != WEFT_PLAN_CSV_SCAN && child->kind != WEFT_PLAN_PROJECT
      && child->kind != WEFT_PLAN_JOIN && child->kind != WEFT_PLAN_REPARTITION)
    return weft_plan_ref (p);
  g_autoptr(GArray) used = used_columns (p);
  guint width = weft_schema_get_n_fields (child->schema);
  /* Reading no column (a count) narrows a scan to row counts only; other inputs keep their
   * columns then, as their operators need a column to carry rows. */
  if (used->len == width || (used->len == 0 && child->kind != WEFT_PLAN_CSV_SCAN))
    return weft_plan_ref (p);
  g_autofree int *map = g_new (int, MAX (width, 1));
  g_autoptr(WeftPlan) new_child = child->kind == WEFT_PLAN_CSV_SCAN ? prune_scan (child, used, map)
                                  : child->kind == WEFT_PLAN_JOIN ? prune_join (child, used, map, error)
                                  : child->kind == WEFT_PLAN_REPARTITION
                                    ? prune_repartition (child, used, map, error)
                                    : prune_project (child, used, map);
  if (new_child == NULL)
    return NULL;
  if (new_child->kind == WEFT_PLAN_PROJECT)
    {
      WeftPlan *deeper = prune_child (new_child, error);
      weft_plan_unref (new_child);
      new_child = deeper;
      if (new_child == NULL)
        return NULL;
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
  g_autoptr(WeftPlan) right = NULL;
  if (p->right && (right = optimize (p->right, error)) == NULL)
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
    case WEFT_PLAN_JOIN:
      {
        /* Inputs carry only the columns the join reads or outputs (e.g. a semi join's right
         * side: its keys alone). */
        g_autoptr(WeftPlan) c = with_children (p, child, right);
        if (!prune_join_inputs (c, error))
          return NULL;
        return g_steal_pointer (&c);
      }
    default:
      return with_children (p, child, right);
    }
}

WeftPlan *
weft_optimize (WeftPlan *plan, GError **error)
{
  return optimize (plan, error);
}
