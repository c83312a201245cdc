"""Static checks of the committed notebooks (`make notebooks` executes them separately)."""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = [p for folder in ("notebooks", "slides") for p in sorted((ROOT / folder).glob("**/*.ipynb"))
             if ".ipynb_checkpoints" not in p.parts]  # JupyterLab's autosave copies are not ours
COURSE = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _load(path):
    return json.loads(path.read_text(encoding="utf-8"))


def test_there_are_notebooks():
    assert [p.name for p in COURSE][:1] == ["01_pca_linear_autoencoder.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs(path):
    for i, cell in enumerate(_load(path)["cells"]):
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [], f"{path.name} cell {i} has stored outputs"
            assert cell["execution_count"] is None, f"{path.name} cell {i} has an execution count"


@pytest.mark.parametrize("path", COURSE, ids=lambda p: p.name)
def test_notebook_shape(path):
    cells = _load(path)["cells"]
    markdown = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    code = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    for heading in ("**Learning objectives.**", "## Summary", "## Exercises", "## References",
                    "What can go wrong"):
        assert heading in markdown, f"{path.name} lacks {heading!r}"
    assert "seed_everything" in code[0], "the first code cell is the setup cell"
    assert any("assert " in c for c in code), "a notebook checks its key result with an assert"
    assert any("report(" in c for c in code), "a notebook reports its key numbers for make bench"


@pytest.mark.parametrize("path", COURSE, ids=lambda p: p.name)
def test_exercises_have_solutions_and_checks(path):
    cells = _load(path)["cells"]
    solutions = [c for c in cells if c["metadata"].get("nbgrader", {}).get("solution")]
    graded = [c for c in cells if c["metadata"].get("nbgrader", {}).get("grade")]
    assert len(solutions) >= 3 and len(graded) >= 3
    for c in solutions:
        src = "".join(c["source"])
        assert "### BEGIN SOLUTION" in src and "### END SOLUTION" in src
    for c in graded:
        assert "checks.check_" in "".join(c["source"]), "checks give feedback, not a bare assert"
    ids = [c["metadata"]["nbgrader"]["grade_id"] for c in solutions + graded]
    assert len(ids) == len(set(ids)), "nbgrader grade_ids must be unique"


ASSIGNMENTS = sorted((ROOT / "notebooks" / "assignments").glob("*.ipynb"))


def test_there_are_four_assignments():
    assert len(ASSIGNMENTS) == 4


@pytest.mark.parametrize("path", ASSIGNMENTS, ids=lambda p: p.name)
def test_assignment_points_add_up_and_every_task_is_checked_or_written(path):
    cells = _load(path)["cells"]
    meta = [c["metadata"].get("nbgrader", {}) for c in cells]
    intro = "".join(cells[0]["source"])
    stated = int(re.search(r"\*\*Points:\*\* (\d+)", intro).group(1))
    assert sum(m.get("points", 0) for m in meta if m.get("grade")) == stated
    written = [c for c, m in zip(cells, meta) if m.get("grade") and m.get("solution")]
    assert written and all(c["cell_type"] == "markdown" for c in written), "a written question"
    auto = [c for c, m in zip(cells, meta) if m.get("grade") and not m.get("solution")]
    assert len(auto) >= 2 and all("checks.check_" in "".join(c["source"]) for c in auto)
    assert "seed_everything" in "".join(cells[1]["source"]), "the first code cell is the setup cell"
