"""Each reference notebook executed once per test run, shared by every test that reads its outputs.

Running a notebook takes seconds to minutes; `tests/test_notebooks.py` (does it
run?) and `tests/test_prose_numbers.py` (are its numbers printed?) both need the
executed copy. Under pytest-xdist the two modules may land on different
workers, so the copy is kept on disk in the run's shared temporary folder,
under a file lock: whichever worker comes first executes, the other waits and
reads. Nothing is kept between runs.
"""

import fcntl
import hashlib
import json
import os
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def _run_folder(tmp_path_factory):
    """A folder shared by all workers of this run (pytest-xdist), or this process's own."""
    base = tmp_path_factory.getbasetemp()
    # Under xdist each worker's base is <run folder>/popen-gwN; their parent is
    # the run's. Without xdist the parent is shared by all runs: use the base.
    folder = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "executed-notebooks"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def executed(path, tmp_path_factory):
    """The notebook at ``path`` after running every cell, top to bottom, in a fresh kernel.

    Parameters
    ----------
    path : Path
        A notebook in ``source/``; it runs with its own folder as working directory.
    tmp_path_factory : pytest.TempPathFactory
        The session's, to find the run's shared folder.

    Returns
    -------
    notebook : nbformat.NotebookNode
        With outputs.
    seconds : float
        Wall-clock time of "restart and run all" (kernel start included), as
        measured by whichever worker executed it.

    Raises
    ------
    nbclient.exceptions.CellExecutionError
        On the first cell that raises, with that cell and its traceback. A
        failed run is not kept, so every test that asks sees the error.
    """
    path = Path(path)
    key = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    folder = _run_folder(tmp_path_factory)
    stored = folder / f"{path.stem}-{key}.ipynb"
    timing = stored.with_suffix(".json")
    with open(folder / f"{path.stem}-{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)   # released when the file closes
        if not stored.exists():
            nb = nbformat.read(path, as_version=4)
            started = time.perf_counter()
            NotebookClient(nb, timeout=600, kernel_name="python3",
                           resources={"metadata": {"path": str(path.parent)}}).execute()
            timing.write_text(json.dumps({"seconds": time.perf_counter() - started}))
            nbformat.write(nb, stored)
    return nbformat.read(stored, as_version=4), json.loads(timing.read_text())["seconds"]
