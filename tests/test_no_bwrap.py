"""Without bubblewrap: the tests that need it skip and say so, grading a class is opt-in, check notes it.

bwrap is hidden for one command at a time by binding /dev/null over it in a
private mount namespace (``unshare -m``, root only); the rest of the machine
keeps it. On a machine without bwrap the commands run as they are.
"""

import csv
import os
import shutil
import subprocess
import sys

import pytest
from conftest import REPO_ROOT
from grading_helpers import ASSIGNMENT, NOTEBOOK, make_course, submit_example

from autograder.coursedir.release import points

pytestmark = pytest.mark.slow


def _without_bwrap(command, timeout=900, cwd=REPO_ROOT):
    bwrap = shutil.which("bwrap")
    if bwrap:
        if os.getuid() != 0 or not shutil.which("unshare"):
            pytest.skip("hiding bwrap needs root and unshare (util-linux): a private mount namespace")
        bwrap = os.path.realpath(bwrap)
        command = ["unshare", "-m", "sh", "-c", f'mount --bind /dev/null {bwrap} && exec "$@"', "sh", *command]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=cwd)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = make_course(tmp_path_factory.mktemp("no-bwrap") / "course")
    submit_example(root, "reference")
    return root


def test_the_sandbox_tests_skip_and_name_what_is_missing():
    run = _without_bwrap([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
                          "tests/test_runner.py", "tests/test_sandbox.py", "tests/test_sandbox_environment.py"])
    print(run.stdout[-3000:])
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "bubblewrap (bwrap) is not installed" in run.stdout
    assert " passed" in run.stdout   # what does not need the sandbox still runs


def test_grade_refuses_and_says_how_to_install_bubblewrap(course):
    before = (course / "gradebook.db").read_bytes()
    run = _without_bwrap([sys.executable, "-m", "autograder", "grade", ASSIGNMENT, "--root", str(course),
                          "--workers", "1"])
    assert run.returncode != 0
    assert "apt-get install bubblewrap" in run.stderr and "--no-sandbox" in run.stderr, run.stderr
    assert (course / "gradebook.db").read_bytes() == before
    assert not (course / "autograded").exists()


def test_grade_with_no_sandbox_records_unsandboxed_on_every_row(course):
    run = _without_bwrap([sys.executable, "-m", "autograder", "grade", ASSIGNMENT, "--root", str(course),
                          "--workers", "1", "--no-sandbox"])
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "grading without a sandbox" in run.stderr
    with open(course / f"grades-{ASSIGNMENT}.csv") as f:
        rows = list(csv.DictReader(f))
    assert [row["student"] for row in rows] == ["reference"]
    assert rows[0]["sandbox"] == "unsandboxed" and "unsandboxed" in rows[0]["flags"]
    assert float(rows[0]["score"]) == points(ASSIGNMENT).autograded and "network=none" in rows[0]["limits"]


def test_check_runs_unsandboxed_with_a_one_line_note(course):
    notebook = course / "submitted" / "reference" / ASSIGNMENT / NOTEBOOK
    run = _without_bwrap([sys.executable, "-m", "autograder", "check", str(notebook)])
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    notes = [line for line in run.stdout.splitlines() if "bubblewrap" in line]
    assert notes == ["note: bubblewrap is not installed, so your notebook runs without a sandbox "
                     "(fine for your own code)"]
    total = points(ASSIGNMENT).autograded   # read from source/, never written here
    assert f"visible and hidden tests: {total:g}/{total:g} points" in run.stdout
