/* cluster-harness: a real local cluster for integration tests: an RM and N
 * NMs on loopback with ephemeral ports, in a temporary folder, security on
 * with a generated secret. Every daemon gets PR_SET_PDEATHSIG, so even a
 * test that aborts leaves no daemon behind; cluster_free() stops them all
 * and checks that they are gone. Plus a client of the RM authenticated
 * with a client token, and a client of any NM. */
#pragma once

#include <glib.h>

#include "weft-rpc-client.h"
#include "weft-token.h"

typedef struct {
  char *dir;
  char *conf_dir;
  WeftSecret *secret;
  GPid rm_pid;
  GPid nm_pids[8];
  char *nm_ids[8];          /* host:port */
  guint n_nms;
  guint16 client_port, scheduler_port, tracker_port, admin_port;
  WeftRpcOptions opts;
} Cluster;

/** cluster_start: RM and @n_nms NMs, waits until every node is RUNNING.
 * @extra_conf: (nullable) "group.key=value" given to every daemon. */
Cluster *cluster_start (guint n_nms, const char *const *extra_conf);
void cluster_free (Cluster *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Cluster, cluster_free)

/** cluster_kill_nm: SIGKILL (@hard) or SIGTERM node @i and reap it. */
void cluster_kill_nm (Cluster *c, guint i, gboolean hard);

/** cluster_client_token: (transfer full) a client token for the current user. */
WeftToken *cluster_client_token (Cluster *c);

/** cluster_rm_client: (transfer full) a ClientService client. */
WeftRpcClient *cluster_rm_client (Cluster *c);

/** cluster_nm_client: (transfer full) a ContainerManager client of node @i. */
WeftRpcClient *cluster_nm_client (Cluster *c, guint i);

/**
 * cluster_am_register:
 * For a test program run as an AM in a container: registers with the RM
 * from WEFT_AM_TOKEN and WEFT_RM_SCHEDULER_ADDRESS and, if @finish, then
 * finishes SUCCEEDED. Returns 0, or 1 with the error printed.
 */
int cluster_am_register (gboolean finish);

/** cluster_pids_matching: pids whose command line contains @needle. */
GArray *cluster_pids_matching (const char *needle);

/* ---- an application master for tests (AM protocol), step by step ---- */

typedef struct _ClusterAm ClusterAm;

/** cluster_am_new: an AM of the attempt @token is for, on the RM scheduler port at @address
 * ("host:port"). */
ClusterAm *cluster_am_new (const char *address, const WeftToken *token);
/** cluster_am_new_from_env: from WEFT_RM_SCHEDULER_ADDRESS and WEFT_AM_TOKEN, as the NM gives an
 * AM its environment; NULL (with a message on stderr) if they are missing. */
ClusterAm *cluster_am_new_from_env (void);
void cluster_am_free (ClusterAm *am);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClusterAm, cluster_am_free)
gboolean cluster_am_register_am (ClusterAm *am, GError **error);
/** cluster_am_heartbeat: an allocate without asks, reporting @progress and, unless NULL,
 * @progress_detail (sent as given, any bytes). */
gboolean cluster_am_heartbeat (ClusterAm *am, double progress, const char *progress_detail,
                               GError **error);
gboolean cluster_am_finish (ClusterAm *am, gboolean succeeded, const char *diagnostics,
                            GError **error);

/**
 * cluster_submit_unmanaged:
 * Submits an application with an unmanaged AM (as a client-mode driver does) and returns the AM
 * token the RM gives its submitter. @app_id: (out) (transfer full).
 */
WeftToken *cluster_submit_unmanaged (Cluster *c, char **app_id);

/**
 * cluster_app_progress_detail:
 * Returns: (transfer full) (nullable): the application report's progress_detail, NULL if the
 *   report has none.
 */
char *cluster_app_progress_detail (Cluster *c, const char *app_id);
