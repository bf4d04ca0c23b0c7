/* nm-monitor.c: see nm-monitor.h for the contract. */

#include "nm-monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

/* Fields of /proc/<pid>/stat after the ")" that closes the command name, counted from 0 (the state,
 * field 3 in proc(5)). */
enum {
  F_STATE = 0,
  F_PPID = 1,
  F_PGRP = 2,
  F_SESSION = 3,
  F_STARTTIME = 19,
  F_RSS = 21,
  F_COUNT = 22,
};

struct _NmProcTable
{
  GHashTable *by_pid; /* GPid -> NmProcInfo* (owned) */
};

struct _NmMonitor
{
  GPid root;
  gint64 limit;
  char *proc_dir;
  gint64 peak;
  gboolean was_over;
  GArray *pids; /* GPid: the last sample's tree */
};

/* ---- The snapshot ----------------------------------------------------------------------------- */

NmProcTable *
nm_monitor_table_new (void)
{
  NmProcTable *t = g_new0 (NmProcTable, 1);

  t->by_pid = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  return t;
}

void
nm_monitor_table_free (NmProcTable *table)
{
  if (table == NULL)
    return;
  g_hash_table_unref (table->by_pid);
  g_free (table);
}

void
nm_monitor_table_add (NmProcTable *table, const NmProcInfo *info)
{
  g_return_if_fail (table != NULL && info != NULL && info->pid > 0);
  g_hash_table_replace (table->by_pid, GINT_TO_POINTER (info->pid), g_memdup2 (info, sizeof *info));
}

guint
nm_monitor_table_size (const NmProcTable *table)
{
  g_return_val_if_fail (table != NULL, 0);
  return g_hash_table_size (table->by_pid);
}

const NmProcInfo *
nm_monitor_table_lookup (const NmProcTable *table, GPid pid)
{
  g_return_val_if_fail (table != NULL, NULL);
  return g_hash_table_lookup (table->by_pid, GINT_TO_POINTER (pid));
}

static gboolean
parse_field (const char *s, gint64 min, gint64 max, gint64 *out)
{
  return g_ascii_string_to_signed (s, 10, min, max, out, NULL);
}

gboolean
nm_monitor_parse_stat (const char *text, gint64 page_size, NmProcInfo *out, GError **error)
{
  const char *open, *close;
  g_autofree char *pid_text = NULL;
  g_auto (GStrv) f = NULL;
  gint64 pid, ppid, pgid, sid, rss;
  guint64 start;

  g_return_val_if_fail (text != NULL && out != NULL, FALSE);
  open = strchr (text, '(');
  close = strrchr (text, ')');
  if (open == NULL || close == NULL || close < open || close[1] != ' ')
    goto bad;
  pid_text = g_strstrip (g_strndup (text, open - text));
  f = g_strsplit (close + 2, " ", -1);
  if (g_strv_length (f) < F_COUNT || !parse_field (pid_text, 1, G_MAXINT, &pid) || strlen (f[F_STATE]) != 1
      || !parse_field (f[F_PPID], 0, G_MAXINT, &ppid) || !parse_field (f[F_PGRP], 0, G_MAXINT, &pgid)
      || !parse_field (f[F_SESSION], 0, G_MAXINT, &sid) || !parse_field (f[F_RSS], 0, G_MAXINT64 / 65536, &rss)
      || !g_ascii_string_to_unsigned (f[F_STARTTIME], 10, 0, G_MAXUINT64, &start, NULL))
    goto bad;

  out->pid = (GPid) pid;
  out->ppid = (GPid) ppid;
  out->pgid = (GPid) pgid;
  out->sid = (GPid) sid;
  out->state = f[F_STATE][0];
  out->start_time = start;
  out->rss_bytes = rss * page_size;
  return TRUE;

bad:
  {
    g_autofree char *shown = g_strndup (text, 120);
    g_set_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_PROC, "not a /proc/<pid>/stat line: '%s'",
                 g_strchomp (shown));
    return FALSE;
  }
}

/* Reads a stat file into @buf; FALSE with errno set. A stat line is well under 1 KiB (the command
 * name is at most 64 bytes), so one buffer does. */
static gboolean
read_small (const char *path, char *buf, gsize size)
{
  gsize got = 0;
  int fd = open (path, O_RDONLY | O_CLOEXEC);

  if (fd < 0)
    return FALSE;
  while (got < size - 1)
    {
      ssize_t n = read (fd, buf + got, size - 1 - got);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int e = errno;
          close (fd);
          errno = e;
          return FALSE;
        }
      if (n == 0)
        break;
      got += (gsize) n;
    }
  buf[got] = '\0';
  close (fd);
  return TRUE;
}

NmProcTable *
nm_monitor_table_read (const char *proc_dir, GError **error)
{
  const char *dir = proc_dir != NULL ? proc_dir : "/proc";
  g_autoptr (NmProcTable) t = nm_monitor_table_new ();
  g_autoptr (GDir) d = NULL;
  GError *local = NULL;
  gint64 page_size = sysconf (_SC_PAGESIZE);
  const char *name;

  d = g_dir_open (dir, 0, &local);
  if (d == NULL)
    {
      g_set_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_PROC, "cannot list %s: %s", dir, local->message);
      g_error_free (local);
      return NULL;
    }
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = NULL;
      char buf[4096];
      NmProcInfo info;

      if (!g_ascii_isdigit (name[0]))
        continue;
      path = g_build_filename (dir, name, "stat", NULL);
      if (!read_small (path, buf, sizeof buf))
        {
          int e = errno;

          /* It exited since the listing (ESRCH is what a reaped /proc entry gives mid-read). */
          if (e == ENOENT || e == ESRCH)
            continue;
          g_set_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_PROC, "cannot read %s: %s", path, g_strerror (e));
          return NULL;
        }
      if (buf[0] == '\0')
        continue; /* exited between open and read */
      /* A process the kernel is tearing down (state X) reports -1 for its
       * group and session: it is gone, whatever the line says. */
      const char *paren = strrchr (buf, ')');
      if (paren != NULL && paren[1] == ' ' && paren[2] == 'X')
        continue;
      if (!nm_monitor_parse_stat (buf, page_size, &info, error))
        {
          g_prefix_error (error, "%s: ", path);
          return NULL;
        }
      nm_monitor_table_add (t, &info);
    }
  return g_steal_pointer (&t);
}

static gint
cmp_pid (gconstpointer a, gconstpointer b)
{
  GPid x = *(const GPid *) a, y = *(const GPid *) b;

  return x < y ? -1 : x > y;
}

GArray *
nm_monitor_table_tree (const NmProcTable *table, GPid root)
{
  GArray *out = g_array_new (FALSE, FALSE, sizeof (GPid));
  g_autoptr (GHashTable) children = NULL; /* ppid -> GPtrArray of NmProcInfo* (borrowed) */
  g_autoptr (GHashTable) in = NULL;
  g_autoptr (GQueue) todo = NULL;
  GHashTableIter it;
  gpointer value;

  g_return_val_if_fail (table != NULL, out);
  if (root <= 1)
    return out;

  children = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) g_ptr_array_unref);
  in = g_hash_table_new (NULL, NULL);
  todo = g_queue_new ();
  g_hash_table_iter_init (&it, table->by_pid);
  while (g_hash_table_iter_next (&it, NULL, &value))
    {
      NmProcInfo *p = value;
      GPtrArray *kids = g_hash_table_lookup (children, GINT_TO_POINTER (p->ppid));

      if (kids == NULL)
        {
          kids = g_ptr_array_new ();
          g_hash_table_insert (children, GINT_TO_POINTER (p->ppid), kids);
        }
      g_ptr_array_add (kids, p);
      if (p->pid == root || p->sid == root || p->pgid == root)
        {
          g_hash_table_add (in, GINT_TO_POINTER (p->pid));
          g_queue_push_tail (todo, p);
        }
    }
  /* Descendants of members, breadth first. */
  while (!g_queue_is_empty (todo))
    {
      NmProcInfo *p = g_queue_pop_head (todo);
      GPtrArray *kids = g_hash_table_lookup (children, GINT_TO_POINTER (p->pid));

      for (guint i = 0; kids != NULL && i < kids->len; i++)
        {
          NmProcInfo *k = g_ptr_array_index (kids, i);

          if (g_hash_table_contains (in, GINT_TO_POINTER (k->pid)))
            continue;
          g_hash_table_add (in, GINT_TO_POINTER (k->pid));
          g_queue_push_tail (todo, k);
        }
    }
  g_hash_table_iter_init (&it, in);
  while (g_hash_table_iter_next (&it, &value, NULL))
    {
      GPid pid = GPOINTER_TO_INT (value);

      g_array_append_val (out, pid);
    }
  g_array_sort (out, cmp_pid);
  return out;
}

gint64
nm_monitor_table_rss (const NmProcTable *table, const GArray *pids)
{
  gint64 sum = 0;

  g_return_val_if_fail (table != NULL && pids != NULL, 0);
  for (guint i = 0; i < pids->len; i++)
    {
      const NmProcInfo *p = nm_monitor_table_lookup (table, g_array_index (pids, GPid, i));

      if (p != NULL)
        sum += p->rss_bytes;
    }
  return sum;
}

/* ---- Sampling --------------------------------------------------------------------------------- */

NmMonitor *
nm_monitor_new (GPid root, gint64 limit_bytes, const char *proc_dir)
{
  NmMonitor *m;

  g_return_val_if_fail (root > 1, NULL);
  m = g_new0 (NmMonitor, 1);
  m->root = root;
  m->limit = MAX (limit_bytes, 0);
  m->proc_dir = g_strdup (proc_dir);
  m->pids = g_array_new (FALSE, FALSE, sizeof (GPid));
  return m;
}

void
nm_monitor_free (NmMonitor *monitor)
{
  if (monitor == NULL)
    return;
  g_array_unref (monitor->pids);
  g_free (monitor->proc_dir);
  g_free (monitor);
}

gboolean
nm_monitor_sample (NmMonitor *monitor, NmMonitorSample *out, GError **error)
{
  g_autoptr (NmProcTable) t = NULL;
  gint64 rss;

  g_return_val_if_fail (monitor != NULL, FALSE);
  t = nm_monitor_table_read (monitor->proc_dir, error);
  if (t == NULL)
    return FALSE;
  g_array_unref (monitor->pids);
  monitor->pids = nm_monitor_table_tree (t, monitor->root);
  rss = nm_monitor_table_rss (t, monitor->pids);
  monitor->peak = MAX (monitor->peak, rss);
  if (monitor->limit > 0 && rss > monitor->limit)
    monitor->was_over = TRUE;
  if (out != NULL)
    {
      out->rss_bytes = rss;
      out->peak_bytes = monitor->peak;
      out->n_processes = monitor->pids->len;
      out->over_limit = monitor->limit > 0 && rss > monitor->limit;
    }
  return TRUE;
}

gint64
nm_monitor_get_peak (NmMonitor *monitor)
{
  g_return_val_if_fail (monitor != NULL, 0);
  return monitor->peak;
}

gint64
nm_monitor_get_limit (NmMonitor *monitor)
{
  g_return_val_if_fail (monitor != NULL, 0);
  return monitor->limit;
}

gboolean
nm_monitor_was_over_limit (NmMonitor *monitor)
{
  g_return_val_if_fail (monitor != NULL, FALSE);
  return monitor->was_over;
}

const GArray *
nm_monitor_get_pids (NmMonitor *monitor)
{
  g_return_val_if_fail (monitor != NULL, NULL);
  return monitor->pids;
}
