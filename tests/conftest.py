"""Shared fixtures: where the repository is, tiny books built from its real configuration, and the
built site served to headless Chromium.

The site tests read the book at the repository root (its _toc.yml and _build/html). DLB_SITE_ROOT
names another book root instead, for example a small book built from a few chapters.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
BUILD_SCRIPT = ROOT / "tools" / "build_book.py"
SITE_ROOT = Path(os.environ.get("DLB_SITE_ROOT") or ROOT).resolve()
SITE = SITE_ROOT / "_build" / "html"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]

CHAPTER_HEADER = textwrap.dedent("""\
    ---
    jupytext:
      text_representation:
        extension: .md
        format_name: myst
    kernelspec:
      name: python3
      display_name: Python 3
    ---
    """)


class FixtureBook:
    """A throw-away book using the repository's own _config.yml and tools/, with chapters written by a test."""

    def __init__(self, root: Path):
        self.root = root
        shutil.copy(ROOT / "_config.yml", root / "_config.yml")
        shutil.copytree(ROOT / "tools", root / "tools")  # the Sphinx extension _config.yml loads
        (root / "book").mkdir()
        (root / "book" / "index.md").write_text("# Fixture book\n")
        self.chapters: list[str] = []

    def add_chapter(self, name: str, title: str, *cells: str, prose: str = "") -> Path:
        body = [CHAPTER_HEADER, f"# {title}\n", prose]
        for cell in cells:
            body.append("```{code-cell} ipython3\n" + textwrap.dedent(cell).strip() + "\n```\n")
        path = self.root / "book" / f"{name}.md"
        path.write_text("\n".join(body))
        if name not in self.chapters:
            self.chapters.append(name)
        toc = "format: jb-book\nroot: book/index\nchapters:\n" + "".join(
            f"  - file: book/{chapter}\n" for chapter in self.chapters)
        (self.root / "_toc.yml").write_text(toc)
        return path

    def build(self) -> subprocess.CompletedProcess:
        """Run the book's build script on this book, as `make book` does."""
        return subprocess.run([sys.executable, str(BUILD_SCRIPT), str(self.root)],
                              capture_output=True, text=True, timeout=600)

    def html(self, name: str) -> str:
        return (self.root / "_build" / "html" / "book" / f"{name}.html").read_text()


@pytest.fixture
def fixture_book(tmp_path) -> FixtureBook:
    return FixtureBook(tmp_path)


# --- the built site ------------------------------------------------------------------

def toc_files() -> list[str]:
    """The root page and every chapter listed in _toc.yml, in order."""
    toc = yaml.safe_load((SITE_ROOT / "_toc.yml").read_text())
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


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class SiteServer(http.server.ThreadingHTTPServer):
    # A page asks for about 40 files at once; the default backlog of 5 connections makes a busy
    # machine drop connection attempts, which the browser retries only after seconds.
    request_queue_size = 128
    daemon_threads = True


@pytest.fixture(scope="session")
def server(site):
    handler = functools.partial(QuietHandler, directory=str(site))
    httpd = SiteServer(("127.0.0.1", 0), handler)
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


PAGE_TIMEOUT_MS = 60_000  # generous: CI runs the site tests on a busy two-core machine


def open_site_page(page, server: str, file: str) -> None:
    """Open a built page and wait until it is what a reader sees: every image, style sheet and
    script loaded, the web fonts applied, and MathJax done with every formula of the main column.

    It waits for these events rather than for network silence ("networkidle"), which a busy
    machine can postpone past any timeout."""
    page.goto(f"{server}/{file}.html", wait_until="load", timeout=PAGE_TIMEOUT_MS)
    page.evaluate("() => document.fonts.ready.then(() => true)")
    if page.locator("main span.math, main div.math").count():
        page.wait_for_function("() => !document.querySelector('main .math:not(:has(mjx-container))')",
                               timeout=PAGE_TIMEOUT_MS)


@contextlib.contextmanager
def browser_page(browser, width: int = 1280, height: int = 900):
    """A page in a new browser context of that window size; ``page.errors`` collects its
    JavaScript errors. The context is closed afterwards."""
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def page(browser):
    with browser_page(browser) as page:
        yield page


@pytest.fixture
def one_thread():
    """Networks this small run fastest on one CPU thread (the part 9 tests use this)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
