"""Course commands: ``python -m autograder {release,check,grade,feedback,export,report} ...``.

The example class's demo is ``python -m examples`` (``make demo``), outside the shipped package."""

import argparse
import sys
import time
from pathlib import Path

from autograder.cluster import executor_for
from autograder.coursedir.nbgrader_api import GradingError, alembic_on_path
from autograder.coursedir.release import assignments, release
from autograder.grading.autograde import generate_feedback
from autograder.grading.batch import grade_class
from autograder.grading.exports import FORMATS, export
from autograder.grading.gradebook_db import shown_url
from autograder.grading.item_report import write_report
from autograder.grading.manual_log import log_manual_changes
from autograder.grading.options import GradingOptions
from autograder.grading.results import results
from autograder.grading.reports import format_table
from autograder.grading.safe_text import printable
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
                             scheduler=args.scheduler, db=args.db, retries=args.retries, recorders=args.recorders,
                             force=args.force, moodle_worksheet=args.moodle_worksheet)
    with executor_for(options) as executor:
        report = grade_class(root, args.assignment, args.submissions, options, executor)
    print()
    print(format_table(report.results))
    for student, _, reason in report.errors:
        print(printable(f"{printable(student):28s} NOT GRADED: {reason}"))
    flagged = [r for r in report.results if r.flags]
    if flagged:
        print("\nflags (for a person to look at):")
        for r in flagged:
            print(printable(f"  {printable(r.student):26s} {'; '.join(sorted(set(map(str, r.flags))))}"))
    reasons = {}
    for student, why in report.regraded.items():
        reasons.setdefault(", ".join(why), []).append(student)
    if reasons and (report.skipped or any(why != "never graded" for why in reasons)):
        print("\nregraded:")
        for why, students in sorted(reasons.items()):
            print(printable(f"  changed: {why}: {', '.join(sorted(students))}"))
    if report.skipped:
        print()
        print(printable(f"unchanged since last graded (files, release, hidden tests, limits, engine, late rules, "
                        f"gradebook), not regraded (use --force): {', '.join(report.skipped)}"))
    _log_hand_grading(root, args.assignment, args.db)
    print(f"\ngrades CSV:   {_shown(report.csv_path)} (the whole class)")
    print(f"test results: {_shown(root / 'reports' / args.assignment)}/<student>.json")
    try:
        print(f"report:       {_shown(_instructor_report(root, args.assignment, args.db))}")
    except Exception as err:  # the grades are saved; the report can be made again with `report`
        print(printable(f"report:       not written ({type(err).__name__}: {err}); "
                        f"run: python -m autograder report {args.assignment}"))
    print(f"feedback:     {_shown(root / 'feedback')}/<student>/{args.assignment}/*.html")
    print(f"gradebook:    {shown_url(db_url(root, args.db))}")
    print(f"done in {time.perf_counter() - started:.0f} s")


def _log_hand_grading(root, assignment, db):
    """Log manual grades changed since the last command; say how many."""
    changes = log_manual_changes(root, assignment, db)
    if changes:
        print(f"hand grading: {len(changes)} manual scores changed since last seen, logged in "
              f"{_shown(root / 'reports' / f'{assignment}-manual-grades.jsonl')}")


def _instructor_report(root, assignment, db):
    return write_report(root, assignment, db)[0]


def _graded_assignment(args):
    """The course root, after checking that the gradebook has ``args.assignment``."""
    root = Path(args.root).resolve()
    if not (root / "source" / args.assignment).is_dir():
        raise ValueError(f"no assignment {args.assignment!r} in {root / 'source'}: "
                         f"choose one of {', '.join(assignments(root)) or '(none)'}")
    from nbgrader.api import MissingEntry  # nbgrader pulls in Jupyter's server stack: only when needed

    url = db_url(root, args.db)
    graded = []
    # Looking must not create a gradebook: a missing SQLite file has no submissions.
    if not (url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists()):
        alembic_on_path()
        try:
            graded = results(root, args.assignment, db=args.db)
        except MissingEntry:
            pass
    if not graded:
        raise ValueError(f"the gradebook has no submissions of {args.assignment}: grade them first "
                         f"(python -m autograder grade {args.assignment} --submissions PATH)")
    return root


def cmd_feedback(args):
    root = _graded_assignment(args)
    _log_hand_grading(root, args.assignment, args.db)
    generate_feedback(root, args.assignment, args.student,
                      overrides={"CourseDirectory": {"db_url": db_url(root, args.db)}})
    who = printable(args.student) if args.student else "every student"
    print(f"feedback for {who} written with the gradebook's current scores, manual ones included: "
          f"{_shown(root / 'feedback')}/<student>/{args.assignment}/*.html")


def cmd_export(args):
    root = _graded_assignment(args)
    _log_hand_grading(root, args.assignment, args.db)
    done = export(root, args.assignment, args.format, args.output, args.db, args.moodle_worksheet)
    print(f"{args.format} export of {done.rows} graded students: {_shown(done.path)}")
    if done.pending:
        blank = "'pending' in the grade column" if args.format == "csv" else "left blank (ungraded in the LMS)"
        print(printable(f"manual grading pending, {blank}: {', '.join(done.pending)}"))
    if done.without_lms_id and args.format == "moodle-worksheet":
        print(printable(f"graded but not in the worksheet, not exported: {', '.join(done.without_lms_id)}"))
    elif done.without_lms_id and args.format != "csv":
        print(printable(f"no LMS id in the gradebook, exported under the nbgrader id: "
                        f"{', '.join(done.without_lms_id)}"))
    for student, reason in done.not_graded:
        print(printable(f"not graded, not exported: {printable(student)}: {reason}"))


def cmd_report(args):
    root = _graded_assignment(args)
    _log_hand_grading(root, args.assignment, args.db)
    html_path = _instructor_report(root, args.assignment, args.db)
    print(f"instructor report: {_shown(html_path)} and {_shown(html_path.with_suffix('.json'))}")


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
    p.add_argument("--recorders", type=int, default=None,
                   help="with --scheduler: processes of this machine writing the workers' results into the "
                        "gradebook at once (default: one per 10 submissions, at most the cores or 4)")
    p.add_argument("--db", metavar="URL",
                   help="gradebook database, e.g. postgresql://USER:PASSWORD@HOST/DB (default: the db_url of "
                        "<root>/nbgrader_config.py, else SQLite <root>/gradebook.db)")
    p.add_argument("--moodle-worksheet", metavar="FILE",
                   help="with a Moodle download: the assignment's grading worksheet CSV, so each student is their "
                        "ID number (else email), the same in every assignment, handed in at its 'Last modified "
                        "(submission)'")
    p.set_defaults(func=cmd_grade)
    for name, func, doc in (
            ("feedback", cmd_feedback, "re-render feedback HTML from the gradebook, after hand grading"),
            ("export", cmd_export, "the whole class's grades as a CSV for Canvas, Moodle or a spreadsheet"),
            ("report", cmd_report, "the instructor's report: per-test difficulty and discrimination, a grade "
                                   "histogram, near-identical hand-ins")):
        p = sub.add_parser(name, help=doc)
        p.add_argument("assignment")
        p.add_argument("--root", default=str(REPO_ROOT), help="nbgrader course folder (default: the repository)")
        p.add_argument("--db", metavar="URL", help="gradebook database (default: as for grade)")
        if name == "feedback":
            p.add_argument("--student", help="only this student (default: every student)")
        if name == "export":
            p.add_argument("--format", choices=FORMATS, default="csv",
                           help="csv: every column (default); canvas, moodle: that LMS's grade import; "
                                "moodle-worksheet: the --moodle-worksheet FILE with its Grade column filled")
            p.add_argument("--moodle-worksheet", metavar="FILE",
                           help="with --format moodle-worksheet: the grading worksheet downloaded from Moodle")
            p.add_argument("--output", help="file to write (default: grades-ASSIGNMENT.csv for csv, "
                                            "exports/ASSIGNMENT-FORMAT.csv otherwise)")
        p.set_defaults(func=func)
    args = parser.parse_args(argv)
    try:
        args.func(args)
    except (GradingError, ValueError) as err:
        sys.exit(f"error: {err}")


if __name__ == "__main__":
    main()
