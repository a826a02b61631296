"""What a submission can reach, and what happens when it misbehaves.

One probe submission tries to read solutions, the gradebook and another
student's work, to write outside its folder and to reach the network. Others
loop forever, exhaust memory, fork without end, flood their output or fill the
disk; each must cost only its own points, with a reason, while the batch goes on
and no process or file of theirs survives.

Whoever runs them: as root here the limits are cgroup v1; as an ordinary user
(tests/test_unprivileged.py runs this file as one) they are rlimits.
"""

import csv
import json
import os
import tempfile
from pathlib import Path

import nbformat
import pytest
from conftest import REPO_ROOT
from grading_helpers import ASSIGNMENT, NOTEBOOK, autograded_outputs, make_course, submit, submit_example

from autograder.grading.autograde import autograde
from autograder.grading.batch import grade_class
from autograder.grading.options import GradingOptions
from autograder.grading.results import results
from autograder.sandbox.kernel import SandboxedKernel, bwrap_problem
from examples.example_class import Example, build_submission

pytestmark = pytest.mark.slow

PROBE = '''
import json, os, socket
_probe = {{}}
def _attempt(name, action):
    try:
        action()
        _probe[name] = "allowed"
    except Exception as err:
        _probe[name] = type(err).__name__
_attempt("read solutions", lambda: open({source!r}).read())
_attempt("read example class", lambda: open({examples!r}).read())
_attempt("read course copy of source", lambda: open({course_source!r}).read())
_attempt("read gradebook", lambda: open({gradebook!r}, "rb").read(1))
_attempt("read another student", lambda: open({other!r}).read())
_attempt("write outside", lambda: open({outside!r}, "w").write("x"))
_attempt("network", lambda: socket.create_connection(("1.1.1.1", 80), timeout=3))
_attempt("read data", lambda: open({data!r}, "rb").read(1))
_attempt("write own folder", lambda: open("scratch.txt", "w").write("x"))
_attempt("notebook with hidden tests", lambda: open({notebook!r}).read())
print("PROBE" + json.dumps(_probe))
'''

LIMITS = {"TrustedExecute": {"cell_timeout": 10, "notebook_timeout": 60, "memory_mb": 400, "max_processes": 40,
                              "disk_mb": 64}}
DISK_BOMB = "with open('disk-bomb.bin', 'wb') as f:\n    for _ in range(4096):\n        f.write(b'x' * (1 << 20))"

MISBEHAVIOUR = {
    "infinite_loop": ("import time\nwhile True:\n    try:\n        time.sleep(0.05)\n"
                      "    except KeyboardInterrupt:\n        pass", {"timeout"}),
    "memory_bomb": ("hog = [np.ones(10_000_000) for _ in range(100)]", {"memory"}),
    # Forked copies of the kernel share its sockets, so what breaks first varies.
    "fork_bomb": ("import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass",
                  {"timeout", "bad-kernel-reply", "kernel-died"}),
    "output_flood": ("for _ in range(400_000):\n    print('x' * 100)", {"output-truncated"}),
    "disk_bomb": (DISK_BOMB, {"disk"}),
}


@pytest.fixture(scope="module", autouse=True)
def needs_bwrap():
    if bwrap_problem():
        pytest.skip(f"the sandbox tests need bubblewrap: {bwrap_problem()}")


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return make_course(tmp_path_factory.mktemp("sandbox") / "course")


def test_the_sandbox_sees_only_its_own_copy(course):
    submit(course, "other")
    outside = REPO_ROOT / "pwned-by-submission.txt"
    # A checkout under /tmp (a scratch clone) has its path inside the sandbox's own
    # /tmp tmpfs: the write lands there and vanishes with the sandbox. Either way
    # the host's file must not appear (asserted below).
    write_outside = "allowed" if REPO_ROOT.is_relative_to("/tmp") else "OSError"
    code = PROBE.format(
        source=str(REPO_ROOT / "source" / ASSIGNMENT / "softmax_regression.ipynb"),
        examples=str(REPO_ROOT / "examples" / ASSIGNMENT / "reference.py"),
        course_source=str(course / "source" / ASSIGNMENT / "softmax_regression.ipynb"),
        gradebook=str(course / "gradebook.db"),
        other=str(course / "submitted" / "other" / ASSIGNMENT / "softmax_regression.ipynb"),
        outside=str(outside), data=str(REPO_ROOT / "data" / "MINI_MNIST" / "mini_mnist.npz"),
        notebook="softmax_regression.ipynb")
    submit(course, "prober", attack=code)
    autograde(course, ASSIGNMENT, "prober")
    text = autograded_outputs(course, "prober")["np_linear"]
    probe = json.loads(text.split("PROBE", 1)[1].splitlines()[0])
    assert probe == {
        "read solutions": "FileNotFoundError", "read example class": "FileNotFoundError",
        "read course copy of source": "FileNotFoundError", "read gradebook": "FileNotFoundError",
        "read another student": "FileNotFoundError", "write outside": write_outside,
        "network": "OSError", "read data": "allowed", "write own folder": "allowed",
        "notebook with hidden tests": "FileNotFoundError"}, probe
    assert not outside.exists()


@pytest.fixture(scope="module")
def misbehaving_class(course):
    """A batch with every kind of misbehaviour and one good student, graded with tight limits."""
    for name, (code, _) in MISBEHAVIOUR.items():
        submit(course, name, attack=code)
    submit_example(course, "reference")
    return grade_class(course, ASSIGNMENT, options=GradingOptions(workers=2, progress=False, overrides=LIMITS))


@pytest.mark.parametrize("name", sorted(MISBEHAVIOUR))
def test_misbehaviour_costs_its_own_points_with_a_reason(course, misbehaving_class, name):
    result = {r.student: r for r in misbehaving_class.results}[name]
    assert result.score == 0
    assert MISBEHAVIOUR[name][1] & set(result.flags), f"expected one of {MISBEHAVIOUR[name][1]}: {result.flags}"
    report = json.loads(next((course / "autograded" / name / ASSIGNMENT).glob("*.grading.json")).read_text())
    for cgroup in report["sandbox"]["cgroups"]:
        assert not Path(cgroup).exists(), f"{cgroup} survived: a process of the submission may be alive"
    (record,) = result.graded_with
    assert record.sandboxed
    assert record.limits["memory"] in ("cgroup v1", "cgroup v2", "rlimits (per process)"), record.limits
    assert record.limits["processes"] in ("cgroup v1", "cgroup v2", "rlimits (per sandbox)"), record.limits
    assert record.limits["disk"].startswith("bwrap") and record.limits["network"].startswith("bwrap")
    if os.getuid() == 0:   # root may create v1 cgroups on this host
        assert report["sandbox"]["cgroups"], "no cgroup was used as root: limits fell back to rlimits"


def test_nothing_a_submission_wrote_survives(misbehaving_class):
    # The grader's folders for submissions; the sandbox's own /tmp was a tmpfs that died with it.
    left = list(Path(tempfile.gettempdir()).glob("nn-*/**/disk-bomb.bin"))
    assert left == []


def test_every_row_says_how_it_was_graded(course, misbehaving_class):
    with open(misbehaving_class.csv_path) as f:
        rows = {row["student"]: row for row in csv.DictReader(f)}
    reference = rows["reference"]
    assert reference["sandbox"] == "bwrap"
    assert len(reference["notebook_sha256"]) == 64
    assert reference["course_version"].startswith("source ")   # a scratch course, not a git checkout
    assert "memory=" in reference["limits"] and "disk=bwrap" in reference["limits"]
    report = json.loads((course / "reports" / ASSIGNMENT / "reference.json").read_text())
    (record,) = report["graded_with"]
    assert record["sandboxed"] is True and record["settings"]["disk_mb"] == 64


def test_the_batch_goes_on_and_the_good_student_is_graded(misbehaving_class):
    results = {r.student: r for r in misbehaving_class.results}
    assert misbehaving_class.errors == []
    assert results["reference"].score == 90      # written answers wait for a person
    assert set(MISBEHAVIOUR) | {"reference"} <= set(results)


def test_time_limits_are_reported_to_the_learner(course, misbehaving_class):
    messages = {r.student: r.messages for r in misbehaving_class.results}["infinite_loop"]
    assert any("time limit" in m for m in messages.values()), messages


def test_filling_the_disk_costs_only_the_cells_it_broke(course):
    """The reference, with a disk bomb in front of its first function: that function's tests fail, no other."""
    build_submission(Example("disk_first", ASSIGNMENT, ""), course)
    path = course / "submitted" / "disk_first" / ASSIGNMENT / NOTEBOOK
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "np_linear")
    cell.source = DISK_BOMB + "\n" + cell.source
    nbformat.write(nb, path)
    autograde(course, ASSIGNMENT, "disk_first", overrides=LIMITS)
    result = {r.student: r for r in results(course, ASSIGNMENT)}["disk_first"]
    assert "disk" in result.flags
    assert "test_np_linear" in result.failed
    assert {"test_softmax_rows", "test_softmax_values", "test_cross_entropy"}.isdisjoint(result.failed)
    assert 0 < result.score < 90


@pytest.mark.parametrize("where", ["repository root", "inside the repository", "elsewhere"])
def test_the_sandbox_starts_wherever_the_course_is(tmp_path, where):
    course_root = {"repository root": REPO_ROOT, "inside the repository": REPO_ROOT / "autograder" / "build" / "t",
                   "elsewhere": tmp_path / "course"}[where]
    course_root.mkdir(parents=True, exist_ok=True)
    (tmp_path / "work").mkdir()
    kernel = SandboxedKernel(tmp_path / "work", course_root, memory_mb=512, max_processes=64)
    try:
        reply = kernel.execute("print(6 * 7)", 60)
    finally:
        kernel.close()
    assert reply["status"] == "ok" and "42" in reply["outputs"][0]["text"]
