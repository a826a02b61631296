"""The result of grading one submission is a typed record that writes and reads itself."""

import json

from autograder.grading.reports import write_json_reports
from autograder.grading.results import SubmissionResult, TestResult


def _result():
    return SubmissionResult(
        "ada", "01_softmax_regression",
        [TestResult("test_softmax", 0.0, 10.0), TestResult("test_linear", 5.0, 5.0),
         TestResult("written_batch_softmax", 0.0, 4.0, manual=True, needs_manual_grade=True)],
        flags=["timeout", "timeout"], messages={"test_softmax": "rows of your softmax sum to 4.2, not 1"})


def test_a_submission_result_survives_its_json_report(tmp_path):
    result = _result()
    write_json_reports([result], [], tmp_path)
    back = SubmissionResult.from_dict(json.loads((tmp_path / "ada.json").read_text()))
    assert back.tests == result.tests
    assert back.messages == result.messages
    assert (back.score, back.max_score, back.failed, back.pending) == (5.0, 19.0, {"test_softmax"},
                                                                       {"written_batch_softmax"})
    assert back.flags == ["timeout"]   # a flag is said once


def test_the_json_report_says_what_each_test_gave_and_why():
    data = _result().to_dict()
    assert data["status"] == "graded" and data["score"] == 5.0 and data["max_score"] == 19.0
    assert data["tests"][0] == {"grade_id": "test_softmax", "points": 0.0, "max_points": 10.0, "kind": "auto",
                                "pending": False, "message": "rows of your softmax sum to 4.2, not 1"}
    assert data["tests"][2]["kind"] == "manual" and data["tests"][2]["pending"] is True
