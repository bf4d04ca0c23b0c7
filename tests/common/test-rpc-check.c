/* Tests for weft-rpc-check: the message validator, on hand-built binary
 * protocol messages: valid ones pass with their header read back, and
 * every kind of lie about a length, a count, a type or the nesting fails
 * with a message that says what was wrong. */
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
  g_test_add_func ("/common/rpc-check/random", test_random);
  return g_test_run ();
}
