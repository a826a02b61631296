"""Collecting submissions into nbgrader's layout, whatever shape they arrive in.

Instructors get submissions as nbgrader folders (``<student>/<assignment>/*.ipynb``)
or as an LMS download: a zip or a folder of files named after each student
(``smith_1234_5678_softmax_regression.ipynb``) or of per-student folders. Each
notebook is read, repaired where that is safe (old nbformat, renamed file,
re-typed cells), and written to ``<root>/submitted/<student>/<assignment>/``.
What cannot be repaired is reported per student, with a reason, and the other
students are collected all the same.
"""

import json
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from autograder.settings import RELEASE_DIR, SOURCE_DIR

# Canvas-style names: student, optional LATE, numeric ids, then the original name.
LMS_NAME = re.compile(r"^(?P<student>[^_]+?)(?:_LATE)?(?:_\d+)*_(?P<rest>.+)$")
MAX_NOTEBOOK_BYTES = 50 * 1024 * 1024


@dataclass
class Collected:
    """What collecting found for one student."""

    student: str
    notebooks: dict = field(default_factory=dict)   # notebook file name -> NotebookNode
    notes: list = field(default_factory=list)       # repairs made: flags for the CSV
    error: str = ""                                 # why this student cannot be graded


def _safe_id(name):
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "unnamed"


def _expected_notebooks(course_root, assignment):
    return {p.name: nbformat.read(p, as_version=4)
            for p in sorted((Path(course_root) / SOURCE_DIR / assignment).glob("*.ipynb"))}


def read_notebook(path):
    """Read a submitted notebook; returns ``(nb, notes)`` or raises ValueError with a reason."""
    size = path.stat().st_size
    if size == 0:
        raise ValueError(f"{path.name} is empty")
    if size > MAX_NOTEBOOK_BYTES:
        raise ValueError(f"{path.name} is {size // 2**20} MiB, more than a notebook of this course can be")
    try:
        nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    except Exception as err:  # nbformat raises JSON, schema and type errors alike
        raise ValueError(f"{path.name} is not a notebook (it does not parse as one: "
                         f"{type(err).__name__})") from err
    notes = []
    if not isinstance(nb, dict) or "cells" not in nb and "worksheets" not in nb:
        raise ValueError(f"{path.name} is JSON but not a notebook (no cells)")
    if nb.get("nbformat", 0) < 4:
        try:
            nb = nbformat.convert(nb, 4)
        except Exception as err:
            raise ValueError(f"{path.name} is an nbformat {nb.get('nbformat')} notebook that cannot be "
                             f"converted ({type(err).__name__})") from err
        notes.append(f"converted {path.name} from nbformat 3")
    try:
        nbformat.validate(nb)
    except nbformat.ValidationError:
        # Tolerable damage (an unknown field, say): nbgrader rewrites the cells it grades anyway.
        notes.append(f"{path.name} does not fully validate; graded as far as it goes")
    return nb, notes


def _restore_cell_types(nb, source_nb, notes):
    """Give graded cells back the type they have in the assignment (a re-typed cell)."""
    types = {c.metadata["nbgrader"]["grade_id"]: c.cell_type for c in source_nb.cells
             if c.metadata.get("nbgrader", {}).get("grade_id")}
    for i, cell in enumerate(nb.cells):
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        wanted = types.get(grade_id)
        if wanted and cell.cell_type != wanted:
            fresh = (nbformat.v4.new_code_cell if wanted == "code" else nbformat.v4.new_markdown_cell)(
                cell.source, metadata=cell.metadata)
            fresh["id"] = cell.get("id", fresh["id"])
            nb.cells[i] = fresh
            notes.append(f"cell {grade_id} was changed to {cell.cell_type}; restored as {wanted}")


def _grade_id(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _dedupe_grade_ids(nb, release_nb, notes):
    """One cell per grade id; other copies become ordinary cells.

    The copy kept is the first one after the cell that precedes it in the
    release, so a test stays after the code it tests.
    """
    order = [_grade_id(c) for c in release_nb.cells if _grade_id(c)]
    previous = dict(zip(order[1:], order[:-1]))
    positions = {}
    for i, cell in enumerate(nb.cells):
        if _grade_id(cell):
            positions.setdefault(_grade_id(cell), []).append(i)
    for grade_id, where in positions.items():
        if len(where) < 2:
            continue
        anchor = positions.get(previous.get(grade_id), [-1])[0]
        keep = next((i for i in where if i > anchor), where[0])
        for i in where:
            if i != keep:
                del nb.cells[i].metadata["nbgrader"]
        notes.append(f"{len(where) - 1} copies of cell {grade_id} were made ordinary cells")


def _restore_missing_cells(nb, release_nb, notes):
    """Put back cells of the release that the learner deleted, where they were.

    nbgrader then restores their instructor version, hidden tests included.
    (nbgrader's own ``add_missing_cells`` fails on this course's notebooks.)
    """
    grade_id = _grade_id
    present = {grade_id(c) for c in nb.cells} - {None}
    anchor = -1
    for cell in release_nb.cells:
        gid = grade_id(cell)
        if not gid:
            continue
        if gid in present:
            anchor = next(i for i, c in enumerate(nb.cells) if grade_id(c) == gid)
            continue
        restored = nbformat.from_dict(json.loads(json.dumps(cell)))
        nb.cells.insert(anchor + 1, restored)
        anchor += 1
        present.add(gid)
        notes.append(f"deleted cell {gid} was put back")


def _files(path):
    """Every file under ``path`` (a folder or a zip, unpacked to a temporary folder)."""
    return sorted(p for p in path.rglob("*") if p.is_file() and "__MACOSX" not in p.parts
                  and not p.name.startswith("."))


def _assign(files, layout_root, expected, assignment, other_assignments=()):
    """student -> the files that student handed in (notebooks and anything else).

    Files in a folder named after another of the course's assignments belong
    to that assignment (a course's own ``submitted/`` holds them all), so
    they are left out rather than taken for this one's.
    """
    found = {}
    for path in files:
        rel = path.relative_to(layout_root)
        if any(part in other_assignments for part in rel.parts[:-1]):
            continue
        if len(rel.parts) >= 3 and rel.parts[-2] == assignment:      # nbgrader: <student>/<assignment>/x.ipynb
            student = rel.parts[-3]
        elif len(rel.parts) >= 2:                                      # LMS: a folder per student
            student = rel.parts[0].split("_")[0] if "_assignsubmission_" in rel.parts[0] else rel.parts[0]
        else:                                                          # LMS: files named after students
            match = LMS_NAME.match(path.name)
            student = match.group("student") if match else path.stem
        found.setdefault(_safe_id(student), []).append(path)
    return found


def _intended_name(path, expected):
    """Which of the assignment's notebooks a file is, from its name; None if unclear."""
    if path.name in expected:
        return path.name
    for name in expected:
        if path.name.endswith(name) or path.stem.startswith(Path(name).stem):
            return name
    return next(iter(expected)) if len(expected) == 1 else None


def collect(submissions, course_root, assignment):
    """Normalise ``submissions`` into ``<course_root>/submitted/<student>/<assignment>/``.

    Parameters
    ----------
    submissions : path
        An nbgrader-style folder, an LMS folder, or a zip of either.
    course_root : path
        The course folder (its ``source/<assignment>`` names the notebooks).

    Returns
    -------
    list of Collected
        One per student found, in name order; those with ``error`` set are
        not written and should be reported, not graded.
    """
    submissions, course_root = Path(submissions), Path(course_root)
    expected = _expected_notebooks(course_root, assignment)
    if not expected:
        raise ValueError(f"no assignment {assignment!r} in {course_root / SOURCE_DIR}")
    with tempfile.TemporaryDirectory(prefix="nn-collect-") as tmp:
        if submissions.is_file() and zipfile.is_zipfile(submissions):
            with zipfile.ZipFile(submissions) as zf:
                for info in zf.infolist():   # no absolute paths or .. out of the folder
                    target = Path(tmp, info.filename).resolve()
                    if target.is_relative_to(Path(tmp).resolve()):
                        zf.extract(info, tmp)
            layout_root = Path(tmp)
        elif submissions.is_dir():
            layout_root = submissions
        else:
            raise ValueError(f"{submissions} is neither a folder nor a zip file of submissions")
        files = _files(layout_root)
        others = {p.name for p in (course_root / SOURCE_DIR).iterdir() if p.is_dir()} - {assignment}
        out = []
        for student, paths in sorted(_assign(files, layout_root, expected, assignment, others).items()):
            notebooks = [p for p in paths if p.suffix == ".ipynb"]
            result = _collect_student(student, notebooks, expected, course_root, assignment, layout_root)
            extra = len(paths) - len(notebooks)
            if extra:
                result.notes.append(f"{extra} files that are not notebooks were ignored")
            out.append(result)
    return out


def _collect_student(student, paths, expected, course_root, assignment, layout_root):
    result = Collected(student)
    chosen = {}
    for path in sorted(paths, key=lambda p: p.stat().st_mtime):
        name = _intended_name(path, expected)
        if name is None:
            result.notes.append(f"ignored {path.name}: not one of {', '.join(expected)}")
            continue
        if name != path.name:
            result.notes.append(f"renamed {path.name} to {name}")
        if name in chosen:
            result.notes.append(f"several files for {name}: graded the newest, {path.name}")
        chosen[name] = path
    for name in expected:
        if name not in chosen:
            result.error = f"no {name} in the submission"
            return result
    for name, path in chosen.items():
        try:
            nb, notes = read_notebook(path)
        except ValueError as err:
            result.error = str(err)
            return result
        result.notes += notes
        release = nbformat.read(Path(course_root) / RELEASE_DIR / assignment / name, as_version=4)
        _dedupe_grade_ids(nb, release, result.notes)
        _restore_cell_types(nb, expected[name], result.notes)
        _restore_missing_cells(nb, release, result.notes)
        result.notebooks[name] = nb
    target = course_root / "submitted" / student / assignment
    in_place = Path(layout_root).resolve() == (course_root / "submitted").resolve()
    if in_place:
        # The instructor's own submitted/ folder: every file this changes or
        # drops is first moved to submitted-originals/, so nothing is lost.
        keep = {path for name, path in chosen.items() if path.name == name and not result.notes}
        for path in paths:
            if path not in keep:
                backup = course_root / "submitted-originals" / path.relative_to(layout_root)
                backup.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(path, backup)
        result.notes = result.notes + ([f"originals kept in submitted-originals/{student}"]
                                       if len(keep) < len(paths) else [])
    elif target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True, exist_ok=True)
    for name, nb in result.notebooks.items():
        if not (target / name).exists():
            nbformat.write(nb, target / name)
    return result
