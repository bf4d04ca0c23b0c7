/* weft-nm-error: the NodeManager's error domain. Every fallible function under nodemanager/ reports
 * through WEFT_NM_ERROR with one of these codes; messages name the file, folder or command at fault
 * so they can go to an operator (or a container's diagnostics) as they are. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define WEFT_NM_ERROR (weft_nm_error_quark ())
GQuark weft_nm_error_quark (void);

typedef enum
{
  WEFT_NM_ERROR_INVALID,              /* a bad request: empty command, unsafe name, bad limit */
  WEFT_NM_ERROR_CGROUP_UNAVAILABLE,   /* a cgroup mode this machine cannot provide (says why) */
  WEFT_NM_ERROR_CGROUP,               /* a cgroup folder or file that cannot be made, read or written */
  WEFT_NM_ERROR_CGROUP_BUSY,          /* a cgroup that still holds processes, so it cannot be removed */
  WEFT_NM_ERROR_PROC,                 /* /proc (or a snapshot of it) that cannot be read or parsed */
  WEFT_NM_ERROR_LAUNCH,               /* a container that cannot be set up: folders, log files, fork */
  WEFT_NM_ERROR_NOT_FOUND,            /* a container this node does not know */
  WEFT_NM_ERROR_IO,                   /* a container's log or work file that cannot be read */
} WeftNmError;

G_END_DECLS
