"""Grades for an LMS: the whole class, from the gradebook, in the format each LMS imports.

Formats (``python -m autograder export ASSIGNMENT --format ...``):

``csv``
    The grades CSV (:func:`autograder.reports.write_grades_csv`): every
    column, provenance included; ``grade`` says ``pending`` while a written
    answer waits for a person.
``canvas``
    Canvas's gradebook import: the columns of its own gradebook export,
    ``Student, ID, SIS User ID, SIS Login ID, Section``, then one column named
    after the assignment, and a ``Points Possible`` row under the header.
    Canvas matches a row by its ``ID`` (the Canvas user id) and leaves a blank
    score unchanged.
``moodle``
    Moodle's CSV grade import: ``First name, Last name, ID number, Email
    address`` and one column for the assignment's grade; on import, map "ID
    number" to ``useridnumber`` (or "Email address" to ``useremail``) and the
    assignment column to the grade item. A blank grade is left ungraded.
``moodle-worksheet``
    The assignment's own grading worksheet (``--moodle-worksheet FILE``, as
    downloaded from Moodle) with its "Grade" column filled, every other cell
    as Moodle wrote it: upload it with "Upload grading worksheet", which
    matches rows by "Identifier" (:func:`autograder.grading.lms.write_moodle_worksheet`).

A submission with a manual item still to grade gets a blank score in the LMS
formats (the LMS keeps it ungraded, it is never a 0), ``pending`` in the grades
CSV, and its student is named on the terminal. Students the roster does not
know by an LMS id are exported under their nbgrader id, and named too.

The roster is the gradebook's ``Student`` rows: ``lms_user_id`` is the LMS id
and ``first_name``/``last_name`` the display name, as collection from an LMS
download stores them; where a row has none, the nbgrader id stands in.
"""

import csv
from dataclasses import dataclass, field
from pathlib import Path

from autograder.grading.late import late_rules
from autograder.grading.lms import read_moodle_worksheet, write_moodle_worksheet
from autograder.grading.reports import class_results, write_grades_csv
from autograder.grading.safe_text import csv_row
from autograder.settings import db_url

FORMATS = ("csv", "canvas", "moodle", "moodle-worksheet")
CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
MOODLE_COLUMNS = ("First name", "Last name", "ID number", "Email address")


@dataclass
class Person:
    """One student as the LMS knows them."""

    student: str
    """The nbgrader student id."""
    lms_id: str = ""
    """The LMS user id (Canvas user id, Moodle participant id...); empty if unknown."""
    first_name: str = ""
    last_name: str = ""
    email: str = ""

    @property
    def name(self):
        """The display name, "First Last", or the nbgrader id where the roster has no name."""
        return " ".join(part for part in (self.first_name, self.last_name) if part) or self.student

    @property
    def sortable_name(self):
        """"Last, First", as Canvas writes its Student column."""
        if self.first_name and self.last_name:
            return f"{self.last_name}, {self.first_name}"
        return self.name


@dataclass
class Export:
    """What an export wrote, and what the person importing it should know."""

    path: Path
    rows: int
    pending: list = field(default_factory=list)
    """Students whose score is left blank (or ``pending``) until a person grades their written answers."""
    without_lms_id: list = field(default_factory=list)
    """Students exported under their nbgrader id, for want of an LMS id."""
    not_graded: list = field(default_factory=list)
    """Students with no grade to export, with the reason."""


def roster(root, db=None):
    """student id -> :class:`Person`, from the gradebook's ``Student`` rows."""
    from nbgrader.api import Gradebook

    with Gradebook(db_url(root, db)) as gb:
        return {s.id: Person(s.id, str(s.lms_user_id or ""), s.first_name or "", s.last_name or "", s.email or "")
                for s in gb.students}


def _score_cell(result):
    return "" if result.pending else f"{result.score:g}"


def _canvas_rows(assignment, rows, people):
    yield list(CANVAS_COLUMNS) + [assignment]
    max_score = max((r.max_score for r in rows), default=0)
    yield ["Points Possible", "", "", "", ""] + [f"{max_score:g}"]
    for r in rows:
        person = people[r.student]
        yield [person.sortable_name, person.lms_id or r.student, "", "", "", _score_cell(r)]


def _moodle_rows(assignment, rows, people):
    yield list(MOODLE_COLUMNS) + [assignment]
    for r in rows:
        person = people[r.student]
        first = person.first_name or person.name
        yield [first, person.last_name, person.lms_id or r.student, person.email, _score_cell(r)]


def export(root, assignment, fmt="csv", output=None, db=None, moodle_worksheet=None):
    """Write the whole class's grades of ``assignment`` for an LMS.

    Parameters
    ----------
    root : path
        The course folder.
    fmt : {"csv", "canvas", "moodle"}
    output : path, optional
        Where to write; default ``<root>/grades-<assignment>.csv`` for
        ``csv`` and ``<root>/exports/<assignment>-<fmt>.csv`` otherwise.
    db : str, optional
        The gradebook URL (default: :func:`autograder.settings.db_url`).
    moodle_worksheet : path, optional
        For ``moodle-worksheet``: the grading worksheet to fill.

    Returns
    -------
    Export
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}: choose one of {', '.join(FORMATS)}")
    if (fmt == "moodle-worksheet") != bool(moodle_worksheet):
        raise ValueError("--format moodle-worksheet and --moodle-worksheet FILE (the grading worksheet downloaded "
                         "from the Moodle assignment) go together")
    root = Path(root)
    rows, errors = class_results(root, assignment, db=db)
    people = roster(root, db)
    for r in rows:
        people.setdefault(r.student, Person(r.student))
    default = root / (f"grades-{assignment}.csv" if fmt == "csv" else f"exports/{assignment}-{fmt}.csv")
    path = Path(output) if output else default
    done = Export(path, len(rows), pending=[r.student for r in rows if r.pending],
                  without_lms_id=[r.student for r in rows if not people[r.student].lms_id],
                  not_graded=[(student, reason) for student, _, reason in errors])
    if fmt == "csv":
        write_grades_csv(rows, path, errors, roster=people)
        return done
    if fmt == "moodle-worksheet":
        worksheet = read_moodle_worksheet(moodle_worksheet, late_rules(root, assignment).timezone)
        grades = {r.student: None if r.pending else r.score for r in rows}
        written = write_moodle_worksheet(worksheet, grades, max((r.max_score for r in rows), default=0), path)
        known = {worksheet.student_of(p) for p in worksheet.participants.values()}
        done.rows = len(written)
        done.without_lms_id = sorted(r.student for r in rows if r.student not in known)
        return done
    lines = (_canvas_rows if fmt == "canvas" else _moodle_rows)(assignment, rows, people)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        for line in lines:
            writer.writerow(csv_row(line))
    return done
