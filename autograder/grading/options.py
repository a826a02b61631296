"""How a grading run grades: one options object shared by the CLI, :func:`grade_class` and the executors."""

from dataclasses import dataclass, field
from typing import Optional

from autograder.settings import ENGINES


@dataclass(frozen=True)
class GradingOptions:
    """The settings of one ``grade`` run; every field has the CLI's default.

    Examples
    --------
    >>> GradingOptions(workers=4, force=True).engine
    'trusted'
    """

    workers: Optional[int] = None
    """Submissions graded at once on this machine; default: the number of cores."""
    engine: str = "trusted"
    """``"trusted"``: the sandbox and verdicts outside the kernel; ``"nbgrader"``: stock nbgrader."""
    sandbox: bool = True
    """Run learner code under bubblewrap; False grades unsandboxed, and every row says so."""
    scheduler: Optional[str] = None
    """``tcp://HOST:PORT`` (or ``tls://``) of a Dask scheduler to grade on; default: this machine."""
    db: Optional[str] = None
    """The gradebook's SQLAlchemy URL; default: the course's ``nbgrader_config.py``, else SQLite."""
    retries: int = 2
    """On a cluster, how many times a task that failed is run again."""
    recorders: Optional[int] = None
    """On a cluster, processes of this machine writing its results into the gradebook at once.

    Default: one per 10 submissions, at most the cores or 4."""
    force: bool = False
    """Regrade submissions already graded from the same files."""
    limits: dict = field(default_factory=dict)
    """``TrustedExecute`` limits for this run (``memory_mb``, ``cell_timeout``, ...), over the course's."""
    overrides: dict = field(default_factory=dict)
    """Any other nbgrader configuration, ``{"Section": {"trait": value}}``, merged over the course's."""
    moodle_worksheet: Optional[str] = None
    """Moodle's grading worksheet CSV of the assignment: students are then their ID number (else email)."""
    progress: bool = True
    """Show a progress bar and say the limits line once per run."""

    def __post_init__(self):
        if self.engine not in ENGINES:
            raise ValueError(f"engine must be one of {ENGINES}, not {self.engine!r}")
        if self.workers is not None and self.workers < 1:
            raise ValueError(f"workers must be at least 1, not {self.workers}")
        if self.recorders is not None and self.recorders < 1:
            raise ValueError(f"recorders must be at least 1, not {self.recorders}")
        if self.retries < 0:
            raise ValueError(f"retries cannot be negative ({self.retries})")

    def nbgrader_overrides(self):
        """``overrides`` with ``limits`` merged into its ``TrustedExecute`` section (a new dict)."""
        merged = {section: dict(values) for section, values in self.overrides.items()}
        if self.limits:
            merged.setdefault("TrustedExecute", {}).update(self.limits)
        return merged
