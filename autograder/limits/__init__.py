"""Resource limits for one sandbox: one small interface, three backends.

A backend caps what everything in one sandbox may use together, and tells
afterwards whether the out-of-memory killer struck:

* :mod:`autograder.limits.cgroup_v2`: a child of a delegated (writable)
  cgroup v2 subtree: ``memory.max``, ``pids.max``, ``cpu.max``, and
  ``memory.events`` for OOM kills. The default on current distributions.
* :mod:`autograder.limits.cgroup_v1`: the v1 ``memory``, ``pids`` and ``cpu``
  controllers, where they are mounted and writable (root on older hosts).
* :mod:`autograder.limits.rlimits`: ``setrlimit`` per process, for an
  ordinary user without a delegated cgroup. Weaker, and said so in
  :attr:`Limits.enforced`.

:func:`open_limits` picks the first that works here. Whatever the backend,
the sandbox's processes also get ``RLIMIT_CPU`` (CPU seconds per process) and
``RLIMIT_FSIZE`` (the largest file), which cost nothing and hold everywhere.
"""

import functools
import resource
from abc import ABC, abstractmethod
from dataclasses import dataclass

LIMIT_KINDS = ("memory", "processes", "cpu", "disk", "network")
NOT_ENFORCED = "none"


class LimitsUnavailable(RuntimeError):
    """This backend cannot cap anything here; the message says why."""


@dataclass(frozen=True)
class LimitSpec:
    """What one sandbox may use, everything in it together.

    Attributes
    ----------
    memory_bytes : int
        Memory (resident, and with cgroups also swap and tmpfs pages).
    max_processes : int
        Processes and threads.
    cpu_seconds : int
        CPU time of any one process (``RLIMIT_CPU``); the wall-clock time
        limits of the grader bound the total.
    file_bytes : int
        The largest file one process may write (``RLIMIT_FSIZE``).
    user_namespace : bool
        The sandbox runs in a user namespace of its own (bwrap as an ordinary
        user), where ``RLIMIT_NPROC`` counts only its own processes; the
        runner then sets it (see :mod:`autograder.limits.rlimits`).
    """

    memory_bytes: int
    max_processes: int
    cpu_seconds: int
    file_bytes: int
    user_namespace: bool = False


class Limits(ABC):
    """Caps for one sandbox. Make it before starting the sandbox, close it after."""

    #: Name recorded on each grade: "cgroup v1", "cgroup v2" or "rlimits".
    backend = ""

    def __init__(self, spec):
        self.spec = spec

    @property
    @abstractmethod
    def enforced(self):
        """dict: "memory", "processes", "cpu" -> what enforces it (``NOT_ENFORCED`` if nothing)."""

    @abstractmethod
    def enter(self):
        """Put the calling process under the caps; runs in the child between fork and exec."""

    def oom_killed(self):
        """Whether the kernel's out-of-memory killer struck inside the sandbox."""
        return False

    def close(self):
        """Kill whatever is left under the caps and release them; safe to call twice."""

    def apply_process_rlimits(self):
        """``RLIMIT_CPU`` and ``RLIMIT_FSIZE``, set by every backend in :meth:`enter`."""
        cpu = self.spec.cpu_seconds
        _lower(resource.RLIMIT_CPU, cpu, cpu + 5)   # SIGXCPU at the soft limit, SIGKILL at the hard one
        _lower(resource.RLIMIT_FSIZE, self.spec.file_bytes, self.spec.file_bytes)


def _lower(which, soft, hard):
    """Set a resource limit, never above what the grader itself was given."""
    old_soft, old_hard = resource.getrlimit(which)
    if old_hard != resource.RLIM_INFINITY:
        hard = min(hard, old_hard)
    resource.setrlimit(which, (min(soft, hard), hard))


def open_limits(spec, backends=None):
    """The first backend that can cap a sandbox here, set up for ``spec``.

    Parameters
    ----------
    spec : LimitSpec
    backends : sequence of str, optional
        Names to try, in order; default: cgroup v2, cgroup v1, rlimits.

    Returns
    -------
    Limits
    """
    from autograder.limits.cgroup_v1 import CgroupV1
    from autograder.limits.cgroup_v2 import CgroupV2
    from autograder.limits.rlimits import Rlimits

    classes = {cls.backend: cls for cls in (CgroupV2, CgroupV1, Rlimits)}
    reasons = []
    for name in backends or classes:
        try:
            return classes[name](spec)
        except LimitsUnavailable as err:
            reasons.append(f"{name}: {err}")
    raise LimitsUnavailable("; ".join(reasons))


@functools.lru_cache(maxsize=1)
def describe():
    """One line for the person grading: which backend caps the sandboxes here, and what that means.

    Probes once per process (it creates and removes one cgroup where it can),
    so a run says it once, not once per submission.
    """
    from autograder.limits.cgroup_v1 import CgroupV1
    from autograder.limits.cgroup_v2 import CgroupV2

    probe = LimitSpec(memory_bytes=1 << 30, max_processes=64, cpu_seconds=60, file_bytes=1 << 20)
    reasons = []
    for cls in (CgroupV2, CgroupV1):
        try:
            limits = cls(probe)
        except LimitsUnavailable as err:
            reasons.append(f"{cls.backend}: {err}")
            continue
        limits.close()
        return f"limits: {cls.backend} caps memory, processes and CPU for each submission"
    return ("WARNING: no cgroup can be created here (" + "; ".join(reasons) + "). Each submission's "
            "memory, CPU time and file size are capped per process with setrlimit, and its processes with "
            "RLIMIT_NPROC in the sandbox's user namespace (without a sandbox: per user, shared with the "
            "other submissions graded at the same time). See README, 'Limits'.")
