"""What a learner's kernel and JupyterLab import; what the student pack ships."""
