"""The limits interface: what one sandbox may use (:class:`LimitSpec`) and the caps a backend sets (:class:`Limits`)."""

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
        runner then sets it (see :mod:`autograder.sandbox.limits.rlimits`).
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
        lower_rlimit(resource.RLIMIT_CPU, cpu, cpu + 5)   # SIGXCPU at the soft limit, SIGKILL at the hard one
        lower_rlimit(resource.RLIMIT_FSIZE, self.spec.file_bytes, self.spec.file_bytes)


def lower_rlimit(which, soft, hard):
    """Set a resource limit, never above what the grader itself was given."""
    old_soft, old_hard = resource.getrlimit(which)
    if old_hard != resource.RLIM_INFINITY:
        hard = min(hard, old_hard)
    resource.setrlimit(which, (min(soft, hard), hard))
