/* Resource tracker protocol, served by the RM (tracker port 8031), called by
 * NMs: register with resources, heartbeat with container statuses and
 * health; the answer says which containers to stop and what the node must do. */
include "common.thrift"
namespace c_glib weft

enum NodeAction {
  NODE_ACTION_NORMAL = 1,
  NODE_ACTION_RESYNC = 2,
  NODE_ACTION_SHUTDOWN = 3,
}

struct NodeHealth {
  1: bool healthy,
  2: string report,
  3: i64 last_check_ms,
}

struct NodeRegistration {
  1: string node_id,
  2: string http_address,
  3: common.Resource capability,
  4: string version,
  5: list<common.ContainerStatus> containers,
  6: string rack,
}

struct RegistrationResponse {
  1: NodeAction action,
  2: i64 rm_identifier,
  3: i64 heartbeat_interval_ms,
  4: string diagnostics,
}

struct NodeHeartbeat {
  1: string node_id,
  2: i64 response_id,
  3: list<common.ContainerStatus> containers,
  4: NodeHealth health,
}

struct ContainerStop {
  1: string container_id,
  2: common.ExitReason reason,
  3: string diagnostics,
}

struct HeartbeatResponse {
  1: i64 response_id,
  2: NodeAction action,
  3: list<ContainerStop> containers_to_stop,
  4: list<string> applications_to_cleanup,
  5: i64 heartbeat_interval_ms,
  6: string diagnostics,
}

service ResourceTracker {
  RegistrationResponse register_node (1: common.Token auth, 2: NodeRegistration registration)
      throws (1: common.WeftException err),
  HeartbeatResponse node_heartbeat (1: common.Token auth, 2: NodeHeartbeat heartbeat)
      throws (1: common.WeftException err),
  void unregister_node (1: common.Token auth, 2: string node_id)
      throws (1: common.WeftException err),
}
