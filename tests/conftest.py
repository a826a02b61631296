"""Shared fixtures: the repository root and the matplotlib backend for figure tests."""

import os
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")  # figures are inspected, never shown

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _close_figures():
    import matplotlib.pyplot as plt

    yield
    plt.close("all")


@pytest.fixture
def isolated_data_dir(tmp_path, monkeypatch):
    """An empty data folder that `course.data` uses instead of the real one."""
    monkeypatch.setenv("NN_COURSE_DATA", str(tmp_path))
    return tmp_path


def pytest_configure(config):
    os.environ.setdefault("NN_GRADING_SEED", "0")
