"""Run a learner's kernel in a bubblewrap sandbox, with limits, and talk to it over pipes.

The sandbox (``bwrap``, Debian package ``bubblewrap``) sees the machine read-only
except its own work folder, has no network, its own process tree (everything in
it dies with it), and no view of the course: ``source/`` (solutions, hidden
tests), the gradebook, other students' folders and the example class are
replaced by empty folders. Memory and the number of processes are capped with
cgroups where the grader may create them (root on this machine), otherwise
memory only, with ``setrlimit``.

:class:`SandboxedKernel` is the grader's handle: :meth:`execute` runs a cell and
returns its outputs, :meth:`request` calls :mod:`autograder.bridge` in the kernel.
Every call has a deadline; past it the whole sandbox is killed.
"""

import functools
import json
import os
import resource
import selectors
import shutil
import signal
import subprocess
import sys
import time
import uuid
import warnings
import zipfile
from pathlib import Path

import numpy as np

from autograder.settings import REPO_ROOT

BRIDGE_DIR = ".grader-bridge"
MAX_REPLY_BYTES = 64 * 1024 * 1024      # one reply line from the runner
MAX_ARRAY_BYTES = 512 * 1024 * 1024     # the arrays of one bridge reply, uncompressed
CGROUP_ROOT = Path("/sys/fs/cgroup")
SANDBOX_WORKDIR = "/tmp/submission"   # the submission's copy, inside the sandbox (under its own /tmp)
SANDBOX_MPLCONFIGDIR = "/tmp/mpl"


class SandboxError(RuntimeError):
    """The sandbox died, timed out or answered nonsense; ``reason`` says which, for the learner."""

    def __init__(self, reason, flag):
        super().__init__(reason)
        self.reason = reason
        self.flag = flag


@functools.lru_cache(maxsize=1)
def bwrap_available():
    """Whether bubblewrap is installed and can build a sandbox here."""
    if not shutil.which("bwrap"):
        return False
    probe = subprocess.run(["bwrap", "--ro-bind", "/", "/", "--unshare-all", "--die-with-parent", "true"],
                           capture_output=True)
    return probe.returncode == 0


class _Cgroup:
    """v1 memory, pids and cpu cgroups for one sandbox, or nothing where cgroups are not writable."""

    def __init__(self, memory_bytes, max_processes):
        self.paths = []
        name = f"nn-grader-{uuid.uuid4().hex[:12]}"
        limits = {"memory": {"memory.limit_in_bytes": memory_bytes, "memory.memsw.limit_in_bytes": memory_bytes},
                  "pids": {"pids.max": max_processes},
                  # One core at most: a fork bomb must not starve the submissions
                  # graded beside it.
                  "cpu": {"cpu.cfs_period_us": 100_000, "cpu.cfs_quota_us": 100_000}}
        for controller, settings in limits.items():
            path = CGROUP_ROOT / controller / name
            try:
                path.mkdir()
            except OSError:
                continue
            self.paths.append(path)
            for key, value in settings.items():
                try:
                    (path / key).write_text(str(value))
                except OSError:
                    pass  # memsw is absent without swap accounting; memory alone still caps
        self.enabled = {"memory", "pids"} <= {p.parent.name for p in self.paths}

    def join(self):
        """Move the calling process (in a child, before exec) into the cgroup."""
        for path in self.paths:
            (path / "cgroup.procs").write_text(str(os.getpid()))

    def oom_killed(self):
        """Whether the kernel's out-of-memory killer struck inside this cgroup."""
        for path in self.paths:
            if path.parent.name == "memory":
                try:
                    control = dict(line.split() for line in (path / "memory.oom_control").read_text().splitlines())
                    return int(control.get("oom_kill", 0)) > 0 or int((path / "memory.failcnt").read_text()) > 0
                except (OSError, ValueError):
                    return False
        return False

    def destroy(self):
        for path in self.paths:
            for _ in range(50):
                try:
                    pids = [int(p) for p in (path / "cgroup.procs").read_text().split()]
                except OSError:
                    pids = []
                for pid in pids:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                try:
                    path.rmdir()
                    break
                except OSError:
                    time.sleep(0.05)


@functools.lru_cache(maxsize=1)
def _font_list():
    """matplotlib's list of the system's fonts, built once by the grader and lent to each sandbox.

    A sandbox starts with an empty ``/tmp``, where matplotlib would scan the
    system's fonts again for every submission (0.2 s of CPU); the list depends
    only on the installed fonts, which the sandbox sees read-only anyway.
    """
    try:
        import matplotlib
        import matplotlib.font_manager as font_manager   # writes the list if it is missing
    except ImportError:
        return None
    path = Path(matplotlib.get_cachedir()) / f"fontlist-v{font_manager.FontManager.__version__}.json"
    return path if path.is_file() else None


def bwrap_command(workdir, course_root, command):
    """The ``bwrap`` command line that runs ``command`` with ``workdir`` as ``/tmp/submission``.

    The course folder and the repository are hidden as a whole (the course
    folder holds the gradebook and every submission; the repository holds
    ``source/`` and the example class), then what the kernel needs is mounted
    back read-only: the Python environment, the ``course`` and ``autograder``
    packages and ``data``.
    """
    args = ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
    font_list = _font_list()
    if font_list:
        args += ["--ro-bind", str(font_list), f"{SANDBOX_MPLCONFIGDIR}/{font_list.name}"]
    course_root = Path(course_root).resolve()
    # A course inside the repository (the demo's) is hidden with the repository.
    hidden_roots = sorted({REPO_ROOT} | ({course_root} if not course_root.is_relative_to(REPO_ROOT) else set()))
    for hidden in hidden_roots:
        args += ["--tmpfs", str(hidden)]
    for keep in (Path(sys.prefix), REPO_ROOT / "course", REPO_ROOT / "autograder", REPO_ROOT / "data"):
        args += ["--ro-bind", str(keep), str(keep)]
    if (REPO_ROOT / "autograder" / "build").exists():
        args += ["--tmpfs", str(REPO_ROOT / "autograder" / "build")]
    # The empty folders that hide the course are read-only too: a write there
    # fails, as it would anywhere outside the submission's own copy.
    for hidden in hidden_roots:
        args += ["--remount-ro", str(hidden)]
    if (REPO_ROOT / "autograder" / "build").exists():
        args += ["--remount-ro", str(REPO_ROOT / "autograder" / "build")]
    args += ["--bind", str(workdir), SANDBOX_WORKDIR, "--chdir", SANDBOX_WORKDIR,
             "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--clearenv"]
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp/home",
           "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1", "MPLCONFIGDIR": SANDBOX_MPLCONFIGDIR,
           "IPYTHONDIR": "/tmp/ipython", "JUPYTER_RUNTIME_DIR": "/tmp/jupyter",
           # One BLAS thread per submission: the grader runs several side by side.
           "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    for passthrough in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if passthrough in os.environ:
            env[passthrough] = os.environ[passthrough]
    for key, value in env.items():
        args += ["--setenv", key, value]
    return args + ["--", *command]


class SandboxedKernel:
    """A learner's kernel in a sandbox, driven from the grader's process.

    Parameters
    ----------
    workdir : path
        The submission's own copy; mounted read-write as ``/tmp/submission``.
    course_root : path
        The nbgrader course folder, hidden from the sandbox.
    memory_mb, max_processes : int
        Limits for everything in the sandbox together.
    sandbox : bool
        False runs the runner without bwrap (for machines without it; the
        grader warns, and verdicts stay outside the kernel all the same).
    """

    def __init__(self, workdir, course_root, memory_mb=2048, max_processes=256, sandbox=True):
        self.workdir = Path(workdir).resolve()
        self.bridge_dir = self.workdir / BRIDGE_DIR
        self.bridge_dir.mkdir(exist_ok=True)
        self.flags = set()
        self._n = 0
        self.cgroup = _Cgroup(memory_mb * 1024 * 1024, max_processes)
        memory = memory_mb * 1024 * 1024
        runner = [sys.executable, "-m", "autograder.runner", SANDBOX_WORKDIR if sandbox else str(self.workdir)]
        command = bwrap_command(self.workdir, course_root, runner) if sandbox else runner
        if not self.cgroup.enabled:
            warnings.warn("cgroups are not writable here: memory is capped per process with setrlimit, "
                          "and the number of processes is not capped", RuntimeWarning, stacklevel=2)

        def limit():
            os.setsid()
            if self.cgroup.enabled:
                self.cgroup.join()
            else:
                resource.setrlimit(resource.RLIMIT_AS, (memory * 2, memory * 2))

        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            preexec_fn=limit, cwd=self.workdir)
        self._selector = selectors.DefaultSelector()
        self._selector.register(self.process.stdout, selectors.EVENT_READ)
        self._buffer = b""
        self.alive = True
        self.ready = False

    def wait_ready(self, timeout=120):
        """Block until the kernel has started (a sandbox can be started ahead of its use)."""
        if not self.ready:
            self._read(timeout)   # {"status": "ready"}
            self.ready = True
        return self

    # -- the pipe -----------------------------------------------------------
    def _read(self, timeout):
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.kill()
                raise SandboxError("the notebook ran past its time limit (an infinite loop?)", "timeout")
            if not self._selector.select(remaining):
                continue
            chunk = os.read(self.process.stdout.fileno(), 1 << 20)
            if not chunk:
                death = self._death()   # before kill(): it removes the cgroup that knows why
                self.kill()
                raise death
            self._buffer += chunk
            if len(self._buffer) > MAX_REPLY_BYTES:
                self.kill()
                raise SandboxError("the notebook produced more output than the grader accepts", "output-flood")
        line, self._buffer = self._buffer.split(b"\n", 1)
        try:
            reply = json.loads(line)
            if not isinstance(reply, dict):
                raise ValueError("not an object")
        except ValueError:
            self.kill()
            raise SandboxError("the sandbox answered something that is not a reply", "bad-kernel-reply")
        if reply.get("status") == "dead":
            death = self._death()
            self.kill()
            raise death
        return reply

    def _death(self):
        if self.cgroup.oom_killed():
            return SandboxError("the kernel was stopped because it used more memory than allowed", "memory")
        return SandboxError("the kernel died (did the notebook exit, crash or run out of memory?)", "kernel-died")

    def execute(self, code, timeout):
        """Run ``code`` as a cell; returns ``{"status", "outputs", "truncated"}``."""
        reply = self._ask({"op": "execute", "code": code, "timeout": timeout}, timeout)
        reply["outputs"] = clean_outputs(reply.get("outputs"), self.flags)
        if reply.get("truncated"):
            self.flags.add("output-truncated")
        return reply

    def _ask(self, message, timeout):
        """Send one message to the runner and read its reply.

        The runner interrupts the work at ``timeout``; the extra time covers
        code that ignores the interrupt, after which the sandbox is killed.
        """
        if not self.alive:
            raise SandboxError("the kernel is no longer running", "kernel-died")
        self.wait_ready()
        self._send(message)
        reply = self._read(timeout + 15)
        if reply.get("status") == "timeout":
            self.flags.add("timeout")
            # Interrupted; code that catches the interrupt may still be busy,
            # and would answer nothing from now on.
            self._send({"op": "execute", "code": "pass", "timeout": 5})
            if self._read(20).get("status") != "ok":
                self.kill()
                raise SandboxError("the notebook ran past its time limit and ignored the interrupt "
                                   "(an infinite loop?)", "timeout")
        return reply

    def _send(self, message):
        try:
            self.process.stdin.write((json.dumps(message) + "\n").encode())
            self.process.stdin.flush()
        except OSError:   # the runner is gone: its pipe is closed
            death = self._death()
            self.kill()
            raise death from None

    # -- the bridge ---------------------------------------------------------
    def request(self, request, arrays, timeout):
        """Send one bridge request; returns ``(reply, arrays)``, both plain data."""
        self._n += 1
        prefix = self.bridge_dir / f"r{self._n}"
        with open(f"{prefix}.json", "w") as f:
            json.dump(request, f)
        if arrays:
            np.savez(f"{prefix}.npz", **arrays)
        sandbox_prefix = f"{SANDBOX_WORKDIR}/{BRIDGE_DIR}/r{self._n}" if self._sandboxed() else str(prefix)
        result = self._ask({"op": "bridge", "prefix": sandbox_prefix, "timeout": timeout}, timeout)
        if result.get("status") == "timeout":
            raise SandboxError("a call into the notebook ran past its time limit (an infinite loop?)", "timeout")
        try:
            with open(f"{prefix}.out.json") as f:
                reply = json.load(f)
            out_arrays = _load_plain_arrays(Path(f"{prefix}.out.npz"))
        except (OSError, ValueError, zipfile.BadZipFile) as err:
            self.flags.add("bad-kernel-reply")
            raise SandboxError(f"the notebook's kernel did not answer the grader ({type(err).__name__})",
                               "bad-kernel-reply") from err
        finally:
            for leftover in self.bridge_dir.glob(f"r{self._n}.*"):
                leftover.unlink()
        if not isinstance(reply, dict):
            self.flags.add("bad-kernel-reply")
            raise SandboxError("the notebook's kernel answered the grader with nonsense", "bad-kernel-reply")
        return reply, out_arrays

    def _sandboxed(self):
        return self.process.args[0] == "bwrap"

    def kill(self):
        """Stop everything in the sandbox; safe to call twice."""
        if not self.alive:
            return
        self.alive = False
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()
        self.cgroup.destroy()

    def close(self):
        """Stop the sandbox. Nothing in it is worth a polite shutdown: kill it all."""
        self.kill()
        shutil.rmtree(self.bridge_dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


_OUTPUT_FIELDS = {"stream": {"name": str, "text": str},
                  "display_data": {"data": dict, "metadata": dict},
                  "execute_result": {"data": dict, "metadata": dict, "execution_count": int},
                  "error": {"ename": str, "evalue": str, "traceback": list}}


def clean_outputs(outputs, flags):
    """Cell outputs from the runner, as valid nbformat outputs; anything else is dropped.

    The runner is the learner's own process, so its outputs are taken for the
    feedback only, after a check of their form: a malformed one would make
    nbgrader fail to save the notebook. Dropping one adds ``bad-kernel-reply``
    to ``flags``.
    """
    clean = []
    for output in outputs if isinstance(outputs, list) else [None]:
        kind = output.get("output_type") if isinstance(output, dict) else None
        fields = _OUTPUT_FIELDS.get(kind)
        values = {key: output.get(key) for key in fields or ()}
        if fields is None or not all(isinstance(values[key], t) for key, t in fields.items()):
            flags.add("bad-kernel-reply")
            continue
        if kind == "stream" and values["name"] not in ("stdout", "stderr"):
            values["name"] = "stdout"
        if kind == "error":
            values["traceback"] = [str(line) for line in values["traceback"]]
        if kind in ("display_data", "execute_result"):
            values["data"] = {str(k): v if isinstance(v, (str, dict, list)) else str(v)
                              for k, v in values["data"].items()}
        clean.append({"output_type": kind, **values})
    return clean


def _load_plain_arrays(path):
    """Arrays of a reply ``.npz``: numeric only, no pickles, bounded in size."""
    if not path.exists():
        return {}
    with zipfile.ZipFile(path) as zf:
        if sum(info.file_size for info in zf.infolist()) > MAX_ARRAY_BYTES:
            raise ValueError("reply arrays too large")
    with np.load(path, allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    for key, array in arrays.items():
        if array.dtype.kind not in "biuf":
            raise ValueError(f"reply array {key} has dtype {array.dtype}")
    return arrays
