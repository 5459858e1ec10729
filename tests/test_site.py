"""The built site (_build/html, written by `make book`): every chapter is there and works in a real browser.

The browser tests drive headless Chromium through Playwright: the system's
/usr/bin/chromium, or the one named by DLB_CHROMIUM. The fixtures (site,
server, browser, page) live in conftest.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import numbered_chapters, open_site_page, toc_files


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


def test_every_page_states_the_licences_and_credits_the_course(site):
    root = Path(__file__).resolve().parent.parent
    assert "MIT License" in (root / "LICENSE").read_text()
    assert "CC BY 4.0" in (root / "LICENSE-TEXT.md").read_text()
    course = "https://github.com/aiaioo/DeepLearningBasicsTutorial"
    for file in toc_files():
        html = (site / f"{file}.html").read_text()
        footer = html[html.index("<footer class=\"bd-footer-content"):]
        assert "creativecommons.org/licenses/by/4.0" in footer and "code: MIT" in footer, f"{file}: no licence"
        assert course in footer and "aiaioo" in footer, f"{file}: the footer does not credit the course"
    assert course in (site / f"{toc_files()[0]}.html").read_text().split("<footer")[0], \
        "the first page does not credit the course in its text"


# --- in a real browser -----------------------------------------------------

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
    open_site_page(page, server, file)
    main = page.locator("main")
    assert main.locator("h1").first.inner_text().startswith(Path(file).name[:3])

    broken = page.eval_on_selector_all(
        "main img", "imgs => imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)")
    assert broken == [], f"images that did not load: {broken}"

    if main.locator("span.math, div.math").count():
        assert main.locator("mjx-container").count() > 0, "MathJax typeset no formula"

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
    body.wait_for(state="visible")

    teacher_note = main.locator("div.admonition.dropdown", has_text="For teachers")
    assert teacher_note.count() == 1, f"{file} has no folded note for teachers"
    assert page.errors == [], page.errors


def test_search_finds_a_chapter(page, server):
    page.goto(f"{server}/search.html?q=tensor")
    page.wait_for_selector("ul.search li")
    results = page.locator("ul.search li").all_inner_texts()
    assert any("110" in text for text in results), results
