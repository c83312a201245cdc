"""Prepare the course on any computer, without make, bash or apt: data, jets, JupyterLab settings.

Usage: python scripts/setup_course.py [data] [jets] [lab-settings]   (no argument: all three)

Run it with the course's environment active (after ``pip install -e .`` or the lock), on Windows,
macOS or Linux; a second run does nothing. ``make setup`` runs the same steps.

- ``data``: Fashion-MNIST in ``data/`` (or ``$COURSE_DATA_DIR``): the files already there, else
  Debian's offline copy, else torchvision's download (once; a clear message when offline).
- ``jets``: the jets of notebook 08, a4's dijet events and its black box, with Pythia 8 + FastJet
  (``scripts/generate_jets.py``, about 4 minutes on two cores) where Pythia is installed; elsewhere it says how to get them and
  succeeds, since every other notebook works without them.
- ``lab-settings``: JupyterLab's class defaults (``jupyterlab-settings/overrides.json``: no news
  prompt, no update check) into this environment.
"""

from __future__ import annotations

import importlib.util
import os
import platform
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # course_utils from this checkout, even without `pip install -e .`
JET_FILES = ("qcd", "top", "dijet_qcd", "dijet_wprime", "blackbox")
# Where Pythia 8 has wheels (pyproject.toml's `jets` extra): (sys.platform, machine).
PYTHIA_WHEELS = {("linux", "x86_64"), ("darwin", "arm64")}


def data() -> int:
    """Fashion-MNIST in place (course_utils.data.prepare); 0 on success, 2 with a message if not."""
    from course_utils import data as course_data

    return course_data.main(["prepare"])


def jets_dir() -> Path:
    return Path(os.environ.get("COURSE_DATA_DIR") or ROOT / "data") / "jets"


def pythia_missing_message(out: Path) -> str:
    """What to do where Pythia 8 is not installed (Windows, Linux aarch64, or no `jets` extra)."""
    here = (sys.platform, platform.machine().lower())
    if here in PYTHIA_WHEELS:
        why = ("Pythia 8 (pythia8mc) is not installed in this environment; install the course's "
               "jets extra (pip install -e \".[jets]\") and run this again, or")
    else:
        why = (f"Pythia 8 has no wheels for this computer ({platform.system()} "
               f"{platform.machine()}; only Linux x86-64 and macOS on Apple silicon), so")
    return (f"jets: {why} get the jets another way:\n"
            f"  - copy the folder data/jets ({', '.join(f + '.npz' for f in JET_FILES)}) from a "
            f"computer or course hub that generated them into {out} (the files are portable);\n"
            "  - or work on the course's JupyterHub or on Binder, where they are generated;\n"
            "  - or, on Windows, use WSL (Ubuntu) and this course's Linux route.\n"
            "Only notebook 08 and assignment a4 need them; every other notebook works without.")


def jets() -> int:
    """Generate the jets where Pythia 8 and FastJet are installed; else say how to get them."""
    out = jets_dir()
    if all((out / f"{name}.npz").is_file() for name in JET_FILES) \
            and importlib.util.find_spec("pythia8mc") is None:
        print(f"jets: in place in {out} (copied; Pythia 8 is not installed here)")
        return 0
    if importlib.util.find_spec("pythia8mc") is None or importlib.util.find_spec("fastjet") is None:
        print(pythia_missing_message(out))
        return 0
    import generate_jets  # scripts/ is on the path when this file runs as a script

    status = generate_jets.main(["--out", str(out)])
    if status or (out / "blackbox.npz").is_file():
        return status
    return generate_jets.main(["--out", str(out), "blackbox"])   # made once here; `make blackbox` remakes it


def lab_settings() -> int:
    """Copy jupyterlab-settings/overrides.json to <prefix>/share/jupyter/lab/settings/."""
    target = Path(sys.prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ROOT / "jupyterlab-settings" / "overrides.json", target)
    os.chmod(target, 0o644)
    print(f"lab-settings: {target}")
    return 0


STEPS = {"data": data, "jets": jets, "lab-settings": lab_settings}


def main(argv: list[str] | None = None) -> int:
    steps = sys.argv[1:] if argv is None else argv
    unknown = [s for s in steps if s not in STEPS]
    if unknown:
        print(f"error: unknown step {unknown[0]!r}; choose from {', '.join(STEPS)} (none: all)",
              file=sys.stderr)
        return 2
    for step in steps or list(STEPS):
        status = STEPS[step]()
        if status:
            return status
    return 0


if __name__ == "__main__":
    sys.exit(main())
