"""Scratch courses and hand-made submissions for the grading tests."""

import shutil

import nbformat
from conftest import REPO_ROOT

from autograder.coursedir.release import release
from autograder.grading.autograde import autograde
from autograder.grading.results import results
from autograder.sandbox.kernel import bwrap_available
from autograder.settings import RELEASE_DIR, SOURCE_DIR
from examples.example_class import build_submission, load_examples

ASSIGNMENT = "01_softmax_regression"
NOTEBOOK = "softmax_regression.ipynb"
# Grading a class requires bubblewrap unless told otherwise; tests that are not
# about the sandbox grade without it where it is missing (tests/test_no_bwrap.py).
SANDBOX = bwrap_available()
NO_SANDBOX_FLAG = [] if SANDBOX else ["--no-sandbox"]


def make_course(root, assignment=ASSIGNMENT):
    """A course folder with ``assignment`` (by default assignment 1) released and registered in its gradebook."""
    shutil.copytree(REPO_ROOT / SOURCE_DIR / assignment, root / SOURCE_DIR / assignment)
    release(root, [assignment])
    return root


def submit(root, student, cells=None, attack=None):
    """Submit the blank release with some solution cells replaced.

    ``cells`` maps grade ids to new sources; ``attack`` is code appended to the
    first solution cell, so it runs before every test cell.
    """
    nb = nbformat.read(root / RELEASE_DIR / ASSIGNMENT / NOTEBOOK, as_version=4)
    cells = dict(cells or {})
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in cells:
            cell.source = cells[grade_id]
    if attack is not None:
        target = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "code")
        target.source = target.source + "\n" + attack
    folder = root / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / NOTEBOOK)
    return folder / NOTEBOOK


def submit_example(root, name):
    example = next(ex for ex in load_examples(ASSIGNMENT) if ex.student == name)
    build_submission(example, root)


def grade(root, student, engine="trusted", overrides=None):
    autograde(root, ASSIGNMENT, student, engine, overrides)
    return {r.student: r for r in results(root, ASSIGNMENT)}[student]


def autograded_outputs(root, student):
    """grade id -> text of the outputs of that cell in the autograded notebook."""
    nb = nbformat.read(root / "autograded" / student / ASSIGNMENT / NOTEBOOK, as_version=4)
    out = {}
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id and cell.cell_type == "code":
            out[grade_id] = "".join(o.get("text", "") + o.get("evalue", "") for o in cell.outputs)
    return out


def fork_bomb(child_seconds):
    """Python source that forks until refused, then prints how many children it made.

    Each child closes its output and sleeps ``child_seconds``, so the run ends
    when the parent does and the children are still alive while it counts.
    """
    return f"""
import os, time
n = 0
try:
    while True:
        if os.fork() == 0:
            os.close(1)
            os.close(2)
            time.sleep({child_seconds})
            os._exit(0)
        n += 1
except OSError:
    print(n)
"""
