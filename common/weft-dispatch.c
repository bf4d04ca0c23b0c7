/* weft-dispatch: run on the owner thread and wait. See weft-dispatch.h. */
#include "weft-dispatch.h"

typedef struct {
  WeftDispatchFunc func;
  gpointer data;
  GMutex lock;
  GCond cond;
  gboolean done;
} Call;

static gboolean
run_call (gpointer data)
{
  Call *c = data;
  c->func (c->data);
  g_mutex_lock (&c->lock);
  c->done = TRUE;
  g_cond_signal (&c->cond);
  g_mutex_unlock (&c->lock);
  return G_SOURCE_REMOVE;
}

void
weft_dispatch_call (GMainContext *context, WeftDispatchFunc func, gpointer user_data)
{
  if (g_main_context_is_owner (context))
    {
      func (user_data);
      return;
    }
  /* Nobody runs the context (a test, or before the loop starts): run here. */
  if (g_main_context_acquire (context))
    {
      func (user_data);
      g_main_context_release (context);
      return;
    }
  Call c = { .func = func, .data = user_data };
  g_mutex_init (&c.lock);
  g_cond_init (&c.cond);
  GSource *src = g_idle_source_new ();
  g_source_set_priority (src, G_PRIORITY_DEFAULT);
  g_source_set_callback (src, run_call, &c, NULL);
  g_source_attach (src, context);
  g_source_unref (src);
  g_main_context_wakeup (context);
  g_mutex_lock (&c.lock);
  while (!c.done)
    g_cond_wait (&c.cond, &c.lock);
  g_mutex_unlock (&c.lock);
  g_mutex_clear (&c.lock);
  g_cond_clear (&c.cond);
}

struct _WeftWaiter {
  gint refs;
  GMutex lock;
  GCond cond;
  gboolean woken;
};

WeftWaiter *
weft_waiter_new (void)
{
  WeftWaiter *w = g_new0 (WeftWaiter, 1);
  w->refs = 1;
  g_mutex_init (&w->lock);
  g_cond_init (&w->cond);
  return w;
}

void
weft_waiter_wake (WeftWaiter *w)
{
  g_mutex_lock (&w->lock);
  w->woken = TRUE;
  g_cond_broadcast (&w->cond);
  g_mutex_unlock (&w->lock);
}

gboolean
weft_waiter_wait_until (WeftWaiter *w, gint64 deadline_us)
{
  g_mutex_lock (&w->lock);
  while (!w->woken)
    if (!g_cond_wait_until (&w->cond, &w->lock, deadline_us))
      break;
  gboolean woken = w->woken;
  w->woken = FALSE;
  g_mutex_unlock (&w->lock);
  return woken;
}

WeftWaiter *
weft_waiter_ref (WeftWaiter *w)
{
  g_atomic_int_inc (&w->refs);
  return w;
}

void
weft_waiter_unref (WeftWaiter *w)
{
  if (w && g_atomic_int_dec_and_test (&w->refs))
    {
      g_mutex_clear (&w->lock);
      g_cond_clear (&w->cond);
      g_free (w);
    }
}
