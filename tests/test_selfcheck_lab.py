"""Self-check from JupyterLab: nbgrader's Validate button gives the verdicts of `python -m autograder check`.

In the repository the configured check is the grader's, with the hidden tests;
the student pack's (visible tests only) is tested in tests/test_pack_as_learner.py.
"""

import re
import subprocess
import sys
import urllib.error
import urllib.parse

import pytest
from conftest import REPO_ROOT
from lab_server import MAKE_LAB_RECIPE, jupyter_lab, scratch_course

from autograder.learner.lab_validate import validation_value
from autograder.learner.report import CheckReport
from autograder.learner.report import TestRow as Row  # renamed: pytest collects Test* names
from autograder.learner.selfcheck import configured_check
from examples.example_class import build_submission, load_examples

ASSIGNMENT = "01_softmax_regression"
# A classic bug that fails some tests, each with its own hint, and passes others.
EXAMPLE = "bug_softmax_axis0"
CHECK_ROW = re.compile(r"^(passed|FAILED|written)\s+([\d.]+)/([\d.]+)\s+(\S+)$")


def test_make_lab_starts_jupyterlab_as_the_tests_do():
    recipe = re.search(r"^lab:.*\n\t(.+)$", (REPO_ROOT / "Makefile").read_text(), flags=re.M)
    assert recipe and recipe.group(1) == MAKE_LAB_RECIPE, "tests/lab_server.py starts JupyterLab differently"


def test_the_repository_s_self_check_is_the_grader_s_with_the_hidden_tests():
    assert configured_check(REPO_ROOT) == "autograder.grading.selfcheck:check_notebook"


def test_all_tests_passing_is_nbgrader_s_success():
    report = CheckReport("nb.ipynb", [Row("t1", 5, 5), Row("w", 0, 5, manual=True)], hidden=True)
    assert validation_value(report) == {}


def test_failed_tests_come_with_the_table_and_their_hints_escaped():
    report = CheckReport("nb.ipynb", [Row("t1", 5, 5), Row("t2", 0, 10, message="p <b>sums</b> to 2"),
                                      Row("w", 0, 4, manual=True)], hidden=True)
    first, second = validation_value(report)["failed"]
    assert first["source"].splitlines()[:4] == ["passed     5/5   t1", "FAILED     0/10  t2",
                                                "        p <b>sums</b> to 2", "written    -/4   w"]
    assert first["source"].splitlines()[-1] == (
        "visible and hidden tests: 5/15 points; written answers (4 points) are graded by a person")
    assert second == {"source": "t2: 0 / 10 points", "error": "p &lt;b&gt;sums&lt;/b&gt; to 2",
                      "raw_error": "p <b>sums</b> to 2"}


def test_a_failed_cell_outside_the_tests_is_named_before_the_rows():
    report = CheckReport("nb.ipynb", [Row("t1", 0, 5, message="did not run: a cell above failed first")],
                         cell_failures=["the setup cell (the first code cell) failed: ModuleNotFoundError: x"])
    first, cause, test = validation_value(report)["failed"]
    assert first["source"].splitlines()[0].startswith("the setup cell (the first code cell) failed")
    assert cause["raw_error"].startswith("the setup cell") and test["raw_error"].startswith("did not run")


def _check_cli(notebook):
    """``python -m autograder check NOTEBOOK`` as a learner runs it: (rows, hints)."""
    run = subprocess.run([sys.executable, "-m", "autograder", "check", str(notebook)],
                         capture_output=True, text=True, timeout=1200, cwd=REPO_ROOT)
    rows, hints, last = [], {}, None
    for line in run.stdout.splitlines():
        row = CHECK_ROW.match(line)
        if row:
            rows.append(line)
            last = row.group(4) if row.group(1) == "FAILED" else None
        elif line.startswith("        ") and last:
            hints[last] = line.strip()
    assert rows, f"check printed no table (exit {run.returncode}):\n{run.stdout}\n{run.stderr}"
    return rows, hints


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    root = scratch_course(tmp_path_factory.mktemp("course"))
    with jupyter_lab(root) as running:
        yield running


def _validate(lab, path, timeout=1200):
    return lab.request("assignments/validate?path=" + urllib.parse.quote(path), method="POST", data=b"",
                       timeout=timeout)


@pytest.mark.slow
def test_validate_in_jupyterlab_gives_check_s_verdicts_and_hints(lab):
    (example,) = [e for e in load_examples(ASSIGNMENT) if e.student == EXAMPLE]
    build_submission(example, lab.root)
    notebook = next((lab.root / "submitted" / EXAMPLE / ASSIGNMENT).glob("*.ipynb"))

    reply = _validate(lab, notebook.relative_to(lab.root).as_posix())
    assert reply["success"], reply
    table, *failures = reply["value"]["failed"]
    lab_rows = [line for line in table["source"].splitlines() if CHECK_ROW.match(line)]
    lab_hints = {entry["source"].split(":")[0]: entry["raw_error"] for entry in failures}

    cli_rows, cli_hints = _check_cli(notebook)
    assert lab_rows == cli_rows
    assert lab_hints == cli_hints
    # And the verdicts are the right ones: the bug is found where it should be, with words that name it.
    failed = {CHECK_ROW.match(row).group(4) for row in cli_rows if row.startswith("FAILED")}
    assert failed == example.expected_failures
    assert all(len(hint) > 20 and "Traceback" not in hint for hint in lab_hints.values())


def test_validate_refuses_a_path_outside_the_notebook_folder(lab):
    with pytest.raises(urllib.error.HTTPError) as refused:
        _validate(lab, "../../etc/passwd", timeout=60)
    assert refused.value.code == 403


def test_validate_explains_a_notebook_that_is_not_the_course_s(lab):
    (lab.root / "scratch").mkdir(exist_ok=True)
    other = lab.root / "scratch" / "mine.ipynb"
    other.write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    reply = _validate(lab, "scratch/mine.ipynb", timeout=300)
    assert reply == {"success": False, "value": reply["value"]}
    assert "is not a notebook of this course" in reply["value"] and "Keep the file name" in reply["value"]
