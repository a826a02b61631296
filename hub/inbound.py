"""The exchange's submissions, ready for the course's ``grade``, and its feedback, back to the exchange.

nbgrader's exchange keeps every submission as ``inbound/<student>+<assignment>+
<timestamp>+<random>/``, with ``timestamp.txt`` and ``submission_secret.txt``
beside the notebooks. ``grade --submissions`` reads nbgrader's
``<student>/<assignment>/`` layout, and takes neither the timestamp nor the
secret, so :func:`collect_inbound` (run by the instructor) does what
``nbgrader collect`` does, without its weak points:

- it takes each student's latest submission of the assignment, and only a
  folder that student's own account created (``inbound/`` is writable by the
  whole course: anyone could make a folder named after someone else);
- it copies symbolic links as links, never what they point to, so ``grade``
  sees them and refuses the submission with the reason in its CSV (``nbgrader
  collect`` would copy the target, read with the instructor's rights);
- it records nbgrader's own submission time in the gradebook, which nbgrader's
  autograde then keeps (it only overwrites a timestamp it finds in a file), so
  a due date set on the assignment shows who was late.

:func:`release_feedback` puts each student's ``timestamp.txt`` and
``submission_secret.txt`` beside the feedback that ``grade`` (or ``nbgrader
generate_feedback``) wrote, and runs ``nbgrader release_feedback``, which names
each page by a hash of that secret: only the student who holds the secret
finds it.
"""

import json
import os
import pwd
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.utils import parse_utc
from traitlets.config.loader import PyFileConfigLoader

from autograder.settings import COURSE_CONFIG, db_url

NBGRADER_FILES = ("timestamp.txt", "submission_secret.txt")
LAYOUT = "hub-submissions"


def record_path(course_dir, assignment):
    """Where collect_inbound notes what it took: beside the layout, never inside what grade reads."""
    return Path(course_dir) / LAYOUT / f"{assignment}.json"


@dataclass
class InboundSubmission:
    """One student's submission as found in ``inbound/``."""

    student: str
    folder: str
    timestamp: str = ""
    secret: str = ""
    refused: str = ""      # why it is not graded, when it is not


def course_settings(course_dir):
    """(course id, exchange root) from the course folder's nbgrader_config.py."""
    config = PyFileConfigLoader(COURSE_CONFIG, path=str(course_dir)).load_config()
    course_id = config.get("CourseDirectory", {}).get("course_id")
    root = config.get("Exchange", {}).get("root")
    if not course_id or not root:
        raise SystemExit(f"{Path(course_dir) / COURSE_CONFIG} sets no course_id or exchange root: "
                         "run this in a course folder that `make hub` made")
    return course_id, root


def _owner_name(uid):
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def latest_submissions(inbound, assignment):
    """student -> their latest :class:`InboundSubmission` of ``assignment`` in ``inbound``."""
    latest = {}
    for entry in sorted(os.scandir(inbound), key=lambda e: e.name):
        parts = entry.name.split("+")
        if len(parts) not in (3, 4) or parts[1] != assignment:
            continue
        student, stamp = parts[0], parts[2]
        info = entry.stat(follow_symlinks=False)
        found = InboundSubmission(student, entry.path, stamp)
        if not entry.is_dir(follow_symlinks=False):
            found.refused = f"inbound entry {entry.name} is not a folder"
        elif _owner_name(info.st_uid) != student:
            found.refused = (f"inbound folder {entry.name} was made by {_owner_name(info.st_uid)}, "
                             f"not by {student}")
        try:
            when = parse_utc(stamp)
        except Exception:  # nbgrader's parser raises several types for a bad string
            continue
        if found.refused:
            # A folder someone else made in this student's name never stands for them.
            latest.setdefault(f"{student} (forged)", found)
            continue
        if student not in latest or parse_utc(latest[student].timestamp) < when:
            latest[student] = found
    for found in latest.values():
        secret = Path(found.folder) / "submission_secret.txt"
        if not found.refused and secret.is_file() and not secret.is_symlink():
            found.secret = secret.read_text().strip()
    return latest


def collect_inbound(course_dir, assignment):
    """Lay the latest submissions out in ``<course>/hub-submissions/<assignment>/``; returns the list."""
    course_id, exchange = course_settings(course_dir)
    inbound = Path(exchange) / course_id / "inbound"
    target = Path(course_dir) / LAYOUT / assignment
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    found = latest_submissions(inbound, assignment)
    graded = [s for s in found.values() if not s.refused]
    for sub in graded:
        shutil.copytree(sub.folder, target / sub.student / assignment, symlinks=True,
                        ignore=shutil.ignore_patterns(*NBGRADER_FILES))
    record_path(course_dir, assignment).write_text(json.dumps([asdict(s) for s in found.values()], indent=2))
    _record_timestamps(course_dir, assignment, graded)
    return list(found.values())


def _record_timestamps(course_dir, assignment, submissions):
    with Gradebook(db_url(course_dir)) as gb:
        try:
            gb.find_assignment(assignment)
        except MissingEntry:
            raise SystemExit(f"{assignment} is not in the gradebook: release it first "
                             f"(nbgrader db assignment add {assignment} --duedate=...)") from None
        for sub in submissions:
            gb.update_or_create_student(sub.student)
            gb.update_or_create_submission(assignment, sub.student, timestamp=parse_utc(sub.timestamp))


def release_feedback(course_dir, assignment):
    """Give each graded student's feedback its submission's secret, then run ``nbgrader release_feedback``."""
    record = record_path(course_dir, assignment)
    if not record.is_file():
        raise SystemExit(f"no {record}: run `python -m hub collect {assignment}` and `grade` first")
    released = []
    for sub in (InboundSubmission(**s) for s in json.loads(record.read_text())):
        feedback = Path(course_dir) / "feedback" / sub.student / assignment
        if sub.refused or not sub.secret or not any(feedback.glob("*.html")):
            continue
        (feedback / "timestamp.txt").write_text(sub.timestamp)
        (feedback / "submission_secret.txt").write_text(sub.secret)
        released.append(sub.student)
    subprocess.run([sys.executable, "-m", "nbgrader", "release_feedback", assignment],
                   cwd=course_dir, check=True)
    return released
