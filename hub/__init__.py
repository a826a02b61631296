"""A JupyterHub for the course on one machine (`make hub`): accounts, exchange, formgrader services.

roster (the class list) <- provision (accounts, groups, folders, as root) <- __main__ (the command);
exchange (nbgrader's submit, private) and inbound (the exchange's submissions for `grade`) are
used by the user servers and the instructor; jupyterhub_config.py is JupyterHub's configuration.
"""
