/* Small file helpers shared by the node and the CLI. */
#ifndef AYIL_FSUTIL_H
#define AYIL_FSUTIL_H

#include <stddef.h>
#include <stdint.h>

/*
 * Writes `len` bytes to `path` atomically: a temporary file in the same
 * directory with `mode`, fsync, rename, fsync of the directory. A power cut
 * leaves either the old file or the new one.
 */
int ayil_fs_write_atomic(const char *path, const void *data, size_t len,
                         int mode);
/* Writes a new file, refusing to overwrite (O_EXCL), then fsyncs it. */
int ayil_fs_write_new(const char *path, const void *data, size_t len, int mode);
/*
 * Reads a whole file of at most `max` bytes into a malloc'd, NUL-terminated
 * buffer. AYIL_ETOOBIG if larger, AYIL_ENOTFOUND if missing, AYIL_EPERM if
 * unreadable.
 */
int ayil_fs_read(const char *path, size_t max, uint8_t **out, size_t *len);
/* Reads from an open descriptor (e.g. stdin), same limit semantics. */
int ayil_fs_read_fd(int fd, size_t max, uint8_t **out, size_t *len);
/* Converts an errno value to an AYIL_E* code. */
int ayil_fs_errno(int err);
/* Writes all of data to fd, retrying short writes and EINTR. */
int ayil_fs_write_all(int fd, const void *data, size_t len);

#endif
