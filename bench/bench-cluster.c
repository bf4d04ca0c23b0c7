/* bench-cluster: figures of a real local cluster (RM + 2 NMs on loopback,
 * security on), one per line:
 *   submit-to-AM-running latency: from submit_application to the RM
 *   reporting RUNNING (the AM registered), and to FINISHED (it finished);
 *   idle RSS of the RM and of an NM.
 * The AM is this program in --am mode: it registers and finishes at once.
 * Usage: bench-cluster [--runs N]   (needs WEFT_TOP_BUILDDIR) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cluster-harness.h"
#include "weft-rpc-token.h"
#include "weft-rpc.h"
#include "weft_client_service.h"


/* ---- client mode ---- */

typedef struct { weftToken *auth; gpointer in; gpointer out; const char *id; } Args;

static gboolean
c_new (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  Args *a = data;
  return weft_client_service_if_new_application (WEFT_CLIENT_SERVICE_IF (client),
                                                 (weftNewApplication **) &a->out, a->auth, ex, error);
}

static gboolean
c_submit (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  Args *a = data;
  return weft_client_service_if_submit_application (WEFT_CLIENT_SERVICE_IF (client), a->auth, a->in,
                                                    ex, error);
}

static gboolean
c_get (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  Args *a = data;
  return weft_client_service_if_get_application (WEFT_CLIENT_SERVICE_IF (client),
                                                 (weftApplicationReport **) &a->out, a->auth, a->id,
                                                 ex, error);
}

static long
rss_kib (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", pid);
  g_autofree char *text = NULL;
  if (!g_file_get_contents (path, &text, NULL, NULL))
    return -1;
  const char *p = strstr (text, "VmRSS:");
  return p ? atol (p + 6) : -1;
}

static int
compare_double (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

int
main (int argc, char **argv)
{
  if (argc > 1 && strcmp (argv[1], "--am") == 0)
    return cluster_am_register (TRUE);
  int runs = 20;
  for (int i = 1; i + 1 < argc; i++)
    if (strcmp (argv[i], "--runs") == 0)
      runs = atoi (argv[++i]);

  g_autoptr(Cluster) c = cluster_start (2, NULL);
  g_usleep (1500 * 1000); /* let both daemons settle before measuring idle memory */
  printf ("idle RSS: RM %ld KiB, NM %ld KiB\n", rss_kib (c->rm_pid), rss_kib (c->nm_pids[0]));

  g_autoptr(WeftRpcClient) rm = cluster_rm_client (c);
  g_autoptr(WeftToken) tok = cluster_client_token (c);
  g_autoptr(GObject) auth = G_OBJECT (weft_rpc_token_to_wire (tok));
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  g_autoptr(GArray) to_running = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) to_finished = g_array_new (FALSE, FALSE, sizeof (double));
  for (int r = 0; r < runs; r++)
    {
      g_autoptr(GError) error = NULL;
      Args a = { WEFT_TOKEN (auth), NULL, g_object_new (WEFT_TYPE_NEW_APPLICATION, NULL) };
      if (!weft_rpc_client_call (rm, "new_application", WEFT_RPC_ONCE, c_new, &a, &error))
        g_error ("%s", error->message);
      g_autofree char *id = g_strdup (((weftNewApplication *) a.out)->application_id);
      g_object_unref (a.out);
      weftApplicationSubmission *s = g_object_new (WEFT_TYPE_APPLICATION_SUBMISSION,
                                                   "application_id", id, "name", "bench",
                                                   "queue", "default", "max_attempts", 1, NULL);
      s->am_resource->vcores = 1;
      s->am_resource->memory_mb = 64;
      g_ptr_array_add (s->am_launch->argv, g_strdup (self));
      g_ptr_array_add (s->am_launch->argv, g_strdup ("--am"));
      Args b = { WEFT_TOKEN (auth), s };
      gint64 t0 = g_get_monotonic_time ();
      if (!weft_rpc_client_call (rm, "submit_application", WEFT_RPC_ONCE, c_submit, &b, &error))
        g_error ("%s", error->message);
      g_object_unref (s);
      gint64 running = 0, done = 0;
      while (done == 0 && g_get_monotonic_time () - t0 < 30 * G_USEC_PER_SEC)
        {
          Args q = { WEFT_TOKEN (auth), NULL, g_object_new (WEFT_TYPE_APPLICATION_REPORT, NULL), id };
          if (!weft_rpc_client_call (rm, "get_application", WEFT_RPC_IDEMPOTENT, c_get, &q, &error))
            g_error ("%s", error->message);
          weftApplicationReport *rep = q.out;
          gint64 now = g_get_monotonic_time ();
          if (running == 0 && (rep->state == WEFT_APPLICATION_STATE_APP_RUNNING
                               || rep->state == WEFT_APPLICATION_STATE_APP_FINISHED))
            running = now;
          if (rep->state == WEFT_APPLICATION_STATE_APP_FINISHED)
            done = now;
          else if (rep->state == WEFT_APPLICATION_STATE_APP_FAILED
                   || rep->state == WEFT_APPLICATION_STATE_APP_KILLED)
            g_error ("%s failed: %s", id, rep->diagnostics);
          g_object_unref (rep);
          if (done == 0)
            g_usleep (500);
        }
      double x = (running - t0) / 1000.0, y = (done - t0) / 1000.0;
      g_array_append_val (to_running, x);
      g_array_append_val (to_finished, y);
    }
  g_array_sort (to_running, compare_double);
  g_array_sort (to_finished, compare_double);
  printf ("submit to AM RUNNING: median %.1f ms, min %.1f ms, max %.1f ms (%d runs)\n",
          g_array_index (to_running, double, runs / 2), g_array_index (to_running, double, 0),
          g_array_index (to_running, double, runs - 1), runs);
  printf ("submit to FINISHED:   median %.1f ms, min %.1f ms, max %.1f ms\n",
          g_array_index (to_finished, double, runs / 2), g_array_index (to_finished, double, 0),
          g_array_index (to_finished, double, runs - 1));
  printf ("RSS after %d applications: RM %ld KiB, NM %ld KiB\n", runs, rss_kib (c->rm_pid),
          rss_kib (c->nm_pids[0]));
  return 0;
}
