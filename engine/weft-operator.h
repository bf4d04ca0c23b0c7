/* weft-operator: what the engine's stateful operators (weft-hash-agg, weft-sort, weft-hash-join)
 * share. Every one is a push-based object: _new() with a memory budget and a spill folder, _push()
 * batches in (the operator copies what it keeps; the caller keeps its batch), _finish() once the
 * input ends, then _next() until it hands out NULL. Past the budget an operator spills to files in
 * the spill folder (unlinked at once, so nothing outlives the process) instead of failing. One
 * thread drives an operator at a time. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  guint64 rows_in;       /* rows pushed (both sides for a join) */
  guint64 rows_out;      /* rows handed out by _next() */
  guint64 batches_out;   /* batches handed out by _next() */
  guint64 spilled_bytes; /* bytes written to spill files (after compression) */
  guint64 spilled_rows;  /* rows written to spill files (a row spilled twice counts twice) */
  guint64 spill_files;   /* spill files created */
  gsize peak_memory;     /* the most bytes of operator state held at once (estimate) */
} WeftOperatorStats;

/* Budgets below this are raised to it: a few batches' worth, so an operator always makes
 * progress between spills. */
#define WEFT_OPERATOR_MIN_BUDGET ((gsize) 64 * 1024)

/* How deep an operator re-partitions a spilled partition that is still over budget; past this it
 * processes the partition in memory whatever its size (all rows of one key land in one partition,
 * so splitting again would not help). */
#define WEFT_OPERATOR_MAX_SPILL_LEVEL 3

G_END_DECLS
