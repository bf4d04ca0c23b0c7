/* bench-shuffle: throughput of the batch codec and the shuffle files on generated data.
 * Usage: bench-shuffle [ROWS] [PARTITIONS] [BLOCK_SIZE]   (default 1,000,000 rows, 8, 32 KiB)
 * Rows of five columns (bigint id, double amount, string name, date day, boolean flag; a few
 * percent nulls) are split over the partitions by id up front; then it times CRC32C, encoding,
 * decoding and LZ4 alone, one map task writing them all (add + commit) and reading every
 * partition back (read + decode). MB/s count raw bytes, the batches' encodings. Not a test: no
 * assertions beyond sanity checks. */

#include "weft-batch-codec.h"
#include "weft-batch.h"
#include "weft-shuffle.h"

#include <glib/gstdio.h>
#include <lz4.h>
#include <stdlib.h>

static WeftSchema *
make_schema (void)
{
  WeftSchema *s = weft_schema_new ();

  weft_schema_add_field (s, "id", WEFT_DATA_TYPE_INT64, FALSE);
  weft_schema_add_field (s, "amount", WEFT_DATA_TYPE_DOUBLE, TRUE);
  weft_schema_add_field (s, "name", WEFT_DATA_TYPE_STRING, TRUE);
  weft_schema_add_field (s, "day", WEFT_DATA_TYPE_DATE, TRUE);
  weft_schema_add_field (s, "flag", WEFT_DATA_TYPE_BOOL, TRUE);
  return s;
}

static WeftBatch *
make_batch (GRand *rand, WeftSchema *schema, gsize first, gsize n)
{
  WeftBatch *b = weft_batch_new_empty (schema, n);

  for (gsize i = 0; i < n; i++)
    {
      char name[32];
      gboolean null = g_rand_int_range (rand, 0, 32) == 0;

      weft_column_append_int64 (b->columns[0], (gint64) (first + i));
      if (null)
        {
          weft_column_append_null (b->columns[1]);
          weft_column_append_null (b->columns[2]);
          weft_column_append_null (b->columns[3]);
          weft_column_append_null (b->columns[4]);
          continue;
        }
      weft_column_append_double (b->columns[1], g_rand_int_range (rand, 0, 1000000) / 100.0);
      weft_column_append_string (b->columns[2], name,
                                 (gsize) g_snprintf (name, sizeof name, "customer-%d",
                                                     g_rand_int_range (rand, 0, 20000)));
      weft_column_append_date (b->columns[3], 18000 + g_rand_int_range (rand, 0, 1100));
      weft_column_append_bool (b->columns[4], g_rand_boolean (rand));
    }
  weft_batch_sync_rows (b);
  return b;
}

/* Splits @b by partition (a multiplicative hash of the id) into per-partition batches. */
static void
split (const WeftBatch *b, guint n_partitions, GPtrArray *out_batches, GArray *out_parts)
{
  g_autofree WeftSelection **sel = g_new0 (WeftSelection *, n_partitions);

  for (guint p = 0; p < n_partitions; p++)
    sel[p] = weft_selection_new (b->n_rows);
  for (gsize i = 0; i < b->n_rows; i++)
    {
      guint64 h = (guint64) b->columns[0]->values.i64[i] * G_GUINT64_CONSTANT (0x9E3779B97F4A7C15);
      guint p = (guint) ((h >> 32) % n_partitions);

      sel[p]->rows[sel[p]->n++] = (guint32) i;
    }
  for (guint p = 0; p < n_partitions; p++)
    {
      g_ptr_array_add (out_batches, weft_batch_take (b, sel[p]));
      g_array_append_val (out_parts, p);
      weft_selection_free (sel[p]);
    }
}

static double
seconds_since (gint64 t0)
{
  return (g_get_monotonic_time () - t0) / 1e6;
}

static void
report (const char *what, guint64 bytes, double s)
{
  g_print ("%-44s %9.1f MB %8.3f s %9.1f MB/s\n", what, bytes / 1e6, s, bytes / 1e6 / s);
}

int
main (int argc, char **argv)
{
  gsize rows = argc > 1 ? (gsize) g_ascii_strtoull (argv[1], NULL, 10) : 1000000;
  guint n_partitions = argc > 2 ? (guint) g_ascii_strtoull (argv[2], NULL, 10) : 8;
  gsize block_size = argc > 3 ? (gsize) g_ascii_strtoull (argv[3], NULL, 10)
                              : WEFT_SHUFFLE_DEFAULT_BLOCK_SIZE;
  g_autoptr (GRand) rand = g_rand_new_with_seed (42);
  g_autoptr (WeftSchema) schema = make_schema ();
  g_autoptr (GPtrArray) batches = g_ptr_array_new_with_free_func ((GDestroyNotify) weft_batch_free);
  g_autoptr (GArray) parts = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr (GError) error = NULL;
  g_autoptr (WeftShuffleWriter) writer = NULL;
  g_autoptr (GByteArray) encoded = g_byte_array_new ();
  g_autofree char *dir = NULL, *data_path = NULL;
  g_autofree guint64 *sizes = NULL;
  guint64 raw = 0, raw_read = 0, rows_read = 0, stored = 0;
  gint64 t0;
  double s;

  if (rows == 0 || n_partitions == 0)
    {
      g_printerr ("usage: bench-shuffle [ROWS] [PARTITIONS] [BLOCK_SIZE]\n");
      return 2;
    }
  for (gsize done = 0; done < rows; done += WEFT_BATCH_DEFAULT_ROWS)
    {
      g_autoptr (WeftBatch) b
          = make_batch (rand, schema, done, MIN ((gsize) WEFT_BATCH_DEFAULT_ROWS, rows - done));

      split (b, n_partitions, batches, parts);
    }
  for (guint i = 0; i < batches->len; i++)
    raw += weft_batch_get_encoded_size (batches->pdata[i]);
  g_print ("%zu rows, %u partitions, %u batches, %zu-byte blocks, %.1f MB encoded\n", rows,
           n_partitions, batches->len, block_size, raw / 1e6);

  /* CRC32C alone, over the encodings. */
  for (guint i = 0; i < batches->len; i++)
    weft_batch_encode (batches->pdata[i], encoded);
  {
    guint32 crc = 0;

    t0 = g_get_monotonic_time ();
    for (int k = 0; k < 5; k++)
      crc ^= weft_shuffle_crc32c (0, encoded->data, encoded->len);
    report ("crc32c (dispatched)", 5 * (guint64) encoded->len, seconds_since (t0));
    t0 = g_get_monotonic_time ();
    crc ^= weft_shuffle_crc32c_portable (0, encoded->data, encoded->len);
    report ("crc32c (slicing-by-8)", encoded->len, seconds_since (t0));
    g_assert (crc != 1); /* keep the work */
  }

  /* The codec alone. */
  t0 = g_get_monotonic_time ();
  for (int k = 0; k < 5; k++)
    {
      g_byte_array_set_size (encoded, 0);
      for (guint i = 0; i < batches->len; i++)
        weft_batch_encode (batches->pdata[i], encoded);
    }
  report ("encode", 5 * raw, seconds_since (t0));
  t0 = g_get_monotonic_time ();
  for (gsize pos = 0; pos < encoded->len;)
    {
      gsize used = 0;
      g_autoptr (WeftBatch) b = weft_batch_decode (encoded->data + pos, encoded->len - pos, &used,
                                                   &error);

      g_assert_no_error (error);
      pos += used;
    }
  report ("decode", raw, seconds_since (t0));

  /* LZ4 alone over the same bytes in blocks of the same size: the floor under the writer and
   * the reader. */
  {
    int bound = LZ4_compressBound ((int) block_size);
    g_autofree char *packed = g_malloc ((encoded->len / block_size + 1) * (gsize) bound);
    g_autofree char *unpacked = g_malloc (block_size);
    g_autoptr (GArray) lens = g_array_new (FALSE, FALSE, sizeof (int));
    gsize out = 0, in = 0;

    t0 = g_get_monotonic_time ();
    for (gsize pos = 0; pos < encoded->len; pos += block_size)
      {
        int n = LZ4_compress_default ((const char *) encoded->data + pos, packed + out,
                                      (int) MIN (block_size, encoded->len - pos), bound);

        g_array_append_val (lens, n);
        out += (gsize) n;
      }
    report ("lz4 compress alone", encoded->len, seconds_since (t0));
    t0 = g_get_monotonic_time ();
    for (guint i = 0; i < lens->len; i++)
      {
        int n = g_array_index (lens, int, i);

        g_assert (LZ4_decompress_safe (packed + in, unpacked, n, (int) block_size) > 0);
        in += (gsize) n;
      }
    report ("lz4 decompress alone", encoded->len, seconds_since (t0));
  }

  /* One map task: add everything, commit. */
  dir = g_dir_make_tmp ("bench-shuffle-XXXXXX", &error);
  g_assert_no_error (error);
  t0 = g_get_monotonic_time ();
  writer = weft_shuffle_writer_new (dir, 1, 0, 0, n_partitions, block_size, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < batches->len; i++)
    {
      weft_shuffle_writer_add (writer, g_array_index (parts, guint, i), batches->pdata[i], &error);
      g_assert_no_error (error);
    }
  weft_shuffle_writer_commit (writer, &data_path, &sizes, &error);
  g_assert_no_error (error);
  s = seconds_since (t0);
  stored = weft_shuffle_writer_get_bytes (writer);
  report ("shuffle write (add + commit)", raw, s);

  /* Every partition read back. */
  t0 = g_get_monotonic_time ();
  for (guint p = 0; p < n_partitions; p++)
    {
      g_autoptr (GBytes) seg = weft_shuffle_read_segment (data_path, p, &error);
      g_autoptr (GPtrArray) got = g_ptr_array_new_with_free_func ((GDestroyNotify) weft_batch_free);
      guint64 r = 0;

      g_assert_no_error (error);
      weft_shuffle_decode_segment (seg, got, &r, &error);
      g_assert_no_error (error);
      raw_read += r;
      for (guint i = 0; i < got->len; i++)
        rows_read += ((WeftBatch *) got->pdata[i])->n_rows;
    }
  s = seconds_since (t0);
  report ("shuffle read (read + decode)", raw_read, s);
  g_assert_cmpuint (raw_read, ==, raw);
  g_assert_cmpuint (rows_read, ==, rows);
  g_print ("stored %.1f MB: compression ratio %.2f (raw / stored)\n", stored / 1e6,
           (double) raw / (double) stored);

  weft_shuffle_remove (dir, 1);
  g_rmdir (dir);
  return 0;
}
