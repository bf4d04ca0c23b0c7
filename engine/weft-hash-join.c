/* weft-hash-join: in-memory hash join with grace partitioning past the budget (see
 * weft-hash-join.h).
 *
 * The build side's batches are appended to one set of buffer columns, so a build row is a 32-bit
 * index. The table is a bucket array of chain heads (row + 1) over a power of two at least twice
 * the rows, with next[] links and each row's full hash kept for a cheap first test; rows are
 * chained in build order, rows with a null key are left out. A probe batch is hashed at once
 * (weft-hash), each row walks its chain, and matches become (probe row, build row) pairs that are
 * gathered into output batches of at most WEFT_BATCH_DEFAULT_ROWS. A byte per build row records a
 * match when unmatched or matched build rows must come out at the end (outer joins on the build
 * side, and semi/anti joins that build the left side).
 *
 * Grace: when the build buffer passes the budget, it and every later build batch are split into
 * 16 spill files by a level-salted hash of the keys, and so is every probe batch; at finish each
 * partition pair is joined by a sub-join one level deeper (which may split again, up to
 * WEFT_OPERATOR_MAX_SPILL_LEVEL, then works in memory whatever the size). The sub-join is fed
 * one probe batch at a time as the caller drains it, so output never piles up. */

#include "weft-hash-join.h"

#include "weft-engine-error.h"
#include "weft-hash.h"
#include "weft-spill.h"

#include <string.h>

#define SPILL_BITS 4
#define N_SPILL_PARTS (1u << SPILL_BITS)
#define NONE G_MAXUINT32

struct _WeftHashJoin
{
  WeftJoinType type;
  WeftJoinSide build_side;
  guint level;
  WeftSchema *left_schema;
  WeftSchema *right_schema;
  WeftSchema *out_schema;
  guint *left_keys;
  guint *right_keys;
  guint n_keys;
  gsize budget;
  char *spill_dir;
  WeftOperatorStats stats;

  /* Sides seen through the build/probe lens. */
  WeftSchema *build_schema;
  WeftSchema *probe_schema;
  const guint *build_keys;
  const guint *probe_keys;
  gboolean probe_is_left;
  gboolean emit_probe_unmatched; /* outer on the probe side */
  gboolean emit_build_unmatched; /* outer on the build side */
  gboolean track_matches;        /* build rows need a matched flag */
  gboolean semi, anti, left_only;

  /* The build side and its table. */
  WeftColumn **bcols;
  guint n_bcols;
  gsize b_rows;
  guint64 *bhash;
  guint32 *head;
  guint32 *next;
  guint32 bmask;
  guint8 *matched;
  gboolean built;

  /* Scratch. */
  guint64 *phash;
  gsize phash_cap;
  guint32 *pr, *br;
  gsize pair_n, pair_cap;

  /* Grace. */
  gboolean partitioned;
  WeftSpillFile *bparts[N_SPILL_PARTS];
  WeftSpillFile *pparts[N_SPILL_PARTS];
  guint part;
  WeftHashJoin *sub;
  WeftSpillFile *sub_probe; /* the partition's probe file the sub-join is reading */

  GQueue out;
  gboolean finished;
};

/* ---- Set-up ---------------------------------------------------------------------------------- */

static void
add_fields (WeftSchema *dst, const WeftSchema *src, gboolean force_nullable)
{
  for (guint i = 0; i < weft_schema_get_n_fields (src); i++)
    {
      const WeftField *f = weft_schema_get_field (src, i);

      weft_schema_add_field (dst, f->name, f->type, f->nullable || force_nullable);
    }
}

static void
buffer_reset (WeftHashJoin *j)
{
  for (guint i = 0; i < j->n_bcols; i++)
    {
      weft_column_unref (j->bcols[i]);
      j->bcols[i] = weft_column_new (weft_schema_get_field (j->build_schema, i)->type, 0);
    }
  j->b_rows = 0;
}

static WeftHashJoin *
join_new (WeftJoinType type, guint level, WeftSchema *left_schema, WeftSchema *right_schema,
          const guint *left_keys, const guint *right_keys, guint n_keys, WeftJoinSide build_side,
          gsize budget_bytes, const char *spill_dir, GError **error)
{
  WeftHashJoin *j;
  guint nl = weft_schema_get_n_fields (left_schema), nr = weft_schema_get_n_fields (right_schema);

  if (n_keys == 0)
    {
      g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_SCHEMA,
                   "hash join: at least one key is needed");
      return NULL;
    }
  for (guint k = 0; k < n_keys; k++)
    {
      if (left_keys[k] >= nl || right_keys[k] >= nr)
        {
          g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_SCHEMA,
                       "hash join key %u: column out of range", k);
          return NULL;
        }
      if (weft_schema_get_field (left_schema, left_keys[k])->type
          != weft_schema_get_field (right_schema, right_keys[k])->type)
        {
          g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_SCHEMA,
                       "hash join key %u: %s and %s differ in type (%s, %s)", k,
                       weft_schema_get_field (left_schema, left_keys[k])->name,
                       weft_schema_get_field (right_schema, right_keys[k])->name,
                       weft_data_type_name (weft_schema_get_field (left_schema, left_keys[k])->type),
                       weft_data_type_name (weft_schema_get_field (right_schema, right_keys[k])->type));
          return NULL;
        }
    }
  j = g_new0 (WeftHashJoin, 1);
  j->type = type;
  j->build_side = build_side;
  j->level = level;
  j->left_schema = weft_schema_ref (left_schema);
  j->right_schema = weft_schema_ref (right_schema);
  j->left_keys = g_memdup2 (left_keys, sizeof (guint) * n_keys);
  j->right_keys = g_memdup2 (right_keys, sizeof (guint) * n_keys);
  j->n_keys = n_keys;
  j->budget = MAX (budget_bytes, WEFT_OPERATOR_MIN_BUDGET);
  j->spill_dir = g_strdup (spill_dir);
  g_queue_init (&j->out);

  j->probe_is_left = build_side == WEFT_JOIN_SIDE_RIGHT;
  j->build_schema = j->probe_is_left ? right_schema : left_schema;
  j->probe_schema = j->probe_is_left ? left_schema : right_schema;
  j->build_keys = j->probe_is_left ? j->right_keys : j->left_keys;
  j->probe_keys = j->probe_is_left ? j->left_keys : j->right_keys;
  j->semi = type == WEFT_JOIN_LEFT_SEMI;
  j->anti = type == WEFT_JOIN_LEFT_ANTI;
  j->left_only = j->semi || j->anti;
  j->emit_probe_unmatched = type == WEFT_JOIN_FULL
                            || (type == WEFT_JOIN_LEFT && j->probe_is_left)
                            || (type == WEFT_JOIN_RIGHT && !j->probe_is_left);
  j->emit_build_unmatched = type == WEFT_JOIN_FULL
                            || (type == WEFT_JOIN_LEFT && !j->probe_is_left)
                            || (type == WEFT_JOIN_RIGHT && j->probe_is_left);
  j->track_matches = j->emit_build_unmatched || (j->left_only && !j->probe_is_left);

  j->out_schema = weft_schema_new ();
  add_fields (j->out_schema, left_schema, type == WEFT_JOIN_RIGHT || type == WEFT_JOIN_FULL);
  if (!j->left_only)
    add_fields (j->out_schema, right_schema, type == WEFT_JOIN_LEFT || type == WEFT_JOIN_FULL);

  j->n_bcols = weft_schema_get_n_fields (j->build_schema);
  j->bcols = g_new0 (WeftColumn *, MAX (j->n_bcols, 1));
  buffer_reset (j);
  return j;
}

WeftHashJoin *
weft_hash_join_new (WeftJoinType type, WeftSchema *left_schema, WeftSchema *right_schema,
                    const guint *left_keys, const guint *right_keys, guint n_keys,
                    WeftJoinSide build_side, gsize budget_bytes, const char *spill_dir,
                    GError **error)
{
  return join_new (type, 0, left_schema, right_schema, left_keys, right_keys, n_keys, build_side,
                   budget_bytes, spill_dir, error);
}

static void
free_table (WeftHashJoin *j)
{
  g_clear_pointer (&j->bhash, g_free);
  g_clear_pointer (&j->head, g_free);
  g_clear_pointer (&j->next, g_free);
  g_clear_pointer (&j->matched, g_free);
}

void
weft_hash_join_free (WeftHashJoin *j)
{
  if (j == NULL)
    return;
  for (guint i = 0; i < j->n_bcols; i++)
    weft_column_unref (j->bcols[i]);
  g_free (j->bcols);
  free_table (j);
  g_free (j->phash);
  g_free (j->pr);
  g_free (j->br);
  for (guint p = 0; p < N_SPILL_PARTS; p++)
    {
      weft_spill_file_free (j->bparts[p]);
      weft_spill_file_free (j->pparts[p]);
    }
  weft_hash_join_free (j->sub);
  weft_spill_file_free (j->sub_probe);
  g_queue_clear_full (&j->out, (GDestroyNotify) weft_batch_free);
  g_free (j->left_keys);
  g_free (j->right_keys);
  g_free (j->spill_dir);
  weft_schema_unref (j->left_schema);
  weft_schema_unref (j->right_schema);
  weft_schema_unref (j->out_schema);
  g_free (j);
}

WeftSchema *
weft_hash_join_get_output_schema (const WeftHashJoin *j)
{
  return j->out_schema;
}

const WeftOperatorStats *
weft_hash_join_get_stats (const WeftHashJoin *j)
{
  return &j->stats;
}

static gboolean
check_batch (const WeftSchema *schema, const WeftBatch *batch, const char *side, GError **error)
{
  guint n = weft_schema_get_n_fields (schema);
  gboolean ok = batch->n_columns == n;

  for (guint i = 0; ok && i < n; i++)
    ok = batch->columns[i]->type == weft_schema_get_field (schema, i)->type;
  if (!ok)
    g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_SCHEMA,
                 "hash join: a %s batch's columns do not match its schema", side);
  return ok;
}

static gsize
memory_bytes (const WeftHashJoin *j)
{
  gsize bytes = j->b_rows * (sizeof (guint64) + sizeof (guint32) + 1)
                + (j->head != NULL ? ((gsize) j->bmask + 1) * sizeof (guint32) : 0)
                + j->pair_cap * 2 * sizeof (guint32) + j->phash_cap * sizeof (guint64);

  for (guint i = 0; i < j->n_bcols; i++)
    bytes += weft_column_get_bytes (j->bcols[i]);
  return bytes;
}

static void
note_memory (WeftHashJoin *j)
{
  j->stats.peak_memory = MAX (j->stats.peak_memory, memory_bytes (j));
}

/* ---- Grace partitioning ---------------------------------------------------------------------- */

static gboolean
partition_write (WeftHashJoin *j, const WeftBatch *b, gboolean build, GError **error)
{
  g_autofree guint64 *h = g_new (guint64, MAX (b->n_rows, 1));
  g_autofree guint32 *part = g_new (guint32, MAX (b->n_rows, 1));
  WeftSpillFile **files = build ? j->bparts : j->pparts;

  weft_hash_batch (b, build ? j->build_keys : j->probe_keys, j->n_keys, h);
  for (gsize i = 0; i < b->n_rows; i++)
    part[i] = weft_hash_spill_partition (h[i], j->level, SPILL_BITS);
  for (guint p = 0; p < N_SPILL_PARTS; p++)
    {
      g_autoptr (WeftSelection) sel = weft_selection_new (b->n_rows);
      guint64 before;

      for (gsize i = 0; i < b->n_rows; i++)
        if (part[i] == p)
          weft_selection_add (sel, (guint32) i);
      if (sel->n == 0)
        continue;
      g_autoptr (WeftBatch) pb = weft_batch_take (b, sel);
      if (files[p] == NULL)
        {
          files[p] = weft_spill_file_new (j->spill_dir, build ? j->build_schema : j->probe_schema,
                                          error);
          if (files[p] == NULL)
            return FALSE;
          j->stats.spill_files++;
        }
      before = weft_spill_file_get_bytes (files[p]);
      if (!weft_spill_file_write (files[p], pb, error))
        return FALSE;
      j->stats.spilled_bytes += weft_spill_file_get_bytes (files[p]) - before;
      j->stats.spilled_rows += pb->n_rows;
    }
  return TRUE;
}

/* Moves the build buffer to the partitions; from now on the join is partitioned. */
static gboolean
go_partitioned (WeftHashJoin *j, GError **error)
{
  g_autofree WeftColumn **cols = g_new0 (WeftColumn *, MAX (j->n_bcols, 1));
  g_autoptr (WeftBatch) b = NULL;

  for (guint i = 0; i < j->n_bcols; i++)
    cols[i] = weft_column_ref (j->bcols[i]);
  b = weft_batch_new (j->build_schema, cols, j->b_rows);
  j->partitioned = TRUE;
  if (!partition_write (j, b, TRUE, error))
    return FALSE;
  buffer_reset (j);
  return TRUE;
}

/* ---- Build ----------------------------------------------------------------------------------- */

gboolean
weft_hash_join_push_build (WeftHashJoin *j, const WeftBatch *batch, GError **error)
{
  g_return_val_if_fail (!j->built && !j->finished, FALSE);
  if (!check_batch (j->build_schema, batch, "build", error))
    return FALSE;
  j->stats.rows_in += batch->n_rows;
  if (batch->n_rows == 0)
    return TRUE;
  if (j->partitioned)
    return partition_write (j, batch, TRUE, error);
  if (j->b_rows + batch->n_rows >= G_MAXUINT32)
    {
      g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_TOO_LARGE,
                   "hash join: more than 2^32 build rows in one partition");
      return FALSE;
    }
  for (guint i = 0; i < j->n_bcols; i++)
    weft_column_append_range (j->bcols[i], batch->columns[i], 0, batch->n_rows);
  j->b_rows += batch->n_rows;
  note_memory (j);
  /* The table adds about 20 bytes a row: count them before deciding. */
  if (memory_bytes (j) + j->b_rows * 8 > j->budget && j->level < WEFT_OPERATOR_MAX_SPILL_LEVEL)
    return go_partitioned (j, error);
  return TRUE;
}

static gboolean
row_has_null_key (WeftColumn *const *cols, const guint *keys, guint n_keys, gsize row)
{
  for (guint k = 0; k < n_keys; k++)
    if (!weft_column_is_valid (cols[keys[k]], row))
      return TRUE;
  return FALSE;
}

static void
build_table (WeftHashJoin *j)
{
  gsize cap = 16;
  WeftColumn *stack[16];
  g_autofree WeftColumn **heap = NULL;
  WeftColumn **kc = stack;
  gboolean any_null = FALSE;

  j->built = TRUE;
  if (j->partitioned)
    return;
  while (cap < j->b_rows * 2)
    cap *= 2;
  j->bmask = (guint32) (cap - 1);
  j->head = g_new0 (guint32, cap);
  j->next = g_new (guint32, MAX (j->b_rows, 1));
  j->bhash = g_new (guint64, MAX (j->b_rows, 1));
  if (j->track_matches)
    j->matched = g_new0 (guint8, MAX (j->b_rows, 1));
  if (j->n_keys > G_N_ELEMENTS (stack))
    kc = heap = g_new (WeftColumn *, j->n_keys);
  for (guint k = 0; k < j->n_keys; k++)
    {
      kc[k] = j->bcols[j->build_keys[k]];
      any_null |= kc[k]->validity != NULL && kc[k]->null_count > 0;
    }
  weft_hash_columns (kc, j->n_keys, j->b_rows, j->bhash);
  /* Backwards, so each chain lists its rows in build order. */
  for (gsize r = j->b_rows; r-- > 0;)
    {
      guint32 pos = (guint32) j->bhash[r] & j->bmask;

      if (any_null && row_has_null_key (j->bcols, j->build_keys, j->n_keys, r))
        {
          j->next[r] = 0;
          continue;
        }
      j->next[r] = j->head[pos];
      j->head[pos] = (guint32) r + 1;
    }
  note_memory (j);
}

/* ---- Output ---------------------------------------------------------------------------------- */

/* src[rows[i]] for each i, null where rows[i] is NONE (or where @src is NULL). */
static WeftColumn *
gather (const WeftColumn *src, WeftDataType type, guint32 *rows, gsize n)
{
  WeftColumn *c;
  gboolean none = FALSE;

  if (src == NULL || src->length == 0)
    {
      c = weft_column_new (type, n);
      for (gsize i = 0; i < n; i++)
        weft_column_append_null (c);
      return c;
    }
  for (gsize i = 0; i < n && !none; i++)
    none = rows[i] == NONE;
  if (!none)
    return weft_column_take (src, rows, n);
  c = weft_column_new (type, n);
  for (gsize i = 0; i < n;)
    {
      gsize k = i;

      /* Runs of real rows gather in bulk; NONE rows are nulls. */
      while (k < n && rows[k] != NONE)
        k++;
      weft_column_append_take (c, src, rows + i, k - i);
      if (k < n)
        weft_column_append_null (c);
      i = k + 1;
    }
  return c;
}

/* Turns the pending pairs into an output batch. @probe is the probe batch the probe rows index
 * (NULL when every probe row is NONE). */
static void
flush_pairs (WeftHashJoin *j, const WeftBatch *probe)
{
  guint n_out = weft_schema_get_n_fields (j->out_schema), col = 0;
  g_autofree WeftColumn **cols = NULL;
  gsize n = j->pair_n;

  if (n == 0)
    return;
  cols = g_new0 (WeftColumn *, MAX (n_out, 1));
  for (guint side = 0; side < 2; side++)
    {
      gboolean is_left = side == 0;
      gboolean is_probe = is_left == j->probe_is_left;
      WeftSchema *schema = is_left ? j->left_schema : j->right_schema;

      if (!is_left && j->left_only)
        break;
      for (guint i = 0; i < weft_schema_get_n_fields (schema); i++)
        {
          WeftDataType type = weft_schema_get_field (schema, i)->type;

          if (is_probe)
            cols[col++] = gather (probe != NULL ? probe->columns[i] : NULL, type, j->pr, n);
          else
            cols[col++] = gather (j->bcols[i], type, j->br, n);
        }
    }
  g_queue_push_tail (&j->out, weft_batch_new (j->out_schema, cols, n));
  j->pair_n = 0;
}

static inline void
add_pair (WeftHashJoin *j, const WeftBatch *probe, guint32 p, guint32 b)
{
  if (j->pair_n == j->pair_cap)
    {
      j->pair_cap = MAX (j->pair_cap * 2, 1024);
      j->pr = g_renew (guint32, j->pr, j->pair_cap);
      j->br = g_renew (guint32, j->br, j->pair_cap);
    }
  j->pr[j->pair_n] = p;
  j->br[j->pair_n] = b;
  if (++j->pair_n == WEFT_BATCH_DEFAULT_ROWS)
    flush_pairs (j, probe);
}

static void
probe_batch (WeftHashJoin *j, const WeftBatch *batch)
{
  gsize n = batch->n_rows;
  WeftColumn *stack[16];
  g_autofree WeftColumn **heap = NULL;
  WeftColumn **pk = stack, **bk;
  g_autofree WeftColumn **bheap = NULL;
  WeftColumn *bstack[16];
  gboolean any_null = FALSE;

  if (n > j->phash_cap)
    {
      j->phash_cap = n;
      j->phash = g_renew (guint64, j->phash, n);
    }
  if (j->n_keys > G_N_ELEMENTS (stack))
    {
      pk = heap = g_new (WeftColumn *, j->n_keys);
      bk = bheap = g_new (WeftColumn *, j->n_keys);
    }
  else
    bk = bstack;
  for (guint k = 0; k < j->n_keys; k++)
    {
      pk[k] = batch->columns[j->probe_keys[k]];
      bk[k] = j->bcols[j->build_keys[k]];
      any_null |= pk[k]->validity != NULL && pk[k]->null_count > 0;
    }
  weft_hash_columns (pk, j->n_keys, n, j->phash);
  for (gsize i = 0; i < n; i++)
    {
      guint64 h = j->phash[i];
      guint32 r1;
      gboolean found = FALSE;

      if (any_null && row_has_null_key (batch->columns, j->probe_keys, j->n_keys, i))
        r1 = 0;
      else
        r1 = j->head[(guint32) h & j->bmask];
      for (; r1 != 0; r1 = j->next[r1 - 1])
        {
          guint32 r = r1 - 1;
          gboolean eq = j->bhash[r] == h;

          for (guint k = 0; eq && k < j->n_keys; k++)
            eq = weft_hash_values_equal (pk[k], i, bk[k], r);
          if (!eq)
            continue;
          found = TRUE;
          if (j->track_matches)
            j->matched[r] = 1;
          if (j->left_only)
            {
              if (!j->probe_is_left)
                continue; /* semi/anti building the left: mark every match, output at the end */
              break;      /* semi/anti probing with the left: one match decides */
            }
          add_pair (j, batch, (guint32) i, r);
        }
      if (j->left_only && j->probe_is_left)
        {
          if (found == j->semi)
            add_pair (j, batch, (guint32) i, NONE);
        }
      else if (!found && j->emit_probe_unmatched)
        add_pair (j, batch, (guint32) i, NONE);
    }
  flush_pairs (j, batch);
}

gboolean
weft_hash_join_push_probe (WeftHashJoin *j, const WeftBatch *batch, GError **error)
{
  g_return_val_if_fail (!j->finished, FALSE);
  if (!check_batch (j->probe_schema, batch, "probe", error))
    return FALSE;
  j->stats.rows_in += batch->n_rows;
  if (!j->built)
    build_table (j);
  if (batch->n_rows == 0)
    return TRUE;
  if (j->partitioned)
    return partition_write (j, batch, FALSE, error);
  probe_batch (j, batch);
  return TRUE;
}

/* The build rows that only come out at the end. */
static void
emit_build_rows (WeftHashJoin *j)
{
  gboolean want_matched = j->left_only && !j->probe_is_left && j->semi;

  if (!(j->emit_build_unmatched || (j->left_only && !j->probe_is_left)))
    return;
  for (gsize r = 0; r < j->b_rows; r++)
    if ((j->matched[r] != 0) == want_matched)
      add_pair (j, NULL, NONE, (guint32) r);
  flush_pairs (j, NULL);
}

gboolean
weft_hash_join_finish (WeftHashJoin *j, GError **error)
{
  g_return_val_if_fail (!j->finished, FALSE);
  if (!j->built)
    build_table (j);
  j->finished = TRUE;
  if (j->partitioned)
    return TRUE;
  emit_build_rows (j);
  return TRUE;
}

/* Starts the sub-join of the next non-empty partition: its build side pushed, its probe file
 * rewound. Leaves j->sub NULL when none is left. */
static gboolean
start_partition (WeftHashJoin *j, GError **error)
{
  while (j->part < N_SPILL_PARTS)
    {
      g_autoptr (WeftSpillFile) bf = g_steal_pointer (&j->bparts[j->part]);
      g_autoptr (WeftHashJoin) sub = NULL;

      j->sub_probe = g_steal_pointer (&j->pparts[j->part]);
      j->part++;
      if (bf == NULL && j->sub_probe == NULL)
        continue;
      sub = join_new (j->type, j->level + 1, j->left_schema, j->right_schema, j->left_keys,
                      j->right_keys, j->n_keys, j->build_side, j->budget, j->spill_dir, error);
      if (sub == NULL)
        return FALSE;
      if (bf != NULL && !weft_spill_file_rewind (bf, error))
        return FALSE;
      while (bf != NULL)
        {
          g_autoptr (WeftBatch) b = NULL;

          if (!weft_spill_file_read (bf, &b, error))
            return FALSE;
          if (b == NULL)
            break;
          if (!weft_hash_join_push_build (sub, b, error))
            return FALSE;
        }
      if (j->sub_probe != NULL && !weft_spill_file_rewind (j->sub_probe, error))
        return FALSE;
      j->sub = g_steal_pointer (&sub);
      return TRUE;
    }
  return TRUE;
}

/* Grace output: drives one partition's sub-join at a time, feeding it a probe batch whenever its
 * output runs dry, so output never piles up. */
static gboolean
next_partitioned (WeftHashJoin *j, WeftBatch **out, GError **error)
{
  for (;;)
    {
      if (j->sub == NULL)
        {
          if (!start_partition (j, error))
            return FALSE;
          if (j->sub == NULL)
            return TRUE;
        }
      if (!j->sub->finished)
        {
          g_autoptr (WeftBatch) b = NULL;

          if ((*out = g_queue_pop_head (&j->sub->out)) != NULL)
            return TRUE;
          if (j->sub_probe != NULL && !weft_spill_file_read (j->sub_probe, &b, error))
            return FALSE;
          if (b != NULL ? !weft_hash_join_push_probe (j->sub, b, error)
                        : !weft_hash_join_finish (j->sub, error))
            return FALSE;
          continue;
        }
      if (!weft_hash_join_next (j->sub, out, error))
        return FALSE;
      if (*out != NULL)
        return TRUE;
      j->stats.spilled_bytes += j->sub->stats.spilled_bytes;
      j->stats.spilled_rows += j->sub->stats.spilled_rows;
      j->stats.spill_files += j->sub->stats.spill_files;
      j->stats.peak_memory = MAX (j->stats.peak_memory, j->sub->stats.peak_memory);
      g_clear_pointer (&j->sub, weft_hash_join_free);
      g_clear_pointer (&j->sub_probe, weft_spill_file_free);
    }
}

gboolean
weft_hash_join_next (WeftHashJoin *j, WeftBatch **out, GError **error)
{
  *out = g_queue_pop_head (&j->out);
  if (*out == NULL && j->finished && j->partitioned && !next_partitioned (j, out, error))
    return FALSE;
  if (*out != NULL)
    {
      j->stats.rows_out += (*out)->n_rows;
      j->stats.batches_out++;
    }
  return TRUE;
}
