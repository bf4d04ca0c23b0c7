/* weft-rpc-token: the one converter between a token (weft-token.h) and its
 * wire form (the IDL's Token). Every RPC edge that sends or checks a token
 * uses it. */
#pragma once

#include "weft-token.h"
#include "weft_common_types.h"

G_BEGIN_DECLS

/**
 * weft_rpc_token_from_wire:
 * Returns: (transfer full) (nullable): the token, or NULL when @wire is
 *   NULL or has no kind (none was sent). Nothing is checked: verify it.
 */
WeftToken *weft_rpc_token_from_wire (const weftToken *wire);

/** weft_rpc_token_fill: sets @out's fields from @token (NULL: an empty token). */
void weft_rpc_token_fill (weftToken *out, const WeftToken *token);

/** weft_rpc_token_to_wire: Returns: (transfer full) a new wire token for @token (nullable). */
weftToken *weft_rpc_token_to_wire (const WeftToken *token);

G_END_DECLS
