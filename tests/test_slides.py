"""The lecture deck: structure, coverage of the lecture, and the static reveal.js export."""

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import export
import pytest

ROOT = Path(__file__).resolve().parent.parent
DECK = ROOT / "slides" / "autoencoders_lecture.ipynb"
# The lecture's points, in the lecture's order (issue 5).
LECTURE = ["Representation learning", "bottleneck", "Rumelhart", "latent representation",
           "dimensionality reduction", "feature detection", "anomaly detection", "generative",
           "PCA is a linear autoencoder", "binary cross-entropy", "Convolutional autoencoders",
           "Recurrent autoencoders", "Denoising autoencoders", "add noise, recover the original",
           "Kingma & Welling 2013", "sampling the latent space", "The VAE loss", "D_{KL}",
           "null class", "tail of the null class", "a good place to find real anomalies"]


def _cells():
    return json.loads(DECK.read_text(encoding="utf-8"))["cells"]


def _slides():
    """[(heading cell, [cells on that slide])] in order; skipped cells dropped."""
    slides = []
    for cell in _cells():
        kind = cell["metadata"].get("slideshow", {}).get("slide_type", "-")
        if kind == "skip":
            continue
        if kind == "slide":
            slides.append((cell, []))
        else:
            assert slides, "the first shown cell must start a slide"
            slides[-1][1].append(cell)
    return slides


def test_every_slide_starts_with_a_heading_and_topic_slides_have_a_demo_and_a_pointer():
    slides = _slides()
    assert len(slides) >= 12
    for head, rest in slides[1:-1]:  # between the title and the summary
        title = "".join(head["source"]).splitlines()[0]
        assert title.startswith("## "), title
        assert any(c["cell_type"] == "code" for c in rest), f"{title}: no live demo"
        pointer = "".join("".join(c["source"]) for c in rest if c["cell_type"] == "markdown")
        assert re.search(r"Notebooks? 0[1-8]", pointer), f"{title}: no pointer to a notebook"


def test_the_deck_covers_the_lecture_in_order():
    text = "\n".join("".join(c["source"]) for c in _cells() if c["cell_type"] == "markdown").lower()
    position = 0
    for point in LECTURE:
        assert point.lower() in text, f"the deck never mentions {point!r}"
        found = text.find(point.lower(), position)
        assert found >= 0, f"{point!r} comes too early: the deck should follow the lecture's order"
        position = found


def test_demos_load_the_notebooks_models_from_the_cache():
    """Each cached model in the deck is one a notebook trains, so `make warm` covers the deck."""
    notebooks = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "notebooks").glob("0*.ipynb"))
    code = "\n".join("".join(c["source"]) for c in _cells() if c["cell_type"] == "code")
    names = re.findall(r'cache\.fit_or_load\(\s*"([^"]+)"', code)
    assert len(names) >= 8
    for name in names:
        assert f'fit_or_load(\\"{name}\\"' in notebooks or f'fit_or_load("{name}"' in notebooks, name


class _Sections(HTMLParser):
    """Top-level reveal.js slides: <section> elements directly under <div class="slides">."""

    def __init__(self):
        super().__init__()
        self.depth, self.in_slides, self.slides = 0, False, []

    def handle_starttag(self, tag, attrs):
        if tag == "div" and ("class", "slides") in attrs:
            self.in_slides = True
        if self.in_slides and tag == "section":
            self.depth += 1
            if self.depth == 1:
                self.slides.append("")

    def handle_endtag(self, tag):
        if self.in_slides and tag == "section":
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.slides[-1] += data


def test_export_has_one_slide_per_heading_no_empty_slide_and_no_cdn():
    html = export.slides_html(execute="no")
    parser = _Sections()
    parser.feed(html)
    assert len(parser.slides) == len(_slides())
    for i, text in enumerate(parser.slides):
        assert text.strip(), f"slide {i + 1} is empty"
    scripts = re.findall(r'<script[^>]+src="([^"]+)"', html)
    assert scripts and not [s for s in scripts if s.startswith(("http:", "https:", "//"))], scripts
    assert "vendor/reveal.js/dist/reveal.js" in html and "vendor/mathjax/MathJax.js" in html


@pytest.mark.parametrize("needed", ["reveal.js/dist/reveal.js", "reveal.js/dist/theme/white.css",
                                    "reveal.js/plugin/notes/notes.js", "require.js", "jquery.min.js",
                                    "mathjax/MathJax.js", "mathjax/config/TeX-AMS_CHTML-full.js",
                                    "mathjax/config/Safe.js"])
def test_the_local_web_assets_are_complete(needed):
    assert (export.WEB / needed).is_file(), f"run make setup: {export.WEB / needed} is missing"


def test_demo_code_is_short_enough_to_read_from_the_back_of_a_lecture_hall():
    """Shown code cells: at most 8 lines of at most 64 characters (RISE's slide width at a
    readable font size); model loading lives in the hidden setup cell."""
    for head, rest in _slides():
        title = "".join(head["source"]).splitlines()[0]
        for cell in rest:
            if cell["cell_type"] == "code":
                lines = "".join(cell["source"]).splitlines()
                assert len(lines) <= 8, f"{title}: a demo of {len(lines)} lines"
                long = [line for line in lines if len(line) > 64]
                assert not long, f"{title}: lines run off the slide: {long}"
