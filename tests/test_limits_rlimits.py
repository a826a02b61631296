"""The rlimits backend: what caps a sandbox for an ordinary user without a delegated cgroup.

These run real processes under the limits (no sandbox needed): a memory
bomb gets a MemoryError, a file past the cap "File too large", and the limits
are inherited by everything the process starts.
"""

import os
import resource
import subprocess
import sys

import pytest
from grading_helpers import fork_bomb

from autograder.sandbox.limits import LimitSpec
from autograder.sandbox.limits.rlimits import Rlimits, processes_of

FORK_BOMB = fork_bomb(child_seconds=5)
SPEC = LimitSpec(memory_bytes=300 << 20, max_processes=20, cpu_seconds=2, file_bytes=8 << 20)


def _run(code, limits=None, timeout=60):
    return subprocess.run([sys.executable, "-c", code], preexec_fn=(limits or Rlimits(SPEC)).enter,
                          capture_output=True, text=True, timeout=timeout)


def test_the_limits_are_set_and_inherited_by_children():
    code = ("import resource, subprocess, sys\n"
            "names = ['RLIMIT_DATA', 'RLIMIT_AS', 'RLIMIT_NPROC', 'RLIMIT_CPU', 'RLIMIT_FSIZE']\n"
            "print(subprocess.run([sys.executable, '-c', 'import resource; print([resource.getrlimit(getattr("
            "resource, n))[0] for n in %r])' % names], capture_output=True, text=True).stdout)")
    limits = Rlimits(SPEC)
    out = _run(code, limits)
    assert out.returncode == 0, out.stderr
    data, address, nproc, cpu, fsize = eval(out.stdout)
    assert (data, address, cpu, fsize) == (300 << 20, 600 << 20, 2, 8 << 20)
    assert nproc == limits.nproc >= SPEC.max_processes


def test_a_memory_bomb_gets_a_memory_error():
    out = _run("import numpy as np\ntry:\n    hog = [np.ones(10_000_000) for _ in range(100)]\n"
               "except MemoryError:\n    print('MemoryError')")
    assert out.stdout.strip() == "MemoryError", out.stderr


def test_a_file_past_the_cap_fails_and_does_not_kill():
    out = _run("import signal\nsignal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
               "try:\n    open('/dev/shm/nn-rlimit-test', 'wb').write(b'x' * (9 << 20))\n"
               "except OSError as err:\n    print(err.strerror)\n"
               "finally:\n    import os; os.remove('/dev/shm/nn-rlimit-test')")
    assert out.stdout.strip() == "File too large", out.stderr


def test_an_infinite_loop_is_stopped_by_its_cpu_time():
    out = _run("while True:\n    pass", timeout=30)
    assert out.returncode == -24   # SIGXCPU at the soft limit of 2 s


def test_processes_are_capped_per_user_above_what_the_user_already_runs():
    if os.getuid() == 0:
        pytest.skip("root ignores RLIMIT_NPROC: tests/test_unprivileged.py runs this as an ordinary user")
    limits = Rlimits(SPEC)
    assert limits.nproc >= processes_of(os.getuid()) + SPEC.max_processes - 5   # others may have ended since
    out = _run(FORK_BOMB, limits)
    forked = int(out.stdout)
    assert 0 < forked <= limits.nproc, out.stderr
    assert limits.enforced["processes"] == "rlimits (per user)"


def test_the_record_says_what_rlimits_cannot_do():
    enforced = Rlimits(SPEC).enforced
    assert enforced["memory"] == "rlimits (per process)"
    assert enforced["cpu"] == "rlimits"
    assert enforced["processes"] == ("none (root ignores RLIMIT_NPROC)" if os.getuid() == 0 else "rlimits (per user)")


def test_the_grader_keeps_its_own_limits():
    before = [resource.getrlimit(r) for r in (resource.RLIMIT_DATA, resource.RLIMIT_NPROC, resource.RLIMIT_FSIZE)]
    assert _run("pass").returncode == 0
    assert [resource.getrlimit(r) for r in (resource.RLIMIT_DATA, resource.RLIMIT_NPROC,
                                            resource.RLIMIT_FSIZE)] == before
