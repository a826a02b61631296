"""autograder.checks: what every notebook test relies on when it calls learner code."""

import sys
import warnings

import numpy as np
import pytest

from autograder import checks
from autograder.checks import CheckFailure


def test_call_returns_plain_float_copies():
    source = np.arange(6, dtype=np.int32).reshape(2, 3)
    out = checks.call(lambda x: x, source)
    assert type(out) is np.ndarray and out.dtype == np.float64
    out[0, 0] = 99
    assert source[0, 0] == 0, "the result must be a copy, not the learner's array"


def test_call_converts_scalars_tuples_and_lists():
    assert checks.call(lambda: np.float32(1.5)) == 1.5 and type(checks.call(lambda: np.float32(1.5))) is float
    assert type(checks.call(lambda: np.array(2.0))) is float
    cost, grad = checks.call(lambda: (np.float64(0.25), np.ones(3)))
    assert cost == 0.25 and np.array_equal(grad, np.ones(3))
    losses = checks.call(lambda: [1.0, np.float64(2.0), 3])
    assert np.array_equal(losses, [1.0, 2.0, 3.0])
    assert checks.call(lambda: None) is None


def test_call_detects_an_argument_changed_in_place():
    def grad_in_place(p, y):
        grad = p
        grad[range(len(y)), y] -= 1
        return grad

    with pytest.raises(CheckFailure, match=r"grad_in_place changed its argument `p` in place.*p.copy\(\)"):
        checks.call(grad_in_place, np.full((2, 3), 0.5), np.array([0, 1]))


def test_call_accepts_functions_that_leave_inputs_alone():
    p = np.full((2, 3), 0.5)
    checks.call(lambda p: p - 1, p)
    assert np.all(p == 0.5)


def test_call_reports_missing_implementation():
    def np_softmax(l):
        raise NotImplementedError()

    with pytest.raises(CheckFailure, match="np_softmax is not implemented yet"):
        checks.call(np_softmax, np.zeros((2, 2)))


def test_call_adds_input_shapes_to_learner_errors():
    def np_linear(x, a):
        return np.dot(x, a)

    with pytest.raises(ValueError) as info:
        checks.call(np_linear, np.ones((2, 3)), np.ones((4, 3)))
    assert "called with x=array(2, 3), a=array(4, 3)" in "".join(info.value.__notes__)


class LiesAboutEquality:
    def __eq__(self, other):
        return True

    def __array__(self, dtype=None, copy=None):
        return np.zeros(3)


class SneakyArray(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(self), dtype=bool)


@pytest.mark.parametrize("result, reason", [
    (LiesAboutEquality(), "returned a LiesAboutEquality"),
    (np.zeros(3).view(SneakyArray), "subclass of ndarray"),
    (np.array(["a"]), "dtype <U1"),
    (np.zeros(2, dtype=complex), "dtype complex128"),
    ({"cost": 1.0}, "returned a dict"),
    ([np.zeros(2), np.zeros(3)], "arrays of different shapes"),
])
def test_call_rejects_results_that_are_not_plain_numbers(result, reason):
    with pytest.raises(CheckFailure, match=reason):
        checks.call(lambda: result)


def test_call_rejects_a_float_subclass():
    class AlwaysClose(float):
        def __sub__(self, other):
            return 0.0

    with pytest.raises(CheckFailure):
        checks.call(lambda: AlwaysClose(3.0))


def test_call_returns_instances_of_classes():
    class Model:
        def __init__(self, k):
            self.k = k

    assert checks.call(Model, 3).k == 3


def test_call_keeps_learner_stderr_out_of_the_test_cell(capsys):
    def noisy(x):
        print("progress 50%", file=sys.stderr)
        warnings.warn("overflow somewhere", RuntimeWarning)
        return x

    checks.call(noisy, np.ones(2))
    assert capsys.readouterr().err == ""


def test_call_refuses_a_value_in_place_of_a_function():
    with pytest.raises(CheckFailure, match="is not a function"):
        checks.call(np.zeros(3))


def test_expect_close_reports_the_difference_but_never_the_expected_values():
    with pytest.raises(CheckFailure) as info:
        checks.expect_close(np.array([0.5, 0.5]), np.array([0.123456, 0.876543]), "np_softmax(l)", "hint")
    message = str(info.value)
    assert "off by up to 0.377" in message and "hint" in message
    assert "0.1234" not in message and "0.8765" not in message


def test_expect_close_checks_shape_and_finiteness():
    with pytest.raises(CheckFailure, match=r"shape \(3,\), expected \(2,\)"):
        checks.expect_close(np.zeros(3), np.zeros(2), "x")
    with pytest.raises(CheckFailure, match="1 entries that are nan or inf"):
        checks.expect_close(np.array([np.nan, 0.0]), np.zeros(2), "x")
    checks.expect_close(np.array([1.0, 2.0]), [1.0, 2.0 + 1e-12], "x")


def test_expect_shape_and_expect():
    checks.expect_shape(np.zeros((2, 3)), (2, 3), "l")
    with pytest.raises(CheckFailure, match=r"l has shape \(3, 2\), expected \(2, 3\)\. transposed\?"):
        checks.expect_shape(np.zeros((3, 2)), (2, 3), "l", "transposed?")
    with pytest.raises(CheckFailure, match="not a float"):
        checks.expect_shape(1.0, (2, 3), "l")
    with pytest.raises(CheckFailure, match="boom"):
        checks.expect(False, "boom")
    checks.expect(True, "never")


def test_relative_error_is_zero_for_zeros_and_symmetric():
    assert checks.relative_error(np.zeros(4), np.zeros(4)) == 0.0
    a, b = np.array([1.0, 2.0]), np.array([1.0, 2.2])
    assert checks.relative_error(a, b) == checks.relative_error(b, a)
    assert checks.relative_error(a, -a) == 1.0


def test_rng_is_reproducible_per_tag_and_follows_the_seed(monkeypatch):
    assert np.array_equal(checks.rng("a").random(3), checks.rng("a").random(3))
    assert not np.array_equal(checks.rng("a").random(3), checks.rng("b").random(3))
    before = checks.rng("a").random(3)
    monkeypatch.setenv("NN_GRADING_SEED", "7")
    assert not np.array_equal(before, checks.rng("a").random(3))
