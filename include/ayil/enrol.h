/*
 * The enrolment confirmation code (PROTOCOL.md, "Enrolment"): twelve
 * decimal digits derived from a node's id, which the new node shows and
 * the hub's operator types in (`ayil admit --confirm CODE`), so that an
 * invite code alone, stolen or copied, cannot enrol a node.
 */
#ifndef AYIL_ENROL_H
#define AYIL_ENROL_H

#include <stdint.h>

#include "ayil/entry.h"

#define AYIL_ENROL_DIGITS 12
#define AYIL_ENROL_TEXT 15 /* "dddd-dddd-dddd" and its NUL */

/* The code of node `id` as a number below 10^12. */
uint64_t ayil_enrol_code(const uint8_t id[AYIL_ID_BYTES]);
/* The same as "dddd-dddd-dddd". */
void ayil_enrol_code_text(const uint8_t id[AYIL_ID_BYTES],
                          char out[AYIL_ENROL_TEXT]);
/* Reads a code typed by a person: exactly 12 digits, with any dashes or
 * spaces between them. 0, or AYIL_EFORMAT. */
int ayil_enrol_code_parse(const char *text, uint64_t *code);

#endif
