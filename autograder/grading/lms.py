"""Whose file is this, and when was it handed in: the download layouts of LMSs.

Each layout names a file after the student's id in the LMS, which is what
identifies a student here; display names repeat (two "John Smith"s) and are
kept only to show. Recognised, from each LMS's documented or source-visible
naming:

============  ==============================================================  =========================
LMS           file or folder name in the download                             id, order, time
============  ==============================================================  =========================
Canvas        ``<name>[_LATE]_<userid>_<attachmentid>_<file>``; a file handed  user id; attachment id
              in again is renamed ``<file>-1``, ``<file>-2``                 (grows with each upload),
                                                                              then ``-N``; ``LATE``
Moodle        ``<Full Name>_<participantid>_assignsubmission_file_/<file>``   participant id
              ("download submissions in folders"), or the same prefix on
              the file (``..._assignsubmission_file_<file>``, flat)
Blackboard    ``<Assignment>_<username>_attempt_<YYYY-MM-DD-HH-MM-SS>_<file>``  username; attempt time;
              and a receipt ``..._attempt_<time>.txt`` (``Name: First Last    display name from the
              (username)``, ``Date Submitted: ...``)                          receipt
folder        ``<student>/<file>`` or nbgrader's ``<student>/<assignment>/``  folder name
============  ==============================================================  =========================

Moodle's participant id is per assignment (Moodle's ``assign_user_mapping``),
not the user id: the same person has another id in the next assignment, so
a Moodle class's gradebook holds one row per participant id.

A zip entry's date (or, for an unpacked folder, the file's modification time)
orders two files of one student where the LMS gives no order of its own, and
is the hand-in time where the LMS gives none (Canvas, Moodle).
"""

import hashlib
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

CANVAS = re.compile(r"^(?P<name>[^_]+)(?P<late>_LATE)?_(?P<uid>\d+)_(?P<aid>\d+)_(?P<file>.+)$")
CANVAS_RESUBMITTED = re.compile(r"^(?P<stem>.+)-(?P<n>\d+)(?P<ext>\.[^.]+)$")
MOODLE_PREFIX = re.compile(r"^(?P<name>.+?)_(?P<pid>\d+)_assignsubmission_(?:file|onlinetext)_(?P<file>.*)$")
BLACKBOARD = re.compile(r"^(?P<assignment>.+)_(?P<user>[^_]+)_attempt_"
                        r"(?P<when>\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2})(?:_(?P<file>.+))?$")
BLACKBOARD_NAME = re.compile(r"^Name:\s*(?P<name>.*?)\s*\((?P<user>[^()]+)\)\s*$", re.MULTILINE)
# A student id is kept as the LMS gave it when it is a plain name: letters
# (any script), digits, '.', '_', '-'. Anything else (spaces, slashes,
# control characters, bytes that are not UTF-8) is replaced, and a hash of
# the original is added so that two ids that differ only there stay apart.
PLAIN_ID = re.compile(r"^[^\W][\w.-]*$")
MIN_TIME = datetime.min.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class Handin:
    """One file of a download, and what its name and the LMS say about it.

    Attributes
    ----------
    path : Path
        The file as it is now (unpacked).
    shown : str
        Its path in the download, for messages.
    lms : str
        ``canvas``, ``moodle``, ``blackboard``, ``folder`` or ``file``.
    lms_id : str
        The student's id in the LMS (or the folder's name).
    display_name : str
        The name the LMS shows for the student, or "".
    filename : str
        The file's name as the student handed it in, the LMS's prefix and
        Canvas's ``-N`` removed.
    sequence : tuple
        The LMS's own order of uploads (Canvas: attachment id, then ``-N``).
    lms_time : datetime or None
        The hand-in time the LMS wrote (Blackboard), in UTC.
    entry_time : datetime or None
        The zip entry's date (or the file's modification time), in UTC.
    late : bool
        The LMS marked it late (Canvas's ``LATE``).
    dated : bool
        ``entry_time`` is the date of a zip entry, which the LMS wrote; a
        file's modification time in a folder orders files but is no
        hand-in time (copying a folder changes it).
    """

    path: Path
    shown: str
    lms: str
    lms_id: str
    display_name: str
    filename: str
    sequence: tuple = ()
    lms_time: datetime = None
    entry_time: datetime = None
    late: bool = False
    dated: bool = False

    @property
    def submitted_at(self):
        """The best hand-in time known: the LMS's own, else the zip entry's; None if neither."""
        return self.lms_time or (self.entry_time if self.dated else None)


def student_id(lms_id):
    """The nbgrader student id for an LMS id: the id itself, or a safe form with a hash of it.

    Injective in practice: a plain id (``4412``, ``jdoe``, ``李明``) is kept
    exactly (NFC-normalised, as a macOS zip may decompose it); any other gets
    its unsafe characters replaced and 8 hex digits of the SHA-256 of the
    original appended, so ``Jörg Müller`` and ``Jörg Möller`` never meet.
    Collisions that remain are caught by :func:`autograder.grading.collect.collect`.
    """
    raw = lms_id.encode("utf-8", "surrogateescape")
    try:
        text = unicodedata.normalize("NFC", raw.decode("utf-8"))
    except UnicodeDecodeError:
        text = raw.decode("utf-8", "replace")
    if PLAIN_ID.match(text) and len(text) <= 100:
        return text
    safe = re.sub(r"[^\w.-]+", "_", text, flags=re.UNICODE).strip("._-")[:80] or "student"
    return f"{safe}-{hashlib.sha256(raw).hexdigest()[:8]}"


def split_name(display_name):
    """``(first_name, last_name)`` for the gradebook: the last word is the last name."""
    words = display_name.split()
    if not words:
        return None, None
    return " ".join(words[:-1]) or None, words[-1]


def _local(naive, tz):
    return naive.replace(tzinfo=ZoneInfo(tz)).astimezone(timezone.utc)


def zip_entry_times(archive, into, tz="UTC"):
    """Unpacked path -> the entry's date in the zip, as UTC (zip dates carry no zone: ``tz``)."""
    into = Path(into).resolve()
    times = {}
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            try:
                times[Path(into, info.filename).resolve()] = _local(datetime(*info.date_time), tz)
            except ValueError:        # a zero or impossible date: no time, not an error
                continue
    return times


def read_receipts(files):
    """Blackboard receipts among ``files``: ``<prefix>_attempt_<time>`` -> (username, display name)."""
    receipts = {}
    for path in files:
        match = BLACKBOARD.match(path.name.removesuffix(".txt")) if path.suffix == ".txt" else None
        if match and not match.group("file"):
            try:
                text = path.read_text(encoding="utf-8", errors="replace")[:20000]
            except OSError:
                continue
            named = BLACKBOARD_NAME.search(text)
            if named:
                receipts[path.name.removesuffix(".txt")] = (named.group("user").strip(), named.group("name"))
    return receipts


def identify(path, layout_root, assignment, entry_times=None, receipts=None, tz="UTC"):
    """The :class:`Handin` a file of a download is: whose, named what, when.

    The student is always the top-level entry's: a folder (nbgrader's
    ``<student>/``, Moodle's ``<Name>_<id>_assignsubmission_file_/``) owns
    everything under it, however deep, and a notebook nested in it cannot
    name another student. A file at the top level is parsed as Canvas,
    Moodle (flat) or Blackboard, else it is named by its stem.
    """
    rel = path.relative_to(layout_root)
    shown = rel.as_posix()
    entry = (entry_times or {}).get(path.resolve())
    if entry is None and not entry_times:
        try:
            entry = datetime.fromtimestamp(path.lstat().st_mtime, timezone.utc)
        except OSError:
            entry = None
    top = rel.parts[0]
    dated = entry_times is not None and entry is not None
    if len(rel.parts) >= 2:
        moodle = MOODLE_PREFIX.match(top)
        if moodle and not moodle.group("file"):
            return Handin(path, shown, "moodle", moodle.group("pid"), moodle.group("name"), path.name,
                          entry_time=entry, dated=dated)
        return Handin(path, shown, "folder", top, "", path.name, entry_time=entry, dated=dated)
    name = path.name
    canvas = CANVAS.match(name)
    if canvas:
        filename, sequence = canvas.group("file"), (int(canvas.group("aid")), 0)
        again = CANVAS_RESUBMITTED.match(filename)
        if again:
            filename = again.group("stem") + again.group("ext")
            sequence = (int(canvas.group("aid")), int(again.group("n")))
        return Handin(path, shown, "canvas", canvas.group("uid"), canvas.group("name"), filename, sequence,
                      entry_time=entry, late=bool(canvas.group("late")), dated=dated)
    moodle = MOODLE_PREFIX.match(name)
    if moodle and moodle.group("file"):
        return Handin(path, shown, "moodle", moodle.group("pid"), moodle.group("name"), moodle.group("file"),
                      entry_time=entry, dated=dated)
    board = BLACKBOARD.match(name)
    if board and board.group("file"):
        key = name[:board.end("when")]
        user, display = (receipts or {}).get(key, (board.group("user"), ""))
        when = _local(datetime.strptime(board.group("when"), "%Y-%m-%d-%H-%M-%S"), tz)
        return Handin(path, shown, "blackboard", user, display, board.group("file"), lms_time=when,
                      entry_time=entry, dated=dated)
    return Handin(path, shown, "file", Path(name).stem, "", name, entry_time=entry, dated=dated)


def _order(handin):
    return (handin.lms_time or MIN_TIME, handin.sequence, handin.entry_time or MIN_TIME)


def _why(newer, older):
    if (newer.lms_time or MIN_TIME) != (older.lms_time or MIN_TIME):
        return f"handed in at {newer.lms_time:%Y-%m-%d %H:%M:%S} UTC, after {older.lms_time:%Y-%m-%d %H:%M:%S}"
    if newer.sequence != older.sequence:
        return (f"{newer.lms.capitalize()} uploaded it after the other (attachment {newer.sequence[0]}"
                f"{f'-{newer.sequence[1]}' if newer.sequence[1] else ''} after {older.sequence[0]}"
                f"{f'-{older.sequence[1]}' if older.sequence[1] else ''})")
    return (f"its date in the download, {newer.entry_time:%Y-%m-%d %H:%M:%S} UTC, is after "
            f"{older.entry_time:%Y-%m-%d %H:%M:%S}")


def newest(handins):
    """The hand-in to grade among several for one notebook, and a note saying why.

    Ordered by the LMS's own hand-in time (Blackboard), then its upload order
    (Canvas), then the date of the entry in the download. Never by the order
    files were unpacked or listed.

    Raises
    ------
    ValueError
        Where two files tie on all of these: which one the student meant
        cannot be told, and the message names both.
    """
    ranked = sorted(handins, key=_order, reverse=True)
    best = ranked[0]
    if len(ranked) == 1:
        return best, ""
    if _order(ranked[1]) == _order(best):
        raise ValueError(f"{best.shown} and {ranked[1].shown} are both {best.filename}, and nothing in the "
                         "download says which is newer: keep one and grade again")
    others = ", ".join(h.shown for h in ranked[1:])
    return best, f"several files for {best.filename}: graded {best.shown} ({_why(best, ranked[1])}), not {others}"
