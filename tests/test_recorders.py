"""The cluster client's recording processes (autograder/cluster/recorders.py), without a cluster.

What a worker sends back is made here by grading in the course itself; the
client's side (recording it into the gradebook and the course's folders) is
then run in one process and in several, and with a recording process killed.
"""

import multiprocessing
import os
import signal

import pytest
from grading_helpers import ASSIGNMENT, SANDBOX, make_course, submit_example

from autograder.cluster.dask_executor import DaskCluster
from autograder.cluster.recorders import Recorders
from autograder.cluster.scratch_course import GradedSubmission, graded_files, read_tree, tree_digest
from autograder.grading.autograde import autograde, generate_feedback
from autograder.grading.results import results
from autograder.settings import db_url

pytestmark = pytest.mark.slow

STUDENTS = ["reference", "blank", "bug_softmax_axis0"]


def _as_sent_by_a_worker(root, student):
    submitted = read_tree(root / "submitted" / student / ASSIGNMENT)
    return GradedSubmission(student, tree_digest(submitted), *graded_files(root, ASSIGNMENT, student))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """A course whose students are graded, and what a worker would have sent for each."""
    root = make_course(tmp_path_factory.mktemp("graded"))
    overrides = {"TrustedExecute": {"sandbox": SANDBOX}}
    for student in STUDENTS:
        submit_example(root, student)
        autograde(root, ASSIGNMENT, student, "trusted", overrides)
        generate_feedback(root, ASSIGNMENT, student)
    return root, [_as_sent_by_a_worker(root, student) for student in STUDENTS]


def _course_like(root, tmp_path):
    """A new course with the same submissions and seed as ``root``, nothing graded."""
    course = make_course(tmp_path)
    (course / ".grading-seed").write_bytes((root / ".grading-seed").read_bytes())
    for student in STUDENTS:
        submit_example(course, student)
    return course


def _recorded(course, sent, processes, kill_one=False):
    overrides = {"CourseDirectory": {"db_url": db_url(course)}}
    with Recorders(processes) as recorders:
        if kill_one:
            recorders.result(recorders.submit(course, ASSIGNMENT, sent[0], overrides))
            victim = multiprocessing.active_children()[0]
            os.kill(victim.pid, signal.SIGKILL)
            victim.join(30)
        outcomes = [recorders.result(handed) for handed in
                    [recorders.submit(course, ASSIGNMENT, graded, overrides) for graded in sent]]
    assert not multiprocessing.active_children(), "the recording processes outlived their pool"
    return outcomes


def _gradebook(course):
    return [r.to_dict() for r in results(course, ASSIGNMENT, db=db_url(course))]


@pytest.mark.parametrize("processes", [1, 2])
def test_recording_writes_the_gradebook_and_files_grading_did(graded, tmp_path, processes):
    root, sent = graded
    course = _course_like(root, tmp_path)
    outcomes = _recorded(course, sent, processes)
    assert [(o.student, o.reason) for o in outcomes] == [(s, None) for s in STUDENTS]
    assert _gradebook(course) == _gradebook(root)
    scores = {row["student"]: row["score"] for row in _gradebook(course)}
    assert scores["reference"] == 90 and scores["blank"] == 0 and 0 < scores["bug_softmax_axis0"] < 90, scores
    for student in STUDENTS:
        for folder in ("autograded", "feedback"):
            written = read_tree(course / folder / student / ASSIGNMENT)
            assert written and written == {name: data for name, data in read_tree(root / folder / student / ASSIGNMENT)
                                           .items() if name in written}, (student, folder)


def test_a_recording_process_killed_has_its_work_recorded_by_the_client(graded, tmp_path):
    root, sent = graded
    course = _course_like(root, tmp_path)
    outcomes = _recorded(course, sent, 2, kill_one=True)
    assert [(o.student, o.reason) for o in outcomes] == [(s, None) for s in STUDENTS]
    # reference was recorded twice (before and after the kill): still one row per cell.
    assert _gradebook(course) == _gradebook(root)


def test_a_result_for_other_files_is_refused_not_recorded(graded, tmp_path):
    root, sent = graded
    course = _course_like(root, tmp_path)
    (course / "submitted" / "blank" / ASSIGNMENT / "notes.txt").write_text("handed in after the worker graded")
    outcomes = _recorded(course, sent, 2)
    reasons = {o.student: o.reason for o in outcomes}
    assert reasons["reference"] is None and reasons["bug_softmax_axis0"] is None, reasons
    assert "the worker graded other files" in reasons["blank"] and "grade it again" in reasons["blank"], reasons
    assert "blank" not in {row["student"] for row in _gradebook(course)}


def test_a_batch_gets_a_recording_process_per_ten_submissions_unless_told_how_many():
    cores = min(4, os.cpu_count() or 1)
    default = DaskCluster("tcp://127.0.0.1:8786")  # not connected: nothing is sent
    # A process costs what recording about 10 results here does: a late student or two are recorded here.
    assert [default.recorders_for(n) for n in (1, 9, 10, 20)] == [1, 1, 1, min(2, cores)]
    assert default.recorders_for(1000) == cores
    told = DaskCluster("tcp://127.0.0.1:8786", recorders=3)
    assert [told.recorders_for(n) for n in (1, 2, 40)] == [1, 2, 3]
    with pytest.raises(ValueError, match="at least 1"):
        DaskCluster("tcp://127.0.0.1:8786", recorders=0)
