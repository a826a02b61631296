"""The student pack (`make student-pack`): everything a learner needs, nothing an instructor keeps."""

import zipfile

import nbformat
import pytest
from conftest import REPO_ROOT
from nbclient import NotebookClient

from autograder.coursedir import student_pack
from autograder.learner.checks import not_implemented_message
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
        "README.md", "requirements.txt", "autograder", "course", "data", RELEASE_DIR}


def test_pack_holds_no_instructor_material(pack):
    files, _ = pack
    assert not [n for n in files if n.startswith((SOURCE_DIR + "/", "examples/"))]
    # Only the learner-side checks of the grading package, never the grader itself.
    assert sorted(n for n in files if n.startswith("autograder/")) == sorted(student_pack.LEARNER_MODULES)
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
    for module in student_pack.LEARNER_MODULES:
        (root / module).parent.mkdir(parents=True, exist_ok=True)
        (root / module).write_text("")
    for name in ("requirements.txt", "pyproject.toml"):
        (root / name).write_text((REPO_ROOT / name).read_text())
    with pytest.raises(student_pack.PackError, match="would leak instructor content"):
        student_pack.build(tmp_path / "out.zip", root)
    assert not (tmp_path / "out.zip").exists()


def test_learner_requirements_are_the_lock_s_pins_for_the_notebooks_and_jupyterlab(pack):
    files, _ = pack
    lines = [line for line in files["requirements.txt"].decode().splitlines() if line and not line.startswith("#")]
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


def _unpack(output, folder):
    with zipfile.ZipFile(output) as archive:
        archive.extractall(folder)
    return folder / student_pack.PACK_NAME


@pytest.mark.slow
@pytest.mark.parametrize("notebook", sorted(p.relative_to(REPO_ROOT).as_posix()
                                            for p in (REPO_ROOT / RELEASE_DIR).glob("*/*.ipynb")))
def test_pack_notebooks_run_their_visible_tests(pack, notebook, tmp_path, monkeypatch):
    """Unpacked alone, each blank notebook runs, and each test says what is not implemented yet."""
    unpacked = _unpack(pack[1], tmp_path)
    # The kernel must import the pack's own copies, not the repository's.
    monkeypatch.setenv("PYTHONPATH", str(unpacked))
    monkeypatch.delenv("NN_COURSE_DATA", raising=False)
    nb = nbformat.read(unpacked / notebook, as_version=4)
    probe = nbformat.v4.new_code_cell(
        "import autograder.learner.checks, course.data\n"
        "print(autograder.learner.checks.__file__); print(course.data.dataset_path('mini_mnist'))")
    nb.cells.insert(0, probe)
    NotebookClient(nb, timeout=300, allow_errors=True, kernel_name="python3",
                   resources={"metadata": {"path": str((unpacked / notebook).parent)}}).execute()
    printed = "".join(o.get("text", "") for o in probe.outputs)
    assert str(unpacked / "autograder" / "learner" / "checks.py") in printed, printed
    assert str(unpacked / "data" / "MINI_MNIST") in printed, printed

    errors = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                errors[meta.get("grade_id") or cell.source[:60]] = (out.ename, out.evalue, bool(meta.get("grade")))
    setup_failures = {k: v for k, v in errors.items() if v[0] in ("ImportError", "ModuleNotFoundError")
                      or k in ("setup", "load_data")}
    assert not setup_failures, f"the pack's notebook cannot import or load its data: {setup_failures}"
    tests = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"]
    assert tests
    first = tests[0].metadata["nbgrader"]["grade_id"]
    assert first in errors, f"the first test, {first}, passed on a blank notebook"
    # The function it tests is the solution cell just above it (named for the function).
    position = nb.cells.index(tests[0])
    function = next(c.metadata["nbgrader"]["grade_id"] for c in reversed(nb.cells[:position])
                    if c.metadata.get("nbgrader", {}).get("solution"))
    assert errors[first][:2] == ("CheckFailure", not_implemented_message(function))
    for grade_id, (ename, evalue, graded) in errors.items():
        # Later tests may also find a name missing that a cell calling an
        # unimplemented function failed to define (the trained model): a
        # cascade, not a missing file.
        if graded:
            assert ename in ("CheckFailure", "NameError"), f"{grade_id} failed with {ename}: {evalue}"


@pytest.mark.slow
def test_stock_validate_in_the_pack_lists_the_failing_tests_in_words(pack, tmp_path, monkeypatch):
    """The pack's README promises nbgrader's Validate button: it runs there, without the course's grader."""
    from nbgrader.validator import Validator

    unpacked = _unpack(pack[1], tmp_path)
    monkeypatch.setenv("PYTHONPATH", str(unpacked))
    notebook = sorted((unpacked / RELEASE_DIR).glob("*/*.ipynb"))[0]
    failed = Validator().validate(str(notebook))["failed"]
    assert failed, "Validate found nothing to fix in a blank notebook"
    assert any("is not implemented yet" in entry["raw_error"] for entry in failed)
    assert not [entry["raw_error"] for entry in failed if "Traceback" in entry["raw_error"]
                or "ModuleNotFoundError" in entry["raw_error"]]
