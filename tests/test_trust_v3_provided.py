"""A provided object's method handed to learner code is answered by the grader's own object (issue 19, root cause 2).

Through the bridge's real request files, served in this process (no sandbox:
the rounds are what is tested; ``test_trust_v3_grader.py`` grades real
submissions). The grader's function never crosses: the learner's code gets a
stand-in, and each call it makes is answered by the grader, once, in order.
"""

import numpy as np
import pytest
from test_reference_binding import InProcessKernel

from autograder.learner import checks
from autograder.sandbox import bridge, remote

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


def test_too_many_calls_stop_with_a_message(tmp_path, learner, monkeypatch):
    monkeypatch.setattr(remote, "_MAX_GRADER_CALLS", 5)
    with pytest.raises(checks.CheckFailure, match="called the function the test passed it more than 5 times"):
        checks.call(_remote(InProcessKernel(tmp_path), learner["numgrad"]), Costs().squares, np.ones(3))
