"""environment.yml (conda route) and pyproject.toml (pip route) must name the same packages."""

import re
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")
ROOT = Path(__file__).resolve().parent.parent
CONDA_TO_PIP = {"pytorch": "torch"}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _pyproject_packages() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = project["dependencies"] + [r for extra in project["optional-dependencies"].values()
                                      for r in extra]
    return {_name(r) for r in reqs}


def _conda_packages() -> set[str]:
    """conda's and pip's package names in environment.yml; ``-e .[x]`` brings the extras ``x``."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names, in_pip, in_deps = set(), False, False
    for line in (ROOT / "environment.yml").read_text().splitlines():
        if not line.startswith(" "):
            in_deps = line.startswith("dependencies:")
            continue
        if re.match(r"^\s+- pip:\s*$", line):
            in_pip = True
            continue
        item = re.match(r"^\s+- ([^#]+)", line)
        editable = item and re.match(r"-e \.(?:\[([\w,]+)\])?\s*$", item.group(1).strip())
        if editable:
            for extra in filter(None, (editable.group(1) or "").split(",")):
                names |= {_name(r) for r in project["optional-dependencies"][extra]}
        elif item and in_deps:
            name = _name(item.group(1))
            names.add(name if in_pip else CONDA_TO_PIP.get(name, name))
    return names - {"python", "pip"}


def test_environment_yml_and_pyproject_name_the_same_packages():
    assert _conda_packages() == _pyproject_packages()


def test_environment_installs_the_course_package_with_the_optional_jets():
    text = (ROOT / "environment.yml").read_text()
    assert re.search(r"- pip:\s*\n(\s+- .*\n)*\s+- -e \.\[jets\](\s+#.*)?\s*$", text, re.M)


def test_jets_are_optional_and_pythia_is_kept_off_platforms_without_wheels():
    """The core never needs Pythia; in the extra it carries markers, so that pip on Windows or
    Linux aarch64 does not compile it from its source archive (tests/test_resolution.py checks
    the wheels themselves)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert not {"pythia8mc", "fastjet"} & {_name(r) for r in project["dependencies"]}
    pythia = [r for r in project["optional-dependencies"]["jets"] if _name(r) == "pythia8mc"]
    assert pythia and all("sys_platform" in r and "platform_machine" in r for r in pythia)


def test_requirements_are_ranges_not_pins():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert not [r for r in project["dependencies"] if "==" in r]
