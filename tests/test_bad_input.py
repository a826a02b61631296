"""Mangled submissions: each gets a clear status or is repaired; the class is always graded.

Also: grading is resumable (a batch killed midway and rerun ends with the same
gradebook) and never overwrites a manual grade.
"""

import csv
import json
import os
import signal
import subprocess
import sys
import time
import zipfile

import nbformat
import pytest
from grading_helpers import ASSIGNMENT, NO_SANDBOX_FLAG, NOTEBOOK, SANDBOX, make_course

from autograder.coursedir.release import points
from autograder.grading.batch import grade_class
from autograder.grading.options import GradingOptions
from autograder.grading.results import results, set_manual_grades
from examples.example_class import build_submission, load_examples

pytestmark = pytest.mark.slow


def _reference_nb(tmp_path):
    scratch = make_course(tmp_path / "scratch")
    build_submission(next(ex for ex in load_examples(ASSIGNMENT) if ex.student == "reference"), scratch)
    return nbformat.read(scratch / "submitted" / "reference" / ASSIGNMENT / NOTEBOOK, as_version=4)


def _copy(node):
    return nbformat.from_dict(json.loads(json.dumps(node)))


def _cell(nb, grade_id):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


@pytest.fixture(scope="module")
def mangled_class(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bad")
    reference = _reference_nb(tmp)
    incoming = tmp / "lms-download"          # a folder per student, as an LMS gives it
    incoming.mkdir()

    def put(student, name, content):
        folder = incoming / student
        folder.mkdir(exist_ok=True)
        path = folder / name
        if isinstance(content, str):
            path.write_text(content)
        else:
            nbformat.write(content, path)

    put("good", NOTEBOOK, reference)
    put("empty", NOTEBOOK, "")
    put("invalid_json", NOTEBOOK, "{not json")
    put("not_a_notebook", NOTEBOOK, json.dumps({"hello": "world"}))
    put("old_format", NOTEBOOK, nbformat.writes(nbformat.convert(_copy(reference), 3), version=3))
    deleted = _copy(reference)
    deleted.cells = [c for c in deleted.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "test_training"]
    put("deleted_test", NOTEBOOK, deleted)
    duplicated = _copy(reference)
    duplicated.cells.insert(5, _copy(_cell(duplicated, "test_np_linear")))
    put("duplicated_test", NOTEBOOK, duplicated)
    retyped = _copy(reference)
    index = retyped.cells.index(_cell(retyped, "np_linear"))
    retyped.cells[index] = nbformat.v4.new_markdown_cell(retyped.cells[index].source,
                                                         metadata=retyped.cells[index].metadata)
    put("retyped_cell", NOTEBOOK, retyped)
    edited = _copy(reference)
    _cell(edited, "test_np_linear").metadata.nbgrader.points = 1000
    put("edited_points", NOTEBOOK, edited)
    put("renamed", "my homework.ipynb", reference)
    put("missing", "README.txt", "I forgot to attach it")
    put("stray_files", NOTEBOOK, reference)
    put("stray_files", "notes.csv", "a,b\n1,2\n")
    # A forged grading report: the grader's own files are never taken from a submission.
    put("stray_files", "extra.grading.json", json.dumps({"flags": ["forged flag"], "tests": []}))
    with zipfile.ZipFile(tmp / "download.zip", "w") as zf:       # and the whole thing as a zip
        for path in incoming.rglob("*"):
            zf.write(path, path.relative_to(incoming))
        zf.writestr("zipped_1234_5678_softmax_regression.ipynb", nbformat.writes(reference))
    root = make_course(tmp / "course")
    report = grade_class(root, ASSIGNMENT, tmp / "download.zip",
                         GradingOptions(workers=2, progress=False, sandbox=SANDBOX))
    with open(report.csv_path) as f:
        rows = {row["student"]: row for row in csv.DictReader(f)}
    return report, rows


@pytest.mark.parametrize("student, reason", [
    ("empty", "is empty"),
    ("invalid_json", "is not a notebook"),
    ("not_a_notebook", "is JSON but not a notebook"),
    ("missing", f"no {NOTEBOOK} in the submission"),
])
def test_unusable_files_get_a_clear_status(mangled_class, student, reason):
    _, rows = mangled_class
    assert rows[student]["status"].startswith("not graded: ") and reason in rows[student]["status"]


@pytest.mark.parametrize("student, note", [
    ("good", None),
    ("1234", None),   # Canvas: the user id, not the name
    ("old_format", "converted"),
    ("deleted_test", "deleted cell test_training was put back"),
    ("duplicated_test", "1 copies of cell test_np_linear were made ordinary cells"),
    ("retyped_cell", "restored as code"),
    ("edited_points", None),
    ("renamed", "renamed my homework.ipynb"),
    ("stray_files", "not notebooks were ignored"),
])
def test_repairable_submissions_are_graded_in_full(mangled_class, student, note):
    _, rows = mangled_class
    row = rows[student]
    assert row["status"] == "graded"
    total = points(ASSIGNMENT)      # read from source/: written answers wait for a person
    assert (float(row["score"]), float(row["max_score"])) == (total.autograded, total.total), row
    if note:
        assert note in row["flags"], row["flags"]


def test_the_whole_class_was_seen(mangled_class):
    report, rows = mangled_class
    assert len(rows) == 13


def test_grading_reports_come_from_the_grader_and_stay_with_it(mangled_class):
    report, rows = mangled_class
    assert "forged flag" not in rows["stray_files"]["flags"]
    feedback = report.csv_path.parent / "feedback"
    assert len(list(feedback.glob(f"*/{ASSIGNMENT}/*.html"))) == 9
    assert not list(feedback.rglob("*.grading.json")), "feedback would show students the instructor's flags"


def _scores(root):
    return {(r.student, t.grade_id): (t.points, t.needs_manual_grade)
            for r in results(root, ASSIGNMENT) for t in r.tests}


@pytest.fixture(scope="module")
def small_class(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("resume")
    examples = {ex.student: ex for ex in load_examples(ASSIGNMENT)}
    names = ["reference", "bug_batch_softmax", "bug_grad_sign", "blank"]
    roots = []
    for run in ("uninterrupted", "interrupted"):
        root = make_course(tmp / run)
        for name in names:
            build_submission(examples[name], root)
        roots.append(root)
    return roots


def test_a_killed_batch_rerun_ends_with_the_same_gradebook(small_class):
    uninterrupted, interrupted = small_class
    grade_class(uninterrupted, ASSIGNMENT, options=GradingOptions(workers=1, progress=False, sandbox=SANDBOX))
    process = subprocess.Popen([sys.executable, "-m", "autograder", "grade", ASSIGNMENT, "--root", str(interrupted),
                                "--workers", "1", *NO_SANDBOX_FLAG], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 300
    while not list(interrupted.glob("autograded/*/*/.graded-from")) and time.monotonic() < deadline:
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)    # midway: one submission done, one probably half-graded
    process.wait()
    assert 1 <= len(list(interrupted.glob("autograded/*/*/.graded-from"))) < 4
    report = grade_class(interrupted, ASSIGNMENT, options=GradingOptions(workers=1, progress=False, sandbox=SANDBOX))
    assert report.skipped, "the rerun should not regrade what was finished"
    assert _scores(interrupted) == _scores(uninterrupted)


def test_manual_grades_survive_regrading(small_class):
    root = small_class[0]
    # A no-op if the test above graded it.
    grade_class(root, ASSIGNMENT, options=GradingOptions(workers=2, progress=False, sandbox=SANDBOX))
    set_manual_grades(root, ASSIGNMENT, "reference", {"written_batch_softmax": 4})
    grade_class(root, ASSIGNMENT, options=GradingOptions(workers=2, force=True, progress=False, sandbox=SANDBOX))
    result = {r.student: r for r in results(root, ASSIGNMENT)}["reference"]
    written = next(t for t in result.tests if t.grade_id == "written_batch_softmax")
    assert written.points == 4
    # The files did not change, so the hand grade given still holds: not "needs manual grading" again.
    assert not written.needs_manual_grade
    others = [t for t in result.tests if t.manual and t.grade_id != "written_batch_softmax"]
    assert others and all(t.needs_manual_grade for t in others), "answers nobody graded still wait for a person"
