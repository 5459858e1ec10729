"""Execute chapters twice, as the build does, and report every output that differs.

    python tools/check_determinism.py [--jobs N] [CHAPTER ...]

CHAPTER is a chapter file or its number (``690`` or ``book/690_sigmoid_with_bias.md``);
without any, every chapter of _toc.yml. Each run is a fresh kernel with the
build's environment (tools/build_book.py), bypassing the execution cache. The
exit status is 1 if any output differs, naming chapter, code cell and the first
differing line.

Wall-clock times are the one thing allowed to differ. A chapter marks the code
cells that print them with the tag ``measures-time``; in those cells only, a
number followed by the unit " s" (``4.0 s``, ``0.21 s per epoch``) is masked, and
glued values whose names contain "seconds", "speedup" or "time" are skipped.
Everything else in those cells, and every other cell, must match exactly:
text, glued values and figures (PNG bytes).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from book_pages import TIMING_GLUE  # noqa: E402
from build_book import (CHAPTER_ENVIRONMENT, chapters,  # noqa: E402
                        execute_chapter, execution_timeout, kernels_from_fork_server,
                        quiet_kernels)

TIME_TAG = "measures-time"
SECONDS = re.compile(r"\d+(?:\.\d+)?(?= s\b)")


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def merged_streams(outputs: list) -> list:
    """Consecutive pieces of one stream joined, as the book shows them.

    A kernel sends printed text in pieces whose boundaries depend on timing.
    """
    merged = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (output.get("output_type") == "stream" and previous is not None
                and previous.get("output_type") == "stream"
                and previous.get("name") == output.get("name")):
            merged[-1] = {**previous, "text": _text(previous["text"]) + _text(output["text"])}
        else:
            merged.append(output)
    return merged


def comparable_outputs(cell) -> list[str]:
    """A code cell's outputs as lines of text, with times masked in a timing cell."""
    timing = TIME_TAG in cell.get("metadata", {}).get("tags", [])
    lines = []
    for output in merged_streams(cell.get("outputs", [])):
        kind = output.get("output_type")
        if kind == "stream":
            body = {output.get("name", "stdout"): output.get("text", "")}
        elif kind == "error":
            body = {"error": f"{output.get('ename')}: {output.get('evalue')}"}
        else:
            body = dict(output.get("data", {}))
            glued = (output.get("metadata") or {}).get("scrapbook", {}).get("name")
            if glued:
                if timing and TIMING_GLUE.search(glued):
                    continue
                body = {f"glue {glued} {k.rsplit('/', 1)[-1]}": v for k, v in body.items()}
        for key, value in sorted(body.items()):
            text = _text(value)
            if timing:
                text = SECONDS.sub("<seconds>", text)
            lines += [f"[{kind} {key}] {line}" for line in text.splitlines()]
    return lines


def differences(first, second) -> list[str]:
    """Where two executions of one chapter (notebooks) printed different things."""
    cells_a = [c for c in first.cells if c.cell_type == "code"]
    cells_b = [c for c in second.cells if c.cell_type == "code"]
    found = []
    for number, (a, b) in enumerate(zip(cells_a, cells_b), start=1):
        lines_a, lines_b = comparable_outputs(a), comparable_outputs(b)
        if lines_a == lines_b:
            continue
        where = next((i for i, (x, y) in enumerate(zip(lines_a, lines_b)) if x != y),
                     min(len(lines_a), len(lines_b)))
        first_line = lines_a[where] if where < len(lines_a) else "(no more output)"
        second_line = lines_b[where] if where < len(lines_b) else "(no more output)"
        found.append(f"code cell {number}, output line {where + 1}:\n"
                     f"      first run:  {first_line[:160]}\n"
                     f"      second run: {second_line[:160]}")
    if len(cells_a) != len(cells_b):
        found.append(f"the runs have {len(cells_a)} and {len(cells_b)} code cells")
    return found


def resolve(root: Path, names: list[str]) -> list[Path]:
    every = chapters(root)
    if not names:
        return every
    picked = []
    for name in names:
        matches = [p for p in every if p.name.startswith(Path(name).name.split("_")[0] + "_")
                   or p.resolve() == (root / name).resolve()]
        if not matches:
            raise SystemExit(f"error: no chapter {name!r} in _toc.yml "
                             f"(chapters: {', '.join(p.stem for p in every)})")
        picked += matches
    return picked


def main(argv: list[str]) -> int:
    import nbformat

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("chapters", nargs="*")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="kernels at the same time (default: one per core)")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent,
                        help="the book's root folder (default: this repository)")
    args = parser.parse_args(argv[1:])
    root = args.root.resolve()
    picked = resolve(root, args.chapters)
    os.environ.update(CHAPTER_ENVIRONMENT)  # the workers inherit it
    timeout = execution_timeout(root)
    print(f"Executing {len(picked)} chapter(s) twice each, {args.jobs} kernels at a time.",
          flush=True)
    with kernels_from_fork_server(root, CHAPTER_ENVIRONMENT) as server, \
            ProcessPoolExecutor(max_workers=max(1, args.jobs), initializer=quiet_kernels,
                                initargs=(root,)) as pool:
        runs = {p: [pool.submit(execute_chapter, str(p), timeout, server) for _ in range(2)]
                for p in picked}
        failed = 0
        for chapter, (run_a, run_b) in runs.items():
            a, b = run_a.result(), run_b.result()
            name = chapter.relative_to(root).as_posix()
            errors = [r["error"] for r in (a, b) if r["error"]]
            if errors:
                failed += 1
                print(f"FAILED     {name}: it raised\n{errors[0]}", flush=True)
                continue
            found = differences(nbformat.reads(a["notebook"], as_version=4),
                                nbformat.reads(b["notebook"], as_version=4))
            if found:
                failed += 1
                print(f"DIFFERS    {name}:", flush=True)
                for line in found:
                    print(f"    {line}", flush=True)
            else:
                print(f"identical  {name} ({a['seconds']:.0f} s and {b['seconds']:.0f} s)",
                      flush=True)
    if failed:
        print(f"\n{failed} of {len(picked)} chapter(s) did not print the same numbers twice.")
        return 1
    print(f"\nAll {len(picked)} chapter(s) printed the same outputs in both runs "
          "(times in cells tagged measures-time excepted).")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
