"""Per-process limits with ``setrlimit``: what holds without root and without a delegated cgroup.

Weaker than a cgroup, and the grading record says so:

* memory: ``RLIMIT_DATA`` (heap and private mappings) at the cap and
  ``RLIMIT_AS`` at twice it (numpy and OpenBLAS reserve address space they
  never touch), per process: two processes may each use the cap. A memory
  bomb gets a ``MemoryError``, not a kill.
* processes: ``RLIMIT_NPROC`` counts the processes (and threads) of the
  user, by real uid, in the user namespace where the limit is checked:

  - in bwrap's own user namespace (an ordinary user's sandbox), only the
    sandbox's processes count. The runner sets the cap there, first thing,
    and a fork bomb stops at it (``LimitSpec.user_namespace``);
  - without a sandbox, every process of the user counts, the grader's,
    the other submissions' graded beside it and the user's desktop. The cap
    is then the user's processes at the start plus ``max_processes``, and that
    headroom is shared: while one submission's fork bomb runs, another
    submission graded at the same time cannot start a thread, and its kernel
    dies (flag ``kernel-died``), until the bomb is killed at its time limit.

  Root ignores ``RLIMIT_NPROC`` altogether.
* CPU time and file size: ``RLIMIT_CPU`` and ``RLIMIT_FSIZE`` (every backend sets these).
"""

import os
import resource

from autograder.sandbox.limits.base import Limits, lower_rlimit


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
        # In a user namespace of its own the runner sets the cap, to max_processes.
        self.nproc = None if spec.user_namespace else processes_of(os.getuid()) + spec.max_processes

    @property
    def enforced(self):
        if os.getuid() == 0:
            processes = "none (root ignores RLIMIT_NPROC)"
        else:
            processes = "rlimits (per sandbox)" if self.spec.user_namespace else "rlimits (per user)"
        return {"memory": "rlimits (per process)", "processes": processes, "cpu": "rlimits"}

    def enter(self):
        memory = self.spec.memory_bytes
        lower_rlimit(resource.RLIMIT_DATA, memory, memory)
        lower_rlimit(resource.RLIMIT_AS, 2 * memory, 2 * memory)
        if not self.spec.user_namespace:
            # Set here, before the namespace exists, it would cap every process of the user.
            lower_rlimit(resource.RLIMIT_NPROC, self.nproc, self.nproc)
        self.apply_process_rlimits()
