"""Grading on a Dask cluster: the executor, the workers' scratch courses, the client's replay.

:func:`executor_for` picks where a run grades: a
:class:`~autograder.cluster.dask_executor.DaskCluster` for
``options.scheduler``, else the local pool of the grading layer.
"""

from autograder.grading.executor import LocalPool


def executor_for(options):
    """The executor a run with ``options`` grades on: the Dask cluster of ``options.scheduler``, else this machine.

    Parameters
    ----------
    options : autograder.grading.options.GradingOptions

    Returns
    -------
    autograder.grading.executor.GradingExecutor
        Open; close it (or use it as a context manager) when the run is done.
    """
    if options.scheduler:
        # Deferred: importing distributed takes about a second, which a run
        # on this machine (and `check`) should not pay.
        from autograder.cluster.dask_executor import DaskCluster

        return DaskCluster(options.scheduler, retries=options.retries, recorders=options.recorders)
    return LocalPool(options.workers)
