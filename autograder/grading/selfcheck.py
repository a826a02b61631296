"""Self-check: grade one learner's notebook offline, with the hidden tests, without any gradebook."""

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import nbformat

from autograder.coursedir.nbgrader_api import GradingError, api, checked
from autograder.coursedir.release import assignments
from autograder.grading.autograde import autograde
from autograder.grading.canary import check_environment
from autograder.grading.results import results
from autograder.settings import REPO_ROOT, SOURCE_DIR, with_course_limits


def failure_messages(notebook_path):
    """grade id -> what the learner should read, for each test cell that failed.

    A check's own message is given as it is; any other error as ``Name: text``.
    Tracebacks are left out: they would show the code of hidden tests.
    """
    nb = nbformat.read(notebook_path, as_version=4)
    messages = {}
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        for output in cell.get("outputs", []) if grade_id else ():
            if output.output_type == "error":
                text = output.evalue if output.ename == "CheckFailure" else f"{output.ename}: {output.evalue}"
                messages[grade_id] = text
                break
            if output.output_type == "stream" and output.name == "stderr":
                first = output.text.strip().splitlines()[0] if output.text.strip() else ""
                messages[grade_id] = f"the test cell wrote to stderr, which nbgrader counts as a failure: {first}"
    return messages


def _assignment_of(notebook_path, root=REPO_ROOT):
    """The assignment a learner's notebook belongs to, from its folder or its file name."""
    by_folder = Path(root) / SOURCE_DIR / notebook_path.parent.name / notebook_path.name
    if by_folder.is_file():
        return notebook_path.parent.name
    matches = sorted(p.parent.name for p in (Path(root) / SOURCE_DIR).glob(f"*/{notebook_path.name}"))
    if len(matches) == 1:
        return matches[0]
    names = ", ".join(f"{a}/{p.name}" for a in assignments(root)
                      for p in sorted((Path(root) / SOURCE_DIR / a).glob("*.ipynb")))
    raise GradingError(f"{notebook_path.name} is not a notebook of this course; the course has {names}. "
                       "Keep the file name of the released notebook.")


def check_notebook(notebook_path, overrides=None):
    """Grade one learner notebook offline, without touching any gradebook.

    Runs the same visible and hidden tests as the instructor's grading in a
    scratch course that is deleted afterwards, after checking that the
    reference solution scores full marks here (:mod:`autograder.grading.canary`):
    a broken environment must not tell a learner their correct code is wrong.
    Without bubblewrap, it runs unsandboxed: the code is the learner's own.

    Parameters
    ----------
    notebook_path : path
    overrides : dict, optional
        nbgrader configuration merged on top, as for :func:`autograder.grading.autograde.autograde`.

    Returns
    -------
    (SubmissionResult, dict)
        The scores, and grade id -> message for each failed test.
    """
    path = Path(notebook_path).resolve()
    if not path.is_file():
        raise GradingError(f"{path} does not exist")
    try:
        nbformat.validate(nbformat.read(path, as_version=4))
    except Exception as err:  # nbformat raises several unrelated types for bad files
        raise GradingError(f"{path} is not a valid notebook ({type(err).__name__}: {str(err)[:200]}). "
                           "Open it in JupyterLab to repair it, or copy your code into a fresh copy "
                           "of the released notebook.") from err
    assignment = _assignment_of(path)
    # The course's limits (its nbgrader_config.py) hold in the scratch course too.
    overrides = with_course_limits(REPO_ROOT, overrides)
    check_environment(REPO_ROOT, assignment, overrides=overrides)
    with tempfile.TemporaryDirectory(prefix="nn-check-") as tmp:
        root = Path(tmp)
        shutil.copytree(REPO_ROOT / SOURCE_DIR / assignment, root / SOURCE_DIR / assignment)
        checked(api(root).generate_assignment(assignment, force=True, create=True), f"preparing {assignment}")
        (root / ".grading-seed").write_text("0")  # self-checks need no secret: same inputs every run
        target = root / "submitted" / "me" / assignment
        target.mkdir(parents=True)
        shutil.copy(path, target / path.name)
        autograde(root, assignment, "me", overrides=overrides)
        (result,) = results(root, assignment)
        messages = failure_messages(root / "autograded" / "me" / assignment / path.name)
    return result, messages


def main(argv=None):
    """``python -m autograder.grading.selfcheck NOTEBOOK``: self-check it and print the result as JSON.

    This is the check JupyterLab's Validate button runs in the full course
    (:mod:`autograder.learner.lab_validate`); stdout carries only the JSON.
    """
    parser = argparse.ArgumentParser(prog="python -m autograder.grading.selfcheck", description=main.__doc__)
    parser.add_argument("notebook")
    args = parser.parse_args(argv)
    # Whatever nbgrader, the kernel or its children print meanwhile goes to
    # stderr (at the descriptor level, so that child processes follow).
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        result, messages = check_notebook(args.notebook)
    except (GradingError, ValueError) as err:
        sys.exit(f"error: {err}")
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
    result.messages = messages
    print(json.dumps(result.to_dict()))


if __name__ == "__main__":
    main()
