"""Generate the student versions of every notebook and assignment with nbgrader.

Usage: python scripts/homework.py [--out build/homework]

Lays out an nbgrader course directory in build/nbgrader (source/<assignment>/<notebook>.ipynb,
one nbgrader assignment per notebook) and runs nbgrader's own generate_assignment step on it, with
no server and no gradebook database: solution regions become a stub, hidden tests are removed,
outputs are cleared, and grade cells are locked. The student versions are copied flat into OUT,
with the same file names as the instructor versions.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "build" / "nbgrader"
STUB = "# YOUR CODE HERE\nraise NotImplementedError()"


def nbgrader_config(course: Path) -> str:
    """nbgrader_config.py for the course folder ``course``: our stub text for solutions."""
    return (f"c = get_config()  # noqa: F821 (nbgrader's config loader defines it)\n"
            f"c.CourseDirectory.root = {str(course)!r}\n"
            f"c.ClearSolutions.code_stub = {{'python': {STUB!r}}}\n"
            "c.ClearSolutions.text_stub = 'YOUR ANSWER HERE'\n")


def sources() -> list[Path]:
    """Every notebook with exercises: the course notebooks, then the assignments."""
    return (sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
            + sorted((ROOT / "notebooks" / "assignments").glob("*.ipynb")))


def generate(out: Path, course: Path = COURSE) -> list[Path]:
    """Run nbgrader generate_assignment for every source; returns the student notebooks in ``out``."""
    shutil.rmtree(course, ignore_errors=True)
    course.mkdir(parents=True)
    (course / "nbgrader_config.py").write_text(nbgrader_config(course))
    names = []
    for path in sources():
        (course / "source" / path.stem).mkdir(parents=True)
        shutil.copy(path, course / "source" / path.stem / path.name)
        names.append(path.stem)
    result = subprocess.run(  # one nbgrader run for every assignment ("*")
        [sys.executable, "-m", "nbgrader", "generate_assignment", "--force", "--no-db",
         "--log-level=WARN", "--CourseDirectory.assignment_id=*"], cwd=course,
        capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"nbgrader generate_assignment failed:\n{result.stdout}{result.stderr}")
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    written = []
    for name in names:
        for nb in (course / "release" / name).glob("*.ipynb"):
            written.append(Path(shutil.copy(nb, out / nb.name)))
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "homework")
    args = parser.parse_args(argv)
    written = generate(args.out)
    print(f"{len(written)} student notebooks in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
