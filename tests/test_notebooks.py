"""Every instructor notebook runs top to bottom, solutions in, without an error."""

import pytest
from conftest import REPO_ROOT
from executed_notebooks import executed

from autograder.settings import SOURCE_DIR

NOTEBOOKS = sorted((REPO_ROOT / SOURCE_DIR).glob("*/*.ipynb"))


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.parent.name)
def test_reference_notebook_runs_top_to_bottom(path, tmp_path_factory, record_property):
    # Raises CellExecutionError, with the cell and its traceback, on the first error.
    nb, seconds = executed(path, tmp_path_factory)
    # Reported, not asserted: a wall-clock bound fails on a busy machine. `pytest -rP` shows it.
    print(f"{path.parent.name}: restart and run all took {seconds:.1f} s")
    record_property("run_all_seconds", round(seconds, 1))
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and cell.cell_type == "code":
            stderr = [o.text for o in cell.outputs if o.output_type == "stream" and o.name == "stderr"]
            assert not stderr, f"test cell {meta['grade_id']} writes to stderr, which nbgrader scores 0: {stderr}"
