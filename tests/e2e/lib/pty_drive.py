#!/usr/bin/python3
"""Runs a command on a pseudo-terminal and answers its prompts.

usage: pty_drive.py TRANSCRIPT ANSWERS_FILE -- COMMAND...

Each time the output ends with a prompt ("> " after the last newline), the
next line of ANSWERS_FILE is typed; the line "<EOF>" types Ctrl-D. Writes
everything the program printed to TRANSCRIPT and exits with its exit code
(125 if it did not finish: the answers ran out or a read waited too long;
the wait is a safety net, not a measurement).
"""
import os
import pty
import select
import sys

transcript, answers_file = sys.argv[1], sys.argv[2]
cmd = sys.argv[sys.argv.index("--") + 1:]
answers = open(answers_file, encoding="utf-8").read().split("\n")
if answers and answers[-1] == "":
    answers.pop()

pid, fd = pty.fork()
if pid == 0:
    os.execvp(cmd[0], cmd)

out = b""
ended = False  # the program closed the terminal (it exited)
seen = 0  # bytes of out already answered
given = 0
status = None
while True:
    r, _, _ = select.select([fd], [], [], 120)
    if not r:
        break
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        chunk = b""
    if not chunk:
        ended = True
        break
    out += chunk
    tail = out[seen:]
    if tail.rstrip(b" ").endswith(b">") and tail.endswith(b"> "):
        seen = len(out)
        if given >= len(answers):
            break
        a = answers[given]
        given += 1
        if a == "<EOF>":
            os.write(fd, b"\x04")
        else:
            os.write(fd, a.encode("utf-8") + b"\n")
# the program may still be running when answers ran out
code = 125
if not ended:
    os.kill(pid, 9)
_, st = os.waitpid(pid, 0)
if ended and os.WIFEXITED(st):
    code = os.WEXITSTATUS(st)
open(transcript, "wb").write(out)
sys.exit(code)
