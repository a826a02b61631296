"""The course's grading side: nbgrader configuration, instructor commands and test checks."""

import sys

# nbformat validates notebooks with jsonschema, which imports rfc3987_syntax
# when it is installed (jupyter-events pulls it in). That module compiles about
# 35 Lark grammars at import: 1.5 s of CPU in every process that reads a
# notebook, the sandbox runner started for each submission included. No notebook
# schema uses the IRI formats it checks, so jsonschema is told it is absent and
# skips them (python-jsonschema/jsonschema#1428).
sys.modules.setdefault("rfc3987_syntax", None)
