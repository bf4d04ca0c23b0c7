/* weft-dshell: the distributed shell, a small application that proves the cluster runs any
 * program that speaks the AM protocol. As a client it submits an application whose AM is
 * weft-dshell itself (--am), watches it and exits 0 only if it FINISHED with SUCCEEDED. As the AM
 * it registers, asks for N containers, runs `/bin/sh -c CMD` in each through its NM, reports each
 * exit, and finishes SUCCEEDED iff all exited 0. It talks only through the IDL (dshell-rpc.c).
 * Exit codes: 0 succeeded, 1 failed/killed/timed out, 2 usage, 3 RM unreachable. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "weft-yarn-rpc.h"
#include "weft-daemon.h"
#include "weft-log.h"

/* The AM's own container: it only waits on RPCs. */
#define AM_VCORES 1
#define AM_MEMORY_MB 128
/* How long one allocate call may wait for a grant (the RM caps it too). */
#define ALLOCATE_WAIT_MS 1000
/* The client polls the application's state this often. */
#define POLL_US (250 * 1000)

enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_UNREACHABLE = 3 };

typedef struct {
  gboolean am;
  gint num_containers;
  char *command;
  char *container_memory;
  gint container_vcores;
  char *queue;
  char *name;
  char *timeout;
  /* parsed */
  gint64 memory_mb;
  gint64 timeout_us;
} Options;

static void
options_clear (Options *o)
{
  g_free (o->command);
  g_free (o->container_memory);
  g_free (o->queue);
  g_free (o->name);
  g_free (o->timeout);
}

static gboolean
parse_options (int *argc, char ***argv, Options *o, GError **error)
{
  const GOptionEntry entries[] = {
    { "num-containers", 'n', 0, G_OPTION_ARG_INT, &o->num_containers,
      "Containers to run the command in", "N" },
    { "command", 'c', 0, G_OPTION_ARG_STRING, &o->command, "Shell command (/bin/sh -c)", "CMD" },
    { "container-memory", 0, 0, G_OPTION_ARG_STRING, &o->container_memory,
      "Memory of each container (default 128m)", "SIZE" },
    { "container-vcores", 0, 0, G_OPTION_ARG_INT, &o->container_vcores,
      "Vcores of each container (default 1)", "N" },
    { "queue", 0, 0, G_OPTION_ARG_STRING, &o->queue, "Queue to submit to", "QUEUE" },
    { "name", 0, 0, G_OPTION_ARG_STRING, &o->name, "Application name", "NAME" },
    { "timeout", 0, 0, G_OPTION_ARG_STRING, &o->timeout,
      "Give up (and kill the application) after this long (default 60s)", "DURATION" },
    { "am", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &o->am,
      "Run as the application master (set by the client)", NULL },
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("- run a shell command in N containers");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_set_description (
    ctx, "Also: --conf-dir DIR, --conf GROUP.KEY=VALUE, -v (see docs/cli.md).\n"
         "Exit status: 0 all containers exited 0, 1 failed or timed out, 2 usage, 3 RM unreachable.");
  o->container_vcores = 1;
  if (!g_option_context_parse (ctx, argc, argv, error))
    return FALSE;
  if (*argc > 1)
    return g_set_error (error, WEFT_YARN_ERROR, WEFT_YARN_ERROR_USAGE, "unexpected argument \"%s\"",
                        (*argv)[1]), FALSE;
  if (o->num_containers < 1 || o->num_containers > 10000)
    return g_set_error (error, WEFT_YARN_ERROR, WEFT_YARN_ERROR_USAGE,
                        "--num-containers must be between 1 and 10000"), FALSE;
  if (o->command == NULL || *o->command == '\0')
    return g_set_error (error, WEFT_YARN_ERROR, WEFT_YARN_ERROR_USAGE, "--command is required"), FALSE;
  if (o->container_vcores < 1)
    return g_set_error (error, WEFT_YARN_ERROR, WEFT_YARN_ERROR_USAGE,
                        "--container-vcores must be at least 1"), FALSE;
  gint64 bytes = 128 * 1024 * 1024;
  if (o->container_memory && !weft_parse_size (o->container_memory, &bytes, error))
    return g_prefix_error (error, "--container-memory: "), FALSE;
  o->memory_mb = (bytes + 1024 * 1024 - 1) / (1024 * 1024);
  if (o->memory_mb < 1)
    return g_set_error (error, WEFT_YARN_ERROR, WEFT_YARN_ERROR_USAGE,
                        "--container-memory must be at least 1m"), FALSE;
  o->timeout_us = 60 * G_USEC_PER_SEC;
  if (o->timeout && !weft_parse_duration (o->timeout, &o->timeout_us, error))
    return g_prefix_error (error, "--timeout: "), FALSE;
  return TRUE;
}

/* ---- client mode ---------------------------------------------------------------------------- */

static gboolean
is_final (const char *state)
{
  return g_strcmp0 (state, "FINISHED") == 0 || g_strcmp0 (state, "FAILED") == 0
         || g_strcmp0 (state, "KILLED") == 0;
}

static int
run_client (WeftConf *conf, const Options *o)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WeftToken) token = NULL;
  if (!weft_daemon_client_token (conf, &token, NULL, &error))
    {
      g_printerr ("weft-dshell: %s\n", error->message);
      return EXIT_USAGE;
    }
  /* The AM is this very program, by the absolute path of its binary, so the NM can run it. */
  g_autofree char *self = g_file_read_link ("/proc/self/exe", &error);
  if (self == NULL)
    {
      g_printerr ("weft-dshell: cannot find my own binary: %s\n", error->message);
      return EXIT_FAILED;
    }
  WeftRpcOptions opts;
  weft_rpc_options_from_conf (&opts, conf);
  const char *host = weft_conf_get_string (conf, "rm.hostname");
  guint16 port = (guint16) weft_conf_get_int (conf, "rm.client-port");
  g_autoptr(WeftYarnClient) client = weft_yarn_client_new (host, port, token, &opts);

  g_autofree char *app_id = weft_yarn_client_new_application (client, &error);
  if (app_id == NULL)
    {
      g_printerr ("weft-dshell: %s%s\n", error->message,
                  weft_yarn_exit_status (error) == EXIT_UNREACHABLE
                    ? " (is weft-resourcemanager running? is WEFT_CONF_DIR set?)" : "");
      return weft_yarn_exit_status (error);
    }
  g_autofree char *n = g_strdup_printf ("%d", o->num_containers);
  g_autofree char *mem = g_strdup_printf ("%" G_GINT64_FORMAT "m", o->memory_mb);
  g_autofree char *vc = g_strdup_printf ("%d", o->container_vcores);
  /* The AM stops a little before the client does, so it can still report what it saw. */
  g_autofree char *am_timeout = weft_format_duration (o->timeout_us);
  const char *am_argv[] = { self, "--am", "--num-containers", n, "--command", o->command,
                            "--container-memory", mem, "--container-vcores", vc,
                            "--timeout", am_timeout, NULL };
  g_autofree char *name = o->name ? g_strdup (o->name) : g_strdup ("weft-dshell");
  WeftYarnSubmission sub = { .name = name, .queue = o->queue, .am_vcores = AM_VCORES,
                           .am_memory_mb = AM_MEMORY_MB, .am_argv = am_argv,
                           .max_attempts = 1 };
  if (!weft_yarn_client_submit (client, app_id, &sub, &error))
    {
      g_printerr ("weft-dshell: cannot submit %s: %s\n", app_id, error->message);
      return weft_yarn_exit_status (error);
    }
  printf ("Submitted application %s: %d x `%s` (%" G_GINT64_FORMAT " MB, %d vcores each)\n",
          app_id, o->num_containers, o->command, o->memory_mb, o->container_vcores);
  fflush (stdout);

  /* The AM has its own timeout; the client allows it a few more seconds to finish. */
  gint64 deadline = g_get_monotonic_time () + o->timeout_us + 10 * G_USEC_PER_SEC;
  g_autofree char *last = NULL;
  WeftYarnAppReport r = { 0 };
  int status = EXIT_FAILED;
  for (;;)
    {
      g_clear_error (&error);
      if (!weft_yarn_client_get_app (client, app_id, &r, &error))
        {
          g_printerr ("weft-dshell: %s\n", error->message);
          status = weft_yarn_exit_status (error);
          break;
        }
      if (g_strcmp0 (last, r.state) != 0)
        {
          printf ("%s is %s\n", app_id, r.state);
          fflush (stdout);
          g_free (last);
          last = g_strdup (r.state);
        }
      if (is_final (r.state))
        {
          printf ("Final state %s, final status %s\n", r.state, r.final_status);
          if (r.diagnostics && *r.diagnostics)
            printf ("Diagnostics: %s\n", r.diagnostics);
          status = g_strcmp0 (r.state, "FINISHED") == 0 && g_strcmp0 (r.final_status, "SUCCEEDED") == 0
                     ? EXIT_OK : EXIT_FAILED;
          break;
        }
      if (g_get_monotonic_time () > deadline)
        {
          g_autofree char *t = weft_format_duration (o->timeout_us);
          g_printerr ("weft-dshell: %s did not end within --timeout %s: killing it\n", app_id, t);
          g_clear_error (&error);
          if (!weft_yarn_client_kill (client, app_id, "weft-dshell --timeout", &error))
            g_printerr ("weft-dshell: cannot kill %s: %s\n", app_id, error->message);
          break;
        }
      g_usleep (POLL_US);
    }
  printf ("Logs: weft app logs %s\n", app_id);
  weft_yarn_app_report_clear (&r);
  return status;
}

/* ---- AM mode -------------------------------------------------------------------------------- */

typedef struct {
  char *container_id;
  char *node_id;
} Running;

static void
running_free (Running *r)
{
  g_free (r->container_id);
  g_free (r->node_id);
  g_free (r);
}

static int
run_am (WeftConf *conf, const Options *o)
{
  g_autoptr(GError) error = NULL;
  const char *token_text = g_getenv ("WEFT_AM_TOKEN");
  const char *sched = g_getenv ("WEFT_RM_SCHEDULER_ADDRESS");
  const char *attempt = g_getenv ("WEFT_ATTEMPT_ID");
  if (token_text == NULL || sched == NULL || attempt == NULL)
    {
      g_printerr ("weft-dshell --am: WEFT_AM_TOKEN, WEFT_RM_SCHEDULER_ADDRESS and WEFT_ATTEMPT_ID "
                  "must be set (the RM sets them when it launches an AM)\n");
      return EXIT_USAGE;
    }
  g_autoptr(WeftToken) am_token = weft_token_decode (token_text, &error);
  g_autofree char *host = NULL;
  guint16 port = 0;
  if (am_token == NULL || !weft_yarn_split_address (sched, &host, &port, &error))
    {
      g_printerr ("weft-dshell --am: %s\n", error->message);
      return EXIT_USAGE;
    }
  WeftRpcOptions opts;
  weft_rpc_options_from_conf (&opts, conf);
  g_autoptr(WeftYarnAm) am = weft_yarn_am_new (host, port, am_token, &opts);
  printf ("AM for attempt %s: %d x `%s`, %" G_GINT64_FORMAT " MB, %d vcores each\n", attempt,
          o->num_containers, o->command, o->memory_mb, o->container_vcores);
  fflush (stdout);
  if (!weft_yarn_am_register (am, g_get_host_name (), &error))
    {
      g_printerr ("weft-dshell --am: register: %s\n", error->message);
      return weft_yarn_exit_status (error);
    }

  const char *const argv[] = { "/bin/sh", "-c", o->command, NULL };
  guint wanted = (guint) o->num_containers, started = 0, ended = 0;
  g_autoptr(GHashTable) running = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                                         (GDestroyNotify) running_free);
  g_autoptr(GString) failures = g_string_new (NULL);
  g_autoptr(GPtrArray) releases = g_ptr_array_new_with_free_func (g_free);
  gint64 deadline = g_get_monotonic_time () + o->timeout_us;
  gboolean asked = FALSE, timed_out = FALSE;

  while (ended < wanted)
    {
      if (g_get_monotonic_time () > deadline)
        {
          timed_out = TRUE;
          break;
        }
      g_autoptr(GPtrArray) allocated = NULL, completed = NULL;
      g_ptr_array_add (releases, NULL);
      gboolean ok = weft_yarn_am_allocate (am, asked ? 0 : wanted, o->container_vcores, o->memory_mb,
                                        (const char *const *) releases->pdata,
                                        (double) ended / wanted, NULL, ALLOCATE_WAIT_MS, &allocated,
                                        &completed, &error);
      g_ptr_array_set_size (releases, 0);
      if (!ok)
        {
          g_printerr ("weft-dshell --am: allocate: %s\n", error->message);
          g_string_append_printf (failures, "%sallocate failed: %s", failures->len ? "; " : "",
                                  error->message);
          break;
        }
      asked = TRUE;
      for (guint i = 0; i < allocated->len; i++)
        {
          WeftYarnContainer *c = allocated->pdata[i];
          if (started >= wanted)
            {
              /* More than asked (asks race with grants): give it back. */
              g_ptr_array_add (releases, g_strdup (c->container_id));
              continue;
            }
          started++;
          GError *e = NULL;
          if (!weft_yarn_am_start_container (am, c, argv, NULL, NULL, 0, &e))
            {
              printf ("%s on %s: not started: %s\n", c->container_id, c->node_id, e->message);
              g_string_append_printf (failures, "%s%s not started: %s", failures->len ? "; " : "",
                                      c->container_id, e->message);
              g_error_free (e);
              g_ptr_array_add (releases, g_strdup (c->container_id));
              ended++;
              continue;
            }
          printf ("%s on %s: started\n", c->container_id, c->node_id);
          Running *r = g_new0 (Running, 1);
          r->container_id = g_strdup (c->container_id);
          r->node_id = g_strdup (c->node_id);
          g_hash_table_insert (running, r->container_id, r);
        }
      for (guint i = 0; i < completed->len; i++)
        {
          WeftYarnStatus *s = completed->pdata[i];
          Running *r = g_hash_table_lookup (running, s->container_id);
          if (r == NULL)
            continue; /* released, or not ours to count */
          gboolean good = s->exit_code == 0 && g_strcmp0 (s->reason, "SUCCEEDED") == 0;
          printf ("%s on %s: exit %d (%s)%s%s\n", s->container_id, r->node_id, s->exit_code,
                  s->reason, *s->diagnostics ? ": " : "", s->diagnostics);
          if (!good)
            g_string_append_printf (failures, "%s%s on %s: exit %d (%s)%s%s",
                                    failures->len ? "; " : "", s->container_id, r->node_id,
                                    s->exit_code, s->reason, *s->diagnostics ? ": " : "",
                                    s->diagnostics);
          g_hash_table_remove (running, s->container_id);
          ended++;
        }
      fflush (stdout);
    }
  if (timed_out)
    g_string_append_printf (failures, "%stimed out after %" G_GINT64_FORMAT " s with %u of %u "
                            "containers ended", failures->len ? "; " : "",
                            o->timeout_us / G_USEC_PER_SEC, ended, wanted);
  gboolean succeeded = failures->len == 0;
  g_autofree char *diag = succeeded ? g_strdup_printf ("all %u containers exited 0", wanted)
                                    : g_strdup_printf ("dshell failed: %s", failures->str);
  printf ("%s\n", diag);
  fflush (stdout);
  if (!weft_yarn_am_finish (am, succeeded, diag, &error))
    {
      g_printerr ("weft-dshell --am: finish: %s\n", error->message);
      return weft_yarn_exit_status (error);
    }
  return succeeded ? EXIT_OK : EXIT_FAILED;
}

int
main (int argc, char **argv)
{
  g_autoptr(WeftConf) conf = weft_daemon_start ("weft-dshell", &argc, &argv);
  if (conf == NULL)
    return EXIT_USAGE;
  Options o = { 0 };
  g_autoptr(GError) error = NULL;
  int status;
  if (!parse_options (&argc, &argv, &o, &error))
    {
      g_printerr ("weft-dshell: %s (see weft-dshell --help)\n", error->message);
      status = EXIT_USAGE;
    }
  else
    status = o.am ? run_am (conf, &o) : run_client (conf, &o);
  options_clear (&o);
  return status;
}
