"""The chapters' source follows the book's rules for readable pages (no build needed).

Every chapter listed in _toc.yml is held to each rule:

- a code cell's lines are at most 88 characters wide, so code needs no
  sideways scrolling on the page;
- a cell that draws a figure gives it alt text, and every alt text describes
  the figure in words, never a file name;
- a chapter reference in the prose ("chapter 530", "chapters 680 to 695") is a
  link to that chapter, and a link to a chapter names one that _toc.yml lists.

Each rule is a function that returns the problems it finds, so that the last
tests can show that it does find them in a small counterexample.
"""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

import jupytext
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
CODE_LINE_LIMIT = 88
CHAPTER_FILE = re.compile(r"^(\d{3})_[\w-]+$")


def toc_chapters() -> list[Path]:
    """Every numbered chapter listed in _toc.yml, as a path to its .md file."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    entries = [chapter for part in toc.get("parts", [{"chapters": toc.get("chapters", [])}])
               for chapter in part["chapters"]]
    return [ROOT / f"{entry['file']}.md" for entry in entries
            if CHAPTER_FILE.match(Path(entry["file"]).name)]


def toc_chapter_names() -> set[str]:
    return {path.name for path in toc_chapters()}


@functools.cache
def code_cells(text: str) -> list[dict]:
    """The code cells of a MyST chapter, with their metadata, as jupytext reads them."""
    notebook = jupytext.reads(text, fmt="md:myst")
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


# --- rule 1: code lines --------------------------------------------------------

def long_code_lines(text: str) -> list[str]:
    """Lines of code cells longer than CODE_LINE_LIMIT characters."""
    return [f"{len(line)} characters: {line.strip()[:60]}..."
            for cell in code_cells(text) for line in cell.source.splitlines()
            if len(line) > CODE_LINE_LIMIT]


# --- rule 2: alt text ----------------------------------------------------------

@functools.cache
def drawing_functions() -> frozenset[str]:
    """Names of the package's functions that draw with matplotlib.

    A function draws when its body uses pyplot (``plt.``), an Axes (``ax.``),
    or the package's private helper that makes one (``_axes(``).
    """
    names = set()
    for module in (ROOT / "code" / "dlbasics").rglob("*.py"):
        source = module.read_text()
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
                body = ast.get_source_segment(source, node) or ""
                if re.search(r"\bplt\.|\bax\.|\b_axes\(", body):
                    names.add(node.name)
    return frozenset(names)


def _calls(tree: ast.AST, names: set[str]) -> bool:
    """True if tree calls one of names, or anything of pyplot (plt.something(...))."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in names:
                return True
            while isinstance(func, ast.Attribute):
                func = func.value
            if isinstance(func, ast.Name) and func.id == "plt":
                return True
    return False


def _parse(source: str) -> ast.Module | None:
    source = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
    try:
        return ast.parse(source)
    except SyntaxError:
        return None


def figure_cells(text: str, drawing: set[str]) -> list[dict]:
    """The cells whose output, shown on the page, contains a figure.

    A cell draws a figure when a statement outside a function definition calls
    pyplot or a drawing function: one of the package's (``drawing``) or one
    the chapter defines whose body calls a drawing function. Cells tagged
    remove-cell or remove-output show no output and are left out.
    """
    cells = code_cells(text)
    drawing = set(drawing)
    for cell in cells:  # functions the chapter defines that draw
        tree = _parse(cell.source)
        for node in ast.walk(tree) if tree else []:
            if isinstance(node, ast.FunctionDef) and _calls(node, drawing):
                drawing.add(node.name)
    found = []
    for cell in cells:
        tags = cell.metadata.get("tags", [])
        if "remove-cell" in tags or "remove-output" in tags:
            continue
        tree = _parse(cell.source)
        statements = [s for s in (tree.body if tree else [])
                      if not isinstance(s, (ast.FunctionDef, ast.ClassDef))]
        if any(_calls(statement, drawing) for statement in statements):
            found.append(cell)
    return found


def bad_alt_text(alt) -> str | None:
    """Why alt text does not describe a figure, or None if it does.

    It must be a sentence in words (at least four of them), not a file name or
    path, and not a placeholder such as "figure" or "plot".
    """
    if not isinstance(alt, str) or not alt.strip():
        return "no alt text"
    if re.search(r"\.(png|jpe?g|svg|gif|pdf)\b|\S[/\\]\S*\.\w{2,4}\b", alt, re.I):
        return f"alt text {alt!r} looks like a file name or path"
    if len(re.findall(r"[A-Za-z]{2,}", alt)) < 4:
        return f"alt text {alt!r} is too short to say what the figure shows"
    return None


def alt_text_problems(text: str, drawing: set[str]) -> list[str]:
    """Figures without alt text that describes them, in code cells and in markdown."""
    problems = []
    for cell in figure_cells(text, drawing):
        alt = cell.metadata.get("mystnb", {}).get("image", {}).get("alt")
        reason = bad_alt_text(alt)
        if reason:
            problems.append(f"{reason}, for the figure of the cell starting {cell.source[:60]!r}")
    for cell in code_cells(text):  # alt text given but not describing anything
        if "alt" in cell.metadata.get("mystnb", {}).get("image", {}):
            reason = bad_alt_text(cell.metadata["mystnb"]["image"]["alt"])
            if reason:
                problems.append(f"{reason}, in the cell starting {cell.source[:60]!r}")
    for alt in re.findall(r"!\[([^\]]*)\]\(", text):  # markdown images
        reason = bad_alt_text(alt)
        if reason:
            problems.append(f"{reason}, in a markdown image")
    for directive in re.finditer(r"^(`{3,}|:{3,})\{(?:image|figure)\}[^\n]*\n((?::[^\n]*\n)*)", text, re.M):
        options = dict(re.findall(r"^:(\w+):\s*(.*)$", directive.group(2), re.M))
        reason = bad_alt_text(options.get("alt"))
        if reason:
            problems.append(f"{reason}, in an image or figure directive")
    return problems


# --- rule 3: chapter references --------------------------------------------------

LINK = re.compile(r"\[[^\]]*\]\([^)]*\)")
LINK_MARK = "@link@"  # stands for a whole link, whose text is then no longer read
REFERENCE = re.compile(
    rf"\b[Cc]hapters?\s+((?:{LINK_MARK}|\d{{3}}\b)"
    rf"(?:(?:,\s*(?:and\s+|or\s+)?|\s+(?:and|or|to)\s+|\s*[-–]\s*)(?:{LINK_MARK}|\d{{3}}\b))*)")
CHAPTER_LINK = re.compile(r"\[([^\]]*)\]\(([^)#\s]*?)(#[^)]*)?\)")


def prose(text: str) -> str:
    """The chapter's text without front matter, code, math and inline code.

    Fenced blocks go unless they are directives holding prose (exercises,
    admonitions and the like): code cells, plain code blocks, literalinclude,
    math blocks. Inline code, inline math and glue roles go too.
    """
    text = re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.S)
    kept, fence = [], None
    for line in text.splitlines():
        if fence:
            if line.strip() == fence:
                fence = None
            continue
        opening = re.match(r"^(`{3,}|~{3,})\s*(\{([\w-]+)\})?", line)
        if opening and (opening.group(3) in (None, "code-cell", "literalinclude", "code-block",
                                               "code", "math") or not opening.group(2)):
            fence = opening.group(1)
            continue
        kept.append(line)
    text = "\n".join(kept)
    text = re.sub(r"\$\$.*?\$\$", " ", text, flags=re.S)
    text = re.sub(r"\{[\w:-]+\}`[^`]*`", " ", text)
    text = re.sub(r"`[^`\n]*`", " ", text)
    text = re.sub(r"\$[^$\n]*\$", " ", text)
    return text


def reference_problems(text: str, chapters: set[str]) -> list[str]:
    """Chapter references in the prose that are not links, and links to chapters the book lacks.

    "chapter NNN" must be link text, as in [chapter 530](530_training_toy_problem_1.md);
    in a list ("chapters 680, 690 and 695", "chapters 650 to 690") every number
    must be one. A link whose target is a chapter file (NNN_name.md, possibly
    with #section) must name a chapter in _toc.yml, and its text, if it holds a
    three-digit number, the same chapter.
    """
    problems = []
    text = prose(text)
    for match in CHAPTER_LINK.finditer(text):
        label, target = match.group(1), match.group(2)
        name = Path(target).name
        if not re.match(r"^\d{3}_", name):
            continue
        if name not in chapters:
            problems.append(f"link to {target}, which is not a chapter of _toc.yml")
        numbers = re.findall(r"\b\d{3}\b", label)
        if numbers and numbers[-1] != name[:3]:
            problems.append(f"link text {label!r} names another chapter than {target}")
    for match in REFERENCE.finditer(LINK.sub(LINK_MARK, text)):
        if re.search(r"\d{3}", match.group(1)):
            problems.append(f"{match.group(0)!r}: a chapter reference that is not a link")
    return problems


# --- the tests -------------------------------------------------------------------

CHAPTERS = toc_chapters()
IDS = [path.stem for path in CHAPTERS]


def test_the_toc_lists_chapters_that_exist():
    assert CHAPTERS, "_toc.yml lists no numbered chapter"
    missing = [str(path.relative_to(ROOT)) for path in CHAPTERS if not path.is_file()]
    assert missing == [], f"_toc.yml lists chapters with no file: {missing}"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=IDS)
def test_code_cells_are_at_most_88_characters_wide(chapter):
    problems = long_code_lines(chapter.read_text())
    assert problems == [], f"{chapter.name}: wrap these lines of code:\n" + "\n".join(problems)


@pytest.mark.parametrize("chapter", CHAPTERS, ids=IDS)
def test_every_figure_has_alt_text_that_describes_it(chapter):
    problems = alt_text_problems(chapter.read_text(), drawing_functions())
    assert problems == [], (
        f"{chapter.name}: give each figure alt text saying what it shows, in the cell's "
        "metadata (mystnb: image: alt: ...):\n" + "\n".join(problems))


@pytest.mark.parametrize("chapter", CHAPTERS, ids=IDS)
def test_chapter_references_are_links_to_chapters_of_the_book(chapter):
    problems = reference_problems(chapter.read_text(), toc_chapter_names())
    assert problems == [], (
        f"{chapter.name}: write chapter references as links, e.g. "
        "[chapter 530](530_training_toy_problem_1.md), to chapters in _toc.yml:\n"
        + "\n".join(problems))


# --- each rule finds what it is meant to find -------------------------------------

HEADER = "---\njupytext:\n  text_representation:\n    format_name: myst\n---\n\n# 999 Example\n\n"


def cell(source: str, metadata: str = "") -> str:
    return f"```{{code-cell}} ipython3\n{metadata}{source}\n```\n\n"


def test_the_line_width_rule_finds_a_long_line():
    assert long_code_lines(HEADER + cell("x = 1")) == []
    assert len(long_code_lines(HEADER + cell("x = " + "1" * CODE_LINE_LIMIT))) == 1
    assert long_code_lines(HEADER + "A long line of prose. " * 10 + "\n") == []


def test_the_alt_text_rule_finds_figures_without_a_description():
    drawing = {"plot_points"}
    good = "---\nmystnb:\n  image:\n    alt: The points of both classes on either side of a line.\n---\n"
    assert alt_text_problems(HEADER + cell("fig = plot_points(X, y)", good), drawing) == []
    assert alt_text_problems(HEADER + cell("fig = plot_points(X, y)"), drawing)
    assert alt_text_problems(HEADER + cell("fig, ax = plt.subplots()\nax.plot(x)"), drawing)
    path_alt = "---\nmystnb:\n  image:\n    alt: ../_images/figure_1.png\n---\n"
    assert alt_text_problems(HEADER + cell("fig = plot_points(X, y)", path_alt), drawing)
    assert alt_text_problems(HEADER + cell("x = 1", path_alt), drawing)  # given, but a path
    # A function of the chapter that draws makes its callers figure cells, not its definition.
    defined = cell("def show(points):\n    return plot_points(points, None)")
    assert alt_text_problems(HEADER + defined, drawing) == []
    assert alt_text_problems(HEADER + defined + cell("show(X)"), drawing)
    assert alt_text_problems(HEADER + cell("plot_points(X, y)", ":tags: [remove-cell]\n"), drawing) == []
    assert alt_text_problems(HEADER + "![](figure.png)\n", drawing)
    assert alt_text_problems(HEADER + "```{figure} a.png\n:alt: a.png\n```\n", drawing)
    assert "plot_decision_boundary" in drawing_functions()
    assert "draw_points" not in drawing_functions()  # draws random numbers, not a figure


def test_the_reference_rule_finds_plain_references_and_missing_chapters():
    chapters = {"530_training.md", "650_act.md", "690_sig.md"}
    ok = "As [chapter 530](530_training.md) showed, chapters [650](650_act.md) to [690](690_sig.md) agree."
    assert reference_problems(HEADER + ok, chapters) == []
    assert reference_problems(HEADER + "As chapter 530 showed.", chapters)
    assert reference_problems(HEADER + "Chapters 650 to 690 agree.", chapters)
    assert reference_problems(HEADER + "Chapters [650](650_act.md) and 690 agree.", chapters)
    assert reference_problems(HEADER + "See [chapter 810](810_mnist.md).", chapters)
    assert reference_problems(HEADER + "See [chapter 650](530_training.md).", chapters)
    # Code and math are not prose.
    assert reference_problems(HEADER + cell("# as in chapter 530"), chapters) == []
    assert reference_problems(HEADER + "The value `chapter 530` and $530$.", chapters) == []
    # Exercises hold prose.
    assert reference_problems(HEADER + "```{exercise} T\n:label: x\n\nAs in chapter 530.\n```\n", chapters)
