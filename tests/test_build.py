"""The build is trustworthy: errors and warnings fail it, and it never shows stale output.

Each test builds a tiny book that uses the repository's real _config.yml
through the real build script, so a change to either that weakens the build
makes these tests fail.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def test_a_cell_that_raises_fails_the_build_and_names_chapter_and_cell(fixture_book):
    fixture_book.add_chapter("fine", "A chapter that works", "print('all good')")
    fixture_book.add_chapter("broken", "A chapter that raises", "x = 1", "ratio = x / 0  # the culprit")
    result = fixture_book.build()
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "broken.md" in output
    assert "ratio = x / 0  # the culprit" in output  # the cell's source
    assert "ZeroDivisionError" in output
    assert "Build FAILED" in output


def test_a_warning_fails_the_build(fixture_book):
    # A cell printing to stderr (here a deprecation warning) is a build
    # warning, and any warning must stop the build.
    fixture_book.add_chapter("warns", "A chapter that warns", "import warnings\nwarnings.warn('deprecated thing')")
    result = fixture_book.build()
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "warns.md" in output and "stderr was found in the cell outputs" in output


def test_an_unknown_glue_name_fails_the_build(fixture_book):
    fixture_book.add_chapter("glued", "Prose quotes a number", "print(1)",
                             prose="The answer is {glue:text}`never_defined`.\n")
    result = fixture_book.build()
    assert result.returncode != 0, result.stdout + result.stderr
    assert "never_defined" in result.stdout + result.stderr


PROBE_CELL = """
import sys, uuid
sys.path.insert(0, "../code")  # cells run in book/
import probe
print("probe says", probe.VALUE)
print("run", uuid.uuid4().hex)
"""


def _probe_output(book) -> tuple[str, str]:
    html = book.html("probe")
    value = re.search(r"probe says (\w+)", html).group(1)
    run = re.search(r"run ([0-9a-f]{32})", html).group(1)
    return value, run


def test_no_stale_output_after_a_package_or_requirements_change(fixture_book):
    code = fixture_book.root / "code"
    code.mkdir()
    (code / "probe.py").write_text('VALUE = "first"\n')
    (fixture_book.root / "requirements.txt").write_text("# pins\n")
    fixture_book.add_chapter("probe", "A chapter that imports the package", PROBE_CELL)

    assert fixture_book.build().returncode == 0
    value, first_run = _probe_output(fixture_book)
    assert value == "first"

    # Nothing changed: the cache is used, the chapter is not executed again.
    assert fixture_book.build().returncode == 0
    assert _probe_output(fixture_book) == ("first", first_run)

    # The package changed: the next build must execute the chapter again.
    (code / "probe.py").write_text('VALUE = "second"\n')
    result = fixture_book.build()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "every chapter runs again" in result.stdout
    value, second_run = _probe_output(fixture_book)
    assert value == "second" and second_run != first_run

    # The pinned versions changed: executed again too.
    (fixture_book.root / "requirements.txt").write_text("# pins, one bumped\n")
    assert fixture_book.build().returncode == 0
    value, third_run = _probe_output(fixture_book)
    assert value == "second" and third_run not in (first_run, second_run)


def test_jupyter_cache_alone_would_show_stale_output(fixture_book):
    """Why the build script exists: jupyter-book's own cache misses a package change."""
    code = fixture_book.root / "code"
    code.mkdir()
    (code / "probe.py").write_text('VALUE = "first"\n')
    fixture_book.add_chapter("probe", "A chapter that imports the package", PROBE_CELL)
    jupyter_book = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(fixture_book.root), "--all"]
    assert subprocess.run(jupyter_book, capture_output=True).returncode == 0
    (code / "probe.py").write_text('VALUE = "second"\n')
    assert subprocess.run(jupyter_book, capture_output=True).returncode == 0
    assert _probe_output(fixture_book)[0] == "first"  # stale: the reason for tools/build_book.py


RUN_ID_CELL = """
import uuid
print("run", uuid.uuid4().hex)
"""


def _run_id(book, name: str) -> str:
    return re.search(r"run ([0-9a-f]{32})", book.html(name)).group(1)


def test_a_cell_error_names_the_code_cell_by_number(fixture_book):
    fixture_book.add_chapter("third", "Fails in its third code cell", "a = 1", "b = 2", "c = a / 0")
    result = fixture_book.build()
    assert result.returncode != 0
    assert "third.md: code cell 3 raised" in result.stderr


def test_a_failed_build_fails_again_when_nothing_changed(fixture_book):
    # Sphinx keeps what it read, warnings or not: the next build must read it again.
    fixture_book.add_chapter("warns", "A chapter that warns", "import warnings\nwarnings.warn('x')")
    assert fixture_book.build().returncode != 0
    again = fixture_book.build()
    assert again.returncode != 0, again.stdout + again.stderr
    assert "stderr was found in the cell outputs" in again.stdout + again.stderr


def test_editing_one_chapter_runs_only_that_chapter_and_its_page_is_new(fixture_book):
    fixture_book.add_chapter("first", "First", RUN_ID_CELL)
    edited = fixture_book.add_chapter("second", "Second", RUN_ID_CELL)
    assert fixture_book.build().returncode == 0
    first_run, second_run = _run_id(fixture_book, "first"), _run_id(fixture_book, "second")

    unchanged = fixture_book.build()
    assert unchanged.returncode == 0
    log = re.sub(r"\x1b\[[0-9;]*m", "", unchanged.stdout)  # without colours
    assert "Executing" not in log  # nothing ran
    assert "0 added, 0 changed, 0 removed" in log  # nothing re-read
    assert "looking for now-outdated files... none found" in log  # nothing rewritten

    edited.write_text(edited.read_text().replace('print("run"', 'print( "run"'))
    result = fixture_book.build()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Executing 1 chapter(s)" in result.stdout and "book/second.md" in result.stdout
    assert _run_id(fixture_book, "first") == first_run
    assert _run_id(fixture_book, "second") != second_run


def test_a_page_quoting_another_chapters_glue_follows_that_chapter(fixture_book):
    source = fixture_book.add_chapter(
        "source", "Computes", "from myst_nb import glue\nglue('answer', 41, display=False)")
    fixture_book.add_chapter("quotes", "Quotes", "print('no cells of interest')",
                             prose="The answer is {glue:text}`source.md::answer:d`.\n")
    assert fixture_book.build().returncode == 0
    assert re.search(r"The answer is <[^>]*>41<", fixture_book.html("quotes"))
    source.write_text(source.read_text().replace("41", "42"))
    result = fixture_book.build()
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"The answer is <[^>]*>42<", fixture_book.html("quotes"))


def _check_determinism(book) -> subprocess.CompletedProcess:
    script = Path(__file__).resolve().parent.parent / "tools" / "check_determinism.py"
    return subprocess.run([sys.executable, str(script), "--root", str(book.root)],
                          capture_output=True, text=True, timeout=600)


def test_the_determinism_check_passes_seeded_chapters_and_masks_tagged_times(fixture_book):
    fixture_book.add_chapter("seeded", "Seeded", "import random\nrandom.seed(0)\nprint(random.random())")
    fixture_book.add_chapter(
        "timed", "Times itself",
        ":tags: [measures-time]\nimport random, time\nfrom myst_nb import glue\n"
        "start = time.perf_counter(); random.seed(1); x = random.random()\n"
        "seconds = time.perf_counter() - start + random.SystemRandom().random()\n"
        "print(f'x = {x:.6f}, {seconds:.6f} s'); glue('loop_seconds', seconds)")
    result = _check_determinism(fixture_book)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "identical  book/seeded.md" in result.stdout
    assert "identical  book/timed.md" in result.stdout


def test_the_determinism_check_reports_an_unseeded_number_and_an_untagged_time(fixture_book):
    fixture_book.add_chapter("unseeded", "Unseeded", "print('fixed')", "import os\nprint(os.urandom(4).hex())")
    fixture_book.add_chapter(
        "untagged", "Times itself without saying so",
        "import random\nprint(f'{random.SystemRandom().random():.6f} s')")
    result = _check_determinism(fixture_book)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "DIFFERS    book/unseeded.md" in result.stdout
    assert "code cell 2, output line 1" in result.stdout
    assert "DIFFERS    book/untagged.md" in result.stdout


def test_forked_kernels_start_empty_and_draw_figures(fixture_book):
    # Kernels come from one fork server (tools/fork_kernels.py): a chapter must still find
    # an empty namespace, whatever ran before it, and its figures must appear.
    fixture_book.add_chapter("first", "Leaves things behind", "left_behind = 1\nimport torch")
    fixture_book.add_chapter(
        "second", "Finds nothing of them",
        "print('left behind:', 'left_behind' in globals(), '| torch:', 'torch' in globals())",
        "import matplotlib.pyplot as plt\nplt.plot([0, 1], [1, 0]);")
    result = fixture_book.build()
    assert result.returncode == 0, result.stdout + result.stderr
    page = fixture_book.html("second")
    assert "left behind: False | torch: False" in page
    assert re.search(r'<img[^>]+src="[^"]+\.png"', page)


def test_forked_and_fresh_kernels_print_the_same(fixture_book, monkeypatch):
    tools = Path(__file__).resolve().parent.parent / "tools"
    monkeypatch.syspath_prepend(str(tools))
    from build_book import execute_chapter, kernels_from_fork_server

    chapter = fixture_book.add_chapter(
        "seeded", "Seeded",
        "import torch\ntorch.manual_seed(0)\nprint(torch.randn(3), torch.get_num_threads())",
        "import random, os\nprint(os.getcwd().endswith('book'), os.environ['DLB_PROGRESS'])")
    environment = {"DLB_PROGRESS": "0", "OMP_NUM_THREADS": "1"}
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("DLB_FORK_KERNELS", "1")
    with kernels_from_fork_server(fixture_book.root, environment) as server:
        assert server is not None
        forked = execute_chapter(str(chapter), 60, server)
    fresh = execute_chapter(str(chapter), 60, None)
    assert forked["error"] is None and fresh["error"] is None
    outputs = [re.findall(r'"text": \[?\s*"([^"]*)', run["notebook"]) for run in (forked, fresh)]
    assert outputs[0] == outputs[1]
    assert any("tensor([ 1.5410, -0.2934, -2.1788]) 1" in text for text in outputs[0])
    assert any("True 0" in text for text in outputs[0])
