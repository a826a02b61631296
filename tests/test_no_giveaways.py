"""No released notebook hands out what an assignment grades.

The rules, checked on the student release (``notebooks/``) of every assignment:

1. **Graded names.** A *graded name* is a name that a solution cell of an
   instructor notebook binds (``def``, ``class``, ``=``) and that a test cell of
   that notebook, visible or hidden, or a locked helper the tests call, uses: ``sigmoid``, ``nnCost``,
   ``computeNumericalGradient``, ``wrong_costs``... A solution cell that no test
   uses (an ungraded extension) grades nothing.
2. **No provided definitions.** No cell the learner does not write (provided
   code and the visible part of test cells) binds a graded name of *any*
   assignment, at any depth: not by ``def``, ``class``, assignment (a
   ``lambda`` included) nor import. Assignment 2 providing ``sigmoid`` while
   assignment 3 grades it is the case this rule exists for.
3. **No graded statement copied.** No such cell contains a statement (an
   assignment, augmented assignment, return or expression, at least
   ``MIN_STATEMENT`` characters once spaces are removed) that also occurs in a
   solution cell that binds a graded name: a working loop or formula renamed is
   still the answer.
4. **No finite-difference quotient in a visible test.** A visible test of
   ``computeNumericalGradient`` that computes ``(J(a) - J(b)) / step`` itself
   contains most of the algorithm it grades; tests get their finite
   differences from closed forms, or from the grader's hidden part.
5. **No course helper that equals a graded function** is imported into a
   released notebook, and the course modules no longer define the ones that
   did: a public ``course.gradient_check.numerical_gradient`` was
   ``computeNumericalGradient`` under another name, and
   ``course.backprop_steps.step_references`` returned ``nnBackprop``'s tensors,
   and so did their private successors ``_central_differences`` and
   ``_step_references``. Finite differences now stay inside helpers that return
   relative errors.

What these rules cannot decide, a reviewer still must: a differently written
re-implementation of a graded function in provided code passes rules 2 and 3.
"""

import ast
import functools
import re
import textwrap

import nbformat
import pytest
from conftest import REPO_ROOT

from autograder.settings import RELEASE_DIR, SOURCE_DIR

MIN_STATEMENT = 30
#: course helpers that compute what a graded function computes: helper -> graded name
EQUIVALENT_HELPERS = {"numerical_gradient": "computeNumericalGradient", "step_references": "nnBackprop",
                      "_central_differences": "computeNumericalGradient", "_step_references": "nnBackprop"}
SOLUTION_BLOCK = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)
HIDDEN_BLOCK = re.compile(r"### BEGIN HIDDEN TESTS\n.*?### END HIDDEN TESTS\n?", re.S)


def _meta(cell):
    return cell.metadata.get("nbgrader", {})


def _python(source):
    """The cell's source as Python: IPython magics and shell escapes dropped."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


def _tree(source):
    return ast.parse(_python(source))


def bound_names(tree):
    """Every name a tree binds: def, class, assignment targets, imports, at any depth."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.NamedExpr, ast.For)):
            for target in ([node.target] if not isinstance(node, ast.Assign) else node.targets):
                names |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
    return names


def top_level_names(tree):
    """Names bound by the module's own statements (not inside functions)."""
    names = set()
    for node in tree.body:
        names |= bound_names(ast.Module(body=[node], type_ignores=[])) if not isinstance(
            node, (ast.FunctionDef, ast.ClassDef)) else {node.name}
    return names


def used_names(tree):
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}


def statements(tree):
    """Normalised simple statements: their source without spaces, long enough to mean something."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Return, ast.Expr)):
            text = re.sub(r"\s+", "", ast.unparse(node))
            if len(text) >= MIN_STATEMENT and not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
                out.add(text)
    return out


def difference_quotients(tree):
    """``(f(a) - f(b)) / step`` expressions (a call's result may be indexed, ``f(a)[0]``)."""
    def evaluation(node):
        while isinstance(node, ast.Subscript):
            node = node.value
        return isinstance(node, ast.Call)
    return [ast.unparse(node) for node in ast.walk(tree)
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div) and isinstance(node.left, ast.BinOp)
            and isinstance(node.left.op, ast.Sub) and evaluation(node.left.left) and evaluation(node.left.right)]


@functools.lru_cache(maxsize=4)
def graded(root):
    """(graded names, statements of the solution cells that define them) over all assignments under root."""
    names, solution_statements = set(), set()
    for path in sorted((root / SOURCE_DIR).glob("*/*.ipynb")):
        cells = nbformat.read(path, as_version=4).cells
        # test cells, and the locked helpers they call (wrong_costs is read through one)
        tests = [c for c in cells if c.cell_type == "code" and not _meta(c).get("solution")
                 and (_meta(c).get("grade") or _meta(c).get("locked"))]
        used = set().union(*(used_names(_tree(c.source)) for c in tests)) if tests else set()
        for cell in cells:
            if cell.cell_type == "code" and _meta(cell).get("solution"):
                tree = _tree(cell.source)
                mine = top_level_names(tree) & used
                if mine:
                    names |= mine
                    for block in SOLUTION_BLOCK.findall(cell.source) or [cell.source]:
                        block = textwrap.dedent(block)          # a solution inside a def is indented
                        solution_statements |= statements(_tree(block)) if _parses(block) else set()
    return names, solution_statements


def _parses(source):
    try:
        ast.parse(source)
    except SyntaxError:
        return False
    return True


@functools.lru_cache(maxsize=4)
def violations(root):
    """Every breach of the rules in the release under ``root``, as readable strings."""
    names, solution_statements = graded(root)
    found = []
    for path in sorted((root / RELEASE_DIR).glob("*/*.ipynb")):
        for index, cell in enumerate(nbformat.read(path, as_version=4).cells):
            meta = _meta(cell)
            if cell.cell_type != "code" or meta.get("solution"):
                continue
            where = f"{path.parent.name} cell {index} ({meta.get('grade_id', 'provided')})"
            tree = _tree(HIDDEN_BLOCK.sub("", cell.source))
            for name in sorted(bound_names(tree) & names):
                found.append(f"{where} defines the graded name {name!r}")
            for statement in sorted(statements(tree) & solution_statements):
                found.append(f"{where} contains a statement of a graded solution: {statement}")
            for helper in sorted(bound_names(tree) & set(EQUIVALENT_HELPERS)):
                found.append(f"{where} imports {helper}, which is the graded {EQUIVALENT_HELPERS[helper]}")
            if meta.get("grade"):
                for quotient in difference_quotients(tree):
                    found.append(f"{where}: a visible test computes a finite difference itself: {quotient}")
    return tuple(found)


def test_graded_names_are_found_in_every_assignment():
    names, solution_statements = graded(REPO_ROOT)
    assert {"computeNumericalGradient", "relative_error", "wrong_costs", "sigmoid", "sigmoidGradient",
            "nnCost", "predict"} <= names
    assert len(solution_statements) > 20


@pytest.mark.parametrize("assignment", sorted(p.name for p in (REPO_ROOT / RELEASE_DIR).iterdir() if p.is_dir()))
def test_no_released_cell_hands_out_a_graded_function(assignment):
    found = [v for v in violations(REPO_ROOT) if v.startswith(assignment)]
    assert not found, "\n".join(found)


def test_no_course_module_defines_a_helper_equal_to_a_graded_function():
    import importlib
    for module in ("course.gradient_check", "course.backprop_steps", "course.data", "course.plots"):
        defined = set(vars(importlib.import_module(module)))
        assert not defined & set(EQUIVALENT_HELPERS), (module, defined & set(EQUIVALENT_HELPERS))


def test_the_rules_catch_each_kind_of_giveaway():
    # Each rule on a minimal example, so that a rule that stopped working fails here.
    assert "sigmoid" in bound_names(_tree("def sigmoid(z):\n    return z"))
    assert "sigmoid" in bound_names(_tree("sigmoid = lambda z: z"))
    assert "relative_error" in bound_names(_tree("from somewhere import relative_error"))
    assert "inner" in bound_names(_tree("def outer():\n    def inner():\n        pass"))
    assert difference_quotients(_tree("g = (c(t + e) - c(t - e)) / (2 * e)"))
    assert difference_quotients(_tree("g = (J(t + e)[0] - J(t - e)[0]) / (2 * e)"))
    assert not difference_quotients(_tree("r = (a - b) / c"))
    assert statements(_tree("delta2 = (delta3 @ Theta2[:, 1:]) * sigmoidGradient(z2)")) == \
        statements(_tree("delta2 = ((delta3 @ Theta2[:, 1:]))*sigmoidGradient( z2 )"))
