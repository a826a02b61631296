"""The set-up files agree with each other, so pip, conda and CI install the same course."""

import importlib.metadata
import re
import tomllib

import pytest
import yaml
from conftest import REPO_ROOT
from packaging.specifiers import SpecifierSet


def _pins(lines):
    pins = {}
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        m = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([^\s;]+)", line)
        assert m, f"not pinned with ==: {line!r}"
        pins[m.group(1).lower().replace("_", "-")] = m.group(2)
    return pins


def test_environment_yml_lists_the_same_packages_as_requirements_in():
    env = yaml.safe_load((REPO_ROOT / "environment.yml").read_text())
    deps = env["dependencies"]
    pip_section = next(d["pip"] for d in deps if isinstance(d, dict))
    conda_python = [d for d in deps if isinstance(d, str) and d.startswith("python")]
    assert conda_python == ["python=3.11"], "environment.yml should pin python=3.11 like the README"
    from_yml = _pins(pip_section)
    from_in = _pins((REPO_ROOT / "requirements.in").read_text().splitlines())
    assert from_yml == from_in, (
        "environment.yml and requirements.in drifted apart: "
        f"only in yml {sorted(set(from_yml.items()) - set(from_in.items()))}, "
        f"only in requirements.in {sorted(set(from_in.items()) - set(from_yml.items()))}")


def test_lock_contains_every_direct_requirement_at_its_pinned_version():
    lock = _pins((REPO_ROOT / "requirements.txt").read_text().splitlines())
    direct = _pins((REPO_ROOT / "requirements.in").read_text().splitlines())
    wrong = {name: (version, lock.get(name)) for name, version in direct.items() if lock.get(name) != version}
    assert not wrong, f"requirements.txt does not match requirements.in (run `make lock`): {wrong}"


def test_ci_runs_exactly_the_readme_test_command():
    readme = (REPO_ROOT / "README.md").read_text()
    ci = (REPO_ROOT / ".ci" / "run").read_text()
    commands = re.findall(r"^make (\w+)$", readme, flags=re.M)
    assert commands[:2] == ["demo", "test"], "README must open with `make demo` and `make test`"
    ci_commands = [line.strip() for line in ci.splitlines() if line.strip().startswith("make ")]
    assert ci_commands == ["make test"], f".ci/run must call exactly `make test`, found {ci_commands}"


# --- The Python the README promises -------------------------------------------------------------

def _promise():
    """(floor, supported minor versions) from pyproject.toml: requires-python and the classifiers."""
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    floor = re.fullmatch(r">=\s*(\d+\.\d+\.\d+)", project["requires-python"])
    assert floor, (f"requires-python should be '>=X.Y.Z' (the oldest Python promised), "
                   f"not {project['requires-python']!r}")
    prefix = "Programming Language :: Python :: "
    supported = [c.removeprefix(prefix) for c in project.get("classifiers", [])
                 if re.fullmatch(re.escape(prefix) + r"3\.\d+", c)]
    return floor.group(1), supported


def test_readme_makefile_and_pyproject_promise_the_same_pythons():
    floor, supported = _promise()
    assert supported, "pyproject.toml lists no `Programming Language :: Python :: 3.x` classifier"
    assert supported[0] == ".".join(floor.split(".")[:2]), (
        "the floor should be a release of the oldest supported version")
    readme = (REPO_ROOT / "README.md").read_text()
    promised = re.search(r"Python (\d+\.\d+\.\d+) or newer \(supported: ([\d., and]+?)[;)]", readme)
    assert promised, "README should say `Python X.Y.Z or newer (supported: ...)` before `make demo`"
    assert promised.group(1) == floor, f"README promises Python {promised.group(1)}, pyproject.toml {floor}"
    assert re.split(r", | and ", promised.group(2)) == supported, (
        f"README supports {promised.group(2)}, pyproject.toml's classifiers {supported}")
    makefile = (REPO_ROOT / "Makefile").read_text()
    version_check = re.search(r"sys\.version_info >= \(([\d, ]+)\)", makefile)
    assert version_check and tuple(map(int, version_check.group(1).split(","))) == tuple(map(int, floor.split("."))), (
        "the Makefile's interpreter check should refuse exactly what is below the floor")
    env = yaml.safe_load((REPO_ROOT / "environment.yml").read_text())
    assert f"python={supported[0]}" in env["dependencies"]


def _locked_distributions():
    """(name, version, metadata) for every pin of requirements.txt and data/requirements.txt, as installed in .venv."""
    locked = []
    for lock in ("requirements.txt", "data/requirements.txt"):
        for name, version in _pins((REPO_ROOT / lock).read_text().splitlines()).items():
            try:
                dist = importlib.metadata.distribution(name)
            except importlib.metadata.PackageNotFoundError:
                pytest.fail(f"{name} ({lock}) is not installed: rebuild .venv (rm -rf .venv && make .venv/.ready)")
            assert dist.version == version, (f"{name} {dist.version} is installed, {lock} pins {version}: "
                                             "rebuild .venv (rm -rf .venv && make .venv/.ready)")
            locked.append((name, version, dist))
    return locked


def test_every_locked_distribution_installs_on_each_promised_python():
    """Each pin's Requires-Python admits the floor (Debian 12's 3.11.2) and every supported version."""
    floor, supported = _promise()
    pythons = [floor] + [f"{minor}.0" for minor in supported[1:]]
    refused = []
    for name, version, dist in _locked_distributions():
        requires = dist.metadata.get("Requires-Python")
        if not requires:
            continue
        for python in pythons:
            if not SpecifierSet(requires).contains(python):
                refused.append(f"{name}=={version} requires Python {requires}, not {python}")
    assert not refused, (
        "the lock does not install on every Python the README promises; re-resolve it on the floor "
        "(`make lock`, which uses LOCK_PYTHON=/usr/bin/python3.11) or raise the promise:\n  " + "\n  ".join(refused))


# Compiled wheels have one build per CPython version unless they use the stable
# ABI (abi3). Whether PyPI has a cp312 and cp313 wheel for each cannot be read
# from the metadata installed here, so it was verified once, by installing the
# whole lock with wheels only on each supported Python (no build from source):
#   for v in 3.11.2:/usr/bin/python3.11 3.12.1:/root/.pyenv/versions/3.12.1/bin/python \
#            3.13.0:/root/.pyenv/versions/3.13.0/bin/python; do
#     p=${v#*:}; $p -m venv /tmp/v && /tmp/v/bin/python -m pip install --upgrade pip &&
#     /tmp/v/bin/python -m pip install --only-binary=:all: -r requirements.txt; rm -rf /tmp/v; done
# (2026-11-28, linux x86_64: all three succeeded.) The versions so verified:
WHEELS_VERIFIED_FOR_EACH_SUPPORTED_PYTHON = {
    "cffi": "2.1.1", "charset-normalizer": "3.5.3", "contourpy": "1.3.3", "debugpy": "1.8.22",
    "fonttools": "4.68.0", "greenlet": "3.5.6", "kiwisolver": "1.5.1", "markupsafe": "3.0.4",
    "matplotlib": "3.11.2", "msgpack": "1.2.4", "numpy": "2.4.6", "pillow": "13.0.0",
    "psycopg2-binary": "2.9.13", "pyyaml": "6.0.3", "pyzmq": "27.3.0", "rapidfuzz": "3.14.6",
    "rpds-py": "2026.9.1", "sqlalchemy": "2.1.9",
}


def _wheel_tags(dist):
    return [line.split(":", 1)[1].strip() for line in (dist.read_text("WHEEL") or "").splitlines()
            if line.startswith("Tag:")]


def test_every_compiled_pin_has_wheels_for_each_promised_python():
    """A compiled pin is either abi3 from the floor on, or a version whose per-Python wheels were verified."""
    floor, _ = _promise()
    floor_tag = "cp" + "".join(floor.split(".")[:2])
    unverified = []
    for name, version, dist in _locked_distributions():
        tags = _wheel_tags(dist)
        assert tags, f"{name} was not installed from a wheel; the lock must install without compiling"
        if all(tag.endswith("-none-any") for tag in tags):
            continue   # pure Python: one wheel for every version
        interpreter, abi, _ = tags[0].split("-")
        if abi == "abi3" and int(interpreter[2:]) <= int(floor_tag[2:]):
            continue   # the stable ABI: the same wheel loads on every later CPython
        if WHEELS_VERIFIED_FOR_EACH_SUPPORTED_PYTHON.get(name.lower()) != version:
            unverified.append(f"{name}=={version} ({tags[0]})")
    assert not unverified, (
        "compiled packages whose wheels for each supported Python were not verified; run the loop in the "
        "comment above WHEELS_VERIFIED_FOR_EACH_SUPPORTED_PYTHON and record them:\n  " + "\n  ".join(unverified))
