"""The built site (_build/html, written by `make book`): every chapter is there and works in a real browser.

The browser tests drive headless Chromium through Playwright: the system's
/usr/bin/chromium, or the one named by DLB_CHROMIUM.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import threading
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "_build" / "html"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def toc_files() -> list[str]:
    """The root page and every chapter listed in _toc.yml, in order."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", [{"chapters": toc.get("chapters", [])}]):
        files += [chapter["file"] for chapter in part["chapters"]]
    return files


def numbered_chapters() -> list[str]:
    return [f for f in toc_files() if re.match(r"\d{3}_", Path(f).name)]


@pytest.fixture(scope="session")
def site() -> Path:
    if not (SITE / "index.html").is_file():
        pytest.fail(f"no built site in {SITE}: run `make book` before `make test`")
    return SITE


def test_every_chapter_in_the_toc_was_built(site):
    for file in toc_files():
        page = site / f"{file}.html"
        assert page.is_file(), f"{file} is listed in _toc.yml but {page} was not built"


def test_every_chapter_is_titled_with_its_exercise_number_and_shows_no_error(site):
    chapters = numbered_chapters()
    assert chapters, "_toc.yml lists no numbered chapter"
    for file in chapters:
        html = (site / f"{file}.html").read_text()
        number = Path(file).name[:3]
        title = re.search(r"<h1>(.*?)<", html, re.S).group(1)
        assert title.strip().startswith(number), f"{file}: the title {title!r} does not start with {number}"
        assert "output traceback" not in html and "output error" not in html, f"{file} shows an error output"
        assert f"Exercise {number}.1 " in html, f"{file}: its first exercise is not numbered {number}.1"


# --- in a real browser -----------------------------------------------------

class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def server(site):
    handler = functools.partial(QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    executable = os.environ.get("DLB_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(executable).is_file():
        pytest.fail("the site tests need Chromium: install it (Debian: apt-get install chromium) "
                    "or set DLB_CHROMIUM to its path")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield page
    context.close()


def test_the_landing_page_leads_to_every_chapter(page, server):
    page.goto(f"{server}/index.html")  # redirects to the root page
    page.wait_for_url(re.compile(r"book/index\.html$"))
    links = page.eval_on_selector_all("nav.bd-links a", "els => els.map(e => e.getAttribute('href'))")
    for file in numbered_chapters():
        name = Path(file).name
        assert any(link and name in link for link in links), f"the navigation has no link to {name}"
    assert page.errors == []


@pytest.mark.parametrize("file", numbered_chapters())
def test_a_chapter_page_renders_its_figures_math_and_folded_solutions(page, server, file):
    page.goto(f"{server}/{file}.html")
    page.wait_for_load_state("networkidle")
    main = page.locator("main")
    assert main.locator("h1").first.inner_text().startswith(Path(file).name[:3])

    broken = page.eval_on_selector_all(
        "main img", "imgs => imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)")
    assert broken == [], f"images that did not load: {broken}"

    if main.locator("span.math, div.math").count():
        page.wait_for_selector("mjx-container", state="attached", timeout=15000)  # MathJax typeset the formulas

    # Launch buttons: Binder and Colab, pointing at this chapter in the repository.
    hrefs = page.eval_on_selector_all(".dropdown-launch-buttons a", "els => els.map(e => e.href)")
    assert any("mybinder.org" in h and Path(file).name in h for h in hrefs), hrefs
    assert any("colab.research.google.com" in h for h in hrefs), hrefs

    # Solutions stay folded until the reader asks for them.
    solutions = main.locator("div.solution")
    assert solutions.count() > 0, f"{file} has no exercise solution"
    body = solutions.first.locator("section").first
    assert not body.is_visible(), "a solution is visible before it was asked for"
    solutions.first.locator("button.toggle-button").click()
    body.wait_for(state="visible", timeout=5000)

    teacher_note = main.locator("div.admonition.dropdown", has_text="For teachers")
    assert teacher_note.count() == 1, f"{file} has no folded note for teachers"
    assert page.errors == [], page.errors


def test_search_finds_a_chapter(page, server):
    page.goto(f"{server}/search.html?q=tensor")
    page.wait_for_selector("ul.search li", timeout=20000)
    results = page.locator("ul.search li").all_inner_texts()
    assert any("110" in text for text in results), results
