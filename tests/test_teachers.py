"""Teacher notes (Do, Say, Show, with a session plan) and the appendix that gathers them."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import course_plan  # noqa: E402  (tools/course_plan.py)

GOOD_NOTE = textwrap.dedent("""\
    :::{admonition} For teachers
    :class: dropdown note
    **Session 2, about 25 minutes.** Prepare: a board
    and chalk.

    **Do**

    - Ask the class to predict $2 + 2$.

    **Say**

    - Addition is the lesson.

    **Show**

    - The sum.
    :::
    """)


def test_every_chapter_in_the_toc_has_a_teacher_note_in_three_parts():
    chapters = course_plan.toc_chapters(ROOT)
    assert chapters
    for chapter in chapters:
        text = (ROOT / f"{chapter}.md").read_text()
        body = course_plan.note_source(text)
        assert body is not None, f"{chapter}.md has no 'For teachers' admonition"
        try:
            course_plan.parse_note(body)
        except course_plan.NoteFormatError as error:
            pytest.fail(f"{chapter}.md: {error} (README.md, For maintainers, shows the form)")


def test_a_note_is_split_into_its_plan_and_its_three_parts():
    note = course_plan.parse_note(course_plan.note_source("# 123 Title\n\n" + GOOD_NOTE))
    assert (note.session, note.minutes, note.prepare) == (2, 25, "a board and chalk.")
    assert note.parts == {"Do": "- Ask the class to predict $2 + 2$.", "Say": "- Addition is the lesson.",
                          "Show": "- The sum."}


@pytest.mark.parametrize("change, complaint", [
    (("**Session 2, about 25 minutes.**", "**Session two.**"), "plan line"),
    (("**Say**\n", "**Tell**\n"), "found: Do, Show"),
    (("**Do**\n", "**Show**\n"), "in that order"),
    (("- Addition is the lesson.\n", ""), "Say of the note are empty"),
])
def test_a_note_not_in_the_form_is_refused_with_the_reason(change, complaint):
    body = course_plan.note_source(GOOD_NOTE.replace(*change))
    with pytest.raises(course_plan.NoteFormatError, match=complaint):
        course_plan.parse_note(body)


def write_book(root: Path, chapters: dict[str, str]) -> None:
    (root / "book").mkdir()
    toc = "format: jb-book\nroot: book/index\nchapters:\n"
    for name, text in chapters.items():
        (root / "book" / f"{name}.md").write_text(text)
        toc += f"  - file: book/{name}\n"
    (root / "_toc.yml").write_text(toc)


def test_the_plan_groups_chapters_by_session_and_lists_those_without_a_note(tmp_path):
    write_book(tmp_path, {
        "110_first": "# 110 First\n\n" + GOOD_NOTE.replace("Session 2", "Session 1"),
        "120_second": "# 120 Second\n\n" + GOOD_NOTE.replace("about 25", "about 35"),
        "130_third": "# 130 Third\n\n" + GOOD_NOTE,
        "140_no_note": "# 140 No note\n\nText.\n",
    })
    text, problems, read = course_plan.plan_markdown(tmp_path, tmp_path / "book")
    assert problems == [] and len(read) == 4
    assert "| 1 | [110 First](110_first.md) | about 25 minutes |" in text
    assert "| 2 | [120 Second](120_second.md), [130 Third](130_third.md) | about 60 minutes |" in text
    assert text.index("## Session 1: chapter 110") < text.index("### 110 First") \
        < text.index("## Session 2: chapters 120 and 130")
    assert "- for 120: a board and chalk." in text
    assert "## Chapters without a note yet" in text and "[140 No note](140_no_note.md)" in text


def test_the_plan_reports_a_malformed_note(tmp_path):
    write_book(tmp_path, {"110_first": "# 110 First\n\n" + GOOD_NOTE.replace("**Show**", "**Tell**")})
    text, problems, _ = course_plan.plan_markdown(tmp_path, tmp_path / "book")
    assert problems and problems[0].startswith("book/110_first.md: the note needs the parts")
    assert "110 First" not in text


@pytest.mark.slow
def test_the_built_appendix_gathers_the_notes_and_a_bad_note_fails_the_build(fixture_book):
    fixture_book.add_chapter("110_first", "110 First", "x = 1", prose=GOOD_NOTE)
    fixture_book.add_chapter("120_no_note", "120 No note", "y = 2")
    fixture_book.add_chapter("teachers", "For teachers", prose="```{course-plan}\n```\n")
    result = fixture_book.build()
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    html = fixture_book.html("teachers")
    for text in ["Session 2", "110 First", "about 25 minutes", "Ask the class to predict",
                 "Addition is the lesson.", "Chapters without a note yet", 'href="110_first.html"']:
        assert text in html, f"the appendix lacks {text!r}"

    fixture_book.add_chapter("110_first", "110 First", "x = 1", prose=GOOD_NOTE.replace("**Say**", ""))
    result = fixture_book.build()
    assert result.returncode != 0
    assert "teacher note in book/110_first.md: the note needs the parts" in result.stdout + result.stderr
