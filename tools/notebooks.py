"""Write every chapter's notebook twin, book/NNN_name.ipynb, from its .md.

    python tools/notebooks.py [--check] [BOOK_ROOT]        (make notebooks)

The .md chapters are the book's only source: the build reads them and ignores
the .ipynb files (`exclude_patterns` in _config.yml). The notebooks exist for
Colab and Binder, which open a notebook but not a MyST-markdown file, and the
launch buttons point at them. Each holds the chapter's cells, without outputs,
after one extra first cell that installs the book's package, dlbasics, from
the repository named in _config.yml whenever it cannot be imported. pip leaves
an installed PyTorch alone (the package asks for torch>=2.1), so Colab keeps
its own.

A chapter is any page listed in _toc.yml whose front matter has a kernelspec.
A notebook in book/ whose chapter is gone is deleted. With --check nothing is
written: the script lists what is missing or out of date and exits 1.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path

import jupytext
import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
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


def repository(root: Path = ROOT) -> tuple[str, str]:
    """The book's repository address and branch, from _config.yml's `repository:`."""
    config = yaml.safe_load((root / "_config.yml").read_text())
    section = config.get("repository") or {}
    url, branch = section.get("url"), section.get("branch")
    if not url or not branch:
        raise ValueError(f"{root / '_config.yml'} must set repository.url and repository.branch")
    return url.rstrip("/"), branch


def toc_pages(root: Path = ROOT) -> list[str]:
    """Every page in _toc.yml, root first, as paths without suffix ("book/110_tensors")."""
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    pages = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                pages.append(entry["file"])
            walk(entry.get("sections"))

    for part in toc.get("parts", [{"chapters": toc.get("chapters", [])}]):
        walk(part.get("chapters"))
    return pages


def front_matter(path: Path) -> dict:
    """The YAML front matter of a MyST-markdown file ({} if it has none)."""
    match = re.match(r"---\n(.*?)\n---\n", path.read_text(), re.S)
    return (yaml.safe_load(match.group(1)) or {}) if match else {}


def chapter_sources(root: Path = ROOT) -> list[Path]:
    """The .md files of the pages that have code cells (a kernelspec in their front matter)."""
    sources = []
    for page in toc_pages(root):
        path = root / f"{page}.md"
        if path.is_file() and "kernelspec" in front_matter(path):
            sources.append(path)
    return sources


def install_cell(root: Path = ROOT) -> nbformat.NotebookNode:
    url, branch = repository(root)
    cell = nbformat.v4.new_code_cell(INSTALL_CELL.format(url=url, branch=branch))
    cell.id = INSTALL_CELL_ID
    return cell


def _stable_ids(cells) -> None:
    """Cell ids from the cells' content, so that regenerating an unchanged chapter changes nothing."""
    seen: set[str] = {INSTALL_CELL_ID}
    for cell in cells:
        base = hashlib.sha1(f"{cell.cell_type}\n{cell.source}".encode()).hexdigest()[:8]
        candidate, n = base, 1
        while candidate in seen:
            n += 1
            candidate = f"{base}-{n}"
        seen.add(candidate)
        cell.id = candidate


def notebook_text(source: Path, root: Path = ROOT) -> str:
    """The notebook twin of chapter ``source``, as the text written to disk."""
    notebook = jupytext.read(source)
    _stable_ids(notebook.cells)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    notebook.cells.insert(0, install_cell(root))
    notebook.metadata = {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    }
    notebook.nbformat, notebook.nbformat_minor = 4, 5
    nbformat.validate(notebook)
    return json.dumps(notebook, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def problems(root: Path = ROOT) -> list[str]:
    """What is missing, out of date or left over among the notebooks (empty when all is in sync)."""
    found = []
    sources = chapter_sources(root)
    for source in sources:
        twin = source.with_suffix(".ipynb")
        name = twin.relative_to(root)
        if not twin.is_file():
            found.append(f"{name} is missing")
        elif twin.read_text() != notebook_text(source, root):
            found.append(f"{name} differs from {source.relative_to(root)}")
    wanted = {source.with_suffix(".ipynb") for source in sources}
    for notebook in sorted((root / "book").glob("*.ipynb")):
        if notebook not in wanted:
            found.append(f"{notebook.relative_to(root)} has no chapter in _toc.yml")
    return found


def write_all(root: Path = ROOT) -> list[Path]:
    """Write every chapter's notebook and delete notebooks without a chapter; returns what changed."""
    changed = []
    sources = chapter_sources(root)
    for source in sources:
        twin, text = source.with_suffix(".ipynb"), notebook_text(source, root)
        if not twin.is_file() or twin.read_text() != text:
            twin.write_text(text)
            changed.append(twin)
    wanted = {source.with_suffix(".ipynb") for source in sources}
    for notebook in (root / "book").glob("*.ipynb"):
        if notebook not in wanted:
            notebook.unlink()
            changed.append(notebook)
    return changed


# --- the Sphinx extension: the notebook a reader downloads from a chapter's page ------

def add_install_cell_to_download(app, pagename, templatename, context, doctree) -> None:
    """Put the install cell first in the executed notebook that the page's download button offers.

    sphinx-book-theme copies the executed chapter (with its outputs) to
    _sources/ for the ".ipynb" download; like the committed twin, it should
    run wherever the reader opens it.
    """
    if not context.get("ipynb_source"):
        return
    path = Path(app.outdir) / "_sources" / context["ipynb_source"]
    notebook = nbformat.read(path, as_version=4)
    if notebook.cells and notebook.cells[0].get("id") == INSTALL_CELL_ID:
        return
    if not any(cell.get("outputs") for cell in notebook.cells):
        notebook = outputs_from_cache(app, notebook)
    notebook.cells.insert(0, install_cell(Path(app.srcdir)))
    nbformat.write(notebook, path)


def outputs_from_cache(app, notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """``notebook`` with the outputs the execution cache holds for it.

    When a chapter's outputs come from the cache, myst-nb 1.4 writes the
    notebook it read, without them, to jupyter_execute/, and the theme copies
    that one for the download: the outputs are merged back here.
    """
    from jupyter_cache import get_cache

    cache_path = app.config.nb_execution_cache_path or str(Path(app.outdir).parent / ".jupyter_cache")
    try:
        return get_cache(cache_path).merge_match_into_notebook(notebook)[1]
    except KeyError:  # not in the cache: the chapter was not executed
        return notebook


def setup(app):
    # After sphinx-book-theme (priority 501) has copied the notebook to _sources/.
    app.connect("html-page-context", add_install_cell_to_download, priority=600)
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
