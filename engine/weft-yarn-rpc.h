/* weft-yarn-rpc: an application's calls to the cluster (the wire edge of weft-submit, weft-dshell
 * and the engine's cluster backend; the only file of theirs that sees generated Thrift types). The
 * client half gets an application id, stages files with the RM, submits and watches an application
 * (ClientService); the AM half registers, allocates and finishes (ApplicationMasterService) and
 * starts containers on their NMs (ContainerManager). Everything is exchanged as the plain structs
 * below. Errors: a peer's declared exception is WEFT_YARN_ERROR_REFUSED, a transport failure
 * WEFT_YARN_ERROR_UNREACHABLE; weft_yarn_exit_status() turns them into the tools' exit codes.
 * One thread at a time per client or AM. */
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

/**
 * weft_yarn_exit_status:
 * The exit status the tools (weft-submit, weft-dshell) give for @error: 2 for a usage error
 * (WEFT_YARN_ERROR_USAGE, or any WEFT_CONF_ERROR), 3 when the RM or an NM was unreachable, 1 for
 * anything else.
 */
int weft_yarn_exit_status (const GError *error);

/* "host:port" -> host and port; FALSE with a WEFT_YARN_ERROR_USAGE error if malformed. */
gboolean weft_yarn_split_address (const char *address, char **host, guint16 *port, GError **error);

/* A file the NM puts in the container's folder before starting it (a staged file:
 * source "staging:<application id>/<name>", checked against its size and SHA-256). The strings
 * belong to whoever filled it in: weft_yarn_client_stage_file() fills them with copies, which
 * weft_yarn_resource_clear() frees. Used both to submit an AM and to start a container. */
typedef struct {
  char *name;           /* its name in the container's work folder */
  char *source;
  gint64 size;
  char *sha256;         /* hex */
  gboolean executable;
} WeftYarnResource;

/** Frees the strings of a resource a staging call filled in, and zeroes it. */
void weft_yarn_resource_clear (WeftYarnResource *r);

/* ---- client: ClientService ---- */

typedef struct {
  char *state;          /* YARN's name: NEW, SUBMITTED, ACCEPTED, RUNNING, FINISHED, FAILED, KILLED */
  char *final_status;   /* UNDEFINED, SUCCEEDED, FAILED, KILLED */
  char *diagnostics;
  char *queue;
  char *am_host;
  char *tracking_url;
  double progress;
  char *progress_detail; /* the AM's, for a progress bar (weft-progress.h); "" if it sent none */
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
  const WeftYarnResource *am_resources; /* (array length=n_am_resources) (nullable) to localize */
  guint n_am_resources;
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

/**
 * weft_yarn_client_stage_file:
 * @out: (out caller-allocates): on success, what a launch spec needs to localize the file (free
 *   with weft_yarn_resource_clear()); zeroed on failure
 * Stages the file at @path as @name for @app_id, streaming it in chunks while its SHA-256 is
 * computed; the RM makes it visible only if its size and checksum match. A file that cannot be
 * read is WEFT_YARN_ERROR_FAILED.
 */
gboolean weft_yarn_client_stage_file (WeftYarnClient *c, const char *app_id, const char *path,
                                      const char *name, gboolean executable,
                                      WeftYarnResource *out, GError **error);

/** weft_yarn_client_stage_bytes: as weft_yarn_client_stage_file(), for @data in memory. */
gboolean weft_yarn_client_stage_bytes (WeftYarnClient *c, const char *app_id, GBytes *data,
                                       const char *name, gboolean executable,
                                       WeftYarnResource *out, GError **error);

gboolean weft_yarn_client_submit (WeftYarnClient *c, const char *app_id, const WeftYarnSubmission *s,
                               GError **error);
/** weft_yarn_client_get_app: fills @out (cleared first) with the application's report. */
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
