/* Generated Thrift types are registered on first use. Two threads that
 * first use one type at once must not both register it (the 0.17
 * generator's get_type is not thread-safe; thrift/fix-generated.awk guards
 * it). This process uses the engine protocol's types for the first time
 * from 16 threads released together: GLib's "cannot register existing
 * type" warning is fatal here. */
#include "weft_engine_types.h"

#define N_THREADS 16

static GMutex lock;
static GCond cond;
static gint waiting;
static gboolean go;

static gpointer
first_use (gpointer data)
{
  g_mutex_lock (&lock);
  waiting++;
  g_cond_broadcast (&cond);
  while (!go)
    g_cond_wait (&cond, &lock);
  g_mutex_unlock (&lock);
  GType types[] = {
    weft_field_get_type (), weft_schema_get_type (), weft_literal_get_type (),
    weft_expr_node_get_type (), weft_expr_tree_get_type (), weft_aggregate_get_type (),
    weft_sort_key_get_type (), weft_file_split_get_type (), weft_csv_options_get_type (),
    weft_partitioning_get_type (), weft_operator_get_type (), weft_plan_fragment_get_type (),
    weft_task_description_get_type (), weft_map_output_get_type (), weft_task_status_get_type (),
  };
  guint made = 0;
  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    {
      GObject *o = g_object_new (types[i], NULL);
      made += G_IS_OBJECT (o);
      g_object_unref (o);
    }
  return GUINT_TO_POINTER (made);
}

static void
test_concurrent_first_use (void)
{
  GThread *t[N_THREADS];
  for (int i = 0; i < N_THREADS; i++)
    t[i] = g_thread_new ("first-use", first_use, NULL);
  g_mutex_lock (&lock);
  while (waiting < N_THREADS)
    g_cond_wait (&cond, &lock);
  go = TRUE;
  g_cond_broadcast (&cond);
  g_mutex_unlock (&lock);
  for (int i = 0; i < N_THREADS; i++)
    g_assert_cmpuint (GPOINTER_TO_UINT (g_thread_join (t[i])), ==, 15);
  /* One type each, whoever registered it. */
  g_assert_cmpuint (weft_operator_get_type (), ==, g_type_from_name ("weftOperatorType"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/common/rpc-types/concurrent-first-use", test_concurrent_first_use);
  return g_test_run ();
}
