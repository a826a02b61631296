"""nbgrader's exchange ``inbound/``, read directly by ``grade --submissions <exchange>/<course>/inbound``.

nbgrader's ``submit`` writes each hand-in as ``inbound/<student>+<assignment>+
<timestamp>[+<random>]/``, with the notebooks, ``timestamp.txt`` (the hand-in
time, which nbgrader's autograde compares with the due date) and
``submission_secret.txt`` (which names the student's feedback page). The
folder is writable by every student of the course, so nothing in it is
taken on its word. For each student, :func:`stage_inbound` takes the latest
hand-in of the assignment and copies it into nbgrader's
``<student>/<assignment>/`` layout, which :mod:`autograder.grading.collect`
then reads as any other, but:

- a folder whose owner is not the student it names (anyone can make a folder
  called ``alice+...``), or with a file in it that someone else owns, is not
  that student's hand-in: it is ignored, and said so;
- a symbolic link, a hard link (a file with more than one name), a FIFO, a
  socket or a device refuses the hand-in, and is never followed or opened
  (``nbgrader collect`` copies a link's target, read with the grader's rights);
  every file is opened with ``O_NOFOLLOW`` through its folder's descriptor, so
  swapping a folder for a link mid-copy does not help either;
- ``timestamp.txt`` is the student's own file: where the hand-in's files were
  last changed (their ctime, which no one but root can set) more than
  :data:`CTIME_SLACK` after the time it claims, the ctime is the hand-in time,
  and a note says so.

What was taken (each student's folder, nbgrader's timestamp and secret, or why
nothing was) is recorded in ``<course>/inbound-taken/<assignment>.json``
(readable by the grader only: the secrets name feedback pages), from which
the hub's ``feedback`` step releases each page under the secret of the very
hand-in that was graded.
"""

import json
import os
import pwd
import re
import shutil
import stat
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from nbgrader.utils import parse_utc

# <student>+<assignment>+<timestamp>, and nbgrader's optional random suffix.
ENTRY = re.compile(r"^(?P<student>[^+/]+)\+(?P<assignment>[^+/]+)\+(?P<stamp>[^+/]+)(?:\+[^+/]*)?$")
NBGRADER_FILES = ("timestamp.txt", "submission_secret.txt")
# A hand-in's files are written within seconds of its timestamp; a clock
# step or a slow copy is allowed for, an edit after the due date is not.
CTIME_SLACK = timedelta(minutes=5)
RECORD_DIR = "inbound-taken"
STAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f UTC"


class Refused(Exception):
    """Why one inbound folder is not graded (a sentence for the instructor and the CSV)."""


@dataclass
class InboundSubmission:
    """One student's hand-in as found in ``inbound/``, and what grading made of it.

    Attributes
    ----------
    student : str
        The student id the folder's name gives.
    folder : str
        The folder's name in ``inbound/``.
    timestamp : str
        ``timestamp.txt`` as nbgrader wrote it (the folder name's time if it has none).
    secret : str
        ``submission_secret.txt``, as nbgrader wrote it.
    submitted_at : str
        The hand-in time graded, UTC (:data:`STAMP_FORMAT`): the timestamp, or the ctime where later.
    refused : str
        Why it is not graded, when it is not.
    notes : list of str
        What a person should know (a later ctime, ignored forged folders).
    """

    student: str
    folder: str
    timestamp: str = ""
    secret: str = ""
    submitted_at: str = ""
    refused: str = ""
    notes: list = field(default_factory=list)


def is_inbound(path):
    """Whether ``path`` is an nbgrader exchange ``inbound/`` folder (an empty one is named so)."""
    path = Path(path)
    if not path.is_dir() or path.is_symlink():
        return False
    if path.name == "inbound" and (path.parent / "outbound").is_dir():
        return True
    with os.scandir(path) as entries:
        return any(ENTRY.match(e.name) and e.is_dir(follow_symlinks=False)
                   and os.path.lexists(os.path.join(e.path, "timestamp.txt")) for e in entries)


def record_path(course_root, assignment):
    """Where :func:`stage_inbound` records what it took from ``inbound/`` for ``assignment``."""
    return Path(course_root) / RECORD_DIR / f"{assignment}.json"


def read_record(course_root, assignment):
    """The :class:`InboundSubmission` s the last ``grade`` of ``assignment`` took from ``inbound/``.

    Raises
    ------
    FileNotFoundError
        If ``assignment`` was never graded from an inbound folder here.
    """
    path = record_path(course_root, assignment)
    if not path.is_file():
        raise FileNotFoundError(f"no {path}: grade {assignment} from the exchange first "
                                f"(python -m autograder grade {assignment} --submissions <exchange>/<course>/inbound)")
    return [InboundSubmission(**s) for s in json.loads(path.read_text())]


def _user(uid):
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def _utc(text):
    when = parse_utc(text.strip())
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


class _Copier:
    """Copies one inbound folder, refusing what a hand-in made by ``submit`` never holds."""

    def __init__(self, folder_name, uid, max_file_bytes):
        self.folder_name, self.uid, self.max_file_bytes = folder_name, uid, max_file_bytes
        self.latest_change = 0.0    # the newest ctime seen
        self.nbgrader = {}          # timestamp.txt / submission_secret.txt -> text

    def _check(self, info, rel):
        where = f"{self.folder_name}/{rel}"
        if stat.S_ISLNK(info.st_mode):
            raise Refused(f"{where} is a symbolic link: not followed; hand in the file itself")
        if not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)):
            kind = ("a FIFO" if stat.S_ISFIFO(info.st_mode) else "a socket" if stat.S_ISSOCK(info.st_mode)
                    else "a device")
            raise Refused(f"{where} is {kind}, not a file")
        if info.st_uid != self.uid:
            raise Refused(f"{where} belongs to {_user(info.st_uid)}, not to the student who handed it in: "
                          "someone else wrote into this hand-in")
        if stat.S_ISREG(info.st_mode) and info.st_nlink > 1:
            raise Refused(f"{where} is a hard link ({info.st_nlink} names for one file): hand in a copy")
        if stat.S_ISREG(info.st_mode) and info.st_size > self.max_file_bytes:
            raise Refused(f"{where} is {info.st_size // 2**20} MiB, more than a hand-in's file can be")
        self.latest_change = max(self.latest_change, info.st_ctime)

    def copy(self, dir_fd, target, rel=""):
        """Copy the folder open as ``dir_fd`` into ``target``, whose ``rel`` it is."""
        with os.scandir(dir_fd) as entries:
            names = sorted(e.name for e in entries)
        for name in names:
            path = f"{rel}{name}"
            info = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
            self._check(info, path)
            flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | (os.O_DIRECTORY if stat.S_ISDIR(info.st_mode) else 0)
            try:
                fd = os.open(name, flags, dir_fd=dir_fd)
            except OSError as err:
                raise Refused(f"{self.folder_name}/{path} cannot be opened as a plain file or folder "
                              f"({err.strerror}): it changed while it was read") from err
            try:
                opened = os.fstat(fd)
                # What was opened is what was checked: not something swapped in since.
                if (opened.st_dev, opened.st_ino) != (info.st_dev, info.st_ino):
                    raise Refused(f"{self.folder_name}/{path} was replaced while it was read")
                self._check(opened, path)
                if stat.S_ISDIR(opened.st_mode):
                    (target / name).mkdir()
                    self.copy(fd, target / name, f"{path}/")
                    continue
                with os.fdopen(os.dup(fd), "rb") as src:
                    data = src.read(self.max_file_bytes + 1)
                if len(data) > self.max_file_bytes:
                    raise Refused(f"{self.folder_name}/{path} grew while it was read")
                if not rel and name in NBGRADER_FILES:
                    self.nbgrader[name] = data.decode("utf-8", "replace")
                else:
                    (target / name).write_bytes(data)
            finally:
                os.close(fd)


def _owned_folder(entry, student):
    """``entry``'s time (from its name) if it is a folder ``student``'s own account made; raises :class:`Refused`."""
    info = entry.stat(follow_symlinks=False)
    if not stat.S_ISDIR(info.st_mode):
        raise Refused(f"inbound entry {entry.name} is not a folder")
    try:
        uid = pwd.getpwnam(student).pw_uid
    except KeyError:
        raise Refused(f"inbound folder {entry.name} names {student}, who has no account on this machine "
                      "(nbgrader's submit makes the folder as the student's own user)") from None
    if info.st_uid != uid:
        raise Refused(f"inbound folder {entry.name} was made by {_user(info.st_uid)}, not by {student}")
    try:
        return _utc(ENTRY.match(entry.name)["stamp"])
    except (ValueError, OverflowError):
        raise Refused(f"inbound folder {entry.name}: the time in its name is not a time") from None


def _take(inbound_fd, entry, student, target, max_file_bytes):
    """Check and copy ``student``'s own folder ``entry`` into ``target``; its :class:`InboundSubmission`."""
    found = InboundSubmission(student, entry.name)
    info = entry.stat(follow_symlinks=False)
    copier = _Copier(entry.name, info.st_uid, max_file_bytes)
    copier._check(info, ".")
    fd = os.open(entry.name, os.O_RDONLY | os.O_NOFOLLOW | os.O_DIRECTORY, dir_fd=inbound_fd)
    try:
        if (os.fstat(fd).st_dev, os.fstat(fd).st_ino) != (info.st_dev, info.st_ino):
            raise Refused(f"inbound folder {entry.name} was replaced while it was read")
        copier.copy(fd, target)
    finally:
        os.close(fd)
    found.timestamp = copier.nbgrader.get("timestamp.txt", ENTRY.match(entry.name)["stamp"])
    found.secret = copier.nbgrader.get("submission_secret.txt", "")
    try:
        claimed = _utc(found.timestamp)
    except (ValueError, OverflowError):
        raise Refused(f"inbound folder {entry.name}: its timestamp.txt ({found.timestamp[:40]!r}) "
                      "is not a time") from None
    changed = datetime.fromtimestamp(copier.latest_change, timezone.utc)
    if changed > claimed + CTIME_SLACK:
        found.notes.append(f"{entry.name}: timestamp.txt says {claimed:%Y-%m-%d %H:%M:%S} UTC, but its files were "
                           f"last changed at {changed:%Y-%m-%d %H:%M:%S} UTC (ctime): graded as handed in then")
        claimed = changed
    found.submitted_at = claimed.strftime(STAMP_FORMAT)
    return found


def stage_inbound(inbound, assignment, into, course_root, max_file_bytes):
    """Copy each student's latest hand-in of ``assignment`` from ``inbound`` to ``into/<student>/<assignment>/``.

    A student's latest hand-in is the one, among the folders their own
    account made, with the latest time in its name (as ``nbgrader collect``
    picks it). The hand-in time graded goes into ``timestamp.txt`` beside the
    copy, as ``nbgrader collect`` leaves it. What was taken is recorded in
    :func:`record_path`.

    Parameters
    ----------
    inbound : path
        The exchange's ``<exchange>/<course_id>/inbound``.
    into : path
        An empty folder, which becomes an nbgrader ``<student>/<assignment>/`` layout.
    course_root : path
        The course folder, where the record is written.
    max_file_bytes : int
        The largest file a hand-in may hold.

    Returns
    -------
    dict
        student -> :class:`InboundSubmission`, including those refused (``refused`` set)
        and with ``notes`` for the grades CSV.
    """
    inbound, into = Path(inbound), Path(into)
    own, ignored = {}, {}
    with os.scandir(inbound) as entries:
        listing = sorted(entries, key=lambda e: e.name)
    for entry in listing:
        match = ENTRY.match(entry.name)
        if not match or match["assignment"] != assignment:
            continue
        try:
            when = _owned_folder(entry, match["student"])
            own.setdefault(match["student"], []).append((when, entry.name, entry))
        except Refused as why:
            ignored.setdefault(match["student"], []).append(str(why))
    taken = {}
    inbound_fd = os.open(inbound, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for student in sorted(own):
            _, _, entry = max(own[student], key=lambda t: t[:2])
            target = into / student / assignment
            target.mkdir(parents=True)
            try:
                found = _take(inbound_fd, entry, student, target, max_file_bytes)
            except Refused as why:
                found = InboundSubmission(student, entry.name, refused=str(why))
                shutil.rmtree(into / student)
            else:
                (target / "timestamp.txt").write_text(found.submitted_at)
            taken[student] = found
    finally:
        os.close(inbound_fd)
    for student, reasons in sorted(ignored.items()):
        if student not in taken:
            taken[student] = InboundSubmission(student, "", refused="; ".join(reasons))
        else:
            taken[student].notes += [f"ignored {why}" for why in reasons]
    _write_record(course_root, assignment, taken)
    return taken


def _write_record(course_root, assignment, taken):
    path = record_path(course_root, assignment)
    path.parent.mkdir(mode=0o700, exist_ok=True)
    fd = os.open(path.with_suffix(".tmp"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump([asdict(s) for s in taken.values()], f, indent=2)
    os.replace(path.with_suffix(".tmp"), path)
