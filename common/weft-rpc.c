/* weft-rpc: shared RPC definitions. See weft-rpc.h. */
#include "weft-rpc.h"

#include <thrift/c_glib/thrift_application_exception.h>

G_DEFINE_QUARK (weft-rpc-error-quark, weft_rpc_error)
G_DEFINE_QUARK (weft-remote-error-quark, weft_remote_error)

void
weft_rpc_options_from_conf (WeftRpcOptions *opts, WeftConf *conf)
{
  opts->max_message_size = (gsize) weft_conf_get_size (conf, "rpc.max-message-size");
  opts->max_depth = (guint) weft_conf_get_int (conf, "rpc.max-depth");
  opts->connect_timeout_us = weft_conf_get_duration (conf, "rpc.connect-timeout");
  opts->call_timeout_us = weft_conf_get_duration (conf, "rpc.call-timeout");
  opts->idle_timeout_us = weft_conf_get_duration (conf, "rpc.idle-timeout");
  opts->retry_backoff_us = weft_conf_get_duration (conf, "rpc.retry-backoff");
  opts->max_connections = (guint) weft_conf_get_int (conf, "rpc.max-connections");
  opts->retries = (guint) weft_conf_get_int (conf, "rpc.retries");
}

static void (*stock_exception_finalize) (GObject *object);

static void
exception_finalize (GObject *object)
{
  stock_exception_finalize (object);
  /* The stock finalize stops here; run GObject's so the instance's own
   * bookkeeping is released. */
  GObjectClass *klass = g_type_class_peek (THRIFT_TYPE_APPLICATION_EXCEPTION);
  G_OBJECT_CLASS (g_type_class_peek_parent (klass))->finalize (object);
}

void
weft_rpc_init (void)
{
  static gsize once = 0;
  if (g_once_init_enter (&once))
    {
      /* Held for the life of the process so the patch cannot be undone. */
      GObjectClass *klass = g_type_class_ref (THRIFT_TYPE_APPLICATION_EXCEPTION);
      stock_exception_finalize = klass->finalize;
      klass->finalize = exception_finalize;
      g_once_init_leave (&once, 1);
    }
}

gboolean
weft_rpc_exception_set (weftWeftException **ex, weftErrorCode code, const char *format, ...)
{
  va_list ap;
  va_start (ap, format);
  g_autofree char *msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  if (ex == NULL)
    return FALSE;
  if (*ex != NULL)
    g_object_unref (*ex);
  *ex = g_object_new (WEFT_TYPE_WEFT_EXCEPTION, "code", (gint) code, "message", msg, NULL);
  return FALSE;
}

gboolean
weft_rpc_exception_from_error (weftWeftException **ex, weftErrorCode code, const GError *error)
{
  if (error != NULL && error->domain == WEFT_REMOTE_ERROR)
    code = (weftErrorCode) error->code;
  return weft_rpc_exception_set (ex, code, "%s", error ? error->message : "unknown error");
}

const char *
weft_rpc_error_code_name (int code)
{
  static const char *const names[] = {
    [WEFT_ERROR_CODE_UNKNOWN] = "UNKNOWN",
    [WEFT_ERROR_CODE_INVALID_ARGUMENT] = "INVALID_ARGUMENT",
    [WEFT_ERROR_CODE_NOT_FOUND] = "NOT_FOUND",
    [WEFT_ERROR_CODE_ALREADY_EXISTS] = "ALREADY_EXISTS",
    [WEFT_ERROR_CODE_PERMISSION_DENIED] = "PERMISSION_DENIED",
    [WEFT_ERROR_CODE_UNAUTHENTICATED] = "UNAUTHENTICATED",
    [WEFT_ERROR_CODE_RESOURCE_EXHAUSTED] = "RESOURCE_EXHAUSTED",
    [WEFT_ERROR_CODE_FAILED_PRECONDITION] = "FAILED_PRECONDITION",
    [WEFT_ERROR_CODE_UNAVAILABLE] = "UNAVAILABLE",
    [WEFT_ERROR_CODE_INTERNAL] = "INTERNAL",
    [WEFT_ERROR_CODE_TIMEOUT] = "TIMEOUT",
    [WEFT_ERROR_CODE_CANCELLED] = "CANCELLED",
  };
  if (code > 0 && (gsize) code < G_N_ELEMENTS (names) && names[code] != NULL)
    return names[code];
  return "UNKNOWN";
}
