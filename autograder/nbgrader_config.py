# nbgrader reads this file when JupyterLab or the nbgrader command starts with
# JUPYTER_CONFIG_PATH pointing here (`make lab` does that), so formgrader and
# the command line see the same course as `python -m autograder`.
# $NN_COURSE_ROOT, when set, names another course folder (the browser tests
# use a scratch copy, so that formgrader writes no gradebook into the repository).
import os

from autograder.settings import REPO_ROOT, nbgrader_config

c = get_config()  # noqa: F821 (defined by traitlets when it loads this file)
c.merge(nbgrader_config(os.environ.get("NN_COURSE_ROOT") or REPO_ROOT))
