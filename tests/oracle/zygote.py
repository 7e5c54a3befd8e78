"""A fork server for the crash tests: imports the oracle once, then forks a fresh `hundi oracle run` process per
request, so that dozens of kill -9 / restart cycles do not each pay the interpreter's import time.

Protocol (one JSON object per line): the parent writes {"op": "run", "args": [...], "env": {...}, "log": path}
and reads {"pid": n}; {"op": "poll", "pid": n} answers {"exit": code or null}. A child is the real CLI entry point
(`oracle.cli.oracle`) with the given arguments and environment; it is killed with SIGKILL by the parent.
"""

from __future__ import annotations

import json
import os
import sys


def main() -> None:
    # Everything a node imports, loaded before any fork (no threads exist yet, so forking is safe).
    import oracle.app
    import oracle.cli
    import oracle.service

    exits: dict[int, int] = {}
    for line in sys.stdin:
        request = json.loads(line)
        if request["op"] == "run":
            pid = os.fork()
            if pid == 0:
                os.environ.update(request["env"])
                fd = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
                os.dup2(fd, 2)
                devnull = os.open(os.devnull, os.O_RDWR)
                os.dup2(devnull, 0)
                os.dup2(devnull, 1)
                try:
                    oracle.cli.oracle.main(["run", *request["args"]], prog_name="hundi oracle", standalone_mode=True)
                finally:
                    os._exit(1)
            answer: dict[str, object] = {"pid": pid}
        else:
            pid = int(request["pid"])
            if pid not in exits:
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    exits[pid] = os.waitstatus_to_exitcode(status)
            answer = {"exit": exits.get(pid)}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
