"""nbgrader configuration shared by the instructor commands and ``nbgrader_config.py``."""

from pathlib import Path

from traitlets.config import Config

REPO_ROOT = Path(__file__).resolve().parents[1]
SOURCE_DIR = "source"
RELEASE_DIR = "notebooks"
EXCHANGE_DIR = "exchange"
CELL_TIMEOUT_SECONDS = 300
GRADING_REPORT_SUFFIX = ".grading.json"  # autograder.trusted writes <notebook>.grading.json
RESUME_MARKER = ".graded-from"           # written by autograder.pipeline once a submission is graded


ENGINES = ("trusted", "nbgrader")


def db_url(root=REPO_ROOT):
    """The gradebook of the course at ``root``: SQLite, in the course folder."""
    return f"sqlite:///{Path(root).resolve() / 'gradebook.db'}"


def nbgrader_config(root=REPO_ROOT, engine="trusted"):
    """The course's nbgrader settings for a course directory at ``root``.

    The instructor's course lives at the repository root (``source/``,
    ``notebooks/`` as the release folder, nbgrader's ``submitted/``,
    ``autograded/``, ``feedback/`` and ``gradebook.db``, all git-ignored). The
    demo and the tests use the same settings on a scratch root.

    ``engine="trusted"`` (the default) runs learner code in a sandbox and the
    tests in the grader (:mod:`autograder.trusted`); ``"nbgrader"`` is stock
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
    from nbgrader.coursedir import CourseDirectory

    c.CourseDirectory.ignore = list(CourseDirectory.class_traits()["ignore"].default()) + [
        f"*{GRADING_REPORT_SUFFIX}", RESUME_MARKER]
    # A full training run happens inside one test cell; five minutes is ample.
    c.Execute.timeout = CELL_TIMEOUT_SECONDS
    c.Execute.interrupt_on_timeout = True
    # Feedback shows each test cell: without its hidden part. (The trusted
    # engine's failure outputs are one-line messages, never tracebacks.)
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    from nbgrader.preprocessors import ClearHiddenTests, GetGrades

    c.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTests, CSSHTMLHeaderPreprocessor]
    from autograder.feedback import FeedbackExporter

    c.GenerateFeedback.exporter_class = FeedbackExporter
    # What nbgrader stores, and formgrader renders in the instructor's
    # session, holds no learner script: outputs and markdown are made inert
    # after execution, before SaveAutoGrades.
    from autograder.sanitize import InertLearnerContent

    if engine == "trusted":
        from nbconvert.preprocessors import ClearMetadataPreprocessor
        from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, IgnorePattern,
                                            LimitOutput, SaveAutoGrades)

        from autograder.sandbox import bwrap_available
        from autograder.trusted import TrustedExecute

        c.Autograde.autograde_preprocessors = [
            TrustedExecute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput, InertLearnerContent,
            SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]
        c.TrustedExecute.course_root = str(root)
        c.TrustedExecute.sandbox = bwrap_available()
    elif engine == "nbgrader":
        from nbgrader.converters import Autograde
        from nbgrader.preprocessors import SaveAutoGrades

        stock = list(Autograde.class_traits()["autograde_preprocessors"].default())
        c.Autograde.autograde_preprocessors = (stock[:stock.index(SaveAutoGrades)] + [InertLearnerContent]
                                               + stock[stock.index(SaveAutoGrades):])
    else:
        raise ValueError(f"engine must be one of {ENGINES}, not {engine!r}")
    return c
