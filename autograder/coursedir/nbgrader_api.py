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
from pathlib import Path

from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
from nbgrader.converters import Autograde
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import (
    AssignLatePenalties,
    CheckCellMetadata,
    ClearHiddenTests,
    GetGrades,
    IgnorePattern,
    LimitOutput,
    SaveAutoGrades,
)
from traitlets.config import Config

from autograder.settings import (
    CELL_TIMEOUT_SECONDS,
    ENGINES,
    EXCHANGE_DIR,
    GRADING_REPORT_SUFFIX,
    RELEASE_DIR,
    REPO_ROOT,
    RESUME_MARKER,
    SOURCE_DIR,
    course_config,
    db_url,
)


def nbgrader_config(root=REPO_ROOT, engine="trusted"):
    """The course's nbgrader settings for a course directory at ``root``.

    The instructor's course lives at the repository root (``source/``,
    ``notebooks/`` as the release folder, nbgrader's ``submitted/``,
    ``autograded/``, ``feedback/`` and ``gradebook.db``, all git-ignored). The
    demo and the tests use the same settings on a scratch root.

    ``engine="trusted"`` (the default) runs learner code in a sandbox and the
    tests in the grader (:mod:`autograder.sandbox.trusted`); ``"nbgrader"`` is stock
    nbgrader, everything in the learner's kernel, kept for comparison.
    """
    root = Path(root).resolve()
    c = Config()
    c.CourseDirectory.root = str(root)
    c.CourseDirectory.source_directory = SOURCE_DIR
    c.CourseDirectory.release_directory = RELEASE_DIR
    c.CourseDirectory.db_url = db_url(root)
    # nbgrader's exchange, through which the Assignment List in JupyterLab
    # fetches released assignments and submits them, is a folder of the course
    # (git-ignored; autograder/nbgrader_config.py creates it for `make lab`).
    c.Exchange.root = str(root / EXCHANGE_DIR)
    # The grader's own files in a submission's folders (a grading report, the
    # resume marker) are never copied: not from a submission into the
    # autograded folder, where a forged report could add messages, and not
    # into feedback, where students would read the instructor's flags.
    c.CourseDirectory.ignore = list(CourseDirectory.class_traits()["ignore"].default()) + [
        f"*{GRADING_REPORT_SUFFIX}", RESUME_MARKER]
    # A full training run happens inside one test cell; five minutes is ample.
    c.Execute.timeout = CELL_TIMEOUT_SECONDS
    c.Execute.interrupt_on_timeout = True
    # Feedback shows each test cell: without its hidden part. (The trusted
    # engine's failure outputs are one-line messages, never tracebacks.)
    c.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTests, CSSHTMLHeaderPreprocessor]
    c.GenerateFeedback.exporter_class = "autograder.grading.feedback.FeedbackExporter"
    # What nbgrader stores, and formgrader renders in the instructor's
    # session, holds no learner script: outputs and markdown are made inert
    # after execution, before SaveAutoGrades.
    inert = "autograder.grading.sanitize.InertLearnerContent"
    if engine == "trusted":
        c.Autograde.autograde_preprocessors = [
            "autograder.sandbox.trusted.TrustedExecute", IgnorePattern, ClearMetadataPreprocessor, LimitOutput, inert,
            SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]
        c.TrustedExecute.course_root = str(root)
    elif engine == "nbgrader":
        stock = list(Autograde.class_traits()["autograde_preprocessors"].default())
        c.Autograde.autograde_preprocessors = (stock[:stock.index(SaveAutoGrades)] + [inert]
                                               + stock[stock.index(SaveAutoGrades):])
    else:
        raise ValueError(f"engine must be one of {ENGINES}, not {engine!r}")
    # The course's own nbgrader_config.py over these defaults: its limits,
    # late penalties, gradebook (settings.course_config).
    c.merge(course_config(root))
    return c


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
    :func:`autograder.coursedir.nbgrader_api.nbgrader_config`); ``overrides`` is nbgrader
    configuration merged on top, e.g. ``{"TrustedExecute": {"cell_timeout": 10}}``.
    """
    # Imported here: nbgrader pulls in Jupyter's server stack, which the
    # notebooks importing `autograder.learner.checks` never need.
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    alembic_on_path()

    # nbgrader's own gradebook code trips SQLAlchemy's autoflush warnings when
    # it creates a student; they say nothing to the person grading.
    from sqlalchemy.exc import SAWarning
    warnings.filterwarnings("ignore", category=SAWarning)

    config = nbgrader_config(root, engine)
    if overrides:
        config.merge(Config(overrides))
    # The grader never uses the exchange, but NbGraderAPI lists it on creation:
    # a hub course's JupyterHub auth plugin would then demand a hub terminal's
    # JUPYTERHUB_* variables of `grade` run over ssh or by its own account.
    config.Authenticator.plugin_class = "nbgrader.auth.NoAuthPlugin"
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
