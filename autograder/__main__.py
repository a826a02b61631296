"""Course commands: ``python -m autograder {release,check,grade} ...``.

The example class's demo is ``python -m examples`` (``make demo``), outside the shipped package."""

import argparse
import sys
import time
from pathlib import Path

from autograder.cluster import executor_for
from autograder.coursedir.nbgrader_api import GradingError
from autograder.coursedir.release import release
from autograder.grading.batch import grade_class
from autograder.grading.gradebook_db import shown_url
from autograder.grading.options import GradingOptions
from autograder.grading.reports import format_table
from autograder.grading.selfcheck import check_notebook
from autograder.learner.report import from_grading
from autograder.sandbox.kernel import bwrap_available
from autograder.settings import ENGINES, REPO_ROOT, db_url


def cmd_release(args):
    for path in release(REPO_ROOT, args.assignments or None, discard=args.discard_grades):
        print(f"released {path.relative_to(REPO_ROOT)} (no solutions, no hidden tests)")


def _shown(path):
    path = Path(path)
    return path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path


def cmd_grade(args):
    started = time.perf_counter()
    root = Path(args.root).resolve()
    options = GradingOptions(workers=args.workers, engine=args.engine, sandbox=not args.no_sandbox,
                             scheduler=args.scheduler, db=args.db, retries=args.retries, force=args.force)
    with executor_for(options) as executor:
        report = grade_class(root, args.assignment, args.submissions, options, executor)
    print()
    print(format_table(report.results))
    for student, _, reason in report.errors:
        print(f"{student:28s} NOT GRADED: {reason}")
    flagged = [r for r in report.results if r.flags]
    if flagged:
        print("\nflags (for a person to look at):")
        for r in flagged:
            print(f"  {r.student:26s} {'; '.join(sorted(set(r.flags)))}")
    if report.skipped:
        print(f"\nunchanged since last graded, not regraded (use --force): {', '.join(report.skipped)}")
    print(f"\ngrades CSV:   {_shown(report.csv_path)}")
    print(f"test results: {_shown(root / 'reports' / args.assignment)}/<student>.json")
    print(f"feedback:     {_shown(root / 'feedback')}/<student>/{args.assignment}/*.html")
    print(f"gradebook:    {shown_url(db_url(root, args.db))}")
    print(f"done in {time.perf_counter() - started:.0f} s")


def cmd_check(args):
    print(f"grading {args.notebook} offline with the visible and hidden tests...")
    if not bwrap_available():
        print("note: bubblewrap is not installed, so your notebook runs without a sandbox (fine for your own code)")
    result, messages = check_notebook(args.notebook)
    # The same rows as `python -m autograder.learner check`, Validate and the notebook's last cell.
    report = from_grading(Path(args.notebook).name, result, messages)
    print("\n".join(report.lines()))
    if report.failed:
        sys.exit(1)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("release", help="generate notebooks/ from source/ and check it hides solutions")
    p.add_argument("assignments", nargs="*", help="default: all of source/")
    p.add_argument("--discard-grades", action="store_true",
                   help="after a trial grading, delete these assignments' grades from the gradebook first, so that "
                        "cells can be added or removed (the submitted notebooks stay on disk)")
    p.set_defaults(func=cmd_release)
    p = sub.add_parser("check", help="self-grade one notebook offline: every test, with a hint per failure")
    p.add_argument("notebook", help="your notebook, e.g. notebooks/01_softmax_regression/softmax_regression.ipynb")
    p.set_defaults(func=cmd_check)
    p = sub.add_parser("grade", help="autograde <root>/submitted/*/ASSIGNMENT, feedback and grades CSV")
    p.add_argument("assignment")
    p.add_argument("--submissions", help="nbgrader-style folder, LMS folder or zip (default: <root>/submitted)")
    p.add_argument("--workers", type=int, default=None, help="submissions graded at once (default: cores)")
    p.add_argument("--force", action="store_true", help="regrade submissions already graded from the same files")
    p.add_argument("--engine", choices=ENGINES, default="trusted",
                   help="trusted: sandbox + verdicts outside the kernel (default); nbgrader: stock")
    p.add_argument("--root", default=str(REPO_ROOT), help="nbgrader course folder (default: the repository)")
    p.add_argument("--no-sandbox", action="store_true",
                   help="grade without bubblewrap where it cannot be installed: learner code can then read and "
                        "write what you can; every row records 'unsandboxed'")
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                   help="grade on the workers of this Dask scheduler (default: processes on this machine)")
    p.add_argument("--retries", type=int, default=2,
                   help="with --scheduler: times a failed grading task is run again (default: %(default)s)")
    p.add_argument("--db", metavar="URL",
                   help="gradebook database, e.g. postgresql://USER:PASSWORD@HOST/DB (default: the db_url of "
                        "<root>/nbgrader_config.py, else SQLite <root>/gradebook.db)")
    p.set_defaults(func=cmd_grade)
    args = parser.parse_args(argv)
    try:
        args.func(args)
    except (GradingError, ValueError) as err:
        sys.exit(f"error: {err}")


if __name__ == "__main__":
    main()
