/* weft-backend: the registry of backends (include/weft/weft-backend.h). */
#include "weft/weft-backend.h"

#include "weft-engine-error.h"

static GMutex registry_lock;
static GPtrArray *registered;   /* const WeftBackendOps *, newest first; the local one is last */

gboolean
weft_backend_register (const WeftBackendOps *ops, GError **error)
{
  if (ops == NULL || ops->abi_version != WEFT_BACKEND_ABI_VERSION)
    {
      /* Nothing past abi_version is read: another ABI may lay the table out differently. */
      g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION,
                   "a backend built for backend ABI %u was refused: this libweft has ABI %u; "
                   "rebuild the backend against it", ops ? ops->abi_version : 0,
                   WEFT_BACKEND_ABI_VERSION);
      return FALSE;
    }
  if (ops->name == NULL || !ops->accepts || !ops->open || !ops->slots || !ops->launch || !ops->application_id || !ops->close)
    {
      g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION,
                   "backend \"%s\" lacks a name or one of accepts, open, slots, launch, application_id, close",
                   ops->name ? ops->name : "?");
      return FALSE;
    }
  g_mutex_lock (&registry_lock);
  if (registered == NULL)
    registered = g_ptr_array_new ();
  g_ptr_array_insert (registered, 0, (gpointer) ops);
  g_mutex_unlock (&registry_lock);
  return TRUE;
}

const WeftBackendOps *
weft_backend_lookup (const char *master, GError **error)
{
  const WeftBackendOps *found = NULL;
  g_autoptr(GString) names = g_string_new ("local, local[N], local[*], weft, yarn, weft://HOST:PORT");
  g_mutex_lock (&registry_lock);
  for (guint i = 0; registered && i < registered->len && found == NULL; i++)
    {
      const WeftBackendOps *ops = registered->pdata[i];
      if (ops->accepts (master))
        found = ops;
      g_string_append_printf (names, ", %s", ops->name);
    }
  g_mutex_unlock (&registry_lock);
  /* The built-in backends come after any registered one. */
  if (found == NULL && weft_backend_local ()->accepts (master))
    found = weft_backend_local ();
  if (found == NULL && weft_backend_cluster ()->accepts (master))
    found = weft_backend_cluster ();
  if (found == NULL)
    g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION,
                 "no backend takes master \"%s\"; known: %s", master, names->str);
  return found;
}
