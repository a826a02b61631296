"""Making what a learner wrote inert before it reaches any HTML page.

A submission's outputs (``text/html``, ``application/javascript``,
``image/svg+xml``, ``text/markdown``) and its markdown cells reach the feedback
page and formgrader's view of the submission as HTML. Unchanged, a
``<script>``, an ``onerror`` attribute or a ``javascript:`` link there runs in
the instructor's browser, inside a logged-in Jupyter session. This module
rewrites a notebook so that nothing in it can run, and nothing else:

- HTML outputs go through ``nh3`` (the Rust sanitizer ``ammonia``) with an
  allowlist of tags and attributes: tables, text, PNG/JPEG/GIF ``data:``
  images and ordinary links survive; scripts, event handlers, ``javascript:``
  URLs, ``<iframe>``, ``<object>``, ``<embed>``, ``<style>`` and forms do not.
- SVG outputs go through ``nh3`` with an allowlist of drawing elements (no
  ``<script>``, ``<foreignObject>``, event handlers or external references).
- Markdown outputs are rendered (nbconvert's own renderer) and then cleaned
  as HTML; JavaScript outputs and any type not known to be safe are dropped.
  Every output keeps a ``text/plain`` fallback.
- A markdown cell is kept as it is when nbconvert's markdown parser finds in
  it only markdown that renders to inert HTML (text, emphasis, math, tables,
  lists, code, links and images with safe URLs). Otherwise (raw HTML, a
  ``javascript:`` link, a mermaid block, which nbconvert copies unescaped) it
  is shown as the learner typed it, in a code block, which the renderer
  escapes. The decision uses the very parser that renders the cell, so the two
  cannot disagree.
- Markdown is bounded first (:func:`bounded_markdown`), before any parser
  sees it: each cell keeps at most ``MAX_MARKDOWN_CELL_CHARS`` characters (its
  attachments included) and the notebook ``MAX_MARKDOWN_CHARS`` in all, each
  cell counting ``MARKDOWN_CELL_COST`` more for what it adds to a page, so a
  hand-in of one huge answer or of ten thousand small cells gives a bounded
  notebook and page. The submitted notebook itself is never changed.

:class:`InertLearnerContent` applies this to every autograded notebook, so
that what nbgrader stores (and formgrader shows) is already inert;
:class:`autograder.grading.feedback.FeedbackExporter` applies it again to the pages
it writes. nbconvert's own ``sanitize_html`` option was not enough: its
``clean_html`` filter uses bleach's default allowlist, which turns tables and
images into escaped text, and nbgrader's feedback and formgrade templates
override the markdown-cell block without it.
"""

import base64
import binascii
import copy
import html
import json
import urllib.parse
from pathlib import Path

import nbformat
import nh3
from nbconvert.filters.markdown_mistune import MarkdownWithMath, markdown2html_mistune
from nbgrader.preprocessors import NbGraderPreprocessor

from autograder.flags import Flag
from autograder.settings import GRADING_REPORT_SUFFIX

# Output types shown as they are: the template escapes text, and images are
# base64 in a data: URL (checked to be base64 below).
PLAIN_TYPES = {"text/plain", "text/latex", "application/json"}
IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif"}
REMOVED = "[output removed by the grader: it was of a kind that can run code in a browser]"

HTML_TAGS = (set(nh3.ALLOWED_TAGS) - {"area", "map"}) | {"tfoot"}
HTML_ATTRIBUTES = {tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()}
HTML_ATTRIBUTES["*"] = {"class", "title", "align", "lang", "dir"}
HTML_ATTRIBUTES.setdefault("span", set()).add("style")
HTML_ATTRIBUTES.setdefault("td", set()).add("style")
HTML_ATTRIBUTES.setdefault("th", set()).add("style")
HTML_ATTRIBUTES.setdefault("div", set()).add("style")
# Inline styles that only change how text and tables look: no url(), no position.
STYLE_PROPERTIES = {"color", "background-color", "text-align", "vertical-align", "font-weight", "font-style",
                    "font-family", "font-size", "text-decoration", "white-space", "padding", "margin", "border",
                    "border-collapse", "width", "height"}

SVG_TAGS = {"svg", "g", "defs", "path", "rect", "circle", "ellipse", "line", "polyline", "polygon", "text",
            "tspan", "title", "desc", "clipPath", "use", "linearGradient", "radialGradient", "stop", "pattern",
            "mask", "marker", "symbol"}
_SVG_PRESENTATION = {
    "id", "class", "style", "transform", "fill", "fill-opacity", "fill-rule", "stroke", "stroke-width",
    "stroke-opacity", "stroke-linecap", "stroke-linejoin", "stroke-dasharray", "stroke-dashoffset",
    "stroke-miterlimit", "opacity", "clip-path", "clip-rule", "mask", "font-family", "font-size", "font-weight",
    "font-style", "text-anchor", "dominant-baseline", "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx",
    "ry", "width", "height", "d", "points", "dx", "dy", "offset", "stop-color", "stop-opacity",
    "gradientUnits", "gradientTransform", "patternUnits", "patternTransform", "clipPathUnits", "viewBox",
    "preserveAspectRatio", "markerWidth", "markerHeight", "refX", "refY", "orient", "href", "xlink:href",
    "xmlns", "version"}
SVG_ATTRIBUTES = {tag: set(_SVG_PRESENTATION) for tag in SVG_TAGS}

_LINK_SCHEMES = {"http", "https", "mailto"}
_IMAGE_DATA = ("data:image/png;", "data:image/jpeg;", "data:image/gif;")

# Markdown that nbconvert's renderer turns only into tags of its own making,
# with the text escaped. Everything else (raw HTML above all) is not plain.
_PLAIN_TOKENS = {
    "paragraph", "text", "emphasis", "strong", "codespan", "linebreak", "softbreak", "blank_line", "heading",
    "list", "list_item", "block_text", "block_quote", "thematic_break", "block_code", "table", "table_head",
    "table_body", "table_row", "table_cell", "strikethrough", "task_list_item", "def_list", "def_list_head",
    "def_list_item", "inline_math", "block_math", "multiline_math", "latex_environment", "link", "image"}


def _unsafe_character(url):
    # Browsers drop tabs and newlines inside a URL ("java\tscript:"): refuse any.
    return any(ord(ch) <= 0x20 or ord(ch) == 0x7F for ch in url)


def safe_url(url, image=False):
    """Whether a link (or, with ``image``, an image source) can only navigate or show a picture.

    Relative URLs and fragments are safe; so are ``http``, ``https`` and
    ``mailto`` links, and ``http``, ``https``, PNG, JPEG or GIF ``data:`` and
    cell-attachment images (the feedback page's Content-Security-Policy keeps
    it from loading remote ones). Anything else (``javascript:``,
    ``vbscript:``, ``data:text/html``, an unknown scheme, a URL with
    whitespace or control characters in it) is not.
    """
    url = html.unescape(url)
    if _unsafe_character(url):
        return False
    if image and url.lower().startswith(_IMAGE_DATA):
        return True
    if image and url.lower().startswith("attachment:"):
        return True   # nbconvert embeds the cell's attachment as a data: image
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if not scheme:
        return ":" not in url.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    if image:
        return scheme in ("http", "https")
    return scheme in _LINK_SCHEMES


def _html_attribute(tag, attribute, value):
    if attribute == "href":
        return value if safe_url(value) else None
    if attribute == "src":
        return value if tag == "img" and safe_url(value, image=True) else None
    return value


def clean_html(fragment):
    """``fragment`` with everything that could run code removed (see the module docstring)."""
    return nh3.clean(fragment, tags=HTML_TAGS, attributes=HTML_ATTRIBUTES, attribute_filter=_html_attribute,
                     clean_content_tags={"script", "style"}, url_schemes=_LINK_SCHEMES | {"data"},
                     filter_style_properties=STYLE_PROPERTIES)


def _svg_attribute(tag, attribute, value):
    if attribute in ("href", "xlink:href"):
        # <use> may point into the same drawing (matplotlib does), nowhere else.
        return value if value.startswith("#") and not _unsafe_character(value) else None
    if "url(" in value.replace(" ", "").lower():
        return value if value.replace(" ", "").lower().startswith("url(#") else None
    return value


def clean_svg(svg):
    """An SVG drawing with scripts, event handlers, foreign content and outside references removed."""
    # A data: SVG is parsed as XML: the xlink prefix that <use> needs is always declared.
    return nh3.clean(svg, tags=SVG_TAGS, attributes=SVG_ATTRIBUTES, attribute_filter=_svg_attribute,
                     clean_content_tags={"script", "style", "foreignObject"}, link_rel=None,
                     set_tag_attribute_values={"svg": {"xmlns:xlink": "http://www.w3.org/1999/xlink"}},
                     url_schemes=set(), filter_style_properties=STYLE_PROPERTIES | {
                         "fill", "stroke", "stroke-width", "stroke-linecap", "stroke-linejoin", "opacity",
                         "fill-opacity", "stroke-opacity", "stroke-dasharray", "font-family", "font-size"})


def _markdown_tokens(source):
    return MarkdownWithMath(renderer=None)(source)


def unsafe_markdown(source, attachments=None):
    """What in a markdown text would not render to inert HTML; an empty list if nothing.

    Uses nbconvert's own markdown parser (``MarkdownWithMath``), the one that
    renders markdown cells in feedback pages and formgrader. ``attachments``
    are the cell's: an image of a missing attachment would stop nbconvert
    rendering the whole page.
    """
    found = []
    stack = list(_markdown_tokens(source))
    while stack:
        token = stack.pop()
        kind = token.get("type")
        if kind not in _PLAIN_TOKENS:
            found.append(f"{kind} {token.get('raw', '')[:60]!r}")
        elif kind == "block_code" and str(token.get("attrs", {}).get("info") or "").startswith("mermaid"):
            found.append("a mermaid block (nbconvert copies it unescaped)")
        elif kind in ("link", "image") and not safe_url(token["attrs"].get("url", ""), image=kind == "image"):
            found.append(f"{kind} to {token['attrs'].get('url', '')[:60]!r}")
        elif kind == "image" and token["attrs"].get("url", "").startswith("attachment:") and (
                token["attrs"]["url"][len("attachment:"):] not in (attachments or {})):
            found.append(f"image of a missing attachment {token['attrs']['url'][:60]!r}")
        if isinstance(token.get("children"), list):
            stack.extend(token["children"])
    return found


def inert_markdown(source, attachments=None):
    """``source`` if it renders to inert HTML, else the same text shown verbatim in a code block."""
    if not unsafe_markdown(source, attachments):
        return source
    longest, run = 0, 0
    for ch in source:
        run = run + 1 if ch == "`" else 0
        longest = max(longest, run)
    fence = "`" * max(3, longest + 1)
    shown = (f"*The grader shows this cell as it was typed: it held HTML or a link that could run code "
             f"in a browser.*\n\n{fence}text\n{source}\n{fence}\n")
    assert not unsafe_markdown(shown), "a fenced code block must be plain markdown"
    return shown


def _is_base64(data):
    try:
        base64.b64decode("".join(data.split()), validate=True)
    except (binascii.Error, ValueError, TypeError, AttributeError):
        return False
    return True


def _text(value):
    return "".join(value) if isinstance(value, list) else value


def inert_output(output):
    """One output with its rich data made inert; returns ``(output, what_changed)``."""
    if output.get("output_type") not in ("display_data", "execute_result"):
        return output, []       # streams and errors are escaped text in every template
    changed = []
    data = {}
    for mime, value in output.get("data", {}).items():
        if mime in PLAIN_TYPES:
            data[mime] = value
        elif mime in IMAGE_TYPES and isinstance(value, str) and _is_base64(value):
            data[mime] = value
        elif mime == "text/html":
            data[mime] = clean_html(_text(value))
            changed += [mime] if data[mime] != _text(value) else []
        elif mime == "image/svg+xml":
            data[mime] = clean_svg(_text(value))
            changed += [mime] if data[mime] != _text(value) else []
        elif mime == "text/markdown" and "text/html" not in output.get("data", {}):
            # Rendered once here and stored as HTML: no second markdown pass can re-activate it.
            data["text/html"] = clean_html(markdown2html_mistune(_text(value)))
            changed.append(mime)
        else:
            changed.append(mime)
    if "text/plain" not in data:
        data["text/plain"] = REMOVED if not data else ""
    output = copy.deepcopy(output)
    output["data"] = data
    # Only sizes and alt text survive: "isolated" would put the HTML in an <iframe>.
    output["metadata"] = {mime: {k: v for k, v in meta.items() if k in ("width", "height", "alt")
                                 and isinstance(v, (int, float, str))}
                          for mime, meta in output.get("metadata", {}).items()
                          if mime in data and isinstance(meta, dict)}
    return nbformat.from_dict(output), changed


MAX_MARKDOWN_CELL_CHARS = 100_000
MAX_MARKDOWN_CHARS = 1_000_000
MARKDOWN_CELL_COST = 200


def _markdown_size(cell):
    attachments = cell.get("attachments") or {}
    return len(cell.source) + len(json.dumps(attachments)) if attachments else len(cell.source)


def _cut_note(what):
    return f"\n\n*[{what} Your submitted notebook is unchanged: your instructor can open it.]*\n"


def bounded_markdown(nb, cell_chars=MAX_MARKDOWN_CELL_CHARS, total_chars=MAX_MARKDOWN_CHARS):
    """Cut the markdown of ``nb``, in place, to ``cell_chars`` per cell and ``total_chars`` in all.

    Cutting a cell is idempotent: a cell cut once (its note included) is not
    cut again. ``total_chars=None`` bounds the cells alone.

    Past the total, a cell of nbgrader's (a written answer, the instructor's
    text) keeps its place with a note instead of its text, and the learner's
    own cells are dropped, each run of them replaced by one note cell. Cut
    attachments go with the cell's text (an image of a missing attachment is
    then shown as text by :func:`inert_markdown`).

    Returns
    -------
    list of str
        What was cut, one line each (empty when nothing was).
    """
    cut, cells, used, dropped = [], [], 0, None
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            cells.append(cell)
            dropped = None
            continue
        size = _markdown_size(cell)
        if total_chars is not None and used + min(size, cell_chars) + MARKDOWN_CELL_COST > total_chars:
            if cell.metadata.get("nbgrader"):
                cell.source = _cut_note(f"The text of this cell ({size:,} characters) was not kept: the "
                                        f"notebook's markdown passed {total_chars:,} characters.").strip()
                cell.pop("attachments", None)
                cells.append(cell)
                dropped = None
            elif dropped is None:
                dropped = nbformat.v4.new_markdown_cell("")
                dropped.metadata["cut_cells"] = 1
                cells.append(dropped)
            else:
                dropped.metadata["cut_cells"] += 1
            cut.append(f"cell {index}: markdown not kept ({size:,} characters past the notebook's total)")
            used = total_chars
            continue
        if size > cell_chars:
            cell.pop("attachments", None)
            note = _cut_note(f"Cut: this cell held {size:,} characters; it keeps the first {cell_chars:,}, this note "
                             "included.")
            # The note counts in the cell's size, so a notebook bounded once is left as it is when
            # bounded again (the feedback page makes the stored notebook inert a second time).
            cell.source = cell.source[:cell_chars - len(note)] + note
            cut.append(f"cell {index}: markdown cut ({size:,} characters)")
        used += min(size, cell_chars) + MARKDOWN_CELL_COST
        cells.append(cell)
    for cell in cells:
        if "cut_cells" in cell.metadata:
            count = cell.metadata.pop("cut_cells")
            cell.source = _cut_note(f"{count:,} markdown cell(s) of yours were not kept: the notebook's "
                                    f"markdown passed {total_chars:,} characters.").strip()
    nb.cells = cells
    return cut


def make_inert(nb):
    """Make every output and every markdown cell of ``nb`` inert, in place.

    Locked cells are checked too: the ``locked`` flag is metadata that a
    submission can set on a cell of its own. The instructor's markdown is
    ordinary markdown and passes unchanged.

    Parameters
    ----------
    nb : nbformat.NotebookNode

    Returns
    -------
    list of str
        What was changed, one line each (empty when the notebook was inert).
        Markdown is cut to ``MAX_MARKDOWN_CELL_CHARS`` a cell first, so no
        parser sees more; that is not listed here. The notebook's total is
        bounded once, on the grading path (:class:`InertLearnerContent`),
        because its notes are not meant to be bounded again.
    """
    changed = []
    bounded_markdown(nb, total_chars=None)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            source = inert_markdown(cell.source, cell.get("attachments"))
            if source != cell.source:
                cell.source = source
                changed.append(f"cell {index}: markdown shown as text")
        elif cell.cell_type == "raw":
            source = clean_html(cell.source)
            if source != cell.source:
                cell.source = source
                changed.append(f"cell {index}: raw cell cleaned")
        elif cell.cell_type == "code":
            outputs = []
            for output in cell.get("outputs", []):
                output, what = inert_output(output)
                outputs.append(output)
                changed += [f"cell {index}: {mime} output cleaned" for mime in what]
            cell.outputs = outputs
    return changed


class InertLearnerContent(NbGraderPreprocessor):
    """nbgrader preprocessor: store autograded notebooks with learner content made inert.

    Placed after the execute step and before ``SaveAutoGrades``, so the
    notebook that nbgrader saves, and formgrader later renders, holds no
    learner script. What it changed goes into ``resources["inert"]`` and, as
    a flag for a person to look at, into the trusted engine's grading report.
    """

    def preprocess(self, nb, resources):
        cut = bounded_markdown(nb)
        changed = make_inert(nb)
        resources["inert"] = changed
        report = Path(resources.get("metadata", {}).get("path", ".")) / (
            f"{resources.get('unique_key', 'notebook')}{GRADING_REPORT_SUFFIX}")
        if (changed or cut) and report.is_file():
            data = json.loads(report.read_text())
            flags = {Flag.ACTIVE_CONTENT.value} if changed else set()
            flags |= {Flag.MARKDOWN_TRUNCATED.value} if cut else set()
            data["flags"] = sorted(set(data.get("flags", [])) | flags)
            if changed:
                data["inert"] = changed
            if cut:
                data["markdown_cut"] = cut[:20] + ([f"... and {len(cut) - 20:,} more"] if len(cut) > 20 else [])
            report.write_text(json.dumps(data, indent=1))
        return nb, resources
