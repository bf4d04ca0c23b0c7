/* dshell-rpc: weft-dshell's wire edge, the only file of the distributed shell that sees generated
 * Thrift types. The client half submits and watches an application (ClientService); the AM half
 * registers, allocates and finishes (ApplicationMasterService) and starts containers on their
 * NMs (ContainerManager). Everything is exchanged as the plain structs below. Errors: a peer's
 * declared exception is DSHELL_ERROR_REFUSED, a transport failure DSHELL_ERROR_UNREACHABLE. */
#pragma once

#include <glib.h>

#include "weft-conf.h"
#include "weft-rpc.h"
#include "weft-token.h"

G_BEGIN_DECLS

#define DSHELL_ERROR (dshell_error_quark ())
GQuark dshell_error_quark (void);

typedef enum {
  DSHELL_ERROR_USAGE,       /* bad arguments or configuration */
  DSHELL_ERROR_REFUSED,     /* the RM or an NM said no */
  DSHELL_ERROR_UNREACHABLE, /* the RM or an NM could not be reached */
  DSHELL_ERROR_FAILED,      /* the application or a container failed */
} DshellError;

/* "host:port" -> host and port; FALSE with a DSHELL_ERROR_USAGE error if malformed. */
gboolean dshell_split_address (const char *address, char **host, guint16 *port, GError **error);

/* ---- client: ClientService ---- */

typedef struct {
  char *state;          /* YARN's name: NEW, SUBMITTED, ACCEPTED, RUNNING, FINISHED, FAILED, KILLED */
  char *final_status;   /* UNDEFINED, SUCCEEDED, FAILED, KILLED */
  char *diagnostics;
  char *queue;
  char *am_host;
  char *tracking_url;
  double progress;
} DshellAppReport;

void dshell_app_report_clear (DshellAppReport *r);

typedef struct {
  const char *name;
  const char *queue;
  gint32 am_vcores;
  gint64 am_memory_mb;
  const char *const *am_argv;
  GHashTable *am_env;    /* (nullable) char* -> char* */
  gint32 max_attempts;   /* 0 = the RM's default */
} DshellSubmission;

typedef struct _DshellClient DshellClient;

/** @token: (nullable) (transfer none): the client token; NULL sends an empty one. */
DshellClient *dshell_client_new (const char *host, guint16 port, const WeftToken *token,
                                 const WeftRpcOptions *opts);
void dshell_client_free (DshellClient *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DshellClient, dshell_client_free)

/** Returns: (transfer full) (nullable): a new application id from the RM. */
char *dshell_client_new_application (DshellClient *c, GError **error);
gboolean dshell_client_submit (DshellClient *c, const char *app_id, const DshellSubmission *s,
                               GError **error);
gboolean dshell_client_get_app (DshellClient *c, const char *app_id, DshellAppReport *out,
                                GError **error);
gboolean dshell_client_kill (DshellClient *c, const char *app_id, const char *why, GError **error);

/* ---- application master: ApplicationMasterService and ContainerManager ---- */

typedef struct {
  char *container_id;
  char *node_id;        /* host:port of its NM */
  WeftToken *token;     /* the container token the NM checks */
} DshellContainer;

void dshell_container_free (DshellContainer *c);

typedef struct {
  char *container_id;
  char *reason;         /* SUCCEEDED, FAILED, KILLED_BY_AM, MEMORY_EXCEEDED, NODE_LOST, ... */
  gint32 exit_code;
  char *diagnostics;
} DshellStatus;

void dshell_status_free (DshellStatus *s);

typedef struct _DshellAm DshellAm;

/** @am_token: (transfer none): from WEFT_AM_TOKEN. */
DshellAm *dshell_am_new (const char *host, guint16 port, const WeftToken *am_token,
                         const WeftRpcOptions *opts);
void dshell_am_free (DshellAm *am);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DshellAm, dshell_am_free)

gboolean dshell_am_register (DshellAm *am, const char *host, GError **error);

/**
 * dshell_am_allocate:
 * @ask_count: containers to ask for now (0 = no new ask; an ask stays with the RM until granted)
 * @releases: (nullable): container ids given back
 * @allocated: (out) (transfer full): DshellContainer*
 * @completed: (out) (transfer full): DshellStatus*
 */
gboolean dshell_am_allocate (DshellAm *am, guint ask_count, gint32 vcores, gint64 memory_mb,
                             const char *const *releases, double progress, gint64 max_wait_ms,
                             GPtrArray **allocated, GPtrArray **completed, GError **error);
gboolean dshell_am_finish (DshellAm *am, gboolean succeeded, const char *diagnostics,
                           GError **error);

/**
 * dshell_am_start_container:
 * Starts @argv (with @env, nullable) in @c through its NM, authenticated by its container token.
 */
gboolean dshell_am_start_container (DshellAm *am, const DshellContainer *c,
                                    const char *const *argv, GHashTable *env, GError **error);

G_END_DECLS
