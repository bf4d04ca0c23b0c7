/* weft-output-job: the output commit protocol of a write job (Hadoop's FileOutputCommitter,
 * algorithm 1, as Spark uses it), so that readers never see a partial result. One job writes one
 * output folder; each task attempt writes its part file under a temporary folder, a task commit
 * renames the attempt's folder to the task's, and the job commit moves every committed file into
 * the output folder, removes the temporary folder and writes an empty _SUCCESS last. Until the
 * job commit nothing new is visible; an aborted (or failed) job leaves the folder as it found it.
 *
 *   <out>/_temporary/<job-uuid>/attempt-NNNNN-A/part-NNNNN-<job-uuid><ext>  (being written)
 *   <out>/_temporary/<job-uuid>/task-NNNNN/part-NNNNN-<job-uuid><ext>       (committed task)
 *   <out>/part-NNNNN-<job-uuid><ext>, <out>/_SUCCESS                         (committed job)
 *
 * Names follow Spark's: a 5-digit partition number (more digits past 99999) and one UUID for
 * the whole job, so two attempts of a partition write the same name and can never both land.
 * The first attempt to commit a partition wins; a later one is refused and should be aborted.
 * Readers skip names starting with '_' (weft_csv_list_files), so _temporary and _SUCCESS are
 * invisible to them.
 *
 * Save modes (Spark's): error/errorifexists fails when <out> exists; ignore does nothing when
 * it exists (weft_output_job_is_noop()); append adds part files next to what is there; overwrite
 * replaces the old contents. Weft differs from Spark on purpose in overwrite: Spark deletes
 * <out> before the job runs, so a failed job loses the old data; Weft keeps the old contents
 * until the job commit and swaps them out there (old entries are renamed into the job's
 * temporary folder, the new files moved in, and the old ones deleted with the temporary folder;
 * a failure during the swap moves everything back). The one exception: when <out> is a file,
 * not a folder, overwrite deletes it when the job begins.
 *
 * An empty partition writes no file, except partition 0, which always writes one (with its
 * header, if any), so that an empty result still has a part file: Spark's rule (FileFormatWriter
 * gives non-zero empty partitions an EmptyDirectoryDataWriter). Callers ask
 * weft_output_job_partition_writes_when_empty().
 *
 * Threads: any thread may call any function; task paths, task commits and task aborts of
 * different tasks run concurrently (local[N]). The job's own lock guards the committed-task table
 * and the job state; it is the only lock here and nothing else is taken while it is held. A job
 * killed outright (SIGKILL) leaves only <out>/_temporary/<job-uuid>, which readers skip. */

#pragma once

#include "weft-engine-error.h"

G_BEGIN_DECLS

typedef enum
{
  WEFT_SAVE_MODE_ERROR_IF_EXISTS, /* "error", "errorifexists", "default" (Spark's default) */
  WEFT_SAVE_MODE_OVERWRITE,       /* "overwrite" */
  WEFT_SAVE_MODE_APPEND,          /* "append" */
  WEFT_SAVE_MODE_IGNORE,          /* "ignore" */
} WeftSaveMode;

/**
 * weft_output_job_parse_mode:
 * @name: a Spark save mode name, case-insensitive
 * @out_mode: (out): the mode
 * @error: WEFT_ENGINE_ERROR_BAD_OPTION listing the accepted names
 *
 * Returns: TRUE if @name is a save mode.
 */
gboolean weft_output_job_parse_mode (const char *name, WeftSaveMode *out_mode, GError **error);

/**
 * weft_output_job_mode_name:
 * @mode: a mode
 *
 * Returns: (transfer none): "errorifexists", "overwrite", "append" or "ignore".
 */
const char *weft_output_job_mode_name (WeftSaveMode mode);

/**
 * weft_output_job_partition_writes_when_empty:
 * @partition: a partition number
 *
 * Returns: TRUE if a task of @partition that produced no rows still writes its part file (only
 *   partition 0, as in Spark).
 */
static inline gboolean
weft_output_job_partition_writes_when_empty (guint partition)
{
  return partition == 0;
}

typedef struct _WeftOutputJob WeftOutputJob;

/**
 * weft_output_job_begin:
 * @out_dir: the output folder
 * @mode: what to do when it exists
 * @extension: the part files' suffix, e.g. ".csv"
 * @error: WEFT_ENGINE_ERROR_IO when <out> exists in error mode ("Path ... already exists. Set
 *   mode as "overwrite" to overwrite the existing path."), when it is a file in append mode, or
 *   when folders cannot be created
 *
 * Checks the mode, creates <out> if needed and the job's temporary folder.
 *
 * Returns: (transfer full): the job, or NULL.
 */
WeftOutputJob *weft_output_job_begin (const char *out_dir, WeftSaveMode mode,
                                      const char *extension, GError **error);

/**
 * weft_output_job_is_noop:
 * @job: a job
 *
 * Returns: TRUE for an ignore-mode job whose output already existed: run no tasks; commit and
 *   abort do nothing.
 */
gboolean weft_output_job_is_noop (const WeftOutputJob *job);

/**
 * weft_output_job_get_uuid:
 * @job: a job
 *
 * Returns: (transfer none): the job's UUID, as in its part file names.
 */
const char *weft_output_job_get_uuid (const WeftOutputJob *job);

/**
 * weft_output_job_task_path:
 * @job: a running job (not a no-op)
 * @partition: the task's partition
 * @attempt: the attempt number (0 for the first try)
 * @error: WEFT_ENGINE_ERROR_IO
 *
 * Creates the attempt's folder. Any thread.
 *
 * Returns: (transfer full): the path the attempt writes its part file to, or NULL.
 */
char *weft_output_job_task_path (WeftOutputJob *job, guint partition, guint attempt,
                                 GError **error);

/**
 * weft_output_job_commit_task:
 * @job: a running job
 * @partition: the task's partition
 * @attempt: the attempt whose output becomes the partition's
 * @error: WEFT_ENGINE_ERROR_IO, also when another attempt already committed this partition
 *   (then abort this one)
 *
 * Renames the attempt's folder to the task's. An attempt that wrote nothing commits as an empty
 * partition. Committing the same attempt twice is harmless. Any thread; concurrent commits of
 * different partitions are fine.
 *
 * Returns: TRUE if this attempt's output is the partition's.
 */
gboolean weft_output_job_commit_task (WeftOutputJob *job, guint partition, guint attempt,
                                      GError **error);

/**
 * weft_output_job_abort_task:
 * @job: a job
 * @partition: the task's partition
 * @attempt: the attempt to throw away
 *
 * Deletes the attempt's folder, unless that attempt was committed. Any thread.
 */
void weft_output_job_abort_task (WeftOutputJob *job, guint partition, guint attempt);

/**
 * weft_output_job_commit:
 * @job: a running job whose tasks have all committed
 * @error: WEFT_ENGINE_ERROR_IO
 *
 * Moves the committed files into <out> (in overwrite mode after moving the old contents
 * aside), deletes the temporary folder and writes _SUCCESS last. On failure everything moved is
 * moved back and the job is left for weft_output_job_abort().
 *
 * Returns: TRUE when the output is complete.
 */
gboolean weft_output_job_commit (WeftOutputJob *job, GError **error);

/**
 * weft_output_job_abort:
 * @job: a job
 *
 * Removes everything the job created: its temporary folder, _temporary if it is left empty,
 * and <out> itself if the job created it. Does nothing to a committed job.
 */
void weft_output_job_abort (WeftOutputJob *job);

/**
 * weft_output_job_free:
 * @job: (transfer full) (nullable): a job; one neither committed nor aborted is aborted first
 */
void weft_output_job_free (WeftOutputJob *job);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WeftOutputJob, weft_output_job_free)

G_END_DECLS
