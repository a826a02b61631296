"""Collecting a class: which files are whose, for which assignment."""

import shutil

import nbformat
from conftest import REPO_ROOT

from autograder.coursedir.release import release
from autograder.grading.collect import collect
from autograder.settings import RELEASE_DIR, SOURCE_DIR

FIRST, SECOND = "01_softmax_regression", "02_gradient_checking"


def _release_copy(assignment):
    return next((REPO_ROOT / RELEASE_DIR / assignment).glob("*.ipynb"))


def test_a_course_submitted_folder_gives_each_assignment_only_its_own_notebooks(tmp_path):
    # nbgrader's submitted/ holds every assignment of every student: grading the
    # second must not take a student's first-assignment notebook for it.
    course = tmp_path / "course"
    for assignment in (FIRST, SECOND):
        shutil.copytree(REPO_ROOT / SOURCE_DIR / assignment, course / SOURCE_DIR / assignment)
    release(course, [FIRST, SECOND])
    incoming = tmp_path / "incoming"
    for student, assignments in {"both": (FIRST, SECOND), "first_only": (FIRST,)}.items():
        for assignment in assignments:
            folder = incoming / student / assignment
            folder.mkdir(parents=True)
            shutil.copy(_release_copy(assignment), folder)

    collected = {c.student: c for c in collect(incoming, course, SECOND)}

    assert set(collected) == {"both"}, "a student with no folder for this assignment handed nothing in"
    both = collected["both"]
    assert not both.error and not both.notes, (both.error, both.notes)
    expected = nbformat.read(_release_copy(SECOND), as_version=4)
    assert [c.source for c in both.notebooks[_release_copy(SECOND).name].cells] == [c.source for c in expected.cells]
