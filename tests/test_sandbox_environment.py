"""What the learner's interpreter gets from the grader's environment: what it needs to start, no secret.

``bwrap --clearenv`` drops everything; the sandbox then passes the variables an
interpreter may need (``LD_LIBRARY_PATH`` from an HPC module system, conda's)
and never one whose name looks secret. Without bubblewrap the runner's
environment is built the same way.
"""

import json

import pytest

from autograder.sandbox.kernel import SandboxedKernel, bwrap_problem
from autograder.settings import SandboxConfig, is_secret_variable


def test_secret_names_are_recognised():
    for name in ("GITHUB_TOKEN", "LMS_API_SECRET", "DB_PASSWORD", "JUPYTERHUB_API_URL", "OPENAI_API_KEY",
                 "jupyterhub_user"):
        assert is_secret_variable(name), name
    for name in ("LD_LIBRARY_PATH", "CONDA_PREFIX", "PYTHONHOME", "PATH", "LANG"):
        assert not is_secret_variable(name), name


def test_a_secret_is_never_passed_even_when_configured():
    config = SandboxConfig(pass_env=("LD_LIBRARY_PATH", "HUB_TOKEN"), set_env=(("JUPYTERHUB_API_TOKEN", "x"),))
    assert config.environment({"LD_LIBRARY_PATH": "/opt/lib", "HUB_TOKEN": "t", "OTHER": "o"}) == {
        "LD_LIBRARY_PATH": "/opt/lib"}


@pytest.mark.parametrize("sandbox", [True, False], ids=["bwrap", "unsandboxed"])
def test_the_interpreter_gets_its_variables_and_no_secrets(tmp_path, monkeypatch, sandbox):
    if sandbox and bwrap_problem():
        pytest.skip(f"needs bubblewrap: {bwrap_problem()}")
    monkeypatch.setenv("LD_LIBRARY_PATH", "/opt/hpc/lib")
    monkeypatch.setenv("CONDA_PREFIX", "/opt/conda/envs/nn")
    for secret in ("GITHUB_TOKEN", "LMS_API_SECRET", "DB_PASSWORD", "JUPYTERHUB_API_URL", "MY_API_KEY"):
        monkeypatch.setenv(secret, "s3cret")
    (tmp_path / "work").mkdir()
    with SandboxedKernel(tmp_path / "work", tmp_path / "course", memory_mb=512, max_processes=64,
                         sandbox=sandbox) as kernel:
        reply = kernel.execute("import json, os\nprint(json.dumps(dict(os.environ)))", 60)
    environ = json.loads(reply["outputs"][0]["text"])
    assert environ["LD_LIBRARY_PATH"] == "/opt/hpc/lib" and environ["CONDA_PREFIX"] == "/opt/conda/envs/nn"
    assert "s3cret" not in json.dumps(environ), sorted(environ)


