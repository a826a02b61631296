"""The instructor's report: its statistics, its copy detection, and a page that runs nothing a learner wrote."""

import numpy as np
import pytest

from autograder.grading.code_similarity import code_tokens, learner_part, nontrivial, shingles, similarity, solution_part
from autograder.grading.item_report import (InstructorReport, SimilarPair, ItemStats, histogram, histogram_svg,
                                    point_biserial, render_html)
from browser import browser, screenshot


def test_point_biserial_is_the_correlation_of_item_and_total():
    item = [0, 0, 1, 1, 1, 0, 1]
    total = [20, 35, 80, 95, 70, 40, 60]
    assert point_biserial(item, total) == pytest.approx(np.corrcoef(item, total)[0, 1])
    assert point_biserial([1, 1, 1], [10, 20, 30]) is None      # everyone passed: no spread to correlate
    assert point_biserial([0, 1], [0, 1]) is None                # too few to say


def test_histogram_bins_span_zero_to_the_maximum():
    assert histogram([0, 9.9, 10, 55, 100, 100], 100, bins=10) == [2, 1, 0, 0, 0, 1, 0, 0, 0, 2]


def test_the_histogram_is_drawn_the_same_every_time_from_numbers_alone():
    svg = histogram_svg([1, 0, 3], 90)
    assert svg == histogram_svg([1, 0, 3], 90)
    assert svg.startswith("<svg") and svg.count("<rect") == 3 and "<script" not in svg


def test_a_one_line_solution_is_trivial_and_a_longer_one_is_not():
    one_liner = solution_part("def f(x, a):\n    ### BEGIN SOLUTION\n    return x @ a.T\n    ### END SOLUTION")
    assert one_liner.strip() == "return x @ a.T" and not nontrivial(one_liner)
    assert nontrivial("shifted = l - np.max(l, axis=1, keepdims=True)\nexps = np.exp(shifted)\n"
                      "return exps / np.sum(exps, axis=1, keepdims=True)")


def test_renamed_variables_and_new_comments_do_not_hide_a_copy():
    a = "total = 0.0\nfor i in range(len(y)):\n    total -= np.log(p[i, y[i]])  # sum\nreturn total / len(y)"
    b = "# mine\nacc = 0.0\nfor k in range(len(y)):\n    acc -= np.log(p[k, y[k]])\nreturn acc / len(y)"
    assert code_tokens(a, rename=True) == code_tokens(b, rename=True)
    assert code_tokens(a) != code_tokens(b)
    assert similarity(shingles(code_tokens(a, rename=True)), shingles(code_tokens(b, rename=True))) == 1.0
    other = "return -np.mean(np.log(p[np.arange(len(y)), y]))"
    assert similarity(shingles(code_tokens(a, rename=True)), shingles(code_tokens(other, rename=True))) < 0.2


def test_every_pair_of_a_large_class_is_compared_fast_and_only_copies_are_flagged():
    import random
    import time

    from autograder.grading.item_report import _similar_pairs

    def code(seed):
        r = random.Random(seed)
        return "\n".join(f"v{j} = x[{r.randint(0, 9)}] {r.choice('+-*/')} np.sum(a[{r.randint(0, 9)}], axis={r.randint(0, 1)})"
                         for j in range(12)) + "\nreturn v0"

    handins = {f"s{i:03d}": ({f"cell{c}": code(i * 10 + c) for c in range(6)}, f"digest{i}") for i in range(200)}
    handins["s199"] = (dict(handins["s000"][0]), "another file")
    started = time.perf_counter()
    pairs = _similar_pairs(handins, {})
    assert time.perf_counter() - started < 30       # 19,900 pairs; about 2 s on an idle core
    assert [p.students for p in pairs] == [["s000", "s199"]]


def test_the_learner_part_leaves_out_the_template():
    template = 'def f(x):\n    """Doc."""\n    # YOUR CODE HERE\n    raise NotImplementedError()'
    assert learner_part('def f(x):\n    """Doc."""\n    return x + 1', template) == "    return x + 1"


HOSTILE = '<img src=x onerror="document.title=\'pwned\'"><script>document.title="pwned"</script>'


def _hostile_report():
    return InstructorReport(
        "01_softmax_regression",
        [{"student": "ada", "name": HOSTILE, "score": 90.0, "max_score": 100.0, "pending": [],
          "flags": ["renamed \x1b]8;;https://evil.example\x07x.ipynb"]},
         {"student": "bob", "name": "Bob", "score": 40.0, "max_score": 100.0, "pending": ["written_dlogits"],
          "flags": []}],
        [["eve", HOSTILE]],
        [ItemStats("test_np_softmax", 10.0, False, 2, 0.5, None, HOSTILE, 1)],
        histogram([90, 40], 100), 100.0, [SimilarPair(["ada", "bob"], 0.95, ["np_softmax"])], {"ada": ["np_softmax"]})


def test_the_report_page_escapes_everything_a_learner_wrote():
    page = render_html(_hostile_report())
    assert "<script>" not in page and "<img src=x" not in page and "\x1b" not in page
    assert "&lt;script&gt;" in page and "Content-Security-Policy" in page


def test_the_report_page_runs_nothing_in_chromium():
    page_html = render_html(_hostile_report())
    with browser() as b:
        page = b.new_page()
        dialogs = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.set_content(page_html)
        page.wait_for_timeout(300)
        assert page.title() == "Instructor report: 01_softmax_regression"
        assert not dialogs and page.locator("script, img").count() == 0
        assert "<script>" in page.inner_text("body")          # shown as the text it is
        assert page.locator("svg rect").count() == 10
        screenshot(page, "instructor-report-hostile")
