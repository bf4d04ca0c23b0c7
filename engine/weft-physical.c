/* weft-physical: the physical plan of explain(). See weft-physical.h. Each
 * case below mirrors prepare() and open_partition() in weft-exec.c: a change
 * to how the executor runs a node belongs here too. */
#include "weft-physical.h"

#include "weft-csv.h"

/* The operators one task pipelines between exchanges. Two inputs run in
 * one stage (a union's) are one stage: @same points to the survivor. */
typedef struct Stage Stage;
struct Stage {
  Stage *same;
  guint id;       /* 0 until the stage is closed by the exchange above it (or the root) */
};

typedef struct PNode PNode;
struct PNode {
  char *text;
  Stage *stage;   /* NULL: an exchange, between two stages */
  PNode *kids[2];
};

typedef struct {
  guint shuffle_partitions;
  guint next_id;
  GPtrArray *stages;    /* owns every Stage */
} Builder;

static void
pnode_free (PNode *n)
{
  if (n == NULL)
    return;
  pnode_free (n->kids[0]);
  pnode_free (n->kids[1]);
  g_free (n->text);
  g_free (n);
}

static Stage *
find (Stage *s)
{
  while (s && s->same)
    s = s->same;
  return s;
}

static Stage *
new_stage (Builder *b)
{
  Stage *s = g_new0 (Stage, 1);
  g_ptr_array_add (b->stages, s);
  return s;
}

/* The stage @child's consumer runs in: the child's own, or a new one above an exchange. */
static Stage *
stage_above (Builder *b, const PNode *child)
{
  return child->stage ? child->stage : new_stage (b);
}

/* Its tasks run once everything below has run: post-order numbers are the run order. */
static void
close_stage (Builder *b, Stage *s)
{
  s = find (s);
  if (s == NULL)
    {
      /* A stage of no operator (it only reads the exchange below): it still runs. */
      b->next_id++;
      return;
    }
  if (s->id == 0)
    s->id = ++b->next_id;
}

static PNode *
pnode (char *text, Stage *stage, PNode *kid0, PNode *kid1)
{
  PNode *n = g_new0 (PNode, 1);
  n->text = text;
  n->stage = stage;
  n->kids[0] = kid0;
  n->kids[1] = kid1;
  return n;
}

static PNode *
exchange (Builder *b, char *text, PNode *child)
{
  close_stage (b, child->stage);
  return pnode (text, NULL, child, NULL);
}

static void
append_exprs (GString *s, const GPtrArray *exprs)
{
  for (guint i = 0; exprs && i < exprs->len; i++)
    {
      g_autofree char *e = weft_expr_to_string (exprs->pdata[i]);
      g_string_append_printf (s, "%s%s", i ? ", " : "", e);
    }
}

static char *
exprs_string (const GPtrArray *exprs)
{
  GString *s = g_string_new (NULL);
  append_exprs (s, exprs);
  return g_string_free (s, FALSE);
}

static char *
agg_functions (const WeftPlan *p, const char *prefix)
{
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < p->aggs->len; i++)
    {
      const WeftPlanAgg *a = p->aggs->pdata[i];
      g_autofree char *in = a->input ? weft_expr_to_string (a->input) : g_strdup ("1");
      g_string_append_printf (s, "%s%s%s(%s%s)", i ? ", " : "", prefix, weft_agg_func_name (a->func),
                              a->func == WEFT_AGG_COUNT_DISTINCT ? "distinct " : "", in);
    }
  return g_string_free (s, FALSE);
}

static char *
scan_text (const WeftPlan *p)
{
  GString *s = g_string_new ("FileScan csv [");
  for (guint i = 0; i < p->n_projection; i++)
    g_string_append_printf (s, "%s%s", i ? ", " : "",
                            weft_schema_get_field (p->file_schema, p->projection[i])->name);
  guint n_files = p->files ? g_strv_length (p->files) : 0;
  g_string_append_printf (s, "] Format: CSV, Location: [%s%s] (%u file%s), PushedFilters: [",
                          n_files ? p->files[0] : "", n_files > 1 ? ", ..." : "", n_files,
                          n_files == 1 ? "" : "s");
  if (p->pushed)
    {
      g_autofree char *e = weft_expr_to_string (p->pushed);
      g_string_append (s, e);
    }
  g_string_append (s, "], ReadSchema: struct<");
  for (guint i = 0; i < p->n_projection; i++)
    {
      const WeftField *f = weft_schema_get_field (p->file_schema, p->projection[i]);
      g_string_append_printf (s, "%s%s:%s", i ? "," : "", f->name, weft_data_type_name (f->type));
    }
  g_string_append_c (s, '>');
  /* The executor's partitions: one task per split (one empty one for no bytes at all). A file
   * that cannot be read now leaves the count out; the run will say why. */
  g_autoptr(GPtrArray) splits = weft_csv_plan_splits ((const char *const *) p->files, n_files,
                                                      p->csv, NULL);
  if (splits)
    g_string_append_printf (s, ", Splits: %u", splits->len);
  return g_string_free (s, FALSE);
}

/* A join side's key as the exchange hashes it: cast to double where the other side's is one. */
static char *
join_keys (const GPtrArray *keys, const GPtrArray *other)
{
  GString *s = g_string_new (NULL);
  for (guint k = 0; k < keys->len; k++)
    {
      g_autofree char *e = weft_expr_to_string (keys->pdata[k]);
      WeftDataType t = weft_expr_get_type (keys->pdata[k]);
      if (t != weft_expr_get_type (other->pdata[k]) && t != WEFT_DATA_TYPE_DOUBLE)
        g_string_append_printf (s, "%scast(%s as %s)", k ? ", " : "", e,
                                weft_data_type_name (WEFT_DATA_TYPE_DOUBLE));
      else
        g_string_append_printf (s, "%s%s", k ? ", " : "", e);
    }
  return g_string_free (s, FALSE);
}

static PNode *
build (Builder *b, const WeftPlan *p)
{
  PNode *child = p->child ? build (b, p->child) : NULL;
  PNode *right = p->right ? build (b, p->right) : NULL;
  switch (p->kind)
    {
    case WEFT_PLAN_CSV_SCAN:
      return pnode (scan_text (p), new_stage (b), NULL, NULL);
    case WEFT_PLAN_ROWS:
      {
        GString *s = g_string_new ("LocalTableScan [");
        for (guint i = 0; i < weft_schema_get_n_fields (p->schema); i++)
          g_string_append_printf (s, "%s%s", i ? ", " : "", weft_schema_get_field (p->schema, i)->name);
        g_string_append_printf (s, "], %zu rows, %u partitions", p->rows->n_rows, p->n_partitions);
        return pnode (g_string_free (s, FALSE), new_stage (b), NULL, NULL);
      }
    case WEFT_PLAN_FILTER:
      {
        g_autofree char *e = weft_expr_to_string (p->predicate);
        return pnode (g_strdup_printf ("Filter %s", e), stage_above (b, child), child, NULL);
      }
    case WEFT_PLAN_PROJECT:
      {
        g_autofree char *e = exprs_string (p->exprs);
        return pnode (g_strdup_printf ("Project [%s]", e), stage_above (b, child), child, NULL);
      }
    case WEFT_PLAN_AGGREGATE:
      {
        /* Partial per input partition, hash-partitioned by key (one partition without keys),
         * final per output partition. */
        g_autofree char *keys = exprs_string (p->exprs);
        g_autofree char *partial = agg_functions (p, "partial_");
        g_autofree char *final = agg_functions (p, "");
        PNode *pn = pnode (g_strdup_printf ("HashAggregate(keys=[%s], functions=[%s])", keys, partial),
                           stage_above (b, child), child, NULL);
        PNode *x = exchange (b, p->exprs->len > 0
                                  ? g_strdup_printf ("Exchange hashpartitioning(%s, %u)", keys,
                                                     b->shuffle_partitions)
                                  : g_strdup ("Exchange SinglePartition"), pn);
        return pnode (g_strdup_printf ("HashAggregate(keys=[%s], functions=[%s])", keys, final),
                      new_stage (b), x, NULL);
      }
    case WEFT_PLAN_SORT:
      {
        /* Every row gathered into one partition, sorted there. */
        GString *s = g_string_new ("Sort [");
        for (guint i = 0; i < p->sort_keys->len; i++)
          {
            const WeftPlanSortKey *k = &g_array_index (p->sort_keys, WeftPlanSortKey, i);
            g_autofree char *e = weft_expr_to_string (k->expr);
            g_string_append_printf (s, "%s%s %s NULLS %s", i ? ", " : "", e,
                                    k->descending ? "DESC" : "ASC", k->nulls_first ? "FIRST" : "LAST");
          }
        g_string_append (s, "]");
        PNode *x = exchange (b, g_strdup ("Exchange SinglePartition"), child);
        return pnode (g_string_free (s, FALSE), new_stage (b), x, NULL);
      }
    case WEFT_PLAN_LIMIT:
      {
        /* Each partition gives at most n rows, gathered in partition order, cut to n. */
        PNode *local = pnode (g_strdup_printf ("LocalLimit %" G_GINT64_FORMAT, p->limit),
                              stage_above (b, child), child, NULL);
        PNode *x = exchange (b, g_strdup ("Exchange SinglePartition"), local);
        return pnode (g_strdup_printf ("GlobalLimit %" G_GINT64_FORMAT, p->limit), new_stage (b), x,
                      NULL);
      }
    case WEFT_PLAN_COALESCE:
      return pnode (g_strdup_printf ("Coalesce %u", p->n_partitions), stage_above (b, child), child,
                    NULL);
    case WEFT_PLAN_REPARTITION:
      {
        if (p->exprs == NULL)
          return exchange (b, g_strdup_printf ("Exchange RoundRobinPartitioning(%u)", p->n_partitions),
                           child);
        g_autofree char *keys = exprs_string (p->exprs);
        return exchange (b, g_strdup_printf ("Exchange hashpartitioning(%s, %u)", keys, p->n_partitions),
                         child);
      }
    case WEFT_PLAN_JOIN:
      {
        /* Both sides hash-partitioned by their keys; per partition the side with fewer rows is
         * built into the hash table and the other probes it. */
        g_autofree char *lk = join_keys (p->exprs, p->right_exprs);
        g_autofree char *rk = join_keys (p->right_exprs, p->exprs);
        PNode *lx = exchange (b, g_strdup_printf ("Exchange hashpartitioning(%s, %u)", lk,
                                                  b->shuffle_partitions), child);
        PNode *rx = exchange (b, g_strdup_printf ("Exchange hashpartitioning(%s, %u)", rk,
                                                  b->shuffle_partitions), right);
        g_autofree char *lplain = exprs_string (p->exprs);
        g_autofree char *rplain = exprs_string (p->right_exprs);
        return pnode (g_strdup_printf ("ShuffledHashJoin [%s], [%s], %s, BuildSmallerSide", lplain,
                                       rplain, weft_join_type_name (p->join_type)),
                      new_stage (b), lx, rx);
      }
    case WEFT_PLAN_UNION:
      {
        /* No exchange: the left's partitions then the right's, in the same stage. */
        Stage *ls = find (child->stage), *rs = find (right->stage);
        Stage *s = ls ? ls : rs ? rs : new_stage (b);
        if (ls && rs && ls != rs)
          rs->same = ls;
        return pnode (g_strdup ("Union"), s, child, right);
      }
    case WEFT_PLAN_STUB:
      return pnode (g_strdup ("ShuffleInput"), new_stage (b), NULL, NULL);
    }
  g_assert_not_reached ();
  return NULL;
}

static void
append_tree (GString *s, const PNode *n, const char *prefix, const char *branch)
{
  g_string_append (s, prefix);
  g_string_append (s, branch);
  Stage *st = find (n->stage);
  if (st)
    g_string_append_printf (s, "*(%u) ", st->id);
  g_string_append (s, n->text);
  g_string_append_c (s, '\n');
  if (n->kids[0] == NULL)
    return;
  g_autofree char *inner = g_strconcat (prefix, *branch == '\0' ? "" : *branch == ':' ? ":  " : "   ",
                                        NULL);
  if (n->kids[1])
    {
      append_tree (s, n->kids[0], inner, ":- ");
      append_tree (s, n->kids[1], inner, "+- ");
    }
  else
    append_tree (s, n->kids[0], inner, "+- ");
}

char *
weft_physical_plan_to_string (const WeftPlan *plan, guint shuffle_partitions)
{
  Builder b = { MAX (shuffle_partitions, 1), 0, g_ptr_array_new_with_free_func (g_free) };
  PNode *root = build (&b, plan);
  close_stage (&b, root->stage);
  GString *s = g_string_new (NULL);
  append_tree (s, root, "", "");
  pnode_free (root);
  g_ptr_array_unref (b.stages);
  return g_string_free (s, FALSE);
}
