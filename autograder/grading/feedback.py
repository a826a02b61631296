"""Feedback HTML: nbgrader's feedback page, rendered for less per submission.

nbgrader's ``generate_feedback`` renders each student's page with nbconvert's
``HTMLExporter``, which costs about as much again as the render in two steps
that give a feedback page nothing: it compiles the page's Jinja templates
anew for every student, and it parses the finished page with BeautifulSoup to
add ``alt`` text to images and ``tabindex`` to JupyterLab-template cells (the
feedback template is not one). :class:`FeedbackExporter` keeps compiled
templates for the life of the process (one grading worker) and adds the same
``alt`` text without the parse. ``coursedir.nbgrader_api.nbgrader_config`` makes it
``GenerateFeedback``'s exporter.

Every page it writes is also safe to open: the notebook's learner content is
made inert first (:func:`autograder.grading.sanitize.make_inert`, so pages rendered
from notebooks graded before that step existed are safe too), and the page
carries a Content-Security-Policy that lets only MathJax run.
"""

import copy
import re

from jinja2 import BytecodeCache
from nbconvert.exporters import HTMLExporter, TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

from autograder.grading.sanitize import make_inert

# What nbconvert's HTMLExporter writes into an image that has no alt text.
MISSING_ALT = "No description has been provided for this image"
_IMG_WITHOUT_ALT = re.compile(r"<img\b(?![^>]*\salt=)")

# What a feedback page may load and run. nbgrader's feedback template loads
# MathJax 2 from cdnjs (the `mathjax()` macro of nbconvert's templates) and
# configures it in a `text/x-mathjax-config` block, which MathJax runs with
# window.eval: hence 'unsafe-eval' and nothing inline. Scripts from anywhere
# else, inline scripts, event handlers and javascript: URLs are refused, and
# so are frames, plugins, forms and requests to any other host. Images are
# the page's own data: URLs.
MATHJAX_ORIGIN = "https://cdnjs.cloudflare.com"
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'none'",
    f"script-src {MATHJAX_ORIGIN} 'unsafe-eval'",
    f"style-src 'unsafe-inline' {MATHJAX_ORIGIN}",
    f"font-src {MATHJAX_ORIGIN} data:",
    f"connect-src {MATHJAX_ORIGIN}",
    "img-src data:",
    "base-uri 'none'",
    "form-action 'none'",
])
CSP_META = f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">'


class _ProcessBytecodeCache(BytecodeCache):
    """Compiled Jinja templates, in memory, keyed by template and source checksum."""

    def __init__(self):
        self._code = {}

    def load_bytecode(self, bucket):
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket):
        self._code[bucket.key] = bucket.bytecode_to_string()


_TEMPLATES = _ProcessBytecodeCache()


def add_content_security_policy(html):
    """``html`` with :data:`CSP_META` as the first element of its ``<head>``.

    It must come before any script for the browser to apply it to them; the
    first ``<head>`` of the page is the template's own, above all learner content.
    """
    head = html.find("<head>")
    if head < 0:
        raise ValueError("the feedback template wrote no <head>: cannot add a Content-Security-Policy")
    end = head + len("<head>")
    return html[:end] + "\n" + CSP_META + html[end:]


def add_missing_alt(html):
    """``html`` with nbconvert's placeholder ``alt`` text on every ``<img>`` that has none."""
    return _IMG_WITHOUT_ALT.sub(f'<img alt="{MISSING_ALT}"', html)


class FeedbackExporter(HTMLExporter):
    """``HTMLExporter`` for feedback pages: inert learner content, a CSP, templates compiled once."""

    def _create_environment(self):
        environment = super()._create_environment()
        # A template's checksum is part of its key: an edited template is compiled again.
        environment.bytecode_cache = _TEMPLATES
        return environment

    def from_notebook_node(self, nb, resources=None, **kw):
        """Render ``nb`` inert; what ``HTMLExporter.from_notebook_node`` does, minus the BeautifulSoup pass."""
        nb = copy.deepcopy(nb)
        make_inert(nb)
        langinfo = nb.metadata.get("language_info", {})
        lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
        highlight_code = self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self))
        resources = self._init_resources(resources)
        filter_data_type = WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata, parent=self,
                                                 resources=resources)
        self.register_filter("highlight_code", highlight_code)
        self.register_filter("filter_data_type", filter_data_type)
        html, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
        return add_content_security_policy(add_missing_alt(html)), resources
