/* weft-hash-agg: vectorised hash aggregation (see weft-hash-agg.h).
 *
 * Groups get dense ids in order of first appearance. Their keys sit in key columns (one per key,
 * appended as groups appear), their states in one array per aggregate and state, indexed by group
 * id. The table is open addressing with linear probing over 8-byte slots {upper 32 hash bits,
 * group id + 1} at a load of at most 1/2; the full hashes are kept per group for resizing. A batch
 * goes through in passes: hash every key row (weft-hash), map every row to its group (the probe
 * loop, with fast paths for one int64 key and one string key, whose nulls bypass the table as one
 * remembered group), then update each aggregate over the whole batch from the group ids — tight
 * loops with one type switch per batch and no allocation per row.
 *
 * count(distinct) keeps one set per aggregate of (group, value) pairs (strings copied to an
 * arena); a new pair bumps the group's count. Its state form is the values themselves, one per
 * row, so partials and spills carry exactly the distinct pairs.
 *
 * Spilling: past the budget, PARTIAL writes its current state rows to one spill file and starts
 * afresh — a partial's output need not have unique keys, so the file is just streamed out at the
 * end. FINAL and COMPLETE write state rows into 16 files by a level-salted hash of the keys, start
 * afresh, and at the end run one FINAL sub-aggregation (one level deeper) per file. A global
 * aggregation (no keys) has one group and never spills. */

#include "weft-hash-agg.h"

#include "weft-engine-error.h"
#include "weft-hash.h"
#include "weft-spill.h"

#include <string.h>

#define SPILL_BITS 4
#define N_SPILL_PARTS (1u << SPILL_BITS)
#define ARENA_CHUNK (64 * 1024)

typedef struct
{
  guint32 tag;
  guint32 gid1; /* group id + 1; 0: empty */
} Slot;

typedef struct
{
  const char *p;
  gsize len;
} StrRef;

typedef struct
{
  GPtrArray *chunks;
  char *cur;
  gsize left;
  gsize bytes;
} Arena;

typedef struct
{
  guint64 h;
  guint64 v; /* the value bits, or the arena address of a string's bytes */
  guint32 gid1;
  guint32 len;
} DEntry;

typedef struct
{
  DEntry *e;
  gsize mask;
  gsize n;
} DistinctSet;

typedef struct
{
  WeftAggFunc func;
  WeftDataType in_type;  /* the input column's type (int64 for count(*)) */
  guint in_col;
  guint state_col; /* its first column in the state schema */
  WeftDataType out_type;
  gint64 *cnt;
  gint64 *i64; /* sum of int64; min/max of int64, date, bool */
  double *f64; /* sum of double, avg's sum, min/max of double */
  guint8 *has;
  StrRef *str; /* min/max of strings */
  DistinctSet dset;
  /* Output of count(distinct) state rows: entry indices by group. */
  guint32 *dlist;
  gsize *dstart;
} AggState;

typedef enum
{
  KEYS_NONE,
  KEYS_INT64,
  KEYS_STRING,
  KEYS_GENERIC,
} KeyPath;

typedef enum
{
  OUT_MEMORY,
  OUT_SPILL_STREAM,
  OUT_PARTITIONS,
  OUT_DONE,
} OutPhase;

struct _WeftHashAgg
{
  WeftAggMode mode;
  gboolean input_state;
  gboolean output_state;
  guint level;
  WeftSchema *input_schema;
  WeftSchema *state_schema;
  WeftSchema *output_schema;
  guint *keys;
  guint n_keys;
  WeftAggSpec *specs;
  guint n_aggs;
  gsize budget;
  char *spill_dir;
  WeftOperatorStats stats;
  KeyPath key_path;
  gboolean has_distinct;

  /* The table. */
  WeftColumn **gkeys;
  guint64 *ghash;
  guint32 n_groups;
  guint32 groups_cap;
  Slot *slots;
  guint32 mask;
  gint64 null_gid; /* single-key paths: the null key's group, or -1 */
  AggState *aggs;
  Arena arena;

  /* Scratch reused batch after batch. */
  guint64 *hashes;
  guint32 *gids;
  gsize scratch_cap;

  /* Spills. */
  WeftSpillFile *stream;               /* PARTIAL */
  WeftSpillFile *parts[N_SPILL_PARTS]; /* FINAL, COMPLETE */
  gboolean spilled;

  /* Output. */
  gboolean finished;
  OutPhase phase;
  guint32 out_gid;
  guint part;
  WeftHashAgg *sub;
};

/* ---- Small pieces ---------------------------------------------------------------------------- */

static char *
arena_alloc (Arena *a, gsize n)
{
  char *p;

  if (n > a->left)
    {
      gsize size = MAX (n, (gsize) ARENA_CHUNK);

      if (a->chunks == NULL)
        a->chunks = g_ptr_array_new_with_free_func (g_free);
      a->cur = g_malloc (size);
      a->left = size;
      a->bytes += size;
      g_ptr_array_add (a->chunks, a->cur);
    }
  p = a->cur;
  a->cur += n;
  a->left -= n;
  return p;
}

static void
arena_clear (Arena *a)
{
  g_clear_pointer (&a->chunks, g_ptr_array_unref);
  a->cur = NULL;
  a->left = 0;
  a->bytes = 0;
}

static inline int
compare_doubles (double a, double b)
{
  gboolean na = a != a, nb = b != b;

  if (na || nb)
    return na == nb ? 0 : (na ? 1 : -1);
  return a < b ? -1 : (a > b ? 1 : 0);
}

static inline int
compare_strings (const char *a, gsize la, const char *b, gsize lb)
{
  int r = (la && lb) ? memcmp (a, b, MIN (la, lb)) : 0;

  return r != 0 ? r : (la > lb) - (la < lb);
}

static const char *
func_name (WeftAggFunc f)
{
  switch (f)
    {
    case WEFT_AGG_COUNT_STAR:
    case WEFT_AGG_COUNT:
    case WEFT_AGG_COUNT_DISTINCT:
      return "count";
    case WEFT_AGG_SUM:
      return "sum";
    case WEFT_AGG_AVG:
      return "avg";
    case WEFT_AGG_MIN:
      return "min";
    case WEFT_AGG_MAX:
      return "max";
    }
  return "?";
}

/* ---- Distinct sets --------------------------------------------------------------------------- */

static void
dset_grow (DistinctSet *d)
{
  gsize cap = d->e == NULL ? 1024 : (d->mask + 1) * 2;
  DEntry *e = g_new0 (DEntry, cap);

  for (gsize i = 0; d->e != NULL && i <= d->mask; i++)
    if (d->e[i].gid1 != 0)
      {
        gsize pos = d->e[i].h & (cap - 1);

        while (e[pos].gid1 != 0)
          pos = (pos + 1) & (cap - 1);
        e[pos] = d->e[i];
      }
  g_free (d->e);
  d->e = e;
  d->mask = cap - 1;
}

/* Adds (gid, value of column at row) unless present; TRUE if it was new. */
static gboolean
dset_insert (DistinctSet *d, Arena *arena, guint32 gid, const WeftColumn *c, gsize row)
{
  guint64 bits, h;
  const char *s = NULL;
  gsize len = 0, pos;

  if (c->type == WEFT_DATA_TYPE_STRING)
    {
      s = weft_column_get_string (c, row, &len);
      bits = weft_hash_bytes (s, len);
    }
  else
    bits = weft_hash_value_bits (c, row);
  h = weft_hash_mix64 (bits ^ ((guint64) (gid + 1) * G_GUINT64_CONSTANT (0x9e3779b97f4a7c15)));
  if (d->e == NULL || (d->n + 1) * 2 > d->mask + 1)
    dset_grow (d);
  for (pos = h & d->mask;; pos = (pos + 1) & d->mask)
    {
      DEntry *e = &d->e[pos];

      if (e->gid1 == 0)
        break;
      if (e->h != h || e->gid1 != gid + 1)
        continue;
      if (s == NULL ? e->v == bits
                    : (e->len == len && (len == 0 || memcmp ((const char *) (guintptr) e->v, s, len) == 0)))
        return FALSE;
    }
  d->e[pos].h = h;
  d->e[pos].gid1 = gid + 1;
  if (s != NULL)
    {
      char *copy = arena_alloc (arena, len);

      if (len > 0)
        memcpy (copy, s, len);
      d->e[pos].v = (guint64) (guintptr) copy;
      d->e[pos].len = (guint32) len;
    }
  else
    d->e[pos].v = bits;
  d->n++;
  return TRUE;
}

/* ---- The table ------------------------------------------------------------------------------- */

static gsize
memory_bytes (const WeftHashAgg *a)
{
  gsize bytes = (gsize) (a->mask + 1) * sizeof (Slot) + (gsize) a->groups_cap * sizeof (guint64)
                + a->arena.bytes + a->scratch_cap * (sizeof (guint64) + sizeof (guint32));

  for (guint k = 0; k < a->n_keys; k++)
    bytes += weft_column_get_bytes (a->gkeys[k]);
  for (guint i = 0; i < a->n_aggs; i++)
    {
      const AggState *st = &a->aggs[i];

      bytes += (gsize) a->groups_cap
               * ((st->cnt ? 8 : 0) + (st->i64 ? 8 : 0) + (st->f64 ? 8 : 0) + (st->has ? 1 : 0)
                  + (st->str ? sizeof (StrRef) : 0));
      if (st->dset.e != NULL)
        bytes += (st->dset.mask + 1) * sizeof (DEntry);
    }
  return bytes;
}

static void
table_init (WeftHashAgg *a)
{
  a->gkeys = g_new0 (WeftColumn *, MAX (a->n_keys, 1));
  for (guint k = 0; k < a->n_keys; k++)
    a->gkeys[k] = weft_column_new (weft_schema_get_field (a->input_schema, a->keys[k])->type, 0);
  a->n_groups = 0;
  a->groups_cap = 0;
  a->mask = 255;
  a->slots = g_new0 (Slot, a->mask + 1);
  a->null_gid = -1;
}

static void
table_clear (WeftHashAgg *a)
{
  for (guint k = 0; a->gkeys != NULL && k < a->n_keys; k++)
    weft_column_unref (a->gkeys[k]);
  g_clear_pointer (&a->gkeys, g_free);
  g_clear_pointer (&a->ghash, g_free);
  g_clear_pointer (&a->slots, g_free);
  for (guint i = 0; i < a->n_aggs; i++)
    {
      AggState *st = &a->aggs[i];

      g_clear_pointer (&st->cnt, g_free);
      g_clear_pointer (&st->i64, g_free);
      g_clear_pointer (&st->f64, g_free);
      g_clear_pointer (&st->has, g_free);
      g_clear_pointer (&st->str, g_free);
      g_clear_pointer (&st->dset.e, g_free);
      st->dset.n = 0;
      st->dset.mask = 0;
      g_clear_pointer (&st->dlist, g_free);
      g_clear_pointer (&st->dstart, g_free);
    }
  arena_clear (&a->arena);
  a->n_groups = 0;
  a->groups_cap = 0;
}

#define GROW(ptr, type, old, cap)                                                                  \
  do                                                                                               \
    {                                                                                              \
      (ptr) = g_renew (type, (ptr), (cap));                                                        \
      memset ((ptr) + (old), 0, ((cap) - (old)) * sizeof (type));                                  \
    }                                                                                              \
  while (0)

static void
groups_grow (WeftHashAgg *a)
{
  guint32 old = a->groups_cap, cap = MAX (old * 2, 64u);

  a->ghash = g_renew (guint64, a->ghash, cap);
  for (guint i = 0; i < a->n_aggs; i++)
    {
      AggState *st = &a->aggs[i];

      switch (st->func)
        {
        case WEFT_AGG_COUNT_STAR:
        case WEFT_AGG_COUNT:
        case WEFT_AGG_COUNT_DISTINCT:
          GROW (st->cnt, gint64, old, cap);
          break;
        case WEFT_AGG_AVG:
          GROW (st->cnt, gint64, old, cap);
          GROW (st->f64, double, old, cap);
          break;
        case WEFT_AGG_SUM:
        case WEFT_AGG_MIN:
        case WEFT_AGG_MAX:
          GROW (st->has, guint8, old, cap);
          if (st->in_type == WEFT_DATA_TYPE_DOUBLE)
            GROW (st->f64, double, old, cap);
          else if (st->in_type == WEFT_DATA_TYPE_STRING)
            GROW (st->str, StrRef, old, cap);
          else
            GROW (st->i64, gint64, old, cap);
          break;
        }
    }
  a->groups_cap = cap;
}

static void
table_resize (WeftHashAgg *a)
{
  guint32 cap = (a->mask + 1) * 2, mask = cap - 1;
  Slot *slots = g_new0 (Slot, cap);

  for (guint32 g = 0; g < a->n_groups; g++)
    {
      guint64 h = a->ghash[g];
      guint32 pos = (guint32) h & mask;

      if ((gint64) g == a->null_gid)
        continue;
      while (slots[pos].gid1 != 0)
        pos = (pos + 1) & mask;
      slots[pos].tag = (guint32) (h >> 32);
      slots[pos].gid1 = g + 1;
    }
  g_free (a->slots);
  a->slots = slots;
  a->mask = mask;
}

/* Creates a group for row @row of @cols (hash @h) and, unless @in_table is FALSE (a single-key
 * null), enters it in the table. Returns its id. */
static guint32
new_group (WeftHashAgg *a, WeftColumn *const *cols, gsize row, guint64 h, gboolean in_table)
{
  guint32 gid = a->n_groups;

  if (gid == a->groups_cap)
    groups_grow (a);
  a->ghash[gid] = h;
  for (guint k = 0; k < a->n_keys; k++)
    weft_column_append_range (a->gkeys[k], cols[k], row, 1);
  a->n_groups++;
  if (in_table)
    {
      guint32 pos;

      if ((gsize) a->n_groups * 2 > (gsize) a->mask + 1)
        table_resize (a);
      for (pos = (guint32) h & a->mask; a->slots[pos].gid1 != 0; pos = (pos + 1) & a->mask)
        ;
      a->slots[pos].tag = (guint32) (h >> 32);
      a->slots[pos].gid1 = gid + 1;
    }
  return gid;
}

static inline guint32
null_group (WeftHashAgg *a, WeftColumn *const *cols, gsize row, guint64 h)
{
  if (a->null_gid < 0)
    a->null_gid = new_group (a, cols, row, h, FALSE);
  return (guint32) a->null_gid;
}

/* The probe loops: set gids[i] for every row, creating groups as needed. */
static void
probe_int64 (WeftHashAgg *a, WeftColumn *const *cols, gsize n)
{
  const WeftColumn *c = cols[0];
  const gint64 *v = c->values.i64;
  gboolean nulls = c->validity != NULL && c->null_count > 0;
  const guint64 *hs = a->hashes;
  guint32 *gids = a->gids;

  for (gsize i = 0; i < n; i++)
    {
      guint64 h = hs[i];
      guint32 tag = (guint32) (h >> 32), pos = (guint32) h & a->mask;
      const gint64 *gk = a->gkeys[0]->values.i64;

      if (nulls && !weft_column_is_valid (c, i))
        {
          gids[i] = null_group (a, cols, i, h);
          continue;
        }
      for (;;)
        {
          Slot s = a->slots[pos];

          if (s.gid1 == 0)
            {
              gids[i] = new_group (a, cols, i, h, TRUE);
              break;
            }
          if (s.tag == tag && gk[s.gid1 - 1] == v[i])
            {
              gids[i] = s.gid1 - 1;
              break;
            }
          pos = (pos + 1) & a->mask;
        }
    }
}

static void
probe_string (WeftHashAgg *a, WeftColumn *const *cols, gsize n)
{
  const WeftColumn *c = cols[0];
  gboolean nulls = c->validity != NULL && c->null_count > 0;
  const guint64 *hs = a->hashes;
  guint32 *gids = a->gids;

  for (gsize i = 0; i < n; i++)
    {
      guint64 h = hs[i];
      guint32 tag = (guint32) (h >> 32), pos = (guint32) h & a->mask;
      const WeftColumn *gk = a->gkeys[0];
      const char *s = c->data + c->offsets[i];
      guint64 len = c->offsets[i + 1] - c->offsets[i];

      if (nulls && !weft_column_is_valid (c, i))
        {
          gids[i] = null_group (a, cols, i, h);
          continue;
        }
      for (;;)
        {
          Slot sl = a->slots[pos];

          if (sl.gid1 == 0)
            {
              gids[i] = new_group (a, cols, i, h, TRUE);
              break;
            }
          if (sl.tag == tag)
            {
              guint64 o = gk->offsets[sl.gid1 - 1];

              if (gk->offsets[sl.gid1] - o == len && (len == 0 || memcmp (gk->data + o, s, len) == 0))
                {
                  gids[i] = sl.gid1 - 1;
                  break;
                }
            }
          pos = (pos + 1) & a->mask;
        }
    }
}

static void
probe_generic (WeftHashAgg *a, WeftColumn *const *cols, gsize n)
{
  const guint64 *hs = a->hashes;
  guint32 *gids = a->gids;

  for (gsize i = 0; i < n; i++)
    {
      guint64 h = hs[i];
      guint32 tag = (guint32) (h >> 32), pos = (guint32) h & a->mask;

      for (;;)
        {
          Slot s = a->slots[pos];

          if (s.gid1 == 0)
            {
              gids[i] = new_group (a, cols, i, h, TRUE);
              break;
            }
          if (s.tag == tag && a->ghash[s.gid1 - 1] == h)
            {
              gboolean eq = TRUE;

              for (guint k = 0; eq && k < a->n_keys; k++)
                eq = weft_hash_values_equal (cols[k], i, a->gkeys[k], s.gid1 - 1);
              if (eq)
                {
                  gids[i] = s.gid1 - 1;
                  break;
                }
            }
          pos = (pos + 1) & a->mask;
        }
    }
}

/* ---- Aggregate updates ----------------------------------------------------------------------- */

/* Folds a column of values (input values, or the state of sum/min/max/count distinct, which has
 * the same form) into the states of the groups in gids. */
static void
update_values (WeftHashAgg *a, AggState *st, const WeftColumn *c, gsize n)
{
  const guint32 *g = a->gids;
  gboolean nulls = c != NULL && c->validity != NULL && c->null_count > 0;

#define FOR_VALID(...)                                                                            \
  do                                                                                               \
    {                                                                                              \
      if (!nulls)                                                                                  \
        for (gsize i = 0; i < n; i++)                                                              \
          {                                                                                        \
            __VA_ARGS__;                                                                           \
          }                                                                                        \
      else                                                                                         \
        for (gsize i = 0; i < n; i++)                                                              \
          if (weft_column_is_valid (c, i))                                                         \
            {                                                                                      \
              __VA_ARGS__;                                                                         \
            }                                                                                      \
    }                                                                                              \
  while (0)

  switch (st->func)
    {
    case WEFT_AGG_COUNT_STAR:
      for (gsize i = 0; i < n; i++)
        st->cnt[g[i]]++;
      break;
    case WEFT_AGG_COUNT:
      FOR_VALID (st->cnt[g[i]]++);
      break;
    case WEFT_AGG_COUNT_DISTINCT:
      FOR_VALID (if (dset_insert (&st->dset, &a->arena, g[i], c, i)) st->cnt[g[i]]++);
      break;
    case WEFT_AGG_SUM:
      if (c->type == WEFT_DATA_TYPE_INT64)
        FOR_VALID ({
          st->i64[g[i]] = (gint64) ((guint64) st->i64[g[i]] + (guint64) c->values.i64[i]);
          st->has[g[i]] = 1;
        });
      else
        FOR_VALID ({
          st->f64[g[i]] += c->values.f64[i];
          st->has[g[i]] = 1;
        });
      break;
    case WEFT_AGG_AVG:
      if (c->type == WEFT_DATA_TYPE_INT64)
        FOR_VALID ({
          st->f64[g[i]] += (double) c->values.i64[i];
          st->cnt[g[i]]++;
        });
      else
        FOR_VALID ({
          st->f64[g[i]] += c->values.f64[i];
          st->cnt[g[i]]++;
        });
      break;
    case WEFT_AGG_MIN:
    case WEFT_AGG_MAX:
      {
        int sign = st->func == WEFT_AGG_MIN ? 1 : -1;

        switch (c->type)
          {
          /* The integer-like types keep their extreme as an int64: one loop, three loads. */
#define MIN_MAX_INT(load)                                                               \
            FOR_VALID ({                                                                \
              gint64 v = (load);                                                        \
              guint32 gg = g[i];                                                        \
              if (!st->has[gg] || (sign > 0 ? v < st->i64[gg] : v > st->i64[gg]))       \
                st->i64[gg] = v, st->has[gg] = 1;                                       \
            })
          case WEFT_DATA_TYPE_INT64:
            MIN_MAX_INT (c->values.i64[i]);
            break;
          case WEFT_DATA_TYPE_DATE:
            MIN_MAX_INT (c->values.date[i]);
            break;
          case WEFT_DATA_TYPE_BOOL:
            MIN_MAX_INT (c->values.b[i]);
            break;
#undef MIN_MAX_INT
          case WEFT_DATA_TYPE_DOUBLE:
            FOR_VALID ({
              double v = c->values.f64[i];
              guint32 gg = g[i];
              if (!st->has[gg] || compare_doubles (v, st->f64[gg]) * sign < 0)
                st->f64[gg] = v, st->has[gg] = 1;
            });
            break;
          case WEFT_DATA_TYPE_STRING:
            FOR_VALID ({
              gsize len;
              const char *s = weft_column_get_string (c, i, &len);
              guint32 gg = g[i];
              if (!st->has[gg] || compare_strings (s, len, st->str[gg].p, st->str[gg].len) * sign < 0)
                {
                  /* The old copy stays in the arena until the table is cleared: a min that keeps
                   * changing costs memory, but never a malloc per row. */
                  char *copy = arena_alloc (&a->arena, len);
                  if (len > 0)
                    memcpy (copy, s, len);
                  st->str[gg].p = copy;
                  st->str[gg].len = len;
                  st->has[gg] = 1;
                }
            });
            break;
          }
      }
      break;
    }
#undef FOR_VALID
}

/* Folds state columns: where the state form differs from the input (counts, avg). */
static void
merge_states (WeftHashAgg *a, AggState *st, WeftColumn *const *cols, gsize n)
{
  const guint32 *g = a->gids;
  const WeftColumn *c = cols[st->state_col];

  switch (st->func)
    {
    case WEFT_AGG_COUNT_STAR:
    case WEFT_AGG_COUNT:
      for (gsize i = 0; i < n; i++)
        if (weft_column_is_valid (c, i))
          st->cnt[g[i]] += c->values.i64[i];
      break;
    case WEFT_AGG_AVG:
      {
        const WeftColumn *cc = cols[st->state_col + 1];

        for (gsize i = 0; i < n; i++)
          {
            if (weft_column_is_valid (c, i))
              st->f64[g[i]] += c->values.f64[i];
            if (weft_column_is_valid (cc, i))
              st->cnt[g[i]] += cc->values.i64[i];
          }
      }
      break;
    default:
      update_values (a, st, c, n);
      break;
    }
}

/* ---- Spilling -------------------------------------------------------------------------------- */

static WeftBatch *build_output (WeftHashAgg *a, guint32 g0, guint32 *g1_out, gboolean state);
static void prepare_state_output (WeftHashAgg *a);
static void reset_table (WeftHashAgg *a);

static gboolean
spill_write (WeftHashAgg *a, WeftSpillFile *f, const WeftBatch *b, GError **error)
{
  guint64 before = weft_spill_file_get_bytes (f);

  if (!weft_spill_file_write (f, b, error))
    return FALSE;
  a->stats.spilled_bytes += weft_spill_file_get_bytes (f) - before;
  a->stats.spilled_rows += b->n_rows;
  return TRUE;
}

static WeftSpillFile *
spill_file (WeftHashAgg *a, GError **error)
{
  WeftSpillFile *f = weft_spill_file_new (a->spill_dir, a->state_schema, error);

  if (f != NULL)
    a->stats.spill_files++;
  return f;
}

/* Writes every group's state rows out and empties the table. */
static gboolean
spill_table (WeftHashAgg *a, GError **error)
{
  g_autofree guint64 *h = NULL;
  g_autofree guint32 *part_rows = NULL;
  guint key_idx[64];

  if (a->n_groups == 0)
    return TRUE;
  a->spilled = TRUE;
  prepare_state_output (a);
  for (guint k = 0; k < a->n_keys && k < G_N_ELEMENTS (key_idx); k++)
    key_idx[k] = k;
  for (guint32 g0 = 0; g0 < a->n_groups;)
    {
      guint32 g1;
      g_autoptr (WeftBatch) b = build_output (a, g0, &g1, TRUE);

      g0 = g1;
      if (a->mode == WEFT_AGG_MODE_PARTIAL)
        {
          if (a->stream == NULL && (a->stream = spill_file (a, error)) == NULL)
            return FALSE;
          if (!spill_write (a, a->stream, b, error))
            return FALSE;
          continue;
        }
      h = g_renew (guint64, h, MAX (b->n_rows, 1));
      part_rows = g_renew (guint32, part_rows, MAX (b->n_rows, 1));
      weft_hash_batch (b, key_idx, a->n_keys, h);
      for (guint p = 0; p < N_SPILL_PARTS; p++)
        {
          g_autoptr (WeftSelection) sel = weft_selection_new (b->n_rows);

          for (gsize i = 0; i < b->n_rows; i++)
            if (weft_hash_spill_partition (h[i], a->level, SPILL_BITS) == p)
              weft_selection_add (sel, (guint32) i);
          if (sel->n == 0)
            continue;
          g_autoptr (WeftBatch) pb = weft_batch_take (b, sel);
          if (a->parts[p] == NULL && (a->parts[p] = spill_file (a, error)) == NULL)
            return FALSE;
          if (!spill_write (a, a->parts[p], pb, error))
            return FALSE;
        }
    }
  reset_table (a);
  return TRUE;
}

static void
reset_table (WeftHashAgg *a)
{
  table_clear (a);
  table_init (a);
}

/* ---- Output ---------------------------------------------------------------------------------- */

/* Groups the distinct sets' entries by group, for state rows. */
static void
prepare_state_output (WeftHashAgg *a)
{
  for (guint i = 0; i < a->n_aggs; i++)
    {
      AggState *st = &a->aggs[i];
      gsize *fill;

      if (st->func != WEFT_AGG_COUNT_DISTINCT || st->dstart != NULL)
        continue;
      st->dstart = g_new0 (gsize, (gsize) a->n_groups + 1);
      st->dlist = g_new (guint32, MAX (st->dset.n, 1));
      for (guint32 g = 0; g < a->n_groups; g++)
        st->dstart[g + 1] = st->dstart[g] + (gsize) st->cnt[g];
      fill = g_memdup2 (st->dstart, sizeof (gsize) * a->n_groups);
      for (gsize e = 0; st->dset.e != NULL && e <= st->dset.mask; e++)
        if (st->dset.e[e].gid1 != 0)
          st->dlist[fill[st->dset.e[e].gid1 - 1]++] = (guint32) e;
      g_free (fill);
    }
}

static gsize
state_rows_of (const WeftHashAgg *a, guint32 g)
{
  gsize rows = 1;

  for (guint i = 0; i < a->n_aggs; i++)
    if (a->aggs[i].func == WEFT_AGG_COUNT_DISTINCT)
      rows = MAX (rows, (gsize) a->aggs[i].cnt[g]);
  return rows;
}

static WeftColumn *
int64_column (const gint64 *v, const guint32 *gid, const guint32 *rank, gsize n)
{
  WeftColumn *c = weft_column_new (WEFT_DATA_TYPE_INT64, n);

  weft_column_extend (c, n);
  for (gsize i = 0; i < n; i++)
    c->values.i64[i] = (rank == NULL || rank[i] == 0) ? v[gid[i]] : 0;
  return c;
}

/* The value state of sum/min/max (result type = in_type) for each output row; null when the group
 * has none or the row is a continuation row. */
static WeftColumn *
value_column (const AggState *st, const guint32 *gid, const guint32 *rank, gsize n)
{
  WeftColumn *c = weft_column_new (st->in_type, n);

  if (st->in_type == WEFT_DATA_TYPE_STRING)
    {
      for (gsize i = 0; i < n; i++)
        {
          if ((rank != NULL && rank[i] != 0) || !st->has[gid[i]])
            weft_column_append_null (c);
          else
            weft_column_append_string (c, st->str[gid[i]].p, st->str[gid[i]].len);
        }
      return c;
    }
  weft_column_extend (c, n);
  for (gsize i = 0; i < n; i++)
    {
      guint32 g = gid[i];

      switch (st->in_type)
        {
        case WEFT_DATA_TYPE_INT64:
          c->values.i64[i] = st->i64[g];
          break;
        case WEFT_DATA_TYPE_DATE:
          c->values.date[i] = (gint32) st->i64[g];
          break;
        case WEFT_DATA_TYPE_BOOL:
          c->values.b[i] = (guint8) st->i64[g];
          break;
        case WEFT_DATA_TYPE_DOUBLE:
          c->values.f64[i] = st->f64[g];
          break;
        default:
          break;
        }
    }
  for (gsize i = 0; i < n; i++)
    if ((rank != NULL && rank[i] != 0) || !st->has[gid[i]])
      weft_column_set_null (c, i);
  return c;
}

static WeftColumn *
distinct_column (const AggState *st, const guint32 *gid, const guint32 *rank, gsize n)
{
  WeftColumn *c = weft_column_new (st->in_type, n);

  for (gsize i = 0; i < n; i++)
    {
      const DEntry *e;
      guint64 v;
      double d;

      if ((gint64) rank[i] >= st->cnt[gid[i]])
        {
          weft_column_append_null (c);
          continue;
        }
      e = &st->dset.e[st->dlist[st->dstart[gid[i]] + rank[i]]];
      v = e->v;
      switch (st->in_type)
        {
        case WEFT_DATA_TYPE_INT64:
          weft_column_append_int64 (c, (gint64) v);
          break;
        case WEFT_DATA_TYPE_DATE:
          weft_column_append_date (c, (gint32) (gint64) v);
          break;
        case WEFT_DATA_TYPE_BOOL:
          weft_column_append_bool (c, v != 0);
          break;
        case WEFT_DATA_TYPE_DOUBLE:
          memcpy (&d, &v, sizeof d);
          weft_column_append_double (c, d);
          break;
        case WEFT_DATA_TYPE_STRING:
          weft_column_append_string (c, (const char *) (guintptr) v, e->len);
          break;
        }
    }
  return c;
}

/* Output rows for groups g0 .. (*g1_out - 1), as state rows or results. */
static WeftBatch *
build_output (WeftHashAgg *a, guint32 g0, guint32 *g1_out, gboolean state)
{
  WeftSchema *schema = state ? a->state_schema : a->output_schema;
  guint n_cols = weft_schema_get_n_fields (schema), col = 0;
  g_autofree WeftColumn **cols = g_new0 (WeftColumn *, MAX (n_cols, 1));
  g_autofree guint32 *gid = NULL;
  g_autofree guint32 *rank = NULL;
  gsize n = 0, cap = WEFT_BATCH_DEFAULT_ROWS;
  guint32 g1 = g0;
  gboolean expand = state && a->has_distinct;

  gid = g_new (guint32, cap);
  if (expand)
    rank = g_new (guint32, cap);
  while (g1 < a->n_groups && n < WEFT_BATCH_DEFAULT_ROWS)
    {
      gsize rows = expand ? state_rows_of (a, g1) : 1;

      if (n + rows > cap)
        {
          cap = n + rows;
          gid = g_renew (guint32, gid, cap);
          if (expand)
            rank = g_renew (guint32, rank, cap);
        }
      for (gsize r = 0; r < rows; r++)
        {
          gid[n] = g1;
          if (expand)
            rank[n] = (guint32) r;
          n++;
        }
      g1++;
    }
  *g1_out = g1;

  for (guint k = 0; k < a->n_keys; k++)
    cols[col++] = weft_column_take (a->gkeys[k], gid, n);
  for (guint i = 0; i < a->n_aggs; i++)
    {
      AggState *st = &a->aggs[i];

      switch (st->func)
        {
        case WEFT_AGG_COUNT_STAR:
        case WEFT_AGG_COUNT:
          cols[col++] = int64_column (st->cnt, gid, rank, n);
          break;
        case WEFT_AGG_COUNT_DISTINCT:
          cols[col++] = state ? distinct_column (st, gid, rank, n) : int64_column (st->cnt, gid, NULL, n);
          break;
        case WEFT_AGG_SUM:
        case WEFT_AGG_MIN:
        case WEFT_AGG_MAX:
          cols[col++] = value_column (st, gid, rank, n);
          break;
        case WEFT_AGG_AVG:
          {
            WeftColumn *c = weft_column_new (WEFT_DATA_TYPE_DOUBLE, n);

            weft_column_extend (c, n);
            for (gsize r = 0; r < n; r++)
              c->values.f64[r] = state ? st->f64[gid[r]] : st->f64[gid[r]] / (double) st->cnt[gid[r]];
            for (gsize r = 0; r < n; r++)
              if (st->cnt[gid[r]] == 0 || (rank != NULL && rank[r] != 0))
                weft_column_set_null (c, r);
            cols[col++] = c;
            if (state)
              cols[col++] = int64_column (st->cnt, gid, rank, n);
          }
          break;
        }
    }
  g_assert (col == n_cols);
  return weft_batch_new (schema, cols, n);
}

/* ---- Life cycle ------------------------------------------------------------------------------ */

static WeftHashAgg *
agg_new (WeftAggMode mode, guint level, WeftSchema *input_schema, const guint *key_columns,
         guint n_keys, const WeftAggSpec *aggs, guint n_aggs, gsize budget_bytes,
         const char *spill_dir, GError **error)
{
  g_autoptr (WeftHashAgg) a = NULL;
  guint n_in = weft_schema_get_n_fields (input_schema);

  for (guint k = 0; k < n_keys; k++)
    if (key_columns[k] >= n_in)
      {
        g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_SCHEMA,
                     "aggregation key %u: column %u out of range (the input has %u)", k,
                     key_columns[k], n_in);
        return NULL;
      }
  a = g_new0 (WeftHashAgg, 1);
  a->mode = mode;
  a->input_state = mode == WEFT_AGG_MODE_FINAL;
  a->output_state = mode == WEFT_AGG_MODE_PARTIAL;
  a->level = level;
  a->input_schema = weft_schema_ref (input_schema);
  a->keys = g_memdup2 (key_columns, sizeof (guint) * MAX (n_keys, 1));
  a->n_keys = n_keys;
  a->specs = g_new0 (WeftAggSpec, MAX (n_aggs, 1));
  a->n_aggs = n_aggs;
  a->aggs = g_new0 (AggState, MAX (n_aggs, 1));
  a->budget = MAX (budget_bytes, WEFT_OPERATOR_MIN_BUDGET);
  a->spill_dir = g_strdup (spill_dir);
  a->state_schema = weft_schema_new ();
  a->output_schema = weft_schema_new ();
  for (guint k = 0; k < n_keys; k++)
    {
      const WeftField *f = weft_schema_get_field (input_schema, key_columns[k]);

      weft_schema_add_field (a->state_schema, f->name, f->type, f->nullable);
      weft_schema_add_field (a->output_schema, f->name, f->type, f->nullable);
    }
  for (guint i = 0; i < n_aggs; i++)
    {
      AggState *st = &a->aggs[i];
      const WeftField *f = NULL;
      g_autofree char *name = NULL;
      g_autofree char *s1 = NULL;
      g_autofree char *s2 = NULL;

      a->specs[i] = aggs[i];
      st->func = aggs[i].func;
      st->in_col = aggs[i].column;
      st->in_type = WEFT_DATA_TYPE_INT64;
      if (aggs[i].func != WEFT_AGG_COUNT_STAR)
        {
          if (aggs[i].column >= n_in)
            {
              g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_SCHEMA,
                           "aggregate %u: column %u out of range (the input has %u)", i,
                           aggs[i].column, n_in);
              return NULL;
            }
          f = weft_schema_get_field (input_schema, aggs[i].column);
          st->in_type = f->type;
        }
      if ((st->func == WEFT_AGG_SUM || st->func == WEFT_AGG_AVG)
          && st->in_type != WEFT_DATA_TYPE_INT64 && st->in_type != WEFT_DATA_TYPE_DOUBLE)
        {
          g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_SCHEMA,
                       "%s(%s): needs a bigint or double column, not %s", func_name (st->func),
                       f->name, weft_data_type_name (st->in_type));
          return NULL;
        }
      if (aggs[i].name != NULL)
        name = g_strdup (aggs[i].name);
      else if (st->func == WEFT_AGG_COUNT_STAR)
        name = g_strdup ("count(1)");
      else if (st->func == WEFT_AGG_COUNT_DISTINCT)
        name = g_strdup_printf ("count(DISTINCT %s)", f->name);
      else
        name = g_strdup_printf ("%s(%s)", func_name (st->func), f->name);
      a->specs[i].name = NULL;
      st->state_col = weft_schema_get_n_fields (a->state_schema);
      switch (st->func)
        {
        case WEFT_AGG_COUNT_STAR:
        case WEFT_AGG_COUNT:
          st->out_type = WEFT_DATA_TYPE_INT64;
          weft_schema_add_field (a->state_schema, name, WEFT_DATA_TYPE_INT64, FALSE);
          break;
        case WEFT_AGG_COUNT_DISTINCT:
          st->out_type = WEFT_DATA_TYPE_INT64;
          a->has_distinct = TRUE;
          weft_schema_add_field (a->state_schema, name, st->in_type, TRUE);
          break;
        case WEFT_AGG_SUM:
        case WEFT_AGG_MIN:
        case WEFT_AGG_MAX:
          st->out_type = st->in_type;
          weft_schema_add_field (a->state_schema, name, st->in_type, TRUE);
          break;
        case WEFT_AGG_AVG:
          st->out_type = WEFT_DATA_TYPE_DOUBLE;
          s1 = g_strconcat (name, "#sum", NULL);
          s2 = g_strconcat (name, "#count", NULL);
          weft_schema_add_field (a->state_schema, s1, WEFT_DATA_TYPE_DOUBLE, TRUE);
          weft_schema_add_field (a->state_schema, s2, WEFT_DATA_TYPE_INT64, FALSE);
          break;
        }
      weft_schema_add_field (a->output_schema, name, st->out_type,
                             st->func != WEFT_AGG_COUNT_STAR && st->func != WEFT_AGG_COUNT
                               && st->func != WEFT_AGG_COUNT_DISTINCT);
    }
  if (n_keys == 1 && weft_schema_get_field (input_schema, key_columns[0])->type == WEFT_DATA_TYPE_INT64)
    a->key_path = KEYS_INT64;
  else if (n_keys == 1
           && weft_schema_get_field (input_schema, key_columns[0])->type == WEFT_DATA_TYPE_STRING)
    a->key_path = KEYS_STRING;
  else
    a->key_path = n_keys == 0 ? KEYS_NONE : KEYS_GENERIC;
  table_init (a);
  if (n_keys == 0)
    {
      /* A global aggregation always has its one group, so empty input still gives a row. */
      groups_grow (a);
      a->ghash[0] = WEFT_HASH_SEED;
      a->n_groups = 1;
    }
  return g_steal_pointer (&a);
}

WeftHashAgg *
weft_hash_agg_new (WeftAggMode mode, WeftSchema *input_schema, const guint *key_columns,
                   guint n_keys, const WeftAggSpec *aggs, guint n_aggs, gsize budget_bytes,
                   const char *spill_dir, GError **error)
{
  return agg_new (mode, 0, input_schema, key_columns, n_keys, aggs, n_aggs, budget_bytes,
                  spill_dir, error);
}

void
weft_hash_agg_free (WeftHashAgg *a)
{
  if (a == NULL)
    return;
  table_clear (a);
  g_free (a->aggs);
  g_free (a->specs);
  g_free (a->keys);
  g_free (a->hashes);
  g_free (a->gids);
  weft_spill_file_free (a->stream);
  for (guint p = 0; p < N_SPILL_PARTS; p++)
    weft_spill_file_free (a->parts[p]);
  weft_hash_agg_free (a->sub);
  g_free (a->spill_dir);
  weft_schema_unref (a->input_schema);
  weft_schema_unref (a->state_schema);
  weft_schema_unref (a->output_schema);
  g_free (a);
}

WeftSchema *
weft_hash_agg_get_state_schema (const WeftHashAgg *a)
{
  return a->state_schema;
}

WeftSchema *
weft_hash_agg_get_output_schema (const WeftHashAgg *a)
{
  return a->output_state ? a->state_schema : a->output_schema;
}

const WeftOperatorStats *
weft_hash_agg_get_stats (const WeftHashAgg *a)
{
  return &a->stats;
}

gboolean
weft_hash_agg_push (WeftHashAgg *a, const WeftBatch *batch, GError **error)
{
  WeftSchema *want = a->input_state ? a->state_schema : a->input_schema;
  guint n_want = weft_schema_get_n_fields (want);
  WeftColumn *stack[16];
  g_autofree WeftColumn **heap = NULL;
  WeftColumn **kc = stack;
  gsize n = batch->n_rows, mem;
  gboolean ok = batch->n_columns == n_want;

  g_return_val_if_fail (!a->finished, FALSE);
  for (guint i = 0; ok && i < n_want; i++)
    ok = batch->columns[i]->type == weft_schema_get_field (want, i)->type;
  if (!ok)
    {
      g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_SCHEMA,
                   "aggregation: a batch's columns do not match the %s schema",
                   a->input_state ? "state" : "input");
      return FALSE;
    }
  a->stats.rows_in += n;
  if (n == 0)
    return TRUE;
  if (n > a->scratch_cap)
    {
      a->scratch_cap = n;
      a->hashes = g_renew (guint64, a->hashes, n);
      a->gids = g_renew (guint32, a->gids, n);
    }
  if (a->n_keys > G_N_ELEMENTS (stack))
    kc = heap = g_new (WeftColumn *, a->n_keys);
  for (guint k = 0; k < a->n_keys; k++)
    kc[k] = batch->columns[a->input_state ? k : a->keys[k]];

  switch (a->key_path)
    {
    case KEYS_NONE:
      memset (a->gids, 0, n * sizeof (guint32));
      break;
    case KEYS_INT64:
      weft_hash_columns (kc, a->n_keys, n, a->hashes);
      probe_int64 (a, kc, n);
      break;
    case KEYS_STRING:
      weft_hash_columns (kc, a->n_keys, n, a->hashes);
      probe_string (a, kc, n);
      break;
    case KEYS_GENERIC:
      weft_hash_columns (kc, a->n_keys, n, a->hashes);
      probe_generic (a, kc, n);
      break;
    }
  for (guint i = 0; i < a->n_aggs; i++)
    {
      AggState *st = &a->aggs[i];

      if (a->input_state)
        merge_states (a, st, batch->columns, n);
      else
        update_values (a, st, st->func == WEFT_AGG_COUNT_STAR ? NULL : batch->columns[st->in_col], n);
    }
  mem = memory_bytes (a);
  a->stats.peak_memory = MAX (a->stats.peak_memory, mem);
  if (mem > a->budget && a->n_keys > 0 && a->level < WEFT_OPERATOR_MAX_SPILL_LEVEL)
    return spill_table (a, error);
  return TRUE;
}

gboolean
weft_hash_agg_finish (WeftHashAgg *a, GError **error)
{
  g_return_val_if_fail (!a->finished, FALSE);
  a->finished = TRUE;
  a->phase = OUT_MEMORY;
  if (a->spilled && a->mode != WEFT_AGG_MODE_PARTIAL)
    {
      /* Everything goes to the partitions, which are then merged one at a time. */
      if (!spill_table (a, error))
        return FALSE;
      a->phase = OUT_PARTITIONS;
      return TRUE;
    }
  if (a->output_state)
    prepare_state_output (a);
  if (a->stream != NULL && !weft_spill_file_rewind (a->stream, error))
    return FALSE;
  return TRUE;
}

static void
absorb_stats (WeftHashAgg *a, const WeftHashAgg *sub)
{
  a->stats.spilled_bytes += sub->stats.spilled_bytes;
  a->stats.spilled_rows += sub->stats.spilled_rows;
  a->stats.spill_files += sub->stats.spill_files;
  a->stats.peak_memory = MAX (a->stats.peak_memory, sub->stats.peak_memory);
}

/* Starts the sub-aggregation of the next non-empty partition; FALSE on error. */
static gboolean
next_partition (WeftHashAgg *a, GError **error)
{
  while (a->part < N_SPILL_PARTS)
    {
      g_autoptr (WeftSpillFile) f = g_steal_pointer (&a->parts[a->part]);
      g_autoptr (WeftHashAgg) sub = NULL;

      a->part++;
      if (f == NULL)
        continue;
      sub = agg_new (WEFT_AGG_MODE_FINAL, a->level + 1, a->input_schema, a->keys, a->n_keys,
                     a->specs, a->n_aggs, a->budget, a->spill_dir, error);
      if (sub == NULL || !weft_spill_file_rewind (f, error))
        return FALSE;
      /* The sub-aggregation's output names must be ours: give it our output schema. */
      weft_schema_unref (sub->output_schema);
      sub->output_schema = weft_schema_ref (a->output_schema);
      weft_schema_unref (sub->state_schema);
      sub->state_schema = weft_schema_ref (a->state_schema);
      for (;;)
        {
          g_autoptr (WeftBatch) b = NULL;

          if (!weft_spill_file_read (f, &b, error))
            return FALSE;
          if (b == NULL)
            break;
          if (!weft_hash_agg_push (sub, b, error))
            return FALSE;
        }
      if (!weft_hash_agg_finish (sub, error))
        return FALSE;
      a->sub = g_steal_pointer (&sub);
      return TRUE;
    }
  return TRUE;
}

gboolean
weft_hash_agg_next (WeftHashAgg *a, WeftBatch **out, GError **error)
{
  g_return_val_if_fail (a->finished, FALSE);
  *out = NULL;
  while (*out == NULL && a->phase != OUT_DONE)
    {
      switch (a->phase)
        {
        case OUT_MEMORY:
          if (a->out_gid < a->n_groups)
            {
              guint32 g1;

              *out = build_output (a, a->out_gid, &g1, a->output_state);
              a->out_gid = g1;
            }
          else
            {
              table_clear (a);
              table_init (a);
              a->phase = a->stream != NULL ? OUT_SPILL_STREAM : OUT_DONE;
            }
          break;
        case OUT_SPILL_STREAM:
          if (!weft_spill_file_read (a->stream, out, error))
            return FALSE;
          if (*out == NULL)
            {
              g_clear_pointer (&a->stream, weft_spill_file_free);
              a->phase = OUT_DONE;
            }
          break;
        case OUT_PARTITIONS:
          if (a->sub == NULL)
            {
              if (!next_partition (a, error))
                return FALSE;
              if (a->sub == NULL)
                {
                  a->phase = OUT_DONE;
                  break;
                }
            }
          if (!weft_hash_agg_next (a->sub, out, error))
            return FALSE;
          if (*out == NULL)
            {
              absorb_stats (a, a->sub);
              g_clear_pointer (&a->sub, weft_hash_agg_free);
            }
          break;
        case OUT_DONE:
          break;
        }
    }
  if (*out != NULL)
    {
      a->stats.rows_out += (*out)->n_rows;
      a->stats.batches_out++;
    }
  return TRUE;
}
