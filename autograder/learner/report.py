"""What a self-check found, as typed records, and the rows every place shows.

The terminal (``python -m autograder.learner check``), the Validate button and
the notebook's last cell all print :meth:`CheckReport.lines`, so they give the
same rows and the same score.
"""

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class TestRow:
    """One graded cell of the notebook."""

    grade_id: str
    #: Points earned (0 for a written answer: a person grades it).
    points: float
    max_points: float
    #: A written answer, graded by a person, not by the check.
    manual: bool = False
    #: For a failed test, what the learner should read; empty otherwise.
    message: str = ""

    @property
    def failed(self):
        return not self.manual and self.points < self.max_points

    @property
    def status(self):
        return "written" if self.manual else ("FAILED" if self.failed else "passed")


@dataclass
class CheckReport:
    """The self-check of one notebook."""

    notebook: str
    rows: list = field(default_factory=list)
    #: True when the hidden tests ran too (the full repository), False in the student pack.
    hidden: bool = False
    #: One line per cell that is not a test and raised ("the setup cell failed: ...").
    cell_failures: list = field(default_factory=list)

    @property
    def autograded(self):
        return [row for row in self.rows if not row.manual]

    @property
    def score(self):
        return sum(row.points for row in self.autograded)

    @property
    def max_score(self):
        return sum(row.max_points for row in self.autograded)

    @property
    def written_points(self):
        return sum(row.max_points for row in self.rows if row.manual)

    @property
    def failed(self):
        return [row for row in self.rows if row.failed]

    def summary(self):
        """The score line: ``visible tests: 75/90 points; ...``."""
        if self.hidden:
            text = f"visible and hidden tests: {self.score:g}/{self.max_score:g} points"
        else:
            text = (f"visible tests: {self.score:g}/{self.max_score:g} points; "
                    "the grader also runs hidden tests on the same functions")
        if self.written_points:
            text += f"; written answers ({self.written_points:g} points) are graded by a person"
        return text

    def lines(self):
        """The check's text: cell failures, one row per graded cell (a failed test's hint below it), the score."""
        lines = list(self.cell_failures)
        if lines:
            lines.append("")
        for row in self.rows:
            shown = "-" if row.manual else f"{row.points:g}"
            lines.append(f"{row.status:7s} {shown:>4s}/{row.max_points:<3g} {row.grade_id}")
            if row.failed and row.message:
                lines.append(f"        {row.message}")
        lines += ["", self.summary()]
        return lines

    def to_dict(self):
        return asdict(self)

    @classmethod
    def from_dict(cls, data):
        return cls(data["notebook"], [TestRow(**row) for row in data["rows"]], data["hidden"],
                   list(data["cell_failures"]))


def from_grading(notebook, result, messages):
    """A :class:`CheckReport` from the full repository's hidden-test check.

    ``result`` is the grader's submission result (read by attribute: the
    learner's side never imports the grader), ``messages`` grade id -> hint.
    """
    rows = [TestRow(t.grade_id, 0.0 if t.manual else float(t.points), float(t.max_points), bool(t.manual),
                    "" if t.manual or t.points >= t.max_points else messages.get(t.grade_id, "this test failed"))
            for t in result.tests]
    return CheckReport(str(notebook), rows, hidden=True)
