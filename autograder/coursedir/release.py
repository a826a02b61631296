"""Release: generate the student notebooks from ``source/`` and prove nothing leaked.

A release is refused, and the previous one stays in place, when:

* a cell holds a line that looks like a marker but is not one (``### BEGIN
  SOLUTON``): nbgrader would not see it and would blank the whole cell, or
  release the solution;
* a hidden test uses ``np.testing.assert_*`` or a plain ``assert``: their
  failure messages print the expected values (see "Writing hidden tests" in
  the README); hidden tests judge with ``checks.expect*``, whose messages the
  author writes;
* a line of a solution or of a hidden test shows anywhere in the released
  notebook, in any cell (locked, visible test, markdown), not only the cell it
  came from;
* nbgrader fails, for example because the gradebook holds graded submissions
  of an assignment whose cells changed: the message says how to discard those
  grades (:func:`discard_grades`) when they were a trial.
"""

import ast
import difflib
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat

from autograder.coursedir.nbgrader_api import GradingError, api, checked
from autograder.settings import RELEASE_DIR, REPO_ROOT, SOURCE_DIR, db_url

SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")
HIDDEN_MARKERS = ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
MARKERS = SOLUTION_MARKERS + HIDDEN_MARKERS
# A line meant as a marker: a comment that opens with BEGIN or END, or that names
# a solution or hidden tests, in any case and spacing.
# A comment line that is nothing but a few words close to a marker's
# ("### BEGIN SOLUTON", "## BEGIN SOLUTION", "# end solution") is a typo of one;
# a sentence that mentions hidden tests is not.
_MARKER_WORDS = tuple(marker.lstrip("#").strip().lower() for marker in SOLUTION_MARKERS + HIDDEN_MARKERS)


def _looks_like_marker(stripped):
    if not stripped.startswith("#"):
        return False
    words = stripped.lstrip("#").strip().lower()
    if not 2 <= len(words.split()) <= 3 and not (len(words.split()) == 1 and len(words) > 10):
        return False   # "# solution" is a comment; "#beginsolution" and "## BEGIN SOLUTION" are typos
    return bool(difflib.get_close_matches(words, _MARKER_WORDS, n=1, cutoff=0.75))


# Solution lines that say nothing by themselves (`return p`, `else:`, `"""`).
_TRIVIAL = re.compile(r"^(return|yield|pass|break|continue|else:|try:|finally:)?\s*[\w.]*\s*[:)\]}\"']*$")


def assignments(root=REPO_ROOT):
    """Names of the assignments in ``<root>/source``, in course order."""
    return sorted(p.name for p in (Path(root) / SOURCE_DIR).iterdir()
                  if p.is_dir() and any(p.glob("*.ipynb")))


@dataclass(frozen=True)
class Points:
    """An assignment's points, read from the nbgrader metadata of its source notebooks."""

    autograded: float
    written: float

    @property
    def total(self):
        return self.autograded + self.written


def points(assignment, root=REPO_ROOT):
    """The points of ``assignment``: tests (autograded) and written answers (graded by a person)."""
    autograded = written = 0.0
    for path in sorted((Path(root) / SOURCE_DIR / assignment).glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade"):
                if meta.get("solution"):
                    written += float(meta.get("points", 0))
                else:
                    autograded += float(meta.get("points", 0))
    return Points(autograded, written)


def _grade_id(cell):
    return cell.metadata.get("nbgrader", {}).get("grade_id") or f"a {cell.cell_type} cell without grade id"


def _regions(source):
    """``[(kind, [(line number, stripped line)])]`` of each solution and hidden-test region of a cell."""
    regions, inside = [], None
    for number, line in enumerate(source.splitlines(), start=1):
        stripped = line.strip()
        if stripped in (SOLUTION_MARKERS[0], HIDDEN_MARKERS[0]):
            inside = "solution" if stripped == SOLUTION_MARKERS[0] else "hidden test"
            regions.append((inside, []))
        elif stripped in (SOLUTION_MARKERS[1], HIDDEN_MARKERS[1]):
            inside = None
        elif inside and stripped:
            regions[-1][1].append((number, stripped))
    return regions


def _unmarked_lines(source):
    """Lines outside every solution and hidden-test region: what the release keeps."""
    inside, lines = False, set()
    for line in source.splitlines():
        stripped = line.strip()
        if stripped in (SOLUTION_MARKERS[0], HIDDEN_MARKERS[0]):
            inside = True
        elif stripped in (SOLUTION_MARKERS[1], HIDDEN_MARKERS[1]):
            inside = False
        elif not inside and stripped:
            lines.add(stripped)
    return lines


def marker_problems(nb):
    """Marker typos and unbalanced markers in an instructor's notebook, one line each (empty when sound)."""
    problems = []
    for cell in nb.cells:
        open_marker = None
        for number, line in enumerate(cell.source.splitlines(), start=1):
            stripped = line.strip()
            where = f"{_grade_id(cell)}, line {number}"
            if stripped in MARKERS:
                kind = MARKERS.index(stripped) // 2
                if stripped.startswith("### BEGIN"):
                    if open_marker is not None:
                        problems.append(f"{where}: {stripped!r} inside an open {MARKERS[open_marker * 2]!r}")
                    open_marker = kind
                elif open_marker != kind:
                    problems.append(f"{where}: {stripped!r} closes nothing")
                else:
                    open_marker = None
            elif _looks_like_marker(stripped):
                guess = difflib.get_close_matches(stripped, MARKERS, n=1, cutoff=0.5)
                problems.append(f"{where}: {stripped!r} looks like a marker but is not one"
                                + (f"; did you mean {guess[0]!r}?" if guess else
                                   f"; the markers are {', '.join(map(repr, MARKERS))}"))
        if open_marker is not None:
            problems.append(f"{_grade_id(cell)}: {MARKERS[open_marker * 2]!r} is never closed")
    return problems


def revealing_asserts(nb):
    """Hidden-test lines whose failure message would show an expected value, one line each.

    ``np.testing.assert_*`` prints ``ACTUAL`` and ``DESIRED``; a plain
    ``assert`` shows its message, or the learner's code its context. Hidden
    tests judge with ``checks.expect``/``checks.expect_close`` and a message
    that names the likely mistake.
    """
    found = []
    for cell in nb.cells:
        hidden = {number for kind, lines in _regions(cell.source) if kind == "hidden test" for number, _ in lines}
        if not hidden:
            continue
        code = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in cell.source.splitlines())
        try:
            tree = ast.parse(code)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if getattr(node, "lineno", None) not in hidden:
                continue
            if isinstance(node, ast.Assert):
                found.append(f"{_grade_id(cell)}, line {node.lineno}: a plain `assert` in a hidden test")
            elif isinstance(node, ast.Call) and re.search(r"(^|\.)testing\.assert_|^assert_\w+$",
                                                          ast.unparse(node.func)):
                found.append(f"{_grade_id(cell)}, line {node.lineno}: `{ast.unparse(node.func)}` in a hidden test "
                             "prints the expected value when it fails")
    return found


def release_leaks(source_nb, release_nb):
    """What of the instructor's notebook shows in the student's one.

    Every line of a solution or hidden test is looked for in every released
    cell. A solution line counts unless it says nothing by itself (``return
    p``), wherever else ``source/`` has it: a solution line written again
    outside the markers is a leak. A hidden-test line counts unless a code
    cell of ``source/`` shows it outside the markers too (tests repeat ``p =
    checks.call(...)``, their hints, and provided code such as ``m =
    len(X)``): what a hidden test keeps secret is its inputs and expected
    values, not the calls it shares with the visible code.

    Parameters
    ----------
    source_nb, release_nb : nbformat.NotebookNode

    Returns
    -------
    list of str
        One line per leak: a marker, or a line of a solution or hidden test
        that appears in a released cell. Empty when the release is clean.
    """
    all_text = "\n".join(cell.source for cell in release_nb.cells)
    leaks = [f"marker {m!r} is in the release" for m in MARKERS if m in all_text]
    shown_code = set()
    for cell in source_nb.cells:
        if cell.cell_type == "code":
            shown_code |= _unmarked_lines(cell.source)
    released = [(_grade_id(cell), {line.strip() for line in cell.source.splitlines()}) for cell in release_nb.cells]
    for cell in source_nb.cells:
        for kind, lines in _regions(cell.source):
            for _, line in lines:
                if kind == "solution" and _TRIVIAL.match(line):
                    continue
                if kind == "hidden test" and (line in shown_code or _TRIVIAL.match(line)):
                    continue
                shown = [grade_id for grade_id, cell_lines in released if line in cell_lines]
                if shown:
                    leaks.append(f"{_grade_id(cell)}: {kind} line {line!r} is in the release "
                                 f"(in {', '.join(shown)})")
    return leaks


def _source_problems(path):
    nb = nbformat.read(path, as_version=4)
    return marker_problems(nb) + revealing_asserts(nb)


def graded_submissions(name, root=REPO_ROOT, db=None):
    """How many submissions of assignment ``name`` the gradebook holds (0 if none, or no gradebook)."""
    from nbgrader.api import Gradebook, MissingEntry

    url = db_url(root, db)
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file():
        return 0
    with Gradebook(url) as gradebook:
        try:
            return len(gradebook.find_assignment(name).submissions)
        except MissingEntry:
            return 0


def discard_grades(name, root=REPO_ROOT, db=None):
    """Delete assignment ``name`` and every grade of it from the gradebook (files on disk stay).

    What ``nbgrader db assignment remove NAME --force`` does. Returns the
    number of submissions whose grades were deleted.
    """
    from nbgrader.api import Gradebook, MissingEntry

    count = graded_submissions(name, root, db)
    with Gradebook(db_url(root, db)) as gradebook:
        try:
            gradebook.remove_assignment(name)
        except MissingEntry:
            pass
    return count


def _cells_changed_message(name, count):
    return (f"source/{name} adds or removes graded cells, and the gradebook already holds {count} graded "
            f"submission(s) of {name}. nbgrader keeps the cells of a graded assignment fixed. If those grades "
            f"were a trial, discard them and release again:\n"
            f"  python -m autograder release {name} --discard-grades\n"
            f"(this deletes the gradebook's grades of {name}, manual grades included; the submitted notebooks "
            f"stay on disk: grade them again with `grade {name} --force`). The previous release is unchanged.")


def release(root=REPO_ROOT, names=None, db=None, discard=False):
    """Generate ``<root>/notebooks/<assignment>`` from ``<root>/source`` and verify it.

    Each assignment is released into its folder only if every check passes;
    otherwise the folder is left as it was.

    Parameters
    ----------
    root : path
        The course folder.
    names : list of str, optional
        The assignments (default: all of ``source/``).
    db : str, optional
        The gradebook URL to register the assignment in (default:
        :func:`autograder.settings.db_url`).
    discard : bool
        Delete the assignments' grades from the gradebook first
        (:func:`discard_grades`): after a trial grading, to change cells.

    Returns
    -------
    list of Path
        The released notebooks.

    Raises
    ------
    GradingError
        If a check fails or nbgrader does; the message says what to change.
    """
    root = Path(root)
    nbgrader = api(root, overrides={"CourseDirectory": {"db_url": db}} if db else None)
    written = []
    for name in names or assignments(root):
        if not (root / SOURCE_DIR / name).is_dir():
            raise GradingError(f"no assignment {name!r} in {root / SOURCE_DIR}: "
                               f"choose one of {', '.join(assignments(root))}")
        sources = sorted((root / SOURCE_DIR / name).glob("*.ipynb"))
        problems = [f"{path.name}: {p}" for path in sources for p in _source_problems(path)]
        if problems:
            raise GradingError(f"source/{name} cannot be released; nothing changed:\n  " + "\n  ".join(problems))
        if discard:
            discard_grades(name, root, db)
        target = root / RELEASE_DIR / name
        with tempfile.TemporaryDirectory(prefix=".release-backup-", dir=root) as tmp:
            previous = Path(tmp) / "previous"
            if target.exists():
                shutil.copytree(target, previous, symlinks=True)
            try:
                try:
                    checked(nbgrader.generate_assignment(name, force=True, create=True), f"releasing {name}")
                except GradingError as err:
                    if "Cannot add or remove cells" in str(err):
                        raise GradingError(_cells_changed_message(name, graded_submissions(name, root, db))) \
                            from None
                    raise
                for source_path in sources:
                    release_path = target / source_path.name
                    leaks = release_leaks(nbformat.read(source_path, as_version=4),
                                          nbformat.read(release_path, as_version=4))
                    if leaks:
                        raise GradingError(f"{release_path} would leak instructor content; the previous release "
                                           "is kept:\n  " + "\n  ".join(leaks))
                    written.append(release_path)
            except BaseException:
                shutil.rmtree(target, ignore_errors=True)
                if previous.exists():
                    shutil.copytree(previous, target, symlinks=True)
                raise
    return written


def strip_solution_markers(source):
    """The solution as a student would have typed it: the source without markers."""
    return "\n".join(line for line in source.splitlines() if line.strip() not in SOLUTION_MARKERS)


def _cells_by_id(nb):
    return {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("grade_id")}


def write_submission(root, assignment, student, fill=None):
    """Write a submission built from the release to ``<root>/submitted/<student>/<assignment>/``.

    Each solution cell of the released notebooks gets what ``fill`` returns
    for it; by default the reference solution from ``source/``, without its
    markers: the submission of a student who wrote the instructor's solution.

    Parameters
    ----------
    root : path
        A course folder whose ``notebooks/<assignment>`` is released.
    fill : callable, optional
        ``fill(grade_id, reference, cell) -> str or None``: the cell's new
        source (``reference`` is the marker-free reference solution), or
        None to leave the released cell as it is.

    Returns
    -------
    list of nbformat.NotebookNode
        The solution cells written, with their new source.
    """
    root = Path(root)
    fill = fill or (lambda grade_id, reference, cell: reference)
    out_dir = root / "submitted" / student / assignment
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for release_path in sorted((root / RELEASE_DIR / assignment).glob("*.ipynb")):
        nb = nbformat.read(release_path, as_version=4)
        reference = _cells_by_id(nbformat.read(root / SOURCE_DIR / assignment / release_path.name, as_version=4))
        for grade_id, cell in _cells_by_id(nb).items():
            if not cell.metadata["nbgrader"].get("solution"):
                continue
            source = fill(grade_id, strip_solution_markers(reference[grade_id].source), cell)
            if source is not None:
                cell.source = source
                written.append(cell)
        nbformat.write(nb, out_dir / release_path.name)
    return written

