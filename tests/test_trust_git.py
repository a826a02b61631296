"""Secrets and grades never reach git.

An instructor grades at the repository root, the default course folder. A
fresh clone grades a small class there with the ``grade`` command, the way
the README says; afterwards ``git status`` must show nothing: the seed, the
gradebook, the grades CSV, the reports, feedback and every other file the
grading wrote are git-ignored. The seed is readable by its owner only.
"""

import os
import shutil
import stat
import subprocess
import sys

import pytest
from conftest import REPO_ROOT
from grading_helpers import ASSIGNMENT, NO_SANDBOX_FLAG, NOTEBOOK

pytestmark = pytest.mark.slow


def _git(*args, cwd):
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def graded_clone(tmp_path_factory):
    if shutil.which("git") is None or not (REPO_ROOT / ".git").exists():
        pytest.skip("needs git and a git checkout of the course")
    clone = tmp_path_factory.mktemp("clone") / "course"
    _git("clone", "--quiet", str(REPO_ROOT), str(clone), cwd=REPO_ROOT)
    # Two submissions where the instructor's own nbgrader layout puts them: the
    # blank release, and one with an edited written answer.
    for student in ("ada", "bob"):
        folder = clone / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        shutil.copy(clone / "notebooks" / ASSIGNMENT / NOTEBOOK, folder / NOTEBOOK)
    # The clone's own code, with this environment's packages: PYTHONPATH comes
    # before the .pth file that points the venv at this work tree.
    env = dict(os.environ, PYTHONPATH=str(clone))
    env.pop("NN_GRADING_SEED", None)   # the course's own secret seed, as in real grading
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", ASSIGNMENT, "--workers", "1",
                           *NO_SANDBOX_FLAG], cwd=clone, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return clone, done.stdout


def test_grading_at_the_root_of_a_clone_leaves_git_clean(graded_clone):
    clone, printed = graded_clone
    # The grading really happened there, and wrote what the README promises.
    assert "ada" in printed and "bob" in printed, printed
    for path in (f"grades-{ASSIGNMENT}.csv", f"reports/{ASSIGNMENT}/ada.json", "gradebook.db", ".grading-seed",
                 f"feedback/bob/{ASSIGNMENT}/{NOTEBOOK.replace('.ipynb', '.html')}", f"autograded/ada/{ASSIGNMENT}"):
        assert (clone / path).exists(), path
    status = _git("status", "--porcelain", "--untracked-files=all", cwd=clone)
    assert status == "", f"grading left files that git would commit:\n{status}"


def test_the_seed_is_readable_by_its_owner_only(graded_clone):
    clone, _ = graded_clone
    mode = stat.S_IMODE((clone / ".grading-seed").stat().st_mode)
    assert mode == 0o600, oct(mode)


def test_a_seed_readable_by_others_is_made_private(tmp_path):
    from autograder.sandbox.trusted import course_seed

    (tmp_path / ".grading-seed").write_text("12345")
    (tmp_path / ".grading-seed").chmod(0o644)
    assert course_seed(tmp_path) == 12345
    assert stat.S_IMODE((tmp_path / ".grading-seed").stat().st_mode) == 0o600
