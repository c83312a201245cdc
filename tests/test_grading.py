"""Grading as an instructor grades: nbgrader's generate_assignment, autograde and export with a
gradebook database, on three submissions per assignment (scripts/grade.py). Slow (about 5
minutes for the four assignments, warm cache, two at a time): `make grade-test`, part of `make test`.
"""

import re

import grade
import nbformat
import pytest


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
    assert auto and written and sum(auto.values()) + sum(written.values()) == 10
    results = grade.grade(assignment, tmp_path)

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
    assert (tmp_path / assignment / "grades.csv").read_text().count(assignment) == 3


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
