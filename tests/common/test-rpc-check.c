/* Tests for weft-rpc-check: the message validator, on hand-built binary
 * protocol messages: valid ones pass with their header read back, and
 * every kind of lie about a length, a count, a type or the nesting, and
 * every field repeated in one struct, fails with a message that says what
 * was wrong. */
#include <string.h>

#include "weft-rpc.h"
#include "weft-rpc-check.h"

/* Wire type ids (T_STOP, T_LIST, ...) come from Thrift's protocol header,
 * which weft-rpc.h pulls in. */

static void
put_u8 (GByteArray *b, guint8 v)
{
  g_byte_array_append (b, &v, 1);
}

static void
put_i16 (GByteArray *b, gint16 v)
{
  guint8 x[2] = { (guint16) v >> 8, v & 0xff };
  g_byte_array_append (b, x, 2);
}

static void
put_i32 (GByteArray *b, gint32 v)
{
  guint32 u = (guint32) v;
  guint8 x[4] = { u >> 24, u >> 16, u >> 8, u };
  g_byte_array_append (b, x, 4);
}

static void
put_i64 (GByteArray *b, gint64 v)
{
  put_i32 (b, (gint32) ((guint64) v >> 32));
  put_i32 (b, (gint32) (v & 0xffffffff));
}

static void
put_str (GByteArray *b, const char *s)
{
  put_i32 (b, (gint32) strlen (s));
  g_byte_array_append (b, (const guint8 *) s, (guint) strlen (s));
}

static void
put_field (GByteArray *b, guint8 type, gint16 id)
{
  put_u8 (b, type);
  put_i16 (b, id);
}

static GByteArray *
call_header (const char *method, guint8 type)
{
  GByteArray *b = g_byte_array_new ();
  put_i32 (b, (gint32) (0x80010000u | type));
  put_str (b, method);
  put_i32 (b, 7);
  return b;
}

static gboolean
check (GByteArray *b, guint allowed, WeftRpcMessageInfo *info, GError **error)
{
  return weft_rpc_check_message (b->data, b->len, 64, allowed, info, error);
}

static void
test_valid (void)
{
  g_autoptr(GByteArray) b = call_header ("submit", 1);
  put_field (b, T_I64, 1);
  put_i64 (b, 42);
  put_field (b, T_STRING, 2);
  put_str (b, "hello");
  put_field (b, T_LIST, 3);
  put_u8 (b, T_STRUCT);
  put_i32 (b, 2);
  for (int i = 0; i < 2; i++)
    {
      put_field (b, T_BOOL, 1);
      put_u8 (b, 1);
      put_u8 (b, T_STOP);
    }
  put_field (b, T_MAP, 4);
  put_u8 (b, T_STRING);
  put_u8 (b, T_I32);
  put_i32 (b, 1);
  put_str (b, "k");
  put_i32 (b, 9);
  put_u8 (b, T_STOP);

  WeftRpcMessageInfo info;
  g_autoptr(GError) error = NULL;
  g_assert_true (check (b, WEFT_RPC_MSG_CALL, &info, &error));
  g_assert_no_error (error);
  g_assert_true (info.have_header);
  g_assert_cmpstr (info.method, ==, "submit");
  g_assert_cmpint (info.type, ==, 1);
  g_assert_cmpint (info.seqid, ==, 7);

  /* Every truncation fails cleanly (ASan would catch an over-read). */
  for (guint len = 0; len < b->len; len++)
    {
      g_autoptr(GError) e = NULL;
      g_assert_false (weft_rpc_check_message (b->data, len, 64, WEFT_RPC_MSG_CALL, NULL, &e));
      g_assert_error (e, WEFT_RPC_ERROR, WEFT_RPC_ERROR_BAD_MESSAGE);
    }
}

static void
expect_fail (GByteArray *b, guint allowed, const char *needle)
{
  g_autoptr(GError) error = NULL;
  g_assert_false (check (b, allowed, NULL, &error));
  g_assert_error (error, WEFT_RPC_ERROR, WEFT_RPC_ERROR_BAD_MESSAGE);
  if (strstr (error->message, needle) == NULL)
    g_error ("expected \"%s\" in \"%s\"", needle, error->message);
}

static void
test_huge_method_name (void)
{
  /* THRIFT-NOTES: 12 bytes whose name length is 0x7fffffff made the stock
   * decoder try to allocate 2 GiB. */
  g_autoptr(GByteArray) b = g_byte_array_new ();
  put_i32 (b, (gint32) 0x80010001u);
  put_i32 (b, 0x7fffffff);
  put_i32 (b, 0);
  expect_fail (b, WEFT_RPC_MSG_CALL, "method name length 2147483647");
}

static void
test_binary_past_frame (void)
{
  g_autoptr(GByteArray) b = call_header ("echo", 1);
  put_field (b, T_STRING, 1);
  put_i32 (b, 50 * 1024 * 1024);
  for (int i = 0; i < 1000; i++)
    put_u8 (b, 'x');
  expect_fail (b, WEFT_RPC_MSG_CALL, "string needs 52428800 bytes");
}

static void
test_list_count (void)
{
  g_autoptr(GByteArray) b = call_header ("count_items", 1);
  put_field (b, T_LIST, 1);
  put_u8 (b, T_STRUCT);
  put_i32 (b, 1 << 30);
  put_u8 (b, T_STOP);
  expect_fail (b, WEFT_RPC_MSG_CALL, "declares 1073741824 elements");
}

static void
test_negative_sizes (void)
{
  g_autoptr(GByteArray) a = call_header ("x", 1);
  put_field (a, T_STRING, 1);
  put_i32 (a, -5);
  expect_fail (a, WEFT_RPC_MSG_CALL, "negative length");

  g_autoptr(GByteArray) b = call_header ("x", 1);
  put_field (b, T_LIST, 1);
  put_u8 (b, T_I32);
  put_i32 (b, -1);
  expect_fail (b, WEFT_RPC_MSG_CALL, "negative size");
}

static GByteArray *
nested (guint depth)
{
  /* An unknown field holding structs nested @depth deep. */
  GByteArray *b = call_header ("ping", 1);
  for (guint i = 0; i < depth; i++)
    put_field (b, T_STRUCT, 99);
  for (guint i = 0; i <= depth; i++)
    put_u8 (b, T_STOP);
  return b;
}

static void
test_nesting (void)
{
  /* The top-level args struct is level 1, so 63 nested ones reach 64. */
  g_autoptr(GByteArray) ok = nested (63);
  g_autoptr(GError) error = NULL;
  g_assert_true (check (ok, WEFT_RPC_MSG_CALL, NULL, &error));
  g_assert_no_error (error);

  g_autoptr(GByteArray) over = nested (64);
  expect_fail (over, WEFT_RPC_MSG_CALL, "nesting deeper than 64");

  /* THRIFT-NOTES: 100,000 levels overflowed the stock skip()'s stack. */
  g_autoptr(GByteArray) deep = nested (100000);
  expect_fail (deep, WEFT_RPC_MSG_CALL, "nesting deeper than 64");

  /* Containers count as levels too. */
  g_autoptr(GByteArray) lists = call_header ("x", 1);
  put_field (lists, T_LIST, 1);
  for (int i = 0; i < 100; i++)
    {
      put_u8 (lists, T_LIST);
      put_i32 (lists, 1);
    }
  put_u8 (lists, T_I32);
  put_i32 (lists, 1);
  put_i32 (lists, 5);
  put_u8 (lists, T_STOP);
  expect_fail (lists, WEFT_RPC_MSG_CALL, "nesting deeper than 64");
}

static void
test_types_and_framing (void)
{
  g_autoptr(GByteArray) unknown = call_header ("x", 1);
  put_field (unknown, 17, 1); /* UTF16: never sent by our peers */
  expect_fail (unknown, WEFT_RPC_MSG_CALL, "unknown field type 17");

  g_autoptr(GByteArray) trailing = call_header ("x", 1);
  put_u8 (trailing, T_STOP);
  put_u8 (trailing, 0xAA);
  expect_fail (trailing, WEFT_RPC_MSG_CALL, "1 unexpected bytes after the message");

  g_autoptr(GByteArray) reply = call_header ("x", 2);
  put_u8 (reply, T_STOP);
  expect_fail (reply, WEFT_RPC_MSG_CALL, "unexpected message type 2");
  g_autoptr(GError) error = NULL;
  g_assert_true (check (reply, WEFT_RPC_MSG_REPLY, NULL, &error));

  g_autoptr(GByteArray) old = g_byte_array_new ();
  put_str (old, "ping"); /* unversioned header */
  put_u8 (old, 1);
  put_i32 (old, 0);
  put_u8 (old, T_STOP);
  expect_fail (old, WEFT_RPC_MSG_CALL, "not a strict binary-protocol message");

  g_autoptr(GByteArray) empty_name = call_header ("", 1);
  put_u8 (empty_name, T_STOP);
  expect_fail (empty_name, WEFT_RPC_MSG_CALL, "method name length 0");
}

static void
test_decode_cost (void)
{
  /* 1 M empty structs: 1 MB on the wire, ~100 MB decoded. Refused. */
  g_autoptr(GByteArray) b = call_header ("count_items", 1);
  put_field (b, T_LIST, 1);
  put_u8 (b, T_STRUCT);
  put_i32 (b, 1000000);
  for (int i = 0; i < 1000000; i++)
    put_u8 (b, T_STOP);
  put_u8 (b, T_STOP);
  expect_fail (b, WEFT_RPC_MSG_CALL, "decoding would take more than");

  /* The same count of i32 values decodes to about its own size: accepted. */
  g_autoptr(GByteArray) ints = call_header ("x", 1);
  put_field (ints, T_LIST, 1);
  put_u8 (ints, T_I32);
  put_i32 (ints, 1000000);
  for (int i = 0; i < 1000000; i++)
    put_i32 (ints, i);
  put_u8 (ints, T_STOP);
  g_autoptr(GError) error = NULL;
  g_assert_true (check (ints, WEFT_RPC_MSG_CALL, NULL, &error));
  g_assert_no_error (error);
}

static void
test_repeated_field (void)
{
  /* common.Token with its binary identifier twice: the stock reader freed
   * the first GByteArray with g_free() and glibc aborted the daemon. */
  g_autoptr(GByteArray) token = call_header ("launch_tasks", 1);
  put_field (token, T_STRUCT, 1);
  put_field (token, T_STRING, 1);
  put_str (token, "weft-app");
  put_field (token, T_STRING, 2);
  put_str (token, "a");
  put_field (token, T_I64, 3);
  put_i64 (token, 1);
  put_field (token, T_STRING, 2);
  put_str (token, "b");
  put_u8 (token, T_STOP);
  put_u8 (token, T_STOP);
  expect_fail (token, WEFT_RPC_MSG_CALL, "field 2 appears twice in one struct");

  /* A repeat is a repeat whatever the two types are. */
  g_autoptr(GByteArray) types = call_header ("x", 1);
  put_field (types, T_I32, 1);
  put_i32 (types, 1);
  put_field (types, T_STRING, 1);
  put_str (types, "one");
  put_u8 (types, T_STOP);
  expect_fail (types, WEFT_RPC_MSG_CALL, "field 1 appears twice");

  /* In a struct nested in a list: the second element repeats. */
  g_autoptr(GByteArray) nested = call_header ("count_items", 1);
  put_field (nested, T_LIST, 1);
  put_u8 (nested, T_STRUCT);
  put_i32 (nested, 2);
  put_field (nested, T_I32, 2);
  put_i32 (nested, 1);
  put_u8 (nested, T_STOP);
  put_field (nested, T_I32, 2);
  put_i32 (nested, 1);
  put_field (nested, T_I32, 2);
  put_i32 (nested, 1);
  put_u8 (nested, T_STOP);
  put_u8 (nested, T_STOP);
  expect_fail (nested, WEFT_RPC_MSG_CALL, "field 2 appears twice");

  /* The same ids in different structs are no repeat: in the parent and its
   * child, in sibling structs, in a map's key and value structs, and in the
   * parent again after the child ended. */
  g_autoptr(GByteArray) ok = call_header ("x", 1);
  put_field (ok, T_I32, 1);
  put_i32 (ok, 1);
  put_field (ok, T_STRUCT, 2);
  put_field (ok, T_I32, 1);
  put_i32 (ok, 1);
  put_field (ok, T_STRUCT, 2);
  put_field (ok, T_I32, 1);
  put_i32 (ok, 1);
  put_u8 (ok, T_STOP);
  put_u8 (ok, T_STOP);
  put_field (ok, T_LIST, 3);
  put_u8 (ok, T_STRUCT);
  put_i32 (ok, 3);
  for (int i = 0; i < 3; i++)
    {
      put_field (ok, T_I32, 1);
      put_i32 (ok, i);
      put_u8 (ok, T_STOP);
    }
  put_field (ok, T_MAP, 4);
  put_u8 (ok, T_STRUCT);
  put_u8 (ok, T_STRUCT);
  put_i32 (ok, 1);
  for (int i = 0; i < 2; i++)
    {
      put_field (ok, T_I32, 1);
      put_i32 (ok, i);
      put_u8 (ok, T_STOP);
    }
  put_u8 (ok, T_STOP);
  g_autoptr(GError) error = NULL;
  g_assert_true (check (ok, WEFT_RPC_MSG_CALL, NULL, &error));
  g_assert_no_error (error);
  /* ...but the parent's own field after the child is. */
  g_byte_array_set_size (ok, ok->len - 1);
  put_field (ok, T_STRUCT, 2);
  put_u8 (ok, T_STOP);
  put_u8 (ok, T_STOP);
  expect_fail (ok, WEFT_RPC_MSG_CALL, "field 2 appears twice");
}

/* A struct of bool fields with ids @ids, then, if @repeat is not NULL,
 * that id again. */
static GByteArray *
with_ids (const gint16 *ids, guint n, const gint16 *repeat)
{
  GByteArray *b = call_header ("x", 1);
  for (guint i = 0; i < n; i++)
    {
      put_field (b, T_BOOL, ids[i]);
      put_u8 (b, 1);
    }
  if (repeat != NULL)
    {
      put_field (b, T_BOOL, *repeat);
      put_u8 (b, 0);
    }
  put_u8 (b, T_STOP);
  return b;
}

static void
test_repeated_field_ids (void)
{
  /* Ids in the bitmap, at its edges, outside it, negative (the compiler
   * gives fields without an id negative ones) and the extremes. */
  static const gint16 edges[] = { 0, 1, 63, 64, 127, 128, 129, 1000, -1, -2, G_MININT16,
                                  G_MAXINT16, 255, 256, 4096 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GByteArray) all = with_ids (edges, G_N_ELEMENTS (edges), NULL);
  g_assert_true (check (all, WEFT_RPC_MSG_CALL, NULL, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (edges); i++)
    {
      g_autoptr(GByteArray) b = with_ids (edges, G_N_ELEMENTS (edges), &edges[i]);
      g_autofree char *want = g_strdup_printf ("field %d appears twice", edges[i]);
      expect_fail (b, WEFT_RPC_MSG_CALL, want);
    }

  /* 300 ids outside the bitmap: past the few kept beside it, the struct
   * uses its level's table. A repeat of the first, of one kept beside the
   * bitmap and of one in the table are each caught. */
  gint16 many[300];
  for (guint i = 0; i < G_N_ELEMENTS (many); i++)
    many[i] = (gint16) (i % 2 ? (gint) (200 + 7 * i) : -1 - (gint) i);
  g_autoptr(GByteArray) lots = with_ids (many, G_N_ELEMENTS (many), NULL);
  g_assert_true (check (lots, WEFT_RPC_MSG_CALL, NULL, &error));
  g_assert_no_error (error);
  const guint probes[] = { 0, 3, 7, 8, 9, 150, 299 };
  for (guint i = 0; i < G_N_ELEMENTS (probes); i++)
    {
      g_autoptr(GByteArray) b = with_ids (many, G_N_ELEMENTS (many), &many[probes[i]]);
      g_autofree char *want = g_strdup_printf ("field %d appears twice", many[probes[i]]);
      expect_fail (b, WEFT_RPC_MSG_CALL, want);
    }

  /* All 65536 ids in one struct pass; any one more is a repeat. */
  g_autofree gint16 *every = g_new (gint16, 65536);
  for (guint i = 0; i < 65536; i++)
    every[i] = (gint16) (guint16) (i * 40503u); /* odd: a permutation */
  g_autoptr(GByteArray) full = with_ids (every, 65536, NULL);
  g_assert_true (check (full, WEFT_RPC_MSG_CALL, NULL, &error));
  g_assert_no_error (error);
  const gint16 again = 12345;
  g_autoptr(GByteArray) over = with_ids (every, 65536, &again);
  expect_fail (over, WEFT_RPC_MSG_CALL, "field 12345 appears twice");
}

/* Structs that each overflow into their level's table: siblings reuse a
 * table cleared between them, and a child's ids do not leak into its
 * parent's (which keeps its own at its own level). */
static void
test_repeated_field_tables (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GByteArray) b = call_header ("x", 1);
  /* The args struct: ids 1000..1019, then a list of 50 structs each with
   * ids 1000..1019 and a child struct with the same, then 1020. */
  for (int id = 1000; id < 1020; id++)
    {
      put_field (b, T_BYTE, (gint16) id);
      put_u8 (b, 0);
    }
  put_field (b, T_LIST, 1);
  put_u8 (b, T_STRUCT);
  put_i32 (b, 50);
  for (int i = 0; i < 50; i++)
    {
      for (int id = 1000; id < 1020; id++)
        {
          put_field (b, T_BYTE, (gint16) id);
          put_u8 (b, 0);
        }
      put_field (b, T_STRUCT, 1);
      for (int id = 1000; id < 1020; id++)
        {
          put_field (b, T_BYTE, (gint16) id);
          put_u8 (b, 0);
        }
      put_u8 (b, T_STOP);
      put_u8 (b, T_STOP);
    }
  put_field (b, T_BYTE, 1020);
  put_u8 (b, 0);
  put_u8 (b, T_STOP);
  g_assert_true (check (b, WEFT_RPC_MSG_CALL, NULL, &error));
  g_assert_no_error (error);

  /* The args struct's table survived its children: 1005 again is caught. */
  g_byte_array_set_size (b, b->len - 1);
  put_field (b, T_BYTE, 1005);
  put_u8 (b, 0);
  put_u8 (b, T_STOP);
  expect_fail (b, WEFT_RPC_MSG_CALL, "field 1005 appears twice");

  /* Every level of a 64-deep nest takes a table: fine, and freed. */
  g_autoptr(GByteArray) deep = call_header ("x", 1);
  for (int level = 0; level < 64; level++)
    {
      for (int id = 2000; id < 2010; id++)
        {
          put_field (deep, T_BOOL, (gint16) id);
          put_u8 (deep, 1);
        }
      if (level < 63)
        put_field (deep, T_STRUCT, 1);
    }
  for (int level = 0; level < 64; level++)
    put_u8 (deep, T_STOP);
  g_assert_true (check (deep, WEFT_RPC_MSG_CALL, NULL, &error));
  g_assert_no_error (error);

  /* Linear: 100,000 structs that each need the table cost about as much to
   * check as their bytes, not 100,000 x 8 KiB of clearing. */
  g_autoptr(GByteArray) wide = call_header ("x", 1);
  put_field (wide, T_LIST, 1);
  put_u8 (wide, T_STRUCT);
  put_i32 (wide, 100000);
  for (int i = 0; i < 100000; i++)
    {
      for (int id = 3000; id < 3010; id++)
        {
          put_field (wide, T_BOOL, (gint16) id);
          put_u8 (wide, 1);
        }
      put_u8 (wide, T_STOP);
    }
  put_u8 (wide, T_STOP);
  gint64 start = g_get_monotonic_time ();
  g_assert_true (weft_rpc_check_message (wide->data, wide->len, 64, WEFT_RPC_MSG_CALL, NULL,
                                         &error));
  g_assert_no_error (error);
  g_test_message ("100,000 structs of 10 ids outside the bitmap (%u bytes): %.1f ms", wide->len,
                  (g_get_monotonic_time () - start) / 1e3);
}

static void
test_random (void)
{
  /* Random bytes behind a valid header, and wholly random buffers: every
   * one is judged without a crash or an over-read (ASan/UBSan builds). */
  GRand *rand = g_rand_new_with_seed (12345);
  guint passed = 0;
  for (int i = 0; i < 20000; i++)
    {
      g_autoptr(GByteArray) b = i % 2 ? call_header ("ping", 1) : g_byte_array_new ();
      guint n = g_rand_int_range (rand, 0, 200);
      for (guint j = 0; j < n; j++)
        put_u8 (b, (guint8) g_rand_int_range (rand, 0, 256));
      g_autoptr(GError) error = NULL;
      if (check (b, WEFT_RPC_MSG_CALL, NULL, &error))
        passed++;
      else
        g_assert_error (error, WEFT_RPC_ERROR, WEFT_RPC_ERROR_BAD_MESSAGE);
    }
  g_rand_free (rand);
  g_test_message ("%u of 20000 random messages happened to be well formed", passed);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/common/rpc-check/valid-and-truncated", test_valid);
  g_test_add_func ("/common/rpc-check/huge-method-name", test_huge_method_name);
  g_test_add_func ("/common/rpc-check/binary-past-frame", test_binary_past_frame);
  g_test_add_func ("/common/rpc-check/list-count", test_list_count);
  g_test_add_func ("/common/rpc-check/negative-sizes", test_negative_sizes);
  g_test_add_func ("/common/rpc-check/nesting", test_nesting);
  g_test_add_func ("/common/rpc-check/types-and-framing", test_types_and_framing);
  g_test_add_func ("/common/rpc-check/decode-cost", test_decode_cost);
  g_test_add_func ("/common/rpc-check/repeated-field", test_repeated_field);
  g_test_add_func ("/common/rpc-check/repeated-field-ids", test_repeated_field_ids);
  g_test_add_func ("/common/rpc-check/repeated-field-tables", test_repeated_field_tables);
  g_test_add_func ("/common/rpc-check/random", test_random);
  return g_test_run ();
}
