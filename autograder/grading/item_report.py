"""The instructor's report on one assignment: how each test did, the grades, and what to look at.

``python -m autograder report ASSIGNMENT`` (and every ``grade`` run) writes
``reports/<assignment>-instructor.html`` and ``.json`` for the whole class in
the gradebook:

* per test: **difficulty**, the share of its points the class earned (1 = all
  earned it); **discrimination**, the point-biserial correlation of the test's
  score with the total score (near 0 or negative: the test does not separate
  strong from weak submissions); and the **most common hint** learners got;
* a grade **histogram**, drawn here as SVG from the numbers alone, so the same
  grades give the same bytes;
* **flags that matter**: pairs of students whose own code (the lines they
  wrote, comments, layout and names aside) is identical or near-identical
  (:data:`SIMILARITY_THRESHOLD` of its five-token runs shared), hand-ins that are byte-for-byte the same
  file, and solution cells identical to the instructor's where that solution
  is more than a one-liner (:func:`autograder.grading.code_similarity.nontrivial`).

The page shows learner names and text, so every value is HTML-escaped and
the page carries a Content-Security-Policy that runs no script at all.
"""

import hashlib
import html
import json
import math
from collections import Counter
from dataclasses import asdict, dataclass, field
from itertools import combinations
from pathlib import Path

import nbformat

from autograder.grading.code_similarity import (code_tokens, learner_part, nontrivial, same_code, shingles,
                                                solution_part)
from autograder.grading.exports import Person, roster
from autograder.grading.reports import class_results
from autograder.grading.safe_text import printable
from autograder.settings import RELEASE_DIR, SOURCE_DIR

SIMILARITY_THRESHOLD = 0.8
"""Two students' own code sharing at least this share of its shingles (0-1) is flagged."""
MIN_SHINGLES = 25
"""... provided it has at least this many (about as many tokens): short code is alike by chance."""
HISTOGRAM_BINS = 10
PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"


@dataclass
class ItemStats:
    """How one grade cell did across the class."""

    grade_id: str
    max_points: float
    manual: bool
    graded: int
    """Submissions with a score for it (pending manual grades left out)."""
    difficulty: float = None
    """Mean share of the points earned, 0 to 1; None if nobody has a score yet."""
    discrimination: float = None
    """Point-biserial correlation of this test's score with the total; None where either is constant."""
    common_hint: str = ""
    """The message most learners who lost points here read."""
    hint_count: int = 0


@dataclass
class SimilarPair:
    """Two students whose hand-ins are alike."""

    students: list
    similarity: float
    """1.0 for identical code (or identical files)."""
    cells: list = field(default_factory=list)
    """The grade ids of the cells compared."""
    identical_files: bool = False


@dataclass
class InstructorReport:
    """The report of one assignment, as written to JSON (and rendered to HTML)."""

    assignment: str
    students: list
    """One dict per graded student: id, name, score, max_score, pending, flags."""
    not_graded: list
    """(student, reason) for hand-ins that could not be graded."""
    tests: list
    """One :class:`ItemStats` per grade cell, in notebook order."""
    histogram: list
    """Counts of scores in :data:`HISTOGRAM_BINS` equal bins from 0 to the maximum."""
    max_score: float
    similar: list
    """:class:`SimilarPair` s, most alike first."""
    solution_copies: dict
    """student -> grade ids of their cells identical to the instructor's (non-trivial) solution."""

    def to_dict(self):
        return asdict(self)


def point_biserial(item, total):
    """Pearson correlation of an item's scores with the totals (point-biserial for a pass/fail item).

    None where either has no spread (everyone the same) or fewer than 3 scores.
    """
    n = len(item)
    if n < 3:
        return None
    mean_i, mean_t = sum(item) / n, sum(total) / n
    cov = sum((a - mean_i) * (b - mean_t) for a, b in zip(item, total))
    var_i = sum((a - mean_i) ** 2 for a in item)
    var_t = sum((b - mean_t) ** 2 for b in total)
    if var_i <= 1e-12 or var_t <= 1e-12:
        return None
    return cov / math.sqrt(var_i * var_t)


def histogram(scores, max_score, bins=HISTOGRAM_BINS):
    """Counts of ``scores`` in ``bins`` equal bins over ``[0, max_score]`` (the top one closed)."""
    counts = [0] * bins
    for score in scores:
        share = score / max_score if max_score else 0.0
        counts[min(bins - 1, max(0, int(share * bins)))] += 1
    return counts


def _test_stats(rows):
    order, by_id = [], {}
    for r in rows:
        for t in r.tests:
            if t.grade_id not in by_id:
                order.append(t.grade_id)
                by_id[t.grade_id] = (t.max_points, t.manual)
    stats = []
    for grade_id in order:
        max_points, manual = by_id[grade_id]
        scored = [(t.points, r.score, r.messages.get(grade_id, "")) for r in rows for t in r.tests
                  if t.grade_id == grade_id and not t.needs_manual_grade]
        item = [points for points, _, _ in scored]
        s = ItemStats(grade_id, max_points, manual, len(scored))
        if scored and max_points:
            s.difficulty = round(sum(item) / (len(item) * max_points), 4)
            rb = point_biserial(item, [total for _, total, _ in scored])
            s.discrimination = None if rb is None else round(rb, 4)
        hints = Counter(message for points, _, message in scored if message and points < max_points)
        if hints:
            # Most frequent first; ties broken by the text, so the report is the same every time.
            s.common_hint, s.hint_count = min(hints.items(), key=lambda kv: (-kv[1], kv[0]))
        stats.append(s)
    return stats


def _cells(path):
    nb = nbformat.read(path, as_version=4)
    return {c.metadata["nbgrader"]["grade_id"]: c.source for c in nb.cells
            if c.cell_type == "code" and c.get("metadata", {}).get("nbgrader", {}).get("solution")
            and c.metadata["nbgrader"].get("grade_id")}


def _handins(root, assignment, students):
    """student -> (their own code per solution cell, sha256 of their notebooks); unreadable ones left out."""
    root = Path(root)
    templates, solutions = {}, {}
    for path in sorted((root / SOURCE_DIR / assignment).glob("*.ipynb")):
        for grade_id, source in _cells(path).items():
            solutions[grade_id] = solution_part(source)
        release = root / RELEASE_DIR / assignment / path.name
        if release.exists():
            templates.update(_cells(release))
    out = {}
    for student in students:
        folder = root / "submitted" / student / assignment
        own, digest = {}, hashlib.sha256()
        try:
            for path in sorted(folder.glob("*.ipynb")):
                data = path.read_bytes()
                digest.update(path.name.encode() + b"\0" + data)
                for grade_id, source in _cells(path).items():
                    if grade_id in solutions:
                        code = learner_part(source, templates.get(grade_id, ""))
                        if code_tokens(code):
                            own[grade_id] = code
        except Exception:  # a hand-in the report cannot read is simply not compared
            continue
        out[student] = (own, digest.hexdigest())
    return out, solutions


def _similar_pairs(handins, solutions):
    """Pairs of students with alike own code, or byte-identical hand-ins; most alike first.

    Each student's own code is compared cell by cell (the cells both wrote),
    as shingles of renamed tokens (:func:`~autograder.grading.code_similarity.shingles`).
    """
    renamed_solutions = {g: code_tokens(s, rename=True) for g, s in solutions.items()}
    marks, sizes = {}, {}
    for student, (cells, _) in handins.items():
        marks[student], sizes[student] = set(), {}
        for grade_id, code in cells.items():
            tokens = code_tokens(code, rename=True)
            # The instructor's solution, renamed or not, is what correct code looks like:
            # two students sharing it have not copied each other.
            if tokens != renamed_solutions.get(grade_id):
                # One set of ints per student, each shingle tagged with its cell: a pair is
                # then one set intersection, and shingles of different cells never match.
                cell = {hash((grade_id, shingle)) for shingle in shingles(tokens)}
                marks[student] |= cell
                sizes[student][grade_id] = len(cell)
    pairs = []
    for a, b in combinations(sorted(handins), 2):
        if handins[a][0] and handins[a][1] == handins[b][1]:
            pairs.append(SimilarPair([a, b], 1.0, sorted(handins[a][0]), identical_files=True))
            continue
        common = sorted(set(sizes[a]) & set(sizes[b]))
        shared = len(marks[a] & marks[b])
        total = sum(sizes[a][g] + sizes[b][g] for g in common) - shared   # the union, over common cells
        if total < MIN_SHINGLES:
            continue
        ratio = shared / total
        if ratio >= SIMILARITY_THRESHOLD:
            pairs.append(SimilarPair([a, b], round(ratio, 4), common))
    return sorted(pairs, key=lambda p: (-p.similarity, p.students))


def _solution_copies(handins, solutions):
    out = {}
    for student, (own, _) in sorted(handins.items()):
        copied = [g for g, code in sorted(own.items())
                  if g in solutions and nontrivial(solutions[g]) and same_code(code, solutions[g])]
        if copied:
            out[student] = copied
    return out


def build_report(root, assignment, db=None):
    """The :class:`InstructorReport` of ``assignment``, for the whole class in the gradebook."""
    rows, errors = class_results(root, assignment, db=db)
    people = roster(root, db)
    handins, solutions = _handins(root, assignment, [r.student for r in rows])
    max_score = max((r.max_score for r in rows), default=0.0)
    students = [{"student": r.student, "name": people.get(r.student, Person(r.student)).name,
                 "score": r.score, "max_score": r.max_score, "pending": sorted(r.pending),
                 "flags": sorted(set(map(str, r.flags)))} for r in rows]
    return InstructorReport(
        assignment, students, [[student, reason] for student, _, reason in errors], _test_stats(rows),
        histogram([r.score for r in rows], max_score), max_score, _similar_pairs(handins, solutions),
        _solution_copies(handins, solutions))


def histogram_svg(counts, max_score, width=480, height=200):
    """An SVG bar chart of ``counts`` (bins of equal width from 0 to ``max_score``); numbers only."""
    pad, top = 30, max(counts, default=0) or 1
    bar = (width - 2 * pad) / max(len(counts), 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="grade histogram">',
             f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" stroke="#333"/>']
    for i, count in enumerate(counts):
        h = (height - 2 * pad) * count / top
        x, y = pad + i * bar, height - pad - h
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar - 2:.1f}" height="{h:.1f}" fill="#4a7ab5">'
                     f'<title>{count}</title></rect>')
        if count:
            parts.append(f'<text x="{x + bar / 2 - 1:.1f}" y="{y - 3:.1f}" font-size="11" '
                         f'text-anchor="middle">{count}</text>')
        parts.append(f'<text x="{x:.1f}" y="{height - pad + 14}" font-size="10">'
                     f'{max_score * i / len(counts):g}</text>')
    parts.append(f'<text x="{width - pad:.1f}" y="{height - pad + 14}" font-size="10" '
                 f'text-anchor="end">{max_score:g}</text></svg>')
    return "".join(parts)


def _e(value):
    """Text for the page: terminal-safe, then HTML-escaped (quotes too)."""
    return html.escape(printable(value), quote=True)


def _num(value, digits=2):
    return "-" if value is None else f"{value:.{digits}f}"


def render_html(report):
    """The report as one self-contained HTML page; every learner-derived value escaped."""
    names = {s["student"]: s["name"] for s in report.students}

    def who(student):
        name = names.get(student, student)
        return _e(student) + ("" if name == student else f" ({_e(name)})")

    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           f'<meta http-equiv="Content-Security-Policy" content="{PAGE_CSP}">',
           f"<title>Instructor report: {_e(report.assignment)}</title>",
           "<style>body{font-family:sans-serif;margin:2em;max-width:60em}table{border-collapse:collapse}"
           "td,th{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}"
           ".flag{color:#a00}</style></head><body>",
           f"<h1>Instructor report: {_e(report.assignment)}</h1>",
           f"<p>{len(report.students)} graded, {len(report.not_graded)} not graded; "
           f"maximum {report.max_score:g} points.</p>",
           "<h2>Flags that matter</h2>"]
    if not (report.similar or report.solution_copies):
        out.append("<p>None.</p>")
    if report.similar:
        out.append("<h3>Alike hand-ins</h3><table><tr><th>students</th><th>similarity</th><th>cells</th></tr>")
        for p in report.similar:
            kind = "identical files" if p.identical_files else f"{p.similarity:.0%}"
            out.append(f'<tr><td class="flag">{" and ".join(who(s) for s in p.students)}</td><td>{kind}</td>'
                       f"<td>{_e(', '.join(p.cells))}</td></tr>")
        out.append("</table>")
    if report.solution_copies:
        out.append("<h3>Identical to the instructor's solution</h3><ul>")
        for student, cells in report.solution_copies.items():
            out.append(f'<li class="flag">{who(student)}: {_e(", ".join(cells))}</li>')
        out.append("</ul>")
    out.append("<h2>Grades</h2>" + histogram_svg(report.histogram, report.max_score))
    out.append("<h2>Tests</h2><table><tr><th>test</th><th>points</th><th>difficulty</th>"
               "<th>discrimination</th><th>scored</th><th>most common hint</th></tr>")
    for t in report.tests:
        hint = f"{_e(t.common_hint)} ({t.hint_count})" if t.common_hint else ""
        out.append(f"<tr><td>{_e(t.grade_id)}{' (manual)' if t.manual else ''}</td><td>{t.max_points:g}</td>"
                   f"<td>{_num(t.difficulty)}</td><td>{_num(t.discrimination)}</td><td>{t.graded}</td>"
                   f"<td>{hint}</td></tr>")
    out.append("</table><h2>Students</h2><table><tr><th>student</th><th>score</th><th>pending</th>"
               "<th>flags</th></tr>")
    for s in report.students:
        out.append(f"<tr><td>{who(s['student'])}</td><td>{s['score']:g} / {s['max_score']:g}</td>"
                   f"<td>{_e(', '.join(s['pending']))}</td><td>{_e('; '.join(s['flags']))}</td></tr>")
    for student, reason in report.not_graded:
        out.append(f"<tr><td>{who(student)}</td><td>not graded</td><td></td><td>{_e(reason)}</td></tr>")
    out.append("</table></body></html>")
    return "\n".join(out)


def write_report(root, assignment, db=None):
    """Write ``reports/<assignment>-instructor.html`` and ``.json``; returns ``(html_path, json_path)``."""
    report = build_report(root, assignment, db)
    folder = Path(root) / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    html_path, json_path = folder / f"{assignment}-instructor.html", folder / f"{assignment}-instructor.json"
    html_path.write_text(render_html(report), encoding="utf-8")
    json_path.write_text(json.dumps(report.to_dict(), indent=1, ensure_ascii=True), encoding="utf-8")
    return html_path, json_path
