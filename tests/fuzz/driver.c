/*
 * A deterministic stand-in for libFuzzer: feeds a target N inputs made by
 * mutating its seeds (fuzz_seed(), optional) or random bytes. Usage:
 *   fuzz_x [ITERATIONS [SEED]]
 * Prints "N passed, 0 failed" when no input crashed (a crash aborts under
 * the sanitizers and fails the test).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional seeds from the target: returns the i-th seed or NULL. */
const uint8_t *fuzz_seed(size_t i, size_t *len) __attribute__((weak));

static uint64_t rng;
static uint32_t next(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (uint32_t)(rng >> 16);
}

#define MAXLEN 8192

int main(int argc, char **argv) {
  long iters = argc > 1 ? atol(argv[1]) : 10000;
  uint8_t *buf = malloc(MAXLEN);
  size_t nseeds = 0;
  long i;
  rng = 0x9e3779b97f4a7c15ULL ^ (uint64_t)(argc > 2 ? atol(argv[2]) : 1);
  if (buf == NULL)
    return 1;
  while (fuzz_seed != NULL && nseeds < 64 && fuzz_seed(nseeds, &(size_t){0}))
    nseeds++;
  for (i = 0; i < iters; i++) {
    size_t len = 0, k, muts;
    if (nseeds > 0 && next() % 8 != 0) {
      size_t sl = 0;
      const uint8_t *s = fuzz_seed(next() % nseeds, &sl);
      len = sl < MAXLEN ? sl : MAXLEN;
      memcpy(buf, s, len);
    } else {
      len = next() % 512;
      for (k = 0; k < len; k++)
        buf[k] = (uint8_t)next();
    }
    muts = next() % 4;
    for (k = 0; k < muts && len > 0; k++) {
      size_t at = next() % len;
      switch (next() % 5) {
      case 0:
        buf[at] ^= (uint8_t)(1u << (next() % 8));
        break;
      case 1:
        buf[at] = (uint8_t)next();
        break;
      case 2:
        len = at; /* truncate */
        break;
      case 3:
        if (len < MAXLEN) { /* insert */
          memmove(buf + at + 1, buf + at, len - at);
          buf[at] = (uint8_t)next();
          len++;
        }
        break;
      default:
        buf[at] = (uint8_t)(0xc0 | (next() % 0x40)); /* msgpack markers */
        break;
      }
    }
    LLVMFuzzerTestOneInput(buf, len);
  }
  free(buf);
  printf("%ld passed, 0 failed\n", iters);
  return 0;
}
