/* The client side of ayild's control socket. See ctl.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ayil/error.h"
#include "config.h"
#include "ctl.h"

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for `events` on fd until the deadline. 0, AYIL_ETIMEOUT, AYIL_EIO. */
static int wait_fd(int fd, short events, long long deadline) {
  for (;;) {
    struct pollfd p;
    long long left = deadline - now_ms();
    int n;
    if (left <= 0)
      return AYIL_ETIMEOUT;
    p.fd = fd;
    p.events = events;
    p.revents = 0;
    n = poll(&p, 1, (int)(left > 60000 ? 60000 : left));
    if (n > 0)
      return 0;
    if (n < 0 && errno != EINTR)
      return AYIL_EIO;
  }
}

static int connect_to(int fd, const struct sockaddr_un *sa,
                      long long deadline) {
  for (;;) {
    int err = 0;
    socklen_t elen = sizeof err;
    int rc;
    if (connect(fd, (const struct sockaddr *)sa, sizeof *sa) == 0)
      return 0;
    if (errno == EINTR)
      continue;
    if (errno == ENOENT || errno == ECONNREFUSED || errno == ENOTDIR)
      return AYIL_ENOTFOUND;
    if (errno == EACCES || errno == EPERM)
      return AYIL_EPERM;
    if (errno == EAGAIN) {
      /* Linux: the listen backlog is full. The daemon is busy; retry. */
      struct timespec ts = {0, 20 * 1000000L};
      if (now_ms() >= deadline)
        return AYIL_ETIMEOUT;
      nanosleep(&ts, NULL);
      continue;
    }
    if (errno != EINPROGRESS)
      return AYIL_EIO;
    rc = wait_fd(fd, POLLOUT, deadline);
    if (rc != 0)
      return rc;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0)
      return AYIL_EIO;
    if (err == 0)
      return 0;
    return err == ECONNREFUSED || err == ENOENT ? AYIL_ENOTFOUND : AYIL_EIO;
  }
}

static int send_all(int fd, const char *p, size_t n, long long deadline) {
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w > 0) {
      p += w;
      n -= (size_t)w;
      continue;
    }
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      int rc = wait_fd(fd, POLLOUT, deadline);
      if (rc != 0)
        return rc;
      continue;
    }
    return w < 0 && errno == EPIPE ? AYIL_ECLOSED : AYIL_EIO;
  }
  return 0;
}

/* Reads up to the first newline; the line (without it) is NUL-terminated
 * in *out (malloc'd). */
static int recv_line(int fd, long long deadline, char **out, size_t *outlen) {
  size_t cap = 4096, len = 0;
  char *buf = malloc(cap);
  int rc = 0;
  if (buf == NULL)
    return AYIL_ENOMEM;
  for (;;) {
    char *nl;
    ssize_t r;
    if (len + 1 >= cap) {
      char *nb;
      if (cap >= CLI_CTL_REPLY_MAX) {
        rc = AYIL_ETOOBIG;
        break;
      }
      nb = realloc(buf, cap * 2);
      if (nb == NULL) {
        rc = AYIL_ENOMEM;
        break;
      }
      buf = nb;
      cap *= 2;
    }
    r = recv(fd, buf + len, cap - len - 1, 0);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      rc = wait_fd(fd, POLLIN, deadline);
      if (rc != 0)
        break;
      continue;
    }
    if (r < 0) {
      rc = errno == ECONNRESET ? AYIL_ECLOSED : AYIL_EIO;
      break;
    }
    if (r == 0) {
      /* Closed: a reply without its newline is still a whole reply. */
      rc = len > 0 ? 0 : AYIL_ECLOSED;
      buf[len] = '\0';
      break;
    }
    buf[len + (size_t)r] = '\0';
    nl = memchr(buf + len, '\n', (size_t)r);
    len += (size_t)r;
    if (nl != NULL) {
      *nl = '\0';
      len = (size_t)(nl - buf);
      break;
    }
  }
  if (rc != 0) {
    free(buf);
    return rc;
  }
  *out = buf;
  *outlen = len;
  return 0;
}

int cli_ctl_request(const char *home, const json_t *req, int timeout_ms,
                    json_t **reply, char *sock, size_t sockcap) {
  struct sockaddr_un sa;
  char path[AYIL_PATH_MAX];
  long long deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 1);
  char *line = NULL, *text = NULL;
  size_t llen = 0;
  json_t *v;
  int fd = -1;
  int rc;
  if (ayil_home_path(home, "ayild.sock", path, sizeof path) != 0)
    return AYIL_EINVAL;
  if (sock != NULL && sockcap > 0)
    snprintf(sock, sockcap, "%s", path);
  memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  if (strlen(path) >= sizeof sa.sun_path)
    return AYIL_EINVAL;
  memcpy(sa.sun_path, path, strlen(path) + 1);
  /* Into our own buffer: jansson's allocator wipes and frees its own. */
  {
    size_t n = json_dumpb(req, NULL, 0, JSON_COMPACT);
    text = n > 0 ? malloc(n + 1) : NULL;
    if (text == NULL || json_dumpb(req, text, n, JSON_COMPACT) != n) {
      free(text);
      return AYIL_ENOMEM;
    }
    text[n] = '\0';
  }
  fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    rc = AYIL_EIO;
    goto out;
  }
  rc = connect_to(fd, &sa, deadline);
  if (rc == 0)
    rc = send_all(fd, text, strlen(text), deadline);
  if (rc == 0)
    rc = send_all(fd, "\n", 1, deadline);
  if (rc == 0)
    rc = recv_line(fd, deadline, &line, &llen);
  if (rc != 0)
    goto out;
  v = json_loadb(line, llen, 0, NULL);
  if (v == NULL || !json_is_object(v)) {
    json_decref(v);
    rc = AYIL_EFORMAT;
    goto out;
  }
  *reply = v;
out:
  free(line);
  free(text);
  if (fd >= 0)
    close(fd);
  return rc;
}
