"""`make hub`: the course's JupyterHub on this machine, for a local class or a dry run (as root).

Creates the accounts (hub/setup_class.py), prints the address, the accounts and their passwords,
then runs JupyterHub in the foreground with hub/jupyterhub_config.py; Ctrl-C stops it, and with
it every user's server and the proxy. Settings: COURSE_HUB_USERS (default "instructor student1
student2"; the first is the instructor), COURSE_HUB_PORT (8000), COURSE_HUB_STATE (build/hub);
passwords are drawn at random unless COURSE_HUB_PASSWORD / COURSE_HUB_ADMIN_PASSWORD are set.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "hub"))
import setup_class  # noqa: E402


def main() -> None:
    if os.geteuid() != 0:
        raise SystemExit("make hub creates a local account for every user and starts servers as "
                         "them: run it as root (sudo make hub). For a department's server see the "
                         "README, 'Teaching a class'.")
    env = dict(os.environ)
    env.setdefault("COURSE_HUB_USERS", "instructor student1 student2")
    env.setdefault("COURSE_HUB_STATE", str(ROOT / "build" / "hub"))
    env.setdefault("COURSE_HUB_PORT", "8000")
    env.setdefault("COURSE_HUB_PASSWORD", secrets.token_urlsafe(9))
    env.setdefault("COURSE_HUB_ADMIN_PASSWORD", secrets.token_urlsafe(30))
    users = env["COURSE_HUB_USERS"].split()
    state = Path(env["COURSE_HUB_STATE"])
    setup_class.setup(state, users)
    print(f"\nThe course's JupyterHub: http://127.0.0.1:{env['COURSE_HUB_PORT']}/ (this machine only)\n"
          f"  instructor (admin, formgrader): {users[0]}  password {env['COURSE_HUB_ADMIN_PASSWORD']}\n"
          f"  students: {', '.join(users[1:])}  password {env['COURSE_HUB_PASSWORD']}\n"
          f"  course folder: ~{users[0]}/course; exchange: {state / 'exchange'}\n"
          "Ctrl-C stops the hub and every user's server.\n", flush=True)
    os.chdir(state)
    os.execve(sys.executable, [sys.executable, "-m", "jupyterhub", "-f",
                               str(ROOT / "hub" / "jupyterhub_config.py")], env)


if __name__ == "__main__":
    main()
