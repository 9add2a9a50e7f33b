"""A small launcher that starts the measured processes, so their peak RSS is their own.

Linux keeps a process's peak RSS across ``exec`` (``ru_maxrss`` starts at the RSS of the process
that forked it), so a child started by the harness, which has loaded pypinyin and built demo
townships, would report the harness's own peak. This launcher is started first, stays small
(standard library ``os``/``json``/``time`` only, no ``site``), and starts each measured command
itself with ``posix_spawn``; ``wait4`` then gives the child's own peak RSS and the launcher notes
``time.monotonic()`` just before the spawn.

Protocol: one JSON object per line on stdin ``{"cmd": [...], "env": {...}, "stderr": path}``,
one per line back ``{"t0": ..., "t1": ..., "code": ..., "maxrss_kib": ...}``.
"""

import json
import os
import sys
import time


def main() -> None:
    for line in sys.stdin:
        job = json.loads(line)
        actions = [
            (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
            (os.POSIX_SPAWN_OPEN, 2, job["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644),
        ]
        t0 = time.monotonic()
        pid = os.posix_spawn(job["cmd"][0], job["cmd"], job["env"], file_actions=actions)
        _, status, usage = os.wait4(pid, 0)
        t1 = time.monotonic()
        kib = usage.ru_maxrss // 1024 if sys.platform == "darwin" else usage.ru_maxrss
        reply = {"t0": t0, "t1": t1, "code": os.waitstatus_to_exitcode(status), "maxrss_kib": kib}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
