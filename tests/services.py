"""Real servers for the cluster and database tests: a Dask cluster and a PostgreSQL server on loopback.

Each starts the real program (``dask scheduler``, ``dask worker``, Debian's
``initdb`` and ``postgres``) on a free port, waits until it answers, and
stops it afterwards. Where a program cannot be had, :func:`pytest.skip` says why.
"""

import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

DASK = Path(sys.executable).with_name("dask")
PG_BIN = Path("/usr/lib/postgresql/15/bin")
PG_USER = "postgres"  # Debian's postgresql package creates this unprivileged user


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port, process, what, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with code {process.returncode} before it listened on {port}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not listen on port {port} within {timeout} s")


def _stop(process, timeout=15):
    """SIGTERM, then SIGKILL; waits for it either way."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class DaskCluster:
    """``dask scheduler`` and ``workers`` ``dask worker`` processes (one thread each) on 127.0.0.1."""

    def __init__(self, workers=2, log_dir=None, tls=None):
        if not DASK.exists():
            pytest.skip(f"{DASK} is missing: the distributed package is not installed in this environment")
        self.log_dir = Path(log_dir or tempfile.mkdtemp(prefix="dask-logs-"))
        self.port = free_port()
        # With tls (a TlsFiles), every connection is TLS with certificates both ways.
        self.tls = tls
        self._tls_args = tls.command_line() if tls else []
        self.address = f"{'tls' if tls else 'tcp'}://127.0.0.1:{self.port}"
        self.scheduler = self._spawn("scheduler", [str(DASK), "scheduler", "--host", "127.0.0.1",
                                                   "--port", str(self.port), "--no-dashboard", *self._tls_args])
        _wait_for_port(self.port, self.scheduler, "dask scheduler")
        self.workers = [self.start_worker(f"worker-{i}") for i in range(workers)]
        self.wait_for_workers(workers)

    def _spawn(self, name, command):
        log = open(self.log_dir / f"{name}.log", "ab")
        # Its own process group: a worker's nanny and the worker process are stopped together.
        return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def start_worker(self, name):
        """One more ``dask worker`` (one process, one thread, no nanny: killing it kills the worker)."""
        return self._spawn(name, [str(DASK), "worker", self.address, "--nthreads", "1", "--nworkers", "1",
                                  "--no-nanny", "--no-dashboard", "--name", name,
                                  "--local-directory", str(self.log_dir / name), *self._tls_args])

    def wait_for_workers(self, n, timeout=90):
        from distributed import Client

        security = self.tls.security() if self.tls else None
        with Client(self.address, timeout=30, set_as_default=False, security=security) as client:
            client.wait_for_workers(n, timeout=timeout)

    def kill_worker(self, index):
        """SIGKILL a worker, as a machine that dies would (no goodbye to the scheduler)."""
        process = self.workers[index]
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def kill_scheduler(self):
        os.killpg(self.scheduler.pid, signal.SIGKILL)
        self.scheduler.wait()

    def log(self):
        return "\n".join(f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}"
                         for path in sorted(self.log_dir.glob("*.log")))

    def close(self):
        for process in self.workers + [self.scheduler]:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.workers + [self.scheduler]:
            _stop(process)
        shutil.rmtree(self.log_dir, ignore_errors=True)


class TlsFiles:
    """A certificate authority and one certificate for 127.0.0.1 signed by it, made with ``openssl``.

    The scheduler, the workers and the client all present that certificate
    and trust only that authority, as distributed's TLS settings
    (``distributed.comm.tls.*``) describe.
    """

    def __init__(self, folder):
        if shutil.which("openssl") is None:
            pytest.skip("openssl is missing (apt-get install openssl): no certificates for the TLS test")
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.ca, self.cert, self.key = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
        ca_key, request, extensions = folder / "ca-key.pem", folder / "cert.csr", folder / "san.ext"
        extensions.write_text("subjectAltName = IP:127.0.0.1, DNS:localhost\n")

        def openssl(*args):
            subprocess.run(["openssl", *args], check=True, capture_output=True)

        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(ca_key), "-out", str(self.ca),
                "-days", "2", "-subj", "/CN=course test CA")
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(self.key), "-out", str(request),
                "-subj", "/CN=127.0.0.1")
        openssl("x509", "-req", "-in", str(request), "-CA", str(self.ca), "-CAkey", str(ca_key),
                "-CAcreateserial", "-out", str(self.cert), "-days", "2", "-extfile", str(extensions))

    def command_line(self):
        """The options of ``dask scheduler`` and ``dask worker`` that use these files."""
        return ["--tls-ca-file", str(self.ca), "--tls-cert", str(self.cert), "--tls-key", str(self.key)]

    def environment(self):
        """Variables that give any Dask client (the ``grade`` command's) these files, through Dask's config."""
        return {"DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION": "True",
                "DASK_DISTRIBUTED__COMM__TLS__CA_FILE": str(self.ca),
                "DASK_DISTRIBUTED__COMM__TLS__CLIENT__CERT": str(self.cert),
                "DASK_DISTRIBUTED__COMM__TLS__CLIENT__KEY": str(self.key)}

    def security(self):
        from distributed.security import Security

        return Security(tls_ca_file=str(self.ca), tls_client_cert=str(self.cert), tls_client_key=str(self.key),
                        require_encryption=True)


@contextmanager
def dask_cluster(workers=2, tls=None):
    cluster = DaskCluster(workers, tls=tls)
    try:
        yield cluster
    finally:
        cluster.close()


def _pg_user():
    """The unprivileged user that runs the server: ``initdb`` refuses root."""
    if os.geteuid() != 0:
        return None  # we are unprivileged ourselves
    try:
        pwd.getpwnam(PG_USER)
    except KeyError:
        pytest.skip(f"running as root and there is no {PG_USER!r} user to run PostgreSQL as "
                    f"(install Debian's postgresql package: apt-get install postgresql)")
    return PG_USER


class PostgresServer:
    """A throwaway PostgreSQL cluster: ``initdb`` in a temporary folder, ``postgres`` on a free port.

    Logins need a password (``scram-sha-256``), so a test can be refused.
    """

    user = "grader"
    password = "s3cret-pw"

    def __init__(self):
        if not (PG_BIN / "initdb").exists():
            pytest.skip(f"{PG_BIN}/initdb is missing: install Debian's postgresql package "
                        f"(apt-get install postgresql)")
        run_as = _pg_user()
        self.dir = Path(tempfile.mkdtemp(prefix="pg-test-"))
        self.data = self.dir / "data"
        self.port = free_port()
        prefix = ["runuser", "-u", run_as, "--"] if run_as else []
        if run_as:
            shutil.chown(self.dir, run_as)
        pwfile = self.dir / "pw"
        pwfile.write_text(self.password + "\n")
        if run_as:
            shutil.chown(pwfile, run_as)
        subprocess.run(prefix + [str(PG_BIN / "initdb"), "-D", str(self.data), "-U", self.user,
                                 f"--pwfile={pwfile}", "--auth=scram-sha-256", "-E", "UTF8",
                                 "--no-sync"], check=True, capture_output=True)
        self.process = subprocess.Popen(
            prefix + [str(PG_BIN / "postgres"), "-D", str(self.data), "-p", str(self.port),
                      "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={self.dir}",
                      "-c", "fsync=off", "-c", "max_connections=100"],
            stdout=open(self.dir / "server.log", "ab"), stderr=subprocess.STDOUT, start_new_session=True)
        _wait_for_port(self.port, self.process, "postgres")
        self._wait_ready()

    def url(self, database="postgres", password=None):
        return (f"postgresql://{self.user}:{password or self.password}@127.0.0.1:{self.port}/{database}")

    def _wait_ready(self, timeout=30):
        import psycopg2

        deadline = time.monotonic() + timeout
        while True:
            try:
                psycopg2.connect(self.url().replace("postgresql://", "postgresql://", 1)).close()
                return
            except psycopg2.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)

    def create_database(self, name):
        import psycopg2

        connection = psycopg2.connect(self.url())
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        connection.close()
        return self.url(name)

    def close(self):
        # SIGINT is PostgreSQL's "fast" shutdown: it does not wait for clients to disconnect.
        # (to the process group: runuser does not pass every signal on).
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
        _stop(self.process)
        shutil.rmtree(self.dir, ignore_errors=True)


@contextmanager
def postgres_server():
    server = PostgresServer()
    try:
        yield server
    finally:
        server.close()
