"""cgroup v2 limits: one child cgroup per sandbox in a subtree delegated to the grader.

On a unified hierarchy (``/sys/fs/cgroup/cgroup.controllers`` exists) an
ordinary user may create cgroups where systemd has delegated a subtree, for
example inside ``systemd-run --user --scope -p Delegate=yes make demo``.
Each sandbox gets ``memory.max`` (and ``memory.swap.max = 0``), ``pids.max`` and
``cpu.max`` (one core); ``memory.events`` counts OOM kills.

cgroup v2 lets a cgroup either hold processes or hand controllers to its
children, not both. When the grader's own cgroup holds the grader, it moves
itself into a leaf child (``nn-grader-leaf``) first, as systemd advises for
delegated subtrees.
"""

import errno
import os
from pathlib import Path

from autograder.sandbox.limits._cgroupfs import kill_and_remove, new_name, pids_in
from autograder.sandbox.limits.base import Limits, LimitsUnavailable

MOUNT = Path("/sys/fs/cgroup")
CONTROLLERS = ("memory", "pids", "cpu")
REQUIRED = {"memory", "pids"}
CPU_PERIOD_US = 100_000
LEAF = "nn-grader-leaf"


def own_cgroup(mount=MOUNT, proc_cgroup="/proc/self/cgroup"):
    """The v2 cgroup this process is in, as a directory under ``mount``; None on a v1-only host."""
    if not (Path(mount) / "cgroup.controllers").exists():
        return None
    for line in Path(proc_cgroup).read_text().splitlines():
        hierarchy, _, rest = line.partition(":")
        controllers, _, path = rest.partition(":")
        if hierarchy == "0" and controllers == "":
            return Path(mount) / path.lstrip("/")
    return None


class CgroupV2(Limits):
    """Memory, process and CPU caps in a child of the v2 cgroup ``parent``.

    Parameters
    ----------
    spec : LimitSpec
    parent : path, optional
        A writable v2 cgroup directory; default: this process's own cgroup.

    Raises
    ------
    LimitsUnavailable
        Where there is no v2 hierarchy, the parent is not writable, or it
        lacks the memory or pids controller.
    """

    backend = "cgroup v2"

    def __init__(self, spec, parent=None):
        super().__init__(spec)
        parent = Path(parent) if parent is not None else own_cgroup()
        if parent is None:
            raise LimitsUnavailable("no cgroup v2 hierarchy at /sys/fs/cgroup")
        if not os.access(parent, os.W_OK):
            raise LimitsUnavailable(f"{parent} is not writable (no delegated subtree: try "
                                    "`systemd-run --user --scope -p Delegate=yes ...`)")
        available = set(_read(parent / "cgroup.controllers").split())
        if not REQUIRED <= available:
            raise LimitsUnavailable(f"{parent} lacks the {', '.join(sorted(REQUIRED - available))} controller")
        self.controllers = [c for c in CONTROLLERS if c in available]
        _enable(parent, self.controllers)
        self.path = parent / new_name()
        try:
            self.path.mkdir()
        except OSError as err:
            raise LimitsUnavailable(f"cannot create a cgroup in {parent}: {err.strerror}") from None
        values = {"memory.max": spec.memory_bytes, "memory.swap.max": 0, "pids.max": spec.max_processes}
        if "cpu" in self.controllers:
            values["cpu.max"] = f"{CPU_PERIOD_US} {CPU_PERIOD_US}"
        for key, value in values.items():
            try:
                (self.path / key).write_text(str(value))
            except OSError as err:
                if key != "memory.swap.max":   # absent without swap accounting; memory.max still caps
                    self.close()
                    raise LimitsUnavailable(f"cannot write {self.path / key}: {err.strerror}") from None

    @property
    def enforced(self):
        return {"memory": self.backend, "processes": self.backend,
                "cpu": f"{self.backend}, rlimits" if "cpu" in self.controllers else "rlimits"}

    def enter(self):
        (self.path / "cgroup.procs").write_text(str(os.getpid()))
        self.apply_process_rlimits()

    def oom_killed(self):
        events = oom_events(self.path / "memory.events")
        return events.get("oom_kill", 0) > 0

    def close(self):
        # cgroup.kill (Linux 5.14) kills the whole cgroup at once, even processes forked meanwhile.
        try:
            (self.path / "cgroup.kill").write_text("1")
        except OSError:
            pass
        kill_and_remove(self.path)

    @property
    def locations(self):
        """The cgroup directory, for the grading report."""
        return [str(self.path)]

    @property
    def processes(self):
        """The processes in this sandbox's cgroup."""
        return pids_in(self.path)


def oom_events(path):
    """``memory.events`` as a dict (``oom``, ``oom_kill``, ``max`` ... -> count); empty if unreadable."""
    events = {}
    for line in _read(path).splitlines():
        key, _, value = line.partition(" ")
        try:
            events[key] = int(value)
        except ValueError:
            continue
    return events


def _read(path):
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def _enable(parent, controllers):
    """Hand ``controllers`` to the children of ``parent``, leaving it first if needed."""
    enabled = set(_read(parent / "cgroup.subtree_control").split())
    wanted = [c for c in controllers if c not in enabled]
    if not wanted:
        return
    line = " ".join(f"+{c}" for c in wanted)
    try:
        (parent / "cgroup.subtree_control").write_text(line)
        return
    except OSError as err:
        if err.errno != errno.EBUSY:
            raise LimitsUnavailable(f"cannot enable {line} in {parent}: {err.strerror}") from None
    # EBUSY: processes live in `parent` itself (this one, at least). Move this
    # process to a leaf; other processes there keep the parent busy, and then
    # v2 cannot be used here.
    leaf = parent / LEAF
    try:
        leaf.mkdir(exist_ok=True)
        (leaf / "cgroup.procs").write_text(str(os.getpid()))
        (parent / "cgroup.subtree_control").write_text(line)
    except OSError as err:
        raise LimitsUnavailable(f"cannot enable {line} in {parent} ({err.strerror}): other processes "
                                "live in it; run the grader in its own scope with "
                                "`systemd-run --user --scope -p Delegate=yes ...`") from None
