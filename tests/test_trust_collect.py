"""Collected files are what they claim to be.

A submissions folder may be writable by students (nbgrader's exchange inbound
is). A notebook that is a symbolic link to ``source/``'s notebook used to be
collected and graded as the student's work, with full marks. Now every entry
that is not a regular file inside the folder is refused, with the reason in
the grades CSV, and nothing of that student is written or graded.
"""

import csv
import os
import shutil
import stat
import zipfile

import nbformat
import pytest
from grading_helpers import ASSIGNMENT, NOTEBOOK, SANDBOX, make_course

from autograder.grading import collect as collecting
from autograder.grading.batch import grade_class
from autograder.grading.collect import collect
from autograder.grading.options import GradingOptions
from autograder.settings import RELEASE_DIR, SOURCE_DIR

SOURCE_NB = f"{SOURCE_DIR}/{ASSIGNMENT}/{NOTEBOOK}"


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return make_course(tmp_path_factory.mktemp("collect") / "course")


def _folder(incoming, student):
    folder = incoming / student / ASSIGNMENT
    folder.mkdir(parents=True)
    return folder


def _blank(course, folder):
    shutil.copy(course / RELEASE_DIR / ASSIGNMENT / NOTEBOOK, folder / NOTEBOOK)


@pytest.fixture(scope="module")
def graded(course, tmp_path_factory):
    """A class of one honest blank submission and one of each kind of entry that must be refused."""
    incoming = tmp_path_factory.mktemp("incoming")
    _blank(course, _folder(incoming, "honest"))
    (_folder(incoming, "symlink") / NOTEBOOK).symlink_to(course / SOURCE_NB)
    os.link(course / SOURCE_NB, _folder(incoming, "hardlink") / NOTEBOOK)
    (incoming / "dirlink").mkdir()
    (incoming / "dirlink" / ASSIGNMENT).symlink_to(course / SOURCE_DIR / ASSIGNMENT, target_is_directory=True)
    os.mkfifo(_folder(incoming, "fifo") / NOTEBOOK)
    sidecar = _folder(incoming, "sidecar")
    _blank(course, sidecar)
    (sidecar / ".seed").symlink_to(course / ".grading-seed")   # a hidden link: nbgrader would copy its target
    devices = os.geteuid() == 0
    if devices:   # only root may make a device node; /dev/null's numbers, harmless to read
        os.mknod(_folder(incoming, "device") / NOTEBOOK, 0o600 | stat.S_IFCHR, os.makedev(1, 3))
    report = grade_class(course, ASSIGNMENT, incoming, GradingOptions(workers=1, progress=False, sandbox=SANDBOX))
    rows = {row["student"]: row for row in csv.DictReader(open(report.csv_path))}
    return rows, devices


REFUSED = {
    "symlink": "symbolic link",
    "hardlink": "hard link to a file outside the submissions folder",
    "dirlink": "symbolic link",
    "fifo": "is a FIFO",
    "sidecar": ".seed is a symbolic link",
    "device": "is a device",
}


@pytest.mark.slow
@pytest.mark.parametrize("student", sorted(REFUSED))
def test_a_link_or_special_file_is_refused_with_its_reason(graded, course, student):
    rows, devices = graded
    if student == "device" and not devices:
        pytest.skip("making a device node needs root")
    row = rows[student]
    assert row["status"].startswith("not graded:") and REFUSED[student] in row["status"], row
    assert row["score"] == "", "a refused submission gains no points"
    assert not (course / "submitted" / student).exists() and not (course / "autograded" / student).exists(), \
        "nothing of a refused submission is written or graded"


@pytest.mark.slow
def test_the_honest_student_is_graded_all_the_same(graded):
    rows, _ = graded
    assert rows["honest"]["status"] == "graded" and rows["honest"]["score"] == "0"


@pytest.mark.slow
def test_the_source_is_left_as_it_was(graded, course):
    # The hard link shares source/'s file: grading must not have written through it.
    nb = nbformat.read(course / SOURCE_NB, as_version=4)
    assert any("### BEGIN SOLUTION" in cell.source for cell in nb.cells)
    assert os.stat(course / SOURCE_NB).st_nlink == 2   # source/ and the attacker's name, nothing more


def test_a_hard_link_inside_the_folder_is_not_refused_but_one_to_outside_is(tmp_path):
    inside = tmp_path / "subs"
    inside.mkdir()
    (inside / "a.txt").write_text("x")
    os.link(inside / "a.txt", inside / "b.txt")
    (tmp_path / "outside.txt").write_text("y")
    os.link(tmp_path / "outside.txt", inside / "c.txt")
    refused = collecting.refused_entries(inside)
    assert set(refused) == {inside / "c.txt"}, refused


def test_a_notebook_swapped_for_a_link_after_the_check_is_refused_when_read(tmp_path, course):
    link = tmp_path / NOTEBOOK
    link.symlink_to(course / SOURCE_NB)
    with pytest.raises(ValueError, match="link"):
        collecting.read_notebook(link)


def test_instructor_content_is_flagged_not_refused(course, tmp_path):
    source = nbformat.read(course / SOURCE_NB, as_version=4)
    release = nbformat.read(course / RELEASE_DIR / ASSIGNMENT / NOTEBOOK, as_version=4)
    solutions = {c.metadata["nbgrader"]["grade_id"]: c.source for c in source.cells
                 if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "code"}
    for cell in release.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id == "np_linear":      # pasted with its markers
            cell.source = solutions[grade_id]
        elif grade_id == "np_softmax":   # the solution, markers removed
            cell.source = collecting._solution_text(solutions[grade_id])
    nbformat.write(release, _folder(tmp_path, "copier") / NOTEBOOK)

    (copier,) = collect(tmp_path, course, ASSIGNMENT)

    assert not copier.error
    assert "instructor-only marker '### BEGIN SOLUTION' in cell np_linear" in copier.notes
    assert "cell np_softmax is identical to the instructor's solution" in copier.notes
    # np_linear's solution is one line (`return x @ a.T`): everyone writes it so; the marker says enough.
    assert "cell np_linear is identical to the instructor's solution" not in copier.notes


def _zip(path, entries):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return path


def test_a_zip_bomb_is_refused_with_a_reason_and_the_rest_collected(course, tmp_path):
    blank = (course / RELEASE_DIR / ASSIGNMENT / NOTEBOOK).read_bytes()
    archive = _zip(tmp_path / "class.zip", {
        f"honest/{ASSIGNMENT}/{NOTEBOOK}": blank,
        f"bomb/{ASSIGNMENT}/{NOTEBOOK}": b" " * (20 * 2**20),          # 20 MiB in about 20 KiB
        f"huge/{ASSIGNMENT}/{NOTEBOOK}": b" " * (collecting.MAX_NOTEBOOK_BYTES + 1),
        f"../escaped/{ASSIGNMENT}/{NOTEBOOK}": blank,
        f"/absolute/{ASSIGNMENT}/{NOTEBOOK}": blank,
    })
    collected = {c.student: c for c in collect(archive, course, ASSIGNMENT)}
    assert not collected["honest"].error
    assert "compressed" in collected["bomb"].error and "zip bomb" in collected["bomb"].error
    assert "more than a notebook of this course can be" in collected["huge"].error
    assert "escaped" not in collected and "absolute" not in collected
    assert not (tmp_path / "escaped").exists() and not os.path.exists(f"/absolute/{ASSIGNMENT}")


def test_a_zip_that_unpacks_to_too_much_is_refused_whole(course, tmp_path, monkeypatch):
    # The real cap is 2 GiB; a small one shows the rule without writing gigabytes.
    monkeypatch.setattr(collecting, "MAX_UNPACKED_BYTES", 10 * 2**20)
    entries = {f"s{i}/{ASSIGNMENT}/{NOTEBOOK}": os.urandom(3 * 2**20) for i in range(4)}
    with pytest.raises(ValueError, match="unpacks to more than"):
        collect(_zip(tmp_path / "class.zip", entries), course, ASSIGNMENT)
