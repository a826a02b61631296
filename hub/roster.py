"""The class list a hub is built from: a CSV of ``course,username,role`` rows.

One row per person and course; ``role`` is ``instructor`` or ``student``. A
person may be in several courses (a shared student has one row per course),
but not both instructor and student of one course. Usernames become system
accounts, so they must be valid Linux user names.
"""

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

ROLES = ("instructor", "student")
# useradd's own rule (Debian's NAME_REGEX), kept short enough for `ps` columns.
USERNAME = re.compile(r"^[a-z_][a-z0-9_-]{0,30}$")
COURSE_ID = re.compile(r"^[a-z][a-z0-9_-]{0,30}$")


class RosterError(ValueError):
    """A roster that cannot be used as it is; the message names the row and what to change."""


@dataclass
class Course:
    """One course of the hub: who teaches it and who takes it."""

    course_id: str
    instructors: list = field(default_factory=list)
    students: list = field(default_factory=list)

    @property
    def members(self):
        return self.instructors + self.students


@dataclass
class Roster:
    """Every course of the hub, by course id, in the order the file names them."""

    courses: dict = field(default_factory=dict)

    @property
    def users(self):
        """Every username, once, sorted."""
        return sorted({u for c in self.courses.values() for u in c.members})


def read_roster(path):
    """Read and check a roster CSV; raises :class:`RosterError` naming the first bad row."""
    path = Path(path)
    if not path.is_file():
        raise RosterError(f"roster {path} does not exist: copy hub/roster.example.csv and edit it")
    roster = Roster()
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames is None or {"course", "username", "role"} - set(reader.fieldnames):
            raise RosterError(f"{path}: the first line must be the header course,username,role")
        for line, row in enumerate(reader, start=2):
            course_id, username, role = (row.get(k, "").strip() for k in ("course", "username", "role"))
            if not COURSE_ID.match(course_id):
                raise RosterError(f"{path}:{line}: course {course_id!r} must be lower-case letters, digits, "
                                  "- or _, starting with a letter")
            if not USERNAME.match(username):
                raise RosterError(f"{path}:{line}: username {username!r} is not a valid Linux user name "
                                  "(lower-case letters, digits, - or _, at most 31 characters)")
            if role not in ROLES:
                raise RosterError(f"{path}:{line}: role {role!r} must be one of {', '.join(ROLES)}")
            course = roster.courses.setdefault(course_id, Course(course_id))
            if username in course.members:
                raise RosterError(f"{path}:{line}: {username} is listed twice in {course_id}")
            (course.instructors if role == "instructor" else course.students).append(username)
    for course in roster.courses.values():
        if not course.instructors:
            raise RosterError(f"{path}: course {course.course_id} has no instructor")
    if not roster.courses:
        raise RosterError(f"{path}: no rows below the header")
    return roster
