"""``python -m examples`` (``make demo``): release the notebooks, then grade the bundled example class."""

import argparse
import sys
import time
from pathlib import Path

from autograder.coursedir.nbgrader_api import GradingError
from autograder.coursedir.release import release
from autograder.grading.item_report import write_report
from autograder.grading.reports import format_tables
from autograder.settings import REPO_ROOT
from examples.example_class import grade_example_class

DEFAULT_DEMO_ROOT = REPO_ROOT / "autograder" / "build" / "demo"


def _shown(path):
    path = Path(path)
    return path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path


def run(args):
    started = time.perf_counter()
    for path in release(REPO_ROOT, args.assignments or None):
        print(f"released {path.relative_to(REPO_ROOT)} (no solutions, no hidden tests)")
    root = Path(args.root)
    graded = grade_example_class(root, args.assignments or None)
    print()
    for example, result in graded:
        verdict = "as expected" if result.failed == example.expected_failures else "UNEXPECTED"
        print(f"  {example.assignment}/{example.student:28s} {verdict:11s} {example.doc.splitlines()[0]}")
    print()
    print(format_tables([result for _, result in graded]))
    print()
    print(f"grades CSV:   {_shown(root / 'grades.csv')}")
    print(f"feedback:     {_shown(root / 'feedback')}/<student>/<assignment>/*.html")
    print(f"gradebook:    {_shown(root / 'gradebook.db')}")
    for assignment in dict.fromkeys(example.assignment for example, _ in graded):
        print(f"report:       {_shown(write_report(root, assignment)[0])}")
    print(f"done in {time.perf_counter() - started:.0f} s")
    if any(result.failed != example.expected_failures for example, result in graded):
        sys.exit("some example submissions did not score as expected (marked UNEXPECTED above)")




def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m examples", description=__doc__)
    parser.add_argument("assignments", nargs="*", help="default: all of source/")
    parser.add_argument("--root", default=str(DEFAULT_DEMO_ROOT),
                        help="scratch course folder for the example class (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        run(args)
    except (GradingError, ValueError) as err:
        sys.exit(f"error: {err}")


if __name__ == "__main__":
    main()
