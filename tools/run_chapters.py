"""Run every chapter's code as a plain Python script, one process per chapter, and time it.

    python tools/run_chapters.py [--require-cuda] [--timeout S] [CHAPTER ...]   (make test-gpu)

CHAPTER is a chapter's number or file (``920`` or ``book/920_rnn.md``); without
any, every chapter of _toc.yml. Each chapter's code cells, the hidden checks
included, run in order in a fresh Python process in book/ (as in the build),
on the device ``dlbasics.get_device()`` picks: on a machine with a GPU, CUDA.
That is how a learner's GPU runtime runs them, without the book's build tools
(Jupyter, jupytext, myst-nb), which a GPU machine may not have: this script
needs only the package, its dependencies and PyYAML.

It prints the device, then each chapter's time and whether it passed; a
chapter that raised is shown with the end of its traceback. The exit status
is 1 if any chapter failed.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from book_pages import ROOT, chapter_sources  # noqa: E402

# A code cell: ```{code-cell} ipython3 ... ``` (three or more backticks), with
# its options either as ":key: value" lines or a YAML block between "---" lines.
CODE_CELL = re.compile(r"^(?P<fence>`{3,})\{code-cell\}[^\n]*\n(?P<body>.*?)^(?P=fence)[ \t]*$", re.M | re.S)
YAML_OPTIONS = re.compile(r"\A---\n.*?\n---\n", re.S)
LINE_OPTIONS = re.compile(r"\A(?::[\w-]+:[^\n]*\n)+")


def code_cells(markdown: str) -> list[str]:
    """The sources of the code cells of a MyST-markdown chapter, in order, without their options."""
    cells = []
    for match in CODE_CELL.finditer(markdown):
        body = YAML_OPTIONS.sub("", match.group("body"), count=1)
        cells.append(LINE_OPTIONS.sub("", body, count=1))
    return cells


def chapter_script(markdown: str) -> str:
    """The chapter's code cells as one script; each starts with a comment naming its cell."""
    parts = [f"# --- code cell {number} ---\n{source}" for number, source in enumerate(code_cells(markdown), 1)]
    return "\n".join(parts)


def select(names: list[str], root: Path = ROOT) -> list[Path]:
    sources = chapter_sources(root)
    if not names:
        return sources
    chosen = []
    for name in names:
        found = [s for s in sources if s.name.startswith(f"{name}_") or s == (root / name).resolve()]
        if not found:
            raise SystemExit(f"run_chapters: no chapter {name!r} in _toc.yml")
        chosen += found
    return chosen


def run(chapter: Path, timeout: int) -> tuple[bool, float, str]:
    """(passed, seconds, the end of the output when it failed) for one chapter."""
    environment = {**os.environ, "MPLBACKEND": "Agg", "DLB_PROGRESS": "0", "PYTHONUNBUFFERED": "1"}
    with tempfile.NamedTemporaryFile("w", suffix=f"_{chapter.stem}.py", delete=False) as script:
        script.write(chapter_script(chapter.read_text()))
    start = time.perf_counter()
    try:
        result = subprocess.run([sys.executable, script.name], cwd=chapter.parent, env=environment,
                                capture_output=True, text=True, timeout=timeout)
        passed, output = result.returncode == 0, result.stdout + result.stderr
    except subprocess.TimeoutExpired:
        passed, output = False, f"stopped after {timeout} s"
    finally:
        os.unlink(script.name)
    return passed, time.perf_counter() - start, "" if passed else "\n".join(output.splitlines()[-25:])


def describe_device() -> str:
    probe = ("import torch; from dlbasics import get_device; d = get_device(); "
             "print(d, torch.__version__, torch.cuda.get_device_name(d) if d.type == 'cuda' else '')")
    return subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chapters", nargs="*")
    parser.add_argument("--require-cuda", action="store_true", help="fail at once unless PyTorch sees a GPU")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per chapter (default 600)")
    args = parser.parse_args(argv)
    device = describe_device()
    print("device:", device, flush=True)
    if args.require_cuda and not device.startswith("cuda"):
        print("run_chapters: --require-cuda, but PyTorch sees no CUDA GPU here (or DLB_DEVICE forces the CPU)")
        return 1
    failed, total = [], 0.0
    for chapter in select(args.chapters):
        passed, seconds, tail = run(chapter, args.timeout)
        total += seconds
        print(f"{seconds:7.1f} s  {'passed' if passed else 'FAILED'}  {chapter.relative_to(ROOT)}", flush=True)
        if not passed:
            failed.append(chapter.name)
            print("          " + tail.replace("\n", "\n          "), flush=True)
    count = len(select(args.chapters))
    print(f"{count - len(failed)} passed, {len(failed)} failed; {total:.1f} s in all on {device}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
