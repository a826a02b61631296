"""Grade on a Dask cluster: each submission a task, the gradebook written here.

The client (the instructor's ``grade`` command) sends each task the
assignment's instructor files and one submission's files, as data: workers
need no shared filesystem, only the course's Python environment and
bubblewrap. A worker grades in a scratch course of its own
(:mod:`autograder.cluster.scratch_course`) and returns what it produced; the client
records it through nbgrader's autograde (:mod:`autograder.cluster.replay`), in
several processes of its machine (:mod:`autograder.cluster.recorders`), so only
the client writes the gradebook, the autograded and feedback folders.

Faults: a worker that dies mid-task has its task rescheduled by the scheduler
on another worker (up to ``distributed.scheduler.allowed-failures`` times),
and a task that raised is run again up to ``retries`` times; a result is
recorded once, and recording the same submission twice updates its rows. If
the scheduler goes away, :meth:`DaskCluster.grade` stops with
:class:`SchedulerLost`; what was recorded stays, and a rerun skips it.
"""

import logging
import os
import time
import uuid
from concurrent.futures import ALL_COMPLETED, FIRST_COMPLETED, wait
from pathlib import Path

from distributed import Client, as_completed
from distributed.security import Security

from autograder.cluster.recorders import Recorders
from autograder.cluster.scratch_course import grade_in_scratch_course, pack_course, read_tree
from autograder.coursedir.nbgrader_api import GradingError
from autograder.grading.executor import GradingExecutor
from autograder.sandbox.kernel import bwrap_available

CONNECT_TIMEOUT_SECONDS = 10
WORKERS_TIMEOUT_SECONDS = 60
# A recording process takes about 1.5 CPU-s to start (nbgrader's imports), the
# time the client takes to record about 10 results itself: by default a batch
# gets one process per 10 submissions.
RESULTS_PER_DEFAULT_RECORDER = 10
# Each recording process holds about 120 MiB, and on SQLite they share one write lock;
# --recorders gives more, for a client of many cores and a database server.
MAX_DEFAULT_RECORDERS = 4


class SchedulerLost(GradingError):
    """The Dask scheduler went away during a batch."""


def _probe_worker():
    """Run on each worker before a batch: can it grade, and is it sandboxed?"""
    return {"bwrap": bwrap_available()}


def _without_gradebook(overrides):
    """``overrides`` minus the gradebook URL: a worker grades into its own scratch gradebook."""
    overrides = {section: dict(values) for section, values in (overrides or {}).items()}
    overrides.get("CourseDirectory", {}).pop("db_url", None)
    return {section: values for section, values in overrides.items() if values}


def _on_loopback(address):
    host = address.split("://", 1)[-1].rsplit(":", 1)[0].strip("[]")
    return host in ("localhost", "::1") or host.startswith("127.")


def transport_problem(address):
    """Why this machine's Dask configuration cannot reach ``address``, or None.

    A ``tls://`` scheduler needs a certificate authority, a certificate and
    its key, from Dask's configuration (``distributed.comm.tls.*``); without
    them distributed fails deep inside with a TypeError and a timeout.
    """
    if not address.startswith("tls://"):
        return None
    security = Security()
    missing = [name for name, value in (("ca-file", security.tls_ca_file),
                                        ("client.cert", security.tls_client_cert)) if not value]
    if missing:
        return (f"the Dask scheduler at {address} speaks TLS, and this machine's Dask configuration names no "
                f"{' and no '.join('distributed.comm.tls.' + name for name in missing)}. Give the certificate "
                f"authority, this machine's certificate and its key in ~/.config/dask/distributed.yaml or as "
                f"DASK_DISTRIBUTED__COMM__TLS__CA_FILE, ..._CLIENT__CERT and ..._CLIENT__KEY "
                f"(README: Grading on a cluster)")
    return None


class DaskCluster(GradingExecutor):
    """The workers of the Dask scheduler at ``address`` (``tcp://HOST:PORT``), or of ``client``'s.

    Parameters
    ----------
    address : str, optional
        The scheduler's address.
    client : distributed.Client, optional
        A client already connected (Dask Gateway's ``cluster.get_client()``,
        which needs its own security settings); the caller closes it.
    retries : int
        How many times a task that raised is run again (a worker that dies is
        handled by the scheduler, which reschedules its tasks).
    recorders : int, optional
        Processes of this machine recording results into the gradebook at
        once (:class:`~autograder.cluster.recorders.Recorders`), at most one
        per submission. Default: its cores, at most
        :data:`MAX_DEFAULT_RECORDERS`, and one per
        :data:`RESULTS_PER_DEFAULT_RECORDER` submissions of the batch.

    Attributes
    ----------
    timings : list of dict
        One per recorded submission: ``worker``, ``worker_started``,
        ``worker_seconds`` (on the worker), ``received`` (``time.time()`` when
        the result reached the client), ``record_seconds`` (the gradebook
        writes and files, in the recording process), ``transfer_seconds``
        (the client's time submitting it and fetching its result).
    """

    def __init__(self, address=None, retries=2, client=None, recorders=None):
        if (address is None) == (client is None):
            raise ValueError("DaskCluster needs a scheduler address or a connected client, not both")
        if recorders is not None and recorders < 1:
            raise ValueError(f"recorders must be at least 1, not {recorders}")
        self.address = address or client.scheduler.address
        self.retries = retries
        self.recorders = recorders
        self.timings = []
        self._client, self._owned = client, client is None
        self._checked = False
        self._client_log_level = logging.getLogger("distributed.client").level

    @staticmethod
    def default_recorders():
        """Recording processes when none are asked for: this machine's cores, at most :data:`MAX_DEFAULT_RECORDERS`."""
        return min(MAX_DEFAULT_RECORDERS, os.cpu_count() or 1)

    def recorders_for(self, submissions):
        """How many processes record a batch of ``submissions`` (1: the client's own)."""
        if self.recorders:
            return max(1, min(self.recorders, submissions))
        return max(1, min(self.default_recorders(), submissions // RESULTS_PER_DEFAULT_RECORDER))

    def _connect(self):
        """A client whose cluster has workers that can grade (checked once)."""
        # When the scheduler goes away, the client logs each failed reconnect
        # with a traceback; grade() says what happened, and what to do, itself.
        logging.getLogger("distributed.client").setLevel(logging.CRITICAL)
        if self._client is not None:
            client = self._client
        else:
            problem = transport_problem(self.address)
            if problem:
                raise GradingError(problem)
            if not _on_loopback(self.address) and not self.address.startswith("tls://"):
                print(f"WARNING: {self.address} is not encrypted: each task carries the hidden tests and the "
                      f"grading seed in the clear. Use TLS between machines (README: Grading on a cluster)")
            try:
                client = Client(self.address, timeout=CONNECT_TIMEOUT_SECONDS, set_as_default=False)
            except (OSError, TimeoutError) as err:
                raise GradingError(f"cannot reach the Dask scheduler at {self.address}: {err}. Start one with "
                                   f"`dask scheduler`, or check the --scheduler address") from None
        try:
            client.wait_for_workers(1, timeout=WORKERS_TIMEOUT_SECONDS)
        except TimeoutError:
            self._release(client)
            raise GradingError(f"the Dask scheduler at {self.address} has no workers after "
                               f"{WORKERS_TIMEOUT_SECONDS} s: start some with `dask worker {self.address}`") from None
        try:
            probes = client.run(_probe_worker)
        except Exception as err:  # noqa: BLE001 (whatever a worker raised, it cannot grade)
            self._release(client)
            raise GradingError(f"a worker of {self.address} cannot grade: {type(err).__name__}: {err}. "
                               f"Each worker needs the course's Python environment (the autograder "
                               f"and course packages, nbgrader) and bubblewrap") from None
        unsandboxed = sorted(worker for worker, probe in probes.items() if not probe["bwrap"])
        if unsandboxed:
            print(f"WARNING: no bubblewrap (bwrap) on the workers {', '.join(unsandboxed)}: learner code runs "
                  f"there without a sandbox. Install it on them: apt-get install bubblewrap")
        return client

    def grade(self, batch):
        if not self._checked:
            self._client, self._checked = self._connect(), True
        client = self._client
        # Started first: the recording processes import nbgrader while the workers grade.
        with Recorders(self.recorders_for(len(batch.students))) as recorders:
            root = Path(batch.root)
            bundle = pack_course(root, batch.assignment)
            on_worker = _without_gradebook(batch.overrides)
            futures, sent = {}, {}
            for student in batch.students:
                began = time.perf_counter()
                submission = read_tree(root / "submitted" / student / batch.assignment)
                future = client.submit(grade_in_scratch_course, bundle, student, submission, batch.engine,
                                       on_worker, key=f"grade-{batch.assignment}-{student}-{uuid.uuid4().hex[:8]}",
                                       retries=self.retries)
                futures[future], sent[student] = student, time.perf_counter() - began
            yield from self._record_as_completed(client, futures, sent, batch, recorders)

    def _record_as_completed(self, client, futures, sent, batch, recorders):
        """Hand each result to ``recorders`` as it arrives; yield each submission once it is recorded."""
        # concurrent.futures.Future -> (GradedSubmission, when it arrived, seconds sending and fetching it)
        recording = {}
        # A few results wait for a recording process, not the whole batch's notebooks.
        backlog = 2 * recorders.processes
        done = 0
        for future in as_completed(futures, loop=client.loop):
            student = futures[future]
            began = time.perf_counter()
            if future.status == "cancelled" or client.status in ("closing", "closed"):
                # What is being recorded is finished and reported, so a rerun skips it.
                done += yield from self._recorded(recording, recorders, until=ALL_COMPLETED)
                raise SchedulerLost(f"lost the Dask scheduler at {self.address} after {done} of {len(futures)} "
                                    f"submissions were graded and saved. Run the same command again: "
                                    f"it skips what is saved and grades the rest") from None
            try:
                graded = future.result()
            except Exception as err:  # noqa: BLE001 (the task failed on every try: report it, grade the rest)
                yield student, f"the cluster could not grade it: {type(err).__name__}: {err}"
                continue
            future.release()
            if graded.error:
                yield student, graded.error
                continue
            handed = recorders.submit(str(batch.root), batch.assignment, graded, batch.overrides)
            recording[handed] = graded, time.time(), sent[student] + time.perf_counter() - began
            done += yield from self._recorded(recording, recorders,
                                              until=FIRST_COMPLETED if len(recording) >= backlog else None)
        done += yield from self._recorded(recording, recorders, until=ALL_COMPLETED)

    def _recorded(self, recording, recorders, until=None):
        """Yield the submissions of ``recording`` recorded by now (``until=None``), or once some or all are.

        Returns how many were recorded without an error.
        """
        if not recording:
            return 0
        finished = (wait(recording, return_when=until).done if until
                    else [future for future in recording if future.done()])
        recorded = 0
        for handed in finished:
            graded, received, transfer = recording.pop(handed)
            outcome = recorders.result(handed)
            if outcome.reason:
                yield outcome.student, outcome.reason
                continue
            self.timings.append({"student": outcome.student, "worker": graded.worker,
                                 "worker_started": graded.started, "worker_seconds": graded.seconds,
                                 "received": received, "record_seconds": outcome.seconds,
                                 "transfer_seconds": transfer})
            recorded += 1
            yield outcome.student, None
        return recorded

    def _release(self, client):
        if self._owned:
            client.close()

    def close(self):
        logging.getLogger("distributed.client").setLevel(self._client_log_level)
        if self._client is not None and self._owned:
            try:
                self._client.close(timeout=5)
            except (OSError, TimeoutError):
                pass  # a scheduler that went away has nothing left to close
            self._client = None
        self._checked = False
