/*
 * benchlib: what several benchmarks share (bench_hub, bench_national):
 * the machine's verify rate, a process's CPU time and memory from /proc,
 * and put entries made as a committee node makes them. Not a benchmark
 * itself (the CMake glob builds bench_*.c only).
 */
#ifndef AYIL_BENCHLIB_H
#define AYIL_BENCHLIB_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ayil/entry.h"

/* The program's name for bench_die()'s message (default "bench"). */
extern const char *bench_prog;
/* Prints "PROG: what" on stderr and exits 1. */
void bench_die(const char *what);

/* Monotonic seconds; this thread's CPU seconds. */
double bench_mono_s(void);
double bench_cpu_s(void);
/* kB of a "Key:   N kB" line of /proc/PID/status (VmRSS, VmHWM), or 0. */
long bench_proc_kb(pid_t pid, const char *key);
/* User + system CPU seconds of `pid`, or 0. */
double bench_proc_cpu(pid_t pid);
/*
 * Ed25519 signatures verified per second of wall time over 2 s, and in
 * *per_cpu_s per second of this thread's CPU time (what one core does,
 * however busy the machine is).
 */
double bench_verify_rate(double *per_cpu_s);

/* One record's header and its packed body, as `ayil record add appeal`
 * builds them from fixed (invented) fields. Both malloc'd. */
void bench_record_parts(uint8_t **hdr, size_t *hlen, uint8_t **plain,
                        size_t *plen);
/*
 * One put entry, as a committee node makes it: seq after `prev` (the hash
 * of the entry before, updated to this one's), the body sealed to the
 * reader key rpk. *body is malloc'd; the entry goes into buf.
 */
void bench_sign_put(const uint8_t pk[32], const uint8_t sk[64], uint64_t seq,
                    uint8_t prev[AYIL_HASH_BYTES], uint64_t day,
                    const uint8_t *hdr, size_t hlen, const uint8_t *plain,
                    size_t plen, const uint8_t rpk[32], uint8_t **body,
                    size_t *blen, uint8_t buf[AYIL_ENTRY_MAX], size_t *elen);

#endif
