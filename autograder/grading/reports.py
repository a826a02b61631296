"""What an instructor reads after grading: the grades CSV, a JSON per student, a plain table."""

import csv
import json
from pathlib import Path

CSV_COLUMNS = ("student", "assignment", "status", "score", "max_score", "failed_tests", "pending_manual", "flags",
               "course_version", "notebook_sha256", "sandbox", "limits")


def provenance_cells(result):
    """The CSV's last four cells: how ``result`` was graded (empty where nothing was recorded)."""
    records = result.graded_with
    if not records:
        return ["", "", "", ""]
    sandbox = "bwrap" if all(r.sandboxed for r in records) else "unsandboxed"
    return [" ".join(sorted({r.course_version for r in records})),
            " ".join(f"{r.notebook}:{r.notebook_sha256}" if len(records) > 1 else r.notebook_sha256
                     for r in records),
            sandbox, " | ".join(sorted({r.limits_text() for r in records}))]


def write_grades_csv(rows, path, errors=()):
    """Write one line per submission: status, score, maximum, failed and pending cells, flags, and how it was graded.

    Parameters
    ----------
    rows : list of SubmissionResult
    errors : iterable of (student, assignment, reason)
        Submissions that could not be graded; they get a line with the reason
        as their status and no score.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(CSV_COLUMNS)
        for r in rows:
            writer.writerow([r.student, r.assignment, "graded", f"{r.score:g}", f"{r.max_score:g}",
                             " ".join(sorted(r.failed)), " ".join(sorted(r.pending)), "; ".join(sorted(set(r.flags)))]
                            + provenance_cells(r))
        for student, assignment, reason in errors:
            writer.writerow([student, assignment, f"not graded: {reason}"] + [""] * (len(CSV_COLUMNS) - 3))
    return path


def format_table(rows):
    """A plain-text grade table, one line per submission."""
    header = f"{'student':28s} {'score':>11s}  failed tests"
    lines = [header, "-" * len(header)]
    for r in rows:
        failed = ", ".join(sorted(r.failed)) or "-"
        pending = f"  (manual grading pending: {', '.join(sorted(r.pending))})" if r.pending else ""
        lines.append(f"{r.student:28s} {r.score:5g} / {r.max_score:<4g} {failed}{pending}")
    return "\n".join(lines)


def write_json_reports(rows, errors, folder):
    """``<folder>/<student>.json``: every test of one submission, its points and message."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for r in rows:
        (folder / f"{r.student}.json").write_text(json.dumps(r.to_dict(), indent=1))
    for student, assignment, reason in errors:
        (folder / f"{student}.json").write_text(json.dumps({
            "student": student, "assignment": assignment, "status": f"not graded: {reason}", "tests": []}))
