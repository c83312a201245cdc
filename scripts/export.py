"""Export the lecture deck to static HTML, and build the course book; both render offline.

Usage: python scripts/export.py slides [--no-execute] [--out build/slides]
       python scripts/export.py site [--out build/site]

slides: nbconvert, the Jupyter project's own exporter, writes the deck with reveal.js to
OUT/index.html. The deck is executed headless (its demos load the notebooks' models from the
checkpoint cache; an error in any cell fails the command, which is how `make notebooks` tests the
deck); the executed deck is kept in build/executed/ for the site.

site: the course book, built by Jupyter Book 1 (Sphinx, sphinx-book-theme, MyST-NB) from book/:
the course map (OUT/index.html), one page per notebook and assignment in course order with a
sidebar, the page's contents, previous / next, full-text search, light and dark themes, launch
buttons (the class's JupyterHub through nbgitpuller, Binder) and a download of the notebook as
students receive it; the deck under OUT/slides/. The pages show the *student* versions (generated
by nbgrader, as `make homework` does: no worked solutions on a public site), executed up to the
first exercise; Jupyter Book executes nothing: the copies in build/executed/ newer than their
source notebook are reused (`make notebooks` saves them; a missing one is executed here). Folders
of the build machine printed in outputs are replaced by the course's names for them.

Every script the pages need (reveal.js, require.js, jQuery, MathJax 2 and 3) is copied from the
local copy that `make setup` fetched (scripts/fetch-web-assets.sh): no CDN.
"""

from __future__ import annotations

import argparse
import html
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import homework  # scripts/homework.py, next to this file
import nbformat
from nbclient import NotebookClient
from nbconvert import SlidesExporter
from nbconvert.preprocessors import ExecutePreprocessor
from traitlets.config import Config

ROOT = Path(__file__).resolve().parent.parent
DECK = ROOT / "slides" / "autoencoders_lecture.ipynb"
TEMPLATES = ROOT / "scripts" / "templates"
BOOK = ROOT / "book"
EXECUTED = ROOT / "build" / "executed"
WEB = Path(os.environ.get("COURSE_WEB_ASSETS") or Path(sys.prefix) / "share" / "course-web")
VENDOR = {  # what the pages load, relative to the page
    "jquery_url": "vendor/jquery.min.js",
    "require_js_url": "vendor/require.js",
    "mathjax_url": "vendor/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe",
}


def copy_vendor(out: Path) -> None:
    if not (WEB / ".complete").exists():
        raise SystemExit(f"error: the local copy of reveal.js and MathJax is missing ({WEB}); "
                         "run `make setup` (it fetches them once with npm)")
    shutil.copytree(WEB, out / "vendor", dirs_exist_ok=True)


def _config(exporter: str, prefix: str = "") -> Config:
    config = Config()
    config.TemplateExporter.extra_template_basedirs = [str(TEMPLATES)]
    for name, value in VENDOR.items():
        setattr(config[exporter], name, prefix + value)
    return config


def executed_copy(source: Path, execute, reuse: bool = True) -> nbformat.NotebookNode:
    """``execute()``'s notebook, kept in build/executed/ under ``source``'s name; with ``reuse``,
    a copy newer than ``source`` is read instead of executing again."""
    done = EXECUTED / source.name
    if reuse and done.exists() and done.stat().st_mtime > source.stat().st_mtime:
        return nbformat.read(done, as_version=4)
    nb = execute()
    EXECUTED.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, done)
    return nb


def _execute_deck() -> nbformat.NotebookNode:
    nb = nbformat.read(DECK, as_version=4)
    os.environ.setdefault("COURSE_HEADLESS", "1")
    ExecutePreprocessor(timeout=1200, kernel_name="python3").preprocess(
        nb, {"metadata": {"path": str(DECK.parent)}})
    return nb


def deck_notebook(execute: str = "fresh") -> nbformat.NotebookNode:
    """The deck: executed now ("fresh"; the copy in build/executed/ is updated), the executed copy
    if it is newer than the deck ("reuse", else executed now), or as it is on disk ("no")."""
    if execute not in ("fresh", "reuse", "no"):
        raise ValueError(f'execute must be "fresh", "reuse" or "no", not {execute!r}')
    if execute == "no":
        return nbformat.read(DECK, as_version=4)
    return executed_copy(DECK, _execute_deck, reuse=execute == "reuse")


def slides_html(execute: str = "fresh") -> str:
    """The deck as one HTML page (scripts referenced under vendor/)."""
    nb = deck_notebook(execute)
    config = _config("SlidesExporter")
    config.SlidesExporter.reveal_url_prefix = "vendor/reveal.js"
    config.SlidesExporter.reveal_scroll = True
    config.SlidesExporter.reveal_theme = "white"  # "simple", the default, loads Google Fonts
    # Code colours with a contrast of at least 4.5:1 (WCAG 1.4.3), from accessible-pygments; the
    # default style's comments (#408080) and numbers (#008800) reach only 4.2 on the cells' grey.
    config.CSSHTMLHeaderPreprocessor.style = "a11y-high-contrast-light"
    exporter = SlidesExporter(config=config, template_name="course_reveal")
    return exporter.from_notebook_node(nb)[0]


def export_slides(out: Path, execute: str = "fresh") -> Path:
    out.mkdir(parents=True, exist_ok=True)
    copy_vendor(out)
    page = out / "index.html"
    page.write_text(slides_html(execute=execute), encoding="utf-8")
    return page


# ------------------------------------------------------------------------------------- site


def execute_until_first_exercise(nb: nbformat.NotebookNode, path: Path) -> nbformat.NotebookNode:
    """Run the cells before the first exercise solution cell, as a student opening it would."""
    os.environ.setdefault("COURSE_HEADLESS", "1")
    client = NotebookClient(nb, timeout=1200, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    with client.setup_kernel():
        for i, cell in enumerate(nb.cells):
            if cell.metadata.get("nbgrader", {}).get("solution"):
                break
            if cell.cell_type == "code":
                client.execute_cell(cell, i)
    return nb


def executed_student_version(source: Path, student: Path) -> nbformat.NotebookNode:
    """The student version of ``source`` executed up to its first exercise (cached in build/executed;
    the student version is a function of ``source``, so the copy is fresh if newer than it)."""
    return executed_copy(source, lambda: execute_until_first_exercise(
        nbformat.read(student, as_version=4), source))


def summary(nb: nbformat.NotebookNode) -> dict[str, str | list[str]]:
    """Title, lecture topic, learning objectives and run time from a notebook's first cell.

    Assignments have no objectives list: their exercise headings stand in, and their points and
    the notebooks they build on stand in for the lecture topic.
    """
    text = nb.cells[0].source
    title = text.splitlines()[0].lstrip("# ").strip()
    if "**Learning objectives.**" in text:
        objectives = re.findall(r"^- (.+(?:\n  .+)*)", text.split("**Learning objectives.**")[-1], re.M)
        lecture = re.search(r"\*\*Lecture\.\*\* (.+?)(?=\*\*Run time|\n\n|$)", text, re.S)
        topic = lecture.group(1) if lecture else ""
    else:
        objectives = [c.source.splitlines()[0].lstrip("# ") for c in nb.cells
                      if c.cell_type == "markdown" and c.source.startswith("## Exercise")]
        points = re.search(r"\*\*Points:\*\* (\d+)", text)
        builds = re.search(r"(Builds on notebooks? \d+(?: and \d+)*)", text)
        topic = "Homework" + (f", {points.group(1)} points" if points else "") + \
            (f". {builds.group(1).strip()}." if builds else "")
    run_time = re.search(r"\*\*Run time:\*\* (.+?\.)(?:\s|$)", text, re.S)
    return {"title": title, "objectives": [" ".join(o.split()) for o in objectives],
            "lecture": " ".join(topic.split()),
            "run_time": " ".join(run_time.group(1).split()) if run_time else ""}


def _markdown_inline(text: str) -> str:
    text = html.escape(text)
    text = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)
    text = re.sub(r"\*(.+?)\*", r"<i>\1</i>", text)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", text)


def index_html(entries: list[tuple[str, dict]]) -> str:
    """The course map: one row per page (``entries``: its address and :func:`summary`)."""
    rows = []
    for page, info in entries:
        objectives = "".join(f"<li>{_markdown_inline(o)}</li>" for o in info["objectives"])
        rows.append(f'<tr><td><a href="{page}">{html.escape(info["title"])}</a></td>'
                    f'<td>{_markdown_inline(info["lecture"])}</td><td><ul>{objectives}</ul></td>'
                    f'<td>{_markdown_inline(info["run_time"])}</td></tr>')
    return ('<table class="course-map"><thead><tr><th scope="col">Notebook</th>'
            '<th scope="col">Lecture topic</th><th scope="col">Learning objectives</th>'
            '<th scope="col">Run time (2 CPU cores)</th></tr></thead>\n<tbody>'
            + "\n".join(rows) + "</tbody></table>\n")


INTRO = """# Autoencoders: a Jupyter course (PH451/PH551)

The companion notebooks to the lecture on representation learning with autoencoders. Read them
here, with their figures, or open one where it runs: the rocket button at the top of each page
starts it on the class's JupyterHub or on Binder, and the download button gives you the
notebook as students receive it (the exercises are stubs; the worked solutions are for
instructors). Search the whole course with the search box (or Ctrl+K).

<p><a href="slides/index.html">The lecture slides</a> (reveal.js; arrow keys to navigate).</p>

"""

DECK_PAGE = """# Lecture slides

<p><a href="slides/index.html">Open the lecture deck</a>: the slides of the lecture, each with
its live demo and a pointer to its notebook (reveal.js; arrow keys or space to move on, Esc for
an overview of all slides).</p>

To present it live with the demos running, open `slides/autoencoders_lecture.ipynb` in
JupyterLab and press Alt+R (RISE).
"""


def machine_paths() -> dict[str, str]:
    """This machine's folders that outputs may print, longest first, and what a page says instead."""
    from course_utils import config

    paths = {str(config.data_dir()): "data", str(config.cache_dir()): ".cache",
             str(ROOT): ".", str(Path.home()): "~"}
    if config.shared_cache_dir():
        paths[str(config.shared_cache_dir())] = "<the class's shared cache>"
    return dict(sorted(((k, v) for k, v in paths.items() if len(k) > 1), key=lambda kv: -len(kv[0])))


def without_machine_paths(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """``nb`` with the build machine's folders in its outputs replaced by the course's names for
    them (notebook 01 prints where its data is read from): a public page shows no build details."""
    paths = machine_paths()
    pattern = re.compile("|".join(re.escape(p) for p in paths))

    def clean(value):
        if isinstance(value, str):
            return pattern.sub(lambda m: paths[m.group(0)], value)
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if "text" in output:
                output["text"] = clean(output["text"])
            if "traceback" in output:
                output["traceback"] = clean(output["traceback"])
            for mime in ("text/plain", "text/html", "text/markdown"):
                if mime in output.get("data", {}):
                    output["data"][mime] = clean(output["data"][mime])
    return nb


def book_sources(out: Path, sources: list[Path], students: Path) -> Path:
    """The book's source folder ``out``: book/'s configuration (with the instructor's settings from
    the environment), the table of contents in course order, the course map, the deck's page and
    every page as its executed student version, at the path it has in the repository."""
    import yaml

    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(BOOK, out)
    config = yaml.safe_load((BOOK / "_config.yml").read_text())
    for variable, (section, key) in {"COURSE_REPOSITORY_URL": ("repository", "url"),
                                     "COURSE_REPOSITORY_BRANCH": ("repository", "branch"),
                                     "COURSE_HUB_URL": ("launch_buttons", "jupyterhub_url")}.items():
        if os.environ.get(variable):
            config[section][key] = os.environ[variable]
    (out / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    pages, entries = [], []
    for source in sources:
        page = source.relative_to(ROOT)
        nb = without_machine_paths(executed_student_version(source, students / source.name))
        (out / page).parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, out / page)
        pages.append(page)
        entries.append((page.with_suffix(".html").as_posix(), summary(nb)))
    (out / "index.md").write_text(INTRO + "## Course map\n\n" + index_html(entries))
    (out / "slides.md").write_text(DECK_PAGE)
    chapters = lambda ps: [{"file": p.with_suffix("").as_posix()} for p in ps]  # noqa: E731
    toc = {"format": "jb-book", "root": "index", "parts": [
        {"caption": "Notebooks", "chapters": chapters(p for p in pages if p.parent.name != "assignments")},
        {"caption": "Assignments", "chapters": chapters(p for p in pages if p.parent.name == "assignments")},
        {"caption": "Lecture", "chapters": [{"file": "slides"}]}]}
    (out / "_toc.yml").write_text(yaml.safe_dump(toc, sort_keys=False))
    return out


def export_site(out: Path) -> list[Path]:
    """The course book in ``out`` (index.html: the course map), the deck in ``out``/slides."""
    students = ROOT / "build" / "homework"
    sources = homework.sources()
    if not all((students / s.name).exists() and (students / s.name).stat().st_mtime > s.stat().st_mtime
               for s in sources):
        homework.generate(students)
    if not (WEB / ".complete-2").exists():
        raise SystemExit(f"error: the local copy of MathJax 3 and axe-core is missing ({WEB}); "
                         "run `make setup` (it fetches them once with npm)")
    src = book_sources(ROOT / "build" / "book", sources, students)
    built = ROOT / "build" / "book-html"
    shutil.rmtree(built, ignore_errors=True)
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    subprocess.run([str(jupyter_book), "build", str(src), "--path-output", str(built),
                    "--builder", "html", "--keep-going", "--warningiserror", "--quiet"], check=True)
    shutil.rmtree(out, ignore_errors=True)
    shutil.move(built / "_build" / "html", out)
    shutil.rmtree(built)
    # After the build: Jupyter Book would add a script tag for every .js file under _static/.
    shutil.copytree(WEB / "mathjax3", out / "_static" / "vendor" / "mathjax3")
    for source in sources:  # the download button serves what students receive: no outputs
        shutil.copy(students / source.name, out / "_sources" / source.relative_to(ROOT))
    written = [out / source.relative_to(ROOT).with_suffix(".html") for source in sources]
    written.append(export_slides(out / "slides", execute="reuse"))
    written.append(out / "index.html")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["slides", "site"])
    parser.add_argument("--out", type=Path)
    parser.add_argument("--no-execute", action="store_true", help="slides: export without running")
    args = parser.parse_args(argv)
    if args.what == "slides":
        page = export_slides(args.out or ROOT / "build" / "slides",
                             execute="no" if args.no_execute else "fresh")
        print(f"wrote {page}")
    else:
        written = export_site(args.out or ROOT / "build" / "site")
        print(f"wrote {len(written)} pages; open {written[-1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
