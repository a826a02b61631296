"""The course folder: nbgrader's API on it, the release (``source/`` -> ``notebooks/``), the student pack."""
