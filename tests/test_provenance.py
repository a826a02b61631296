"""Every grade says how it was graded: course version, notebook hash, sandbox, limits and their enforcers."""

import csv
import json
import shutil
import subprocess

from conftest import REPO_ROOT

from autograder.grading.reports import write_grades_csv, write_json_reports
from autograder.grading.results import SubmissionResult, TestResult
from autograder.sandbox.provenance import GradingRecord, course_version, folder_sha256

ASSIGNMENT = "01_softmax_regression"
UNSANDBOXED = GradingRecord(
    notebook="softmax_regression.ipynb", notebook_sha256="ab" * 32, course_version="source " + "cd" * 32,
    source_sha256="cd" * 32, sandboxed=False,
    limits={"memory": "rlimits (per process)", "processes": "rlimits (per user)", "cpu": "rlimits",
            "disk": "rlimits (any one file: 256 MiB)", "network": "none"},
    settings={"memory_mb": 2048, "max_processes": 128, "disk_mb": 256, "cell_timeout": 120, "notebook_timeout": 600})


def _result():
    return SubmissionResult("ada", ASSIGNMENT, [TestResult("test_np_linear", 10.0, 10.0)], ["unsandboxed"],
                            graded_with=[UNSANDBOXED])


def test_the_record_survives_the_json_report(tmp_path):
    write_json_reports([_result()], [], tmp_path)
    data = json.loads((tmp_path / "ada.json").read_text())
    assert data["graded_with"] == [UNSANDBOXED.to_dict()]
    assert SubmissionResult.from_dict(data).graded_with == [UNSANDBOXED]


def test_each_csv_row_says_how_it_was_graded(tmp_path):
    path = write_grades_csv([_result()], tmp_path / "grades.csv", errors=[("bob", ASSIGNMENT, "is empty")])
    with open(path) as f:
        rows = {row["student"]: row for row in csv.DictReader(f)}
    assert rows["ada"]["sandbox"] == "unsandboxed" and rows["ada"]["notebook_sha256"] == "ab" * 32
    assert rows["ada"]["course_version"] == "source " + "cd" * 32
    assert rows["ada"]["limits"] == ("memory=rlimits (per process); processes=rlimits (per user); cpu=rlimits; "
                                     "disk=rlimits (any one file: 256 MiB); network=none")
    assert rows["bob"]["status"] == "not graded: is empty" and rows["bob"]["limits"] == ""


def test_an_old_record_without_some_limits_reads_them_as_not_enforced():
    data = UNSANDBOXED.to_dict()
    del data["limits"]["network"]
    assert GradingRecord.from_dict(data).limits["network"] == "none"


def test_the_course_version_is_the_commit_of_a_clean_checkout_else_the_source_hash(tmp_path):
    source_hash = folder_sha256(REPO_ROOT / "source" / ASSIGNMENT)
    clean = subprocess.run(["git", "-C", str(REPO_ROOT), "status", "--porcelain", "--", f"source/{ASSIGNMENT}"],
                           capture_output=True, text=True)
    version, hashed = course_version(REPO_ROOT, ASSIGNMENT)
    assert hashed == source_hash
    if clean.returncode == 0 and not clean.stdout.strip():
        commit = subprocess.run(["git", "-C", str(REPO_ROOT), "rev-parse", "HEAD"], capture_output=True, text=True)
        assert version == f"git {commit.stdout.strip()}"
    shutil.copytree(REPO_ROOT / "source" / ASSIGNMENT, tmp_path / "source" / ASSIGNMENT)
    assert course_version(tmp_path, ASSIGNMENT) == (f"source {source_hash}", source_hash)
