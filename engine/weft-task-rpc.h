/* weft-task-rpc: the wire edge of weft-task. Converts tasks (WeftTask) and their outcomes
 * (WeftTaskOutcome) to and from engine.thrift's TaskDescription and TaskStatus structs, and to
 * and from bytes. Encoding applies the cut rule (a task's fragment stops at the exchanges it
 * reads from their shuffles); decoding trusts nothing it is given: bytes are validated before
 * the Thrift decoder sees them, and every index, type, name and count is checked, so hostile
 * input gives WEFT_ENGINE_ERROR_MALFORMED, never a crash or a plan the engine cannot run.
 * Decoded expressions are resolved trees the evaluator runs exactly as the originals. Pure
 * functions of their arguments; any thread. Only *-rpc*.c files include the generated headers:
 * callers of the byte functions below need none. */
#pragma once

#include <glib.h>

#include "weft-engine-error.h"
#include "weft-task.h"

G_BEGIN_DECLS

/* The generated structs (weft_engine_types.h), declared here so this header needs none. */
typedef struct _weftTaskDescription weftTaskDescription;
typedef struct _weftTaskStatus weftTaskStatus;
typedef struct _weftMapOutput weftMapOutput;

/* Limits of what a decoder accepts (a sender gets WEFT_ENGINE_ERROR_TOO_LARGE past the first).
 * Bytes: Thrift's binary lengths are signed 32-bit. Depths bound the recursion of everything that
 * walks a tree (freeing, printing, evaluating); node counts count a shared subtree once per use,
 * so sharing cannot multiply the work of those walks. */
#define WEFT_TASK_RPC_MAX_BYTES ((gsize) G_MAXINT32)
#define WEFT_TASK_RPC_MAX_PLAN_DEPTH 2048
#define WEFT_TASK_RPC_MAX_EXPR_DEPTH 2048
#define WEFT_TASK_RPC_MAX_TREE_NODES (1u << 20)
#define WEFT_TASK_RPC_MAX_PARTITIONS (1u << 20)

/**
 * weft_task_encode:
 * @task: a task; task->plan is the stage's part of an optimized plan
 * @error: WEFT_ENGINE_ERROR_TOO_LARGE when the encoding would pass WEFT_TASK_RPC_MAX_BYTES
 *
 * The bytes of @task: one Thrift binary-protocol message (a ONEWAY message named
 * "TaskDescription", sequence id 0) whose body is the TaskDescription struct, so that the
 * project's frame validator (weft_rpc_check_message()) checks it as it stands. The plan goes
 * as a flat post-order list of operators. The cut rule: the inputs of an exchange
 * (weft_plan_is_exchange()) are sent as WEFT_PLAN_STUB operators carrying only their schema,
 * except under a SHUFFLE_MAP task's own root, whose input on the task's side (task->side) is
 * sent in full (the other input of a JOIN as a stub). Nothing below a stub is sent. Each sent
 * node carries its WeftNodeInfo, if it has one; a subtree shared in the plan is sent once and
 * shared again when decoded.
 *
 * Returns: (transfer full) (nullable): the bytes, or NULL with @error set.
 */
GBytes *weft_task_encode (const WeftTask *task, GError **error);

/**
 * weft_task_decode:
 * @bytes: what weft_task_encode() made, or anything else
 * @error: WEFT_ENGINE_ERROR_MALFORMED saying what is wrong and where
 *
 * Returns: (transfer full) (nullable): a new task (its plan, info table and inputs all new), or
 *   NULL with @error set.
 */
WeftTask *weft_task_decode (GBytes *bytes, GError **error);

/**
 * weft_task_outcome_encode:
 * @outcome: an outcome
 * @error: WEFT_ENGINE_ERROR_TOO_LARGE when the encoding would pass WEFT_TASK_RPC_MAX_BYTES
 *
 * As weft_task_encode(), for a TaskStatus (a ONEWAY message named "TaskStatus"); result batches
 * go in weft-batch-codec's encoding.
 *
 * Returns: (transfer full) (nullable): the bytes, or NULL with @error set.
 */
GBytes *weft_task_outcome_encode (const WeftTaskOutcome *outcome, GError **error);

/**
 * weft_task_outcome_decode:
 * @bytes: what weft_task_outcome_encode() made, or anything else
 * @error: WEFT_ENGINE_ERROR_MALFORMED
 *
 * Returns: (transfer full) (nullable): a new outcome, or NULL with @error set.
 */
WeftTaskOutcome *weft_task_outcome_decode (GBytes *bytes, GError **error);

/**
 * weft_task_to_thrift:
 * @task: a task
 * @error: WEFT_ENGINE_ERROR_TOO_LARGE when a binary field (ROWS) would pass Thrift's limit
 *
 * The struct weft_task_encode() writes, for RPC code that carries TaskDescription structs.
 *
 * Returns: (transfer full) (nullable): a new TaskDescription, or NULL with @error set.
 */
weftTaskDescription *weft_task_to_thrift (const WeftTask *task, GError **error);

/**
 * weft_task_from_thrift:
 * @desc: (transfer none): a TaskDescription, e.g. as the stock Thrift decoder made it; it is
 *   only read
 * @error: WEFT_ENGINE_ERROR_MALFORMED
 *
 * Checks everything weft_task_decode() checks after the bytes have become a struct.
 *
 * Returns: (transfer full) (nullable): a new task, or NULL with @error set.
 */
WeftTask *weft_task_from_thrift (const weftTaskDescription *desc, GError **error);

/**
 * weft_task_outcome_to_thrift:
 * @outcome: an outcome
 * @error: WEFT_ENGINE_ERROR_TOO_LARGE when a result batch would pass Thrift's limit
 *
 * Returns: (transfer full) (nullable): a new TaskStatus, or NULL with @error set.
 */
weftTaskStatus *weft_task_outcome_to_thrift (const WeftTaskOutcome *outcome, GError **error);

/**
 * weft_task_outcome_from_thrift:
 * @status: (transfer none): a TaskStatus; only read
 * @error: WEFT_ENGINE_ERROR_MALFORMED
 *
 * Returns: (transfer full) (nullable): a new outcome, or NULL with @error set.
 */
WeftTaskOutcome *weft_task_outcome_from_thrift (const weftTaskStatus *status, GError **error);

/**
 * weft_map_output_to_thrift:
 * @out: where a map output is
 *
 * Unsigned ids and the port travel as the signed 32-bit values of the same bits.
 *
 * Returns: (transfer full): a new MapOutput.
 */
weftMapOutput *weft_map_output_to_thrift (const WeftMapOutput *out);

/**
 * weft_map_output_from_thrift:
 * @out: (transfer none): a MapOutput; only read
 * @error: WEFT_ENGINE_ERROR_MALFORMED (a negative size)
 *
 * Returns: (transfer full) (nullable): a new WeftMapOutput, or NULL with @error set.
 */
WeftMapOutput *weft_map_output_from_thrift (const weftMapOutput *out, GError **error);

G_END_DECLS
