"""The student pack, followed as a learner follows it: unzip, the README's commands, JupyterLab, the self-check.

The pack is built and unzipped into an empty folder outside the repository,
and installed by the README's own "Set up" commands (tests/installed_pack.py).
Each test then runs once as root and once as an ordinary user (the folder is
handed over with chown: only root reaches PyPI here). Nothing sets
``PYTHONPATH``: the notebooks' imports work because the pack installed itself.
"""

import re
import subprocess
import urllib.parse

import nbformat
import pytest
from installed_pack import (LEARNER, as_user, execute, filled, fresh_folder, hand_to, learner_env, readme_commands,
                            remove, run_in_pack, unpacked_pack)
from lab_server import jupyter_lab

from autograder.coursedir.release import points
from autograder.learner.report import CheckReport

pytestmark = pytest.mark.slow

USERS = ["root", LEARNER]
ROW = re.compile(r"^(passed|FAILED|written)\s+(\S+)/(\S+)\s+(\S+)$")
SUMMARY = re.compile(r"^visible tests: ([\d.]+)/([\d.]+) points; the grader also runs hidden tests on the same "
                     r"functions; written answers \(([\d.]+) points\) are graded by a person$")
HALF_DONE = ("np_linear", "np_softmax")   # assignment 1 with its first two functions written


@pytest.fixture(scope="module")
def pack():
    parent = fresh_folder()
    try:
        yield unpacked_pack(parent)
    finally:
        remove(parent)


def _notebooks(pack):
    return sorted(p.relative_to(pack).as_posix() for p in (pack / "notebooks").glob("*/*.ipynb"))


def _is_test(cell):
    return cell["meta"].get("grade") and not cell["meta"].get("solution") and cell["type"] == "code"


def test_jupyter_lab_as_root_says_how_to_start_it(pack):
    readme = (pack / "README.md").read_text()
    (command,) = readme_commands(readme, "Work")
    assert command == ".venv/bin/jupyter lab"
    done = subprocess.run(command, shell=True, cwd=pack, env=learner_env(pack), capture_output=True, text=True,
                          timeout=300)
    assert done.returncode != 0 and "--allow-root" in done.stdout + done.stderr, done.stderr[-2000:]
    assert "`.venv/bin/jupyter lab --allow-root`" in readme


@pytest.mark.parametrize("user", USERS)
def test_blank_notebooks_fail_each_visible_test_as_not_implemented(pack, user):
    hand_to(pack, user)
    for notebook in _notebooks(pack):
        result = execute(pack, user, notebook, allow_errors=True)
        errors = [o for c in result["cells"] for o in c["outputs"] if o["output_type"] == "error"]
        assert not [e for e in errors if e["ename"] in ("ModuleNotFoundError", "ImportError")], (notebook, errors)
        assert [c for c in result["cells"] if _is_test(c)], notebook
        answer, cell_failed = None, False
        for cell in result["cells"]:
            if cell["meta"].get("solution") and cell["type"] == "code":
                answer = cell
            if not _is_test(cell):
                cell_failed |= any(o["output_type"] == "error" for o in cell["outputs"])
                continue
            shown = [o for o in cell["outputs"] if o["output_type"] == "error"]
            assert shown, (notebook, cell["meta"])
            if cell_failed and (shown[0]["ename"] == "NameError" or "did not finish" in shown[0]["evalue"]):
                continue   # a test of what an earlier cell (training, say) should have made: a knock-on error
            assert shown[0]["ename"] == "CheckFailure", (notebook, cell["meta"], shown)
            if "def " in answer["source"] or "class " in answer["source"]:
                assert "is not implemented yet" in shown[0]["evalue"], (notebook, cell["meta"], shown)
            else:   # an answer that is a value, not a function: the test names it
                assert answer["meta"]["grade_id"] in shown[0]["evalue"], (notebook, cell["meta"], shown)


@pytest.mark.parametrize("user", USERS)
def test_reference_notebooks_run_all_without_an_error(pack, user):
    for notebook in _notebooks(pack):
        target = pack / "reference" / notebook
        target.parent.mkdir(parents=True, exist_ok=True)
        filled(pack / notebook, target)
    hand_to(pack, user)
    for notebook in _notebooks(pack):
        result = execute(pack, user, pack / "reference" / notebook, allow_errors=False)
        assert result["failed"] is None, f"{notebook}: {result['failed']}"
        last = result["cells"][-1]["outputs"]
        assert last and "python -m autograder.learner check" in last[0]["text"], last


def _rows(lines):
    """(rows, summary) of the self-check's text: the parsed rows and the score line."""
    rows = [ROW.match(line).groups() for line in lines if ROW.match(line)]
    summary = [line for line in lines if line.startswith("visible tests:")]
    return rows, summary


@pytest.mark.parametrize("user", USERS)
def test_terminal_validate_and_the_notebook_s_last_cell_give_the_same_rows(pack, user):
    released = pack / "notebooks" / "01_softmax_regression" / "softmax_regression.ipynb"
    target = pack / "half-done" / "01_softmax_regression" / released.name
    target.parent.mkdir(parents=True, exist_ok=True)
    filled(released, target, keep=lambda grade_id: grade_id in HALF_DONE)
    hand_to(pack, user)

    # 1. The terminal, as the README says.
    cli = subprocess.run(as_user([str(pack / ".venv/bin/python"), "-m", "autograder.learner", "check",
                                  str(target)], user),
                         cwd=pack, env=learner_env(pack, user), capture_output=True, text=True, timeout=600)
    assert cli.returncode == 1, cli.stderr[-2000:]
    terminal = cli.stdout.strip().splitlines()[1:]           # after "checking ..."
    rows, summary = _rows(terminal)
    assert summary and SUMMARY.match(summary[0]), terminal
    score, total, written = map(float, SUMMARY.match(summary[0]).groups())
    expected = points("01_softmax_regression")
    assert (total, written) == (expected.autograded, expected.written)
    assert 0 < score < total
    assert score == sum(float(p) for status, p, _, _ in rows if status == "passed")
    failed = [row for row in rows if row[0] == "FAILED"]
    assert failed and all(f"{name} is not implemented yet" in cli.stdout
                          for name in ("np_cross_entropy", "np_cross_entropy_grad")), cli.stdout

    # 2. Validate, in the pack's own JupyterLab (the endpoint the button calls).
    prefix = as_user([], user)
    with jupyter_lab(pack, pack_env=learner_env(pack, user), command_prefix=prefix) as lab:
        path = urllib.parse.quote(target.relative_to(pack).as_posix())
        reply = lab.request(f"assignments/validate?path={path}", method="POST", data=b"", timeout=600)
    assert reply["success"], reply
    table = reply["value"]["failed"][0]["source"].splitlines()
    assert table == terminal

    # 3. The notebook's last cell, in a kernel that JupyterLab started for this notebook.
    result = execute(pack, user, target, allow_errors=True, env={"JPY_SESSION_NAME": str(target)})
    printed = "".join(o["text"] or "" for o in result["cells"][-1]["outputs"] if o["output_type"] == "stream")
    header, *rest = printed.strip().splitlines()          # "Checking ... as saved on disk", then the command's
    assert header.startswith("Checking softmax_regression.ipynb as saved on disk") and rest[1:] == terminal, printed


def test_the_check_names_a_failed_setup_cell_instead_of_its_knock_on_errors(pack):
    """A kernel without the course (the setup cell's import fails): one cause, no list of NameErrors."""
    released = pack / "notebooks" / "01_softmax_regression" / "softmax_regression.ipynb"
    broken = pack / "broken" / "01_softmax_regression" / released.name
    broken.parent.mkdir(parents=True, exist_ok=True)
    nb = nbformat.read(released, as_version=4)
    setup = next(c for c in nb.cells if c.cell_type == "code")
    setup.source = setup.source.replace("from course import plots", "from course_missing import plots")
    nbformat.write(nb, broken)
    done = run_in_pack(pack, "root", "from autograder.learner.__main__ import main; main()", "check", "--json",
                       broken)
    report = CheckReport.from_dict(__import__("json").loads(done.stdout))
    assert report.cell_failures and report.cell_failures[0].startswith(
        "the setup cell (the first code cell) failed: ModuleNotFoundError: No module named 'course_missing'")
    assert len(report.cell_failures) == 1, report.cell_failures   # the cells that needed it are not listed
    assert not [row for row in report.rows if "NameError" in row.message], report.rows
