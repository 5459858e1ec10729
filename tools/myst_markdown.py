"""The chapters' MyST Markdown turned into the plain Markdown that Jupyter and Colab render.

A chapter's prose uses MyST, which only the book's build understands. A
learner's notebook must read like the page, so every MyST-only construct is
rewritten into what Jupyter's and Colab's own Markdown shows the same way:

- ``{glue:text}`name:fmt` `` (also ``other.md::name``): the value the book's
  build computed, formatted as the page formats it (myst-nb's own formatter);
- ``{ref}`label` ``: the text the page shows for it ("Exercise 530.3");
- links to another chapter's ``.md``: that chapter's page on the hosted book;
- ``{exercise}``: a heading "Exercise NNN.k: title" and its text;
- ``{solution}`` and ``{solution-start}``...``{solution-end}``: a heading
  "Solution to exercise NNN.k" whose section starts folded, and the solution's
  cells, each hidden until the learner asks for it;
- ``{admonition}`` (and ``{note}``, ``{tip}``...): a quoted block with a bold
  title; the notes "For teachers" are left out (they stay on the page);
- ``{literalinclude}``: the included code as a fenced listing, taken with
  Sphinx's own reader, so it is what the page shows;
- comment lines (``% ...``), which the page does not show, are left out.

Math (``$...$``, ``$$...$$``) and tables are already Jupyter Markdown. A
directive or role not listed here is an error, so that a new construct cannot
slip into the notebooks unconverted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

TEACHER_NOTE_TITLE = "For teachers"
ADMONITIONS = {"note", "tip", "hint", "important", "warning", "caution", "attention", "danger", "error",
               "seealso"}

DIRECTIVE = re.compile(r"^(?P<fence>`{3,}|:{3,})\{(?P<name>[\w:-]+)\}[ \t]*(?P<argument>.*?)[ \t]*$")
PLAIN_FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,})")
COMMENT = re.compile(r"^\s*%")  # a MyST comment line: not shown on the page
OPTION = re.compile(r"^:(?P<key>[\w-]+):[ \t]*(?P<value>.*)$")
ROLE = re.compile(r"\{(?P<name>[\w:-]+)\}`(?P<content>[^`]*)`")
CHAPTER_LINK = re.compile(r"\]\((?P<page>(?:\./)?(?P<stem>[\w-]+))\.md(?P<anchor>#[\w-]+)?\)")


# What only MyST understands, as a learner's Jupyter or Colab would show it: raw text.
MYST_ONLY = {
    "a role ({glue:text}`x`, {ref}`x`, {doc}`x`...)": re.compile(r"\{[\w:-]+\}`"),
    "a directive fence (```{name} or :::{name})": re.compile(r"^\s*(`{3,}|:{3,})\s*\{", re.M),
    "a colon fence closing a directive (:::)": re.compile(r"^\s*:{3,}\s*$", re.M),
    "a directive option line (:label: x, :class: dropdown)": re.compile(r"^\s*:[\w-]+:(\s|$)", re.M),
    "a link to a chapter's .md file": re.compile(r"\]\([^)\s]*\.md(#[^)]*)?\)"),
    "a MyST target ((label)=)": re.compile(r"^\s*\([\w-]+\)=\s*$", re.M),
    "a MyST cell break (+++)": re.compile(r"^\+\+\+", re.M),
    "a MyST comment (% ...), which the page does not show": re.compile(r"^\s*%", re.M),
    "a note for teachers": re.compile(r"For teachers"),
}


def myst_leftovers(markdown: str) -> list[str]:
    """The kinds of MyST-only syntax left in ``markdown`` (empty when it is plain Jupyter Markdown)."""
    return [kind for kind, pattern in MYST_ONLY.items() if pattern.search(markdown)]


class MystConversionError(ValueError):
    """A construct the conversion does not know, or a reference it cannot resolve."""


@dataclass
class Piece:
    """One cell's worth of converted Markdown.

    ``kind`` is "markdown" (text to show), "solution" (a heading opening a
    folded solution; ``text`` is the heading), or "solution-end" (closes
    a solution opened by {solution-start}). ``hidden`` marks the text of a
    solution.
    """

    kind: str
    text: str = ""
    hidden: bool = False


@dataclass
class BookFacts:
    """What converting one chapter needs to know about the whole book."""

    book_url: str                                    # the hosted book, ending in "/"
    page_paths: dict[str, str]                       # chapter stem -> page path ("book/110_tensors")
    exercise_names: dict[str, str]                   # exercise label -> "Exercise 110.1"
    glue: dict[str, dict[str, str]] = field(default_factory=dict)  # stem -> name -> text/plain

    def page_url(self, stem: str, anchor: str = "") -> str:
        if stem not in self.page_paths:
            raise MystConversionError(f"a link points to {stem}.md, which _toc.yml does not list")
        return f"{self.book_url}{self.page_paths[stem]}.html{anchor}"


def exercise_labels(markdown: str) -> list[str]:
    """The labels of a chapter's exercises, in order (the page numbers them NNN.1, NNN.2, ...)."""
    labels, lines = [], markdown.splitlines()
    for number, line in enumerate(lines):
        match = DIRECTIVE.match(line)
        if match and match.group("name") == "exercise":
            options, _ = _options(lines[number + 1:])
            labels.append(options.get("label", f"unlabelled-{len(labels) + 1}"))
    return labels


def _options(lines: list[str]) -> tuple[dict[str, str], list[str]]:
    """A directive's ``:key: value`` options and the body after them."""
    options = {}
    index = 0
    while index < len(lines) and (match := OPTION.match(lines[index])):
        options[match.group("key")] = match.group("value")
        index += 1
    if index < len(lines) and not lines[index].strip():
        index += 1
    return options, lines[index:]


def _closing(fence: str, line: str) -> bool:
    stripped = line.rstrip()
    return stripped[:1] == fence[0] and set(stripped) == {fence[0]} and len(stripped) >= len(fence)


def _split_block(lines: list[str], start: int, fence: str) -> int:
    """The index of the line closing the block opened at ``start`` (nested fences skipped)."""
    index = start + 1
    while index < len(lines):
        line = lines[index]
        nested = DIRECTIVE.match(line) or PLAIN_FENCE.match(line)
        if _closing(fence, line):
            return index
        if nested:
            index = _split_block(lines, index, nested.group("fence"))
        index += 1
    raise MystConversionError(f"a block opened with {fence!r} is never closed: {lines[start]!r}")


def _option_value(key: str, text: str):
    """A directive option's value as the directive gets it: quotes removed, numbers as int."""
    if key in ("dedent", "lineno-start"):
        return int(text) if text else None  # an empty :dedent: removes the common indentation
    if text[:1] in "'\"":
        import yaml

        return yaml.safe_load(text)
    return text


class ChapterConverter:
    """Converts the Markdown cells of one chapter, ``path``, into :class:`Piece`s."""

    def __init__(self, path: Path, facts: BookFacts):
        self.path = path
        self.stem = path.stem
        self.facts = facts
        self.quoted: set[tuple[str, str]] = set()  # (chapter stem, name) of every value quoted

    def quoted_times(self) -> dict[str, str]:
        """The glued times quoted so far, as ``{"stem::name": text/plain}``."""
        from book_pages import TIMING_GLUE

        return {f"{stem}::{name}": self.facts.glue[stem][name]
                for stem, name in sorted(self.quoted) if TIMING_GLUE.search(name)}

    # --- inline: roles and links ------------------------------------------------------

    def glued(self, content: str) -> str:
        from myst_nb.core.variables import format_plain_text

        key, _, fmt = content.rpartition(":") if ":" in content.split("::")[-1] else (content, "", "")
        stem, _, name = key.rpartition("::")
        stem = Path(stem).stem if stem else self.stem
        try:
            value = self.facts.glue[stem][name]
            self.quoted.add((stem, name))
        except KeyError:
            raise MystConversionError(f"{self.path.name}: no value glued as {name!r} in {stem} "
                                      "(build the book first: make book)") from None
        return format_plain_text(value, fmt)

    def inline(self, text: str) -> str:
        def role(match: re.Match) -> str:
            name, content = match.group("name"), match.group("content")
            if name == "glue:text":
                return self.glued(content)
            if name == "ref" and content in self.facts.exercise_names:
                return self.facts.exercise_names[content]
            raise MystConversionError(f"{self.path.name}: the role {{{name}}}`{content}` has no plain "
                                      "Markdown form (tools/myst_markdown.py)")

        def link(match: re.Match) -> str:
            return f"]({self.facts.page_url(match.group('stem'), match.group('anchor') or '')})"

        return CHAPTER_LINK.sub(link, ROLE.sub(role, text))

    # --- blocks ---------------------------------------------------------------------

    def convert(self, markdown: str) -> list[Piece]:
        """A Markdown cell's pieces: shown text, solutions opened and closed."""
        pieces: list[Piece] = []
        text: list[str] = []

        def flush() -> None:
            joined = "\n".join(text).strip("\n")
            if joined.strip():
                pieces.append(Piece("markdown", joined))
            text.clear()

        lines = markdown.splitlines()
        index = 0
        while index < len(lines):
            line = lines[index]
            directive = DIRECTIVE.match(line)
            plain = None if directive else PLAIN_FENCE.match(line)
            if plain:  # a code block shown as it is
                end = _split_block(lines, index, plain.group("fence"))
                text.extend(lines[index:end + 1])
                index = end + 1
                continue
            if not directive:
                if not COMMENT.match(line):
                    text.append(self.inline(line))
                index += 1
                continue
            end = _split_block(lines, index, directive.group("fence"))
            options, body = _options(lines[index + 1:end])
            name, argument = directive.group("name"), directive.group("argument")
            if name in ("solution", "solution-start", "solution-end"):
                flush()
                pieces += self.solution(name, argument, body)
            else:
                text.extend(self.block(name, argument, options, body))
            index = end + 1
        flush()
        return pieces

    def shown(self, body: list[str]) -> list[str]:
        """A directive's body converted, as text (solutions are not allowed inside)."""
        pieces = self.convert("\n".join(body))
        if any(piece.kind != "markdown" for piece in pieces):
            raise MystConversionError(f"{self.path.name}: a solution inside another directive")
        return "\n\n".join(piece.text for piece in pieces).splitlines()

    def block(self, name: str, argument: str, options: dict[str, str], body: list[str]) -> list[str]:
        if name == "exercise":
            title = self.facts.exercise_names[options["label"]]
            return [f"### {title}: {self.inline(argument)}" if argument else f"### {title}", "",
                    *self.shown(body), ""]
        if name == "admonition" or name in ADMONITIONS:
            title = argument if name == "admonition" else (argument or name.capitalize())
            if title == TEACHER_NOTE_TITLE:
                return []
            quoted = [f"> {line}" if line else ">" for line in self.shown(body)]
            return [f"> **{self.inline(title)}**", ">", *quoted, ""]
        if name == "literalinclude":
            return [f"```{options.get('language', 'python')}", *self.included(argument, options), "```", ""]
        raise MystConversionError(f"{self.path.name}: the directive {{{name}}} has no plain Markdown form "
                                  "(tools/myst_markdown.py)")

    def solution(self, name: str, argument: str, body: list[str]) -> list[Piece]:
        if name == "solution-end":
            return [Piece("solution-end")]
        label = argument.strip()
        if label not in self.facts.exercise_names:
            raise MystConversionError(f"{self.path.name}: a solution to {label!r}, which is no exercise")
        heading = Piece("solution", f"#### Solution to {self.facts.exercise_names[label].lower()}")
        if name == "solution-start":
            return [heading]
        solution_text = "\n".join(self.shown(body)).strip()
        return [heading, Piece("markdown", solution_text, hidden=True), Piece("solution-end")]

    def included(self, argument: str, options: dict[str, str]) -> list[str]:
        """The lines ``{literalinclude}`` shows, read by Sphinx's own reader."""
        from sphinx.config import Config
        from sphinx.directives.code import LiteralIncludeReader

        filename = (self.path.parent / argument).resolve()
        if not filename.is_file():
            raise MystConversionError(f"{self.path.name}: literalinclude of {argument}, which does not exist")
        reader_options = {key: _option_value(key, value) for key, value in options.items() if key != "language"}
        config = Config({"source_encoding": "utf-8"})
        config.init_values()
        text, _ = LiteralIncludeReader(str(filename), reader_options, config).read()
        return text.rstrip("\n").splitlines()
