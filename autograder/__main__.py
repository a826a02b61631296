"""Instructor commands: ``python -m autograder {release,demo,grade} ...``."""

import argparse
import shutil
import sys
import time
from pathlib import Path

from autograder import pipeline
from autograder.examples import grade_examples
from autograder.settings import REPO_ROOT, SOURCE_DIR

DEFAULT_DEMO_ROOT = REPO_ROOT / "autograder" / "build" / "demo"


def cmd_release(args):
    for path in pipeline.release(REPO_ROOT, args.assignments or None):
        print(f"released {path.relative_to(REPO_ROOT)} (no solutions, no hidden tests)")


def _shown(path):
    path = Path(path)
    return path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path


def cmd_demo(args):
    started = time.perf_counter()
    cmd_release(argparse.Namespace(assignments=args.assignments))
    # The demo class is a scratch course of its own, so it never mixes with
    # the instructor's gradebook at the repository root.
    root = Path(args.root).resolve()
    if root.exists():
        if not (root / ".demo-class").exists():
            sys.exit(f"{root} exists and is not a demo class made by this command: choose another --root")
        shutil.rmtree(root)
    shutil.copytree(REPO_ROOT / SOURCE_DIR, root / SOURCE_DIR)
    (root / ".demo-class").touch()
    names = args.assignments or pipeline.assignments(root)
    pipeline.release(root, names)
    rows = []
    for assignment in names:
        graded = grade_examples(root, assignment)
        pipeline.generate_feedback(root, assignment)
        rows += [result for _, result in graded]
        print()
        for example, result in graded:
            verdict = "as expected" if result.failed == example.expected_failures else "UNEXPECTED"
            print(f"  {example.student:28s} {verdict:11s} {example.doc.splitlines()[0] if example.doc else ''}")
    csv_path = pipeline.write_grades_csv(rows, root / "grades.csv")
    print()
    print(pipeline.format_table(rows))
    print()
    print(f"grades CSV:   {_shown(csv_path)}")
    print(f"feedback:     {_shown(root / 'feedback')}/<student>/<assignment>/*.html")
    print(f"gradebook:    {_shown(root / 'gradebook.db')}")
    print(f"done in {time.perf_counter() - started:.0f} s")


def cmd_grade(args):
    root = Path(args.root).resolve()
    submitted = root / "submitted"
    students = sorted(p.parent.name for p in submitted.glob(f"*/{args.assignment}") if p.is_dir())
    if not students:
        sys.exit(f"no submissions of {args.assignment} under {submitted}/<student>/{args.assignment}/")
    for i, student in enumerate(students, 1):
        print(f"[{i}/{len(students)}] autograding {student}")
        pipeline.autograde(root, args.assignment, student)
    pipeline.generate_feedback(root, args.assignment)
    rows = pipeline.results(root, args.assignment)
    csv_path = pipeline.write_grades_csv(rows, root / f"grades-{args.assignment}.csv")
    print(pipeline.format_table(rows))
    print(f"grades CSV: {csv_path}")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("release", help="generate notebooks/ from source/ and check it hides solutions")
    p.add_argument("assignments", nargs="*", help="default: all of source/")
    p.set_defaults(func=cmd_release)
    p = sub.add_parser("demo", help="release, then grade the bundled example class")
    p.add_argument("assignments", nargs="*", help="default: all of source/")
    p.add_argument("--root", default=str(DEFAULT_DEMO_ROOT),
                   help="scratch course folder for the example class (default: %(default)s)")
    p.set_defaults(func=cmd_demo)
    p = sub.add_parser("grade", help="autograde <root>/submitted/*/ASSIGNMENT, feedback and grades CSV")
    p.add_argument("assignment")
    p.add_argument("--root", default=str(REPO_ROOT), help="nbgrader course folder (default: the repository)")
    p.set_defaults(func=cmd_grade)
    args = parser.parse_args(argv)
    try:
        args.func(args)
    except pipeline.GradingError as err:
        sys.exit(f"error: {err}")


if __name__ == "__main__":
    main()
