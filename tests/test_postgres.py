"""A PostgreSQL gradebook: Debian's ``postgres``, started in a temporary folder for these tests.

Grading, manual grades, nbgrader's export and two grade commands at once
must work against it as they do against SQLite; a database that cannot be
reached or refuses the login must stop the command before anything is graded.
"""

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO_ROOT
from grading_helpers import ASSIGNMENT, NO_SANDBOX_FLAG, NOTEBOOK, SANDBOX, make_course, submit_example
from services import dask_cluster, free_port, postgres_server

from autograder.cluster.dask_executor import DaskCluster
from autograder.coursedir.nbgrader_api import GradingError
from autograder.coursedir.release import release
from autograder.grading.batch import grade_class
from autograder.grading.options import GradingOptions
from autograder.grading.results import results
from autograder.settings import SOURCE_DIR, with_driver
from examples.example_class import build_submission, load_examples

pytestmark = pytest.mark.slow

SECOND = "02_gradient_checking"


@pytest.fixture(scope="module")
def server():
    with postgres_server() as running:
        yield running


def _scores(root, assignment, url):
    return {r.student: r.score for r in results(root, assignment, db=url)}


def test_manual_grades_in_postgres_survive_a_forced_regrade_on_the_cluster(tmp_path, server):
    from nbgrader.api import Gradebook

    url = server.create_database("course_manual")
    root = make_course(tmp_path / "course")
    (root / "gradebook.db").unlink()  # make_course registered the assignment there
    for student in ("reference", "blank"):
        submit_example(root, student)
    report = grade_class(root, ASSIGNMENT, options=GradingOptions(workers=2, db=url, progress=False, sandbox=SANDBOX))
    assert not report.errors, report.errors
    assert _scores(root, ASSIGNMENT, url) == {"reference": 90, "blank": 0}
    assert not (root / "gradebook.db").exists()  # nothing went to SQLite

    # An instructor grades the written answers (what formgrader does, through nbgrader's API).
    notebook = NOTEBOOK.removesuffix(".ipynb")
    with Gradebook(with_driver(url)) as gb:
        gb.find_grade("written_batch_softmax", notebook, ASSIGNMENT, "reference").manual_score = 4
        gb.find_grade("written_max_shift", notebook, ASSIGNMENT, "reference").manual_score = 5
        gb.find_comment("written_max_shift", notebook, ASSIGNMENT, "reference").manual_comment = "Good."
        gb.db.commit()

    with dask_cluster(workers=1) as cluster:
        executor = DaskCluster(cluster.address)
        try:
            options = GradingOptions(force=True, db=url, progress=False, sandbox=SANDBOX)
            again = grade_class(root, ASSIGNMENT, options=options, executor=executor)
        finally:
            executor.close()
    assert not again.errors, again.errors
    assert _scores(root, ASSIGNMENT, url) == {"reference": 99, "blank": 0}
    # The page comes from the instructor's gradebook, not the worker's, which has no manual grades.
    page = (root / "feedback" / "reference" / ASSIGNMENT / "softmax_regression.html").read_text()
    assert "Good." in page and "99" in page

    # nbgrader's own export reads the same database.
    exported = tmp_path / "grades.csv"
    subprocess.run([str(Path(sys.executable).with_name("nbgrader")), "export",
                    f"--db={with_driver(url)}", f"--to={exported}"], cwd=root, check=True, capture_output=True)
    rows = {row["student_id"]: row for row in csv.DictReader(exported.open())}
    assert float(rows["reference"]["score"]) == 99 and float(rows["blank"]["score"]) == 0


def _course_of_two_assignments(root):
    for assignment in (ASSIGNMENT, SECOND):
        shutil.copytree(REPO_ROOT / SOURCE_DIR / assignment, root / SOURCE_DIR / assignment)
    release(root, [ASSIGNMENT, SECOND])
    for assignment in (ASSIGNMENT, SECOND):
        for example in load_examples(assignment):
            if example.student in ("reference", "blank"):
                build_submission(example, root)
    (root / "gradebook.db").unlink()  # the release registered them there; the test's database starts empty
    return root


def test_two_grade_commands_at_once_on_one_database(tmp_path, server):
    url = server.create_database("course_shared")
    root = _course_of_two_assignments(tmp_path / "course")
    commands = [subprocess.Popen([sys.executable, "-m", "autograder", "grade", *NO_SANDBOX_FLAG, assignment,
                                  "--root", str(root), "--workers", "1", "--db", url],
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                for assignment in (ASSIGNMENT, SECOND)]
    outputs = [command.communicate(timeout=600)[0] for command in commands]
    for command, output in zip(commands, outputs):
        assert command.returncode == 0, output
        assert "NOT GRADED" not in output, output
    assert _scores(root, ASSIGNMENT, url) == {"reference": 90, "blank": 0}
    assert _scores(root, SECOND, url) == {"reference": 90, "blank": 0}
    from nbgrader.api import Gradebook

    with Gradebook(with_driver(url)) as gb:
        assert sorted(s.id for s in gb.students) == ["blank", "reference"]  # each student once
        assert sorted(a.name for a in gb.assignments) == [ASSIGNMENT, SECOND]


def test_a_database_that_cannot_be_opened_stops_grading_first(tmp_path, server):
    root = make_course(tmp_path / "course")
    submit_example(root, "blank")
    refused = server.url("postgres", password="not-the-password")
    with pytest.raises(GradingError) as caught:
        grade_class(root, ASSIGNMENT, options=GradingOptions(db=refused, progress=False, sandbox=SANDBOX))
    message = str(caught.value)
    assert "not-the-password" not in message
    assert f"grader:***@127.0.0.1:{server.port}/postgres" in message and "password authentication failed" in message

    # The same URL from the course's nbgrader_config.py, where formgrader reads it too.
    (root / "nbgrader_config.py").write_text(f"c = get_config()\nc.CourseDirectory.db_url = {refused!r}\n")
    with pytest.raises(GradingError, match=r"grader:\*\*\*@.*password authentication failed"):
        grade_class(root, ASSIGNMENT, options=GradingOptions(progress=False, sandbox=SANDBOX))
    (root / "nbgrader_config.py").unlink()

    unreachable = f"postgresql://grader:pw-xyz@127.0.0.1:{free_port()}/nowhere"
    command = subprocess.run([sys.executable, "-m", "autograder", "grade", *NO_SANDBOX_FLAG, ASSIGNMENT,
                             "--root", str(root), "--db", unreachable], capture_output=True, text=True, timeout=120)
    assert command.returncode != 0
    assert "cannot open the gradebook at postgresql+psycopg2://grader:***@127.0.0.1" in command.stderr
    assert "pw-xyz" not in command.stderr + command.stdout
    assert not (root / "autograded").exists()  # nothing was graded
