"""The cgroup v2 backend, against a fake cgroupfs: a temporary folder laid out like /sys/fs/cgroup.

This host mounts cgroup v1, so these tests check what the backend writes and
reads (the limit files, joining, OOM parsing, clean-up), not that a kernel
enforces it: a plain folder enforces nothing. Enforcement under v2 is the
kernel's; the same sandbox tests that pass here under v1 cover the rest.
"""

import os
import subprocess
import sys

import pytest

from autograder.sandbox.limits import LimitSpec, LimitsUnavailable, open_limits
from autograder.sandbox.limits.cgroup_v2 import CgroupV2, oom_events, own_cgroup

SPEC = LimitSpec(memory_bytes=400 << 20, max_processes=40, cpu_seconds=60, file_bytes=64 << 20)


@pytest.fixture
def delegated(tmp_path):
    """A delegated v2 subtree as systemd hands it to a user: controllers offered, none enabled yet."""
    root = tmp_path / "cgroup"
    parent = root / "user.slice" / "user-1000.slice" / "grader.scope"
    parent.mkdir(parents=True)
    (root / "cgroup.controllers").write_text("cpuset cpu io memory hugetlb pids rdma misc\n")
    (parent / "cgroup.controllers").write_text("cpu memory pids\n")
    (parent / "cgroup.subtree_control").write_text("")
    return root, parent


def test_limits_are_written_to_a_child_of_the_delegated_cgroup(delegated):
    _, parent = delegated
    limits = CgroupV2(SPEC, parent)
    path = limits.path
    assert path.parent == parent and path.name.startswith("nn-grader-")
    assert (parent / "cgroup.subtree_control").read_text() == "+memory +pids +cpu"
    assert (path / "memory.max").read_text() == str(400 << 20)
    assert (path / "memory.swap.max").read_text() == "0"
    assert (path / "pids.max").read_text() == "40"
    assert (path / "cpu.max").read_text() == "100000 100000"   # one core
    assert limits.enforced == {"memory": "cgroup v2", "processes": "cgroup v2", "cpu": "cgroup v2, rlimits"}
    assert limits.locations == [str(path)]


def test_controllers_already_enabled_are_left_alone(delegated):
    _, parent = delegated
    (parent / "cgroup.subtree_control").write_text("memory pids cpu\n")
    CgroupV2(SPEC, parent)
    assert (parent / "cgroup.subtree_control").read_text() == "memory pids cpu\n"


def test_without_a_cpu_controller_cpu_time_is_still_capped_per_process(delegated):
    _, parent = delegated
    (parent / "cgroup.controllers").write_text("memory pids\n")
    limits = CgroupV2(SPEC, parent)
    assert not (limits.path / "cpu.max").exists()
    assert limits.enforced["cpu"] == "rlimits"


@pytest.mark.parametrize("controllers, missing", [("cpu memory", "pids"), ("cpu pids", "memory")])
def test_a_subtree_without_memory_or_pids_is_refused_with_the_reason(delegated, controllers, missing):
    _, parent = delegated
    (parent / "cgroup.controllers").write_text(controllers)
    with pytest.raises(LimitsUnavailable, match=f"lacks the {missing} controller"):
        CgroupV2(SPEC, parent)


def test_a_subtree_that_is_not_writable_is_refused_and_rlimits_take_over(delegated):
    if os.getuid() == 0:
        pytest.skip("root writes to read-only folders: this needs an ordinary user (tests/test_unprivileged.py "
                    "runs the sandbox tests as one)")
    _, parent = delegated
    parent.chmod(0o555)
    with pytest.raises(LimitsUnavailable, match="not writable"):
        CgroupV2(SPEC, parent)


def test_oom_kills_are_read_from_memory_events(delegated):
    _, parent = delegated
    limits = CgroupV2(SPEC, parent)
    assert not limits.oom_killed()   # no memory.events yet: nothing happened
    (limits.path / "memory.events").write_text("low 0\nhigh 0\nmax 12\noom 0\noom_kill 0\noom_group_kill 0\n")
    assert not limits.oom_killed()   # the cap was reached (max), but reclaim sufficed: no kill
    (limits.path / "memory.events").write_text("low 0\nhigh 0\nmax 31\noom 2\noom_kill 1\noom_group_kill 0\n")
    assert limits.oom_killed()
    assert oom_events(limits.path / "memory.events") == {"low": 0, "high": 0, "max": 31, "oom": 2, "oom_kill": 1,
                                                         "oom_group_kill": 0}


def test_entering_writes_the_process_into_cgroup_procs(delegated):
    _, parent = delegated
    limits = CgroupV2(SPEC, parent)
    # In a child, as the sandbox does between fork and exec.
    child = subprocess.run([sys.executable, "-c", "import resource; print(resource.getrlimit(resource.RLIMIT_FSIZE))"],
                           preexec_fn=limits.enter, capture_output=True, text=True, check=True)
    assert child.stdout.strip() == f"({64 << 20}, {64 << 20})"
    assert (limits.path / "cgroup.procs").read_text().strip().isdigit()


def test_closing_kills_what_is_left_and_uses_cgroup_kill(delegated):
    _, parent = delegated
    limits = CgroupV2(SPEC, parent)
    straggler = subprocess.Popen(["sleep", "60"])
    (limits.path / "cgroup.procs").write_text(f"{straggler.pid}\n")
    limits.close()
    assert straggler.wait(timeout=10) == -9
    assert (limits.path / "cgroup.kill").read_text() == "1"


def test_own_cgroup_is_read_from_proc_self_cgroup(delegated, tmp_path):
    root, parent = delegated
    proc = tmp_path / "proc-self-cgroup"
    proc.write_text("0::/user.slice/user-1000.slice/grader.scope\n")
    assert own_cgroup(root, proc) == parent
    proc.write_text("12:pids:/\n4:memory:/x\n0::/\n")
    assert own_cgroup(root, proc) == root
    assert own_cgroup(tmp_path / "v1-only", proc) is None   # no cgroup.controllers: not a v2 mount


def test_on_this_v1_host_the_real_v2_backend_says_why_it_cannot_be_used():
    if (own_cgroup() is not None):
        pytest.skip("this host mounts cgroup v2")
    with pytest.raises(LimitsUnavailable, match="no cgroup v2 hierarchy"):
        CgroupV2(SPEC)
    assert open_limits(SPEC, ["cgroup v2", "rlimits"]).backend == "rlimits"
