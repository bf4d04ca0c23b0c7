/* rm-rpc-launcher: starts AM containers through their node's NM
 * (ContainerManager.start_containers, authorised by the container token)
 * on a small thread pool, and reports each outcome to the core on the RM's
 * main context. Its launch function is the core's RmLaunchAmFunc. */
#pragma once

#include "rm-core.h"
#include "weft-rpc.h"

G_BEGIN_DECLS

typedef struct _RmLauncher RmLauncher;

RmLauncher *rm_launcher_new (RmCore *core, GMainContext *context, const WeftRpcOptions *opts);
/** rm_launcher_launch_am: an RmLaunchAmFunc; @user_data is the launcher. Main thread. */
void rm_launcher_launch_am (const RmContainer *container, const RmLaunchSpec *spec,
                            GHashTable *env, gpointer user_data);
/** rm_launcher_free: waits for launches in flight. */
void rm_launcher_free (RmLauncher *launcher);

G_END_DECLS
