"""The course map of the site is read from the notebooks' first cells (scripts/export.py)."""

from pathlib import Path

import export
import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")) + sorted(
    (ROOT / "notebooks" / "assignments").glob("*.ipynb"))


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.stem)
def test_every_page_has_a_complete_course_map_row(path):
    info = export.summary(nbformat.read(path, as_version=4))
    assert info["title"] and not info["title"].startswith("#")
    assert len(info["objectives"]) >= 3
    assert info["lecture"].startswith(("Follows the slide", "Homework, 10 points. Builds on"))
    assert info["run_time"].startswith("about ") and "CPU cores" in info["run_time"]


def test_index_links_every_page_and_the_slides():
    entries = [(p.stem + ".html", export.summary(nbformat.read(p, as_version=4))) for p in PAGES]
    page = export.index_html(entries)
    for name, _ in entries:
        assert f'href="{name}"' in page
    assert 'href="slides/index.html"' in page and "http" not in page
    nav = export._nav([(n, i["title"]) for n, i in entries], 1)
    assert entries[0][0] in nav and entries[2][0] in nav and "index.html" in nav
