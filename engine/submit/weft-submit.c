/* weft-submit: spark-submit for Weft. `weft-submit [options] <program> [program arguments]`
 * runs a driver program with the effective configuration (submit-conf.c) written to a
 * properties file named by $WEFT_SUBMIT_PROPERTIES.
 * - client deploy mode (the default): the program runs here, as a child that gets the terminal;
 *   weft-submit exits with its status (128 + N if signal N ended it).
 * - cluster deploy mode: the program, --files and the properties file are staged with the RM and
 *   the program runs as the application's AM on a node; weft-submit prints the application id,
 *   follows its report (drawing Spark's console progress bar from the AM's progress detail) and
 *   exits 0 only if it FINISHED with SUCCEEDED.
 * Exit codes: 0 succeeded, 1 failed (or the RM refused), 2 usage, 3 RM unreachable; see
 * docs/submit.md. It talks to the RM only through engine/weft-yarn-rpc.c, as weft-dshell and the
 * engine's cluster backend do. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "submit-conf.h"
#include "weft-daemon.h"
#include "weft-fs.h"
#include "weft-log.h"
#include "weft-progress.h"
#include "weft-yarn-rpc.h"

/* As weft_yarn_exit_status() gives them for an error. */
enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_UNREACHABLE = 3 };

/* The report is read this often: a progress bar that moves smoothly costs the RM one small call
 * per 100 ms per waiting client. */
/* The report is read every 10 ms for the first 2 s (a short job's end is seen at once), then
 * every 100 ms. */
#define POLL_FAST_US (10 * 1000)
#define POLL_FAST_FOR_US (2 * G_USEC_PER_SEC)
#define POLL_US (100 * 1000)
/* Spark redraws an unchanged bar once a minute, so an idle ssh session is not dropped. */
#define REDRAW_US (60 * G_USEC_PER_SEC)

static const char usage_text[] =
  "Usage: weft-submit [options] <program> [program arguments]\n"
  "\n"
  "Runs a Weft driver program, as spark-submit runs a Spark application.\n"
  "\n"
  "Options:\n"
  "  --master MASTER            local, local[N], local[*] (threads in the driver), weft or yarn\n"
  "                             (the cluster of the Weft configuration), weft://HOST:PORT (the RM\n"
  "                             at that client address). Default: $WEFT_MASTER, else local[*].\n"
  "  --deploy-mode MODE         client (the driver runs here; default) or cluster (it runs on a\n"
  "                             node of the cluster as the application master).\n"
  "  --name NAME                The application's name (default: the program's file name).\n"
  "  --queue QUEUE              The scheduler queue to submit to.\n"
  "  --num-executors N          Executors to ask for (spark.executor.instances).\n"
  "  --executor-cores N         Cores of each executor.\n"
  "  --executor-memory MEM      Memory of each executor, e.g. 512m or 2g.\n"
  "  --driver-memory MEM        Memory of the driver (cluster mode: its container; default 1g).\n"
  "  --driver-cores N           Cores of the driver (cluster mode: its container; default 1).\n"
  "  --files FILES              Comma-separated files to ship with the application.\n"
  "  --conf, -c KEY=VALUE       A Spark property (repeatable); a Weft configuration key\n"
  "                             (rm.client-port=8032, ...) configures how weft-submit reaches\n"
  "                             the cluster.\n"
  "  --properties-file FILE     Properties to use instead of $WEFT_CONF_DIR/weft-defaults.conf.\n"
  "  --conf-dir DIR             The Weft configuration folder (default: $WEFT_CONF_DIR, else\n"
  "                             ./conf).\n"
  "  --verbose, -v              Print the configuration used.\n"
  "  --help, -h                 Print this and exit.\n"
  "  --version                  Print the version and exit.\n"
  "\n"
  "Precedence, lowest first: the properties file < --conf < the flags above.\n"
  "Exit status: client mode, the program's; cluster mode, 0 if the application succeeded,\n"
  "1 if it failed; 2 usage, 3 the RM is unreachable. See docs/submit.md.\n";

static void
print_verbose (SubmitConf *c, const SubmitArgs *args)
{
  g_printerr ("Using properties file: %s\n", c->properties_file ? c->properties_file : "(none)");
  g_printerr ("Properties (lowest first: properties file < --conf < flags):\n");
  g_autofree char *text = submit_conf_properties_text (c);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    {
      char *eq = strchr (lines[i], '=');
      if (lines[i][0] == '#' || eq == NULL)
        continue;
      *eq = '\0';
      g_printerr ("  %s=%s  (%s)\n", lines[i], eq + 1,
                  (char *) g_hash_table_lookup (c->origins, lines[i]));
    }
  for (guint i = 0; i < c->site_confs->len; i++)
    g_printerr ("Weft configuration: %s  (--conf)\n", (char *) c->site_confs->pdata[i]);
  g_autoptr(GString) cmd = g_string_new (c->program_path);
  for (guint i = 0; args->program_args[i]; i++)
    {
      g_autofree char *q = g_shell_quote (args->program_args[i]);
      g_string_append_printf (cmd, " %s", q);
    }
  g_printerr ("Program: %s (%s deploy mode)\n", cmd->str, c->cluster_mode ? "cluster" : "client");
}

/* ---- client mode ---------------------------------------------------------------------------- */

static volatile sig_atomic_t child_pid;

/* In the driver, before exec: the termination signals weft-submit held back are its own again. */
static void
unblock_in_child (gpointer data)
{
  sigset_t set;
  sigemptyset (&set);
  sigaddset (&set, SIGTERM);
  sigaddset (&set, SIGHUP);
  sigprocmask (SIG_UNBLOCK, &set, NULL);
}

/* Passes a termination request on to the driver; its exit then ends weft-submit. */
static void
forward_signal (int sig)
{
  if (child_pid > 0)
    kill ((pid_t) child_pid, sig);
}

static int
run_client (SubmitConf *c, const SubmitArgs *args)
{
  g_autoptr(GError) error = NULL;
  /* A private folder (0700) for the file: it may hold credentials someone put in a property. */
  g_autofree char *dir = g_dir_make_tmp ("weft-submit-XXXXXX", &error);
  if (dir == NULL)
    {
      g_printerr ("weft-submit: cannot make a temporary folder: %s\n", error->message);
      return EXIT_FAILED;
    }
  g_autofree char *props = g_build_filename (dir, SUBMIT_PROPERTIES_NAME, NULL);
  g_autofree char *text = submit_conf_properties_text (c);
  if (!g_file_set_contents_full (props, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error))
    {
      g_printerr ("weft-submit: %s\n", error->message);
      weft_fs_remove_tree (dir, NULL);
      return EXIT_FAILED;
    }

  g_auto (GStrv) env = g_get_environ ();
  env = g_environ_setenv (env, "WEFT_SUBMIT_PROPERTIES", props, TRUE);
  /* The driver finds the cluster's configuration (and its client token) where weft-submit did. */
  if (args->flags[SUBMIT_FLAG_CONF_DIR])
    {
      g_autofree char *abs = g_canonicalize_filename (args->flags[SUBMIT_FLAG_CONF_DIR], NULL);
      env = g_environ_setenv (env, "WEFT_CONF_DIR", abs, TRUE);
    }
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_ptr_array_add (argv, c->program_path);
  for (guint i = 0; args->program_args[i]; i++)
    g_ptr_array_add (argv, args->program_args[i]);
  g_ptr_array_add (argv, NULL);

  /* SIGTERM and SIGHUP are held back from before the driver starts until the handler that
   * passes them on is in place, so one sent in between is passed on, not lost or fatal. */
  sigset_t term, old_mask;
  sigemptyset (&term);
  sigaddset (&term, SIGTERM);
  sigaddset (&term, SIGHUP);
  sigprocmask (SIG_BLOCK, &term, &old_mask);
  GPid pid;
  if (!g_spawn_async (NULL, (char **) argv->pdata, env,
                      G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_CHILD_INHERITS_STDIN
                        | G_SPAWN_LEAVE_DESCRIPTORS_OPEN,
                      unblock_in_child, NULL, &pid, &error))
    {
      sigprocmask (SIG_SETMASK, &old_mask, NULL);
      g_printerr ("weft-submit: cannot run %s: %s\n", c->program_path, error->message);
      weft_fs_remove_tree (dir, NULL);
      return EXIT_FAILED;
    }
  /* As system(3) does: the terminal's ^C and ^\ reach the driver (same process group), which
   * decides; weft-submit waits for its answer. A SIGTERM or SIGHUP sent to weft-submit alone is
   * passed on. Set only now, so the driver does not inherit them ignored. */
  child_pid = pid;
  struct sigaction ign = { .sa_handler = SIG_IGN }, fwd = { .sa_handler = forward_signal };
  struct sigaction old_int, old_quit, old_term, old_hup;
  sigemptyset (&fwd.sa_mask);
  sigaction (SIGINT, &ign, &old_int);
  sigaction (SIGQUIT, &ign, &old_quit);
  sigaction (SIGTERM, &fwd, &old_term);
  sigaction (SIGHUP, &fwd, &old_hup);
  sigprocmask (SIG_SETMASK, &old_mask, NULL);
  int status = 0;
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  child_pid = 0;
  sigaction (SIGINT, &old_int, NULL);
  sigaction (SIGQUIT, &old_quit, NULL);
  sigaction (SIGTERM, &old_term, NULL);
  sigaction (SIGHUP, &old_hup, NULL);
  weft_fs_remove_tree (dir, NULL);
  if (WIFEXITED (status))
    return WEXITSTATUS (status);
  if (WIFSIGNALED (status))
    return 128 + WTERMSIG (status);
  return EXIT_FAILED;
}

/* ---- cluster mode --------------------------------------------------------------------------- */

static volatile sig_atomic_t interrupted;

static void
on_interrupt (int sig)
{
  interrupted = sig;
}

/* The console progress bar on stderr, drawn as Spark draws it: "\r" + bar + "\r", so any line
 * printed after it overwrites it; erased before weft-submit prints a line of its own. */
typedef struct {
  gboolean enabled;
  guint width;
  char *last;          /* the bar on screen, or NULL */
  gint64 drawn_us;
} Bar;

static void
bar_clear (Bar *b)
{
  if (b->last == NULL)
    return;
  g_autofree char *blank = weft_progress_bar_clear (b->width);
  fputs (blank, stderr);
  fflush (stderr);
  g_clear_pointer (&b->last, g_free);
}

static void
bar_update (Bar *b, const char *detail)
{
  guint stage, done, running, total;
  if (!b->enabled)
    return;
  if (!weft_progress_detail_parse (detail, &stage, &done, &running, &total))
    {
      bar_clear (b);
      return;
    }
  g_autofree char *text = weft_progress_bar_format (stage, done, running, total, b->width);
  gint64 now = g_get_monotonic_time ();
  if (g_strcmp0 (text, b->last) == 0 && now - b->drawn_us < REDRAW_US)
    return;
  fprintf (stderr, "\r%s\r", text);
  fflush (stderr);
  g_free (b->last);
  b->last = g_steal_pointer (&text);
  b->drawn_us = now;
}

static gboolean
is_final (const char *state)
{
  return g_str_equal (state, "FINISHED") || g_str_equal (state, "FAILED")
         || g_str_equal (state, "KILLED");
}

/* Follows @app_id until it ends. Returns the exit code. */
static int
monitor (WeftYarnClient *client, const char *app_id, const SubmitConf *c)
{
  Bar bar = { .width = weft_progress_width (g_getenv ("COLUMNS")) };
  /* spark.ui.showConsoleProgress decides when set; else the bar is drawn on a terminal only,
   * so logs and pipes get no carriage returns. */
  bar.enabled = c->show_progress >= 0 ? c->show_progress : isatty (STDERR_FILENO);
  struct sigaction on_int = { .sa_handler = on_interrupt };
  sigemptyset (&on_int.sa_mask);
  sigaction (SIGINT, &on_int, NULL);
  sigaction (SIGTERM, &on_int, NULL);

  g_autofree char *last_state = NULL;
  WeftYarnAppReport r = { 0 };
  int code = EXIT_FAILED;
  gint64 polling_since = g_get_monotonic_time ();
  for (;;)
    {
      g_autoptr(GError) error = NULL;
      if (interrupted)
        {
          bar_clear (&bar);
          g_printerr ("weft-submit: interrupted; %s goes on running (weft app kill %s stops "
                      "it)\n", app_id, app_id);
          code = 128 + interrupted;
          break;
        }
      if (!weft_yarn_client_get_app (client, app_id, &r, &error))
        {
          bar_clear (&bar);
          g_printerr ("weft-submit: cannot follow %s: %s (it may still be running: weft app "
                      "status %s)\n", app_id, error->message, app_id);
          code = weft_yarn_exit_status (error);
          break;
        }
      if (g_strcmp0 (last_state, r.state) != 0)
        {
          bar_clear (&bar);
          g_printerr ("Application report for %s (state: %s)\n", app_id, r.state);
          g_free (last_state);
          last_state = g_strdup (r.state);
        }
      if (is_final (r.state))
        {
          bar_clear (&bar);
          g_printerr ("Application %s finished with state %s / final status %s\n", app_id,
                      r.state, r.final_status);
          if (*r.diagnostics)
            g_printerr ("Diagnostics: %s\n", r.diagnostics);
          code = g_str_equal (r.state, "FINISHED") && g_str_equal (r.final_status, "SUCCEEDED")
                   ? EXIT_OK : EXIT_FAILED;
          break;
        }
      bar_update (&bar, r.progress_detail);
      g_usleep (g_get_monotonic_time () - polling_since < POLL_FAST_FOR_US ? POLL_FAST_US : POLL_US);
    }
  g_printerr ("Logs: weft app logs %s\n", app_id);
  weft_yarn_app_report_clear (&r);
  g_free (bar.last);
  return code;
}

/* "host:port", with an IPv6 host in brackets. */
static char *
format_address (const char *host, guint16 port)
{
  return strchr (host, ':') ? g_strdup_printf ("[%s]:%u", host, port)
                            : g_strdup_printf ("%s:%u", host, port);
}

/* Stages the program, --files and the properties that name them, then submits @app_id. */
static gboolean
stage_and_submit (WeftYarnClient *client, const char *app_id, SubmitConf *c,
                  const SubmitArgs *args, GError **error)
{
  g_autoptr(GArray) resources = g_array_new (FALSE, FALSE, sizeof (WeftYarnResource));
  g_array_set_clear_func (resources, (GDestroyNotify) weft_yarn_resource_clear);
  WeftYarnResource r; /* each staged file's, until the array takes its strings */
  if (!weft_yarn_client_stage_file (client, app_id, c->program_path, c->program_name, TRUE, &r,
                                    error))
    return FALSE;
  g_array_append_val (resources, r);
  g_autoptr(GString) names = g_string_new (NULL);
  g_autoptr(GString) staged = g_string_new (NULL);
  for (guint i = 0; i < c->files->len; i++)
    {
      const char *name = c->file_names->pdata[i];
      if (!weft_yarn_client_stage_file (client, app_id, c->files->pdata[i], name, FALSE, &r,
                                        error))
        return FALSE;
      /* The driver finds them in its work folder, and can hand them on to its executors from
       * the RM's staging area: NAME:SIZE:SHA256, which the NM checks. */
      g_string_append_printf (names, "%s%s", i ? "," : "", name);
      g_string_append_printf (staged, "%s%s:%" G_GINT64_FORMAT ":%s", i ? "," : "", name,
                              r.size, r.sha256);
      g_array_append_val (resources, r);
    }
  if (c->files->len > 0)
    {
      submit_conf_set (c, "spark.files", names->str,
                       g_hash_table_lookup (c->origins, "spark.files"));
      submit_conf_set (c, "spark.weft.files.staged", staged->str, "weft-submit");
    }
  g_autofree char *text = submit_conf_properties_text (c);
  g_autoptr(GBytes) bytes = g_bytes_new (text, strlen (text));
  if (!weft_yarn_client_stage_bytes (client, app_id, bytes, SUBMIT_PROPERTIES_NAME, FALSE, &r,
                                     error))
    return FALSE;
  g_array_append_val (resources, r);

  g_autofree char *exe = g_strconcat ("./", c->program_name, NULL);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_ptr_array_add (argv, exe);
  for (guint i = 0; args->program_args[i]; i++)
    g_ptr_array_add (argv, args->program_args[i]);
  g_ptr_array_add (argv, NULL);
  g_autoptr(GHashTable) env = g_hash_table_new (g_str_hash, g_str_equal);
  /* Relative: the container starts in its work folder, where the NM put the file. */
  g_hash_table_insert (env, "WEFT_SUBMIT_PROPERTIES", SUBMIT_PROPERTIES_NAME);
  WeftYarnSubmission app = {
    .name = g_hash_table_lookup (c->props, "spark.app.name"),
    .queue = g_hash_table_lookup (c->props, "spark.yarn.queue"),
    .type = "WEFT",
    .am_vcores = c->am_vcores,
    .am_memory_mb = c->am_memory_mb,
    .am_argv = (const char *const *) argv->pdata,
    .am_env = env,
    .am_resources = (const WeftYarnResource *) resources->data,
    .n_am_resources = resources->len,
    .max_attempts = c->max_attempts,
  };
  return weft_yarn_client_submit (client, app_id, &app, error);
}

static int
run_cluster (SubmitConf *c, const SubmitArgs *args, WeftConf *site, const char *host,
             guint16 port)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WeftToken) token = NULL;
  if (!weft_daemon_client_token (site, &token, NULL, &error))
    {
      g_printerr ("weft-submit: %s\n", error->message);
      return EXIT_USAGE;
    }
  /* RPC sends never raise it, but a write to a closed stderr must not kill us either. */
  signal (SIGPIPE, SIG_IGN);
  WeftRpcOptions opts;
  weft_rpc_options_from_conf (&opts, site);
  g_autoptr(WeftYarnClient) client = weft_yarn_client_new (host, port, token, &opts);
  g_autofree char *app_id = weft_yarn_client_new_application (client, &error);
  if (app_id == NULL)
    {
      int code = weft_yarn_exit_status (error);
      g_printerr ("weft-submit: %s%s\n", error->message,
                  code == EXIT_UNREACHABLE
                    ? " (is weft-resourcemanager running? is WEFT_CONF_DIR set?)" : "");
      return code;
    }
  if (!stage_and_submit (client, app_id, c, args, &error))
    {
      /* The RM's refusals name the application already; staging errors name the file. */
      g_printerr ("weft-submit: %s\n", error->message);
      return weft_yarn_exit_status (error);
    }
  g_printerr ("Submitted application %s\n", app_id);
  if (!c->wait_completion)
    return EXIT_OK;
  return monitor (client, app_id, c);
}

int
main (int argc, char **argv)
{
  weft_log_init ("weft-submit", 0);
  SubmitArgs args = { 0 };
  g_autoptr(GError) error = NULL;
  int code;
  if (!submit_args_parse (argc, argv, &args, &error))
    {
      g_printerr ("weft-submit: %s (see weft-submit --help)\n", error->message);
      submit_args_clear (&args);
      return EXIT_USAGE;
    }
  if (args.help || args.version)
    {
      if (args.help)
        fputs (usage_text, stdout);
      else
        printf ("weft-submit %s\n", PACKAGE_VERSION);
      submit_args_clear (&args);
      return EXIT_OK;
    }
  g_autoptr(SubmitConf) c = submit_conf_resolve (&args, &error);
  if (c == NULL)
    {
      g_printerr ("weft-submit: %s (see weft-submit --help)\n", error->message);
      submit_args_clear (&args);
      return EXIT_USAGE;
    }
  for (guint i = 0; i < c->warnings->len; i++)
    g_printerr ("%s\n", (char *) c->warnings->pdata[i]);

  g_autoptr(WeftConf) site = NULL;
  g_autofree char *host = NULL;
  guint16 port = 0;
  if (!c->local)
    {
      /* Weft's own configuration: where the RM is, the client token, RPC timeouts. */
      g_auto (GStrv) overrides = g_new0 (char *, c->site_confs->len + 1);
      for (guint i = 0; i < c->site_confs->len; i++)
        overrides[i] = g_strdup (c->site_confs->pdata[i]);
      site = weft_conf_load (args.flags[SUBMIT_FLAG_CONF_DIR], overrides, &error);
      if (site == NULL)
        {
          g_printerr ("weft-submit: %s\n", error->message);
          submit_args_clear (&args);
          return EXIT_USAGE;
        }
      GLogLevelFlags level;
      if (weft_log_level_from_name (weft_conf_get_string (site, "log.level"), &level))
        weft_log_set_level (level);
      host = g_strdup (c->master_host ? c->master_host
                                      : weft_conf_get_string (site, "rm.hostname"));
      port = c->master_host ? c->master_port : (guint16) weft_conf_get_int (site, "rm.client-port");
      g_autofree char *address = format_address (host, port);
      submit_conf_set (c, "spark.weft.rm.address", address, "weft-submit");
    }
  if (args.verbose)
    print_verbose (c, &args);
  code = c->cluster_mode ? run_cluster (c, &args, site, host, port) : run_client (c, &args);
  submit_args_clear (&args);
  return code;
}
