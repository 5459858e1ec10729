"""The teachers' course plan, gathered at build time from the chapters' own notes.

Every chapter ends with a folded note for teachers in this form (the labels
are bold, each alone on its line; the lists are free text):

    :::{admonition} For teachers
    :class: dropdown note
    **Session 3, about 40 minutes.** Prepare: what to have ready before class.

    **Do**

    - what the teacher does or asks the class

    **Say**

    - the narrative to tell

    **Show**

    - what to put on screen or on the board
    :::

The page book/teachers.md holds a ``{course-plan}`` directive. When the book
is built, the directive reads the note of every chapter listed in _toc.yml and
writes the plan in its place: a table of the sessions, then each session's
chapters with their time, what to prepare and their notes. The notes are
written once, in their chapters. A note that does not follow the form is a
build warning (an error under -W) that says what is wrong; a chapter without
a note is listed as such.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from notebooks import toc_pages  # tools/notebooks.py, beside this file

PARTS = ("Do", "Say", "Show")
NOTE = re.compile(r"^:::\{admonition\} For teachers[ \t]*\n(.*?)^:::[ \t]*$", re.M | re.S)
PLAN_LINE = re.compile(r"\*\*Session (\d+), about (\d+) minutes\.\*\*\s*Prepare:\s*(\S.*)", re.S)
CHAPTER = re.compile(r"^(\d{3})_")


class NoteFormatError(ValueError):
    pass


@dataclass
class TeacherNote:
    session: int
    minutes: int
    prepare: str
    parts: dict[str, str]  # "Do", "Say", "Show" -> the part's markdown


def note_source(chapter_text: str) -> str | None:
    """The body of a chapter's "For teachers" admonition (without its options), or None."""
    match = NOTE.search(chapter_text)
    if match is None:
        return None
    lines = match.group(1).splitlines()
    while lines and lines[0].startswith(":"):  # :class: and other options
        lines.pop(0)
    return "\n".join(lines).strip() + "\n"


def parse_note(body: str) -> TeacherNote:
    """Split a note into its plan line and its Do, Say and Show parts; NoteFormatError if it cannot."""
    blocks = re.split(r"^\*\*(Do|Say|Show)\*\*[ \t]*$", body, flags=re.M)
    plan = PLAN_LINE.fullmatch(blocks[0].strip())
    if plan is None:
        raise NoteFormatError(
            "the note must start with its plan line, "
            "'**Session N, about M minutes.** Prepare: what to have ready.'")
    labels = blocks[1::2]
    if tuple(labels) != PARTS:
        found = ", ".join(labels) or "none"
        raise NoteFormatError(f"the note needs the parts **Do**, **Say** and **Show**, in that order, "
                              f"each label alone on its line (found: {found})")
    parts = {label: text.strip() for label, text in zip(labels, blocks[2::2])}
    empty = [label for label, text in parts.items() if not text]
    if empty:
        raise NoteFormatError(f"the part(s) {', '.join(empty)} of the note are empty")
    return TeacherNote(int(plan.group(1)), int(plan.group(2)), " ".join(plan.group(3).split()), parts)


def toc_chapters(root: Path) -> list[str]:
    """The numbered chapters of _toc.yml, in order, as paths without suffix ("book/110_tensors")."""
    return [page for page in toc_pages(root) if CHAPTER.match(Path(page).name)]


def chapter_title(text: str, fallback: str) -> str:
    match = re.search(r"^# (.+)$", text, re.M)
    return match.group(1).strip() if match else fallback


def plan_markdown(root: Path, page_folder: Path) -> tuple[str, list[str], list[Path]]:
    """The plan as MyST markdown for a page in ``page_folder``; also the problems found and the files read."""
    sessions: dict[int, list[tuple[str, str, TeacherNote]]] = {}
    problems, read, without_note = [], [], []
    for chapter in toc_chapters(root):
        path = root / f"{chapter}.md"
        if not path.is_file():
            continue
        read.append(path)
        text = path.read_text()
        link = Path(os.path.relpath(path, page_folder)).as_posix()
        title = chapter_title(text, Path(chapter).name)
        body = note_source(text)
        if body is None:
            without_note.append(f"[{title}]({link})")
            continue
        try:
            note = parse_note(body)
        except NoteFormatError as error:
            problems.append(f"{path.relative_to(root)}: {error}")
            continue
        sessions.setdefault(note.session, []).append((title, link, note))

    lines = ["## The plan at a glance", "",
             "| Session | Chapters | In class |", "| --- | --- | --- |"]
    for number, chapters in sorted(sessions.items()):
        names = ", ".join(f"[{title}]({link})" for title, link, _ in chapters)
        total = sum(note.minutes for _, _, note in chapters)
        lines.append(f"| {number} | {names} | about {total} minutes |")
    lines.append("")
    for number, chapters in sorted(sessions.items()):
        total = sum(note.minutes for _, _, note in chapters)
        numbers = [title.split()[0] for title, _, _ in chapters]
        named = numbers[0] if len(numbers) == 1 else ", ".join(numbers[:-1]) + " and " + numbers[-1]
        lines += [f"## Session {number}: {'chapter' if len(numbers) == 1 else 'chapters'} {named}", "",
                  f"About {total} minutes in class. Prepare:", ""]
        lines += [f"- for {title.split()[0]}: {note.prepare}" for title, _, note in chapters]
        lines.append("")
        for title, link, note in chapters:
            lines += [f"### {title}", "",
                      f"[Chapter {title.split()[0]}]({link}), about {note.minutes} minutes in class.", ""]
            for label in PARTS:
                lines += [f"**{label}**", "", note.parts[label], ""]
    if without_note:
        lines += ["## Chapters without a note yet", "", ", ".join(without_note) + ".", ""]
    return "\n".join(lines), problems, read


# --- the Sphinx extension ----------------------------------------------------------

def _course_plan_directive():
    from docutils import nodes
    from docutils.statemachine import StringList
    from sphinx.util import logging
    from sphinx.util.docutils import SphinxDirective

    logger = logging.getLogger(__name__)

    class CoursePlan(SphinxDirective):
        """``{course-plan}``: replaced by the plan built from every chapter's teacher note."""

        has_content = False

        def run(self):
            root = Path(self.env.srcdir)
            page = Path(self.env.doc2path(self.env.docname))
            text, problems, read = plan_markdown(root, page.parent)
            for path in read:
                self.env.note_dependency(str(path))
            for problem in problems:
                logger.warning(f"teacher note in {problem}", location=self.get_location())
            holder = nodes.Element()
            self.state.nested_parse(StringList(text.splitlines(), source=str(page)),
                                    self.content_offset, holder, match_titles=True)
            return holder.children

    return CoursePlan


def setup(app):
    app.add_directive("course-plan", _course_plan_directive())
    return {"parallel_read_safe": True, "parallel_write_safe": True}
