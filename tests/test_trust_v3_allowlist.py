"""The sandbox is an allowlist: a submission sees only what :func:`allowed_mounts` names.

A real submission, graded by the project's ``grade`` machinery, walks the
whole file tree from inside its sandbox, lists every path it can see and
every socket file, and tries to connect to every Unix socket the host has
(by path and abstract name, PostgreSQL's among them), to a TCP listener on
the host's loopback and to the outside world. The test compares what it saw
with the allowlist. It runs as root with the limits this host picks, with
rlimits only, on a real Dask worker, and as an ordinary user
(tests/test_unprivileged.py runs this file as ``nobody``).
"""

import functools
import json
import os
import socket
from pathlib import Path

import nbformat
import pytest

from autograder.grading.autograde import autograde
from autograder.grading.batch import grade_class
from autograder.grading.options import GradingOptions
from autograder.sandbox import limits
from autograder.sandbox.kernel import allowed_mounts, bwrap_problem
from grading_helpers import ASSIGNMENT, NOTEBOOK, make_course, submit

pytestmark = pytest.mark.slow

# Inside the sandbox, besides the allowed folders: its own tmpfs, devices and processes.
SANDBOX_OWN = ["/tmp", "/dev", "/proc"]

PROBE = r'''
import errno, json, os, socket, stat
_allowed = {allowed!r}
_report = {{"outside": [], "sockets": [], "connected": [], "forbidden_seen": [], "refused": {{}}, "writable": []}}

def _inside(path):
    return any(path == a or path.startswith(a.rstrip("/") + "/") for a in _allowed)

def _ancestor(path):
    return any(a.startswith(path.rstrip("/") + "/") for a in _allowed)

_seen = 0
for top, dirs, files in os.walk("/", onerror=lambda err: None):
    if top == "/proc" or top.startswith("/proc/"):
        dirs[:] = []   # its own pid namespace's /proc: the kernel's view, no files of the host
        continue
    if os.access(top, os.W_OK) and not any(top == w or top.startswith(w + "/") for w in ("/tmp", "/dev/shm")):
        try:   # only its own capped tmpfs may be written (devpts says W_OK, yet takes no file)
            open(os.path.join(top, ".probe-write"), "x").close()
            os.remove(os.path.join(top, ".probe-write"))
            _report["writable"].append(top)
        except OSError:
            pass
    for name in dirs + files:
        path = os.path.join(top, name)
        _seen += 1
        try:
            mode = os.lstat(path).st_mode
        except OSError:
            continue
        if stat.S_ISSOCK(mode):
            _report["sockets"].append(path)
        if not _inside(path) and not (stat.S_ISDIR(mode) and _ancestor(path)):
            _report["outside"].append(path)
_report["seen"] = _seen
_report["outside"] = _report["outside"][:100]
_report["writable"] = _report["writable"][:100]
for path in {forbidden!r}:
    if os.path.lexists(path):
        _report["forbidden_seen"].append(path)

def _try(name, family, kind, address):
    try:
        s = socket.socket(family, kind)
    except OSError as err:
        _report["refused"][name] = errno.errorcode.get(err.errno, str(err.errno))
        return
    try:
        s.settimeout(3)
        s.connect(address)
        _report["connected"].append(name)
    except OSError as err:
        _report["refused"][name] = errno.errorcode.get(err.errno, str(err.errno))
    finally:
        s.close()

for target in {unix!r}:
    address = "\0" + target[1:] if target.startswith("@") else target
    _try("unix " + target, socket.AF_UNIX, socket.SOCK_STREAM, address)
_try("tcp host loopback", socket.AF_INET, socket.SOCK_STREAM, ("127.0.0.1", {port}))
_try("tcp outside", socket.AF_INET, socket.SOCK_STREAM, ("192.0.2.1", 80))
_try("tcp6 loopback", socket.AF_INET6, socket.SOCK_STREAM, ("::1", {port}))
try:
    socket.socket(socket.AF_NETLINK, socket.SOCK_RAW)
    _report["connected"].append("netlink")
except OSError as err:
    _report["refused"]["netlink"] = errno.errorcode.get(err.errno, str(err.errno))
print("PROBE" + json.dumps(_report))
# For the check command, which keeps no notebook: np_linear is right only if nothing was in view.
if _report["seen"] > 1000 and not any(_report[k] for k in ("outside", "sockets", "connected", "forbidden_seen",
                                                           "writable")):
    def np_linear(x, a):
        return x @ a.T
'''


@pytest.fixture(scope="module", autouse=True)
def needs_bwrap():
    if bwrap_problem():
        pytest.skip(f"the allowlist tests need bubblewrap: {bwrap_problem()}")


def host_unix_sockets():
    """Every Unix socket of the host, by path and by abstract name (``@name``), PostgreSQL's included."""
    found = {"/var/run/postgresql/.s.PGSQL.5432", "/run/postgresql/.s.PGSQL.5432"}
    try:
        lines = Path("/proc/net/unix").read_text().splitlines()[1:]
    except OSError:
        lines = []
    for line in lines:
        fields = line.split()
        if len(fields) >= 8:
            found.add(fields[7])
    return sorted(found)[:300]


def probe_source(course, listener_port, extra_forbidden=()):
    links, folders, _ = allowed_mounts(course)
    allowed = sorted({str(p) for p in links + folders} | set(SANDBOX_OWN))
    home = os.environ.get("HOME", "/root")
    forbidden = sorted({home, "/home", "/root", "/run", "/var/run", "/var", "/srv", "/mnt", "/media",
                        str(course), str(course / "submitted"), str(course / "source"),
                        str(course / "gradebook.db"), *map(str, extra_forbidden)})
    return PROBE.format(allowed=allowed, forbidden=forbidden, unix=host_unix_sockets(), port=listener_port)


@pytest.fixture
def listener():
    """A TCP server on the host's loopback, which no sandbox may reach."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    yield server.getsockname()[1]
    server.close()


def probe_report(course, student):
    nb = nbformat.read(course / "autograded" / student / ASSIGNMENT / NOTEBOOK, as_version=4)
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            text = output.get("text", "")
            if "PROBE{" in text:
                return json.loads(text[text.index("PROBE") + 5:].splitlines()[0])
    raise AssertionError("the probe printed no report: " + json.dumps(
        [c.get("outputs") for c in nb.cells if c.cell_type == "code"])[:3000])


def assert_allowlist_holds(report):
    assert report["seen"] > 1000, report   # the walk did run (the interpreter's files alone are thousands)
    assert report["outside"] == [], f"visible outside the allowlist: {report['outside']}"
    assert report["forbidden_seen"] == []
    assert report["writable"] == [], f"writable outside /tmp and /dev/shm: {report['writable'][:20]}"
    assert report["sockets"] == [], f"socket files inside the sandbox: {report['sockets']}"
    assert report["connected"] == [], f"connections that succeeded: {report['connected']}"
    # Not even a socket of another family can be made; a Unix one finds nothing to connect to.
    assert report["refused"]["tcp host loopback"] in ("EAFNOSUPPORT", "ENETUNREACH", "ECONNREFUSED")
    assert report["refused"]["tcp outside"] in ("EAFNOSUPPORT", "ENETUNREACH")
    assert all(why in ("ENOENT", "ECONNREFUSED") for name, why in report["refused"].items()
               if name.startswith("unix ")), report["refused"]


def _grade_probe(tmp_path, listener):
    course = make_course(tmp_path / "course")
    submit(course, "prober", attack=probe_source(course, listener))
    submit(course, "other")
    autograde(course, ASSIGNMENT, "prober")
    return probe_report(course, "prober")


def test_a_submission_sees_only_the_allowlist(tmp_path, listener):
    report = _grade_probe(tmp_path, listener)
    assert_allowlist_holds(report)
    if os.uname().machine in ("x86_64", "aarch64"):
        assert report["refused"]["netlink"] == "EAFNOSUPPORT"   # the seccomp filter, not only the namespace


def test_the_allowlist_holds_with_rlimits_only(tmp_path, listener, monkeypatch):
    import autograder.sandbox.kernel as sandbox_module

    monkeypatch.setattr(sandbox_module.limits_, "open_limits",
                        functools.partial(limits.open_limits, backends=("rlimits",)))
    report = _grade_probe(tmp_path, listener)
    assert_allowlist_holds(report)
    record = json.loads((tmp_path / "course" / "autograded" / "prober" / ASSIGNMENT
                         / "softmax_regression.grading.json").read_text())
    assert record["sandbox"]["limits"] == "rlimits"


def test_the_allowlist_holds_on_a_dask_worker(tmp_path, listener):
    from autograder.cluster.dask_executor import DaskCluster
    from services import dask_cluster

    course = make_course(tmp_path / "course")
    # The submissions come from a folder of their own, as from an LMS: it must be out of sight too.
    inbox = tmp_path / "inbox"
    submit(course, "prober", attack=probe_source(course, listener, extra_forbidden=[inbox]))
    submit(course, "other")
    (course / "submitted").rename(inbox)
    with dask_cluster(workers=1) as cluster:
        executor = DaskCluster(cluster.address, retries=0)
        try:
            report = grade_class(course, ASSIGNMENT, submissions=inbox, options=GradingOptions(progress=False),
                                 executor=executor)
        finally:
            executor.close()
    assert not report.errors, report.errors
    assert {t["student"] for t in executor.timings} == {"prober", "other"}
    assert_allowlist_holds(probe_report(course, "prober"))


def test_the_check_command_sandbox_sees_only_the_allowlist(tmp_path, listener):
    from autograder.grading.selfcheck import check_notebook

    course = make_course(tmp_path / "course")
    # The learner's own folder, beside the notebook they check, is out of sight too.
    mine = tmp_path / "my-notebooks"
    mine.mkdir()
    (mine / "secret.txt").write_text("a file of the learner's")
    notebook = submit(course, "prober", attack=probe_source(course, listener, extra_forbidden=[mine]))
    notebook = Path(notebook.replace(mine / NOTEBOOK))
    result, messages = check_notebook(notebook)
    assert "test_np_linear" not in messages, messages
    assert "test_softmax_values" in messages   # the rest is the blank release: the tests did run
