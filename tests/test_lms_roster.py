"""The course's own settings for nbgrader's commands, the roster, and when a rerun regrades.

On main at 02528f0: nbgrader's commands run from the course folder found no
course config, formgrader's roster was "None, None", a misspelt assignment
gave a FileNotFoundError traceback, and a rerun regraded nothing unless the
submitted files changed.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
from grading_helpers import ASSIGNMENT, NOTEBOOK, make_course

from autograder.grading.batch import RESUME_PARTS, _grade_inputs, _why_regrade
from autograder.grading.gradebook_db import add_students, check_gradebook
from autograder.grading.late import late_rules
from autograder.settings import SOURCE_DIR
from conftest import REPO_ROOT

BIN = Path(sys.executable).parent


def test_nbgrader_run_from_the_course_folder_reads_the_course_config_and_roster(tmp_path):
    root = make_course(tmp_path / "course")
    shutil.copy(REPO_ROOT / "nbgrader_config.py", root)
    url = f"sqlite:///{root / 'gradebook.db'}"
    check_gradebook(url)
    add_students(url, {"1005": {"first_name": None, "last_name": "李明", "lms_user_id": "1005"},
                       "jmueller": {"first_name": "Jörg", "last_name": "Müller", "lms_user_id": "jmueller"}})
    # A roster imported first is never overwritten by the LMS's shorter name.
    add_students(url, {"jmueller": {"first_name": None, "last_name": "müllerjörg", "lms_user_id": "x"}})
    listed = subprocess.run([str(BIN / "nbgrader"), "db", "student", "list"], cwd=root, capture_output=True,
                            text=True, timeout=300)
    assert listed.returncode == 0, listed.stderr[-2000:]
    assert "jmueller (Müller, Jörg)" in listed.stdout and "1005 (李明, None)" in listed.stdout, listed.stdout
    assert "müllerjörg" not in listed.stdout
    assigned = subprocess.run([str(BIN / "nbgrader"), "db", "assignment", "list"], cwd=root, capture_output=True,
                              text=True, timeout=300)
    assert ASSIGNMENT in assigned.stdout, "the course's gradebook, not a new one in the folder nbgrader ran from"


def test_a_misspelt_assignment_is_an_error_listing_the_assignments(tmp_path):
    root = make_course(tmp_path / "course")
    for name, where in (("01_softmax_regresion", root), (ASSIGNMENT, tmp_path / "empty")):
        where.mkdir(exist_ok=True)
        done = subprocess.run([sys.executable, "-m", "autograder", "grade", name, "--root", str(where)],
                              capture_output=True, text=True, timeout=300)
        assert done.returncode != 0 and "Traceback" not in done.stderr, done.stderr[-2000:]
        assert f"there is no assignment {name!r}" in done.stderr
    assert "the course has 01_softmax_regression" in subprocess.run(
        [sys.executable, "-m", "autograder", "grade", "01_softmax_regresion", "--root", str(root)],
        capture_output=True, text=True, timeout=300).stderr


def _key(root, overrides=None, url=None):
    url = url or f"sqlite:///{root / 'gradebook.db'}"
    return {**_grade_inputs(root, ASSIGNMENT, "trusted", overrides or {}, url, late_rules(root, ASSIGNMENT)),
            "files": "f"}


def _why(root, recorded, now, in_gradebook=True):
    marker = root / "marker"
    marker.write_text(json.dumps(recorded))
    return _why_regrade(marker, now, in_gradebook)


def test_a_rerun_regrades_when_anything_that_made_the_grade_changed(tmp_path):
    root = make_course(tmp_path / "course")
    before = _key(root)
    assert _why(root, before, _key(root)) == []
    source = root / SOURCE_DIR / ASSIGNMENT / NOTEBOOK
    nb = nbformat.read(source, as_version=4)
    hidden = next(c for c in nb.cells if "### BEGIN HIDDEN TESTS" in c.source)
    hidden.source = hidden.source.replace("### BEGIN HIDDEN TESTS", "### BEGIN HIDDEN TESTS\n# fixed", 1)
    nbformat.write(nb, source)
    assert _why(root, before, _key(root)) == [RESUME_PARTS["tests"]]
    assert RESUME_PARTS["limits"] in _why(root, before, _key(root, {"TrustedExecute": {"memory_mb": 512}}))
    assert RESUME_PARTS["gradebook"] in _why(root, before, _key(root, url="postgresql://h/other"))
    assert _why(root, _key(root), _key(root), in_gradebook=False) == ["not in the gradebook"]
    (root / "nbgrader_config.py").write_text(
        f'c = get_config()\nc.LateRules.duedates = {{"{ASSIGNMENT}": "2026-03-02 17:00:00 UTC"}}\n')
    assert _why(root, before, _key(root)) == [RESUME_PARTS["tests"], RESUME_PARTS["late"]]
    assert _why_regrade(root / "no-marker", _key(root), True) == ["never graded"]
    # A marker of the old kind (a bare digest of the files) is stale as a whole.
    (root / "old").write_text("0" * 64)
    assert RESUME_PARTS["tests"] in _why_regrade(root / "old", _key(root), True)
