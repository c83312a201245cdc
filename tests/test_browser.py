"""The course in a real browser: JupyterLab, the exported slides and the course book (`make browser`).

Drives Debian's Chromium (/usr/bin/chromium) through playwright. Needs `make site` first (the
slides and book tests open build/site/) and, to be quick, a warm checkpoint cache. Screenshots go
to build/screenshots/. Every request to a host other than 127.0.0.1 is blocked and counted: the
pages must render offline. axe-core (from npm, like the other web assets) checks the WCAG 2.0 and
2.1 A and AA rules on every page of the book and every slide of the deck.
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


@contextlib.contextmanager
def _lab(tmp_path, plugin_settings: dict[str, str], files: dict[str, list[Path]]):
    """JupyterLab on a free 127.0.0.1 port, random token, temporary settings (no autosave, every
    cell in the DOM, and ``plugin_settings``), serving copies of ``files`` ({folder: paths});
    always shut down."""
    port, token = free_port(), secrets.token_hex(16)
    settings = tmp_path / "settings"
    for plugin, values in {  # the news prompt is off through the course's overrides
            # (jupyterlab-settings/overrides.json), tested below
            "docmanager-extension/plugin": '{"autosave": false}',
            "notebook-extension/tracker": '{"windowingMode": "none"}', **plugin_settings}.items():
        folder, name = plugin.split("/")
        (settings / "@jupyterlab" / folder).mkdir(parents=True, exist_ok=True)
        (settings / "@jupyterlab" / folder / f"{name}.jupyterlab-settings").write_text(values)
    work = tmp_path / "course"  # a copy: running a notebook must not touch the committed one
    for folder, paths in files.items():
        (work / folder).mkdir(parents=True, exist_ok=True)
        for path in paths:
            shutil.copy(path, work / folder)
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


@pytest.fixture
def jupyter_lab(tmp_path):
    """JupyterLab serving copies of notebook 01 and the deck."""
    with _lab(tmp_path, {}, {"notebooks": [ROOT / "notebooks" / "01_pca_linear_autoencoder.ipynb"],
                             "slides": [DECK]}) as server:
        yield server


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
        # 300 s: once (stop 28) 150 s ran out in the training cell while another notebook run
        # competed for the two cores
        deadline, clicked = time.time() + 300, 0
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
            pytest.fail(f"not every cell ran within 300 s: {prompts.all_inner_texts()}")
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


# ------------------------------------------------------------------------------------- book

WEB = Path(os.environ.get("COURSE_WEB_ASSETS") or Path(sys.prefix) / "share" / "course-web")
AXE = WEB / "axe.min.js"  # axe-core from npm (scripts/fetch-web-assets.sh), injected, not published
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
GENERIC_ALT = "No description has been provided for this image"


def _axe(page) -> list[str]:
    """axe-core's WCAG 2.0/2.1 A and AA violations on the page as it is now, one line each."""
    if not page.evaluate("() => typeof axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    found = page.evaluate("""async tags => (await axe.run(document, {runOnly: {type: 'tag', values: tags}}))
        .violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}))""", WCAG)
    return [f"{v['id']} ({v['impact']}, {len(v['nodes'])} elements, e.g. {v['nodes'][:2]})" for v in found]


def _course_pages() -> list[Path]:
    """The notebooks and assignments in course order, as the book's sidebar lists them."""
    sys.path.insert(0, str(ROOT / "scripts"))
    import homework

    return [p.relative_to(ROOT) for p in homework.sources()]


def _book_config() -> dict:
    import yaml

    return yaml.safe_load((ROOT / "build" / "book" / "_config.yml").read_text())


def _machine_paths() -> list[str]:
    from course_utils import config

    return [str(p) for p in (ROOT, config.data_dir(), config.cache_dir(), Path.home(),
                             config.shared_cache_dir()) if p is not None and len(str(p)) > 1]


@pytest.fixture(scope="module")
def book_pages(browser, site_server):
    """The pages the book's sidebar links, in its order (the course map first)."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `make setup` (scripts/fetch-web-assets.sh)")
    with opened(browser) as tab:
        tab.page.goto(f"{site_server}/index.html")
        hrefs = tab.page.eval_on_selector_all(
            "nav.bd-docs-nav a.reference.internal", "els => els.map(e => e.getAttribute('href'))")
    return ["index.html"] + [h.split("#")[0] for h in hrefs if h.split("#")[0] not in ("", "index.html")]


def test_book_sidebar_lists_the_course_in_order_and_the_deck(book_pages):
    assert book_pages == (["index.html"] + [p.with_suffix(".html").as_posix() for p in _course_pages()]
                          + ["slides.html"])


def _launch_links(page, site_server, href, path):
    """The page's launch menu: the class's hub through nbgitpuller, Binder, the student notebook."""
    from urllib.parse import parse_qs

    config = _book_config()
    repo_url, branch = config["repository"]["url"], config["repository"]["branch"]
    hub = config["launch_buttons"]["jupyterhub_url"].rstrip("/")
    links = page.eval_on_selector_all(".dropdown-launch-buttons a, .dropdown-download-buttons a",
                                      "els => els.map(e => e.href)")
    pull = [u for u in links if "/git-pull?" in u]
    assert len(pull) == 1 and pull[0].startswith(f"{hub}/hub/user-redirect/git-pull?"), links
    query = {k: v[0] for k, v in parse_qs(urlparse(pull[0]).query).items()}
    assert query == {"repo": repo_url, "branch": branch,
                     "urlpath": f"lab/tree/{repo_url.rstrip('/').split('/')[-1]}/{path.as_posix()}"}
    assert (ROOT / path).exists()  # nbgitpuller clones the repository: the page's notebook is in it
    owner_repo = "/".join(urlparse(repo_url).path.strip("/").split("/")[:2])
    assert f"https://mybinder.org/v2/gh/{owner_repo}/{branch}?urlpath=lab/tree/{path.as_posix()}" in links
    download = [u for u in links if u.startswith(site_server) and u.endswith(".ipynb")]
    assert download == [f"{site_server}/_sources/{path.as_posix()}"], links
    served = json.loads(urllib.request.urlopen(download[0]).read())
    student = json.loads((ROOT / "build" / "homework" / path.name).read_text())
    assert served == student, f"{href}: the download is not the student version"
    code = "".join("".join(c["source"]) for c in served["cells"])
    assert "BEGIN SOLUTION" not in code and "raise NotImplementedError" in code
    assert not any(c.get("outputs") for c in served["cells"])


def test_every_book_page_is_accessible_complete_and_offline(browser, site_server, book_pages):
    """axe-core (WCAG 2.0/2.1 A and AA) finds nothing on any page, light and dark; every figure
    has a description of its own; every notebook page has its launch links, its contents and its
    neighbours; no page shows this machine's folders; nothing leaves the machine."""
    problems, described = [], 0
    course = [p.with_suffix(".html").as_posix() for p in _course_pages()]
    with opened(browser) as tab:
        page = tab.page
        for href in book_pages + ["search.html", "genindex.html"]:
            page.goto(f"{site_server}/{href}")
            page.wait_for_load_state("load")
            page.wait_for_timeout(300)  # MathJax typesets after load
            # The colours the theme ends with, not those half way through its fade (which axe
            # reported now and then on a loaded machine, and never on a rerun).
            page.add_style_tag(content="*, *::before, *::after { transition: none !important; }")
            for theme in ("light", "dark"):
                page.evaluate("t => document.documentElement.dataset.theme = t", theme)
                page.wait_for_timeout(300)
                problems += [f"{href} ({theme}): {v}" for v in _axe(page)]
            figures = page.eval_on_selector_all(".bd-article img", """els => els.map(e =>
                [e.complete && e.naturalWidth > 0, e.getAttribute('alt') || '', e.getAttribute('src').slice(0, 60)])""")
            for ok, alt, src in figures:
                if not ok:
                    problems.append(f"{href}: image {src} did not load")
                if not alt.strip() or alt == GENERIC_ALT or alt.endswith((".png", ".svg")):
                    problems.append(f"{href}: figure {src} has no description of its own (alt={alt!r})")
                else:
                    described += 1
            # The page as published (the live DOM also holds the axe script playwright injected,
            # whose sourceURL is this machine's path to it).
            html_text = (SITE / href.split("#")[0]).read_text(encoding="utf-8")
            problems += [f"{href} shows the machine path {p}" for p in _machine_paths() if p in html_text]
            for target in page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))"):
                if target.startswith(("#", "http:", "https:", "mailto:")):
                    continue
                if not (SITE / Path(href).parent / target.split("#")[0].split("?")[0]).exists():
                    problems.append(f"{href}: broken link {target}")
            if href in course:
                i = course.index(href)
                if not figures:
                    problems.append(f"{href} has no figures")
                _launch_links(page, site_server, href, _course_pages()[i])
                contents = page.locator("#pst-page-toc-nav a").count()
                if contents < 2:
                    problems.append(f"{href}: the page's contents list {contents} sections")
                nxt = page.eval_on_selector_all("a.right-next", "els => els.map(e => e.href)")
                want = course[i + 1] if i + 1 < len(course) else "slides.html"
                if nxt != [f"{site_server}/{want}"]:
                    problems.append(f"{href}: the next page is {nxt}, not {want}")
            if href.startswith("notebooks/01_"):
                page.evaluate("() => document.documentElement.dataset.theme = 'light'")
                page.screenshot(path=SHOTS / "book-notebook-01.png")
                page.evaluate("() => document.documentElement.dataset.theme = 'dark'")
                page.screenshot(path=SHOTS / "book-dark.png")
            if href == "index.html":
                page.screenshot(path=SHOTS / "book-index.png")
        tab.assert_offline_and_clean("the book")
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:40])
    print(f"{described} figures described on {len(book_pages)} pages")


def _search_term(path: Path, others: list[Path]) -> str:
    """A word of the notebook's text that the fewest other pages contain (full text, not a title)."""
    def words(p):  # the page's own text: the student version the book was built from
        cells = json.loads((ROOT / "build" / "book" / p).read_text())["cells"]
        text = " ".join("".join(c["source"]) for c in cells[1:] if c["cell_type"] == "markdown")
        return set(re.findall(r"\b[a-z]{9,}\b", text))
    mine, theirs = words(path), [words(o) for o in others if o != path]
    return min(sorted(mine), key=lambda w: sum(w in t for t in theirs))


def test_search_finds_every_notebook_with_the_keyboard(browser, site_server):
    """Ctrl+K opens the search box on any page; typing a word from a notebook's text and Enter
    lists that notebook (Sphinx's index, read from disk: no server, no network)."""
    pages, missed = _course_pages(), []
    with opened(browser) as tab:
        page = tab.page
        for i, path in enumerate(pages):
            term = _search_term(path, pages)
            page.goto(f"{site_server}/index.html")
            page.keyboard.press("Control+k")
            box = page.locator("#pst-search-dialog input[name='q']")
            box.wait_for(state="visible", timeout=10_000)
            assert page.evaluate("() => document.activeElement.name") == "q", "Ctrl+K does not focus the search box"
            page.keyboard.type(term)
            page.keyboard.press("Enter")
            page.wait_for_url(re.compile(r"search\.html\?q="), timeout=10_000)
            page.locator("#search-results .search-summary, #search-results p").first.wait_for(timeout=30_000)
            found = page.eval_on_selector_all("#search-results li a", "els => els.map(e => e.getAttribute('href'))")
            if not any(path.with_suffix(".html").as_posix() in (h or "") for h in found):
                missed.append(f"{term!r} ({path.name}): {found[:5]}")
            if i == 0:
                page.screenshot(path=SHOTS / "book-search.png")
        tab.assert_offline_and_clean("the search")
    assert not missed, "search misses notebooks:\n" + "\n".join(missed)


def _tab_to(page, wanted, limit: int = 80) -> dict:
    """Press Tab until the focused element matches ``wanted`` (a predicate on its label and
    href); every element on the way must be visible."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        info = page.evaluate("""() => { const e = document.activeElement, r = e.getBoundingClientRect();
            return {label: e.getAttribute('aria-label') || e.textContent.trim().slice(0, 60),
                    href: e.getAttribute('href'), visible: r.width > 0 && r.height > 0}; }""")
        assert info["visible"], f"focus went to an invisible element: {info}"
        if wanted(info):
            return info
        seen.append(info["label"])
    pytest.fail(f"Tab never reached the element wanted; it went through {seen}")


def test_the_book_works_from_the_keyboard(browser, site_server):
    """Tab reaches the skip link first, the sidebar (Enter on the next notebook goes there) and the
    launch menu (Enter opens it); the arrow key goes to the next page."""
    pages = [p.with_suffix(".html").as_posix() for p in _course_pages()]
    with opened(browser) as tab:
        page = tab.page
        page.goto(f"{site_server}/{pages[0]}")
        page.keyboard.press("Tab")
        first = page.evaluate("() => document.activeElement.textContent.trim()")
        assert "Skip to main content" in first, f"the first Tab stop is {first!r}"
        _tab_to(page, lambda e: e["label"] == "Launch interactive content")
        page.keyboard.press("Enter")
        page.locator(".dropdown-launch-buttons .dropdown-menu.show").wait_for(timeout=5_000)
        page.keyboard.press("ArrowDown")  # Bootstrap's menu: the arrow keys move through the links
        assert "Binder" in page.evaluate("() => document.activeElement.textContent")
        page.screenshot(path=SHOTS / "book-launch-menu.png")
        page.keyboard.press("Escape")
        page.goto(f"{site_server}/{pages[0]}")
        _tab_to(page, lambda e: (e["href"] or "").endswith(Path(pages[1]).name))
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(re.escape(pages[1]) + "$"), timeout=10_000)
        page.locator("body").press("ArrowRight")  # navigation_with_keys: the next page
        page.wait_for_url(re.compile(re.escape(pages[2]) + "$"), timeout=10_000)
        tab.assert_offline_and_clean("keyboard navigation")


def test_exported_deck_is_accessible_on_every_slide(browser, site_server):
    with opened(browser) as tab:
        page = tab.page
        page.goto(f"{site_server}/slides/index.html")
        page.locator(".reveal.ready").wait_for(timeout=30_000)
        problems = []
        for i in range(_deck_slides()):
            if i:
                page.keyboard.press("ArrowRight")
                page.wait_for_timeout(700)
            problems += [f"slide {i + 1}: {v}" for v in _axe(page)]
        alts = page.eval_on_selector_all(".reveal img", "els => els.map(e => e.getAttribute('alt') || '')")
        problems += [f"a figure has no description of its own (alt={a!r})" for a in alts
                     if not a.strip() or a == GENERIC_ALT]
        tab.assert_offline_and_clean("the deck")
    assert not problems, "\n".join(problems[:30])


def test_figures_stay_legible_in_jupyterlab_dark_theme(browser, tmp_path):
    """Notebook 01 as executed for the site, opened in JupyterLab's dark theme: its figures have
    opaque backgrounds (every pixel of every PNG fully opaque), so the axes stay readable."""
    import base64
    import io

    from PIL import Image

    executed = ROOT / "build" / "executed" / "01_pca_linear_autoencoder.ipynb"
    if not executed.exists():
        pytest.fail(f"{executed} is missing: run `make notebooks` (or `make site`) first")
    pngs = [o["data"]["image/png"] for c in json.loads(executed.read_text())["cells"]
            for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert pngs, "notebook 01 shows no figures"
    for data in pngs:
        image = Image.open(io.BytesIO(base64.b64decode(data)))
        assert image.mode == "RGB" or image.getchannel("A").getextrema()[0] == 255, \
            "a figure has a transparent background: it disappears on a dark theme"
    with _lab(tmp_path, {"apputils-extension/themes": '{"theme": "JupyterLab Dark"}'},
              {"notebooks": [executed]}) as (url, token), opened(browser) as tab:
        page = tab.page
        page.goto(f"{url}/lab/tree/notebooks/{executed.name}?token={token}")
        page.locator(".jp-OutputArea-output img").first.wait_for(timeout=60_000)
        assert page.evaluate("() => document.body.dataset.jpThemeLight") == "false", "not the dark theme"
        image = page.locator(".jp-OutputArea-output img").nth(min(2, len(pngs) - 1))
        image.scroll_into_view_if_needed()
        page.wait_for_timeout(1000)
        page.screenshot(path=SHOTS / "jupyterlab-dark-notebook-01.png")
        assert not tab.external, f"JupyterLab tried to reach the network: {tab.external[:5]}"
