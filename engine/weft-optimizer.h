/* weft-optimizer: rewrites a logical plan into an equivalent, cheaper one.
 * Rules, applied bottom-up: fold constants; drop always-true filters; merge
 * adjacent filters; push a filter below a projection of plain columns and
 * into the CSV scan (which then drops rows right after parsing the
 * predicate's columns), and through a join into the input whose rows it
 * keeps unchanged; prune columns, so the scan converts only what its
 * consumers read (through projections and joins). Pure: the input plan is
 * not changed. */
#pragma once

#include "weft-plan.h"

G_BEGIN_DECLS

/** weft_optimize: Returns: (transfer full) the optimized plan. */
WeftPlan *weft_optimize (WeftPlan *plan, GError **error);

G_END_DECLS
