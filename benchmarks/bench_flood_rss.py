"""Peak memory of the grader, and the stored sizes, for a hand-in that floods its output or its markdown.

The hand-in is the blank release of assignment 1 with 1,000 extra cells,
each printing 199,000 characters (just under what one cell may keep): 0.2 MB
of notebook asking for 200 MB of output. With ``--markdown huge`` it is one
markdown cell of 50 MB instead, with ``--markdown cells`` 10,000 small
markdown cells. The grading (nbgrader autograde with the trusted engine, then
the feedback page) runs in a child process; this prints its peak resident
memory and the sizes of the autograded notebook and the feedback page.

    .venv/bin/python benchmarks/bench_flood_rss.py [--markdown huge|cells]
"""

import argparse

import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

from autograder.coursedir.release import release
from autograder.settings import RELEASE_DIR, SOURCE_DIR

REPO = Path(__file__).resolve().parents[1]
ASSIGNMENT, NOTEBOOK, CELLS = "01_softmax_regression", "softmax_regression.ipynb", 1000

GRADE = f"""
from autograder.grading.autograde import autograde, generate_feedback
autograde({{root!r}}, {ASSIGNMENT!r}, "flood")
generate_feedback({{root!r}}, {ASSIGNMENT!r}, "flood")
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", choices=["huge", "cells"], help="flood markdown instead of output")
    markdown = parser.parse_args().markdown
    root = Path(tempfile.mkdtemp(prefix="nn-flood-"))
    try:
        shutil.copytree(REPO / SOURCE_DIR / ASSIGNMENT, root / SOURCE_DIR / ASSIGNMENT)
        release(root, [ASSIGNMENT])
        nb = nbformat.read(root / RELEASE_DIR / ASSIGNMENT / NOTEBOOK, as_version=4)
        first_test = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade"))
        if markdown == "huge":
            nb.cells.insert(first_test, nbformat.v4.new_markdown_cell("*lorem* ipsum " * 3_600_000))
        elif markdown == "cells":
            for i in range(10_000):
                nb.cells.insert(first_test, nbformat.v4.new_markdown_cell(f"note {i}: *lorem* ipsum dolor sit amet"))
        else:
            for _ in range(CELLS):
                nb.cells.insert(first_test, nbformat.v4.new_code_cell("print('x' * 199_000)"))
        folder = root / "submitted" / "flood" / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / NOTEBOOK)
        handed_in = (folder / NOTEBOOK).stat().st_size
        subprocess.run([sys.executable, "-c", GRADE.format(root=str(root))], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        stored = (root / "autograded" / "flood" / ASSIGNMENT / NOTEBOOK).stat().st_size
        page = (root / "feedback" / "flood" / ASSIGNMENT / NOTEBOOK.replace(".ipynb", ".html")).stat().st_size
        what = {"huge": "one 50 MB markdown cell", "cells": "10,000 markdown cells"}.get(markdown,
                                                                                    f"{CELLS} flooding cells")
        print(f"hand-in {handed_in / 1e6:.2f} MB, {what}: grader peak RSS {peak_mb:.0f} MB, "
              f"autograded notebook {stored / 1e6:.1f} MB, feedback page {page / 1e6:.1f} MB")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
