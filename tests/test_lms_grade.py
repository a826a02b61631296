"""Issue 22's class, rebuilt from Canvas's and Moodle's download layouts and graded by `grade`.

Twelve Canvas students: two "John Smith"s, a resubmission whose older file
is blank (and comes second in the zip), a late file, a late file within an
extension, a truncated and an empty file, ``李明``, ``王芳``, ``Jörg Müller``
and ``Jörg Möller``. Then a second late batch of one student, and a rerun
after a hidden test changes. On main at 02528f0: the John Smiths were one
row, the blank file was graded, no penalty applied, and both reruns said
"unchanged" and regraded nobody.
"""

import csv
import subprocess
import sys
from datetime import timedelta, timezone

import nbformat
import pytest

from grading_helpers import ASSIGNMENT, NO_SANDBOX_FLAG, NOTEBOOK, make_course
from lms_downloads import DUE, EARLY, Entry, example_bytes, late_course_config, write_zip

from autograder.settings import SOURCE_DIR

pytestmark = pytest.mark.slow

COURSE_CONFIG = late_course_config(ASSIGNMENT, "1011", 72)


def _grade(root, download):
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", ASSIGNMENT, "--root", str(root),
                           "--submissions", str(download), "--workers", "2", *NO_SANDBOX_FLAG],
                          capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def _gradebook(root):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        return {s.student_id: dict(score=s.score, max_score=s.max_score, penalty=s.late_submission_penalty,
                                   timestamp=s.timestamp, first=s.student.first_name, last=s.student.last_name,
                                   lms=s.student.lms_user_id)
                for s in gb.assignment_submissions(ASSIGNMENT)}


@pytest.fixture(scope="module")
def canvas_class(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lms-class")
    reference = example_bytes(tmp, "reference")
    blank = example_bytes(tmp, "blank")
    entries = [
        Entry("John Smith", "1001", NOTEBOOK, reference, EARLY, attachment=7001),
        Entry("John Smith", "1002", NOTEBOOK, example_bytes(tmp, "bug_grad_sign"), EARLY, attachment=7002),
        # The resubmission comes first in the zip: unpack order would grade the older, blank file.
        Entry("Kim Park", "1003", NOTEBOOK, reference, EARLY + timedelta(hours=1), attachment=7104, again=1),
        Entry("Kim Park", "1003", NOTEBOOK, blank, EARLY, attachment=7003),
        Entry("Lee Chan", "1004", NOTEBOOK, reference, DUE + timedelta(hours=26), late=True, attachment=7004),
        Entry("李明", "1005", NOTEBOOK, reference, EARLY, attachment=7005),
        Entry("王芳", "1006", NOTEBOOK, example_bytes(tmp, "bug_softmax_axis0"), EARLY, attachment=7006),
        Entry("Jörg Müller", "1007", NOTEBOOK, reference, EARLY, attachment=7007),
        Entry("Jörg Möller", "1008", NOTEBOOK, example_bytes(tmp, "bug_batch_softmax"), EARLY, attachment=7008),
        Entry("Ria Das", "1009", NOTEBOOK, reference[: len(reference) // 2], EARLY, attachment=7009),
        Entry("Sam Ode", "1010", NOTEBOOK, b"", EARLY, attachment=7010),
        Entry("Tao Wu", "1011", NOTEBOOK, reference, DUE + timedelta(hours=26), late=True, attachment=7011),
        Entry("Ana Lima", "1012", NOTEBOOK, blank, EARLY, attachment=7012),
    ]
    root = make_course(tmp / "course")
    (root / "nbgrader_config.py").write_text(COURSE_CONFIG)
    first = _grade(root, write_zip(tmp / "canvas.zip", entries, "canvas"))
    after_first = _gradebook(root)
    with open(root / f"grades-{ASSIGNMENT}.csv", newline="", encoding="utf-8") as f:
        first_csv = {row["student"]: row for row in csv.DictReader(f)}
    late = [Entry("Uma Roy", "1013", NOTEBOOK, reference, DUE + timedelta(hours=50), late=True, attachment=7013)]
    second = _grade(root, write_zip(tmp / "late.zip", late, "canvas"))
    after_second = _gradebook(root)
    # A hidden test is fixed (here: it is worth one point more); every grade it made is stale.
    source = root / SOURCE_DIR / ASSIGNMENT / NOTEBOOK
    nb = nbformat.read(source, as_version=4)
    hidden = next(c for c in nb.cells if "### BEGIN HIDDEN TESTS" in c.source and c.metadata.get("nbgrader", {})
                  .get("grade"))
    hidden.metadata.nbgrader.points += 1
    nbformat.write(nb, source)
    third = _grade(root, tmp / "canvas.zip")
    return dict(outputs=(first, second, third), books=(after_first, after_second, _gradebook(root)), csv=first_csv,
                fixed=hidden.metadata.nbgrader.grade_id)


def test_every_student_is_graded_exactly_once_by_their_canvas_id(canvas_class):
    book = canvas_class["books"][0]
    assert set(book) == {"1001", "1002", "1003", "1004", "1005", "1006", "1007", "1008", "1011", "1012"}
    assert book["1001"]["score"] == 90 and book["1002"]["score"] < 90, "two John Smiths, two grades"


def test_the_refused_files_say_why(canvas_class):
    first = canvas_class["outputs"][0]
    assert "1009" in first and "is not a notebook" in first
    assert "1010" in first and "is empty" in first


def test_the_newer_resubmission_is_graded_not_the_older_blank_one(canvas_class):
    assert canvas_class["books"][0]["1003"]["score"] == 90
    first = canvas_class["outputs"][0]
    assert "graded parkkim_1003_7104_softmax_regression-1.ipynb" in first


def test_a_late_file_gets_the_configured_penalty_and_an_extension_holds(canvas_class):
    book = canvas_class["books"][0]
    # 26 hours late: two started days at 10% a day of 90 points.
    assert book["1004"]["penalty"] == pytest.approx(18)
    assert book["1004"]["timestamp"].replace(tzinfo=timezone.utc) == DUE + timedelta(hours=26)
    assert book["1011"]["penalty"] == 0, "72 hours of extension cover 26 hours late"
    assert book["1001"]["penalty"] == 0
    # The grades CSV (and so every export) counts the penalty, as `nbgrader export` does.
    late_row = canvas_class["csv"]["1004"]
    assert float(late_row["late_penalty"]) == pytest.approx(18)
    assert float(late_row["score"]) == pytest.approx(book["1004"]["score"] - 18)


def test_display_names_are_the_gradebook_roster(canvas_class):
    book = canvas_class["books"][0]
    assert (book["1005"]["last"], book["1005"]["lms"]) == ("李明", "1005")
    assert book["1007"]["last"] == "müllerjörg" and book["1008"]["last"] == "möllerjörg"


def test_a_second_late_batch_loses_nobody(canvas_class):
    first, second = canvas_class["books"][:2]
    assert set(second) == set(first) | {"1013"}
    assert second["1013"]["penalty"] == pytest.approx(27), "50 hours late: three days at 10%"
    assert {k: v["score"] for k, v in first.items()} == {k: v["score"] for k, v in second.items() if k in first}


def test_a_hidden_test_fix_regrades_every_grade_it_made_and_says_why(canvas_class):
    third_output = canvas_class["outputs"][2]
    before, after = canvas_class["books"][1], canvas_class["books"][2]
    changed = [line for line in third_output.splitlines() if line.strip().startswith("changed:")]
    assert changed and all("hidden tests" in line for line in changed), third_output
    assert set(after) == set(before), "nobody lost"
    # 1013 came in the late batch, not in this download: graded again all the same, from submitted/.
    for student in before:
        assert after[student]["max_score"] == before[student]["max_score"] + 1, student
        assert student in " ".join(changed), student
    assert after["1001"]["score"] == 91 and after["1013"]["score"] == 91
    assert after["1013"]["penalty"] == pytest.approx(0.3 * 91), "its late penalty still holds"


def test_moodle_download_with_unicode_names_grades_each_participant(tmp_path):
    reference = example_bytes(tmp_path, "reference")
    entries = [Entry("Jörg Müller", "201", NOTEBOOK, reference, EARLY),
               Entry("Jörg Möller", "202", NOTEBOOK, example_bytes(tmp_path, "blank"), EARLY),
               Entry("王芳", "203", NOTEBOOK, reference, EARLY)]
    root = make_course(tmp_path / "course")
    output = _grade(root, write_zip(tmp_path / "moodle.zip", entries, "moodle"))
    book = _gradebook(root)
    assert {k: v["score"] for k, v in book.items()} == {"201": 90, "202": 0, "203": 90}, output
    assert (book["201"]["first"], book["201"]["last"]) == ("Jörg", "Müller")
    # Unchanged rerun: nothing regraded; into a fresh gradebook: all of it.
    assert "not regraded" in _grade(root, tmp_path / "moodle.zip")
    (root / "gradebook.db").unlink()
    again = _grade(root, tmp_path / "moodle.zip")
    assert "not in the gradebook" in again or "changed: gradebook" in again
    assert {k: v["score"] for k, v in _gradebook(root).items()} == {"201": 90, "202": 0, "203": 90}
