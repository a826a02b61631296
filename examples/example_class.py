"""The bundled example class: one submission per must-catch bug, built from the release.

``examples/<assignment>/<student>.py`` describes one submission:

* ``SOLUTIONS``: grade id -> the whole source of that solution cell as the
  student wrote it. Solution cells not listed get the reference solution.
* ``EDITS``: grade id -> list of ``(old, new)`` replacements applied to the
  reference solution of that cell; each ``old`` must occur exactly once. A bug
  that is one line of a long function is written as that one line, and stays
  in step with the reference.
* ``EXPECTED_FAILURES``: the grade ids of the tests this submission must fail.
* ``BLANK = True``: the untouched release instead (nothing filled in).
* ``MANUAL_SCORES``: grade id -> points for the written answers; by default the
  reference answers are given full marks, as an instructor would in formgrader.

Building from the release (not from stored notebooks) keeps the examples in
step with the assignment whenever the source changes.
"""

import runpy
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from autograder.coursedir.nbgrader_api import GradingError
from autograder.coursedir.release import assignments, release, write_submission
from autograder.grading.autograde import generate_feedback
from autograder.grading.batch import grade_class
from autograder.grading.options import GradingOptions
from autograder.grading.reports import write_grades_csv
from autograder.grading.results import results, set_manual_grades
from autograder.sandbox.kernel import bwrap_available
from autograder.settings import REPO_ROOT, SOURCE_DIR

# Outside the `autograder` package: the sandbox mounts that package, and the
# examples hold solutions.
EXAMPLES_DIR = REPO_ROOT / "examples"


@dataclass
class Example:
    """One example submission (see the module docstring for the file format)."""

    student: str
    assignment: str
    doc: str
    solutions: dict = field(default_factory=dict)
    edits: dict = field(default_factory=dict)
    expected_failures: set = field(default_factory=set)
    blank: bool = False
    manual_scores: dict = None


def load_examples(assignment):
    """All example submissions of ``assignment``, sorted by student name."""
    out = []
    for path in sorted((EXAMPLES_DIR / assignment).glob("*.py")):
        spec = runpy.run_path(str(path))
        out.append(Example(
            student=path.stem, assignment=assignment, doc=(spec.get("__doc__") or "").strip(),
            solutions=spec.get("SOLUTIONS", {}), edits=spec.get("EDITS", {}), expected_failures=set(spec.get("EXPECTED_FAILURES", ())),
            blank=spec.get("BLANK", False), manual_scores=spec.get("MANUAL_SCORES")))
    return out


def _edited(source, edits, where):
    for old, new in edits:
        if source.count(old) != 1:
            raise ValueError(f"{where}: the edit's old text occurs {source.count(old)} times in the "
                             f"reference solution, not once: {old!r}")
        source = source.replace(old, new)
    return source


def build_submission(example, root):
    """Write the example's notebooks to ``<root>/submitted/<student>/<assignment>/``.

    Returns
    -------
    dict
        grade id -> points of the written answers to record as manual grades.
    """
    unused = set(example.solutions) | set(example.edits)

    def fill(grade_id, reference, cell):
        if example.blank:
            return None
        unused.discard(grade_id)
        if grade_id in example.solutions:
            return example.solutions[grade_id].strip("\n")
        return _edited(reference, example.edits.get(grade_id, ()), f"{example.student}/{grade_id}")

    written = write_submission(root, example.assignment, example.student, fill)
    if unused:
        raise ValueError(f"{example.student}: no solution cell named {sorted(unused)} in {example.assignment}")
    if example.manual_scores is not None:
        return dict(example.manual_scores)
    return {cell.metadata["nbgrader"]["grade_id"]: cell.metadata["nbgrader"]["points"] for cell in written
            if cell.metadata["nbgrader"].get("grade") and cell.cell_type == "markdown"}


def grade_examples(root, assignment, progress=True):
    """Build, autograde and manually grade every example submission of ``assignment``.

    ``root`` must be a course directory whose release is already generated.
    Grading goes through :func:`grade_class`, as an instructor's
    ``grade`` command does: in parallel, with a progress bar if ``progress``.

    Returns
    -------
    list of (Example, SubmissionResult)
    """
    examples = load_examples(assignment)
    manual = {example.student: build_submission(example, root) for example in examples}
    # The example class is the course's own code: without bubblewrap the demo
    # grades it unsandboxed (and says so in every row) rather than refuse.
    options = GradingOptions(force=True, progress=progress, sandbox=bwrap_available())
    report = grade_class(root, assignment, options=options)
    if report.errors:
        raise GradingError(f"example submissions of {assignment} could not be graded: {report.errors}")
    for student, scores in manual.items():
        if scores:
            set_manual_grades(root, assignment, student, scores)
    by_student = {r.student: r for r in results(root, assignment)}
    return [(example, by_student[example.student]) for example in examples]


DEMO_MARK = ".demo-class"


def grade_example_class(root, names=None, progress=True):
    """Make a scratch course at ``root`` and grade every example class in it.

    Copies ``source/``, releases it, autogrades the examples, records their
    manual grades, writes feedback HTML (again, now with the manual grades)
    and ``<root>/grades.csv``. A ``root`` that exists must be one this
    function made (it is replaced), so pointing it at a real course by
    mistake cannot wipe a gradebook.

    Returns
    -------
    list of (Example, SubmissionResult)
    """
    root = Path(root).resolve()
    if root.exists():
        if not (root / DEMO_MARK).exists():
            raise GradingError(
                f"{root} exists and was not made by the demo: choose another folder for the example class")
        shutil.rmtree(root)
    shutil.copytree(REPO_ROOT / SOURCE_DIR, root / SOURCE_DIR)
    (root / DEMO_MARK).touch()
    names = names or assignments(root)
    release(root, names)
    graded = []
    for assignment in names:
        graded += grade_examples(root, assignment, progress)
        generate_feedback(root, assignment)
    write_grades_csv([result for _, result in graded], root / "grades.csv")
    return graded
