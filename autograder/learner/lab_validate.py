"""nbgrader's Validate button, in JupyterLab, runs the course's self-check.

Stock Validate runs a notebook's visible tests in the learner's own kernel and
lists the cells that printed an error. Here the button runs
:func:`autograder.grading.selfcheck.check_notebook`, the engine of ``python -m
autograder check``: the visible and hidden tests, judged outside the learner's
kernel. The dialog shows the per-test table and, for each failed test, the
hint that ``check`` prints.

This module is a Jupyter server extension that serves nbgrader's two Validate
endpoints (``assignments/validate`` and ``nbgrader_version``) in place of
nbgrader's own ``validate_assignment`` extension; ``autograder/
jupyter_server_config.json`` swaps them when ``make lab`` starts JupyterLab.
The button and its dialog are nbgrader's labextension, unchanged.

The check runs in a child process, ``python -m <check module> NOTEBOOK``, which
prints the result as JSON (a grading report: ``tests`` with ``grade_id``,
``points``, ``max_points``, ``kind`` and ``message``): the server stays
responsive, and a notebook that hangs is stopped after
:data:`CHECK_TIMEOUT_SECONDS`. Which check runs is configuration
(``CourseValidate.check_module`` in the Jupyter server's config), so that
this module, which learners' installs ship, imports no grading code.
"""

import asyncio
import html
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.utils import url_path_join
from nbgrader.server_extensions.validate_assignment.handlers import NbGraderVersionHandler
from tornado import web

CHECK_TIMEOUT_SECONDS = 1800

# Environment the child must not inherit: the server's Jupyter configuration
# (it would point nbgrader at the course in the repository instead of the
# self-check's scratch copy).
_SERVER_ONLY_VARIABLES = ("JUPYTER_CONFIG_PATH", "NN_COURSE_ROOT")


@dataclass(frozen=True)
class CheckedTest:
    """One test of a self-check, as its JSON report gives it."""

    grade_id: str
    points: float
    max_points: float
    manual: bool = False
    """A written answer, graded by a person."""
    message: str = ""
    """The hint the learner reads, for a failed test."""


@dataclass(frozen=True)
class CheckReport:
    """A self-check's result: its tests and the assignment's total points."""

    tests: list = field(default_factory=list)
    max_score: float = 0.0

    @classmethod
    def from_dict(cls, data):
        """From the JSON a check module prints (a grading report's ``tests`` and ``max_score``)."""
        tests = [CheckedTest(t["grade_id"], float(t["points"]), float(t["max_points"]), t.get("kind") == "manual",
                             t.get("message") or "") for t in data.get("tests", [])]
        return cls(tests, float(data.get("max_score", sum(t.max_points for t in tests))))

    @property
    def messages(self):
        """grade id -> hint, for the tests that have one."""
        return {t.grade_id: t.message for t in self.tests if t.message}


def table_lines(result):
    """The per-test table, as ``python -m autograder check`` prints it.

    Parameters
    ----------
    result : CheckReport

    Returns
    -------
    list of str
        One line per test (``passed``, ``FAILED`` or ``written``, points, grade
        id), then the autograded score.
    """
    lines = []
    for test in result.tests:
        if test.manual:
            status = "written"
        elif test.points >= test.max_points:
            status = "passed"
        else:
            status = "FAILED"
        lines.append(f"{status:7s} {test.points:4g}/{test.max_points:<3g} {test.grade_id}")
    auto = [t for t in result.tests if not t.manual]
    auto_max = sum(t.max_points for t in auto)
    written = result.max_score - auto_max
    lines.append("")
    lines.append(f"autograded score: {sum(t.points for t in auto):g} / {auto_max:g}"
                 + (f" (+ {written:g} points of written answers, graded by a person)" if written else ""))
    return lines


def validation_value(result):
    """What nbgrader's Validate dialog shows for a self-check ``result``.

    The dialog lists ``failed`` entries, each a ``source`` (shown as text) and
    an ``error`` (shown as HTML); with no entry it says "Success! Your notebook
    passes all the tests." The first entry is the per-test table, then one entry
    per failed test with its hint.

    Parameters
    ----------
    result : CheckReport

    Returns
    -------
    dict
        The ``value`` of nbgrader's validate reply.
    """
    failed = [t for t in result.tests if not t.manual and t.points < t.max_points]
    if not failed:
        return {}
    summary = (f"{len(failed)} of {sum(not t.manual for t in result.tests)} tests failed "
               "(the visible and the hidden tests, as the grader runs them). Each is listed below with a hint.")
    entries = [{"source": "\n".join(table_lines(result)), "error": html.escape(summary), "raw_error": summary}]
    for test in failed:
        hint = result.messages.get(test.grade_id) or "this test failed"
        entries.append({"source": f"{test.grade_id}: {test.points:g} / {test.max_points:g} points",
                        "error": html.escape(hint), "raw_error": hint})
    return {"failed": entries}


async def run_check(notebook, check_module, timeout=CHECK_TIMEOUT_SECONDS):
    """Self-check ``notebook`` in a child process, ``python -m check_module NOTEBOOK``.

    Returns
    -------
    CheckReport

    Raises
    ------
    RuntimeError
        With what the learner should read, if the check could not grade it.
    """
    env = {k: v for k, v in os.environ.items() if k not in _SERVER_ONLY_VARIABLES}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", check_module, str(notebook), env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout)
    except asyncio.TimeoutError:
        process.kill()
        await process.wait()
        raise RuntimeError(f"the self-check did not finish within {timeout // 60} minutes: "
                           "does a cell of the notebook loop forever?") from None
    if process.returncode != 0:
        lines = stderr.decode(errors="replace").strip().splitlines()
        raise RuntimeError(lines[-1].removeprefix("error: ") if lines else
                           f"the self-check stopped with exit code {process.returncode}")
    return CheckReport.from_dict(json.loads(stdout))


def _handlers(check_module):
    """The Validate request handlers, running ``python -m check_module`` on the notebook."""

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
                reply = {"success": True, "value": validation_value(await run_check(target, check_module))}
            except RuntimeError as err:
                reply = {"success": False, "value": str(err)}
            self.finish(json.dumps(reply))

    return [("assignments/validate", ValidateHandler), ("nbgrader_version", NbGraderVersionHandler)]


def _jupyter_server_extension_points():
    return [{"module": __name__}]


def check_module_of(config):
    """The module whose ``python -m`` run is the self-check, from a Jupyter server's ``config``.

    Raises
    ------
    ValueError
        If the configuration does not name one.
    """
    module = config.get("CourseValidate", {}).get("check_module")
    if not module:
        raise ValueError("no self-check configured: set CourseValidate.check_module in the Jupyter server's "
                         "configuration (jupyter_server_config.json beside the course's autograder package)")
    return str(module)


def _load_jupyter_server_extension(serverapp):
    check_module = check_module_of(serverapp.config)
    web_app = serverapp.web_app
    web_app.add_handlers(".*$", [(url_path_join(web_app.settings["base_url"], pattern), handler)
                                 for pattern, handler in _handlers(check_module)])
    serverapp.log.info(f"Validate runs the course's self-check (python -m {check_module})")
