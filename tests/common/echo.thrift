/* A tiny service for the RPC layer's tests and benchmark. */
include "common.thrift"
namespace c_glib weft

struct EchoItem {
  1: string id,
  2: i32 state,
  3: i64 a,
  4: i64 b,
  5: string note,
}

/* Every kind of container the c_glib reader reads, nested too, for the tests
 * of the element type checks that thrift/fix-generated.awk adds to the
 * generated readers (test-rpc.c decodes crafted bytes into it). The service
 * never sends it. */
struct EchoShapes {
  1: list<binary> blobs,
  2: list<i32> ints,
  3: list<EchoItem> items,
  4: list<common.ErrorCode> codes,
  5: list<list<i64>> nested,
  6: set<string> names,
  7: map<string, binary> blob_map,
  8: map<list<i32>, string> list_keys,
  9: map<i32, map<string, EchoItem>> map_of_maps,
  10: binary blob,
}

service Echo {
  i64 ping (1: i64 x),
  binary echo (1: binary data),
  i32 count_items (1: list<EchoItem> items),
  void sleep_ms (1: i32 ms),
  void fail (1: i32 code, 2: string message) throws (1: common.WeftException err),
  /* Not idempotent: adds to a server-side total and returns it. */
  i64 add (1: i64 x),
}
