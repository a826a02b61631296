"""The command-line entry points: self-check for learners, class grading for instructors."""

import csv
import shutil
import subprocess
import sys

import nbformat
import pytest
from conftest import REPO_ROOT
from grading_helpers import NO_SANDBOX_FLAG

from autograder.coursedir.release import points
from autograder.settings import RELEASE_DIR, SOURCE_DIR
from examples.example_class import build_submission, load_examples

ASSIGNMENT = "01_softmax_regression"
RELEASED = REPO_ROOT / RELEASE_DIR / ASSIGNMENT / "softmax_regression.ipynb"


def run(*args, cwd=REPO_ROOT):
    return subprocess.run([sys.executable, "-m", "autograder", *map(str, args)],
                          cwd=cwd, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_check_grades_the_blank_release_and_hides_the_tests(tmp_path):
    copy = tmp_path / RELEASED.name  # a learner's copy, anywhere on disk
    shutil.copy(RELEASED, copy)
    done = run("check", copy)
    assert done.returncode == 1, done.stderr
    out = done.stdout
    assert "FAILED     0/10  test_np_linear" in out
    assert "np_linear is not implemented yet" in out
    total = points(ASSIGNMENT)   # read from source/, never written here
    assert (f"visible and hidden tests: 0/{total.autograded:g} points; written answers ({total.written:g} points) "
            "are graded by a person") in out
    for secret in ("BEGIN HIDDEN TESTS", "reference_softmax", "Traceback"):
        assert secret not in out


@pytest.mark.parametrize("content, message", [
    ("{not json", "is not a valid notebook"),
    ("", "is not a valid notebook"),
    ('{"cells": "oops"}', "is not a valid notebook"),
])
def test_check_explains_a_broken_file(tmp_path, content, message):
    path = tmp_path / RELEASED.name
    path.write_text(content)
    done = run("check", path)
    assert done.returncode != 0 and message in done.stderr
    assert "Traceback" not in done.stderr


def test_check_names_the_course_notebooks_for_a_stranger(tmp_path):
    path = tmp_path / "my_homework.ipynb"
    nbformat.write(nbformat.v4.new_notebook(), path)
    done = run("check", path)
    assert done.returncode != 0
    assert "is not a notebook of this course" in done.stderr and "01_softmax_regression/softmax_regression.ipynb" in done.stderr


def test_check_reports_a_missing_file(tmp_path):
    done = run("check", tmp_path / "nope.ipynb")
    assert done.returncode != 0 and "does not exist" in done.stderr


@pytest.mark.slow
def test_grade_goes_on_after_a_broken_submission_and_says_why(tmp_path):
    root = tmp_path / "course"
    shutil.copytree(REPO_ROOT / SOURCE_DIR / ASSIGNMENT, root / SOURCE_DIR / ASSIGNMENT)
    shutil.copytree(REPO_ROOT / RELEASE_DIR / ASSIGNMENT, root / RELEASE_DIR / ASSIGNMENT)
    reference = next(ex for ex in load_examples(ASSIGNMENT) if ex.student == "reference")
    build_submission(reference, root)
    broken = root / "submitted" / "broken" / ASSIGNMENT
    broken.mkdir(parents=True)
    (broken / RELEASED.name).write_text("{not json")
    done = run("grade", ASSIGNMENT, "--root", root, *NO_SANDBOX_FLAG)
    assert done.returncode == 0, done.stderr
    assert "broken" in done.stdout and "NOT GRADED" in done.stdout
    with open(root / f"grades-{ASSIGNMENT}.csv") as f:
        rows = {row["student"]: row for row in csv.DictReader(f)}
    assert rows["reference"]["status"] == "graded"
    assert rows["reference"]["score"] == "90"          # written answers wait for formgrader
    assert rows["reference"]["pending_manual"] == "written_batch_softmax written_dlogits written_max_shift"
    assert rows["broken"]["status"].startswith("not graded: ") and rows["broken"]["score"] == ""
    assert list((root / "feedback" / "reference" / ASSIGNMENT).glob("*.html"))


def _scratch_course(tmp_path):
    root = tmp_path / "course"
    for folder in (SOURCE_DIR, RELEASE_DIR):
        shutil.copytree(REPO_ROOT / folder / ASSIGNMENT, root / folder / ASSIGNMENT)
    return root


def test_example_edits_patch_the_reference_solution(tmp_path):
    root = _scratch_course(tmp_path)
    example = next(ex for ex in load_examples(ASSIGNMENT) if ex.student == "bug_grad_sum")
    build_submission(example, root)
    nb = nbformat.read(root / "submitted" / "bug_grad_sum" / ASSIGNMENT / RELEASED.name, as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "np_cross_entropy_grad")
    assert "return delta.T @ x\n" in cell.source + "\n" and "/ B" not in cell.source.split("return")[-1]
    assert "### BEGIN SOLUTION" not in cell.source


def test_example_edit_that_does_not_match_is_an_error(tmp_path):
    root = _scratch_course(tmp_path)
    example = next(ex for ex in load_examples(ASSIGNMENT) if ex.student == "bug_grad_sum")
    example.edits = {"np_cross_entropy_grad": [("no such text", "x")]}
    with pytest.raises(ValueError, match="occurs 0 times"):
        build_submission(example, root)
    example.edits = {"no_such_cell": [("a", "b")]}
    with pytest.raises(ValueError, match="no solution cell named"):
        build_submission(example, root)


@pytest.mark.parametrize("command", ["export", "report", "feedback"])
def test_the_gradebook_commands_explain_a_wrong_assignment_or_an_empty_gradebook(tmp_path, command):
    root = tmp_path / "course"
    shutil.copytree(REPO_ROOT / SOURCE_DIR / ASSIGNMENT, root / SOURCE_DIR / ASSIGNMENT)
    done = run(command, "01_softmax_regresion", "--root", root)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert "no assignment '01_softmax_regresion'" in done.stderr and ASSIGNMENT in done.stderr
    done = run(command, ASSIGNMENT, "--root", root)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert f"the gradebook has no submissions of {ASSIGNMENT}: grade them first" in done.stderr
