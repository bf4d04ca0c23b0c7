/* nm-cgroup.c: see nm-cgroup.h for the contract.
 *
 * Layout. Every group lives under the NM's *own* cgroup of each hierarchy (read from
 * /proc/self/cgroup), never at a mount's root: whoever started the NM (systemd, a container
 * runtime, a test harness) put it in a group for a reason, and containers nested below it stay
 * inside that group's limits and accounting. The instance group is flat, "weft-<instance>", rather
 * than "weft/<instance>": a shared "weft" folder would be created and removed by several NMs at
 * once (a rmdir/mkdir race) and would carry one cpu.shares for all of them.
 *
 * v1 may have memory, cpu and cpuacct as three mounts or cpu,cpuacct as one; a Dir records which
 * controllers one folder serves, so every reading goes to the folder that has the file. */

#include "nm-cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The CFS bandwidth period. 100 ms is the kernel default: shorter periods throttle more often
 * (more context switches), longer ones let a burst overrun the quota for longer. */
#define CPU_PERIOD_US 100000
/* The kernel refuses quotas below 1 ms. */
#define CPU_QUOTA_MIN_US 1000
/* v1 cpu.shares bounds (kernel MIN_SHARES, MAX_SHARES). */
#define SHARES_MIN 2
#define SHARES_MAX 262144
/* Rounds of list-and-signal before nm_cgroup_kill_all() gives up on a group that keeps forking. */
#define KILL_ROUNDS_MAX 200
#define NAME_MAX_LEN 200

enum {
  HIER_MEMORY = 1 << 0,
  HIER_CPU = 1 << 1,
  HIER_CPUACCT = 1 << 2,
  HIER_UNIFIED = 1 << 3, /* v2: one folder serves everything */
};

typedef struct
{
  char *path;
  guint flags;
} Dir;

struct _NmCgroupManager
{
  NmCgroupMode mode;
  char *instance;
  char *why_off; /* mode NONE: why cgroups are off */
  GArray *bases; /* of Dir: the NM's own group per hierarchy */
  GArray *dirs;  /* of Dir: the instance group per hierarchy, parallel to bases */
};

struct _NmCgroup
{
  NmCgroupMode mode;
  char *name;
  GArray *dirs;        /* of Dir */
  gint64 tracked_peak; /* largest sampled use, for v2 without memory.peak */
};

/* ---- Small helpers ---------------------------------------------------------------------------- */

static void
dir_clear (gpointer p)
{
  Dir *d = p;

  g_free (d->path);
}

static GArray *
dirs_new (void)
{
  GArray *a = g_array_new (FALSE, TRUE, sizeof (Dir));

  g_array_set_clear_func (a, dir_clear);
  return a;
}

static void
dirs_add (GArray *dirs, char *path /* transfer full */, guint flags)
{
  Dir d = { path, flags };

  g_array_append_val (dirs, d);
}

/* The folder serving @flag, or NULL. */
static const Dir *
dirs_find (GArray *dirs, guint flag)
{
  for (guint i = 0; i < dirs->len; i++)
    {
      const Dir *d = &g_array_index (dirs, Dir, i);

      if (d->flags & (flag | HIER_UNIFIED))
        return d;
    }
  return NULL;
}

static gboolean
valid_name (const char *name)
{
  gsize len = name != NULL ? strlen (name) : 0;

  if (len == 0 || len > NAME_MAX_LEN || strcmp (name, ".") == 0 || strcmp (name, "..") == 0)
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '.' && *p != '_' && *p != '-')
      return FALSE;
  return TRUE;
}

/* Reads a (small, pseudo-) file whole. cgroupfs and procfs report size 0, so read to EOF. */
static char *
read_text (const char *path, GError **error)
{
  g_autoptr (GString) s = g_string_new (NULL);
  char buf[4096];
  int fd = open (path, O_RDONLY | O_CLOEXEC);

  if (fd < 0)
    {
      int e = errno;
      g_set_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_CGROUP, "cannot read %s: %s", path,
                   g_strerror (e));
      return NULL;
    }
  for (;;)
    {
      ssize_t n = read (fd, buf, sizeof buf);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int e = errno;
          close (fd);
          g_set_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_CGROUP, "cannot read %s: %s", path,
                       g_strerror (e));
          return NULL;
        }
      if (n == 0)
        break;
      g_string_append_len (s, buf, n);
    }
  close (fd);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

/* One write(2) of @text: cgroup files take a value per write, and the kernel's verdict on it (an
 * EINVAL for a bad limit, an EBUSY) comes back from that write, or from close. Returns 0 or the
 * errno. */
static int
write_raw (const char *path, const char *text)
{
  gsize len = strlen (text);
  ssize_t n;
  int fd = open (path, O_WRONLY | O_CLOEXEC);

  if (fd < 0)
    return errno;
  do
    n = write (fd, text, len);
  while (n < 0 && errno == EINTR);
  if (n < 0 || (gsize) n != len)
    {
      int e = n < 0 ? errno : EIO;
      close (fd);
      return e;
    }
  if (close (fd) < 0)
    return errno;
  return 0;
}

static void
set_write_error (GError **error, const char *path, const char *text, int e)
{
  g_autofree char *shown = g_strchomp (g_strdup (text));

  g_set_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_CGROUP, "cannot write '%s' to %s: %s", shown, path,
               g_strerror (e));
}

static gboolean
write_text (const char *path, const char *text, GError **error)
{
  int e = write_raw (path, text);

  if (e != 0)
    set_write_error (error, path, text, e);
  return e == 0;
}

static gboolean
parse_int64 (const char *path, const char *text, gint64 *out, GError **error)
{
  g_autofree char *t = g_strstrip (g_strdup (text));
  char *end = NULL;
  gint64 v;

  errno = 0;
  v = g_ascii_strtoll (t, &end, 10);
  if (errno != 0 || end == t || *end != '\0')
    {
      g_set_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_CGROUP, "%s holds '%s', not a number", path, t);
      return FALSE;
    }
  *out = v;
  return TRUE;
}

static gboolean
read_int64 (const char *path, gint64 *out, GError **error)
{
  g_autofree char *text = read_text (path, error);

  return text != NULL && parse_int64 (path, text, out, error);
}

/* From a "key value" per line file (memory.events, cpu.stat, memory.oom_control): the value of
 * @key, with *@found FALSE (and 0) when the file has no such line. */
static gboolean
read_keyed (const char *path, const char *key, guint64 *out, gboolean *found, GError **error)
{
  g_autofree char *text = read_text (path, error);
  g_auto (GStrv) lines = NULL;
  gsize klen = strlen (key);

  if (text == NULL)
    return FALSE;
  *out = 0;
  *found = FALSE;
  lines = g_strsplit (text, "\n", -1);
  for (char **l = lines; *l != NULL; l++)
    if (strncmp (*l, key, klen) == 0 && (*l)[klen] == ' ')
      {
        char *end = NULL;
        const char *v = *l + klen + 1;

        errno = 0;
        *out = g_ascii_strtoull (v, &end, 10);
        if (errno != 0 || end == v)
          {
            g_set_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_CGROUP, "%s: bad value in line '%s'",
                         path, *l);
            return FALSE;
          }
        *found = TRUE;
        break;
      }
  return TRUE;
}

static gboolean
file_exists (const char *dir, const char *file)
{
  g_autofree char *p = g_build_filename (dir, file, NULL);

  return access (p, F_OK) == 0;
}

static gboolean
write_in (const char *dir, const char *file, const char *text, GError **error)
{
  g_autofree char *p = g_build_filename (dir, file, NULL);

  return write_text (p, text, error);
}

/* rmdir(2), retried while the kernel still holds the group: right after its last process exits a
 * group stays busy for a moment (the exit is not complete until the parent reaps, and css
 * teardown is asynchronous). */
static gboolean
rmdir_retry (const char *path, guint timeout_ms, GError **error)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  for (;;)
    {
      int e;

      if (rmdir (path) == 0 || errno == ENOENT)
        return TRUE;
      e = errno;
      if (e != EBUSY && e != ENOTEMPTY)
        {
          g_set_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_CGROUP, "cannot remove cgroup %s: %s", path,
                       g_strerror (e));
          return FALSE;
        }
      if (g_get_monotonic_time () >= deadline)
        {
          g_set_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_CGROUP_BUSY,
                       "cannot remove cgroup %s: %s (it still holds processes or groups after %u ms)",
                       path, g_strerror (e), timeout_ms);
          return FALSE;
        }
      g_usleep (10 * 1000);
    }
}

/* ---- Reading the mounts and the NM's own groups ---------------------------------------------- */

typedef struct
{
  char *root;   /* the folder of the hierarchy that is mounted, usually "/" */
  char *point;  /* where */
  char *fstype; /* "cgroup" or "cgroup2" */
  char **super; /* super options: the v1 controllers ("rw", "cpu", "cpuacct"...) */
} Mount;

static void
mount_clear (gpointer p)
{
  Mount *m = p;

  g_free (m->root);
  g_free (m->point);
  g_free (m->fstype);
  g_strfreev (m->super);
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static char *
unescape_octal (const char *s)
{
  GString *out = g_string_new (NULL);

  for (const char *p = s; *p != '\0'; p++)
    {
      if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' && p[3] >= '0'
          && p[3] <= '7')
        {
          g_string_append_c (out, (char) ((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0')));
          p += 3;
        }
      else
        g_string_append_c (out, *p);
    }
  return g_string_free (out, FALSE);
}

static GArray *
read_mounts (const char *mountinfo, GError **error)
{
  g_autofree char *text = read_text (mountinfo, error);
  g_auto (GStrv) lines = NULL;
  GArray *mounts;

  if (text == NULL)
    return NULL;
  mounts = g_array_new (FALSE, TRUE, sizeof (Mount));
  g_array_set_clear_func (mounts, mount_clear);
  lines = g_strsplit (text, "\n", -1);
  for (char **l = lines; *l != NULL; l++)
    {
      g_auto (GStrv) f = g_strsplit (*l, " ", -1);
      guint n = g_strv_length (f), sep;
      Mount m;

      for (sep = 6; sep < n && strcmp (f[sep], "-") != 0; sep++)
        ;
      if (n < 7 || sep + 3 >= n)
        continue;
      if (strcmp (f[sep + 1], "cgroup") != 0 && strcmp (f[sep + 1], "cgroup2") != 0)
        continue;
      m.root = unescape_octal (f[3]);
      m.point = unescape_octal (f[4]);
      m.fstype = g_strdup (f[sep + 1]);
      m.super = g_strsplit (f[sep + 3], ",", -1);
      g_array_append_val (mounts, m);
    }
  return mounts;
}

/* /proc/self/cgroup: "3:memory:/a/b", "2:cpu,cpuacct:/", "0::/x" (v2). Maps each v1 controller,
 * and "" for v2, to the NM's group path. */
static GHashTable *
read_self_cgroup (const char *self_cgroup, GError **error)
{
  g_autofree char *text = read_text (self_cgroup, error);
  g_auto (GStrv) lines = NULL;
  GHashTable *map;

  if (text == NULL)
    return NULL;
  map = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  lines = g_strsplit (text, "\n", -1);
  for (char **l = lines; *l != NULL; l++)
    {
      g_auto (GStrv) f = g_strsplit (*l, ":", 3);
      g_auto (GStrv) ctrls = NULL;

      if (g_strv_length (f) != 3)
        continue;
      if (f[1][0] == '\0')
        {
          g_hash_table_replace (map, g_strdup (""), g_strdup (f[2]));
          continue;
        }
      ctrls = g_strsplit (f[1], ",", -1);
      for (char **c = ctrls; *c != NULL; c++)
        g_hash_table_replace (map, g_strdup (*c), g_strdup (f[2]));
    }
  return map;
}

static const Mount *
find_mount (GArray *mounts, const char *fstype, const char *controller)
{
  for (guint i = 0; i < mounts->len; i++)
    {
      const Mount *m = &g_array_index (mounts, Mount, i);

      if (strcmp (m->fstype, fstype) != 0)
        continue;
      if (controller == NULL || g_strv_contains ((const char *const *) m->super, controller))
        return m;
    }
  return NULL;
}

/* The NM's own group in mount @m, as a folder; NULL (with @why) if it is not visible there. */
static char *
own_group_dir (const Mount *m, GHashTable *own, const char *key, char **why)
{
  const char *path = g_hash_table_lookup (own, key);
  const char *rel;

  if (path == NULL)
    {
      *why = g_strdup_printf ("/proc/self/cgroup names no %s group",
                              key[0] != '\0' ? key : "unified (v2)");
      return NULL;
    }
  rel = path;
  if (strcmp (m->root, "/") != 0)
    {
      gsize rl = strlen (m->root);

      /* A mount of a sub-tree (inside a container): the NM's path is relative to the hierarchy's
       * root, the mount shows only m->root and below. */
      if (strncmp (path, m->root, rl) != 0 || (path[rl] != '\0' && path[rl] != '/'))
        {
          *why = g_strdup_printf ("the NM's group %s is outside the tree mounted at %s", path,
                                  m->point);
          return NULL;
        }
      rel = path + rl;
    }
  return g_build_filename (m->point, rel, NULL);
}

static gboolean
dir_writable (const char *dir, char **why)
{
  if (access (dir, W_OK | X_OK) != 0)
    {
      int e = errno;
      *why = g_strdup_printf ("%s is not writable: %s", dir, g_strerror (e));
      return FALSE;
    }
  return TRUE;
}

/* Fills @bases with the v1 folders (memory, cpu, and cpuacct when mounted), or returns FALSE with
 * @why. */
static gboolean
probe_v1 (GArray *mounts, GHashTable *own, GArray *bases, char **why)
{
  const Mount *mem = find_mount (mounts, "cgroup", "memory");
  const Mount *cpu = find_mount (mounts, "cgroup", "cpu");
  const Mount *acct = find_mount (mounts, "cgroup", "cpuacct");
  g_autofree char *mem_dir = NULL, *cpu_dir = NULL, *acct_dir = NULL;

  if (mem == NULL || cpu == NULL)
    {
      *why = g_strdup_printf ("no %s hierarchy is mounted", mem == NULL ? "memory" : "cpu");
      return FALSE;
    }
  if ((mem_dir = own_group_dir (mem, own, "memory", why)) == NULL
      || (cpu_dir = own_group_dir (cpu, own, "cpu", why)) == NULL)
    return FALSE;
  if (!dir_writable (mem_dir, why) || !dir_writable (cpu_dir, why))
    return FALSE;
  if (!file_exists (mem_dir, "memory.limit_in_bytes"))
    {
      *why = g_strdup_printf ("%s has no memory.limit_in_bytes", mem_dir);
      return FALSE;
    }
  if (!file_exists (cpu_dir, "cpu.cfs_quota_us"))
    {
      *why = g_strdup_printf ("%s has no cpu.cfs_quota_us (kernel without CFS bandwidth control)",
                              cpu_dir);
      return FALSE;
    }
  if (acct != NULL)
    {
      char *ignored = NULL;

      acct_dir = own_group_dir (acct, own, "cpuacct", &ignored);
      g_free (ignored);
      if (acct_dir != NULL && access (acct_dir, W_OK | X_OK) != 0)
        g_clear_pointer (&acct_dir, g_free);
    }

  if (mem == cpu)
    {
      dirs_add (bases, g_steal_pointer (&mem_dir),
                HIER_MEMORY | HIER_CPU | (acct == cpu && acct_dir != NULL ? HIER_CPUACCT : 0));
      return TRUE;
    }
  dirs_add (bases, g_steal_pointer (&mem_dir), HIER_MEMORY | (acct == mem && acct_dir ? HIER_CPUACCT : 0));
  dirs_add (bases, g_steal_pointer (&cpu_dir), HIER_CPU | (acct == cpu && acct_dir ? HIER_CPUACCT : 0));
  if (acct_dir != NULL && acct != cpu && acct != mem)
    dirs_add (bases, g_steal_pointer (&acct_dir), HIER_CPUACCT);
  return TRUE;
}

static gboolean
probe_v2 (GArray *mounts, GHashTable *own, GArray *bases, char **why)
{
  const Mount *m = find_mount (mounts, "cgroup2", NULL);
  g_autofree char *dir = NULL, *controllers_path = NULL, *text = NULL, *subtree = NULL;
  g_auto (GStrv) controllers = NULL;
  g_autoptr (GError) error = NULL;

  if (m == NULL)
    {
      *why = g_strdup ("no cgroup2 file system is mounted");
      return FALSE;
    }
  if ((dir = own_group_dir (m, own, "", why)) == NULL)
    return FALSE;
  controllers_path = g_build_filename (dir, "cgroup.controllers", NULL);
  if ((text = read_text (controllers_path, &error)) == NULL)
    {
      *why = g_strdup (error->message);
      return FALSE;
    }
  controllers = g_strsplit_set (g_strstrip (text), " \n", -1);
  if (!g_strv_contains ((const char *const *) controllers, "cpu")
      || !g_strv_contains ((const char *const *) controllers, "memory"))
    {
      *why = g_strdup_printf ("%s lists '%s', not both cpu and memory (on a hybrid system they "
                              "belong to v1 hierarchies)",
                              controllers_path, text);
      return FALSE;
    }
  subtree = g_build_filename (dir, "cgroup.subtree_control", NULL);
  if (access (subtree, W_OK) != 0)
    {
      int e = errno;
      *why = g_strdup_printf ("%s is not writable: %s", subtree, g_strerror (e));
      return FALSE;
    }
  dirs_add (bases, g_steal_pointer (&dir), HIER_MEMORY | HIER_CPU | HIER_CPUACCT | HIER_UNIFIED);
  return TRUE;
}

typedef struct
{
  GArray *v1_bases, *v2_bases;
  char *v1_why, *v2_why;
} Probe;

static void
probe_clear (Probe *p)
{
  g_clear_pointer (&p->v1_bases, g_array_unref);
  g_clear_pointer (&p->v2_bases, g_array_unref);
  g_clear_pointer (&p->v1_why, g_free);
  g_clear_pointer (&p->v2_why, g_free);
}

/* Fills @p: bases for each usable version, a reason for each unusable one. */
static void
probe (const NmCgroupOptions *options, Probe *p)
{
  const char *mi = options->mountinfo != NULL ? options->mountinfo : "/proc/self/mountinfo";
  const char *sc = options->self_cgroup != NULL ? options->self_cgroup : "/proc/self/cgroup";
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) mounts = read_mounts (mi, &error);
  g_autoptr (GHashTable) own = mounts != NULL ? read_self_cgroup (sc, &error) : NULL;

  memset (p, 0, sizeof *p);
  if (own == NULL)
    {
      p->v1_why = g_strdup (error->message);
      p->v2_why = g_strdup (error->message);
      return;
    }
  p->v1_bases = dirs_new ();
  if (!probe_v1 (mounts, own, p->v1_bases, &p->v1_why))
    g_clear_pointer (&p->v1_bases, g_array_unref);
  p->v2_bases = dirs_new ();
  if (!probe_v2 (mounts, own, p->v2_bases, &p->v2_why))
    g_clear_pointer (&p->v2_bases, g_array_unref);
}

/* ---- Modes ------------------------------------------------------------------------------------ */

gboolean
nm_cgroup_mode_from_string (const char *text, NmCgroupMode *out_mode, GError **error)
{
  static const char *const names[] = { "auto", "v1", "v2", "none" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (text != NULL && strcmp (text, names[i]) == 0)
      {
        *out_mode = (NmCgroupMode) i;
        return TRUE;
      }
  g_set_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_INVALID,
               "unknown cgroups mode '%s' (expected auto, v1, v2 or none)", text ? text : "(null)");
  return FALSE;
}

const char *
nm_cgroup_mode_to_string (NmCgroupMode mode)
{
  switch (mode)
    {
    case NM_CGROUP_MODE_AUTO: return "auto";
    case NM_CGROUP_MODE_V1: return "v1";
    case NM_CGROUP_MODE_V2: return "v2";
    case NM_CGROUP_MODE_NONE: return "none";
    default: return "?";
    }
}

NmCgroupMode
nm_cgroup_detect (const NmCgroupOptions *options, char **out_v1_why, char **out_v2_why)
{
  Probe p;
  NmCgroupMode mode;

  g_return_val_if_fail (options != NULL, NM_CGROUP_MODE_NONE);
  probe (options, &p);
  mode = p.v2_bases != NULL ? NM_CGROUP_MODE_V2 : p.v1_bases != NULL ? NM_CGROUP_MODE_V1 : NM_CGROUP_MODE_NONE;
  if (out_v1_why != NULL)
    *out_v1_why = g_steal_pointer (&p.v1_why);
  if (out_v2_why != NULL)
    *out_v2_why = g_steal_pointer (&p.v2_why);
  probe_clear (&p);
  return mode;
}

/* ---- The manager ------------------------------------------------------------------------------ */

/* v2: "+cpu +memory" in @dir's cgroup.subtree_control unless both are on already. */
static gboolean
v2_enable_controllers (const char *dir, GError **error)
{
  g_autofree char *path = g_build_filename (dir, "cgroup.subtree_control", NULL);
  g_autofree char *text = read_text (path, error);
  g_auto (GStrv) on = NULL;
  int e;

  if (text == NULL)
    return FALSE;
  on = g_strsplit_set (g_strstrip (text), " \n", -1);
  if (g_strv_contains ((const char *const *) on, "cpu") && g_strv_contains ((const char *const *) on, "memory"))
    return TRUE;
  e = write_raw (path, "+cpu +memory");
  if (e != 0)
    {
      set_write_error (error, path, "+cpu +memory", e);
      /* The usual cause: v2 forbids controllers below a group that holds processes itself. */
      if (e == EBUSY)
        g_prefix_error (error, "the NM's own cgroup holds processes, so v2 cannot delegate "
                               "controllers below it (start the NM in a group of its own, e.g. "
                               "systemd Delegate=yes and a leaf for the NM): ");
      return FALSE;
    }
  return TRUE;
}

static void
remove_created (GArray *dirs, guint n)
{
  for (guint i = 0; i < n; i++)
    (void) rmdir (g_array_index (dirs, Dir, i).path);
}

static gboolean
manager_make_dirs (NmCgroupManager *m, guint cpu_shares, GError **error)
{
  g_autofree char *leaf = g_strconcat ("weft-", m->instance, NULL);
  guint made = 0;
  gboolean created_any = FALSE;

  for (guint i = 0; i < m->bases->len; i++)
    {
      const Dir *b = &g_array_index (m->bases, Dir, i);

      if (m->mode == NM_CGROUP_MODE_V2 && !v2_enable_controllers (b->path, error))
        goto fail;
      dirs_add (m->dirs, g_build_filename (b->path, leaf, NULL), b->flags);
      if (mkdir (g_array_index (m->dirs, Dir, i).path, 0755) == 0)
        created_any = TRUE;
      else if (errno != EEXIST)
        {
          int e = errno;
          g_set_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_CGROUP, "cannot create cgroup %s: %s",
                       g_array_index (m->dirs, Dir, i).path, g_strerror (e));
          goto fail;
        }
      made = i + 1;
    }
  for (guint i = 0; i < m->dirs->len; i++)
    {
      const Dir *d = &g_array_index (m->dirs, Dir, i);

      if (m->mode == NM_CGROUP_MODE_V2 && !v2_enable_controllers (d->path, error))
        goto fail;
      if (cpu_shares > 0 && (d->flags & (HIER_CPU | HIER_UNIFIED)))
        {
          guint shares = CLAMP (cpu_shares, SHARES_MIN, SHARES_MAX);
          g_autofree char *v = NULL;

          if (m->mode == NM_CGROUP_MODE_V2)
            v = g_strdup_printf ("%u", CLAMP ((guint) ((guint64) shares * 100 / 1024), 1u, 10000u));
          else
            v = g_strdup_printf ("%u", shares);
          if (!write_in (d->path, m->mode == NM_CGROUP_MODE_V2 ? "cpu.weight" : "cpu.shares", v, error))
            goto fail;
        }
    }
  return TRUE;

fail:
  if (created_any)
    remove_created (m->dirs, made);
  return FALSE;
}

NmCgroupManager *
nm_cgroup_manager_new (const NmCgroupOptions *options, GError **error)
{
  g_autoptr (NmCgroupManager) m = NULL;
  Probe p;

  g_return_val_if_fail (options != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  m = g_new0 (NmCgroupManager, 1);
  m->bases = dirs_new ();
  m->dirs = dirs_new ();
  m->instance = g_strdup (options->instance);
  if (options->mode == NM_CGROUP_MODE_NONE)
    {
      m->mode = NM_CGROUP_MODE_NONE;
      m->why_off = g_strdup ("nm.cgroups is none");
      return g_steal_pointer (&m);
    }
  if (!valid_name (options->instance))
    {
      g_set_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_INVALID,
                   "bad NM instance name '%s' for a cgroup (use letters, digits, '.', '_', '-')",
                   options->instance ? options->instance : "");
      return NULL;
    }

  probe (options, &p);
  switch (options->mode)
    {
    case NM_CGROUP_MODE_V2:
      if (p.v2_bases == NULL)
        {
          g_set_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_CGROUP_UNAVAILABLE,
                       "cgroups v2 requested (nm.cgroups = v2) but unusable: %s", p.v2_why);
          probe_clear (&p);
          return NULL;
        }
      m->mode = NM_CGROUP_MODE_V2;
      break;
    case NM_CGROUP_MODE_V1:
      if (p.v1_bases == NULL)
        {
          g_set_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_CGROUP_UNAVAILABLE,
                       "cgroups v1 requested (nm.cgroups = v1) but unusable: %s", p.v1_why);
          probe_clear (&p);
          return NULL;
        }
      m->mode = NM_CGROUP_MODE_V1;
      break;
    default:
      m->mode = p.v2_bases != NULL ? NM_CGROUP_MODE_V2 : p.v1_bases != NULL ? NM_CGROUP_MODE_V1 : NM_CGROUP_MODE_NONE;
      break;
    }
  if (m->mode == NM_CGROUP_MODE_NONE)
    {
      m->why_off = g_strdup_printf ("no usable cgroups (v2: %s; v1: %s)", p.v2_why, p.v1_why);
      g_message ("%s: containers' memory is policed by the process monitor, CPU is not limited",
                 m->why_off);
      probe_clear (&p);
      return g_steal_pointer (&m);
    }
  g_array_unref (m->bases);
  m->bases = m->mode == NM_CGROUP_MODE_V2 ? g_steal_pointer (&p.v2_bases) : g_steal_pointer (&p.v1_bases);
  probe_clear (&p);

  if (!manager_make_dirs (m, options->cpu_shares, error))
    return NULL;
  return g_steal_pointer (&m);
}

void
nm_cgroup_manager_free (NmCgroupManager *manager)
{
  if (manager == NULL)
    return;
  /* Only an empty instance group goes: one still holding groups belongs to containers that run
   * on (an NM restarting in place) and cleanup is an explicit decision. */
  for (guint i = 0; manager->dirs != NULL && i < manager->dirs->len; i++)
    (void) rmdir (g_array_index (manager->dirs, Dir, i).path);
  g_clear_pointer (&manager->bases, g_array_unref);
  g_clear_pointer (&manager->dirs, g_array_unref);
  g_free (manager->instance);
  g_free (manager->why_off);
  g_free (manager);
}

NmCgroupMode
nm_cgroup_manager_get_mode (NmCgroupManager *manager)
{
  g_return_val_if_fail (manager != NULL, NM_CGROUP_MODE_NONE);
  return manager->mode;
}

const char *
nm_cgroup_manager_get_path (NmCgroupManager *manager)
{
  const Dir *d;

  g_return_val_if_fail (manager != NULL, NULL);
  d = manager->mode != NM_CGROUP_MODE_NONE ? dirs_find (manager->dirs, HIER_MEMORY) : NULL;
  return d != NULL ? d->path : NULL;
}

char *
nm_cgroup_manager_describe (NmCgroupManager *manager)
{
  GString *s;

  g_return_val_if_fail (manager != NULL, NULL);
  if (manager->mode == NM_CGROUP_MODE_NONE)
    return g_strdup_printf ("cgroups off: %s", manager->why_off);
  s = g_string_new (NULL);
  g_string_append_printf (s, "cgroups %s:", nm_cgroup_mode_to_string (manager->mode));
  for (guint i = 0; i < manager->dirs->len; i++)
    {
      const Dir *d = &g_array_index (manager->dirs, Dir, i);

      if (d->flags & HIER_UNIFIED)
        g_string_append_printf (s, " %s", d->path);
      else
        g_string_append_printf (s, "%s%s%s%s %s", i > 0 ? "," : "", (d->flags & HIER_MEMORY) ? " memory" : "",
                                (d->flags & HIER_CPU) ? " cpu" : "", (d->flags & HIER_CPUACCT) ? " cpuacct" : "",
                                d->path);
    }
  return g_string_free (s, FALSE);
}

/* ---- Listing and killing ---------------------------------------------------------------------- */

static gboolean
read_procs (const char *dir, GHashTable *into, GError **error)
{
  g_autofree char *path = g_build_filename (dir, "cgroup.procs", NULL);
  g_autofree char *text = read_text (path, error);
  g_auto (GStrv) lines = NULL;

  if (text == NULL)
    return FALSE;
  lines = g_strsplit (text, "\n", -1);
  for (char **l = lines; *l != NULL; l++)
    {
      gint64 pid;

      if (**l == '\0')
        continue;
      if (!g_ascii_string_to_signed (*l, 10, 1, G_MAXINT, &pid, NULL))
        {
          g_set_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_CGROUP, "%s holds '%s', not a pid", path, *l);
          return FALSE;
        }
      g_hash_table_add (into, GINT_TO_POINTER ((int) pid));
    }
  return TRUE;
}

static gint
cmp_pid (gconstpointer a, gconstpointer b)
{
  GPid x = *(const GPid *) a, y = *(const GPid *) b;

  return x < y ? -1 : x > y;
}

static GArray *
list_dirs (GArray *dirs, GError **error)
{
  g_autoptr (GHashTable) set = g_hash_table_new (NULL, NULL);
  GHashTableIter it;
  gpointer key;
  GArray *out;

  for (guint i = 0; i < dirs->len; i++)
    if (!read_procs (g_array_index (dirs, Dir, i).path, set, error))
      return NULL;
  out = g_array_sized_new (FALSE, FALSE, sizeof (GPid), g_hash_table_size (set));
  g_hash_table_iter_init (&it, set);
  while (g_hash_table_iter_next (&it, &key, NULL))
    {
      GPid pid = GPOINTER_TO_INT (key);

      g_array_append_val (out, pid);
    }
  g_array_sort (out, cmp_pid);
  return out;
}

static gboolean
kill_dirs (GArray *dirs, NmCgroupMode mode, int signo, guint *out_signalled, GError **error)
{
  g_autoptr (GHashTable) signalled = g_hash_table_new (NULL, NULL);

  if (out_signalled != NULL)
    *out_signalled = 0;
  if (mode == NM_CGROUP_MODE_V2 && signo == SIGKILL && dirs->len == 1
      && file_exists (g_array_index (dirs, Dir, 0).path, "cgroup.kill"))
    {
      g_autoptr (GArray) before = list_dirs (dirs, NULL);

      if (!write_in (g_array_index (dirs, Dir, 0).path, "cgroup.kill", "1", error))
        return FALSE;
      if (out_signalled != NULL && before != NULL)
        *out_signalled = before->len;
      return TRUE;
    }

  for (guint round = 0; round < KILL_ROUNDS_MAX; round++)
    {
      g_autoptr (GArray) pids = list_dirs (dirs, error);
      guint fresh = 0;

      if (pids == NULL)
        return FALSE;
      for (guint i = 0; i < pids->len; i++)
        {
          GPid pid = g_array_index (pids, GPid, i);

          if (g_hash_table_contains (signalled, GINT_TO_POINTER (pid)))
            continue;
          /* ESRCH: it exited between the listing and now, which is what we want anyway. */
          (void) kill (pid, signo);
          g_hash_table_add (signalled, GINT_TO_POINTER (pid));
          fresh++;
        }
      if (fresh == 0)
        break;
    }
  if (out_signalled != NULL)
    *out_signalled = g_hash_table_size (signalled);
  return TRUE;
}

/* Cleanup of one hierarchy's subtree: SIGKILL everything below @dir (not in @dir itself), then
 * remove the groups deepest first. */
static gboolean
kill_below (const char *dir, NmCgroupMode mode, GError **error)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  gboolean ok = TRUE;

  if (d == NULL)
    return TRUE;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *sub = g_build_filename (dir, name, NULL);
      g_autoptr (GArray) one = NULL;
      GError *local = NULL;

      if (!g_file_test (sub, G_FILE_TEST_IS_DIR) || g_file_test (sub, G_FILE_TEST_IS_SYMLINK))
        continue;
      one = dirs_new ();
      dirs_add (one, g_strdup (sub), mode == NM_CGROUP_MODE_V2 ? HIER_UNIFIED : 0);
      if (!kill_dirs (one, mode, SIGKILL, NULL, &local) || !kill_below (sub, mode, &local))
        {
          if (ok)
            g_propagate_error (error, local);
          else
            g_clear_error (&local);
          ok = FALSE;
        }
    }
  return ok;
}

static gboolean
remove_below (const char *dir, guint timeout_ms, GError **error)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  gboolean ok = TRUE;

  if (d == NULL)
    return TRUE;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *sub = g_build_filename (dir, name, NULL);
      GError *local = NULL;

      if (!g_file_test (sub, G_FILE_TEST_IS_DIR) || g_file_test (sub, G_FILE_TEST_IS_SYMLINK))
        continue;
      if (!remove_below (sub, timeout_ms, &local) || !rmdir_retry (sub, timeout_ms, &local))
        {
          if (ok)
            g_propagate_error (error, local);
          else
            g_clear_error (&local);
          ok = FALSE;
        }
    }
  return ok;
}

gboolean
nm_cgroup_manager_cleanup (NmCgroupManager *manager, guint timeout_ms, GError **error)
{
  gboolean ok = TRUE;

  g_return_val_if_fail (manager != NULL, FALSE);
  for (guint pass = 0; pass < 2; pass++)
    for (guint i = 0; i < manager->dirs->len; i++)
      {
        const char *dir = g_array_index (manager->dirs, Dir, i).path;
        GError *local = NULL;
        gboolean step = pass == 0 ? kill_below (dir, manager->mode, &local)
                                  : remove_below (dir, timeout_ms, &local);

        if (!step)
          {
            if (ok)
              g_propagate_error (error, local);
            else
              g_clear_error (&local);
            ok = FALSE;
          }
      }
  return ok;
}

/* ---- A container's group ---------------------------------------------------------------------- */

NmCgroup *
nm_cgroup_new (NmCgroupManager *manager, const char *name, GError **error)
{
  g_autoptr (NmCgroup) cg = NULL;

  g_return_val_if_fail (manager != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  if (manager->mode == NM_CGROUP_MODE_NONE)
    {
      g_set_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_CGROUP_UNAVAILABLE, "cannot create cgroup '%s': %s",
                   name, manager->why_off);
      return NULL;
    }
  if (!valid_name (name))
    {
      g_set_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_INVALID,
                   "bad cgroup name '%s' (use letters, digits, '.', '_', '-')", name ? name : "");
      return NULL;
    }

  cg = g_new0 (NmCgroup, 1);
  cg->mode = manager->mode;
  cg->name = g_strdup (name);
  cg->dirs = dirs_new ();
  for (guint i = 0; i < manager->dirs->len; i++)
    {
      const Dir *parent = &g_array_index (manager->dirs, Dir, i);
      g_autofree char *path = g_build_filename (parent->path, name, NULL);
      int e = 0;

      if (mkdir (path, 0755) != 0)
        {
          e = errno;
          /* Left over from an earlier run: reuse the name only if nothing lives there. */
          if (e == EEXIST && rmdir (path) == 0 && mkdir (path, 0755) == 0)
            e = 0;
          else if (e == EEXIST)
            {
              g_set_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_CGROUP_BUSY,
                           "cgroup %s already exists and still holds processes", path);
              remove_created (cg->dirs, cg->dirs->len);
              return NULL;
            }
        }
      if (e != 0)
        {
          g_set_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_CGROUP, "cannot create cgroup %s: %s", path,
                       g_strerror (e));
          remove_created (cg->dirs, cg->dirs->len);
          return NULL;
        }
      dirs_add (cg->dirs, g_steal_pointer (&path), parent->flags);
    }
  return g_steal_pointer (&cg);
}

void
nm_cgroup_free (NmCgroup *cgroup)
{
  if (cgroup == NULL)
    return;
  g_clear_pointer (&cgroup->dirs, g_array_unref);
  g_free (cgroup->name);
  g_free (cgroup);
}

const char *
nm_cgroup_get_name (NmCgroup *cgroup)
{
  g_return_val_if_fail (cgroup != NULL, NULL);
  return cgroup->name;
}

const char *
nm_cgroup_get_path (NmCgroup *cgroup)
{
  g_return_val_if_fail (cgroup != NULL, NULL);
  return dirs_find (cgroup->dirs, HIER_MEMORY)->path;
}

gboolean
nm_cgroup_set_memory_limit (NmCgroup *cgroup, gint64 bytes, GError **error)
{
  const char *dir;
  g_autofree char *v = NULL;

  g_return_val_if_fail (cgroup != NULL, FALSE);
  if (bytes <= 0)
    {
      g_set_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_INVALID, "bad memory limit %" G_GINT64_FORMAT " for cgroup %s",
                   bytes, cgroup->name);
      return FALSE;
    }
  dir = dirs_find (cgroup->dirs, HIER_MEMORY)->path;
  v = g_strdup_printf ("%" G_GINT64_FORMAT, bytes);
  if (cgroup->mode == NM_CGROUP_MODE_V2)
    {
      if (!write_in (dir, "memory.max", v, error))
        return FALSE;
      return !file_exists (dir, "memory.swap.max") || write_in (dir, "memory.swap.max", "0", error);
    }

  if (!file_exists (dir, "memory.memsw.limit_in_bytes"))
    return write_in (dir, "memory.limit_in_bytes", v, error);
  {
    /* The kernel keeps memsw >= memory at every step: raise memsw first when raising, lower
     * memory first when lowering. */
    g_autofree char *memsw = g_build_filename (dir, "memory.memsw.limit_in_bytes", NULL);
    gint64 cur;

    if (!read_int64 (memsw, &cur, error))
      return FALSE;
    if (bytes > cur)
      return write_text (memsw, v, error) && write_in (dir, "memory.limit_in_bytes", v, error);
    return write_in (dir, "memory.limit_in_bytes", v, error) && write_text (memsw, v, error);
  }
}

gboolean
nm_cgroup_set_cpu_limit (NmCgroup *cgroup, double cores, GError **error)
{
  const char *dir;
  gint64 quota;
  guint64 weight;

  g_return_val_if_fail (cgroup != NULL, FALSE);
  if (!(cores > 0) || cores > 65536)
    {
      g_set_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_INVALID, "bad CPU limit %g cores for cgroup %s", cores,
                   cgroup->name);
      return FALSE;
    }
  dir = dirs_find (cgroup->dirs, HIER_CPU)->path;
  quota = MAX ((gint64) (cores * CPU_PERIOD_US + 0.5), CPU_QUOTA_MIN_US);
  if (cgroup->mode == NM_CGROUP_MODE_V2)
    {
      g_autofree char *max = g_strdup_printf ("%" G_GINT64_FORMAT " %d", quota, CPU_PERIOD_US);
      g_autofree char *w = NULL;

      weight = CLAMP ((guint64) (cores * 100 + 0.5), 1, 10000);
      w = g_strdup_printf ("%" G_GUINT64_FORMAT, weight);
      return write_in (dir, "cpu.max", max, error) && write_in (dir, "cpu.weight", w, error);
    }
  {
    g_autofree char *period = g_strdup_printf ("%d", CPU_PERIOD_US);
    g_autofree char *q = g_strdup_printf ("%" G_GINT64_FORMAT, quota);
    g_autofree char *shares = NULL;

    weight = CLAMP ((guint64) (cores * 1024 + 0.5), SHARES_MIN, SHARES_MAX);
    shares = g_strdup_printf ("%" G_GUINT64_FORMAT, weight);
    return write_in (dir, "cpu.cfs_period_us", period, error) && write_in (dir, "cpu.cfs_quota_us", q, error)
           && write_in (dir, "cpu.shares", shares, error);
  }
}

gboolean
nm_cgroup_add_process (NmCgroup *cgroup, GPid pid, GError **error)
{
  g_autofree char *v = NULL;

  g_return_val_if_fail (cgroup != NULL, FALSE);
  g_return_val_if_fail (pid > 0, FALSE);
  v = g_strdup_printf ("%d", (int) pid);
  for (guint i = 0; i < cgroup->dirs->len; i++)
    if (!write_in (g_array_index (cgroup->dirs, Dir, i).path, "cgroup.procs", v, error))
      return FALSE;
  return TRUE;
}

GArray *
nm_cgroup_list_pids (NmCgroup *cgroup, GError **error)
{
  g_return_val_if_fail (cgroup != NULL, NULL);
  return list_dirs (cgroup->dirs, error);
}

gboolean
nm_cgroup_kill_all (NmCgroup *cgroup, int signo, guint *out_signalled, GError **error)
{
  g_return_val_if_fail (cgroup != NULL, FALSE);
  return kill_dirs (cgroup->dirs, cgroup->mode, signo, out_signalled, error);
}

gboolean
nm_cgroup_sample_memory (NmCgroup *cgroup, gint64 *out_bytes, GError **error)
{
  const char *dir;
  g_autofree char *path = NULL;
  gint64 cur;

  g_return_val_if_fail (cgroup != NULL, FALSE);
  dir = dirs_find (cgroup->dirs, HIER_MEMORY)->path;
  path = g_build_filename (dir, cgroup->mode == NM_CGROUP_MODE_V2 ? "memory.current" : "memory.usage_in_bytes",
                           NULL);
  if (!read_int64 (path, &cur, error))
    return FALSE;
  cgroup->tracked_peak = MAX (cgroup->tracked_peak, cur);
  if (out_bytes != NULL)
    *out_bytes = cur;
  return TRUE;
}

gboolean
nm_cgroup_get_memory_peak (NmCgroup *cgroup, gint64 *out_bytes, GError **error)
{
  const char *dir;
  g_autofree char *path = NULL;

  g_return_val_if_fail (cgroup != NULL, FALSE);
  dir = dirs_find (cgroup->dirs, HIER_MEMORY)->path;
  if (cgroup->mode == NM_CGROUP_MODE_V1 || file_exists (dir, "memory.peak"))
    {
      gint64 peak;

      path = g_build_filename (dir, cgroup->mode == NM_CGROUP_MODE_V1 ? "memory.max_usage_in_bytes" : "memory.peak",
                               NULL);
      if (!read_int64 (path, &peak, error))
        return FALSE;
      *out_bytes = MAX (peak, cgroup->tracked_peak);
      return TRUE;
    }
  if (!nm_cgroup_sample_memory (cgroup, NULL, error))
    return FALSE;
  *out_bytes = cgroup->tracked_peak;
  return TRUE;
}

gboolean
nm_cgroup_get_memory_events (NmCgroup *cgroup, NmCgroupMemoryEvents *out, GError **error)
{
  const char *dir;
  g_autofree char *path = NULL;
  gboolean found;

  g_return_val_if_fail (cgroup != NULL && out != NULL, FALSE);
  memset (out, 0, sizeof *out);
  dir = dirs_find (cgroup->dirs, HIER_MEMORY)->path;
  if (cgroup->mode == NM_CGROUP_MODE_V2)
    {
      path = g_build_filename (dir, "memory.events", NULL);
      if (!read_keyed (path, "oom_kill", &out->oom_kills, &out->oom_kills_known, error)
          || !read_keyed (path, "max", &out->limit_hits, &found, error))
        return FALSE;
      return TRUE;
    }
  {
    g_autofree char *failcnt = g_build_filename (dir, "memory.failcnt", NULL);
    gint64 hits;

    path = g_build_filename (dir, "memory.oom_control", NULL);
    if (!read_keyed (path, "oom_kill", &out->oom_kills, &out->oom_kills_known, error)
        || !read_int64 (failcnt, &hits, error))
      return FALSE;
    out->limit_hits = (guint64) MAX (hits, 0);
    return TRUE;
  }
}

gboolean
nm_cgroup_get_cpu_usage (NmCgroup *cgroup, gint64 *out_usec, GError **error)
{
  const Dir *d;
  g_autofree char *path = NULL;

  g_return_val_if_fail (cgroup != NULL && out_usec != NULL, FALSE);
  d = dirs_find (cgroup->dirs, HIER_CPUACCT);
  if (d == NULL)
    {
      g_set_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_CGROUP_UNAVAILABLE,
                   "cannot read the CPU time of cgroup %s: no cpuacct hierarchy is mounted", cgroup->name);
      return FALSE;
    }
  if (cgroup->mode == NM_CGROUP_MODE_V2)
    {
      guint64 usec;
      gboolean found;

      path = g_build_filename (d->path, "cpu.stat", NULL);
      if (!read_keyed (path, "usage_usec", &usec, &found, error))
        return FALSE;
      if (!found)
        {
          g_set_error (error, WEFT_NM_ERROR, WEFT_NM_ERROR_CGROUP, "%s has no usage_usec line", path);
          return FALSE;
        }
      *out_usec = (gint64) usec;
      return TRUE;
    }
  {
    gint64 ns;

    path = g_build_filename (d->path, "cpuacct.usage", NULL);
    if (!read_int64 (path, &ns, error))
      return FALSE;
    *out_usec = ns / 1000;
    return TRUE;
  }
}

gboolean
nm_cgroup_remove (NmCgroup *cgroup, guint timeout_ms, GError **error)
{
  g_return_val_if_fail (cgroup != NULL, FALSE);
  for (guint i = 0; i < cgroup->dirs->len; i++)
    if (!rmdir_retry (g_array_index (cgroup->dirs, Dir, i).path, timeout_ms, error))
      return FALSE;
  return TRUE;
}
