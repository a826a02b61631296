"""The student pack's self-check: a notebook's visible tests, run the way Run All runs them.

The pack has no hidden tests, so this check scores what it can: every test
cell of the notebook, in a fresh kernel started in the notebook's folder, as
nbgrader would score it (an error or a write to stderr fails the test). What a
person grades (written answers) is listed, not scored.

Only the cells the tests need are run: the setup cell, every cell the learner
writes (solutions), every test, and each other cell that defines or changes a
name one of those reads (found from the code, statement by statement).
Figures, timings and explorations are skipped: they cost seconds and grade
nothing.

A cell other than a test that raises is reported by itself ("the setup cell
failed: ..."), and a test that then fails with a ``NameError`` is reported as
not run because of it, not as its own mistake.
"""

import ast
import builtins
import os
from dataclasses import dataclass, field
from pathlib import Path

from autograder.learner.report import CheckReport, TestRow

#: Per cell; a cell that runs longer loops forever as far as the learner is concerned.
CELL_TIMEOUT_SECONDS = 300
#: In the kernel the check starts: the notebook's self-check cell sees it and does nothing.
INSIDE_CHECK = "NN_SELF_CHECK"
#: The check's kernel: figures are made but not rendered to PNG (``%matplotlib inline``
#: would draw every one at the end of its cell, a second or more for nothing graded).
KERNEL_ARGUMENTS = ("--InlineBackend.figure_formats=set()",)
_BUILTINS = set(dir(builtins))
#: The call in a notebook's last cell (it runs the check from inside the notebook).
SELF_CHECK_CALL = "check_this_notebook("


@dataclass
class _CellCode:
    """Names a code cell reads before setting them, sets, and changes in place."""

    free: set = field(default_factory=set)
    stores: set = field(default_factory=set)
    touches: set = field(default_factory=set)
    parsed: bool = True


def _root_name(node):
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef,
           ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _names(node):
    """``(loads, stores)`` of ``node`` in the cell's own scope.

    A function, class or comprehension inside adds what it reads from outside
    (its parameters and locals are its own), and stores only its name.
    """
    loads, stores = set(), set()

    def visit(n):
        if isinstance(n, _SCOPES):
            inner_loads, inner_stores = set(), set()
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                for default in n.args.defaults + [d for d in n.args.kw_defaults if d is not None]:
                    visit(default)
                inner_stores |= {a.arg for a in ast.walk(n.args) if isinstance(a, ast.arg)}
                body = n.body if isinstance(n.body, list) else [n.body]
            elif isinstance(n, ast.ClassDef):
                for base in n.bases:
                    visit(base)
                body = n.body
            else:
                body = [n.elt] if hasattr(n, "elt") else [n.key, n.value]
                for generator in n.generators:
                    visit(generator.iter)
                    body += [generator.target] + generator.ifs
            for decorator in getattr(n, "decorator_list", ()):
                visit(decorator)
            for statement in body:
                l, s = _names(statement)
                inner_loads |= l
                inner_stores |= s
            loads.update(inner_loads - inner_stores)
            if hasattr(n, "name"):
                stores.add(n.name)
            return
        if isinstance(n, ast.Name):
            (stores if isinstance(n.ctx, (ast.Store, ast.Del)) else loads).add(n.id)
        elif isinstance(n, ast.alias):
            stores.add((n.asname or n.name).split(".")[0])
        elif isinstance(n, ast.Global):
            stores.update(n.names)
        for child in ast.iter_child_nodes(n):
            visit(child)

    visit(node)
    return loads, stores


def cell_code(source):
    """What ``source`` (one code cell) reads, sets and changes, statement by statement."""
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    code = _CellCode()
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        code.parsed = False
        return code
    for statement in tree.body:
        loads, stores = _names(statement)
        if isinstance(statement, ast.AugAssign):
            loads |= stores
        # `model.fit(X)`, `params[0] = 1`, `history.append(...)` change an object made earlier.
        targets = getattr(statement, "targets", None) or [getattr(statement, "target", None)]
        for target in targets:
            if isinstance(target, (ast.Attribute, ast.Subscript)):
                code.touches.add(_root_name(target))
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call) \
                and isinstance(statement.value.func, ast.Attribute):
            code.touches.add(_root_name(statement.value.func))
        code.free |= loads - code.stores - _BUILTINS
        code.stores |= stores
    code.touches.discard(None)
    return code


def _is_test(cell):
    meta = cell.metadata.get("nbgrader", {})
    return cell.cell_type == "code" and meta.get("grade") and not meta.get("solution")


def cells_to_run(nb):
    """Indices of the code cells the tests need, in notebook order (see the module docstring)."""
    code_cells = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code"]
    needed, keep = set(), []
    for i in reversed(code_cells):
        cell = nb.cells[i]
        if SELF_CHECK_CALL in cell.source:
            continue
        code = cell_code(cell.source)
        meta = cell.metadata.get("nbgrader", {})
        always = i == code_cells[0] or meta.get("solution") or meta.get("grade") or not code.parsed
        if always or (code.stores | code.touches) & needed:
            keep.append(i)
            needed = (needed - code.stores) | code.free
    return sorted(keep)


def _first_line(source):
    line = next((line.strip() for line in source.splitlines() if line.strip()), "")
    return line if len(line) <= 60 else line[:57] + "..."


def _cell_label(nb, index):
    cell = nb.cells[index]
    meta = cell.metadata.get("nbgrader", {})
    if index == next(i for i, c in enumerate(nb.cells) if c.cell_type == "code"):
        return "the setup cell (the first code cell)"
    if meta.get("solution"):
        return f"your cell {meta.get('grade_id')}"
    return f"the cell that starts {_first_line(cell.source)!r}"


def _error_text(output):
    if output.ename == "CheckFailure":
        return output.evalue
    return f"{output.ename}: {output.evalue}" if output.evalue else output.ename


def _cell_failure(nb, index, output):
    label = _cell_label(nb, index)
    text = f"{label} failed: {_error_text(output)}".rstrip(".")
    if label.startswith("the setup cell"):
        text += (". Nothing below can run without it. Start JupyterLab from the course's .venv as the "
                 "README says (that Python has the course installed), then run the notebook from the top.")
    elif output.ename == "NotImplementedError":
        text += ". It calls a function you have not written yet; it runs once you have."
    return text


def _score(cell, outputs):
    """nbgrader's rule: an error or stderr scores 0, a number as the result is partial credit, else full."""
    points = float(cell.metadata["nbgrader"].get("points", 0))
    for output in outputs:
        if output.output_type == "error":
            return 0.0, _error_text(output), output.ename
        if output.output_type == "stream" and output.name == "stderr":
            first = (output.text.strip().splitlines() or [""])[0]
            return 0.0, f"the test cell wrote to stderr, which the grader counts as a failure: {first}", None
    for output in outputs:
        if output.output_type == "execute_result":
            try:
                return min(points, float(output.data.get("text/plain", ""))), "", None
            except ValueError:
                pass
    return points, "", None


def check_notebook(notebook_path):
    """Run the visible tests of a learner's notebook and score them.

    Parameters
    ----------
    notebook_path : path
        A released notebook, saved, in its assignment folder.

    Returns
    -------
    CheckReport
        ``hidden`` is False: the pack has no hidden tests.

    Raises
    ------
    ValueError
        If the file is not a notebook, with what to do.
    """
    from jupyter_client.manager import KernelManager

    path = Path(notebook_path).resolve()
    if not path.is_file():
        raise ValueError(f"{path} does not exist")
    # The kernel starts first: it boots (about as long as the rest of the check
    # takes) while this process imports nbformat and plans the cells to run.
    kernel = KernelManager(kernel_name="python3")
    kernel.start_kernel(cwd=str(path.parent), extra_arguments=list(KERNEL_ARGUMENTS),
                        env={**os.environ, INSIDE_CHECK: "1", "MPLBACKEND": "agg"})
    try:
        import nbformat
        from nbclient import NotebookClient

        try:
            nb = nbformat.read(path, as_version=4)
        except Exception as err:  # nbformat raises several unrelated types for bad files
            raise ValueError(f"{path} is not a readable notebook ({type(err).__name__}). Open it in JupyterLab to "
                             "repair it, or copy your code into a fresh copy of the notebook.") from None
        run = cells_to_run(nb)
        to_execute = nbformat.v4.new_notebook(metadata=nb.metadata)
        to_execute.cells = [nbformat.v4.new_code_cell(nb.cells[i].source) for i in run]
        # "immediate": the kernel is killed at the end, not asked to exit (which
        # waits for it to tidy up: up to seconds on a busy machine).
        client = NotebookClient(to_execute, km=kernel, timeout=CELL_TIMEOUT_SECONDS, allow_errors=True,
                                shutdown_kernel="immediate")
        client.execute(cleanup_kc=True)
    finally:
        if kernel.has_kernel:  # the notebook could not be read, or the run was interrupted
            kernel.shutdown_kernel(now=True)
    outputs = {i: executed.outputs for i, executed in zip(run, to_execute.cells)}

    report = CheckReport(path.name)
    for i, cell in enumerate(nb.cells):
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and meta.get("solution"):
            report.rows.append(TestRow(meta["grade_id"], 0.0, float(meta.get("points", 0)), manual=True))
        elif _is_test(cell):
            points, message, ename = _score(cell, outputs.get(i, []))
            if ename == "NameError" and report.cell_failures:
                message = ("did not run: a cell above failed first (listed at the top); "
                           "fix it, then check again")
            report.rows.append(TestRow(meta["grade_id"], points, float(meta.get("points", 0)), message=message))
        elif i in outputs:
            error = next((o for o in outputs[i] if o.output_type == "error"), None)
            # A NameError after a failed cell is that cell's doing: it is listed already.
            if error is not None and not (error.ename == "NameError" and report.cell_failures):
                report.cell_failures.append(_cell_failure(nb, i, error))
    return report
