"""The book's pages and settings as _config.yml and _toc.yml give them.

Needs only PyYAML, so that tools which run where the book's build is not
installed (tools/run_chapters.py on a GPU machine) can list the chapters.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


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


def book_url(root: Path = ROOT) -> str:
    """The hosted book's address, from _config.yml's `html: baseurl:`, ending in "/"."""
    config = yaml.safe_load((root / "_config.yml").read_text())
    url = (config.get("html") or {}).get("baseurl")
    if not url:
        raise ValueError(f"{root / '_config.yml'} must set html.baseurl, the address of the hosted book")
    return url.rstrip("/") + "/"


# A glued value whose name says it is a time: it differs from run to run.
TIMING_GLUE = re.compile(r"seconds|speedup|time")
