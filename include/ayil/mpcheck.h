/*
 * A pre-scan of untrusted msgpack bytes, run before msgpack-c sees them.
 *
 * msgpack-c allocates for an array or map the number of elements its
 * header claims, before it reads them: 5 hostile bytes can ask for
 * gigabytes. This walker checks every claimed length against the bytes
 * that remain (each element needs at least one byte) and bounds the depth,
 * without allocating. After it passes, msgpack-c's allocation is O(len).
 */
#ifndef AYIL_MPCHECK_H
#define AYIL_MPCHECK_H

#include <stddef.h>
#include <stdint.h>

#include "ayil/error.h"

/*
 * Checks that buf[0..len) starts with one well-formed msgpack value nested
 * at most `max_depth` deep. Ext types and the never-used byte 0xc1 are
 * refused. On success *used is the value's length (the caller decides
 * whether trailing bytes are allowed). Returns 0, AYIL_ETRUNC, AYIL_EDEPTH
 * or AYIL_EFORMAT.
 */
int ayil_mp_check(const uint8_t *buf, size_t len, int max_depth, size_t *used);

#endif
