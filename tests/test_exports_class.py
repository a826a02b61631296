"""A class graded by `grade`, then exported, hand graded, re-rendered and reported, through the CLI.

The class holds what real classes hold, and what attackers hand in: a student
folder named as a spreadsheet formula, notebooks whose file names carry
terminal escapes (a forged table line, an OSC 8 link) or bytes that are not
UTF-8, two byte-identical hand-ins and two copies with renamed variables.
"""

import csv
import json
import os
import re
import subprocess
import sys

import nbformat
import pytest

from autograder.coursedir.release import strip_solution_markers
from autograder.grading.lms import student_id
from autograder.grading.results import set_manual_grades
from autograder.settings import RELEASE_DIR, SOURCE_DIR
from browser import browser, screenshot
from conftest import REPO_ROOT
from grading_helpers import ASSIGNMENT, NO_SANDBOX_FLAG, NOTEBOOK, make_course

pytestmark = pytest.mark.slow

FORMULA_FOLDER = "-2+3+cmd|' -C calc'!A0"        # a student folder named as a formula
FORMULA_ID = student_id(FORMULA_FOLDER)           # ... as collection names the student: "2_3_cmd_-C_calc_A0-<hash>"
# A file name cannot hold "/": the forged line uses the division slash, which looks the same.
FORGED = "\x1b[2K\rreference                      100 \u2215 100  -"
OSC8 = "\x1b]8;;mailto:evil@example.com\x07click me\x1b]8;;\x07"
ESCAPES = ("\x1b", "\x07", "\x9b", "\r")

LOOP_SOFTMAX = '''def np_softmax(l):
    out = np.empty_like(l, dtype=float)
    for row in range(l.shape[0]):
        z = l[row] - l[row].max()   # shift: exp never overflows
        e = np.exp(z)
        out[row] = e / e.sum()
    return out'''
LOOP_SOFTMAX_RENAMED = '''def np_softmax(l):
    # one row at a time
    result = np.empty_like(l, dtype=float)
    for i in range(l.shape[0]):
        shifted = l[i] - l[i].max()
        ex = np.exp(shifted)
        result[i] = ex / ex.sum()
    return result'''
LOOP_XENT = '''def np_cross_entropy(p, y):
    total = 0.0
    for i in range(len(y)):
        total -= np.log(p[i, y[i]])
    return total / len(y)'''
LOOP_XENT_RENAMED = '''def np_cross_entropy(p, y):
    acc = 0.0   # summed loss
    for k in range(len(y)):
        acc -= np.log(p[k, y[k]])
    return acc / len(y)'''
BATCH_SOFTMAX = '''def np_softmax(l):
    e = np.exp(l - np.max(l))
    return e / np.sum(e)'''
SHORT_SOFTMAX = '''def np_softmax(l):
    e = np.exp(l - l.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)'''


def _notebook(course, cells=None):
    """The release with every solution cell filled in: the reference, or ``cells[grade_id]``."""
    nb = nbformat.read(course / RELEASE_DIR / ASSIGNMENT / NOTEBOOK, as_version=4)
    source = nbformat.read(course / SOURCE_DIR / ASSIGNMENT / NOTEBOOK, as_version=4)
    reference = {c.metadata["nbgrader"]["grade_id"]: c.source for c in source.cells
                 if c.metadata.get("nbgrader", {}).get("solution")}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):   # written answers too: an untouched one is scored 0, not left pending
            cell.source = (cells or {}).get(meta["grade_id"], strip_solution_markers(reference[meta["grade_id"]]))
    return nbformat.writes(nb).encode()


def _put(folder, student, data, name=NOTEBOOK):
    path = os.path.join(os.fsencode(folder), os.fsencode(student), os.fsencode(ASSIGNMENT))
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, os.fsencode(name) if isinstance(name, str) else name), "wb") as f:
        f.write(data)


def run(*args):
    return subprocess.run([sys.executable, "-m", "autograder", *map(str, args)], cwd=REPO_ROOT,
                          capture_output=True, timeout=900)


def _csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def _rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return {row["student"]: row for row in csv.DictReader(f)}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """A course and its class, graded with `grade` in two batches; returns (course, first run, late run)."""
    tmp = tmp_path_factory.mktemp("lmsclass")
    course = make_course(tmp / "course")
    subs = tmp / "download"
    copied = _notebook(course, {"np_softmax": SHORT_SOFTMAX})
    # Each hand-in plays two parts: grading is the slow step of this test.
    _put(subs, "reference", _notebook(course))
    _put(subs, "ada", _notebook(course, {"np_softmax": BATCH_SOFTMAX}), name=FORGED + ".ipynb")
    _put(subs, FORMULA_FOLDER, copied)
    _put(subs, "copy_two", copied, name=OSC8 + ".ipynb")
    _put(subs, "near_one", _notebook(course, {"np_softmax": LOOP_SOFTMAX, "np_cross_entropy": LOOP_XENT}),
         name=f"near_one_4242_{NOTEBOOK}")                # as an LMS names every file
    _put(subs, "near_two", _notebook(course, {"np_softmax": LOOP_SOFTMAX_RENAMED,
                                              "np_cross_entropy": LOOP_XENT_RENAMED}),
         name=b"\xff\xfe softmax.ipynb")
    first = run("grade", ASSIGNMENT, "--root", course, "--submissions", subs, *NO_SANDBOX_FLAG)
    assert first.returncode == 0, first.stderr.decode(errors="replace")
    late = tmp / "late"
    _put(late, "zoe", _notebook(course, {"np_linear": "def np_linear(x, a):\n    return a @ x.T"}))
    second = run("grade", ASSIGNMENT, "--root", course, "--submissions", late, *NO_SANDBOX_FLAG)
    assert second.returncode == 0, second.stderr.decode(errors="replace")
    return course, first, second


STUDENTS = {"reference", "ada", FORMULA_ID, "copy_two", "near_one", "near_two", "zoe"}
IN_CSV = STUDENTS   # no id starts with a formula character: collection keeps only word characters in front


def test_a_late_batch_of_one_student_leaves_the_whole_class_in_the_csv(graded):
    course, _, late = graded
    rows = _rows(course / f"grades-{ASSIGNMENT}.csv")
    assert set(rows) == IN_CSV
    assert rows["zoe"]["status"] == "graded" and "test_np_linear" in rows["zoe"]["failed_tests"]
    assert rows["reference"]["score"] == "90" and rows["reference"]["grade"] == "pending"
    assert b"(the whole class)" in late.stdout


def test_grade_prints_no_terminal_escape_from_a_file_name(graded):
    _, first, _ = graded
    out = first.stdout.decode("utf-8")   # undecodable bytes were escaped, so this decodes
    for char in ESCAPES:
        assert char not in out, f"{char!r} reached the terminal"
    # The forged table line is shown as the escaped text it is, on ada's own flag line.
    assert "\\x1b[2K\\rreference" in out
    assert "\\x1b]8;;mailto:evil@example.com\\x07click me" in out
    assert "\\xff\\xfe softmax.ipynb" in out
    assert not re.search(r"^reference\s+100 \u2215 100", out, re.M), "a forged grade line reached the table"


def test_every_csv_cell_that_could_be_a_formula_is_neutralised(graded):
    course, _, _ = graded
    lines = _csv(course / f"grades-{ASSIGNMENT}.csv")
    assert len(lines) == len(STUDENTS) + 1
    for row in lines:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
            assert not any(char in cell for char in ESCAPES), cell
    assert FORMULA_ID.startswith("2_3_cmd") and [FORMULA_ID] == [row[0] for row in lines if FORMULA_ID in row[0]]


def test_an_undecodable_file_name_stops_no_report(graded):
    course, _, _ = graded
    rows = _rows(course / f"grades-{ASSIGNMENT}.csv")
    assert rows["near_two"]["status"] == "graded"
    assert "\\xff\\xfe softmax.ipynb" in rows["near_two"]["flags"]
    for student in STUDENTS:
        path = course / "reports" / ASSIGNMENT / f"{student}.json"
        assert json.loads(path.read_text())["student"] == student


def test_lms_files_are_not_flagged_as_renamed_and_one_liners_not_as_copies(graded):
    course, _, _ = graded
    rows = _rows(course / f"grades-{ASSIGNMENT}.csv")
    assert "renamed" not in rows["near_one"]["flags"] and "renamed" in rows["ada"]["flags"]
    assert "np_linear is identical" not in rows["reference"]["flags"]
    assert "np_softmax is identical to the instructor's solution" in rows["reference"]["flags"]


def _set_roster(course, people):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student, (first, last, lms_id, email) in people.items():
            gb.update_or_create_student(student, first_name=first, last_name=last, lms_user_id=lms_id, email=email)


def test_canvas_and_moodle_exports_cover_the_class_in_their_import_format(graded):
    course, _, _ = graded
    _set_roster(course, {
        "reference": ("Ada", "Lovelace", "1001", "ada@example.org"),
        "ada": ('=HYPERLINK("http://evil.example","click")', "Smith", "1002", "s@example.org"),
        "zoe": ("Zoë", "@SUM(1+1)*cmd|' /C calc'!A0", "1003", "+z@example.org"),
    })
    done = run("export", ASSIGNMENT, "--root", course, "--format", "canvas")
    assert done.returncode == 0, done.stderr
    canvas = _csv(course / "exports" / f"{ASSIGNMENT}-canvas.csv")
    assert canvas[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", ASSIGNMENT]
    assert canvas[1] == ["Points Possible", "", "", "", "", "100"]
    body = {row[1]: row for row in canvas[2:]}
    assert set(body) == IN_CSV - {"reference", "ada", "zoe"} | {"1001", "1002", "1003"}
    assert body["1001"] == ["Lovelace, Ada", "1001", "", "", "", ""]        # written answers pending: blank
    assert body["1003"][0] == "'@SUM(1+1)*cmd|' /C calc'!A0, Zoë"
    assert body["1002"][0] == "Smith, =HYPERLINK(\"http://evil.example\",\"click\")"   # not at the start: text
    assert "manual grading pending, left blank" in done.stdout.decode()
    assert "no LMS id in the gradebook" in done.stdout.decode()

    done = run("export", ASSIGNMENT, "--root", course, "--format", "moodle")
    assert done.returncode == 0, done.stderr
    moodle = _csv(course / "exports" / f"{ASSIGNMENT}-moodle.csv")
    assert moodle[0] == ["First name", "Last name", "ID number", "Email address", ASSIGNMENT]
    body = {row[2]: row for row in moodle[1:]}
    assert len(body) == len(STUDENTS)
    assert body["1002"][0] == "'=HYPERLINK(\"http://evil.example\",\"click\")"
    assert body["1003"][1:] == ["'@SUM(1+1)*cmd|' /C calc'!A0", "1003", "'+z@example.org", ""]
    assert body["1001"][4] == ""                                            # pending, not 0
    for row in canvas + moodle:
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row), row


def test_feedback_after_hand_grading_shows_the_manual_score_and_the_change_is_logged(graded):
    course, _, _ = graded
    page = course / "feedback" / "reference" / ASSIGNMENT / NOTEBOOK.replace(".ipynb", ".html")
    before = page.read_text()
    set_manual_grades(course, ASSIGNMENT, "reference",
                      {"written_dlogits": 3, "written_batch_softmax": 4, "written_max_shift": 2})
    done = run("feedback", ASSIGNMENT, "--root", course, "--student", "reference")
    assert done.returncode == 0, done.stderr
    after = page.read_text()
    assert "99.0 / 100.0" in after and "99.0 / 100.0" not in before
    log = [json.loads(line) for line in
           (course / "reports" / f"{ASSIGNMENT}-manual-grades.jsonl").read_text().splitlines()]
    logged = {(e["student"], e["grade_id"]): (e["old"], e["new"]) for e in log}
    assert logged[("reference", "written_dlogits")] == (None, 3.0)
    assert all(e["by"] and e["time"] for e in log)
    assert "hand grading: 3 manual scores changed" in done.stdout.decode()
    # A change made later is logged by the next command that reads the gradebook.
    set_manual_grades(course, ASSIGNMENT, "reference", {"written_dlogits": 4})
    assert run("export", ASSIGNMENT, "--root", course).returncode == 0
    log = (course / "reports" / f"{ASSIGNMENT}-manual-grades.jsonl").read_text().splitlines()
    assert json.loads(log[-1])["old"] == 3.0 and json.loads(log[-1])["new"] == 4.0
    assert _rows(course / f"grades-{ASSIGNMENT}.csv")["reference"]["grade"] == "100"


def test_the_instructor_report_flags_copies_and_renders_escaped(graded):
    course, _, _ = graded
    done = run("report", ASSIGNMENT, "--root", course)
    assert done.returncode == 0, done.stderr
    data = json.loads((course / "reports" / f"{ASSIGNMENT}-instructor.json").read_text())
    pairs = {tuple(p["students"]): p for p in data["similar"]}
    assert pairs[(FORMULA_ID, "copy_two")]["identical_files"] is True
    assert pairs[("near_one", "near_two")]["similarity"] >= 0.9
    assert set(pairs) == {(FORMULA_ID, "copy_two"), ("near_one", "near_two")}, pairs
    copies = data["solution_copies"]
    assert "np_softmax" in copies["reference"] and "np_linear" not in copies["reference"]
    tests = {t["grade_id"]: t for t in data["tests"]}
    assert tests["test_np_linear"]["difficulty"] == pytest.approx(6 / 7, abs=1e-3)   # zoe lost it
    assert tests["test_softmax_rows"]["difficulty"] == pytest.approx(6 / 7, abs=1e-3)   # ada's batch softmax
    assert tests["test_softmax_rows"]["common_hint"].startswith("rows of your softmax sum to")
    assert tests["test_softmax_rows"]["discrimination"] > 0
    assert sum(data["histogram"]) == len(STUDENTS)
    page = (course / "reports" / f"{ASSIGNMENT}-instructor.html").read_text()
    assert "<script" not in page and "=HYPERLINK(&quot;http://evil.example&quot;" in page
    assert "\x1b" not in page
    with browser() as b:
        view = b.new_page()
        view.goto((course / "reports" / f"{ASSIGNMENT}-instructor.html").as_uri())
        assert view.locator("svg rect").count() == 10 and view.locator("script").count() == 0
        assert "identical files" in view.inner_text("body")
        screenshot(view, "instructor-report-class")
