# nbgrader reads this file when JupyterLab or the nbgrader command starts with
# JUPYTER_CONFIG_PATH pointing here (`make lab` does that), so formgrader and
# the command line see the same course as `python -m autograder`.
from autograder.settings import nbgrader_config

c = get_config()  # noqa: F821 (defined by traitlets when it loads this file)
c.merge(nbgrader_config())
