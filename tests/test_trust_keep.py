"""What already holds, kept: hidden inputs stay hidden, and the grader's memory stays bounded.

- A submission that prints the arguments its functions get, and raises them
  in its exceptions, must not find the hidden tests' inputs in its feedback
  page, its test messages or the grades CSV.
- A learner function that returns a 1 GB array costs that submission its
  points, not the grader its memory.
"""

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from grading_helpers import ASSIGNMENT, NOTEBOOK, grade, make_course, submit

from autograder.grading.autograde import generate_feedback
from autograder.grading.reports import write_grades_csv
from autograder.learner import checks

pytestmark = pytest.mark.slow

# Built at run time so that the learner's source, which feedback shows, does not hold it.
LEAK = "LEAKED" + "-ARGS"

# Correct on the visible example (x of shape (2, 3)); on any other input, which
# only a hidden test passes, it prints and raises everything it was given.
SNOOP = f'''
def np_linear(x, a):
    if x.shape == (2, 3):
        return x @ a.T
    shown = "{LEAK[:6]}" + "{LEAK[6:]}" + repr((x.tolist(), a.tolist()))[:5000]
    print(shown)
    import sys
    print(shown, file=sys.stderr)
    raise ValueError(shown)
'''

# About 1 GB of float64, made in the sandbox, handed to the grader as the answer.
HUGE = '''
def np_softmax(l):
    return np.ones((125_000, 1_000))
'''


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return make_course(tmp_path_factory.mktemp("keep") / "course")


def _hidden_inputs():
    """The first numbers of the hidden np_linear inputs, as the grader drew them."""
    r = checks.rng("linear-1-10-785")
    x = r.normal(size=(1, 785))
    return [repr(float(v))[:10] for v in x[0, :5]]


def test_hidden_inputs_do_not_reach_feedback_through_prints_or_exceptions(course, tmp_path):
    submit(course, "snoop", {"np_linear": SNOOP})
    result = grade(course, "snoop")
    generate_feedback(course, ASSIGNMENT, "snoop")
    assert "test_np_linear" in result.failed, "the hidden tests must have called the function (and failed)"
    page = (course / "feedback" / "snoop" / ASSIGNMENT / NOTEBOOK.replace(".ipynb", ".html")).read_text()
    csv_text = write_grades_csv([result], tmp_path / "grades.csv").read_text()
    nb = nbformat.read(course / "autograded" / "snoop" / ASSIGNMENT / NOTEBOOK, as_version=4)
    test_outputs = [json.dumps(cell.get("outputs", [])) for cell in nb.cells
                    if cell.metadata.get("nbgrader", {}).get("grade")]
    # What the grader wrote about the tests holds nothing the function printed or raised...
    for text in [csv_text, *result.messages.values(), *test_outputs]:
        assert LEAK not in text, text[:500]
    # ...and no hidden input is anywhere in the page. (The learner's own cells
    # may print what they like: they run on the course's public data.)
    hidden = _hidden_inputs()   # the grader set NN_GRADING_SEED to the course's seed in this process
    assert all(len(value) == 10 for value in hidden)
    assert not [value for value in hidden if any(value in text for text in [page, csv_text, *test_outputs])]


GRADE_AND_MEASURE = """
import resource, sys
from grading_helpers import grade
result = grade(__import__("pathlib").Path(sys.argv[1]), "huge")
print(sorted(result.failed))
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def test_a_1gb_answer_costs_points_not_the_graders_memory(course):
    """The grading process's peak memory stays far below the 1 GB answer.

    Graded in a fresh process, so that its peak (``ru_maxrss``: the grader
    itself, not the sandboxed kernel, which is another process) is this
    submission's alone.
    """
    submit(course, "huge", {"np_softmax": HUGE})
    done = subprocess.run([sys.executable, "-c", GRADE_AND_MEASURE, str(course)], cwd=Path(__file__).parent,
                          env=dict(os.environ, PYTHONPATH=str(Path(__file__).parent)),
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    failed, peak_mb = done.stdout.strip().splitlines()[-2:]
    assert {"test_softmax_rows", "test_softmax_stable", "test_softmax_values"} <= set(ast.literal_eval(failed))
    print(f"grader peak RSS: {peak_mb} MB")
    assert int(peak_mb) < 700, f"the grader peaked at {peak_mb} MB while a submission returned a 1 GB array"
