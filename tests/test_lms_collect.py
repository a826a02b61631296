"""Collecting LMS downloads: whose each file is, which file of a student is graded, and when it came.

Each download is built in its LMS's own naming (tests/lms_downloads.py). On
main at 02528f0 students were named by a lossy display name (two "John
Smith"s became one, ``李明`` and ``王芳`` both became ``_``), duplicates were
decided by unpack order, no time was kept, and one notebook with metadata of
the wrong type stopped the whole class.
"""

import json
import shutil
import zipfile
from datetime import datetime, timezone

import nbformat
import pytest

from autograder.coursedir.release import release
from autograder.grading.collect import collect
from autograder.grading.lms import student_id
from autograder.settings import RELEASE_DIR, SOURCE_DIR
from conftest import REPO_ROOT
from lms_downloads import Entry, write_zip

ASSIGNMENT = "01_softmax_regression"
NOTEBOOK = "softmax_regression.ipynb"
T0 = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("lms") / "course"
    shutil.copytree(REPO_ROOT / SOURCE_DIR / ASSIGNMENT, root / SOURCE_DIR / ASSIGNMENT)
    release(root, [ASSIGNMENT])
    return root


def _notebook(course, marker):
    """The release with ``marker`` in the first solution cell: tells files apart once collected."""
    nb = nbformat.read(course / RELEASE_DIR / ASSIGNMENT / NOTEBOOK, as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "code")
    cell.source += f"\n# {marker}"
    return nbformat.writes(nb).encode()


def _marker(collected):
    nb = collected.notebooks[NOTEBOOK]
    return next(line for c in nb.cells for line in c.source.splitlines() if line.startswith("# file-"))


def _by_id(course, download):
    return {c.student: c for c in collect(download, course, ASSIGNMENT)}


def test_canvas_students_with_one_display_name_stay_two(course, tmp_path):
    entries = [Entry("John Smith", "1001", NOTEBOOK, _notebook(course, "file-a"), T0, attachment=5001),
               Entry("John Smith", "1002", NOTEBOOK, _notebook(course, "file-b"), T0, attachment=5002)]
    got = _by_id(course, write_zip(tmp_path / "canvas.zip", entries, "canvas"))
    assert set(got) == {"1001", "1002"}
    assert (_marker(got["1001"]), _marker(got["1002"])) == ("# file-a", "# file-b")
    assert got["1001"].display_name == "smithjohn" and got["1001"].lms == "canvas"
    assert not any("renamed" in note for c in got.values() for note in c.notes), "an LMS name is no rename"


def test_moodle_students_with_one_display_name_stay_two_in_folders_and_flat(course, tmp_path):
    for folders in (True, False):
        entries = [Entry("Ana Lima", "301", NOTEBOOK, _notebook(course, "file-a"), T0),
                   Entry("Ana Lima", "302", NOTEBOOK, _notebook(course, "file-b"), T0)]
        got = _by_id(course, write_zip(tmp_path / f"moodle-{folders}.zip", entries, "moodle", folders=folders))
        assert set(got) == {"301", "302"}, folders
        assert got["302"].display_name == "Ana Lima" and _marker(got["302"]) == "# file-b"


@pytest.mark.parametrize("names", [("李明", "王芳"), ("Jörg Müller", "Jörg Möller")])
def test_unicode_folder_names_keep_students_apart(course, tmp_path, names):
    incoming = tmp_path / "incoming"
    for i, name in enumerate(names):
        (incoming / name).mkdir(parents=True)
        (incoming / name / NOTEBOOK).write_bytes(_notebook(course, f"file-{i}"))
    got = _by_id(course, incoming)
    assert len(got) == 2 and all(not c.error for c in got.values())
    assert {_marker(got[student_id(name)]) for name in names} == {"# file-0", "# file-1"}
    if names[0] == "李明":
        assert set(got) == {"李明", "王芳"}, "a plain Unicode name is kept as it is"


def test_a_student_id_is_stable_and_names_that_differ_stay_apart():
    assert student_id("Jörg Müller") == student_id("Jörg Müller") != student_id("Jörg Möller")
    assert student_id("Jörg Müller").startswith("Jörg_Müller-")
    assert student_id("4412") == "4412" and student_id("jdoe") == "jdoe"
    assert student_id("J\u0308org") == student_id("J\u00e4org"[0] + "\u0308org"), "NFC and NFD are one name"
    weird = student_id("a\udcffb")            # a file name that is not UTF-8
    assert weird.isprintable() and weird != student_id("a_b")


def test_a_notebook_nested_in_one_students_folder_does_not_speak_for_another(course, tmp_path):
    incoming = tmp_path / "incoming"
    (incoming / "victim" / ASSIGNMENT).mkdir(parents=True)
    (incoming / "victim" / ASSIGNMENT / NOTEBOOK).write_bytes(_notebook(course, "file-victim"))
    nested = incoming / "mallory" / "victim" / ASSIGNMENT
    nested.mkdir(parents=True)
    (nested / NOTEBOOK).write_bytes(_notebook(course, "file-forged"))
    got = _by_id(course, incoming)
    assert set(got) == {"victim", "mallory"}
    assert _marker(got["victim"]) == "# file-victim"


def test_a_moodle_folder_nesting_another_students_folder_owns_it(course, tmp_path):
    with zipfile.ZipFile(tmp_path / "moodle.zip", "w") as zf:
        zf.writestr("Eve Adams_401_assignsubmission_file_/Bob Brown_402_assignsubmission_file_/" + NOTEBOOK,
                    _notebook(course, "file-forged"))
        zf.writestr("Bob Brown_402_assignsubmission_file_/" + NOTEBOOK, _notebook(course, "file-bob"))
    got = _by_id(course, tmp_path / "moodle.zip")
    assert _marker(got["402"]) == "# file-bob" and _marker(got["401"]) == "# file-forged"


def test_two_ids_that_collide_are_an_error_naming_both_files(course, tmp_path):
    incoming = tmp_path / "incoming"
    for name in ("a b", student_id("a b")):
        (incoming / name).mkdir(parents=True)
        (incoming / name / NOTEBOOK).write_bytes(_notebook(course, "file-x"))
    got = _by_id(course, incoming)
    assert list(got) == [student_id("a b")]
    error = got[student_id("a b")].error
    assert "a b/" in error and f"{student_id('a b')}/" in error and "same student id" in error


def test_canvas_resubmission_grades_the_newer_whatever_the_zip_order(course, tmp_path):
    # The newer upload (-1, a larger attachment id) comes first in the zip, so
    # unpack order would grade the older, blank one.
    newer = Entry("Kim Park", "1003", NOTEBOOK, _notebook(course, "file-new"), T0, attachment=5102, again=1)
    older = Entry("Kim Park", "1003", NOTEBOOK, _notebook(course, "file-old"), T0, attachment=5101)
    got = _by_id(course, write_zip(tmp_path / "canvas.zip", [newer, older], "canvas"))
    assert _marker(got["1003"]) == "# file-new"
    note = next(n for n in got["1003"].notes if n.startswith("several files"))
    assert "parkkim_1003_5102_softmax_regression-1.ipynb" in note and "attachment 5102-1 after 5101" in note


def test_blackboard_attempts_grade_the_latest_attempt_and_read_the_receipt(course, tmp_path):
    late = Entry("Jörg Müller", "jmueller", NOTEBOOK, _notebook(course, "file-second"), T0.replace(hour=18))
    early = Entry("Jörg Müller", "jmueller", NOTEBOOK, _notebook(course, "file-first"), T0)
    got = _by_id(course, write_zip(tmp_path / "bb.zip", [late, early], "blackboard"))
    assert list(got) == ["jmueller"]
    student = got["jmueller"]
    assert _marker(student) == "# file-second" and student.display_name == "Jörg Müller"
    assert student.submitted_at == T0.replace(hour=18)
    assert any("handed in at 2026-03-02 18:00:00 UTC" in note for note in student.notes)


def test_two_files_the_download_cannot_order_are_an_error_naming_both(course, tmp_path):
    with zipfile.ZipFile(tmp_path / "tie.zip", "w") as zf:
        for name in (NOTEBOOK, "copy_of_" + NOTEBOOK):
            zf.writestr(zipfile.ZipInfo(f"Dana Cruz_501_assignsubmission_file_/{name}", (2026, 3, 2, 12, 0, 0)),
                        _notebook(course, "file-x"))
    error = _by_id(course, tmp_path / "tie.zip")["501"].error
    assert NOTEBOOK in error and "copy_of_" in error and "which is newer" in error


def test_zip_dates_order_moodle_files_and_become_nbgrader_timestamps(course, tmp_path):
    with zipfile.ZipFile(tmp_path / "moodle.zip", "w") as zf:
        prefix = "Ola Berg_601_assignsubmission_file_/"
        zf.writestr(zipfile.ZipInfo(prefix + "v2_" + NOTEBOOK, (2026, 3, 3, 9, 30, 0)), _notebook(course, "file-v2"))
        zf.writestr(zipfile.ZipInfo(prefix + NOTEBOOK, (2026, 3, 1, 9, 30, 0)), _notebook(course, "file-v1"))
    got = _by_id(course, tmp_path / "moodle.zip")["601"]
    assert _marker(got) == "# file-v2"
    stamp = course / "submitted" / "601" / ASSIGNMENT / "timestamp.txt"
    assert stamp.read_text().startswith("2026-03-03 09:30:00")


def test_canvas_late_marker_is_kept(course, tmp_path):
    entries = [Entry("Lee Chan", "1004", NOTEBOOK, _notebook(course, "file-a"), T0, late=True, attachment=5201)]
    got = _by_id(course, write_zip(tmp_path / "canvas.zip", entries, "canvas"))["1004"]
    assert got.late and got.submitted_at == T0
    assert (course / "submitted" / "1004" / ASSIGNMENT / "timestamp.txt").read_text().startswith("2026-03-02 12:00:00")


def _mangled(course, change):
    nb = nbformat.reads(_notebook(course, "file-x").decode(), as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "np_linear")
    change(cell)
    return json.dumps(nb)


@pytest.mark.parametrize("change, outcome", [
    (lambda cell: cell.metadata.__setitem__("nbgrader", "locked"), "wrong type (nbgrader)"),
    (lambda cell: cell.metadata.nbgrader.__setitem__("grade_id", 7), "wrong type (grade_id)"),
    (lambda cell: cell.__setitem__("source", 42), "source is a int, not text"),
    (lambda cell: cell.__setitem__("metadata", [1, 2]), "is not a notebook"),
])
def test_a_notebook_with_metadata_of_the_wrong_type_is_refused_or_repaired_alone(course, tmp_path, change, outcome):
    incoming = tmp_path / "incoming"
    for student, content in {"odd": _mangled(course, change), "fine": _notebook(course, "file-fine").decode()}.items():
        (incoming / student).mkdir(parents=True)
        (incoming / student / NOTEBOOK).write_text(content)
    got = _by_id(course, incoming)
    assert not got["fine"].error and _marker(got["fine"]) == "# file-fine"
    odd = got["odd"]
    assert outcome in (odd.error or "; ".join(odd.notes)), (odd.error, odd.notes)
    if not odd.error:       # repaired: the graded cell is back, as the release has it
        ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in odd.notebooks[NOTEBOOK].cells]
        assert ids.count("np_linear") == 1
