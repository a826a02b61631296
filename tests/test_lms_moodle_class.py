"""A Moodle class, from its "Download all submissions" zip and its grading worksheet, through `grade` and `export`.

Moodle names each student's folder ``<Full name>_<participant id>_assignsubmission_file_``
(mod/assign/locallib.php, download_submissions), where the participant id is
the student's in this assignment only. Its grading worksheet maps "Participant
<id>" to the email address and ID number, which stay the same across
assignments: with ``--moodle-worksheet`` the ID number (else the email) is the
nbgrader student id.

Late: Moodle marks nothing late in the download, and its zip entry dates are
the dates of the stored files (Moodle keeps one copy of identical content, so
a file handed in late can carry an older date). The worksheet's "Last modified
(submission)" is the submission's own time as Moodle shows it: that is the
hand-in time, against the due date and extensions of the course config.

Six participants plus one the worksheet lacks: two "Alex Kim"s, a resubmission
whose older blank file unpacks last, a late hand-in whose zip date is early,
an empty file, a student with an email and no ID number handing in within an
extension.
"""

import csv
import shutil
import subprocess
import sys
import zipfile
from datetime import datetime, timedelta, timezone

import nbformat
import pytest

from grading_helpers import ASSIGNMENT, NO_SANDBOX_FLAG, NOTEBOOK, make_course
from lms_downloads import (DUE, EARLY, Entry, WorksheetRow, example_bytes, late_course_config, moodle_worksheet,
                            write_zip)

from autograder.grading.collect import collect
from autograder.grading.results import set_manual_grades
from autograder.settings import SOURCE_DIR

pytestmark = pytest.mark.slow

COURSE_CONFIG = late_course_config(ASSIGNMENT, "eli@example.edu", 48)
# Who is who in this assignment's worksheet; Eli has no ID number, so the email stands.
ROWS = [WorksheetRow("301", "Alex Kim", "akim1@example.edu", "S001", EARLY),
        WorksheetRow("302", "Alex Kim", "akim2@example.edu", "S002", EARLY),
        WorksheetRow("303", "Bea Lo", "blo@example.edu", "S003", EARLY + timedelta(hours=1)),
        WorksheetRow("304", "Cai Wen", "cwen@example.edu", "S004", DUE + timedelta(hours=26)),
        WorksheetRow("305", "Dee Oz", "doz@example.edu", "S005", EARLY),
        WorksheetRow("306", "Eli Fox", "eli@example.edu", "", DUE + timedelta(hours=26)),
        WorksheetRow("308", "Gus Ray", "gray@example.edu", "S008", None)]


def _points(root):
    nb = nbformat.read(root / SOURCE_DIR / ASSIGNMENT / NOTEBOOK, as_version=4)
    return sum(c.metadata.get("nbgrader", {}).get("points", 0) for c in nb.cells
               if c.metadata.get("nbgrader", {}).get("grade"))


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "autograder", *args], capture_output=True, text=True, timeout=1800)


def _read_csv(path):
    with open(path, newline="", encoding="utf-8-sig") as f:
        return list(csv.reader(f))


@pytest.fixture(scope="module")
def moodle_class(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("moodle-class")
    reference, blank = example_bytes(tmp, "reference"), example_bytes(tmp, "blank")
    resubmitted = NOTEBOOK.replace(".ipynb", " (1).ipynb")   # Moodle's file picker, on a second upload
    entries = [
        Entry("Alex Kim", "301", NOTEBOOK, reference, EARLY),
        Entry("Alex Kim", "302", NOTEBOOK, example_bytes(tmp, "bug_grad_sign"), EARLY),
        # The newer file comes first in the zip: unpack order would grade the older, blank one.
        Entry("Bea Lo", "303", resubmitted, reference, EARLY + timedelta(hours=1)),
        Entry("Bea Lo", "303", NOTEBOOK, blank, EARLY - timedelta(hours=20)),
        # Handed in late (the worksheet says so); its bytes were stored before, so the zip date is early.
        Entry("Cai Wen", "304", NOTEBOOK, reference, EARLY),
        Entry("Dee Oz", "305", NOTEBOOK, b"", EARLY),
        Entry("Eli Fox", "306", NOTEBOOK, reference, DUE + timedelta(hours=26)),
        Entry("Fay Gu", "307", NOTEBOOK, reference, EARLY),     # enrolled after the worksheet was downloaded
    ]
    root = make_course(tmp / "course")
    (root / "nbgrader_config.py").write_text(COURSE_CONFIG)
    download = write_zip(tmp / "moodle.zip", entries, "moodle")
    worksheet = moodle_worksheet(tmp / "worksheet.csv", ROWS, _points(root))
    started = datetime.now()
    graded = _cli("grade", ASSIGNMENT, "--root", str(root), "--submissions", str(download),
                  "--moodle-worksheet", str(worksheet), "--workers", "2", *NO_SANDBOX_FLAG)
    assert graded.returncode == 0, graded.stderr[-3000:]
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        book = {s.student_id: dict(score=s.score, penalty=s.late_submission_penalty, timestamp=s.timestamp,
                                   lms=s.student.lms_user_id, email=s.student.email, last=s.student.last_name)
                for s in gb.assignment_submissions(ASSIGNMENT)}
    return dict(tmp=tmp, root=root, download=download, worksheet=worksheet, output=graded.stdout, book=book,
                seconds=(datetime.now() - started).total_seconds())


def test_each_participant_is_graded_once_under_their_id_number_or_email(moodle_class):
    book = moodle_class["book"]
    eli = next(s for s in book if s.startswith("eli_example.edu-"))
    assert set(book) == {"S001", "S002", "S003", "S004", eli}, moodle_class["output"]
    assert book["S001"]["score"] == 90 and book["S002"]["score"] < 90, "two Alex Kims, two rows"
    assert (book["S001"]["lms"], book["S001"]["email"], book["S001"]["last"]) == ("S001", "akim1@example.edu", "Kim")
    assert book[eli]["lms"] == "eli@example.edu"


def test_the_newer_upload_is_graded_not_the_older_blank_one(moodle_class):
    assert moodle_class["book"]["S003"]["score"] == 90
    assert f"graded Bea Lo_303_assignsubmission_file_/{NOTEBOOK.replace('.ipynb', ' (1).ipynb')}" \
        in moodle_class["output"]


def test_the_worksheet_time_decides_late_not_the_zip_date(moodle_class):
    book = moodle_class["book"]
    # 26 hours late: two started days at 10% a day of 90 points.
    assert book["S004"]["penalty"] == pytest.approx(18)
    assert book["S004"]["timestamp"].replace(tzinfo=timezone.utc) == DUE + timedelta(hours=26)
    eli = next(s for s in book if s.startswith("eli_example.edu-"))
    assert book[eli]["penalty"] == 0, "48 hours of extension, by email, cover 26 hours late"
    assert book["S001"]["penalty"] == 0 and book["S003"]["penalty"] == 0


def test_an_empty_file_and_a_participant_missing_from_the_worksheet_are_refused_with_a_reason(moodle_class):
    lines = moodle_class["output"].splitlines()
    assert any(line.startswith("S005") and "is empty" in line for line in lines), moodle_class["output"]
    assert any("participant 307 (Fay Gu) is not in the grading worksheet worksheet.csv" in line
               and "download the worksheet again" in line for line in lines), moodle_class["output"]


def test_the_worksheet_export_is_the_worksheet_with_grades(moodle_class):
    root, worksheet = moodle_class["root"], moodle_class["worksheet"]
    out = moodle_class["tmp"] / "upload.csv"
    # Hand grading in formgrader: everyone's written answers but Eli's, who stays pending.
    for student in ("S001", "S002", "S003", "S004"):
        set_manual_grades(root, ASSIGNMENT, student, {"written_dlogits": 3 if student == "S001" else 0,
                                                      "written_batch_softmax": 0, "written_max_shift": 0})
    done = _cli("export", ASSIGNMENT, "--root", str(root), "--format", "moodle-worksheet",
                "--moodle-worksheet", str(worksheet), "--output", str(out))
    assert done.returncode == 0, done.stderr
    before, after = _read_csv(worksheet), _read_csv(out)
    assert out.read_bytes().startswith(b"\xef\xbb\xbf"), "the BOM Moodle wrote is kept"
    assert after[0] == before[0], "Moodle's columns, in Moodle's order"
    grade = before[0].index("Grade")
    grades = {row[0]: row[grade] for row in after[1:]}
    book = moodle_class["book"]
    # 304's late penalty is off; 305 (empty) and 308 (no submission) are not graded; 306 is pending: blank.
    assert grades == {"Participant 301": "93.00", "Participant 302": f"{book['S002']['score']:.2f}",
                      "Participant 303": "90.00", "Participant 304": "72.00", "Participant 305": "",
                      "Participant 306": "", "Participant 308": ""}
    assert "manual grading pending" in done.stdout and "eli_example.edu-" in done.stdout
    # Everything but the grade is as Moodle wrote it, "Last modified (grade)" included.
    for old, new in zip(before[1:], after[1:]):
        assert old[:grade] + old[grade + 1:] == new[:grade] + new[grade + 1:]


def test_the_next_assignment_lands_on_the_same_students(moodle_class):
    """Participant ids change from one assignment to the next; the ID number does not."""
    tmp = moodle_class["tmp"]
    root = shutil.copytree(moodle_class["root"], tmp / "next-course")
    reference = (root / "submitted" / "S001" / ASSIGNMENT / NOTEBOOK).read_bytes()
    entries = [Entry("Alex Kim", "412", NOTEBOOK, reference, EARLY),
               Entry("Alex Kim", "411", NOTEBOOK, reference, EARLY)]
    rows = [WorksheetRow("411", "Alex Kim", "akim1@example.edu", "S001", EARLY),
            WorksheetRow("412", "Alex Kim", "akim2@example.edu", "S002", EARLY)]
    download = write_zip(tmp / "next.zip", entries, "moodle")
    found = collect(download, root, ASSIGNMENT, moodle_worksheet=moodle_worksheet(tmp / "next.csv", rows, 90))
    assert sorted((c.student, c.display_name, c.error) for c in found) == [("S001", "Alex Kim", ""),
                                                                           ("S002", "Alex Kim", "")]
    # The first assignment's worksheet with this download: another assignment's, refused before anything is written.
    shutil.rmtree(root / "submitted")
    with pytest.raises(ValueError, match="none of the download.s participants is in other.csv"):
        collect(download, root, ASSIGNMENT, moodle_worksheet=moodle_worksheet(tmp / "other.csv", ROWS, 90))
    swapped = [WorksheetRow("411", "Bea Lo", "blo@example.edu", "S003", EARLY)] + rows[1:]
    with pytest.raises(ValueError, match="is 'Alex Kim' in the download but 'Bea Lo' in the worksheet"):
        collect(download, root, ASSIGNMENT, moodle_worksheet=moodle_worksheet(tmp / "swapped.csv", swapped, 90))
    assert not (root / "submitted").exists()
    # A folder that lost Moodle's last "_" (renamed by hand, or unpacked by a tool that strips it) is still Moodle's.
    with zipfile.ZipFile(tmp / "renamed.zip", "w") as zf:
        zf.writestr(f"Alex Kim_411_assignsubmission_file/{NOTEBOOK}", reference)
    found = collect(tmp / "renamed.zip", root, ASSIGNMENT, moodle_worksheet=tmp / "next.csv")
    assert [(c.student, c.lms, c.error) for c in found] == [("S001", "moodle", "")]
