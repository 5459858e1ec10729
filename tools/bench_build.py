"""Benchmark the book's build, in a copy of the working tree (your _build/ is not touched).

    python tools/bench_build.py [--keep]      (or: make bench-build)

Prints, in one run:
  1. the clean build (tools/build_book.py, as `make book`, with no execution cache)
     and each chapter's execution time in it;
  2. a rebuild with nothing changed;
  3. a rebuild after editing one code cell of one chapter, and which chapters
     ran again (only that one should);
  4. the plain build of the same book: `jupyter-book build --all` with execution
     forced, one chapter after another, and the ratio of the clean build to it.
Takes about as long as two clean builds and a plain one (15 to 20 minutes on two
cores). Needs the MNIST files (DLB_DATA_DIR), like the book.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EDITED_CHAPTER = "book/110_tensors.md"
EDIT = "\n# an edit: this cell changed, so this chapter runs again\n"


def copy_tree(destination: Path) -> None:
    """The files git knows of (committed or not, not ignored), as they are now."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, check=True, capture_output=True).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def timed(command: list[str], cwd: Path, log: Path, env: dict | None = None) -> float:
    start = time.perf_counter()
    with open(log, "w") as stream:
        status = subprocess.call(command, cwd=cwd, stdout=stream, stderr=subprocess.STDOUT,
                                 env={**os.environ, **(env or {})})
    seconds = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"error: {' '.join(command)} failed (status {status}); see {log}")
    return seconds


def edit_first_code_cell(chapter: Path) -> None:
    text = chapter.read_text(encoding="utf-8")
    start = text.index("```{code-cell}")
    end = text.index("\n```", start + 1)
    chapter.write_text(text[:end] + EDIT.rstrip("\n") + text[end:], encoding="utf-8")


def stamps_newer_than(book: Path, since: float) -> list[str]:
    stamps = book / "_build" / ".executed"
    return sorted(str(p.relative_to(stamps))[:-len(".stamp")]
                  for p in stamps.rglob("*.stamp") if p.stat().st_mtime >= since)


def plain_config(book: Path) -> Path:
    """_config.yml with execution forced: every chapter runs inside Sphinx, in turn."""
    import yaml

    config = yaml.safe_load((book / "_config.yml").read_text(encoding="utf-8"))
    config["execute"]["execute_notebooks"] = "force"
    path = book / "_config_plain.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", action="store_true", help="keep the copy (its path is printed)")
    args = parser.parse_args(argv[1:])
    python = sys.executable
    jupyter_book = str(Path(python).parent / "jupyter-book")
    work = Path(tempfile.mkdtemp(prefix="dlb-bench-build-"))
    book = work / "book-copy"
    logs = work / "logs"
    logs.mkdir()
    try:
        copy_tree(book)
        build = [python, str(book / "tools" / "build_book.py"), str(book)]
        print(f"Benchmarking the build of a copy of {ROOT} in {book}, {os.cpu_count()} CPU cores",
              flush=True)

        clean = timed(build, book, logs / "clean.log")
        times = json.loads((book / "_build" / ".execution-times.json").read_text())
        print(f"\n1. clean build: {clean:.0f} s. Chapter execution times (one thread each, "
              f"{os.cpu_count()} at a time):")
        for name, seconds in sorted(times.items()):
            print(f"   {seconds:6.1f} s  {name}")
        print(f"   {sum(times.values()):6.1f} s  in all", flush=True)

        unchanged = timed(build, book, logs / "no-change.log")
        print(f"\n2. rebuild with nothing changed: {unchanged:.1f} s", flush=True)

        edit_first_code_cell(book / EDITED_CHAPTER)
        before = time.time()
        time.sleep(0.01)
        one_edit = timed(build, book, logs / "one-edit.log")
        rerun = stamps_newer_than(book, before)
        print(f"\n3. rebuild after editing one code cell of {EDITED_CHAPTER}: {one_edit:.1f} s; "
              f"chapters executed again: {', '.join(rerun) or 'none'}", flush=True)
        if rerun != [EDITED_CHAPTER]:
            print(f"   expected exactly {EDITED_CHAPTER} to run again", flush=True)

        shutil.rmtree(book / "_build")
        plain = timed([jupyter_book, "build", "--all", str(book), "--config",
                       str(plain_config(book))], book, logs / "plain.log",
                      env={"DLB_PROGRESS": "0"})
        print(f"\n4. plain build (jupyter-book build --all, execution forced, one chapter "
              f"after another): {plain:.0f} s", flush=True)

        print(f"\n{'':44s}{'seconds':>8s}")
        print(f"{'clean build (make book)':44s}{clean:8.0f}")
        print(f"{'rebuild, nothing changed':44s}{unchanged:8.1f}")
        print(f"{'rebuild, one code cell of one chapter edited':44s}{one_edit:8.1f}")
        print(f"{'plain build (jupyter-book build --all)':44s}{plain:8.0f}")
        print(f"clean build / plain build: {clean / plain:.2f}")
    finally:
        if args.keep:
            print(f"\nThe copy and the build logs are in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
