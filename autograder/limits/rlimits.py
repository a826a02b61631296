"""Per-process limits with ``setrlimit``: what holds without root and without a delegated cgroup.

Weaker than a cgroup, and the grading record says so:

* memory: ``RLIMIT_DATA`` (heap and private mappings) at the cap and
  ``RLIMIT_AS`` at twice it (numpy and OpenBLAS reserve address space they
  never touch), per process: two processes may each use the cap. A memory
  bomb gets a ``MemoryError``, not a kill.
* processes: ``RLIMIT_NPROC`` counts every process of the user (the real
  uid), not just the sandbox's. It is set to the user's processes at the
  start plus the cap, so a fork bomb stops there, but that headroom is shared
  with the user's other programs and the other sandboxes graded at the same
  time: while a fork bomb runs, they may fail to start processes, until the
  sandbox is killed. Root ignores ``RLIMIT_NPROC`` altogether.
* CPU time and file size: ``RLIMIT_CPU`` and ``RLIMIT_FSIZE`` (every backend sets these).
"""

import os
import resource

from autograder.limits import Limits, _lower


def processes_of(uid):
    """How many processes (threads included, as RLIMIT_NPROC counts them) ``uid`` runs now."""
    count = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat().st_uid == uid:
                count += len(os.listdir(f"/proc/{entry.name}/task"))
        except OSError:
            continue   # it ended meanwhile
    return count


class Rlimits(Limits):
    """Caps with ``setrlimit`` in the sandbox's first process, inherited by everything it starts."""

    backend = "rlimits"

    def __init__(self, spec):
        super().__init__(spec)
        # Counted here, in the grader: between fork and exec only async-signal-safe work belongs.
        self.nproc = processes_of(os.getuid()) + spec.max_processes

    @property
    def enforced(self):
        return {"memory": "rlimits (per process)",
                "processes": "rlimits (per user)" if os.getuid() != 0 else "none (root ignores RLIMIT_NPROC)",
                "cpu": "rlimits"}

    def enter(self):
        memory = self.spec.memory_bytes
        _lower(resource.RLIMIT_DATA, memory, memory)
        _lower(resource.RLIMIT_AS, 2 * memory, 2 * memory)
        _lower(resource.RLIMIT_NPROC, self.nproc, self.nproc)
        self.apply_process_rlimits()
