"""What the gradebook holds for each submission, as typed records that serialise themselves."""

import json
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.api import Gradebook

from autograder.flags import Flag
from autograder.sandbox.provenance import GradingRecord
from autograder.settings import GRADING_REPORT_SUFFIX, db_url


@dataclass
class TestResult:
    """One grade cell of one submission."""

    grade_id: str
    """The nbgrader grade id of the cell."""
    points: float
    """Points given: the autograder's, or a person's where they graded it."""
    max_points: float
    """Points the cell is worth."""
    manual: bool = False
    """A written answer (or code) that a person grades."""
    needs_manual_grade: bool = False
    """... and has not been graded yet."""

    def to_dict(self, message=""):
        """Plain data for a JSON report; ``message`` is what the learner reads about this test."""
        return {"grade_id": self.grade_id, "points": self.points, "max_points": self.max_points,
                "kind": "manual" if self.manual else "auto", "pending": self.needs_manual_grade,
                "message": message}

    @classmethod
    def from_dict(cls, data):
        """The inverse of :meth:`to_dict` (the message is the submission's to keep)."""
        return cls(data["grade_id"], float(data["points"]), float(data["max_points"]),
                   data.get("kind") == "manual", bool(data.get("pending", False)))


@dataclass
class SubmissionResult:
    """What the gradebook holds for one student's assignment."""

    student: str
    """The student id, as in the gradebook."""
    assignment: str
    """The assignment name, a folder of ``source/``."""
    tests: list = field(default_factory=list)
    """One :class:`TestResult` per grade cell."""
    flags: list = field(default_factory=list)
    """What a person should look at (time limit, memory, tampering...); never changes a score."""
    messages: dict = field(default_factory=dict)
    """grade id -> the message the learner reads for a failed test."""
    graded_with: list = field(default_factory=list)
    """One :class:`~autograder.sandbox.provenance.GradingRecord` per notebook: how it was graded
    (none for stock nbgrader, which records nothing)."""

    @property
    def score(self):
        return sum(t.points for t in self.tests)

    @property
    def max_score(self):
        return sum(t.max_points for t in self.tests)

    @property
    def failed(self):
        """grade ids of autograded tests that lost points."""
        return {t.grade_id for t in self.tests if not t.manual and t.points < t.max_points}

    @property
    def pending(self):
        """grade ids still waiting for a manual grade."""
        return {t.grade_id for t in self.tests if t.needs_manual_grade}

    def to_dict(self):
        """Plain data, as written to ``reports/<assignment>/<student>.json``."""
        return {"student": self.student, "assignment": self.assignment, "status": "graded",
                "score": self.score, "max_score": self.max_score, "flags": sorted(set(self.flags)),
                "tests": [t.to_dict(self.messages.get(t.grade_id, "")) for t in self.tests],
                "graded_with": [record.to_dict() for record in self.graded_with]}

    @classmethod
    def from_dict(cls, data):
        """The inverse of :meth:`to_dict`."""
        tests = [TestResult.from_dict(t) for t in data.get("tests", [])]
        messages = {t["grade_id"]: t["message"] for t in data.get("tests", []) if t.get("message")}
        records = [GradingRecord.from_dict(r) for r in data.get("graded_with", [])]
        return cls(data["student"], data["assignment"], tests, list(data.get("flags", [])), messages, records)


def _grading_reports(root, assignment, student):
    """The trusted engine's ``*.grading.json`` of one submission (none for stock nbgrader)."""
    folder = Path(root) / "autograded" / student / assignment
    reports = []
    for path in sorted(folder.glob(f"*{GRADING_REPORT_SUFFIX}")):
        try:
            reports.append(json.loads(path.read_text()))
        except (OSError, ValueError):
            reports.append({"flags": [Flag.REPORT_UNREADABLE.value], "tests": []})
    return reports


def results(root, assignment, db=None):
    """Per-student, per-cell scores from the gradebook at ``root``, with flags and messages.

    ``db`` is the gradebook URL (default: :func:`autograder.settings.db_url`).
    """
    out = []
    with Gradebook(db_url(root, db)) as gb:
        for submission in gb.assignment_submissions(assignment):
            result = SubmissionResult(submission.student.id, assignment)
            for report in _grading_reports(root, assignment, result.student):
                result.flags += report.get("flags", [])
                result.messages.update({t["grade_id"]: t["message"] for t in report.get("tests", [])
                                        if t.get("message")})
                if "graded_with" in report:
                    result.graded_with.append(GradingRecord.from_dict(report["graded_with"]))
            for notebook in submission.notebooks:
                manual = {cell.name for cell in notebook.notebook.solution_cells}
                for grade in notebook.grades:
                    result.tests.append(TestResult(
                        grade.name, float(grade.score or 0), float(grade.max_score),
                        grade.name in manual, bool(grade.needs_manual_grade)))
            out.append(result)
    return sorted(out, key=lambda r: r.student)


def set_manual_grades(root, assignment, student, scores, db=None):
    """Record manual grades, as an instructor would in formgrader.

    Parameters
    ----------
    scores : dict
        grade id -> points.
    db : str, optional
        The gradebook URL (default: :func:`autograder.settings.db_url`).
    """
    with Gradebook(db_url(root, db)) as gb:
        submission = gb.find_submission(assignment, student)
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                if grade.name in scores:
                    grade.manual_score = float(scores[grade.name])
                    grade.needs_manual_grade = False
        gb.db.commit()
