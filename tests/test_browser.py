"""The course in a real browser: JupyterLab, the exported slides and the site (`make browser`).

Drives Debian's Chromium (/usr/bin/chromium) through playwright. Needs `make site` first (the
slides and site tests open build/site/) and, to be quick, a warm checkpoint cache. Screenshots go
to build/screenshots/. Every request to a host other than 127.0.0.1 is blocked and counted: the
pages must render offline.
"""

import contextlib
import functools
import http.server
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest
from servers import free_port, wait_until_up

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "build" / "site"
SHOTS = ROOT / "build" / "screenshots"
DECK = ROOT / "slides" / "autoencoders_lecture.ipynb"
CHROMIUM = os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (it installs Debian's chromium)")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


class Page:
    """A page that records console errors, page errors and blocked off-machine requests."""

    def __init__(self, browser):
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.errors, self.external = [], []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

        def route(r):
            if urlparse(r.request.url).hostname in ("127.0.0.1", "localhost", None, ""):
                return r.continue_()
            self.external.append(r.request.url)
            return r.abort()

        self.page.route("**/*", route)

    def close(self):
        self.context.close()

    def assert_offline_and_clean(self, what: str) -> None:
        assert not self.external, f"{what} tried to reach the network: {self.external[:5]}"
        assert not self.errors, f"console errors in {what}: {self.errors[:5]}"


@contextlib.contextmanager
def opened(browser):
    tab = Page(browser)
    try:
        yield tab
    finally:
        tab.close()


@pytest.fixture(scope="module")
def site_server():
    if not (SITE / "index.html").exists():
        pytest.fail("build/site is missing: run `make site` first (make browser does)")
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


# ------------------------------------------------------------------------------- JupyterLab


@pytest.fixture
def jupyter_lab(tmp_path):
    """JupyterLab on a free 127.0.0.1 port, random token, temporary settings, serving a copy of
    notebook 01 and the deck; always shut down."""
    port, token = free_port(), secrets.token_hex(16)
    settings = tmp_path / "settings"
    for plugin, values in {  # no autosave, every cell in the DOM (no windowing); the news
            # prompt is off through the course's overrides (jupyterlab-settings/overrides.json), tested below
            "docmanager-extension/plugin": '{"autosave": false}',
            "notebook-extension/tracker": '{"windowingMode": "none"}'}.items():
        folder, name = plugin.split("/")
        (settings / "@jupyterlab" / folder).mkdir(parents=True, exist_ok=True)
        (settings / "@jupyterlab" / folder / f"{name}.jupyterlab-settings").write_text(values)
    work = tmp_path / "course"  # a copy: running the notebook must not touch the committed one
    for folder, name in [("notebooks", "01_pca_linear_autoencoder.ipynb"), ("slides", DECK.name)]:
        (work / folder).mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / folder / name, work / folder)
    env = {k: v for k, v in os.environ.items() if k != "COURSE_HEADLESS"}  # real widgets
    env["JUPYTER_CONFIG_DIR"] = str(tmp_path / "config")
    log = open(tmp_path / "lab.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={work}", "--allow-root",
         f"--LabApp.user_settings_dir={settings}", f"--LabApp.workspaces_dir={tmp_path / 'ws'}"],
        stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{url}/api/status?token={token}", proc, tmp_path / "lab.log", "jupyter lab")
        yield url, token
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def _figure_src(page) -> str:
    return page.locator(".widget-output img, .jupyter-widgets-output-area img").first.get_attribute("src") or ""


def test_jupyterlab_runs_notebook_01_and_the_k_slider_redraws(browser, jupyter_lab):
    url, token = jupyter_lab
    with opened(browser) as tab:
        page = tab.page
        page.goto(f"{url}/lab/tree/notebooks/01_pca_linear_autoencoder.ipynb?token={token}")
        page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=60_000)
        page.get_by_text(re.compile(r"\| Idle$")).wait_for(timeout=60_000)  # kernel connected
        with urllib.request.urlopen(f"{url}/lab/api/settings/@jupyterlab/apputils-extension:"
                                    f"notification?token={token}") as response:
            schema = json.load(response)["schema"]["properties"]
        assert schema["fetchNews"]["default"] == "false" and not schema["checkForUpdates"]["default"], \
            "the course's JupyterLab overrides are not installed (make setup)"
        assert page.get_by_text("official Jupyter news").count() == 0, "the news prompt interrupts"
        prompts = page.locator(".jp-CodeCell .jp-InputArea-prompt")
        n_code = prompts.count()
        deadline, clicked = time.time() + 150, 0
        while time.time() < deadline:
            texts = [t.strip() for t in prompts.all_inner_texts()]
            if len(texts) == n_code and all(re.fullmatch(r"\[\d+\]:", t) for t in texts):
                break
            if clicked < 3 and all(t in ("[ ]:", "") for t in texts):  # not started (yet): Run All
                page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
                page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
                clicked += 1
                time.sleep(5)
            time.sleep(1)
        else:
            page.screenshot(path=SHOTS / "jupyterlab-timeout.png")
            pytest.fail(f"not every cell ran within 150 s: {prompts.all_inner_texts()}")
        outputs = "\n".join(page.locator(".jp-OutputArea-output").all_inner_texts())
        assert "Traceback (most recent call last)" not in outputs, outputs[-3000:]
        page.screenshot(path=SHOTS / "jupyterlab-notebook-01.png")

        slider = page.locator(".widget-slider").first
        slider.scroll_into_view_if_needed()
        page.locator(".widget-output img, .jupyter-widgets-output-area img").first.wait_for(timeout=30_000)
        before = _figure_src(page)
        handle = slider.locator(".noUi-handle")
        handle.focus()
        for _ in range(8):
            handle.press("ArrowRight")
        deadline = time.time() + 30
        while time.time() < deadline and _figure_src(page) == before:
            time.sleep(0.25)
        page.get_by_text(re.compile(r"\| Idle$")).wait_for(timeout=30_000)  # every redraw done
        page.wait_for_timeout(500)
        slider.screenshot(path=SHOTS / "jupyterlab-k-slider.png")
        page.screenshot(path=SHOTS / "jupyterlab-slider-moved.png")
        assert _figure_src(page) != before, "moving the k slider did not redraw the figure"


# ----------------------------------------------------------------------------------- slides

# Where the text of the slide on screen lies, in CSS pixels: every text node's boxes (code lines
# too, so a code line that runs off its editor counts even where the editor clips it), except
# prompts and MathJax's invisible copy of each formula for screen readers.
_TEXT_EXTENT = """() => {
  const present = document.querySelectorAll('.reveal .slides section.present');
  const slide = present[present.length - 1];
  const walker = document.createTreeWalker(slide, NodeFilter.SHOW_TEXT), range = document.createRange();
  let left = Infinity, right = -Infinity, text = '';
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!node.textContent.trim() || node.parentElement.closest('.jp-InputPrompt, .MJX_Assistive_MathML')) continue;
    range.selectNodeContents(node);
    for (const box of range.getClientRects()) {
      if (box.width === 0) continue;
      left = Math.min(left, box.left);
      if (box.right > right) { right = box.right; text = node.textContent.trim().slice(0, 50); }
    }
  }
  const heading = slide.querySelector('h1, h2');
  return {heading: heading ? heading.textContent.replace('\u00b6', '') : '', left, right, text,
          width: document.documentElement.clientWidth};
}"""


def _deck_slides() -> int:
    """How many slides the deck has (cells that start a slide)."""
    cells = json.loads(DECK.read_text())["cells"]
    return sum(c["metadata"].get("slideshow", {}).get("slide_type") == "slide" for c in cells)


def _slides_off_screen(page, n_slides: int, shots: str) -> list[str]:
    """Step through a reveal.js deck with the arrow key; the slides whose text leaves the screen."""
    off = []
    for i in range(n_slides):
        if i:
            page.keyboard.press("ArrowRight")
            page.wait_for_timeout(1000)  # the slide transition
        where = page.evaluate(_TEXT_EXTENT)
        if where["left"] < 0 or where["right"] > where["width"]:
            off.append(f"{where['heading']!r}: text from x = {where['left']:.0f} to {where['right']:.0f} "
                       f"on a {where['width']}-pixel screen (widest: {where['text']!r})")
        if i < 2:
            page.screenshot(path=SHOTS / f"{shots}-{i + 1}.png")
    return off


def test_the_deck_presented_with_rise_fits_the_screen_offline(browser, jupyter_lab):
    """The lecturer presents the deck live with RISE (Alt+R in JupyterLab opens the /rise/ page
    below in a panel, then full screen), on a laptop and on a 1024 x 768 projector: no slide's
    text, prose or demo code, may run off the screen, and nothing may come from the network.
    (With the slide size fixed at 90 % in the deck's metadata, reveal.js scaled every slide past
    both edges; RISE's default theme loaded Google Fonts.)"""
    url, token = jupyter_lab
    n_slides = _deck_slides()
    off = []
    for width, height in [(1280, 800), (1024, 768)]:
        with opened(browser) as tab:
            page = tab.page
            page.set_viewport_size({"width": width, "height": height})
            page.goto(f"{url}/rise/slides/{DECK.name}?token={token}")
            page.locator(".reveal .slides section.present").first.wait_for(timeout=60_000)
            page.wait_for_timeout(2000)  # RISE lays the cells out after reveal.js starts
            off += _slides_off_screen(page, n_slides, f"rise-{width}")
            assert not tab.external, f"RISE tried to reach the network: {tab.external[:5]}"
    assert not off, "slides run off the screen under RISE:\n" + "\n".join(off)


def test_exported_slides_navigate_without_errors(browser, site_server):
    with opened(browser) as tab:
        page = tab.page
        page.goto(f"{site_server}/slides/index.html")
        page.locator(".reveal.ready").wait_for(timeout=30_000)  # reveal.js is loaded by require.js
        total = page.locator(".reveal .slides > section").count()
        assert total == _deck_slides()
        first = page.locator(".reveal .slides > section.present").inner_text()
        page.screenshot(path=SHOTS / "slides-1.png")
        page.keyboard.press("ArrowRight")
        page.locator(".reveal .slides > section:nth-child(2).present").wait_for(timeout=10_000)
        second = page.locator(".reveal .slides > section.present").inner_text()
        assert second != first and second.strip()
        for _ in range(2):
            page.keyboard.press("ArrowRight")
        page.wait_for_timeout(800)
        page.screenshot(path=SHOTS / "slides-4.png")
        images = page.locator(".reveal .slides > section.present img")
        assert images.count() >= 1, "a demo slide shows its figure"
        page.set_viewport_size({"width": 1024, "height": 768})  # a lecture-hall projector
        page.goto(f"{site_server}/slides/index.html#/0")
        page.wait_for_timeout(1000)
        off = _slides_off_screen(page, total, "slides-1024")
        assert not off, "exported slides run off a 1024-pixel screen:\n" + "\n".join(off)
        tab.assert_offline_and_clean("the deck")


# ------------------------------------------------------------------------------------- site


def test_site_pages_have_loaded_figures_and_no_broken_links(browser, site_server):
    with opened(browser) as tab:
        page = tab.page
        page.goto(f"{site_server}/index.html")
        page.screenshot(path=SHOTS / "site-index.png", full_page=True)
        links = [a for a in page.eval_on_selector_all("table a", "els => els.map(e => e.getAttribute('href'))")]
        assert len(links) >= 10, links
        for href in links:
            page.goto(f"{site_server}/{href}")
            page.wait_for_load_state("load")
            images = page.eval_on_selector_all(
                "img", "els => els.map(e => [e.complete && e.naturalWidth > 0, e.getAttribute('src').slice(0, 40)])")
            assert images, f"{href} has no figures"
            assert all(ok for ok, _ in images), f"{href}: images that did not load: {images}"
            for target in page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))"):
                if target.startswith(("#", "http:", "https:", "mailto:")):
                    continue
                assert (SITE / Path(href).parent / target.split("#")[0]).exists(), f"{href}: broken link {target}"
            if href.startswith("01_"):
                page.screenshot(path=SHOTS / "site-notebook-01.png")
        tab.assert_offline_and_clean("the site")

