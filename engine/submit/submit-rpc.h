/* submit-rpc: weft-submit's wire edge, the only file of it that sees generated Thrift types. It
 * asks the RM (ClientService) for an application id, stages files for it (chunks in order, then
 * a commit the RM checks against the file's size and SHA-256), submits the application and reads
 * its report. Everything crosses as the plain structs below. Errors (SUBMIT_ERROR): a declared
 * exception of the RM is REFUSED, with the RM's message and code; a transport failure
 * UNREACHABLE. One thread at a time per client. */
#pragma once

#include <glib.h>

#include "submit-error.h"
#include "weft-conf.h"
#include "weft-token.h"

G_BEGIN_DECLS

/* A file staged with the RM, as a launch spec names it for the NM to localize. */
typedef struct {
  char *name;        /* its name in the container's work folder */
  char *source;      /* "staging:<application>/<name>" */
  gint64 size;
  char *sha256;      /* hex */
  gboolean executable;
} SubmitResource;

void submit_resource_free (SubmitResource *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SubmitResource, submit_resource_free)

typedef struct {
  const char *name;
  const char *queue;             /* (nullable) the RM's default queue */
  const char *type;              /* "WEFT" */
  gint32 am_vcores;
  gint64 am_memory_mb;
  const char *const *am_argv;
  GHashTable *am_env;            /* (nullable) char* -> char* */
  GPtrArray *resources;          /* (nullable) SubmitResource* to localize */
  gint32 max_attempts;           /* 0 = the RM's default */
} SubmitApplication;

typedef struct {
  char *state;          /* YARN's names: NEW, SUBMITTED, ACCEPTED, RUNNING, FINISHED, FAILED, KILLED */
  char *final_status;   /* UNDEFINED, SUCCEEDED, FAILED, KILLED */
  char *diagnostics;
  double progress;
  char *progress_detail; /* "" when the AM sent none */
} SubmitReport;

void submit_report_clear (SubmitReport *r);

typedef struct _SubmitClient SubmitClient;

/**
 * submit_client_new:
 * @token: (nullable) (transfer none): the client token; NULL sends an empty one (security off)
 * @conf: (transfer none): rpc.* timeouts, retries and message size
 */
SubmitClient *submit_client_new (const char *host, guint16 port, const WeftToken *token,
                                 WeftConf *conf);
void submit_client_free (SubmitClient *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SubmitClient, submit_client_free)

/** submit_client_address: (transfer none) "host:port" of the RM. */
const char *submit_client_address (SubmitClient *c);

/** submit_client_new_application: Returns: (transfer full) (nullable) a new application id. */
char *submit_client_new_application (SubmitClient *c, GError **error);

/**
 * submit_client_stage_file:
 * Stages the file at @path as @name for @app_id, streaming it in chunks while its SHA-256 is
 * computed; the RM makes it visible only if its size and checksum match.
 * Returns: (transfer full) (nullable): what a launch spec needs to localize it.
 */
SubmitResource *submit_client_stage_file (SubmitClient *c, const char *app_id, const char *path,
                                          const char *name, gboolean executable,
                                          GError **error);

/** submit_client_stage_bytes: as submit_client_stage_file(), for bytes in memory. */
SubmitResource *submit_client_stage_bytes (SubmitClient *c, const char *app_id, GBytes *data,
                                           const char *name, gboolean executable,
                                           GError **error);

gboolean submit_client_submit (SubmitClient *c, const char *app_id, const SubmitApplication *app,
                               GError **error);

/** submit_client_report: fills @out (cleared first) with the application's report. */
gboolean submit_client_report (SubmitClient *c, const char *app_id, SubmitReport *out,
                               GError **error);

G_END_DECLS
