"""cgroup v1 limits: one cgroup per sandbox in each of the memory, pids and cpu hierarchies.

Hosts that still mount v1 controllers (``/sys/fs/cgroup/memory`` ...) let root
create cgroups there; an ordinary user normally cannot, and gets
:mod:`autograder.sandbox.limits.rlimits` instead.
"""

import os
from pathlib import Path

from autograder.sandbox.limits._cgroupfs import kill_and_remove, new_name
from autograder.sandbox.limits.base import Limits, LimitsUnavailable

ROOT = Path("/sys/fs/cgroup")
# One core at most: a fork bomb must not starve the submissions graded beside it.
CPU_PERIOD_US = 100_000


class CgroupV1(Limits):
    """Memory, process and CPU caps in v1 cgroups under ``root`` (default ``/sys/fs/cgroup``).

    Raises
    ------
    LimitsUnavailable
        Where the memory or pids hierarchy is missing or not writable.
    """

    backend = "cgroup v1"

    def __init__(self, spec, root=ROOT):
        super().__init__(spec)
        root = Path(root)
        name = new_name()
        settings = {"memory": {"memory.limit_in_bytes": spec.memory_bytes,
                               "memory.memsw.limit_in_bytes": spec.memory_bytes},
                    "pids": {"pids.max": spec.max_processes},
                    "cpu": {"cpu.cfs_period_us": CPU_PERIOD_US, "cpu.cfs_quota_us": CPU_PERIOD_US}}
        self.paths = {}
        for controller, values in settings.items():
            path = root / controller / name
            try:
                path.mkdir()
            except OSError:
                continue
            self.paths[controller] = path
            for key, value in values.items():
                try:
                    (path / key).write_text(str(value))
                except OSError:
                    pass  # memsw is absent without swap accounting; memory alone still caps
        if not {"memory", "pids"} <= set(self.paths):
            missing = sorted({"memory", "pids"} - set(self.paths))
            self.close()
            raise LimitsUnavailable(f"cannot create a cgroup in {', '.join(str(root / m) for m in missing)}")

    @property
    def enforced(self):
        return {"memory": self.backend, "processes": self.backend,
                "cpu": f"{self.backend}, rlimits" if "cpu" in self.paths else "rlimits"}

    def enter(self):
        for path in self.paths.values():
            (path / "cgroup.procs").write_text(str(os.getpid()))
        self.apply_process_rlimits()

    def oom_killed(self):
        path = self.paths.get("memory")
        if path is None:
            return False
        try:
            control = dict(line.split() for line in (path / "memory.oom_control").read_text().splitlines())
            # failcnt counts the times the cap was hit; with the OOM killer off it is the only sign.
            return int(control.get("oom_kill", 0)) > 0 or int((path / "memory.failcnt").read_text()) > 0
        except (OSError, ValueError):
            return False

    def close(self):
        for path in self.paths.values():
            kill_and_remove(path)

    @property
    def locations(self):
        """The cgroup directories, for the grading report."""
        return [str(p) for p in self.paths.values()]
