/* weft-task-rpc: tasks and outcomes to and from engine.thrift. See weft-task-rpc.h.
 *
 * Decoding bytes goes in three steps, each of which may refuse them:
 * 1. weft_rpc_check_message() (common/): lengths against the bytes, nesting, the memory the
 *    stock decoder may take.
 * 2. The shape walk here (walk_struct()): every known field has the wire type this IDL gives it, list elements
 *    included, and no field comes twice in one struct. The stock c_glib reader trusts both: it
 *    reads a list's elements as the IDL's type whatever the list declares (so a list of i32 read
 *    as a list of binary takes its lengths from the integers and allocates them before reading),
 *    and a binary field seen twice frees its first GByteArray with g_free().
 * 3. The stock reader builds the structs, through a read cursor over the bytes (linear), then
 *    the converters check what they mean: indices, types, counts, names (see *_from_thrift). */
#include "weft-task-rpc.h"

#include <string.h>
#include <thrift/c_glib/protocol/thrift_binary_protocol.h>
#include <thrift/c_glib/transport/thrift_transport.h>

#include "weft-batch-codec.h"
#include "weft-csv.h"
#include "weft-expr-private.h"
#include "weft-rpc-check.h"
#include "weft_engine_types.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (weftTaskDescription, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (weftTaskStatus, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (weftOperator, g_object_unref)

#define TASK_MESSAGE "TaskDescription"
#define STATUS_MESSAGE "TaskStatus"

/* Nesting of the deepest value a task can hold, as weft_rpc_check_message() counts it (the
 * message's struct is 1, each struct and list below one more): TaskDescription > plan >
 * operators > Operator > aggregates > Aggregate > input > nodes > ExprNode > literal is 10. */
#define MAX_WIRE_DEPTH 16

/* Sizes the executor allocates from, kept sane. */
#define MAX_BATCH_ROWS (G_GINT64_CONSTANT (1) << 24)
#define MAX_BUFFER_BYTES (G_GINT64_CONSTANT (1) << 30)

static gboolean G_GNUC_PRINTF (2, 3)
malformed (GError **error, const char *format, ...)
{
  va_list ap;
  va_start (ap, format);
  g_autofree char *message = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_set_error_literal (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_MALFORMED, message);
  return FALSE;
}

/* ==== A Thrift transport over memory ============================================================
 * Reads go through a cursor over the caller's bytes (nothing is copied or moved, unlike the
 * stock memory buffer, which also leaks); writes append to a GByteArray, bounded. */

typedef struct {
  ThriftTransport parent;
  const guint8 *data;
  gsize len, pos;
  GByteArray *out;
} WeftTaskRpcBuffer;

typedef struct {
  ThriftTransportClass parent_class;
} WeftTaskRpcBufferClass;

static GType weft_task_rpc_buffer_get_type (void);
G_DEFINE_TYPE (WeftTaskRpcBuffer, weft_task_rpc_buffer, THRIFT_TYPE_TRANSPORT)

#define BUFFER(t) ((WeftTaskRpcBuffer *) (t))

static gboolean
buffer_is_open (ThriftTransport *transport)
{
  return TRUE;
}

static gboolean
buffer_open (ThriftTransport *transport, GError **error)
{
  return TRUE;
}

static gboolean
buffer_peek (ThriftTransport *transport, GError **error)
{
  return BUFFER (transport)->pos < BUFFER (transport)->len;
}

static gint32
buffer_read (ThriftTransport *transport, gpointer buf, guint32 len, GError **error)
{
  WeftTaskRpcBuffer *self = BUFFER (transport);
  if (len > self->len - self->pos)
    {
      malformed (error, "a read of %u bytes past the end (%" G_GSIZE_FORMAT " left)", len,
                 self->len - self->pos);
      return -1;
    }
  memcpy (buf, self->data + self->pos, len);
  self->pos += len;
  return (gint32) len;
}

static gboolean
buffer_true (ThriftTransport *transport, GError **error)
{
  return TRUE;
}

static gboolean
buffer_write (ThriftTransport *transport, const gpointer buf, const guint32 len, GError **error)
{
  WeftTaskRpcBuffer *self = BUFFER (transport);
  if ((gsize) len > WEFT_TASK_RPC_MAX_BYTES - self->out->len)
    {
      g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_TOO_LARGE,
                   "the encoding is larger than %" G_GSIZE_FORMAT " bytes",
                   WEFT_TASK_RPC_MAX_BYTES);
      return FALSE;
    }
  g_byte_array_append (self->out, buf, len);
  return TRUE;
}

static gboolean
buffer_check_read_bytes_available (ThriftTransport *transport, glong num_bytes, GError **error)
{
  WeftTaskRpcBuffer *self = BUFFER (transport);
  if (num_bytes >= 0 && (gsize) num_bytes <= self->len - self->pos)
    return TRUE;
  return malformed (error, "%ld bytes declared but %" G_GSIZE_FORMAT " left", num_bytes,
                    self->len - self->pos);
}

static void
weft_task_rpc_buffer_finalize (GObject *object)
{
  WeftTaskRpcBuffer *self = BUFFER (object);
  if (self->out)
    g_byte_array_unref (self->out);
  G_OBJECT_CLASS (weft_task_rpc_buffer_parent_class)->finalize (object);
}

static void
weft_task_rpc_buffer_class_init (WeftTaskRpcBufferClass *klass)
{
  ThriftTransportClass *tt = THRIFT_TRANSPORT_CLASS (klass);
  G_OBJECT_CLASS (klass)->finalize = weft_task_rpc_buffer_finalize;
  tt->is_open = buffer_is_open;
  tt->open = buffer_open;
  tt->close = buffer_true;
  tt->peek = buffer_peek;
  tt->read = buffer_read;
  tt->read_all = buffer_read;
  tt->read_end = buffer_true;
  tt->write = buffer_write;
  tt->write_end = buffer_true;
  tt->flush = buffer_true;
  tt->checkReadBytesAvailable = buffer_check_read_bytes_available;
}

static void
weft_task_rpc_buffer_init (WeftTaskRpcBuffer *self)
{
}

/* ==== Shapes: the wire types the stock reader assumes ==========================================
 * One table per struct of the task and status messages: each field's id and wire type, with the
 * element type of a list and the shape of a struct (or of a list's struct elements). */

typedef struct Shape Shape;

typedef struct {
  gint16 id;
  guint8 type;
  guint8 elem;           /* T_LIST: the element type */
  const Shape *shape;    /* T_STRUCT, or T_LIST of T_STRUCT */
} FieldShape;

struct Shape {
  const char *name;
  const FieldShape *fields;
  guint n_fields;
};

#define SHAPE(var, label, ...)                                                            \
  static const FieldShape var##_fields[] = { __VA_ARGS__ };                               \
  static const Shape var = { label, var##_fields, G_N_ELEMENTS (var##_fields) }
#define F(id, type) { id, type, 0, NULL }
#define S(id, shape) { id, T_STRUCT, 0, &shape }
#define L(id, elem) { id, T_LIST, elem, NULL }
#define LS(id, shape) { id, T_LIST, T_STRUCT, &shape }

SHAPE (field_shape, "Field", F (1, T_STRING), F (2, T_I32), F (3, T_BOOL));
SHAPE (schema_shape, "Schema", LS (1, field_shape));
SHAPE (literal_shape, "Literal", F (1, T_BOOL), F (2, T_I64), F (3, T_DOUBLE), F (4, T_STRING),
       F (5, T_BOOL));
SHAPE (expr_node_shape, "ExprNode", F (1, T_I32), F (2, T_I32), F (3, T_BOOL), F (4, T_I32),
       F (5, T_STRING), S (6, literal_shape), F (7, T_STRING), L (8, T_I32), F (9, T_BOOL));
SHAPE (expr_tree_shape, "ExprTree", LS (1, expr_node_shape));
SHAPE (aggregate_shape, "Aggregate", F (1, T_I32), S (2, expr_tree_shape), F (3, T_STRING));
SHAPE (sort_key_shape, "SortKey", S (1, expr_tree_shape), F (2, T_BOOL), F (3, T_BOOL));
SHAPE (file_split_shape, "FileSplit", F (1, T_STRING), F (2, T_I64), F (3, T_I64));
SHAPE (csv_options_shape, "CsvOptions", F (1, T_BOOL), F (2, T_BOOL), F (3, T_BYTE),
       F (4, T_BYTE), F (5, T_BYTE), F (6, T_BYTE), F (7, T_STRING), F (8, T_BOOL),
       F (9, T_STRING), F (10, T_I32), F (11, T_STRING), F (12, T_I64), F (13, T_I64),
       F (14, T_I64), F (15, T_I64), F (16, T_I32));
SHAPE (csv_write_options_shape, "CsvWriteOptions", F (1, T_BOOL), F (2, T_BYTE), F (3, T_BYTE),
       F (4, T_BYTE), F (5, T_STRING), F (6, T_STRING), F (7, T_BOOL), F (8, T_BOOL),
       F (9, T_BOOL), F (10, T_BOOL), F (11, T_STRING), F (12, T_STRING), F (13, T_I64));
SHAPE (csv_scan_shape, "CsvScan", L (1, T_STRING), S (2, csv_options_shape),
       S (3, schema_shape), L (4, T_I32), S (5, expr_tree_shape));
SHAPE (partitioning_shape, "Partitioning", F (1, T_I32), LS (2, expr_tree_shape));
SHAPE (join_out_shape, "JoinOut", F (1, T_I32), F (2, T_I32));
SHAPE (join_shape, "Join", F (1, T_I32), LS (2, expr_tree_shape), LS (3, expr_tree_shape),
       LS (4, join_out_shape), F (5, T_BOOL));
SHAPE (node_info_shape, "NodeInfo", F (1, T_I32), F (2, T_I32), F (3, T_I32),
       LS (4, file_split_shape));
SHAPE (operator_shape, "Operator", F (1, T_I32), L (2, T_I32), S (3, schema_shape),
       S (4, node_info_shape), S (5, csv_scan_shape), F (6, T_STRING),
       S (7, partitioning_shape), S (8, expr_tree_shape), LS (9, expr_tree_shape),
       LS (10, aggregate_shape), LS (11, sort_key_shape), F (12, T_I64), S (13, join_shape));
SHAPE (plan_fragment_shape, "PlanFragment", LS (1, operator_shape));
SHAPE (map_output_shape, "MapOutput", F (1, T_I32), F (2, T_I32), F (3, T_STRING),
       F (4, T_STRING), F (5, T_I32), F (6, T_STRING), L (7, T_I64));
SHAPE (task_description_shape, "TaskDescription", F (1, T_I64), F (2, T_I32), F (3, T_I32),
       F (4, T_I32), F (5, T_I32), F (6, T_I32), F (7, T_I64), F (8, T_I32),
       S (9, plan_fragment_shape), F (10, T_I32), LS (11, map_output_shape), F (12, T_I64),
       F (13, T_STRING), S (14, csv_write_options_shape));
SHAPE (task_metrics_shape, "TaskMetrics", F (1, T_I64), F (2, T_I64), F (3, T_I64),
       F (4, T_I64), F (5, T_I64), F (6, T_I64));
SHAPE (task_status_shape, "TaskStatus", F (1, T_I64), F (2, T_I32), F (3, T_STRING),
       F (4, T_STRING), L (5, T_STRING), S (6, map_output_shape), L (7, T_I32), F (8, T_I32),
       F (9, T_I32), F (10, T_STRING), S (11, task_metrics_shape));

typedef struct {
  const guint8 *p, *end, *start;
  GError **error;
} Cursor;

static gboolean G_GNUC_PRINTF (2, 3)
shape_fail (Cursor *c, const char *format, ...)
{
  va_list ap;
  va_start (ap, format);
  g_autofree char *message = g_strdup_vprintf (format, ap);
  va_end (ap);
  return malformed (c->error, "at byte %td: %s", c->p - c->start, message);
}

static gboolean
take (Cursor *c, gsize n)
{
  if (n > (gsize) (c->end - c->p))
    return shape_fail (c, "%" G_GSIZE_FORMAT " bytes needed, %td left", n, c->end - c->p);
  c->p += n;
  return TRUE;
}

static guint32
get_u32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

static gboolean walk_struct (Cursor *c, const Shape *shape);

/* One value of wire type @type; @shape is the IDL's for it (NULL: an unknown field, only
 * skipped, as the stock reader skips it by its declared types). */
static gboolean
walk_value (Cursor *c, guint8 type, guint8 elem, const Shape *shape)
{
  switch (type)
    {
    case T_BOOL: case T_BYTE: return take (c, 1);
    case T_I16: return take (c, 2);
    case T_I32: return take (c, 4);
    case T_I64: case T_DOUBLE: return take (c, 8);
    case T_STRING:
      {
        const guint8 *at = c->p;
        if (!take (c, 4))
          return FALSE;
        return take (c, get_u32 (at));
      }
    case T_STRUCT:
      return walk_struct (c, shape);
    case T_LIST: case T_SET: case T_MAP:
      {
        const guint8 *at = c->p;
        guint8 types[2];
        guint n_types = type == T_MAP ? 2 : 1;
        if (!take (c, n_types + 4))
          return FALSE;
        types[0] = at[0];
        types[1] = n_types == 2 ? at[1] : 0;
        guint32 count = get_u32 (at + n_types);
        if (shape != NULL || elem != 0)
          {
            /* A known list: its elements must be what the reader will read them as. An empty
             * list's element type is not looked at by anyone. */
            if (type != T_LIST || (count > 0 && types[0] != elem))
              return shape_fail (c, "a list of wire type %u where %u is expected", types[0], elem);
          }
        for (guint32 i = 0; i < count; i++)
          for (guint t = 0; t < n_types; t++)
            if (!walk_value (c, types[t], 0, types[t] == elem ? shape : NULL))
              return FALSE;
        return TRUE;
      }
    default:
      return shape_fail (c, "unknown wire type %u", type);
    }
}

static gboolean
walk_struct (Cursor *c, const Shape *shape)
{
  guint64 seen = 0; /* ids of known fields: those of this IDL are below 64 */
  for (;;)
    {
      const guint8 *at = c->p;
      if (!take (c, 1))
        return FALSE;
      guint8 type = at[0];
      if (type == T_STOP)
        return TRUE;
      if (!take (c, 2))
        return FALSE;
      gint16 id = (gint16) (((guint16) at[1] << 8) | at[2]);
      const FieldShape *f = NULL;
      for (guint i = 0; shape && i < shape->n_fields; i++)
        if (shape->fields[i].id == id)
          f = &shape->fields[i];
      if (f == NULL)
        {
          /* Unknown to this IDL (or to a struct that is itself unknown): skipped by type. */
          if (!walk_value (c, type, 0, NULL))
            return FALSE;
          continue;
        }
      if (type != f->type)
        return shape_fail (c, "field %d of %s has wire type %u, not %u", id, shape->name, type,
                           f->type);
      guint64 bit = id > 0 && id < 64 ? G_GUINT64_CONSTANT (1) << id : 0;
      if (seen & bit)
        return shape_fail (c, "field %d of %s comes twice", id, shape->name);
      seen |= bit;
      if (!walk_value (c, type, f->elem, f->shape))
        return FALSE;
    }
}

/* Steps 1 and 2 for a message named @name of struct @shape. */
static gboolean
check_bytes (const guint8 *data, gsize len, const char *name, const Shape *shape, GError **error)
{
  WeftRpcMessageInfo info;
  GError *local = NULL;
  if (len > WEFT_TASK_RPC_MAX_BYTES)
    return malformed (error, "%" G_GSIZE_FORMAT " bytes: more than %" G_GSIZE_FORMAT, len,
                      WEFT_TASK_RPC_MAX_BYTES);
  if (!weft_rpc_check_message (data, len, MAX_WIRE_DEPTH, WEFT_RPC_MSG_ONEWAY, &info, &local))
    {
      malformed (error, "%s", local->message);
      g_error_free (local);
      return FALSE;
    }
  /* The checker read the header: version and type (4), name length (4), name, seqid (4). */
  gsize name_len = get_u32 (data + 4);
  if (name_len != strlen (name) || memcmp (data + 8, name, name_len) != 0)
    return malformed (error, "a message \"%s\", not \"%s\"", info.method, name);
  Cursor c = { data + 12 + name_len, data + len, data, error };
  return walk_struct (&c, shape);
}

/* Reads the message's struct into @object (steps 1 and 2 done). */
static gboolean
read_message (const guint8 *data, gsize len, ThriftStruct *object, GError **error)
{
  g_autoptr(GObject) transport = g_object_new (weft_task_rpc_buffer_get_type (), NULL);
  BUFFER (transport)->data = data;
  BUFFER (transport)->len = len;
  g_autoptr(GObject) protocol = g_object_new (THRIFT_TYPE_BINARY_PROTOCOL, "transport",
                                              transport, NULL);
  ThriftProtocol *proto = THRIFT_PROTOCOL (protocol);
  g_autofree gchar *name = NULL;
  ThriftMessageType type;
  gint32 seqid;
  GError *local = NULL;
  if (thrift_protocol_read_message_begin (proto, &name, &type, &seqid, &local) < 0
      || thrift_struct_read (object, proto, &local) < 0
      || thrift_protocol_read_message_end (proto, &local) < 0)
    {
      malformed (error, "%s", local ? local->message : "the Thrift decoder failed");
      g_clear_error (&local);
      return FALSE;
    }
  return TRUE;
}

/* The message of @object named @name. */
static GBytes *
write_message (ThriftStruct *object, const char *name, GError **error)
{
  g_autoptr(GObject) transport = g_object_new (weft_task_rpc_buffer_get_type (), NULL);
  BUFFER (transport)->out = g_byte_array_new ();
  g_autoptr(GObject) protocol = g_object_new (THRIFT_TYPE_BINARY_PROTOCOL, "transport",
                                              transport, NULL);
  ThriftProtocol *proto = THRIFT_PROTOCOL (protocol);
  GError *local = NULL;
  if (thrift_protocol_write_message_begin (proto, name, T_ONEWAY, 0, &local) < 0
      || thrift_struct_write (object, proto, &local) < 0
      || thrift_protocol_write_message_end (proto, &local) < 0)
    {
      if (local == NULL)
        g_set_error (&local, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_TOO_LARGE,
                     "the Thrift encoder failed");
      g_propagate_prefixed_error (error, local, "encoding a %s: ", name);
      return NULL;
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&BUFFER (transport)->out));
}

/* ==== Encoding ================================================================================ */

/* Unsigned engine fields travel as the signed 32-bit values of the same bits. */
#define I32(v) ((gint32) (guint32) (v))

static void
schema_to_thrift (const WeftSchema *schema, weftSchema *out)
{
  for (guint i = 0; i < weft_schema_get_n_fields (schema); i++)
    {
      const WeftField *f = weft_schema_get_field (schema, i);
      weftField *w = g_object_new (WEFT_TYPE_FIELD, NULL);
      w->name = g_strdup (f->name);
      w->__isset_name = TRUE;
      w->type = (weftColumnType) f->type;
      w->__isset_type = TRUE;
      w->nullable = f->nullable;
      w->__isset_nullable = TRUE;
      g_ptr_array_add (out->fields, w);
    }
  out->__isset_fields = TRUE;
}

typedef struct {
  weftExprTree *tree;
  GHashTable *index; /* const WeftExpr * -> its node's index + 1 */
} ExprOut;

static gint32
expr_out_node (ExprOut *o, const WeftExpr *e)
{
  gpointer have = g_hash_table_lookup (o->index, e);
  if (have != NULL)
    return GPOINTER_TO_INT (have) - 1;
  guint n = weft_expr_get_n_children (e);
  g_autofree gint32 *kids = g_new (gint32, MAX (n, 1));
  for (guint i = 0; i < n; i++)
    kids[i] = expr_out_node (o, weft_expr_get_child (e, i));

  weftExprNode *w = g_object_new (WEFT_TYPE_EXPR_NODE, NULL);
  WeftExprKind kind = weft_expr_get_kind (e);
  WeftDataType type = weft_expr_get_type (e);
  w->kind = (weftExprKind) kind;
  w->__isset_kind = TRUE;
  w->type = (weftColumnType) type;
  w->__isset_type = TRUE;
  w->nullable = weft_expr_get_nullable (e);
  w->__isset_nullable = TRUE;
  switch (kind)
    {
    case WEFT_EXPR_COLUMN:
      w->column = weft_expr_get_column (e);
      w->__isset_column = TRUE;
      G_GNUC_FALLTHROUGH;
    case WEFT_EXPR_ALIAS:
      w->name = g_strdup (weft_expr_get_name (e) ? weft_expr_get_name (e) : "");
      w->__isset_name = TRUE;
      break;
    case WEFT_EXPR_LITERAL:
      {
        weftLiteral *lit = w->literal;
        lit->is_null = weft_expr_literal_is_null (e);
        lit->__isset_is_null = TRUE;
        if (!lit->is_null)
          switch (type)
            {
            case WEFT_DATA_TYPE_INT64:
              lit->int_value = weft_expr_literal_int64 (e);
              lit->__isset_int_value = TRUE;
              break;
            case WEFT_DATA_TYPE_DATE:
              lit->int_value = weft_expr_literal_date (e);
              lit->__isset_int_value = TRUE;
              break;
            case WEFT_DATA_TYPE_DOUBLE:
              lit->double_value = weft_expr_literal_double (e);
              lit->__isset_double_value = TRUE;
              break;
            case WEFT_DATA_TYPE_BOOL:
              lit->bool_value = weft_expr_literal_bool (e);
              lit->__isset_bool_value = TRUE;
              break;
            case WEFT_DATA_TYPE_STRING:
              {
                gsize len;
                const char *s = weft_expr_literal_string (e, &len);
                lit->string_value = g_byte_array_sized_new ((guint) len);
                g_byte_array_append (lit->string_value, (const guint8 *) s, (guint) len);
                lit->__isset_string_value = TRUE;
                break;
              }
            }
        w->__isset_literal = TRUE;
        break;
      }
    case WEFT_EXPR_CALL:
      {
        WeftExprOp op = weft_expr_get_op (e);
        /* A call to an unknown function exists only unresolved; the decoder refuses its name. */
        const char *name = op != WEFT_EXPR_OP_NONE ? weft_expr_op_name (op)
                                                   : weft_expr_get_name (e);
        w->func = g_strdup (name ? name : "");
        w->__isset_func = TRUE;
        break;
      }
    case WEFT_EXPR_CAST:
      w->implicit_cast = weft_expr_is_implicit_cast (e);
      w->__isset_implicit_cast = TRUE;
      break;
    }
  if (n > 0)
    {
      g_array_append_vals (w->children, kids, n);
      w->__isset_children = TRUE;
    }
  g_ptr_array_add (o->tree->nodes, w);
  gint32 index = (gint32) o->tree->nodes->len - 1;
  g_hash_table_insert (o->index, (gpointer) e, GINT_TO_POINTER (index + 1));
  return index;
}

/* Fills @tree (empty) with @e's nodes. */
static void
expr_fill (const WeftExpr *e, weftExprTree *tree)
{
  ExprOut o = { tree, g_hash_table_new (NULL, NULL) };
  expr_out_node (&o, e);
  tree->__isset_nodes = TRUE;
  g_hash_table_unref (o.index);
}

static weftExprTree *
expr_to_thrift (const WeftExpr *e)
{
  weftExprTree *tree = g_object_new (WEFT_TYPE_EXPR_TREE, NULL);
  expr_fill (e, tree);
  return tree;
}

static void
exprs_to_thrift (const GPtrArray *exprs, GPtrArray *out)
{
  for (guint i = 0; i < exprs->len; i++)
    g_ptr_array_add (out, expr_to_thrift (exprs->pdata[i]));
}

static void
csv_options_to_thrift (const WeftCsvOptions *o, weftCsvOptions *w)
{
  w->header = o->header;
  w->infer_schema = o->infer_schema;
  w->sep = (gint8) o->sep;
  w->quote = (gint8) o->quote;
  w->escape = (gint8) o->escape;
  w->comment = (gint8) o->comment;
  w->null_value = g_strdup (o->null_value ? o->null_value : "");
  w->multi_line = o->multi_line;
  w->date_format = g_strdup (o->date_format ? o->date_format : "");
  w->mode = (weftCsvMode) (o->mode + 1);
  if (o->corrupt_record_column)
    {
      w->corrupt_record_column = g_strdup (o->corrupt_record_column);
      w->__isset_corrupt_record_column = TRUE;
    }
  w->batch_rows = (gint64) o->batch_rows;
  w->split_bytes = o->split_bytes;
  w->read_bytes = (gint64) o->read_bytes;
  w->max_record_bytes = (gint64) o->max_record_bytes;
  w->parser = (weftCsvParser) (o->parser + 1);
  w->__isset_header = w->__isset_infer_schema = w->__isset_sep = w->__isset_quote = TRUE;
  w->__isset_escape = w->__isset_comment = w->__isset_null_value = w->__isset_multi_line = TRUE;
  w->__isset_date_format = w->__isset_mode = w->__isset_batch_rows = TRUE;
  w->__isset_split_bytes = w->__isset_read_bytes = w->__isset_max_record_bytes = TRUE;
  w->__isset_parser = TRUE;
}

static void
csv_write_options_to_thrift (const WeftCsvWriteOptions *o, weftCsvWriteOptions *w)
{
  w->header = o->header;
  w->sep = (gint8) o->sep;
  w->quote = (gint8) o->quote;
  w->escape = (gint8) o->escape;
  w->null_value = g_strdup (o->null_value ? o->null_value : "");
  w->empty_value = g_strdup (o->empty_value ? o->empty_value : "");
  w->quote_all = o->quote_all;
  w->escape_quotes = o->escape_quotes;
  w->ignore_leading_white_space = o->ignore_leading_white_space;
  w->ignore_trailing_white_space = o->ignore_trailing_white_space;
  w->date_format = g_strdup (o->date_format ? o->date_format : "");
  w->line_sep = g_strdup (o->line_sep ? o->line_sep : "");
  w->buffer_bytes = (gint64) o->buffer_bytes;
  w->__isset_header = w->__isset_sep = w->__isset_quote = w->__isset_escape = TRUE;
  w->__isset_null_value = w->__isset_empty_value = w->__isset_quote_all = TRUE;
  w->__isset_escape_quotes = w->__isset_ignore_leading_white_space = TRUE;
  w->__isset_ignore_trailing_white_space = w->__isset_date_format = TRUE;
  w->__isset_line_sep = w->__isset_buffer_bytes = TRUE;
}

static void
map_output_fill (const WeftMapOutput *out, weftMapOutput *w)
{
  w->shuffle_id = I32 (out->shuffle_id);
  w->map_id = I32 (out->map_id);
  w->port = I32 (out->port);
  w->__isset_shuffle_id = w->__isset_map_id = w->__isset_port = TRUE;
  if (out->executor_id)
    {
      w->executor_id = g_strdup (out->executor_id);
      w->__isset_executor_id = TRUE;
    }
  if (out->host)
    {
      w->host = g_strdup (out->host);
      w->__isset_host = TRUE;
    }
  if (out->data_path)
    {
      w->data_path = g_strdup (out->data_path);
      w->__isset_data_path = TRUE;
    }
  for (guint i = 0; i < out->n_sizes; i++)
    {
      gint64 size = (gint64) out->sizes[i];
      g_array_append_val (w->sizes, size);
    }
  w->__isset_sizes = TRUE;
}

weftMapOutput *
weft_map_output_to_thrift (const WeftMapOutput *out)
{
  g_return_val_if_fail (out != NULL, NULL);
  weftMapOutput *w = g_object_new (WEFT_TYPE_MAP_OUTPUT, NULL);
  map_output_fill (out, w);
  return w;
}

static void
node_info_fill (const WeftNodeInfo *info, weftNodeInfo *w)
{
  w->num_partitions = I32 (info->n_partitions);
  w->shuffle_id = info->shuffle_id;
  w->right_shuffle_id = info->right_shuffle_id;
  w->__isset_num_partitions = w->__isset_shuffle_id = w->__isset_right_shuffle_id = TRUE;
  if (info->splits)
    {
      for (guint i = 0; i < info->splits->len; i++)
        {
          const WeftCsvSplit *s = info->splits->pdata[i];
          weftFileSplit *ws = g_object_new (WEFT_TYPE_FILE_SPLIT, NULL);
          ws->path = g_strdup (s->path ? s->path : "");
          ws->start = s->start;
          ws->length = s->length;
          ws->__isset_path = ws->__isset_start = ws->__isset_length = TRUE;
          g_ptr_array_add (w->splits, ws);
        }
      w->__isset_splits = TRUE;
    }
}

/* A binary field holding @batch's encoding, or FALSE past Thrift's limit. */
static gboolean
batch_to_binary (const WeftBatch *batch, GByteArray **out, const char *what, GError **error)
{
  gsize size = weft_batch_get_encoded_size (batch);
  if (size > WEFT_TASK_RPC_MAX_BYTES)
    {
      g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_TOO_LARGE,
                   "%s of %zu rows take %" G_GSIZE_FORMAT " bytes encoded, more than a message "
                   "can carry (%" G_GSIZE_FORMAT ")", what, batch->n_rows, size,
                   WEFT_TASK_RPC_MAX_BYTES);
      return FALSE;
    }
  *out = g_byte_array_sized_new ((guint) size);
  weft_batch_encode (batch, *out);
  return TRUE;
}

typedef struct {
  const WeftTask *task;
  weftPlanFragment *frag;
  GHashTable *full;  /* WeftPlan * -> index + 1 of the operator sent for it */
  GHashTable *stubs; /* WeftPlan * -> index + 1 of the stub standing for it */
  GError **error;
} PlanOut;

static gint32 plan_out_node (PlanOut *o, const WeftPlan *p);

static gint32
add_operator (PlanOut *o, weftOperator *w, GHashTable *map, const WeftPlan *p)
{
  g_ptr_array_add (o->frag->operators, w);
  gint32 index = (gint32) o->frag->operators->len - 1;
  g_hash_table_insert (map, (gpointer) p, GINT_TO_POINTER (index + 1));
  return index;
}

static weftOperator *
operator_new (WeftPlanKind kind, const WeftSchema *schema)
{
  weftOperator *w = g_object_new (WEFT_TYPE_OPERATOR, NULL);
  w->kind = (weftOperatorKind) kind;
  w->__isset_kind = TRUE;
  w->__isset_children = TRUE;
  schema_to_thrift (schema, w->schema);
  w->__isset_schema = TRUE;
  return w;
}

/* The stub standing for @p, an input of an exchange read from its shuffle. */
static gint32
plan_out_stub (PlanOut *o, const WeftPlan *p)
{
  if (p->kind == WEFT_PLAN_STUB)
    return plan_out_node (o, p);
  gpointer have = g_hash_table_lookup (o->stubs, p);
  if (have != NULL)
    return GPOINTER_TO_INT (have) - 1;
  return add_operator (o, operator_new (WEFT_PLAN_STUB, p->schema), o->stubs, p);
}

static gint32
plan_out_node (PlanOut *o, const WeftPlan *p)
{
  gpointer have = g_hash_table_lookup (o->full, p);
  if (have != NULL)
    return GPOINTER_TO_INT (have) - 1;

  /* The cut rule (see weft-task-rpc.h). */
  gboolean cut = weft_plan_is_exchange (p);
  gboolean map_root = o->task->kind == WEFT_TASK_SHUFFLE_MAP && p == o->task->plan;
  gint32 kids[2];
  guint n_kids = 0;
  const WeftPlan *inputs[2] = { p->child, p->right };
  for (guint side = 0; side < 2; side++)
    if (inputs[side] != NULL)
      {
        gboolean full = !cut || (map_root && o->task->side == side);
        kids[n_kids] = full ? plan_out_node (o, inputs[side]) : plan_out_stub (o, inputs[side]);
        if (kids[n_kids++] < 0)
          return -1;
      }

  g_autoptr(weftOperator) w = operator_new (p->kind, p->schema);
  g_array_append_vals (w->children, kids, n_kids);
  switch (p->kind)
    {
    case WEFT_PLAN_CSV_SCAN:
      {
        weftCsvScan *s = w->csv_scan;
        for (guint i = 0; p->files && p->files[i]; i++)
          g_ptr_array_add (s->files, g_strdup (p->files[i]));
        csv_options_to_thrift (p->csv, s->options);
        schema_to_thrift (p->file_schema, s->file_schema);
        for (guint i = 0; i < p->n_projection; i++)
          {
            gint32 c = I32 (p->projection[i]);
            g_array_append_val (s->projection, c);
          }
        if (p->pushed)
          {
            expr_fill (p->pushed, s->pushed);
            s->__isset_pushed = TRUE;
          }
        s->__isset_files = s->__isset_options = s->__isset_file_schema = TRUE;
        s->__isset_projection = TRUE;
        w->__isset_csv_scan = TRUE;
        break;
      }
    case WEFT_PLAN_ROWS:
      if (!batch_to_binary (p->rows, &w->rows, "the rows of a LocalRelation", o->error))
        return -1;
      w->__isset_rows = TRUE;
      G_GNUC_FALLTHROUGH;
    case WEFT_PLAN_COALESCE:
    case WEFT_PLAN_REPARTITION:
      w->partitioning->num_partitions = I32 (p->n_partitions);
      w->partitioning->__isset_num_partitions = TRUE;
      if (p->kind == WEFT_PLAN_REPARTITION && p->exprs)
        {
          exprs_to_thrift (p->exprs, w->partitioning->keys);
          w->partitioning->__isset_keys = TRUE;
        }
      w->__isset_partitioning = TRUE;
      break;
    case WEFT_PLAN_FILTER:
      expr_fill (p->predicate, w->predicate);
      w->__isset_predicate = TRUE;
      break;
    case WEFT_PLAN_AGGREGATE:
      for (guint i = 0; i < p->aggs->len; i++)
        {
          const WeftPlanAgg *a = p->aggs->pdata[i];
          weftAggregate *wa = g_object_new (WEFT_TYPE_AGGREGATE, NULL);
          wa->func = (weftAggFunction) (a->func + 1);
          wa->name = g_strdup (a->name ? a->name : "");
          wa->__isset_func = wa->__isset_name = TRUE;
          if (a->input)
            {
              expr_fill (a->input, wa->input);
              wa->__isset_input = TRUE;
            }
          g_ptr_array_add (w->aggregates, wa);
        }
      w->__isset_aggregates = TRUE;
      G_GNUC_FALLTHROUGH; /* to the keys */
    case WEFT_PLAN_PROJECT:
      exprs_to_thrift (p->exprs, w->exprs);
      w->__isset_exprs = TRUE;
      break;
    case WEFT_PLAN_SORT:
      for (guint i = 0; i < p->sort_keys->len; i++)
        {
          const WeftPlanSortKey *k = &g_array_index (p->sort_keys, WeftPlanSortKey, i);
          weftSortKey *wk = g_object_new (WEFT_TYPE_SORT_KEY, NULL);
          expr_fill (k->expr, wk->expr);
          wk->descending = k->descending;
          wk->nulls_first = k->nulls_first;
          wk->__isset_expr = wk->__isset_descending = wk->__isset_nulls_first = TRUE;
          g_ptr_array_add (w->sort_keys, wk);
        }
      w->__isset_sort_keys = TRUE;
      break;
    case WEFT_PLAN_LIMIT:
      w->limit = p->limit;
      w->__isset_limit = TRUE;
      break;
    case WEFT_PLAN_JOIN:
      {
        weftJoin *j = w->join;
        j->type = (weftJoinType) (p->join_type + 1);
        exprs_to_thrift (p->exprs, j->left_keys);
        exprs_to_thrift (p->right_exprs, j->right_keys);
        for (guint i = 0; i < p->join_out->len; i++)
          {
            const WeftPlanJoinOut *jo = &g_array_index (p->join_out, WeftPlanJoinOut, i);
            weftJoinOut *wo = g_object_new (WEFT_TYPE_JOIN_OUT, NULL);
            wo->source = (weftJoinOutSource) (jo->from + 1);
            wo->index = I32 (jo->index);
            wo->__isset_source = wo->__isset_index = TRUE;
            g_ptr_array_add (j->out, wo);
          }
        j->using_keys = p->using_keys;
        j->__isset_type = j->__isset_left_keys = j->__isset_right_keys = TRUE;
        j->__isset_out = j->__isset_using_keys = TRUE;
        w->__isset_join = TRUE;
        break;
      }
    case WEFT_PLAN_UNION:
    case WEFT_PLAN_STUB:
      break;
    }
  const WeftNodeInfo *info = weft_task_get_info (o->task, p);
  if (info)
    {
      node_info_fill (info, w->info);
      w->__isset_info = TRUE;
    }
  return add_operator (o, g_steal_pointer (&w), o->full, p);
}

weftTaskDescription *
weft_task_to_thrift (const WeftTask *task, GError **error)
{
  g_return_val_if_fail (task != NULL && task->plan != NULL, NULL);
  g_autoptr(weftTaskDescription) d = g_object_new (WEFT_TYPE_TASK_DESCRIPTION, NULL);
  d->task_id = (gint64) task->task_id;
  d->job_id = I32 (task->job_id);
  d->stage_id = I32 (task->stage_id);
  d->stage_attempt = I32 (task->stage_attempt);
  d->partition = I32 (task->partition);
  d->attempt = I32 (task->attempt);
  d->epoch = task->epoch;
  d->kind = (weftTaskKind) task->kind;
  d->side = I32 (task->side);
  d->memory = (gint64) task->memory;
  d->__isset_task_id = d->__isset_job_id = d->__isset_stage_id = TRUE;
  d->__isset_stage_attempt = d->__isset_partition = d->__isset_attempt = TRUE;
  d->__isset_epoch = d->__isset_kind = d->__isset_side = d->__isset_memory = TRUE;

  PlanOut o = { task, d->plan, g_hash_table_new (NULL, NULL), g_hash_table_new (NULL, NULL),
                error };
  gint32 root = plan_out_node (&o, task->plan);
  g_hash_table_unref (o.full);
  g_hash_table_unref (o.stubs);
  if (root < 0)
    return NULL;
  d->plan->__isset_operators = TRUE;
  d->__isset_plan = TRUE;

  for (guint i = 0; i < task->inputs->len; i++)
    g_ptr_array_add (d->inputs, weft_map_output_to_thrift (task->inputs->pdata[i]));
  d->__isset_inputs = TRUE;
  if (task->write_path)
    {
      d->write_path = g_strdup (task->write_path);
      d->__isset_write_path = TRUE;
    }
  if (task->write_options)
    {
      csv_write_options_to_thrift (task->write_options, d->write_options);
      d->__isset_write_options = TRUE;
    }
  return g_steal_pointer (&d);
}

weftTaskStatus *
weft_task_outcome_to_thrift (const WeftTaskOutcome *o, GError **error)
{
  g_return_val_if_fail (o != NULL, NULL);
  g_autoptr(weftTaskStatus) s = g_object_new (WEFT_TYPE_TASK_STATUS, NULL);
  s->task_id = (gint64) o->task_id;
  s->state = (weftTaskState) o->state;
  s->__isset_task_id = s->__isset_state = TRUE;
  if (o->executor_id)
    {
      s->executor_id = g_strdup (o->executor_id);
      s->__isset_executor_id = TRUE;
    }
  if (o->message)
    {
      s->message = g_strdup (o->message);
      s->__isset_message = TRUE;
    }
  if (o->batches)
    {
      for (guint i = 0; i < o->batches->len; i++)
        {
          GByteArray *b;
          g_autofree char *what = g_strdup_printf ("result batch %u", i);
          if (!batch_to_binary (o->batches->pdata[i], &b, what, error))
            return NULL;
          g_ptr_array_add (s->batches, b);
        }
      s->__isset_batches = TRUE;
    }
  if (o->map_output)
    {
      map_output_fill (o->map_output, s->map_output);
      s->__isset_map_output = TRUE;
    }
  if (o->types)
    {
      for (guint i = 0; i < o->n_types; i++)
        {
          weftColumnType t = (weftColumnType) o->types[i];
          g_array_append_val (s->types, t);
        }
      s->__isset_types = TRUE;
    }
  s->fetch_shuffle_id = I32 (o->fetch_shuffle_id);
  s->fetch_map_id = I32 (o->fetch_map_id);
  s->__isset_fetch_shuffle_id = s->__isset_fetch_map_id = TRUE;
  if (o->fetch_executor_id)
    {
      s->fetch_executor_id = g_strdup (o->fetch_executor_id);
      s->__isset_fetch_executor_id = TRUE;
    }
  weftTaskMetrics *m = s->metrics;
  m->run_ms = (gint64) o->metrics.run_ms;
  m->records_read = (gint64) o->metrics.records_read;
  m->records_written = (gint64) o->metrics.records_written;
  m->shuffle_bytes_read = (gint64) o->metrics.shuffle_bytes_read;
  m->shuffle_bytes_written = (gint64) o->metrics.shuffle_bytes_written;
  m->spill_bytes = (gint64) o->metrics.spill_bytes;
  m->__isset_run_ms = m->__isset_records_read = m->__isset_records_written = TRUE;
  m->__isset_shuffle_bytes_read = m->__isset_shuffle_bytes_written = TRUE;
  m->__isset_spill_bytes = TRUE;
  s->__isset_metrics = TRUE;
  return g_steal_pointer (&s);
}

GBytes *
weft_task_encode (const WeftTask *task, GError **error)
{
  g_autoptr(weftTaskDescription) d = weft_task_to_thrift (task, error);
  if (d == NULL)
    return NULL;
  return write_message (THRIFT_STRUCT (d), TASK_MESSAGE, error);
}

GBytes *
weft_task_outcome_encode (const WeftTaskOutcome *outcome, GError **error)
{
  g_autoptr(weftTaskStatus) s = weft_task_outcome_to_thrift (outcome, error);
  if (s == NULL)
    return NULL;
  return write_message (THRIFT_STRUCT (s), STATUS_MESSAGE, error);
}

/* ==== Decoding ================================================================================ */

static gboolean
valid_type (gint32 type)
{
  return WEFT_DATA_TYPE_IS_VALID (type);
}

static WeftSchema *
schema_from_thrift (const weftSchema *w, GError **error)
{
  g_autoptr(WeftSchema) s = weft_schema_new ();
  for (guint i = 0; i < w->fields->len; i++)
    {
      const weftField *f = w->fields->pdata[i];
      if (f->name == NULL)
        {
          malformed (error, "column %u has no name", i);
          return NULL;
        }
      if (!valid_type (f->type))
        {
          malformed (error, "column %u (%s) has no valid type (%d)", i, f->name, (int) f->type);
          return NULL;
        }
      weft_schema_add_field (s, f->name, (WeftDataType) f->type, f->nullable);
    }
  return g_steal_pointer (&s);
}

static WeftExprOp
op_from_wire (const char *name)
{
  for (guint op = WEFT_EXPR_OP_NONE + 1; op < WEFT_EXPR_N_OPS; op++)
    if (strcmp (weft_expr_op_name ((WeftExprOp) op), name) == 0)
      return (WeftExprOp) op;
  return WEFT_EXPR_OP_NONE;
}

static WeftExpr *
literal_from_thrift (const weftExprNode *w, GError **error)
{
  const weftLiteral *lit = w->literal;
  WeftDataType type = (WeftDataType) w->type;
  if (!w->__isset_literal)
    {
      malformed (error, "a literal without a value");
      return NULL;
    }
  if (lit->is_null)
    return expr_wire_null (type);
  gboolean have = type == WEFT_DATA_TYPE_INT64 || type == WEFT_DATA_TYPE_DATE
                    ? lit->__isset_int_value
                  : type == WEFT_DATA_TYPE_DOUBLE ? lit->__isset_double_value
                  : type == WEFT_DATA_TYPE_BOOL ? lit->__isset_bool_value
                  : lit->__isset_string_value && lit->string_value != NULL;
  if (!have)
    {
      malformed (error, "a %s literal without its value", weft_data_type_name (type));
      return NULL;
    }
  switch (type)
    {
    case WEFT_DATA_TYPE_INT64:
      return weft_expr_lit_int64 (lit->int_value);
    case WEFT_DATA_TYPE_DATE:
      if (lit->int_value < G_MININT32 || lit->int_value > G_MAXINT32)
        {
          malformed (error, "date literal %" G_GINT64_FORMAT " is out of range", lit->int_value);
          return NULL;
        }
      return weft_expr_lit_date ((gint32) lit->int_value);
    case WEFT_DATA_TYPE_DOUBLE:
      return weft_expr_lit_double (lit->double_value);
    case WEFT_DATA_TYPE_BOOL:
      return weft_expr_lit_bool (lit->bool_value);
    case WEFT_DATA_TYPE_STRING:
      {
        const GByteArray *b = lit->string_value;
        return weft_expr_lit_string_len (b->len ? (const char *) b->data : "", b->len);
      }
    }
  g_return_val_if_reached (NULL);
}

static const char *const expr_kind_names[] = {
  [WEFT_EXPR_COLUMN] = "column", [WEFT_EXPR_LITERAL] = "literal", [WEFT_EXPR_CALL] = "call",
  [WEFT_EXPR_CAST] = "cast", [WEFT_EXPR_ALIAS] = "alias",
};

/* Node @i of an expression over @input; @built holds the nodes before it, @depth and @size
 * their depths and their node counts with shared subtrees counted at each use. */
static WeftExpr *
expr_node_from_thrift (const weftExprNode *w, guint i, GPtrArray *built, guint *depth,
                       guint64 *size, const WeftSchema *input, GError **error)
{
  if ((gint) w->kind < WEFT_EXPR_COLUMN || (gint) w->kind > WEFT_EXPR_ALIAS)
    {
      malformed (error, "unknown kind %d", (int) w->kind);
      return NULL;
    }
  WeftExprKind kind = (WeftExprKind) w->kind;
  guint n_kids = w->children->len;
  const gint32 *kids = (const gint32 *) (gpointer) w->children->data;
  guint min = kind == WEFT_EXPR_COLUMN || kind == WEFT_EXPR_LITERAL ? 0 : 1;
  guint max = kind == WEFT_EXPR_CALL ? G_MAXUINT : min;
  if (n_kids < min || n_kids > max)
    {
      malformed (error, "a %s with %u children", expr_kind_names[kind], n_kids);
      return NULL;
    }
  guint d = 1;
  guint64 n = 1;
  for (guint k = 0; k < n_kids; k++)
    {
      if (kids[k] < 0 || (guint) kids[k] >= i)
        {
          malformed (error, "child %d is not an earlier node", kids[k]);
          return NULL;
        }
      d = MAX (d, depth[kids[k]] + 1);
      n += size[kids[k]];
    }
  if (d > WEFT_TASK_RPC_MAX_EXPR_DEPTH)
    {
      malformed (error, "the expression is deeper than %u levels", WEFT_TASK_RPC_MAX_EXPR_DEPTH);
      return NULL;
    }
  if (n > WEFT_TASK_RPC_MAX_TREE_NODES)
    {
      malformed (error, "the expression is larger than %u nodes (a shared subtree counts at each "
                 "use)", WEFT_TASK_RPC_MAX_TREE_NODES);
      return NULL;
    }
  depth[i] = d;
  size[i] = n;
  if (!valid_type (w->type))
    {
      malformed (error, "a %s of no valid type (%d): a resolved expression types every node",
                 expr_kind_names[kind], (int) w->type);
      return NULL;
    }
  WeftDataType type = (WeftDataType) w->type;
  WeftExpr *kid = n_kids > 0 ? weft_expr_ref (built->pdata[kids[0]]) : NULL;
  WeftExpr *e = NULL;
  switch (kind)
    {
    case WEFT_EXPR_COLUMN:
      {
        guint n_fields = weft_schema_get_n_fields (input);
        if (!w->__isset_column || w->column < 0 || (guint) w->column >= n_fields)
          {
            malformed (error, "column %d of an input of %u columns",
                       w->__isset_column ? w->column : -1, n_fields);
            return NULL;
          }
        const WeftField *f = weft_schema_get_field (input, (guint) w->column);
        if (f->type != type)
          {
            malformed (error, "reads column %d (%s, %s) as %s", w->column, f->name,
                       weft_data_type_name (f->type), weft_data_type_name (type));
            return NULL;
          }
        if (w->name == NULL)
          {
            malformed (error, "column %d without a name", w->column);
            return NULL;
          }
        e = expr_wire_column ((guint) w->column, w->name, type, w->nullable);
        break;
      }
    case WEFT_EXPR_LITERAL:
      e = literal_from_thrift (w, error);
      break;
    case WEFT_EXPR_CALL:
      {
        WeftExprOp op = w->func ? op_from_wire (w->func) : WEFT_EXPR_OP_NONE;
        if (op == WEFT_EXPR_OP_NONE)
          {
            g_clear_pointer (&kid, weft_expr_unref);
            malformed (error, "unknown function \"%s\"", w->func ? w->func : "");
            return NULL;
          }
        g_autofree WeftExpr **args = g_new (WeftExpr *, n_kids);
        args[0] = g_steal_pointer (&kid);
        for (guint k = 1; k < n_kids; k++)
          args[k] = weft_expr_ref (built->pdata[kids[k]]);
        e = expr_wire_call (op, args, n_kids, w->nullable, error);
        break;
      }
    case WEFT_EXPR_CAST:
      e = expr_wire_cast (g_steal_pointer (&kid), type, w->implicit_cast, w->nullable, error);
      break;
    case WEFT_EXPR_ALIAS:
      e = expr_wire_alias (g_steal_pointer (&kid), w->name, w->nullable, error);
      break;
    }
  if (e != NULL && weft_expr_get_type (e) != type)
    {
      malformed (error, "a %s of type %s sent as %s", expr_kind_names[kind],
                 weft_data_type_name (weft_expr_get_type (e)), weft_data_type_name (type));
      g_clear_pointer (&e, weft_expr_unref);
    }
  return e;
}

/* A resolved expression over @input, as the driver resolved it. */
static WeftExpr *
expr_from_thrift (const weftExprTree *tree, const WeftSchema *input, GError **error)
{
  guint n = tree->nodes->len;
  if (n == 0)
    {
      malformed (error, "an empty expression");
      return NULL;
    }
  g_autoptr(GPtrArray) built = g_ptr_array_new_full (n, (GDestroyNotify) weft_expr_unref);
  g_autofree guint *depth = g_new (guint, n);
  g_autofree guint64 *size = g_new (guint64, n);
  for (guint i = 0; i < n; i++)
    {
      WeftExpr *e = expr_node_from_thrift (tree->nodes->pdata[i], i, built, depth, size, input,
                                           error);
      if (e == NULL)
        {
          g_prefix_error (error, "node %u: ", i);
          return NULL;
        }
      g_ptr_array_add (built, e);
    }
  /* Every node is part of the tree: children come before parents, so one backward pass marks
   * all that the root reaches. */
  g_autofree gboolean *used = g_new0 (gboolean, n);
  used[n - 1] = TRUE;
  for (guint i = n; i-- > 0;)
    {
      const weftExprNode *w = tree->nodes->pdata[i];
      if (!used[i])
        {
          malformed (error, "node %u is not part of the expression", i);
          return NULL;
        }
      for (guint k = 0; k < w->children->len; k++)
        used[g_array_index (w->children, gint32, k)] = TRUE;
    }
  return weft_expr_ref (built->pdata[n - 1]);
}

static GPtrArray *
exprs_from_thrift (const GPtrArray *trees, const WeftSchema *input, const char *what,
                   GError **error)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_full (trees->len, (GDestroyNotify) weft_expr_unref);
  for (guint i = 0; i < trees->len; i++)
    {
      WeftExpr *e = expr_from_thrift (trees->pdata[i], input, error);
      if (e == NULL)
        {
          g_prefix_error (error, "%s %u: ", what, i);
          return NULL;
        }
      g_ptr_array_add (out, e);
    }
  return g_steal_pointer (&out);
}

static WeftCsvOptions *
csv_options_from_thrift (const weftCsvOptions *w, GError **error)
{
  g_autoptr(WeftCsvOptions) o = weft_csv_options_new ();
  GError *local = NULL;
  if (w->null_value == NULL || w->date_format == NULL)
    {
      malformed (error, "nullValue or dateFormat missing");
      return NULL;
    }
  if (w->mode < 1 || w->mode > WEFT_CSV_MODE_FAILFAST + 1 || w->parser < 1
      || w->parser > WEFT_CSV_PARSER_LIBCSV + 1)
    {
      malformed (error, "unknown mode (%d) or parser (%d)", (int) w->mode, (int) w->parser);
      return NULL;
    }
  if (w->batch_rows < 1 || w->batch_rows > MAX_BATCH_ROWS || w->split_bytes < 1
      || w->read_bytes < 1 || w->read_bytes > MAX_BUFFER_BYTES || w->max_record_bytes < 1
      || w->max_record_bytes > G_MAXINT32)
    {
      malformed (error, "sizes out of range (batch rows %" G_GINT64_FORMAT ", split %"
                 G_GINT64_FORMAT ", read %" G_GINT64_FORMAT ", record %" G_GINT64_FORMAT ")",
                 w->batch_rows, w->split_bytes, w->read_bytes, w->max_record_bytes);
      return NULL;
    }
  o->header = w->header;
  o->infer_schema = w->infer_schema;
  o->sep = (char) w->sep;
  o->quote = (char) w->quote;
  o->escape = (char) w->escape;
  o->comment = (char) w->comment;
  g_free (o->null_value);
  o->null_value = g_strdup (w->null_value);
  o->multi_line = w->multi_line;
  g_free (o->date_format);
  o->date_format = g_strdup (w->date_format);
  o->mode = (WeftCsvMode) (w->mode - 1);
  g_free (o->corrupt_record_column);
  o->corrupt_record_column = w->__isset_corrupt_record_column ? g_strdup (w->corrupt_record_column)
                                                              : NULL;
  o->batch_rows = (gsize) w->batch_rows;
  o->split_bytes = w->split_bytes;
  o->read_bytes = (gsize) w->read_bytes;
  o->max_record_bytes = (gsize) w->max_record_bytes;
  o->parser = (WeftCsvParser) (w->parser - 1);
  if (!weft_date_format_init (&o->date_parser, o->date_format, &local)
      || !weft_csv_options_validate (o, &local))
    {
      malformed (error, "%s", local->message);
      g_error_free (local);
      return NULL;
    }
  return g_steal_pointer (&o);
}

static WeftCsvWriteOptions *
csv_write_options_from_thrift (const weftCsvWriteOptions *w, GError **error)
{
  g_autoptr(WeftCsvWriteOptions) o = weft_csv_write_options_new ();
  GError *local = NULL;
  if (w->null_value == NULL || w->empty_value == NULL || w->date_format == NULL
      || w->line_sep == NULL)
    {
      malformed (error, "nullValue, emptyValue, dateFormat or lineSep missing");
      return NULL;
    }
  if (strcmp (w->line_sep, "\n") != 0 && strcmp (w->line_sep, "\r") != 0
      && strcmp (w->line_sep, "\r\n") != 0)
    {
      malformed (error, "lineSep is not \\n, \\r or \\r\\n");
      return NULL;
    }
  if (w->buffer_bytes < 1 || w->buffer_bytes > MAX_BUFFER_BYTES)
    {
      malformed (error, "buffer size %" G_GINT64_FORMAT " out of range", w->buffer_bytes);
      return NULL;
    }
  o->header = w->header;
  o->sep = (char) w->sep;
  o->quote = (char) w->quote;
  o->escape = (char) w->escape;
  g_free (o->null_value);
  o->null_value = g_strdup (w->null_value);
  g_free (o->empty_value);
  o->empty_value = g_strdup (w->empty_value);
  o->quote_all = w->quote_all;
  o->escape_quotes = w->escape_quotes;
  o->ignore_leading_white_space = w->ignore_leading_white_space;
  o->ignore_trailing_white_space = w->ignore_trailing_white_space;
  g_free (o->date_format);
  o->date_format = g_strdup (w->date_format);
  g_free (o->line_sep);
  o->line_sep = g_strdup (w->line_sep);
  o->buffer_bytes = (gsize) w->buffer_bytes;
  if (!weft_date_printer_init (&o->date_printer, o->date_format, &local)
      || !weft_csv_write_options_validate (o, &local))
    {
      malformed (error, "%s", local->message);
      g_error_free (local);
      return NULL;
    }
  return g_steal_pointer (&o);
}

WeftMapOutput *
weft_map_output_from_thrift (const weftMapOutput *w, GError **error)
{
  g_return_val_if_fail (w != NULL, NULL);
  g_autoptr(WeftMapOutput) out = g_new0 (WeftMapOutput, 1);
  out->shuffle_id = (guint32) w->shuffle_id;
  out->map_id = (guint32) w->map_id;
  out->port = (guint32) w->port;
  out->executor_id = w->__isset_executor_id ? g_strdup (w->executor_id) : NULL;
  out->host = w->__isset_host ? g_strdup (w->host) : NULL;
  out->data_path = w->__isset_data_path ? g_strdup (w->data_path) : NULL;
  out->n_sizes = w->sizes->len;
  out->sizes = g_new (guint64, MAX (out->n_sizes, 1));
  for (guint i = 0; i < out->n_sizes; i++)
    {
      gint64 size = g_array_index (w->sizes, gint64, i);
      if (size < 0)
        {
          malformed (error, "map output %u of shuffle %u: reduce partition %u has %"
                     G_GINT64_FORMAT " bytes", out->map_id, out->shuffle_id, i, size);
          return NULL;
        }
      out->sizes[i] = (guint64) size;
    }
  return g_steal_pointer (&out);
}

static WeftNodeInfo *
node_info_from_thrift (const weftNodeInfo *w, WeftPlanKind kind, GError **error)
{
  if (w->num_partitions < 0 || (guint) w->num_partitions > WEFT_TASK_RPC_MAX_PARTITIONS
      || w->shuffle_id < -1 || w->right_shuffle_id < -1)
    {
      malformed (error, "info: %d partitions, shuffles %d and %d", w->num_partitions,
                 w->shuffle_id, w->right_shuffle_id);
      return NULL;
    }
  WeftNodeInfo *info = weft_node_info_new ((guint) w->num_partitions);
  info->shuffle_id = w->shuffle_id;
  info->right_shuffle_id = w->right_shuffle_id;
  if (w->__isset_splits)
    {
      if (kind != WEFT_PLAN_CSV_SCAN)
        {
          weft_node_info_free (info);
          malformed (error, "info: file splits for an operator that is not a CSV scan");
          return NULL;
        }
      info->splits = g_ptr_array_new_full (w->splits->len, (GDestroyNotify) weft_csv_split_free);
      for (guint i = 0; i < w->splits->len; i++)
        {
          const weftFileSplit *s = w->splits->pdata[i];
          if (s->path == NULL || s->start < 0 || s->length < 0 || s->start > G_MAXINT64 - s->length)
            {
              weft_node_info_free (info);
              malformed (error, "info: split %u is not a byte range of a file", i);
              return NULL;
            }
          g_ptr_array_add (info->splits, weft_csv_split_new (s->path, s->start, s->length));
        }
    }
  return info;
}

/* Operator fields, for the check that an operator has its kind's and no other. */
enum {
  HAS_CSV_SCAN = 1 << 0, HAS_ROWS = 1 << 1, HAS_PARTITIONING = 1 << 2, HAS_PREDICATE = 1 << 3,
  HAS_EXPRS = 1 << 4, HAS_AGGREGATES = 1 << 5, HAS_SORT_KEYS = 1 << 6, HAS_LIMIT = 1 << 7,
  HAS_JOIN = 1 << 8,
};

static const char *const field_names[] = {
  "csv_scan", "rows", "partitioning", "predicate", "exprs", "aggregates", "sort_keys", "limit",
  "join",
};

static const struct {
  const char *name;
  guint inputs;
  guint fields;
} kinds[] = {
  [WEFT_PLAN_CSV_SCAN] = { "CsvScan", 0, HAS_CSV_SCAN },
  [WEFT_PLAN_ROWS] = { "LocalRelation", 0, HAS_ROWS | HAS_PARTITIONING },
  [WEFT_PLAN_FILTER] = { "Filter", 1, HAS_PREDICATE },
  [WEFT_PLAN_PROJECT] = { "Project", 1, HAS_EXPRS },
  [WEFT_PLAN_AGGREGATE] = { "Aggregate", 1, HAS_EXPRS | HAS_AGGREGATES },
  [WEFT_PLAN_SORT] = { "Sort", 1, HAS_SORT_KEYS },
  [WEFT_PLAN_LIMIT] = { "Limit", 1, HAS_LIMIT },
  [WEFT_PLAN_COALESCE] = { "Coalesce", 1, HAS_PARTITIONING },
  [WEFT_PLAN_REPARTITION] = { "Repartition", 1, HAS_PARTITIONING },
  [WEFT_PLAN_JOIN] = { "Join", 2, HAS_JOIN },
  [WEFT_PLAN_UNION] = { "Union", 2, 0 },
  [WEFT_PLAN_STUB] = { "ShuffleInput", 0, 0 },
};

static guint
operator_fields (const weftOperator *w)
{
  return (w->__isset_csv_scan ? HAS_CSV_SCAN : 0) | (w->__isset_rows ? HAS_ROWS : 0)
         | (w->__isset_partitioning ? HAS_PARTITIONING : 0)
         | (w->__isset_predicate ? HAS_PREDICATE : 0) | (w->__isset_exprs ? HAS_EXPRS : 0)
         | (w->__isset_aggregates ? HAS_AGGREGATES : 0)
         | (w->__isset_sort_keys ? HAS_SORT_KEYS : 0) | (w->__isset_limit ? HAS_LIMIT : 0)
         | (w->__isset_join ? HAS_JOIN : 0);
}

static guint
partitions_from_thrift (const weftPartitioning *w, GError **error)
{
  if (w->num_partitions < 1 || (guint) w->num_partitions > WEFT_TASK_RPC_MAX_PARTITIONS)
    {
      malformed (error, "%d partitions", w->num_partitions);
      return 0;
    }
  return (guint) w->num_partitions;
}

/* Fills the fields of @p's kind from @w; @p's inputs are set. */
static gboolean
operator_fill (WeftPlan *p, const weftOperator *w, GError **error)
{
  const WeftSchema *in = p->child ? p->child->schema : NULL;
  switch (p->kind)
    {
    case WEFT_PLAN_CSV_SCAN:
      {
        const weftCsvScan *s = w->csv_scan;
        if (!s->__isset_file_schema)
          return malformed (error, "no file schema");
        p->file_schema = schema_from_thrift (s->file_schema, error);
        if (p->file_schema == NULL)
          return FALSE;
        p->files = g_new0 (char *, s->files->len + 1);
        for (guint i = 0; i < s->files->len; i++)
          p->files[i] = g_strdup (s->files->pdata[i] ? s->files->pdata[i] : "");
        p->csv = csv_options_from_thrift (s->options, error);
        if (p->csv == NULL)
          return FALSE;
        guint n_file = weft_schema_get_n_fields (p->file_schema);
        p->n_projection = s->projection->len;
        p->projection = g_new (guint, MAX (p->n_projection, 1));
        for (guint i = 0; i < p->n_projection; i++)
          {
            gint32 c = g_array_index (s->projection, gint32, i);
            if (c < 0 || (guint) c >= n_file)
              return malformed (error, "projects column %d of %u", c, n_file);
            p->projection[i] = (guint) c;
          }
        if (s->__isset_pushed)
          {
            p->pushed = expr_from_thrift (s->pushed, p->file_schema, error);
            if (p->pushed == NULL)
              {
                g_prefix_error (error, "pushed filter: ");
                return FALSE;
              }
          }
        return TRUE;
      }
    case WEFT_PLAN_ROWS:
      {
        const GByteArray *b = w->rows;
        gsize consumed = 0;
        if (b == NULL)
          return malformed (error, "no rows");
        p->rows = weft_batch_decode (b->len ? b->data : (const guint8 *) "", b->len, &consumed,
                                     error);
        if (p->rows == NULL)
          {
            g_prefix_error (error, "rows: ");
            return FALSE;
          }
        if (consumed != b->len)
          return malformed (error, "%u bytes after the rows", b->len - (guint) consumed);
        p->n_partitions = partitions_from_thrift (w->partitioning, error);
        return p->n_partitions > 0;
      }
    case WEFT_PLAN_FILTER:
      p->predicate = expr_from_thrift (w->predicate, in, error);
      if (p->predicate == NULL)
        g_prefix_error (error, "condition: ");
      return p->predicate != NULL;
    case WEFT_PLAN_AGGREGATE:
      for (guint i = 0; i < w->aggregates->len; i++)
        {
          const weftAggregate *a = w->aggregates->pdata[i];
          WeftExpr *input = NULL;
          if (a->func < 1 || a->func > WEFT_AGG_MAX + 1 || a->name == NULL)
            return malformed (error, "aggregate %u: unknown function (%d) or no name", i,
                              (int) a->func);
          if (a->__isset_input)
            {
              input = expr_from_thrift (a->input, in, error);
              if (input == NULL)
                {
                  g_prefix_error (error, "aggregate %u (%s): ", i, a->name);
                  return FALSE;
                }
            }
          weft_plan_add_agg (p, (WeftAggFunc) (a->func - 1), input, a->name);
        }
      if (p->aggs == NULL)
        p->aggs = g_ptr_array_new (); /* none: distinct(); weft_plan_unref() frees it */
      G_GNUC_FALLTHROUGH; /* to the keys */
    case WEFT_PLAN_PROJECT:
      p->exprs = exprs_from_thrift (w->exprs, in,
                                    p->kind == WEFT_PLAN_PROJECT ? "expression" : "key", error);
      return p->exprs != NULL;
    case WEFT_PLAN_SORT:
      p->sort_keys = g_array_sized_new (FALSE, FALSE, sizeof (WeftPlanSortKey), w->sort_keys->len);
      for (guint i = 0; i < w->sort_keys->len; i++)
        {
          const weftSortKey *k = w->sort_keys->pdata[i];
          WeftPlanSortKey key = { NULL, k->descending, k->nulls_first };
          key.expr = expr_from_thrift (k->expr, in, error);
          if (key.expr == NULL)
            {
              g_prefix_error (error, "sort key %u: ", i);
              return FALSE;
            }
          g_array_append_val (p->sort_keys, key);
        }
      return TRUE;
    case WEFT_PLAN_LIMIT:
      p->limit = w->limit;
      return TRUE;
    case WEFT_PLAN_COALESCE:
    case WEFT_PLAN_REPARTITION:
      p->n_partitions = partitions_from_thrift (w->partitioning, error);
      if (p->n_partitions == 0)
        return FALSE;
      if (w->partitioning->__isset_keys)
        {
          if (p->kind == WEFT_PLAN_COALESCE)
            return malformed (error, "keys on a coalesce");
          p->exprs = exprs_from_thrift (w->partitioning->keys, in, "key", error);
          return p->exprs != NULL;
        }
      return TRUE;
    case WEFT_PLAN_JOIN:
      {
        const weftJoin *j = w->join;
        if (j->type < 1 || j->type > WEFT_JOIN_LEFT_ANTI + 1)
          return malformed (error, "unknown join type %d", (int) j->type);
        p->join_type = (WeftJoinType) (j->type - 1);
        p->using_keys = j->using_keys;
        p->exprs = exprs_from_thrift (j->left_keys, p->child->schema, "left key", error);
        if (p->exprs == NULL)
          return FALSE;
        p->right_exprs = exprs_from_thrift (j->right_keys, p->right->schema, "right key", error);
        if (p->right_exprs == NULL)
          return FALSE;
        p->join_out = g_array_sized_new (FALSE, FALSE, sizeof (WeftPlanJoinOut), j->out->len);
        for (guint i = 0; i < j->out->len; i++)
          {
            const weftJoinOut *o = j->out->pdata[i];
            if (o->source < 1 || o->source > WEFT_PLAN_JOIN_OUT_KEY + 1 || o->index < 0)
              return malformed (error, "output column %u: source %d, index %d", i,
                                (int) o->source, o->index);
            WeftPlanJoinOut jo = { (WeftPlanJoinOutKind) (o->source - 1), (guint) o->index };
            g_array_append_val (p->join_out, jo);
          }
        return TRUE;
      }
    case WEFT_PLAN_UNION:
    case WEFT_PLAN_STUB:
      return TRUE;
    }
  g_return_val_if_reached (FALSE);
}

/* Operator @i of the fragment; @nodes holds those before it, @depth and @size as for
 * expressions. */
static WeftPlan *
operator_from_thrift (WeftTask *task, const weftOperator *w, guint i, GPtrArray *nodes,
                      guint *depth, guint64 *size, GError **error)
{
  if ((gint) w->kind < WEFT_PLAN_CSV_SCAN || (gint) w->kind > WEFT_PLAN_STUB)
    {
      malformed (error, "unknown kind %d", (int) w->kind);
      return NULL;
    }
  WeftPlanKind kind = (WeftPlanKind) w->kind;
  const char *name = kinds[kind].name;
  guint n_kids = w->children->len;
  const gint32 *kids = (const gint32 *) (gpointer) w->children->data;
  if (n_kids != kinds[kind].inputs)
    {
      malformed (error, "a %s with %u inputs", name, n_kids);
      return NULL;
    }
  guint d = 1;
  guint64 n = 1;
  for (guint k = 0; k < n_kids; k++)
    {
      if (kids[k] < 0 || (guint) kids[k] >= i)
        {
          malformed (error, "%s: input %d is not an earlier operator", name, kids[k]);
          return NULL;
        }
      d = MAX (d, depth[kids[k]] + 1);
      n += size[kids[k]];
    }
  if (d > WEFT_TASK_RPC_MAX_PLAN_DEPTH)
    {
      malformed (error, "the plan is deeper than %u levels", WEFT_TASK_RPC_MAX_PLAN_DEPTH);
      return NULL;
    }
  if (n > WEFT_TASK_RPC_MAX_TREE_NODES)
    {
      malformed (error, "the plan is larger than %u operators (a shared subtree counts at each "
                 "use)", WEFT_TASK_RPC_MAX_TREE_NODES);
      return NULL;
    }
  depth[i] = d;
  size[i] = n;
  guint have = operator_fields (w);
  if (have != kinds[kind].fields)
    {
      guint odd = have ^ kinds[kind].fields;
      guint bit = (guint) g_bit_nth_lsf (odd, -1);
      malformed (error, "a %s %s %s", name, have & (1u << bit) ? "with" : "without",
                 field_names[bit]);
      return NULL;
    }
  if (!w->__isset_schema)
    {
      malformed (error, "a %s without a schema", name);
      return NULL;
    }
  g_autoptr(WeftSchema) schema = schema_from_thrift (w->schema, error);
  if (schema == NULL)
    {
      g_prefix_error (error, "%s: output ", name);
      return NULL;
    }
  g_autoptr(WeftPlan) p = weft_plan_new_node (kind, schema,
                                              n_kids > 0 ? nodes->pdata[kids[0]] : NULL,
                                              n_kids > 1 ? nodes->pdata[kids[1]] : NULL);
  if (!operator_fill (p, w, error))
    {
      g_prefix_error (error, "%s: ", name);
      return NULL;
    }
  if (!weft_plan_check_node (p, error)) /* its messages name the kind */
    return NULL;
  if (w->__isset_info)
    {
      WeftNodeInfo *info = node_info_from_thrift (w->info, kind, error);
      if (info == NULL)
        {
          g_prefix_error (error, "%s: ", name);
          return NULL;
        }
      weft_task_set_info (task, p, info);
    }
  return g_steal_pointer (&p);
}

static WeftPlan *
plan_from_thrift (WeftTask *task, const weftPlanFragment *frag, GError **error)
{
  guint n = frag->operators->len;
  if (n == 0)
    {
      malformed (error, "no operators");
      return NULL;
    }
  g_autoptr(GPtrArray) nodes = g_ptr_array_new_full (n, (GDestroyNotify) weft_plan_unref);
  g_autofree guint *depth = g_new (guint, n);
  g_autofree guint64 *size = g_new (guint64, n);
  for (guint i = 0; i < n; i++)
    {
      WeftPlan *p = operator_from_thrift (task, frag->operators->pdata[i], i, nodes, depth, size,
                                          error);
      if (p == NULL)
        {
          g_prefix_error (error, "operator %u: ", i);
          return NULL;
        }
      g_ptr_array_add (nodes, p);
    }
  const WeftPlan *root = nodes->pdata[n - 1];
  if (task->kind == WEFT_TASK_SHUFFLE_MAP && !weft_plan_is_exchange (root))
    return malformed (error, "the root of a map task is a %s, not an exchange",
                      kinds[root->kind].name), NULL;
  if (task->side == 1 && (task->kind != WEFT_TASK_SHUFFLE_MAP || root->kind != WEFT_PLAN_JOIN))
    return malformed (error, "side 1 of something other than a join's map task"), NULL;
  g_autofree gboolean *used = g_new0 (gboolean, n);
  used[n - 1] = TRUE;
  for (guint i = n; i-- > 0;)
    {
      const WeftPlan *p = nodes->pdata[i];
      const weftOperator *w = frag->operators->pdata[i];
      if (!used[i])
        return malformed (error, "operator %u is not part of the plan", i), NULL;
      for (guint k = 0; k < w->children->len; k++)
        used[g_array_index (w->children, gint32, k)] = TRUE;
      /* The cut rule: an exchange is read from its shuffle, except the map task's own root on
       * its side. */
      if (!weft_plan_is_exchange (p))
        continue;
      gboolean map_root = task->kind == WEFT_TASK_SHUFFLE_MAP && i == n - 1;
      const WeftPlan *inputs[2] = { p->child, p->right };
      for (guint side = 0; side < 2; side++)
        if (inputs[side] && inputs[side]->kind != WEFT_PLAN_STUB
            && !(map_root && side == task->side))
          return malformed (error, "operator %u (%s) reads input %u from a shuffle, but the "
                            "input is not a stub", i, kinds[p->kind].name, side), NULL;
    }
  return weft_plan_ref (nodes->pdata[n - 1]);
}

WeftTask *
weft_task_from_thrift (const weftTaskDescription *d, GError **error)
{
  g_return_val_if_fail (d != NULL, NULL);
  guint64 id = (guint64) d->task_id;
  if ((gint) d->kind < WEFT_TASK_RESULT || (gint) d->kind > WEFT_TASK_INFER_CSV)
    return malformed (error, "task %" G_GUINT64_FORMAT ": unknown kind %d", id,
                      (int) d->kind), NULL;
  g_autoptr(WeftTask) t = weft_task_new ((WeftTaskKind) d->kind);
  t->task_id = id;
  t->job_id = (guint32) d->job_id;
  t->stage_id = (guint32) d->stage_id;
  t->stage_attempt = (guint32) d->stage_attempt;
  t->partition = (guint32) d->partition;
  t->attempt = (guint32) d->attempt;
  t->epoch = d->epoch;
  t->side = (guint32) d->side;
  t->memory = (gsize) d->memory;
  if (d->side != 0 && d->side != 1)
    return malformed (error, "task %" G_GUINT64_FORMAT ": side %d", id, d->side), NULL;
  if (!d->__isset_plan)
    return malformed (error, "task %" G_GUINT64_FORMAT ": no plan", id), NULL;
  t->plan = plan_from_thrift (t, d->plan, error);
  if (t->plan == NULL)
    {
      g_prefix_error (error, "task %" G_GUINT64_FORMAT ": plan: ", id);
      return NULL;
    }
  const char *why = NULL;
  if (t->kind == WEFT_TASK_INFER_CSV && t->plan->kind != WEFT_PLAN_CSV_SCAN)
    why = "schema inference of something other than a CSV scan";
  else if (t->kind == WEFT_TASK_WRITE_CSV && !d->__isset_write_options)
    why = "a write task without write options";
  if (why)
    return malformed (error, "task %" G_GUINT64_FORMAT ": %s", id, why), NULL;
  for (guint i = 0; i < d->inputs->len; i++)
    {
      WeftMapOutput *in = weft_map_output_from_thrift (d->inputs->pdata[i], error);
      if (in == NULL)
        {
          g_prefix_error (error, "task %" G_GUINT64_FORMAT ": input %u: ", id, i);
          return NULL;
        }
      g_ptr_array_add (t->inputs, in);
    }
  if (d->__isset_write_path)
    t->write_path = g_strdup (d->write_path ? d->write_path : "");
  if (d->__isset_write_options)
    {
      t->write_options = csv_write_options_from_thrift (d->write_options, error);
      if (t->write_options == NULL)
        {
          g_prefix_error (error, "task %" G_GUINT64_FORMAT ": write options: ", id);
          return NULL;
        }
    }
  return g_steal_pointer (&t);
}

WeftTaskOutcome *
weft_task_outcome_from_thrift (const weftTaskStatus *s, GError **error)
{
  g_return_val_if_fail (s != NULL, NULL);
  guint64 id = (guint64) s->task_id;
  if ((gint) s->state < WEFT_TASK_SUCCEEDED || (gint) s->state > WEFT_TASK_KILLED)
    return malformed (error, "task %" G_GUINT64_FORMAT ": unknown state %d", id,
                      (int) s->state), NULL;
  g_autoptr(WeftTaskOutcome) o = weft_task_outcome_new ((guint64) id,
                                                        (WeftTaskState) s->state);
  o->executor_id = s->__isset_executor_id ? g_strdup (s->executor_id) : NULL;
  o->message = s->__isset_message ? g_strdup (s->message) : NULL;
  if (s->__isset_batches)
    {
      o->batches = g_ptr_array_new_full (s->batches->len, (GDestroyNotify) weft_batch_free);
      for (guint i = 0; i < s->batches->len; i++)
        {
          const GByteArray *b = s->batches->pdata[i];
          gsize consumed = 0;
          WeftBatch *batch = b ? weft_batch_decode (b->len ? b->data : (const guint8 *) "", b->len,
                                                    &consumed, error)
                               : NULL;
          if (b == NULL)
            malformed (error, "no bytes");
          if (batch != NULL && consumed != b->len)
            {
              weft_batch_free (batch);
              batch = NULL;
              malformed (error, "%u bytes after the batch", b->len - (guint) consumed);
            }
          if (batch == NULL)
            {
              g_prefix_error (error, "task %" G_GUINT64_FORMAT ": result batch %u: ", id, i);
              return NULL;
            }
          g_ptr_array_add (o->batches, batch);
        }
    }
  if (s->__isset_map_output)
    {
      o->map_output = weft_map_output_from_thrift (s->map_output, error);
      if (o->map_output == NULL)
        {
          g_prefix_error (error, "task %" G_GUINT64_FORMAT ": ", id);
          return NULL;
        }
    }
  if (s->__isset_types)
    {
      o->n_types = s->types->len;
      o->types = g_new (WeftDataType, MAX (o->n_types, 1));
      for (guint i = 0; i < o->n_types; i++)
        {
          gint32 t = g_array_index (s->types, gint32, i);
          /* 0: the split held no value of the column (weft_csv_infer_split). */
          if (t != 0 && !valid_type (t))
            return malformed (error, "task %" G_GUINT64_FORMAT ": column %u has no valid type "
                              "(%d)", id, i, t), NULL;
          o->types[i] = (WeftDataType) t;
        }
    }
  o->fetch_shuffle_id = (guint32) s->fetch_shuffle_id;
  o->fetch_map_id = (guint32) s->fetch_map_id;
  o->fetch_executor_id = s->__isset_fetch_executor_id ? g_strdup (s->fetch_executor_id) : NULL;
  const weftTaskMetrics *m = s->metrics;
  o->metrics = (WeftTaskMetrics) {
    (guint64) m->run_ms, (guint64) m->records_read, (guint64) m->records_written,
    (guint64) m->shuffle_bytes_read, (guint64) m->shuffle_bytes_written,
    (guint64) m->spill_bytes,
  };
  return g_steal_pointer (&o);
}

WeftTask *
weft_task_decode (GBytes *bytes, GError **error)
{
  g_return_val_if_fail (bytes != NULL, NULL);
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  g_autoptr(weftTaskDescription) d = g_object_new (WEFT_TYPE_TASK_DESCRIPTION, NULL);
  if (!check_bytes (data, len, TASK_MESSAGE, &task_description_shape, error)
      || !read_message (data, len, THRIFT_STRUCT (d), error))
    {
      g_prefix_error (error, "task description: ");
      return NULL;
    }
  return weft_task_from_thrift (d, error);
}

WeftTaskOutcome *
weft_task_outcome_decode (GBytes *bytes, GError **error)
{
  g_return_val_if_fail (bytes != NULL, NULL);
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  g_autoptr(weftTaskStatus) s = g_object_new (WEFT_TYPE_TASK_STATUS, NULL);
  if (!check_bytes (data, len, STATUS_MESSAGE, &task_status_shape, error)
      || !read_message (data, len, THRIFT_STRUCT (s), error))
    {
      g_prefix_error (error, "task status: ");
      return NULL;
    }
  return weft_task_outcome_from_thrift (s, error);
}
