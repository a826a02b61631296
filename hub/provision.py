"""Everything `make hub` sets up before JupyterHub starts, idempotently, as root.

- a system account per roster user (``useradd``), a private home (0700) and a
  generated password (``chpasswd``), written once to ``state/accounts.csv``
  (0600, root's) and printed when made;
- Unix groups ``nbgrader-<course>`` (everyone in the course) and
  ``formgrade-<course>`` (its instructors), the same names as the hub groups;
- nbgrader's exchange, ``exchange/`` (1777, as nbgrader's docs require it
  writable by everyone, plus the sticky bit): ``exchange/<course>`` is the
  instructor's, group ``nbgrader-<course>``, 2750, so no one outside the course
  can even list it; its ``inbound`` is 2733 with group ``formgrade-<course>``:
  students can drop submissions in but not list them, and every file a
  submission creates belongs to the instructors' group, which
  :class:`hub.exchange.PrivateSubmit` makes the only one that can read it;
- a course folder per course, ``courses/<course>`` (0700, the instructor's):
  ``source/``, ``notebooks/``, the gradebook and the hidden-test seed live
  there and nowhere a student can read;
- the repository's instructor-only files (``source/``, ``examples/``, the
  grading state, ``.git``) closed to everyone but root: the students' servers
  run the repository's Python environment, so they may read the repository.
"""

import csv
import grp
import json
import os
import pwd
import secrets
import shutil
import stat
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from autograder.settings import RELEASE_DIR, REPO_ROOT, SOURCE_DIR

# What a student must never read, relative to the repository (missing ones are skipped).
INSTRUCTOR_ONLY = (SOURCE_DIR, "examples", ".git", ".grading-seed", "gradebook.db", "submitted",
                   "autograded", "feedback", "reports", "submitted-originals", "autograder/build",
                   "exchange", "dist", "test-artifacts")
# Ports from the hub's own upward: the proxy's API, the hub, then one formgrader per course.
PROXY_API_OFFSET, HUB_OFFSET, FIRST_SERVICE_OFFSET = 1, 2, 3


@dataclass
class CourseSettings:
    """What jupyterhub_config.py needs to know of one course."""

    course_id: str
    instructors: list
    students: list
    course_dir: str
    service_port: int


@dataclass
class HubSettings:
    """The hub's settings, written by :func:`provision` to ``state/hub.json`` for jupyterhub_config.py."""

    hub_dir: str
    python: str                    # the course's interpreter: user servers, kernels and services run it
    proxy: str                     # configurable-http-proxy's executable
    ip: str = "127.0.0.1"
    port: int = 8000
    courses: list = field(default_factory=list)

    @property
    def exchange(self):
        return str(Path(self.hub_dir) / "exchange")

    @property
    def user_config(self):
        """The Jupyter configuration folder of every user server (JUPYTER_CONFIG_PATH)."""
        return str(Path(self.hub_dir) / "etc" / "jupyter")

    @classmethod
    def load(cls, path):
        data = json.loads(Path(path).read_text())
        data["courses"] = [CourseSettings(**c) for c in data["courses"]]
        return cls(**data)


def _run(*command):
    subprocess.run(command, check=True, capture_output=True, text=True)


def _exists(kind, name):
    try:
        (pwd.getpwnam if kind == "user" else grp.getgrnam)(name)
        return True
    except KeyError:
        return False


def ensure_user(name):
    """A system account with a private home; returns True if it was created now."""
    created = not _exists("user", name)
    if created:
        _run("useradd", "--create-home", "--shell", "/bin/bash", "--user-group", name)
    os.chmod(pwd.getpwnam(name).pw_dir, 0o700)
    return created


def ensure_group(name, members):
    """A Unix group whose members are exactly ``members``."""
    if not _exists("group", name):
        _run("groupadd", name)
    _run("gpasswd", "--members", ",".join(members), name)


def _chown(path, user, group=None):
    os.chown(path, pwd.getpwnam(user).pw_uid, grp.getgrnam(group).gr_gid if group else -1)


def _directory(path, mode, user="root", group=None):
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    _chown(path, user, group or (user if user != "root" else "root"))
    os.chmod(path, mode)      # after chown, which clears setgid
    return path


def accounts_file(hub_dir):
    return Path(hub_dir) / "state" / "accounts.csv"


def set_passwords(hub_dir, users):
    """A generated password for each user who has none in ``state/accounts.csv``; returns the new ones."""
    path = accounts_file(hub_dir)
    known = {}
    if path.is_file():
        with open(path, newline="") as f:
            known = {row["username"]: row["password"] for row in csv.DictReader(f)}
    new = {u: secrets.token_urlsafe(12) for u in users if u not in known}
    if new:
        subprocess.run(["chpasswd"], input="".join(f"{u}:{p}\n" for u, p in new.items()),
                       check=True, capture_output=True, text=True)
        known.update(new)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["username", "password"])
            writer.writerows(sorted(known.items()))
    os.chmod(path, 0o600)
    return new


def lock_repository(repo_root=REPO_ROOT):
    """Close the repository's instructor-only files to everyone but their owner (root)."""
    closed = []
    for name in INSTRUCTOR_ONLY:
        path = Path(repo_root) / name
        if path.exists() and not path.is_symlink():
            path.chmod(stat.S_IMODE(path.lstat().st_mode) & 0o700)
            closed.append(path)
    for path in Path(repo_root).glob("grades-*.csv"):
        path.chmod(0o600)
    return closed


COURSE_CONFIG = '''\
# nbgrader's settings for course {course_id} on the hub: written by `make hub`
# (hub/provision.py), rewritten at every start. formgrader, the nbgrader
# commands run here and the course's `grade --root .` read it.
from autograder.coursedir.nbgrader_api import nbgrader_config

c = get_config()  # noqa: F821 (defined by traitlets when it loads this file)
c.merge(nbgrader_config({course_dir!r}))
c.CourseDirectory.course_id = {course_id!r}
c.Exchange.root = {exchange!r}
c.Exchange.path_includes_course = True
c.Authenticator.plugin_class = "nbgrader.auth.JupyterHubAuthPlugin"
c.ExchangeFactory.submit = "hub.exchange.PrivateSubmit"
# The instructor's own settings (late penalty, limits, ...): that file is
# never rewritten, and a missing one is skipped.
load_subconfig({local!r})  # noqa: F821
'''
LOCAL_CONFIG = "nbgrader_config.local.py"

# Every user server: the exchange, one folder per course, courses from the hub's groups.
USER_NBGRADER_CONFIG = '''\
# nbgrader's settings for every user server of the hub: written by `make hub`.
c = get_config()  # noqa: F821
c.Exchange.root = {exchange!r}
c.Exchange.path_includes_course = True
c.Authenticator.plugin_class = "nbgrader.auth.JupyterHubAuthPlugin"
# Submitted files readable by the course's instructors only (hub/exchange.py).
c.ExchangeFactory.submit = "hub.exchange.PrivateSubmit"
'''

# Students and instructors get the Assignment List, the Course List and
# nbgrader's own Validate (the visible tests, in their kernel: the hidden
# tests stay in the instructor's folder); formgrader only runs as a service.
USER_SERVER_EXTENSIONS = {"nbgrader.server_extensions.formgrader": False,
                          "nbgrader.server_extensions.assignment_list": True,
                          "nbgrader.server_extensions.course_list": True,
                          "nbgrader.server_extensions.validate_assignment": True,
                          "autograder.learner.lab_validate": False}
SERVICE_SERVER_EXTENSIONS = {"nbgrader.server_extensions.formgrader": True,
                             "nbgrader.server_extensions.assignment_list": False,
                             "nbgrader.server_extensions.course_list": False,
                             "nbgrader.server_extensions.validate_assignment": False,
                             "autograder.learner.lab_validate": False}


def _write(path, text, mode=0o644, user="root"):
    path = Path(path)
    path.write_text(text)
    _chown(path, user)
    os.chmod(path, mode)


def _server_config(extensions):
    return json.dumps({"ServerApp": {"jpserver_extensions": extensions}}, indent=2) + "\n"


def setup_course(settings, course, repo_root=REPO_ROOT):
    """The course folder and the course's corner of the exchange."""
    instructor = course.instructors[0]
    everyone, graders = f"nbgrader-{course.course_id}", f"formgrade-{course.course_id}"
    exchange = Path(settings.exchange) / course.course_id
    _directory(exchange, 0o2750, instructor, everyone)
    _directory(exchange / "outbound", 0o755, instructor, everyone)
    _directory(exchange / "inbound", 0o2733, instructor, graders)
    _directory(exchange / "feedback", 0o711, instructor, everyone)

    root = _directory(course.course_dir, 0o700, instructor)
    for name in (SOURCE_DIR, RELEASE_DIR):
        if not (root / name).exists():       # never overwrite the instructor's edits
            shutil.copytree(Path(repo_root) / name, root / name,
                            ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    _write(root / "nbgrader_config.py", COURSE_CONFIG.format(
        course_id=course.course_id, course_dir=course.course_dir, exchange=settings.exchange, local=LOCAL_CONFIG),
           user=instructor)
    _write(root / "jupyter_server_config.json", _server_config(SERVICE_SERVER_EXTENSIONS), user=instructor)
    uid, gid = pwd.getpwnam(instructor).pw_uid, pwd.getpwnam(instructor).pw_gid
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            os.lchown(os.path.join(dirpath, name), uid, gid)


def provision(roster, hub_dir, proxy, python=sys.executable, repo_root=REPO_ROOT, port=8000):
    """Set the machine up for ``roster``; returns (HubSettings, {username: new password}).

    Safe to run again: existing accounts keep their passwords, existing course
    folders their files, the exchange its submissions.
    """
    hub_dir = Path(hub_dir).resolve()
    courses = [CourseSettings(c.course_id, c.instructors, c.students, str(hub_dir / "courses" / c.course_id),
                              port + FIRST_SERVICE_OFFSET + i) for i, c in enumerate(roster.courses.values())]
    settings = HubSettings(str(hub_dir), str(python), str(proxy), port=port, courses=courses)
    _directory(hub_dir, 0o755)
    _directory(hub_dir / "state", 0o700)
    _directory(hub_dir / "courses", 0o755)
    _directory(settings.exchange, 0o1777)
    for user in roster.users:
        ensure_user(user)
    for course in courses:
        ensure_group(f"nbgrader-{course.course_id}", course.instructors + course.students)
        ensure_group(f"formgrade-{course.course_id}", course.instructors)
    new_passwords = set_passwords(hub_dir, roster.users)
    for course in courses:
        setup_course(settings, course, repo_root)
    config = _directory(settings.user_config, 0o755)
    _write(config / "nbgrader_config.py", USER_NBGRADER_CONFIG.format(exchange=settings.exchange))
    _write(config / "jupyter_server_config.json", _server_config(USER_SERVER_EXTENSIONS))
    lock_repository(repo_root)
    fd = os.open(hub_dir / "state" / "hub.json", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(asdict(settings), f, indent=2)
    return settings, new_passwords


def remove_users(users):
    """Delete accounts and their homes (the tests' cleanup; `make hub` never removes anyone)."""
    for user in users:
        if _exists("user", user):
            subprocess.run(["pkill", "-KILL", "-u", user], capture_output=True)
            subprocess.run(["userdel", "--remove", user], capture_output=True)


def remove_groups(groups):
    for group in groups:
        if _exists("group", group):
            subprocess.run(["groupdel", group], capture_output=True)
