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

service Echo {
  i64 ping (1: i64 x),
  binary echo (1: binary data),
  i32 count_items (1: list<EchoItem> items),
  void sleep_ms (1: i32 ms),
  void fail (1: i32 code, 2: string message) throws (1: common.WeftException err),
  /* Not idempotent: adds to a server-side total and returns it. */
  i64 add (1: i64 x),
}
