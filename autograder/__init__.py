"""The course's grading side, by layer (each imports only the layers above it in this list).

=====================  ===================================================================
``settings``, ``flags``  the course's folders, sandbox mounts, gradebook URL; the flag vocabulary
``learner/``             what a learner's kernel and JupyterLab import (checks, Validate); the pack ships it
``sandbox/``             the trust boundary: the bwrap kernel, its runner and bridge, remote calls,
                         the trusted execute step, limits, provenance
``coursedir/``           the course folder: nbgrader's API, release (source/ -> notebooks/), student pack
``grading/``             one class on one machine: collect, batch, autograde, canary, results, reports,
                         feedback, sanitize, self-check, gradebook, local executor, options
``cluster/``             grading on a Dask cluster: executor, workers' scratch courses, client replay
``__main__``             the CLI (``python -m autograder``); nothing imports it
=====================  ===================================================================

The example class (``examples/``) and the benchmarks (``benchmarks/``) live
outside the package; ``tests/test_layering.py`` holds the import rules.
"""

import sys

# nbformat validates notebooks with jsonschema, which imports rfc3987_syntax
# when it is installed (jupyter-events pulls it in). That module compiles about
# 35 Lark grammars at import: 1.5 s of CPU in every process that reads a
# notebook, the sandbox runner started for each submission included. No notebook
# schema uses the IRI formats it checks, so jsonschema is told it is absent and
# skips them (python-jsonschema/jsonschema#1428).
sys.modules.setdefault("rfc3987_syntax", None)
