/* Application-master protocol, served by the RM (scheduler port 8030):
 * register, allocate (asks, releases; a long poll that answers as soon as
 * containers are granted), finish. The auth token is the attempt's AM token. */
include "common.thrift"
namespace c_glib weft

struct RegisterAmRequest {
  1: string host,
  2: i32 rpc_port,
  3: string tracking_url,
}

struct RegisterAmResponse {
  1: string application_id,
  2: string attempt_id,
  3: string queue,
  4: common.Resource max_capability,
  5: list<common.Container> containers_from_previous_attempts,
}

/* resource_name is "*" (any node) or a node id; with relax_locality a
 * node ask may fall back to any node. */
struct ResourceRequest {
  1: i32 priority,
  2: string resource_name,
  3: common.Resource capability,
  4: i32 num_containers,
  5: bool relax_locality,
  6: optional i64 allocation_request_id,
}

enum AmCommand {
  AM_COMMAND_NONE = 0,
  AM_COMMAND_RESYNC = 1,
  AM_COMMAND_SHUTDOWN = 2,
}

struct NodeUpdate {
  1: string node_id,
  2: common.NodeState state,
}

struct AllocateRequest {
  1: i64 response_id,
  2: list<ResourceRequest> asks,
  3: list<string> releases,
  4: double progress,
  5: i64 max_wait_ms,
  /* What the AM is doing, for clients to show: a Weft driver sends
   * "STAGE DONE RUNNING TOTAL" (engine/weft-progress.h) or "" when no stage
   * runs. Unset leaves the last one. The RM keeps at most 256 bytes of valid
   * UTF-8 without control characters (longer is cut, the rest replaced). */
  6: optional string progress_detail,
}

struct AllocateResponse {
  1: i64 response_id,
  2: list<common.Container> allocated,
  3: list<common.ContainerStatus> completed,
  4: list<NodeUpdate> updated_nodes,
  5: common.Resource headroom,
  6: i32 num_cluster_nodes,
  7: AmCommand command,
}

struct FinishAmRequest {
  1: common.FinalStatus final_status,
  2: string diagnostics,
  3: string tracking_url,
}

service ApplicationMasterService {
  RegisterAmResponse register_am (1: common.Token auth, 2: RegisterAmRequest request)
      throws (1: common.WeftException err),
  AllocateResponse allocate (1: common.Token auth, 2: AllocateRequest request)
      throws (1: common.WeftException err),
  void finish_am (1: common.Token auth, 2: FinishAmRequest request)
      throws (1: common.WeftException err),
}
