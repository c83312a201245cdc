import sys
from pathlib import Path

import matplotlib
import nbformat
import pytest
import torch

# The build scripts (scripts/export.py, scripts/homework.py) are tested as modules.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.fixture
def low_rank_data():
    """(500, 20) data near a 3-dimensional subspace, plus noise: PCA has a clear answer."""
    g = torch.Generator().manual_seed(0)
    basis = torch.linalg.qr(torch.randn(20, 3, generator=g)).Q
    codes = torch.randn(500, 3, generator=g) * torch.tensor([5.0, 3.0, 2.0])
    return codes @ basis.T + 0.05 * torch.randn(500, 20, generator=g) + 1.0


@pytest.fixture
def images():
    """(16, 1, 28, 28) random images in [0, 1]."""
    return torch.rand(16, 1, 28, 28, generator=torch.Generator().manual_seed(1))


# make notebooks runs build/nbval (tests/test_homework.py's solved student versions) with
# `pytest --nbval-lax -p conftest`: these hooks keep each code cell's outputs and, when the first
# exercise is reached, write the student version executed up to there to build/executed, which
# `make site` renders (so the site shows no solution, and no notebook runs a second time for it).
_outputs: dict[str, dict[int, list]] = {}
_written: set[str] = set()


def _nbval_cell(item):
    meta = getattr(getattr(item, "cell", None), "metadata", {}).get("course_nbval")
    notebook = getattr(getattr(item, "parent", None), "nb", None)
    return (meta, notebook) if meta is not None and notebook is not None else (None, None)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    meta, notebook = _nbval_cell(item)
    name = notebook.metadata["course_nbval"]["student"] if meta is not None else None
    if meta is not None and meta.get("snapshot"):
        _write_snapshot(notebook, _outputs.pop(name, {}))
        _written.add(name)
    yield
    if meta is not None and name not in _written and "student_cell" in meta:
        _outputs.setdefault(name, {})[meta["student_cell"]] = list(item.test_outputs or [])


def _write_snapshot(solved, outputs: dict[int, list]) -> None:
    """The student version (rebuilt from the solved one), its cells before the first exercise
    with their outputs, the rest unexecuted: what export.execute_until_first_exercise gives."""
    from export import EXECUTED  # scripts/export.py: the folder the site reads

    name = solved.metadata["course_nbval"]["student"]
    cells, count, before = [], 0, True
    for cell in solved.cells:
        meta = cell.metadata.get("course_nbval", {})
        if "student_cell" not in meta:
            continue  # a pasted-back solution or hidden test: not in the student version
        before = before and not meta.get("snapshot")
        cell = nbformat.from_dict({**cell, "source": meta.get("source", cell.source), "metadata": {
            k: v for k, v in cell.metadata.items() if k != "course_nbval"}})
        if cell.cell_type == "code" and before:
            count += 1  # one execute request per cell, from a fresh kernel: In [1], In [2], ...
            cell.outputs, cell.execution_count = outputs.get(meta["student_cell"], []), count
            for out in cell.outputs:
                if out.output_type == "execute_result":
                    out.execution_count = count
        cells.append(cell)
    student = nbformat.from_dict({**solved, "cells": cells, "metadata": {
        k: v for k, v in solved.metadata.items() if k != "course_nbval"}})
    EXECUTED.mkdir(parents=True, exist_ok=True)
    nbformat.write(student, EXECUTED / name)
