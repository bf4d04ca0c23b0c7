/* weft-cli: what the files of the admin CLI `weft` share. weft-cli-rpc.c is the wire edge: it
 * calls the RM's ClientService and AdminService and the NMs' ContainerManager, and turns every
 * Thrift report into JSON with stable keys; that JSON is what --json prints and what the tables
 * (weft-cli-table.c) are drawn from, so the two outputs cannot disagree. weft-cli-token.c finds
 * the client token. weft-cli.c parses the command line and maps errors to the exit codes. */
#pragma once

#include <stdio.h>

#include <json-glib/json-glib.h>

#include "weft-conf.h"
#include "weft-token.h"

G_BEGIN_DECLS

/* Exit codes scripts can trust (docs/cli.md). */
typedef enum {
  WEFT_CLI_EXIT_OK = 0,
  WEFT_CLI_EXIT_REFUSED = 1,     /* the RM or an NM answered no: not found, denied, unavailable... */
  WEFT_CLI_EXIT_USAGE = 2,       /* bad command line or configuration */
  WEFT_CLI_EXIT_UNREACHABLE = 3, /* the RM (or an NM) could not be reached */
} WeftCliExit;

#define WEFT_CLI_ERROR (weft_cli_error_quark ())
GQuark weft_cli_error_quark (void);

typedef enum {
  WEFT_CLI_ERROR_USAGE,       /* a bad argument (an unknown state name...) */
  WEFT_CLI_ERROR_TOKEN,       /* no usable client token */
  WEFT_CLI_ERROR_REFUSED,     /* a peer answered with an error */
  WEFT_CLI_ERROR_UNREACHABLE, /* a peer could not be reached, or the connection broke */
} WeftCliError;

/** weft_cli_exit_code: Returns: the exit code for @error (transfer none). */
WeftCliExit weft_cli_exit_code (const GError *error);

/* ---- weft-cli-token.c ---------------------------------------------------------------------- */

/**
 * weft_cli_token_load:
 * @out: (out) (transfer full) (nullable): the client token; NULL when security.enabled is false
 *   (the RM then takes an empty token)
 * @source: (out) (transfer full) (optional): where it came from, for -v
 *
 * With security on, in order: the file named by $WEFT_CLIENT_TOKEN_FILE, <conf dir>/client.token,
 * else a token signed for the current user with the cluster secret if this user can read it.
 * Returns: TRUE, or FALSE with a WEFT_CLI_ERROR_TOKEN error saying what to do.
 */
gboolean weft_cli_token_load (WeftConf *conf, WeftToken **out, char **source, GError **error);

/**
 * weft_cli_token_issue:
 * Signs a client token for @user valid for @valid_us (0 = never expires) with the cluster secret.
 * Returns: (transfer full) (nullable): the encoded token, or NULL with @error set.
 */
char *weft_cli_token_issue (WeftConf *conf, const char *user, gint64 valid_us, GError **error);

/* ---- weft-cli-rpc.c ------------------------------------------------------------------------ */

typedef struct _WeftCliRpc WeftCliRpc;

/**
 * weft_cli_rpc_new:
 * @token: (transfer none) (nullable): the client token; NULL sends an empty one
 * Returns: (transfer full): clients of the RM at rm.hostname (client and admin ports); NMs are
 *   reached at their node ids. Nothing connects until the first call.
 */
WeftCliRpc *weft_cli_rpc_new (WeftConf *conf, const WeftToken *token);
void weft_cli_rpc_free (WeftCliRpc *rpc);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WeftCliRpc, weft_cli_rpc_free)

/* Every call below returns (transfer full) JSON, or NULL/FALSE with a WEFT_CLI_ERROR set:
 * REFUSED with the peer's message, UNREACHABLE with the address and what to check, USAGE for a
 * state name that does not exist. State names are YARN's (RUNNING, FINISHED...), any case. */

/** @states: (nullable): node states to list; NULL or empty = all. Returns: a JSON array. */
JsonNode *weft_cli_rpc_list_nodes (WeftCliRpc *rpc, const char *const *states, GError **error);
/** Returns: a JSON object (a node report). */
JsonNode *weft_cli_rpc_get_node (WeftCliRpc *rpc, const char *node_id, GError **error);
/** @states: (nullable): NULL or empty = all; @queue, @user: (nullable). Returns: a JSON array. */
JsonNode *weft_cli_rpc_list_apps (WeftCliRpc *rpc, const char *const *states, const char *queue,
                                  const char *user, GError **error);
/** Returns: a JSON object (an application report). */
JsonNode *weft_cli_rpc_get_app (WeftCliRpc *rpc, const char *app_id, GError **error);
gboolean weft_cli_rpc_kill_app (WeftCliRpc *rpc, const char *app_id, const char *why,
                                GError **error);
/** Returns: a JSON array of container reports. */
JsonNode *weft_cli_rpc_list_containers (WeftCliRpc *rpc, const char *app_id, GError **error);
/** Returns: a JSON array of queues. */
JsonNode *weft_cli_rpc_list_queues (WeftCliRpc *rpc, GError **error);
/** Returns: a JSON object. */
JsonNode *weft_cli_rpc_cluster_metrics (WeftCliRpc *rpc, GError **error);
gboolean weft_cli_rpc_decommission (WeftCliRpc *rpc, const char *node_id, GError **error);

/**
 * weft_cli_rpc_fetch_log:
 * @node_id: "host:port" of the container's NM
 * @file: "stdout" or "stderr"
 * @data: (out) (transfer full): the bytes from @offset
 * @next_offset: (out): where the next read starts
 * @eof: (out): the container has ended and @next_offset is the end of the file
 */
gboolean weft_cli_rpc_fetch_log (WeftCliRpc *rpc, const char *node_id, const char *container_id,
                                 const char *file, gint64 offset, GBytes **data,
                                 gint64 *next_offset, gboolean *eof, GError **error);

/** weft_cli_rpc_is_final_app_state: Returns: whether @state (a name) is an end state. */
gboolean weft_cli_rpc_is_final_app_state (const char *state);

/* ---- weft-cli-table.c ---------------------------------------------------------------------- */

typedef struct _WeftCliTable WeftCliTable;

/** weft_cli_table_new: @headers: (array zero-terminated=1) column names. Returns: (transfer full). */
WeftCliTable *weft_cli_table_new (const char *const *headers);
/** weft_cli_table_add_row: @cells: as many as there are headers (NULL prints as empty). */
void weft_cli_table_add_row (WeftCliTable *table, const char *const *cells);
/** weft_cli_table_print: Each column padded to its widest cell, two spaces between columns. */
void weft_cli_table_print (WeftCliTable *table, FILE *out);
void weft_cli_table_free (WeftCliTable *table);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WeftCliTable, weft_cli_table_free)

/** weft_cli_print_json: Prints @node pretty, with a final newline. */
void weft_cli_print_json (JsonNode *node, FILE *out);

/* Readers of the reports' JSON that tolerate a missing member (0, "" or NULL). */
const char *weft_cli_json_str (JsonObject *o, const char *member);
gint64 weft_cli_json_int (JsonObject *o, const char *member);
double weft_cli_json_double (JsonObject *o, const char *member);
/** weft_cli_json_sub_int: member @sub of object member @member, e.g. ("used", "vcores"). */
gint64 weft_cli_json_sub_int (JsonObject *o, const char *member, const char *sub);

G_END_DECLS
