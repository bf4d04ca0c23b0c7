/* weft-sort: multi-key stable sort with spilled runs and a top-N path (see weft-sort.h).
 *
 * In memory, input batches are appended to one set of buffer columns, so a row is one 32-bit
 * index. Sorting builds 16-byte entries {prefix, row}: the prefix is an order-preserving 64-bit
 * image of the first key (exact for every type but strings, whose first 8 bytes it holds), and an
 * LSD radix sort orders the entries (stable, no comparisons). Runs of equal prefixes, when the
 * prefix is not the whole story (strings, or more keys), are then merge-sorted with the full
 * comparison. Rows whose first key is null form a block of their own, put first or last. Every
 * step is stable, so the whole sort is.
 *
 * Past the budget the sorted buffer becomes a run in a spill file; at the end runs are merged
 * through a binary heap of cursors, ties going to the earlier run (earlier input), which keeps the
 * merge stable too.
 *
 * Top-N keeps a buffer of candidates; whenever it reaches limit + max(limit, 8192) rows it is
 * sorted and cut back to the best `limit` rows, whose last row then filters new input (a row must
 * sort strictly before it to enter; an equal row came later and loses). This is the bounded-heap
 * algorithm done a batch at a time. */

#include "weft-sort.h"

#include "weft-engine-error.h"
#include "weft-hash.h"
#include "weft-spill.h"

#include <string.h>

#define TOPN_MAX_LIMIT (1 << 20)

typedef struct
{
  guint64 key;
  guint32 row;
  guint32 pad;
} Entry;

typedef struct
{
  WeftBatch *batch;
  gsize row;
  guint run;
} Cursor;

struct _WeftSort
{
  WeftSchema *schema;
  guint n_columns;
  WeftSortKey *keys;
  guint n_keys;
  gint64 limit; /* -1: none */
  gboolean topn;
  gsize budget;
  char *spill_dir;
  WeftOperatorStats stats;

  WeftColumn **buf; /* n_columns buffer columns */
  gsize buf_rows;
  gboolean have_boundary; /* top-N: buffer rows [0, limit) are the best so far, sorted */

  GPtrArray *runs; /* WeftSpillFile */

  gboolean finished;
  guint32 *order; /* in-memory output: rows of buf in output order */
  gsize order_n, order_pos;
  Cursor *cursors; /* merge output */
  guint *heap;
  guint heap_n;
  guint64 emitted;
};

WeftSortKey
weft_sort_key_default (guint column, gboolean descending)
{
  WeftSortKey key = { column, descending, !descending };

  return key;
}

/* ---- Comparison ------------------------------------------------------------------------------ */

static inline int
compare_doubles (double a, double b)
{
  gboolean na = a != a, nb = b != b;

  if (na || nb)
    return na == nb ? 0 : (na ? 1 : -1);
  return a < b ? -1 : (a > b ? 1 : 0);
}

static inline int
compare_values (const WeftColumn *a, gsize ra, const WeftColumn *b, gsize rb)
{
  switch (a->type)
    {
    case WEFT_DATA_TYPE_INT64:
      return (a->values.i64[ra] > b->values.i64[rb]) - (a->values.i64[ra] < b->values.i64[rb]);
    case WEFT_DATA_TYPE_DOUBLE:
      return compare_doubles (a->values.f64[ra], b->values.f64[rb]);
    case WEFT_DATA_TYPE_BOOL:
      return (int) a->values.b[ra] - (int) b->values.b[rb];
    case WEFT_DATA_TYPE_DATE:
      return (a->values.date[ra] > b->values.date[rb]) - (a->values.date[ra] < b->values.date[rb]);
    case WEFT_DATA_TYPE_STRING:
      {
        gsize la, lb;
        const char *sa = weft_column_get_string (a, ra, &la);
        const char *sb = weft_column_get_string (b, rb, &lb);
        int r = (la && lb) ? memcmp (sa, sb, MIN (la, lb)) : 0;

        if (r != 0)
          return r;
        return (la > lb) - (la < lb);
      }
    }
  return 0;
}

/* Compares row @ra of @ca with row @rb of @cb on keys [from, n_keys). */
static int
compare_rows (const WeftSortKey *keys, guint n_keys, guint from, WeftColumn *const *ca, gsize ra,
              WeftColumn *const *cb, gsize rb)
{
  for (guint k = from; k < n_keys; k++)
    {
      const WeftColumn *a = ca[keys[k].column], *b = cb[keys[k].column];
      gboolean va = weft_column_is_valid (a, ra), vb = weft_column_is_valid (b, rb);
      int r;

      if (!va || !vb)
        {
          if (va == vb)
            continue;
          r = va ? 1 : -1; /* the null one first */
          return keys[k].nulls_first ? r : -r;
        }
      r = compare_values (a, ra, b, rb);
      if (r != 0)
        return keys[k].descending ? -r : r;
    }
  return 0;
}

typedef struct
{
  const WeftSortKey *keys;
  guint n_keys;
  guint from;
  WeftColumn *const *cols;
} CmpCtx;

/* Stable merge sort of row indices. */
static void
msort (guint32 *a, guint32 *tmp, gsize n, const CmpCtx *ctx)
{
  gsize mid, i, j, k;

  if (n <= 16)
    {
      for (i = 1; i < n; i++)
        {
          guint32 v = a[i];

          for (j = i; j > 0
                      && compare_rows (ctx->keys, ctx->n_keys, ctx->from, ctx->cols, a[j - 1],
                                       ctx->cols, v) > 0;
               j--)
            a[j] = a[j - 1];
          a[j] = v;
        }
      return;
    }
  mid = n / 2;
  msort (a, tmp, mid, ctx);
  msort (a + mid, tmp, n - mid, ctx);
  if (compare_rows (ctx->keys, ctx->n_keys, ctx->from, ctx->cols, a[mid - 1], ctx->cols, a[mid])
      <= 0)
    return; /* already in order */
  memcpy (tmp, a, mid * sizeof *a);
  i = 0, j = mid, k = 0;
  while (i < mid && j < n)
    {
      if (compare_rows (ctx->keys, ctx->n_keys, ctx->from, ctx->cols, a[j], ctx->cols, tmp[i]) < 0)
        a[k++] = a[j++];
      else
        a[k++] = tmp[i++];
    }
  while (i < mid)
    a[k++] = tmp[i++];
}

/* ---- In-memory sort -------------------------------------------------------------------------- */

/* An order-preserving 64-bit image of a non-null value; exact for all but strings. */
static inline guint64
prefix_of (const WeftColumn *c, gsize r)
{
  switch (c->type)
    {
    case WEFT_DATA_TYPE_INT64:
      return (guint64) c->values.i64[r] ^ G_GUINT64_CONSTANT (0x8000000000000000);
    case WEFT_DATA_TYPE_DOUBLE:
      {
        guint64 bits = weft_hash_double_bits (c->values.f64[r]);

        return (bits >> 63) ? ~bits : bits | G_GUINT64_CONSTANT (0x8000000000000000);
      }
    case WEFT_DATA_TYPE_BOOL:
      return c->values.b[r];
    case WEFT_DATA_TYPE_DATE:
      return (guint64) ((guint32) c->values.date[r] ^ 0x80000000u) << 32;
    case WEFT_DATA_TYPE_STRING:
      {
        gsize len;
        const char *s = weft_column_get_string (c, r, &len);
        guint8 b[8] = { 0 };

        guint64 w;

        memcpy (b, s, MIN (len, 8));
        memcpy (&w, b, sizeof w);
        return GUINT64_FROM_BE (w);
      }
    }
  return 0;
}

/* Stable LSD radix sort on key, a byte per pass; passes where every entry has the same byte are
 * skipped (so small ranges and dates cost few passes). */
static void
radix_sort (Entry *a, Entry *tmp, gsize n)
{
  gsize (*counts)[256] = g_malloc0 (sizeof (gsize[8][256]));
  Entry *src = a, *dst = tmp;

  for (gsize i = 0; i < n; i++)
    {
      guint64 k = a[i].key;

      for (guint b = 0; b < 8; b++)
        counts[b][(k >> (8 * b)) & 0xff]++;
    }
  for (guint b = 0; b < 8; b++)
    {
      gsize sum = 0;

      if (counts[b][(a[0].key >> (8 * b)) & 0xff] == n)
        continue;
      for (guint v = 0; v < 256; v++)
        {
          gsize c = counts[b][v];

          counts[b][v] = sum;
          sum += c;
        }
      for (gsize i = 0; i < n; i++)
        dst[counts[b][(src[i].key >> (8 * b)) & 0xff]++] = src[i];
      Entry *t = src;
      src = dst;
      dst = t;
    }
  if (src != a)
    memcpy (a, src, n * sizeof *a);
  g_free (counts);
}

/* Returns the rows of @cols (n of them) in sorted order, stably. (transfer full) */
static guint32 *
sort_rows (const WeftSort *s, WeftColumn *const *cols, gsize n)
{
  guint32 *order = g_new (guint32, MAX (n, 1));
  const WeftColumn *first;
  g_autofree Entry *entries = NULL;
  g_autofree Entry *tmp = NULL;
  g_autofree guint32 *nulls = NULL;
  g_autofree guint32 *scratch = NULL;
  gsize n_entries = 0, n_nulls = 0, pos;
  gboolean exact;

  if (s->n_keys == 0 || n <= 1)
    {
      for (gsize i = 0; i < n; i++)
        order[i] = (guint32) i;
      return order;
    }
  first = cols[s->keys[0].column];
  exact = first->type != WEFT_DATA_TYPE_STRING;
  entries = g_new (Entry, n);
  nulls = g_new (guint32, n);
  if (first->validity == NULL || first->null_count == 0)
    for (gsize i = 0; i < n; i++)
      {
        entries[i].key = prefix_of (first, i);
        entries[i].row = (guint32) i;
      }
  for (gsize i = 0; i < n; i++)
    {
      if (first->validity != NULL && first->null_count > 0)
        {
          if (!weft_column_is_valid (first, i))
            {
              nulls[n_nulls++] = (guint32) i;
              continue;
            }
          entries[n_entries].key = prefix_of (first, i);
          entries[n_entries].row = (guint32) i;
        }
      if (s->keys[0].descending)
        entries[n_entries].key = ~entries[n_entries].key;
      n_entries++;
    }

  if (n_entries > 1)
    {
      tmp = g_new (Entry, n_entries);
      radix_sort (entries, tmp, n_entries);
    }
  scratch = g_new (guint32, MAX (n, 1));

  /* Lay out the output: the null block before or after the sorted entries. */
  pos = s->keys[0].nulls_first ? n_nulls : 0;
  for (gsize i = 0; i < n_entries; i++)
    order[pos + i] = entries[i].row;
  if (!exact || s->n_keys > 1)
    {
      CmpCtx ctx = { s->keys, s->n_keys, exact ? 1 : 0, cols };

      for (gsize i = 0; i < n_entries;)
        {
          gsize j = i + 1;

          while (j < n_entries && entries[j].key == entries[i].key)
            j++;
          if (j - i > 1)
            msort (order + pos + i, scratch, j - i, &ctx);
          i = j;
        }
    }
  pos = s->keys[0].nulls_first ? 0 : n_entries;
  memcpy (order + pos, nulls, n_nulls * sizeof *nulls);
  if (s->n_keys > 1 && n_nulls > 1)
    {
      CmpCtx ctx = { s->keys, s->n_keys, 1, cols };

      msort (order + pos, scratch, n_nulls, &ctx);
    }
  return order;
}

/* ---- Buffer ---------------------------------------------------------------------------------- */

static void
buffer_reset (WeftSort *s)
{
  for (guint i = 0; i < s->n_columns; i++)
    {
      weft_column_unref (s->buf[i]);
      s->buf[i] = weft_column_new (weft_schema_get_field (s->schema, i)->type, 0);
    }
  s->buf_rows = 0;
  s->have_boundary = FALSE;
}

static gsize
buffer_bytes (const WeftSort *s)
{
  gsize bytes = s->buf_rows * (sizeof (Entry) * 2 + sizeof (guint32) * 3);

  for (guint i = 0; i < s->n_columns; i++)
    bytes += weft_column_get_bytes (s->buf[i]);
  return bytes;
}

static void
note_memory (WeftSort *s, gsize bytes)
{
  s->stats.peak_memory = MAX (s->stats.peak_memory, bytes);
}

/* Replaces the buffer by its rows in @order[0 .. n). */
static void
buffer_take (WeftSort *s, const guint32 *order, gsize n)
{
  for (guint i = 0; i < s->n_columns; i++)
    {
      WeftColumn *c = weft_column_take (s->buf[i], order, n);

      weft_column_unref (s->buf[i]);
      s->buf[i] = c;
    }
  s->buf_rows = n;
}

static WeftBatch *
batch_from_buffer (WeftSort *s, const guint32 *rows, gsize n)
{
  g_autofree WeftColumn **cols = g_new0 (WeftColumn *, MAX (s->n_columns, 1));

  for (guint i = 0; i < s->n_columns; i++)
    cols[i] = weft_column_take (s->buf[i], rows, n);
  return weft_batch_new (s->schema, cols, n);
}

static gboolean
spill_run (WeftSort *s, GError **error)
{
  g_autofree guint32 *order = NULL;
  g_autoptr (WeftSpillFile) run = NULL;

  if (s->buf_rows == 0)
    return TRUE;
  order = sort_rows (s, s->buf, s->buf_rows);
  note_memory (s, buffer_bytes (s));
  run = weft_spill_file_new (s->spill_dir, s->schema, error);
  if (run == NULL)
    return FALSE;
  for (gsize pos = 0; pos < s->buf_rows; pos += WEFT_BATCH_DEFAULT_ROWS)
    {
      gsize n = MIN ((gsize) WEFT_BATCH_DEFAULT_ROWS, s->buf_rows - pos);
      g_autoptr (WeftBatch) b = batch_from_buffer (s, order + pos, n);

      if (!weft_spill_file_write (run, b, error))
        return FALSE;
    }
  s->stats.spilled_bytes += weft_spill_file_get_bytes (run);
  s->stats.spilled_rows += weft_spill_file_get_rows (run);
  s->stats.spill_files++;
  g_ptr_array_add (s->runs, g_steal_pointer (&run));
  buffer_reset (s);
  return TRUE;
}

/* ---- Life cycle ------------------------------------------------------------------------------ */

WeftSort *
weft_sort_new (WeftSchema *schema, const WeftSortKey *keys, guint n_keys, gint64 limit,
               gsize budget_bytes, const char *spill_dir, GError **error)
{
  WeftSort *s;
  guint n_columns = weft_schema_get_n_fields (schema);

  for (guint k = 0; k < n_keys; k++)
    if (keys[k].column >= n_columns)
      {
        g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_SCHEMA,
                     "sort key %u: column %u out of range (the input has %u)", k, keys[k].column,
                     n_columns);
        return NULL;
      }
  s = g_new0 (WeftSort, 1);
  s->schema = weft_schema_ref (schema);
  s->n_columns = n_columns;
  s->keys = g_memdup2 (keys, sizeof *keys * MAX (n_keys, 1));
  s->n_keys = n_keys;
  s->limit = limit < 0 ? -1 : limit;
  s->topn = limit >= 0 && limit <= TOPN_MAX_LIMIT;
  s->budget = MAX (budget_bytes, WEFT_OPERATOR_MIN_BUDGET);
  s->spill_dir = g_strdup (spill_dir);
  s->buf = g_new0 (WeftColumn *, MAX (n_columns, 1));
  s->runs = g_ptr_array_new_with_free_func ((GDestroyNotify) weft_spill_file_free);
  buffer_reset (s);
  return s;
}

void
weft_sort_free (WeftSort *s)
{
  if (s == NULL)
    return;
  for (guint i = 0; i < s->n_columns; i++)
    weft_column_unref (s->buf[i]);
  g_free (s->buf);
  if (s->cursors != NULL)
    for (guint r = 0; r < s->runs->len; r++)
      weft_batch_free (s->cursors[r].batch);
  g_free (s->cursors);
  g_free (s->heap);
  g_ptr_array_unref (s->runs);
  g_free (s->order);
  g_free (s->keys);
  g_free (s->spill_dir);
  weft_schema_unref (s->schema);
  g_free (s);
}

const WeftOperatorStats *
weft_sort_get_stats (const WeftSort *s)
{
  return &s->stats;
}

static gboolean
check_batch (const WeftSort *s, const WeftBatch *batch, GError **error)
{
  gboolean ok = batch->n_columns == s->n_columns;

  for (guint i = 0; ok && i < s->n_columns; i++)
    ok = batch->columns[i]->type == weft_schema_get_field (s->schema, i)->type;
  if (!ok)
    g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_SCHEMA,
                 "sort: a batch's columns do not match the operator's schema");
  return ok;
}

/* Top-N: sorts the candidates and keeps the best `limit`. */
static void
topn_compact (WeftSort *s)
{
  g_autofree guint32 *order = sort_rows (s, s->buf, s->buf_rows);
  gsize keep = MIN (s->buf_rows, (gsize) s->limit);

  note_memory (s, buffer_bytes (s));
  buffer_take (s, order, keep);
  s->have_boundary = keep == (gsize) s->limit && keep > 0;
}

static void
topn_push (WeftSort *s, const WeftBatch *batch)
{
  gsize threshold = (gsize) s->limit + MAX ((gsize) s->limit, 8192);

  if (s->limit == 0)
    return;
  if (s->have_boundary)
    {
      g_autoptr (WeftSelection) sel = weft_selection_new (batch->n_rows);
      gsize boundary = (gsize) s->limit - 1;

      for (gsize i = 0; i < batch->n_rows; i++)
        if (compare_rows (s->keys, s->n_keys, 0, batch->columns, i, s->buf, boundary) < 0)
          weft_selection_add (sel, (guint32) i);
      for (guint c = 0; c < s->n_columns; c++)
        weft_column_append_take (s->buf[c], batch->columns[c], sel->rows, sel->n);
      s->buf_rows += sel->n;
    }
  else
    {
      for (guint c = 0; c < s->n_columns; c++)
        weft_column_append_range (s->buf[c], batch->columns[c], 0, batch->n_rows);
      s->buf_rows += batch->n_rows;
    }
  if (s->buf_rows >= threshold)
    topn_compact (s);
}

gboolean
weft_sort_push (WeftSort *s, const WeftBatch *batch, GError **error)
{
  g_return_val_if_fail (!s->finished, FALSE);
  if (!check_batch (s, batch, error))
    return FALSE;
  s->stats.rows_in += batch->n_rows;
  if (batch->n_rows == 0)
    return TRUE;
  if (s->buf_rows + batch->n_rows > G_MAXUINT32)
    {
      /* Row indices are 32-bit: a buffer that large must become a run whatever the budget. */
      if (s->topn)
        topn_compact (s);
      else if (!spill_run (s, error))
        return FALSE;
    }
  if (s->topn)
    {
      topn_push (s, batch);
      note_memory (s, buffer_bytes (s));
      return TRUE;
    }
  for (guint c = 0; c < s->n_columns; c++)
    weft_column_append_range (s->buf[c], batch->columns[c], 0, batch->n_rows);
  s->buf_rows += batch->n_rows;
  note_memory (s, buffer_bytes (s));
  if (buffer_bytes (s) > s->budget)
    return spill_run (s, error);
  return TRUE;
}

/* ---- Merge ----------------------------------------------------------------------------------- */

static inline gboolean
cursor_less (const WeftSort *s, const Cursor *a, const Cursor *b)
{
  int r = compare_rows (s->keys, s->n_keys, 0, a->batch->columns, a->row, b->batch->columns, b->row);

  return r < 0 || (r == 0 && a->run < b->run);
}

static void
heap_sift_down (WeftSort *s, guint i)
{
  for (;;)
    {
      guint l = 2 * i + 1, r = l + 1, m = i;

      if (l < s->heap_n && cursor_less (s, &s->cursors[s->heap[l]], &s->cursors[s->heap[m]]))
        m = l;
      if (r < s->heap_n && cursor_less (s, &s->cursors[s->heap[r]], &s->cursors[s->heap[m]]))
        m = r;
      if (m == i)
        return;
      guint t = s->heap[i];
      s->heap[i] = s->heap[m];
      s->heap[m] = t;
      i = m;
    }
}

static gboolean
merge_start (WeftSort *s, GError **error)
{
  s->cursors = g_new0 (Cursor, s->runs->len);
  s->heap = g_new0 (guint, MAX (s->runs->len, 1));
  for (guint r = 0; r < s->runs->len; r++)
    {
      WeftSpillFile *run = g_ptr_array_index (s->runs, r);

      s->cursors[r].run = r;
      if (!weft_spill_file_rewind (run, error)
          || !weft_spill_file_read (run, &s->cursors[r].batch, error))
        return FALSE;
      if (s->cursors[r].batch != NULL)
        s->heap[s->heap_n++] = r;
    }
  for (guint i = s->heap_n; i-- > 0;)
    heap_sift_down (s, i);
  return TRUE;
}

static gboolean
merge_next (WeftSort *s, WeftBatch **out, GError **error)
{
  g_autoptr (WeftBatch) b = NULL;
  gsize want = WEFT_BATCH_DEFAULT_ROWS;

  if (s->limit >= 0)
    want = (gsize) MIN ((guint64) want, (guint64) s->limit - s->emitted);
  if (s->heap_n == 0 || want == 0)
    return TRUE;
  b = weft_batch_new_empty (s->schema, want);
  while (b->n_rows < want)
    {
      Cursor *c;
      gsize start, end;

      if (s->heap_n == 0)
        break;
      c = &s->cursors[s->heap[0]];
      /* Copy a stretch from the smallest cursor: while its rows stay no greater than the
       * runner-up's head (the smaller child of the root), they come next. */
      start = c->row;
      end = start + 1;
      if (s->heap_n > 1)
        {
          const Cursor *r1 = &s->cursors[s->heap[1]];
          const Cursor *second = r1;

          if (s->heap_n > 2 && cursor_less (s, &s->cursors[s->heap[2]], r1))
            second = &s->cursors[s->heap[2]];
          while (end < c->batch->n_rows && b->n_rows + (end - start) < want)
            {
              int r = compare_rows (s->keys, s->n_keys, 0, c->batch->columns, end,
                                    second->batch->columns, second->row);

              if (r > 0 || (r == 0 && c->run > second->run))
                break;
              end++;
            }
        }
      else
        end = MIN (c->batch->n_rows, start + (want - b->n_rows));
      for (guint i = 0; i < s->n_columns; i++)
        weft_column_append_range (b->columns[i], c->batch->columns[i], start, end - start);
      b->n_rows += end - start;
      c->row = end;
      if (c->row == c->batch->n_rows)
        {
          WeftSpillFile *run = g_ptr_array_index (s->runs, c->run);

          g_clear_pointer (&c->batch, weft_batch_free);
          c->row = 0;
          if (!weft_spill_file_read (run, &c->batch, error))
            return FALSE;
          if (c->batch == NULL)
            {
              s->heap[0] = s->heap[--s->heap_n];
              if (s->heap_n == 0)
                break;
            }
        }
      heap_sift_down (s, 0);
    }
  s->emitted += b->n_rows;
  if (b->n_rows > 0)
    *out = g_steal_pointer (&b);
  return TRUE;
}

gboolean
weft_sort_finish (WeftSort *s, GError **error)
{
  g_return_val_if_fail (!s->finished, FALSE);
  s->finished = TRUE;
  if (s->runs->len > 0)
    {
      if (!spill_run (s, error))
        return FALSE;
      buffer_reset (s);
      return merge_start (s, error);
    }
  s->order = sort_rows (s, s->buf, s->buf_rows);
  s->order_n = s->buf_rows;
  if (s->limit >= 0)
    s->order_n = MIN (s->order_n, (gsize) s->limit);
  note_memory (s, buffer_bytes (s));
  return TRUE;
}

gboolean
weft_sort_next (WeftSort *s, WeftBatch **out, GError **error)
{
  g_return_val_if_fail (s->finished, FALSE);
  *out = NULL;
  if (s->cursors != NULL)
    {
      if (!merge_next (s, out, error))
        return FALSE;
    }
  else if (s->order_pos < s->order_n)
    {
      gsize n = MIN ((gsize) WEFT_BATCH_DEFAULT_ROWS, s->order_n - s->order_pos);

      *out = batch_from_buffer (s, s->order + s->order_pos, n);
      s->order_pos += n;
      if (s->order_pos == s->order_n)
        {
          /* Everything is out: give the memory back early. */
          buffer_reset (s);
          g_clear_pointer (&s->order, g_free);
        }
    }
  if (*out != NULL)
    {
      s->stats.rows_out += (*out)->n_rows;
      s->stats.batches_out++;
    }
  return TRUE;
}
