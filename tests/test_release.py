"""The student release: generated from source/, free of solutions and hidden tests, refused when unsafe.

A release is refused, and the previous one kept, on a marker typo, a hidden
test whose failure would print an expected value, or a solution line that
shows anywhere in the release; after a trial grading, changing cells is one
command. Point totals are read from the source, never written in a test.
"""

import json
import re
import shutil

import nbformat
import pytest
from conftest import REPO_ROOT

from autograder.coursedir.nbgrader_api import GradingError
from autograder.coursedir.release import (assignments, graded_submissions, marker_problems, points, release,
                                         release_leaks)
from autograder.settings import RELEASE_DIR, SOURCE_DIR

ASSIGNMENTS = assignments(REPO_ROOT)


def _notebooks(assignment, folder):
    return sorted((REPO_ROOT / folder / assignment).glob("*.ipynb"))


def _grade_cells(nb):
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]


def test_there_is_at_least_one_assignment():
    assert "01_softmax_regression" in ASSIGNMENTS


@pytest.fixture(scope="module")
def fresh_release(tmp_path_factory):
    """notebooks/ as `nbgrader generate_assignment` makes it now, in a scratch course."""
    root = tmp_path_factory.mktemp("release")
    shutil.copytree(REPO_ROOT / SOURCE_DIR, root / SOURCE_DIR)
    release(root)
    return root


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_committed_release_is_exactly_what_nbgrader_generates(fresh_release, assignment):
    generated = sorted(p.name for p in (fresh_release / RELEASE_DIR / assignment).iterdir())
    committed = sorted(p.name for p in (REPO_ROOT / RELEASE_DIR / assignment).iterdir())
    assert committed == generated
    for name in generated:
        fresh = (fresh_release / RELEASE_DIR / assignment / name).read_bytes()
        assert (REPO_ROOT / RELEASE_DIR / assignment / name).read_bytes() == fresh, (
            f"{RELEASE_DIR}/{assignment}/{name} is stale: run `make release` and commit it")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_has_no_solution_and_no_hidden_test(assignment):
    for path in _notebooks(assignment, SOURCE_DIR):
        source = nbformat.read(path, as_version=4)
        release = nbformat.read(REPO_ROOT / RELEASE_DIR / assignment / path.name, as_version=4)
        assert release_leaks(source, release) == []
        solution_ids = {c.metadata["nbgrader"]["grade_id"] for c in source.cells
                        if c.metadata.get("nbgrader", {}).get("solution")}
        for cell in release.cells:
            if cell.metadata.get("nbgrader", {}).get("grade_id") in solution_ids and cell.cell_type == "code":
                assert "raise NotImplementedError()" in cell.source


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_cells_are_well_formed_and_the_readme_states_the_points(assignment):
    total = 0
    seen = set()
    for path in _notebooks(assignment, SOURCE_DIR):
        nb = nbformat.read(path, as_version=4)
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), (
            f"{path.name} is committed with outputs: clear them")
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader")
            if not meta:
                continue
            assert meta["grade_id"] not in seen, f"duplicate grade id {meta['grade_id']}"
            seen.add(meta["grade_id"])
            if meta.get("grade") and not meta.get("solution"):
                assert meta.get("locked"), f"test cell {meta['grade_id']} must be locked"
                assert cell.cell_type == "code"
        total += sum(c.metadata["nbgrader"]["points"] for c in _grade_cells(nb))
    assert points(assignment).total == total
    claimed = re.search(r"Each assignment is worth (\d+) points", (REPO_ROOT / "README.md").read_text())
    assert claimed and float(claimed.group(1)) == total, "the README's point total differs from source/"


def test_release_leaks_finds_solution_lines_and_markers():
    source = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "def f(x):\n    ### BEGIN SOLUTION\n    return x @ secret.T\n    ### END SOLUTION",
        metadata={"nbgrader": {"grade_id": "f", "solution": True}}), nbformat.v4.new_code_cell(
        "assert f(1) == 1\n### BEGIN HIDDEN TESTS\nassert f(2) == hidden_value\n### END HIDDEN TESTS",
        metadata={"nbgrader": {"grade_id": "t", "grade": True}})])
    clean = json.loads(json.dumps(source))
    clean = nbformat.from_dict(clean)
    clean.cells[0].source = "def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()"
    clean.cells[1].source = "assert f(1) == 1"
    assert release_leaks(source, clean) == []
    leaky = nbformat.from_dict(json.loads(json.dumps(clean)))
    leaky.cells[0].source += "\n    return x @ secret.T"
    leaky.cells[1].source += "\n### BEGIN HIDDEN TESTS"
    leaks = release_leaks(source, leaky)
    assert any("solution line 'return x @ secret.T'" in leak for leak in leaks)
    assert any("### BEGIN HIDDEN TESTS" in leak for leak in leaks)


# A course of one small notebook: a locked setup cell, a solution, a test with a
# hidden part, and a written answer. nbgrader releases it in a few seconds.
SETUP = "import numpy as np\nscale = 2"
SOLUTION = "def f(x):\n    ### BEGIN SOLUTION\n    return x @ secret_matrix.T\n    ### END SOLUTION"
TEST = ("assert f(np.eye(2)).shape == (2, 2)\n### BEGIN HIDDEN TESTS\n"
        "checks.expect(f(np.ones((2, 2)))[0, 0] == 7.5, 'f is wrong')\n### END HIDDEN TESTS")
LEAKED_LINE = "return x @ secret_matrix.T"


def _cell(kind, source, grade_id, **meta):
    make = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
    return make(source, metadata={"nbgrader": {"grade_id": grade_id, "schema_version": 3, "grade": False,
                                               "solution": False, "locked": False, "task": False, **meta}})


def _tiny_course(root, setup=SETUP, solution=SOLUTION, test=TEST, extra=()):
    nb = nbformat.v4.new_notebook(cells=[
        _cell("code", setup, "setup", locked=True),
        _cell("code", solution, "f", solution=True),
        _cell("code", test, "test_f", grade=True, locked=True, points=5),
        _cell("markdown", "Why?\n\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION", "why", grade=True,
              solution=True, points=2),
        *extra,
    ], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    folder = root / SOURCE_DIR / "a1"
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / "tiny.ipynb")
    return root


def test_points_are_read_from_the_source(tmp_path):
    _tiny_course(tmp_path)
    assert (points("a1", tmp_path).autograded, points("a1", tmp_path).written) == (5, 2)
    _tiny_course(tmp_path, extra=[_cell("code", "assert f(np.eye(2)) is not None", "test_g", grade=True,
                                        locked=True, points=3)])
    assert points("a1", tmp_path).total == 10


LEAK_VARIANTS = {
    "after END SOLUTION": dict(solution=SOLUTION + f"\n    {LEAKED_LINE}"),
    "above BEGIN SOLUTION": dict(solution=SOLUTION.replace("    ### BEGIN", f"    {LEAKED_LINE}\n    ### BEGIN")),
    "in a visible test": dict(test=f"def g(x):\n    {LEAKED_LINE}\n" + TEST),
    "in the locked setup cell": dict(setup=SETUP + f"\ndef g(x):\n    {LEAKED_LINE}"),
}


@pytest.mark.parametrize("variant", sorted(LEAK_VARIANTS))
def test_a_solution_line_anywhere_in_the_release_is_refused(tmp_path, variant):
    _tiny_course(tmp_path, **LEAK_VARIANTS[variant])
    with pytest.raises(GradingError, match=re.escape(f"solution line {LEAKED_LINE!r} is in the release")):
        release(tmp_path)


@pytest.mark.parametrize("typo", ["### BEGIN SOLUTON", "### END SOLUTON", "## BEGIN SOLUTION",
                                  "### begin solution", "### BEGIN HIDDEN TEST"])
def test_a_marker_typo_is_refused_and_names_the_marker(tmp_path, typo):
    wrong = SOLUTION.replace("### BEGIN SOLUTION", typo) if "BEGIN S" in typo.upper() else \
        SOLUTION.replace("### END SOLUTION", typo) if "END" in typo else \
        TEST.replace("### BEGIN HIDDEN TESTS", typo)
    kwargs = {"test": wrong} if "HIDDEN" in typo else {"solution": wrong}
    _tiny_course(tmp_path, **kwargs)
    with pytest.raises(GradingError) as raised:
        release(tmp_path)
    assert f"{typo!r} looks like a marker but is not one" in str(raised.value)
    assert not (tmp_path / RELEASE_DIR / "a1").exists(), "nothing may be released"


@pytest.mark.parametrize("check", ["np.testing.assert_allclose(f(np.ones((2, 2)))[0, 0], 7.5)",
                                   "assert f(np.ones((2, 2)))[0, 0] == 7.5, 'expected 7.5'",
                                   "assert_allclose(f(np.ones((2, 2))), 7.5)"])
def test_a_hidden_test_whose_failure_prints_the_expected_value_is_refused(tmp_path, check):
    _tiny_course(tmp_path, test=TEST.replace("checks.expect(f(np.ones((2, 2)))[0, 0] == 7.5, 'f is wrong')", check))
    with pytest.raises(GradingError, match="in a hidden test"):
        release(tmp_path)


def test_a_failed_release_leaves_the_previous_release_in_place(tmp_path):
    _tiny_course(tmp_path)
    (released,) = release(tmp_path)
    before = released.read_bytes()
    _tiny_course(tmp_path, **LEAK_VARIANTS["after END SOLUTION"])
    with pytest.raises(GradingError, match="the previous release is kept"):
        release(tmp_path)
    assert released.read_bytes() == before
    assert not list(tmp_path.glob(".release-backup-*")), "the backup is removed"


def test_changing_cells_after_a_trial_grading_is_one_documented_command(tmp_path):
    from nbgrader.api import Gradebook

    _tiny_course(tmp_path)
    (released,) = release(tmp_path)
    before = released.read_bytes()
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as gradebook:
        gradebook.add_student("s1")
        gradebook.add_submission("a1", "s1")
    extra = [_cell("code", "checks.expect(f(np.eye(2)) is not None, 'f returns nothing')", "test_g",
                   grade=True, locked=True, points=3)]
    _tiny_course(tmp_path, extra=extra)
    with pytest.raises(GradingError) as raised:
        release(tmp_path)
    message = str(raised.value)
    assert "python -m autograder release a1 --discard-grades" in message
    assert "1 graded submission(s)" in message and "Traceback" not in message and len(message.splitlines()) < 6
    assert released.read_bytes() == before
    readme = (REPO_ROOT / "README.md").read_text()
    assert "--discard-grades" in readme, "the way out must be in the README"
    release(tmp_path, discard=True)
    assert graded_submissions("a1", tmp_path) == 0
    assert "test_g" in released.read_text()


@pytest.mark.parametrize("comment", ["# The hidden tests' references, bound while a function runs",
                                     "# end of the loop", "# solution"])
def test_a_comment_that_mentions_a_marker_word_is_not_a_typo(comment):
    cell = nbformat.v4.new_code_cell(comment + "\nx = 1", metadata={"nbgrader": {"grade_id": "c", "locked": True}})
    assert marker_problems(nbformat.v4.new_notebook(cells=[cell])) == []
