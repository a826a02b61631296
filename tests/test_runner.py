"""The learner's kernel in the sandbox: what a cell's outputs look like to the grader.

The runner is an IPython shell in the sandboxed process, not a Jupyter kernel;
these tests pin what feedback relies on (figures, results, errors, streams)
and how time limits and exits end up, and that the grader takes only
well-formed outputs from it.
"""

import pytest

from autograder.sandbox.kernel import SandboxedKernel, SandboxError, bwrap_problem, clean_outputs


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    if bwrap_problem():
        pytest.skip(f"needs bubblewrap: {bwrap_problem()}")
    work = tmp_path_factory.mktemp("runner") / "work"
    work.mkdir()
    with SandboxedKernel(work, tmp_path_factory.mktemp("course"), memory_mb=1024, max_processes=64) as k:
        yield k


def _kinds(reply):
    return [o["output_type"] for o in reply["outputs"]]


def test_a_figure_and_a_result_come_back_as_a_kernel_sends_them(kernel):
    reply = kernel.execute("import matplotlib.pyplot as plt\n%matplotlib inline\nplt.plot([1, 2])\n6 * 7", 60)
    assert reply["status"] == "ok", reply
    result, figure = reply["outputs"][-2:]
    assert result["output_type"] == "execute_result" and result["data"]["text/plain"] == "42"
    assert figure["output_type"] == "display_data"
    assert figure["data"]["image/png"].startswith("iVBORw0KGgo")   # base64 of a PNG header


def test_prints_and_errors_are_streams_and_error_outputs(kernel):
    reply = kernel.execute("import sys\nprint('out')\nprint('err', file=sys.stderr)\n1 / 0", 60)
    assert reply["status"] == "error"
    assert _kinds(reply) == ["stream", "stream", "error"]
    assert [o.get("name") for o in reply["outputs"][:2]] == ["stdout", "stderr"]
    assert reply["outputs"][2]["ename"] == "ZeroDivisionError"


def test_input_gets_an_error_not_the_graders_messages(kernel):
    reply = kernel.execute("input('name? ')", 60)
    assert reply["outputs"][-1]["ename"] == "EOFError"
    assert kernel.execute("print('still here')", 60)["outputs"][0]["text"] == "still here\n"


def test_a_cell_past_its_time_limit_is_interrupted_and_flagged(kernel):
    reply = kernel.execute("import time\ntime.sleep(30)", 1)
    assert reply["status"] == "timeout"
    assert reply["outputs"][-1]["ename"] == "CellTimeoutError"
    assert "timeout" in kernel.flags
    assert kernel.execute("print(1)", 60)["status"] == "ok"


def test_exit_in_a_cell_stops_the_kernel(tmp_path):
    (tmp_path / "work").mkdir()
    with SandboxedKernel(tmp_path / "work", tmp_path / "course", memory_mb=1024, max_processes=64,
                         sandbox=bwrap_problem() is None) as k:
        with pytest.raises(SandboxError) as err:
            k.execute("exit()", 60)
        assert err.value.flag == "kernel-died"
        with pytest.raises(SandboxError):
            k.execute("print(1)", 60)


def test_malformed_outputs_are_dropped_and_flagged():
    flags = set()
    outputs = clean_outputs([
        {"output_type": "stream", "name": "stdout", "text": "fine\n"},
        {"output_type": "stream", "name": "stdout", "text": 42},
        {"output_type": "made_up"},
        "not a dict",
        {"output_type": "error", "ename": "E", "evalue": "v", "traceback": [1, "x"]},
    ], flags)
    assert outputs == [{"output_type": "stream", "name": "stdout", "text": "fine\n"},
                       {"output_type": "error", "ename": "E", "evalue": "v", "traceback": ["1", "x"]}]
    assert flags == {"bad-kernel-reply"}
    assert clean_outputs("nonsense", flags) == []
