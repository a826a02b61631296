"""Feedback HTML: nbgrader's feedback page, rendered for less per submission.

nbgrader's ``generate_feedback`` renders each student's page with nbconvert's
``HTMLExporter``, which costs about as much again as the render in two steps
that give a feedback page nothing: it compiles the page's Jinja templates
anew for every student, and it parses the finished page with BeautifulSoup to
add ``alt`` text to images and ``tabindex`` to JupyterLab-template cells (the
feedback template is not one). :class:`FeedbackExporter` keeps compiled
templates for the life of the process (one grading worker) and adds the same
``alt`` text without the parse. ``settings.nbgrader_config`` makes it
``GenerateFeedback``'s exporter.
"""

import re

from jinja2 import BytecodeCache
from nbconvert.exporters import HTMLExporter, TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

# What nbconvert's HTMLExporter writes into an image that has no alt text.
MISSING_ALT = "No description has been provided for this image"
_IMG_WITHOUT_ALT = re.compile(r"<img\b(?![^>]*\salt=)")


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


def add_missing_alt(html):
    """``html`` with nbconvert's placeholder ``alt`` text on every ``<img>`` that has none."""
    return _IMG_WITHOUT_ALT.sub(f'<img alt="{MISSING_ALT}"', html)


class FeedbackExporter(HTMLExporter):
    """``HTMLExporter`` for feedback pages: templates compiled once per process, no re-parse."""

    def _create_environment(self):
        environment = super()._create_environment()
        # A template's checksum is part of its key: an edited template is compiled again.
        environment.bytecode_cache = _TEMPLATES
        return environment

    def from_notebook_node(self, nb, resources=None, **kw):
        """Render ``nb``; what ``HTMLExporter.from_notebook_node`` does, minus the BeautifulSoup pass."""
        langinfo = nb.metadata.get("language_info", {})
        lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
        highlight_code = self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self))
        resources = self._init_resources(resources)
        filter_data_type = WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata, parent=self,
                                                 resources=resources)
        self.register_filter("highlight_code", highlight_code)
        self.register_filter("filter_data_type", filter_data_type)
        html, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
        return add_missing_alt(html), resources
