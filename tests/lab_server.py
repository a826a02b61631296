"""JupyterLab started as `make lab` starts it, on a scratch copy of the course, for the browser tests.

`make lab` runs ``JUPYTER_CONFIG_PATH=<repo>/autograder .venv/bin/jupyter lab
--notebook-dir=<repo>``: :data:`MAKE_LAB_RECIPE` is that line, which a test
compares with the Makefile. Here the notebook folder is a scratch copy of
``source/`` and ``notebooks/``, and ``NN_COURSE_ROOT`` points nbgrader (the
formgrader) at it, so that nothing is written into the repository. The server
listens on a free loopback port with a random token and opens no browser.
"""

import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from conftest import REPO_ROOT

from autograder.settings import RELEASE_DIR, SOURCE_DIR

MAKE_LAB_RECIPE = "JUPYTER_CONFIG_PATH=$(CURDIR)/autograder $(BIN)/jupyter lab --notebook-dir=$(CURDIR) $(LAB_FLAGS)"


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scratch_course(folder):
    """Copy ``source/`` and ``notebooks/`` into ``folder``; returns it."""
    folder = Path(folder)
    for name in (SOURCE_DIR, RELEASE_DIR):
        shutil.copytree(REPO_ROOT / name, folder / name, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return folder


class Lab:
    """A running JupyterLab: its base ``url``, ``token``, ``root`` folder and log file."""

    def __init__(self, url, token, root, log):
        self.url, self.token, self.root, self.log = url, token, root, log

    def page(self, path=""):
        """The URL of ``path`` under the server, with the token (which also logs the browser in)."""
        return f"{self.url}{path}{'&' if '?' in path else '?'}token={self.token}"

    def request(self, path, method="GET", data=None, timeout=60):
        """Call the server's REST API; returns the decoded JSON reply."""
        request = urllib.request.Request(self.url + path, method=method, data=data,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            return json.loads(reply.read() or b"null")

    def log_tail(self, lines=40):
        return "\n".join(Path(self.log).read_text(errors="replace").splitlines()[-lines:])


@contextlib.contextmanager
def jupyter_lab(root, startup_timeout=120, pack_env=None, command_prefix=()):
    """Run JupyterLab from .venv on ``root`` as `make lab` does; yields a :class:`Lab`.

    With ``pack_env`` (a learner's environment, tests/installed_pack.py), ``root``
    is an installed student pack instead: its own ``.venv/bin/jupyter`` runs there,
    as its README says, with nothing of the repository's configuration.
    ``command_prefix`` runs it as another user (``runuser -u USER --``).
    """
    if pack_env is None:
        jupyter = Path(sys.executable).with_name("jupyter")
        env = dict(os.environ, JUPYTER_CONFIG_PATH=str(REPO_ROOT / "autograder"), NN_COURSE_ROOT=str(root))
        # `make lab` does not activate the virtualenv: its bin/ is not on PATH
        # (the grading code adds it to this process's PATH; the server must not inherit that).
        env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if Path(p) != jupyter.parent)
    else:
        jupyter, env = Path(root) / ".venv" / "bin" / "jupyter", dict(pack_env)
    port, token = free_port(), secrets.token_hex(16)
    # Keep the user's own Jupyter settings and workspaces out of the test.
    env["JUPYTER_CONFIG_DIR"] = str(Path(root) / ".jupyter-config")
    env["JUPYTERLAB_SETTINGS_DIR"] = str(Path(root) / ".jupyter-config" / "lab" / "user-settings")
    env["JUPYTERLAB_WORKSPACES_DIR"] = str(Path(root) / ".jupyter-config" / "lab" / "workspaces")
    log = Path(root) / "jupyter-lab.log"
    with open(log, "w") as out:
        process = subprocess.Popen(
            [*command_prefix, str(jupyter), "lab", f"--notebook-dir={root}", "--no-browser", "--ip=127.0.0.1",
             f"--port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}"]
            # CI runs as root, which Jupyter refuses unless told.
            + (["--allow-root"] if os.geteuid() == 0 and not command_prefix else []),
            env=env, stdout=out, stderr=subprocess.STDOUT, cwd=root)
    lab = Lab(f"http://127.0.0.1:{port}/", token, Path(root), log)
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with {process.returncode}:\n{lab.log_tail()}")
            try:
                lab.request("api/status", timeout=5)
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"JupyterLab did not answer within {startup_timeout} s:\n{lab.log_tail()}")
                time.sleep(0.5)
        yield lab
    finally:
        for session in _quietly(lambda: lab.request("api/sessions")) or []:
            _quietly(lambda: lab.request(f"api/sessions/{session['id']}", method="DELETE"))
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _quietly(call):
    try:
        return call()
    except Exception:  # the server may be gone already; shutting down is best effort
        return None
