"""The cgroup v1 backend on this host's real v1 hierarchy (root only: v1 is not delegated to users)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from grading_helpers import fork_bomb

from autograder.sandbox.limits import LimitSpec, LimitsUnavailable
from autograder.sandbox.limits.cgroup_v1 import ROOT, CgroupV1

FORK_BOMB = fork_bomb(child_seconds=30)
SPEC = LimitSpec(memory_bytes=300 << 20, max_processes=30, cpu_seconds=60, file_bytes=8 << 20)


@pytest.fixture
def limits():
    try:
        made = CgroupV1(SPEC)
    except LimitsUnavailable as err:
        pytest.skip(f"no writable cgroup v1 here ({err}); tests/test_limits_cgroup_v2.py and "
                    "tests/test_limits_rlimits.py cover the other backends")
    yield made
    made.close()


def test_memory_processes_and_cpu_are_capped_in_real_cgroups(limits):
    paths = {Path(p).parent.name: Path(p) for p in limits.locations}
    assert set(paths) == {"memory", "pids", "cpu"} and all(p.parent.parent == ROOT for p in paths.values())
    assert int((paths["memory"] / "memory.limit_in_bytes").read_text()) == 300 << 20
    assert (paths["pids"] / "pids.max").read_text().strip() == "30"
    assert (paths["cpu"] / "cpu.cfs_quota_us").read_text().strip() == "100000"


def test_a_fork_bomb_stops_at_the_cap_and_dies_with_the_cgroup(limits):
    forks = subprocess.run([sys.executable, "-c", FORK_BOMB],
                           preexec_fn=limits.enter, capture_output=True, text=True, timeout=60)
    assert 0 < int(forks.stdout) < 30, forks.stderr
    limits.close()   # the sleeping children die with the cgroup
    assert not any(Path(p).exists() for p in limits.locations)


def test_the_oom_killer_is_detected(limits):
    bomb = subprocess.run([sys.executable, "-c", "import numpy as np\nhog = [np.ones(10_000_000) for _ in range(100)]"],
                          preexec_fn=limits.enter, capture_output=True, timeout=120)
    assert bomb.returncode == -9
    assert limits.oom_killed()


def test_an_ordinary_user_gets_a_reason_not_a_crash():
    if os.getuid() == 0:
        pytest.skip("root may create v1 cgroups: tests/test_unprivileged.py runs this as an ordinary user")
    with pytest.raises(LimitsUnavailable, match="cannot create a cgroup"):
        CgroupV1(SPEC)
