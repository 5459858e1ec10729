"""On the built site, every chapter launches its notebook in Colab and Binder and offers it for download;
the teachers' appendix gathers every chapter's note. Fixtures (site, server, page) are in conftest.py."""

from __future__ import annotations

import json
import sys
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

from conftest import SITE_ROOT, numbered_chapters

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import course_plan  # noqa: E402
import notebooks  # noqa: E402


def chapters_with_code() -> list[str]:
    return [path.relative_to(SITE_ROOT).with_suffix("").as_posix()
            for path in notebooks.chapter_sources(SITE_ROOT)]


def expected_launch_addresses(file: str) -> dict[str, str]:
    """Where Binder and Colab must open chapter ``file``: its notebook, on the configured repository and branch."""
    url, branch = notebooks.repository(SITE_ROOT)
    host, owner_repo = urlparse(url).netloc, urlparse(url).path.strip("/")
    assert host == "github.com", f"Colab opens notebooks from GitHub only, not {host}"
    return {
        "binder": f"https://mybinder.org/v2/gh/{owner_repo}/{branch}?urlpath=lab/tree/{file}.ipynb",
        "colab": f"https://colab.research.google.com/github/{owner_repo}/blob/{branch}/{file}.ipynb",
    }


@pytest.mark.parametrize("file", chapters_with_code())
def test_a_chapter_launches_its_notebook_and_offers_it_for_download(page, server, file):
    assert (SITE_ROOT / f"{file}.ipynb").is_file(), f"{file}.ipynb is missing: run `{notebooks.REGENERATE}`"
    page.goto(f"{server}/{file}.html")
    page.wait_for_load_state("domcontentloaded")
    launch = page.eval_on_selector_all(".dropdown-launch-buttons a", "els => els.map(e => e.href)")
    assert "find_spec" not in page.locator("main").inner_text(), "the page shows the notebook's install cell"
    expected = expected_launch_addresses(file)
    assert expected["binder"] in launch, f"Binder button: {launch}"
    assert expected["colab"] in launch, f"Colab button: {launch}"

    downloads = page.eval_on_selector_all(".dropdown-download-buttons a", "els => els.map(e => e.href)")
    notebook_links = [href for href in downloads if href.endswith(".ipynb")]
    assert notebook_links, f"{file}: no .ipynb among the downloads {downloads}"
    with urllib.request.urlopen(notebook_links[0]) as response:
        notebook = json.load(response)
    cells = notebook["cells"]
    first_code = next(cell for cell in cells if cell["cell_type"] == "code")
    assert first_code["id"] == notebooks.INSTALL_CELL_ID, "the downloaded notebook's first code cell does not install"
    assert any(cell.get("outputs") for cell in cells), "the downloaded notebook has no outputs"
    assert page.errors == [], page.errors


def test_the_teachers_appendix_gathers_every_chapters_note(page, server):
    page.goto(f"{server}/book/teachers.html")
    main = page.locator("main")
    # Sphinx prints quotes and apostrophes curly; the notes are written straight.
    text = main.inner_text().translate(str.maketrans({"\u2018": "'", "\u2019": "'",
                                                      "\u201c": '"', "\u201d": '"'}))
    assert main.locator("table").count() >= 1, "the plan at a glance is missing"
    chapters = [file for file in numbered_chapters()
                if course_plan.note_source((SITE_ROOT / f"{file}.md").read_text()) is not None]
    assert chapters
    for file in chapters:
        note = course_plan.parse_note(course_plan.note_source((SITE_ROOT / f"{file}.md").read_text()))
        name = Path(file).name
        assert main.locator(f'a[href="{name}.html"]').count() >= 1, f"the appendix has no link to {name}"
        assert f"Session {note.session}" in text
        first_line = note.parts["Say"].splitlines()[0].lstrip("- ").split("$")[0].split("`")[0][:30]
        assert first_line in text, f"the appendix lacks the note of {name} ({first_line!r})"
    assert page.errors == [], page.errors
