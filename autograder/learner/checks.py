"""The one place through which the notebooks' tests call learners' code.

Every test cell, visible or hidden, calls a learner's function as
``checks.call(np_softmax, logits)`` and judges the result with the
``expect*`` helpers. Keeping both halves here means the grading pipeline can
later run the judging outside the learner's kernel without rewriting tests.

``call`` guarantees three things to the test that uses it:

* the learner's function did not modify its array arguments (every graded
  function of the course must leave its inputs alone);
* the result is plain data (float64 ``ndarray``, ``float``, ``None`` or
  tuples of those), never an object whose comparisons the learner controls;
* a missing implementation or a crash is reported in words, with the shapes
  of the inputs the test used;
* what the learner's code writes to stderr (progress bars, warnings) does not
  fail the test by itself: nbgrader would otherwise score it as an error;
* a bug is charged once, where it is: when the test cell's namespace holds
  ``REFERENCE_HELPERS`` (a dict set in a hidden block, name -> the grader's
  reference function, in the order the notebook builds them), the learner's
  function runs with the graded names before its own bound to their references, so ``np_cross_entropy_grad`` is judged with
  a correct ``np_cross_entropy_dlogits`` whatever the learner's one does.

A failed expectation raises :class:`CheckFailure`, an ``AssertionError``, which
nbgrader counts as a failed test.
"""

import contextlib
import inspect
import io
import os
import sys
import zlib
from typing import NamedTuple, Optional

import numpy as np

__all__ = [
    "CheckFailure", "Step", "call", "check_steps", "compare_steps", "expect", "expect_close", "expect_finite",
    "expect_shape", "fail", "format_steps", "note", "off_by_epsilon", "relative_error", "rng",
]


class CheckFailure(AssertionError):
    """A test found something wrong; the message is written for the learner."""


def fail(message):
    """Fail the current test with ``message``, addressed to the learner."""
    raise CheckFailure(message)


def expect(condition, message):
    """Fail with ``message`` unless ``condition`` is true."""
    if not condition:
        fail(message)


def rng(tag=""):
    """A seeded random generator for test inputs.

    The seed mixes ``$NN_GRADING_SEED`` (default 0) with ``tag``, so that each
    test draws its own reproducible inputs and a grader can change all of them
    at once by setting the variable.
    """
    base = int(os.environ.get("NN_GRADING_SEED", "0"))
    return np.random.default_rng([base, zlib.crc32(tag.encode())])


def relative_error(a, b):
    """``||a - b|| / max(||a|| + ||b||, 1e-12)``: 0 for identical inputs, never nan.

    Parameters
    ----------
    a, b : array_like
        Arrays of the same shape.

    Returns
    -------
    float
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-12))


def shape_text(value):
    """``array(2, 3)`` for arrays, the type name otherwise: how messages describe inputs."""
    if isinstance(value, np.ndarray):
        return f"array{value.shape}"
    return type(value).__name__


def not_implemented_message(name):
    return f"{name} is not implemented yet: replace `raise NotImplementedError()` with your code."


def _leave_inputs_alone(label):
    return (f"Graded functions must leave their inputs alone: work on a copy (e.g. `{label}.copy()`), or use "
            "operations that return new arrays instead of `-=`, `+=` or item assignment.")


def mutated_message(name, label):
    """The failure a test in the learner's own notebook gives a function that wrote into an argument."""
    return f"{name} changed its argument `{label}` in place. " + _leave_inputs_alone(label)


def mutated_note(name, label):
    """The grader's note for the same write: reported from inside the learner's kernel, so it costs no points.

    The grader cannot verify what the learner's own process says about its
    copies of the arguments, and its own arrays are never sent, so they cannot
    change; the learner is still told, as the notebook's own test would.
    """
    return (f"your {name} changed its argument `{label}` in place. The grader works on its own copies, so this "
            "costs no points here; your notebook's own test fails it, because a caller that reuses the array "
            "finds it changed. " + _leave_inputs_alone(label))


def _labelled_arguments(fn, args, kwargs):
    """(name, value) pairs for the call, with the parameter names when known."""
    try:
        bound = inspect.signature(fn).bind(*args, **kwargs)
        return list(bound.arguments.items())
    except (TypeError, ValueError):
        labelled = [(f"argument {i + 1}", a) for i, a in enumerate(args)]
        return labelled + list(kwargs.items())


def _function_name(fn):
    if isinstance(fn, Delegated):
        return fn.function_name()
    return getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or repr(fn)


def plain(value, name):
    """Copy ``value`` into plain data the tests can trust, or fail saying why.

    Used on every result of :func:`call`, in the learner's kernel and in the grader.
    """
    if value is None:
        return None
    if type(value) in (bool, int, float) or (
            isinstance(value, (np.bool_, np.integer, np.floating)) and type(value).__module__ == "numpy"):
        return float(value)
    if type(value) is np.ndarray:  # exact type: subclasses may redefine comparisons
        if value.dtype.kind not in "biuf":
            fail(f"{name} returned an array of dtype {value.dtype}; expected real numbers.")
        copied = np.array(value, dtype=np.float64, copy=True)
        return float(copied) if copied.ndim == 0 else copied
    if type(value) is tuple:
        return tuple(plain(item, name) for item in value)
    if type(value) is list:
        items = [plain(item, name) for item in value]
        if any(isinstance(item, tuple) or item is None for item in items):
            fail(f"{name} returned a list of mixed things; expected a list of numbers or arrays.")
        try:
            return np.array(items, dtype=np.float64)
        except ValueError:
            fail(f"{name} returned a list of arrays of different shapes.")
    if isinstance(value, np.ndarray):
        fail(f"{name} returned a {type(value).__name__}, a subclass of ndarray; "
             "return a plain numpy array (np.asarray(...)).")
    fail(f"{name} returned a {type(value).__name__}; expected a numpy array or a number.")


def _references_for(fn, namespace):
    """The reference helpers to bind while ``fn`` runs.

    ``REFERENCE_HELPERS`` lists the graded functions in the order the notebook
    builds them. A function listed there gets the references of the functions
    before it, which it may call (the chain rule through ``dlogits``), and never
    its own or a later one's: a ``dlogits`` that called the reference gradient
    with ``x = I`` would be handed the answer. A function not listed (a method
    of the model) gets them all.
    """
    references = namespace.get("REFERENCE_HELPERS") if isinstance(namespace, dict) else None
    if not isinstance(references, dict):
        return {}
    names = list(references)
    own = _function_name(fn).rsplit(".", 1)[-1]
    if own in names:
        names = names[:names.index(own)]
    return {name: references[name] for name in names}


def _globals_of(fn):
    """The namespace in which ``fn`` looks up the names it calls (a notebook's, for its functions)."""
    target = getattr(fn, "__func__", fn)
    found = getattr(target, "__globals__", None)
    if found is None:
        module = sys.modules.get(getattr(fn, "__module__", None) or "")
        found = vars(module) if module is not None else None
    return found


@contextlib.contextmanager
def _bound(fn, references):
    """Bind ``references`` in ``fn``'s namespace while it runs (in the same process; the
    grader does it across the sandbox, see ``autograder.sandbox.remote``), then restore every name."""
    namespace = _globals_of(fn) if references else None
    if not namespace:
        yield
        return
    with swapped_names(namespace, references):
        yield


@contextlib.contextmanager
def swapped_names(namespace, replacements):
    """Set ``replacements`` in the dict ``namespace`` for the ``with`` block, then put every name back
    as it was (removed again if it was not there)."""
    absent = object()
    saved = {name: namespace.get(name, absent) for name in replacements}
    namespace.update(replacements)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is absent:
                namespace.pop(name, None)
            else:
                namespace[name] = value


class Delegated:
    """A learner's function whose call happens elsewhere and is checked there.

    The grader hands tests a subclass (``autograder.sandbox.remote.RemoteCallable``)
    for each function of a sandboxed notebook: :func:`call` then leaves the call,
    and its guarantees, to :meth:`remote_call`. Declared here so that this module,
    which the student pack ships on its own, imports nothing of the grader's.
    """

    def remote_call(self, args, kwargs, references=None):
        raise NotImplementedError

    def function_name(self):
        """The learner's name for the function (``np_softmax``, ``NumpyLogisticRegression.train``)."""
        raise NotImplementedError


def call(fn, *args, **kwargs):
    """Call a learner's function (or class) the way every test must.

    Parameters
    ----------
    fn : callable
        The learner's function, method or class.
    *args, **kwargs
        Passed on unchanged.

    Returns
    -------
    object
        For a class, the new instance. Otherwise the result as plain data:
        float64 arrays, floats, ``None``, tuples of those; a list of numbers
        becomes a float64 array.

    Raises
    ------
    CheckFailure
        If ``fn`` is not implemented, changed an array argument in place, or
        returned something that is not plain numbers.
    """
    references = _references_for(fn, sys._getframe(1).f_globals)
    if isinstance(fn, Delegated):
        # Grading outside the kernel: the call happens there, the checks here.
        return fn.remote_call(args, kwargs, references)
    name = _function_name(fn)
    if not callable(fn):
        fail(f"{name} is not a function: did you overwrite it with a value?")
    labelled = _labelled_arguments(fn, args, kwargs)
    originals = [(label, value, value.copy()) for label, value in labelled
                 if isinstance(value, np.ndarray)]
    try:
        # nbgrader scores any stderr output in a test cell as a failure, so a
        # progress bar or a harmless warning inside the learner's code would
        # cost points; only the checks decide.
        with contextlib.redirect_stderr(io.StringIO()), _bound(fn, references):
            result = fn(*args, **kwargs)
    except NotImplementedError:
        fail(not_implemented_message(name))
    except Exception as err:
        shapes = ", ".join(f"{label}={shape_text(value)}" for label, value in labelled)
        err.add_note(f"(raised inside your {name}, which the test called with {shapes})")
        raise
    for label, value, original in originals:
        if value.shape != original.shape or not np.array_equal(value, original, equal_nan=True):
            fail(mutated_message(name, label))
    if isinstance(fn, type):
        return result
    return plain(result, name)


def expect_shape(value, shape, what, hint=""):
    """Fail unless ``value`` is an array of exactly ``shape``.

    ``what`` names the value for the learner ("the output of np_linear");
    ``hint`` is appended to the message and should name the likely mistake.
    """
    if not isinstance(value, np.ndarray):
        fail(f"{what} should be an array of shape {shape}, not a {type(value).__name__}. {hint}".strip())
    if value.shape != tuple(shape):
        fail(f"{what} has shape {value.shape}, expected {tuple(shape)}. {hint}".strip())


def expect_finite(value, what, hint=""):
    """Fail if ``value`` holds nan or inf, saying how many entries do."""
    bad = ~np.isfinite(np.asarray(value, dtype=np.float64))
    if bad.any():
        fail(f"{what} has {int(bad.sum())} entries that are nan or inf. {hint}".strip())


def expect_close(actual, expected, what, hint="", rtol=1e-7, atol=1e-10):
    """Fail unless ``actual`` matches ``expected`` within tolerances.

    The message gives the shape and the largest difference but never the
    expected values themselves, so hidden tests do not leak their answers.
    """
    expected = np.asarray(expected, dtype=np.float64)
    if np.shape(actual) != expected.shape:
        fail(f"{what} has shape {np.shape(actual)}, expected {expected.shape}. {hint}".strip())
    actual = np.asarray(actual, dtype=np.float64)
    expect_finite(actual, what, hint)
    if not np.allclose(actual, expected, rtol=rtol, atol=atol):
        fail(f"{what} {_worst_entry(actual, expected, rtol, atol)}. {hint}".strip())


def _worst_entry(actual, expected, rtol, atol):
    """Where ``actual`` fails ``allclose`` worst, relative to that entry's own tolerance, and by how much.

    The entry that failed, not the largest difference: with a relative
    tolerance a large entry may differ by more than a small one that fails.
    """
    difference = np.abs(actual - expected)
    excess = difference / (atol + rtol * np.abs(expected))
    index = np.unravel_index(int(np.argmax(excess)), np.shape(excess)) if np.ndim(excess) else ()
    where = f" at entry {list(int(i) for i in index)}" if index else ""
    return f"is off by {float(difference[index]):.3g}{where}"


def note(message):
    """Tell the learner something that does not fail the test.

    Printed to stdout, which nbgrader never scores as an error (stderr it would).
    """
    print(f"Note: {message}")


def off_by_epsilon(actual, expected, rounding=1e-12, epsilon=1e-6):
    """True when ``actual`` is off by more than rounding but by no more than a numeric guard.

    The usual guards (an epsilon up to 1e-8 in a denominator or inside a log,
    probabilities clipped to [1e-7, 1 - 1e-7]) move a result by a few times
    1e-8 to 1e-7: far above float64 rounding, far below any real mistake. Tests
    accept such results and use this to tell the learner why they are not exact.

    Parameters
    ----------
    actual, expected : array_like
        Broadcastable to one shape.
    rounding, epsilon : float
        The band, in absolute terms: ``rounding < max |actual - expected| <= epsilon``.

    Returns
    -------
    bool
    """
    difference = np.abs(np.asarray(actual, dtype=np.float64) - np.asarray(expected, dtype=np.float64))
    if not np.all(np.isfinite(difference)):
        return False
    worst = float(np.max(difference, initial=0.0))
    return rounding < worst <= epsilon


class Step(NamedTuple):
    """One tensor of a step-by-step check, compared with its reference."""

    name: str
    """How the learner knows the tensor (``"dlogits"``, ``"delta2"``)."""
    shape: tuple
    """The shape of the learner's tensor."""
    expected_shape: tuple
    """The shape of the reference."""
    error: Optional[float]
    """Relative error (see :func:`relative_error`); ``None`` when the shapes
    differ, ``inf`` when the learner's tensor holds nan or inf."""
    ok: bool
    """Whether the tensor agrees: same shape, finite, error below the threshold."""


def compare_steps(steps, threshold=1e-7):
    """Compare intermediate tensors with their references, in order, and name the first that disagrees.

    The one mechanism behind every "one tensor at a time" check of the course
    (assignment 1's dlogits and dA, assignment 3's deltas and gradients): the
    first tensor that disagrees is where the mistake is, since every later
    tensor is computed from it.

    Parameters
    ----------
    steps : sequence of (name, yours, reference)
        ``yours`` and ``reference`` are array_like; ``reference`` is finite.
    threshold : float
        A tensor agrees when its relative error is below this.

    Returns
    -------
    rows : list of Step
        One per step, all of them (a table can show every tensor).
    first_wrong : str or None
        The name of the first step that disagrees, ``None`` when all agree.
    """
    rows, first_wrong = [], None
    for name, yours, reference in steps:
        yours = np.asarray(yours, dtype=np.float64)
        reference = np.asarray(reference, dtype=np.float64)
        if yours.shape != reference.shape:
            error = None
        elif not np.all(np.isfinite(yours)):
            error = float("inf")
        else:
            error = relative_error(yours, reference)
        ok = error is not None and error < threshold
        rows.append(Step(name, yours.shape, reference.shape, error, ok))
        if first_wrong is None and not ok:
            first_wrong = name
    return rows, first_wrong


def format_steps(rows):
    """The rows of :func:`compare_steps` as a table, one tensor per line, never the values."""
    lines = []
    for row in rows:
        if row.error is None:
            lines.append(f"{row.name:12s} shape {row.shape}, expected {row.expected_shape}   WRONG SHAPE")
        else:
            lines.append(f"{row.name:12s} shape {str(row.shape):9s} relative error {row.error:.1e}   "
                         f"{'ok' if row.ok else 'DISAGREES'}")
    return "\n".join(lines)


def check_steps(steps, threshold=1e-7):
    """Compare intermediate tensors with references, in order; fail at the first that disagrees.

    The CS231n-style inline check, one tensor at a time: it prints each
    tensor's relative error (see :func:`relative_error`) and stops at the
    first one above ``threshold``, naming it, since every later tensor is
    computed from it and would disagree too. The comparison is
    :func:`compare_steps`'s.

    Parameters
    ----------
    steps : sequence of (name, yours, reference, hint)
        ``name`` is how the learner knows the tensor (``"dlogits"``); ``yours``
        and ``reference`` are arrays of one shape; ``hint`` names the likely
        mistake for that tensor.
    threshold : float
        Largest relative error that passes.

    Returns
    -------
    list of float
        The relative error of each step.

    Raises
    ------
    CheckFailure
        At the first step whose shape differs, which holds nan or inf, or whose
        relative error is ``threshold`` or more. The message gives the error,
        never the reference values.
    """
    steps = list(steps)
    rows, _ = compare_steps([(name, yours, reference) for name, yours, reference, _ in steps], threshold)
    errors = []
    for row, (*_, hint) in zip(rows, steps):
        if row.error is None:
            fail(f"{row.name} is the first tensor that disagrees: it has shape {row.shape}, "
                 f"expected {row.expected_shape}. {hint}".strip())
        if not np.isfinite(row.error):
            fail(f"{row.name} is the first tensor that disagrees: it holds nan or inf. {hint}".strip())
        print(f"{row.name:>12}: relative error {row.error:.1e}")
        if not row.ok:
            fail(f"{row.name} is the first tensor that disagrees: relative error {row.error:.1e}, "
                 f"where a correct one is below {threshold:.0e}. {hint}".strip())
        errors.append(row.error)
    return errors


def _show_failures_in_words():
    """In a notebook, a failed check shows its message, not a traceback.

    The message is written for the learner; the traceback of a check is
    checks.py's own frames, which say nothing to them. The cell still ends in
    an error (``CheckFailure``), so Jupyter stops a "run all" there and
    nbgrader still scores the test as failed. Outside IPython this does nothing.
    """
    try:
        # Optional: outside IPython (the grader, a plain script) there is nothing to hide.
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return

    def in_words(shell, etype, value, tb, tb_offset=None):
        text = ["\x1b[31mTest failed:\x1b[0m " + str(value)]
        shell._showtraceback(etype, value, text)   # what a kernel sends as the cell's error
        return text

    shell.set_custom_exc((CheckFailure,), in_words)


_show_failures_in_words()
