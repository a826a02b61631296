"""Where a submission's grading time goes: timers cheap enough to leave on.

The sandbox layer times its own steps into each grading report (``seconds``:
kernel start, learner cells, tests and the bridge's round trips within them,
kernel stop, provenance). The nbgrader steps around it (sanitising, the
gradebook writes, feedback) are timed here, in the grading process, while a
:func:`collecting` block is open; :func:`submission_times` joins both into
one :class:`SubmissionTimes`. ``make bench-grade`` prints their means.
"""

import contextlib
import functools
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from autograder.settings import GRADING_REPORT_SUFFIX

# The breakdown's rows, in the order a submission goes through them.
STEPS = ("sandbox and kernel start", "learner cells", "test cells", "bridge round trips", "kernel stop",
         "sanitising", "gradebook writes", "provenance", "other nbgrader steps", "feedback rendering")
# The grading report's ``seconds`` keys -> rows of STEPS.
_REPORT_STEPS = {"start": "sandbox and kernel start", "learner cells": "learner cells", "tests": "test cells",
                 "bridge": "bridge round trips", "stop": "kernel stop", "provenance": "provenance"}


@dataclass
class SubmissionTimes:
    """Seconds one submission spent in each step of :data:`STEPS`, and in all."""

    student: str
    total: float = 0.0
    steps: dict = field(default_factory=dict)
    bridge_round_trips: int = 0


_open = []   # the SubmissionTimes being collected in this process, innermost last


@contextlib.contextmanager
def collecting(student):
    """Collect the timed steps of ``student``'s grading in this process; yields its SubmissionTimes."""
    times = SubmissionTimes(student)
    _open.append(times)
    began = time.perf_counter()
    try:
        yield times
    finally:
        times.total = time.perf_counter() - began
        _open.remove(times)


def collecting_now():
    """Whether a :func:`collecting` block is open in this process."""
    return bool(_open)


def add(step, seconds):
    """Count ``seconds`` to ``step`` of the submission being collected, if any."""
    if _open:
        steps = _open[-1].steps
        steps[step] = steps.get(step, 0.0) + seconds


@contextlib.contextmanager
def timed(step):
    """Time the block as ``step``."""
    began = time.perf_counter()
    try:
        yield
    finally:
        add(step, time.perf_counter() - began)


def add_grading_reports(folder):
    """Count the sandbox layer's own times, from the grading reports in ``folder``.

    The sandbox counts learner and test cells without their bridge round trips
    (a provided cell rerun in the grader calls the learner's functions too),
    which have a row of their own.
    """
    for path in Path(folder).glob(f"*{GRADING_REPORT_SUFFIX}"):
        try:
            report = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        seconds = report.get("seconds", {})
        for key, step in _REPORT_STEPS.items():
            add(step, float(seconds.get(key, 0.0)))
        if _open:
            _open[-1].bridge_round_trips += int(report.get("bridge_round_trips", 0))


def counted():
    """Seconds counted so far to the submission being collected (0 if none)."""
    return sum(_open[-1].steps.values()) if _open else 0.0


@functools.lru_cache(maxsize=None)
def timed_class(cls, step):
    """A subclass of the preprocessor ``cls`` whose ``preprocess`` counts to ``step``.

    It keeps ``cls``'s name, so nbgrader's configuration for ``cls`` applies to it.
    """

    def preprocess(self, nb, resources):
        with timed(step):
            return cls.preprocess(self, nb, resources)

    return type(cls.__name__, (cls,), {"preprocess": preprocess, "__module__": cls.__module__,
                                        "__doc__": cls.__doc__})
