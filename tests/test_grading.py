"""Grading as an instructor grades: nbgrader's generate_assignment, autograde and export with a
gradebook database, on five submissions per assignment (scripts/grade.py): untouched, solved, one
wrong answer, one that patches the checks (CHEAT) and one with tampered check cells. Slow (about
8 minutes for the four assignments, warm cache, two at a time): `make grade-test`, part of `make
test`. The flagging rules of hub/course_autograde.py are also tested alone, in `make unit`.
"""

import re
import sys
from pathlib import Path

import grade
import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "hub"))
import course_autograde  # noqa: E402


def _points(path):
    """{grade id: points} of the auto-graded (code) and written (markdown) cells."""
    nb = nbformat.read(path, as_version=4)
    auto, written = {}, {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            (auto if cell.cell_type == "code" else written)[meta["grade_id"]] = meta["points"]
    return auto, written


@pytest.mark.grading
@pytest.mark.parametrize("assignment", sorted(grade.ASSIGNMENTS))
def test_autograde_gives_the_points_a_person_would(assignment, tmp_path):
    auto, written = _points(grade.ASSIGNMENTS[assignment])
    header = nbformat.read(grade.ASSIGNMENTS[assignment], as_version=4).cells[0].source
    stated = int(re.search(r"\*\*Points:\*\* (\d+)", header).group(1))
    assert auto and written and sum(auto.values()) + sum(written.values()) == stated
    results = grade.grade(assignment, tmp_path)
    for kind, r in results.items():      # shown with -rP: points and autograde seconds
        print(f"{assignment} {kind}: {r.score:g}/{r.max_score:g} auto {r.auto} manual {r.manual} "
              f"flagged {r.flagged} {r.seconds:.1f} s")

    solved = results["solved"]
    assert solved.auto == {g: (p, p) for g, p in auto.items()}, "every auto-graded point"
    assert sorted(solved.manual) == sorted(written), "written answers wait for a person"

    source = nbformat.read(grade.ASSIGNMENTS[assignment], as_version=4)
    rubrics = {c.metadata["nbgrader"]["grade_id"]: grade.rubric(c.source) for c in source.cells
               if c.metadata.get("nbgrader", {}).get("grade_id") in written}
    assert all(text and "A good answer" in text for text in rubrics.values()), rubrics
    assert {g: solved.comments[g] for g in written} == rubrics, "an answer gets its rubric as comment"

    stub = results["stub"]
    assert all(score == 0 for score, _ in stub.auto.values()), stub.auto
    assert stub.score == 0 and not stub.manual, "an unchanged answer gets 0 without a person"
    assert {stub.comments[g] for g in written} == {"No response."}, "unchanged: nbgrader's comment"

    wrong = results["wrong"]
    wrong_check = grade.WRONG[assignment][0].rsplit("-", 1)[0] + "-check"
    assert wrong.auto[wrong_check][0] == 0, "the wrong exercise loses its points"
    assert {g: s for g, (s, _) in wrong.auto.items() if g != wrong_check} == \
        {g: p for g, p in auto.items() if g != wrong_check}, "... and only those"
    assert sorted(wrong.manual) == sorted(written)
    assert not any(results[k].flagged for k in ("solved", "stub", "wrong")), "honest work is not flagged"

    cheat = results["cheat"]
    assert cheat.flagged, "patched checks are flagged for a person"
    assert cheat.auto == {g: (0, p) for g, p in auto.items()}, "... and earn no points"

    tampered = results["tampered"]
    assert tampered.auto == {g: (0, p) for g, p in auto.items()}, \
        "deleted, edited and renamed check cells are put back and run; the points are the source's"
    assert tampered.manual == [], "no check cell is left waiting for a person (the unchanged written " \
        "answer gets 0 without one, as in the untouched submission)"
    assert tampered.max_score == stated
    assert (tmp_path / assignment / "grades.csv").read_text().count(assignment) == len(results)


@pytest.mark.parametrize("assignment", sorted(grade.ASSIGNMENTS))
def test_the_worked_solutions_are_not_flagged(assignment):
    source = nbformat.read(grade.ASSIGNMENTS[assignment], as_version=4)
    given = course_autograde.given_names(source)
    assert {"checks", "torch"} <= given
    for cell in source.cells:
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution"):
            assert course_autograde.findings(cell.source, given) == [], cell.source[:200]


@pytest.mark.parametrize("code", [
    grade.CHEAT,
    "import course_utils.checks as c\nc.check_auroc_value = print",
    "torch.equal = lambda a, b: True",
    "from torch import nn\nnn.Module.__call__ = None",
    "f = checks.check_auroc_value\nf.__code__ = (lambda *a: None).__code__",
    "class Yes(float):\n    def __eq__(self, other):\n        return True",
    "auroc = type('Yes', (float,), {'__eq__': lambda s, o: True})(0.5)",
    "TARGET_MSE = 1.0",
    "x_test[:] = 0",
    "x_test = x_test[:10]",
    "x_test.mul_(0)",
    "torch.nn.init.zeros_(x_test)",
    "import sys\nsys.modules['course_utils.checks'] = None",
    "setattr(checks, 'check_auroc_value', print)",
    "vars(checks)['check_auroc_value'] = print",
    "exec('checks.check_auroc_value = print')",
    "%run cheat.py",
    "!sed -i s/assert/pass/ course_utils/checks.py",
    "import torch.library",
    "torch.load('answer.pt', weights_only=False)",
    "from unittest import mock",
])
def test_code_that_could_fool_a_check_is_flagged(code):
    given = course_autograde.given_names(nbformat.read(grade.ASSIGNMENTS["a1"], as_version=4))
    assert course_autograde.findings(code, given), code


@pytest.mark.parametrize("assignment", sorted(grade.ASSIGNMENTS))
def test_every_written_answer_has_a_rubric_inside_its_solution(assignment):
    """Inside the solution region, generate_assignment clears it with the model answer; its points
    add up to the cell's."""
    _, written = _points(grade.ASSIGNMENTS[assignment])
    cells = {c.metadata["nbgrader"]["grade_id"]: c.source
             for c in nbformat.read(grade.ASSIGNMENTS[assignment], as_version=4).cells
             if c.metadata.get("nbgrader", {}).get("grade_id") in written}
    for grade_id, source in cells.items():
        text = grade.rubric(source)
        assert text, f"{grade_id}: no rubric"
        assert sum(int(n) for n in re.findall(r"\((\d+) points?\)", text)) == written[grade_id]
        marks = ["### BEGIN SOLUTION", *grade.MARK_SCHEME, "### END SOLUTION"]
        assert [source.index(m) for m in marks] == sorted(source.index(m) for m in marks)
