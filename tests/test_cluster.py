"""Grading on a real Dask cluster (``dask scheduler`` and ``dask worker`` on loopback).

The cluster's gradebook must equal the local pool's, a worker killed
mid-batch must cost nothing, and a scheduler that goes away must stop the
command with a clear message and leave a batch that a rerun finishes.
"""

import json
import shutil
import subprocess
import sys
import threading
import time

import nbformat
import pytest
from grading_helpers import ASSIGNMENT, NO_SANDBOX_FLAG, NOTEBOOK, SANDBOX, make_course, submit_example
from services import dask_cluster, free_port

from autograder.cluster.dask_executor import DaskCluster
from autograder.grading.batch import grade_class
from autograder.grading.options import GradingOptions
from autograder.grading.results import results
from autograder.settings import RESUME_MARKER, db_url

pytestmark = pytest.mark.slow

CLASS = ["reference", "blank", "bug_softmax_axis0"]


@pytest.fixture(scope="module")
def cluster():
    with dask_cluster(workers=2) as running:
        yield running


def _class(root, students, seed_from=None):
    """A course with ``students`` submitted; with the hidden-test seed of ``seed_from``, if given."""
    make_course(root)
    if seed_from is not None:
        shutil.copyfile(seed_from / ".grading-seed", root / ".grading-seed")
    for student in students:
        submit_example(root, student)
    return root


def _gradebook_rows(root):
    """How many rows each gradebook table holds: a repeat must not add any."""
    from nbgrader.api import Gradebook

    with Gradebook(db_url(root)) as gb:
        submissions = gb.assignment_submissions(ASSIGNMENT)
        return {"students": len(gb.students), "submissions": len(submissions),
                "grades": sum(len(nb.grades) for s in submissions for nb in s.notebooks),
                "comments": sum(len(nb.comments) for s in submissions for nb in s.notebooks)}


def _test_outputs(root, student):
    """grade id -> outputs of each test cell of the autograded notebook (learner cells print timings)."""
    nb = nbformat.read(root / "autograded" / student / ASSIGNMENT / NOTEBOOK, as_version=4)
    return {c.metadata["nbgrader"]["grade_id"]: c.outputs for c in nb.cells
            if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")}


def _kill_a_busy_worker(cluster, name, killed):
    """Wait until worker ``name`` is grading a submission, let it work a second, then SIGKILL it."""
    from distributed import Client

    with Client(cluster.address, timeout=30, set_as_default=False) as client:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            workers = client.scheduler_info()["workers"]
            address = next((a for a, w in workers.items() if w["name"] == name), None)
            busy = client.processing().get(address) if address else None
            if busy:
                time.sleep(1.0)
                killed["tasks"] = client.processing().get(address)
                cluster.kill_worker(int(name.rsplit("-", 1)[1]))
                return
            time.sleep(0.1)


def test_a_worker_killed_mid_batch_changes_nothing(tmp_path, cluster):
    local = _class(tmp_path / "local", CLASS)
    expected = grade_class(local, ASSIGNMENT, options=GradingOptions(workers=2, progress=False, sandbox=SANDBOX))
    assert not expected.errors
    remote = _class(tmp_path / "remote", CLASS, seed_from=local)

    killed = {}
    killer = threading.Thread(target=_kill_a_busy_worker, args=(cluster, "worker-0", killed))
    killer.start()
    # Two recording processes, as a class of 20 or more gets by default on 2 cores.
    executor = DaskCluster(cluster.address, retries=1, recorders=2)
    try:
        report = grade_class(remote, ASSIGNMENT, options=GradingOptions(progress=False, sandbox=SANDBOX),
                             executor=executor)
    finally:
        executor.close()
        killer.join()
        cluster.workers[0] = cluster.start_worker("worker-0")  # for the next test
    assert killed.get("tasks"), "worker-0 was never seen grading: the kill did not happen mid-task"
    assert not report.errors, report.errors

    # Every submission recorded once; the one the dead worker held was graded elsewhere.
    assert sorted(t["student"] for t in executor.timings) == sorted(CLASS)
    assert [r.to_dict() for r in report.results] == [r.to_dict() for r in expected.results]
    assert {r.student: r.score for r in report.results}["reference"] == 90  # all autograded points
    # Each grade cell and each solution cell (a comment) of each submission, once.
    source = nbformat.read(local / "source" / ASSIGNMENT / NOTEBOOK, as_version=4)
    grade_cells = sum(1 for c in source.cells if c.metadata.get("nbgrader", {}).get("grade"))
    solution_cells = sum(1 for c in source.cells if c.metadata.get("nbgrader", {}).get("solution"))
    assert _gradebook_rows(remote) == _gradebook_rows(local) == {
        "students": 3, "submissions": 3, "grades": 3 * grade_cells, "comments": 3 * solution_cells}
    for student in CLASS:
        assert _test_outputs(remote, student) == _test_outputs(local, student), student
        assert (json.loads((remote / "autograded" / student / ASSIGNMENT / "softmax_regression.grading.json")
                           .read_text())["tests"]
                == json.loads((local / "autograded" / student / ASSIGNMENT / "softmax_regression.grading.json")
                              .read_text())["tests"])
        assert (remote / "autograded" / student / ASSIGNMENT / RESUME_MARKER).exists()
    # The blank submission prints nothing that varies: its feedback page is the local one, byte for byte.
    page = f"feedback/blank/{ASSIGNMENT}/softmax_regression.html"
    assert (remote / page).read_bytes() == (local / page).read_bytes()


def _grade_command(root, scheduler):
    return subprocess.Popen([sys.executable, "-m", "autograder", "grade", *NO_SANDBOX_FLAG, ASSIGNMENT,
                             "--root", str(root), "--scheduler", scheduler],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_a_lost_scheduler_stops_the_command_and_a_rerun_resumes(tmp_path):
    root = _class(tmp_path / "course", ["reference", "blank", "bug_grad_sign"])

    def markers():
        """The students whose submission is graded and saved."""
        return sorted(p.parts[-3] for p in (root / "autograded").glob(f"*/{ASSIGNMENT}/{RESUME_MARKER}"))

    with dask_cluster(workers=1) as first:
        command = _grade_command(root, first.address)
        deadline = time.monotonic() + 180
        while not markers() and time.monotonic() < deadline and command.poll() is None:
            time.sleep(0.1)
        first.kill_scheduler()
        output, _ = command.communicate(timeout=180)
    graded = markers()
    assert command.returncode != 0, output
    assert "lost the Dask scheduler" in output and "Run the same command again" in output, output
    assert 1 <= len(graded) < 3, output

    # With no scheduler at all, the command says so and grades nothing.
    nowhere = f"tcp://127.0.0.1:{free_port()}"
    failed = subprocess.run([sys.executable, "-m", "autograder", "grade", *NO_SANDBOX_FLAG, ASSIGNMENT,
                             "--root", str(root), "--scheduler", nowhere], capture_output=True, text=True, timeout=120)
    assert failed.returncode != 0 and f"cannot reach the Dask scheduler at {nowhere}" in failed.stderr

    with dask_cluster(workers=1) as second:
        command = _grade_command(root, second.address)
        output, _ = command.communicate(timeout=300)
    assert command.returncode == 0, output
    assert f"not regraded (use --force): {', '.join(graded)}" in output, output
    assert markers() == ["blank", "bug_grad_sign", "reference"]
    assert {r.student for r in results(root, ASSIGNMENT)} == {"reference", "blank", "bug_grad_sign"}
