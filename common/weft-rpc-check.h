/* weft-rpc-check: validates one Thrift binary-protocol message (strict
 * header, then one struct) before the stock c_glib decoder sees it. It
 * checks every declared length and element count against the bytes left in
 * the frame, caps struct/container nesting, rejects unknown types, trailing
 * bytes and any field id that comes twice in one struct, and bounds the
 * memory that decoding may take. It walks the message once (linear) and
 * allocates nothing, except that a struct with more than 8 field ids outside
 * 0..127 takes an 8 KiB table for its nesting level, at most one per level
 * per call, freed before it returns. It does not know the IDL: that each
 * value has the type the IDL gives it is the generated readers' check
 * (thrift/fix-generated.awk adds it for container elements). A message that
 * passes cannot make the decoder over-allocate, read across the frame,
 * recurse past the cap or free a repeated field's value wrongly. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Message types (Thrift's T_CALL .. T_ONEWAY) as bits for @allowed_types. */
#define WEFT_RPC_MSG_CALL      (1u << 1)
#define WEFT_RPC_MSG_REPLY     (1u << 2)
#define WEFT_RPC_MSG_EXCEPTION (1u << 3)
#define WEFT_RPC_MSG_ONEWAY    (1u << 4)

#define WEFT_RPC_MAX_METHOD_NAME 127

typedef struct {
  gboolean have_header;     /* method, type and seqid below are valid */
  char method[WEFT_RPC_MAX_METHOD_NAME + 1];
  guint8 type;
  gint32 seqid;
} WeftRpcMessageInfo;

/**
 * weft_rpc_check_message:
 * @buf: (array length=len): one frame's payload
 * @max_depth: deepest struct/container nesting accepted (the top struct is 1)
 * @allowed_types: WEFT_RPC_MSG_* bits
 * @info: (out) (optional): the header, filled as far as it could be parsed,
 *   so a server can answer a bad call with an exception
 * Returns: TRUE if the decoder may safely read @buf; otherwise FALSE with
 *   WEFT_RPC_ERROR_BAD_MESSAGE naming the offset and what was wrong
 *   ("field 2 appears twice in one struct", ...).
 * Thread-safe; pure.
 */
gboolean weft_rpc_check_message (const guint8 *buf, gsize len, guint max_depth,
                                 guint allowed_types, WeftRpcMessageInfo *info,
                                 GError **error);

G_END_DECLS
