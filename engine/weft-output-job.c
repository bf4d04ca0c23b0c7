/* weft-output-job: the output commit protocol. See weft-output-job.h. */

#include "weft-output-job.h"
#include "weft-output-job-private.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TEMPORARY_NAME "_temporary"
#define SUCCESS_NAME "_SUCCESS"

typedef enum
{
  JOB_RUNNING,
  JOB_COMMITTED,
  JOB_ABORTED,
} JobState;

struct _WeftOutputJob
{
  GMutex lock; /* guards state and committed; held only around short filesystem calls */
  char *out_dir;
  char *temporary_dir; /* <out>/_temporary */
  char *job_dir;       /* <out>/_temporary/<uuid> */
  char *extension;
  char *uuid;
  WeftSaveMode mode;
  gboolean noop;
  gboolean created_out;
  JobState state;
  GHashTable *committed; /* partition -> attempt + 1 */
  int fail_after_moves;  /* tests: the job commit fails after this many renames (-1: never) */
};

static const struct
{
  const char *name;
  WeftSaveMode mode;
} mode_names[] = {
  { "errorifexists", WEFT_SAVE_MODE_ERROR_IF_EXISTS },
  { "error", WEFT_SAVE_MODE_ERROR_IF_EXISTS },
  { "default", WEFT_SAVE_MODE_ERROR_IF_EXISTS },
  { "overwrite", WEFT_SAVE_MODE_OVERWRITE },
  { "append", WEFT_SAVE_MODE_APPEND },
  { "ignore", WEFT_SAVE_MODE_IGNORE },
};

gboolean
weft_output_job_parse_mode (const char *name, WeftSaveMode *out_mode, GError **error)
{
  for (guint i = 0; i < G_N_ELEMENTS (mode_names); i++)
    if (g_ascii_strcasecmp (name, mode_names[i].name) == 0)
      {
        *out_mode = mode_names[i].mode;
        return TRUE;
      }
  g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION,
               "unknown save mode \"%s\" (accepted: overwrite, append, ignore, error, "
               "errorifexists, default)",
               name);
  return FALSE;
}

const char *
weft_output_job_mode_name (WeftSaveMode mode)
{
  switch (mode)
    {
    case WEFT_SAVE_MODE_ERROR_IF_EXISTS:
      return "errorifexists";
    case WEFT_SAVE_MODE_OVERWRITE:
      return "overwrite";
    case WEFT_SAVE_MODE_APPEND:
      return "append";
    case WEFT_SAVE_MODE_IGNORE:
      return "ignore";
    }
  return "invalid";
}

/* ---- Filesystem helpers --------------------------------------------------------------------- */

/* Deletes @path and, for a folder, everything in it; symbolic links are removed, not followed.
 * Best effort: the caller has nothing better to do with a failure than to go on. */
static void
remove_tree (const char *path)
{
  GStatBuf st;

  if (g_lstat (path, &st) != 0)
    return;
  if (S_ISDIR (st.st_mode))
    {
      g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
      const char *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          remove_tree (child);
        }
      if (g_rmdir (path) != 0)
        g_debug ("cannot remove %s: %s", path, g_strerror (errno));
    }
  else if (g_unlink (path) != 0)
    g_debug ("cannot remove %s: %s", path, g_strerror (errno));
}

static gboolean
make_dir (const char *path, gboolean exist_ok, GError **error)
{
  if (g_mkdir (path, 0777) == 0 || (exist_ok && errno == EEXIST))
    return TRUE;
  {
    int saved = errno;

    g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_IO, "cannot create folder %s: %s",
                 path, g_strerror (saved));
  }
  return FALSE;
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* Sorted names in @path (NULL and @error when it cannot be read). */
static GPtrArray *
list_dir (const char *path, GError **error)
{
  g_autoptr (GError) local = NULL;
  g_autoptr (GDir) dir = g_dir_open (path, 0, &local);
  GPtrArray *names;
  const char *name;

  if (dir == NULL)
    {
      g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_IO, "cannot list %s: %s", path,
                   local->message);
      return NULL;
    }
  names = g_ptr_array_new_with_free_func (g_free);
  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  return names;
}

/* One rename done during the job commit, kept so a failure can undo it. */
typedef struct
{
  char *from;
  char *to;
} Move;

static void
move_clear (gpointer data)
{
  Move *move = data;

  g_free (move->from);
  g_free (move->to);
}

/* Renames @from to @to, refusing to replace an existing @to (rename() would, silently). */
static gboolean
move_path (WeftOutputJob *job, GArray *moves, const char *from, const char *to, GError **error)
{
  Move move;

  if (job->fail_after_moves >= 0 && moves->len >= (guint) job->fail_after_moves)
    {
      g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_IO,
                   "cannot move %s to %s: injected failure", from, to);
      return FALSE;
    }

  if (g_file_test (to, G_FILE_TEST_EXISTS | G_FILE_TEST_IS_SYMLINK))
    {
      g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_IO,
                   "cannot move %s to %s: the target exists", from, to);
      return FALSE;
    }
  if (g_rename (from, to) != 0)
    {
      int saved = errno;

      g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_IO, "cannot move %s to %s: %s",
                   from, to, g_strerror (saved));
      return FALSE;
    }
  move.from = g_strdup (from);
  move.to = g_strdup (to);
  g_array_append_val (moves, move);
  return TRUE;
}

static void
undo_moves (GArray *moves)
{
  for (guint i = moves->len; i-- > 0;)
    {
      Move *move = &g_array_index (moves, Move, i);

      if (g_rename (move->to, move->from) != 0)
        g_warning ("cannot move %s back to %s: %s", move->to, move->from, g_strerror (errno));
    }
  g_array_set_size (moves, 0);
}

/* ---- The job -------------------------------------------------------------------------------- */

WeftOutputJob *
weft_output_job_begin (const char *out_dir, WeftSaveMode mode, const char *extension,
                       GError **error)
{
  g_autoptr (WeftOutputJob) job = NULL;
  GStatBuf st;
  gboolean exists;

  g_return_val_if_fail (out_dir != NULL && extension != NULL, NULL);

  job = g_new0 (WeftOutputJob, 1);
  g_mutex_init (&job->lock);
  job->out_dir = g_strdup (out_dir);
  job->temporary_dir = g_build_filename (out_dir, TEMPORARY_NAME, NULL);
  job->uuid = g_uuid_string_random ();
  job->job_dir = g_build_filename (job->temporary_dir, job->uuid, NULL);
  job->extension = g_strdup (extension);
  job->mode = mode;
  job->committed = g_hash_table_new (NULL, NULL);
  job->state = JOB_RUNNING;
  job->fail_after_moves = -1;

  exists = g_stat (out_dir, &st) == 0;
  if (exists)
    switch (mode)
      {
      case WEFT_SAVE_MODE_ERROR_IF_EXISTS:
        job->state = JOB_ABORTED;
        g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_IO,
                     "Path %s already exists. Set mode as \"overwrite\" to overwrite the "
                     "existing path.",
                     out_dir);
        return NULL;
      case WEFT_SAVE_MODE_IGNORE:
        job->noop = TRUE;
        job->state = JOB_COMMITTED;
        return g_steal_pointer (&job);
      case WEFT_SAVE_MODE_APPEND:
        if (!S_ISDIR (st.st_mode))
          {
            job->state = JOB_ABORTED;
            g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_IO,
                         "cannot append to %s: it is not a folder", out_dir);
            return NULL;
          }
        break;
      case WEFT_SAVE_MODE_OVERWRITE:
        if (!S_ISDIR (st.st_mode))
          {
            /* The temporary folder lives inside <out>, so a file there must go first. */
            if (g_unlink (out_dir) != 0)
              {
                int saved = errno;

                job->state = JOB_ABORTED;
                g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_IO,
                             "cannot overwrite %s: %s", out_dir, g_strerror (saved));
                return NULL;
              }
            exists = FALSE;
          }
        break;
      }
  if (!exists)
    {
      g_autofree char *parent = g_path_get_dirname (out_dir);

      if (g_mkdir_with_parents (parent, 0777) != 0)
        {
          int saved = errno;

          job->state = JOB_ABORTED;
          g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_IO,
                       "cannot create folder %s: %s", parent, g_strerror (saved));
          return NULL;
        }
      if (!make_dir (out_dir, FALSE, error))
        {
          job->state = JOB_ABORTED;
          return NULL;
        }
      job->created_out = TRUE;
    }
  /* _temporary may be shared with other jobs appending to the same folder: one folder each. */
  if (!make_dir (job->temporary_dir, TRUE, error) || !make_dir (job->job_dir, FALSE, error))
    return NULL; /* the autoptr aborts, removing what was created */
  return g_steal_pointer (&job);
}

void
weft_output_job_fail_commit_after (WeftOutputJob *job, int n_moves)
{
  job->fail_after_moves = n_moves;
}

gboolean
weft_output_job_is_noop (const WeftOutputJob *job)
{
  return job->noop;
}

const char *
weft_output_job_get_uuid (const WeftOutputJob *job)
{
  return job->uuid;
}

static char *
attempt_dir (WeftOutputJob *job, guint partition, guint attempt)
{
  char name[64];

  g_snprintf (name, sizeof name, "attempt-%05u-%u", partition, attempt);
  return g_build_filename (job->job_dir, name, NULL);
}

static char *
task_dir (WeftOutputJob *job, guint partition)
{
  char name[32];

  g_snprintf (name, sizeof name, "task-%05u", partition);
  return g_build_filename (job->job_dir, name, NULL);
}

char *
weft_output_job_task_path (WeftOutputJob *job, guint partition, guint attempt, GError **error)
{
  g_autofree char *dir = NULL;
  g_autofree char *name = NULL;
  JobState state;

  g_return_val_if_fail (job != NULL && !job->noop, NULL);

  g_mutex_lock (&job->lock);
  state = job->state;
  g_mutex_unlock (&job->lock);
  if (state != JOB_RUNNING)
    {
      g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_IO,
                   "the write job for %s is already %s", job->out_dir,
                   state == JOB_COMMITTED ? "committed" : "aborted");
      return NULL;
    }
  dir = attempt_dir (job, partition, attempt);
  if (!make_dir (dir, TRUE, error))
    return NULL;
  name = g_strdup_printf ("part-%05u-%s%s", partition, job->uuid, job->extension);
  return g_build_filename (dir, name, NULL);
}

gboolean
weft_output_job_commit_task (WeftOutputJob *job, guint partition, guint attempt, GError **error)
{
  g_autofree char *from = NULL;
  g_autofree char *to = NULL;
  gpointer winner;
  gboolean ok = TRUE;

  g_return_val_if_fail (job != NULL && !job->noop, FALSE);

  from = attempt_dir (job, partition, attempt);
  to = task_dir (job, partition);
  /* One lock for the decision and the rename, so two attempts of a partition cannot both see
   * it free; renames are short and tasks commit once each. */
  g_mutex_lock (&job->lock);
  if (job->state != JOB_RUNNING)
    {
      g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_IO,
                   "cannot commit task %u of the write job for %s: the job is already %s",
                   partition, job->out_dir,
                   job->state == JOB_COMMITTED ? "committed" : "aborted");
      ok = FALSE;
    }
  else if (g_hash_table_lookup_extended (job->committed, GUINT_TO_POINTER (partition), NULL,
                                         &winner))
    {
      guint committed_attempt = GPOINTER_TO_UINT (winner) - 1;

      if (committed_attempt != attempt)
        {
          g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_IO,
                       "partition %u of the write job for %s was already committed by attempt "
                       "%u; attempt %u must be aborted",
                       partition, job->out_dir, committed_attempt, attempt);
          ok = FALSE;
        }
    }
  else
    {
      /* An attempt that never asked for a path wrote nothing: an empty partition. */
      if (g_file_test (from, G_FILE_TEST_IS_DIR) && g_rename (from, to) != 0)
        {
          int saved = errno;

          g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_IO,
                       "cannot commit task %u attempt %u: cannot move %s to %s: %s", partition,
                       attempt, from, to, g_strerror (saved));
          ok = FALSE;
        }
      else
        g_hash_table_insert (job->committed, GUINT_TO_POINTER (partition),
                             GUINT_TO_POINTER (attempt + 1));
    }
  g_mutex_unlock (&job->lock);
  return ok;
}

void
weft_output_job_abort_task (WeftOutputJob *job, guint partition, guint attempt)
{
  g_autofree char *dir = NULL;

  g_return_if_fail (job != NULL);

  if (job->noop)
    return;
  dir = attempt_dir (job, partition, attempt);
  /* A committed attempt's folder has already been renamed away, so this cannot touch it. */
  remove_tree (dir);
}

static gint
compare_uint (gconstpointer a, gconstpointer b)
{
  guint x = *(const guint *) a, y = *(const guint *) b;

  return x < y ? -1 : x > y;
}

/* The job commit proper, called with the lock held. */
static gboolean
commit_locked (WeftOutputJob *job, GError **error)
{
  g_autoptr (GArray) moves = g_array_new (FALSE, FALSE, sizeof (Move));
  g_autoptr (GArray) partitions = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autofree char *success = g_build_filename (job->out_dir, SUCCESS_NAME, NULL);
  GHashTableIter iter;
  gpointer key;
  int fd;

  g_array_set_clear_func (moves, move_clear);
  g_hash_table_iter_init (&iter, job->committed);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      guint p = GPOINTER_TO_UINT (key);

      g_array_append_val (partitions, p);
    }
  g_array_sort (partitions, compare_uint);

  if (job->mode == WEFT_SAVE_MODE_OVERWRITE)
    {
      /* Old contents go aside into the job's folder: deleted with it on success, moved back on
       * failure. */
      g_autofree char *trash = g_build_filename (job->job_dir, "overwritten", NULL);
      g_autoptr (GPtrArray) names = list_dir (job->out_dir, error);

      if (names == NULL || !make_dir (trash, FALSE, error))
        return FALSE;
      for (guint i = 0; i < names->len; i++)
        {
          const char *name = names->pdata[i];
          g_autofree char *from = NULL;
          g_autofree char *to = NULL;

          if (strcmp (name, TEMPORARY_NAME) == 0)
            continue;
          from = g_build_filename (job->out_dir, name, NULL);
          to = g_build_filename (trash, name, NULL);
          if (!move_path (job, moves, from, to, error))
            goto fail;
        }
    }
  else if (job->mode == WEFT_SAVE_MODE_APPEND && g_file_test (success, G_FILE_TEST_EXISTS))
    {
      /* An old _SUCCESS would vouch for the folder while new files arrive: aside with it, to
       * be deleted with the job's folder or put back on failure. */
      g_autofree char *aside = g_build_filename (job->job_dir, SUCCESS_NAME, NULL);

      if (!move_path (job, moves, success, aside, error))
        goto fail;
    }

  for (guint i = 0; i < partitions->len; i++)
    {
      g_autofree char *dir = task_dir (job, g_array_index (partitions, guint, i));
      g_autoptr (GPtrArray) names = NULL;

      if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
        continue; /* an empty partition */
      names = list_dir (dir, error);
      if (names == NULL)
        goto fail;
      for (guint j = 0; j < names->len; j++)
        {
          g_autofree char *from = g_build_filename (dir, names->pdata[j], NULL);
          g_autofree char *to = g_build_filename (job->out_dir, names->pdata[j], NULL);

          if (!move_path (job, moves, from, to, error))
            goto fail;
        }
    }

  /* Committed: from here on nothing is undone. Hadoop's order: clean up, then _SUCCESS. */
  remove_tree (job->job_dir);
  g_rmdir (job->temporary_dir); /* fails, rightly, while other jobs still use it */
  fd = open (success, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0 || close (fd) != 0)
    {
      int saved = errno;

      g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_IO,
                   "the output in %s is complete but %s could not be written: %s", job->out_dir,
                   success, g_strerror (saved));
      job->state = JOB_COMMITTED;
      return FALSE;
    }
  job->state = JOB_COMMITTED;
  return TRUE;

fail:
  g_prefix_error (error, "cannot commit the write job for %s: ", job->out_dir);
  undo_moves (moves);
  return FALSE;
}

gboolean
weft_output_job_commit (WeftOutputJob *job, GError **error)
{
  gboolean ok;

  g_return_val_if_fail (job != NULL, FALSE);

  if (job->noop)
    return TRUE;
  g_mutex_lock (&job->lock);
  if (job->state != JOB_RUNNING)
    {
      g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_IO,
                   "cannot commit the write job for %s: it is already %s", job->out_dir,
                   job->state == JOB_COMMITTED ? "committed" : "aborted");
      ok = FALSE;
    }
  else
    ok = commit_locked (job, error);
  g_mutex_unlock (&job->lock);
  return ok;
}

void
weft_output_job_abort (WeftOutputJob *job)
{
  g_return_if_fail (job != NULL);

  if (job->noop)
    return;
  g_mutex_lock (&job->lock);
  if (job->state == JOB_RUNNING)
    {
      remove_tree (job->job_dir);
      g_rmdir (job->temporary_dir); /* only if no other job uses it */
      if (job->created_out)
        g_rmdir (job->out_dir); /* only if empty: nothing but ours was ever in it */
      job->state = JOB_ABORTED;
    }
  g_mutex_unlock (&job->lock);
}

void
weft_output_job_free (WeftOutputJob *job)
{
  if (job == NULL)
    return;
  weft_output_job_abort (job);
  g_mutex_clear (&job->lock);
  g_hash_table_unref (job->committed);
  g_free (job->out_dir);
  g_free (job->temporary_dir);
  g_free (job->job_dir);
  g_free (job->extension);
  g_free (job->uuid);
  g_free (job);
}
