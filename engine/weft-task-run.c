/* weft-task-run: runs one task. Every node is a stream of batches per
 * partition, pulled from the top; a node below the fragment's root that is
 * an exchange is read from its shuffle (the reduce side: the final aggregate,
 * the sort of everything gathered, the global limit, the rows repartitioned,
 * the join of both sides' buckets), and a map task pushes the partition of
 * its exchange's input into the exchange's shuffle (the map side: the partial
 * aggregate hash-partitioned by key, the rows of sort and limit gathered into
 * one partition, repartition's round robin or hash, each join side
 * hash-partitioned by its keys, with the same hash everywhere so equal keys
 * meet). A union is the left's partitions then the right's; coalesce chains
 * its child's partitions. See weft-task.h. */
#include "weft-task.h"

#include <string.h>

#include "weft-csv.h"
#include "weft-engine-error.h"
#include "weft-expr-eval.h"
#include "weft-hash.h"
#include "weft-hash-join.h"
#include "weft-shuffle.h"
#include "weft-sort.h"

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

/* What the task knows of each node it opens: its partitions and what its
 * operator needs, made the first time the node is asked for. */
typedef struct {
  guint n;
  GPtrArray *splits;    /* (borrowed) CSV_SCAN: WeftCsvSplit* */
  gint shuffle_id;      /* exchanges: the shuffle holding the (left) input */
  gint right_shuffle_id;
  WeftSchema *agg_input; /* AGGREGATE: schema of the rows the partial agg reads */
  JoinSide side[2];     /* JOIN: left, right */
  WeftDataType *key_types; /* JOIN: the type each key pair compares as */
} NodeState;

typedef struct {
  const WeftTask *task;
  const WeftTaskEnv *env;
  GHashTable *states;   /* WeftPlan* -> NodeState* */
  WeftTaskMetrics metrics;
  gint64 start_us;      /* when the run began, for run_ms */
  const WeftShuffleWriter *writer; /* (nullable) SHUFFLE_MAP: the writer, for bytes written */
  /* Set when a shuffle input could not be read (missing, unreachable, corrupt): the task
   * fails as a fetch failure, so the driver recomputes that map output. */
  gboolean fetch_failed;
  guint fetch_shuffle_id, fetch_map_id;
  char *fetch_executor_id;
} Run;

static void join_side_init (JoinSide *js, const WeftSchema *schema, GPtrArray *exprs,
                            const WeftDataType *types);
static WeftSchema *agg_input_schema (const WeftPlan *p);

static void
node_state_free (NodeState *s)
{
  if (s->agg_input)
    weft_schema_unref (s->agg_input);
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
  NodeState *st = g_hash_table_lookup (run->states, p);
  if (st)
    return st;
  st = g_new0 (NodeState, 1);
  const WeftNodeInfo *info = weft_task_get_info (run->task, p);
  st->n = info ? MAX (info->n_partitions, 1) : 1;
  st->splits = info ? info->splits : NULL;
  st->shuffle_id = info ? info->shuffle_id : -1;
  st->right_shuffle_id = info ? info->right_shuffle_id : -1;
  if (p->kind == WEFT_PLAN_AGGREGATE)
    st->agg_input = agg_input_schema (p);
  if (p->kind == WEFT_PLAN_JOIN)
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
    }
  g_hash_table_insert (run->states, (gpointer) p, st);
  return st;
}

static void
store_live (WeftTaskMetrics *live, const WeftTaskMetrics *m)
{
  __atomic_store_n (&live->run_ms, m->run_ms, __ATOMIC_RELAXED);
  __atomic_store_n (&live->records_read, m->records_read, __ATOMIC_RELAXED);
  __atomic_store_n (&live->records_written, m->records_written, __ATOMIC_RELAXED);
  __atomic_store_n (&live->shuffle_bytes_read, m->shuffle_bytes_read, __ATOMIC_RELAXED);
  __atomic_store_n (&live->shuffle_bytes_written, m->shuffle_bytes_written, __ATOMIC_RELAXED);
  __atomic_store_n (&live->spill_bytes, m->spill_bytes, __ATOMIC_RELAXED);
}

/* Publishes the counters so far into env->live (if any): a clock read and a few relaxed atomic
 * stores, cheap enough for every batch (never per row). run->metrics itself is left alone, so
 * the outcome's metrics are the same whether anyone watches or not. */
static void
publish (Run *run)
{
  if (run->env->live == NULL)
    return;
  WeftTaskMetrics m = run->metrics;
  if (run->writer)
    m.shuffle_bytes_written = weft_shuffle_writer_get_bytes (run->writer);
  m.run_ms = (guint64) (g_get_monotonic_time () - run->start_us) / 1000;
  store_live (run->env->live, &m);
}

void
weft_task_metrics_load (const WeftTaskMetrics *live, WeftTaskMetrics *out)
{
  out->run_ms = __atomic_load_n (&live->run_ms, __ATOMIC_RELAXED);
  out->records_read = __atomic_load_n (&live->records_read, __ATOMIC_RELAXED);
  out->records_written = __atomic_load_n (&live->records_written, __ATOMIC_RELAXED);
  out->shuffle_bytes_read = __atomic_load_n (&live->shuffle_bytes_read, __ATOMIC_RELAXED);
  out->shuffle_bytes_written = __atomic_load_n (&live->shuffle_bytes_written, __ATOMIC_RELAXED);
  out->spill_bytes = __atomic_load_n (&live->spill_bytes, __ATOMIC_RELAXED);
}

static int
map_output_cmp (gconstpointer a, gconstpointer b)
{
  const WeftMapOutput *x = *(WeftMapOutput *const *) a, *y = *(WeftMapOutput *const *) b;
  return x->map_id < y->map_id ? -1 : x->map_id > y->map_id;
}

/* The rows of reduce partition @part of shuffle @shuffle_id, map output by map output in map
 * order (so a gathered limit keeps the partitions' order): read from this executor's disk,
 * or fetched from the executor that wrote them, a few tries each. Any failure is a fetch
 * failure naming the map output, and no rows are returned. */
static GPtrArray *
read_bucket (Run *run, gint shuffle_id, guint part, GError **error)
{
  const WeftTaskEnv *env = run->env;
  g_autoptr(GPtrArray) outs = g_ptr_array_new ();
  for (guint i = 0; i < run->task->inputs->len; i++)
    {
      WeftMapOutput *mo = run->task->inputs->pdata[i];
      if ((gint) mo->shuffle_id == shuffle_id)
        g_ptr_array_add (outs, mo);
    }
  g_ptr_array_sort (outs, map_output_cmp);
  g_autoptr(GPtrArray) bucket = g_ptr_array_new_with_free_func ((GDestroyNotify) weft_batch_free);
  for (guint i = 0; i < outs->len; i++)
    {
      const WeftMapOutput *mo = outs->pdata[i];
      if (part < mo->n_sizes && mo->sizes[part] == 0)
        continue;
      gboolean local = env->fetch == NULL || g_strcmp0 (mo->executor_id, env->executor_id) == 0;
      g_autoptr(GBytes) seg = NULL;
      g_autoptr(GError) local_error = NULL;
      guint tries = local ? 1 : MAX (env->fetch_retries, 1);
      for (guint t = 0; t < tries && seg == NULL; t++)
        {
          if (t > 0)
            g_usleep (G_USEC_PER_SEC / 20 << MIN (t - 1, 4));
          g_clear_error (&local_error);
          if (part >= mo->n_sizes)
            g_set_error (&local_error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_CORRUPT,
                         "map output has %u partitions, not %u", mo->n_sizes, part + 1);
          else if (local)
            seg = weft_shuffle_read_segment (mo->data_path, part, &local_error);
          else if (!env->fetch (env->fetch_data, mo, part, &seg, &local_error))
            g_clear_pointer (&seg, g_bytes_unref);
        }
      guint64 raw = 0;
      if (seg == NULL || !weft_shuffle_decode_segment (seg, bucket, &raw, &local_error))
        {
          run->fetch_failed = TRUE;
          run->fetch_shuffle_id = mo->shuffle_id;
          run->fetch_map_id = mo->map_id;
          g_free (run->fetch_executor_id);
          run->fetch_executor_id = g_strdup (mo->executor_id);
          g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_IO,
                       "fetch failed: shuffle %u, map %u, reduce %u from executor %s: %s",
                       mo->shuffle_id, mo->map_id, part, mo->executor_id, local_error->message);
          return NULL;
        }
      run->metrics.shuffle_bytes_read += g_bytes_get_size (seg);
      publish (run);
    }
  return g_steal_pointer (&bucket);
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
  guint n_splits = st->splits ? st->splits->len : 0;
  if (part >= n_splits)
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
  if (part < n_splits)
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

/* A list of batches handed over one by one (a shuffle bucket, or slices of in-memory rows). */
typedef struct {
  Iter base;
  GPtrArray *batches;   /* WeftBatch* (owned) */
  guint i;
} ListIter;

static gboolean
list_next (Iter *it, WeftBatch **out, GError **error)
{
  ListIter *l = (ListIter *) it;
  *out = l->i < l->batches->len ? g_steal_pointer (&l->batches->pdata[l->i++]) : NULL;
  return TRUE;
}

static void
list_free (Iter *it)
{
  ListIter *l = (ListIter *) it;
  g_ptr_array_unref (l->batches);
  g_free (l);
}

/* @batches: (transfer full) */
static Iter *
list_iter (GPtrArray *batches)
{
  ListIter *l = g_new0 (ListIter, 1);
  l->base = (Iter) { list_next, list_free };
  l->batches = batches;
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
  g_autoptr(GPtrArray) left = read_bucket (run, st->shuffle_id, part, error);
  if (left == NULL)
    return NULL;
  g_autoptr(GPtrArray) right = read_bucket (run, st->right_shuffle_id, part, error);
  if (right == NULL)
    return NULL;
  /* Both sides are materialized: build the one with fewer rows in this partition (the right
   * one on a tie, as Spark's shuffled hash join). */
  WeftJoinSide build = bucket_rows (right) <= bucket_rows (left) ? WEFT_JOIN_SIDE_RIGHT
                                                                 : WEFT_JOIN_SIDE_LEFT;
  GPtrArray *build_rows = build == WEFT_JOIN_SIDE_RIGHT ? right : left;
  WeftHashJoin *join = weft_hash_join_new (p->join_type, st->side[0].ext, st->side[1].ext,
                                           st->side[0].keys, st->side[1].keys, p->exprs->len,
                                           build, run->task->memory, NULL, error);
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
        return list_iter (one);
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
      {
        GPtrArray *bucket = read_bucket (run, st->shuffle_id, part, error);
        return bucket ? list_iter (bucket) : NULL;
      }
    case WEFT_PLAN_LIMIT:
      {
        /* Each map task sent at most `limit` rows of its partition, in partition order:
         * keep the first `limit` overall. */
        GPtrArray *b = read_bucket (run, st->shuffle_id, 0, error);
        if (b == NULL)
          return NULL;
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
        return list_iter (b);
      }
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
        g_autoptr(GPtrArray) bucket = read_bucket (run, st->shuffle_id, part, error);
        if (bucket == NULL)
          return NULL;
        WeftHashAgg *agg = weft_hash_agg_new (WEFT_AGG_MODE_FINAL, st->agg_input, keys, p->exprs->len,
                                              specs, p->aggs->len, run->task->memory, NULL, error);
        if (agg == NULL)
          return NULL;
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
        g_autoptr(GPtrArray) bucket = read_bucket (run, st->shuffle_id, 0, error);
        if (bucket == NULL)
          return NULL;
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
        WeftSort *sort = weft_sort_new (ext, keys, nk, -1, run->task->memory, NULL, error);
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

/* ---- schema inference of one split ---- */

static gboolean
infer_task (Run *run, WeftTaskOutcome *o, GError **error)
{
  const WeftTask *task = run->task;
  const WeftPlan *p = task->plan;
  NodeState *st = state_of (run, p);
  if (p->kind != WEFT_PLAN_CSV_SCAN || st->splits == NULL || task->partition >= st->splits->len)
    {
      g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION,
                   "inference task %" G_GUINT64_FORMAT " has no split to read", task->task_id);
      return FALSE;
    }
  guint n_cols = weft_schema_get_n_fields (p->file_schema);
  o->types = g_new0 (WeftDataType, MAX (n_cols, 1));
  o->n_types = n_cols;
  return weft_csv_infer_split (st->splits->pdata[task->partition], p->csv, n_cols, o->types, error);
}

/* ---- the map side: a partition of an exchange's input into its shuffle ---- */

/* Drains @it, handing each batch to @each. */
static gboolean
drain (Iter *it, gboolean (*each) (Run *, WeftBatch *, gpointer, GError **), Run *run,
       gpointer data, GError **error)
{
  gboolean ok = TRUE;
  while (ok && it->next)
    {
      WeftBatch *in = NULL;
      ok = it->next (it, &in, error);
      if (!ok || in == NULL)
        break;
      run->metrics.records_read += in->n_rows;
      ok = each (run, in, data, error);
      /* After each: the batch's writes (rows out, shuffle bytes) count too. */
      publish (run);
    }
  iter_free (it);
  return ok;
}

/* Splits @in into @nb pieces by @hashes (a row goes to weft_hash_partition of its hash) and
 * writes each non-empty piece to its partition: how every keyed exchange moves rows, so equal
 * keys meet in one reduce partition whichever operator sent them. */
static gboolean
scatter_by_hash (const WeftBatch *in, const guint64 *hashes, WeftShuffleWriter *w, guint nb,
                 GError **error)
{
  if (nb == 1)
    return weft_shuffle_writer_add (w, 0, in, error);
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
      if (sel->n == in->n_rows)
        return weft_shuffle_writer_add (w, b, in, error);
      g_autoptr(WeftBatch) piece = weft_batch_take (in, sel);
      if (!weft_shuffle_writer_add (w, b, piece, error))
        return FALSE;
    }
  return TRUE;
}

typedef struct {
  const WeftPlan *p;
  NodeState *st;
  WeftShuffleWriter *w;
  guint nb;             /* reduce partitions */
  WeftHashAgg *agg;     /* AGGREGATE */
  guint rr;             /* REPARTITION without keys: the next partition */
  gint64 taken;         /* LIMIT */
  guint side;           /* JOIN */
} MapSide;

static gboolean
partial_agg_each (Run *run, WeftBatch *in, gpointer data, GError **error)
{
  MapSide *m = data;
  g_autoptr(WeftBatch) owned = in;
  g_autoptr(WeftBatch) rows = agg_input_batch (m->p, m->st->agg_input, in, error);
  return rows && weft_hash_agg_push (m->agg, rows, error);
}

/* Sort gathers every row in one partition, each with its sort keys appended as columns. */
static gboolean
sort_each (Run *run, WeftBatch *in, gpointer data, GError **error)
{
  MapSide *m = data;
  g_autoptr(WeftBatch) owned = in;
  const WeftPlan *p = m->p;
  guint width = in->n_columns, nk = p->sort_keys->len;
  g_autoptr(WeftSchema) ext = weft_schema_new ();
  g_autofree WeftColumn **cols = g_new0 (WeftColumn *, width + nk + 1);
  for (guint i = 0; i < width; i++)
    {
      const WeftField *f = weft_schema_get_field (in->schema, i);
      weft_schema_add_field (ext, f->name, f->type, f->nullable);
      cols[i] = weft_column_ref (in->columns[i]);
    }
  gboolean ok = TRUE;
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
      return FALSE;
    }
  g_autoptr(WeftBatch) b = weft_batch_new (ext, cols, in->n_rows);
  return weft_shuffle_writer_add (m->w, 0, b, error);
}

/* Limit: each map partition sends at most `limit` rows. */
static gboolean
limit_each (Run *run, WeftBatch *in, gpointer data, GError **error)
{
  MapSide *m = data;
  g_autoptr(WeftBatch) owned = in;
  gsize want = (gsize) MIN ((gint64) in->n_rows, m->p->limit - m->taken);
  if (want == 0)
    return TRUE;
  m->taken += (gint64) want;
  g_autoptr(WeftBatch) head = weft_batch_slice (in, 0, want);
  return weft_shuffle_writer_add (m->w, 0, head, error);
}

/* repartition(n): whole batches dealt round robin; repartition(n, keys): rows hashed by the
 * keys' values with the hash the aggregate's and the join's exchanges use. */
static gboolean
repartition_each (Run *run, WeftBatch *in, gpointer data, GError **error)
{
  MapSide *m = data;
  g_autoptr(WeftBatch) owned = in;
  if (in->n_rows == 0)
    return TRUE;
  if (m->p->exprs == NULL)
    return weft_shuffle_writer_add (m->w, m->rr++ % m->nb, in, error);
  guint nk = m->p->exprs->len;
  g_autofree WeftColumn **keys = g_new0 (WeftColumn *, MAX (nk, 1));
  gboolean ok = TRUE;
  for (guint k = 0; ok && k < nk; k++)
    ok = (keys[k] = weft_expr_eval (m->p->exprs->pdata[k], in, error)) != NULL;
  if (ok)
    {
      g_autofree guint64 *hashes = g_new (guint64, in->n_rows);
      weft_hash_columns (keys, nk, in->n_rows, hashes);
      ok = scatter_by_hash (in, hashes, m->w, m->nb, error);
    }
  for (guint k = 0; k < nk; k++)
    if (keys[k])
      weft_column_unref (keys[k]);
  return ok;
}

/* A join side: rows with their keys appended, hashed by the keys. */
static gboolean
join_each (Run *run, WeftBatch *in, gpointer data, GError **error)
{
  MapSide *m = data;
  g_autoptr(WeftBatch) owned = in;
  if (in->n_rows == 0)
    return TRUE;
  const JoinSide *js = &m->st->side[m->side];
  g_autoptr(WeftBatch) rows = join_side_batch (m->st, js, in, error);
  if (rows == NULL)
    return FALSE;
  g_autofree guint64 *hashes = g_new (guint64, rows->n_rows);
  weft_hash_batch (rows, js->keys, js->exprs->len, hashes);
  return scatter_by_hash (rows, hashes, m->w, m->nb, error);
}

static gboolean
map_task (Run *run, WeftTaskOutcome *o, GError **error)
{
  const WeftTask *task = run->task;
  const WeftPlan *p = task->plan;
  NodeState *st = state_of (run, p);
  MapSide m = { p, st, NULL, st->n, NULL, task->partition, 0, task->side };
  gint shuffle_id = task->side == 1 ? st->right_shuffle_id : st->shuffle_id;
  if (shuffle_id < 0)
    {
      g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_SCHEMA,
                   "map task %" G_GUINT64_FORMAT " has no shuffle to write", task->task_id);
      return FALSE;
    }
  g_autoptr(WeftShuffleWriter) w =
    weft_shuffle_writer_new (run->env->shuffle_dir, (guint) shuffle_id, task->partition,
                             task->attempt, m.nb, run->env->block_size, error);
  if (w == NULL)
    return FALSE;
  m.w = w;
  run->writer = w;
  WeftPlan *input = task->side == 1 ? p->right : p->child;
  Iter *it = open_partition (run, input, task->partition, error);
  if (it == NULL)
    return FALSE;
  gboolean ok;
  switch (p->kind)
    {
    case WEFT_PLAN_AGGREGATE:
      {
        g_autofree WeftAggSpec *specs = agg_specs (p);
        g_autofree guint *keys = key_indices (p->exprs->len);
        g_autoptr(WeftHashAgg) agg = weft_hash_agg_new (WEFT_AGG_MODE_PARTIAL, st->agg_input, keys,
                                                        p->exprs->len, specs, p->aggs->len,
                                                        task->memory, NULL, error);
        if (agg == NULL)
          {
            iter_free (it);
            return FALSE;
          }
        m.agg = agg;
        ok = drain (it, partial_agg_each, run, &m, error) && weft_hash_agg_finish (agg, error);
        while (ok)
          {
            g_autoptr(WeftBatch) state = NULL;
            ok = weft_hash_agg_next (agg, &state, error);
            if (!ok || state == NULL)
              break;
            /* Hash-partition the states by key: a key's rows meet in one reducer. */
            g_autofree guint64 *hashes = g_new (guint64, MAX (state->n_rows, 1));
            weft_hash_batch (state, keys, p->exprs->len, hashes);
            ok = scatter_by_hash (state, hashes, w, m.nb, error);
          }
        break;
      }
    case WEFT_PLAN_SORT:
      ok = drain (it, sort_each, run, &m, error);
      break;
    case WEFT_PLAN_LIMIT:
      ok = drain (it, limit_each, run, &m, error);
      break;
    case WEFT_PLAN_REPARTITION:
      ok = drain (it, repartition_each, run, &m, error);
      break;
    case WEFT_PLAN_JOIN:
      ok = drain (it, join_each, run, &m, error);
      break;
    default:
      iter_free (it);
      g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_SCHEMA,
                   "map task %" G_GUINT64_FORMAT ": not an exchange", task->task_id);
      return FALSE;
    }
  if (!ok)
    return FALSE;
  WeftMapOutput *out = g_new0 (WeftMapOutput, 1);
  out->shuffle_id = (guint) shuffle_id;
  out->map_id = task->partition;
  out->executor_id = g_strdup (run->env->executor_id);
  out->host = g_strdup (run->env->host ? run->env->host : "");
  out->port = run->env->port;
  out->n_sizes = m.nb;
  if (!weft_shuffle_writer_commit (w, &out->data_path, &out->sizes, error))
    {
      weft_map_output_free (out);
      return FALSE;
    }
  /* After the commit: a partition's last block is written then. */
  run->metrics.shuffle_bytes_written = weft_shuffle_writer_get_bytes (w);
  run->writer = NULL;
  o->map_output = out;
  return TRUE;
}

/* ---- the last stage: rows back to the driver, or a part file ---- */

static gboolean
result_each (Run *run, WeftBatch *in, gpointer data, GError **error)
{
  WeftTaskOutcome *o = data;
  run->metrics.records_written += in->n_rows;
  g_ptr_array_add (o->batches, in);
  return TRUE;
}

static gboolean
write_each (Run *run, WeftBatch *in, gpointer data, GError **error)
{
  WeftCsvWriter **wr = data;
  g_autoptr(WeftBatch) owned = in;
  run->metrics.records_written += in->n_rows;
  if (*wr == NULL)
    {
      *wr = weft_csv_writer_new (run->task->write_options, run->task->plan->schema,
                                 run->task->write_path, error);
      if (*wr == NULL)
        return FALSE;
    }
  return weft_csv_writer_write (*wr, in, error);
}

static gboolean
write_task (Run *run, GError **error)
{
  const WeftTask *task = run->task;
  if (task->write_path == NULL || task->write_options == NULL)
    {
      g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION,
                   "write task %" G_GUINT64_FORMAT " has no output path", task->task_id);
      return FALSE;
    }
  Iter *it = open_partition (run, task->plan, task->partition, error);
  if (it == NULL)
    return FALSE;
  WeftCsvWriter *wr = NULL;
  gboolean ok = drain (it, write_each, run, &wr, error);
  /* An empty partition writes no file, but partition 0 always does (Spark's rule). */
  if (ok && wr == NULL && task->partition == 0)
    ok = (wr = weft_csv_writer_new (task->write_options, task->plan->schema, task->write_path,
                                    error)) != NULL;
  if (wr)
    {
      ok = weft_csv_writer_close (wr, ok ? error : NULL) && ok;
      weft_csv_writer_free (wr);
    }
  return ok;
}

WeftTaskOutcome *
weft_task_run (const WeftTask *task, const WeftTaskEnv *env)
{
  gint64 start = g_get_monotonic_time ();
  Run run = { task, env, g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) node_state_free) };
  run.start_us = start;
  g_autoptr(WeftTaskOutcome) o = weft_task_outcome_new (task->task_id, WEFT_TASK_SUCCEEDED);
  o->executor_id = g_strdup (env->executor_id);
  g_autoptr(GError) error = NULL;
  gboolean ok = FALSE;
  switch (task->kind)
    {
    case WEFT_TASK_RESULT:
      {
        o->batches = g_ptr_array_new_with_free_func ((GDestroyNotify) weft_batch_free);
        Iter *it = open_partition (&run, task->plan, task->partition, &error);
        ok = it && drain (it, result_each, &run, o, &error);
        break;
      }
    case WEFT_TASK_SHUFFLE_MAP:
      ok = map_task (&run, o, &error);
      run.writer = NULL;  /* freed by map_task, whichever way it returned */
      break;
    case WEFT_TASK_WRITE_CSV:
      ok = write_task (&run, &error);
      break;
    case WEFT_TASK_INFER_CSV:
      ok = infer_task (&run, o, &error);
      break;
    }
  if (!ok)
    {
      if (error == NULL)
        g_set_error (&error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_CALLBACK, "task failed");
      o->state = run.fetch_failed ? WEFT_TASK_FETCH_FAILED : WEFT_TASK_FAILED;
      o->message = g_strdup (error->message);
      g_clear_pointer (&o->batches, g_ptr_array_unref);
      g_clear_pointer (&o->map_output, weft_map_output_free);
      if (run.fetch_failed)
        {
          o->fetch_shuffle_id = run.fetch_shuffle_id;
          o->fetch_map_id = run.fetch_map_id;
          o->fetch_executor_id = g_steal_pointer (&run.fetch_executor_id);
        }
    }
  g_free (run.fetch_executor_id);
  g_hash_table_unref (run.states);
  run.metrics.run_ms = (guint64) (g_get_monotonic_time () - start) / 1000;
  o->metrics = run.metrics;
  if (env->live)
    store_live (env->live, &run.metrics);
  return g_steal_pointer (&o);
}
