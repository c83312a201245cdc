"""JupyterHub for this course on one machine (`make hub`): a local class, a dry run, or the test.

Users are real local accounts (``hub/setup-class.sh`` creates them), one single-user JupyterLab
each from the course's own environment (``jupyterhub-singleuser`` in .venv), started by
JupyterHub's LocalProcessSpawner under the user's own uid, so Unix permissions keep students out
of each other's files and out of the instructor's. Log-in is JupyterHub's shared-password
authenticator, good for a dry run on 127.0.0.1 only; on a real server use the university's
single sign-on (README, "Teaching a class"). Assignments go through nbgrader's exchange
(``hub/nbgrader_config.py``). Everything is set by environment variables, which `make hub` and
the test fill in:

COURSE_HUB_STATE     folder for the hub's database, cookie secret and the exchange
COURSE_HUB_PORT      public port on 127.0.0.1 (default 8000); COURSE_HUB_API_PORT the hub's own
COURSE_HUB_USERS     "instructor student1 student2 ..." (the first is the instructor, an admin)
COURSE_HUB_PASSWORD  the students' password (8+ characters); COURSE_HUB_ADMIN_PASSWORD the
                     instructor's (32+ characters)
COURSE_HUB_CULL_TIMEOUT  seconds after which an idle server is stopped (default 600, The Littlest
                     JupyterHub's default; jupyterhub-idle-culler checks every 60 s)
"""

import os
import pwd
import sys
from pathlib import Path

c = get_config()  # noqa: F821 (JupyterHub's config loader defines it)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from course_utils import config  # noqa: E402

BIN = Path(sys.executable).parent                       # the course environment's bin/
STATE = Path(os.environ.get("COURSE_HUB_STATE", ROOT / "build" / "hub"))
USERS = os.environ.get("COURSE_HUB_USERS", "instructor student1 student2").split()

c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = int(os.environ.get("COURSE_HUB_PORT", "8000"))
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(os.environ.get("COURSE_HUB_API_PORT", "8081"))
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.ConfigurableHTTPProxy.command = [str(BIN.parent / "share" / "course-hub" / "node_modules"   # make's $(CHP)
                                       / ".bin" / "configurable-http-proxy")]
c.ConfigurableHTTPProxy.pid_file = str(STATE / "proxy.pid")
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{int(os.environ.get('COURSE_HUB_PROXY_PORT', '8001'))}"

c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = os.environ.get("COURSE_HUB_PASSWORD")
c.SharedPasswordAuthenticator.admin_password = os.environ.get("COURSE_HUB_ADMIN_PASSWORD")
c.Authenticator.allowed_users = set(USERS)
c.Authenticator.admin_users = {USERS[0]}

# Idle servers (no activity in the browser or kernels) are stopped, as The Littlest JupyterHub
# does by default, so that kernels left running do not hold the server's memory; a student's
# files stay, only the running kernels go.
c.JupyterHub.services = [{
    "name": "idle-culler",
    "command": [sys.executable, "-m", "jupyterhub_idle_culler", "--cull-every=60",
                f"--timeout={int(os.environ.get('COURSE_HUB_CULL_TIMEOUT', '600'))}"],
}]
c.JupyterHub.load_roles = [{
    "name": "idle-culler",
    "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
    "services": ["idle-culler"],
}]


def _home(spawner) -> str:
    return pwd.getpwnam(spawner.user.name).pw_dir


c.Spawner.cmd = [str(BIN / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
c.Spawner.http_timeout = 60
c.Spawner.environment = {
    "PATH": f"{BIN}{os.pathsep}/usr/local/bin:/usr/bin:/bin",    # nbgrader calls alembic from bin/
    "JUPYTER_CONFIG_PATH": str(ROOT / "hub"),                   # nbgrader_config.py: the exchange
    "COURSE_HUB_EXCHANGE": str(STATE / "exchange"),
    "COURSE_DATA_DIR": str(ROOT / "data"),                      # shared, read-only for students
    "COURSE_CACHE_DIR": lambda spawner: f"{_home(spawner)}/.cache/ph451-autoencoders",
    # The course's warm cache (make warm), read by everyone, written by nobody: students and the
    # autograder load the notebooks' models instead of training them again per person.
    "COURSE_SHARED_CACHE_DIR": str(config.cache_dir()),
}
