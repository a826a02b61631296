"""Due dates, extensions and late penalties, from the course's ``nbgrader_config.py``.

nbgrader keeps an assignment's due date in the gradebook (``nbgrader db
assignment add NAME --duedate=...`` sets it), a student's extension on their
submission (``Gradebook.grant_extension``), and applies a penalty in its
``AssignLatePenalties`` step through a plugin (``LateSubmissionPlugin``:
``none`` or ``zero``). ``grade`` reads, from the course's own
``nbgrader_config.py``::

    c.LateRules.duedates = {"01_softmax_regression": "2026-03-02 17:00:00 Europe/Berlin"}
    c.LateRules.extensions = {"01_softmax_regression": {"4412": 48}}   # hours, by student or LMS id
    c.LateRules.timezone = "Europe/Berlin"   # of zip entry dates and Blackboard's attempt times
    c.AssignLatePenalties.plugin_class = "autograder.grading.late.PerDayPenalty"
    c.PerDayPenalty.percent_per_day = 10

and writes the due date and extensions into the gradebook before grading, so
nbgrader's own step applies the penalty and formgrader shows it. Without
``duedates``, a due date set with nbgrader's command is used as it is.
"""

import hashlib
import json
import math
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.plugins import LateSubmissionPlugin
from nbgrader.utils import parse_utc
from traitlets import Float
from traitlets.config.loader import PyFileConfigLoader

from autograder.settings import COURSE_CONFIG, db_url

# The course config's sections that decide a late penalty, passed on to nbgrader's autograde.
PENALTY_SECTIONS = ("AssignLatePenalties", "LateSubmissionPlugin", "PerDayPenalty")


class PerDayPenalty(LateSubmissionPlugin):
    """Take ``percent_per_day`` of the score for each day or part of a day late, up to the whole score."""

    percent_per_day = Float(10.0, help="Percent of the notebook's score taken per started day late").tag(config=True)

    def late_submission_penalty(self, student_id, score, total_seconds_late):
        days = math.ceil(total_seconds_late / 86400)
        return min(score, score * self.percent_per_day * days / 100)


@dataclass(frozen=True)
class LateRules:
    """One assignment's due date, extensions and penalty, as the course config gives them.

    Attributes
    ----------
    duedate : str or None
        The due date, as nbgrader parses it (a zone name or offset after the time).
    extensions : dict
        Student id or LMS id -> hours of extension.
    timezone : str
        The zone of times that carry none (zip entry dates, Blackboard's names).
    penalty : dict
        nbgrader configuration of the penalty (``AssignLatePenalties``, the plugin's section).
    """

    duedate: str = None
    extensions: dict = field(default_factory=dict)
    timezone: str = "UTC"
    penalty: dict = field(default_factory=dict)

    def digest(self):
        """A hash of everything here: a grade made under other rules is made again."""
        return hashlib.sha256(json.dumps([self.duedate, sorted(self.extensions.items()), self.timezone,
                                          self.penalty], sort_keys=True, default=str).encode()).hexdigest()


def _course_config(root):
    config_file = Path(root) / COURSE_CONFIG
    if not config_file.is_file():
        return {}
    db_url(root)  # loads the file once with its recursion guard, so a file that merges our settings works
    return PyFileConfigLoader(config_file.name, path=str(config_file.parent)).load_config()


def late_rules(root, assignment):
    """The :class:`LateRules` of ``assignment`` in the course at ``root``."""
    config = _course_config(root)
    section = config.get("LateRules", {})
    penalty = {name: {key: (value.__module__ + "." + value.__qualname__ if isinstance(value, type) else value)
                      for key, value in config[name].items()}
               for name in PENALTY_SECTIONS if name in config}
    return LateRules(duedate=dict(section.get("duedates", {})).get(assignment),
                     extensions={str(k): float(v) for k, v in
                                 dict(section.get("extensions", {})).get(assignment, {}).items()},
                     timezone=str(section.get("timezone", "UTC")), penalty=penalty)


def apply_late_rules(url, assignment, rules, students):
    """Write the due date and the extensions of ``students`` into the gradebook at ``url``.

    ``students`` maps student ids to LMS ids ("" for the one the gradebook
    holds); an extension may name either.
    """
    with Gradebook(url) as gb:
        if rules.duedate:
            gb.update_or_create_assignment(assignment, duedate=parse_utc(rules.duedate))
        for student, lms_id in students.items():
            if not lms_id and rules.extensions:
                try:
                    lms_id = gb.find_student(student).lms_user_id
                except MissingEntry:
                    lms_id = None
            hours = rules.extensions.get(student, rules.extensions.get(lms_id))
            wanted = timedelta(hours=hours) if hours else None
            try:
                submission = gb.find_submission(assignment, student)
            except MissingEntry:
                if wanted is None:
                    continue
                submission = gb.update_or_create_submission(assignment, student)
            if submission.extension != wanted:
                submission.extension = wanted
                gb.db.commit()
