/* weft-engine-error: the engine's error domain (see weft-engine-error.h). */

#include "weft-engine-error.h"

G_DEFINE_QUARK (weft-engine-error-quark, weft_engine_error)
