"""What this machine can give a run: the cores this process may use and the memory available
now, read before a run is sized (`fastnet train --threads`, `fastnet reproduce --jobs`, layer
and mini-batch sizes), so that what cannot fit is refused before anything is allocated.
Imports nothing heavy."""

import os
from pathlib import Path

_MEMINFO = Path("/proc/meminfo")
# cgroup v2, as a container sees its own: the limit and what it already uses.
_CGROUP = Path("/sys/fs/cgroup")


def cores():
    """The number of cores this process may run on (its CPU affinity, which taskset, cgroups'
    cpusets and Slurm restrict), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def available_memory():
    """Bytes of memory a new allocation can have without swapping: the kernel's MemAvailable
    (else the free pages), lowered to what is left under the container's memory limit, if
    there is one; None if the system does not say."""
    available = _meminfo_available()
    if available is None:
        available = _free_pages()
    left = _cgroup_left()
    if left is not None:
        available = left if available is None else min(available, left)
    return available


def _meminfo_available():
    try:
        for line in _MEMINFO.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024  # kB
    except (OSError, ValueError, IndexError):
        pass
    return None


def _free_pages():
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _cgroup_left():
    try:
        limit = (_CGROUP / "memory.max").read_text().strip()
        if limit == "max":
            return None
        return max(0, int(limit) - int((_CGROUP / "memory.current").read_text()))
    except (OSError, ValueError):
        return None
