"""Write every chapter's student notebook, book/NNN_name.ipynb, from its .md and the book's run.

    python tools/notebooks.py [--check] [BOOK_ROOT]        (make notebooks, after make book)

The .md chapters are the book's only source: the build reads them and ignores
the .ipynb files (`exclude_patterns` in _config.yml). The notebooks are what a
learner runs: Colab and Binder open them (the launch buttons point at them),
and the page's download button offers the same notebook with the outputs of
the book's own run. They read like the page (tools/myst_markdown.py turns the
MyST into Jupyter Markdown): numbers the prose quotes are the values the
book's build computed, taken from the execution cache, so the book must be
built first; exercises are headings, and solutions are folded in JupyterLab
(hidden cell sources) and in Colab (a folded section, code cells shown as
forms); the package code a page includes is a listing; links go to the hosted
book's pages (`html.baseurl` in _config.yml).

What the page hides, the notebook leaves out: the book's hidden checks (cells
tagged remove-cell, asserts that guard the build on the book's own machine;
a learner's run on a GPU or another PyTorch may differ in the last digits,
and the check is the book's business, not the learner's) and the notes for
teachers. A first code cell installs the book's package, dlbasics, from the
repository named in _config.yml whenever it cannot be imported. pip leaves an
installed PyTorch alone (the package asks for torch>=2.1), so Colab keeps its
own.

The committed notebooks carry no outputs. Times the chapters measure differ
from build to build, so the check below compares them as recorded in the
notebook's metadata rather than as measured by the latest build.

A chapter is any numbered page (NNN_name.md) listed in _toc.yml whose front
matter has a kernelspec.
A notebook in book/ whose chapter is gone is deleted. With --check nothing is
written: the script lists what is missing or out of date and exits 1.
"""

from __future__ import annotations

import copy
import hashlib
import json
import sys
from pathlib import Path

import nbformat

from book_pages import (ROOT, TIMING_GLUE, book_url, chapter_sources, front_matter,  # noqa: F401
                        repository, toc_pages)
from myst_markdown import BookFacts, ChapterConverter, exercise_labels

REGENERATE = "make notebooks"
INSTALL_CELL_ID = "install-dlbasics"

INSTALL_CELL = '''\
# Run this cell first. Where the book's package dlbasics is missing (Colab,
# Binder), it installs it from the book's repository; the PyTorch that is
# already there stays as it is. Where dlbasics is installed, it does nothing.
import importlib
import importlib.util
import subprocess
import sys

REPOSITORY = "{url}"
BRANCH = "{branch}"
if importlib.util.find_spec("dlbasics") is None:
    package = f"dlbasics[mnist] @ git+{{REPOSITORY}}@{{BRANCH}}#subdirectory=code"
    print("Installing", package)
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", package],
                         capture_output=True, text=True)
    if pip.returncode != 0:
        raise RuntimeError("pip could not install dlbasics:\\n" + pip.stdout + pip.stderr)
    importlib.invalidate_caches()'''


def install_cell(root: Path = ROOT) -> nbformat.NotebookNode:
    url, branch = repository(root)
    cell = nbformat.v4.new_code_cell(INSTALL_CELL.format(url=url, branch=branch))
    cell.id = cell.metadata["id"] = INSTALL_CELL_ID
    return cell


def _stable_ids(cells) -> None:
    """Cell ids from the cells' content, so that regenerating an unchanged chapter changes nothing.

    Colab names a cell by ``metadata.id`` (its folded sections list them), Jupyter by ``id``.
    """
    seen: set[str] = {INSTALL_CELL_ID}
    for cell in cells:
        if cell.get("id") == INSTALL_CELL_ID:
            continue
        base = hashlib.sha1(f"{cell.cell_type}\n{cell.source}".encode()).hexdigest()[:8]
        candidate, n = base, 1
        while candidate in seen:
            n += 1
            candidate = f"{base}-{n}"
        seen.add(candidate)
        cell.id = candidate
        cell.metadata["id"] = candidate


# --- what the book's run computed ---------------------------------------------------

def notebook_chapters(root: Path = ROOT) -> list[Path]:
    """The chapters that get a student notebook: the numbered ones (``NNN_name.md``)."""
    return [source for source in chapter_sources(root) if source.name[:3].isdigit()]


class BookNotBuilt(RuntimeError):
    """The execution cache lacks a chapter's run: the notebooks need `make book` first."""


def executed_chapters(root: Path = ROOT) -> dict[Path, nbformat.NotebookNode]:
    """Every chapter as the book read it, with the outputs of the book's run (from the execution cache)."""
    from jupyter_cache import get_cache

    from build_book import read_chapter

    cache_path = root / "_build" / ".jupyter_cache"
    if not cache_path.is_dir():
        raise BookNotBuilt(f"no execution cache in {cache_path}: run `make book` first; the notebooks "
                           "quote the numbers the book's build computed")
    cache = get_cache(str(cache_path))
    executed = {}
    for source in notebook_chapters(root):
        try:
            executed[source] = cache.merge_match_into_notebook(read_chapter(source))[1]
        except KeyError:
            raise BookNotBuilt(f"the execution cache has no run of {source.relative_to(root)} as it is "
                               "now: run `make book` first") from None
    return executed


def glued_values(notebook: nbformat.NotebookNode) -> dict[str, str]:
    """The values a chapter glued, as their text/plain (what the page formats)."""
    values = {}
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            record = (output.get("metadata") or {}).get("scrapbook")
            if record:
                prefix = record.get("mime_prefix", "")
                values[record["name"]] = output["data"][f"{prefix}text/plain"]
    return values


def book_facts(root: Path, executed: dict[Path, nbformat.NotebookNode]) -> BookFacts:
    """The book-wide facts the conversion needs: pages, exercise numbers, glued values."""
    exercise_names = {}
    for source in executed:
        number = source.name[:3]
        for k, label in enumerate(exercise_labels(source.read_text()), start=1):
            exercise_names[label] = f"Exercise {number}.{k}"
    return BookFacts(book_url=book_url(root),
                     page_paths={Path(page).name: page for page in toc_pages(root)},
                     exercise_names=exercise_names,
                     glue={source.stem: glued_values(nb) for source, nb in executed.items()})


# --- the student notebook -----------------------------------------------------------

ABOUT_CELL = """\
> This notebook is chapter {number} of *Deep Learning Basics with PyTorch*;
> [its page in the book]({page}) has the same text and the outputs of the book's own run.
> Run the code cell below first: it installs the book's package, `dlbasics`, where it is missing.
>
> The numbers quoted in the text are those the book's build computed, on a CPU. Your run
> prints its own: on a GPU, another processor or another version of PyTorch, results of
> training can differ in their last digits, and times always differ. Each exercise's
> solution is folded below it: open it once you have tried."""

SOLUTION_TITLE = "# @title {heading} (double-click to show the code)"


def _markdown_cell(text: str, hidden: bool = False) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_markdown_cell(text)
    if hidden:
        cell.metadata["jupyter"] = {"source_hidden": True}
    return cell


def _solution_heading(text: str) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_markdown_cell(text)
    cell.metadata["jp-MarkdownHeadingCollapsed"] = True  # JupyterLab folds the section below it
    return cell


def _hidden_code(cell: nbformat.NotebookNode, heading: str) -> nbformat.NotebookNode:
    """A solution's code cell: folded in JupyterLab, a form showing only its title in Colab."""
    cell = copy.deepcopy(cell)
    title = SOLUTION_TITLE.format(heading=heading.lstrip("# "))
    cell.source = f"{title}\n{cell.source}"
    cell.metadata["jupyter"] = {"source_hidden": True}
    cell.metadata["cellView"] = "form"
    cell.outputs, cell.execution_count = [], None
    return cell


def student_notebook(source: Path, executed: nbformat.NotebookNode, facts: BookFacts,
                     root: Path = ROOT, outputs: bool = False) -> nbformat.NotebookNode:
    """The notebook a learner runs for chapter ``source``; ``outputs`` keeps the book's run's outputs."""
    converter = ChapterConverter(source, facts)
    cells: list[nbformat.NotebookNode] = []
    solution = None  # the heading of the solution whose cells come now
    for cell in executed.cells:
        if cell.cell_type == "code":
            if "remove-cell" in cell.metadata.get("tags", []):
                continue
            if solution:
                cells.append(_hidden_code(cell, solution))
                continue
            kept = copy.deepcopy(cell)
            if not outputs:
                kept.outputs, kept.execution_count = [], None
            cells.append(kept)
            continue
        for piece in converter.convert(cell.source):
            if piece.kind == "solution":
                solution = piece.text
                cells.append(_solution_heading(piece.text))
            elif piece.kind == "solution-end":
                solution = None
            else:
                cells.append(_markdown_cell(piece.text, hidden=piece.hidden or solution is not None))
    title, _, rest = cells[0].source.partition("\n")
    if not title.startswith("# "):
        raise ValueError(f"{source.name} must start with its title, '# {source.name[:3]} ...'")
    about = ABOUT_CELL.format(number=source.name[:3], page=facts.page_url(source.stem))
    head = [_markdown_cell(f"{title}\n\n{about}"), install_cell(root)]
    cells = head + ([_markdown_cell(rest.strip("\n"))] if rest.strip() else []) + cells[1:]
    _stable_ids(cells)
    notebook = nbformat.v4.new_notebook(cells=cells)
    collapsed = [c.id for c in cells if c.metadata.get("jp-MarkdownHeadingCollapsed")]
    notebook.metadata = {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
        "colab": {"collapsed_sections": collapsed},  # Colab folds these headings' sections
        "dlbasics": {"chapter": source.name, "book_times": converter.quoted_times()},
    }
    notebook.nbformat, notebook.nbformat_minor = 4, 5
    nbformat.validate(notebook)
    return notebook


def as_text(notebook: nbformat.NotebookNode) -> str:
    return json.dumps(notebook, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def with_recorded_times(facts: BookFacts, notebook_path: Path) -> BookFacts:
    """``facts`` with the times the notebook at ``notebook_path`` quotes as it recorded them."""
    try:
        recorded = json.loads(notebook_path.read_text())["metadata"]["dlbasics"]["book_times"]
    except (OSError, ValueError, KeyError):
        return facts
    glue = {stem: dict(values) for stem, values in facts.glue.items()}
    for key, value in recorded.items():
        stem, _, name = key.partition("::")
        if stem in glue and TIMING_GLUE.search(name):
            glue[stem][name] = value
    return BookFacts(facts.book_url, facts.page_paths, facts.exercise_names, glue)


def _notebook_texts(root: Path, recorded_times: bool) -> dict[Path, str]:
    """Every chapter's notebook path and the text it should hold.

    With ``recorded_times``, the times a notebook quotes are those it recorded
    (what the check compares), else those of the latest build.
    """
    executed = executed_chapters(root)
    facts = book_facts(root, executed)
    texts = {}
    for source, notebook in executed.items():
        twin = source.with_suffix(".ipynb")
        quoted = with_recorded_times(facts, twin) if recorded_times else facts
        texts[twin] = as_text(student_notebook(source, notebook, quoted, root))
    return texts


def problems(root: Path = ROOT) -> list[str]:
    """What is missing, out of date or left over among the notebooks (empty when all is in sync)."""
    found = []
    expected = _notebook_texts(root, recorded_times=True)
    for twin, text in expected.items():
        name = twin.relative_to(root)
        if not twin.is_file():
            found.append(f"{name} is missing")
        elif twin.read_text() != text:
            found.append(f"{name} differs from what {twin.with_suffix('.md').relative_to(root)} "
                         "and the book's run give")
    for notebook in sorted((root / "book").glob("*.ipynb")):
        if notebook not in expected:
            found.append(f"{notebook.relative_to(root)} has no chapter in _toc.yml")
    return found


def write_all(root: Path = ROOT) -> list[Path]:
    """Write every chapter's notebook and delete notebooks without a chapter; returns what changed.

    A notebook that differs from its chapter only in the times it quotes is left as it is.
    """
    changed = []
    stale = set(problems(root))
    for twin, text in _notebook_texts(root, recorded_times=False).items():
        name = twin.relative_to(root)
        if any(line.startswith(f"{name} ") for line in stale):
            twin.write_text(text)
            changed.append(twin)
    for notebook in (root / "book").glob("*.ipynb"):
        if notebook.with_suffix(".md") not in notebook_chapters(root):
            notebook.unlink()
            changed.append(notebook)
    return changed


# --- the Sphinx extension: the notebook a reader downloads from a chapter's page ------

def replace_download_with_student_notebook(app, pagename, templatename, context, doctree) -> None:
    """The page's ".ipynb" download: the student notebook, with the outputs of the book's run.

    sphinx-book-theme copies the chapter's notebook to _sources/ for the
    download; it is replaced by the notebook a learner gets from Colab, with
    the outputs kept (but none under a folded solution).
    """
    if not context.get("ipynb_source"):
        return
    root = Path(app.srcdir)
    if not hasattr(app, "dlbasics_book_run"):  # once per build: every chapter's run and the facts
        executed = executed_chapters(root)
        app.dlbasics_book_run = executed, book_facts(root, executed)
    executed, facts = app.dlbasics_book_run
    source = (root / pagename).with_suffix(".md")
    if source not in executed:
        return
    notebook = student_notebook(source, executed[source], facts, root, outputs=True)
    (Path(app.outdir) / "_sources" / context["ipynb_source"]).write_text(as_text(notebook))


def setup(app):
    # After sphinx-book-theme (priority 501) has copied the notebook to _sources/.
    app.connect("html-page-context", replace_download_with_student_notebook, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


def main(argv: list[str]) -> int:
    check = "--check" in argv
    args = [a for a in argv[1:] if a != "--check"]
    root = Path(args[0]).resolve() if args else ROOT
    if check:
        found = problems(root)
        for line in found:
            print(line)
        if found:
            print(f"Run `{REGENERATE}` to rewrite the notebooks from the chapters.")
        return 1 if found else 0
    for path in write_all(root):
        print(("wrote " if path.exists() else "deleted ") + str(path.relative_to(root)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
