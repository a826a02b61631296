"""The set-up files agree with each other, so pip, conda and CI install the same course."""

import re

import yaml

from conftest import REPO_ROOT


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
