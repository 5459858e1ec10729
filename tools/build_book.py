"""Build the book: execute every chapter and write the site to _build/html/.

    python tools/build_book.py [--jobs N] [BOOK_ROOT]

BOOK_ROOT defaults to the repository root.

How a build runs, and why:

1. Outputs are kept in jupyter-book's execution cache (jupyter-cache), keyed on a
   chapter's code cells. jupyter-cache cannot see the package the chapters import
   (code/) or the pinned versions (requirements.txt): this script keeps a
   fingerprint of those files and empties the cache when it changes, so a build
   never shows output that the current code would not print.
2. Chapters missing from the cache are executed here, N at a time (default: one
   per CPU core), each kernel with one thread for PyTorch so that N kernels share
   the cores instead of fighting over them; the longest chapters start first.
   A chapter whose cell raises stops the build, naming the chapter and the cell.
3. jupyter-book (Sphinx, with -W: a warning is an error) then finds every
   chapter in the cache. Sphinx re-reads a page when its source changed or when
   step 2 executed it (each execution leaves a stamp that the page depends on),
   so a glued number is never stale, and a build with nothing changed re-reads
   nothing. After a failed build, or when the book's Sphinx extensions in tools/
   change, every page is re-read.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from contextlib import ExitStack, contextmanager
from functools import lru_cache
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # tools/fork_kernels.py

SKIPPED_PARTS = {"__pycache__", ".pytest_cache", ".ipynb_checkpoints"}
MYST_EXTENSIONS_KEY = "myst_enable_extensions"
# The environment every chapter's kernel gets. Built pages show fit's per-epoch
# log, not the progress bars a reader sees in Jupyter or Colab.
KERNEL_ENVIRONMENT = {"DLB_PROGRESS": "0"}
# Each kernel computes on one thread: N kernels at once then share the cores
# instead of spinning on each other's, and a sum is added up in the same order
# on every machine, whatever its number of cores, so the printed digits agree.
ONE_THREAD = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
CHAPTER_ENVIRONMENT = {**KERNEL_ENVIRONMENT, **ONE_THREAD}  # what executing a chapter sets
# A glue reference to another chapter's value: {glue:text}`830_name.md::key`.
CROSS_CHAPTER_GLUE = re.compile(r"\{glue(?::\w+)?\}`([\w./-]+\.md)::")


# --- what the build depends on -------------------------------------------------------

def _files_under(folder: Path, suffixes: set[str] | None = None) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()
            and not SKIPPED_PARTS.intersection(p.parts)
            and not any(part.endswith(".egg-info") for part in p.parts)
            and p.suffix not in {".pyc", ".pyo"}
            and (suffixes is None or p.suffix in suffixes)]


def execution_inputs(root: Path) -> list[Path]:
    """The files, besides a chapter's own cells, whose change can change its output."""
    files = _files_under(root / "code")
    requirements = root / "requirements.txt"
    if requirements.is_file():
        files.append(requirements)
    return sorted(files)


def site_inputs(root: Path) -> list[Path]:
    """The book's own Sphinx extensions: a change to them can change every page."""
    return sorted(_files_under(root / "tools", {".py"}))


def fingerprint(root: Path, files: list[Path]) -> str:
    digest = hashlib.sha256(f"python {sys.version}\n".encode())
    for path in files:
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _changed(stamp: Path, current: str) -> bool:
    previous = stamp.read_text().strip() if stamp.is_file() else None
    return current != previous


def invalidate_stale_cache(root: Path) -> bool:
    """Empty the execution cache if code/ or requirements.txt changed. True if it did."""
    build = root / "_build"
    cache = build / ".jupyter_cache"
    stamp = build / ".execution-fingerprint"
    current = fingerprint(root, execution_inputs(root))
    if not _changed(stamp, current):
        return False
    had_stamp = stamp.is_file()
    for stale in (cache, executed_stamps(root)):
        if stale.exists():
            shutil.rmtree(stale)
    build.mkdir(parents=True, exist_ok=True)
    stamp.write_text(current + "\n")
    return had_stamp


# --- the chapters and their execution ------------------------------------------------

def executed_stamps(root: Path) -> Path:
    return root / "_build" / ".executed"


def stamp_for(root: Path, chapter: Path) -> Path:
    """The file whose change tells Sphinx that a chapter's outputs are new."""
    relative = chapter.resolve().relative_to(root.resolve()).as_posix()
    return executed_stamps(root) / (relative + ".stamp")


def chapters(root: Path) -> list[Path]:
    """The pages of _toc.yml that have code cells, in order (as `make notebooks` finds them)."""
    from notebooks import chapter_sources

    return chapter_sources(root)


@lru_cache(maxsize=None)
def _myst_extensions(root: Path) -> frozenset[str]:
    import yaml

    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    return frozenset((config.get("parse") or {}).get(MYST_EXTENSIONS_KEY) or [])


def read_chapter(path: Path):
    """The chapter as a notebook, read exactly as myst-nb reads it for the book."""
    from myst_nb.core.read import read_myst_markdown_notebook
    from myst_parser.config.main import MdParserConfig

    md_config = MdParserConfig(enable_extensions=set(_myst_extensions(_book_root(path))))
    return read_myst_markdown_notebook(path.read_text(encoding="utf-8"), config=md_config,
                                       add_source_map=True, path=str(path))


def _book_root(path: Path) -> Path:
    for folder in path.resolve().parents:
        if (folder / "_config.yml").is_file():
            return folder
    raise FileNotFoundError(f"no _config.yml above {path}")


def execution_timeout(root: Path) -> int:
    import yaml

    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    return int((config.get("execute") or {}).get("timeout", 120))


def execute_chapter(path: str, timeout: int, kernel_server: str | None = None) -> dict:
    """Run one chapter in a fresh kernel (in this process's environment); JSON-able result.

    Runs in a worker process. With ``kernel_server`` (tools/fork_kernels.py) the
    kernel is forked from a process that imported PyTorch already. ``error``
    names the failing cell, counted as the reader counts them: the N-th code
    cell of the chapter.
    """
    import nbformat
    from jupyter_cache.executors.utils import single_nb_execution

    chapter = Path(path)
    notebook = read_chapter(chapter)
    options = {}
    if kernel_server is not None:
        from fork_kernels import forking_kernel_manager

        options["kernel_manager_class"] = forking_kernel_manager(kernel_server)
    result = single_nb_execution(notebook, cwd=str(chapter.parent), timeout=timeout,
                                 allow_errors=False, meta_override=True, **options)
    error = None
    if result.err is not None:
        code_cells = [c for c in notebook.cells if c.cell_type == "code"]
        failing = next((n for n, c in enumerate(code_cells, start=1)
                        if any(o.get("output_type") == "error" for o in c.get("outputs", []))),
                       None)
        where = f"code cell {failing}" if failing else "a code cell (timed out or kernel died)"
        error = (f"{chapter.name}: {where} raised {result.err.__class__.__name__}\n"
                 f"{result.exc_string}")
    return {"path": path, "seconds": result.time, "error": error,
            "notebook": nbformat.writes(notebook)}


@contextmanager
def kernels_from_fork_server(root: Path, environment: dict[str, str]):
    """The address of a kernel fork server (tools/fork_kernels.py), or None.

    DLB_FORK_KERNELS=0 starts every kernel as a new process instead (slower by
    a few seconds of CPU per chapter; the outputs are the same).
    """
    if os.environ.get("DLB_FORK_KERNELS", "1") == "0" or not hasattr(os, "fork"):
        yield None
        return
    from fork_kernels import fork_server

    with fork_server(environment, executed_stamps(root) / "kernels.log") as address:
        yield address


def quiet_kernels(root: Path) -> None:
    """In a worker: send the kernels' own log (not the chapters' output) to a file.

    Kernels inherit the worker's standard error and print start-up warnings
    there; a chapter's output comes back in its notebook, errors included.
    """
    log = executed_stamps(root) / "kernels.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "a") as stream:
        os.dup2(stream.fileno(), 2)


def _previous_seconds(root: Path) -> dict[str, float]:
    times = root / "_build" / ".execution-times.json"
    try:
        return json.loads(times.read_text())
    except (OSError, ValueError):
        return {}


def expected_seconds(root: Path, chapter: Path, previous: dict[str, float]) -> float:
    """How long a chapter is expected to run: its last time, else a guess from its size.

    The longest start first, so that the last chapter to finish is a short one.
    Without a previous build, chapters that train on MNIST are the long ones.
    """
    known = previous.get(chapter.relative_to(root).as_posix())
    if known is not None:
        return known
    text = chapter.read_text(encoding="utf-8")
    return len(text) / 1000 + (100 if "load_mnist" in text else 0)


def uncached_chapters(cache, book_chapters: list[Path]) -> list[Path]:
    """The chapters whose outputs (for their current code) the execution cache lacks."""
    missing = []
    for chapter in book_chapters:
        try:
            cache.match_cache_notebook(read_chapter(chapter))
        except KeyError:
            missing.append(chapter)
    return missing


def execute_missing(root: Path, jobs: int) -> tuple[dict, list[str]]:
    """Execute every chapter whose outputs the cache lacks; cache what succeeds.

    Returns ({chapter: seconds} of those executed now, [error messages]).
    """
    import nbformat
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    cache = get_cache(str(root / "_build" / ".jupyter_cache"))
    book_chapters = chapters(root)
    saved = {key: os.environ.get(key) for key in CHAPTER_ENVIRONMENT}
    os.environ.update(CHAPTER_ENVIRONMENT)  # the workers, and their kernels, inherit it
    executed, errors = {}, []
    timeout = execution_timeout(root)
    try:
        with ExitStack() as running:
            def start_server() -> str | None:
                return running.enter_context(kernels_from_fork_server(root, CHAPTER_ENVIRONMENT))

            # Every chapter needs a record of its own: with fewer records than chapters some
            # chapter will run, so the kernels' server starts (seconds of imports) while a
            # thread reads the chapters and matches them against the cache.
            some_will_run = len(cache.list_cache_records()) < len(book_chapters)
            server = None
            with ThreadPoolExecutor(max_workers=1) as reader:
                matching = reader.submit(uncached_chapters, cache, book_chapters)
                if some_will_run:
                    server = start_server()
                missing = matching.result()
            if not missing:
                return {}, []
            if server is None:
                server = start_server()
            previous = _previous_seconds(root)
            missing.sort(key=lambda p: -expected_seconds(root, p, previous))
            print(f"Executing {len(missing)} chapter(s), {jobs} at a time:", flush=True)
            pool = running.enter_context(ProcessPoolExecutor(
                max_workers=jobs, initializer=quiet_kernels, initargs=(root,)))
            futures = [pool.submit(execute_chapter, str(p), timeout, server) for p in missing]
            for future in as_completed(futures):
                result = future.result()
                chapter = Path(result["path"])
                name = chapter.relative_to(root).as_posix()
                if result["error"]:
                    errors.append(result["error"])
                    print(f"  FAILED  {name}", flush=True)
                    continue
                notebook = nbformat.reads(result["notebook"], as_version=4)
                cache.cache_notebook_bundle(
                    CacheBundleIn(notebook, str(chapter),
                                  data={"execution_seconds": result["seconds"]}),
                    check_validity=False, overwrite=True)
                stamp = stamp_for(root, chapter)
                stamp.parent.mkdir(parents=True, exist_ok=True)
                stamp.write_text(f"{result['seconds']:.2f}\n")
                executed[name] = result["seconds"]
                print(f"  {result['seconds']:6.1f} s  {name}", flush=True)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    times = root / "_build" / ".execution-times.json"
    times.write_text(json.dumps({**previous, **executed}, indent=1, sort_keys=True) + "\n")
    return executed, errors


# --- the Sphinx side ------------------------------------------------------------------

def note_execution_stamp(app, docname: str, source: list[str]) -> None:
    """Make each chapter depend on its execution stamp (Sphinx re-reads it when newer).

    A page that quotes another chapter's glued value depends on that chapter's
    source and stamp too, so that the quote is re-read when the value changes.
    """
    from myst_nb.core.read import is_myst_markdown_notebook

    env = app.env
    path = Path(env.doc2path(docname))
    root = Path(app.srcdir)
    if path.suffix != ".md" or not is_myst_markdown_notebook(source[0]):
        return
    env.note_dependency(str(stamp_for(root, path)))
    for quoted in sorted(set(CROSS_CHAPTER_GLUE.findall(source[0]))):
        other = (path.parent / quoted).resolve()
        env.note_dependency(str(other))
        env.note_dependency(str(stamp_for(root, other)))


def setup(app):
    """This module is also the Sphinx extension that links chapters to their stamps."""
    app.connect("source-read", note_execution_stamp)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


def report_execution_times(root: Path, executed: dict[str, float]) -> None:
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
        name = Path(record.uri).resolve().relative_to(root.resolve()).as_posix()
        fresh = "executed now" if name in executed else "from the cache"
        print(f"  {seconds:7.1f}  {name}  ({fresh})")
    print(f"  {total:7.1f}  in all (kernel time; chapters ran side by side)")


def build_site(root: Path) -> int:
    """Run jupyter-book on the book; every chapter is expected in the cache."""
    build = root / "_build"
    failed_marker = build / ".last-build-failed"
    site_stamp = build / ".site-fingerprint"
    site_now = fingerprint(root, site_inputs(root))
    reread_all = failed_marker.exists() or _changed(site_stamp, site_now)
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    command = [str(jupyter_book), "build", str(root), "-W", "--keep-going"]
    if reread_all:
        command.insert(3, "--all")
    print("$", " ".join(command), flush=True)
    failed_marker.parent.mkdir(parents=True, exist_ok=True)
    failed_marker.touch()  # removed only once the build succeeded
    status = subprocess.call(command, env={**os.environ, **KERNEL_ENVIRONMENT})
    if status == 0:
        failed_marker.unlink()
        site_stamp.write_text(site_now + "\n")
    return status


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root", nargs="?", type=Path,
                        default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="chapters executed at the same time (default: one per core)")
    args = parser.parse_args(argv[1:])
    root = args.root.resolve()
    if not (root / "_config.yml").is_file() or not (root / "_toc.yml").is_file():
        print(f"error: {root} has no _config.yml and _toc.yml; pass the book's root folder",
              file=sys.stderr)
        return 2
    start = time.time()
    if invalidate_stale_cache(root):
        print("code/ or requirements.txt changed since the last build: every chapter runs again.")
    executed, errors = execute_missing(root, max(1, args.jobs))
    if errors:
        for error in errors:
            print(f"\n{error}", file=sys.stderr)
        print(f"\nBuild FAILED after {time.time() - start:.0f} s: {len(errors)} chapter(s) "
              "raised (named above, with the cell); the site was not written.", file=sys.stderr)
        return 1
    status = build_site(root)
    elapsed = time.time() - start
    report_execution_times(root, executed)
    if status != 0:
        print(f"\nBuild FAILED after {elapsed:.0f} s (exit status {status}): the first error above "
              "names the chapter and the cell.", file=sys.stderr)
        return status
    print(f"\nBuilt in {elapsed:.0f} s. Open {root / '_build' / 'html' / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
