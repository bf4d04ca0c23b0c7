/* weft-exec: local execution of a plan. See weft-exec.h. */
#include "weft-exec.h"

#include <string.h>

#include "weft-csv.h"
#include "weft-engine-error.h"
#include "weft-expr-eval.h"
#include "weft-hash.h"
#include "weft-hash-join.h"
#include "weft-sort.h"

struct _WeftExec {
  const WeftBackendOps *ops;
  gpointer backend;     /* (borrowed) where tasks run */
  gsize task_memory;
  guint shuffle_partitions;
};

/* JOIN: one side's rows as the hash join reads them: the side's own columns,
 * then each key that is not already a plain column of the type the keys
 * compare as (evaluated, and cast int64 -> double where the other side's key
 * is a double), so both sides hash and compare equal values alike. */
typedef struct {
  WeftSchema *ext;
  guint width;          /* the side's own columns */
  guint *keys;          /* per key: its column in ext */
  gboolean *append;     /* per key: evaluated and appended */
  GPtrArray *exprs;     /* (borrowed) the side's key expressions */
} JoinSide;

/* What a run knows of each node: its partitions, and for an exchange the
 * materialized input, one list of batches per output partition. */
typedef struct {
  guint n;
  GPtrArray *splits;    /* CSV_SCAN: WeftCsvSplit* */
  GPtrArray *buckets;   /* exchanges: GPtrArray* of WeftBatch* per partition; JOIN: the left's */
  WeftSchema *agg_input; /* AGGREGATE: schema of the rows the partial agg reads */
  GPtrArray *right_buckets; /* JOIN: the right side's buckets */
  JoinSide side[2];     /* JOIN: left, right */
  WeftDataType *key_types; /* JOIN: the type each key pair compares as */
} NodeState;

typedef struct {
  WeftExec *ex;
  GHashTable *states;   /* WeftPlan* -> NodeState* */
} Run;

static void
node_state_free (NodeState *s)
{
  if (s->splits)
    g_ptr_array_unref (s->splits);
  if (s->buckets)
    g_ptr_array_unref (s->buckets);
  if (s->agg_input)
    weft_schema_unref (s->agg_input);
  if (s->right_buckets)
    g_ptr_array_unref (s->right_buckets);
  for (guint i = 0; i < 2; i++)
    {
      if (s->side[i].ext)
        weft_schema_unref (s->side[i].ext);
      g_free (s->side[i].keys);
      g_free (s->side[i].append);
    }
  g_free (s->key_types);
  g_free (s);
}

static NodeState *
state_of (Run *run, const WeftPlan *p)
{
  return g_hash_table_lookup (run->states, p);
}

/* ---- iterators ---- */

typedef struct Iter Iter;
struct Iter {
  gboolean (*next) (Iter *it, WeftBatch **out, GError **error);
  void (*free) (Iter *it);
};

static void
iter_free (Iter *it)
{
  if (it)
    it->free (it);
}

static Iter *open_partition (Run *run, WeftPlan *p, guint part, GError **error);

/* CSV scan of one split, the pushed filter applied while parsing. */
typedef struct {
  Iter base;
  WeftCsvScan *scan;
  WeftExpr *pred;       /* over the predicate batch's columns */
  GArray *pred_cols;
} ScanIter;

static gboolean
scan_predicate (const WeftBatch *batch, WeftSelection *selection, gpointer data, GError **error)
{
  ScanIter *s = data;
  g_autoptr(WeftSelection) sel = weft_expr_eval_filter (s->pred, batch, error);
  if (sel == NULL)
    return FALSE;
  for (gsize i = 0; i < sel->n; i++)
    weft_selection_add (selection, sel->rows[i]);
  return TRUE;
}

static gboolean
scan_next (Iter *it, WeftBatch **out, GError **error)
{
  return weft_csv_scan_next (((ScanIter *) it)->scan, out, error);
}

static void
scan_free (Iter *it)
{
  ScanIter *s = (ScanIter *) it;
  if (s->scan)
    weft_csv_scan_free (s->scan);
  if (s->pred)
    weft_expr_unref (s->pred);
  if (s->pred_cols)
    g_array_unref (s->pred_cols);
  g_free (s);
}

static Iter *
open_scan (Run *run, WeftPlan *p, guint part, GError **error)
{
  ScanIter *s = g_new0 (ScanIter, 1);
  s->base = (Iter) { scan_next, scan_free };
  NodeState *st = state_of (run, p);
  if (part >= st->splits->len)
    {
      /* An input of no files or no bytes: an empty partition. */
      s->base.next = NULL;
    }
  WeftCsvPredicate pred = { 0 };
  if (p->pushed)
    {
      s->pred_cols = g_array_new (FALSE, FALSE, sizeof (guint));
      weft_expr_columns (p->pushed, s->pred_cols);
      guint width = weft_schema_get_n_fields (p->file_schema);
      g_autofree int *map = g_new (int, width);
      for (guint i = 0; i < width; i++)
        map[i] = -1;
      for (guint i = 0; i < s->pred_cols->len; i++)
        map[g_array_index (s->pred_cols, guint, i)] = (int) i;
      s->pred = weft_expr_remap (p->pushed, map);
      pred = (WeftCsvPredicate) { (const guint *) s->pred_cols->data, s->pred_cols->len,
                                  scan_predicate, s };
    }
  if (part < st->splits->len)
    {
      s->scan = weft_csv_scan_new (p->csv, p->file_schema, st->splits->pdata[part], p->projection,
                                   p->n_projection, p->pushed ? &pred : NULL, error);
      if (s->scan == NULL)
        {
          scan_free (&s->base);
          return NULL;
        }
    }
  return &s->base;
}

/* A list of batches (a bucket, or slices of in-memory rows). */
typedef struct {
  Iter base;
  GPtrArray *batches;   /* WeftBatch* (borrowed or owned) */
  guint i;
  gboolean owned;
} ListIter;

static gboolean
list_next (Iter *it, WeftBatch **out, GError **error)
{
  ListIter *l = (ListIter *) it;
  *out = NULL;
  if (l->i < l->batches->len)
    {
      WeftBatch *b = l->batches->pdata[l->i++];
      /* Owned batches are handed over; borrowed ones are shared through a slice. */
      if (l->owned)
        *out = g_steal_pointer (&l->batches->pdata[l->i - 1]);
      else
        *out = weft_batch_slice (b, 0, b->n_rows);
    }
  return TRUE;
}

static void
list_free (Iter *it)
{
  ListIter *l = (ListIter *) it;
  g_ptr_array_unref (l->batches);
  g_free (l);
}

static Iter *
list_iter (GPtrArray *batches, gboolean owned)
{
  ListIter *l = g_new0 (ListIter, 1);
  l->base = (Iter) { list_next, list_free };
  l->batches = batches;
  l->owned = owned;
  return &l->base;
}

/* Filter and project over a child stream. */
typedef struct {
  Iter base;
  Iter *child;
  WeftPlan *p;
} MapIter;

static gboolean
filter_next (Iter *it, WeftBatch **out, GError **error)
{
  MapIter *m = (MapIter *) it;
  for (;;)
    {
      g_autoptr(WeftBatch) in = NULL;
      if (!m->child->next || !m->child->next (m->child, &in, error))
        return m->child->next == NULL ? (*out = NULL, TRUE) : FALSE;
      if (in == NULL)
        {
          *out = NULL;
          return TRUE;
        }
      g_autoptr(WeftSelection) sel = weft_expr_eval_filter (m->p->predicate, in, error);
      if (sel == NULL)
        return FALSE;
      if (sel->n == 0)
        continue;
      *out = sel->n == in->n_rows ? g_steal_pointer (&in) : weft_batch_take (in, sel);
      return TRUE;
    }
}

static gboolean
project_next (Iter *it, WeftBatch **out, GError **error)
{
  MapIter *m = (MapIter *) it;
  g_autoptr(WeftBatch) in = NULL;
  if (!m->child->next)
    return (*out = NULL, TRUE);
  if (!m->child->next (m->child, &in, error))
    return FALSE;
  if (in == NULL)
    {
      *out = NULL;
      return TRUE;
    }
  guint n = m->p->exprs->len;
  g_autofree WeftColumn **cols = g_new0 (WeftColumn *, MAX (n, 1));
  for (guint i = 0; i < n; i++)
    {
      cols[i] = weft_expr_eval (m->p->exprs->pdata[i], in, error);
      if (cols[i] == NULL)
        {
          for (guint k = 0; k < i; k++)
            weft_column_unref (cols[k]);
          return FALSE;
        }
    }
  *out = weft_batch_new (m->p->schema, cols, in->n_rows);
  return TRUE;
}

static void
map_free (Iter *it)
{
  MapIter *m = (MapIter *) it;
  iter_free (m->child);
  g_free (m);
}

static Iter *
map_iter (Run *run, WeftPlan *p, guint part, gboolean (*next) (Iter *, WeftBatch **, GError **),
          GError **error)
{
  Iter *child = open_partition (run, p->child, part, error);
  if (child == NULL)
    return NULL;
  MapIter *m = g_new0 (MapIter, 1);
  m->base = (Iter) { next, map_free };
  m->child = child;
  m->p = p;
  return &m->base;
}

/* Partitions [first, last) of the child, one after another (coalesce). */
typedef struct {
  Iter base;
  Run *run;
  WeftPlan *child_plan;
  guint next_part, last;
  Iter *cur;
} ChainIter;

static gboolean
chain_next (Iter *it, WeftBatch **out, GError **error)
{
  ChainIter *c = (ChainIter *) it;
  for (;;)
    {
      if (c->cur == NULL)
        {
          if (c->next_part >= c->last)
            {
              *out = NULL;
              return TRUE;
            }
          c->cur = open_partition (c->run, c->child_plan, c->next_part++, error);
          if (c->cur == NULL)
            return FALSE;
        }
      if (c->cur->next == NULL)
        {
          g_clear_pointer (&c->cur, iter_free);
          continue;
        }
      if (!c->cur->next (c->cur, out, error))
        return FALSE;
      if (*out != NULL)
        return TRUE;
      g_clear_pointer (&c->cur, iter_free);
    }
}

static void
chain_free (Iter *it)
{
  ChainIter *c = (ChainIter *) it;
  iter_free (c->cur);
  g_free (c);
}

/* Final aggregation of one partition's partial states. */
typedef struct {
  Iter base;
  WeftHashAgg *agg;
} AggIter;

static gboolean
agg_next (Iter *it, WeftBatch **out, GError **error)
{
  return weft_hash_agg_next (((AggIter *) it)->agg, out, error);
}

static void
agg_free (Iter *it)
{
  weft_hash_agg_free (((AggIter *) it)->agg);
  g_free (it);
}

/* Sorted output of everything below (one partition). */
typedef struct {
  Iter base;
  WeftSort *sort;
  guint *keep;      /* the plan's columns (the sort keys were appended after them) */
  guint n_keep;
} SortIter;

static gboolean
sort_next (Iter *it, WeftBatch **out, GError **error)
{
  SortIter *s = (SortIter *) it;
  g_autoptr(WeftBatch) b = NULL;
  if (!weft_sort_next (s->sort, &b, error))
    return FALSE;
  *out = b ? weft_batch_project (b, s->keep, s->n_keep) : NULL;
  return TRUE;
}

static void
sort_free (Iter *it)
{
  SortIter *s = (SortIter *) it;
  weft_sort_free (s->sort);
  g_free (s->keep);
  g_free (s);
}

/* ---- joins and unions ---- */

/* @col as @type (int64 -> double), without looking up any name. */
static WeftColumn *
cast_column (WeftColumn *col, WeftDataType type, GError **error)
{
  g_autoptr(WeftSchema) one = weft_schema_new ();
  weft_schema_add_field (one, "v", col->type, TRUE);
  g_autoptr(WeftExpr) cast = weft_expr_cast (weft_expr_col ("v"), type);
  g_autoptr(WeftExpr) r = weft_expr_resolve (cast, one, error);
  if (r == NULL)
    return NULL;
  WeftColumn *cols[1] = { weft_column_ref (col) };
  g_autoptr(WeftBatch) b = weft_batch_new (one, cols, col->length);
  return weft_expr_eval (r, b, error);
}

/* Rows of @in (a batch of one side) with that side's appended keys. */
static WeftBatch *
join_side_batch (const NodeState *st, const JoinSide *js, const WeftBatch *in, GError **error)
{
  guint nk = js->exprs->len, n = weft_schema_get_n_fields (js->ext);
  g_autofree WeftColumn **cols = g_new0 (WeftColumn *, MAX (n, 1));
  guint c = 0;
  for (; c < js->width; c++)
    cols[c] = weft_column_ref (in->columns[c]);
  for (guint k = 0; k < nk; k++)
    {
      if (!js->append[k])
        continue;
      WeftColumn *v = weft_expr_eval (js->exprs->pdata[k], in, error);
      if (v != NULL && v->type != st->key_types[k])
        {
          WeftColumn *cast = cast_column (v, st->key_types[k], error);
          weft_column_unref (v);
          v = cast;
        }
      if (v == NULL)
        {
          for (guint i = 0; i < c; i++)
            weft_column_unref (cols[i]);
          return NULL;
        }
      cols[c++] = v;
    }
  return weft_batch_new (js->ext, cols, in->n_rows);
}

static void
join_side_init (JoinSide *js, const WeftSchema *schema, GPtrArray *exprs, const WeftDataType *types)
{
  js->exprs = exprs;
  js->width = weft_schema_get_n_fields (schema);
  js->ext = weft_schema_new ();
  for (guint i = 0; i < js->width; i++)
    {
      const WeftField *f = weft_schema_get_field (schema, i);
      weft_schema_add_field (js->ext, f->name, f->type, f->nullable);
    }
  js->keys = g_new (guint, MAX (exprs->len, 1));
  js->append = g_new0 (gboolean, MAX (exprs->len, 1));
  for (guint k = 0; k < exprs->len; k++)
    {
      const WeftExpr *e = exprs->pdata[k];
      if (weft_expr_get_kind (e) == WEFT_EXPR_COLUMN && weft_expr_get_type (e) == types[k])
        {
          js->keys[k] = (guint) weft_expr_get_column (e);
          continue;
        }
      g_autofree char *name = g_strdup_printf ("_key%u", k);
      js->append[k] = TRUE;
      js->keys[k] = weft_schema_add_field (js->ext, name, types[k], TRUE);
    }
}

static WeftColumn *
coalesce_columns (const WeftColumn *a, const WeftColumn *b, gsize n)
{
  WeftColumn *c = weft_column_new (a->type, n);
  for (gsize r = 0; r < n;)
    {
      gboolean va = weft_column_is_valid (a, r);
      gsize e = r + 1;
      while (e < n && weft_column_is_valid (a, e) == va)
        e++;
      weft_column_append_range (c, va ? a : b, r, e - r);
      r = e;
    }
  return c;
}

/* One partition's join: the bucket of one side built, the other's probed. */
typedef struct {
  Iter base;
  WeftHashJoin *join;
  GPtrArray *probe;     /* the probed bucket (a reference) */
  guint next_probe;
  gboolean finished;
  const WeftPlan *p;
  const NodeState *st;
} JoinIter;

/* The hash join's rows (left ext columns, then right ext ones) in the plan's layout. */
static WeftBatch *
join_output (const JoinIter *j, const WeftBatch *b)
{
  const WeftPlan *p = j->p;
  const NodeState *st = j->st;
  guint lw = weft_schema_get_n_fields (st->side[0].ext), n = p->join_out->len;
  g_autofree WeftColumn **cols = g_new0 (WeftColumn *, MAX (n, 1));
  for (guint i = 0; i < n; i++)
    {
      const WeftPlanJoinOut *o = &g_array_index (p->join_out, WeftPlanJoinOut, i);
      switch (o->from)
        {
        case WEFT_PLAN_JOIN_OUT_LEFT:
          cols[i] = weft_column_ref (b->columns[o->index]);
          break;
        case WEFT_PLAN_JOIN_OUT_RIGHT:
          cols[i] = weft_column_ref (b->columns[lw + o->index]);
          break;
        case WEFT_PLAN_JOIN_OUT_KEY:
          {
            WeftColumn *l = b->columns[st->side[0].keys[o->index]];
            if (p->join_type == WEFT_JOIN_RIGHT)
              cols[i] = weft_column_ref (b->columns[lw + st->side[1].keys[o->index]]);
            else if (p->join_type == WEFT_JOIN_FULL)
              cols[i] = coalesce_columns (l, b->columns[lw + st->side[1].keys[o->index]], b->n_rows);
            else
              cols[i] = weft_column_ref (l);
            break;
          }
        }
    }
  return weft_batch_new (p->schema, cols, b->n_rows);
}

static gboolean
join_next (Iter *it, WeftBatch **out, GError **error)
{
  JoinIter *j = (JoinIter *) it;
  for (;;)
    {
      g_autoptr(WeftBatch) b = NULL;
      if (!weft_hash_join_next (j->join, &b, error))
        return FALSE;
      if (b != NULL)
        {
          *out = join_output (j, b);
          return TRUE;
        }
      if (j->finished)
        {
          *out = NULL;
          return TRUE;
        }
      if (j->next_probe < j->probe->len)
        {
          if (!weft_hash_join_push_probe (j->join, j->probe->pdata[j->next_probe++], error))
            return FALSE;
        }
      else
        {
          if (!weft_hash_join_finish (j->join, error))
            return FALSE;
          j->finished = TRUE;
        }
    }
}

static void
join_iter_free (Iter *it)
{
  JoinIter *j = (JoinIter *) it;
  weft_hash_join_free (j->join);
  g_ptr_array_unref (j->probe);
  g_free (j);
}

static gsize
bucket_rows (GPtrArray *bucket)
{
  gsize n = 0;
  for (guint i = 0; i < bucket->len; i++)
    n += ((WeftBatch *) bucket->pdata[i])->n_rows;
  return n;
}

static Iter *
open_join (Run *run, WeftPlan *p, guint part, GError **error)
{
  NodeState *st = state_of (run, p);
  GPtrArray *left = st->buckets->pdata[part], *right = st->right_buckets->pdata[part];
  /* Both sides are materialized: build the one with fewer rows in this partition (the right
   * one on a tie, as Spark's shuffled hash join). */
  WeftJoinSide build = bucket_rows (right) <= bucket_rows (left) ? WEFT_JOIN_SIDE_RIGHT
                                                                 : WEFT_JOIN_SIDE_LEFT;
  GPtrArray *build_rows = build == WEFT_JOIN_SIDE_RIGHT ? right : left;
  WeftHashJoin *join = weft_hash_join_new (p->join_type, st->side[0].ext, st->side[1].ext,
                                           st->side[0].keys, st->side[1].keys, p->exprs->len,
                                           build, run->ex->task_memory, NULL, error);
  if (join == NULL)
    return NULL;
  for (guint i = 0; i < build_rows->len; i++)
    if (!weft_hash_join_push_build (join, build_rows->pdata[i], error))
      {
        weft_hash_join_free (join);
        return NULL;
      }
  JoinIter *j = g_new0 (JoinIter, 1);
  j->base = (Iter) { join_next, join_iter_free };
  j->join = join;
  j->probe = g_ptr_array_ref (build == WEFT_JOIN_SIDE_RIGHT ? left : right);
  j->p = p;
  j->st = st;
  return &j->base;
}

/* A partition of one side of a union, in the union's types and names. */
static gboolean
union_next (Iter *it, WeftBatch **out, GError **error)
{
  MapIter *m = (MapIter *) it;
  g_autoptr(WeftBatch) in = NULL;
  *out = NULL;
  if (m->child->next == NULL)
    return TRUE;
  if (!m->child->next (m->child, &in, error))
    return FALSE;
  if (in == NULL)
    return TRUE;
  guint n = in->n_columns;
  g_autofree WeftColumn **cols = g_new0 (WeftColumn *, MAX (n, 1));
  for (guint i = 0; i < n; i++)
    {
      WeftDataType t = weft_schema_get_field (m->p->schema, i)->type;
      cols[i] = in->columns[i]->type == t ? weft_column_ref (in->columns[i])
                                          : cast_column (in->columns[i], t, error);
      if (cols[i] == NULL)
        {
          for (guint k = 0; k < i; k++)
            weft_column_unref (cols[k]);
          return FALSE;
        }
    }
  *out = weft_batch_new (m->p->schema, cols, in->n_rows);
  return TRUE;
}

static Iter *
open_union (Run *run, WeftPlan *p, guint part, GError **error)
{
  guint ln = state_of (run, p->child)->n;
  Iter *child = part < ln ? open_partition (run, p->child, part, error)
                          : open_partition (run, p->right, part - ln, error);
  if (child == NULL)
    return NULL;
  MapIter *m = g_new0 (MapIter, 1);
  m->base = (Iter) { union_next, map_free };
  m->child = child;
  m->p = p;
  return &m->base;
}

/* ---- the aggregation's input rows: keys, then each aggregate's input ---- */

static WeftSchema *
agg_input_schema (const WeftPlan *p)
{
  WeftSchema *s = weft_schema_new ();
  for (guint i = 0; i < p->exprs->len; i++)
    {
      const WeftField *f = weft_schema_get_field (p->schema, i);
      weft_schema_add_field (s, f->name, f->type, f->nullable);
    }
  for (guint i = 0; i < p->aggs->len; i++)
    {
      const WeftPlanAgg *a = p->aggs->pdata[i];
      g_autofree char *name = g_strdup_printf ("_agg%u", i);
      if (a->input)
        weft_schema_add_field (s, name, weft_expr_get_type (a->input), TRUE);
      else
        weft_schema_add_field (s, name, WEFT_DATA_TYPE_INT64, TRUE);
    }
  return s;
}

static WeftBatch *
agg_input_batch (const WeftPlan *p, WeftSchema *schema, const WeftBatch *in, GError **error)
{
  guint nk = p->exprs->len, na = p->aggs->len;
  g_autofree WeftColumn **cols = g_new0 (WeftColumn *, nk + na + 1);
  for (guint i = 0; i < nk + na; i++)
    {
      const WeftExpr *e = i < nk ? p->exprs->pdata[i] : ((WeftPlanAgg *) p->aggs->pdata[i - nk])->input;
      if (e == NULL)
        {
          /* count(*) reads no column: a column of zeros stands in. */
          g_autoptr(WeftExpr) zero = weft_expr_lit_int64 (0);
          g_autoptr(WeftSchema) none = weft_schema_new ();
          g_autoptr(WeftExpr) rz = weft_expr_resolve (zero, none, error);
          cols[i] = rz ? weft_expr_eval (rz, in, error) : NULL;
        }
      else
        cols[i] = weft_expr_eval (e, in, error);
      if (cols[i] == NULL)
        {
          for (guint k = 0; k < i; k++)
            weft_column_unref (cols[k]);
          return NULL;
        }
    }
  return weft_batch_new (schema, cols, in->n_rows);
}

static WeftAggSpec *
agg_specs (const WeftPlan *p)
{
  guint nk = p->exprs->len;
  WeftAggSpec *specs = g_new0 (WeftAggSpec, MAX (p->aggs->len, 1));
  for (guint i = 0; i < p->aggs->len; i++)
    {
      const WeftPlanAgg *a = p->aggs->pdata[i];
      specs[i] = (WeftAggSpec) { a->func, nk + i, a->name };
    }
  return specs;
}

static guint *
key_indices (guint n)
{
  guint *k = g_new (guint, MAX (n, 1));
  for (guint i = 0; i < n; i++)
    k[i] = i;
  return k;
}

/* ---- opening a partition ---- */

static Iter *
open_partition (Run *run, WeftPlan *p, guint part, GError **error)
{
  NodeState *st = state_of (run, p);
  switch (p->kind)
    {
    case WEFT_PLAN_CSV_SCAN:
      return open_scan (run, p, part, error);
    case WEFT_PLAN_ROWS:
      {
        GPtrArray *one = g_ptr_array_new_with_free_func ((GDestroyNotify) weft_batch_free);
        gsize n = p->rows->n_rows, from = n * part / st->n, to = n * (part + 1) / st->n;
        if (to > from)
          g_ptr_array_add (one, weft_batch_slice (p->rows, from, to - from));
        return list_iter (one, TRUE);
      }
    case WEFT_PLAN_FILTER:
      return map_iter (run, p, part, filter_next, error);
    case WEFT_PLAN_PROJECT:
      return map_iter (run, p, part, project_next, error);
    case WEFT_PLAN_COALESCE:
      {
        guint cn = state_of (run, p->child)->n;
        ChainIter *c = g_new0 (ChainIter, 1);
        c->base = (Iter) { chain_next, chain_free };
        c->run = run;
        c->child_plan = p->child;
        c->next_part = cn * part / st->n;
        c->last = cn * (part + 1) / st->n;
        return &c->base;
      }
    case WEFT_PLAN_REPARTITION:
    case WEFT_PLAN_LIMIT:
      return list_iter (g_ptr_array_ref (st->buckets->pdata[part]), FALSE);
    case WEFT_PLAN_JOIN:
      return open_join (run, p, part, error);
    case WEFT_PLAN_UNION:
      return open_union (run, p, part, error);
    case WEFT_PLAN_STUB:
      break;
    case WEFT_PLAN_AGGREGATE:
      {
        g_autofree WeftAggSpec *specs = agg_specs (p);
        g_autofree guint *keys = key_indices (p->exprs->len);
        WeftHashAgg *agg = weft_hash_agg_new (WEFT_AGG_MODE_FINAL, st->agg_input, keys, p->exprs->len,
                                              specs, p->aggs->len, run->ex->task_memory, NULL, error);
        if (agg == NULL)
          return NULL;
        GPtrArray *bucket = st->buckets->pdata[part];
        for (guint i = 0; i < bucket->len; i++)
          if (!weft_hash_agg_push (agg, bucket->pdata[i], error))
            {
              weft_hash_agg_free (agg);
              return NULL;
            }
        if (!weft_hash_agg_finish (agg, error))
          {
            weft_hash_agg_free (agg);
            return NULL;
          }
        AggIter *a = g_new0 (AggIter, 1);
        a->base = (Iter) { agg_next, agg_free };
        a->agg = agg;
        return &a->base;
      }
    case WEFT_PLAN_SORT:
      {
        guint width = weft_schema_get_n_fields (p->schema), nk = p->sort_keys->len;
        GPtrArray *bucket = st->buckets->pdata[0];
        g_autoptr(WeftSchema) ext = NULL;
        if (bucket->len > 0)
          ext = weft_schema_ref (((WeftBatch *) bucket->pdata[0])->schema);
        else
          {
            ext = weft_schema_new ();
            for (guint i = 0; i < width; i++)
              {
                const WeftField *f = weft_schema_get_field (p->schema, i);
                weft_schema_add_field (ext, f->name, f->type, f->nullable);
              }
            for (guint k = 0; k < nk; k++)
              {
                const WeftPlanSortKey *sk = &g_array_index (p->sort_keys, WeftPlanSortKey, k);
                g_autofree char *name = g_strdup_printf ("_key%u", k);
                weft_schema_add_field (ext, name, weft_expr_get_type (sk->expr), TRUE);
              }
          }
        g_autofree WeftSortKey *keys = g_new (WeftSortKey, MAX (nk, 1));
        for (guint k = 0; k < nk; k++)
          {
            const WeftPlanSortKey *sk = &g_array_index (p->sort_keys, WeftPlanSortKey, k);
            keys[k] = (WeftSortKey) { width + k, sk->descending, sk->nulls_first };
          }
        WeftSort *sort = weft_sort_new (ext, keys, nk, -1, run->ex->task_memory, NULL, error);
        if (sort == NULL)
          return NULL;
        for (guint i = 0; i < bucket->len; i++)
          if (!weft_sort_push (sort, bucket->pdata[i], error))
            {
              weft_sort_free (sort);
              return NULL;
            }
        if (!weft_sort_finish (sort, error))
          {
            weft_sort_free (sort);
            return NULL;
          }
        SortIter *s = g_new0 (SortIter, 1);
        s->base = (Iter) { sort_next, sort_free };
        s->sort = sort;
        s->keep = key_indices (width);
        s->n_keep = width;
        return &s->base;
      }
    }
  g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_SCHEMA, "unknown plan node");
  return NULL;
}

/* ---- tasks: the partitions of a stage, run in parallel ---- */

typedef gboolean (*TaskFunc) (Run *run, guint part, gpointer data, GError **error);

/* A stage's tasks go to the session's backend, which runs them on its slots. */
typedef struct {
  Run *run;
  TaskFunc func;
  gpointer data;
} Tasks;

static gboolean
run_task (guint part, gpointer data, GError **error)
{
  Tasks *t = data;
  return t->func (t->run, part, t->data, error);
}

static gboolean
run_tasks (Run *run, guint n, TaskFunc func, gpointer data, GError **error)
{
  Tasks t = { run, func, data };
  return run->ex->ops->run_stage (run->ex->backend, n, run_task, &t, error);
}

/* Materializing an exchange: each task streams a child partition into the buckets. */
typedef struct {
  WeftPlan *p;
  NodeState *st;
  GMutex lock;
  GPtrArray *per_part;  /* LIMIT: each input partition's rows, kept apart to keep their order */
} Exchange;

static void
add_to_bucket (Exchange *x, guint bucket, WeftBatch *b)
{
  g_mutex_lock (&x->lock);
  g_ptr_array_add (x->st->buckets->pdata[bucket], b);
  g_mutex_unlock (&x->lock);
}

/* Splits @in into @nb pieces by @hashes (a row goes to weft_hash_partition of its hash) and adds
 * each non-empty piece to its list in @buckets under @lock: how every keyed exchange moves rows,
 * so equal keys meet in one bucket whichever operator sent them. */
static void
scatter_by_hash (const WeftBatch *in, const guint64 *hashes, guint nb, GPtrArray *buckets,
                 GMutex *lock)
{
  g_autoptr(GPtrArray) sels = g_ptr_array_new_with_free_func ((GDestroyNotify) weft_selection_free);
  for (guint b = 0; b < nb; b++)
    g_ptr_array_add (sels, weft_selection_new (in->n_rows / nb + 16));
  for (gsize r = 0; r < in->n_rows; r++)
    weft_selection_add (sels->pdata[weft_hash_partition (hashes[r], nb)], (guint32) r);
  for (guint b = 0; b < nb; b++)
    {
      WeftSelection *sel = sels->pdata[b];
      if (sel->n == 0)
        continue;
      WeftBatch *piece = sel->n == in->n_rows ? weft_batch_slice (in, 0, in->n_rows)
                                              : weft_batch_take (in, sel);
      g_mutex_lock (lock);
      g_ptr_array_add (buckets->pdata[b], piece);
      g_mutex_unlock (lock);
    }
}

static gboolean
partial_agg_task (Run *run, guint part, gpointer data, GError **error)
{
  Exchange *x = data;
  WeftPlan *p = x->p;
  g_autofree WeftAggSpec *specs = agg_specs (p);
  g_autofree guint *keys = key_indices (p->exprs->len);
  g_autoptr(WeftHashAgg) agg = weft_hash_agg_new (WEFT_AGG_MODE_PARTIAL, x->st->agg_input, keys,
                                                  p->exprs->len, specs, p->aggs->len,
                                                  run->ex->task_memory, NULL, error);
  if (agg == NULL)
    return FALSE;
  Iter *it = open_partition (run, p->child, part, error);
  if (it == NULL)
    return FALSE;
  gboolean ok = TRUE;
  while (ok && it->next)
    {
      g_autoptr(WeftBatch) in = NULL;
      ok = it->next (it, &in, error);
      if (!ok || in == NULL)
        break;
      g_autoptr(WeftBatch) rows = agg_input_batch (p, x->st->agg_input, in, error);
      ok = rows && weft_hash_agg_push (agg, rows, error);
    }
  iter_free (it);
  if (!ok || !weft_hash_agg_finish (agg, error))
    return FALSE;
  guint nb = x->st->n;
  for (;;)
    {
      g_autoptr(WeftBatch) state = NULL;
      if (!weft_hash_agg_next (agg, &state, error))
        return FALSE;
      if (state == NULL)
        break;
      if (nb == 1)
        {
          add_to_bucket (x, 0, g_steal_pointer (&state));
          continue;
        }
      /* Hash-partition the states by key: a key's rows meet in one reducer. */
      g_autofree guint64 *hashes = g_new (guint64, MAX (state->n_rows, 1));
      weft_hash_batch (state, keys, p->exprs->len, hashes);
      scatter_by_hash (state, hashes, nb, x->st->buckets, &x->lock);
    }
  return TRUE;
}

/* Sort and limit gather everything in one partition; repartition deals rows round robin. */
static gboolean
gather_task (Run *run, guint part, gpointer data, GError **error)
{
  Exchange *x = data;
  WeftPlan *p = x->p;
  Iter *it = open_partition (run, p->child, part, error);
  if (it == NULL)
    return FALSE;
  gboolean ok = TRUE;
  gint64 taken = 0;
  guint rr = part;
  while (ok && it->next)
    {
      g_autoptr(WeftBatch) in = NULL;
      ok = it->next (it, &in, error);
      if (!ok || in == NULL)
        break;
      if (p->kind == WEFT_PLAN_LIMIT)
        {
          /* Each partition contributes at most `limit` rows. */
          gsize want = (gsize) MIN ((gint64) in->n_rows, p->limit - taken);
          if (want == 0)
            break;
          /* This task alone writes its partition's list: no lock. */
          g_ptr_array_add (x->per_part->pdata[part], weft_batch_slice (in, 0, want));
          taken += (gint64) want;
        }
      else if (p->kind == WEFT_PLAN_SORT)
        {
          /* Append each sort key as a column after the data. */
          guint width = in->n_columns, nk = p->sort_keys->len;
          g_autoptr(WeftSchema) ext = weft_schema_new ();
          g_autofree WeftColumn **cols = g_new0 (WeftColumn *, width + nk + 1);
          for (guint i = 0; i < width; i++)
            {
              const WeftField *f = weft_schema_get_field (in->schema, i);
              weft_schema_add_field (ext, f->name, f->type, f->nullable);
              cols[i] = weft_column_ref (in->columns[i]);
            }
          for (guint k = 0; ok && k < nk; k++)
            {
              const WeftPlanSortKey *sk = &g_array_index (p->sort_keys, WeftPlanSortKey, k);
              g_autofree char *name = g_strdup_printf ("_key%u", k);
              weft_schema_add_field (ext, name, weft_expr_get_type (sk->expr), TRUE);
              cols[width + k] = weft_expr_eval (sk->expr, in, error);
              ok = cols[width + k] != NULL;
            }
          if (!ok)
            {
              for (guint i = 0; i < width + nk; i++)
                if (cols[i])
                  weft_column_unref (cols[i]);
              break;
            }
          add_to_bucket (x, 0, weft_batch_new (ext, cols, in->n_rows));
        }
      else
        {
          guint nb = x->st->n;
          add_to_bucket (x, rr++ % nb, g_steal_pointer (&in));
        }
    }
  iter_free (it);
  return ok;
}

/* repartition(n, keys): each task hash-partitions a child partition by the keys' values, with
 * the hash the aggregate's and the join's exchanges use, so equal keys (nulls too) meet. */
static gboolean
hash_repartition_task (Run *run, guint part, gpointer data, GError **error)
{
  Exchange *x = data;
  WeftPlan *p = x->p;
  guint nb = x->st->n, nk = p->exprs->len;
  Iter *it = open_partition (run, p->child, part, error);
  if (it == NULL)
    return FALSE;
  gboolean ok = TRUE;
  while (ok && it->next)
    {
      g_autoptr(WeftBatch) in = NULL;
      ok = it->next (it, &in, error);
      if (!ok || in == NULL)
        break;
      if (in->n_rows == 0)
        continue;
      g_autofree WeftColumn **keys = g_new0 (WeftColumn *, MAX (nk, 1));
      for (guint k = 0; ok && k < nk; k++)
        ok = (keys[k] = weft_expr_eval (p->exprs->pdata[k], in, error)) != NULL;
      if (ok)
        {
          g_autofree guint64 *hashes = g_new (guint64, in->n_rows);
          weft_hash_columns (keys, nk, in->n_rows, hashes);
          scatter_by_hash (in, hashes, nb, x->st->buckets, &x->lock);
        }
      for (guint k = 0; k < nk; k++)
        if (keys[k])
          weft_column_unref (keys[k]);
    }
  iter_free (it);
  return ok;
}

/* A join's exchange: each task hash-partitions one partition of one side by
 * its keys, with the same hash on both sides, so equal keys meet in one bucket. */
typedef struct {
  WeftPlan *p;
  NodeState *st;
  guint side;
  GMutex lock;
} JoinExchange;

static gboolean
join_shuffle_task (Run *run, guint part, gpointer data, GError **error)
{
  JoinExchange *x = data;
  const JoinSide *js = &x->st->side[x->side];
  GPtrArray *buckets = x->side == 0 ? x->st->buckets : x->st->right_buckets;
  guint nb = x->st->n, nk = js->exprs->len;
  Iter *it = open_partition (run, x->side == 0 ? x->p->child : x->p->right, part, error);
  if (it == NULL)
    return FALSE;
  gboolean ok = TRUE;
  while (ok && it->next)
    {
      g_autoptr(WeftBatch) in = NULL;
      ok = it->next (it, &in, error);
      if (!ok || in == NULL)
        break;
      if (in->n_rows == 0)
        continue;
      g_autoptr(WeftBatch) rows = join_side_batch (x->st, js, in, error);
      if (rows == NULL)
        {
          ok = FALSE;
          break;
        }
      if (nb == 1)
        {
          g_mutex_lock (&x->lock);
          g_ptr_array_add (buckets->pdata[0], g_steal_pointer (&rows));
          g_mutex_unlock (&x->lock);
          continue;
        }
      g_autofree guint64 *hashes = g_new (guint64, MAX (rows->n_rows, 1));
      weft_hash_batch (rows, js->keys, nk, hashes);
      scatter_by_hash (rows, hashes, nb, buckets, &x->lock);
    }
  iter_free (it);
  return ok;
}

static GPtrArray *
new_buckets (guint n)
{
  GPtrArray *buckets = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  for (guint b = 0; b < n; b++)
    g_ptr_array_add (buckets, g_ptr_array_new_with_free_func ((GDestroyNotify) weft_batch_free));
  return buckets;
}

static gboolean
materialize_join (Run *run, WeftPlan *p, NodeState *st, GError **error)
{
  guint nk = p->exprs->len;
  st->key_types = g_new (WeftDataType, MAX (nk, 1));
  for (guint k = 0; k < nk; k++)
    {
      WeftDataType l = weft_expr_get_type (p->exprs->pdata[k]);
      WeftDataType r = weft_expr_get_type (p->right_exprs->pdata[k]);
      st->key_types[k] = l == r ? l : WEFT_DATA_TYPE_DOUBLE;
    }
  join_side_init (&st->side[0], p->child->schema, p->exprs, st->key_types);
  join_side_init (&st->side[1], p->right->schema, p->right_exprs, st->key_types);
  st->buckets = new_buckets (st->n);
  st->right_buckets = new_buckets (st->n);
  gboolean ok = TRUE;
  for (guint side = 0; ok && side < 2; side++)
    {
      JoinExchange x = { p, st, side };
      g_mutex_init (&x.lock);
      ok = run_tasks (run, state_of (run, side == 0 ? p->child : p->right)->n, join_shuffle_task,
                      &x, error);
      g_mutex_clear (&x.lock);
    }
  return ok;
}

static gboolean prepare (Run *run, WeftPlan *p, GError **error);

static gboolean
materialize (Run *run, WeftPlan *p, NodeState *st, TaskFunc func, GError **error)
{
  st->buckets = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  for (guint b = 0; b < st->n; b++)
    g_ptr_array_add (st->buckets, g_ptr_array_new_with_free_func ((GDestroyNotify) weft_batch_free));
  guint parts = state_of (run, p->child)->n;
  Exchange x = { p, st };
  g_mutex_init (&x.lock);
  x.per_part = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  for (guint i = 0; i < parts; i++)
    g_ptr_array_add (x.per_part, g_ptr_array_new_with_free_func ((GDestroyNotify) weft_batch_free));
  gboolean ok = run_tasks (run, parts, func, &x, error);
  /* In partition order, as Spark's take() and show() return rows. */
  for (guint i = 0; ok && i < parts; i++)
    {
      GPtrArray *l = x.per_part->pdata[i];
      for (guint k = 0; k < l->len; k++)
        {
          g_ptr_array_add (st->buckets->pdata[0], l->pdata[k]);
          l->pdata[k] = NULL;
        }
    }
  g_ptr_array_unref (x.per_part);
  g_mutex_clear (&x.lock);
  return ok;
}

static gboolean
prepare (Run *run, WeftPlan *p, GError **error)
{
  if (state_of (run, p))
    return TRUE;
  if (p->child && !prepare (run, p->child, error))
    return FALSE;
  if (p->right && !prepare (run, p->right, error))
    return FALSE;
  NodeState *st = g_new0 (NodeState, 1);
  g_hash_table_insert (run->states, p, st);
  switch (p->kind)
    {
    case WEFT_PLAN_CSV_SCAN:
      st->splits = weft_csv_plan_splits ((const char *const *) p->files, g_strv_length (p->files),
                                         p->csv, error);
      if (st->splits == NULL)
        return FALSE;
      st->n = MAX (st->splits->len, 1);
      return TRUE;
    case WEFT_PLAN_ROWS:
      st->n = p->n_partitions;
      return TRUE;
    case WEFT_PLAN_FILTER:
    case WEFT_PLAN_PROJECT:
      st->n = state_of (run, p->child)->n;
      return TRUE;
    case WEFT_PLAN_COALESCE:
      st->n = MIN (p->n_partitions, state_of (run, p->child)->n);
      return TRUE;
    case WEFT_PLAN_AGGREGATE:
      st->n = p->exprs->len > 0 ? run->ex->shuffle_partitions : 1;
      st->agg_input = agg_input_schema (p);
      return materialize (run, p, st, partial_agg_task, error);
    case WEFT_PLAN_SORT:
    case WEFT_PLAN_LIMIT:
      st->n = 1;
      if (!materialize (run, p, st, gather_task, error))
        return FALSE;
      if (p->kind == WEFT_PLAN_LIMIT)
        {
          /* Partitions each gave up to `limit`: keep the first `limit` overall. */
          GPtrArray *b = st->buckets->pdata[0];
          gint64 left = p->limit;
          for (guint i = 0; i < b->len; i++)
            {
              WeftBatch *batch = b->pdata[i];
              gint64 rows = (gint64) batch->n_rows;
              if (left <= 0)
                {
                  g_ptr_array_set_size (b, i);
                  break;
                }
              if (rows > left)
                {
                  b->pdata[i] = weft_batch_slice (batch, 0, (gsize) left);
                  weft_batch_free (batch);
                }
              left -= MIN (rows, left);
            }
        }
      return TRUE;
    case WEFT_PLAN_REPARTITION:
      st->n = p->n_partitions;
      return materialize (run, p, st, p->exprs ? hash_repartition_task : gather_task, error);
    case WEFT_PLAN_JOIN:
      st->n = run->ex->shuffle_partitions;
      return materialize_join (run, p, st, error);
    case WEFT_PLAN_UNION:
      /* No exchange: the left's partitions, then the right's. */
      st->n = state_of (run, p->child)->n + state_of (run, p->right)->n;
      return TRUE;
    case WEFT_PLAN_STUB:
      break;
    }
  return TRUE;
}

/* ---- the job ---- */

typedef struct {
  WeftPlan *plan;
  WeftExecSink sink;
  gpointer data;
} Output;

static gboolean
output_task (Run *run, guint part, gpointer data, GError **error)
{
  Output *o = data;
  Iter *it = open_partition (run, o->plan, part, error);
  if (it == NULL)
    return FALSE;
  gboolean ok = TRUE;
  while (ok && it->next)
    {
      WeftBatch *b = NULL;
      ok = it->next (it, &b, error);
      if (!ok || b == NULL)
        break;
      ok = o->sink (part, b, o->data, error);
    }
  iter_free (it);
  return ok;
}

gboolean
weft_exec_run (WeftExec *ex, WeftPlan *plan, void (*on_start) (guint, gpointer), WeftExecSink sink,
               gpointer user_data, GError **error)
{
  Run run = { ex, g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) node_state_free) };
  gboolean ok = prepare (&run, plan, error);
  if (ok)
    {
      guint n = state_of (&run, plan)->n;
      if (on_start)
        on_start (n, user_data);
      Output o = { plan, sink, user_data };
      ok = run_tasks (&run, n, output_task, &o, error);
    }
  g_hash_table_unref (run.states);
  return ok;
}

WeftExec *
weft_exec_new (const WeftBackendOps *ops, gpointer backend, gsize task_memory,
               guint shuffle_partitions)
{
  WeftExec *ex = g_new0 (WeftExec, 1);
  ex->ops = ops;
  ex->backend = backend;
  ex->task_memory = task_memory;
  ex->shuffle_partitions = MAX (shuffle_partitions, 1);
  return ex;
}

gsize
weft_exec_get_task_memory (WeftExec *ex)
{
  return ex->task_memory;
}

guint
weft_exec_get_threads (WeftExec *ex)
{
  return ex->ops->slots (ex->backend);
}

void
weft_exec_free (WeftExec *ex)
{
  g_free (ex);
}

guint
weft_exec_get_shuffle_partitions (WeftExec *ex)
{
  return ex->shuffle_partitions;
}
