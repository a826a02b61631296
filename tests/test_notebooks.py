"""Every instructor notebook runs top to bottom, solutions in, without an error."""

import nbformat
import pytest
from nbclient import NotebookClient

from autograder.settings import SOURCE_DIR
from conftest import REPO_ROOT

NOTEBOOKS = sorted((REPO_ROOT / SOURCE_DIR).glob("*/*.ipynb"))


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.parent.name)
def test_reference_notebook_runs_top_to_bottom(path):
    nb = nbformat.read(path, as_version=4)
    # Raises CellExecutionError, with the cell and its traceback, on the first error.
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and cell.cell_type == "code":
            stderr = [o.text for o in cell.outputs if o.output_type == "stream" and o.name == "stderr"]
            assert not stderr, f"test cell {meta['grade_id']} writes to stderr, which nbgrader scores 0: {stderr}"
