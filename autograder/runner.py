"""The sandbox side of trusted grading: runs a learner's cells in a kernel, on request.

Started by :mod:`autograder.sandbox` inside the sandbox, so nothing here is
trusted either. It speaks JSON lines on the pipes it was given: the grader
sends ``{"op": "execute", "code": ..., "timeout": s}`` and gets back the cell's
outputs; ``{"op": "shutdown"}`` ends it. The grader never sends test code, only
learner cells and calls into :mod:`autograder.bridge`.
"""

import json
import os
import sys
import time

MAX_OUTPUT_CHARS = 200_000   # per cell: a flood of prints is cut, with a note
MAX_OUTPUTS = 100


def _cap(outputs):
    """Bound what one cell can send back, so a flood of output cannot flood the grader."""
    kept, used, truncated = [], 0, False
    for output in outputs[:MAX_OUTPUTS]:
        size = len(json.dumps(output))
        if used + size > MAX_OUTPUT_CHARS:
            truncated = True
            break
        kept.append(output)
        used += size
    if truncated or len(outputs) > MAX_OUTPUTS:
        kept.append({"output_type": "stream", "name": "stdout",
                     "text": f"\n[output cut: this cell printed more than {MAX_OUTPUT_CHARS:,} characters]\n"})
    return kept, truncated or len(outputs) > MAX_OUTPUTS


def main():
    workdir = sys.argv[1]
    # Our stdout is the protocol channel; the kernel and anything it starts get
    # /dev/null instead, so a stray write to fd 1 cannot corrupt a reply.
    channel = os.fdopen(os.dup(1), "w", buffering=1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)

    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    def send(message):
        channel.write(json.dumps(message) + "\n")

    nb = nbformat.v4.new_notebook()
    client = NotebookClient(
        nb, kernel_name="python3", allow_errors=True, interrupt_on_timeout=True,
        error_on_timeout={"ename": "CellTimeoutError", "evalue": "the cell ran past its time limit",
                          "traceback": ["CellTimeoutError: the cell ran past its time limit"]},
        extra_arguments=["--HistoryManager.hist_file=:memory:"],
        resources={"metadata": {"path": workdir}})
    try:
        with client.setup_kernel():
            send({"status": "ready"})
            for line in sys.stdin:
                command = json.loads(line)
                if command["op"] == "shutdown":
                    break
                cell = nbformat.v4.new_code_cell(command["code"])
                nb.cells.append(cell)
                client.timeout = command.get("timeout", 60)
                started = time.monotonic()
                try:
                    client.execute_cell(cell, len(nb.cells) - 1)
                except DeadKernelError:
                    send({"status": "dead", "outputs": []})
                    return
                outputs, truncated = _cap([dict(o) for o in cell.outputs])
                failed = [o for o in cell.outputs if o.get("output_type") == "error"]
                # nbclient does not always record a timeout as an output; the clock does.
                timed_out = time.monotonic() - started >= client.timeout or any(
                    o.get("ename") == "CellTimeoutError" for o in failed)
                status = "timeout" if timed_out else ("error" if failed else "ok")
                send({"status": status, "outputs": outputs, "truncated": truncated})
                cell.outputs = []   # the grader keeps them; the runner need not
    except Exception as err:
        send({"status": "dead", "outputs": [], "why": f"{type(err).__name__}: {err}"[:500]})


if __name__ == "__main__":
    main()
