/*
 * sd_notify(3) without libsystemd. See sdnotify.h.
 *
 * The protocol is one datagram per message on an AF_UNIX socket; systemd
 * reads "READY=1", "WATCHDOG=1", "STATUS=..." lines from it. Linking
 * libsystemd for this would add a dependency (and its own dependencies) to
 * the Pi image for a dozen lines of code.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ayil/error.h"
#include "sdnotify.h"

static struct {
  int fd;
  struct sockaddr_un addr;
  socklen_t addrlen;
  uv_timer_t timer;
  int timer_on;
  uint64_t watchdog_ms;
} g = {-1, {0}, 0, {0}, 0, 0};

static int send_flags(const char *msg, int flags) {
  size_t len = strlen(msg);
  ssize_t n;
  if (g.fd < 0)
    return AYIL_ESTATE;
  do {
    n = sendto(g.fd, msg, len, MSG_NOSIGNAL | flags,
               (const struct sockaddr *)&g.addr, g.addrlen);
  } while (n < 0 && errno == EINTR);
  return n == (ssize_t)len ? 0 : AYIL_EIO;
}

int sdnotify_send(const char *msg) {
  return send_flags(msg, 0);
}

static void on_watchdog(uv_timer_t *t) {
  (void)t;
  /* Never block the loop for a ping: if systemd's queue is full, the next
   * ping comes in WATCHDOG_USEC/2 anyway. */
  send_flags("WATCHDOG=1", MSG_DONTWAIT);
}

/* WATCHDOG_USEC, if set, valid and meant for this process; else 0. */
static uint64_t watchdog_usec(void) {
  const char *usec = getenv("WATCHDOG_USEC");
  const char *pid = getenv("WATCHDOG_PID");
  char *end = NULL;
  unsigned long long v;
  if (usec == NULL || usec[0] == '\0')
    return 0;
  if (pid != NULL && pid[0] != '\0') {
    long p = strtol(pid, &end, 10);
    if (end == pid || *end != '\0' || p != (long)getpid())
      return 0;
  }
  errno = 0;
  v = strtoull(usec, &end, 10);
  if (errno != 0 || end == usec || *end != '\0')
    return 0;
  return (uint64_t)v;
}

int sdnotify_start(uv_loop_t *loop) {
  const char *path = getenv("NOTIFY_SOCKET");
  size_t len;
  uint64_t usec;
  if (g.fd >= 0)
    return 0;
  if (path == NULL || path[0] == '\0')
    return 0;
  len = strlen(path);
  /* A path ("/run/systemd/notify") or an abstract name ("@..."). */
  if ((path[0] != '/' && path[0] != '@') || len >= sizeof g.addr.sun_path)
    return AYIL_EINVAL;
  memset(&g.addr, 0, sizeof g.addr);
  g.addr.sun_family = AF_UNIX;
  memcpy(g.addr.sun_path, path, len);
  if (path[0] == '@') {
    g.addr.sun_path[0] = '\0';
    g.addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
  } else {
    g.addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
  }
  g.fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (g.fd < 0)
    return AYIL_EIO;
  usec = watchdog_usec();
  if (usec > 0 && loop != NULL) {
    g.watchdog_ms = usec / 2000;
    if (g.watchdog_ms == 0)
      g.watchdog_ms = 1;
    uv_timer_init(loop, &g.timer);
    uv_timer_start(&g.timer, on_watchdog, g.watchdog_ms, g.watchdog_ms);
    uv_unref((uv_handle_t *)&g.timer);
    g.timer_on = 1;
  }
  return 0;
}

void sdnotify_ready(const char *status) {
  char msg[512];
  if (g.fd < 0)
    return;
  if (status != NULL)
    snprintf(msg, sizeof msg, "READY=1\nSTATUS=%s", status);
  else
    snprintf(msg, sizeof msg, "READY=1");
  sdnotify_send(msg);
}

void sdnotify_reloading(void) {
  char msg[96];
  struct timespec ts;
  if (g.fd < 0)
    return;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  /* MONOTONIC_USEC lets systemd >= 253 (Type=notify-reload) match it. */
  snprintf(msg, sizeof msg, "RELOADING=1\nMONOTONIC_USEC=%llu",
           (unsigned long long)ts.tv_sec * 1000000ULL +
               (unsigned long long)ts.tv_nsec / 1000ULL);
  sdnotify_send(msg);
}

void sdnotify_stopping(void) {
  if (g.fd >= 0)
    sdnotify_send("STOPPING=1");
}

void sdnotify_status(const char *fmt, ...) {
  char msg[512];
  va_list ap;
  int n;
  if (g.fd < 0)
    return;
  n = snprintf(msg, sizeof msg, "STATUS=");
  va_start(ap, fmt);
  vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
  va_end(ap);
  /* STATUS is one line. */
  msg[strcspn(msg, "\n")] = '\0';
  sdnotify_send(msg);
}

void sdnotify_close(void) {
  if (g.timer_on) {
    uv_timer_stop(&g.timer);
    uv_close((uv_handle_t *)&g.timer, NULL);
    g.timer_on = 0;
  }
  if (g.fd >= 0) {
    close(g.fd);
    g.fd = -1;
  }
  g.watchdog_ms = 0;
}

uint64_t sdnotify_watchdog_ms(void) {
  return g.watchdog_ms;
}
