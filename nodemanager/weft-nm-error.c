/* weft-nm-error: the NodeManager's error domain (see weft-nm-error.h). */

#include "weft-nm-error.h"

G_DEFINE_QUARK (weft-nm-error-quark, weft_nm_error)
