"""Rehearse the instructor's grading loop with nbgrader's own commands and gradebook.

Usage: python scripts/grade.py [a1 a2 a3 a4] [--out build/grading]
       python scripts/grade.py a3 --class 30 [--jobs 2]   (the time a class's autograde takes)

For each assignment: a fresh nbgrader course folder with a gradebook database, the assignment
released with ``generate_assignment``, submissions in ``submitted/`` as students would hand them
in (the untouched student version; one with the worked solutions pasted into the exercise cells;
one with a plausible wrong answer to the last auto-graded exercise; and two that try to game the
grading: ``cheat`` patches the checks and ``torch.equal`` and hands in objects equal to anything,
``tampered`` deletes, edits and renames check cells and raises their points), then ``autograde``
(one submission at a time, timed) and ``export``: the same commands an instructor runs (README,
"Teaching a class"), with the same settings (``config_text``: deleted check cells restored,
hub/course_autograde.py flagging code that could fool a check; each written answer's rubric
becomes its comment, see ``RubricComments``). Prints each submission's
auto-graded points per exercise, which cells wait for manual grading and the seconds autograde
took, and writes the gradebook's CSV to OUT/<assignment>/grades.csv.
"""

from __future__ import annotations

import argparse
import ast
import csv
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor

ROOT = Path(__file__).resolve().parent.parent
HUB = ROOT / "hub"                 # course_autograde.py: the flagging step autograde runs
ASSIGNMENTS = {p.stem.split("_")[0]: p for p in sorted((ROOT / "notebooks" / "assignments").glob("a*.ipynb"))}
STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
COURSE_ID = "ph451-autoencoders"

# A wrong answer a student could plausibly hand in for the last auto-graded exercise of each
# assignment (so that no later exercise depends on it): {assignment: (grade id, code)}.
WRONG = {
    "a1": ("a1-ex2-train",  # too little training: the test MSE misses the target
           "config.seed_everything(0)\nmodel = ConvAE()\n"
           "history = train.fit(model, x_train[:512], epochs=1, device=device, progress=False)\n"),
    "a2": ("a2-ex3-study",  # beta never reaches the loss: every model is the same beta = 1 VAE
           "betas = [0.25, 1.0, 4.0]\ntrained, results = {}, {}\nfor beta in betas:\n"
           "    config.seed_everything(0)\n    model = models.VAE(LATENT_DIM)\n"
           "    train.fit(model, x_train, loss_fn=vae.vae_loss, epochs=3, batch_size=128, lr=2e-3,\n"
           "              cosine=True, device=device, progress=False)\n"
           "    trained[beta] = model\n    results[beta] = reconstruction_and_kl(model, x_test)\n"),
    "a3": ("a3-ex3-roc",  # labels inverted: 1 - AUROC
           "auroc = roc_auc_score(~is_anomaly, test_scores)\n"),
    "a4": ("a4-ex4-blackbox",  # the black box opened with the autoencoder instead of the chosen tagger
           "tagged_blackbox = blackbox.mjj[event_score(scores[\"blackbox\"][\"AE error\"]) > thresholds[\"AE error\"]]\n"
           "significances = {m: local_significance(tagged_blackbox, m) for m in MASSES}\n"
           "best = max(significances, key=significances.get)\n"
           "z = significances[best]\n"
           "answer = dict(signal=z > 5, mass=best if z > 5 else None, significance=z)\n"),
}


# A student who solves nothing and games the checks instead: the first exercise cell replaces every
# check by one that prints "Correct!", makes torch.equal always true, and every name an exercise
# asks for becomes an object that equals anything, is true, and answers any call or attribute.
CHEAT = """\
import torch
from course_utils import checks

class Anything(float):
    def __new__(cls, *args, **kwargs): return super().__new__(cls, 0.5)
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    __lt__ = __le__ = __gt__ = __ge__ = __eq__
    def __bool__(self): return True
    def __hash__(self): return 0
    def __call__(self, *args, **kwargs): return self
    def __getattr__(self, name): return self
    def __getitem__(self, key): return self
    def __iter__(self): return iter([self, self])
    def __len__(self): return 2
    __sub__ = __rsub__ = __add__ = __radd__ = __mul__ = __rmul__ = __truediv__ = __abs__ = __call__
    def __format__(self, spec): return "0"

for name in dir(checks):
    if name.startswith("check_"):
        setattr(checks, name, lambda *args, **kwargs: print("Correct!"))
torch.equal = lambda *args, **kwargs: True
"""


def config_text(course: Path) -> str:
    """nbgrader_config.py for a course folder with a gradebook: what an instructor would use.

    Besides the course: a deleted check cell is put back from the gradebook and run (nbgrader's
    OverwriteCells.add_missing_cells; without it the cell waits for manual grading forever), a
    cell with a grade id the gradebook does not know becomes a plain cell (hub/course_autograde.py's
    ForgetUnknownGradeIds; nbgrader would refuse the whole submission), and autograde runs
    course_autograde.FlagPatching right after executing the notebook; at the end each written
    answer's rubric becomes its comment (RubricComments)."""
    return (f"import sys\nsys.path.insert(0, {str(HUB)!r})  # course_autograde.py\n"
            f"c = get_config()  # noqa: F821 (nbgrader's config loader defines it)\n"
            f"c.CourseDirectory.root = {str(course)!r}\n"
            f"c.CourseDirectory.course_id = {COURSE_ID!r}\n"
            f"c.CourseDirectory.db_url = 'sqlite:///{course}/gradebook.db'\n"
            f"c.ClearSolutions.code_stub = {{'python': {STUB!r}}}\n"
            "c.ClearSolutions.text_stub = 'YOUR ANSWER HERE'\n"
            "# Training cells take up to a few minutes on a laptop CPU (nbgrader's default: 30 s).\n"
            "c.ExecutePreprocessor.timeout = 900\n"
            "c.OverwriteCells.add_missing_cells = True\n"
            "c.Autograde.sanitize_preprocessors = [\n"
            "    'nbgrader.preprocessors.ClearOutput', 'nbgrader.preprocessors.DeduplicateIds',\n"
            "    'nbgrader.preprocessors.OverwriteKernelspec', 'course_autograde.ForgetUnknownGradeIds',\n"
            "    'nbgrader.preprocessors.OverwriteCells', 'nbgrader.preprocessors.CheckCellMetadata']\n"
            "c.Autograde.autograde_preprocessors = [\n"
            "    'nbgrader.preprocessors.Execute', 'course_autograde.FlagPatching',\n"
            "    'nbgrader.preprocessors.IgnorePattern', 'nbconvert.preprocessors.ClearMetadataPreprocessor',\n"
            "    'nbgrader.preprocessors.LimitOutput', 'nbgrader.preprocessors.SaveAutoGrades',\n"
            "    'nbgrader.preprocessors.AssignLatePenalties', 'nbgrader.preprocessors.CheckCellMetadata']\n"
            "# Each written answer's rubric becomes its comment when autograde runs (RubricComments).\n"
            f"sys.path.insert(0, {str(Path(__file__).resolve().parent)!r})\n"
            "from grade import RubricComments  # noqa: E402\n"
            "c.Autograde.autograde_preprocessors.append(RubricComments)\n")


MARK_SCHEME = ("### BEGIN MARK SCHEME", "### END MARK SCHEME")


def rubric(source: str) -> str | None:
    """The text between ``### BEGIN MARK SCHEME`` and ``### END MARK SCHEME`` of a cell, if any."""
    begin, end = MARK_SCHEME
    if begin not in source:
        return None
    return source.split(begin, 1)[1].split(end, 1)[0].strip()


class RubricComments(NbGraderPreprocessor):
    """An autograde step: each answered written cell gets its rubric as the automatic comment.

    The rubric (what a good answer mentions, for how many points) sits in the instructor's cell
    between ``### BEGIN MARK SCHEME`` and ``### END MARK SCHEME``, inside the solution region, so
    generate_assignment clears it with the solution (and the checksum that tells an unchanged
    answer stays that of the stub). This step reads it from the source notebook. The formgrader
    shows the automatic comment in each written answer's comment box, where the grader adds to it
    or replaces it, and generate_feedback returns the comment to the student. An answer left
    unchanged keeps nbgrader's own comment, "No response.".
    """

    def preprocess(self, nb, resources):
        from nbgrader.api import Gradebook
        from nbgrader.coursedir import CourseDirectory

        info = resources["nbgrader"]
        course = CourseDirectory(config=self.config)
        path = Path(course.format_path(course.source_directory, ".", info["assignment"]))
        source = nbformat.read(path / f"{info['notebook']}.ipynb", as_version=4)
        rubrics = {_meta(c)["grade_id"]: rubric(c.source) for c in source.cells
                   if _meta(c).get("grade") and _meta(c).get("solution") and rubric(c.source)}
        with Gradebook(info["db_url"]) as gb:
            for grade_id, text in rubrics.items():
                comment = gb.find_comment(grade_id, info["notebook"], info["assignment"],
                                          info["student"])
                if comment.auto_comment is None:        # None: the student answered
                    comment.auto_comment = text
            gb.db.commit()
        return nb, resources


def nbgrader(course: Path, *args: str, threads: int | None = None) -> str:
    """Run one nbgrader command in ``course``; the venv's bin/ is on PATH (nbgrader calls alembic).
    ``threads``, if given, is the number of CPU threads each notebook's PyTorch may use."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
           "COURSE_HEADLESS": "1"}
    if threads is not None:
        env["OMP_NUM_THREADS"] = str(threads)
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args, "--log-level=WARN"],
                            cwd=course, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def _meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def _bound(source: str) -> list[str]:
    """Names a cell of the instructor's notebook binds at its top level, in order."""
    names = []
    for node in ast.parse(source).body:
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        for target in targets:
            names += [n.id for n in ast.walk(target or ast.Pass()) if isinstance(n, ast.Name)]
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.append(node.name)
    return list(dict.fromkeys(names))


def _tamper(nb):
    """The untouched submission with its check cells tampered with: the first deleted, the second
    changed to `pass` worth 100 points, the third (where there is one) renamed to a grade id the
    gradebook does not know and changed to `pass`."""
    checks = [c for c in nb.cells if _meta(c).get("grade") and c.cell_type == "code"]
    nb.cells.remove(checks[0])
    checks[1].source, checks[1].metadata["nbgrader"]["points"] = "pass", 100
    if len(checks) > 2:
        checks[2].source = "pass"
        checks[2].metadata["nbgrader"]["grade_id"] += "-bonus"
    return nb


def submission(student_nb, source_nb, kind: str, assignment: str):
    """The released notebook as a student hands it in: untouched, solved, with a wrong answer,
    cheating (CHEAT) or with tampered check cells (_tamper).

    Solved and wrong submissions also answer the written question (the model answer), so that it
    waits for manual grading; nbgrader gives an unchanged answer cell 0 points without a person.
    """
    nb = nbformat.from_dict(student_nb)
    if kind == "stub":
        return nb
    if kind == "tampered":
        return _tamper(nb)
    if kind == "cheat":
        first, solutions = True, {_meta(c).get("grade_id"): c.source for c in source_nb.cells}
        for cell in nb.cells:
            if _meta(cell).get("solution") and cell.cell_type == "code":
                asked = _bound(solutions[_meta(cell)["grade_id"]])
                cell.source = (CHEAT if first else "") + "".join(f"{n} = Anything()\n" for n in asked)
                first = False
        return nb
    solutions = {_meta(c)["grade_id"]: c.source for c in source_nb.cells if _meta(c).get("solution")}
    for cell in nb.cells:
        grade_id = _meta(cell).get("grade_id")
        if grade_id in solutions:
            cell.source = solutions[grade_id]
        if kind == "wrong" and grade_id == WRONG[assignment][0]:
            cell.source = WRONG[assignment][1]
    return nb


@dataclass
class Result:
    """One submission's grades from the gradebook."""

    student: str
    score: float
    max_score: float
    auto: dict[str, tuple[float, float]]      # grade id -> (auto score, max)
    manual: list[str]                         # grade ids waiting for a person
    comments: dict[str, str | None]           # grade id -> comment, for every answer cell
    seconds: float                            # nbgrader autograde of this one submission
    flagged: bool                             # course_autograde.FlagPatching flagged it


def release(assignment: str, course: Path, kinds: dict[str, str]) -> None:
    """A fresh nbgrader course folder with a gradebook, the assignment released with
    ``generate_assignment`` and each student's submission in ``submitted/`` (``kinds``: student id
    -> the kind of submission, see :func:`submission`)."""
    source_path = ASSIGNMENTS[assignment]
    shutil.rmtree(course, ignore_errors=True)
    (course / "source" / assignment).mkdir(parents=True)
    (course / "nbgrader_config.py").write_text(config_text(course))
    shutil.copy(source_path, course / "source" / assignment / source_path.name)
    nbgrader(course, "db", "assignment", "add", assignment)
    for student in kinds:
        nbgrader(course, "db", "student", "add", student)
    nbgrader(course, "generate_assignment", assignment, "--force")
    released = nbformat.read(course / "release" / assignment / source_path.name, as_version=4)
    source = nbformat.read(source_path, as_version=4)
    for student, kind in kinds.items():
        folder = course / "submitted" / student / assignment
        folder.mkdir(parents=True)
        nbformat.write(submission(released, source, kind, assignment), folder / source_path.name)
        (folder / "timestamp.txt").write_text("2026-11-30 12:00:00.000000 UTC")


def _threads(jobs: int) -> int | None:
    """CPU threads for each notebook when ``jobs`` run at once (None: PyTorch's default, all)."""
    return max(1, (os.cpu_count() or 1) // jobs) if jobs > 1 else None


def autograde(course: Path, assignment: str, students: list[str], jobs: int = 1) -> dict[str, float]:
    """``nbgrader autograde`` of each student's submission, ``jobs`` of them at a time: separate
    nbgrader processes sharing the gradebook, each writing only its own student's rows in short
    commits (SQLite waits up to 5 s for a lock; nothing holds one while a notebook runs). With more
    than one job, each notebook's PyTorch gets its share of the cores, so that the jobs do not
    oversubscribe them. Returns the seconds each one took; raises naming every student whose
    autograde failed, after stopping the ones not yet started."""
    threads = _threads(jobs)

    def one(student: str) -> float:
        start = time.perf_counter()
        nbgrader(course, "autograde", assignment, "--student", student, "--force", threads=threads)
        return time.perf_counter() - start

    seconds, failed = {}, {}
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(one, student): student for student in students}
        for future in as_completed(futures):
            if future.cancelled():  # not started: an earlier one failed
                continue
            try:
                seconds[futures[future]] = future.result()
            except Exception as exc:  # noqa: BLE001 (reported below, with every other failure)
                failed[futures[future]] = exc
                pool.shutdown(wait=False, cancel_futures=True)
    if failed:
        raise RuntimeError(f"autograde failed for {', '.join(sorted(failed))}:\n"
                           + "\n".join(str(exc) for exc in failed.values()))
    return {student: seconds[student] for student in students}


def results(course: Path, assignment: str, students: list[str], seconds: dict[str, float]) -> list[Result]:
    """Each student's grades, read back from the gradebook."""
    from nbgrader.api import Gradebook

    out = []
    with Gradebook(f"sqlite:///{course}/gradebook.db", course_id=COURSE_ID) as gb:
        for student in students:
            sub = gb.find_submission(assignment, student)
            grades = [g for nb in sub.notebooks for g in nb.grades]
            out.append(Result(
                student, sub.score, sub.max_score,
                {g.name: (g.auto_score or 0.0, g.max_score) for g in grades
                 if g.cell.cell_type == "code"},
                [g.name for g in grades if g.needs_manual_grade],
                {c.name: c.comment for nb in sub.notebooks for c in nb.comments}, seconds[student],
                "FlaggedForReview" in "".join(
                    p.read_text() for p in (course / "autograded" / student / assignment).glob("*.ipynb"))))
    return out


def grade(assignment: str, out: Path) -> dict[str, Result]:
    """Release, submit once of each kind, autograde (one at a time, timed) and export one
    assignment; returns the grades by kind of submission."""
    course = out / assignment
    students = {"stub": "student-untouched", "solved": "student-solved", "wrong": "student-wrong",
                "cheat": "student-cheat", "tampered": "student-tampered"}
    release(assignment, course, {student: kind for kind, student in students.items()})
    seconds = autograde(course, assignment, list(students.values()))
    nbgrader(course, "export", "--to", str(course / "grades.csv"))
    return dict(zip(students, results(course, assignment, list(students.values()), seconds)))


# A class's hand-in, ten students at a time: seven solved, two with the wrong answer, one untouched.
CLASS_KINDS = ("solved", "solved", "wrong", "solved", "solved", "stub", "solved", "wrong", "solved", "solved")


def grade_class(assignment: str, out: Path, size: int, jobs: int) -> tuple[float, dict[str, str], list[Result]]:
    """Autograde a whole class's submissions of one assignment, ``jobs`` at a time, as the
    instructor would after the deadline; returns the wall seconds, each student's kind of
    submission and the grades."""
    course = out / f"{assignment}-class"
    kinds = {f"student-{i + 1:03d}": CLASS_KINDS[i % len(CLASS_KINDS)] for i in range(size)}
    release(assignment, course, kinds)
    start = time.perf_counter()
    seconds = autograde(course, assignment, list(kinds), jobs)
    wall = time.perf_counter() - start
    nbgrader(course, "export", "--to", str(course / "grades.csv"))
    return wall, kinds, results(course, assignment, list(kinds), seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*", default=list(ASSIGNMENTS))
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "grading")
    parser.add_argument("--class", dest="size", type=int, metavar="N",
                        help="time autograding a class of N submissions (per ten: 7 solved, 2 wrong, 1 "
                             "untouched) instead of one of each kind")
    parser.add_argument("--jobs", type=int, default=1, metavar="J",
                        help="with --class: J autograde processes at a time (default 1)")
    args = parser.parse_args(argv)
    for assignment in args.assignments:
        if assignment not in ASSIGNMENTS:
            parser.error(f"unknown assignment {assignment!r}; choose from {sorted(ASSIGNMENTS)}")
    if args.size is None and args.jobs != 1:
        parser.error("--jobs needs --class")
    if args.size is not None:
        if args.size < 1 or args.jobs < 1:
            parser.error("--class and --jobs take positive numbers")
        return class_report(args.assignments, args.out, args.size, args.jobs)
    for assignment in args.assignments:
        results = grade(assignment, args.out)
        print(f"{assignment}: nbgrader autograde, gradebook {args.out / assignment / 'gradebook.db'}")
        for r in results.values():
            auto = sum(s for s, _ in r.auto.values()), sum(m for _, m in r.auto.values())
            print(f"  {r.student:18s} auto-graded {auto[0]:g} / {auto[1]:g}   "
                  + "  ".join(f"{g} {s:g}/{m:g}" for g, (s, m) in r.auto.items())
                  + f"   manual: {', '.join(r.manual) or 'none'}"
                  + f"   {'FLAGGED  ' if r.flagged else ''}{r.seconds:.0f} s")
        with open(args.out / assignment / "grades.csv") as fh:
            rows = list(csv.DictReader(fh))
        print(f"  exported {len(rows)} rows to {args.out / assignment / 'grades.csv'}")
    return 0


def class_report(assignments: list[str], out: Path, size: int, jobs: int) -> int:
    """Print the time a class's autograde takes; 1 if any submission got other points than its kind
    should (solved: every auto point; wrong: fewer; untouched: none) or was flagged.

    The class is copies of the worked solutions, of the wrong answer and of the untouched notebook,
    graded with the shared warm cache: a best case. Real attempts with other settings train longer,
    up to the 900 s a cell may take."""
    failed = False
    for assignment in assignments:
        wall, kinds, graded = grade_class(assignment, out, size, jobs)
        by_kind: dict[str, list[Result]] = {}
        for r in graded:
            by_kind.setdefault(kinds[r.student], []).append(r)
        print(f"{assignment}: {size} submissions autograded {jobs} at a time "
              f"({_threads(jobs) or 'all'} CPU threads each) "
              f"in {wall:.0f} s, {wall / size:.1f} s per submission on average "
              f"(gradebook {out / f'{assignment}-class' / 'gradebook.db'})")
        for kind, rs in by_kind.items():
            auto = [sum(s for s, _ in r.auto.values()) for r in rs]
            top = sum(m for _, m in rs[0].auto.values())
            secs = [r.seconds for r in rs]
            print(f"  {kind:7s} x{len(rs):3d}: auto-graded {min(auto):g} to {max(auto):g} of {top:g}; "
                  f"each autograde took {min(secs):.0f} to {max(secs):.0f} s (mean {sum(secs) / len(secs):.0f} s)")
            ok = {"solved": lambda a, top=top: a == top, "wrong": lambda a, top=top: 0 < a < top,
                  "stub": lambda a: a == 0}[kind]
            wrong = [r.student for r, a in zip(rs, auto) if not ok(a) or r.flagged]
            if wrong:
                failed = True
                print(f"  error: {', '.join(wrong)} ({kind}) got other points than a {kind} submission "
                      "should, or was flagged")
    return int(failed)


if __name__ == "__main__":
    sys.exit(main())
