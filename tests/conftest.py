"""Shared fixtures: where the repository is, and tiny books built from its real configuration."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BUILD_SCRIPT = ROOT / "tools" / "build_book.py"

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
