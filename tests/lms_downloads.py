"""Build LMS downloads as each LMS writes them, for the collection tests.

The names follow each LMS's own naming (see :mod:`autograder.lms` for the
table and the sources): Canvas's ``<name>[_LATE]_<userid>_<attachmentid>_<file>``
with ``-N`` on a file handed in again, Moodle's
``<Full Name>_<participantid>_assignsubmission_file_`` folder (or prefix), and
Blackboard's ``<Assignment>_<username>_attempt_<time>_<file>`` with its
``.txt`` receipt. Each entry carries the date the LMS would give it.
"""

import zipfile
from dataclasses import dataclass
from datetime import datetime


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
