"""Every number typed in a notebook's prose is printed by one of its cells.

A number in the markdown is a claim ("about 86%", "climbs to about 75"); it
must appear in some output of the executed reference notebook, allowing for
rounding: "86%" matches 0.8612 and 86.1%, "0.1" matches 0.1, "about 75" matches
74.7. The reference notebook is executed once per test run and shared with
`test_notebooks.py` (see `executed_notebooks.py`).

What is not a claim, and why each rule is narrow:

* code, in backticks or fenced blocks: `axis=1` is code, not a measurement;
* link targets and URLs: addresses, not numbers;
* whole numbers inside LaTeX: equation constants ($e^0 = 1$, $28 \\times 28$);
  a decimal inside LaTeX ($\\ln 10 \\approx 2.303$) is still checked, and so is a
  number in scientific notation ($2.2\\times10^{-16}$ is the claim 2.2e-16);
* list and heading numbering ("1. **Initial loss.**", "## 5. The gradient");
* references to parts of a text ("section 3", "question 2", "chapter 6",
  "assignment 2", "step 1", "cell 43"), lists of them included ("sections 10,
  13 and 14");
* years (1900-2099 written without a thousands separator), as in citations;
* "(5 points)": checked against the points of the notebook's graded cells instead.

Numbers written in words ("about three hours") are not read; use words only
for what no cell can print.
"""

import math
import re

import pytest
from conftest import REPO_ROOT
from executed_notebooks import executed

from autograder.settings import SOURCE_DIR

NUMBER = re.compile(r"""
    (?<![\w.])                          # not inside a word (CS231n) or after a decimal point
    (?P<number>\d{1,3}(?:,\d{3})+(?:\.\d+)?      # 4,000
              |\d+(?:\.\d+)?(?:[eE][-+\u2212]?\d+)?)  # 86, 0.8612, 1e-8
    (?P<percent>\s?%)?
    (?![\w])
""", re.VERBOSE)
APPROXIMATE = re.compile(r"(about|around|near|nearly|roughly|approximately|~|\u2248)\s*\$?\s*$", re.IGNORECASE)
_PART_NUMBER = r"\d+(?:\.\d+)*(?!,?\d)"          # 3, 6.2; never the 4 of "4,000"
REFERENCE = re.compile(r"\b(sections?|chapters?|questions?|assignments?|cells?|parts?|steps?|exercises?|figures?)"
                       rf"\s+{_PART_NUMBER}(?:\s*(?:,|and|or|to|-|\u2013)\s*{_PART_NUMBER})*", re.IGNORECASE)
# 2.2 \times 10^{-16} in LaTeX is the number 2.2e-16
LATEX_SCIENTIFIC = re.compile(r"(\d+(?:\.\d+)?)\s*\\times\s*10\^\{?([-+\u2212]?\d+)\}?")
POINTS = re.compile(r"\((\d+)\s+points?\)")
YEAR = re.compile(r"(?<![\d,.])(19|20)\d\d(?![\d,.])")


def _strip_math(text):
    """Drop LaTeX math, keeping its decimals (2.303) and scientific numbers (2.2e-16); integers there are constants."""
    def decimals(match):
        math = match.group(0)
        scientific = [f"{m.group(1)}e{m.group(2)}" for m in LATEX_SCIENTIFIC.finditer(math)]
        return " ".join(scientific + re.findall(r"\d+\.\d+", LATEX_SCIENTIFIC.sub(" ", math))) or " "
    text = re.sub(r"\$\$.*?\$\$", decimals, text, flags=re.DOTALL)
    return re.sub(r"\$[^$\n]+\$", decimals, text)


def prose_claims(markdown):
    """The numbers of one markdown cell that must be printed, with the points it states.

    Returns
    -------
    claims : list of (str, float, int, bool, bool)
        For each number: its text, its value, its number of decimals (negative
        for trailing zeros of an approximate whole number), whether it is a
        percentage, and whether an "about" precedes it.
    points : list of int
        The N of each "(N points)".
    """
    text = re.sub(r"```.*?```", " ", markdown, flags=re.DOTALL)
    text = re.sub(r"`[^`\n]*`", " ", text)
    text = re.sub(r"\]\([^)]*\)", "]", text)
    text = re.sub(r"https?://\S+", " ", text)
    text = _strip_math(text)
    points = [int(n) for n in POINTS.findall(text)]
    text = POINTS.sub(" ", text)
    text = REFERENCE.sub(" ", text)
    text = re.sub(r"^\s*(#+\s*)?\d+\.\s", " ", text, flags=re.MULTILINE)
    text = YEAR.sub(" ", text)
    claims = []
    for match in NUMBER.finditer(text):
        raw = match.group("number").replace(",", "")
        approximate = bool(APPROXIMATE.search(text[max(0, match.start() - 20):match.start()]))
        mantissa, _, exponent = raw.lower().replace("\u2212", "-").partition("e")
        decimals = len(mantissa.partition(".")[2]) - (int(exponent) if exponent else 0)
        if approximate and "." not in mantissa and not exponent:
            decimals = -(len(mantissa) - len(mantissa.rstrip("0")))   # "about 90": to the ten
        claims.append((match.group(0).strip(), float(raw.replace("\u2212", "-")), decimals,
                       bool(match.group("percent")), approximate))
    return claims, points


def output_numbers(nb):
    """(value, is_percent) for every number a cell prints or returns.

    Only stdout and the value of a cell's last expression count: stderr holds
    progress bars (their rates and timings would match claims by chance), and
    displays are figures and widgets.
    """
    found = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.output_type == "stream" and output.name == "stdout":
                text = output.text
            elif output.output_type == "execute_result":
                text = output.get("data", {}).get("text/plain", "")
            else:
                continue
            for match in NUMBER.finditer(text):
                found.append((float(match.group("number").replace(",", "")), bool(match.group("percent"))))
    return found


def is_printed(value, decimals, percent, printed):
    """Whether ``value``, given to ``decimals`` decimals, rounds from one of the printed numbers.

    A percentage matches a printed percentage or a printed fraction (86% and
    0.8612); a plain number matches a printed number or a printed percentage
    as a fraction (0.86 and 86.1%). Signs are ignored: prose says "falls by 3".
    """
    tolerance = 0.5 * 10.0 ** (-decimals) * (1 + 1e-9)
    for number, number_is_percent in printed:
        if percent:
            candidates = [number] if number_is_percent else [number * 100]
        else:
            candidates = [number / 100] if number_is_percent else [number]
        if any(abs(abs(c) - abs(value)) <= tolerance for c in candidates if math.isfinite(c)):
            return True
    return False


def unprinted_claims(nb):
    """Messages for the numbers of the prose that no output shows, and for wrong point counts."""
    printed = output_numbers(nb)
    graded_points = {cell.metadata["nbgrader"].get("points") for cell in nb.cells
                     if cell.metadata.get("nbgrader", {}).get("grade")}
    problems = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        claims, points = prose_claims(cell.source)
        problems += [f"cell {index}: '({n} points)' but no graded cell is worth {n}"
                     for n in points if n not in graded_points]
        problems += [f"cell {index}: {text!r} is not printed by any cell"
                     for text, value, decimals, percent, _ in claims
                     if not is_printed(value, decimals, percent, printed)]
    return problems


NOTEBOOKS = sorted((REPO_ROOT / SOURCE_DIR).glob("*/*.ipynb"))


def _case(path):
    return pytest.param(path, marks=[pytest.mark.slow], id=path.parent.name)


@pytest.mark.parametrize("path", [_case(p) for p in NOTEBOOKS])
def test_every_number_in_the_prose_is_printed_by_a_cell(path, tmp_path_factory):
    nb, _ = executed(path, tmp_path_factory)
    problems = unprinted_claims(nb)
    assert not problems, "\n".join(problems)


def readme_rows(readme):
    """``{assignment folder: its row}`` of the README's table of assignments."""
    return dict(re.findall(r"^\| `(\d\d_\w+)` \|(.*)$", readme, flags=re.MULTILINE))


@pytest.mark.parametrize("path", [_case(p) for p in NOTEBOOKS])
def test_every_number_of_the_readme_row_is_printed_by_its_notebook(path, tmp_path_factory):
    row = readme_rows((REPO_ROOT / "README.md").read_text())[path.parent.name]
    nb, _ = executed(path, tmp_path_factory)
    printed = output_numbers(nb)
    unprinted = [text for text, value, decimals, percent, _ in prose_claims(row)[0]
                 if not is_printed(value, decimals, percent, printed)]
    assert not unprinted, f"README.md, row {path.parent.name}: not printed by its notebook: {unprinted}"


# The rules themselves, on small made-up cells.

def _claims(markdown):
    return [text for text, *_ in prose_claims(markdown)[0]]


def test_code_links_math_integers_numbering_references_and_years_are_not_claims():
    markdown = ("## 5. The gradient\n1. **Initial loss.** Use `axis=1` and see [CS231n](https://cs231n.github.io/a2), "
                "section 3, Question 2, chapter 6.2 and (Bishop 2006). $e^0 = 1$, $28 \\times 28$.")
    assert _claims(markdown) == []


def test_lists_of_references_are_not_claims_but_a_number_after_them_is():
    assert _claims("Using the cells of sections 10, 13 and 14: see steps 2-3 or 5.") == []
    assert _claims("section 3 and 4,000 images") == ["4,000"]


def test_scientific_notation_in_math_is_one_claim():
    claims = prose_claims("$\\epsilon$ is $2.2\\times10^{-16}$ in float64 and $1.2 \\times 10^{-7}$ in float32")[0]
    assert [(text, value, decimals) for text, value, decimals, *_ in claims] == [
        ("2.2e-16", 2.2e-16, 17), ("1.2e-7", 1.2e-7, 8)]
    assert is_printed(2.2e-16, 17, False, [(2.220446049250313e-16, False)])
    assert not is_printed(2.2e-16, 17, False, [(2.2, False)])


def test_decimals_in_math_percentages_and_separators_are_claims():
    claims = prose_claims("$\\ln 10 \\approx 2.303$; about 86% of 4,000 images; 1e-8; (5 points)")
    assert [(text, value) for text, value, *_ in claims[0]] == [
        ("2.303", 2.303), ("86%", 86.0), ("4,000", 4000.0), ("1e-8", 1e-8)]
    assert claims[1] == [5]


@pytest.mark.parametrize("markdown, printed, expected", [
    ("86%", [(0.8612, False)], True),
    ("86%", [(86.1, True)], True),
    ("86%", [(0.8712, False)], False),
    ("0.1", [(0.1, False)], True),
    ("about 75", [(74.7, False)], True),
    ("75", [(74.4, False)], False),
    ("about 90", [(91.9, False)], True),        # to the ten
    ("90", [(91.9, False)], False),
    ("2.303", [(2.3026, False)], True),
    ("1e-8", [(1e-08, False)], True),
    ("0.898", [(89.8, True)], True),
])
def test_a_claim_matches_a_printed_number_up_to_its_rounding(markdown, printed, expected):
    (_, value, decimals, percent, _), = prose_claims(markdown)[0]
    assert is_printed(value, decimals, percent, printed) is expected


def test_readme_rows_are_found_by_folder():
    readme = "| folder | you write |\n|---|---|\n| `01_softmax_regression` | `np_linear` | 86% |\n"
    assert readme_rows(readme) == {"01_softmax_regression": " `np_linear` | 86% |"}


def test_an_unprinted_number_and_a_wrong_point_count_are_reported():
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("It reaches 91% (10 points)."),
        nbformat.v4.new_code_cell("print(0.86)", metadata={"nbgrader": {"grade": True, "points": 5}}, outputs=[
            nbformat.v4.new_output("stream", text="0.86\n"),
            nbformat.v4.new_output("stream", name="stderr", text="91%|###")]),   # a progress bar is no claim
    ])
    assert unprinted_claims(nb) == ["cell 0: '(10 points)' but no graded cell is worth 10",
                                    "cell 0: '91%' is not printed by any cell"]
