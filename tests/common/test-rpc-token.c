/* Tests for weft-rpc-token (token <-> wire, round trip) and weft-fs. */
#include <string.h>
#include <unistd.h>

#include "weft-fs.h"
#include "weft-rpc-token.h"

static void
test_round_trip (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WeftSecret) key = weft_secret_new_random (&error);
  g_autoptr(GBytes) ident = weft_token_identifier_new ("1", "container_1_0001_01_000001", NULL);
  g_autoptr(WeftToken) t = weft_token_sign (key, "container", ident, 1234567);
  g_autoptr(GObject) wire = G_OBJECT (weft_rpc_token_to_wire (t));
  g_autoptr(WeftToken) back = weft_rpc_token_from_wire (WEFT_TOKEN (wire));
  g_assert_nonnull (back);
  g_assert_cmpstr (back->kind, ==, "container");
  g_assert_true (g_bytes_equal (back->identifier, t->identifier));
  g_assert_true (g_bytes_equal (back->password, t->password));
  g_assert_cmpint (back->expiry_ms, ==, 1234567);
  /* What comes back verifies as what was sent. */
  g_assert_true (weft_token_verify (key, back, "container", 1000, &error));
  g_assert_no_error (error);
}

static void
test_empty (void)
{
  g_assert_null (weft_rpc_token_from_wire (NULL));
  g_autoptr(GObject) none = G_OBJECT (weft_rpc_token_to_wire (NULL));
  g_assert_cmpstr (WEFT_TOKEN (none)->kind, ==, "");
  g_assert_null (weft_rpc_token_from_wire (WEFT_TOKEN (none)));
}

static void
test_remove_tree (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("weft-fs-XXXXXX", &error);
  g_autofree char *outside = g_dir_make_tmp ("weft-fs-outside-XXXXXX", &error);
  g_autofree char *keep = g_build_filename (outside, "keep", NULL);
  g_assert_true (g_file_set_contents (keep, "x", -1, NULL));
  g_autofree char *deep = g_build_filename (dir, "a", "b", "c", NULL);
  g_assert_cmpint (g_mkdir_with_parents (deep, 0755), ==, 0);
  g_autofree char *f = g_build_filename (deep, "file", NULL);
  g_assert_true (g_file_set_contents (f, "data", -1, NULL));
  g_autofree char *link = g_build_filename (dir, "a", "link", NULL);
  g_assert_cmpint (symlink (outside, link), ==, 0);
  g_assert_true (weft_fs_remove_tree (dir, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));
  /* The link was removed, not what it pointed to. */
  g_assert_true (g_file_test (keep, G_FILE_TEST_EXISTS));
  /* Missing is fine. */
  g_assert_true (weft_fs_remove_tree (dir, &error));
  g_assert_true (weft_fs_remove_tree (outside, &error));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/common/rpc-token/round-trip", test_round_trip);
  g_test_add_func ("/common/rpc-token/empty", test_empty);
  g_test_add_func ("/common/fs/remove-tree", test_remove_tree);
  return g_test_run ();
}
