"""The grader reruns only the provided statements a test can depend on (issue 24).

Static and cheap: these read the instructor's notebooks and small made-up
cells; the verdicts of a whole class graded this way are compared with stock
nbgrader's by ``make bench-grade`` ("same scores from both").
"""

import ast

import nbformat
from conftest import REPO_ROOT

from autograder.sandbox.provided import free_reads, needed_statements
from autograder.sandbox.trusted import InstructorCells, _grader_statements, _needed
from autograder.settings import SOURCE_DIR


def _kept(tests, provided_sources, names):
    provided = [(source, tuple(s for s in ast.parse(source).body if not isinstance(s, ast.Expr)))
                for source in provided_sources]
    needed = needed_statements(tests, provided, names)
    if needed is None:
        return None
    return [ast.unparse(s) for (_, statements), kept in zip(provided, needed)
            for s, k in zip(statements, kept) if k]


def test_assignment_1_reruns_the_data_tests_read_and_not_the_training_or_the_gradient_check():
    path = REPO_ROOT / SOURCE_DIR / "01_softmax_regression" / "softmax_regression.ipynb"
    instructor = InstructorCells.of(nbformat.read(path, as_version=4))
    needed = _needed(instructor)
    rerun = {g: [ast.unparse(s).split("=")[0].strip() for s, k in zip(_grader_statements(instructor.sources[g]),
                                                                       needed[g]) if k]
             for g in needed}
    assert "X_train" in rerun["bias_trick"]          # test_forward reads it
    assert "X_train_raw, y_train, X_test_raw, y_test" in rerun["load_data"]
    assert rerun["check_gradient_steps"] == []      # ~1,700 bridge round trips, for names no test reads
    assert rerun["train"] == [] and rerun["choose_lambda"] == []   # training runs in the kernel only
    assert "import numpy as np" in rerun["setup"]   # imports, functions and classes always


def test_a_loop_target_or_an_earlier_assignment_of_the_test_is_not_a_read():
    source = "for lam in [1, 2]:\n    use(lam)\nmodel = make()\nmodel.fit(X)\nwith ctx() as f:\n    f.go()\n"
    assert free_reads(source) == {"use", "make", "X", "ctx"}
    assert "total" in free_reads("total += 1\n")
    assert "model" in free_reads("def check():\n    return model.A\nmodel = make()\n")   # called later


def test_a_statement_that_may_change_a_needed_name_in_place_is_kept():
    provided = ["rng = np.random.default_rng(0)\nnoise = rng.normal(size=3)\nx = rng.normal(size=3)\n",
                "clf = Model()\nloss = clf.train(X)\nunused = clf.predict(X)\n"]
    kept = _kept(["check(x)\ncheck(clf)\n"], provided, {"rng", "noise", "x", "clf", "loss", "unused", "X"})
    # noise is no test's, but drawing it advanced rng; train and predict may change clf
    assert kept == ["rng = np.random.default_rng(0)", "noise = rng.normal(size=3)", "x = rng.normal(size=3)",
                    "clf = Model()", "loss = clf.train(X)", "unused = clf.predict(X)"]
    assert _kept(["check(x)\n"], provided, {"rng", "noise", "x", "clf", "loss", "unused", "X"}) == kept[:3]


def test_a_test_that_reads_names_dynamically_keeps_every_statement():
    provided = ["slow = train()\n"]
    assert _kept(["check(globals()['slow'])\n"], provided, {"slow"}) is None
    assert _kept(["check(eval('slow'))\n"], provided, {"slow"}) is None
    assert _kept(["check(done)\n"], provided, {"slow"}) == []


def test_a_result_no_test_reads_is_left_to_the_kernel_and_a_trained_model_is_rerun():
    # A full check over learner functions whose result no test reads is the kernel's; a method call
    # that may change a name a test reads (model.train) is the grader's, with what it reads.
    cell = ("import numpy as np\n"
            "a = learner_fn(1)\n"
            "b = full_check(lambda t: learner_fn(t), np.zeros(500))\n"
            "model = Model()\n"
            "loss = model.train(a)\n"
            "c = np.ones(3)\n"
            "d = helper(c)\n")
    tests = ["checks.expect(model.A.sum() > 0, 'trained')\nchecks.expect(d == 3, 'd')\n"]
    assert _kept(tests, [cell, "e = b + 1\n"], {"np", "a", "b", "model", "loss", "c", "d", "e"}) == [
        "import numpy as np", "a = learner_fn(1)", "model = Model()", "loss = model.train(a)", "c = np.ones(3)",
        "d = helper(c)"]
