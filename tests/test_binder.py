"""Binder: the files repo2docker reads (environment.yml, postBuild), and postBuild run here."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OVERRIDES = Path(sys.prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"


def test_repo2docker_finds_the_environment_and_post_build_at_the_top():
    assert not (ROOT / "binder").exists() and not (ROOT / ".binder").exists(), \
        "a binder/ folder would make repo2docker ignore the top-level environment.yml"
    assert (ROOT / "environment.yml").is_file()
    for script in ("postBuild", "start"):
        assert os.access(ROOT / script, os.X_OK), f"repo2docker runs {script} only if executable"


def test_start_puts_the_data_outside_home_in_a_conda_image_and_runs_the_command():
    env = {"PATH": os.environ["PATH"], "CONDA_DIR": "/srv/conda"}
    out = subprocess.run(["./start", "sh", "-c", "echo $COURSE_DATA_DIR"], cwd=ROOT, env=env,
                         capture_output=True, text=True, check=True).stdout.strip()
    assert out == "/srv/conda/share/ph451-autoencoders/data"
    del env["CONDA_DIR"]
    out = subprocess.run(["./start", "sh", "-c", "echo ${COURSE_DATA_DIR:-default}"], cwd=ROOT,
                         env=env, capture_output=True, text=True, check=True).stdout.strip()
    assert out == "default", "outside repo2docker the course's own default (data/) holds"


def test_post_build_prepares_data_jets_and_lab_settings_and_is_idempotent():
    """postBuild as repo2docker runs it (``python`` on PATH is the environment's); the data and
    jets are already there after `make setup`, so this checks that a second build does nothing
    costly, and that the lab settings land in the environment."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    OVERRIDES.unlink(missing_ok=True)
    result = subprocess.run(["./postBuild"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    settings = json.loads(OVERRIDES.read_text())
    assert settings == json.loads((ROOT / "jupyterlab-settings" / "overrides.json").read_text())
    assert settings["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"
    for process in ("qcd", "top", "dijet_qcd", "dijet_wprime"):
        assert "(0 s)" in result.stdout.split(f"{process}:")[1].splitlines()[0], "jets not redone"
