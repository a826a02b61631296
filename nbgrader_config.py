# The course's nbgrader settings, read by nbgrader's own commands run from this
# folder (`nbgrader db student import roster.csv`, `nbgrader export`,
# `nbgrader db assignment add ... --duedate=...`) and by `grade`. The course's
# settings come first; put yours below them.
import os
from pathlib import Path

from autograder.coursedir.nbgrader_api import nbgrader_config

c = get_config()  # noqa: F821 (defined by traitlets when it loads this file)
c.merge(nbgrader_config(Path(os.environ.get("NN_COURSE_ROOT") or Path(__file__).resolve().parent)))

# A gradebook server instead of gradebook.db (README: a PostgreSQL gradebook):
# c.CourseDirectory.db_url = "postgresql+psycopg2://USER@HOST:5432/course"

# Due dates, extensions (hours, by student id or LMS id) and the late penalty
# (README: late penalties):
# c.LateRules.duedates = {"01_softmax_regression": "2026-03-02 17:00:00 Europe/Berlin"}
# c.LateRules.extensions = {"01_softmax_regression": {"4412": 48}}
# c.LateRules.timezone = "Europe/Berlin"
# c.AssignLatePenalties.plugin_class = "autograder.grading.late.PerDayPenalty"
# c.PerDayPenalty.percent_per_day = 10
