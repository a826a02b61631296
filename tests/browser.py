"""Headless Chromium for the browser tests: Debian's ``chromium``, driven by Playwright.

Playwright's own browser download is not used (it is not reachable from every
machine that runs these tests): ``make`` installs Debian's ``chromium`` where it
can, and Playwright drives it through ``executable_path``. A test that needs a
browser skips, naming what is missing, only where none can be had.
"""

import contextlib
import os
import shutil

import pytest

ARTIFACTS = os.environ.get("NN_TEST_ARTIFACTS", "test-artifacts")


def chromium_path():
    """The system Chromium, or None."""
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


@contextlib.contextmanager
def browser():
    """A headless Chromium (``playwright.sync_api.Browser``); skips the test where there is none."""
    path = chromium_path()
    if path is None:
        pytest.skip("no system Chromium: install Debian's `chromium` package (make does, as root with apt)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("the `playwright` package is not installed in this environment (it is in requirements.txt)")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=path, args=["--headless", "--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


def screenshot(page, name):
    """Save a screenshot of ``page`` as a test artifact, ``<ARTIFACTS>/<name>.png``; returns its path."""
    os.makedirs(ARTIFACTS, exist_ok=True)
    path = os.path.join(ARTIFACTS, f"{name}.png")
    page.screenshot(path=path, full_page=True)
    return path
