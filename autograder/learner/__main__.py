"""``python -m autograder.learner check NOTEBOOK``: the self-check in a terminal.

Prints one row per graded cell (a failed test's hint below it) and the score;
``--json`` prints the report as JSON instead (what the Validate button reads).
Exit status: 0 when every test passed, 1 when some failed, 2 when the notebook
could not be checked.
"""

import argparse
import json
import os
import sys

from autograder.learner import selfcheck


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder.learner", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("check", help="self-check a notebook: every test, with a hint for each failure")
    p.add_argument("notebook", help="e.g. notebooks/01_softmax_regression/softmax_regression.ipynb")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    if not args.json:
        print(f"checking {args.notebook} ...", flush=True)
    # stdout carries only the report: what the kernel or a grader prints
    # meanwhile goes to stderr (at the descriptor level, so children follow).
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        report = selfcheck.check(args.notebook)
    except Exception as err:  # ValueError here; the full repository's grader raises its GradingError
        if not isinstance(err, ValueError) and type(err).__name__ != "GradingError":
            raise
        failure = err
    else:
        failure = None
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
    if failure is not None:
        print(f"error: {failure}", file=sys.stderr)
        sys.exit(2)  # not 1, which says "tests failed"
    print(json.dumps(report.to_dict()) if args.json else "\n".join(report.lines()))
    sys.exit(1 if report.failed or report.cell_failures else 0)


if __name__ == "__main__":
    main()
