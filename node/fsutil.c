/* File helpers: atomic writes with fsync, bounded reads. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ayil/error.h"
#include "fsutil.h"

int ayil_fs_errno(int err) {
  switch (err) {
  case ENOENT:
  case ENOTDIR:
    return AYIL_ENOTFOUND;
  case EACCES:
  case EPERM:
  case EROFS:
    return AYIL_EPERM;
  case ENOSPC:
  case EDQUOT:
    return AYIL_EFULL;
  case EEXIST:
    return AYIL_EEXISTS;
  case ENOMEM:
    return AYIL_ENOMEM;
  default:
    return AYIL_EIO;
  }
}

int ayil_fs_write_all(int fd, const void *data, size_t len) {
  const uint8_t *p = data;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return ayil_fs_errno(errno);
    }
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

static int fsync_dir_of(const char *path) {
  char dir[PATH_MAX];
  char *slash;
  int fd;
  int rc = 0;
  if (strlen(path) >= sizeof dir)
    return AYIL_EINVAL;
  strcpy(dir, path);
  slash = strrchr(dir, '/');
  if (slash == NULL)
    strcpy(dir, ".");
  else if (slash == dir)
    dir[1] = '\0';
  else
    *slash = '\0';
  fd = open(dir, O_RDONLY | O_DIRECTORY);
  if (fd < 0)
    return ayil_fs_errno(errno);
  if (fsync(fd) != 0)
    rc = ayil_fs_errno(errno);
  close(fd);
  return rc;
}

int ayil_fs_write_atomic(const char *path, const void *data, size_t len,
                         int mode) {
  char tmp[PATH_MAX];
  int fd;
  int rc;
  if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
    return AYIL_EINVAL;
  fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0)
    return ayil_fs_errno(errno);
  rc = fchmod(fd, (mode_t)mode) == 0 ? 0 : ayil_fs_errno(errno);
  if (rc == 0)
    rc = ayil_fs_write_all(fd, data, len);
  if (rc == 0 && fsync(fd) != 0)
    rc = ayil_fs_errno(errno);
  if (close(fd) != 0 && rc == 0)
    rc = ayil_fs_errno(errno);
  if (rc == 0 && rename(tmp, path) != 0)
    rc = ayil_fs_errno(errno);
  if (rc != 0) {
    unlink(tmp);
    return rc;
  }
  return fsync_dir_of(path);
}

int ayil_fs_write_new(const char *path, const void *data, size_t len,
                      int mode) {
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  int rc;
  if (fd < 0)
    return ayil_fs_errno(errno);
  rc = fchmod(fd, (mode_t)mode) == 0 ? 0 : ayil_fs_errno(errno);
  if (rc == 0)
    rc = ayil_fs_write_all(fd, data, len);
  if (rc == 0 && fsync(fd) != 0)
    rc = ayil_fs_errno(errno);
  if (close(fd) != 0 && rc == 0)
    rc = ayil_fs_errno(errno);
  if (rc != 0) {
    unlink(path);
    return rc;
  }
  return fsync_dir_of(path);
}

int ayil_fs_read_fd(int fd, size_t max, uint8_t **out, size_t *len) {
  size_t cap = 4096;
  size_t n = 0;
  uint8_t *buf = malloc(cap + 1);
  if (buf == NULL)
    return AYIL_ENOMEM;
  for (;;) {
    ssize_t r;
    if (n == cap) {
      uint8_t *nb;
      if (cap > max) {
        free(buf);
        return AYIL_ETOOBIG;
      }
      cap *= 2;
      nb = realloc(buf, cap + 1);
      if (nb == NULL) {
        free(buf);
        return AYIL_ENOMEM;
      }
      buf = nb;
    }
    r = read(fd, buf + n, cap - n);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      free(buf);
      return ayil_fs_errno(errno);
    }
    if (r == 0)
      break;
    n += (size_t)r;
    if (n > max) {
      free(buf);
      return AYIL_ETOOBIG;
    }
  }
  buf[n] = '\0';
  *out = buf;
  *len = n;
  return 0;
}

int ayil_fs_read(const char *path, size_t max, uint8_t **out, size_t *len) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  int rc;
  if (fd < 0)
    return ayil_fs_errno(errno);
  rc = ayil_fs_read_fd(fd, max, out, len);
  close(fd);
  return rc;
}
