"""Build LMS downloads as each LMS writes them, for the collection tests.

The names follow each LMS's own naming (see :mod:`autograder.lms` for the
table and the sources): Canvas's ``<name>[_LATE]_<userid>_<attachmentid>_<file>``
with ``-N`` on a file handed in again, Moodle's
``<Full Name>_<participantid>_assignsubmission_file_`` folder (or prefix), and
Blackboard's ``<Assignment>_<username>_attempt_<time>_<file>`` with its
``.txt`` receipt. Each entry carries the date the LMS would give it.
Moodle's grading worksheet is written as its "Download grading worksheet"
writes it (:func:`moodle_worksheet`).
"""

import csv
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo


@dataclass
class Entry:
    """One hand-in: who, what file, when, and its bytes."""

    name: str             # display name
    lms_id: str           # Canvas user id, Moodle participant id or Blackboard username
    filename: str         # as the student named it
    content: bytes
    when: datetime        # the hand-in time (UTC)
    late: bool = False
    attachment: int = 0   # Canvas: its attachment id (grows with each upload)
    again: int = 0        # Canvas: the -N of a file handed in again


def canvas_name(entry):
    """``lastnamefirstname[_LATE]_<userid>_<attachmentid>_<file>``, Canvas's squashed sortable name."""
    first, _, last = entry.name.rpartition(" ")
    squashed = "".join(ch for ch in (last + first).lower() if ch.isalnum())
    filename = entry.filename
    if entry.again:
        stem, dot, ext = filename.rpartition(".")
        filename = f"{stem}-{entry.again}.{ext}"
    return "_".join([squashed] + (["LATE"] if entry.late else []) + [entry.lms_id, str(entry.attachment), filename])


def moodle_name(entry, folders=True):
    """Moodle's ``<Full Name>_<participantid>_assignsubmission_file_`` (a folder, or a prefix on the file)."""
    prefix = f"{entry.name.replace('_', ' ')}_{entry.lms_id}_assignsubmission_file_"
    return f"{prefix}/{entry.filename}" if folders else prefix + entry.filename


def blackboard_names(entry, assignment="Softmax regression"):
    """Blackboard's file name and its receipt's name and text."""
    stamp = entry.when.strftime("%Y-%m-%d-%H-%M-%S")
    base = f"{assignment}_{entry.lms_id}_attempt_{stamp}"
    receipt = (f"Name: {entry.name} ({entry.lms_id})\nAssignment: {assignment}\n"
               f"Date Submitted: {entry.when:%A, %B %d, %Y %I:%M:%S %p} UTC\nCurrent Grade: Needs Grading\n\n"
               f"Submission Field:\nThere is no student submission text data for this assignment.\n\n"
               f"Comments:\nThere are no student comments for this assignment.\n\n"
               f"Files:\n\tOriginal filename: {entry.filename}\n\tFilename: {base}_{entry.filename}\n")
    return f"{base}_{entry.filename}", f"{base}.txt", receipt


def write_zip(path, entries, lms, folders=True):
    """A download zip of ``entries`` in ``lms``'s layout, each dated with its hand-in time."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for entry in entries:
            date = entry.when.timetuple()[:6]
            if lms == "canvas":
                zf.writestr(zipfile.ZipInfo(canvas_name(entry), date), entry.content)
            elif lms == "moodle":
                zf.writestr(zipfile.ZipInfo(moodle_name(entry, folders), date), entry.content)
            elif lms == "blackboard":
                name, receipt_name, receipt = blackboard_names(entry)
                zf.writestr(zipfile.ZipInfo(name, date), entry.content)
                zf.writestr(zipfile.ZipInfo(receipt_name, date), receipt)
            else:
                raise ValueError(f"unknown LMS {lms!r}")
    return path


# "Download grading worksheet" of a Moodle 4.x assignment with file submissions,
# feedback comments and offline grading, the site showing email and ID number.
# The due date of the LMS classes' assignment, and a time comfortably before it.
DUE = datetime(2026, 3, 2, 17, 0, tzinfo=timezone.utc)
EARLY = DUE - timedelta(hours=5)


def late_course_config(assignment, student, extension_hours):
    """A course ``nbgrader_config.py``: due at ``DUE``, 10% a day late, ``student`` given an extension."""
    return f"""
c = get_config()
c.LateRules.duedates = {{"{assignment}": "{DUE:%Y-%m-%d %H:%M:%S} UTC"}}
c.LateRules.extensions = {{"{assignment}": {{"{student}": {extension_hours}}}}}
c.AssignLatePenalties.plugin_class = "autograder.grading.late.PerDayPenalty"
c.PerDayPenalty.percent_per_day = 10
"""


MOODLE_WORKSHEET_COLUMNS = ("Identifier", "Full name", "Email address", "ID number", "Status", "Grade",
                            "Maximum grade", "Grade can be changed", "Last modified (submission)",
                            "Last modified (grade)", "Feedback comments")


@dataclass
class WorksheetRow:
    """One participant of a Moodle grading worksheet."""

    participant: str        # the participant id of this assignment
    name: str
    email: str
    id_number: str = ""
    submitted: datetime = None   # "Last modified (submission)" (UTC); None: no submission


def moodle_date(when, tz="UTC"):
    """Moodle's ``userdate()`` default: "Monday, 2 March 2026, 5:07 PM" (no leading zeros), in ``tz``."""
    local = when.astimezone(ZoneInfo(tz))
    return f"{local:%A}, {local.day} {local:%B %Y}, {int(local.strftime('%I'))}:{local:%M %p}"


def moodle_worksheet(path, rows, max_grade, tz="UTC"):
    """The grading worksheet CSV of ``rows``, ungraded, as Moodle writes it (UTF-8 with a BOM)."""
    with open(path, "w", newline="", encoding="utf-8-sig") as f:
        writer = csv.writer(f)
        writer.writerow(MOODLE_WORKSHEET_COLUMNS)
        for row in rows:
            writer.writerow([f"Participant {row.participant}", row.name, row.email, row.id_number,
                             "Submitted for grading" if row.submitted else "No submission", "",
                             f"{max_grade:.2f}", "Yes", moodle_date(row.submitted, tz) if row.submitted else "-",
                             "-", ""])
    return path


def example_bytes(tmp, name, assignment="01_softmax_regression", notebook="softmax_regression.ipynb"):
    """The notebook of example submission ``name`` (examples/), as a learner would hand it in.

    Built once per ``tmp`` in a scratch course ``<tmp>/factory``.
    """
    from grading_helpers import make_course

    from autograder.settings import RELEASE_DIR
    from examples.example_class import build_submission, load_examples

    factory = tmp / "factory"
    if not (factory / RELEASE_DIR).exists():
        make_course(factory)
    example = next(ex for ex in load_examples(assignment) if ex.student == name)
    build_submission(example, factory)
    return (factory / "submitted" / name / assignment / notebook).read_bytes()
