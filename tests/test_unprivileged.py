"""The sandbox and limit tests, run as an ordinary user: limits must hold without root.

As root this host creates cgroup v1 groups; an ordinary user cannot, so the
sandbox falls back to rlimits. This test switches to ``nobody`` (with
``runuser``) and runs the sandbox's and the limits' test files there: the
memory bomb, fork bomb, infinite loop, output flood and disk bomb must each
be contained, and the record must say rlimits did it.
"""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from conftest import REPO_ROOT

pytestmark = pytest.mark.slow

USER = "nobody"
TEST_FILES = ["tests/test_sandbox.py", "tests/test_limits_rlimits.py", "tests/test_limits_cgroup_v1.py",
              "tests/test_limits_cgroup_v2.py", "tests/test_sandbox_environment.py"]


@pytest.fixture
def scratch():
    """A folder the ordinary user owns, for its temporary files, HOME and pytest's folders."""
    if os.getuid() != 0:
        pytest.skip("switching to an ordinary user needs root; as one already, run the test files directly: "
                    + " ".join(TEST_FILES))
    folder = Path(tempfile.mkdtemp(prefix="nn-unprivileged-"))
    folder.chmod(0o755)
    shutil.chown(folder, USER)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _as_user(command, scratch, timeout):
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": str(scratch), "LANG": "C.UTF-8",
           "TMPDIR": str(scratch), "MPLCONFIGDIR": str(scratch / "mpl"), "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(["runuser", "-u", USER, "--", "env", "-i", *(f"{k}={v}" for k, v in env.items()),
                           *command], cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout)


def test_the_sandbox_tests_pass_as_an_ordinary_user(scratch):
    if not shutil.which("runuser"):
        pytest.skip("runuser (util-linux) is not installed")
    from autograder.sandbox.kernel import bwrap_problem

    if bwrap_problem():
        pytest.skip(f"the sandbox tests need bubblewrap: {bwrap_problem()}")
    probe = _as_user([sys.executable, "-c", "import autograder.sandbox.kernel"], scratch, 60)
    if probe.returncode != 0:
        pytest.skip(f"{USER} cannot run {sys.executable} or read the repository: build the virtualenv from a "
                    f"Python every user can read (make PYTHON=/usr/bin/python3): {probe.stderr.strip()[-300:]}")
    # One course folder inside the repository cannot be made by an ordinary user: deselected.
    run = _as_user([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
                    "--basetemp", str(scratch / "pytest"), "-k", "not inside", *TEST_FILES], scratch, 1200)
    print(run.stdout[-3000:])
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "bubblewrap" not in run.stdout, "the sandbox tests skipped: they must run as an ordinary user"
    # What only an ordinary user can check ran, rather than skipped.
    for name in ("test_processes_are_capped_per_user_above_what_the_user_already_runs",
                 "test_an_ordinary_user_gets_a_reason_not_a_crash",
                 "test_a_subtree_that_is_not_writable_is_refused_and_rlimits_take_over"):
        assert name not in run.stdout, f"{name} skipped as {USER}"
