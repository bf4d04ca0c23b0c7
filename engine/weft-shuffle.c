/* weft-shuffle: map output files and their reading (see weft-shuffle.h for the format).
 *
 * Writing. Each partition owns a buffer of less than block_size raw bytes. Batches are encoded
 * straight into that buffer when they fit, else into one shared scratch array and fed through;
 * every full block is compressed into a frame at once. Frames of all partitions interleave in
 * the order they fill, so they go to an unlinked scratch file and each partition remembers the
 * extents of its frames there; commit copies them into the data file partition by partition,
 * followed by the partition's last, partial block. Memory stays at about block_size per
 * partition plus two 1 MiB I/O buffers, whatever the map task writes; a map output that never
 * fills a block never touches the scratch file.
 *
 * Reading. A segment is decompressed frame by frame into one stream buffer; every complete
 * batch in it is decoded and the remainder (a batch cut across blocks) moved to the front, so
 * the buffer holds one block plus at most one batch. Batches are collected apart and handed to
 * the caller only once the whole segment has checked out. */

#include "weft-shuffle.h"

#include "weft-batch-codec.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <lz4.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define HAVE_SSE42_CRC 1
#include <nmmintrin.h>
#else
#define HAVE_SSE42_CRC 0
#endif

#define FRAME_MAGIC 0x31465357u /* "WSF1" little-endian */
#define INDEX_MAGIC 0x31495357u /* "WSI1" little-endian */
#define FRAME_HEADER_SIZE 16
#define INDEX_HEADER_SIZE 8
/* Output buffers of the scratch and data files, and the chunk of a copy: big enough that
 * syscalls cost nothing next to compression. */
#define IO_BUFFER_SIZE (1024 * 1024)
/* The largest batch encoding a writer accepts and a reader gathers: the stream buffer, a
 * GByteArray, must still hold it plus one block. */
#define MAX_BATCH_BYTES ((gsize) G_MAXUINT32 - 2 * WEFT_SHUFFLE_MAX_BLOCK_SIZE)
/* A scratch encoding past this is dropped after use rather than kept for the next batch. */
#define SCRATCH_KEEP_BYTES (16 * 1024 * 1024)

/* ---- CRC32C ------------------------------------------------------------------------------- */

#define CRC32C_POLY 0x82F63B78u /* Castagnoli, bit-reflected */

/* crc_table[0] is the classic byte table; crc_table[k][b] advances b's contribution by k more
 * zero bytes, so eight bytes are folded with eight lookups and no carried dependency. */
static guint32 crc_table[8][256];

static void
crc_table_init (void)
{
  static gsize done = 0;

  if (!g_once_init_enter (&done))
    return;
  for (guint i = 0; i < 256; i++)
    {
      guint32 c = i;

      for (int k = 0; k < 8; k++)
        c = (c & 1) ? (c >> 1) ^ CRC32C_POLY : c >> 1;
      crc_table[0][i] = c;
    }
  for (guint i = 0; i < 256; i++)
    for (int k = 1; k < 8; k++)
      crc_table[k][i] = (crc_table[k - 1][i] >> 8) ^ crc_table[0][crc_table[k - 1][i] & 0xff];
  g_once_init_leave (&done, 1);
}

guint32
weft_shuffle_crc32c_portable (guint32 crc, const void *data, gsize len)
{
  const guint8 *p = data;

  crc_table_init ();
  crc = ~crc;
  while (len > 0 && ((guintptr) p & 7) != 0)
    {
      crc = crc_table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
      len--;
    }
  while (len >= 8)
    {
      guint64 w;

      memcpy (&w, p, sizeof w);
      w = GUINT64_FROM_LE (w) ^ crc;
      crc = crc_table[7][w & 0xff] ^ crc_table[6][(w >> 8) & 0xff]
            ^ crc_table[5][(w >> 16) & 0xff] ^ crc_table[4][(w >> 24) & 0xff]
            ^ crc_table[3][(w >> 32) & 0xff] ^ crc_table[2][(w >> 40) & 0xff]
            ^ crc_table[1][(w >> 48) & 0xff] ^ crc_table[0][w >> 56];
      p += 8;
      len -= 8;
    }
  while (len-- > 0)
    crc = crc_table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
  return ~crc;
}

#if HAVE_SSE42_CRC
__attribute__ ((target ("sse4.2"))) static guint32
crc32c_sse42 (guint32 crc, const void *data, gsize len)
{
  const guint8 *p = data;
  guint64 c = ~crc;

  while (len > 0 && ((guintptr) p & 7) != 0)
    {
      c = _mm_crc32_u8 ((guint32) c, *p++);
      len--;
    }
  while (len >= 8)
    {
      guint64 w;

      memcpy (&w, p, sizeof w);
      c = _mm_crc32_u64 (c, w);
      p += 8;
      len -= 8;
    }
  while (len-- > 0)
    c = _mm_crc32_u8 ((guint32) c, *p++);
  return ~(guint32) c;
}
#endif

typedef guint32 (*CrcFunc) (guint32 crc, const void *data, gsize len);

static CrcFunc
crc_pick (void)
{
  static CrcFunc func = NULL;
  static gsize done = 0;

  if (g_once_init_enter (&done))
    {
      func = weft_shuffle_crc32c_portable;
#if HAVE_SSE42_CRC
      __builtin_cpu_init ();
      if (__builtin_cpu_supports ("sse4.2"))
        func = crc32c_sse42;
#endif
      g_once_init_leave (&done, 1);
    }
  return func;
}

guint32
weft_shuffle_crc32c (guint32 crc, const void *data, gsize len)
{
  return crc_pick () (crc, data, len);
}

/* ---- Little-endian fields ------------------------------------------------------------------ */

static inline void
put_u32 (guint8 *p, guint32 v)
{
  v = GUINT32_TO_LE (v);
  memcpy (p, &v, sizeof v);
}

static inline void
put_u64 (guint8 *p, guint64 v)
{
  v = GUINT64_TO_LE (v);
  memcpy (p, &v, sizeof v);
}

static inline guint32
get_u32 (const guint8 *p)
{
  guint32 v;

  memcpy (&v, p, sizeof v);
  return GUINT32_FROM_LE (v);
}

static inline guint64
get_u64 (const guint8 *p)
{
  guint64 v;

  memcpy (&v, p, sizeof v);
  return GUINT64_FROM_LE (v);
}

/* ---- Plain file I/O ------------------------------------------------------------------------ */

static gboolean
io_error (const char *path, const char *what, int saved_errno, GError **error)
{
  g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_IO, "shuffle file %s: %s failed: %s",
               path, what, g_strerror (saved_errno));
  return FALSE;
}

static gboolean
write_all (int fd, const guint8 *data, gsize len, const char *path, GError **error)
{
  while (len > 0)
    {
      ssize_t n = write (fd, data, MIN (len, (gsize) G_MAXSSIZE));

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return io_error (path, "write", errno, error);
        }
      data += n;
      len -= (gsize) n;
    }
  return TRUE;
}

/* Reads exactly @len bytes at @offset; a short file is ENODATA, for the caller to judge. */
static gboolean
pread_all (int fd, guint8 *data, gsize len, guint64 offset, int *out_errno)
{
  while (len > 0)
    {
      ssize_t n = pread (fd, data, MIN (len, (gsize) G_MAXSSIZE), (off_t) offset);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          *out_errno = n < 0 ? errno : ENODATA;
          return FALSE;
        }
      data += n;
      len -= (gsize) n;
      offset += (guint64) n;
    }
  return TRUE;
}

/* An append-only file behind a buffer; offset counts every byte appended, buffered or not. */
typedef struct
{
  int fd;
  const char *path; /* (not owned) for messages */
  guint64 offset;
  GByteArray *buf;
} Sink;

static void
sink_init (Sink *sink, int fd, const char *path)
{
  sink->fd = fd;
  sink->path = path;
  sink->offset = 0;
  sink->buf = g_byte_array_sized_new (IO_BUFFER_SIZE);
}

static void
sink_clear (Sink *sink)
{
  if (sink->fd >= 0)
    close (sink->fd);
  sink->fd = -1;
  g_clear_pointer (&sink->buf, g_byte_array_unref);
}

static gboolean
sink_flush (Sink *sink, GError **error)
{
  if (sink->buf->len == 0)
    return TRUE;
  if (!write_all (sink->fd, sink->buf->data, sink->buf->len, sink->path, error))
    return FALSE;
  g_byte_array_set_size (sink->buf, 0);
  return TRUE;
}

static gboolean
sink_append (Sink *sink, const guint8 *data, gsize len, GError **error)
{
  if (sink->buf->len + len > IO_BUFFER_SIZE && !sink_flush (sink, error))
    return FALSE;
  if (len >= IO_BUFFER_SIZE)
    {
      if (!write_all (sink->fd, data, len, sink->path, error))
        return FALSE;
    }
  else
    g_byte_array_append (sink->buf, data, (guint) len);
  sink->offset += len;
  return TRUE;
}

/* ---- Writer -------------------------------------------------------------------------------- */

/* A run of one partition's frames in the scratch file. */
typedef struct
{
  guint64 offset;
  guint64 len;
} Extent;

typedef struct
{
  GByteArray *buf; /* (nullable) raw bytes not yet in a frame, always < block_size */
  GArray *extents; /* (nullable) of Extent: its frames in the scratch file, in order */
  guint64 stored;  /* stored bytes of its frames so far */
} Partition;

struct _WeftShuffleWriter
{
  char *data_path;
  char *index_path;
  char *data_tmp;
  char *index_tmp;
  char *scratch_template; /* where the scratch file is made, when first needed */
  guint n_partitions;
  gsize block_size;
  Partition *parts;
  int data_fd;     /* the data file under its temporary name, open from the start */
  Sink scratch;    /* fd -1 until the first full block */
  GByteArray *encoded; /* a batch's encoding when it does not fit its partition's buffer */
  guint8 *frame;   /* header + LZ4 bound of one block */
  int frame_bound;
  guint64 stored_bytes;
  guint64 raw_bytes;
  gboolean committed;
  gboolean failed; /* an I/O error left the scratch file or a buffer in doubt */
};

WeftShuffleWriter *
weft_shuffle_writer_new (const char *dir, guint shuffle_id, guint map_id, guint attempt,
                         guint n_partitions, gsize block_size, GError **error)
{
  g_autoptr (WeftShuffleWriter) w = NULL;
  g_autofree char *base = NULL;

  g_return_val_if_fail (dir != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  if (n_partitions == 0 || n_partitions == G_MAXUINT)
    {
      g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION,
                   "shuffle %u: %u reduce partitions", shuffle_id, n_partitions);
      return NULL;
    }
  if (block_size < WEFT_SHUFFLE_MIN_BLOCK_SIZE || block_size > WEFT_SHUFFLE_MAX_BLOCK_SIZE)
    {
      g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION,
                   "shuffle block size %zu is not between %d and %d bytes", block_size,
                   WEFT_SHUFFLE_MIN_BLOCK_SIZE, WEFT_SHUFFLE_MAX_BLOCK_SIZE);
      return NULL;
    }
  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      io_error (dir, "mkdir", errno, error);
      return NULL;
    }

  w = g_new0 (WeftShuffleWriter, 1);
  w->data_fd = -1;
  w->scratch.fd = -1;
  w->n_partitions = n_partitions;
  w->block_size = block_size;
  base = g_strdup_printf ("shuffle_%u_%u_%u", shuffle_id, map_id, attempt);
  w->data_path = g_strdup_printf ("%s/%s.data", dir, base);
  w->index_path = g_strdup_printf ("%s/%s.index", dir, base);
  w->data_tmp = g_strdup_printf ("%s.tmp", w->data_path);
  w->index_tmp = g_strdup_printf ("%s.tmp", w->index_path);
  w->scratch_template = g_strdup_printf ("%s/%s.scratch-XXXXXX", dir, base);
  w->parts = g_new0 (Partition, n_partitions);
  w->encoded = g_byte_array_new ();
  w->frame_bound = LZ4_compressBound ((int) block_size);
  w->frame = g_malloc (FRAME_HEADER_SIZE + (gsize) w->frame_bound);

  /* Made now, though written only on commit, so a folder we cannot write to fails the task
   * before it computes anything. */
  w->data_fd = g_open (w->data_tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (w->data_fd < 0)
    {
      io_error (w->data_tmp, "create", errno, error);
      return NULL;
    }
  return g_steal_pointer (&w);
}

void
weft_shuffle_writer_free (WeftShuffleWriter *writer)
{
  if (writer == NULL)
    return;
  if (writer->data_fd >= 0)
    close (writer->data_fd);
  if (writer->scratch.buf != NULL || writer->scratch.fd >= 0)
    sink_clear (&writer->scratch);
  if (!writer->committed)
    {
      /* The data file may not exist yet (writer_new failed to make it): ENOENT is fine. */
      g_unlink (writer->data_tmp);
      g_unlink (writer->index_tmp);
    }
  for (guint i = 0; writer->parts != NULL && i < writer->n_partitions; i++)
    {
      if (writer->parts[i].buf != NULL)
        g_byte_array_unref (writer->parts[i].buf);
      if (writer->parts[i].extents != NULL)
        g_array_unref (writer->parts[i].extents);
    }
  g_free (writer->parts);
  if (writer->encoded != NULL)
    g_byte_array_unref (writer->encoded);
  g_free (writer->frame);
  g_free (writer->data_path);
  g_free (writer->index_path);
  g_free (writer->data_tmp);
  g_free (writer->index_tmp);
  g_free (writer->scratch_template);
  g_free (writer);
}

guint64
weft_shuffle_writer_get_bytes (const WeftShuffleWriter *writer)
{
  return writer->stored_bytes;
}

guint64
weft_shuffle_writer_get_raw_bytes (const WeftShuffleWriter *writer)
{
  return writer->raw_bytes;
}

static gboolean
open_scratch (WeftShuffleWriter *w, GError **error)
{
  g_autofree char *path = g_strdup (w->scratch_template);
  int fd = g_mkstemp_full (path, O_RDWR | O_CLOEXEC, 0600);

  if (fd < 0)
    return io_error (path, "create", errno, error);
  /* Unlinked at once: the space goes when the writer closes it, crash or not. */
  g_unlink (path);
  sink_init (&w->scratch, fd, w->scratch_template);
  return TRUE;
}

/* Compresses @len (<= block_size, > 0) raw bytes of partition @p into one frame appended to
 * @sink; frames that go to the scratch file are recorded in the partition's extents. */
static gboolean
emit_frame (WeftShuffleWriter *w, guint p, const guint8 *raw, gsize len, Sink *sink,
            GError **error)
{
  Partition *part = &w->parts[p];
  guint64 offset = sink->offset;
  int stored;
  gsize frame_len;

  stored = LZ4_compress_default ((const char *) raw, (char *) w->frame + FRAME_HEADER_SIZE,
                                 (int) len, w->frame_bound);
  if (stored <= 0)
    {
      g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_IO,
                   "shuffle file %s: LZ4 could not compress a block of %zu bytes", w->data_path,
                   len);
      return FALSE;
    }
  put_u32 (w->frame, FRAME_MAGIC);
  put_u32 (w->frame + 4, (guint32) stored);
  put_u32 (w->frame + 8, (guint32) len);
  put_u32 (w->frame + 12,
           weft_shuffle_crc32c (0, w->frame + FRAME_HEADER_SIZE, (gsize) stored));
  frame_len = FRAME_HEADER_SIZE + (gsize) stored;
  if (!sink_append (sink, w->frame, frame_len, error))
    return FALSE;
  w->stored_bytes += frame_len;
  part->stored += frame_len;

  if (sink == &w->scratch)
    {
      Extent *last;

      if (part->extents == NULL)
        part->extents = g_array_new (FALSE, FALSE, sizeof (Extent));
      last = part->extents->len > 0
                 ? &g_array_index (part->extents, Extent, part->extents->len - 1)
                 : NULL;
      /* Back-to-back frames of one partition (a big batch) make one extent: one copy. */
      if (last != NULL && last->offset + last->len == offset)
        last->len += frame_len;
      else
        {
          Extent e = { offset, frame_len };

          g_array_append_val (part->extents, e);
        }
    }
  return TRUE;
}

static gboolean
emit_to_scratch (WeftShuffleWriter *w, guint p, const guint8 *raw, gsize len, GError **error)
{
  if (w->scratch.fd < 0 && !open_scratch (w, error))
    return FALSE;
  return emit_frame (w, p, raw, len, &w->scratch, error);
}

/* Appends raw bytes to partition @p's stream, emitting every block that fills. */
static gboolean
feed (WeftShuffleWriter *w, guint p, const guint8 *data, gsize len, GError **error)
{
  Partition *part = &w->parts[p];

  while (len > 0)
    {
      gsize take;

      /* Whole blocks are compressed where they lie, without a copy into the buffer. */
      if (part->buf->len == 0 && len >= w->block_size)
        {
          if (!emit_to_scratch (w, p, data, w->block_size, error))
            return FALSE;
          data += w->block_size;
          len -= w->block_size;
          continue;
        }
      take = MIN (len, w->block_size - part->buf->len);
      g_byte_array_append (part->buf, data, (guint) take);
      data += take;
      len -= take;
      if (part->buf->len == w->block_size)
        {
          if (!emit_to_scratch (w, p, part->buf->data, part->buf->len, error))
            return FALSE;
          g_byte_array_set_size (part->buf, 0);
        }
    }
  return TRUE;
}

static gboolean
check_usable (const WeftShuffleWriter *w, GError **error)
{
  if (!w->failed)
    return TRUE;
  g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_IO,
               "shuffle file %s: the writer failed earlier", w->data_path);
  return FALSE;
}

gboolean
weft_shuffle_writer_add (WeftShuffleWriter *writer, guint partition, const WeftBatch *batch,
                         GError **error)
{
  Partition *part;
  gsize size;
  gboolean ok;

  g_return_val_if_fail (writer != NULL && batch != NULL, FALSE);
  g_return_val_if_fail (!writer->committed, FALSE);
  g_return_val_if_fail (partition < writer->n_partitions, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  if (!check_usable (writer, error))
    return FALSE;

  size = weft_batch_get_encoded_size (batch);
  if (size > MAX_BATCH_BYTES)
    {
      g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_TOO_LARGE,
                   "shuffle file %s: a batch of %zu rows encodes to %zu bytes, past the limit of "
                   "%zu",
                   writer->data_path, batch->n_rows, size, MAX_BATCH_BYTES);
      return FALSE;
    }
  part = &writer->parts[partition];
  if (part->buf == NULL)
    part->buf = g_byte_array_sized_new ((guint) writer->block_size);
  writer->raw_bytes += size;

  /* The common case, a batch that fits what is left of the block: encoded in place. */
  if (part->buf->len + size < writer->block_size)
    {
      weft_batch_encode (batch, part->buf);
      return TRUE;
    }
  g_byte_array_set_size (writer->encoded, 0);
  weft_batch_encode (batch, writer->encoded);
  ok = feed (writer, partition, writer->encoded->data, writer->encoded->len, error);
  if (writer->encoded->len > SCRATCH_KEEP_BYTES)
    {
      g_byte_array_unref (writer->encoded);
      writer->encoded = g_byte_array_new ();
    }
  if (!ok)
    writer->failed = TRUE;
  return ok;
}

/* Appends the scratch file's bytes [offset, offset + len) to @sink. */
static gboolean
copy_extent (WeftShuffleWriter *w, const Extent *e, Sink *sink, guint8 *chunk, GError **error)
{
  guint64 done = 0;

  while (done < e->len)
    {
      gsize n = (gsize) MIN (e->len - done, (guint64) IO_BUFFER_SIZE);
      int saved = 0;

      if (!pread_all (w->scratch.fd, chunk, n, e->offset + done, &saved))
        return io_error (w->scratch_template, "read", saved, error);
      if (!sink_append (sink, chunk, n, error))
        return FALSE;
      done += n;
    }
  return TRUE;
}

static gboolean
write_index (WeftShuffleWriter *w, const guint64 *offsets, GError **error)
{
  gsize n = w->n_partitions;
  gsize len = INDEX_HEADER_SIZE + (n + 1) * 8 + 4;
  g_autofree guint8 *buf = g_malloc (len);
  int fd;
  gboolean ok;

  put_u32 (buf, INDEX_MAGIC);
  put_u32 (buf + 4, (guint32) n);
  for (gsize i = 0; i <= n; i++)
    put_u64 (buf + INDEX_HEADER_SIZE + i * 8, offsets[i]);
  put_u32 (buf + len - 4, weft_shuffle_crc32c (0, buf, len - 4));

  fd = g_open (w->index_tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return io_error (w->index_tmp, "create", errno, error);
  ok = write_all (fd, buf, len, w->index_tmp, error);
  if (close (fd) != 0 && ok)
    ok = io_error (w->index_tmp, "close", errno, error);
  return ok;
}

/* Writes the data file in partition order and the index, both under their temporary names. */
static gboolean
write_files (WeftShuffleWriter *w, guint64 *offsets, GError **error)
{
  Sink data;
  g_autofree guint8 *chunk = NULL;
  gboolean ok = TRUE;

  if (w->scratch.fd >= 0)
    {
      if (!sink_flush (&w->scratch, error))
        return FALSE;
      chunk = g_malloc (IO_BUFFER_SIZE);
    }
  sink_init (&data, w->data_fd, w->data_tmp);
  for (guint p = 0; ok && p < w->n_partitions; p++)
    {
      Partition *part = &w->parts[p];

      offsets[p] = data.offset;
      for (guint i = 0; ok && part->extents != NULL && i < part->extents->len; i++)
        ok = copy_extent (w, &g_array_index (part->extents, Extent, i), &data, chunk, error);
      if (ok && part->buf != NULL && part->buf->len > 0)
        ok = emit_frame (w, p, part->buf->data, part->buf->len, &data, error);
      if (part->buf != NULL)
        g_clear_pointer (&part->buf, g_byte_array_unref);
      if (ok)
        g_warn_if_fail (data.offset - offsets[p] == part->stored);
    }
  offsets[w->n_partitions] = data.offset;
  if (ok)
    ok = sink_flush (&data, error);
  /* The sink does not own the descriptor: the writer closes it, once. */
  data.fd = -1;
  sink_clear (&data);
  if (!ok)
    return FALSE;
  ok = close (w->data_fd) == 0;
  w->data_fd = -1;
  if (!ok)
    return io_error (w->data_tmp, "close", errno, error);
  return write_index (w, offsets, error);
}

gboolean
weft_shuffle_writer_commit (WeftShuffleWriter *writer, char **data_path, guint64 **sizes,
                            GError **error)
{
  g_autofree guint64 *offsets = NULL;

  g_return_val_if_fail (writer != NULL, FALSE);
  g_return_val_if_fail (!writer->committed, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  if (!check_usable (writer, error))
    return FALSE;

  offsets = g_new (guint64, writer->n_partitions + 1);
  if (!write_files (writer, offsets, error))
    {
      writer->failed = TRUE;
      return FALSE;
    }
  /* The index last: a reader that finds it finds the data file too. */
  if (g_rename (writer->data_tmp, writer->data_path) != 0)
    {
      writer->failed = TRUE;
      return io_error (writer->data_path, "rename", errno, error);
    }
  if (g_rename (writer->index_tmp, writer->index_path) != 0)
    {
      int saved = errno;

      g_unlink (writer->data_path);
      writer->failed = TRUE;
      return io_error (writer->index_path, "rename", saved, error);
    }
  writer->committed = TRUE;
  if (writer->scratch.fd >= 0)
    sink_clear (&writer->scratch);

  if (data_path != NULL)
    *data_path = g_strdup (writer->data_path);
  if (sizes != NULL)
    {
      *sizes = g_new (guint64, writer->n_partitions);
      for (guint p = 0; p < writer->n_partitions; p++)
        (*sizes)[p] = offsets[p + 1] - offsets[p];
    }
  return TRUE;
}

/* ---- Reader -------------------------------------------------------------------------------- */

static gboolean
corrupt (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
corrupt (GError **error, const char *format, ...)
{
  g_autofree char *msg = NULL;
  va_list args;

  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_CORRUPT, msg);
  return FALSE;
}

/* Reads a whole small file: the index is 8 bytes per partition. */
static guint8 *
read_file (const char *path, gsize *out_len, GError **error)
{
  int fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  struct stat st;
  g_autofree guint8 *buf = NULL;
  int saved = 0;

  if (fd < 0)
    return io_error (path, "open", errno, error), NULL;
  if (fstat (fd, &st) != 0)
    {
      saved = errno;
      close (fd);
      return io_error (path, "stat", saved, error), NULL;
    }
  /* An index holds at most 2^32 offsets; a bigger one is damage, not something to allocate. */
  if ((guint64) st.st_size > INDEX_HEADER_SIZE + ((guint64) G_MAXUINT32 + 1) * 8 + 4
      || (guint64) st.st_size > G_MAXSIZE)
    {
      close (fd);
      return corrupt (error, "shuffle index %s: %" G_GUINT64_FORMAT " bytes is too big", path,
                      (guint64) st.st_size),
             NULL;
    }
  buf = g_malloc (MAX ((gsize) st.st_size, 1));
  if (!pread_all (fd, buf, (gsize) st.st_size, 0, &saved))
    {
      close (fd);
      return io_error (path, "read", saved, error), NULL;
    }
  close (fd);
  *out_len = (gsize) st.st_size;
  return g_steal_pointer (&buf);
}

/* Reads and checks the index beside @data_path: *out_offsets gets n + 1 offsets. */
static gboolean
read_index (const char *data_path, guint64 **out_offsets, guint *out_n, GError **error)
{
  g_autofree char *index_path = NULL;
  g_autofree guint8 *buf = NULL;
  g_autofree guint64 *offsets = NULL;
  gsize len = 0, plen = strlen (data_path);
  guint32 n;

  if (!g_str_has_suffix (data_path, ".data"))
    {
      g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION,
                   "shuffle file %s: not a .data file", data_path);
      return FALSE;
    }
  index_path = g_strdup_printf ("%.*s.index", (int) (plen - strlen (".data")), data_path);
  if ((buf = read_file (index_path, &len, error)) == NULL)
    return FALSE;
  if (len < INDEX_HEADER_SIZE + 8 + 4 || get_u32 (buf) != INDEX_MAGIC)
    return corrupt (error, "shuffle index %s: not an index (%zu bytes)", index_path, len);
  n = get_u32 (buf + 4);
  if ((len - INDEX_HEADER_SIZE - 4) / 8 - 1 != n || (len - INDEX_HEADER_SIZE - 4) % 8 != 0)
    return corrupt (error, "shuffle index %s: %zu bytes for %u partitions", index_path, len, n);
  if (get_u32 (buf + len - 4) != weft_shuffle_crc32c (0, buf, len - 4))
    return corrupt (error, "shuffle index %s: checksum mismatch", index_path);
  offsets = g_new (guint64, (gsize) n + 1);
  for (gsize i = 0; i <= n; i++)
    {
      offsets[i] = get_u64 (buf + INDEX_HEADER_SIZE + i * 8);
      if ((i == 0 && offsets[0] != 0) || (i > 0 && offsets[i] < offsets[i - 1]))
        return corrupt (error, "shuffle index %s: offset %zu out of order", index_path, i);
    }
  *out_offsets = g_steal_pointer (&offsets);
  *out_n = n;
  return TRUE;
}

GBytes *
weft_shuffle_read_segment (const char *data_path, guint reduce_id, GError **error)
{
  g_autofree guint64 *offsets = NULL;
  g_autofree guint8 *buf = NULL;
  guint n = 0;
  guint64 start, len;
  struct stat st;
  int fd, saved = 0;

  g_return_val_if_fail (data_path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  if (!read_index (data_path, &offsets, &n, error))
    return NULL;
  if (reduce_id >= n)
    {
      g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION,
                   "shuffle file %s: no reduce partition %u (it has %u)", data_path, reduce_id, n);
      return NULL;
    }
  fd = g_open (data_path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0)
    return io_error (data_path, "open", errno, error), NULL;
  if (fstat (fd, &st) != 0)
    {
      saved = errno;
      close (fd);
      return io_error (data_path, "stat", saved, error), NULL;
    }
  /* The size must match exactly: a truncated (or extended) data file is not what was written. */
  if ((guint64) st.st_size != offsets[n])
    {
      close (fd);
      return corrupt (error, "shuffle file %s: %" G_GUINT64_FORMAT " bytes, its index says %"
                             G_GUINT64_FORMAT,
                      data_path, (guint64) st.st_size, offsets[n]),
             NULL;
    }
  start = offsets[reduce_id];
  len = offsets[reduce_id + 1] - start;
  if (len > G_MAXSIZE)
    {
      close (fd);
      return corrupt (error, "shuffle file %s: partition %u of %" G_GUINT64_FORMAT " bytes",
                      data_path, reduce_id, len),
             NULL;
    }
  buf = g_malloc (MAX ((gsize) len, 1));
  if (!pread_all (fd, buf, (gsize) len, start, &saved))
    {
      close (fd);
      if (saved == ENODATA)
        return corrupt (error, "shuffle file %s: shorter than its index says", data_path), NULL;
      return io_error (data_path, "read", saved, error), NULL;
    }
  close (fd);
  return g_bytes_new_take (g_steal_pointer (&buf), (gsize) len);
}

/* Decodes every complete batch at the front of @stream into @out and moves what is left (the
 * start of a batch continued in the next frame) to the front. */
static gboolean
drain_stream (GByteArray *stream, GPtrArray *out, gsize frame_offset, GError **error)
{
  gsize pos = 0;

  while (stream->len - pos >= WEFT_BATCH_CODEC_HEADER_SIZE)
    {
      g_autoptr (GError) local = NULL;
      gsize size = 0, used = 0;
      WeftBatch *batch;

      if (!weft_batch_peek_encoded_size (stream->data + pos, stream->len - pos, &size, &local)
          || size > MAX_BATCH_BYTES)
        return corrupt (error, "shuffle segment: frame at byte %zu: bad batch header: %s",
                        frame_offset, local != NULL ? local->message : "too large");
      if (stream->len - pos < size)
        break;
      batch = weft_batch_decode (stream->data + pos, size, &used, &local);
      if (batch == NULL)
        return corrupt (error, "shuffle segment: frame at byte %zu: %s", frame_offset,
                        local->message);
      g_ptr_array_add (out, batch);
      pos += used;
    }
  if (pos > 0)
    {
      memmove (stream->data, stream->data + pos, stream->len - pos);
      g_byte_array_set_size (stream, (guint) (stream->len - pos));
    }
  return TRUE;
}

gboolean
weft_shuffle_decode_segment (GBytes *segment, GPtrArray *batches, guint64 *raw_bytes,
                             GError **error)
{
  g_autoptr (GPtrArray) out = NULL;
  g_autoptr (GByteArray) stream = NULL;
  const guint8 *data;
  gsize len, pos = 0, last_frame = 0;
  guint64 raw_total = 0;

  g_return_val_if_fail (segment != NULL && batches != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  data = g_bytes_get_data (segment, &len);
  out = g_ptr_array_new_with_free_func ((GDestroyNotify) weft_batch_free);
  stream = g_byte_array_new ();

  while (pos < len)
    {
      const guint8 *h = data + pos, *stored;
      guint32 stored_len, raw_len, crc, actual;
      int got;

      last_frame = pos;
      if (len - pos < FRAME_HEADER_SIZE)
        return corrupt (error, "shuffle segment: frame at byte %zu: truncated header (%zu bytes)",
                        pos, len - pos);
      stored_len = get_u32 (h + 4);
      raw_len = get_u32 (h + 8);
      crc = get_u32 (h + 12);
      if (get_u32 (h) != FRAME_MAGIC)
        return corrupt (error, "shuffle segment: frame at byte %zu: bad magic", pos);
      if (raw_len == 0 || raw_len > WEFT_SHUFFLE_MAX_BLOCK_SIZE || stored_len == 0
          || stored_len > (guint32) LZ4_compressBound ((int) raw_len))
        return corrupt (error,
                        "shuffle segment: frame at byte %zu: bad lengths (%u stored, %u raw)", pos,
                        stored_len, raw_len);
      if (stored_len > len - pos - FRAME_HEADER_SIZE)
        return corrupt (error,
                        "shuffle segment: frame at byte %zu: %u stored bytes past the end (%zu "
                        "left)",
                        pos, stored_len, len - pos - FRAME_HEADER_SIZE);
      stored = h + FRAME_HEADER_SIZE;
      actual = weft_shuffle_crc32c (0, stored, stored_len);
      if (actual != crc)
        return corrupt (error,
                        "shuffle segment: frame at byte %zu: checksum mismatch (stored %08x, "
                        "computed %08x)",
                        pos, crc, actual);
      if ((gsize) stream->len + raw_len > G_MAXUINT)
        return corrupt (error, "shuffle segment: frame at byte %zu: batch too large", pos);
      g_byte_array_set_size (stream, stream->len + raw_len);
      got = LZ4_decompress_safe ((const char *) stored,
                                 (char *) stream->data + stream->len - raw_len, (int) stored_len,
                                 (int) raw_len);
      if (got != (int) raw_len)
        return corrupt (error,
                        "shuffle segment: frame at byte %zu: block decompresses to %d bytes, not "
                        "%u",
                        pos, got, raw_len);
      raw_total += raw_len;
      if (!drain_stream (stream, out, pos, error))
        return FALSE;
      pos += FRAME_HEADER_SIZE + stored_len;
    }
  if (stream->len != 0)
    return corrupt (error, "shuffle segment: frame at byte %zu: the segment ends inside a batch",
                    last_frame);
  if (raw_bytes != NULL)
    *raw_bytes = raw_total;
  g_ptr_array_extend_and_steal (batches, g_steal_pointer (&out));
  return TRUE;
}

/* ---- Removal ------------------------------------------------------------------------------- */

static const char *
skip_digits (const char *s)
{
  const char *start = s;

  while (g_ascii_isdigit (*s))
    s++;
  return s > start ? s : NULL;
}

/* TRUE for "<map>_<attempt>" followed by ".data", ".index", either with ".tmp", or
 * ".scratch-XXXXXX": the rest of a name after "shuffle_<id>_". */
static gboolean
is_shuffle_file_rest (const char *s)
{
  if ((s = skip_digits (s)) == NULL || *s++ != '_' || (s = skip_digits (s)) == NULL)
    return FALSE;
  if (g_str_has_prefix (s, ".scratch-"))
    return strlen (s) == strlen (".scratch-XXXXXX");
  return g_str_equal (s, ".data") || g_str_equal (s, ".index") || g_str_equal (s, ".data.tmp")
         || g_str_equal (s, ".index.tmp");
}

void
weft_shuffle_remove (const char *dir, guint shuffle_id)
{
  g_autoptr (GDir) d = NULL;
  g_autofree char *prefix = g_strdup_printf ("shuffle_%u_", shuffle_id);
  g_autoptr (GError) local = NULL;
  const char *name;

  g_return_if_fail (dir != NULL);
  if ((d = g_dir_open (dir, 0, &local)) == NULL)
    {
      if (!g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_warning ("shuffle %u: cannot list %s: %s", shuffle_id, dir, local->message);
      return;
    }
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = NULL;

      if (!g_str_has_prefix (name, prefix) || !is_shuffle_file_rest (name + strlen (prefix)))
        continue;
      path = g_build_filename (dir, name, NULL);
      if (g_unlink (path) != 0 && errno != ENOENT)
        g_warning ("shuffle %u: cannot delete %s: %s", shuffle_id, path, g_strerror (errno));
    }
}
