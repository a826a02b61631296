"""No helper the course hands out answers a graded function: a thin wrapper around it earns nothing.

``tests/test_no_giveaways.py`` reads the release for provided code that *looks
like* a graded function. This test asks the question a learner would: for
every graded function of every assignment, and every helper a learner can
reach (the public functions of ``course/`` and of the learner-side checks, and
the functions that the provided cells and the visible tests of any assignment
define), does

    def np_softmax(*args, **kwargs):
        return <helper>(*args, **kwargs)

pass any test cell that grades ``np_softmax``? Each reference notebook runs
once, top to bottom, in this process (its hidden tests included, as the
grader runs them); before each test cell, every wrapper of the functions that
cell grades is put in place of the learner's function, in a copy of the
notebook's namespace, and the cell is run on it. A cell that passes is points
a wrapper earns.

``test_no_provided_gradient_is_backprop_in_another_costume`` asks the
question for wrappers that change the activation: a provided network gradient
that is backprop written for tanh units is assignment 3's graded backprop with
tanh' for sigmoid', which no thin wrapper of it reveals.

What it does not try: a graded name that is not a function (a class, whose
graded parts are methods, or a value such as ``wrong_costs``), and wrappers that
adapt arguments (those are code the learner writes).
"""

import ast
import contextlib
import importlib
import io
import json
import os
import pkgutil
import signal
import subprocess
import sys
import types

import nbformat
import pytest

from autograder.settings import RELEASE_DIR, REPO_ROOT, SOURCE_DIR

pytestmark = pytest.mark.slow

SECONDS_PER_TRY = 20


def _meta(cell):
    return cell.metadata.get("nbgrader", {})


def _python(source):
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


def _functions_defined(source):
    """Names of the top-level functions a cell defines."""
    try:
        tree = ast.parse(_python(source))
    except SyntaxError:
        return set()
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}


def _called_by_test(source):
    """Names a test cell grades: the first argument of ``checks.call(...)``, or a name it calls itself."""
    names = set()
    for node in ast.walk(ast.parse(_python(source))):
        if isinstance(node, ast.Call):
            func = node.func
            if (isinstance(func, ast.Attribute) and func.attr == "call" and node.args
                    and isinstance(node.args[0], ast.Name)):
                names.add(node.args[0].id)
            elif isinstance(func, ast.Name):
                names.add(func.id)
    return names


def _assignments():
    return sorted(p.name for p in (REPO_ROOT / SOURCE_DIR).iterdir() if p.is_dir())


def _notebook(folder, assignment):
    path, = sorted((REPO_ROOT / folder / assignment).glob("*.ipynb"))
    return nbformat.read(path, as_version=4)


def _graded_functions(nb):
    """Functions a solution cell defines at its top level."""
    return set().union(*(_functions_defined(c.source) for c in nb.cells
                         if c.cell_type == "code" and _meta(c).get("solution")))


def course_helpers():
    """name -> function: the public functions and classes of ``course/`` and of the learner-side checks."""
    import course
    from autograder.learner import checks

    modules = [checks] + [importlib.import_module(f"course.{m.name}") for m in pkgutil.iter_modules(course.__path__)]
    helpers = {}
    for module in modules:
        for name, value in vars(module).items():
            if (not name.startswith("_") and callable(value) and getattr(value, "__module__", "") == module.__name__):
                helpers[f"{module.__name__}.{name}"] = value
    return helpers


def provided_function_names():
    """assignment -> names of the functions its released provided cells and visible tests define."""
    names = {}
    for assignment in _assignments():
        nb = _notebook(RELEASE_DIR, assignment)
        names[assignment] = set().union(*(_functions_defined(c.source) for c in nb.cells
                                          if c.cell_type == "code" and not _meta(c).get("solution")))
    return names


class _TooLong(Exception):
    pass


@contextlib.contextmanager
def _time_limit(seconds):
    def stop(signum, frame):
        raise _TooLong()
    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _wrapper(name, helper, namespace):
    """``def name(*args, **kwargs): return helper(*args, **kwargs)``, defined in ``namespace``."""
    code = f"def {name}(*args, **kwargs):\n    return __helper__(*args, **kwargs)\n"
    scope = dict(namespace)
    scope["__helper__"] = helper
    exec(code, scope)
    return scope[name]


def _not_written(*args, **kwargs):
    raise NotImplementedError()


def _passes(source, namespace):
    """Whether a test cell runs without an error in a copy of ``namespace``."""
    import matplotlib.pyplot as plt

    try:
        with _time_limit(SECONDS_PER_TRY), contextlib.redirect_stdout(io.StringIO()), \
                contextlib.redirect_stderr(io.StringIO()):
            exec(compile(_python(source), "<test>", "exec"), namespace)
    except (Exception, _TooLong):
        return False
    finally:
        plt.close("all")
    return True


def wrappers_that_earn_points(assignment, helpers):
    """(graded function, helper, test cell) for every wrapper that passes a test cell of that function."""
    nb = _notebook(SOURCE_DIR, assignment)
    graded = _graded_functions(nb)
    namespace = {"__name__": "__main__"}
    earned = []
    cwd = os.getcwd()
    os.chdir(REPO_ROOT / SOURCE_DIR / assignment)
    try:
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            meta = _meta(cell)
            if meta.get("grade") and not meta.get("solution"):
                for name in sorted(_called_by_test(cell.source) & graded):
                    if not isinstance(namespace.get(name), types.FunctionType):
                        continue
                    unwritten = dict(namespace)
                    unwritten[name] = _wrapper(name, _not_written, unwritten)
                    if _passes(cell.source, unwritten):
                        continue    # the cell passes without this function: it grades another one
                    for label, helper in helpers.items():
                        trial = dict(namespace)
                        trial[name] = _wrapper(name, helper, trial)
                        if _passes(cell.source, trial):
                            earned.append((name, label, meta["grade_id"]))
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                exec(compile(_python(cell.source), f"<{assignment} cell>", "exec"), namespace)
    finally:
        os.chdir(cwd)
    return earned


def all_helpers():
    """Every helper a learner can reach, from any assignment: label -> function."""
    found = course_helpers()
    provided = provided_function_names()
    for assignment in _assignments():
        namespace = _provided_namespace(assignment)
        for name in sorted(provided[assignment]):
            if callable(namespace.get(name)):
                found[f"{assignment}:{name}"] = namespace[name]
    return found


def _provided_namespace(assignment, folder=RELEASE_DIR):
    """The functions the released notebook's provided cells and visible tests define, as objects.

    Only the ``def`` statements (and the imports they need) are run: the
    helpers, not the notebook's work. ``folder``: another release (a checkout's).
    """
    nb = _notebook(folder, assignment)
    namespace = {"__name__": "__main__"}
    for cell in nb.cells:
        if cell.cell_type != "code" or _meta(cell).get("solution"):
            continue
        tree = ast.parse(_python(cell.source))
        body = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef))]
        exec(compile(ast.Module(body=body, type_ignores=[]), "<provided>", "exec"), namespace)
    return namespace


class _Costume(types.ModuleType):
    """numpy, with ``tanh`` replaced: the same network code, another hidden activation."""

    def __init__(self, activation):
        import numpy

        super().__init__("numpy")
        self._numpy, self.tanh = numpy, activation

    def __getattr__(self, name):
        return getattr(self._numpy, name)


def _sigmoid(z):
    import numpy as np

    return 1 / (1 + np.exp(-z))      # complex z accepted, as the complex step needs


def gradient_consistency(function, activation=None):
    """Relative error of ``function``'s gradient against central differences of its own cost, or None.

    ``function`` is called like a network cost, ``(nn_params, X, y, lambda_, 3, 5, 3)`` or
    ``(theta, X, y)``, on the 3-5-3 debug network at ``lambda_ = 0``; None unless it returns
    ``(cost, gradient)``. With ``activation``, the function's ``np.tanh`` is that activation.
    """
    import numpy as np

    from course.gradient_check import gradient_error

    params = np.sin(np.arange(1, 39)) / 10
    X, y = np.sin(np.arange(1, 16)).reshape(5, 3) / 10, np.arange(5) % 3
    scope = function.__globals__
    saved = scope.get("np")
    if activation is not None:
        scope["np"] = _Costume(activation)
    try:
        for extra in [(0.0, 3, 5, 3), ()]:
            call = lambda p, extra=extra: function(p, X, y, *extra)
            try:
                with _time_limit(SECONDS_PER_TRY), contextlib.redirect_stdout(io.StringIO()), \
                        contextlib.redirect_stderr(io.StringIO()):
                    out = call(params)
                    if not (isinstance(out, tuple) and len(out) == 2 and np.ndim(out[0]) == 0
                            and np.shape(out[1]) == params.shape):
                        continue
                    return gradient_error(lambda p: float(np.real(call(p)[0])), params, np.real(out[1]))
            except (Exception, _TooLong):
                continue
        return None
    finally:
        scope["np"] = saved


def hand_derived_gradients(folder=RELEASE_DIR):
    """(assignment, function) for every provided function whose gradient is backprop written for its activation.

    A gradient derived by hand for tanh units (``1 - H ** 2``) stops matching its own cost when the
    units become sigmoids, the costume that turns it into assignment 3's graded backprop; a gradient
    computed without a derivation (the complex step, finite differences) follows the cost.
    """
    found = []
    for assignment in _assignments():
        namespace = _provided_namespace(assignment, folder)
        for name, function in sorted(namespace.items()):
            if not isinstance(function, types.FunctionType):
                continue
            own = gradient_consistency(function)
            if own is not None and own < 1e-6:
                costumed = gradient_consistency(function, _sigmoid)
                if costumed is None or costumed > 1e-4:
                    found.append((assignment, name))
    return found


def _planted_row_softmax(l):
    import numpy as np

    e = np.exp(l - l.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def earned_in_a_fresh_process(assignment, planted=False):
    """:func:`wrappers_that_earn_points` for ``assignment``, in a new Python with one BLAS thread.

    The notebooks set their thread counts before numpy loads; this process
    loaded numpy long ago, and a BLAS that spreads small products over every
    core runs many times slower on a busy machine.
    """
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", MPLBACKEND="Agg")
    command = [sys.executable, __file__, assignment] + (["--planted"] if planted else [])
    done = subprocess.run(command, env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stderr[-3000:]
    return [tuple(row) for row in json.loads(done.stdout.strip().splitlines()[-1])]


def test_the_helpers_include_every_kind_a_learner_can_reach():
    labels = set(all_helpers())
    assert "autograder.learner.checks.relative_error" in labels
    assert any(label.startswith("course.gradient_check.") for label in labels)
    assert any(label.startswith("01_softmax_regression:") for label in labels)   # a visible test's hint


def test_a_wrapper_around_an_answer_is_caught():
    # The check itself: a helper that is the answer must be reported.
    earned = earned_in_a_fresh_process("01_softmax_regression", planted=True)
    assert ("np_softmax", "planted.row_softmax", "test_softmax_values") in earned


@pytest.mark.parametrize("assignment", _assignments())
def test_no_thin_wrapper_around_a_helper_earns_a_graded_functions_points(assignment):
    earned = earned_in_a_fresh_process(assignment)
    assert not earned, "\n".join(f"{assignment}: `def {name}(*a, **k): return {label}(*a, **k)` passes {test}"
                                  for name, label, test in earned)


def test_no_provided_gradient_is_backprop_in_another_costume():
    # Assignment 2's network (tanh units) is not assignment 3's (sigmoid units), so no wrapper of a provided
    # function earns nnBackprop's points as it is; but a backprop written out for tanh is assignment 3's answer
    # with tanh' for sigmoid'. Such a gradient stops matching its own cost once np.tanh is the sigmoid.
    found = hand_derived_gradients()
    assert not found, "\n".join(f"{assignment}: {name} returns a gradient derived by hand for its activation "
                                 "(backprop): with sigmoid units it is assignment 3's graded nnBackprop"
                                 for assignment, name in found)


_PLANTED_CELL = """
import numpy as np

def tanh_backprop(p, X, y):
    W1, W2 = p[:20].reshape(5, 4), p[20:].reshape(3, 6)
    A1 = np.c_[np.ones(len(X)), X]
    H = np.tanh(A1 @ W1.T)
    A2 = np.c_[np.ones(len(X)), H]
    S = A2 @ W2.T
    P = np.exp(S - S.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    cost = -np.log(P[np.arange(len(X)), y]).mean()
    P[np.arange(len(X)), y] -= 1
    dH = (P @ W2[:, 1:]) * (1 - H ** 2)
    return cost, np.concatenate([(dH.T @ A1).ravel(), (P.T @ A2).ravel()]) / len(X)

def differenced(p, X, y):
    cost = lambda q: tanh_backprop(q, X, y)[0]
    return cost(p), np.array([(cost(p + s) - cost(p - s)) / 2e-5 for s in np.eye(p.size) * 1e-5])
"""


def test_a_backprop_in_a_costume_is_caught():
    # The check itself, on a provided cell (as a notebook defines it) holding a tanh network whose gradient
    # is backprop, and the same cost differentiated by central differences, which follows any activation.
    namespace = {"__name__": "__main__"}
    exec(_PLANTED_CELL, namespace)
    assert gradient_consistency(namespace["tanh_backprop"]) < 1e-7
    assert gradient_consistency(namespace["tanh_backprop"], _sigmoid) > 1e-2
    assert gradient_consistency(namespace["differenced"], _sigmoid) < 1e-6


if __name__ == "__main__":
    helpers = all_helpers()
    if "--planted" in sys.argv:
        helpers = {"planted.row_softmax": _planted_row_softmax}
    print(json.dumps(wrappers_that_earn_points(sys.argv[1], helpers)))
