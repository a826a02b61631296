"""A log of hand grading: every manual score that appears or changes, with who noticed it and when.

nbgrader's gradebook keeps only the current manual score of a cell, not who
set it or what it was before. Each command that reads the gradebook
(``grade``, ``feedback``, ``export``, ``report``) compares its manual scores
with the last snapshot (``reports/<assignment>-manual-grades.json``) and
appends one JSON line per difference to
``reports/<assignment>-manual-grades.jsonl``:
``{"time", "by", "student", "grade_id", "old", "new"}``. ``old`` or ``new`` is
``null`` where no manual score was set. ``by`` is the account that ran the
command (formgrader does not record who graded), or the name a caller passes.
"""

import datetime
import getpass
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from autograder.settings import db_url


@dataclass
class ManualChange:
    """One manual score that appeared, changed or went away."""

    time: str
    """When it was noticed, ISO 8601 in UTC."""
    by: str
    """Who: the account that ran the command, or the name passed as ``by``."""
    student: str
    grade_id: str
    old: float = None
    new: float = None


def _account():
    """The name of the account running this (a uid with no name, as in some containers, is shown as such)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid {os.getuid()}"


def _paths(root, assignment):
    folder = Path(root) / "reports"
    return folder / f"{assignment}-manual-grades.json", folder / f"{assignment}-manual-grades.jsonl"


def manual_scores(root, assignment, db=None):
    """``"student/grade_id"`` -> manual score, for every cell of ``assignment`` a person has scored."""
    from nbgrader.api import Gradebook

    out = {}
    with Gradebook(db_url(root, db)) as gb:
        for submission in gb.assignment_submissions(assignment):
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    if grade.manual_score is not None:
                        out[f"{submission.student.id}/{grade.name}"] = float(grade.manual_score)
    return out


def log_manual_changes(root, assignment, db=None, by=None):
    """Append the manual scores changed since the last snapshot to the log; returns the changes.

    Parameters
    ----------
    by : str, optional
        Who made the changes, where the caller knows; default: the account
        running this.
    """
    snapshot_path, log_path = _paths(root, assignment)
    try:
        before = json.loads(snapshot_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        before = {}
    now = manual_scores(root, assignment, db)
    stamp = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    who = by or _account()
    changes = []
    for key in sorted(set(before) | set(now)):
        if before.get(key) != now.get(key):
            student, _, grade_id = key.rpartition("/")
            changes.append(ManualChange(stamp, who, student, grade_id, before.get(key), now.get(key)))
    if changes or not snapshot_path.exists():
        snapshot_path.parent.mkdir(parents=True, exist_ok=True)
        with open(log_path, "a", encoding="utf-8") as f:
            for change in changes:
                f.write(json.dumps(asdict(change)) + "\n")
        snapshot_path.write_text(json.dumps(now, indent=1, sort_keys=True), encoding="utf-8")
    return changes


def read_log(root, assignment):
    """Every :class:`ManualChange` logged for ``assignment``, oldest first."""
    _, log_path = _paths(root, assignment)
    if not log_path.exists():
        return []
    return [ManualChange(**json.loads(line)) for line in log_path.read_text(encoding="utf-8").splitlines() if line]
