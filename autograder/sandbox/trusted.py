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
import functools
import io
import json
import os
import re
import secrets
import shutil
import tempfile
import time
from pathlib import Path

import nbformat
from IPython.core.inputtransformer2 import TransformerManager
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool, Dict, Integer, List, Unicode, default

from autograder.flags import Flag, suspicious
from autograder.learner import checks
from autograder.sandbox.kernel import SandboxedKernel, SandboxError, bwrap_available
from autograder.sandbox.provenance import GradingRecord, course_version, file_sha256
from autograder.sandbox.remote import KernelLink, TrustedNamespace
from autograder.settings import (
    GRADING_REPORT_SUFFIX,
    SANDBOX_EMPTY,
    SANDBOX_HIDDEN,
    SANDBOX_PASS_ENV,
    SANDBOX_READ_ONLY,
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


def trusted_definitions(nb):
    """Imports, functions and classes of the instructor's locked cells, as one module.

    These become real objects in the grader: the tests use the grader's
    ``np`` and ``checks``, not whatever the learner's kernel calls by those names.
    """
    return _definitions(tuple(cell.source for cell in nb.cells
                              if cell.cell_type == "code" and _nbgrader(cell).get("locked")
                              and not _nbgrader(cell).get("grade") and not _nbgrader(cell).get("solution")))


@functools.lru_cache(maxsize=16)
def _definitions(sources):
    body = []
    for source in sources:
        try:
            tree = ast.parse(_python_source(source))
        except SyntaxError:
            continue
        body += [node for node in tree.body
                 if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef))]
    return compile(ast.Module(body=body, type_ignores=[]), "<provided cells>", "exec")


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


class TrustedExecute(NbGraderPreprocessor):
    """Run learner cells in a sandbox and test cells in the grader (see the module docstring)."""

    cell_timeout = Integer(120, help="Seconds one cell, or one test, may run.").tag(config=True)
    notebook_timeout = Integer(600, help="Seconds the whole notebook may run.").tag(config=True)
    memory_mb = Integer(2048, help="Memory for everything in the sandbox, in MiB.").tag(config=True)
    max_processes = Integer(128, help="Processes and threads the sandbox may hold.").tag(config=True)
    disk_mb = Integer(256, help="What a submission may write, in MiB: its work folder and /tmp together "
                      "(the size of the sandbox's /tmp; without the sandbox, the largest file).").tag(config=True)
    course_root = Unicode("", help="The course folder, hidden from the sandbox.").tag(config=True)
    sandbox = Bool(help="Run learner code under bubblewrap (default: where bubblewrap runs here).").tag(config=True)
    sandbox_hidden = List(Unicode(), list(SANDBOX_HIDDEN), help="Folders the sandbox sees as empty; "
                          "{repo}, {course} and {prefix} are the repository, the course and sys.prefix.",
                          ).tag(config=True)
    sandbox_read_only = List(Unicode(), list(SANDBOX_READ_ONLY),
                             help="Folders mounted back, read-only, inside the hidden ones.").tag(config=True)
    sandbox_empty = List(Unicode(), list(SANDBOX_EMPTY),
                         help="Folders inside the read-only ones that are hidden too.").tag(config=True)
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
        return SandboxConfig(tuple(self.sandbox_hidden), tuple(self.sandbox_read_only), tuple(self.sandbox_empty),
                             tuple(self.sandbox_pass_env), tuple(sorted(self.sandbox_set_env.items())))

    def preprocess(self, nb, resources):
        build_dir = Path(resources["metadata"]["path"])
        course_root = self.course_root or str(build_dir)
        notebook_name = resources.get("unique_key", "notebook")
        assignment = resources.get("nbgrader", {}).get("assignment") or build_dir.name
        submitted = build_dir / f"{notebook_name}.ipynb"
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
            report = self._grade(nb, kernel, broken, started)
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

    def _grade(self, nb, kernel, broken, started):

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
        link = KernelLink(kernel, remaining)
        namespace = TrustedNamespace(link, {"__name__": "__grader__"})
        exec(trusted_definitions(nb), namespace)
        try:
            for cell in nb.cells:
                if cell.cell_type != "code":
                    continue
                began = time.monotonic()
                if is_test_cell(cell):
                    cell.outputs, broken = self._run_test(cell, namespace, broken)
                    seconds["tests"] += time.monotonic() - began
                    error = next((o for o in cell.outputs if o.output_type == "error"), None)
                    report["tests"].append({"grade_id": _nbgrader(cell)["grade_id"],
                                            "points": _nbgrader(cell).get("points", 0),
                                            "passed": error is None,
                                            "message": error.evalue if error else ""})
                elif broken is None:
                    try:
                        reply = kernel.execute(cell.source, remaining())
                        cell.outputs = [nbformat.from_dict(o) for o in reply["outputs"]]
                        namespace.learner_cell_ran()
                    except SandboxError as err:
                        broken = err
                        cell.outputs = [_error("GradingStopped", err.reason)]
                    seconds["learner cells"] += time.monotonic() - began
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
            # Inside the tests' time: the part spent waiting on the learner's kernel.
            seconds["bridge"] = link.seconds
            report["bridge_round_trips"] = link.round_trips
        if broken is not None:
            report["flags"].append(broken.flag)
            if broken.flag == Flag.ENVIRONMENT:
                # For the instructor (and the canary), never for the learner's feedback.
                report["environment_error"] = broken.reason
        report["flags"] = sorted({str(flag) for flag in report["flags"]})
        return report

    def _run_test(self, cell, namespace, broken):
        """Execute one test cell here; returns (outputs, broken)."""
        if broken is not None and broken.flag == Flag.ENVIRONMENT:
            return [_error("TestNotRun", "not run: the grading machine could not start the notebook's kernel. "
                                         "This is not a fault of your code: tell your instructor.")], broken
        if broken is not None:
            return [_error("TestNotRun", f"not run: {broken.reason}")], broken
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                exec(_compiled_test(cell.source, _nbgrader(cell)["grade_id"]), namespace)
        except SandboxError as err:
            return [_error("TestNotRun", err.reason)], err
        except checks.CheckFailure as err:
            return [_error("CheckFailure", str(err))], None
        except Exception as err:  # the learner's answer broke the test (e.g. None where an array belongs)
            return [_error(type(err).__name__, str(err)[:1000])], None
        return [], None
