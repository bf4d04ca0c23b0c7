/* weft-selection: selection vectors (see weft-selection.h). */

#include "weft-selection.h"

WeftSelection *
weft_selection_new (gsize capacity)
{
  WeftSelection *selection = g_new0 (WeftSelection, 1);

  g_return_val_if_fail (capacity <= G_MAXUINT32 + (gsize) 1, selection);
  selection->rows = g_new (guint32, MAX (capacity, 1));
  selection->capacity = MAX (capacity, 1);
  return selection;
}

WeftSelection *
weft_selection_new_all (gsize n_rows)
{
  WeftSelection *selection = weft_selection_new (n_rows);

  for (gsize i = 0; i < n_rows; i++)
    selection->rows[i] = (guint32) i;
  selection->n = n_rows;
  return selection;
}

WeftSelection *
weft_selection_new_from_bitmap (const guint8 *bits, gsize n_rows)
{
  WeftSelection *selection = weft_selection_new (n_rows);
  guint32 *out = selection->rows;

  for (gsize byte = 0; byte * 8 < n_rows; byte++)
    {
      unsigned v = bits[byte];

      if (byte * 8 + 8 > n_rows)
        v &= (1u << (n_rows - byte * 8)) - 1;
      while (v != 0)
        {
          *out++ = (guint32) (byte * 8 + (gsize) __builtin_ctz (v));
          v &= v - 1;
        }
    }
  selection->n = (gsize) (out - selection->rows);
  return selection;
}

WeftSelection *
weft_selection_new_from_bytes (const guint8 *bytes, const guint8 *validity, gsize n_rows)
{
  WeftSelection *selection = weft_selection_new (n_rows);
  guint32 *out = selection->rows;

  /* Branch-free: always write, advance only when selected. */
  if (validity == NULL)
    for (gsize i = 0; i < n_rows; i++)
      {
        *out = (guint32) i;
        out += bytes[i] != 0;
      }
  else
    for (gsize i = 0; i < n_rows; i++)
      {
        *out = (guint32) i;
        out += (bytes[i] != 0) & ((validity[i >> 3] >> (i & 7)) & 1);
      }
  selection->n = (gsize) (out - selection->rows);
  return selection;
}

void
weft_selection_free (WeftSelection *selection)
{
  if (selection == NULL)
    return;
  g_free (selection->rows);
  g_free (selection);
}

void
weft_selection_reserve (WeftSelection *selection, gsize n_more)
{
  gsize need = selection->n + n_more, capacity = MAX (selection->capacity, 16);

  if (need <= selection->capacity)
    return;
  while (capacity < need)
    capacity *= 2;
  selection->rows = g_renew (guint32, selection->rows, capacity);
  selection->capacity = capacity;
}

gboolean
weft_selection_is_all (const WeftSelection *selection, gsize n_rows)
{
  /* Ascending distinct indices below n_rows: n == n_rows means all of them. */
  return selection->n == n_rows && (n_rows == 0 || selection->rows[n_rows - 1] == n_rows - 1);
}
