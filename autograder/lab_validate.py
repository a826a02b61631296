"""nbgrader's Validate button, in JupyterLab, runs the course's self-check.

Stock Validate runs a notebook's visible tests in the learner's own kernel and
lists the cells that printed an error. Here the button runs
:func:`autograder.selfcheck.check_notebook`, the engine of ``python -m
autograder check``: the visible and hidden tests, judged outside the learner's
kernel. The dialog shows the per-test table and, for each failed test, the
hint that ``check`` prints.

This module is a Jupyter server extension that serves nbgrader's two Validate
endpoints (``assignments/validate`` and ``nbgrader_version``) in place of
nbgrader's own ``validate_assignment`` extension; ``autograder/
jupyter_server_config.json`` swaps them when ``make lab`` starts JupyterLab.
The button and its dialog are nbgrader's labextension, unchanged.

The check runs in a child process, ``python -m autograder.lab_validate
NOTEBOOK``, which prints the result as JSON: the server stays responsive, and
a notebook that hangs is stopped after :data:`CHECK_TIMEOUT_SECONDS`.
"""

import asyncio
import html
import json
import os
import sys
from pathlib import Path

CHECK_TIMEOUT_SECONDS = 1800

# Environment the child must not inherit: the server's Jupyter configuration
# (it would point nbgrader at the course in the repository instead of the
# self-check's scratch copy).
_SERVER_ONLY_VARIABLES = ("JUPYTER_CONFIG_PATH", "NN_COURSE_ROOT")


def table_lines(result):
    """The per-test table, as ``python -m autograder check`` prints it.

    Parameters
    ----------
    result : autograder.results.SubmissionResult
        With ``messages`` (grade id -> hint) for the failed tests.

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
    result : autograder.results.SubmissionResult

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


async def run_check(notebook, timeout=CHECK_TIMEOUT_SECONDS):
    """Self-check ``notebook`` in a child process.

    Returns
    -------
    autograder.results.SubmissionResult

    Raises
    ------
    RuntimeError
        With what the learner should read, if the check could not grade it.
    """
    from autograder.results import SubmissionResult

    env = {k: v for k, v in os.environ.items() if k not in _SERVER_ONLY_VARIABLES}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", __name__, str(notebook), env=env,
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
    data = json.loads(stdout)
    result = SubmissionResult.from_dict(data)
    result.messages = {t["grade_id"]: t["message"] for t in data["tests"] if t.get("message")}
    return result


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
    serverapp.log.info("Validate runs the course's self-check (autograder.lab_validate)")


def main(argv=None):
    """``python -m autograder.lab_validate NOTEBOOK``: self-check it and print the result as JSON."""
    import argparse

    from autograder.nbgrader_api import GradingError
    from autograder.selfcheck import check_notebook

    parser = argparse.ArgumentParser(prog="python -m autograder.lab_validate", description=main.__doc__)
    parser.add_argument("notebook")
    args = parser.parse_args(argv)
    # stdout carries only the JSON: whatever nbgrader, the kernel or its
    # children print meanwhile goes to stderr (at the descriptor level, so that
    # child processes follow).
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        result, messages = check_notebook(args.notebook)
    except (GradingError, ValueError) as err:
        sys.exit(f"error: {err}")
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
    result.messages = messages
    print(json.dumps(result.to_dict()))


if __name__ == "__main__":
    main()
