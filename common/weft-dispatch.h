/* weft-dispatch: hands work to the thread that owns a daemon's state. A
 * daemon's state belongs to its GMainContext's thread (no locks); RPC
 * worker threads decode a request, then call weft_dispatch_call() to run
 * the domain logic there and wait for it. Also: a waiter that a worker can
 * block on (with a timeout) until the owner wakes it, for long polls. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef void (*WeftDispatchFunc) (gpointer user_data);

/**
 * weft_dispatch_call:
 * Runs @func (@user_data) on @context's owner thread and returns when it
 * has run. Called from that thread itself (or when nothing owns @context
 * and no loop is running it, as in tests), runs @func at once.
 */
void weft_dispatch_call (GMainContext *context, WeftDispatchFunc func, gpointer user_data);

typedef struct _WeftWaiter WeftWaiter;

/** weft_waiter_new: Returns: (transfer full) a waiter, not yet woken. */
WeftWaiter *weft_waiter_new (void);
/** weft_waiter_wake: Any thread. Wakes the waiter (now or when it next waits). */
void weft_waiter_wake (WeftWaiter *w);
/** weft_waiter_wait_until: Returns: TRUE if woken before @deadline_us (monotonic). Clears the wake. */
gboolean weft_waiter_wait_until (WeftWaiter *w, gint64 deadline_us);
WeftWaiter *weft_waiter_ref (WeftWaiter *w);
void weft_waiter_unref (WeftWaiter *w);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WeftWaiter, weft_waiter_unref)

G_END_DECLS
