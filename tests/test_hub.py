"""The course's JupyterHub for a class, in a real browser, offline (`make hub-test`, as root).

One instructor and two students, real local accounts (hub/setup_class.py), the hub of
hub/jupyterhub_config.py on 127.0.0.1, Debian's Chromium through playwright:
1. the instructor logs in and releases a1 (nbgrader's command line, as the instructor);
2. each student logs in and fetches a1 from the Assignments tab; one pastes the worked solutions
   into the exercise cells (saved as JupyterLab saves, through the contents API), the other
   leaves the notebook untouched; both submit from the Assignments tab;
3. the instructor collects and autogrades; the gradebook holds every auto-graded point for the
   first student and none for the second;
4. a student cannot reach another student's server or files, nor the instructor's course folder.
Screenshots of each step go to build/screenshots/hub-*.png.
5. a student follows the course book's JupyterHub launch link (nbgitpuller) and lands in the
   notebook, with the course cloned into their home.
Another test tries, as real local students and without the browser, the attacks on nbgrader's
exchange folder that the course's setup must stop (hub/setup_class.py, hub/course_exchange.py).
"""

import datetime
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

import grade
import nbformat
import pytest
from nbgrader.utils import parse_utc
from servers import free_port, wait_until_up

from course_utils import config, jets

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "build" / "screenshots"
CHROMIUM = os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium")
INSTRUCTOR, STUDENTS = "ph451-instructor", ["ph451-student1", "ph451-student2"]
THIRD = "ph451-student3"            # a third student, for the exchange attacks only
ASSIGNMENT = "a1"
NOTEBOOK = grade.ASSIGNMENTS[ASSIGNMENT].name

pytestmark = pytest.mark.hub


def _remove_accounts() -> None:
    for name in [INSTRUCTOR, *STUDENTS, THIRD]:
        subprocess.run(["pkill", "-u", name], capture_output=True)
        subprocess.run(["userdel", "--remove", name], capture_output=True)


def _as_user(name: str, command: str, env: dict) -> subprocess.CompletedProcess:
    """Run ``command`` in bash as the local account ``name``, with the hub's environment."""
    home = f"/home/{name}"
    user_env = [f"{k}={v}" for k, v in {
        "HOME": home, "USER": name, "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "JUPYTER_CONFIG_PATH": str(ROOT / "hub"), "COURSE_HEADLESS": "1",
        "COURSE_HUB_EXCHANGE": env["COURSE_HUB_EXCHANGE"],
        "COURSE_DATA_DIR": str(ROOT / "data"),
        "COURSE_CACHE_DIR": f"{home}/.cache/ph451-autoencoders",
        "COURSE_SHARED_CACHE_DIR": str(config.cache_dir())}.items()]
    return subprocess.run(["runuser", "-u", name, "--", "env", "-i", *user_env, "bash", "-c",
                           f"cd ~ && {command}"], capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def hub():
    if os.geteuid() != 0:
        pytest.skip("the hub test creates local accounts: run it as root (make hub-test)")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (it installs Debian's chromium)")
    _remove_accounts()
    state = Path(tempfile.mkdtemp(prefix="course-hub-"))
    sys.path.insert(0, str(ROOT / "hub"))
    import setup_class

    setup_class.setup(state, [INSTRUCTOR, *STUDENTS])
    env = {**os.environ, "COURSE_HUB_STATE": str(state), "COURSE_HUB_EXCHANGE": str(state / "exchange"),
           "COURSE_HUB_USERS": " ".join([INSTRUCTOR, *STUDENTS]),
           "COURSE_HUB_PORT": str(free_port()), "COURSE_HUB_API_PORT": str(free_port()),
           "COURSE_HUB_PROXY_PORT": str(free_port()),
           "COURSE_HUB_PASSWORD": secrets.token_urlsafe(12),
           "COURSE_HUB_ADMIN_PASSWORD": secrets.token_urlsafe(32)}
    log = open(state / "hub.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", str(ROOT / "hub" / "jupyterhub_config.py")],
                            cwd=state, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{env['COURSE_HUB_PORT']}"
    try:
        wait_until_up(f"{url}/hub/api", proc, state / "hub.log", "jupyterhub")
        yield url, env, state
    finally:
        os.killpg(proc.pid, signal.SIGTERM)            # the hub stops every server and the proxy
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
        if os.environ.get("COURSE_KEEP_HUB_LOG"):
            shutil.copy(state / "hub.log", SHOTS / "hub.log")
        _remove_accounts()
        shutil.rmtree(state, ignore_errors=True)


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


def _offline(page) -> list:
    """Block every request to another host; returns the list of blocked URLs."""
    blocked = []

    def route(r):
        if r.request.url.startswith("http://127.0.0.1:"):
            return r.continue_()
        blocked.append(r.request.url)
        return r.abort()

    page.route("**/*", route)
    return blocked


def _log_in(browser, url: str, name: str, password: str):
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    blocked = _offline(page)
    page.goto(f"{url}/hub/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", password)
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_url(re.compile(rf".*/user/{name}/lab.*"), timeout=120_000)
    page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").wait_for(timeout=60_000)
    return context, page, blocked


def _assignments_tab(page) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").click()
    page.locator(".lm-Menu-itemLabel", has_text="Assignment List").click()
    page.locator("#released_assignments_list").wait_for(timeout=30_000)


def _api(page, url: str, name: str, path: str, method: str = "GET", body=None):
    """A request to a user's Jupyter server with this browser's session, as the lab makes it."""
    xsrf = next((c["value"] for c in page.context.cookies() if c["name"] == "_xsrf"), "")
    return page.request.fetch(f"{url}/user/{name}/api/contents/{path}", method=method,
                              headers={"X-XSRFToken": xsrf, "Content-Type": "application/json"},
                              data=json.dumps(body) if body is not None else None)


def test_a_class_releases_fetches_submits_and_is_graded(hub, browser):
    url, env, state = hub
    pages = {}

    # 1. The instructor logs in (the lab with its Nbgrader menu) and releases a1.
    context, page, blocked = _log_in(browser, url, INSTRUCTOR, env["COURSE_HUB_ADMIN_PASSWORD"])
    pages[INSTRUCTOR] = (context, page, blocked)
    page.screenshot(path=SHOTS / "hub-1-instructor-lab.png")
    students = " && ".join(f"nbgrader db student add {s}" for s in STUDENTS)
    released = _as_user(INSTRUCTOR, f"cd course && {students} && nbgrader generate_assignment "
                        f"{ASSIGNMENT} && nbgrader release_assignment {ASSIGNMENT}", env)
    assert released.returncode == 0, released.stdout + released.stderr
    assert "Released as: ph451-autoencoders a1" in released.stderr + released.stdout

    # 2. Each student logs in and fetches a1 from the Assignments tab.
    for student in STUDENTS:
        context, page, blocked = _log_in(browser, url, student, env["COURSE_HUB_PASSWORD"])
        pages[student] = (context, page, blocked)
        _assignments_tab(page)
        row = page.locator("#released_assignments_list .list_item", has_text=ASSIGNMENT)
        row.locator("button", has_text="Fetch").click()
        page.locator("#fetched_assignments_list .list_item", has_text=ASSIGNMENT).first.wait_for(timeout=60_000)
        page.screenshot(path=SHOTS / f"hub-2-{student}-fetched.png")
        listing = _api(page, url, student, ASSIGNMENT)
        assert listing.status == 200 and NOTEBOOK in listing.text(), listing.text()[:500]

    # ... the first pastes the worked solutions into the exercise cells and saves; both submit.
    first = pages[STUDENTS[0]][1]
    fetched = _api(first, url, STUDENTS[0], f"{ASSIGNMENT}/{NOTEBOOK}").json()["content"]
    solved = grade.submission(fetched, nbformat.read(grade.ASSIGNMENTS[ASSIGNMENT], as_version=4),
                              "solved", ASSIGNMENT)
    saved = _api(first, url, STUDENTS[0], f"{ASSIGNMENT}/{NOTEBOOK}", "PUT",
                 {"type": "notebook", "format": "json", "content": solved})
    assert saved.status == 200, saved.text()[:500]
    for student in STUDENTS:
        page = pages[student][1]
        page.reload()
        page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").wait_for(timeout=60_000)
        _assignments_tab(page)
        page.locator("#fetched_assignments_list .list_item", has_text=ASSIGNMENT).first.wait_for(timeout=30_000)
        page.locator("#fetched_assignments_list button", has_text="Submit").first.click()
        page.locator("#submitted_assignments_list .list_item", has_text=ASSIGNMENT).first.wait_for(timeout=60_000)
        page.screenshot(path=SHOTS / f"hub-3-{student}-submitted.png")

    # 3. The instructor collects and autogrades; the gradebook has the points.
    graded = _as_user(INSTRUCTOR, f"cd course && nbgrader collect {ASSIGNMENT} && "
                      f"nbgrader autograde {ASSIGNMENT} && nbgrader export --to grades.csv", env)
    assert graded.returncode == 0, graded.stdout[-3000:] + graded.stderr[-3000:]
    auto_points = {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"]["points"]
                   for c in nbformat.read(grade.ASSIGNMENTS[ASSIGNMENT], as_version=4).cells
                   if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"}
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:////home/{INSTRUCTOR}/course/gradebook.db",
                   course_id="ph451-autoencoders") as gb:
        scores = {s: {g.name: g.score for nb in gb.find_submission(ASSIGNMENT, s).notebooks
                      for g in nb.grades if g.name in auto_points} for s in STUDENTS}
    assert scores[STUDENTS[0]] == auto_points, "the solved submission gets every auto-graded point"
    assert set(scores[STUDENTS[1]].values()) == {0}, "the untouched submission gets none"
    page = pages[INSTRUCTOR][1]
    page.goto(f"{url}/user/{INSTRUCTOR}/formgrader/manage_submissions/{ASSIGNMENT}")
    page.get_by_text(STUDENTS[0]).first.wait_for(timeout=60_000)
    page.screenshot(path=SHOTS / "hub-4-instructor-gradebook.png")
    text = page.locator("body").inner_text()
    assert str(float(sum(auto_points.values()))) in text or str(sum(auto_points.values())) in text

    # 4. A student cannot reach another student's files or the instructor's course folder.
    page = pages[STUDENTS[0]][1]
    other = page.request.get(f"{url}/user/{STUDENTS[1]}/api/contents/{ASSIGNMENT}", max_redirects=0)
    assert other.status in (302, 403, 404), f"{other.status}: another student's server answered"
    up = _api(page, url, STUDENTS[0], f"..%2F{INSTRUCTOR}%2Fcourse")
    assert up.status in (403, 404), f"{up.status}: the student's server left its home"
    for path in (f"/home/{STUDENTS[1]}/{ASSIGNMENT}/{NOTEBOOK}", f"/home/{INSTRUCTOR}/course/source/{ASSIGNMENT}/{NOTEBOOK}"):
        peek = _as_user(STUDENTS[0], f"cat {path}", env)
        assert peek.returncode != 0 and "Permission denied" in peek.stderr, path
    page.goto(f"{url}/user/{STUDENTS[1]}/lab")
    page.wait_for_load_state()
    page.screenshot(path=SHOTS / "hub-5-student-denied.png")
    for name, (context, _, blocked) in pages.items():
        assert not blocked, f"{name}'s lab tried to reach the network: {blocked[:5]}"
        context.close()


def test_the_books_hub_link_pulls_the_course_and_opens_the_notebook(hub, browser):
    """The course book's "JupyterHub" launch link (nbgitpuller, book/_config.yml) on the course's
    own hub: a student who follows it gets the repository cloned into their home and the page's
    notebook open in JupyterLab. The link is taken from the built book (make site); only its host
    (the test hub's port) and its repository (a local copy of this one, since the published
    repository cannot be reached offline) are replaced, so the path, branch and urlpath the book
    wrote are the ones tested."""
    from urllib.parse import parse_qsl, urlencode, urlparse

    page_html = ROOT / "build" / "site" / "notebooks" / "01_pca_linear_autoencoder.html"
    if not page_html.exists():
        pytest.fail(f"{page_html} is missing: build the book first (make site; make hub-test does)")
    links = re.findall(r'href="([^"]*/hub/user-redirect/git-pull\?[^"]*)"', page_html.read_text())
    assert len(links) == 1, links
    link = urlparse(links[0].replace("&amp;", "&"))
    query = dict(parse_qsl(link.query))
    name = query["repo"].rstrip("/").split("/")[-1]          # the folder nbgitpuller clones into
    assert query["urlpath"] == f"lab/tree/{name}/notebooks/01_pca_linear_autoencoder.ipynb", query
    url, env, _ = hub
    student = STUDENTS[1]
    source = Path(tempfile.mkdtemp(prefix="course-repo-"))
    try:
        os.chmod(source, 0o755)
        clone = subprocess.run(["git", "clone", "-q", "--bare", "--branch", query["branch"], str(ROOT),
                                str(source / name)], capture_output=True, text=True)
        assert clone.returncode == 0, clone.stderr
        subprocess.run(["chown", "-R", student, str(source / name)], check=True)  # git: safe.directory
        context, page, blocked = _log_in(browser, url, student, env["COURSE_HUB_PASSWORD"])
        page.goto(f"{url}{link.path}?{urlencode({**query, 'repo': str(source / name)})}")
        page.wait_for_url(re.compile(rf".*/user/{student}/{re.escape(query['urlpath'])}"), timeout=120_000)
        page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=60_000)   # drawn, for the screenshot
        page.screenshot(path=SHOTS / "hub-6-book-link-nbgitpuller.png")
        pulled = _api(page, url, student, query["urlpath"].removeprefix("lab/tree/"))
        assert pulled.status == 200, pulled.text()[:500]
        cells = nbformat.reads(json.dumps(pulled.json()["content"]), as_version=4).cells
        committed = subprocess.run(["git", "-C", str(ROOT), "show",
                                    f"{query['branch']}:notebooks/01_pca_linear_autoencoder.ipynb"],
                                   capture_output=True, text=True, check=True).stdout
        assert [c.source for c in cells] == [c.source for c in nbformat.reads(committed, as_version=4).cells], \
            "the student's copy is the branch's notebook"
        assert not blocked, f"the link tried to reach the network: {blocked[:5]}"
        context.close()
    finally:
        shutil.rmtree(source, ignore_errors=True)


def test_make_hub_prints_the_address_and_accounts_and_stops_cleanly():
    """`make hub` (hub/start.py): the address and every account with its password on standard
    output, then JupyterHub in the foreground with the idle culler (10 minutes); Ctrl-C (SIGINT)
    stops the hub and the proxy."""
    if os.geteuid() != 0:
        pytest.skip("make hub creates local accounts: run it as root")
    _remove_accounts()
    state = Path(tempfile.mkdtemp(prefix="course-hub-"))
    port = free_port()
    env = {**os.environ, "COURSE_HUB_STATE": str(state), "COURSE_HUB_PORT": str(port),
           "COURSE_HUB_API_PORT": str(free_port()), "COURSE_HUB_PROXY_PORT": str(free_port()),
           "COURSE_HUB_USERS": " ".join([INSTRUCTOR, *STUDENTS])}
    proc = subprocess.Popen([sys.executable, str(ROOT / "hub" / "start.py")], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    lines = []
    try:
        for line in proc.stdout:
            lines.append(line)
            if "JupyterHub is now running" in line:
                break
        text = "".join(lines)
        assert f"http://127.0.0.1:{port}/" in text
        assert re.search(rf"instructor \(admin, formgrader\): {INSTRUCTOR}  password \S{{32,}}", text)
        assert re.search(rf"students: {', '.join(STUDENTS)}  password \S{{8,}}", text)
        assert "Starting managed service idle-culler" in text, "idle servers are culled"
        assert urllib.request.urlopen(f"http://127.0.0.1:{port}/hub/api", timeout=30).status == 200
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0, "Ctrl-C stops the hub cleanly"   # 10 s on an idle machine
        proxy = subprocess.run(["pgrep", "-f", f"configurable-http-proxy.*{port}"], capture_output=True)
        assert proxy.returncode == 1, "the proxy stopped with the hub"
        with pytest.raises(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/hub/api", timeout=2)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        _remove_accounts()
        shutil.rmtree(state, ignore_errors=True)


def test_the_exchange_stops_students_who_game_it():
    """Each attack on the exchange, as a real second student, fails (issue: a safe exchange).

    1. B plants a folder named as A's later submission (a blank notebook) in inbound/: collect
       refuses it and collects A's own; B cannot list inbound/, nor read, write into or rename
       A's submission even knowing its name.
    1b. B hands in a folder whose notebook is a link to the instructor's source (the solutions):
       collect refuses it, since it would copy whatever the link points to.
    2. C back-dates its submission (timestamp.txt and the folder's name say 2020): collect records
       a time no earlier than the submission itself.
    3. B renames the course's exchange folder to put its own in its place: refused.
    4. B reads a4's black-box truth: refused; the instructor, who grades with it, can.
    All outcomes are gathered first, so a failure lists every attack that got through.
    """
    if os.geteuid() != 0:
        pytest.skip("the exchange test creates local accounts: run it as root (make hub-test)")
    a, b, c = STUDENTS[0], STUDENTS[1], THIRD
    _remove_accounts()
    state = Path(tempfile.mkdtemp(prefix="course-exchange-"))
    sys.path.insert(0, str(ROOT / "hub"))
    import setup_class

    env = {"COURSE_HUB_EXCHANGE": str(state / "exchange")}
    course = state / "exchange" / "ph451-autoencoders"
    inbound = course / "inbound"
    source = f"/home/{INSTRUCTOR}/course/source/{ASSIGNMENT}/{NOTEBOOK}"
    got_through = []
    try:
        setup_class.setup(state, [INSTRUCTOR, a, b, c])
        truth = jets.blackbox_truth_file()
        if truth.is_file():                      # 4. a student reads a4's black-box answer
            if _as_user(b, f"cat {truth}", env).returncode == 0:
                got_through.append("4: a student read the black box's truth")
            peek = _as_user(INSTRUCTOR, f"cat {truth}", env)
            assert peek.returncode == 0 and '"signal"' in peek.stdout, "the instructor grades with it"
        students = " && ".join(f"nbgrader db student add {s}" for s in (a, b, c))
        released = _as_user(INSTRUCTOR, f"cd course && {students} && nbgrader generate_assignment "
                            f"{ASSIGNMENT} && nbgrader release_assignment {ASSIGNMENT}", env)
        assert released.returncode == 0, released.stdout + released.stderr
        before = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
        for student in (a, c):
            handed_in = _as_user(student, f"nbgrader fetch_assignment {ASSIGNMENT} && "
                                 f"nbgrader submit {ASSIGNMENT}", env)
            assert handed_in.returncode == 0, handed_in.stdout + handed_in.stderr
        genuine = {s: next(p for p in inbound.iterdir() if p.name.startswith(f"{s}+")) for s in (a, c)}
        released_cells = len(nbformat.read(genuine[a] / NOTEBOOK, as_version=4).cells)

        # 1. B plants a blank notebook as A's latest submission, and goes after A's own.
        blank = json.dumps(nbformat.v4.new_notebook()).replace("'", "'\\''")
        planted = _as_user(b, f"d='{inbound}/{a}+{ASSIGNMENT}+2030-01-01 00:00:00.000000 UTC+x' && "
                           f"mkdir \"$d\" && echo '{blank}' > \"$d/{NOTEBOOK}\" && chmod -R a+rX \"$d\"", env)
        assert planted.returncode == 0, "inbound/ takes anyone's submission: " + planted.stderr
        for what, command in {"list inbound/": f"ls '{inbound}'",
                              "read A's submission": f"cat '{genuine[a]}/{NOTEBOOK}'",
                              "write into A's submission": f"touch '{genuine[a]}/x'",
                              "rename A's submission": f"mv '{genuine[a]}' '{inbound}/{b}+{ASSIGNMENT}+2030-01-02 00:00:00.000000 UTC+z'"}.items():
            if _as_user(b, command, env).returncode == 0:
                got_through.append(f"1: B could {what}")
        # 1b. B hands in a link to the instructor's worked solutions.
        linked = _as_user(b, f"d='{inbound}/{b}+{ASSIGNMENT}+2030-01-01 00:00:00.000000 UTC+x' && "
                          f"mkdir \"$d\" && ln -s {source} \"$d/{NOTEBOOK}\"", env)
        assert linked.returncode == 0, linked.stderr
        # 2. C back-dates its submission: timestamp.txt and the folder's name.
        old = "2020-01-01 00:00:00.000000 UTC"
        backdated = _as_user(c, f"cd '{inbound}' && echo '{old}' > '{genuine[c].name}/timestamp.txt' && "
                             f"mv '{genuine[c].name}' '{c}+{ASSIGNMENT}+{old}+x'", env)
        assert backdated.returncode == 0, backdated.stderr

        collected = _as_user(INSTRUCTOR, f"cd course && nbgrader collect --update {ASSIGNMENT}", env)
        assert collected.returncode == 0, collected.stdout + collected.stderr
        submitted = Path(f"/home/{INSTRUCTOR}/course/submitted")
        if len(nbformat.read(submitted / a / ASSIGNMENT / NOTEBOOK, as_version=4).cells) != released_cells:
            got_through.append("1: collect took B's planted notebook as A's submission")
        if (submitted / b / ASSIGNMENT).exists() and \
                "BEGIN SOLUTION" in (submitted / b / ASSIGNMENT / NOTEBOOK).read_text():
            got_through.append("1b: collect took the instructor's solutions, linked, as B's submission")
        recorded = (submitted / c / ASSIGNMENT / "timestamp.txt").read_text().strip()
        if parse_utc(recorded) < before:
            got_through.append(f"2: collect recorded C's back-dated time {recorded}")

        # 3. B takes over the course's folder in the exchange.
        if _as_user(b, f"mv '{course}' '{course}-old' && mkdir '{course}'", env).returncode == 0:
            got_through.append("3: B renamed the course's exchange folder and made its own")
        elif _as_user(b, f"rm -rf '{course}/outbound/{ASSIGNMENT}'", env).returncode == 0:
            got_through.append("3: B deleted the released assignment")
        assert not got_through, got_through
        assert "Refusing" in collected.stderr + collected.stdout, "collect says what it refused"
    finally:
        _remove_accounts()
        shutil.rmtree(state, ignore_errors=True)
        if jets.blackbox_truth_file().is_file():         # back to its owner here (setup gave it away)
            os.chown(jets.blackbox_truth_file(), os.getuid(), os.getgid())
