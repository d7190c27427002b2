/* Limits shared by node/record.c, record_mp.c and record_schema.c. */
#ifndef AYIL_RECORD_INT_H
#define AYIL_RECORD_INT_H

#define MAP_MAX_KEYS 64 /* keys of one header or body map */
#define KEY_MAX 64      /* bytes of one key */
#define ARRAY_MAX 32    /* elements of one code list */

#endif
