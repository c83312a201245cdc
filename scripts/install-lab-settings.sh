#!/usr/bin/env bash
# JupyterLab defaults for a class (jupyterlab-settings/overrides.json): no "Would you like to get notified
# about official Jupyter news?" prompt and no update check, which would interrupt a lecture and
# reach the network. Installed as the environment's settings overrides
# (<prefix>/share/jupyter/lab/settings/overrides.json), so they hold for `make lab`, for every
# user of a JupyterHub that runs this environment, and on Binder; a user can still change them.
set -euo pipefail
python=${1:-.venv/bin/python}
prefix=$("$python" -c 'import sys; print(sys.prefix)')
install -D -m 644 "$(dirname "$0")/../jupyterlab-settings/overrides.json" "$prefix/share/jupyter/lab/settings/overrides.json"
