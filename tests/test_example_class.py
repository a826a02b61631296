"""The bundled example class: every must-catch bug loses exactly the points of its tests.

This runs the demo's grading end to end (release, nbgrader autograde, manual
grades, feedback, CSV) on a scratch course, once per assignment.
"""

import csv
import html
import json
import re
import runpy
import shutil

import pytest
from bs4 import BeautifulSoup
from conftest import REPO_ROOT
from nbconvert.exporters import HTMLExporter

from autograder.coursedir.release import assignments, points
from autograder.grading.autograde import generate_feedback
from autograder.grading.feedback import CSP_META, MISSING_ALT, add_missing_alt
from autograder.sandbox.trusted import NOT_RUN
from examples.example_class import EXAMPLES_DIR, grade_example_class, load_examples

ASSIGNMENTS = assignments(REPO_ROOT)
pytestmark = pytest.mark.slow

def _by_student(graded):
    return {example.student: (example, result) for example, result in graded[2]}


def _total(graded):
    """The assignment's points, read from source/ (never written in a test: a course may change them)."""
    return points(graded[0]).total


def _expected_messages(example):
    """grade id -> text the learner's message must contain (``EXPECTED_MESSAGES`` of the example file)."""
    return runpy.run_path(str(EXAMPLES_DIR / example.assignment / f"{example.student}.py")).get("EXPECTED_MESSAGES", {})


def test_missing_alt_text_is_added_and_given_alt_text_kept():
    html = '<p><img src="a.png"><img alt="loss curve" src="b.png"><imgx src="c"></p>'
    assert add_missing_alt(html) == (f'<p><img alt="{MISSING_ALT}" src="a.png"><img alt="loss curve" src="b.png">'
                                     '<imgx src="c"></p>')


def test_every_example_file_is_documented():
    for assignment in ASSIGNMENTS:
        names = {ex.student for ex in load_examples(assignment)}
        assert {"reference", "blank", "alt_correct"} <= names, assignment
        assert all(ex.doc for ex in load_examples(assignment))


class ExampleClassChecks:
    """The checks of one assignment's example class; one subclass per assignment.

    `make test` runs a class's tests on one xdist worker (``--dist loadscope``
    groups test methods by class), so each example class is graded once, and
    the assignments' classes run on different workers side by side.
    """

    assignment = None

    @pytest.fixture(scope="class")
    @classmethod
    def graded(cls, tmp_path_factory):
        root = tmp_path_factory.mktemp(cls.assignment) / "class"
        return cls.assignment, root, grade_example_class(root, [cls.assignment], progress=False)

    def test_every_submission_fails_exactly_its_expected_tests(self, graded):
        surprises = {ex.student: {"expected": sorted(ex.expected_failures), "failed": sorted(res.failed)}
                     for ex, res in graded[2] if res.failed != ex.expected_failures}
        assert not surprises

    def test_reference_and_alternative_solutions_score_full_marks(self, graded):
        by_student = _by_student(graded)
        total = _total(graded)
        for student in ("reference", "alt_correct"):
            _, result = by_student[student]
            assert (result.score, result.max_score) == (total, total), student
            assert not result.pending

    def test_fair_variants_score_full_marks(self, graded):
        # Correct code written with the guards learners copy from libraries (fair_*.py) loses nothing.
        for example, result in graded[2]:
            if example.student.startswith("fair_"):
                assert (result.score, result.max_score) == (_total(graded),) * 2, example.student
                assert not example.expected_failures, example.student

    def test_advice_variants_score_full_marks_with_a_note(self, graded):
        # Right values with an in-place write (advice_*.py): only the learner's kernel sees its copies, and its
        # report cannot be verified, so the grader gives full marks and the note the example expects.
        assignment, root, results = graded
        for example, result in results:
            if example.student.startswith("advice_"):
                assert (result.score, result.max_score) == (_total(graded),) * 2, example.student
                page = next((root / "feedback" / example.student / assignment).glob("*.html")).read_text()
                notes = runpy.run_path(str(EXAMPLES_DIR / assignment / f"{example.student}.py"))["EXPECTED_NOTES"]
                assert all(html.escape(text, quote=False) in page for text in notes.values()), example.student

    def test_blank_release_scores_only_the_points_of_provided_code(self, graded):
        example, result = _by_student(graded)["blank"]
        provided = sum(t.max_points for t in result.tests if not t.manual and t.grade_id not in example.expected_failures)
        assert result.score == provided
        assert all(t.points == 0 for t in result.tests if t.manual), "blank written answers must score 0"

    def test_every_bug_loses_the_points_of_the_tests_that_target_it(self, graded):
        bugs = [(ex, res) for ex, res in graded[2] if ex.student.startswith("bug_")]
        assert len(bugs) >= 5, "each must-catch bug needs an example submission"
        for example, result in bugs:
            assert example.expected_failures, f"{example.student} names no test that catches it"
            lost = sum(t.max_points - t.points for t in result.tests)
            targeted = sum(t.max_points for t in result.tests if t.grade_id in example.expected_failures)
            assert lost == targeted and result.score == _total(graded) - targeted, example.student

    def test_every_named_hint_fires_on_the_bug_it_names(self, graded):
        # Each hint a test names is an example submission with the bug it names; the message it
        # gets must be that hint, not a generic one or a hint meant for another function.
        wrong = {}
        for example, result in graded[2]:
            for grade_id, text in _expected_messages(example).items():
                if text not in result.messages.get(grade_id, ""):
                    wrong[example.student] = (grade_id, text, result.messages.get(grade_id, ""))
        assert not wrong

    def test_a_cell_over_a_limit_costs_only_the_tests_that_depend_on_it(self, graded):
        # limit_*.py: right answers whose code runs into a grading limit in an ungraded cell (a numerical
        # gradient that builds an n x n matrix for 19,885 parameters). Every test keeps its points, and the
        # grading record names the limit (EXPECTED_FLAGS); when the limit stopped the kernel, so does the feedback;
        # a cell after the last test is not run, and the feedback says so.
        assignment, root, results = graded
        limited = [(ex, res) for ex, res in results if ex.student.startswith("limit_")]
        for example, result in limited:
            expected = set(runpy.run_path(str(EXAMPLES_DIR / assignment / f"{example.student}.py"))["EXPECTED_FLAGS"])
            assert expected <= set(result.flags), (example.student, result.flags)
            assert result.score == _total(graded) and not result.failed, (example.student, result.failed)
            report, = (root / "autograded" / example.student / assignment).glob("*.grading.json")
            page = next((root / "feedback" / example.student / assignment).glob("*.html")).read_text()
            if "memory" in expected and "cgroup" in json.loads(report.read_text())["sandbox"]["limits"]:
                assert "used more memory than allowed" in page, example.student
            if not expected:   # the heavy cell comes after the last test: the grader leaves it to the learner
                assert NOT_RUN.text.split(",")[0] in page, example.student
        if assignment == "02_gradient_checking":
            assert limited, "assignment 2's heaviest cell needs its example (limit_numgrad_diag.py)"

    def test_feedback_and_grades_csv_are_written(self, graded):
        assignment, root, results = graded
        for example, _ in results:
            html = list((root / "feedback" / example.student / assignment).glob("*.html"))
            assert html, f"no feedback for {example.student}"
        with open(root / "grades.csv") as f:
            rows = {row["student"]: row for row in csv.DictReader(f)}
        assert set(rows) == {ex.student for ex, _ in results}
        assert float(rows["reference"]["score"]) == float(rows["reference"]["max_score"]) == _total(graded)
        for example, result in results:
            assert set(rows[example.student]["failed_tests"].split()) == result.failed

    def test_feedback_pages_are_the_pages_stock_nbgrader_writes(self, graded, tmp_path):
        # Our exporter skips HTMLExporter's BeautifulSoup pass and caches compiled
        # templates: the page must not change, apart from how the HTML is spelled
        # and the Content-Security-Policy it adds. (These examples hold no active
        # content, so making it inert changes nothing.)
        assignment, root, results = graded
        stock_root = tmp_path / "class"
        shutil.copytree(root, stock_root)
        generate_feedback(stock_root, assignment, overrides={"GenerateFeedback": {"exporter_class": HTMLExporter}})
        for example, _ in results:
            ours, = (root / "feedback" / example.student / assignment).glob("*.html")
            stock, = (stock_root / "feedback" / example.student / assignment).glob("*.html")
            page = ours.read_text()
            assert CSP_META in page, example.student
            assert str(BeautifulSoup(page.replace("\n" + CSP_META, "", 1), "html.parser")) == stock.read_text(), \
                example.student
            images = re.findall(r"<img\b[^>]*>", page)
            assert all(" alt=" in tag for tag in images), example.student
        # What the kernel shows after the first test is withheld from feedback (a learner function may have
        # kept hidden inputs), so assignment 2's plots never reach it; assignment 1's pages hold a figure.
        if assignment == "01_softmax_regression":
            assert any(re.search(r"<img\b", p.read_text()) for p in (root / "feedback").rglob("*.html")), \
                "no feedback page has a figure: the comparison above saw no image"


class TestSoftmaxRegression(ExampleClassChecks):
    assignment = "01_softmax_regression"

    def test_every_bug_of_assignment_1_names_the_message_it_expects(self, graded):
        for example, _ in graded[2]:
            if example.student.startswith("bug_"):
                assert set(_expected_messages(example)) & example.expected_failures, example.student

    def test_the_instructor_report_of_the_example_class(self, graded):
        """The report `make demo` leads to, for this assignment (one is enough), in Chromium: every test, the histogram, honest flags.

        The example submissions are the reference solution with one cell changed
        (examples/example_class.py: cells an example does not list get the
        reference), so their untouched longer cells are the instructor's, and
        saying so is right; a one-liner (``np_linear``) and a cell the example
        changed never are.
        """
        from browser import browser, screenshot

        from autograder.grading.item_report import write_report

        assignment, root, results = graded
        html_path, json_path = write_report(root, assignment)
        data = json.loads(json_path.read_text())
        copies = {student: set(cells) for student, cells in data["solution_copies"].items()}
        longer = copies["reference"]
        assert longer and "np_linear" not in longer, "the reference is the instructor's solution, one-liners aside"
        for example, _ in results:
            flagged = copies.get(example.student, set())
            assert "np_linear" not in flagged, example.student
            assert not flagged & set(example.edits), f"{example.student}: a cell it changed is called a copy"
            if example.blank:
                assert not flagged, example.student
            else:
                assert longer - set(example.solutions) - set(example.edits) <= flagged, example.student
        assert sum(data["histogram"]) == len(results)
        with browser() as b:
            view = b.new_page()
            view.goto(html_path.as_uri())
            tests = view.locator("h2:has-text('Tests') + table tr")
            assert tests.count() == len(data["tests"]) + 1, "one row per test under the header"
            shown = tests.all_inner_texts()[1:]
            for test, row in zip(data["tests"], shown):
                assert row.startswith(test["grade_id"]), row
                if not test["manual"]:
                    assert f"{test['difficulty']:.2f}" in row, row
            assert view.locator("h2:has-text('Grades') + svg rect").count() == 10
            assert view.locator("script").count() == 0
            screenshot(view, "instructor-report-example-class")


class TestGradientChecking(ExampleClassChecks):
    assignment = "02_gradient_checking"


class TestBackpropNetwork(ExampleClassChecks):
    assignment = "03_backprop_network"


def test_every_assignment_has_its_example_class():
    assert sorted(c.assignment for c in ExampleClassChecks.__subclasses__()) == sorted(ASSIGNMENTS)
