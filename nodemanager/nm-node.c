/* nm-node: containers of this node. See nm-node.h. */
#include "nm-node.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nm-launcher.h"
#include "weft-fs.h"
#include "weft-nm-error.h"

/* How many heartbeats a completed container is reported in before the NM
 * stops reporting it (the RM ignores repeats; this bounds the list). */
#define REPORT_COMPLETED 3

typedef struct {
  NmNode *node;
  char *id;
  char *app_id;
  char *work_dir;
  char *log_dir;
  NmLauncher *launcher;
  NmStatus status;
  int stop_reason;        /* why we stopped it, if we did */
  char *stop_diagnostics;
  guint reported;         /* heartbeats acknowledged since it completed */
} Container;

struct _NmNode {
  char *node_id;
  gint64 vcores, memory_mb;
  char *work_dir, *log_dir;
  WeftSecret *secret;
  NmCgroupManager *cgroups;
  guint stop_grace_ms;
  char *rm_client_address, *rm_scheduler_address;
  GHashTable *containers;   /* id -> Container* */
  GHashTable *started;      /* every container id ever started: a token is good once */
  void (*on_change) (gpointer);
  gpointer on_change_data;
};

void
nm_node_set_on_change (NmNode *n, void (*func) (gpointer), gpointer data)
{
  n->on_change = func;
  n->on_change_data = data;
}

void
nm_status_free (NmStatus *s)
{
  if (s == NULL)
    return;
  g_free (s->container_id);
  g_free (s->diagnostics);
  g_free (s);
}

static NmStatus *
status_copy (const NmStatus *s)
{
  NmStatus *c = g_new0 (NmStatus, 1);
  *c = *s;
  c->container_id = g_strdup (s->container_id);
  c->diagnostics = g_strdup (s->diagnostics ? s->diagnostics : "");
  return c;
}

static void
container_free (Container *c)
{
  nm_launcher_free (c->launcher);
  g_free (c->id);
  g_free (c->app_id);
  g_free (c->work_dir);
  g_free (c->log_dir);
  g_free (c->status.container_id);
  g_free (c->status.diagnostics);
  g_free (c->stop_diagnostics);
  g_free (c);
}

NmNode *
nm_node_new (const NmNodeConfig *cfg)
{
  NmNode *n = g_new0 (NmNode, 1);
  n->node_id = g_strdup (cfg->node_id);
  n->vcores = cfg->vcores;
  n->memory_mb = cfg->memory_mb;
  n->work_dir = g_strdup (cfg->work_dir);
  n->log_dir = g_strdup (cfg->log_dir);
  n->secret = cfg->secret;
  n->cgroups = cfg->cgroups;
  n->stop_grace_ms = cfg->stop_grace_ms;
  n->rm_client_address = g_strdup (cfg->rm_client_address);
  n->rm_scheduler_address = g_strdup (cfg->rm_scheduler_address);
  n->containers = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                         (GDestroyNotify) container_free);
  n->started = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return n;
}

void
nm_node_free (NmNode *n)
{
  if (n == NULL)
    return;
  g_hash_table_unref (n->containers);
  g_hash_table_unref (n->started);
  g_free (n->node_id);
  g_free (n->work_dir);
  g_free (n->log_dir);
  g_free (n->rm_client_address);
  g_free (n->rm_scheduler_address);
  g_free (n);
}

static int
reason_from_launcher (const Container *c, const NmLauncherResult *r)
{
  switch (r->reason)
    {
    case NM_LAUNCHER_SUCCEEDED: return NM_EXIT_SUCCEEDED;
    case NM_LAUNCHER_FAILED: return NM_EXIT_FAILED;
    case NM_LAUNCHER_KILLED: return c->stop_reason ? c->stop_reason : NM_EXIT_KILLED_BY_RM;
    case NM_LAUNCHER_MEMORY_EXCEEDED: return NM_EXIT_MEMORY_EXCEEDED;
    case NM_LAUNCHER_LAUNCH_FAILED: return NM_EXIT_LAUNCH_FAILED;
    default: return NM_EXIT_FAILED;
    }
}

static void
container_exited (NmLauncher *launcher, const NmLauncherResult *r, gpointer data)
{
  Container *c = data;
  c->status.state = NM_STATE_COMPLETE;
  c->status.reason = reason_from_launcher (c, r);
  c->status.exit_code = r->exit_code;
  c->status.memory_limit_bytes = r->memory_limit;
  c->status.memory_peak_bytes = r->memory_peak;
  g_free (c->status.diagnostics);
  if (r->reason == NM_LAUNCHER_KILLED && c->stop_diagnostics)
    c->status.diagnostics = g_strdup (c->stop_diagnostics);
  else
    c->status.diagnostics = g_strdup (r->diagnostics ? r->diagnostics : "");
  g_message ("%s ended: %s, exit code %d%s%s", c->id, nm_launcher_reason_to_string (r->reason),
             r->exit_code, *c->status.diagnostics ? ": " : "", c->status.diagnostics);
  if (c->node->on_change)
    c->node->on_change (c->node->on_change_data);
}

static gboolean
safe_component (const char *s)
{
  if (s == NULL || *s == '\0' || strlen (s) > 128 || g_str_equal (s, ".") || g_str_equal (s, ".."))
    return FALSE;
  for (const char *p = s; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '_' && *p != '-' && *p != '.')
      return FALSE;
  return TRUE;
}

static char *start_container (NmNode *n, const WeftToken *token, const char *const *argv,
                              GHashTable *env, const char *localized_dir, GError **error);


/* Moves the localized files into the work folder (same file system). */
static gboolean
move_localized (const char *from, const char *to, GError **error)
{
  if (g_mkdir_with_parents (to, 0755) != 0)
    {
      int e = errno;
      g_set_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_LAUNCH, "cannot create %s: %s", to,
                   g_strerror (e));
      return FALSE;
    }
  GDir *d = g_dir_open (from, 0, error);
  if (d == NULL)
    return FALSE;
  const char *name;
  gboolean ok = TRUE;
  while (ok && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *src = g_build_filename (from, name, NULL);
      g_autofree char *dst = g_build_filename (to, name, NULL);
      if (rename (src, dst) != 0)
        {
          int e = errno;
          g_set_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_LAUNCH, "cannot move %s into %s: %s",
                       name, to, g_strerror (e));
          ok = FALSE;
        }
    }
  g_dir_close (d);
  return ok;
}

char *
nm_node_start_container (NmNode *n, const WeftToken *token, const char *const *argv,
                         GHashTable *env, const char *localized_dir, GError **error)
{
  char *id = start_container (n, token, argv, env, localized_dir, error);
  if (localized_dir)
    weft_fs_remove_tree (localized_dir, NULL);
  return id;
}

static char *
start_container (NmNode *n, const WeftToken *token, const char *const *argv, GHashTable *env,
                 const char *localized_dir, GError **error)
{
  /* The token says which container, of which application, on which node,
   * with how much: ["1", container, application, node, vcores, memory MB]. */
  g_auto (GStrv) f = NULL;
  if (n->secret != NULL)
    {
      f = weft_token_check (n->secret, token, "container", 6, g_get_real_time () / 1000, error);
      if (f == NULL)
        {
          g_prefix_error (error, "container refused: ");
          return NULL;
        }
    }
  else if (token != NULL)
    {
      /* Security off: the identifier is read unchecked. */
      f = weft_token_identifier_parse (token->identifier, NULL);
      if (f && g_strv_length (f) != 6)
        g_clear_pointer (&f, g_strfreev);
    }
  if (f == NULL)
    {
      g_set_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_INVALID,
                   "container refused: no readable container token");
      return NULL;
    }
  const char *cid = f[1], *app = f[2], *node = f[3];
  if (g_strcmp0 (node, n->node_id) != 0)
    {
      g_set_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_INVALID,
                   "container refused: %s's token is for node %s, and this is %s", cid, node,
                   n->node_id);
      return NULL;
    }
  if (!safe_component (cid) || !safe_component (app))
    {
      g_set_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_INVALID,
                   "container refused: bad container or application id in the token");
      return NULL;
    }
  if (g_hash_table_contains (n->started, cid))
    {
      g_set_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_INVALID,
                   "container refused: %s was started already (a container token is good once)",
                   cid);
      return NULL;
    }
  if (argv == NULL || argv[0] == NULL)
    {
      g_set_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_INVALID,
                   "container refused: %s has no command", cid);
      return NULL;
    }
  gint64 vcores = g_ascii_strtoll (f[4], NULL, 10), memory_mb = g_ascii_strtoll (f[5], NULL, 10);

  Container *c = g_new0 (Container, 1);
  c->node = n;
  c->id = g_strdup (cid);
  c->app_id = g_strdup (app);
  c->work_dir = g_build_filename (n->work_dir, app, cid, NULL);
  c->log_dir = g_build_filename (n->log_dir, app, cid, NULL);
  c->status.container_id = g_strdup (cid);
  c->status.state = NM_STATE_RUNNING;
  c->status.diagnostics = g_strdup ("");
  c->status.memory_limit_bytes = memory_mb * 1024 * 1024;

  g_autoptr(GHashTable) full = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  GHashTableIter it;
  gpointer k, v;
  if (env)
    {
      g_hash_table_iter_init (&it, env);
      while (g_hash_table_iter_next (&it, &k, &v))
        g_hash_table_insert (full, g_strdup (k), g_strdup (v));
    }
  g_hash_table_insert (full, g_strdup ("WEFT_CONTAINER_ID"), g_strdup (cid));
  g_hash_table_insert (full, g_strdup ("WEFT_APPLICATION_ID"), g_strdup (app));
  g_hash_table_insert (full, g_strdup ("WEFT_NM_ADDRESS"), g_strdup (n->node_id));
  if (!g_hash_table_contains (full, "WEFT_RM_CLIENT_ADDRESS"))
    g_hash_table_insert (full, g_strdup ("WEFT_RM_CLIENT_ADDRESS"), g_strdup (n->rm_client_address));
  if (!g_hash_table_contains (full, "WEFT_RM_SCHEDULER_ADDRESS"))
    g_hash_table_insert (full, g_strdup ("WEFT_RM_SCHEDULER_ADDRESS"),
                         g_strdup (n->rm_scheduler_address));

  if (localized_dir && !move_localized (localized_dir, c->work_dir, error))
    {
      g_prefix_error (error, "container %s could not start: ", cid);
      g_hash_table_add (n->started, g_strdup (cid));
      container_free (c);
      return NULL;
    }
  NmLaunchSpec spec = { .container_id = cid, .argv = argv, .env = full, .work_dir = c->work_dir,
                        .log_dir = c->log_dir, .memory_limit = memory_mb * 1024 * 1024,
                        .vcores = (double) vcores, .cgroups = n->cgroups };
  c->launcher = nm_launcher_start (&spec, container_exited, c, error);
  g_hash_table_add (n->started, g_strdup (cid));
  if (c->launcher == NULL)
    {
      g_prefix_error (error, "container %s could not start: ", cid);
      container_free (c);
      return NULL;
    }
  g_hash_table_insert (n->containers, c->id, c);
  g_message ("%s started for %s: %s (%" G_GINT64_FORMAT " vcores, %" G_GINT64_FORMAT " MB)", cid,
             app, argv[0], vcores, memory_mb);
  return g_strdup (cid);
}

static Container *
lookup (NmNode *n, const char *cid, GError **error)
{
  Container *c = cid ? g_hash_table_lookup (n->containers, cid) : NULL;
  if (c == NULL)
    g_set_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_NOT_FOUND,
                 "container %s is not known on node %s", cid ? cid : "(none)", n->node_id);
  return c;
}

gboolean
nm_node_authorize (NmNode *n, const WeftToken *token, const char *cid, GError **error)
{
  if (n->secret == NULL)
    return TRUE;
  gint64 now = g_get_real_time () / 1000;
  if (token != NULL && g_strcmp0 (token->kind, "client") == 0)
    {
      g_auto (GStrv) f = weft_token_check (n->secret, token, "client", 2, now, error);
      return f != NULL;
    }
  g_auto (GStrv) f = weft_token_check (n->secret, token, "container", 6, now, error);
  if (f == NULL)
    {
      g_prefix_error (error, "not authorised for %s: ", cid ? cid : "(none)");
      return FALSE;
    }
  Container *c = lookup (n, cid, error);
  if (c == NULL)
    return FALSE;
  if (g_strcmp0 (f[2], c->app_id) != 0)
    {
      g_set_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_INVALID,
                   "not authorised: %s belongs to %s, and the token is for %s", cid, c->app_id, f[2]);
      return FALSE;
    }
  return TRUE;
}

gboolean
nm_node_stop_container (NmNode *n, const char *cid, int reason, const char *diagnostics,
                        GError **error)
{
  Container *c = lookup (n, cid, error);
  if (c == NULL)
    return FALSE;
  if (c->status.state == NM_STATE_COMPLETE)
    return TRUE;
  if (c->stop_reason == 0)
    {
      c->stop_reason = reason;
      c->stop_diagnostics = g_strdup (diagnostics ? diagnostics : "");
    }
  nm_launcher_stop (c->launcher, n->stop_grace_ms);
  return TRUE;
}

void
nm_node_stop_all (NmNode *n, int reason, const char *diagnostics)
{
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, n->containers);
  while (g_hash_table_iter_next (&it, NULL, &v))
    {
      Container *c = v;
      nm_node_stop_container (n, c->id, reason, diagnostics, NULL);
    }
}

guint
nm_node_running_count (NmNode *n)
{
  guint count = 0;
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, n->containers);
  while (g_hash_table_iter_next (&it, NULL, &v))
    count += ((Container *) v)->status.state != NM_STATE_COMPLETE;
  return count;
}

NmStatus *
nm_node_get_status (NmNode *n, const char *cid, GError **error)
{
  Container *c = lookup (n, cid, error);
  return c ? status_copy (&c->status) : NULL;
}

GPtrArray *
nm_node_heartbeat_statuses (NmNode *n)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) nm_status_free);
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, n->containers);
  while (g_hash_table_iter_next (&it, NULL, &v))
    {
      Container *c = v;
      if (c->status.state == NM_STATE_COMPLETE && c->reported >= REPORT_COMPLETED)
        continue;
      g_ptr_array_add (out, status_copy (&c->status));
    }
  return out;
}

void
nm_node_heartbeat_acked (NmNode *n, GPtrArray *statuses)
{
  for (guint i = 0; i < statuses->len; i++)
    {
      NmStatus *s = statuses->pdata[i];
      Container *c = g_hash_table_lookup (n->containers, s->container_id);
      if (c && s->state == NM_STATE_COMPLETE)
        c->reported++;
    }
}

gboolean
nm_node_read_log (NmNode *n, const char *cid, gboolean is_stderr, gint64 offset, gint32 max_bytes,
                  GBytes **data, gint64 *size, gboolean *eof, GError **error)
{
  Container *c = lookup (n, cid, error);
  if (c == NULL)
    return FALSE;
  if (offset < 0 || max_bytes < 0)
    {
      g_set_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_INVALID, "negative offset or length");
      return FALSE;
    }
  /* Read the state first: if the container had ended, the file is whole. */
  gboolean ended = c->status.state == NM_STATE_COMPLETE;
  g_autofree char *path = g_build_filename (c->log_dir, is_stderr ? "stderr" : "stdout", NULL);
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      if (errno == ENOENT)
        {
          *data = g_bytes_new (NULL, 0);
          *size = 0;
          *eof = ended;
          return TRUE;
        }
      int e = errno;
      g_set_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_IO, "cannot open %s: %s", path,
                   g_strerror (e));
      return FALSE;
    }
  struct stat st;
  fstat (fd, &st);
  gsize want = (gsize) MIN ((gint64) max_bytes, MAX ((gint64) 0, (gint64) st.st_size - offset));
  guint8 *buf = g_malloc (want ? want : 1);
  ssize_t got = want ? pread (fd, buf, want, offset) : 0;
  close (fd);
  if (got < 0)
    got = 0;
  *data = g_bytes_new_take (buf, (gsize) got);
  *size = st.st_size;
  *eof = ended && offset + got >= st.st_size;
  return TRUE;
}
