"""No learner script runs in a page the grader writes or serves.

One attacking submission puts scripts everywhere a learner can: ``<script>``
tags, ``<img onerror>``, SVG ``onload``, ``javascript:`` links and an IPython
``Javascript`` display, in its outputs (HTML, SVG, markdown, JavaScript) and in
a written answer. Every payload, if it runs, appends its name to
``window.__pwned``, to ``document.title`` and requests ``/<name>`` from a
listener on loopback. Its feedback page and formgrader's view of it (a real
``jupyter server`` with nbgrader's formgrader, instructor logged in with a
token) are opened in Chromium, every "click me" link is clicked, and no
marker may be set. A static check of the same HTML runs even where there is
no browser.
"""

import base64
import copy
import io
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import nbformat
import pytest
from browser import browser, screenshot
from conftest import REPO_ROOT
from grading_helpers import ASSIGNMENT, NOTEBOOK, grade, make_course, submit

from autograder.grading.autograde import generate_feedback
from autograder.grading.feedback import CONTENT_SECURITY_POLICY
from autograder.grading.sanitize import (
    MAX_MARKDOWN_CELL_CHARS,
    bounded_markdown,
    clean_html,
    clean_svg,
    inert_markdown,
    make_inert,
    unsafe_markdown,
)

STUDENT = "mallory"
MARKER = "__pwned"


def _js(name, port):
    """What each payload runs: three independent markers."""
    return (f"window.{MARKER}=(window.{MARKER}||[]).concat(['{name}']);document.title+=' PWNED-{name}';"
            f"fetch('http://127.0.0.1:{port}/{name}').catch(function(e){{}})")


def _png():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(1, 1), dpi=20)
    ax.plot([0, 1], [0, 1])
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


def attack_code(port):
    """Python for a learner cell: displays every kind of active output, and a PNG and a table."""
    html = (f"<script>{_js('output_script', port)}</script>"
            f'<img src="x" onerror="{_js("output_img_onerror", port)}">'
            f'<svg onload="{_js("output_inline_svg", port)}"><circle r="3"></circle></svg>'
            f'<a href="javascript:{_js("output_js_link", port)}">click me output_js_link</a>'
            f'<iframe src="javascript:{_js("output_iframe", port)}"></iframe>'
            "<table><tr><td>table cell 42</td></tr></table>")
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="20" height="20" onload="{_js("svg_onload", port)}">'
           f'<script>{_js("svg_script", port)}</script><circle cx="5" cy="5" r="3"/></svg>')
    markdown = f'Markdown output <img src="x" onerror="{_js("markdown_output", port)}">'
    return "\n".join([
        "from IPython.display import HTML, SVG, Image, Javascript, Markdown, display",
        f"display(HTML({html!r}))",
        f"display(SVG({svg!r}))",
        f"display(Javascript({_js('javascript_output', port)!r}))",
        f"display(Markdown({markdown!r}))",
        f"display(Image(data={_png()!r}, format='png'))",
    ])


# An ordinary written answer: its math, table and emphasis must still render.
ORDINARY_ANSWER = "\n".join([
    "Subtracting the row maximum changes *nothing*: $e^{l_i - m} / \\sum_j e^{l_j - m}$ is the same ratio.",
    "",
    "| row | sum |",
    "|-----|-----|",
    "| answer table 7 | 1 |",
])


def written_answer(port):
    """A written answer with the same payloads as the outputs."""
    return "\n".join([
        "Normalising over the batch mixes rows.",
        f"<script>{_js('answer_script', port)}</script>",
        f'<img src="x" onerror="{_js("answer_img_onerror", port)}">',
        f'<svg onload="{_js("answer_svg_onload", port)}"></svg>',
        f'<a href="javascript:{_js("answer_html_link", port)}">click me answer_html_link</a>',
        "",
        f"[click me answer_md_link](<javascript:{_js('answer_md_link', port)}>)",
    ])


class _Listener(ThreadingHTTPServer):
    """Records the path of every request: a payload that ran calls home here."""

    def __init__(self):
        self.hits = []
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                listener.hits.append(self.path.strip("/"))
                self.send_response(204)
                self.send_header("Access-Control-Allow-Origin", "*")
                self.end_headers()

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def listener():
    server = _Listener()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def graded(tmp_path_factory, listener):
    """A course with the attacking submission autograded and its feedback written."""
    root = make_course(tmp_path_factory.mktemp("pages") / "course")
    port = listener.server_address[1]
    submit(root, STUDENT, {"written_batch_softmax": written_answer(port), "written_max_shift": ORDINARY_ANSWER},
           attack=attack_code(port))
    result = grade(root, STUDENT)
    generate_feedback(root, ASSIGNMENT, STUDENT)
    return root, result


def _feedback_page(root):
    return root / "feedback" / STUDENT / ASSIGNMENT / NOTEBOOK.replace(".ipynb", ".html")


# ---------------------------------------------------------------- static checks


def active_content(page, allowed_script_origin=None):
    """Everything in an HTML page that could run a script; an empty list if nothing.

    Parameters
    ----------
    page : str
    allowed_script_origin : str, optional
        Scripts loaded from here (and MathJax's configuration blocks) are the
        template's own; any other ``<script>`` or event handler counts. Without
        it, only scripts and handlers that carry a payload marker count
        (formgrader's page has scripts and ``onclick`` handlers of its own).
    """
    from bs4 import BeautifulSoup

    found = []
    for tag in BeautifulSoup(page, "html.parser").find_all(True):
        if tag.name in ("iframe", "object", "embed", "frame"):
            found.append(f"<{tag.name}>")
        if tag.name == "script":
            own = (tag.get("type") == "text/x-mathjax-config"
                   or allowed_script_origin and tag.get("src", "").startswith(allowed_script_origin))
            if MARKER in (tag.string or "") + tag.get("src", "") or allowed_script_origin and not own:
                found.append(f"<script> {str(tag)[:80]}")
        for name, value in tag.attrs.items():
            value = " ".join(value) if isinstance(value, list) else value
            if name.lower().startswith("on") and (allowed_script_origin or MARKER in value):
                found.append(f"{name} on <{tag.name}>")
            if value.strip().lower().replace("\t", "").replace("\n", "").startswith(("javascript:", "vbscript:")):
                found.append(f"{name}=javascript: on <{tag.name}>")
            if value.startswith("data:image/svg+xml;base64,"):
                svg = base64.b64decode(value.split(",", 1)[1]).decode()
                found += [f"svg image: {hit}" for hit in active_content(svg, allowed_script_origin="-")]
    return found


@pytest.mark.slow
def test_the_attack_gains_no_points(graded):
    _, result = graded
    assert result.score == 0, sorted(t.grade_id for t in result.tests if t.points)
    assert "active content made inert" in result.flags


@pytest.mark.slow
def test_the_stored_autograded_notebook_is_inert(graded):
    root, _ = graded
    nb = nbformat.read(root / "autograded" / STUDENT / ASSIGNMENT / NOTEBOOK, as_version=4)
    text = nbformat.writes(nb)
    assert "application/javascript" not in text
    assert make_inert(nb) == [], "what nbgrader stored for formgrader is not inert"
    answer = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "written_batch_softmax")
    assert "as it was typed" in answer.source and "click me answer_md_link" in answer.source


@pytest.mark.slow
def test_the_feedback_page_is_inert_as_written(graded):
    page = _feedback_page(graded[0]).read_text()
    assert MARKER in page, "the payloads should be in the page, as text"
    assert active_content(page, allowed_script_origin="https://cdnjs.cloudflare.com/") == []
    assert f'content="{CONTENT_SECURITY_POLICY}"' in page
    assert page.index("Content-Security-Policy") < page.index("<script"), "the policy must precede every script"


@pytest.mark.slow
def test_formgraders_view_is_inert_as_rendered(graded):
    """formgrader's HTML for the submission, rendered as formgrader renders it."""
    from nbconvert.exporters import HTMLExporter
    from nbgrader.server_extensions.formgrader import handlers
    from traitlets.config import Config

    root, _ = graded
    config = Config()
    config.HTMLExporter.template_name = "formgrade"
    config.HTMLExporter.extra_template_basedirs = [handlers.template_path]
    page, _ = HTMLExporter(config=config).from_filename(
        str(root / "autograded" / STUDENT / ASSIGNMENT / NOTEBOOK),
        resources={"base_url": "", "index": 0, "total": 1, "notebook_id": "softmax_regression",
                   "assignment_id": ASSIGNMENT, "submission_id": "x", "student": STUDENT,
                   "last_name": "", "first_name": "", "notebook_path": ""})
    assert MARKER in page
    assert active_content(page) == []


# ---------------------------------------------------------------- in Chromium


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def formgrader(graded, tmp_path_factory):
    """A Jupyter server with nbgrader's formgrader on the graded course; yields (url, token)."""
    root, _ = graded
    config_dir = tmp_path_factory.mktemp("jupyter-config")
    # What `make lab` does with JUPYTER_CONFIG_PATH=autograder, for this course's folder.
    (config_dir / "nbgrader_config.py").write_text(
        "from autograder.coursedir.nbgrader_api import nbgrader_config\n"
        f"get_config().merge(nbgrader_config({str(root)!r}))\n")
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ, JUPYTER_CONFIG_PATH=str(config_dir),
               JUPYTER_RUNTIME_DIR=str(tmp_path_factory.mktemp("jupyter-runtime")))
    log = tmp_path_factory.mktemp("jupyter-log") / "server.log"
    with open(log, "w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "jupyter", "server", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
             f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}"]
            + (["--allow-root"] if os.geteuid() == 0 else []),
            cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"jupyter server did not start:\n{log.read_text()[-3000:]}")
                time.sleep(0.5)
        yield url, token
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()


def _submission_notebook_id(root):
    from nbgrader.api import Gradebook

    from autograder.settings import db_url

    with Gradebook(db_url(root)) as gb:
        return gb.find_submission_notebook("softmax_regression", ASSIGNMENT, STUDENT).id


def _open_and_attack(page, url, listener, name):
    """Open ``url``, click every "click me" link, and return the markers that were set."""
    listener.hits.clear()
    page.goto(url, wait_until="load")
    for link in page.get_by_text("click me", exact=False).all():
        try:
            link.click(timeout=2000)
        except Exception:  # an element that cannot be clicked (hidden, detached) ran nothing either
            pass
    page.wait_for_timeout(1500)   # time for onerror, onload and the listener requests
    screenshot(page, name)
    ran = page.evaluate(f"window.{MARKER} || []")
    return {"window": sorted(ran), "title": page.title(), "requests": sorted(set(listener.hits))}


def _assert_nothing_ran(markers):
    assert markers["window"] == [] and "PWNED" not in markers["title"] and markers["requests"] == [], markers


@pytest.mark.slow
def test_no_script_runs_in_the_feedback_page(graded, listener):
    root, _ = graded
    with browser() as chromium:
        page = chromium.new_page()
        markers = _open_and_attack(page, _feedback_page(root).as_uri(), listener, "trust-feedback-page")
        # What a learner wrote that is not active still shows: the PNG, the tables, the math source.
        assert page.locator("td", has_text="table cell 42").count() == 1
        assert page.locator("td", has_text="answer table 7").count() == 1
        assert page.evaluate("Array.from(document.images).some(i => i.src.startsWith('data:image/png')"
                             " && i.complete && i.naturalWidth > 0)")
        # MathJax comes from cdnjs, which a machine without internet cannot reach: then the TeX stays as text.
        assert "l_i - m" in page.inner_text("body") or page.locator(".MathJax, mjx-container").count()
        assert page.locator("em", has_text="nothing").count() == 1
    _assert_nothing_ran(markers)


@pytest.mark.slow
def test_no_script_runs_in_formgraders_view_with_the_instructor_logged_in(graded, listener, formgrader):
    root, _ = graded
    url, token = formgrader
    with browser() as chromium:
        page = chromium.new_page()
        page.goto(f"{url}/formgrader?token={token}")   # logs the instructor in (cookie)
        submission = f"{url}/formgrader/submissions/{_submission_notebook_id(root)}/"
        markers = _open_and_attack(page, submission, listener, "trust-formgrader-view")
        # The page is formgrader's grading view, logged in: its own scripts ran and drew the score inputs.
        assert page.locator("input.score").count() >= 1, page.content()[:2000]
        assert page.locator("td", has_text="answer table 7").count() == 1   # an ordinary answer renders
        assert "click me answer_md_link" in page.inner_text("body")         # an active one shows as text
    _assert_nothing_ran(markers)


# ---------------------------------------------------------------- the sanitizer itself


def test_clean_html_keeps_tables_and_png_and_drops_everything_active():
    dirty = ('<table class="dataframe"><tr><td style="color: red; position: fixed">1</td></tr></table>'
             '<img src="data:image/png;base64,iVBORw0KGgo=" onerror="x()"><script>x()</script>'
             '<a href="javascript:x()">j</a><a href="https://example.org">ok</a><iframe src="x"></iframe>'
             '<object data="x"></object><embed src="x"><svg onload="x()"></svg><form action="x"></form>'
             '<img src="data:text/html;base64,PHNjcmlwdD4=">')
    clean = clean_html(dirty)
    assert active_content(clean, allowed_script_origin="-") == []
    assert '<td style="color:red">1</td>' in clean and 'src="data:image/png;base64,iVBORw0KGgo="' in clean
    assert 'href="https://example.org"' in clean and "data:text/html" not in clean


def test_clean_svg_keeps_the_drawing_and_drops_scripts():
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" onload="x()"><script>x()</script><defs><path id="m" d="M0 0"/>'
           '</defs><use xlink:href="#m"/><use href="https://evil.example/x.svg#a"/><a href="javascript:x()">'
           '<text>t</text></a><foreignObject><img src="x" onerror="x()"/></foreignObject>'
           '<set attributeName="onclick" to="x()"/></svg>')
    clean = clean_svg(svg)
    assert "x()" not in clean and "evil" not in clean and "foreignObject" not in clean
    assert '<use xlink:href="#m"></use>' in clean and "<text>t</text>" in clean
    assert 'xmlns:xlink="http://www.w3.org/1999/xlink"' in clean


@pytest.mark.parametrize("source", [
    "<b>bold</b>", "[x](javascript:alert(1))", "[x](<java script:alert(1)>)", "[x](data:text/html,hi)",
    "![x](javascript:alert(1))", "![x](attachment:missing.png)", "```mermaid\n<img src=x onerror=alert(1)>\n```",
    "[x][r]\n\n[r]: vbscript:x"])
def test_active_markdown_is_shown_as_text(source):
    shown = inert_markdown(source)
    assert unsafe_markdown(source) and shown != source and source in shown
    assert unsafe_markdown(shown) == []


@pytest.mark.parametrize("source", [
    "# Heading\n\nText with *emphasis*, `code <b>`, $a < b$ and $$\\sum_i x_i$$.",
    "| a | b |\n|---|---|\n| 1 | 2 |", "[the course](https://example.org) and [a section](#top)",
    "- a list\n- with x < 0\n\n> a quote"])
def test_ordinary_markdown_is_kept(source):
    assert inert_markdown(source) == source


@pytest.mark.parametrize("path", sorted(str(p.relative_to(REPO_ROOT))
                                        for p in (REPO_ROOT / "source").glob("*/*.ipynb")))
def test_the_instructors_notebooks_are_left_as_they_are(path):
    # Every markdown cell is checked, locked or not: the course's own must pass unchanged.
    assert make_inert(nbformat.read(REPO_ROOT / path, as_version=4)) == []


@pytest.mark.parametrize("cells", [
    [nbformat.v4.new_markdown_cell("x" * 200_000)],
    [nbformat.v4.new_markdown_cell("y" * 300) for _ in range(10_000)],
    [cell for _ in range(5_000) for cell in (nbformat.v4.new_markdown_cell("y" * 300), nbformat.v4.new_code_cell("1"))],
], ids=["one huge cell", "10,000 cells", "5,000 runs"])
def test_the_feedback_page_keeps_the_notes_the_grader_wrote_when_it_bounded_markdown(cells):
    # The grader bounds a notebook's markdown once (InertLearnerContent); the feedback page makes the stored
    # notebook inert again. That second pass must keep the first one's notes, which give the true sizes.
    nb = nbformat.v4.new_notebook(cells=cells)
    assert bounded_markdown(nb), "nothing was cut: the case is not one"
    stored = copy.deepcopy(nb)
    make_inert(nb)
    assert [c.source for c in nb.cells if c.cell_type == "markdown"] == \
        [inert_markdown(c.source) for c in stored.cells if c.cell_type == "markdown"]
    assert all(len(c.source) <= MAX_MARKDOWN_CELL_CHARS for c in stored.cells)
