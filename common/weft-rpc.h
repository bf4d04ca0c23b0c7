/* weft-rpc: what the RPC server, client and handlers share. The error
 * domains (WEFT_RPC_ERROR for the wire, WEFT_REMOTE_ERROR for errors a peer
 * declared, coded by the IDL's ErrorCode), the options read from the
 * [rpc] config group, helpers that turn GErrors into the declared
 * WeftException and back, and the one-time fix of the stock library's
 * leaking classes. */
#pragma once

#include <glib.h>

#include "weft-conf.h"
#include "weft_common_types.h"

G_BEGIN_DECLS

#define WEFT_RPC_ERROR (weft_rpc_error_quark ())
GQuark weft_rpc_error_quark (void);

typedef enum {
  WEFT_RPC_ERROR_BAD_FRAME,    /* frame header zero or over rpc.max-message-size */
  WEFT_RPC_ERROR_BAD_MESSAGE,  /* message failed weft_rpc_check_message() */
  WEFT_RPC_ERROR_TOO_LARGE,    /* we were asked to send more than the limit */
  WEFT_RPC_ERROR_REMOTE,       /* peer answered with a Thrift application exception */
} WeftRpcError;

/* Errors a peer declared through WeftException; the code is the IDL's
 * ErrorCode (WEFT_ERROR_CODE_NOT_FOUND, ...). */
#define WEFT_REMOTE_ERROR (weft_remote_error_quark ())
GQuark weft_remote_error_quark (void);

typedef struct {
  gsize max_message_size;
  guint max_depth;
  gint64 connect_timeout_us;
  gint64 call_timeout_us;
  gint64 idle_timeout_us;
  gint64 retry_backoff_us;
  guint max_connections;
  guint retries;
} WeftRpcOptions;

/**
 * weft_rpc_options_from_conf:
 * Fills @opts from the [rpc] group of @conf (transfer none).
 */
void weft_rpc_options_from_conf (WeftRpcOptions *opts, WeftConf *conf);

/**
 * weft_rpc_init:
 * Idempotent, thread-safe. Replaces the finalize of the stock library's
 * ThriftApplicationException, which does not chain up and leaks every
 * instance. Called by the server and client constructors.
 */
void weft_rpc_init (void);

/**
 * weft_rpc_exception_set:
 * For handlers: sets *@ex to a new WeftException (transfer full to the
 * processor) with @code and a formatted message. Returns FALSE so a handler
 * can `return weft_rpc_exception_set (ex, ...)`.
 */
gboolean weft_rpc_exception_set (weftWeftException **ex, weftErrorCode code,
                                 const char *format, ...) G_GNUC_PRINTF (3, 4);

/**
 * weft_rpc_exception_from_error:
 * For handlers: as weft_rpc_exception_set() with @error's message. A
 * WEFT_REMOTE_ERROR keeps its code; anything else gets @code.
 */
gboolean weft_rpc_exception_from_error (weftWeftException **ex, weftErrorCode code,
                                        const GError *error);

/**
 * weft_rpc_error_code_name:
 * Returns: (transfer none) "NOT_FOUND" etc. for an ErrorCode.
 */
const char *weft_rpc_error_code_name (int code);

G_END_DECLS
