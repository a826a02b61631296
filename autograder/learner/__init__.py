"""What a learner's kernel and JupyterLab import, and what the student pack ships.

``checks``: how test cells call a learner's functions and word their messages;
``lab_validate``: nbgrader's Validate button, running the course's self-check.
Imports nothing else of ``autograder``: the student pack carries this package alone.
"""
