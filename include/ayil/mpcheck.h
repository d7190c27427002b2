/* Kept for the callers not yet moved: ayil_mp_check() is in ayil/mp.h. */
#ifndef AYIL_MPCHECK_H
#define AYIL_MPCHECK_H

#include "ayil/mp.h"

#endif
