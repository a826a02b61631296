"""The canary: a grading environment that cannot grade the reference solution grades no one.

A broken sandbox (here: a variable that stops Python from starting, as a
missing LD_LIBRARY_PATH does on a cluster) would fail every test of every
student. The batch must stop before the gradebook, say why, and blame the
machine, not the learners. Runs with or without bubblewrap.
"""

import hashlib
import json

import pytest
from grading_helpers import ASSIGNMENT, make_course, submit_example

from autograder.grading import canary
from autograder.grading.autograde import autograde
from autograder.grading.batch import grade_class
from autograder.grading.canary import CanaryError, check_environment
from autograder.grading.options import GradingOptions
from autograder.grading.results import results
from autograder.grading.selfcheck import check_notebook
from autograder.sandbox.kernel import bwrap_available
from autograder.settings import CACHE_DIR

pytestmark = pytest.mark.slow

# Python cannot find its standard library: it exits at once, with a fatal error on stderr.
BROKEN = {"TrustedExecute": {"sandbox_set_env": {"PYTHONHOME": "/nonexistent-python-home"}}}


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = make_course(tmp_path_factory.mktemp("canary") / "course")
    submit_example(root, "reference")
    return root


def test_a_sandbox_that_cannot_start_python_stops_the_batch_before_the_gradebook(course):
    before = _digest(course / "gradebook.db")
    with pytest.raises(CanaryError) as raised:
        grade_class(course, ASSIGNMENT, options=GradingOptions(workers=1, progress=False, overrides=BROKEN,
                                                               sandbox=bwrap_available()))
    message = str(raised.value)
    assert "could not start Python" in message, message
    assert "/nonexistent-python-home" in message, "the sandbox's stderr should name the cause"
    assert "not any learner's" in message and "the gradebook was not touched" in message
    assert _digest(course / "gradebook.db") == before
    assert not (course / "autograded").exists() and not (course / "reports").exists()
    assert not list(course.glob("grades-*.csv"))


def test_the_learner_is_never_blamed_for_a_kernel_that_did_not_start(course):
    autograde(course, ASSIGNMENT, "reference", overrides=BROKEN)   # past the canary, on purpose
    result = {r.student: r for r in results(course, ASSIGNMENT)}["reference"]
    assert "environment" in result.flags
    assert all("not a fault of your code" in message for message in result.messages.values()), result.messages


def test_check_stops_too_and_says_why(course):
    notebook = next((course / "submitted" / "reference" / ASSIGNMENT).glob("*.ipynb"))
    with pytest.raises(CanaryError, match="could not start Python"):
        check_notebook(notebook, overrides=BROKEN)


def test_a_working_environment_passes_once_per_run(course, tmp_path):
    first = check_environment(course, ASSIGNMENT)
    assert not first.failed and first.score == 90   # the written answers wait for a person
    # The same source and seed in another course folder: the verdict is reused, nothing is graded again.
    other = make_course(tmp_path / "other")
    if (course / ".grading-seed").is_file():
        (other / ".grading-seed").write_text((course / ".grading-seed").read_text())
    assert check_environment(other, ASSIGNMENT) is first


def _not_graded(*args):
    raise AssertionError("the reference was graded again")


def test_a_passing_verdict_is_kept_on_disk_for_the_next_grade_command(course, monkeypatch):
    first = check_environment(course, ASSIGNMENT)
    key = canary.verdict_key(course, ASSIGNMENT, "trusted", "{}")
    assert (course / CACHE_DIR / f"canary-{ASSIGNMENT}-{key}.json").is_file()
    # A new process has nothing in memory: it reads the verdict from disk, and grades nothing.
    monkeypatch.setattr(canary, "VERDICTS", {})
    monkeypatch.setattr(canary, "_grade_reference", _not_graded)
    again = check_environment(course, ASSIGNMENT)
    assert again is not first and again.score == first.score and not again.failed


def test_the_kept_verdict_is_for_one_course_version_engine_limits_sandbox_and_environment(course, monkeypatch):
    def key(root=course, engine="trusted", overrides="{}"):
        return canary.verdict_key(root, ASSIGNMENT, engine, overrides)

    base = key()
    assert key() == base, "the key must not change by itself"
    assert key(engine="nbgrader") != base
    assert key(overrides='{"TrustedExecute": {"memory_mb": 1024}}') != base
    assert key(overrides='{"TrustedExecute": {"sandbox": false}}') != base
    monkeypatch.setattr(canary, "_python_environment", lambda: "another interpreter\nnumpy==0.0")
    assert key() != base
    monkeypatch.undo()
    monkeypatch.setattr(canary, "_sandbox_identity", lambda: "/usr/bin/bwrap bubblewrap 0.0.1 rlimits only")
    assert key() != base
    monkeypatch.undo()
    # A new course version: one byte of the source changes.
    notebook = course / "source" / ASSIGNMENT / "softmax_regression.ipynb"
    original = notebook.read_bytes()
    try:
        notebook.write_bytes(original + b"\n")
        assert key() != base
    finally:
        notebook.write_bytes(original)
    # The course's limits in its nbgrader_config.py, and its hidden-test seed.
    config = course / "nbgrader_config.py"
    config.write_text("c.TrustedExecute.memory_mb = 1024\n")
    try:
        assert key() != base
    finally:
        config.unlink()
    seed = course / ".grading-seed"
    kept = seed.read_bytes() if seed.is_file() else None
    seed.write_text("12345")
    try:
        assert key() != base or kept == b"12345"
    finally:
        seed.unlink()
        if kept is not None:
            seed.write_bytes(kept)
    assert key() == base


def test_a_failed_verdict_is_not_kept(course):
    with pytest.raises(CanaryError):
        check_environment(course, ASSIGNMENT, overrides=BROKEN)
    key = canary.verdict_key(course, ASSIGNMENT, "trusted", json.dumps(BROKEN, sort_keys=True))
    assert not (course / CACHE_DIR / f"canary-{ASSIGNMENT}-{key}.json").exists()



def test_the_environment_part_of_the_key_names_installed_distributions_with_their_versions():
    """Read from the dist-info folders' names, where importlib.metadata finds them, without parsing them."""
    from importlib import metadata

    environment = canary._python_environment().lower()
    for name in ("numpy", "nbgrader", "nbconvert", "sqlalchemy", "ipython"):
        assert f"\n{name}-{metadata.version(name)}.dist-info".lower() in environment, name
