"""What a learner's kernel and JupyterLab import, and what the student pack ships.

``checks``: how test cells call a learner's functions and word their messages;
``selfcheck`` (with ``visible`` and ``report``): the self-check that the terminal
(``python -m autograder.learner check``), the Validate button and each notebook's
last cell run; ``lab_validate``: nbgrader's Validate button, running that check.
Imports nothing else of ``autograder``: the student pack carries this package alone.
"""

import sys

# What autograder/__init__.py does in the repository, repeated here because the
# student pack ships its own autograder/__init__.py: jsonschema (which nbformat
# imports) imports rfc3987_syntax when it is installed, and that compiles Lark
# grammars at import (1.2 s idle, 2.4 s on a loaded machine, in every check).
# No notebook schema uses the IRI formats it serves, so jsonschema is told it is
# absent (python-jsonschema/jsonschema#1428).
sys.modules.setdefault("rfc3987_syntax", None)
