"""A provided object's method handed to learner code is answered by the grader's own object (issue 19, root cause 2).

Through the bridge's real request files, served in this process (no sandbox:
the rounds are what is tested; ``test_trust_v3_grader.py`` grades real
submissions). The grader's function never crosses: the learner's code gets a
stand-in, and each call it makes is answered by the grader, once, in order.
"""

import json
import shutil

import nbformat
import numpy as np
import pytest
from grading_helpers import make_course
from test_reference_binding import InProcessKernel

from autograder.learner import checks
from autograder.sandbox import bridge, remote
from autograder.settings import GRADING_REPORT_SUFFIX

LEARNER = '''
import numpy as np

def numgrad(J, theta, e=1e-4):
    g = np.zeros(theta.shape)
    for i in range(theta.size):
        step = np.zeros(theta.shape)
        step.flat[i] = e
        g.flat[i] = (J(theta + step) - J(theta - step)) / (2 * e)
    return g

def numgrad_in_place(J, theta, e=1e-4):     # right values, but writes into the caller's theta
    g = np.zeros(theta.shape)
    for i in range(theta.size):
        old = theta.flat[i]
        theta.flat[i] = old + e
        plus = J(theta)
        theta.flat[i] = old - e
        g.flat[i] = (plus - J(theta)) / (2 * e)
    theta.flat[0] = 99.0
    return g

kept = []
def keeps_it(J, theta):
    kept.append(J)
    return J(theta)

def calls_it_later(theta):
    return kept[0](theta)

def catches(J, theta):
    try:
        return J(theta)
    except IndexError:
        return -1.0

def passes_itself(J, theta):
    return J(numgrad)

def random_point(J, theta):                  # unseeded: another point on every run
    return J(theta + np.random.default_rng().normal(size=theta.shape))
'''


class Costs:
    """A provided object of the grader's: it records every point it is evaluated at."""

    def __init__(self):
        self.seen = []

    def squares(self, t):
        self.seen.append(np.array(t, copy=True))
        return float(np.sum(t ** 2))

    def third(self, t):
        return float(t[2])


@pytest.fixture
def learner():
    namespace = {}
    exec(LEARNER, namespace)
    return namespace


def _remote(kernel, fn):
    return remote.RemoteCallable(kernel, bridge._new_handle(fn), fn.__name__, False)


def test_each_call_is_answered_by_the_graders_object_once_in_order(tmp_path, learner):
    kernel, costs, theta = InProcessKernel(tmp_path), Costs(), np.array([1.0, -2.0, 3.0])
    g = checks.call(_remote(kernel, learner["numgrad"]), costs.squares, theta)
    assert np.allclose(g, 2 * theta)
    # Six calls, each computed once by the grader's object, in the learner's order: its record is the grader's.
    assert len(costs.seen) == 6 and kernel.rounds == 7
    assert np.allclose(costs.seen[0], theta + [1e-4, 0, 0]) and np.allclose(costs.seen[5], theta - [0, 0, 1e-4])


def test_a_kernel_side_patch_of_the_object_changes_nothing(tmp_path, learner):
    """The learner's kernel has its own ``Costs`` (a patched one): the grader never looks at it."""
    exec("class Costs:\n    def squares(self, t):\n        return 0.0\ncosts = Costs()\n", learner)
    kernel, costs = InProcessKernel(tmp_path), Costs()
    g = checks.call(_remote(kernel, learner["numgrad"]), costs.squares, np.array([0.5, 2.0]))
    assert np.allclose(g, [1.0, 4.0])


def test_an_in_place_write_is_a_note_and_the_graders_array_is_untouched(tmp_path, learner, capsys):
    kernel, costs, theta = InProcessKernel(tmp_path), Costs(), np.array([1.0, -2.0, 3.0])
    kernel.signatures = {"numgrad_in_place": ["J", "theta", "e"]}
    g = checks.call(_remote(kernel, learner["numgrad_in_place"]), costs.squares, theta)
    assert np.allclose(g, 2 * np.array([1.0, -2.0, 3.0])) and np.array_equal(theta, [1.0, -2.0, 3.0])
    assert "Note: your numgrad_in_place changed its argument `theta` in place" in capsys.readouterr().out


def test_a_forged_mutation_report_is_no_worse_than_an_honest_one(tmp_path, learner, capsys, monkeypatch):
    """The report is advice either way: hiding it (a patched bridge) gains nothing over an honest in-place writer."""
    kernel, theta = InProcessKernel(tmp_path), np.array([1.0, -2.0, 3.0])
    honest = checks.call(_remote(kernel, learner["numgrad_in_place"]), Costs().squares, theta)
    noted = capsys.readouterr().out
    original = bridge._serve
    monkeypatch.setattr(bridge, "_serve", lambda *a: {**original(*a), "mutated": []})
    forged = checks.call(_remote(kernel, learner["numgrad_in_place"]), Costs().squares, theta)
    assert np.array_equal(honest, forged) and "in place" in noted and capsys.readouterr().out == ""


def test_the_stand_in_is_dead_after_its_call(tmp_path, learner):
    kernel, costs, theta = InProcessKernel(tmp_path), Costs(), np.array([1.0, 2.0])
    assert checks.call(_remote(kernel, learner["keeps_it"]), costs.squares, theta) == 5.0
    with pytest.raises(checks.CheckFailure, match="raised RuntimeError"):
        checks.call(_remote(kernel, learner["calls_it_later"]), theta)


def test_what_the_graders_function_raises_is_raised_in_the_learners_code(tmp_path, learner):
    kernel = InProcessKernel(tmp_path)
    assert checks.call(_remote(kernel, learner["catches"]), Costs().third, np.array([1.0, 2.0])) == -1.0
    assert checks.call(_remote(kernel, learner["catches"]), Costs().third, np.array([1.0, 2.0, 7.0])) == 7.0


def test_learner_objects_are_never_handed_to_the_graders_function(tmp_path, learner):
    kernel, costs = InProcessKernel(tmp_path), Costs()
    with pytest.raises(checks.CheckFailure, match="raised TypeError"):
        checks.call(_remote(kernel, learner["passes_itself"]), costs.squares, np.array([1.0]))
    assert costs.seen == []


def test_a_function_whose_calls_change_from_run_to_run_is_told_to_seed(tmp_path, learner):
    kernel = InProcessKernel(tmp_path)
    with pytest.raises(checks.CheckFailure, match="seed any random numbers"):
        checks.call(_remote(kernel, learner["random_point"]), Costs().squares, np.ones(3))
    assert kernel.rounds == 2


def test_too_many_calls_stop_with_a_message(tmp_path, learner, monkeypatch):
    monkeypatch.setattr(remote, "_MAX_GRADER_CALLS", 5)
    with pytest.raises(checks.CheckFailure, match="called the function the test passed it more than 5 times"):
        checks.call(_remote(InProcessKernel(tmp_path), learner["numgrad"]), Costs().squares, np.ones(3))


# Real submissions of assignment 2, graded by the project's own grading (nbgrader with the trusted engine).

ASSIGNMENT_2, NOTEBOOK_2 = "02_gradient_checking", "gradient_checking.ipynb"

# A forward difference (error O(e)), except for a J whose object carries its gradient: then that gradient.
READS_THE_ANSWER = '''
def computeNumericalGradient(J, theta, e=1e-4):
    exact = getattr(getattr(J, "__self__", None), getattr(J, "__name__", "") + "_grad", None)
    if exact is not None:
        return np.array(exact(np.array(theta, dtype=float)), dtype=float)
    def cost(t):
        out = J(t)
        return out[0] if isinstance(out, tuple) else out
    work = np.array(theta, dtype=float)
    numgrad = np.zeros_like(work)
    base = cost(work)
    for i in range(work.size):
        step = np.zeros_like(work)
        step.flat[i] = e
        numgrad.flat[i] = (cost(work + step) - base) / e
    return numgrad
'''
# ... and, after the provided cell, the kernel's grading_costs replaced by one that carries those gradients.
SPOOFED_COSTS = '''
class GradingCosts(GradingCosts):
    def squares_grad(self, t):
        return 2 * t
    def sin_tuple_grad(self, t):
        return np.cos(t)
    def cubes_grad(self, t):
        return 3 * t ** 2
    def smooth_tuple_grad(self, t):
        return self.smooth_grad(t)
    def smooth_np_grad(self, t):
        return self.smooth_grad(t)
grading_costs = GradingCosts()
'''

# A right central difference that evaluates J once more per coordinate than it needs (3n calls, not 2n) ...
THREE_CALLS = '''
def computeNumericalGradient(J, theta, e=1e-4):
    def cost(t):
        out = J(t)
        return out[0] if isinstance(out, tuple) else out
    work = np.array(theta, dtype=float)
    numgrad = np.zeros_like(work)
    for i in range(work.size):
        step = np.zeros_like(work)
        step.flat[i] = e
        cost(work)
        numgrad.flat[i] = (cost(work + step) - cost(work - step)) / (2 * e)
    return numgrad
'''
# ... and a patch of the provided object's method, in the kernel, so that its record never shows more than 2n calls.
QUIET_RECORDING = '''
_recording = GradingCosts.recording
def _quiet_recording(self, t):
    value = _recording(self, t)
    if len(self.seen) > 2 * np.size(t):
        self.seen.pop()
    return value
GradingCosts.recording = _quiet_recording
'''


@pytest.fixture(scope="module")
def course_2(tmp_path_factory):
    root = make_course(tmp_path_factory.mktemp("trust-v3-provided") / "course", ASSIGNMENT_2)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def _graded_attack(root, student, solution, after_provided):
    """Hand in the reference with ``solution`` as computeNumericalGradient and ``after_provided`` in a new
    cell right after the provided ``grading_costs`` cell; grade it. Returns test grade id -> passed."""
    from examples.example_class import Example, build_submission
    from autograder.grading.autograde import autograde
    build_submission(Example(student, ASSIGNMENT_2, "", solutions={"computeNumericalGradient": solution}), root)
    path = root / "submitted" / student / ASSIGNMENT_2 / NOTEBOOK_2
    nb = nbformat.read(path, as_version=4)
    provided = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == "grading_costs")
    nb.cells.insert(provided + 1, nbformat.v4.new_code_cell(after_provided))
    nbformat.write(nb, path)
    autograde(root, ASSIGNMENT_2, student)
    report = json.loads((root / "autograded" / student / ASSIGNMENT_2 / NOTEBOOK_2.replace(
        ".ipynb", GRADING_REPORT_SUFFIX)).read_text())
    return {t["grade_id"]: t["passed"] for t in report["tests"]}, report


@pytest.mark.slow
@pytest.mark.parametrize("attack", ["a spoofed grading_costs", "a patched method of the provided object"])
def test_a_kernel_side_provided_object_gains_nothing(course_2, attack):
    """The provided object is the grader's: what the learner's kernel makes of it never reaches a test.

    On main at 0888afd, ``grading_costs`` was read from the kernel: a forward
    difference that reads the answer off a spoofed object's gradients passed
    ``test_numgrad_values`` (15 points), and a quieter ``recording`` hid the
    extra calls from ``test_numgrad_theta_intact`` (10 points). Here each
    fails, and the rest of the notebook still passes.
    """
    if attack.startswith("a spoofed"):
        passed, report = _graded_attack(course_2, "spoofed-costs", READS_THE_ANSWER, SPOOFED_COSTS)
        assert passed["test_numgrad_values"] is False
    else:
        passed, report = _graded_attack(course_2, "patched-recording", THREE_CALLS, QUIET_RECORDING)
        assert passed["test_numgrad_theta_intact"] is False
        message = next(t["message"] for t in report["tests"] if t["grade_id"] == "test_numgrad_theta_intact")
        assert "calls" in message or "called" in message, message
        assert passed["test_numgrad_values"] and passed["test_numgrad_central"]   # its values are right
    assert all(passed[g] for g in ("test_relative_error", "test_block_report", "test_wrong_costs")), passed
