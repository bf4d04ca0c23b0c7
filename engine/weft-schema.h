/* weft-schema: the engine's value types and schemas. A WeftSchema is an ordered list of fields
 * (name, type, nullable), reference counted and immutable once shared: build it with
 * weft_schema_add_field() while you hold the only reference, then hand it out. Any thread may read
 * and ref a shared schema. The type codes equal engine.thrift's ColumnType so the RPC edge converts
 * with a cast. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Values match ColumnType in thrift/engine.thrift (COL_NULL = 0 is literal-only, not a column). */
typedef enum
{
  WEFT_DATA_TYPE_INT64 = 1,  /* gint64 */
  WEFT_DATA_TYPE_DOUBLE = 2, /* IEEE double */
  WEFT_DATA_TYPE_STRING = 3, /* bytes (UTF-8 by convention, not validated): offsets + one buffer */
  WEFT_DATA_TYPE_BOOL = 4,   /* one byte per value, 0 or 1 */
  WEFT_DATA_TYPE_DATE = 5,   /* gint32 days since 1970-01-01 (proleptic Gregorian) */
} WeftDataType;

#define WEFT_DATA_TYPE_IS_VALID(t) ((t) >= WEFT_DATA_TYPE_INT64 && (t) <= WEFT_DATA_TYPE_DATE)

/**
 * weft_data_type_name:
 * @type: a type
 *
 * Returns: (transfer none): Spark's lower-case name: "bigint", "double", "string", "boolean",
 *   "date" ("invalid" for anything else).
 */
const char *weft_data_type_name (WeftDataType type);

/**
 * weft_data_type_from_name:
 * @name: a type name, case-insensitive: Spark's names plus "int64", "long", "int", "integer",
 *   "float64", "str", "bool"
 * @out_type: (out): the type
 *
 * Returns: TRUE if @name is a type; FALSE (and @out_type untouched) otherwise.
 */
gboolean weft_data_type_from_name (const char *name, WeftDataType *out_type);

typedef struct
{
  char *name;
  WeftDataType type;
  gboolean nullable;
} WeftField;

typedef struct _WeftSchema WeftSchema;

/**
 * weft_schema_new:
 *
 * Returns: (transfer full): an empty schema with one reference.
 */
WeftSchema *weft_schema_new (void);

/**
 * weft_schema_ref:
 * @schema: a schema
 *
 * Returns: (transfer full): @schema, with one more reference. Thread-safe.
 */
WeftSchema *weft_schema_ref (WeftSchema *schema);

/**
 * weft_schema_unref:
 * @schema: (transfer full): a schema
 */
void weft_schema_unref (WeftSchema *schema);

/**
 * weft_schema_add_field:
 * @schema: a schema nobody else holds yet
 * @name: the field name (copied); names need not be unique (Spark allows duplicates)
 * @type: its type
 * @nullable: whether it may hold nulls (informational: the engine never relies on it)
 *
 * Returns: the new field's index.
 */
guint weft_schema_add_field (WeftSchema *schema, const char *name, WeftDataType type,
                             gboolean nullable);

/**
 * weft_schema_get_n_fields:
 * @schema: a schema
 *
 * Returns: the number of fields.
 */
guint weft_schema_get_n_fields (const WeftSchema *schema);

/**
 * weft_schema_get_field:
 * @schema: a schema
 * @index: a field index, < weft_schema_get_n_fields()
 *
 * Returns: (transfer none): the field, valid while @schema lives.
 */
const WeftField *weft_schema_get_field (const WeftSchema *schema, guint index);

/**
 * weft_schema_find:
 * @schema: a schema
 * @name: a field name
 * @case_sensitive: FALSE to compare ASCII case-insensitively (Spark's default resolution)
 *
 * Returns: the index of the first field named @name, or -1.
 */
int weft_schema_find (const WeftSchema *schema, const char *name, gboolean case_sensitive);

/**
 * weft_schema_select:
 * @schema: a schema
 * @indices: (array length=n_indices): field indices, each < the number of fields; repeats allowed
 * @n_indices: how many
 *
 * Returns: (transfer full): a new schema holding those fields in that order.
 */
WeftSchema *weft_schema_select (const WeftSchema *schema, const guint *indices, guint n_indices);

/**
 * weft_schema_equal:
 * @a: a schema
 * @b: a schema
 *
 * Returns: TRUE if both have the same fields (names, types, nullability) in the same order.
 */
gboolean weft_schema_equal (const WeftSchema *a, const WeftSchema *b);

/**
 * weft_schema_to_string:
 * @schema: a schema
 *
 * Returns: (transfer full): "name:type, name:type?" (? marks nullable), for logs and tests.
 */
char *weft_schema_to_string (const WeftSchema *schema);

/**
 * weft_schema_parse_ddl:
 * @ddl: Spark's DDL form, e.g. "name STRING, age INT, hired DATE" (names may be `quoted`)
 *
 * Returns: (transfer full): a schema of nullable columns, or NULL with an error naming the field.
 */
WeftSchema *weft_schema_parse_ddl (const char *ddl, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WeftSchema, weft_schema_unref)

G_END_DECLS
