/* Tests for engine/weft-batch-codec and engine/weft-shuffle: CRC32C against published vectors
 * (and the SSE 4.2 path against the table one); the codec's exact bytes for a small batch, round
 * trips of random batches of every type with nulls, empty strings, zero rows and zero columns,
 * every truncation and random byte flips of an encoding (errors, never crashes: run this under
 * the sanitizer build too); shuffle files round-tripped over many partitions, empty ones and
 * batches larger than a block; a flipped byte anywhere in a data file caught by the checksums, a
 * truncated data file and every damaged byte of an index caught; the files a writer leaves
 * behind (none uncommitted, exactly two committed) and weft_shuffle_remove(). */

#include "weft-fs.h"
#include "weft-batch-codec.h"
#include "weft-batch.h"
#include "weft-engine-error.h"
#include "weft-shuffle.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

/* ---- Helpers -------------------------------------------------------------------------------- */

typedef struct
{
  char *dir;
} Fixture;

static void
fixture_setup (Fixture *fx, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  fx->dir = g_dir_make_tmp ("weft-shuffle-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture *fx, gconstpointer data)
{
  weft_fs_remove_tree (fx->dir, NULL);
  g_free (fx->dir);
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* The names in @dir, sorted and joined by spaces ("" for an empty folder). */
static char *
list_dir (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  g_ptr_array_add (names, NULL);
  return g_strjoinv (" ", (char **) names->pdata);
}

static const WeftDataType all_types[] = {
  WEFT_DATA_TYPE_INT64, WEFT_DATA_TYPE_DOUBLE, WEFT_DATA_TYPE_STRING,
  WEFT_DATA_TYPE_BOOL,  WEFT_DATA_TYPE_DATE,
};

/* A schema of @n columns of random types (every type once first when n >= 5), names that repeat
 * and include the empty name. */
static WeftSchema *
random_schema (GRand *rand, guint n)
{
  WeftSchema *s = weft_schema_new ();

  for (guint i = 0; i < n; i++)
    {
      WeftDataType t = i < G_N_ELEMENTS (all_types)
                           ? all_types[i]
                           : all_types[g_rand_int_range (rand, 0, G_N_ELEMENTS (all_types))];
      g_autofree char *name = NULL;

      switch (g_rand_int_range (rand, 0, 4))
        {
        case 0:
          name = g_strdup ("");
          break;
        case 1:
          name = g_strdup ("dup");
          break;
        default:
          name = g_strdup_printf ("col_%u_\xc3\xa9", i);
        }
      weft_schema_add_field (s, name, t, g_rand_boolean (rand));
    }
  return s;
}

static void
append_random (GRand *rand, WeftColumn *c, int null_per_16)
{
  if (g_rand_int_range (rand, 0, 16) < null_per_16)
    {
      weft_column_append_null (c);
      return;
    }
  switch (c->type)
    {
    case WEFT_DATA_TYPE_INT64:
      weft_column_append_int64 (c, (gint64) (((guint64) g_rand_int (rand) << 32)
                                             | g_rand_int (rand)));
      break;
    case WEFT_DATA_TYPE_DOUBLE:
      {
        int k = g_rand_int_range (rand, 0, 10);

        weft_column_append_double (c, k == 0   ? NAN
                                      : k == 1 ? -0.0
                                      : k == 2 ? INFINITY
                                               : g_rand_double_range (rand, -1e9, 1e9));
      }
      break;
    case WEFT_DATA_TYPE_STRING:
      {
        char buf[40];
        /* A third empty; the rest random bytes, NULs included: strings are bytes. */
        gsize len = g_rand_int_range (rand, 0, 3) == 0 ? 0 : (gsize) g_rand_int_range (rand, 1, 40);

        for (gsize i = 0; i < len; i++)
          buf[i] = (char) g_rand_int_range (rand, 0, 256);
        weft_column_append_string (c, buf, len);
      }
      break;
    case WEFT_DATA_TYPE_BOOL:
      weft_column_append_bool (c, g_rand_boolean (rand));
      break;
    case WEFT_DATA_TYPE_DATE:
      weft_column_append_date (c, (gint32) g_rand_int (rand));
      break;
    }
}

static WeftBatch *
random_batch (GRand *rand, WeftSchema *schema, gsize n_rows, int null_per_16)
{
  WeftBatch *b = weft_batch_new_empty (schema, n_rows);

  for (guint c = 0; c < b->n_columns; c++)
    for (gsize r = 0; r < n_rows; r++)
      append_random (rand, b->columns[c], null_per_16);
  b->n_rows = n_rows; /* also for zero columns */
  weft_batch_sync_rows (b);
  return b;
}

/* A batch with every type, nulls, empty strings and a string nulled after the fact (its bytes
 * stay in the column, unreachable). */
static WeftBatch *
mixed_batch (GRand *rand, gsize n_rows)
{
  g_autoptr (WeftSchema) schema = random_schema (rand, 5);
  WeftBatch *b = random_batch (rand, schema, n_rows, 4);

  if (n_rows > 3)
    {
      WeftColumn *s = b->columns[2];

      g_assert_cmpint (s->type, ==, WEFT_DATA_TYPE_STRING);
      weft_column_set_null (s, 3);
    }
  return b;
}

static GByteArray *
encode (const WeftBatch *b)
{
  GByteArray *out = g_byte_array_new ();

  weft_batch_encode (b, out);
  return out;
}

/* ---- CRC32C --------------------------------------------------------------------------------- */

static void
test_crc32c_vectors (void)
{
  guint8 buf[32];
  /* RFC 3720 (iSCSI) B.4 and the common check value. */
  struct
  {
    const char *what;
    guint32 crc;
  } cases[] = { { "zeros", 0x8A9136AAu }, { "ones", 0x62A8AB43u },
                { "ascending", 0x46DD794Eu }, { "descending", 0x113FDB5Cu } };

  for (int k = 0; k < 2; k++)
    {
      guint32 (*crc) (guint32, const void *, gsize)
          = k == 0 ? weft_shuffle_crc32c : weft_shuffle_crc32c_portable;

      g_assert_cmphex (crc (0, "123456789", 9), ==, 0xE3069283u);
      g_assert_cmphex (crc (0, "", 0), ==, 0);
      g_assert_cmphex (crc (0, "a", 1), ==, 0xC1D04330u);
      /* Chained in pieces, same value. */
      g_assert_cmphex (crc (crc (crc (0, "1234", 4), "5", 1), "6789", 4), ==, 0xE3069283u);
      for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
        {
          for (int i = 0; i < 32; i++)
            buf[i] = c == 0 ? 0 : c == 1 ? 0xff : c == 2 ? (guint8) i : (guint8) (31 - i);
          g_assert_cmphex (crc (0, buf, sizeof buf), ==, cases[c].crc);
        }
    }
}

static void
test_crc32c_paths_agree (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);
  g_autofree guint8 *buf = g_malloc (70000);

  for (gsize i = 0; i < 70000; i++)
    buf[i] = (guint8) g_rand_int (rand);
  /* Every alignment and short lengths, then long runs. */
  for (gsize off = 0; off < 16; off++)
    for (gsize len = 0; len < 64; len++)
      g_assert_cmphex (weft_shuffle_crc32c (0x12345678u, buf + off, len), ==,
                       weft_shuffle_crc32c_portable (0x12345678u, buf + off, len));
  for (int i = 0; i < 200; i++)
    {
      gsize off = (gsize) g_rand_int_range (rand, 0, 1000);
      gsize len = (gsize) g_rand_int_range (rand, 0, 69000);
      guint32 whole = weft_shuffle_crc32c (0, buf + off, len);
      gsize cut = len / 3;

      g_assert_cmphex (whole, ==, weft_shuffle_crc32c_portable (0, buf + off, len));
      g_assert_cmphex (whole, ==,
                       weft_shuffle_crc32c_portable (weft_shuffle_crc32c (0, buf + off, cut),
                                                     buf + off + cut, len - cut));
    }
}

/* ---- Codec ---------------------------------------------------------------------------------- */

static void
test_codec_exact_bytes (void)
{
  g_autoptr (WeftSchema) schema = weft_schema_new ();
  g_autoptr (WeftBatch) b = NULL;
  g_autoptr (GByteArray) out = g_byte_array_new ();
  /* Two rows: x bigint = 1, null; s string not null = "hi", "". */
  static const guint8 expected[] = {
    'W', 'B', 'T', '1', 2, 0, 0, 0,          /* magic, 2 columns */
    2, 0, 0, 0, 0, 0, 0, 0,                  /* 2 rows */
    59, 0, 0, 0, 0, 0, 0, 0,                 /* body bytes */
    1, 1, 1, 0, 0, 0, 'x',                   /* bigint, nullable, "x" */
    3, 0, 1, 0, 0, 0, 's',                   /* string, not nullable, "s" */
    1, 0x01,                                 /* x: validity follows; row 0 valid */
    1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 1, then 0 under the null */
    0, 2, 0, 0, 0, 0, 0, 0, 0,               /* s: no validity, 2 bytes of strings */
    2, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, /* end offsets 2, 2 */
    'h', 'i',
  };

  weft_schema_add_field (schema, "x", WEFT_DATA_TYPE_INT64, TRUE);
  weft_schema_add_field (schema, "s", WEFT_DATA_TYPE_STRING, FALSE);
  b = weft_batch_new_empty (schema, 2);
  weft_column_append_int64 (b->columns[0], 1);
  weft_column_append_null (b->columns[0]);
  weft_column_append_string (b->columns[1], "hi", 2);
  weft_column_append_string (b->columns[1], "", 0);
  weft_batch_sync_rows (b);

  g_byte_array_append (out, (const guint8 *) "pre", 3); /* appends, keeps what was there */
  weft_batch_encode (b, out);
  g_assert_cmpuint (weft_batch_get_encoded_size (b), ==, sizeof expected);
  g_assert_cmpmem (out->data, 3, "pre", 3);
  g_assert_cmpmem (out->data + 3, out->len - 3, expected, sizeof expected);
}

static void
assert_round_trip (const WeftBatch *b)
{
  g_autoptr (GByteArray) out = encode (b);
  g_autoptr (GError) error = NULL;
  g_autoptr (WeftBatch) back = NULL;
  gsize consumed = 0, peeked = 0;

  g_assert_cmpuint (out->len, ==, weft_batch_get_encoded_size (b));
  g_assert_true (weft_batch_peek_encoded_size (out->data, out->len, &peeked, &error));
  g_assert_cmpuint (peeked, ==, out->len);
  back = weft_batch_decode (out->data, out->len, &consumed, &error);
  g_assert_no_error (error);
  g_assert_nonnull (back);
  g_assert_cmpuint (consumed, ==, out->len);
  g_assert_cmpuint (back->n_rows, ==, b->n_rows);
  g_assert_true (weft_schema_equal (back->schema, b->schema));
  g_assert_true (weft_batch_equal (back, b));
}

static void
test_codec_round_trip (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (1);

  for (int iter = 0; iter < 300; iter++)
    {
      guint n_cols = (guint) g_rand_int_range (rand, 0, 9);
      gsize n_rows = iter % 10 == 0 ? 0 : (gsize) g_rand_int_range (rand, 1, 300);
      g_autoptr (WeftSchema) schema = random_schema (rand, n_cols);
      g_autoptr (WeftBatch) b = random_batch (rand, schema, n_rows, iter % 3 == 0 ? 0 : 5);

      assert_round_trip (b);
    }
  /* All nulls, and a column nulled in place after the fact. */
  {
    g_autoptr (WeftSchema) schema = random_schema (rand, 5);
    g_autoptr (WeftBatch) all_null = random_batch (rand, schema, 77, 16);
    g_autoptr (WeftBatch) mixed = mixed_batch (rand, 100);

    g_assert_cmpuint (all_null->columns[0]->null_count, ==, 77);
    assert_round_trip (all_null);
    assert_round_trip (mixed);
  }
}

static void
test_codec_zero_columns_and_rows (void)
{
  g_autoptr (WeftSchema) empty = weft_schema_new ();
  g_autoptr (GRand) rand = g_rand_new_with_seed (2);
  g_autoptr (WeftSchema) schema = random_schema (rand, 5);
  gsize counts[] = { 0, 1, 12345, G_MAXUINT32 };

  /* count() sends batches of no columns: only the row count travels, and it must survive. */
  for (guint i = 0; i < G_N_ELEMENTS (counts); i++)
    {
      g_autoptr (WeftBatch) b = weft_batch_new (empty, NULL, counts[i]);
      g_autoptr (GByteArray) out = encode (b);
      g_autoptr (GError) error = NULL;
      g_autoptr (WeftBatch) back = weft_batch_decode (out->data, out->len, NULL, &error);

      g_assert_no_error (error);
      g_assert_cmpuint (out->len, ==, WEFT_BATCH_CODEC_HEADER_SIZE);
      g_assert_cmpuint (back->n_columns, ==, 0);
      g_assert_cmpuint (back->n_rows, ==, counts[i]);
    }
  {
    g_autoptr (WeftBatch) b = random_batch (rand, schema, 0, 0);
    g_autoptr (GByteArray) out = encode (b);
    g_autoptr (WeftBatch) back = weft_batch_decode (out->data, out->len, NULL, NULL);

    g_assert_nonnull (back);
    g_assert_cmpuint (back->n_rows, ==, 0);
    g_assert_cmpuint (back->n_columns, ==, 5);
    g_assert_true (weft_schema_equal (back->schema, schema));
  }
}

static void
test_codec_stream (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (3);
  g_autoptr (GByteArray) out = g_byte_array_new ();
  g_autoptr (GPtrArray) in = g_ptr_array_new_with_free_func ((GDestroyNotify) weft_batch_free);
  gsize pos = 0;

  /* Encodings concatenate and read back one after another. */
  for (int i = 0; i < 20; i++)
    {
      g_autoptr (WeftSchema) schema = random_schema (rand, (guint) g_rand_int_range (rand, 0, 7));
      WeftBatch *b = random_batch (rand, schema, (gsize) g_rand_int_range (rand, 0, 50), 3);

      weft_batch_encode (b, out);
      g_ptr_array_add (in, b);
    }
  for (guint i = 0; i < in->len; i++)
    {
      g_autoptr (GError) error = NULL;
      gsize used = 0;
      g_autoptr (WeftBatch) back
          = weft_batch_decode (out->data + pos, out->len - pos, &used, &error);

      g_assert_no_error (error);
      g_assert_true (weft_batch_equal (back, in->pdata[i]));
      pos += used;
    }
  g_assert_cmpuint (pos, ==, out->len);
}

static void
test_codec_truncation (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (4);
  g_autoptr (WeftBatch) b = mixed_batch (rand, 37);
  g_autoptr (GByteArray) out = encode (b);

  /* Every prefix is an error, and a copy of exactly that length keeps ASan watching the end. */
  for (gsize len = 0; len < out->len; len++)
    {
      g_autofree guint8 *copy = g_memdup2 (out->data, MAX (len, 1));
      g_autoptr (GError) error = NULL;
      WeftBatch *back = weft_batch_decode (copy, len, NULL, &error);

      g_assert_null (back);
      g_assert_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_MALFORMED);
    }
}

/* Decodes damaged bytes: either an error, or a batch that is whole (every value reachable). */
static gboolean
decode_damaged (const guint8 *data, gsize len)
{
  g_autofree guint8 *copy = g_memdup2 (data, MAX (len, 1));
  g_autoptr (GError) error = NULL;
  g_autoptr (WeftBatch) back = weft_batch_decode (copy, len, NULL, &error);

  if (back == NULL)
    {
      g_assert_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_MALFORMED);
      return FALSE;
    }
  {
    g_autoptr (GString) text = g_string_new (NULL);

    g_assert_no_error (error);
    weft_batch_format_rows (back, text);
    g_assert_cmpuint (back->n_columns, ==, weft_schema_get_n_fields (back->schema));
    for (guint c = 0; c < back->n_columns; c++)
      g_assert_cmpuint (back->columns[c]->length, ==, back->n_rows);
  }
  return TRUE;
}

static void
test_codec_byte_flips (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (5);
  g_autoptr (WeftBatch) b = mixed_batch (rand, 23);
  g_autoptr (GByteArray) out = encode (b);
  g_autofree guint8 *damaged = g_malloc (out->len);
  guint rejected = 0;

  /* Every byte, each with a few different flips. */
  for (gsize pos = 0; pos < out->len; pos++)
    for (int k = 0; k < 4; k++)
      {
        memcpy (damaged, out->data, out->len);
        damaged[pos] ^= k == 0 ? 0xff : (guint8) (1u << g_rand_int_range (rand, 0, 8));
        if (!decode_damaged (damaged, out->len))
          rejected++;
      }
  /* The header, the schema and every count are checked, so many flips are caught (flips in
   * values are not: that is what the shuffle's checksums are for). */
  g_assert_cmpuint (rejected, >, out->len / 2);

  /* Random garbage, some of it behind a valid magic. */
  for (int i = 0; i < 2000; i++)
    {
      guint8 junk[200];
      gsize len = (gsize) g_rand_int_range (rand, 0, sizeof junk);

      for (gsize j = 0; j < len; j++)
        junk[j] = (guint8) (g_rand_int_range (rand, 0, 4) == 0 ? 0 : g_rand_int (rand));
      if (len >= 4 && i % 2 == 0)
        memcpy (junk, "WBT1", 4);
      decode_damaged (junk, len);
    }
}

static void
test_codec_huge_counts (void)
{
  /* Counts that promise far more than the bytes: errors, and no allocation of that size. */
  guint8 h[WEFT_BATCH_CODEC_HEADER_SIZE + 16];
  g_autoptr (GError) error = NULL;
  guint64 rows = G_MAXUINT32, body = 16;
  guint32 cols = 1;
  gsize size = 0;

  memset (h, 0, sizeof h);
  memcpy (h, "WBT1", 4);
  rows = GUINT64_TO_LE (rows);
  body = GUINT64_TO_LE (body);
  memcpy (h + 8, &rows, 8);
  memcpy (h + 16, &body, 8);
  cols = GUINT32_TO_LE (cols);
  memcpy (h + 4, &cols, 4);
  h[24] = WEFT_DATA_TYPE_STRING; /* field: string, no name, then flags 0 and a huge data_len */
  memset (h + 31, 0xff, 9);
  g_assert_null (weft_batch_decode (h, sizeof h, NULL, &error));
  g_assert_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_MALFORMED);
  g_clear_error (&error);

  /* Two billion columns in sixteen bytes. */
  cols = GUINT32_TO_LE (0x80000000u);
  memcpy (h + 4, &cols, 4);
  g_assert_null (weft_batch_decode (h, sizeof h, NULL, &error));
  g_assert_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_MALFORMED);
  g_clear_error (&error);

  /* A body longer than the buffer; more rows than a batch may have. */
  body = GUINT64_TO_LE (G_MAXUINT64 - 5);
  memcpy (h + 16, &body, 8);
  g_assert_false (weft_batch_peek_encoded_size (h, sizeof h, &size, &error));
  g_assert_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_MALFORMED);
  g_clear_error (&error);
  rows = GUINT64_TO_LE ((guint64) G_MAXUINT32 + 1);
  memcpy (h + 8, &rows, 8);
  g_assert_null (weft_batch_decode (h, sizeof h, NULL, &error));
  g_assert_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_MALFORMED);
}

/* ---- Shuffle files -------------------------------------------------------------------------- */

/* What a test wrote: per partition, the batches in order. */
typedef struct
{
  guint n_partitions;
  GPtrArray **expected; /* n_partitions arrays of WeftBatch* */
  char *data_path;
  guint64 *sizes;
  guint64 raw_bytes;
} Written;

static void
written_free (Written *w)
{
  for (guint p = 0; p < w->n_partitions; p++)
    g_ptr_array_unref (w->expected[p]);
  g_free (w->expected);
  g_free (w->data_path);
  g_free (w->sizes);
  g_free (w);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Written, written_free)

/* Writes random batches of one schema to random partitions (partition 0 and every fifth one stay
 * empty), some of them larger than a block, some of zero rows, and commits. */
static Written *
write_random (const char *dir, GRand *rand, guint shuffle_id, guint n_partitions,
              gsize block_size, guint n_batches, gsize big_rows)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WeftSchema) schema = random_schema (rand, 6);
  g_autoptr (WeftShuffleWriter) w = NULL;
  Written *out = g_new0 (Written, 1);
  guint64 stored_before_commit;

  out->n_partitions = n_partitions;
  out->expected = g_new0 (GPtrArray *, n_partitions);
  for (guint p = 0; p < n_partitions; p++)
    out->expected[p] = g_ptr_array_new_with_free_func ((GDestroyNotify) weft_batch_free);
  w = weft_shuffle_writer_new (dir, shuffle_id, 0, 0, n_partitions, block_size, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < n_batches; i++)
    {
      guint p = (guint) g_rand_int_range (rand, 0, (gint32) n_partitions);
      gsize rows = i % 17 == 0                  ? 0
                   : i % 7 == 0 && big_rows > 0 ? big_rows
                                                : (gsize) g_rand_int_range (rand, 1, 60);
      WeftBatch *b = random_batch (rand, schema, rows, 3);

      if (n_partitions > 1 && (p == 0 || p % 5 == 0))
        p = 1;
      g_assert_true (weft_shuffle_writer_add (w, p, b, &error));
      g_assert_no_error (error);
      out->raw_bytes += weft_batch_get_encoded_size (b);
      g_ptr_array_add (out->expected[p], b);
    }
  g_assert_cmpuint (weft_shuffle_writer_get_raw_bytes (w), ==, out->raw_bytes);
  stored_before_commit = weft_shuffle_writer_get_bytes (w);
  g_assert_true (weft_shuffle_writer_commit (w, &out->data_path, &out->sizes, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (weft_shuffle_writer_get_bytes (w), >=, stored_before_commit);
  return out;
}

static guint64
file_size (const char *path)
{
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  return (guint64) st.st_size;
}

/* Reads every partition back and compares with what was written. */
static void
assert_read_back (const Written *wr)
{
  guint64 total = 0, raw_total = 0;

  for (guint p = 0; p < wr->n_partitions; p++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GBytes) seg = weft_shuffle_read_segment (wr->data_path, p, &error);
      g_autoptr (GPtrArray) got = g_ptr_array_new_with_free_func ((GDestroyNotify) weft_batch_free);
      guint64 raw = 0;

      g_assert_no_error (error);
      g_assert_cmpuint (g_bytes_get_size (seg), ==, wr->sizes[p]);
      g_assert_true (weft_shuffle_decode_segment (seg, got, &raw, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (got->len, ==, wr->expected[p]->len);
      for (guint i = 0; i < got->len; i++)
        g_assert_true (weft_batch_equal (got->pdata[i], wr->expected[p]->pdata[i]));
      if (wr->expected[p]->len == 0)
        g_assert_cmpuint (wr->sizes[p], ==, 0);
      total += wr->sizes[p];
      raw_total += raw;
    }
  g_assert_cmpuint (total, ==, file_size (wr->data_path));
  g_assert_cmpuint (raw_total, ==, wr->raw_bytes);
}

static void
test_shuffle_round_trip (Fixture *fx, gconstpointer data)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (10);
  gsize block_sizes[] = { WEFT_SHUFFLE_MIN_BLOCK_SIZE, 5000, WEFT_SHUFFLE_DEFAULT_BLOCK_SIZE };
  guint partitions[] = { 1, 37, 8 };

  for (guint i = 0; i < G_N_ELEMENTS (block_sizes); i++)
    {
      g_autoptr (Written) wr
          = write_random (fx->dir, rand, i, partitions[i], block_sizes[i], 150, 3000);

      assert_read_back (wr);
    }
}

static void
test_shuffle_big_batch (Fixture *fx, gconstpointer data)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (11);
  g_autoptr (GError) error = NULL;
  g_autoptr (WeftShuffleWriter) w = NULL;
  g_autoptr (WeftBatch) big = mixed_batch (rand, 50000);
  g_autoptr (WeftBatch) small = mixed_batch (rand, 10);
  g_autoptr (GBytes) seg = NULL;
  g_autoptr (GPtrArray) got = g_ptr_array_new_with_free_func ((GDestroyNotify) weft_batch_free);
  g_autofree char *path = NULL;
  g_autofree guint64 *sizes = NULL;
  gsize encoded = weft_batch_get_encoded_size (big);
  guint64 raw = 0;

  /* One batch over hundreds of 1 KiB blocks, between small ones on both sides; partition 1 gets
   * its frames while partition 0's are pending, so the scratch file interleaves them. */
  w = weft_shuffle_writer_new (fx->dir, 1, 2, 3, 2, WEFT_SHUFFLE_MIN_BLOCK_SIZE, &error);
  g_assert_no_error (error);
  g_assert_true (weft_shuffle_writer_add (w, 0, small, &error));
  g_assert_true (weft_shuffle_writer_add (w, 1, big, &error));
  g_assert_true (weft_shuffle_writer_add (w, 0, big, &error));
  g_assert_true (weft_shuffle_writer_add (w, 1, small, &error));
  g_assert_true (weft_shuffle_writer_add (w, 0, small, &error));
  /* Full blocks left memory before the commit. */
  g_assert_cmpuint (weft_shuffle_writer_get_bytes (w), >, encoded / 10);
  g_assert_true (weft_shuffle_writer_commit (w, &path, &sizes, &error));
  g_assert_no_error (error);

  for (guint p = 0; p < 2; p++)
    {
      g_clear_pointer (&seg, g_bytes_unref);
      g_ptr_array_set_size (got, 0);
      seg = weft_shuffle_read_segment (path, p, &error);
      g_assert_no_error (error);
      g_assert_true (weft_shuffle_decode_segment (seg, got, &raw, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (raw, ==, encoded + weft_batch_get_encoded_size (small) * (p == 0 ? 2 : 1));
      /* Hundreds of frames: at least one per KiB of raw bytes. */
      g_assert_cmpuint (raw / WEFT_SHUFFLE_MIN_BLOCK_SIZE, >, 100);
      g_assert_cmpuint (got->len, ==, p == 0 ? 3 : 2);
      g_assert_true (weft_batch_equal (got->pdata[p == 0 ? 1 : 0], big));
      g_assert_true (weft_batch_equal (got->pdata[p == 0 ? 0 : 1], small));
    }
}

/* A batch of one boolean column "b" of @rows rows: its encoding is 32 + rows bytes. */
static WeftBatch *
bool_batch (gsize rows)
{
  g_autoptr (WeftSchema) schema = weft_schema_new ();
  WeftBatch *b;

  weft_schema_add_field (schema, "b", WEFT_DATA_TYPE_BOOL, FALSE);
  b = weft_batch_new_empty (schema, rows);
  for (gsize i = 0; i < rows; i++)
    weft_column_append_bool (b->columns[0], i % 3 == 0);
  weft_batch_sync_rows (b);
  g_assert_cmpuint (weft_batch_get_encoded_size (b), ==, 32 + rows);
  return b;
}

static void
test_shuffle_block_boundaries (Fixture *fx, gconstpointer data)
{
  const gsize block = WEFT_SHUFFLE_MIN_BLOCK_SIZE;
  /* Encodings of exactly a block, one byte less and more, several blocks, and small ones that
   * end a block anywhere. */
  const gsize rows[] = { block - 32, block - 33, block - 31, 3 * block - 32, 0, 1, 500, 991, 992,
                         993, 4 * block, 7, block - 32 };
  g_autoptr (GError) error = NULL;
  g_autoptr (WeftShuffleWriter) w = NULL;
  g_autoptr (GPtrArray) sent = g_ptr_array_new_with_free_func ((GDestroyNotify) weft_batch_free);
  g_autoptr (WeftSchema) none = weft_schema_new ();
  g_autofree char *path = NULL;
  g_autofree guint64 *sizes = NULL;
  guint64 raw = 0, counted = 0;

  w = weft_shuffle_writer_new (fx->dir, 5, 0, 0, 2, block, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      WeftBatch *b = bool_batch (rows[i]);

      g_assert_true (weft_shuffle_writer_add (w, 0, b, &error));
      raw += 32 + rows[i];
      g_ptr_array_add (sent, b);
    }
  /* Partition 1: what count() sends, batches of no columns, only a row count each. */
  for (guint i = 0; i < 100; i++)
    {
      g_autoptr (WeftBatch) b = weft_batch_new (none, NULL, i * 1000);

      g_assert_true (weft_shuffle_writer_add (w, 1, b, &error));
    }
  g_assert_true (weft_shuffle_writer_commit (w, &path, &sizes, &error));
  g_assert_no_error (error);

  {
    g_autoptr (GBytes) seg = weft_shuffle_read_segment (path, 0, &error);
    g_autoptr (GPtrArray) got = g_ptr_array_new_with_free_func ((GDestroyNotify) weft_batch_free);
    const guint8 *d = g_bytes_get_data (seg, NULL);
    gsize len = g_bytes_get_size (seg), pos = 0;
    guint64 raw_seen = 0, got_raw = 0;

    /* Walk the frames by the documented layout: every block full but the last. */
    while (pos < len)
      {
        guint32 stored, raw_len;

        g_assert_cmpmem (d + pos, 4, "WSF1", 4);
        memcpy (&stored, d + pos + 4, 4);
        memcpy (&raw_len, d + pos + 8, 4);
        stored = GUINT32_FROM_LE (stored);
        raw_len = GUINT32_FROM_LE (raw_len);
        raw_seen += raw_len;
        pos += 16 + stored;
        g_assert_cmpuint (raw_len, ==, pos < len ? block : raw - (raw_seen - raw_len));
      }
    g_assert_cmpuint (pos, ==, len);
    g_assert_cmpuint (raw_seen, ==, raw);
    g_assert_true (weft_shuffle_decode_segment (seg, got, &got_raw, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (got_raw, ==, raw);
    g_assert_cmpuint (got->len, ==, sent->len);
    for (guint i = 0; i < got->len; i++)
      g_assert_true (weft_batch_equal (got->pdata[i], sent->pdata[i]));
  }
  {
    g_autoptr (GBytes) seg = weft_shuffle_read_segment (path, 1, &error);
    g_autoptr (GPtrArray) got = g_ptr_array_new_with_free_func ((GDestroyNotify) weft_batch_free);

    g_assert_true (weft_shuffle_decode_segment (seg, got, NULL, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (got->len, ==, 100);
    for (guint i = 0; i < got->len; i++)
      {
        const WeftBatch *b = got->pdata[i];

        g_assert_cmpuint (b->n_columns, ==, 0);
        counted += b->n_rows;
      }
    g_assert_cmpuint (counted, ==, 1000 * (99 * 100 / 2));
  }
}

/* Commits a small map output: partitions 1 to 3 of a few 1 KiB frames each, partition 0
 * empty. */
static Written *
write_small (const char *dir, guint shuffle_id)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (12 + shuffle_id);

  return write_random (dir, rand, shuffle_id, 4, WEFT_SHUFFLE_MIN_BLOCK_SIZE, 8, 0);
}

static void
flip_file_byte (const char *path, guint64 pos, guint8 mask)
{
  FILE *f = fopen (path, "r+b");
  int c;

  g_assert_nonnull (f);
  g_assert_cmpint (fseeko (f, (off_t) pos, SEEK_SET), ==, 0);
  c = fgetc (f);
  g_assert_cmpint (c, !=, EOF);
  g_assert_cmpint (fseeko (f, (off_t) pos, SEEK_SET), ==, 0);
  g_assert_cmpint (fputc (c ^ mask, f), !=, EOF);
  g_assert_cmpint (fclose (f), ==, 0);
}

static void
test_shuffle_flipped_byte (Fixture *fx, gconstpointer data)
{
  g_autoptr (Written) wr = write_small (fx->dir, 20);
  guint64 size = file_size (wr->data_path), start = 0;
  guint p = 0;

  g_assert_cmpuint (size, >, 1000);
  /* Every byte of the data file, one bit each (cycling), on disk: the partition holding it
   * reads, but does not decode. */
  for (guint64 pos = 0; pos < size; pos++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GBytes) seg = NULL;
      g_autoptr (GPtrArray) got = g_ptr_array_new ();
      guint8 mask = (guint8) (1u << (pos % 8));

      while (pos >= start + wr->sizes[p])
        start += wr->sizes[p++];
      flip_file_byte (wr->data_path, pos, mask);
      seg = weft_shuffle_read_segment (wr->data_path, p, &error);
      g_assert_no_error (error);
      g_assert_false (weft_shuffle_decode_segment (seg, got, NULL, &error));
      g_assert_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_CORRUPT);
      g_assert_nonnull (strstr (error->message, "frame at byte"));
      g_assert_cmpuint (got->len, ==, 0);
      flip_file_byte (wr->data_path, pos, mask);
    }
  assert_read_back (wr);
}

static void
test_shuffle_segment_damage (Fixture *fx, gconstpointer data)
{
  g_autoptr (Written) wr = write_small (fx->dir, 21);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) seg = weft_shuffle_read_segment (wr->data_path, 1, &error);
  gsize len = g_bytes_get_size (seg);
  g_autoptr (GRand) rand = g_rand_new_with_seed (13);

  g_assert_no_error (error);
  g_assert_cmpuint (len, >, 2 * 16);
  /* Every truncation but the empty one (an empty segment is an empty partition) is caught; so
   * is anything appended; so are random multi-byte flips. */
  for (gsize cut = 1; cut <= len + 20; cut++)
    {
      g_autofree guint8 *copy = g_malloc0 (cut);
      g_autoptr (GBytes) damaged = NULL;
      g_autoptr (GPtrArray) got = g_ptr_array_new ();

      if (cut == len)
        continue;
      memcpy (copy, g_bytes_get_data (seg, NULL), MIN (cut, len));
      damaged = g_bytes_new_take (g_steal_pointer (&copy), cut);
      g_assert_false (weft_shuffle_decode_segment (damaged, got, NULL, &error));
      g_assert_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_CORRUPT);
      g_assert_cmpuint (got->len, ==, 0);
      g_clear_error (&error);
    }
  for (int i = 0; i < 2000; i++)
    {
      g_autofree guint8 *copy = g_memdup2 (g_bytes_get_data (seg, NULL), len);
      g_autoptr (GBytes) damaged = NULL;
      g_autoptr (GPtrArray) got = g_ptr_array_new ();
      gsize at[4];
      int n = g_rand_int_range (rand, 1, 5);

      /* Distinct places, so that no two flips cancel out. */
      for (int k = 0; k < n; k++)
        {
          gboolean seen = FALSE;

          at[k] = (gsize) g_rand_int_range (rand, 0, (gint32) len);
          for (int j = 0; j < k; j++)
            seen |= at[j] == at[k];
          if (!seen)
            copy[at[k]] ^= (guint8) g_rand_int_range (rand, 1, 256);
        }
      damaged = g_bytes_new_take (g_steal_pointer (&copy), len);
      g_assert_false (weft_shuffle_decode_segment (damaged, got, NULL, &error));
      g_assert_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_CORRUPT);
      g_assert_cmpuint (got->len, ==, 0);
      g_clear_error (&error);
    }
}

static void
test_shuffle_truncated_data (Fixture *fx, gconstpointer data)
{
  g_autoptr (Written) wr = write_small (fx->dir, 22);
  guint64 size = file_size (wr->data_path);
  g_autofree char *contents = NULL;
  gsize len = 0;

  g_assert_true (g_file_get_contents (wr->data_path, &contents, &len, NULL));

  /* Shorter by one byte, then longer by one: the index no longer matches, for every partition. */
  for (int k = 0; k < 2; k++)
    {
      g_assert_cmpint (truncate (wr->data_path, (off_t) (k == 0 ? size - 1 : size + 1)), ==, 0);
      for (guint p = 0; p < wr->n_partitions; p++)
        {
          g_autoptr (GError) error = NULL;
          g_autoptr (GBytes) seg = weft_shuffle_read_segment (wr->data_path, p, &error);

          g_assert_null (seg);
          g_assert_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_CORRUPT);
        }
    }
  /* The whole file back: it reads again. */
  g_assert_true (g_file_set_contents (wr->data_path, contents, (gssize) len, NULL));
  assert_read_back (wr);
}

static char *
index_path_of (const char *data_path)
{
  g_assert_true (g_str_has_suffix (data_path, ".data"));
  return g_strdup_printf ("%.*s.index", (int) (strlen (data_path) - 5), data_path);
}

static void
test_shuffle_damaged_index (Fixture *fx, gconstpointer data)
{
  g_autoptr (Written) wr = write_small (fx->dir, 23);
  g_autofree char *index = index_path_of (wr->data_path);
  guint64 size = file_size (index);
  g_autoptr (GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize len = 0;

  g_assert_cmpuint (size, ==, 8 + 8 * (wr->n_partitions + 1) + 4);
  for (guint64 pos = 0; pos < size; pos++)
    for (int bit = 0; bit < 8; bit++)
      {
        g_autoptr (GBytes) seg = NULL;

        flip_file_byte (index, pos, (guint8) (1u << bit));
        seg = weft_shuffle_read_segment (wr->data_path, 1, &error);
        g_assert_null (seg);
        g_assert_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_CORRUPT);
        g_clear_error (&error);
        flip_file_byte (index, pos, (guint8) (1u << bit));
      }

  /* Truncated and emptied indexes. */
  g_assert_true (g_file_get_contents (index, &contents, &len, NULL));
  for (gsize cut = 0; cut < len; cut++)
    {
      g_autoptr (GBytes) seg = NULL;

      g_assert_true (g_file_set_contents (index, contents, (gssize) cut, NULL));
      seg = weft_shuffle_read_segment (wr->data_path, 0, &error);
      g_assert_null (seg);
      g_assert_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_CORRUPT);
      g_clear_error (&error);
    }
  g_assert_true (g_file_set_contents (index, contents, (gssize) len, NULL));

  /* Offsets out of order behind a valid checksum (a writer bug, not a disk's): still caught. */
  {
    g_autofree guint8 *bad = g_memdup2 (contents, len);
    guint64 big = GUINT64_TO_LE (G_MAXUINT64 / 2);
    guint32 crc;
    g_autoptr (GBytes) seg = NULL;

    memcpy (bad + 8 + 8 * 1, &big, 8);
    crc = GUINT32_TO_LE (weft_shuffle_crc32c (0, bad, len - 4));
    memcpy (bad + len - 4, &crc, 4);
    g_assert_true (g_file_set_contents (index, (const char *) bad, (gssize) len, NULL));
    seg = weft_shuffle_read_segment (wr->data_path, 0, &error);
    g_assert_null (seg);
    g_assert_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_CORRUPT);
    g_clear_error (&error);
    g_assert_true (g_file_set_contents (index, contents, (gssize) len, NULL));
  }

  /* A partition that is not there; a path that is not a data file; a missing index. */
  g_assert_null (weft_shuffle_read_segment (wr->data_path, wr->n_partitions, &error));
  g_assert_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION);
  g_clear_error (&error);
  g_assert_null (weft_shuffle_read_segment (index, 0, &error));
  g_assert_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION);
  g_clear_error (&error);
  g_assert_cmpint (g_unlink (index), ==, 0);
  g_assert_null (weft_shuffle_read_segment (wr->data_path, 0, &error));
  g_assert_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_IO);
}

static void
test_shuffle_uncommitted (Fixture *fx, gconstpointer data)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (14);
  g_autoptr (WeftBatch) big = mixed_batch (rand, 20000);
  g_autofree char *listing = NULL;

  {
    g_autoptr (GError) error = NULL;
    g_autoptr (WeftShuffleWriter) w
        = weft_shuffle_writer_new (fx->dir, 4, 0, 0, 3, WEFT_SHUFFLE_MIN_BLOCK_SIZE, &error);

    g_assert_no_error (error);
    g_assert_true (weft_shuffle_writer_add (w, 2, big, &error));
    g_assert_cmpuint (weft_shuffle_writer_get_bytes (w), >, 0);
    /* While it writes, only the data file's temporary name is visible (the scratch file is
     * unlinked). */
    listing = list_dir (fx->dir);
    g_assert_cmpstr (listing, ==, "shuffle_4_0_0.data.tmp");
  }
  g_clear_pointer (&listing, g_free);
  listing = list_dir (fx->dir);
  g_assert_cmpstr (listing, ==, "");
}

static void
test_shuffle_commit_files (Fixture *fx, gconstpointer data)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (15);
  g_autoptr (WeftBatch) b = mixed_batch (rand, 3000);
  g_autoptr (GError) error = NULL;
  g_autofree char *sub = g_build_filename (fx->dir, "a", "b", NULL);
  g_autofree char *path0 = NULL, *path1 = NULL, *listing = NULL, *expected = NULL;
  g_autofree guint64 *sizes0 = NULL;
  WeftShuffleWriter *w0, *w1;

  /* Two map tasks at once in a folder that does not exist yet. */
  w0 = weft_shuffle_writer_new (sub, 3, 5, 1, 2, 4096, &error);
  g_assert_no_error (error);
  w1 = weft_shuffle_writer_new (sub, 3, 6, 0, 2, 4096, &error);
  g_assert_no_error (error);
  g_assert_true (weft_shuffle_writer_add (w0, 1, b, &error));
  g_assert_true (weft_shuffle_writer_add (w1, 0, b, &error));
  g_assert_true (weft_shuffle_writer_commit (w0, &path0, &sizes0, &error));
  g_assert_no_error (error);
  g_assert_true (weft_shuffle_writer_commit (w1, &path1, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (sizes0[0], ==, 0);
  g_assert_cmpuint (sizes0[1], ==, file_size (path0));
  g_assert_cmpuint (weft_shuffle_writer_get_bytes (w0), ==, file_size (path0));
  /* Freeing a committed writer keeps its files. */
  weft_shuffle_writer_free (w0);
  weft_shuffle_writer_free (w1);

  expected = g_build_filename (sub, "shuffle_3_5_1.data", NULL);
  g_assert_cmpstr (path0, ==, expected);
  listing = list_dir (sub);
  g_assert_cmpstr (listing, ==,
                   "shuffle_3_5_1.data shuffle_3_5_1.index shuffle_3_6_0.data shuffle_3_6_0.index");
  {
    g_autoptr (GBytes) seg = weft_shuffle_read_segment (path1, 0, &error);
    g_autoptr (GPtrArray) got = g_ptr_array_new_with_free_func ((GDestroyNotify) weft_batch_free);

    g_assert_no_error (error);
    g_assert_true (weft_shuffle_decode_segment (seg, got, NULL, &error));
    g_assert_cmpuint (got->len, ==, 1);
    g_assert_true (weft_batch_equal (got->pdata[0], b));
  }
}

static void
touch (const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);

  g_assert_true (g_file_set_contents (path, "x", 1, NULL));
}

static void
test_shuffle_remove (Fixture *fx, gconstpointer data)
{
  g_autoptr (Written) a = write_small (fx->dir, 1);
  g_autoptr (Written) b = write_small (fx->dir, 12);
  g_autofree char *listing = NULL;

  /* Leftovers of a dead writer of shuffle 1, and names that only look alike. */
  touch (fx->dir, "shuffle_1_7_0.data.tmp");
  touch (fx->dir, "shuffle_1_7_0.index.tmp");
  touch (fx->dir, "shuffle_1_8_2.scratch-a1B2c3");
  touch (fx->dir, "shuffle_1_notes.txt");
  touch (fx->dir, "shuffle_1_0_0.data.bak");
  touch (fx->dir, "other");
  weft_shuffle_remove (fx->dir, 1);
  listing = list_dir (fx->dir);
  g_assert_cmpstr (listing, ==,
                   "other shuffle_12_0_0.data shuffle_12_0_0.index shuffle_1_0_0.data.bak "
                   "shuffle_1_notes.txt");
  assert_read_back (b);
  weft_shuffle_remove (fx->dir, 12);
  weft_shuffle_remove (fx->dir, 99);
  g_clear_pointer (&listing, g_free);
  listing = list_dir (fx->dir);
  g_assert_cmpstr (listing, ==, "other shuffle_1_0_0.data.bak shuffle_1_notes.txt");
}

static void
test_shuffle_bad_options (Fixture *fx, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *file = g_build_filename (fx->dir, "plain", NULL);
  g_autofree char *under_file = g_build_filename (file, "dir", NULL);

  g_assert_null (weft_shuffle_writer_new (fx->dir, 1, 0, 0, 4, 100, &error));
  g_assert_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION);
  g_clear_error (&error);
  g_assert_null (weft_shuffle_writer_new (fx->dir, 1, 0, 0, 4, WEFT_SHUFFLE_MAX_BLOCK_SIZE + 1,
                                          &error));
  g_assert_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION);
  g_clear_error (&error);
  g_assert_null (weft_shuffle_writer_new (fx->dir, 1, 0, 0, 0, 4096, &error));
  g_assert_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION);
  g_clear_error (&error);
  g_assert_true (g_file_set_contents (file, "", 0, NULL));
  g_assert_null (weft_shuffle_writer_new (under_file, 1, 0, 0, 4, 4096, &error));
  g_assert_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_IO);
  g_clear_error (&error);
  g_assert_null (weft_shuffle_read_segment (under_file, 0, &error));
  g_assert_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  g_test_add_func ("/engine/shuffle/crc32c/vectors", test_crc32c_vectors);
  g_test_add_func ("/engine/shuffle/crc32c/paths-agree", test_crc32c_paths_agree);
  g_test_add_func ("/engine/shuffle/codec/exact-bytes", test_codec_exact_bytes);
  g_test_add_func ("/engine/shuffle/codec/round-trip", test_codec_round_trip);
  g_test_add_func ("/engine/shuffle/codec/zero-columns-and-rows", test_codec_zero_columns_and_rows);
  g_test_add_func ("/engine/shuffle/codec/stream", test_codec_stream);
  g_test_add_func ("/engine/shuffle/codec/truncation", test_codec_truncation);
  g_test_add_func ("/engine/shuffle/codec/byte-flips", test_codec_byte_flips);
  g_test_add_func ("/engine/shuffle/codec/huge-counts", test_codec_huge_counts);
  ADD ("/engine/shuffle/files/round-trip", test_shuffle_round_trip);
  ADD ("/engine/shuffle/files/big-batch", test_shuffle_big_batch);
  ADD ("/engine/shuffle/files/block-boundaries", test_shuffle_block_boundaries);
  ADD ("/engine/shuffle/files/flipped-byte", test_shuffle_flipped_byte);
  ADD ("/engine/shuffle/files/segment-damage", test_shuffle_segment_damage);
  ADD ("/engine/shuffle/files/truncated-data", test_shuffle_truncated_data);
  ADD ("/engine/shuffle/files/damaged-index", test_shuffle_damaged_index);
  ADD ("/engine/shuffle/files/uncommitted", test_shuffle_uncommitted);
  ADD ("/engine/shuffle/files/commit-files", test_shuffle_commit_files);
  ADD ("/engine/shuffle/files/remove", test_shuffle_remove);
  ADD ("/engine/shuffle/files/bad-options", test_shuffle_bad_options);
#undef ADD
  return g_test_run ();
}
