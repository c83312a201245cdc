"""The course book's parts that need no build: the course map read from the notebooks' first
cells, the scrubbing of machine paths, and the figure descriptions (scripts/export.py,
course_utils.plot). The built book itself is tested in Chromium (tests/test_browser.py)."""

import re
from pathlib import Path

import export
import matplotlib.pyplot as plt
import nbformat
import pytest
import torch
from IPython.core.formatters import DisplayFormatter
from IPython.core.pylabtools import print_figure

from course_utils import config, plot
from course_utils.train import History

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")) + sorted(
    (ROOT / "notebooks" / "assignments").glob("*.ipynb"))
GENERIC = "No description has been provided for this image"


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.stem)
def test_every_page_has_a_complete_course_map_row(path):
    info = export.summary(nbformat.read(path, as_version=4))
    assert info["title"] and not info["title"].startswith("#")
    assert len(info["objectives"]) >= 3
    assert info["lecture"].startswith("Follows the slide") or re.match(r"Homework, \d+ points\. Builds on", info["lecture"])
    assert info["run_time"].startswith("about ") and "CPU cores" in info["run_time"]


def test_course_map_links_every_page():
    entries = [(p.relative_to(ROOT).with_suffix(".html").as_posix(),
                export.summary(nbformat.read(p, as_version=4))) for p in PAGES]
    table = export.index_html(entries)
    for name, info in entries:
        assert f'href="{name}"' in table and info["title"].split(":")[0] in table
    assert "http" not in table and 'href="slides/index.html"' in export.INTRO


def test_machine_paths_are_replaced_in_outputs(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "somewhere" / "data"))
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(outputs=[
        nbformat.v4.new_output("stream", text=f"device: cpu, data from: {config.data_dir()}\n"),
        nbformat.v4.new_output("execute_result", data={"text/plain": f"PosixPath('{export.ROOT}/x')"}),
        nbformat.v4.new_output("error", ename="E", evalue="", traceback=[f"File {Path.home()}/y.py"])])])
    cleaned = nbformat.writes(export.without_machine_paths(nb))
    for path in (tmp_path, export.ROOT, Path.home()):
        assert str(path) not in cleaned
    assert "data from: data" in cleaned and "PosixPath('./x')" in cleaned and "~/y.py" in cleaned


def test_the_course_style_is_colour_blind_safe_and_opaque():
    config.seed_everything(0)  # every notebook's setup call sets it
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    assert [c.upper() for c in colours] == plot.OKABE_ITO
    assert plt.rcParams["image.cmap"] == "viridis" and not plt.rcParams["savefig.transparent"]
    assert plt.rcParams["figure.facecolor"] == "white"


def test_helpers_describe_what_they_draw(images):
    grid = plot.image_grid(images[:10], ncols=5, suptitle="ten digits")
    assert plot.describe(grid) == "ten digits: a grid of 10 images in 2 rows of up to 5."
    rows = plot.describe(plot.reconstruction_rows({"original": images[:4], "k = 8": images[:4]}))
    assert rows.startswith("2 rows of 4 images each") and rows.endswith("original, k = 8.")
    h = History(train_loss=[0.5, 0.2], val_loss=[0.6, 0.25])
    curves = plot.describe(plot.loss_curves({"AE": h}))
    assert "training solid and validation dashed" in curves and "AE 0.25" in curves
    seqs = plot.describe(plot.sequence_rows({"input": torch.rand(3, 40, 1), "GRU": torch.rand(3, 40, 1)}, n=2))
    assert seqs.startswith("2 panels") and "input solid" in seqs


def test_a_figure_drawn_by_hand_is_described_from_its_labels():
    fig, (left, right) = plt.subplots(1, 2)
    left.plot([1, 2, 3], [3, 2, 1], label="PCA")
    left.plot([1, 2, 3], [2, 1, 0.5], label="AE")
    left.set(xlabel="latent size k", ylabel="test MSE", yscale="log", title="error")
    left.legend()
    right.hist(torch.rand(100).numpy(), bins=10)
    right.set_xlabel("score")
    fig.suptitle("PCA against the AE")
    assert plot.describe(fig) == (
        "Figure: PCA against the AE. Panel 1: error: 2 lines of test MSE against latent size k, "
        "logarithmic y axis; legend: PCA, AE. Panel 2: a histogram (score).")
    plot.set_alt(fig, "  PCA's error   falls with k. ")
    assert plot.describe(fig) == "PCA's error falls with k."
    with pytest.raises(ValueError, match="non-empty"):
        plot.set_alt(fig, " ")
    with pytest.raises(TypeError, match="matplotlib Figure"):
        plot.describe(left)


def test_a_figure_shown_in_a_notebook_carries_its_description(monkeypatch):
    """The description goes into the PNG's display metadata, where nbconvert and the book read the
    image's alt text; it survives the inline backend registering its PNG formatter afterwards (at
    the first figure), and without the style it is missing (nbconvert then writes its generic text)."""
    class Shell:
        display_formatter = DisplayFormatter()

    shell = Shell()
    png = shell.display_formatter.formatters["image/png"]
    monkeypatch.setattr("IPython.get_ipython", lambda: shell)
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    ax.set(xlabel="epoch", ylabel="loss")
    png.for_type(plt.Figure, lambda fig: print_figure(fig, "png", base64=True))
    assert shell.display_formatter.format(fig)[1] == {}
    plot.use_course_style()
    plot.use_course_style()  # twice: still one description
    png.for_type(plt.Figure, lambda fig: print_figure(fig, "png", base64=True))  # the backend, later
    data, metadata = shell.display_formatter.format(fig)
    assert data["image/png"] and metadata == {"image/png": {"alt": "Figure. 1 line of loss against epoch."}}
