"""The one door to nbgrader: its API object for a course folder, and its failures as exceptions.

Every step that asks nbgrader to do something (release, autograde, feedback)
goes through :func:`api` and :func:`checked`, so nbgrader's settings, its
``alembic`` lookup and its log handling live in one place.
"""

import logging
import os
import re
import sys
import warnings

from autograder.settings import nbgrader_config


class GradingError(RuntimeError):
    """An nbgrader step failed; the message carries nbgrader's log."""

    @property
    def reason(self):
        """The most specific line of nbgrader's log, for a one-line report."""
        generic = ("There was an error processing", "Please see the", "Traceback", "failed:")
        lines = [line.strip() for line in str(self).splitlines() if line.strip()]
        specific = [line for line in lines if line.startswith("[ERROR]") and not any(g in line for g in generic)]
        raised = [line for line in lines if re.match(r"^[\w.]+(Error|Exception)\b", line)]
        best = specific or raised[-1:] or lines or ["unknown error"]
        return best[0].removeprefix("[ERROR]").strip()[:300]


def alembic_on_path():
    """Put this interpreter's ``bin`` folder on PATH, for nbgrader's ``alembic`` command.

    nbgrader runs the `alembic` command to create a gradebook; when this runs
    as .venv/bin/python without an activated venv, that command is not on PATH.
    """
    bin_dir = os.path.dirname(sys.executable)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")


def api(root, engine="trusted", overrides=None):
    """nbgrader's API object for the course folder ``root``, with the course's settings.

    ``engine`` is ``"trusted"`` or ``"nbgrader"`` (see
    :func:`autograder.settings.nbgrader_config`); ``overrides`` is nbgrader
    configuration merged on top, e.g. ``{"TrustedExecute": {"cell_timeout": 10}}``.
    """
    # Imported here: nbgrader pulls in Jupyter's server stack, which the
    # notebooks importing `autograder.checks` never need.
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    alembic_on_path()

    # nbgrader's own gradebook code trips SQLAlchemy's autoflush warnings when
    # it creates a student; they say nothing to the person grading.
    from sqlalchemy.exc import SAWarning
    warnings.filterwarnings("ignore", category=SAWarning)

    config = nbgrader_config(root, engine)
    if overrides:
        from traitlets.config import Config

        config.merge(Config(overrides))
    # Running without a sandbox is said where it is decided: `grade` refuses
    # unless told (--no-sandbox), `check` notes it (autograder.__main__).
    nbgrader = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
    nbgrader.log.setLevel(logging.WARNING)
    return nbgrader



def checked(result, what):
    """``result`` of an nbgrader API call, or :class:`GradingError` with nbgrader's log if it failed."""
    if not result.get("success"):
        raise GradingError(f"{what} failed:\n{result.get('error') or ''}\n{result.get('log') or ''}")
    return result
