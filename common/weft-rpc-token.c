/* weft-rpc-token: token <-> wire. See weft-rpc-token.h. */
#include "weft-rpc-token.h"

static GBytes *
bytes_of (const GByteArray *a)
{
  return g_bytes_new (a ? a->data : NULL, a ? a->len : 0);
}

static GByteArray *
array_of (GBytes *b)
{
  gsize n = 0;
  const guint8 *d = b ? g_bytes_get_data (b, &n) : NULL;
  GByteArray *a = g_byte_array_sized_new ((guint) n);
  if (n)
    g_byte_array_append (a, d, (guint) n);
  return a;
}

WeftToken *
weft_rpc_token_from_wire (const weftToken *wire)
{
  if (wire == NULL || wire->kind == NULL || *wire->kind == '\0')
    return NULL;
  g_autoptr(GBytes) ident = bytes_of (wire->identifier);
  g_autoptr(GBytes) pw = bytes_of (wire->password);
  return weft_token_new (wire->kind, ident, wire->expiry_ms, pw);
}

void
weft_rpc_token_fill (weftToken *out, const WeftToken *token)
{
  g_free (out->kind);
  out->kind = g_strdup (token ? token->kind : "");
  if (out->identifier)
    g_byte_array_unref (out->identifier);
  out->identifier = array_of (token ? token->identifier : NULL);
  if (out->password)
    g_byte_array_unref (out->password);
  out->password = array_of (token ? token->password : NULL);
  out->expiry_ms = token ? token->expiry_ms : 0;
}

weftToken *
weft_rpc_token_to_wire (const WeftToken *token)
{
  weftToken *w = g_object_new (WEFT_TYPE_TOKEN, NULL);
  weft_rpc_token_fill (w, token);
  return w;
}
