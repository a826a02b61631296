"""Submissions that try to win points without correct outputs gain nothing.

Each attack is the blank release with wrong-but-well-shaped answers (zeros),
which fail every test honestly, and the attack code at the end of the first
solution cell, so that it runs before any test. Under the trusted engine each
must score exactly what the blank release scores (0). The attacks that do beat
stock nbgrader are also run there, to show that they are real.
"""

import pytest
from conftest import REPO_ROOT
from grading_helpers import ASSIGNMENT, SANDBOX, grade, make_course, submit

from autograder.grading.reports import write_grades_csv

pytestmark = pytest.mark.slow

ZEROS = {
    "np_linear": "def np_linear(x, a):\n    return np.zeros((x.shape[0], a.shape[0]))",
    "np_softmax": "def np_softmax(l):\n    return np.zeros(l.shape)",
    "np_cross_entropy": "def np_cross_entropy(p, y):\n    return 0.0",
    "np_cross_entropy_grad": "def np_cross_entropy_grad(p, y, x):\n    return np.zeros((p.shape[1], x.shape[1]))",
}

LIAR = '''
class Liar(np.ndarray):
    def __eq__(self, other): return np.ones(self.shape, bool)
    __ne__ = lambda self, other: np.zeros(self.shape, bool)
    def __array_ufunc__(self, *a, **k): return np.ones(self.shape, bool)
    def __array_function__(self, *a, **k): return True
class Anything:
    shape = (2, 4)
    def __eq__(self, other): return True
    def __getattr__(self, name): return self
    def __call__(self, *a, **k): return self
    def __float__(self): return 0.0
    def __array__(self, dtype=None, copy=None): return np.zeros(self.shape)
def np_linear(x, a): return np.zeros((x.shape[0], a.shape[0])).view(Liar)
def np_softmax(l): return Anything()
'''

FAKE_CHECKS = '''
class _Silent:
    def call(self, fn, *a, **k):
        try:
            return fn(*a, **k)
        except Exception:
            return np.zeros((2, 4))
    def relative_error(self, a, b):
        return 0.0
    def rng(self, tag=""):
        return np.random.default_rng(0)
    def __getattr__(self, name):
        return lambda *a, **k: None
checks = _Silent()
'''

STEAL_SOLUTIONS = '''
import json, pathlib
_stolen = []
for _path in [pathlib.Path({source!r}), pathlib.Path({course_source!r})]:
    try:
        _nb = json.loads(_path.read_text())
    except OSError:
        continue
    for _cell in _nb["cells"]:
        _src = "".join(_cell["source"])
        if "### BEGIN SOLUTION" in _src and _cell["cell_type"] == "code":
            _stolen.append("\\n".join(l for l in _src.splitlines() if "### " not in l))
def _restore(*_):
    for _code in _stolen:
        exec(_code, globals())
_restore()
get_ipython().events.register("post_run_cell", _restore)   # undo the blank cells that follow
'''

ATTACKS = {
    "custom exception handler": "get_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)",
    "traceback patch": ("import IPython\nIPython.core.interactiveshell.InteractiveShell.showtraceback = "
                        "lambda *a, **k: None\nget_ipython().showtraceback = lambda *a, **k: None"),
    "sys.excepthook": "import sys\nsys.excepthook = lambda *a: None",
    "input transformer erases test cells": (
        "get_ipython().input_transformers_cleanup.append("
        "lambda lines: [] if any('checks.' in l for l in lines) else lines)"),
    "cell event hook": ("get_ipython().events.register('post_run_cell', "
                        "lambda result: setattr(result, 'error_in_exec', None))"),
    "numpy monkeypatch": ("np.allclose = lambda *a, **k: True\nnp.isclose = lambda a, b, *r, **k: np.ones(np.shape(a), bool)\n"
                          "np.array_equal = lambda *a, **k: True\nnp.isfinite = lambda x: np.ones(np.shape(x), bool)\n"
                          "np.all = lambda *a, **k: True"),
    "patched test helpers": ("from autograder import checks as _c\nfor _n in ('fail', 'expect', 'expect_close', "
                             "'expect_shape', 'expect_finite'):\n    setattr(_c, _n, lambda *a, **k: None)"),
    "lying return values": LIAR,
    "redefined helper module": FAKE_CHECKS,
    "early exit": "import os\nos._exit(0)",
    "only when graded": "import os\nif os.environ.get('NBGRADER_EXECUTION') or os.environ.get('NN_GRADING_SEED'):\n"
                        + "\n".join("    " + line for line in FAKE_CHECKS.strip().splitlines()),
    "hard-coded visible answers": ("def np_linear(x, a):\n    return np.array([[1., 2., 3., 6.], [4., 5., 6., 15.]])\n"
                                   "def np_softmax(l):\n    return np.full(l.shape, 1 / l.shape[1]) if not l.any() else "
                                   "np.array([[0.09003057, 0.24472847, 0.66524096], [0.66524096, 0.24472847, 0.09003057]])"),
    "stolen solutions": STEAL_SOLUTIONS,
    "gradebook write": ("import sqlite3, glob\nfor db in glob.glob({db_glob!r}):\n"
                        "    con = sqlite3.connect(db); con.execute('UPDATE grade SET manual_score = 100'); con.commit()"),
}
# Attacks that stock nbgrader (everything in the learner's kernel) falls for. (It does resist
# swallowed exceptions: the kernel's error reply still marks the cell as failed.)
BEATS_STOCK = ["input transformer erases test cells", "redefined helper module",
               "only when graded", "stolen solutions"]
# Attacks that only the sandbox stops (it hides source/ and the gradebook):
# without bubblewrap they work, which is why `grade` then refuses.
NEEDS_SANDBOX = {"stolen solutions", "gradebook write"}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return make_course(tmp_path_factory.mktemp("attacks") / "course")


def _attack_code(name, root):
    return ATTACKS[name].format(
        source=str(REPO_ROOT / "source" / ASSIGNMENT / "softmax_regression.ipynb"),
        course_source=str(root / "source" / ASSIGNMENT / "softmax_regression.ipynb"),
        db_glob=str(root / "*.db"))


def _student(name):
    return name.replace(" ", "_").replace(".", "_")


@pytest.fixture(scope="module")
def blank_score(course):
    submit(course, "blank")
    return grade(course, "blank").score


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_attack_gains_nothing_over_the_blank_release(course, blank_score, attack):
    if attack in NEEDS_SANDBOX and not SANDBOX:
        pytest.skip("only the sandbox stops this attack, and bubblewrap is not installed")
    student = _student(attack)
    submit(course, student, ZEROS, attack=_attack_code(attack, course))
    result = grade(course, student)
    assert result.score == blank_score == 0, (attack, sorted(t.grade_id for t in result.tests if t.points))
    assert all(t.manual_score is None for t in _grades(course, student)), "the gradebook was written by the submission"


@pytest.mark.parametrize("attack", BEATS_STOCK)
def test_the_same_attack_does_beat_stock_nbgrader(course, attack):
    student = "stock_" + _student(attack)
    submit(course, student, ZEROS, attack=_attack_code(attack, course))
    assert grade(course, student, engine="nbgrader").score > 0, f"{attack} no longer works on stock nbgrader"


def test_tampering_is_flagged_in_the_csv(course, tmp_path):
    student = "flagged"
    submit(course, student, ZEROS, attack=_attack_code("custom exception handler", course))
    result = grade(course, student)
    assert "suspicious: exception handler hooks" in result.flags
    csv_path = write_grades_csv([result], tmp_path / "grades.csv")
    assert "suspicious: exception handler hooks" in csv_path.read_text()


def _grades(root, student):
    from nbgrader.api import Gradebook

    from autograder.settings import db_url
    with Gradebook(db_url(root)) as gb:
        submission = gb.find_submission(ASSIGNMENT, student)
        return [type("G", (), {"manual_score": g.manual_score})() for nb in submission.notebooks for g in nb.grades]
