"""The learner's self-check, from a terminal, the Validate button or the notebook's last cell.

Which check runs is configuration, read from the course's ``pyproject.toml``
(``[tool.nn-course] self-check``): ``"visible"`` (the student pack, which has
only the visible tests: :mod:`autograder.learner.visible`), or a
``"module:function"`` that grades with the hidden tests too (the instructor's
repository names its grader there). The learner's side imports that grader by
name only, so the pack, which has no grader, never needs it.
"""

import importlib
import os
import subprocess
import sys
import tomllib
from pathlib import Path

from autograder.learner import visible
from autograder.learner.report import from_grading

#: The course folder: the one holding ``autograder/`` (the repository, or the unzipped pack).
COURSE_ROOT = Path(__file__).resolve().parents[2]
VISIBLE = "visible"


def configured_check(root=COURSE_ROOT):
    """The configured self-check: ``"visible"`` or ``"module:function"`` (``"visible"`` if none is set)."""
    try:
        config = tomllib.loads((Path(root) / "pyproject.toml").read_text())
    except (OSError, tomllib.TOMLDecodeError):
        return VISIBLE
    return config.get("tool", {}).get("nn-course", {}).get("self-check", VISIBLE)


def check(notebook_path, root=COURSE_ROOT):
    """Self-check one notebook with the configured check.

    Returns
    -------
    autograder.learner.report.CheckReport

    Raises
    ------
    ValueError
        If the notebook cannot be checked; the message says what to do.
    """
    name = configured_check(root)
    if name == VISIBLE:
        return visible.check_notebook(notebook_path)
    module, _, function = name.partition(":")
    result, messages = getattr(importlib.import_module(module), function)(notebook_path)
    return from_grading(Path(notebook_path).name, result, messages)


def check_this_notebook(name):
    """What a notebook's last cell calls: self-check the saved notebook and print the rows.

    The check reads the notebook as saved on disk, in a fresh kernel, exactly
    as ``python -m autograder.learner check`` does (it runs that command). It
    runs where JupyterLab started the kernel for this notebook (JupyterLab
    tells the kernel the notebook's path, ``JPY_SESSION_NAME``). Elsewhere,
    when the notebook is run by the check itself or by the grader, it says
    how to check from a terminal and does nothing else.

    Parameters
    ----------
    name : str
        The notebook's file name, for the message.
    """
    session = os.environ.get("JPY_SESSION_NAME")
    if os.environ.get(visible.INSIDE_CHECK) or not session or not Path(session).is_file():
        print(f"(The self-check runs from JupyterLab. In a terminal: python -m autograder.learner check {name})")
        return
    path = Path(session)
    print(f"Checking {path.name} as saved on disk (save it first: Ctrl+S)...", flush=True)
    done = subprocess.run([sys.executable, "-m", "autograder.learner", "check", str(path)],
                          capture_output=True, text=True)
    print(done.stdout.rstrip())
    if done.returncode not in (0, 1):
        print(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit code {done.returncode}")
