"""The grading pipeline's public API in one import.

Each step lives in a module of its own, named for it; this module only gathers
them for callers (the CLI, the example class, the benchmark, the tests):

========================  ==================================================
:mod:`~autograder.nbgrader_api`  nbgrader's API for a course folder; :class:`GradingError`
:mod:`~autograder.release`       ``source/`` -> ``notebooks/``, checked for leaks
:mod:`~autograder.autograde`     one submission: autograde, feedback
:mod:`~autograder.results`       the gradebook as typed records
:mod:`~autograder.reports`       grades CSV, JSON per student, a plain table
:mod:`~autograder.selfcheck`     a learner grades their own notebook offline
:mod:`~autograder.batch`         a whole class: collect, grade in parallel, report
========================  ==================================================
"""

from autograder.autograde import autograde, generate_feedback
from autograder.batch import ClassReport, grade_class
from autograder.nbgrader_api import GradingError
from autograder.release import HIDDEN_MARKERS, SOLUTION_MARKERS, assignments, release, release_leaks
from autograder.reports import CSV_COLUMNS, format_table, write_grades_csv, write_json_reports
from autograder.results import SubmissionResult, TestResult, results, set_manual_grades
from autograder.selfcheck import check_notebook, failure_messages

__all__ = ["CSV_COLUMNS", "HIDDEN_MARKERS", "SOLUTION_MARKERS", "ClassReport", "GradingError", "SubmissionResult",
           "TestResult", "assignments", "autograde", "check_notebook", "failure_messages", "format_table",
           "generate_feedback", "grade_class", "release", "release_leaks", "results", "set_manual_grades",
           "write_grades_csv", "write_json_reports"]
