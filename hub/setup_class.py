"""Prepare this machine for the course's JupyterHub (run as root; `make hub` and the hub test do).

Usage: python hub/setup_class.py STATE instructor student1 student2 ...

- a local account for every user (created if missing), its home readable by its owner only;
- the nbgrader exchange STATE/exchange, owned by root with the sticky bit (mode 1777: nbgrader
  insists that the root be writable by all, and the sticky bit keeps anyone from renaming or
  deleting what another user made there), and the course's folder in it, made here by the
  instructor's account before any student logs in: outbound/ that students read, inbound/ that
  they can write but not list (mode 3733: sticky, so nobody renames or deletes another's
  submission); collect then goes through hub/course_exchange.py (owners checked, times from the
  file system);
- the instructor's course folder ~/course with every assignment of notebooks/assignments/ in
  source/, and ~/.jupyter/nbgrader_config.py pointing nbgrader at it (the same settings as
  `make grade`: scripts/grade.py);
- a4's black-box truth handed to the instructor, readable by nobody else;
- for students, the formgrader server extension switched off (they have no course to grade);
- the course environment reachable by every account (its Python may sit under /root), and the
  course's checkpoint cache, which every user reads as the class's shared cache (make warm).
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import grade  # noqa: E402  (scripts/grade.py: the instructor's nbgrader settings)

from course_utils import config  # noqa: E402


def _account(name: str) -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", name], check=True)
        return pwd.getpwnam(name)


def _give(path: Path, user: pwd.struct_passwd) -> None:
    for p in [path, *path.rglob("*")]:
        os.chown(p, user.pw_uid, user.pw_gid)


def _reachable(path: Path) -> None:
    """Let every account reach ``path`` (execute permission on each folder above it, not read):
    the environment's Python may live under a private home such as /root/.pyenv."""
    for folder in [*reversed(path.parents)]:
        mode = folder.stat().st_mode
        if not mode & 0o001:
            print(f"setup_class: letting users pass through {folder} (o+x) to reach {path}")
            folder.chmod(mode | 0o001)


def setup(state: Path, users: list[str]) -> None:
    if os.geteuid() != 0:
        raise SystemExit("hub/setup_class.py creates local accounts: run it as root (sudo)")
    exchange = state / "exchange"
    exchange.mkdir(parents=True, exist_ok=True)
    os.chown(exchange, 0, 0)
    exchange.chmod(0o1777)
    config.cache_dir().mkdir(parents=True, exist_ok=True)
    for path in (Path(sys.executable).resolve(), Path(sys.executable).parent, ROOT / "hub", exchange,
                 config.cache_dir()):
        _reachable(path)
    for i, name in enumerate(users):
        user = _account(name)
        home = Path(user.pw_dir)
        home.mkdir(exist_ok=True)
        os.chown(home, user.pw_uid, user.pw_gid)
        home.chmod(0o700)                                    # nobody else reads a user's files
        settings = home / ".jupyter"
        settings.mkdir(exist_ok=True)
        if i == 0:                                           # the instructor
            course = home / "course"
            for source in sorted((ROOT / "notebooks" / "assignments").glob("a*.ipynb")):
                folder = course / "source" / source.stem.split("_")[0]
                folder.mkdir(parents=True, exist_ok=True)
                shutil.copy(source, folder / source.name)
            (settings / "nbgrader_config.py").write_text(grade.config_text(course))
        else:
            (settings / "jupyter_server_config.json").write_text(json.dumps(
                {"ServerApp": {"jpserver_extensions": {"nbgrader.server_extensions.formgrader": False}}}))
        _give(settings, user)
        if i == 0:
            _give(home / "course", user)
            _course_exchange(exchange / grade.COURSE_ID, user)
            _blackbox_truth_to(user)


def _blackbox_truth_to(instructor: pwd.struct_passwd) -> None:
    """a4's black-box truth readable by the instructor only, so autograde's hidden tests can grade
    the black box and no student can read the answer (make blackbox writes it mode 600)."""
    from course_utils import jets

    truth = jets.blackbox_truth_file()
    if truth.is_file():
        os.chown(truth, instructor.pw_uid, instructor.pw_gid)
        truth.chmod(0o600)


def _course_exchange(course: Path, instructor: pwd.struct_passwd) -> None:
    """The course's folders in the exchange, owned by the instructor (nbgrader's release and
    collect insist on it): outbound/ readable by all, inbound/ writable, not listable, sticky."""
    for folder, mode in ((course, 0o755), (course / "outbound", 0o755), (course / "inbound", 0o3733)):
        folder.mkdir(exist_ok=True)
        os.chown(folder, instructor.pw_uid, instructor.pw_gid)
        folder.chmod(mode)


if __name__ == "__main__":
    if len(sys.argv) < 4:
        raise SystemExit(__doc__.split("\n\n")[1])
    setup(Path(sys.argv[1]), sys.argv[2:])
