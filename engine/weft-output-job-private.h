/* weft-output-job-private: fault injection for the commit protocol's tests (SQLite's way: the
 * failure paths run for real). Not for production callers. */

#pragma once

#include "weft-output-job.h"

G_BEGIN_DECLS

/**
 * weft_output_job_fail_commit_after:
 * @job: a job
 * @n_moves: the job commit fails (as if a rename had failed) once it has done this many renames;
 *   -1 turns the injection off
 */
void weft_output_job_fail_commit_after (WeftOutputJob *job, int n_moves);

G_END_DECLS
