"""This process's open file descriptors and resident memory, read from /proc (Linux)."""

from __future__ import annotations

import gc
import os
import time
from collections import Counter


def open_fds() -> dict[int, str]:
    """fd → what it points at (``socket:[inode]``, ``pipe:[…]``, a path, …)."""
    out = {}
    for name in os.listdir("/proc/self/fd"):
        try:
            out[int(name)] = os.readlink(f"/proc/self/fd/{name}")
        except OSError:  # the fd listdir itself used, already closed
            continue
    return out


def fd_kinds(fds: dict[int, str]) -> Counter[str]:
    """How many fds of each kind: socket, pipe, anon_inode:[eventpoll], file…"""
    return Counter(t.split(":[")[0] if ":[" in t else ("file" if t.startswith("/") else t)
                   for t in fds.values())


def new_fds(before: dict[int, str], timeout: float = 2.0) -> dict[int, str]:
    """fds open now that were not open in ``before`` (same number AND same target: a socket
    has a fresh inode). Collects garbage and waits briefly for threads that are closing."""
    deadline = time.monotonic() + timeout
    while True:
        gc.collect()
        now = open_fds()
        extra = {fd: t for fd, t in now.items() if before.get(fd) != t}
        if not extra or time.monotonic() > deadline:
            return extra
        time.sleep(0.05)


def settled_fds() -> dict[int, str]:
    """A baseline: this process's fds after garbage from earlier tests is collected."""
    gc.collect()
    time.sleep(0.05)
    gc.collect()
    return open_fds()


def rss_kib() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")
