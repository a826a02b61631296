"""Resource limits for one sandbox: one small interface, three backends.

A backend caps what everything in one sandbox may use together, and tells
afterwards whether the out-of-memory killer struck:

* :mod:`autograder.sandbox.limits.cgroup_v2`: a child of a delegated (writable)
  cgroup v2 subtree: ``memory.max``, ``pids.max``, ``cpu.max``, and
  ``memory.events`` for OOM kills. The default on current distributions.
* :mod:`autograder.sandbox.limits.cgroup_v1`: the v1 ``memory``, ``pids`` and ``cpu``
  controllers, where they are mounted and writable (root on older hosts).
* :mod:`autograder.sandbox.limits.rlimits`: ``setrlimit`` per process, for an
  ordinary user without a delegated cgroup. Weaker, and said so in
  :attr:`Limits.enforced`.

:func:`open_limits` picks the first that works here. Whatever the backend,
the sandbox's processes also get ``RLIMIT_CPU`` (CPU seconds per process) and
``RLIMIT_FSIZE`` (the largest file), which cost nothing and hold everywhere.
"""

import functools

from autograder.sandbox.limits.base import LIMIT_KINDS, NOT_ENFORCED, Limits, LimitSpec, LimitsUnavailable
from autograder.sandbox.limits.cgroup_v1 import CgroupV1
from autograder.sandbox.limits.cgroup_v2 import CgroupV2
from autograder.sandbox.limits.rlimits import Rlimits

__all__ = ["LIMIT_KINDS", "NOT_ENFORCED", "CgroupV1", "CgroupV2", "LimitSpec", "Limits", "LimitsUnavailable",
           "Rlimits", "describe", "open_limits"]


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
