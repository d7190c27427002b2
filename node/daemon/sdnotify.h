/*
 * The systemd notify protocol, written out (no libsystemd): datagrams of
 * "KEY=VALUE\n" lines to the AF_UNIX socket named by $NOTIFY_SOCKET (a path,
 * or "@name" for the abstract namespace). See sd_notify(3).
 *
 * Outside systemd ($NOTIFY_SOCKET unset) every function does nothing, so
 * ayild runs the same by hand, in tests and under systemd.
 *
 * With Type=notify and WatchdogSec= in the unit, systemd sets $WATCHDOG_USEC;
 * sdnotify_start() then sends WATCHDOG=1 every WATCHDOG_USEC/2 from a timer
 * on the daemon's loop, so a loop that stops turning (a hung fsync, a bug
 * spinning in a callback) stops the pings and systemd restarts ayild.
 *
 * State is file-static: one daemon, one loop, one thread.
 */
#ifndef AYIL_SDNOTIFY_H
#define AYIL_SDNOTIFY_H

#include <stdint.h>

#include <uv.h>

/*
 * Reads $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID, opens the
 * datagram socket and, if the watchdog is on, starts its timer on `loop`
 * (unreferenced: it never keeps the loop alive on its own). Returns 0, also
 * when not started by systemd; AYIL_EINVAL if $NOTIFY_SOCKET is unusable
 * (then the other calls do nothing). Call sdnotify_close() before the loop
 * is closed.
 */
int sdnotify_start(uv_loop_t *loop);
/* READY=1 with STATUS=<status> if status is not NULL: startup finished. */
void sdnotify_ready(const char *status);
/* RELOADING=1 (before rereading the config; follow with sdnotify_ready). */
void sdnotify_reloading(void);
/* STOPPING=1: the daemon begins to stop. */
void sdnotify_stopping(void);
/* STATUS=<printf format>: one line shown by `systemctl status ayild`. */
void sdnotify_status(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
/* Stops and closes the watchdog timer and the socket. Idempotent. */
void sdnotify_close(void);

/* For tests: the watchdog interval in ms (0 when off), and sends one raw
 * message; returns 0, or AYIL_EIO if it could not be sent, or AYIL_ESTATE
 * if there is no notify socket. */
uint64_t sdnotify_watchdog_ms(void);
int sdnotify_send(const char *msg);

#endif
