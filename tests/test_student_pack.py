"""The student pack (`make student-pack`): everything a learner needs, nothing an instructor keeps."""

import json
import tomllib
import zipfile

import nbformat
import pytest
from conftest import REPO_ROOT

from autograder.coursedir import student_pack
from autograder.settings import RELEASE_DIR, SOURCE_DIR

PREFIX = student_pack.PACK_NAME + "/"


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    """The pack as `make student-pack` builds it, read back from the zip: ``{path: bytes}``."""
    output, _ = student_pack.build(tmp_path_factory.mktemp("pack") / "pack.zip")
    with zipfile.ZipFile(output) as archive:
        names = archive.namelist()
        assert all(name.startswith(PREFIX) for name in names), "the pack must unzip into one folder"
        return {name.removeprefix(PREFIX): archive.read(name) for name in names}, output


def test_pack_holds_what_a_learner_needs(pack):
    files, _ = pack
    released = {p.relative_to(REPO_ROOT).as_posix() for p in (REPO_ROOT / RELEASE_DIR).glob("*/*.ipynb")}
    assert released and released <= set(files)
    for name in released:
        assert files[name] == (REPO_ROOT / name).read_bytes(), f"{name} in the pack differs from the release"
    assert "data/MINI_MNIST/mini_mnist.npz" in files
    assert {"course/data.py", "course/plots.py", "course/gradient_check.py",
            "autograder/learner/checks.py"} <= set(files)
    assert {"README.md", "requirements.txt"} <= set(files)
    assert {name.split("/", 1)[0] for name in files} == {
        "README.md", "requirements.txt", "pyproject.toml", "jupyter-config", "autograder", "course", "data",
        RELEASE_DIR}


def test_pack_holds_no_instructor_material(pack):
    files, _ = pack
    assert not [n for n in files if n.startswith((SOURCE_DIR + "/", "examples/"))]
    # Only the learner-side checks of the grading package, never the grader itself.
    assert sorted(n for n in files if n.startswith("autograder/")) == sorted(
        ["autograder/__init__.py", *student_pack.learner_modules()])
    example_files = {p.read_bytes() for p in (REPO_ROOT / "examples").rglob("*.py")}
    assert example_files, "the example class should exist in the repository"
    for name, data in files.items():
        text = data.decode("utf-8", errors="ignore")
        for marker in ("### BEGIN SOLUTION", "### END SOLUTION", "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"):
            assert marker not in text, f"{name} holds {marker!r}"
        assert data not in example_files, f"{name} is a file of the example class"
    assert student_pack.leaks(files) == []


def test_leak_scan_finds_each_kind_of_instructor_material(pack):
    """The scan that guards the pack catches a planted source notebook, example, solution and hidden test."""
    files, _ = pack
    source_nb = next((REPO_ROOT / SOURCE_DIR).glob("*/*.ipynb"))
    example = next((REPO_ROOT / "examples").rglob("reference.py"))
    runs = student_pack._instructor_runs(REPO_ROOT)
    solution = next(lines for _, kind, lines in runs if kind == "solution" and len(lines) >= 3)
    hidden = next(lines for _, kind, lines in runs if kind == "hidden test" and len(lines) >= 3)
    # Copied without the markers, as someone pasting an answer into a helper would.
    planted = {
        "source/a.ipynb": source_nb.read_bytes(),
        "course/extra.py": example.read_bytes(),
        "course/answer.py": "\n".join(["def f():"] + ["    " + line for line in solution]).encode(),
        "course/hidden.py": "\n".join(hidden).encode(),
    }
    found = student_pack.leaks({**files, **planted})
    for name in planted:
        assert any(line.startswith(name + ":") for line in found), f"{name} was not caught: {found}"
    assert not [line for line in found if not line.startswith(tuple(planted))]


def test_build_refuses_a_leaking_pack(tmp_path):
    root = tmp_path / "course"
    for folder in (SOURCE_DIR, RELEASE_DIR, "course", "data", "autograder"):
        (root / folder).mkdir(parents=True)
    source = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "def f(x):\n    ### BEGIN SOLUTION\n    y = x * 2\n    z = y + 1\n    return z\n    ### END SOLUTION",
        metadata={"nbgrader": {"grade_id": "f", "solution": True}})])
    (root / SOURCE_DIR / "a1").mkdir()
    nbformat.write(source, root / SOURCE_DIR / "a1" / "a1.ipynb")
    (root / RELEASE_DIR / "a1").mkdir()
    nbformat.write(source, root / RELEASE_DIR / "a1" / "a1.ipynb")   # "released" with its solution
    (root / "autograder" / "learner").mkdir()
    (root / "autograder" / "learner" / "checks.py").write_text("")
    for name in ("requirements.txt", "pyproject.toml"):
        (root / name).write_text((REPO_ROOT / name).read_text())
    with pytest.raises(student_pack.PackError, match="would leak instructor content"):
        student_pack.build(tmp_path / "out.zip", root)
    assert not (tmp_path / "out.zip").exists()


def test_learner_requirements_are_the_lock_s_pins_for_the_notebooks_and_jupyterlab(pack):
    files, _ = pack
    lines = [line for line in files["requirements.txt"].decode().splitlines()
             if line and not line.startswith("#") and line != "-e ."]   # the last line installs the pack
    lock = {line.strip() for line in (REPO_ROOT / "requirements.txt").read_text().splitlines()
            if "==" in line and not line.startswith("#")}
    assert set(lines) <= lock, f"not pinned as in requirements.txt: {sorted(set(lines) - lock)}"
    names = {line.split("==")[0].lower().replace("_", "-") for line in lines}
    assert set(student_pack.LEARNER_PACKAGES) <= names
    # What the notebooks need at run time, pulled in as dependencies, and through
    # extras (nbconvert needs bleach[css], hence tinycss2).
    assert {"ipython", "jupyter-client", "pyzmq", "tornado", "jupyter-server", "nbconvert", "tinycss2"} <= names
    # The instructor's tools are not a learner's download.
    assert not names & {"dask", "distributed", "psycopg2-binary", "playwright", "pytest", "pytest-xdist", "nh3"}


def test_the_pack_installs_itself_and_runs_the_visible_check(pack):
    """requirements.txt ends by installing the folder; its pyproject.toml says the self-check is visible-only."""
    files, _ = pack
    assert files["requirements.txt"].decode().splitlines()[-1] == "-e ."
    pyproject = tomllib.loads(files["pyproject.toml"].decode())
    assert pyproject["tool"]["nn-course"]["self-check"] == "visible"
    assert set(pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]) == {"course", "autograder"}
    (config,) = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["shared-data"]
    enabled = json.loads(files[config])["ServerApp"]["jpserver_extensions"]
    assert enabled["autograder.learner.lab_validate"] and not enabled[
        "nbgrader.server_extensions.validate_assignment"]


def test_the_pack_holds_no_text_about_the_instructor_s_repository(pack):
    files, _ = pack
    assert not {"data/build_mini_mnist.py", "data/requirements.txt"} & set(files)
    data_readme = files["data/README.md"].decode()
    assert "make" not in data_readme.split() and "tests/" not in data_readme and "repository" not in data_readme
    planted = {"course/extra.py": b"# see the course's issue 12", "notebooks/x.md": b"run `make test` first",
               "course/more.py": b"# rebuilt by data/build_mini_mnist.py"}
    found = student_pack.leaks({**files, **planted})
    assert sorted({line.split(":", 1)[0] for line in found}) == sorted(planted), found


