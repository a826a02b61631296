"""Release: generate the student notebooks from ``source/`` and prove nothing leaked."""

from pathlib import Path

import nbformat

from autograder.coursedir.nbgrader_api import GradingError, api, checked
from autograder.settings import RELEASE_DIR, REPO_ROOT, SOURCE_DIR

SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")
HIDDEN_MARKERS = ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")


def assignments(root=REPO_ROOT):
    """Names of the assignments in ``<root>/source``, in course order."""
    return sorted(p.name for p in (Path(root) / SOURCE_DIR).iterdir()
                  if p.is_dir() and any(p.glob("*.ipynb")))



def _marked_lines(source, markers):
    """Lines strictly between each pair of ``markers`` in a cell's source."""
    inside, lines = False, []
    for line in source.splitlines():
        stripped = line.strip()
        if stripped == markers[0]:
            inside = True
        elif stripped == markers[1]:
            inside = False
        elif inside and stripped:
            lines.append(stripped)
    return lines


def release_leaks(source_nb, release_nb):
    """What of the instructor's notebook shows in the student's one.

    Parameters
    ----------
    source_nb, release_nb : nbformat.NotebookNode

    Returns
    -------
    list of str
        One line per leak: a solution or hidden-test marker, or a line of a
        solution or hidden test that appears in a released cell. Empty when
        the release is clean.
    """
    released = {cell.metadata.get("nbgrader", {}).get("grade_id"): cell.source
                for cell in release_nb.cells}
    all_text = "\n".join(cell.source for cell in release_nb.cells)
    leaks = [f"marker {m!r} is in the release" for m in SOLUTION_MARKERS + HIDDEN_MARKERS if m in all_text]
    for cell in source_nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        released_lines = {line.strip() for line in released.get(grade_id, "").splitlines()}
        for markers, kind in ((SOLUTION_MARKERS, "solution"), (HIDDEN_MARKERS, "hidden test")):
            for line in _marked_lines(cell.source, markers):
                # A line may also stand in the visible part of the cell (a test
                # repeats `p = checks.call(...)`); only lines the release should
                # not have count.
                if line in released_lines and line not in _unmarked_lines(cell.source):
                    leaks.append(f"{grade_id}: {kind} line {line!r} is in the release")
    return leaks


def _unmarked_lines(source):
    """Lines outside every solution and hidden-test region: what the release keeps."""
    markers = {m: True for m in SOLUTION_MARKERS[:1] + HIDDEN_MARKERS[:1]}
    markers.update({m: False for m in SOLUTION_MARKERS[1:] + HIDDEN_MARKERS[1:]})
    inside, lines = False, set()
    for line in source.splitlines():
        stripped = line.strip()
        if stripped in markers:
            inside = markers[stripped]
        elif not inside:
            lines.add(stripped)
    return lines


def release(root=REPO_ROOT, names=None, db=None):
    """Generate ``<root>/notebooks/<assignment>`` from ``<root>/source`` and verify it.

    ``db`` is the gradebook URL to register the assignment in (default:
    :func:`autograder.settings.db_url`).

    Returns
    -------
    list of Path
        The released notebooks.

    Raises
    ------
    GradingError
        If nbgrader fails or a released notebook leaks a solution or hidden test.
    """
    root = Path(root)
    nbgrader = api(root, overrides={"CourseDirectory": {"db_url": db}} if db else None)
    written = []
    for name in names or assignments(root):
        if not (root / SOURCE_DIR / name).is_dir():
            raise GradingError(f"no assignment {name!r} in {root / SOURCE_DIR}: "
                               f"choose one of {', '.join(assignments(root))}")
        checked(nbgrader.generate_assignment(name, force=True, create=True), f"releasing {name}")
        for source_path in sorted((root / SOURCE_DIR / name).glob("*.ipynb")):
            release_path = root / RELEASE_DIR / name / source_path.name
            leaks = release_leaks(nbformat.read(source_path, as_version=4),
                                  nbformat.read(release_path, as_version=4))
            if leaks:
                raise GradingError(f"{release_path} leaks instructor content:\n  " + "\n  ".join(leaks))
            written.append(release_path)
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

