"""grade reading nbgrader's exchange inbound/ directly: each own latest hand-in, its time, hostile entries refused.

The inbound folder is built as nbgrader's submit leaves it
(``<student>+<assignment>+<timestamp>+<random>/`` with ``timestamp.txt`` and
``submission_secret.txt``), each folder and file owned by a real system user
(``useradd``): the owner checks need root, and are skipped without it.
"""

import os
import shutil
import subprocess
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from autograder.grading.collect import collect
from autograder.grading.inbound import STAMP_FORMAT, read_record, record_path
from autograder.settings import SOURCE_DIR
# The released course and its notebook with a marker in a solution cell, as the LMS tests build them.
from test_lms_collect import _notebook, course  # noqa: F401 (course is a fixture)

ASSIGNMENT = "01_softmax_regression"
NOTEBOOK = "softmax_regression.ipynb"


@pytest.fixture(scope="module")
def users():
    if os.geteuid() != 0:
        pytest.skip("inbound folders owned by other students need real accounts: run the tests as root (useradd)")
    if not shutil.which("useradd"):
        pytest.skip("useradd (passwd) is not installed")
    names = [f"nni{uuid.uuid4().hex[:5]}{i}" for i in range(2)]
    for name in names:
        subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", name], check=True)
    try:
        yield names
    finally:
        for name in names:
            subprocess.run(["userdel", name], check=False)


def _stamp(when):
    return when.strftime("%Y-%m-%d %H:%M:%S.%f UTC")


def hand_in(inbound, course, student, when, marker, owner=None):
    """A folder as nbgrader's submit writes it, every entry owned by ``owner`` (default: the student)."""
    folder = inbound / f"{student}+{ASSIGNMENT}+{_stamp(when)}+{uuid.uuid4().hex[:8]}"
    folder.mkdir(parents=True)
    (folder / NOTEBOOK).write_bytes(_notebook(course, marker))
    (folder / "timestamp.txt").write_text(_stamp(when))
    (folder / "submission_secret.txt").write_text(f"secret-{marker}")
    for path in [folder, *folder.iterdir()]:
        shutil.chown(path, owner or student)
    return folder


def _marker(collected):
    nb = collected.notebooks[NOTEBOOK]
    return next(line for c in nb.cells for line in c.source.splitlines() if line.startswith("# file-"))


def test_each_student_s_own_latest_hand_in_is_graded_with_nbgrader_s_time(course, users, tmp_path):
    s1, s2 = users
    inbound = tmp_path / "exchange" / "nn101" / "inbound"
    now = datetime.now(timezone.utc).replace(microsecond=0)
    hand_in(inbound, course, s1, now - timedelta(minutes=2), "file-old")
    hand_in(inbound, course, s1, now - timedelta(minutes=1), "file-new")
    hand_in(inbound, course, s2, now - timedelta(minutes=1), "file-s2")
    # s2 plants a later folder in s1's name.
    hand_in(inbound, course, s1, now, "file-forged", owner=s2)
    got = {c.student: c for c in collect(inbound, course, ASSIGNMENT)}
    assert set(got) == {s1, s2} and not got[s1].error and not got[s2].error
    assert (_marker(got[s1]), _marker(got[s2])) == ("# file-new", "# file-s2")
    assert got[s1].submitted_at == now - timedelta(minutes=1)
    assert (course / "submitted" / s1 / ASSIGNMENT / "timestamp.txt").read_text() == _stamp(now - timedelta(minutes=1))
    assert any(f"made by {s2}, not by {s1}" in note for note in got[s1].notes), got[s1].notes
    # The hub's feedback step finds the graded hand-in's own secret; no one else can read it.
    taken = {t.student: t for t in read_record(course, ASSIGNMENT)}
    assert taken[s1].secret == "secret-file-new" and taken[s1].timestamp == _stamp(now - timedelta(minutes=1))
    assert record_path(course, ASSIGNMENT).stat().st_mode & 0o077 == 0


def test_a_folder_only_someone_else_made_grades_no_one(course, users, tmp_path):
    s1, s2 = users
    inbound = tmp_path / "inbound"
    hand_in(inbound, course, s1, datetime.now(timezone.utc), "file-forged", owner=s2)
    [got] = collect(inbound, course, ASSIGNMENT)
    assert got.student == s1 and f"made by {s2}, not by {s1}" in got.error and not got.notebooks


@pytest.mark.parametrize("kind", ["symlink", "hardlink", "fifo", "foreign file"])
def test_links_special_files_and_others_files_refuse_the_hand_in_unread(course, users, tmp_path, kind):
    s1, s2 = users
    inbound = tmp_path / "inbound"
    folder = hand_in(inbound, course, s1, datetime.now(timezone.utc), "file-s1")
    solutions = course / SOURCE_DIR / ASSIGNMENT / NOTEBOOK
    outside = tmp_path / "outside.ipynb"
    outside.write_text(solutions.read_text())
    shutil.chown(outside, s1)
    (folder / NOTEBOOK).unlink()
    if kind == "symlink":
        (folder / NOTEBOOK).symlink_to(solutions)
        os.lchown(folder / NOTEBOOK, *_ids(s1))
    elif kind == "hardlink":
        os.link(outside, folder / NOTEBOOK)
    elif kind == "fifo":
        os.mkfifo(folder / NOTEBOOK)     # opening it for reading would hang the grader
        shutil.chown(folder / NOTEBOOK, s1)
    else:
        (folder / NOTEBOOK).write_bytes(_notebook(course, "file-s2-wrote-this"))
        shutil.chown(folder / NOTEBOOK, s2)
    [got] = collect(inbound, course, ASSIGNMENT)
    expected = {"symlink": "symbolic link", "hardlink": "hard link", "fifo": "a FIFO",
                "foreign file": f"belongs to {s2}"}[kind]
    assert expected in got.error and not got.notebooks, got.error
    assert not (course / "submitted" / s1 / ASSIGNMENT / NOTEBOOK).exists() or "BEGIN SOLUTION" not in (
        course / "submitted" / s1 / ASSIGNMENT / NOTEBOOK).read_text()


def _ids(user):
    import pwd

    entry = pwd.getpwnam(user)
    return entry.pw_uid, entry.pw_gid


def test_a_timestamp_earlier_than_the_files_is_replaced_by_their_ctime(course, users, tmp_path):
    s1, _ = users
    inbound = tmp_path / "inbound"
    claimed = datetime.now(timezone.utc) - timedelta(days=2)
    before = datetime.now(timezone.utc)
    hand_in(inbound, course, s1, claimed, "file-backdated")
    [got] = collect(inbound, course, ASSIGNMENT)
    assert not got.error and got.submitted_at >= before - timedelta(seconds=1), got.submitted_at
    assert any("ctime" in note and "graded as handed in then" in note for note in got.notes), got.notes
    written = datetime.strptime((course / "submitted" / s1 / ASSIGNMENT / "timestamp.txt").read_text(), STAMP_FORMAT)
    assert written.replace(tzinfo=timezone.utc) == got.submitted_at
