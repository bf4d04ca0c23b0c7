/* nm-rpc: the NM's wire edge. The ContainerManager handler (start, stop,
 * status, logs: thin, the logic runs in nm-node on the main context) and
 * the heartbeat thread that registers this node with the RM and reports its
 * containers (nm-rpc-tracker.c). */
#pragma once

#include <thrift/c_glib/processor/thrift_processor.h>

#include "nm-node.h"
#include "weft-rpc.h"

G_BEGIN_DECLS

typedef struct {
  NmNode *node;
  GMainContext *context;
  WeftSecret *secret;          /* (nullable): checks container tokens before localizing */
  const char *work_dir;        /* localized files land here first */
  const char *rm_host;         /* where staged files are fetched from */
  guint16 rm_client_port;
  WeftRpcOptions opts;
} NmRpc;

ThriftProcessor *nm_rpc_container_processor_new (NmRpc *rpc);

typedef struct _NmTracker NmTracker;

typedef struct {
  const char *rm_host;
  guint16 rm_port;
  const char *node_id;
  const char *http_address;
  gint64 vcores, memory_mb;
  WeftSecret *secret;          /* (nullable): signs the node token */
  gint64 interval_us;
} NmTrackerConfig;

/** nm_tracker_start: registers, then heartbeats every interval on its own thread. */
NmTracker *nm_tracker_start (NmRpc *rpc, const NmTrackerConfig *config, const WeftRpcOptions *opts);
/**
 * nm_tracker_stop:
 * Stops the thread (no further heartbeats). The thread may be waiting on
 * the main context: call from another thread while the main context runs,
 * after nm_node_set_on_change (node, NULL, NULL) on the main thread.
 */
void nm_tracker_stop (NmTracker *tracker);

G_END_DECLS
