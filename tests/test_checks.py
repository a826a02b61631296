"""autograder.learner.checks: what every notebook test relies on when it calls learner code."""

import sys
import warnings

import numpy as np
import pytest

from autograder.learner import checks
from autograder.learner.checks import CheckFailure


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


def test_note_prints_to_stdout_not_stderr(capsys):
    checks.note("an epsilon in the denominator? It is harmless here.")
    out = capsys.readouterr()
    assert out.out == "Note: an epsilon in the denominator? It is harmless here.\n" and out.err == ""


@pytest.mark.parametrize("actual, expected", [
    (np.ones(3) - 1e-8, 1.0),                      # softmax rows with 1e-8 in the denominator
    (np.log(0.7 + 1e-8), np.log(0.7)),             # an epsilon inside a log
    (np.array([1e-7, 1 - 1e-7]), [0.0, 1.0]),      # probabilities clipped Keras-style
])
def test_off_by_epsilon_recognises_the_usual_guards(actual, expected):
    assert checks.off_by_epsilon(actual, expected)


@pytest.mark.parametrize("actual, expected", [
    (np.ones(3), 1.0),                             # exact
    (np.ones(3) + 1e-15, 1.0),                     # rounding
    (np.full(3, 0.5), 1.0),                        # a real mistake
    (np.array([np.nan, 1.0]), 1.0),                # broken, not guarded
])
def test_off_by_epsilon_rejects_exact_results_rounding_and_mistakes(actual, expected):
    assert not checks.off_by_epsilon(actual, expected)


def test_check_steps_passes_and_returns_each_relative_error(capsys):
    a = np.arange(6.0).reshape(2, 3)
    errors = checks.check_steps([("dlogits", a, a, ""), ("dA", a.T, a.T + 1e-12, "")])
    assert errors[0] == 0.0 and 0 < errors[1] < 1e-12
    assert "dlogits: relative error 0.0e+00" in capsys.readouterr().out


def test_check_steps_names_the_first_tensor_that_disagrees_without_its_values():
    good = np.array([0.25, -0.75])
    wrong = np.array([0.123456, 0.654321])
    with pytest.raises(CheckFailure) as info:
        checks.check_steps([("dlogits", good, good, ""), ("dA", wrong, good, "chain rule?"),
                            ("db", wrong, good, "never reached")])
    message = str(info.value)
    assert message.startswith("dA is the first tensor that disagrees: relative error")
    assert "chain rule?" in message and "never reached" not in message and "0.25" not in message


@pytest.mark.parametrize("yours, reason", [
    (np.zeros(3), r"shape \(3,\), expected \(2,\)"),
    (np.array([np.nan, 0.0]), "nan or inf"),
])
def test_check_steps_reports_shape_and_nan_at_the_step(yours, reason):
    with pytest.raises(CheckFailure, match="dlogits is the first tensor that disagrees: .*" + reason):
        checks.check_steps([("dlogits", yours, np.zeros(2), "")])


def test_compare_steps_reports_every_tensor_and_names_the_first_that_disagrees():
    good = np.array([0.25, -0.75])
    rows, first_wrong = checks.compare_steps([("delta3", good, good), ("delta2", np.zeros(3), good),
                                              ("Theta1_grad", np.array([np.nan, 0.0]), good),
                                              ("Theta2_grad", 2 * good, good)])
    assert first_wrong == "delta2"
    assert [(r.name, r.ok) for r in rows] == [("delta3", True), ("delta2", False), ("Theta1_grad", False),
                                              ("Theta2_grad", False)]
    assert rows[0].error == 0.0 and rows[1].error is None and rows[2].error == np.inf
    assert abs(rows[3].error - 1 / 3) < 1e-12
    table = checks.format_steps(rows).splitlines()
    assert table[0].endswith("ok") and table[1].endswith("WRONG SHAPE") and table[3].endswith("DISAGREES")
    assert "0.25" not in checks.format_steps(rows)              # errors only, never the reference values
    assert checks.compare_steps([("a", good, good)]) == ([checks.Step("a", (2,), (2,), 0.0, True)], None)
