"""nbgrader's Validate button, in JupyterLab, runs the course's self-check.

Stock Validate runs a notebook's visible tests in the learner's own kernel and
lists the cells that printed an error. Here the button runs the course's
self-check (:mod:`autograder.learner.selfcheck`: the visible tests in the
student pack, the visible and hidden tests in the instructor's repository, as
configured) and shows its rows, the score, and the hint of each failed test:
what ``python -m autograder.learner check`` prints.

This module is a Jupyter server extension that serves nbgrader's two Validate
endpoints (``assignments/validate`` and ``nbgrader_version``) in place of
nbgrader's own ``validate_assignment`` extension. The Jupyter configuration
that swaps them is ``autograder/jupyter_server_config.json`` (the repository's JupyterLab)
or, in the student pack, the one its install puts in the venv. The button and
its dialog are nbgrader's labextension, unchanged.

The check runs in a child process, ``python -m autograder.learner check
--json NOTEBOOK``: the server stays responsive, and a notebook that hangs is
stopped after :data:`CHECK_TIMEOUT_SECONDS`.
"""

import asyncio
import html
import json
import os
import sys
from pathlib import Path

from autograder.learner.report import CheckReport

CHECK_TIMEOUT_SECONDS = 1800

# Environment the child must not inherit: the server's Jupyter configuration
# (it would point nbgrader at the course in the repository instead of the
# self-check's scratch copy).
_SERVER_ONLY_VARIABLES = ("JUPYTER_CONFIG_PATH", "NN_COURSE_ROOT")


def validation_value(report):
    """What nbgrader's Validate dialog shows for a self-check ``report``.

    The dialog lists ``failed`` entries, each a ``source`` (shown as text) and
    an ``error`` (shown as HTML); with no entry it says "Success! Your notebook
    passes all the tests." The first entry is the check's rows and score, as
    the terminal prints them; then one entry per cell that failed outside the
    tests, then one per failed test with its hint.

    Parameters
    ----------
    report : autograder.learner.report.CheckReport

    Returns
    -------
    dict
        The ``value`` of nbgrader's validate reply.
    """
    if not report.failed and not report.cell_failures:
        return {}
    summary = report.summary()
    entries = [{"source": "\n".join(report.lines()), "error": html.escape(summary), "raw_error": summary}]
    for failure in report.cell_failures:
        entries.append({"source": "a cell that is not a test", "error": html.escape(failure), "raw_error": failure})
    for row in report.failed:
        hint = row.message or "this test failed"
        entries.append({"source": f"{row.grade_id}: {row.points:g} / {row.max_points:g} points",
                        "error": html.escape(hint), "raw_error": hint})
    return {"failed": entries}


async def run_check(notebook, timeout=CHECK_TIMEOUT_SECONDS):
    """Self-check ``notebook`` in a child process.

    Returns
    -------
    autograder.learner.report.CheckReport

    Raises
    ------
    RuntimeError
        With what the learner should read, if the check could not grade it.
    """
    env = {k: v for k, v in os.environ.items() if k not in _SERVER_ONLY_VARIABLES}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "autograder.learner", "check", "--json", str(notebook), env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout)
    except asyncio.TimeoutError:
        process.kill()
        await process.wait()
        raise RuntimeError(f"the self-check did not finish within {timeout // 60} minutes: "
                           "does a cell of the notebook loop forever?") from None
    if process.returncode not in (0, 1):
        lines = stderr.decode(errors="replace").strip().splitlines()
        raise RuntimeError(lines[-1].removeprefix("error: ") if lines else
                           f"the self-check stopped with exit code {process.returncode}")
    return CheckReport.from_dict(json.loads(stdout))


def _handlers():
    """The Validate request handlers (imported here: only a Jupyter server needs them)."""
    from jupyter_server.base.handlers import JupyterHandler
    from nbgrader.server_extensions.validate_assignment.handlers import NbGraderVersionHandler
    from tornado import web

    class ValidateHandler(JupyterHandler):
        """``POST assignments/validate?path=...``: self-check a notebook, answered as nbgrader's Validate is."""

        @web.authenticated
        async def post(self):
            path = self.get_argument("path", None) or (self.get_json_body() or {}).get("path")
            if not path:
                raise web.HTTPError(400, "no notebook path given")
            root = Path(self.settings["server_root_dir"]).resolve()
            target = (root / path).resolve()
            if not target.is_relative_to(root):
                raise web.HTTPError(403, "Access denied: path outside allowed directory")
            try:
                reply = {"success": True, "value": validation_value(await run_check(target))}
            except RuntimeError as err:
                reply = {"success": False, "value": str(err)}
            self.finish(json.dumps(reply))

    return [("assignments/validate", ValidateHandler), ("nbgrader_version", NbGraderVersionHandler)]


def _jupyter_server_extension_points():
    return [{"module": __name__}]


def _load_jupyter_server_extension(serverapp):
    from jupyter_server.utils import url_path_join

    web_app = serverapp.web_app
    web_app.add_handlers(".*$", [(url_path_join(web_app.settings["base_url"], pattern), handler)
                                 for pattern, handler in _handlers()])
    serverapp.log.info("Validate runs the course's self-check (autograder.learner.lab_validate)")
