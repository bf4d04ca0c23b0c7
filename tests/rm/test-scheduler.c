/* Tests of rm/sched/rm-scheduler, the generic wrapper: plugin selection by rm.scheduler, unknown
 * plugins, and asks rejected because no node could ever hold them. */

#include "sched-fixture.h"

#define GB 1024
#define NODE(id_, vc, mb) { .id = (id_), .total = { (vc), (mb) }, .schedulable = TRUE }

static void
test_select (void)
{
  g_autoptr(WeftConf) conf = sched_test_conf (NULL, NULL);
  g_autoptr(WeftConf) fifo = sched_test_conf ("rm.scheduler=fifo", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(RmScheduler) s = NULL;
  g_autoptr(RmScheduler) f = NULL;
  g_autoptr(RmScheduler) bad = NULL;

  /* The default is capacity. */
  s = rm_scheduler_new (NULL, conf, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (rm_scheduler_name (s), ==, "capacity");
  f = rm_scheduler_new (NULL, fifo, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (rm_scheduler_name (f), ==, "fifo");

  bad = rm_scheduler_new ("fair", conf, &error);
  g_assert_null (bad);
  g_assert_error (error, RM_SCHEDULER_ERROR, RM_SCHEDULER_ERROR_CONFIG);
  g_assert_cmpstr (error->message, ==, "unknown scheduler 'fair' (known: fifo, capacity)");
}

/* fifo takes every queue name as it is. */
static void
test_fifo_submit (void)
{
  g_autoptr(WeftConf) conf = sched_test_conf (NULL, NULL);
  g_autoptr(RmScheduler) s = rm_scheduler_new ("fifo", conf, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *q1 = NULL;
  g_autofree char *q2 = NULL;

  g_assert_true (rm_scheduler_check_submit (s, "anything", "bob", &q1, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (q1, ==, "anything");
  g_assert_true (rm_scheduler_check_submit (s, NULL, "bob", &q2, &error));
  g_assert_cmpstr (q2, ==, "default");
}

static void
test_validate_ask (void)
{
  g_autoptr(WeftConf) conf = sched_test_conf (NULL, NULL);
  g_autoptr(RmScheduler) s = rm_scheduler_new ("capacity", conf, NULL);
  RmSchedNode nodes[] = { NODE ("small:1", 4, 8 * GB), NODE ("big:1", 8, 64 * GB), NODE ("wide:1", 32, 16 * GB),
                          NODE ("huge-but-down:1", 64, 512 * GB) };
  RmSchedSnapshot snap = { nodes, G_N_ELEMENTS (nodes), NULL, 0 };
  RmSchedAsk ask = { .resource_name = RM_SCHED_ANY };
  g_autoptr(GError) error = NULL;

  nodes[3].schedulable = FALSE;

  /* Fits on an empty big:1 even if it is full now. */
  nodes[1].used = nodes[1].total;
  ask.capability = (RmResource){ 8, 64 * GB };
  g_assert_true (rm_scheduler_validate_ask (s, &snap, &ask, &error));
  g_assert_no_error (error);

  ask.capability = (RmResource){ 1, 65 * GB };
  g_assert_false (rm_scheduler_validate_ask (s, &snap, &ask, &error));
  g_assert_error (error, RM_SCHEDULER_ERROR, RM_SCHEDULER_ERROR_ASK_TOO_LARGE);
  g_assert_cmpstr (error->message, ==,
                   "ask for 1 vcores and 66560 MB is larger than any node: the largest node, big:1, has 8 "
                   "vcores and 65536 MB");
  g_clear_error (&error);

  ask.capability = (RmResource){ 33, GB };
  g_assert_false (rm_scheduler_validate_ask (s, &snap, &ask, &error));
  g_assert_cmpstr (error->message, ==,
                   "ask for 33 vcores and 1024 MB is larger than any node: the node with the most vcores, "
                   "wide:1, has 32 vcores and 16384 MB");
  g_clear_error (&error);

  /* Each resource fits somewhere, both together nowhere. */
  ask.capability = (RmResource){ 16, 32 * GB };
  g_assert_false (rm_scheduler_validate_ask (s, &snap, &ask, &error));
  g_assert_cmpstr (error->message, ==,
                   "ask for 16 vcores and 32768 MB is larger than any node: no node has both; the largest "
                   "node, big:1, has 8 vcores and 65536 MB, the node with the most vcores, wide:1, has 32 "
                   "vcores and 16384 MB");
  g_clear_error (&error);

  ask.capability = (RmResource){ 0, GB };
  g_assert_false (rm_scheduler_validate_ask (s, &snap, &ask, &error));
  g_assert_error (error, RM_SCHEDULER_ERROR, RM_SCHEDULER_ERROR_INVALID_ASK);
  g_assert_cmpstr (error->message, ==, "ask for 0 vcores and 1024 MB: a container needs at least 1 vcore and 1 MB");
  g_clear_error (&error);

  /* No schedulable node: nothing to judge by, so the ask may wait. */
  for (guint i = 0; i < G_N_ELEMENTS (nodes); i++)
    nodes[i].schedulable = FALSE;
  ask.capability = (RmResource){ 1000, 1000 * GB };
  g_assert_true (rm_scheduler_validate_ask (s, &snap, &ask, &error));
  g_assert_no_error (error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/rm/scheduler/select", test_select);
  g_test_add_func ("/rm/scheduler/fifo-submit", test_fifo_submit);
  g_test_add_func ("/rm/scheduler/validate-ask", test_validate_ask);
  return g_test_run ();
}
