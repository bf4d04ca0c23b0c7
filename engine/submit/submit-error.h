/* submit-error: weft-submit's error domain, shared by its modules. Each code maps to one exit
 * status (weft-submit.c): USAGE 2, UNREACHABLE 3, the others 1. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SUBMIT_ERROR (submit_error_quark ())
GQuark submit_error_quark (void);

typedef enum {
  SUBMIT_ERROR_USAGE,       /* a bad flag, property, file or configuration: exit 2 */
  SUBMIT_ERROR_REFUSED,     /* the RM said no (its message and code): exit 1 */
  SUBMIT_ERROR_UNREACHABLE, /* the RM could not be reached: exit 3 */
  SUBMIT_ERROR_FAILED,      /* anything else (a file that changed while it was staged, ...) */
} SubmitError;

G_END_DECLS
