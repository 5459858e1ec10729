"""Build the book: execute every chapter and write the site to _build/html/.

    python tools/build_book.py [BOOK_ROOT]

BOOK_ROOT defaults to the repository root. Chapters run through jupyter-book's
execution cache, so an unchanged chapter is not executed again. jupyter-cache
keys a chapter on its own cells only and cannot see the package the chapters
import (code/) or the pinned versions (requirements.txt): this script keeps a
fingerprint of those files and empties the cache when it changes, so a build
never shows output that the current code would not print. Sphinx is always
run with --all (every page re-read) and -W (a warning is an error).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

SKIPPED_PARTS = {"__pycache__", ".pytest_cache", ".ipynb_checkpoints"}


def execution_inputs(root: Path) -> list[Path]:
    """The files, besides a chapter's own cells, whose change can change its output."""
    files = [p for p in (root / "code").rglob("*") if p.is_file()
             and not SKIPPED_PARTS.intersection(p.parts)
             and not any(part.endswith(".egg-info") for part in p.parts)
             and p.suffix not in {".pyc", ".pyo"}]
    requirements = root / "requirements.txt"
    if requirements.is_file():
        files.append(requirements)
    return sorted(files)


def fingerprint(root: Path) -> str:
    digest = hashlib.sha256(f"python {sys.version}\n".encode())
    for path in execution_inputs(root):
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def invalidate_stale_cache(root: Path) -> bool:
    """Empty the execution cache if code/ or requirements.txt changed. True if it did."""
    build = root / "_build"
    cache = build / ".jupyter_cache"
    stamp = build / ".execution-fingerprint"
    current = fingerprint(root)
    previous = stamp.read_text().strip() if stamp.is_file() else None
    if current == previous:
        return False
    if cache.exists():
        shutil.rmtree(cache)
    build.mkdir(parents=True, exist_ok=True)
    stamp.write_text(current + "\n")
    return previous is not None


def report_execution_times(root: Path, since: float) -> None:
    """Print each chapter's execution time as recorded in the cache."""
    from jupyter_cache import get_cache

    cache_path = root / "_build" / ".jupyter_cache"
    if not cache_path.exists():
        return
    records = get_cache(str(cache_path)).list_cache_records()
    if not records:
        return
    print("\nChapter execution times (seconds):")
    total = 0.0
    for record in sorted(records, key=lambda r: r.uri):
        seconds = float((record.data or {}).get("execution_seconds", 0.0))
        total += seconds
        fresh = "executed now" if record.created.timestamp() >= since - 1 else "from the cache"
        print(f"  {seconds:7.1f}  {Path(record.uri).relative_to(root.resolve())}  ({fresh})")
    print(f"  {total:7.1f}  in all")


def main(argv: list[str]) -> int:
    root = Path(argv[1] if len(argv) > 1 else Path(__file__).resolve().parent.parent).resolve()
    if not (root / "_config.yml").is_file() or not (root / "_toc.yml").is_file():
        print(f"error: {root} has no _config.yml and _toc.yml; pass the book's root folder", file=sys.stderr)
        return 2
    if invalidate_stale_cache(root):
        print("code/ or requirements.txt changed since the last build: every chapter runs again.")
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    command = [str(jupyter_book), "build", str(root), "--all", "-W", "--keep-going"]
    print("$", " ".join(command), flush=True)
    start = time.time()
    # The chapters' kernels inherit this: the built pages show fit's per-epoch
    # log, not the progress bars a reader sees in Jupyter or Colab.
    status = subprocess.call(command, env={**os.environ, "DLB_PROGRESS": "0"})
    elapsed = time.time() - start
    report_execution_times(root, start)
    if status != 0:
        print(f"\nBuild FAILED after {elapsed:.0f} s (exit status {status}): the first error above "
              "names the chapter and the cell.", file=sys.stderr)
        return status
    print(f"\nBuilt in {elapsed:.0f} s. Open {root / '_build' / 'html' / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
