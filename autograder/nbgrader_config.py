# nbgrader reads this file when JupyterLab or the nbgrader command starts with
# JUPYTER_CONFIG_PATH pointing here (`make lab` does that), so formgrader and
# the command line see the same course as `python -m autograder`.
# $NN_COURSE_ROOT, when set, names another course folder (the browser tests
# use a scratch copy, so that formgrader writes no gradebook into the repository).
import os
import sys
from pathlib import Path

from autograder.coursedir.nbgrader_api import nbgrader_config
from autograder.settings import EXCHANGE_DIR, REPO_ROOT

root = Path(os.environ.get("NN_COURSE_ROOT") or REPO_ROOT)
c = get_config()  # noqa: F821 (defined by traitlets when it loads this file)
c.merge(nbgrader_config(root))

# nbgrader's exchange must exist before the Assignment List can list it.
(root / EXCHANGE_DIR).mkdir(exist_ok=True)

# formgrader opens the gradebook by running the `alembic` command, which is in
# the virtualenv's bin/ and not on PATH unless the virtualenv is activated
# (`make lab` does not activate it): without this, formgrader fails with
# "No such file or directory: 'alembic'".
_bin = os.path.dirname(sys.executable)
if _bin not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _bin + os.pathsep + os.environ.get("PATH", "")
