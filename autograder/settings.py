"""nbgrader configuration shared by the instructor commands and ``nbgrader_config.py``."""

from pathlib import Path

from traitlets.config import Config

REPO_ROOT = Path(__file__).resolve().parents[1]
SOURCE_DIR = "source"
RELEASE_DIR = "notebooks"
CELL_TIMEOUT_SECONDS = 300


def nbgrader_config(root=REPO_ROOT):
    """The course's nbgrader settings for a course directory at ``root``.

    The instructor's course lives at the repository root (``source/``,
    ``notebooks/`` as the release folder, nbgrader's ``submitted/``,
    ``autograded/``, ``feedback/`` and ``gradebook.db``, all git-ignored). The
    demo and the tests use the same settings on a scratch root.
    """
    root = Path(root).resolve()
    c = Config()
    c.CourseDirectory.root = str(root)
    c.CourseDirectory.source_directory = SOURCE_DIR
    c.CourseDirectory.release_directory = RELEASE_DIR
    c.CourseDirectory.db_url = f"sqlite:///{root / 'gradebook.db'}"
    # A full training run happens inside one test cell; five minutes is ample.
    c.Execute.timeout = CELL_TIMEOUT_SECONDS
    c.Execute.interrupt_on_timeout = True
    return c
