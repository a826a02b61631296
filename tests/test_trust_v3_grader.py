"""The grader owns what a test reads, and no hidden value leaves it (issue 19, root causes 2, 3, 5, 6).

Each attack is a real submission, graded by the project's grading (nbgrader
with the trusted engine), built from the reference solution with one change
a learner could make. Each of these gained points, leaked hidden inputs,
flooded the grader or stopped the batch on main at 02528f0.
"""

import json
import re
import shutil

import nbformat
import pytest

from autograder.grading.autograde import autograde, generate_feedback
from autograder.grading.batch import grade_class
from autograder.grading.options import GradingOptions
from autograder.settings import RELEASE_DIR
from grading_helpers import ASSIGNMENT, NOTEBOOK, SANDBOX, make_course, submit_example

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = make_course(tmp_path_factory.mktemp("trust-v3") / "course")
    submit_example(root, "reference")
    return root


def reference(course):
    return nbformat.read(course / "submitted" / "reference" / ASSIGNMENT / NOTEBOOK, as_version=4)


def _grade_id(cell):
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def cell_of(nb, grade_id):
    return next(c for c in nb.cells if _grade_id(c) == grade_id)


def hand_in(course, student, nb):
    folder = course / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / NOTEBOOK)


def graded(course, student):
    """(test grade id -> passed, the autograded notebook as text, the grading report)."""
    autograde(course, ASSIGNMENT, student)
    folder = course / "autograded" / student / ASSIGNMENT
    report = json.loads((folder / NOTEBOOK.replace(".ipynb", ".grading.json")).read_text())
    return {t["grade_id"]: t["passed"] for t in report["tests"]}, (folder / NOTEBOOK).read_text(), report


def feedback_page(course, student):
    generate_feedback(course, ASSIGNMENT, student)
    return (course / "feedback" / student / ASSIGNMENT / NOTEBOOK.replace(".ipynb", ".html")).read_text()


# np_softmax right on the visible inputs only, and the names test_softmax_rows defines, to agree with it.
SOFTMAX_VISIBLE_ONLY = '''
def np_softmax(l):
    if l.shape in ((2, 3), (3, 4)):
        e = np.exp(l - np.max(l, axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    return np.full(l.shape, 1.0 / l.shape[1])

def reference_softmax(l):
    return np_softmax(l)

def softmax_sum_hint(p):
    return 0.0   # only read when a check fails
'''


@pytest.mark.parametrize("move", ["the user above the definer", "the definer to the end"])
def test_reordered_tests_cannot_use_a_learner_defined_hidden_reference(course, move):
    """Root cause 2: test cells run in source order; a name a test cell defines is never the kernel's.

    test_softmax_rows defines (hidden) reference_softmax and softmax_sum_hint;
    test_softmax_values uses them. Run in the submission's order, the second
    read the learner's versions from the kernel and passed a wrong softmax.
    """
    nb = reference(course)
    cell_of(nb, "np_softmax").source = SOFTMAX_VISIBLE_ONLY
    if move.startswith("the user"):
        moved = cell_of(nb, "test_softmax_values")
        nb.cells.remove(moved)
        nb.cells.insert(nb.cells.index(cell_of(nb, "test_softmax_rows")), moved)
    else:
        moved = cell_of(nb, "test_softmax_rows")
        nb.cells.remove(moved)
        nb.cells.append(moved)
    student = "reorder-" + move.split()[1]
    hand_in(course, student, nb)
    passed, text, _ = graded(course, student)
    assert passed["test_softmax_values"] is False, "the learner's own reference_softmax graded its softmax"
    # The autograded notebook has the tests in source order again.
    order = [_grade_id(c) for c in nbformat.reads(text, as_version=4).cells if _grade_id(c)]
    assert order.index("test_softmax_rows") < order.index("test_softmax_values")


# A model whose forward ignores its weights, and whose A reads back as zeros whatever a test set.
LYING_MODEL = '''
class _Lying(NumpyLogisticRegression):
    @property
    def A(self):
        return np.zeros(self._shape)

    @A.setter
    def A(self, value):
        self._shape = np.shape(value)

    def forward(self, x):
        return np.full((len(x), self._shape[0]), 1.0 / self._shape[0])

NumpyLogisticRegression = _Lying
'''


def test_an_attribute_a_test_set_reads_back_from_the_grader(course):
    """Root cause 2: ``model.A = W`` then ``model.A`` is the grader's W, not what the kernel answers."""
    nb = reference(course)
    lying = nbformat.v4.new_code_cell(LYING_MODEL)
    nb.cells.insert(nb.cells.index(cell_of(nb, "test_forward")), lying)
    hand_in(course, "lying-attribute", nb)
    passed, _, _ = graded(course, "lying-attribute")
    assert passed["test_forward"] is False


def test_provided_names_are_the_graders_not_the_kernels(course):
    """Root cause 2: what the provided cells bind (``checks``, ``np``, the data) is the grader's own.

    The learner rebinds ``checks`` to an object whose every check passes and
    ships a ``train`` that does nothing: the grader's ``checks`` still fails it.
    """
    nb = reference(course)
    spoof = nbformat.v4.new_code_cell(
        "class _AllPass:\n"
        "    def __getattr__(self, name):\n"
        "        return lambda *args, **kwargs: args[0] if name == 'call' and not kwargs and len(args) == 1 "
        "else (args[0](*args[1:], **kwargs) if name == 'call' else None)\n"
        "checks = _AllPass()\n"
        "np.allclose = lambda *args, **kwargs: True\n")
    nb.cells.insert(nb.cells.index(cell_of(nb, "test_training")), spoof)
    cell_of(nb, "NumpyLogisticRegression").source = cell_of(nb, "NumpyLogisticRegression").source.replace(
        "def train(self", "def _unused_train(self", 1) + (
        "\n    def train(self, x, y, x_val=None, y_val=None):\n        return [0.0], [0.0], [0.0]\n")
    hand_in(course, "spoofed-checks", nb)
    passed, _, report = graded(course, "spoofed-checks")
    assert passed["test_training"] is False
    message = next(t["message"] for t in report["tests"] if t["grade_id"] == "test_training")
    assert "the weights did not move" in message   # the grader's checks and np judged it, not the learner's


# np_softmax keeps every input it is called with; a later learner cell prints them.
KEEPS_INPUTS = '''
_kept = []
_MARK = "LE" + "AK"   # spelled apart: the word itself appears only where a value leaked
def np_softmax(l):
    _kept.append(np.array(l).ravel()[:4].tolist())
    e = np.exp(l - np.max(l, axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)
'''
PRINTS_THEM = "print(_MARK, _kept)\nfrom IPython.display import display, HTML\ndisplay(HTML(f'<p>{_MARK} {_kept}</p>'))\n"


@pytest.mark.parametrize("how", ["print", "display"])
def test_a_later_cell_cannot_print_hidden_inputs(course, how):
    """Root cause 3: learner output after the first test cell is kept out of the notebook and the feedback."""
    nb = reference(course)
    cell_of(nb, "np_softmax").source = KEEPS_INPUTS
    source = PRINTS_THEM.splitlines()[0] if how == "print" else "\n".join(PRINTS_THEM.splitlines()[1:])
    # Between two tests it runs, and its output is withheld; after the last one the grader does not run it.
    nb.cells.insert(nb.cells.index(cell_of(nb, "test_training")), nbformat.v4.new_code_cell(source))
    nb.cells.append(nbformat.v4.new_code_cell(source))
    student = f"leak-{how}"
    hand_in(course, student, nb)
    passed, text, _ = graded(course, student)
    assert all(passed.values())   # the learner's code is right: only the leak is stopped
    page = feedback_page(course, student)
    for where in (text, page):
        assert "LEAK" not in where, re.findall(r"LEAK.{0,80}", where)
        assert "cells after the first test could show" in where and "no test comes after this cell" in where


# np_softmax fails on every hidden input, after setting its own name and signature to the inputs it saw.
LABEL_LEAK = '''
import inspect
def np_softmax(l):
    seen = "LE" + "AK" + "_".join(f"{v:.6f}" for v in np.array(l).ravel()[:3]).replace("-", "m").replace(".", "p")
    np_softmax.__qualname__ = seen
    np_softmax.__signature__ = inspect.Signature([inspect.Parameter(seen, inspect.Parameter.POSITIONAL_OR_KEYWORD)])
    if l.shape in ((2, 3), (3, 4)):
        e = np.exp(l - np.max(l, axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    raise ValueError(seen)
'''


def test_failure_messages_do_not_carry_what_the_kernel_reports(course):
    """Root cause 3: argument labels and function names in messages come from the grader's parse of the source."""
    nb = reference(course)
    cell_of(nb, "np_softmax").source = LABEL_LEAK
    hand_in(course, "label-leak", nb)
    passed, text, report = graded(course, "label-leak")
    assert passed["test_softmax_values"] is False
    messages = " ".join(t["message"] for t in report["tests"])
    assert "LEAK" not in messages and "LEAK" not in feedback_page(course, "label-leak")
    assert "your np_softmax raised" in messages and "l=array(" in messages   # the grader's own name and label


# The kernel's side of the bridge, patched so that its replies never report an in-place write.
FORGES_THE_REPORT = """
import autograder.sandbox.bridge as _bridge
_serve = _bridge._serve
def _quiet(*args):
    reply = _serve(*args)
    reply.pop("mutated", None)
    return reply
_bridge._serve = _quiet
"""


def test_a_forged_mutation_report_gains_nothing_over_an_honest_in_place_writer(course):
    """Root cause 2: the in-place write report comes from the learner's kernel, so it is advice, never points.

    On main at 0888afd it cost points, and a patched bridge hid it. Now the
    forger scores what the honest writer scores (full marks: the example
    ``advice_dlogits_in_place``, in ``test_example_class.py``, graded with its
    note), and hides only its own note.
    """
    nb = reference(course)
    cell = cell_of(nb, "np_cross_entropy_dlogits")
    cell.source = cell.source.replace("dlogits = p.copy()", "dlogits = p", 1) + FORGES_THE_REPORT
    hand_in(course, "in-place-forged", nb)
    passed, text, _ = graded(course, "in-place-forged")
    assert all(passed.values()), passed
    assert "changed its argument" not in text


FLOOD_CELLS = 1000


def flood_notebook(course, kind):
    """The blank release plus 1,000 cells that each print as much as one cell may (200,000 characters)."""
    nb = nbformat.read(course / RELEASE_DIR / ASSIGNMENT / NOTEBOOK, as_version=4)
    if kind == "print":
        source = "print('x' * 199_000)"
    else:
        source = "from IPython.display import HTML, display\ndisplay(HTML('<b>' + 'y' * 190_000 + '</b>'))"
    first_test = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade"))
    for _ in range(FLOOD_CELLS):
        nb.cells.insert(first_test, nbformat.v4.new_code_cell(source))
    return nb


@pytest.mark.parametrize("kind", ["print", "display"])
def test_a_flood_of_cells_is_bounded_and_flagged(course, kind):
    """Root cause 6: stored outputs and the feedback page are capped in total, with a flag."""
    student = f"flood-{kind}"
    hand_in(course, student, flood_notebook(course, kind))
    _, text, report = graded(course, student)
    assert "output-truncated" in report["flags"]
    assert len(text) < 4_000_000, len(text)   # about 2 MB of outputs kept; main stored 200 MB
    page = feedback_page(course, student)
    assert len(page) < 6_000_000, len(page)
    assert "output cut" in text


def markdown_flood_notebook(course, kind):
    """The blank release plus 50 MB of markdown in one cell, or 10,000 small markdown cells."""
    nb = nbformat.read(course / RELEASE_DIR / ASSIGNMENT / NOTEBOOK, as_version=4)
    first_test = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade"))
    if kind == "one huge cell":
        nb.cells.insert(first_test, nbformat.v4.new_markdown_cell("*lorem* ipsum " * 3_600_000))
    else:
        for i in range(10_000):
            nb.cells.insert(first_test, nbformat.v4.new_markdown_cell(f"note {i}: *lorem* ipsum dolor sit amet"))
    return nb


@pytest.mark.parametrize("kind", ["one huge cell", "10,000 cells"])
def test_a_flood_of_markdown_is_bounded_and_flagged(course, kind):
    """Root cause 6: the learner's markdown is capped per cell and in total, before any parser sees it."""
    student = "flood-markdown-" + kind.split()[-1]
    hand_in(course, student, markdown_flood_notebook(course, kind))
    submitted = (course / "submitted" / student / ASSIGNMENT / NOTEBOOK).stat().st_size
    _, text, report = graded(course, student)
    assert "markdown-truncated" in report["flags"] and report["markdown_cut"]
    assert len(text) < 2_500_000, len(text)
    page = feedback_page(course, student)
    assert len(page) < 5_000_000, len(page)
    assert "Your submitted notebook is unchanged" in text and "Your submitted notebook is unchanged" in page
    # Nothing saved is lost: the hand-in itself is as it was.
    assert (course / "submitted" / student / ASSIGNMENT / NOTEBOOK).stat().st_size == submitted


def _kills_its_grader(signal_name):
    return f"import os, signal\nos.kill(os.getppid(), signal.{signal_name})\n"


def test_hand_ins_that_kill_their_grading_process_cost_only_their_own_rows(tmp_path):
    """Root cause 5 (grading): one student's grading process dying records a failure for that student alone.

    Unsandboxed (``--no-sandbox``, the documented way to grade without
    bubblewrap), learner code can signal the process that grades it: one
    hand-in kills it, another terminates it.
    """
    root = make_course(tmp_path / "course")
    submit_example(root, "reference")
    submit_example(root, "blank")
    for signal_name in ("SIGKILL", "SIGTERM"):
        nb = nbformat.read(root / "submitted" / "reference" / ASSIGNMENT / NOTEBOOK, as_version=4)
        nb.cells.insert(nb.cells.index(cell_of(nb, "np_linear")) + 1,
                        nbformat.v4.new_code_cell(_kills_its_grader(signal_name)))
        hand_in(root, f"killer-{signal_name}", nb)
    report = grade_class(root, ASSIGNMENT, options=GradingOptions(workers=2, progress=False, sandbox=False))
    scores = {r.student: r.score for r in report.results}
    assert scores.get("reference") == 90 and "blank" in scores, (scores, report.errors)
    assert [student for student, _, _ in report.errors] == ["killer-SIGKILL", "killer-SIGTERM"]
    assert "killer-SIGKILL" in (root / f"grades-{ASSIGNMENT}.csv").read_text()


@pytest.fixture(scope="module", autouse=True)
def _no_leftovers(course):
    yield
    shutil.rmtree(course, ignore_errors=True)


def test_the_sandbox_is_used(course):
    """These attacks are graded as a class would be: in the sandbox where bubblewrap is here."""
    _, _, report = graded(course, "reference")
    assert report["sandbox"]["bwrap"] is SANDBOX
