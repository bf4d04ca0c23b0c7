/* weft-engine-error: the engine's error domain. Every fallible engine function reports through
 * WEFT_ENGINE_ERROR with one of these codes; messages name the file and line (or option, column)
 * at fault, so they can go to the user as they are. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define WEFT_ENGINE_ERROR (weft_engine_error_quark ())
GQuark weft_engine_error_quark (void);

typedef enum
{
  WEFT_ENGINE_ERROR_BAD_OPTION,   /* an unknown option, or a value it does not accept */
  WEFT_ENGINE_ERROR_BAD_SCHEMA,   /* a schema that does not fit the request */
  WEFT_ENGINE_ERROR_IO,           /* a file or folder that cannot be found or read */
  WEFT_ENGINE_ERROR_MALFORMED,    /* input data rejected (CSV FAILFAST), naming file and line */
  WEFT_ENGINE_ERROR_TOO_LARGE,    /* a record past the configured size limit */
  WEFT_ENGINE_ERROR_CALLBACK,     /* a caller's callback failed without saying why */
  WEFT_ENGINE_ERROR_CORRUPT,      /* a damaged shuffle block or file: checksum, length or framing */
} WeftEngineError;

G_END_DECLS
