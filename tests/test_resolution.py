"""The course installs from wheels on every supported platform and Python, and so does its lock.

uv resolves for another platform than the one it runs on (``--python-platform``, evaluating that
platform's markers, which pip's ``--platform`` does not) with ``--only-binary :all:``: a package
that would have to be compiled from source fails the test, naming the package. The resolver runs
without this machine's pip and uv configuration (here: a local wheel folder and a torch cap), so it
answers for the target, not for this machine. It needs the package registry: offline, the tests
skip and say so, except under CI (``CI=true``), where they fail.

The resolutions run in threads (uv mostly waits on the network), once per session.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements-lock.txt"
PYTHONS = ("3.10", "3.11", "3.12", "3.13")
PLATFORMS = {  # uv's name -> the README's
    "x86_64-manylinux_2_28": "Linux x86-64",
    "aarch64-manylinux_2_28": "Linux aarch64",
    "x86_64-pc-windows-msvc": "Windows x86-64",
    "aarch64-apple-darwin": "macOS arm64",
}
PYTHIA_PLATFORMS = {"x86_64-manylinux_2_28", "aarch64-apple-darwin"}  # Pythia 8 has wheels there
MACOS = "14.0"  # the oldest macOS the locked torch (2.14) has wheels for: Sonoma
INTEL_MAC = "x86_64-apple-darwin"  # not supported: no torch >= 2.4 wheels (checked, one Python)
# What is resolved: the course with its dev/grading tools and hub; the jets extra; the lock.
TARGETS = {
    "course": ["pyproject.toml", "--extra", "dev", "--extra", "hub"],
    "jets": ["pyproject.toml", "--extra", "jets"],
    "lock": [LOCK.name],
}
IN_CI = os.environ.get("CI", "").lower() == "true"


def _skip_or_fail(reason: str):
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: the resolution test must run)")
    pytest.skip(reason)


def _uv() -> str:
    try:
        from uv import find_uv_bin
        return find_uv_bin()
    except (ImportError, FileNotFoundError):
        found = shutil.which("uv")
        if found is None:
            _skip_or_fail("uv is not installed (pip install -e '.[dev]')")
        return found


@cache
def _registry_reachable() -> bool:
    try:
        urllib.request.urlopen("https://pypi.org/simple/pip/", timeout=10).close()
        return True
    except OSError:
        return False


def _resolve(uv: str, target: str, platform: str, python: str, offline: bool = False
             ) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "PIP_"))}
    # --python: this interpreter, found at once (no search, no download: the target is a tag)
    env.update(PIP_CONFIG_FILE=os.devnull, UV_NO_CONFIG="1", NO_COLOR="1", UV_PYTHON_DOWNLOADS="never",
               MACOSX_DEPLOYMENT_TARGET=MACOS)  # uv's default, 13.0, predates torch 2.14's wheels
    return subprocess.run([uv, "pip", "compile", *TARGETS[target], "--python-platform", platform,
                           "--python-version", python, "--python", sys.executable, "--only-binary", ":all:", "--no-header",
                           "--no-annotate", "--quiet", *(["--offline"] if offline else [])],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


@cache
def _results() -> dict[tuple[str, str, str], subprocess.CompletedProcess]:
    """Every (target, platform, python) resolution, run in parallel once per session.

    First one Python per target and platform against the registry (this refreshes uv's cache),
    then the other Pythons from that cache (``--offline``: the same packages, without asking the
    registry about each of them again), each asked online again if the cache did not suffice.
    """
    uv = _uv()
    if not _registry_reachable():
        _skip_or_fail("the package registry (pypi.org) cannot be reached: resolution not checked")
    first = [(t, p, PYTHONS[0]) for t in TARGETS for p in PLATFORMS] + [("course", INTEL_MAC, "3.12")]
    rest = [(t, p, v) for t in TARGETS for p in PLATFORMS for v in PYTHONS[1:]]

    def from_cache_else_online(case):
        result = _resolve(uv, *case, offline=True)
        return result if result.returncode == 0 else _resolve(uv, *case)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = dict(zip(first, pool.map(lambda case: _resolve(uv, *case), first)))
        results.update(zip(rest, pool.map(from_cache_else_online, rest)))
    return results


def _pins(text: str) -> dict[str, str]:
    """``name==version`` lines of a requirements file -> {name: version} (names normalised)."""
    pins = {}
    for line in text.splitlines():
        match = re.match(r"^([A-Za-z0-9._-]+)==([^\s;]+)", line)
        if match:
            pins[re.sub(r"[-_.]+", "-", match.group(1)).lower()] = match.group(2)
    return pins


def _locked_versions() -> dict[str, set[str]]:
    """Every version the lock names for each package (one per platform/Python marker)."""
    versions: dict[str, set[str]] = {}
    for line in LOCK.read_text().splitlines():
        name_version = _pins(line)
        for name, version in name_version.items():
            versions.setdefault(name, set()).add(version)
    return versions


def _why(result: subprocess.CompletedProcess) -> str:
    """uv's explanation, and the packages it names as having no wheel for the target."""
    text = result.stderr.strip()
    culprits = sorted(set(re.findall(r"([A-Za-z0-9._-]+)(?:==|>=|<)[^\s]* has no (?:usable )?wheels",
                                     text)))
    named = f"no wheels for: {', '.join(culprits)}\n" if culprits else ""
    return named + text


def _result(target: str, platform: str, python: str) -> subprocess.CompletedProcess:
    result = _results()[target, platform, python]
    if result.returncode != 0 and re.search(r"Failed to fetch|error sending request|dns error",
                                            result.stderr):
        _skip_or_fail(f"the registry stopped answering: {result.stderr.strip()[:300]}")
    return result


@pytest.mark.parametrize("python", PYTHONS)
@pytest.mark.parametrize("platform", PLATFORMS, ids=PLATFORMS.get)
def test_course_installs_from_wheels(platform, python):
    result = _result("course", platform, python)
    assert result.returncode == 0, \
        f"the course (with dev and hub) does not install from wheels on {PLATFORMS[platform]}, " \
        f"Python {python}:\n{_why(result)}"
    assert {"torch", "jupyterlab", "nbgrader", "nbconvert"} <= set(_pins(result.stdout))


@pytest.mark.parametrize("python", PYTHONS)
@pytest.mark.parametrize("platform", PLATFORMS, ids=PLATFORMS.get)
def test_jets_extra_brings_pythia_where_it_has_wheels(platform, python):
    result = _result("jets", platform, python)
    assert result.returncode == 0, \
        f"the jets extra does not install from wheels on {PLATFORMS[platform]}, Python " \
        f"{python}:\n{_why(result)}"
    pins = _pins(result.stdout)
    assert "fastjet" in pins
    if platform in PYTHIA_PLATFORMS:
        assert "pythia8mc" in pins, f"no Pythia 8 on {PLATFORMS[platform]}, Python {python}"
    else:  # the extra's markers keep pip from compiling Pythia from its source archive
        assert "pythia8mc" not in pins


@pytest.mark.parametrize("python", PYTHONS)
@pytest.mark.parametrize("platform", PLATFORMS, ids=PLATFORMS.get)
def test_lock_installs_from_wheels_and_is_complete(platform, python):
    result = _result("lock", platform, python)
    assert result.returncode == 0, \
        f"{LOCK.name} does not install from wheels on {PLATFORMS[platform]}, Python " \
        f"{python}:\n{_why(result)}"
    resolved, locked = _pins(result.stdout), _locked_versions()
    unlocked = {name: v for name, v in resolved.items() if v not in locked.get(name, ())}
    assert not unlocked, \
        f"{LOCK.name} lacks (or pins otherwise) what {PLATFORMS[platform]}, Python {python} " \
        f"needs: {unlocked}; refresh it with `make lock`"
    assert {"torch", "pythia8mc" if platform in PYTHIA_PLATFORMS else "fastjet"} <= set(resolved)


def test_lock_covers_pyproject_and_pins_what_was_tested():
    """The lock was made from pyproject.toml as it is (every requirement of the course and of its
    extras), with torch at the release the course's numbers were measured with."""
    text = LOCK.read_text()
    assert "make lock" in text.splitlines()[1], "the lock says how it is refreshed"
    pins = _pins(text)
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    required = project["dependencies"] + sum(project["optional-dependencies"].values(), [])
    names = {re.sub(r"[-_.]+", "-", re.match(r"[A-Za-z0-9._-]+", r).group()).lower() for r in required}
    assert not names - set(pins), f"pyproject.toml requires {sorted(names - set(pins))}, which " \
        f"{LOCK.name} does not pin: run `make lock`"
    assert {"torch", "torchvision", "nbgrader", "jupyterhub", "pythia8mc", "fastjet", "uv"} <= set(pins)
    assert pins["torch"].startswith("2.14.")


def test_intel_macs_are_not_supported_because_of_torch():
    """The limit, measured: PyTorch stopped publishing macOS x86-64 wheels after 2.2."""
    result = _result("course", INTEL_MAC, "3.12")
    assert result.returncode != 0 and "torch" in result.stderr, result.stderr
