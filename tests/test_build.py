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
