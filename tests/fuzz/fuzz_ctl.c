/* Fuzz target: a control-socket request (node/daemon/ctl.c, ctl_decode),
 * the line a client of HOME/ayild.sock writes. The input is read as
 * on_read() frames it: up to the first newline, at most CTL_MAX - 2 bytes.
 * The request decodes to one of the known commands or to "unknown"; the
 * decoder is pure: the same line, twice, gives the same answer, and a
 * line holding a command that ayil sends decodes to it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const uint8_t *fuzz_seed(size_t i, size_t *len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *nl;
  size_t len = size < 4094 ? size : 4094;
  ctl_req_t what;
  nl = memchr(data, '\n', len);
  if (nl != NULL)
    len = (size_t)(nl - (const char *)data);
  what = ctl_decode((const char *)data, len);
  if (what != CTL_REQ_UNKNOWN && what != CTL_REQ_STATUS && what != CTL_REQ_SYNC)
    abort();
  if (ctl_decode((const char *)data, len) != what)
    abort();
  if (len == 16 && memcmp(data, "{\"cmd\":\"status\"}", 16) == 0 &&
      what != CTL_REQ_STATUS)
    abort();
  return 0;
}

const uint8_t *fuzz_seed(size_t i, size_t *len) {
  static const char *const s[] = {"{\"cmd\":\"status\"}\n",
                                  "{\"cmd\":\"sync\"}\n",
                                  "{\"cmd\": \"status\", \"x\": [1, null]}\n"};
  if (i >= 3)
    return NULL;
  *len = strlen(s[i]);
  return (const uint8_t *)s[i];
}
