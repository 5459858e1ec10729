"""The learners' notebooks (book/NNN_name.ipynb, and the page's .ipynb download) read like the page.

They are generated from the chapters and the book's run (tools/notebooks.py,
tools/myst_markdown.py): in sync with both, free of MyST-only syntax, with the
numbers the page shows, solutions folded, teacher notes and hidden checks left
out. The rendered check opens notebooks as Jupyter renders them (nbconvert's
HTML exporter) in Chromium and compares their text with the built page's.
"""

from __future__ import annotations

import json
import re
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

from conftest import SITE, SITE_ROOT, open_site_page  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import notebooks  # noqa: E402  (tools/notebooks.py)
from myst_markdown import (MYST_ONLY, BookFacts, ChapterConverter,  # noqa: E402
                           MystConversionError, myst_leftovers)

# One counterexample of each kind of MyST-only syntax: the check must see each of them.
COUNTEREXAMPLES = {
    "a role ({glue:text}`x`, {ref}`x`, {doc}`x`...)": "It reaches {glue:text}`accuracy:.1%`.",
    "a directive fence (```{name} or :::{name})": "```{exercise} Add two tensors\nDo it.\n```",
    "a colon fence closing a directive (:::)": "Some text\n:::\n",
    "a directive option line (:label: x, :class: dropdown)": ":class: dropdown\nThe solution.",
    "a link to a chapter's .md file": "See [chapter 510](510_gradient_descent.md).",
    "a MyST target ((label)=)": "(softmax-section)=\n## Softmax",
    "a MyST cell break (+++)": "+++\nNext cell",
    "a MyST comment (% ...), which the page does not show": "% course: exercise_430.ipynb, cell 7\nText.",
    "a note for teachers": "> **For teachers**\n>\n> Ask the class first.",
}


def student_markdown(path: Path) -> list[str]:
    return ["".join(c["source"]) for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "markdown"]


def committed_notebooks() -> list[Path]:
    return [source.with_suffix(".ipynb") for source in notebooks.notebook_chapters()]


# --- in sync, and present -------------------------------------------------------------

def test_every_chapter_has_its_notebook_and_it_matches_the_chapter_and_the_books_run():
    problems = notebooks.problems()
    assert not problems, ("the notebooks are not in sync with the chapters and the book's run:\n  "
                          + "\n  ".join(problems)
                          + f"\nRun `{notebooks.REGENERATE}` to rewrite them.")


def test_every_numbered_chapter_in_the_toc_gets_a_notebook():
    numbered = [page for page in notebooks.toc_pages() if Path(page).name[:3].isdigit()]
    sources = {path.relative_to(ROOT).with_suffix("").as_posix() for path in notebooks.notebook_chapters()}
    assert numbered and set(numbered) <= sources


def test_the_sync_check_sees_a_changed_number_and_ignores_a_new_time(tmp_path):
    """An edited glued value makes a notebook stale; a newly measured time does not."""
    executed = notebooks.executed_chapters()
    facts = notebooks.book_facts(ROOT, executed)
    source = ROOT / "book" / "810_mnist.md"
    recorded = notebooks.with_recorded_times(facts, source.with_suffix(".ipynb"))
    committed = source.with_suffix(".ipynb").read_text()
    assert notebooks.as_text(notebooks.student_notebook(source, executed[source], recorded)) == committed

    times = json.loads(committed)["metadata"]["dlbasics"]["book_times"]
    assert times, "810 quotes the times of its two ways of reading MNIST"
    retimed = BookFacts(facts.book_url, facts.page_paths, facts.exercise_names,
                        {stem: {name: ("123.0" if f"{stem}::{name}" in times else value)
                                for name, value in values.items()}
                         for stem, values in facts.glue.items()})
    copy = tmp_path / source.with_suffix(".ipynb").name
    copy.write_text(committed)
    again = notebooks.student_notebook(source, executed[source], notebooks.with_recorded_times(retimed, copy))
    assert notebooks.as_text(again) == committed, "a new time alone must not make the notebook stale"

    used = ChapterConverter(source, facts)
    for cell in executed[source].cells:
        if cell.cell_type == "markdown":
            used.convert(cell.source)
    stem, name = next((stem, name) for stem, name in sorted(used.quoted) if not notebooks.TIMING_GLUE.search(name))
    changed = BookFacts(facts.book_url, facts.page_paths, facts.exercise_names,
                        {**facts.glue, stem: {**facts.glue[stem], name: "98765"}})
    stale = notebooks.student_notebook(source, executed[source], notebooks.with_recorded_times(changed, copy))
    assert notebooks.as_text(stale) != committed, f"a changed value of {name} must make the notebook stale"


# --- no MyST left ------------------------------------------------------------------------

def test_each_kind_of_myst_syntax_has_a_counterexample_that_the_check_finds():
    assert set(COUNTEREXAMPLES) == set(MYST_ONLY)
    for kind, example in COUNTEREXAMPLES.items():
        assert kind in myst_leftovers(example), f"the check misses {kind}: {example!r}"
    assert myst_leftovers("Plain text with `code`, $x^2$ and [a link](https://example.org/a.html).") == []


@pytest.mark.parametrize("notebook_path", committed_notebooks(), ids=lambda p: p.stem[:3])
def test_a_notebooks_markdown_has_no_myst_syntax_left(notebook_path):
    for text in student_markdown(notebook_path):
        assert not myst_leftovers(text), f"{notebook_path.name}: {myst_leftovers(text)} in\n{text[:600]}"


@pytest.fixture
def tiny_book(tmp_path) -> tuple[Path, BookFacts]:
    """A chapter using every construct the conversion knows, and the facts of its book."""
    code = tmp_path / "code"
    code.mkdir()
    (code / "module.py").write_text("def helper(x):\n    return 2 * x\n\n\ndef other():\n    pass\n")
    chapter = tmp_path / "book" / "120_tiny.md"
    chapter.parent.mkdir()
    chapter.write_text("# 120 Tiny\n")
    facts = BookFacts(book_url="https://example.org/book/", exercise_names={"ex-120-a": "Exercise 120.1"},
                      page_paths={"110_tensors": "book/110_tensors", "120_tiny": "book/120_tiny"},
                      glue={"120_tiny": {"accuracy": "0.98765", "steps": "320"},
                            "110_tensors": {"mean": "0.5"}})
    return chapter, facts


CHAPTER_MARKDOWN = textwrap.dedent("""\
    It reaches {glue:text}`accuracy:.1%` in {glue:text}`steps:d` steps; see
    [chapter 110](110_tensors.md), whose mean is {glue:text}`110_tensors.md::mean:.2f`.

    :::{admonition} What you will learn
    :class: tip
    - one thing, with $x^2$
    :::

    % course: exercise_120.ipynb, cell 3

    ```{literalinclude} ../code/module.py
    :pyobject: helper
    ```

    :::{admonition} For teachers
    :class: dropdown note
    **Session 1, about 5 minutes.** Ask first.
    :::

    ```{exercise} Double it
    :label: ex-120-a

    Call `helper`. {ref}`ex-120-a` is this one.
    ```

    ````{solution} ex-120-a
    :class: dropdown

    It returns `2 * x`.
    ````
    """)


def test_the_conversion_turns_every_construct_into_plain_markdown(tiny_book):
    chapter, facts = tiny_book
    pieces = ChapterConverter(chapter, facts).convert(CHAPTER_MARKDOWN)
    shown = "\n\n".join(p.text for p in pieces if p.kind == "markdown" and not p.hidden)
    assert "98.8%" in shown and "320 steps" in shown and "0.50" in shown
    assert "[chapter 110](https://example.org/book/book/110_tensors.html)" in shown
    assert "> **What you will learn**" in shown and "> - one thing, with $x^2$" in shown
    assert "```python\ndef helper(x):\n    return 2 * x\n```" in shown and "def other" not in shown
    assert "### Exercise 120.1: Double it" in shown and "Exercise 120.1 is this one" in shown
    assert "Ask first" not in shown, "the note for teachers must stay out of the notebook"
    assert "exercise_120.ipynb" not in shown, "a comment line must stay out of the notebook"
    kinds = [(p.kind, p.hidden) for p in pieces]
    assert ("solution", False) in kinds and ("markdown", True) in kinds and kinds[-1] == ("solution-end", False)
    assert [p.text for p in pieces if p.hidden] == ["It returns `2 * x`."]
    for piece in pieces:
        assert not myst_leftovers(piece.text), piece.text


def test_an_unknown_construct_or_a_missing_value_is_an_error(tiny_book):
    chapter, facts = tiny_book
    converter = ChapterConverter(chapter, facts)
    for markdown, message in [("```{figure} a.png\n```", "figure"), ("{term}`epoch`", "term"),
                              ("{glue:text}`missing:.1f`", "missing"), ("[x](999_gone.md)", "999_gone")]:
        with pytest.raises(MystConversionError, match=message):
            converter.convert(markdown)


# --- what the learner sees ---------------------------------------------------------------

def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text())["cells"]


@pytest.mark.parametrize("notebook_path", committed_notebooks(), ids=lambda p: p.stem[:3])
def test_solutions_are_folded_and_the_hidden_checks_are_left_out(notebook_path):
    data = json.loads(notebook_path.read_text())
    cells = data["cells"]
    headings = [c for c in cells if c["cell_type"] == "markdown"
                and "".join(c["source"]).startswith("#### Solution to exercise")]
    chapter_text = notebook_path.with_suffix(".md").read_text()
    assert len(headings) == len(re.findall(r"\{solution(?:-start)?\}", chapter_text)), "one heading per solution"
    assert [h["metadata"]["id"] for h in headings] == data["metadata"]["colab"]["collapsed_sections"]
    inside = False
    for cell in cells:
        source = "".join(cell["source"])
        assert not cell.get("outputs"), f"{notebook_path.name}: the committed notebooks carry no outputs"
        if cell["cell_type"] == "markdown" and re.match(r"#{1,4} ", source):
            inside = source.startswith("#### Solution to exercise")
            if inside:
                assert cell["metadata"].get("jp-MarkdownHeadingCollapsed") is True
            continue
        if inside:
            assert cell["metadata"].get("jupyter", {}).get("source_hidden") is True, source[:200]
            if cell["cell_type"] == "code":
                assert cell["metadata"].get("cellView") == "form" and source.startswith("# @title Solution")
        assert "remove-cell" not in cell["metadata"].get("tags", []), f"{notebook_path.name}: a hidden check"


def test_the_notebook_starts_with_its_title_and_then_the_install_cell():
    for path in committed_notebooks()[:3]:
        first, second = _cells(path)[:2]
        assert "".join(first["source"]).startswith(f"# {path.name[:3]} ")
        assert "the book's build computed" in "".join(first["source"])
        assert second["id"] == notebooks.INSTALL_CELL_ID


def test_a_notebook_installs_from_the_configured_repository(tmp_path, monkeypatch):
    config = (ROOT / "_config.yml").read_text()
    config = config.replace("https://github.com/dl-basics/dl-basics-pytorch", "https://github.com/someone/fork")
    config = config.replace("branch: main", "branch: teaching")
    (tmp_path / "_config.yml").write_text(config)
    source = notebooks.install_cell(tmp_path).source
    assert 'REPOSITORY = "https://github.com/someone/fork"' in source and 'BRANCH = "teaching"' in source
    assert 'find_spec("dlbasics") is None' in source, "the cell must install only when dlbasics is missing"
    assert "torch" not in source.split("package =")[1], "the cell must not install or upgrade torch itself"


def test_the_install_cell_leaves_nothing_to_do_where_dlbasics_is_installed():
    """Run in this environment (which has dlbasics), the cell must not call pip."""
    cell = notebooks.install_cell().source.replace(
        "pip = subprocess.run(", "raise AssertionError('pip was called')\n    pip = subprocess.run(")
    exec(compile(cell, "install cell", "exec"), {})


def test_the_repository_and_the_hosted_book_are_named_once_in_the_config():
    url, branch = notebooks.repository()
    assert url.startswith("https://github.com/") and branch
    hosted = notebooks.book_url()
    assert hosted.startswith("https://") and hosted.endswith("/")
    for path in [ROOT / "tools" / "notebooks.py", ROOT / "tools" / "myst_markdown.py", ROOT / "Makefile"]:
        assert url not in path.read_text() and hosted not in path.read_text(), \
            f"{path.name} names the repository or the hosted book; only _config.yml may"


def test_the_download_is_the_student_notebook_with_the_books_outputs(site):
    for source in notebooks.notebook_chapters(SITE_ROOT)[:4] + notebooks.notebook_chapters(SITE_ROOT)[-2:]:
        download = site / "_sources" / source.relative_to(SITE_ROOT).with_suffix(".ipynb")
        downloaded = json.loads(download.read_text())["cells"]
        committed = _cells(source.with_suffix(".ipynb"))
        # The same cells; the prose may quote this build's times where the committed one has its own.
        assert [(c["cell_type"], c["source"] if c["cell_type"] == "code" else "") for c in downloaded] == \
            [(c["cell_type"], c["source"] if c["cell_type"] == "code" else "") for c in committed], \
            f"{download.name}: the download differs from the committed notebook"
        shown = [c for c in downloaded if c["cell_type"] == "code" and c["metadata"].get("cellView") != "form"
                 and c["id"] != notebooks.INSTALL_CELL_ID]
        assert any(c.get("outputs") for c in shown), f"{download.name} has none of the book's outputs"
        assert not any(c.get("outputs") for c in downloaded if c["metadata"].get("cellView") == "form"), \
            f"{download.name}: a solution shows its output"


# --- rendered as Jupyter renders it, the numbers are the page's -----------------------------

RENDERED_SAMPLE = ["530", "810", "920"]


def _rendered_html(notebook_path: Path, folder: Path) -> Path:
    from nbconvert import HTMLExporter

    notebook = nbformat.read(notebook_path, as_version=4)
    body, _ = HTMLExporter().from_notebook_node(notebook)
    target = folder / f"{notebook_path.stem}.html"
    target.write_text(body)
    return target


def _text_of(page) -> str:
    return re.sub(r"\s+", " ", page.inner_text("body"))


@pytest.mark.parametrize("number", RENDERED_SAMPLE)
def test_the_rendered_notebook_shows_the_numbers_of_the_built_page(number, site, browser, server, tmp_path):
    """The page's download is the student notebook written by this build: the same cells as the
    committed one (tested above), quoting this build's times, which the committed one may not."""
    source = next(s for s in notebooks.notebook_chapters(SITE_ROOT) if s.name.startswith(f"{number}_"))
    rendered = _rendered_html(site / "_sources" / source.relative_to(SITE_ROOT).with_suffix(".ipynb"), tmp_path)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    # Offline: the exporter's page asks a CDN for MathJax and fonts; nothing outside answers here.
    context.route(re.compile(r"^https?://(?!127\.0\.0\.1)"), lambda route: route.abort())
    try:
        page = context.new_page()
        open_site_page(page, server, source.relative_to(SITE_ROOT).with_suffix("").as_posix())
        numbers = [n.strip() for n in page.locator("main .pasted-text").all_inner_texts()]
        page.goto(rendered.as_uri(), wait_until="domcontentloaded")
        shown = _text_of(page)
    finally:
        context.close()
    assert numbers, f"the page of {number} quotes no glued number"
    missing = [n for n in numbers if n not in shown]
    assert not missing, f"{rendered.name} does not show these numbers of the page: {missing}"
    for raw in ["{glue", ":::", "```{", ".md)", "For teachers"]:
        assert raw not in shown, f"{rendered.name} shows {raw!r}"
