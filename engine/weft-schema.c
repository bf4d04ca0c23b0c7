/* weft-schema: value types and schemas (see weft-schema.h). */

#include "weft-schema.h"
#include "weft-engine-error.h"

#include <string.h>

struct _WeftSchema
{
  gatomicrefcount ref_count;
  GArray *fields; /* of WeftField, names owned */
};

static const struct
{
  const char *name;
  WeftDataType type;
} type_names[] = {
  { "bigint", WEFT_DATA_TYPE_INT64 },   { "int64", WEFT_DATA_TYPE_INT64 },
  { "long", WEFT_DATA_TYPE_INT64 },     { "int", WEFT_DATA_TYPE_INT64 },
  { "integer", WEFT_DATA_TYPE_INT64 },  { "double", WEFT_DATA_TYPE_DOUBLE },
  { "float64", WEFT_DATA_TYPE_DOUBLE }, { "string", WEFT_DATA_TYPE_STRING },
  { "str", WEFT_DATA_TYPE_STRING },     { "boolean", WEFT_DATA_TYPE_BOOL },
  { "bool", WEFT_DATA_TYPE_BOOL },      { "date", WEFT_DATA_TYPE_DATE },
};

const char *
weft_data_type_name (WeftDataType type)
{
  switch (type)
    {
    case WEFT_DATA_TYPE_INT64:
      return "bigint";
    case WEFT_DATA_TYPE_DOUBLE:
      return "double";
    case WEFT_DATA_TYPE_STRING:
      return "string";
    case WEFT_DATA_TYPE_BOOL:
      return "boolean";
    case WEFT_DATA_TYPE_DATE:
      return "date";
    }
  return "invalid";
}

gboolean
weft_data_type_from_name (const char *name, WeftDataType *out_type)
{
  g_return_val_if_fail (name != NULL, FALSE);
  for (gsize i = 0; i < G_N_ELEMENTS (type_names); i++)
    if (g_ascii_strcasecmp (name, type_names[i].name) == 0)
      {
        *out_type = type_names[i].type;
        return TRUE;
      }
  return FALSE;
}

static void
field_clear (gpointer data)
{
  WeftField *field = data;

  g_free (field->name);
}

WeftSchema *
weft_schema_new (void)
{
  WeftSchema *schema = g_new0 (WeftSchema, 1);

  g_atomic_ref_count_init (&schema->ref_count);
  schema->fields = g_array_new (FALSE, TRUE, sizeof (WeftField));
  g_array_set_clear_func (schema->fields, field_clear);
  return schema;
}

WeftSchema *
weft_schema_ref (WeftSchema *schema)
{
  g_return_val_if_fail (schema != NULL, NULL);
  g_atomic_ref_count_inc (&schema->ref_count);
  return schema;
}

void
weft_schema_unref (WeftSchema *schema)
{
  if (schema == NULL || !g_atomic_ref_count_dec (&schema->ref_count))
    return;
  g_array_unref (schema->fields);
  g_free (schema);
}

guint
weft_schema_add_field (WeftSchema *schema, const char *name, WeftDataType type, gboolean nullable)
{
  WeftField field = { g_strdup (name), type, nullable };

  g_return_val_if_fail (schema != NULL && name != NULL, 0);
  g_return_val_if_fail (WEFT_DATA_TYPE_IS_VALID (type), 0);
  g_array_append_val (schema->fields, field);
  return schema->fields->len - 1;
}

guint
weft_schema_get_n_fields (const WeftSchema *schema)
{
  g_return_val_if_fail (schema != NULL, 0);
  return schema->fields->len;
}

const WeftField *
weft_schema_get_field (const WeftSchema *schema, guint index)
{
  g_return_val_if_fail (schema != NULL && index < schema->fields->len, NULL);
  return &g_array_index (schema->fields, WeftField, index);
}

int
weft_schema_find (const WeftSchema *schema, const char *name, gboolean case_sensitive)
{
  g_return_val_if_fail (schema != NULL && name != NULL, -1);
  for (guint i = 0; i < schema->fields->len; i++)
    {
      const char *have = g_array_index (schema->fields, WeftField, i).name;

      if (case_sensitive ? strcmp (have, name) == 0 : g_ascii_strcasecmp (have, name) == 0)
        return (int) i;
    }
  return -1;
}

WeftSchema *
weft_schema_select (const WeftSchema *schema, const guint *indices, guint n_indices)
{
  WeftSchema *out = weft_schema_new ();

  for (guint i = 0; i < n_indices; i++)
    {
      const WeftField *field = weft_schema_get_field (schema, indices[i]);

      g_return_val_if_fail (field != NULL, out);
      weft_schema_add_field (out, field->name, field->type, field->nullable);
    }
  return out;
}

gboolean
weft_schema_equal (const WeftSchema *a, const WeftSchema *b)
{
  if (a == b)
    return TRUE;
  if (a->fields->len != b->fields->len)
    return FALSE;
  for (guint i = 0; i < a->fields->len; i++)
    {
      const WeftField *fa = &g_array_index (a->fields, WeftField, i);
      const WeftField *fb = &g_array_index (b->fields, WeftField, i);

      if (strcmp (fa->name, fb->name) != 0 || fa->type != fb->type
          || !fa->nullable != !fb->nullable)
        return FALSE;
    }
  return TRUE;
}

char *
weft_schema_to_string (const WeftSchema *schema)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < schema->fields->len; i++)
    {
      const WeftField *field = &g_array_index (schema->fields, WeftField, i);

      g_string_append_printf (out, "%s%s:%s%s", i ? ", " : "", field->name,
                              weft_data_type_name (field->type), field->nullable ? "?" : "");
    }
  return g_string_free (out, FALSE);
}

WeftSchema *
weft_schema_parse_ddl (const char *ddl, GError **error)
{
  g_autoptr (WeftSchema) schema = weft_schema_new ();
  g_auto (GStrv) fields = g_strsplit (ddl, ",", -1);

  for (guint i = 0; fields[i]; i++)
    {
      char *field = g_strstrip (fields[i]);
      g_autofree char *name = NULL;
      const char *rest;
      WeftDataType type;

      if (field[0] == '`')
        {
          const char *close = strchr (field + 1, '`');

          if (close == NULL)
            {
              g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_SCHEMA,
                           "schema \"%s\": field %u: the name's backquote is not closed", ddl,
                           i + 1);
              return NULL;
            }
          name = g_strndup (field + 1, (gsize) (close - field - 1));
          rest = close + 1;
        }
      else
        {
          gsize n = strcspn (field, " \t");

          name = g_strndup (field, n);
          rest = field + n;
        }
      g_autofree char *type_name = g_strstrip (g_strdup (rest));
      if (name[0] == '\0' || type_name[0] == '\0' || !weft_data_type_from_name (type_name, &type))
        {
          g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_SCHEMA,
                       "schema \"%s\": field %u (\"%s\") is not NAME TYPE with TYPE one of "
                       "string, bigint (int, long), double, boolean, date", ddl, i + 1, field);
          return NULL;
        }
      if (weft_schema_find (schema, name, FALSE) >= 0)
        {
          g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_SCHEMA,
                       "schema \"%s\": column \"%s\" appears twice", ddl, name);
          return NULL;
        }
      weft_schema_add_field (schema, name, type, TRUE);
    }
  return g_steal_pointer (&schema);
}
