/*
 * A deterministic stand-in for libFuzzer: feeds a target N inputs made by
 * mutating its seeds -- the files of a corpus directory (tests/fuzz/corpus/
 * <target>/, sorted by name, at most 256), the target's own fuzz_seed()
 * (optional) -- or random bytes. Usage:
 *   fuzz_x [ITERATIONS [SEED [CORPUS_DIR]]]
 *   fuzz_x -w DIR        writes fuzz_seed()'s seeds to DIR/seed-N
 *   fuzz_x -r FILE...    runs each file once (a crash replayed)
 * Prints "N passed, 0 failed" when no input crashed (a crash aborts under
 * the sanitizers and fails the test).
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
#define MAXSEEDS 256

typedef struct {
  uint8_t *p;
  size_t len;
} seed_t;

static seed_t seeds[MAXSEEDS];
static size_t nseeds;

/* The input being run, saved to ./fuzz-crash when it aborts or a
 * sanitizer reports (then `fuzz_x -r fuzz-crash` replays it). */
static const uint8_t *cur;
static size_t curlen;
void __sanitizer_set_death_callback(void (*cb)(void)) __attribute__((weak));

static void save_input(void) {
  int fd = open("fuzz-crash", O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd >= 0) {
    if (cur != NULL)
      (void)!write(fd, cur, curlen);
    close(fd);
  }
}

static void on_abort(int sig) {
  save_input();
  signal(sig, SIG_DFL);
  raise(sig);
}

/* Reads a whole file of at most MAXLEN bytes into a new buffer. */
static uint8_t *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  uint8_t *p = malloc(MAXLEN);
  size_t n = 0;
  if (f == NULL || p == NULL) {
    if (f != NULL)
      fclose(f);
    free(p);
    return NULL;
  }
  n = fread(p, 1, MAXLEN, f);
  fclose(f);
  *len = n;
  return p;
}

static void load_dir(const char *dir) {
  struct dirent **names = NULL;
  int n = scandir(dir, &names, NULL, alphasort), i;
  for (i = 0; i < n; i++) {
    char path[4096];
    size_t len = 0;
    uint8_t *p;
    if (names[i]->d_name[0] != '.' && nseeds < MAXSEEDS &&
        snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name) <
            (int)sizeof path &&
        (p = slurp(path, &len)) != NULL) {
      seeds[nseeds].p = p;
      seeds[nseeds++].len = len;
    }
    free(names[i]);
  }
  free(names);
}

static int write_seeds(const char *dir) {
  size_t i, len = 0;
  const uint8_t *s;
  for (i = 0; fuzz_seed != NULL && (s = fuzz_seed(i, &len)) != NULL; i++) {
    char path[4096];
    FILE *f;
    snprintf(path, sizeof path, "%s/seed-%zu", dir, i);
    f = fopen(path, "wb");
    if (f == NULL || fwrite(s, 1, len, f) != len || fclose(f) != 0)
      return 1;
  }
  printf("%zu seeds written\n", i);
  return 0;
}

int main(int argc, char **argv) {
  long iters = argc > 1 ? atol(argv[1]) : 10000;
  uint8_t *buf;
  size_t k, nown = 0;
  long i;
  if (argc > 2 && strcmp(argv[1], "-w") == 0)
    return write_seeds(argv[2]);
  if (argc > 1 && strcmp(argv[1], "-r") == 0) {
    int a;
    for (a = 2; a < argc; a++) {
      size_t len = 0;
      uint8_t *p = slurp(argv[a], &len);
      if (p == NULL)
        return 1;
      LLVMFuzzerTestOneInput(p, len);
      free(p);
    }
    printf("%d passed, 0 failed\n", argc - 2);
    return 0;
  }
  buf = malloc(MAXLEN);
  if (buf == NULL)
    return 1;
  signal(SIGABRT, on_abort);
  if (__sanitizer_set_death_callback != NULL)
    __sanitizer_set_death_callback(save_input);
  rng = 0x9e3779b97f4a7c15ULL ^ (uint64_t)(argc > 2 ? atol(argv[2]) : 1);
  if (argc > 3)
    load_dir(argv[3]);
  while (fuzz_seed != NULL && nown < 64 && nseeds < MAXSEEDS) {
    size_t len = 0;
    const uint8_t *s = fuzz_seed(nown, &len);
    if (s == NULL)
      break;
    seeds[nseeds].p = malloc(len > 0 ? len : 1);
    if (seeds[nseeds].p == NULL)
      return 1;
    memcpy(seeds[nseeds].p, s, len);
    seeds[nseeds++].len = len;
    nown++;
  }
  for (i = 0; i < iters; i++) {
    size_t len = 0, muts;
    if (nseeds > 0 && next() % 8 != 0) {
      const seed_t *s = &seeds[next() % nseeds];
      len = s->len < MAXLEN ? s->len : MAXLEN;
      memcpy(buf, s->p, len);
    } else {
      len = next() % 512;
      for (k = 0; k < len; k++)
        buf[k] = (uint8_t)next();
    }
    /* Unmutated seeds a sixteenth of the time: the deep paths run. */
    muts = next() % 16 == 0 ? 0 : 1 + next() % 4;
    for (k = 0; k < muts && len > 0; k++) {
      size_t at = next() % len;
      switch (next() % 6) {
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
      case 4: { /* delete a run */
        size_t n = 1 + next() % 8;
        if (n > len - at)
          n = len - at;
        memmove(buf + at, buf + at + n, len - at - n);
        len -= n;
        break;
      }
      default:
        buf[at] = (uint8_t)(0xc0 | (next() % 0x40)); /* msgpack markers */
        break;
      }
    }
    cur = buf;
    curlen = len;
    LLVMFuzzerTestOneInput(buf, len);
  }
  for (k = 0; k < nseeds; k++)
    free(seeds[k].p);
  free(buf);
  printf("%ld passed, 0 failed\n", iters);
  return 0;
}
