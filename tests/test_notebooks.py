"""The chapters' notebook twins (book/NNN_name.ipynb) for Colab and Binder: present, in sync, runnable anywhere."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import notebooks  # noqa: E402  (tools/notebooks.py)


def test_every_chapter_has_its_notebook_and_it_matches_the_chapter():
    problems = notebooks.problems()
    assert not problems, ("the notebooks are not in sync with the chapters:\n  " + "\n  ".join(problems)
                          + f"\nRun `{notebooks.REGENERATE}` to rewrite them from the .md files.")


def test_every_numbered_chapter_in_the_toc_gets_a_notebook():
    numbered = [page for page in notebooks.toc_pages() if Path(page).name[:3].isdigit()]
    sources = {path.relative_to(ROOT).with_suffix("").as_posix() for path in notebooks.chapter_sources()}
    assert numbered and set(numbered) <= sources


@pytest.fixture
def copy_of_the_book(tmp_path) -> Path:
    """The repository's _config.yml, _toc.yml and two chapters with their notebooks."""
    for name in ["_config.yml", "_toc.yml"]:
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / "book").mkdir()
    chapters = notebooks.chapter_sources()[:2]
    for source in chapters:
        shutil.copy(source, tmp_path / "book" / source.name)
        shutil.copy(source.with_suffix(".ipynb"), tmp_path / "book" / source.with_suffix(".ipynb").name)
    toc = "format: jb-book\nroot: book/{}\n".format(chapters[0].stem)
    toc += "chapters:\n  - file: book/{}\n".format(chapters[1].stem)
    (tmp_path / "_toc.yml").write_text(toc)
    return tmp_path


def test_the_sync_check_sees_an_edited_chapter_a_missing_notebook_and_a_stray_one(copy_of_the_book):
    book = copy_of_the_book
    assert notebooks.problems(book) == []
    first, second = sorted((book / "book").glob("*.md"))
    first.write_text(first.read_text() + "\nOne more sentence.\n")
    second.with_suffix(".ipynb").unlink()
    (book / "book" / "999_gone.ipynb").write_text("{}")
    found = "\n".join(notebooks.problems(book))
    assert f"{first.with_suffix('.ipynb').name} differs" in found
    assert f"{second.with_suffix('.ipynb').name} is missing" in found
    assert "999_gone.ipynb has no chapter" in found
    assert notebooks.main(["notebooks.py", "--check", str(book)]) == 1

    notebooks.write_all(book)
    assert notebooks.problems(book) == []
    assert not (book / "book" / "999_gone.ipynb").exists()


def test_a_notebook_starts_with_the_install_cell_naming_the_configured_repository(copy_of_the_book):
    book = copy_of_the_book
    config = (book / "_config.yml").read_text()
    config = config.replace("https://github.com/dl-basics/dl-basics-pytorch", "https://github.com/someone/fork")
    config = config.replace("branch: main", "branch: teaching")
    (book / "_config.yml").write_text(config)
    assert notebooks.problems(book), "moving the repository must make the notebooks out of date"
    notebooks.write_all(book)
    notebook = json.loads(sorted((book / "book").glob("*.ipynb"))[0].read_text())
    first = notebook["cells"][0]
    assert first["id"] == notebooks.INSTALL_CELL_ID and first["cell_type"] == "code"
    source = "".join(first["source"])
    assert 'REPOSITORY = "https://github.com/someone/fork"' in source and 'BRANCH = "teaching"' in source
    assert 'find_spec("dlbasics") is None' in source, "the cell must install only when dlbasics is missing"
    assert "torch" not in source.split("package =")[1], "the cell must not install or upgrade torch itself"


def test_the_install_cell_leaves_nothing_to_do_where_dlbasics_is_installed(tmp_path):
    """Run in this environment (which has dlbasics), the cell must not call pip."""
    cell = notebooks.install_cell().source.replace(
        "pip = subprocess.run(", "raise AssertionError('pip was called')\n    pip = subprocess.run(")
    exec(compile(cell, "install cell", "exec"), {})


def test_notebooks_have_no_outputs_and_stable_cell_ids():
    for source in notebooks.chapter_sources()[:3]:
        first, second = notebooks.notebook_text(source), notebooks.notebook_text(source)
        assert first == second, f"{source.name}: two generations differ"
        cells = json.loads(first)["cells"]
        assert all(not c.get("outputs") and c.get("execution_count") is None
                   for c in cells if c["cell_type"] == "code")
        assert len({c["id"] for c in cells}) == len(cells)


def test_the_repository_is_named_once_in_the_config():
    url, branch = notebooks.repository()
    assert url.startswith("https://github.com/") and branch
    for path in [ROOT / "tools" / "notebooks.py", ROOT / "README.md", ROOT / "Makefile"]:
        assert url not in path.read_text(), f"{path.name} names the repository; only _config.yml may"
