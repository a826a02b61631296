"""What a learner's kernel and JupyterLab import, and what the student pack ships.

``checks``: how test cells call a learner's functions and word their messages;
``selfcheck`` (with ``visible`` and ``report``): the self-check that the terminal
(``python -m autograder.learner check``), the Validate button and each notebook's
last cell run; ``lab_validate``: nbgrader's Validate button, running that check.
Imports nothing else of ``autograder``: the student pack carries this package alone.
"""
