"""Run a learner's kernel in a bubblewrap sandbox, with limits, and talk to it over pipes.

The sandbox (``bwrap``, Debian package ``bubblewrap``) is built from an
allowlist (:class:`autograder.settings.SandboxConfig`): the interpreter and
its libraries, the Python environment and the course's ``course``,
``autograder`` and ``data`` folders, read-only; nothing else of the machine
exists inside (no home folder, no ``/run``, no course folder, no other
submission, no socket). It has no network (its own namespace, and a seccomp
filter, :mod:`autograder.sandbox.seccomp`, that refuses every socket but ``AF_UNIX``)
and its own process tree (everything in it dies with it). The only writable
place is its own ``/tmp``, a tmpfs capped at the disk limit that holds the
submission's copy (``/tmp/submission``) and vanishes with the sandbox.
Memory, processes and CPU are capped by :mod:`autograder.sandbox.limits` (cgroup v2,
cgroup v1 or rlimits).

:class:`SandboxedKernel` is the grader's handle: :meth:`add_files` copies the
submission's files in, :meth:`execute` runs a cell and returns its outputs,
:meth:`request` calls :mod:`autograder.sandbox.bridge` in the kernel. Requests go in
through a folder the sandbox reads but cannot write; replies come back on the
runner's stdout. Every call has a deadline; past it the whole sandbox is killed.
"""

import functools
import io
import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np

from autograder.sandbox import seccomp
from autograder.flags import Flag
from autograder.sandbox import limits as limits_
from autograder.settings import SandboxConfig

BRIDGE_DIR = ".grader-bridge"
MAX_REPLY_BYTES = 64 * 1024 * 1024      # one reply line, or the JSON of one bridge reply
MAX_ARRAY_BYTES = 512 * 1024 * 1024     # the arrays of one bridge reply, uncompressed
MAX_STDERR_BYTES = 8 * 1024             # what is kept of the sandbox's stderr, to say why it failed to start
DISK_FULL_BYTES = 1024 * 1024           # less free space than this in the sandbox's /tmp is a full disk
SANDBOX_WORKDIR = "/tmp/submission"     # the submission's copy, inside the sandbox (under its own /tmp)
SANDBOX_BRIDGE = "/tmp/.grader-bridge"  # requests from the grader, read-only inside
SHM_SHARE = 4                           # /dev/shm gets 1/SHM_SHARE of the disk limit, /tmp the rest
SANDBOX_MPLCONFIGDIR = "/tmp/mpl"
DISK_ERRORS = ("No space left on device", "File too large", "Disk quota exceeded")


class SandboxError(RuntimeError):
    """The sandbox died, timed out or answered nonsense; ``reason`` says which, for the learner.

    ``flag`` names it for the instructor; ``"environment"`` means the
    sandbox never started, which is the grading machine's fault, not the
    learner's (``detail`` then holds the sandbox's stderr).
    """

    def __init__(self, reason, flag, detail=""):
        super().__init__(reason)
        self.reason = reason
        self.flag = flag
        self.detail = detail


@functools.lru_cache(maxsize=1)
def bwrap_available():
    """Whether bubblewrap is installed and can build a sandbox here."""
    return bwrap_problem() is None


@functools.lru_cache(maxsize=1)
def bwrap_problem():
    """Why no sandbox can be built here (a sentence that says what to do), or None if one can."""
    if not shutil.which("bwrap"):
        return ("bubblewrap (bwrap) is not installed: install it with `sudo apt-get install bubblewrap` "
                "(Debian, Ubuntu), `sudo dnf install bubblewrap` (Fedora) or your distribution's package")
    try:
        probe = subprocess.run(["bwrap", "--ro-bind", "/", "/", "--unshare-all", "--die-with-parent", "true"],
                               capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"bubblewrap (bwrap) does not run: {err}"
    if probe.returncode != 0:
        why = probe.stderr.decode(errors="replace").strip()[:300]
        return (f"bubblewrap (bwrap) cannot build a sandbox here: {why} (unprivileged user namespaces "
                "may be disabled: see `sysctl kernel.unprivileged_userns_clone`)")
    return None


@functools.lru_cache(maxsize=1)
def _font_list():
    """matplotlib's list of the system's fonts, built once by the grader and lent to each sandbox.

    A sandbox starts with an empty ``/tmp``, where matplotlib would scan the
    system's fonts again for every submission (0.2 s of CPU); the list depends
    only on the installed fonts, which the sandbox sees read-only anyway.
    """
    try:
        # Optional: a course without matplotlib simply lends no font list.
        import matplotlib
        import matplotlib.font_manager as font_manager  # writes the list if it is missing
    except ImportError:
        return None
    path = Path(matplotlib.get_cachedir()) / f"fontlist-v{font_manager.FontManager.__version__}.json"
    return path if path.is_file() else None


def sandbox_environment(config, sandboxed=True):
    """The environment of the runner: the grader's defaults, then what ``config`` passes and sets."""
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8",
           "PYTHONDONTWRITEBYTECODE": "1",
           # One BLAS thread per submission: the grader runs several side by side.
           "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    if sandboxed:
        env.update({"HOME": "/tmp/home", "MPLCONFIGDIR": SANDBOX_MPLCONFIGDIR, "IPYTHONDIR": "/tmp/ipython",
                    "JUPYTER_RUNTIME_DIR": "/tmp/jupyter", "TMPDIR": "/tmp"})
    elif "HOME" in os.environ:
        # Unsandboxed, the kernel may read the user's home anyway; with it,
        # matplotlib finds its font list instead of rebuilding it per submission.
        env["HOME"] = os.environ["HOME"]
    env.update(config.environment())
    return env


def allowed_mounts(course_root, config=None):
    """What the sandbox mounts read-only: ``(links, folders, hidden)``, each a list of paths.

    ``links`` are symbolic links recreated as they are (Debian's ``/bin``);
    ``folders`` the files and folders of ``config.system`` and
    ``config.read_only`` that exist here, mounted read-only at the same place;
    ``hidden`` the folders inside them that are covered again by empty ones
    (``config.empty``, and the course folder whenever it lies inside an
    allowed folder, so that no submission is ever in view).
    """
    config = config or SandboxConfig()
    links, folders = [], []
    for path in config.paths("system", course_root) + config.paths("read_only", course_root):
        if path.is_symlink() and path.parent == Path("/"):
            links.append(path)
        elif path.exists():
            folders.append(path.resolve())
    folders = sorted(set(folders))
    # A folder inside another allowed one is mounted with it.
    folders = [f for f in folders if not any(f != other and f.is_relative_to(other) for other in folders)]
    course = Path(course_root).resolve()
    hidden = {p.resolve() for p in config.paths("empty", course_root) if p.exists()}
    if any(course.is_relative_to(folder) for folder in folders):
        hidden.add(course)
    hidden = sorted(h for h in hidden if any(h.is_relative_to(folder) and h != folder for folder in folders))
    # A folder inside another hidden one is hidden with it (and could not be mounted in a read-only one).
    hidden = [h for h in hidden if not any(h != other and h.is_relative_to(other) for other in hidden)]
    return links, folders, hidden


def bwrap_command(course_root, bridge_dir, command, config=None, disk_bytes=256 * 1024 * 1024, seccomp_fd=None):
    """The ``bwrap`` command line that runs ``command`` in ``/tmp/submission``.

    The sandbox is built from an allowlist (:func:`allowed_mounts`): the
    interpreter's system files, the Python environment and the course's
    ``course``, ``autograder`` and ``data`` folders, all read-only; its own
    ``/proc`` and a minimal ``/dev``; ``/tmp``, a tmpfs of ``disk_bytes``, the
    submission's whole writable world. Nothing else of the machine exists
    inside. ``bridge_dir``, the grader's requests, is mounted read-only at
    ``/tmp/.grader-bridge``. ``seccomp_fd``, a file descriptor holding
    :func:`autograder.sandbox.seccomp.filter_program`, is installed with ``--seccomp``.
    """
    config = config or SandboxConfig()
    links, folders, hidden = allowed_mounts(course_root, config)
    # What the submission may write is /tmp and /dev/shm (multiprocessing's
    # semaphores live there): together exactly disk_bytes. The rest of /dev
    # is read-only, or it would be an uncapped tmpfs. These come first: bwrap
    # mounts in order, and a course or a Python environment that lives under
    # /tmp (a CI checkout, a scratch clone) must be bound on top of the
    # sandbox's own /tmp, not hidden by it.
    shm = int(disk_bytes) // SHM_SHARE
    args = ["bwrap", "--dev", "/dev", "--proc", "/proc",
            "--size", str(int(disk_bytes) - shm), "--tmpfs", "/tmp",
            "--size", str(shm), "--tmpfs", "/dev/shm", "--remount-ro", "/dev"]
    for link in links:
        args += ["--symlink", os.readlink(link), str(link)]
    for folder in folders:
        args += ["--ro-bind", str(folder), str(folder)]
    for path in hidden:
        args += ["--tmpfs", str(path), "--remount-ro", str(path)]
    font_list = _font_list()
    if font_list:
        args += ["--ro-bind", str(font_list), f"{SANDBOX_MPLCONFIGDIR}/{font_list.name}"]
    # bwrap's root is a tmpfs of its own, with the mount points' parent folders in it:
    # read-only, or it would be writable space outside the disk cap.
    args += ["--ro-bind", str(bridge_dir), SANDBOX_BRIDGE, "--dir", SANDBOX_WORKDIR, "--remount-ro", "/",
             "--chdir", SANDBOX_WORKDIR, "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--clearenv"]
    if seccomp_fd is not None:
        args += ["--seccomp", str(seccomp_fd)]
    for key, value in sandbox_environment(config).items():
        args += ["--setenv", key, value]
    return args + ["--", *command]


def seccomp_memfd():
    """A file descriptor holding the sandbox's seccomp filter, for bwrap to read; None where there is none."""
    program = seccomp.filter_program()
    if program is None or not hasattr(os, "memfd_create"):
        return None
    fd = os.memfd_create("nn-seccomp", 0)   # not inheritable, except through pass_fds
    os.write(fd, program)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


class SandboxedKernel:
    """A learner's kernel in a sandbox, driven from the grader's process.

    Parameters
    ----------
    workdir : path
        A folder of the grader's for this submission: with the sandbox, the
        requests to the kernel (read-only inside); without it, also the
        kernel's working folder.
    course_root : path
        The nbgrader course folder, hidden from the sandbox.
    memory_mb, max_processes : int
        Limits for everything in the sandbox together.
    sandbox : bool
        False runs the runner without bwrap (``--no-sandbox``, or ``check`` on a
        machine without it): verdicts stay outside the kernel, but it can
        read and write what the grader can.
    disk_mb : int
        What the submission may write: the size of the sandbox's ``/tmp``
        (without the sandbox, the largest file).
    cpu_seconds : int
        CPU time of any one process in the sandbox.
    config : SandboxConfig, optional
        Mounts and environment; default: :class:`autograder.settings.SandboxConfig`.
    """

    def __init__(self, workdir, course_root, memory_mb=2048, max_processes=256, sandbox=True, disk_mb=256,
                 cpu_seconds=900, config=None):
        self.workdir = Path(workdir).resolve()
        self.bridge_dir = self.workdir / BRIDGE_DIR
        self.bridge_dir.mkdir(exist_ok=True)
        self.sandboxed = sandbox
        self.disk_mb = disk_mb
        self.flags = set()
        self._n = 0
        self._stderr = b""
        config = config or SandboxConfig()
        spec = limits_.LimitSpec(memory_bytes=memory_mb * 1024 * 1024, max_processes=max_processes,
                                 cpu_seconds=cpu_seconds, file_bytes=disk_mb * 1024 * 1024,
                                 user_namespace=sandbox)
        self.limits = limits_.open_limits(spec)
        if sandbox:
            # In bwrap's user namespace RLIMIT_NPROC counts the sandbox's own
            # processes only: the runner caps them there before any learner code.
            runner = [sys.executable, "-m", "autograder.sandbox.runner", SANDBOX_WORKDIR, str(max_processes)]
            seccomp_fd = seccomp_memfd()
            command = bwrap_command(course_root, self.bridge_dir, runner, config, spec.file_bytes, seccomp_fd)
            env = None
        else:
            command = [sys.executable, "-m", "autograder.sandbox.runner", str(self.workdir)]
            # Without bwrap the environment is cleared all the same: no secrets for the learner's code.
            env = sandbox_environment(config, sandboxed=False)
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path(__file__).resolve().parents[1]),
                                                              env.get("PYTHONPATH")]))
            seccomp_fd = None
        limits = self.limits

        def enter_limits():
            os.setsid()
            limits.enter()

        try:
            self.process = subprocess.Popen(
                command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                preexec_fn=enter_limits, cwd=self.workdir, env=env,
                pass_fds=() if seccomp_fd is None else (seccomp_fd,))
        except BaseException:
            self.limits.close()
            raise
        finally:
            if seccomp_fd is not None:
                os.close(seccomp_fd)   # bwrap has its own copy
        self.seccomp = seccomp_fd is not None
        self._selector = selectors.DefaultSelector()
        self._selector.register(self.process.stdout, selectors.EVENT_READ, "stdout")
        self._selector.register(self.process.stderr, selectors.EVENT_READ, "stderr")
        self._buffer = bytearray()
        self.alive = True
        self.ready = False

    @property
    def enforced(self):
        """dict: each of memory, processes, cpu, disk, network -> what enforces it here."""
        enforced = dict(self.limits.enforced)
        if self.sandboxed:
            enforced["disk"] = f"bwrap (tmpfs /tmp and /dev/shm, {self.disk_mb} MiB)"
            enforced["network"] = "bwrap (own network namespace" + (", seccomp: no socket but AF_UNIX)"
                                                                     if self.seccomp else ", no seccomp filter here)")
        else:
            enforced["disk"] = f"rlimits (any one file: {self.disk_mb} MiB)"
            enforced["network"] = limits_.NOT_ENFORCED
        return {kind: enforced.get(kind, limits_.NOT_ENFORCED) for kind in limits_.LIMIT_KINDS}

    def wait_ready(self, timeout=120):
        """Block until the kernel has started (a sandbox can be started ahead of its use)."""
        if not self.ready:
            self._read(timeout)   # {"status": "ready"}
            self.ready = True
        return self

    # -- the pipe -----------------------------------------------------------
    def _fill(self, deadline, want):
        """Read stdout until ``want(buffer)``; stderr is kept (its tail) on the way."""
        while not want(self._buffer):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.kill()
                raise SandboxError("the notebook ran past its time limit (an infinite loop?)", Flag.TIMEOUT)
            for key, _ in self._selector.select(remaining):
                chunk = os.read(key.fileobj.fileno(), 1 << 20)
                if key.data == "stderr":
                    if chunk:
                        self._stderr = (self._stderr + chunk)[-MAX_STDERR_BYTES:]
                    else:
                        self._selector.unregister(key.fileobj)
                    continue
                if not chunk:
                    death = self._death()   # before kill(): it releases the cgroup that knows why
                    self.kill()
                    raise death
                self._buffer += chunk   # a bytearray grows in place: a large reply costs its size once
                if b"\n" not in self._buffer and len(self._buffer) > MAX_REPLY_BYTES:
                    self.kill()
                    raise SandboxError("the notebook produced more output than the grader accepts",
                                       Flag.OUTPUT_FLOOD)

    def _read(self, timeout):
        deadline = time.monotonic() + timeout
        self._fill(deadline, lambda buffer: b"\n" in buffer)
        end = self._buffer.index(b"\n")
        line = bytes(self._buffer[:end])
        del self._buffer[:end + 1]
        try:
            reply = json.loads(line)
            if not isinstance(reply, dict):
                raise ValueError("not an object")
        except ValueError:
            self.kill()
            raise SandboxError("the sandbox answered something that is not a reply", Flag.BAD_KERNEL_REPLY)
        if reply.get("status") == "dead":
            death = self._death()
            self.kill()
            raise death
        self._note_disk(reply)
        return reply

    def _read_bytes(self, size, timeout):
        """The next ``size`` raw bytes on the runner's stdout (the files of a bridge reply)."""
        self._fill(time.monotonic() + timeout, lambda buffer: len(buffer) >= size)
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def stderr_tail(self):
        """The end of what the sandbox wrote to stderr (bwrap's errors, Python's failure to start)."""
        return self._stderr.decode(errors="replace").strip()

    def _drain_stderr(self, timeout=1.0):
        """Read what is left on stderr once the runner is dying, for a message that says why."""
        deadline = time.monotonic() + timeout
        while any(key.data == "stderr" for key in self._selector.get_map().values()):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            for key, _ in self._selector.select(remaining):
                if key.data != "stderr":
                    continue
                chunk = os.read(key.fileobj.fileno(), 1 << 20)
                if chunk:
                    self._stderr = (self._stderr + chunk)[-MAX_STDERR_BYTES:]
                else:
                    self._selector.unregister(key.fileobj)
            if self.process.poll() is not None and not self._selector.select(0):
                return

    def _death(self):
        if not self.ready:
            # The runner never said it was ready: no learner code has run yet.
            self._drain_stderr()
            detail = self.stderr_tail()
            where = "the sandbox could not start Python" if self.sandboxed else "the grader could not start Python"
            return SandboxError(f"{where}: {detail[-1500:] or 'it exited without a word'}", Flag.ENVIRONMENT,
                                detail)
        if self.limits.oom_killed():
            return SandboxError("the kernel was stopped because it used more memory than allowed", Flag.MEMORY)
        return SandboxError("the kernel died (did the notebook exit, crash or run out of memory?)",
                            Flag.KERNEL_DIED)

    def _note_disk(self, reply):
        free = reply.get("disk_free")
        if isinstance(free, int) and self.sandboxed and free < DISK_FULL_BYTES:
            self.flags.add(Flag.DISK)

    def execute(self, code, timeout):
        """Run ``code`` as a cell; returns ``{"status", "outputs", "truncated"}``."""
        reply = self._ask({"op": "execute", "code": code, "timeout": timeout}, timeout)
        reply["outputs"] = clean_outputs(reply.get("outputs"), self.flags)
        if reply.get("truncated"):
            self.flags.add(Flag.OUTPUT_TRUNCATED)
        for output in reply["outputs"]:
            if output["output_type"] == "error":
                if output["ename"] == "MemoryError":
                    self.flags.add(Flag.MEMORY)   # rlimits: a memory bomb gets an exception, not a kill
                if any(text in output["evalue"] for text in DISK_ERRORS):
                    self.flags.add(Flag.DISK)
        return reply

    def add_files(self, source, ignore=None):
        """Copy the files of the folder ``source`` into the kernel's working folder.

        With the sandbox they go through the bridge folder and the runner
        copies them into its ``/tmp``, so they count against the disk limit.
        """
        if not self.sandboxed:
            shutil.copytree(source, self.workdir, dirs_exist_ok=True, ignore=ignore)
            return
        staged = self.bridge_dir / "files"
        shutil.copytree(source, staged, dirs_exist_ok=True, ignore=ignore)
        try:
            reply = self._ask({"op": "import", "from": f"{SANDBOX_BRIDGE}/files", "timeout": 60}, 60)
        finally:
            shutil.rmtree(staged, ignore_errors=True)
        if reply.get("status") != "ok":
            self.flags.add(Flag.DISK)
            raise SandboxError("the submission's files do not fit in the disk space a submission may use "
                               f"({self.disk_mb} MiB)", Flag.DISK)

    def _ask(self, message, timeout):
        """Send one message to the runner and read its reply.

        The runner interrupts the work at ``timeout``; the extra time covers
        code that ignores the interrupt, after which the sandbox is killed.
        """
        if not self.alive:
            raise SandboxError("the kernel is no longer running", Flag.KERNEL_DIED)
        self.wait_ready()
        self._send(message)
        reply = self._read(timeout + 15)
        if reply.get("status") == "timeout":
            self.flags.add(Flag.TIMEOUT)
            # Interrupted; code that catches the interrupt may still be busy,
            # and would answer nothing from now on.
            self._send({"op": "execute", "code": "pass", "timeout": 5})
            if self._read(20).get("status") != "ok":
                self.kill()
                raise SandboxError("the notebook ran past its time limit and ignored the interrupt "
                                   "(an infinite loop?)", Flag.TIMEOUT)
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
        inner = f"{SANDBOX_BRIDGE}/r{self._n}" if self.sandboxed else str(prefix)
        try:
            result = self._ask({"op": "bridge", "prefix": inner, "timeout": timeout}, timeout)
        finally:
            for leftover in self.bridge_dir.glob(f"r{self._n}.*"):
                leftover.unlink()
        if result.get("status") == "timeout":
            raise SandboxError("a call into the notebook ran past its time limit (an infinite loop?)",
                               Flag.TIMEOUT)
        try:
            sizes = result.get("sizes")
            if (not isinstance(sizes, list) or len(sizes) != 2 or not all(isinstance(n, int) for n in sizes)
                    or not 0 < sizes[0] <= MAX_REPLY_BYTES or not 0 <= sizes[1] <= MAX_ARRAY_BYTES + (1 << 20)):
                raise ValueError(f"reply sizes {sizes!r}")
            data = self._read_bytes(sizes[0] + sizes[1], timeout + 15)
            reply = json.loads(data[:sizes[0]])
            out_arrays = _load_plain_arrays(data[sizes[0]:])
        except (ValueError, zipfile.BadZipFile) as err:
            self.flags.add(Flag.BAD_KERNEL_REPLY)
            raise SandboxError(f"the notebook's kernel did not answer the grader ({type(err).__name__})",
                               Flag.BAD_KERNEL_REPLY) from err
        if not isinstance(reply, dict):
            self.flags.add(Flag.BAD_KERNEL_REPLY)
            raise SandboxError("the notebook's kernel answered the grader with nonsense",
                               Flag.BAD_KERNEL_REPLY)
        return reply, out_arrays

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
        self.limits.close()

    def close(self):
        """Stop the sandbox. Nothing in it is worth a polite shutdown: kill it all."""
        self.kill()
        self._selector.close()
        for pipe in (self.process.stdin, self.process.stdout, self.process.stderr):
            try:
                pipe.close()
            except OSError:
                pass
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
            flags.add(Flag.BAD_KERNEL_REPLY)
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


def _load_plain_arrays(data):
    """Arrays of a reply ``.npz`` given as bytes: numeric only, no pickles, bounded in size."""
    if not data:
        return {}
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        if sum(info.file_size for info in zf.infolist()) > MAX_ARRAY_BYTES:
            raise ValueError("reply arrays too large")
    with np.load(io.BytesIO(data), allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    for key, array in arrays.items():
        if array.dtype.kind not in "biuf":
            raise ValueError(f"reply array {key} has dtype {array.dtype}")
    return arrays
