/* weft-yarn-rpc: an application's calls to the cluster (the wire edge of weft-dshell and of the
 * engine's cluster backend; the only file of theirs that sees generated Thrift types). The client
 * half submits and watches an application (ClientService); the AM half
 * registers, allocates and finishes (ApplicationMasterService) and starts containers on their
 * NMs (ContainerManager). Everything is exchanged as the plain structs below. Errors: a peer's
 * declared exception is WEFT_YARN_ERROR_REFUSED, a transport failure WEFT_YARN_ERROR_UNREACHABLE. */
#pragma once

#include <glib.h>

#include "weft-conf.h"
#include "weft-rpc.h"
#include "weft-token.h"

G_BEGIN_DECLS

#define WEFT_YARN_ERROR (weft_yarn_error_quark ())
GQuark weft_yarn_error_quark (void);

typedef enum {
  WEFT_YARN_ERROR_USAGE,       /* bad arguments or configuration */
  WEFT_YARN_ERROR_REFUSED,     /* the RM or an NM said no */
  WEFT_YARN_ERROR_UNREACHABLE, /* the RM or an NM could not be reached */
  WEFT_YARN_ERROR_FAILED,      /* the application or a container failed */
} WeftYarnError;

/* "host:port" -> host and port; FALSE with a WEFT_YARN_ERROR_USAGE error if malformed. */
gboolean weft_yarn_split_address (const char *address, char **host, guint16 *port, GError **error);

/* ---- client: ClientService ---- */

typedef struct {
  char *state;          /* YARN's name: NEW, SUBMITTED, ACCEPTED, RUNNING, FINISHED, FAILED, KILLED */
  char *final_status;   /* UNDEFINED, SUCCEEDED, FAILED, KILLED */
  char *diagnostics;
  char *queue;
  char *am_host;
  char *tracking_url;
  double progress;
  char *am_token;       /* (nullable) encoded (weft_token_encode): an unmanaged AM's, for its submitter */
} WeftYarnAppReport;

void weft_yarn_app_report_clear (WeftYarnAppReport *r);

typedef struct {
  const char *name;
  const char *queue;
  gint32 am_vcores;
  gint64 am_memory_mb;
  const char *const *am_argv;
  GHashTable *am_env;    /* (nullable) char* -> char* */
  gint32 max_attempts;   /* 0 = the RM's default */
  const char *type;      /* (nullable) the application type, e.g. "WEFT" (default "DSHELL") */
  gboolean unmanaged;    /* client deploy mode: the submitter runs the AM itself */
} WeftYarnSubmission;

typedef struct _WeftYarnClient WeftYarnClient;

/** @token: (nullable) (transfer none): the client token; NULL sends an empty one. */
WeftYarnClient *weft_yarn_client_new (const char *host, guint16 port, const WeftToken *token,
                                 const WeftRpcOptions *opts);
void weft_yarn_client_free (WeftYarnClient *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WeftYarnClient, weft_yarn_client_free)

/** Returns: (transfer full) (nullable): a new application id from the RM. */
char *weft_yarn_client_new_application (WeftYarnClient *c, GError **error);
gboolean weft_yarn_client_submit (WeftYarnClient *c, const char *app_id, const WeftYarnSubmission *s,
                               GError **error);
gboolean weft_yarn_client_get_app (WeftYarnClient *c, const char *app_id, WeftYarnAppReport *out,
                                GError **error);
gboolean weft_yarn_client_kill (WeftYarnClient *c, const char *app_id, const char *why, GError **error);

/* ---- application master: ApplicationMasterService and ContainerManager ---- */

typedef struct {
  char *container_id;
  char *node_id;        /* host:port of its NM */
  WeftToken *token;     /* the container token the NM checks */
} WeftYarnContainer;

void weft_yarn_container_free (WeftYarnContainer *c);

typedef struct {
  char *container_id;
  char *reason;         /* SUCCEEDED, FAILED, KILLED_BY_AM, MEMORY_EXCEEDED, NODE_LOST, ... */
  gint32 exit_code;
  char *diagnostics;
} WeftYarnStatus;

void weft_yarn_status_free (WeftYarnStatus *s);

typedef struct _WeftYarnAm WeftYarnAm;

/** @am_token: (transfer none): from WEFT_AM_TOKEN. */
WeftYarnAm *weft_yarn_am_new (const char *host, guint16 port, const WeftToken *am_token,
                         const WeftRpcOptions *opts);
void weft_yarn_am_free (WeftYarnAm *am);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WeftYarnAm, weft_yarn_am_free)

gboolean weft_yarn_am_register (WeftYarnAm *am, const char *host, GError **error);

/**
 * weft_yarn_am_allocate:
 * @ask_count: containers to ask for now (0 = no new ask; an ask stays with the RM until granted)
 * @releases: (nullable): container ids given back
 * @detail: (nullable): the progress detail for clients (weft-progress.h); NULL leaves the last
 * @allocated: (out) (transfer full): WeftYarnContainer*
 * @completed: (out) (transfer full): WeftYarnStatus*
 */
gboolean weft_yarn_am_allocate (WeftYarnAm *am, guint ask_count, gint32 vcores, gint64 memory_mb,
                             const char *const *releases, double progress, const char *detail,
                             gint64 max_wait_ms,
                             GPtrArray **allocated, GPtrArray **completed, GError **error);
gboolean weft_yarn_am_finish (WeftYarnAm *am, gboolean succeeded, const char *diagnostics,
                           GError **error);

/* A file the NM puts in the container's folder before starting it (a staged file:
 * source "staging:<application id>/<name>", checked against its size and SHA-256). */
typedef struct {
  const char *name;
  const char *source;
  gint64 size;
  const char *sha256;
  gboolean executable;
} WeftYarnResource;

/**
 * weft_yarn_am_start_container:
 * @resources: (array length=n_resources) (nullable): files to localize first
 * Starts @argv (with @env, nullable) in @c through its NM, authenticated by its container token.
 */
gboolean weft_yarn_am_start_container (WeftYarnAm *am, const WeftYarnContainer *c,
                                       const char *const *argv, GHashTable *env,
                                       const WeftYarnResource *resources, guint n_resources,
                                       GError **error);

G_END_DECLS
