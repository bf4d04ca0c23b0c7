/* weft-rpc-check: a bounded, non-allocating walk over one binary-protocol
 * message. See weft-rpc-check.h. */
#include "weft-rpc-check.h"

#include "weft-rpc.h"

#include <string.h>

/* Thrift wire type ids (protocol/thrift_protocol.h); repeated here so this
 * pure module needs no Thrift headers. */
enum {
  TT_STOP = 0, TT_BOOL = 2, TT_BYTE = 3, TT_DOUBLE = 4, TT_I16 = 6, TT_I32 = 8,
  TT_I64 = 10, TT_STRING = 11, TT_STRUCT = 12, TT_MAP = 13, TT_SET = 14, TT_LIST = 15,
};

/* Decoding turns wire bytes into GObjects, strings and arrays. An empty
 * struct is one byte on the wire but ~100 bytes decoded, so a frame full of
 * them would decode to 100x its size. Each value is charged what it costs in
 * memory and the total may not pass COST_FACTOR x the frame (plus a floor),
 * which keeps real messages (a few x) well inside and bounds the rest. */
#define COST_FACTOR 16
#define COST_FLOOR (64 * 1024)
#define COST_VALUE 16
#define COST_STRUCT 128
#define COST_CONTAINER 64

/* Field ids already seen in one struct. No Thrift writer sends a field twice
 * in a struct, but the stock reader, given one twice, frees the first value
 * of a binary field with g_free() (an abort), so a repeat is refused.
 * Ids 0..LOW_IDS-1 (IDLs number their fields from 1 up) are a bitmap in
 * the struct's stack frame; the first OTHER_IDS others (negative ids, large
 * ones) a list beside it. A struct with more than that gets its nesting
 * level's table of all 65536 ids, allocated once per message and level at
 * most and cleared word by word as the struct ends, so the walk stays linear
 * and allocates nothing for ordinary messages. */
#define LOW_IDS 128
#define OTHER_IDS 8
#define ALL_IDS 65536

typedef struct {
  guint64 bits[ALL_IDS / 64];
  guint64 dirty[ALL_IDS / 64 / 64]; /* which words of bits are non-zero */
} IdTable;

typedef struct {
  guint64 low[LOW_IDS / 64];
  gint16 other[OTHER_IDS];
  guint n_other;
  IdTable *table;
} FieldIds;

typedef struct {
  const guint8 *start, *p, *end;
  guint max_depth;
  guint64 cost, max_cost;
  GPtrArray *tables; /* IdTable per nesting level, made on first need */
  GError **error;
} Walk;

static gboolean G_GNUC_PRINTF (2, 3)
fail (Walk *w, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (w->error, WEFT_RPC_ERROR, WEFT_RPC_ERROR_BAD_MESSAGE,
               "malformed message at byte %td of %td: %s", w->p - w->start,
               w->end - w->start, msg);
  return FALSE;
}

static gboolean
need (Walk *w, guint64 n, const char *what)
{
  if (n > (guint64) (w->end - w->p))
    return fail (w, "%s needs %" G_GUINT64_FORMAT " bytes but %td remain", what, n,
                 w->end - w->p);
  return TRUE;
}

static gboolean
charge (Walk *w, guint64 n)
{
  w->cost += n;
  if (w->cost > w->max_cost)
    return fail (w, "decoding would take more than %" G_GUINT64_FORMAT
                 " bytes of memory", w->max_cost);
  return TRUE;
}

static gint32
take_i32 (Walk *w)
{
  guint32 v = ((guint32) w->p[0] << 24) | ((guint32) w->p[1] << 16)
              | ((guint32) w->p[2] << 8) | w->p[3];
  w->p += 4;
  return (gint32) v;
}

/* Smallest encoding of a value of @type, or 0 for a type we do not accept. */
static guint
min_size (guint8 type)
{
  switch (type)
    {
    case TT_BOOL: case TT_BYTE: return 1;
    case TT_I16: return 2;
    case TT_I32: return 4;
    case TT_I64: case TT_DOUBLE: return 8;
    case TT_STRING: return 4;
    case TT_STRUCT: return 1;
    case TT_MAP: return 6;
    case TT_SET: case TT_LIST: return 5;
    default: return 0;
    }
}

/* Marks @id in @t; FALSE if it was marked already. */
static gboolean
table_mark (IdTable *t, gint16 id)
{
  guint i = (guint16) id;
  guint64 bit = G_GUINT64_CONSTANT (1) << (i % 64);
  if (t->bits[i / 64] & bit)
    return FALSE;
  t->bits[i / 64] |= bit;
  t->dirty[i / 64 / 64] |= G_GUINT64_CONSTANT (1) << (i / 64 % 64);
  return TRUE;
}

/* Empties @t for the next struct at its level: O(words used + 16). */
static void
table_clear (IdTable *t)
{
  for (guint d = 0; d < G_N_ELEMENTS (t->dirty); d++)
    for (guint64 m = t->dirty[d]; m != 0; m &= m - 1)
      t->bits[d * 64 + (guint) __builtin_ctzll (m)] = 0;
  memset (t->dirty, 0, sizeof t->dirty);
}

static IdTable *
table_for_level (Walk *w, guint depth)
{
  if (w->tables == NULL)
    w->tables = g_ptr_array_new_with_free_func (g_free);
  if (w->tables->len <= depth)
    g_ptr_array_set_size (w->tables, (gint) depth + 1);
  if (w->tables->pdata[depth] == NULL)
    w->tables->pdata[depth] = g_new0 (IdTable, 1);
  return w->tables->pdata[depth];
}

/* Records field @id of the struct at @depth; FALSE if the struct had it. */
static gboolean
note_field (Walk *w, FieldIds *ids, guint depth, gint16 id)
{
  if (id >= 0 && id < LOW_IDS)
    {
      guint64 bit = G_GUINT64_CONSTANT (1) << (id % 64);
      if (ids->low[id / 64] & bit)
        return FALSE;
      ids->low[id / 64] |= bit;
      return TRUE;
    }
  if (ids->table == NULL)
    {
      for (guint i = 0; i < ids->n_other; i++)
        if (ids->other[i] == id)
          return FALSE;
      if (ids->n_other < OTHER_IDS)
        {
          ids->other[ids->n_other++] = id;
          return TRUE;
        }
      ids->table = table_for_level (w, depth);
      for (guint i = 0; i < OTHER_IDS; i++)
        table_mark (ids->table, ids->other[i]);
    }
  return table_mark (ids->table, id);
}

static gboolean walk_value (Walk *w, guint8 type, guint depth);

static gboolean
walk_struct (Walk *w, guint depth)
{
  if (depth > w->max_depth)
    return fail (w, "nesting deeper than %u levels", w->max_depth);
  if (!charge (w, COST_STRUCT))
    return FALSE;
  FieldIds ids = { .n_other = 0 };
  for (;;)
    {
      if (!need (w, 1, "field type"))
        return FALSE;
      guint8 ftype = *w->p++;
      if (ftype == TT_STOP)
        break;
      if (min_size (ftype) == 0)
        return fail (w, "unknown field type %u", ftype);
      if (!need (w, 2, "field id"))
        return FALSE;
      gint16 id = (gint16) (((guint16) w->p[0] << 8) | w->p[1]);
      if (!note_field (w, &ids, depth, id))
        return fail (w, "field %d appears twice in one struct", id);
      w->p += 2;
      if (!walk_value (w, ftype, depth))
        return FALSE;
    }
  /* On failure the tables are dropped with the walk; here they are reused. */
  if (ids.table != NULL)
    table_clear (ids.table);
  return TRUE;
}

static gboolean
walk_elements (Walk *w, const guint8 *types, guint ntypes, guint depth, const char *what)
{
  if (depth + 1 > w->max_depth)
    return fail (w, "nesting deeper than %u levels", w->max_depth);
  guint per = 0;
  for (guint i = 0; i < ntypes; i++)
    {
      guint m = min_size (types[i]);
      if (m == 0)
        return fail (w, "%s of unknown element type %u", what, types[i]);
      per += m;
    }
  gint32 count = take_i32 (w);
  if (count < 0)
    return fail (w, "%s declares a negative size %d", what, count);
  /* Checked before the loop: a list claiming 2^30 elements fails here. */
  if ((guint64) count * per > (guint64) (w->end - w->p))
    return fail (w, "%s declares %d elements (at least %" G_GUINT64_FORMAT
                 " bytes) but %td bytes remain", what, count, (guint64) count * per,
                 w->end - w->p);
  if (!charge (w, COST_CONTAINER + (guint64) count * ntypes * 8))
    return FALSE;
  for (gint32 i = 0; i < count; i++)
    for (guint t = 0; t < ntypes; t++)
      if (!walk_value (w, types[t], depth + 1))
        return FALSE;
  return TRUE;
}

static gboolean
walk_value (Walk *w, guint8 type, guint depth)
{
  switch (type)
    {
    case TT_BOOL: case TT_BYTE: case TT_I16: case TT_I32: case TT_I64: case TT_DOUBLE:
      if (!need (w, min_size (type), "value"))
        return FALSE;
      w->p += min_size (type);
      return charge (w, COST_VALUE);
    case TT_STRING:
      {
        if (!need (w, 4, "string length"))
          return FALSE;
        gint32 len = take_i32 (w);
        if (len < 0)
          return fail (w, "string declares a negative length %d", len);
        if (!need (w, (guint64) len, "string"))
          return FALSE;
        w->p += len;
        return charge (w, COST_VALUE + (guint64) len + 1);
      }
    case TT_STRUCT:
      return walk_struct (w, depth + 1);
    case TT_MAP:
      {
        if (!need (w, 6, "map header"))
          return FALSE;
        guint8 kv[2] = { w->p[0], w->p[1] };
        w->p += 2;
        return walk_elements (w, kv, 2, depth, "map");
      }
    case TT_SET: case TT_LIST:
      {
        if (!need (w, 5, "list header"))
          return FALSE;
        guint8 et = *w->p++;
        return walk_elements (w, &et, 1, depth, type == TT_SET ? "set" : "list");
      }
    default:
      return fail (w, "unknown type %u", type);
    }
}

gboolean
weft_rpc_check_message (const guint8 *buf, gsize len, guint max_depth, guint allowed_types,
                        WeftRpcMessageInfo *info, GError **error)
{
  WeftRpcMessageInfo scratch;
  if (info == NULL)
    info = &scratch;
  memset (info, 0, sizeof *info);

  Walk w = { .start = buf, .p = buf, .end = buf + len, .max_depth = max_depth,
             .max_cost = (guint64) len * COST_FACTOR + COST_FLOOR, .error = error };

  /* Strict header: version | type, name, seqid. The old unversioned form is
   * refused: our peers never send it. */
  if (!need (&w, 4, "message header"))
    return FALSE;
  guint32 vt = (guint32) take_i32 (&w);
  if ((vt & 0xffff0000u) != 0x80010000u)
    return fail (&w, "not a strict binary-protocol message (header 0x%08x)", vt);
  guint8 type = vt & 0xff;
  if (type < 1 || type > 4 || !(allowed_types & (1u << type)))
    return fail (&w, "unexpected message type %u", type);
  if (!need (&w, 4, "method name length"))
    return FALSE;
  gint32 nlen = take_i32 (&w);
  if (nlen <= 0 || nlen > WEFT_RPC_MAX_METHOD_NAME)
    return fail (&w, "method name length %d is not in 1..%d", nlen, WEFT_RPC_MAX_METHOD_NAME);
  if (!need (&w, (guint64) nlen + 4, "method name and seqid"))
    return FALSE;
  memcpy (info->method, w.p, (gsize) nlen);
  info->method[nlen] = '\0';
  w.p += nlen;
  info->seqid = take_i32 (&w);
  info->type = type;
  info->have_header = TRUE;

  gboolean ok = walk_struct (&w, 1);
  if (ok && w.p != w.end)
    ok = fail (&w, "%td unexpected bytes after the message", w.end - w.p);
  if (w.tables != NULL)
    g_ptr_array_unref (w.tables);
  return ok;
}
