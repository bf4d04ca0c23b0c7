/* Container manager protocol, served by each NM, called by the RM (to launch
 * AMs) and by AMs: start (each with its container token), stop, status,
 * logs. Nothing starts without a valid, unexpired, first-use container
 * token issued for this node. */
include "common.thrift"
namespace c_glib weft

struct StartContainerRequest {
  1: common.Token container_token,
  2: common.LaunchSpec launch,
}

struct ContainerFailure {
  1: string container_id,
  2: common.ErrorCode code,
  3: string message,
}

struct StartContainersResponse {
  1: list<string> started,
  2: list<ContainerFailure> failed,
}

struct StopContainersResponse {
  1: list<string> stopped,
  2: list<ContainerFailure> failed,
}

enum LogFile {
  LOG_STDOUT = 1,
  LOG_STDERR = 2,
}

/* A slice of a container log; eof is true when the container has ended and
 * next_offset is the end of the file (so --follow knows to stop). */
struct LogChunk {
  1: binary data,
  2: i64 next_offset,
  3: i64 size,
  4: bool eof,
}

service ContainerManager {
  StartContainersResponse start_containers (1: common.Token auth,
                                            2: list<StartContainerRequest> requests)
      throws (1: common.WeftException err),
  StopContainersResponse stop_containers (1: common.Token auth, 2: list<string> container_ids)
      throws (1: common.WeftException err),
  list<common.ContainerStatus> get_container_statuses (1: common.Token auth,
                                                       2: list<string> container_ids)
      throws (1: common.WeftException err),
  LogChunk fetch_log (1: common.Token auth, 2: string container_id, 3: LogFile file,
                      4: i64 offset, 5: i32 max_bytes)
      throws (1: common.WeftException err),
}
