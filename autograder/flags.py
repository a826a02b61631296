"""The flags a grade can carry: what a person should look at. A flag never changes a score."""

from enum import Enum


class Flag(str, Enum):
    """One reason for a person to look at a submission's grade.

    A ``str``, so it is written to the CSV and JSON as its value. Flags for
    suspicious code are made by :func:`suspicious` (one per pattern).
    """

    TIMEOUT = "timeout"
    """A cell, a test or the notebook ran past its time limit."""
    MEMORY = "memory"
    """The submission used more memory than allowed."""
    DISK = "disk"
    """The submission filled the disk space it may write (or wrote a file past the cap)."""
    KERNEL_DIED = "kernel-died"
    """The learner's kernel exited or crashed."""
    OUTPUT_TRUNCATED = "output-truncated"
    """A cell printed more than is kept; the rest was cut."""
    MARKDOWN_TRUNCATED = "markdown-truncated"
    """The notebook's markdown was longer than is kept (per cell or in all); the rest was cut."""
    OUTPUT_FLOOD = "output-flood"
    """The kernel sent more than the grader reads; it was stopped."""
    BAD_KERNEL_REPLY = "bad-kernel-reply"
    """The kernel answered the grader with something malformed."""
    ENVIRONMENT = "environment"
    """The sandbox could not start Python: the grading machine's fault, not the learner's."""
    UNSANDBOXED = "unsandboxed"
    """Graded without bubblewrap (``--no-sandbox``): learner code could read and write what the grader can."""
    ACTIVE_CONTENT = "active content made inert"
    """The submission's outputs or answers held scripts, handlers or frames; they were made inert."""
    REPORT_UNREADABLE = "grading report unreadable"
    """The grader's own report of this submission could not be read."""

    def __str__(self):
        return self.value


def suspicious(name):
    """The flag for code matching the suspicious pattern ``name`` (see ``trusted.SUSPICIOUS``)."""
    return f"suspicious: {name}"
