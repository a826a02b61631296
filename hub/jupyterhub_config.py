# JupyterHub's configuration for the course (`make hub`), following nbgrader's
# "Using nbgrader with JupyterHub", multiple classes with JupyterHubAuthPlugin
# (nbgrader/docs/source/configuration/jupyterhub_config.rst and
# demos/demo_multiple_classes). The machine-specific values (users, ports,
# folders) come from state/hub.json, which hub/provision.py writes;
# $NN_HUB_SETTINGS names it.
import os
from pathlib import Path

from hub.provision import HUB_OFFSET, PROXY_API_OFFSET, HubSettings

hub = HubSettings.load(os.environ["NN_HUB_SETTINGS"])
state = Path(hub.hub_dir) / "state"
python_bin = str(Path(hub.python).parent)
c = get_config()  # noqa: F821 (defined by traitlets when it loads this file)

c.JupyterHub.ip = hub.ip
c.JupyterHub.port = hub.port
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = hub.port + HUB_OFFSET
c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(state / "jupyterhub.pid")
c.ConfigurableHTTPProxy.command = [hub.proxy]
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{hub.port + PROXY_API_OFFSET}"
c.ConfigurableHTTPProxy.pid_file = str(state / "jupyterhub-proxy.pid")

# System accounts, their passwords checked by PAM (the hub runs as root).
c.JupyterHub.authenticator_class = "pam"
everyone = sorted({u for course in hub.courses for u in course.instructors + course.students})
c.Authenticator.allowed_users = set(everyone)
c.Authenticator.admin_users = set()       # instructors get what nbgrader needs, not admin
c.PAMAuthenticator.open_sessions = False  # no login session (systemd-logind) is needed for a server

# Each user's server runs as that user, from the course's Python environment.
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [hub.python, "-m", "jupyterhub.singleuser"]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
c.Spawner.environment = {
    "JUPYTER_CONFIG_PATH": hub.user_config,
    # nbgrader's commands and jupyter's are in the environment's bin/.
    "PATH": f"{python_bin}:/usr/local/bin:/usr/bin:/bin",
}
c.Spawner.http_timeout = 120
c.Spawner.start_timeout = 120

# Hub groups, as nbgrader's JupyterHubAuthPlugin reads them: nbgrader-<course>
# for everyone taking or teaching it, formgrade-<course> for its instructors.
c.JupyterHub.load_groups = {}
roles = [
    # A user server's token may do what its user may (the Course List asks the
    # hub which services its user can reach).
    {"name": "server", "scopes": ["inherit"]},
]
services = []
for course in hub.courses:
    c.JupyterHub.load_groups[f"nbgrader-{course.course_id}"] = {
        "users": course.instructors + course.students}
    c.JupyterHub.load_groups[f"formgrade-{course.course_id}"] = {"users": course.instructors}
    roles.append({"name": f"formgrade-{course.course_id}", "groups": [f"formgrade-{course.course_id}"],
                  "scopes": [f"access:services!service={course.course_id}"]})
    roles.append({"name": f"nbgrader-{course.course_id}", "groups": [f"nbgrader-{course.course_id}"],
                  "scopes": ["list:services", f"read:services!service={course.course_id}"]})
    # The formgrader service asks the hub which courses a user is in
    # (JupyterHubAuthPlugin reads the user's groups), and adds a student that
    # formgrader adds to the course to its group; nothing more.
    roles.append({"name": f"service-{course.course_id}", "services": [course.course_id],
                  "scopes": ["read:users", "read:users:groups", f"read:groups!group=nbgrader-{course.course_id}",
                             f"groups!group=nbgrader-{course.course_id}"]})
    # formgrader: a Jupyter server of the course's first instructor, on the
    # course folder, named after the course as nbgrader requires.
    services.append({
        "name": course.course_id,
        "url": f"http://127.0.0.1:{course.service_port}",
        "command": [hub.python, "-m", "jupyterhub.singleuser", f"--ServerApp.root_dir={course.course_dir}"],
        "user": course.instructors[0],
        "cwd": course.course_dir,
        "environment": {
            "JUPYTER_CONFIG_PATH": course.course_dir,
            "JUPYTERHUB_DEFAULT_URL": "/formgrader",
            "PATH": f"{python_bin}:/usr/local/bin:/usr/bin:/bin",
        },
        "oauth_no_confirm": True,
    })
c.JupyterHub.load_roles = roles
c.JupyterHub.services = services
