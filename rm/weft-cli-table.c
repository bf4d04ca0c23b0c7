/* weft-cli-table: aligned text tables and JSON output for the CLI. See weft-cli.h. */
#include <stdio.h>
#include <string.h>

#include "weft-cli.h"

struct _WeftCliTable {
  guint n_cols;
  GPtrArray *rows; /* GStrv, the first is the headers */
};

WeftCliTable *
weft_cli_table_new (const char *const *headers)
{
  WeftCliTable *t = g_new0 (WeftCliTable, 1);
  t->n_cols = g_strv_length ((GStrv) headers);
  t->rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  weft_cli_table_add_row (t, headers);
  return t;
}

void
weft_cli_table_add_row (WeftCliTable *t, const char *const *cells)
{
  char **row = g_new0 (char *, t->n_cols + 1);
  for (guint i = 0; i < t->n_cols; i++)
    row[i] = g_strdup (cells[i] ? cells[i] : "");
  g_ptr_array_add (t->rows, row);
}

void
weft_cli_table_print (WeftCliTable *t, FILE *out)
{
  g_autofree glong *width = g_new0 (glong, t->n_cols);
  for (guint r = 0; r < t->rows->len; r++)
    for (guint c = 0; c < t->n_cols; c++)
      {
        const char *cell = ((char **) t->rows->pdata[r])[c];
        /* Width in characters, not bytes, so names in UTF-8 still line up. */
        glong w = g_utf8_validate (cell, -1, NULL) ? g_utf8_strlen (cell, -1) : (glong) strlen (cell);
        width[c] = MAX (width[c], w);
      }
  for (guint r = 0; r < t->rows->len; r++)
    {
      char **row = t->rows->pdata[r];
      for (guint c = 0; c < t->n_cols; c++)
        {
          gboolean last = c + 1 == t->n_cols;
          glong w = g_utf8_validate (row[c], -1, NULL) ? g_utf8_strlen (row[c], -1)
                                                       : (glong) strlen (row[c]);
          fputs (row[c], out);
          if (!last)
            fprintf (out, "%*s", (int) (width[c] - w + 2), "");
        }
      fputc ('\n', out);
    }
}

void
weft_cli_table_free (WeftCliTable *t)
{
  if (t == NULL)
    return;
  g_ptr_array_unref (t->rows);
  g_free (t);
}

void
weft_cli_print_json (JsonNode *node, FILE *out)
{
  g_autoptr(JsonGenerator) g = json_generator_new ();
  json_generator_set_pretty (g, TRUE);
  json_generator_set_indent (g, 2);
  json_generator_set_root (g, node);
  g_autofree char *text = json_generator_to_data (g, NULL);
  fprintf (out, "%s\n", text);
}

const char *
weft_cli_json_str (JsonObject *o, const char *member)
{
  JsonNode *n = o ? json_object_get_member (o, member) : NULL;
  return n && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING
           ? json_node_get_string (n) : "";
}

gint64
weft_cli_json_int (JsonObject *o, const char *member)
{
  JsonNode *n = o ? json_object_get_member (o, member) : NULL;
  return n && JSON_NODE_HOLDS_VALUE (n) ? json_node_get_int (n) : 0;
}

double
weft_cli_json_double (JsonObject *o, const char *member)
{
  JsonNode *n = o ? json_object_get_member (o, member) : NULL;
  return n && JSON_NODE_HOLDS_VALUE (n) ? json_node_get_double (n) : 0;
}

gint64
weft_cli_json_sub_int (JsonObject *o, const char *member, const char *sub)
{
  JsonNode *n = o ? json_object_get_member (o, member) : NULL;
  return n && JSON_NODE_HOLDS_OBJECT (n) ? weft_cli_json_int (json_node_get_object (n), sub) : 0;
}
