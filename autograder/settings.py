"""The course's settings: its folders, the sandbox's mounts and environment, the gradebook's URL.

Constants and plain records only: nbgrader's configuration for a course is
built by :func:`autograder.coursedir.nbgrader_api.nbgrader_config`, which
names this package's preprocessors by import string, so that nothing here
imports a grading step.
"""

import importlib.util
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from traitlets.config.loader import PyFileConfigLoader

REPO_ROOT = Path(__file__).resolve().parents[1]
SOURCE_DIR = "source"
RELEASE_DIR = "notebooks"
EXCHANGE_DIR = "exchange"
CELL_TIMEOUT_SECONDS = 300
GRADING_REPORT_SUFFIX = ".grading.json"  # autograder.sandbox.trusted writes <notebook>.grading.json
RESUME_MARKER = ".graded-from"           # written by autograder.pipeline once a submission is graded
CACHE_DIR = ".grading-cache"             # in the course folder: the canary's verdicts, the release's stamp


ENGINES = ("trusted", "nbgrader")

# What the grading sandbox sees. Paths may use {repo} (this repository),
# {course} (the course folder being graded) and {prefix} (the Python
# environment, sys.prefix); TrustedExecute's traits of the same names override
# them for one course (see SandboxConfig).
SANDBOX_HIDDEN = ("{repo}", "{course}")   # replaced by empty read-only folders: solutions, gradebook, submissions
SANDBOX_READ_ONLY = ("{prefix}", "{repo}/course", "{repo}/autograder", "{repo}/data")  # mounted back inside them
SANDBOX_EMPTY = ("{repo}/autograder/build",)   # scratch courses of the demo and the tests, inside a mounted folder
# Variables the interpreter or its libraries may need to start: loader paths
# (HPC module systems set LD_LIBRARY_PATH), conda's, locale and BLAS tuning.
# Everything else is dropped (bwrap --clearenv), and so is any of these whose
# name looks secret.
SANDBOX_PASS_ENV = ("LD_LIBRARY_PATH", "PYTHONHOME", "PYTHONPATH", "VIRTUAL_ENV", "CONDA_PREFIX",
                    "CONDA_DEFAULT_ENV", "CONDA_SHLVL", "CONDA_EXE", "CONDA_PYTHON_EXE", "TZ", "LC_ALL",
                    "LC_CTYPE", "SSL_CERT_FILE", "SSL_CERT_DIR", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
SECRET_ENV = re.compile(r"TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|API_?KEY|^JUPYTERHUB_", re.IGNORECASE)


def is_secret_variable(name):
    """Whether an environment variable's name says it holds a secret; those never enter the sandbox."""
    return bool(SECRET_ENV.search(name))


@dataclass(frozen=True)
class SandboxConfig:
    """What the sandbox mounts and which environment it gets, for one course.

    Attributes
    ----------
    hidden : tuple of str
        Folders replaced by empty read-only ones.
    read_only : tuple of str
        Folders mounted back read-only inside hidden ones (missing ones are skipped).
    empty : tuple of str
        Folders inside ``read_only`` ones that are hidden too.
    pass_env : tuple of str
        Variables passed on from the grader's environment when set (never a secret one).
    set_env : tuple of (str, str)
        Variables set in the sandbox, after the grader's own defaults.
    """

    hidden: tuple = SANDBOX_HIDDEN
    read_only: tuple = SANDBOX_READ_ONLY
    empty: tuple = SANDBOX_EMPTY
    pass_env: tuple = SANDBOX_PASS_ENV
    set_env: tuple = field(default=())

    def paths(self, which, course_root):
        """``which`` ("hidden", "read_only" or "empty") as absolute paths for ``course_root``."""
        names = {"repo": str(REPO_ROOT), "course": str(Path(course_root).resolve()), "prefix": sys.prefix}
        return [Path(template.format(**names)).resolve() for template in getattr(self, which)]

    def environment(self, environ=None):
        """The variables passed on from ``environ`` (default ``os.environ``), secrets left out."""
        environ = os.environ if environ is None else environ
        passed = {name: environ[name] for name in self.pass_env if name in environ and not is_secret_variable(name)}
        passed.update((name, value) for name, value in self.set_env if not is_secret_variable(name))
        return passed


COURSE_CONFIG = "nbgrader_config.py"     # nbgrader's own per-course settings file, in the course folder


_reading = set()


def with_driver(url):
    """``url`` with the PostgreSQL driver the course installs (psycopg2) named in it.

    SQLAlchemy 2.1 reads a bare ``postgresql://`` as psycopg 3, which the
    course does not install; where psycopg 3 is missing and psycopg2 is
    there, the URL is made to say ``postgresql+psycopg2://``.
    """
    if url.startswith("postgresql://"):
        if importlib.util.find_spec("psycopg") is None and importlib.util.find_spec("psycopg2") is not None:
            return "postgresql+psycopg2://" + url.removeprefix("postgresql://")
    return url


# Settings the grader decides whatever a course's config says: where the course
# is, and which preprocessors grade (the engine) and render feedback.
GRADER_OWNED = (("CourseDirectory", "root"), ("Autograde", "autograde_preprocessors"),
                ("GenerateFeedback", "preprocessors"), ("GenerateFeedback", "exporter_class"),
                ("TrustedExecute", "course_root"), ("TrustedExecute", "sandbox"))


def course_config(root=REPO_ROOT):
    """The settings of ``<root>/nbgrader_config.py``, as a traitlets ``Config`` (empty without one).

    This is the file nbgrader's own commands read when run from the course
    folder; ``grade``, ``check`` and formgrader read it too, so one file sets
    the gradebook (``c.CourseDirectory.db_url``), the limits
    (``c.TrustedExecute.memory_mb``, ``cell_timeout``, ...), late penalties
    and the rest. The settings of :data:`GRADER_OWNED` are left out.

    Raises
    ------
    ValueError
        The file cannot be run; the message names it and the error.
    """
    from traitlets.config import Config

    config_file = (Path(root) / COURSE_CONFIG).resolve()
    # A course's config file may itself merge nbgrader_config(), which asks
    # here again: the inner call answers with no course settings.
    if not config_file.is_file() or config_file in _reading:
        return Config()
    _reading.add(config_file)
    try:
        configured = PyFileConfigLoader(config_file.name, path=str(config_file.parent)).load_config()
    except Exception as err:  # noqa: BLE001 (a config file is Python: anything can go wrong in it)
        raise ValueError(f"cannot read the course settings {config_file}: {type(err).__name__}: {err}. "
                         f"Fix that file (it is Python, as nbgrader reads it)") from None
    finally:
        _reading.discard(config_file)
    for section, trait in GRADER_OWNED:
        if section in configured and trait in configured[section]:
            del configured[section][trait]
    return configured


def with_course_limits(root, overrides=None):
    """``overrides`` (a new dict) over the ``TrustedExecute`` settings of the course at ``root``.

    For grading in a scratch course (the canary, ``check``), which has no
    config of its own: the course's limits hold there too, and a run's own
    (``grade --memory-mb`` and the like) win over them.
    """
    merged = {section: dict(values) for section, values in (overrides or {}).items()}
    course = dict(course_config(root).get("TrustedExecute", {}))
    if course:
        merged["TrustedExecute"] = {**course, **merged.get("TrustedExecute", {})}
    return merged


def db_url(root=REPO_ROOT, override=None):
    """The gradebook of the course at ``root``, as an SQLAlchemy URL.

    In order: ``override`` (the ``grade --db URL`` option); else the
    ``c.CourseDirectory.db_url`` of ``<root>/nbgrader_config.py``
    (:func:`course_config`), where nbgrader itself (formgrader, ``nbgrader
    export``) reads it; else SQLite, ``<root>/gradebook.db``.
    """
    if override:
        return with_driver(str(override))
    configured = course_config(root).get("CourseDirectory", {})
    if "db_url" in configured:
        return with_driver(str(configured["db_url"]))
    return f"sqlite:///{Path(root).resolve() / 'gradebook.db'}"
