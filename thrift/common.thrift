/* Types shared by every Weft protocol: ids, resources, tokens, states,
 * container launch specs and exit reasons, and the one declared exception.
 * Ids are strings in YARN's spelling (application_<ms>_<seq>, ...);
 * common/weft-ids.c parses and formats them.
 * Evolution: new fields are optional with new ids; ids are never reused.
 * Enum names are unique across all IDL files (c_glib's toString helpers are
 * not namespaced). */
namespace c_glib weft

struct Resource {
  1: i32 vcores,
  2: i64 memory_mb,
}

/* A signed capability: kind says what it grants ("container", "am",
 * "client", "node", "app"), identifier is the canonical bytes that were
 * signed, password = HMAC-SHA256 over kind, identifier and expiry. */
struct Token {
  1: string kind,
  2: binary identifier,
  3: i64 expiry_ms,
  4: binary password,
}

enum ErrorCode {
  UNKNOWN = 1,
  INVALID_ARGUMENT = 2,
  NOT_FOUND = 3,
  ALREADY_EXISTS = 4,
  PERMISSION_DENIED = 5,
  UNAUTHENTICATED = 6,
  RESOURCE_EXHAUSTED = 7,
  FAILED_PRECONDITION = 8,
  UNAVAILABLE = 9,
  INTERNAL = 10,
  TIMEOUT = 11,
  CANCELLED = 12,
}

/* The one declared exception of every service: a code a program can act on
 * and a message a person can act on. */
exception WeftException {
  1: ErrorCode code,
  2: string message,
}

enum ApplicationState {
  APP_NEW = 1,
  APP_SUBMITTED = 2,
  APP_ACCEPTED = 3,
  APP_RUNNING = 4,
  APP_FINISHED = 5,
  APP_FAILED = 6,
  APP_KILLED = 7,
}

enum FinalStatus {
  FINAL_UNDEFINED = 0,
  FINAL_SUCCEEDED = 1,
  FINAL_FAILED = 2,
  FINAL_KILLED = 3,
}

enum NodeState {
  NODE_NEW = 1,
  NODE_RUNNING = 2,
  NODE_UNHEALTHY = 3,
  NODE_DECOMMISSIONING = 4,
  NODE_DECOMMISSIONED = 5,
  NODE_LOST = 6,
  NODE_SHUTDOWN = 7,
}

enum ContainerState {
  CONTAINER_NEW = 1,
  CONTAINER_LOCALIZING = 2,
  CONTAINER_RUNNING = 3,
  CONTAINER_COMPLETE = 4,
}

/* Why a container ended. The same reason reaches the AM, the CLI and the
 * driver's error message. */
enum ExitReason {
  EXIT_NONE = 0,
  EXIT_SUCCEEDED = 1,
  EXIT_FAILED = 2,
  EXIT_KILLED_BY_AM = 3,
  EXIT_KILLED_BY_RM = 4,
  EXIT_MEMORY_EXCEEDED = 5,
  EXIT_NODE_LOST = 6,
  EXIT_PREEMPTED = 7,
  EXIT_LAUNCH_FAILED = 8,
  EXIT_EXPIRED = 9,
  EXIT_KILLED_AFTER_APP_COMPLETION = 10,
}

struct ContainerStatus {
  1: string container_id,
  2: ContainerState state,
  3: ExitReason reason,
  4: i32 exit_code,
  5: string diagnostics,
  6: i64 memory_limit_bytes,
  7: i64 memory_peak_bytes,
  8: optional Resource resource,
  9: optional i64 start_ms,
  10: optional i64 finish_ms,
}

/* A container granted by the RM: where it is, what it holds, and the token
 * that the node's NM checks before it launches anything. */
struct Container {
  1: string container_id,
  2: string node_id,
  3: string node_http_address,
  4: Resource resource,
  5: i32 priority,
  6: Token container_token,
  7: optional i64 allocation_request_id,
}

/* A file the NM puts in the container's work folder before launch. source is
 * "staging:<application_id>/<name>" (fetched from the RM) or an absolute
 * path on the node. */
struct LocalResource {
  1: string name,
  2: string source,
  3: i64 size,
  4: string sha256,
  5: bool executable,
}

struct LaunchSpec {
  1: list<string> argv,
  2: map<string, string> env,
  3: list<LocalResource> resources,
}
