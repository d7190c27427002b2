#!/usr/bin/python3
"""Signals a command while it asks a passphrase on a pseudo-terminal.

usage: pty_signal.py OUT HOW -- COMMAND...

Runs COMMAND on a new pseudo-terminal (its controlling terminal, so that
/dev/tty is it), waits for a prompt ending in ": ", notes whether echo is
off then, and sends HOW: "ctrl-c" types Ctrl-C; "ctrl-z" types Ctrl-Z,
checks the terminal while the command is stopped, then sends SIGCONT and
SIGTERM; anything else is a signal name (TERM, HUP, QUIT...)
sent with kill. Then it runs `stty -a` on the terminal, which the driver
keeps open. Writes to OUT, one per line: "prompt: TEXT", "echo at prompt:
off|on", ("echo while stopped: on|off"), "ended by: signal N|exit N",
"stty: ..." . Exits 0 when it got that far, 125 when the prompt never came
(the wait is a safety net, not a measurement).
"""
import fcntl
import os
import select
import signal
import subprocess
import sys
import termios

out_file, how = sys.argv[1], sys.argv[2]
cmd = sys.argv[sys.argv.index("--") + 1:]
master, slave = os.openpty()
pid = os.fork()
if pid == 0:
    os.setsid()
    fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
    for fd in (0, 1, 2):
        os.dup2(slave, fd)
    os.close(master)
    os.execvp(cmd[0], cmd)


def echo_on():
    return bool(termios.tcgetattr(slave)[3] & termios.ECHO)


lines = []
seen = b""
while not seen.rstrip(b"\n").endswith(b": "):
    r, _, _ = select.select([master], [], [], 60)
    if not r:
        break
    try:
        chunk = os.read(master, 4096)
    except OSError:
        chunk = b""
    if not chunk:
        break
    seen += chunk
if not seen.endswith(b": "):
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    open(out_file, "w").write("no prompt: %r\n" % seen)
    sys.exit(125)
lines.append("prompt: " + seen.decode("utf-8", "replace").strip().splitlines()[-1])
lines.append("echo at prompt: " + ("on" if echo_on() else "off"))
if how == "ctrl-c":
    os.write(master, b"\x03")
elif how == "ctrl-z":
    os.write(master, b"\x1a")
    _, st = os.waitpid(pid, os.WUNTRACED)
    lines.append("stopped: " + ("yes" if os.WIFSTOPPED(st) else "no"))
    lines.append("echo while stopped: " + ("on" if echo_on() else "off"))
    os.kill(pid, signal.SIGCONT)
    os.kill(pid, signal.SIGTERM)
else:
    os.kill(pid, getattr(signal, "SIG" + how))
_, st = os.waitpid(pid, 0)
if os.WIFSIGNALED(st):
    lines.append("ended by: signal %d" % os.WTERMSIG(st))
else:
    lines.append("ended by: exit %d" % os.WEXITSTATUS(st))
stty = subprocess.run(["stty", "-a"], stdin=slave, capture_output=True,
                      text=True).stdout
lines.append("stty: " + " ".join(stty.split()))
open(out_file, "w").write("\n".join(lines) + "\n")
