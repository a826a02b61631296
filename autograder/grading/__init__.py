"""Grading a class on one machine: collect, the batch and its executor, one submission's autograde,
the canary, results, reports, feedback, sanitising, the self-check, the gradebook and the run's options.
"""
