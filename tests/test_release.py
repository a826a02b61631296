"""The student release: generated from source/, free of solutions and hidden tests, 100 points."""

import json
import shutil

import nbformat
import pytest
from conftest import REPO_ROOT

from autograder.coursedir.release import assignments, release, release_leaks
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
def test_points_total_100_and_cells_are_well_formed(assignment):
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
    assert total == 100


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
