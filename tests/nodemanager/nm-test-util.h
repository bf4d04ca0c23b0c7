/* nm-test-util: what the NodeManager tests share: temporary folders, the load-generator helper,
 * waiting for a launcher's result on the default main context, and checks that processes are gone. */

#pragma once

#include <glib.h>

#include "nm-cgroup.h"
#include "nm-launcher.h"

G_BEGIN_DECLS

/* A fresh folder under the system temporary folder; remove with nm_test_rm_rf(). */
char *nm_test_mkdtemp (void);

/* Removes @path and everything below it (no-op for NULL or a missing path). */
void nm_test_rm_rf (const char *path);

/* The path of tests/nodemanager/nm-test-helper in the build tree. */
char *nm_test_helper_path (void);

/* An exit callback that counts its calls in *(int *) user_data. */
void nm_test_count_exit (NmLauncher *launcher, const NmLauncherResult *result, gpointer user_data);

/* Runs the default main context until @launcher has reported or @timeout_ms passed.
 * Returns: (transfer none) (nullable): the result, NULL on time-out. */
const NmLauncherResult *nm_test_wait_result (NmLauncher *launcher, guint timeout_ms);

/* Runs the default main context until nm_launcher_list_pids() shows at least @min processes or
 * @timeout_ms passed. Returns: (transfer full): the last listing. */
GArray *nm_test_wait_pids (NmLauncher *launcher, guint min, guint timeout_ms);

/* Runs the default main context for @ms. */
void nm_test_run_for (guint ms);

/* Whether no process has pid @pid any more (kill(pid, 0) fails with ESRCH). */
gboolean nm_test_pid_gone (GPid pid);

/* Fails the test (without aborting) for every pid in @pids that is not gone. */
void nm_test_assert_all_gone (const GArray *pids);

/* The contents of @dir/@name, asserted readable. */
char *nm_test_read (const char *dir, const char *name);

G_END_DECLS
