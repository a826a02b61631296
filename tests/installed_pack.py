"""The student pack as a learner meets it: built, unzipped outside the repository, installed as its README says.

:func:`unpacked_pack` builds the zip (``python -m autograder.coursedir.student_pack``
does the same), unzips it into a fresh folder under ``/tmp`` and runs the
README's "Set up" commands there, literally, in a shell whose ``PATH`` is a
plain system one (no repository venv, no ``PYTHONPATH``). Only root reaches
PyPI here, so the install always runs as root; :func:`hand_to` then gives the
folder to an ordinary user (``useradd`` + ``chown``), who runs everything else.

Code that must run in the pack's own Python (its kernel, its nbclient) is
sent to ``.venv/bin/python`` as a script: :func:`run_in_pack`.
"""

import json
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

import nbformat

from autograder.coursedir import student_pack
from autograder.coursedir.release import strip_solution_markers
from autograder.settings import SOURCE_DIR
from conftest import REPO_ROOT

LEARNER = "nnlearner"
# A learner's shell: the system's PATH, nothing of this repository's venv.
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
INSTALL_SECONDS = 1800


def readme_commands(readme, heading):
    """The lines of the first code block under ``## heading`` in the pack's README."""
    section = readme.split(f"## {heading}", 1)[1]
    block = re.search(r"```\n(.*?)```", section, flags=re.S).group(1)
    return [line for line in block.splitlines() if line.strip()]


def learner_env(folder, user=None):
    """The environment of a learner's shell in ``folder``."""
    home = Path(f"/home/{user}") if user and user != "root" else Path(folder) / ".home"
    home.mkdir(exist_ok=True)
    return {"PATH": SYSTEM_PATH, "HOME": str(home), "LANG": "C.UTF-8",
            "PIP_DISABLE_PIP_VERSION_CHECK": "1"}


def as_user(command, user):
    """``command`` (a list) run as ``user`` (``runuser``), or as it is for root."""
    return command if user in (None, "root") else ["runuser", "-u", user, "--", *command]


def unpacked_pack(parent):
    """Build the pack, unzip it into ``parent`` and install it as the README says; returns the pack folder."""
    zip_path, _ = student_pack.build(Path(parent) / "pack.zip")
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(parent)
    folder = Path(parent) / student_pack.PACK_NAME
    readme = (folder / "README.md").read_text()
    for command in readme_commands(readme, "Set up (once)"):
        done = subprocess.run(command, shell=True, cwd=folder, env=learner_env(folder), capture_output=True,
                              text=True, timeout=INSTALL_SECONDS)
        assert done.returncode == 0, f"README step {command!r} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return folder


def fresh_folder():
    """A new folder under /tmp that an ordinary user may enter (pytest's own is root's alone)."""
    folder = Path(tempfile.mkdtemp(prefix="nn-student-pack-", dir="/tmp"))
    folder.chmod(0o755)
    return folder


def hand_to(folder, user):
    """Give ``folder`` to ``user`` (created if missing); a no-op for root."""
    if user == "root":
        return
    if subprocess.run(["id", user], capture_output=True).returncode != 0:
        subprocess.run(["useradd", "--create-home", user], check=True)
    subprocess.run(["chown", "-R", f"{user}:{user}", str(folder)], check=True)


def run_in_pack(folder, user, script, *args, env=None, timeout=1800):
    """Run a Python ``script`` with the pack's ``.venv/bin/python``, as ``user``; returns the CompletedProcess."""
    return subprocess.run(as_user([str(Path(folder) / ".venv/bin/python"), "-c", script, *map(str, args)], user),
                          cwd=folder, env={**learner_env(folder, user), **(env or {})}, capture_output=True,
                          text=True, timeout=timeout)


# Runs in the pack's Python: execute a notebook in a fresh kernel, as Run All
# does, and print each cell's outputs as JSON.
EXECUTE = r"""
import json, sys
import nbformat
from nbclient import NotebookClient
path, allow_errors = sys.argv[1], sys.argv[2] == "1"
nb = nbformat.read(path, as_version=4)
failed = None
try:
    NotebookClient(nb, timeout=900, kernel_name="python3", allow_errors=allow_errors,
                   resources={"metadata": {"path": str(__import__("pathlib").Path(path).parent)}}).execute()
except Exception as err:
    failed = f"{type(err).__name__}: {err}"[-3000:]
cells = [{"meta": c.metadata.get("nbgrader", {}), "type": c.cell_type, "source": c.source,
          "outputs": [{k: o.get(k) for k in ("output_type", "name", "ename", "evalue", "text")}
                      for o in c.get("outputs", [])]} for c in nb.cells]
print(json.dumps({"failed": failed, "cells": cells}))
"""


def execute(folder, user, notebook, allow_errors, env=None):
    """Execute ``notebook`` in the pack's kernel; returns ``{"failed": str or None, "cells": [...]}``."""
    done = run_in_pack(folder, user, EXECUTE, notebook, "1" if allow_errors else "0", env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def filled(release_path, out_path, keep=lambda grade_id: True):
    """Write ``release_path`` with the reference solution in each solution cell that ``keep`` accepts."""
    nb = nbformat.read(release_path, as_version=4)
    reference = nbformat.read(REPO_ROOT / SOURCE_DIR / Path(release_path).parent.name / Path(release_path).name,
                              as_version=4)
    solutions = {c.metadata["nbgrader"]["grade_id"]: c.source for c in reference.cells
                 if c.metadata.get("nbgrader", {}).get("solution")}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and cell.cell_type == "code" and keep(meta["grade_id"]):
            cell.source = strip_solution_markers(solutions[meta["grade_id"]])
    nbformat.write(nb, out_path)
    return Path(out_path)


def remove(folder):
    shutil.rmtree(folder, ignore_errors=True)
    os.sync()
