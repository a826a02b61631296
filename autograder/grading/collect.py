"""Collecting submissions into nbgrader's layout, whatever shape they arrive in.

Instructors get submissions as nbgrader folders (``<student>/<assignment>/*.ipynb``)
or as an LMS download, a zip or a folder, in one of the layouts of
:mod:`autograder.grading.lms` (Canvas, Moodle, Blackboard, a folder per student). Each
file says whose it is (the LMS's user id, never a display name) and when it
was handed in; the student id is that LMS id, exactly
(:func:`autograder.grading.lms.student_id`). Where a student handed in several files
for one notebook, the newest by the LMS's own order is graded, and the flag
says which and why. Each notebook is read, repaired where that is safe (old
nbformat, renamed file, re-typed cells, nbgrader metadata of the wrong type),
and written to ``<root>/submitted/<student>/<assignment>/``, with the hand-in
time in ``timestamp.txt``, where nbgrader reads it for late penalties. What
cannot be repaired is reported per student, with a reason, and the other
students are collected all the same: nothing one hand-in holds stops the
class.

Collected files are what they claim to be. A submissions folder may be
writable by students (nbgrader's exchange inbound is), so a submission is
refused, with the reason in the grades CSV, when any entry in it is not a
regular file inside the folder: a symbolic link (nbgrader's own ``collect``
follows links, and would copy the target, say ``source/``'s notebook, as the
student's work), a hard link to a file outside the folder, a device, a FIFO or
a socket. Files are opened without following links, and checked again once
open, so a file swapped for a link after the check is refused too. A zip
entry that unpacks to more than a notebook can be, or that is compressed more
than a real notebook is (a zip bomb), is refused without being unpacked.
A submission that holds instructor-only content (solution or hidden-test
markers, or a solution cell identical to the instructor's where that is more
than a one-liner) is graded but flagged for a person to look at.
"""

import json
import os
import shutil
import stat
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import timezone
from pathlib import Path

import nbformat
from nbgrader.utils import parse_utc

from autograder.grading.code_similarity import nontrivial, solution_part
from autograder.grading.inbound import is_inbound, stage_inbound
from autograder.grading.lms import identify, newest, read_moodle_worksheet, read_receipts, student_id, zip_entry_times
from autograder.settings import RELEASE_DIR, SOURCE_DIR

MAX_NOTEBOOK_BYTES = 50 * 1024 * 1024
# A zip of a class: every entry a notebook at most, the whole at most this.
MAX_UNPACKED_BYTES = 2 * 1024 ** 3
# Notebooks deflate 2-20x (base64 images, JSON); a zip bomb, 1000x and more.
# Entries under a mebibyte may be compressed any amount: they cannot hurt.
MAX_COMPRESSION_RATIO = 100
SMALL_ENTRY_BYTES = 1024 * 1024
SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")
INSTRUCTOR_MARKERS = SOLUTION_MARKERS + ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")


@dataclass
class Collected:
    """What collecting found for one student."""

    student: str                                    # the nbgrader student id
    notebooks: dict = field(default_factory=dict)   # notebook file name -> NotebookNode
    notes: list = field(default_factory=list)       # repairs made and flags: for the CSV
    error: str = ""                                 # why this student cannot be graded
    lms: str = ""                                   # the layout it came in: canvas, moodle, blackboard, folder
    lms_id: str = ""                                # the LMS's own id of the student, as it gave it
    display_name: str = ""                          # the name the LMS shows, if it gave one
    email: str = ""                                 # the student's email, if the LMS gave it
    submitted_at: object = None                     # datetime (UTC) the graded files were handed in, if known
    late: bool = False                              # the LMS marked the hand-in late


def _expected_notebooks(course_root, assignment):
    return {p.name: nbformat.read(p, as_version=4)
            for p in sorted((Path(course_root) / SOURCE_DIR / assignment).glob("*.ipynb"))}


def _read_regular_file(path, limit):
    """The bytes of ``path``, refusing anything but a regular file with one link.

    The file is opened without following a link (``O_NOFOLLOW``) and without
    blocking on a FIFO (``O_NONBLOCK``), and what was opened is checked with
    ``fstat``: a file replaced by a link after :func:`refused_entries` looked
    at it is refused all the same.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as err:
        raise ValueError(f"{path.name} cannot be opened as a plain file ({err.strerror}): "
                         "it may be a link; hand in the file itself") from err
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ValueError(f"{path.name} is not a regular file")
        if info.st_nlink > 1:
            raise ValueError(f"{path.name} is a hard link (it has {info.st_nlink} names): hand in a copy")
        if info.st_size == 0:
            raise ValueError(f"{path.name} is empty")
        if info.st_size > limit:
            raise ValueError(f"{path.name} is {info.st_size // 2**20} MiB, more than a notebook of this "
                             "course can be")
        return f.read(limit + 1)


def read_notebook(path):
    """Read a submitted notebook; returns ``(nb, notes)`` or raises ValueError with a reason."""
    data = _read_regular_file(path, MAX_NOTEBOOK_BYTES)
    try:
        nb = nbformat.reads(data.decode("utf-8"), as_version=nbformat.NO_CONVERT)
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
    _check_structure(nb, path.name, notes)
    try:
        nbformat.validate(nb)
    except nbformat.ValidationError:
        # Tolerable damage (an unknown field, say): nbgrader rewrites the cells it grades anyway.
        notes.append(f"{path.name} does not fully validate; graded as far as it goes")
    return nb, notes


NBGRADER_FIELD_TYPES = {"grade_id": str, "points": (int, float), "solution": bool, "grade": bool,
                        "locked": bool, "task": bool, "schema_version": int, "checksum": str}


def _check_structure(nb, name, notes):
    """Refuse or repair the parts of a notebook whose type is wrong, so no later step trips on them.

    A cell that is not an object, or whose source is not text, is refused (it
    cannot be graded as the learner wrote it). nbgrader metadata of the
    wrong type (``"nbgrader": "locked"``, a numeric ``grade_id``) is removed,
    which makes the cell an ordinary one; the release's version of a graded
    cell is then put back by :func:`_restore_missing_cells`.
    """
    cells = nb.get("cells")
    if not isinstance(cells, list):
        raise ValueError(f"{name} has no list of cells (its 'cells' is a {type(cells).__name__})")
    for i, cell in enumerate(cells):
        if not isinstance(cell, dict) or not isinstance(cell.get("cell_type"), str):
            raise ValueError(f"{name}: cell {i + 1} is not a notebook cell: the file was edited by hand or "
                             "damaged; hand in the notebook as Jupyter saved it")
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(line, str) for line in source):
            cell["source"] = "".join(source)
        elif not isinstance(source, str):
            raise ValueError(f"{name}: cell {i + 1}'s source is a {type(source).__name__}, not text: the file was "
                             "edited by hand or damaged; hand in the notebook as Jupyter saved it")
        if not isinstance(cell.get("metadata", {}), dict):
            cell["metadata"] = nbformat.NotebookNode()
            notes.append(f"cell {i + 1}'s metadata was not an object: removed")
        meta = cell.get("metadata", {}).get("nbgrader")
        if meta is None:
            continue
        wrong = ([] if isinstance(meta, dict) else ["nbgrader"]) or [
            key for key, kind in NBGRADER_FIELD_TYPES.items()
            if key in meta and (not isinstance(meta[key], kind) or (kind is not bool and isinstance(meta[key], bool)))]
        if wrong:
            del cell["metadata"]["nbgrader"]
            notes.append(f"cell {i + 1} had nbgrader metadata of the wrong type ({', '.join(wrong)}): made an "
                         "ordinary cell")


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


def refused_entries(folder):
    """Entries under ``folder`` that are not regular files inside it: path -> reason.

    Links are never followed. A symbolic link (to a file or a folder) is
    refused wherever it points: the target is read with the rights of the
    person grading. A hard link has no target, only several names for one
    file, so the rule is: a file with more names (``st_nlink``) than it has
    inside ``folder`` shares its contents with a file elsewhere (``source/``'s
    notebook, say) and is refused; links between files of the folder itself
    are harmless. Devices, FIFOs and sockets are refused. Hidden files count:
    nbgrader copies them into the autograded folder and the sandbox.
    """
    folder = Path(folder)
    root = folder.resolve()
    refused, regular, names_inside = {}, [], {}
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        for name in dirnames + filenames:
            path = Path(dirpath, name)
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                refused[path] = f"{path.name} is a symbolic link (to {os.readlink(path)}): hand in the file itself"
            elif stat.S_ISDIR(info.st_mode):
                continue
            elif not stat.S_ISREG(info.st_mode):
                kind = ("a FIFO" if stat.S_ISFIFO(info.st_mode) else "a socket" if stat.S_ISSOCK(info.st_mode)
                        else "a device")
                refused[path] = f"{path.name} is {kind}, not a file"
            elif not path.resolve().is_relative_to(root):
                refused[path] = f"{path.name} resolves to {path.resolve()}, outside the submissions folder"
            else:
                regular.append((path, info))
                key = (info.st_dev, info.st_ino)
                names_inside[key] = names_inside.get(key, 0) + 1
    for path, info in regular:
        if info.st_nlink > names_inside[(info.st_dev, info.st_ino)]:
            refused[path] = (f"{path.name} is a hard link to a file outside the submissions folder "
                             f"({info.st_nlink} names, {names_inside[(info.st_dev, info.st_ino)]} inside): "
                             "hand in a copy")
    return refused


def _files(path):
    """Every file under ``path`` that may be graded: no hidden files, no macOS resource forks."""
    return sorted(p for p in path.rglob("*") if not p.is_symlink() and p.is_file()
                  and "__MACOSX" not in p.parts and not p.name.startswith("."))


def _unpack(archive, into):
    """Unpack a zip of submissions into ``into``; returns entry path -> reason for entries refused.

    Entries with ``..`` or an absolute path are skipped (they would land
    outside ``into``); entries larger than a notebook can be, or compressed
    more than :data:`MAX_COMPRESSION_RATIO`, are refused unread. Each entry is
    copied with a byte count, so a size that the archive misstates cannot
    unpack more than was checked.
    """
    into = Path(into).resolve()
    refused, total = {}, 0
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            target = Path(into, info.filename).resolve()
            if not target.is_relative_to(into) or info.is_dir():
                continue
            size, packed = info.file_size, max(info.compress_size, 1)
            if size > MAX_NOTEBOOK_BYTES:
                refused[target] = (f"{Path(info.filename).name} unpacks to {size // 2**20} MiB, more than a "
                                   "notebook of this course can be")
                continue
            if size > SMALL_ENTRY_BYTES and size / packed > MAX_COMPRESSION_RATIO:
                refused[target] = (f"{Path(info.filename).name} is compressed {size // packed}:1 in the zip, "
                                   f"more than {MAX_COMPRESSION_RATIO}:1 (a zip bomb?); "
                                   "unpack it yourself if it is real")
                continue
            total += size
            if total > MAX_UNPACKED_BYTES:
                raise ValueError(f"{archive} unpacks to more than {MAX_UNPACKED_BYTES // 2**30} GiB: "
                                 "unpack it yourself and pass the folder")
            target.parent.mkdir(parents=True, exist_ok=True)
            written = 0
            with zf.open(info) as src, open(target, "wb") as dst:
                while chunk := src.read(1 << 20):
                    written += len(chunk)
                    if written > size:
                        raise ValueError(f"{info.filename} in {archive} unpacks to more than its stated size: "
                                         "the zip is damaged or forged")
                    dst.write(chunk)
    return refused


def _assign(files, layout_root, assignment, other_assignments=(), entry_times=None, tz="UTC", worksheet=None):
    """student id -> the :class:`~autograder.lms.Handin` s of that student (notebooks and anything else).

    Files in a folder named after another of the course's assignments belong
    to that assignment (a course's own ``submitted/`` holds them all), so
    they are left out rather than taken for this one's. Blackboard's
    receipts are read for names, not graded.
    """
    receipts = read_receipts(files)
    found, seen = {}, []
    for path in files:
        rel = path.relative_to(layout_root)
        if any(part in other_assignments for part in rel.parts[:-1]):
            continue
        if len(rel.parts) == 1 and path.suffix == ".txt" and path.name.removesuffix(".txt") in receipts:
            continue
        handin = identify(path, layout_root, assignment, entry_times, receipts, tz)
        if worksheet is not None:
            seen.append(handin := worksheet.identify(handin))
        found.setdefault(student_id(handin.lms_id), []).append(handin)
    if worksheet is not None:
        worksheet.check_download(seen)
    return found


def _collision(handins):
    """Why these hand-ins, which map to one student id, are not one student's; "" if they are."""
    owners = {}
    for h in handins:
        owners.setdefault((h.lms, h.lms_id), h)
    if len(owners) < 2:
        return ""
    (_, first), (_, second) = list(owners.items())[:2]
    return (f"{first.shown} ({first.lms} id {first.lms_id!r}) and {second.shown} ({second.lms} id "
            f"{second.lms_id!r}) map to the same student id: rename one folder or file and grade again")


def _intended_name(name, expected):
    """Which of the assignment's notebooks a file is, from its name; None if unclear."""
    if name in expected:
        return name
    for wanted in expected:
        if name.endswith(wanted) or Path(name).stem.startswith(Path(wanted).stem):
            return wanted
    return next(iter(expected)) if len(expected) == 1 else None


def collect(submissions, course_root, assignment, tz="UTC", moodle_worksheet=None):
    """Normalise ``submissions`` into ``<course_root>/submitted/<student>/<assignment>/``.

    Parameters
    ----------
    submissions : path
        An nbgrader-style folder, an LMS download (folder or zip: see
        :mod:`autograder.grading.lms`), a zip of either, or nbgrader's
        exchange ``inbound/`` (see :mod:`autograder.grading.inbound`).
    course_root : path
        The course folder (its ``source/<assignment>`` names the notebooks).
    tz : str
        The time zone of times that carry none: zip entry dates,
        Blackboard's attempt times, a Moodle worksheet's dates.
    moodle_worksheet : path, optional
        Moodle's grading worksheet of this assignment: each participant is
        then the student of its ID number (else email address), the same in
        every assignment, handed in at its "Last modified (submission)"
        (:class:`autograder.grading.lms.MoodleWorksheet`).

    Returns
    -------
    list of Collected
        One per student found, in id order; those with ``error`` set are
        not written and should be reported, not graded.
    """
    submissions, course_root = Path(submissions), Path(course_root)
    worksheet = read_moodle_worksheet(moodle_worksheet, tz) if moodle_worksheet else None
    expected = _expected_notebooks(course_root, assignment)
    if not expected:
        raise ValueError(f"no assignment {assignment!r} in {course_root / SOURCE_DIR}")
    with tempfile.TemporaryDirectory(prefix="nn-collect-") as tmp:
        entry_times, staged = None, {}
        if submissions.is_file() and zipfile.is_zipfile(submissions):
            layout_root = Path(tmp).resolve()
            refused = _unpack(submissions, layout_root)
            entry_times = zip_entry_times(submissions, layout_root, tz)
        elif is_inbound(submissions):
            # nbgrader's exchange: each student's own latest hand-in, checked as it is copied.
            layout_root = Path(tmp).resolve()
            staged = stage_inbound(submissions, assignment, layout_root, course_root, MAX_NOTEBOOK_BYTES)
            refused = {}
        elif submissions.is_dir():
            layout_root = submissions
            refused = refused_entries(layout_root)
        else:
            raise ValueError(f"{submissions} is neither a folder nor a zip file of submissions")
        files = _files(layout_root)
        others = {p.name for p in (course_root / SOURCE_DIR).iterdir() if p.is_dir()} - {assignment}
        out = []
        owners = _assign(files + sorted(refused), layout_root, assignment, others, entry_times, tz, worksheet)
        for student, handins in sorted(owners.items()):
            first = handins[0]
            who = dict(lms=first.lms, lms_id=first.lms_id, email=first.email,
                       display_name=next((h.display_name for h in handins if h.display_name), ""))
            reasons = [refused[h.path] for h in handins if h.path in refused] + [first.problem] * bool(first.problem)
            collision = _collision(handins)
            if reasons or collision:
                out.append(Collected(student, error=collision or "; ".join(reasons), **who))
                continue
            try:
                result = _collect_student(student, handins, expected, course_root, assignment, layout_root)
            except Exception as err:  # noqa: BLE001: one hand-in, however odd, never stops the class
                result = Collected(student, error=f"could not be collected ({type(err).__name__}): hand the "
                                                  "notebook in again, or look at it by hand")
            result.lms, result.lms_id, result.display_name = who["lms"], who["lms_id"], who["display_name"]
            result.email = who["email"]
            out.append(result)
    for result in out:
        result.notes += staged.pop(result.student).notes if result.student in staged else []
    out += [Collected(s.student, error=s.refused, notes=s.notes) for s in staged.values() if s.refused]
    return sorted(out, key=lambda c: c.student)


def _solution_text(source):
    """An instructor cell's solution as a learner would type it: the source without its markers."""
    return "\n".join(line for line in source.splitlines() if line.strip() not in SOLUTION_MARKERS).strip()


def instructor_content(nb, source_nb):
    """What in a submitted notebook is the instructor's: one line per finding, for the flags.

    Solution or hidden-test markers in any cell, and solution cells whose code
    is the instructor's solution (with or without its markers; leading and
    trailing blank lines aside). Such a submission may hold a copy of
    ``source/``; a person should look.
    """
    solutions = {_grade_id(c): c.source for c in source_nb.cells
                 if c.get("metadata", {}).get("nbgrader", {}).get("solution") and c.cell_type == "code"}
    found = []
    for cell in nb.cells:
        markers = [m for m in INSTRUCTOR_MARKERS[::2] if m in cell.source]
        if markers:
            found.append(f"instructor-only marker {markers[0]!r} in cell {_grade_id(cell) or cell.get('id')}")
        reference = solutions.get(_grade_id(cell))
        # A one-line solution (`return x @ a.T`) is what everyone writes: only a longer one says "copied".
        if (reference and nontrivial(solution_part(reference))
                and cell.source.strip() in (reference.strip(), _solution_text(reference))):
            found.append(f"cell {_grade_id(cell)} is identical to the instructor's solution")
    return found


def _nbgrader_timestamp(stamps):
    """The time in nbgrader's ``timestamp.txt``, as UTC; None if there is none or it does not parse."""
    for stamp in stamps:
        try:
            when = parse_utc(_read_regular_file(stamp.path, 1000).decode("utf-8", "replace").strip())
            return when if when.tzinfo else when.replace(tzinfo=timezone.utc)
        except (ValueError, OverflowError):
            continue
    return None


def _collect_student(student, handins, expected, course_root, assignment, layout_root):
    result = Collected(student)
    by_name = {}
    # nbgrader's own collect writes the hand-in time beside the notebooks.
    stamps = [h for h in handins if h.path.name == "timestamp.txt"]
    handins = [h for h in handins if h not in stamps]
    for handin in handins:
        if handin.path.suffix != ".ipynb":
            continue
        name = _intended_name(handin.filename, expected)
        if name is None:
            result.notes.append(f"ignored {handin.shown}: not one of {', '.join(expected)}")
            continue
        by_name.setdefault(name, []).append(handin)
    extra = sum(1 for h in handins if h.path.suffix != ".ipynb")
    if extra:
        result.notes.append(f"{extra} files that are not notebooks were ignored")
    chosen, graded = {}, []
    for name, candidates in by_name.items():
        try:
            best, why = newest(candidates)
        except ValueError as err:
            result.error = str(err)
            return result
        if why:
            result.notes.append(why)
        # "<anything>_<notebook>" is how LMSs prefix a file (with a name and an id), whatever the folder: no rename.
        if best.filename != name and best.lms in ("folder", "file") and not best.filename.endswith("_" + name):
            result.notes.append(f"renamed {best.path.name} to {name}")
        chosen[name] = best.path
        graded.append(best)
    for name in expected:
        if name not in chosen:
            result.error = f"no {name} in the submission"
            return result
    times = [h.submitted_at for h in graded if h.submitted_at]
    result.submitted_at = _nbgrader_timestamp(stamps) or (max(times) if times else None)
    result.late = any(h.late for h in graded)
    paths = [h.path for h in handins]
    flags = []
    for name, path in chosen.items():
        try:
            nb, notes = read_notebook(path)
        except ValueError as err:
            result.error = str(err)
            return result
        result.notes += notes
        flags += instructor_content(nb, expected[name])
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
    if result.submitted_at and not (target / "timestamp.txt").exists():
        # nbgrader's autograde reads the hand-in time here, and its
        # AssignLatePenalties compares it with the due date.
        (target / "timestamp.txt").write_text(result.submitted_at.strftime("%Y-%m-%d %H:%M:%S.%f UTC"))
    # Flags, unlike repairs, change no file: added after the in-place check above.
    result.notes += flags
    return result
