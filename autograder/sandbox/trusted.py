"""nbgrader's execute step, redone so that no learner code decides a verdict.

Stock nbgrader runs every cell, tests included, in the learner's kernel and
scores a test by whether that kernel printed an error; code in a submission can
arrange for it not to. :class:`TrustedExecute` replaces nbgrader's ``Execute``
preprocessor: learner cells run in a sandboxed kernel (:mod:`autograder.sandbox.kernel`),
while test cells, in the instructor's version that nbgrader restored from the
gradebook, run in this process (:mod:`autograder.sandbox.remote`). The outputs written
into each test cell are the grader's own, so nbgrader's ``SaveAutoGrades`` then
scores them as usual and the gradebook, formgrader and feedback work unchanged.

Next to each autograded notebook it writes ``<notebook>.grading.json``: every
test with its verdict and message, flags for the instructor (time limit,
memory, disk, a dead kernel, cut output, code that looks like tampering), and
how it was graded (:class:`autograder.sandbox.provenance.GradingRecord`).
"""

import ast
import atexit
import contextlib
import dataclasses
import functools
import io
import json
import os
import re
import secrets
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

import nbformat
import numpy as np
from IPython.core.inputtransformer2 import TransformerManager
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool, Dict, Integer, List, Unicode, default

from autograder.flags import Flag, suspicious
from autograder.learner import checks
from autograder.sandbox import provided
from autograder.sandbox.kernel import SandboxedKernel, SandboxError, bwrap_available
from autograder.sandbox.provenance import GradingRecord, course_version, file_sha256
from autograder.sandbox.remote import KernelLink, TrustedNamespace
from autograder.settings import (
    GRADING_REPORT_SUFFIX,
    SANDBOX_EMPTY,
    SANDBOX_PASS_ENV,
    SANDBOX_READ_ONLY,
    SANDBOX_SYSTEM,
    SOURCE_DIR,
    SandboxConfig,
)

# Code that has no business in a learner's solution; matching it does not change
# a score (the design makes it harmless), it puts a flag in the CSV for a person to look.
SUSPICIOUS = {
    "exception handler hooks": r"set_custom_exc|sys\.excepthook|showtraceback|InteractiveTB",
    "cell event hooks": r"events\.register|post_run_cell|pre_run_cell",
    "grading environment probe": r"NBGRADER_EXECUTION|NN_GRADING_SEED",
    "patched test helpers": r"\bchecks\s*\.\s*\w+\s*=|autograder\.(checks|bridge|remote)|np\.(allclose|isclose|array_equal)\s*=",
    "comparison overrides": r"def\s+__(eq|ne|array_ufunc|array_function|array__|getattr|getattribute)__",
    "process exits": r"os\._exit|sys\.exit|os\.kill|quit\(\)|exit\(\)",
    "gradebook access": r"gradebook|sqlite3",
}


def _nbgrader(cell):
    return cell.metadata.get("nbgrader", {})


def is_test_cell(cell):
    meta = _nbgrader(cell)
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


@functools.lru_cache(maxsize=256)
def _python_source(source):
    """Cell source with IPython magics turned into Python, so ``ast`` can read it.

    Cached: every submission of an assignment has the same provided and test
    cells (nbgrader restores them from the gradebook).
    """
    return TransformerManager().transform_cell(source)


@functools.lru_cache(maxsize=256)
def _compiled_test(source, grade_id):
    return compile(_python_source(source), f"<test {grade_id}>", "exec")


@functools.lru_cache(maxsize=16)
def _definitions(sources):
    """Imports, functions and classes of the instructor's provided cells, as one module.

    These become real objects in the grader before any cell runs: the tests
    use the grader's ``np`` and ``checks``, not whatever the learner's kernel
    calls by those names.
    """
    body = []
    for source in sources:
        try:
            tree = ast.parse(_python_source(source))
        except SyntaxError:
            continue
        body += [node for node in tree.body
                 if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef))]
    return compile(ast.Module(body=body, type_ignores=[]), "<provided cells>", "exec")


def _bound_names(tree):
    """Every name a module's top level binds (assignments, loops, imports, defs), not names local to a def."""
    names = set()

    def visit(node):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            return   # its body's names are its own
        if isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, ast.NamedExpr):
            names.add(node.target.id)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return names


@dataclasses.dataclass(frozen=True)
class InstructorCells:
    """What the instructor's version of a notebook says, read by the grader and by nobody else.

    Attributes
    ----------
    order : tuple of str
        Grade ids of the instructor's cells (locked and test cells), in source order.
    sources : dict
        grade id -> the instructor's source of that cell.
    names : frozenset of str
        Every name an instructor cell binds at its top level: these are the
        grader's, never looked up in the learner's kernel.
    """

    order: tuple
    sources: dict
    names: frozenset
    tests: frozenset = frozenset()

    @property
    def definitions(self):
        """Imports, functions and classes of the provided cells, as one code object (see :func:`_definitions`)."""
        return _definitions(tuple(self.sources[g] for g in self.order if g not in self.tests))

    @classmethod
    def of(cls, nb):
        order, sources, names, tests = [], {}, set(), set()
        for cell in nb.cells:
            meta = _nbgrader(cell)
            if cell.cell_type != "code" or not meta.get("grade_id") or meta.get("solution"):
                continue
            if not (meta.get("locked") or meta.get("grade")):
                continue
            order.append(meta["grade_id"])
            sources[meta["grade_id"]] = cell.source
            if is_test_cell(cell):
                tests.add(meta["grade_id"])
            try:
                names |= _bound_names(ast.parse(_python_source(cell.source)))
            except SyntaxError:
                pass
        return cls(tuple(order), sources, frozenset(names), frozenset(tests))


def instructor_cells(source_notebook, submitted):
    """The :class:`InstructorCells` of ``source_notebook`` (the course's ``source/``), else of ``submitted``.

    nbgrader has already restored the instructor's cells in ``submitted``,
    but where they stand is the learner's choice; the source says the order.
    """
    path = Path(source_notebook)
    if path.is_file():
        return InstructorCells.of(nbformat.read(path, as_version=4))
    return InstructorCells.of(submitted)


def in_source_order(nb, instructor):
    """Put the instructor's cells of ``nb`` back in source order, each in the place of one of them.

    A learner who moves a test cell above the one that defines its hidden
    reference (or a provided cell below a test that reads it) changes nothing:
    the k-th instructor cell of the submission is the k-th of the source.
    Learner cells keep their places. Returns the number of cells moved.
    """
    rank = {grade_id: i for i, grade_id in enumerate(instructor.order)}
    slots = [i for i, cell in enumerate(nb.cells) if _nbgrader(cell).get("grade_id") in rank
             and not _nbgrader(cell).get("solution") and cell.cell_type == "code"]
    cells = sorted((nb.cells[i] for i in slots), key=lambda cell: rank[_nbgrader(cell)["grade_id"]])
    moved = 0
    for slot, cell in zip(slots, cells):
        moved += nb.cells[slot] is not cell
        nb.cells[slot] = cell
    return moved


@functools.lru_cache(maxsize=256)
def _provided_statements(source):
    """The statements of a provided cell the grader runs itself: those that bind names.

    Expression statements (prints, plots, magics) and asserts bind nothing
    and are the kernel's business; each other statement is compiled alone,
    so one that fails leaves only its own names unbound.
    """
    return tuple((compile(ast.Module(body=[node], type_ignores=[]), "<provided cell>", "exec"),
                  frozenset(_bound_names(node)))
                 for node in _grader_statements(source))


def _grader_statements(source):
    """The statements (``ast``) of a provided cell that bind names, in order; () if it does not parse."""
    try:
        tree = ast.parse(_python_source(source))
    except SyntaxError:
        return ()
    return tuple(node for node in tree.body if not isinstance(node, (ast.Expr, ast.Assert, ast.Pass)))


def _needed(instructor):
    """grade id of a provided cell -> which of its statements the grader runs (:mod:`autograder.sandbox.provided`).

    None: every statement (a test reads names dynamically).
    """
    return _needed_of(tuple((g, instructor.sources[g], g in instructor.tests) for g in instructor.order),
                      instructor.names)


@functools.lru_cache(maxsize=16)
def _needed_of(cells, names):
    def parses(source):
        try:
            ast.parse(_python_source(source))
            return True
        except SyntaxError:
            return False

    tests = [_python_source(source) for _, source, test in cells if test and parses(source)]
    provided_cells = [(g, source) for g, source, test in cells if not test and parses(source)]
    needed = provided.needed_statements(
        tests, [(_python_source(source), _grader_statements(source)) for _, source in provided_cells], names)
    return None if needed is None else {g: kept for (g, _), kept in zip(provided_cells, needed)}


def run_provided_cell(source, namespace, needed=None):
    """Bind, in the grader, the names a provided (locked) cell defines, from the instructor's source.

    Learner functions it calls are called in the kernel and give back plain
    values; the data it makes (``X_val``, ``debug_params``, trained weights) and
    the learner's objects it makes (``clf``, a handle) are the grader's. A
    statement that fails leaves its names unavailable, with the reason.

    Instances of the instructor's classes and functions the cell makes
    (``grading_costs``, ``grading_helpers``) are the grader's too: a test that
    hands one of their methods to the learner's code sends a token, and each
    call the learner's code makes to it is answered here, by this object (see
    :meth:`autograder.sandbox.remote.RemoteCallable.remote_call`). A provided
    cell itself may not pass a function to the learner's code: its demos
    (a full gradient check, tens of thousands of calls) would each cost a
    round trip; such a statement's names stay unavailable, with the reason.

    ``needed`` (one bool per statement) leaves out the statements no test
    depends on (:mod:`autograder.sandbox.provided`): the kernel has run them.
    """
    namespace.kernel.functions_allowed = False
    try:
        _run_provided_statements(source, namespace, needed)
    finally:
        namespace.kernel.functions_allowed = True


def _run_provided_statements(source, namespace, needed):
    for index, (code, names) in enumerate(_provided_statements(source)):
        if needed is not None and not needed[index]:
            continue
        try:
            # stderr too: a provided cell's progress bar (tqdm) would print on the instructor's terminal.
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()), \
                    warnings.catch_warnings():
                warnings.simplefilter("ignore")
                exec(code, namespace)
        except SandboxError:
            raise
        except Exception as err:  # noqa: BLE001 - a learner function it called may raise anything
            namespace.unavailable(names, f"{type(err).__name__}: {str(err)[:200]}")
            continue
        finally:
            _close_figures()


def _close_figures():
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close("all")


def suspicious_code(nb):
    """Names of the SUSPICIOUS patterns that appear in the learner's own cells."""
    learner = "\n".join(c.source for c in nb.cells if c.cell_type == "code" and not is_test_cell(c)
                        and not _nbgrader(c).get("locked"))
    return sorted(name for name, pattern in SUSPICIOUS.items() if re.search(pattern, learner))


# One sandbox started ahead per grading process: the next submission finds its
# kernel already up (starting one takes about two seconds, mostly waiting).
_warm = {}


def _start_sandbox(key):
    course_root, memory_mb, max_processes, sandbox, disk_mb, cpu_seconds, config = key
    tmp = Path(tempfile.mkdtemp(prefix="nn-submission-"))
    (tmp / "work").mkdir()
    try:
        return tmp, SandboxedKernel(tmp / "work", course_root, memory_mb, max_processes, sandbox, disk_mb,
                                    cpu_seconds, config)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _take_sandbox(key):
    """A started sandbox for one submission; starts the next one meanwhile."""
    taken = _warm.pop(key, None)
    if taken is None or not taken[1].alive:
        taken = _start_sandbox(key)
    try:
        _warm[key] = _start_sandbox(key)
    except SandboxError:
        pass  # the next submission will try again
    return taken


@atexit.register
def close_warm_sandboxes():
    """Stop the sandboxes started ahead (at exit, or when no more submissions of their kind follow)."""
    for tmp, kernel in _warm.values():
        kernel.close()
        shutil.rmtree(tmp, ignore_errors=True)
    _warm.clear()


def course_seed(course_root):
    """The course's secret seed for hidden-test inputs, made once and kept in the course folder.

    Hidden tests draw their inputs from ``checks.rng``, which the grader seeds
    with this number; the sandbox cannot read the course folder, so a
    submission cannot know the inputs in advance, while regrading the same
    submission gives the same verdicts.

    The file is readable by its owner only (mode 0600), and a seed file that
    others could read is made so: on a shared machine, another user who reads
    it knows every hidden input. It is git-ignored.
    """
    path = Path(course_root) / ".grading-seed"
    if not path.exists():
        tmp = path.with_name(f".grading-seed.{os.getpid()}.tmp")
        # Created 0600 from the start: never readable by others, not even for a moment.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(str(secrets.randbits(32)))
        try:
            # A link cannot replace an existing file: when two grading workers
            # start at once, the first seed stays and both use it.
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    elif path.stat().st_mode & 0o077:
        path.chmod(0o600)
    return int(path.read_text().strip())


def _error(ename, evalue):
    return nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


WITHHELD = nbformat.v4.new_output("stream", name="stdout", text=(
    "[output not kept: cells after the first test could show the hidden tests' inputs; "
    "run the notebook yourself to see it]\n"))
NOT_RUN = nbformat.v4.new_output("stream", name="stdout", text=(
    "[not run by the grader, output not kept: no test comes after this cell, so running it cannot change "
    "a test's verdict; "
    "run the notebook yourself to see it]\n"))


class OutputBudget:
    """What is kept of the learner's outputs in one notebook: at most ``limit`` characters in all."""

    def __init__(self, limit):
        self.limit, self.used, self.cut = limit, 0, False

    def keep(self, outputs):
        """``outputs`` if they fit in what is left, else a note that they were cut."""
        size = sum(len(json.dumps(o)) for o in outputs)
        if not self.cut and self.used + size <= self.limit:
            self.used += size
            return outputs
        self.cut = True
        return [nbformat.v4.new_output("stream", name="stdout", text=(
            f"[output cut: the notebook's cells printed more than {self.limit:,} characters in all]\n"))]


def learner_signatures(nb, instructor):
    """Function name (and ``Class.method``) -> parameter names, from the learner's own cells' source.

    Failure messages label arguments with these: the grader's parse of what
    was submitted, never what the kernel reports (which could be anything,
    hidden inputs included). ``self`` is left out of methods.
    """
    signatures = {}
    for cell in nb.cells:
        if cell.cell_type != "code" or _nbgrader(cell).get("grade_id") in instructor.sources:
            continue
        try:
            tree = ast.parse(_python_source(cell.source))
        except (SyntaxError, ValueError):
            continue
        for node in tree.body:
            found = [(node.name, node)] if isinstance(node, ast.FunctionDef) else []
            if isinstance(node, ast.ClassDef):
                found += [(f"{node.name}.{item.name}", item) for item in node.body
                          if isinstance(item, ast.FunctionDef)]
                init = next((item for item in node.body if isinstance(item, ast.FunctionDef)
                             and item.name == "__init__"), None)
                if init is not None:
                    found.append((node.name, init))
            for name, fn in found:
                params = [a.arg for a in fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs]
                if "." in name or fn.name == "__init__":
                    params = params[1:]
                signatures[name] = [p[:40] for p in params]
    return signatures


class TrustedExecute(NbGraderPreprocessor):
    """Run learner cells in a sandbox and test cells in the grader (see the module docstring)."""

    cell_timeout = Integer(120, help="Seconds one cell, or one test, may run.").tag(config=True)
    notebook_timeout = Integer(600, help="Seconds the whole notebook may run.").tag(config=True)
    memory_mb = Integer(2048, help="Memory for everything in the sandbox, in MiB.").tag(config=True)
    max_processes = Integer(128, help="Processes and threads the sandbox may hold.").tag(config=True)
    disk_mb = Integer(256, help="What a submission may write, in MiB: its work folder and /tmp together "
                      "(the size of the sandbox's /tmp; without the sandbox, the largest file).").tag(config=True)
    max_output_chars = Integer(2_000_000, help="Characters of learner output kept in the whole notebook (each cell "
                               "is capped by the runner too); past it, outputs are cut and flagged.").tag(config=True)
    course_root = Unicode("", help="The course folder, hidden from the sandbox.").tag(config=True)
    sandbox = Bool(help="Run learner code under bubblewrap (default: where bubblewrap runs here).").tag(config=True)
    sandbox_system = List(Unicode(), list(SANDBOX_SYSTEM),
                          help="The system files the sandbox sees, read-only (an allowlist: nothing else "
                          "of the machine is mounted).").tag(config=True)
    sandbox_read_only = List(Unicode(), list(SANDBOX_READ_ONLY),
                             help="Folders the sandbox sees read-only; {repo}, {course}, {prefix} and "
                             "{base_prefix} are the repository, the course, sys.prefix and sys.base_prefix."
                             ).tag(config=True)
    sandbox_empty = List(Unicode(), list(SANDBOX_EMPTY),
                         help="Folders inside the allowed ones that are hidden again.").tag(config=True)
    sandbox_pass_env = List(Unicode(), list(SANDBOX_PASS_ENV),
                            help="Variables passed to the sandbox when set (never one whose name looks secret)."
                            ).tag(config=True)
    sandbox_set_env = Dict(value_trait=Unicode(), default_value={},
                           help="Variables set in the sandbox, e.g. for a cluster's module system.").tag(config=True)


    @default("sandbox")
    def _sandbox_default(self):
        return bwrap_available()
    def sandbox_config(self):
        """The mounts and environment of the sandbox, from this preprocessor's traits."""
        return SandboxConfig(tuple(self.sandbox_system), tuple(self.sandbox_read_only), tuple(self.sandbox_empty),
                             tuple(self.sandbox_pass_env), tuple(sorted(self.sandbox_set_env.items())))

    def preprocess(self, nb, resources):
        build_dir = Path(resources["metadata"]["path"])
        course_root = self.course_root or str(build_dir)
        notebook_name = resources.get("unique_key", "notebook")
        assignment = resources.get("nbgrader", {}).get("assignment") or build_dir.name
        submitted = build_dir / f"{notebook_name}.ipynb"
        instructor = instructor_cells(Path(course_root) / SOURCE_DIR / assignment / f"{notebook_name}.ipynb", nb)
        in_source_order(nb, instructor)
        os.environ["NN_GRADING_SEED"] = str(course_seed(course_root))
        started = time.monotonic()
        key = (course_root, self.memory_mb, self.max_processes, self.sandbox, self.disk_mb,
               self.notebook_timeout + 60, self.sandbox_config())
        try:
            tmp, kernel = _take_sandbox(key)
            broken = None
        except SandboxError as err:
            tmp, kernel, broken = None, None, err
        try:
            if kernel is not None:
                try:
                    kernel.wait_ready()
                    # The learner's kernel gets the submission's files, but not the
                    # notebooks: nbgrader has already put the hidden tests back into them.
                    kernel.add_files(build_dir, ignore=shutil.ignore_patterns("*.ipynb", f"*{GRADING_REPORT_SUFFIX}"))
                except SandboxError as err:
                    broken = err
            report = self._grade(nb, kernel, broken, started, instructor)
        finally:
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)
        began = time.monotonic()
        version, source_hash = course_version(course_root, assignment)
        record = GradingRecord(
            notebook=f"{notebook_name}.ipynb", notebook_sha256=file_sha256(submitted) if submitted.is_file() else "",
            course_version=version, source_sha256=source_hash, sandboxed=self.sandbox,
            limits=kernel.enforced if kernel is not None else {},
            settings={"memory_mb": self.memory_mb, "max_processes": self.max_processes, "disk_mb": self.disk_mb,
                      "cell_timeout": self.cell_timeout, "notebook_timeout": self.notebook_timeout})
        report["graded_with"] = record.to_dict()
        report["seconds"]["provenance"] = time.monotonic() - began
        (build_dir / f"{notebook_name}{GRADING_REPORT_SUFFIX}").write_text(json.dumps(report, indent=1))
        return nb, resources

    def _grade(self, nb, kernel, broken, started, instructor):

        def remaining():
            left = self.notebook_timeout - (time.monotonic() - started)
            if left <= 0:
                raise SandboxError("the notebook ran past its total time limit", Flag.TIMEOUT)
            return min(self.cell_timeout, left)

        report = {"tests": [], "flags": [suspicious(name) for name in suspicious_code(nb)],
                  "seconds": {"start": 0.0, "learner cells": 0.0, "tests": 0.0, "bridge": 0.0, "stop": 0.0,
                              "provenance": 0.0}}
        seconds = report["seconds"]
        if not self.sandbox:
            report["flags"].append(Flag.UNSANDBOXED)
        seconds["start"] = time.monotonic() - started
        link = KernelLink(kernel, remaining, learner_signatures(nb, instructor))
        namespace = TrustedNamespace(link, {"__name__": "__grader__"}, instructor.names)
        exec(instructor.definitions, namespace)
        outputs = OutputBudget(self.max_output_chars)
        tested = False
        try:
            # Nothing after the last test can change a verdict (and no output after the first one is kept):
            # the training runs and searches that often end a notebook are left to the learner.
            last_test = max((i for i, c in enumerate(nb.cells) if is_test_cell(c)), default=-1)
            needed = _needed(instructor) or {}
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                # The bridge's round trips have a row of their own: out of both cells' times.
                began, bridged = time.monotonic(), link.seconds
                grade_id = _nbgrader(cell).get("grade_id")
                if is_test_cell(cell):
                    source = instructor.sources.get(grade_id, cell.source)
                    cell.outputs, broken = self._run_test(cell, source, namespace, broken)
                    tested = True
                    seconds["tests"] += time.monotonic() - began - (link.seconds - bridged)
                    error = next((o for o in cell.outputs if o.output_type == "error"), None)
                    report["tests"].append({"grade_id": grade_id,
                                            "points": _nbgrader(cell).get("points", 0),
                                            "passed": error is None,
                                            "message": error.evalue if error else ""})
                elif index > last_test:
                    cell.outputs = [NOT_RUN] if cell.source.strip() else []
                elif broken is None:
                    provided = grade_id in instructor.sources and not _nbgrader(cell).get("solution")
                    source = instructor.sources[grade_id] if provided else cell.source
                    try:
                        reply = kernel.execute(source, remaining())
                        shown = [nbformat.from_dict(o) for o in reply["outputs"]]
                        if tested:
                            # A learner function may have kept the hidden tests' inputs; a later
                            # cell could print them (a provided cell too, through an error the
                            # learner's function raises). Nothing the kernel shows after the
                            # first test reaches the notebook or the feedback.
                            shown = [WITHHELD] if shown else []
                        cell.outputs = outputs.keep(shown)
                        namespace.learner_cell_ran()
                        if provided:
                            run_provided_cell(source, namespace, needed.get(grade_id))
                    except SandboxError as err:
                        broken = err
                        cell.outputs = [_error("GradingStopped", err.reason)]
                    seconds["learner cells"] += time.monotonic() - began - (link.seconds - bridged)
                else:
                    cell.outputs = []
        finally:
            began = time.monotonic()
            if kernel is not None:
                kernel.close()
                seconds["stop"] = time.monotonic() - began
                report["flags"] += sorted(kernel.flags)
                report["sandbox"] = {"bwrap": self.sandbox, "limits": kernel.limits.backend,
                                     "cgroups": getattr(kernel.limits, "locations", [])}
            # Tests and provided cells waiting on the learner's kernel (not in their own times).
            seconds["bridge"] = link.seconds
            report["bridge_round_trips"] = link.round_trips
        if outputs.cut:
            report["flags"].append(Flag.OUTPUT_TRUNCATED)
        if broken is not None:
            report["flags"].append(broken.flag)
            if broken.flag == Flag.ENVIRONMENT:
                # For the instructor (and the canary), never for the learner's feedback.
                report["environment_error"] = broken.reason
        report["flags"] = sorted({str(flag) for flag in report["flags"]})
        return report

    def _run_test(self, cell, source, namespace, broken):
        """Execute one test cell (the instructor's ``source``) here; returns (outputs, broken)."""
        if broken is not None and broken.flag == Flag.ENVIRONMENT:
            return [_error("TestNotRun", "not run: the grading machine could not start the notebook's kernel. "
                                         "This is not a fault of your code: tell your instructor.")], broken
        if broken is not None:
            return [_error("TestNotRun", f"not run: {broken.reason}")], broken
        printed = io.StringIO()
        try:
            with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(io.StringIO()):
                exec(_compiled_test(source, _nbgrader(cell)["grade_id"]), namespace)
        except SandboxError as err:
            return [_error("TestNotRun", err.reason)], err
        except checks.CheckFailure as err:
            return _notes(printed) + [_error("CheckFailure", str(err))], None
        except Exception as err:  # the learner's answer broke the test (e.g. None where an array belongs)
            return _notes(printed) + [_error(type(err).__name__, str(err)[:1000])], None
        return _notes(printed), None


def _notes(printed):
    """The ``checks.note`` lines a test printed, as one stdout output (nbgrader scores stdout as a pass).

    Only those: anything else a test prints is the instructor's debugging.
    At most ``MAX_NOTES`` distinct notes, each cut to ``MAX_NOTE_CHARS``.
    """
    notes = []
    for line in printed.getvalue().splitlines():
        if line.startswith("Note: ") and line[:MAX_NOTE_CHARS] not in notes and len(notes) < MAX_NOTES:
            notes.append(line[:MAX_NOTE_CHARS])
    return [nbformat.v4.new_output("stream", name="stdout", text="".join(n + "\n" for n in notes))] if notes else []


MAX_NOTES = 5
MAX_NOTE_CHARS = 600
