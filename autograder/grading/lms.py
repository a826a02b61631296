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
not the user id: the same person has another id in the next assignment. With
the assignment's grading worksheet (:func:`read_moodle_worksheet`), each
participant becomes the student of their ID number (else email address), the
same in every assignment, handed in at the worksheet's "Last modified
(submission)"; without it, a Moodle class's gradebook holds one row per
participant id.

A zip entry's date (or, for an unpacked folder, the file's modification time)
orders two files of one student where the LMS gives no order of its own, and
is the hand-in time where the LMS gives none (Canvas, Moodle).
"""

import csv
import hashlib
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

CANVAS = re.compile(r"^(?P<name>[^_]+)(?P<late>_LATE)?_(?P<uid>\d+)_(?P<aid>\d+)_(?P<file>.+)$")
CANVAS_RESUBMITTED = re.compile(r"^(?P<stem>.+)-(?P<n>\d+)(?P<ext>\.[^.]+)$")
# Moodle >= 3.1 names the folder "<prefix>_assignsubmission_file_" (mod/assign/locallib.php,
# download_submissions); a copy renamed by hand often loses the last "_".
MOODLE_PREFIX = re.compile(r"^(?P<name>.+?)_(?P<pid>\d+)_assignsubmission_(?:file|onlinetext)(?:_(?P<file>.*))?$")
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
    email : str
        The student's email address, where the LMS gave one (Moodle's
        grading worksheet).
    problem : str
        Why this file cannot be attributed (a Moodle participant missing
        from the grading worksheet); "" if it can.
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
    email: str = ""
    problem: str = ""

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


# Moodle's grading worksheet (Assignment > View all submissions > "Download
# grading worksheet", mod/assign/gradingtable.php with the offline grading
# feedback plugin), in English: "Identifier" is "Participant <id>", the same
# per-assignment participant id as in the download's folder names; the
# identity fields the site shows ("Email address", "ID number") follow "Full
# name". "Upload grading worksheet" reads back "Identifier", "Grade" and
# "Last modified (grade)" (assignfeedback_offline's importer).
WORKSHEET_ID = "Identifier"
WORKSHEET_NAME = "Full name"
WORKSHEET_EMAIL = "Email address"
WORKSHEET_ID_NUMBER = "ID number"
WORKSHEET_GRADE = "Grade"
WORKSHEET_MAX = "Maximum grade"
WORKSHEET_SUBMITTED = "Last modified (submission)"
PARTICIPANT = re.compile(r"(\d+)\s*$")
# userdate()'s default, strftimedaydatetime: "Monday, 2 March 2026, 5:07 PM", to the minute.
WORKSHEET_TIME_FORMATS = ("%d %B %Y, %I:%M %p", "%d %B %Y, %H:%M")


@dataclass(frozen=True)
class Participant:
    """One row of a Moodle grading worksheet: who a participant id is in this assignment.

    Attributes
    ----------
    participant_id : str
        The digits of "Participant 123": Moodle's id for the student in this
        assignment only.
    full_name, email, id_number : str
        The worksheet's columns ("" where the site hides one).
    submitted_at : datetime or None
        "Last modified (submission)", in UTC; None where there is none.
    """

    participant_id: str
    full_name: str
    email: str
    id_number: str
    submitted_at: datetime = None

    @property
    def stable_id(self):
        """The id that stays the same across assignments: the ID number, else the email address."""
        return self.id_number or self.email


@dataclass(frozen=True)
class MoodleWorksheet:
    """A Moodle grading worksheet: its rows as read, and each participant.

    Build one with :func:`read_moodle_worksheet`.
    """

    path: Path
    columns: tuple
    rows: tuple
    """Each row as a dict of column -> text, in the worksheet's order."""
    participants: dict
    """participant id (str) -> :class:`Participant`."""
    bom: bool = False

    def identify(self, handin):
        """``handin`` (from a Moodle download) as the student the worksheet says it is.

        The LMS id becomes :attr:`Participant.stable_id`, the display name and
        email the worksheet's, and the hand-in time its "Last modified
        (submission)". A participant the worksheet lacks gets a ``problem``.

        Raises
        ------
        ValueError
            Where the participant's name in the download is not the
            worksheet's: participant ids are per assignment, so the worksheet
            is another assignment's.
        """
        if handin.lms != "moodle":
            return handin
        person = self.participants.get(handin.lms_id)
        if person is None:
            return replace(handin, problem=(
                f"participant {handin.lms_id} ({handin.display_name}) is not in the grading worksheet "
                f"{self.path.name}: download the worksheet again after the last submission, and grade again"))
        if _name_key(person.full_name) != _name_key(handin.display_name):
            raise ValueError(
                f"{self.path.name} is not the grading worksheet of this download: participant {handin.lms_id} is "
                f"{handin.display_name!r} in the download but {person.full_name!r} in the worksheet (Moodle's "
                "participant ids differ per assignment); download the worksheet of the same assignment")
        return replace(handin, lms_id=person.stable_id, display_name=person.full_name, email=person.email,
                       lms_time=person.submitted_at or handin.lms_time)

    def check_download(self, handins):
        """Refuse a worksheet that shares no participant with ``handins`` (all of one download).

        Raises
        ------
        ValueError
            Where the download has no Moodle hand-in at all, or none of its
            participants is in the worksheet.
        """
        moodle = [h for h in handins if h.lms == "moodle"]
        if not moodle:
            raise ValueError(f"--moodle-worksheet {self.path.name} goes with a Moodle download "
                             "(folders named '<Full name>_<id>_assignsubmission_file_'); these submissions are not one")
        if all(h.problem for h in moodle):
            raise ValueError(f"none of the download's participants is in {self.path.name}: it is the grading "
                             "worksheet of another assignment (participant ids differ per assignment); download "
                             "the worksheet of this one")

    def student_of(self, participant):
        """The nbgrader student id of a :class:`Participant`: :func:`student_id` of its stable id."""
        return student_id(participant.stable_id)


def _name_key(name):
    # Moodle writes the name into the folder with '_' as ' ' and clean_filename's
    # removals; compare what survives both.
    text = unicodedata.normalize("NFC", name).replace("_", " ").casefold()
    return "".join(ch for ch in text if ch.isalnum())


def _column(columns, wanted):
    return next((c for c in columns if c.strip().casefold() == wanted.casefold()), None)


def _worksheet_time(text, tz):
    text = text.strip()
    if not text or text == "-":
        return None
    _, comma, rest = text.partition(", ")
    for candidate in (rest if comma and not text[:1].isdigit() else text, text):
        for fmt in WORKSHEET_TIME_FORMATS:
            try:
                return _local(datetime.strptime(candidate.strip(), fmt), tz)
            except ValueError:
                continue
    raise ValueError(f"cannot read the time {text!r} in {WORKSHEET_SUBMITTED!r}: download the worksheet with "
                     "the site language English (its dates read like 'Monday, 2 March 2026, 5:07 PM')")


def read_moodle_worksheet(path, tz="UTC"):
    """Read a Moodle grading worksheet CSV.

    Parameters
    ----------
    path : path
        The CSV from "Download grading worksheet", as Moodle wrote it.
    tz : str
        The time zone its dates are in (the downloading user's Moodle time
        zone); they carry none.

    Returns
    -------
    MoodleWorksheet

    Raises
    ------
    ValueError
        Where it is not a worksheet (no "Identifier" column), names nobody by
        email or ID number (blind marking, or the site hides both), names a
        participant twice, or two participants share an ID number or email.
    """
    path = Path(path)
    raw = path.read_bytes()
    bom = raw.startswith(b"\xef\xbb\xbf")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError(f"{path.name} is not UTF-8: download the grading worksheet from Moodle again, "
                         "without opening and saving it in a spreadsheet") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    columns = tuple(reader.fieldnames or ())
    ident = _column(columns, WORKSHEET_ID)
    if ident is None:
        raise ValueError(f"{path.name} is not a Moodle grading worksheet: it has no {WORKSHEET_ID!r} column "
                         "(Assignment > View all submissions > Download grading worksheet, site language English)")
    email, number = _column(columns, WORKSHEET_EMAIL), _column(columns, WORKSHEET_ID_NUMBER)
    if email is None and number is None:
        raise ValueError(f"{path.name} has neither {WORKSHEET_EMAIL!r} nor {WORKSHEET_ID_NUMBER!r}: with blind "
                         "marking, reveal identities first; otherwise add them to the site's 'Show user identity'")
    name, submitted = _column(columns, WORKSHEET_NAME), _column(columns, WORKSHEET_SUBMITTED)
    rows, participants, stable = [], {}, {}
    for row in reader:
        row = {key: value or "" for key, value in row.items() if key is not None}
        rows.append(row)
        found = PARTICIPANT.search(row.get(ident, ""))
        if not found:
            continue
        pid = found.group(1)
        person = Participant(pid, row.get(name, "") if name else "", (row.get(email, "") if email else "").strip(),
                             (row.get(number, "") if number else "").strip(),
                             _worksheet_time(row.get(submitted, ""), tz) if submitted else None)
        if pid in participants:
            raise ValueError(f"{path.name} lists participant {pid} twice: download it from Moodle again")
        if not person.stable_id:
            raise ValueError(f"participant {pid} ({person.full_name}) has no email address or ID number in "
                             f"{path.name}: fill it in Moodle's user profile and download the worksheet again")
        if person.stable_id in stable:
            raise ValueError(f"participants {stable[person.stable_id]} and {pid} of {path.name} share the "
                             f"{'ID number' if person.id_number else 'email address'} {person.stable_id!r}: "
                             "correct it in Moodle and download the worksheet again")
        stable[person.stable_id] = pid
        participants[pid] = person
    return MoodleWorksheet(path, columns, tuple(rows), participants, bom)


def write_moodle_worksheet(worksheet, grades, max_score, output):
    """Write ``worksheet`` back with its "Grade" column filled, for "Upload grading worksheet".

    Every column and row stays as Moodle wrote it ("Last modified (grade)"
    included, which Moodle compares to refuse overwriting a grade changed
    since the download); only "Grade" changes, for the participants in
    ``grades``.

    Parameters
    ----------
    worksheet : MoodleWorksheet
    grades : dict
        nbgrader student id -> score (a number), or None to leave the cell
        as it is (written answers still to grade).
    max_score : float
        The assignment's points, which must be the worksheet's "Maximum
        grade": Moodle takes the number as is.
    output : path

    Returns
    -------
    list of str
        The participant ids whose grade was written.

    Raises
    ------
    ValueError
        Where the worksheet has no "Grade" column, or its maximum grade is
        not ``max_score``.
    """
    grade_col, max_col = _column(worksheet.columns, WORKSHEET_GRADE), _column(worksheet.columns, WORKSHEET_MAX)
    if grade_col is None:
        raise ValueError(f"{worksheet.path.name} has no {WORKSHEET_GRADE!r} column: download the grading worksheet "
                         "of an assignment graded with points")
    by_pid = {pid: worksheet.student_of(p) for pid, p in worksheet.participants.items()}
    written = []
    out_rows = []
    for row in worksheet.rows:
        row = dict(row)
        found = PARTICIPANT.search(row.get(_column(worksheet.columns, WORKSHEET_ID), ""))
        student = by_pid.get(found.group(1)) if found else None
        if student in grades and grades[student] is not None:
            if max_col and row.get(max_col, "").strip():
                stated = float(row[max_col].replace(",", "."))
                if abs(stated - max_score) > 1e-9:
                    raise ValueError(f"the worksheet's maximum grade is {stated:g} but the assignment is out of "
                                     f"{max_score:g} points: set the Moodle assignment's maximum grade to "
                                     f"{max_score:g} and download the worksheet again")
            row[grade_col] = f"{grades[student]:.2f}"
            written.append(found.group(1))
        out_rows.append(row)
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    with open(output, "w", newline="", encoding="utf-8-sig" if worksheet.bom else "utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(worksheet.columns))
        writer.writeheader()
        # Moodle's own cells go back as Moodle wrote them: a quote added
        # against spreadsheet formulas would change the feedback comments
        # that Moodle imports from this file. Only "Grade" is ours, a number.
        writer.writerows(out_rows)
    return written
