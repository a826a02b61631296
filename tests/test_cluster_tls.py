"""Grading over TLS: a real ``dask scheduler`` and ``dask worker`` that accept only certified peers.

The README's recipe for a real cluster: every connection encrypted and
authenticated with certificates, handed to the ``grade`` command through
Dask's own configuration (``distributed.comm.tls.*``, here as environment
variables). The certificates are made for the test with ``openssl``.
"""

import os
import subprocess
import sys

import pytest
from grading_helpers import ASSIGNMENT, NO_SANDBOX_FLAG, make_course, submit_example
from services import TlsFiles, dask_cluster

from autograder.grading.results import results

pytestmark = pytest.mark.slow


def _grade(root, scheduler, environment):
    return subprocess.run([sys.executable, "-m", "autograder", "grade", *NO_SANDBOX_FLAG, ASSIGNMENT,
                           "--root", str(root), "--scheduler", scheduler],
                          capture_output=True, text=True, timeout=1800, env={**os.environ, **environment})


def test_a_class_is_graded_over_tls_and_a_client_without_certificates_is_refused(tmp_path):
    tls = TlsFiles(tmp_path / "tls")
    root = make_course(tmp_path / "course")
    submit_example(root, "reference")
    with dask_cluster(workers=1, tls=tls) as cluster:
        assert cluster.address.startswith("tls://127.0.0.1:")
        # Without the certificates the client cannot even connect: nothing is graded.
        refused = _grade(root, cluster.address, {})
        assert refused.returncode != 0 and "speaks TLS" in refused.stderr, refused.stderr
        assert "DASK_DISTRIBUTED__COMM__TLS__CA_FILE" in refused.stderr and "Traceback" not in refused.stderr
        assert not (root / "autograded").exists()
        # With them, the class is graded on the cluster's worker.
        done = _grade(root, cluster.address, tls.environment())
        assert done.returncode == 0, done.stdout + done.stderr + cluster.log()
    (result,) = results(root, ASSIGNMENT)
    assert result.student == "reference" and not result.failed
    assert (root / "feedback" / "reference" / ASSIGNMENT).is_dir()
