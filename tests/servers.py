"""Starting local servers in tests (JupyterLab in test_browser.py, JupyterHub in test_hub.py)."""

import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, proc: subprocess.Popen, log: Path, what: str, seconds: int = 60) -> None:
    """Poll ``url`` until it answers; fail with the end of ``log`` if ``proc`` exits first."""
    for _ in range(2 * seconds):
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            if proc.poll() is not None:
                pytest.fail(f"{what} exited: {log.read_text()[-3000:]}")
            time.sleep(0.5)
    pytest.fail(f"{what} did not start within {seconds} s")
