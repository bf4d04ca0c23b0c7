/* weft-batch: columnar batches (see weft-batch.h). */

#include "weft-batch.h"

WeftBatch *
weft_batch_new (WeftSchema *schema, WeftColumn **columns, gsize n_rows)
{
  WeftBatch *batch;
  guint n = weft_schema_get_n_fields (schema);

  g_return_val_if_fail (n_rows <= G_MAXUINT32, NULL);
  batch = g_new0 (WeftBatch, 1);
  batch->schema = weft_schema_ref (schema);
  batch->n_columns = n;
  batch->columns = g_new0 (WeftColumn *, MAX (n, 1));
  batch->n_rows = n_rows;
  for (guint i = 0; i < n; i++)
    {
      g_warn_if_fail (columns[i]->type == weft_schema_get_field (schema, i)->type);
      g_warn_if_fail (columns[i]->length == n_rows);
      batch->columns[i] = columns[i];
    }
  return batch;
}

WeftBatch *
weft_batch_new_empty (WeftSchema *schema, gsize capacity)
{
  WeftBatch *batch = g_new0 (WeftBatch, 1);
  guint n = weft_schema_get_n_fields (schema);

  batch->schema = weft_schema_ref (schema);
  batch->n_columns = n;
  batch->columns = g_new0 (WeftColumn *, MAX (n, 1));
  for (guint i = 0; i < n; i++)
    batch->columns[i] = weft_column_new (weft_schema_get_field (schema, i)->type, capacity);
  return batch;
}

void
weft_batch_sync_rows (WeftBatch *batch)
{
  if (batch->n_columns == 0)
    return;
  batch->n_rows = batch->columns[0]->length;
  for (guint i = 1; i < batch->n_columns; i++)
    g_return_if_fail (batch->columns[i]->length == batch->n_rows);
}

void
weft_batch_free (WeftBatch *batch)
{
  if (batch == NULL)
    return;
  for (guint i = 0; i < batch->n_columns; i++)
    weft_column_unref (batch->columns[i]);
  g_free (batch->columns);
  weft_schema_unref (batch->schema);
  g_free (batch);
}

WeftBatch *
weft_batch_take (const WeftBatch *batch, const WeftSelection *selection)
{
  g_autofree WeftColumn **columns = g_new0 (WeftColumn *, MAX (batch->n_columns, 1));

  for (guint i = 0; i < batch->n_columns; i++)
    columns[i] = weft_column_take (batch->columns[i], selection->rows, selection->n);
  return weft_batch_new (batch->schema, columns, selection->n);
}

WeftBatch *
weft_batch_filter_bitmap (const WeftBatch *batch, const guint8 *bits)
{
  g_autoptr (WeftSelection) selection = weft_selection_new_from_bitmap (bits, batch->n_rows);

  return weft_batch_take (batch, selection);
}

WeftBatch *
weft_batch_slice (const WeftBatch *batch, gsize offset, gsize n)
{
  g_autofree WeftColumn **columns = g_new0 (WeftColumn *, MAX (batch->n_columns, 1));

  g_return_val_if_fail (offset <= batch->n_rows && n <= batch->n_rows - offset, NULL);
  for (guint i = 0; i < batch->n_columns; i++)
    columns[i] = weft_column_slice (batch->columns[i], offset, n);
  return weft_batch_new (batch->schema, columns, n);
}

WeftBatch *
weft_batch_concat (WeftBatch *const *batches, guint n)
{
  g_autofree WeftColumn **columns = NULL;
  g_autofree WeftColumn **parts = NULL;
  gsize rows = 0;
  guint n_columns;

  g_return_val_if_fail (n >= 1, NULL);
  n_columns = batches[0]->n_columns;
  for (guint b = 0; b < n; b++)
    {
      g_return_val_if_fail (weft_schema_equal (batches[0]->schema, batches[b]->schema), NULL);
      rows += batches[b]->n_rows;
    }
  columns = g_new0 (WeftColumn *, MAX (n_columns, 1));
  parts = g_new0 (WeftColumn *, n);
  for (guint i = 0; i < n_columns; i++)
    {
      for (guint b = 0; b < n; b++)
        parts[b] = batches[b]->columns[i];
      columns[i] = weft_column_concat (parts, n);
    }
  return weft_batch_new (batches[0]->schema, columns, rows);
}

WeftBatch *
weft_batch_project (const WeftBatch *batch, const guint *indices, guint n)
{
  g_autoptr (WeftSchema) schema = weft_schema_select (batch->schema, indices, n);
  g_autofree WeftColumn **columns = g_new0 (WeftColumn *, MAX (n, 1));

  for (guint i = 0; i < n; i++)
    {
      g_return_val_if_fail (indices[i] < batch->n_columns, NULL);
      columns[i] = weft_column_ref (batch->columns[indices[i]]);
    }
  return weft_batch_new (schema, columns, batch->n_rows);
}

gsize
weft_batch_get_bytes (const WeftBatch *batch)
{
  gsize bytes = sizeof *batch + batch->n_columns * sizeof (WeftColumn *);

  for (guint i = 0; i < batch->n_columns; i++)
    bytes += weft_column_get_bytes (batch->columns[i]);
  return bytes;
}

gboolean
weft_batch_equal (const WeftBatch *a, const WeftBatch *b)
{
  if (a->n_rows != b->n_rows || !weft_schema_equal (a->schema, b->schema))
    return FALSE;
  for (guint i = 0; i < a->n_columns; i++)
    if (!weft_column_equal (a->columns[i], b->columns[i]))
      return FALSE;
  return TRUE;
}

void
weft_batch_format_rows (const WeftBatch *batch, GString *out)
{
  for (gsize r = 0; r < batch->n_rows; r++)
    {
      for (guint i = 0; i < batch->n_columns; i++)
        {
          if (i > 0)
            g_string_append_c (out, '|');
          weft_column_format_value (batch->columns[i], r, out);
        }
      g_string_append_c (out, '\n');
    }
}
