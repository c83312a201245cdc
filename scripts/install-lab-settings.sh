#!/usr/bin/env bash
# JupyterLab defaults for a class (jupyterlab-settings/overrides.json): no "Would you like to get notified
# about official Jupyter news?" prompt and no update check, which would interrupt a lecture and
# reach the network. Installed as the environment's settings overrides
# (<prefix>/share/jupyter/lab/settings/overrides.json), so they hold for `make lab`, for every
# user of a JupyterHub that runs this environment, and on Binder; a user can still change them.
# The copy itself is scripts/setup_course.py's (the route without bash uses it directly).
set -euo pipefail
python=${1:-.venv/bin/python}
exec "$python" "$(dirname "$0")/setup_course.py" lab-settings
