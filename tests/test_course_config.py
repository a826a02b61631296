"""The course's nbgrader_config.py is honoured: one file sets the gradebook, the limits and the rest.

nbgrader's own commands read ``nbgrader_config.py`` from the course folder;
``grade`` and ``check`` read the same file (``settings.course_config``), for
every setting, not only the gradebook's URL. What decides how grading works
(the course folder, the engine's preprocessors, feedback's exporter) stays
the grader's.
"""

import pytest
from grading_helpers import ASSIGNMENT, SANDBOX, make_course, submit_example

from autograder.coursedir.nbgrader_api import api, nbgrader_config
from autograder.grading.batch import grade_class
from autograder.grading.options import GradingOptions
from autograder.settings import course_config, db_url, with_course_limits

COURSE_SETTINGS = """\
c = get_config()
c.TrustedExecute.memory_mb = 1536
c.TrustedExecute.cell_timeout = 90
c.CourseDirectory.db_url = "sqlite:///{gradebook}"
c.LateSubmissionPlugin.penalty_method = "zero"
# Settings the grader keeps for itself: these are ignored.
c.CourseDirectory.root = "/somewhere/else"
c.Autograde.autograde_preprocessors = []
"""


@pytest.fixture
def course(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text(COURSE_SETTINGS.format(gradebook=tmp_path / "other.db"))
    return tmp_path


def test_every_setting_of_the_course_file_is_read(course):
    config = course_config(course)
    assert config.TrustedExecute.memory_mb == 1536 and config.TrustedExecute.cell_timeout == 90
    assert config.LateSubmissionPlugin.penalty_method == "zero"
    assert db_url(course) == f"sqlite:///{course / 'other.db'}"
    assert "root" not in config.CourseDirectory and "autograde_preprocessors" not in config.Autograde


def test_nbgrader_sees_the_course_settings_over_the_defaults_but_not_over_the_grader(course):
    for engine in ("trusted", "nbgrader"):
        config = nbgrader_config(course, engine)
        assert config.TrustedExecute.memory_mb == 1536
        assert config.LateSubmissionPlugin.penalty_method == "zero"
        assert config.CourseDirectory.root == str(course.resolve())
        assert len(config.Autograde.autograde_preprocessors) > 5
    assert api(course).config.TrustedExecute.cell_timeout == 90


def test_scratch_courses_get_the_course_limits_and_a_run_overrides_them(course):
    merged = with_course_limits(course, {"TrustedExecute": {"cell_timeout": 30, "sandbox": True}})
    assert merged["TrustedExecute"] == {"memory_mb": 1536, "cell_timeout": 30, "sandbox": True}
    assert with_course_limits(course.parent / "nowhere", {"X": {"y": 1}}) == {"X": {"y": 1}}


def test_a_broken_course_file_is_named_with_its_error(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\nc.TrustedExecute.memory_mb = 1024 +\n")
    with pytest.raises(ValueError, match=r"nbgrader_config\.py: SyntaxError"):
        course_config(tmp_path)


@pytest.mark.slow
def test_grade_grades_with_the_limits_of_the_course_file(tmp_path):
    root = make_course(tmp_path / "course")
    (root / "nbgrader_config.py").write_text("c = get_config()\nc.TrustedExecute.memory_mb = 1536\n"
                                             "c.TrustedExecute.notebook_timeout = 900\n")
    submit_example(root, "reference")
    report = grade_class(root, ASSIGNMENT, options=GradingOptions(workers=1, progress=False, sandbox=SANDBOX))
    (result,) = report.results
    assert not result.failed
    settings = result.graded_with[0].settings
    assert settings["memory_mb"] == 1536 and settings["notebook_timeout"] == 900, settings
