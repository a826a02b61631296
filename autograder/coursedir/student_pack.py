"""The student pack: the zip an instructor hands out, and nothing a learner must not see.

``python -m autograder.coursedir.student_pack`` (``make student-pack``) writes
``dist/nn-from-scratch-student.zip``, one folder holding:

* ``notebooks/``: the student release (no solution, no hidden test);
* ``course/`` and ``data/``: what the notebooks import and load;
* the learner's side of the grading package, ``autograder/learner/``: the test
  cells call learners' code through its ``checks``;
* ``README.md`` for students and ``requirements.txt``, the part of the course's
  lock that learners need (numpy, matplotlib, JupyterLab, nbgrader's Validate).

Never ``source/``, the example class (``examples/``), the grader's other
modules or anything of the instructor's notebooks that the release hides:
:func:`leaks` scans every file of the pack, and :func:`build` refuses to write
a pack in which it finds something.
"""

import argparse
import importlib.metadata
import re
import sys
import tomllib
import zipfile
from pathlib import Path

import nbformat
from packaging.requirements import Requirement

from autograder.settings import RELEASE_DIR, REPO_ROOT, SOURCE_DIR

PACK_NAME = "nn-from-scratch-student"
DEFAULT_OUTPUT = REPO_ROOT / "dist" / f"{PACK_NAME}.zip"

# The learner's side of the grading package, `autograder.learner` (the notebooks
# do `from autograder.learner import checks`), which imports nothing else of it
# (tests/test_layering.py). The rest of the package runs the grading and stays
# with the instructor.
LEARNER_MODULES = ("autograder/__init__.py", *sorted(
    str(path.relative_to(REPO_ROOT)) for path in (REPO_ROOT / "autograder" / "learner").glob("*.py")))

# What learners install: the notebooks' imports, JupyterLab with its kernel and
# widgets (tqdm's progress bars), and nbgrader for its Validate button and
# Assignment List. Their dependencies are taken from the course's lock.
LEARNER_PACKAGES = ("numpy", "matplotlib", "tqdm", "ipywidgets", "jupyterlab", "ipykernel", "nbgrader")


def python_promise(root=REPO_ROOT):
    """The Pythons the course supports, from ``pyproject.toml``: ``(floor, versions)``.

    ``floor`` is the lowest version ``requires-python`` admits (``"3.11.2"``);
    ``versions`` are the ``Programming Language :: Python :: 3.x`` classifiers
    (``("3.11", "3.12", "3.13")``). The README states the same, and
    tests/test_environment.py checks the lock against both.
    """
    project = tomllib.loads((Path(root) / "pyproject.toml").read_text())["project"]
    floor = re.fullmatch(r">=\s*([\d.]+)", project["requires-python"].strip())
    if not floor:
        raise PackError(f"pyproject.toml: requires-python should be '>=X.Y.Z', not {project['requires-python']!r}")
    prefix = "Programming Language :: Python :: "
    versions = tuple(c.removeprefix(prefix) for c in project.get("classifiers", ())
                     if re.fullmatch(re.escape(prefix) + r"3\.\d+", c))
    return floor.group(1), versions


# Markers that open and close what the release hides in an instructor's notebook.
INSTRUCTOR_MARKERS = {
    "solution": ("### BEGIN SOLUTION", "### END SOLUTION"),
    "hidden test": ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"),
}

# A run of this many consecutive lines of a solution or a hidden test found in
# one file of the pack counts as a leak. Single lines are not enough: idioms
# such as `for i in range(flat.size):` occur legitimately elsewhere.
LEAK_RUN = 3


class PackError(RuntimeError):
    """The pack cannot be built, or would leak instructor content; the message says which."""


def _normalise(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def _lock(path):
    """``{normalised name: (name, version)}`` of a ``name==version`` requirements file."""
    pins = {}
    for line in Path(path).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            name, _, version = line.partition("==")
            pins[_normalise(name)] = (name.strip(), version.strip())
    return pins


def learner_requirements(lock_path=REPO_ROOT / "requirements.txt", packages=LEARNER_PACKAGES):
    """The pinned lines of the lock that learners need: ``packages`` and everything they depend on.

    The dependencies are read from the installed distributions' metadata
    (``Requires-Dist``), extras included (``bleach[css]`` brings ``tinycss2``);
    a dependency counts if its marker holds for any supported Python
    (:func:`python_promise`) on this platform. Dependencies that are not in
    the lock (``colorama`` on Windows, say) are left to pip, which adds them
    where they apply.

    Parameters
    ----------
    lock_path : path
        The course's full lock, ``name==version`` per line.
    packages : sequence of str
        The distributions learners use directly.

    Returns
    -------
    list of str
        ``name==version`` lines, sorted by name, case-insensitively.

    Raises
    ------
    PackError
        If a package is not in the lock, or its installed version differs from
        the lock's (the metadata read would not be the lock's).
    """
    lock = _lock(lock_path)
    floor, supported = python_promise(Path(lock_path).parent)
    pythons = [(floor, ".".join(floor.split(".")[:2]))] + [(f"{v}.0", v) for v in supported[1:]]
    wanted = {}   # name -> the extras whose dependencies were followed
    queue = [(_normalise(p), frozenset()) for p in packages]
    while queue:
        name, extras = queue.pop()
        if name in wanted and extras <= wanted[name]:
            continue
        if name not in lock:
            raise PackError(f"{name} is not in {lock_path}: add it to requirements.in and run `make lock`")
        try:
            installed = importlib.metadata.distribution(lock[name][0])
        except importlib.metadata.PackageNotFoundError:
            raise PackError(f"{name} is not installed here: run `make` first to build .venv") from None
        if installed.version != lock[name][1]:
            raise PackError(f"{name} {installed.version} is installed but the lock pins {lock[name][1]}: "
                            "rebuild .venv (rm -rf .venv && make .venv/.ready)")
        wanted[name] = wanted.get(name, frozenset()) | extras
        for text in installed.requires or ():
            requirement = Requirement(text)
            dependency = _normalise(requirement.name)
            applies = requirement.marker is None or any(
                requirement.marker.evaluate({"python_full_version": full, "python_version": minor, "extra": extra})
                for full, minor in pythons for extra in {""} | wanted[name])
            if applies and dependency in lock:
                queue.append((dependency, frozenset(requirement.extras)))
    return [f"{lock[n][0]}=={lock[n][1]}" for n in sorted(wanted)]


def _python_text(root):
    floor, versions = python_promise(root)
    return f"Python {floor} or newer (supported: {', '.join(versions[:-1])} and {versions[-1]})"


def _requirements_file(lines, root):
    header = [
        "# What learners install: numpy, matplotlib, JupyterLab and nbgrader's Validate,",
        f"# pinned to the versions the course is tested with, for {_python_text(root)}.",
        "#   python3 -m venv .venv",
        "#   .venv/bin/python -m pip install -r requirements.txt",
    ]
    return "\n".join(header + list(lines)) + "\n"


def _files_under(folder, root):
    """Every file under ``root/folder``, skipping caches and checkpoints, as ``{arcname: path}``."""
    skip = {"__pycache__", ".ipynb_checkpoints"}
    found = {}
    for path in sorted((root / folder).rglob("*")):
        relative = path.relative_to(root)
        if path.is_file() and not skip.intersection(relative.parts) and path.suffix != ".pyc":
            found[relative.as_posix()] = path
    return found


def pack_contents(root=REPO_ROOT):
    """What goes into the pack, as ``{path inside the pack: bytes}``.

    Parameters
    ----------
    root : path
        The course repository.

    Returns
    -------
    dict of str to bytes
    """
    root = Path(root)
    files = {}
    for folder in (RELEASE_DIR, "course", "data"):
        if not (root / folder).is_dir():
            raise PackError(f"{root / folder} is missing: the pack needs it")
        files.update({name: path.read_bytes() for name, path in _files_under(folder, root).items()})
    for module in LEARNER_MODULES:
        files[module] = (root / module).read_bytes()
    files["requirements.txt"] = _requirements_file(learner_requirements(root / "requirements.txt"), root).encode()
    files["README.md"] = student_readme(root).encode()
    return files


def student_readme(root=REPO_ROOT):
    """The pack's README: how a learner installs, works and checks, in the pack's own layout."""
    notebooks = sorted(p.relative_to(root).as_posix() for p in (Path(root) / RELEASE_DIR).glob("*/*.ipynb"))
    listing = "\n".join(f"- `{name}`" for name in notebooks)
    return f"""\
# Neural networks from scratch in numpy: student pack

You implement, by hand in numpy, the pieces people most often get wrong; the test
cells tell you which mistake you made.

## Set up (once)

You need {_python_text(root)}. From this folder:

```
python3 -m venv .venv
.venv/bin/python -m pip install -r requirements.txt
```

(On Windows: `py -m venv .venv` and `.venv\\Scripts\\python -m pip install -r requirements.txt`.)

## Work

```
.venv/bin/jupyter lab
```

Open the notebooks, in order:

{listing}

After each function you write, run the test cell below it: no output means it
passed; a failure says, in words, what is most likely wrong. Run every cell from
the top after you restart the kernel (`Kernel > Restart Kernel and Run All Cells`).

The **Validate** button in the notebook's toolbar runs every test cell of the
notebook and lists those that fail. Your instructor grades with more (hidden)
tests on the same functions, and grades the written answers by hand.

Hand in the notebooks the way your instructor tells you; do not rename them.

## What is here

| path | what |
|---|---|
| `notebooks/` | the assignments |
| `course/` | helpers the notebooks import: data loading, plots, finite differences |
| `data/` | the mini-MNIST images the notebooks load |
| `autograder/learner/checks.py` | how the test cells call your code and word their messages |
| `requirements.txt` | the packages, pinned to the versions the course is tested with |
"""


def _instructor_runs(root):
    """Each solution and hidden test of ``source/`` as ``(where, kind, lines)``, without the lines a release shows."""
    kept, regions = set(), []
    for path in sorted((Path(root) / SOURCE_DIR).glob("*/*.ipynb")):
        where = path.relative_to(root).as_posix()
        for cell in nbformat.read(path, as_version=4).cells:
            inside = None
            for line in cell.source.splitlines():
                stripped = line.strip()
                opened = [kind for kind, (start, _) in INSTRUCTOR_MARKERS.items() if stripped == start]
                if opened:
                    inside = opened[0]
                    regions.append((f"{where} {cell.metadata.get('nbgrader', {}).get('grade_id')}", inside, []))
                elif inside and stripped == INSTRUCTOR_MARKERS[inside][1]:
                    inside = None
                elif inside and stripped:
                    regions[-1][2].append(stripped)
                elif not inside:
                    kept.add(stripped)
    # A line that some released notebook shows anyway (a test repeats
    # `p = checks.call(...)` in its visible part; assignment 2 shows a stable
    # sigmoid) says nothing about what the release hides.
    runs = []
    for where, kind, lines in regions:
        lines = [line for line in lines if line not in kept and re.search(r"\w", line)]
        if lines:
            runs.append((where, kind, lines))
    return runs


def leaks(files, root=REPO_ROOT):
    """What of the instructor's material is in ``files``.

    Parameters
    ----------
    files : dict of str to bytes
        The pack's contents, ``{path inside the pack: bytes}``.
    root : path
        The course repository, whose ``source/`` and ``examples/`` are the
        instructor's material.

    Returns
    -------
    list of str
        One line per leak: a file of ``source/`` or ``examples/``, a marker of a
        solution or hidden test, or :data:`LEAK_RUN` consecutive lines (fewer
        for a shorter one) of a solution or hidden test found in one file.
        Empty when the pack is clean.
    """
    root = Path(root)
    found = []
    examples = {path.read_bytes() for path in _files_under("examples", root).values()} \
        if (root / "examples").is_dir() else set()
    runs = _instructor_runs(root)
    for name, data in sorted(files.items()):
        top = name.split("/", 1)[0]
        if top in (SOURCE_DIR, "examples"):
            found.append(f"{name}: the instructor's folder {top}/ is in the pack")
        if data in examples:
            found.append(f"{name}: a file of the example class (examples/) is in the pack")
        text = data.decode("utf-8", errors="ignore")
        for markers in INSTRUCTOR_MARKERS.values():
            for marker in markers:
                if marker in text:
                    found.append(f"{name}: holds the marker {marker!r}")
        lines = {line.strip() for line in text.splitlines()}
        if name.endswith(".ipynb"):
            # A notebook's code is JSON strings: read the cells' own lines.
            try:
                nb = nbformat.reads(text, as_version=4)
                lines |= {line.strip() for cell in nb.cells for line in cell.source.splitlines()}
            except Exception as err:  # nbformat raises several unrelated types
                found.append(f"{name}: not a readable notebook ({type(err).__name__}), cannot be checked")
        for where, kind, run in runs:
            size = min(LEAK_RUN, len(run))
            for start in range(len(run) - size + 1):
                window = run[start:start + size]
                if all(line in lines for line in window):
                    found.append(f"{name}: holds {size} lines of the {kind} in {where}, from {window[0]!r}")
                    break
    return found


def build(output=DEFAULT_OUTPUT, root=REPO_ROOT):
    """Write the student pack as a zip whose files sit in one folder, :data:`PACK_NAME`.

    The zip is reproducible: entries are sorted and dated 1980-01-01.

    Parameters
    ----------
    output : path
        The zip to write (its folder is created).
    root : path
        The course repository.

    Returns
    -------
    (Path, list of str)
        The zip written, and the paths inside the pack.

    Raises
    ------
    PackError
        If something the pack needs is missing, or the pack would leak
        instructor content (then nothing is written).
    """
    files = pack_contents(root)
    found = leaks(files, root)
    if found:
        raise PackError("the student pack would leak instructor content; nothing written:\n  "
                        + "\n  ".join(found))
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(f"{PACK_NAME}/{name}", date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, files[name])
    return output, sorted(files)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder.coursedir.student_pack",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--output", default=str(DEFAULT_OUTPUT), help="the zip to write (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        output, names = build(Path(args.output))
    except PackError as err:
        sys.exit(f"error: {err}")
    folders = sorted({name.split("/", 1)[0] for name in names})
    print(f"wrote {output} ({output.stat().st_size / 1e6:.1f} MB, {len(names)} files: {', '.join(folders)})")
    print("checked: no source/, no example class, no solution and no hidden test in any file")


if __name__ == "__main__":
    main()
