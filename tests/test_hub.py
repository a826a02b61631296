"""The hub's set-up (`make hub`), fast: accounts, groups, folder modes, and the exchange's weak points closed.

Real system users (``useradd``), real ``nbgrader`` commands run as them
(``runuser``), no JupyterHub process (tests/test_hub_browser.py starts one).
Each test works on a deployed copy of the repository (:func:`deploy`), as
`make hub` would lock it, so the working tree's own modes are never changed.
"""

import contextlib
import os
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest

from conftest import REPO_ROOT

ASSIGNMENT = "01_softmax_regression"
NOTEBOOK = "softmax_regression.ipynb"
# Unix groups are machine-wide: each run's courses get names of their own, so two
# test modules (or two runs) never rewrite each other's nbgrader-<course> groups.
COURSE = f"nn{uuid.uuid4().hex[:6]}"
PROXY = REPO_ROOT / ".venv" / "node" / "node_modules" / ".bin" / "configurable-http-proxy"


def needs_root():
    if os.geteuid() != 0:
        pytest.skip("the hub creates system accounts (useradd) and runs servers as them: run the tests as root")
    for tool in ("useradd", "userdel", "groupadd", "gpasswd", "chpasswd", "runuser"):
        if not shutil.which(tool):
            pytest.skip(f"{tool} (passwd / util-linux) is not installed")


def _link_or_copy(src, dst):
    try:
        os.link(src, dst)
    except OSError:     # another file system
        shutil.copy2(src, dst)


def deploy(folder):
    """A copy of the repository and a Python environment that runs it, as a hub machine has them.

    The environment is a virtualenv from the same interpreter, with this
    repository's installed packages hard-linked into it and the copy on its
    path, and shares its ``share/`` and ``etc/`` (JupyterLab's assets, nbgrader's extensions). So
    the copy, not the working tree, is what user servers import, and locking
    it (as `make hub` locks the repository it runs from) leaves the working
    tree alone. Returns (copy, python).
    """
    folder = Path(folder)
    folder.mkdir(mode=0o755)
    copy = folder / "repo"
    shutil.copytree(REPO_ROOT, copy, symlinks=True, ignore=shutil.ignore_patterns(
        ".venv", ".git", "tests", "test-artifacts", "__pycache__", "build", "submitted*", "autograded",
        "feedback", "reports", "gradebook.db", ".grading-seed*", "grades*.csv", "dist", "exchange",
        ".ipynb_checkpoints"))
    venv = folder / "venv"
    base = Path(os.path.realpath(sys.executable))
    subprocess.run([str(Path(sys.base_prefix) / "bin" / base.name), "-m", "venv", "--without-pip", str(venv)],
                   check=True)
    site = next((venv / "lib").glob("python3*/site-packages"))
    real_site = next((Path(sys.prefix) / "lib").glob("python3*/site-packages"))
    # The packages themselves, hard-linked (seconds, no space), not a .pth to
    # this repository's environment: the sandbox mounts the grader's sys.prefix,
    # as it would a hub machine's own .venv, and a path outside it is not there.
    shutil.copytree(real_site, site, symlinks=True, copy_function=_link_or_copy, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("nn_course.pth"))
    (site / "nn_course.pth").write_text(f"{copy}\n")
    for name in ("share", "etc"):
        (venv / name).symlink_to(Path(sys.prefix) / name)
    for script in ("alembic", "jupyter", "nbgrader"):
        (venv / "bin" / script).symlink_to(Path(sys.prefix) / "bin" / script)
    for path in [folder, *(p for p in folder.rglob("*") if not p.is_relative_to(site))]:
        if not path.is_symlink():
            path.chmod(stat.S_IMODE(path.stat().st_mode) | 0o444 | (0o111 if path.is_dir() else 0))
    return copy, venv / "bin" / "python"


def unique_names(n, prefix="nnh"):
    """``n`` user names no account has, short enough for useradd."""
    tag = uuid.uuid4().hex[:5]
    return [f"{prefix}{tag}{i}" for i in range(n)]


def write_roster(path, rows):
    path.write_text("course,username,role\n" + "".join(f"{c},{u},{r}\n" for c, u, r in rows))
    return path


def as_user(user, command, python_env=None, cwd=None, check=False, timeout=300, env=None):
    """Run ``command`` as ``user`` with a clean login-like environment."""
    home = pwd.getpwnam(user).pw_dir
    base = {"HOME": home, "USER": user, "PATH": f"{Path(python_env).parent}:/usr/bin:/bin" if python_env
            else "/usr/bin:/bin", "LANG": "C.UTF-8", "NN_GRADING_SEED": os.environ.get("NN_GRADING_SEED", "")}
    base.update(env or {})
    return subprocess.run(["runuser", "-u", user, "--", "env", "-i", *(f"{k}={v}" for k, v in base.items() if v),
                           *command], cwd=cwd or home, capture_output=True, text=True, timeout=timeout,
                          check=check)


@contextlib.contextmanager
def provisioned(rows, port=8000):
    """(settings, passwords, copy, python) for a roster of ``rows``; removes every account and folder after."""
    from hub.provision import provision, remove_groups, remove_users
    from hub.roster import read_roster

    folder = Path(tempfile.mkdtemp(prefix="nn-hub-"))
    folder.chmod(0o755)       # every account reaches the environment and the exchange below it
    users = sorted({u for _, u, _ in rows})
    courses = sorted({c for c, _, _ in rows})
    try:
        copy, python = deploy(folder / "app")
        roster = read_roster(write_roster(folder / "roster.csv", rows))
        settings, passwords = provision(roster, folder / "hub", PROXY, python=python, repo_root=copy, port=port)
        yield settings, passwords, copy, python
    finally:
        remove_users(users)
        remove_groups([f"{k}-{c}" for c in courses for k in ("nbgrader", "formgrade")] + users)
        shutil.rmtree(folder, ignore_errors=True)


def course_of(settings, course_id):
    return next(c for c in settings.courses if c.course_id == course_id)


def release(settings, course, python, duedate="2030-01-01 00:00:00 UTC"):
    """The instructor adds the assignment with a due date, generates and releases it (nbgrader's CLI).

    ``generate_assignment`` records the assignment's notebooks in the gradebook
    before any submission does; afterwards nbgrader would refuse to change them.
    """
    instructor = course.instructors[0]
    for command in (["db", "assignment", "add", ASSIGNMENT, f"--duedate={duedate}"],
                    ["generate_assignment", ASSIGNMENT, "--force"], ["release_assignment", ASSIGNMENT]):
        done = as_user(instructor, [str(python), "-m", "nbgrader", *command], python, cwd=course.course_dir)
        assert done.returncode == 0, f"nbgrader {' '.join(command)} as {instructor}:\n{done.stderr[-2000:]}"


def student_nbgrader(settings, student, python, *command):
    """An nbgrader exchange command as a student, with the hub's user configuration.

    Without a running hub there is no one to ask for the course's groups, so
    nbgrader's ``NoAuthPlugin`` stands in for ``JupyterHubAuthPlugin``; the
    file modes under test do not depend on it.
    """
    return as_user(student, [str(python), "-m", "nbgrader", *command,
                             "--Authenticator.plugin_class=nbgrader.auth.NoAuthPlugin"], python,
                   env={"JUPYTER_CONFIG_PATH": settings.user_config})


# ---------------------------------------------------------------- the roster

def test_roster_errors_name_the_row_and_the_fix(tmp_path):
    from hub.roster import RosterError, read_roster

    cases = {"course,username,role\nnn101,Bad Name,student\nnn101,teacher,instructor\n": "nn101,Bad Name"[6:],
             "course,username,role\nnn101,alice,learner\n": "role 'learner'",
             "course,username,role\nnn101,alice,student\n": "has no instructor",
             "name,role\n": "header course,username,role",
             "course,username,role\nnn101,t,instructor\nnn101,t,student\n": "listed twice"}
    for text, expected in cases.items():
        path = tmp_path / "roster.csv"
        path.write_text(text)
        with pytest.raises(RosterError, match=expected):
            read_roster(path)
    with pytest.raises(RosterError, match="roster.example.csv"):
        read_roster(tmp_path / "missing.csv")
    roster = read_roster(REPO_ROOT / "hub" / "roster.example.csv")
    assert [(c.course_id, c.instructors, len(c.students)) for c in roster.courses.values()] == [
        ("nn101", ["instructor"], 3)]


def test_jupyterhub_config_gives_each_course_its_groups_roles_and_formgrader_service(tmp_path):
    from traitlets.config.loader import PyFileConfigLoader

    from hub.provision import CourseSettings, HubSettings

    settings = HubSettings(str(tmp_path), "/opt/py/bin/python", "/opt/chp", courses=[
        CourseSettings("nn101", ["ann"], ["s1", "s3"], "/srv/c/nn101", 9901),
        CourseSettings("nn202", ["bob"], ["s2", "s3"], "/srv/c/nn202", 9902)])
    path = tmp_path / "hub.json"
    import dataclasses
    import json

    path.write_text(json.dumps(dataclasses.asdict(settings)))
    os.environ["NN_HUB_SETTINGS"] = str(path)
    try:
        c = PyFileConfigLoader("jupyterhub_config.py", path=str(REPO_ROOT / "hub")).load_config()
    finally:
        del os.environ["NN_HUB_SETTINGS"]
    assert c.JupyterHub.load_groups == {"nbgrader-nn101": {"users": ["ann", "s1", "s3"]},
                                        "formgrade-nn101": {"users": ["ann"]},
                                        "nbgrader-nn202": {"users": ["bob", "s2", "s3"]},
                                        "formgrade-nn202": {"users": ["bob"]}}
    roles = {r["name"]: r for r in c.JupyterHub.load_roles}
    assert roles["formgrade-nn101"] == {"name": "formgrade-nn101", "groups": ["formgrade-nn101"],
                                        "scopes": ["access:services!service=nn101"]}
    assert roles["nbgrader-nn202"]["scopes"] == ["list:services", "read:services!service=nn202"]
    services = {s["name"]: s for s in c.JupyterHub.services}
    assert services["nn101"]["user"] == "ann" and services["nn202"]["user"] == "bob"
    assert services["nn101"]["cwd"] == "/srv/c/nn101" and services["nn101"]["url"] == "http://127.0.0.1:9901"
    assert c.Authenticator.allowed_users == {"ann", "bob", "s1", "s2", "s3"}
    assert not c.Authenticator.admin_users
    assert c.Spawner.cmd == ["/opt/py/bin/python", "-m", "jupyterhub.singleuser"]
    assert c.Spawner.environment["JUPYTER_CONFIG_PATH"] == str(tmp_path / "etc" / "jupyter")


# ---------------------------------------------------------------- provisioning

@pytest.fixture(scope="module")
def hub_machine():
    """One instructor and two students of nn101, provisioned once, assignment 1 released."""
    needs_root()
    inst, s1, s2 = unique_names(3)
    with provisioned([(COURSE, inst, "instructor"), (COURSE, s1, "student"), (COURSE, s2, "student")]) as (
            settings, passwords, copy, python):
        release(settings, course_of(settings, COURSE), python)
        yield settings, passwords, copy, python, (inst, s1, s2)


def _mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def _group(path):
    import grp

    return grp.getgrgid(os.lstat(path).st_gid).gr_name


def test_provision_makes_accounts_groups_and_the_exchange_with_the_documented_modes(hub_machine):
    settings, passwords, copy, python, (inst, s1, s2) = hub_machine
    assert set(passwords) == {inst, s1, s2} and all(len(p) >= 16 for p in passwords.values())
    accounts = Path(settings.hub_dir) / "state" / "accounts.csv"
    assert _mode(accounts) == 0o600 and os.stat(accounts).st_uid == 0
    for user in (inst, s1, s2):
        assert _mode(pwd.getpwnam(user).pw_dir) == 0o700
    exchange = Path(settings.exchange)
    assert _mode(exchange) == 0o1777
    assert (_mode(exchange / COURSE), _group(exchange / COURSE)) == (0o2750, f"nbgrader-{COURSE}")
    assert (_mode(exchange / COURSE / "inbound"), _group(exchange / COURSE / "inbound")) == (
        0o2733, f"formgrade-{COURSE}")
    course = Path(course_of(settings, COURSE).course_dir)
    assert _mode(course) == 0o700 and pwd.getpwuid(os.stat(course).st_uid).pw_name == inst
    assert (course / "source" / ASSIGNMENT / NOTEBOOK).is_file()
    for name in ("source", "examples"):
        assert _mode(copy / name) & 0o077 == 0, f"the repository's {name}/ is open to others"
    # A student's account cannot read any instructor-only file, whatever it tries.
    for path in (course / "source" / ASSIGNMENT / NOTEBOOK, course / "nbgrader_config.py",
                 copy / "source" / ASSIGNMENT / NOTEBOOK, copy / "examples" / ASSIGNMENT / "reference.py",
                 accounts):
        done = as_user(s1, ["cat", str(path)])
        assert done.returncode != 0 and "Permission denied" in done.stderr, (path, done.stdout[:200])
    assert as_user(s1, ["ls", str(exchange / COURSE / "inbound")]).returncode != 0
    # The course's code still runs for a student: the notebooks import it.
    done = as_user(s1, [str(python), "-c", "import course.data, autograder.learner.checks; print('ok')"], python)
    assert done.stdout.strip() == "ok", done.stderr[-1000:]
    # Provisioning again changes no password and keeps the course folder's files.
    (course / "notes.txt").write_text("kept")
    from hub.provision import provision
    from hub.roster import read_roster

    roster_path = Path(settings.hub_dir).parent / "roster.csv"
    _, again = provision(read_roster(roster_path), settings.hub_dir, PROXY, python=python, repo_root=copy)
    assert again == {} and (course / "notes.txt").read_text() == "kept"


def test_a_submission_is_readable_by_its_student_and_the_instructors_only(hub_machine):
    settings, _, copy, python, (inst, s1, s2) = hub_machine
    for step in (["fetch_assignment", ASSIGNMENT, f"--course={COURSE}"],
                 ["submit", ASSIGNMENT, f"--course={COURSE}"]):
        done = student_nbgrader(settings, s1, python, *step)
        assert done.returncode == 0, f"{step}: {done.stderr[-2000:]}"
    inbound = Path(settings.exchange) / COURSE / "inbound"
    submission = max(inbound.glob(f"{s1}+{ASSIGNMENT}+*"))
    files = [p for p in submission.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {NOTEBOOK, "timestamp.txt", "submission_secret.txt"}
    for path in files:
        assert (_mode(path), _group(path)) == (0o640, f"formgrade-{COURSE}"), path
    assert (_mode(submission), _group(submission)) == (0o770, f"formgrade-{COURSE}")
    # Another student who knows the folder's name reads nothing of it.
    for path in (submission / NOTEBOOK, submission / "submission_secret.txt"):
        done = as_user(s2, ["cat", str(path)])
        assert done.returncode != 0 and "Permission denied" in done.stderr
    assert as_user(s2, ["touch", str(submission / "x")]).returncode != 0
    # The instructor reads it; so does the student who submitted it.
    assert as_user(inst, ["cat", str(submission / NOTEBOOK)]).returncode == 0
    assert as_user(s1, ["cat", str(submission / NOTEBOOK)]).returncode == 0


def test_grade_reads_only_a_student_s_own_latest_submission_from_inbound_and_no_link(hub_machine):
    """Real ``nbgrader submit`` hand-ins, read by grade's collect step as the instructor.

    tests/test_inbound.py checks each refusal on its own.
    """
    settings, _, copy, python, (inst, s1, s2) = hub_machine
    course = course_of(settings, COURSE)
    student_nbgrader(settings, s1, python, "fetch_assignment", ASSIGNMENT, f"--course={COURSE}")  # if not yet
    assert (Path(pwd.getpwnam(s1).pw_dir) / COURSE / ASSIGNMENT / NOTEBOOK).is_file()
    for _ in range(2):     # a resubmission: the later one is graded
        assert student_nbgrader(settings, s1, python, "submit", ASSIGNMENT, f"--course={COURSE}").returncode == 0
    inbound = Path(settings.exchange) / COURSE / "inbound"
    stamps = sorted((p / "timestamp.txt").read_text() for p in inbound.glob(f"{s1}+*"))
    # s2 plants a folder in s1's name, later than s1's, and hands in a link to the instructor's solution.
    forged = inbound / f"{s1}+{ASSIGNMENT}+2099-01-01 00:00:00.000000 UTC+x"
    linked = inbound / f"{s2}+{ASSIGNMENT}+2026-01-01 00:00:00.000000 UTC+y"
    target = Path(course.course_dir) / "source" / ASSIGNMENT / NOTEBOOK
    script = (f"mkdir '{forged}' '{linked}' && echo '{{}}' > '{forged}/{NOTEBOOK}' && "
              f"echo x > '{linked}/timestamp.txt' && ln -s '{target}' '{linked}/{NOTEBOOK}'")
    assert as_user(s2, ["sh", "-c", script]).returncode == 0
    code = ("import sys; from autograder.grading.collect import collect\n"
            "for c in collect(sys.argv[1], '.', sys.argv[2]): print(c.student, c.submitted_at, c.error, c.notes)")
    done = as_user(inst, [str(python), "-c", code, str(inbound), ASSIGNMENT], python, cwd=course.course_dir)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = dict(line.split(" ", 1) for line in done.stdout.splitlines())
    graded = Path(course.course_dir) / "submitted" / s1 / ASSIGNMENT
    assert "BEGIN SOLUTION" not in (graded / NOTEBOOK).read_text() and (graded / NOTEBOOK).read_text() != "{}\n"
    assert (graded / "timestamp.txt").read_text() == stamps[-1]
    assert f"made by {s2}, not by {s1}" in lines[s1]
    assert "symbolic link" in lines[s2] and not (Path(course.course_dir) / "submitted" / s2).exists()
