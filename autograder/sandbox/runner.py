"""The sandbox side of trusted grading: the learner's kernel, driven over two pipes.

Started by :mod:`autograder.sandbox.kernel` inside the sandbox, so nothing here is
trusted: the learner's cells run in this very process, in an IPython shell
(the same shell a Jupyter kernel wraps, without the kernel's process, ZeroMQ
sockets and client; they cost more CPU per submission than the grading
itself). The grader decides no verdict from anything this process says; it
takes outputs for the feedback and checks their form (``sandbox.clean_outputs``).

It is started as ``python -m autograder.sandbox.runner WORKDIR [MAX_PROCESSES]``: the
learner's cells run in ``WORKDIR``; in a sandbox, ``MAX_PROCESSES`` caps its
processes with ``RLIMIT_NPROC``, which in the sandbox's own user namespace
counts only them; the grader's requests are files in a folder that is
read-only in the sandbox, and the replies go back on stdout. It speaks JSON
lines on its stdin and stdout:

* ``{"op": "execute", "code": ..., "timeout": s}`` runs a cell and answers
  ``{"status": "ok" | "error" | "timeout", "outputs": [...], "truncated": bool}``;
* ``{"op": "bridge", "prefix": ..., "timeout": s}`` answers one request of
  :mod:`autograder.sandbox.bridge` (files beside ``prefix``) with ``{"status": ...,
  "sizes": [j, n]}``, then ``j`` bytes of reply JSON and ``n`` bytes of ``.npz``;
* ``{"op": "import", "from": folder}`` copies the submission's files into ``WORKDIR``;
* ``{"op": "shutdown"}`` ends it.

Every reply also says how much space is left on ``WORKDIR``'s file system
(``disk_free``), so the grader can flag a submission that filled it.

At a time limit the main thread gets SIGINT, as a kernel interrupt would give
it; code that ignores it is the grader's to kill.
"""

import base64
import io
import json
import os
import resource
import shutil
import signal
import sys
import threading

MAX_OUTPUT_CHARS = 200_000   # per cell: a flood of prints is cut, with a note
MAX_OUTPUTS = 100
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"


class CellOutputs:
    """The outputs of the cell being run, as nbformat dicts, bounded in size."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.items, self.used, self.truncated, self._clear_on_next = [], 0, False, False

    def _room(self, size):
        if self._clear_on_next:
            self.clear()
        if self.truncated or len(self.items) >= MAX_OUTPUTS or self.used + size > MAX_OUTPUT_CHARS:
            self.truncated = True
            return False
        self.used += size
        return True

    def add(self, output):
        output = _jsonable(output)
        if self._room(len(json.dumps(output))):
            self.items.append(output)

    def stream(self, name, text):
        if not self._room(len(text)):
            return
        last = self.items[-1] if self.items else None
        if last is not None and last["output_type"] == "stream" and last["name"] == name:
            last["text"].append(text)
        else:
            self.items.append({"output_type": "stream", "name": name, "text": [text]})

    def clear(self, wait=False):
        """Jupyter's ``clear_output``: now, or (``wait``) when the next output comes."""
        self._clear_on_next = wait
        if not wait:
            self.items, self.used = [], 0

    def finish(self):
        """The outputs, streams joined, with a note where some were cut."""
        items = [dict(o, text="".join(o["text"])) if o["output_type"] == "stream" else o for o in self.items]
        if self.truncated:
            items.append({"output_type": "stream", "name": "stdout",
                          "text": f"\n[output cut: this cell printed more than {MAX_OUTPUT_CHARS:,} characters]\n"})
        return items


def _jsonable(value):
    """Display data as JSON can carry it: bytes (a PNG) as base64, as a kernel sends them."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


OUTPUTS = CellOutputs()


class OutputStream(io.TextIOBase):
    """``sys.stdout`` or ``sys.stderr`` of the learner's cells: text goes to the cell's outputs."""

    def __init__(self, name):
        super().__init__()
        self._name = name

    @property
    def name(self):
        return f"<{self._name}>"

    @property
    def encoding(self):
        return "utf-8"

    def writable(self):
        return True

    def isatty(self):
        return False

    def write(self, text):
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        OUTPUTS.stream(self._name, text)
        return len(text)


def _make_shell():
    """An IPython shell whose displays, results and errors become nbformat outputs."""
    # Deferred: the sandbox imports this module and answers its first request
    # before it needs a shell; IPython's import is most of a sandbox's start.
    from IPython.core.displayhook import DisplayHook
    from IPython.core.displaypub import DisplayPublisher
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets import Type
    from traitlets.config import Config

    class Display(DisplayPublisher):
        def publish(self, data, metadata=None, source=None, *, transient=None, update=False, **kwargs):
            OUTPUTS.add({"output_type": "display_data", "data": data, "metadata": metadata or {}})

        def clear_output(self, wait=False):
            OUTPUTS.clear(wait)

    class Result(DisplayHook):
        def start_displayhook(self):
            self._data, self._metadata = {}, {}

        def write_output_prompt(self):
            pass

        def write_format_data(self, format_dict, md_dict=None):
            self._data, self._metadata = format_dict, md_dict or {}

        def finish_displayhook(self):
            OUTPUTS.add({"output_type": "execute_result", "execution_count": self.prompt_count,
                         "data": self._data, "metadata": self._metadata})

    class Shell(InteractiveShell):
        displayhook_class = Type(Result)
        display_pub_class = Type(Display)

        def _showtraceback(self, etype, evalue, stb):
            # What a Jupyter kernel sends as an error message.
            try:
                text = str(evalue)
            except Exception:  # a learner's exception whose __str__ fails
                text = "<unprintable exception>"
            OUTPUTS.add({"output_type": "error", "ename": getattr(etype, "__name__", "Error"),
                         "evalue": text, "traceback": [str(line) for line in stb]})

        def enable_gui(self, gui=None):
            pass   # figures are shown inline; there is no event loop to start

        def ask_exit(self):
            self.exit_now = True   # exit() or quit(): the runner stops after this cell

    config = Config()
    config.HistoryManager.enabled = False
    config.InteractiveShell.colors = "nocolor"
    return Shell.instance(config=config)


class Deadline:
    """Interrupts the main thread after ``seconds``, as a kernel interrupt would."""

    def __init__(self, seconds):
        self.fired = False
        self._lock = threading.Lock()
        self._armed = True
        self._main = threading.main_thread().ident
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def _fire(self):
        with self._lock:
            if self._armed:
                self.fired = True
                signal.pthread_kill(self._main, signal.SIGINT)

    def run(self, work):
        """Run ``work()``; returns whether the deadline interrupted it."""
        # The learner may have replaced the handler; a time limit needs the default one.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            self._timer.start()
            try:
                work()
            finally:
                with self._lock:
                    self._armed = False
                self._timer.cancel()
        except KeyboardInterrupt:
            pass   # the interrupt arrived as the work ended
        return self.fired


def execute(shell, code, timeout):
    """Run one cell; returns the reply for the grader."""
    OUTPUTS.reset()
    result = []
    timed_out = Deadline(timeout).run(lambda: result.append(shell.run_cell(code, store_history=True)))
    outputs = OUTPUTS.finish()
    if timed_out:
        outputs = [o for o in outputs if not (o["output_type"] == "error" and o["ename"] == "KeyboardInterrupt")]
        outputs.append({"output_type": "error", "ename": "CellTimeoutError",
                        "evalue": "the cell ran past its time limit",
                        "traceback": ["CellTimeoutError: the cell ran past its time limit"]})
    failed = any(o["output_type"] == "error" for o in outputs)
    status = "timeout" if timed_out else ("error" if failed else "ok")
    return {"status": status, "outputs": outputs, "truncated": OUTPUTS.truncated}


def bridge(prefix, timeout):
    """Answer one bridge request; returns the reply and the bytes of its JSON and ``.npz``.

    The answer is built in memory: the sandbox's disk may be full, or the
    request folder read-only.
    """
    OUTPUTS.reset()
    sink = {}

    def work():
        # Deferred to the first bridge request: most cells never need it.
        from autograder.sandbox import bridge as kernel_side
        kernel_side.handle(prefix, sink)

    if Deadline(timeout).run(work) or "json" not in sink:
        return {"status": "timeout"}, []
    files = [sink["json"], sink["npz"]]
    return {"status": "ok", "sizes": [len(f) for f in files]}, files


def import_files(source, workdir):
    """Copy the submission's files from the grader's folder into the working folder."""
    try:
        shutil.copytree(source, workdir, dirs_exist_ok=True)
    except (OSError, shutil.Error) as err:
        return {"status": "error", "why": str(err)[:500]}
    return {"status": "ok"}


def disk_free(path):
    """Bytes left for the learner on the file system of ``path``."""
    try:
        st = os.statvfs(path)
    except OSError:
        return None
    return st.f_bavail * st.f_frsize


def main():
    workdir = sys.argv[1]
    if len(sys.argv) > 2:
        cap = int(sys.argv[2])
        hard = resource.getrlimit(resource.RLIMIT_NPROC)[1]
        if hard != resource.RLIM_INFINITY:
            cap = min(cap, hard)
        resource.setrlimit(resource.RLIMIT_NPROC, (cap, cap))
    # Our stdin and stdout are the protocol; the learner's code, and anything it
    # starts, gets /dev/null instead, so a stray read or write of fd 0, 1 or 2
    # cannot take or corrupt a message.
    requests = os.fdopen(os.dup(0), "r")
    channel = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.chdir(workdir)
    sys.path[0] = ""   # the submission's own modules import, as in a kernel
    os.environ.setdefault("MPLBACKEND", INLINE_BACKEND)   # figures inline, as ipykernel sets it
    # Past the file-size limit a write fails with "File too large" instead of killing the kernel.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

    def send(message, files=()):
        message["disk_free"] = disk_free(workdir)
        channel.write((json.dumps(message) + "\n").encode())
        for data in files:
            channel.write(data)
        channel.flush()

    try:
        shell = _make_shell()
        sys.stdout, sys.stderr = OutputStream("stdout"), OutputStream("stderr")
        sys.stdin = open(os.devnull)
        send({"status": "ready"})
        for line in requests:
            command = json.loads(line)
            if command["op"] == "shutdown":
                break
            timeout = command.get("timeout", 60)
            files = ()
            if command["op"] == "bridge":
                reply, files = bridge(command["prefix"], timeout)
            elif command["op"] == "import":
                reply = import_files(command["from"], workdir)
            else:
                reply = execute(shell, command["code"], timeout)
            if shell.exit_now:   # exit() or quit() in a cell: a kernel stops there
                send({"status": "dead", "outputs": [], "why": "the notebook called exit()"})
                return
            send(reply, files)
    except Exception as err:
        send({"status": "dead", "outputs": [], "why": f"{type(err).__name__}: {err}"[:500]})


if __name__ == "__main__":
    main()
