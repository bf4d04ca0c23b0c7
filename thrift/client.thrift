/* Client protocol, served by the RM (client port 8032, admin port 8033):
 * applications, nodes, queues, metrics, staging of files, and admin.
 * Every call carries the caller's token as its first argument; with
 * security off it may be empty. */
include "common.thrift"
namespace c_glib weft

struct NewApplication {
  1: string application_id,
  2: common.Resource max_resource,
}

struct ApplicationSubmission {
  1: string application_id,
  2: string name,
  3: string queue,
  4: string user,
  5: string application_type,
  6: common.Resource am_resource,
  7: common.LaunchSpec am_launch,
  8: i32 max_attempts,
  9: optional list<string> tags,
  10: optional i32 priority,
  /* An unmanaged AM (client deploy mode) runs outside the cluster: the RM
   * issues its AM token to the submitter instead of launching a container. */
  11: optional bool unmanaged_am,
}

struct ApplicationReport {
  1: string application_id,
  2: string name,
  3: string user,
  4: string queue,
  5: string application_type,
  6: common.ApplicationState state,
  7: common.FinalStatus final_status,
  8: string diagnostics,
  9: string am_host,
  10: i32 am_rpc_port,
  11: string tracking_url,
  12: i64 submit_ms,
  13: i64 start_ms,
  14: i64 finish_ms,
  15: double progress,
  16: common.Resource used,
  17: i32 running_containers,
  18: string current_attempt_id,
  19: i32 attempt_count,
  20: optional common.Token am_token,
  /* The current attempt's last AllocateRequest.progress_detail, if any. */
  21: optional string progress_detail,
}

struct ApplicationFilter {
  1: list<common.ApplicationState> states,
  2: string queue,
  3: string user,
}

struct ContainerReport {
  1: string container_id,
  2: string node_id,
  3: string node_http_address,
  4: common.Resource resource,
  5: common.ContainerState state,
  6: common.ContainerStatus status,
  7: bool is_am,
}

struct NodeReport {
  1: string node_id,
  2: string http_address,
  3: string rack,
  4: common.NodeState state,
  5: common.Resource capability,
  6: common.Resource used,
  7: i32 num_containers,
  8: string health_report,
  9: i64 last_heartbeat_ms,
  10: string version,
}

enum QueueState {
  QUEUE_RUNNING = 1,
  QUEUE_STOPPED = 2,
}

struct QueueInfo {
  1: string path,
  2: double capacity,
  3: double max_capacity,
  4: double absolute_capacity,
  5: double used_capacity,
  6: QueueState state,
  7: i32 num_applications,
  8: i32 num_pending_applications,
  9: list<string> children,
  10: common.Resource used,
  11: double user_limit_factor,
  12: double max_am_share,
}

struct ClusterMetrics {
  1: i32 nodes_total,
  2: i32 nodes_active,
  3: i32 nodes_lost,
  4: i32 nodes_unhealthy,
  5: i32 nodes_decommissioned,
  6: i32 apps_submitted,
  7: i32 apps_pending,
  8: i32 apps_running,
  9: i32 apps_completed,
  10: i32 apps_failed,
  11: i32 apps_killed,
  12: common.Resource total,
  13: common.Resource used,
  14: common.Resource available,
  15: i32 containers_allocated,
  16: i32 containers_pending,
}

/* A client token for a user, issued by the RM to whoever can read the
 * cluster's client credentials; see docs/security. */
struct StagedChunk {
  1: string application_id,
  2: string name,
  3: i64 offset,
  4: binary data,
}

service ClientService {
  NewApplication new_application (1: common.Token auth)
      throws (1: common.WeftException err),
  void submit_application (1: common.Token auth, 2: ApplicationSubmission submission)
      throws (1: common.WeftException err),
  ApplicationReport get_application (1: common.Token auth, 2: string application_id)
      throws (1: common.WeftException err),
  list<ApplicationReport> list_applications (1: common.Token auth, 2: ApplicationFilter filter)
      throws (1: common.WeftException err),
  void kill_application (1: common.Token auth, 2: string application_id, 3: string diagnostics)
      throws (1: common.WeftException err),
  list<ContainerReport> list_containers (1: common.Token auth, 2: string application_id)
      throws (1: common.WeftException err),
  list<NodeReport> list_nodes (1: common.Token auth, 2: list<common.NodeState> states)
      throws (1: common.WeftException err),
  NodeReport get_node (1: common.Token auth, 2: string node_id)
      throws (1: common.WeftException err),
  list<QueueInfo> list_queues (1: common.Token auth)
      throws (1: common.WeftException err),
  ClusterMetrics get_cluster_metrics (1: common.Token auth)
      throws (1: common.WeftException err),
  /* Staging: chunks are written in order, then committed against the
   * whole file's size and SHA-256; NMs fetch committed files to localize. */
  void stage_chunk (1: common.Token auth, 2: StagedChunk chunk)
      throws (1: common.WeftException err),
  common.LocalResource stage_commit (1: common.Token auth, 2: string application_id,
                                     3: string name, 4: i64 size, 5: string sha256,
                                     6: bool executable)
      throws (1: common.WeftException err),
  binary fetch_staged (1: common.Token auth, 2: string application_id, 3: string name,
                       4: i64 offset, 5: i32 length)
      throws (1: common.WeftException err),
}

service AdminService {
  void decommission_node (1: common.Token auth, 2: string node_id)
      throws (1: common.WeftException err),
  void refresh_queues (1: common.Token auth)
      throws (1: common.WeftException err),
}
