"""The learner's JupyterLab, in a real browser: Debian's Chromium driven by Playwright.

One JupyterLab, started as `make lab` starts it (tests/lab_server.py) on a
scratch copy of the course, serves every step: each reference notebook runs
top to bottom without an error; each released notebook's first test says, in
words, that the function is not implemented yet; nbgrader's Assignment List,
Validate (which runs the self-check) and formgrader load. Each kernel is shut
down before the next notebook opens. The student pack gets its own JupyterLab,
started from the unzipped, installed pack as its README says, where Validate
shows the visible-test score of a half-done notebook. Screenshots are saved as artifacts
(tests/browser.py: ``$NN_TEST_ARTIFACTS``, default ``test-artifacts/``).
"""

import json
import re
import time

import nbformat
import pytest
from browser import browser, screenshot
from conftest import REPO_ROOT
from installed_pack import filled, fresh_folder, learner_env, remove, unpacked_pack
from lab_server import jupyter_lab, scratch_course

from autograder.coursedir.release import points
from autograder.learner.checks import not_implemented_message
from autograder.settings import RELEASE_DIR, SOURCE_DIR

pytestmark = pytest.mark.slow

REFERENCE = sorted(p.relative_to(REPO_ROOT).as_posix() for p in (REPO_ROOT / SOURCE_DIR).glob("*/*.ipynb"))
RELEASED = sorted(p.relative_to(REPO_ROOT).as_posix() for p in (REPO_ROOT / RELEASE_DIR).glob("*/*.ipynb"))
NOTEBOOK_SECONDS = 900    # a reference notebook trains its networks; the slowest takes a few minutes
# JupyterLab renders an error output, like a stderr stream, as this mime type.
STDERR_OUTPUT = ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
PROMPTS = ".jp-Notebook .jp-CodeCell .jp-InputArea-prompt"


def _user_settings(root):
    """JupyterLab settings for the scratch user: every cell in the DOM, no news fetched from the internet."""
    settings = root / ".jupyter-config" / "lab" / "user-settings" / "@jupyterlab"
    for extension, name, values in (("notebook-extension", "tracker", {"windowingMode": "none"}),
                                    ("apputils-extension", "notification", {"fetchNews": "false"})):
        (settings / extension).mkdir(parents=True, exist_ok=True)
        (settings / extension / f"{name}.jupyterlab-settings").write_text(json.dumps(values))


@pytest.fixture(scope="module")
def chromium():
    """One Chromium for the module: Playwright's sync API runs one event loop per thread, so two cannot nest."""
    with browser() as launched:
        yield launched


@pytest.fixture(scope="module")
def lab_page(tmp_path_factory, chromium):
    """(lab, page): one JupyterLab on a scratch course and one Chromium tab, for the whole module."""
    root = scratch_course(tmp_path_factory.mktemp("course"))
    _user_settings(root)
    with jupyter_lab(root) as lab:
        page = chromium.new_page(viewport={"width": 1400, "height": 900})
        yield lab, page
        page.close()


def _open(lab, page, path):
    """Open the notebook at ``path`` (relative to the course) alone, and wait for its kernel."""
    page.goto(lab.page(f"lab/tree/{path}?reset"))    # ?reset: no tab of the previous notebook reopens
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
    # The page shows "idle" before a kernel exists; the server knows when it has started.
    deadline = time.monotonic() + 120
    while not any(s["path"] == path and s["kernel"]["execution_state"] == "idle"
                  for s in lab.request("api/sessions")):
        if time.monotonic() > deadline:
            pytest.fail(f"no idle kernel for {path} after 120 s:\n{lab.log_tail()}")
        time.sleep(0.5)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=120_000)


def _close(lab, path):
    """Shut the notebook's kernel down (as Kernel > Shut Down Kernel does), so kernels never pile up."""
    for session in lab.request("api/sessions"):
        if session["path"] == path:
            lab.request(f"api/sessions/{session['id']}", method="DELETE")


def _menu(page, menu, item):
    page.click(f".lm-MenuBar-itemLabel:text-is('{menu}')")
    page.click(f".lm-Menu-itemLabel:text-is('{item}')")


def _prompts(page):
    return page.eval_on_selector_all(PROMPTS, "els => els.map(e => e.textContent.trim())")


def _wait_for_run(page, timeout):
    """Wait until no cell is queued or running ("[*]"); returns the prompts then."""
    deadline = time.monotonic() + timeout
    started = time.monotonic() + 30
    # The click queues the cells: wait until the page marks one queued or run.
    while not any("*" in p or re.search(r"\d", p) for p in _prompts(page)):
        if time.monotonic() > started:
            pytest.fail("no cell started running within 30 s")
        time.sleep(0.2)
    while time.monotonic() < deadline:
        prompts = _prompts(page)
        idle = page.query_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']")
        if idle and not any("*" in p for p in prompts):
            return prompts
        time.sleep(1)
    pytest.fail(f"the notebook was still running after {timeout} s")


def _stderr_outputs(page):
    """The text of every error (and stderr) output on the page."""
    return page.eval_on_selector_all(STDERR_OUTPUT, "els => els.map(e => e.innerText)")


@pytest.mark.parametrize("path", REFERENCE)
def test_reference_notebook_runs_all_cells_without_an_error(lab_page, path):
    lab, page = lab_page
    _open(lab, page, path)
    started = time.monotonic()
    _menu(page, "Run", "Run All Cells")
    prompts = _wait_for_run(page, NOTEBOOK_SECONDS)
    seconds = time.monotonic() - started
    shot = screenshot(page, "lab-" + path.replace("/", "-").removesuffix(".ipynb"))
    errors = _stderr_outputs(page)
    not_run = [i for i, p in enumerate(prompts) if not re.fullmatch(r"\[\d+\]:", p)]
    _close(lab, path)
    assert not errors, f"{path}: {len(errors)} error outputs in the browser (see {shot}):\n" + "\n---\n".join(
        e[-1500:] for e in errors)
    assert prompts and not not_run, f"{path}: code cells {not_run} did not run (see {shot})"
    print(f"{path}: {len(prompts)} code cells ran in {seconds:.0f} s in JupyterLab")


def _first_test(path):
    """(index among code cells of the first test cell, the function it tests) of a released notebook."""
    nb = nbformat.read(REPO_ROOT / path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    index = next(i for i, c in enumerate(code) if c.metadata.get("nbgrader", {}).get("grade"))
    function = next(c.metadata["nbgrader"]["grade_id"] for c in reversed(code[:index])
                    if c.metadata.get("nbgrader", {}).get("solution"))
    return index, function


@pytest.mark.parametrize("path", RELEASED)
def test_released_notebook_s_first_test_says_in_words_what_is_missing(lab_page, path):
    lab, page = lab_page
    index, function = _first_test(path)
    _open(lab, page, path)
    cell = page.locator(".jp-Notebook .jp-CodeCell").nth(index)
    cell.locator(".jp-InputArea-prompt").click()          # select the test cell (command mode)
    _menu(page, "Run", "Run All Above Selected Cell")
    _wait_for_run(page, NOTEBOOK_SECONDS)
    assert not _stderr_outputs(page), f"{path}: a cell above the first test failed: {_stderr_outputs(page)}"
    cell.locator(".jp-InputArea-prompt").click()
    page.keyboard.press("Shift+Enter")
    cell.locator(".jp-OutputArea-output").first.wait_for(timeout=120_000)   # a passing test shows nothing
    _wait_for_run(page, 120)
    cell.scroll_into_view_if_needed()
    shot = screenshot(page, "lab-first-test-" + path.split("/")[1])
    shown = cell.locator(STDERR_OUTPUT).all_inner_texts()
    _close(lab, path)
    assert len(shown) == 1, f"{path}: the first test showed {shown} (see {shot})"
    assert shown[0].strip() == f"Test failed: {not_implemented_message(function)}", shown[0]
    assert "Traceback" not in shown[0] and "checks.py" not in shown[0]


def _validate(lab, page, path, shot_name):
    """Open ``path``, press Validate, and return (the dialog's text, its screenshot); the kernel is shut down."""
    _open(lab, page, path)
    page.click(".validate-button")
    dialog = page.wait_for_selector("#validation-message", timeout=NOTEBOOK_SECONDS * 1000)
    text = dialog.inner_text()
    shot = screenshot(page, shot_name)
    _close(lab, path)
    return text, shot


def test_validate_button_runs_the_self_check_and_shows_the_table_and_hints(lab_page):
    lab, page = lab_page
    path = RELEASED[0]
    text, shot = _validate(lab, page, path, "lab-validate")
    _, function = _first_test(path)
    assert re.search(r"FAILED\s+0/\d+\s+test_", text), f"no per-test table in the dialog (see {shot}):\n{text}"
    assert re.search(r"visible and hidden tests: 0/\d+ points", text), text
    assert not_implemented_message(function) in text, text


def test_assignment_list_loads(lab_page):
    lab, page = lab_page
    page.goto(lab.page("lab?reset"))
    page.wait_for_selector(".lm-MenuBar-itemLabel:text-is('Nbgrader')", timeout=120_000)
    _menu(page, "Nbgrader", "Assignment List")
    panel = page.wait_for_selector("#nbgrader-assignment-list", timeout=60_000)
    page.wait_for_timeout(2000)
    shot = screenshot(page, "lab-assignment-list")
    text = panel.inner_text()
    assert "Released assignments" in text, f"(see {shot}) {text}"
    assert "Error" not in text, f"the Assignment List shows an error (see {shot}): {text}"


def test_formgrader_loads_with_the_course_s_assignments(lab_page):
    lab, page = lab_page
    page.goto(lab.page("formgrader"))
    assignments = sorted({p.split("/")[1] for p in REFERENCE})
    try:
        # The table fills in once formgrader has read the course's source/ folder.
        page.wait_for_selector(f"td:has-text('{assignments[-1]}')", timeout=60_000)
    finally:
        shot = screenshot(page, "lab-formgrader")
    text = page.inner_text("body")
    assert "Manage Assignments" in text and "Loading, please wait" not in text
    for assignment in assignments:
        assert assignment in text, f"formgrader does not list {assignment} (see {shot})"


def test_validate_in_the_student_pack_shows_the_visible_test_score(chromium):
    """JupyterLab from the unzipped pack, in Chromium: Validate on a half-done notebook shows the score table."""
    parent = fresh_folder()
    try:
        pack = unpacked_pack(parent)
        released = pack / "notebooks" / "01_softmax_regression" / "softmax_regression.ipynb"
        filled(released, released, keep=lambda grade_id: grade_id in ("np_linear", "np_softmax"))
        _user_settings(pack)
        path = released.relative_to(pack).as_posix()
        with jupyter_lab(pack, pack_env=learner_env(pack)) as lab:
            page = chromium.new_page(viewport={"width": 1400, "height": 1000})
            text, shot = _validate(lab, page, path, "lab-pack-validate")
            page.close()
    finally:
        remove(parent)
    total = points("01_softmax_regression").autograded
    assert re.search(rf"visible tests: [1-9][\d.]*/{total:g} points; the grader also runs hidden tests", text), (
        shot, text)
    assert re.search(r"passed\s+\d+/\d+\s+test_np_linear", text) and re.search(r"FAILED\s+0/\d+\s+test_", text)
    assert not_implemented_message("np_cross_entropy") in text, text
