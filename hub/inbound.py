"""The course's feedback, back through nbgrader's exchange.

``grade --submissions <exchange>/<course>/inbound`` reads the exchange's
submissions itself (:mod:`autograder.grading.inbound`: each student's own
latest hand-in, nbgrader's timestamps, links and forged folders refused) and
records what it took, secrets included. :func:`release_feedback` puts each
graded student's ``timestamp.txt`` and ``submission_secret.txt`` beside the
feedback that ``grade`` (or ``nbgrader generate_feedback``) wrote, and runs
``nbgrader release_feedback``, which names each page by a hash of that
secret: only the student who holds the secret finds it.
"""

import subprocess
import sys
from pathlib import Path

from traitlets.config.loader import PyFileConfigLoader

from autograder.grading.inbound import read_record
from autograder.settings import COURSE_CONFIG


def course_settings(course_dir):
    """(course id, exchange root) from the course folder's nbgrader_config.py."""
    config = PyFileConfigLoader(COURSE_CONFIG, path=str(course_dir)).load_config()
    course_id = config.get("CourseDirectory", {}).get("course_id")
    root = config.get("Exchange", {}).get("root")
    if not course_id or not root:
        raise SystemExit(f"{Path(course_dir) / COURSE_CONFIG} sets no course_id or exchange root: "
                         "run this in a course folder that `make hub` made")
    return course_id, root


def inbound_path(course_dir):
    """The course's ``inbound/`` in nbgrader's exchange: what ``grade --submissions`` reads."""
    course_id, exchange = course_settings(course_dir)
    return Path(exchange) / course_id / "inbound"


def release_feedback(course_dir, assignment):
    """Give each graded student's feedback its submission's secret, then run ``nbgrader release_feedback``."""
    try:
        taken = read_record(course_dir, assignment)
    except FileNotFoundError as err:
        raise SystemExit(str(err)) from None
    released = []
    for sub in taken:
        feedback = Path(course_dir) / "feedback" / sub.student / assignment
        if sub.refused or not sub.secret or not any(feedback.glob("*.html")):
            continue
        (feedback / "timestamp.txt").write_text(sub.timestamp)
        (feedback / "submission_secret.txt").write_text(sub.secret)
        released.append(sub.student)
    subprocess.run([sys.executable, "-m", "nbgrader", "release_feedback", assignment],
                   cwd=course_dir, check=True)
    return released
