"""A graded function is judged with the reference versions of the functions it calls.

``checks.call`` binds ``REFERENCE_HELPERS`` of the test's namespace while the
learner's function runs: in the same process by swapping names (a notebook run
top to bottom), and across the sandbox through the bridge (``autograder.bridge``
answers each bound call from a table the grader fills, ``autograder.remote``).
Both paths are run here, the bridge one through its real request files.
"""

import io
import json

import numpy as np
import pytest

from autograder.learner import checks
from autograder.sandbox import bridge, remote

LEARNER = '''
import numpy as np

def dlogits(p, y):                      # wrong: B times too large
    d = p.copy()
    d[np.arange(len(y)), y] -= 1
    return d

def grad(p, y, x):                      # right, through the learner's own dlogits
    return dlogits(p, y).T @ x

def grad_twice(p, y, x):                # calls the helper on two different inputs
    return dlogits(p, y).T @ x + dlogits(2 * p, y).T @ x

def grad_catches_everything(p, y, x):
    try:
        return dlogits(p, y).T @ x
    except:                              # noqa: E722, a learner's bare except
        return np.zeros((p.shape[1], x.shape[1]))
'''


def reference_dlogits(p, y):
    d = p.copy()
    d[np.arange(len(y)), y] -= 1
    return d / len(y)


class InProcessKernel:
    """The bridge's own request/answer files, served in this process instead of a sandbox."""

    def __init__(self, tmp_path):
        self.prefix = str(tmp_path / "request")
        self.rounds = 0

    def ask(self, request, arrays):
        self.rounds += 1
        with open(self.prefix + ".json", "w") as f:
            json.dump(request, f)
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        with open(self.prefix + ".npz", "wb") as f:
            f.write(buffer.getvalue())
        sink = {}
        bridge.handle(self.prefix, sink)
        out = dict(np.load(io.BytesIO(sink["npz"]))) if sink["npz"] else {}
        return json.loads(sink["json"]), remote._Decoder(self, out)


@pytest.fixture
def learner():
    namespace = {}
    exec(LEARNER, namespace)
    return namespace


def _inputs():
    p = np.array([[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]])
    return p, np.array([2, 0]), np.array([[1.0, 2.0], [3.0, -1.0]])


def in_test_cell(references, fn, *args):
    """``checks.call(fn, *args)`` run as a test cell runs it: at the top level of a namespace."""
    cell = {"checks": checks, "fn": fn, "args": args}
    if references is not None:
        cell["REFERENCE_HELPERS"] = references
    exec("result = checks.call(fn, *args)", cell)
    return cell["result"]


def _remote(kernel, fn):
    return remote.RemoteCallable(kernel, bridge._new_handle(fn), fn.__name__, False)


@pytest.mark.parametrize("where", ["same process", "through the bridge"])
def test_the_helper_called_is_the_reference_and_the_learners_name_comes_back(tmp_path, learner, where):
    p, y, x = _inputs()
    references = {"dlogits": reference_dlogits}
    fn = learner["grad"] if where == "same process" else _remote(InProcessKernel(tmp_path), learner["grad"])
    assert np.allclose(in_test_cell(references, fn, p, y, x), reference_dlogits(p, y).T @ x)
    assert learner["dlogits"].__name__ == "dlogits" and learner["dlogits"](p, y)[0, 0] == p[0, 0]


def test_without_references_the_learners_helper_runs(tmp_path, learner):
    p, y, x = _inputs()
    fn = _remote(InProcessKernel(tmp_path), learner["grad"])
    assert np.allclose(in_test_cell(None, fn, p, y, x), learner["dlogits"](p, y).T @ x)


def test_each_new_call_costs_one_round_trip_and_is_answered_for_its_own_arguments(tmp_path, learner):
    p, y, x = _inputs()
    references = {"dlogits": reference_dlogits}
    kernel = InProcessKernel(tmp_path)
    result = in_test_cell(references, _remote(kernel, learner["grad_twice"]), p, y, x)
    assert np.allclose(result, reference_dlogits(p, y).T @ x + reference_dlogits(2 * p, y).T @ x)
    assert kernel.rounds == 3


def test_a_bare_except_in_learner_code_cannot_keep_the_reference_out(tmp_path, learner):
    p, y, x = _inputs()
    references = {"dlogits": reference_dlogits}
    result = in_test_cell(references, _remote(InProcessKernel(tmp_path), learner["grad_catches_everything"]), p, y, x)
    assert np.allclose(result, reference_dlogits(p, y).T @ x)


def test_arguments_the_reference_cannot_take_go_to_the_learners_own_function(tmp_path, learner):
    p, y, x = _inputs()

    def picky(p, y):
        raise ValueError("not these")

    references = {"dlogits": picky}
    result = in_test_cell(references, _remote(InProcessKernel(tmp_path), learner["grad"]), p, y, x)
    assert np.allclose(result, learner["dlogits"](p, y).T @ x)


def test_the_function_under_test_is_never_replaced_by_its_own_reference(tmp_path, learner):
    p, y, _ = _inputs()
    references = {"dlogits": reference_dlogits}
    assert np.allclose(in_test_cell(references, _remote(InProcessKernel(tmp_path), learner["dlogits"]), p, y),
                       learner["dlogits"](p, y))
    assert np.allclose(in_test_cell(references, learner["dlogits"], p, y), learner["dlogits"](p, y))
