/* sched-fixture: helpers shared by the scheduler tests: configurations from "group.key=value"
 * lines, and the invariants every assignment must keep (checked after every assign in the tests). */

#pragma once

#include "rm-scheduler.h"

/* A configuration of defaults plus @first and the following "group.key=value" strings, NULL-ended.
 * Returns: (transfer full). */
WeftConf *sched_test_conf (const char *first, ...) G_GNUC_NULL_TERMINATED;

/* Asserts what must hold for any scheduler: indices in range, the resource is the ask's capability,
 * no node gets more than its free resources or is unschedulable, no ask gets more than its count,
 * only servable asks (AM before the AM is granted, the rest after, nothing while finishing) are
 * served, and locality holds (a strict node ask only on its node). */
void sched_test_check (const RmSchedSnapshot *snapshot, GArray *assignments);

/* Applies @assignments to the caller's snapshot, as the RM would: nodes' and applications' used
 * grow, asks' counts shrink, an application whose AM was granted gets am_allocated. The snapshot's
 * arrays must be writable. */
void sched_test_apply (RmSchedSnapshot *snapshot, GArray *assignments);

/* Containers @assignments grant to application @app (G_MAXUINT: to all). */
guint sched_test_count (GArray *assignments, guint app);

/* Containers @assignments grant to application @app on node @node. */
guint sched_test_count_on (GArray *assignments, guint app, guint node);

/* Runs assign, checks the invariants, returns the assignments. (transfer full) */
GArray *sched_test_assign (RmScheduler *sched, const RmSchedSnapshot *snapshot);

/* A random cluster (1..39 nodes of random sizes and use, some unschedulable) and 0..14 random
 * applications in queues "a" and "root.b" of users alice and bob, with random asks (any node, a
 * node, or an unknown node; strict or relaxed; AM asks for applications without their AM). */
typedef struct
{
  GArray *nodes;      /* (element-type RmSchedNode) */
  GArray *apps;       /* (element-type RmSchedApp) */
  GPtrArray *asks;    /* (element-type GArray of RmSchedAsk), per application */
  GPtrArray *strings; /* names the snapshot points to */
  RmSchedSnapshot snap;
} SchedRandom;

/* Uses g_test_rand_*(), so a failure replays with --seed. Returns: (transfer full). */
SchedRandom *sched_random_new (void);
void sched_random_free (SchedRandom *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SchedRandom, sched_random_free)

/* Like sched_test_conf(), from a NULL-ended array. Returns: (transfer full). */
WeftConf *sched_test_confv (const char *const *assignments);
